"""A small, fixed site context (no store, no clock) shared by the site's unit, golden and browser tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from loa.config import Area
from loa.site.build import SiteBuilder
from loa.site.model import AreaTree, Audio, Edition, Entry, LanguageText, NoticePage, SiteInfo

UTC = UTC
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
SITE = SiteInfo(
    "Thông tin cải cách hành chính tỉnh Cao Bằng", "https://loa.example.gov.vn", ZoneInfo("Asia/Ho_Chi_Minh")
)
AREAS = {  # the 2025 map: the province and four of its communes, with official codes
    "cao-bang": Area("cao-bang", "tỉnh Cao Bằng", 4, "tỉnh"),
    "cao-bang/hoa-an": Area("cao-bang/hoa-an", "xã Hòa An", 1654, "xã"),
    "cao-bang/nam-tuan": Area("cao-bang/nam-tuan", "xã Nam Tuấn", 1660, "xã"),
    "cao-bang/bach-dang": Area("cao-bang/bach-dang", "xã Bạch Đằng", 1708, "xã"),
    "cao-bang/ha-quang": Area("cao-bang/ha-quang", "xã Hà Quảng", 1438, "xã"),
}
TREE = AreaTree(AREAS)
XSS_TITLE = 'Thông báo <script>alert("tiêu đề")</script> & "lịch" tiếp dân'
XSS_BODY = (
    '<p>Lịch tiếp công dân tháng 12.</p><script>alert("thân bài")</script>'
    "<img src=x onerror=\"alert('ảnh')\"><a href=\"javascript:alert('liên kết')\">bấm</a>"
    '<p onclick="alert(1)">Đoạn có sự kiện</p><iframe src="https://evil.example/"></iframe>'
)


def at(day: int, hour: int = 8, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _entry(id, title, areas, published, **kw) -> Entry:
    return Entry(
        id=id,
        version=kw.pop("version", 1),
        title=title,
        state=kw.pop("state", "live"),
        priority=kw.pop("priority", "normal"),
        areas=tuple(areas),
        published_at=published,
        first_published_at=kw.pop("first_published_at", published),
        updated_at=kw.pop("updated_at", published),
        **kw,
    )


def sample() -> tuple[list[Entry], list[NoticePage]]:
    plan = _entry(
        1,
        "Kế hoạch cải cách hành chính tỉnh Cao Bằng năm 2026",
        ["cao-bang"],
        at(20),
        document=dict(
            number="3627/KH-UBND",
            doc_type="Kế hoạch",
            issuer="UBND tỉnh Cao Bằng",
            issued_on="2026-11-18",
            signer="Hoàng Xuân Ánh",
            effective_on="2026-12-01",
        ),
        excerpt="Đẩy mạnh cải cách thủ tục hành chính, chuyển đổi số trong giải quyết hồ sơ của người dân.",
        source_url="https://caobang.gov.vn/van-ban/3627-kh-ubnd",
        audio="/radio/audio/notice-1-v1-vi.mp3",
    )
    flood = _entry(
        2,
        "Cảnh báo lũ quét và sạt lở đất trên địa bàn các xã Nam Tuấn, Bạch Đằng",
        ["cao-bang/nam-tuan", "cao-bang/bach-dang"],
        at(22, 14),
        priority="emergency",
        document=dict(number="45/TB-UBND", doc_type="Thông báo", issuer="UBND tỉnh Cao Bằng"),
        excerpt="Người dân vùng trũng ven sông Bằng Giang chủ động sơ tán; không qua ngầm tràn khi nước lên.",
    )
    withdrawn = _entry(
        3,
        "Thông báo lịch tiếp công dân xã Nam Tuấn",
        ["cao-bang/nam-tuan"],
        at(18),
        state="withdrawn",
        withdrawn_at=at(24, 10),
        updated_at=at(24, 10),
        excerpt="Lịch tiếp công dân định kỳ của Chủ tịch UBND xã.",
    )
    amended = _entry(
        4,
        "Quyết định công bố thủ tục hành chính lĩnh vực hộ tịch (sửa đổi)",
        ["cao-bang"],
        at(21),
        version=2,
        first_published_at=at(5, month=10),
        versions=(1,),
        priority="priority",
        document=dict(number="1203/QĐ-UBND", doc_type="Quyết định", issuer="UBND tỉnh Cao Bằng"),
        excerpt="Công bố 12 thủ tục hành chính được chuẩn hóa trong lĩnh vực hộ tịch.",
    )
    expired = _entry(
        5,
        "Tiêm phòng vắc xin cho đàn gia súc đợt 2",
        ["cao-bang/bach-dang"],
        at(2),
        expires_at=at(15),
        excerpt="Lịch tiêm phòng tại nhà văn hóa các xóm.",
    )
    xss = _entry(
        6,
        XSS_TITLE,
        ["cao-bang/nam-tuan"],
        at(24),
        excerpt="Lịch tiếp công dân <script>alert(1)</script>",
        source_url=None,
    )
    entries = [plan, flood, withdrawn, amended, expired, xss]
    old = replace(
        amended,
        version=1,
        title="Quyết định công bố thủ tục hành chính lĩnh vực hộ tịch",
        published_at=at(5, month=10),
        updated_at=at(5, month=10),
        state="superseded",
    )
    pages = [
        NoticePage(
            plan,
            "<p>Đẩy mạnh <strong>cải cách thủ tục hành chính</strong>.</p><ul><li>Chuyển đổi số</li>"
            "<li>Một cửa liên thông</li></ul>",
            audio=(Audio("vi", "/radio/audio/notice-1-v1-vi.mp3"), Audio("tay", "/radio/audio/notice-1-v1-tay.mp3")),
            languages=(LanguageText("tay", "<p>Pjạ pây cải cách thủ tục hành chính.</p>"),),
            acks=(3, 4),
        ),
        NoticePage(flood, "<p>Người dân vùng trũng chủ động sơ tán.</p>"),
        NoticePage(withdrawn, "<p>Lịch tiếp công dân định kỳ.</p>"),
        NoticePage(amended, "<p>Công bố 12 thủ tục hành chính.</p>"),
        NoticePage(old, "<p>Công bố 10 thủ tục hành chính.</p>", current_version=2),
        NoticePage(expired, "<p>Lịch tiêm phòng.</p>"),
        NoticePage(xss, XSS_BODY),
    ]
    return entries, pages


EDITIONS = {
    "cao-bang/nam-tuan": [
        Edition("Thông báo đang có hiệu lực (cập nhật 25/11/2026)", "print/cao-bang/nam-tuan/current.pdf", 48),
        Edition("Bản tin tuần 47/2026 (từ 16/11 đến 22/11/2026)", "print/cao-bang/nam-tuan/2026-W47.pdf", 51),
    ]
}


def build() -> dict[str, str | bytes]:
    entries, pages = sample()
    return SiteBuilder(SITE, TREE).plan(entries, pages, now=NOW, editions=EDITIONS).files


def many(n: int, start: int = 1000) -> list[Entry]:
    """n plain entries spread over the areas and the last months (for size and ordering tests)."""
    paths = list(AREAS)
    return [
        _entry(
            start + i,
            f"Thông báo số {i}",
            [paths[i % len(paths)]],
            NOW - timedelta(hours=7 * i),
            excerpt=f"Nội dung thông báo số {i}.",
        )
        for i in range(n)
    ]
