"""Job `ensemble`: the backdoor-adjusted ensemble of every subset of backbones, with 95 %
bootstrap intervals, paired comparisons, the variants of `ltbias.variants`, and each
backbone's zero-shot accuracy by group."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import caches, config, ensemble, experiment, files, fitting, intervals, prior, true_prior, variants
from . import context

__all__ = ["Settings", "run", "settings"]

PROTOCOLS = ("single", "tte")  # one centre crop; five-crop test-time ensembling


@dataclass(frozen=True)
class Settings:
    backbones: tuple[str, ...]  # ensemble order: subset names follow it
    lift_backbone: str  # every multi-member row is compared with it alone
    prior: config.PriorConfig
    ensemble: config.EnsembleConfig


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    dataset = wildcards["dataset"]
    return Settings(
        tuple(experiment.dataset_backbones(cfg, dataset)),
        experiment.lift_backbone(cfg, dataset),
        config.block(config.PriorConfig, cfg, "prior"),
        config.block(config.EnsembleConfig, cfg, "ensemble"),
    )


@dataclass(frozen=True)
class _Test:
    """The test split and what every evaluation of it shares."""

    csv: str | os.PathLike
    labels: np.ndarray
    classes: pd.DataFrame
    common: dict  # keyword arguments of `ensemble.evaluate_ensembles`

    def load(self, path: str | os.PathLike) -> np.ndarray:
        return caches.load_logits(path, self.csv, len(self.classes), self.labels)[0]


def _adjustments(
    settings: Settings,
    train: str | os.PathLike,
    val: str | os.PathLike,
    val_logits: Sequence[str | os.PathLike],
    test_logits: Sequence[str | os.PathLike],
    split: _Test,
) -> tuple[dict, dict]:
    """The fitted values as `adjustments.json` records them, and as the variants use them:
    fitted on val, or cross-fitted on the test split when val overlaps train
    (`ltbias.fitting`)."""
    backbones, priors = settings.backbones, split.common["priors"]
    fixed = settings.ensemble.debias_lambda
    val_paths = pd.read_csv(val)["path"]
    if not val_paths.isin(pd.read_csv(train)["path"]).any():
        labels = pd.read_csv(val)["label"].to_numpy()
        on_val = {
            b: caches.load_logits(path, val, len(split.classes), labels)[0]
            for b, path in zip(backbones, val_logits, strict=True)
        }
        fitted = fitting.fit(backbones, on_val, labels, priors, fixed)
        return {"fitted_on": fitting.VAL} | fitted, fitted
    fold = fitting.folds(split.labels, settings.ensemble.bootstrap_seed)
    on_test = {b: split.load(path) for b, path in zip(backbones, test_logits, strict=True)}
    by_fold = [
        fitting.fit(backbones, {b: z[fold != k] for b, z in on_test.items()}, split.labels[fold != k], priors, fixed)
        for k in (0, 1)
    ]  # by_fold[k] scores fold k: it was fitted on the other
    recorded = {"fitted_on": fitting.CROSS_FIT, "folds": by_fold, "fold_sizes": np.bincount(fold).tolist()}
    return recorded, fitting.per_image(by_fold, fold)


def _combinations(fitted: dict, priors: dict[str, np.ndarray], zero_shot: dict[str, np.ndarray]) -> dict:
    """`evaluate_ensembles`' `offsets` and `weights` of the variants beyond uniform, for the
    test logits of one protocol (`zero_shot`: the members' zero-shot logits of the same):
    each variant's fitted values per member, or per subset when it weighs the members."""
    weighted = [v for v in variants.VARIANTS.values() if v.weighted]
    per_member = [v.fitted for v in variants.VARIANTS.values() if v.fitted and not v.weighted]
    members = {
        b: variants.Member(np.log(q).astype(np.float32), {key: fitted[key][b] for key in per_member}, zero_shot[b])
        for b, q in priors.items()
    }
    weights = {
        v.name: {subset: np.asarray(w, dtype=np.float32) for subset, w in fitted[v.fitted].items()} for v in weighted
    }
    return {"offsets": variants.offsets(members), "weights": weights}


def _test_split(
    settings: Settings,
    test: str | os.PathLike,
    classes: str | os.PathLike,
    priors: Sequence[str | os.PathLike],
    true_counts: Sequence[str | os.PathLike],
    threads: int,
) -> _Test:
    class_table = pd.read_csv(classes)
    backbones = settings.backbones
    prior_of = {b: prior.load_prior(p, class_table) for b, p in zip(backbones, priors, strict=True)}
    counts = None  # only toy backbones on the toy world know their pretraining counts
    if true_counts:
        counts = {
            b: true_prior.load_pretrain_counts(p, class_table) for b, p in zip(backbones, true_counts, strict=True)
        }
    fractions = (settings.prior.many_fraction, settings.prior.few_fraction)
    common = {"priors": prior_of, "true_counts": counts, "p_fractions": fractions, "threads": threads}
    return _Test(test, pd.read_csv(test)["label"].to_numpy(), class_table, common)


def run(
    settings: Settings,
    *,
    test_logits: Sequence[str | os.PathLike],
    test_tte_logits: Sequence[str | os.PathLike],
    val_logits: Sequence[str | os.PathLike],
    zeroshot_logits: Sequence[str | os.PathLike],
    zeroshot_tte_logits: Sequence[str | os.PathLike],
    knn_logits: Sequence[str | os.PathLike],
    priors: Sequence[str | os.PathLike],
    true_counts: Sequence[str | os.PathLike],
    train: str | os.PathLike,
    val: str | os.PathLike,
    test: str | os.PathLike,
    classes: str | os.PathLike,
    metrics: str | os.PathLike,
    comparisons: str | os.PathLike,
    adjustments: str | os.PathLike,
    per_class: str | os.PathLike,
    dxp: str | os.PathLike,
    knn: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
) -> None:
    """Evaluate every subset from the members' cached logits (the lists hold one file per
    backbone, in `settings.backbones` order; `true_counts` may be empty).

    Rows: every subset under each variant of `ltbias.variants` and one `zero-shot` row per
    backbone, under both protocols; fitted values come from val, or are cross-fitted on test
    when val overlaps `train` (`ltbias.fitting`). Writes `metrics` with intervals,
    `comparisons` (`intervals.with_intervals`), `adjustments`, `per_class`, one D x P table
    per subset into `dxp`, and each backbone's kNN probe as `knn`.
    """
    context.start(log)
    backbones = list(settings.backbones)
    split = _test_split(settings, test, classes, priors, true_counts, threads)
    recorded, fitted = _adjustments(settings, train, val, val_logits, test_logits, split)
    logits_of = {"single": (test_logits, zeroshot_logits), "tte": (test_tte_logits, zeroshot_tte_logits)}
    rows, compared = [], []
    for protocol in PROTOCOLS:
        fine_tuned, zero_shot = ([split.load(p) for p in paths] for paths in logits_of[protocol])
        combine = _combinations(fitted, split.common["priors"], dict(zip(backbones, zero_shot, strict=True)))
        evaluation = ensemble.evaluate_ensembles(
            backbones, fine_tuned, split.labels, split.classes, **combine, **split.common
        )
        if protocol == "single":
            evaluation = single = _with_zero_shot(evaluation, backbones, zero_shot, split)
        found = _with_intervals(settings, evaluation, split, protocol, recorded["fitted_on"])
        for frame, stack in zip(found, (rows, compared), strict=True):
            stack.append(frame)
    files.save_csv(knn, _knn_probe(backbones, knn_logits, split))
    files.save_csv(metrics, pd.concat(rows, ignore_index=True))
    files.save_csv(comparisons, pd.concat(compared, ignore_index=True))
    files.save_json(adjustments, recorded)
    files.save_csv(per_class, single.per_class)
    with files.atomic_dir(dxp) as folder:
        for subset, table in single.dxp.items():
            files.save_csv(Path(folder) / f"{subset}.csv", table)


def _with_intervals(
    settings: Settings, evaluation: ensemble.Evaluation, split: _Test, protocol: str, fitted_on: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The metrics and comparisons of one protocol, with intervals; fitted rows say what
    they were fitted on."""
    cfg = settings.ensemble
    rows, compared = intervals.with_intervals(
        evaluation, split.labels, settings.lift_backbone, cfg.bootstrap_resamples, cfg.bootstrap_seed
    )
    fitted = {v.name for v in variants.VARIANTS.values() if v.fitted}
    rows["fitted_on"] = rows["variant"].map(lambda variant: fitted_on if variant in fitted else "")
    for frame in (rows, compared):
        frame.insert(2, "protocol", protocol)
    return rows, compared


def _with_zero_shot(
    evaluation: ensemble.Evaluation, backbones: list[str], zero_shot: list[np.ndarray], split: _Test
) -> ensemble.Evaluation:
    """`evaluation` plus one `zero-shot` row per backbone."""
    for backbone, logits in zip(backbones, zero_shot, strict=True):
        member = ensemble.evaluate_ensembles([backbone], [logits], split.labels, split.classes, **split.common)
        evaluation = evaluation.with_rows(member, variants.ZERO_SHOT)
    return evaluation


def _knn_probe(backbones: list[str], knn_logits: Sequence[str | os.PathLike], split: _Test) -> pd.DataFrame:
    """Each backbone's kNN feature probe, one row each, P-groups by its own prior."""
    common = {k: split.common[k] for k in ("priors", "p_fractions")}
    rows = []
    for backbone, path in zip(backbones, knn_logits, strict=True):
        probe = ensemble.evaluate_ensembles([backbone], [split.load(path)], split.labels, split.classes, **common)
        rows.append(probe.metrics.drop(columns=["variant", "ece"]))
    return pd.concat(rows, ignore_index=True)
