"""The desk over HTTP (Loa's whole web app through FastAPI's TestClient): every rule, and that a refused
request changes nothing in the store or on disk."""

import re
import subprocess
import time
from datetime import UTC, timedelta
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from loa.app.web import create_app
from loa.errors import InvalidTransition
from loa.model import Classification, DocumentMeta, NoticeState, Priority
from loa.publishing.dispatch import dispatch_notice
from loa.render import Renderer
from loa.store import Store, users
from loa.store.desk import history as desk_history
from loa.store.schema import Base, DeskSessionRow, LoginAttemptRow, utcnow
from tests.prefect_server import api_post, shared_prefect_api  # noqa: F401
from tests.unit.test_store import FEED, entry

pytestmark = [pytest.mark.integration, pytest.mark.runs_long(70)]

PASSWORD = "mật khẩu đủ dài 2026"
EDITOR, APPROVER, ADMIN = "Lý Văn Tùng", "Nông Thị Hoa", "Hoàng Văn Minh"
SCRIPT_TITLE = 'Kế hoạch <script>alert("x")</script> cải cách hành chính'


def draft(cfg, store, i=1, title="Kế hoạch cải cách hành chính năm 2026 của xã Nam Tuấn", summary=None):
    meta = DocumentMeta(number=f"{i}627/KH-UBND", doc_type="Kế hoạch", issuer="UBND tỉnh Cao Bằng")
    summary = summary or "<p>Ủy ban nhân dân xã thông báo kế hoạch cải cách hành chính, thủ tục một cửa.</p>"
    cls = Classification(
        True, 5.5, ('từ khóa "cải cách hành chính" (+3.0)', 'từ khóa "một cửa" (+1.5)'), ("procedures",), meta
    )
    change = store.record_entry(FEED, entry(title=title, summary=summary, ident=f"urn:doc:{i}"), cls)
    variants = Renderer(board_max_chars=cfg.board_max_chars).variants(
        title=title,
        summary_html=summary,
        meta=meta,
        source_url="https://example.gov.vn/1",
        area_names=["tỉnh Cao Bằng"],
    )
    return store.draft_notice(change.document_version_id, areas=["cao-bang"], variants=variants)


class Desk:
    def __init__(self, cfg, store, app):
        self.cfg, self.store, self.app = cfg, store, app

    def client(self, base_url="http://testserver") -> TestClient:
        return TestClient(self.app, base_url=base_url, follow_redirects=False)

    def login(self, name: str, password: str = PASSWORD, client: TestClient | None = None) -> TestClient:
        c = client or self.client()
        page = c.get("/desk/login")
        token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
        r = c.post("/desk/login", data={"name": name, "password": password, "login_token": token, "next": "/desk/"})
        assert r.status_code == 303, r.text
        return c

    @staticmethod
    def csrf(c: TestClient) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', c.get("/desk/account").text).group(1)

    def snapshot(self) -> dict:
        """Every row of every table (sessions and login attempts aside) and every file under LOA_HOME."""
        rows = {}
        with self.store.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name not in ("desk_sessions", "login_attempts"):
                    rows[table.name] = sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
        files = sorted(
            str(p.relative_to(self.cfg.home)) for p in self.cfg.home.rglob("*") if p.is_file() and "site" not in p.parts
        )
        return {"rows": rows, "files": files}


@pytest.fixture(autouse=True)
def no_prefect(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)  # approvals are recorded; nothing is announced
    monkeypatch.setattr(users, "SCRYPT_PARAMS", (2**10, 8, 1))  # fast hashes (test_desk_users checks the real ones)


@pytest.fixture
def desk(cfg):
    store = Store.open(cfg.database_url)
    users.add_user(store, EDITOR, "editor", PASSWORD)
    users.add_user(store, APPROVER, "approver", PASSWORD)
    users.add_user(store, ADMIN, "admin", PASSWORD)
    d = Desk(cfg, store, create_app(cfg))
    d.draft = draft(cfg, store, 1)
    d.live = draft(cfg, store, 2, title="Thông báo đã đăng về một cửa")
    store.transition(d.live.id, "approve", APPROVER)
    return d


def tiny_mp3(path):
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=1.5",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
            str(path),
        ],
        check=True,
    )
    return path


# Every state-changing request of the desk: (name, path, form, role needed). {d}: the draft, {l}: the live notice.
CHANGES = [
    ("edit board text", "/desk/notices/{d}/v1/variants/boards", {"body": "Bảng tin đã sửa"}, "editor"),
    ("priority and areas", "/desk/notices/{d}/v1/settings", {"priority": "emergency", "areas": "cao-bang"}, "editor"),
    ("schedule", "/desk/notices/{d}/v1/schedule", {"publish_at": "2030-01-01T08:00"}, "approver"),
    (
        "cap fields",
        "/desk/notices/{d}/v1/cap",
        {"disaster_level": "3", "alert_status": "exercise", "instruction": "Sơ tán"},
        "editor",
    ),
    ("regenerate audio", "/desk/notices/{d}/v1/audio", {}, "editor"),
    ("upload recording", "/desk/notices/{d}/v1/recordings", {"language": "tay"}, "editor"),
    ("approve", "/desk/notices/{d}/approve", {"version": "1"}, "approver"),
    ("reject", "/desk/notices/{d}/reject", {"version": "1", "reason": "trùng nội dung"}, "approver"),
    ("withdraw", "/desk/notices/{l}/withdraw", {"version": "1", "reason": "hết hiệu lực"}, "approver"),
    (
        "add account",
        "/desk/users",
        {"name": "Bế Thị Lan", "role": "admin", "password": "một mật khẩu dài", "again": "một mật khẩu dài"},
        "admin",
    ),
    ("change role", "/desk/users/role", {"name": EDITOR, "role": "admin"}, "admin"),
    ("reset password", "/desk/users/password", {"name": EDITOR, "password": "một mật khẩu dài"}, "admin"),
    ("lock account", "/desk/users/disabled", {"name": EDITOR, "disabled": "1"}, "admin"),
    (
        "own password",
        "/desk/account/password",
        {"current": PASSWORD, "new": "một mật khẩu dài", "again": "một mật khẩu dài"},
        "editor",
    ),
    ("log out", "/desk/logout", {}, "editor"),
]
IDS = [c[0] for c in CHANGES]
BELOW = {"approver": EDITOR, "admin": APPROVER}
WHO = {"editor": EDITOR, "approver": APPROVER, "admin": ADMIN}


def send(desk, client, change, csrf):
    name, path, form, role = change
    path = path.format(d=desk.draft.id, l=desk.live.id)
    data = dict(form) | ({"csrf": csrf} if csrf is not None else {})
    if name == "upload recording":
        mp3 = (
            tiny_mp3(desk.cfg.home.parent / "tiny.mp3")
            if not (desk.cfg.home.parent / "tiny.mp3").exists()
            else desk.cfg.home.parent / "tiny.mp3"
        )
        return client.post(path, data=data, files={"file": ("ghi-am.mp3", mp3.read_bytes(), "audio/mpeg")})
    return client.post(path, data=data)


@pytest.mark.parametrize("change", CHANGES, ids=IDS)
def test_refused_without_a_live_session_a_valid_token_and_the_role_and_nothing_changes(desk, change):
    """Unauthenticated, expired / idle / logged-out session, missing / wrong / another session's CSRF token,
    wrong role: each is refused before the handler runs, and no row or file changes."""
    role = change[3]
    before = desk.snapshot()

    def refused(client, csrf, status, says):
        r = send(desk, client, change, csrf)
        assert (r.status_code, says in r.text) == (status, True), r.text
        assert desk.snapshot() == before

    refused(desk.client(), "x" * 43, 401, "đăng nhập")
    for ended in (
        dict(expires_at=utcnow() - timedelta(seconds=1)),
        dict(last_seen_at=utcnow() - users.SESSION_IDLE - timedelta(seconds=1)),
        dict(ended_at=utcnow()),
    ):
        c = desk.login(WHO[role])
        csrf = desk.csrf(c)
        with desk.store.session() as s:
            s.execute(update(DeskSessionRow).values(**ended))
        refused(c, csrf, 401, "đăng nhập")
        assert c.get("/desk/").status_code == 303  # pages send it to the login page

    c, other = desk.login(WHO[role]), desk.login(WHO[role])
    for csrf in (None, desk.csrf(c)[:-2] + "xy", desk.csrf(other)):
        refused(c, csrf, 403, "CSRF")
    if role in BELOW:
        below = desk.login(BELOW[role])
        refused(below, desk.csrf(below), 403, "không có quyền")


@pytest.mark.parametrize("change", CHANGES, ids=IDS)
def test_the_right_role_with_its_token_changes_something(desk, change):
    """The other side of the refusals: the same request, done right, is accepted and recorded."""
    c = desk.login(WHO[change[3]])
    before = desk.snapshot()
    r = send(desk, c, change, desk.csrf(c))
    assert r.status_code == 303, r.text
    if change[0] == "log out":
        assert c.get("/desk/").status_code == 303
    else:
        assert desk.snapshot() != before


def test_cookies(desk):
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        c = desk.client(base)
        r = c.get("/desk/login")
        login_cookie = r.headers["set-cookie"]
        assert "HttpOnly" in login_cookie and "Path=/desk" in login_cookie and "SameSite=strict" in login_cookie
        token = re.search(r'name="login_token" value="([^"]+)"', r.text).group(1)
        r = c.post("/desk/login", data={"name": EDITOR, "password": PASSWORD, "login_token": token})
        assert r.status_code == 303
        cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("loa_desk="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/desk" in cookie
        # Secure over https; not on plain http (loopback), where a Secure cookie would never come back
        assert ("; Secure" in cookie) == secure and ("; Secure" in login_cookie) == secure
        assert c.get("/desk/").status_code == 200


def test_login_needs_its_own_token_and_is_rate_limited(desk):
    c = desk.client()
    c.get("/desk/login")
    assert c.post("/desk/login", data={"name": EDITOR, "password": PASSWORD}).status_code == 403
    page = c.get("/desk/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)

    def attempt(password):
        return c.post("/desk/login", data={"name": EDITOR, "password": password, "login_token": token})

    for _ in range(users.MAX_FAILURES_PER_NAME):
        r = attempt("sai mật khẩu")
        assert r.status_code == 401 and "không đúng" in r.text
    r = attempt(PASSWORD)  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and "quá nhiều lần" in r.text
    assert "loa_desk=" not in r.headers.get("set-cookie", "")
    with desk.store.session() as s:
        assert len(s.scalars(select(LoginAttemptRow)).all()) == users.MAX_FAILURES_PER_NAME
    desk.login(APPROVER)  # other accounts are not locked out by it


def test_login_only_sends_you_back_into_the_desk(desk):
    c = desk.client()
    token = re.search(r'name="login_token" value="([^"]+)"', c.get("/desk/login").text).group(1)
    for target, expected in (
        ("https://evil.example/", "/desk/"),
        ("//evil.example/desk/", "/desk/"),
        ("/desk/notices/1?v=1", "/desk/notices/1?v=1"),
    ):
        c.cookies.clear()
        c.cookies.set("loa_desk_login", token, path="/desk")
        r = c.post("/desk/login", data={"name": EDITOR, "password": PASSWORD, "login_token": token, "next": target})
        assert r.headers["location"] == expected


def test_pages_need_a_login_and_admin_pages_an_admin(desk):
    c = desk.client()
    r = c.get(f"/desk/notices/{desk.draft.id}?v=1")
    assert r.status_code == 303 and r.headers["location"] == f"/desk/login?next=/desk/notices/{desk.draft.id}%3Fv%3D1"
    for path in ("/desk/", f"/desk/preview-site/notices/{desk.draft.id}.html", "/desk/users", "/desk/account"):
        assert c.get(path).status_code == 303
    assert c.get("/desk").status_code == 308  # /desk → /desk/
    editor = desk.login(EDITOR)
    assert editor.get("/desk/users").status_code == 403
    assert desk.login(ADMIN).get("/desk/users").status_code == 200


def test_security_headers(desk):
    c = desk.login(EDITOR)
    r = c.get("/desk/")
    assert (
        "script-src 'self'" in r.headers["content-security-policy"]
        and "frame-ancestors 'self'" in r.headers["content-security-policy"]
    )
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"
    preview = c.get(f"/desk/preview-site/notices/{desk.draft.id}.html?v=1")
    assert "default-src 'none'" in preview.headers["content-security-policy"]  # no script at all in previews


def test_queue_lists_filters_searches_and_counts(desk):
    for i in range(3, 60):
        draft(desk.cfg, desk.store, i, title=f"Thông báo thủ tục số {i}")
    draft(desk.cfg, desk.store, 99, title=SCRIPT_TITLE)
    c = desk.login(EDITOR)
    page = c.get("/desk/")
    assert page.status_code == 200
    assert "<strong>59</strong> chờ duyệt" in page.text and "60 thông báo" in page.text
    assert '<script>alert("x")</script>' not in page.text and "&lt;script&gt;" in page.text
    assert 'href="/desk/?page=2" rel="next"' in page.text
    second = c.get("/desk/?page=2")
    assert "trang 2/2" in second.text and "Thông báo thủ tục số 3<" in second.text
    found = c.get("/desk/", params={"q": "ke hoach cai cach hanh chinh nam 2026"})
    assert "1 thông báo" in found.text and f'/desk/notices/{desk.draft.id}?v=1"' in found.text
    published = c.get("/desk/", params={"state": "approved"})
    assert "1 thông báo" in published.text and "Thông báo đã đăng về một cửa" in published.text
    assert "0 thông báo" in c.get("/desk/", params={"priority": "emergency"}).text
    assert "60 thông báo" in c.get("/desk/", params={"area": "cao-bang/nam-tuan"}).text
    assert c.get("/desk/", params={"page": "abc", "state": "nonsense", "area": "../../etc"}).status_code == 200


def test_notice_page_shows_the_source_and_every_channel(desk):
    c = desk.login(EDITOR)
    page = c.get(f"/desk/notices/{desk.draft.id}").text
    assert "https://example.gov.vn/1" in page and "1627/KH-UBND" in page and "UBND tỉnh Cao Bằng" in page
    assert "từ khóa &#34;một cửa&#34; (+1.5)" in page  # why it was judged relevant
    assert "điểm liên quan 5.5" in page and "Cải cách thủ tục hành chính" in page
    for profile in desk.cfg.boards.profiles:
        assert profile.name in page
    assert "Kế hoạch số 1627/KH-UBND của UBND tỉnh Cao Bằng." in page  # the radio script: metadata as a sentence
    assert 'sandbox="allow-same-origin"' in page  # previews can never run script
    web = c.get(f"/desk/preview-site/notices/{desk.draft.id}.html?v=1")
    assert web.status_code == 200 and "Ủy ban nhân dân xã thông báo kế hoạch" in web.text
    assert c.get("/desk/preview-site/static/site.css").status_code == 200
    printed = c.get(f"/desk/notices/{desk.draft.id}/v1/preview/print")
    assert printed.status_code == 200 and "Bản tin cải cách hành chính" in printed.text


def test_every_image_and_stylesheet_of_the_website_preview_is_served(desk):
    """The preview is the site's own page served under /desk/preview-site/notices/: each relative resource it
    loads (the stylesheet, the QR code) must resolve there too; the QR code encodes the public page's URL."""
    c = desk.login(EDITOR)
    url = f"/desk/preview-site/notices/{desk.draft.id}.html?v=1"
    page = c.get(url).text
    tags = re.findall(r"<(?:img|script)\b[^>]*>|<link\b[^>]*\brel=\"(?:stylesheet|icon)\"[^>]*>", page)
    resources = [m.group(1) for t in tags if (m := re.search(r'\b(?:src|href)="([^"]+)"', t))]
    local = [urljoin(url, r) for r in resources if not r.startswith(("http:", "https:", "data:"))]
    assert any(u.endswith(f"/notices/{desk.draft.id}.qr.svg") for u in local), resources
    for u in local:
        assert c.get(u).status_code == 200, u
    qr = c.get(f"/desk/preview-site/notices/{desk.draft.id}.qr.svg")
    assert qr.headers["content-type"].startswith("image/svg+xml")
    assert f"<desc>{desk.cfg.site_url}/notices/{desk.draft.id}.html</desc>" in qr.text
    assert c.get("/desk/preview-site/notices/999999.qr.svg").status_code == 404
    assert c.get("/desk/preview-site/notices/x.qr.svg").status_code == 404


def test_edit_is_sanitised_diffed_and_shown_in_the_history(desk):
    c = desk.login(EDITOR)
    page = c.get(f"/desk/notices/{desk.draft.id}").text
    base = re.search(
        r'action="/desk/notices/\d+/v1/variants/website".*?name="base" value="([0-9a-f]+)"', page, re.S
    ).group(1)
    r = c.post(
        f"/desk/notices/{desk.draft.id}/v1/variants/website",
        data={
            "csrf": desk.csrf(c),
            "base": base,
            "body": '<p>Bà con xã Nam Tuấn chú ý <img src=x onerror="alert(1)"><a href="javascript:alert(2)">đây</a></p>',
        },
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=saved")
    stored = desk.store.notice(desk.draft.id).variants["website"]
    assert "onerror" not in stored and "javascript:" not in stored and "Bà con xã Nam Tuấn chú ý" in stored
    page = c.get(r.headers["location"]).text
    assert "Đã lưu." in page and "Sửa bài trang web" in page and EDITOR in page
    assert "<ins>" in page and "+&lt;p&gt;Bà con xã Nam Tuấn" in page  # word diff and unified diff
    # a second editor working from the old text is told, and keeps their text
    stale = c.post(
        f"/desk/notices/{desk.draft.id}/v1/variants/website",
        data={"csrf": desk.csrf(c), "base": base, "body": "<p>bản cũ của tôi</p>"},
    )
    assert stale.status_code == 409 and "bản cũ của tôi" in stale.text
    assert desk.store.notice(desk.draft.id).variants["website"] == stored


def test_settings_schedule_and_their_validation(desk):
    c = desk.login(APPROVER)
    url = f"/desk/notices/{desk.draft.id}/v1"
    r = c.post(
        f"{url}/settings",
        data={"csrf": desk.csrf(c), "priority": "priority", "areas": ["cao-bang/nam-tuan", "cao-bang/ha-quang"]},
    )
    assert r.status_code == 303
    n = desk.store.notice(desk.draft.id)
    assert n.priority == Priority.PRIORITY and n.areas == ["cao-bang/ha-quang", "cao-bang/nam-tuan"]
    # the picker lists the province and communes with their codes and the groupings; no district
    page = c.get(url.rsplit("/v1", 1)[0]).text
    assert "xã Nam Tuấn (1660)" in page and 'name="groupings" value="khu-vuc-hoa-an"' in page
    picker = page.split("Địa bàn nhận thông báo", 1)[1].split("</fieldset>", 1)[0]
    assert picker.count('name="areas"') == 13 and "chọn huyện" not in picker  # the province and its 12 communes
    # a grouping is saved as its communes
    r = c.post(
        f"{url}/settings",
        data={
            "csrf": desk.csrf(c),
            "priority": "priority",
            "areas": ["cao-bang/ha-quang"],
            "groupings": ["khu-vuc-hoa-an"],
        },
    )
    assert r.status_code == 303
    assert desk.store.notice(desk.draft.id).areas == [
        "cao-bang/bach-dang",
        "cao-bang/ha-quang",
        "cao-bang/hoa-an",
        "cao-bang/nam-tuan",
        "cao-bang/nguyen-hue",
    ]
    assert (
        c.post(f"{url}/settings", data={"csrf": desk.csrf(c), "priority": "urgent", "areas": "cao-bang"}).status_code
        == 400
    )
    assert (
        c.post(
            f"{url}/settings", data={"csrf": desk.csrf(c), "priority": "normal", "areas": "cao-bang/hoa-an/hong-viet"}
        ).status_code
        == 400
    )
    assert (
        c.post(f"{url}/settings", data={"csrf": desk.csrf(c), "priority": "normal", "areas": "ha-noi"}).status_code
        == 400
    )
    assert c.post(f"{url}/settings", data={"csrf": desk.csrf(c), "priority": "normal"}).status_code == 400
    r = c.post(
        f"{url}/schedule",
        data={"csrf": desk.csrf(c), "publish_at": "2030-01-01T08:00", "expires_at": "2030-02-01T08:00"},
    )
    assert r.status_code == 303
    n = desk.store.notice(desk.draft.id)
    assert n.publish_at.isoformat() == "2030-01-01T01:00:00+00:00"  # typed in Việt Nam time (UTC+7)
    bad = c.post(
        f"{url}/schedule",
        data={"csrf": desk.csrf(c), "publish_at": "2030-01-01T08:00", "expires_at": "2029-01-01T08:00"},
    )
    assert bad.status_code == 400 and "Hạn hiệu lực phải sau giờ đăng" in bad.text
    assert c.post(f"{url}/schedule", data={"csrf": desk.csrf(c), "publish_at": "ngày mai"}).status_code == 400
    assert desk.store.notice(desk.draft.id).expires_at.isoformat() == "2030-02-01T01:00:00+00:00"


def test_cap_fields_and_a_draft_from_a_cap_alert(desk):
    from datetime import datetime

    from loa.config import Feed
    from loa.ingest.cap_feed import ingest_cap_feed
    from tests.integration.test_cap_in import DATA

    c = desk.login(EDITOR)
    url = f"/desk/notices/{desk.draft.id}/v1"
    assert "Cảnh báo CAP" not in c.get(f"/desk/notices/{desk.draft.id}").text  # a normal notice is no CAP alert
    c.post(f"{url}/settings", data={"csrf": desk.csrf(c), "priority": "emergency", "areas": "cao-bang"})
    assert 'name="disaster_level"' in c.get(f"/desk/notices/{desk.draft.id}").text
    r = c.post(
        f"{url}/cap",
        data={
            "csrf": desk.csrf(c),
            "disaster_level": "4",
            "alert_status": "exercise",
            "instruction": "Người dân tránh xa bờ suối",
        },
    )
    assert r.status_code == 303
    n = desk.store.notice(desk.draft.id)
    assert (n.disaster_level, n.alert_status, n.instruction) == (4, "exercise", "Người dân tránh xa bờ suối")
    assert c.post(f"{url}/cap", data={"csrf": desk.csrf(c), "disaster_level": "6"}).status_code == 400
    assert c.post(f"{url}/cap", data={"csrf": desk.csrf(c), "alert_status": "drill"}).status_code == 400

    feed = Feed((DATA / "be-trieu-alert.xml").as_uri(), "Kiểm lâm", "cao-bang", kind="cap")
    report = ingest_cap_feed(desk.store, desk.cfg, feed, now=datetime(2026, 12, 2, 3, tzinfo=UTC))
    page = c.get(f"/desk/notices/{report.drafted[0]}").text
    assert "Từ cảnh báo CAP" in page and "vn.caobang.pccc.2026-12-02.07" in page
    assert "&lt;headline&gt;Cảnh báo nguy cơ cháy rừng cấp IV tại xã Bế Triều&lt;/headline&gt;" in page


def test_approve_without_prefect_is_recorded_and_embargo_holds(desk):
    c = desk.login(APPROVER)
    c.post(f"/desk/notices/{desk.draft.id}/v1/schedule", data={"csrf": desk.csrf(c), "publish_at": "2030-01-01T08:00"})
    page = c.get(f"/desk/notices/{desk.draft.id}").text
    assert "hẹn phát lúc <strong>01/01/2030 08:00</strong>" in page
    r = c.post(f"/desk/notices/{desk.draft.id}/approve", data={"csrf": desk.csrf(c), "version": "1"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=approved-offline")
    n = desk.store.notice(desk.draft.id)
    assert n.state == NoticeState.APPROVED and n.approved_by == APPROVER
    assert "chưa phát hành" in c.get(r.headers["location"]).text
    from channels.catalogue import build_channels

    with pytest.raises(InvalidTransition, match="embargoed"):
        dispatch_notice(desk.store, build_channels(desk.cfg, desk.store, ["website"]), n.id)
    # approving again, or an old page's version, is refused with a reason
    again = c.post(f"/desk/notices/{desk.draft.id}/approve", data={"csrf": desk.csrf(c), "version": "1"})
    assert again.status_code == 409 and "it is approved, and only drafted versions can be approved" in again.text


def test_emergency_is_marked_everywhere_in_the_desk(desk):
    c = desk.login(APPROVER)
    c.post(
        f"/desk/notices/{desk.draft.id}/v1/settings",
        data={"csrf": desk.csrf(c), "priority": "emergency", "areas": "cao-bang"},
    )
    queue = c.get("/desk/").text
    assert "1 thông báo KHẨN CẤP đang chờ duyệt" in queue and 'class="priority-emergency"' in queue
    page = c.get(f"/desk/notices/{desk.draft.id}").text
    assert "THÔNG BÁO KHẨN CẤP" in page and "Duyệt và phát ngay" in page and 'class="board-flag">KHẨN CẤP' in page


def test_reject_needs_a_reason_and_withdraw_works(desk):
    c = desk.login(APPROVER)
    r = c.post(f"/desk/notices/{desk.draft.id}/reject", data={"csrf": desk.csrf(c), "version": "1", "reason": " "})
    assert r.status_code == 400 and desk.store.notice(desk.draft.id).state == NoticeState.DRAFTED
    r = c.post(
        f"/desk/notices/{desk.draft.id}/reject", data={"csrf": desk.csrf(c), "version": "1", "reason": "trùng nội dung"}
    )
    assert r.status_code == 303 and desk.store.notice(desk.draft.id).state == NoticeState.REJECTED
    r = c.post(f"/desk/notices/{desk.live.id}/withdraw", data={"csrf": desk.csrf(c), "version": "1"})
    assert r.status_code == 303 and desk.store.notice(desk.live.id).state == NoticeState.WITHDRAWN
    history = [(a.action, a.actor, a.reason) for a in desk.store.actions(desk.draft.id)]
    assert history[-1] == ("reject", APPROVER, "trùng nội dung")


def test_audio_regenerated_from_the_edited_script_is_private(desk):
    c = desk.login(EDITOR)
    url = f"/desk/notices/{desk.draft.id}/v1"
    c.post(f"{url}/variants/radio", data={"csrf": desk.csrf(c), "body": "Kính thưa bà con. Đây là bản đọc thử."})
    r = c.post(f"{url}/audio", data={"csrf": desk.csrf(c)})
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    src = re.search(r'<audio controls preload="none" src="(/desk/notices/\d+/v1/audio/[^"]+\.mp3)"', page).group(1)
    assert re.search(r"dài <strong>\d+ giây</strong>", page)
    audio = c.get(src)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg" and len(audio.content) > 1000
    assert desk.client().get(src).status_code == 303  # not without a login
    assert not (desk.cfg.home / "radio" / "audio").exists() or not any((desk.cfg.home / "radio" / "audio").iterdir())
    c.post(f"{url}/variants/radio", data={"csrf": desk.csrf(c), "body": "Kịch bản mới."})
    assert "Chưa có bản nghe thử" in c.get(f"/desk/notices/{desk.draft.id}").text  # stale audio is never offered


def test_recording_upload_is_validated_with_ffprobe_and_kept(desk, tmp_path):
    c = desk.login(EDITOR)
    url = f"/desk/notices/{desk.draft.id}/v1/recordings"
    before = desk.snapshot()
    bad = c.post(
        url,
        data={"csrf": desk.csrf(c), "language": "tay"},
        files={"file": ("ghi-am.mp3", b"not audio at all" * 100, "audio/mpeg")},
    )
    assert bad.status_code == 400 and "không phải là âm thanh" in bad.text
    wrong_lang = c.post(
        url,
        data={"csrf": desk.csrf(c), "language": "fr"},
        files={"file": ("a.mp3", tiny_mp3(tmp_path / "a.mp3").read_bytes(), "audio/mpeg")},
    )
    assert wrong_lang.status_code == 400
    assert desk.snapshot() == before
    r = c.post(
        url,
        data={"csrf": desk.csrf(c), "language": "tay"},
        files={"file": ("ghi-am.mp3", (tmp_path / "a.mp3").read_bytes(), "audio/mpeg")},
    )
    assert r.status_code == 303
    kept = desk.cfg.home / "radio" / "recordings" / str(desk.draft.id) / "v1-tay.mp3"
    assert kept.read_bytes() == (tmp_path / "a.mp3").read_bytes()
    page = c.get(r.headers["location"]).text
    assert "Tiếng Tày — 2 giây" in page and "Tải bản ghi âm (tay)" in page
    # a second upload replaces it; the first is kept aside, never deleted
    c.post(
        url,
        data={"csrf": desk.csrf(c), "language": "tay"},
        files={"file": ("lan-2.mp3", (tmp_path / "a.mp3").read_bytes() + b"", "audio/mpeg")},
    )
    assert len(list((kept.parent / "replaced").iterdir())) == 1 and kept.exists()
    assert c.get(f"/desk/notices/{desk.draft.id}/v1/recordings/tay").status_code == 200


def test_accounts_page(desk):
    c = desk.login(ADMIN)
    r = c.post(
        "/desk/users",
        data={"csrf": desk.csrf(c), "name": "Bế Thị Lan", "role": "editor", "password": "ngắn", "again": "ngắn"},
    )
    assert r.status_code == 400 and "quá ngắn" in r.text
    r = c.post("/desk/users/disabled", data={"csrf": desk.csrf(c), "name": ADMIN, "disabled": "1"})
    assert r.status_code == 400 and "chính mình" in r.text
    r = c.post("/desk/users/disabled", data={"csrf": desk.csrf(c), "name": EDITOR, "disabled": "1"})
    assert r.status_code == 303 and users.user(desk.store, EDITOR).disabled
    page = c.get("/desk/users?done=disabled").text
    assert "Đã khóa tài khoản." in page and EDITOR in page  # locked, still listed
    assert desk.client().post("/desk/login").status_code == 403  # (no login token)


@pytest.fixture(scope="module")
def prefect_api(shared_prefect_api):  # noqa: F811
    """The run's Prefect server (tests/prefect_server.py) with a `dispatch/dispatch` deployment made over REST,
    standing in for the one `loa run` serves: enough to see what the desk asks of Prefect. Other modules
    use the server (and this deployment: creating it again changes nothing) at the same time."""
    flow = api_post(f"{shared_prefect_api}/flows/", {"name": "dispatch"})
    api_post(f"{shared_prefect_api}/deployments/", {"name": "dispatch", "flow_id": flow["id"]})
    return shared_prefect_api


def test_approval_tells_prefect_now_or_schedules_the_dispatch_at_publish_at(desk, prefect_api, monkeypatch):
    import requests

    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    c = desk.login(APPROVER)
    # an embargoed notice: a dispatch run in state Scheduled just after publish_at, no approval event
    # (a publish_at of its own: Prefect would hand a test with the same notice id and time the same run)
    c.post(f"/desk/notices/{desk.draft.id}/v1/schedule", data={"csrf": desk.csrf(c), "publish_at": "2030-01-02T08:00"})
    r = c.post(f"/desk/notices/{desk.draft.id}/approve", data={"csrf": desk.csrf(c), "version": "1"})
    assert r.headers["location"].endswith("done=approved-scheduled")
    run_id = next(h.after for h in desk_history(desk.store, desk.draft.id) if h.action == "schedule")
    run = requests.get(f"{prefect_api}/flow_runs/{run_id}", timeout=10).json()
    assert run["state_type"] == "SCHEDULED" and run["parameters"] == {"notice_id": f"loa.notice.{desk.draft.id}"}
    assert run["state"]["state_details"]["scheduled_time"] == "2030-01-02T01:00:02Z"  # 08:00 ICT, +2 s margin
    # withdrawing it before then cancels the run
    c.post(f"/desk/notices/{desk.draft.id}/withdraw", data={"csrf": desk.csrf(c), "version": "1"})
    assert requests.get(f"{prefect_api}/flow_runs/{run_id}", timeout=10).json()["state_type"] == "CANCELLED"

    # an emergency with a future publish_at still goes out at once: loa.notice.approved, as `loa approve` posts it
    n = draft(desk.cfg, desk.store, 7, title="Cảnh báo lũ quét khẩn cấp")
    c.post(
        f"/desk/notices/{n.id}/v1/settings", data={"csrf": desk.csrf(c), "priority": "emergency", "areas": "cao-bang"}
    )
    c.post(f"/desk/notices/{n.id}/v1/schedule", data={"csrf": desk.csrf(c), "publish_at": "2030-01-01T08:00"})
    r = c.post(f"/desk/notices/{n.id}/approve", data={"csrf": desk.csrf(c), "version": "1"})
    assert r.headers["location"].endswith("done=approved-dispatch")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = requests.post(
            f"{prefect_api}/events/filter",
            timeout=10,
            json={
                "filter": {  # this notice by its id and title: other tests' notices have the same ids
                    "event": {"name": ["loa.notice.approved"]},
                    "any_resource": {"id": [f"loa.notice.{n.id}"], "labels": {"prefect.resource.name": n.title}},
                }
            },
        ).json()
        if found.get("events"):
            break
        time.sleep(0.5)
    assert found["events"][0]["payload"] == {"version": 1, "by": APPROVER, "priority": "emergency"}


def test_delivery_details_are_vietnamese_without_server_paths(desk):
    """What the channels record (English, for logs and the CLI) reaches the editor translated, no paths."""
    from loa.model import DeliveryResult

    pdf = desk.cfg.home / "print" / "cao-bang" / "2026-W49.pdf"
    for result in (
        DeliveryResult(
            "radio",
            "xa-nam-tuan",
            True,
            f"stations/xa-nam-tuan.m3u8 (slot 2026-12-04 06:00, #1): plays notice-{desk.live.id}-v1-vi.mp3; "
            "not in tay: no human recording yet",
        ),
        DeliveryResult("print", "cao-bang", True, f"{pdf}: 1 notice(s), 2 page(s)"),
    ):
        desk.store.record_delivery(desk.live.id, 1, "publish", result)
    page = desk.login(EDITOR).get(f"/desk/notices/{desk.live.id}").text
    assert "chưa có bản thu giọng người đọc tiếng Tày" in page and "thứ tự 1" in page
    assert "bản tin 2026-W49.pdf: 1 thông báo, 2 trang" in page
    assert str(desk.cfg.home) not in page and "notice(s)" not in page and "plays " not in page
