"""Hierarchical BLRM likelihood for MAP priors: each historical trial's (log alpha, log beta)
integrated out by a 2-D Gauss-Hermite rule, for many hyperparameter points at once."""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._jit import jit
from .blrm import log_sigmoid


@jit(parallel=True)
def log_marginal(mu_a, mu_b, tau_a, tau_b, rho, u, w, lw, trial_start, x, n, y, out):
    """``out[s]`` = sum over trials of log of the integral of the trial's binomial likelihood
    against N((mu_a, mu_b), Sigma(tau_a, tau_b, rho)) at hyperparameter point ``s``, by the
    product rule with nodes ``(u, w)`` (standard normal scale) and log weights ``lw``.
    Trial ``i``'s dose rows are ``trial_start[i] .. trial_start[i + 1] - 1`` of ``x`` (log dose
    ratio), ``n`` and ``y``."""
    S = mu_a.shape[0]
    G = u.shape[0]
    T = trial_start.shape[0] - 1
    for s in prange(S):
        r = rho[s]
        q = math.sqrt(max(1.0 - r * r, 0.0))
        tot = 0.0
        for i in range(T):
            m = -np.inf
            acc = 0.0
            for g in range(G):
                a = mu_a[s] + tau_a[s] * u[g]
                b = mu_b[s] + tau_b[s] * (r * u[g] + q * w[g])
                beta = math.exp(min(max(b, -700.0), 700.0))
                ll = lw[g]
                for k in range(trial_start[i], trial_start[i + 1]):
                    eta = a + beta * x[k]
                    ll += y[k] * log_sigmoid(eta) + (n[k] - y[k]) * log_sigmoid(-eta)
                # streaming log-sum-exp
                if ll > m:
                    acc = acc * math.exp(m - ll) + 1.0
                    m = ll
                else:
                    acc += math.exp(ll - m)
            tot += m + math.log(acc)
        out[s] = tot
