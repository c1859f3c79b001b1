"""Rule `check_backbone`: one backbone's model, weight source and activation; its preprocessing."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from .. import backbones, files
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    key: str
    backbone: dict  # model, weights, preprocess override

    @classmethod
    def from_params(cls, key: str, backbone: str) -> Settings:
        return cls(key, json.loads(backbone))


def run(settings: Settings, *, backbone_json: str | os.PathLike, log: str | os.PathLike | None = None) -> None:
    """Refuse an unknown model or tag or an activation mismatch; write the backbone with the
    preprocessing its weights need."""
    context.start(log)
    backbones.check_backbone(settings.key, settings.backbone)
    preprocess = backbones.preprocess_config(settings.backbone)
    files.save_json(backbone_json, settings.backbone | {"preprocess": preprocess})
