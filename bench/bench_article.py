"""The cost of reading what a feed only links, and how well it is read.

Over the golden portals (tests/data/portals) served on loopback, in one run:
- extraction quality per golden page: share of the expected sentences recovered and share of the
  page furniture left, for Loa's extraction (trafilatura + the furniture rules) beside trafilatura
  alone (the baseline);
- cost per article fetched (real HTTP, the feeds' fetch machinery) and extracted, beside feedparser's
  parse of the same entries (the three golden feeds) per entry, median of --rounds.

    .venv/bin/python bench/bench_article.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import trafilatura  # noqa: E402

from loa.ingest.extract import extract_article  # noqa: E402
from loa.ingest.fetch import FetchLimits, fetch, make_session  # noqa: E402
from loa.ingest.parse import parse_feed  # noqa: E402
from tests.portal import PORTALS, PortalServer, extraction_score, golden_pages  # noqa: E402


def quality() -> None:
    print(f"{'page':<52} {'Loa: recovered':>14} {'left':>6}   {'trafilatura: recovered':>22} {'left':>6}")
    ours, bare = [], []
    for _kind, page, expected in golden_pages():
        url = "https://portal.example.gov.vn/" + page.relative_to(PORTALS).as_posix()
        text = extract_article(page.read_bytes(), url).text
        baseline = (
            trafilatura.extract(
                page.read_bytes(), url=url, include_comments=False, include_tables=True, favor_precision=True
            )
            or ""
        )
        a, b = extraction_score(text, expected)[:2], extraction_score(baseline, expected)[:2]
        ours.append(a)
        bare.append(b)
        print(f"{page.stem[:52]:<52} {a[0]:>14.0%} {a[1]:>6.0%}   {b[0]:>22.0%} {b[1]:>6.0%}")
    mean = lambda rows, i: statistics.mean(r[i] for r in rows)  # noqa: E731
    print(
        f"{'all ' + str(len(ours)) + ' pages (mean)':<52} {mean(ours, 0):>14.0%} {mean(ours, 1):>6.0%}   "
        f"{mean(bare, 0):>22.0%} {mean(bare, 1):>6.0%}"
    )


def cost(rounds: int) -> None:
    server = PortalServer()
    session = make_session()
    limits = FetchLimits(retries=0)
    try:
        feeds = [f"{server.base}/{k}/feed.xml" for k in ("national", "gazette", "provincial")]
        bodies = {u: fetch(u, session=session, limits=limits).content for u in feeds}
        pages = [(f"{server.base}/{p.relative_to(PORTALS).as_posix()}") for _k, p, _e in golden_pages()]
        entries = sum(len(feedparser.parse(b).entries) for b in bodies.values())
        raw, loa_parse, article, extract_only = [], [], [], []
        for _ in range(rounds):
            t = time.perf_counter()
            for body in bodies.values():
                feedparser.parse(body)
            raw.append((time.perf_counter() - t) / entries)
            t = time.perf_counter()
            for url, body in bodies.items():
                parse_feed(body, url)
            loa_parse.append((time.perf_counter() - t) / entries)
            spent = 0.0
            t = time.perf_counter()
            for url in pages:
                got = fetch(url, session=session, limits=limits, feed=False)
                t2 = time.perf_counter()
                extract_article(got.content, got.final_url, got.content_type)
                spent += time.perf_counter() - t2
            article.append((time.perf_counter() - t) / len(pages))
            extract_only.append(spent / len(pages))
    finally:
        session.close()
        server.close()
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"\nmedian of {rounds} rounds, {entries} feed entries, {len(pages)} article pages (loopback HTTP):")
    print(f"  feedparser.parse, per entry (baseline)      {ms(raw):8.2f} ms")
    print(f"  Loa parse_feed, per entry                   {ms(loa_parse):8.2f} ms")
    print(
        f"  article fetched + extracted, per article    {ms(article):8.2f} ms "
        f"({ms(article) / ms(raw):.0f}× a feedparser entry)"
    )
    print(f"    of which extraction                       {ms(extract_only):8.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    quality()
    cost(args.rounds)


if __name__ == "__main__":
    main()
