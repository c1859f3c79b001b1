"""The paper configs follow the reference code's measurement protocol (method.md §4.5-§4.6),
checked on the real ViT-B/16 architecture at random init."""

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from torchvision import transforms as T

from helpers import REPO
from ltbias import backbones, caches, config, data, inference, models

PAPER_CONFIGS = ["imagenet_lt", "places_lt", "inat2018", "imagenet_lt_plus", "imagenet_lt_controls"]


def _read(name, monkeypatch):
    monkeypatch.chdir(REPO)  # `extends` paths are relative to the working directory
    return config.read_config(REPO / "config" / f"{name}.yaml")


@pytest.mark.parametrize("name", PAPER_CONFIGS)
def test_fp16_training_fp32_evaluation_and_bilinear_resampling(name, monkeypatch):
    cfg = _read(name, monkeypatch)
    assert config.from_dict(config.FinetuneConfig, cfg["finetune"], "finetune").precision == "fp16"
    assert config.from_dict(config.EvalConfig, cfg["evaluation"], "evaluation").precision == "fp32"
    (dataset,) = cfg["datasets"].values()
    for key in dataset["backbones"]:
        assert backbones.preprocess_config(_backbone(cfg, key))["interpolation"] == "bilinear", key


def _backbone(cfg, key):
    described = {k: cfg["backbones"][key].get(k) for k in ("model", "weights", "preprocess")}
    return config.from_dict(config.Backbone, {"key": key} | described, f"backbones.{key}")


def _resizes(transform):
    return [t for t in transform.transforms if isinstance(t, T.Resize | T.RandomResizedCrop)]


def test_transforms_and_five_crop_logits_of_a_paper_backbone(monkeypatch, tmp_path):
    cfg = _read("imagenet_lt", monkeypatch)
    preprocess = backbones.preprocess_config(_backbone(cfg, "clip"))
    assert preprocess["size"] == 224
    train = data.train_transform(preprocess)
    test = data.test_transform(preprocess)
    tte = data.tte_transform(preprocess, expand=24)
    for transform in (train, test, tte):
        assert [t.interpolation for t in _resizes(transform)] == [T.InterpolationMode.BILINEAR]
    assert _resizes(test)[0].size == 256 and _resizes(tte)[0].size == 248
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8))
    crops = tte(image)
    assert crops.shape == (5, 3, 224, 224)
    resized = T.Resize(248, interpolation=T.InterpolationMode.BILINEAR)(image)  # 248 x 330
    corner = T.Normalize(preprocess["mean"], preprocess["std"])(T.ToTensor()(resized.crop((0, 0, 224, 224))))
    torch.testing.assert_close(crops[0], corner)  # the first of the five is the top-left corner

    torch.manual_seed(0)
    clip = backbones.random_clip(cfg["backbones"]["clip"]["model"])
    model = models.assemble_classifier(clip.visual, 3, 25.0)
    for i in range(2):
        image.save(tmp_path / f"{i}.png")
    manifest = pd.DataFrame({"path": ["0.png", "1.png"], "label": [0, 2]})
    evaluation = config.from_dict(config.EvalConfig, cfg["evaluation"] | {"batch_size": 2}, "evaluation")
    manifests = {"test": _write(manifest, tmp_path)}
    dataset = inference.split_datasets(tmp_path, manifests, preprocess, evaluation, tte=True)["test"]
    outputs = inference.compute_logits(model, dataset, evaluation)
    assert outputs.info["precision"] == "fp32" and outputs.logits.dtype == np.float32
    with torch.no_grad():
        expected = model(crops).mean(dim=0)  # the five crops' logits, averaged
    torch.testing.assert_close(torch.from_numpy(outputs.logits[0]), expected, rtol=1e-4, atol=1e-4)
    caches.save_logits(tmp_path / "test.npz", outputs.logits, outputs.labels)
    cached, _ = caches.load_logits(tmp_path / "test.npz", tmp_path / "test.csv", 3)
    assert cached.dtype == np.float32


def _write(manifest, folder):
    manifest.to_csv(folder / "test.csv", index=False)
    return folder / "test.csv"


@pytest.mark.parametrize("name", PAPER_CONFIGS)
def test_paper_configs_round_the_backbone_weights_through_fp16_and_the_toy_world_does_not(name, monkeypatch):
    assert _read(name, monkeypatch)["fp16_weights"] is True
    assert "fp16_weights" not in config.read_config(REPO / "config" / "config.yaml")  # the schema's false
