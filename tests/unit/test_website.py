"""The website channel writes real pages: escaped, sanitised, in Vietnamese; withdrawn pages stay, marked."""

from html.parser import HTMLParser

from channels.website import Website
from loa.model import Classification, DocumentMeta
from loa.render import Renderer
from loa.store import Store
from tests.unit.test_store import FEED, entry

XSS = '<p>Nội dung</p><script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>'


class StrictParser(HTMLParser):
    """Fails on unbalanced tags: what a strict reader would choke on."""

    VOID = {"meta", "link", "br", "img", "input", "hr"}

    def __init__(self):
        super().__init__()
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"


def publish(cfg, title='Kế hoạch <b>"cải cách"</b> & chuyển đổi số', summary=XSS):
    store = Store.open(cfg.database_url)
    meta = DocumentMeta(number="3627/KH-UBND", doc_type="Kế hoạch", issuer="UBND tỉnh Cao Bằng")
    change = store.record_entry(FEED, entry(title=title, summary=summary), Classification(True, 3, (), (), meta))
    variants = Renderer(board_max_chars=600).variants(
        title=title,
        summary_html=summary,
        meta=meta,
        source_url="https://example.gov.vn/1",
        area_names=["tỉnh Cao Bằng"],
    )
    n = store.draft_notice(change.document_version_id, areas=["cao-bang"], variants=variants)
    n = store.transition(n.id, "approve", "Hoàng Văn Minh")
    return store, n


def test_notice_page_is_escaped_sanitised_and_valid(cfg):
    store, n = publish(cfg)
    site = Website(cfg, store)
    assert [r.ok for r in site.dispatch(n, ["site"])] == [True]
    page = (cfg.home / "site" / "notices" / f"{n.id}.html").read_text(encoding="utf-8")
    assert '<html lang="vi">' in page
    assert "Kế hoạch &lt;b&gt;&#34;cải cách&#34;&lt;/b&gt; &amp; chuyển đổi số" in page
    for bad in ("onerror", "javascript:", "alert("):
        assert bad not in page
    # the only script element is the schema.org JSON-LD, which browsers do not execute
    assert page.count("<script") == page.count('<script type="application/ld+json">') == 1
    assert "3627/KH-UBND" in page and "UBND tỉnh Cao Bằng" in page and "Nội dung" in page
    parser = StrictParser()
    parser.feed(page)
    assert parser.stack == []
    index = (cfg.home / "site" / "index.html").read_text(encoding="utf-8")
    assert f'href="./notices/{n.id}.html"' in index
    assert (cfg.home / "site" / "static" / "site.css").exists()
    assert '"alg": "Ed25519"' in (cfg.home / "site" / "keys" / "notices.json").read_text()


def test_withdrawn_page_stays_marked_and_leaves_the_index(cfg):
    store, n = publish(cfg)
    site = Website(cfg, store)
    site.dispatch(n, ["site"])
    withdrawn = store.transition(n.id, "withdraw", "Hoàng Văn Minh")
    assert [r.ok for r in site.withdraw(withdrawn, ["site"])] == [True]
    page = (cfg.home / "site" / "notices" / f"{n.id}.html").read_text(encoding="utf-8")
    assert "đã bị thu hồi" in page
    assert f"notices/{n.id}.html" not in (cfg.home / "site" / "index.html").read_text(encoding="utf-8")


def test_a_withdrawn_page_no_longer_counts_board_acknowledgements(cfg):
    """Boards clear a withdrawn notice: its page must not keep saying "1 trên 1 bảng tin đã xác nhận"."""
    from loa.board_protocol import Report
    from loa.store.boards import add_board, record_reports

    store, n = publish(cfg)
    add_board(store, "ubnd-cao-bang", "cao-bang")
    record_reports(store, [Report("ubnd-cao-bang", "ack", n.approved_at, notice=n.id, version=n.version)])
    site = Website(cfg, store)
    site.dispatch(n, ["site"])
    path = cfg.home / "site" / "notices" / f"{n.id}.html"
    assert "1 trên 1 bảng tin đã xác nhận hiển thị" in path.read_text(encoding="utf-8")
    site.withdraw(store.transition(n.id, "withdraw", "Hoàng Văn Minh"), ["site"])
    page = path.read_text(encoding="utf-8")
    assert "đã bị thu hồi" in page and "bảng tin đã xác nhận" not in page and 'class="acks"' not in page


def test_board_variant_fits_the_budget_at_a_word_boundary(cfg):
    long = "<p>" + " ".join(["thủ tục hành chính"] * 200) + "</p>"
    variants = Renderer(board_max_chars=160).variants(
        title="Thông báo", summary_html=long, meta=DocumentMeta(), source_url=None, area_names=[]
    )
    board = variants["boards"]
    assert len(board) <= 160 and board.endswith("…")
    assert board[:-1].split()[-1] in {"thủ", "tục", "hành", "chính"}
