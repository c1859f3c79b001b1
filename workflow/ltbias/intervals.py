"""95 % bootstrap intervals of every accuracy in the metrics, and paired comparisons.

Every row of an `ensemble.Evaluation` and every comparison is resampled on the same
stratified bootstrap draws of the test images (`bootstrap.py`), so a comparison's
interval is that of the difference itself, not of two independent intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import bootstrap
from .ensemble import METRIC_GROUPS, Evaluation
from .variants import UNIFORM

__all__ = ["COMPARED", "COMPARISON_COLUMNS", "column_weights", "measure_rows", "with_intervals"]

COMPARED = ("best single", "LIFT")  # what every multi-member row is compared with
COMPARISON_COLUMNS = [
    "subset", "variant", "reference", "reference_subset", "metric", "difference", "lo", "hi", "p_value"
]  # fmt: skip


def _references(metrics: pd.DataFrame, lift: str) -> list[tuple[int, str, int]]:
    """(row, reference kind, reference row) for every row with two or more members: its best
    single member by point estimate of `all`, and the LIFT backbone alone."""
    uniform_singles = metrics[(metrics["size"] == 1) & (metrics["variant"] == UNIFORM)]
    single_row = dict(zip(uniform_singles["subset"], uniform_singles.index, strict=True))
    pairs = []
    for row, entry in metrics[metrics["size"] >= 2].iterrows():
        best = max(entry["subset"].split("+"), key=lambda b: metrics.at[single_row[b], "all"])
        pairs += [(row, COMPARED[0], single_row[best]), (row, COMPARED[1], single_row[lift])]
    return pairs


def _class_weights(evaluation: Evaluation, labels: np.ndarray, columns: list[str]) -> np.ndarray:
    """(R, C, K) weight of each class in each metrics row's accuracy column."""
    n_classes = len(evaluation.groupings[0]["d"])
    sizes = np.bincount(labels, minlength=n_classes)
    weights = np.empty((len(evaluation.groupings), n_classes, len(columns)))
    for row, grouping in enumerate(evaluation.groupings):
        for k, column in enumerate(columns):
            kind, group = METRIC_GROUPS[column]
            weights[row, :, k] = bootstrap.class_weights(sizes, grouping[kind or "d"], group)
    return weights


def _comparison(difference: float, lo: float, hi: float, p_value: float, undefined: bool) -> dict:
    if undefined:
        return dict.fromkeys(("difference", "lo", "hi", "p_value"), np.nan)
    return {"difference": difference, "lo": lo, "hi": hi, "p_value": p_value}


def with_intervals(
    evaluation: Evaluation, labels: np.ndarray, lift: str, n_resamples: int = 1000, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The metrics with `<column>_lo` and `<column>_hi` (95 % percentile interval) beside
    every accuracy column, and the comparisons table.

    Comparisons: each row of two or more members against its best single member and against
    `lift` alone, on the row's own groups (the same classes on both sides), for every
    accuracy column: `subset, variant, reference, reference_subset, metric, difference, lo,
    hi, p_value` (one-sided bootstrap p of "no gain").
    """
    metrics = evaluation.metrics.reset_index(drop=True)
    labels = np.asarray(labels)
    columns = [c for c in METRIC_GROUPS if c in metrics]
    n_classes = len(evaluation.groupings[0]["d"])
    weights = _class_weights(evaluation, labels, columns)
    pairs = _references(metrics, lift)
    rows, references = [p[0] for p in pairs], [p[2] for p in pairs]
    distribution, differences = bootstrap.resample(
        evaluation.correct, labels, weights, n_resamples, seed, pairs=(rows, references)
    )
    low, high = bootstrap.interval(distribution)  # (R, K)
    empty = np.isnan(metrics[columns].to_numpy(dtype=float))
    low[empty] = high[empty] = np.nan
    bounds = {}
    for k, column in enumerate(columns):
        bounds |= {f"{column}_lo": low[:, k], f"{column}_hi": high[:, k]}
    counts = np.stack([np.bincount(labels, weights=c, minlength=n_classes) for c in evaluation.correct.T])  # (R, C)
    weighted = np.nan_to_num(weights[rows])
    point = np.einsum("pc,pck->pk", counts[rows] - counts[references], weighted)
    diff_low, diff_high = bootstrap.interval(differences)
    p_values = bootstrap.one_sided_p(differences)
    undefined = empty[rows]  # the row's group has no classes
    records = [
        {
            "subset": metrics.at[row, "subset"],
            "variant": metrics.at[row, "variant"],
            "reference": kind,
            "reference_subset": metrics.at[reference, "subset"],
            "metric": column,
        }
        | _comparison(point[p, k], diff_low[p, k], diff_high[p, k], p_values[p, k], undefined[p, k])
        for p, (row, kind, reference) in enumerate(pairs)
        for k, column in enumerate(columns)
    ]
    ordered = ["subset", "variant", "size"] + [
        name for column in columns for name in (column, f"{column}_lo", f"{column}_hi")
    ]
    intervals = metrics.assign(**bounds)
    intervals = intervals[ordered + [c for c in intervals if c not in ordered]]
    return intervals, pd.DataFrame(records, columns=COMPARISON_COLUMNS)  # headers even with one backbone


def column_weights(groupings: dict[str, np.ndarray], sizes: np.ndarray) -> dict[str, np.ndarray]:
    """`all` and every group accuracy column that `groupings` (`d`, `p` -> (C,) group of each
    class) define, in `METRIC_GROUPS` order -> its (C,) per-class weights
    (`bootstrap.class_weights`; `sizes` are the test images per class)."""
    return {
        column: bootstrap.class_weights(sizes, groupings.get(kind or "d"), group)
        for column, (kind, group) in METRIC_GROUPS.items()
        if kind is None or kind in groupings
    }


def measure_rows(
    correct: np.ndarray,
    labels: np.ndarray,
    weights: dict[str, np.ndarray],
    n_resamples: int = 1000,
    seed: int = 0,
    pairs: tuple[list[int], list[int]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracies with 95 % intervals of rows that share their class weights.

    `correct` is (N, R): each row's correctness per test image, or a mean of several in
    [0, 1]; `weights` maps each column to its (C,) class weights (`column_weights`, or any
    linear combination of them, such as a gap). Returns one row per column of `correct`
    with `<column>`, `<column>_lo`, `<column>_hi`, and for `pairs` (rows, references) the
    differences: `pair`, `metric`, `difference`, `lo`, `hi`, `p_value` (one-sided bootstrap
    p of "no gain"). A column whose classes have no test image is NaN throughout.
    """
    labels = np.asarray(labels)
    correct = np.asarray(correct, dtype=np.float64)
    columns = list(weights)
    matrix = np.stack([weights[c] for c in columns], axis=1)  # (C, K)
    batched = np.broadcast_to(matrix, (correct.shape[1], *matrix.shape))
    distribution, differences = bootstrap.resample(correct, labels, batched, n_resamples, seed, pairs=pairs)
    counts = np.stack([np.bincount(labels, weights=c, minlength=len(matrix)) for c in correct.T])  # (R, C)
    point = counts @ np.nan_to_num(matrix)
    low, high = bootstrap.interval(distribution)
    empty = np.isnan(matrix).all(axis=0)
    table = {}
    for k, column in enumerate(columns):
        for suffix, values in (("", point[:, k]), ("_lo", low[:, k]), ("_hi", high[:, k])):
            table[column + suffix] = np.where(empty[k], np.nan, values)
    records = []
    if pairs is not None:
        gain = point[list(pairs[0])] - point[list(pairs[1])]
        diff_low, diff_high = bootstrap.interval(differences)
        p_values = bootstrap.one_sided_p(differences)
        for i in range(len(pairs[0])):
            for k, column in enumerate(columns):
                values = (gain[i, k], diff_low[i, k], diff_high[i, k], p_values[i, k])
                records.append({"pair": i, "metric": column} | _comparison(*values, empty[k]))
    comparisons = pd.DataFrame(records, columns=["pair", "metric", "difference", "lo", "hi", "p_value"])
    return pd.DataFrame(table), comparisons
