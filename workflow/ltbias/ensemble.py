"""Backdoor adjustment over the semantic factor c: ensembles of fine-tuned backbones.

P(Y | do(x)) = sum_c P(Y | x, c) P(c) with uniform P(c) = 1/M; as in the reference code the
prediction is the argmax of the plain sum of the members' raw cosine-classifier logits
(method.md §5). Every non-empty subset of the configured backbones is evaluated; each
subset's sum is its parent's sum plus one cached array (a walk over the subset lattice),
so 2^M - 1 subsets cost 2^M - 1 additions and M - 1 buffers, on blocks of test rows.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence

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

__all__ = [
    "evaluate_ensembles",
    "subset_logit_sums",
    "subset_name",
    "subset_statistics",
    "subsets",
]

logger = logging.getLogger(__name__)


def subsets(backbones: Sequence[str]) -> list[tuple[str, ...]]:
    """Every non-empty subset, by size, then in config order: M=1 rows, then pairs, ..."""
    if not backbones:
        raise ValueError("no backbones: a dataset needs at least one")
    if len(set(backbones)) != len(backbones):
        raise ValueError(f"backbones listed twice: {list(backbones)}")
    return [s for k in range(1, len(backbones) + 1) for s in itertools.combinations(backbones, k)]


def subset_name(subset: Sequence[str]) -> str:
    """`clip+metaclip`: member keys joined by `+` in config order."""
    return "+".join(subset)


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


def subset_statistics(
    logits: Sequence[np.ndarray], labels: np.ndarray, n_classes: int, rows_per_block: int = 4096, bins: int = 15
) -> dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]]:
    """Correct predictions per class (C,) and calibration bins (3, bins) of every subset.

    The test rows are processed in blocks: each block of every (memory-mapped) cache is read
    once, all subsets are evaluated on it along the lattice, and the counts accumulate. Peak
    memory is M blocks, not M full logit matrices. Calibration is of softmax over the mean
    logits, i.e. P(c) = 1/M.
    """
    labels = np.asarray(labels)
    stats: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
    for start in range(0, len(labels), rows_per_block):
        block = [np.asarray(x[start : start + rows_per_block], dtype=np.float32) for x in logits]
        block_labels = labels[start : start + rows_per_block]
        for members, total in subset_logit_sums(block):
            correct = total.argmax(axis=1) == block_labels
            confidence = softmax_confidence(total, scale=1.0 / len(members))
            per_class, binned = stats.get(members, (np.zeros(n_classes), np.zeros((3, bins))))
            per_class += np.bincount(block_labels, weights=correct, minlength=n_classes)
            binned += calibration_bins(confidence, correct, bins)
            stats[members] = (per_class, binned)
    return stats


def _group_columns(accuracy: np.ndarray, groups: np.ndarray, names: Sequence[str], suffix: str = "") -> dict:
    return {k.lower().replace("-", "_") + suffix: v for k, v in group_accuracy(accuracy, groups, names).items()}


def evaluate_ensembles(
    backbones: Sequence[str],
    logits: Sequence[np.ndarray],
    labels: np.ndarray,
    classes: pd.DataFrame,
    priors: dict[str, np.ndarray] | None = None,
    true_counts: dict[str, np.ndarray] | None = None,
    p_fractions: tuple[float, float] = (1 / 3, 1 / 3),
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    """Metrics of every subset of `backbones` from their cached test logits.

    A subset's P-groups come from the mean of its members' estimated priors (`priors`);
    with `true_counts` (the toy world) a second set by the mean of their normalised
    pretraining counts is added as `p_*_true` columns.

    Returns:
        metrics: one row per subset: `subset, size, all, d_many, d_medium, d_few` and, when
            priors are given, `p_many, p_medium, p_few` (+ `_true`), and `ece` (percent).
        per_class: `label, class_name, train_count, d_group` and one accuracy column
            (percent) per subset.
        dxp: subset name -> D x P cross table (see `metrics.cross_table`).
    """
    n_classes = len(classes)
    d_group = classes["d_group"].to_numpy()
    totals = np.bincount(labels, minlength=n_classes)
    stats = subset_statistics(logits, labels, n_classes)
    rows, per_class_columns, dxp = [], {}, {}
    for subset in subsets(backbones):
        name = subset_name(subset)
        correct, binned = stats[tuple(backbones.index(b) for b in subset)]
        accuracy = per_class_accuracy(correct, totals)
        row = {"subset": name, "size": len(subset), "all": 100.0 * float(np.nanmean(accuracy))}
        row |= _group_columns(accuracy, d_group, D_GROUPS)
        if priors is not None:
            groups = p_groups(np.mean([_normalise(priors[b]) for b in subset], axis=0), *p_fractions)
            row |= _group_columns(accuracy, groups, P_GROUPS)
            dxp[name] = cross_table(accuracy, d_group, groups, D_GROUPS, P_GROUPS)
        if true_counts is not None:
            groups = p_groups(np.mean([_normalise(true_counts[b]) for b in subset], axis=0), *p_fractions)
            row |= _group_columns(accuracy, groups, P_GROUPS, suffix="_true")
        row["ece"] = expected_calibration_error(binned)
        rows.append(row)
        per_class_columns[name] = 100.0 * accuracy
    per_class = classes[["label", "class_name", "train_count", "d_group"]].assign(**per_class_columns)
    return pd.DataFrame(rows), per_class, dxp
