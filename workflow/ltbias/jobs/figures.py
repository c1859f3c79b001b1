"""Rule `figures`: per-class accuracy, accuracy against M, the D x P gain heatmap, and
accuracy against inference cost."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .. import config, figures, files, prior, tables
from ..metrics import cross_table
from ..prior import P_GROUPS
from ..splits import D_GROUPS
from ..subsets import subset_name
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    backbones: tuple[str, ...]  # ensemble order
    display_names: dict[str, str]
    lift_backbone: str
    prior: config.PriorConfig

    @classmethod
    def from_params(cls, params: str) -> Settings:
        raw = json.loads(params)
        return cls(
            tuple(raw["backbones"]),
            raw["display_names"],
            raw["lift_backbone"],
            config.from_dict(config.PriorConfig, raw["prior"], "prior"),
        )


def run(
    settings: Settings,
    *,
    metrics_csv: str | os.PathLike,
    per_class_csv: str | os.PathLike,
    lift_prior_csv: str | os.PathLike,
    costs: Sequence[str | os.PathLike],
    per_class_accuracy: str | os.PathLike,
    accuracy_vs_members: str | os.PathLike,
    dxp_gain: str | os.PathLike,
    accuracy_vs_cost: str | os.PathLike,
    log: str | os.PathLike | None = None,
) -> None:
    """Draw the four figures of a dataset as SVG.

    The heatmap compares the full ensemble with LIFT class by class, with both grouped by
    the P-groups of the LIFT backbone's estimated prior, so every cell holds the same
    classes for both.
    """
    context.start(log)
    metrics = pd.read_csv(metrics_csv).query("variant == 'uniform' and protocol == 'single'")
    per_class = pd.read_csv(per_class_csv)
    backbones, names = settings.backbones, settings.display_names
    full = subset_name(backbones)
    singles = metrics[metrics["size"] == 1]
    best = singles.loc[singles["all"].idxmax(), "subset"]
    shown = [best] if best == full else [best, full]
    labels = [
        f"best single ({names[best]})" if s == best and s != full else f"all {len(backbones)} backbones" for s in shown
    ]
    figures.per_class_accuracy(per_class, shown, labels, per_class_accuracy)
    figures.accuracy_vs_members(metrics, accuracy_vs_members)
    lift = settings.lift_backbone
    fractions = (settings.prior.many_fraction, settings.prior.few_fraction)
    groups = prior.p_groups(prior.load_prior(lift_prior_csv, per_class), *fractions)
    gain = (per_class[full] - per_class[lift]).to_numpy() / 100.0  # cross_table reports percent
    table = cross_table(gain, per_class["d_group"].to_numpy(), groups, D_GROUPS, P_GROUPS)
    title = f"all {len(backbones)} minus {names[lift]} (LIFT), P-groups of {names[lift]}"
    figures.dxp_gain_heatmap(table, title, dxp_gain)
    measured = {b: files.load_cost(path) for b, path in zip(backbones, costs, strict=True)}
    cost = tables.table9(metrics, measured, backbones, names)
    labels = ["+".join(names[b] for b in backbones if cost.at[i, names[b]] == tables.CHECK) for i in cost.index]
    figures.accuracy_vs_cost(cost, labels, accuracy_vs_cost)
