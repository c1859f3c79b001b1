"""The registry of metrics rows beyond one model's logits: how an ensemble combines its
members, and the rows evaluated from other logits. The ensemble, the tables and Table 3
read it; a new variant is one entry (plus its offset function, or a fit in the ensemble
job when it fits something new on val).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["GLA", "GLA_TRAIN", "VARIANTS", "WEIGHTED", "ZERO_SHOT", "Member", "Variant", "offsets"]


@dataclass(frozen=True)
class Member:
    """What a variant may take from one member besides its fine-tuned logits z_ft."""

    log_prior: np.ndarray  # (C,) log of its estimated pre-training prior q
    fitted: dict[str, float]  # its values fitted on val (`debias_lambda`)
    zero_shot: np.ndarray | None = None  # (N, C) its zero-shot logits on the same test images


def _log_prior(member: Member) -> np.ndarray:
    return member.log_prior


def _scaled_log_prior(member: Member) -> np.ndarray:
    return np.float32(member.fitted["debias_lambda"]) * member.log_prior


def _gla(member: Member) -> np.ndarray:
    """GLA's post-hoc adjustment (`gla_inference`): z_ft + z_zs - log q, as the offset
    log q - z_zs. Its - log p term (p the downstream prior, uniform after LA training) is a
    constant and changes no prediction."""
    return member.log_prior - member.zero_shot


@dataclass(frozen=True)
class Variant:
    """One way to combine a subset's member logits z_m (P(c) of the backdoor adjustment)."""

    name: str  # metrics.csv's `variant`
    label: str  # as the tables name it (Table 8's P(c) column, Table 3's method)
    fitted: str | None = None  # the `adjustments.json` key fitted on val, if any
    # a member -> the (C,) or (N, C) values its logits lose; None: no offset
    offset: Callable[[Member], np.ndarray] | None = None
    zero_shot: bool = False  # its offset needs the members' zero-shot logits


WEIGHTED = "fitted"  # the variant that weighs the members instead of summing them
GLA = "gla"
VARIANTS = {
    v.name: v
    for v in (
        Variant("uniform", "uniform"),  # sum_m z_m: P(c) = 1/M, the paper
        Variant(WEIGHTED, "fitted on val", fitted="weights"),  # sum_m w_m z_m, convex w per subset
        Variant("debiased", "prior-debiased", fitted="debias_lambda", offset=_scaled_log_prior),
        Variant("prior_subtracted", "prior-subtracted", offset=_log_prior),  # sum_m z_m - log q_m
        Variant(GLA, "GLA post-hoc", offset=_gla, zero_shot=True),  # sum_m z_m + z_zs,m - log q_m
    )
}
# rows evaluated from other logits than the fine-tuned members'
ZERO_SHOT = "zero-shot"  # each backbone's zero-shot logits
GLA_TRAIN = "gla-train"  # the LIFT backbone fine-tuned with the GLA-Train loss (Tables 3 and 4)


def offsets(members: dict[str, Member]) -> dict[str, dict[str, np.ndarray]]:
    """Variant -> backbone -> what its logits lose, for every variant with an offset (those
    that need zero-shot logits only when every member has them)."""
    with_zero_shot = all(m.zero_shot is not None for m in members.values())
    return {
        v.name: {b: v.offset(member) for b, member in members.items()}
        for v in VARIANTS.values()
        if v.offset is not None and (with_zero_shot or not v.zero_shot)
    }
