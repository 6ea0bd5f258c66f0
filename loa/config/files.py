"""Reading a config file and turning a validation failure into one line: file, key, problem."""

from __future__ import annotations

import logging
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from loa.errors import ConfigError

log = logging.getLogger(__name__)


M = TypeVar("M", bound=BaseModel)


class FileModel(BaseModel):
    """The shape of a config file or of one of its mappings: unknown keys refused, no type coercion
    ("600" is not a number), frozen once read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def checked(ok: Callable[[Any], object], problem: str) -> AfterValidator:
    """A check on a parsed value; `problem` (formatted with the value's repr) says what is wrong."""

    def check(value: Any) -> Any:
        if not ok(value):
            raise ValueError(problem.format(_show(value)))
        return value

    return AfterValidator(check)


def _show(value: Any) -> str:
    """A value as the operator wrote it: -3, not -3.0 (strict floats turn YAML integers into floats)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else repr(value)


def matching(pattern: str, problem: str) -> AfterValidator:
    return checked(lambda v: re.fullmatch(pattern, v), problem)


def between(low: float, high: float, problem: str = "") -> AfterValidator:
    """A number within bounds: "{value} is outside low..high" (or `problem`)."""
    return checked(lambda v: low <= v <= high, problem or f"{{}} is outside {low:g}..{high:g}")


def one_of(*values: str, problem: str = "") -> AfterValidator:
    return checked(lambda v: v in values, problem or "{} must be one of " + ", ".join(values))


Slug = Annotated[str, matching(r"[a-z0-9]+(?:-[a-z0-9]+)*", "{} is not a lowercase ASCII slug like 'hoa-an'")]
Time = Annotated[str, matching(r"([01]\d|2[0-3]):[0-5]\d", "{} is not a time like '06:00'")]


# libyaml's safe loader when PyYAML has it (its wheels do): every command reads every config file
# first, and the pure-Python loader took ~0.1 s of each command's start on the bundled files
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, *, hint: str = "copy it from the packaged defaults (loa/defaults/config/)") -> dict[str, Any]:
    """A config file's top-level mapping; a missing file, bad YAML or another shape is one ConfigError."""
    if not path.is_file():
        raise ConfigError(str(path), "(file)", f"not found; {hint}")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
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
    elif kind in _TYPES:
        problem = f"{value!r} is not {_TYPES[kind]}"
    elif kind == "too_short" and not value:
        problem = "is empty; list at least one"
    elif kind in _BOUNDS:
        limit = next(iter((error.get("ctx") or {}).values()), "?")
        problem = f"{value!r} must be {_BOUNDS[kind]} {limit}"
    else:
        problem = f"{value!r}: {error['msg'].replace(chr(10), ' ')}"
    return ConfigError(str(file), key, problem)


_TYPES = {
    "int_type": "a whole number",
    "float_type": "a number",
    "string_type": "a text (quote it)",
    "bool_type": "true or false",
    "list_type": "a list",
    "model_type": "a mapping of keys to values",
    "dict_type": "a mapping of keys to values",
}
_BOUNDS = {
    "greater_than_equal": "at least",
    "greater_than": "more than",
    "less_than_equal": "at most",
    "less_than": "less than",
    "too_short": "at least this long:",
    "too_long": "at most this long:",
}


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
