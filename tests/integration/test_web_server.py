"""What a browser asks of Loa's web server besides pages: the icon on every page of the origin (site, desk,
board page) and feeds served with the type that makes browsers and readers treat them as feeds."""

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from channels.website import Website
from loa.app.web import create_app
from tests.unit.test_website import publish


@pytest.fixture
def client(cfg):
    store, n = publish(cfg, title="Kế hoạch cải cách hành chính năm 2027 của tỉnh Cao Bằng", summary="<p>Nội dung</p>")
    assert all(r.ok for r in Website(cfg, store).dispatch(n, ["site"]))
    return TestClient(create_app(cfg))


def test_every_page_of_the_origin_has_a_real_icon(client):
    for page in ("/", "/desk/login", "/board/"):  # what a browser loads first, then asks for /favicon.ico
        assert client.get(page).status_code == 200, page
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/vnd.microsoft.icon"
    image = Image.open(io.BytesIO(icon.content))
    assert image.format == "ICO" and {(16, 16), (32, 32)} <= set(image.info["sizes"])
    assert len(image.convert("RGBA").getcolors(1 << 16)) > 2  # a drawn icon, not a blank square


def test_feeds_are_served_as_atom_and_rss(client):
    area = "areas/cao-bang"
    for path, kind in (
        ("/atom.xml", "application/atom+xml"),
        ("/rss.xml", "application/rss+xml"),
        (f"/{area}/atom.xml", "application/atom+xml"),
        (f"/{area}/rss.xml", "application/rss+xml"),
    ):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"] == f"{kind}; charset=utf-8", path
        assert "Kế hoạch cải cách hành chính năm 2027" in r.text, path
    assert client.get("/").headers["content-type"] == "text/html; charset=utf-8"
    assert client.get("/static/site.css").headers["content-type"] == "text/css; charset=utf-8"


def test_the_radio_address_loa_run_prints_lists_each_station(cfg, client):
    """`loa run` prints /radio/stations/: it answers with every station, a playlist link once one is built."""
    page = client.get("/radio/stations/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for st in cfg.stations:
        assert st.name in page.text
    assert "chưa có danh sách phát" in page.text  # nothing built yet: said, not a dead link
    first = cfg.stations[0]
    (cfg.layout.radio / "stations" / f"{first.id}.m3u8").write_text("#EXTM3U\n")
    page = client.get("/radio/stations/")
    assert f'href="{first.id}.m3u8"' in page.text
    assert client.get(f"/radio/stations/{first.id}.m3u8").status_code == 200
