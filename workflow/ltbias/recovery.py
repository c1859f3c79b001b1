"""How well the paper's prior estimator recovers a toy backbone's known pre-training prior.

The toy world is the one place where the label prior of a backbone's pre-training is known
exactly (its caption counts). `snakemake prior_recovery` pretrains each toy backbone again
at the points of `experiment.recovery_points` (`experiment.apply_point`: a lever moved from
the config's value), runs
the zero-shot classifier on a fresh class-balanced sample of the world and estimates the
prior with `prior.estimate_prior`, the paper path's code, at several sample sizes and with
both solvers. Recovery is the Spearman correlation of the estimate with the counts and the
share of classes whose P-group it gets right.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import spearmanr

from . import models, pretrain, toyworld
from .config import PRIOR_SOLVERS
from .prior import estimate_prior, p_groups

__all__ = ["measure_recovery"]


def measure_recovery(
    clip: torch.nn.Module,
    model: str,
    world: toyworld.ToyWorld,
    counts: np.ndarray,
    templates: tuple[str, ...],
    preprocess: dict,
    seed: int,
    sizes: tuple[int, ...],
    fractions: tuple[float, float] = (1 / 3, 1 / 3),
) -> list[dict]:
    """One record per sample size (`sizes`, images per class) and solver: `val_per_class`, `solver`,
    `spearman` and `p_group_agreement` of the estimate against `counts` (C,), and the
    zero-shot `accuracy` and `mean_logit_spearman` (the class-mean zero-shot logit against
    the counts: an additive log-prior shows as a positive one)."""
    labels = np.tile(np.arange(world.num_classes), max(sizes))  # the first k x C: k per class
    images = pretrain.model_view(toyworld.render(world, labels, np.random.default_rng(seed)), preprocess)
    classifier = models.ZeroShotClassifier(clip, model, world.class_names, templates).eval()
    batches = [pretrain.normalise(images[i : i + 1024], preprocess) for i in range(0, len(images), 1024)]
    with torch.no_grad():
        logits = torch.cat([classifier(batch) for batch in batches]).numpy().astype(np.float64)
    true_groups = p_groups(counts.astype(np.float64), *fractions)
    records = []
    for per_class in sizes:
        z, y = logits[: per_class * world.num_classes], labels[: per_class * world.num_classes]
        common = {
            "val_per_class": per_class,
            "accuracy": 100.0 * float((z.argmax(axis=1) == y).mean()),
            "mean_logit_spearman": float(spearmanr(z.mean(axis=0), counts).statistic),
        }
        for solver in PRIOR_SOLVERS:
            estimate, _ = estimate_prior(z, y, solver=solver)
            agreement = float((p_groups(estimate, *fractions) == true_groups).mean())
            spearman = float(spearmanr(estimate, counts).statistic)
            records.append(common | {"solver": solver, "spearman": spearman, "p_group_agreement": agreement})
    return records
