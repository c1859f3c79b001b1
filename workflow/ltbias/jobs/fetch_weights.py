"""Job `fetch_weights`: download an open_clip pretrained tag once (login node, internet)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import backbones, config
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    backbone: config.Backbone  # its key, model and tag: nothing else decides the file


def run(settings: Settings, *, weights: str | os.PathLike, log: str | os.PathLike | None = None) -> None:
    """Check the tag against the model (activation included), then store its state dict at
    `weights`."""
    context.start(log)
    backbones.check_backbone(settings.backbone)
    backbones.fetch_pretrained(settings.backbone.model, settings.backbone.weights["tag"], weights)
