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
THRESHOLD = 3.0  # the fitted weights are scaled so the threshold stays the config's round 3.0
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
            raise ValueError(f"{source}:{n}: expected label (reform|other), kind, source, headline, lead "
                             f"separated by tabs; got {len(cols)} column(s) starting {row[:40]!r}")
        if cols[0] == "reform" and cols[1] not in AREAS + ("general",):
            raise ValueError(f"{source}:{n}: a reform item's kind is one of {', '.join(AREAS)}, general; got {cols[1]!r}")
        items.append(Item(LABELS[cols[0]], cols[1], cols[2], cols[3], cols[4], n))
    return items


# --- fitting ------------------------------------------------------------------


@dataclass(frozen=True)
class FitOptions:
    l2: float = 0.02  # pull towards 0: a keyword seen in few items keeps a small weight
    positive_weight: float = 2.0  # a missed reform item costs more than one an editor rejects
    epochs: int = 60
    rate: float = 0.5
    seed: int = 13


def features(items: list[Item], rules: RelevanceRules) -> list[list[tuple[int, float]]]:
    """Per item, (keyword index, 1 or the title factor) for each keyword that counts."""
    return [
        [(i, rules.title_factor if in_title else 1.0) for i, in_title in sorted(matched_keywords(it.title, it.lead, rules).items())]
        for it in items
    ]


def fit(items: list[Item], rules: RelevanceRules, options: FitOptions = FitOptions(),
        feats: list[list[tuple[int, float]]] | None = None) -> RelevanceRules:
    """`rules` with every keyword's weight learnt from `items` (keywords never seen keep the
    smallest weight of their sign), scaled to the threshold and rounded to quarters."""
    feats = features(items, rules) if feats is None else feats
    n = len(rules.keywords)
    w = [0.0] * n
    bias = 0.0
    g2 = [1e-8] * (n + 1)  # Adagrad: rare keywords keep a large step
    positive = [kw.area is not None for kw in rules.keywords]
    order = list(range(len(items)))
    rng = random.Random(options.seed)
    for _ in range(options.epochs):
        rng.shuffle(order)
        for k in order:
            x = feats[k]
            z = bias + sum(w[i] * v for i, v in x)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            y = 1.0 if items[k].relevant else 0.0
            err = (p - y) * (options.positive_weight if y else 1.0)
            for i, v in x:
                g = err * v + options.l2 * w[i]
                g2[i] += g * g
                w[i] -= options.rate * g / math.sqrt(g2[i])
                if positive[i] and w[i] < 0.0:
                    w[i] = 0.0
            g2[n] += err * err
            bias -= options.rate * err / math.sqrt(g2[n])
    if bias >= 0:
        raise ValueError("the fit put every document above the threshold: the corpus needs more other news")
    scale = THRESHOLD / -bias
    return _with_weights(rules, [_rounded(wi * scale, kw) for wi, kw in zip(w, rules.keywords)])


def _rounded(weight: float, kw: Keyword) -> float:
    """To the nearest quarter, never zero: a keyword on the list always says something."""
    q = round(weight / STEP) * STEP
    if q == 0:
        q = STEP if (kw.area is not None or weight > 0 or (weight == 0 and kw.weight > 0)) else -STEP
    return q


def _with_weights(rules: RelevanceRules, weights: list[float]) -> RelevanceRules:
    keywords = tuple(Keyword(kw.phrase, w, kw.area) for kw, w in zip(rules.keywords, weights))
    return RelevanceRules(threshold=THRESHOLD, keywords=keywords, title_factor=rules.title_factor)


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

    def __add__(self, other: "Scores") -> "Scores":
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


def cross_validate(items: list[Item], rules: RelevanceRules, k: int = 10, options: FitOptions = FitOptions(),
                   seed: int = 7) -> tuple[Scores, list[Item]]:
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
