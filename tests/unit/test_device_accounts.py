"""loa.app.device_accounts without a broker: what a failed write says, when the new password is probed,
and how a removal is written (the integration tests run the same paths against Mosquitto)."""

from __future__ import annotations

import pytest

from loa.app import broker
from loa.app.device_accounts import apply_account
from loa.errors import LoaError, ToolError


@pytest.fixture
def written(monkeypatch) -> list:
    calls: list = []

    def set_device_accounts(cfg, accounts, remove=()):
        calls.append((accounts, remove))
        return True

    monkeypatch.setattr(broker, "manages_accounts", lambda cfg: True)
    monkeypatch.setattr(broker, "set_device_accounts", set_device_accounts)
    return calls


def test_a_failed_write_names_the_device_and_the_broker_folder(cfg, written, monkeypatch):
    def broken(cfg, accounts, remove=()):
        raise ToolError("mosquitto_passwd failed hashing the passwords; check the mosquitto installation")

    monkeypatch.setattr(broker, "set_device_accounts", broken)
    with pytest.raises(
        LoaError, match=r"^board 'b-1' is registered but .*\(mosquitto_passwd failed.*check .*mosquitto"
    ):
        apply_account(cfg, "b-1", "pw", "board 'b-1' is registered but its broker account was not created")


def test_the_new_password_is_probed_until_the_broker_accepts_it(cfg, written, monkeypatch):
    answers = iter(["not authorised", "not authorised", None])
    monkeypatch.setattr("channels.mqtt.probe", lambda url: next(answers))
    assert apply_account(cfg, "spk-1", "pw", "speaker 'spk-1'") == (True, True)
    assert written == [([("spk-1", "pw")], ())]


def test_a_removed_account_is_not_probed_and_another_broker_is_not_written(cfg, written, monkeypatch):
    monkeypatch.setattr("channels.mqtt.probe", lambda url: pytest.fail("a removed account was probed"))
    assert apply_account(cfg, "spk-1", None, "speaker 'spk-1'") == (True, None)
    assert written == [([], ("spk-1",))]
    monkeypatch.setattr(broker, "manages_accounts", lambda cfg: False)
    assert apply_account(cfg, "spk-2", "pw", "speaker 'spk-2'") == (False, None)
    assert len(written) == 1
