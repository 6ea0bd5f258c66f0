"""QR codes that take a phone from a page or a printed bulletin to the notice's web page.

zxing-cpp encodes (its C++ encoder picks the mask scanners read best, in about 0.4 ms; the
pure-Python encoders took 6 ms, a minute for a 10,000-notice site). Web pages get an SVG, drawn
here as one path of row runs; the printed bulletin gets a small PNG, because WeasyPrint parses an
SVG path in Python (~30 ms a code, a third of a bulletin's time) but hands a PNG to its C decoder.
The tests decode the codes back with zxing-cpp's reader.
"""

from __future__ import annotations

import base64
import re
import struct
import zlib
from xml.sax.saxutils import escape

import zxingcpp

BORDER = 4  # the quiet zone, in modules, that scanners need around the code
SCALE = 4  # CSS pixels per module at the SVG's natural size


def rows(url: str) -> list[bytes]:
    """The code row by row, one byte per module, 0 for dark (error correction M survives a scuffed or
    badly printed code)."""
    code = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = code.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    pixels = bytes(memoryview(image))  # type: ignore[arg-type]  # zxingcpp.Image is a buffer; its stub omits it
    return [pixels[y * width : (y + 1) * width] for y in range(height)]


_DARK = re.compile(rb"[\x00-\x7f]+")


def qr_svg(url: str, title: str = "Mã QR dẫn tới trang thông báo") -> str:
    """A standalone SVG; the URL is kept in <desc> so a later build can tell whether it is current."""
    lines = rows(url)
    size = len(lines) + 2 * BORDER
    path = "".join(
        f"M{m.start() + BORDER} {y + BORDER}h{m.end() - m.start()}v1h-{m.end() - m.start()}z"
        for y, row in enumerate(lines)
        for m in _DARK.finditer(row)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size * SCALE}" '
        f'height="{size * SCALE}" shape-rendering="crispEdges"><title>{escape(title)}</title>'
        f'<desc>{escape(url)}</desc><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )


def qr_png(url: str, scale: int = 4) -> bytes:
    """The same code as an 8-bit grey PNG, `scale` pixels a module, quiet zone included (written with zlib:
    no image library). Shown with `image-rendering: pixelated`, so PDF viewers do not blur it."""
    code = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = code.to_image(scale=scale, add_quiet_zones=True)
    height, width = image.shape
    pixels = bytes(memoryview(image))  # type: ignore[arg-type]  # as above
    raw = b"".join(b"\x00" + pixels[y * width : (y + 1) * width] for y in range(height))  # filter 0 on each row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def qr_data_uri(url: str) -> str:
    """The code as a PNG data: URI, for the PDF bulletin (one self-contained HTML document)."""
    return "data:image/png;base64," + base64.b64encode(qr_png(url)).decode("ascii")


def is_current(svg_text: str, url: str) -> bool:
    return f"<desc>{escape(url)}</desc>" in svg_text
