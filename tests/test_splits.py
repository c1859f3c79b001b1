import dataclasses

import numpy as np
import pandas as pd
import pytest

from helpers import require_shared
from ltbias import lists, splits
from ltbias.config import SplitConfig


def test_d_group_thresholds():
    counts = np.array([101, 100, 20, 19, 5])
    assert splits.d_groups(counts).tolist() == ["D-Many", "D-Medium", "D-Medium", "D-Few", "D-Few"]


def test_cifar100_lt_exponential_profile():
    counts = splits.exponential_profile(100, 500, 100)
    assert counts[0] == 500 and counts[-1] == 5
    assert counts.sum() == 10847
    assert np.all(np.diff(counts) <= 0)


def test_pareto_profile_is_seeded_and_bounded():
    a = splits.pareto_profile(200, 1280, 5, 6, seed=3)
    assert np.array_equal(a, splits.pareto_profile(200, 1280, 5, 6, seed=3))
    assert not np.array_equal(a, splits.pareto_profile(200, 1280, 5, 6, seed=4))
    assert a.max() == 1280 and a.min() == 5


def test_imagenet_lt_shaped_pareto_profile_has_imagenet_lt_groups():
    # ImageNet-LT: 1,000 classes, max 1,280, min 5, groups 385 / 479 / 136 (method.md §2.3)
    counts = splits.pareto_profile(1000, 1280, 5, 6, seed=0)
    many, medium, few = (int((splits.d_groups(counts) == g).sum()) for g in splits.D_GROUPS)
    print(f"ImageNet-LT-shaped Pareto draw: {many} / {medium} / {few}, {counts.sum()} images")
    assert many + medium + few == 1000
    assert abs(many - 385) < 100 and abs(medium - 479) < 100 and abs(few - 136) < 60


def test_profile_counts_permutes_classes_with_the_seed():
    spec = SplitConfig(profile="pareto", alpha=6, max_count=300, min_count=4, seed=0)
    counts = splits.profile_counts(spec, 40)
    assert sorted(counts, reverse=True) == splits.pareto_profile(40, 300, 4, 6, 0).tolist()
    assert counts[0] != counts.max() or counts[1] != np.sort(counts)[-2]  # not simply descending
    with pytest.raises(ValueError, match="unknown"):
        splits.profile_counts(dataclasses.replace(spec, profile="zipf"), 40)


def test_long_tailed_subset_takes_exact_counts_without_replacement():
    pool = pd.DataFrame({"path": [f"{c}/{i}" for c in range(3) for i in range(10)], "label": np.repeat(range(3), 10)})
    subset = splits.long_tailed_subset(pool, np.array([10, 4, 1]), seed=0)
    assert np.bincount(subset["label"]).tolist() == [10, 4, 1]
    assert not subset["path"].duplicated().any()
    with pytest.raises(ValueError, match="class 1 has 10 images"):
        splits.long_tailed_subset(pool, np.array([1, 11, 1]), seed=0)


def test_class_table_counts_and_groups():
    table = splits.class_table(["a", "b", "c"], np.array([0] * 150 + [1] * 20 + [2] * 3))
    assert table["train_count"].tolist() == [150, 20, 3]
    assert table["d_group"].tolist() == ["D-Many", "D-Medium", "D-Few"]


def test_places_lt_train_list_matches_published_figures():
    stats = lists.split_stats(lists.read_split_list(require_shared("Places_LT", "Places_LT_train.txt")))
    assert stats == {
        "num_classes": 365,
        "num_images": 62500,
        "min_count": 5,
        "max_count": 4980,
        "groups": {"D-Many": 131, "D-Medium": 163, "D-Few": 71},
    }


@pytest.mark.parametrize(("split", "per_class"), [("test", 50), ("val", 20)])
def test_imagenet_lt_eval_lists_are_balanced(split, per_class):
    frame = lists.read_split_list(require_shared("ImageNet_LT", f"ImageNet_LT_{split}.txt"))
    stats = lists.split_stats(frame)
    assert stats["num_classes"] == 1000
    assert stats["min_count"] == stats["max_count"] == per_class
