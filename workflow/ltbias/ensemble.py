"""Backdoor adjustment over the semantic factor c: ensembles of fine-tuned backbones.

P(Y | do(x)) = sum_c P(Y | x, c) P(c) with uniform P(c) = 1/M; as in the reference code the
prediction is the argmax of the plain sum of the members' raw cosine-classifier logits
(method.md §5). Every non-empty subset of the configured backbones is evaluated; each
subset's sum is its parent's sum plus one cached array (a walk over the subset lattice),
so 2^M - 1 subsets cost 2^M - 1 additions and M - 1 buffers, on blocks of test rows.
Beside the uniform sum, each subset can be scored with convex member weights (`fitted`)
and with per-member logit offsets (the variants of `variants.py`), see also `adjust.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .metrics import (
    calibration_bins,
    cross_table,
    expected_calibration_error,
    group_accuracy,
    per_class_accuracy,
    softmax_confidence,
)
from .prior import P_GROUPS, p_groups
from .splits import D_GROUPS
from .subsets import subset_name, subsets
from .variants import UNIFORM, VARIANTS

__all__ = ["METRIC_GROUPS", "Evaluation", "evaluate_ensembles", "row_statistics", "subset_logit_sums"]

logger = logging.getLogger(__name__)


def subset_logit_sums(logits: Sequence[np.ndarray]) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    """Yield `(member indices, summed logits)` for every non-empty subset, depth first.

    The sums are added in index order, exactly as `sum(logits[i] for i in subset)` would,
    so results are bit-identical to recomputing each subset. The yielded array is a
    reused buffer: use it before advancing the iterator.
    """
    buffers = [np.empty(logits[0].shape, dtype=np.float32) for _ in range(len(logits) - 1)]
    yield from _extend(logits, buffers, (), None)


def _extend(
    logits: Sequence[np.ndarray], buffers: list[np.ndarray], members: tuple[int, ...], parent: np.ndarray | None
) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    """Subsets that extend `members` by later indices, each summed from its parent.

    A module-level function rather than a closure: a self-referencing closure would keep
    every block's buffers alive in a reference cycle until the garbage collector runs.
    """
    for j in range(members[-1] + 1 if members else 0, len(logits)):
        if parent is None:
            total = np.asarray(logits[j], dtype=np.float32)
        else:
            total = np.add(parent, logits[j], out=buffers[len(members) - 1])
        subset = (*members, j)
        yield subset, total
        yield from _extend(logits, buffers, subset, total)


def _normalise(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values / values.sum()


# metrics column -> (grouping, group): the classes each accuracy column averages over
METRIC_GROUPS = {"all": (None, None)} | {
    name.lower().replace("-", "_") + suffix: (grouping, name)
    for grouping, names, suffix in (("d", D_GROUPS, ""), ("p", P_GROUPS, ""), ("p_true", P_GROUPS, "_true"))
    for name in names
}


@dataclass
class _RowStatistics:
    per_class: np.ndarray  # (C,) correct predictions per class
    binned: np.ndarray  # (3, bins) calibration bins
    correct: np.ndarray  # (N,) bool, per test image


Statistics = dict[tuple[tuple[int, ...], str], _RowStatistics]


def _scores(
    block: Sequence[np.ndarray],
    members: tuple[int, ...],
    total: np.ndarray,
    offsets: dict[str, Sequence[np.ndarray]],
    weights: dict[str, dict[tuple[int, ...], np.ndarray]],
) -> list[tuple[str, np.ndarray, float]]:
    """(variant, scores, scale) of every variant that scores this subset (`VARIANTS`): the
    plain sum, the sum less each member's offset, or the weighted sum; `scale` turns the
    scores into the logits whose softmax is calibrated (the members' mean, or the scores)."""
    scored = []
    for variant in VARIANTS.values():
        if variant.weighted and members in weights.get(variant.name, {}):
            w = weights[variant.name][members]
            per_member = w.T[..., None] if w.ndim == 2 else w  # (B, 1) per member, or a scalar
            summed = sum(c * block[m] for c, m in zip(per_member, members, strict=True))
            scored.append((variant.name, summed.astype(np.float32), 1.0))
        elif variant.offset is not None and variant.name in offsets:
            shifts = offsets[variant.name]
            scored.append((variant.name, total - sum(shifts[m] for m in members), 1.0 / len(members)))
        elif variant.name == UNIFORM:
            scored.append((variant.name, total, 1.0 / len(members)))
    return scored


def _block_statistics(
    block: Sequence[np.ndarray],
    labels: np.ndarray,
    n_classes: int,
    offsets: dict[str, Sequence[np.ndarray]],
    weights: dict[str, dict[tuple[int, ...], np.ndarray]],
    bins: int,
) -> Statistics:
    """`row_statistics` of one block of test rows (`correct` holds the block's rows only)."""
    rows = np.arange(len(labels))
    buffer = np.empty(block[0].shape, dtype=np.float32)  # softmax_confidence's temporary
    stats: Statistics = {}
    for members, total in subset_logit_sums(block):
        scored = _scores(block, members, total, offsets, weights)
        for variant, scores, scale in scored:
            predicted = scores.argmax(axis=1)
            correct = predicted == labels
            confidence = softmax_confidence(scores, scale, maximum=scores[rows, predicted], out=buffer)
            stats[(members, variant)] = _RowStatistics(
                np.bincount(labels, weights=correct, minlength=n_classes),
                calibration_bins(confidence, correct, bins),
                correct,
            )
    return stats


def row_statistics(
    logits: Sequence[np.ndarray],
    labels: np.ndarray,
    n_classes: int,
    offsets: dict[str, Sequence[np.ndarray]] | None = None,
    weights: dict[str, dict[tuple[int, ...], np.ndarray]] | None = None,
    rows_per_block: int = 1024,
    bins: int = 15,
    threads: int = 1,
) -> Statistics:
    """Per-class and per-image correctness and calibration bins of every subset and variant.

    Variants (`VARIANTS`): `uniform` (the plain sum, P(c) = 1/M); for each `offsets` entry
    (variant -> one (C,) vector or (N, C) array per member), the sum of z_m - offset_m; for
    each `weights` entry (variant -> member indices -> convex weights (M,), or (N, M) per
    test image; subsets of two or more), sum_m w_m z_m. Calibration is of the softmax of
    the members' (weighted) mean.

    The test rows are processed in blocks small enough for the CPU caches, `threads` blocks
    at a time (NumPy releases the GIL): each block of every (memory-mapped) cache is read
    once, all subsets are evaluated on it along the lattice, and the counts accumulate. The
    numbers do not depend on the block size or the threads.
    """
    labels = np.asarray(labels)
    stats: Statistics = {}

    def evaluate(start: int) -> tuple[int, Statistics]:
        rows = slice(start, start + rows_per_block)
        block = [np.asarray(x[rows], dtype=np.float32) for x in logits]
        shifts = {
            variant: [np.asarray(s[rows], dtype=np.float32) if np.ndim(s) == 2 else s for s in members]
            for variant, members in (offsets or {}).items()
        }
        block_weights = {
            variant: {k: w[rows] if w.ndim == 2 else w for k, w in subsets_of.items()}
            for variant, subsets_of in (weights or {}).items()
        }
        return start, _block_statistics(block, labels[rows], n_classes, shifts, block_weights, bins)

    with ThreadPoolExecutor(max(1, threads)) as pool:
        for start, block_stats in pool.map(evaluate, range(0, len(labels), rows_per_block)):
            for key, part in block_stats.items():
                row = stats.setdefault(
                    key, _RowStatistics(np.zeros(n_classes), np.zeros((3, bins)), np.zeros(len(labels), dtype=bool))
                )
                row.per_class += part.per_class
                row.binned += part.binned
                row.correct[start : start + len(part.correct)] = part.correct
    return stats


def _group_columns(accuracy: np.ndarray, groups: np.ndarray, names: Sequence[str], suffix: str = "") -> dict:
    return {k.lower().replace("-", "_") + suffix: v for k, v in group_accuracy(accuracy, groups, names).items()}


@dataclass
class Evaluation:
    """Everything measured on the test split, one metrics row per (subset, variant).

    Attributes:
        metrics: `subset, variant, size, all, d_many, d_medium, d_few`, with priors `p_many,
            p_medium, p_few` (+ `_true`), and `ece` (percent).
        per_class: `label, class_name, train_count, d_group` and one accuracy column
            (percent) per subset (uniform variant).
        dxp: subset name -> D x P cross table of the uniform variant (`metrics.cross_table`).
        correct: (N, rows) bool correctness per test image, columns in `metrics` order.
        groupings: per metrics row, `d`, `p`, `p_true` -> (C,) group of each class, as the
            row's columns use them (see `METRIC_GROUPS`).
    """

    metrics: pd.DataFrame
    per_class: pd.DataFrame
    dxp: dict[str, pd.DataFrame]
    correct: np.ndarray
    groupings: list[dict[str, np.ndarray]]

    def with_rows(self, other: Evaluation, variant: str) -> Evaluation:
        """This evaluation plus `other`'s metrics rows, relabelled as `variant` (e.g. the
        members' zero-shot logits); per-class and D x P tables stay this one's."""
        metrics = pd.concat([self.metrics, other.metrics.assign(variant=variant)], ignore_index=True)
        correct = np.concatenate([self.correct, other.correct], axis=1)
        return Evaluation(metrics, self.per_class, self.dxp, correct, self.groupings + other.groupings)


def _accuracy_columns(accuracy: np.ndarray, grouping: dict[str, np.ndarray]) -> dict[str, float]:
    """`all` and the mean accuracy of every D-group and of every P-group of `grouping`."""
    columns = {"all": 100.0 * float(np.nanmean(accuracy))} | _group_columns(accuracy, grouping["d"], D_GROUPS)
    if "p" in grouping:
        columns |= _group_columns(accuracy, grouping["p"], P_GROUPS)
    if "p_true" in grouping:
        columns |= _group_columns(accuracy, grouping["p_true"], P_GROUPS, suffix="_true")
    return columns


def evaluate_ensembles(
    backbones: Sequence[str],
    logits: Sequence[np.ndarray],
    labels: np.ndarray,
    classes: pd.DataFrame,
    priors: dict[str, np.ndarray] | None = None,
    true_counts: dict[str, np.ndarray] | None = None,
    p_fractions: tuple[float, float] = (1 / 3, 1 / 3),
    offsets: dict[str, dict[str, np.ndarray]] | None = None,
    weights: dict[str, dict[str, np.ndarray]] | None = None,
    threads: int = 1,
) -> Evaluation:
    """Metrics of every subset of `backbones` from their cached test logits.

    A subset's P-groups come from the mean of its members' estimated priors (`priors`);
    with `true_counts` (the toy world) a second set by the mean of their normalised
    pretraining counts is added as `p_*_true` columns. `offsets` (variant -> backbone -> (C,)
    vector or (N, C) array to subtract) adds a row of that variant per subset, `weights`
    (variant -> subset name -> convex member weights) a row of that variant per subset it
    names. `threads`: see `row_statistics`.
    """
    n_classes = len(classes)
    d_group = classes["d_group"].to_numpy()
    totals = np.bincount(labels, minlength=n_classes)
    index = {b: i for i, b in enumerate(backbones)}
    stats = row_statistics(
        logits,
        labels,
        n_classes,
        offsets={variant: [shift[b] for b in backbones] for variant, shift in (offsets or {}).items()},
        weights={
            variant: {tuple(index[b] for b in name.split("+")): w for name, w in by_subset.items()}
            for variant, by_subset in (weights or {}).items()
        },
        threads=threads,
    )
    rows, correct, groupings, per_class_columns, dxp = [], [], [], {}, {}
    for subset in subsets(backbones):
        name = subset_name(subset)
        grouping = {"d": d_group}
        for kind, values in (("p", priors), ("p_true", true_counts)):
            if values is not None:
                grouping[kind] = p_groups(np.mean([_normalise(values[b]) for b in subset], axis=0), *p_fractions)
        for variant in VARIANTS:
            row_stats = stats.get((tuple(index[b] for b in subset), variant))
            if row_stats is None:
                continue
            accuracy = per_class_accuracy(row_stats.per_class, totals)
            row = {"subset": name, "variant": variant, "size": len(subset)} | _accuracy_columns(accuracy, grouping)
            row["ece"] = expected_calibration_error(row_stats.binned)
            rows.append(row)
            correct.append(row_stats.correct)
            groupings.append(grouping)
            if variant == UNIFORM:
                per_class_columns[name] = 100.0 * accuracy
                if "p" in grouping:
                    dxp[name] = cross_table(accuracy, d_group, grouping["p"], D_GROUPS, P_GROUPS)
    per_class = classes[["label", "class_name", "train_count", "d_group"]].assign(**per_class_columns)
    return Evaluation(pd.DataFrame(rows), per_class, dxp, np.stack(correct, axis=1), groupings)
