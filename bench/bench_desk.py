"""The desk's queue with 10,000 notices: p95 page time over HTTP, beside baselines from the same run.

    .venv/bin/python bench/bench_desk.py [--notices 10000] [--requests 300]

Fills a fresh SQLite store (bulk inserts) with notices in every state, area, priority, feed and
content area; serves Loa's web app (website + desk) with uvicorn on loopback; logs in; then times
queue pages: the first page, deep pages, the last page, and each filter and search. Baselines,
measured in the same run: the same queue query called directly (no HTTP, no template), and a
small static file served by the same server (the HTTP floor). Goal: p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import uvicorn  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from loa.app.web import create_app  # noqa: E402
from loa.config import Env, load_config  # noqa: E402
from loa.store import Store, users  # noqa: E402
from loa.store import desk as desk_store  # noqa: E402
from loa.store.desk import QueueFilter  # noqa: E402
from loa.store.schema import (  # noqa: E402
    ActionRow,
    DocumentRow,
    DocumentVersionRow,
    FeedRow,
    NoticeRow,
    NoticeVersionRow,
    VariantRow,
    utcnow,
)

STATES = ["drafted"] * 3 + ["published"] * 5 + ["approved", "rejected", "withdrawn", "partially_published"]
PRIORITIES = ["normal"] * 8 + ["priority", "emergency"]
CONTENT = ["institutions", "procedures", "apparatus", "civil_servants", "public_finance", "digital_government"]
WORDS = (
    "kế hoạch cải cách hành chính thủ tục một cửa chuyển đổi số hộ tịch đất đai chính quyền "
    "điện tử công chức viên chức tinh gọn bộ máy sắp xếp đơn vị xã huyện tỉnh Cao Bằng"
).split()


def fill(store: Store, cfg, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    areas = list(cfg.areas)
    now = utcnow()
    with store.engine.begin() as conn:
        conn.execute(
            insert(FeedRow),
            [
                {"id": i, "url": f"https://feed{i}.example/rss", "name": f"Nguồn tin số {i}", "consecutive_failures": 0}
                for i in range(1, 5)
            ],
        )
        docs, dvs, notices, nvs, variants, actions = [], [], [], [], [], []
        for i in range(1, n + 1):
            title = " ".join(rnd.choice(WORDS) for _ in range(10)).capitalize() + f" (số {i})"
            docs.append({"id": i, "identity": f"urn:bench:{i}", "created_at": now})
            dvs.append(
                {
                    "id": i,
                    "document_id": i,
                    "version": 1,
                    "feed_id": rnd.randint(1, 4),
                    "title": title,
                    "summary_html": f"<p>{title}</p>",
                    "link": f"https://example.gov.vn/{i}",
                    "content_hash": hashlib.sha256(title.encode()).hexdigest(),
                    "relevant": True,
                    "score": 4.0,
                    "reasons": ["từ khóa (+3.0)"],
                    "content_areas": rnd.sample(CONTENT, rnd.randint(1, 2)),
                    "meta": {"number": f"{i}/QĐ-UBND"},
                    "fetched_at": now,
                }
            )
            notices.append({"id": i, "document_id": i, "created_at": now})
            nvs.append(
                {
                    "id": i,
                    "notice_id": i,
                    "version": 1,
                    "document_version_id": i,
                    "state": rnd.choice(STATES),
                    "priority": rnd.choice(PRIORITIES),
                    "title": title,
                    "areas": [rnd.choice(areas)],
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for ch in ("website", "boards", "radio", "print"):
                variants.append(
                    {"notice_version_id": i, "channel": ch, "language": "vi", "body": title, "updated_at": now}
                )
            actions.append({"notice_version_id": i, "action": "drafted", "actor": "loa", "at": now})
        for table, rows in (
            (DocumentRow, docs),
            (DocumentVersionRow, dvs),
            (NoticeRow, notices),
            (NoticeVersionRow, nvs),
            (VariantRow, variants),
            (ActionRow, actions),
        ):
            conn.execute(insert(table), rows)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notices", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="loa-bench-desk-"))
    try:
        shutil.copytree(ROOT / "config", tmp / "config")
        cfg = load_config(Env(home=tmp / "home", config_dir=tmp / "config"))
        store = Store.open(cfg.database_url)
        t0 = time.perf_counter()
        fill(store, cfg, args.notices)
        print(f"filled {args.notices:,} notices in {time.perf_counter() - t0:.1f} s ({cfg.database_url})")
        users.add_user(store, "Người đo", "approver", "mật khẩu đo hiệu năng")

        static = cfg.home / "site" / "bench.txt"
        static.parent.mkdir(parents=True, exist_ok=True)
        static.write_text("x" * 2048)
        server = uvicorn.Server(
            uvicorn.Config(create_app(cfg), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        http = requests.Session()
        token = re.search(r'name="login_token" value="([^"]+)"', http.get(f"{base}/desk/login").text).group(1)
        r = http.post(
            f"{base}/desk/login",
            data={"name": "Người đo", "password": "mật khẩu đo hiệu năng", "login_token": token},
            allow_redirects=False,
        )
        assert r.status_code == 303, r.text

        total = desk_store.queue(store, QueueFilter()).pages
        cases = {
            "first page": {},
            "page 2": {"page": 2},
            "middle page": {"page": total // 2},
            "last page": {"page": total},
            "state=drafted": {"state": "drafted"},
            "emergency drafts": {"state": "drafted", "priority": "emergency"},
            "area (commune)": {"area": "cao-bang/nam-tuan"},
            "feed": {"feed": 2},
            "content area": {"content_area": "digital_government"},
            "search": {"q": "chuyen doi so"},
            "search, page 3": {"q": "cai cach", "page": 3},
        }
        filters = {
            name: QueueFilter(
                state=p.get("state"),
                area=p.get("area"),
                priority=p.get("priority"),
                feed_id=p.get("feed"),
                content_area=p.get("content_area"),
                q=p.get("q"),
                page=p.get("page", 1),
            )
            for name, p in cases.items()
        }
        for params in cases.values():  # warm up: templates compiled, search text indexed once
            assert http.get(f"{base}/desk/", params=params).status_code == 200

        names = list(cases)
        page_times, per_case, sql_times, static_times = [], {n: [] for n in names}, [], []
        for i in range(args.requests):
            name = names[i % len(names)]
            t = time.perf_counter()
            r = http.get(f"{base}/desk/", params=cases[name])
            dt = (time.perf_counter() - t) * 1000
            assert r.status_code == 200 and "thông báo" in r.text
            page_times.append(dt)
            per_case[name].append(dt)
            t = time.perf_counter()
            desk_store.queue(store, filters[name])
            desk_store.counts(store)
            sql_times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assert http.get(f"{base}/bench.txt").status_code == 200
            static_times.append((time.perf_counter() - t) * 1000)
        server.should_exit = True

        print(f"\n{'queue page (ms)':<22}{'p50':>8}{'p95':>8}{'max':>8}")
        for name in names:
            v = per_case[name]
            print(f"{name:<22}{statistics.median(v):8.1f}{pct(v, 0.95):8.1f}{max(v):8.1f}")
        p95, sql95, static95 = pct(page_times, 0.95), pct(sql_times, 0.95), pct(static_times, 0.95)
        print(f"\n{'':<40}{'p50 ms':>8}{'p95 ms':>8}")
        print(f"{'desk queue page over HTTP (all cases)':<40}{statistics.median(page_times):8.1f}{p95:8.1f}")
        print(f"{'baseline: same queries, no HTTP/template':<40}{statistics.median(sql_times):8.1f}{sql95:8.1f}")
        print(f"{'baseline: 2 KB static file, same server':<40}{statistics.median(static_times):8.1f}{static95:8.1f}")
        print(
            f"\n{args.notices:,} notices, {args.requests} page requests: p95 {p95:.0f} ms "
            f"(goal < 300 ms: {'met' if p95 < 300 else 'NOT met'}); "
            f"{p95 / sql95:.1f}× the raw queries, {p95 / static95:.1f}× a static file"
        )
        return 0 if p95 < 300 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
