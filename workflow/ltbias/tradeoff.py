"""The accuracy-cost trade-off of the subsets of backbones: what running a subset costs,
and which subsets are on the frontier (Table 9 and its figure read it)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["on_frontier", "subset_cost", "tradeoff"]


def subset_cost(members: Sequence[dict]) -> dict:
    """The cost of running `members` (each a `cost.measure` result) one after another on one
    device: parameters and FLOPs add up, and so does the time per image."""
    return {
        "parameters": sum(m["parameters"] for m in members),
        "trainable_parameters": sum(m["trainable_parameters"] for m in members),
        "gflops_per_image": sum(m["gflops_per_image"] for m in members),
        "images_per_second": 1.0 / sum(1.0 / m["images_per_second"] for m in members),
    }


def on_frontier(cost: Sequence[float], accuracy: Sequence[float]) -> list[bool]:
    """Whether no other point is at least as accurate for at most the cost, better in one."""
    cost, accuracy = pd.Series(cost).to_numpy(), pd.Series(accuracy).to_numpy()
    return [
        not bool(((cost <= c) & (accuracy >= a) & ((cost < c) | (accuracy > a))).any())
        for c, a in zip(cost, accuracy, strict=True)
    ]


def tradeoff(metrics: pd.DataFrame, costs: dict[str, dict]) -> pd.DataFrame:
    """One row per row of `metrics` (one per subset: a single protocol and variant), in
    size order: `subset`, `size`, the summed costs of its members (`subset_cost` of `costs`,
    with `mflops_per_image`), `all` (and `all_lo`, `all_hi` where the metrics have them)
    and `frontier` (no other subset is at least as accurate for fewer FLOPs)."""
    records = []
    for _, row in metrics.sort_values("size", kind="stable").iterrows():
        total = subset_cost([costs[b] for b in row["subset"].split("+")])
        record = {"subset": row["subset"], "size": int(row["size"])} | total
        record["mflops_per_image"] = total["gflops_per_image"] * 1e3
        records.append(record | {k: row[k] for k in ("all", "all_lo", "all_hi") if k in row})
    frame = pd.DataFrame(records)
    frame["frontier"] = on_frontier(frame["mflops_per_image"], frame["all"])
    return frame
