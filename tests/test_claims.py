"""The paper's claims: each quantity against a hand computation on small predictions, the
verdicts, and the intervals over the same resamples."""

import numpy as np
import pytest

from ltbias import claims

# 6 classes, 4 test images each; class accuracies (of 4 images) are set per row below
LABELS = np.repeat(np.arange(6), 4)
D_GROUPS = np.array(["D-Many", "D-Few", "D-Many", "D-Medium", "D-Medium", "D-Few"])
PRIOR_A = np.array([0.30, 0.25, 0.20, 0.12, 0.08, 0.05])  # P-Many {0, 1}, P-Medium {2, 3}, P-Few {4, 5}
PRIOR_B = PRIOR_A[::-1].copy()  # P-Many {4, 5}, P-Few {0, 1}
NAMES = {"a": "A", "b": "B"}


def _correct(per_class: list[int]) -> np.ndarray:
    """Correctness per test image with `per_class[c]` of class c's 4 images right."""
    return np.concatenate([np.arange(4) < k for k in per_class])


A = _correct([4, 3, 1, 4, 2, 0])  # accuracies 100, 75, 25, 100, 50, 0
B = _correct([2, 1, 3, 3, 4, 4])  # 50, 25, 75, 75, 100, 100
ENSEMBLE = _correct([4, 3, 3, 4, 4, 3])  # 100, 75, 75, 100, 100, 75


def _claims(**kwargs):
    found, rows = claims.paper_claims(
        {"a": A, "b": B}, ENSEMBLE, LABELS, D_GROUPS, {"a": PRIOR_A, "b": PRIOR_B}, NAMES, **kwargs
    )
    table = claims.measure(found, rows, LABELS, n_resamples=300, seed=0)
    return table


def _row(table, claim, scope=None):
    rows = table[(table["claim"] == claim) & ((table["scope"] == scope) if scope else True)]
    assert len(rows) == 1, table
    return rows.iloc[0]


def test_the_p_gap_is_p_many_minus_p_few_by_each_backbones_own_prior():
    table = _claims()
    assert _row(table, claims.P_GAP_PERSISTS, "A")["value"] == pytest.approx((100 + 75) / 2 - (50 + 0) / 2)
    assert _row(table, claims.P_GAP_PERSISTS, "B")["value"] == pytest.approx((100 + 100) / 2 - (50 + 25) / 2)


def test_models_differ_when_each_is_better_on_its_own_head():
    # classes 0, 1: P-Many for A, P-Few for B; classes 4, 5: the reverse
    a_minus_b_on_a_head = (100 + 75) / 2 - (50 + 25) / 2
    a_minus_b_on_b_head = (50 + 0) / 2 - (100 + 100) / 2
    row = _row(_claims(), claims.MODELS_DIFFER)
    assert row["value"] == pytest.approx(a_minus_b_on_a_head - a_minus_b_on_b_head)
    assert row["lo"] > 0 and row["verdict"] == "holds"


def test_tail_tail_is_the_lowest_other_cell_minus_d_few_and_p_few():
    # A: D-Few ∩ P-Few is class 5 (0 %); the lowest other cell is D-Many ∩ P-Medium, class 2 (25 %)
    row = _row(_claims(), claims.TAIL_TAIL, "A")
    assert row["value"] == pytest.approx(25 - 0)
    assert "D-Many ∩ P-Medium" in row["measured"]
    # B: P-Few is {0, 1}, so D-Few ∩ P-Few is class 1 (25 %); every other cell is higher
    row = _row(_claims(), claims.TAIL_TAIL, "B")
    assert row["value"] == pytest.approx(50 - 25)  # D-Many ∩ P-Few, class 0


def test_the_ensembles_gain_on_p_few_minus_its_gain_on_p_many():
    # the mean of the two priors is symmetric, [.175, .165, .16, .16, .165, .175]: it ranks
    # classes 0 and 5 first (P-Many), then 1 and 4, then 2 and 3 (P-Few)
    mean_single = (np.array([100, 75, 25, 100, 50, 0]) + np.array([50, 25, 75, 75, 100, 100])) / 2
    ensemble = np.array([100, 75, 75, 100, 100, 75])
    gain = ensemble - mean_single
    expected = gain[[2, 3]].mean() - gain[[0, 5]].mean()
    assert _row(_claims(), claims.ENSEMBLE_P_FEW)["value"] == pytest.approx(expected)


def test_la_closes_the_d_gap_is_the_ce_gap_minus_the_la_gap_or_not_run():
    assert _row(_claims(), claims.LA_CLOSES_D_GAP)["verdict"] == "not run"
    ce = _correct([4, 0, 4, 2, 2, 1])  # D-Many 100, D-Few 12.5
    la = _correct([3, 2, 3, 2, 2, 2])  # D-Many 75, D-Few 50
    row = _row(_claims(cross_entropy=("a", ce, la)), claims.LA_CLOSES_D_GAP)
    assert row["value"] == pytest.approx((100 - 12.5) - (75 - 50))
    assert row["scope"] == "A" and row["lo"] <= row["value"] <= row["hi"]


def test_an_interval_is_that_of_the_combination_on_shared_resamples():
    """A claim whose two terms are the same row and classes is exactly 0 on every resample."""
    same = claims.Claim("x", "y", "z", ((1.0, 0, np.full(6, 100 / 24)), (-1.0, 0, np.full(6, 100 / 24))))
    row = claims.measure([same], A[:, None], LABELS, n_resamples=50).iloc[0]
    assert row["value"] == row["lo"] == row["hi"] == 0 and row["verdict"] == "inconclusive"


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [(0.1, 2.0, "holds"), (-2.0, -0.1, "does not hold"), (-1.0, 1.0, "inconclusive"), (np.nan, np.nan, "inconclusive")],
)
def test_verdicts_follow_the_interval(lo, hi, expected):
    assert claims.verdict(lo, hi) == expected


def test_the_seeds_claim_is_taken_as_measured_or_not_run():
    assert claims.external_claim(None, None, None, "A + B")["verdict"] == "not run"
    row = claims.external_claim(7.3, 6.1, 8.5, "A + B, M = 2")
    assert row["value"] == 7.3 and row["verdict"] == "holds" and row["claim"] == claims.BEATS_SEEDS
