"""Desk accounts on SQLite and PostgreSQL: scrypt hashes, roles, sessions that expire, login rate limits."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from loa.errors import NotFound
from loa.store import users
from loa.store.schema import DeskSessionRow, LoginAttemptRow, UserRow, utcnow
from loa.store.users import UserError

PASSWORD = "mật khẩu đủ dài 2026"
FAST = (2**10, 8, 1)


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    """Cheap scrypt parameters for tests (our own seam); test_default_parameters checks the real ones."""
    monkeypatch.setattr(users, "SCRYPT_PARAMS", FAST)


def test_default_parameters_are_memory_hard_and_verify(monkeypatch):
    monkeypatch.setattr(users, "SCRYPT_PARAMS", (2**15, 8, 3))
    stored = users.hash_password(PASSWORD)
    kind, n, r, p, salt, digest = stored.split("$")
    assert (kind, int(n), int(r), int(p)) == ("scrypt", 2**15, 8, 3)  # 128·N·r = 32 MiB per hash
    assert users.verify_password(PASSWORD, stored) and not users.verify_password(PASSWORD + "x", stored)


def test_hashes_are_salted_per_user_and_never_hold_the_password():
    a, b = users.hash_password(PASSWORD), users.hash_password(PASSWORD)
    assert a != b and a.split("$")[4] != b.split("$")[4]
    assert PASSWORD not in a
    assert users.verify_password(PASSWORD, a) and users.verify_password(PASSWORD, b)
    # NFC: the same Vietnamese password typed with combining marks still matches
    import unicodedata

    assert users.verify_password(unicodedata.normalize("NFD", PASSWORD), a)
    assert not users.verify_password("sai", a) and not users.verify_password(PASSWORD, "garbage")


def test_accounts(store):
    hoa = users.add_user(store, "  Nông  Thị Hoa ", "approver", PASSWORD)
    assert hoa.name == "Nông Thị Hoa" and hoa.role == "approver"
    assert hoa.can("editor") and hoa.can("approver") and not hoa.can("admin")
    with pytest.raises(UserError, match="exists already"):
        users.add_user(store, "Nông Thị Hoa", "editor", PASSWORD)
    with pytest.raises(UserError, match="role 'boss' does not exist"):
        users.add_user(store, "Lý Văn Tùng", "boss", PASSWORD)
    with pytest.raises(UserError, match="too short"):
        users.add_user(store, "Lý Văn Tùng", "editor", "ngắn")
    with pytest.raises(UserError, match="must not be the account name"):
        users.add_user(store, "Lý Văn Tùng Nguyễn", "editor", "lý văn tùng nguyễn")
    with pytest.raises(NotFound):
        users.set_role(store, "không có ai", "admin")
    assert [u.name for u in users.users(store)] == ["Nông Thị Hoa"] and users.count_users(store) == 1


def test_authenticate(store):
    users.add_user(store, "Nông Thị Hoa", "editor", PASSWORD)
    assert users.authenticate(store, "Nông Thị Hoa", PASSWORD).name == "Nông Thị Hoa"
    assert users.authenticate(store, "Nông Thị Hoa", "sai mật khẩu rồi") is None
    assert users.authenticate(store, "Không Có Ai", PASSWORD) is None
    users.set_disabled(store, "Nông Thị Hoa", True)
    assert users.authenticate(store, "Nông Thị Hoa", PASSWORD) is None
    assert users.user(store, "Nông Thị Hoa").disabled  # disabled, never deleted


def test_weaker_hashes_are_upgraded_at_login(store, monkeypatch):
    users.add_user(store, "Nông Thị Hoa", "editor", PASSWORD)
    monkeypatch.setattr(users, "SCRYPT_PARAMS", (2**11, 8, 1))
    assert users.authenticate(store, "Nông Thị Hoa", PASSWORD)
    with store.session() as s:
        stored = s.query(UserRow).one().password_hash
    assert stored.startswith("scrypt$2048$8$1$") and users.verify_password(PASSWORD, stored)


def test_sessions_expire_end_and_follow_the_account(store):
    hoa = users.add_user(store, "Nông Thị Hoa", "approver", PASSWORD)
    token = users.start_session(store, hoa.id)
    sess = users.session_for(store, token)
    assert sess.user.name == "Nông Thị Hoa" and len(sess.csrf) >= 32
    assert users.session_for(store, token + "x") is None and users.session_for(store, None) is None
    with store.session() as s:  # only the hash of the token is stored
        assert s.query(DeskSessionRow).one().token_hash != token

    def age(**values):
        with store.session() as s:
            s.execute(update(DeskSessionRow).values(**values))

    age(expires_at=utcnow() - timedelta(seconds=1))
    assert users.session_for(store, token) is None  # absolute expiry
    age(expires_at=utcnow() + timedelta(hours=1), last_seen_at=utcnow() - users.SESSION_IDLE)
    assert users.session_for(store, token) is None  # idle too long
    age(last_seen_at=utcnow())
    assert users.session_for(store, token) is not None

    users.set_password(store, "Nông Thị Hoa", "một mật khẩu mới hơn")
    assert users.session_for(store, token) is None  # a reset ends every session
    token = users.start_session(store, hoa.id)
    users.set_role(store, "Nông Thị Hoa", "editor")
    assert users.session_for(store, token) is None  # new role from the next login
    token = users.start_session(store, hoa.id)
    users.set_disabled(store, "Nông Thị Hoa", True)
    assert users.session_for(store, token) is None
    users.set_disabled(store, "Nông Thị Hoa", False)
    token = users.start_session(store, hoa.id)
    users.end_session(store, token)
    assert users.session_for(store, token) is None


def test_login_rate_limit_by_name_and_by_address(store, monkeypatch):
    for _ in range(users.MAX_FAILURES_PER_NAME - 1):
        users.record_login_attempt(store, "Nông Thị Hoa", "10.0.0.1", ok=False)
    users.record_login_attempt(store, "Nông Thị Hoa", "10.0.0.1", ok=True)  # successes do not count
    assert users.login_blocked_for(store, "Nông Thị Hoa", "10.0.0.9") is None
    users.record_login_attempt(store, "Nông Thị Hoa", "10.0.0.2", ok=False)
    wait = users.login_blocked_for(store, "Nông Thị Hoa", "10.0.0.9")
    assert timedelta(0) < wait <= users.LOGIN_WINDOW
    assert users.login_blocked_for(store, "Lý Văn Tùng", "10.0.0.9") is None

    for i in range(users.MAX_FAILURES_PER_REMOTE):  # one address guessing many names
        users.record_login_attempt(store, f"người {i}", "10.0.0.7", ok=False)
    assert users.login_blocked_for(store, "Lý Văn Tùng", "10.0.0.7") is not None

    with store.session() as s:  # the window passes
        s.execute(update(LoginAttemptRow).values(at=utcnow() - users.LOGIN_WINDOW - timedelta(seconds=1)))
    assert users.login_blocked_for(store, "Nông Thị Hoa", "10.0.0.7") is None
