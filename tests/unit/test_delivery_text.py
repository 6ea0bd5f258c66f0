"""Delivery details as the desk shows them: Vietnamese, no server paths (issue 14)."""

from pathlib import Path

import pytest

from loa.app.desk.delivery_text import delivery_detail, without_paths

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "desk"


@pytest.mark.parametrize(
    "stored,shown",
    [
        (
            "stations/xa-nam-tuan.m3u8 (slot 2026-11-26 06:00, #2): plays notice-3-v1-vi.mp3; "
            "not in tay: no human recording yet",
            "danh sách phát của trạm xa-nam-tuan (buổi phát 2026-11-26 06:00, thứ tự 2): phát notice-3-v1-vi.mp3; "
            "chưa có bản thu giọng người đọc tiếng Tày",
        ),
        (
            "stations/xa-a.m3u8 (slot 2026-11-26 17:00 is full: carried to the next slot): "
            "no audio in the station's languages",
            "danh sách phát của trạm xa-a (buổi phát 2026-11-26 17:00 đã đủ thời lượng: chuyển sang buổi sau): "
            "không có bài đọc bằng ngôn ngữ của trạm",
        ),
        (
            "/home/loa/var/print/cao-bang/xa-a/2026-W48.pdf: 1 notice(s), 2 page(s); no weekly edition carried it",
            "bản tin 2026-W48.pdf: 1 thông báo, 2 trang; chưa số bản tin tuần nào đăng thông báo này",
        ),
        (
            "https://loa.example.vn/thong-bao/7.html (5 files written, 12 unchanged)",
            "https://loa.example.vn/thong-bao/7.html (đã ghi 5 tệp, 12 tệp không đổi)",
        ),
        (
            "notice 7 removed from every future playlist; stop sent on loa/radio/xa-a/stop",
            "đã gỡ thông báo 7 khỏi mọi danh sách phát sắp tới; đã gửi lệnh dừng qua loa/radio/xa-a/stop",
        ),
        (
            "Cancel https://loa.example.vn/cap/loa-7-v2.xml",
            "cảnh báo CAP hủy tại https://loa.example.vn/cap/loa-7-v2.xml",
        ),
        (
            "broker 127.0.0.1:1883 unreachable; the delivery stays pending and is retried",
            "broker 127.0.0.1:1883 unreachable; việc phát hành còn chờ và sẽ được thử lại",
        ),
    ],
)
def test_known_details_read_in_vietnamese(stored, shown) -> None:
    assert delivery_detail(stored) == shown


def test_no_absolute_path_survives_but_urls_and_topics_do() -> None:
    text = "writing /srv/loa/home/cap/loa-7-v1.xml failed: [Errno 28] No space left on device: '/srv/loa/x.tmp'"
    shown = delivery_detail(text)
    assert "/srv" not in shown and "loa-7-v1.xml" in shown and shown.startswith("không ghi được")
    assert (
        without_paths("https://h.vn/a/b.xml và loa/notices/cao-bang/7")
        == "https://h.vn/a/b.xml và loa/notices/cao-bang/7"
    )
    assert delivery_detail(None) == "" and delivery_detail("") == ""


def test_the_desk_speaks_of_no_districts() -> None:
    """Since 1 July 2025 local government has two levels: no "huyện", "quận" or "cấp huyện" in the desk."""
    for page in TEMPLATES.glob("*.html"):
        text = page.read_text(encoding="utf-8").lower()
        assert "huyện" not in text and "quận" not in text, page.name
