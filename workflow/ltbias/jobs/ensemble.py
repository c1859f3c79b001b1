"""Rule `ensemble`: the backdoor-adjusted ensemble of every subset of backbones, with 95 %
bootstrap intervals, paired comparisons, fitted and prior-debiased variants, GLA's
post-hoc adjustment, and each backbone's zero-shot accuracy by group."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import adjust, caches, config, ensemble, files, intervals, prior
from ..subsets import subset_name, subsets
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    backbones: tuple[str, ...]  # ensemble order: subset names follow it
    lift_backbone: str  # every multi-member row is compared with it alone
    prior: config.PriorConfig
    ensemble: config.EnsembleConfig

    @classmethod
    def from_params(cls, params: str) -> Settings:
        """From the rule's JSON params: `backbones`, `lift_backbone`, `prior`, `ensemble`."""
        raw = json.loads(params)
        return cls(
            tuple(raw["backbones"]),
            raw["lift_backbone"],
            config.from_dict(config.PriorConfig, raw["prior"], "prior"),
            config.from_dict(config.EnsembleConfig, raw["ensemble"], "ensemble"),
        )


def _adjustments(
    settings: Settings, val: dict[str, np.ndarray], val_labels: np.ndarray, priors: dict[str, np.ndarray]
) -> dict:
    """Each member's debiasing lambda and each subset's fitted convex weights, from val."""
    fixed = settings.ensemble.debias_lambda
    lambdas = {
        b: fixed if fixed is not None else adjust.fit_debias_lambda(val[b], val_labels, np.log(priors[b]))
        for b in settings.backbones
    }
    weights = {
        subset_name(s): adjust.fit_weights([val[b] for b in s], val_labels).tolist()
        for s in subsets(settings.backbones)
        if len(s) >= 2
    }
    return {"debias_lambda": lambdas, "weights": weights}


def run(
    settings: Settings,
    *,
    test_logits: Sequence[str | os.PathLike],
    test_tte_logits: Sequence[str | os.PathLike],
    val_logits: Sequence[str | os.PathLike],
    zeroshot_logits: Sequence[str | os.PathLike],
    knn: Sequence[str | os.PathLike],
    priors: Sequence[str | os.PathLike],
    true_counts: Sequence[str | os.PathLike],
    test_csv: str | os.PathLike,
    val_csv: str | os.PathLike,
    classes_csv: str | os.PathLike,
    metrics_csv: str | os.PathLike,
    comparisons_csv: str | os.PathLike,
    adjustments_json: str | os.PathLike,
    per_class_csv: str | os.PathLike,
    dxp_dir: str | os.PathLike,
    knn_csv: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
) -> None:
    """Evaluate every subset from the members' cached logits (one file per backbone, in
    `settings.backbones` order, as are `test_tte_logits`, `zeroshot_logits` (test), `knn`,
    `priors` and the optional `true_counts`).

    Variants: `uniform`, `fitted`, `debiased` (lambda per member), `gla` (z - log q, GLA's
    post-hoc adjustment, alone and inside every subset), and one `zero-shot` row per backbone
    (single crop). Protocols: `single` (one centre crop) and `tte` (five-crop TTE); the
    adjustments are fitted once, on the single-crop val logits.
    Writes `metrics.csv` (one row per subset, variant and protocol, intervals beside every accuracy),
    `comparisons.csv` (see `intervals.with_intervals`), `adjustments.json` (fitted weights
    and lambdas), `per_class.csv`, one D x P table per subset into `dxp_dir`, and the kNN
    probe of each backbone as `knn.csv` (one row per backbone; P-groups by its own prior).
    `threads` evaluate blocks of test rows in parallel.
    """
    context.start(log)
    backbones = list(settings.backbones)
    classes = pd.read_csv(classes_csv)
    n_classes = len(classes)
    labels = pd.read_csv(test_csv)["label"].to_numpy()
    val_labels = pd.read_csv(val_csv)["label"].to_numpy()
    val = {
        b: caches.load_logits(p, val_csv, n_classes, val_labels)[0] for b, p in zip(backbones, val_logits, strict=True)
    }
    prior_of = {b: prior.load_prior(p, classes) for b, p in zip(backbones, priors, strict=True)}
    counts = None  # only toy backbones on the toy world know their pretraining counts
    if true_counts:
        counts = {b: pd.read_csv(p)["count"].to_numpy() for b, p in zip(backbones, true_counts, strict=True)}
    fitted = _adjustments(settings, val, val_labels, prior_of)
    fractions = (settings.prior.many_fraction, settings.prior.few_fraction)
    log_prior = {b: np.log(prior_of[b]).astype(np.float32) for b in backbones}
    offsets = {
        "debiased": {b: np.float32(fitted["debias_lambda"][b]) * log_prior[b] for b in backbones},
        "gla": log_prior,
    }
    weights = {name: np.asarray(w, dtype=np.float32) for name, w in fitted["weights"].items()}
    common = {"priors": prior_of, "true_counts": counts, "p_fractions": fractions, "threads": threads}
    cfg = settings.ensemble
    metrics, comparisons = [], []
    for protocol, paths in (("single", test_logits), ("tte", test_tte_logits)):
        logits = [caches.load_logits(path, test_csv, n_classes, labels)[0] for path in paths]
        evaluation = ensemble.evaluate_ensembles(
            backbones, logits, labels, classes, offsets=offsets, weights=weights, **common
        )
        if protocol == "single":
            for backbone, path in zip(backbones, zeroshot_logits, strict=True):
                zero_shot = [caches.load_logits(path, test_csv, n_classes, labels)[0]]
                member = ensemble.evaluate_ensembles([backbone], zero_shot, labels, classes, **common)
                evaluation = evaluation.with_rows(member, "zero-shot")
            per_class, dxp = evaluation.per_class, evaluation.dxp
        rows, compared = intervals.with_intervals(
            evaluation, labels, settings.lift_backbone, cfg.bootstrap_resamples, cfg.bootstrap_seed
        )
        rows.insert(2, "protocol", protocol)
        compared.insert(2, "protocol", protocol)
        metrics.append(rows)
        comparisons.append(compared)
    knn_rows = []
    for backbone, path in zip(backbones, knn, strict=True):
        votes, _ = caches.load_logits(path, test_csv, n_classes, labels)
        probe = ensemble.evaluate_ensembles(
            [backbone], [votes], labels, classes, priors=prior_of, p_fractions=fractions
        )
        knn_rows.append(probe.metrics.drop(columns=["variant", "ece"]))
    files.save_csv(knn_csv, pd.concat(knn_rows, ignore_index=True))
    files.save_csv(metrics_csv, pd.concat(metrics, ignore_index=True))
    files.save_csv(comparisons_csv, pd.concat(comparisons, ignore_index=True))
    files.save_json(adjustments_json, fitted)
    files.save_csv(per_class_csv, per_class)
    with files.atomic_dir(dxp_dir) as folder:
        for subset, table in dxp.items():
            files.save_csv(Path(folder) / f"{subset}.csv", table)
