"""Job `estimate_prior`: a backbone's pre-training label prior from its zero-shot val logits."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .. import caches, config, files
from ..config import PRIOR_SOLVERS
from ..prior import estimate_prior, solver_agreement
from ..true_prior import load_pretrain_counts
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    prior: config.PriorConfig


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    return Settings(config.block(config.PriorConfig, cfg, "prior"))


def run(
    settings: Settings,
    *,
    zeroshot: str | os.PathLike,
    val: str | os.PathLike,
    classes: str | os.PathLike,
    prior: str | os.PathLike,
    info: str | os.PathLike,
    true_counts: Sequence[str | os.PathLike] = (),
    log: str | os.PathLike | None = None,
) -> None:
    """Write the estimated prior (`label, class_name, prior`) from the zero-shot val logits,
    and its fit info.

    Both solvers run (`prior.solver` picks the one written); the info reports their
    agreement (`prior.solver_agreement`). With the toy world's `pretrain_counts.csv` (the
    one file of `true_counts`) the info adds the Spearman correlation of the estimate with
    the true pretraining counts.
    """
    from scipy.stats import spearmanr  # not loaded to build settings, as ltbias.prior's SciPy

    context.start(log)
    class_table = pd.read_csv(classes)
    logits, labels = caches.load_logits(zeroshot, val, len(class_table))
    cfg = settings.prior
    estimates = {
        solver: estimate_prior(logits, labels, calibrate=cfg.calibrate, solver=solver) for solver in PRIOR_SOLVERS
    }
    estimate, fit = estimates[cfg.solver]
    fit["solvers"] = solver_agreement(
        estimates["exact"][0], estimates["reference"][0], cfg.many_fraction, cfg.few_fraction
    )
    fit["zero_shot_accuracy"] = 100.0 * float((logits.argmax(axis=1) == labels).mean())
    for counts_csv in true_counts:
        counts = load_pretrain_counts(counts_csv, class_table)
        fit["spearman_vs_pretrain_counts"] = float(spearmanr(estimate, counts).statistic)
    files.save_csv(prior, class_table[["label", "class_name"]].assign(prior=estimate))
    files.save_json(info, fit)
