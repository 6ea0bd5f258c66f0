"""One way of doing each thing: one error hierarchy, one clock, one atomic write, one event
contract, one subprocess runner. These read the source tree and import every module, so a new
hand-rolled copy fails here with the file and line that brought it back."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

from loa import clock
from loa.errors import LoaError

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("loa", "channels", "flows")


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "migrations" not in p.parts)


def _modules() -> list[str]:
    names = []
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        names.append(pkg)
        for info in pkgutil.walk_packages(mod.__path__, prefix=f"{pkg}."):
            if ".migrations" not in info.name:
                names.append(info.name)
    return names


def _grep(pattern: str, allowed: set[str]) -> list[str]:
    rx = re.compile(pattern)
    hits = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed:
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if rx.search(code):
                hits.append(f"{rel}:{no}: {line.strip()}")
    return hits


def test_every_error_class_is_a_loa_error():
    defined = []
    for name in _modules():
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == name and issubclass(obj, BaseException):
                defined.append(obj)
    assert len(defined) >= 15, [c.__name__ for c in defined]  # the walk found the modules
    outside = [f"{c.__module__}.{c.__qualname__}" for c in defined if not issubclass(c, LoaError)]
    assert outside == [], "error classes outside LoaError (loa/errors.py): " + ", ".join(outside)


def test_errors_named_in_the_issue_are_loa_errors():
    from channels.mqtt import BrokerUnavailable
    from channels.printed import PdfError as PrintPdfError
    from loa.app.desk.auth import DeskError
    from loa.app.desk.media import RecordingError
    from loa.ingest.pdfmeta import PdfError
    from loa.speech.tts import AudioError

    for cls in (BrokerUnavailable, PrintPdfError, DeskError, RecordingError, PdfError, AudioError):
        assert issubclass(cls, LoaError), cls
    # the ones that were ValueErrors still are, so no caller's except clause changed meaning
    from loa.cap.parse import CapError
    from loa.ingest.extract import ExtractError

    assert issubclass(PdfError, ValueError) and issubclass(CapError, ValueError)
    assert issubclass(ExtractError, ValueError)


def test_the_clock_is_aware_utc():
    t = clock.now()
    assert t.tzinfo is not None and t.utcoffset().total_seconds() == 0


def test_no_datetime_now_outside_the_clock():
    hits = _grep(r"datetime\.(now|utcnow|today)\(|date\.today\(", {"loa/clock.py"})
    assert hits == [], "use loa.clock.now():\n" + "\n".join(hits)


@pytest.mark.parametrize("pattern", [r"os\.replace\(", r"NamedTemporaryFile\(", r"mkstemp\("])
def test_one_atomic_write(pattern):
    hits = _grep(pattern, {"loa/files.py"})
    assert hits == [], "use loa.files.write_atomic / atomic_path:\n" + "\n".join(hits)


def test_every_event_name_is_in_the_contract():
    """Event names ("loa.<kind>.<what>") are written only in loa/events.py; the other dotted
    "loa." strings are payload schemas (named *_SCHEMA), resource-id prefixes or module paths
    (the CLI's lazy command table)."""
    import importlib.util

    dotted = re.compile(r"[\"'](loa\.[a-z_]+\.[a-z_]+)[\"']")

    def a_module(hit: str) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in dotted.findall(hit.split(": ", 1)[1]))

    hits = [
        h
        for h in _grep(dotted.pattern, {"loa/events.py"})
        if "SCHEMA" not in h and "removeprefix" not in h and not a_module(h)
    ]
    assert hits == [], "name events in loa/events.py:\n" + "\n".join(hits)
    from loa import events

    names = [v for k, v in vars(events).items() if k.isupper() and isinstance(v, str)]
    assert "loa.notice.scheduled" in names and "loa.radio.overflow" in names
    assert len(names) == len(set(names))


def test_subprocess_only_through_the_runner():
    """Programs run through loa.tools; the supervised services (loa run's processes, Mosquitto,
    the automations worker) are the documented exceptions."""
    allowed = {"loa/tools.py", "loa/app/run.py", "loa/app/automations.py", "loa/app/broker.py"}
    hits = _grep(r"subprocess\.(run|Popen|call|check_call|check_output)\(|os\.system\(|os\.popen\(", allowed)
    assert hits == [], "run programs through loa.tools:\n" + "\n".join(hits)


IO = re.compile(
    r"open\(|read_text\(|write_text\(|read_bytes\(|write_bytes\(|requests\.|subprocess|\.publish\(|write_atomic\("
)


def test_every_module_that_does_io_has_a_logger():
    missing = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        if not IO.search(text):
            continue
        if "getLogger(__name__)" not in text and "get_run_logger" not in text:
            missing.append(rel)
    assert missing == [], "add log = logging.getLogger(__name__) to: " + ", ".join(missing)
