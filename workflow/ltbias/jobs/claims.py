"""Job `claims`: the paper's claims, each with its measured quantity, paired 95 % interval
and verdict (`ltbias.claims`); on the toy world once with the estimated priors and once
with the true pre-training counts, side by side."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import caches, claims, config, experiment, tables
from ..prior import load_prior
from ..true_prior import load_pretrain_counts
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings(experiment.Members):
    prior: config.PriorConfig
    ensemble: config.EnsembleConfig
    decimals: int


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    return Settings(
        **experiment.members(cfg, wildcards["dataset"]),
        prior=config.block(config.PriorConfig, cfg, "prior"),
        ensemble=config.block(config.EnsembleConfig, cfg, "ensemble"),
        decimals=cfg["tables"]["decimals"],
    )


def _seeds_claim(controls: Sequence[str | os.PathLike], scope: str) -> dict:
    """The largest M's `M backbones minus M seeds` row of `controls.csv`, on All."""
    if not controls:
        return claims.external_claim(None, None, None, scope)
    table = pd.read_csv(controls[0])
    differences = table[table["Method"].str.contains(" minus ", regex=False)]
    last = differences.loc[differences["M"].idxmax()]
    return claims.external_claim(last["All"], last["All lo"], last["All hi"], f"{scope}, M = {last['M']}")


def run(
    settings: Settings,
    *,
    test_logits: Sequence[str | os.PathLike],
    priors: Sequence[str | os.PathLike],
    true_counts: Sequence[str | os.PathLike],
    cross_entropy: Sequence[str | os.PathLike],
    controls: Sequence[str | os.PathLike],
    test: str | os.PathLike,
    classes: str | os.PathLike,
    log: str | os.PathLike | None = None,
    **outputs: str | os.PathLike,
) -> None:
    """Write `claims.*` (`outputs`: `claims_<format>` paths).

    `test_logits` and `priors` hold one file per backbone (ensemble order), `true_counts`
    one per backbone or none; `cross_entropy` is empty (Fig. 3 not run) or the LIFT
    backbone's CE and LA test logits under its PEFT method; `controls` is empty or the
    `controls.csv` of `snakemake controls`.
    """
    context.start(log)
    class_table = pd.read_csv(classes)
    labels = pd.read_csv(test)["label"].to_numpy()
    backbones, names = list(settings.backbones), settings.display_names

    def correct(path: str | os.PathLike) -> np.ndarray:
        return caches.load_logits(path, test, len(class_table), labels)[0].argmax(axis=1) == labels

    logits = [caches.load_logits(p, test, len(class_table), labels)[0] for p in test_logits]
    fine_tuned = {b: z.argmax(axis=1) == labels for b, z in zip(backbones, logits, strict=True)}
    ensemble = np.sum(logits, axis=0).argmax(axis=1) == labels
    cross_entropy_rows = None
    if cross_entropy:
        ce, la = (correct(path) for path in cross_entropy)
        cross_entropy_rows = (settings.lift_backbone, ce, la)
    priors_by = {"estimate": {b: load_prior(p, class_table) for b, p in zip(backbones, priors, strict=True)}}
    if true_counts:
        counts = [load_pretrain_counts(p, class_table) for p in true_counts]
        priors_by["true"] = {b: c / c.sum() for b, c in zip(backbones, counts, strict=True)}
    fractions = (settings.prior.many_fraction, settings.prior.few_fraction)
    cfg = settings.ensemble
    seeds = _seeds_claim(controls, " + ".join(names[b] for b in backbones))
    measured = {}
    for kind, prior_of in priors_by.items():
        found, rows = claims.paper_claims(
            fine_tuned, ensemble, labels, class_table["d_group"].to_numpy(), prior_of, names, fractions,
            cross_entropy_rows,
        )  # fmt: skip
        frame = claims.measure(found, rows, labels, cfg.bootstrap_resamples, cfg.bootstrap_seed)
        measured[kind] = pd.concat([frame, pd.DataFrame([seeds])], ignore_index=True)
    table = tables.claims_table(measured["estimate"], measured.get("true"))
    tables.write_table(table, **tables.output_paths(outputs, ["claims"])["claims"], decimals=settings.decimals)
