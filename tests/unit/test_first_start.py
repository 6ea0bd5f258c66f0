"""A fresh clone's first `make run`: the minute of installing is announced step by step and pip's own
progress shows (it used to run with --quiet: a silent minute that reads as a hang)."""

import subprocess

from tests.conftest import ROOT


def test_the_install_says_what_it_installs_and_shows_its_progress(tmp_path):
    venv = tmp_path / "venv"
    plan = subprocess.run(
        ["make", "-n", "-B", "venv", f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    said = [line for line in plan if line.startswith("echo ")]
    assert [s.split('"')[1].split("]")[0] + "]" for s in said if s.startswith('echo "[')] == ["[1/3]", "[2/3]", "[3/3]"]
    assert any("about a minute" in s for s in said), said
    install = next(line for line in plan if "uv pip install" in line and ".[test]" in line)
    fallback = next(line for line in plan if "/pip install" in line and ".[test]" in line)  # without uv
    assert "--quiet" not in install + fallback and "-q " not in install + fallback, (install, fallback)
    assert "--progress-bar on" in fallback, fallback
    assert plan.index(next(s for s in said if "[3/3]" in s)) < plan.index(install)
