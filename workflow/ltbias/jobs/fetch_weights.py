"""Job `fetch_weights`: download an open_clip pretrained tag once (login node, internet)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass

from .. import config
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    backbone: config.Backbone  # its key, model and tag: nothing else decides the file


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    """The model and tag (not the preprocessing, which does not change the file)."""
    configured = config.configured_backbone(cfg, wildcards["backbone"])
    return Settings(dataclasses.replace(configured, preprocess=None))


def run(settings: Settings, *, weights: str | os.PathLike, log: str | os.PathLike | None = None) -> None:
    """Check the tag against the model (activation included), then store its state dict at
    `weights`."""
    from .. import backbones  # torch's side: not loaded to build settings

    context.start(log)
    backbones.check_backbone(settings.backbone)
    where = f"backbones.{settings.backbone.key}.weights"
    backbones.fetch_pretrained(settings.backbone.model, settings.backbone.weights["tag"], weights, where)
