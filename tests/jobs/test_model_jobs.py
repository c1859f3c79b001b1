"""The jobs that run a model over the splits: fine-tuned logits and zero-shot logits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import TOY_MODEL
from ltbias import backbones, caches, config, data, files, models, splits, toyworld
from ltbias.jobs import entry, logits, zeroshot_logits

EVALUATION = {"evaluation": {"batch_size": 4, "knn_k": 3, "device": "cpu"}}


@pytest.fixture
def toy_splits(tmp_path: Path, small_world: toyworld.ToyWorld, toy_weights: Path, toy_preprocess: dict) -> dict:
    """A rendered world's val (from train/) and test (from val/) manifests, its classes, a
    checked backbone, its weights and a fine-tuned checkpoint of it."""
    toyworld.write_raw_dataset(small_world, tmp_path / "raw", {"train": 2, "val": 2})
    folders = [n.replace(" ", "_") for n in small_world.class_names]
    frames = {
        "val": splits.folder_manifest(tmp_path / "raw", "train", folders),
        "test": splits.folder_manifest(tmp_path / "raw", "val", folders),
    }
    classes = splits.class_table(small_world.class_names, frames["val"]["label"])
    paths = {"val": tmp_path / "val.csv", "test": tmp_path / "test.csv", "classes": tmp_path / "classes.csv"}
    splits.write_splits(frames, classes, manifests=paths, classes_csv=paths["classes"])
    backbone = config.Backbone("toy", TOY_MODEL, {"toy": {}}, toy_preprocess)
    clip = backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess)
    model = models.build_classifier(clip, TOY_MODEL, small_world.class_names, "a photo of a {}.", 25.0)
    torch.nn.init.normal_(model.head.weight)  # a head unlike the text features: logits that differ by class
    payload = models.checkpoint_payload(model, config.as_dict(backbone), small_world.class_names, {}, {})
    files.save_torch(tmp_path / "checkpoint.pt", payload)
    return paths | {
        "weights": toy_weights,
        "checkpoint": tmp_path / "checkpoint.pt",
        "root": tmp_path / "raw",
        "model": model,
        "preprocess": toy_preprocess,
    }


def _first_image(paths: dict, split: str) -> torch.Tensor:
    manifest = pd.read_csv(paths[split])
    dataset = data.ManifestDataset(paths["root"], manifest, data.test_transform(paths["preprocess"]))
    return dataset[0][0].unsqueeze(0)


def test_logits_are_the_fine_tuned_models_on_every_split_and_protocol(toy_splits, tmp_path):
    out = tmp_path / "out"
    outputs = {
        name: out / f"{name}.{ext}"
        for name, ext in (("val_logits", "npz"), ("test_logits", "npz"), ("test_tte_logits", "npz"), ("knn", "npz"))
    } | {"cost": out / "cost.json", "provenance": out / "provenance.json"}
    inputs = {k: toy_splits[k] for k in ("checkpoint", "weights", "val", "test")}
    params = {"settings": EVALUATION, "root": toy_splits["root"]}
    entry.call(logits, inputs=inputs, outputs=outputs, params=params, threads=1)
    n_classes = 9
    test, _ = caches.load_logits(outputs["test_logits"], toy_splits["test"], n_classes)
    assert test.shape == (18, n_classes)
    model = toy_splits["model"].eval()
    with torch.no_grad():
        expected = model(_first_image(toy_splits, "test")).numpy()[0]
    assert test[0] == pytest.approx(expected, abs=1e-4)
    tte, _ = caches.load_logits(outputs["test_tte_logits"], toy_splits["test"], n_classes)
    assert not np.allclose(tte, test)  # five crops, not the centre one
    votes, _ = caches.load_logits(outputs["knn"], toy_splits["test"], n_classes)
    assert ((votes > 0).sum(axis=1) <= 3).all()  # votes of the k = 3 nearest val images only
    assert set(files.COST_KEYS) <= set(json.loads(outputs["cost"].read_text()))
    provenance = json.loads(outputs["provenance"].read_text())
    assert provenance["config"] == {"evaluation": config.as_dict(config.EvalConfig(**EVALUATION["evaluation"]))}


def test_zero_shot_logits_are_scaled_cosines_with_the_template_ensemble(toy_splits, tmp_path, toy_weights):
    out = tmp_path / "zs"
    outputs = {"val_logits": out / "val.npz", "test_logits": out / "test.npz", "provenance": out / "p.json"}
    outputs["test_tte_logits"] = out / "test_tte.npz"
    inputs = {k: toy_splits[k] for k in ("weights", "val", "test", "classes")}
    templates = ["a drawing of a {}.", "a {}."]
    settings = EVALUATION | {
        "templates": templates,
        "backbone": {"key": "toy", "model": TOY_MODEL, "weights": {"toy": {}}},
    }
    params = {"settings": settings, "root": toy_splits["root"]}
    entry.call(zeroshot_logits, inputs=inputs, outputs=outputs, params=params)
    val, _ = caches.load_logits(outputs["val_logits"], toy_splits["val"], 9)
    clip = backbones.load_clip(TOY_MODEL, toy_weights, toy_splits["preprocess"])
    class_names = pd.read_csv(toy_splits["classes"])["class_name"].tolist()
    model = models.ZeroShotClassifier(clip, TOY_MODEL, class_names, templates).eval()
    with torch.no_grad():
        expected = model(_first_image(toy_splits, "val")).numpy()[0]
    assert val[0] == pytest.approx(expected, abs=1e-4)
    assert np.abs(val).max() <= model.logit_scale + 1e-4  # |cos| <= 1
    tte, _ = caches.load_logits(outputs["test_tte_logits"], toy_splits["test"], 9)
    test, _ = caches.load_logits(outputs["test_logits"], toy_splits["test"], 9)
    assert tte.shape == test.shape and not np.allclose(tte, test)  # five crops, not the centre one
