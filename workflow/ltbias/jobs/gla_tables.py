"""Rule `gla_tables`: the paper's Table 3 (LA, GLA-Train and GLA post-hoc logits of the
LIFT backbone) and Table 4 (kNN feature accuracy of LA and GLA-Train), with intervals."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import caches, config, ensemble, intervals, prior, tables
from . import context

__all__ = ["Settings", "run"]

# metrics variant -> method, in table order
TABLE3_METHODS = {"uniform": "LA", "gla-train": "GLA-Train", "gla": "GLA post-hoc"}
TABLE4_METHODS = {"uniform": "LA", "gla-train": "GLA-Train"}


@dataclass(frozen=True)
class Settings:
    backbone: str  # the LIFT backbone, fine-tuned with both losses
    prior: config.PriorConfig
    ensemble: config.EnsembleConfig
    decimals: int

    @classmethod
    def from_params(cls, params: str) -> Settings:
        """From the rule's JSON params: `backbone`, `prior`, `ensemble`, `decimals`."""
        raw = json.loads(params)
        return cls(
            raw["backbone"],
            config.from_dict(config.PriorConfig, raw["prior"], "prior"),
            config.from_dict(config.EnsembleConfig, raw["ensemble"], "ensemble"),
            raw["decimals"],
        )


def _evaluate(
    settings: Settings,
    la: np.ndarray,
    gla_train: np.ndarray,
    labels: np.ndarray,
    classes: pd.DataFrame,
    estimate: np.ndarray,
    post_hoc: bool,
) -> pd.DataFrame:
    """Metrics rows with intervals of the LA logits (and, with `post_hoc`, of them minus
    log q) and of the GLA-Train logits, P-groups by the backbone's estimated prior."""
    backbone = settings.backbone
    common = {
        "priors": {backbone: estimate},
        "p_fractions": (settings.prior.many_fraction, settings.prior.few_fraction),
    }
    offsets = {"gla": {backbone: np.log(estimate).astype(np.float32)}} if post_hoc else None
    evaluation = ensemble.evaluate_ensembles([backbone], [la], labels, classes, offsets=offsets, **common)
    trained = ensemble.evaluate_ensembles([backbone], [gla_train], labels, classes, **common)
    evaluation = evaluation.with_rows(trained, "gla-train")
    cfg = settings.ensemble
    rows, _ = intervals.with_intervals(evaluation, labels, backbone, cfg.bootstrap_resamples, cfg.bootstrap_seed)
    return rows


def run(
    settings: Settings,
    *,
    la_logits: dict[str, str | os.PathLike],
    gla_train_logits: dict[str, str | os.PathLike],
    la_knn: str | os.PathLike,
    gla_train_knn: str | os.PathLike,
    prior_csv: str | os.PathLike,
    test_csv: str | os.PathLike,
    classes_csv: str | os.PathLike,
    table3: dict[str, str | os.PathLike],
    table4: dict[str, str | os.PathLike],
    log: str | os.PathLike | None = None,
) -> None:
    """Write Table 3 and Table 4; `la_logits` and `gla_train_logits` map each test protocol
    (`single`, `tte`) to a cached test-logits file, `table3` and `table4` each format to a path."""
    context.start(log)
    classes = pd.read_csv(classes_csv)
    labels = pd.read_csv(test_csv)["label"].to_numpy()
    estimate = prior.load_prior(prior_csv, classes)

    def load(path: str | os.PathLike) -> np.ndarray:
        return caches.load_logits(path, test_csv, len(classes), labels)[0]

    rows = []
    for protocol in tables.PROTOCOLS:
        evaluated = _evaluate(
            settings, load(la_logits[protocol]), load(gla_train_logits[protocol]), labels, classes, estimate, True
        )
        rows.append(evaluated.assign(protocol=protocol))
    t3 = tables.method_table(pd.concat(rows, ignore_index=True), TABLE3_METHODS)
    tables.write_table(t3, **table3, decimals=settings.decimals)
    knn = _evaluate(settings, load(la_knn), load(gla_train_knn), labels, classes, estimate, False)
    t4 = tables.method_table(knn, TABLE4_METHODS)
    tables.write_table(t4, **table4, decimals=settings.decimals)
