"""Areas as CAP sees them: official codes, descriptions, and the served province for received alerts.

Official codes come from areas.yaml through `official_code` alone. At the time of issue 16 areas carry
slugs; official codes are being added to areas.yaml in parallel (the `code` of each unit): until then,
or for a unit without one, an area's geocode falls back to its Loa path (valueName LOA-DiaBan), and a
received alert can match the province by areaDesc only.
"""

from __future__ import annotations

from loa.cap.build import GEOCODE, GEOCODE_FALLBACK, CapArea
from loa.cap.parse import ServedAreas
from loa.config import Area, Config


def official_code(area: Area | None) -> str | None:
    """The unit's official code (e.g. "04" for Cao Bằng, "01273" for phường Thục Phán), None if unknown."""
    code = getattr(area, "code", None)
    if code is None or str(code).strip() == "":
        return None
    if area is not None and isinstance(
        code, int
    ):  # the statistics office writes provinces with 2 digits, communes with 5
        return f"{code:02d}" if area.path.count("/") == 0 else f"{code:05d}"
    return str(code).strip()


def _description(cfg: Config, path: str) -> str:
    """ "xã Hồng Việt, huyện Hòa An, tỉnh Cao Bằng": the unit, then the units above it."""
    parts = path.split("/")
    return ", ".join(cfg.area_name("/".join(parts[:i])) for i in range(len(parts), 0, -1))


def _geocode(cfg: Config, path: str) -> tuple[str, str]:
    code = official_code(cfg.areas.get(path))
    return (GEOCODE, code) if code else (GEOCODE_FALLBACK, path)


def cap_areas(cfg: Config, paths: list[str]) -> list[CapArea]:
    """One CAP area per target area: its own geocode and one per commune below it."""
    out = []
    for path in paths:
        below = [p for p in cfg.areas if p.startswith(path + "/") and not any(q.startswith(p + "/") for q in cfg.areas)]
        out.append(CapArea(_description(cfg, path), tuple(_geocode(cfg, p) for p in [path, *below])))
    return out


def served_areas(cfg: Config) -> ServedAreas:
    return ServedAreas.of([(path, area.name, official_code(area)) for path, area in cfg.areas.items()])
