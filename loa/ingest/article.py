"""The full text of what a feed only links: read the entry's page (and the văn bản's PDF) when the
feed gave a summary.

Pages are fetched with the feeds' own machinery (loa/ingest/fetch.py): the same per-host slots,
time and size limits, retries and conditional GET (the validators of the last read of the same
page are sent, and a 304 keeps the text read then). Extraction runs where parsing runs (the parse
pool). Nothing here can lose an entry: a page that cannot be fetched or read leaves the entry as the
feed gave it, with a warning the editor sees on the desk and in `loa show`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import requests

from loa.errors import FeedError
from loa.ingest.classify import extract_meta
from loa.ingest.fetch import FetchLimits, FetchResult, HostSlots, fetch
from loa.ingest.sanitize import html_to_text
from loa.model import DocumentMeta, Entry

log = logging.getLogger(__name__)

# A feed text of one paragraph shorter than SUMMARY_CHARS, or of any shape shorter than LEAD_CHARS,
# is a lead, not the document.
SUMMARY_CHARS = 600
LEAD_CHARS = 200
_PARAGRAPH = re.compile(r"<(?:p|li)\b", re.IGNORECASE)
# The văn bản's PDF is read for its facts only up to this size (a scanned 200-page annex is not).
PDF_MAX_BYTES = 5 * 1024 * 1024
# An article page larger than this is no article (extraction time grows with the page).
PAGE_MAX_BYTES = 3 * 1024 * 1024
_CUT_OFF = re.compile(r"(?:\.\.\.|…|\[…\]|xem tiếp|đọc tiếp|xem chi tiết|chi tiết)\s*[»>›]*\s*$", re.IGNORECASE)
_FACTS = ("number", "issued_on", "signer")


def needs_article(entry: Entry, mode: str) -> bool:
    """Whether the linked page must be read: per feed "always", "never", or "auto" (the entry's text is
    short, cut off, or there is no title)."""
    if mode == "never" or not entry.link:
        return False
    if mode == "always" or not entry.title:
        return True
    text = html_to_text(entry.summary_html)
    if _CUT_OFF.search(text) or len(text) < LEAD_CHARS:
        return True
    # a lead is one paragraph; two or more short ones are the whole (short) text
    return len(text) < SUMMARY_CHARS and len(_PARAGRAPH.findall(entry.summary_html)) < 2


@dataclass(frozen=True)
class Extracted:
    """What the parse pool sends back for a page: an article, or why there is none."""

    title: str = ""
    body_html: str = ""
    text: str = ""
    attachments: tuple[str, ...] = ()
    error: str | None = None


# (content, url, content_type, lead, title, want_title) -> Extracted; (content) -> DocumentMeta | str
ExtractPage = Callable[[bytes, str, str | None, str, str, bool], Extracted]
ReadPdf = Callable[[bytes], "DocumentMeta | str"]


class ArticleReader:
    """Completes a feed's new entries from their linked pages, one host slot per fetch."""

    def __init__(
        self,
        *,
        session: requests.Session | None,
        limits: FetchLimits,
        hosts: HostSlots,
        extract_page: ExtractPage,
        read_pdf: ReadPdf,
        pdf_max_bytes: int = PDF_MAX_BYTES,
    ):
        self.session, self.hosts = session, hosts
        self.extract_page, self.read_pdf = extract_page, read_pdf
        self.limits = replace(limits, max_bytes=min(limits.max_bytes, PAGE_MAX_BYTES))
        self.pdf_limits = replace(limits, max_bytes=pdf_max_bytes)

    def complete(
        self, entries: list[Entry], mode: str, previous: dict[str, tuple[dict, str]], feed_url: str = ""
    ) -> list[Entry]:
        """`previous`: identity -> (article record, body) of the last read of each document's page.
        Pages are read as many at a time as a host allows (the host slots still bound each host).
        A link into a private network is not followed unless the feed itself is served from one."""
        entries = [
            e
            if not e.link or not needs_article(e, mode) or reachable(e.link, feed_url)
            else replace(e, warnings=(*e.warnings, _PRIVATE.format(link=e.link)), article={"refused": e.link})
            for e in entries
        ]
        wanted = [needs_article(e, mode) and not (e.article or {}).get("refused") for e in entries]
        if sum(wanted) <= 1:
            return [self._safely(e, previous.get(e.identity)) if w else _titled(e) for e, w in zip(entries, wanted)]
        with ThreadPoolExecutor(max_workers=max(1, self.hosts.per_host)) as pool:
            done = [
                pool.submit(self._safely, e, previous.get(e.identity)) if w else None for e, w in zip(entries, wanted)
            ]
            return [d.result() if d else _titled(e) for e, d in zip(entries, done)]

    def _safely(self, entry: Entry, previous: tuple[dict, str] | None) -> Entry:
        """complete_one; a bug in Loa while reading one page costs that page, not the feed's entries."""
        try:
            return self.complete_one(entry, previous)
        except Exception as exc:
            log.exception("entry %s: unexpected error while reading its page %s", entry.identity, entry.link)
            return _titled(
                entry,
                warning=f"Lỗi của Loa khi đọc trang {entry.link} ({type(exc).__name__}: {exc}); "
                "thông báo được soạn từ phần tóm tắt của nguồn tin. Hãy báo lỗi này.",
            )

    def complete_one(self, entry: Entry, previous: tuple[dict, str] | None) -> Entry:
        link = entry.link
        if link is None:  # nothing to read (only entries with a link are completed)
            return entry
        # validators only with a text to keep: a 304 must never leave the entry with nothing
        old, old_body = previous if previous and previous[0].get("url") == link and previous[1] else ({}, "")
        try:
            with self.hosts(link):
                page = fetch(
                    link,
                    etag=old.get("etag"),
                    last_modified=old.get("last_modified"),
                    session=self.session,
                    limits=self.limits,
                    feed=False,
                )
        except FeedError as exc:
            return _titled(
                entry,
                warning=f"Không tải được bài viết gốc {link} ({exc.reason}: {_what(exc)}). "
                "Thông báo được soạn từ phần tóm tắt của nguồn tin; hãy mở liên kết để kiểm tra trước khi duyệt.",
            )
        if page.not_modified and old_body:
            got = Extracted(
                title=old.get("title", ""),
                body_html=old_body,
                text=html_to_text(old_body),
                attachments=tuple(old.get("attachments", ())),
            )
        elif _is_pdf(page):
            # the link is the văn bản itself: its facts are what can be read
            got = Extracted(attachments=(page.final_url,))
            return self._with_pdf(replace(entry, article=_record(page, got)), page)
        else:
            try:
                got = self.extract_page(
                    page.content,
                    page.final_url,
                    page.content_type,
                    html_to_text(entry.summary_html),
                    entry.title,
                    not entry.title,
                )
            except FeedError as exc:  # the extractor crashed (a bug, logged with its traceback)
                got = Extracted(error=str(exc))
        if got.error:
            return _titled(
                replace(entry, article=_record(page, got)),
                warning=(
                    f"Trang {link} không có nội dung chính đọc được ({got.error}). "
                    "Thông báo được soạn từ phần tóm tắt của nguồn tin; hãy kiểm tra trước khi duyệt."
                ),
            )
        done = replace(entry, title=entry.title or got.title, body_html=got.body_html, article=_record(page, got))
        return self._facts_from_files(_titled(done), got)

    def _facts_from_files(self, entry: Entry, got: Extracted) -> Entry:
        """Number, date and signer from the văn bản's PDF when neither feed, link nor page gave them."""
        pdfs = [u for u in got.attachments if urlsplit(u).path.lower().endswith(".pdf")]
        if not pdfs:
            return entry
        known = merge_meta(
            extract_meta(entry.title, f"{html_to_text(entry.summary_html)} {got.text}"), entry.found_meta
        )
        if all(getattr(known, f) for f in _FACTS):
            return entry
        try:
            with self.hosts(pdfs[0]):
                pdf = fetch(pdfs[0], session=self.session, limits=self.pdf_limits, feed=False)
        except FeedError as exc:
            return _warn(
                entry,
                f"Không đọc được tệp văn bản {pdfs[0]} để lấy số hiệu, ngày ban hành, người ký "
                f"({exc.reason}: {_what(exc)}). Hãy nhập các thông tin này nếu cần.",
            )
        return self._with_pdf(entry, pdf)

    def _with_pdf(self, entry: Entry, pdf: FetchResult) -> Entry:
        try:
            facts = self.read_pdf(pdf.content)
        except FeedError as exc:
            facts = str(exc)
        if isinstance(facts, str):
            return _titled(
                entry,
                warning=f"Không đọc được tệp văn bản {pdf.final_url} ({facts}). "
                "Số hiệu, ngày ban hành, người ký cần nhập tay nếu trang không ghi.",
            )
        return _titled(replace(entry, found_meta=merge_meta(entry.found_meta or DocumentMeta(), facts)))


_PRIVATE = (
    "Liên kết {link} trỏ vào mạng nội bộ, khác với nguồn tin, nên Loa không tải trang này. "
    "Thông báo được soạn từ phần tóm tắt của nguồn tin; hãy kiểm tra nguồn tin trước khi duyệt."
)


def reachable(link: str, feed_url: str) -> bool:
    """False for a link to a loopback, private or link-local address (or localhost) from a feed that is
    not itself on one: a feed's content must not make Loa fetch the operator's own services."""

    def private(url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False  # a name: resolved by the network, as the feed's own name is
        return address.is_private or address.is_loopback or address.is_link_local or address.is_reserved

    return not private(link) or private(feed_url)


def _what(exc: FeedError) -> str:
    """What happened, without the advice meant for a feed's URL in feeds.yaml."""
    return exc.detail.split(";")[0]


def _is_pdf(page: FetchResult) -> bool:
    return page.content.startswith(b"%PDF-") or "application/pdf" in (page.content_type or "").lower()


def _record(page: FetchResult, got: Extracted) -> dict:
    return {
        "url": page.url,
        "final_url": page.final_url,
        "etag": page.etag,
        "last_modified": page.last_modified,
        "title": got.title,
        "attachments": list(got.attachments),
    }


def merge_meta(meta: DocumentMeta, found: DocumentMeta | None) -> DocumentMeta:
    """`meta` (the classifier's facts), its gaps filled from `found` (the link's, the văn bản PDF's)."""
    if found is None:
        return meta
    return DocumentMeta(**{k: v or getattr(found, k) for k, v in vars(meta).items()})


def _warn(entry: Entry, warning: str) -> Entry:
    return replace(entry, warnings=(*entry.warnings, warning))


def _titled(entry: Entry, warning: str | None = None) -> Entry:
    """An untitled entry named for its document number, else flagged for the editor."""
    if warning:
        entry = _warn(entry, warning)
    if entry.title:
        return entry
    meta = entry.found_meta
    if meta and meta.number:
        return replace(entry, title=f"{meta.doc_type or 'Văn bản'} số {meta.number}")
    return _warn(
        replace(entry, title="Văn bản chưa có tiêu đề"),
        "Nguồn tin không ghi tiêu đề và không tìm được tiêu đề ở trang liên kết; hãy đặt tiêu đề trước khi duyệt.",
    )
