"""The toy world's true pre-training counts, read and checked."""

import pandas as pd
import pytest

from ltbias import prior, true_prior


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.iloc[[1, 0, 2]],
            r"counts.csv:2: label '1' where the dataset has '0': the rows must",
        ),  # sorted by hand
        (lambda t: t.iloc[:2], "counts.csv: 2 rows for the dataset's 3 classes"),  # cut short
        (lambda t: t.assign(class_name=["a", "c", "b"]), r"counts.csv:3: class_name 'c' where the dataset has 'b'"),
        (lambda t: t.assign(count=["10", "nan", "2"]), r"counts.csv:3: the count of label 1 is .*not a positive"),
        (lambda t: t.assign(count=[10, 0, 2]), r"counts.csv:3: the count of label 1 is 0, not a positive integer"),
        (lambda t: t.assign(count=[10, 2.5, 2]), r"counts.csv:3: the count of label 1 is 2.5, not a positive"),
        (lambda t: t.drop(columns="count"), "expected columns label, class_name, count"),
    ],
    ids=["reordered", "truncated", "renamed", "nan", "zero", "fraction", "no count"],
)
def test_true_pretraining_counts_are_checked_against_the_classes(tmp_path, edit, message):
    """The true-prior columns of the toy world rest on these counts, matched by row."""
    classes = pd.DataFrame({"label": [0, 1, 2], "class_name": ["a", "b", "c"]})
    path = tmp_path / "counts.csv"
    counts = classes.assign(count=[10, 5, 2])
    counts.to_csv(path, index=False)
    assert true_prior.load_pretrain_counts(path, classes).tolist() == [10, 5, 2]
    edit(counts).to_csv(path, index=False)
    with pytest.raises(prior.InconsistentPriorError, match=message):
        true_prior.load_pretrain_counts(path, classes)
