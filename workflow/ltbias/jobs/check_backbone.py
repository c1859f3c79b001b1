"""Job `check_backbone`: one backbone's model, weight source and activation; its preprocessing."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from .. import backbones, config, files
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    backbone: config.Backbone  # as configured: preprocess is an override, if any


def run(settings: Settings, *, backbone: str | os.PathLike, log: str | os.PathLike | None = None) -> None:
    """Refuse an unknown model or tag or an activation mismatch; write the backbone with the
    preprocessing its weights need."""
    context.start(log)
    backbones.check_backbone(settings.backbone)
    checked = dataclasses.replace(settings.backbone, preprocess=backbones.preprocess_config(settings.backbone))
    files.save_json(backbone, config.as_dict(checked))
