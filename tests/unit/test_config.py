"""A bad config file stops start-up with one line naming the file, the key and what is wrong."""

import pytest
import yaml

from loa.config import Area, Env, MqttURL, load_config
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
    assert cfg.areas["cao-bang/nam-tuan"] == Area("cao-bang/nam-tuan", "xã Nam Tuấn", 1660, "xã")
    assert cfg.province == Area("cao-bang", "tỉnh Cao Bằng", 4, "tỉnh")
    assert cfg.areas["cao-bang/thuc-phan"].code == 1273 and cfg.areas["cao-bang/thuc-phan"].name == "phường Thục Phán"
    assert len(cfg.areas) == 13 and len(cfg.area_map.communes) == 56  # the sample serves 12 of the 56
    assert all(a.depth == 1 for a in list(cfg.areas.values())[1:])  # no districts: province → commune
    assert [s.id for s in cfg.stations_for("cao-bang")] == ["hoa-an", "nam-tuan", "dam-thuy", "tinh-tuc"]
    assert {s.id: s.area_code for s in cfg.stations} == {
        "hoa-an": 1654,
        "nam-tuan": 1660,
        "dam-thuy": 1501,
        "tinh-tuc": 1729,
    }
    feeds = _load(
        tmp_path / "grouped", lambda f: _set(f, "feeds.yaml", lambda d: d["feeds"][0].update(area="khu-vuc-hoa-an"))
    ).feeds
    assert feeds[0].area == "khu-vuc-hoa-an" and cfg.area_name("khu-vuc-hoa-an") == "các xã thuộc huyện Hòa An cũ"
    assert cfg.expand(["khu-vuc-hoa-an", "cao-bang/hoa-an", "cao-bang"]) == [
        "cao-bang/hoa-an",
        "cao-bang/nam-tuan",
        "cao-bang/nguyen-hue",
        "cao-bang/bach-dang",
        "cao-bang",
    ]
    assert cfg.database_url.startswith("sqlite:///") and cfg.database_url.endswith("loa.db")


@pytest.mark.parametrize(
    "file,mutate,key,words",
    [
        ("loa.yaml", lambda d: d["ports"].update(web="eighty"), "ports.web", "is not a whole number"),
        ("loa.yaml", lambda d: d["ports"].update(mqtt=70000), "ports.mqtt", "not a TCP port"),
        ("loa.yaml", lambda d: d.update(ingest_interval_minutes=0), "ingest_interval_minutes", "at least 1"),
        ("feeds.yaml", lambda d: d["feeds"][0].update(area="ha-noi"), "feeds[0].area", "not in areas.yaml"),
        ("feeds.yaml", lambda d: d["feeds"][0].update(url="ftp://x"), "feeds[0].url", "must start with"),
        ("feeds.yaml", lambda d: d["feeds"][0].pop("url"), "feeds[0].url", "is required"),
        ("areas.yaml", lambda d: d.update(province="Cao Bang Province"), "province", "did you mean 'Cao Bằng' (4)"),
        ("areas.yaml", lambda d: d.update(province=99), "province", "not one of the 34 provinces"),
        (
            "areas.yaml",
            lambda d: d["communes"].append("Hồng Việt"),
            "communes[12]",
            "'Hồng Việt' is not a commune of tỉnh Cao Bằng on the 2025 map",
        ),
        ("areas.yaml", lambda d: d["communes"].append("Thuc Phan"), "communes", "Thục Phán (1273) is listed twice"),
        (
            "areas.yaml",
            lambda d: d["communes"].append("Nùng Trí Cau"),
            "communes[12]",
            "did you mean 'Phường Nùng Trí Cao' (1279, slug nung-tri-cao)?",
        ),
        ("areas.yaml", lambda d: d["communes"].append(1277), "communes[12]", "did you mean"),
        (
            "areas.yaml",
            lambda d: d["communes"].append("thuc-phan"),
            "communes",
            "phường Thục Phán (1273) is listed twice",
        ),
        (
            "areas.yaml",
            lambda d: d["groupings"][0]["communes"].append("minh-khai"),
            "groupings[0].communes[4]",
            "xã Minh Khai (1795) is not in `communes`",
        ),
        ("areas.yaml", lambda d: d["groupings"][0].update(slug="hoa-an"), "groupings[0].slug", "not a commune's"),
        (
            "areas.yaml",
            lambda d: d.update(areas=[{"slug": "cao-bang", "name": "x"}]) or d.pop("province"),
            "areas",
            "pre-2025 province → district → commune tree",
        ),
        (
            "feeds.yaml",
            lambda d: d["feeds"][0].update(area="cao-bang/hoa-an/hong-viet"),
            "feeds[0].area",
            "since 1 July 2025 it is 'cao-bang/hoa-an' (xã Hòa An, 1654)",
        ),
        (
            "feeds.yaml",
            lambda d: d["feeds"][0].update(area="cao-bang/minh-khai"),
            "feeds[0].area",
            "xã Minh Khai (1795) is not among the communes in use",
        ),
        (
            "stations.yaml",
            lambda d: d["stations"][0].update(area="cao-bang/ha-lang/thanh-nhat"),
            "stations[0].area",
            "not in areas.yaml",
        ),
        ("stations.yaml", lambda d: d["stations"][0].update(area="nowhere"), "stations[0].area", "not in areas.yaml"),
    ],
)
def test_bad_value_names_file_key_and_problem(tmp_path, file, mutate, key, words):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, lambda folder: _set(folder, file, mutate))
    message = str(info.value)
    assert file in message and key in message and words in message
    assert "\n" not in message


def test_invalid_yaml_is_one_line(tmp_path):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, lambda f: (f / "areas.yaml").write_text("province: [unclosed"))
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


def test_communes_by_code_name_or_slug_and_all_when_not_listed(tmp_path):
    cfg = _load(
        tmp_path,
        lambda f: _set(
            f,
            "areas.yaml",
            lambda d: d.update(
                province="Cao Bằng", communes=[1273, "Xã Hòa An", "nam tuan", "dam-thuy", "Tĩnh Túc"], groupings=[]
            ),
        ),
    )
    assert list(cfg.areas) == [
        "cao-bang",
        "cao-bang/thuc-phan",
        "cao-bang/hoa-an",
        "cao-bang/nam-tuan",
        "cao-bang/dam-thuy",
        "cao-bang/tinh-tuc",
    ]
    everything = _load(tmp_path / "all", lambda f: (f / "areas.yaml").write_text("province: cao-bang\n"))
    assert len(everything.areas) == 57 and everything.area_code("cao-bang/dam-thuy") == 1501
