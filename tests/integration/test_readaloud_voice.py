"""What the read-aloud text sounds like to the real espeak-ng: no word of the phrase suite's
readings makes the Vietnamese voice switch to its English one (PAR INDEX, Zalo, Fax, "vanthu"...).

espeak-ng -x prints the phonemes it would say, marking a switch of language as "(en)".
"""

import subprocess

from loa.config.lexicon import load_lexicon
from loa.speech.readaloud import read_aloud
from tests.unit.test_readaloud import ALL, LEXICON_FILE


def _phonemes(lines: list[str]) -> list[str]:
    out = subprocess.run(
        ["espeak-ng", "-v", "vi", "-q", "-x"], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True
    ).stdout
    return out.splitlines()


def test_no_reading_switches_the_voice_to_english():
    lex = load_lexicon(LEXICON_FILE)
    readings = [read_aloud(written, lex) for written, _ in ALL]
    assert len(readings) >= 600
    if "(en)" in "\n".join(_phonemes(readings)):
        english = [r for r in readings if "(en)" in "".join(_phonemes([r]))]
        raise AssertionError(f"{len(english)} readings switch espeak-ng to English, e.g. {english[:5]}")


def test_the_check_sees_an_english_switch():
    assert "(en)" in "".join(_phonemes(["Chỉ số PAR INDEX của tỉnh"]))
