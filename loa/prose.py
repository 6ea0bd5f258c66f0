"""The prose of a notice's HTML: what a person would read aloud or put on a board.

Feed HTML carries more than prose: tables (a document's metadata as label/value rows, or data
no one reads aloud), link labels ("Toàn văn: Kế hoạch số …", "Tải về"), and web furniture
("Chia sẻ", "In bài", "Tin liên quan"). `prose()` keeps the paragraphs and list items as
separate blocks, drops tables and furniture, and returns the facts a metadata table gives
(number, date, signer, …) so a script can say them as sentences. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Blocks that end a paragraph (a <br> too: portals use it as one).
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "li",
        "blockquote",
        "section",
        "article",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "dd",
        "dt",
        "pre",
        "br",
        "hr",
        "ul",
        "ol",
        "figcaption",
    }
)
_DROP = frozenset(
    {
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "noscript",
        "template",
        "svg",
        "math",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "button",
        "figure",
        "caption",
    }
)

# Metadata table labels (lowercase, no trailing colon) → the fact they give.
FACT_LABELS = {
    "số ký hiệu": "number",
    "số hiệu": "number",
    "ký hiệu": "number",
    "số văn bản": "number",
    "ngày ban hành": "issued_on",
    "ngày ký": "issued_on",
    "người ký": "signer",
    "chức vụ": "position",
    "chức danh": "position",
    "cơ quan ban hành": "issuer",
    "nơi ban hành": "issuer",
    "đơn vị ban hành": "issuer",
    "loại văn bản": "doc_type",
    "hình thức văn bản": "doc_type",
    "ngày hiệu lực": "effective_on",
    "ngày có hiệu lực": "effective_on",
    "hiệu lực": "effective_on",
    "trích yếu": "subject",
    "trích yếu nội dung": "subject",
    "lĩnh vực": "field",
}

# A block that is only a link label or web furniture: never read aloud, never on a board.
_FURNITURE = re.compile(
    r"^(?:toàn văn|xem (?:toàn văn|chi tiết|thêm|tiếp|tại)|chi tiết xem(?: tại)?|tải về|tải xuống|tải văn bản|"
    r"văn bản (?:đính kèm|gốc)|(?:file|tệp|tập tin) đính kèm|đính kèm|nguồn(?: tin)?|tin liên quan|bài liên quan|"
    r"chia sẻ|in bài|in trang|bình luận|gửi bình luận|lượt xem|từ khóa|tags?|quay lại|về đầu trang|"
    r"ảnh minh họa|ảnh: )\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Prose:
    blocks: tuple[str, ...] = ()  # paragraphs and list items, in order, each NFC with single spaces
    facts: dict[str, str] = field(default_factory=dict)  # from metadata tables: number, issued_on, signer, …

    @property
    def text(self) -> str:
        return " ".join(self.blocks)


def prose(html: str) -> Prose:
    """The readable blocks of `html` (sanitised or not) and the facts of its metadata tables."""
    parser = _ProseParser()
    parser.feed(html or "")
    parser.close()
    parser.end_block()
    return Prose(tuple(parser.blocks), parser.facts)


def is_furniture(block: str, linked: bool = False) -> bool:
    """A link label or page furniture (`linked`: every word of the block is inside a link)."""
    return linked or bool(_FURNITURE.match(block.strip(" -–•*·")))


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“(]?[A-ZĐÀ-Ỹ0-9])")
_ABBREV_END = re.compile(r"(?:\b(?:TP|Tp|P|TT|H|X|Q|ThS|TS|PGS|GS|Đ/c|đ/c|St|Mr|Ms|v\.v)|\b[A-ZĐ])\.$")


def sentences(text: str) -> list[str]:
    """`text` split into sentences at '.', '!', '?', '…' followed by a capital or digit, never after an
    abbreviation ("TP. Cao Bằng", "Đ/c. Hùng") or inside a number ("1.325")."""
    text = " ".join(unicodedata.normalize("NFC", text or "").split())
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        piece = text[start : m.start()]
        if _ABBREV_END.search(piece):
            continue
        out.append(piece)
        start = m.end()
    out.append(text[start:])
    return [s.strip() for s in out if s.strip()]


def fact_label(label: str) -> str | None:
    key = " ".join(label.lower().split()).strip(" :.")
    return FACT_LABELS.get(key)


class _ProseParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.facts: dict[str, str] = {}
        self._parts: list[str] = []
        self._linked: list[bool] = []  # per piece of text of the current block: inside a link?
        self._drop: list[str] = []
        self._links = 0
        self._table = 0
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None

    # --- blocks -----------------------------------------------------------------------------

    def end_block(self) -> None:
        text = unicodedata.normalize("NFC", " ".join("".join(self._parts).split()))
        pieces = [(t, linked) for t, linked in zip(self._parts, self._linked) if t.strip()]
        self._parts, self._linked = [], []
        if not text:
            return
        all_linked = bool(pieces) and all(linked for _, linked in pieces)
        if is_furniture(text, all_linked):
            return
        self.blocks.append(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self._drop or tag in _DROP:
            if tag in _DROP:
                self._drop.append(tag)
            return
        if tag == "table":
            self.end_block()
            self._table += 1
            if self._table == 1:
                self._rows = []
        elif self._table:
            if tag == "tr":
                self._rows.append([])
            elif tag in ("td", "th"):
                self._cell = []
        elif tag == "a":
            self._links += 1
        elif tag in _BLOCKS:
            self.end_block()

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if not self._drop and not self._table and tag in _BLOCKS:
            self.end_block()

    def handle_endtag(self, tag: str) -> None:
        if self._drop:
            if tag == self._drop[-1]:
                self._drop.pop()
            return
        if self._table:
            if tag in ("td", "th") and self._cell is not None:
                if self._rows:
                    self._rows[-1].append(" ".join("".join(self._cell).split()))
                self._cell = None
            elif tag == "table":
                self._table -= 1
                if not self._table:
                    self._read_table(self._rows)
            return
        if tag == "a":
            self._links = max(0, self._links - 1)
        elif tag in _BLOCKS:
            self.end_block()

    def handle_data(self, data: str) -> None:
        if self._drop:
            return
        if self._table:
            if self._cell is not None:
                self._cell.append(data)
            return
        self._parts.append(data)
        self._linked.append(self._links > 0)

    def _read_table(self, rows: list[list[str]]) -> None:
        """A table whose rows are label/value pairs with known labels gives facts; any table is dropped."""
        for row in rows:
            if len(row) == 2 and (name := fact_label(row[0])) and row[1]:
                self.facts.setdefault(name, unicodedata.normalize("NFC", row[1]))
        # a header row of labels over one row of values
        if len(rows) >= 2 and rows[0] and all(fact_label(c) for c in rows[0]) and len(rows[1]) == len(rows[0]):
            for label, value in zip(rows[0], rows[1]):
                if value and (name := fact_label(label)):  # every label is known: checked above
                    self.facts.setdefault(name, unicodedata.normalize("NFC", value))
