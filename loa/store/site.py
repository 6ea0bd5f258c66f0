"""Store reads the website needs beyond NoticeView (which carries the Vietnamese variants only)."""

from __future__ import annotations

from sqlalchemy import select

from loa.store import Store
from loa.store.schema import NoticeVersionRow, VariantRow


def language_variants(store: Store, notice_id: int, version: int, channel: str = "website") -> dict[str, str]:
    """{language: body} of a version's variants in languages other than Vietnamese (Tày, Nùng, H'Mông…)."""
    with store.reading() as s:
        rows = s.execute(
            select(VariantRow.language, VariantRow.body)
            .join(NoticeVersionRow)
            .where(
                NoticeVersionRow.notice_id == notice_id,
                NoticeVersionRow.version == version,
                VariantRow.channel == channel,
                VariantRow.language != "vi",
            )
            .order_by(VariantRow.language)
        ).all()
    return {lang: body for lang, body in rows if body and body.strip()}


def all_language_variants(store: Store, channel: str = "website") -> dict[tuple[int, int], dict[str, str]]:
    """The same for every version at once: {(notice id, version): {language: body}} (a full site rebuild)."""
    out: dict[tuple[int, int], dict[str, str]] = {}
    with store.reading() as s:
        rows = s.execute(
            select(NoticeVersionRow.notice_id, NoticeVersionRow.version, VariantRow.language, VariantRow.body)
            .join(NoticeVersionRow)
            .where(VariantRow.channel == channel, VariantRow.language != "vi")
            .order_by(VariantRow.language)
        ).all()
    for notice_id, version, lang, body in rows:
        if body and body.strip():
            out.setdefault((notice_id, version), {})[lang] = body
    return out
