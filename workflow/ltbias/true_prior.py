"""The true pre-training label prior of a backbone whose pre-training data are known: the
toy world's `pretrain_counts.csv`, which the true-prior columns and claims rest on.

Read apart from `ltbias.prior`, the paper path's estimator, which knows nothing of it.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .prior import InconsistentPriorError

__all__ = ["load_pretrain_counts"]


def load_pretrain_counts(path: str | os.PathLike, classes: pd.DataFrame) -> np.ndarray:
    """The `count` column of `path` (label, class_name, count), checked against the
    dataset's `classes` (same labels and class names in the same order) and for being
    positive integers: a reordered or damaged file would otherwise give the true-prior
    columns other classes' P-groups, or none."""
    table = pd.read_csv(path)
    if not {"label", "class_name", "count"} <= set(table):
        raise InconsistentPriorError(f"{path}: expected columns label, class_name, count; got {table.columns.tolist()}")
    if len(table) != len(classes):
        raise InconsistentPriorError(f"{path}: {len(table)} rows for the dataset's {len(classes)} classes")
    moved = table["label"].to_numpy() != classes["label"].to_numpy()
    if moved.any():
        row = int(moved.argmax())
        raise InconsistentPriorError(
            f"{path}:{row + 2}: label {table['label'].iloc[row]} where the dataset has label "
            f"{classes['label'].iloc[row]}: the rows must follow the dataset's classes"
        )
    named = table["class_name"].astype(str).to_numpy() != classes["class_name"].astype(str).to_numpy()
    if named.any():
        row = int(named.argmax())
        raise InconsistentPriorError(
            f"{path}:{row + 2}: label {table['label'].iloc[row]} is {table['class_name'].iloc[row]!r}, "
            f"the dataset's is {classes['class_name'].iloc[row]!r}"
        )
    numeric = pd.to_numeric(table["count"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(numeric) & (numeric >= 1) & (numeric == np.round(numeric)))
    if bad.any():
        row = int(bad.argmax())
        raise InconsistentPriorError(
            f"{path}:{row + 2}: the count of label {table['label'].iloc[row]} is "
            f"{table['count'].astype(str).iloc[row]}, not a positive integer"
        )
    return numeric
