"""stations.yaml: commune loudspeaker stations, their voices, slots and wording (loa/radio)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator

from loa.config.areas import AreaBook
from loa.config.files import FileModel, Slug, Time, between, matching, read_yaml, validate
from loa.errors import ConfigError
from loa.radio.programme import Wording, check_template

_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


@dataclass(frozen=True)
class Slot:
    """A daily broadcast slot of a radio station (stations.yaml `slots`)."""

    time: str  # "06:00", local time (Config.timezone)
    max_minutes: float = 30.0  # the playlist never runs longer (emergencies excepted); the rest is carried over
    days: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)  # ISO weekdays it airs on


@dataclass(frozen=True)
class Station:
    """A commune loudspeaker station (stations.yaml; loa/radio builds its playlists)."""

    id: str
    area: str
    name: str
    area_code: int | None = None  # the official code of `area` (from areas.yaml's map)
    voice: str = "vi"  # espeak-ng: vi (northern), vi-vn-x-central, vi-vn-x-south
    languages: tuple[str, ...] = ("vi",)
    rate: int = 150  # words per minute
    pitch: int = 50
    loudness_lufs: float = -16.0  # EBU R128 target of every file it airs (synthetic and human)
    true_peak_db: float = -1.5
    lead_silence: float = 0.5  # seconds of silence before and after each notice's audio
    tail_silence: float = 0.7
    slots: tuple[Slot, ...] = ()
    airings: int = 3  # each notice version airs this many times ...
    over_days: int = 3  # ... spread over this many days (at most ceil(airings / over_days) a day)
    intro: Path | None = None  # jingle opening each playlist (loudness-normalised to the target)
    outro: Path | None = None
    voice_command: tuple[str, ...] = ()  # `engine: {command: [...]}`: another TTS engine; () is espeak-ng
    programme: Wording = Wording()  # what the station says around its notices (loa.radio.programme)


@dataclass(frozen=True)
class RadioSettings:
    """stations.yaml's top level: when slot playlists are built, and the defaults every station starts from."""

    build_minutes_before: int = 5  # the slot deployments run this long before each slot
    defaults: Station = Station(id="defaults", area="", name="defaults")  # also the website's audio voice


Voice = Annotated[
    str,
    matching(
        r"(vi|vi-vn-x-central|vi-vn-x-south)(\+[a-z0-9]+)?",
        "{} is not a Vietnamese espeak-ng voice (vi, vi-vn-x-central or vi-vn-x-south, optionally +variant)",
    ),
]


class SlotFile(FileModel):
    time: Time
    max_minutes: Annotated[float, between(1, 240)] = 30.0
    days: list[str | int] = Field([1, 2, 3, 4, 5, 6, 7], min_length=1)

    @field_validator("days")
    @classmethod
    def _days(cls, days: list[str | int]) -> list[int]:
        out = []
        for day in days:
            number = _DAYS.get(day.lower()[:3]) if isinstance(day, str) else day
            if not isinstance(number, int) or not 1 <= number <= 7:
                raise ValueError(f"{day!r} is not a day (mon..sun or 1..7)")
            out.append(number)
        return sorted(set(out))


class ProgrammeFile(FileModel):
    """A station's wording; each sentence may use {station}, {office} and {area}."""

    opening: str | None = None
    emergency_opening: str | None = None
    bridge: str | None = None
    repeat: str | None = None
    closing: str | None = None
    office: str | None = None

    @field_validator("*")
    @classmethod
    def _sentence(cls, text: str | None, info) -> str | None:  # noqa: ANN001 (pydantic's ValidationInfo)
        if text is None:
            return None
        if not text.strip():
            raise ValueError("must be a non-empty sentence")
        if info.field_name != "office" and (why := check_template(text)):
            raise ValueError(why)
        return " ".join(text.split())


class StationFile(FileModel):
    """A station, or stations.yaml `defaults`: every key left out is taken from the defaults."""

    id: Slug | None = None
    name: str | None = None
    area: str | None = None
    voice: Voice | None = None
    languages: Annotated[list[str], Field(min_length=1)] | None = None
    rate: Annotated[int, between(80, 450)] | None = None  # words per minute
    pitch: Annotated[int, between(0, 99)] | None = None
    loudness_lufs: Annotated[float, between(-40, -5)] | None = None
    true_peak_db: Annotated[float, between(-20, 0)] | None = None
    lead_silence: Annotated[float, between(0, 30)] | None = None
    tail_silence: Annotated[float, between(0, 30)] | None = None
    slots: list[SlotFile] | None = None
    airings: Annotated[int, between(1, 100)] | None = None
    over_days: Annotated[int, between(1, 90)] | None = None
    intro: str | None = None
    outro: str | None = None
    engine: object = None  # "espeak-ng" or {command: [program, arg, ...]}: checked by _engine (keys of its own)
    programme: ProgrammeFile | None = None

    @field_validator("languages")
    @classmethod
    def _languages(cls, langs: list[str] | None) -> list[str] | None:
        import re

        for lang in langs or []:
            if not re.fullmatch(r"[a-z]{2,8}", lang) or langs.count(lang) > 1:  # type: ignore[union-attr]
                raise ValueError(f"{lang!r} is not a unique language code like vi, tay, nung, hmn")
        return langs

    @field_validator("slots")
    @classmethod
    def _unique_slots(cls, slots: list[SlotFile] | None) -> list[SlotFile] | None:
        if slots is not None and not slots:
            raise ValueError("lists no slot; a station airs at least one, e.g. {time: '06:00', max_minutes: 20}")
        return slots


class StationsFile(FileModel):
    build_minutes_before: Annotated[int, between(1, 120)] = 5
    defaults: StationFile = StationFile()
    stations: list[StationFile] = []


def load_stations(file: Path, book: AreaBook) -> tuple[RadioSettings, tuple[Station, ...]]:
    spec = validate(StationsFile, read_yaml(file), file)
    for key in ("id", "name", "area"):
        if getattr(spec.defaults, key) is not None:
            raise ConfigError(str(file), f"defaults.{key}", "belongs to each station, not to `defaults`")
    base = _station(spec.defaults, RadioSettings().defaults, file, "defaults.")
    stations: list[Station] = []
    for i, item in enumerate(spec.stations):
        where = f"stations[{i}]."
        if item.id is None or item.area is None:
            raise ConfigError(str(file), where + ("id" if item.id is None else "area"), "is required")
        if any(s.id == item.id for s in stations):
            raise ConfigError(str(file), where + "id", f"{item.id!r} is listed twice")
        area = book.check(item.area, file, where + "area")
        station = dataclasses.replace(
            _station(item, base, file, where), id=item.id, area=area, name=item.name or item.id
        )
        station = dataclasses.replace(station, area_code=book.area_code(area))
        if not station.slots:
            raise ConfigError(
                str(file),
                where + "slots",
                "is missing, and `defaults` has none: list the daily slots, e.g. [{time: '06:00', max_minutes: 20}]",
            )
        stations.append(station)
    return RadioSettings(spec.build_minutes_before, base), tuple(stations)


def _station(item: StationFile, base: Station, file: Path, where: str) -> Station:
    """A station's settings: its own keys over stations.yaml `defaults` (`base`)."""
    values: dict[str, object] = {
        k: getattr(item, k)
        for k in ("voice", "rate", "pitch", "loudness_lufs", "true_peak_db", "lead_silence", "tail_silence")
        if getattr(item, k) is not None
    }
    values |= {k: getattr(item, k) for k in ("airings", "over_days") if getattr(item, k) is not None}
    if item.languages is not None:
        values["languages"] = tuple(item.languages)
    if item.slots is not None:
        for k, slot in enumerate(item.slots):
            if any(other.time == slot.time for other in item.slots[:k]):
                raise ConfigError(str(file), f"{where}slots[{k}].time", f"{slot.time!r} is listed twice")
        values["slots"] = tuple(Slot(s.time, s.max_minutes, tuple(s.days)) for s in sorted(item.slots, key=_time))  # type: ignore[arg-type]
    for key in ("intro", "outro"):
        jingle = getattr(item, key)
        if jingle:
            path = (file.parent / jingle).resolve()
            if not path.is_file():
                raise ConfigError(
                    str(file), where + key, f"jingle {jingle!r} not found (paths are relative to {file.parent})"
                )
            values[key] = path
    if item.engine is not None:
        values["voice_command"] = _engine(item.engine, file, where)
    if item.programme is not None:
        wording = {k: v for k, v in item.programme.model_dump().items() if v is not None}
        values["programme"] = dataclasses.replace(base.programme, **wording)
    return dataclasses.replace(base, **values)  # type: ignore[arg-type]


def _engine(engine: object, file: Path, where: str) -> tuple[str, ...]:
    """`engine: espeak-ng` (built in) or `engine: {command: [program, arg, ...]}`, checked now (shape,
    placeholders, program found) so a bad voice fails at start, not at the first notice."""
    if engine == "espeak-ng":
        return ()
    if not isinstance(engine, dict) or set(engine) != {"command"}:
        raise ConfigError(
            str(file), where + "engine", f"{engine!r} is not espeak-ng or {{command: [program, arg, ...]}}"
        )
    from loa.speech.tts import voice_command_problem

    problem = voice_command_problem(engine["command"])
    if problem:
        raise ConfigError(str(file), where + "engine.command", problem)
    return tuple(engine["command"])


def _time(slot: SlotFile) -> str:
    return slot.time
