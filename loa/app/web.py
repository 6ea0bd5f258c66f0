"""Loa's web server: the static website, radio audio and playlists, health. (The desk and the board relay join here.)"""

from __future__ import annotations

import mimetypes

from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles

from loa.app.desk import mount_desk
from loa.app.web_boards import mount_boards
from loa.config import Config


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
        media_type = mimetypes.guess_type(str(full_path))[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type in ("application/json", "application/xml"):
            media_type += "; charset=utf-8"
        return Response(data, status_code=status_code, media_type=media_type,
                        headers={"Cache-Control": "no-cache"})


def create_app(cfg: Config) -> FastAPI:
    app = FastAPI(title="Loa", docs_url=None, redoc_url=None, openapi_url=None)
    site, radio = cfg.home / "site", cfg.home / "radio"
    site.mkdir(parents=True, exist_ok=True)
    radio.mkdir(parents=True, exist_ok=True)

    @app.get("/healthz")
    def health() -> dict:
        return {"status": "ok"}

    mount_boards(app, cfg)  # /mqtt relay, /board/ page, /boards/acks/<id>.json
    mount_desk(app, cfg)  # /desk/: the editorial desk (log in, review, edit, schedule, approve)
    # only what is public: aired audio and playlists (never radio/recordings: drafts' human recordings)
    for part in ("audio", "stations"):
        (radio / part).mkdir(parents=True, exist_ok=True)
        app.mount(f"/radio/{part}", AtomicStaticFiles(directory=radio / part), name=f"radio-{part}")
    app.mount("/", AtomicStaticFiles(directory=site, html=True), name="site")
    return app
