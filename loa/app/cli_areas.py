"""`loa areas`: the province Loa serves and its communes on the 2025 map, with official codes."""

from __future__ import annotations

import typer
from rich.table import Table

from loa.app.cli_common import JSON, fail, out, print_json


def areas_cmd(
    all_units: bool = typer.Option(
        False, "--all", help="Every commune of the province, in use or not (to pick codes for areas.yaml)."
    ),
    migration: bool = typer.Option(
        False,
        "--migration",
        help="What the store's move to the 2025 map changed, and the old paths it could not place.",
    ),
    as_json: bool = JSON,
) -> None:
    """The served province and its communes with their official codes (config/areas.yaml,
    map from the vietnam-provinces package), and the operator's groupings."""
    from loa.errors import LoaError
    from loa.runtime import config

    try:
        cfg = config()
    except LoaError as exc:
        fail(exc)
    if migration:
        return _migration(as_json)
    province = cfg.province
    in_use = set(cfg.areas)
    units = (
        [a for c in cfg.area_map.communes if (a := cfg.map_area(f"{province.path}/{c.slug}")) is not None]
        if all_units
        else [a for a in cfg.areas.values() if a.path != province.path]
    )
    member = {p: [g.slug for g in cfg.groupings.values() if p in g.communes] for p in cfg.areas}
    if as_json:
        from importlib.metadata import version

        print_json(
            {
                "schema": "loa.areas",
                "schema_version": 1,
                "map": {"source": "vietnam-provinces", "version": version("vietnam-provinces")},
                "province": province.describe(),
                "communes": [
                    dict(a.describe(), in_use=a.path in in_use, groupings=member.get(a.path, [])) for a in units
                ],
                "communes_in_province": len(cfg.area_map.communes),
                "groupings": [
                    {"slug": g.slug, "name": g.name, "communes": list(g.communes)} for g in cfg.groupings.values()
                ],
            }
        )
        return
    out.print(
        f"{province.name} (code {province.code}): {len(in_use) - 1} of {len(cfg.area_map.communes)} communes in use",
        highlight=False,
    )
    table = Table("code", "path", "name", "in use" if all_units else "groupings", box=None, pad_edge=False)
    for a in units:
        extra = ("yes" if a.path in in_use else "") if all_units else ", ".join(member.get(a.path, []))
        table.add_row(str(a.code), a.path, a.name, extra)
    out.print(table, width=80)
    for g in cfg.groupings.values():
        out.print(f"grouping {g.slug}: {g.name} ({len(g.communes)} communes)", highlight=False)


def _migration(as_json: bool) -> None:
    from sqlalchemy import select

    from loa.app.cli_common import runtime_or_fail
    from loa.store.schema import AreaRenameRow

    _, store = runtime_or_fail()
    with store.reading() as s:
        rows = s.scalars(select(AreaRenameRow).order_by(AreaRenameRow.id)).all()
        data = [
            {
                "source": r.source,
                "old_path": r.old_path,
                "new_paths": list(r.new_paths or []),
                "basis": r.basis,
                "rows": r.rows,
            }
            for r in rows
        ]
    if as_json:
        print_json(data)
        return
    if not data:
        out.print("The store held no pre-2025 area path.")
        return
    import textwrap

    for d in data:  # two lines each: old paths are long, and 80 columns must hold them whole
        out.print(f"{d['old_path']}  ({d['source']}, {d['rows']} row(s), {d['basis']})", highlight=False, markup=False)
        now = ", ".join(d["new_paths"]) or "unknown: left as it was (no mapping file places it)"
        for line in textwrap.wrap(now, 76, initial_indent="  → ", subsequent_indent="    "):
            out.print(line, highlight=False, markup=False)
