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
from . import cache as _cache
from .codes import CONTINUE, RULE, SAFETY

# Rules for the next best dose
NCRM = 0  # crmPack NextBestNCRM: max P(target) among doses with P(overdose) <= max
EWOC = 1  # crmPack NextBestEWOC / Babb's EWOC: the highest dose with P(overdose) <= max
NCRM_LOSS = 2  # crmPack NextBestNCRMLoss: min posterior loss among doses with P(overdose) < max
MTD_QUANTILE = 3  # crmPack NextBestMTD: the allowed dose closest to a quantile of the posterior MTD

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
I_MAXCOL = 12  # columns a lattice may have
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
F_DREF = 17  # the reference dose
N_FPAR_FIXED = 20

# Numerics
CUT = 20.0  # nodes whose log posterior is this far below the maximum are dropped (weights < 2.1e-9)
COARSE = 8  # first scan stride (at least)
COARSE_NODES = 24  # first scan nodes per axis (at most)
SINC_L = 20  # sinc window half-width in lattice steps
SINC_R = 3.5  # Gaussian regularisation width in lattice steps
SINC_Q = 128  # table points per lattice step
STEPS_A = 3.3  # lattice steps per conditional sd of a, at least (sinc accuracy about 1e-7)
Q_MIN = 1.3  # minimum of the lattice quadratic form: trapezoid aliasing error < exp(-2 pi^2 Q_MIN)
ZOOM_N = 96  # nodes per axis of the local grid (zoom) used when the posterior is narrower than the grid
MAX_ITER = 12
TAIL_TOL = 1e-4  # even- vs odd-column rules of a tail probability (the full rule then errs by < ~1e-8)
MAX_REFINE = 5  # halvings of the column step for tail probabilities
N_GEO = 12  # lattice header: see "the lattice" below
W_HDR = 24  # header size


def work_layout(Na: int, Nb: int, D: int, capacity: int) -> tuple:
    """(max columns, o_f, o_cum, o_prob, o_cache, n_buf, n_work) for a grid of Na x Nb nodes."""
    mc = max(4 * Nb, 4 * ZOOM_N) + 2
    nbuf = max(Na * Nb, 4 * ZOOM_N * ZOOM_N)
    o_f = W_HDR + N_COLS * mc
    o_cum = o_f + nbuf
    o_prob = o_cum + nbuf + mc
    o_cache = o_prob + 8 * D + 8
    return mc, o_f, o_cum, o_prob, o_cache, nbuf, o_cache + 2 + key_words(D) + capacity * cache_entry(D)


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
    off = int(math.floor(-u + 0.5))  # u = th - off with th in [-1/2, 1/2)
    th = u + off
    p = (th + 0.5) * SINC_Q
    q = min(int(p), SINC_Q - 1)
    h00, h01, h10, h11 = _hermite(p - q)
    W = 2 * SINC_L + 1
    k = q * W + off + SINC_L
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
# A lattice is a set of columns (fixed b = b_first + jj Hb) each holding nodes at
# a = col_a0[jj] + ii Ha, ii < col_n[jj]; every column start lies on one common lattice in a,
# so the nodes of neighbouring columns line up. Columns follow the posterior: each covers the
# a-range where the previous, coarser pass kept nodes (a posterior ridge along a diagonal costs
# no more than one along an axis). A lattice is made from the grid tables (node a_i, b_j of
# the grid: stride sa, sb) or by evaluating the model directly (zoom, refinement past the grid).
#
# work: [header (W_HDR)] [9 column arrays of MAXCOL] [weights (NBUF)] [prefix sums (NBUF + MAXCOL)]
# [per-dose probabilities] [cache]. Header: 0 nb, 1 nodes, 3 Ha, 4 b_first, 5 Hb, 6 Z, 7-11
# moments (mean a, mean b, var a, var b, cov), 12 table flag, 13 j0, 14 sa, 15 sb, 16-19 the
# previous pass (nb, b_first, Hb, Ha), 20 a-lattice base of a direct lattice.
C_A0 = 0  # first node's a
C_I0 = 1  # its grid index (table lattices)
C_N = 2  # nodes
C_OFF = 3  # offset of the column in the weights (its prefix sums start at C_OFF + jj)
C_BETA = 4  # exp(b)
C_KLO = 5  # kept nodes (weight > 0): first and last index, klo > khi when none
C_KHI = 6
C_PLO = 7  # the previous pass's kept a-range (physical)
C_PHI = 8
N_COLS = 9


@jit
def _views(ipar, work):
    mc = ipar[I_MAXCOL]
    o = W_HDR
    cols = work[o:o + N_COLS * mc]
    f = work[ipar[I_O_F]:ipar[I_O_F] + ipar[I_NBUF]]
    cum = work[ipar[I_O_CUM]:ipar[I_O_PROB]]
    return cols, mc, f, cum


@jit
def _fill_tables(tab, n, Na, sa, j0, sb, nb, s1, s2, f, cols, mc):
    """Log posterior (up to a constant) at the lattice's grid nodes; returns the maximum."""
    D = n.shape[0]
    m = -np.inf
    for jj in range(nb):
        cnt = int(cols[C_N * mc + jj])
        j = j0 + jj * sb
        bj = tab[D + 2, j]
        cols[C_BETA * mc + jj] = bj
        if cnt == 0:
            continue
        base = j * Na
        i0 = int(cols[C_I0 * mc + jj])
        o = int(cols[C_OFF * mc + jj])
        lb = -bj * s2
        for ii in range(cnt):
            i = i0 + ii * sa
            f[o + ii] = tab[D, base + i] + lb - tab[D + 1, i] * s1
        for d in range(D):
            if n[d] > 0:
                nd = np.float64(n[d])
                for ii in range(cnt):
                    f[o + ii] += nd * tab[d, base + i0 + ii * sa]
        for ii in range(cnt):
            if f[o + ii] > m:
                m = f[o + ii]
    return m


@jit
def _fill_direct(ipar, fpar, n, y, Ha, b0, Hb, nb, f, cols, mc):
    """As :func:`_fill_tables`, evaluating the model at every node."""
    m = -np.inf
    for jj in range(nb):
        b = b0 + jj * Hb
        cols[C_BETA * mc + jj] = math.exp(b)
        cnt = int(cols[C_N * mc + jj])
        o = int(cols[C_OFF * mc + jj])
        a0 = cols[C_A0 * mc + jj]
        for ii in range(cnt):
            v = log_post_direct(ipar, fpar, n, y, a0 + ii * Ha, b)
            f[o + ii] = v
            if v > m:
                m = v
    return m


@jit
def _local_scale(f, nb, cols, mc, Ha, Hb, m):
    """Smallest local sds of the posterior on the lattice (``f`` holds the log posterior, ``m``
    its maximum): from the largest curvature of the log posterior along each axis where it is
    within 4 of its maximum (a skewed posterior is narrower on one side than at its mode).
    Returns (sd_a, sd_b); inf where no curvature is seen."""
    ca = 0.0
    cb = 0.0
    thr = m - 4.0
    for jj in range(nb):
        cnt = int(cols[C_N * mc + jj])
        o = int(cols[C_OFF * mc + jj])
        a0 = cols[C_A0 * mc + jj]
        for ii in range(cnt):
            v = f[o + ii]
            if v <= thr:
                continue
            if 0 < ii < cnt - 1:
                c = (2.0 * v - f[o + ii - 1] - f[o + ii + 1]) / (Ha * Ha)
                if c > ca:
                    ca = c
            if 0 < jj < nb - 1:
                # the nodes at the same a in the neighbouring columns (starts are aligned)
                kd = ii + int(round((a0 - cols[C_A0 * mc + jj - 1]) / Ha))
                ku = ii + int(round((a0 - cols[C_A0 * mc + jj + 1]) / Ha))
                nd = int(cols[C_N * mc + jj - 1])
                nu = int(cols[C_N * mc + jj + 1])
                if 0 <= kd < nd and 0 <= ku < nu:
                    c = (2.0 * v - f[int(cols[C_OFF * mc + jj - 1]) + kd] - f[int(cols[C_OFF * mc + jj + 1]) + ku]) / \
                        (Hb * Hb)
                    if c > cb:
                        cb = c
    sa = 1.0 / math.sqrt(ca) if ca > 0.0 else np.inf
    sb = 1.0 / math.sqrt(cb) if cb > 0.0 else np.inf
    return sa, sb


@jit
def _to_weights(f, nb, cols, mc, Ha, b0, Hb, m, cum, geo):
    """Exponentiate in place (zero below ``m - CUT``), fill each column's prefix sums
    (``cum[off + jj + ii]``, ii = 0..n) and its kept range, and set geo[6..11] (Z, means,
    variances, covariance). Returns the first and last column with kept nodes."""
    lo = m - CUT
    z = 0.0
    sa_ = 0.0
    sb_ = 0.0
    saa = 0.0
    sbb = 0.0
    sab = 0.0
    jlo = nb
    jhi = -1
    for jj in range(nb):
        cnt = int(cols[C_N * mc + jj])
        o = int(cols[C_OFF * mc + jj])
        oc = o + jj
        a0 = cols[C_A0 * mc + jj]
        b = b0 + jj * Hb
        cum[oc] = 0.0
        col = 0.0
        ca = 0.0
        caa = 0.0
        klo = cnt
        khi = -1
        for ii in range(cnt):
            v = f[o + ii]
            if v > lo:
                w = math.exp(v - m)
                if ii < klo:
                    klo = ii
                khi = ii
            else:
                w = 0.0
            f[o + ii] = w
            col += w
            cum[oc + ii + 1] = col
            a = a0 + ii * Ha
            ca += w * a
            caa += w * a * a
        cols[C_KLO * mc + jj] = klo
        cols[C_KHI * mc + jj] = khi
        if khi >= 0:
            if jj < jlo:
                jlo = jj
            jhi = jj
        z += col
        sa_ += ca
        sb_ += col * b
        saa += caa
        sbb += col * b * b
        sab += ca * b
    ma = sa_ / z
    mb = sb_ / z
    geo[6] = z
    geo[7] = ma
    geo[8] = mb
    geo[9] = max(saa / z - ma * ma, 0.0)
    geo[10] = max(sbb / z - mb * mb, 0.0)
    geo[11] = sab / z - ma * mb
    return jlo, jhi


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
def _scales(geo, loc_a, loc_b):
    """Posterior covariance with the variances capped by the local scales, and the
    conditional sd of a given b."""
    va = geo[9]
    vb = geo[10]
    cab = geo[11]
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
def _steps_ok(va, vb, cab, sd_ab, sig_a, Ha, Hb):
    """Whether steps (Ha, Hb) keep the sinc rule in a and the trapezoid rule accurate."""
    return Ha * STEPS_A <= max(sd_ab, sig_a) and _qmin(va, vb, cab, Ha, Hb) >= Q_MIN


@jit
def _choose_strides(va, vb, cab, sd_ab, ha, hb, sig_a, cap_a, cap_b):
    """Largest integer strides (<= the caps) at which the sinc rule in a and the trapezoid rule
    keep their accuracy; (0, 0) when even stride 1 is too coarse."""
    sa = min(cap_a, int(max(sd_ab, sig_a) / (STEPS_A * ha)))
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
def _keep_previous(geo, cols, mc, nb, Ha, b0, Hb):
    """Store this pass's kept a-ranges (physical) for building the next lattice."""
    for jj in range(nb):
        klo = cols[C_KLO * mc + jj]
        khi = cols[C_KHI * mc + jj]
        a0 = cols[C_A0 * mc + jj]
        if khi >= klo:
            cols[C_PLO * mc + jj] = a0 + klo * Ha
            cols[C_PHI * mc + jj] = a0 + khi * Ha
        else:
            cols[C_PLO * mc + jj] = np.inf
            cols[C_PHI * mc + jj] = -np.inf
    geo[16] = nb
    geo[17] = b0
    geo[18] = Hb
    geo[19] = Ha


@jit
def _previous_range(geo, cols, mc, b, pad):
    """The a-range the previous pass kept near b (columns within one previous step), widened by
    ``pad`` previous steps; (inf, -inf) when none."""
    pnb = int(geo[16])
    pb0 = geo[17]
    pHb = geo[18]
    pHa = geo[19]
    x = (b - pb0) / pHb
    j1 = int(math.floor(x + 1e-9))
    lo = np.inf
    hi = -np.inf
    for jp in range(j1 - 1, j1 + 3):
        if 0 <= jp < pnb and abs(jp - x) <= 1.0 + 1e-9:
            if cols[C_PLO * mc + jp] < lo:
                lo = cols[C_PLO * mc + jp]
            if cols[C_PHI * mc + jp] > hi:
                hi = cols[C_PHI * mc + jp]
    if hi < lo:
        return lo, hi
    return lo - pad * pHa, hi + pad * pHa


@jit
def _build_table(ipar, fpar, tab, geo, cols, mc, sa, j0, sb, nb, pad):
    """Columns of a table lattice (grid columns j0 + jj sb) covering the previous pass's kept
    ranges widened by ``pad`` steps; column starts aligned to multiples of sa. False when the
    buffers are too small."""
    D = tab.shape[0] - 5
    Na = ipar[I_NA]
    A0 = fpar[F_A0]
    ha = fpar[F_HA]
    if nb > mc:
        return False
    off = 0
    for jj in range(nb):
        b = math.log(tab[D + 2, j0 + jj * sb])
        lo, hi = _previous_range(geo, cols, mc, b, pad)
        if hi < lo:
            cols[C_N * mc + jj] = 0
            cols[C_OFF * mc + jj] = off
            cols[C_I0 * mc + jj] = 0
            cols[C_A0 * mc + jj] = A0
            continue
        i_lo = max(int(math.floor((lo - A0) / ha)), 0)
        i_hi = min(int(math.ceil((hi - A0) / ha)), Na - 1)
        i_lo = (i_lo // sa) * sa
        cnt = (i_hi - i_lo) // sa + 1 if i_hi >= i_lo else 0
        cols[C_I0 * mc + jj] = i_lo
        cols[C_A0 * mc + jj] = tab[D + 1, i_lo]
        cols[C_N * mc + jj] = cnt
        cols[C_OFF * mc + jj] = off
        off += cnt
    if off > ipar[I_NBUF]:
        return False
    geo[1] = off
    return True


@jit
def _build_direct(ipar, geo, cols, mc, Ha, b0, Hb, nb, abase, pad):
    """Columns of a directly evaluated lattice (b = b0 + jj Hb, a on abase + k Ha) covering
    the previous pass's kept ranges widened by ``pad`` previous steps."""
    if nb > mc:
        return False
    off = 0
    for jj in range(nb):
        lo, hi = _previous_range(geo, cols, mc, b0 + jj * Hb, pad)
        if hi < lo:
            cols[C_N * mc + jj] = 0
            cols[C_OFF * mc + jj] = off
            cols[C_A0 * mc + jj] = abase
            continue
        k0 = int(math.floor((lo - abase) / Ha))
        k1 = int(math.ceil((hi - abase) / Ha))
        cols[C_A0 * mc + jj] = abase + k0 * Ha
        cols[C_N * mc + jj] = k1 - k0 + 1
        cols[C_OFF * mc + jj] = off
        off += k1 - k0 + 1
    if off > ipar[I_NBUF]:
        return False
    geo[1] = off
    return True


@jit
def _edges(cols, mc, nb, jlo, jhi):
    """Whether kept nodes touch the end of their column, or kept columns the lattice's ends."""
    if jlo == 0 or jhi == nb - 1:
        return True
    for jj in range(jlo, jhi + 1):
        khi = cols[C_KHI * mc + jj]
        if khi >= 0 and (cols[C_KLO * mc + jj] == 0 or khi == cols[C_N * mc + jj] - 1):
            return True
    return False


@jit
def _set_geo(geo, nb, Ha, b0, Hb, table, j0, sa, sb):
    geo[0] = nb
    geo[3] = Ha
    geo[4] = b0
    geo[5] = Hb
    geo[12] = 1.0 if table else 0.0
    geo[13] = j0
    geo[14] = sa
    geo[15] = sb


@jit
def _pass(ipar, fpar, tab, n, y, work, table, Ha, b0, Hb, nb, j0, sa, sb):
    """Fill, measure and weight the lattice described by the column arrays. Returns
    (jlo, jhi, va, vb, cab, sd_ab) with the moments in geo."""
    geo = work[:N_GEO + 8]
    cols, mc, f, cum = _views(ipar, work)
    if table:
        s1, s2 = _sums(ipar, fpar, n, y)
        m = _fill_tables(tab, n, ipar[I_NA], sa, j0, sb, nb, s1, s2, f, cols, mc)
    else:
        m = _fill_direct(ipar, fpar, n, y, Ha, b0, Hb, nb, f, cols, mc)
    loc_a, loc_b = _local_scale(f, nb, cols, mc, Ha, Hb, m)
    jlo, jhi = _to_weights(f, nb, cols, mc, Ha, b0, Hb, m, cum, geo)
    _set_geo(geo, nb, Ha, b0, Hb, table, j0, sa, sb)
    va, vb, cab, sd_ab = _scales(geo, loc_a, loc_b)
    return jlo, jhi, va, vb, cab, sd_ab


@jit
def lattice(ipar, fpar, tab, n, y, work):
    """Integrate the posterior on an adaptive lattice. Leaves the weights, prefix sums and
    column arrays in ``work`` and the geometry and moments in its header.

    First a scan of the whole grid at stride ``COARSE``; then, while the posterior's scales
    (global moments, capped by the largest local curvature) call for finer strides or kept
    nodes reach a column's end, a new lattice at the strides they call for, whose columns
    cover the a-ranges the previous pass kept (widened by a step) and whose columns span the
    kept columns (widened by a step). When even the grid's own step is too coarse,
    :func:`_zoom` continues on lattices evaluated directly."""
    D = n.shape[0]
    Na = ipar[I_NA]
    Nb = ipar[I_NB]
    geo = work[:N_GEO + 8]
    cols, mc, f, cum = _views(ipar, work)
    ha = fpar[F_HA]
    hb = fpar[F_HB]
    sig_a = fpar[F_SIGMA_A]
    sa = max(COARSE, (Na - 1) // COARSE_NODES)
    sb = max(COARSE, (Nb - 1) // COARSE_NODES)
    j0 = 0
    nb = (Nb - 1) // sb + 1
    off = 0
    for jj in range(nb):
        cols[C_I0 * mc + jj] = 0
        cols[C_A0 * mc + jj] = tab[D + 1, 0]
        cnt = (Na - 1) // sa + 1
        cols[C_N * mc + jj] = cnt
        cols[C_OFF * mc + jj] = off
        off += cnt
    geo[1] = off
    pad = 1
    for _ in range(MAX_ITER):
        Ha = sa * ha
        Hb = sb * hb
        b0 = math.log(tab[D + 2, j0])
        jlo, jhi, va, vb, cab, sd_ab = _pass(ipar, fpar, tab, n, y, work, True, Ha, b0, Hb, nb, j0, sa, sb)
        nsa, nsb = _choose_strides(va, vb, cab, sd_ab, ha, hb, sig_a, sa, sb)
        _keep_previous(geo, cols, mc, nb, Ha, b0, Hb)
        if nsa == 0:
            _zoom(ipar, fpar, tab, n, y, work, va, vb, cab, sd_ab)
            return
        edge = _edges(cols, mc, nb, jlo, jhi)
        at_grid = j0 == 0 and j0 + (nb - 1) * sb >= Nb - 1 - sb
        if nsa == sa and nsb == sb and (not edge or (pad >= 8 and at_grid)):
            return
        if nsa == sa and nsb == sb:
            pad *= 2  # kept nodes reach a column's end: widen
        else:
            pad = 1
        nj0 = max(j0 + (jlo - pad) * sb, 0)
        nj1 = min(j0 + (jhi + pad) * sb, Nb - 1)
        sa = nsa
        sb = nsb
        j0 = nj0
        nb = (nj1 - nj0) // sb + 1
        if not _build_table(ipar, fpar, tab, geo, cols, mc, sa, j0, sb, nb, pad):
            _zoom(ipar, fpar, tab, n, y, work, va, vb, cab, sd_ab)
            return


@jit
def _zoom(ipar, fpar, tab, n, y, work, va, vb, cab, sd_ab):
    """Lattices evaluated directly, with steps from the scales of the previous pass (whose kept
    ranges their columns cover), until the steps hold for the result's own scales."""
    geo = work[:N_GEO + 8]
    cols, mc, f, cum = _views(ipar, work)
    sig_a = fpar[F_SIGMA_A]
    pad = 2
    for _ in range(MAX_ITER):
        Ha = max(sd_ab, sig_a) / STEPS_A
        sdb = math.sqrt(max(vb, 1e-16))
        Hb = sdb / 1.5
        while _qmin(va, vb, cab, Ha, Hb) < Q_MIN:
            Hb *= 0.8
        pnb = int(geo[16])
        pb0 = geo[17]
        pHb = geo[18]
        # b-range: the previous pass's kept columns widened by `pad` previous steps
        jlo = pnb
        jhi = -1
        for jp in range(pnb):
            if cols[C_PHI * mc + jp] >= cols[C_PLO * mc + jp]:
                if jp < jlo:
                    jlo = jp
                jhi = jp
        b_lo = pb0 + (jlo - pad) * pHb
        b_hi = pb0 + (jhi + pad) * pHb
        nb = int((b_hi - b_lo) / Hb) + 1
        abase = geo[7]
        while nb > mc - 2 or not _build_direct(ipar, geo, cols, mc, Ha, b_lo, Hb, nb, abase, pad):
            Ha *= 1.25  # the buffers are full: coarser (accuracy then degrades gracefully)
            Hb *= 1.25
            nb = int((b_hi - b_lo) / Hb) + 1
        jl, jh, nva, nvb, ncab, nsd = _pass(ipar, fpar, tab, n, y, work, False, Ha, b_lo, Hb, nb, 0, 0, 0)
        ok = _steps_ok(nva, nvb, ncab, nsd, sig_a, Ha * 1.0001, Hb)
        edge = _edges(cols, mc, nb, jl, jh)
        if ok and not edge:
            return
        _keep_previous(geo, cols, mc, nb, Ha, b_lo, Hb)
        va, vb, cab, sd_ab = nva, nvb, ncab, nsd
        pad = 2 if ok else 1
        if edge and ok:
            pad = 4


@jit
def refine_b(ipar, fpar, tab, n, y, work):
    """Redo the lattice over the same columns' span with about half the column step: from the
    tables while the column stride exceeds 1, else evaluating the model. Column a-ranges come
    from the current kept ranges. False when the buffers are too small (lattice unchanged
    only if nothing was written)."""
    geo = work[:N_GEO + 8]
    cols, mc, f, cum = _views(ipar, work)
    nb = int(geo[0])
    Ha = geo[3]
    b0 = geo[4]
    Hb = geo[5]
    table = geo[12] == 1.0
    j0 = int(geo[13])
    sa = int(geo[14])
    sb = int(geo[15])
    if table and sb > 1:
        nsb = sb // 2
        nnb = ((nb - 1) * sb) // nsb + 1
        if nnb > mc:
            return False
        _keep_previous(geo, cols, mc, nb, Ha, b0, Hb)
        if not _build_table(ipar, fpar, tab, geo, cols, mc, sa, j0, nsb, nnb, 1):
            return False
        _pass(ipar, fpar, tab, n, y, work, True, Ha, b0, nsb * fpar[F_HB], nnb, j0, sa, nsb)
        return True
    nnb = 2 * nb - 1
    if nnb > mc:
        return False
    # the a-lattice base of the current lattice: any column start (they are aligned)
    abase = cols[C_A0 * mc + 0]
    _keep_previous(geo, cols, mc, nb, Ha, b0, Hb)
    if not _build_direct(ipar, geo, cols, mc, Ha, b0, 0.5 * Hb, nnb, abase, 1):
        return False
    _pass(ipar, fpar, tab, n, y, work, False, Ha, b0, 0.5 * Hb, nnb, 0, 0, 0)
    return True


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
    cols, mc, f, cum = _views(ipar, work)
    nb = int(work[0])
    Ha = work[3]
    z = work[6]
    row = D + 3
    L = SINC_L
    W = 2 * L + 1
    t0 = 0.0  # tail sums over the even and the odd columns, and their totals
    t1 = 0.0
    z0 = 0.0
    z1 = 0.0
    for jj in range(nb):
        cnt = int(cols[C_N * mc + jj])
        if cnt == 0:
            continue
        o = int(cols[C_OFF * mc + jj])
        oc = o + jj
        col_n = cum[oc + cnt]
        if col_n == 0.0:
            continue
        odd = jj % 2 == 1
        if odd:
            z1 += col_n
        else:
            z0 += col_n
        v = (t - cols[C_BETA * mc + jj] * xd - cols[C_A0 * mc + jj]) / Ha  # threshold in lattice units
        if v >= cnt - 1 + L + 0.5:
            continue
        s = 0.0
        if v <= -L - 0.5:
            s = col_n
        else:
            m = int(math.floor(v + 0.5))
            p = (v - m + 0.5) * SINC_Q
            q = min(int(p), SINC_Q - 1)
            h00, h01, h10, h11 = _hermite(p - q)
            base = q * W + L - m  # weight of node ii at index base + ii (l = ii - m)
            top = m + L + 1  # nodes from here up take full weight
            if top < cnt:
                s = col_n - cum[oc + max(top, 0)]
            lo = max(m - L, 0)
            hi = min(m + L, cnt - 1)
            for ii in range(lo, hi + 1):
                k = base + ii
                s += (h00 * tab[row, k] + h01 * tab[row, k + W] + h10 * tab[row + 1, k]
                      + h11 * tab[row + 1, k + W]) * f[o + ii]
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
def moments_p(ipar, work, xd):
    """Posterior mean and second moment of p_d = expit(a + beta x_d) from the lattice in ``work``."""
    cols, mc, f, cum = _views(ipar, work)
    nb = int(work[0])
    Ha = work[3]
    s = 0.0
    s2 = 0.0
    for jj in range(nb):
        cnt = int(cols[C_N * mc + jj])
        o = int(cols[C_OFF * mc + jj])
        c = cols[C_BETA * mc + jj] * xd + cols[C_A0 * mc + jj]
        for ii in range(cnt):
            w = f[o + ii]
            if w > 0.0:
                p = 1.0 / (1.0 + math.exp(-(c + ii * Ha)))
                s += w * p
                s2 += w * p * p
    return s / work[6], s2 / work[6]


@jit
def mean_p(ipar, work, xd):
    """Posterior mean of p_d from the lattice in ``work``."""
    m, m2 = moments_p(ipar, work, xd)
    return m


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
        unacc = pr[P_UNACC * D + d]
        return (fpar[F_LOSS] * under + fpar[F_LOSS + 1] * target + fpar[F_LOSS + 2] * (pr[P_OVER * D + d] - unacc)
                + fpar[F_LOSS + 3] * unacc)
    return fpar[F_LOSS] * under + fpar[F_LOSS + 1] * target + fpar[F_LOSS + 2] * pr[P_OVER * D + d]


@jit
def choose(rule, pr, D, n_done, lim, alpha, min_target):
    """The next best dose from per-dose probabilities (rows of ``pr``, see P_*, filled for
    doses ``0..n_done-1``), crmPack's rules (``rule`` NCRM, EWOC or NCRM_LOSS): eligible doses
    are those up to ``lim`` with P(overdose) <= ``alpha`` (NCRM_LOSS: < ``alpha``), and below
    every ineligible dose (P(overdose) rises with dose); sets ``pr``'s eligibility row.
    NCRM: the eligible dose with the largest P(target) if that exceeds ``min_target``, else
    the highest eligible dose (ties: the lowest dose, as R's which.max); EWOC: the highest
    eligible dose; NCRM_LOSS: the eligible dose with the smallest loss (row P_LOSS; ties: the
    lowest). -1 when no dose is eligible."""
    n_elig = 0
    for d in range(D):
        ok = False
        if d < n_done and d <= lim and n_elig == d:
            po = pr[P_OVER * D + d]
            ok = po < alpha if rule == NCRM_LOSS else po <= alpha
        pr[P_ELIG * D + d] = 1.0 if ok else 0.0
        if ok:
            n_elig += 1
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
    best = -1
    bp = -1.0
    for d in range(n_elig):
        pt = pr[P_LO * D + d] - pr[P_HI * D + d]
        if pt > bp:
            bp = pt
            best = d
    if bp > min_target:
        return best
    return n_elig - 1


@jit
def nearest_dose(doses, lim, target):
    """crmPack NextBestMTD's rounding: the dose up to index ``lim`` closest to ``target``
    (the lowest on a tie, as R's which.min)."""
    best = 0
    bd = abs(doses[0] - target)
    for d in range(1, lim + 1):
        v = abs(doses[d] - target)
        if v < bd:
            bd = v
            best = d
    return best


@jit
def mtd_quantile(ipar, fpar, tab, n, y, work, q):
    """The ``q``-quantile of the posterior MTD distribution (the dose with p = overdose cut):
    P(MTD <= m) = P(a + beta log(m / d_ref) >= t), increasing in m; bisection in log dose
    to 1e-9. Returns log(quantile / d_ref) (+-inf beyond 30 log units of the dose range)."""
    D = n.shape[0]
    fx = ipar[I_F_X]
    t = fpar[F_T_OVER]
    lo = fpar[fx] - 30.0
    hi = fpar[fx + D - 1] + 30.0
    if _tail_refined(ipar, fpar, tab, n, y, work, lo, t) >= q:
        return -np.inf
    if _tail_refined(ipar, fpar, tab, n, y, work, hi, t) < q:
        return np.inf
    while hi - lo > 1e-9:
        mid = 0.5 * (lo + hi)
        if _tail_refined(ipar, fpar, tab, n, y, work, mid, t) >= q:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


@jit
def _tail_refined(ipar, fpar, tab, n, y, work, xd, t):
    for _ in range(MAX_REFINE):
        p, ok = upper_tail_checked(ipar, tab, work, xd, t)
        if ok or not refine_b(ipar, fpar, tab, n, y, work):
            return p
    return upper_tail(ipar, tab, work, xd, t)


@jit
def next_best(ipar, fpar, tab, n, y, work, lim, all_doses):
    """The rule's next best dose among doses ``0..lim`` (-1: none eligible). Computes the
    posterior and the probabilities of the doses it needs (all doses with ``all_doses``):
    ascending until the first ineligible dose, which the rules never pass."""
    D = n.shape[0]
    lattice(ipar, fpar, tab, n, y, work)
    pr = work[ipar[I_O_PROB]:ipar[I_O_PROB] + 6 * D]
    alpha = overdose_bound(ipar, fpar, n)
    rule = ipar[I_RULE]
    top = D - 1 if all_doses else lim
    n_done = 0
    for d in range(top + 1):
        dose_probs(ipar, fpar, tab, n, y, work, d, pr)
        n_done += 1
        if rule == NCRM_LOSS:
            pr[P_LOSS * D + d] = _loss(ipar, fpar, pr, D, d)
        if rule != MTD_QUANTILE and not all_doses:
            po = pr[P_OVER * D + d]
            if not (po < alpha if rule == NCRM_LOSS else po <= alpha):
                break
    if rule == MTD_QUANTILE:
        for d in range(D):
            pr[P_ELIG * D + d] = 1.0 if d <= lim else 0.0
        xq = mtd_quantile(ipar, fpar, tab, n, y, work, alpha)
        q = math.exp(xq) * fpar[F_DREF] if xq < np.inf else np.inf
        return nearest_dose(fpar[ipar[I_F_DOSE]:ipar[I_F_DOSE] + D], lim, q)
    return choose(rule, pr, D, n_done, lim, alpha, fpar[F_MIN_TARGET])


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


@jit(inline=True)
def evaluate(ipar, fpar, tab, n, y, work, cur):
    """The design's decision after a cohort at dose ``cur`` (0-based; -1: none yet):
    (next best dose or -1, stop reason). Computed, not cached."""
    lim = dose_limit(ipar, n, cur)
    nbd = next_best(ipar, fpar, tab, n, y, work, lim, False)
    if nbd < 0:
        return -1, SAFETY
    if stop_rules(ipar, fpar, tab, n, work, nbd):
        return nbd, RULE
    return nbd, CONTINUE


# ---------------------------------------------------------------------------------- the cache
@jit(inline=True)
def _key(n, y, cur, key):
    """Pack (cur, n, y) into int64 words (n, y < 1024: 20 bits per dose, 3 doses a word); returns
    the number of words."""
    D = n.shape[0]
    key[0] = cur + 1
    w = 1
    for d0 in range(0, D, 3):
        v = np.int64(0)
        for d in range(d0, min(d0 + 3, D)):
            v = (v << 20) | (np.int64(n[d]) << 10) | np.int64(y[d])
        key[w] = v
        w += 1
    return w


@jit(inline=True)
def cached_evaluate(ipar, fpar, tab, n, y, work, cur):
    """:func:`evaluate` through the per-state table in ``work`` (:func:`.cache.find`)."""
    cap = ipar[I_CACHE]
    if cap == 0:
        return evaluate(ipar, fpar, tab, n, y, work, cur)
    kw = 1 + (n.shape[0] + 2) // 3
    table = work[ipar[I_O_CACHE]:].view(np.int64)
    key = table[2:2 + kw]
    tag = _cache.tag_of(key, _key(n, y, cur, key))
    hit, v, ent = _cache.find(table, kw, cap, tag)
    if hit:
        return (v & 0xFF) - 2, v >> 8
    nbd, reason = evaluate(ipar, fpar, tab, n, y, work, cur)
    _cache.put(table, kw, cap, ent, tag, (np.int64(nbd) + 2) | (np.int64(reason) << 8))
    return nbd, reason


@jit
def highest_eligible(ipar, fpar, tab, n, y, work, top):
    """The highest dose in ``0..top`` below every ineligible dose (P(overdose) above the overdose
    bound, ``<=`` as NCRM and EWOC have it) on the counts ``n``/``y``; -1 when dose 0 is not
    eligible (the design would stop for safety). Backfill's safety test."""
    D = n.shape[0]
    lattice(ipar, fpar, tab, n, y, work)
    pr = work[ipar[I_O_PROB]:ipar[I_O_PROB] + 6 * D]
    alpha = overdose_bound(ipar, fpar, n)
    for d in range(top + 1):
        dose_probs(ipar, fpar, tab, n, y, work, d, pr)
        if not pr[P_OVER * D + d] <= alpha:
            return d - 1
    return top


@jit
def cached_highest_eligible(ipar, fpar, tab, n, y, work, top):
    """:func:`highest_eligible` through the decision table (keys ``-(top + 1)`` in the current-dose
    word, so they never meet a decision's ``cur + 1 >= 0``)."""
    cap = ipar[I_CACHE]
    if cap == 0:
        return highest_eligible(ipar, fpar, tab, n, y, work, top)
    kw = 1 + (n.shape[0] + 2) // 3
    table = work[ipar[I_O_CACHE]:].view(np.int64)
    key = table[2:2 + kw]
    tag = _cache.tag_of(key, _key(n, y, -top - 2, key))
    hit, v, ent = _cache.find(table, kw, cap, tag)
    if hit:
        return (v & 0xFF) - 2
    e = highest_eligible(ipar, fpar, tab, n, y, work, top)
    _cache.put(table, kw, cap, ent, tag, np.int64(e) + 2)
    return e


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
    P(p > t_over), P(p > t_unacc), eligible, loss, posterior mean, posterior sd; returns (next
    best dose, dose limit, overdose bound, lattice nodes)."""
    D = n.shape[0]
    lim = dose_limit(ipar, n, cur)
    nbd = next_best(ipar, fpar, tab, n, y, work, lim, True)
    pr = work[ipar[I_O_PROB]:ipar[I_O_PROB] + 6 * D]
    for i in range(6 * D):
        out[i] = pr[i]
    fx = ipar[I_F_X]
    for d in range(D):
        m, m2 = moments_p(ipar, work, fpar[fx + d])
        out[6 * D + d] = m
        out[7 * D + d] = math.sqrt(max(m2 - m * m, 0.0))
    return nbd, lim, overdose_bound(ipar, fpar, n), work[1]


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
