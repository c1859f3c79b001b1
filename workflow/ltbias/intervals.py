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

__all__ = ["COMPARED", "COMPARISON_COLUMNS", "with_intervals"]

COMPARED = ("best single", "LIFT")  # what every multi-member row is compared with
COMPARISON_COLUMNS = [
    "subset", "variant", "reference", "reference_subset", "metric", "difference", "lo", "hi", "p_value"
]  # fmt: skip


def _weights(labels: np.ndarray, grouping: dict[str, np.ndarray], column: str) -> np.ndarray:
    kind, group = METRIC_GROUPS[column]
    if kind is None:
        return bootstrap.group_weights(labels, grouping["d"])
    return bootstrap.group_weights(labels, grouping[kind], group)


def _references(metrics: pd.DataFrame, lift: str) -> list[tuple[int, str, int]]:
    """(row, reference kind, reference row) for every row with two or more members: its best
    single member by point estimate of `all`, and the LIFT backbone alone."""
    uniform_singles = metrics[(metrics["size"] == 1) & (metrics["variant"] == "uniform")]
    single_row = dict(zip(uniform_singles["subset"], uniform_singles.index, strict=True))
    pairs = []
    for row, entry in metrics[metrics["size"] >= 2].iterrows():
        best = max(entry["subset"].split("+"), key=lambda b: metrics.at[single_row[b], "all"])
        pairs += [(row, COMPARED[0], single_row[best]), (row, COMPARED[1], single_row[lift])]
    return pairs


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
    reference_of = {(row, kind): reference for row, kind, reference in _references(metrics, lift)}
    keys = [("metric", row, column) for row in range(len(metrics)) for column in columns]
    keys += [(kind, row, column) for row, kind in reference_of for column in columns]
    contributions = np.zeros((len(labels), len(keys)), dtype=np.float32)  # (N, K), filled column by column
    for k, (kind, row, column) in enumerate(keys):
        correct = evaluation.correct[:, row].astype(np.float32)
        if kind != "metric":
            correct -= evaluation.correct[:, reference_of[(row, kind)]]
        contributions[:, k] = np.nan_to_num(correct * _weights(labels, evaluation.groupings[row], column))
    distribution = bootstrap.resample(contributions, labels, n_resamples, seed)
    low, high = bootstrap.interval(distribution)
    p_values = bootstrap.one_sided_p(distribution)
    point = contributions.sum(axis=0, dtype=np.float64)
    bounds = {f"{c}_{side}": np.full(len(metrics), np.nan) for c in columns for side in ("lo", "hi")}
    records = []
    for k, (kind, row, column) in enumerate(keys):
        if np.isnan(metrics.at[row, column]):
            low[k] = high[k] = np.nan
        if kind == "metric":
            bounds[f"{column}_lo"][row], bounds[f"{column}_hi"][row] = low[k], high[k]
            continue
        reference = reference_of[(row, kind)]
        records.append(
            {
                "subset": metrics.at[row, "subset"],
                "variant": metrics.at[row, "variant"],
                "reference": kind,
                "reference_subset": metrics.at[reference, "subset"],
                "metric": column,
                "difference": point[k] if not np.isnan(low[k]) else np.nan,
                "lo": low[k],
                "hi": high[k],
                "p_value": p_values[k] if not np.isnan(low[k]) else np.nan,
            }
        )
    ordered = ["subset", "variant", "size"] + [
        name for column in columns for name in (column, f"{column}_lo", f"{column}_hi")
    ]
    intervals = metrics.assign(**bounds)
    intervals = intervals[ordered + [c for c in intervals if c not in ordered]]
    return intervals, pd.DataFrame(records, columns=COMPARISON_COLUMNS)  # headers even with one backbone
