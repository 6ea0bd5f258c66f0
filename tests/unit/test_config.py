"""A bad config file stops start-up with one line naming the file, the key and what is wrong."""

import pytest
import yaml

from loa.config import Env, MqttURL, load_config
from loa.errors import ConfigError
from tests.conftest import write_config


def _load(tmp_path, edit):
    folder = write_config(tmp_path / "config", feeds=[{"url": "http://127.0.0.1/f.xml", "area": "cao-bang"}])
    edit(folder)
    return load_config(Env(home=tmp_path / "home", config_dir=folder))


def _set(folder, name, mutate):
    data = yaml.safe_load((folder / name).read_text())
    mutate(data)
    (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True))


def test_shipped_config_loads(tmp_path):
    cfg = _load(tmp_path, lambda f: None)
    assert cfg.areas["cao-bang/hoa-an/hong-viet"].name == "xã Hồng Việt"
    assert [s.id for s in cfg.stations_for("cao-bang/hoa-an")] == ["hoa-an", "hong-viet"]
    assert cfg.database_url.startswith("sqlite:///") and cfg.database_url.endswith("loa.db")


@pytest.mark.parametrize("file,mutate,key,words", [
    ("loa.yaml", lambda d: d["ports"].update(web="eighty"), "ports.web", "not a int"),
    ("loa.yaml", lambda d: d["ports"].update(mqtt=70000), "ports.mqtt", "not a TCP port"),
    ("loa.yaml", lambda d: d.update(ingest_interval_minutes=0), "ingest_interval_minutes", "at least 1"),
    ("feeds.yaml", lambda d: d["feeds"][0].update(area="ha-noi"), "feeds[0].area", "not in areas.yaml"),
    ("feeds.yaml", lambda d: d["feeds"][0].update(url="ftp://x"), "feeds[0].url", "must start with"),
    ("feeds.yaml", lambda d: d["feeds"][0].pop("url"), "feeds[0].url", "is required"),
    ("areas.yaml", lambda d: d["areas"][0].update(slug="Cao Bằng"), "areas[0].slug", "not a lowercase"),
    ("stations.yaml", lambda d: d["stations"][0].update(area="nowhere"), "stations[0].area", "not in areas.yaml"),
])
def test_bad_value_names_file_key_and_problem(tmp_path, file, mutate, key, words):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, lambda folder: _set(folder, file, mutate))
    message = str(info.value)
    assert file in message and key in message and words in message
    assert "\n" not in message


def test_invalid_yaml_is_one_line(tmp_path):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, lambda f: (f / "areas.yaml").write_text("areas: [unclosed"))
    assert "areas.yaml" in str(info.value) and "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="stations.yaml.*not found"):
        _load(tmp_path, lambda f: (f / "stations.yaml").unlink())


def test_mqtt_url_parsing_and_masking():
    url = MqttURL.parse("mqtt://pub:s%40cret@broker.example:1884")
    assert (url.host, url.port, url.username, url.password) == ("broker.example", 1884, "pub", "s@cret")
    assert "s@cret" not in url.masked() and "***" in url.masked()
    with pytest.raises(ConfigError, match="LOA_MQTT_URL"):
        MqttURL.parse("http://broker")
