"""The cheap stages: prior estimates, ensemble metrics, tables and figures (no GPU, no torch).

Each function reads the files a rule gives it and writes the rule's outputs.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd
import yaml
from scipy.stats import spearmanr

from . import caches, ensemble, figures, files, prior, tables
from .metrics import cross_table
from .prior import P_GROUPS
from .splits import D_GROUPS

__all__ = ["ensemble_metrics", "estimate_prior", "make_figures", "make_tables"]

logger = logging.getLogger(__name__)


def estimate_prior(
    zeroshot_val: str | os.PathLike,
    val_csv: str | os.PathLike,
    classes_csv: str | os.PathLike,
    settings: dict,
    out_csv: str | os.PathLike,
    out_json: str | os.PathLike,
    true_counts_csv: str | os.PathLike | None = None,
) -> None:
    """Write the estimated pre-training prior (`label, class_name, prior`) and its fit info.

    With the toy world's `pretrain_counts.csv` the info adds the Spearman correlation of
    the estimate with the true pretraining counts.
    """
    classes = pd.read_csv(classes_csv)
    logits, labels = caches.load_logits(zeroshot_val, val_csv, len(classes))
    estimate, info = prior.estimate_prior(logits, labels, calibrate=settings["calibrate"])
    info["zero_shot_accuracy"] = 100.0 * float((logits.argmax(axis=1) == labels).mean())
    if true_counts_csv is not None:
        counts = pd.read_csv(true_counts_csv)["count"].to_numpy()
        info["spearman_vs_pretrain_counts"] = float(spearmanr(estimate, counts).statistic)
    files.save_csv(out_csv, classes[["label", "class_name"]].assign(prior=estimate))
    files.save_json(out_json, info)


def ensemble_metrics(
    backbones: list[str],
    logits_paths: list[str],
    test_csv: str | os.PathLike,
    classes_csv: str | os.PathLike,
    prior_paths: list[str],
    count_paths: list[str],
    knn_paths: list[str],
    settings: dict,
    out: dict[str, str],
) -> None:
    """Evaluate every subset; write `metrics.csv`, `per_class.csv`, one D x P table per
    subset into the folder `out["dxp"]` (see `ensemble.evaluate_ensembles`), and the kNN
    probe of each backbone as `out["knn"]` (same columns as metrics.csv, one row per
    backbone; its P-groups are by the backbone's own prior)."""
    manifest = pd.read_csv(test_csv)
    classes = pd.read_csv(classes_csv)
    logits = [caches.load_logits(path, test_csv, len(classes))[0] for path in logits_paths]
    priors = {b: pd.read_csv(p)["prior"].to_numpy() for b, p in zip(backbones, prior_paths, strict=True)}
    counts = None  # only toy backbones know their pretraining counts
    if count_paths:
        counts = {b: pd.read_csv(p)["count"].to_numpy() for b, p in zip(backbones, count_paths, strict=True)}
    metrics, per_class, dxp = ensemble.evaluate_ensembles(
        backbones,
        logits,
        manifest["label"].to_numpy(),
        classes,
        priors=priors,
        true_counts=counts,
        p_fractions=(settings["many_fraction"], settings["few_fraction"]),
    )
    knn_rows = []
    for backbone, path in zip(backbones, knn_paths, strict=True):
        votes, _ = caches.load_logits(path, test_csv, len(classes))
        rows, _, _ = ensemble.evaluate_ensembles(
            [backbone], [votes], manifest["label"].to_numpy(), classes, priors=priors
        )
        knn_rows.append(rows.drop(columns="ece"))
    files.save_csv(out["knn"], pd.concat(knn_rows, ignore_index=True))
    files.save_csv(out["metrics"], metrics)
    files.save_csv(out["per_class"], per_class)
    for subset, table in dxp.items():
        files.save_csv(Path(out["dxp"]) / f"{subset}.csv", table)


def make_tables(
    metrics_csv: str | os.PathLike,
    baselines_yaml: str | os.PathLike,
    dataset: str,
    settings: dict,
    out_dir: str | os.PathLike,
) -> None:
    """Write Table 6 and Table 8 of `dataset` as CSV, Markdown and LaTeX into `out_dir`.

    Args:
        settings: `backbones` (ensemble order), `display_names`, `lift_backbone`, `epochs`,
            `decimals`.
    """
    metrics = pd.read_csv(metrics_csv)
    published = (yaml.safe_load(Path(baselines_yaml).read_text(encoding="utf-8")) or {}).get(dataset, {})
    backbones = settings["backbones"]
    t6 = tables.table6(
        metrics,
        settings["lift_backbone"],
        backbones,
        settings["epochs"],
        published.get("table6", []),
        published.get("paper"),
    )
    t8 = tables.table8(metrics, backbones, settings["display_names"], published.get("table8", []))
    tables.write_table(t6, Path(out_dir) / "table6", settings["decimals"], exclude_from_best=["Reproduced - paper"])
    tables.write_table(t8, Path(out_dir) / "table8", settings["decimals"])


def make_figures(
    metrics_csv: str | os.PathLike,
    per_class_csv: str | os.PathLike,
    lift_prior_csv: str | os.PathLike,
    settings: dict,
    out: dict[str, str],
) -> None:
    """Per-class accuracy vs train count, accuracy vs M, and the D x P gain heatmap.

    The heatmap compares the full ensemble with LIFT class by class, with both grouped by
    the P-groups of the LIFT backbone's estimated prior, so every cell holds the same
    classes for both.

    Args:
        settings: `backbones`, `display_names`, `lift_backbone`, `many_fraction`,
            `few_fraction`.
    """
    metrics = pd.read_csv(metrics_csv)
    per_class = pd.read_csv(per_class_csv)
    backbones, names = settings["backbones"], settings["display_names"]
    full = ensemble.subset_name(backbones)
    singles = metrics[metrics["size"] == 1]
    best = singles.loc[singles["all"].idxmax(), "subset"]
    shown = [best] if best == full else [best, full]
    labels = [
        f"best single ({names[best]})" if s == best and s != full else f"all {len(backbones)} backbones" for s in shown
    ]
    figures.per_class_accuracy(per_class, shown, labels, out["per_class_accuracy"])
    figures.accuracy_vs_members(metrics, out["accuracy_vs_members"])
    lift = settings["lift_backbone"]
    groups = prior.p_groups(
        pd.read_csv(lift_prior_csv)["prior"].to_numpy(), settings["many_fraction"], settings["few_fraction"]
    )
    gain = (per_class[full] - per_class[lift]).to_numpy() / 100.0  # cross_table reports percent
    table = cross_table(gain, per_class["d_group"].to_numpy(), groups, D_GROUPS, P_GROUPS)
    title = f"all {len(backbones)} minus {names[lift]} (LIFT), P-groups of {names[lift]}"
    figures.dxp_gain_heatmap(table, title, out["dxp_gain"])
