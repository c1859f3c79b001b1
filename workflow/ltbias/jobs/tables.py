"""Rule `tables`: Tables 6, 8 and 9 and the zero-shot table of one dataset as CSV, Markdown
and LaTeX."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .. import files, tables
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    dataset: str  # its key in the baselines file
    backbones: tuple[str, ...]  # ensemble order
    display_names: dict[str, str]
    lift_backbone: str
    epochs: dict[str, int]  # each backbone's fine-tuning epochs (its overrides included)
    decimals: int

    @classmethod
    def from_params(cls, params: str) -> Settings:
        raw = json.loads(params)
        return cls(**raw | {"backbones": tuple(raw["backbones"])})


def run(
    settings: Settings,
    *,
    metrics_csv: str | os.PathLike,
    comparisons_csv: str | os.PathLike,
    baselines_yaml: str | os.PathLike,
    costs: Sequence[str | os.PathLike],
    table6: dict[str, str | os.PathLike],
    table8: dict[str, str | os.PathLike],
    table8_tte: dict[str, str | os.PathLike],
    table9: dict[str, str | os.PathLike],
    zeroshot: dict[str, str | os.PathLike],
    log: str | os.PathLike | None = None,
) -> None:
    """Write the tables; `costs` are the backbones' `cost.json` files (in `backbones` order);
    `table6`, `table8` (one centre crop), `table8_tte` (five-crop TTE), `table9` and
    `zeroshot` map each format (`csv`, `md`, `tex`) to a path."""
    context.start(log)
    metrics = pd.read_csv(metrics_csv)
    published = (yaml.safe_load(Path(baselines_yaml).read_text(encoding="utf-8")) or {}).get(settings.dataset, {})
    backbones = settings.backbones
    t6 = tables.table6(
        metrics,
        settings.lift_backbone,
        backbones,
        settings.epochs,
        published.get("table6", []),
        published.get("paper"),
    )
    comparisons = pd.read_csv(comparisons_csv)
    t8 = tables.table8(metrics, backbones, settings.display_names, published.get("table8", []), comparisons)
    differences = [f"Reproduced{name} - paper" for name in tables.PROTOCOLS.values()]
    tables.write_table(t6, **table6, decimals=settings.decimals, exclude_from_best=differences)
    tables.write_table(t8, **table8, decimals=settings.decimals)
    paper_rows = published.get("table8", [])
    t8_tte = tables.table8(metrics, backbones, settings.display_names, paper_rows, comparisons, protocol="tte")
    tables.write_table(t8_tte, **table8_tte, decimals=settings.decimals)
    measured = {b: files.load_cost(path) for b, path in zip(backbones, costs, strict=True)}
    t9 = tables.table9(metrics, measured, backbones, settings.display_names)
    tables.write_table(t9, **table9, decimals=settings.decimals)
    t0 = tables.zeroshot_table(metrics, backbones, settings.display_names)
    tables.write_table(t0, **zeroshot, decimals=settings.decimals)
