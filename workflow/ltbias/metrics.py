"""Accuracy per class and per group, the D x P cross table, and calibration error.

Group accuracy is the unweighted mean of the per-class accuracies of the classes in the
group; `all` is the mean over every class (method.md §6). Test sets are class-balanced,
so `all` equals top-1 accuracy there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "calibration_bins",
    "cross_table",
    "expected_calibration_error",
    "group_accuracy",
    "knn_scores",
    "per_class_accuracy",
    "softmax_confidence",
]


def per_class_accuracy(correct: np.ndarray, total: np.ndarray) -> np.ndarray:
    """(C,) correct / total per class (counts may be accumulated over blocks); NaN where a
    class has no test sample."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.asarray(correct, dtype=float) / total, np.nan)


def group_accuracy(per_class: np.ndarray, groups: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    """Percent accuracy of each named group (NaN for an empty group)."""
    out = {}
    for name in names:
        values = per_class[(groups == name) & ~np.isnan(per_class)]
        out[name] = 100.0 * float(values.mean()) if len(values) else float("nan")
    return out


def cross_table(
    per_class: np.ndarray, rows: np.ndarray, cols: np.ndarray, row_names: Sequence[str], col_names: Sequence[str]
) -> pd.DataFrame:
    """Accuracy and class count for every (row group, column group) cell, long format.

    Columns: `d_group`, `p_group`, `classes`, `accuracy` (percent, NaN for empty cells).
    """
    records = []
    for r in row_names:
        for c in col_names:
            cell = per_class[(rows == r) & (cols == c)]
            cell = cell[~np.isnan(cell)]
            records.append(
                {
                    "d_group": r,
                    "p_group": c,
                    "classes": len(cell),
                    "accuracy": 100.0 * cell.mean() if len(cell) else np.nan,
                }
            )
    return pd.DataFrame(records)


def softmax_confidence(
    logits: np.ndarray, scale: float = 1.0, maximum: np.ndarray | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """max_j softmax(scale * logits)_j per row, (N,), with one (N, C) temporary (`out`, if
    given). `maximum`, each row's largest logit if the caller has it, saves a pass: scaling
    by a positive number keeps the order, so the largest scaled logit is the scaled largest."""
    scale = np.float32(scale)
    z = np.empty(logits.shape, dtype=np.float32) if out is None else out[: len(logits)]
    if scale == 1:
        if maximum is None:
            maximum = logits.max(axis=1)
        np.subtract(logits, maximum[:, None], out=z)
    else:
        np.multiply(logits, scale, out=z, dtype=np.float32)
        z -= (z.max(axis=1) if maximum is None else scale * maximum)[:, None]
    np.exp(z, out=z)
    return 1.0 / z.sum(axis=1, dtype=np.float64)


def calibration_bins(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> np.ndarray:
    """(3, bins): samples, summed confidence and summed correctness per equal-width bin.

    Bins of several blocks of samples add up; `expected_calibration_error` reads the sum.
    """
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return np.stack(
        [
            np.bincount(which, minlength=bins),
            np.bincount(which, weights=confidence, minlength=bins),
            np.bincount(which, weights=correct, minlength=bins),
        ]
    ).astype(np.float64)


def expected_calibration_error(binned: np.ndarray) -> float:
    """ECE (percent): sum over bins of |confidence - accuracy| weighted by the bin's share."""
    return 100.0 * float(np.abs(binned[1] - binned[2]).sum() / max(1.0, binned[0].sum()))


def knn_scores(
    memory: np.ndarray,
    memory_labels: np.ndarray,
    queries: np.ndarray,
    n_classes: int,
    k: int = 200,
    temperature: float = 0.1,
    block: int = 1024,
) -> np.ndarray:
    """Weighted kNN votes (N, C) of unit-norm `queries` (N, D) against `memory` (M, D).

    Each of the k most cosine-similar memory items votes exp(cos / temperature) for its
    label (method.md §6: k = 200, temperature 0.1, val as memory); argmax is the prediction.
    """
    k = min(k, len(memory))
    scores = np.zeros((len(queries), n_classes), dtype=np.float32)
    for start in range(0, len(queries), block):
        similarity = queries[start : start + block] @ memory.T  # (b, M)
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        weights = np.exp(np.take_along_axis(similarity, nearest, axis=1) / temperature)
        rows = np.arange(len(nearest))[:, None]
        np.add.at(scores[start : start + block], (rows, memory_labels[nearest]), weights)
    return scores
