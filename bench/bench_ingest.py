"""Ingest at provincial scale: 1,000 realistic Vietnamese feeds × 50 entries served over loopback.

Prints, in one run: raw feedparser entries/s over the same bytes (the baseline); Loa's first pass
entries/s (fetch, parse, sanitise, classify, store, draft) and the ratio (goal ≥ 0.7×), with the CPU
seconds of this process and of its parse workers; the re-poll pass when every feed answers 304
(goal < 10 s); a re-poll when the portals ignore If-None-Match and send the same feeds again (many
government portals do); peak RSS of Loa and its workers (goal < 400 MB).

    .venv/bin/python bench/bench_ingest.py [--feeds 1000] [--entries 50] [--hosts 50]

Feeds are spread over --hosts loopback addresses (127.0.0.2, 127.0.0.3, …) so per-host politeness
limits apply as they would against real government portals.
"""

from __future__ import annotations

import argparse
import http.server
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402

from tests.portal import answer_feed  # noqa: E402

REFORM = [
    "UBND tỉnh ban hành Kế hoạch cải cách hành chính năm {y}",
    "Công bố danh mục thủ tục hành chính được sửa đổi lĩnh vực {f}",
    "Đẩy mạnh cung cấp dịch vụ công trực tuyến toàn trình lĩnh vực {f}",
    "Sắp xếp tổ chức bộ máy, tinh gọn đầu mối các phòng chuyên môn cấp huyện",
    "Nâng cao chỉ số hài lòng của người dân đối với sự phục vụ của cơ quan hành chính",
]
OTHER = [
    "Lễ hội {f} thu hút hàng nghìn du khách đến Cao Bằng",
    "Dự báo thời tiết: vùng núi phía Bắc rét đậm, rét hại",
    "Giải bóng đá thanh niên huyện {f} khai mạc",
    "Giá nông sản tại chợ phiên {f} tăng nhẹ dịp cuối năm",
]
FIELDS = ["hộ tịch", "đất đai", "tư pháp", "giáo dục", "y tế", "xây dựng", "nông nghiệp", "Hòa An", "Trùng Khánh"]


def make_feed(i: int, entries: int, rng: random.Random) -> bytes:
    items = []
    for j in range(entries):
        reform = rng.random() < 0.2
        title = rng.choice(REFORM if reform else OTHER).format(y=2020 + j % 7, f=rng.choice(FIELDS))
        number = f"{rng.randint(100, 4000)}/{rng.choice(['KH', 'QĐ', 'TB', 'CV'])}-UBND"
        body = (
            f"<p>Ngày {rng.randint(1, 28)}/{rng.randint(1, 12)}/2026, Ủy ban nhân dân tỉnh Cao Bằng ban hành "
            f"văn bản số {number} về {title.lower()}.</p><p>Các sở, ban, ngành, UBND các huyện, thành phố "
            f"triển khai thực hiện; người dân liên hệ Bộ phận Một cửa để được hướng dẫn.</p>"
        )
        items.append(
            f"<item><title>{title} (tin {i}-{j})</title><link>https://portal{i % 97}.caobang.example/"
            f"tin/{i}/{j}.html</link><pubDate>Mon, 2{j % 9} Nov 2026 08:00:00 +0700</pubDate>"
            f"<description><![CDATA[{body}]]></description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Cổng thông tin {i}</title><link>https://portal{i}.caobang.example/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode("utf-8")


class _Handler(http.server.BaseHTTPRequestHandler):
    """A government portal: the feed with an ETag, or 304 when the client has it."""

    protocol_version = "HTTP/1.1"
    bodies: dict[str, bytes] = {}
    conditional = None  # a multiprocessing.Event: clear, the portal ignores If-None-Match (many do)

    def do_GET(self):
        answer_feed(self, self.bodies[self.path], conditional=self.conditional.is_set())

    def log_message(self, *a):
        pass


def _serve_forever(hosts: int, bodies: dict[str, bytes], conditional, ports) -> None:
    _Handler.bodies, _Handler.conditional = bodies, conditional
    servers = [http.server.ThreadingHTTPServer((f"127.0.0.{h + 2}", 0), _Handler) for h in range(hosts)]
    for srv in servers:
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    ports.put([srv.server_address[1] for srv in servers])
    threading.Event().wait()


def serve(hosts: int, bodies: dict[str, bytes], conditional) -> tuple[list[str], multiprocessing.Process]:
    """The portals run in a process of their own, as real ones run elsewhere: serving them costs
    the benchmark's cores but not Loa's interpreter."""
    ports = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_serve_forever, args=(hosts, bodies, conditional, ports), daemon=True)
    proc.start()
    return [f"http://127.0.0.{h + 2}:{port}" for h, port in enumerate(ports.get(timeout=60))], proc


class PeakRSS:
    """Peak resident memory of this process plus its parse workers (not the portals), sampled."""

    def __init__(self, exclude: int):
        self.exclude, self.peak, self._stop = exclude, 0, threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(os.getpid()) if p != self.exclude))

    def stop(self) -> float:
        self._stop.set()
        return self.peak / 1e6


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process, and of its children that have ended (the parse workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in kids:
            found += _tree(int(kid))
    return found


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def main() -> None:
    # Imported here, not at the top: a parse worker re-imports this script (multiprocessing's
    # spawn), and in production its workers start from a flow run with nothing of the kind.
    from loa.config import Env, Feed, load_config
    from loa.ingest.pipeline import ingest_many
    from loa.store import Store
    from tests.conftest import write_config

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--entries", type=int, default=50)
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--workers", type=int, default=32)
    args = ap.parse_args()
    rng = random.Random(7)
    bodies = {f"/feed/{i}.rss": make_feed(i, args.entries, rng) for i in range(args.feeds)}
    total = args.feeds * args.entries
    size = sum(map(len, bodies.values()))

    t = time.perf_counter()
    parsed = sum(len(feedparser.parse(b).entries) for b in bodies.values())
    raw = time.perf_counter() - t
    assert parsed == total

    conditional = multiprocessing.Event()
    conditional.set()
    bases, portals = serve(args.hosts, bodies, conditional)
    tmp = Path(tempfile.mkdtemp(prefix="loa-bench-ingest-"))
    folder = write_config(tmp / "config", feeds=[])
    cfg = load_config(Env(home=tmp / "home", config_dir=folder))
    store = Store.open(cfg.database_url)
    feeds = [
        Feed(url=f"{bases[i % args.hosts]}/feed/{i}.rss", name=f"feed {i}", area="cao-bang") for i in range(args.feeds)
    ]

    memory = PeakRSS(exclude=portals.pid)
    cpu = _cpu()
    t = time.perf_counter()
    first = ingest_many(store, cfg, feeds, threads=args.workers)
    first_s = time.perf_counter() - t
    cpu_main, cpu_workers = (after - before for after, before in zip(_cpu(), cpu))
    t = time.perf_counter()
    again = ingest_many(store, cfg, feeds, threads=args.workers)
    repoll_s = time.perf_counter() - t
    conditional.clear()  # now every portal sends its whole, unchanged feed again
    t = time.perf_counter()
    resent = ingest_many(store, cfg, feeds, threads=args.workers)
    resent_s = time.perf_counter() - t
    portals.terminate()

    failed = [r for r in first if r.status != "ok"]
    drafted = sum(len(r.drafted) for r in first)
    not_modified = sum(r.status == "not_modified" for r in again)
    peak = memory.stop()
    print(
        f"{args.feeds} feeds × {args.entries} entries = {total} entries, {size / 1e6:.1f} MB, "
        f"{args.hosts} hosts, {args.workers} workers"
    )
    print(f"baseline: raw feedparser        {total / raw:8.0f} entries/s  ({raw:.1f} s)")
    print(
        f"Loa first pass                  {total / first_s:8.0f} entries/s  ({first_s:.1f} s, "
        f"{drafted} drafts, {len(failed)} failed)  ratio {raw / first_s:.2f}× raw (goal ≥ 0.7)"
    )
    print(
        f"  CPU seconds: this process {cpu_main:.1f} (fetch, store), parse workers {cpu_workers:.1f}; "
        f"{(cpu_main + cpu_workers) / total * 1000:.2f} ms per entry in all"
    )
    print(f"Loa re-poll, all 304            {repoll_s:8.1f} s  ({not_modified}/{args.feeds} not modified; goal < 10 s)")
    unchanged = sum(r.unchanged for r in resent)
    print(
        f"Loa re-poll, no 304, unchanged  {resent_s:8.1f} s  ({unchanged}/{total} entries seen unchanged, "
        f"{sum(r.new + r.updated for r in resent)} stored, {total / resent_s:.0f} entries/s)"
    )
    print(f"peak RSS, Loa and its workers   {peak:8.0f} MB (goal < 400 MB)")
    if failed:
        print("first failures:", [(r.url, r.reason, r.error) for r in failed[:3]])


if __name__ == "__main__":
    main()
