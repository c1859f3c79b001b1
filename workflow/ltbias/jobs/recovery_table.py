"""Job `recovery_table`: how well the paper's estimator recovers the toy backbones' known
pre-training priors, as a function of each lever of the sweep (`ltbias.recovery`): a table
and a figure."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .. import files, tables
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    val_per_class: int  # the dataset's: the sample size the pretraining levers are read at
    solver: str  # the config's `prior.solver`
    decimals: int


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    split = cfg["datasets"][wildcards["dataset"]]["split"]
    return Settings(split["val_per_class"], cfg["prior"]["solver"], cfg["tables"]["decimals"])


def run(
    settings: Settings,
    *,
    measured: Sequence[str | os.PathLike],
    figure: str | os.PathLike,
    log: str | os.PathLike | None = None,
    **outputs: str | os.PathLike,
) -> None:
    """Write `prior_recovery.*` (`outputs`: `prior_recovery_<format>` paths) and its figure
    from the `recovery_point` records of every point and backbone (`measured`)."""
    from .. import figures  # matplotlib: not loaded to build settings

    context.start(log)
    records = pd.DataFrame([record for path in measured for record in files.load_json(path)])
    summary = tables.recovery_levers(records, settings.val_per_class, settings.solver)
    paths = tables.output_paths(outputs, ["prior_recovery"])["prior_recovery"]
    tables.write_table(tables.recovery_table(summary), **paths, decimals=settings.decimals)
    figures.prior_recovery(summary, figure)
