"""relevance.yaml: the weighted keywords that decide whether a document is about administrative reform.

Its rules are checked by loa.ingest.classify (RelevanceRules.from_dict); read here with the other files
so a missing or bad file stops start-up, not the first ingest."""

from __future__ import annotations

import logging
from pathlib import Path

from loa.config.files import read_yaml
from loa.ingest.classify import RelevanceRules

log = logging.getLogger(__name__)


def load_relevance(file: Path) -> RelevanceRules:
    """Built once per process for the same text (every test's copy of the config, a worker's reload):
    building compiles hundreds of patterns."""
    data = file.read_bytes() if file.is_file() else b""
    if data not in _BUILT:
        _BUILT.clear()  # keep one: configs do not alternate
        _BUILT[data] = RelevanceRules.from_dict(read_yaml(file), str(file))
    return _BUILT[data]


_BUILT: dict[bytes, RelevanceRules] = {}
