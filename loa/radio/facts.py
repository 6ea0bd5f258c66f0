"""The key facts a listener must remember: by when, and where to go. Pure functions over plain text.

A notice's script ends by repeating them ("Bà con lưu ý: …"), the way an announcer does, when the
text states them. A deadline is a date that a deadline word introduces ("trước ngày 25/4/2025",
"chậm nhất ngày …", "đến hết ngày …", "từ ngày … đến ngày …"); the date a document was issued
("Kế hoạch số 1050/KH-UBND ngày 14/4/2025") is not one. A place is where the text sends people
("tại Trung tâm Phục vụ hành chính công xã", "đến Bộ phận Một cửa", "trên Cổng Dịch vụ công quốc gia").
"""

from __future__ import annotations

import re

_DATE = r"(?:\d{1,2}\s*giờ(?:\s*\d{1,2}(?:\s*phút)?)?\s*(?:,\s*)?)?(?:ngày\s+)?\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?"
_DATE_WORDS = r"(?:ngày\s+\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?)"
_ANY_DATE = rf"(?:{_DATE}|{_DATE_WORDS})"
_DEADLINE_WORD = (
    r"(?:trước|chậm nhất(?:\s+là|\s+vào)?|muộn nhất(?:\s+là)?|hạn chót(?:\s+là)?|hạn cuối(?:\s+là)?|"
    r"thời hạn(?:\s+đến)?|không muộn hơn|đến hết|đến|hết hạn vào)"
)
_DEADLINE = re.compile(
    rf"(?:(?:từ|kể từ)\s+{_ANY_DATE}\s+(?:đến(?:\s+hết)?|tới)\s+{_ANY_DATE}|\b{_DEADLINE_WORD}\s+{_ANY_DATE}|"
    rf"\b(?:hạn chót|hạn cuối|thời hạn|thời gian)\b[^,;.!?]{{0,40}}?\b(?:là|vào)\s+{_ANY_DATE})",
    re.IGNORECASE,
)
_CLAUSE_STOP = re.compile(r"[,;:.!?()]|\s[–-]\s")

# Where people are sent: an institution or a place people go to, after tại/đến/về/trên.
_PLACE_HEAD = (
    r"(?:Trung tâm|Bộ phận|bộ phận|Trụ sở|trụ sở|Nhà văn hóa|nhà văn hóa|Nhà văn hoá|nhà văn hoá|"
    r"Hội trường|hội trường|Ủy ban|Uỷ ban|UBND|Công an|công an|Trạm|trạm|Phòng|Sở|Bưu điện|bưu điện|"
    r"Điểm|điểm bưu điện|Cổng|cổng|Trường|trường|Chi nhánh|Văn phòng|Ban quản lý|ứng dụng|Ứng dụng|"
    r"Tổng đài|tổng đài|Đường dây nóng|đường dây nóng)"
)
_PLACE = re.compile(rf"\b(?:tại|đến|về|trên|qua)\s+(?:các\s+|những\s+)?({_PLACE_HEAD}\b[^,;:.!?()]*)")
_PLACE_STOP = re.compile(
    r"\s(?:để|từ|trước|trong|theo|kể từ|khi|nếu|thì|và được|hoặc qua|nhằm|với|chậm nhất|"
    r"đến hết|đến ngày|vào|do)\s"
)
_MAX_WORDS = 16


def deadlines(text: str) -> list[str]:
    """Each deadline clause in order, as written: ["hoàn thành trước ngày 25/4/2025"]; a clause longer than a
    listener holds in mind is cut to the deadline itself ("trước ngày 25/4/2025")."""
    out: list[str] = []
    for m in _DEADLINE.finditer(text or ""):
        if _issue_date(text, m.start()):
            continue
        clause = _clause(text, m.start(), m.end())
        if len(clause.split()) > _MAX_WORDS:
            clause = m.group(0)
        clause = clause.strip()
        if clause and not any(clause in seen or seen in clause for seen in out):
            out.append(clause)
    return out


def places(text: str) -> list[str]:
    """Each place people are sent to, in order, without repeats: ["Bộ phận Một cửa gần nhất"]."""
    out: list[str] = []
    for m in _PLACE.finditer(text or ""):
        place = m.group(1)
        stop = _PLACE_STOP.search(" " + place + " ")
        if stop:
            place = (" " + place)[: stop.start()]
        place = " ".join(place.split()).rstrip(" -–")
        if len(place.split()) > _MAX_WORDS:
            place = " ".join(place.split()[:_MAX_WORDS])
        if len(place.split()) >= 2 and not any(place.lower() in p.lower() for p in out):
            out = [p for p in out if p.lower() not in place.lower()] + [place]
    return out


def recap(title: str, text: str) -> str | None:
    """The closing reminder of a notice: what to do, by when, where to go; None when the text gives neither a
    deadline nor a place (the title alone is no reminder worth the airtime).

    "What" is the action the text asks for, taken from the sentence that sets the deadline or the place
    ("khẩn trương di chuyển người và tài sản"), not the title read a second time; only when the text
    names no action does the title's subject stand in, without its document-type preamble."""
    when, where = deadlines(text), places(text)
    if not when and not where:
        return None
    what = action(text, when + where) or _subject(title)
    parts = [f"Bà con lưu ý: {what}"] if what else ["Bà con lưu ý"]
    if when:
        parts.append("thời hạn: " + "; ".join(when[:2]))
    if where:
        parts.append("địa điểm: " + "; ".join(where[:2]))
    return ". ".join(p[0].upper() + p[1:] if i else p for i, p in enumerate(parts)) + "."


# Words that introduce what people are asked to do; the action starts there, its subject stays out.
_ASK = re.compile(
    r"\b(?:đề nghị|yêu cầu|kêu gọi|vui lòng|khẩn trương|cần|phải|có thể|hãy|mang theo|tiếp tục)\b", re.IGNORECASE
)
_PLACE_WORD = re.compile(r"\s(?:tại|đến|về|trên|qua)\s*$")
_MIN_ACTION, _MAX_ACTION = 3, 14


def action(text: str, facts: list[str]) -> str | None:
    """The action of the clause that holds the first deadline or place, without that fact or the subject:
    "Các hộ … khẩn trương di chuyển người và tài sản đến nhà văn hóa …" → "khẩn trương di chuyển người và
    tài sản". None when that clause asks nothing or its action is too short or too long to repeat."""
    found = sorted(at for at in (text.find(f) for f in facts) if at >= 0)
    for at in found:
        start = max((m.end() for m in _CLAUSE_STOP.finditer(text, 0, at)), default=0)
        if start == 0:
            start = _clause_start(text, at)
        at = min(a for a in found if a >= start)  # the clause's first fact ends its action
        head = _PLACE_WORD.sub("", text[start:at]).strip(" ,;")
        head = re.sub(r"\s(?:và|,)?\s*(?:chậm nhất|trước|đến hết|muộn nhất)\s*$", "", head).strip(" ,;")
        asks = list(_ASK.finditer(head))  # the last: "cần hỗ trợ có thể đến …" asks with "có thể"
        ask = asks[-1] if asks else _WHO.match(head)
        if ask is None:
            continue
        phrase = head[ask.end() :] if ask.re is _WHO else head[ask.start() :]
        phrase = _REQUEST.sub("", phrase)
        if _MIN_ACTION <= len(phrase.split()) <= _MAX_ACTION:
            return phrase
    return None


# Who a notice addresses, at the start of the clause: the action is what follows.
_WHO = re.compile(
    r"(?:các\s+)?(?:hộ gia đình|người dân|bà con|nhân dân|công dân|tổ chức, cá nhân|phụ huynh|người lao động)"
    r"(?:\s+(?:trên địa bàn|trong xã|trong phường)\S*)?\s+",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"^(?:đề nghị|yêu cầu|kêu gọi|vui lòng)\s+(?:(?:các\s+)?(?:bà con|người dân|nhân dân|hộ gia đình|công dân)\s+)?",
    re.IGNORECASE,
)


_PREAMBLE = re.compile(
    r"^(?:(?:Thông báo|Kế hoạch|Quyết định|Công văn|Chỉ thị|Hướng dẫn)(?:\s+số\s+\S+)?\s*:?\s*)?(?:về\s+việc\s+|v/v\s+)?",
    re.IGNORECASE,
)


def _subject(title: str) -> str:
    """The title without its document-type preamble ("Thông báo về việc …")."""
    return _PREAMBLE.sub("", title.strip().rstrip(".")).strip() or title.strip().rstrip(".")


def _issue_date(text: str, pos: int) -> bool:
    """The date right after a document number is its issue date ("… số 1050/KH-UBND ngày 14/4/2025")."""
    before = text[max(0, pos - 40) : pos]
    return bool(re.search(r"\d+/[\wĐđ-]+\s*$", before))


def _clause(text: str, start: int, end: int) -> str:
    left = start
    for m in _CLAUSE_STOP.finditer(text, 0, start):
        left = m.end()
    stop = _CLAUSE_STOP.search(text, end)
    # a date's own dots and slashes are not clause ends: the regex consumed them already
    right = stop.start() if stop else len(text)
    if left == start:
        left = _clause_start(text, start)
    return text[left:right]


def _clause_start(text: str, start: int) -> int:
    """With no punctuation before the deadline, the clause starts at its sentence's start."""
    m = None
    for m in re.finditer(r"[.!?]\s", text[:start]):  # noqa: B007 - the last match is the one wanted
        pass
    return m.end() if m else 0
