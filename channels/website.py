"""The website: static HTML under LOA_HOME/site, served by `loa run` or any web server.

One writer owns all output: it builds the page context first, then writes
each file atomically. A notice page is rewritten on publish and on withdraw
(withdrawn notices stay, clearly marked; they are never silently deleted).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from loa.config import Config
from loa.files import write_atomic
from loa.model import DeliveryResult, NoticeState, NoticeView
from loa.render import TEMPLATES, make_env
from loa.signing import Signer
from loa.store import Store

from channels.base import register


def notice_path(notice_id: int) -> str:
    return f"notices/{notice_id}.html"


@register
class Website:
    name = "website"

    def __init__(self, cfg: Config, store: Store):
        self.cfg, self.store = cfg, store
        self.root = cfg.home / "site"
        self.env = make_env()
        self.env.filters["area_name"] = cfg.area_name

    def targets(self, notice: NoticeView) -> list[str]:
        return ["site"]

    def url_for(self, notice: NoticeView) -> str:
        return f"{self.cfg.site_url}/{notice_path(notice.id)}"

    def _context(self) -> dict:
        return {"site_title": self.cfg.site_title, "site_url": self.cfg.site_url,
                "root": ".."}

    def _audio_url(self, notice: NoticeView) -> str | None:
        from channels.radio import audio_file

        path = audio_file(self.cfg, notice)
        return f"/radio/audio/{path.name}" if path.exists() else None

    def _write_notice(self, notice: NoticeView) -> Path:
        html = self.env.get_template("website/notice.html").render(
            notice=notice, body=notice.variants.get("website", ""), audio_url=self._audio_url(notice),
            withdrawn=notice.state == NoticeState.WITHDRAWN, **self._context())
        return write_atomic(self.root / notice_path(notice.id), html)

    def _write_index(self) -> None:
        ctx = self._context() | {"root": "."}
        live = self.store.live_notices()
        write_atomic(self.root / "index.html",
                     self.env.get_template("website/index.html").render(notices=live, **ctx))
        css = TEMPLATES / "website" / "site.css"
        if not (self.root / "static" / "site.css").exists() or css.stat().st_mtime > (
                self.root / "static" / "site.css").stat().st_mtime:
            (self.root / "static").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(css, self.root / "static" / "site.css")
        signer = Signer.load_or_create(self.cfg.home / "keys" / "notice-signing.pem")
        write_atomic(self.root / "keys" / "notices.json", json.dumps(signer.public_key_document(), indent=2))

    def _write(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        try:
            page = self._write_notice(notice)
            self._write_index()
        except OSError as exc:
            detail = f"writing the website under {self.root} failed: {exc}; check disk space and permissions"
            return [DeliveryResult(self.name, t, False, detail) for t in targets]
        return [DeliveryResult(self.name, t, True, f"{self.url_for(notice)} ({page})") for t in targets]

    dispatch = _write
    withdraw = _write  # the page stays, marked withdrawn; the index drops it

    def describe(self) -> dict:
        return {"channel": self.name, "root": str(self.root), "site_url": self.cfg.site_url}
