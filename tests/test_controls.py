"""The control table: seed ensembles and backbone ensembles against hand computations."""

import itertools

import numpy as np
import pytest

from ltbias import controls


def _class_mean(correct: np.ndarray, labels: np.ndarray, classes=None) -> float:
    per_class = np.bincount(labels, weights=correct, minlength=6) / np.bincount(labels, minlength=6)
    return 100 * (per_class if classes is None else per_class[classes]).mean()


@pytest.fixture
def world():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(6), 5)
    logits = {b: [rng.normal(size=(30, 6)) + 1.5 * np.eye(6)[labels] for _ in range(3)] for b in "abc"}
    d = np.array(["D-Many", "D-Many", "D-Medium", "D-Medium", "D-Few", "D-Few"], dtype=object)
    p = np.array(["P-Few", "P-Many", "P-Medium", "P-Many", "P-Few", "P-Medium"], dtype=object)
    return logits, labels, {"d": d, "p": p}


def test_seed_and_backbone_ensembles_match_a_hand_computation(world):
    logits, labels, groupings = world
    table, comparisons = controls.control_rows(logits, labels, groupings, {"a": "A", "b": "B", "c": "C"}, 200, 0)
    rows = table.set_index("ensemble")
    assert list(rows.index) == [
        "single backbone (mean)",
        *[f"2 seeds of {n}" for n in "ABC"], "2 seeds (mean over backbones)", "2 backbones (mean over subsets)",
        *[f"3 seeds of {n}" for n in "ABC"], "3 seeds (mean over backbones)", "3 backbones (mean over subsets)",
    ]  # fmt: skip
    two_seeds_a = (logits["a"][0] + logits["a"][1]).argmax(1) == labels
    assert rows.loc["2 seeds of A", "all"] == pytest.approx(_class_mean(two_seeds_a, labels))
    p_few = np.flatnonzero(groupings["p"] == "P-Few")
    assert rows.loc["2 seeds of A", "p_few"] == pytest.approx(_class_mean(two_seeds_a, labels, p_few))
    pairs = [(x, y) for x, y in itertools.combinations("abc", 2)]
    backbones = np.mean([_class_mean((logits[x][0] + logits[y][0]).argmax(1) == labels, labels) for x, y in pairs])
    assert rows.loc["2 backbones (mean over subsets)", "all"] == pytest.approx(backbones)
    seeds = np.mean([_class_mean((logits[b][0] + logits[b][1]).argmax(1) == labels, labels) for b in "abc"])
    assert rows.loc["2 seeds (mean over backbones)", "all"] == pytest.approx(seeds)
    single = np.mean([_class_mean(logits[b][0].argmax(1) == labels, labels) for b in "abc"])
    assert rows.loc["single backbone (mean)", "all"] == pytest.approx(single)
    gain = comparisons[(comparisons["M"] == 2) & (comparisons["metric"] == "all")].iloc[0]
    assert gain["difference"] == pytest.approx(backbones - seeds)
    assert gain["lo"] <= gain["difference"] <= gain["hi"] and 0 < gain["p_value"] <= 1
    assert set(comparisons["M"]) == {2, 3} and "p_few" in set(comparisons["metric"])


def test_one_seed_per_backbone_gives_no_comparison(world):
    logits, labels, groupings = world
    table, comparisons = controls.control_rows({b: s[:1] for b, s in logits.items()}, labels, groupings)
    assert table["ensemble"].tolist() == ["single backbone (mean)"] and comparisons.empty


def test_seed_sd_matches_a_direct_computation(world):
    logits, labels, groupings = world
    priors = {b: np.arange(1.0, 7.0) + i for i, b in enumerate("abc")}
    table = controls.seed_variance(logits, labels, groupings["d"], priors, max_draws=64).set_index("subset")
    accuracies = [_class_mean(s.argmax(1) == labels, labels) for s in logits["b"]]
    assert table.loc["b", "all"] == pytest.approx(np.mean(accuracies))
    assert table.loc["b", "all_sd"] == pytest.approx(np.std(accuracies, ddof=1))
    draws = itertools.product(range(3), repeat=2)
    pairs = [_class_mean((logits["a"][i] + logits["c"][j]).argmax(1) == labels, labels) for i, j in draws]
    assert table.loc["a+c", "draws"] == 9 and table.loc["a+c", "all_sd"] == pytest.approx(np.std(pairs, ddof=1))
    d_few = np.flatnonzero(groupings["d"] == "D-Few")
    few = [_class_mean(s.argmax(1) == labels, labels, d_few) for s in logits["a"]]
    assert table.loc["a", "d_few_sd"] == pytest.approx(np.std(few, ddof=1))
    sampled = controls.seed_variance(logits, labels, groupings["d"], priors, max_draws=5, seed=1)
    assert sampled.set_index("subset").loc["a+b+c", "draws"] == 5  # of 27 combinations
    again = controls.seed_variance(logits, labels, groupings["d"], priors, max_draws=5, seed=1)
    assert again.equals(sampled)
