"""The webhook channel against a real HTTP server on loopback that checks every signature."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest

from channels.webhook import Webhook
from loa.config import Env, WebhookTarget, load_config
from loa.errors import ConfigError
from loa.publishing.dispatch import dispatch_notice, withdraw_notice
from loa.store import Store
from tests.conftest import write_config
from tests.unit.test_site_publish import approve

pytestmark = pytest.mark.integration
SECRET = "s3cret-for-the-provincial-portal"


class Portal:
    """An HTTP receiver: verifies X-Loa-Signature like a portal would, answers from a script of statuses."""

    def __init__(self, statuses=(), secret=SECRET):
        self.statuses, self.secret, self.received, self.rejected = list(statuses), secret, [], []
        portal = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers["X-Loa-Timestamp"]
                expected = (
                    "sha256="
                    + hmac.new(portal.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                )
                fresh = abs(time.time() - int(stamp)) < 300
                if not (fresh and hmac.compare_digest(expected, self.headers["X-Loa-Signature"])):
                    portal.rejected.append(self.headers["X-Loa-Signature"])
                    status = 401
                else:
                    status = portal.statuses.pop(0) if portal.statuses else 204
                    portal.received.append((status, dict(self.headers), json.loads(body)))
                self.send_response(status)
                if status == 503:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/loa"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def portal():
    p = Portal()
    yield p
    p.close()


def channel(cfg, store, *hooks: WebhookTarget, sleeps=None) -> Webhook:
    cfg = cfg.model_copy(update={"webhooks": tuple(hooks)})  # Config is frozen: a variant for this channel
    return Webhook(cfg, store, sleep=(sleeps.append if sleeps is not None else time.sleep))


def test_signed_post_reaches_the_portal_and_is_one_delivery_row(cfg, portal):
    store = Store.open(cfg.database_url)
    hook = channel(cfg, store, WebhookTarget("portal", portal.url, SECRET))
    n = approve(store, "urn:a", ["cao-bang/hoa-an"], title="Kế hoạch cải cách hành chính")
    report = dispatch_notice(store, {"webhook": hook}, n.id)
    assert report.state == "published" and [r.ok for r in report.results] == [True]
    [(status, headers, body)] = portal.received
    assert portal.rejected == [] and status == 204
    assert (
        headers["X-Loa-Event"] == "notice.published"
        and headers["X-Loa-Delivery"] == f"{n.id}-v1-notice.published-portal"
    )
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert body["schema"] == "loa.webhook.notice" and body["notice"]["title"] == "Kế hoạch cải cách hành chính"
    assert body["notice"]["areas"] == [{"path": "cao-bang/hoa-an", "code": 1654, "name": "xã Hòa An"}]
    assert body["notice"]["url"] == f"{cfg.site_url}/notices/{n.id}.html"
    [row] = store.deliveries(n.id, channel="webhook")
    assert (row.target, row.status, row.attempts) == ("portal", "delivered", 1)
    assert dispatch_notice(store, {"webhook": hook}, n.id).results == []  # delivered once, never again
    store.transition(n.id, "withdraw", "Nông Thị Hoa")
    withdraw_notice(store, {"webhook": hook}, n.id)
    assert portal.received[-1][1]["X-Loa-Event"] == "notice.withdrawn"
    assert portal.received[-1][2]["notice"]["state"] == "withdrawn"


def test_a_failing_portal_is_retried_with_backoff_then_left_pending(cfg):
    portal = Portal(statuses=[503, 500, 503, 502, 200])
    sleeps = []
    try:
        store = Store.open(cfg.database_url)
        hook = channel(cfg, store, WebhookTarget("portal", portal.url, SECRET, attempts=3), sleeps=sleeps)
        n = approve(store, "urn:a", ["cao-bang"])
        first = dispatch_notice(store, {"webhook": hook}, n.id)
        assert first.state == "partially_published" and len(portal.received) == 3
        [bad] = first.failed
        assert bad.transient and "HTTP 503" in bad.detail and "after 3 attempt(s)" in bad.detail
        assert sleeps == [0.5, 1.0]  # exponential backoff between the attempts
        # the next dispatch run (Prefect's retry) sends it again; the portal is back
        second = dispatch_notice(store, {"webhook": hook}, n.id)
        assert second.state == "published" and len(portal.received) == 5
        [row] = store.deliveries(n.id, channel="webhook")
        assert (row.status, row.attempts) == ("delivered", 2)
        deliveries = {h["X-Loa-Delivery"] for _, h, _ in portal.received}
        assert len(deliveries) == 1  # the same delivery id on every retry: the portal can de-duplicate
    finally:
        portal.close()


def test_a_refusal_is_permanent_and_a_wrong_secret_is_refused(cfg):
    refusing = Portal(statuses=[422])
    wrong = Portal(secret="the-portal-has-another-secret")
    try:
        store = Store.open(cfg.database_url)
        hook = channel(
            cfg,
            store,
            WebhookTarget("refusing", refusing.url, SECRET),
            WebhookTarget("wrong", wrong.url, SECRET, attempts=1),
            sleeps=[],
        )
        n = approve(store, "urn:a", ["cao-bang"])
        report = dispatch_notice(store, {"webhook": hook}, n.id)
        by = {r.target: r for r in report.results}
        assert not by["refusing"].ok and not by["refusing"].transient and "HTTP 422" in by["refusing"].detail
        assert len(refusing.received) == 1  # a 4xx is not retried
        assert not by["wrong"].ok and "HTTP 401" in by["wrong"].detail and len(wrong.rejected) == 1
    finally:
        refusing.close()
        wrong.close()


def test_an_unreachable_portal_is_a_transient_failure(cfg):
    dead = Portal()
    url = dead.url
    dead.close()
    store = Store.open(cfg.database_url)
    hook = channel(cfg, store, WebhookTarget("dead", url, SECRET, attempts=2, timeout=2), sleeps=[])
    n = approve(store, "urn:a", ["cao-bang"])
    [result] = hook.dispatch(n, ["dead"])
    assert not result.ok and result.transient and "ConnectionError" in result.detail


def test_targets_follow_areas_and_describe_masks_the_secret(cfg, portal):
    store = Store.open(cfg.database_url)
    hook = channel(
        cfg,
        store,
        WebhookTarget("all", portal.url, SECRET),
        WebhookTarget("hoa-an", portal.url, SECRET, areas=("cao-bang/hoa-an",)),
    )
    assert hook.targets(approve(store, "urn:a", ["cao-bang/ha-quang"])) == ["all"]
    assert hook.targets(approve(store, "urn:b", ["cao-bang/nam-tuan", "cao-bang/hoa-an"])) == ["all", "hoa-an"]
    assert hook.targets(approve(store, "urn:c", ["cao-bang"])) == ["all", "hoa-an"]  # province-wide reaches it too
    described = json.dumps(hook.describe())
    assert SECRET not in described and '"secret": "***"' in described and SECRET not in repr(hook.hooks["all"])


def test_webhook_config_is_validated_with_file_key_and_value(tmp_path, monkeypatch):
    def load(hooks):
        folder = write_config(tmp_path / "config", feeds=[], webhooks=hooks)
        return load_config(Env(home=tmp_path / "home", config_dir=folder))

    monkeypatch.setenv("LOA_TEST_PORTAL_SECRET", SECRET)
    cfg = load(
        [
            {
                "name": "portal",
                "url": "https://portal.example/hook",
                "secret_env": "LOA_TEST_PORTAL_SECRET",
                "areas": ["cao-bang"],
            }
        ]
    )
    assert cfg.webhooks[0].secret == SECRET and cfg.webhooks[0].areas == ("cao-bang",)
    cases = [
        ([{"name": "p", "url": "ftp://x/y", "secret": SECRET}], "webhooks[0].url: 'ftp://x/y' must be an http"),
        ([{"name": "p", "url": "https://x/y", "secret": "short"}], "webhooks[0].secret: is shorter than 16"),
        (
            [{"name": "p", "url": "https://x/y", "secret_env": "LOA_TEST_UNSET_SECRET"}],
            "webhooks[0].secret_env: environment variable LOA_TEST_UNSET_SECRET is not set",
        ),
        (
            [{"name": "p", "url": "https://x/y", "secret": SECRET, "areas": ["cao-bang/atlantis"]}],
            "webhooks[0].areas: area 'cao-bang/atlantis' is not in areas.yaml",
        ),
        ([{"name": "Cổng", "url": "https://x/y", "secret": SECRET}], "webhooks[0].name: 'Cổng' is not a lowercase"),
        (
            [{"name": "p", "url": "https://x/y", "secret": SECRET}] * 2,
            "webhooks[1].name: 'p' is listed twice",
        ),
        ([{"name": "p", "url": "https://x/y", "secret": SECRET, "retries": 3}], "webhooks[0].retries: is not a known"),
    ]
    for hooks, message in cases:
        with pytest.raises(ConfigError) as err:
            load(hooks)
        assert "loa.yaml" in str(err.value) and message in str(err.value), str(err.value)
