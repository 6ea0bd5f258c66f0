"""`loa radio`: upload a recording (ffprobe-checked, loudness-normalised), build a station's slot, list
playlists with overflow and missing languages, a notice's airings. Real espeak-ng, ffmpeg and store."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml
from typer.testing import CliRunner

from loa.app.cli import app
from loa.config import Env, load_config
from loa.store import Store
from tests.conftest import write_config
from tests.unit.test_radio_build import notice


@pytest.fixture
def env(tmp_path, monkeypatch):
    folder = write_config(tmp_path / "config", feeds=[])
    data = yaml.safe_load((folder / "stations.yaml").read_text())
    data["stations"][1]["slots"] = [{"time": "06:00", "max_minutes": 1}]  # nam-tuan: a one-minute slot
    (folder / "stations.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    values = {
        "LOA_HOME": str(tmp_path / "home"),
        "LOA_CONFIG_DIR": str(folder),
        "LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'loa.db'}",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    cfg = load_config(Env(home=tmp_path / "home", config_dir=folder))
    return cfg, Store.open(values["LOA_DATABASE_URL"])


def run(*args: str, ok: bool = True):
    result = CliRunner().invoke(app, ["radio", *args])
    assert (result.exit_code == 0) == ok, (result.stdout, result.stderr, result.exception)
    return result


def loudness(path) -> float:
    err = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])


SCRIPT = (
    "Kính thưa bà con nhân dân trong xã. Ủy ban nhân dân xã thông báo lịch tiếp công dân vào sáng thứ hai "
    "hằng tuần tại bộ phận một cửa. Bà con có ý kiến, kiến nghị về thủ tục hành chính, đất đai, hộ tịch, "
    "xin mang theo giấy tờ tùy thân và hồ sơ liên quan. Cán bộ sẽ hướng dẫn bà con nộp hồ sơ trực tuyến "
    "trên cổng dịch vụ công. Xin cảm ơn bà con đã lắng nghe. "
)


def long_notice(store, title):
    n = notice(store, title, approve=False)
    store.set_variant(n.id, "radio", SCRIPT + title + ".", "Nông Thị Hoa")
    return store.transition(n.id, "approve", "Nông Thị Hoa")


def test_upload_build_playlists_history(env, tmp_path):
    cfg, store = env
    n = long_notice(store, "Thông báo lịch tiếp công dân")
    wav = tmp_path / "tay.wav"
    subprocess.run(
        ["espeak-ng", "-v", "vi", "-a", "20", "-w", str(wav), "Kính thưa bà con, đây là bản đọc tiếng Tày."], check=True
    )

    up = json.loads(run("upload", str(n.id), str(wav), "--lang", "tay", "--json").stdout)
    assert up["recording"].endswith(f"radio/recordings/{n.id}/v1-tay.wav") and up["codec"] == "pcm_s16le"
    assert [a["file"] for a in up["audio"]] == [f"notice-{n.id}-v1-tay.mp3"]
    assert up["stations"] == ["hoa-an", "nam-tuan"]
    assert up["playlists_rebuilt"] == [
        "stations/hoa-an/" + up["playlists_rebuilt"][0].split("/")[-1],
        "stations/nam-tuan/" + up["playlists_rebuilt"][1].split("/")[-1],
    ]
    assert abs(loudness(cfg.home / "radio/audio" / f"notice-{n.id}-v1-tay.mp3") + 16.0) <= 1.0

    [rep] = json.loads(run("build", "--station", "nam-tuan", "--json").stdout)
    assert [(e["notice_id"], e["languages"]) for e in rep["scheduled"]] == [(n.id, ["vi", "tay"])]
    assert rep["missing"] == [] and rep["urls"][0].startswith(f"{cfg.site_url}/radio/stations/nam-tuan/")
    # the programme, in airing order: the station's opening, the notice in each language, its closing
    assert [(x["kind"], x.get("language")) for x in rep["segments"]] == [
        ("opening", None),
        ("notice", "vi"),
        ("notice", "tay"),
        ("closing", None),
    ]
    assert rep["segments"][0]["text"].startswith("Đây là Đài Truyền thanh xã Nam Tuấn.")
    assert rep["segments"][1]["text"] == n.variants["radio"] and rep["segments"][2]["text"] is None
    assert all((cfg.home / "radio" / x["file"]).is_file() for x in rep["segments"])
    shown = run("build", "--station", "nam-tuan").stdout  # the announcer reads Vietnamese
    assert "mở đầu" in shown and "kết thúc" in shown and "thông báo," in shown and "notice(s)" not in shown

    # a second, newer notice has no Tày recording and does not fit the one-minute slot with the first
    m = long_notice(store, "Thông báo thu thuế sử dụng đất phi nông nghiệp")
    [rep] = json.loads(run("build", "--station", "nam-tuan", "--json").stdout)
    assert [e["notice_id"] for e in rep["scheduled"]] == [m.id]
    assert [(o["notice_id"], o["reason"].split(" (")[0]) for o in rep["overflow"]] == [(n.id, "hết thời lượng")]
    assert [(x["notice_id"], x["language"]) for x in rep["missing"]] == [(m.id, "tay")]
    assert "loa radio upload" in rep["missing"][0]["reason"]

    rows = {r["station"]: r for r in json.loads(run("playlists", "--json").stdout)}
    hv = rows["nam-tuan"]["built"]
    assert hv["notices"] == [[m.id, 1]] and [o["notice_id"] for o in hv["overflow"]] == [n.id]
    assert hv["missing"][0]["language"] == "tay" and hv["upcoming"]
    assert rows["tinh-tuc"]["built"] is None and rows["hoa-an"]["slots"][1]["time"] == "11:00"
    assert (rows["nam-tuan"]["area"], rows["nam-tuan"]["area_code"]) == ("cao-bang/nam-tuan", 1660)
    assert "Radio stations" in run("playlists").stdout

    airings = json.loads(run("history", str(n.id), "--json").stdout)
    assert sorted(a["station"] for a in airings) == ["hoa-an"]  # nam-tuan's rebuild dropped it (overflow)
    assert all(not a["aired"] for a in airings)


def test_errors_say_what_failed_and_what_to_do(env, tmp_path):
    cfg, store = env
    n = notice(store, "Thông báo A")
    text = tmp_path / "not-audio.mp3"
    text.write_text("xin chào")
    err = run("upload", str(n.id), str(text), "--lang", "tay", ok=False).stderr
    assert "not-audio.mp3" in err and f"notice {n.id}" in err and "refused" in err
    assert "không có trong cấu hình" in run("upload", str(n.id), str(text), "--lang", "fr", ok=False).stderr
    assert "does not exist" in run("upload", "999", str(text), "--lang", "tay", ok=False).stderr
    assert "no station nope" in run("build", "--station", "nope", ok=False).stderr
    assert "has no 11:00 slot (its slots: 06:00; see stations.yaml)" in run(
        "build", "--station", "nam-tuan", "--slot", "11:00", ok=False
    ).stderr.replace("\n", " ")
    assert "--date picks the day" in run("build", "--station", "hoa-an", "--date", "2026-12-01", ok=False).stderr
