"""Fitting the relevance weights to a labelled corpus, and measuring them on what they never saw.

The keywords of config/relevance.yaml are the features (an editor chose each, and sees each
in the reasons); only their weights are learnt. Each is learnt by logistic regression: a
keyword scores its weight once, times the title factor when it is in the title, exactly
as `classify` counts it, so the fitted weights are the config's weights. Area keywords stay
positive (an area is where a document belongs, never a sign against it); general keywords
may go negative (signs of other news).

Pure: corpus text in, weights and figures out. scripts/eval_relevance.py reads the files,
prints the figures and writes the weights back into the config.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from loa.ingest.classify import AREAS, Keyword, RelevanceRules, classify, matched_keywords

LABELS = {"reform": True, "other": False}
STEP = 0.25  # weights are rounded to quarters so an editor reads "+1.75", not "+1.7342"


@dataclass(frozen=True)
class Item:
    relevant: bool
    kind: str  # reform: one of AREAS or "general"; other: what it is instead (penalty, scam, …)
    source: str  # news, notice, decision, plan, …
    title: str
    lead: str
    line: int  # in the corpus file, for messages


def parse_corpus(text: str, source: str) -> list[Item]:
    """TSV rows `label, kind, source, headline, lead`; '#' starts a comment line."""
    items = []
    for n, row in enumerate(text.splitlines(), 1):
        if not row.strip() or row.startswith("#"):
            continue
        cols = row.split("\t")
        if len(cols) != 5 or cols[0] not in LABELS or not cols[3].strip():
            raise ValueError(
                f"{source}:{n}: expected label (reform|other), kind, source, headline, lead "
                f"separated by tabs; got {len(cols)} column(s) starting {row[:40]!r}"
            )
        if cols[0] == "reform" and cols[1] not in AREAS + ("general",):
            raise ValueError(
                f"{source}:{n}: a reform item's kind is one of {', '.join(AREAS)}, general; got {cols[1]!r}"
            )
        items.append(Item(LABELS[cols[0]], cols[1], cols[2], cols[3], cols[4], n))
    return items


# --- fitting ------------------------------------------------------------------


@dataclass(frozen=True)
class FitOptions:
    l2: float = 0.05  # pull towards the prior: a keyword seen in few items keeps about its hand weight
    positive_weight: float = 6.0  # a missed reform item never reaches an editor; a false one costs a click
    epochs: int = 40
    rate: float = 0.1  # small steps: the fit corrects the hand weights, it does not replace them
    seed: int = 13


def features(items: list[Item], rules: RelevanceRules) -> list[list[tuple[int, float]]]:
    """Per item, (keyword index, 1 or the title factor) for each keyword that counts."""
    return [
        [
            (i, rules.title_factor if in_title else 1.0)
            for i, in_title in sorted(matched_keywords(it.title, it.lead, rules).items())
        ]
        for it in items
    ]


def fit(
    items: list[Item],
    prior: RelevanceRules,
    options: FitOptions = FitOptions(),
    feats: list[list[tuple[int, float]]] | None = None,
) -> RelevanceRules:
    """`prior` with every keyword's weight learnt from `items`, rounded to quarters.

    Logistic regression on the score itself, P(reform) = σ(score − threshold), so the weights
    come out in the config's own units; L2 pulls each towards its prior (hand) weight, so a
    keyword the corpus rarely shows keeps about what an editor gave it.
    """
    feats = features(items, prior) if feats is None else feats
    w0 = [kw.weight for kw in prior.keywords]
    w = list(w0)
    g2 = [1e-8] * len(w)  # Adagrad: rare keywords keep a large step
    floor = [STEP if kw.area is not None else -math.inf for kw in prior.keywords]
    order = list(range(len(items)))
    rng = random.Random(options.seed)
    for _ in range(options.epochs):
        rng.shuffle(order)
        for k in order:
            x = feats[k]
            z = sum(w[i] * v for i, v in x) - prior.threshold
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            y = items[k].relevant
            err = (p - 1.0) * options.positive_weight if y else p
            for i, v in x:
                g = err * v + options.l2 * (w[i] - w0[i])
                g2[i] += g * g
                w[i] = max(floor[i], w[i] - options.rate * g / math.sqrt(g2[i]))
    keywords = tuple(Keyword(kw.phrase, _rounded(wi), kw.area) for kw, wi in zip(prior.keywords, w))
    return RelevanceRules(threshold=prior.threshold, keywords=keywords, title_factor=prior.title_factor)


def _rounded(weight: float) -> float:
    """To the nearest quarter, never zero: a keyword on the list always says something."""
    q = round(weight / STEP) * STEP
    return q if q else math.copysign(STEP, weight)


# --- measuring ----------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def __add__(self, other: Scores) -> Scores:
        return Scores(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)


def evaluate(items: list[Item], rules: RelevanceRules) -> tuple[Scores, list[Item]]:
    """Through `classify` itself, as ingest runs it; the items it got wrong."""
    tp = fp = fn = tn = 0
    wrong = []
    for it in items:
        got = classify(it.title, it.lead, rules).relevant
        tp += got and it.relevant
        fp += got and not it.relevant
        fn += not got and it.relevant
        tn += not got and not it.relevant
        if got != it.relevant:
            wrong.append(it)
    return Scores(tp, fp, fn, tn), wrong


def folds(items: list[Item], k: int, seed: int = 7) -> list[list[int]]:
    """k stratified folds of item indices: each holds its share of reform and of other news."""
    out: list[list[int]] = [[] for _ in range(k)]
    for label in (True, False):
        idx = [i for i, it in enumerate(items) if it.relevant is label]
        random.Random(seed).shuffle(idx)
        for j, i in enumerate(idx):
            out[j % k].append(i)
    return out


def cross_validate(
    items: list[Item], rules: RelevanceRules, k: int = 10, options: FitOptions = FitOptions(), seed: int = 7
) -> tuple[Scores, list[Item]]:
    """Fit on k-1 folds, measure on the one left out, k times: figures for items the fit never saw."""
    feats = features(items, rules)
    total = Scores(0, 0, 0, 0)
    wrong: list[Item] = []
    for held in folds(items, k, seed):
        held_set = set(held)
        train = [i for i in range(len(items)) if i not in held_set]
        fitted = fit([items[i] for i in train], rules, options, [feats[i] for i in train])
        scores, missed = evaluate([items[i] for i in held], fitted)
        total += scores
        wrong += missed
    return total, wrong


# --- writing the config back --------------------------------------------------

_KEYWORD_LINE = re.compile(r"^(\s+)(.+?):\s*(-?\d+(?:\.\d+)?)(\s*(?:#.*)?)$")


def rewrite_weights(config_text: str, rules: RelevanceRules) -> str:
    """The config with each keyword's weight replaced by the fitted one, comments and order kept."""
    weights = {kw.phrase: kw.weight for kw in rules.keywords}
    out = []
    for line in config_text.splitlines(keepends=True):
        body = line.rstrip("\n")
        m = _KEYWORD_LINE.match(body)
        phrase = m and m.group(2).strip().strip("\"'")
        if m and phrase in weights:
            body = f"{m.group(1)}{m.group(2)}: {_plain(weights[phrase])}{m.group(4)}"
        out.append(body + ("\n" if line.endswith("\n") else ""))
    return "".join(out)


def _plain(weight: float) -> str:
    return f"{weight:.2f}".rstrip("0").rstrip(".") if weight != int(weight) else f"{weight:.1f}"
