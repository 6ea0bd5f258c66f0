"""Every config file is validated when any `loa` command starts: a bad value stops it with exit status 1
and ONE line naming the file, the key and what is wrong, never a traceback (issue 17, item 10).

On a copy of the packaged defaults, through the CLI's entry point: most cases in this process (the same
code path minus process start), a few through the real executable in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from loa.config import PACKAGED_CONFIG
from tests.cli_inprocess import LOA, Done, invoke


def _edit_yaml(name: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        data = yaml.safe_load((folder / name).read_text(encoding="utf-8")) or {}
        change(data)
        (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    return edit


def _config(tmp_path: Path, edit: Callable[[Path], None] | None) -> dict[str, str]:
    """A copy of the packaged config, edited; the environment `loa` is run with."""
    folder = tmp_path / "config"
    shutil.copytree(PACKAGED_CONFIG, folder)
    if edit:
        edit(folder)
    return {"LOA_HOME": str(tmp_path / "home"), "LOA_CONFIG_DIR": str(folder), "COLUMNS": "80", "NO_COLOR": "1"}


def _subprocess(tmp_path: Path, edit: Callable[[Path], None] | None, *args: str) -> Done:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")} | _config(tmp_path, edit)
    done = subprocess.run([LOA, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return Done(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def loa(tmp_path, monkeypatch, capsys) -> Callable[..., Done]:
    """`loa *args` in this process on an edited copy of the config. Should a bad config ever pass
    validation, `loa run` fails here instead of starting the whole system inside pytest."""

    def never_start(*_args, **_kwargs):
        raise AssertionError("`loa run` got past config validation")

    monkeypatch.setitem(sys.modules, "loa.app.run", types.SimpleNamespace(run=never_start))
    monkeypatch.chdir(tmp_path)

    def run(edit: Callable[[Path], None] | None, *args: str) -> Done:
        return invoke(monkeypatch, capsys, _config(tmp_path, edit), *args)

    return run


def _append(name: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text((folder / name).read_text(encoding="utf-8") + text)


CASES = [
    # (file, edit, key, words)
    ("loa.yaml", _edit_yaml("loa.yaml", lambda d: d.update(site_titel="x")), "site_titel", "is not a known key"),
    (
        "loa.yaml",
        _edit_yaml("loa.yaml", lambda d: d.update(site_url="javascript:alert(1)")),
        "site_url",
        "must be an http:// or https:// URL",
    ),
    (
        "loa.yaml",
        _edit_yaml("loa.yaml", lambda d: d.update(board_max_chars=-1)),
        "board_max_chars",
        "-1 is outside 40..100000",
    ),
    (
        "loa.yaml",
        _edit_yaml("loa.yaml", lambda d: d.update(runner_poll_seconds=-5)),
        "runner_poll_seconds",
        "-5 is outside 0.1..300",
    ),
    (
        "loa.yaml",
        _edit_yaml("loa.yaml", lambda d: d.update(webhooks=[{"name": "a", "url": "ftp://x/", "secret": "s" * 20}])),
        "webhooks[0].url",
        "must be an http:// or https:// URL",
    ),
    (
        "loa.yaml",
        _edit_yaml("loa.yaml", lambda d: d["ports"].update(web="8080")),
        "ports.web",
        "'8080' is not a whole number",
    ),
    (
        "areas.yaml",
        _edit_yaml("areas.yaml", lambda d: d["communes"].append(d["communes"][0])),
        "communes[",
        "is listed twice",
    ),
    (
        "areas.yaml",
        _edit_yaml("areas.yaml", lambda d: d["groupings"].append(dict(d["groupings"][0]))),
        "groupings[",
        "must be a unique slug",
    ),
    (
        "areas.yaml",
        _edit_yaml("areas.yaml", lambda d: d["groupings"][0].update(slug="thuc-phan")),
        "groupings[0].slug",
        "not a commune's or the province's",
    ),
    (
        "feeds.yaml",
        _edit_yaml("feeds.yaml", lambda d: d["feeds"][0].update(url="javascript:alert(1)")),
        "feeds[0].url",
        "must start with http://, https:// or file://",
    ),
    (
        "stations.yaml",
        _edit_yaml("stations.yaml", lambda d: d["stations"][0].update(voise="vi")),
        "stations[0].voise",
        "is not a known key; expected one of airings",
    ),
    (
        "boards.yaml",
        _edit_yaml("boards.yaml", lambda d: d.update(rotate_second=5)),
        "rotate_second",
        "is not a known key",
    ),
    ("relevance.yaml", lambda f: (f / "relevance.yaml").unlink(), "(file)", "not found"),
    ("relevance.yaml", _edit_yaml("relevance.yaml", lambda d: d.update(threshold=-1)), "threshold", "-1"),
    ("relevance.yaml", lambda f: (f / "relevance.yaml").write_text("threshold: [\n"), "(file)", "not valid YAML"),
    ("lexicon.yaml", _edit_yaml("lexicon.yaml", lambda d: d.update(version=2)), "version", "not a supported version"),
    (
        "mosquitto.conf",
        _append("mosquitto/mosquitto.conf", "\nmax_connections ${max_clients}\n"),
        "${max_clients}",
        "is not a placeholder Loa fills in",
    ),
    ("acl", lambda f: (f / "mosquitto" / "acl").unlink(), "(file)", "not found"),
]


def _refused_in_one_line(tmp_path: Path, result: Done, file: str, key: str, words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: ") and f"{file}: " in lines[0], lines[0]
    assert f": {key}" in lines[0] and words in lines[0], lines[0]
    assert result.stdout == "", result.stdout
    assert not (tmp_path / "home").exists()  # nothing was started or written


@pytest.mark.parametrize("file,edit,key,words", CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
def test_loa_run_refuses_a_bad_config_in_one_line(loa, tmp_path, file, edit, key, words):
    _refused_in_one_line(tmp_path, loa(edit, "run"), file, key, words)


BAD_MAX_CHARS = _edit_yaml("loa.yaml", lambda d: d.update(board_max_chars=-1))


def test_the_executable_refuses_a_bad_config_in_one_line(tmp_path):
    """The process itself: exit status 1 from the installed `loa`, one line on stderr and no traceback."""
    result = _subprocess(tmp_path, BAD_MAX_CHARS, "run")
    _refused_in_one_line(tmp_path, result, "loa.yaml", "board_max_chars", "-1 is outside 40..100000")


def _refused_max_chars(tmp_path: Path, result: Done) -> None:
    assert result.returncode == 1 and result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'config' / 'loa.yaml'}: board_max_chars: -1 is outside 40..100000"
    ], result.stderr
    assert result.stdout == "" and not (tmp_path / "home").exists()


@pytest.mark.parametrize("args", [("areas",), ("show", "1"), ("site", "rebuild"), ("radio", "playlists")])
def test_every_command_validates_first(loa, tmp_path, args):
    _refused_max_chars(tmp_path, loa(BAD_MAX_CHARS, *args))


def test_the_executable_validates_before_any_command(tmp_path):
    _refused_max_chars(tmp_path, _subprocess(tmp_path, BAD_MAX_CHARS, "ingest"))


def test_help_needs_no_valid_config(loa):
    result = loa(BAD_MAX_CHARS, "run", "--help")
    assert result.returncode == 0 and "Start the whole system" in result.stdout


def test_the_packaged_defaults_work_from_any_folder(tmp_path):
    """No LOA_CONFIG_DIR, an empty current directory: the packaged config (and its sample feed) is used."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")} | {"LOA_HOME": str(tmp_path / "h")}
    result = subprocess.run(
        [LOA, "areas", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert '"cao-bang/thuc-phan"' in result.stdout
