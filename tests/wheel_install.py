"""Loa as a user installs it: a wheel built from the tracked files only, installed into a fresh virtualenv.
tests/integration/test_wheel.py checks it from an empty directory on the packaged defaults;
tests/e2e/test_pipeline.py runs its whole system (`loa run`) and its commands from it.

`installed` is one install for the whole pytest run, whichever xdist workers use it: the first process to
ask builds it (~10 s of CPU) while the others wait on a lock, then reuse it.

Only Loa's third-party dependencies are borrowed from this test's virtualenv, through a .pth file listing
its site-packages (a plain path line: the editable install's own .pth there is not processed, so this
checkout stays invisible), which saves a minute of installing and needs no network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT, once_per_run

FOLDER = "wheel-install"  # its once_per_run folder in the run's temp root: lock, build, state


def sh(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout


def wheel_env(bin_folder: Path, home: Path, config_dir: Path | None = None) -> dict[str, str]:
    """The environment a user of the installed wheel has: its bin folder first on PATH (this test's
    virtualenv off it), LOA_HOME (and LOA_CONFIG_DIR if given) and nothing else of Loa, Prefect or Python."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LOA_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = os.pathsep.join(
        [str(bin_folder)]
        + [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(sys.prefix, "bin")]
    )
    env["LOA_HOME"] = str(home)
    if config_dir is not None:
        env["LOA_CONFIG_DIR"] = str(config_dir)
    return env


def _install(tmp: Path) -> Path:
    """Build the wheel from `git ls-files` and install it into a fresh virtualenv under tmp; its bin folder."""
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


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """The bin folder of the run's virtualenv with Loa installed from its wheel, built once per run."""

    def build(folder: Path) -> dict:
        shutil.rmtree(folder / "build", ignore_errors=True)  # left by a process whose build failed
        return {"bin": str(_install(folder / "build"))}

    return Path(once_per_run(tmp_path_factory, FOLDER, build)["bin"])
