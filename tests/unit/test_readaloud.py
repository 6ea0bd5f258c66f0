"""Read-aloud normaliser: written administrative Vietnamese in, words for the radio out.

Every phrase below was written for these tests and has its exact expected reading,
reviewed by hand against the reading decisions documented in config/lexicon.yaml.
"""

import random
import unicodedata
from pathlib import Path

import pytest
import yaml

from loa.errors import ConfigError
from loa.speech.readaloud import KEPT_PUNCTUATION, Lexicon, load_lexicon, read_aloud

LEXICON_FILE = Path(__file__).resolve().parents[2] / "config" / "lexicon.yaml"


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return load_lexicon(LEXICON_FILE)


def _variant(**options) -> Lexicon:
    """The shipped lexicon with some options changed."""
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    data["options"].update(options)
    return Lexicon.from_dict(data, "variant")


# Cardinals (mốt, tư, lăm, linh, không trăm), thousands dots, decimals, percent, money, units, ranges.
NUMBERS = [
    ('Toàn tỉnh có 4 huyện đạt chuẩn',
     'Toàn tỉnh có bốn huyện đạt chuẩn'),
    ('Có 14 xã hoàn thành kế hoạch',
     'Có mười bốn xã hoàn thành kế hoạch'),
    ('Xã có 21 thôn, bản',
     'Xã có hai mươi mốt thôn, bản'),
    ('Huyện có 24 đơn vị hành chính cấp xã',
     'Huyện có hai mươi tư đơn vị hành chính cấp xã'),
    ('Đã tổ chức 15 lớp tập huấn',
     'Đã tổ chức mười lăm lớp tập huấn'),
    ('Tiếp nhận 25 hồ sơ trong tuần',
     'Tiếp nhận hai mươi lăm hồ sơ trong tuần'),
    ('Cấp 105 giấy chứng nhận',
     'Cấp một trăm linh năm giấy chứng nhận'),
    ('Tổng số 110 cán bộ tham dự',
     'Tổng số một trăm mười cán bộ tham dự'),
    ('Giải quyết 1.250 hồ sơ đúng hạn',
     'Giải quyết một nghìn hai trăm năm mươi hồ sơ đúng hạn'),
    ('Dân số toàn xã là 10.000 người',
     'Dân số toàn xã là mười nghìn người'),
    ('Tổng kinh phí 1.500.000 đồng',
     'Tổng kinh phí một triệu năm trăm nghìn đồng'),
    ('Hỗ trợ 1.250.000 đồng cho mỗi hộ',
     'Hỗ trợ một triệu hai trăm năm mươi nghìn đồng cho mỗi hộ'),
    ('Năm 2018 toàn huyện có 2.005 hộ nghèo',
     'Năm hai nghìn không trăm mười tám toàn huyện có hai nghìn không trăm linh năm hộ nghèo'),
    ('Tổng vốn đầu tư 3.200.000.000 đồng',
     'Tổng vốn đầu tư ba tỷ hai trăm triệu đồng'),
    ('Dự án trị giá 2 tỷ đồng',
     'Dự án trị giá hai tỷ đồng'),
    ('Kinh phí dự kiến khoảng 1,5 tỷ đồng',
     'Kinh phí dự kiến khoảng một phẩy năm tỷ đồng'),
    ('Mức hỗ trợ 2,3 triệu đồng mỗi người',
     'Mức hỗ trợ hai phẩy ba triệu đồng mỗi người'),
    ('Tỷ lệ hồ sơ trực tuyến đạt 84,38%',
     'Tỷ lệ hồ sơ trực tuyến đạt tám mươi tư phẩy ba mươi tám phần trăm'),
    ('Tỷ lệ giải quyết đúng hạn đạt 99,5%',
     'Tỷ lệ giải quyết đúng hạn đạt chín mươi chín phẩy năm phần trăm'),
    ('Tăng 3,05% so với cùng kỳ',
     'Tăng ba phẩy không năm phần trăm so với cùng kỳ'),
    ('Chỉ số đạt 87,65 điểm',
     'Chỉ số đạt tám mươi bảy phẩy sáu mươi lăm điểm'),
    ('Hệ số điều chỉnh là 2,125',
     'Hệ số điều chỉnh là hai phẩy một hai năm'),
    ('Đạt 100% kế hoạch năm',
     'Đạt một trăm phần trăm kế hoạch năm'),
    ('Thời gian giải quyết là 05 ngày làm việc',
     'Thời gian giải quyết là năm ngày làm việc'),
    ('Nộp 02 bộ hồ sơ tại Bộ phận Một cửa',
     'Nộp hai bộ hồ sơ tại Bộ phận Một cửa'),
    ('Lệ phí 500.000đ mỗi hồ sơ',
     'Lệ phí năm trăm nghìn đồng mỗi hồ sơ'),
    ('Mức thu 30.000 VNĐ mỗi lượt',
     'Mức thu ba mươi nghìn đồng mỗi lượt'),
    ('Phí thẩm định 150.000 VND',
     'Phí thẩm định một trăm năm mươi nghìn đồng'),
    ('Trị giá 20.000 USD',
     'Trị giá hai mươi nghìn đô la Mỹ'),
    ('Mức phạt từ 5 triệu đồng đến 10 triệu đồng',
     'Mức phạt từ năm triệu đồng đến mười triệu đồng'),
    ('Số tiền 750 nghìn đ',
     'Số tiền bảy trăm năm mươi nghìn đồng'),
    ('Hỗ trợ 3 tr.đ mỗi hộ',
     'Hỗ trợ ba triệu đồng mỗi hộ'),
    ('Tổng thu ngân sách 1.000.005 đồng',
     'Tổng thu ngân sách một triệu không trăm linh năm đồng'),
    ('Có 1.001 hộ và 1.010 lao động',
     'Có một nghìn không trăm linh một hộ và một nghìn không trăm mười lao động'),
    ('Dân số đạt 2.024.000 người',
     'Dân số đạt hai triệu không trăm hai mươi tư nghìn người'),
    ('Diện tích tự nhiên 120 km2',
     'Diện tích tự nhiên một trăm hai mươi ki lô mét vuông'),
    ('Diện tích sàn 350m2',
     'Diện tích sàn ba trăm năm mươi mét vuông'),
    ('Xây dựng 4,5 km đường giao thông nông thôn',
     'Xây dựng bốn phẩy năm ki lô mét đường giao thông nông thôn'),
    ('Trồng mới 30 ha rừng',
     'Trồng mới ba mươi héc ta rừng'),
    ('Đổ 15 m3 bê tông',
     'Đổ mười lăm mét khối bê tông'),
    ('Nhiệt độ thấp nhất 12°C',
     'Nhiệt độ thấp nhất mười hai độ xê'),
    ('Nhiệt độ trung bình 25 độ C',
     'Nhiệt độ trung bình hai mươi lăm độ xê'),
    ('Nhiệt độ có thể xuống -2 độ C',
     'Nhiệt độ có thể xuống âm hai độ xê'),
    ('Thu gom 500 kg rác thải',
     'Thu gom năm trăm ki lô gam rác thải'),
    ('Lượng mưa phổ biến 50 mm',
     'Lượng mưa phổ biến năm mươi mi li mét'),
    ('Công suất 2 MW',
     'Công suất hai mê ga oát'),
    ('Tốc độ tối đa 50 km/h',
     'Tốc độ tối đa năm mươi ki lô mét một giờ'),
    ('Lãi suất cho vay 6%/năm',
     'Lãi suất cho vay sáu phần trăm một năm'),
    ('Mức hỗ trợ 50.000 đồng/người/ngày',
     'Mức hỗ trợ năm mươi nghìn đồng một người một ngày'),
    ('Lệ phí 30.000 đồng/hồ sơ',
     'Lệ phí ba mươi nghìn đồng một hồ sơ'),
    ('Năng suất lúa đạt 55 tạ/ha',
     'Năng suất lúa đạt năm mươi lăm tạ một héc ta'),
    ('Đường truyền 100 Mbps',
     'Đường truyền một trăm mê ga bít trên giây'),
    ('Dung lượng 16 GB',
     'Dung lượng mười sáu gi ga bai'),
    ('Cách mạng công nghiệp 4.0',
     'Cách mạng công nghiệp bốn chấm không'),
    ('Mục 1.2 của kế hoạch',
     'Mục một chấm hai của kế hoạch'),
    ('Có 15/20 xã đạt chuẩn nông thôn mới',
     'Có mười lăm trên hai mươi xã đạt chuẩn nông thôn mới'),
    ('Đạt 3/5 và 2/3 chỉ tiêu',
     'Đạt ba trên năm và hai trên ba chỉ tiêu'),
    ('Xã đạt 19/19 tiêu chí',
     'Xã đạt mười chín trên mười chín tiêu chí'),
    ('Bản đồ tỷ lệ 1:500',
     'Bản đồ tỷ lệ một trên năm trăm'),
    ('Xếp thứ 15/63 tỉnh, thành phố',
     'Xếp thứ mười lăm trên sáu mươi ba tỉnh, thành phố'),
    ('Khoảng 10-15% hồ sơ phải bổ sung',
     'Khoảng mười đến mười lăm phần trăm hồ sơ phải bổ sung'),
    ('Mỗi đợt kéo dài 5 - 7 ngày',
     'Mỗi đợt kéo dài năm đến bảy ngày'),
    ('Từ 1.000.000 - 2.000.000 đồng',
     'Từ một triệu đến hai triệu đồng'),
    ('Có ~50% số hộ sử dụng dịch vụ',
     'Có khoảng năm mươi phần trăm số hộ sử dụng dịch vụ'),
    ('Tổng cộng 10 + 5 = 15 hồ sơ',
     'Tổng cộng mười cộng năm bằng mười lăm hồ sơ'),
    ('Số hộ nghèo < 5%',
     'Số hộ nghèo nhỏ hơn năm phần trăm'),
    ('Diện tích 0,5 ha',
     'Diện tích không phẩy năm héc ta'),
    ('Chiều dài 1.250,5 m',
     'Chiều dài một nghìn hai trăm năm mươi phẩy năm mét'),
    ('Có 1, 2 hoặc 3 người',
     'Có một, hai hoặc ba người'),
    ('Hỗ trợ các đối tượng F0, F1',
     'Hỗ trợ các đối tượng F không, F một'),
    ('Phòng, chống dịch COVID-19',
     'Phòng, chống dịch COVID mười chín'),
    ('Triển khai mạng 5G',
     'Triển khai mạng năm G'),
]

# Dates: mùng for days 1-10, tháng tư, no doubled 'ngày', month/year, ranges.
DATES = [
    ('Theo Kế hoạch số 3627/KH-UBND ngày 23/4/2018 của UBND tỉnh',
     'Theo Kế hoạch số ba nghìn sáu trăm hai mươi bảy ngày hai mươi ba tháng tư năm hai nghìn không trăm mười tám của Ủy ban nhân dân tỉnh'),
    ('Ngày 23/4/2018, UBND tỉnh ban hành kế hoạch',
     'Ngày hai mươi ba tháng tư năm hai nghìn không trăm mười tám, Ủy ban nhân dân tỉnh ban hành kế hoạch'),
    ('Ký ngày 5/6/2021',
     'Ký ngày mùng năm tháng sáu năm hai nghìn không trăm hai mươi mốt'),
    ('ngày 05/6/2021',
     'ngày mùng năm tháng sáu năm hai nghìn không trăm hai mươi mốt'),
    ('Ngày 1/7/2024, Luật Đất đai có hiệu lực',
     'Ngày mùng một tháng bảy năm hai nghìn không trăm hai mươi tư, Luật Đất đai có hiệu lực'),
    ('Hạn chót là 31/12/2023',
     'Hạn chót là ngày ba mươi mốt tháng mười hai năm hai nghìn không trăm hai mươi ba'),
    ('Ngày 10/10/2023 tổ chức hội nghị',
     'Ngày mùng mười tháng mười năm hai nghìn không trăm hai mươi ba tổ chức hội nghị'),
    ('Ngày 11/11/2022',
     'Ngày mười một tháng mười một năm hai nghìn không trăm hai mươi hai'),
    ('Văn bản ký ngày 01/01/2020',
     'Văn bản ký ngày mùng một tháng một năm hai nghìn không trăm hai mươi'),
    ('Đến hết ngày 31/12/2025',
     'Đến hết ngày ba mươi mốt tháng mười hai năm hai nghìn không trăm hai mươi lăm'),
    ('Ngày 23.4.2018',
     'Ngày hai mươi ba tháng tư năm hai nghìn không trăm mười tám'),
    ('Ngày 23-4-2018',
     'Ngày hai mươi ba tháng tư năm hai nghìn không trăm mười tám'),
    ('Bản cập nhật 2024-03-15',
     'Bản cập nhật ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi tư'),
    ('tháng 4/2018',
     'tháng tư năm hai nghìn không trăm mười tám'),
    ('Từ tháng 1/2023',
     'Từ tháng một năm hai nghìn không trăm hai mươi ba'),
    ('Báo cáo 4/2018',
     'Báo cáo tháng tư năm hai nghìn không trăm mười tám'),
    ('Trong tháng 12/2024',
     'Trong tháng mười hai năm hai nghìn không trăm hai mươi tư'),
    ('Quý 1/2023',
     'Quý một năm hai nghìn không trăm hai mươi ba'),
    ('quý I/2024',
     'quý một năm hai nghìn không trăm hai mươi tư'),
    ('ngày 23 tháng 4 năm 2018',
     'ngày hai mươi ba tháng tư năm hai nghìn không trăm mười tám'),
    ('ngày 5 tháng 6 năm 2021',
     'ngày mùng năm tháng sáu năm hai nghìn không trăm hai mươi mốt'),
    ('Ngày 2 tháng 9',
     'Ngày mùng hai tháng chín'),
    ('Vào tháng 1 hằng năm',
     'Vào tháng một hằng năm'),
    ('tháng 4 năm nay',
     'tháng tư năm nay'),
    ('Vào ngày 5 hằng tháng',
     'Vào ngày mùng năm hằng tháng'),
    ('Ngày 2/9 là ngày Quốc khánh',
     'Ngày mùng hai tháng chín là ngày Quốc khánh'),
    ('Sáng 23/4, UBND huyện tổ chức hội nghị',
     'Sáng ngày hai mươi ba tháng tư, Ủy ban nhân dân huyện tổ chức hội nghị'),
    ('Chiều 5/6, đoàn công tác làm việc tại xã',
     'Chiều ngày mùng năm tháng sáu, đoàn công tác làm việc tại xã'),
    ('Hoàn thành trước 30/6',
     'Hoàn thành trước ngày ba mươi tháng sáu'),
    ('Nghỉ lễ ngày 30/4 và 1/5',
     'Nghỉ lễ ngày ba mươi tháng tư và ngày mùng một tháng năm'),
    ('Treo cờ các ngày 2/9, 3/9 và 4/9',
     'Treo cờ các ngày mùng hai tháng chín, ngày mùng ba tháng chín và ngày mùng bốn tháng chín'),
    ('từ 1/6 đến 30/6',
     'từ ngày mùng một tháng sáu đến ngày ba mươi tháng sáu'),
    ('từ ngày 01/6/2023 đến ngày 30/6/2023',
     'từ ngày mùng một tháng sáu năm hai nghìn không trăm hai mươi ba đến ngày ba mươi tháng sáu năm hai nghìn không trăm hai mươi ba'),
    ('Từ 01/6 - 30/6/2023',
     'Từ ngày mùng một tháng sáu đến ngày ba mươi tháng sáu năm hai nghìn không trăm hai mươi ba'),
    ('Diễn ra ngày 15-17/5/2023',
     'Diễn ra ngày mười lăm đến ngày mười bảy tháng năm năm hai nghìn không trăm hai mươi ba'),
    ('Từ 01/6/2023 - 30/6/2023',
     'Từ ngày mùng một tháng sáu năm hai nghìn không trăm hai mươi ba đến ngày ba mươi tháng sáu năm hai nghìn không trăm hai mươi ba'),
    ('giai đoạn 2021-2025',
     'giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi lăm'),
    ('Giai đoạn 2021 – 2025',
     'Giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi lăm'),
    ('nhiệm kỳ 2021 - 2026',
     'nhiệm kỳ hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi sáu'),
    ('Chương trình giai đoạn 2016—2020',
     'Chương trình giai đoạn hai nghìn không trăm mười sáu đến hai nghìn không trăm hai mươi'),
    ('Trong 6 tháng đầu năm 2024',
     'Trong sáu tháng đầu năm hai nghìn không trăm hai mươi tư'),
    ('Năm 2000 và năm 2005',
     'Năm hai nghìn và năm hai nghìn không trăm linh năm'),
    ('Tầm nhìn đến năm 2030, định hướng đến năm 2045',
     'Tầm nhìn đến năm hai nghìn không trăm ba mươi, định hướng đến năm hai nghìn không trăm bốn mươi lăm'),
    ('Thứ 2, ngày 5/6/2023',
     'Thứ hai, ngày mùng năm tháng sáu năm hai nghìn không trăm hai mươi ba'),
    ('Hằng tuần vào thứ 4',
     'Hằng tuần vào thứ tư'),
    ('Trong 3 tháng cuối năm',
     'Trong ba tháng cuối năm'),
]

# Clock times and time ranges.
TIMES = [
    ('Thời gian: 7h30',
     'Thời gian: bảy giờ ba mươi phút'),
    ('Lúc 14h ngày 23/4/2018',
     'Lúc mười bốn giờ ngày hai mươi ba tháng tư năm hai nghìn không trăm mười tám'),
    ('Bắt đầu lúc 06:00',
     'Bắt đầu lúc sáu giờ'),
    ('Họp lúc 14:30',
     'Họp lúc mười bốn giờ ba mươi phút'),
    ('Làm việc từ 7h30 - 11h',
     'Làm việc từ bảy giờ ba mươi phút đến mười một giờ'),
    ('Buổi chiều từ 13h30 đến 17h',
     'Buổi chiều từ mười ba giờ ba mươi phút đến mười bảy giờ'),
    ('Khai mạc lúc 8h00',
     'Khai mạc lúc tám giờ'),
    ('Tiếp dân lúc 7g30',
     'Tiếp dân lúc bảy giờ ba mươi phút'),
    ("Phát thanh lúc 17h15'",
     'Phát thanh lúc mười bảy giờ mười lăm phút'),
    ('Trực 24/7',
     'Trực hai mươi tư trên bảy'),
    ('Từ 06:00-07:00 hằng ngày',
     'Từ sáu giờ đến bảy giờ hằng ngày'),
    ('Kết thúc trước 16h45',
     'Kết thúc trước mười sáu giờ bốn mươi lăm phút'),
]

# Document numbers: '<Type> số N [năm Y] của <Issuer>', without repeating what the text says.
DOCS = [
    ('Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ về thực hiện cơ chế một cửa',
     'Căn cứ Nghị định số sáu mươi mốt năm hai nghìn không trăm mười tám ngày hai mươi ba tháng tư năm hai nghìn không trăm mười tám của Chính phủ về thực hiện cơ chế một cửa'),
    ('Căn cứ 61/2018/NĐ-CP',
     'Căn cứ Nghị định số sáu mươi mốt năm hai nghìn không trăm mười tám của Chính phủ'),
    ('Thực hiện Nghị định 61/2018/NĐ-CP',
     'Thực hiện Nghị định số sáu mươi mốt năm hai nghìn không trăm mười tám của Chính phủ'),
    ('Quyết định số 135/QĐ-TTg của Thủ tướng Chính phủ',
     'Quyết định số một trăm ba mươi lăm của Thủ tướng Chính phủ'),
    ('Theo Quyết định số 135/QĐ-TTg',
     'Theo Quyết định số một trăm ba mươi lăm của Thủ tướng Chính phủ'),
    ('Thực hiện văn bản số 3627/KH-UBND',
     'Thực hiện văn bản số ba nghìn sáu trăm hai mươi bảy, Kế hoạch của Ủy ban nhân dân'),
    ('Thực hiện Kế hoạch số 45/KH-UBND ngày 10/3/2023 của UBND huyện',
     'Thực hiện Kế hoạch số bốn mươi lăm ngày mùng mười tháng ba năm hai nghìn không trăm hai mươi ba của Ủy ban nhân dân huyện'),
    ('Nghị quyết số 12/NQ-HĐND của HĐND xã',
     'Nghị quyết số mười hai của Hội đồng nhân dân xã'),
    ('Công văn số 1234/UBND-KGVX ngày 05/6/2021',
     'Công văn số một nghìn hai trăm ba mươi tư của Ủy ban nhân dân ngày mùng năm tháng sáu năm hai nghìn không trăm hai mươi mốt'),
    ('Văn bản số 256/UBND-VP',
     'Văn bản số hai trăm năm mươi sáu của Ủy ban nhân dân'),
    ('Thông tư số 01/2023/TT-BNV',
     'Thông tư số một năm hai nghìn không trăm hai mươi ba của Bộ Nội vụ'),
    ('Thông tư 01/2023/TT-BNV',
     'Thông tư số một năm hai nghìn không trăm hai mươi ba của Bộ Nội vụ'),
    ('Thông tư liên tịch số 01/2015/TTLT-BNV-BTC',
     'Thông tư liên tịch số một năm hai nghìn không trăm mười lăm của Bộ Nội vụ và Bộ Tài chính'),
    ('Chỉ thị số 15/CT-TTg ngày 22/5/2023',
     'Chỉ thị số mười lăm của Thủ tướng Chính phủ ngày hai mươi hai tháng năm năm hai nghìn không trăm hai mươi ba'),
    ('Nghị quyết số 18-NQ/TW ngày 25/10/2017 của Ban Chấp hành Trung ương Đảng khóa XII',
     'Nghị quyết số mười tám ngày hai mươi lăm tháng mười năm hai nghìn không trăm mười bảy của Ban Chấp hành Trung ương Đảng khóa mười hai'),
    ('Chỉ thị số 05-CT/TU của Tỉnh ủy',
     'Chỉ thị số năm của Tỉnh ủy'),
    ('Luật số 80/2015/QH13',
     'Luật số tám mươi năm hai nghìn không trăm mười lăm của Quốc hội khóa mười ba'),
    ('Luật Đất đai số 31/2024/QH15',
     'Luật Đất đai số ba mươi mốt năm hai nghìn không trăm hai mươi tư của Quốc hội khóa mười lăm'),
    ('Thông báo số 88/TB-VPCP',
     'Thông báo số tám mươi tám của Văn phòng Chính phủ'),
    ('Báo cáo số 120/BC-UBND ngày 15/12/2023',
     'Báo cáo số một trăm hai mươi của Ủy ban nhân dân ngày mười lăm tháng mười hai năm hai nghìn không trăm hai mươi ba'),
    ('Hướng dẫn số 05/HD-BCĐ',
     'Hướng dẫn số năm của Ban Chỉ đạo'),
    ('Kết luận số 21-KL/TW',
     'Kết luận số hai mươi mốt của Trung ương'),
    ('Quyết định số 1291/QĐ-BNV ngày 31/12/2019 của Bộ trưởng Bộ Nội vụ',
     'Quyết định số một nghìn hai trăm chín mươi mốt ngày ba mươi mốt tháng mười hai năm hai nghìn không trăm mười chín của Bộ trưởng Bộ Nội vụ'),
    ('Tờ trình số 45/TTr-UBND',
     'Tờ trình số bốn mươi lăm của Ủy ban nhân dân'),
    ('Công điện số 02/CĐ-TTg',
     'Công điện số hai của Thủ tướng Chính phủ'),
    ('Nghị định số 30/2020/NĐ-CP về công tác văn thư',
     'Nghị định số ba mươi năm hai nghìn không trăm hai mươi của Chính phủ về công tác văn thư'),
    ('Quyết định 06/QĐ-TTg về Đề án 06',
     'Quyết định số sáu của Thủ tướng Chính phủ về Đề án sáu'),
    ('Nghị định số 107/2021/NĐ-CP sửa đổi, bổ sung Nghị định số 61/2018/NĐ-CP',
     'Nghị định số một trăm linh bảy năm hai nghìn không trăm hai mươi mốt của Chính phủ sửa đổi, bổ sung Nghị định số sáu mươi mốt năm hai nghìn không trăm mười tám của Chính phủ'),
    ('Kế hoạch 3627/KH-UBND',
     'Kế hoạch số ba nghìn sáu trăm hai mươi bảy của Ủy ban nhân dân'),
    ('Theo 3627/KH-UBND',
     'Theo Kế hoạch số ba nghìn sáu trăm hai mươi bảy của Ủy ban nhân dân'),
    ('Quyết định số 468/QĐ-TTg ngày 27/3/2021 của Thủ tướng Chính phủ',
     'Quyết định số bốn trăm sáu mươi tám ngày hai mươi bảy tháng ba năm hai nghìn không trăm hai mươi mốt của Thủ tướng Chính phủ'),
    ('Thông tư số 01/2018/TT-VPCP ngày 23/11/2018',
     'Thông tư số một năm hai nghìn không trăm mười tám của Văn phòng Chính phủ ngày hai mươi ba tháng mười một năm hai nghìn không trăm mười tám'),
    ('Nghị quyết số 76/NQ-CP',
     'Nghị quyết số bảy mươi sáu của Chính phủ'),
    ('Quyết định số 25/2023/QĐ-UBND',
     'Quyết định số hai mươi lăm năm hai nghìn không trăm hai mươi ba của Ủy ban nhân dân'),
    ('Số: 125/KH-UBND',
     'Số: một trăm hai mươi lăm, Kế hoạch của Ủy ban nhân dân'),
    ('QĐ số 135/QĐ-TTg',
     'Quyết định số một trăm ba mươi lăm của Thủ tướng Chính phủ'),
    ('Kế hoạch số 3627/KH-UBND ngày 23 tháng 4 năm 2018 của Ủy ban nhân dân tỉnh',
     'Kế hoạch số ba nghìn sáu trăm hai mươi bảy ngày hai mươi ba tháng tư năm hai nghìn không trăm mười tám của Ủy ban nhân dân tỉnh'),
    ('Văn bản số 3627/KH-UBND của UBND tỉnh',
     'Văn bản số ba nghìn sáu trăm hai mươi bảy, Kế hoạch của Ủy ban nhân dân tỉnh'),
    ('Chương trình số 10-CTr/TU',
     'Chương trình số mười của Tỉnh ủy'),
    ('Quy chế số 01/QC-UBND',
     'Quy chế số một của Ủy ban nhân dân'),
    ('Đề án số 03/ĐA-UBND',
     'Đề án số ba của Ủy ban nhân dân'),
    ('Giấy mời số 15/GM-UBND',
     'Giấy mời số mười lăm của Ủy ban nhân dân'),
    ('Lệnh số 05/2023/L-CTN',
     'Lệnh số năm năm hai nghìn không trăm hai mươi ba của Chủ tịch nước'),
]

# Abbreviations from the lexicon, whole tokens, case-sensitive.
ABBR = [
    ('Đẩy mạnh CCHC, TTHC',
     'Đẩy mạnh cải cách hành chính, thủ tục hành chính'),
    ('Ứng dụng CNTT trong quản lý',
     'Ứng dụng công nghệ thông tin trong quản lý'),
    ('Đội ngũ CBCCVC cấp xã',
     'Đội ngũ cán bộ, công chức, viên chức cấp xã'),
    ('Đánh giá CBCC hằng năm',
     'Đánh giá cán bộ, công chức hằng năm'),
    ('Tuyển dụng CCVC năm 2024',
     'Tuyển dụng công chức, viên chức năm hai nghìn không trăm hai mươi tư'),
    ('Trụ sở UBND xã',
     'Trụ sở Ủy ban nhân dân xã'),
    ('Kỳ họp HĐND huyện',
     'Kỳ họp Hội đồng nhân dân huyện'),
    ('UBMTTQ Việt Nam xã',
     'Ủy ban Mặt trận Tổ quốc Việt Nam xã'),
    ('Ban Thường trực MTTQ',
     'Ban Thường trực Mặt trận Tổ quốc'),
    ('TP. Cao Bằng',
     'Thành phố Cao Bằng'),
    ('TP.HCM',
     'Thành phố Hồ Chí Minh'),
    ('Tp. Hà Nội',
     'Thành phố Hà Nội'),
    ('BNV hướng dẫn',
     'Bộ Nội vụ hướng dẫn'),
    ('BTTTT triển khai',
     'Bộ Thông tin và Truyền thông triển khai'),
    ('Học sinh THPT và THCS',
     'Học sinh trung học phổ thông và trung học cơ sở'),
    ('Phát triển KT-XH',
     'Phát triển kinh tế – xã hội'),
    ('Đảm bảo QP-AN',
     'Đảm bảo quốc phòng – an ninh'),
    ('Tiếp xúc cử tri của ĐBQH',
     'Tiếp xúc cử tri của đại biểu Quốc hội'),
    ('Tham gia BHXH, BHYT',
     'Tham gia bảo hiểm xã hội, bảo hiểm y tế'),
    ('Xây dựng CSDL quốc gia',
     'Xây dựng cơ sở dữ liệu quốc gia'),
    ('Cung cấp DVC, DVCTT',
     'Cung cấp dịch vụ công, dịch vụ công trực tuyến'),
    ('Trung tâm HCC tỉnh',
     'Trung tâm hành chính công tỉnh'),
    ('Đảm bảo ANTT, ATGT',
     'Đảm bảo an ninh trật tự, an toàn giao thông'),
    ('Công tác PCCC',
     'Công tác phòng cháy, chữa cháy'),
    ('Ban Chỉ đạo PCTT và TKCN',
     'Ban Chỉ đạo phòng, chống thiên tai và tìm kiếm cứu nạn'),
    ('Sở GD&ĐT',
     'Sở Giáo dục và Đào tạo'),
    ('Sở LĐ-TB&XH',
     'Sở Lao động – Thương binh và Xã hội'),
    ('Sở TN&MT',
     'Sở Tài nguyên và Môi trường'),
    ('Sở NN&PTNT',
     'Sở Nông nghiệp và Phát triển nông thôn'),
    ('Sở KH&ĐT',
     'Sở Kế hoạch và Đầu tư'),
    ('Sở VH-TT&DL',
     'Sở Văn hóa, Thể thao và Du lịch'),
    ('Ngành GTVT',
     'Ngành Giao thông vận tải'),
    ('TAND và VKSND huyện',
     'Tòa án nhân dân và Viện kiểm sát nhân dân huyện'),
    ('Thành lập HTX nông nghiệp',
     'Thành lập hợp tác xã nông nghiệp'),
    ('Hỗ trợ DN và DNNVV',
     'Hỗ trợ doanh nghiệp và doanh nghiệp nhỏ và vừa'),
    ('Xây dựng NTM',
     'Xây dựng nông thôn mới'),
    ('Công tác GPMB',
     'Công tác giải phóng mặt bằng'),
    ('Cấp GCNQSDĐ',
     'Cấp giấy chứng nhận quyền sử dụng đất'),
    ('Làm CCCD gắn chip',
     'Làm căn cước công dân gắn chip'),
    ('Chỉ số PCI năm 2023',
     'Chỉ số năng lực cạnh tranh cấp tỉnh năm hai nghìn không trăm hai mươi ba'),
    ('Hội LHPN xã',
     'Hội Liên hiệp Phụ nữ xã'),
    ('Phát triển KCN, CCN',
     'Phát triển khu công nghiệp, cụm công nghiệp'),
    ('Sắp xếp ĐVHC cấp xã',
     'Sắp xếp đơn vị hành chính cấp xã'),
    ('Rà soát VBQPPL',
     'Rà soát văn bản quy phạm pháp luật'),
    ('Công tác PBGDPL',
     'Công tác phổ biến, giáo dục pháp luật'),
    ('Thúc đẩy CĐS',
     'Thúc đẩy chuyển đổi số'),
    ('Chi NSNN',
     'Chi ngân sách nhà nước'),
    ('Công ty CP Cấp nước',
     'Công ty cổ phần Cấp nước'),
    ('CTCP Môi trường đô thị',
     'Công ty cổ phần Môi trường đô thị'),
    ('Nước CHXHCN Việt Nam',
     'Nước Cộng hòa xã hội chủ nghĩa Việt Nam'),
    ('V/v triển khai CCHC',
     'Về việc triển khai cải cách hành chính'),
    ('K/g: UBND các xã',
     'Kính gửi: Ủy ban nhân dân các xã'),
    ('TM. ỦY BAN NHÂN DÂN',
     'Thay mặt ỦY BAN NHÂN DÂN'),
    ('KT. CHỦ TỊCH',
     'Ký thay CHỦ TỊCH'),
    ('ThS. Nguyễn Văn A',
     'Thạc sĩ Nguyễn Văn A'),
    ('Các loại giấy tờ, v.v.',
     'Các loại giấy tờ, vân vân'),
    ('Theo NĐ-CP hiện hành',
     'Theo Nghị định của Chính phủ hiện hành'),
    ('Ban Chỉ đạo TW',
     'Ban Chỉ đạo Trung ương'),
    ('UBND-HĐND xã',
     'Ủy ban nhân dân – Hội đồng nhân dân xã'),
    ('(UBND) tỉnh',
     '(Ủy ban nhân dân) tỉnh'),
    ('Chủ tịch UBND.',
     'Chủ tịch Ủy ban nhân dân.'),
    ('Ủy ban nhân dân tỉnh và ubnd xã',
     'Ủy ban nhân dân tỉnh và ubnd xã'),
    ('PCT UBND huyện',
     'Phó Chủ tịch Ủy ban nhân dân huyện'),
    ('GĐ Sở Nội vụ',
     'Giám đốc Sở Nội vụ'),
    ('Trạm TYT xã',
     'Trạm y tế xã'),
    ('QLNN về CCHC',
     'Quản lý nhà nước về cải cách hành chính'),
]

# Roman numerals after a context word or as a heading; ordinals after 'thứ'.
ROMAN = [
    ('Quý IV năm 2023',
     'Quý bốn năm hai nghìn không trăm hai mươi ba'),
    ('Trong quý II',
     'Trong quý hai'),
    ('Thế kỷ XXI',
     'Thế kỷ hai mươi mốt'),
    ('Quốc hội khóa XV',
     'Quốc hội khóa mười lăm'),
    ('HĐND tỉnh khóa XVI, nhiệm kỳ 2021-2026',
     'Hội đồng nhân dân tỉnh khóa mười sáu, nhiệm kỳ hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi sáu'),
    ('Đại hội XIII của Đảng',
     'Đại hội mười ba của Đảng'),
    ('Đại hội đại biểu toàn quốc lần thứ XIII',
     'Đại hội đại biểu toàn quốc lần thứ mười ba'),
    ('Lần thứ II',
     'Lần thứ hai'),
    ('Kỳ họp thứ IV',
     'Kỳ họp thứ tư'),
    ('Phần I',
     'Phần một'),
    ('Chương II',
     'Chương hai'),
    ('Mục III',
     'Mục ba'),
    ('Đô thị loại II',
     'Đô thị loại hai'),
    ('Hội nghị Trung ương 8 khóa XII',
     'Hội nghị Trung ương tám khóa mười hai'),
    ('I. MỤC ĐÍCH, YÊU CẦU',
     'Một. MỤC ĐÍCH, YÊU CẦU'),
    ('II. NỘI DUNG',
     'Hai. NỘI DUNG'),
    ('IV) Tổ chức thực hiện',
     'Bốn) Tổ chức thực hiện'),
    ('Giai đoạn II của dự án',
     'Giai đoạn hai của dự án'),
    ('thứ 1',
     'thứ nhất'),
    ('thứ 2',
     'thứ hai'),
    ('thứ 4',
     'thứ tư'),
    ('lần thứ 5',
     'lần thứ năm'),
    ('Kỳ họp thứ 14',
     'Kỳ họp thứ mười bốn'),
    ('thứ 21',
     'thứ hai mươi mốt'),
    ('Hạng I',
     'Hạng một'),
    ('Cấp độ IV',
     'Cấp độ bốn'),
]

# Phone numbers digit by digit, codes, URLs and e-mail addresses spelled out.
CONTACT = [
    ('ĐT: 0206 3852 123',
     'Điện thoại: không hai không sáu, ba tám năm hai, một hai ba'),
    ('Di động: 0912.345.678',
     'Di động: không chín một hai, ba bốn năm, sáu bảy tám'),
    ('Số điện thoại 0912345678',
     'Số điện thoại không chín một hai, ba bốn năm, sáu bảy tám'),
    ('Đường dây nóng 1900 1234',
     'Đường dây nóng một chín không không, một hai ba bốn'),
    ('Hotline: 18001091',
     'Hotline: một tám không không, một không chín một'),
    ('Gọi 113 khi có cháy',
     'Gọi một một ba khi có cháy'),
    ('Tổng đài 1022',
     'Tổng đài một không hai hai'),
    ('Fax: (0206) 3852 124',
     'Fax: không hai không sáu, ba tám năm hai, một hai bốn'),
    ('Liên hệ +84 912 345 678',
     'Liên hệ cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám'),
    ('Mã số thuế 4800123456',
     'Mã số thuế bốn tám không không một hai ba bốn năm sáu'),
    ('Mã hồ sơ 000.00.12.H10-230415-0001',
     'Mã hồ sơ không không không chấm không không chấm một hai chấm hát một không gạch ngang hai ba không bốn một năm gạch ngang không không không một'),
    ('Truy cập dichvucong.gov.vn',
     'Truy cập dịch vụ công chấm gốp chấm vê nờ'),
    ('Cổng Dịch vụ công quốc gia (dichvucong.gov.vn)',
     'Cổng Dịch vụ công quốc gia (dịch vụ công chấm gốp chấm vê nờ)'),
    ('Website: https://caobang.gov.vn/',
     'Website: caobang chấm gốp chấm vê nờ'),
    ('Xem tại www.chinhphu.vn',
     'Xem tại vê kép vê kép vê kép chấm chính phủ chấm vê nờ'),
    ('Địa chỉ https://dichvucong.gov.vn/p/home/dvc-trang-chu.html',
     'Địa chỉ dịch vụ công chấm gốp chấm vê nờ gạch chéo pê gạch chéo home gạch chéo dê vê xê gạch ngang trang gạch ngang chu chấm hát tê em mờ e lờ'),
    ('Email: vanthu.ubnd@caobang.gov.vn',
     'Email: vanthu chấm u bê en nờ dê a còng caobang chấm gốp chấm vê nờ'),
    ('Gửi về hộp thư cchc2024@gmail.com',
     'Gửi về hộp thư xê xê hát xê hai không hai bốn a còng gờ meo chấm com'),
    ('Trang baochinhphu.vn đưa tin',
     'Trang báo chính phủ chấm vê nờ đưa tin'),
    ('Quét mã QR trên ứng dụng Zalo',
     'Quét mã QR trên ứng dụng Zalo'),
]

# Bullets, list markers, slashes, symbols, hyphens, quotes and whole sentences.
MIXED = [
    ('- Tổ chức tuyên truyền CCHC cho người dân',
     'Tổ chức tuyên truyền cải cách hành chính cho người dân'),
    ('+ Hướng dẫn thủ tục đăng ký khai sinh',
     'Hướng dẫn thủ tục đăng ký khai sinh'),
    ('• Niêm yết công khai TTHC',
     'Niêm yết công khai thủ tục hành chính'),
    ('1. Mục đích',
     'Một. Mục đích'),
    ('2.1. Nội dung tuyên truyền',
     'Hai chấm một. Nội dung tuyên truyền'),
    ('a) Đối với cấp xã',
     'a) Đối với cấp xã'),
    ('Điều 5. Tổ chức thực hiện',
     'Điều năm. Tổ chức thực hiện'),
    ('Khoản 2 Điều 3 Nghị định số 30/2020/NĐ-CP',
     'Khoản hai Điều ba Nghị định số ba mươi năm hai nghìn không trăm hai mươi của Chính phủ'),
    ('Nam/Nữ',
     'Nam, Nữ'),
    ('Tổ chức/cá nhân có nhu cầu',
     'Tổ chức, cá nhân có nhu cầu'),
    ('Các xã/phường/thị trấn',
     'Các xã, phường, thị trấn'),
    ('Hồ sơ gồm: (1) Tờ khai; (2) Bản sao',
     'Hồ sơ gồm: (một) Tờ khai; (hai) Bản sao'),
    ('Người dân, doanh nghiệp (*) được miễn phí',
     'Người dân, doanh nghiệp được miễn phí'),
    ('Số lượng #1',
     'Số lượng số một'),
    ('Hồ sơ gồm bản chính & bản sao',
     'Hồ sơ gồm bản chính và bản sao'),
    ('Tỷ lệ hài lòng ≥ 90%',
     'Tỷ lệ hài lòng lớn hơn hoặc bằng chín mươi phần trăm'),
    ('Có ghi chú [1]',
     'Có ghi chú (một)'),
    ('Xem § 3',
     'Xem mục ba'),
    ('Xã Hồng Việt, huyện Hòa An, tỉnh Cao Bằng',
     'Xã Hồng Việt, huyện Hòa An, tỉnh Cao Bằng'),
    ('Tỉnh Bà Rịa - Vũng Tàu',
     'Tỉnh Bà Rịa – Vũng Tàu'),
    ('Hệ thống e-mail công vụ',
     'Hệ thống e mail công vụ'),
    ('Đạt chuẩn Wi-Fi miễn phí',
     'Đạt chuẩn Wi Fi miễn phí'),
    ('Kết quả: tốt; khá; trung bình…',
     'Kết quả: tốt; khá; trung bình…'),
    ('"Một cửa, một cửa liên thông"',
     '"Một cửa, một cửa liên thông"'),
    ('Chủ đề “Năm chuyển đổi số”',
     'Chủ đề “Năm chuyển đổi số”'),
    ('  Nhiều   khoảng    trắng  ',
     'Nhiều khoảng trắng'),
    ('Ủy ban nhân dân',
     'Ủy ban nhân dân'),
    ('UBND xã thông báo lịch tiếp công dân vào thứ 5 hằng tuần, từ 7h30 đến 11h00.',
     'Ủy ban nhân dân xã thông báo lịch tiếp công dân vào thứ năm hằng tuần, từ bảy giờ ba mươi phút đến mười một giờ.'),
    ('Đề nghị các xã báo cáo về Phòng Nội vụ trước ngày 25/12/2024 (qua email: phongnoivu@hoaan.gov.vn).',
     'Đề nghị các xã báo cáo về Phòng Nội vụ trước ngày hai mươi lăm tháng mười hai năm hai nghìn không trăm hai mươi tư (qua email: phongnoivu a còng hoaan chấm gốp chấm vê nờ).'),
    ('Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;',
     'Căn cứ Luật Tổ chức chính quyền địa phương ngày mười chín tháng sáu năm hai nghìn không trăm mười lăm;'),
    ('UBND tỉnh Cao Bằng thông báo: từ ngày 01/7/2024, người dân có thể nộp hồ sơ trực tuyến 24/7 tại dichvucong.gov.vn.',
     'Ủy ban nhân dân tỉnh Cao Bằng thông báo: từ ngày mùng một tháng bảy năm hai nghìn không trăm hai mươi tư, người dân có thể nộp hồ sơ trực tuyến hai mươi tư trên bảy tại dịch vụ công chấm gốp chấm vê nờ.'),
    ('Năm 2023, toàn tỉnh giải quyết 125.346 hồ sơ, đạt 98,7%, tăng 2,05% so với năm 2022.',
     'Năm hai nghìn không trăm hai mươi ba, toàn tỉnh giải quyết một trăm hai mươi lăm nghìn ba trăm bốn mươi sáu hồ sơ, đạt chín mươi tám phẩy bảy phần trăm, tăng hai phẩy không năm phần trăm so với năm hai nghìn không trăm hai mươi hai.'),
    ('Trong 6 tháng đầu năm 2024, có 1.250 hồ sơ được tiếp nhận qua DVCTT toàn trình.',
     'Trong sáu tháng đầu năm hai nghìn không trăm hai mươi tư, có một nghìn hai trăm năm mươi hồ sơ được tiếp nhận qua dịch vụ công trực tuyến toàn trình.'),
    ('Mọi thắc mắc xin liên hệ ĐT: 0206.3852.123 hoặc email: cchc@caobang.gov.vn.',
     'Mọi thắc mắc xin liên hệ điện thoại: không hai không sáu, ba tám năm hai, một hai ba hoặc email: xê xê hát xê a còng caobang chấm gốp chấm vê nờ.'),
    ('Xã có 3.425 nhân khẩu, 812 hộ, trong đó 45 hộ nghèo (chiếm 5,54%).',
     'Xã có ba nghìn bốn trăm hai mươi lăm nhân khẩu, tám trăm mười hai hộ, trong đó bốn mươi lăm hộ nghèo (chiếm năm phẩy năm mươi tư phần trăm).'),
]

ALL = NUMBERS + DATES + TIMES + DOCS + ABBR + ROMAN + CONTACT + MIXED


def _unread(text: str) -> list[str]:
    """Characters a voice would not read: anything but letters, spaces and pause punctuation."""
    return [c for c in text if not (c.isalpha() or c == " " or c in KEPT_PUNCTUATION)]


def test_there_are_enough_phrases():
    assert len(ALL) >= 200
    assert len({written for written, _ in ALL}) == len(ALL)


@pytest.mark.parametrize("written,spoken", ALL, ids=[w[:40] for w, _ in ALL])
def test_reads_aloud(lex, written, spoken):
    assert read_aloud(written, lex) == spoken


@pytest.mark.parametrize("written", [w for w, _ in ALL], ids=[w[:40] for w, _ in ALL])
def test_output_has_no_digit_and_no_unread_symbol(lex, written):
    spoken = read_aloud(written, lex)
    assert not any(c.isdigit() for c in spoken)
    assert _unread(spoken) == []
    assert spoken == unicodedata.normalize("NFC", spoken)
    assert "  " not in spoken and "\n" not in spoken and spoken == spoken.strip()
    assert "ngày ngày" not in spoken.lower() and "số số" not in spoken.lower()


# --- numbers on their own ------------------------------------------------------------------


@pytest.mark.parametrize("n,words", [
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (115, "một trăm mười lăm"),
    (1000, "một nghìn"),
    (2018, "hai nghìn không trăm mười tám"),
    (2021, "hai nghìn không trăm hai mươi mốt"),
    (10_000, "mười nghìn"),
    (24_000, "hai mươi tư nghìn"),
    (1_000_000, "một triệu"),
    (1_000_005, "một triệu không trăm linh năm"),
    (1_500_000, "một triệu năm trăm nghìn"),
    (1_000_000_000, "một tỷ"),
    (2_500_000_000, "hai tỷ năm trăm triệu"),
    (1_000_000_000_000, "một nghìn tỷ"),
])
def test_cardinal(lex, n, words):
    assert lex.num.cardinal(n) == words


def test_options_choose_the_words():
    variant = _variant(thousand="ngàn", zero_tens="lẻ", month_one="giêng", early_day="mồng", billion="tỉ")
    assert read_aloud("Cấp 105 giấy phép", variant) == "Cấp một trăm lẻ năm giấy phép"
    assert read_aloud("Năm 2018", variant) == "Năm hai ngàn không trăm mười tám"
    assert read_aloud("ngày 5/1/2024", variant) == "ngày mồng năm tháng giêng năm hai ngàn không trăm hai mươi tư"
    assert read_aloud("Vốn 2 tỷ đồng và 3.000.000.000 đồng", variant) == "Vốn hai tỷ đồng và ba tỉ đồng"


def test_a_minimal_lexicon_still_reads_numbers_and_dates():
    bare = Lexicon.from_dict({}, "empty")
    assert read_aloud("Ngày 23/4/2018 có 21 hộ", bare) == (
        "Ngày hai mươi ba tháng tư năm hai nghìn không trăm mười tám có hai mươi mốt hộ"
    )


# --- one line in, one line out -----------------------------------------------------------


def test_empty_and_blank_lines(lex):
    assert read_aloud("", lex) == ""
    assert read_aloud("   \t ", lex) == ""


def test_several_lines_become_one(lex):
    assert read_aloud("UBND xã\nthông báo:\r\n  lịch tiếp dân", lex) == "Ủy ban nhân dân xã thông báo: lịch tiếp dân"


def test_decomposed_input_comes_out_composed(lex):
    decomposed = unicodedata.normalize("NFD", "Ủy ban nhân dân tỉnh họp ngày 23/4/2018")
    spoken = read_aloud(decomposed, lex)
    assert spoken == "Ủy ban nhân dân tỉnh họp ngày hai mươi ba tháng tư năm hai nghìn không trăm mười tám"
    assert spoken == unicodedata.normalize("NFC", spoken)


def test_random_junk_never_crashes_or_leaks_symbols(lex):
    pieces = list("0123456789 ./-,:;%@#&+=<>~*^_|\\()[]{}'\"!?–—…°²³$€hgđĐaăâêôơưÀẠ") + [
        "UBND", "KH", "ngày ", "tháng ", "thứ ", "quý ", "số ", "www.", "gov.vn", "TP.", "NĐ-CP", "km", "m2",
        "VNĐ", "\n", "\u00a0", "１", "/QĐ-UBND", "-NQ/TW", "/20", "h", ":", "0", "09", "IV", " XX",
    ]
    rng = random.Random(20240423)
    for _ in range(2000):
        written = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        spoken = read_aloud(written, lex)
        assert _unread(spoken) == [], (written, spoken)


# --- the lexicon file ----------------------------------------------------------------------


def test_shipped_lexicon_is_big_enough_and_nfc(lex):
    assert len(lex.abbreviations) >= 60
    for table in (lex.abbreviations, lex.doc_types, lex.issuers, lex.units):
        for key, value in table.items():
            assert key == unicodedata.normalize("NFC", key)
            assert value == unicodedata.normalize("NFC", value)
            assert not any(c.isdigit() for c in value), key


def test_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nowhere" / "lexicon.yaml"
    with pytest.raises(ConfigError) as info:
        load_lexicon(missing)
    assert str(missing) in str(info.value) and "(file)" in str(info.value) and "not found" in str(info.value)


def test_invalid_yaml_is_one_line(tmp_path):
    bad = tmp_path / "lexicon.yaml"
    bad.write_text("abbreviations: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_lexicon(bad)
    assert str(bad) in str(info.value) and "not valid YAML" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text,key,words", [
    ("- just\n- a list\n", "(top level)", "must be a mapping"),
    ("abbreviations: [UBND, HĐND]\n", "abbreviations", "must be a mapping"),
    ("abbreviations:\n  UBND: 7\n", "abbreviations.UBND", "not a non-empty string"),
    ("abbreviations:\n  UBND: ''\n", "abbreviations.UBND", "not a non-empty string"),
    ("abbreviations:\n  123: một hai ba\n", "abbreviations.123", "key 123 is not a non-empty string"),
    ("units:\n  yes: có\n", "units.True", "key True is not a non-empty string"),
    ("issuers: ủy ban\n", "issuers", "must be a mapping"),
    ("options:\n  thousand: ngìn\n", "options.thousand", "not one of nghìn | ngàn"),
    ("options:\n  zero_tens: 0\n", "options.zero_tens", "not a non-empty string"),
    ("options:\n  decimal: phẩy\n", "options.decimal", "not a known option"),
    ("options: [nghìn]\n", "options", "must be a mapping"),
    ("roman_contexts: quý\n", "roman_contexts", "must be a list"),
    ("roman_contexts: [quý, 4]\n", "roman_contexts[1]", "not a non-empty string"),
    ("abbreviation:\n  UBND: Ủy ban nhân dân\n", "abbreviation", "is not a lexicon section"),
    ("version: 2\n", "version", "not a supported version"),
])
def test_bad_lexicon_names_file_key_and_problem(tmp_path, text, key, words):
    path = tmp_path / "lexicon.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_lexicon(path)
    message = str(info.value)
    assert info.value.file == str(path) and info.value.key == key
    assert str(path) in message and key in message and words in message
    assert "\n" not in message


def test_from_dict_names_its_source():
    with pytest.raises(ConfigError) as info:
        Lexicon.from_dict({"doc_types": {"KH": None}}, "inline test data")
    assert str(info.value).startswith("inline test data: doc_types.KH:")
