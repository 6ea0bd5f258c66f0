"""Scale-out on Prefect's own machinery, on this machine: a Prefect server on PostgreSQL, a process work
pool with two `prefect worker start` processes, Loa's deployments from prefect.yaml (`prefect deploy
--all`), Loa's store on PostgreSQL and Loa's Mosquitto. A feed is ingested by a worker, a notice is
approved with `loa approve` (an event), the dispatch runs on a worker and the board message arrives.

Also here (fast, no server): prefect.yaml says what flows/serve.py serves."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from loa.store import Store
from tests.conftest import PG_URL, ROOT, write_config
from tests.mqtt_helpers import Collector
from tests.prefect_server import prefect_env, prefect_server, stop_group

pytestmark = pytest.mark.runs_long(45)

LOA = str(Path(sys.executable).parent / "loa")


@pytest.fixture
def repo_config(monkeypatch, tmp_path):
    """runtime() on the shipped config/ with a throw-away LOA_HOME (deployments() reads loa.yaml)."""
    monkeypatch.setenv("LOA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOA_CONFIG_DIR", str(ROOT / "config"))
    monkeypatch.delenv("LOA_DATABASE_URL", raising=False)


def test_prefect_yaml_agrees_with_serve(repo_config, tmp_path):
    from flows.prefect_yaml import differences, expected

    assert differences() == []
    names = [d["name"] for d in expected()]
    assert {"ingest", "dispatch", "withdraw", "report"} <= set(names)
    report = next(d for d in expected() if d["name"] == "report")
    assert report["schedules"] == [{"cron": "0 7 1 * *", "timezone": "Asia/Ho_Chi_Minh"}]

    # the check notices a deployment missing and a schedule that drifted
    data = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    data["deployments"] = [d for d in data["deployments"] if d["name"] != "report"]
    data["deployments"][0]["schedules"] = [{"interval": 600}]
    drifted = tmp_path / "prefect.yaml"
    drifted.write_text(yaml.safe_dump(data, allow_unicode=True))
    problems = differences(drifted)
    assert "report: in flows/serve.py, missing from prefect.yaml" in problems
    assert any(p.startswith("ingest.schedules: prefect.yaml has [{'interval': 600}]") for p in problems)


def test_only_transient_delivery_failures_are_retried():
    from prefect.states import Completed, Failed
    from sqlalchemy.exc import OperationalError

    from flows.dispatch import DeliveryFailed, _transient

    def retried(exc) -> bool:
        return _transient(None, None, Failed(data=exc))

    assert retried(DeliveryFailed("boards: cao-bang: broker unreachable", transient=True))
    assert not retried(DeliveryFailed("radio: hoa-an: espeak-ng failed", transient=False))
    assert retried(ConnectionRefusedError(111, "refused")) and retried(OperationalError("SELECT", {}, Exception()))
    assert not retried(ValueError("bad notice id")) and not retried(KeyError("boards"))
    assert not _transient(None, None, Completed(data=[]))


# --- the topology ------------------------------------------------------------------------------


def _database(admin, name: str) -> str:
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop(admin, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _wait(predicate, timeout: float, what: str, procs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc, log in procs:
            if proc.poll() is not None:
                pytest.fail(f"{name} exited ({proc.returncode}) while waiting for {what}: {log.read_text()[-3000:]}")
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_two_workers_on_postgresql_ingest_approve_dispatch(tmp_path, broker, feed_server):
    started = time.monotonic()
    marks: dict[str, float] = {}
    tag = uuid.uuid4().hex[:8]
    pool = f"loa-test-{tag}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    prefect_db, loa_db = f"prefect_scale_{tag}", f"loa_scale_{tag}"
    procs: list[tuple[str, subprocess.Popen, Path]] = []
    try:
        prefect_url = _database(admin, prefect_db)
        store_url = _database(admin, loa_db)
        store = Store.open(store_url)  # Loa's schema on PostgreSQL, as an operator would migrate it

        # Loa's config: the sample feed over HTTP, one radio station (the radio channel is not under test)
        folder = write_config(
            tmp_path / "config",
            feeds=[{"url": f"{feed_server}/sample-reform.xml", "name": "Mẫu", "area": "cao-bang/hoa-an"}],
        )
        stations = yaml.safe_load((folder / "stations.yaml").read_text())
        (folder / "stations.yaml").write_text(
            yaml.safe_dump({"stations": stations["stations"][:1]}, allow_unicode=True)
        )
        home = tmp_path / "home"  # one LOA_HOME for both workers: on several machines, shared storage
        mq = broker.mqtt
        async_url = make_url(prefect_url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)

        with prefect_server(tmp_path / "prefect", database_url=async_url, timeout=150) as api:
            try:
                marks["server on PostgreSQL"] = time.monotonic() - started
                env = prefect_env(tmp_path / "prefect-client", api) | {
                    "LOA_HOME": str(home),
                    "LOA_CONFIG_DIR": str(folder),
                    "LOA_DATABASE_URL": store_url,
                    "LOA_MQTT_URL": f"mqtt://{mq.username}:{mq.password}@{mq.host}:{mq.port}",
                    "LOA_SRC_DIR": str(ROOT),
                    "PREFECT_WORKER_QUERY_SECONDS": "1",
                    "PREFECT_WORKER_PREFETCH_SECONDS": "5",
                }

                # the pool, with the process worker's own job template (what `prefect work-pool create --type process` makes)
                from prefect.workers.process import ProcessWorker

                created = requests.post(
                    f"{api}/work_pools/",
                    json={
                        "name": pool,
                        "type": "process",
                        "base_job_template": ProcessWorker.get_default_base_job_template(),
                    },
                    timeout=10,
                )
                assert created.status_code == 201, created.text
                for n in (1, 2):
                    log = tmp_path / f"worker-{n}.log"
                    with open(log, "wb") as out:
                        proc = subprocess.Popen(
                            [
                                sys.executable,
                                "-m",
                                "prefect",
                                "worker",
                                "start",
                                "--pool",
                                pool,
                                "--name",
                                f"{pool}-w{n}",
                                "--type",
                                "process",
                            ],
                            env=env,
                            cwd=tmp_path,
                            stdout=out,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    procs.append((f"worker {n}", proc, log))

                # Loa's deployments from the repository's prefect.yaml, pointed at this pool
                data = yaml.safe_load((ROOT / "prefect.yaml").read_text())
                for d in data["deployments"]:
                    d["work_pool"] = {"name": pool}
                spec = tmp_path / "prefect.yaml"
                spec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
                deployed = subprocess.run(
                    [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all", "--prefect-file", str(spec)],
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
                marks["prefect deploy --all"] = time.monotonic() - started
                listed = requests.post(f"{api}/deployments/filter", json={}, timeout=10).json()
                assert {d["name"] for d in listed} == {d["name"] for d in data["deployments"]}
                assert {d["work_pool_name"] for d in listed} == {pool}

                def online_workers():
                    workers = requests.post(f"{api}/work_pools/{pool}/workers/filter", json={}, timeout=10).json()
                    return {w["name"] for w in workers if w["status"] == "ONLINE"} == {f"{pool}-w1", f"{pool}-w2"}

                _wait(online_workers, 60, "both workers to report online", procs)
                marks["two workers online"] = time.monotonic() - started

                # ingest runs on a worker
                ingest = requests.get(f"{api}/deployments/name/ingest/ingest", timeout=10).json()
                run = requests.post(f"{api}/deployments/{ingest['id']}/create_flow_run", json={}, timeout=10).json()

                def finished(run_id):
                    state = requests.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"]
                    if state["type"] in ("FAILED", "CRASHED", "CANCELLED"):
                        pytest.fail(f"flow run {run_id} ended {state['name']}: {state.get('message')}")
                    return state["type"] == "COMPLETED"

                _wait(lambda: finished(run["id"]), 90, "the ingest run on a worker", procs)
                marks["ingest run completed"] = time.monotonic() - started
                drafts = [n for n in store.notices() if n.state.value == "drafted"]
                assert drafts, "the worker's ingest drafted nothing into the PostgreSQL store"
                nid = drafts[0].id
                topic = f"loa/v1/areas/cao-bang/hoa-an/notices/{nid}"

                # approve (the CLI posts loa.notice.approved); the dispatch deployment's trigger starts a run on a worker
                board = Collector(broker.mqtt_monitor, [topic]).wait_ready()
                approved_at = time.monotonic()
                approve = subprocess.run(
                    [LOA, "approve", str(nid), "--by", "Nông Thị Hoa", "--json"],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                assert approve.returncode == 0, approve.stderr
                marks["loa approve returned (s)"] = time.monotonic() - approved_at
                assert json.loads(approve.stdout)["event_emitted"] is True
                payload = _wait(lambda: board.messages.get(topic), 90, "the board message", procs)
                marks["approve → board message (s)"] = time.monotonic() - approved_at
                board.close()
                message = json.loads(payload)
                assert message["id"] == nid and message["title"] == drafts[0].title

                # the boards are delivered by the approving process itself: the run may start after the message
                def dispatch_runs():
                    runs = requests.post(f"{api}/flow_runs/filter", json={}, timeout=10).json()
                    return [r for r in runs if r["name"].startswith(f"dispatch notice {nid}")] or None

                dispatch = _wait(dispatch_runs, 60, "the dispatch run", procs)
                assert len(dispatch) == 1 and dispatch[0]["work_pool_name"] == pool
                _wait(lambda: finished(dispatch[0]["id"]), 90, "the dispatch run to finish", procs)
                assert store.notice(nid).state.value == "published"
                delivered = {(d.channel, d.target) for d in store.deliveries(nid) if d.status == "delivered"}
                assert ("boards", "cao-bang/hoa-an") in delivered and ("website", "site") in delivered

                marks["total (s)"] = time.monotonic() - started
                print("\nscale-out timings (s since start): " + ", ".join(f"{k} {v:.1f}" for k, v in marks.items()))
                # which worker ran what: each worker says which flow runs it submitted
                events = requests.post(
                    f"{api}/events/filter",
                    json={"filter": {"event": {"name": ["prefect.worker.submitted-flow-run"]}}, "limit": 50},
                    timeout=10,
                ).json()["events"]
                ran_on = {
                    r["prefect.resource.id"].removeprefix("prefect.flow-run."): e["resource"]["prefect.resource.name"]
                    for e in events
                    for r in e["related"]
                    if r.get("prefect.resource.role") == "flow-run"
                }
                print(f"flow runs on workers: {ran_on}")
                assert set(ran_on) == {run["id"], dispatch[0]["id"]}, ran_on
                assert set(ran_on.values()) <= {f"{pool}-w1", f"{pool}-w2"}, ran_on
            finally:  # workers first: once the server is gone they would only log connection errors
                for _name, proc, _log in procs:
                    stop_group(proc, timeout=5)
    finally:
        for _name, proc, _log in procs:
            stop_group(proc, timeout=5)  # (already stopped unless the server failed to start)
        if "store" in locals():
            store.engine.dispose()
        for name in (prefect_db, loa_db):
            try:
                _drop(admin, name)
            except Exception as exc:  # noqa: BLE001  (drop the other one too, then say which stayed)
                print(f"could not drop database {name}: {exc}")
        admin.dispose()
