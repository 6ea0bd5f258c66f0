"""From the store's NoticeView to the site's Entry: the one mapping the website and the bulletin share."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from loa.ingest.sanitize import html_to_text
from loa.model import NoticeState, NoticeView
from loa.render import truncate_words
from loa.site.model import DOCUMENT_KEYS, Entry, safe_url

EXCERPT_CHARS = 300

_STATES = {NoticeState.WITHDRAWN: "withdrawn", NoticeState.SUPERSEDED: "superseded"}


def excerpt(html: str, limit: int = EXCERPT_CHARS) -> str:
    return truncate_words(html_to_text(html or ""), limit)


def entry_from_view(
    view: NoticeView,
    *,
    first_published_at: datetime | None = None,
    withdrawn_at: datetime | None = None,
    versions: tuple[int, ...] = (),
    audio: str | None = None,
) -> Entry:
    """A public version as an Entry. `versions`: the notice's older public versions."""
    published = view.approved_at or view.created_at
    return Entry(
        id=view.id,
        version=view.version,
        title=unicodedata.normalize("NFC", view.title),
        state=_STATES.get(view.state, "live"),
        priority=view.priority.value,
        areas=tuple(view.areas),
        published_at=published,
        first_published_at=min(first_published_at or published, published),
        updated_at=max(published, withdrawn_at or published),
        expires_at=view.expires_at,
        withdrawn_at=withdrawn_at,
        document={k: getattr(view.meta, k) for k in DOCUMENT_KEYS},
        excerpt=excerpt(view.variants.get("website") or view.summary_html),
        source_url=safe_url(view.source_url),
        audio=audio,
        versions=tuple(versions),
    )
