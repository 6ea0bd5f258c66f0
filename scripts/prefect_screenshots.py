"""Screenshots of the Prefect UI screens an operator uses, for the README (docs/screenshots/*.png).

Runs headless Debian Chromium through Playwright against a running `loa run` that has some data:

    loa run &                       # then, in another terminal:
    loa ingest                      # an ingest run with its per-feed artifact
    loa approve 3 --by "Nông Thị Hoa"; loa approve 4 --by "Nông Thị Hoa"   # dispatch runs + artifacts
    prefect deployment run report/report -p month=YYYY-MM                  # the monthly report artifact
    .venv/bin/python scripts/prefect_screenshots.py [--home LOA_HOME] [--out docs/screenshots]

It reads the Prefect address from LOA_HOME/run.json, finds the newest ingest, dispatch and report
runs and their artifacts through the API, and saves one PNG per screen.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM_ARGS  # noqa: E402  (the one place the Chromium flags live)


def _api(api: str, path: str, body: dict | None = None):
    response = requests.post(f"{api}{path}", json=body or {}, timeout=10)
    response.raise_for_status()
    return response.json()


def newest_run(api: str, flow: str) -> dict:
    runs = _api(
        api,
        "/flow_runs/filter",
        {
            "flows": {"name": {"any_": [flow]}},
            "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
            "sort": "START_TIME_DESC",
            "limit": 1,
        },
    )
    if not runs:
        raise SystemExit(f"no completed {flow!r} flow run on {api}; run the steps in this script's docstring first")
    return runs[0]


def artifact(api: str, run_id: str, key: str) -> dict:
    found = _api(
        api, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run_id]}, "key": {"any_": [key]}}, "limit": 1}
    )
    if not found:
        raise SystemExit(f"flow run {run_id} has no artifact {key!r}")
    return found[0]


def screens(api: str) -> list[tuple[str, str, str]]:
    """(file name, UI path, text to wait for) for each screen."""
    ingest, dispatch, report = (newest_run(api, f) for f in ("ingest", "dispatch", "report"))
    nid = dispatch["parameters"]["notice_id"].removeprefix("loa.notice.")
    return [
        ("deployments", "/deployments", "dispatch"),
        ("flow-runs", "/runs", "dispatch notice"),
        ("dispatch-run", f"/runs/flow-run/{dispatch['id']}", dispatch["name"]),
        (
            "dispatch-artifact",
            f"/artifacts/artifact/{artifact(api, dispatch['id'], f'dispatch-notice-{nid}')['id']}",
            "boards",
        ),
        ("ingest-artifact", f"/artifacts/artifact/{artifact(api, ingest['id'], 'ingest-report')['id']}", "failed"),
        ("report-artifact", f"/artifacts/artifact/{artifact(api, report['id'], 'monthly-report')['id']}", "Báo cáo"),
        ("events", "/events?events=loa.*", "loa.notice"),  # Loa's own events only
        ("automations", "/automations", "loa: draft waiting for approval"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--home",
        type=Path,
        default=Path(os.environ.get("LOA_HOME", ".loa")),
        help="LOA_HOME of the running `loa run` (default: $LOA_HOME or .loa)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    run = args.home / "run.json"
    if not run.exists():
        raise SystemExit(f"{run} not found: start `loa run` (with LOA_HOME={args.home}) first")
    info = json.loads(run.read_text())
    api, ui = info["prefect_api_url"].rstrip("/"), info["Prefect UI"].rstrip("/")
    todo = screens(api)
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": args.width, "height": args.height}, color_scheme="light")
        for name, path, wait_for in todo:
            page.goto(ui + path, wait_until="networkidle")
            page.get_by_text(wait_for).first.wait_for(timeout=20_000)
            time.sleep(1)  # charts and lazy tables settle
            target = args.out / f"{name}.png"
            page.screenshot(path=str(target))
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  ← {ui}{path}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
