"""What classifying one entry costs ingest, with the shipped rules beside a baseline in the same run.

    .venv/bin/python bench/bench_classify.py [--baseline REV] [--rounds 15]

The baseline is classify.py and relevance.yaml as they were at git revision REV (default
f583ac4, before the weights were fitted: 98 keywords, one regex per keyword), loaded from
git into this process, so both run on the same machine in the same minute. Three
kinds of text: bench/bench_ingest.py's synthetic entries (what that benchmark classifies),
the labelled corpus's headline-and-lead items, and full-article texts of about 3,000
characters built from twelve leads. Prints CPU µs per entry for each and the ratio, the best of
--rounds interleaved rounds, and the share each keeps as relevant (a kept entry also has its
metadata extracted, which costs more than the matching).
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_ingest import FIELDS, OTHER, REFORM  # noqa: E402

from loa.config.relevance import load_relevance  # noqa: E402
from loa.ingest.classify import classify  # noqa: E402
from loa.ingest.relevance_fit import parse_corpus  # noqa: E402

BASELINE = "f583ac4"


def _git_show(rev: str, path: str) -> str:
    try:
        return subprocess.run(
            ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(
            f"bench_classify: cannot read {path} at {rev} from git ({exc}); pass --baseline REV of this repository"
        )


def baseline(rev: str, tmp: Path):
    """(classify, rules) as they were at `rev`."""
    module_file, config = tmp / "classify_baseline.py", tmp / "relevance.yaml"
    module_file.write_text(_git_show(rev, "loa/ingest/classify.py"), encoding="utf-8")
    config_path = "loa/defaults/config/relevance.yaml"  # config/ before the packaged defaults
    try:
        text = _git_show(rev, config_path)
    except SystemExit:
        text = _git_show(rev, "config/relevance.yaml")
    config.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("classify_baseline", module_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    # the baseline's own rules class, from its own YAML (a revision may predate loa.config)
    return module.classify, module.RelevanceRules.from_dict(
        yaml.safe_load(config.read_text(encoding="utf-8")), "baseline"
    )


def ingest_entries(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """Title and text as bench_ingest's feeds carry them once sanitised (one in five reform)."""
    out = []
    for j in range(n):
        title = rng.choice(REFORM if rng.random() < 0.2 else OTHER).format(y=2020 + j % 7, f=rng.choice(FIELDS))
        number = f"{rng.randint(100, 4000)}/{rng.choice(['KH', 'QĐ', 'TB', 'CV'])}-UBND"
        text = (
            f"Ngày {rng.randint(1, 28)}/{rng.randint(1, 12)}/2026, Ủy ban nhân dân tỉnh Cao Bằng ban hành "
            f"văn bản số {number} về {title.lower()}. Các sở, ban, ngành, UBND các huyện, thành phố "
            f"triển khai thực hiện; người dân liên hệ Bộ phận Một cửa để được hướng dẫn."
        )
        out.append((f"{title} (tin {j})", text))
    return out


def per_entry_us(entries: list[tuple[str, str]], runs: list[tuple], rounds: int) -> list[float]:
    """Best µs per entry of each (classify, rules), rounds interleaved so a busy spell hits both."""
    best = [float("inf")] * len(runs)
    for _ in range(rounds):
        for k, (run, rules) in enumerate(runs):
            started = time.process_time()  # CPU time: the machine is shared
            for title, text in entries:
                run(title, text, rules)
            best[k] = min(best[k], time.process_time() - started)
    return [b / len(entries) * 1e6 for b in best]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", default=BASELINE, help=f"git revision to compare with (default {BASELINE})")
    ap.add_argument("--rounds", type=int, default=15, help="rounds per measure; the best counts (default 15)")
    args = ap.parse_args()
    rng = random.Random(1)
    corpus = parse_corpus((ROOT / "tests/data/relevance/corpus.tsv").read_text(encoding="utf-8"), "corpus.tsv")
    items = [(it.title, it.lead) for it in corpus]
    leads = [it.lead for it in corpus]
    articles = [(it.title, " ".join(rng.sample(leads, 12))) for it in corpus[:200]]
    kinds = {
        "bench_ingest entries": ingest_entries(2000, rng),
        "corpus headline+lead": items,
        "articles ~3,000 chars": articles,
    }
    with tempfile.TemporaryDirectory() as tmp:
        base_classify, base_rules = baseline(args.baseline, Path(tmp))
    rules = load_relevance(ROOT / "config" / "relevance.yaml")
    print(
        f"CPU per entry, baseline ({args.baseline}, {len(base_rules.keywords)} keywords) → shipped "
        f"({len(rules.keywords)})"
    )
    for kind, entries in kinds.items():
        base, shipped = per_entry_us(entries, [(base_classify, base_rules), (classify, rules)], args.rounds)
        kept = [
            sum(run(t, x, r).relevant for t, x in entries) / len(entries)
            for run, r in ((base_classify, base_rules), (classify, rules))
        ]
        print(f"{kind:<22} {base:7.1f} → {shipped:7.1f} µs  {shipped / base:.2f}×  kept {kept[0]:.0%} → {kept[1]:.0%}")


if __name__ == "__main__":
    main()
