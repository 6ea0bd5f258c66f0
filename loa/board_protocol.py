"""The board protocol (docs/boards.md): topics, payloads, board profiles and line wrapping.

Plain data and functions, no MQTT client: the boards channel builds and signs
payloads with it, the board listener parses what boards report, and the
tests validate the result against the JSON Schemas in docs/schemas/.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from loa import clock
from loa.errors import LoaError
from loa.model import NoticeView

SCHEMA_VERSION = 1
NOTICE_SCHEMA = "loa.notice"
KEY_SCHEMA = "loa.key"
STATUS_SCHEMA = "loa.board.status"
ACK_SCHEMA = "loa.board.ack"
CONTENT_TYPE = "application/json"
STATES = ("online", "offline")

# A board's or a loudspeaker's id is its broker user name and a topic segment: lowercase ASCII, no MQTT
# wildcards. "loa-" is reserved for Loa's own accounts (loa-publisher, loa-monitor).
DEVICE_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


class BadDeviceId(LoaError, ValueError):
    """A board's or speaker's id that breaks the rule: the message names the rule and an example."""


def check_device_id(device_id: str, kind: str, example: str) -> str:
    if not DEVICE_ID.match(device_id or ""):
        raise BadDeviceId(
            f"{kind} id {device_id!r} must be 1–64 lowercase ASCII letters, digits and '-' "
            f"(it is the {kind}'s broker user name and a topic segment), e.g. {example!r}"
        )
    if device_id.startswith("loa-"):
        raise BadDeviceId(f"{kind} id {device_id!r}: names starting with 'loa-' are Loa's own broker accounts")
    return device_id


def check_board_id(board_id: str) -> str:
    return check_device_id(board_id, "board", "hong-viet-ubnd")


# --- topics -----------------------------------------------------------------------------------


def notice_topic(prefix: str, area: str, notice_id: int | str) -> str:
    return f"{prefix}/areas/{area}/notices/{notice_id}"


def key_topic(prefix: str) -> str:
    return f"{prefix}/keys/notices"


def status_topic(prefix: str, board_id: str) -> str:
    return f"{prefix}/boards/{board_id}/status"


def ack_topic(prefix: str, board_id: str) -> str:
    return f"{prefix}/boards/{board_id}/ack"


def area_chain(area: str) -> list[str]:
    """The area and every area above it: a commune board shows its commune's and the province's notices."""
    parts = area.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def current_area(area: str) -> str:
    """A board configured with a pre-2025 three-level path (cao-bang/hoa-an/hong-viet) keeps working:
    it is read as the 2025 unit that holds that place (docs/boards.md, "Areas before July 2025")."""
    if area.count("/") < 2:
        return area
    from loa.area_migration import remap

    return remap(area).place or area


def board_subscriptions(prefix: str, area: str) -> list[str]:
    """The topic filters a board in `area` subscribes to (besides the key topic)."""
    return [f"{prefix}/areas/{a}/notices/+" for a in area_chain(current_area(area))]


# --- board profiles and line wrapping ---------------------------------------------------------


@dataclass(frozen=True)
class BoardProfile:
    """A kind of board by what it can show: `lines` lines of at most `width` characters."""

    id: str
    name: str
    width: int
    lines: int
    template: str = "panel.txt"  # in loa/templates/board/: how this kind of board lays out a notice (loa.board_text);
    # the default for a one-line board is ticker.txt (loa.config.boards)

    @property
    def budget(self) -> int:
        return self.width * self.lines


@dataclass(frozen=True)
class BoardSettings:
    """config/boards.yaml."""

    profiles: tuple[BoardProfile, ...]
    broker_ws_url: str = ""  # empty: Loa's relay at /mqtt on the web server
    rotate_seconds: int = 12
    health_interval_minutes: int = 15
    default_profile: str = field(default="")
    #: other broker URLs a board page may be pointed at with ?broker= (besides the relay and broker_ws_url)
    allowed_broker_urls: tuple[str, ...] = ()
    #: WebSocket connections the /mqtt relay accepts from one address at once
    relay_max_per_address: int = 16

    @property
    def broker_urls(self) -> tuple[str, ...]:
        """Every broker a board page may send its credentials to; "" is Loa's own relay."""
        return ("", *((self.broker_ws_url,) if self.broker_ws_url else ()), *self.allowed_broker_urls)

    def profile(self, profile_id: str) -> BoardProfile:
        for p in self.profiles:
            if p.id == profile_id:
                return p
        raise KeyError(profile_id)


ELLIPSIS = "…"
WS_URL = re.compile(r"^wss?://[^\s/?#@]+(/[^\s#]*)?$")  # no credentials, fragment or spaces


def _chunks(word: str, width: int) -> list[str]:
    return [word[i : i + width] for i in range(0, len(word), width)] or [""]


def wrap(text: str, profile: BoardProfile) -> list[str]:
    """Greedy word wrap into at most `profile.lines` lines of at most `profile.width` characters.

    Characters are Unicode code points after NFC normalisation (a Vietnamese letter with its
    marks is one character). A word longer than a line is cut. When the text does not fit,
    the last line ends with '…' and still fits the width.
    """
    words = unicodedata.normalize("NFC", text).split()
    lines: list[str] = []
    current = ""
    for word in words:
        for piece in _chunks(word, profile.width):
            if not current:
                current = piece
            elif len(current) + 1 + len(piece) <= profile.width:
                current += " " + piece
            else:
                lines.append(current)
                current = piece
    if current:
        lines.append(current)
    if len(lines) <= profile.lines:
        return lines
    kept = lines[: profile.lines]
    last = kept[-1]
    while last and len(last) + 1 > profile.width:
        last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
    kept[-1] = last.rstrip(" ,;:.-–") + ELLIPSIS
    return kept


# --- payloads ---------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """RFC 3339 UTC with seconds precision: what every board library parses."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def notice_payload(
    notice: NoticeView,
    *,
    area: str,
    area_name: str,
    url: str,
    profiles: tuple[BoardProfile, ...],
    now: datetime | None = None,
    area_code: int | None = None,
) -> dict:
    """The unsigned notice payload for one area (loa.signing adds the signature).

    Only strings, integers, null, lists and objects: no floats, so the canonical form is the
    same in every language (docs/boards.md, "Signature").
    """
    from loa.board_text import BoardSource, all_lines  # it renders templates: imported when a payload is made

    nfc = lambda s: unicodedata.normalize("NFC", s) if s else s  # noqa: E731
    body = nfc(notice.variants.get("boards") or notice.title)
    return {
        "schema": NOTICE_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "id": notice.id,
        "version": notice.version,
        "priority": notice.priority.value,
        "title": nfc(notice.title),
        "body": body,
        "lines": all_lines(BoardSource.of(notice, url), profiles),
        "url": url,
        "area": area,
        "area_name": nfc(area_name),
        "area_code": area_code,
        "document": {
            "number": notice.meta.number,
            "type": nfc(notice.meta.doc_type),
            "issuer": nfc(notice.meta.issuer),
            "issued_on": notice.meta.issued_on,
        },
        "approved_at": iso(notice.approved_at),
        "publish_at": iso(notice.publish_at),
        "expires_at": iso(notice.expires_at),
        "signed_at": iso(now or clock.now()),
    }


def status_payload(
    board_id: str,
    state: str,
    *,
    area: str | None = None,
    profile: str | None = None,
    software: str | None = None,
    at: datetime | None = None,
) -> dict:
    doc = {"schema": STATUS_SCHEMA, "schema_version": SCHEMA_VERSION, "board": board_id, "state": state}
    if at is not None:
        doc["at"] = iso(at)
    for key, value in (("area", area), ("profile", profile), ("software", software)):
        if value:
            doc[key] = value
    return doc


def ack_payload(board_id: str, notice: dict, *, shown_at: datetime | None = None) -> dict:
    return {
        "schema": ACK_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "board": board_id,
        "notice": notice["id"],
        "version": notice["version"],
        "area": notice["area"],
        "shown_at": iso(shown_at or clock.now()),
    }


# --- what boards report -----------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One status or ack message from a board, as the listener understood it."""

    board: str
    kind: str  # "status" | "ack"
    at: datetime  # when Loa received it
    state: str | None = None  # status: online | offline
    notice: int | None = None  # ack
    version: int | None = None
    area: str | None = None
    shown_at: datetime | None = None
    detail: dict = field(default_factory=dict)


def parse_time(value: object, naive: tzinfo | None = UTC) -> datetime | None:
    """A device's ISO 8601 time ("Z": UTC), else None; one without an offset is in `naive` (None: refused)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo:
        return parsed
    return parsed.replace(tzinfo=naive) if naive else None


def parse_report(prefix: str, topic: str, payload: bytes, at: datetime) -> Report | None:
    """A board's status or ack; None for anything malformed (a board cannot break the listener).

    The board id comes from the topic, never from the payload: the broker's ACL lets an
    account write only under its own id, so the topic is authenticated and the payload is not.
    """
    parts = topic[len(prefix) + 1 :].split("/") if topic.startswith(prefix + "/") else []
    if len(parts) != 3 or parts[0] != "boards" or parts[2] not in ("status", "ack"):
        return None
    board, kind = parts[1], parts[2]
    text = payload.decode("utf-8", "replace").strip()
    if kind == "status" and text in STATES:  # a bare "online"/"offline" (e.g. a minimal last will)
        return Report(board, "status", at, state=text)
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    if kind == "status":
        state = doc.get("state")
        if state not in STATES:
            return None
        detail = {k: doc[k] for k in ("area", "profile", "software", "at") if isinstance(doc.get(k), str)}
        return Report(board, "status", at, state=state, detail=detail)
    notice, version = doc.get("notice"), doc.get("version")
    if not (isinstance(notice, int) and isinstance(version, int)) or isinstance(notice, bool):
        return None
    area = doc.get("area") if isinstance(doc.get("area"), str) else None
    return Report(board, "ack", at, notice=notice, version=version, area=area, shown_at=parse_time(doc.get("shown_at")))


# --- templates of board profiles (config/boards.yaml is read by loa.config.boards) ---------------

BOARD_TEMPLATES = Path(__file__).resolve().parent / "templates" / "board"
