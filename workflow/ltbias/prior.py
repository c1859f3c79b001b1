"""Pre-training label prior of a backbone, estimated from its zero-shot logits (method.md §7).

GLA's estimator: calibrate a temperature so that the mean confidence of the zero-shot
predictions matches their accuracy, then find the prior q on the simplex that minimises
mean CE(z / T - log q, y) over a class-balanced labelled split. q is parameterised as
softmax(w) and solved with SciPy's L-BFGS-B, with analytic gradients.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize
from scipy.special import log_softmax, softmax

from .errors import JobError

__all__ = ["P_GROUPS", "InconsistentPriorError", "calibrate_temperature", "estimate_prior", "load_prior", "p_groups"]

logger = logging.getLogger(__name__)

P_GROUPS = ("P-Many", "P-Medium", "P-Few")


class InconsistentPriorError(JobError, ValueError):
    """A prior file does not describe the dataset's classes as a probability vector."""


def load_prior(path: str | os.PathLike, classes: pd.DataFrame) -> np.ndarray:
    """The `prior` column of `path` (written by the estimate_prior job), checked against the
    dataset's `classes` (same labels in the same order) and for being a probability vector."""
    table = pd.read_csv(path)
    if "prior" not in table or "label" not in table:
        raise InconsistentPriorError(f"{path}: expected columns label, prior; got {table.columns.tolist()}")
    if table["label"].tolist() != classes["label"].tolist():
        raise InconsistentPriorError(
            f"{path}: {len(table)} labels that differ from the dataset's {len(classes)} classes"
        )
    numeric = pd.to_numeric(table["prior"], errors="coerce")
    if numeric.isna().any():
        row = int(numeric.isna().to_numpy().argmax())
        raise InconsistentPriorError(
            f"{path}:{row + 2}: the prior of label {table['label'].iloc[row]} is "
            f"{table['prior'].iloc[row]!r}, not a number"
        )
    values = numeric.to_numpy(dtype=np.float64)
    if not (np.isfinite(values).all() and (values > 0).all() and abs(values.sum() - 1) < 1e-4):
        raise InconsistentPriorError(f"{path}: the prior is not positive and summing to 1 (sum {values.sum():.6g})")
    return values


def calibrate_temperature(logits: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (1e-3, 1e3)) -> float:
    """T such that mean max softmax(z / T) equals the accuracy of argmax z.

    Confidence falls monotonically from 1 to 1/C as T grows, so the root is unique; an
    accuracy outside that range returns the nearer bound.
    """
    z = np.asarray(logits, dtype=np.float64)
    accuracy = float((z.argmax(axis=1) == labels).mean())

    def gap(log_t: float) -> float:
        return float(softmax(z / np.exp(log_t), axis=1).max(axis=1).mean()) - accuracy

    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    if gap(lo) <= 0:
        return bounds[0]
    if gap(hi) >= 0:
        return bounds[1]
    return float(np.exp(brentq(gap, lo, hi, xtol=1e-10)))


def estimate_prior(
    logits: np.ndarray, labels: np.ndarray, calibrate: bool = True, tol: float = 1e-9
) -> tuple[np.ndarray, dict]:
    """Estimate q (C,) from zero-shot `logits` (N, C) and `labels` (N,) of a balanced split.

    Returns q and `{"temperature", "loss", "iterations", "gradient_norm"}`; raises if the
    optimiser does not converge.
    """
    labels = np.asarray(labels, dtype=np.int64)
    temperature = calibrate_temperature(logits, labels) if calibrate else 1.0
    z = np.asarray(logits, dtype=np.float64) / temperature
    n, c = z.shape
    onehot_mean = np.bincount(labels, minlength=c) / n

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        theta = log_softmax(w)  # log q
        shifted = z - theta
        log_p = log_softmax(shifted, axis=1)
        loss = -log_p[np.arange(n), labels].mean()
        grad_theta = onehot_mean - np.exp(log_p).mean(axis=0)  # d loss / d log q
        q = np.exp(theta)
        return loss, grad_theta - q * grad_theta.sum()

    result = minimize(objective, np.zeros(c), jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": tol})
    gradient_norm = float(np.abs(result.jac).max())
    if not result.success and gradient_norm > 1e-5:
        raise RuntimeError(f"prior estimate did not converge: {result.message} (gradient {gradient_norm:.2e})")
    prior = softmax(result.x)
    info = {
        "temperature": temperature,
        "loss": float(result.fun),
        "iterations": int(result.nit),
        "gradient_norm": gradient_norm,
    }
    logger.info("prior estimate: %s", info)
    return prior, info


def p_groups(prior: np.ndarray, many_fraction: float = 1 / 3, few_fraction: float = 1 / 3) -> np.ndarray:
    """P-Many / P-Medium / P-Few by rank of the prior, split as GLA's reference splits it.

    The top floor(C * many_fraction) classes are P-Many, the next floor(C * (1 - many_fraction
    - few_fraction)) P-Medium, the rest P-Few: thirds give C//3, C//3 and the remainder
    (Places-LT, C = 365: 121 / 121 / 123; the paper's thresholds are unverified, method.md §7).
    """
    c = len(prior)
    order = np.argsort(-np.asarray(prior), kind="stable")
    n_many = int(np.floor(c * many_fraction + 1e-9))
    n_not_few = n_many + int(np.floor(c * (1 - many_fraction - few_fraction) + 1e-9))
    groups = np.empty(c, dtype=object)
    groups[order[:n_many]] = P_GROUPS[0]
    groups[order[n_many:n_not_few]] = P_GROUPS[1]
    groups[order[n_not_few:]] = P_GROUPS[2]
    return groups.astype(str)
