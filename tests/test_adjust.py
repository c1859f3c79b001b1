import numpy as np
import pytest

from ltbias import adjust


def _members(rng, n=600, c=5):
    labels = rng.integers(0, c, n)
    good = 3.0 * np.eye(c)[labels] + rng.normal(size=(n, c))
    noise = rng.normal(size=(n, c)) * 3.0  # carries no information
    return labels, good, noise


def test_fitted_weights_are_convex_and_prefer_the_informative_member():
    labels, good, noise = _members(np.random.default_rng(0))
    w = adjust.fit_weights([good, noise], labels)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
    assert w[0] > 0.8
    same = adjust.fit_weights([good, good.copy()], labels)
    assert same == pytest.approx([0.5, 0.5], abs=1e-3)  # symmetric members: uniform P(c)


def test_debias_lambda_recovers_a_known_prior_offset():
    rng = np.random.default_rng(1)
    labels, good, _ = _members(rng, n=3000)
    prior = np.array([0.5, 0.2, 0.15, 0.1, 0.05])
    biased = good + 1.0 * np.log(prior)  # a member that learned the prior with lambda = 1
    lam = adjust.fit_debias_lambda(biased, labels, np.log(prior))  # labels are balanced
    assert lam == pytest.approx(1.0, abs=0.15)
    assert adjust.fit_debias_lambda(good, labels, np.log(prior)) < 0.15  # nothing to remove
