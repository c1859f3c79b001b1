import numpy as np
import pytest

from ltbias import ensemble, splits, variants


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
    evaluation = ensemble.evaluate_ensembles(["a", "b"], [a, b], labels, classes)
    metrics, per_class, dxp = evaluation.metrics, evaluation.per_class, evaluation.dxp
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
    assert rows["variant"].tolist() == ["uniform"] * 3
    assert evaluation.correct[:, 2].tolist() == [True, True, False, False, True, True]


def test_p_groups_of_a_subset_use_the_mean_prior_of_its_members():
    labels = np.repeat(np.arange(3), 2)
    logits = [np.eye(3, dtype=np.float32)[labels]] * 2
    classes = _classes([150, 50, 5])
    priors = {"a": np.array([0.7, 0.2, 0.1]), "b": np.array([0.1, 0.2, 0.7])}
    evaluation = ensemble.evaluate_ensembles(
        ["a", "b"], logits, labels, classes, priors=priors, p_fractions=(1 / 3, 1 / 3)
    )
    metrics, dxp = evaluation.metrics, evaluation.dxp
    assert set(dxp) == {"a", "b", "a+b"}
    cells = dxp["a"].set_index(["d_group", "p_group"])["classes"]
    assert cells[("D-Many", "P-Many")] == 1 and cells[("D-Few", "P-Few")] == 1
    mean_cells = dxp["a+b"].set_index(["d_group", "p_group"])["classes"]  # mean prior: [0.4, 0.2, 0.4]
    assert mean_cells[("D-Medium", "P-Few")] == 1
    assert {"p_many", "p_medium", "p_few"} <= set(metrics.columns)


def test_fitted_and_debiased_rows_score_what_they_claim():
    labels = np.array([0, 0, 1, 1, 2, 2])
    a = np.eye(3, dtype=np.float32)[[0, 1, 1, 1, 0, 0]] * 2  # right on 0, 2, 3
    b = np.eye(3, dtype=np.float32)[[0, 0, 0, 2, 2, 2]] * 3  # right on 0, 1, 4, 5
    classes = _classes([150, 50, 5])
    offsets = {"a": np.array([0.0, 0.0, -5.0], dtype=np.float32), "b": np.zeros(3, dtype=np.float32)}
    evaluation = ensemble.evaluate_ensembles(
        ["a", "b"],
        [a, b],
        labels,
        classes,
        offsets={"debiased": offsets},
        weights={"fitted": {"a+b": np.array([1.0, 0.0])}},
    )
    rows = evaluation.metrics.set_index(["subset", "variant"])
    assert list(rows.index) == [
        ("a", "uniform"), ("a", "debiased"), ("b", "uniform"), ("b", "debiased"),
        ("a+b", "uniform"), ("a+b", "fitted"), ("a+b", "debiased"),
    ]  # fmt: skip
    assert rows.loc[("a+b", "fitted"), "all"] == rows.loc[("a", "uniform"), "all"]  # all weight on a
    # a - offset adds 5 to class 2: a predicts 2 everywhere it was 0 or tied -> right on rows 4, 5 only
    assert evaluation.correct[:, 1].tolist() == [False, False, False, False, True, True]


def test_row_statistics_equal_a_direct_computation_whatever_the_blocks_and_threads():
    """Every subset's counts, correctness and calibration bins, recomputed subset by subset
    with the plain softmax confidence, equal the blocked, threaded lattice walk's."""
    from ltbias import metrics
    from ltbias.subsets import subsets

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 9, 500)
    logits = [(rng.normal(size=(500, 9)) * 4).astype(np.float32) for _ in range(3)]
    shifts = [rng.normal(size=9).astype(np.float32) for _ in range(3)]
    blocked = ensemble.row_statistics(logits, labels, 9, offsets={"gla": shifts}, rows_per_block=64, threads=2)
    whole = ensemble.row_statistics(logits, labels, 9, offsets={"gla": shifts}, rows_per_block=4096)
    for members in subsets(range(3)):
        total = logits[members[0]]
        for m in members[1:]:
            total = total + logits[m]  # in index order, as the lattice adds
        for variant, scores in (("uniform", total), ("gla", total - sum(shifts[m] for m in members))):
            correct = scores.argmax(axis=1) == labels
            confidence = metrics.softmax_confidence(scores, scale=1.0 / len(members))
            for stats in (blocked, whole):
                row = stats[(members, variant)]
                assert np.array_equal(row.correct, correct)
                assert np.array_equal(row.per_class, np.bincount(labels, weights=correct, minlength=9))
                np.testing.assert_allclose(row.binned, metrics.calibration_bins(confidence, correct), rtol=1e-12)


def test_a_per_image_offset_is_taken_row_by_row_whatever_the_blocks():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 5, 300)
    z_ft = [rng.normal(size=(300, 5)).astype(np.float32) for _ in range(2)]
    z_zs = [rng.normal(size=(300, 5)).astype(np.float32) for _ in range(2)]
    log_q = [np.log(rng.dirichlet(np.ones(5))).astype(np.float32) for _ in range(2)]
    members = {b: variants.Member(log_q[i], {"debias_lambda": 1.0}, z_zs[i]) for i, b in enumerate("ab")}
    offsets = {"gla": variants.offsets(members)["gla"]}
    stats = ensemble.row_statistics(
        z_ft, labels, 5, offsets={"gla": [offsets["gla"][b] for b in "ab"]}, rows_per_block=64, threads=2
    )
    expected = (z_ft[0] + z_zs[0] - log_q[0] + z_ft[1] + z_zs[1] - log_q[1]).argmax(axis=1) == labels
    assert np.array_equal(stats[((0, 1), "gla")].correct, expected)
    single = (z_ft[1] + z_zs[1] - log_q[1]).argmax(axis=1) == labels
    assert np.array_equal(stats[((1,), "gla")].correct, single)
