"""Environments from make_env share compiled templates: a second environment does not compile again,
and an edited template is compiled anew (the cache is checked against a hash of the source)."""

from __future__ import annotations

from loa.render import make_env


def compiled_by(env) -> list[str]:
    """Record the names of the templates `env` compiles from now on."""
    names: list[str] = []
    compile_ = env.compile

    def counting(source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return compile_(source, name, filename, raw, defer_init)

    env.compile = counting
    return names


def test_a_second_environment_reuses_the_first_ones_compiled_template(tmp_path):
    (tmp_path / "note.html").write_text("<p>{{ text }}</p>")
    first, second = make_env(tmp_path), make_env(tmp_path)
    compiled_first, compiled_second = compiled_by(first), compiled_by(second)
    assert first.get_template("note.html").render(text="a & b") == "<p>a &amp; b</p>"
    assert second.get_template("note.html").render(text="c < d") == "<p>c &lt; d</p>"  # still escaped
    assert compiled_first == ["note.html"] and compiled_second == []


def test_an_edited_template_is_compiled_again(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("cũ: {{ x }}")
    assert make_env(tmp_path).get_template("page.txt").render(x=1) == "cũ: 1"
    page.write_text("mới: {{ x }}")
    env = make_env(tmp_path)
    compiled = compiled_by(env)
    assert env.get_template("page.txt").render(x=2) == "mới: 2" and compiled == ["page.txt"]


def test_a_template_of_the_same_name_in_another_folder_is_its_own(tmp_path):
    for folder, text in (("a", "A {{ x }}"), ("b", "B {{ x }}")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "t.txt").write_text(text)
    assert make_env(tmp_path / "a").get_template("t.txt").render(x=1) == "A 1"
    assert make_env(tmp_path / "b").get_template("t.txt").render(x=1) == "B 1"
