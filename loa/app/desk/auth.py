"""Who is asking, and may they: the session cookie, CSRF tokens, roles.

Every state-changing request goes through `form()`: a live session (else 401), the role
(else 403), then the CSRF token of that session in the form (else 403) — checked before the
handler touches the store. The session cookie is HttpOnly, SameSite=Strict, limited to /desk,
and Secure when the desk is served over https. The login form has its own CSRF token
(double submit: a cookie and a hidden field that must match), since there is no session yet.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from starlette.datastructures import FormData

from loa.app.desk.present import ROLE_LABELS
from loa.errors import LoaError
from loa.store import users
from loa.store.users import DeskSession

COOKIE = "loa_desk"
LOGIN_COOKIE = "loa_desk_login"
MAX_UPLOAD = 50 * 1024 * 1024  # a human recording of a few minutes is a few MB


class DeskError(LoaError):
    """Refuse the request with an HTTP status and a Vietnamese message for the person."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class LoginRequired(DeskError):
    def __init__(self, message: str = "Bạn cần đăng nhập (hoặc phiên làm việc đã hết hạn)."):
        super().__init__(401, message)


def desk(request: Request):
    return request.app.state.desk


def base(request: Request) -> str:
    """Where the desk is mounted (/desk): links and the cookie path follow it."""
    return request.scope.get("root_path", "").rstrip("/")


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def remote(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current(request: Request) -> DeskSession | None:
    if not hasattr(request.state, "desk_session"):
        request.state.desk_session = users.session_for(desk(request).store, request.cookies.get(COOKIE))
    return request.state.desk_session


def require(request: Request, role: str = "editor") -> DeskSession:
    """For pages: the session, or LoginRequired (a GET is redirected to the login page)."""
    sess = current(request)
    if sess is None:
        raise LoginRequired()
    if not sess.user.can(role):
        raise DeskError(
            403,
            f"Tài khoản {sess.user.name} ({role_label(sess.user.role)}) không có quyền này; "
            f"cần vai trò {role_label(role)}.",
        )
    return sess


def check_csrf(expected: str | None, got: object) -> None:
    if not expected or not isinstance(got, str) or not hmac.compare_digest(expected.encode(), got.encode()):
        raise DeskError(403, "Mã chống giả mạo (CSRF) thiếu hoặc sai: hãy tải lại trang rồi thử lại.")


async def form(request: Request, role: str = "editor", *, upload: bool = False) -> tuple[DeskSession, FormData]:
    """For every state-changing request: session, role, then the CSRF token; the form only after that."""
    sess = require(request, role)
    size = request.headers.get("content-length")
    limit = MAX_UPLOAD if upload else 2 * 1024 * 1024
    if size and size.isdigit() and int(size) > limit:
        raise DeskError(413, f"Dữ liệu gửi lên quá lớn (tối đa {limit // (1024 * 1024)} MB).")
    data = await request.form(max_files=1 if upload else 0, max_fields=500)
    check_csrf(sess.csrf, data.get("csrf"))
    return sess, data


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=base(request) or "/",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def clear_cookie(response, request: Request, name: str) -> None:
    response.delete_cookie(name, path=base(request) or "/", httponly=True, samesite="strict", secure=is_https(request))


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)
