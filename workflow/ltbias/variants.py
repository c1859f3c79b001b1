"""The registry of metrics rows beyond one model's logits: how an ensemble combines its
members, and the rows evaluated from other logits. The ensemble, the tables and Table 3
read it; a new variant is one entry (plus its offset function, or a fit in the ensemble
job when it fits something new on val).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["GLA", "GLA_TRAIN", "VARIANTS", "WEIGHTED", "ZERO_SHOT", "Member", "Variant", "label_of", "offsets"]


@dataclass(frozen=True)
class Member:
    """What a variant may take from one member besides its fine-tuned logits z_ft."""

    log_prior: np.ndarray  # (C,) log of its estimated pre-training prior q
    fitted: dict[str, float | np.ndarray]  # its fitted values (`debias_lambda`), per image if cross-fitted
    zero_shot: np.ndarray | None = None  # (N, C) its zero-shot logits on the same test images


def _log_prior(member: Member) -> np.ndarray:
    return member.log_prior


def _scaled_log_prior(member: Member) -> np.ndarray:
    """lambda log q; lambda per test image (N,) when cross-fitted (`fitting.per_image`)."""
    scale = np.asarray(member.fitted["debias_lambda"], dtype=np.float32)
    return scale[:, None] * member.log_prior if scale.ndim else np.float32(scale) * member.log_prior


def _gla(member: Member) -> np.ndarray:
    """GLA's post-hoc adjustment (`gla_inference`): z_ft + z_zs - log q, as the offset
    log q - z_zs. Its - log p term (p the downstream prior, uniform after LA training) is a
    constant and changes no prediction."""
    return member.log_prior - member.zero_shot


@dataclass(frozen=True)
class Variant:
    """One way to combine a subset's member logits z_m (P(c) of the backdoor adjustment)."""

    name: str  # metrics.csv's `variant`
    label: str  # as the tables name it (Table 8's P(c) column, Table 3's method); see `label_of`
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
        Variant(WEIGHTED, "fitted on {fitted_on}", fitted="weights"),  # sum_m w_m z_m, convex w per subset
        Variant("debiased", "prior-debiased", fitted="debias_lambda", offset=_scaled_log_prior),
        Variant("prior_subtracted", "prior-subtracted", offset=_log_prior),  # sum_m z_m - log q_m
        Variant(GLA, "GLA post-hoc", offset=_gla, zero_shot=True),  # sum_m z_m + z_zs,m - log q_m
    )
}
# rows evaluated from other logits than the fine-tuned members'
ZERO_SHOT = "zero-shot"  # each backbone's zero-shot logits
GLA_TRAIN = "gla-train"  # the LIFT backbone fine-tuned with the GLA-Train loss (Tables 3 and 4)


def label_of(name: str, fitted_on: str | None = None) -> str:
    """The table label of variant `name` whose values were fitted on `fitted_on` (`val`, or
    `test, 2-fold` when cross-fitted), said in the label or after it."""
    variant = VARIANTS[name]
    if "{fitted_on}" in variant.label:
        return variant.label.format(fitted_on=fitted_on or "val")
    return variant.label + (f" (fitted on {fitted_on})" if fitted_on and fitted_on != "val" else "")


def offsets(members: dict[str, Member]) -> dict[str, dict[str, np.ndarray]]:
    """Variant -> backbone -> what its logits lose, for every variant with an offset (those
    that need zero-shot logits only when every member has them)."""
    with_zero_shot = all(m.zero_shot is not None for m in members.values())
    return {
        v.name: {b: v.offset(member) for b, member in members.items()}
        for v in VARIANTS.values()
        if v.offset is not None and (with_zero_shot or not v.zero_shot)
    }
