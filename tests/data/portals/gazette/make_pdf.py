"""Makes the gazette's PDF văn bản (and the provincial one) with WeasyPrint: `python make_pdf.py`.

Small real PDFs in the layout of a Vietnamese administrative document (Decree 30/2020/NĐ-CP):
number, place and date on the first page, the signer under the text.
"""

from pathlib import Path

from weasyprint import HTML

HERE = Path(__file__).parent
CSS = """@page { size: A4; margin: 2cm 2cm 2cm 3cm }
body { font-family: 'DejaVu Serif', serif; font-size: 12pt }
table { width: 100% } td { text-align: center; vertical-align: top; width: 50% }
h2 { text-align: center; font-size: 13pt } .sign { margin-left: 50%; text-align: center }"""


def document(
    issuer: str, unit: str, number: str, place_date: str, title: str, body: str, role: str, signer: str
) -> str:
    return f"""<html><head><meta charset="utf-8"><style>{CSS}</style></head><body>
<table><tr><td><b>{issuer}</b><br>{unit}<br>Số: {number}</td>
<td><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br>Độc lập - Tự do - Hạnh phúc<br><i>{place_date}</i></td></tr></table>
<h2>{title}</h2>{body}<p class="sign"><b>{role}</b><br><br><br><b>{signer}</b></p></body></html>"""


def main() -> None:
    HTML(
        string=document(
            "BỘ TƯ PHÁP",
            "",
            "1532/QĐ-BTP",
            "Hà Nội, ngày 10 tháng 6 năm 2025",
            "QUYẾT ĐỊNH<br>Về việc công bố thủ tục hành chính mới ban hành trong lĩnh vực hộ tịch",
            "<p>Điều 1. Công bố kèm theo Quyết định này 04 thủ tục hành chính mới ban hành trong lĩnh vực hộ tịch.</p>"
            "<p>Điều 2. Quyết định này có hiệu lực thi hành kể từ ngày ký.</p>",
            "KT. BỘ TRƯỞNG<br>THỨ TRƯỞNG",
            "Lê Thị Thu Hà",
        )
    ).write_pdf(HERE / "van-ban" / "1532-qd-btp.pdf")
    HTML(
        string=document(
            "ỦY BAN NHÂN DÂN",
            "TỈNH CAO BẰNG",
            "3627/KH-UBND",
            "Cao Bằng, ngày 12 tháng 12 năm 2025",
            "KẾ HOẠCH<br>Cải cách hành chính năm 2026",
            "<p>Thực hiện Chương trình tổng thể cải cách hành chính nhà nước, Ủy ban nhân dân tỉnh ban hành Kế hoạch cải cách hành chính năm 2026.</p>",
            "TM. ỦY BAN NHÂN DÂN<br>KT. CHỦ TỊCH<br>PHÓ CHỦ TỊCH",
            "Hoàng Văn Minh",
        )
    ).write_pdf(HERE.parent / "provincial" / "files" / "3627-kh-ubnd.pdf")


if __name__ == "__main__":
    main()
