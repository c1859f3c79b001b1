"""The control the paper does not run: more backbones against more seeds.

Summing foundation models pre-trained on different data is a backdoor adjustment over the
semantic factor c. Summing fine-tunes of one backbone that differ only in their seed is an
ensemble too, and averages out training noise without any new c. If the paper is right, M
different backbones beat M seeds of the same backbone, most on P-Few. Every row is
measured on the same test images and the same stratified bootstrap draws, so the
difference of two rows has its own paired interval (`bootstrap.py`). The seeds also give
what the bootstrap leaves out: every subset's spread over training runs (`seed_variance`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .intervals import column_weights, measure_rows
from .prior import p_groups
from .subsets import subset_name, subsets

__all__ = ["BACKBONES_ROW", "MEAN_SEEDS_ROW", "SINGLE_ROW", "control_rows", "ensemble_correct", "seed_variance"]

SINGLE_ROW = "single backbone (mean)"
MEAN_SEEDS_ROW = "{m} seeds (mean over backbones)"
BACKBONES_ROW = "{m} backbones (mean over subsets)"


def ensemble_correct(logits: Sequence[np.ndarray], labels: np.ndarray) -> np.ndarray:
    """(N,) whether the sum of `logits` (uniform P(c)) predicts each test image right."""
    return np.sum(logits, axis=0).argmax(axis=1) == labels


def _rows(logits: dict[str, list[np.ndarray]], labels: np.ndarray, names: dict[str, str]) -> dict[str, tuple]:
    """Row name -> (M, per-image correctness, in [0, 1] for the means over ensembles)."""
    backbones = list(logits)
    n_seeds = min(len(seeds) for seeds in logits.values())
    rows = {SINGLE_ROW: (1, np.mean([ensemble_correct(s[:1], labels) for s in logits.values()], axis=0))}
    for m in range(2, min(len(backbones), n_seeds) + 1):
        seeds = {b: ensemble_correct(logits[b][:m], labels) for b in backbones}
        rows |= {f"{m} seeds of {names[b]}": (m, correct) for b, correct in seeds.items()}
        rows[MEAN_SEEDS_ROW.format(m=m)] = (m, np.mean(list(seeds.values()), axis=0))
        subsets = [[logits[b][0] for b in subset] for subset in itertools.combinations(backbones, m)]
        rows[BACKBONES_ROW.format(m=m)] = (m, np.mean([ensemble_correct(s, labels) for s in subsets], axis=0))
    return rows


def control_rows(
    logits: dict[str, list[np.ndarray]],
    labels: np.ndarray,
    groupings: dict[str, np.ndarray],
    names: dict[str, str] | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The control table's rows and its comparisons.

    Args:
        logits: backbone -> its test logits per seed, the default run's (seed 0) first.
        groupings: `d`, `p` -> (C,) group of each class, the same for every row.
        names: backbone -> display name.

    Returns the rows (`ensemble`, `M`, every accuracy column with `_lo`/`_hi`), for each M
    from 2 to the smaller of the backbone and seed counts, and the comparisons `M backbones
    minus M seeds` (`M`, `metric`, `difference`, `lo`, `hi`, `p_value`: one-sided bootstrap
    p of "no gain").
    """
    labels = np.asarray(labels)
    rows = _rows(logits, labels, names or {b: b for b in logits})
    order = list(rows)
    multi = sorted({m for m, _ in rows.values() if m > 1})
    pairs = (
        [order.index(BACKBONES_ROW.format(m=m)) for m in multi],
        [order.index(MEAN_SEEDS_ROW.format(m=m)) for m in multi],
    )
    sizes = np.bincount(labels, minlength=len(next(iter(groupings.values()))))
    correct = np.stack([rows[name][1] for name in order], axis=1)
    table, comparisons = measure_rows(correct, labels, column_weights(groupings, sizes), n_resamples, seed, pairs=pairs)
    table.insert(0, "M", [rows[name][0] for name in order])
    table.insert(0, "ensemble", order)
    comparisons.insert(0, "M", [multi[i] for i in comparisons.pop("pair")])
    return table, comparisons


def _seed_draws(n_members: int, n_seeds: int, max_draws: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """One seed per member: every combination, or `max_draws` of them drawn without
    replacement when there are more."""
    total = n_seeds**n_members
    if total <= max_draws:
        return list(itertools.product(range(n_seeds), repeat=n_members))
    picks = rng.choice(total, size=max_draws, replace=False)
    return [tuple(int(d) for d in np.unravel_index(p, (n_seeds,) * n_members)) for p in np.sort(picks)]


def seed_variance(
    logits: dict[str, list[np.ndarray]],
    labels: np.ndarray,
    d_groups: np.ndarray,
    priors: dict[str, np.ndarray],
    p_fractions: tuple[float, float] = (1 / 3, 1 / 3),
    max_draws: int = 64,
    seed: int = 0,
) -> pd.DataFrame:
    """The spread between training runs that the bootstrap intervals leave out.

    For every subset of backbones (uniform P(c)), its accuracies re-drawn with one seed per
    member (`_seed_draws`): a single backbone over its seeds. One row per subset: `subset`,
    `size`, `draws`, and `<column>` (the mean) with `<column>_sd` (sample standard deviation,
    ddof 1) for every accuracy column; P-groups by the members' mean prior, as in Table 8.
    """
    labels = np.asarray(labels)
    sizes = np.bincount(labels, minlength=len(d_groups))
    n_seeds = min(len(seeds) for seeds in logits.values())
    rng = np.random.default_rng(seed)
    records = []
    for subset in subsets(list(logits)):
        mean_prior = np.mean([priors[b] / priors[b].sum() for b in subset], axis=0)
        groupings = {"d": d_groups, "p": p_groups(mean_prior, *p_fractions)}
        weights = column_weights(groupings, sizes)
        draws = _seed_draws(len(subset), n_seeds, max_draws, rng)
        correct = np.stack([ensemble_correct([logits[b][s] for b, s in zip(subset, d, strict=True)], labels)
                            for d in draws], axis=1)  # fmt: skip
        counts = np.stack([np.bincount(labels, weights=c, minlength=len(sizes)) for c in correct.T])
        accuracy = counts @ np.stack(list(weights.values()), axis=1)
        record = {"subset": subset_name(subset), "size": len(subset), "draws": len(draws)}
        for k, column in enumerate(weights):
            record[column] = accuracy[:, k].mean()
            record[f"{column}_sd"] = accuracy[:, k].std(ddof=1) if len(draws) > 1 else np.nan
        records.append(record)
    return pd.DataFrame(records)
