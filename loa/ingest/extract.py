"""An article page → its main text, safe to publish, without the portal's furniture.

trafilatura finds the main text (it is the strongest general extractor on published
benchmarks); what it lets through on Vietnamese government portals is then removed by rule:
related-news lists ("Tin khác", "Tin liên quan"), view counters ("Lượt xem: 1967"), visitor
statistics ("Thống kê truy cập · Đang truy cập 53"), comment boxes, share bars, the page's own
title and the feed's lead repeated. Links to the văn bản itself (PDF, DOC) are recorded apart.
Pure: bytes in, an Article out; no network, so it runs in the parse workers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.htmlprocessing import convert_to_html

from loa.errors import LoaError
from loa.ingest.parse import decode_feed
from loa.ingest.sanitize import collapse_whitespace, html_to_text, sanitize_html

# Links whose target is the document itself, not another page.
DOCUMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".odt", ".rtf")


@dataclass(frozen=True)
class Article:
    title: str  # the page's own title; "" unless asked for (it costs a metadata pass)
    body_html: str  # sanitised main text; "" when the page has none worth keeping
    text: str  # body_html as plain text
    attachments: tuple[str, ...]  # absolute URLs of the văn bản's own files (PDF first)


class ExtractError(LoaError, ValueError):
    """The page holds no main text (a login wall, an index page, an image gallery)."""


def extract_article(
    content: bytes,
    url: str,
    content_type: str | None = None,
    *,
    lead: str = "",
    title: str = "",
    want_title: bool = False,
) -> Article:
    """The main text of the page at `url`. `lead` and `title` (the feed's) are dropped where the
    page repeats them, since the notice shows them already. Raises ExtractError when nothing is left."""
    text, _ = decode_feed(content, _with_meta_charset(content, content_type))
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"the page is not readable HTML ({exc})") from None
    attachments = document_links(tree, url)
    unwrap_layout_tables(tree)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=want_title,
        include_links=True,
        include_tables=True,
        include_comments=False,
        favor_precision=True,
    )
    page_title = collapse_whitespace(getattr(doc, "title", None) or "") if doc is not None else ""
    if doc is None or isinstance(doc, dict) or doc.body is None:  # a Document, as as_dict is off
        raise ExtractError("no main text was found on the page")
    body = convert_to_html(doc.body).find("body")
    drop_furniture(body, repeated=[t for t in (title, page_title, lead) if t])
    html = sanitize_html(etree.tostring(body, encoding="unicode", method="html"), base_url=url)
    html = _BODY_TAGS.sub("", html).strip()
    plain = html_to_text(html)
    if not plain:
        raise ExtractError("the page's text is only navigation, lists and counters")
    return Article(title=page_title, body_html=html, text=plain, attachments=attachments)


_BODY_TAGS = re.compile(r"</?body>")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def _with_meta_charset(content: bytes, content_type: str | None) -> str | None:
    """A page may declare its encoding only in <meta charset>; decode_feed reads it as a header."""
    if content_type and "charset" in content_type.lower():
        return content_type
    found = _META_CHARSET.search(content[:4096])
    return f"text/html; charset={found.group(1).decode('ascii')}" if found else content_type


# --- layout tables ----------------------------------------------------------


def unwrap_layout_tables(tree: lxml.html.HtmlElement) -> None:
    """Tables that lay out a page (older portals put menu, article and side boxes in the cells of one
    table) become divs, so the extractor weighs each cell as a block instead of keeping or dropping the
    whole page; data tables (a document's facts, a list of procedures) stay tables."""
    for table in list(tree.iter("table")):
        if _is_layout(table):
            for element in [table, *table.iter("tbody", "thead", "tfoot", "tr", "td", "th")]:
                element.tag = "div"
                for attr in ("width", "height", "colspan", "rowspan", "valign", "align", "cellpadding", "cellspacing"):
                    element.attrib.pop(attr, None)


def _is_layout(table) -> bool:
    if table.find(".//table") is not None or table.find(".//form") is not None:
        return True
    cells = list(table.iter("td", "th"))
    longest = max((len(collapse_whitespace("".join(c.itertext()))) for c in cells), default=0)
    blocks = sum(1 for c in cells for _ in c.iter("p", "div", "br", "ul", "img"))
    return longest > 400 or blocks > 2 * max(1, len(cells))


# --- the văn bản's own files ------------------------------------------------

# Containers whose links are the portal's, not the article's (menus, sidebars, other news).
_ASIDE = re.compile(
    r"menu|nav|sidebar|header|footer|banner|right|left|other|related|lien-?quan|tin-?khac|"
    r"most|doc-?nhieu|xem-?nhieu|box|widget",
    re.IGNORECASE,
)


def document_links(tree: lxml.html.HtmlElement, url: str) -> tuple[str, ...]:
    """Links to PDF/DOC files in the article (not in menus or side boxes), absolute, PDFs first."""
    found: dict[str, None] = {}
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        path = urlsplit(href).path.lower()
        if not path.endswith(DOCUMENT_EXTENSIONS) or _in_aside(a):
            continue
        target = urljoin(url, href)
        if urlsplit(target).scheme in ("http", "https"):
            found.setdefault(target)
    return tuple(sorted(found, key=lambda u: not urlsplit(u).path.lower().endswith(".pdf")))


def _in_aside(element) -> bool:
    for parent in element.iterancestors():
        if parent.tag in ("nav", "header", "footer", "aside"):
            return True
        marks = f"{parent.get('id', '')} {parent.get('class', '')}"
        if marks.strip() and _ASIDE.search(marks):
            return True
    return False


# --- furniture --------------------------------------------------------------

# Headings that open a box of the portal's, never the article's: everything under one goes.
_SECTION_HEADINGS = re.compile(
    r"^(?:các |những )?(?:tin|bài|bài viết|văn bản)(?: khác| liên quan| cùng chuyên mục| mới| đã đưa| mới nhất)(?: khác)?|"
    r"^(?:đọc|xem) nhiều(?: nhất)?|^tin (?:nổi bật|xem nhiều|đọc nhiều|tiêu điểm)|^thống kê truy cập|"
    r"^lượt truy cập|^(?:ý kiến|bình luận)(?: bạn đọc| của bạn)?|^gửi (?:ý kiến|bình luận)(?: phản hồi)?|"
    r"^bình luận|^chia sẻ|^từ khóa|^tags?|^thăm dò ý kiến|^liên kết(?: website)?|^lịch công tác|"
    r"^chuyên mục|^danh mục|^video|^thư viện ảnh|^quảng cáo",
    re.IGNORECASE,
)
# A counter or statistics line, whole ("Lượt xem: 1967", "Đang truy cập 53", "Tổng truy cập 4.713.902").
_COUNTER = (
    r"(?:số )?lượt (?:xem|đọc|truy cập|thích)|đang (?:truy cập|trực tuyến|online)|online|hôm nay|hôm qua|"
    r"trong ngày|tuần này|tháng này|năm nay|tổng(?: số)?(?: lượt)? truy cập|tổng lượt|đã xem|"
    r"lượt bình luận|bình luận|thích"
)
_COUNTER_LINE = re.compile(rf"^(?:(?:{_COUNTER})\s*[:：]?\s*[\d.,]+\s*[|·•-]?\s*)+$", re.IGNORECASE)
# A short line of the page's tools, made only of these words.
_TOOL_WORDS = re.compile(
    r"(?<!\w)(?:chia sẻ|facebook|zalo|twitter|x|email|gửi email|in bài(?: viết)?|in trang|lên đầu trang|về đầu trang|"
    r"cỡ chữ|a|trở về|quay lại|bản in|lưu bài|sao chép liên kết|copy link|trang chủ|đầu trang|thích|trả lời)(?!\w)|"
    r"[][|:·•/»›+()-]",
    re.IGNORECASE,
)
# A line of publication facts with a counter in it ("Ngày đăng: 15/12/2025 08:30 | Lượt xem: 1967").
_DATELINE = re.compile(r"(?:ngày đăng|cập nhật|đăng lúc|ngày cập nhật|\d{1,2}/\d{1,2}/\d{4})", re.IGNORECASE)
_COUNTER_ANYWHERE = re.compile(rf"(?:{_COUNTER})\s*[:：]\s*[\d.,]+", re.IGNORECASE)
_BLOCKS = ("p", "div", "ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "dl")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def drop_furniture(body, repeated: Sequence[str] = ()) -> None:
    """Remove, in place, the blocks of `body` that are page furniture or repeat `repeated` texts."""
    again = [_norm(t) for t in repeated]
    in_box = False
    for block in list(body):
        text = collapse_whitespace("".join(block.itertext()))
        heading = block.tag in _HEADINGS or (len(text) <= 40 and not text.endswith("."))
        if heading and _SECTION_HEADINGS.match(text.rstrip(":：").strip()):
            in_box = True
        elif block.tag in _HEADINGS:
            in_box = False
        if in_box or not text or _is_furniture(block, text) or _repeats(text, again):
            body.remove(block)


def _is_furniture(block, text: str) -> bool:
    if _COUNTER_LINE.match(text):
        return True
    if len(text) <= 120 and _COUNTER_ANYWHERE.search(text) and _DATELINE.search(text):
        return True
    if len(text) <= 80 and not _TOOL_WORDS.sub("", text).strip():
        return True
    return _only_file_links(block, text) or _list_of_links(block, text)


def _list_of_links(block, text: str) -> bool:
    """Other news whose box title the extractor dropped: two or more links making most of the text."""
    links = [collapse_whitespace("".join(a.itertext())) for a in block.iter("a")]
    return len(links) >= 2 and sum(map(len, links)) >= 0.6 * len(text)


def _only_file_links(block, text: str) -> bool:
    """ "Xem chi tiết văn bản: 3627-KH-UBND.pdf | Tải về bản Word": the files are recorded apart."""
    links = [a for a in block.iter("a") if urlsplit(a.get("href") or "").path.lower().endswith(DOCUMENT_EXTENSIONS)]
    if not links:
        return False
    rest = text
    for a in links:
        rest = rest.replace(collapse_whitespace("".join(a.itertext())), "")
    return len(rest.strip(" |:-·")) <= 40


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _repeats(text: str, again: list[str]) -> bool:
    """The block is the title or the lead again (perhaps with a "(Chinhphu.vn) -" prefix)."""
    norm = _norm(text)
    return any(
        norm == t or (len(norm) - len(t) < 30 and t and (norm.endswith(t) or norm.startswith(t))) for t in again if t
    )
