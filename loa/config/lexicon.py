"""lexicon.yaml: how the radio reads abbreviations, numbers and units aloud (loa.speech.readaloud).

Checked by Lexicon.from_dict (version, sections, options); read here with the other files so a bad
lexicon stops start-up, not the first radio script."""

from __future__ import annotations

from pathlib import Path

from loa.config.files import read_yaml
from loa.speech.readaloud import Lexicon


def load_lexicon(file: Path) -> Lexicon:
    return Lexicon.from_dict(read_yaml(file), str(file))
