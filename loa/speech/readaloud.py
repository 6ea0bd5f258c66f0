"""Vietnamese read-aloud normaliser for administrative text.

`read_aloud(line, lexicon)` turns one line of written administrative Vietnamese
into the words a radio announcer (or a TTS engine) should say: numbers, dates,
times, document numbers, abbreviations, Roman numerals, phone numbers and URLs
become words; punctuation that gives pauses is kept; nothing else survives.

The spoken rules (mốt/tư/lăm, linh, "không trăm", mùng, ...) live here; the
vocabulary (abbreviations, document codes, units, option words) lives in the
lexicon file, see config/lexicon.yaml for the reading decisions.

The work is a fixed sequence of regex passes. Order matters: a pass that needs
context (a date, a document number) runs before the generic number pass
removes the digits it keys on. Every pattern is compiled once per Lexicon.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from loa.errors import ConfigError

log = logging.getLogger(__name__)

__all__ = ["Lexicon", "read_aloud"]  # the lexicon file is read by loa.config.lexicon

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

# Options with a closed set of spellings; the first one is the default.
_CHOICES = {
    "thousand": ("nghìn", "ngàn"),
    "billion": ("tỷ", "tỉ"),
    "zero_tens": ("linh", "lẻ"),
    "month_one": ("một", "giêng"),
    "early_day": ("mùng", "mồng"),
}
# Options that are free words.
_WORDS = {
    "decimal_point": "phẩy",
    "dot": "chấm",
    "range": "đến",
    "fraction": "trên",
    "per": "một",
    "term": "khóa",
    "negative": "âm",
}
_MAPS = (
    "doc_types",
    "issuers",
    "abbreviations",
    "spoken_forms",
    "name_prefixes",
    "number_prefixes",
    "units",
    "symbols",
    "url_symbols",
    "domain_words",
    "letters",
)
_LISTS = (
    "per_denominators",
    "roman_contexts",
    "digit_contexts",
    "name_contexts",
    "occasion_contexts",
    "year_span_contexts",
    "fraction_cues",
    "standards",
)
# Mappings whose values may be empty or bare punctuation (e.g. "/" -> ",").
_LOOSE_MAPS = ("symbols",)

# Punctuation kept in the output because it gives the reader a pause.
KEPT_PUNCTUATION = ".,;:!?()\"'…–—“”‘’«»"

_DASH = r"\s*[-–—]\s*"
_DASHES = "-–—"
_NUM = r"\d+(?:[.,]\d+)*"
# Speed: patterns start with the character they need and look behind only after it,
# e.g. r"\d(?<![\w.,]\d)" rather than r"(?<![\w.,])\d". The regex engine can then
# skip straight to candidate characters; a leading look-behind is tried everywhere.


# --- numbers -----------------------------------------------------------------------------


class Numbers:
    """Spoken Vietnamese numbers, with the lexicon's choice of words."""

    def __init__(self, options: dict[str, str]):
        self.o = options

    def cardinal(self, n: int) -> str:
        if n == 0:
            return DIGITS[0]
        high, low = divmod(n, 10**9)
        words = (self.cardinal(high).split() + [self.o["billion"]]) if high else []
        return " ".join(words + self._below_billion(low, full=bool(high)))

    def _below_billion(self, n: int, full: bool) -> list[str]:
        # Groups after the first are read in full: 2018 -> hai nghìn *không trăm* mười tám.
        words: list[str] = []
        for scale, name in ((10**6, "triệu"), (10**3, self.o["thousand"]), (1, "")):
            group, n = divmod(n, scale)
            if group:
                words += self._triple(group, full) + ([name] if name else [])
                full = True
        return words

    def _triple(self, n: int, full: bool) -> list[str]:
        hundreds, tens, units = n // 100, n // 10 % 10, n % 10
        words = [DIGITS[hundreds], "trăm"] if hundreds or full else []
        if tens == 0:
            if units and words:
                words.append(self.o["zero_tens"])  # 105 -> một trăm linh năm
        elif tens == 1:
            words.append("mười")
        else:
            words += [DIGITS[tens], "mươi"]
        if units:
            words.append(self._unit(units, tens))
        return words

    @staticmethod
    def _unit(units: int, tens: int) -> str:
        if units == 1 and tens >= 2:
            return "mốt"
        if units == 4 and tens >= 2:
            return "tư"
        if units == 5 and tens >= 1:
            return "lăm"
        return DIGITS[units]

    def digits(self, text: str) -> str:
        return " ".join(DIGITS[int(c)] for c in text if c.isdecimal())

    def ordinal(self, n: int) -> str:
        return {1: "nhất", 4: "tư"}.get(n) or self.cardinal(n)

    def month(self, n: int) -> str:
        return {1: self.o["month_one"], 4: "tư"}.get(n) or self.cardinal(n)

    def day(self, n: int) -> str:
        return f"{self.o['early_day']} {self.cardinal(n)}" if n <= 10 else self.cardinal(n)

    def integer(self, text: str) -> str:
        """A written integer; three or more digits with a leading zero is a code."""
        if len(text) >= 3 and text[0] == "0":
            return self.digits(text)
        return self.cardinal(int(text))

    def fraction(self, text: str) -> str:
        """Digits after the decimal comma: short ones as a number, others digit by digit."""
        if len(text) <= 2 and text[0] != "0":
            return self.cardinal(int(text))
        return self.digits(text)

    def number(self, text: str) -> str:
        """Any written number: 2018, 1.250.000, 84,38, 1.250,5, 4.0, 1.2.3."""
        whole, _, frac = text.partition(",")
        parts = whole.split(".")
        if len(parts) == 1:
            said = self.integer(whole)
        elif len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:]):
            said = self.cardinal(int("".join(parts)))  # dots group thousands
        else:  # a section or version number: 1.2, 4.0
            said = f" {self.o['dot']} ".join(self.integer(p) for p in parts if p)
        if frac:
            said += f" {self.o['decimal_point']} {self.fraction(frac)}"
        return said


# --- the lexicon -------------------------------------------------------------------------


def _alternation(keys, boundary: bool = True) -> str:
    """Longest-match alternation of keys, shaped as a trie so matching stays fast.

    With `boundary`, a key ending in a letter or digit must also end the token.
    """
    trie: dict = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict, last: str) -> str:
        alts = [re.escape(c) + build(child, c) for c, child in sorted(node.items()) if c]
        if "" in node:  # after the longer keys, so the longest one wins
            alts.append(r"(?![\w&])" if boundary and last.isalnum() else "")
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return build(trie, "") if trie else r"(?!x)x"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class Lexicon:
    """Validated lexicon data plus every pattern the reader needs, compiled once."""

    def __init__(self, data: dict[str, Any], source: str):
        _validate_top(data, source)
        self.source = source
        self.options = _validate_options(data.get("options", {}), source)
        sections = {name: _validate_map(data.get(name, {}), source, name) for name in _MAPS}
        lists = {name: _validate_list(data.get(name, []), source, name) for name in _LISTS}
        self.doc_types: dict[str, str] = sections["doc_types"]
        self.issuers: dict[str, str] = sections["issuers"]
        self.abbreviations: dict[str, str] = sections["abbreviations"]
        self.spoken_forms: dict[str, str] = {k.casefold(): v for k, v in sections["spoken_forms"].items()}
        self.name_prefixes: dict[str, str] = sections["name_prefixes"]
        self.number_prefixes: dict[str, str] = sections["number_prefixes"]
        self.units: dict[str, str] = sections["units"]
        self.symbols: dict[str, str] = sections["symbols"]
        self.url_symbols: dict[str, str] = sections["url_symbols"]
        self.domain_words: dict[str, str] = {k.lower(): v for k, v in sections["domain_words"].items()}
        self.letters: dict[str, str] = {k.lower(): v for k, v in sections["letters"].items()}
        self.per_denominators: list[str] = lists["per_denominators"]
        self.roman_contexts: list[str] = lists["roman_contexts"]
        self.digit_contexts: list[str] = lists["digit_contexts"]
        self.name_contexts: list[str] = lists["name_contexts"]
        self.occasion_contexts: list[str] = lists["occasion_contexts"]
        self.year_span_contexts: list[str] = lists["year_span_contexts"]
        self.fraction_cues: list[str] = lists["fraction_cues"]
        self.standards: list[str] = lists["standards"]
        self.num = Numbers(self.options)
        self._compile()

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> Lexicon:
        """Build from already-parsed data; `source` names it in ConfigError messages."""
        return cls(data, source)

    def _compile(self) -> None:
        unit_keys = [k for k in self.units if k != "$"]
        self.re_units = re.compile(rf"(?P<n>\d(?<![\w.,]\d)\d*(?:[.,]\d+)*)\s?(?P<u>{_alternation(unit_keys)})")
        self.re_dollar = re.compile(rf"\$\s?(?P<n>{_NUM})") if "$" in self.units else None
        dens = _alternation(self.per_denominators)
        self.re_per = re.compile(
            rf"(?P<head>\d[\d.,]*(?:\s+[^\W\d_]+){{1,3}}?)(?P<dens>(?:\s*/\s*(?:{dens}))+)(?![\w/])"
        )
        self.re_per_split = re.compile(rf"\s*/\s*({dens})")
        self.re_abbr = re.compile(_alternation(self.abbreviations))  # start checked in _abbreviations
        self.re_spoken = re.compile("(?i)" + _alternation(self.spoken_forms))
        # a case-insensitive search is slow: run it only on lines with a key's first Latin word
        self.spoken_first = {m[0] for k in self.spoken_forms if (m := re.match(r"[a-z]*", k))}  # always a match
        # "P. Sông Hiến", "H. Hòa An": a place-type prefix only before a capitalised name
        self.re_name_prefix = re.compile(rf"(?P<p>{_alternation(self.name_prefixes, boundary=False)})(?=\s+[^\W\d_])")
        # "QL3", "QL 34", "Km 12+500", "SN 1985", "ĐT.205": a prefix glued to the number it names
        self.re_number_prefix = re.compile(rf"(?P<p>{_alternation(self.number_prefixes, boundary=False)})\s?(?=\d)")
        self.re_standard = re.compile(
            rf"(?P<pre>{_alternation(self.standards)}(?:[\s/]+{_alternation(self.standards)})*\s+)"
            r"(?P<num>\d+(?:[.-]\d+)*)(?::(?P<year>\d{4}))?(?:/(?P<who>[A-ZĐ][^\W_]*))?(?![\w/:]|[.,]\d)"
        )
        self.re_symbols = re.compile(_alternation(self.symbols, boundary=False))
        lower_codes = [
            k.lower()
            for k in self.abbreviations
            if re.fullmatch(r"[A-Z]{3,8}", k) and k.lower() not in self.abbreviations and not _pronounceable(k.lower())
        ]
        self.re_lower_code = re.compile(_alternation(lower_codes))
        self.digit_contexts_folded = tuple(w.casefold() for w in self.digit_contexts)
        self.doc_type_names = tuple(dict.fromkeys(self.doc_types.values())) + ("văn bản",)

    # -- lookups used by the passes --

    def issuer(self, code: str) -> str | None:
        """Issuer name for a code, None when unknown (an unknown code is never read out).

        "QH14" is the 14th-term National Assembly; a department code "S" + a ministry's
        code after its "B" is the province's department ("SXD" -> "Sở Xây dựng").
        """
        if code in self.issuers:
            return self.issuers[code]
        base = code.rstrip("0123456789")  # and the trailing number, if any
        term = code[len(base) :]
        if base in self.issuers and term:  # QH14: a term; BCĐ389: a body named by a number
            said = self.num.cardinal(int(term))
            return (
                f"{self.issuers[base]} {self.options['term']} {said}"
                if len(term) <= 2
                else f"{self.issuers[base]} {said}"
            )
        ministry = self.issuers.get("B" + code[1:], "") if code.startswith("S") else ""
        if ministry.startswith("Bộ "):
            return "Sở " + ministry[len("Bộ ") :]
        return self.abbreviations.get(code)

    def spell(self, label: str) -> str:
        """One URL label: known word, pronounceable word, or letter by letter."""
        low = label.lower()
        if low in self.domain_words:
            return self.domain_words[low]
        words = []
        for run in re.findall(r"\d+|[^\W\d_]+", low):
            if run.isdecimal():
                words.append(self.num.digits(run))
            elif run in self.domain_words:
                words.append(self.domain_words[run])
            elif _pronounceable(run):
                words.append(_syllables(run))
            else:
                words.extend(self.letters.get(c, c) for c in run)
        return " ".join(words)


# --- validation --------------------------------------------------------------------------


def _validate_top(data: Any, source: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(source, "(top level)", "must be a mapping")
    unknown = sorted(map(str, set(data) - {"version", "options", *_MAPS, *_LISTS}))
    if unknown:
        raise ConfigError(source, unknown[0], "is not a lexicon section: " + ", ".join(("options", *_MAPS, *_LISTS)))
    version = data.get("version", 1)
    if version != 1 or isinstance(version, bool):
        raise ConfigError(source, "version", f"{version!r} is not a supported version (1)")


def _validate_options(raw: Any, source: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError(source, "options", f"must be a mapping, not {type(raw).__name__}")
    options = {name: choices[0] for name, choices in _CHOICES.items()} | dict(_WORDS)
    for key, value in raw.items():
        if key not in options:
            raise ConfigError(source, f"options.{key}", "is not a known option: " + ", ".join(options))
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(source, f"options.{key}", f"{value!r} is not a non-empty string")
        value = _nfc(value.strip())
        if key in _CHOICES and value not in _CHOICES[key]:
            raise ConfigError(source, f"options.{key}", f"{value!r} is not one of " + " | ".join(_CHOICES[key]))
        options[key] = value
    return options


def _validate_map(raw: Any, source: str, name: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError(source, name, f"must be a mapping of text to text, not {type(raw).__name__}")
    result = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(source, f"{name}.{key}", f"key {key!r} is not a non-empty string (quote it)")
        if not isinstance(value, str) or (name not in _LOOSE_MAPS and not value.strip()):
            raise ConfigError(source, f"{name}.{key}", f"{value!r} is not a non-empty string")
        result[_nfc(key.strip())] = _nfc(value.strip())
    return result


def _validate_list(raw: Any, source: str, name: str) -> list[str]:
    if not isinstance(raw, list):
        raise ConfigError(source, name, f"must be a list of text, not {type(raw).__name__}")
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(source, f"{name}[{i}]", f"{item!r} is not a non-empty string")
    return [_nfc(item.strip()) for item in raw]


# --- small helpers -----------------------------------------------------------------------

_ROMAN = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _roman(text: str) -> int | None:
    if not text or not _ROMAN.fullmatch(text):
        return None
    total = 0
    for i, c in enumerate(text):
        value = _ROMAN_VALUES[c]
        total += -value if i + 1 < len(text) and _ROMAN_VALUES[text[i + 1]] > value else value
    return total


_CLUSTER = re.compile(r"ngh|ng|nh|ch|tr|th|ph|kh|gh|gi|qu|[^aeiouy]")


_ONSET = r"(?:ngh|ng|nh|ch|tr|th|ph|kh|gh|gi|qu|[bcdghklmnprstvx])?"
_NUCLEUS = r"(?:uye|uya|uyu|oai|oay|oao|uay|uoi|uou|ieu|yeu|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye|[aeiouy])"
_SYLLABLE = re.compile(_ONSET + _NUCLEUS + r"(?:ng|nh|ch|[cmnpt])?")


def _syllables(run: str) -> str:
    """A run-together URL label cut into Vietnamese syllables ("phongnoivu" -> "phong noi vu"),
    so the voice reads it as Vietnamese, not English; the fewest syllables win. Unchanged when
    no cut fits."""
    best: list[list[str] | None] = [[]] + [None] * len(run)
    for i in range(len(run)):
        here = best[i]
        if here is None:
            continue
        for j in range(i + 1, min(len(run), i + 8) + 1):
            there = best[j]
            if _SYLLABLE.fullmatch(run, i, j) and (there is None or len(here) + 1 < len(there)):
                best[j] = here + [run[i:j]]
    return " ".join(best[-1]) if best[-1] else run


def _pronounceable(run: str) -> bool:
    """Whether a URL label can be read as (run-together) words rather than spelled.

    Vietnamese syllables joined without spaces give at most two consonant units in
    a row (final + initial: "chinh|phu"); three, or no vowel, means an acronym.
    """
    if len(run) <= 2 or not re.search(r"[aeiouy]", run):
        return False
    return all(len(_CLUSTER.findall(c)) <= 2 for c in re.findall(r"[^aeiouy]+", run))


def _said_before(s: str, pos: int, words) -> str | None:
    """Which of `words` (case-insensitive, whole words) ends the text before `pos`."""
    before = s[max(0, pos - 40) : pos].rstrip(" :").casefold()
    for word in words:
        w = word.casefold()
        if before.endswith(w) and (len(before) == len(w) or not before[-len(w) - 1].isalnum()):
            return word
    return None


def _date_ok(d: int, m: int, y: int | None = None) -> bool:
    return 1 <= d <= 31 and 1 <= m <= 12 and (y is None or 1000 <= y <= 2999)


# --- the passes --------------------------------------------------------------------------
# Each pass is a function (text, lexicon) -> text. They run in the order of PASSES.

_BULLET = re.compile(r"^(?:[-+•▪●◦*–]\s+)+")


def _bullets(s: str, lex: Lexicon) -> str:
    """A leading list bullet is layout, not speech; so is the "./." that ends a legal text."""
    if "./." in s:
        s = s.replace("./.", ".")
    return _BULLET.sub("", s)


_EMAIL = re.compile(r"(?i)(?<![\w.])[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![\w-])")
_URL = re.compile(
    r"""(?ix)
    (?:https?://|www\.)[^\s<>"]*[^\s<>".,;:!?)\]'’”]
    | (?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:vn|com|net|org|gov|edu|info|int|io)(?![\w-])
      (?:/[^\s<>"]*[^\s<>".,;:!?)\]'’”])?
    """
)
_URL_HINTS = ("@", "://", "www.", ".vn", ".com", ".net", ".org", ".gov", ".edu", ".info", ".int", ".io")
_URL_SPLIT = re.compile(r"([./@:_\-?=&#~+%])")


def _urls(s: str, lex: Lexicon) -> str:
    """Spell URLs and e-mail addresses: labels, with "chấm", "a còng", "gạch chéo"."""
    low = s.lower()
    if not any(hint in low for hint in _URL_HINTS):
        return s

    def spell(m: re.Match) -> str:
        text = re.sub(r"(?i)^https?://", "", m[0]).rstrip("/")
        words = []
        for part in _URL_SPLIT.split(text):
            if part in lex.url_symbols:
                words.append(lex.url_symbols[part])
            elif part and not _URL_SPLIT.fullmatch(part):
                words.append(lex.spell(part))
        return " ".join(words)

    return _URL.sub(spell, _EMAIL.sub(spell, s))


def _prefixes(s: str, lex: Lexicon) -> str:
    """Place-type prefixes before a name ("P. Sông Hiến") and prefixes of a number ("QL3")."""

    def name(m: re.Match) -> str:
        start, after = m.start(), m.string[m.end() :].lstrip()
        if start and (m.string[start - 1].isalnum() or m.string[start - 1] in "_&."):
            return m[0]  # inside a longer token
        return lex.name_prefixes[m["p"]] if after[:1].isupper() else m[0]

    def number(m: re.Match) -> str:
        start = m.start()
        if start and (m.string[start - 1].isalnum() or m.string[start - 1] in "_&"):
            return m[0]
        return lex.number_prefixes[m["p"]] + " "

    if any(key in s for key in lex.name_prefixes):
        s = lex.re_name_prefix.sub(name, s)
    if _has_digit(s) and any(key in s for key in lex.number_prefixes):
        s = lex.re_number_prefix.sub(number, s)
    return s


def _standards(s: str, lex: Lexicon) -> str:
    """ "ISO 9001:2015", "QCVN 01-1:2018/BYT": the standard's number, "năm" and its year, its issuer."""

    def part(text: str) -> str:
        return lex.num.digits(text) if text.startswith("0") else lex.num.cardinal(int(text))

    def read(m: re.Match) -> str:
        said = " – ".join(f" {lex.options['dot']} ".join(map(part, p.split("."))) for p in m["num"].split("-"))
        if m["year"]:
            said += f" năm {lex.num.cardinal(int(m['year']))}"
        if m["who"]:
            said += f" của {lex.issuer(m['who'])}" if lex.issuer(m["who"]) else ""
        return m["pre"] + said

    return lex.re_standard.sub(read, s) if lex.standards else s


_PHONES = re.compile(
    r"""(?x)
      (?<![\w+])\+84(?:[\s.]?\d{2,4}){3,4}(?!\d|[.,]\d)            # +84 912 345 678
    | (?<![\w.,])\(?0\d{1,3}\)?(?:[\s.]?\d{1,4}){2,4}(?!\d|[.,]\d) # 0912.345.678, 0206.3.852.456
    | (?<![\w.,])1[89]00[\s.]?\d{2,4}(?:[\s.]\d{2,4})?(?!\d|[.,]\d) # 1900 1234 hotlines
    """
)
_PHONE_HINTS = ("+84", "1800", "1900", " 0", "(0", ":0")
# A run of 3+ digits, checked for a digit_contexts word before it ("gọi 113").
_DIGIT_RUN = re.compile(r"\d(?<![\w.,]\d)\d{2,}(?:[.\s]\d{2,})*(?![\w/:]|[.,]\d)")
# Identifiers mixing letters and digits with two or more separators: 000.00.12.H10-230415-0001.
_CODE_ID = re.compile(r"[A-Za-z0-9](?<![\w.-][A-Za-z0-9])[A-Za-z0-9]*(?:[.-][A-Za-z0-9]+){2,}(?![\w-]|\.\w)")
_CODE_HINT = re.compile(r"\d[.-][A-Za-z0-9]+[.-]")
_HAS_LETTER = re.compile(r"[A-Za-z]")


def _phones(s: str, lex: Lexicon) -> str:
    """Phone numbers, identifiers and numbers after "gọi", "mã số"...: digit by digit.

    Pauses (commas) go where the writer grouped the digits.
    """

    def read(m: re.Match) -> str:
        text = m[0]
        count = sum(c.isdigit() for c in text)
        if not text.startswith(("+", "1")) and not 9 <= count <= 11:
            return text
        groups = [g for g in re.split(r"[\s.()]+", text.lstrip("+")) if g]
        if len(groups) == 1 and len(groups[0]) >= 8:  # ungrouped: pause like 0912 345 678, 1800 1091
            g = groups[0]
            groups = [g[:4], g[4:]] if g[0] == "1" else [g[:4], g[4:7], g[7:]]
        said = ", ".join(lex.num.digits(g) for g in groups)
        return f"{lex.symbols.get('+', 'cộng')} {said}" if text.startswith("+") else said

    def after_context(m: re.Match) -> str:
        if not _said_before(m.string, m.start(), lex.digit_contexts):
            return m[0]
        return ", ".join(lex.num.digits(g) for g in re.split(r"[\s.]+", m[0]))

    if _CODE_HINT.search(s):
        s = _CODE_ID.sub(lambda m: _spell_code(m[0], lex), s)
    if any(hint in s for hint in _PHONE_HINTS) or s.startswith("0"):
        s = _PHONES.sub(read, s)
    low = s.casefold()
    if any(word in low for word in lex.digit_contexts_folded):
        s = _DIGIT_RUN.sub(after_context, s)
    return s


def _spell_code(text: str, lex: Lexicon) -> str:
    if not _HAS_LETTER.search(text) or not _has_digit(text):
        return text  # 1.250.000 or 23-4-2018: not an identifier
    words = []
    for part in re.findall(r"\d+|[A-Za-z]+|[.-]", text):
        if part[0].isdigit():
            words.append(lex.num.digits(part))
        elif part in lex.url_symbols:
            words.append(lex.url_symbols[part])
        else:
            words.extend(lex.letters.get(c.lower(), c) for c in part)
    return " ".join(words)


_CODE = r"[A-ZĐƯ](?:[^\W\d_]|&)*\d*"
_DOC_STATE = re.compile(
    rf"(?P<num>\d(?<![\w/.-]\d)\d*)(?:/(?P<year>\d{{4}}))?/(?P<codes>{_CODE}(?:-{_CODE})*)(?![\w&])"
)
_DOC_PARTY = re.compile(rf"(?P<num>\d(?<![\w/.-]\d)\d*)-(?P<type>{_CODE})/(?P<codes>{_CODE}(?:-{_CODE})*)(?![\w&])")
_SO_BEFORE = re.compile(r"(?i)(?<!\w)số\s*:?\s*$")
_AFTER_DOC = re.compile(
    r"""(?x)\s*,?\s*
    (?:(?i:ngày)\s+(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{1,2}\s+(?i:tháng)\s+\d{1,2}\s+(?i:năm)\s+\d{4})\s*,?\s*)?
    (?i:của)\s+(?P<who>[^,;.()]{1,60})"""
)


def _doc_numbers(s: str, lex: Lexicon) -> str:
    """3627/KH-UBND, 61/2018/NĐ-CP, 1234/UBND-VX, 18-NQ/TW: see lexicon.yaml for the form."""
    if "/" not in s:
        return s
    s = _DOC_PARTY.sub(lambda m: _doc_number(m, lex), s)
    return _DOC_STATE.sub(lambda m: _doc_number(m, lex), s)


def _doc_number(m: re.Match, lex: Lexicon) -> str:
    codes = m["codes"].split("-")
    type_code = m.groupdict().get("type")
    if type_code is None and codes[0] in lex.doc_types:
        type_code = codes.pop(0)
    if type_code is not None and type_code not in lex.doc_types:
        return m[0]
    has_so = _SO_BEFORE.search(m.string, max(0, m.start() - 8), m.start())
    if type_code is None:
        if lex.issuer(codes[0]) is None and not has_so and not _said_before(m.string, m.start(), lex.doc_type_names):
            return m[0]  # neither a code we know nor "số ..." nor "Công văn ...": leave it to the generic passes
        codes = codes[:1]  # công văn: the department suffix is internal routing
    # Unknown codes are dropped, never read letter by letter; a "của ..." in the sentence wins.
    issuers = [name for name in map(lex.issuer, codes) if name]
    if _AFTER_DOC.match(m.string, m.end()):
        issuers = []

    said = lex.num.cardinal(int(m["num"]))
    year = m.groupdict().get("year")
    if year:
        said += f" năm {lex.num.cardinal(int(year))}"
    tail = f" của {' và '.join(dict.fromkeys(issuers))}" if issuers else ""

    type_name = lex.doc_types.get(type_code) if type_code else None
    if type_name is None or _said_before(m.string, has_so.start() if has_so else m.start(), (type_name, type_code)):
        return ("" if has_so else "số ") + said + tail
    if has_so:
        return f"{said}, {type_name}{tail}"
    return f"{type_name} số {said}{tail}"


_DATE_RANGE = re.compile(
    rf"""(?x)
    (?P<a>\d(?<![\d.,/]\d)\d?(?:/\d{{1,2}}(?:/\d{{4}})?)?)
    {_DASH}(?:(?i:ngày)\s+)?
    (?P<b>\d{{1,2}}/\d{{1,2}}(?:/\d{{4}})?)(?![\d/])
    """
)
_DMY = re.compile(r"(?P<d>\d(?<![\d.,/]\d)\d?)(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})(?![\d/])")
_YMD = re.compile(r"(?P<y>\d(?<![\d.,/-]\d)\d{3})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d/-])")
_DM = re.compile(r"(?P<d>\d(?<![\d.,/]\d)\d?)/(?P<m>\d{1,2})(?![\d/]|[.,]\d)")
_MY = re.compile(r"(?P<m>\d(?<![\d.,/]\d)\d{0,3})/(?P<y>\d{4})(?![\d/])")
# A bare "23/4" is a date only after a word that announces one ("Sáng 23/4").
_DM_CONTEXT = ("ngày", "từ", "đến", "hết", "trước", "sáng", "trưa", "chiều", "tối", "đêm", "hôm", "vào")
# ... or that is followed by the calendar it counts in: "10/3 âm lịch".
_CALENDAR_AFTER = re.compile(r"\s+(?i:âm lịch|dương lịch)(?!\w)")
_NGAY = ("ngày",)
# ... or that follows such a date in a list: "ngày 30/4 và 1/5", "ngày 2/9, 3/9".
_LISTED_AFTER = re.compile(r"\d{1,2}/\d{1,2}\s*(?:,|và|hoặc)\s*$")


# A named day or feast before a D/M: "Ngày Thương binh – Liệt sĩ 27/7", "Tết Dương lịch 1/1",
# "Ngày hội Đại đoàn kết toàn dân tộc 18/11" (a capitalised word in the name).
_NAMED_DAY = re.compile(
    r"(?<!\w)(?:Ngày|Tết)\s+[^\d,.;:()!?/]{0,48}(?<!\w)[A-ZĐ\u00c0-\u00dd\u1ea0-\u1ef8][^\d,.;:()!?/]{0,40}$"
)
# A news dateline: "Sáng nay (12/11)", "Chiều qua (25/6)".
_DATELINE = re.compile(r"(?<!\w)(?i:nay|qua|hôm nay|hôm qua|thứ (?:hai|ba|tư|năm|sáu|bảy)|chủ nhật)\s*\($")
OCCASION = "occasion"


def _announced_date(s: str, pos: int, lex: Lexicon, depth: int = 4) -> str | None:
    """What announces the D/M at `pos`: a context word, OCCASION for a holiday's name
    (read without "ngày"), "" when it follows an announced date in a list; else None."""
    word = _said_before(s, pos, _DM_CONTEXT)
    if word:
        return word
    if (
        _said_before(s, pos, lex.occasion_contexts)
        or _NAMED_DAY.search(s, max(0, pos - 90), pos)
        or _DATELINE.search(s, max(0, pos - 12), pos)
    ):
        return OCCASION
    if not depth:
        return None
    prev = _LISTED_AFTER.search(s, max(0, pos - 16), pos)
    if prev is None:
        return None
    first = _announced_date(s, prev.start(), lex, depth - 1)
    return None if first is None else OCCASION if first == OCCASION else ""


# Several days of one month: "các ngày 28, 29 và 30/4", "ngày 5, 6/9/2025".
# Days with no month, counted in the lunar calendar or every month: "các ngày 5, 10 và 15 âm lịch".
_LUNAR_DAYS = re.compile(
    r"(?P<ngay>(?<!\w)(?i:ngày)\s+)(?P<days>\d{1,2}(?:\s*(?:,|và|hoặc)\s*\d{1,2})*)"
    r"(?=\s+(?i:âm lịch|hằng tháng|hàng tháng)(?!\w))"
)
_DAY_LIST = re.compile(
    r"""(?x)(?P<ngay>(?<!\w)(?i:ngày)\s+)
    (?P<days>\d{1,2}(?:\s*(?:,|và|hoặc)\s*\d{1,2})+)
    /(?P<m>\d{1,2})(?:/(?P<y>\d{4}))?(?![\d/]|[.,]\d)"""
)


def _date_words(lex: Lexicon, d: int, m: int, y: int | None, ngay: bool = True) -> str:
    said = f"{'ngày ' if ngay else ''}{lex.num.day(d)} tháng {lex.num.month(m)}"
    return said + (f" năm {lex.num.cardinal(y)}" if y else "")


def _dates(s: str, lex: Lexicon) -> str:
    """Dates and their ranges; "ngày" is said once, days 1-10 take "mùng"."""
    if "/" not in s and "-" not in s and "." not in s and "lịch" not in s and "tháng" not in s:
        return s

    def date_range(m: re.Match) -> str:
        a = [int(x) for x in m["a"].split("/")]
        b = [int(x) for x in m["b"].split("/")]
        said_ngay = _said_before(m.string, m.start(), _NGAY)
        if len(a) == 1 and not (said_ngay or _said_before(m.string, m.start(), ("từ",))):
            return m[0]  # "3-5/6" alone is too ambiguous to call a date
        occasion = _announced_date(m.string, m.start(), lex, 0) == OCCASION
        said_ngay = said_ngay or ("occasion" if occasion else None)
        a_year = a[2] if len(a) > 2 else None
        if not _date_ok(a[0], a[1] if len(a) > 1 else b[1], a_year) or not _date_ok(*b):
            return m[0]
        if len(a) == 1:  # ngày 15-17/5/2023: one month, two days
            first = ("" if said_ngay else "ngày ") + lex.num.day(a[0])
        else:
            first = _date_words(lex, a[0], a[1], a_year, not said_ngay)
        second = _date_words(lex, b[0], b[1], b[2] if len(b) > 2 else None, not occasion)
        return f"{first} {lex.options['range']} {second}"

    def dmy(m: re.Match) -> str:
        d, mo, y = int(m["d"]), int(m["m"]), int(m["y"])
        if not _date_ok(d, mo, y):
            return m[0]
        said_ngay = _said_before(m.string, m.start(), _NGAY)
        listed = not said_ngay and _LISTED_AFTER.search(m.string, max(0, m.start() - 16), m.start())
        if listed and _announced_date(m.string, listed.start(), lex) == OCCASION:
            said_ngay = "occasion"  # "dịp 30/4 và 1/5/2025": the list's first date set the style
        elif not said_ngay and _announced_date(m.string, m.start(), lex, 0) == OCCASION:
            said_ngay = "occasion"  # "dịp Tết Dương lịch 1/1/2026"
        return _date_words(lex, d, mo, y, not said_ngay)

    def dm(m: re.Match) -> str:
        d, mo = int(m["d"]), int(m["m"])
        before = _announced_date(m.string, m.start(), lex)
        if before is None and _CALENDAR_AFTER.match(m.string, m.end()):
            before = OCCASION
        if before is None or not _date_ok(d, mo):
            return m[0]
        return _date_words(lex, d, mo, None, before not in ("ngày", OCCASION))

    def day_list(m: re.Match) -> str:
        days = [int(d) for d in re.findall(r"\d+", m["days"])]
        mo, y = int(m["m"]), int(m["y"]) if m["y"] else None
        if not all(_date_ok(d, mo, y) for d in days):
            return m[0]
        said = re.sub(r"\d+", lambda d: lex.num.day(int(d[0])), m["days"])
        return m["ngay"] + said + _date_words(lex, 1, mo, y, False).partition(lex.num.day(1))[2]

    def month_year(m: re.Match) -> str:
        n, y = int(m["m"]), int(m["y"])
        if not 1000 <= y <= 2999:
            return m[0]
        before = _said_before(m.string, m.start(), ("tháng", "quý", "số"))
        year = f"năm {lex.num.cardinal(y)}"
        if before in ("quý", "số") or not 1 <= n <= 12:
            return f"{lex.num.cardinal(n)} {year}"  # quý 1/2023, số 12/2023, 61/2018
        return f"{'' if before else 'tháng '}{lex.num.month(n)} {year}"

    slash, dash = "/" in s, any(d in s for d in _DASHES)
    if slash:
        s = _DAY_LIST.sub(day_list, s)
    if "lịch" in s or "tháng" in s:
        s = _LUNAR_DAYS.sub(
            lambda m: (
                m["ngay"] + re.sub(r"\d+", lambda d: lex.num.day(int(d[0])), m["days"])
                if all(1 <= int(d) <= 31 for d in re.findall(r"\d+", m["days"]))
                else m[0]
            ),
            s,
        )
    if slash and dash:
        s = _DATE_RANGE.sub(date_range, s)
    s = _DMY.sub(dmy, s)
    if dash:
        s = _YMD.sub(dmy, s)
    if slash:
        s = _MY.sub(month_year, _DM.sub(dm, s))
    return s


_TIME = re.compile(
    r"""(?x)
    (?P<h>\d(?<![\w.,:/]\d)\d?)
    (?:\s?[hH](?P<m1>\d{2})?['’]? | g(?P<m2>\d{2}) | :(?P<m3>\d{2}))
    (?![\w:/])
    (?P<to>\s*[-–—]\s*(?=\d{1,2}(?:\s?[hH]|g\d|:\d)))?
    """
)


_ZERO_MINUTES = re.compile(r"(?<!\w)(?P<h>\d{1,2}\s+(?i:giờ))\s+00(?:\s+(?i:phút))?(?!\w)")
# "11 giờ 30" at the end of a time: the minutes are said with "phút"
_BARE_MINUTES = re.compile(r"(?<!\w)(?P<t>\d{1,2}\s+(?i:giờ)\s+[0-5]\d)(?![\d.,:/])(?!\s*(?i:phút|giây)(?!\w))")


def _times(s: str, lex: Lexicon) -> str:
    """7h30, 14h, 06:00, 7g30 and ranges 7h30 - 11h; "8 giờ 00 phút" is said "tám giờ"."""
    if "giờ" in s:
        s = _BARE_MINUTES.sub(r"\g<t> phút", _ZERO_MINUTES.sub(r"\g<h>", s))

    def read(m: re.Match) -> str:
        h, minutes = int(m["h"]), int(m["m1"] or m["m2"] or m["m3"] or 0)
        if h > 24 or minutes > 59:
            return m[0]
        said = f"{lex.num.cardinal(h)} giờ" + (f" {lex.num.cardinal(minutes)} phút" if minutes else "")
        return said + (f" {lex.options['range']} " if m["to"] else "")

    return _TIME.sub(read, s)


_ROMAN_TOKEN = re.compile(r"(?P<r>[IVXLCDM](?<!\w[IVXLCDM])[IVXLCDM]*)(?!\w)(?:/(?P<y>\d{4})(?!\d)|(?P<dot>\.)(?=\d))?")
# "Phụ lục II, III và IV": a numeral listed after one that was read.
_ROMAN_LISTED = re.compile(r"(?<!\w)[IVXLC]+\s*(?:,|và|hoặc|đến|-|–)\s*$")


def _roman_context(s: str, pos: int, lex: Lexicon, depth: int = 6) -> str | None:
    context = _said_before(s, pos, lex.roman_contexts)
    if context or not depth:
        return context
    prev = _ROMAN_LISTED.search(s, max(0, pos - 12), pos)
    return _roman_context(s, prev.start(), lex, depth - 1) if prev else None


_LINE_ROMAN = re.compile(r"^(?P<r>[IVXL]+)(?P<p>[.)])(?=\s)")
_ORDINAL = re.compile(r"(?<!\w)(?P<t>(?i:thứ))\s+(?P<n>\d+)(?![\w/:]|[.,]\d)")


def _roman_and_ordinals(s: str, lex: Lexicon) -> str:
    """quý IV, thế kỷ XXI, lần thứ II, "II." heading; thứ 1 -> thứ nhất, thứ 4 -> thứ tư."""

    def roman(m: re.Match) -> str:
        context = _roman_context(m.string, m.start(), lex)
        value = _roman(m["r"]) if context else None
        if value is None or context is None:
            return m[0]
        said = lex.num.ordinal(value) if context.casefold().endswith("thứ") else lex.num.cardinal(value)
        if m["dot"]:  # "II.3": a numbered sub-part
            return f"{said} {lex.options['dot']} "
        return said + (f" năm {lex.num.cardinal(int(m['y']))}" if m["y"] else "")

    def heading(m: re.Match) -> str:
        value = _roman(m["r"])
        return m[0] if value is None else lex.num.cardinal(value) + m["p"]

    s = _ROMAN_TOKEN.sub(roman, s)
    s = _LINE_ROMAN.sub(heading, s)
    if "thứ" in s.casefold():
        s = _ORDINAL.sub(lambda m: f"{m['t']} {lex.num.ordinal(int(m['n']))}", s)
    return s


_MONTH = re.compile(r"(?<!\w)(?P<t>(?i:tháng))\s+(?P<n>\d{1,2})(?![\w/:]|[.,]\d)")
_EARLY_DAY = re.compile(r"(?<!\w)(?P<t>(?i:ngày))\s+(?P<n>\d{1,2})(?=\s+(?i:tháng|hằng|hàng)(?!\w))")


def _calendar_words(s: str, lex: Lexicon) -> str:
    """Dates written in words: "ngày 5 tháng 4" -> "ngày mùng năm tháng tư"."""

    def month(m: re.Match) -> str:
        n = int(m["n"])
        return f"{m['t']} {lex.num.month(n)}" if 1 <= n <= 12 else m[0]

    def early(m: re.Match) -> str:
        n = int(m["n"])
        return f"{m['t']} {lex.num.day(n)}" if 1 <= n <= 31 else m[0]

    low = s.casefold()
    if "tháng" in low:
        s = _MONTH.sub(month, s)
    if "ngày" in low:
        s = _EARLY_DAY.sub(early, s)
    return s


def _units(s: str, lex: Lexicon) -> str:
    """Units and currencies after a number; "/" after a quantity before a denominator is "per"."""

    def unit(m: re.Match) -> str:
        n = m["n"]
        if m["u"] in ("%", "‰") and re.fullmatch(r"\d{1,3}\.\d{1,2}", n):
            n = n.replace(".", ",")  # "6.6%": a decimal point written the English way
        return f"{n} {lex.units[m['u']]}"

    s = lex.re_units.sub(unit, s)
    if lex.re_dollar:
        s = lex.re_dollar.sub(lambda m: f"{m['n']} {lex.units['$']}", s)

    def per(m: re.Match) -> str:
        dens = lex.re_per_split.findall(m["dens"])
        return m["head"] + "".join(f" {lex.options['per']} {lex.units.get(d, d)}" for d in dens)

    return lex.re_per.sub(per, s)


_RANGE = re.compile(rf"(?P<a>\d(?<![\w.,/]\d)\d*(?:[.,]\d+)*){_DASH}(?P<b>{_NUM})(?![\w/]|[.,]\d)")
_NEGATIVE = re.compile(r"(?:^|(?<=[\s(]))-(?=\d)")


def _ranges(s: str, lex: Lexicon) -> str:
    """2021-2025, 2021 – 2025, 10-15 phần trăm: the dash is "đến"; a lone minus is "âm"."""
    if not any(d in s for d in _DASHES):
        return s

    def read(m: re.Match) -> str:
        a, b = m["a"], m["b"]
        if (
            a.isdecimal()
            and b.isdecimal()
            and len(a) == len(b) == 4
            and int(a) < int(b) <= int(a) + 5
            and _said_before(m.string, m.start(), lex.year_span_contexts)
        ):
            return f"{a} – {b}"  # năm học 2025-2026 names one school year
        return f"{a} {lex.options['range']} {b}"

    s = _RANGE.sub(read, s)
    return _NEGATIVE.sub(lex.options["negative"] + " ", s) if "-" in s else s


# "Sở XD", "Sở KHCN": a province's department named by its ministry's code without the "B"
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_DEPARTMENT = re.compile(r"(?<!\w)Sở\s+(?P<code>[A-ZĐ][A-ZĐ&]+)(?![\w&])")


def _abbreviations(s: str, lex: Lexicon) -> str:
    """Spoken forms (any case), then lexicon abbreviations, matched case-sensitively as whole tokens."""
    if "Sở " in s:
        s = _DEPARTMENT.sub(lambda m: lex.issuer("S" + m["code"]) or m[0], s)
    if lex.spoken_forms and not lex.spoken_first.isdisjoint(_LATIN_WORD.findall(s.lower())):
        s = lex.re_spoken.sub(
            lambda m: (
                m[0]
                if m.start() and (m.string[m.start() - 1].isalnum() or m.string[m.start() - 1] in "_&")
                else lex.spoken_forms[m[0].casefold()]
            ),
            s,
        )

    def expand(m: re.Match) -> str:
        if m.start() and (m.string[m.start() - 1].isalnum() or m.string[m.start() - 1] in "_&"):
            return m[0]  # inside a longer token
        said = lex.abbreviations[m[0]]
        if not m[0][-1].isalnum():
            said += " "  # "TP.HCM": keep the words apart
        elif s.startswith("-", m.end()) and lex.re_abbr.match(s, m.end() + 1):
            said += " – "  # "UBND-HĐND": two bodies, a pause between them
        return said

    s = lex.re_abbr.sub(expand, s)
    # "ubnd", "tthc" typed in lower case: not a Vietnamese word (the voice would switch to English)
    return lex.re_lower_code.sub(
        lambda m: m[0] if m.start() and m.string[m.start() - 1].isalnum() else lex.abbreviations[m[0].upper()], s
    )


_FRACTION = re.compile(
    r"(?P<a>\d(?<![\w.,/]\d)\d*(?:\.\d{3})*)\s*(?P<sep>[/:])\s*(?P<b>\d+(?:\.\d{3})*)(?![\w/]|[.,]\d)"
)
_SO_AFTER = re.compile(r"\s+số(?!\w)")
# "Đạt 3/5 và 2/3 chỉ tiêu": listed beside a tally, a small a/b is a tally too.
_TALLY_BEFORE = re.compile(r"\d+\s*/\s*(?P<b>\d+)\s*(?:,|và|hoặc)\s*$")
_TALLY_AFTER = re.compile(r"\s*(?:,|và|hoặc)\s*\d+\s*/\s*(?P<b>\d+)(?!\d)")


def _listed_with_tally(m: re.Match) -> bool:
    before = _TALLY_BEFORE.search(m.string, max(0, m.start() - 16), m.start())
    after = _TALLY_AFTER.match(m.string, m.end())
    return any(n is not None and int(n["b"]) > 4 for n in (before, after))


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


_TIMES_SIGN = re.compile(r"(?<=\d)\s?[xX]\s?(?=\d)")


def _numbers(s: str, lex: Lexicon) -> str:
    """Whatever numbers are left: fractions 15/20, sizes 3x4, then plain numbers (also in F0, 5G)."""
    if "x" in s or "X" in s:
        s = _TIMES_SIGN.sub(f" {lex.symbols.get('×', 'nhân')} ", s)
    if "/" in s or ":" in s:
        s = _FRACTION.sub(lambda m: _fraction(m, lex), s)
    return _NUMBER.sub(lambda m: _number_token(m, lex), s)


def _fraction(m: re.Match, lex: Lexicon) -> str:
    """2/3 thành viên is a part ("hai phần ba"); 15/20 xã and 1.325/1.402 hồ sơ are tallies ("trên").

    A part has a smaller numerator and a denominator of 2-4, or up to 10 with a cue word
    before it ("hơn", "chiếm") or "số" after it ("1/5 số hộ")."""
    a, b = (int(x.replace(".", "")) for x in (m["a"], m["b"]))
    if (
        m["sep"] == "/"
        and 0 < a < b
        and not _listed_with_tally(m)
        and (
            b <= 4
            or b <= 10
            and (_said_before(m.string, m.start(), lex.fraction_cues) or _SO_AFTER.match(m.string, m.end()))
        )
    ):
        return f"{lex.num.cardinal(a)} phần {lex.num.month(b) if b == 4 else lex.num.cardinal(b)}"
    return f"{m['a']} {lex.options['fraction']} {m['b']}"


def _number_token(m: re.Match, lex: Lexicon) -> str:
    text = m[0]
    if len(text) == 2 and text[0] == "0" and _said_before(m.string, m.start(), lex.name_contexts):
        said = lex.num.digits(text)  # "Đề án 06", "Tổ 05": a name, not a quantity
    elif text.count(",") > 1:  # "1,2,3" is a list, not a decimal
        said = ", ".join(lex.num.number(p) for p in text.split(","))
    else:
        said = lex.num.number(text)
    # Glued to a word ("F0", "COVID-19", "5G"): keep the words apart.
    before, after = m.string[m.start() - 1 : m.start()], m.string[m.end() : m.end() + 1]
    return (" " if before.isalpha() else "") + said + (" " if after.isalpha() else "")


_SPACED_HYPHEN = re.compile(r"\s+[-‐‑]+\s+|\s+[-‐‑]+$|^[-‐‑]+\s+")
_HYPHENS = "-‐‑"
_HYPHEN = re.compile(r"[-‐‑]+")
# Left over after the passes: not a Latin/Vietnamese letter, a space or kept punctuation.
# (\w would keep "²" and "Ⅳ"; other scripts cannot be read by a Vietnamese voice.)
_UNREAD = re.compile(
    r"[^\sA-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f\u1e00-\u1eff" + re.escape(KEPT_PUNCTUATION) + "]"
)


def _symbols(s: str, lex: Lexicon) -> str:
    """Symbols from the lexicon become words; hyphens become pauses or spaces; the rest goes."""
    s = lex.re_symbols.sub(lambda m: f" {lex.symbols[m[0]]} ", s)
    if any(h in s for h in _HYPHENS):
        s = _HYPHEN.sub(" ", _SPACED_HYPHEN.sub(" – ", s))
    if _has_digit(s):  # safety net: never emit a digit
        s = _DIGIT.sub(lambda m: f" {DIGITS[int(m[0])]} ", s)
    return _UNREAD.sub(" ", s)


_LEADING = re.compile(r"^[,;:.–—]+ ?(?=\w)")


def _tidy(s: str) -> str:
    """One space between words, none inside brackets or before a pause mark."""
    s = " ".join(s.split())
    for mark in ",.;:!?)…":
        if " " + mark in s:
            s = s.replace(" " + mark, mark)
    s = s.replace("( ", "(").replace("()", "")
    while ",," in s:
        s = s.replace(",,", ",")
    return " ".join(_LEADING.sub("", s).split())


# (pass, needs a digit to do anything): most lines skip the number passes cheaply.
PASSES: tuple[tuple[Callable[[str, Lexicon], str], bool], ...] = (
    (_bullets, False),
    (_urls, False),
    (_prefixes, False),
    (_standards, True),
    (_phones, True),
    (_doc_numbers, True),
    (_dates, True),
    (_times, True),
    (_roman_and_ordinals, False),
    (_calendar_words, True),
    (_units, True),
    (_ranges, True),
    (_abbreviations, False),
    (_numbers, True),
    (_symbols, False),
)
_DIGIT = re.compile(r"\d")


def _has_digit(s: str) -> bool:
    return _DIGIT.search(s) is not None


def read_aloud(text: str, lexicon: Lexicon) -> str:
    """One line of written text in, one line of words to say out (NFC)."""
    s = " ".join(_nfc(text).split())
    if not s:
        return ""
    capital = s[0].isupper() or s[0].isdigit()
    for step, needs_digit in PASSES:
        if not needs_digit or _has_digit(s):
            s = step(s, lexicon)
    s = _tidy(s)
    if capital:
        s = s[:1].upper() + s[1:]
    return _nfc(s)
