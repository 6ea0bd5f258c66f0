"""The web page and the printed bulletin of a notice, rendered by the website's own code (loa.site),
so what the editor sees is what the channel will publish."""

from __future__ import annotations

from loa.model import NoticeView
from loa.store.schema import utcnow


def _website(desk):
    # one Website per desk process: it holds the site's Jinja environment
    if getattr(desk, "_website", None) is None:
        from channels.website import Website

        desk._website = Website(desk.cfg, desk.store)
    return desk._website


def website_html(desk, n: NoticeView) -> str:
    from loa.site.context import entry_from_view
    from loa.site.model import NoticePage

    site = _website(desk)
    page = NoticePage(entry_from_view(n), n.variants.get("website") or n.summary_html)
    return site.builder.notice_page(page, utcnow())


def website_qr_svg(desk, n: NoticeView) -> str:
    """The notice page's QR code, encoding the public URL the website channel will give it."""
    from loa.site.qr import qr_svg

    return qr_svg(_website(desk).url_for(n))


def bulletin_html(desk, n: NoticeView) -> str:
    from loa.site.bulletin import BulletinItem, BulletinRenderer, current_period
    from loa.site.context import entry_from_view
    from loa.site.qr import qr_data_uri

    site = _website(desk)
    now = utcnow()
    renderer = BulletinRenderer(site.site, site.tree, font_size_pt=desk.cfg.print.font_size_pt)
    item = BulletinItem(entry_from_view(n), n.variants.get("print") or "", qr_data_uri(site.url_for(n)))
    place = n.areas[0] if n.areas else next(iter(desk.cfg.areas))
    return renderer.html(place, current_period(now, desk.cfg.tz), [item], now)
