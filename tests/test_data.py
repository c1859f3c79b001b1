"""The image pipeline: seeded augmentation, epoch batches and undecodable images."""

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from ltbias import data


def _images(tmp_path, n=5):
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(tmp_path / f"{i}.png")
    return pd.DataFrame({"path": [f"{i}.png" for i in range(n)], "label": np.arange(n) % 2})


def test_an_epochs_batches_cover_every_image_once_and_depend_on_seed_and_epoch_alone():
    sampler = data.EpochBatchSampler(10, 4, seed=3)
    sampler.set_epoch(1)
    batches = list(sampler)
    assert [len(b) for b in batches] == [4, 4, 2]  # the last partial batch is kept
    assert sorted(i for b in batches for i, _ in b) == list(range(10))
    again = data.EpochBatchSampler(10, 4, seed=3)
    again.set_epoch(1, start=1)  # a resumed epoch continues with the same batches
    assert list(again) == batches[1:] and len(again) == 2
    sampler.set_epoch(2)
    assert list(sampler) != batches


def test_a_samples_augmentation_is_a_function_of_its_seed(tmp_path, toy_preprocess):
    transform = data.train_transform(toy_preprocess)
    dataset = data.ManifestDataset(tmp_path, _images(tmp_path), transform)
    first, label = dataset[(3, 12345)]
    torch.rand(100)  # draws in between must not matter
    second, _ = dataset[(3, 12345)]
    assert torch.equal(first, second) and label == 1
    assert first.shape == (3, toy_preprocess["size"], toy_preprocess["size"])
    assert not torch.equal(first, dataset[(3, 54321)][0])


def test_an_undecodable_image_is_named_or_skipped(tmp_path, toy_preprocess):
    manifest = _images(tmp_path)
    (tmp_path / "2.png").write_bytes(b"not a png")
    strict = data.ManifestDataset(tmp_path, manifest, data.test_transform(toy_preprocess))
    with pytest.raises(data.BadImageError, match=r"2\.png \(manifest row 2\)"):
        strict[2]
    lenient = data.ManifestDataset(tmp_path, manifest, data.test_transform(toy_preprocess), skip_bad=True)
    images, labels, skipped = data.collate_skipping([lenient[i] for i in range(5)])
    assert images.shape[0] == 4 and labels.tolist() == [0, 1, 1, 0]
    assert len(skipped) == 1 and "2.png" in skipped[0]


def test_five_crop_tte_stacks_five_views(tmp_path, toy_preprocess):
    dataset = data.ManifestDataset(tmp_path, _images(tmp_path), data.tte_transform(toy_preprocess, expand=4))
    crops, _ = dataset[0]
    assert crops.shape == (5, 3, toy_preprocess["size"], toy_preprocess["size"])
