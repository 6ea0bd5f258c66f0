"""The small sample site (tests/unit/site_sample.py), file for file, against tests/golden/site/.

A template or builder change that alters output fails here until the goldens are regenerated on
purpose, and the diff of tests/golden/site/ is reviewed like code:

    LOA_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_site_golden.py
    (or: .venv/bin/python -m tests.unit.test_site_golden)
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from tests.unit.site_sample import build

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "site"


def regenerate() -> int:
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for rel, content in build().items():
        path = GOLDEN / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return len(list(GOLDEN.rglob("*")))


def test_sample_site_matches_the_golden_directory():
    if os.environ.get("LOA_REGENERATE_GOLDEN"):
        regenerate()
    files = {rel: (c.encode("utf-8") if isinstance(c, str) else c) for rel, c in build().items()}
    golden = {str(p.relative_to(GOLDEN)): p.read_bytes() for p in GOLDEN.rglob("*") if p.is_file()}
    assert sorted(files) == sorted(golden), "files added or missing; regenerate the goldens if that is intended"
    for rel, data in files.items():
        if data != golden[rel]:
            diff = "\n".join(
                difflib.unified_diff(
                    golden[rel].decode("utf-8", "replace").splitlines(),
                    data.decode("utf-8", "replace").splitlines(),
                    f"golden/{rel}",
                    f"built/{rel}",
                    lineterm="",
                    n=2,
                )
            )
            raise AssertionError(f"{rel} differs from its golden (LOA_REGENERATE_GOLDEN=1 to accept):\n{diff[:4000]}")


if __name__ == "__main__":
    print(f"regenerated {regenerate()} paths under {GOLDEN}")
