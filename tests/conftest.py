"""Shared fixtures: config in a temp folder, the store on SQLite and PostgreSQL, a real Mosquitto,
a real HTTP feed server on loopback. Nothing here mocks a component a user would have for real."""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import shutil
import socket
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from loa.config import Config, Env, Ports, load_config
from loa.config.files import SAFE_LOADER
from loa.store import Store

ROOT = Path(__file__).resolve().parent.parent
FEEDS = ROOT / "tests" / "data" / "feeds"
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
PG_URL = os.environ.get("LOA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_folder(tmp_path_factory, name: str) -> Path:
    """The pytest run's folder `name`, one for all its processes: in the controller's basetemp, which
    holds the xdist workers' own."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name


STATE = "state.json"  # in a once_per_run folder: what `make` returned, written last


def once_per_run(tmp_path_factory, name: str, make: Callable[[Path], dict]) -> dict:
    """What `make(folder)` returns, made once for the whole pytest run whichever xdist workers ask: the
    first process makes it in the run's folder `name` under a file lock, the others wait, then read it."""
    folder = run_folder(tmp_path_factory, name)
    folder.mkdir(exist_ok=True)
    state = folder / STATE
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if state.exists():
            return json.loads(state.read_text())
        made = make(folder)
        state.write_text(json.dumps(made))
        return made


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, its WAL included, into target (SQLite's backup API:
    a WAL file left beside target is taken care of, where copying the file over it would not be)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def write_config(folder: Path, *, feeds: list[dict], ports: Ports | None = None, **main) -> Path:
    """A copy of config/ with test ports and feeds; everything else as shipped."""
    shutil.copytree(ROOT / "config", folder, dirs_exist_ok=True)
    data = yaml.load((folder / "loa.yaml").read_text(), Loader=SAFE_LOADER)
    ports = ports or Ports(prefect=free_port(), web=free_port(), mqtt=free_port())
    data["ports"] = {"prefect": ports.prefect, "web": ports.web, "mqtt": ports.mqtt}
    data["site_url"] = f"http://127.0.0.1:{ports.web}"
    data.update(main)
    (folder / "loa.yaml").write_text(yaml.dump(data, Dumper=SAFE_DUMPER, allow_unicode=True))
    (folder / "feeds.yaml").write_text(yaml.dump({"feeds": feeds}, Dumper=SAFE_DUMPER, allow_unicode=True))
    return folder


@pytest.fixture
def sample_feed_url() -> str:
    return (FEEDS / "sample-reform.xml").as_uri()


@pytest.fixture
def cfg(tmp_path, sample_feed_url, migrated_sqlite) -> Config:
    """The shipped config with test ports and the sample feed; its store (LOA_HOME/loa.db) starts as a
    copy of the migrated template, as after a first start (first-start migration: test_store)."""
    folder = write_config(tmp_path / "config", feeds=[{"url": sample_feed_url, "name": "Mẫu", "area": "cao-bang"}])
    config = load_config(Env(home=tmp_path / "home", config_dir=folder))
    seed_migrated(migrated_sqlite, config.database_url)
    return config


def _postgres_database():
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"loa_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a missing PostgreSQL must fail loudly, not skip
        pytest.fail(
            f"PostgreSQL at {PG_URL} is not usable ({exc}); start it (make services) or set LOA_TEST_POSTGRES_URL"
        )
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    return admin, name, url


@pytest.fixture(scope="session")
def postgres_url():
    from sqlalchemy import text

    admin, name, url = _postgres_database()
    yield url
    from sqlalchemy import create_engine

    create_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """One SQLite store migrated to the heads per test process: a test's fresh store is a copy of it
    (running the ~25 migrations for each of ~1,000 store tests cost more CPU than the tests themselves).
    The migrations themselves are tested in tests/unit/test_area_migration.py."""
    path = tmp_path_factory.mktemp("migrated") / "loa.db"
    Store.open(f"sqlite:///{path}").engine.dispose()
    return path


#: the test process's stores, one per database URL. A new Store per test meant a new SQLAlchemy engine:
#: every statement compiled again (the statement cache is the engine's) and the engine's reference
#: cycles left to the garbage collector; together half the CPU of the store tests.
_STORES: dict[str, Store] = {}


def _store_for(url: str) -> Store:
    if url not in _STORES:
        _STORES[url] = Store.open(url)
    return _STORES[url]


def seed_migrated(template: Path, url: str) -> None:
    """Put a copy of the migrated template where a test's config keeps its SQLite store, before the
    first Store.open: the store code then finds its schema current instead of running every migration."""
    sqlite_copy(template, Path(url.removeprefix("sqlite:///")))


def copy_of_migrated(template: Path) -> Store:
    """A fresh, empty store with the current schema: the process's SQLite store, its file reset to a copy
    of the template."""
    target = template.with_name("store.db")
    url = f"sqlite:///{target}"
    if url in _STORES:
        _STORES[url].engine.dispose()  # the previous test's pooled connections let go of the file
    seed_migrated(template, url)
    return _store_for(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, migrated_sqlite) -> Store:
    """The store on both backends: the same code must hold on SQLite and PostgreSQL. Each test starts
    with an empty store; the engine is the process's (see _STORES)."""
    if request.param == "sqlite":
        return copy_of_migrated(migrated_sqlite)
    st = _store_for(request.getfixturevalue("postgres_url"))
    from loa.store.schema import Base

    with st.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return st


@pytest.fixture
def sqlite_store(migrated_sqlite) -> Store:
    return copy_of_migrated(migrated_sqlite)


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """Loa's own Mosquitto (project config: auth, ACL) on a free port, for the whole session."""
    from loa.app import broker as mosq

    tmp = tmp_path_factory.mktemp("broker")
    folder = write_config(tmp / "config", feeds=[])
    cfg = load_config(Env(home=tmp / "home", config_dir=folder))
    proc = mosq.start(cfg)
    yield cfg
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def broker_cfg(broker, tmp_path, sample_feed_url, migrated_sqlite) -> Config:
    """A config whose store is fresh (a copy of the migrated template) but whose broker (and its
    accounts) is the session's Mosquitto."""
    cfg = load_config(
        Env(home=broker.home, config_dir=broker.config_dir, database_url=f"sqlite:///{tmp_path / 'loa.db'}")
    )
    seed_migrated(migrated_sqlite, cfg.database_url)
    return cfg


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def files_of(folder: Path) -> Callable[..., http.server.BaseHTTPRequestHandler]:
    """A request handler serving the files of `folder` without logging each request."""
    return functools.partial(_QuietHandler, directory=str(folder))


@contextmanager
def loopback_http(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 (a free port), `handler` answering in threads; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def feed_server():
    """A real HTTP server on loopback serving tests/data/feeds; yields its base URL."""
    with loopback_http(files_of(FEEDS)) as url:
        yield url


ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (Playwright's own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def screenshot_dir() -> Path:
    """Screenshots kept as test artifacts (look at them: test-artifacts/ in the repository)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    """The Prefect server the run's processes shared stops with the run, in the xdist controller (after
    every worker is done) or the only process (tests/prefect_server.py)."""
    if not hasattr(session.config, "workerinput"):
        from tests.prefect_server import stop_shared_server

        stop_shared_server(session.config._tmp_path_factory.getbasetemp())  # the basetemp xdist's workers share


def pytest_collection_modifyitems(config, items):
    """Whole modules in the order workers should take them (xdist --dist loadscope hands out modules in
    this order): those marked runs_long(seconds) first, longest first, so their waits on real time
    overlap the other modules' work instead of trailing after it; then the rest, most tests first."""
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for i, item in enumerate(items):
        module = item.nodeid.split("::")[0]
        first.setdefault(module, i)
        count[module] = count.get(module, 0) + 1
        marker = item.get_closest_marker("runs_long")
        seconds[module] = float(marker.args[0]) if marker else 0.0

    def order(item) -> tuple[float, int, int]:
        module = item.nodeid.split("::")[0]
        return (-seconds[module], -count[module], first[module])

    items.sort(key=order)
