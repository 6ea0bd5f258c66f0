"""Validation against the OASIS CAP 1.2 schema bundled beside this module (cap12.xsd), with lxml
(libxml2): ~0.05 s per process to import and build, where xmlschema took ~0.5 s in every dispatch."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

from lxml import etree

from loa.cap import NS

SCHEMA_FILE = Path(__file__).with_name("cap12.xsd")
MAX_REASONS = 5
MAX_REASON_CHARS = 200

# A received alert is untrusted: no entity is expanded, no DTD or anything else is fetched.
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False}
# libxml2's messages name elements {namespace}local: the local name reads better (not a set {'Geo', ...})
_CLARK = re.compile(r"\{[^}'\s]+\}")
# libxml2's jargon, and the "Element 'x': " that repeats the path leading the reason
_NOISE = re.compile(r"^Element '[^']*': |\[facet '[^']*'\] ")
# a validator keeps the error log of its last run: two threads validating at once would mix their reasons
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), etree.XMLParser(**_PARSER_OPTIONS)))


def _path(el: etree._Element) -> str:
    """/alert/info[2]/area: local names (a foreign namespace kept, {urn:…cap:1.1}alert), [n] where an
    element has siblings of the same name. libxml2's own is /*/*[7]/*[4] in a default namespace."""
    steps = []
    for node in [el, *el.iterancestors()]:
        qname = etree.QName(node)
        name = qname.localname if qname.namespace in (NS, None) else node.tag
        parent = node.getparent()
        same = list(parent.iterchildren(node.tag)) if parent is not None else [node]
        steps.append(f"{name}[{same.index(node) + 1}]" if len(same) > 1 else name)
    return "/" + "/".join(reversed(steps))


def _reason(doc: etree._Element, path: str | None, message: str) -> str:
    try:
        found = doc.xpath(path) if path else None
    except etree.XPathError:
        found = None
    what = _CLARK.sub("", message)
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        what = f"{_path(found[0])}: {_NOISE.sub('', what)}"
    # else the message's own "Element 'x': " names the element
    return what[:MAX_REASON_CHARS]


def problems(xml: bytes | str) -> list[str]:
    """Why the document is not a valid CAP 1.2 alert (empty: it is): at most five reasons, each naming
    the element and what is wrong. Never raises for bad input."""
    # a str is decoded already: its UTF-8 bytes are read as such, whatever its declaration says
    parser = etree.XMLParser(encoding="utf-8" if isinstance(xml, str) else None, **_PARSER_OPTIONS)
    try:
        doc = etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        return [f"not well-formed XML: {exc}".splitlines()[0][:MAX_REASON_CHARS]]
    for entity in doc.iter(etree.Entity):  # left unexpanded by the parser: libxml2 cannot validate it
        where = _path(entity.getparent())
        return [f"{where}: entity reference {entity.text} (a CAP alert declares no entities)"[:MAX_REASON_CHARS]]
    schema = _schema()
    with _LOCK:
        try:
            if schema.validate(doc):
                return []
        except etree.Error as exc:  # libxml2 gave up on the document rather than naming a fault in it
            return [f"{_path(doc)}: cannot be validated: {exc}"[:MAX_REASON_CHARS]]
        errors = [(e.path, e.message) for e in schema.error_log]
    return [_reason(doc, path, message) for path, message in errors[:MAX_REASONS]]
