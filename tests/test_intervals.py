"""Intervals beside every accuracy and the paired comparisons of multi-member rows."""

import numpy as np
import pandas as pd
import pytest

from ltbias import ensemble, intervals, splits


def _evaluation():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 30)
    classes = splits.class_table([f"c{i}" for i in range(4)], np.repeat(np.arange(4), [150, 150, 50, 5]))
    logits = [(rng.normal(size=(120, 4)) + 1.5 * np.eye(4)[labels]).astype(np.float32) for _ in range(2)]
    return ensemble.evaluate_ensembles(["a", "b"], logits, labels, classes), labels


def test_every_accuracy_has_an_interval_around_the_resampled_values():
    evaluation, labels = _evaluation()
    rows, _ = intervals.with_intervals(evaluation, labels, "a", n_resamples=200, seed=0)
    assert rows.columns[:6].tolist() == ["subset", "variant", "size", "all", "all_lo", "all_hi"]
    for column in ("all", "d_many", "d_medium", "d_few"):
        assert (rows[f"{column}_lo"] <= rows[f"{column}_hi"]).all(), column
        assert ((rows[column] - rows[f"{column}_lo"]).abs() < 20).all(), column
    assert rows[["all", "all_lo", "all_hi"]].equals(
        intervals.with_intervals(evaluation, labels, "a", n_resamples=200, seed=0)[0][["all", "all_lo", "all_hi"]]
    )


def test_a_multi_member_row_is_compared_with_its_best_single_and_with_lift():
    evaluation, labels = _evaluation()
    rows, compared = intervals.with_intervals(evaluation, labels, "b", n_resamples=200, seed=0)
    assert compared.columns.tolist() == intervals.COMPARISON_COLUMNS
    assert set(compared["subset"]) == {"a+b"}  # single members are not compared
    by_reference = compared[compared["metric"] == "all"].set_index("reference")
    best = rows[rows["size"] == 1].set_index("subset")["all"].idxmax()
    assert by_reference.loc["best single", "reference_subset"] == best
    assert by_reference.loc["LIFT", "reference_subset"] == "b"
    metrics = rows.set_index("subset")["all"]
    assert by_reference.loc["LIFT", "difference"] == pytest.approx(metrics["a+b"] - metrics["b"])
    assert ((compared["p_value"] >= 0) & (compared["p_value"] <= 1)).all()


def test_a_group_without_classes_has_no_interval_and_no_comparison():
    evaluation, labels = _evaluation()
    metrics = evaluation.metrics.assign(d_few=np.nan)  # as when no class is D-Few
    rows, compared = intervals.with_intervals(
        ensemble.Evaluation(metrics, evaluation.per_class, {}, evaluation.correct, evaluation.groupings),
        labels,
        "a",
        n_resamples=50,
    )
    assert rows[["d_few_lo", "d_few_hi"]].isna().all().all()
    assert pd.isna(compared[compared["metric"] == "d_few"][["difference", "lo", "hi", "p_value"]]).all().all()
