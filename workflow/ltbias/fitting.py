"""What the variants beyond uniform P(c) fit (`variants.Variant.fit`: each member's
debiasing lambda, each subset's convex weights), on val, or cross-fitted on test.

A val split drawn from the train split (iNaturalist 2018, or any `lists` dataset without a
val list) holds images the models were trained on; fitting on it would favour whatever
fits the training images. Then the test split is cut into two halves, stratified by class,
and each half is scored with what was fitted on the other: no image is scored by values
fitted on it, and no fitted value saw a training image.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import variants

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
    """What every variant that fits something fits (`variants.Variant.fit`), by its
    `fitted` key, from `logits` (each backbone's, on the images of `labels`); a given
    `debias_lambda` is not fitted."""
    seen = variants.Fit(backbones, logits, labels, priors, debias_lambda)
    return {v.fitted: v.fit(seen) for v in variants.VARIANTS.values() if v.fit is not None}


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
    fitted on the other fold (a scalar per member becomes (N,), a vector (N, M))."""
    return {
        key: {name: np.array([f[key][name] for f in fitted])[fold] for name in values}
        for key, values in fitted[0].items()
    }
