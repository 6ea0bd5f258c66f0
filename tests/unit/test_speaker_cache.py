"""The speaker's cache: only files whose SHA-256 matches enter it; LRU eviction spares needed files."""

import time

import pytest

from loa.speaker.cache import Cache, Entry, FetchError, choose_evictions, skew_ms
from tests.conftest import files_of, loopback_http
from tests.speaker_helpers import sha


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    with loopback_http(files_of(root)) as url:
        yield root, url


def test_download_is_verified_and_a_mismatch_never_enters_the_cache(tmp_path, served):
    root, base = served
    (root / "a.mp3").write_bytes(b"A" * 1000)
    cache = Cache(tmp_path / "cache", 10_000)
    path = cache.fetch(f"{base}/a.mp3", sha(b"A" * 1000))
    assert path.read_bytes() == b"A" * 1000 and cache.stats() == {"items": 1, "bytes": 1000}
    assert cache.clock_skew_ms is not None and abs(cache.clock_skew_ms) < 1500  # same machine, HTTP Date
    (root / "b.mp3").write_bytes(b"tampered")
    with pytest.raises(FetchError, match="sha256 mismatch for .*/b.mp3"):
        cache.fetch(f"{base}/b.mp3", sha(b"original"))
    assert cache.get(sha(b"original")) is None and cache.stats()["items"] == 1
    assert not list(cache.root.glob(".*"))  # no partial file left
    with pytest.raises(FetchError, match="cannot download"):
        cache.fetch(f"{base}/missing.mp3", sha(b"x"))


def test_eviction_is_lru_and_spares_needed_files(tmp_path):
    entries = [Entry("old", 400, 1.0), Entry("needed", 400, 0.5), Entry("mid", 400, 2.0), Entry("new", 400, 3.0)]
    assert choose_evictions(entries, keep={"needed"}, max_bytes=900) == ["old", "mid"]
    assert choose_evictions(entries, keep=set(), max_bytes=5000) == []
    cache = Cache(tmp_path / "c", 250)
    for name in ("x", "y", "z"):
        (cache.root / name).write_bytes(b"0" * 100)
        cache.get(name)
        time.sleep(0.01)
    cache.get("x")  # x becomes the most recently used
    assert cache.evict(keep=set()) == ["y"]
    assert sorted(e.sha256 for e in cache.entries()) == ["x", "z"]


def test_clock_skew_from_an_http_date_header():
    assert skew_ms("Thu, 03 Dec 2026 02:00:10 GMT", 1796263209.0, 1796263210.0) == 1000
    assert skew_ms(None, 0, 0) is None and skew_ms("garbage", 0, 0) is None
