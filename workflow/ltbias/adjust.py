"""Beyond uniform P(c): convex member weights fitted on val, and prior-debiased members.

- Fitted P(c): the convex weights w (on the simplex) that maximise the val log-likelihood of
  softmax(sum_m w_m z_m), i.e. minimise mean CE over the val split. With w uniform this is
  the softmax of the members' mean logits, the paper's P(c) = 1/M.
- Debiased members: z_m - lambda_m log q_m, with q_m the member's estimated pre-training
  prior (method.md §7) and lambda_m fitted on val (maximum log-likelihood of the member's
  own softmax) or fixed. A single debiased member is GLA's post-hoc adjustment.

Both are fitted on the val split only and then applied to test. SciPy is imported where
it solves: the workflow loads this module on every parse, and SciPy would add half a second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["fit_debias_lambda", "fit_weights"]

_LAMBDA_BOUNDS = (0.0, 5.0)


def _nll(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean CE of softmax(logits) and its gradient with respect to the logits."""
    from scipy.special import log_softmax

    log_p = log_softmax(logits, axis=1)
    grad = np.exp(log_p)
    grad[np.arange(len(labels)), labels] -= 1.0
    return float(-log_p[np.arange(len(labels)), labels].mean()), grad / len(labels)


def fit_weights(val_logits: Sequence[np.ndarray], labels: np.ndarray) -> np.ndarray:
    """Convex weights (M,) of the members maximising the val log-likelihood of their
    weighted sum (softmax parameterisation, L-BFGS-B with analytic gradients)."""
    from scipy.optimize import minimize
    from scipy.special import softmax

    members = [np.asarray(z, dtype=np.float64) for z in val_logits]
    labels = np.asarray(labels)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = softmax(theta)
        loss, grad_logits = _nll(sum(wm * z for wm, z in zip(w, members, strict=True)), labels)
        grad_w = np.array([(grad_logits * z).sum() for z in members])
        return loss, w * (grad_w - w @ grad_w)

    result = minimize(objective, np.zeros(len(members)), jac=True, method="L-BFGS-B")
    return softmax(result.x)


def fit_debias_lambda(val_logits: np.ndarray, labels: np.ndarray, log_prior: np.ndarray) -> float:
    """lambda in [0, 5] maximising the val log-likelihood of softmax(z - lambda log q)."""
    from scipy.optimize import minimize_scalar

    z = np.asarray(val_logits, dtype=np.float64)
    result = minimize_scalar(lambda lam: _nll(z - lam * log_prior, labels)[0], bounds=_LAMBDA_BOUNDS, method="bounded")
    return float(result.x)
