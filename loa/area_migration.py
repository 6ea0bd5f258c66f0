"""Pre-2025 area paths → units of the 2025 map (loa/data/areas-2025-*.yaml explains every choice).

Pure: reads the mapping files shipped with Loa and the vietnam-provinces data; the store migration
0010 applies it to the rows, `loa areas --migration` shows what it did, and config errors use it to
tell an operator what an old path in a YAML file is called now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from loa import areamap
from loa.config.files import SAFE_LOADER

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Remap:
    """Where an old path goes: `audience` for a notice's target areas, `place` for one location."""

    old: str
    audience: tuple[str, ...]  # new paths; empty when unknown
    place: str | None  # one new path; None when unknown
    basis: str  # code | name | merged-2020 | neighbour | district | province | unknown
    note: str = ""

    @property
    def known(self) -> bool:
        return self.place is not None


@dataclass(frozen=True)
class Mapping:
    province_slug: str
    province: areamap.Province
    districts: dict  # old district slug → {name, seat, successors, ...}
    communes: dict  # old commune path → {name, old_code, to, basis, note}

    def path(self, code: int) -> str:
        unit = next((c for c in self.province.communes if c.code == code), None)
        if unit is None:
            raise ValueError(f"{code} is not a 2025 unit of {self.province.unit.label}")
        return f"{self.province_slug}/{unit.slug}"

    def remap(self, old: str) -> Remap:
        parts = old.split("/")
        if parts[0] != self.province_slug:
            return Remap(old, (), None, "unknown")
        if len(parts) == 1:
            return Remap(old, (old,), old, "province")
        district = self.districts.get(parts[1])
        if len(parts) == 2:
            if district is None:
                return Remap(old, (), None, "unknown")
            return Remap(
                old,
                tuple(self.path(c) for c in district["successors"]),
                self.path(district["seat"]),
                "district",
                f"former {district['name']}",
            )
        listed = self.communes.get(old)
        if listed:
            new = self.path(listed["to"])
            return Remap(old, (new,), new, listed["basis"], listed.get("note", f"former {listed['name']}"))
        if len(parts) == 3 and district:
            for code in district["successors"]:
                if self.path(code).endswith("/" + parts[2]):
                    new = self.path(code)
                    return Remap(old, (new,), new, "name", "the 2025 unit kept the commune's name")
        return Remap(old, (), None, "unknown")


@cache
def mappings() -> tuple[Mapping, ...]:
    """Every shipped mapping file (one per province whose pre-2025 names Loa knows)."""
    out = []
    for file in sorted(DATA.glob("areas-2025-*.yaml")):
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
        province = areamap.province(data["province"]["code"])
        if province is None:
            raise ValueError(f"{file}: province code {data['province']['code']} is not on the 2025 map")
        out.append(Mapping(data["province"]["slug"], province, data["districts"], data["communes"]))
    return tuple(out)


def remap(old: str) -> Remap:
    """An old path's 2025 units by the shipped mapping files; basis "unknown" when none places it."""
    for m in mappings():
        found = m.remap(old)
        if found.known:
            return found
    return Remap(old, (), None, "unknown")


def old_path_hint(path: str, cfg=None) -> str | None:
    """For a config error: what a pre-2025 path is called on the 2025 map."""
    found = remap(path)
    if found.basis in ("unknown", "province"):
        return None
    unit = cfg.map_area(found.place) if cfg is not None else None
    if found.basis == "district":
        names = ", ".join(found.audience)
        return (
            f"it is a pre-2025 district path ({found.note}); districts no longer exist: name the province, "
            f"a commune or a grouping (its communes now: {names})"
        )
    name = f" ({unit.name}, {unit.code})" if unit else ""
    return f"it is a pre-2025 path; since 1 July 2025 it is {found.place!r}{name}"
