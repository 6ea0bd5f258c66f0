"""Board text that fits by construction: each board profile's own template (loa/templates/board/<template>.txt).

A template lays out what a kind of board shows and calls the fitting helpers bound to its profile:
`one_line(parts)` (a ticker: the title, then the document number, date and short link, the title
shortened to leave them room) and `panel(title, head, sentences)` (the title, a line of number and
date, then the notice's sentences that fit, each whole). Nothing is cut mid-word or mid-name; an
over-long title is shortened at a phrase boundary, with an ellipsis only when no boundary will do.
The boards channel's payload, the desk's preview and `loa show` all call `board_lines()`, so what
the editor sees is what the board shows.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from loa.board_protocol import ELLIPSIS, BoardProfile, wrap
from loa.model import NoticeView
from loa.prose import sentences as split_sentences

log = logging.getLogger(__name__)

SEPARATOR = " · "
# Where a Vietnamese title may end early and still say something whole: before these words or after
# these marks ("Kế hoạch cải cách hành chính nhà nước | năm 2025", "Thông báo lịch tiếp công dân | của …").
_PHRASE_WORDS = (
    "về",
    "về việc",
    "của",
    "trong",
    "tại",
    "theo",
    "đối với",
    "trên",
    "cho",
    "năm",
    "giai đoạn",
    "nhằm",
    "để",
    "và",
    "với",
    "từ",
    "đến",
    "thuộc",
    "khi",
    "sau",
    "trước",
)
_PHRASE_BEFORE = re.compile(
    r"\s(?=(?:" + "|".join(sorted(map(re.escape, _PHRASE_WORDS), key=len, reverse=True)) + r")\s)"
)
_PHRASE_AFTER = re.compile(r"(?<=[,;:])\s|\s(?=[–-]\s)|\s(?=\()")
_TRAIL = " ,;:.-–("


@dataclass(frozen=True)
class BoardSource:
    """What a board's text is made of."""

    title: str
    body: str = ""  # the boards variant: whole sentences (an editor may rewrite it)
    number: str | None = None
    doc_type: str | None = None
    issued_on: str | None = None  # ISO date
    url: str = ""

    @classmethod
    def of(cls, notice: NoticeView, url: str, body: str | None = None) -> BoardSource:
        return cls(
            notice.title,
            notice.variants.get("boards", "") if body is None else body,
            notice.meta.number,
            notice.meta.doc_type,
            notice.meta.issued_on,
            url,
        )


def short_date(iso: str | None) -> str:
    """One date style on boards: 18/03/2025."""
    if not iso:
        return ""
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return ""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def short_link(url: str) -> str:
    """The notice's address as a person types it: no scheme, no 'www.'."""
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url or "").rstrip("/")


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _capitalised(word: str) -> bool:
    return bool(word) and word[0].isupper()


def shorten(text: str, limit: int) -> str:
    """`text` within `limit` characters: whole; else up to a phrase boundary (no ellipsis) that keeps at least
    half of the room; else whole words with '…', never ending inside a name (a run of capitalised words)."""
    text = _nfc(text)
    if len(text) <= limit:
        return text
    if limit < 2:
        return ""
    cuts = sorted(
        {m.start() for m in _PHRASE_BEFORE.finditer(text)} | {m.start() for m in _PHRASE_AFTER.finditer(text)}
    )
    best = [c for c in cuts if limit // 2 <= c <= limit]
    if best:
        return text[: best[-1]].rstrip(_TRAIL)
    words = text[: limit - len(ELLIPSIS) + 1].split(" ")[:-1] or [text[: limit - 1]]
    # do not stop inside a name: "… Nguyễn Văn" would be half a person
    rest = text.split(" ")
    while len(words) > 1 and _capitalised(words[-1]) and len(words) < len(rest) and _capitalised(rest[len(words)]):
        words.pop()
    return " ".join(words).rstrip(_TRAIL) + ELLIPSIS


def one_line(parts: list[str | None], width: int, sep: str = SEPARATOR) -> str:
    """A ticker line: parts[0] (the title) shortened to leave room for the others; when they alone leave the
    title less than a third of the width, the last of them are dropped first."""
    title, tail = _nfc(parts[0] or ""), [_nfc(p) for p in parts[1:] if p and _nfc(p)]
    while True:
        rest = sep.join(tail)
        room = width - len(rest) - (len(sep) if rest else 0)
        if room >= min(len(title), width // 3) or not tail:
            head = shorten(title, max(room, 0))
            return sep.join([x for x in (head, rest) if x])[:width] if head else rest[:width]
        tail.pop()


def _lines(text: str, width: int) -> list[str]:
    return wrap(text, BoardProfile("_", "_", width, 10**6))


def panel(
    title: str, head: list[str | None], body: list[str], width: int, lines: int, sep: str = SEPARATOR
) -> list[str]:
    """A panel: the title (at most half the lines, shortened to fit them), a line of number and date when there
    is room, then whole sentences of the body as one paragraph, in order, while they fit."""
    title = _nfc(title)
    title_rows = max(1, (lines + 1) // 2)
    out = _lines(title, width)
    limit = len(title)
    while len(out) > title_rows and limit > 1:
        limit -= max(1, limit // 10)
        out = _lines(shorten(title, limit), width)
    heading = one_line([x for x in head if x], width, sep) if any(head) else ""
    if heading and len(out) < lines:
        out.append(heading)
    chosen: list[str] = []
    for s in body:
        if len(out) + len(_lines(" ".join(chosen + [s]), width)) > lines:
            break
        chosen.append(s)
    while chosen and chosen[-1].endswith(":"):  # a lead-in ("Một số chỉ tiêu chủ yếu:") is no ending
        chosen.pop()
    return out + (_lines(" ".join(chosen), width) if chosen else [])


def body_sentences(body: str) -> list[str]:
    """The boards variant as sentences, without table debris (label runs like "Số ký hiệu … Người ký …")."""
    out = []
    for s in split_sentences(body):
        if _TABLE_DEBRIS.search(s):
            continue
        out.append(s)
    return out


_TABLE_DEBRIS = re.compile(
    r"\b(?:Số ký hiệu|Ngày ban hành|Người ký|Cơ quan ban hành|Trích yếu|Loại văn bản)\b"
    r"(?!\s*:?\s*$)(?=.*\b(?:Số ký hiệu|Ngày ban hành|Người ký|Chức vụ|Ngày hiệu lực)\b)"
)


def board_lines(src: BoardSource, profile: BoardProfile) -> list[str]:
    """The lines `profile`'s template makes of `src`, guaranteed to fit the profile."""
    from loa.render import make_env

    env = _env(make_env)
    template = env.get_template(f"board/{profile.template}")
    number = _nfc(src.number or "")
    ctx = dict(
        title=_nfc(src.title),
        number=number,
        doc_type=_nfc(src.doc_type or ""),
        ref=(f"Số {number}" if number else ""),
        date=short_date(src.issued_on),
        link=short_link(src.url),
        sentences=body_sentences(src.body),
        width=profile.width,
        lines=profile.lines,
        one_line=lambda parts, sep=SEPARATOR: one_line(parts, profile.width, sep),
        panel=lambda title, head, body, sep=SEPARATOR: "\n".join(
            panel(title, head, body, profile.width, profile.lines, sep)
        ),
    )
    rows = [" ".join(r.split()) for r in template.render(ctx).splitlines()]
    rows = [r for r in rows if r]
    if len(rows) > profile.lines or any(len(r) > profile.width for r in rows):
        log.warning(
            "board template %s made text that does not fit profile %s (%d×%d); wrapped instead",
            profile.template,
            profile.id,
            profile.lines,
            profile.width,
        )
        return wrap(" ".join(rows), profile)
    return rows


def all_lines(src: BoardSource, profiles: tuple[BoardProfile, ...]) -> dict[str, list[str]]:
    return {p.id: board_lines(src, p) for p in profiles}


@lru_cache(maxsize=1)
def _env(make_env):
    return make_env()
