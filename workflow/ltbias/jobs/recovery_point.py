"""Job `recovery_point`: one toy backbone pretrained at one point of the prior-recovery
sweep, and how well the paper's estimator recovers its pre-training prior there."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .. import config, experiment, files, toyworld
from . import context
from .pretrain_toy import settings as pretraining_settings

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    backbone: config.Backbone  # as configured
    world: toyworld.ToyWorld  # at this point
    pretrain: config.PretrainConfig  # at this point
    negatives: str
    lever: str | None
    value: float
    templates: tuple[str, ...]  # the zero-shot classifier's
    val_per_class: tuple[int, ...]  # sample sizes the estimate is given, per class
    prior: config.PriorConfig
    seed: int  # of the rendered sample


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    """The backbone's pretraining settings with the point's lever moved; the zero-shot
    classifier averages the toy captions, as the toy config's `zeroshot_templates`."""
    point = experiment.recovery_points(cfg)[wildcards["point"]]
    base = pretraining_settings(cfg, wildcards)
    world, moved = experiment.apply_point(base.world, base.pretrain, point)
    own = cfg["datasets"][wildcards["dataset"]]["split"]["val_per_class"]
    sizes = tuple(sorted({*experiment.RECOVERY_VAL_PER_CLASS, own}))
    prior = config.block(config.PriorConfig, cfg, "prior")
    seed = world.seed + 1  # not the raw dataset's draw
    return Settings(
        base.backbone, world, moved, point["negatives"], point["lever"], point["value"], moved.templates,
        sizes, prior, seed,
    )  # fmt: skip


def run(
    settings: Settings,
    *,
    measured: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
) -> None:
    """Pretrain, then write the records of `recovery.measure_recovery`, each with the
    backbone, the negatives, the lever and its value."""
    from .. import backbones, pretrain, recovery, runtime  # torch's side: not loaded to build settings

    context.start(log)
    runtime.set_threads(threads)
    checked = backbones.resolve(settings.backbone)
    state, counts, _ = pretrain.pretrain(checked.model, settings.world, settings.pretrain, checked.preprocess)
    clip = backbones.random_clip(checked.model)
    clip.load_state_dict(state)
    fractions = (settings.prior.many_fraction, settings.prior.few_fraction)
    records = recovery.measure_recovery(
        clip.eval(), checked.model, settings.world, counts["count"].to_numpy(), settings.templates,
        checked.preprocess, settings.seed, settings.val_per_class, fractions,
    )  # fmt: skip
    point = {"backbone": settings.backbone.key, "negatives": settings.negatives, "lever": settings.lever}
    files.save_json(measured, [point | {"value": settings.value} | record for record in records])
