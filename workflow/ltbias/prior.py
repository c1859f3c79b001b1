"""Pre-training label prior of a backbone, estimated from its zero-shot logits (method.md §7).

GLA's estimator: calibrate a temperature so that the mean confidence of the zero-shot
predictions matches their accuracy, then find the prior q on the simplex that minimises
mean CE(z / T - log q, y) over a class-balanced labelled split. Two solvers:

- `exact` (the default): q = softmax(w), solved to convergence with SciPy's L-BFGS-B and
  analytic gradients, after a root-found temperature.
- `reference`: what GLA's released code does. A temperature searched in [0.1, 10] (bounds
  widened by 1.1 when needed) until the confidence is within 0.1 points of the accuracy;
  then Lagrangian primal-dual SGD on q itself (q >= 0 and sum q = 1 as constraints with
  multipliers), from uniform, lr = 1e-5 (N / C) / 50, 1000 iterations, converged or not.

SciPy is imported where it solves: the workflow loads this module on every parse (for the
P-groups), and SciPy would add half a second.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import numpy as np
import pandas as pd

from .config import PRIOR_SOLVERS
from .errors import JobError

__all__ = [
    "P_GROUPS",
    "REFERENCE_ITERATIONS",
    "InconsistentPriorError",
    "calibrate_temperature",
    "estimate_prior",
    "load_prior",
    "p_groups",
    "read_per_class",
    "reference_lr",
    "reference_temperature",
    "solver_agreement",
]

logger = logging.getLogger(__name__)

P_GROUPS = ("P-Many", "P-Medium", "P-Few")
REFERENCE_ITERATIONS = 1000  # GLA's released estimator
_REFERENCE_TOLERANCE = 1e-3  # confidence within 0.1 percentage points of the accuracy


class InconsistentPriorError(JobError, ValueError):
    """A prior file does not describe the dataset's classes as a probability vector."""


def read_per_class(
    path: str | os.PathLike, classes: pd.DataFrame, column: str, valid: Callable[[np.ndarray], np.ndarray], what: str
) -> np.ndarray:
    """`column` of a per-class file (label, class_name, `column`) as float64, its rows checked
    against the dataset's `classes` (same labels and class names, in order) and each value
    against `valid` (described as `what`); the first wrong row is named by its line."""
    table = pd.read_csv(path)
    if not {"label", "class_name", column} <= set(table):
        raise InconsistentPriorError(
            f"{path}: expected columns label, class_name, {column}; got {table.columns.tolist()}"
        )
    if len(table) != len(classes):
        raise InconsistentPriorError(f"{path}: {len(table)} rows for the dataset's {len(classes)} classes")
    for key in ("label", "class_name"):
        found, expected = table[key].astype(str).to_numpy(), classes[key].astype(str).to_numpy()
        if (found != expected).any():
            row = int((found != expected).argmax())
            raise InconsistentPriorError(
                f"{path}:{row + 2}: {key} {found[row]!r} where the dataset has {expected[row]!r}: "
                "the rows must follow the dataset's classes"
            )
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(values) & valid(values))
    if bad.any():
        row = int(bad.argmax())
        raise InconsistentPriorError(
            f"{path}:{row + 2}: the {column} of label {table['label'].iloc[row]} is "
            f"{table[column].astype(str).iloc[row]}, not {what}"
        )
    return values


def load_prior(path: str | os.PathLike, classes: pd.DataFrame) -> np.ndarray:
    """The `prior` column of `path` (written by the estimate_prior job), checked against the
    dataset's `classes` (`read_per_class`) and for being a probability vector."""
    values = read_per_class(path, classes, "prior", lambda v: v > 0, "a positive number")
    if abs(values.sum() - 1) >= 1e-4:
        raise InconsistentPriorError(f"{path}: the prior does not sum to 1 (sum {values.sum():.6g})")
    return values


def calibrate_temperature(logits: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (1e-3, 1e3)) -> float:
    """T such that mean max softmax(z / T) equals the accuracy of argmax z.

    Confidence falls monotonically from 1 to 1/C as T grows, so the root is unique; an
    accuracy outside that range returns the nearer bound.
    """
    from scipy.optimize import brentq
    from scipy.special import softmax

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


def reference_temperature(logits: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (0.1, 10.0)) -> float:
    """GLA's temperature search: bisect T until the mean max softmax(z / T) is within 0.1
    points of the accuracy, widening the bounds by 1.1 while they do not bracket it."""
    from scipy.special import softmax

    z = np.asarray(logits, dtype=np.float64)
    accuracy = float((z.argmax(axis=1) == labels).mean())

    def gap(t: float) -> float:
        return float(softmax(z / t, axis=1).max(axis=1).mean()) - accuracy

    lo, hi = bounds
    for _ in range(200):  # confidence falls with T: a positive gap at hi needs a larger hi
        if gap(lo) < 0:
            lo /= 1.1
        elif gap(hi) > 0:
            hi *= 1.1
        else:
            break
    t = (lo + hi) / 2
    for _ in range(200):
        t = (lo + hi) / 2
        value = gap(t)
        if abs(value) <= _REFERENCE_TOLERANCE:
            break
        lo, hi = (t, hi) if value > 0 else (lo, t)
    return t


def reference_lr(n: int, c: int) -> float:
    """The released estimator's learning rate for `n` labelled images of `c` classes."""
    return 1e-5 * (n / c) / 50


def _primal_dual(z: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """q minimising mean CE(z - log q, y) s.t. q >= 0, sum q = 1, by simultaneous gradient
    descent on q and ascent on the multipliers of the Lagrangian, as GLA's released code."""
    n, c = z.shape
    frequency = np.bincount(labels, minlength=c) / n
    lr = reference_lr(n, c)
    q = np.full(c, 1.0 / c)
    equality, inequality = 0.0, np.zeros(c)  # multipliers of sum q - 1 = 0 and -q <= 0
    shifted = np.empty_like(z)
    for _ in range(REFERENCE_ITERATIONS):
        safe = np.maximum(q, 1e-12)
        np.subtract(z, np.log(safe), out=shifted)
        shifted -= shifted.max(axis=1, keepdims=True)
        np.exp(shifted, out=shifted)
        mean_p = (shifted / shifted.sum(axis=1, keepdims=True)).mean(axis=0)
        gradient = (frequency - mean_p) / safe + equality - inequality  # d Lagrangian / d q
        violation = q.sum() - 1.0
        equality, inequality = equality + lr * violation, np.maximum(0.0, inequality + lr * -q)
        q = q - lr * gradient
    q = np.maximum(q, 1e-12)
    return q / q.sum(), lr


def estimate_prior(
    logits: np.ndarray, labels: np.ndarray, calibrate: bool = True, tol: float = 1e-9, solver: str = "exact"
) -> tuple[np.ndarray, dict]:
    """Estimate q (C,) from zero-shot `logits` (N, C) and `labels` (N,) of a balanced split.

    Returns q and `{"solver", "temperature", "loss", "iterations", ...}`; the exact solver
    raises if the optimiser does not converge.
    """
    from scipy.optimize import minimize
    from scipy.special import log_softmax, softmax

    labels = np.asarray(labels, dtype=np.int64)
    if solver == "reference":
        temperature = reference_temperature(logits, labels) if calibrate else 1.0
        z = np.asarray(logits, dtype=np.float64) / temperature
        prior, lr = _primal_dual(z, labels)
        loss = float(-log_softmax(z - np.log(prior), axis=1)[np.arange(len(labels)), labels].mean())
        info = {"solver": solver, "temperature": temperature, "loss": loss, "iterations": REFERENCE_ITERATIONS}
        return prior, info | {"lr": lr}
    if solver != "exact":
        raise ValueError(f"prior.solver: {solver!r} is not one of {list(PRIOR_SOLVERS)}")
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
        "solver": solver,
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


def solver_agreement(exact: np.ndarray, reference: np.ndarray, many_fraction: float, few_fraction: float) -> dict:
    """How far the two solvers' priors agree: Spearman correlation, and the share of classes
    that fall in the same P-group."""
    from scipy.stats import spearmanr

    same = p_groups(exact, many_fraction, few_fraction) == p_groups(reference, many_fraction, few_fraction)
    return {"spearman": float(spearmanr(exact, reference).statistic), "p_group_agreement": float(same.mean())}
