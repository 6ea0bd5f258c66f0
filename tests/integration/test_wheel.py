"""A built wheel works on its own: built from the tracked files only, installed into a fresh virtualenv
and run from an empty directory, `loa ingest`, `loa show 1 --channel radio`, `loa site rebuild` and
`loa run` find everything they need (templates, migrations, static files, schema) inside the installed
package.

Loa itself comes only from the wheel: the fresh virtualenv has no system site-packages and the
repository is not on its path (the commands run in an empty directory); only Loa's third-party
dependencies are borrowed from this test's virtualenv (tests/wheel_install.py, which builds and installs
the wheel once for the whole run).

Where each part is checked:
- the wheel's Loa is not the checkout's, and carries its templates: test_loa_comes_from_the_wheel_not_the_checkout;
- `loa ingest`, `loa show 1 --channel radio` and `loa site rebuild` on the packaged defaults (only
  LOA_HOME set): test_ingest_show_and_rebuild_from_an_empty_directory, here;
- `loa run`: the whole system of tests/e2e/test_pipeline.py runs from this same install (its `loa run`
  and every `loa` command there, from an empty directory with LOA_HOME and LOA_CONFIG_DIR, the
  documented override giving free ports); test_the_wheel_serves_the_site_it_rebuilt_its_desk_and_packaged_css
  there checks the page served equals the index `loa site rebuild` wrote, /desk/login and
  /static/site.css (the packaged one), and its `system` fixture that `loa run` stops with exit 0 on
  Ctrl-C and leaves no run.json. A second `loa run` here would cost ~20 s of CPU for nothing more.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FEEDS, ROOT
from tests.wheel_install import installed, sh, wheel_env  # noqa: F401

# the wheel's build (~12 s) if this module asks for it first, and ~11 s of `loa` commands
pytestmark = [pytest.mark.integration, pytest.mark.runs_long(25)]


@pytest.fixture
def workdir(tmp_path, installed) -> tuple[Path, dict[str, str]]:  # noqa: F811
    """An empty working directory and an environment with only LOA_HOME for Loa: the packaged defaults
    (loa/defaults/config) serve."""
    work = tmp_path / "work"
    work.mkdir()
    return work, wheel_env(installed, tmp_path / "home")


def test_loa_comes_from_the_wheel_not_the_checkout(installed, workdir):  # noqa: F811
    work, env = workdir
    where = json.loads(
        sh(
            installed / "python",
            "-c",
            "import json, loa, channels, flows, loa.render as r, loa.board_protocol as b;"
            "print(json.dumps([loa.__file__, channels.__file__, flows.__file__, str(r.TEMPLATES), str(b.BOARD_TEMPLATES)]))",
            cwd=work,
            env=env,
        )
    )
    venv = installed.parent.resolve()
    for path in where:
        assert Path(path).resolve().is_relative_to(venv), (path, venv)
        assert not Path(path).resolve().is_relative_to(ROOT), path
    templates = Path(where[3])
    for name in (
        "website/index.html",
        "website/site.css",
        "desk/login.html",
        "print/bulletin.html",
        "radio/script.txt",
    ):
        assert (templates / name).is_file(), name
    assert (Path(where[4]) / "panel.txt").is_file()
    assert (Path(where[0]).parent / "py.typed").is_file()


def test_ingest_show_and_rebuild_from_an_empty_directory(installed, workdir):  # noqa: F811
    work, env = workdir
    loa = installed / "loa"
    home = Path(env["LOA_HOME"])
    feed = (FEEDS / "sample-reform.xml").as_uri()
    templates = sh(installed / "python", "-c", "import loa.render as r; print(r.TEMPLATES)", cwd=work, env=env).strip()
    packaged_css = Path(templates, "website", "site.css").read_text()

    reports = json.loads(sh(loa, "ingest", "--feed", feed, "--json", cwd=work, env=env))
    assert [r["status"] for r in reports] == ["ok"], reports
    assert 1 in reports[0]["drafted"], reports
    # the packaged feeds.yaml names the packaged sample feed: it is found from any working directory
    # (the other default feeds are real portals: offline here, they fail and are reported, exit 0)
    done = subprocess.run([loa, "ingest", "--json"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    sample = next(r for r in json.loads(done.stdout) if r["url"].endswith("/loa/defaults/feeds/sample-reform.xml"))
    assert sample["status"] in ("ok", "not_modified") and sample["url"].startswith("file:///"), sample

    script = sh(loa, "show", "1", "--channel", "radio", cwd=work, env=env)  # the radio template, rendered
    assert len(script.split()) > 20, script
    assert "{{" not in script and "{%" not in script, script

    rebuilt = json.loads(sh(loa, "site", "rebuild", "--json", cwd=work, env=env))
    assert Path(rebuilt["root"]) == home / "site"
    index = (home / "site" / "index.html").read_text()
    assert "<html" in index and "{{" not in index, index[:500]
    # the site's stylesheet is the packaged one (what `loa run` serves at /static/site.css: tests/e2e)
    assert (home / "site" / "static" / "site.css").read_text() == packaged_css
