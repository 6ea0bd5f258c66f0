"""The whole system under `loa run`: a real Prefect server, Loa's Mosquitto, the web server and the
deployment runner. A sample feed served over real HTTP is ingested; nothing is public before
approval; approval (an event) starts the dispatch that reaches boards, website and radio.

The system is Loa as a user installs it: the wheel of tests/wheel_install.py (built from the tracked
files, once per pytest run). `loa run` and every `loa` command here run from that install's bin folder,
in an empty directory, with only LOA_HOME and LOA_CONFIG_DIR (this test's config, on free ports) set for
Loa. So this module holds the `loa run` part of the wheel's check (tests/integration/test_wheel.py has the
rest: the wheel's Loa is not the checkout's; ingest, show and rebuild on the packaged defaults):
- the page `loa run` serves equals the index it built at its first start, then the one `loa site rebuild`
  writes; the desk's log-in form and the packaged stylesheet are served:
  test_the_wheel_serves_the_site_it_rebuilt_its_desk_and_packaged_css;
- `loa run` exits 0 on Ctrl-C (SIGINT) and leaves no run.json: the `system` fixture's teardown."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

import pytest
import requests

from loa.config import Config, Env, load_config
from loa.store import Store
from tests.conftest import write_config
from tests.mqtt_helpers import Collector, retained
from tests.prefect_server import migrated_prefect_db, seed_prefect_home, shared_prefect_api  # noqa: F401
from tests.wheel_install import installed, sh, wheel_env  # noqa: F401

# `loa run` and its pipeline (~80 s on one worker), the wheel's build and install (~12 s, shared with test_wheel:
# whichever module asks first builds, the other waits for it) and its `loa site rebuild`
pytestmark = [pytest.mark.e2e, pytest.mark.runs_long(95)]


class System(NamedTuple):
    cfg: Config
    env: dict[str, str]  # the wheel's user's: its bin folder first on PATH, LOA_HOME, LOA_CONFIG_DIR
    work: Path  # an empty working directory, where each `loa` runs
    bin: Path  # the wheel's virtualenv's bin folder


@pytest.fixture(scope="module")
def system(tmp_path_factory, feed_server, migrated_prefect_db, installed):  # noqa: F811
    tmp = tmp_path_factory.mktemp("e2e")
    folder = write_config(
        tmp / "config",
        feeds=[
            {"url": f"{feed_server}/sample-reform.xml", "name": "Mẫu qua HTTP", "area": "khu-vuc-hoa-an"},  # a grouping
            {"url": f"{feed_server}/missing.xml", "name": "Nguồn hỏng", "area": "cao-bang"},
        ],
    )
    work = tmp / "work"
    work.mkdir()
    env = wheel_env(installed, tmp / "home", folder)
    cfg = load_config(Env(home=tmp / "home", config_dir=folder))
    # Prefect's own database already migrated (its first-start migration is not what this test is about,
    # and cost ~6 s of CPU and of start-up; the shared test server still migrates one from scratch)
    seed_prefect_home(cfg.layout.prefect_home, migrated_prefect_db)
    log = open(tmp / "loa-run.log", "wb")
    started = time.monotonic()
    proc = subprocess.Popen([installed / "loa", "run"], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    run_json = cfg.home / "run.json"
    while not run_json.exists():
        if proc.poll() is not None or time.monotonic() - started > 150:
            proc.kill()
            pytest.fail(f"loa run did not start: {(tmp / 'loa-run.log').read_text()[-3000:]}")
        time.sleep(0.5)
    print(f"loa run started in {time.monotonic() - started:.1f} s")
    yield System(cfg, env, work, installed)
    stopping = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(60) == 0, (tmp / "loa-run.log").read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    # the figure the issue asked for (17 s before the services were stopped together); bench-like, not asserted
    print(f"loa run stopped in {time.monotonic() - stopping:.1f} s after Ctrl-C")
    text = (tmp / "loa-run.log").read_text()
    assert not run_json.exists(), "loa run left run.json behind"
    assert not (cfg.home / "mosquitto" / "mosquitto.pid").exists(), "loa run left mosquitto.pid behind"
    # start-up said what it waited for and how long; stopping says what it stops, and each service as it stops
    assert "starting Prefect server" in text and re.search(r"Prefect server ready in \d+\.\d s", text), text[:2000]
    stopping = next(line for line in text.splitlines() if line.startswith("stopping: "))
    for name in ("web server", "board listener", "deployments", "Prefect server", "Mosquitto"):
        assert name in stopping, (name, stopping)
        assert re.search(rf"stopped {name} \(\d+\.\d s\)", text), (name, text[-2000:])
    assert re.search(r"Loa stopped in \d+\.\d s", text), text[-2000:]


def run_loa(system: System, *args: str) -> subprocess.CompletedProcess:
    """A `loa` command of the wheel's, from the empty working directory."""
    return subprocess.run(
        [system.bin / "loa", *args], cwd=system.work, env=system.env, capture_output=True, text=True, timeout=120
    )


def loa(system: System, *args: str) -> dict | list:
    done = run_loa(system, *args, "--json")
    assert done.returncode in (0, 2), done.stderr[-3000:]
    return json.loads(done.stdout)


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def ingested(system) -> dict[str, dict]:
    """The wheel's `loa ingest` of the test's two feeds, once for the module: its report per feed name.
    The tests that need drafts ask for it, so none depends on another having ingested first."""
    return {r["name"]: r for r in loa(system, "ingest")}


def test_the_wheel_serves_the_site_it_rebuilt_its_desk_and_packaged_css(system):
    """`loa run` from the wheel serves the site it built at its first start, then what the wheel's
    `loa site rebuild` writes, and its own packaged files."""
    cfg = system.cfg
    site = f"http://127.0.0.1:{cfg.ports.web}"
    first = requests.get(f"{site}/", timeout=10)
    assert first.status_code == 200 and first.text == (cfg.home / "site" / "index.html").read_text(), first.text[:500]
    rebuilt = json.loads(sh(system.bin / "loa", "site", "rebuild", "--json", cwd=system.work, env=system.env))
    assert Path(rebuilt["root"]) == cfg.home / "site"
    index = (cfg.home / "site" / "index.html").read_text()
    assert "<html" in index and "{{" not in index, index[:500]
    page = requests.get(f"{site}/", timeout=10)
    assert page.status_code == 200 and page.text == index, page.text[:500]
    login = requests.get(f"{site}/desk/login", timeout=10)  # the desk's own templates
    assert login.status_code == 200 and "<form" in login.text, login.text[:500]
    templates = sh(
        system.bin / "python", "-c", "import loa.render as r; print(r.TEMPLATES)", cwd=system.work, env=system.env
    )
    packaged = Path(templates.strip(), "website", "site.css")
    assert packaged.resolve().is_relative_to(system.bin.parent.resolve()), packaged  # the wheel's, not the checkout's
    css = requests.get(f"{site}/static/site.css", timeout=10)  # copied from the packaged templates
    assert css.status_code == 200 and css.text == packaged.read_text()


def test_feed_to_every_channel_only_after_approval(system, ingested):
    cfg = system.cfg
    site = f"http://127.0.0.1:{cfg.ports.web}"
    reports = ingested
    assert reports["Nguồn hỏng"]["status"] == "failed" and "404" in reports["Nguồn hỏng"]["error"]
    drafted = reports["Mẫu qua HTTP"]["drafted"]
    assert drafted, reports
    nid = drafted[0]
    notice = loa(system, "show", str(nid))
    assert notice["state"] == "drafted" and notice["areas"] == [  # the grouping's communes, no district
        "cao-bang/hoa-an",
        "cao-bang/nam-tuan",
        "cao-bang/nguyen-hue",
        "cao-bang/bach-dang",
    ]
    assert set(notice["variants"]) >= {"website", "boards", "radio", "print"}
    # operators see each new reform document and its draft in Prefect's event feed
    api = json.loads((cfg.home / "run.json").read_text())["prefect_api_url"]
    document = next(d for d in reports["Mẫu qua HTTP"]["documents"] if d["notice_id"] == nid)

    def announced():
        found = requests.post(
            f"{api}/events/filter",
            timeout=10,
            json={"filter": {"event": {"name": ["loa.document.ingested", "loa.notice.drafted"]}}, "limit": 50},
        ).json()
        names = {(e["event"], e["resource"]["prefect.resource.id"]) for e in found.get("events", [])}
        wanted = {
            ("loa.document.ingested", f"loa.document.{document['document_id']}"),
            ("loa.notice.drafted", f"loa.notice.{nid}"),
        }
        return wanted <= names

    wait(announced, 30, "loa.document.ingested and loa.notice.drafted in Prefect's events")

    # nothing public before approval
    topic = f"loa/v1/areas/cao-bang/nam-tuan/notices/{nid}"
    assert retained(cfg.mqtt_monitor, topic, settle=0.5) is None
    assert requests.get(f"{site}/notices/{nid}.html", timeout=5).status_code == 404
    playlist = requests.get(f"{site}/radio/stations/hoa-an.m3u8", timeout=5)
    assert playlist.status_code == 404 or f"notice-{nid}-" not in playlist.text

    board = Collector(cfg.mqtt_monitor, [topic]).wait_ready()
    approved_at = time.monotonic()
    result = loa(system, "approve", str(nid), "--by", "Nông Thị Hoa")
    assert result["state"] == "approved" and result["event_emitted"] is True
    payload = board.wait_for(topic, timeout=90)
    latency = time.monotonic() - approved_at
    board.close()
    assert payload, "no board message after approval"
    print(f"approve → board message: {latency:.2f} s")
    message = json.loads(payload)
    assert message["id"] == nid and message["title"] == notice["title"]
    # the board shows exactly the lines `loa show --json` (and the desk) gives for each profile
    assert message["lines"] == notice["board_lines"] and set(message["lines"]) == {"ticker", "panel"}

    page = wait(lambda: (r := requests.get(f"{site}/notices/{nid}.html", timeout=5)).ok and r.text, 60, "the page")
    assert notice["title"] in page and 'lang="vi"' in page
    assert notice["title"] in requests.get(f"{site}/", timeout=5).text

    # watched in the store, not by a `loa show` process (a second of CPU each) every 0.2 s
    store = Store.open(cfg.database_url, upgrade=False)
    try:
        wait(lambda: store.notice(nid).state.value == "published", 90, "the notice to be published")
    finally:
        store.engine.dispose()
    shown = loa(system, "show", str(nid))
    assert shown["state"] == "published", shown

    # the dispatch run's page in the Prefect UI shows what it did: its run logger's lines reach the API
    def dispatch_logs():
        runs = requests.post(
            f"{api}/flow_runs/filter", timeout=10, json={"flows": {"name": {"any_": ["dispatch"]}}, "limit": 50}
        ).json()
        ids = [r["id"] for r in runs if str(r["parameters"].get("notice_id")).removeprefix("loa.notice.") == str(nid)]
        if not ids:
            return None
        logs = requests.post(
            f"{api}/logs/filter", timeout=10, json={"logs": {"flow_run_id": {"any_": ids}}, "limit": 200}
        ).json()
        text = "\n".join(entry["message"] for entry in logs)
        return text if f"notice {nid} v1 is published" in text else None

    run_log = wait(dispatch_logs, 30, "the dispatch run's logs in Prefect")
    # boards went out at approval; the run says so, and what it delivered itself
    assert f"publish of notice {nid} v1: " in run_log and "boards: nothing pending" in run_log, run_log
    assert "radio → nam-tuan: delivered" in run_log and "website → site: delivered" in run_log, run_log
    channels = {(d["channel"], d["target"]) for d in shown["deliveries"] if d["status"] == "delivered"}
    assert ("boards", "cao-bang/nam-tuan") in channels and ("website", "site") in channels
    assert ("radio", "hoa-an") in channels and ("radio", "nam-tuan") in channels

    m3u = requests.get(f"{site}/radio/stations/nam-tuan.m3u8", timeout=5).text
    audio_name = f"notice-{nid}-v1-vi.mp3"
    assert f"{site}/radio/audio/{audio_name}" in m3u and "#EXTINF:" in m3u
    assert requests.get(f"{site}/radio/audio/{audio_name}", timeout=5).status_code == 200  # what a station fetches
    audio = cfg.home / "radio" / "audio" / audio_name
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name", "-of", "json", str(audio)],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(probe.stdout)
    assert info["streams"][0]["codec_name"] == "mp3" and float(info["format"]["duration"]) > 1.0
    assert requests.get(f"{site}/radio/audio/{audio_name}", timeout=5).headers["content-type"] == "audio/mpeg"

    # withdrawal (an event too) clears the board and marks the page
    loa(system, "withdraw", str(nid), "--by", "Nông Thị Hoa")
    wait(lambda: retained(cfg.mqtt_monitor, topic, settle=0.3) is None, 60, "the retained message to clear")
    wait(
        lambda: "đã bị thu hồi" in requests.get(f"{site}/notices/{nid}.html", timeout=5).text,
        30,
        "the page to be marked withdrawn",
    )
    assert audio_name not in wait(
        lambda: (
            (t := requests.get(f"{site}/radio/stations/nam-tuan.m3u8", timeout=5).text) and (audio_name not in t) and t
        ),
        30,
        "the playlist to drop the notice",
    )


def test_rejected_notice_never_reaches_a_channel(system, ingested):
    cfg = system.cfg
    drafted = ingested["Mẫu qua HTTP"]["drafted"]
    assert len(drafted) > 1, ("the sample feed should leave more than one draft", ingested)
    drafts = {n["id"] for n in loa(system, "notices", "--state", "drafted")}
    nid = drafted[-1]  # not the one test_feed_to_every_channel_only_after_approval approves
    assert nid in drafts, (nid, drafts)
    loa(system, "reject", str(nid), "--by", "Nông Thị Hoa", "--reason", "trùng nội dung")
    done = run_loa(system, "dispatch", str(nid))
    assert done.returncode == 1 and "only approved notices are dispatched" in done.stderr
    assert retained(cfg.mqtt_monitor, f"loa/v1/areas/cao-bang/nam-tuan/notices/{nid}", settle=0.5) is None
    assert not (cfg.home / "site" / "notices" / f"{nid}.html").exists()


def test_a_deployment_run_parses_a_big_pass_in_worker_processes(system, feed_server):
    """The ingest deployment, run by `loa run`'s runner, over enough feeds to start the parse pool
    (worker processes spawned from a flow run that was itself forked from the runner's fork server)."""
    from loa.ingest.prepare import POOL_MIN_FEEDS
    from tests.prefect_server import api_post

    cfg = system.cfg
    api = json.loads((cfg.home / "run.json").read_text())["prefect_api_url"]
    urls = [f"{feed_server}/sample-reform.xml?copy={i}" for i in range(POOL_MIN_FEEDS)]
    deployment = requests.get(f"{api}/deployments/name/ingest/ingest", timeout=10).json()
    run = api_post(f"{api}/deployments/{deployment['id']}/create_flow_run", {"parameters": {"feed_urls": urls}})

    def finished():
        state = requests.get(f"{api}/flow_runs/{run['id']}", timeout=10).json()["state"]
        return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

    assert wait(finished, 120, "the ingest deployment run")["type"] == "COMPLETED"
    health = {f["url"]: f for f in loa(system, "feeds")}
    assert all(health[u]["last_success_at"] and health[u]["consecutive_failures"] == 0 for u in urls)


def test_a_killed_broker_is_restarted_while_everything_else_keeps_serving(system):
    """Loa's own Mosquitto SIGKILLed under `loa run`: the website, desk and Prefect keep answering, the
    broker is started again (backoff from 1 s), said in `loa run`'s output and posted as events."""
    from channels.mqtt import probe
    from loa.app.broker import running_pid

    cfg = system.cfg
    api = json.loads((cfg.home / "run.json").read_text())["prefect_api_url"]
    pid = running_pid(cfg)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    base = f"http://{cfg.bind_host}:{cfg.ports.web}"
    for path in ("/healthz", "/", "/desk/login", "/board/"):
        assert requests.get(base + path, timeout=10).status_code == 200, path
    assert requests.get(f"{api}/health", timeout=10).ok
    wait(lambda: running_pid(cfg) not in (None, pid) and probe(cfg.mqtt) is None, 60, "the broker to be restarted")
    print(f"broker back {time.monotonic() - killed:.1f} s after SIGKILL")
    log = (cfg.home.parent / "loa-run.log").read_text()
    assert "mosquitto exited with code -9" in log and "mosquitto is running again" in log

    def posted():
        found = requests.post(
            f"{api}/events/filter",
            timeout=10,
            json={"filter": {"event": {"name": ["loa.broker.down", "loa.broker.restarted"]}}, "limit": 10},
        ).json()
        return {e["event"] for e in found.get("events", [])} == {"loa.broker.down", "loa.broker.restarted"}

    wait(posted, 30, "loa.broker.down and loa.broker.restarted in Prefect's event feed")
    assert requests.get(base + "/healthz", timeout=10).ok
