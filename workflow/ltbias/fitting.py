"""What the variants beyond uniform P(c) fit: each member's debiasing lambda and each
subset's convex weights (`adjust.py`), on val, or cross-fitted on test.

A val split drawn from the train split (iNaturalist 2018, or any `lists` dataset without a
val list) holds images the models were trained on; fitting on it would favour whatever
fits the training images. Then the test split is cut into two halves, stratified by class,
and each half is scored with what was fitted on the other: no image is scored by values
fitted on it, and no fitted value saw a training image.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import adjust
from .subsets import subset_name, subsets

__all__ = ["CROSS_FIT", "VAL", "fit", "folds", "per_image"]

VAL = "val"
CROSS_FIT = "test, 2-fold"  # `fitted_on` of cross-fitted values


def fit(
    backbones: Sequence[str],
    logits: dict[str, np.ndarray],
    labels: np.ndarray,
    priors: dict[str, np.ndarray],
    debias_lambda: float | None = None,
) -> dict:
    """`{"debias_lambda": {backbone: lambda}, "weights": {subset: [w, ...]}}` from `logits`
    (each backbone's, on the images of `labels`); a given `debias_lambda` is not fitted."""
    lambdas = {
        b: adjust.fit_debias_lambda(logits[b], labels, np.log(priors[b])) if debias_lambda is None else debias_lambda
        for b in backbones
    }
    weights = {
        subset_name(s): adjust.fit_weights([logits[b] for b in s], labels).tolist()
        for s in subsets(backbones)
        if len(s) >= 2
    }
    return {"debias_lambda": lambdas, "weights": weights}


def folds(labels: np.ndarray, seed: int) -> np.ndarray:
    """(N,) fold 0 or 1 of each image: each class's images shuffled (seeded) and dealt
    alternately, so both folds hold every class and differ in size by at most one per class."""
    labels = np.asarray(labels)
    fold = np.empty(len(labels), dtype=np.int64)
    rng = np.random.default_rng(seed)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        fold[members] = np.arange(len(members)) % 2
    return fold


def per_image(fitted: Sequence[dict], fold: np.ndarray) -> dict:
    """Cross-fitted values per test image: image i takes `fitted[fold[i]]`, the values
    fitted on the other fold (lambdas (N,), weights (N, M))."""
    first = fitted[0]
    return {
        "debias_lambda": {b: np.array([f["debias_lambda"][b] for f in fitted])[fold] for b in first["debias_lambda"]},
        "weights": {s: np.array([f["weights"][s] for f in fitted])[fold] for s in first["weights"]},
    }
