"""Reading a config file and turning a validation failure into one line: file, key, problem."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from loa.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class FileModel(BaseModel):
    """The shape of a config file or of one of its mappings: unknown keys refused, no type coercion
    ("600" is not a number), frozen once read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def read_yaml(path: Path, *, hint: str = "copy it from the packaged defaults (loa/defaults/config/)") -> dict[str, Any]:
    """A config file's top-level mapping; a missing file, bad YAML or another shape is one ConfigError."""
    if not path.is_file():
        raise ConfigError(str(path), "(file)", f"not found; {hint}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "(file)", f"is not valid YAML: {exc}".replace("\n", " ")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(str(path), "(top level)", "must be a mapping of keys to values")
    return data


def validate(model: type[M], data: Any, file: Path, prefix: str = "") -> M:
    """`data` as `model`, or the first problem as one ConfigError naming the file and the key."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise one_line(exc, model, file, prefix) from None


def key_of(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """A pydantic error location as the key an operator reads: stations[0].slots[1].time."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and not str(part).startswith(("function-", "union[", "literal[", "tagged-union")):
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def one_line(exc: ValidationError, model: type[BaseModel], file: Path, prefix: str = "") -> ConfigError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(p for p in error["loc"] if not _is_branch(p))
    key = key_of(loc, prefix)
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        problem = "is not a known key" + (f"; expected one of {', '.join(known)}" if known else "; remove it")
    elif kind == "missing":
        problem = "is required"
    elif kind == "value_error":
        problem = str(error["ctx"]["error"])
    else:
        problem = f"{value!r}: {error['msg'].replace(chr(10), ' ')}"
        if kind.endswith("_type") or kind.startswith(("literal", "union")):
            problem += " (fix the value's type; quote a time like '06:00')"
    return ConfigError(str(file), key, problem)


def _is_branch(part: int | str) -> bool:
    """Union branch names pydantic inserts into a location ("str", "int", "EngineCommand")."""
    return isinstance(part, str) and (
        part in ("str", "int", "float", "bool", "list[str]", "list[int]", "none")
        or part.startswith(("function-", "union[", "literal[", "tagged-union", "list["))
        or part in _model_names(FileModel)
    )


def _model_names(root: type[BaseModel]) -> set[str]:
    names = set()
    for sub in root.__subclasses__():
        names |= {sub.__name__, *_model_names(sub)}
    return names


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed at `loc` inside `model` (for the unknown-key message)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        sub = _model_in(current)
        if sub is None or part not in sub.model_fields:
            return []
        current = sub.model_fields[part].annotation
    found = _model_in(current)
    return sorted(found.model_fields) if found else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, tuple, dict, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
