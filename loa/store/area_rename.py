"""Moving a store's pre-2025 area paths to the 2025 map (run once, by migration 0010).

Kept beside the store's code rather than in the revision so it is tested like the rest
(tests/unit/test_area_migration.py builds a store with the old areas.yaml and runs it).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import JSON, Integer, String, column, select, table
from sqlalchemy.engine import Connection

from loa.area_migration import Remap, remap
from loa.store.schema import UTCDateTime, utcnow

LIVE = ("approved", "published", "partially_published")
PLACE_CHANNELS = ("boards", "print")  # channels whose delivery target is an area path

renames = table(
    "area_renames",
    column("id", Integer),
    column("source", String),
    column("old_path", String),
    column("new_paths", JSON),
    column("basis", String),
    column("rows", Integer),
    column("at", UTCDateTime),
)
versions = table(
    "notice_versions",
    column("id", Integer),
    column("notice_id", Integer),
    column("version", Integer),
    column("state", String),
    column("areas", JSON),
)
boards = table("boards", column("id", String), column("area", String))
acks = table("board_acks", column("id", Integer), column("area", String))
deliveries = table(
    "deliveries",
    column("id", Integer),
    column("notice_id", Integer),
    column("version", Integer),
    column("channel", String),
    column("target", String),
    column("kind", String),
    column("status", String),
    column("detail", String),
    column("attempts", Integer),
    column("created_at", UTCDateTime),
    column("updated_at", UTCDateTime),
)


def rename_all(conn: Connection) -> Counter:
    """Rewrite every old path in the store; record each (source, old path) once in area_renames."""
    seen: Counter = Counter()
    found: dict[str, Remap] = {}

    def move(source: str, path: str | None) -> Remap | None:
        if not path or path.count("/") == 0:
            return None  # the province (or nothing) is the same on both maps
        hit = found.setdefault(path, remap(path))
        seen[(source, path)] += 1
        return hit

    widened: dict[tuple[int, int], list[str]] = {}  # live versions → the areas they gained
    for vid, nid, ver, state, areas in conn.execute(
        select(versions.c.id, versions.c.notice_id, versions.c.version, versions.c.state, versions.c.areas)
    ).all():
        new: list[str] = []
        for path in areas or []:
            hit = move("notice_versions.areas", path)
            for p in hit.audience if hit and hit.known else (path,):
                if p not in new:
                    new.append(p)
        if new != list(areas or []):
            conn.execute(versions.update().where(versions.c.id == vid).values(areas=new))
            if state in LIVE:
                widened[(nid, ver)] = new
    for source, tbl, key in (("boards.area", boards, boards.c.id), ("board_acks.area", acks, acks.c.id)):
        for rid, path in conn.execute(select(key, tbl.c.area)).all():
            hit = move(source, path)
            if hit and hit.known and hit.place != path:
                conn.execute(tbl.update().where(key == rid).values(area=hit.place))
    states = {(n, v): s for n, v, s in conn.execute(select(versions.c.notice_id, versions.c.version, versions.c.state))}
    rows = (
        conn.execute(select(deliveries).where(deliveries.c.channel.in_(PLACE_CHANNELS)).order_by(deliveries.c.id))
        .mappings()
        .all()
    )
    taken = {(r["notice_id"], r["version"], r["channel"], r["target"], r["kind"]) for r in rows}
    reopened = set()
    for r in rows:
        hit = move(f"deliveries.{r['channel']}", r["target"])
        if not hit or not hit.known or hit.place == r["target"]:
            continue
        moved = (r["notice_id"], r["version"], r["channel"], hit.place, r["kind"])
        if moved in taken:  # two old communes became one unit: one delivery row for it is enough
            conn.execute(deliveries.delete().where(deliveries.c.id == r["id"]))
            continue
        taken.add(moved)
        values = {"target": hit.place}
        live = states.get((r["notice_id"], r["version"])) in LIVE and r["kind"] == "publish"
        if live:
            values.update(
                status="pending",
                detail=f"area moved to the 2025 map (was {r['target']}); "
                f"re-published at {hit.place} by the next dispatch",
            )
            reopened.add((r["notice_id"], r["version"]))
        conn.execute(deliveries.update().where(deliveries.c.id == r["id"]).values(**values))
    # a district's notice now targets each successor: their board topics get a pending row (published by
    # the next dispatch); the printed bulletins follow from the configured communes at that dispatch
    for (notice_id, version), areas in widened.items():
        had = {t for (n, v, ch, t, k) in taken if (n, v, ch, k) == (notice_id, version, "boards", "publish")}
        if not had:
            continue  # never went to boards (the channel is off): nothing to add
        for area in areas:
            if area not in had:
                conn.execute(
                    deliveries.insert().values(
                        notice_id=notice_id,
                        version=version,
                        channel="boards",
                        target=area,
                        kind="publish",
                        status="pending",
                        attempts=0,
                        detail="a target of the notice on the 2025 map",
                        created_at=utcnow(),
                        updated_at=utcnow(),
                    )
                )
                reopened.add((notice_id, version))
    for notice_id, version in reopened:
        conn.execute(
            versions.update()
            .where(versions.c.notice_id == notice_id, versions.c.version == version, versions.c.state == "published")
            .values(state="partially_published")
        )
    now = utcnow()
    for (source, path), count in sorted(seen.items()):
        hit = found[path]
        if hit.known and hit.audience == (path,):
            continue  # already a 2025 path
        new = list(hit.audience) if source == "notice_versions.areas" else ([hit.place] if hit.place else [])
        conn.execute(
            renames.insert().values(source=source, old_path=path, new_paths=new, basis=hit.basis, rows=count, at=now)
        )
    return seen
