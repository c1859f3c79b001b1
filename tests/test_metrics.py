import numpy as np
import pytest

from ltbias import metrics


def test_per_class_and_group_accuracy_by_hand():
    labels = np.array([0, 0, 1, 1, 1, 2])
    predictions = np.array([0, 1, 1, 1, 0, 0])
    correct = np.bincount(labels, weights=predictions == labels, minlength=4)
    per_class = metrics.per_class_accuracy(correct, np.bincount(labels, minlength=4))
    np.testing.assert_allclose(per_class[:3], [0.5, 2 / 3, 0.0])
    assert np.isnan(per_class[3])  # class absent from the test set
    groups = np.array(["A", "A", "B", "B"])
    assert metrics.group_accuracy(per_class, groups, ["A", "B"]) == pytest.approx({"A": 100 * 7 / 12, "B": 0.0})


def test_cross_table_counts_and_means():
    per_class = np.array([1.0, 0.5, 0.0, 0.25])
    table = metrics.cross_table(
        per_class, np.array(["x", "x", "y", "y"]), np.array(["p", "q", "p", "p"]), ["x", "y"], ["p", "q"]
    )
    cells = {(r.d_group, r.p_group): (r.classes, r.accuracy) for r in table.itertuples()}
    assert cells[("x", "p")] == (1, 100.0)
    assert cells[("y", "p")] == (2, 12.5)
    assert cells[("y", "q")][0] == 0 and np.isnan(cells[("y", "q")][1])


def test_ece_of_a_perfectly_calibrated_and_an_overconfident_model():
    confident = metrics.softmax_confidence(np.array([[20.0, 0.0], [0.0, 20.0]]))
    assert confident == pytest.approx([1.0, 1.0])
    right, wrong = np.array([True, True]), np.array([False, False])
    assert metrics.expected_calibration_error(metrics.calibration_bins(confident, right)) < 1e-3
    assert metrics.expected_calibration_error(metrics.calibration_bins(confident, wrong)) == pytest.approx(100.0)
    half = metrics.softmax_confidence(np.array([[1.0, 1.0]] * 4), scale=3.0)
    assert half == pytest.approx([0.5] * 4)
    binned = metrics.calibration_bins(half[:2], np.array([True, False])) + metrics.calibration_bins(
        half[2:], np.array([True, True])
    )  # bins of two blocks add up: confidence 0.5, accuracy 0.75
    assert metrics.expected_calibration_error(binned) == pytest.approx(25.0)


def test_knn_votes_by_hand():
    memory = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    memory_labels = np.array([0, 1, 1])
    queries = np.array([[1.0, 0.0]])
    votes = metrics.knn_scores(memory, memory_labels, queries, n_classes=2, k=2, temperature=0.5)
    # the two nearest are item 0 (cos 1.0, class 0) and item 2 (cos 0.6, class 1)
    np.testing.assert_allclose(votes, [[np.exp(1.0 / 0.5), np.exp(0.6 / 0.5)]], rtol=1e-6)
    everything = metrics.knn_scores(memory, memory_labels, queries, n_classes=2, k=200, temperature=0.5)
    assert everything[0, 1] == pytest.approx(np.exp(0.0) + np.exp(1.2))  # k capped at the memory size
