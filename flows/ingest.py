"""Ingest: one task per feed, so one broken feed never stops the pass."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run

from flows.events import emit
from loa import events
from loa.config import Feed
from loa.ingest.fetch import make_session
from loa.ingest.pipeline import ingest_feed, make_renderer
from loa.runtime import runtime


def _feeds(urls: list[str] | None) -> list[Feed]:
    cfg, _ = runtime()
    if not urls:
        return list(cfg.feeds)
    known = {f.url: f for f in cfg.feeds}
    province = next(iter(cfg.areas))
    return [known.get(u, Feed(url=u, name=u, area=province)) for u in urls]


def _run_name() -> str:
    urls = flow_run.parameters.get("feed_urls") or []
    return f"ingest {len(urls)} feed(s)" if urls else "ingest all feeds"


@task(name="ingest-feed", task_run_name="ingest {feed.name}")
def ingest_one(feed: Feed) -> dict:
    cfg, store = runtime()
    report = ingest_feed(store, cfg, feed, make_renderer(cfg), session=make_session())
    if report.status == "failed":
        emit(events.FEED_FAILED, events.resource("feed", feed.url, feed.name),
             payload={"reason": report.reason, "error": report.error,
                      "consecutive_failures": report.consecutive_failures})
    for notice_id in report.drafted:
        view = store.notice(notice_id)
        emit(events.NOTICE_DRAFTED, events.notice_resource(notice_id, view.title),
             related=[events.resource("feed", feed.url, feed.name, role="feed")],
             payload={"version": view.version})
    return report.as_dict()


@flow(name="ingest", flow_run_name=_run_name, log_prints=True)
def ingest(feed_urls: list[str] | None = None) -> list[dict]:
    """Poll the configured feeds (or the given URLs) once and draft notices for new reform documents."""
    feeds = _feeds(feed_urls)
    futures = [ingest_one.submit(f) for f in feeds]
    reports = [f.result() for f in futures]
    create_table_artifact(
        key="ingest-report",
        table=[{k: r[k] for k in ("name", "url", "status", "entries", "new", "updated", "unchanged", "reason", "error")}
               | {"drafted": ", ".join(map(str, r["drafted"]))} for r in reports],
        description="Per feed: new / updated / not modified / failed with reason",
    )
    return reports
