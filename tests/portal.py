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
