"""Validation against the OASIS CAP 1.2 schema bundled beside this module (cap12.xsd)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("cap12.xsd")


@lru_cache(maxsize=1)
def _schema():
    import xmlschema  # ~0.2 s to build the schema: once per process, and only where CAP is used

    return xmlschema.XMLSchema(str(SCHEMA_FILE))


def problems(xml: bytes | str) -> list[str]:
    """Why the document is not a valid CAP 1.2 alert (empty: it is). Each reason names the element."""
    import xmlschema

    try:
        return [
            (f"{e.path}: {e.reason}" if e.path else str(e.reason))[:200]
            for e in _schema().iter_errors(xml.decode("utf-8") if isinstance(xml, bytes) else xml)
        ][:5]
    except (xmlschema.XMLSchemaException, ValueError, SyntaxError) as exc:
        return [f"not well-formed XML: {exc}".splitlines()[0]]
