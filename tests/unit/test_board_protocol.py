"""The board protocol without a broker: payloads valid against docs/schemas, lines within each profile's budget,
what boards report parsed defensively, boards.yaml validated with errors that name file, key and value."""

import json
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import yaml

from channels.boards import Boards
from loa.board_protocol import (
    BoardProfile,
    ack_payload,
    board_subscriptions,
    parse_report,
    status_payload,
    wrap,
)
from loa.board_text import BoardSource, board_lines
from loa.config.boards import load_boards as load_board_settings
from loa.errors import ConfigError
from loa.model import Priority
from loa.signing import verify
from tests.unit.test_store import draft

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
NOW = datetime(2026, 11, 27, 8, tzinfo=UTC)
TEXT = (
    "Kế hoạch số 3627/KH-UBND của Ủy ban nhân dân tỉnh Cao Bằng về cải cách hành chính năm 2026: "
    "đẩy mạnh dịch vụ công trực tuyến toàn trình, số hóa hồ sơ, kết quả giải quyết thủ tục hành chính; "
    "người dân nộp hồ sơ qua Cổng dịch vụ công quốc gia và nhận kết quả tại nhà qua bưu điện. "
) * 3


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("width,lines", [(160, 1), (40, 15), (24, 4), (12, 3)])
def test_lines_fit_every_profile_and_cut_text_ends_with_an_ellipsis(width, lines):
    profile = BoardProfile("p", "p", width, lines)
    wrapped = wrap(TEXT, profile)
    assert 1 <= len(wrapped) <= lines
    assert all(0 < len(line) <= width for line in wrapped)
    assert sum(map(len, wrapped)) <= profile.budget
    assert wrapped[-1].endswith("…")  # TEXT is longer than every budget here
    assert " ".join(wrapped).rstrip("…").split()[:3] == TEXT.split()[:3]  # words kept in order, none split


def test_short_text_is_kept_whole_and_counted_in_nfc_characters():
    decomposed = unicodedata.normalize("NFD", "Thông báo lịch tiếp công dân")  # 'ô' as o + combining marks
    assert len(decomposed) > 28
    assert wrap(decomposed, BoardProfile("t", "t", 28, 1)) == ["Thông báo lịch tiếp công dân"]


def test_a_word_longer_than_a_line_is_cut():
    assert wrap("https://dichvucong.caobang.gov.vn/thu-tuc", BoardProfile("n", "n", 16, 3)) == [
        "https://dichvuco",
        "ng.caobang.gov.v",
        "n/thu-tuc",
    ]


def test_a_real_payload_is_valid_signed_and_wrapped_per_profile(cfg, sqlite_store):
    n = draft(sqlite_store, areas=["cao-bang/nam-tuan"])
    sqlite_store.set_variant(n.id, "boards", TEXT, "Nông Thị Hoa")
    n = sqlite_store.transition(n.id, "approve", "Nông Thị Hoa")
    n.priority, n.expires_at = Priority.EMERGENCY, NOW + timedelta(days=3)
    boards = Boards(cfg, sqlite_store)
    payload = json.loads(json.dumps(boards.payload(n, "cao-bang/nam-tuan"), ensure_ascii=False))
    validator("notice").validate(payload)
    validator("key").validate(boards.signer.public_key_document())
    assert verify(payload, boards.signer.public_key_document()["public_key"])
    assert payload["priority"] == "emergency" and payload["expires_at"] == "2026-11-30T08:00:00Z"
    assert payload["area_name"] == "xã Nam Tuấn" and payload["url"].endswith(f"/notices/{n.id}.html")
    for profile in cfg.boards.profiles:  # 160-character ticker, 600-character panel
        lines = payload["lines"][profile.id]
        assert len(lines) <= profile.lines and all(len(line) <= profile.width for line in lines)
    assert len(payload["lines"]["ticker"]) == 1 and len(payload["lines"]["ticker"][0]) <= 160
    assert sum(map(len, payload["lines"]["panel"])) <= 600
    # tampering, or dropping the signature, fails both the schema and the signature
    tampered = dict(payload, title="Khẩn cấp: giả mạo")
    assert not verify(tampered, boards.signer.public_key_document()["public_key"])
    with pytest.raises(jsonschema.ValidationError):
        validator("notice").validate({k: v for k, v in payload.items() if k != "signature"})


def test_status_and_ack_payloads_match_their_schemas_and_parse_back():
    status = status_payload(
        "nam-tuan-ubnd", "online", area="cao-bang/nam-tuan", profile="panel", software="loa-reference-board/1", at=NOW
    )
    will = status_payload("nam-tuan-ubnd", "offline")
    ack = ack_payload("nam-tuan-ubnd", {"id": 7, "version": 2, "area": "cao-bang"}, shown_at=NOW)
    for name, doc in (("status", status), ("status", will), ("ack", ack)):
        validator(name).validate(doc)
    prefix = "loa/v1"
    got = parse_report(prefix, "loa/v1/boards/nam-tuan-ubnd/status", json.dumps(will).encode(), NOW)
    assert (got.board, got.kind, got.state) == ("nam-tuan-ubnd", "status", "offline")
    got = parse_report(prefix, "loa/v1/boards/nam-tuan-ubnd/ack", json.dumps(ack).encode(), NOW)
    assert (got.kind, got.notice, got.version, got.area, got.shown_at) == ("ack", 7, 2, "cao-bang", NOW)


def test_reports_take_the_board_from_the_topic_and_drop_garbage():
    p, at = "loa/v1", NOW
    # the payload claims another board: the topic (which the ACL ties to the account) wins
    lie = parse_report(p, "loa/v1/boards/a/status", b'{"board": "b", "state": "online"}', at)
    assert lie.board == "a"
    assert parse_report(p, "loa/v1/boards/a/status", b"offline", at).state == "offline"
    for topic, payload in [
        ("loa/v1/boards/a/status", b'{"state": "asleep"}'),
        ("loa/v1/boards/a/status", b"\xff\xfe"),
        ("loa/v1/boards/a/ack", b'{"notice": "7", "version": 1}'),
        ("loa/v1/boards/a/ack", b"[1, 2]"),
        ("loa/v1/boards/a/other", b'{"state": "online"}'),
        ("loa/v1/areas/cao-bang/notices/1", b'{"state": "online"}'),
    ]:
        assert parse_report(p, topic, payload, at) is None, (topic, payload)


def test_a_commune_board_subscribes_to_its_commune_and_province():
    assert board_subscriptions("loa/v1", "cao-bang/nam-tuan") == [
        "loa/v1/areas/cao-bang/notices/+",
        "loa/v1/areas/cao-bang/nam-tuan/notices/+",
    ]


@pytest.mark.parametrize(
    "old,new",
    [
        ("cao-bang/hoa-an/hong-viet", "cao-bang/hoa-an"),  # xã Hồng Việt is part of xã Hòa An since 1 July 2025
        ("cao-bang/hoa-an/nam-tuan", "cao-bang/nam-tuan"),  # the old district segment must not leak into the chain
        ("cao-bang/trung-khanh/dam-thuy", "cao-bang/dam-thuy"),
    ],
)
def test_a_board_still_set_up_with_a_pre_2025_path_reads_its_2025_commune(old, new):
    assert board_subscriptions("loa/v1", old) == board_subscriptions("loa/v1", new)
    assert board_subscriptions("loa/v1", "cao-bang/atlantis/x") == [  # unknown: as given, nothing invented
        "loa/v1/areas/cao-bang/notices/+",
        "loa/v1/areas/cao-bang/atlantis/notices/+",
        "loa/v1/areas/cao-bang/atlantis/x/notices/+",
    ]


@pytest.mark.parametrize(
    "change,key,words",
    [
        ({"profiles": [{"id": "panel", "name": "x", "width": 5, "lines": 3}]}, "profiles[0].width", "5 is not between"),
        ({"profiles": [{"id": "Panel!", "name": "x", "width": 40, "lines": 3}]}, "profiles[0].id", "'Panel!'"),
        ({"profiles": [{"id": "panel", "name": "x", "width": 40}]}, "profiles[0].lines", "is required"),
        ({"profiles": []}, "profiles", "is empty"),
        ({"broker_ws_url": "http://x/mqtt"}, "broker_ws_url", "ws:// or wss://"),
        ({"default_profile": "wall"}, "default_profile", "'wall'"),
    ],
)
def test_bad_boards_yaml_names_file_key_and_value(tmp_path, change, key, words):
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "boards.yaml").read_text())
    data.update(change)
    path = tmp_path / "boards.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ConfigError) as info:
        load_board_settings(path)
    assert info.value.file == str(path) and info.value.key == key and words in info.value.problem


def _doc_example(name: str) -> dict:
    text = (Path(__file__).resolve().parents[2] / "docs" / "boards.md").read_text(encoding="utf-8")
    block = text.split(f"<!-- example: {name} -->", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    return json.loads(block)


def test_the_documented_example_is_valid_and_its_test_vector_verifies():
    """docs/boards.md §6.4: a vendor checks their verifier against this, so it must stay true."""
    import base64
    import hashlib

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    notice, key = _doc_example("notice"), _doc_example("key")
    validator("notice").validate(notice)
    validator("key").validate(key)
    private = Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"loa docs test key - never used to sign real notices").digest()
    )
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key["public_key"] == base64.b64encode(raw).decode()
    assert key["key_id"] == hashlib.sha256(raw).hexdigest()[:16] == notice["signature"]["key_id"]
    assert verify(notice, key["public_key"])
    assert not verify(dict(notice, body=notice["body"].replace("thứ Năm", "thứ Sáu")), key["public_key"])
    d = notice["document"]
    src = BoardSource(notice["title"], notice["body"], d["number"], d["type"], d["issued_on"], notice["url"])
    for profile in (BoardProfile("ticker", "", 160, 1, "ticker.txt"), BoardProfile("panel", "", 40, 15, "panel.txt")):
        assert notice["lines"][profile.id] == board_lines(src, profile)
