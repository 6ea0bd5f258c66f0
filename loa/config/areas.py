"""areas.yaml: the province served on the 2025 map, the communes in use, operator groupings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from loa import areamap
from loa.config.files import FileModel, Slug, read_yaml, validate
from loa.errors import ConfigError


@dataclass(frozen=True)
class Area:
    """A unit of the 2025 map Loa serves: the province or one of its communes (loa.areamap)."""

    path: str  # "cao-bang/thuc-phan": slugs, the MQTT topic segments
    name: str  # "phường Thục Phán"
    code: int | None = None  # the official code (Decision 19/2025/QĐ-TTg): 1273
    kind: str = ""  # tỉnh | xã | phường | đặc khu

    @property
    def depth(self) -> int:
        return self.path.count("/")

    def describe(self) -> dict:
        return {"path": self.path, "code": self.code, "name": self.name, "kind": self.kind}


@dataclass(frozen=True)
class Grouping:
    """An operator's named list of communes (areas.yaml `groupings`): a shortcut, not a level.
    Targeting it targets each of its communes."""

    slug: str
    name: str
    communes: tuple[str, ...]  # area paths


class GroupingFile(FileModel):
    slug: Slug
    name: str = Field(min_length=1)
    communes: list[str | int] = Field(min_length=1)


class AreasFile(FileModel):
    province: str | int
    communes: list[str | int] | None = None  # None: every commune of the province
    groupings: list[GroupingFile] | None = None


@dataclass(frozen=True)
class AreaBook:
    """The areas in use (the province first), the groupings, and the province's whole map."""

    areas: dict[str, Area]
    groupings: dict[str, Grouping] = field(default_factory=dict)
    area_map: Any = None  # loa.areamap.Province

    @property
    def province(self) -> Area:
        return next(iter(self.areas.values()))

    def map_area(self, path: str) -> Area | None:
        """Any unit of the served province by path, in use or not (a migrated notice may name one)."""
        if path in self.areas:
            return self.areas[path]
        head, _, slug = path.partition("/")
        if self.area_map is None or head != self.province.path or not slug or "/" in slug:
            return None
        unit = next((c for c in self.area_map.communes if c.slug == slug), None)
        return Area(path, unit.label, unit.code, unit.kind) if unit else None

    def area_code(self, path: str) -> int | None:
        area = self.map_area(path)
        return area.code if area else None

    def check(self, path: str, file: Path, key: str, *, groupings: bool = False) -> str:
        """`path` when it is an area in use (or, with `groupings`, a grouping slug); else a ConfigError."""
        if path in self.areas or (groupings and path in self.groupings):
            return path
        on_map = self.map_area(path)
        if on_map:
            why = f"{on_map.name} ({on_map.code}) is not among the communes in use; add it to `communes` in areas.yaml"
        else:
            from loa.area_migration import old_path_hint

            hint = old_path_hint(path, self)
            why = f"area {path!r} is not in areas.yaml" + (f"; {hint}" if hint else "")
        raise ConfigError(str(file), key, why)


def load_areas(file: Path) -> AreaBook:
    data = read_yaml(file)
    if "areas" in data and "province" not in data:
        raise ConfigError(
            str(file),
            "areas",
            "is the pre-2025 province → district → commune tree; since "
            "1 July 2025 write `province:` and `communes:` (see the shipped config/areas.yaml)",
        )
    spec = validate(AreasFile, data, file)
    found = areamap.province(spec.province)
    if found is None:
        near = areamap.suggest_province(spec.province)
        hint = f"; did you mean {near.unit.name!r} ({near.unit.code})?" if near else "; `loa areas --all` lists them"
        raise ConfigError(
            str(file), "province", f"{spec.province!r} is not one of the 34 provinces of the 2025 map{hint}"
        )
    root = found.unit.slug
    areas = {root: Area(root, found.unit.label, found.unit.code, found.unit.kind)}
    units = (
        found.communes
        if spec.communes is None
        else [_commune(found, item, file, f"communes[{i}]") for i, item in enumerate(spec.communes)]
    )
    for i, unit in enumerate(units):
        path = f"{root}/{unit.slug}"
        if path in areas:  # the same commune twice, or two communes with one slug: one topic for two places
            raise ConfigError(str(file), f"communes[{i}]", f"{unit.label} ({unit.code}) is listed twice")
        areas[path] = Area(path, unit.label, unit.code, unit.kind)
    groupings: dict[str, Grouping] = {}
    for i, item in enumerate(spec.groupings or []):
        where = f"groupings[{i}]"
        if item.slug in groupings or f"{root}/{item.slug}" in areas or item.slug == root:
            raise ConfigError(
                str(file), where + ".slug", f"{item.slug!r} must be a unique slug, not a commune's or the province's"
            )
        members: list[str] = []
        for k, c in enumerate(item.communes):
            unit = _commune(found, c, file, f"{where}.communes[{k}]")
            path = f"{root}/{unit.slug}"
            if path not in areas:
                raise ConfigError(
                    str(file),
                    f"{where}.communes[{k}]",
                    f"{unit.label} ({unit.code}) is not in `communes`; add it there first",
                )
            if path in members:
                raise ConfigError(str(file), f"{where}.communes[{k}]", f"{unit.label} is listed twice")
            members.append(path)
        groupings[item.slug] = Grouping(item.slug, item.name, tuple(members))
    return AreaBook(areas, groupings, found)


def _commune(province: Any, item: str | int, file: Path, key: str) -> Any:
    """A commune of the province by official code, name or slug; unknown ones are refused with a suggestion."""
    unit = province.commune(item)
    if unit is None:
        near = province.suggest(item)
        hint = (
            f"; did you mean {near.name!r} ({near.code}, slug {near.slug})?"
            if near
            else "; `loa areas --all` lists every commune with its code"
        )
        raise ConfigError(str(file), key, f"{item!r} is not a commune of {province.unit.label} on the 2025 map{hint}")
    return unit
