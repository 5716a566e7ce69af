"""Bayesian logistic regression model (BLRM) decisions, with a deterministic posterior.

Model (Neuenschwander, Branson & Gsponer 2008): ``logit p_d = a + exp(b) * x_d`` with
``x_d = log(dose_d / d_ref)``, ``(a, b) = (log alpha, log beta)`` and a mixture of bivariate
normal priors on ``(a, b)``.

Posterior. The log likelihood of per-dose counts ``(n_d, y_d)`` is
``sum_d n_d log p_d - (n_d - y_d) eta_d`` with ``eta_d = a + beta x_d``, so on a fixed grid of
``(a_i, b_j)`` it is one multiply-add per dose with patients (``log p_d`` tabulated when the
design is lowered, ``tab`` rows ``0..D-1``) plus the linear term ``-a S1 - beta S2`` with
``S1 = sum (n_d - y_d)`` and ``S2 = sum (n_d - y_d) x_d``. The posterior is integrated by the
trapezoid rule on a sub-lattice of the grid whose strides adapt to the posterior's width (the
rule converges exponentially fast in the step for these smooth, rapidly decaying integrands),
over the box where the log posterior is within ``CUT`` of its maximum.

Interval probabilities ``P(p_d > c) = P(a > logit(c) - beta x_d)`` need the integral of each
column (fixed ``b``) of the lattice above a threshold that falls between nodes. A plain
partial trapezoid sum is only first-order accurate there; instead each column is
interpolated by the Gaussian-regularised sinc series (Whittaker-Shannon with a Gaussian
window of ``R`` steps, truncated at ``L`` steps) and that interpolant is integrated exactly:
node ``k`` gets the weight ``Wt(v - k)`` where ``v`` is the threshold in lattice units and
``Wt(u)`` is the kernel's integral above ``u`` (tabulated, ``tab`` row ``D + 3``, with its
derivative in row ``D + 4``; cubic Hermite interpolation, error < 1e-9). Its error falls
like ``exp(-c (sd / step)^2)``; at 3.3 lattice steps per conditional posterior sd of ``a``
(which the strides guarantee) it is about 1e-7, measured in the tests against brute-force
quadrature. The conditional sd of ``a`` given ``b`` is at least ``1 / sqrt(max_n / 4 +
prior precision)`` (a Bernoulli observation carries at most 1/4 unit of information about
``a``), so the grid step in ``a`` is fixed from that bound; the posterior of ``b`` can be
narrower than any fixed grid resolves, and then the integral is redone on a local grid
around the posterior's mode (``zoom``), evaluating the model directly.

Decisions (crmPack 2.0 semantics, see :mod:`doseesc.designs.blrm`) depend only on the
per-dose counts and the current dose, so they are cached by state in ``work``: a
``decide`` call that finds its state in the cache returns the stored decision, which is the
decision it would compute (the cache never changes results).

Layouts (packed by :mod:`doseesc.designs.blrm`): ``ipar``/``fpar`` see the ``I_*``/``F_*``
indices; ``tab`` rows ``0..D-1`` log p_d at grid node ``j * Na + i``, row ``D`` the log prior
density, row ``D + 1`` the ``a_i``, row ``D + 2`` the ``beta_j = exp(b_j)``, rows ``D + 3``
and ``D + 4`` the sinc weight table and its derivative.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from .codes import CONTINUE, RULE, SAFETY
from .rng import mix64

# Rules for the next best dose
NCRM = 0  # crmPack NextBestNCRM: max P(target) among doses with P(overdose) <= max
EWOC = 1  # crmPack NextBestEWOC / Babb's EWOC: the highest dose with P(overdose) <= max
NCRM_LOSS = 2  # crmPack NextBestNCRMLoss: min posterior loss among doses with P(overdose) < max

# Stopping-rule atoms (crmPack names)
ST_MIN_PATIENTS = 1  # StoppingMinPatients(n): total patients >= n
ST_PATIENTS_NEAR = 2  # StoppingPatientsNearDose(n, percentage): patients within +-pct of the next dose >= n
ST_TARGET_PROB = 3  # StoppingTargetProb(target, prob): P(target | next dose) >= prob
ST_MIN_COHORTS = 4  # StoppingMinCohorts(n)
ST_COHORTS_NEAR = 5  # StoppingCohortsNearDose(n, percentage)

# ipar indices
I_START = 0
I_COHORT = 1
I_RULE = 2
I_NA = 3  # grid nodes in a
I_NB = 4  # grid nodes in b
I_NCOMP = 5  # prior mixture components
I_SKIP = 6  # 1: may skip untried doses when escalating
I_MAXN = 7
I_CACHE = 8  # cache capacity (entries, a power of two; 0 = off)
I_O_CACHE = 9  # offset of the cache in work
I_O_F = 10  # offset of the lattice weights in work
I_O_CUM = 11  # offset of the column prefix sums
I_O_BETA = 12  # offset of the lattice columns' beta values
I_O_PROB = 13  # offset of per-dose probabilities
I_NBUF = 14  # size of the weight buffer (nodes)
I_F_X = 15  # fpar offset of x_d
I_F_DOSE = 16  # fpar offset of the doses
I_F_PRIOR = 17  # fpar offset of the prior components (7 numbers each)
I_F_STOP = 18  # fpar offset of the stopping-rule numbers
I_NCUT = 19  # 3 with an "unacceptable" interval (4-interval loss), else 2
I_STOP = 20  # ipar offset of the stopping rules: [n_clauses, (n_atoms, (type, int) * n_atoms) * n_clauses]
I_LIMIT = 21  # D entries: the highest dose index the increments allow after a cohort at dose index d

# fpar indices
F_A0 = 0  # first grid node in a
F_HA = 1  # grid step in a
F_B0 = 2
F_HB = 3
F_T_LO = 4  # logit of the target interval's lower end
F_T_HI = 5  # logit of its upper end
F_T_OVER = 6  # logit of the overdose cut (an overdose is p > cut)
F_T_UNACC = 7  # logit of the "unacceptable" cut (4-interval loss)
F_OVER_MAX = 8  # max P(overdose) of an eligible dose (the final value when it increases)
F_OVER_START = 9  # EWOC feasibility bound for the first cohort (NaN: constant)
F_OVER_STEP = 10  # its increase per cohort
F_MIN_TARGET = 11  # NCRM: P(target) must exceed this somewhere, else the highest eligible dose
F_LOSS = 12  # 4 losses (underdose, target, overdose or excessive, unacceptable)
F_SIGMA_A = 16  # lower bound of the conditional posterior sd of a
N_FPAR_FIXED = 20

# Numerics
CUT = 20.0  # nodes whose log posterior is this far below the maximum are dropped (weights < 2.1e-9)
COARSE = 8  # first scan stride
SINC_L = 20  # sinc window half-width in lattice steps
SINC_R = 3.5  # Gaussian regularisation width in lattice steps
SINC_Q = 128  # table points per lattice step
STEPS_A = 3.3  # lattice steps per conditional sd of a, at least (sinc accuracy about 1e-7)
Q_MIN = 1.3  # minimum of the lattice quadratic form: trapezoid aliasing error < exp(-2 pi^2 Q_MIN)
ZOOM_N = 96  # nodes per axis of the local grid (zoom) used when the posterior is narrower than the grid
MAX_ITER = 12
TAIL_TOL = 1e-4  # even- vs odd-column rules of a tail probability (the full rule then errs by < ~1e-8)
MAX_REFINE = 5  # halvings of the column step for tail probabilities
N_GEO = 12  # geometry of the last lattice: na, nb, a_first, Ha, b_first, Hb, Z, means (2), variances (2), cov
W_HDR = 16  # scratch scalars at the start of work (the geometry)


def work_layout(Na: int, Nb: int, D: int, capacity: int) -> tuple:
    """(o_f, o_cum, o_beta, o_prob, o_cache, n_buf, n_work) for a grid of Na x Nb nodes."""
    nbuf = max(Na * Nb, 4 * ZOOM_N * ZOOM_N)
    o_f = W_HDR
    o_cum = o_f + nbuf
    o_beta = o_cum + nbuf + max(Nb, 2 * ZOOM_N) + 1
    o_prob = o_beta + max(Nb, 2 * ZOOM_N) + 1
    o_cache = o_prob + 8 * D + 8
    return o_f, o_cum, o_beta, o_prob, o_cache, nbuf, o_cache + 2 + key_words(D) + capacity * cache_entry(D)


def key_words(D: int) -> int:
    return 1 + (D + 2) // 3


def cache_entry(D: int) -> int:
    """int64 words per cache entry: tag, key words, value."""
    return 2 + key_words(D)


def sinc_tables() -> np.ndarray:
    """The weights of the regularised sinc rule, two rows: ``Wt(u)`` and its derivative
    ``-K(u)`` at ``u = (q / Q - 1/2) - l`` for ``q = 0..Q`` (fractional offset of the threshold)
    and ``l = -L..L`` (node offset), stored at ``q * (2L + 1) + l + L`` so that one threshold's
    weights are contiguous. ``Wt(u)`` is the kernel's integral from ``u`` to ``L``, normalised
    to 1 over ``[-L, L]`` (computed once, when a design is lowered, by 20-point Gauss-Legendre
    on pieces of width 1 / (2Q))."""
    from numpy.polynomial.legendre import leggauss

    L, r, Q = SINC_L, SINC_R, SINC_Q
    kern = lambda t: np.where(np.abs(t) <= L, np.sinc(t) * np.exp(-t * t / (2 * r * r)), 0.0)
    # Wt on a fine lattice u_k = -L - 1 + k / (2Q), by reversed cumulative sums of the pieces
    step = 1.0 / (2 * Q)
    n = int(round((2 * L + 2) / step)) + 1
    u = -L - 1 + step * np.arange(n)
    x, w = leggauss(20)
    t = (u[:-1] + 0.5 * step)[:, None] + (0.5 * step) * x[None, :]
    piece = (0.5 * step) * (kern(t) @ w)
    wt = np.concatenate([np.cumsum(piece[::-1])[::-1], [0.0]])
    total = wt[int(round(1.0 / step))]  # Wt(-L)
    qq = np.arange(Q + 1)[:, None]
    ll = np.arange(-L, L + 1)[None, :]
    uq = (qq / Q - 0.5) - ll
    idx = np.rint((uq + L + 1) / step).astype(int)
    return np.vstack([(wt[idx] / total).ravel(), (-kern(uq) / total).ravel()])


# ---------------------------------------------------------------------------------- sinc weights
@jit
def _hermite(fr):
    f2 = fr * fr
    f3 = f2 * fr
    return (2.0 * f3 - 3.0 * f2 + 1.0, -2.0 * f3 + 3.0 * f2, (f3 - 2.0 * f2 + fr) / SINC_Q, (f3 - f2) / SINC_Q)


@jit
def sinc_weight(tab, row, u):
    """``Wt(u)``: the regularised sinc kernel's integral above ``u`` (1 below -L, 0 above L)."""
    if u <= -SINC_L - 0.5:
        return 1.0
    if u >= SINC_L + 0.5:
        return 0.0
    l = int(math.floor(-u + 0.5))  # u = th - l with th in [-1/2, 1/2)
    th = u + l
    p = (th + 0.5) * SINC_Q
    q = min(int(p), SINC_Q - 1)
    h00, h01, h10, h11 = _hermite(p - q)
    W = 2 * SINC_L + 1
    k = q * W + l + SINC_L
    return h00 * tab[row, k] + h01 * tab[row, k + W] + h10 * tab[row + 1, k] + h11 * tab[row + 1, k + W]


# ---------------------------------------------------------------------------------- the model
@jit
def _sums(ipar, fpar, n, y):
    """S1 = sum (n_d - y_d), S2 = sum (n_d - y_d) x_d."""
    fx = ipar[I_F_X]
    s1 = 0.0
    s2 = 0.0
    for d in range(n.shape[0]):
        m = n[d] - y[d]
        if m > 0:
            s1 += m
            s2 += m * fpar[fx + d]
    return s1, s2


@jit
def _log_prior(ipar, fpar, a, b):
    """Log density of the prior mixture at (a, b) (same constant as the table row)."""
    K = ipar[I_NCOMP]
    o = ipar[I_F_PRIOR]
    best = -np.inf
    for c in range(K):
        q = o + 7 * c
        da = a - fpar[q + 1]
        db = b - fpar[q + 2]
        v = fpar[q] - 0.5 * (fpar[q + 3] * da * da + 2.0 * fpar[q + 4] * da * db + fpar[q + 5] * db * db)
        if v > best:
            best = v
    s = 0.0
    for c in range(K):
        q = o + 7 * c
        da = a - fpar[q + 1]
        db = b - fpar[q + 2]
        v = fpar[q] - 0.5 * (fpar[q + 3] * da * da + 2.0 * fpar[q + 4] * da * db + fpar[q + 5] * db * db)
        s += math.exp(v - best)
    return best + math.log(s)


@jit
def log_sigmoid(x):
    """log(1 / (1 + exp(-x))), stably."""
    if x >= 0:
        return -math.log1p(math.exp(-x))
    return x - math.log1p(math.exp(x))


@jit
def log_post_direct(ipar, fpar, n, y, a, b):
    """Log posterior at any (a, b), evaluating the model (same constant as the tables)."""
    fx = ipar[I_F_X]
    beta = math.exp(b)
    s = _log_prior(ipar, fpar, a, b)
    for d in range(n.shape[0]):
        if n[d] > 0:
            eta = a + beta * fpar[fx + d]
            s += n[d] * log_sigmoid(eta) - (n[d] - y[d]) * eta
    return s


# ---------------------------------------------------------------------------------- the lattice
@jit
def _fill_tables(tab, n, Na, i0, sa, na, j0, sb, nb, s1, s2, f, beta):
    """Log posterior (up to a constant) at the grid nodes (i0 + ii sa, j0 + jj sb) into
    ``f[jj * na + ii]``, the columns' beta into ``beta[jj]``; returns the maximum."""
    D = n.shape[0]
    m = -np.inf
    for jj in range(nb):
        j = j0 + jj * sb
        base = j * Na
        bj = tab[D + 2, j]
        beta[jj] = bj
        lb = -bj * s2
        o = jj * na
        for ii in range(na):
            i = i0 + ii * sa
            f[o + ii] = tab[D, base + i] + lb - tab[D + 1, i] * s1
        for d in range(D):
            if n[d] > 0:
                nd = np.float64(n[d])
                for ii in range(na):
                    f[o + ii] += nd * tab[d, base + i0 + ii * sa]
        for ii in range(na):
            if f[o + ii] > m:
                m = f[o + ii]
    return m


@jit
def _fill_direct(ipar, fpar, n, y, a0, ha, na, b0, hb, nb, f, beta):
    """As :func:`_fill_tables` on the lattice (a0 + ii ha, b0 + jj hb), evaluating the model."""
    m = -np.inf
    for jj in range(nb):
        b = b0 + jj * hb
        beta[jj] = math.exp(b)
        o = jj * na
        for ii in range(na):
            v = log_post_direct(ipar, fpar, n, y, a0 + ii * ha, b)
            f[o + ii] = v
            if v > m:
                m = v
    return m


@jit
def _to_weights(f, na, nb, m, cum, geo):
    """Exponentiate in place (zero below ``m - CUT``) and fill the column prefix sums
    ``cum[jj * (na + 1) + ii]``. Sets geo[6..11] (Z, means, variances, covariance) in lattice
    units and returns the box of the nodes kept (ii_lo, ii_hi, jj_lo, jj_hi)."""
    lo = m - CUT
    z = 0.0
    si = 0.0
    sj = 0.0
    sii = 0.0
    sjj = 0.0
    sij = 0.0
    ilo = na
    ihi = -1
    jlo = nb
    jhi = -1
    for jj in range(nb):
        o = jj * na
        oc = jj * (na + 1)
        cum[oc] = 0.0
        col = 0.0
        ci = 0.0
        cii = 0.0
        for ii in range(na):
            v = f[o + ii]
            if v > lo:
                w = math.exp(v - m)
                if ii < ilo:
                    ilo = ii
                if ii > ihi:
                    ihi = ii
            else:
                w = 0.0
            f[o + ii] = w
            col += w
            cum[oc + ii + 1] = col
            ci += w * ii
            cii += w * ii * ii
        if col > 0.0:
            if jj < jlo:
                jlo = jj
            jhi = jj
        z += col
        si += ci
        sj += col * jj
        sii += cii
        sjj += col * jj * jj
        sij += ci * jj
    mi = si / z
    mj = sj / z
    geo[6] = z
    geo[7] = mi
    geo[8] = mj
    geo[9] = max(sii / z - mi * mi, 0.0)
    geo[10] = max(sjj / z - mj * mj, 0.0)
    geo[11] = sij / z - mi * mj
    return ilo, ihi, jlo, jhi


@jit
def _local_scale(f, na, nb, ha, hb, m):
    """Smallest local sds of the posterior on the lattice (``f`` holds the log posterior, ``m``
    its maximum): from the largest curvature of the log posterior along each axis where it is
    within 4 of its maximum (a skewed posterior is narrower on one side than at its mode).
    Returns (sd_a, sd_b); inf where no curvature is seen."""
    ca = 0.0
    cb = 0.0
    thr = m - 4.0
    for jj in range(nb):
        o = jj * na
        for ii in range(na):
            v = f[o + ii]
            if v > thr:
                if 0 < ii < na - 1:
                    c = (2.0 * v - f[o + ii - 1] - f[o + ii + 1]) / (ha * ha)
                    if c > ca:
                        ca = c
                if 0 < jj < nb - 1:
                    c = (2.0 * v - f[o + ii - na] - f[o + ii + na]) / (hb * hb)
                    if c > cb:
                        cb = c
    sa = 1.0 / math.sqrt(ca) if ca > 0.0 else np.inf
    sb = 1.0 / math.sqrt(cb) if cb > 0.0 else np.inf
    return sa, sb


@jit
def _qmin(va, vb, cab, Ha, Hb):
    """Smallest value of k' S k over small integer k != 0, with S the posterior covariance in
    lattice units: the trapezoid rule's aliasing error is about exp(-2 pi^2 qmin)."""
    saa = va / (Ha * Ha)
    sbb = vb / (Hb * Hb)
    sab = cab / (Ha * Hb)
    q = np.inf
    for ka in range(0, 4):
        for kb in range(-3, 4):
            if ka == 0 and kb <= 0:
                continue
            v = ka * ka * saa + 2.0 * ka * kb * sab + kb * kb * sbb
            if v < q:
                q = v
    return q


@jit
def _scales(geo, Ha, Hb, loc_a, loc_b):
    """Posterior covariance (physical units) with the variances capped by the local scales,
    and the conditional sd of a given b."""
    va = geo[9] * Ha * Ha
    vb = geo[10] * Hb * Hb
    cab = geo[11] * Ha * Hb
    fa = 1.0
    fb = 1.0
    if loc_a * loc_a < va:
        fa = loc_a / math.sqrt(va)
    if loc_b * loc_b < vb:
        fb = loc_b / math.sqrt(vb)
    va2 = va * fa * fa
    vb2 = vb * fb * fb
    cab2 = cab * fa * fb
    r2 = cab2 * cab2 / (va2 * vb2) if va2 > 0.0 and vb2 > 0.0 else 0.0
    return va2, vb2, cab2, math.sqrt(va2 * max(1.0 - r2, 0.0))


@jit
def _choose_strides(va, vb, cab, sd_ab, ha, hb, sig_a, cap_a, cap_b):
    """Largest integer strides (<= the caps) at which the sinc rule in a and the trapezoid rule
    keep their accuracy; (0, 0) when even stride 1 is too coarse."""
    s_a = max(sd_ab, sig_a)
    sa = min(cap_a, int(s_a / (STEPS_A * ha)))
    if sa < 1:
        return 0, 0
    sb = cap_b
    while sb >= 1:
        if _qmin(va, vb, cab, sa * ha, sb * hb) >= Q_MIN:
            break
        sb -= 1
    if sb < 1:
        return 0, 0
    return sa, sb


@jit
def _set_geo(geo, na, nb, a0, Ha, b0, Hb):
    """Turn the lattice-unit moments in geo[6..11] into physical units and store the lattice."""
    geo[0] = na
    geo[1] = nb
    geo[2] = a0
    geo[3] = Ha
    geo[4] = b0
    geo[5] = Hb
    geo[7] = a0 + geo[7] * Ha
    geo[8] = b0 + geo[8] * Hb
    geo[9] = geo[9] * Ha * Ha
    geo[10] = geo[10] * Hb * Hb
    geo[11] = geo[11] * Ha * Hb


@jit
def _mark(work, table, i0, j0, sa, sb):
    """Remember how the lattice in work was made (work[12:16]): from the tables (grid node
    i0 + ii sa, j0 + jj sb) or evaluated directly (table = 0)."""
    work[12] = 1.0 if table else 0.0
    work[13] = i0
    work[14] = j0
    work[15] = sa * 4096 + sb


@jit
def lattice(ipar, fpar, tab, n, y, work):
    """Integrate the posterior on an adaptive lattice of the grid. Leaves the weights, column
    prefix sums and column betas in ``work`` and the geometry in ``work[:N_GEO]``:
    [na, nb, a_first, Ha, b_first, Hb, Z, mean_a, mean_b, var_a, var_b, cov_ab].

    First a scan of the whole grid at stride ``COARSE``; then, while the posterior's scales
    (global moments, capped by the largest local curvature) call for finer strides, the box of
    the nodes kept, widened by one step, is scanned again at the strides they call for. When
    even the grid's own step is too coarse, :func:`_zoom` integrates on a local grid instead.
    """
    D = n.shape[0]
    Na = ipar[I_NA]
    Nb = ipar[I_NB]
    geo = work[:N_GEO]
    f = work[ipar[I_O_F]:ipar[I_O_F] + ipar[I_NBUF]]
    cum = work[ipar[I_O_CUM]:ipar[I_O_BETA]]
    beta = work[ipar[I_O_BETA]:ipar[I_O_PROB]]
    ha = fpar[F_HA]
    hb = fpar[F_HB]
    s1, s2 = _sums(ipar, fpar, n, y)
    sa = COARSE
    sb = COARSE
    i0 = 0
    j0 = 0
    na = (Na - 1) // sa + 1
    nb = (Nb - 1) // sb + 1
    for _ in range(MAX_ITER):
        m = _fill_tables(tab, n, Na, i0, sa, na, j0, sb, nb, s1, s2, f, beta)
        Ha = sa * ha
        Hb = sb * hb
        loc_a, loc_b = _local_scale(f, na, nb, Ha, Hb, m)
        ilo, ihi, jlo, jhi = _to_weights(f, na, nb, m, cum, geo)
        va, vb, cab, sd_ab = _scales(geo, Ha, Hb, loc_a, loc_b)
        nsa, nsb = _choose_strides(va, vb, cab, sd_ab, ha, hb, fpar[F_SIGMA_A], sa, sb)
        a_first = tab[D + 1, i0]
        b_first = math.log(tab[D + 2, j0])
        if nsa == 0:
            _set_geo(geo, na, nb, a_first, Ha, b_first, Hb)
            _zoom(ipar, fpar, n, y, work, geo[7], geo[8], geo[9], geo[10], geo[11], sd_ab)
            return
        # the box of kept nodes widened by one step, in grid indices
        ni0 = max(i0 + (ilo - 1) * sa, 0)
        ni1 = min(i0 + (ihi + 1) * sa, Na - 1)
        nj0 = max(j0 + (jlo - 1) * sb, 0)
        nj1 = min(j0 + (jhi + 1) * sb, Nb - 1)
        if nsa == sa and nsb == sb:
            # fine enough; done unless kept nodes touch the lattice's edge inside the grid
            e_lo_a = ilo == 0 and i0 > 0
            e_hi_a = ihi == na - 1 and i0 + (na - 1) * sa < Na - 1
            e_lo_b = jlo == 0 and j0 > 0
            e_hi_b = jhi == nb - 1 and j0 + (nb - 1) * sb < Nb - 1
            if not (e_lo_a or e_hi_a or e_lo_b or e_hi_b):
                _set_geo(geo, na, nb, a_first, Ha, b_first, Hb)
                _mark(work, True, i0, j0, sa, sb)
                return
            if e_lo_a:
                ni0 = max(i0 - 8 * sa, 0)
            if e_hi_a:
                ni1 = min(i0 + (na + 7) * sa, Na - 1)
            if e_lo_b:
                nj0 = max(j0 - 8 * sb, 0)
            if e_hi_b:
                nj1 = min(j0 + (nb + 7) * sb, Nb - 1)
        sa = nsa
        sb = nsb
        i0 = ni0
        j0 = nj0
        na = (ni1 - ni0) // sa + 1
        nb = (nj1 - nj0) // sb + 1
    _set_geo(geo, na, nb, tab[D + 1, i0], sa * ha, math.log(tab[D + 2, j0]), sb * hb)
    _mark(work, True, i0, j0, sa, sb)


@jit
def refine_b(ipar, fpar, tab, n, y, work):
    """Redo the lattice in work over the same box with half the column step: from the tables
    while the column stride is even, else evaluating the model. False when the buffer is too
    small (the lattice is then unchanged)."""
    geo = work[:N_GEO]
    na = int(geo[0])
    nb = int(geo[1])
    a0 = geo[2]
    Ha = geo[3]
    b0 = geo[4]
    Hb = geo[5]
    nb2 = 2 * nb - 1
    if na * nb2 > ipar[I_NBUF] or (na + 1) * nb2 > ipar[I_O_BETA] - ipar[I_O_CUM] or \
            nb2 > ipar[I_O_PROB] - ipar[I_O_BETA]:
        return False
    f = work[ipar[I_O_F]:ipar[I_O_F] + ipar[I_NBUF]]
    cum = work[ipar[I_O_CUM]:ipar[I_O_BETA]]
    beta = work[ipar[I_O_BETA]:ipar[I_O_PROB]]
    code = int(work[15])
    sa = code // 4096
    sb = code % 4096
    if work[12] == 1.0 and sb % 2 == 0:
        i0 = int(work[13])
        j0 = int(work[14])
        s1, s2 = _sums(ipar, fpar, n, y)
        m = _fill_tables(tab, n, ipar[I_NA], i0, sa, na, j0, sb // 2, nb2, s1, s2, f, beta)
        _to_weights(f, na, nb2, m, cum, geo)
        _set_geo(geo, na, nb2, a0, Ha, b0, 0.5 * Hb)
        _mark(work, True, i0, j0, sa, sb // 2)
    else:
        m = _fill_direct(ipar, fpar, n, y, a0, Ha, na, b0, 0.5 * Hb, nb2, f, beta)
        _to_weights(f, na, nb2, m, cum, geo)
        _set_geo(geo, na, nb2, a0, Ha, b0, 0.5 * Hb)
        _mark(work, False, 0, 0, 0, 0)
    return True


@jit
def _zoom(ipar, fpar, n, y, work, ma, mb, va, vb, cab, sd_ab):
    """Integrate on a local grid around the posterior (mean ``ma, mb``, covariance estimate
    ``va, vb, cab``), evaluating the model directly: +-8 sds, steps from the rules of
    :func:`_choose_strides`; the box and steps are re-derived from the result until both hold."""
    geo = work[:N_GEO]
    f = work[ipar[I_O_F]:ipar[I_O_F] + ipar[I_NBUF]]
    cum = work[ipar[I_O_CUM]:ipar[I_O_BETA]]
    beta = work[ipar[I_O_BETA]:ipar[I_O_PROB]]
    sig_a = fpar[F_SIGMA_A]
    nmax = 2 * ZOOM_N
    for _ in range(6):
        sa_ = math.sqrt(max(va, 1e-12))
        sb_ = math.sqrt(max(vb, 1e-12))
        a_lo = ma - 8.0 * sa_
        b_lo = mb - 8.0 * sb_
        ha = min(max(sd_ab, sig_a) / STEPS_A, 16.0 * sa_ / (ZOOM_N - 1))
        hb = 16.0 * sb_ / (ZOOM_N - 1)
        while _qmin(va, vb, cab, ha, hb) < Q_MIN and hb > 16.0 * sb_ / (nmax - 1):
            hb *= 0.5
        while _qmin(va, vb, cab, ha, hb) < Q_MIN:
            ha *= 0.5
        na = min(int(16.0 * sa_ / ha) + 1, nmax)
        nb = min(int(16.0 * sb_ / hb) + 1, nmax)
        if na * nb > ipar[I_NBUF]:
            nb = ipar[I_NBUF] // na
        m = _fill_direct(ipar, fpar, n, y, a_lo, ha, na, b_lo, hb, nb, f, beta)
        loc_a, loc_b = _local_scale(f, na, nb, ha, hb, m)
        ilo, ihi, jlo, jhi = _to_weights(f, na, nb, m, cum, geo)
        nva, nvb, ncab, nsd = _scales(geo, ha, hb, loc_a, loc_b)
        ok = ha * STEPS_A <= max(nsd, sig_a) * 1.0001 and _qmin(nva, nvb, ncab, ha, hb) >= Q_MIN
        inside = ilo > 0 and ihi < na - 1 and jlo > 0 and jhi < nb - 1
        _set_geo(geo, na, nb, a_lo, ha, b_lo, hb)
        _mark(work, False, 0, 0, 0, 0)
        if ok and inside:
            return
        ma = geo[7]
        mb = geo[8]
        va = geo[9] * 1.2
        vb = geo[10] * 1.2
        cab = geo[11] * 1.2
        sd_ab = nsd


# ---------------------------------------------------------------------------------- summaries
@jit
def upper_tail_checked(ipar, tab, work, xd, t):
    """P(a + beta x_d > t | data) from the lattice in ``work`` (after :func:`lattice`): each
    column's integral above its threshold by the regularised sinc rule, summed over columns
    by the trapezoid rule. Returns (probability, ok): ``ok`` is False when the sums over the
    even and the odd columns (two trapezoid rules of twice the step) differ by more than
    ``TAIL_TOL``: the threshold then sweeps through the posterior too fast as b changes
    (a dose far from where the data are) for this column spacing."""
    D = tab.shape[0] - 5
    na = int(work[0])
    nb = int(work[1])
    a0 = work[2]
    Ha = work[3]
    z = work[6]
    of = ipar[I_O_F]
    oc = ipar[I_O_CUM]
    ob = ipar[I_O_BETA]
    row = D + 3
    L = SINC_L
    W = 2 * L + 1
    t0 = 0.0  # tail sums over the even and the odd columns, and their totals
    t1 = 0.0
    z0 = 0.0
    z1 = 0.0
    for jj in range(nb):
        cj = oc + jj * (na + 1)
        col_n = work[cj + na]
        if col_n == 0.0:
            continue
        odd = jj % 2 == 1
        if odd:
            z1 += col_n
        else:
            z0 += col_n
        v = (t - work[ob + jj] * xd - a0) / Ha  # threshold in lattice units
        if v >= na - 1 + L + 0.5:
            continue
        if v <= -L - 0.5:
            if odd:
                t1 += col_n
            else:
                t0 += col_n
            continue
        m = int(math.floor(v + 0.5))
        p = (v - m + 0.5) * SINC_Q
        q = min(int(p), SINC_Q - 1)
        h00, h01, h10, h11 = _hermite(p - q)
        base = q * W + L - m  # weight of node ii at index base + ii (l = ii - m)
        top = m + L + 1  # nodes from here up take full weight
        s = 0.0
        if top < na:
            s = col_n - work[cj + max(top, 0)]
        lo = max(m - L, 0)
        hi = min(m + L, na - 1)
        o = of + jj * na
        for ii in range(lo, hi + 1):
            k = base + ii
            s += (h00 * tab[row, k] + h01 * tab[row, k + W] + h10 * tab[row + 1, k]
                  + h11 * tab[row + 1, k + W]) * work[o + ii]
        if odd:
            t1 += s
        else:
            t0 += s
    p = (t0 + t1) / z
    ok = True
    if nb >= 4 and z0 > 0.0 and z1 > 0.0:
        ok = abs(t0 / z0 - t1 / z1) <= TAIL_TOL
    if p < 0.0:
        p = 0.0
    if p > 1.0:
        p = 1.0
    return p, ok


@jit
def upper_tail(ipar, tab, work, xd, t):
    """As :func:`upper_tail_checked`, the probability only."""
    p, ok = upper_tail_checked(ipar, tab, work, xd, t)
    return p


@jit
def mean_p(ipar, work, xd):
    """Posterior mean of p_d = expit(a + beta x_d) from the lattice in ``work``."""
    na = int(work[0])
    nb = int(work[1])
    a0 = work[2]
    Ha = work[3]
    of = ipar[I_O_F]
    ob = ipar[I_O_BETA]
    s = 0.0
    for jj in range(nb):
        c = work[ob + jj] * xd
        o = of + jj * na
        for ii in range(na):
            w = work[o + ii]
            if w > 0.0:
                s += w / (1.0 + math.exp(-(a0 + ii * Ha + c)))
    return s / work[6]


# ---------------------------------------------------------------------------------- decisions
# per-dose probabilities in work[o_prob:]: rows of D: P(p > t_lo), P(p > t_hi), P(p > t_over),
# P(p > t_unacc), eligible flag, loss
P_LO = 0
P_HI = 1
P_OVER = 2
P_UNACC = 3
P_ELIG = 4
P_LOSS = 5


@jit
def dose_limit(ipar, n, cur):
    """Highest dose index allowed next: the increments from the current dose (none before the
    first cohort or when ``cur < 0``) and, unless skipping is allowed, one above the highest
    dose tried."""
    D = n.shape[0]
    lim = D - 1
    if cur >= 0:
        lim = min(lim, ipar[I_LIMIT + cur])
    if ipar[I_SKIP] == 0:
        h = -1
        for d in range(D):
            if n[d] > 0:
                h = d
        lim = min(lim, h + 1)
    return lim


@jit
def overdose_bound(ipar, fpar, n):
    """Maximum P(overdose) of an eligible dose; with an increasing feasibility bound (EWOC),
    start + step * (cohorts treated - 1), up to the final value."""
    amax = fpar[F_OVER_MAX]
    if np.isnan(fpar[F_OVER_START]):
        return amax
    N = 0
    for d in range(n.shape[0]):
        N += n[d]
    c = ipar[I_COHORT]
    k = (N + c - 1) // c
    return min(amax, fpar[F_OVER_START] + fpar[F_OVER_STEP] * max(k - 1, 0))


@jit
def interval_probs(ipar, fpar, tab, work, d, pr):
    """Fill the per-dose probabilities of dose ``d`` (rows of ``pr``, see P_*); False when a
    tail's column spacing is too coarse (see :func:`upper_tail_checked`)."""
    D = tab.shape[0] - 5
    xd = fpar[ipar[I_F_X] + d]
    pr[P_LO * D + d], ok1 = upper_tail_checked(ipar, tab, work, xd, fpar[F_T_LO])
    pr[P_HI * D + d], ok2 = upper_tail_checked(ipar, tab, work, xd, fpar[F_T_HI])
    ok3 = True
    if fpar[F_T_OVER] == fpar[F_T_HI]:
        pr[P_OVER * D + d] = pr[P_HI * D + d]
    else:
        pr[P_OVER * D + d], ok3 = upper_tail_checked(ipar, tab, work, xd, fpar[F_T_OVER])
    ok4 = True
    if ipar[I_NCUT] == 3:
        pr[P_UNACC * D + d], ok4 = upper_tail_checked(ipar, tab, work, xd, fpar[F_T_UNACC])
    else:
        pr[P_UNACC * D + d] = 0.0
    return ok1 and ok2 and ok3 and ok4


@jit
def dose_probs(ipar, fpar, tab, n, y, work, d, pr):
    """:func:`interval_probs`, refining the lattice's column step until every tail passes."""
    for _ in range(MAX_REFINE):
        if interval_probs(ipar, fpar, tab, work, d, pr):
            return
        if not refine_b(ipar, fpar, tab, n, y, work):
            return
    interval_probs(ipar, fpar, tab, work, d, pr)


@jit
def _loss(ipar, fpar, pr, D, d):
    under = 1.0 - pr[P_LO * D + d]
    target = pr[P_LO * D + d] - pr[P_HI * D + d]
    if ipar[I_NCUT] == 3:
        return (fpar[F_LOSS] * under + fpar[F_LOSS + 1] * target
                + fpar[F_LOSS + 2] * (pr[P_OVER * D + d] - pr[P_UNACC * D + d]) + fpar[F_LOSS + 3] * pr[P_UNACC * D + d])
    return fpar[F_LOSS] * under + fpar[F_LOSS + 1] * target + fpar[F_LOSS + 2] * pr[P_OVER * D + d]


@jit
def next_best(ipar, fpar, tab, n, y, work, lim, all_doses):
    """The rule's next best dose among doses ``0..lim`` (-1: none eligible). Computes the
    posterior and the probabilities of the doses it needs (all doses with ``all_doses``)."""
    D = n.shape[0]
    lattice(ipar, fpar, tab, n, y, work)
    pr = work[ipar[I_O_PROB]:ipar[I_O_PROB] + 6 * D]
    alpha = overdose_bound(ipar, fpar, n)
    rule = ipar[I_RULE]
    n_elig = 0
    top = D - 1 if all_doses else lim
    for d in range(top + 1):
        dose_probs(ipar, fpar, tab, n, y, work, d, pr)
        po = pr[P_OVER * D + d]
        ok = po < alpha if rule == NCRM_LOSS else po <= alpha
        ok = ok and d <= lim and (n_elig == d)  # eligible doses are a prefix (P(overdose) rises with dose)
        pr[P_ELIG * D + d] = 1.0 if ok else 0.0
        if ok:
            n_elig += 1
        if rule == NCRM_LOSS:
            pr[P_LOSS * D + d] = _loss(ipar, fpar, pr, D, d)
        if not ok and not all_doses:
            break
    for d in range(top + 1, D):
        pr[P_ELIG * D + d] = 0.0
    if n_elig == 0:
        return -1
    if rule == EWOC:
        return n_elig - 1
    if rule == NCRM_LOSS:
        best = 0
        for d in range(1, n_elig):
            if pr[P_LOSS * D + d] < pr[P_LOSS * D + best]:
                best = d
        return best
    # NCRM: the eligible dose with the largest P(target), if any exceeds the threshold
    best = -1
    bp = -1.0
    for d in range(n_elig):
        pt = pr[P_LO * D + d] - pr[P_HI * D + d]
        if pt > bp:
            bp = pt
            best = d
    if bp > fpar[F_MIN_TARGET]:
        return best
    return n_elig - 1


@jit
def _near(ipar, fpar, n, nbd, pct, cohorts):
    """Patients (or cohorts) treated at doses within +-pct % of dose ``nbd``."""
    D = n.shape[0]
    fd = ipar[I_F_DOSE]
    x = fpar[fd + nbd]
    lo = (100.0 - pct) / 100.0 * x
    hi = (100.0 + pct) / 100.0 * x
    c = ipar[I_COHORT]
    s = 0
    for d in range(D):
        v = fpar[fd + d]
        if v >= lo and v <= hi:
            s += (n[d] + c - 1) // c if cohorts else n[d]
    return s


@jit
def stop_rules(ipar, fpar, tab, n, work, nbd):
    """The stopping rules (an OR of ANDs of crmPack-style atoms) at next dose ``nbd``, with the
    posterior of the last :func:`lattice` call still in ``work``."""
    o = ipar[I_STOP]
    nc = ipar[o]
    if nc == 0:
        return False
    of = ipar[I_F_STOP]
    q = o + 1
    N = 0
    for d in range(n.shape[0]):
        N += n[d]
    c = ipar[I_COHORT]
    for _ in range(nc):
        na = ipar[q]
        q += 1
        all_true = True
        for _a in range(na):
            typ = ipar[q]
            iv = ipar[q + 1]
            fv = fpar[of + ipar[q + 2]]
            q += 3
            if typ == ST_MIN_PATIENTS:
                ok = N >= iv
            elif typ == ST_MIN_COHORTS:
                ok = (N + c - 1) // c >= iv
            elif typ == ST_PATIENTS_NEAR:
                ok = nbd >= 0 and _near(ipar, fpar, n, nbd, fv, False) >= iv
            elif typ == ST_COHORTS_NEAR:
                ok = nbd >= 0 and _near(ipar, fpar, n, nbd, fv, True) >= iv
            else:  # ST_TARGET_PROB: [prob, logit lower, logit upper]
                ok = False
                if nbd >= 0:
                    xd = fpar[ipar[I_F_X] + nbd]
                    k = of + ipar[q - 1]
                    pt = upper_tail(ipar, tab, work, xd, fpar[k + 1]) - upper_tail(ipar, tab, work, xd, fpar[k + 2])
                    ok = pt >= fv
            if not ok:
                all_true = False
        if all_true:
            return True
    return False


@jit
def evaluate(ipar, fpar, tab, n, y, work, cur):
    """The design's decision after a cohort at dose ``cur`` (0-based; -1: none yet):
    (next best dose or -1, stop reason). Computed, not cached."""
    D = n.shape[0]
    lim = dose_limit(ipar, n, cur)
    nbd = next_best(ipar, fpar, tab, n, y, work, lim, False)
    if nbd < 0:
        return -1, SAFETY
    if stop_rules(ipar, fpar, tab, n, work, nbd):
        return nbd, RULE
    return nbd, CONTINUE


# ---------------------------------------------------------------------------------- the cache
@jit
def _key(n, y, cur, key):
    """Pack (cur, n, y) into int64 words (n, y < 1024: 20 bits per dose, 3 doses a word)."""
    D = n.shape[0]
    key[0] = cur + 1
    w = 1
    for d0 in range(0, D, 3):
        v = np.int64(0)
        for d in range(d0, min(d0 + 3, D)):
            v = (v << 20) | (np.int64(n[d]) << 10) | np.int64(y[d])
        key[w] = v
        w += 1
    h = np.uint64(0x243F6A8885A308D3)
    for i in range(w):
        h = mix64(h + np.uint64(key[i]) * np.uint64(0x9E3779B97F4A7C15))
    t = np.int64(h >> np.uint64(1)) | np.int64(1)  # nonzero tag
    return t


@jit
def cached_evaluate(ipar, fpar, tab, n, y, work, cur):
    """:func:`evaluate` through the per-state cache in ``work`` (open addressing, linear
    probing; full keys are compared, so a hit is always the same state). The cache stops
    accepting new states when half full."""
    cap = ipar[I_CACHE]
    if cap == 0:
        return evaluate(ipar, fpar, tab, n, y, work, cur)
    D = n.shape[0]
    kw = 1 + (D + 2) // 3
    ew = kw + 2
    cache = work[ipar[I_O_CACHE]:].view(np.int64)  # [count, hits, key scratch, entries...]
    key = cache[2:2 + kw]
    tag = _key(n, y, cur, key)
    head = 2 + kw
    mask = cap - 1
    slot = np.int64(tag) & mask
    while True:
        e = head + slot * ew
        t = cache[e]
        if t == 0:
            break
        if t == tag:
            same = True
            for i in range(kw):
                if cache[e + 1 + i] != key[i]:
                    same = False
                    break
            if same:
                v = cache[e + 1 + kw]
                cache[1] += 1  # hits
                return (v & 0xFF) - 2, v >> 8
        slot = (slot + 1) & mask
    nbd, reason = evaluate(ipar, fpar, tab, n, y, work, cur)
    if 2 * (cache[0] + 1) <= cap:
        cache[e] = tag
        for i in range(kw):
            cache[e + 1 + i] = key[i]
        cache[e + 1 + kw] = (np.int64(nbd) + 2) | (np.int64(reason) << 8)
        cache[0] += 1
    return nbd, reason


# ---------------------------------------------------------------------------------- design verbs
@jit
def start(ipar, aux):
    aux[0] = -3  # no decision yet
    return ipar[I_START], ipar[I_COHORT]


@jit
def decide(ipar, fpar, tab, n, y, aux, work, cur, c, k):
    """Next dose after a cohort at ``cur``: the rule's next best dose (kept in ``aux[0]``, the
    dose recommended should the trial end here) and the stopping rules."""
    nbd, reason = cached_evaluate(ipar, fpar, tab, n, y, work, cur)
    aux[0] = nbd
    if reason == SAFETY:
        return -1, 0, SAFETY
    return nbd, ipar[I_COHORT], reason


@jit
def select(ipar, fpar, tab, n, y, aux, work):
    """The recommended dose at the end: the next best dose of the last decision (crmPack's
    recommendation); from counts alone (``aux[0] == -2``), the rule without the increments
    (no current dose), one above the highest dose tried at most unless skipping is allowed."""
    if aux[0] >= -1:
        return aux[0]
    lim = dose_limit(ipar, n, -1)
    return next_best(ipar, fpar, tab, n, y, work, lim, False)


@jit
def estimates(ipar, fpar, tab, n, y, work, out):
    """Posterior means of p_d into ``out``."""
    D = n.shape[0]
    lattice(ipar, fpar, tab, n, y, work)
    fx = ipar[I_F_X]
    for d in range(D):
        out[d] = mean_p(ipar, work, fpar[fx + d])
    return np.nan


@jit
def summaries(ipar, fpar, tab, n, y, work, cur, out):
    """Everything ``next_dose`` reports, into ``out`` (rows of D): P(p > t_lo), P(p > t_hi),
    P(p > t_over), P(p > t_unacc), eligible, loss, posterior mean; returns (next best dose,
    dose limit, overdose bound, geometry size na * nb)."""
    D = n.shape[0]
    lim = dose_limit(ipar, n, cur)
    nbd = next_best(ipar, fpar, tab, n, y, work, lim, True)
    pr = work[ipar[I_O_PROB]:ipar[I_O_PROB] + 6 * D]
    for i in range(6 * D):
        out[i] = pr[i]
    fx = ipar[I_F_X]
    for d in range(D):
        out[6 * D + d] = mean_p(ipar, work, fpar[fx + d])
    return nbd, lim, overdose_bound(ipar, fpar, n), work[0] * work[1]


@jit
def cdf_p(ipar, fpar, tab, n, y, work, d, cuts, out):
    """P(p_d <= c) for each logit cut in ``cuts`` (one posterior computation)."""
    lattice(ipar, fpar, tab, n, y, work)
    xd = fpar[ipar[I_F_X] + d]
    for i in range(cuts.shape[0]):
        for _ in range(MAX_REFINE):
            p, ok = upper_tail_checked(ipar, tab, work, xd, cuts[i])
            if ok or not refine_b(ipar, fpar, tab, n, y, work):
                break
        out[i] = 1.0 - upper_tail(ipar, tab, work, xd, cuts[i])
