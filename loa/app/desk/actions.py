"""What the desk changes: each handler checks the session (auth.form refuses before anything is read or
written), reads the form, calls the use case of loa/publishing the CLI calls too, and presents its outcome."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from loa.app.desk import auth, media
from loa.app.desk.auth import DeskError, desk
from loa.app.desk.pages import load, notice_context
from loa.app.desk.present import FormError, from_input
from loa.app.prefect_scheduler import publishing_for
from loa.errors import InvalidTransition
from loa.model import CHANNELS, NoticeState, Priority
from loa.publishing import actions
from loa.publishing.actions import Actor
from loa.speech.tts import AudioError
from loa.store.desk import Change, EditConflict

log = logging.getLogger(__name__)

router = APIRouter()


def _use_cases(request: Request, sess) -> tuple[actions.Publishing, Actor]:
    d = desk(request)
    return publishing_for(d.cfg, d.store), Actor(sess.user.name, sess.user.role)


def _back(request: Request, notice_id: int, done: str, version: int | None = None):
    v = f"v={version}&" if version else ""
    return RedirectResponse(f"{auth.base(request)}/notices/{notice_id}?{v}done={done}", status_code=303)


def _redisplay(
    request: Request, notice_id: int, version: int, error: str, status: int, drafts: dict[str, str] | None = None
):
    """The notice page again, with the problem said and the editor's unsaved text kept."""
    n = load(request, notice_id, version)
    return desk(request).render(
        request,
        "notice.html",
        status,
        message=None,
        message_kind="ok",
        error=error,
        **notice_context(request, n, drafts=drafts),
    )


@router.post("/notices/{notice_id}/v{version}/variants/{channel}")
async def edit_variant(request: Request, notice_id: int, version: int, channel: str):
    sess, data = await auth.form(request, "editor")
    if channel not in CHANNELS:
        raise DeskError(404, f"Không có kênh {channel!r}.")
    body = str(data.get("body", ""))
    p, who = _use_cases(request, sess)
    try:
        done = actions.edit(
            p,
            who,
            notice_id,
            version,
            texts={channel: body},
            bases={channel: str(data.get("base", ""))} if data.get("base") else None,
        )
    except EditConflict:
        return _redisplay(
            request,
            notice_id,
            version,
            "Nội dung này vừa được người khác sửa và lưu trước bạn. "
            "Bản của bạn vẫn còn trong ô soạn thảo: hãy xem lại rồi lưu lần nữa.",
            409,
            {channel: body},
        )
    return _back(request, notice_id, done.code, version)


@router.post("/notices/{notice_id}/v{version}/settings")
async def settings(request: Request, notice_id: int, version: int):
    sess, data = await auth.form(request, "editor")
    cfg = desk(request).cfg
    try:
        priority = Priority(str(data.get("priority", "")))
    except ValueError:
        raise FormError("Mức ưu tiên phải là Thông thường, Ưu tiên hoặc Khẩn cấp.") from None
    # a grouping is a shortcut for its communes, not a level: it is saved as the communes it lists
    areas = cfg.expand(
        [str(a) for a in data.getlist("areas")] + [str(g) for g in data.getlist("groupings") if str(g) in cfg.groupings]
    )
    unknown = [a for a in areas if cfg.map_area(a) is None]
    if unknown:
        raise FormError(f"Địa bàn không có trong danh mục (areas.yaml): {', '.join(unknown)}.")
    if not areas:
        return _redisplay(request, notice_id, version, "Hãy chọn ít nhất một địa bàn nhận thông báo.", 400)
    p, who = _use_cases(request, sess)
    done = actions.edit(p, who, notice_id, version, priority=priority, areas=areas)
    return _back(request, notice_id, done.code, version)


@router.post("/notices/{notice_id}/v{version}/cap")
async def cap_settings(request: Request, notice_id: int, version: int):
    """The draft's CAP fields (disaster risk level, actual/exercise/test, instruction)."""
    from loa.store import cap as cap_store

    sess, data = await auth.form(request, "editor")
    level = str(data.get("disaster_level", "")).strip()
    status = str(data.get("alert_status", "actual"))
    if level not in ("", "1", "2", "3", "4", "5"):
        raise FormError("Cấp độ rủi ro thiên tai phải từ 1 đến 5, hoặc để trống.")
    if status not in cap_store.ALERT_STATUSES:
        raise FormError("Loại tin phải là Thật, Diễn tập hoặc Thử nghiệm.")
    p, who = _use_cases(request, sess)
    done = actions.set_cap(
        p,
        who,
        notice_id,
        version,
        disaster_level=int(level) if level else None,
        alert_status=status,
        instruction=str(data.get("instruction", "")),
    )
    return _back(request, notice_id, done.code, version)


@router.post("/notices/{notice_id}/v{version}/schedule")
async def schedule(request: Request, notice_id: int, version: int):
    sess, data = await auth.form(request, "approver")
    publish_at = from_input(str(data.get("publish_at", "")), "Giờ đăng")
    expires_at = from_input(str(data.get("expires_at", "")), "Hạn hiệu lực")
    p, who = _use_cases(request, sess)
    try:
        done = actions.schedule(p, who, notice_id, version, publish_at=publish_at, expires_at=expires_at)
    except InvalidTransition as exc:
        if "must come after" not in str(exc):
            raise
        return _redisplay(
            request, notice_id, version, "Hạn hiệu lực phải sau giờ đăng (và sau thời điểm hiện tại).", 400
        )
    return _back(request, notice_id, done.code, version)


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
    p, who = _use_cases(request, sess)
    actions.record_media(
        p,
        who,
        notice_id,
        version,
        Change("audio", "audio:vi", None, f"{media.preview_audio(d.cfg, n).name} ({info.duration:.1f} s)"),
    )
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
    p, who = _use_cases(request, sess)
    actions.record_media(
        p,
        who,
        notice_id,
        version,
        Change(
            f"recording:{language}",
            f"recording:{language}",
            upload.filename[:200],
            f"{final.relative_to(d.cfg.home)} ({info.codec}, {info.duration:.1f} s)",
        ),
    )
    return _back(request, notice_id, "recording", version)


def _version_field(data) -> int:
    value = str(data.get("version", ""))
    if not value.isdigit():
        raise FormError("Thiếu số phiên bản của thông báo; hãy tải lại trang.")
    return int(value)


@router.post("/notices/{notice_id}/approve")
async def approve(request: Request, notice_id: int):
    sess, data = await auth.form(request, "approver")
    version = _version_field(data)  # the decision is about the version the person looked at
    p, who = _use_cases(request, sess)
    done = actions.approve(p, who, notice_id, version)
    code = (
        done.code if done.code in ("approved-dispatch", "approved-scheduled", "approved-offline") else "approved-failed"
    )
    return _back(request, notice_id, code, done.version)


@router.post("/notices/{notice_id}/reject")
async def reject(request: Request, notice_id: int):
    sess, data = await auth.form(request, "approver")
    version = _version_field(data)
    reason = " ".join(str(data.get("reason", "")).split())
    if len(reason) < 3:
        return _redisplay(
            request, notice_id, version, "Hãy ghi lý do từ chối (để người biên tập biết cần sửa gì).", 400
        )
    p, who = _use_cases(request, sess)
    done = actions.reject(p, who, notice_id, version, reason=reason)
    return _back(request, notice_id, done.code, done.version)


@router.post("/notices/{notice_id}/withdraw")
async def withdraw(request: Request, notice_id: int):
    sess, data = await auth.form(request, "approver")
    version = _version_field(data)
    p, who = _use_cases(request, sess)
    done = actions.withdraw(p, who, notice_id, version, reason=str(data.get("reason", "")))
    return _back(request, notice_id, done.code, done.version)
