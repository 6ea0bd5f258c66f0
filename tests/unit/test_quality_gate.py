"""The quality gate is one gate: `make lint`, the pre-commit hooks and pyproject.toml name the same tools,
at the versions pinned in the test extras, over the same code."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT


def pins() -> dict[str, str]:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    return {m[1]: m[2] for spec in extras if (m := re.fullmatch(r"(ruff|mypy)==([\d.]+)", spec))}


def test_tools_are_pinned_exactly():
    assert set(pins()) == {"ruff", "mypy"}, "ruff and mypy are pinned with == in the test extras"


def test_pre_commit_runs_the_same_tools_at_the_pinned_versions():
    hooks = {
        h["id"]: h
        for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"]
        for h in repo["hooks"]
    }
    assert set(hooks) == {"ruff-check", "ruff-format", "mypy"}
    versions = pins()
    for hook_id, hook in hooks.items():
        tool = hook_id.split("-")[0]
        assert hook["entry"].startswith(f".venv/bin/{tool}"), hook  # the pinned install, not another one
        assert f"({versions[tool]})" in hook["name"], (hook["name"], versions[tool])
    assert hooks["mypy"]["pass_filenames"] is False  # the configured file set, as make lint checks it


def test_make_lint_runs_ruff_and_mypy_and_mypy_checks_the_shipped_code():
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert lint, "no lint target"
    commands = lint[1]
    assert "$(BIN)/ruff check" in commands and "$(BIN)/ruff format --check" in commands and "$(BIN)/mypy" in commands
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["files"] == ["loa", "channels", "flows"]
    assert mypy["check_untyped_defs"] and mypy["warn_unused_ignores"]
    assert (ROOT / "loa" / "py.typed").is_file()
