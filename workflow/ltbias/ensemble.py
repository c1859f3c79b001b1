"""Backdoor adjustment over the semantic factor c: ensembles of fine-tuned backbones.

P(Y | do(x)) = sum_c P(Y | x, c) P(c) with uniform P(c) = 1/M; as in the reference code the
prediction is the argmax of the plain sum of the members' raw cosine-classifier logits
(method.md §5). Every non-empty subset of the configured backbones is evaluated; each
subset's sum is its parent's sum plus one cached array (a walk over the subset lattice),
so 2^M - 1 subsets cost 2^M - 1 additions and M - 1 buffers.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from . import files
from .metrics import cross_table, expected_calibration_error, group_accuracy, per_class_accuracy
from .prior import P_GROUPS, p_groups
from .splits import D_GROUPS

__all__ = [
    "InconsistentLogitsError",
    "evaluate_ensembles",
    "load_member_logits",
    "subset_logit_sums",
    "subset_name",
    "subsets",
]

logger = logging.getLogger(__name__)


class InconsistentLogitsError(ValueError):
    """Cached logits disagree with the split manifest or with each other."""


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
    m = len(logits)
    buffers = [np.empty(logits[0].shape, dtype=np.float32) for _ in range(m - 1)]

    def visit(members: tuple[int, ...], parent: np.ndarray | None) -> Iterator:
        for j in range(members[-1] + 1 if members else 0, m):
            if parent is None:
                total = np.asarray(logits[j], dtype=np.float32)
            else:
                total = np.add(parent, logits[j], out=buffers[len(members) - 1])
            subset = (*members, j)
            yield subset, total
            yield from visit(subset, total)

    yield from visit((), None)


def load_member_logits(
    paths: dict[str, str | os.PathLike], manifest: pd.DataFrame, n_classes: int, manifest_path: str
) -> list[np.ndarray]:
    """Memory-map each backbone's cached logits and check them against the split manifest.

    Raises `InconsistentLogitsError` naming the logits file and the manifest when rows,
    labels or the class count disagree, and refuses non-finite logits.
    """
    expected = manifest["label"].to_numpy(dtype=np.int64)
    arrays = []
    for backbone, path in paths.items():
        logits, labels = files.load_logits(path)
        where = f"logits of backbone {backbone!r} ({path}) vs split manifest {manifest_path}"
        if logits.shape[0] != len(expected):
            raise InconsistentLogitsError(f"{where}: {logits.shape[0]} rows, manifest has {len(expected)}")
        if logits.shape[1] != n_classes:
            raise InconsistentLogitsError(f"{where}: {logits.shape[1]} classes, the split has {n_classes}")
        if not np.array_equal(labels, expected):
            row = int(np.flatnonzero(labels != expected)[0])
            raise InconsistentLogitsError(
                f"{where}: labels differ, first at row {row} ({labels[row]} vs {expected[row]})"
            )
        if not np.isfinite(logits).all():
            raise InconsistentLogitsError(f"{where}: contains non-finite values")
        arrays.append(logits)
    return arrays


def _normalise(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values / values.sum()


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
    names = [subset_name(s) for s in subsets(backbones)]
    n_classes = len(classes)
    d_group = classes["d_group"].to_numpy()
    rows, per_class_columns, dxp = {}, {}, {}
    for members, total in subset_logit_sums(logits):
        subset = [backbones[i] for i in members]
        name = subset_name(subset)
        accuracy = per_class_accuracy(total.argmax(axis=1), labels, n_classes)
        row = {"subset": name, "size": len(subset), "all": 100.0 * float(np.nanmean(accuracy))}
        row |= {k.lower().replace("-", "_"): v for k, v in group_accuracy(accuracy, d_group, D_GROUPS).items()}
        if priors is not None:
            groups = p_groups(np.mean([_normalise(priors[b]) for b in subset], axis=0), *p_fractions)
            row |= {k.lower().replace("-", "_"): v for k, v in group_accuracy(accuracy, groups, P_GROUPS).items()}
            dxp[name] = cross_table(accuracy, d_group, groups, D_GROUPS, P_GROUPS)
        if true_counts is not None:
            groups = p_groups(np.mean([_normalise(true_counts[b]) for b in subset], axis=0), *p_fractions)
            accs = group_accuracy(accuracy, groups, P_GROUPS)
            row |= {k.lower().replace("-", "_") + "_true": v for k, v in accs.items()}
        row["ece"] = expected_calibration_error(total / len(subset), labels)
        rows[name] = row
        per_class_columns[name] = 100.0 * accuracy
    metrics = pd.DataFrame([rows[n] for n in names])
    per_class = classes[["label", "class_name", "train_count", "d_group"]].assign(
        **{n: per_class_columns[n] for n in names}
    )
    return metrics, per_class, dxp
