"""Messaging apps and SMS through apprise, received for real on loopback: a JSON endpoint (an SMS gateway
and a chat webhook) and an SMTP server (aiosmtpd). Each destination gets its text once; an unreachable
one is a transient failure, retried, and neither lost nor doubled when it comes back."""

import email
import email.policy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from channels.messaging import Messaging
from loa.config import Env, load_config
from loa.messaging import sms_segments, sms_units
from loa.model import DeliveryStatus, Priority
from loa.publishing.dispatch import dispatch_notice, withdraw_notice
from tests.conftest import free_port, write_config
from tests.unit.test_cap_out import CLS, FEED, TEXT, TITLE, entry

pytestmark = pytest.mark.integration
TOKEN = "s3cr3t-token-0123456789"


class Endpoint:
    """A loopback HTTP endpoint that records every JSON POST; /forbidden answers 403."""

    def __init__(self, port: int = 0):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path.startswith("/forbidden"):
                    self.send_response(403)
                else:
                    received.append((self.path, self.headers.get("X-Token"), body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def loopback():
    endpoint, mailbox, smtp_port = Endpoint(), Mailbox(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    yield endpoint, mailbox, smtp_port
    smtp.stop()
    endpoint.close()


def messaging_cfg(tmp_path, monkeypatch, endpoint, smtp_port, dead_port):
    monkeypatch.setenv("LOA_TEST_SMS_TOKEN", TOKEN)
    base = f"json://127.0.0.1:{endpoint.port}"
    folder = write_config(
        tmp_path / "config",
        feeds=[],
        messaging=[
            {
                "name": "sms-hong-viet",
                "kind": "sms",
                "url": base + "/sms?+X-Token=${LOA_TEST_SMS_TOKEN}",
                "areas": ["cao-bang/nam-tuan"],
                "priorities": ["emergency"],
            },
            {
                "name": "sms-khong-dau",
                "kind": "sms",
                "url": base + "/sms-ascii",
                "areas": ["cao-bang"],
                "segments": 2,
                "unaccented": True,
            },
            {"name": "zalo-hoa-an", "kind": "chat", "url": base + "/chat", "areas": ["cao-bang"]},
            {
                "name": "email-ubnd",
                "kind": "email",
                "areas": ["cao-bang"],
                "url": f"mailto://127.0.0.1:{smtp_port}?from=loa@caobang.gov.vn&to=vanthu@hongviet.caobang.gov.vn&mode=insecure",
            },
            {
                "name": "sms-tam-mat",
                "kind": "sms",
                "url": f"json://127.0.0.1:{dead_port}/sms",
                "areas": ["cao-bang/nam-tuan"],
                "attempts": 2,
            },
            {"name": "bi-tu-choi", "kind": "chat", "url": base + "/forbidden", "areas": ["cao-bang"]},
            {"name": "sms-hop-giang", "kind": "sms", "url": base + "/other", "areas": ["cao-bang/thuc-phan"]},
        ],
    )
    return load_config(Env(home=tmp_path / "home", config_dir=folder))


def test_each_destination_once_unreachable_retried_never_doubled(tmp_path, monkeypatch, loopback, sqlite_store):
    endpoint, mailbox, smtp_port = loopback
    dead_port = free_port()
    cfg = messaging_cfg(tmp_path, monkeypatch, endpoint, smtp_port, dead_port)
    store, waits = sqlite_store, []
    channel = Messaging(cfg, store, sleep=waits.append)
    assert TOKEN not in json.dumps(channel.describe()) and "***" in json.dumps(channel.describe())

    change = store.record_entry(FEED, entry(), CLS)
    n = store.draft_notice(
        change.document_version_id, areas=["cao-bang/nam-tuan"], priority=Priority.EMERGENCY, variants={"website": TEXT}
    )
    store.transition(n.id, "approve", "Nông Thị Hoa")
    report = dispatch_notice(store, {"messaging": channel}, n.id)
    by_target = {r.target: r for r in report.results}
    assert set(by_target) == {
        "sms-hong-viet",
        "sms-khong-dau",
        "zalo-hoa-an",
        "email-ubnd",
        "sms-tam-mat",
        "bi-tu-choi",
    }  # not sms-hop-giang: another area
    assert not by_target["sms-tam-mat"].ok and by_target["sms-tam-mat"].transient and waits == [0.5]
    assert not by_target["bi-tu-choi"].ok and not by_target["bi-tu-choi"].transient
    assert "403" in by_target["bi-tu-choi"].detail
    assert report.state == "partially_published"

    paths = [p for p, _, _ in endpoint.received]
    assert sorted(paths) == ["/chat", "/sms", "/sms-ascii"]
    got = {p: (token, body) for p, token, body in endpoint.received}
    url = f"{cfg.site_url}/notices/{n.id}.html"
    token, sms = got["/sms"]
    assert token == TOKEN  # the secret came from the environment, in a header, never in the URL
    assert sms["message"].startswith("[KHẨN CẤP] Cảnh báo lũ quét") and sms["message"].endswith(" " + url)
    assert sms_units(sms["message"])[0] == "UCS-2" and sms_segments(sms["message"]) == 1
    ascii_sms = got["/sms-ascii"][1]["message"]
    assert ascii_sms.startswith("[KHAN CAP] Canh bao lu quet, sat lo dat tai xa Hong Viet")
    assert sms_units(ascii_sms)[0] == "GSM-7" and sms_segments(ascii_sms) <= 2
    chat = got["/chat"][1]
    assert chat["title"] == f"[KHẨN CẤP] {TITLE}"
    assert "Bó Mạ, Nà Rị" in chat["message"] and chat["message"].endswith(f"Xem chi tiết: {url}")
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["Subject"] == f"[KHẨN CẤP] {TITLE}" and mail["To"] == "vanthu@hongviet.caobang.gov.vn"
    assert url in mail.get_body(("plain",)).get_content()

    # the gateway comes back: the next run sends to it alone; nobody else is sent twice
    revived = Endpoint(dead_port)
    try:
        report = dispatch_notice(store, {"messaging": channel}, n.id)
        assert {r.target: r.ok for r in report.results} == {"sms-tam-mat": True, "bi-tu-choi": False}
        assert [p for p, _, _ in revived.received] == ["/sms"]
        assert len(endpoint.received) == 3 and len(mailbox.messages) == 1
        rows = {d.target: d for d in store.deliveries(n.id, channel="messaging")}
        assert rows["sms-tam-mat"].status == DeliveryStatus.DELIVERED.value and rows["sms-tam-mat"].attempts == 2
    finally:
        revived.close()

    # withdrawal: every destination that had the notice hears it was withdrawn, once
    store.transition(n.id, "withdraw", "Nông Thị Hoa")
    withdraw_notice(store, {"messaging": channel}, n.id)
    withdraw_notice(store, {"messaging": channel}, n.id)
    withdrawn = [(p, b) for p, _, b in endpoint.received[3:]]
    assert sorted(p for p, _ in withdrawn) == ["/chat", "/sms", "/sms-ascii"]
    assert dict(withdrawn)["/sms"]["message"].startswith("[THU HỒI] ")
    assert dict(withdrawn)["/chat"]["message"].startswith("Thông báo này đã bị thu hồi.")
    assert len(mailbox.messages) == 2 and mailbox.messages[1]["Subject"].startswith("[THU HỒI] ")
