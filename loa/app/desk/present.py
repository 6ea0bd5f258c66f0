"""How the desk shows things: Vietnamese labels, local times, the board preview, word diffs, templates."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from jinja2 import Environment

from loa.app.desk.delivery_text import delivery_detail
from loa.board_protocol import BoardProfile
from loa.board_text import BoardSource, board_lines, body_sentences
from loa.config import Config
from loa.errors import LoaError
from loa.model import NoticeView
from loa.render import make_env

#: Việt Nam has one time zone and no summer time; editors type and read local times
VN = timezone(timedelta(hours=7), "ICT")

STATE_LABELS = {
    "drafted": "Chờ duyệt",
    "approved": "Đã duyệt",
    "rejected": "Bị từ chối",
    "published": "Đã đăng",
    "partially_published": "Đăng một phần",
    "superseded": "Đã thay thế",
    "withdrawn": "Đã thu hồi",
    "expired": "Hết hiệu lực",
    "scheduled": "Đã hẹn giờ",
}
ROLE_LABELS = {"editor": "biên tập viên", "approver": "người duyệt", "admin": "quản trị"}
PRIORITY_LABELS = {"normal": "Thông thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}
# Circular 39/2020/TT-BTTTT's three levels, said the way an editor needs to hear them
PRIORITY_HELP = {
    "normal": "xã sắp xếp vào lịch phát thanh thường ngày",
    "priority": "phát trước các tin thông thường",
    "emergency": "phát ngay khi duyệt, bỏ qua giờ hẹn (thiên tai, hỏa hoạn, dịch bệnh)",
}
CHANNEL_LABELS = {
    "website": "Trang thông tin điện tử",
    "boards": "Bảng tin điện tử",
    "radio": "Đài truyền thanh",
    "print": "Bản tin in",
}
# deliveries of channels that have no text of their own to edit (issue 16)
DELIVERY_CHANNEL_LABELS = CHANNEL_LABELS | {
    "cap": "Cảnh báo CAP",
    "messaging": "Tin nhắn (ứng dụng, SMS, thư điện tử)",
    "webhook": "Cổng thông tin liên kết",
}
CONTENT_AREA_LABELS = {
    "institutions": "Cải cách thể chế",
    "procedures": "Cải cách thủ tục hành chính",
    "apparatus": "Cải cách tổ chức bộ máy",
    "civil_servants": "Xây dựng đội ngũ CBCCVC",
    "public_finance": "Cải cách tài chính công",
    "digital_government": "Chính quyền điện tử, chính quyền số",
}
ACTION_LABELS = {
    "drafted": "Tạo bản nháp",
    "approve": "Duyệt",
    "reject": "Từ chối",
    "withdraw": "Thu hồi",
    "superseded": "Bị thay thế",
    "published": "Đã đăng",
    "partially_published": "Đăng một phần",
    "edit:website": "Sửa bài trang web",
    "edit:boards": "Sửa nội dung bảng tin",
    "edit:radio": "Sửa kịch bản phát thanh",
    "edit:print": "Sửa bản tin in",
    "set:priority": "Đổi mức ưu tiên",
    "set:areas": "Đổi địa bàn",
    "set:publish_at": "Đặt giờ đăng",
    "set:expires_at": "Đặt hạn hiệu lực",
    "audio": "Tạo lại âm thanh",
    "schedule": "Hẹn giờ phát",
    "unschedule": "Hủy lượt phát hẹn giờ",
    "expire": "Hết hiệu lực",
    "set:disaster_level": "Đặt cấp độ rủi ro thiên tai",
    "set:alert_status": "Đổi loại tin cảnh báo",
    "set:instruction": "Sửa hướng dẫn người dân",
}
DELIVERY_LABELS = {"pending": "đang chờ", "delivered": "đã gửi", "failed": "lỗi", "withdrawn": "đã thu hồi"}


def action_label(action: str) -> str:
    if action.startswith("recording:"):
        return f"Tải bản ghi âm ({action.split(':', 1)[1]})"
    return ACTION_LABELS.get(action, action)


def local(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return value.astimezone(VN).strftime(fmt) if value else ""


def to_input(value: datetime | None) -> str:
    """The value of an <input type=datetime-local>: local time, minutes."""
    return value.astimezone(VN).strftime("%Y-%m-%dT%H:%M") if value else ""


class FormError(LoaError):
    """A form value that cannot be used; the message is Vietnamese, for the person."""


def from_input(text: str | None, label: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=VN).astimezone(UTC)
        except ValueError:
            continue
    raise FormError(f"{label}: {text!r} không phải là ngày giờ (dạng 2026-12-01T08:00).")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = round(seconds)
    return f"{s // 60} phút {s % 60:02d} giây" if s >= 60 else f"{s} giây"


# --- the board preview -----------------------------------------------------------------------


@dataclass(frozen=True)
class BoardPreview:
    """What one kind of board shows of a notice: the lines its template makes (the payload's very lines) and
    the sentences of the board text it leaves out for want of room."""

    profile: BoardProfile
    lines: list[str]
    overflow: str  # the sentences not shown, whole
    used: int  # characters shown, against profile.budget

    @property
    def fits(self) -> bool:
        return len(self.lines) <= self.profile.lines and all(len(r) <= self.profile.width for r in self.lines)

    @property
    def grid(self) -> str:
        """The board's whole screen: every line padded to the width, empty lines to the height."""
        rows = self.lines + [""] * (self.profile.lines - len(self.lines))
        return "\n".join(row.ljust(self.profile.width) for row in rows)


def board_profiles(cfg: Config) -> tuple[BoardProfile, ...]:
    """The configured board sizes (config/boards.yaml)."""
    return cfg.boards.profiles


def board_preview(cfg: Config, n: NoticeView, text: str) -> list[BoardPreview]:
    """Each profile's lines exactly as the boards payload carries them (loa.board_text), for the board text
    `text` (the saved variant or the editor's unsaved one)."""
    from loa.layout import notice_page

    text = unicodedata.normalize("NFC", text)
    src = BoardSource.of(n, f"{cfg.site_url}/{notice_page(n.id)}", body=text)
    out = []
    for p in board_profiles(cfg):
        shown = board_lines(src, p)
        joined = " ".join(shown)
        said = body_sentences(text)
        # a template that shows no sentence (a ticker) leaves none "out"
        left = [s for s in said if s not in joined] if any(s in joined for s in said) or p.lines > 1 else []
        out.append(BoardPreview(p, shown, " ".join(left), len(joined)))
    return out


# --- diffs -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\s<>]+\s*|<[^>]*>\s*|\s+|[<>]")  # a word with the spaces after it


def word_diff(before: str | None, after: str | None) -> list[tuple[str, str]]:
    """[(op, text)] with op '=', '-' or '+': a word-level view of an edit (HTML tags count as words)."""
    a, b = _TOKEN.findall(before or ""), _TOKEN.findall(after or "")
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("-", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(("+", "".join(b[j1:j2])))
    return out


def change_value(cfg: Config, field: str, value: str | None) -> str:
    """An audited value as a person reads it: labels, area names, local times."""
    if not value:
        return "(trống)"
    if field == "priority":
        return PRIORITY_LABELS.get(value, value)
    if field == "areas":
        return ", ".join(cfg.area_name(a) for a in value.split(", "))
    if field in ("publish_at", "expires_at"):
        try:
            return local(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def templates(cfg: Config) -> Environment:
    env = make_env()
    env.filters["change_value"] = lambda field, value: change_value(cfg, field, value)
    env.filters.update(
        local=local,
        to_input=to_input,
        duration=duration,
        action_label=action_label,
        area_name=cfg.area_name,
        word_diff=word_diff,
        delivery_detail=delivery_detail,
    )
    env.globals.update(
        STATE_LABELS=STATE_LABELS,
        PRIORITY_LABELS=PRIORITY_LABELS,
        PRIORITY_HELP=PRIORITY_HELP,
        CHANNEL_LABELS=CHANNEL_LABELS,
        DELIVERY_CHANNEL_LABELS=DELIVERY_CHANNEL_LABELS,
        CONTENT_AREA_LABELS=CONTENT_AREA_LABELS,
        DELIVERY_LABELS=DELIVERY_LABELS,
        ROLE_LABELS=ROLE_LABELS,
    )
    return env
