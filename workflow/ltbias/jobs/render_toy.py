"""Job `render_toy`: the toy world's class-balanced raw dataset as image folders."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .. import config, toyworld
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    world: toyworld.ToyWorld
    images_per_class: dict[str, int]  # per folder: train (pool for train and val), val (test)


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    """The toy world, and per class the largest train class plus val (the train folder)
    and test (the val folder)."""
    split = cfg["datasets"][wildcards["dataset"]]["split"]
    images = {"train": split["max_count"] + split["val_per_class"], "val": split["test_per_class"]}
    return Settings(config.block(toyworld.ToyWorld, cfg, "toy_world"), images)


def run(settings: Settings, *, raw: str | os.PathLike, log: str | os.PathLike | None = None) -> None:
    context.start(log)
    toyworld.write_raw_dataset(settings.world, raw, settings.images_per_class)
