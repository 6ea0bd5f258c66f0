"""Message texts for messaging apps, e-mail and SMS (pure; channels/messaging.py sends them with apprise).

An SMS must fit the segments its destination declares. Vietnamese needs UCS-2: 70 characters in a
single SMS, 67 in each part of a longer one. A destination may ask for unaccented text instead
(GSM 03.38: 160 characters, 153 per part; ^{}[]~|€\\ count two). The link always survives whole: the
title is cut at a word boundary to make room for it, and only a budget too small for the link alone
leaves it out.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from loa.model import Priority
from loa.render import truncate_words

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "^{}\\[~]|€"
LABELS = {Priority.EMERGENCY: "KHẨN CẤP", Priority.PRIORITY: "ƯU TIÊN"}
WITHDRAWN = "THU HỒI"
LEAD_CHARS = 300


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def unaccent(text: str) -> str:
    """Vietnamese without diacritics (Đ → D), any character GSM-7 lacks replaced by '?'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    text = text.replace("–", "-").replace("—", "-").replace("“", '"').replace("”", '"').replace("’", "'")
    return "".join(c if c in GSM_BASIC or c in GSM_EXTENDED else "?" for c in text)


def is_gsm(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


def sms_units(text: str) -> tuple[str, int]:
    """(encoding, length in that encoding's units): GSM-7 septets, or UCS-2 16-bit units."""
    if is_gsm(text):
        return "GSM-7", sum(2 if c in GSM_EXTENDED else 1 for c in text)
    return "UCS-2", len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    encoding, units = sms_units(text)
    single, part = (160, 153) if encoding == "GSM-7" else (70, 67)
    return 1 if units <= single else -(-units // part)


def sms_budget(segments: int, unaccented: bool) -> int:
    single, part = (160, 153) if unaccented else (70, 67)
    return single if segments == 1 else part * segments


def sms(
    title: str, url: str, *, priority: Priority, segments: int = 1, unaccented: bool = False, withdrawn: bool = False
) -> str:
    """ "[KHẨN CẤP] <title> <link>" in at most `segments` SMS."""
    label = WITHDRAWN if withdrawn else LABELS.get(priority)
    head = f"[{label}] " if label else ""
    fit = unaccent if unaccented else (lambda s: unicodedata.normalize("NFC", s))
    budget = sms_budget(segments, unaccented)
    head, title, url = fit(head), fit(" ".join(title.split())), fit(url)
    room = budget - _units(head) - 1 - _units(url)
    if room < 8:  # not even a few words beside the link: the title alone
        return _cut(head + title, budget)
    return f"{head}{_cut(title, room)} {url}"


def chat(title: str, lead: str, url: str, *, priority: Priority, withdrawn: bool = False) -> Message:
    """A chat or e-mail message: title (with its priority), lead, link."""
    label = WITHDRAWN if withdrawn else LABELS.get(priority)
    heading = f"[{label}] {title}" if label else title
    note = "Thông báo này đã bị thu hồi.\n\n" if withdrawn else ""
    return Message(heading, f"{note}{truncate_words(lead, LEAD_CHARS)}\n\nXem chi tiết: {url}")


def _units(text: str) -> int:
    return sms_units(text)[1]


def _cut(text: str, limit: int) -> str:
    """Cut at a word boundary to at most `limit` units ('…' marks the cut; '...' in GSM-7)."""
    if _units(text) <= limit:
        return text
    mark = "…" if not is_gsm(text) else "..."
    words = text.split(" ")
    while words and _units(" ".join(words) + mark) > limit:
        words.pop()
    out = " ".join(words).rstrip(",;:.-–") + mark if words else ""
    return out if _units(out) <= limit else text[: max(0, limit)]
