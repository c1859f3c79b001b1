"""Job `pretrain_toy`: contrastive pretraining of one toy backbone on its caption corpus."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .. import config, files, toyworld
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    backbone: config.Backbone  # as configured: its preprocess an override, if any
    world: toyworld.ToyWorld
    pretrain: config.PretrainConfig


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    """The world and `toy_pretrain`, overridden by the backbone's `weights.toy` (its seed
    and imbalance)."""
    backbone = wildcards["backbone"]
    toy = cfg["backbones"][backbone]["weights"]["toy"]
    where = f"toy_pretrain (with backbones.{backbone}.weights.toy)"
    pretraining = config.from_dict(config.PretrainConfig, cfg["toy_pretrain"] | toy, where)
    world = config.block(toyworld.ToyWorld, cfg, "toy_world")
    return Settings(config.configured_backbone(cfg, backbone), world, pretraining)


def run(
    settings: Settings,
    *,
    weights: str | os.PathLike,
    counts: str | os.PathLike,
    history: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
) -> None:
    """Write the weights (an open_clip state dict), the corpus counts and the loss history."""
    from .. import backbones, pretrain, runtime  # torch's side: not loaded to build settings

    context.start(log)
    runtime.set_threads(threads)
    checked = backbones.resolve(settings.backbone)
    state, class_counts, losses = pretrain.pretrain(
        checked.model, settings.world, settings.pretrain, checked.preprocess
    )
    files.save_torch(weights, state)
    files.save_csv(counts, class_counts)
    files.save_json(history, losses)
