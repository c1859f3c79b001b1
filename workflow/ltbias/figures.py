"""Figures of a dataset's results, drawn with matplotlib and written as SVG."""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows
matplotlib.rcParams["svg.hashsalt"] = "ltbias"  # stable element ids: same data, same file

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import files  # noqa: E402
from .prior import P_GROUPS  # noqa: E402
from .splits import D_GROUPS  # noqa: E402

__all__ = [
    "accuracy_vs_cost",
    "accuracy_vs_members",
    "control_bars",
    "dxp_gain_heatmap",
    "peft_loss_gaps",
    "per_class_accuracy",
    "prior_recovery",
]


def _save(fig: plt.Figure, path: str | os.PathLike) -> None:
    with files.atomic_path(path) as tmp:
        fig.savefig(tmp, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)


def per_class_accuracy(
    per_class: pd.DataFrame, subsets: Sequence[str], labels: Sequence[str], path: str | os.PathLike
) -> None:
    """Per-class test accuracy against train count (log x), one series per subset."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for subset, label, marker in zip(subsets, labels, "os^D", strict=False):
        ax.scatter(per_class["train_count"], per_class[subset], s=18, alpha=0.7, marker=marker, label=label)
    for threshold in (20, 100):
        ax.axvline(threshold, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("training images of the class")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(frameon=False)
    _save(fig, path)


def _error_bars(centre: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    """(2, n) lengths below and above `centre`, clipped at 0 (matplotlib refuses negative
    ones): the mean of equal values can exceed them by a rounding error (0.1 three times
    averages to 0.10000000000000002), and a percentile interval need not hold its estimate."""
    return np.clip(np.vstack([centre - low, high - centre]), 0, None)


def accuracy_vs_members(metrics: pd.DataFrame, path: str | os.PathLike) -> None:
    """Group accuracy against the number M of ensembled backbones: mean over the subsets
    of each size, with the min-max spread as error bars; one panel for D- and one for
    P-groups (when present)."""
    panels = [("D-groups", ["d_many", "d_medium", "d_few", "all"], [*D_GROUPS, "All"])]
    if "p_many" in metrics:
        panels.append(("P-groups (estimated prior)", ["p_many", "p_medium", "p_few"], list(P_GROUPS)))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (title, columns, names) in zip(axes[0], panels, strict=True):
        by_size = metrics.groupby("size")[columns]
        mean, low, high = by_size.mean(), by_size.min(), by_size.max()
        for column, name in zip(columns, names, strict=True):
            err = _error_bars(mean[column], low[column], high[column])
            ax.errorbar(mean.index, mean[column], yerr=err, marker="o", capsize=3, label=name)
        ax.set_title(title)
        ax.set_xlabel("backbones in the ensemble (M)")
        ax.set_ylabel("accuracy (%)")
        ax.set_xticks(mean.index)
        ax.legend(frameon=False)
    _save(fig, path)


def dxp_gain_heatmap(gain: pd.DataFrame, title: str, path: str | os.PathLike) -> None:
    """Heatmap of an accuracy gain (points) per D x P cell, with the classes per cell.

    `gain` is a `metrics.cross_table` of per-class gains (columns d_group, p_group,
    classes, accuracy).
    """
    cells = gain.set_index(["d_group", "p_group"])
    grid = cells["accuracy"].unstack("p_group").reindex(index=list(D_GROUPS), columns=list(P_GROUPS))
    counts = cells["classes"].unstack("p_group").reindex(index=list(D_GROUPS), columns=list(P_GROUPS))
    values = grid.to_numpy(dtype=float)
    limit = max(1.0, float(np.nanmax(np.abs(values)))) if np.isfinite(values).any() else 1.0
    fig, ax = plt.subplots(figsize=(5, 4))
    image = ax.imshow(values, cmap="RdBu", vmin=-limit, vmax=limit)
    for (i, j), value in np.ndenumerate(values):
        text = "-" if np.isnan(value) else f"{value:+.1f}"
        ax.text(j, i, f"{text}\n({int(counts.iat[i, j])} cls)", ha="center", va="center", fontsize=9)
    ax.set_xticks(range(3), P_GROUPS)
    ax.set_yticks(range(3), D_GROUPS)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="gain (points)")
    _save(fig, path)


def _label_rises(x: pd.Series, y: pd.Series, step: float = 10.0) -> list[float]:
    """Vertical offsets (points) of the labels of points that share an x: stacked `step`
    apart in the order of their y, centred on them, so that no two labels overlap."""
    rises = [0.0] * len(x)
    for _, group in pd.DataFrame({"x": x.to_numpy(), "y": y.to_numpy()}).groupby(x.round(6).to_numpy()):
        order = group.sort_values("y").index
        for k, position in enumerate(order):
            rises[position] = step * (k - (len(order) - 1) / 2)
    return rises


def accuracy_vs_cost(subsets: pd.DataFrame, labels: Sequence[str], path: str | os.PathLike) -> None:
    """Accuracy (with its interval) against FLOPs per image, one point per subset labelled
    with `labels`, the accuracy-cost frontier as a line; `subsets` as `tradeoff.tradeoff`
    returns it."""
    fig, ax = plt.subplots(figsize=(6, 4))
    flops, accuracy = subsets["mflops_per_image"], subsets["all"]
    err = _error_bars(accuracy, subsets["all_lo"], subsets["all_hi"]) if "all_lo" in subsets else None
    ax.errorbar(flops, accuracy, yerr=err, fmt="o", capsize=3, color="tab:blue", label="subset (95 % interval)")
    frontier = subsets[subsets["frontier"]].sort_values("mflops_per_image")
    ax.plot(frontier["mflops_per_image"], frontier["all"], color="tab:orange", lw=1.2, label="frontier")
    for x, y, label, rise in zip(flops, accuracy, labels, _label_rises(flops, accuracy), strict=True):
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(6, rise), fontsize=8, va="center")
    ax.set_xlabel("MFLOPs per test image (members run one after another)")
    ax.set_ylabel("test accuracy, all classes (%)")
    ax.legend(frameon=False)
    _save(fig, path)


def peft_loss_gaps(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Fig. 3: the D gap and the P gap (Many minus Few, with intervals) of every PEFT method
    and loss, one group of bars per PEFT method, a shade per loss."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    pefts = list(dict.fromkeys(table["PEFT"]))
    losses = list(dict.fromkeys(table["Loss"]))
    width = 0.8 / len(losses)
    for ax, gap, title in zip(axes, ("D gap", "P gap"), ("data imbalance", "parameter imbalance"), strict=True):
        for k, loss in enumerate(losses):
            rows = table[table["Loss"] == loss].set_index("PEFT").reindex(pefts)
            x = np.arange(len(pefts)) + (k - (len(losses) - 1) / 2) * width
            errors = _error_bars(rows[gap], rows[f"{gap} lo"], rows[f"{gap} hi"])
            ax.bar(x, rows[gap], width, yerr=errors, capsize=3, label=loss)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xticks(np.arange(len(pefts)), pefts)
        ax.set_title(f"{gap}: {title}")
    axes[0].set_ylabel("Many minus Few accuracy (points)")
    axes[0].legend(frameon=False, title="loss")
    _save(fig, path)


def control_bars(rows: pd.DataFrame, path: str | os.PathLike) -> None:
    """The controls: for each M, accuracy by group of the mean single backbone, M seeds
    of one backbone (mean over backbones) and M backbones (mean over subsets), with intervals."""
    columns = ["d_many", "d_medium", "d_few", "p_many", "p_medium", "p_few", "all"]
    names = [*D_GROUPS, *P_GROUPS, "All"]
    sizes = sorted(m for m in rows["M"].unique() if m > 1)
    fig, axes = plt.subplots(1, len(sizes), figsize=(8 * len(sizes), 4), squeeze=False, sharey=True)
    single = rows[rows["M"] == 1].iloc[0]
    for ax, m in zip(axes[0], sizes, strict=True):
        shown = [("single backbone", single)] + [
            (name.split(" (")[0], rows[rows["ensemble"] == name].iloc[0])
            for name in (f"{m} seeds (mean over backbones)", f"{m} backbones (mean over subsets)")
        ]
        for k, (label, row) in enumerate(shown):
            centre = row[columns].astype(float)
            low = row[[f"{c}_lo" for c in columns]].astype(float).to_numpy()
            high = row[[f"{c}_hi" for c in columns]].astype(float).to_numpy()
            errors = _error_bars(centre.to_numpy(), low, high)
            ax.bar(np.arange(len(columns)) + (k - 1) * 0.27, centre, 0.27, yerr=errors, capsize=2, label=label)
        ax.set_xticks(np.arange(len(columns)), names)
        ax.set_title(f"M = {m}")
    axes[0][0].set_ylabel("test accuracy (%)")
    axes[0][0].legend(frameon=False)
    _save(fig, path)


def prior_recovery(summary: pd.DataFrame, path: str | os.PathLike) -> None:
    """The prior-recovery sweep (`tables.recovery_levers`): one panel per lever, the Spearman
    correlation of the estimated prior with the pre-training counts against the lever's
    value, one line per negatives (mean over the backbones, bars to the worst)."""
    levers = list(dict.fromkeys(summary["lever"]))
    fig, axes = plt.subplots(1, len(levers), figsize=(2.6 * len(levers), 3.2), sharey=True, squeeze=False)
    for ax, lever in zip(axes[0], levers, strict=True):
        rows = summary[summary["lever"] == lever]
        values = list(dict.fromkeys(rows["value"]))
        for negatives, marker in zip(dict.fromkeys(summary["negatives"]), "os", strict=False):
            line = rows[rows["negatives"] == negatives].set_index("value").reindex(values)
            centre = line["spearman_mean"].to_numpy()
            below = np.clip(centre - line["spearman_min"].to_numpy(), 0, None)
            ax.errorbar(range(len(values)), centre, yerr=[below, np.zeros_like(below)], marker=marker,
                        capsize=2, label=f"{negatives} negatives")  # fmt: skip
        ax.axhline(0.7, color="grey", lw=0.8, ls="--")
        ax.set_xticks(range(len(values)), values, fontsize=8)
        ax.set_xlim(-0.5, len(values) - 0.5)
        ax.set_title(lever.replace("_", " "), fontsize=9)
    axes[0][0].set_ylabel("Spearman(estimated prior, counts)")
    axes[0][0].set_ylim(-0.5, 1.05)
    axes[0][0].legend(frameon=False, fontsize=8, loc="lower left")
    _save(fig, path)
