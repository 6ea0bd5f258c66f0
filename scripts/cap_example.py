"""Remake the CAP example in docs/: an approved emergency for phường Thục Phán, risk level 3, with its
real radio audio (espeak-ng + ffmpeg), written by the `cap` channel exactly as it publishes.

    .venv/bin/python scripts/cap_example.py

Writes docs/cap-example-alert.xml, its detached signature (.sig), the public key that verifies it
(docs/cap-example-key.json: a throwaway key made for the example) and the Atom feed it appears in.
The geocode is the ward's official code on the 2025 two-level map (VN-MaDVHC 01273: phường Thục Phán,
which took in the former phường Hợp Giang and kept its code), from the shipped areas.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels.cap import Cap, alert_path  # noqa: E402
from channels.radio import Radio  # noqa: E402
from loa.config import Env, load_config  # noqa: E402
from loa.model import Classification, DocumentMeta, Entry, Priority  # noqa: E402
from loa.publishing.dispatch import dispatch_notice  # noqa: E402
from loa.render import Renderer  # noqa: E402
from loa.store import Store  # noqa: E402
from loa.store import cap as cap_store  # noqa: E402
from loa.store import desk as desk_store  # noqa: E402
from tests.conftest import write_config  # noqa: E402

DOCS = ROOT / "docs"
TITLE = "Cảnh báo lũ quét, ngập lụt tại phường Thục Phán do mưa lớn"
TEXT = (
    "<p>Do ảnh hưởng của không khí lạnh kết hợp nhiễu động gió đông, từ đêm 01/12 đến ngày 03/12/2026 "
    "trên địa bàn có mưa vừa, mưa to, lượng mưa phổ biến 80–150 mm. Mực nước sông Bằng Giang tại trạm "
    "Cao Bằng đang lên, có khả năng vượt báo động 2.</p><p>Các tổ dân phố ven sông có nguy cơ ngập sâu "
    "0,5–1 m.</p>"
)
INSTRUCTION = (
    "Các hộ dân tổ 1, tổ 2 ven sông Bằng Giang chủ động di chuyển người, tài sản lên nơi cao trước "
    "17 giờ ngày 02/12/2026; không qua lại khu vực ngập sâu, nước chảy xiết."
)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="loa-cap-example-"))
    folder = write_config(
        tmp / "config",
        feeds=[],
        site_url="https://thongtin.caobang.gov.vn",
        cap={
            "sender": "canhbao@caobang.gov.vn",
            "sender_name": "UBND phường Thục Phán",
            "identifier_prefix": "vn.gov.caobang.thongtin",
            "contact": "Văn phòng Ban Chỉ huy PCTT và TKCN tỉnh Cao Bằng, 0206 3852 xxx",
        },
    )
    cfg = load_config(Env(home=tmp / "home", config_dir=folder))
    store = Store.open(cfg.database_url)
    meta = DocumentMeta(issuer="UBND phường Thục Phán", doc_type="Thông báo")
    entry = Entry(
        "urn:example:cap",
        TITLE,
        TEXT,
        None,
        datetime(2026, 12, 2, 1, tzinfo=UTC),
        hashlib.sha256(TEXT.encode()).hexdigest(),
    )
    change = store.record_entry("https://example.invalid/feed", entry, Classification(True, 9, (), (), meta))
    variants = Renderer(board_max_chars=cfg.board_max_chars).variants(
        title=TITLE, summary_html=TEXT, meta=meta, source_url=None, area_names=["phường Thục Phán"]
    )
    n = store.draft_notice(
        change.document_version_id, areas=["cao-bang/thuc-phan"], variants=variants, priority=Priority.EMERGENCY
    )
    cap_store.set_alert(store, n.id, 1, "Nông Thị Hoa", disaster_level=3, instruction=INSTRUCTION)
    desk_store.set_schedule(
        store, n.id, 1, "Nông Thị Hoa", publish_at=None, expires_at=datetime.now(UTC) + timedelta(days=2)
    )
    store.transition(n.id, "approve", "Nông Thị Hoa")
    notice = store.notice(n.id)
    radio = Radio(cfg, store)  # the website's Vietnamese audio, as the radio channel makes it before CAP runs
    radio.builder.maker.tracks([(replace(cfg.radio.defaults, languages=("vi",)), notice)])
    report = dispatch_notice(store, {"cap": Cap(cfg, store)}, n.id)
    assert all(r.ok for r in report.results), report.results
    site = cfg.home / "site"
    shutil.copy(site / alert_path(n.id, 1), DOCS / "cap-example-alert.xml")
    shutil.copy(site / (alert_path(n.id, 1) + ".sig"), DOCS / "cap-example-alert.xml.sig")
    shutil.copy(site / "keys" / "notices.json", DOCS / "cap-example-key.json")
    shutil.copy(site / "cap" / "alerts.atom", DOCS / "cap-example-alerts.atom")
    print(f"wrote {DOCS / 'cap-example-alert.xml'} (+ .sig, cap-example-key.json, cap-example-alerts.atom)")


if __name__ == "__main__":
    main()
