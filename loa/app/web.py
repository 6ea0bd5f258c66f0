"""Loa's web server: the static website, radio audio and playlists, health. (The desk and the board relay join here.)"""

from __future__ import annotations

import logging
import mimetypes
import re
from html import escape
from pathlib import Path
from urllib.parse import parse_qsl

from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from loa.app.desk.app import mount_desk
from loa.app.web_boards import mount_boards
from loa.config import Config

log = logging.getLogger(__name__)


class AtomicStaticFiles(StaticFiles):
    """StaticFiles that reads a small file with one open().

    Loa replaces pages and playlists atomically (write, then rename), but Starlette's
    FileResponse takes the size from one stat() and then opens the path again: a page
    replaced in between is sent with the old length and the client sees a broken read.
    Pages and playlists are small, so they are read whole; audio (written once) streams.
    """

    SMALL = 2 * 1024 * 1024

    def file_response(self, full_path, stat_result, scope, status_code=200):
        if stat_result.st_size > self.SMALL:
            return super().file_response(full_path, stat_result, scope, status_code)
        with open(full_path, "rb") as fh:
            data = fh.read()
        return Response(
            data, status_code=status_code, media_type=media_type(str(full_path)), headers={"Cache-Control": "no-cache"}
        )


MAX_ID = 2**63 - 1  # ids are 64-bit integers in SQLite and PostgreSQL
_ID_SEGMENT = re.compile(r"v?(\d+)(?:\.[a-z0-9]+)?")


def names_no_id(path: str, query: str) -> bool:
    """True when a path segment or query value is a number no row can have (a 64-bit id's range):
    such a request names nothing, and the database would refuse the number with an error."""
    numbers = [m.group(1) for seg in path.split("/") if (m := _ID_SEGMENT.fullmatch(seg))]
    numbers += [value for _, value in parse_qsl(query) if value.isdigit()]
    return any(int(n) > MAX_ID for n in numbers)


class IdBounds:
    """ASGI middleware: a number beyond any id is 404 on every route (desk, boards, site), never 500."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and names_no_id(
            scope.get("path", ""), scope.get("query_string", b"").decode("latin-1")
        ):
            await PlainTextResponse("Không tìm thấy trang này.", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


# the site's feeds are named atom.xml / rss.xml; served as plain XML, browsers and some readers take them
# for an XML tree rather than a feed
FEED_TYPES = {"atom.xml": "application/atom+xml", "rss.xml": "application/rss+xml"}
ICON = Path(__file__).parent / "static" / "icon" / "favicon.ico"


def media_type(path: str) -> str:
    """The Content-Type a file is served with: feeds by their name, text in UTF-8 (Loa writes nothing else)."""
    kind = FEED_TYPES.get(path.rsplit("/", 1)[-1]) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/json", "application/xml", *FEED_TYPES.values()):
        kind += "; charset=utf-8"
    return kind


def create_app(cfg: Config) -> FastAPI:
    app = FastAPI(title="Loa", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(IdBounds)
    site, radio = cfg.layout.site, cfg.layout.radio
    site.mkdir(parents=True, exist_ok=True)
    radio.mkdir(parents=True, exist_ok=True)

    @app.get("/healthz")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:  # one icon for the site, the desk and the board page (all on this origin)
        return Response(
            ICON.read_bytes(), media_type="image/vnd.microsoft.icon", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/radio/stations/", include_in_schema=False)
    def station_playlists() -> HTMLResponse:
        """The address `loa run` prints: each station's current playlist (M3U and XSPF) once built."""
        rows = []
        for st in cfg.stations:
            built = (radio / "stations" / f"{st.id}.m3u8").exists()
            links = (
                f'<a href="{escape(st.id)}.m3u8">M3U</a> · <a href="{escape(st.id)}.xspf">XSPF</a>'
                if built
                else "chưa có danh sách phát (chưa dựng buổi phát nào)"
            )
            rows.append(f"<li>{escape(st.name)}: {links}</li>")
        body = "".join(rows) or "<li>Chưa cấu hình đài nào (stations.yaml).</li>"
        return HTMLResponse(
            '<!doctype html><html lang="vi"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Danh sách phát của các đài</title><h1>Danh sách phát của các đài</h1><ul>{body}</ul></html>"
        )

    mount_boards(app, cfg)  # /mqtt relay, /board/ page, /boards/acks/<id>.json
    mount_desk(app, cfg)  # /desk/: the editorial desk (log in, review, edit, schedule, approve)
    # only what is public: aired audio, jingles and playlists (never radio/recordings: drafts' human recordings)
    for part in ("audio", "jingles", "segments", "stations"):  # segments: the station's opening, bridge, closing
        (radio / part).mkdir(parents=True, exist_ok=True)
        app.mount(f"/radio/{part}", AtomicStaticFiles(directory=radio / part), name=f"radio-{part}")
    app.mount("/", AtomicStaticFiles(directory=site, html=True), name="site")
    return app
