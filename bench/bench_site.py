"""Website and printed bulletin: full rebuild of 10,000 notices, one incremental publish, a 30-notice PDF.

Each figure is printed beside a baseline measured in the same run on the same data:
  rebuild      vs. raw Jinja2 rendering of the same notice pages (no QR, no feeds, no writes)
               plus plain open().write() of the same bytes (no temp file, no rename)
  incremental  vs. bare Jinja2 rendering the very pages that publish rendered (their contexts captured,
               no store, no private index, no listing, feeds or sitemap) plus loa.files.write_atomic
               (temp file + rename) of the files it wrote: what any static generator must do for them
  PDF          vs. WeasyPrint on a bare HTML page with the same 30 titles and texts (no template, no QR codes)

Run: .venv/bin/python bench/bench_site.py [--notices 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from channels.printed import Printed, render_pdf  # noqa: E402
from channels.website import Website  # noqa: E402
from loa.config import Env, load_config  # noqa: E402
from loa.files import write_atomic  # noqa: E402
from loa.model import Classification, DocumentMeta, Entry  # noqa: E402
from loa.render import Renderer  # noqa: E402
from loa.site import bulletin  # noqa: E402
from loa.site.build import SiteBuilder, root_for  # noqa: E402
from loa.store import Store  # noqa: E402
from loa.store.schema import (  # noqa: E402
    ActionRow,
    DocumentRow,
    DocumentVersionRow,
    FeedRow,
    NoticeRow,
    NoticeVersionRow,
    VariantRow,
)

SUMMARY = (
    "<p>Ủy ban nhân dân tỉnh ban hành kế hoạch cải cách thủ tục hành chính, đẩy mạnh tiếp nhận hồ sơ trực "
    "tuyến và số hóa kết quả giải quyết.</p><ul><li>Một cửa liên thông</li><li>Dịch vụ công mức độ 4</li></ul>"
)
COMMUNE = "cao-bang/nam-tuan"


def seed(store: Store, areas: list[str], n: int, start: datetime) -> None:
    """n approved notices, written in bulk (the store's per-notice API would take minutes to seed)."""
    renderer = Renderer(board_max_chars=600)
    meta = DocumentMeta(number="1/KH-UBND", doc_type="Kế hoạch", issuer="UBND tỉnh Cao Bằng")
    variants = renderer.variants(
        title="x", summary_html=SUMMARY, meta=meta, source_url="https://example.gov.vn/x", area_names=["tỉnh Cao Bằng"]
    )
    with store.session() as s:
        feed = FeedRow(url="https://example.gov.vn/rss", name="bench", consecutive_failures=0)
        s.add(feed)
        s.flush()
        docs, dvs, notices, nvs, vars_, acts = [], [], [], [], [], []
        for i in range(1, n + 1):
            at = start + timedelta(minutes=53 * i)
            title = f"Kế hoạch số {i}/KH-UBND về cải cách thủ tục hành chính năm 2026"
            docs.append(dict(id=i, identity=f"urn:bench:{i}", created_at=at))
            dvs.append(
                dict(
                    id=i,
                    document_id=i,
                    version=1,
                    feed_id=feed.id,
                    title=title,
                    summary_html=SUMMARY,
                    link=f"https://example.gov.vn/van-ban/{i}",
                    published=at,
                    content_hash=hashlib.sha256(title.encode()).hexdigest(),
                    relevant=True,
                    score=3.0,
                    reasons=[],
                    content_areas=[],
                    fetched_at=at,
                    meta={"number": f"{i}/KH-UBND", "doc_type": "Kế hoạch", "issuer": "UBND tỉnh Cao Bằng"},
                )
            )
            notices.append(dict(id=i, document_id=i, created_at=at))
            nvs.append(
                dict(
                    id=i,
                    notice_id=i,
                    version=1,
                    document_version_id=i,
                    state="published",
                    priority="emergency" if i % 997 == 0 else "normal",
                    title=title,
                    areas=[areas[i % len(areas)]],
                    created_at=at,
                    updated_at=at,
                )
            )
            vars_ += [
                dict(notice_version_id=i, channel=c, language="vi", body=b, updated_at=at) for c, b in variants.items()
            ]
            acts += [
                dict(notice_version_id=i, action="drafted", actor="loa", at=at),
                dict(notice_version_id=i, action="approve", actor="Nông Thị Hoa", at=at + timedelta(minutes=5)),
            ]
        for table, rows in (
            (DocumentRow, docs),
            (DocumentVersionRow, dvs),
            (NoticeRow, notices),
            (NoticeVersionRow, nvs),
            (VariantRow, vars_),
            (ActionRow, acts),
        ):
            s.execute(insert(table), rows)


def approve_one(store: Store, ident: str, area: str) -> int:
    """A notice approved the ordinary way (store API), as an editor's approval leaves it."""
    title = f"Thông báo mới {ident}"
    item = Entry(
        identity=ident,
        title=title,
        summary_html=SUMMARY,
        link="https://example.gov.vn/new",
        published=datetime.now(UTC),
        content_hash=hashlib.sha256(ident.encode()).hexdigest(),
    )
    change = store.record_entry("https://example.gov.vn/rss", item, Classification(True, 3.0))
    n = store.draft_notice(change.document_version_id, areas=[area], variants={"website": SUMMARY, "print": SUMMARY})
    return store.transition(n.id, "approve", "Nông Thị Hoa").id


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def timed_cpu(fn):
    """Wall and CPU seconds: on a shared machine the CPU time is what the work itself costs."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, value


def raw_baseline(web: Website, store: Store, root: Path) -> tuple[float, float]:
    """Jinja2 alone on the same notice pages, then plain writes of every file the rebuild wrote."""
    env = web.builder.env
    template = env.get_template("website/notice.html")
    views = store.notices(limit=10**9)
    pages = [web._pages(p, None)[1][0] for p in (web._public_from([v]) for v in views) if p]
    now = datetime.now(UTC)
    started = time.perf_counter()
    for page in pages:
        template.render(
            page=page,
            notice=page.entry,
            status=page.entry.status(now),
            body=page.body_html,
            root=root_for(page.path),
            canonical="",
            feeds=[],
            jsonld=None,
            breadcrumbs=[],
        )
    render = time.perf_counter() - started
    files = [p for p in root.rglob("*") if p.is_file()]
    blobs = [(p.relative_to(root), p.read_bytes()) for p in files]
    out = Path(tempfile.mkdtemp(prefix="loa-bench-raw-"))
    started = time.perf_counter()
    for rel, data in blobs:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as fh:
            fh.write(data)
    writes = time.perf_counter() - started
    shutil.rmtree(out)
    return render, writes


def publish_recording(web: Website, nid: int) -> tuple[float, float, object, list[tuple]]:
    """One incremental publish, timed, with the template and context of every page it rendered."""
    calls: list[tuple] = []
    render = SiteBuilder._render

    def recording(builder, template, path, **ctx):
        calls.append((template, path, dict(ctx)))
        return render(builder, template, path, **ctx)

    SiteBuilder._render = recording
    try:
        wall, cpu, report = timed_cpu(lambda: web.publish(nid))
    finally:
        SiteBuilder._render = render
    return wall, cpu, report, calls


def bare_publish(web: Website, root: Path, written: list[str], calls: list[tuple]) -> float:
    """The baseline: Jinja2 alone renders the same pages from the same contexts, and write_atomic writes
    the same files (into a fresh folder)."""
    blobs = [(rel, (root / rel).read_bytes()) for rel in written]
    out = Path(tempfile.mkdtemp(prefix="loa-bench-inc-"))
    env = web.builder.env
    started = time.perf_counter()
    for template, path, ctx in calls:
        ctx = {"feeds": [], "jsonld": None, "breadcrumbs": []} | ctx
        env.get_template(f"website/{template}").render(root=root_for(path), canonical="", **ctx)
    for rel, data in blobs:
        write_atomic(out / rel, data)
    took = time.perf_counter() - started
    shutil.rmtree(out)
    return took


def bench_pdf(tmp: Path) -> None:
    cfg = load_config(Env(home=tmp / "print-home", config_dir=ROOT / "config"))
    store = Store.open(cfg.database_url)
    seed(store, [COMMUNE], 30, datetime.now(UTC) - timedelta(days=2))
    printer = Printed(cfg, store)
    now = datetime.now(UTC)
    period = bulletin.current_period(now, cfg.tz)
    cold, result = timed(lambda: printer.make(COMMUNE, period, now))
    runs = [timed(lambda: printer.make(COMMUNE, period, now))[0] for _ in range(3)]
    live = store.live_notices(now)
    bare = (
        "<html lang=vi><body>"
        + "".join(f"<h2>{v.title}</h2><p>{v.variants['print']}</p>" for v in live)
        + "</body></html>"
    )
    base = [timed(lambda: render_pdf(bare, str(tmp)))[0] for _ in range(3)]
    print(
        f"PDF of {result.notices} notices ({result.pages} A4 pages): {statistics.median(runs):.2f} s "
        f"(first, with WeasyPrint loading: {cold:.2f} s) | baseline bare WeasyPrint page: "
        f"{statistics.median(base):.2f} s | ratio {statistics.median(runs) / statistics.median(base):.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=10_000)
    args = parser.parse_args()
    print(
        f"load average before the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
        f"(wall times stretch when other work shares the machine; CPU times much less)"
    )
    tmp = Path(tempfile.mkdtemp(prefix="loa-bench-site-"))
    try:
        cfg = load_config(Env(home=tmp / "home", config_dir=ROOT / "config"))
        store = Store.open(cfg.database_url)
        took, _ = timed(lambda: seed(store, list(cfg.areas), args.notices, datetime.now(UTC) - timedelta(days=370)))
        print(f"seeded {args.notices} approved notices in {took:.1f} s (bulk insert; not part of any figure)")
        web = Website(cfg, store)
        root = cfg.home / "site"
        load, _ = timed(lambda: list(web._all_public()))
        cold, cold_cpu, report = timed_cpu(web.rebuild)
        files = len(report.written)
        warm, warm_cpu, again = timed_cpu(web.rebuild)
        render, writes = raw_baseline(web, store, root)
        print(
            f"full rebuild, {args.notices} notices, {files} files, cold (every QR code made): {cold:.1f} s wall, "
            f"{cold_cpu:.1f} s CPU (goal < 60 s; loading from the store alone: {load:.1f} s)"
        )
        print(
            f"full rebuild, warm (QR codes kept, {len(again.written)} files changed): {warm:.1f} s wall, "
            f"{warm_cpu:.1f} s CPU"
        )
        print(
            f"  baseline raw Jinja2 render of the {args.notices} notice pages: {render:.1f} s; "
            f"plain writes of the same {files} files: {writes:.1f} s; together {render + writes:.1f} s | "
            f"ratio cold {cold / (render + writes):.1f}x, warm {warm / (render + writes):.1f}x"
        )
        for label, area in (("a commune", COMMUNE), ("a district", "cao-bang"), ("the province", "cao-bang")):
            runs, bases = [], []
            for i in range(5):
                nid = approve_one(store, f"urn:bench:new:{area}:{i}", area)
                wall, cpu, report, calls = publish_recording(web, nid)
                runs.append((wall, cpu))
                bases.append(bare_publish(web, root, report.written, calls))
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            base = statistics.median(bases)
            print(
                f"incremental publish into {args.notices}, a notice for {label} ({len(report.written)} files written, "
                f"{len(calls)} pages rendered): median of 5 {wall:.3f} s wall, {cpu:.3f} s CPU (goal < 1 s) | "
                f"baseline bare Jinja2 render of those pages + atomic writes of those files: {base:.3f} s | "
                f"ratio {wall / base:.1f}x"
            )
        bench_pdf(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
