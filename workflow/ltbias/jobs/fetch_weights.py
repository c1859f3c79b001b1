"""Job `fetch_weights`: download an open_clip pretrained tag once (login node, internet)."""

from __future__ import annotations

import os

from .. import backbones, config
from . import context

__all__ = ["run"]


def run(*, backbone: str | os.PathLike, weights: str | os.PathLike, log: str | os.PathLike | None = None) -> None:
    """Store the state dict of the checked backbone's tag at `weights`."""
    context.start(log)
    checked = config.read_backbone(backbone)
    backbones.fetch_pretrained(checked.model, checked.weights["tag"], weights)
