"""Reading a received CAP 1.2 alert, and judging whether it becomes a draft for the served province.

`parse_alert` checks the bytes against the bundled OASIS schema and reads what Loa uses; anything
else is a `CapError` that says what is wrong. `judge` is the pure decision: an Actual, Public alert
that is not expired and whose area touches the province (an official code among its geocodes, or a
served unit named in its areaDesc) is drafted; every other one is skipped with its reason.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime

from loa.cap import NS
from loa.cap.mapping import priority_from_cap
from loa.cap.schema import problems
from loa.errors import LoaError
from loa.model import Priority

MAX_BYTES = 1_000_000  # a CAP alert is a few KB; more is not an alert


class CapError(LoaError, ValueError):
    """A received document that is not a usable CAP 1.2 alert."""


@dataclass(frozen=True)
class CapInfo:
    language: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    sender_name: str
    web: str
    effective: datetime | None
    expires: datetime | None
    areas: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (areaDesc, ((valueName, value), ...))


@dataclass(frozen=True)
class CapAlert:
    identifier: str
    sender: str
    sent: datetime
    sent_text: str  # as written: (sender, identifier, sent) names a message in `references`
    status: str
    msg_type: str
    scope: str
    references: tuple[tuple[str, str, str], ...]
    infos: tuple[CapInfo, ...]
    note: str = ""

    @property
    def info(self) -> CapInfo | None:
        """The Vietnamese info if there is one, else the first."""
        return next(
            (i for i in self.infos if i.language.lower().startswith("vi")), self.infos[0] if self.infos else None
        )

    @property
    def expires(self) -> datetime | None:
        times = [i.expires for i in self.infos if i.expires]
        return max(times) if times else None


def _time(text: str, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CapError(f"{where} {text!r} is not a CAP date-time like 2026-12-02T20:45:00+07:00") from None
    if value.tzinfo is None:
        raise CapError(f"{where} {text!r} has no time-zone offset")
    return value


def parse_alert(data: bytes, *, validate: bool = True) -> CapAlert:
    """The alert in `data`, or CapError naming what is wrong (not XML, not CAP 1.2, a bad field).
    `validate=False` skips the schema for Loa's own files, which were validated when written."""
    if len(data) > MAX_BYTES:
        raise CapError(f"{len(data):,} bytes is too large for a CAP alert (limit {MAX_BYTES:,})")
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        raise CapError("declares a DOCTYPE or entities, which a CAP alert never needs; refused (XML bomb guard)")
    found = problems(data) if validate else []
    if found:
        raise CapError("not a valid CAP 1.2 alert: " + "; ".join(found))
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise CapError(f"not well-formed XML: {exc}") from None

    def text(el: ET.Element, name: str) -> str:
        child = el.find(f"{{{NS}}}{name}")
        return (child.text or "").strip() if child is not None else ""

    def pairs(el: ET.Element, name: str) -> tuple[tuple[str, str], ...]:
        return tuple((text(p, "valueName"), text(p, "value")) for p in el.findall(f"{{{NS}}}{name}"))

    references = []
    for ref in text(root, "references").split():
        parts = ref.split(",")
        if len(parts) != 3:
            raise CapError(f"references entry {ref!r} is not sender,identifier,sent")
        references.append((parts[0], parts[1], parts[2]))
    infos = []
    for el in root.findall(f"{{{NS}}}info"):
        infos.append(
            CapInfo(
                language=text(el, "language") or "en-US",
                event=text(el, "event"),
                urgency=text(el, "urgency"),
                severity=text(el, "severity"),
                certainty=text(el, "certainty"),
                headline=text(el, "headline"),
                description=text(el, "description"),
                instruction=text(el, "instruction"),
                sender_name=text(el, "senderName"),
                web=text(el, "web"),
                effective=_time(text(el, "effective"), "effective") if text(el, "effective") else None,
                expires=_time(text(el, "expires"), "expires") if text(el, "expires") else None,
                areas=tuple((text(a, "areaDesc"), pairs(a, "geocode")) for a in el.findall(f"{{{NS}}}area")),
            )
        )
    sent_text = text(root, "sent")
    return CapAlert(
        identifier=text(root, "identifier"),
        sender=text(root, "sender"),
        sent=_time(sent_text, "sent"),
        sent_text=sent_text,
        status=text(root, "status"),
        msg_type=text(root, "msgType"),
        scope=text(root, "scope"),
        references=tuple(references),
        infos=tuple(infos),
        note=text(root, "note"),
    )


# --- the served province ---------------------------------------------------------------------------

_UNIT = re.compile(r"^(tinh|thanh pho|thi xa|thi tran|huyen|quan|xa|phuong|dac khu)\s+")


def fold(text: str) -> str:
    """Lowercase, no diacritics (đ → d), single spaces: how names in areaDesc are compared."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass
class ServedAreas:
    """The units Loa serves, found by official code or by name."""

    by_code: dict[str, str] = field(default_factory=dict)  # official code ("04", "01273") -> area path
    by_name: dict[str, str] = field(default_factory=dict)  # folded "xa hong viet" and "hong viet" -> path

    @classmethod
    def of(cls, areas: list[tuple[str, str, str | None]]) -> ServedAreas:
        """From (path, name, official code or None), province first."""
        served = cls()
        for path, name, code in areas:
            if code:
                code = code.strip()
                # official codes: 2 digits for a province, 5 for a commune ("4" and "04" are the same province)
                served.by_code.setdefault(code.zfill(2 if "/" not in path else 5) if code.isdigit() else code, path)
            full = fold(name)
            served.by_name.setdefault(full, path)
            served.by_name.setdefault(_UNIT.sub("", full), path)
        return served

    def match(self, area_desc: str, geocodes: tuple[tuple[str, str], ...]) -> list[str]:
        paths = []
        for _, value in geocodes:
            value = value.strip()
            forms = (value, value.zfill(2), value.zfill(5)) if value.isdigit() else (value,)
            path = next((self.by_code[f] for f in forms if f in self.by_code), None)
            if path and path not in paths:
                paths.append(path)
        if paths:
            return paths
        for part in re.split(r"[,;]| và ", area_desc):
            name = fold(part)
            path = self.by_name.get(name) or self.by_name.get(_UNIT.sub("", name))
            if path:
                return [path]  # the first named unit is the alert's own; the rest are the units above it
        return []


@dataclass(frozen=True)
class Verdict:
    """What becomes of one received alert: `draft` (new notice or version), `cancel`, or `skip` with why."""

    action: str  # "draft" | "cancel" | "skip"
    reason: str  # "ok" | "test" | "exercise" | "not_public" | "not_an_alert" | "other_province" | "expired"
    detail: str = ""
    areas: tuple[str, ...] = ()
    priority: Priority = Priority.EMERGENCY


def judge(alert: CapAlert, served: ServedAreas, now: datetime) -> Verdict:
    if alert.status != "Actual":
        reason = {"Test": "test", "Exercise": "exercise"}.get(alert.status, "not_actual")
        return Verdict("skip", reason, f"status {alert.status}: only Actual alerts are drafted")
    if alert.scope != "Public":
        return Verdict("skip", "not_public", f"scope {alert.scope}: only Public alerts are drafted")
    if alert.msg_type not in ("Alert", "Update", "Cancel"):
        return Verdict("skip", "not_an_alert", f"msgType {alert.msg_type} is not an alert")
    areas: list[str] = []
    for info in alert.infos:
        for desc, codes in info.areas:
            areas += [p for p in served.match(desc, codes) if p not in areas]
    if alert.msg_type == "Cancel":
        return Verdict("cancel", "ok", alert.note, tuple(areas))
    described = "; ".join(d for i in alert.infos for d, _ in i.areas) or "no area"
    if not areas:
        return Verdict("skip", "other_province", f"its area ({described[:200]}) is not in the served province")
    if alert.expires is not None and alert.expires <= now:
        return Verdict("skip", "expired", f"expired at {alert.expires.isoformat()}")
    first = alert.info
    assert first is not None  # the areas were found in an info block
    return Verdict("draft", "ok", "", tuple(areas), priority_from_cap(first.urgency, first.severity))
