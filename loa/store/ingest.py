"""The store's side of ingest: the "what changed?" decision and drafting, as bulk Core statements.

These run inside a caller's transaction (a Session), so one feed's entries, drafts and health
land together or not at all. They are the ingest hot path: Core executemany INSERTs on the
tables, then one SELECT for the new ids by their natural keys (identity, (document, version),
...), no ORM objects: a handful of round trips per feed whatever its length. (INSERT ...
RETURNING in parameter order falls back to one statement per row on SQLite.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from loa.errors import NotFound
from loa.model import Classification, Entry, NoticeState, Priority
from loa.store.schema import (
    ActionRow,
    DocumentRow,
    DocumentVersionRow,
    FeedRow,
    NoticeRow,
    NoticeVersionRow,
    SearchTextRow,
    VariantRow,
    utcnow,
)
from loa.textfold import fold

# Core tables, not ORM classes: statements on them skip the ORM's compile and result layers.
# (a mapped class's __table__ is typed FromClause; a declarative class's is always a Table)
_actions, _variants, _feeds = (cast(Table, r.__table__) for r in (ActionRow, VariantRow, FeedRow))
_documents, _document_versions = (cast(Table, r.__table__) for r in (DocumentRow, DocumentVersionRow))
_notices, _notice_versions = (cast(Table, r.__table__) for r in (NoticeRow, NoticeVersionRow))


@dataclass(frozen=True)
class EntryChange:
    """What the store made of one feed entry: the 'what changed?' decision."""

    kind: str  # "new" | "updated" | "unchanged"
    document_id: int
    document_version_id: int
    version: int


@dataclass(frozen=True)
class Draft:
    """What it takes to draft a notice version from a document version."""

    document_version_id: int
    areas: list[str]
    variants: dict[str, str]
    priority: Priority = Priority.NORMAL


@dataclass(frozen=True)
class Drafted:
    """A notice version drafted from a new or amended document version."""

    document_id: int
    document_version: int
    notice_id: int
    notice_version: int


@dataclass(frozen=True)
class _Seen:
    version_id: int
    version: int


class _Document:
    """A document's versions as far as the decision needs them: which texts were seen, the newest."""

    def __init__(self, doc_id: int):
        self.id = doc_id
        self.texts: dict[str, _Seen] = {}  # content hash -> the version that had it
        self.newest = 0

    def add(self, content_hash: str, seen: _Seen) -> None:
        self.texts.setdefault(content_hash, seen)
        self.newest = max(self.newest, seen.version)


def _ids(name: str):
    """An IN list given at execution time: built once, the statement is compiled once and cached,
    and its values are not coerced one by one as a literal list would be."""
    return bindparam(name, expanding=True)


_DOCUMENTS_WITH_VERSIONS = (
    select(
        _documents.c.identity,
        _documents.c.id,
        _document_versions.c.id,
        _document_versions.c.version,
        _document_versions.c.content_hash,
    )
    .outerjoin(_document_versions, _document_versions.c.document_id == _documents.c.id)
    .where(_documents.c.identity.in_(_ids("identities")))
    .order_by(_document_versions.c.version)
)
_DOCUMENT_VERSIONS = select(
    _document_versions.c.id, _document_versions.c.document_id, _document_versions.c.title
).where(_document_versions.c.id.in_(_ids("ids")))
_NOTICE_IDS = select(_notices.c.document_id, _notices.c.id).where(_notices.c.document_id.in_(_ids("documents")))
_NEWEST_NOTICE_VERSIONS = (
    select(_notice_versions.c.notice_id, func.max(_notice_versions.c.version))
    .where(_notice_versions.c.notice_id.in_(_ids("notices")))
    .group_by(_notice_versions.c.notice_id)
)
_DRAFTS_OF = select(_notice_versions.c.id, _notice_versions.c.notice_id).where(
    _notice_versions.c.notice_id.in_(_ids("notices")), _notice_versions.c.state == NoticeState.DRAFTED.value
)
_TITLES = (
    select(_notice_versions.c.notice_id, _notice_versions.c.title)
    .where(_notice_versions.c.notice_id.in_(_ids("notices")))
    .order_by(_notice_versions.c.version)
)
_FEED = select(_feeds.c.id, _feeds.c.name).where(_feeds.c.url == bindparam("url"))
_VALIDATORS = select(_feeds.c.etag, _feeds.c.last_modified).where(_feeds.c.url == bindparam("url"))
# the ids of version rows just inserted, by their parents (then matched on version in Python)
_VERSION_IDS = {
    table: select(table.c[parent], table.c.version, table.c.id).where(table.c[parent].in_(_ids("parents")))
    for table, parent in ((_document_versions, "document_id"), (_notice_versions, "notice_id"))
}


def titles(s: Session, notice_ids: list[int]) -> dict[int, str]:
    return dict(s.execute(_TITLES, {"notices": list(set(notice_ids))}).all())  # the latest version's wins


def known_texts(s: Session, identities: Iterable[str]) -> dict[str, set[str]]:
    """identity -> the content hashes of every stored version of that document."""
    return {i: set(doc.texts) for i, doc in _load_documents(s, list(set(identities))).items() if doc.texts}


_ARTICLES = (
    select(_documents.c.identity, _document_versions.c.article, _document_versions.c.body_html)
    .join(_document_versions, _document_versions.c.document_id == _documents.c.id)
    .where(_documents.c.identity.in_(_ids("identities")), _document_versions.c.article.is_not(None))
    .order_by(_document_versions.c.version)
)


def previous_articles(s: Session, identities: Iterable[str]) -> dict[str, tuple[dict, str]]:
    """identity -> (article record, body) of the newest version whose linked page was read: what a
    conditional GET of the page sends, and keeps when the page has not changed."""
    return {i: (a, b) for i, a, b in s.execute(_ARTICLES, {"identities": list(set(identities))}) if a}


def validators(s: Session, url: str) -> tuple[str | None, str | None]:
    row = s.execute(_VALIDATORS, {"url": url}).first()
    return (row.etag, row.last_modified) if row else (None, None)


def feed_id(s: Session, url: str, name: str = "") -> int:
    row = s.execute(_FEED, {"url": url}).first()
    if row is None:
        return s.execute(
            insert(_feeds).returning(_feeds.c.id), {"url": url, "name": name or url, "consecutive_failures": 0}
        ).scalar_one()
    if name and row.name != name:
        s.execute(update(_feeds).where(_feeds.c.id == row.id).values(name=name))
    return row.id


def record_feed_success(
    s: Session,
    feed: int,
    *,
    title: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    not_modified: bool = False,
) -> None:
    """A good poll of feed id `feed`: failures reset; a 200 also brings the validators for the next
    conditional GET."""
    now = utcnow()
    values = {"last_checked_at": now, "last_success_at": now, "consecutive_failures": 0}
    if not not_modified:
        values |= {"etag": etag, "last_modified": last_modified} | ({"title": title} if title else {})
    s.execute(update(_feeds).where(_feeds.c.id == feed).values(values))


def record_feed_failure(s: Session, feed: int, *, reason: str, error: str) -> int:
    """A failed poll of feed id `feed`; returns its consecutive failures, this one included."""
    now = utcnow()
    s.execute(
        update(_feeds)
        .where(_feeds.c.id == feed)
        .values(
            last_checked_at=now,
            last_error_at=now,
            last_error_reason=reason,
            last_error=error,
            consecutive_failures=func.coalesce(_feeds.c.consecutive_failures, 0) + 1,
        )
    )
    return s.execute(select(_feeds.c.consecutive_failures).where(_feeds.c.id == feed)).scalar_one()


def record_entries(s: Session, feed: int, items: list[tuple[Entry, Classification]]) -> list[EntryChange]:
    """New document, new version of one, or nothing, for the entries of feed id `feed`: a text the
    document already had (in any version, from any feed) is not a change, so two feeds that disagree
    about a document never make it flip between their two texts on every pass. The same entry twice
    in one feed is one change."""
    identities = list(dict.fromkeys(e.identity for e, _ in items))
    docs = _load_documents(s, identities)
    fresh = [i for i in identities if i not in docs]
    if fresh:
        now = utcnow()
        s.execute(insert(_documents), [{"identity": i, "created_at": now} for i in fresh])
        docs.update(_load_documents(s, fresh))
    rows, changes = [], []
    now = utcnow()
    for entry, cls in items:
        doc = docs[entry.identity]
        seen = doc.texts.get(entry.content_hash)
        if seen is not None:
            changes.append(EntryChange("unchanged", doc.id, seen.version_id, seen.version))
            continue
        kind = "updated" if doc.newest else "new"
        version = doc.newest + 1
        rows.append(
            {
                "document_id": doc.id,
                "version": version,
                "feed_id": feed,
                "title": entry.title,
                "summary_html": entry.summary_html,
                "link": entry.link,
                "published": entry.published,
                "content_hash": entry.content_hash,
                "relevant": cls.relevant,
                "score": cls.score,
                "reasons": list(cls.reasons),
                "content_areas": list(cls.content_areas),
                "meta": {k: v for k, v in vars(cls.meta).items() if v},
                "fetched_at": now,
                "body_html": entry.body_html,
                "article": entry.article,
                "warnings": list(entry.warnings),
            }
        )
        doc.add(entry.content_hash, _Seen(-len(rows), version))  # id filled in below
        changes.append(EntryChange(kind, doc.id, -len(rows), version))
    ids = _insert_versions(s, _document_versions, "document_id", rows)
    return [
        c
        if c.document_version_id >= 0
        else EntryChange(c.kind, c.document_id, ids[-c.document_version_id - 1], c.version)
        for c in changes
    ]


def _insert_versions(s: Session, table: Table, parent: str, rows: list[dict]) -> list[int]:
    """Insert version rows; their ids in the order of `rows`, found by (parent id, version)."""
    if not rows:
        return []
    s.execute(insert(table), rows)
    ids = {(p, v): i for p, v, i in s.execute(_VERSION_IDS[table], {"parents": list({r[parent] for r in rows})})}
    return [ids[r[parent], r["version"]] for r in rows]


def _load_documents(s: Session, identities: list[str]) -> dict[str, _Document]:
    docs: dict[str, _Document] = {}
    if not identities:
        return docs
    for identity, doc_id, version_id, version, content_hash in s.execute(
        _DOCUMENTS_WITH_VERSIONS, {"identities": identities}
    ):
        doc = docs.setdefault(identity, _Document(doc_id))
        if version_id is not None:
            doc.add(content_hash, _Seen(version_id, version))
    return docs


def draft_notices(s: Session, drafts: list[Draft]) -> list[tuple[int, int]]:
    """A new notice, or a new version of the document's notice, in state drafted, per draft.
    An older draft nobody approved is superseded by the newer text. Returns (notice id, version)."""
    if not drafts:
        return []
    dv_ids = [d.document_version_id for d in drafts]
    dvs = {row.id: row for row in s.execute(_DOCUMENT_VERSIONS, {"ids": dv_ids})}
    missing = [i for i in dv_ids if i not in dvs]
    if missing:
        raise NotFound(f"document version(s) {missing} do not exist")
    doc_ids = list(dict.fromkeys(dvs[i].document_id for i in dv_ids))
    notices = dict(s.execute(_NOTICE_IDS, {"documents": doc_ids}).all())
    known = {"notices": list(notices.values())}
    versions = dict(s.execute(_NEWEST_NOTICE_VERSIONS, known).all()) if notices else {}
    old_drafts = s.execute(_DRAFTS_OF, known).all() if notices else []
    fresh = [d for d in doc_ids if d not in notices]
    if fresh:
        s.execute(insert(_notices), [{"document_id": d, "created_at": utcnow()} for d in fresh])
        notices.update(s.execute(_NOTICE_IDS, {"documents": fresh}).all())
    now = utcnow()
    drafted: list[tuple[int, int]] = []
    rows: list[dict] = []
    newest: dict[int, int] = {}
    for d in drafts:
        dv = dvs[d.document_version_id]
        notice_id = notices[dv.document_id]
        version = versions[notice_id] = versions.get(notice_id, 0) + 1
        if notice_id in newest:  # two texts of one document in one batch: the later one stands
            rows[newest[notice_id]]["state"] = NoticeState.SUPERSEDED.value
        newest[notice_id] = len(rows)
        drafted.append((notice_id, version))
        rows.append(
            {
                "notice_id": notice_id,
                "version": version,
                "document_version_id": dv.id,
                "state": NoticeState.DRAFTED.value,
                "priority": d.priority.value,
                "title": dv.title,
                "areas": list(d.areas),
                "created_at": now,
                "updated_at": now,
            }
        )
    nv_ids = _insert_versions(s, _notice_versions, "notice_id", rows)
    if old_drafts:
        s.execute(
            update(_notice_versions)
            .where(_notice_versions.c.id.in_([i for i, _ in old_drafts]))
            .values(state=NoticeState.SUPERSEDED.value, updated_at=now)
        )
    superseded = [(i, n) for i, n in old_drafts] + [
        (i, r["notice_id"]) for i, r in zip(nv_ids, rows) if r["state"] == NoticeState.SUPERSEDED.value
    ]
    actions = [{"notice_version_id": i, "action": "drafted", "actor": "loa", "at": now, "reason": None} for i in nv_ids]
    actions += [
        {
            "notice_version_id": i,
            "action": "superseded",
            "actor": "loa",
            "at": now,
            "reason": f"the source document changed; see version {versions[notice_id]}",
        }
        for i, notice_id in superseded
    ]
    s.execute(insert(_actions), actions)
    variants = [
        {"notice_version_id": i, "channel": c, "language": "vi", "body": b, "updated_at": now}
        for i, d in zip(nv_ids, drafts)
        for c, b in d.variants.items()
    ]
    if variants:
        s.execute(insert(_variants), variants)
    index_search(s, nv_ids)
    return drafted


def index_search(s: Session, notice_version_ids: list[int] | None = None) -> int:
    """The desk search's folded text of notice versions (these, or every one not indexed yet), written
    when they are drafted so that searching the queue is a pure read. Titles never change once drafted."""
    query = (
        select(NoticeVersionRow.id, NoticeVersionRow.title, DocumentVersionRow.meta, FeedRow.name)
        .join(DocumentVersionRow, DocumentVersionRow.id == NoticeVersionRow.document_version_id)
        .outerjoin(FeedRow, FeedRow.id == DocumentVersionRow.feed_id)
        .where(~exists().where(SearchTextRow.notice_version_id == NoticeVersionRow.id))
    )
    if notice_version_ids is not None:
        query = query.where(NoticeVersionRow.id.in_(notice_version_ids))
    rows = []
    for nv_id, title, meta, feed in s.execute(query).all():
        meta = meta or {}
        words = [title, meta.get("number") or "", meta.get("doc_type") or "", meta.get("issuer") or "", feed or ""]
        rows.append({"notice_version_id": nv_id, "text": fold(" ".join(words))})
    if rows:
        s.execute(insert(SearchTextRow), rows)
    return len(rows)
