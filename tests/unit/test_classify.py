from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from loa.config.relevance import load_relevance
from loa.errors import ConfigError
from loa.ingest.classify import AREAS, Keyword, RelevanceRules, classify, extract_meta, fold
from loa.ingest.relevance_fit import FitOptions, Item, cross_validate, evaluate, fit, parse_corpus, rewrite_weights
from loa.model import DocumentMeta

CONFIG = Path(__file__).resolve().parents[2] / "config" / "relevance.yaml"


@pytest.fixture(scope="module")
def rules() -> RelevanceRules:
    return load_relevance(CONFIG)


# (title, text, relevant, content areas that must be among the result)
RELEVANCE_CASES = [
    (
        "UBND tỉnh Cao Bằng ban hành Kế hoạch cải cách hành chính năm 2025",
        "Kế hoạch xác định nhiệm vụ trọng tâm, phấn đấu nâng cao Chỉ số PAR INDEX của tỉnh.",
        True,
        set(),
    ),
    (
        "Công bố danh mục thủ tục hành chính lĩnh vực hộ tịch thuộc thẩm quyền giải quyết của UBND cấp xã",
        "Chủ tịch UBND tỉnh ban hành Quyết định công bố 12 thủ tục hành chính được sửa đổi, bổ sung.",
        True,
        {"procedures"},
    ),
    (
        "Cao Bằng: 100% thủ tục hành chính đủ điều kiện được cung cấp dịch vụ công trực tuyến toàn trình",
        "Người dân nộp hồ sơ trên Cổng Dịch vụ công quốc gia.",
        True,
        {"digital_government", "procedures"},
    ),
    (
        "Hòa An triển khai sắp xếp đơn vị hành chính cấp xã giai đoạn 2023–2025",
        "Sau sắp xếp, huyện giảm 6 xã; cán bộ dôi dư được bố trí theo lộ trình.",
        True,
        {"apparatus"},
    ),
    (
        "Thông báo tuyển dụng công chức cấp xã năm 2025",
        "Hội đồng tuyển dụng thông báo chỉ tiêu theo vị trí việc làm tại 15 xã, thị trấn.",
        True,
        {"civil_servants"},
    ),
    (
        "Giao quyền tự chủ tài chính cho các đơn vị sự nghiệp công lập năm 2025",
        "Sở Tài chính hướng dẫn xây dựng phương án tự chủ giai đoạn 2025–2027.",
        True,
        {"public_finance"},
    ),
    (
        "Rà soát, hệ thống hóa văn bản quy phạm pháp luật kỳ 2019–2023",
        "Sở Tư pháp đề nghị các sở, ngành gửi kết quả rà soát văn bản trước ngày 15/3.",
        True,
        {"institutions"},
    ),
    (
        "Chỉ số PAR INDEX 2024 của tỉnh Cao Bằng tăng 5 bậc",
        "Bộ Nội vụ công bố Chỉ số cải cách hành chính năm 2024 của các bộ, tỉnh.",
        True,
        set(),
    ),
    (
        "cai cach thu tuc hanh chinh tai xa Hong Viet",
        "UBND xa niem yet cong khai thu tuc hanh chinh tai bo phan mot cua",
        True,
        {"procedures"},
    ),
    (
        "Tinh giản biên chế, sắp xếp tổ chức bộ máy các sở, ngành",
        "Giảm 10% biên chế so với năm 2022.",
        True,
        {"apparatus"},
    ),
    (
        "Nâng cao chất lượng đào tạo, bồi dưỡng cán bộ, công chức, viên chức cấp xã",
        "Năm 2025 mở 12 lớp bồi dưỡng kỹ năng.",
        True,
        {"civil_servants"},
    ),
    (
        "Đẩy mạnh thanh toán trực tuyến và định danh điện tử VNeID",
        "Áp dụng trong giải quyết thủ tục hành chính tại Trung tâm Phục vụ hành chính công.",
        True,
        {"digital_government"},
    ),
    (
        "Hướng dẫn thực hiện cơ chế một cửa, một cửa liên thông",
        "Theo Nghị định 61/2018/NĐ-CP của Chính phủ.",
        True,
        {"procedures"},
    ),
    (
        "Kiểm tra công vụ đột xuất tại Bộ phận Một cửa huyện Trùng Khánh",
        "Đoàn kiểm tra việc chấp hành kỷ luật, kỷ cương hành chính của công chức.",
        True,
        {"procedures", "civil_servants"},
    ),
    (
        "Xây dựng chính quyền số cấp xã: Hà Quảng làm điểm",
        "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính.",
        True,
        {"digital_government"},
    ),
    # not about reform
    (
        "Khai mạc Lễ hội Pháo hoa Quảng Uyên năm 2025",
        "Ban tổ chức ứng dụng chuyển đổi số, bán vé và giới thiệu lễ hội qua mã QR.",
        False,
        set(),
    ),
    (
        "Dự báo thời tiết Cao Bằng: rét đậm, rét hại, vùng núi có băng giá",
        "Không khí lạnh tăng cường, nhiệt độ thấp nhất 2–4 độ C.",
        False,
        set(),
    ),
    (
        "Cao Bằng giành Huy chương Vàng giải bóng đá nam thiếu niên toàn quốc",
        "Đội bóng thể hiện lối chơi đồng đều.",
        False,
        set(),
    ),
    (
        "Thác Bản Giốc đón hơn 10.000 lượt khách dịp nghỉ lễ 30/4",
        "Ngành du lịch tỉnh tăng cường các hoạt động quảng bá.",
        False,
        set(),
    ),
    (
        "Mưa lớn gây sạt lở đất trên Quốc lộ 34 đoạn qua Bảo Lạc",
        "Lực lượng chức năng khẩn trương khắc phục, bảo đảm giao thông.",
        False,
        set(),
    ),
    (
        "Hội thi văn nghệ quần chúng chào mừng Ngày thành lập Đảng",
        "Tham gia có 20 đội văn nghệ đến từ các xã.",
        False,
        set(),
    ),
    (
        "Công chức xã Hưng Đạo giúp dân thu hoạch lúa chạy lũ",
        "Tinh thần tương thân tương ái được lan tỏa.",
        False,
        set(),
    ),
    ("Giá lợn hơi tăng trở lại", "Thương lái thu mua 62.000 đồng/kg.", False, set()),
]


@pytest.mark.parametrize("title,text,relevant,areas", RELEVANCE_CASES, ids=[c[0][:40] for c in RELEVANCE_CASES])
def test_relevance_and_content_areas(rules, title, text, relevant, areas) -> None:
    result = classify(title, text, rules)
    assert result.relevant is relevant, result.reasons
    assert areas <= set(result.content_areas)
    assert set(result.content_areas) <= set(AREAS)
    if not relevant:
        assert result.content_areas == ()


# The shipped weights are fitted to the corpus and move when it grows; what an editor reads
# is tested on fixed weights.
FIXED = {
    "threshold": 3.0,
    "keywords": {"cải cách hành chính": 3.0, "lễ hội": -3.0},
    "areas": {"procedures": {"một cửa liên thông": 2.5, "một cửa": 1.5}, "digital_government": {"chính quyền số": 3.0}},
}


@pytest.fixture(scope="module")
def fixed() -> RelevanceRules:
    return RelevanceRules.from_dict(FIXED, "test")


def test_reasons_say_which_keyword_and_how_many_points(fixed) -> None:
    result = classify("Kế hoạch cải cách hành chính năm 2025", "Về cải cách hành chính và chính quyền số.", fixed)
    assert result.reasons[0] == 'từ khóa "cải cách hành chính" trong tiêu đề (+4.5)'
    assert 'từ khóa "chính quyền số" (+3.0)' in result.reasons
    assert result.reasons[-1] == "tổng điểm 7.5 ≥ ngưỡng 3.0"
    assert result.score == 7.5


def test_negative_keywords_are_shown_too(fixed) -> None:
    result = classify("Lễ hội Lồng tồng xã Hồng Việt", "", fixed)
    assert result.reasons == ('từ khóa "lễ hội" trong tiêu đề (-4.5)', "tổng điểm -4.5 < ngưỡng 3.0")


def test_a_keyword_inside_a_longer_match_counts_once(fixed) -> None:
    result = classify("Thực hiện một cửa liên thông", "", fixed)
    assert [r for r in result.reasons if "một cửa" in r] == ['từ khóa "một cửa liên thông" trong tiêu đề (+3.75)']


def test_a_long_text_shows_the_strongest_reasons_and_sums_the_rest() -> None:
    weights = {f"từ{i}": float(i) for i in range(1, 15)}  # "từ1" … "từ14", weights 1 … 14
    rules = RelevanceRules.from_dict(
        {"threshold": 3.0, "keywords": weights, "areas": {"procedures": {"thủ tục hành chính": 1.0}}}, "test"
    )
    result = classify("Tin", " ".join(weights), rules)
    assert result.reasons[0] == 'từ khóa "từ14" (+14.0)'
    assert result.reasons[9] == 'từ khóa "từ5" (+5.0)'
    assert result.reasons[10] == "4 từ khóa khác (+10.0)"  # 4 + 3 + 2 + 1
    assert result.reasons[11] == "tổng điểm 105.0 ≥ ngưỡng 3.0"
    assert len(result.reasons) == 12


def test_shipped_reasons_name_the_keywords_that_decided(rules) -> None:
    """With the fitted weights too, an editor sees the phrases that made the verdict, strongest first."""
    result = classify(
        "Cảnh báo lừa đảo giả danh công an yêu cầu cập nhật VNeID",
        "Đối tượng gửi đường link giả mạo ứng dụng định danh điện tử để chiếm đoạt tài khoản.",
        rules,
    )
    assert not result.relevant
    assert result.reasons[0].startswith('từ khóa "lừa đảo" trong tiêu đề (-')
    assert any(r.startswith('từ khóa "VNeID" trong tiêu đề (+') for r in result.reasons)
    assert result.reasons[-1].startswith("tổng điểm -") and result.reasons[-1].endswith("< ngưỡng 3.0")


def test_each_area_in_the_shipped_config_has_keywords(rules) -> None:
    assert {kw.area for kw in rules.keywords if kw.area} == set(AREAS)


@pytest.mark.parametrize(
    "text,found",
    [
        ("Cải cách hành chính", True),
        ("CẢI CÁCH HÀNH CHÍNH", True),
        ("cai cach hanh chinh", True),
        ("Cai-cach, hanh chinh", True),  # punctuation is a space
        ("cái cách hành chính", False),  # other diacritics: other words
        ("cải cách hành chínhh", False),
        ("tăng cải cách hành chính.", True),
    ],
)
def test_matching_with_and_without_diacritics(text: str, found: bool) -> None:
    kw = Keyword("cải cách hành chính", 3.0)
    assert bool(kw.spans(text, fold(text))) is found


@pytest.mark.parametrize(
    "keyword,text,found",
    [
        ("đơn vị hành chính", "sap xep don vi hanh chinh cap xa", True),  # đ → d
        ("đơn vị hành chính", "Đơn vị hành chính", True),
        ("đơn vị hành chính", "dơn vị hành chính", False),  # d where đ is meant, with diacritics elsewhere
        ("đơn giản hóa", "Đơn giản hoá thủ tục", True),  # old tone placement
        ("thủy lợi", "thuỷ lợi", True),
        ("VNeID", "ứng dụng vneid", True),
        ("76/NQ-CP", "Nghị quyết 76/NQ-CP", True),
        ("76/NQ-CP", "Nghị quyết 176/NQ-CP", False),
    ],
)
def test_keyword_edge_cases(keyword: str, text: str, found: bool) -> None:
    assert bool(Keyword(keyword, 1.0).spans(text, fold(text))) is found


# --- document metadata ------------------------------------------------------

META_CASES = [
    (
        "Quyết định số 135/QĐ-TTg phê duyệt Đề án đổi mới việc thực hiện cơ chế một cửa",
        "Thủ tướng Chính phủ ký ban hành ngày 23 tháng 1 năm 2024.",
        DocumentMeta("135/QĐ-TTg", "Quyết định", "Thủ tướng Chính phủ", "2024-01-23", None, None),
    ),
    (
        "Nghị định 61/2018/NĐ-CP về thực hiện cơ chế một cửa, một cửa liên thông",
        "Nghị định 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ có hiệu lực thi hành kể từ ngày 21 tháng 6 năm 2018. "
        "Người ký: Nguyễn Xuân Phúc",
        DocumentMeta("61/2018/NĐ-CP", "Nghị định", "Chính phủ", "2018-04-23", "Nguyễn Xuân Phúc", "2018-06-21"),
    ),
    (
        "Thông tư số 01/2024/TT-BNV hướng dẫn chế độ báo cáo",
        "Thông tư có hiệu lực từ ngày 15/3/2024.",
        DocumentMeta("01/2024/TT-BNV", "Thông tư", "Bộ Nội vụ", None, None, "2024-03-15"),
    ),
    (
        "UBND tỉnh ban hành Kế hoạch cải cách hành chính năm 2025",
        "Kế hoạch số 3627/KH-UBND ngày 23/12/2024 của UBND tỉnh Cao Bằng. KT. CHỦ TỊCH PHÓ CHỦ TỊCH (Đã ký) Lê Văn An",
        DocumentMeta("3627/KH-UBND", "Kế hoạch", "UBND tỉnh", "2024-12-23", "Lê Văn An", None),
    ),
    (
        "Tăng cường kỷ luật, kỷ cương hành chính",
        "Ngày 05/3/2025, UBND tỉnh Cao Bằng ban hành Công văn số 1234/UBND-NC; văn bản do bà Đàm Thị Lan, Phó Chủ tịch UBND tỉnh ký.",
        DocumentMeta("1234/UBND-NC", "Công văn", "UBND tỉnh Cao Bằng", "2025-03-05", "Đàm Thị Lan", None),
    ),
    (
        "Ủy ban nhân dân huyện Hòa An ban hành Kế hoạch kiểm tra cải cách hành chính",
        "Kiểm tra tại 15 xã, thị trấn trong quý II.",
        DocumentMeta(None, "Kế hoạch", "UBND huyện Hòa An", None, None, None),
    ),
    (
        "Triển khai kế hoạch cải cách hành chính năm 2025",
        "Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ, UBND tỉnh Cao Bằng ban hành Kế hoạch số 45/KH-UBND "
        "ngày 10/3/2025. Kế hoạch do Phó Chủ tịch UBND tỉnh Nguyễn Văn Hùng ký.",
        DocumentMeta("45/KH-UBND", "Kế hoạch", "UBND tỉnh Cao Bằng", "2025-03-10", "Nguyễn Văn Hùng", None),
    ),
    (
        "Nghị quyết về chính sách hỗ trợ cán bộ dôi dư",
        "Số: 12/2025/NQ-HĐND. HĐND tỉnh Cao Bằng khóa XVII, kỳ họp thứ 28 thông qua ngày 30/6/2025.",
        DocumentMeta("12/2025/NQ-HĐND", "Nghị quyết", "HĐND tỉnh Cao Bằng", "2025-06-30", None, None),
    ),
    (
        "Luật Cán bộ, công chức sửa đổi",
        "Luật số 80/2025/QH15 được Quốc hội thông qua; có hiệu lực thi hành kể từ ngày 01/7/2025.",
        DocumentMeta("80/2025/QH15", "Luật", "Quốc hội", None, None, "2025-07-01"),
    ),
    (
        "Chỉ thị 05/CT-TTg về tăng cường kỷ luật, kỷ cương",
        "Chỉ thị có hiệu lực kể từ ngày ký ban hành, ngày 31/2/2025.",
        DocumentMeta("05/CT-TTg", "Chỉ thị", "Thủ tướng Chính phủ", None, None, None),
    ),
    (
        "Uỷ ban nhân dân tỉnh Cao Bằng công bố Quyết định số 512/QĐ-UBND",
        "Quyết định có hiệu lực thi hành kể từ ngày ký. Số ký hiệu 512/QĐ-UBND Ngày ban hành 18/03/2025 Người ký Nguyễn Văn Hùng Chức vụ Phó Chủ tịch",
        DocumentMeta("512/QĐ-UBND", "Quyết định", "UBND tỉnh Cao Bằng", "2025-03-18", "Nguyễn Văn Hùng", "2025-03-18"),
    ),
    ("Dự báo thời tiết: không khí lạnh tăng cường", "Nhiệt độ thấp nhất 5 độ C.", DocumentMeta()),
    (
        "Tuyên truyền thực hiện quy định về đăng ký thường trú",  # "quy định", "thông báo" as plain words
        "Công an xã thông báo lịch làm việc với người dân.",
        DocumentMeta(),
    ),
]


@pytest.mark.parametrize("title,text,expected", META_CASES, ids=[c[0][:40] for c in META_CASES])
def test_extract_meta(title: str, text: str, expected: DocumentMeta) -> None:
    assert extract_meta(title, text) == expected


def test_classify_carries_the_meta(rules) -> None:
    title, text, expected = META_CASES[1]
    assert classify(title, text, rules).meta == expected


# --- configuration ------------------------------------------------------------


def _config(**changes) -> dict:
    data = {
        "threshold": 3.0,
        "keywords": {"cải cách hành chính": 3.0},
        "areas": {"procedures": {"thủ tục hành chính": 2.5}},
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "data,key,words",
    [
        (_config(threshold=None), "threshold", "None"),
        (_config(threshold="3"), "threshold", "'3'"),
        (_config(threshold=0), "threshold", "greater than 0"),
        (_config(title_factor=0.5), "title_factor", "0.5"),
        (_config(treshold=3), "treshold", "unknown key"),
        (_config(keywords={}), "keywords", "non-empty"),
        (_config(keywords={"lễ hội": 0}), "keywords.lễ hội", "non-zero"),
        (_config(keywords={"lễ hội": "nhiều"}), "keywords.lễ hội", "'nhiều'"),
        (_config(areas={"finance": {"ngân sách": 1.0}}), "areas.finance", "public_finance"),
        (_config(areas={"procedures": {"một cửa": -1.0}}), "areas.procedures.một cửa", "positive"),
        (
            _config(areas={"procedures": {"cai cach hanh chinh": 1.0}}),
            "areas.procedures.cai cach hanh chinh",
            "keywords.cải cách hành chính",
        ),
        (_config(areas=[]), "areas", "content areas"),
        ([1, 2], "(file)", "mapping"),
    ],
)
def test_config_errors_name_the_key_and_the_value(data, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RelevanceRules.from_dict(data, "relevance.yaml")
    assert caught.value.file == "relevance.yaml"
    assert caught.value.key == key
    assert words in caught.value.problem


def test_load_reports_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found; copy it from the packaged defaults"):
        load_relevance(tmp_path / "relevance.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("threshold: [3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_relevance(broken)


def test_rules_from_a_config_behave_like_the_file(tmp_path: Path) -> None:
    path = tmp_path / "relevance.yaml"
    path.write_text(yaml.safe_dump(_config(title_factor=1.0), allow_unicode=True), encoding="utf-8")
    rules = load_relevance(path)
    result = classify("Cải cách hành chính", "thủ tục hành chính", rules)
    assert (result.relevant, result.score, result.content_areas) == (True, 5.5, ("procedures",))


# --- measured relevance: the labelled corpus ------------------------------------

DATA = Path(__file__).resolve().parents[1] / "data" / "relevance"


@pytest.fixture(scope="module")
def corpus() -> list[Item]:
    return parse_corpus((DATA / "corpus.tsv").read_text(encoding="utf-8"), "corpus.tsv")


@pytest.fixture(scope="module")
def prior() -> RelevanceRules:
    return load_relevance(DATA / "prior.yaml")


def test_the_corpus_is_large_and_balanced(corpus) -> None:
    reform = [it for it in corpus if it.relevant]
    assert len(corpus) >= 400
    assert 0.4 <= len(reform) / len(corpus) <= 0.6
    assert {it.kind for it in reform} >= set(AREAS)  # every content area, and look-alikes of many kinds:
    assert {"penalty", "drugs", "traffic", "economy", "scam", "health", "culture"} <= {it.kind for it in corpus}
    assert len({it.title for it in corpus}) == len(corpus)


def test_cross_validation_floor(corpus, prior) -> None:
    """Weights fitted on nine tenths, measured on the tenth they never saw, ten times.

    Achieved when written: precision 0.976, recall 0.982 (8 false, 6 missed of 676).
    """
    scores, _ = cross_validate(corpus, prior, k=10)
    assert scores.recall >= 0.96, scores
    assert scores.precision >= 0.96, scores


def test_the_shipped_weights_are_the_fit(rules, corpus, prior) -> None:
    """config/relevance.yaml is what scripts/eval_relevance.py --write makes of the prior and the corpus."""
    fitted = fit(corpus, prior)
    assert [(kw.phrase, kw.area) for kw in rules.keywords] == [(kw.phrase, kw.area) for kw in prior.keywords]
    assert [kw.weight for kw in rules.keywords] == [kw.weight for kw in fitted.keywords]
    assert (rules.threshold, rules.title_factor) == (prior.threshold, prior.title_factor)


def test_final_held_out_floor(rules) -> None:
    """Items written before the rule change of 3 December 2026 and never used to fit or tune it.

    Achieved when measured once: precision 0.913, recall 0.955 (44 items; before the change
    0.955 / 0.955). The set before it (113 items, 1.000 / 0.946) joined the corpus.
    """
    final = parse_corpus((DATA / "final2.tsv").read_text(encoding="utf-8"), "final2.tsv")
    assert len(final) >= 40
    scores, _ = evaluate(final, rules)
    assert scores.recall >= 0.95, scores
    assert scores.precision >= 0.9, scores


@pytest.mark.parametrize(
    "title,lead",
    [
        # Citizens' feedback and how the authorities answer it, on an app or a hotline.
        (
            "Xã Phú Lộc trả lời 120 phản ánh hiện trường của người dân trong tháng",
            "Các phản ánh về đèn chiếu sáng, rác thải, lấn chiếm lòng đường được chuyển đến bộ phận phụ trách.",
        ),
        ("Tiếp nhận phản ánh của người dân qua ứng dụng, phản hồi trong 24 giờ", "Người dân gửi ảnh kèm vị trí."),
        # Service discipline and placing people, where "công chức" alone was not enough.
        ("Công chức phường đi muộn, về sớm bị nhắc nhở", "Đoàn kiểm tra lập biên bản, yêu cầu kiểm điểm."),
        (
            "Biệt phái công chức tỉnh về các xã vùng cao",
            "Người được biệt phái hưởng phụ cấp và được xem xét quy hoạch cán bộ lãnh đạo.",
        ),
    ],
)
def test_feedback_and_service_discipline_are_reform(rules, title, lead) -> None:
    """The class of items final.tsv missed (written anew here, not its items)."""
    got = classify(title, lead, rules)
    assert got.relevant, got.reasons


def test_cadre_planning_is_not_land_planning(rules) -> None:
    """ "quy hoạch cán bộ" is its own keyword, so the land-use "quy hoạch" (a sign of other news) is not counted."""
    reasons = " ".join(classify("Rà soát quy hoạch cán bộ nhiệm kỳ tới", "", rules).reasons)
    assert '"quy hoạch cán bộ"' in reasons and '"quy hoạch" ' not in reasons


def test_fit_keeps_area_keywords_positive_and_no_weight_zero(corpus, prior) -> None:
    fitted = fit(corpus[:60], prior, FitOptions(epochs=5))
    assert all(kw.weight > 0 for kw in fitted.keywords if kw.area)
    assert all(kw.weight != 0 and (kw.weight * 4).is_integer() for kw in fitted.keywords)


def test_fit_learns_from_the_labels() -> None:
    """A keyword seen only in other news goes negative; one seen only in reform goes up."""
    prior = RelevanceRules.from_dict(
        {
            "threshold": 3.0,
            "keywords": {"cải cách hành chính": 3.0, "kỷ niệm": 0.5},
            "areas": {"procedures": {"thủ tục hành chính": 1.0}},
        },
        "test",
    )
    items = [Item(True, "procedures", "news", f"Cắt giảm thủ tục hành chính lĩnh vực {i}", "", i) for i in range(20)]
    items += [Item(False, "culture", "news", f"Lễ kỷ niệm {i} năm thành lập xã", "", 20 + i) for i in range(20)]
    fitted = {kw.phrase: kw.weight for kw in fit(items, prior).keywords}
    assert fitted["kỷ niệm"] < 0
    assert fitted["thủ tục hành chính"] >= 2.0  # in the title, × 1.5, it now reaches the threshold alone
    assert fitted["cải cách hành chính"] == 3.0  # never seen: the prior stands


@pytest.mark.parametrize(
    "row,words",
    [
        ("reform\tprocedures\tnews\tTiêu đề", "got 4 column(s)"),
        ("maybe\tprocedures\tnews\tTiêu đề\tTóm tắt", "label (reform|other)"),
        ("reform\tsport\tnews\tTiêu đề\tTóm tắt", "'sport'"),
    ],
)
def test_corpus_errors_say_where_and_what(row: str, words: str) -> None:
    with pytest.raises(ValueError, match=r"corpus\.tsv:2: ") as caught:
        parse_corpus(f"# header\n{row}\n", "corpus.tsv")
    assert words in str(caught.value)


def test_rewrite_weights_keeps_comments_and_order() -> None:
    text = (
        "threshold: 3.0\nkeywords:\n  # signs of reform\n  cải cách hành chính: 3.0  # the core\n  lễ hội: -3.0\n"
        "areas:\n  procedures:   # thủ tục\n    một cửa: 1.5\n"
    )
    rules = RelevanceRules.from_dict(yaml.safe_load(text), "test")
    changed = RelevanceRules(
        rules.threshold,
        tuple(Keyword(k.phrase, w, k.area) for k, w in zip(rules.keywords, (3.25, -2.75, 1.0))),
        rules.title_factor,
    )
    assert rewrite_weights(text, changed) == (
        "threshold: 3.0\nkeywords:\n  # signs of reform\n  cải cách hành chính: 3.25  # the core\n  lễ hội: -2.75\n"
        "areas:\n  procedures:   # thủ tục\n    một cửa: 1.0\n"
    )
