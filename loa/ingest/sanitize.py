"""HTML from feeds, made safe to publish (sanitize_html) or read aloud (html_to_text).

Feed HTML is untrusted: a compromised or careless source must not be able to put
script on the website or the digital boards. nh3 (ammonia) does the cleaning with
an allowlist; anything not listed is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser
from typing import Literal

import nh3

_TAGS = frozenset(
    {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a", "h2", "h3", "h4", "blockquote"}
    | {"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"}
)
_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}}
# Relative URLs stay allowed (nh3 default); any other scheme, javascript: and data: included, is dropped.
_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_LINK_REL = "noopener noreferrer nofollow"
# Their content is code or layout, never text a citizen should see.
_DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"})

# Elements that end a visual line: a space stands in for them so words never run together.
_BLOCKS = frozenset(
    {"p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "table", "blockquote", "section", "article"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "hr", "dd", "dt", "caption", "figcaption", "pre"}
)


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Allowlisted, NFC-normalised HTML; links get rel="noopener noreferrer nofollow".

    Given the feed's `base_url`, relative links are resolved against it, so they still point to
    their source once the text is on Loa's website; a base that is no web address (a file://
    feed) drops them instead. Without one (an editor's own text) they are kept as written.
    """
    relative: _Relative
    if base_url is None:
        relative = "pass_through"
    else:
        relative = ("rewrite_with_base", base_url) if _WEB_URL.match(base_url) else "deny"
    return unicodedata.normalize("NFC", _cleaner(relative).clean(html).strip())


_WEB_URL = re.compile(r"(?i)https?://[^/?#\s]")
_Relative = Literal["pass_through", "deny"] | tuple[Literal["rewrite_with_base"], str]  # nh3's url_relative


@lru_cache(maxsize=256)  # built once per base (usually one per feed), then reused
def _cleaner(url_relative: _Relative) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in _ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel=_LINK_REL,
        strip_comments=True,
        url_relative=url_relative,
    )


def html_to_text(html: str) -> str:
    """Plain text for boards and radio: entities decoded, whitespace collapsed, NFC."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return collapse_whitespace("".join(parser.parts))


def collapse_whitespace(text: str) -> str:
    """One space between words, none at the ends, NFC (also the form keywords are matched in).
    str.split() splits on exactly the characters regex \\s matches, in a third of the time."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []  # open script/style/... whose text is dropped

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _DROP_WITH_CONTENT:
            self._skipping.append(tag)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and tag == self._skipping[-1]:
            self._skipping.pop()
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)
