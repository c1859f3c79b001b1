"""Job `controls_table`: M seeds of one backbone against M different backbones (`controls`),
as a table with the paired differences and a figure, and every subset's spread over
training runs (`controls.seed_variance`): Tables 6 and 8 re-drawn with one seed per member."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import caches, config, controls, experiment, tables
from ..prior import load_prior, p_groups
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings(experiment.Members):
    dataset: str
    replicas: int  # seeds per backbone in `replicas`
    prior: config.PriorConfig
    ensemble: config.EnsembleConfig
    decimals: int


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    dataset = wildcards["dataset"]
    return Settings(
        **experiment.members(cfg, dataset),
        dataset=dataset,
        replicas=cfg["datasets"][dataset]["replicas"],
        prior=config.block(config.PriorConfig, cfg, "prior"),
        ensemble=config.block(config.EnsembleConfig, cfg, "ensemble"),
        decimals=cfg["tables"]["decimals"],
    )


def run(
    settings: Settings,
    *,
    replicas: Sequence[str | os.PathLike],
    priors: Sequence[str | os.PathLike],
    test: str | os.PathLike,
    classes: str | os.PathLike,
    figure: str | os.PathLike,
    log: str | os.PathLike | None = None,
    **outputs: str | os.PathLike,
) -> None:
    """Write `controls.*` and `seed_variance.*` (`outputs`: `<table>_<format>` paths) and the
    controls figure.

    `replicas` are the test logits backbone by backbone, `settings.replicas` seeds each (the
    default run's first). Every row's P-groups are those of the full ensemble: the mean of
    all backbones' estimated priors, as Table 8's last row.
    """
    from .. import figures  # matplotlib: not loaded to build settings

    context.start(log)
    if settings.replicas < 2:
        raise ValueError(f"datasets.{settings.dataset}.replicas: the controls need 2 or more, got {settings.replicas}")
    class_table = pd.read_csv(classes)
    labels = pd.read_csv(test)["label"].to_numpy()
    n, k = len(class_table), settings.replicas
    loaded = [caches.load_logits(path, test, n, labels)[0] for path in replicas]
    logits = {b: loaded[i * k : (i + 1) * k] for i, b in enumerate(settings.backbones)}
    estimates = [load_prior(path, class_table) for path in priors]
    mean_prior = np.mean([p / p.sum() for p in estimates], axis=0)
    groupings = {
        "d": class_table["d_group"].to_numpy(),
        "p": p_groups(mean_prior, settings.prior.many_fraction, settings.prior.few_fraction),
    }
    cfg = settings.ensemble
    rows, comparisons = controls.control_rows(
        logits, labels, groupings, settings.display_names, cfg.bootstrap_resamples, cfg.bootstrap_seed
    )
    frame = tables.control_table(rows, comparisons)
    differences = frame.loc[frame["Method"].str.contains(" minus "), "Method"].tolist()
    paths = tables.output_paths(outputs, ["controls", "seed_variance"])
    tables.write_table(frame, **paths["controls"], decimals=settings.decimals, exclude_from_best=differences)
    figures.control_bars(rows, figure)
    fractions = (settings.prior.many_fraction, settings.prior.few_fraction)
    spread = controls.seed_variance(
        logits, labels, groupings["d"], dict(zip(settings.backbones, estimates, strict=True)), fractions,
        cfg.seed_draws, cfg.bootstrap_seed,
    )  # fmt: skip
    seeds = tables.seed_table(spread, settings.display_names)
    tables.write_table(seeds, **paths["seed_variance"], decimals=settings.decimals)
