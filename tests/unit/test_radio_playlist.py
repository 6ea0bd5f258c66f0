"""Playlist writers: M3U8 with #EXTINF durations and absolute URLs, XSPF that XML tools read."""

import xml.etree.ElementTree as ET

from loa.radio import playlist as pl
from loa.radio.select import Track

TRACKS = (
    Track("intro-1.mp3", 3.2, "Đài — mở đầu", None, folder="jingles"),
    Track("notice-7-v2-vi.mp3", 61.01, "Lịch tiêm phòng & <dại>\nmùa đông (Tiếng Việt)", "vi", notice=(7, 2)),
    Track("notice-7-v2-tay.mp3", 0.4, "Lịch tiêm phòng (Tiếng Tày)", "tay", notice=(7, 2)),
)
BASE = "https://loa.caobang.gov.vn/radio"
PLAYLIST = pl.Playlist(
    "Đài Truyền thanh xã Nam Tuấn — 26/11/2026 06:00",
    "Đài Truyền thanh xã Nam Tuấn",
    TRACKS,
    "3 thông báo",
    "2026-11-25T22:55:00+00:00",
)


def test_m3u8():
    text = pl.m3u8(PLAYLIST, BASE)
    assert text.splitlines() == [
        "#EXTM3U",
        "#PLAYLIST:Đài Truyền thanh xã Nam Tuấn — 26/11/2026 06:00",
        "#EXTINF:4,Đài — mở đầu",
        f"{BASE}/jingles/intro-1.mp3",
        "#EXTINF:62,Lịch tiêm phòng & <dại> mùa đông (Tiếng Việt)",
        f"{BASE}/audio/notice-7-v2-vi.mp3",
        "#EXTINF:1,Lịch tiêm phòng (Tiếng Tày)",
        f"{BASE}/audio/notice-7-v2-tay.mp3",
    ]
    assert round(PLAYLIST.seconds, 2) == 64.61


def test_xspf_is_well_formed_with_escaped_titles():
    root = ET.fromstring(pl.xspf(PLAYLIST, BASE + "/").encode("utf-8"))
    ns = {"x": pl.XSPF_NS}
    assert root.tag == f"{{{pl.XSPF_NS}}}playlist" and root.get("version") == "1"
    tracks = root.findall("x:trackList/x:track", ns)
    assert [t.findtext("x:location", namespaces=ns) for t in tracks] == [
        f"{BASE}/jingles/intro-1.mp3",
        f"{BASE}/audio/notice-7-v2-vi.mp3",
        f"{BASE}/audio/notice-7-v2-tay.mp3",
    ]
    assert [t.findtext("x:duration", namespaces=ns) for t in tracks] == ["3200", "61010", "400"]
    assert tracks[1].findtext("x:title", namespaces=ns) == "Lịch tiêm phòng & <dại> mùa đông (Tiếng Việt)"
    assert tracks[1].findtext("x:identifier", namespaces=ns) == "loa:notice:7:v2:vi"
    assert root.findtext("x:creator", namespaces=ns) == "Đài Truyền thanh xã Nam Tuấn"


def test_every_entry_is_an_absolute_url_whatever_the_playlist_folder(tmp_path):
    """Relative entries ("../audio/…") reach servers unresolved from some players (mpv 0.35) and break in a
    saved copy: every entry is the audio's absolute URL, the same at any folder depth."""
    paths = pl.write(PLAYLIST, tmp_path, "stations/nam-tuan", BASE)
    assert [p.name for p in paths] == ["nam-tuan.m3u8", "nam-tuan.xspf"]
    nested = pl.write(PLAYLIST, tmp_path, "stations/nam-tuan/2026-11-26-0600", BASE)
    for path in paths + nested:
        text = path.read_text(encoding="utf-8")
        assert f"{BASE}/audio/notice-7-v2-vi.mp3" in text and "../" not in text, path


def test_locations_are_percent_encoded():
    track = Track("đài mở đầu #1.mp3", 1.0, "x", None, folder="jingles")
    assert pl.location(BASE + "/", track) == f"{BASE}/jingles/%C4%91%C3%A0i%20m%E1%BB%9F%20%C4%91%E1%BA%A7u%20%231.mp3"
