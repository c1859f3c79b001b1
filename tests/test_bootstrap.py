import numpy as np
import pytest

from ltbias import bootstrap


def _two_classes(n=400):
    """Class 0 all correct, class 1 half correct: per-class accuracy 1 and 0.5, all = 75 %."""
    labels = np.repeat([0, 1], n)
    correct = np.concatenate([np.ones(n), np.tile([1.0, 0.0], n // 2)])
    return labels, correct


def test_point_estimate_is_the_class_mean_accuracy():
    labels, correct = _two_classes()
    weights = bootstrap.group_weights(labels, np.array(["A", "B"]))
    assert correct @ weights == pytest.approx(75.0)
    assert correct @ bootstrap.group_weights(labels, np.array(["A", "B"]), "B") == pytest.approx(50.0)
    assert np.isnan(bootstrap.group_weights(labels, np.array(["A", "B"]), "C")).all()


def _weights(labels, groups, names, rows=1):
    """(rows, C, K) per-class weights of the named groups (None: all classes)."""
    sizes = np.bincount(labels, minlength=len(groups))
    per_row = np.stack([bootstrap.class_weights(sizes, groups, g) for g in names], axis=1)
    return np.repeat(per_row[None], rows, axis=0)


def test_bootstrap_matches_the_binomial_closed_form():
    n = 400
    labels, correct = _two_classes(n)
    weights = _weights(labels, np.array(["A", "B"]), ["A", "B"])
    dist, _ = bootstrap.resample(correct[:, None], labels, weights, n_resamples=4000, seed=0)
    assert dist.shape == (4000, 1, 2)
    # within a class, the resampled accuracy is Binomial(n, p) / n
    assert dist[:, 0, 0].min() == dist[:, 0, 0].max() == pytest.approx(100.0)  # all correct: no spread
    assert dist[:, 0, 1].mean() == pytest.approx(50.0, abs=0.1)
    assert dist[:, 0, 1].std() == pytest.approx(100 * np.sqrt(0.25 / n), rel=0.05)
    low, high = bootstrap.interval(dist[:, 0, 1])
    half_width = 1.96 * 100 * np.sqrt(0.25 / n)
    assert low == pytest.approx(50 - half_width, abs=0.6) and high == pytest.approx(50 + half_width, abs=0.6)


def test_uneven_classes_give_the_per_image_weighted_sums():
    """Classes of different sizes take different paths (one batched product per size); each
    resample must still equal sum_i draws_i * correct_i * weight_i."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 7, 300)
    groups = np.array(list("AABBBCC"))
    correct = rng.random((300, 4)) < 0.6
    weights = _weights(labels, groups, [None, "A", "B", "C"], rows=4)
    dist, _ = bootstrap.resample(correct, labels, weights, n_resamples=50, seed=2, chunk=8)
    draws = np.concatenate(list(bootstrap._draws(labels, 50, 2, 8)))
    per_image = weights[0][labels]  # (N, K), the same for every row here
    expected = np.einsum("bn,nr,nk->brk", draws.astype(np.float64), correct, per_image)
    np.testing.assert_allclose(dist, expected, rtol=1e-12)


def test_class_sizes_are_kept_in_every_resample():
    labels = np.array([0, 0, 0, 1, 2, 2])
    draws = next(bootstrap._draws(labels, 20, seed=1, chunk=20))
    for c in (0, 1, 2):
        assert (draws[:, labels == c].sum(axis=1) == (labels == c).sum()).all()


def test_the_same_seed_gives_the_same_intervals():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 500)
    correct = rng.random((500, 3)) < 0.5
    weights = _weights(labels, np.zeros(10), [None], rows=3)
    first, _ = bootstrap.resample(correct, labels, weights, 200, seed=5)
    np.testing.assert_array_equal(first, bootstrap.resample(correct, labels, weights, 200, seed=5)[0])
    assert not np.array_equal(first, bootstrap.resample(correct, labels, weights, 200, seed=6)[0])


def test_paired_differences_and_p_values():
    labels, correct = _two_classes(200)
    rows = np.stack([correct, np.ones_like(correct)], axis=1)  # the second is always right
    weights = _weights(labels, np.array(["A", "B"]), [None], rows=2)
    _, differences = bootstrap.resample(rows, labels, weights, 500, seed=0, pairs=([1], [0]))
    assert differences.shape == (500, 1, 1) and (differences > 0).all()
    assert bootstrap.one_sided_p(differences)[0, 0] == pytest.approx(1 / 501)
    assert bootstrap.one_sided_p(-differences)[0, 0] == 1.0
    _, same = bootstrap.resample(rows, labels, weights, 500, seed=0, pairs=([0], [0]))
    assert (same == 0).all() and bootstrap.one_sided_p(same)[0, 0] == 1.0  # no gain is exactly zero
