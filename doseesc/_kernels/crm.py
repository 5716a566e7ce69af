"""Continual reassessment method (CRM) decisions; semantics of R dfcrm 0.2-2.1 ``crm``/``crmsim``.

One-parameter working models for the DLT probability at dose ``d`` with skeleton ``s_d``:

* empiric:  ``p_d(b) = s_d ** exp(b)``
* logistic: ``p_d(b) = 1 / (1 + exp(-a0 - exp(b) * x_d))`` with ``x_d = logit(s_d) - a0 < 0``

Both are decreasing in ``b``. The likelihood depends on the data only through the per-dose
counts ``(n_d, y_d)``, so on a fixed grid of ``b`` values the log posterior is
``log prior(b_j) + sum_d y_d log p_d(b_j) + (n_d - y_d) log(1 - p_d(b_j))`` with every log
precomputed at lowering time (the ``tab`` rows): a few vectorised multiply-adds per node.
The posterior mean of ``b`` is a ratio of two trapezoid sums, which converge exponentially
fast in the step for these analytic, rapidly decaying integrands. Only the exponentials are
costly, so they are taken on a sub-lattice whose stride adapts to the posterior's width
(see :func:`posterior_mean`), about 25 per evaluation. The grid step is chosen at lowering
time from the largest Fisher information a patient can carry (so from ``max_n``); when a
posterior is narrower than the grid can resolve (conflicting data), the integral is redone
directly on a finer line.

Layouts (shared with :mod:`doseesc.designs.crm`, which packs them):

``ipar``: see the ``I_*`` indices; from ``I_X0`` on, the initial design (0-based dose per
patient, ``max_n`` entries) when there is one.
``fpar``: see the ``F_*`` indices; from ``F_DOSE`` on, the skeleton (``n_doses`` entries),
the scaled doses (``log s_d`` for empiric, ``x_d`` for logistic) and the ``D - 1`` decision
boundaries in beta (see :func:`recommend`).
``tab`` (``2D + 2`` rows by ``K`` nodes): rows ``0..D-1`` log p_d(b_j), rows ``D..2D-1``
log(1 - p_d(b_j)), row ``2D`` the log prior density up to a constant (zero for the
likelihood method), row ``2D + 1`` the nodes b_j.
``work``: ``K`` log posterior values, ``K`` weights, ``D`` DLT estimates, a ``D + 1``-word key
and, in the simulators, a decision cache (:mod:`.cache`) after that.

Decisions depend only on the per-dose counts, on the last cohort (dose, size, DLTs), which the
trial loop passes in, and on ``aux[0]``, a lower bound on the model's recommendation that
lets the escalation phase skip the posterior (see :func:`decide`); exact enumeration applies.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from . import cache as _cache
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
F_HMAX = 8  # largest useful sub-lattice step (see :func:`max_step`)
F_DOSE = 9

CUT = 20.0  # stop summing once the log posterior is CUT below its maximum (weights < 2.1e-9)
SCALE_CUT = 4.0  # the local scale is measured where the log posterior is within this of its max
COARSE = 8  # stride of the first scan for the mode; the largest sub-lattice stride
STEPS_PER_SD = 1.5  # sub-lattice steps per posterior SD, at least (the every-other-node rule then errs by < 1e-4)
# Accept the sub-lattice rule when it differs from the every-other-node rule by less than TOL
# (relative to max(1, |mean|)). That difference is about the coarser rule's error; halving the
# step squares the error of these rules, so the accepted rule errs by about TOL^2.
TOL = 1e-4


def max_step(model, a0):
    """Largest sub-lattice step worth trying, set by how far from the real axis the posterior
    density stays analytic and bounded: the trapezoid error of step H is about
    exp(-2 pi d / H). Empiric: |s ** exp(b)| grows without bound once |Im b| > pi / 2;
    logistic: p(b) has poles at |Im b| = atan(pi / a0). Measured on typical posteriors
    (empiric: error about 20 exp(-10.7 / H)), H <= 0.28 d keeps the every-other-node rule's
    error (step 2H) below the acceptance tolerance, so the first stride usually passes."""
    d = math.pi / 2 if model == EMPIRIC else math.atan(math.pi / a0)
    return 0.28 * d


def n_work(K, D):
    """Scratch the kernels need (``Lowered.n_work``): two node rows, D estimates and a
    decision-cache key of D + 1 words."""
    return 2 * K + 2 * D + 1


def cache_width(D):
    """Floats per decision-cache slot (see :mod:`.cache`): the key is the per-dose counts and
    whether the estimate is the final one."""
    return _cache.HEAD + D + 1


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
    """Fill ``ll[:K]`` with the log posterior at every node: one vectorised pass per dose
    with patients (2-d indexing measured faster here than row views)."""
    D = n.shape[0]
    K = ipar[I_K]
    for j in range(K):
        ll[j] = tab[2 * D, j]
    for d in range(D):
        if n[d] > 0:
            yd = np.float64(y[d])
            md = np.float64(n[d] - y[d])
            for j in range(K):
                ll[j] += yd * tab[d, j] + md * tab[D + d, j]


@jit
def _mode(ll, K):
    """Index of the node maximum: every COARSE-th node, then a climb to the neighbouring max."""
    jm = 0
    m = ll[0]
    for j in range(COARSE, K, COARSE):
        if ll[j] > m:
            m = ll[j]
            jm = j
    while jm + 1 < K and ll[jm + 1] > m:
        jm += 1
        m = ll[jm]
    while jm > 0 and ll[jm - 1] > m:
        jm -= 1
        m = ll[jm]
    return jm


@jit
def _direct_moments(ipar, fpar, n, y, center, step, bstar):
    """Trapezoid sums on the line ``center + step * i``, walking out until negligible.

    Returns (sum w, sum w b, tail below b*) with w relative to the value at ``center``; when
    b* lies on the line the tail gets the endpoint half weight and the Euler-Maclaurin
    derivative term, as in :func:`posterior_mean`.
    """
    m = _logpost_direct(ipar, fpar, n, y, center)
    s0 = 1.0
    s1 = center
    below = 0.0
    on_line = False
    if bstar > -np.inf:
        r = (bstar - center) / step
        on_line = abs(r - np.round(r)) < 1e-6
    cut = bstar - 0.5 * step if on_line else bstar
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
    if on_line:
        f0 = math.exp(_logpost_direct(ipar, fpar, n, y, bstar) - m)
        fm = math.exp(_logpost_direct(ipar, fpar, n, y, bstar - step) - m)
        fp = math.exp(_logpost_direct(ipar, fpar, n, y, bstar + step) - m)
        below += 0.5 * f0 - (fp - fm) / 24.0
    return s0, s1, below


@jit
def _walk(ll, w, K, m, j0, st):
    """Weights ``w[j] = exp(ll[j] - m)`` on the lattice ``j0 + i * st``, walking out from ``j0``
    both ways until the log posterior is ``CUT`` below ``m``. Returns the lattice range."""
    lo = m - CUT
    j = j0
    jlo = j0
    while j >= 0:
        w[j] = math.exp(ll[j] - m)
        jlo = j
        if ll[j] < lo:
            break
        j -= st
    j = j0 + st
    jhi = j0
    while j < K:
        w[j] = math.exp(ll[j] - m)
        jhi = j
        if ll[j] < lo:
            break
        j += st
    return jlo, jhi


@jit
def _lattice_mean(b, w, jlo, jhi, st):
    s0 = 0.0
    s1 = 0.0
    for j in range(jlo, jhi + 1, st):
        s0 += w[j]
        s1 += w[j] * b[j]
    return s1 / s0, s0


@jit
def posterior_mean(ipar, fpar, tab, n, y, work):
    """Posterior mean of beta and P(p_1 > target | data) (Bayes method).

    The log posterior at every node costs a few vectorised multiply-adds; then: find the
    node maximum (coarse scan and climb), read the posterior's smallest local scale off the
    largest curvature of the log posterior near the mode (within ``SCALE_CUT``), and
    sum the trapezoid rule on the sub-lattice (stride at most ``COARSE``) with at least
    ``STEPS_PER_SD`` nodes per SD, walking out from the mode until the log posterior has
    dropped by ``CUT``. The rule is checked against the rule on every other of its nodes (for
    these analytic integrands the error falls like exp(-c / step^2), so the finer rule is far
    more accurate than their difference); the stride is halved until the difference is below
    ``TOL``, and when even the grid step fails the integral is done directly on a finer line.
    About 20-30 exponentials per call whatever the posterior width.

    The probability is computed only when the safety rule is on (else NaN); the sub-lattice
    then contains b*, where the tail sum gets the endpoint half weight and the Euler-Maclaurin
    derivative correction.
    """
    K = ipar[I_K]
    D = n.shape[0]
    h = fpar[F_H]
    ll = work[:K]
    w = work[K:2 * K]
    b = tab[2 * D + 1]
    _grid_logpost(ipar, tab, n, y, ll)
    jm = _mode(ll, K)
    m = ll[jm]
    # The posterior's smallest local scale, in grid steps, from the largest curvature of the
    # log posterior where it is within SCALE_CUT of its maximum (skewed posteriors are much
    # narrower on one side than the curvature at the mode says).
    c2 = 0.0
    lo = m - SCALE_CUT
    j = jm
    while j > 0 and ll[j] > lo:
        c2 = max(c2, 2.0 * ll[j] - ll[j - 1] - ll[j + 1]) if j < K - 1 else c2
        j -= 1
    j = jm + 1
    while j < K - 1 and ll[j] > lo:
        c2 = max(c2, 2.0 * ll[j] - ll[j - 1] - ll[j + 1])
        j += 1
    steps = 1.0 / math.sqrt(c2) if c2 > 0 else np.inf
    st = int(min(steps / STEPS_PER_SD, COARSE, fpar[F_HMAX] / h))
    if st < 1:
        st = 1
    safety = ipar[I_SAFETY] == 1
    js = ipar[I_JSTAR]
    j0 = jm
    if safety and js >= 0:
        j0 = jm - (jm - js) % st
    jlo, jhi = _walk(ll, w, K, m, j0, st)
    mean, s0 = _lattice_mean(b, w, jlo, jhi, st)
    coarse, c0 = _lattice_mean(b, w, jlo, jhi, 2 * st)
    while abs(mean - coarse) > TOL * max(1.0, abs(mean)):
        if st == 1:
            return _posterior_direct(ipar, fpar, n, y, b[jm], h / 4.0, safety)
        if st % 2 == 0:  # halve the stride: add the midpoints
            st //= 2
            for j in range(jlo + st, jhi, 2 * st):
                w[j] = math.exp(ll[j] - m)
            coarse = mean
            mean, s0 = _lattice_mean(b, w, jlo, jhi, st)
        else:  # odd stride: walk again on the finer lattice
            st //= 2
            j0 = jm
            if safety and js >= 0:
                j0 = jm - (jm - js) % st
            jlo, jhi = _walk(ll, w, K, m, j0, st)
            coarse = mean
            mean, s0 = _lattice_mean(b, w, jlo, jhi, st)
    prob = np.nan
    if safety:
        if js < 0 or js < jlo:
            prob = 0.0  # b* below the grid (or p_1 can never exceed the target), or no mass below it
        elif js > jhi:
            prob = 1.0
        else:
            # The tail sum is only O(H^5) accurate even with the end correction: take it on the
            # full grid (stride 1), filling in the nodes the sub-lattice skipped.
            top = min(js + 2 * st, jhi)
            if st > 1:
                for j in range(jlo, top + 1):
                    if (j - jlo) % st != 0:
                        w[j] = math.exp(ll[j] - m)
            below = 0.0
            for j in range(jlo, js):
                below += w[j]
            below += 0.5 * w[js] + _endpoint_correction(w, js, 1, jlo, top)
            prob = min(1.0, max(0.0, below / (s0 * st)))
    return mean, prob


@jit
def _lattice_value(w, j, jlo, jhi):
    return w[j] if jlo <= j <= jhi else 0.0


@jit
def _endpoint_correction(w, js, st, jlo, jhi):
    """Gregory (Euler-Maclaurin) end correction, in units of the step H, for the trapezoid sum of
    ``w`` up to the lattice node ``js``: ``-H f' / 12 + H^3 f''' / 720``, both derivatives from
    five-point differences of the lattice values (zero outside the walked range)."""
    a = _lattice_value(w, js - 2 * st, jlo, jhi)
    b = _lattice_value(w, js - st, jlo, jhi)
    c = _lattice_value(w, js + st, jlo, jhi)
    d = _lattice_value(w, js + 2 * st, jlo, jhi)
    d1 = (a - 8.0 * b + 8.0 * c - d) / 12.0  # H f'
    d3 = (-a + 2.0 * b - 2.0 * c + d) / 2.0  # H^3 f'''
    return -d1 / 12.0 + d3 / 720.0


@jit
def _posterior_direct(ipar, fpar, n, y, b0, step, safety):
    """Fallback for posteriors the grid cannot resolve: trapezoid on a finer line through the
    mode (through b* with the safety rule), evaluating the model directly."""
    bstar = -np.inf
    if safety:
        bstar = fpar[F_BSTAR]
        if bstar > -np.inf:
            b0 = bstar + step * np.floor((b0 - bstar) / step)
    s0, s1, below = _direct_moments(ipar, fpar, n, y, b0, step, bstar)
    prob = np.nan
    if safety:
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
    ll = work[:K]
    _grid_logpost(ipar, tab, n, y, ll)
    jm = 0
    for j in range(1, K):
        if ll[j] > ll[jm]:
            jm = j
    nodes = tab[2 * D + 1]
    lo = nodes[max(jm - 1, 0)]
    hi = nodes[min(jm + 1, K - 1)]
    # Safeguarded Newton inside the bracket [lo, hi], bisecting on the sign of the gradient.
    b = nodes[jm]
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
    """Plug-in DLT probabilities at ``b`` into ``out``; b = -inf gives the limits p = 1
    (empiric) and expit(a0) (logistic), b = +inf gives 0."""
    model = ipar[I_MODEL]
    a0 = fpar[F_A0]
    t = math.exp(b) if b < 700.0 else np.inf
    for d in range(D):
        x = fpar[F_DOSE + D + d]
        if t == np.inf:
            out[d] = 0.0
        elif model == EMPIRIC:
            out[d] = math.exp(t * x)  # s ** t, as dfcrm, to within an ulp
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


BOUNDARY_GUARD = 1e-9  # closer than this (relative) to a boundary: decide from the probabilities


@jit
def recommend(ipar, fpar, D, b, p):
    """dfcrm's recommendation at the estimate ``b`` (``p``: scratch for D probabilities).

    The closest-to-target dose is at least ``d`` exactly when ``p_{d-1}(b) + p_d(b) < 2 target``;
    the sum decreases in ``b``, so that holds exactly when ``b`` exceeds the root ``B_d``
    (precomputed at lowering). The recommendation is therefore the number of boundaries below
    ``b``, with no exponentials, unless ``b`` is within ``BOUNDARY_GUARD`` of one: then the
    probabilities and :func:`closest` decide, as dfcrm does.
    """
    if not (-1e300 < b < 1e300):  # the +-inf limits
        plug_in(ipar, fpar, D, b, p)
        return closest(p, fpar[F_TARGET])
    base = F_DOSE + 2 * D
    tol = BOUNDARY_GUARD * max(1.0, abs(b))
    r = 0
    for d in range(D - 1):
        bd = fpar[base + d]
        if abs(b - bd) <= tol:
            plug_in(ipar, fpar, D, b, p)
            return closest(p, fpar[F_TARGET])
        if b > bd:
            r += 1
    return r


@jit
def estimate_beta(ipar, fpar, tab, n, y, work, final):
    """beta estimate: posterior mean or MLE, with dfcrm's limits when they do not exist.
    Returns (beta, P(p_1 > target) or NaN).

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
    return b, prob


@jit
def estimate(ipar, fpar, tab, n, y, work, out, final):
    """:func:`estimate_beta` and the plug-in DLT probabilities into ``out``
    (b = -inf: p -> 1 for empiric, expit(a0) for logistic)."""
    b, prob = estimate_beta(ipar, fpar, tab, n, y, work, final)
    plug_in(ipar, fpar, n.shape[0], b, out)
    return b, prob


@jit(inline=True)
def _recommendation(ipar, fpar, tab, n, y, work, final, safety):
    """The model's unrestricted recommendation from the counts (-1 when ``safety`` is on and
    the safety rule stops the trial), looked up in the decision cache (:mod:`.cache`) or
    computed and stored there. It depends on nothing but the counts and ``final``
    (:func:`estimate_beta`), which make the key, so the cache never changes a result."""
    K = ipar[I_K]
    D = n.shape[0]
    k = 2 * K + D
    for d in range(D):
        work[k + d] = n[d] * 1024 + y[d]  # n <= 1000
    work[k + D] = 1.0 if final else 0.0
    hit, val, o = _cache.lookup(work, k + D + 1, _cache.HEAD + D + 1, k, D + 1)
    if hit:
        return np.int64(val)
    p = work[2 * K:2 * K + D]
    b, prob = estimate_beta(ipar, fpar, tab, n, y, work, final)
    if safety and prob > fpar[F_SAFETY]:
        r = -1
    else:
        r = recommend(ipar, fpar, D, b, p)
    _cache.store(work, o, k, D + 1, np.float64(r))
    return r


@jit
def start(ipar, aux):
    aux[0] = -1
    if ipar[I_HAS_X0]:
        return ipar[I_X0], ipar[I_COHORT]
    return ipar[I_START], ipar[I_COHORT]


@jit
def decide(ipar, fpar, tab, n, y, aux, work, cur, c, k):
    """Next dose after a cohort of ``c`` with ``k`` DLTs at ``cur``.

    ``aux[0]`` is a lower bound on the model's (unrestricted) recommendation, or -1. Adding a
    cohort without DLT multiplies the posterior by a likelihood increasing in beta, so the
    posterior mean (or MLE) and with it the recommendation can only go up. Hence, under
    dfcrm's restriction, when the bound already exceeds ``cur`` and the last cohort had no DLT,
    the next dose is ``cur + 1`` without computing the posterior (the escalation phase).
    """
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
            b, prob = estimate_beta(ipar, fpar, tab, n, y, work, False)
            if prob > fpar[F_SAFETY]:
                return -1, 0, SAFETY
        return nxt, ipar[I_COHORT], CONTINUE
    r = ipar[I_RESTRICT]
    if r == 1 and k == 0 and not safety and aux[0] > cur:
        return cur + 1, ipar[I_COHORT], CONTINUE
    nxt = _recommendation(ipar, fpar, tab, n, y, work, False, safety)
    if nxt < 0:
        return -1, 0, SAFETY
    aux[0] = nxt
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
    return _recommendation(ipar, fpar, tab, n, y, work, True, False)


@jit
def estimates(ipar, fpar, tab, n, y, work, out):
    b, prob = estimate(ipar, fpar, tab, n, y, work, out, False)
    return b
