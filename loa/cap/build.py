"""A notice version as a CAP 1.2 alert (pure: the channel gathers the facts, this writes the XML).

Identifiers are stable per notice version: `<prefix>.notice-<id>.v<version>` for the Alert or Update
of a version, with `.cancel` appended for its Cancel; `sent` is the approval time (the withdrawal
time for a Cancel), so re-dispatching a version writes the very same bytes and the same signature.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from loa.cap import NS
from loa.cap.mapping import LEVEL_PARAMETER, PRIORITY_PARAMETER, cap_levels, category_and_event
from loa.model import NoticeView, Priority

GEOCODE = "VN-MaDVHC"  # official code of the administrative unit (the national list of units)
GEOCODE_FALLBACK = "LOA-DiaBan"  # Loa's area path, where areas.yaml gives no official code
STATUSES = {"actual": "Actual", "exercise": "Exercise", "test": "Test"}
HEADLINE_MAX = 160  # CAP 1.2 §3.2.2: "SHOULD be ... less than 160 characters"


@dataclass(frozen=True)
class CapSettings:
    """loa.yaml `cap`: who Loa's alerts come from."""

    sender: str = "loa@127.0.0.1"  # globally unique: an e-mail-like address of the issuing office
    sender_name: str = "Loa"
    contact: str = ""
    identifier_prefix: str = "loa"


@dataclass(frozen=True)
class CapArea:
    """A target area: its description and the official code of it and of each commune below it."""

    description: str
    geocodes: tuple[tuple[str, str], ...]  # (valueName, value)


@dataclass(frozen=True)
class CapResource:
    description: str
    mime: str
    size: int
    uri: str
    digest: str  # SHA-256, hex (CAP 1.2 names SHA-1; 64 hex characters say which)


@dataclass(frozen=True)
class CapText:
    """The text of one language: CAP has one <info> per language."""

    language: str  # "vi-VN", "tay-VN", ...
    headline: str
    description: str
    instruction: str = ""


@dataclass(frozen=True)
class Reference:
    sender: str
    identifier: str
    sent: datetime


@dataclass(frozen=True)
class CapMessage:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    texts: tuple[CapText, ...]
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    sender_name: str
    web: str
    contact: str = ""
    effective: datetime | None = None
    expires: datetime | None = None
    references: tuple[Reference, ...] = ()
    incidents: str = ""
    note: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    resources: tuple[CapResource, ...] = ()
    areas: tuple[CapArea, ...] = field(default_factory=tuple)


def identifier(settings: CapSettings, notice_id: int, version: int, cancel: bool = False) -> str:
    return f"{settings.identifier_prefix}.notice-{notice_id}.v{version}" + (".cancel" if cancel else "")


def message_for(
    notice: NoticeView,
    settings: CapSettings,
    *,
    msg_type: str,
    sent: datetime,
    web: str,
    texts: list[CapText],
    areas: list[CapArea],
    resources: Sequence[CapResource] = (),
    references: Sequence[Reference] = (),
) -> CapMessage:
    """The CAP message of a notice version: Alert (first version), Update (a later one) or Cancel."""
    if msg_type not in ("Alert", "Update", "Cancel"):
        raise ValueError(f"msgType {msg_type!r}: Loa sends Alert, Update or Cancel")
    if msg_type != "Alert" and not references:
        raise ValueError(f"notice {notice.id} v{notice.version}: a CAP {msg_type} must reference the alert it replaces")
    urgency, severity, certainty = cap_levels(notice.priority, notice.disaster_level)
    category, event = category_and_event(notice.title, notice.priority)
    parameters = [(PRIORITY_PARAMETER, notice.priority.value)]
    if notice.disaster_level is not None:
        parameters.append((LEVEL_PARAMETER, str(notice.disaster_level)))
    note = f"Thu hồi thông báo số {notice.id} (phiên bản {notice.version})" if msg_type == "Cancel" else ""
    return CapMessage(
        identifier=identifier(settings, notice.id, notice.version, cancel=msg_type == "Cancel"),
        sender=settings.sender,
        sent=sent,
        status=STATUSES.get(notice.alert_status, "Actual"),
        msg_type=msg_type,
        texts=tuple(texts),
        category=category,
        event=event,
        urgency=urgency,
        severity=severity,
        certainty=certainty,
        sender_name=settings.sender_name,
        web=web,
        contact=settings.contact,
        effective=notice.publish_at or notice.approved_at,
        expires=notice.expires_at,
        references=tuple(references),
        incidents=f"{settings.identifier_prefix}.notice-{notice.id}",
        note=note,
        parameters=tuple(parameters),
        resources=tuple(resources) if msg_type != "Cancel" else (),
        areas=tuple(areas),
    )


def cap_time(value: datetime, tz: tzinfo) -> str:
    """CAP's dateTime: local time with its offset, no fractions ("2026-12-02T20:45:00+07:00")."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: CAP times carry their offset")
    return value.astimezone(tz).replace(microsecond=0).isoformat()


def headline(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) < HEADLINE_MAX else text[: HEADLINE_MAX - 2].rsplit(" ", 1)[0] + "…"


def to_xml(msg: CapMessage, tz: tzinfo) -> bytes:
    """The alert as UTF-8 XML in the CAP 1.2 namespace, elements in the schema's order."""
    root = ET.Element(f"{{{NS}}}alert")

    def add(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
        el = ET.SubElement(parent, f"{{{NS}}}{name}")
        if text is not None:
            el.text = _clean(text)
        return el

    def pair(parent: ET.Element, name: str, value_name: str, value: str) -> None:
        el = add(parent, name)
        add(el, "valueName", value_name)
        add(el, "value", value)

    for name, value in (
        ("identifier", msg.identifier),
        ("sender", msg.sender),
        ("sent", cap_time(msg.sent, tz)),
        ("status", msg.status),
        ("msgType", msg.msg_type),
        ("scope", "Public"),
    ):
        add(root, name, value)
    if msg.note:
        add(root, "note", msg.note)
    if msg.references:
        add(root, "references", " ".join(f"{r.sender},{r.identifier},{cap_time(r.sent, tz)}" for r in msg.references))
    if msg.incidents:
        add(root, "incidents", msg.incidents)
    for text in msg.texts:
        info = add(root, "info")
        add(info, "language", text.language)
        add(info, "category", msg.category)
        add(info, "event", msg.event)
        if msg.msg_type == "Cancel":
            add(info, "responseType", "AllClear")
        add(info, "urgency", msg.urgency)
        add(info, "severity", msg.severity)
        add(info, "certainty", msg.certainty)
        if msg.effective:
            add(info, "effective", cap_time(msg.effective, tz))
        if msg.expires:
            add(info, "expires", cap_time(msg.expires, tz))
        add(info, "senderName", msg.sender_name)
        add(info, "headline", headline(text.headline))
        add(info, "description", text.description)
        if text.instruction:
            add(info, "instruction", text.instruction)
        add(info, "web", msg.web)
        if msg.contact:
            add(info, "contact", msg.contact)
        for name, value in msg.parameters:
            pair(info, "parameter", name, value)
        for res in msg.resources:
            el = add(info, "resource")
            add(el, "resourceDesc", res.description)
            add(el, "mimeType", res.mime)
            add(el, "size", str(res.size))
            add(el, "uri", res.uri)
            add(el, "digest", res.digest)
        for area in msg.areas:
            el = add(info, "area")
            add(el, "areaDesc", area.description)
            for name, value in area.geocodes:
                pair(el, "geocode", name, value)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=NS) + b"\n"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def wants_cap(notice: NoticeView) -> bool:
    """Only priority and emergency notices become CAP alerts."""
    return notice.priority in (Priority.EMERGENCY, Priority.PRIORITY)
