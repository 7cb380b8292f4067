#!/usr/bin/env python3
"""Choose the exemplar bank's thresholds by cross-validation on the development folds.

    .venv/bin/python scripts/calibrate_semantic.py [CORPUS] [--max-false 0.05]

Reads the corpus's development folds only (never the held-back slice), triages every row once
by the rules and encodes it once, then tries every combination of thresholds in a grid. The
bank holds development rows itself (uk-english-calls.toml): a fold is scored against the
exemplars of the other folds only, and with a route model trained without its own rows. For
each fold it picks the combination that is best on the other four (highest emergency recall
with false emergencies at most ``--max-false``, then "police matter?" accuracy) and scores it
on the fold left out: the mean of those five scores is what the thresholds can be expected to
give on rows they were not chosen on. Last, the combination best on all five folds together is
printed as the one to put in the bank's [thresholds].
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from controlroom import bootstrap
from controlroom.adapters.embeddings.index import SemanticIndex
from controlroom.adapters.embeddings.route_model import train
from controlroom.adapters.eval_tsv import read_eval_path
from controlroom.config import load_settings
from controlroom.domain.evaluation import (
    Example,
    Outcome,
    parse_split,
    score,
    select,
    slice_of,
)
from controlroom.domain.exemplars import Neighbour, Situation, Thresholds
from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import Channel, make_contact_text, triage
from controlroom.domain.triage import semantic as semantic_rule
from controlroom.domain.triage.compiled import CompiledRulebook
from controlroom.domain.triage.contact_text import ContactText
from controlroom.domain.triage.reading import Reading
from controlroom.domain.triage.semantic import Likelihood, Nearest
from controlroom.services.triage import semantic_layer

ROOT = Path(__file__).resolve().parent.parent
# 1.0: closeness never raises (the likelihood alone does)
RAISE_AT = [0.50, 0.60, 0.70, 0.80, 0.90, 1.0]
MARGIN = [0.04, 0.08]
RECOGNISE_AT = [0.35]  # a floor set by hand, not tuned: see docs/triage.md
NEIGHBOURS = [3]
# 1.0: the route model never raises
RAISE_LIKELIHOOD = [0.60, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 1.0]
# None: as raise_likelihood
RAISE_UNRECOGNISED = [None, 0.40, 0.50, 0.60, 0.70]
RECOGNISE_LIKELIHOOD = [0.30, 0.40]
LEAD = [0.10]
FOLDS = [f"fold={i}" for i in range(1, 6)]


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


def encoded(layer: SemanticIndex, texts: list[str]) -> np.ndarray:
    """The texts' vectors, kept in a temporary file between runs on the same rows."""
    digest = hashlib.sha256("\0".join([layer.encoder.name, *texts]).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"controlroom-calibration-{digest}.npy"
    if path.is_file():
        kept: np.ndarray = np.load(path, allow_pickle=False)
        return kept
    vectors = layer.encoder.encode(texts)
    np.save(path, vectors, allow_pickle=False)
    return vectors


def tuned_similarities(
    path: Path, rows: Sequence[Example], folds: Sequence[str], bank_size: int
) -> np.ndarray:
    """Each row's similarity to every bank text in the tuned encoder's space, both encoded by
    the head trained without the row's fold (the vectors ``tune_route_head.py --cv`` wrote)."""
    print(f"the tuned encoder's vectors from {path}", flush=True)
    kept = np.load(path, allow_pickle=False)
    where = {str(text): i for i, text in enumerate(kept["texts"])}
    found = np.zeros((len(rows), bank_size), dtype=np.float32)
    for i, (row, fold) in enumerate(zip(rows, folds, strict=True)):
        bank = kept[f"bank-{fold}"]
        if bank.shape[0] != bank_size:
            sys.exit(f"{path} was written for another bank ({bank.shape[0]} texts)")
        found[i] = bank @ kept["rows"][where[row.text]]
    return found


def nearest_lists(
    situations: list[Situation], texts: list[str], similarities: np.ndarray, count: int
) -> list[Nearest]:
    """Each row's nearest exemplars per route, from its similarities to them (-inf: not one)."""
    routes = np.array([list(Route).index(s.route) for s in situations])
    found: list[Nearest] = []
    for row in similarities:
        per_route: dict[Route, list[Neighbour]] = {}
        for index, route in enumerate(Route):
            members = np.flatnonzero((routes == index) & np.isfinite(row))
            if not len(members):
                continue
            top = members[np.argsort(-row[members])[:count]]
            per_route[route] = [Neighbour(situations[i], texts[i], float(row[i])) for i in top]
        found.append(per_route)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT / "eval" / "corpus")
    parser.add_argument("--max-false", type=float, default=0.05)
    parser.add_argument(
        "--misses", type=Path, help="write the emergencies the bank's thresholds miss, per fold"
    )
    parser.add_argument(
        "--likelihoods",
        type=Path,
        help="cross-validated likelihoods of the bank's tuned route head "
        "(scripts/tune_route_head.py --cv), in place of a route model trained per fold",
    )
    args = parser.parse_args(argv)

    settings = load_settings()
    policy = bootstrap.policy_for(settings)
    layer = semantic_layer(policy)
    bank = policy.exemplars
    if not isinstance(layer, SemanticIndex) or bank is None:
        sys.exit("the semantic layer is not available: run controlroom models install")
    rows = select(read_eval_path(args.corpus), parse_split("dev"))
    print(f"{len(rows):,} development rows; encoding them ...", flush=True)
    contacts = [make_contact_text(r.text, Channel.NINE_NINE_NINE, max_chars=10_000) for r in rows]
    rules = [triage(contact, policy) for contact in contacts]
    folds = [slice_of(r.text) for r in rows]
    # The bank holds the development rows themselves (uk-english-calls.toml): a fold is scored
    # against the exemplars of the other folds only.
    exemplar_fold = np.array([slice_of(text) for text in layer.texts])
    from_corpus = np.isin(np.array(layer.texts), [" ".join(r.text.split()) for r in rows])
    tuned = args.likelihoods.with_suffix(".npz") if args.likelihoods else None
    if layer.route_head is not None and (tuned is None or not tuned.is_file()):
        sys.exit(
            "the bank has a tuned route head: give the --likelihoods (and the vectors) its "
            "--cv wrote"
        )
    vectors = encoded(layer, [c.text for c in contacts]) if tuned is None else None
    if vectors is None and tuned is not None:
        similarities = tuned_similarities(tuned, rows, folds, len(layer.texts))
    elif vectors is not None:
        similarities = vectors @ layer.vectors.T
    for i, fold in enumerate(folds):
        similarities[i, from_corpus & (exemplar_fold == fold)] = -np.inf
    print(f"  {int(from_corpus.sum()):,} of the bank's {len(layer.texts):,} texts are corpus rows")
    nearest = nearest_lists(list(layer.situations), list(layer.texts), similarities, 3)
    likelihood: list[Likelihood] = [{} for _ in rows]
    if args.likelihoods:
        print(f"likelihoods of the tuned route head from {args.likelihoods}", flush=True)
        given = json.loads(args.likelihoods.read_text(encoding="utf-8"))["likelihoods"]
        likelihood = [{Route(k): v for k, v in given[r.text].items()} for r in rows]
    else:
        print("training a route model without each fold's rows ...", flush=True)
    routes = [s.route for s in layer.situations]
    for fold in sorted(set(folds)):
        if vectors is None:
            break
        keep = ~(from_corpus & (exemplar_fold == fold))
        model = train(layer.vectors[keep], [r for r, k in zip(routes, keep, strict=True) if k])
        members = [i for i, f in enumerate(folds) if f == fold]
        for i, found in zip(members, model.per_route(vectors[members]), strict=True):
            likelihood[i] = found

    # The rulebook's reading of a text does not depend on the thresholds: read each text once.
    read_once = semantic_rule.read_remembered  # type: ignore[attr-defined]
    readings: dict[str, Reading] = {}

    def cached_read(book: CompiledRulebook, text: str) -> Reading:
        if text not in readings:
            readings[text] = read_once(book, text)
        return readings[text]

    semantic_rule.read_remembered = cached_read  # type: ignore[attr-defined]

    def outcomes(limits: Thresholds, only: str | None) -> list[Outcome]:
        chosen = replace(bank, thresholds=limits)
        out = []
        for i, (row, contact, decision) in enumerate(zip(rows, contacts, rules, strict=True)):
            if only is not None and folds[i] != only:
                continue
            if decision.route is not Route.EMERGENCY:
                decision = semantic_rule.refine(
                    decision, contact, policy, chosen, nearest[i], likelihood[i]
                )
            out.append(Outcome(row, decision.route, decision.agency))
        return out

    combos = [
        Thresholds(
            raise_at=r,
            margin=m,
            route_at=min(a, 0.30),
            recognise_at=a,
            neighbours=n,
            raise_likelihood=p,
            raise_unrecognised_likelihood=u,
            recognise_likelihood=q,
            lead=lead,
        )
        for r, m, a, n, p, u, q, lead in itertools.product(
            RAISE_AT,
            MARGIN,
            RECOGNISE_AT,
            NEIGHBOURS,
            RAISE_LIKELIHOOD,
            RAISE_UNRECOGNISED,
            RECOGNISE_LIKELIHOOD,
            LEAD,
        )
        if u is None or u < p
    ]
    print(f"trying {len(combos)} combinations of thresholds on 5 folds ...", flush=True)
    per_fold = {fold: [figures(outcomes(limits, fold)) for limits in combos] for fold in FOLDS}
    alone = [Outcome(r, d.route, d.agency) for r, d in zip(rows, rules, strict=True)]
    print(f"rules alone:            {figures(alone).line()}")
    print(f"the bank's thresholds:  {figures(outcomes(bank.thresholds, None)).line()}")
    held_out: list[Figures] = []
    for fold in FOLDS:
        best, best_index = None, 0
        for index in range(len(combos)):
            mean = mean_of([per_fold[f][index] for f in FOLDS if f != fold])
            if better(mean, best, args.max_false):
                best, best_index = mean, index
        held_out.append(per_fold[fold][best_index])
        print(f"  {fold} left out: chose {combos[best_index]}")
        print(f"    scored {per_fold[fold][best_index].line()}")
    print("cross-validated (each fold scored by thresholds chosen on the others):")
    print(f"  {mean_of(held_out).line()}")
    best, best_index = None, 0
    for index in range(len(combos)):
        overall = mean_of([per_fold[f][index] for f in FOLDS])
        if better(overall, best, args.max_false):
            best, best_index = overall, index
    print(f"best on all development folds: {combos[best_index]}")
    print(f"  {best.line() if best else ''}")
    if args.misses:
        write_misses(args.misses, outcomes(bank.thresholds, None), rows, contacts, policy)
    return 0


def write_misses(
    path: Path,
    found: list[Outcome],
    rows: Sequence[Example],
    contacts: Sequence[ContactText],
    policy: Policy,
) -> None:
    """The development emergencies routed elsewhere (each scored with its own fold's rows
    left out of the bank), with the route and the reasons given."""
    lines = []
    for outcome, row, contact in zip(found, rows, contacts, strict=True):
        if row.label.value != "emergency" or outcome.route is Route.EMERGENCY:
            continue
        decision = triage(contact, policy)
        why = " | ".join(f"{r.rule}: {r.explanation[:90]}" for r in decision.reasons[:3])
        lines.append(f"{outcome.route.value}\t{row.text}\t{why}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} missed emergencies written to {path}")


if __name__ == "__main__":
    sys.exit(main())
