"""Decoding JPEG batches on the device: the same crops and pixels as the PIL path, on CPU
tensors here (the GPU runs the same code with nvJPEG, `bench/gpu_check.sh`)."""

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from torchvision import transforms as T

from ltbias import data, jpeg, train
from ltbias.config import EvalConfig, FinetuneConfig

CPU = torch.device("cpu")
PREPROCESS = {"size": 64, "mean": [0.48, 0.46, 0.41], "std": [0.27, 0.26, 0.28], "interpolation": "bilinear"}


def _write_jpegs(folder, n, size=(120, 90)):
    """Smooth random photographs-alike, labels 0..n-1 mod 3."""
    rng = np.random.default_rng(0)
    for i in range(n):
        low = rng.uniform(0, 255, (6, 8, 3)).astype(np.uint8)
        Image.fromarray(low).resize(size, Image.BICUBIC).save(folder / f"{i}.jpg", quality=90)
    return pd.DataFrame({"path": [f"{i}.jpg" for i in range(n)], "label": np.arange(n) % 3})


def _pil_and_tensor(folder, manifest, transform, **kwargs):
    return (
        data.ManifestDataset(folder, manifest, transform(False), **kwargs),
        jpeg.EncodedDataset(folder, manifest, transform(True), **kwargs),
    )


@pytest.mark.parametrize(
    "transform",
    [
        lambda tensors: data.train_transform(PREPROCESS, (0.2, 1.0), tensors=tensors),
        lambda tensors: data.test_transform(PREPROCESS, tensors),
        lambda tensors: data.tte_transform(PREPROCESS, 8, tensors),
    ],
    ids=["train", "test", "tte"],
)
def test_the_device_path_draws_the_same_crops_and_gives_the_same_pixels(tmp_path, monkeypatch, transform):
    manifest = _write_jpegs(tmp_path, 6)
    pil, encoded = _pil_and_tensor(tmp_path, manifest, transform)
    crops = []
    get_params = T.RandomResizedCrop.get_params
    record = staticmethod(lambda *args: crops.append(get_params(*args)) or crops[-1])
    monkeypatch.setattr(T.RandomResizedCrop, "get_params", record)
    items = [(i, 100 + 7 * i) for i in range(6)]  # training items carry their seed
    expected = torch.stack([pil[item][0] for item in items])
    pil_crops, crops[:] = list(crops), []
    batch, labels, _ = encoded.collate([encoded[item] for item in items])
    images, labels, dropped = encoded.prepare(batch, labels, CPU)
    assert crops == pil_crops  # the same draws from the same seeds (none for the test transforms)
    random_crop = any(isinstance(t, T.RandomResizedCrop) for t in transform(False).transforms)
    assert len(pil_crops) == (6 if random_crop else 0)
    assert labels.tolist() == manifest["label"].tolist() and dropped == []
    assert images.shape == expected.shape and images.dtype == torch.float32
    # PIL rounds the resampled image to 8 bits, the tensor path does not: at most one grey level
    assert (images - expected).abs().max() <= 1.01 / 255 / min(PREPROCESS["std"])
    assert (images - expected).abs().mean() < 0.01


def test_a_bad_file_is_named_or_dropped_with_its_label(tmp_path):
    manifest = _write_jpegs(tmp_path, 4)
    (tmp_path / "2.jpg").write_bytes(b"\xff\xd8 not a jpeg at all")
    transform = data.test_transform(PREPROCESS, tensors=True)
    strict = jpeg.EncodedDataset(tmp_path, manifest, transform)
    batch, labels, _ = strict.collate([strict[i] for i in range(4)])
    with pytest.raises(data.BadImageError, match=r"2\.jpg \(manifest row 2\)"):
        strict.prepare(batch, labels, CPU)
    lenient = jpeg.EncodedDataset(tmp_path, manifest, transform, skip_bad=True)
    images, kept, dropped = lenient.prepare(batch, labels, CPU)
    assert len(images) == 3 and kept.tolist() == [0, 1, 0] and len(dropped) == 1 and "2.jpg" in dropped[0]


def test_cpu_decoding_is_the_default_and_gpu_decoding_needs_a_gpu():
    assert FinetuneConfig().decode == "cpu" and EvalConfig().decode == "cpu"
    assert jpeg.dataset_class("cpu") is data.ManifestDataset and not data.ManifestDataset.tensors
    assert jpeg.dataset_class("gpu") is jpeg.EncodedDataset and jpeg.EncodedDataset.tensors
    with pytest.raises(ValueError, match=r"finetune\.decode: 'gpu' decodes JPEGs on a CUDA device, but this job"):
        jpeg.check_decode("gpu", CPU, "finetune.decode")
    jpeg.check_decode("cpu", CPU, "finetune.decode")
    with pytest.raises(ValueError, match=r"decode: 'nvjpeg' is not one of \['cpu', 'gpu'\]"):
        EvalConfig(decode="nvjpeg")


def test_fit_trains_on_batches_decoded_in_the_main_process(tmp_path, toy_classifier, toy_preprocess):
    """The training loop takes either dataset: the same seeds give nearly the same model."""
    manifest = _write_jpegs(tmp_path, 24, size=(48, 40))
    heads = []
    for kind in (data.ManifestDataset, jpeg.EncodedDataset):
        model = toy_classifier
        torch.manual_seed(0)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        transform = data.train_transform(toy_preprocess, (0.5, 1.0), tensors=kind is jpeg.EncodedDataset)
        cfg = FinetuneConfig(epochs=1, batch_size=8, lr=0.05, checkpoint_every_steps=0, log_every_steps=1)
        summary = train.fit(
            model, kind(tmp_path, manifest, transform), np.bincount(manifest["label"], minlength=9), cfg,
            state_path=tmp_path / f"{kind.__name__}.pt", fingerprint="f",
        )  # fmt: skip
        assert summary["history"][0]["images"] == 24
        heads.append(model.head.weight.detach().clone())
        model.load_state_dict(state)
    assert torch.allclose(heads[0], heads[1], atol=1e-3)
