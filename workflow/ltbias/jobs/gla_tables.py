"""Job `gla_tables`: the paper's Table 3 (LA, GLA-Train and GLA post-hoc logits of the
LIFT backbone) and Table 4 (kNN feature accuracy of LA and GLA-Train), with intervals."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import caches, config, ensemble, experiment, intervals, tables, variants
from ..prior import load_prior
from ..variants import GLA, GLA_TRAIN, UNIFORM, VARIANTS
from . import context

__all__ = ["Settings", "run", "settings"]

# metrics variant -> method, in table order
TABLE3_METHODS = {UNIFORM: "LA", GLA_TRAIN: "GLA-Train", GLA: VARIANTS[GLA].label}
TABLE4_METHODS = {UNIFORM: "LA", GLA_TRAIN: "GLA-Train"}


@dataclass(frozen=True)
class Settings:
    backbone: str  # the LIFT backbone, fine-tuned with both losses
    prior: config.PriorConfig
    ensemble: config.EnsembleConfig
    decimals: int


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    return Settings(
        experiment.lift_backbone(cfg, wildcards["dataset"]),
        config.block(config.PriorConfig, cfg, "prior"),
        config.block(config.EnsembleConfig, cfg, "ensemble"),
        cfg["tables"]["decimals"],
    )


def _evaluate(
    settings: Settings,
    la: np.ndarray,
    gla_train: np.ndarray,
    labels: np.ndarray,
    classes: pd.DataFrame,
    estimate: np.ndarray,
    zero_shot: np.ndarray | None,
) -> pd.DataFrame:
    """Metrics rows with intervals of the LA logits (and, given the `zero_shot` logits,
    GLA's post-hoc adjustment of them) and of the GLA-Train logits, P-groups by the
    backbone's estimated prior."""
    backbone = settings.backbone
    common = {
        "priors": {backbone: estimate},
        "p_fractions": (settings.prior.many_fraction, settings.prior.few_fraction),
    }
    offsets = None
    if zero_shot is not None:
        member = variants.Member(np.log(estimate).astype(np.float32), {}, zero_shot)
        offsets = {GLA: {backbone: VARIANTS[GLA].offset(member)}}
    evaluation = ensemble.evaluate_ensembles([backbone], [la], labels, classes, offsets=offsets, **common)
    trained = ensemble.evaluate_ensembles([backbone], [gla_train], labels, classes, **common)
    evaluation = evaluation.with_rows(trained, GLA_TRAIN)
    cfg = settings.ensemble
    rows, _ = intervals.with_intervals(evaluation, labels, backbone, cfg.bootstrap_resamples, cfg.bootstrap_seed)
    return rows


def run(
    settings: Settings,
    *,
    la_test: str | os.PathLike,
    la_test_tte: str | os.PathLike,
    la_knn: str | os.PathLike,
    gla_train_test: str | os.PathLike,
    gla_train_test_tte: str | os.PathLike,
    gla_train_knn: str | os.PathLike,
    zeroshot_test: str | os.PathLike,
    zeroshot_test_tte: str | os.PathLike,
    prior: str | os.PathLike,
    test: str | os.PathLike,
    classes: str | os.PathLike,
    log: str | os.PathLike | None = None,
    **outputs: str | os.PathLike,
) -> None:
    """Write Table 3 (both test protocols: `*_test` one centre crop, `*_test_tte` five-crop
    TTE) and Table 4 (kNN votes); `outputs` are `<table>_<format>` paths."""
    context.start(log)
    paths = tables.output_paths(outputs, ("table3", "table4"))
    class_table = pd.read_csv(classes)
    labels = pd.read_csv(test)["label"].to_numpy()
    estimate = load_prior(prior, class_table)

    def load(path: str | os.PathLike) -> np.ndarray:
        return caches.load_logits(path, test, len(class_table), labels)[0]

    logits = {
        "single": (la_test, gla_train_test, zeroshot_test),
        "tte": (la_test_tte, gla_train_test_tte, zeroshot_test_tte),
    }
    rows = []
    for protocol in tables.PROTOCOLS:
        la, gla_train, zero_shot = (load(path) for path in logits[protocol])
        evaluated = _evaluate(settings, la, gla_train, labels, class_table, estimate, zero_shot)
        rows.append(evaluated.assign(protocol=protocol))
    t3 = tables.method_table(pd.concat(rows, ignore_index=True), TABLE3_METHODS)
    tables.write_table(t3, **paths["table3"], decimals=settings.decimals)
    knn = _evaluate(settings, load(la_knn), load(gla_train_knn), labels, class_table, estimate, None)
    t4 = tables.method_table(knn, TABLE4_METHODS)
    tables.write_table(t4, **paths["table4"], decimals=settings.decimals)
