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


def test_bootstrap_matches_the_binomial_closed_form():
    n = 400
    labels, correct = _two_classes(n)
    groups = np.array(["A", "B"])
    columns = np.stack([correct * bootstrap.group_weights(labels, groups, g) for g in ("A", "B")], axis=1)
    dist = bootstrap.resample(columns, labels, n_resamples=4000, seed=0)
    # within a class, the resampled accuracy is Binomial(n, p) / n
    assert dist[:, 0].min() == dist[:, 0].max() == pytest.approx(100.0)  # all correct: no spread
    assert dist[:, 1].mean() == pytest.approx(50.0, abs=0.1)
    assert dist[:, 1].std() == pytest.approx(100 * np.sqrt(0.25 / n), rel=0.05)
    low, high = bootstrap.interval(dist[:, 1:])
    half_width = 1.96 * 100 * np.sqrt(0.25 / n)
    assert low[0] == pytest.approx(50 - half_width, abs=0.6) and high[0] == pytest.approx(50 + half_width, abs=0.6)


def test_class_sizes_are_kept_in_every_resample():
    labels = np.array([0, 0, 0, 1, 2, 2])
    draws = next(bootstrap._draws(labels, 20, seed=1, chunk=20))
    for c in (0, 1, 2):
        assert (draws[:, labels == c].sum(axis=1) == (labels == c).sum()).all()


def test_the_same_seed_gives_the_same_intervals():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 500)
    columns = rng.random((500, 3))
    first = bootstrap.resample(columns, labels, 200, seed=5, chunk=64)
    np.testing.assert_array_equal(first, bootstrap.resample(columns, labels, 200, seed=5, chunk=64))
    assert not np.array_equal(first, bootstrap.resample(columns, labels, 200, seed=6, chunk=64))


def test_paired_differences_and_p_values():
    labels, correct = _two_classes(200)
    better = np.ones_like(correct)
    weights = bootstrap.group_weights(labels, np.array(["A", "B"]))
    dist = bootstrap.resample(np.stack([correct * weights, better * weights], axis=1), labels, 500, seed=0)
    differences = bootstrap.paired(dist, [1], [0])
    assert (differences > 0).all()
    assert bootstrap.one_sided_p(differences)[0] == pytest.approx(1 / 501)
    assert bootstrap.one_sided_p(-differences)[0] == 1.0
