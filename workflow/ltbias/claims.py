"""The paper's claims, each measured on the run's own test images with a paired 95 %
interval and a verdict.

A claim is a signed linear combination of class-mean accuracies of evaluated rows (a
fine-tuned backbone, the ensemble of all, the mean single backbone, a Fig. 3 cell), positive
where the claim holds. Every term is read off the same stratified bootstrap resamples
(`bootstrap.resample`), so the interval is that of the combination itself. The verdict is
`holds` when the interval lies above 0, `does not hold` below, `inconclusive` when it spans
0, and `not run` when the analysis it needs (`snakemake fig3`, `snakemake controls`) has not
run.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import bootstrap
from .prior import P_GROUPS, p_groups
from .splits import D_GROUPS

__all__ = ["COLUMNS", "VERDICTS", "Claim", "external_claim", "measure", "paper_claims", "verdict"]

VERDICTS = ("holds", "does not hold", "inconclusive", "not run")
COLUMNS = ["claim", "scope", "measured", "value", "lo", "hi", "verdict"]

LA_CLOSES_D_GAP = "LA closes the D gap"
P_GAP_PERSISTS = "the P gap persists after LA"
MODELS_DIFFER = "foundation models differ in parameter imbalance"
TAIL_TAIL = "tail-tail hurts: D-Few ∩ P-Few is the lowest D x P cell"
ENSEMBLE_P_FEW = "the ensemble gains more on P-Few than on P-Many"
BEATS_SEEDS = "different pre-training beats seeds"


@dataclass(frozen=True)
class Claim:
    """One claim on one scope: `terms` are (coefficient, row, (C,) class weights), the
    value being sum of coefficient x the row's weighted correct counts; no terms: not run."""

    claim: str
    scope: str
    measured: str  # the quantity, positive where the claim holds
    terms: tuple[tuple[float, int, np.ndarray], ...] = ()


def verdict(lo: float, hi: float) -> str:
    """`holds` above 0, `does not hold` below, `inconclusive` across (or undefined)."""
    if lo > 0:
        return VERDICTS[0]
    if hi < 0:
        return VERDICTS[1]
    return VERDICTS[2]


def measure(
    claims: Sequence[Claim], correct: np.ndarray, labels: np.ndarray, n_resamples: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """`COLUMNS` for every claim: its value on the test images and the 95 % percentile
    interval of the same combination over the resamples. `correct` is (N, R): each row's
    correctness per test image, or a mean of several in [0, 1]."""
    labels = np.asarray(labels)
    correct = np.asarray(correct, dtype=np.float64)
    terms = [term for claim in claims for term in claim.terms]
    n_classes = len(terms[0][2]) if terms else 0
    weights = np.zeros((correct.shape[1], n_classes, max(1, len(terms))))
    for k, (_, row, class_weights) in enumerate(terms):
        weights[row, :, k] = np.nan_to_num(class_weights)
    distribution, _ = bootstrap.resample(correct, labels, weights, n_resamples, seed) if terms else (None, None)
    counts = np.stack([np.bincount(labels, weights=c, minlength=n_classes) for c in correct.T]) if terms else None
    records, k = [], 0
    for claim in claims:
        record = {"claim": claim.claim, "scope": claim.scope, "measured": claim.measured}
        if not claim.terms:
            records.append(record | {"value": np.nan, "lo": np.nan, "hi": np.nan, "verdict": VERDICTS[3]})
            continue
        value, samples = 0.0, np.zeros(len(distribution))
        for coefficient, row, _ in claim.terms:
            value += coefficient * float(counts[row] @ weights[row, :, k])
            samples += coefficient * distribution[:, row, k]
            k += 1
        lo, hi = bootstrap.interval(samples)
        records.append(record | {"value": value, "lo": float(lo), "hi": float(hi), "verdict": verdict(lo, hi)})
    return pd.DataFrame(records, columns=COLUMNS)


def external_claim(value: float | None, lo: float | None, hi: float | None, scope: str) -> dict:
    """The seeds claim, measured by `snakemake controls` (`M backbones minus M seeds`, All),
    as a row of `measure`'s table; None: not run."""
    record = {"claim": BEATS_SEEDS, "scope": scope, "measured": "All: M backbones minus M seeds"}
    if value is None:
        return record | {"value": np.nan, "lo": np.nan, "hi": np.nan, "verdict": VERDICTS[3]}
    return record | {"value": value, "lo": lo, "hi": hi, "verdict": verdict(lo, hi)}


class _Weights:
    """(C,) class weights of group accuracies (percent) on the test split."""

    def __init__(self, labels: np.ndarray, n_classes: int) -> None:
        self.sizes = np.bincount(labels, minlength=n_classes)

    def __call__(self, member: np.ndarray) -> np.ndarray | None:
        """Weights of the class mean over the classes where `member` is True; None if no
        class with test images is a member."""
        weights = bootstrap.class_weights(self.sizes, np.where(member, "in", "out"), "in")
        return None if np.isnan(weights).all() else weights


def _gap(row: int, many: np.ndarray | None, few: np.ndarray | None, sign: float = 1.0) -> tuple:
    """Terms of sign x (accuracy on `many` - accuracy on `few`) of one row."""
    if many is None or few is None:
        return ()
    return ((sign, row, many), (-sign, row, few))


def paper_claims(
    correct: dict[str, np.ndarray],
    ensemble: np.ndarray,
    labels: np.ndarray,
    d_groups: np.ndarray,
    priors: dict[str, np.ndarray],
    names: dict[str, str],
    fractions: tuple[float, float] = (1 / 3, 1 / 3),
    cross_entropy: tuple[str, np.ndarray, np.ndarray] | None = None,
) -> tuple[list[Claim], np.ndarray]:
    """The claims that the fine-tuned backbones' test predictions decide, and their rows.

    Args:
        correct: backbone -> (N,) correctness of its LA fine-tune, in ensemble order.
        ensemble: (N,) correctness of the sum of all of them (uniform P(c)).
        priors: backbone -> (C,) its pre-training prior (estimated, or the true counts);
            each backbone's P-groups are its own, the ensemble's those of the mean prior.
        cross_entropy: (backbone, CE correctness, LA correctness) of one backbone fine-tuned
            with CE and with LA (the Fig. 3 cells of its PEFT method), or None: not run.

    Returns the claims and the (N, R) correctness matrix their rows index.
    """
    labels = np.asarray(labels)
    weights = _Weights(labels, len(d_groups))
    backbones = list(correct)
    rows = [correct[b] for b in backbones]
    own = {b: p_groups(priors[b], *fractions) for b in backbones}
    d = {g: weights(d_groups == g) for g in D_GROUPS}
    claims = []
    if cross_entropy is None:
        claims.append(Claim(LA_CLOSES_D_GAP, "LIFT backbone", "D gap (D-Many - D-Few): CE minus LA"))
    else:
        backbone, ce, la = cross_entropy
        rows += [ce, la]
        terms = _gap(len(rows) - 2, d["D-Many"], d["D-Few"]) + _gap(len(rows) - 1, d["D-Many"], d["D-Few"], -1.0)
        claims.append(Claim(LA_CLOSES_D_GAP, names[backbone], "D gap (D-Many - D-Few): CE minus LA", terms))
    for i, b in enumerate(backbones):
        terms = _gap(i, weights(own[b] == "P-Many"), weights(own[b] == "P-Few"))
        claims.append(Claim(P_GAP_PERSISTS, names[b], "P-Many - P-Few after LA", terms))
    claims.append(_models_differ(backbones, own, weights, names))
    for i, b in enumerate(backbones):
        claims.append(_tail_tail(i, b, rows, labels, d_groups, own[b], weights, names))
    if len(backbones) >= 2:
        mean_prior = np.mean([priors[b] / priors[b].sum() for b in backbones], axis=0)
        groups = p_groups(mean_prior, *fractions)
        rows += [ensemble, np.mean([correct[b] for b in backbones], axis=0)]
        ensemble, single = len(rows) - 2, len(rows) - 1
        few, many = weights(groups == "P-Few"), weights(groups == "P-Many")
        terms = _gap(ensemble, few, many) + _gap(single, few, many, -1.0)
        scope = " + ".join(names[b] for b in backbones)
        claims.append(Claim(ENSEMBLE_P_FEW, scope, "gain over the mean single: P-Few minus P-Many", terms))
    return claims, np.stack(rows, axis=1)


def _models_differ(backbones: list[str], own: dict[str, np.ndarray], weights: _Weights, names: dict) -> Claim:
    """Each backbone is relatively better on its own P-Many classes: for a pair a, b, the
    accuracy of a minus b on the classes P-Many for a and P-Few for b, minus the same on
    the classes P-Few for a and P-Many for b; averaged over the pairs where both exist."""
    pairs = []
    for (i, a), (j, b) in itertools.combinations(enumerate(backbones), 2):
        ours = weights((own[a] == "P-Many") & (own[b] == "P-Few"))
        theirs = weights((own[a] == "P-Few") & (own[b] == "P-Many"))
        if ours is not None and theirs is not None:
            pairs.append(((1.0, i, ours), (-1.0, j, ours), (-1.0, i, theirs), (1.0, j, theirs)))
    terms = tuple((c / len(pairs), row, w) for pair in pairs for c, row, w in pair)
    scope = " vs ".join(names[b] for b in backbones) if len(backbones) > 1 else "one backbone"
    measured = "mean over pairs: a - b on a's P-Many ∩ b's P-Few, minus on a's P-Few ∩ b's P-Many"
    return Claim(MODELS_DIFFER, scope, measured, terms)


def _tail_tail(
    row: int,
    backbone: str,
    rows: list[np.ndarray],
    labels: np.ndarray,
    d_groups: np.ndarray,
    p: np.ndarray,
    weights: _Weights,
    names: dict,
) -> Claim:
    """The lowest other D x P cell (by its accuracy on the test images) minus D-Few ∩ P-Few."""
    cells = {(dg, pg): weights((d_groups == dg) & (p == pg)) for dg in D_GROUPS for pg in P_GROUPS}
    tail = cells.pop(("D-Few", "P-Few"))
    correct_counts = np.bincount(labels, weights=rows[row], minlength=len(d_groups))
    others = {cell: float(correct_counts @ w) for cell, w in cells.items() if w is not None}
    measured = "lowest other D x P cell minus D-Few ∩ P-Few"
    if tail is None or not others:
        return Claim(TAIL_TAIL, names[backbone], measured)
    lowest = min(others, key=others.get)
    measured = f"{lowest[0]} ∩ {lowest[1]} (the lowest other cell) minus D-Few ∩ P-Few"
    return Claim(TAIL_TAIL, names[backbone], measured, ((1.0, row, cells[lowest]), (-1.0, row, tail)))
