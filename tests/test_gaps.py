"""Group gaps (Fig. 3): point values against a hand computation, intervals that cover them."""

import numpy as np
import pytest

from ltbias import gaps


def test_gaps_are_many_minus_few_class_mean_accuracies():
    labels = np.repeat(np.arange(4), [2, 2, 4, 2])
    d = np.array(["D-Many", "D-Many", "D-Few", "D-Few"], dtype=object)
    p = np.array(["P-Many", "P-Few", "P-Many", "P-Few"], dtype=object)
    correct = np.zeros((10, 2), dtype=bool)
    correct[[0, 1, 2, 4, 5, 8], 0] = True  # per-class accuracy 100, 50, 50, 50
    correct[:, 1] = True
    rows = gaps.group_gaps(correct, labels, {"d": d, "p": p}, n_resamples=200, seed=0)
    first = rows.iloc[0]
    assert first["d_many"] == pytest.approx(75.0) and first["d_few"] == pytest.approx(50.0)
    assert first["d_gap"] == pytest.approx(25.0)
    assert first["p_gap"] == pytest.approx((100 + 50) / 2 - (50 + 50) / 2)
    assert first["d_gap_lo"] <= first["d_gap"] <= first["d_gap_hi"] and first["d_gap_lo"] < first["d_gap_hi"]
    assert rows.iloc[1]["d_gap"] == rows.iloc[1]["d_gap_lo"] == rows.iloc[1]["d_gap_hi"] == 0  # always right
    assert np.isnan(first["d_medium"]) and np.isnan(first["d_medium_lo"])  # no D-Medium class


def test_the_same_seed_draws_the_same_resamples_for_every_row():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(6), 5)
    groups = np.array(["D-Many", "D-Medium", "D-Few"] * 2, dtype=object)
    correct = rng.random((30, 1)) < 0.6
    both = gaps.group_gaps(np.hstack([correct, correct]), labels, {"d": groups}, n_resamples=100, seed=3)
    alone = gaps.group_gaps(correct, labels, {"d": groups}, n_resamples=100, seed=3)
    assert both.iloc[1].equals(alone.iloc[0]) and "p_gap" not in both
