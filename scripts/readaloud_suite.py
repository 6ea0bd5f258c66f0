"""Share of the read-aloud phrase suite read as accepted, per file and in all.

    .venv/bin/python scripts/readaloud_suite.py [--show] [FILE.tsv ...]

Files default to tests/data/readaloud/*.tsv ("written<TAB>accepted reading", "#" comments).
--show prints each phrase read otherwise: written, accepted, read. The same phrases are
asserted one by one by tests/unit/test_readaloud.py; this script gives the figure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loa.config.lexicon import load_lexicon  # noqa: E402
from loa.speech.readaloud import read_aloud  # noqa: E402


def _rows(path: Path) -> list[tuple[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t", 1)) for line in lines if line.strip() and not line.startswith("#")]


def main() -> int:
    parser = argparse.ArgumentParser(description="Score the read-aloud phrase suite.")
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--show", action="store_true", help="print the phrases read otherwise")
    parser.add_argument("--lexicon", type=Path, default=ROOT / "config" / "lexicon.yaml")
    args = parser.parse_args()
    lexicon = load_lexicon(args.lexicon)
    files = args.files or sorted((ROOT / "tests" / "data" / "readaloud").glob("*.tsv"))
    total = right = 0
    for path in files:
        rows = _rows(path)
        wrong = [(w, s, read_aloud(w, lexicon)) for w, s in rows if read_aloud(w, lexicon) != s]
        for written, accepted, read in wrong if args.show else ():
            print(f"  {written}\n    accepted: {accepted}\n    read:     {read}")
        total, right = total + len(rows), right + len(rows) - len(wrong)
        print(f"{path.name:16} {len(rows) - len(wrong):4}/{len(rows):<4} {(len(rows) - len(wrong)) / len(rows):7.1%}")
    print(f"{'all':16} {right:4}/{total:<4} {right / total:7.1%}")
    return 0 if right == total else 1


if __name__ == "__main__":
    sys.exit(main())
