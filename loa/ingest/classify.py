"""Is a document about administrative reform, which areas of it, and what it says about itself.

Relevance is a weighted keyword score (config/relevance.yaml) so an editor can read
exactly why a document was kept (`reasons`) and an administrator can tune it without
code. Content areas are the six of the 2021–2030 master programme (Resolution 76/NQ-CP).

Keywords match with or without diacritics ("cai cach hanh chinh" finds "cải cách hành
chính"), but a text that does carry diacritics must carry the keyword's own, so
"cải cách" never matches "cái cách". Old and new tone placement ("hoá"/"hóa") are equal.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache

from loa.errors import ConfigError
from loa.ingest.sanitize import collapse_whitespace
from loa.model import Classification, DocumentMeta

log = logging.getLogger(__name__)

# Resolution 76/NQ-CP, section III: the six reform areas, in its order.
AREA_LABELS: dict[str, str] = {
    "institutions": "Cải cách thể chế",
    "procedures": "Cải cách thủ tục hành chính",
    "apparatus": "Cải cách tổ chức bộ máy hành chính nhà nước",
    "civil_servants": "Xây dựng đội ngũ cán bộ, công chức, viên chức",
    "public_finance": "Cải cách tài chính công",
    "digital_government": "Xây dựng chính quyền điện tử, chính quyền số",
}
AREAS = tuple(AREA_LABELS)
_TOP_KEYS = frozenset({"threshold", "title_factor", "keywords", "areas"})


# --- matching ---------------------------------------------------------------


def _fold_char(c: str) -> str:
    """One character in, one out, so a match in the folded text maps back to the original."""
    low = c.lower()
    if len(low) != 1:
        return c
    if low == "đ":  # đ has no Unicode decomposition: NFD alone would keep it
        return "d"
    base = unicodedata.normalize("NFD", low)[0]
    return base if base.isalnum() else " "  # "76/NQ-CP" is then "76 nq cp" in text and keyword alike


class _FoldTable(dict):
    """str.translate table filled on first sight of each character: folding is then one C loop."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower case, no diacritics, punctuation as spaces; same length as `text`."""
    return text.translate(_FOLD)


@lru_cache(maxsize=8192)  # matched phrases repeat across documents
def _word_marks(text: str) -> tuple[tuple[str, ...], ...]:
    """Per word, its diacritics as a sorted tuple: tone placement does not matter, the marks do."""
    return tuple(
        tuple(sorted(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.combining(c) or c == "đ"))
        for word in re.findall(r"\w+", text)
    )


@dataclass(frozen=True)
class Keyword:
    phrase: str  # as written in the config, shown to editors
    weight: float  # negative: a sign of other news (festivals, weather, sport)
    area: str | None = None  # one of AREAS, or None for reform in general
    words: frozenset = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        words = fold(self.phrase).split()
        if not words:
            raise ValueError(f"keyword {self.phrase!r} has no letters or digits")
        object.__setattr__(self, "words", frozenset(words))

    # Compiled on first use, not when the config is validated: every `loa` command validates
    # relevance.yaml at start, and compiling its hundreds of patterns cost each one ~0.15 s.
    @cached_property
    def pattern(self) -> re.Pattern:
        # Starts with the literal first word, so re scans for it at C speed; the word boundary
        # before it is checked in spans (a leading look-behind would cost that speed).
        return re.compile(" +".join(map(re.escape, fold(self.phrase).split())) + r"(?!\w)")

    @cached_property
    def marks(self) -> tuple:
        return _word_marks(self.phrase)

    def spans(self, text: str, folded: str) -> list[tuple[int, int]]:
        found, at, search = [], 0, self.pattern.search
        while (m := search(folded, at)) is not None:
            start, end = m.span()
            if (start == 0 or folded[start - 1] == " ") and self._same_marks(text[start:end]):
                found.append((start, end))
                at = end
            else:
                at = start + 1
        return found

    def _same_marks(self, found: str) -> bool:
        marks = _word_marks(found)
        # Text typed without diacritics, or a keyword written without them, matches loosely.
        return not any(marks) or not any(self.marks) or marks == self.marks


# --- rules ------------------------------------------------------------------


@dataclass(frozen=True)
class RelevanceRules:
    threshold: float
    keywords: tuple[Keyword, ...]  # general ones (area None) and each area's
    title_factor: float = 1.5  # a keyword in the title says more than one deep in the text
    # folded word -> indices of the keywords filed under it: a text is only scanned for keywords
    # whose every word it has (the ingest hot path). Each keyword is filed under one of its
    # words, the one fewest keywords share, so a common word ("xã", "chính") wakes few keywords.
    _by_word: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sharing: dict[str, int] = {}
        for kw in self.keywords:
            for word in kw.words:
                sharing[word] = sharing.get(word, 0) + 1
        by_word: dict[str, list[int]] = {}
        for i, kw in enumerate(self.keywords):
            by_word.setdefault(min(sorted(kw.words), key=sharing.__getitem__), []).append(i)
        object.__setattr__(self, "_by_word", by_word)

    def candidates(self, words: set[str]) -> list[int]:
        """Indices (in keyword order) of the keywords whose every word is in `words`."""
        by_word, keywords = self._by_word, self.keywords
        return sorted(i for w in words & by_word.keys() for i in by_word[w] if keywords[i].words <= words)

    def spans(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, keyword index) of every keyword found in `text`."""
        folded = fold(text)
        return [
            (s, e, i) for i in self.candidates(set(folded.split())) for s, e in self.keywords[i].spans(text, folded)
        ]

    @classmethod
    def from_dict(cls, data: dict, source: str) -> RelevanceRules:
        if not isinstance(data, dict):
            raise ConfigError(source, "(file)", "must be a mapping with threshold, keywords and areas")
        unknown = sorted(set(map(str, data)) - _TOP_KEYS)
        if unknown:
            raise ConfigError(source, unknown[0], f"unknown key; expected one of {', '.join(sorted(_TOP_KEYS))}")
        threshold = _number(data.get("threshold"), source, "threshold", minimum=0.0, exclusive=True)
        title_factor = _number(data.get("title_factor", 1.5), source, "title_factor", minimum=1.0)
        keywords = _keywords(data.get("keywords"), source, "keywords", area=None)
        areas = data.get("areas")
        if not isinstance(areas, dict) or not areas:
            raise ConfigError(source, "areas", f"must map content areas ({', '.join(AREAS)}) to keywords")
        for area, table in areas.items():
            if area not in AREA_LABELS:
                raise ConfigError(source, f"areas.{area}", f"unknown content area; expected one of {', '.join(AREAS)}")
            keywords += _keywords(table, source, f"areas.{area}", area=area)
        _reject_duplicates(keywords, source)
        return cls(threshold=threshold, keywords=keywords, title_factor=title_factor)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _number(value, source: str, key: str, *, minimum: float, exclusive: bool = False) -> float:
    if not _is_number(value) or value < minimum or (exclusive and value == minimum):
        bound = f"greater than {minimum}" if exclusive else f"at least {minimum}"
        raise ConfigError(source, key, f"{value!r} is not a number {bound}")
    return float(value)


def _keywords(table, source: str, key: str, area: str | None) -> tuple[Keyword, ...]:
    if not isinstance(table, dict) or not table:
        raise ConfigError(
            source, key, 'must be a non-empty mapping of keyword to weight, e.g. "cải cách hành chính": 3.0'
        )
    found = []
    for phrase, weight in table.items():
        where = f"{key}.{phrase}"
        if not isinstance(phrase, str) or not fold(phrase).strip():
            raise ConfigError(source, where, "a keyword must be a non-empty text")
        if not _is_number(weight) or weight == 0:
            raise ConfigError(source, where, f"weight {weight!r} must be a non-zero number")
        if area and weight < 0:
            raise ConfigError(
                source, where, f"weight {weight!r}: area keywords must be positive; put negative ones under keywords"
            )
        found.append(Keyword(collapse_whitespace(phrase), float(weight), area))
    return tuple(found)


def _reject_duplicates(keywords: tuple[Keyword, ...], source: str) -> None:
    # Folded, so "cai cach" and "cải cách" are the same keyword counted twice.
    seen: dict[str, Keyword] = {}
    for kw in keywords:
        k = " ".join(fold(kw.phrase).split())
        if k in seen:
            first = seen[k]
            raise ConfigError(source, _key_of(kw), f'"{kw.phrase}" is already listed under {_key_of(first)}; keep one')
        seen[k] = kw


def _key_of(kw: Keyword) -> str:
    return f"areas.{kw.area}.{kw.phrase}" if kw.area else f"keywords.{kw.phrase}"


# --- classify ---------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    keyword: Keyword
    points: float
    in_title: bool


def classify(title: str, text: str, rules: RelevanceRules) -> Classification:
    """Relevance with its reasons; for a relevant document also its content areas and metadata
    (nothing reads the metadata of news that never becomes a notice, and most news does not)."""
    title, text = collapse_whitespace(title), collapse_whitespace(text)
    hits = _hits(title, text, rules)
    score = round(sum(h.points for h in hits), 2)
    relevant = score >= rules.threshold
    reasons = _reasons(hits) + (_verdict(score, rules.threshold),)
    if not relevant:
        return Classification(relevant=False, score=score, reasons=reasons)
    return Classification(
        relevant=True, score=score, reasons=reasons, content_areas=_areas(hits), meta=_meta(title, text)
    )


def matched_keywords(title: str, text: str, rules: RelevanceRules) -> dict[int, bool]:
    """Index of each keyword that counts, and whether it counts from the title.

    Each keyword counts once: from the title (weighted up) if it is there, else from the text.
    What the scores are made of, for classify and for fitting the weights to a corpus.
    """
    in_title = _unshadowed(title, rules)
    return {i: i in in_title for i in in_title | _unshadowed(text, rules)}


def _hits(title: str, text: str, rules: RelevanceRules) -> list[_Hit]:
    hits = [
        _Hit(kw, kw.weight * rules.title_factor, True) if in_title else _Hit(kw, kw.weight, False)
        for i, in_title in sorted(matched_keywords(title, text, rules).items())
        for kw in (rules.keywords[i],)
    ]
    return sorted(hits, key=lambda h: -abs(h.points))


def _unshadowed(text: str, rules: RelevanceRules) -> set[int]:
    """Indices of the keywords found in `text` other than inside a longer keyword's match.

    So "một cửa liên thông" counts once, not also as "một cửa".
    """
    spans = rules.spans(text)
    return {i for s, e, i in spans if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, _ in spans)}


_SHOWN = 10  # a full article matches 20–30 phrases; past the strongest ten, a sum says enough


def _reasons(hits: list[_Hit]) -> tuple[str, ...]:
    """The strongest hits one per line (hits come strongest first), the rest summed on one."""
    shown = tuple(_reason(h) for h in hits[:_SHOWN])
    rest = hits[_SHOWN:]
    if not rest:
        return shown
    return shown + (f"{len(rest)} từ khóa khác ({_signed(round(sum(h.points for h in rest), 2))})",)


def _reason(hit: _Hit) -> str:
    where = " trong tiêu đề" if hit.in_title else ""
    return f'từ khóa "{hit.keyword.phrase}"{where} ({_signed(hit.points)})'


def _signed(points: float) -> str:
    text = f"{points:+.2f}"  # +3.75 stays exact; +3.00 reads +3.0
    return text[:-1] if text.endswith("0") else text


def _verdict(score: float, threshold: float) -> str:
    sign = "≥" if score >= threshold else "<"
    return f"tổng điểm {score:.1f} {sign} ngưỡng {threshold:.1f}"


def _areas(hits: list[_Hit]) -> tuple[str, ...]:
    """Areas with a matched keyword, strongest first (ties in the resolution's order)."""
    points = {a: sum(h.points for h in hits if h.keyword.area == a) for a in AREAS}
    return tuple(sorted((a for a in AREAS if points[a] > 0), key=lambda a: -points[a]))


# --- document metadata ------------------------------------------------------

_LOWER = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệfghiìíỉĩịjklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvwxyỳýỷỹỵz"
_UPPER = _LOWER.upper()
# A capitalised word of a personal or place name; not a word that often follows one.
_NAME_WORD = rf"(?!(?:Nơi|Ngày|Số|Kính|Ký|Tháng|Năm|Về|Theo|Tại|Căn|Chức|Người)\b)[{_UPPER}][{_LOWER}]*"
_NAME = rf"[{_UPPER}][{_LOWER}]+(?: {_NAME_WORD}){{1,4}}"
_PLACE = rf"{_NAME_WORD}(?: {_NAME_WORD}){{0,3}}"

# 3627/KH-UBND, 61/2018/NĐ-CP, 135/QĐ-TTg, 1234/UBND-VP; 80/2015/QH13 (a year makes a hyphen optional).
_CODE_PART = r"[A-ZĐ][A-Za-zĐđ0-9]*"
_NUMBER = re.compile(
    rf"(?<![\w/])\d{{1,6}}(?:/(?:19|20)\d\d/{_CODE_PART}(?:-{_CODE_PART})*|/{_CODE_PART}(?:-{_CODE_PART})+)(?![\w-])"
)
# What leads to the document's own number, most telling first (the others may be cited documents).
_NUMBER_LEADS = (r"Số(?: hiệu)?\s*:\s*", r"ban hành (?:[\w ]{1,30} )?số ", r"")

_TYPE_CODES = {
    "KH": "Kế hoạch",
    "QĐ": "Quyết định",
    "NQ": "Nghị quyết",
    "NĐ": "Nghị định",
    "TT": "Thông tư",
    "TTLT": "Thông tư liên tịch",
    "CT": "Chỉ thị",
    "TB": "Thông báo",
    "BC": "Báo cáo",
    "HD": "Hướng dẫn",
    "CĐ": "Công điện",
    "TTr": "Tờ trình",
    "CTr": "Chương trình",
    "ĐA": "Đề án",
    "QC": "Quy chế",
    "QyĐ": "Quy định",
    "PA": "Phương án",
    "GM": "Giấy mời",
    "KL": "Kết luận",
}
_TYPE_NAMES = (
    "Nghị quyết",
    "Nghị định",
    "Quyết định",
    "Thông tư liên tịch",
    "Thông tư",
    "Chỉ thị",
    "Kế hoạch",
    "Công văn",
    "Công điện",
    "Thông báo",
    "Báo cáo",
    "Hướng dẫn",
    "Tờ trình",
    "Chương trình",
    "Đề án",
    "Kết luận",
    "Luật",
    "Pháp lệnh",
    "Quy chế",
    "Quy định",
)
_TYPE_IN_TEXT = re.compile(rf"\b({'|'.join(_TYPE_NAMES)}) số\b", re.IGNORECASE)
# Capitalised only: in lower case "quy định", "thông báo", "hướng dẫn" are mostly verbs or nouns.
_TYPE_IN_TITLE = re.compile(rf"\b({'|'.join(_TYPE_NAMES)})\b")

_CENTRAL_CODES = {
    "CP": "Chính phủ",
    "TTg": "Thủ tướng Chính phủ",
    "VPCP": "Văn phòng Chính phủ",
    "QH": "Quốc hội",
    "UBTVQH": "Ủy ban Thường vụ Quốc hội",
    "BNV": "Bộ Nội vụ",
    "BTC": "Bộ Tài chính",
    "BTP": "Bộ Tư pháp",
    "BTTTT": "Bộ Thông tin và Truyền thông",
    "BKHCN": "Bộ Khoa học và Công nghệ",
    "BCA": "Bộ Công an",
    "BKHĐT": "Bộ Kế hoạch và Đầu tư",
    "BYT": "Bộ Y tế",
    "BGDĐT": "Bộ Giáo dục và Đào tạo",
}
_DEPARTMENTS = (
    "Nội vụ",
    "Tư pháp",
    "Tài chính",
    "Thông tin và Truyền thông",
    "Khoa học và Công nghệ",
    "Công an",
    "Kế hoạch và Đầu tư",
    "Y tế",
    "Giáo dục và Đào tạo",
    "Xây dựng",
    "Công Thương",
    "Tài nguyên và Môi trường",
    "Nông nghiệp và Phát triển nông thôn",
    "Nông nghiệp và Môi trường",
)
_LEVEL = r"(?:tỉnh|thành phố|huyện|quận|thị xã|xã|phường|thị trấn)"
_PEOPLES_COMMITTEE = re.compile(rf"(?<!\w)(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân) ({_LEVEL})(?: ({_PLACE}))?")
_PEOPLES_COUNCIL = re.compile(rf"(?<!\w)(?:HĐND|Hội đồng nhân dân) ({_LEVEL})(?: ({_PLACE}))?")
_NAMED = re.compile(
    r"(?<!\w)(Thủ tướng Chính phủ|Văn phòng Chính phủ|Chính phủ|Ủy ban Thường vụ Quốc hội|Quốc hội|"
    rf"(?:Bộ|Sở) (?:{'|'.join(_DEPARTMENTS)}))(?!\w)"
)
_LOCAL_CODES: dict[str | None, tuple[re.Pattern[str], ...]] = {
    "UBND": (_PEOPLES_COMMITTEE,),
    "HĐND": (_PEOPLES_COUNCIL,),
}

_DATE = r"(\d{1,2})(?:/|-|\.| tháng )(\d{1,2})(?:/|-|\.| năm )((?:19|20)\d\d)"
_DATED = re.compile(rf"ngày(?: ban hành| ký)?:? {_DATE}", re.IGNORECASE)
_DATED_AFTER_NUMBER = re.compile(rf",? (?:ban hành )?{_DATED.pattern}", re.IGNORECASE)
_EFFECTIVE = re.compile(rf"hiệu lực(?: thi hành)?(?: kể)? từ(?: ngày)? (?:{_DATE}|(ngày ký))", re.IGNORECASE)
_SIGNER = tuple(
    re.compile(p)
    for p in (
        rf"Người ký\s*:?\s*({_NAME})",
        rf"(?<!\w)[Dd]o (?:ông|bà|đồng chí|đ/c) ({_NAME})",
        rf"(?<!\w)(?:[Đđ]ồng chí|[Ôô]ng|[Bb]à) ({_NAME}),? [^.]{{0,80}}?\bký\b",
        rf"(?:Phó )?Chủ tịch (?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân) {_LEVEL} ({_NAME}) (?:đã )?ký",
        rf"(?:CHỦ TỊCH|GIÁM ĐỐC|BỘ TRƯỞNG|THỦ TƯỚNG|CHÁNH VĂN PHÒNG) (?:\([Đđ]ã ký\) )?({_NAME})",
    )
)


def extract_meta(title: str, text: str) -> DocumentMeta:
    return _meta(collapse_whitespace(title), collapse_whitespace(text))


def _meta(title: str, text: str) -> DocumentMeta:
    """extract_meta on text whose whitespace is collapsed already."""
    both = f"{title}. {text}" if text else title
    number = _find_number(title, text)
    code = number.split("/")[-1] if number else None
    issued = _issue_date(both, number)
    return DocumentMeta(
        number=number,
        doc_type=_type_from_code(code) or _type_from_text(title, text),
        issuer=_issuer(code, title, text),
        issued_on=issued,
        signer=_first_group(_SIGNER, both),
        effective_on=_effective_date(both, issued),
    )


def _find_number(title: str, text: str) -> str | None:
    found = _NUMBER.search(title)
    if found:
        return found.group(0)
    for lead in _NUMBER_LEADS:
        found = re.search(lead + _NUMBER.pattern, text)
        number = _NUMBER.search(found.group(0)) if found else None
        if number:
            return number.group(0)
    return None


def _type_from_code(code: str | None) -> str | None:
    if not code or "-" not in code:
        return None
    head = code.split("-")[0]
    # A number without a type code ("1234/UBND-VP") is, by convention, a công văn.
    return _TYPE_CODES.get(head, "Công văn")


def _type_from_text(title: str, text: str) -> str | None:
    found = _TYPE_IN_TITLE.search(title) or _TYPE_IN_TEXT.search(text)
    return _canonical_type(found.group(1)) if found else None


def _canonical_type(name: str) -> str:
    return next(t for t in _TYPE_NAMES if t.lower() == name.lower())


def _issuer(code: str | None, title: str, text: str) -> str | None:
    issuer_code = _issuer_code(code)
    if issuer_code in _CENTRAL_CODES:
        return _CENTRAL_CODES[issuer_code]
    # A local code names the kind of body; the text names which one (the first mention,
    # as cited documents of other bodies usually come after "Căn cứ").
    patterns = _LOCAL_CODES.get(issuer_code, (_PEOPLES_COMMITTEE, _PEOPLES_COUNCIL, _NAMED))
    for source in (title, text):
        mentions = [m for m in (p.search(source) for p in patterns) if m]
        if mentions:
            return _issuer_name(min(mentions, key=lambda m: m.start()))
    return None


def _issuer_code(code: str | None) -> str | None:
    if not code:
        return None
    parts = code.split("-")  # KH-UBND: type, then issuer; UBND-NC (a công văn): issuer, then its unit
    part = parts[1] if parts[0] in _TYPE_CODES and len(parts) > 1 else parts[0]
    return re.sub(r"\d+$", "", part)  # QH13 → QH: the number is the legislature


def _issuer_name(found: re.Match) -> str:
    if found.re is _NAMED:
        return found.group(1)
    council = "HĐND" if found.re is _PEOPLES_COUNCIL else "UBND"
    return " ".join(p for p in (council, found.group(1), found.group(2)) if p)


def _iso(day: str, month: str, year: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _issue_date(text: str, number: str | None) -> str | None:
    """The date next to the document's number, else the first date that is not another document's."""
    if number:
        at = text.find(number)
        while at >= 0:
            after = _DATED_AFTER_NUMBER.match(text, at + len(number))
            if after:
                return _iso(*after.groups())
            at = text.find(number, at + 1)
    for found in _DATED.finditer(text):
        before = text[max(0, found.start() - 30) : found.start()]
        if not _NUMBER.search(before) and "hiệu lực" not in before.lower():
            return _iso(*found.groups())
    return None


def _effective_date(text: str, issued: str | None) -> str | None:
    found = _EFFECTIVE.search(text)
    if not found:
        return None
    return issued if found.group(4) else _iso(*found.groups()[:3])


def _first_group(patterns: tuple[re.Pattern, ...], text: str) -> str | None:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return found.group(1)
    return None
