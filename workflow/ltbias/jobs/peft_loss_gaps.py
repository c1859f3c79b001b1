"""Job `peft_loss_gaps`: the paper's Fig. 3 as a table and a figure. The LIFT backbone
fine-tuned with each PEFT method and loss, by D-group and P-group with intervals, and the
two gaps (Many minus Few) that say whether a recipe removes the data imbalance, the
parameter imbalance, or only the first."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import caches, config, experiment, gaps, tables
from ..prior import load_prior, p_groups
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    backbone: str  # the LIFT backbone
    cells: tuple[tuple[str, str], ...]  # (peft, loss) of each `cells` input, in order
    prior: config.PriorConfig
    ensemble: config.EnsembleConfig
    decimals: int


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    return Settings(
        experiment.lift_backbone(cfg, wildcards["dataset"]),
        tuple(experiment.fig3_cells(cfg)),
        config.block(config.PriorConfig, cfg, "prior"),
        config.block(config.EnsembleConfig, cfg, "ensemble"),
        cfg["tables"]["decimals"],
    )


def run(
    settings: Settings,
    *,
    cells: Sequence[str | os.PathLike],
    prior: str | os.PathLike,
    test: str | os.PathLike,
    classes: str | os.PathLike,
    figure: str | os.PathLike,
    log: str | os.PathLike | None = None,
    **outputs: str | os.PathLike,
) -> None:
    """Write `fig3.*` (`outputs` are its `fig3_<format>` paths) and the gap figure; the
    P-groups are the LIFT backbone's, by its estimated prior, for every cell."""
    from .. import figures  # matplotlib: not loaded to build settings

    context.start(log)
    class_table = pd.read_csv(classes)
    labels = pd.read_csv(test)["label"].to_numpy()
    estimate = load_prior(prior, class_table)
    groupings = {
        "d": class_table["d_group"].to_numpy(),
        "p": p_groups(estimate, settings.prior.many_fraction, settings.prior.few_fraction),
    }
    correct = np.stack(
        [caches.load_logits(path, test, len(class_table), labels)[0].argmax(1) == labels for path in cells], axis=1
    )
    cfg = settings.ensemble
    measured = gaps.group_gaps(correct, labels, groupings, cfg.bootstrap_resamples, cfg.bootstrap_seed)
    peft, loss = zip(*settings.cells, strict=True)
    frame = tables.gap_table(measured.assign(peft=peft, loss=loss))
    tables.write_table(frame, **tables.output_paths(outputs, ["fig3"])["fig3"], decimals=settings.decimals)
    figures.peft_loss_gaps(frame, figure)
