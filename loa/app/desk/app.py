"""The desk as a small FastAPI application mounted at /desk of Loa's web server."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from loa.app.desk import auth
from loa.app.desk.present import templates
from loa.config import Config
from loa.errors import InvalidTransition, LoaError, NotFound
from loa.render import TEMPLATES
from loa.store import Store
from loa.store.desk import EditConflict

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static" / "desk"
# no script, style or media from anywhere but the desk itself; no framing by other sites
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


@dataclass
class Desk:
    cfg: Config
    store: Store
    env: Environment

    def render(self, request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
        sess = auth.current(request)
        html = self.env.get_template(f"desk/{template}").render(
            base=auth.base(request),
            me=sess.user if sess else None,
            csrf=sess.csrf if sess else "",
            site_title=self.cfg.site_title,
            path=request.url.path,
            **ctx,
        )
        return HTMLResponse(html, status_code=status)


def create_desk(cfg: Config, store: Store | None = None) -> FastAPI:
    from loa.app.desk import accounts, actions, pages

    app = FastAPI(title="Loa desk", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.desk = Desk(cfg, store or Store.open(cfg.database_url), templates(cfg))
    for module in (accounts, pages, actions):
        app.include_router(module.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith(f"{auth.base(request)}/static/"):
            response.headers["Cache-Control"] = "no-store"  # pages show live state and carry CSRF tokens
        return response

    @app.exception_handler(auth.DeskError)
    async def refused(request: Request, exc: auth.DeskError):
        if isinstance(exc, auth.LoginRequired) and request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{auth.base(request)}/login?next={quote(target)}", status_code=303)
        response = app.state.desk.render(request, "error.html", exc.status, message=exc.message, code=exc.status)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(LoaError)
    async def failed(request: Request, exc: LoaError):
        status = (
            404 if isinstance(exc, NotFound) else 409 if isinstance(exc, (InvalidTransition, EditConflict)) else 400
        )
        return app.state.desk.render(request, "error.html", status, message=str(exc), code=status)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file():
            return Response(status_code=404)
        return FileResponse(path, headers={"Cache-Control": "max-age=300"})

    @app.get("/preview-site/static/{name}", include_in_schema=False)
    def site_static(name: str) -> Response:
        # the website preview uses the site's own stylesheet, exactly as published
        if name != "site.css":
            return Response(status_code=404)
        return FileResponse(TEMPLATES / "website" / "site.css", media_type="text/css")

    return app


def mount_desk(app: FastAPI, cfg: Config, store: Store | None = None) -> None:
    """The desk at /desk/ (and /desk redirected there). Call before the site's catch-all mount at /."""
    app.add_api_route("/desk", lambda: RedirectResponse("/desk/", status_code=308), include_in_schema=False)
    app.mount("/desk", create_desk(cfg, store))
