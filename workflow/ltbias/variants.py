"""The registry of metrics rows beyond one model's logits: how an ensemble combines its
members, what it fits on val to do so, and the rows evaluated from other logits. The
ensemble, the fitting, the tables and Table 3 read it; a new variant is one entry: its
offset function (what each member's logits lose) or `weighted` (convex member weights),
and, when it fits something, its fit function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import adjust
from .subsets import subset_name, subsets

__all__ = [
    "GLA",
    "GLA_TRAIN",
    "UNIFORM",
    "VARIANTS",
    "ZERO_SHOT",
    "Fit",
    "Member",
    "Variant",
    "label_of",
    "offsets",
]


@dataclass(frozen=True)
class Member:
    """What a variant may take from one member besides its fine-tuned logits z_ft."""

    log_prior: np.ndarray  # (C,) log of its estimated pre-training prior q
    fitted: dict[str, float | np.ndarray]  # its fitted values by `Variant.fitted` key, per image if cross-fitted
    zero_shot: np.ndarray | None = None  # (N, C) its zero-shot logits on the same test images


@dataclass(frozen=True)
class Fit:
    """What a variant's fit sees: each member's logits on the labelled images it fits on."""

    backbones: Sequence[str]  # ensemble order
    logits: dict[str, np.ndarray]  # backbone -> (N, C)
    labels: np.ndarray  # (N,)
    priors: dict[str, np.ndarray]  # backbone -> (C,) estimated pre-training prior
    debias_lambda: float | None = None  # `ensemble.debias_lambda`: a fixed lambda, not fitted


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


def _fit_lambdas(fit: Fit) -> dict[str, float]:
    """Each member's lambda maximising the val log-likelihood of softmax(z - lambda log q)."""
    if fit.debias_lambda is not None:
        return dict.fromkeys(fit.backbones, fit.debias_lambda)
    return {b: adjust.fit_debias_lambda(fit.logits[b], fit.labels, np.log(fit.priors[b])) for b in fit.backbones}


def _fit_weights(fit: Fit) -> dict[str, list[float]]:
    """Each subset's convex member weights maximising the val log-likelihood of their sum."""
    return {
        subset_name(s): adjust.fit_weights([fit.logits[b] for b in s], fit.labels).tolist()
        for s in subsets(fit.backbones)
        if len(s) >= 2
    }


@dataclass(frozen=True)
class Variant:
    """One way to combine a subset's member logits z_m (P(c) of the backdoor adjustment)."""

    name: str  # metrics.csv's `variant`
    label: str  # as the tables name it (Table 8's P(c) column, Table 3's method); see `label_of`
    formula: str  # what a member contributes, as the report's captions write it
    fitted: str | None = None  # the `adjustments.json` key of what it fits on val, if any
    fit: Callable[[Fit], dict] | None = None  # backbone or subset -> its fitted value
    # a member -> the (C,) or (N, C) values its logits lose; None: no offset
    offset: Callable[[Member], np.ndarray] | None = None
    weighted: bool = False  # sum_m w_m z_m with the subset's fitted convex weights, not the plain sum
    zero_shot: bool = False  # its offset needs the members' zero-shot logits


UNIFORM = "uniform"  # the paper's: sum_m z_m, P(c) = 1/M
GLA = "gla"
VARIANTS = {
    v.name: v
    for v in (
        Variant(UNIFORM, "uniform", "z"),
        Variant("fitted", "fitted on {fitted_on}", "w z", fitted="weights", fit=_fit_weights, weighted=True),
        Variant(
            "debiased",
            "prior-debiased",
            "z - λ log q",
            fitted="debias_lambda",
            fit=_fit_lambdas,
            offset=_scaled_log_prior,
        ),
        Variant("prior_subtracted", "prior-subtracted", "z - log q", offset=_log_prior),
        Variant(GLA, "GLA post-hoc", "z + z_zs - log q", offset=_gla, zero_shot=True),
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
