#!/usr/bin/env python3
"""Choose the exemplar bank's thresholds by cross-validation on the development folds.

    .venv/bin/python scripts/calibrate_semantic.py [CORPUS] [--max-false 0.05]

Reads the corpus's development folds only (never the held-back slice), triages every row once
by the rules and finds its nearest bank texts once, then tries every combination of thresholds
in a grid. For each fold it picks the combination that is best on the other four (highest
emergency recall with false emergencies at most ``--max-false``, then "police matter?"
accuracy) and scores it on the fold left out: the mean of those five scores is what the
thresholds can be expected to give on rows they were not chosen on. Last, the combination best
on all five folds together is printed as the one to put in the bank's [thresholds].
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from controlroom import bootstrap
from controlroom.adapters.eval_tsv import read_eval_path
from controlroom.config import load_settings
from controlroom.domain.evaluation import Outcome, parse_split, score, select, slice_of
from controlroom.domain.exemplars import Thresholds
from controlroom.domain.triage import Channel, make_contact_text, triage
from controlroom.domain.triage import semantic as semantic_rule
from controlroom.domain.triage.compiled import CompiledRulebook
from controlroom.domain.triage.reading import Reading
from controlroom.services.triage import semantic_layer

ROOT = Path(__file__).resolve().parent.parent
RAISE_AT = [0.50, 0.525, 0.55, 0.575, 0.60, 0.625, 0.65, 0.675, 0.70]
MARGIN = [0.0, 0.02, 0.04, 0.06, 0.08]
ROUTE_AT = [0.35, 0.40, 0.45, 0.50, 0.55]
NEIGHBOURS = [1, 2, 3]


@dataclass(frozen=True)
class Figures:
    recall: float
    false_emergencies: float
    police_matter: float
    non_emergency_recall: float

    def line(self) -> str:
        return (
            f"recall {self.recall:.3f}  false emergencies {self.false_emergencies:.3f}  "
            f"police matter? {self.police_matter:.3f}  101 recall {self.non_emergency_recall:.3f}"
        )


def mean_of(scores: Sequence[Figures]) -> Figures:
    return Figures(
        *(sum(getattr(f, name) for f in scores) / len(scores) for name in Figures.__annotations__)
    )


def figures(outcomes: Sequence[Outcome]) -> Figures:
    scores = score(outcomes)
    return Figures(
        scores.emergency_recall.value or 0.0,
        scores.false_emergencies.value or 0.0,
        scores.police_matter_accuracy.value or 0.0,
        scores.non_emergency_recall.value or 0.0,
    )


def better(a: Figures, b: Figures | None, max_false: float) -> bool:
    if b is None:
        return True
    a_ok, b_ok = a.false_emergencies <= max_false, b.false_emergencies <= max_false
    if a_ok != b_ok:
        return a_ok
    if not a_ok:
        return a.false_emergencies < b.false_emergencies
    return (a.recall, a.police_matter) > (b.recall, b.police_matter)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT / "eval" / "corpus")
    parser.add_argument("--max-false", type=float, default=0.05)
    args = parser.parse_args(argv)

    settings = load_settings()
    policy = bootstrap.policy_for(settings)
    layer = semantic_layer(policy)
    bank = policy.exemplars
    if layer is None or bank is None:
        sys.exit("the semantic layer is not available: run controlroom models install")
    rows = select(read_eval_path(args.corpus), parse_split("dev"))
    print(f"{len(rows):,} development rows; finding their nearest bank texts ...", flush=True)
    contacts = [make_contact_text(r.text, Channel.NINE_NINE_NINE, max_chars=10_000) for r in rows]
    rules = [triage(contact, policy) for contact in contacts]
    nearest = layer.nearest([c.text for c in contacts], count=max(NEIGHBOURS))  # type: ignore[call-arg]
    # The rulebook's reading of a text does not depend on the thresholds: read each text once.
    read_once = semantic_rule.read  # type: ignore[attr-defined]
    readings: dict[str, Reading] = {}

    def cached_read(book: CompiledRulebook, text: str) -> Reading:
        if text not in readings:
            readings[text] = read_once(book, text)
        return readings[text]

    semantic_rule.read = cached_read  # type: ignore[attr-defined]

    def outcomes(limits: Thresholds, only: set[str] | None) -> list[Outcome]:
        chosen = replace(bank, thresholds=limits)
        out = []
        for row, contact, decision, found in zip(rows, contacts, rules, nearest, strict=True):
            if only is not None and slice_of(row.text) not in only:
                continue
            if decision.route.value != "emergency":
                decision = semantic_rule.refine(decision, contact, policy, chosen, found)
            out.append(Outcome(row, decision.route, decision.agency))
        return out

    combos = [
        Thresholds(raise_at=r, margin=m, route_at=a, recognise_at=max(a, 0.55), neighbours=n)
        for r, m, a, n in itertools.product(RAISE_AT, MARGIN, ROUTE_AT, NEIGHBOURS)
    ]
    folds = [f"fold{i}" for i in range(1, 6)]
    print(f"trying {len(combos)} combinations of thresholds on 5 folds ...", flush=True)
    per_fold: dict[str, list[Figures]] = {fold: [] for fold in folds}
    for limits in combos:
        for fold in folds:
            per_fold[fold].append(figures(outcomes(limits, {fold})))
    alone = [Outcome(r, d.route, d.agency) for r, d in zip(rows, rules, strict=True)]
    print(f"rules alone:            {figures(alone).line()}")
    print(f"the bank's thresholds:  {figures(outcomes(bank.thresholds, None)).line()}")
    held_out: list[Figures] = []
    for fold in folds:
        best, best_index = None, 0
        for index in range(len(combos)):
            others = [per_fold[f][index] for f in folds if f != fold]
            mean = Figures(
                *(sum(getattr(o, k) for o in others) / 4 for k in Figures.__dataclass_fields__)
            )
            if better(mean, best, args.max_false):
                best, best_index = mean, index
        held_out.append(per_fold[fold][best_index])
        print(
            f"  {fold} left out: chose {combos[best_index]}\n"
            f"    scored {per_fold[fold][best_index].line()}"
        )
    mean = Figures(
        *(sum(getattr(o, k) for o in held_out) / 5 for k in Figures.__dataclass_fields__)
    )
    print(
        f"cross-validated (each fold scored by thresholds chosen on the others):\n  {mean.line()}"
    )
    best, best_index = None, 0
    for index in range(len(combos)):
        every = [per_fold[f][index] for f in folds]
        overall = Figures(
            *(sum(getattr(o, k) for o in every) / 5 for k in Figures.__dataclass_fields__)
        )
        if better(overall, best, args.max_false):
            best, best_index = overall, index
    print(f"best on all development folds: {combos[best_index]}\n  {best.line() if best else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
