"""A government portal's answer to a feed request, for the loopback servers of tests and benchmarks."""

from __future__ import annotations

import hashlib
from http.server import BaseHTTPRequestHandler


def answer_feed(handler: BaseHTTPRequestHandler, body: bytes, *, conditional: bool = True) -> None:
    """The feed with its ETag, or 304 Not Modified when the client already has it (unless the
    portal ignores If-None-Match, as many do: `conditional=False`)."""
    etag = '"' + hashlib.md5(body).hexdigest() + '"'
    if conditional and handler.headers.get("If-None-Match") == etag:
        handler.send_response(304)
        handler.send_header("ETag", etag)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml; charset=utf-8")
    handler.send_header("ETag", etag)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


# --- golden portals (tests/data/portals): feeds that only link, and the pages they link ----------

import functools  # noqa: E402
import http.server  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

PORTALS = Path(__file__).resolve().parent / "data" / "portals"


class PortalServer:
    """tests/data/portals over real HTTP on loopback (Last-Modified and 304 as a static server does),
    logging each request's path and conditional header."""

    def __init__(self, folder: Path = PORTALS):
        self.requests: list[tuple[str, str | None]] = []
        self.answers: list[tuple[str, int]] = []  # (path, status)
        log, answers = self.requests, self.answers

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                log.append((self.path, self.headers.get("If-Modified-Since")))
                super().do_GET()

            def log_request(self, code="-", size="-"):
                answers.append((self.path, int(code)))

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder))
        )
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def hits(self, path: str) -> list[str | None]:
        """The If-Modified-Since sent with each request for `path` (None: unconditional)."""
        return [since for p, since in self.requests if p == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def golden_pages() -> list[tuple[str, Path, dict]]:
    """(kind, page file, expected) for every golden article page: expected has "paragraphs" (the main
    text) and "furniture" (phrases of the page's menus, lists, counters and boxes)."""
    out = []
    for expected in sorted(PORTALS.glob("*/expected/*.json")):
        kind = expected.parent.parent.name
        (page,) = [p for p in expected.parent.parent.glob(f"*/{expected.stem}.htm*")]
        out.append((kind, page, json.loads(expected.read_text(encoding="utf-8"))))
    return out


_SENTENCE = re.compile(r"(?<=[.;!?])\s+(?=[A-ZÀ-Ỹ0-9(])")


def extraction_score(text: str, expected: dict) -> tuple[float, float, list[str], list[str]]:
    """(share of the expected sentences found in `text`, share of the furniture phrases left in it,
    the sentences missed, the furniture left)."""
    flat = " ".join(text.split())
    sentences = [s for p in expected["paragraphs"] for s in _SENTENCE.split(p)]
    missed = [s for s in sentences if s not in flat]
    left = [f for f in expected["furniture"] if f in flat]
    return 1 - len(missed) / len(sentences), len(left) / len(expected["furniture"]), missed, left
