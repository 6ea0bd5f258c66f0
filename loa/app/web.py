"""Loa's web server: the static website, radio audio and playlists, health. (The desk and the board relay join here.)"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from loa.config import Config


def create_app(cfg: Config) -> FastAPI:
    app = FastAPI(title="Loa", docs_url=None, redoc_url=None, openapi_url=None)
    site, radio = cfg.home / "site", cfg.home / "radio"
    site.mkdir(parents=True, exist_ok=True)
    radio.mkdir(parents=True, exist_ok=True)

    @app.get("/healthz")
    def health() -> dict:
        return {"status": "ok"}

    app.mount("/radio", StaticFiles(directory=radio), name="radio")
    app.mount("/", StaticFiles(directory=site, html=True), name="site")
    return app
