"""What the desk changes. Each handler starts with auth.form(), which refuses before anything is read or written."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from loa import events
from loa.app import announce
from loa.app.desk import auth, media
from loa.app.desk.auth import DeskError, desk
from loa.app.desk.pages import load, notice_context
from loa.app.desk.present import FormError, from_input
from loa.errors import InvalidTransition
from loa.model import CHANNELS, NoticeState, Priority
from loa.speech.tts import AudioError
from loa.store import desk as desk_store
from loa.store.desk import Change, EditConflict

router = APIRouter()


def _back(request: Request, notice_id: int, done: str, version: int | None = None):
    v = f"v={version}&" if version else ""
    return RedirectResponse(f"{auth.base(request)}/notices/{notice_id}?{v}done={done}", status_code=303)


def _redisplay(request: Request, notice_id: int, version: int, error: str, status: int,
               drafts: dict[str, str] | None = None):
    """The notice page again, with the problem said and the editor's unsaved text kept."""
    n = load(request, notice_id, version)
    return desk(request).render(request, "notice.html", status, message=None, message_kind="ok", error=error,
                                **notice_context(request, n, drafts=drafts))


@router.post("/notices/{notice_id}/v{version}/variants/{channel}")
async def edit_variant(request: Request, notice_id: int, version: int, channel: str):
    sess, data = await auth.form(request, "editor")
    if channel not in CHANNELS:
        raise DeskError(404, f"Không có kênh {channel!r}.")
    body = str(data.get("body", ""))
    try:
        change = desk_store.edit_variant(desk(request).store, notice_id, version, channel, body, sess.user.name,
                                         base=str(data.get("base", "")) or None)
    except EditConflict:
        return _redisplay(request, notice_id, version, "Nội dung này vừa được người khác sửa và lưu trước bạn. "
                          "Bản của bạn vẫn còn trong ô soạn thảo: hãy xem lại rồi lưu lần nữa.", 409, {channel: body})
    return _back(request, notice_id, "saved" if change else "unchanged", version)


@router.post("/notices/{notice_id}/v{version}/settings")
async def settings(request: Request, notice_id: int, version: int):
    sess, data = await auth.form(request, "editor")
    cfg = desk(request).cfg
    try:
        priority = Priority(str(data.get("priority", "")))
    except ValueError:
        raise FormError("Mức ưu tiên phải là Thông thường, Ưu tiên hoặc Khẩn cấp.") from None
    # a grouping is a shortcut for its communes, not a level: it is saved as the communes it lists
    areas = cfg.expand([str(a) for a in data.getlist("areas")] + [str(g) for g in data.getlist("groupings")
                                                                    if str(g) in cfg.groupings])
    unknown = [a for a in areas if cfg.map_area(a) is None]
    if unknown:
        raise FormError(f"Địa bàn không có trong danh mục (areas.yaml): {', '.join(unknown)}.")
    if not areas:
        return _redisplay(request, notice_id, version, "Hãy chọn ít nhất một địa bàn nhận thông báo.", 400)
    changes = desk_store.set_settings(desk(request).store, notice_id, version, sess.user.name, priority=priority,
                                      areas=areas)
    return _back(request, notice_id, "saved" if changes else "unchanged", version)


@router.post("/notices/{notice_id}/v{version}/schedule")
async def schedule(request: Request, notice_id: int, version: int):
    sess, data = await auth.form(request, "approver")
    publish_at = from_input(str(data.get("publish_at", "")), "Giờ đăng")
    expires_at = from_input(str(data.get("expires_at", "")), "Hạn hiệu lực")
    try:
        changes = desk_store.set_schedule(desk(request).store, notice_id, version, sess.user.name,
                                          publish_at=publish_at, expires_at=expires_at)
    except InvalidTransition as exc:
        if "must come after" not in str(exc):
            raise
        return _redisplay(request, notice_id, version, "Hạn hiệu lực phải sau giờ đăng (và sau thời điểm hiện tại).", 400)
    return _back(request, notice_id, "saved" if changes else "unchanged", version)


@router.post("/notices/{notice_id}/v{version}/audio")
async def regenerate_audio(request: Request, notice_id: int, version: int):
    sess, _ = await auth.form(request, "editor")
    d = desk(request)
    n = load(request, notice_id, version)
    if n.state != NoticeState.DRAFTED:
        raise InvalidTransition(f"notice {notice_id} v{version} is {n.state.value}; only drafts can be changed")
    try:
        info = media.make_preview_audio(d.cfg, n)
    except AudioError as exc:
        return _redisplay(request, notice_id, version, f"Không tạo được âm thanh: {exc}", 500)
    desk_store.record(d.store, notice_id, version, sess.user.name,
                      Change("audio", "audio:vi", None, f"{media.preview_audio(d.cfg, n).name} ({info.duration:.1f} s)"))
    return _back(request, notice_id, "audio", version)


@router.post("/notices/{notice_id}/v{version}/recordings")
async def upload_recording(request: Request, notice_id: int, version: int):
    sess, data = await auth.form(request, "editor", upload=True)
    d = desk(request)
    n = load(request, notice_id, version)
    if n.state != NoticeState.DRAFTED:
        raise InvalidTransition(f"notice {notice_id} v{version} is {n.state.value}; only drafts can be changed")
    upload, language = data.get("file"), str(data.get("language", ""))
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _redisplay(request, notice_id, version, "Hãy chọn một tệp âm thanh để tải lên.", 400)
    with tempfile.TemporaryDirectory(prefix="loa-upload-") as tmp:
        path = Path(tmp) / "upload"
        size = 0
        with path.open("wb") as out:
            while chunk := await upload.read(1024 * 1024):
                size += len(chunk)
                if size > auth.MAX_UPLOAD:
                    raise DeskError(413, f"Tệp quá lớn (tối đa {auth.MAX_UPLOAD // (1024 * 1024)} MB).")
                out.write(chunk)
        try:
            final, info = media.save_recording(d.cfg, n, language, path)
        except media.RecordingError as exc:
            return _redisplay(request, notice_id, version, str(exc), 400)
    desk_store.record(d.store, notice_id, version, sess.user.name,
                      Change(f"recording:{language}", f"recording:{language}", upload.filename[:200],
                             f"{final.relative_to(d.cfg.home)} ({info.codec}, {info.duration:.1f} s)"))
    return _back(request, notice_id, "recording", version)


def _version_field(data) -> int:
    value = str(data.get("version", ""))
    if not value.isdigit():
        raise FormError("Thiếu số phiên bản của thông báo; hãy tải lại trang.")
    return int(value)


def _check_version(request: Request, notice_id: int, version: int, allowed: set[NoticeState]) -> None:
    """The decision is about the version the person looked at, not one that appeared since."""
    n = load(request, notice_id, version)
    if n.state not in allowed:
        raise InvalidTransition(f"notice {notice_id} v{version} is {n.state.value} now; reload the page to see why")


@router.post("/notices/{notice_id}/approve")
async def approve(request: Request, notice_id: int):
    sess, data = await auth.form(request, "approver")
    version = _version_field(data)
    _check_version(request, notice_id, version, {NoticeState.DRAFTED})
    d = desk(request)
    n = d.store.transition(notice_id, "approve", sess.user.name)
    said = announce.announce_approval(d.cfg, n, sess.user.name)
    if said.kind == "scheduled":
        desk_store.record(d.store, n.id, n.version, "loa", Change("schedule", "flow_run", None, said.flow_run_id),
                          reason=f"dispatch scheduled at {said.detail}", drafts_only=False)
    return _back(request, notice_id, {"dispatch": "approved-dispatch", "scheduled": "approved-scheduled",
                                      "offline": "approved-offline"}.get(said.kind, "approved-failed"), n.version)


@router.post("/notices/{notice_id}/reject")
async def reject(request: Request, notice_id: int):
    sess, data = await auth.form(request, "approver")
    version = _version_field(data)
    reason = " ".join(str(data.get("reason", "")).split())
    if len(reason) < 3:
        return _redisplay(request, notice_id, version, "Hãy ghi lý do từ chối (để người biên tập biết cần sửa gì).", 400)
    _check_version(request, notice_id, version, {NoticeState.DRAFTED})
    d = desk(request)
    n = d.store.transition(notice_id, "reject", sess.user.name, reason)
    announce.announce(d.cfg, events.NOTICE_REJECTED, n, sess.user.name, reason)
    return _back(request, notice_id, "rejected", n.version)


@router.post("/notices/{notice_id}/withdraw")
async def withdraw(request: Request, notice_id: int):
    sess, data = await auth.form(request, "approver")
    version = _version_field(data)
    reason = " ".join(str(data.get("reason", "")).split()) or None
    _check_version(request, notice_id, version,
                   {NoticeState.APPROVED, NoticeState.PUBLISHED, NoticeState.PARTIALLY_PUBLISHED})
    d = desk(request)
    n = d.store.transition(notice_id, "withdraw", sess.user.name, reason)
    _cancel_scheduled(request, n, sess.user.name)
    if not d.store.deliveries(n.id, n.version, kind="publish"):
        # never dispatched (withdrawn during its embargo): no channel has it, and the withdraw flow must
        # not write a "withdrawn" page for a notice the public never saw
        return _back(request, notice_id, "withdrawn-unpublished", n.version)
    said = announce.announce(d.cfg, events.NOTICE_WITHDRAWN, n, sess.user.name, reason)
    return _back(request, notice_id, "withdrawn" if said.kind == "event" else "withdrawn-offline", n.version)


def _cancel_scheduled(request: Request, n, actor: str) -> None:
    """A withdrawn notice's scheduled dispatch run is cancelled (it would refuse anyway: nothing is live)."""
    d = desk(request)
    runs = [h.after for h in desk_store.history(d.store, n.id) if h.action == "schedule" and h.version == n.version]
    api = announce.prefect_api(d.cfg) if runs else None
    for run_id in runs:
        if not api or not run_id:
            continue
        try:
            announce.cancel_flow_run(api, run_id, f"notice {n.id} withdrawn by {actor}")
        except Exception as exc:  # noqa: BLE001 - the run refuses a withdrawn notice anyway; say so in the trail
            desk_store.record(d.store, n.id, n.version, "loa", Change("unschedule", "flow_run", run_id, None),
                              reason=f"could not cancel: {exc}", drafts_only=False)
            continue
        desk_store.record(d.store, n.id, n.version, "loa", Change("unschedule", "flow_run", run_id, None),
                          reason="withdrawn before its publish time", drafts_only=False)
