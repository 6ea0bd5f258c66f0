"""What the desk shows: the queue, a notice with every channel previewed, and the previews themselves."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from loa.app.desk import auth, media, previews
from loa.app.desk.auth import DeskError, desk
from loa.app.desk.present import CHANNEL_LABELS, PRIORITY_LABELS, STATE_LABELS, board_preview
from loa.model import CHANNELS, NoticeView
from loa.publishing import machine
from loa.radio import airings
from loa.store import cap as cap_store
from loa.store import desk as desk_store
from loa.store.desk import QueueFilter, text_hash

router = APIRouter()

# Decision 18/2021/QĐ-TTg: the five disaster risk levels, as the desk names them
DISASTER_LEVELS = {
    1: "Cấp 1 – rủi ro thấp",
    2: "Cấp 2 – rủi ro trung bình",
    3: "Cấp 3 – rủi ro lớn",
    4: "Cấp 4 – rủi ro rất lớn",
    5: "Cấp 5 – thảm họa",
}

MESSAGES = {
    "saved": "Đã lưu.",
    "unchanged": "Không có gì thay đổi.",
    "audio": "Đã tạo lại âm thanh từ kịch bản.",
    "recording": "Đã lưu bản ghi âm.",
    "approved-dispatch": "Đã duyệt. Thông báo đang được phát hành tới các kênh.",
    "approved-scheduled": "Đã duyệt và hẹn giờ: thông báo sẽ được phát hành đúng giờ đăng, không sớm hơn.",
    "approved-offline": "Đã duyệt, nhưng hệ thống điều phối (loa run) chưa chạy nên chưa phát hành; "
    "khi chạy `loa dispatch {id}` thông báo sẽ được phát.",
    "approved-failed": "Đã duyệt, nhưng không gửi được yêu cầu phát hành tới Prefect; hãy báo người vận hành "
    "chạy `loa dispatch {id}`.",
    "rejected": "Đã từ chối bản nháp.",
    "withdrawn": "Đã thu hồi thông báo; các kênh sẽ gỡ nó xuống.",
    "withdrawn-offline": "Đã thu hồi trong kho dữ liệu; hệ thống điều phối chưa chạy nên các kênh chưa được gỡ.",
    "withdrawn-unpublished": "Đã thu hồi trước khi phát hành: chưa kênh nào nhận thông báo này, lượt phát hẹn giờ đã hủy.",
}


def area_options(cfg, current=()) -> list[tuple[str, str, int]]:
    """(path, label, depth): the province, then its communes in use with their official codes, for selects and
    the area checkboxes; a unit the notice targets that is not in use (a migrated notice) is listed too."""
    units = list(cfg.areas.values()) + [a for a in map(cfg.map_area, current) if a and a.path not in cfg.areas]
    return [(a.path, f"{a.name} ({a.code})" if a.code else a.name, a.depth) for a in units]


def _int(value: str | None, default: int | None = None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else default


@router.get("/")
def queue(
    request: Request,
    state: str | None = None,
    area: str | None = None,
    priority: str | None = None,
    feed: str | None = None,
    content_area: str | None = None,
    q: str | None = None,
    page: str | None = None,
):
    auth.require(request, "editor")
    d = desk(request)
    f = QueueFilter(
        state=state if state in STATE_LABELS else None,
        area=area if area in d.cfg.areas else None,
        priority=priority if priority in PRIORITY_LABELS else None,
        feed_id=_int(feed),
        content_area=content_area if content_area and content_area.isidentifier() else None,
        q=(q or "").strip()[:200] or None,
        page=_int(page) or 1,  # pages count from 1
    )
    result = desk_store.queue(d.store, f)
    params = {
        k: v
        for k, v in dict(
            state=f.state, area=f.area, priority=f.priority, feed=f.feed_id, content_area=f.content_area, q=f.q
        ).items()
        if v
    }

    def page_url(n: int) -> str:
        return f"{auth.base(request)}/?{urlencode(params | {'page': n})}"

    return d.render(
        request,
        "queue.html",
        result=result,
        counts=desk_store.counts(d.store),
        areas=area_options(d.cfg),
        feeds=desk_store.feed_choices(d.store),
        filtered=bool(params),
        page_url=page_url,
        page_numbers=_page_numbers(result.page, result.pages),
    )


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 200: None is a gap."""
    keep = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int | None] = []
    for n in keep:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def load(request: Request, notice_id: int, version: int | None) -> NoticeView:
    return desk(request).store.notice(notice_id, version)


def notice_context(request: Request, n: NoticeView, *, drafts: dict[str, str] | None = None) -> dict:
    d = desk(request)
    cfg = d.cfg
    published_audio = cfg.layout.audio_file(n)
    preview = media.preview_audio(cfg, n)
    # what the page offers comes from the state table (the role is checked by the form's own auth)
    editable = n.state in machine.RULES["edit"].sources
    texts = {ch: n.variants.get(ch, "") for ch in CHANNELS} | (drafts or {})
    return dict(
        n=n,
        editable=editable,
        live=n.state in machine.RULES["withdraw"].sources,
        texts=texts,
        bases={ch: text_hash(n.variants.get(ch, "")) for ch in CHANNELS},
        channels=CHANNELS,
        channel_labels=CHANNEL_LABELS,
        versions=desk_store.version_numbers(d.store, n.id),
        doc=desk_store.document_extras(d.store, n.id, n.version),
        history=desk_store.history(d.store, n.id),
        deliveries=d.store.deliveries(n.id),
        boards=board_preview(cfg, n, texts["boards"]),
        areas=area_options(cfg, n.areas),
        groupings=list(cfg.groupings.values()),
        languages=[(lang, media.LANGUAGE_NAMES.get(lang, lang)) for lang in media.languages(cfg)],
        recordings=media.recordings(cfg, n),
        published_audio=published_audio.name if published_audio.exists() else None,
        published_audio_duration=media.audio_duration(published_audio) if published_audio.exists() else None,
        preview_audio=preview.name if preview.exists() else None,
        preview_audio_duration=media.audio_duration(preview),
        airings=airings.overview(
            d.store, n.id, cfg.tz, names={s.id: s.name for s in cfg.stations}
        ),  # issue 19: planned and confirmed airings
        cap_origin=cap_store.origin(d.store, n.id),  # issue 16: "from a CAP alert", with the original
        disaster_levels=DISASTER_LEVELS,
        dispatches_now=machine.is_due(n.priority, n.publish_at),
    )


@router.get("/notices/{notice_id}")
def notice_page(request: Request, notice_id: int, v: str | None = None, done: str | None = None):
    auth.require(request, "editor")
    n = load(request, notice_id, _int(v))
    message = MESSAGES.get(done or "", "").replace("{id}", str(n.id)) or None
    kind = "warn" if done and done.endswith(("-offline", "-failed")) else "ok"
    return desk(request).render(
        request, "notice.html", message=message, message_kind=kind, error=None, **notice_context(request, n)
    )


# previews are the website's and the bulletin's own HTML (inline styles, no script at all)
PREVIEW_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
    "X-Frame-Options": "SAMEORIGIN",
}


@router.get("/preview-site/notices/{page}")
def website_preview(request: Request, page: str, v: str | None = None):
    """The notice's web page exactly as the website channel writes it. Served under a path shaped like
    the site's (…/notices/<id>.html), so the page's relative links to ../static/ resolve here."""
    auth.require(request, "editor")
    stem, kind = next(((page.removesuffix(s), s) for s in (".qr.svg", ".html") if page.endswith(s)), (page, ""))
    notice_id = _int(stem)
    if notice_id is None or not kind:
        raise DeskError(404, "Không có trang xem trước này.")
    n = load(request, notice_id, _int(v))
    if kind == ".qr.svg":  # the page's <img src="../notices/<id>.qr.svg">: the code the site will publish
        return Response(previews.website_qr_svg(desk(request), n), media_type="image/svg+xml", headers=PREVIEW_HEADERS)
    return HTMLResponse(previews.website_html(desk(request), n), headers=PREVIEW_HEADERS)


@router.get("/notices/{notice_id}/v{version}/preview/print")
def print_preview(request: Request, notice_id: int, version: int):
    """The notice as an item of the printed bulletin for its first area (the bulletin's own template)."""
    auth.require(request, "editor")
    n = load(request, notice_id, version)
    return HTMLResponse(previews.bulletin_html(desk(request), n), headers=PREVIEW_HEADERS)


@router.get("/notices/{notice_id}/v{version}/audio/{name}")
def preview_audio(request: Request, notice_id: int, version: int, name: str):
    """The desk's private read-aloud of a draft (never under the public /radio folder)."""
    auth.require(request, "editor")
    path = media.preview_audio(desk(request).cfg, load(request, notice_id, version))
    if name != path.name or not path.exists():
        raise DeskError(404, "Chưa có âm thanh cho kịch bản hiện tại; hãy bấm “Tạo lại âm thanh”.")
    return FileResponse(path, media_type="audio/mpeg")


@router.get("/notices/{notice_id}/v{version}/recordings/{language}")
def recording(request: Request, notice_id: int, version: int, language: str):
    auth.require(request, "editor")
    n = load(request, notice_id, version)
    path = media.recording_file(desk(request).cfg, n, language)
    if path is None:
        raise DeskError(404, f"Chưa có bản ghi âm {media.LANGUAGE_NAMES.get(language, language)} cho phiên bản này.")
    return FileResponse(path)
