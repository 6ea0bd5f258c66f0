"""Desk accounts, sessions and login attempts (functions taking a Store).

Passwords are hashed with scrypt from the standard library (memory-hard; a per-user random
salt; the parameters are kept in the hash so they can be raised later and old hashes still
verify and are upgraded at the next login). Sessions are random tokens of which only the
SHA-256 is stored, with an absolute expiry and an idle timeout. Accounts are never deleted:
a departed editor is disabled, so every name in the audit trail still resolves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from loa.errors import LoaError, NotFound
from loa.store import Store
from loa.store.schema import DeskSessionRow, LoginAttemptRow, UserRow, utcnow

ROLES = ("editor", "approver", "admin")  # each role may do what the ones before it may
MIN_PASSWORD = 10
#: scrypt N, r, p: OWASP's 2^15/8/3 (32 MiB, ~0.5-1 s here). Tests lower it (our own seam).
SCRYPT_PARAMS: tuple[int, int, int] = (2**15, 8, 3)
SESSION_TTL = timedelta(hours=12)  # absolute: a working day, then log in again
SESSION_IDLE = timedelta(hours=1)  # no request for this long ends the session
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_REMOTE = 20


class UserError(LoaError):
    pass


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    disabled: bool
    created_at: datetime
    password_changed_at: datetime

    def can(self, role: str) -> bool:
        """True when this user's role includes `role` (admin ⊇ approver ⊇ editor)."""
        return not self.disabled and ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class DeskSession:
    user: User
    csrf: str
    expires_at: datetime


def _user(r: UserRow) -> User:
    return User(r.id, r.name, r.role, bool(r.disabled), r.created_at, r.password_changed_at)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def canonical_name(name: str) -> str:
    """The one spelling of an account name that accounts, logins and the login limit all use:
    NFC, inner whitespace of any kind (tab, no-break, ideographic space) collapsed to one space,
    trimmed, at most 200 characters. Counting failures under any other spelling would let
    "Nông  Thị Hoa" and "Nông\u00a0Thị Hoa" each have their own 5 guesses."""
    return _norm(" ".join(name.split()))[:200]


# --- passwords -------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """'scrypt$N$r$p$salt$hash' (base64), a fresh 16-byte salt each time."""
    n, r, p = SCRYPT_PARAMS
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        _norm(password).encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32
    )
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            _norm(password).encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=256 * 1024 * 1024,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)  # constant time: no early exit on the first differing byte


def needs_rehash(stored: str) -> bool:
    parts = stored.split("$")
    return len(parts) != 6 or tuple(int(x) for x in parts[1:4]) != SCRYPT_PARAMS


def check_password_rules(password: str, name: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password for {name!r} is too short: use at least {MIN_PASSWORD} characters")
    if password.strip().casefold() == name.strip().casefold():
        raise UserError(f"the password for {name!r} must not be the account name")


# --- accounts --------------------------------------------------------------------------------


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role {role!r} does not exist; use one of {', '.join(ROLES)}")
    return role


def _check_name(name: str) -> str:
    full = _norm(" ".join(name.split()))
    if not full or len(full) > 200:
        raise UserError("an account name must have 1 to 200 characters, e.g. 'Nông Thị Hoa'")
    return full


def add_user(store: Store, name: str, role: str, password: str) -> User:
    name, role = _check_name(name), _check_role(role)
    check_password_rules(password, name)
    with store.session() as s:
        if s.scalar(select(UserRow.id).where(func.lower(UserRow.name) == name.lower())) is not None:
            raise UserError(
                f"an account named {name!r} exists already; `loa users reset-password` changes its password"
            )
        row = UserRow(name=name, role=role, password_hash=hash_password(password), disabled=False)
        s.add(row)
        s.flush()
        return _user(row)


def _row(s, name: str) -> UserRow:
    row = s.scalar(select(UserRow).where(UserRow.name == _check_name(name)))
    if row is None:
        raise NotFound(f"there is no desk account named {name!r}; `loa users` lists them")
    return row


def user(store: Store, name: str) -> User:
    with store.reading() as s:
        return _user(_row(s, name))


def users(store: Store) -> list[User]:
    with store.reading() as s:
        return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]


def count_users(store: Store) -> int:
    with store.reading() as s:
        return s.scalar(select(func.count()).select_from(UserRow)) or 0


def set_password(store: Store, name: str, password: str) -> User:
    """A new password; every open session of the account ends (a reset locks out whoever had it)."""
    with store.session() as s:
        row = _row(s, name)
        check_password_rules(password, row.name)
        row.password_hash, row.password_changed_at = hash_password(password), utcnow()
        _end_sessions(s, row.id)
        return _user(row)


def set_role(store: Store, name: str, role: str) -> User:
    with store.session() as s:
        row = _row(s, name)
        row.role = _check_role(role)
        _end_sessions(s, row.id)  # the new role applies from the next login
        return _user(row)


def set_disabled(store: Store, name: str, disabled: bool) -> User:
    with store.session() as s:
        row = _row(s, name)
        row.disabled = disabled
        if disabled:
            _end_sessions(s, row.id)
        return _user(row)


def _end_sessions(s, user_id: int) -> None:
    s.execute(
        update(DeskSessionRow)
        .where(DeskSessionRow.user_id == user_id, DeskSessionRow.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


# --- login -----------------------------------------------------------------------------------

_DUMMY_HASH: str | None = None


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user when name and password match an enabled account, else None (same work either way)."""
    global _DUMMY_HASH
    with store.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == canonical_name(name)))
        if row is None:
            # hash anyway, so the response time does not tell which names exist
            _DUMMY_HASH = _DUMMY_HASH if _DUMMY_HASH and not needs_rehash(_DUMMY_HASH) else hash_password("x" * 16)
            verify_password(password, _DUMMY_HASH)
            return None
        if not verify_password(password, row.password_hash) or row.disabled:
            return None
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        return _user(row)


def record_login_attempt(store: Store, name: str, remote: str, ok: bool) -> None:
    now = utcnow()
    with store.session() as s:
        s.add(LoginAttemptRow(name=canonical_name(name), remote=remote[:100], ok=ok, at=now))
        # attempts are only needed for the rate-limit window; a day of them is kept for operators
        s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < now - timedelta(days=1)))


def login_blocked_for(store: Store, name: str, remote: str) -> timedelta | None:
    """How long until another attempt is allowed, when too many recent attempts failed; else None."""
    now = utcnow()
    since = now - LOGIN_WINDOW
    name = canonical_name(name)
    with store.reading() as s:
        for column, value, limit in (
            (LoginAttemptRow.name, name, MAX_FAILURES_PER_NAME),
            (LoginAttemptRow.remote, remote[:100], MAX_FAILURES_PER_REMOTE),
        ):
            failures = s.scalars(
                select(LoginAttemptRow.at)
                .where(column == value, LoginAttemptRow.at >= since, LoginAttemptRow.ok.is_(False))
                .order_by(LoginAttemptRow.at.desc())
                .limit(limit)
            ).all()
            if len(failures) >= limit:
                return max(failures[-1] + LOGIN_WINDOW - now, timedelta(seconds=1))
    return None


# --- sessions --------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(store: Store, user_id: int) -> str:
    """A new session; returns the cookie token (only its hash is stored)."""
    token, now = secrets.token_urlsafe(32), utcnow()
    with store.session() as s:
        s.add(
            DeskSessionRow(
                token_hash=_token_hash(token),
                user_id=user_id,
                csrf=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=now + SESSION_TTL,
            )
        )
    return token


def session_for(store: Store, token: str | None) -> DeskSession | None:
    """The live session for a cookie token: not ended, not expired, not idle too long, account enabled."""
    if not token or len(token) > 100:
        return None
    now = utcnow()
    with store.session() as s:
        row = s.get(DeskSessionRow, _token_hash(token))
        if row is None or row.ended_at is not None or row.expires_at <= now or row.last_seen_at + SESSION_IDLE <= now:
            return None
        account = s.get(UserRow, row.user_id)
        if account is None or account.disabled:
            return None
        if now - row.last_seen_at > timedelta(seconds=60):  # one write a minute, not one per request
            row.last_seen_at = now
        return DeskSession(_user(account), row.csrf, row.expires_at)


def end_session(store: Store, token: str | None) -> None:
    if not token:
        return
    with store.session() as s:
        row = s.get(DeskSessionRow, _token_hash(token))
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
