"""Group accuracies and the gaps between them (Many minus Few), with bootstrap intervals.

The paper's Fig. 3 asks one question of each fine-tuning recipe: does it close the data gap
(D-Many minus D-Few) and does it close the parameter gap (P-Many minus P-Few)? A gap is
linear in the per-class correct counts, as a group accuracy is (`bootstrap.py`), so its
interval comes from the same stratified resamples: the interval of the difference itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import bootstrap
from .ensemble import METRIC_GROUPS

__all__ = ["GAPS", "group_gaps"]

GAPS = {"d_gap": ("d_many", "d_few"), "p_gap": ("p_many", "p_few")}  # gap -> (minuend, subtrahend)


def group_gaps(
    correct: np.ndarray, labels: np.ndarray, groupings: dict[str, np.ndarray], n_resamples: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """One row per column of `correct` (N, R): `all`, the accuracy of every group of
    `groupings` (`d`, `p` -> (C,) group of each class) and the `GAPS`, each with `_lo` and
    `_hi` (95 % percentile interval); percent."""
    labels = np.asarray(labels)
    n_classes = len(next(iter(groupings.values())))
    sizes = np.bincount(labels, minlength=n_classes)
    columns = {
        name: bootstrap.class_weights(sizes, groupings.get(kind or "d"), group)
        for name, (kind, group) in METRIC_GROUPS.items()
        if kind is None or kind in groupings
    }
    columns |= {gap: columns[many] - columns[few] for gap, (many, few) in GAPS.items() if many in columns}
    weights = np.stack(list(columns.values()), axis=1)  # (C, K)
    correct = np.asarray(correct, dtype=bool)
    counts = np.stack([np.bincount(labels, weights=c, minlength=n_classes) for c in correct.T])  # (R, C)
    point = counts @ np.nan_to_num(weights)
    batched = np.broadcast_to(weights, (correct.shape[1], *weights.shape))
    distribution, _ = bootstrap.resample(correct, labels, batched, n_resamples, seed)
    low, high = bootstrap.interval(distribution)
    empty = np.isnan(weights).all(axis=0)  # a group without classes
    frame = {}
    for k, name in enumerate(columns):
        frame[name] = np.where(empty[k], np.nan, point[:, k])
        frame[f"{name}_lo"] = np.where(empty[k], np.nan, low[:, k])
        frame[f"{name}_hi"] = np.where(empty[k], np.nan, high[:, k])
    return pd.DataFrame(frame)
