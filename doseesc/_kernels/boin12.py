"""BOIN12 (Lin, Zhou, Yan, Li & Yuan 2020): utility-based phase I/II interval design.

The semantics of the MD Anderson BOIN12 app as reproduced by R escalation's ``get_boin12``
(``boin12_next_dose``) and ``select_boin12_obd``; see :class:`doseesc.BOIN12` for the rules.

Integer parameters ``ipar``: start dose (0-based), cohort size, n_star, table size ``T``, and
whether ``tab`` holds the score table. Float parameters ``fpar``: phi_t, lambda_e, lambda_d, the
utility benchmark u_b / 100 and the utilities u1..u4 of (E no T, neither, both, T no E).
``tab[n, k]`` for ``k <= T`` (float64 holding small integers): bit ``TOX_BAD`` when a dose with
``k`` DLTs in ``n`` patients fails the toxicity admissibility rule, P(p_T > phi_t | Beta(1 + k,
1 + n - k)) >= c_t; bit ``EFF_BAD`` when a dose with ``k`` responses fails the efficacy one,
P(p_E < phi_e | Beta(1 + k, 1 + n - k)) >= c_e (computed in Python, as R's ``pbeta``).
With the score table (when the score does not depend on the patients with both, i.e. integer
utilities with u2 + u3 = u1 + u4, and T is small), ``tab[n, T + 1 + y (T + 1) + e]`` is the
desirability score of a dose with ``n`` patients, ``y`` DLTs and ``e`` responses.

Decisions depend on the per-dose counts of patients ``n``, DLTs ``y``, responses ``e`` and
patients with both ``b`` (``b`` only through the utility's pseudo-count), and the current dose:
no auxiliary state, so exact enumeration applies.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from .betafn import beta_sf
from .codes import CONTINUE, FUTILITY, SAFETY

TOX_BAD = 1
EFF_BAD = 2

I_START = 0
I_COHORT = 1
I_NSTAR = 2
I_TABLE_N = 3
I_SCORE_TAB = 4
N_IPAR = 5

F_PHI_T = 0
F_LAMBDA_E = 1
F_LAMBDA_D = 2
F_UB = 3
F_U1 = 4  # then u2, u3, u4
N_FPAR = 8

N_EXPLORE = 8  # escalate to an untried dose once the current one has more than this many patients


def n_work(n_doses: int) -> int:
    """Float scratch of ``select``: values, weights, levels and dose indices of the PAVA fit."""
    return 4 * n_doses


@jit(inline=True)
def _entry(ipar, tab, nd, k):
    t = ipar[I_TABLE_N]
    if nd > t:  # never in simulation (n <= max_n = T); the Python layer widens T for live use
        nd = t
        if k > t:
            k = t
    return np.int64(tab[nd, k])


@jit
def admissible(ipar, tab, nd, yd, ed):
    """The dose passes both admissibility rules (escalation's ``boin12_admissible``)."""
    return (_entry(ipar, tab, nd, yd) & TOX_BAD) == 0 and (_entry(ipar, tab, nd, ed) & EFF_BAD) == 0


@jit(inline=True)
def no_admissible(ipar, tab, n, y, lo, hi):
    """The stop code when no dose in ``lo .. hi`` (the doses the decision considered) is
    admissible: ``FUTILITY`` if one of them passes the toxicity rule (efficacy excluded it), else
    ``SAFETY``."""
    for d in range(lo, hi + 1):
        if (_entry(ipar, tab, n[d], y[d]) & TOX_BAD) == 0:
            return FUTILITY
    return SAFETY


@jit
def score(ipar, fpar, tab, nd, yd, ed, bd):
    """Desirability score 100 P(u_d > u_b | data): the quasi-binomial utility posterior
    Beta(1 + x, 1 + n - x) with pseudo-count x = (u1 y1 + u2 y2 + u3 y3 + u4 y4) / 100
    (escalation's ``boin12_pbenchmark``; its operations in the same order). From the score
    table when there is one, else computed."""
    t = ipar[I_TABLE_N]
    if ipar[I_SCORE_TAB] != 0 and nd <= t:
        return tab[nd, t + 1 + yd * (t + 1) + ed]
    return score_value(fpar, nd, yd, ed, bd)


@jit
def score_value(fpar, nd, yd, ed, bd):
    """The desirability score computed (see :func:`score`)."""
    y1 = ed - bd  # efficacy, no DLT
    y3 = bd  # both
    y4 = yd - bd  # DLT, no efficacy
    y2 = nd - y1 - y3 - y4  # neither
    x = (fpar[F_U1] * y1 + fpar[F_U1 + 1] * y2 + fpar[F_U1 + 2] * y3 + fpar[F_U1 + 3] * y4) / 100.0
    return 100.0 * beta_sf(fpar[F_UB], 1.0 + x, (1.0 + nd) - x)


@jit
def start(ipar, aux):
    return ipar[I_START], ipar[I_COHORT]


@jit
def decide(ipar, fpar, tab, n, y, e, b, cur):
    """Next dose after a cohort at ``cur`` (escalation's ``boin12_next_dose``).

    In the "d - 1 or d" branch escalation's code reads ``if(currentdose-1 %in% admissible &
    currentdose %in% admissible)`` and ``ifelse(currentdose-1 %in% admissible, currentdose-1,
    ...)``; R binds ``%in%`` tighter than ``-``, so the tests are ``currentdose - (1 %in%
    admissible)``, non-zero unless d = 1 with dose 1 admissible. As executed (and reproduced
    here): at d >= 2, the better of d - 1 and d if d is admissible (d - 1's admissibility is not
    checked), else d - 1; at d = 1, stay if dose 1 is admissible, else stop (next dose 0).
    """
    D = n.shape[0]
    cs = ipar[I_COHORT]
    nc = n[cur]
    pt = y[cur] / nc
    lam_e = fpar[F_LAMBDA_E]
    lam_d = fpar[F_LAMBDA_D]
    # dose exploration: more than 8 patients here, not too toxic, the next dose untried
    if nc > N_EXPLORE and pt < lam_d and cur != D - 1 and n[cur + 1] == 0:
        return cur + 1, cs, CONTINUE
    if pt >= lam_d:  # de-escalate (stay at the lowest dose)
        return max(cur - 1, 0), cs, CONTINUE
    if pt > lam_e and nc >= ipar[I_NSTAR]:  # d - 1 or d (escalation's code as R evaluates it, below)
        a_cur = admissible(ipar, tab, nc, y[cur], e[cur])
        if cur >= 1:
            if a_cur:  # the more desirable of d - 1 and d (a tie goes to d - 1), d - 1 admissible or not
                s_lo = score(ipar, fpar, tab, n[cur - 1], y[cur - 1], e[cur - 1], b[cur - 1])
                s_cur = score(ipar, fpar, tab, nc, y[cur], e[cur], b[cur])
                return (cur - 1 if s_lo >= s_cur else cur), cs, CONTINUE
            return cur - 1, cs, CONTINUE
        if a_cur:  # at dose 1
            return 0, cs, CONTINUE
        # dose 1 not admissible: escalation's next dose 0, the trial stops
        return -1, 0, no_admissible(ipar, tab, n, y, 0, 0)
    # the most desirable admissible dose among d - 1, d, d + 1 (a tie goes to the higher dose)
    best = -1
    best_s = -np.inf
    for d in range(max(cur - 1, 0), min(cur + 1, D - 1) + 1):
        if admissible(ipar, tab, n[d], y[d], e[d]):
            s = score(ipar, fpar, tab, n[d], y[d], e[d], b[d])
            if s >= best_s:
                best_s = s
                best = d
    if best < 0:
        return -1, 0, no_admissible(ipar, tab, n, y, max(cur - 1, 0), min(cur + 1, D - 1))
    return best, cs, CONTINUE


@jit
def _neumaier_add(s, comp, v):
    t = s + v
    if abs(s) >= abs(v):
        comp += (s - t) + v
    else:
        comp += (v - t) + s
    return t, comp


@jit
def _pava(x, lvl, m):
    """Unweighted isotonic regression of ``x[:m]`` in place, pooling the first violation each
    pass (the order of R BOIN's and escalation's ``pava``); pooled means are summed with
    compensation, as R's ``sum`` accumulates in extended precision."""
    for i in range(m):
        lvl[i] = i
    while True:
        j = -1
        for i in range(m - 1):
            if x[i + 1] < x[i]:
                j = i
                break
        if j < 0:
            return
        l1 = lvl[j]
        l2 = lvl[j + 1]
        s = 0.0
        comp = 0.0
        k = 0
        for i in range(m):
            if lvl[i] == l1 or lvl[i] == l2:
                s, comp = _neumaier_add(s, comp, x[i])
                k += 1
        v = (s + comp) / k
        for i in range(m):
            if lvl[i] == l1 or lvl[i] == l2:
                x[i] = v
                lvl[i] = l1


@jit
def mtd(fpar, n, y, work):
    """escalation's ``select_boin12_obd`` MTD: the isotonic (unweighted PAVA) DLT rate over the
    doses given, and the dose closest to phi_t (a tie goes to the higher dose); -1 if none given."""
    D = n.shape[0]
    x = work[0:D]
    lvl = work[D:2 * D]
    idx = work[2 * D:3 * D]
    m = 0
    for d in range(D):
        if n[d] > 0:
            x[m] = y[d] / n[d]
            idx[m] = d
            m += 1
    if m == 0:
        return -1
    _pava(x, lvl, m)
    best = np.inf
    out = -1
    for j in range(m):
        dist = abs(x[j] - fpar[F_PHI_T])
        if dist <= best:
            best = dist
            out = np.int64(idx[j])
    return out


@jit
def select(ipar, fpar, tab, n, y, e, b, work):
    """The OBD (``select_boin12_obd``): the dose with the highest desirability score among all
    doses up to the MTD (a tie goes to the lower dose); -1 if no patient was treated."""
    top = mtd(fpar, n, y, work)
    if top < 0:
        return -1
    best = 0
    best_s = -np.inf
    for d in range(top + 1):
        s = score(ipar, fpar, tab, n[d], y[d], e[d], b[d])
        if s > best_s:
            best_s = s
            best = d
    return best
