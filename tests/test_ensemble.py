import numpy as np
import pytest

from ltbias import ensemble, splits


def test_every_non_empty_subset_in_table_order():
    subsets = ensemble.subsets(["clip", "openclip", "metaclip"])
    assert [ensemble.subset_name(s) for s in subsets] == [
        "clip", "openclip", "metaclip", "clip+openclip", "clip+metaclip", "openclip+metaclip", "clip+openclip+metaclip"
    ]  # fmt: skip
    assert len(ensemble.subsets([f"b{i}" for i in range(8)])) == 255
    with pytest.raises(ValueError, match="at least one"):
        ensemble.subsets([])


def test_lattice_sums_equal_naive_sums_bit_for_bit():
    rng = np.random.default_rng(0)
    logits = [rng.normal(size=(50, 7)).astype(np.float32) * 10 for _ in range(4)]
    seen = {}
    for members, total in ensemble.subset_logit_sums(logits):
        naive = logits[members[0]].copy()
        for i in members[1:]:
            naive = naive + logits[i]
        assert np.array_equal(total, naive), members
        seen[members] = True
    assert len(seen) == 15


def _classes(train_counts):
    return splits.class_table(
        [f"c{i}" for i in range(len(train_counts))], np.repeat(np.arange(len(train_counts)), train_counts)
    )


def test_ensemble_metrics_on_a_hand_computed_example():
    labels = np.array([0, 0, 1, 1, 2, 2])
    a = np.eye(3, dtype=np.float32)[[0, 1, 1, 1, 0, 0]] * 2  # right on 0, 2, 3
    b = np.eye(3, dtype=np.float32)[[0, 0, 0, 2, 2, 2]] * 3  # right on 0, 1, 4, 5
    classes = _classes([150, 50, 5])  # Many, Medium, Few
    metrics, per_class, dxp = ensemble.evaluate_ensembles(["a", "b"], [a, b], labels, classes)
    rows = metrics.set_index("subset")
    # a: class accuracies 1/2, 2/2, 0/2
    assert rows.loc["a", ["d_many", "d_medium", "d_few"]].tolist() == pytest.approx([50.0, 100.0, 0.0])
    assert rows.loc["a", "all"] == pytest.approx(50.0)
    # a + b = rows: [5,0,0] [3,2,0]->0 [3,2,0]->0 [0,2,3]->2 [2,0,3]->2 [2,0,3]->2: right on 0, 1, 4, 5
    assert rows.loc["a+b", ["d_many", "d_medium", "d_few", "all"]].tolist() == pytest.approx(
        [100.0, 0.0, 100.0, 200 / 3]
    )
    assert per_class["a+b"].tolist() == pytest.approx([100.0, 0.0, 100.0])
    assert rows["size"].tolist() == [1, 1, 2] and dxp == {}


def test_p_groups_of_a_subset_use_the_mean_prior_of_its_members():
    labels = np.repeat(np.arange(3), 2)
    logits = [np.eye(3, dtype=np.float32)[labels]] * 2
    classes = _classes([150, 50, 5])
    priors = {"a": np.array([0.7, 0.2, 0.1]), "b": np.array([0.1, 0.2, 0.7])}
    metrics, _, dxp = ensemble.evaluate_ensembles(
        ["a", "b"], logits, labels, classes, priors=priors, p_fractions=(1 / 3, 1 / 3)
    )
    assert set(dxp) == {"a", "b", "a+b"}
    cells = dxp["a"].set_index(["d_group", "p_group"])["classes"]
    assert cells[("D-Many", "P-Many")] == 1 and cells[("D-Few", "P-Few")] == 1
    mean_cells = dxp["a+b"].set_index(["d_group", "p_group"])["classes"]  # mean prior: [0.4, 0.2, 0.4]
    assert mean_cells[("D-Medium", "P-Few")] == 1
    assert {"p_many", "p_medium", "p_few"} <= set(metrics.columns)
