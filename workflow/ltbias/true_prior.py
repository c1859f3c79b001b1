"""The true pre-training label prior of a backbone whose pre-training data are known: the
toy world's `pretrain_counts.csv`, which the true-prior columns and claims rest on.

Read apart from `ltbias.prior`, the paper path's estimator, which knows nothing of it.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .prior import read_per_class

__all__ = ["load_pretrain_counts"]


def load_pretrain_counts(path: str | os.PathLike, classes: pd.DataFrame) -> np.ndarray:
    """The `count` column of `path`, checked against the dataset's `classes` and for being
    positive integers (`prior.read_per_class`): a reordered or damaged file would otherwise
    give the true-prior columns other classes' P-groups, or none."""
    return read_per_class(path, classes, "count", lambda v: (v >= 1) & (v == np.round(v)), "a positive integer")
