"""Table-driven interval designs (BOIN, mTPI, mTPI-2, Keyboard, i3+3): one kernel for all.

Everything design-specific is decided in Python at lowering time and packed into a
per-(n, y) action table ``tab[n, y]`` (``n`` patients, ``y`` DLTs at the current dose), so
a decision is one table lookup. Each entry is a small integer stored as float64:

* bits 0-1: the action, ``ESCALATE``, ``STAY`` or ``DEESCALATE``;
* ``ELIM``: the dose and all higher doses are eliminated (n >= 3 and
  P(p > target | Beta(1 + y, 1 + n - y)) > cutoff); always paired with ``DEESCALATE``;
* ``XSAFE``: BOIN's extra-safe rule holds at this (n, y) (P > cutoff - offset, n >= 3);
* ``ELIM_ROW``: R BOIN's elimination boundary exists at this n (R only checks the
  extra-safe rule when it does).

Integer parameters ``ipar`` (indices below): start dose (0-based), cohort size, table size
``T`` (largest n in the table), n_earlystop (0 = off), titration (0/1), extrasafe (0/1),
bound_mtd (0/1), number of doses. Float parameters ``fpar``: target, lambda_d (for bound_mtd), the
pseudo-count ``a`` of the selection estimate ``(y + a) / (n + 2a)``.

Auxiliary state ``aux``: [lowest eliminated dose (n_doses if none), phase] with phase 0 =
titration (cohorts of one), 1 = regular. Both are functions of the counts and the path, so
exact enumeration applies.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from .codes import CONTINUE, RULE, SAFETY

ESCALATE = 0
STAY = 1
DEESCALATE = 2
ACTION_MASK = 3
ELIM = 4
XSAFE = 8
ELIM_ROW = 16

# ipar layout
I_START = 0
I_COHORT = 1
I_TABLE_N = 2
I_EARLYSTOP = 3
I_TITRATION = 4
I_EXTRASAFE = 5
I_BOUND_MTD = 6
I_N_DOSES = 7
N_IPAR = 8

# fpar layout
F_TARGET = 0
F_LAMBDA_D = 1
F_PSEUDO = 2
N_FPAR = 3

# aux layout
A_ELIM = 0
A_PHASE = 1
N_AUX = 2


def n_work(n_doses: int) -> int:
    """Float scratch needed by ``select``/``estimates``: estimate, weight, level, index per dose."""
    return 4 * n_doses


@jit(inline=True)
def _entry(ipar, tab, nd, yd):
    t = ipar[I_TABLE_N]
    if nd > t:  # never happens: simulated and live counts are bounded by max_n = T
        nd = t
        if yd > t:
            yd = t
    return np.int64(tab[nd, yd])


@jit
def start(ipar, aux):
    aux[A_ELIM] = ipar[I_N_DOSES]
    if ipar[I_TITRATION] != 0:
        aux[A_PHASE] = 0
        return 0, 1  # R get.oc: titration always starts at dose 1, one patient per dose
    aux[A_PHASE] = 1
    return ipar[I_START], ipar[I_COHORT]


@jit(inline=True)
def decide(ipar, tab, n, y, aux, cur, c, k):
    n_doses = n.shape[0]
    cs = ipar[I_COHORT]
    if aux[A_PHASE] == 0:
        # Titration: one patient per dose, upwards until the first DLT (or the top dose);
        # then the rest of a regular cohort at that dose, with no decision in between.
        if k == 0 and cur < n_doses - 1:
            return cur + 1, 1, CONTINUE
        aux[A_PHASE] = 1
        return cur, cs - 1, CONTINUE
    code = _entry(ipar, tab, n[cur], y[cur])
    nxt, c, reason = apply_action(ipar, n, aux, cur, code, code & ACTION_MASK)
    if reason == CONTINUE and nxt >= aux[A_ELIM]:  # only in live use: a cohort given at an eliminated dose;
        if aux[A_ELIM] == 0:  # eliminated doses are never used again, so go to the highest one left
            return -1, 0, SAFETY
        nxt = aux[A_ELIM] - 1
    return nxt, c, reason


@jit(inline=True)
def apply_action(ipar, n, aux, cur, code, act):
    """Carry out table entry ``code`` at the current dose with action ``act`` (normally
    ``code & ACTION_MASK``; TITE-BOIN passes the action it derived from pending data):
    elimination, extra-safe stop, bounds, eliminated doses and the n_earlystop rule."""
    n_doses = n.shape[0]
    cs = ipar[I_COHORT]
    if code & ELIM:
        if aux[A_ELIM] > cur:
            aux[A_ELIM] = cur
        if cur == 0:
            return -1, 0, SAFETY
    if ipar[I_EXTRASAFE] != 0 and cur == 0 and (code & ELIM_ROW) and (code & XSAFE):
        return -1, 0, SAFETY
    nxt = cur
    if act == ESCALATE:
        if cur < n_doses - 1 and aux[A_ELIM] > cur + 1:
            nxt = cur + 1
    elif act == DEESCALATE:
        if cur > 0:
            nxt = cur - 1
    es = ipar[I_EARLYSTOP]
    if es > 0 and n[cur] >= es and nxt == cur:
        return -1, 0, RULE
    return nxt, cs, CONTINUE


@jit
def _estimate(a, nd, yd):
    """Posterior mean and variance under a Beta(a, a) prior (R BOIN select.mtd uses a = 0.05)."""
    m = (yd + a) / (nd + 2.0 * a)
    v = (yd + a) * (nd - yd + a) / ((nd + 2.0 * a) ** 2 * (nd + 2.0 * a + 1.0))
    return m, v


@jit
def _pava(work, D, m):
    """Weighted isotonic regression in place of ``x = work[0:m]`` with weights ``work[D:D + m]``
    (level labels in ``work[2D:2D + m]``), pooling the first violation each pass (the order of
    operations of R BOIN's ``pava``). Indexed by offsets rather than through slices of ``work``:
    each slice is an array view whose reference count numba updates atomically."""
    L = 2 * D
    for i in range(m):
        work[L + i] = i
    while True:
        j = -1
        for i in range(m - 1):
            if work[i + 1] < work[i]:
                j = i
                break
        if j < 0:
            return
        l1 = work[L + j]
        l2 = work[L + j + 1]
        s = 0.0
        sw = 0.0
        for i in range(m):
            if work[L + i] == l1 or work[L + i] == l2:
                s += work[i] * work[D + i]
                sw += work[D + i]
        v = s / sw
        for i in range(m):
            if work[L + i] == l1 or work[L + i] == l2:
                work[i] = v
                work[L + i] = l1


@jit
def _isotonic(a, n, y, upto, work):
    """PAVA fit (weights 1/var) of (y + a) / (n + 2a) over the treated doses below ``upto``.

    Leaves the fitted values in ``work[0:m]`` and their 0-based doses in ``work[3D:3D + m]``;
    returns m, the number of treated doses used.
    """
    n_doses = n.shape[0]
    m = 0
    for d in range(upto):
        if n[d] > 0:
            mu, var = _estimate(a, n[d], y[d])
            work[m] = mu
            work[n_doses + m] = 1.0 / var
            work[3 * n_doses + m] = d
            m += 1
    if m > 0:
        _pava(work, n_doses, m)
    return m


@jit
def select(ipar, fpar, tab, n, y, work):
    """R BOIN ``select.mtd`` semantics, shared by every interval design.

    Eliminated doses are recomputed from the counts (the lowest dose with n >= 3 and the
    elimination rule satisfied, and all above it; with extrasafe, every dose when the
    lowest dose meets the extra-safe rule). Among the other doses with patients, the
    isotonic (PAVA, weights 1/var) estimates of (y + a) / (n + 2a) plus ``j * 1e-10`` break
    ties (higher dose when below the target, lower when above) and the dose closest to the
    target is selected. Returns -1 for no selection.
    """
    n_doses = n.shape[0]
    target = fpar[F_TARGET]
    a = fpar[F_PSEUDO]
    lo = n_doses
    for d in range(n_doses):
        if n[d] >= 3 and (_entry(ipar, tab, n[d], y[d]) & ELIM):
            lo = d
            break
    if ipar[I_EXTRASAFE] != 0 and n[0] >= 3 and (_entry(ipar, tab, n[0], y[0]) & XSAFE):
        lo = 0
    if lo == 0:
        return -1
    m = _isotonic(a, n, y, lo, work)
    if m == 0:
        return -1
    best = -1
    best_dist = np.inf
    bound = ipar[I_BOUND_MTD] != 0
    lam_d = fpar[F_LAMBDA_D]
    for j in range(m):
        p = work[j] + (j + 1) * 1e-10
        if bound and not p < lam_d:
            break  # estimates are increasing: no later dose qualifies either
        dist = abs(p - target)
        if dist < best_dist:
            best_dist = dist
            best = j
    if best < 0:
        return -1
    return np.int64(work[3 * n_doses + best])


@jit
def estimates(fpar, n, y, work, out):
    """Isotonic estimates over all treated doses (NaN where untreated), as select.mtd reports."""
    n_doses = n.shape[0]
    out[:] = np.nan
    m = _isotonic(fpar[F_PSEUDO], n, y, n_doses, work)
    for j in range(m):
        out[np.int64(work[3 * n_doses + j])] = work[j]
    return np.nan
