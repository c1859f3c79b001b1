"""Splits from class folders and from lists, validated against the files under the root."""

import numpy as np
import pytest
from PIL import Image

from ltbias import prepare
from ltbias.config import Dataset, DecodeCheck, SplitConfig
from ltbias.validate import SplitValidationError


def _folders(root, per_class=(12, 12, 12), test=3):
    image = Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8))
    for c, n in enumerate(per_class):
        for split, count in (("train", n), ("val", test)):
            (root / split / f"n{c}").mkdir(parents=True, exist_ok=True)
            for i in range(count):
                image.save(root / split / f"n{c}" / f"{i}.png")


def _dataset(root, **changes):
    split = SplitConfig(profile="exponential", max_count=8, imbalance_ratio=4, val_per_class=2)
    return Dataset(key="mine", source="folder", root=str(root), split=split, **changes)


def test_folder_splits_draw_val_from_the_train_pool_and_test_from_val(tmp_path):
    _folders(tmp_path)
    (tmp_path / "names.txt").write_text("n0 cat\nn1 dog\nn2 owl\n")
    frames, classes, report = prepare.prepare_splits(_dataset(tmp_path, class_names=str(tmp_path / "names.txt")))
    assert classes["class_name"].tolist() == ["cat", "dog", "owl"]
    assert sorted(np.bincount(frames["train"]["label"])) == [2, 4, 8]  # 8 down to 8 / 4
    assert np.bincount(frames["val"]["label"]).tolist() == [2, 2, 2]
    assert not set(frames["val"]["path"]) & set(frames["train"]["path"])
    assert frames["test"]["path"].str.startswith("val/").all() and len(frames["test"]) == 9
    assert report["splits"]["test"]["num_images"] == 9
    assert report["splits"]["test"]["groups"] == report["splits"]["train"]["groups"]  # D-groups of the train counts
    assert report["splits"]["train"]["groups"] == {"D-Many": 0, "D-Medium": 0, "D-Few": 3}
    again, _, _ = prepare.prepare_splits(_dataset(tmp_path, class_names=str(tmp_path / "names.txt")))
    assert again["train"].equals(frames["train"])  # seeded


def test_a_missing_image_and_a_broken_image_are_named_before_training(tmp_path):
    _folders(tmp_path)
    dataset = _dataset(tmp_path, decode_check=DecodeCheck(mode="full"))
    (tmp_path / "val" / "n1" / "0.png").write_bytes(b"broken")
    with pytest.raises(SplitValidationError, match=r"val/n1/0\.png"):
        prepare.prepare_splits(dataset)


def test_a_lists_dataset_without_val_draws_it_from_train(tmp_path, caplog):
    _folders(tmp_path)
    (tmp_path / "train.txt").write_text("".join(f"train/n{c}/{i}.png {c}\n" for c in range(3) for i in range(6)))
    (tmp_path / "test.txt").write_text("".join(f"val/n{c}/0.png {c}\n" for c in range(3)))
    (tmp_path / "classes.txt").write_text("n0 cat\nn1 dog\nn2 owl\n")
    lists = {k: str(tmp_path / f"{k}.txt") for k in ("train", "test")} | {"classnames": str(tmp_path / "classes.txt")}
    dataset = Dataset(key="mine", source="lists", root=str(tmp_path), split=SplitConfig(val_per_class=2))
    frames, _, _ = prepare.prepare_splits(dataset, lists)
    assert len(frames["train"]) == 18 and np.bincount(frames["val"]["label"]).tolist() == [2, 2, 2]
    assert set(frames["val"]["path"]) <= set(frames["train"]["path"])
    assert "they overlap train" in caplog.text
