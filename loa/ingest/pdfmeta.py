"""The facts on a văn bản's own PDF: number, date and signer, read from its text (pypdf, pure Python).

A Vietnamese administrative document (Decree 30/2020/NĐ-CP layout) puts "Số: 1532/QĐ-BTP" and
"Hà Nội, ngày 10 tháng 6 năm 2025" on its first page and the signer under the signing authority
("KT. BỘ TRƯỞNG / THỨ TRƯỞNG / Lê Thị Thu Hà") after the text: on the first page of a one-page
document, else on the last. Pure: bytes in, facts out.
"""

from __future__ import annotations

import io
import logging
import re

from loa.errors import LoaError
from loa.ingest.classify import extract_meta
from loa.model import DocumentMeta

# Signing authorities and roles, in capitals as they stand above the signature.
_ROLE = re.compile(
    r"^(?:TM\.|KT\.|TL\.|TUQ\.|Q\.)?\s*(?:PHÓ )?(?:CHỦ TỊCH|BỘ TRƯỞNG|THỨ TRƯỞNG|THỦ TƯỚNG|"
    r"GIÁM ĐỐC|CHÁNH VĂN PHÒNG|TRƯỞNG BAN|TỔNG CỤC TRƯỞNG|CỤC TRƯỞNG|ỦY BAN NHÂN DÂN|CHÍNH PHỦ)\b"
)
_LOWER = "a-zàáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
_UPPER = "A-ZÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_PERSON = re.compile(rf"^[{_UPPER}][{_LOWER}]+(?: [{_UPPER}][{_LOWER}]+){{1,4}}$")
_SIGNED = re.compile(r"^\((?:đã ký|Đã ký)[^)]*\)$")

log = logging.getLogger(__name__)


class PdfError(LoaError, ValueError):
    """The file is no readable PDF, or has no text layer (a scan)."""


def pdf_pages_text(content: bytes) -> tuple[str, str]:
    """The text of the first and of the last page ("" when the PDF has one page)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a malformed file is reported as PdfError, not logged
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise PdfError("the PDF is encrypted")
        pages = reader.pages
        first = pages[0].extract_text() or ""
        last = (pages[-1].extract_text() or "") if len(pages) > 1 else ""
    except PdfError:
        raise
    except (PyPdfError, ValueError, KeyError, IndexError, TypeError, OSError) as exc:
        raise PdfError(f"the PDF cannot be read ({type(exc).__name__}: {exc})") from None
    if not (first + last).strip():
        raise PdfError("the PDF has no text layer (a scanned image); its facts must be entered by hand")
    return first, last


def meta_from_pdf(content: bytes) -> DocumentMeta:
    """Number, date, type and issuer from the first page; the signer from the first or the last."""
    first, last = pdf_pages_text(content)
    meta = extract_meta("", first)
    signer = signer_of(first) or signer_of(last)
    return DocumentMeta(
        number=meta.number,
        doc_type=meta.doc_type,
        issuer=meta.issuer,
        issued_on=meta.issued_on,
        signer=signer or meta.signer,
        effective_on=meta.effective_on,
    )


def signer_of(page_text: str) -> str | None:
    """The name under the last signing authority of the page, as printed."""
    lines = [" ".join(line.split()) for line in page_text.splitlines()]
    lines = [line for line in lines if line]
    for i in range(len(lines) - 1, -1, -1):
        if _ROLE.match(lines[i]):
            for line in lines[i + 1 : i + 5]:
                if _PERSON.match(line):
                    return line
                if not (_ROLE.match(line) or _SIGNED.match(line)):
                    break
    return None
