"""Continual reassessment method (CRM) decisions; semantics of R dfcrm 0.2-2.1 ``crm``/``crmsim``.

One-parameter working models for the DLT probability at dose ``d`` with skeleton ``s_d``:

* empiric:  ``p_d(b) = s_d ** exp(b)``
* logistic: ``p_d(b) = 1 / (1 + exp(-a0 - exp(b) * x_d))`` with ``x_d = logit(s_d) - a0 < 0``

Both are decreasing in ``b``. The likelihood depends on the data only through the per-dose
counts ``(n_d, y_d)``, so the log-likelihood at a fixed grid of ``b`` values is
``sum_d y_d * log p_d(b_j) + (n_d - y_d) * log(1 - p_d(b_j))`` with both logs precomputed at
lowering time (the ``tab`` rows). The posterior mean of ``b`` is then a ratio of two
trapezoid sums over the grid, which is spectrally accurate for these smooth, rapidly decaying
integrands once the step is below the posterior standard deviation. The grid step is chosen at
lowering time from the largest Fisher information a patient can contribute (so from
``max_n``); when the observed posterior is narrower than that (unusual, conflicting data),
the integral is recomputed directly on a finer grid centred on the mode.

Layouts (shared with :mod:`doseesc.designs.crm`, which packs them):

``ipar``: see the ``I_*`` indices; from ``I_X0`` on, the initial design (0-based dose per
patient, ``max_n`` entries) when there is one.
``fpar``: see the ``F_*`` indices; from ``F_DOSE`` on, the skeleton (``n_doses`` entries) and
then the scaled doses (``log s_d`` for empiric, ``x_d`` for logistic).
``tab``: rows ``0..D-1`` log p_d, rows ``D..2D-1`` log(1 - p_d), row ``2D`` the log prior
density (up to a constant; zeros for the likelihood method), row ``2D+1`` the nodes ``b_j``.
``work``: the log-likelihood at the nodes (``K`` entries).

Decisions depend only on the per-dose counts and on the last cohort (dose, size, DLTs), which
the trial loop passes in, so exact enumeration applies with no ``aux`` state.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from .codes import CONTINUE, SAFETY

EMPIRIC = 0
LOGISTIC = 1
BAYES = 0
LIKELIHOOD = 1

# ipar indices
I_START = 0
I_COHORT = 1
I_RESTRICT = 2  # 0 none; 1 dfcrm crmsim (no skipping in escalation + coherence); 2 coherence only
I_METHOD = 3
I_MODEL = 4
I_K = 5  # number of grid nodes
I_MAX_N = 6
I_HAS_X0 = 7
I_SAFETY = 8
I_JSTAR = 9  # node index of the safety cut point b* (may lie outside 0..K-1)
I_X0 = 10

# fpar indices
F_TARGET = 0
F_H = 1  # grid step
F_A0 = 2  # logistic intercept
F_SAFETY = 3  # safety threshold on P(p_1 > target | data)
F_BSTAR = 4  # p_1(b) > target  <=>  b < b*
F_PRIOR_SD = 5
F_LO = 6  # lower end of the integration / optimisation range
F_HI = 7
F_DOSE = 8

CUT = 40.0  # nodes whose log-posterior is below max - CUT contribute < 4e-18 relative
MIN_STEPS_PER_SD = 1.0  # below this the fixed grid is too coarse: integrate directly


@jit
def _lp_lq(model, a0, xd, b):
    """log p_d(b) and log(1 - p_d(b)) computed directly (no table), stably."""
    t = math.exp(b)
    if model == EMPIRIC:
        lp = t * xd
        return lp, math.log(-math.expm1(lp))
    eta = a0 + t * xd
    if eta > 0:
        lp = -math.log1p(math.exp(-eta))
    else:
        lp = eta - math.log1p(math.exp(eta))
    return lp, lp - eta


@jit
def _logpost_direct(ipar, fpar, n, y, b):
    """Log posterior (log likelihood for the likelihood method) at an arbitrary ``b``."""
    D = n.shape[0]
    model = ipar[I_MODEL]
    a0 = fpar[F_A0]
    s = 0.0
    if ipar[I_METHOD] == BAYES:
        sd = fpar[F_PRIOR_SD]
        s = -0.5 * (b / sd) ** 2
    for d in range(D):
        if n[d] > 0:
            lp, lq = _lp_lq(model, a0, fpar[F_DOSE + D + d], b)
            if y[d] > 0:
                s += y[d] * lp
            if n[d] > y[d]:
                s += (n[d] - y[d]) * lq
    return s


@jit
def _grid_logpost(ipar, tab, n, y, ll):
    """Fill ``ll[:K]`` with the log posterior at the nodes; return (index of the max, max)."""
    D = n.shape[0]
    K = ipar[I_K]
    for j in range(K):
        ll[j] = tab[2 * D, j]
    for d in range(D):
        nd = n[d]
        if nd > 0:
            yd = np.float64(y[d])
            md = np.float64(nd - y[d])
            for j in range(K):
                ll[j] += yd * tab[d, j] + md * tab[D + d, j]
    jm = 0
    m = ll[0]
    for j in range(1, K):
        if ll[j] > m:
            m = ll[j]
            jm = j
    return jm, m


@jit
def _direct_moments(ipar, fpar, n, y, center, step, bstar):
    """Trapezoid sums on the line ``center + step * i`` (walking out until negligible).

    Returns (sum w, sum w b, mass below b*) with w relative to the value at ``center``.
    """
    m = _logpost_direct(ipar, fpar, n, y, center)
    s0 = 1.0
    s1 = center
    below = 0.0
    cut = bstar - 0.5 * step  # nodes strictly below b* (b* itself, if on the line, is excluded)
    if center < cut:
        below = 1.0
    for sign in (-1.0, 1.0):
        i = 1
        while i < 100000:
            b = center + sign * step * i
            w = math.exp(_logpost_direct(ipar, fpar, n, y, b) - m)
            s0 += w
            s1 += w * b
            if b < cut:
                below += w
            if w < 1e-18:
                break
            i += 1
    return s0, s1, below


@jit
def posterior_mean(ipar, fpar, tab, n, y, work):
    """Posterior mean of beta and P(p_1 > target | data) (Bayes method).

    The probability is only computed when the safety rule is on (else NaN).
    """
    K = ipar[I_K]
    D = n.shape[0]
    jm, m = _grid_logpost(ipar, tab, n, y, work)
    h = fpar[F_H]
    # Curvature at the mode: posterior SD in units of the step. Too few steps per SD means
    # the fixed grid cannot resolve the posterior: integrate directly on a finer line.
    if 0 < jm < K - 1:
        c2 = 2.0 * m - work[jm - 1] - work[jm + 1]
        if c2 > 1.0 / (MIN_STEPS_PER_SD * MIN_STEPS_PER_SD):
            sd = h / math.sqrt(c2)
            bstar = fpar[F_BSTAR] if ipar[I_SAFETY] else -np.inf
            b0 = tab[2 * D + 1, jm]
            if ipar[I_SAFETY]:  # keep b* on the line so the tail sum is an endpoint rule
                step = sd / 4.0
                b0 = bstar + step * np.floor((b0 - bstar) / step)
                s0, s1, below = _direct_moments(ipar, fpar, n, y, b0, step, bstar)
                # endpoint: half weight at b*, plus the Euler-Maclaurin derivative term
                mref = _logpost_direct(ipar, fpar, n, y, b0)
                f0 = math.exp(_logpost_direct(ipar, fpar, n, y, bstar) - mref)
                fm = math.exp(_logpost_direct(ipar, fpar, n, y, bstar - step) - mref)
                fp = math.exp(_logpost_direct(ipar, fpar, n, y, bstar + step) - mref)
                below = below + 0.5 * f0 - (fp - fm) / 24.0
                return s1 / s0, min(1.0, max(0.0, below / s0))
            s0, s1, below = _direct_moments(ipar, fpar, n, y, b0, sd / 4.0, bstar)
            return s1 / s0, np.nan
    s0 = 0.0
    s1 = 0.0
    lo = m - CUT
    jlo = jm
    while jlo > 0 and work[jlo - 1] > lo:
        jlo -= 1
    jhi = jm
    while jhi < K - 1 and work[jhi + 1] > lo:
        jhi += 1
    brow = 2 * D + 1
    for j in range(jlo, jhi + 1):
        w = math.exp(work[j] - m)
        work[j] = w
        s0 += w
        s1 += w * tab[brow, j]
    prob = np.nan
    if ipar[I_SAFETY]:
        js = ipar[I_JSTAR]
        if js < jlo:
            prob = 0.0
        elif js > jhi:
            prob = 1.0
        else:
            below = 0.0
            for j in range(jlo, js):
                below += work[j]
            below += 0.5 * work[js]
            fm = work[js - 1] if js - 1 >= jlo else 0.0
            fp = work[js + 1] if js + 1 <= jhi else 0.0
            below -= (fp - fm) / 24.0
            prob = min(1.0, max(0.0, below / s0))
    return s1 / s0, prob


@jit
def _dloglik(ipar, fpar, n, y, b):
    """First and second derivatives of the log likelihood in b."""
    D = n.shape[0]
    model = ipar[I_MODEL]
    a0 = fpar[F_A0]
    g = 0.0
    hs = 0.0
    t = math.exp(b)
    for d in range(D):
        if n[d] == 0:
            continue
        xd = fpar[F_DOSE + D + d]
        yd = y[d]
        md = n[d] - y[d]
        if model == EMPIRIC:
            L = t * xd  # log p; dL/db = L
            p = math.exp(L)
            g += yd * L
            hs += yd * L
            if md > 0:
                om = -math.expm1(L)  # 1 - p
                f = -p * L / om  # d/db log(1 - p)
                dfdl = -p * (L + om) / (om * om)
                g += md * f
                hs += md * dfdl * L
        else:
            u = t * xd  # eta - a0; du/db = u
            eta = a0 + u
            p = 1.0 / (1.0 + math.exp(-eta))
            q = 1.0 - p
            g += yd * q * u - md * p * u
            hs += yd * (-p * q * u * u + q * u) + md * (-p * q * u * u - p * u)
    return g, hs


@jit
def mle(ipar, fpar, tab, n, y, work):
    """Maximum likelihood estimate of b on [lo, hi] (dfcrm optimises over (-10, 10))."""
    K = ipar[I_K]
    D = n.shape[0]
    jm, m = _grid_logpost(ipar, tab, n, y, work)
    brow = 2 * D + 1
    lo = tab[brow, max(jm - 1, 0)]
    hi = tab[brow, min(jm + 1, K - 1)]
    # Safeguarded Newton inside the bracket [lo, hi], bisecting on the sign of the gradient.
    b = tab[brow, jm]
    for _ in range(100):
        g, hs = _dloglik(ipar, fpar, n, y, b)
        if g > 0:
            lo = b
        else:
            hi = b
        if hs < 0:
            bn = b - g / hs
        else:
            bn = 0.5 * (lo + hi)
        if not (lo < bn < hi):
            bn = 0.5 * (lo + hi)
        if abs(bn - b) < 1e-12 * max(1.0, abs(b)) or hi - lo < 1e-13:
            b = bn
            break
        b = bn
    return b


@jit
def plug_in(ipar, fpar, D, b, out):
    """Plug-in DLT probabilities at ``b`` into ``out`` (handles b = +-inf as limits)."""
    model = ipar[I_MODEL]
    a0 = fpar[F_A0]
    t = math.exp(b) if b < 700.0 else np.inf
    for d in range(D):
        if model == EMPIRIC:
            s = fpar[F_DOSE + d]
            if t == np.inf:
                out[d] = 0.0
            else:
                out[d] = s ** t
        else:
            x = fpar[F_DOSE + D + d]
            if t == np.inf:
                out[d] = 0.0
            else:
                out[d] = 1.0 / (1.0 + math.exp(-a0 - t * x))


@jit
def closest(p, target):
    """dfcrm's rule: all p <= target: top dose; all p >= target: dose 1; else the dose with p
    closest to target (the lower one on an exact tie)."""
    D = p.shape[0]
    all_le = True
    all_ge = True
    for d in range(D):
        if p[d] > target:
            all_le = False
        if p[d] < target:
            all_ge = False
    if all_le:
        return D - 1
    if all_ge:
        return 0
    best = 0
    bd = abs(p[0] - target)
    for d in range(1, D):
        dd = abs(p[d] - target)
        if dd < bd:
            bd = dd
            best = d
    return best


@jit
def estimate(ipar, fpar, tab, n, y, work, out, final):
    """beta estimate (posterior mean or MLE, dfcrm's limits when they do not exist) and the
    plug-in DLT probabilities into ``out``. Returns (beta, P(p_1 > target) or NaN).

    ``final``: the estimate behind the final selection (crmsim's ``finalobj``), which differs
    from the one behind a decision only in when the N(0, 500^2)-prior limits apply.
    """
    D = n.shape[0]
    ntot = 0
    ytot = 0
    for d in range(D):
        ntot += n[d]
        ytot += y[d]
    prob = np.nan
    # dfcrm: when every patient so far had a DLT, decisions after an initial design (and, for
    # the likelihood method, the final estimate too) use a N(0, 500^2) prior: in effect
    # b -> -inf. The likelihood method with no DLT at all likewise gives b -> +inf.
    if ntot > 0 and ytot == ntot and (ipar[I_METHOD] == LIKELIHOOD or (ipar[I_HAS_X0] == 1 and not final)):
        b = -np.inf
    elif ipar[I_METHOD] == LIKELIHOOD and ytot == 0:
        b = np.inf
    elif ipar[I_METHOD] == LIKELIHOOD:
        b = mle(ipar, fpar, tab, n, y, work)
    else:
        b, prob = posterior_mean(ipar, fpar, tab, n, y, work)
    plug_in(ipar, fpar, D, b, out)  # b = -inf: p -> 1 (empiric), expit(a0) (logistic)
    return b, prob


@jit
def start(ipar, aux):
    if ipar[I_HAS_X0]:
        return ipar[I_X0], ipar[I_COHORT]
    return ipar[I_START], ipar[I_COHORT]


@jit
def decide(ipar, fpar, tab, n, y, work, cur, c, k):
    D = n.shape[0]
    ntot = 0
    ytot = 0
    for d in range(D):
        ntot += n[d]
        ytot += y[d]
    safety = ipar[I_SAFETY] == 1
    if ntot >= ipar[I_MAX_N] and not safety:
        return cur, 0, CONTINUE  # the trial loop stops at max_n and calls select()
    if ipar[I_HAS_X0] == 1 and ytot == 0:
        # stage 1 of a two-stage design: follow the initial design until the first DLT
        nxt = ipar[I_X0 + ntot] if ntot < ipar[I_MAX_N] else cur
        if safety:
            p = work[ipar[I_K]:ipar[I_K] + D]
            b, prob = estimate(ipar, fpar, tab, n, y, work, p, False)
            if prob > fpar[F_SAFETY]:
                return -1, 0, SAFETY
        return nxt, ipar[I_COHORT], CONTINUE
    p = work[ipar[I_K]:ipar[I_K] + D]
    b, prob = estimate(ipar, fpar, tab, n, y, work, p, False)
    if safety and prob > fpar[F_SAFETY]:
        return -1, 0, SAFETY
    nxt = closest(p, fpar[F_TARGET])
    r = ipar[I_RESTRICT]
    if r != 0:
        if k / c >= fpar[F_TARGET]:  # the last cohort's DLT rate >= target: no escalation
            if nxt > cur:
                nxt = cur
        elif r == 1 and nxt > cur + 1:  # never skip a dose when escalating
            nxt = cur + 1
    return nxt, ipar[I_COHORT], CONTINUE


@jit
def select(ipar, fpar, tab, n, y, work):
    """The dose recommended after the last patient (crmsim's MTD), with no restriction."""
    D = n.shape[0]
    p = work[ipar[I_K]:ipar[I_K] + D]
    estimate(ipar, fpar, tab, n, y, work, p, True)
    return closest(p, fpar[F_TARGET])


@jit
def estimates(ipar, fpar, tab, n, y, work, out):
    b, prob = estimate(ipar, fpar, tab, n, y, work, out, False)
    return b
