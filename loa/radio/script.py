"""A notice's read-aloud script, before read-aloud normalisation: pure functions over the document.

The script is the notice alone: its title, its metadata said as sentences ("Quyết định số 512/QĐ-UBND
của UBND tỉnh Cao Bằng, ban hành ngày 18/3/2025. Văn bản do Phó Chủ tịch UBND tỉnh Nguyễn Văn Hùng
ký."), its paragraphs and list items each as a sentence (tables, link labels and web furniture left
out: loa.prose), and a closing reminder of what, by when and where (loa.radio.facts). The greeting,
the links between notices and the closing are the station's, said once per slot
(loa.radio.programme), never in a notice's own script.
"""

from __future__ import annotations

import re
from datetime import date

from loa.model import DocumentMeta
from loa.prose import Prose
from loa.radio.facts import recap

_BULLET = re.compile(r"^\s*(?:[-–•*+·▪●◦]|\d{1,2}[.)]|[a-zđ][.)])\s+")
_END = ".!?…"


def sentence(text: str) -> str:
    """`text` ending as a sentence, so espeak-ng pauses after it: a list item's ';' or ',' becomes '.'."""
    text = " ".join((text or "").split()).rstrip(" ;,")
    if not text:
        return ""
    return text if text[-1] in _END or text[-1] == ":" else text + "."


def spoken_date(value: str | None) -> str | None:
    """An ISO date as a document writes it (18/3/2025), which read-aloud says in words; other text as is."""
    if not value:
        return None
    try:
        d = date.fromisoformat(value[:10])
    except ValueError:
        return value.strip()
    return f"{d.day}/{d.month}/{d.year}"


def meta_sentences(meta: DocumentMeta, facts: dict[str, str]) -> list[str]:
    """The document's metadata (from the classifier and any metadata table) as sentences, never a table read
    as one run-on line."""
    number = meta.number or facts.get("number")
    doc_type = meta.doc_type or facts.get("doc_type") or "Văn bản"
    issuer = meta.issuer or facts.get("issuer")
    issued = spoken_date(meta.issued_on) or spoken_date(facts.get("issued_on"))
    signer = meta.signer or facts.get("signer")
    position = facts.get("position")
    effective = spoken_date(meta.effective_on) or spoken_date(facts.get("effective_on"))
    out = []
    if number:
        first = f"{doc_type} số {number}" + (f" của {issuer}" if issuer else "")
        out.append(first + (f", ban hành ngày {issued}." if issued else "."))
    if signer:
        who = f"{position} {signer}" if position and position.lower() not in signer.lower() else signer
        out.append(f"Văn bản do {who} ký.")
    if effective:
        if effective[0].isdigit():
            out.append(f"Văn bản có hiệu lực từ ngày {effective}.")
        else:
            out.append(sentence(f"Văn bản có hiệu lực {effective[0].lower() + effective[1:]}"))
    return out


def body_lines(title: str, body: Prose) -> list[str]:
    """The paragraphs and list items, one sentence group per line, bullets removed; a block that only
    repeats the title is left out."""
    said = {_key(title)}
    out = []
    for block in body.blocks:
        line = sentence(_BULLET.sub("", block))
        line = line[:1].upper() + line[1:]  # a list item starts its own sentence
        if line and _key(line) not in said:
            said.add(_key(line))
            out.append(line)
    return out


def script_lines(title: str, meta: DocumentMeta, body: Prose) -> list[str]:
    """The whole notice script, one line per sentence group (each goes through read-aloud)."""
    lines = [sentence(title), *meta_sentences(meta, body.facts), *body_lines(title, body)]
    reminder = recap(title, body.text)
    if reminder:
        lines.append(reminder)
    return [line for line in lines if line]


def _key(text: str) -> str:
    return " ".join(text.lower().strip(" .;:!?…").split())
