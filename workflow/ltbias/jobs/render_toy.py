"""Job `render_toy`: the toy world's class-balanced raw dataset as image folders."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import toyworld
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    world: toyworld.ToyWorld
    images_per_class: dict[str, int]  # per folder: train (pool for train and val), val (test)


def run(settings: Settings, *, raw: str | os.PathLike, log: str | os.PathLike | None = None) -> None:
    context.start(log)
    toyworld.write_raw_dataset(settings.world, raw, settings.images_per_class)
