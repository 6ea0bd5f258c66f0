"""The config is one frozen object, loaded without side effects; the packaged defaults work anywhere."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from loa.config import PACKAGED_CONFIG, Env, embedded_password, ensure_secrets, load_config, start
from loa.config.files import key_of
from loa.speech import tts


def test_packaged_sample_feed_does_not_depend_on_cwd_or_where_config_was_copied(tmp_path, monkeypatch):
    copy = tmp_path / "somewhere" / "else" / "config"
    shutil.copytree(PACKAGED_CONFIG, copy)
    monkeypatch.chdir(tmp_path)
    cfg = load_config(Env(home=tmp_path / "home", config_dir=copy))
    sample = cfg.feeds[0]
    assert sample.url.startswith("file:///") and sample.url.endswith("/loa/defaults/feeds/sample-reform.xml")
    assert Path(sample.url[len("file://") :]).is_file()
    assert load_config(Env(home=tmp_path / "home", config_dir=PACKAGED_CONFIG)).feeds[0].url == sample.url


def test_a_relative_file_url_is_relative_to_the_config_folder(tmp_path):
    copy = tmp_path / "config"
    shutil.copytree(PACKAGED_CONFIG, copy)
    (tmp_path / "feeds").mkdir()
    (copy / "feeds.yaml").write_text('feeds: [{url: "file://../feeds/mine.xml", area: cao-bang}]\n')
    cfg = load_config(Env(home=tmp_path / "home", config_dir=copy))
    assert cfg.feeds[0].url == (tmp_path / "feeds" / "mine.xml").as_uri()


def test_without_loa_config_dir_the_packaged_defaults_are_used(monkeypatch, tmp_path):
    monkeypatch.delenv("LOA_CONFIG_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # an empty folder: no ./config
    assert Env().config_dir == PACKAGED_CONFIG
    monkeypatch.setenv("LOA_CONFIG_DIR", str(tmp_path))
    assert Env().config_dir == tmp_path


def test_config_is_frozen_and_variants_are_copies(cfg):
    with pytest.raises(ValidationError):
        cfg.site_url = "https://elsewhere.example"
    other = cfg.model_copy(update={"site_url": "https://elsewhere.example"})
    assert other.site_url == "https://elsewhere.example" and cfg.site_url != other.site_url
    assert other.stations is cfg.stations and isinstance(cfg.stations, tuple)


def test_loading_creates_nothing_and_start_makes_the_secrets(tmp_path):
    cfg = load_config(Env(home=tmp_path / "home", config_dir=PACKAGED_CONFIG))
    assert not (tmp_path / "home").exists()
    assert cfg.mqtt.password is None  # read, never created, by the property
    ensure_secrets(cfg.home)
    secret = cfg.home / "secrets" / "mqtt-loa-publisher"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert cfg.mqtt.password == embedded_password(cfg.home) and len(cfg.mqtt.password or "") >= 24
    assert cfg.mqtt_monitor.username == "loa-monitor" and cfg.mqtt_monitor.password
    ensure_secrets(cfg.home)  # idempotent: the same passwords
    assert cfg.mqtt.password == embedded_password(cfg.home)


def test_speech_tools_are_read_at_load_not_at_import(tmp_path, monkeypatch):
    before = (tts.ESPEAK_BIN, tts.FFMPEG_BIN, tts.FFPROBE_BIN)
    monkeypatch.setenv("LOA_FFMPEG_BIN", "/opt/ff/ffmpeg")
    try:
        cfg = start(load_config(Env(home=tmp_path / "home", config_dir=PACKAGED_CONFIG)))
        assert cfg.env.ffmpeg_bin == "/opt/ff/ffmpeg" and tts.FFMPEG_BIN == "/opt/ff/ffmpeg"
    finally:
        tts.use_tools(*before)
    assert os.environ["LOA_FFMPEG_BIN"] == "/opt/ff/ffmpeg"


def test_error_locations_read_like_the_file():
    assert key_of(("stations", 0, "slots", 1, "time")) == "stations[0].slots[1].time"
    assert key_of(("ports", "web")) == "ports.web"
    assert key_of(()) == "(top level)"
