"""The reference board page hands its password only to a broker the server allows (issue 17, item 8)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.integration.test_board_relay import WebServer

pytestmark = pytest.mark.browser


class Trap:
    """A TCP listener that records every connection (a foreign 'broker' harvesting passwords)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.received.append(conn.recv(65536) or b"(connected)")
            except OSError:
                self.received.append(b"(connected)")
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def test_a_link_to_a_foreign_broker_gets_no_password(broker_cfg, browser):
    trap = Trap()
    try:
        with WebServer(broker_cfg) as web:
            page = browser.new_page()
            blocked = []
            page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(
                f"{web.base}/board/?board=kiosk-1&area=cao-bang&broker=ws://127.0.0.1:{trap.port}/mqtt"
                f"#password=mat-khau-bi-mat"
            )
            page.wait_for_function("document.body.dataset.state === 'refused'", timeout=10_000)
            assert "không được Loa cho phép" in page.text_content("#connection")
            # and even a script that tried anyway would be stopped by the page's connect-src
            page.evaluate(f"() => {{ try {{ new WebSocket('ws://127.0.0.1:{trap.port}/x'); }} catch (e) {{}} }}")
            time.sleep(1.5)
            page.close()
    finally:
        trap.close()
    assert trap.received == []
    assert blocked  # the browser reported the refused connection
