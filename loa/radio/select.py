"""What a slot airs: a pure function over the station's notices, their airing history and the slot length.

Order (Circular 39/2020/TT-BTTTT): emergency, then priority, then normal; within a level, notices
carried over from the station's previous slot first, then newest first. A notice version airs
`airings` times in all, at most ceil(airings / over_days) times a day, so its airings spread over
`over_days` days. Emergencies air in every slot until they expire or are withdrawn, whatever the
quota and the length (and at once, in the emergency playlist); any other notice that does not fit
in what is left of the slot is overflow: reported, and carried to the next slot ahead of newer
notices of its level. A later, shorter notice may still fill the gap (first fit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from loa.model import Priority
from loa.publishing.machine import is_due, is_expired

RANK = {Priority.EMERGENCY: 0, Priority.PRIORITY: 1, Priority.NORMAL: 2}

NoticeKey = tuple[int, int]  # (notice id, version)


@dataclass(frozen=True)
class Track:
    """One audio file of a playlist, relative to LOA_HOME/radio (folder/file)."""

    file: str
    seconds: float
    title: str
    language: str | None = None
    folder: str = "audio"  # audio | jingles
    notice: NoticeKey | None = None

    @property
    def path(self) -> str:
        return f"{self.folder}/{self.file}"


@dataclass(frozen=True)
class Candidate:
    """A live notice version in a station's area, with the audio it has in the station's languages."""

    notice_id: int
    version: int
    priority: Priority
    title: str
    newest: datetime  # approval time (else creation): newer airs first
    tracks: tuple[Track, ...] = ()  # in the station's language order
    missing: tuple[str, ...] = ()  # station languages it has no audio in (no human recording)
    publish_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def key(self) -> NoticeKey:
        return (self.notice_id, self.version)

    @property
    def seconds(self) -> float:
        return sum(t.seconds for t in self.tracks)

    def due(self, at: datetime) -> bool:
        """Live at `at`: not expired, and published (the publishing core's embargo and expiry rules)."""
        return not is_expired(self.expires_at, at) and is_due(self.priority, self.publish_at, at)


@dataclass(frozen=True)
class Aired:
    total: int = 0  # airings before this slot
    today: int = 0  # of which on the slot's local day


@dataclass(frozen=True)
class Rules:
    airings: int
    over_days: int
    max_seconds: float
    fixed_seconds: float = 0.0  # intro + outro jingles, the programme's opening and closing
    bridge_seconds: float = 0.0  # "Tin tiếp theo." before each notice after the first (counted for every one)

    def cost(self, c: Candidate) -> float:
        """A notice's airtime in the programme: with its bridge; an emergency twice, with "Xin nhắc lại"."""
        once = c.seconds + self.bridge_seconds
        return 2 * once if c.priority == Priority.EMERGENCY else once

    @property
    def per_day(self) -> int:
        return math.ceil(self.airings / self.over_days)


@dataclass
class Selection:
    scheduled: list[Candidate] = field(default_factory=list)
    overflow: list[tuple[Candidate, str]] = field(default_factory=list)  # (notice, why)
    silent: list[Candidate] = field(default_factory=list)  # due, but no audio in any of the station's languages
    finished: list[Candidate] = field(default_factory=list)  # aired `airings` times already
    resting: list[Candidate] = field(default_factory=list)  # aired its share today; airs again another day

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.scheduled)


def order(candidates: list[Candidate], carried: set[NoticeKey] | frozenset[NoticeKey] = frozenset()) -> list[Candidate]:
    return sorted(
        candidates,
        key=lambda c: (RANK[c.priority], c.key not in carried, -c.newest.timestamp(), -c.notice_id, -c.version),
    )


def eligible(
    candidates: list[Candidate], aired: dict[NoticeKey, Aired], rules: Rules, at: datetime
) -> tuple[list[Candidate], list[Candidate], list[Candidate]]:
    """(still due, finished, resting today) at `at`, before looking at audio or length."""
    due, finished, resting = [], [], []
    for c in candidates:
        if not c.due(at):
            continue
        seen = aired.get(c.key, Aired())
        if c.priority == Priority.EMERGENCY:
            due.append(c)  # no quota: an emergency airs in every slot until it expires or is withdrawn
        elif seen.total >= rules.airings:
            finished.append(c)
        elif seen.today >= rules.per_day:
            resting.append(c)
        else:
            due.append(c)
    return due, finished, resting


def select(
    candidates: list[Candidate], aired: dict[NoticeKey, Aired], carried: set[NoticeKey], rules: Rules, at: datetime
) -> Selection:
    """The notices of one slot starting at `at`, in airing order, and what overflows."""
    due, finished, resting = eligible(candidates, aired, rules, at)
    out = Selection(finished=finished, resting=resting)
    room = rules.max_seconds - rules.fixed_seconds
    used = 0.0
    for c in order(due, carried):
        if not c.tracks:
            out.silent.append(c)
        elif c.priority == Priority.EMERGENCY:
            out.scheduled.append(c)
            used += rules.cost(c)
        elif (need := rules.cost(c)) > room:
            out.overflow.append((c, f"dài hơn cả buổi phát ({_min(need)} phút > {_min(room)} phút)"))
        elif used + need <= room:
            out.scheduled.append(c)
            used += need
        else:
            out.overflow.append((c, f"hết thời lượng (cần {_min(need)} phút, còn {_min(max(0.0, room - used))} phút)"))
    return out


def _min(seconds: float) -> str:
    """Minutes the Vietnamese way, for the reasons editors and operators read: 0,8."""
    return f"{seconds / 60:.1f}".replace(".", ",")


def emergency(candidates: list[Candidate], at: datetime) -> list[Candidate]:
    """The immediate playlist: every due emergency with audio, newest first; no quota, no length limit."""
    return [c for c in order(candidates) if c.priority == Priority.EMERGENCY and c.due(at) and c.tracks]
