"""CAP 1.2 validation (loa.cap.schema.problems): each reason names the element and what is wrong, at most
five of 200 characters; bad input is a reason, never an exception; nothing is fetched or expanded."""

import re
import threading
from pathlib import Path

import pytest

from loa.cap.schema import problems

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"
GOOD = (DATA / "hong-viet-alert.xml").read_bytes()


def changed(pattern: bytes, replacement: bytes, count: int = 1) -> bytes:
    done, n = re.subn(pattern, replacement, GOOD, count=count)
    assert n == count, f"{pattern!r} not in the sample alert"
    return done


def test_the_sample_alerts_are_valid_as_bytes_and_as_text():
    for path in sorted(DATA.glob("*.xml")):
        if path.name != "malformed-alert.xml":
            assert problems(path.read_bytes()) == [], path.name
            assert problems(path.read_text(encoding="utf-8")) == [], path.name


def test_a_value_outside_the_enumeration_names_the_element_and_the_value():
    [reason] = problems(changed(rb"<category>Geo</category>", b"<category>Weather</category>"))
    assert reason.startswith("/alert/info/category: ") and "'Weather'" in reason and "'Met'" in reason


def test_a_missing_required_element_names_where_it_is_missing():
    [reason] = problems(changed(rb"\s*<sent>[^<]*</sent>", b""))
    assert reason.startswith("/alert/status: ") and "sent" in reason.split(": ", 1)[1]
    [reason] = problems(changed(rb"</alert>", b"<info><language>vi</language></info></alert>"))
    assert reason.startswith("/alert/info[2]: ") and "category" in reason.split(": ", 1)[1]


@pytest.mark.parametrize("sent", [b"02/12/2026 07:00", b"2026-13-02T07:00:00+07:00", b"2026-12-02T07:00:00Z"])
def test_a_bad_date_names_the_element_and_the_value(sent):
    [reason] = problems(changed(rb"<sent>[^<]*</sent>", b"<sent>" + sent + b"</sent>"))
    assert reason.startswith("/alert/sent: ") and sent.decode() in reason


def test_an_unknown_element_or_attribute_is_named():
    [reason] = problems(changed(rb"<urgency>", b"<bogus/><urgency>"))
    assert reason.startswith("/alert/info/bogus: ")
    [reason] = problems(changed(rb"<info>", b"<info lang='vi'>"))
    assert reason.startswith("/alert/info: ") and "'lang'" in reason


def test_not_cap_names_the_root_with_a_foreign_namespace():
    assert problems(b"<html><body>503 Service Unavailable</body></html>")[0].startswith("/html: ")
    cap11 = GOOD.replace(b"emergency:cap:1.2", b"emergency:cap:1.1")
    assert problems(cap11)[0].startswith("/{urn:oasis:names:tc:emergency:cap:1.1}alert: ")


def test_at_most_five_reasons_of_at_most_200_characters():
    many = changed(rb"<category>Geo</category>", b"<category>" + b"x" * 300 + b"</category>")
    many = re.sub(rb"<(urgency|severity|certainty)>[^<]*<", rb"<\1>Never<", many)
    many = re.sub(rb"<(effective|expires)>[^<]*<", rb"<\1>soon<", many)
    found = problems(many)
    assert len(found) == 5 and all(len(r) <= 200 for r in found)
    assert found[0].startswith("/alert/info/category: ")


@pytest.mark.parametrize(
    "junk", [b"", b"\xff\xfe\x00", b"no xml at all", "/etc/passwd", GOOD[:200], b"<alert>" * 300 + b"x"]
)
def test_not_well_formed_is_one_line_never_an_exception(junk):
    [reason] = problems(junk)
    assert reason.startswith("not well-formed XML: ") and "\n" not in reason and len(reason) <= 200


def test_entities_are_not_expanded_and_nothing_is_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>'
    )
    [reason] = problems(xxe.encode())
    assert reason.startswith("/alert/identifier: entity reference &x;") and "TOP-SECRET" not in reason
    dtd = b'<!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">' + GOOD.split(b"?>", 1)[1]
    assert problems(dtd) == []  # the external DTD is neither fetched nor needed


def test_threads_validating_at_once_keep_their_own_reasons():
    bad = changed(rb"<category>Geo</category>", b"<category>Weather</category>")
    seen: dict[str, set] = {"good": set(), "bad": set()}

    def run(kind, data):
        for _ in range(1000):
            seen[kind].add(tuple(problems(data)))

    threads = [threading.Thread(target=run, args=(k, d)) for k, d in (("good", GOOD), ("bad", bad))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["good"] == {()} and len(seen["bad"]) == 1 and next(iter(seen["bad"]))[0].startswith("/alert/info/")
