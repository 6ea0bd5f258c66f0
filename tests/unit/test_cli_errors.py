"""Error lines are plain text printed whole: brackets are not markup, long paths are not folded."""

from __future__ import annotations

import pytest
import typer

from loa.app.cli_common import fail


def test_an_error_keeps_brackets_and_long_paths_whole(capsys):
    path = "/tmp/" + "very-long-directory-name-" * 6 + "not-audio.mp3"
    with pytest.raises(typer.Exit) as exit_:
        fail(f"config/loa.yaml: messaging[0].url [bold]is not a URL[/]; recording {path} is unreadable")
    assert exit_.value.exit_code == 1
    printed = capsys.readouterr().err
    assert "messaging[0].url [bold]is not a URL[/]" in printed  # not eaten as markup
    assert path in printed and printed.count("\n") == 1  # one line, the path whole
