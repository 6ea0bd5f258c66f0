"""A built wheel works on its own: built from the tracked files only, installed into a fresh virtualenv
and run from an empty directory, `loa ingest`, `loa show`, `loa site rebuild` and `loa run` find
everything they need (templates, migrations, static files, schema) inside the installed package.

Loa itself comes only from the wheel: the fresh virtualenv has no system site-packages and the
repository is not on its path (the commands run in an empty directory). Only Loa's third-party
dependencies are borrowed from this test's virtualenv, through a .pth file listing its site-packages
(a plain path line: the editable install's own .pth there is not processed, so this checkout stays
invisible), which saves a minute of installing and needs no network.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import FEEDS, ROOT, write_config
from tests.prefect_server import migrated_prefect_db, seed_prefect_home, shared_prefect_api  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.runs_long(40)]


def sh(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv with Loa installed from a wheel built from `git ls-files`; its bin folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # tracked files only: an untracked file in the checkout cannot make it pass
    for name in sh("git", "ls-files", "-z", cwd=ROOT).split("\0"):
        if name and (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    # build isolation gets a setuptools new enough for the SPDX `license` field from the configured index
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", source, cwd=tmp, timeout=600)
    (wheel,) = (tmp / "dist").glob("loa-*.whl")
    venv = tmp / "venv"
    sh(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    sh(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp)
    purelib = Path(sh(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp).strip())
    (purelib / "loa-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv / "bin"


@pytest.fixture
def workdir(tmp_path, installed) -> tuple[Path, dict[str, str]]:
    """An empty working directory and an environment with only LOA_HOME for Loa: the packaged defaults
    (loa/defaults/config) serve. `override` is a LOA_CONFIG_DIR (a copy of the defaults with free
    ports, as helpers and CI share the machine) for `loa run`, which must listen somewhere free."""
    folder = write_config(
        tmp_path / "config", feeds=[{"url": (FEEDS / "sample-reform.xml").as_uri(), "name": "Mẫu", "area": "cao-bang"}]
    )
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LOA_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = os.pathsep.join(
        [str(installed)]
        + [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(sys.prefix, "bin")]
    )
    env |= {"LOA_HOME": str(tmp_path / "home")}
    return work, env, folder


def test_loa_comes_from_the_wheel_not_the_checkout(installed, workdir):
    work, env, _ = workdir
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


def test_ingest_show_rebuild_and_run_from_an_empty_directory(installed, workdir, migrated_prefect_db):  # noqa: F811
    work, env, override = workdir
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

    env = env | {"LOA_CONFIG_DIR": str(override)}  # the documented override: the same Loa on free ports
    seed_prefect_home(home / "prefect", migrated_prefect_db)  # Prefect's own first-start migration skipped
    ports = yaml.safe_load(Path(override, "loa.yaml").read_text())["ports"]
    site = f"http://127.0.0.1:{ports['web']}"
    log_path = work.parent / "loa-run.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([loa, "run"], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()
        while not (home / "run.json").exists():
            if proc.poll() is not None or time.monotonic() - started > 180:
                pytest.fail(f"loa run did not start: {log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        page = requests.get(f"{site}/", timeout=10)
        assert page.status_code == 200 and page.text == index, page.text[:500]
        login = requests.get(f"{site}/desk/login", timeout=10)  # the desk's own templates
        assert login.status_code == 200 and "<form" in login.text, login.text[:500]
        css = requests.get(f"{site}/static/site.css", timeout=10)  # copied from the packaged templates
        assert css.status_code == 200 and css.text == packaged_css
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert code == 0, log_path.read_text()[-3000:]
    assert not (home / "run.json").exists(), "loa run left run.json behind"
