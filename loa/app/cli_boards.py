"""`loa boards`: register digital notice boards (broker accounts) and see their health."""

from __future__ import annotations

import logging
from dataclasses import asdict

import typer

from loa.app.cli_common import JSON, FitTable, local_time, out, print_whole, report_account
from loa.app.cli_common import fail as _fail
from loa.app.cli_common import print_json as _print_json
from loa.app.cli_common import runtime_or_fail as _runtime
from loa.errors import LoaError

log = logging.getLogger(__name__)

boards_app = typer.Typer(
    help="Digital notice boards: `loa boards` lists them (online state, last seen, notices shown); "
    "`loa boards add ID --area PATH` creates a board's broker account.",
    invoke_without_command=True,
)


@boards_app.callback()
def boards(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the boards: online/offline and since when, last seen, how many notices each has shown."""
    if ctx.invoked_subcommand is not None:
        return
    from loa.store.boards import acks_of
    from loa.store.boards import boards as all_boards

    cfg, store = _runtime()
    rows = all_boards(store)
    if as_json:
        _print_json(
            [
                b.as_dict()
                | {"area_code": cfg.area_code(b.area), "shown": [asdict(a) for a in acks_of(store, b.id, limit=20)]}
                for b in rows
            ]
        )
        return
    if not rows:
        out.print("No boards yet. Add one with `loa boards add ID --area PATH`.")
        return
    table = FitTable("board", "area", "state", "since", "last seen", "acks", title="Boards")
    for b in rows:
        style = {"online": "green", "offline": "red"}.get(b.state, "dim")
        table.add_row(
            b.id, b.area, f"[{style}]{b.state}[/]", local_time(b.state_since), local_time(b.last_seen_at), str(b.acks)
        )
    out.print(table)


def create_board(cfg, store, board_id: str, area: str, name: str | None = None) -> dict:
    """Register a board, create its broker account and reload the broker; the result holds the password once."""
    from loa.app import broker
    from loa.app.device_accounts import apply_account, check_id_free
    from loa.board_protocol import check_board_id
    from loa.store.boards import add_board

    check_board_id(board_id)  # a LoaError naming the rule
    if area not in cfg.areas:
        from loa.area_migration import old_path_hint

        hint = old_path_hint(area, cfg) or "`loa areas` lists the province and its communes, e.g. cao-bang/nam-tuan"
        raise LoaError(f"area {area!r} is not in {cfg.config_dir / 'areas.yaml'}; {hint}")
    check_id_free(store, "board", board_id, "`loa boards` lists the boards")
    password = broker.new_password()
    add_board(store, board_id, area, name)
    failed = f"board {board_id!r} is registered but its broker account was not created"
    reloaded, accepted = apply_account(cfg, board_id, password, failed)
    url = cfg.mqtt
    return {
        "id": board_id,
        "area": area,
        "area_code": cfg.area_code(area),
        "name": name,
        "username": board_id,
        "password": password,
        "mqtt": f"mqtt://{url.host}:{url.port}",
        "board_page": f"{cfg.site_url}/board/?board={board_id}&area={area}#password={password}",
        "managed_broker": broker.manages_accounts(cfg),
        "broker_reloaded": reloaded,
        "broker_accepts": accepted,
        "acl": broker.board_acl(cfg, board_id, area),
    }


@boards_app.command("add")
def add(
    board_id: str = typer.Argument(..., metavar="ID", help="The board's id and broker user name, e.g. nam-tuan-ubnd."),
    area: str = typer.Option(..., help="The board's area path, e.g. cao-bang/nam-tuan."),
    name: str | None = typer.Option(None, help="A human name, e.g. 'Nhà văn hóa thôn Nà Lòa'."),
    as_json: bool = JSON,
) -> None:
    """Create a board's broker account and print its password once (only a salted hash is kept).

    The board may read only its commune's and province's notices and write only its own
    status and ack topics. A running broker reloads its accounts at once (SIGHUP).
    """
    cfg, store = _runtime()
    try:
        result = create_board(cfg, store, board_id, area, name)
    except LoaError as exc:
        _fail(str(exc))
    if as_json:
        _print_json(result)
        return
    out.print(f"board [bold]{board_id}[/] added for {cfg.area_name(area)} ({area})")
    out.print(
        f"  user name  {board_id}\n  password   {result['password']}   "
        f"[yellow](shown once: hand it to the board now)[/]"
    )
    out.print(f"  MQTT       {result['mqtt']}  (boards on other machines: the TLS listener, docs/boards.md)")
    out.print("  board page (open it on the board; it carries the password, so keep it private):")
    print_whole(result["board_page"])
    report_account(cfg, "board", result)


@boards_app.command("show")
def show(board_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """One board: its online/offline history and the notices it has shown."""
    from loa.store.boards import acks_of, get_board, status_history

    _, store = _runtime()
    try:
        b = get_board(store, board_id)
    except LoaError as exc:
        _fail(str(exc))
    history, shown = status_history(store, board_id), acks_of(store, board_id)
    if as_json:
        _print_json(b.as_dict() | {"history": [asdict(h) for h in history], "shown": [asdict(a) for a in shown]})
        return
    out.print(f"[bold]{b.id}[/] {b.name or ''} · {b.area} · {b.state} since {local_time(b.state_since)}")
    for h in history:
        out.print(f"  {h.at.isoformat()}  {h.state}")
    for a in shown:
        out.print(f"  shown notice {a.notice} v{a.version} ({a.area}) at {(a.shown_at or a.received_at).isoformat()}")
