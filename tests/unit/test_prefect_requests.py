"""The Prefect REST helper (loa.app.events.prefect_request) owns the HTTP library's errors: a server that
is gone, answers an error or answers something that is not its JSON is a PrefectApiError, and the
scheduler turns it into a failed announcement or a SchedulerError instead of a traceback."""

from __future__ import annotations

import http.server
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from loa.app.events import PrefectApiError, prefect_request
from loa.app.prefect_scheduler import PrefectScheduler
from loa.publishing.scheduler import SchedulerError
from tests.conftest import free_port, loopback_http


class _Answers(http.server.BaseHTTPRequestHandler):
    """/html answers 200 with a page (a proxy's, say), /boom 500, /events 204, /json 200 with JSON."""

    def do_GET(self):
        status, body = {"/html": (200, b"<html>proxy</html>"), "/json": (200, b'{"id": "d1"}')}.get(
            self.path, (500, b"boom")
        )
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204 if self.path.endswith("/events") else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    with loopback_http(_Answers) as url:
        yield url


def test_json_and_empty_answers_are_returned(server):
    assert prefect_request("GET", f"{server}/json") == {"id": "d1"}
    assert prefect_request("POST", f"{server}/api/events", json=[]) is None


@pytest.mark.parametrize("path", ["/boom", "/html"])
def test_an_error_status_or_a_page_that_is_not_json_is_a_prefect_api_error(server, path):
    with pytest.raises(PrefectApiError) as caught:
        prefect_request("GET", f"{server}{path}")
    assert str(caught.value)


def test_the_scheduler_reports_a_server_that_is_gone():
    gone = PrefectScheduler(f"http://127.0.0.1:{free_port()}/api")
    notice = SimpleNamespace(
        id=7, version=1, title="Thông báo", priority=SimpleNamespace(value="normal"), publish_at=None
    )
    told = gone.tell("loa.notice.approved", notice, {})
    assert told.kind == "failed" and gone.api in told.detail
    notice.publish_at = datetime.now(UTC) + timedelta(hours=1)
    assert gone.schedule_dispatch(notice, "Nông Thị Hoa").kind == "failed"
    with pytest.raises(SchedulerError, match="not cancelled"):
        gone.cancel("run-1", "rút lại")
