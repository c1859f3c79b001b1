"""Stratified bootstrap of class-mean accuracies: intervals and paired differences.

Test images are resampled with replacement within each class, so every class keeps its
size and a class-mean accuracy stays defined in every resample. A group accuracy is linear
in the per-class counts of correct images: acc_G = sum_c k_c * 100 / (|G| n_c) over the
group's classes. So each resample needs, for every evaluated row (a subset and variant),
only its C correct counts, one batched matrix product of the draws with the rows'
correctness, class by class; every accuracy column, and every paired difference, is then a
(C, K) weighting of those counts. The rows' logits are never touched again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

__all__ = ["class_weights", "group_weights", "interval", "one_sided_p", "resample"]


def class_weights(sizes: np.ndarray, class_groups: np.ndarray, group: str | None = None) -> np.ndarray:
    """(C,) weights 100 / (|G| n_c) that turn per-class correct counts into the class-mean
    accuracy (percent) of the classes in `group` (`class_groups[c] == group`), or of all
    classes with None; `sizes` are the test images per class.

    Classes without test images are left out, as `metrics.group_accuracy` leaves them out;
    a group without any is all NaN.
    """
    sizes = np.asarray(sizes, dtype=np.float64)
    member = sizes > 0
    if group is not None:
        member &= np.asarray(class_groups) == group
    if not member.any():
        return np.full(len(sizes), np.nan)
    return np.where(member, 100.0 / (member.sum() * np.maximum(sizes, 1)), 0.0)


def group_weights(labels: np.ndarray, class_groups: np.ndarray, group: str | None = None) -> np.ndarray:
    """(N,) the same weights per image: correctness @ group_weights is the accuracy."""
    labels = np.asarray(labels)
    return class_weights(np.bincount(labels, minlength=len(class_groups)), class_groups, group)[labels]


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


class _ClassSums:
    """Per-class sums of weighted correctness: (b, N) image weights -> (b, R, C).

    Images are gathered class by class, classes of equal size together, so one batched
    matrix product per class size does the work (test sets are usually balanced: one).
    """

    def __init__(self, correct: np.ndarray, labels: np.ndarray, n_classes: int) -> None:
        sizes = np.bincount(labels, minlength=n_classes)
        order = np.argsort(labels, kind="stable")
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        correct = np.asarray(correct, dtype=np.float32)
        self.rows, self.n_classes = correct.shape[1], n_classes
        self.groups = []
        for size in np.unique(sizes[sizes > 0]):
            classes = np.flatnonzero(sizes == size)
            images = order[starts[classes][:, None] + np.arange(size)]  # (C_n, n)
            self.groups.append((classes, images, correct[images]))  # (C_n, n, R)

    def __call__(self, image_weights: np.ndarray) -> np.ndarray:
        out = np.zeros((len(image_weights), self.rows, self.n_classes), dtype=np.float32)
        for classes, images, correct in self.groups:
            sums = np.matmul(image_weights[:, images].transpose(1, 0, 2), correct)  # (C_n, b, R)
            out[:, :, classes] = sums.transpose(1, 2, 0)
        return out


def resample(
    correct: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    n_resamples: int = 1000,
    seed: int = 0,
    pairs: tuple[Sequence[int], Sequence[int]] | None = None,
    chunk: int = 16,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Bootstrap distributions of K metrics of each of R rows, and of paired differences.

    Args:
        correct: (N, R) correctness of every test image under every row.
        labels: (N,) class of each image: the strata.
        weights: (R, C, K) per-class weights of each row's metrics (`class_weights`;
            NaN columns count as zero).
        pairs: `(rows, references)`, P each: the differences row - reference, both
            weighted by the row's own weights (the same classes on both sides).

    Returns:
        (n_resamples, R, K) metrics and (n_resamples, P, K) differences (None without pairs).
        Counts are exact integers; the weighting is in float64.
    """
    labels = np.asarray(labels)
    weights = np.nan_to_num(np.asarray(weights, dtype=np.float64))
    class_sums = _ClassSums(correct, labels, weights.shape[1])
    rows, references = (np.asarray(p, dtype=np.int64) for p in (pairs or ([], [])))
    values, differences = [], []
    for draws in _draws(labels, n_resamples, seed, chunk):
        counts = class_sums(draws).astype(np.float64).transpose(1, 0, 2)  # (R, b, C)
        metrics = np.matmul(counts, weights)  # (R, b, K)
        values.append(metrics)
        if pairs is not None:
            differences.append(metrics[rows] - np.matmul(counts[references], weights[rows]))
    distribution = np.concatenate(values, axis=1).transpose(1, 0, 2)
    if pairs is None:
        return distribution, None
    return distribution, np.concatenate(differences, axis=1).transpose(1, 0, 2)


def interval(distribution: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each column of a bootstrap distribution (B, ...)."""
    tail = 100 * (1 - level) / 2
    return np.percentile(distribution, tail, axis=0), np.percentile(distribution, 100 - tail, axis=0)


def one_sided_p(differences: np.ndarray) -> np.ndarray:
    """Bootstrap p-value of "no gain" for each column of differences (B, ...): the share of
    resamples whose difference is <= 0, with the +1 correction so it is never 0."""
    differences = np.asarray(differences)
    return (1 + (differences <= 0).sum(axis=0)) / (1 + len(differences))
