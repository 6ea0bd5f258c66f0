"""lexicon.yaml: how the radio reads abbreviations, numbers and units aloud (loa.speech.readaloud).

Checked by Lexicon.from_dict (version, sections, options); read here with the other files so a bad
lexicon stops start-up, not the first radio script."""

from __future__ import annotations

import logging
from pathlib import Path

from loa.config.files import read_yaml
from loa.speech.readaloud import Lexicon

log = logging.getLogger(__name__)


def load_lexicon(file: Path) -> Lexicon:
    """Built once per process for the same text (every test's copy of the config, a worker's reload):
    building compiles hundreds of patterns."""
    data = file.read_bytes() if file.is_file() else b""
    if data not in _BUILT:
        _BUILT.clear()  # keep one: configs do not alternate
        _BUILT[data] = Lexicon.from_dict(read_yaml(file), str(file))
    return _BUILT[data]


_BUILT: dict[bytes, Lexicon] = {}
