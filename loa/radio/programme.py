"""A slot as a radio programme, not a pile of notices: a pure plan of segments.

The station opens the slot once (its ident and greeting), links its notices ("Tin tiếp theo."),
reads each emergency twice ("Xin nhắc lại thông báo khẩn cấp." then the same notice again) and
closes once (where to ask, thanks). The wording is the station's (stations.yaml `programme`); a
notice's own script carries no greeting or closing (loa.radio.script). The builder turns the plan
into audio files and playlist entries (loa.radio.build).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from loa.model import Priority

KINDS = ("opening", "notice", "bridge", "closing")
PLACEHOLDERS = frozenset({"station", "office", "area"})
DEFAULT_OFFICE = "Trung tâm Phục vụ hành chính công xã"


@dataclass(frozen=True)
class Wording:
    """What a station says around its notices. `{station}`, `{office}` and `{area}` are filled in."""

    opening: str = "Đây là {station}. Kính thưa bà con nhân dân, sau đây là các thông báo về cải cách hành chính."
    emergency_opening: str = "Đây là {station}. Kính thưa bà con nhân dân, sau đây là thông báo khẩn cấp."
    bridge: str = "Tin tiếp theo."
    repeat: str = "Xin nhắc lại thông báo khẩn cấp."
    closing: str = "Bà con cần biết thêm thông tin, xin liên hệ {office}. {station} xin cảm ơn bà con đã lắng nghe."
    office: str = DEFAULT_OFFICE

    def say(self, key: str, *, station: str, area: str = "") -> str:
        return getattr(self, key).format(station=station, office=self.office, area=area).strip()


def check_template(text: str) -> str | None:
    """Why `text` is no valid wording (an unknown {placeholder} or a stray brace), or None."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        return f"{exc} (write a literal brace as {{{{ or }}}})"
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        return (
            f"unknown placeholder {{{unknown[0]}}}; use {{station}} (the station's name), {{office}} "
            f"(the one-stop office) or {{area}}"
        )
    return None


@dataclass(frozen=True)
class Item:
    """A notice of the slot, in airing order."""

    notice_id: int
    version: int
    priority: Priority


@dataclass(frozen=True)
class Segment:
    kind: str  # opening | notice | bridge | closing
    text: str | None = None  # what the station says (None for a notice: its own script or recording)
    notice: tuple[int, int] | None = None  # (id, version) of a notice segment
    key: str = ""  # the Wording sentence it says: opening, emergency_opening, bridge, repeat, closing


def plan(
    items: list[Item], wording: Wording, *, station: str, area: str = "", emergency_only: bool = False
) -> list[Segment]:
    """The programme of one slot: opening, each notice (an emergency twice) linked by bridges, closing.
    An empty slot is no programme at all (nothing airs)."""
    if not items:
        return []
    say = lambda key: wording.say(key, station=station, area=area)  # noqa: E731
    opening = "emergency_opening" if emergency_only else "opening"
    out = [Segment("opening", say(opening), key=opening)]
    for i, item in enumerate(items):
        if i:
            out.append(Segment("bridge", say("bridge"), key="bridge"))
        notice = (item.notice_id, item.version)
        out.append(Segment("notice", notice=notice))
        if item.priority == Priority.EMERGENCY:
            out += [Segment("bridge", say("repeat"), key="repeat"), Segment("notice", notice=notice)]
    out.append(Segment("closing", say("closing"), key="closing"))
    return out
