"""Ingest: one task per feed host, so a slow or broken portal never stops the pass and each
government server sees at most two requests at a time from Loa. The tasks share one pool of
worker processes for parsing, classifying and rendering, so a big pass uses every core."""

from __future__ import annotations

from itertools import groupby

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows.events import emit
from loa import events
from loa.config import Feed
from loa.ingest.pipeline import FeedReport, host_of, ingest_many
from loa.ingest.prepare import ParsePool
from loa.runtime import runtime


def _run_name() -> str:
    urls = flow_run.parameters.get("feed_urls") or []
    return f"ingest {len(urls) if urls else len(runtime()[0].feeds)} feed(s)"


def _announce(report: FeedReport) -> None:
    """Events for one feed: its failure, or each new or amended reform document and the draft made of it."""
    cfg, store = runtime()
    feed = events.resource("feed", report.url, report.name)
    if report.status == "failed":
        emit(
            events.FEED_FAILED,
            feed,
            payload={
                "reason": report.reason,
                "error": report.error,
                "consecutive_failures": report.consecutive_failures,
            },
        )
    titles = store.titles(report.drafted) if report.drafted else {}
    from_feed = feed | {"prefect.resource.role": "feed"}
    for d in report.documents:
        title = titles.get(d["notice_id"])
        notice = events.notice_resource(d["notice_id"], title)
        emit(
            events.DOCUMENT_INGESTED,
            events.resource("document", d["document_id"], title),
            related=[from_feed, notice | {"prefect.resource.role": "notice"}],
            payload={"version": d["document_version"]},
        )
        emit(events.NOTICE_DRAFTED, notice, related=[from_feed], payload={"version": d["notice_version"]})


# the pool is a live object, not data: nothing to cache on
@task(name="ingest-host", task_run_name="ingest {host} ({count} feeds)", cache_policy=NONE)
def ingest_host(host: str, count: int, feeds: list[Feed], pool: ParsePool) -> list[dict]:
    cfg, store = runtime()
    reports = ingest_many(store, cfg, feeds, threads=2, per_host=2, pool=pool)
    log = get_run_logger()
    for report in reports:
        _announce(report)
        if report.status == "failed":
            log.warning("%s (%s): %s", report.name, report.url, report.error)
        else:
            log.info(
                "%s: %s, %d new, %d updated, drafted %s",
                report.name,
                report.status,
                report.new,
                report.updated,
                ", ".join(map(str, report.drafted)) or "nothing",
            )
    return [r.as_dict() for r in reports]


# Prefect's own typing: TaskRunner is invariant in its future type, so its ThreadPoolTaskRunner does not fit
# its flow decorator's TaskRunner[PrefectFuture[Any]] (a documented, working argument at run time)
@flow(
    name="ingest",
    flow_run_name=_run_name,
    log_prints=True,
    task_runner=ThreadPoolTaskRunner(max_workers=16),  # type: ignore[arg-type]
)
def ingest(feed_urls: list[str] | None = None) -> list[dict]:
    """Poll the configured feeds (or the given URLs) once and draft notices for new and amended reform documents."""
    cfg = runtime()[0]
    feeds = sorted(cfg.feeds_for(feed_urls), key=lambda f: host_of(f.url))
    with ParsePool(cfg, ParsePool.size_for(len(feeds))) as pool:
        futures = [
            ingest_host.submit(host, len(group), group, pool)
            for host, group in ((h, list(g)) for h, g in groupby(feeds, key=lambda f: host_of(f.url)))
        ]
        reports = [r for f in futures for r in f.result()]
    create_table_artifact(
        key="ingest-report",
        table=[
            {k: r[k] for k in ("name", "url", "status", "entries", "new", "updated", "unchanged", "reason", "error")}
            | {"drafted": ", ".join(map(str, r["drafted"]))}
            for r in reports
        ],
        description="Per feed: new / updated / not modified / failed with reason",
    )
    return reports
