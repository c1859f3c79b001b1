"""Rule `pretrain_toy`: contrastive pretraining of one toy backbone on its caption corpus."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from .. import config, files, pretrain, runtime, toyworld
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    world: toyworld.ToyWorld
    pretrain: config.PretrainConfig

    @classmethod
    def from_params(cls, world: str, pretrain: str) -> Settings:
        return cls(
            toyworld.ToyWorld.from_dict(json.loads(world)),
            config.from_dict(config.PretrainConfig, json.loads(pretrain), "toy_pretrain"),
        )


def run(
    settings: Settings,
    *,
    backbone_json: str | os.PathLike,
    weights: str | os.PathLike,
    counts_csv: str | os.PathLike,
    history_json: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
) -> None:
    """Write the weights (an open_clip state dict), the corpus counts and the loss history."""
    context.start(log)
    runtime.set_threads(threads)
    backbone = files.load_json(backbone_json)
    state, counts, history = pretrain.pretrain(
        backbone["model"], settings.world, settings.pretrain, backbone["preprocess"]
    )
    files.save_torch(weights, state)
    files.save_csv(counts_csv, counts)
    files.save_json(history_json, history)
