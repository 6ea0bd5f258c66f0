"""Precision and recall of the relevance rules on the labelled corpus, by k-fold
cross-validation.

  .venv/bin/python scripts/eval_relevance.py          # CV, the shipped config
  .venv/bin/python scripts/eval_relevance.py --errors # … with items missed
  .venv/bin/python scripts/eval_relevance.py --final  # … final held-out set
  .venv/bin/python scripts/eval_relevance.py --write  # fit all, write config

Cross-validation fits the keyword weights on k-1 folds of
tests/data/relevance/corpus.tsv, starting from (and pulled towards) the hand
weights of tests/data/relevance/prior.yaml, and measures them on the fold left
out, k times. --write fits on the whole corpus the same way and writes the
weights into config/relevance.yaml. The final held-out set
(tests/data/relevance/final2.tsv) was written after the weights were fitted and
is never used to fit or tune them: --final measures the shipped config on it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from loa.config.relevance import load_relevance  # noqa: E402
from loa.ingest.relevance_fit import (  # noqa: E402
    FitOptions,
    Item,
    Scores,
    cross_validate,
    evaluate,
    fit,
    parse_corpus,
    rewrite_weights,
)

CONFIG = ROOT / "config" / "relevance.yaml"
CORPUS = ROOT / "tests" / "data" / "relevance" / "corpus.tsv"
FINAL = ROOT / "tests" / "data" / "relevance" / "final2.tsv"
PRIOR = ROOT / "tests" / "data" / "relevance" / "prior.yaml"


def _load(path: Path) -> list[Item]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        sys.exit(f"eval_relevance: cannot read the corpus {path} ({exc.strerror})")
    try:
        return parse_corpus(text, str(path))
    except ValueError as exc:
        sys.exit(f"eval_relevance: {exc}; fix that line of the corpus")


def _figures(scores: Scores) -> dict:
    return {
        "precision": round(scores.precision, 3),
        "recall": round(scores.recall, 3),
        "tp": scores.tp,
        "fp": scores.fp,
        "fn": scores.fn,
        "tn": scores.tn,
    }


def _line(name: str, scores: Scores) -> str:
    return f"{name:<27} precision {scores.precision:.3f}  recall {scores.recall:.3f}  fp {scores.fp:<2} fn {scores.fn}"


def _errors(wrong: list[Item], path: Path) -> list[str]:
    return [
        f"  {'missed' if it.relevant else 'false '} {path.name}:{it.line} {it.title[:52]}"
        for it in sorted(wrong, key=lambda it: it.line)
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=10, help="folds for cross-validation (default 10)")
    ap.add_argument("--config", type=Path, default=CONFIG, help="relevance config (default config/relevance.yaml)")
    ap.add_argument("--prior", type=Path, default=PRIOR, help="hand weights the fit starts from and is pulled towards")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="labelled corpus to fit and cross-validate on")
    ap.add_argument("--write", action="store_true", help="fit on the whole corpus and write the weights into --config")
    ap.add_argument(
        "--final", action="store_true", help="also measure the config as it stands on the final held-out set"
    )
    ap.add_argument("--errors", action="store_true", help="list the items each measure got wrong")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    rules = load_relevance(args.config)
    prior = load_relevance(args.prior)
    items = _load(args.corpus)
    reform = sum(it.relevant for it in items)
    started = time.perf_counter()
    cv, cv_wrong = cross_validate(items, prior, k=args.k)
    cv_seconds = time.perf_counter() - started
    shipped, shipped_wrong = evaluate(items, rules)
    out = {
        "corpus": {"items": len(items), "reform": reform, "other": len(items) - reform},
        "keywords": len(rules.keywords),
        f"cross_validation_{args.k}_fold": _figures(cv),
        "config_on_corpus": _figures(shipped),
    }
    lines = [
        f"{args.corpus.name}: {len(items)} items, {reform} reform, {len(items) - reform} other; "
        f"{len(prior.keywords)} keywords",
        f"{args.k}-fold cross-validation ({cv_seconds:.1f} s: fit on {args.k - 1} folds, measure the other)",
        _line(f"  on the {len(items)} held-out", cv),
    ]
    if args.errors:
        lines += _errors(cv_wrong, args.corpus)
    lines.append(_line("shipped config, corpus", shipped))
    if args.errors:
        lines += _errors(shipped_wrong, args.corpus)
    if args.final:
        final_items = _load(FINAL)
        final, final_wrong = evaluate(final_items, rules)
        out["final_held_out"] = _figures(final) | {"items": len(final_items)}
        lines.append(_line(f"shipped, final ({len(final_items)} items)", final))
        if args.errors:
            lines += _errors(final_wrong, FINAL)
    if args.write:
        fitted = fit(items, prior, FitOptions())
        # The config keeps its own header comment; its keywords (and their order and comments) are the prior's.
        config, prior_text = args.config.read_text(encoding="utf-8"), args.prior.read_text(encoding="utf-8")
        body = prior_text[prior_text.index("threshold:") :]
        args.config.write_text(rewrite_weights(config[: config.index("threshold:")] + body, fitted), encoding="utf-8")
        refit, _ = evaluate(items, load_relevance(args.config))
        out["written"] = str(args.config)
        lines.append(_line("written, on the corpus", refit))
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
