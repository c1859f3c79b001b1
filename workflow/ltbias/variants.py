"""The registry of metrics rows beyond one model's logits: how an ensemble combines its
members, and the rows evaluated from other logits. The ensemble, the tables and Table 3
read it; a new variant is one entry (plus its offset function, or a fit in the ensemble
job when it fits something new on val).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["GLA_TRAIN", "VARIANTS", "WEIGHTED", "ZERO_SHOT", "Variant", "offsets"]


def _log_prior(log_prior: np.ndarray, fitted: dict[str, float]) -> np.ndarray:
    return log_prior


def _scaled_log_prior(log_prior: np.ndarray, fitted: dict[str, float]) -> np.ndarray:
    return np.float32(fitted["debias_lambda"]) * log_prior


@dataclass(frozen=True)
class Variant:
    """One way to combine a subset's member logits z_m (P(c) of the backdoor adjustment)."""

    name: str  # metrics.csv's `variant`
    label: str  # as the tables name it (Table 8's P(c) column)
    fitted: str | None = None  # the `adjustments.json` key fitted on val, if any
    # (member's log prior q, its fitted values) -> the (C,) vector its logits lose
    offset: Callable[[np.ndarray, dict[str, float]], np.ndarray] | None = None


WEIGHTED = "fitted"  # the variant that weighs the members instead of summing them
VARIANTS = {
    v.name: v
    for v in (
        Variant("uniform", "uniform"),  # sum_m z_m: P(c) = 1/M, the paper
        Variant(WEIGHTED, "fitted on val", fitted="weights"),  # sum_m w_m z_m, convex w per subset
        Variant("debiased", "prior-debiased", fitted="debias_lambda", offset=_scaled_log_prior),
        Variant("gla", "GLA post-hoc", offset=_log_prior),  # sum_m z_m - log q_m
    )
}
# rows evaluated from other logits than the fine-tuned members'
ZERO_SHOT = "zero-shot"  # each backbone's zero-shot logits
GLA_TRAIN = "gla-train"  # the LIFT backbone fine-tuned with the GLA-Train loss (Tables 3 and 4)


def offsets(log_priors: dict[str, np.ndarray], fitted: dict[str, dict[str, float]]) -> dict[str, dict[str, np.ndarray]]:
    """Variant -> backbone -> the vector subtracted from its logits, for every variant with
    an offset; `fitted` holds each backbone's values fitted on val (`debias_lambda`)."""
    return {
        v.name: {b: v.offset(log_prior, fitted.get(b, {})) for b, log_prior in log_priors.items()}
        for v in VARIANTS.values()
        if v.offset is not None
    }
