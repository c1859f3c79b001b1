"""Rule `estimate_prior`: a backbone's pre-training label prior from its zero-shot val logits."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pandas as pd
from scipy.stats import spearmanr

from .. import caches, config, files, prior
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    prior: config.PriorConfig

    @classmethod
    def from_params(cls, params: str) -> Settings:
        """From the rule's JSON params: the `prior` block."""
        return cls(config.from_dict(config.PriorConfig, json.loads(params), "prior"))


def run(
    settings: Settings,
    *,
    zeroshot_val: str | os.PathLike,
    val_csv: str | os.PathLike,
    classes_csv: str | os.PathLike,
    prior_csv: str | os.PathLike,
    info_json: str | os.PathLike,
    true_counts_csv: str | os.PathLike | None = None,
    log: str | os.PathLike | None = None,
) -> None:
    """Write the estimated prior (`label, class_name, prior`) and its fit info.

    With the toy world's `pretrain_counts.csv` the info adds the Spearman correlation of
    the estimate with the true pretraining counts.
    """
    context.start(log)
    classes = pd.read_csv(classes_csv)
    logits, labels = caches.load_logits(zeroshot_val, val_csv, len(classes))
    estimate, info = prior.estimate_prior(logits, labels, calibrate=settings.prior.calibrate)
    info["zero_shot_accuracy"] = 100.0 * float((logits.argmax(axis=1) == labels).mean())
    if true_counts_csv is not None:
        counts = pd.read_csv(true_counts_csv)["count"].to_numpy()
        info["spearman_vs_pretrain_counts"] = float(spearmanr(estimate, counts).statistic)
    files.save_csv(prior_csv, classes[["label", "class_name"]].assign(prior=estimate))
    files.save_json(info_json, info)
