"""loa.yaml `cap` and `messaging`, feeds.yaml `kind`: a bad value stops start-up naming file, key and problem."""

import pytest

from loa.config import Env, load_config, mask_url
from loa.errors import ConfigError
from tests.conftest import write_config


def load(tmp_path, feeds=(), **main):
    folder = write_config(tmp_path / "config", feeds=list(feeds), **main)
    return load_config(Env(home=tmp_path / "home", config_dir=folder))


def test_defaults_come_from_the_site(tmp_path):
    cfg = load(tmp_path)
    assert cfg.cap.sender == "loa@127.0.0.1" and cfg.cap.sender_name == cfg.site_title and cfg.messaging == ()


@pytest.mark.parametrize(
    "main,key,words",
    [
        ({"cap": {"sender": "ubnd caobang"}}, "cap.sender", "no spaces"),
        (
            {"messaging": [{"name": "a", "kind": "fax", "url": "json://x"}]},
            "messaging[0].kind",
            "not sms, chat or email",
        ),
        ({"messaging": [{"name": "a", "kind": "sms", "url": "nothing://x"}]}, "messaging[0].url", "apprise"),
        (
            {"messaging": [{"name": "a", "kind": "sms", "url": "json://h/${LOA_NOT_SET_ANYWHERE}"}]},
            "messaging[0].url",
            "LOA_NOT_SET_ANYWHERE is not set",
        ),
        (
            {"messaging": [{"name": "a", "kind": "sms", "url": "json://h", "segments": 11}]},
            "messaging[0].segments",
            "outside",
        ),
        (
            {"messaging": [{"name": "a", "kind": "sms", "url": "json://h", "areas": ["ha-giang"]}]},
            "messaging[0].areas",
            "not in areas.yaml",
        ),
    ],
)
def test_bad_values_name_the_key(tmp_path, main, key, words):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, **main)
    assert key in str(err.value) and words in str(err.value) and "loa.yaml" in str(err.value)


def test_feed_kind(tmp_path):
    cfg = load(tmp_path, feeds=[{"url": "https://kttv.gov.vn/cap.atom", "area": "cao-bang", "kind": "cap"}])
    assert cfg.feeds[0].kind == "cap"
    with pytest.raises(ConfigError, match=r"feeds\[0\]\.kind.*rss \(documents\) or cap"):
        load(tmp_path, feeds=[{"url": "https://kttv.gov.vn/cap.atom", "area": "cao-bang", "kind": "atom"}])


def test_urls_are_masked():
    assert mask_url("json://user:pw@gw.example.vn:8443/send/abc?+X-Token=t") == "json://***@gw.example.vn:8443/***?***"
    assert mask_url("tgram://123:ABC/456").startswith("tgram://")
    assert "ABC" not in mask_url("tgram://123:ABC/456") and "456" not in mask_url("tgram://123:ABC/456")
