"""Stratified bootstrap of class-mean accuracies: intervals and paired differences.

Test images are resampled with replacement within each class, so every class keeps its
size and a class-mean accuracy stays defined in every resample. A group accuracy is linear
in the images' correctness: acc_G = sum_i w_i * correct_i * g_i with w_i the times image i
was drawn and g_i = 1 / (|G| n_c(i)) for the images of the group's classes. So each resample
is one weight vector and all metrics of all rows come from one matrix product with the
(N, K) matrix of weighted correctness; the rows' logits are never touched again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

__all__ = ["group_weights", "interval", "one_sided_p", "paired", "resample"]


def group_weights(labels: np.ndarray, class_groups: np.ndarray, group: str | None = None) -> np.ndarray:
    """(N,) weights g_i that turn per-image correctness into the class-mean accuracy (percent)
    of the classes in `group` (`class_groups[c] == group`), or of all classes with None.

    Classes without test images are left out, as `metrics.group_accuracy` leaves them out.
    """
    labels = np.asarray(labels)
    counts = np.bincount(labels, minlength=len(class_groups)).astype(np.float64)
    member = counts > 0
    if group is not None:
        member &= np.asarray(class_groups) == group
    if not member.any():
        return np.full(len(labels), np.nan)
    per_class = np.where(member, 100.0 / (member.sum() * np.maximum(counts, 1)), 0.0)
    return per_class[labels]


def _draws(labels: np.ndarray, n_resamples: int, seed: int, chunk: int) -> Iterator[np.ndarray]:
    """(b, N) float32 counts of how often each image is drawn, `chunk` resamples at a time."""
    rng = np.random.default_rng(seed)
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    start, size = starts[labels[order]], counts[labels[order]]  # per sorted position
    n = len(labels)
    for first in range(0, n_resamples, chunk):
        b = min(chunk, n_resamples - first)
        picks = start + (rng.random((b, n)) * size).astype(np.int64)  # within the same class
        flat = (order[picks] + n * np.arange(b)[:, None]).ravel()
        yield np.bincount(flat, minlength=b * n).reshape(b, n).astype(np.float32)


def resample(
    columns: np.ndarray, labels: np.ndarray, n_resamples: int = 1000, seed: int = 0, chunk: int = 64
) -> np.ndarray:
    """(n_resamples, K) bootstrap distribution of K metrics.

    Args:
        columns: (N, K) per-image contributions, e.g. `correct[:, r] * group_weights(...)`;
            column k summed over the test set is metric k.
        labels: (N,) class of each image: the strata.
    """
    columns = np.asarray(columns, dtype=np.float32)
    if not np.isfinite(columns).all():  # a group without classes contributes nothing
        columns = np.nan_to_num(columns)
    labels = np.asarray(labels)
    return np.concatenate([draws @ columns for draws in _draws(labels, n_resamples, seed, chunk)])


def interval(distribution: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each column of a bootstrap distribution (B, K)."""
    tail = 100 * (1 - level) / 2
    return np.percentile(distribution, tail, axis=0), np.percentile(distribution, 100 - tail, axis=0)


def one_sided_p(differences: np.ndarray) -> np.ndarray:
    """Bootstrap p-value of "no gain" for each column of differences (B, K): the share of
    resamples whose difference is <= 0, with the +1 correction so it is never 0."""
    differences = np.asarray(differences)
    return (1 + (differences <= 0).sum(axis=0)) / (1 + len(differences))


def paired(distribution: np.ndarray, rows: Sequence[int], references: Sequence[int]) -> np.ndarray:
    """(B, len(rows)) differences row - reference on the same resamples."""
    return distribution[:, list(rows)] - distribution[:, list(references)]
