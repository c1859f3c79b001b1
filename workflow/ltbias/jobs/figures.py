"""Job `figures`: per-class accuracy, accuracy against M, the D x P gain heatmap, and
accuracy against inference cost."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .. import config, experiment, files, prior
from ..metrics import cross_table
from ..prior import P_GROUPS
from ..splits import D_GROUPS
from ..subsets import subset_name
from ..tradeoff import tradeoff
from ..variants import UNIFORM
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings(experiment.Members):
    prior: config.PriorConfig


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    prior = config.block(config.PriorConfig, cfg, "prior")
    return Settings(**experiment.members(cfg, wildcards["dataset"]), prior=prior)


def run(
    settings: Settings,
    *,
    metrics: str | os.PathLike,
    per_class: str | os.PathLike,
    lift_prior: str | os.PathLike,
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
    from .. import figures  # matplotlib: not loaded to build settings

    context.start(log)
    found = pd.read_csv(metrics)
    uniform = found[(found["variant"] == UNIFORM) & (found["protocol"] == "single")]
    accuracy = pd.read_csv(per_class)
    backbones, names = settings.backbones, settings.display_names
    full = subset_name(backbones)
    singles = uniform[uniform["size"] == 1]
    best = singles.loc[singles["all"].idxmax(), "subset"]
    shown = [best] if best == full else [best, full]
    labels = [
        f"best single ({names[best]})" if s == best and s != full else f"all {len(backbones)} backbones" for s in shown
    ]
    figures.per_class_accuracy(accuracy, shown, labels, per_class_accuracy)
    figures.accuracy_vs_members(uniform, accuracy_vs_members)
    lift = settings.lift_backbone
    fractions = (settings.prior.many_fraction, settings.prior.few_fraction)
    groups = prior.p_groups(prior.load_prior(lift_prior, accuracy), *fractions)
    gain = (accuracy[full] - accuracy[lift]).to_numpy() / 100.0  # cross_table reports percent
    table = cross_table(gain, accuracy["d_group"].to_numpy(), groups, D_GROUPS, P_GROUPS)
    title = f"all {len(backbones)} minus {names[lift]} (LIFT), P-groups of {names[lift]}"
    figures.dxp_gain_heatmap(table, title, dxp_gain)
    member_costs = {b: files.load_cost(path) for b, path in zip(backbones, costs, strict=True)}
    points = tradeoff(uniform, member_costs)
    members = [subset.split("+") for subset in points["subset"]]
    figures.accuracy_vs_cost(points, ["+".join(names[b] for b in m) for m in members], accuracy_vs_cost)
