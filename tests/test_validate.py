import pandas as pd
import pytest
from PIL import Image

from ltbias import validate


def _frame(paths, labels=None):
    return pd.DataFrame({"path": paths, "label": labels if labels is not None else [0] * len(paths)})


def test_missing_files_are_counted_and_the_first_20_named(tmp_path):
    (tmp_path / "present.png").write_bytes(b"")
    paths = ["present.png"] + [f"gone_{i:02d}.png" for i in range(25)]
    with pytest.raises(validate.SplitValidationError) as err:
        validate.check_files(tmp_path, paths, "datasets.x train split")
    message = str(err.value)
    assert "25 of 26 listed files are missing" in message
    assert "gone_00.png" in message and "gone_19.png" in message and "gone_20.png" not in message


def test_labels_outside_range_are_named():
    with pytest.raises(validate.SplitValidationError, match=r"1 labels outside 0..2:\n  row 1: b.jpg label 3"):
        validate.check_labels(_frame(["a.jpg", "b.jpg"], [0, 3]), 3, "test split")


def test_duplicates_within_and_across_splits():
    found = validate.duplicates({"train": _frame(["a", "a", "b"]), "test": _frame(["b", "c"])})
    assert found == {"train": ["a"], "train&test": ["b"]}


def test_decode_check_names_the_corrupt_image(tmp_path):
    Image.new("RGB", (8, 8), "red").save(tmp_path / "good.jpg")
    data = (tmp_path / "good.jpg").read_bytes()
    (tmp_path / "bad.jpg").write_bytes(data[: len(data) // 2])  # truncated JPEG
    with pytest.raises(validate.SplitValidationError, match=r"1 of 2 images cannot be decoded:\n  .*bad.jpg"):
        validate.decode_check(tmp_path, ["good.jpg", "bad.jpg"], "test split", workers=2)
    assert validate.decode_check(tmp_path, ["good.jpg"] * 5, "test split", sample_size=2) == 2
