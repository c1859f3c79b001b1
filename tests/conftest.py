"""Shared fixtures: paths, a tiny toy world, and a tiny classifier."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from helpers import TOY_MODEL
from ltbias import backbones, models, toyworld


@pytest.fixture
def small_world() -> toyworld.ToyWorld:
    colors = dict(list(toyworld.DEFAULT_COLORS.items())[:3])
    return toyworld.ToyWorld(colors=colors, patterns=("plain", "striped", "dotted"))


@pytest.fixture
def toy_weights(tmp_path: Path) -> Path:
    """A randomly initialised toy open_clip checkpoint written by the test."""
    torch.manual_seed(0)
    path = tmp_path / "toy_weights.pt"
    torch.save(backbones.random_clip(TOY_MODEL).state_dict(), path)
    return path


@pytest.fixture
def toy_preprocess() -> dict:
    return backbones.preprocess_config({"model": TOY_MODEL, "weights": {"toy": {}}})


@pytest.fixture
def toy_classifier(
    toy_weights: Path, toy_preprocess: dict, small_world: toyworld.ToyWorld
) -> models.LongTailClassifier:
    clip = backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess)
    return models.build_classifier(clip, TOY_MODEL, small_world.class_names, "a photo of a {}.", 25.0)
