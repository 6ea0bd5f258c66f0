"""`loa users`: editorial desk accounts (the first admin is made here, on the server).

    loa users add "Nông Thị Hoa" --role admin      # asks for the password twice
    echo "$PW" | loa users add "Lý Văn Tùng" --role editor --password-stdin
    loa users reset-password "Lý Văn Tùng" --generate
    loa users --json

Self-contained (no import from loa.app.cli, which registers this module).
"""

from __future__ import annotations

import json
import secrets
import sys

import typer

from loa.app.cli_common import FitTable, err, out
from loa.app.cli_common import fail as _fail
from loa.errors import LoaError
from loa.store import users

users_app = typer.Typer(
    help="Editorial desk accounts: editor (edits drafts), approver (also approves, rejects, "
    "schedules, withdraws), admin (also manages accounts).",
    invoke_without_command=True,
    no_args_is_help=False,
)

ROLE_HELP = "editor | approver | admin"
PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of stdin (for scripts)."
)
GENERATE = typer.Option(False, "--generate", help="Make a strong random password and print it once.")


def _store():
    from loa.runtime import runtime

    return runtime()[1]


def _user_dict(u: users.User) -> dict:
    return {
        "name": u.name,
        "role": u.role,
        "disabled": u.disabled,
        "created_at": u.created_at.isoformat(),
        "password_changed_at": u.password_changed_at.isoformat(),
    }


def _password(name: str, from_stdin: bool, generate: bool) -> tuple[str, bool]:
    """(password, generated)."""
    if generate:
        return secrets.token_urlsafe(15), True
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            _fail(f'no password on stdin for {name!r}; pipe one line, e.g. `echo "$PW" | loa users add ...`')
        return line, False
    if not sys.stdin.isatty():
        _fail("stdin is not a terminal, so the password cannot be asked for; use --password-stdin or --generate")
    return typer.prompt(
        f"Password for {name} (at least {users.MIN_PASSWORD} characters)", hide_input=True, confirmation_prompt=True
    ), False


@users_app.callback()
def list_users(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table."),
) -> None:
    """List the desk accounts (without a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    rows = users.users(_store())
    if as_json:
        out.print_json(json.dumps([_user_dict(u) for u in rows], ensure_ascii=False))
        return
    if not rows:
        err.print("no desk account yet; create the first admin with `loa users add NAME --role admin`")
        return
    table = FitTable("name", "role", "status", "created", "password changed", title="Desk accounts")
    for u in rows:
        table.add_row(
            u.name,
            u.role,
            "disabled" if u.disabled else "active",
            u.created_at.strftime("%Y-%m-%d %H:%M"),
            u.password_changed_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)


def _report(u: users.User, what: str, password: str | None, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(_user_dict(u) | ({"password": password} if password else {}), ensure_ascii=False))
        return
    out.print(f"{what}: {u.name} ({u.role})", highlight=False)
    if password:
        out.print(f"password (shown once): {password}", highlight=False)


@users_app.command()
def add(
    name: str = typer.Argument(..., help="Full name, as it appears in the audit trail."),
    role: str = typer.Option(..., help=ROLE_HELP),
    password_stdin: bool = PASSWORD_STDIN,
    generate: bool = GENERATE,
    as_json: bool = typer.Option(False, "--json", help="Print the account as JSON."),
) -> None:
    """Create a desk account."""
    if role not in users.ROLES:
        _fail(f"role {role!r} does not exist; use one of {', '.join(users.ROLES)}")
    password, generated = _password(name, password_stdin, generate)
    try:
        u = users.add_user(_store(), name, role, password)
    except LoaError as exc:
        _fail(str(exc))
    _report(u, "created", password if generated else None, as_json)


@users_app.command("reset-password")
def reset_password(
    name: str = typer.Argument(...),
    password_stdin: bool = PASSWORD_STDIN,
    generate: bool = GENERATE,
    as_json: bool = typer.Option(False, "--json", help="Print the account as JSON."),
) -> None:
    """Set a new password; every open desk session of that account ends."""
    store = _store()
    try:
        users.user(store, name)
        password, generated = _password(name, password_stdin, generate)
        u = users.set_password(store, name, password)
    except LoaError as exc:
        _fail(str(exc))
    _report(u, "password changed", password if generated else None, as_json)


@users_app.command("set-role")
def set_role(
    name: str = typer.Argument(...),
    role: str = typer.Option(..., help=ROLE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the account as JSON."),
) -> None:
    """Change an account's role (applies from its next login)."""
    try:
        u = users.set_role(_store(), name, role)
    except LoaError as exc:
        _fail(str(exc))
    _report(u, "role changed", None, as_json)


@users_app.command()
def disable(
    name: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json", help="Print the account as JSON.")
) -> None:
    """Lock an account (accounts are never deleted: the audit trail keeps their names)."""
    try:
        u = users.set_disabled(_store(), name, True)
    except LoaError as exc:
        _fail(str(exc))
    _report(u, "disabled", None, as_json)


@users_app.command()
def enable(
    name: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json", help="Print the account as JSON.")
) -> None:
    """Unlock a disabled account."""
    try:
        u = users.set_disabled(_store(), name, False)
    except LoaError as exc:
        _fail(str(exc))
    _report(u, "enabled", None, as_json)


__all__ = ["users_app"]
