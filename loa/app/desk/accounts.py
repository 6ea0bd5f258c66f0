"""Logging in and out, one's own password, and (for admins) the accounts."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from loa.app.desk import auth
from loa.app.desk.auth import DeskError, desk
from loa.errors import NotFound
from loa.store import users
from loa.store.users import ROLES, UserError

router = APIRouter()

# scrypt costs ~0.1 s of CPU and 32 MB per hash: it runs in worker threads (never on the event loop,
# where it stalled every page, the public website included), at most two at once.
_HASHING = anyio.CapacityLimiter(2)


async def off_loop(fn, *args):
    """Run a password-hashing call in a worker thread, within the hashing limit."""
    return await anyio.to_thread.run_sync(fn, *args, limiter=_HASHING)


def _try_login(store, name: str, password: str, remote: str):
    """(seconds to wait, None) when blocked, else (None, the user or None); the attempt is recorded."""
    wait = users.login_blocked_for(store, name, remote)
    if wait is not None:
        return wait, None
    user = users.authenticate(store, name, password) if name and password else None
    users.record_login_attempt(store, name, remote, ok=user is not None)
    return None, user


def _safe_next(request: Request, target: str | None) -> str:
    """Only a path inside the desk: a login link must not send anyone to another site."""
    home = f"{auth.base(request)}/"
    if not target:
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(home) or "\\" in target:
        return home
    return target


def _login_page(
    request: Request, status: int = 200, error: str | None = None, name: str = "", next_: str | None = None
):
    token = request.cookies.get(auth.LOGIN_COOKIE) or auth.new_login_token()
    d = desk(request)
    response = d.render(
        request,
        "login.html",
        status,
        login_token=token,
        error=error,
        name=name,
        next=_safe_next(request, next_),
        no_users=users.count_users(d.store) == 0,
    )
    auth.set_cookie(response, request, auth.LOGIN_COOKIE, token, max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None):
    if auth.current(request) is not None:
        return RedirectResponse(_safe_next(request, next), status_code=303)
    return _login_page(request, next_=next)


@router.post("/login")
async def login(request: Request):
    data = await request.form(max_files=0, max_fields=10)
    auth.check_csrf(request.cookies.get(auth.LOGIN_COOKIE), data.get("login_token"))
    name, password = users.canonical_name(str(data.get("name", ""))), str(data.get("password", ""))
    next_ = str(data.get("next", "")) or None
    store, remote = desk(request).store, auth.remote(request)
    wait, user = await off_loop(_try_login, store, name, password, remote)
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        return_ = _login_page(
            request, 429, f"Đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút.", name, next_
        )
        return_.headers["Retry-After"] = str(math.ceil(wait.total_seconds()))
        return return_
    if user is None:
        return _login_page(
            request, 401, "Tên đăng nhập hoặc mật khẩu không đúng (hoặc tài khoản đã bị khóa).", name, next_
        )
    response = RedirectResponse(_safe_next(request, next_), status_code=303)
    token = users.start_session(store, user.id)
    auth.set_cookie(response, request, auth.COOKIE, token, max_age=int(users.SESSION_TTL.total_seconds()))
    auth.clear_cookie(response, request, auth.LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request):
    await auth.form(request, "editor")
    users.end_session(desk(request).store, request.cookies.get(auth.COOKIE))
    response = RedirectResponse(f"{auth.base(request)}/login", status_code=303)
    auth.clear_cookie(response, request, auth.COOKIE)
    return response


@router.get("/account")
def account(request: Request, done: str | None = None):
    sess = auth.require(request, "editor")
    return desk(request).render(
        request, "account.html", expires_at=sess.expires_at, done=done == "password", error=None
    )


@router.post("/account/password")
async def change_password(request: Request):
    sess, data = await auth.form(request, "editor")
    d = desk(request)
    current, new, again = (str(data.get(k, "")) for k in ("current", "new", "again"))
    error = None
    if await off_loop(users.authenticate, d.store, sess.user.name, current) is None:
        error = "Mật khẩu hiện tại không đúng."
    elif new != again:
        error = "Hai lần nhập mật khẩu mới không giống nhau."
    else:
        try:
            await off_loop(users.set_password, d.store, sess.user.name, new)
        except UserError as exc:
            error = _vi_user_error(exc)
    if error:
        return d.render(request, "account.html", 400, expires_at=sess.expires_at, done=False, error=error)
    # the reset ended every session, this one too: log in again with the new password
    response = RedirectResponse(f"{auth.base(request)}/login", status_code=303)
    auth.clear_cookie(response, request, auth.COOKIE)
    return response


def _vi_user_error(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, NotFound):
        return "Không có tài khoản này."
    if "differ" in text:
        return "Hai lần nhập mật khẩu không giống nhau."
    if "own role" in text:
        return "Không thể tự đổi vai trò của chính mình (một quản trị khác có thể làm)."
    if "own account" in text:
        return "Không thể tự khóa tài khoản của chính mình."
    if "account name must" in text:
        return "Tên tài khoản cần từ 1 đến 200 ký tự."
    if "too short" in text:
        return f"Mật khẩu quá ngắn: cần ít nhất {users.MIN_PASSWORD} ký tự."
    if "must not be the account name" in text:
        return "Mật khẩu không được trùng với tên tài khoản."
    if "exists already" in text:
        return "Đã có tài khoản với tên này."
    if "role" in text:
        return "Vai trò không hợp lệ."
    return text


# --- accounts (admin) ------------------------------------------------------------------------


def _users_page(request: Request, status: int = 200, error: str | None = None, done: str | None = None):
    d = desk(request)
    return d.render(
        request,
        "users.html",
        status,
        accounts=users.users(d.store),
        roles=ROLES,
        role_label=auth.role_label,
        error=error,
        done=done,
    )


@router.get("/users")
def users_page(request: Request, done: str | None = None):
    auth.require(request, "admin")
    return _users_page(request, done=done)


async def _admin_change(request: Request, change) -> object:
    sess, data = await auth.form(request, "admin")
    name = str(data.get("name", "")).strip()
    try:  # account changes may hash a password: off the event loop
        what = await off_loop(change, desk(request).store, name, data, sess)
    except (UserError, NotFound) as exc:
        return _users_page(request, 400, _vi_user_error(exc))
    except DeskError:
        raise
    return RedirectResponse(f"{auth.base(request)}/users?done={what}", status_code=303)


@router.post("/users")
async def add_user(request: Request):
    def change(store, name, data, sess):
        password = str(data.get("password", ""))
        if password != str(data.get("again", "")):
            raise UserError("the two passwords differ")
        users.add_user(store, name, str(data.get("role", "")), password)
        return "added"

    return await _admin_change(request, change)


@router.post("/users/role")
async def set_role(request: Request):
    def change(store, name, data, sess):
        if name == sess.user.name:
            raise UserError("an admin cannot change their own role (another admin can)")
        users.set_role(store, name, str(data.get("role", "")))
        return "role"

    return await _admin_change(request, change)


@router.post("/users/password")
async def reset_password(request: Request):
    def change(store, name, data, sess):
        users.set_password(store, name, str(data.get("password", "")))
        return "password"

    return await _admin_change(request, change)


@router.post("/users/disabled")
async def set_disabled(request: Request):
    def change(store, name, data, sess):
        disable = str(data.get("disabled", "")) == "1"
        if disable and name == sess.user.name:
            raise UserError("an admin cannot lock their own account")
        users.set_disabled(store, name, disable)
        return "disabled" if disable else "enabled"

    return await _admin_change(request, change)
