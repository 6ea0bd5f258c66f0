"""Real audio end to end: the radio channel dispatches a notice with espeak-ng and ffmpeg, a human Tày
recording and station jingles; every produced file is checked with ffprobe (codec, duration, loudness
within tolerance of its station's target) and the playlists are played through by mpv, from disk and
over HTTP from Loa's own web server on loopback."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import yaml

from channels.radio import Radio
from loa.config import Env, load_config
from loa.radio.playlist import XSPF_NS
from loa.store import Store
from tests.conftest import write_config
from tests.integration.test_board_relay import WebServer
from tests.unit.test_radio_build import notice

TOLERANCE_LU = 1.0
SCRIPT = (
    "Kính thưa bà con nhân dân xã Nam Tuấn. Ủy ban nhân dân xã thông báo lịch tiêm phòng "
    "cho đàn gia súc, gia cầm từ ngày mồng một đến ngày mười lăm tháng mười hai."
)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def loudness(path: Path) -> float:
    err = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])


@pytest.fixture(scope="module")
def aired(tmp_path_factory):
    """Two stations (Nam Tuấn: vi + Tày, jingles, -16 LUFS; a southern-voice station at -20 LUFS), one notice
    with a Tày recording made far too quiet and in stereo at 44.1 kHz, dispatched by the radio channel."""
    tmp = tmp_path_factory.mktemp("radio")
    folder = write_config(tmp / "config", feeds=[])
    (folder / "jingles").mkdir()
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=660:duration=1.5", "-af", "volume=-24dB", str(folder / "jingles/intro.wav")
    )
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1.2", "-ac", "2", str(folder / "jingles/outro.ogg"))
    data = yaml.safe_load((folder / "stations.yaml").read_text())
    data["stations"] = [
        {
            "id": "nam-tuan",
            "name": "Đài Truyền thanh xã Nam Tuấn",
            "area": "cao-bang/nam-tuan",
            "languages": ["vi", "tay"],
            "intro": "jingles/intro.wav",
            "outro": "jingles/outro.ogg",
        },
        {
            "id": "hoa-an",
            "name": "Đài Truyền thanh huyện Hòa An",
            "area": "cao-bang",
            "voice": "vi-vn-x-south",
            "rate": 170,
            "loudness_lufs": -20,
        },
    ]
    (folder / "stations.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    cfg = load_config(Env(home=tmp / "home", config_dir=folder))
    store = Store.open(f"sqlite:///{tmp / 'loa.db'}")
    n = notice(store, "Lịch tiêm phòng gia súc tháng 12", approve=False)
    store.set_variant(n.id, "radio", SCRIPT, "Nông Thị Hoa")
    store.transition(n.id, "approve", "Nông Thị Hoa")
    n = store.notice(n.id)
    # the "human" Tày recording: espeak-ng's voice standing in for an editor's, 14 dB too quiet, stereo 44.1 kHz
    raw = tmp / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-w", str(raw), SCRIPT], check=True)
    rec = cfg.home / "radio" / "recordings" / str(n.id) / "v1-tay.wav"
    rec.parent.mkdir(parents=True)
    ffmpeg("-i", str(raw), "-af", "volume=-14dB", "-ar", "44100", "-ac", "2", str(rec))
    channel = Radio(cfg, store)
    results = channel.dispatch(n, channel.targets(n))
    return cfg, store, n, results


def test_dispatch_delivers_to_both_stations(aired):
    cfg, _, n, results = aired
    assert [(r.target, r.ok) for r in results] == [("nam-tuan", True), ("hoa-an", True)], results
    hv = next(r.detail for r in results if r.target == "nam-tuan")
    assert f"plays notice-{n.id}-v1-vi.mp3, notice-{n.id}-v1-tay.mp3" in hv and "stations/nam-tuan.m3u8" in hv


def test_every_produced_file_is_broadcast_ready(aired):
    cfg, _, n, _ = aired
    radio = cfg.home / "radio"
    targets = {f"notice-{n.id}-v1-vi.mp3": -16.0, f"notice-{n.id}-v1-tay.mp3": -16.0}
    south = [p.name for p in (radio / "audio").glob(f"notice-{n.id}-v1-vi-*.mp3")]
    assert len(south) == 1  # the southern voice at -20 LUFS is its own file; vi and tay are shared
    targets[south[0]] = -20.0
    jingles = sorted(p.name for p in (radio / "jingles").glob("*.mp3"))
    assert [j.split("-")[0] for j in jingles] == ["intro", "outro"]
    targets.update({j: -16.0 for j in jingles})
    # the programme's sentences (opening, bridge, closing) for each station, in its voice and loudness
    segments = sorted(p.name for p in (radio / "segments").glob("*.mp3"))
    assert sorted(s.split("-")[0] for s in segments) == ["bridge", "bridge", "closing", "closing", "opening", "opening"]
    produced = sorted(p.name for p in (radio / "audio").glob("*.mp3")) + jingles
    assert sorted(targets) == sorted(produced)
    folder = {**{j: "jingles" for j in jingles}, **{s: "segments" for s in segments}}
    for name, target in [*targets.items(), *((s, None) for s in segments)]:
        path = radio / folder.get(name, "audio") / name
        info = ffprobe(path)
        stream = info["streams"][0]
        assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == ("mp3", "22050", 1), name
        duration = float(info["format"]["duration"])
        assert (1.0 if name in folder else 8.0) < duration < 60.0, (name, duration)
        measured = loudness(path)
        near = [target] if target is not None else [-16.0, -20.0]  # a segment is its station's
        assert min(abs(measured - t) for t in near) <= TOLERANCE_LU, f"{name}: {measured} LUFS, target {near}"
    tags = ffprobe(radio / "audio" / f"notice-{n.id}-v1-tay.mp3")["format"]["tags"]
    assert tags["title"] == n.title and tags["language"] == "tyz" and tags["comment"] == f"loa notice {n.id} v1"


def _entries(text: str) -> list[tuple[str, str]]:
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    return list(zip(lines[2::2], lines[3::2]))


def test_playlist_durations_match_the_files(aired):
    cfg, _, n, _ = aired
    radio = cfg.home / "radio"
    entries = _entries((radio / "stations" / "nam-tuan.m3u8").read_text(encoding="utf-8"))
    assert [url.rsplit("/", 1)[1].split("-")[0] for _, url in entries] == [
        "intro",
        "opening",
        "notice",
        "notice",
        "closing",
        "outro",
    ]
    for extinf, url in entries:
        assert url.startswith(f"{cfg.site_url}/radio/"), url
        seconds = int(re.match(r"#EXTINF:(\d+),", extinf).group(1))
        actual = float(ffprobe(radio / url.removeprefix(f"{cfg.site_url}/radio/"))["format"]["duration"])
        assert abs(seconds - actual) <= 1.0, (url, seconds, actual)


def _mpv(target: str, log: Path, cwd: Path | None = None) -> str:
    """What mpv reports it played: its terminal output, written as it happens, with module prefixes as
    in its log ("[cplayer] Playing: …"). The log file is kept for reading after a failure only: under
    load mpv's log-file thread can lose its last lines after a normal exit."""
    proc = subprocess.run(
        [
            "mpv",
            "--no-config",
            "--no-video",
            "--ao=null",
            "--ao-null-untimed",
            "--no-input-terminal",
            "--msg-module",
            "--msg-level=all=error,cplayer=v",  # the player's steps, and any other module's errors
            f"--log-file={log}",
            target,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = proc.stdout + proc.stderr
    assert proc.returncode == 0, said[-3000:]
    return "\n".join(re.sub(r"^\s*([\w/]+): ", r"[\1] ", line) for line in said.splitlines())


def _played_through(log: str, expected: list[str]) -> None:
    played = re.findall(r"\[cplayer\] Playing: (.+)", log)
    assert len(played) == len(expected) and all(e in p for e, p in zip(expected, played)), played
    assert log.count("EOF code: 1") == len(expected), log[-3000:]  # each file played to its end
    errors = [line for line in log.splitlines() if line.strip() and not line.startswith("[cplayer]")]
    assert not errors and "Exiting... (End of file)" in log, errors


def test_mpv_plays_every_playlist_over_http_from_loas_server_and_from_disk(aired, tmp_path):
    """A station fetches its playlists from Loa's own web server (not a server that tidies "../" away):
    the next-slot and slot M3U8 are played through by mpv over HTTP and from disk; the XSPF twins (mpv reads
    no XSPF; VLC does) list the same URLs, each of which Loa's server answers."""
    assert shutil.which("mpv"), "mpv is a test dependency: `make test-deps` installs it (apt-get install mpv)"
    cfg, _, n, _ = aired
    stations = cfg.home / "radio" / "stations"
    expected = [
        "intro-",
        "segments/opening-",
        f"notice-{n.id}-v1-vi.mp3",
        f"notice-{n.id}-v1-tay.mp3",
        "segments/closing-",
        "outro-",
    ]
    slot = next((stations / "nam-tuan").glob("2*.m3u8"))
    with WebServer(cfg, port=cfg.ports.web) as web:
        assert web.base == cfg.site_url
        for i, playlist in enumerate((stations / "nam-tuan.m3u8", slot)):
            url = f"{web.base}/radio/{playlist.relative_to(stations.parent).as_posix()}"
            for where, target in (("http", url), ("disk", f"--playlist={playlist}")):
                log = _mpv(target, tmp_path / f"{i}-{where}.log")
                _played_through(log, expected)
                played = re.findall(r"\[cplayer\] Playing: (.+)", log)
                assert all(p.startswith(f"{web.base}/radio/") for p in played), played
            entries = [u for _, u in _entries(playlist.read_text(encoding="utf-8"))]
            xspf = ET.fromstring(requests.get(url.replace(".m3u8", ".xspf"), timeout=10).content)
            assert [e.text for e in xspf.iter(f"{{{XSPF_NS}}}location")] == entries
            for entry in entries:  # the way a station's downloader fetches them
                assert requests.get(entry, timeout=10).status_code == 200, entry


def test_a_new_recording_replaces_the_audio_at_the_next_build(aired):
    cfg, store, n, _ = aired
    from loa.radio.build import Builder
    from loa.store.radio import audio_records

    before = audio_records(store, [f"notice-{n.id}-v1-vi.mp3"])[f"notice-{n.id}-v1-vi.mp3"]
    assert before.source == "synthetic"
    rec = cfg.home / "radio" / "recordings" / str(n.id) / "v1-vi.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=3", "-af", "volume=-30dB", str(rec))
    [report] = Builder(cfg, store).next(["nam-tuan"], datetime.now(UTC))
    after = audio_records(store, [f"notice-{n.id}-v1-vi.mp3"])[f"notice-{n.id}-v1-vi.mp3"]
    assert after.source == "recording" and 3.0 < after.seconds < 5.0  # 3 s + padding
    assert abs(loudness(cfg.home / "radio" / "audio" / f"notice-{n.id}-v1-vi.mp3") + 16.0) <= TOLERANCE_LU
    assert report.scheduled[0]["languages"] == ["vi", "tay"]
    rec.unlink()  # leave the module's files as the other tests expect


def test_a_damaged_recording_fails_only_the_stations_that_air_its_language(tmp_path):
    folder = write_config(tmp_path / "config", feeds=[])
    cfg = load_config(Env(home=tmp_path / "home", config_dir=folder))  # shipped stations: hoa-an and nam-tuan air tay
    store = Store.open(f"sqlite:///{tmp_path / 'loa.db'}")
    n = notice(store, "Thông báo A", areas=("cao-bang",))
    rec = cfg.home / "radio" / "recordings" / str(n.id) / "v1-tay.mp3"
    rec.parent.mkdir(parents=True)
    rec.write_bytes(b"ID3 not really an mp3")
    channel = Radio(cfg, store)
    results = {r.target: r for r in channel.dispatch(n, channel.targets(n))}
    assert set(results) == {"hoa-an", "nam-tuan", "dam-thuy", "tinh-tuc"}
    for sid in ("hoa-an", "nam-tuan"):
        assert not results[sid].ok and not results[sid].transient
        assert (
            results[sid].detail.startswith("tay: không tạo được âm thanh: ffmpeg failed")
            and "v1-tay.mp3" in results[sid].detail
        )
    assert results["dam-thuy"].ok and results["tinh-tuc"].ok
    assert "website audio not made: tay: không tạo được âm thanh" in results["dam-thuy"].detail
    assert f"plays notice-{n.id}-v1-vi" in results["tinh-tuc"].detail
