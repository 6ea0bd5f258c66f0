"""Vietnam's administrative map since 1 July 2025, from the `vietnam-provinces` package.

Two levels (Resolution 202/2025/QH15): 34 provinces and 3,321 commune-level units (xã, phường,
đặc khu), no district. The package ships the map as JSON with the official codes of Decision
19/2025/QĐ-TTg; it is read here straight from the package's data file (6 ms) rather than through
its Python lookup tables (~0.2 s to import), and never needs the network.

Slugs are the MQTT topic segments: the package's ASCII codename with dashes (`thuc-phan`);
where two units of one province share it (Văn Lang the xã and Văn Lang the phường), the unit
keeps its full codename (`phuong-van-lang`).
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from loa.textfold import fold

log = logging.getLogger(__name__)

PACKAGE = "vietnam-provinces"


@dataclass(frozen=True)
class Unit:
    """A province or a commune-level unit of the 2025 map."""

    code: int  # the official code (Cao Bằng 4; phường Thục Phán 1273)
    name: str  # the official name as the package spells it: "Cao Bằng", "Phường Thục Phán"
    kind: str  # tỉnh | thành phố trung ương | xã | phường | đặc khu
    slug: str  # "cao-bang", "thuc-phan"

    @property
    def short_name(self) -> str:
        """The name without its kind: "Thục Phán"."""
        low = self.name.lower()
        for prefix in ("thành phố ", "tỉnh ", "phường ", "xã ", "đặc khu "):
            if low.startswith(prefix):
                return self.name[len(prefix) :]
        return self.name

    @property
    def label(self) -> str:
        """How Loa writes it in running Vietnamese text: "tỉnh Cao Bằng", "phường Thục Phán"."""
        kind = "thành phố" if self.kind == "thành phố trung ương" else self.kind
        return f"{kind} {self.short_name}"


@dataclass(frozen=True)
class Province:
    unit: Unit
    communes: tuple[Unit, ...]  # in the package's order (by official arrangement)

    def commune(self, key: str | int) -> Unit | None:
        """A commune of this province by official code, slug or name (with or without its kind and
        diacritics: 1654, "hoa-an", "Xã Hòa An", "hoa an")."""
        if isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit()):
            return next((c for c in self.communes if c.code == int(key)), None)
        text = str(key).strip()
        by_slug = next((c for c in self.communes if c.slug == text), None)
        if by_slug:
            return by_slug
        folded = fold(text)
        exact = [c for c in self.communes if fold(c.name) == folded or fold(c.label) == folded]
        if exact:
            return exact[0]
        short = [c for c in self.communes if fold(c.short_name) == folded]
        return short[0] if len(short) == 1 else None

    def suggest(self, key: str | int) -> Unit | None:
        """The commune whose name or slug is closest to a mistyped one, if any is close."""
        text = fold(str(key)).replace("-", " ")
        names = {fold(c.short_name): c for c in self.communes}
        match = difflib.get_close_matches(text, list(names), n=1, cutoff=0.6)
        if match:
            return names[match[0]]
        if str(key).strip().isdigit():
            codes = {str(c.code): c for c in self.communes}
            near = difflib.get_close_matches(str(key).strip(), list(codes), n=1, cutoff=0.5)
            return codes[near[0]] if near else None
        return None


def data_file() -> Path:
    """The package's nested JSON (provinces with their wards), located without importing the package."""
    spec = importlib.util.find_spec("vietnam_provinces")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {PACKAGE} package is not installed; reinstall Loa (make venv)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "nested-divisions.json"


def _slug(codename: str) -> str:
    return codename.replace("_", "-")


@lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    """All 34 provinces with their communes."""
    out = []
    for p in json.loads(data_file().read_text(encoding="utf-8")):
        shorts: dict[str, int] = {}
        for w in p["wards"]:
            shorts[w["short_codename"]] = shorts.get(w["short_codename"], 0) + 1
        communes = tuple(
            Unit(
                w["code"],
                w["name"],
                w["division_type"],
                _slug(w["short_codename"] if shorts[w["short_codename"]] == 1 else w["codename"]),
            )
            for w in p["wards"]
        )
        out.append(Province(Unit(p["code"], p["name"], p["division_type"], _slug(p["codename"])), communes))
    return tuple(out)


def province(key: str | int) -> Province | None:
    """A province by official code (4, "04"), slug ("cao-bang") or name ("Cao Bằng", "tỉnh Cao Bằng")."""
    text = str(key).strip()
    if text.isdigit():
        return next((p for p in provinces() if p.unit.code == int(text)), None)
    folded = fold(text)
    return next(
        (p for p in provinces() if p.unit.slug == text or fold(p.unit.name) == folded or fold(p.unit.label) == folded),
        None,
    )


def suggest_province(key: str | int) -> Province | None:
    names = {fold(p.unit.name): p for p in provinces()}
    match = difflib.get_close_matches(fold(str(key)).replace("-", " "), list(names), n=1, cutoff=0.6)
    return names[match[0]] if match else None
