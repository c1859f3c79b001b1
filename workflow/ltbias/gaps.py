"""Group accuracies and the gaps between them (Many minus Few), with bootstrap intervals.

The paper's Fig. 3 asks one question of each fine-tuning recipe: does it close the data gap
(D-Many minus D-Few) and does it close the parameter gap (P-Many minus P-Few)? A gap is
linear in the per-class correct counts, as a group accuracy is (`bootstrap.py`), so its
interval comes from the same stratified resamples: the interval of the difference itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .intervals import column_weights, measure_rows

__all__ = ["GAPS", "group_gaps"]

GAPS = {"d_gap": ("d_many", "d_few"), "p_gap": ("p_many", "p_few")}  # gap -> (minuend, subtrahend)


def group_gaps(
    correct: np.ndarray, labels: np.ndarray, groupings: dict[str, np.ndarray], n_resamples: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """One row per column of `correct` (N, R): `all`, the accuracy of every group of
    `groupings` (`d`, `p` -> (C,) group of each class) and the `GAPS`, each with `_lo` and
    `_hi` (95 % percentile interval); percent."""
    labels = np.asarray(labels)
    sizes = np.bincount(labels, minlength=len(next(iter(groupings.values()))))
    weights = column_weights(groupings, sizes)
    weights |= {gap: weights[many] - weights[few] for gap, (many, few) in GAPS.items() if many in weights}
    return measure_rows(correct, labels, weights, n_resamples, seed)[0]
