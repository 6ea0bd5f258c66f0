"""The reference speaker accepts only signed, current messages for its own station."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from loa.errors import LoaError
from loa.speaker.credentials import load as load_credentials
from loa.speaker.protocol import Refused, ack_payload, parse_key, parse_play, parse_schedule, parse_stop
from tests.speaker_helpers import STATION, item, new_signer, play, schedule, slot, stop

NOW = datetime.now(UTC)
SHA = "ab" * 32


@pytest.fixture
def signer():
    return new_signer()


@pytest.fixture
def key(signer):
    return parse_key(signer.public_key_document())


def _sched(signer, **kw):
    return schedule(signer, [slot(NOW + timedelta(minutes=5), [item("n1", "http://h/n1.mp3", 3.5, SHA)])], **kw)


def test_a_signed_schedule_parses_with_its_items(signer, key):
    s = parse_schedule(_sched(signer), key, STATION)
    (sl,) = s.slots
    assert sl.items[0].url == "http://h/n1.mp3" and sl.items[0].notice == (7, 1) and sl.seconds == 3.5


def test_forged_tampered_or_foreign_schedules_are_refused(signer, key):
    forged = _sched(new_signer())
    with pytest.raises(Refused, match="not the published key"):
        parse_schedule(forged, key, STATION)
    tampered = _sched(signer)
    tampered["slots"][0]["items"][0]["url"] = "http://evil/n1.mp3"
    with pytest.raises(Refused, match="bad signature"):
        parse_schedule(tampered, key, STATION)
    # a genuine schedule of another station, replayed on this station's topic
    other = schedule(signer, [], station="nam-tuan")
    with pytest.raises(Refused, match="not 'hoa-an'"):
        parse_schedule(other, key, STATION)
    bad_sha = schedule(signer, [slot(NOW, [item("n1", "http://h/n1.mp3", 3, "xyz")])])
    with pytest.raises(Refused, match="sha256"):
        parse_schedule(bad_sha, key, STATION)


def test_pinned_key_refuses_another_key(signer):
    doc = signer.public_key_document()
    assert parse_key(doc, pin=signer.key_id).key_id == signer.key_id
    with pytest.raises(Refused, match="pinned"):
        parse_key(new_signer().public_key_document(), pin=signer.key_id)


def test_play_command_keys_expiry_and_station(signer, key):
    cmd = parse_play(play(signer, [("http://h/radio/alarm-42.mp3", 4, SHA)], key="k-9"), key, STATION, NOW)
    assert cmd.key == "k-9" and cmd.audio[0].name == "alarm-42.mp3" and cmd.notice == (42, 1)
    # without an idempotency key, the notice version is the key
    assert parse_play(play(signer, [("http://h/a.mp3", 4, SHA)], key=None), key, STATION, NOW).key == "notice-42-v1"
    expired = play(signer, [("http://h/a.mp3", 4, SHA)], valid_for=-5)
    with pytest.raises(Refused, match="expired"):
        parse_play(expired, key, STATION, datetime.now(UTC))
    with pytest.raises(Refused, match="station"):
        parse_play(play(signer, [("http://h/a.mp3", 4, SHA)], station="x"), key, STATION, NOW)
    with pytest.raises(Refused, match="not the published key"):
        parse_play(play(new_signer(), [("http://h/a.mp3", 4, SHA)]), key, STATION, NOW)
    assert parse_stop(stop(signer), key, STATION, NOW).notice == (42, 1)


def test_ack_payload_shape():
    a = ack_payload(
        speaker="spk-1", station=STATION, slot=None, item="a.mp3", notice=(42, 1), event="started", at=NOW, command="k"
    )
    assert a["notice"] == {"id": 42, "version": 1} and a["schema"] == "loa.speaker.ack" and a["command"] == "k"
    json.dumps(a)


def test_credentials_from_env_or_owner_only_file(tmp_path):
    assert load_credentials(None, {"LOA_SPEAKER_ID": "spk-1", "LOA_SPEAKER_PASSWORD": "pw"}) == ("spk-1", "pw")
    with pytest.raises(LoaError, match="LOA_SPEAKER_ID"):
        load_credentials(None, {})
    for bad in ("spk-", "Spk-1", "spk/+", "x" * 65):  # the rule `loa speakers add` applies: no account has them
        with pytest.raises(LoaError, match="is not lowercase letters"):
            load_credentials(None, {"LOA_SPEAKER_ID": bad, "LOA_SPEAKER_PASSWORD": "pw"})
    f = tmp_path / "creds"
    f.write_text("# speaker\nid=spk-2\npassword='s3cret'\n")
    f.chmod(0o644)
    with pytest.raises(LoaError, match="chmod 600"):
        load_credentials(f, {})
    f.chmod(0o600)
    assert load_credentials(f, {}) == ("spk-2", "s3cret")
    f.write_text(json.dumps({"id": "spk-3", "password": "p"}))
    assert load_credentials(f, {}) == ("spk-3", "p")
    f.write_text(json.dumps({"id": "Bad Id", "password": "p"}))
    with pytest.raises(LoaError, match="lowercase"):
        load_credentials(f, {})


def test_the_file_loa_speakers_add_writes_names_broker_site_and_station(tmp_path):
    """`loa speaker run --credentials FILE` on a device: the broker and site come from the file `loa speakers
    add` wrote, and a file of another station's speaker is refused (its account reads only that station)."""
    from typer.testing import CliRunner

    from loa.app.cli import app
    from loa.speaker.credentials import read_file

    f = tmp_path / "hoa-an-1.credentials.json"
    doc = {"id": "hoa-an-1", "password": "p", "station": "hoa-an", "mqtt": "mqtt://127.0.0.1:1", "site_url": "http://s"}
    f.write_text(json.dumps(doc))
    f.chmod(0o600)
    assert read_file(f) == {"id": "hoa-an-1", "password": "p", "station": "hoa-an", "mqtt": "mqtt://127.0.0.1:1",
                            "site": "http://s"}  # fmt: skip
    r = CliRunner().invoke(app, ["speaker", "run", "--station", "nam-tuan", "--credentials", str(f)], env={})
    assert r.exit_code == 1
    assert "speaker of station 'hoa-an', not 'nam-tuan'" in " ".join(r.output.split())
