"""Job `tables`: Tables 6, 8 and 9 and the zero-shot table of one dataset as CSV, Markdown
and LaTeX."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .. import config, experiment, files, tables
from . import context

__all__ = ["Settings", "run", "settings"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings(experiment.Members):
    dataset: str  # its key in the baselines file
    epochs: dict[str, int]  # each backbone's fine-tuning epochs (its overrides included)
    decimals: int


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    dataset = wildcards["dataset"]
    members = experiment.members(cfg, dataset)
    return Settings(
        **members,
        dataset=dataset,
        epochs={b: config.finetune_block(cfg, b)["epochs"] for b in members["backbones"]},
        decimals=cfg["tables"]["decimals"],
    )


def run(
    settings: Settings,
    *,
    metrics: str | os.PathLike,
    comparisons: str | os.PathLike,
    baselines: str | os.PathLike,
    costs: Sequence[str | os.PathLike],
    log: str | os.PathLike | None = None,
    **outputs: str | os.PathLike,
) -> None:
    """Write the tables; `costs` are the backbones' `cost.json` files (in `backbones` order);
    `outputs` are `<table>_<format>` paths (`tables.output_paths`) of `table6`, `table8`
    (one centre crop), `table8_tte` (five-crop TTE), `table9`, `zeroshot` and `members`. A
    member that lowers the ensemble or is far weaker than the others is also warned about."""
    context.start(log)
    paths = tables.output_paths(outputs, ("table6", "table8", "table8_tte", "table9", "zeroshot", "members"))
    accuracies = pd.read_csv(metrics)
    published = (yaml.safe_load(Path(baselines).read_text(encoding="utf-8")) or {}).get(settings.dataset, {})
    backbones = settings.backbones
    t6 = tables.table6(
        accuracies,
        settings.lift_backbone,
        backbones,
        settings.epochs,
        published.get("table6", []),
        published.get("paper"),
    )
    compared = pd.read_csv(comparisons)
    t8 = tables.table8(accuracies, backbones, settings.display_names, published.get("table8", []), compared)
    differences = [f"Reproduced{name} - paper" for name in tables.PROTOCOLS.values()]
    tables.write_table(t6, **paths["table6"], decimals=settings.decimals, exclude_from_best=differences)
    tables.write_table(t8, **paths["table8"], decimals=settings.decimals)
    paper_rows = published.get("table8", [])
    t8_tte = tables.table8(accuracies, backbones, settings.display_names, paper_rows, compared, protocol="tte")
    tables.write_table(t8_tte, **paths["table8_tte"], decimals=settings.decimals)
    member_costs = {b: files.load_cost(path) for b, path in zip(backbones, costs, strict=True)}
    t9 = tables.table9(accuracies, member_costs, backbones, settings.display_names)
    tables.write_table(t9, **paths["table9"], decimals=settings.decimals)
    t0 = tables.zeroshot_table(accuracies, backbones, settings.display_names)
    tables.write_table(t0, **paths["zeroshot"], decimals=settings.decimals)
    members = tables.member_table(accuracies, backbones, settings.display_names)
    for _, row in members[members["Note"] != ""].iterrows():
        logger.warning("member %s: %s (%s)", row["Backbone"], row["Note"], row.drop(["Backbone", "Note"]).to_dict())
    tables.write_table(members, **paths["members"], decimals=settings.decimals)
