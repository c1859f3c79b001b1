"""Rule `fetch_weights`: download an open_clip pretrained tag once (login node, internet)."""

from __future__ import annotations

import os

from .. import backbones, files
from . import context

__all__ = ["run"]


def run(*, backbone_json: str | os.PathLike, weights: str | os.PathLike, log: str | os.PathLike | None = None) -> None:
    """Store the state dict of the checked backbone's tag at `weights`."""
    context.start(log)
    backbone = files.load_json(backbone_json)
    backbones.fetch_pretrained(backbone["model"], backbone["weights"]["tag"], weights)
