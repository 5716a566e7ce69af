"""Escalation with overdose control in Babb, Rogatko & Zacks' (1998) parametrisation (R package
``ewoc``'s ``ewoc_d1classical``), with a deterministic posterior.

Model, on the standardised dose ``x = (dose - min_dose) / (max_dose - min_dose)``:
``logit p(x) = logit(rho0) + (logit(theta) - logit(rho0)) x / gamma``, where ``rho0 = theta v`` is
the DLT probability at ``min_dose`` and ``gamma`` is the MTD (``p(gamma) = theta``);
``v ~ Beta(a1, b1)``, ``gamma ~ Beta(a2, b2)`` (Babb: uniform).

Posterior on a composite Gauss-Legendre grid over (v, gamma) in (0, 1)^2 (``tab`` rows: per dose
log p and log(1 - p) at the nodes, the log prior plus log quadrature weights, the gamma nodes
and their panels). The marginal posterior CDF of gamma at any point is the sum of the panels
below it plus, inside its panel, the integral of the polynomial interpolating the marginal
density at the panel's nodes (exact for the rule's polynomial degree), so the next dose, the
``alpha``-quantile of the MTD's posterior, is found by bisection to 1e-12. Since ``p(x) > theta``
exactly when ``x > gamma``, ``P(p(x) > theta) = P(gamma < x)`` from the same CDF.

Decisions depend only on the per-dose counts and the current dose (exact enumeration applies).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from .blrm import log_sigmoid
from .codes import CONTINUE, SAFETY

# ipar indices
I_START = 0
I_COHORT = 1
I_NV = 2  # nodes in v
I_NG = 3  # nodes in gamma
I_PANEL = 4  # gamma nodes per panel
I_ROUND = 5  # 0 down, 1 nearest
I_NOSKIP = 6
I_SAFETY = 7

# fpar indices
F_ALPHA = 0  # feasibility bound (final value)
F_ALPHA_START = 1  # NaN: constant
F_ALPHA_STEP = 2
F_MIN = 3  # min_dose
F_MAX = 4
F_SAFETY = 5  # stop when P(p(first dose) > theta) > this
F_X = 8  # standardised doses (D), then the doses (D)

DOWN = 0
NEAREST = 1


def n_work(Nv, Ng, D):
    return Nv * Ng + Ng + 2 * D + 8


@jit
def _weights(ipar, tab, n, y, work):
    """Posterior weights at the nodes (work[:Nv * Ng], gamma-major) and the marginal weights of
    gamma (work[Nv * Ng: + Ng]); returns their total."""
    D = n.shape[0]
    Nv = ipar[I_NV]
    Ng = ipar[I_NG]
    G = Nv * Ng
    m = -np.inf
    for k in range(G):
        s = tab[2 * D, k]
        for d in range(D):
            if n[d] > 0:
                s += y[d] * tab[d, k] + (n[d] - y[d]) * tab[D + d, k]
        work[k] = s
        if s > m:
            m = s
    z = 0.0
    for j in range(Ng):
        col = 0.0
        for i in range(Nv):
            w = math.exp(work[j * Nv + i] - m)
            work[j * Nv + i] = w
            col += w
        work[G + j] = col
        z += col
    return z


@jit
def _lagrange(nodes, j0, P, m, s):
    """Lagrange basis polynomial m of the panel's nodes nodes[j0 .. j0 + P - 1] at s."""
    v = 1.0
    xm = nodes[j0 + m]
    for k in range(P):
        if k != m:
            v *= (s - nodes[j0 + k]) / (xm - nodes[j0 + k])
    return v


@jit
def gamma_cdf(ipar, tab, D, work, z, g):
    """Posterior P(gamma <= g), from the weights in work (after :func:`_weights`)."""
    Nv = ipar[I_NV]
    Ng = ipar[I_NG]
    P = ipar[I_PANEL]
    G = Nv * Ng
    if g <= 0.0:
        return 0.0
    if g >= 1.0:
        return 1.0
    n_pan = Ng // P
    k = min(int(g * n_pan), n_pan - 1)  # panels are equal-width on (0, 1)
    tot = 0.0
    for j in range(k * P):
        tot += work[G + j]
    a = k / n_pan
    nodes = tab[2 * D + 1]
    qw = tab[2 * D + 2]
    # density values at the panel's nodes: marginal weight / quadrature weight
    part = 0.0
    # integral of the interpolating polynomial from a to g: P-point Gauss-Legendre on [a, g]
    # (exact for a polynomial of degree P - 1); its nodes are the panel's, mapped
    for q in range(P):
        sq = a + (g - a) * (nodes[k * P + q] - a) * n_pan
        wq = qw[k * P + q] * (g - a) * n_pan
        f = 0.0
        for mm in range(P):
            f += work[G + k * P + mm] / qw[k * P + mm] * _lagrange(nodes, k * P, P, mm, sq)
        part += wq * f
    return min(max((tot + part) / z, 0.0), 1.0)


@jit
def gamma_quantile(ipar, tab, D, work, z, q):
    """The q-quantile of gamma's posterior, by bisection on :func:`gamma_cdf` to 1e-12."""
    lo = 0.0
    hi = 1.0
    while hi - lo > 1e-12:
        mid = 0.5 * (lo + hi)
        if gamma_cdf(ipar, tab, D, work, z, mid) < q:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@jit
def feasibility(ipar, fpar, n):
    a = fpar[F_ALPHA]
    if np.isnan(fpar[F_ALPHA_START]):
        return a
    N = 0
    for d in range(n.shape[0]):
        N += n[d]
    c = ipar[I_COHORT]
    k = (N + c - 1) // c
    return min(a, fpar[F_ALPHA_START] + fpar[F_ALPHA_STEP] * max(k - 1, 0))


@jit
def round_dose(ipar, fpar, D, q):
    """ewoc's rounding of a dose (clamped to the first and last dose) to the dose set."""
    fd = F_X + D
    if q < fpar[fd]:
        q = fpar[fd]
    if q > fpar[fd + D - 1]:
        q = fpar[fd + D - 1]
    if ipar[I_ROUND] == DOWN:
        best = 0
        for d in range(D):
            if fpar[fd + d] <= q:
                best = d
        return best
    best = 0
    bd = abs(fpar[fd] - q)
    for d in range(1, D):
        v = abs(fpar[fd + d] - q)
        if v < bd:
            bd = v
            best = d
    return best


@jit
def recommend(ipar, fpar, tab, n, y, work, cur):
    """(next dose, MTD quantile in dose units, P(p(first dose) > theta))."""
    D = n.shape[0]
    z = _weights(ipar, tab, n, y, work)
    alpha = feasibility(ipar, fpar, n)
    gq = gamma_quantile(ipar, tab, D, work, z, alpha)
    q = fpar[F_MIN] + gq * (fpar[F_MAX] - fpar[F_MIN])
    nxt = round_dose(ipar, fpar, D, q)
    if ipar[I_NOSKIP] == 1 and cur >= 0 and nxt - cur > 1:
        nxt = cur + 1
    p1 = gamma_cdf(ipar, tab, D, work, z, fpar[F_X])
    return nxt, q, p1


@jit
def start(ipar, aux):
    aux[0] = -3
    return ipar[I_START], ipar[I_COHORT]


@jit
def decide(ipar, fpar, tab, n, y, aux, work, cur, c, k):
    nxt, q, p1 = recommend(ipar, fpar, tab, n, y, work, cur)
    if ipar[I_SAFETY] == 1 and p1 > fpar[F_SAFETY]:
        aux[0] = -1
        return -1, 0, SAFETY
    aux[0] = nxt
    return nxt, ipar[I_COHORT], CONTINUE


@jit
def select(ipar, fpar, tab, n, y, aux, work):
    """The dose recommended after the last cohort (from counts alone: without no-skipping)."""
    if aux[0] >= -1:
        return aux[0]
    nxt, q, p1 = recommend(ipar, fpar, tab, n, y, work, -1)
    return nxt


@jit
def estimates(ipar, fpar, tab, n, y, work, out):
    """Posterior means of p at each dose into ``out``."""
    D = n.shape[0]
    z = _weights(ipar, tab, n, y, work)
    Nv = ipar[I_NV]
    Ng = ipar[I_NG]
    for d in range(D):
        s = 0.0
        for k in range(Nv * Ng):
            s += work[k] * math.exp(tab[d, k])
        out[d] = s / z
    return np.nan


@jit
def summaries(ipar, fpar, tab, n, y, work, cur, out):
    """For live use: per dose P(p > theta) (= P(gamma < x_d)) and the posterior mean of p
    (rows of D in ``out``); returns (next dose, MTD quantile, feasibility bound)."""
    D = n.shape[0]
    nxt, q, p1 = recommend(ipar, fpar, tab, n, y, work, cur)
    z = _weights(ipar, tab, n, y, work)
    Nv = ipar[I_NV]
    Ng = ipar[I_NG]
    for d in range(D):
        out[d] = gamma_cdf(ipar, tab, D, work, z, fpar[F_X + d])
        s = 0.0
        for k in range(Nv * Ng):
            s += work[k] * math.exp(tab[d, k])
        out[D + d] = s / z
    return nxt, q, feasibility(ipar, fpar, n)


@jit
def tables_fill(xv, v_nodes, g_nodes, theta, lp, lq):
    """Per dose log p and log(1 - p) at the grid nodes (gamma-major): the model's own code."""
    lt = math.log(theta) - math.log1p(-theta)
    for d in range(xv.shape[0]):
        for j in range(g_nodes.shape[0]):
            for i in range(v_nodes.shape[0]):
                r = theta * v_nodes[i]
                l0 = math.log(r) - math.log1p(-r)
                eta = l0 + (lt - l0) * xv[d] / g_nodes[j]
                lp[d, j * v_nodes.shape[0] + i] = log_sigmoid(eta)
                lq[d, j * v_nodes.shape[0] + i] = log_sigmoid(-eta)
