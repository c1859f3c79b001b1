"""Job `pretrain_toy`: contrastive pretraining of one toy backbone on its caption corpus."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import config, files, pretrain, runtime, toyworld
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    world: toyworld.ToyWorld
    pretrain: config.PretrainConfig


def run(
    settings: Settings,
    *,
    backbone: str | os.PathLike,
    weights: str | os.PathLike,
    counts: str | os.PathLike,
    history: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
) -> None:
    """Write the weights (an open_clip state dict), the corpus counts and the loss history."""
    context.start(log)
    runtime.set_threads(threads)
    checked = config.read_backbone(backbone)
    state, class_counts, losses = pretrain.pretrain(
        checked.model, settings.world, settings.pretrain, checked.preprocess
    )
    files.save_torch(weights, state)
    files.save_csv(counts, class_counts)
    files.save_json(history, losses)
