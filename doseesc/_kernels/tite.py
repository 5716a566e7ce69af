"""Time-to-event designs (TITE-BOIN, TITE-CRM, TITE-BOIN12): a decision at each arrival from
partial follow-up.

The cohort loop (:mod:`.trial`) waits for every cohort's full follow-up; these designs do
not, so they have their own loops. The decisions take the data as a clinician has them at the
moment of a decision -- per patient: dose, DLT observed (0/1) and follow-up time (the DLT time
for a patient with an observed DLT, at most the window) -- and the same decision code serves
the simulator (:func:`run_batch`) and live use (:func:`live`, :func:`live12`), so a
recommendation from ``next_dose_tite`` is exactly what the simulator would have done: TITE-CRM's
:func:`_crm_next`, TITE-BOIN12's :func:`decide12`, in the general loop :func:`run_trial`;
TITE-BOIN's :func:`_boin_core`, in its own event-driven loop :func:`_boin_rows` (its records
are those of the general loop TITE-BOIN once ran in, to the last bit: tests/test_tite_boin_loop.py
holds their hashes).

Parameter layouts (packed by :mod:`doseesc.designs.tite`):

TITE-BOIN: ``ipar``/``fpar``/``tab`` are the interval-design layouts of :mod:`.interval`
(``tab`` is BOIN's (n, y) action table), with three more floats: ``F_LAMBDA_E``,
``F_SUSPEND`` (the pending fraction above which accrual is suspended) and ``F_PRIOR_A``
(target / 2, the prior pseudo-count of the imputation estimate) and ``F_ESTIMATE`` (0: the
imputation estimate of Yuan et al. 2018; 1: the effective-sample-size estimate of Lin & Yuan
2020).

TITE-CRM: ``ipar`` = [start dose, 1, restrict, model, scheme, K nodes]; ``fpar`` = [target,
intercept a0, prior sd, grid step, skeleton (D), scaled doses (D)]; ``tab`` rows ``0..D-1``
log p_d(b_j), ``D..2D-1`` log(1 - p_d(b_j)), ``2D`` the log prior density, ``2D+1`` the
nodes b_j (the layout of the CRM kernel's quadrature tables), ``2D+2..3D+1`` p_d(b_j)
(:func:`exp_rows`).

TITE-BOIN12: ``ipar``/``fpar``/``tab`` are BOIN12's layouts (:mod:`.boin12`) with one more
integer, ``B_WAIT`` (1: wait for every enrolled patient's complete toxicity and efficacy data
before each decision, i.e. BOIN12 under the time model), and five more floats: the pending
fractions above which accrual is suspended for toxicity (``B_SUSP_T``) and efficacy
(``B_SUSP_E``), phi_e, c_t and c_e (the admissibility rule on quasi-beta posteriors).

All: ``ipar[0]`` is the 0-based start dose and ``ipar[1]`` the cohort size (patients who
receive the dose chosen at one decision).
"""

from __future__ import annotations

import math

import numpy as np
from numba import get_thread_id, prange

from .._jit import jit
from . import boin12 as _b12
from . import cache as _cache
from . import crm as _crm
from . import interval as _iv
from . import rules as _rules
from .betafn import beta_cdf, beta_sf
from .codes import CONTINUE, FUTILITY, MAX_EVENTS, MAX_N, RULE, SAFETY, TITE_BOIN, TOO_LONG
from .records import store
from .rng import STREAM_EFFICACY, STREAM_ONSET, STREAM_TOLERANCE, draw, mix64, trial_key
from .timing import dropout, dropout_s, eff_onset, gap, gap_s, gap_tk, late_shape, onset, onset_late, onset_v

CHUNK = 64  # trials per parallel task; results do not depend on it

# TITE-BOIN extra floats, after the interval layout (F_TARGET, F_LAMBDA_D, F_PSEUDO)
F_LAMBDA_E = _iv.N_FPAR
F_SUSPEND = _iv.N_FPAR + 1
F_PRIOR_A = _iv.N_FPAR + 2
F_ESTIMATE = _iv.N_FPAR + 3  # 0: imputation (Yuan et al. 2018), 1: effective sample size (Lin & Yuan 2020)
N_FPAR_BOIN = _iv.N_FPAR + 4

# TITE-BOIN12 extras, after BOIN12's layouts
B_WAIT = _b12.N_IPAR
N_IPAR_B12 = _b12.N_IPAR + 1
B_SUSP_T = _b12.N_FPAR
B_SUSP_E = _b12.N_FPAR + 1
B_PHI_E = _b12.N_FPAR + 2
B_C_T = _b12.N_FPAR + 3
B_C_E = _b12.N_FPAR + 4
N_FPAR_B12 = _b12.N_FPAR + 5

# TITE-CRM layouts
C_START = 0
C_COHORT = 1
C_RESTRICT = 2
C_MODEL = 3
C_SCHEME = 4
C_K = 5
N_IPAR_CRM = 6
EMPIRIC = 0
LOGISTIC = 1
LINEAR = 0
ADAPTIVE = 1
G_TARGET = 0
G_A0 = 1
G_PRIOR_SD = 2
G_H = 3
G_DOSE = 4  # skeleton (D) then scaled doses (D)

CUT = 40.0  # nodes whose log posterior is below the maximum by more than this add < 4e-18


#: partially followed patients a decision-cache key can hold (more: the decision is computed).
#: Keys repeat only when follow-up times do (fixed accrual), which leaves few patients pending at
#: a decision; 4 (was 8) keeps the slots small, so twice as many fit in the same memory.
KEY_PENDING = 4

#: decision-cache slots per thread for the TITE-CRM (:mod:`.cache`): 131,072 x 15 floats (16 MB
#: with 4 doses). The trial states of a run are many more than the CRM's (counts per dose and the
#: pending patients), so a larger table keeps more of them: measured on the benchmark setting
#: (4 doses, 20 patients, fixed accrual; 100,000 trials per run, keys of up to 3 pending patients),
#: 65,536 / 131,072 / 262,144 slots ran 86k / 91k / 92k trials per CPU second, 0 slots 30k
#: (benchmarks/bench_tite_levers.py).
CACHE_SLOTS = 131072


#: rows of pending-patient terms kept by the TITE-CRM posterior (:func:`_pending_row`)
TERM_ROWS = 16


def n_work_crm(n_doses: int, k: int, max_n: int) -> int:
    """Float scratch of the TITE-CRM decision: two node rows, weights + DLT times per patient,
    D estimates, a decision-cache key (:func:`_crm_choice`) and the pending-term rows
    (:func:`_pending_row`)."""
    return 2 * k + 2 * max_n + n_doses + crm_key_len(n_doses) + TERM_ROWS * (k + 2)  # rows at _rows_at


@jit(inline=True)
def _rows_at(k, max_n, n_doses):
    """Offset of the pending-term rows in the TITE-CRM scratch (after the decision-cache key)."""
    return 2 * k + 2 * max_n + n_doses + n_doses + 1 + 2 * KEY_PENDING


def crm_key_len(n_doses: int) -> int:
    """Words of a TITE-CRM decision-cache key: per-dose counts, the number of partially followed
    patients and (dose, weight) for each of them."""
    return n_doses + 1 + 2 * KEY_PENDING


def crm_cache_width(n_doses: int) -> int:
    """Floats per TITE-CRM decision-cache slot (see :mod:`.cache`)."""
    return _cache.HEAD + crm_key_len(n_doses)


# ---------------------------------------------------------------------------- TITE-BOIN
@jit(inline=True)
def _boin_decide(ipar, fpar, tab, n, y, m, mc, stft, cur):
    """TITE-BOIN (Yuan et al. 2018) at the current dose ``cur``.

    ``n``: patients treated per dose; ``y``: DLTs observed so far; ``m``: patients still
    pending (no DLT yet, window not complete); ``mc``: those of them censored by a drop-out
    (pending for good: they enter the imputation with their frozen follow-up, but accrual is
    never suspended to wait for them); ``stft``: the pending patients' standardized total
    follow-up time. Returns (next dose, reason, suspended): :func:`_boin_core` on the current
    dose's data and the lowest eliminated dose (:func:`_lowest_eliminated`).
    """
    D = n.shape[0]
    lo = _lowest_eliminated(ipar[_iv.I_TABLE_N], tab, n, y)
    code = _iv._entry(ipar, tab, n[cur], y[cur])
    return _boin_core(lo, code, n[cur], y[cur], m[cur], mc[cur], stft[cur], cur, D, fpar[_iv.F_TARGET],
                      fpar[F_LAMBDA_E], fpar[_iv.F_LAMBDA_D], fpar[F_SUSPEND], fpar[F_PRIOR_A],
                      fpar[F_ESTIMATE] != 0.0, ipar[_iv.I_EXTRASAFE] != 0, ipar[_iv.I_EARLYSTOP])


@jit(inline=True)
def _entry_at(T, tab, nd, yd):
    """:func:`doseesc._kernels.interval._entry` with the table size ``T = ipar[I_TABLE_N]``."""
    if nd > T:  # never happens: simulated and live counts are bounded by max_n = T
        nd = T
        if yd > T:
            yd = T
    return np.int64(tab[nd, yd])


@jit(inline=True)
def _lowest_eliminated(T, tab, n, y):
    """The lowest eliminated dose (``n.shape[0]`` if none), recomputed from the counts: DLTs can
    still arrive at any dose."""
    D = n.shape[0]
    for d in range(D):
        if n[d] >= 3 and (_entry_at(T, tab, n[d], y[d]) & _iv.ELIM):
            return d
    return D


@jit(inline=True)
def _boin_act(nc, lo, cur, code, act, D, extrasafe, earlystop):
    """:func:`doseesc._kernels.interval.apply_action` on scalars, in the regular phase with the
    lowest eliminated dose ``lo`` (``nc``: patients at ``cur``). Returns (next dose, reason)."""
    elim = lo
    if code & _iv.ELIM:
        if elim > cur:
            elim = cur
        if cur == 0:
            return -1, SAFETY
    if extrasafe and cur == 0 and (code & _iv.ELIM_ROW) and (code & _iv.XSAFE):
        return -1, SAFETY
    nxt = cur
    if act == _iv.ESCALATE:
        if cur < D - 1 and elim > cur + 1:
            nxt = cur + 1
    elif act == _iv.DEESCALATE:
        if cur > 0:
            nxt = cur - 1
    if earlystop > 0 and nc >= earlystop and nxt == cur:
        return -1, RULE
    return nxt, CONTINUE


@jit(inline=True)
def _boin_core(lo, code, nc, yc, mcur, mccur, scur, cur, D, target, lam_e, lam_d, susp_f, prior_a, ess, extrasafe,
               earlystop):
    """The TITE-BOIN decision from scalars: ``lo`` the lowest eliminated dose, ``code`` BOIN's
    table entry at the current dose ``cur`` (:mod:`.interval`), and there ``nc`` patients,
    ``yc`` observed DLTs, ``mcur`` pending patients of whom ``mccur`` censored, ``scur`` their
    standardized total follow-up. Shared by live use (:func:`_boin_decide`) and the simulator
    (:func:`_boin_rows`). Returns (next dose, reason, suspended).

    Imputation estimate (``ess`` False, Yuan et al. 2018): de-escalation on the observed DLTs
    alone (y / n >= lambda_d) needs no wait, pending outcomes can only raise the estimate;
    otherwise pending data may change the decision, and accrual is suspended while more than
    ``susp_f`` of the patients at ``cur`` are pending (not counting the censored).

    ESS estimate (Lin & Yuan 2020) y / (n - m + STFT), in the order of R's TITEgBOIN
    (``next_TITE_QuasiBOIN``): elimination and the extra-safe stop first; then suspension
    whenever more than the suspension fraction of the patients at the current dose are
    pending; then escalate if the estimate <= lambda_e, de-escalate if >= lambda_d (at the
    lowest dose: suspend while patients are pending there, else stay), else stay.
    """
    if lo < cur:  # late DLTs eliminated a lower dose and with it the current one
        if lo == 0:
            return -1, SAFETY, False
        return lo - 1, CONTINUE, False
    act = code & _iv.ACTION_MASK
    if ess:
        xsafe = extrasafe and cur == 0 and (code & _iv.ELIM_ROW) and (code & _iv.XSAFE)
        if (code & _iv.ELIM) or xsafe:
            nxt, reason = _boin_act(nc, lo, cur, code, _iv.DEESCALATE, D, extrasafe, earlystop)
            return nxt, reason, False
        if mcur - mccur > susp_f * nc:
            return cur, CONTINUE, True
        e = nc - mcur + scur
        if e <= 0.0:  # every patient here pending with no follow-up yet (only if never suspending)
            act = _iv.STAY
        elif yc / e <= lam_e:
            act = _iv.ESCALATE
        elif yc / e >= lam_d:
            if cur == 0 and mcur - mccur > 0:
                return cur, CONTINUE, True
            act = _iv.DEESCALATE
        else:
            act = _iv.STAY
        nxt, reason = _boin_act(nc, lo, cur, code, act, D, extrasafe, earlystop)
        return nxt, reason, False
    if mcur > 0 and act != _iv.DEESCALATE:
        if mcur - mccur > susp_f * nc:
            if extrasafe and cur == 0 and (code & _iv.ELIM_ROW) and (code & _iv.XSAFE):
                return -1, SAFETY, False
            return cur, CONTINUE, True
        pobs = yc / nc
        if pobs != target:
            ptil = _imputed_s(prior_a, nc, yc, mcur, scur)
            if pobs < target:
                act = _iv.ESCALATE if ptil <= lam_e else _iv.STAY
            else:
                act = _iv.DEESCALATE if ptil >= lam_d else _iv.STAY
        else:
            act = _iv.STAY
    nxt, reason = _boin_act(nc, lo, cur, code, act, D, extrasafe, earlystop)
    return nxt, reason, False


@jit(inline=True)
def _imputed(fpar, nd, yd, md, sd):
    """Yuan et al.'s (2018) estimate at a dose with ``nd`` patients, ``yd`` observed DLTs and
    ``md`` pending patients of standardized total follow-up ``sd``.

    Each pending outcome is imputed as pi (1 - t_i / W) / (1 - pi), pi = (y + target / 2) /
    (n - m + 1) the posterior mean from the completed patients under a Beta(target / 2,
    1 - target / 2) prior, so the pending patients add pi / (1 - pi) (m - STFT) expected DLTs.
    That approximation can exceed one DLT per pending patient when pi > 1/2 (e.g. one
    completed patient, with a DLT, and two just enrolled: (1 + 1.29 x 1.86) / 3 = 1.13), so
    the estimate is capped at 1. The cap never changes a decision: both boundaries are below 1.
    """
    return _imputed_s(fpar[F_PRIOR_A], nd, yd, md, sd)


@jit(inline=True)
def _imputed_s(prior_a, nd, yd, md, sd):
    """:func:`_imputed` with the prior pseudo-count ``prior_a = fpar[F_PRIOR_A]``."""
    pihat = (yd + prior_a) / (nd - md + 1.0)  # < 1: y <= n - m and target / 2 < 1
    est = (yd + pihat / (1.0 - pihat) * (md - sd)) / nd
    return est if est < 1.0 else 1.0


@jit
def _boin_estimates(fpar, n, y, m, stft, out):
    """Per-dose TITE-BOIN estimate in [0, 1]: the capped imputation estimate or
    y / (n - m + STFT) (y / n with none pending); NaN where untreated, or where every patient
    is pending with no follow-up yet (ESS estimate: no information)."""
    for d in range(n.shape[0]):
        if n[d] == 0:
            out[d] = np.nan
        elif m[d] == 0:
            out[d] = y[d] / n[d]
        elif fpar[F_ESTIMATE] != 0.0:
            ess = n[d] - m[d] + stft[d]  # >= y: DLT patients are complete
            out[d] = y[d] / ess if ess > 0.0 else np.nan
        else:
            out[d] = _imputed(fpar, n[d], y[d], m[d], stft[d])


# ---------------------------------------------------------------------------- TITE-BOIN12
@jit(inline=True)
def _b12_pending(mt, me, d):
    return mt[d] + me[d] > 0


@jit
def _b12_admissible(ipar, fpar, tab, n, y, e, mt, me, st, se, d):
    """BOIN12's admissibility at dose ``d``: from the integer table when no outcome is pending
    there (exactly BOIN12), else on the quasi-beta posteriors Beta(1 + y, 1 + ESS_T - y) and
    Beta(1 + e, 1 + ESS_E - e)."""
    if not _b12_pending(mt, me, d):
        return _b12.admissible(ipar, tab, n[d], y[d], e[d])
    if beta_sf(fpar[_b12.F_PHI_T], 1.0 + y[d], 1.0 + st[d] - y[d]) >= fpar[B_C_T]:
        return False
    return beta_cdf(fpar[B_PHI_E], 1.0 + e[d], 1.0 + se[d] - e[d]) < fpar[B_C_E]


@jit(inline=True)
def _b12_no_admissible(ipar, fpar, tab, n, y, mt, me, st, lo, hi):
    """The stop code when no dose in ``lo .. hi`` is admissible (:func:`_b12_admissible`):
    ``FUTILITY`` if one of them passes the toxicity rule (on the same data), else ``SAFETY``."""
    for d in range(lo, hi + 1):
        if not _b12_pending(mt, me, d):
            if (_b12._entry(ipar, tab, n[d], y[d]) & _b12.TOX_BAD) == 0:
                return FUTILITY
        elif beta_sf(fpar[_b12.F_PHI_T], 1.0 + y[d], 1.0 + st[d] - y[d]) < fpar[B_C_T]:
            return FUTILITY
    return SAFETY


@jit
def _b12_score(ipar, fpar, tab, n, y, e, b, mt, me, st, se, sx, d):
    """BOIN12's desirability score at dose ``d``: BOIN12's own when no outcome is pending
    there; else 100 P(u > u_b) under Beta(1 + x, 1 + n - x), with the quasi-event count x =
    ``sx[d]`` of :func:`b12_summaries` (pending outcomes imputed by their conditional
    expectations, the paper's approximated-likelihood method)."""
    if not _b12_pending(mt, me, d):
        return _b12.score(ipar, fpar, tab, n[d], y[d], e[d], b[d])
    nd = np.float64(n[d])
    x = sx[d]
    return 100.0 * beta_sf(fpar[_b12.F_UB], 1.0 + x, (1.0 + nd) - x)


@jit
def _b12_decide_tite(ipar, fpar, tab, n, y, e, b, mt, me, st, se, sx, cur):
    """BOIN12's decision (:func:`doseesc._kernels.boin12.decide`, the same branches) with the
    current dose's DLT rate estimated by y / ESS_T and admissibility and scores from
    :func:`_b12_admissible` / :func:`_b12_score`."""
    D = n.shape[0]
    cs = ipar[_b12.I_COHORT]
    nc = n[cur]
    pt = y[cur] / st[cur] if st[cur] > 0.0 else 0.0
    lam_e = fpar[_b12.F_LAMBDA_E]
    lam_d = fpar[_b12.F_LAMBDA_D]
    if nc > _b12.N_EXPLORE and pt < lam_d and cur != D - 1 and n[cur + 1] == 0:
        return cur + 1, cs, CONTINUE
    if pt >= lam_d:
        return max(cur - 1, 0), cs, CONTINUE
    if pt > lam_e and nc >= ipar[_b12.I_NSTAR]:
        a_cur = _b12_admissible(ipar, fpar, tab, n, y, e, mt, me, st, se, cur)
        if cur >= 1:
            if a_cur:
                s_lo = _b12_score(ipar, fpar, tab, n, y, e, b, mt, me, st, se, sx, cur - 1)
                s_cur = _b12_score(ipar, fpar, tab, n, y, e, b, mt, me, st, se, sx, cur)
                return (cur - 1 if s_lo >= s_cur else cur), cs, CONTINUE
            return cur - 1, cs, CONTINUE
        if a_cur:
            return 0, cs, CONTINUE
        return -1, 0, _b12_no_admissible(ipar, fpar, tab, n, y, mt, me, st, 0, 0)
    best = -1
    best_s = -np.inf
    for d in range(max(cur - 1, 0), min(cur + 1, D - 1) + 1):
        if _b12_admissible(ipar, fpar, tab, n, y, e, mt, me, st, se, d):
            sc = _b12_score(ipar, fpar, tab, n, y, e, b, mt, me, st, se, sx, d)
            if sc >= best_s:
                best_s = sc
                best = d
    if best < 0:
        return -1, 0, _b12_no_admissible(ipar, fpar, tab, n, y, mt, me, st, max(cur - 1, 0), min(cur + 1, D - 1))
    return best, cs, CONTINUE


@jit(inline=True)
def _imputed_event(p, w):
    """E[event | none seen after the fraction ``w`` of the window] = p (1 - w) / (1 - p w), for an
    event time uniform over the window (Zhou et al. 2022; Lin & Yuan 2020)."""
    return p * (1.0 - w) / ((1.0 - p) + p * (1.0 - w))


@jit
def b12_summaries(fpar, W, WE, pd, ptox, pfu, pres, pefu, npat, n, y, e, b, mt, me, st, se, sx):
    """Per-dose data of TITE-BOIN12 at a decision: treated ``n``, observed DLTs ``y``,
    responses ``e`` and both ``b``; pending toxicity ``mt`` / efficacy ``me`` outcomes; the
    effective sample sizes ``st`` = sum of toxicity weights (1 when the outcome is known, else
    follow-up / window) and ``se`` (efficacy, follow-up / efficacy window); and the quasi-event
    count ``sx`` = sum over the dose's patients of u(t, r) / 100, u the utility with t and r the
    patient's toxicity and response, each 0 or 1 when known and, when pending, its conditional
    expectation ``p (1 - w) / (1 - p w)`` at the dose's ESS estimate p = y / ESS_T (e / ESS_E)
    and the patient's weight w (the paper's approximated-likelihood imputation). Summed in
    order of enrolment, and only at doses with an outcome pending (elsewhere ``sx`` stays 0:
    :func:`_b12_score` uses BOIN12's own score there)."""
    D = n.shape[0]
    for d in range(D):
        n[d] = 0
        y[d] = 0
        e[d] = 0
        b[d] = 0
        mt[d] = 0
        me[d] = 0
        st[d] = 0.0
        se[d] = 0.0
        sx[d] = 0.0
    for i in range(npat):
        d = pd[i]
        n[d] += 1
        wt = 1.0
        if ptox[i] != 0:
            y[d] += 1
        elif pfu[i] < W:
            mt[d] += 1
            wt = pfu[i] / W
        we = 1.0
        if pres[i] != 0:
            e[d] += 1
        elif pefu[i] < WE:
            me[d] += 1
            we = pefu[i] / WE
        if ptox[i] != 0 and pres[i] != 0:
            b[d] += 1
        st[d] += wt
        se[d] += we
    u1 = fpar[_b12.F_U1]
    u2 = fpar[_b12.F_U1 + 1]
    u3 = fpar[_b12.F_U1 + 2]
    u4 = fpar[_b12.F_U1 + 3]
    for i in range(npat):
        d = pd[i]
        if mt[d] + me[d] == 0:
            continue  # nothing pending at the dose: BOIN12's own score applies
        t = 1.0 if ptox[i] != 0 else 0.0
        if ptox[i] == 0 and pfu[i] < W:
            t = _imputed_event(y[d] / st[d] if st[d] > 0.0 else 0.0, pfu[i] / W)
        r = 1.0 if pres[i] != 0 else 0.0
        if pres[i] == 0 and pefu[i] < WE:
            r = _imputed_event(e[d] / se[d] if se[d] > 0.0 else 0.0, pefu[i] / WE)
        sx[d] += (u1 * (1.0 - t) * r + u2 * (1.0 - t) * (1.0 - r) + u3 * t * r + u4 * t * (1.0 - r)) / 100.0


@jit
def decide12(ipar, fpar, tab, rules, safety_tab, W, WE, pd, ptox, pfu, pres, pefu, npat, cur, n, y, e, b, mt, me, st,
             se, sx):
    """TITE-BOIN12's decision for the next patient from per-patient data (``pres``: response
    observed; ``pefu``: efficacy follow-up, the response time after a response). Fills the
    per-dose summaries (:func:`b12_summaries`). Returns (next dose, stop reason, suspended).

    Accrual is suspended (``ipar[B_WAIT]``) while any enrolled patient has an outcome pending,
    else when more than ``fpar[B_SUSP_T]`` of the patients at the current dose have their
    toxicity outcome pending or more than ``fpar[B_SUSP_E]`` their efficacy outcome. Otherwise,
    with no outcome pending at d - 1, d, d + 1 the decision is BOIN12's, else
    :func:`_b12_decide_tite`.
    """
    D = n.shape[0]
    b12_summaries(fpar, W, WE, pd, ptox, pfu, pres, pefu, npat, n, y, e, b, mt, me, st, se, sx)
    if ipar[B_WAIT] != 0:
        for d in range(D):
            if mt[d] + me[d] > 0:
                return cur, CONTINUE, True
    elif mt[cur] > fpar[B_SUSP_T] * n[cur] or me[cur] > fpar[B_SUSP_E] * n[cur]:
        return cur, CONTINUE, True
    near = False
    for d in range(max(cur - 1, 0), min(cur + 1, D - 1) + 1):
        if _b12_pending(mt, me, d):
            near = True
    if near:
        nxt, cs, reason = _b12_decide_tite(ipar, fpar, tab, n, y, e, b, mt, me, st, se, sx, cur)
    else:
        nxt, cs, reason = _b12.decide(ipar, fpar, tab, n, y, e, b, cur)
    if reason == CONTINUE and (rules[0] != 0 or rules[1] != 0 or rules[3] != 0):
        nxt, c, reason = _rules.apply(rules, safety_tab, n, y, cur, nxt, 1, reason)
    return nxt, reason, False


@jit
def live12(ipar, fpar, tab, rules, safety_tab, W, WE, pd, ptox, pfu, pres, pefu, npat, cur, max_n, n_doses, n_work,
           out):
    """One live TITE-BOIN12 recommendation through :func:`decide12`. Returns (next dose, reason,
    suspended, selected now) and fills ``out`` (6, D): ESS estimates of p_T and p_E, the
    desirability scores, admissibility (1/0), and P(p_T < phi_T) and P(p_E > phi_E) on the
    quasi-beta posteriors Beta(1 + y, 1 + ESS_T - y) and Beta(1 + e, 1 + ESS_E - e) (with nothing
    pending, BOIN12's posteriors).
    "Selected now": BOIN12's OBD selection from the patients whose both outcomes are known."""
    D = n_doses
    n = np.zeros(D, dtype=np.int64)
    y = np.zeros(D, dtype=np.int64)
    e = np.zeros(D, dtype=np.int64)
    b = np.zeros(D, dtype=np.int64)
    mt = np.zeros(D, dtype=np.int64)
    me = np.zeros(D, dtype=np.int64)
    st = np.zeros(D)
    se = np.zeros(D)
    sx = np.zeros(D)
    if npat == 0:
        nxt, reason, susp = ipar[0], CONTINUE, False
    else:
        nxt, reason, susp = decide12(ipar, fpar, tab, rules, safety_tab, W, WE, pd, ptox, pfu, pres, pefu, npat, cur,
                                     n, y, e, b, mt, me, st, se, sx)
    if reason == CONTINUE and npat >= max_n:
        reason = MAX_N
    for d in range(D):
        out[0, d] = y[d] / st[d] if st[d] > 0.0 else np.nan
        out[1, d] = e[d] / se[d] if se[d] > 0.0 else np.nan
        out[2, d] = _b12_score(ipar, fpar, tab, n, y, e, b, mt, me, st, se, sx, d)
        out[3, d] = 1.0 if _b12_admissible(ipar, fpar, tab, n, y, e, mt, me, st, se, d) else 0.0
        out[4, d] = 1.0 - beta_sf(fpar[_b12.F_PHI_T], 1.0 + y[d], 1.0 + st[d] - y[d])
        out[5, d] = 1.0 - beta_cdf(fpar[B_PHI_E], 1.0 + e[d], 1.0 + se[d] - e[d])
    nc = np.zeros(D, dtype=np.int64)
    yc = np.zeros(D, dtype=np.int64)
    ec = np.zeros(D, dtype=np.int64)
    bc = np.zeros(D, dtype=np.int64)
    for i in range(npat):
        if (ptox[i] != 0 or pfu[i] >= W) and (pres[i] != 0 or pefu[i] >= WE):
            d = pd[i]
            nc[d] += 1
            yc[d] += ptox[i]
            ec[d] += pres[i]
            if ptox[i] != 0 and pres[i] != 0:
                bc[d] += 1
    sel = -1
    if reason < SAFETY and nc.sum() > 0:
        sel = _rules.restrict_selection(rules, nc, _b12.select(ipar, fpar, tab, nc, yc, ec, bc,
                                                               np.zeros(max(n_work, 1))))
    return nxt, reason, susp, sel


# ---------------------------------------------------------------------------- TITE-CRM
@jit
def _crm_weights(ipar, ptox, pfu, npat, window, w, support):
    """dfcrm ``titecrm`` weights: linear (follow-up / window) or adaptive (Cheung & Chappell
    2000: piecewise linear through the observed DLT times); observed DLTs weigh 1."""
    z = 0
    if ipar[C_SCHEME] == ADAPTIVE:
        for i in range(npat):
            if ptox[i] != 0:
                # insertion into the sorted DLT times
                v = pfu[i]
                k = z
                while k > 0 and support[k - 1] > v:
                    support[k] = support[k - 1]
                    k -= 1
                support[k] = v
                z += 1
    for i in range(npat):
        if ptox[i] != 0:
            w[i] = 1.0
            continue
        f = pfu[i]
        if z == 0:
            wi = f / window
        else:
            mm = 0
            while mm < z and support[mm] <= f:
                mm += 1
            if mm == 0:
                wi = f / support[0] / (z + 1)
            elif mm == z:
                wi = (z + (f - support[z - 1]) / (window - support[z - 1])) / (z + 1)
            else:
                wi = (mm + (f - support[mm - 1]) / (support[mm] - support[mm - 1])) / (z + 1)
        w[i] = wi if wi < 1.0 else 1.0


@jit
def _crm_posterior_mean(ipar, tab, cnt_y, cnt_c, pd, w, ptox, npat, work):
    """Posterior mean of beta: trapezoid sums over the node row of ``tab``.

    Observed DLTs (``cnt_y``) and non-DLT patients of weight 1 (``cnt_c``) enter through the
    per-dose log-probability rows; each partially followed patient i adds log(1 - w_i p_d(b)).
    Only nodes within ``CUT`` of the maximum are evaluated (the count part bounds the full log
    posterior from above, pending terms being <= 0).
    """
    D = cnt_y.shape[0]
    K = ipar[C_K]
    P0 = 2 * D + 2  # rows of p_d(b_j) themselves (see exp_rows)
    L0 = work[0:K]
    F = work[K:2 * K]
    for j in range(K):
        L0[j] = tab[2 * D, j]
    for d in range(D):
        a = np.float64(cnt_y[d])
        b = np.float64(cnt_c[d])
        if a != 0.0:
            for j in range(K):
                L0[j] += a * tab[d, j]
        if b != 0.0:
            for j in range(K):
                L0[j] += b * tab[D + d, j]
    j0 = 0
    for j in range(1, K):
        if L0[j] > L0[j0]:
            j0 = j
    npend = 0
    for i in range(npat):
        if ptox[i] == 0 and w[i] < 1.0:
            npend += 1
    if npend == 0:
        lo = L0[j0] - CUT
        s0 = 0.0
        s1 = 0.0
        for j in range(K):
            if L0[j] > lo:
                e = math.exp(L0[j] - L0[j0])
                s0 += e
                s1 += e * tab[2 * D + 1, j]
        return s1 / s0
    f0 = L0[j0]
    for i in range(npat):
        if ptox[i] == 0 and w[i] < 1.0:
            f0 += math.log1p(-w[i] * tab[P0 + pd[i], j0])
    lo = f0 - CUT
    # Node j's log posterior is L0[j] plus each partially followed patient's term, added in
    # order of enrolment. Patients in the outer loop and nodes in the inner one: the same sums
    # in the same order (so the same bits), without scanning every patient at every node.
    for j in range(K):
        F[j] = L0[j] if L0[j] >= lo else -np.inf
    r0 = _rows_at(K, pd.shape[0], D)
    keep = work.shape[0] >= r0 + TERM_ROWS * (K + 2)  # room for the term rows (simulator, live use)
    for i in range(npat):
        if ptox[i] == 0 and w[i] < 1.0:
            wi = w[i]
            row = P0 + pd[i]
            if keep:
                o = _pending_row(work, r0, K, pd[i], wi)
                for j in range(K):
                    if F[j] != -np.inf:
                        t = work[o + j]
                        if t != t:  # not computed yet for this (dose, weight)
                            t = math.log1p(-wi * tab[row, j])
                            work[o + j] = t
                        F[j] += t
            else:
                for j in range(K):
                    if F[j] != -np.inf:
                        F[j] += math.log1p(-wi * tab[row, j])
    fmax = f0
    for j in range(K):
        if F[j] > fmax:
            fmax = F[j]
    s0 = 0.0
    s1 = 0.0
    for j in range(K):
        if F[j] > fmax - CUT:
            e = math.exp(F[j] - fmax)
            s0 += e
            s1 += e * tab[2 * D + 1, j]
    return s1 / s0


@jit(inline=True)
def _pending_row(work, r0, K, d, wi):
    """Offset of the row of terms log(1 - w p_d(b_j)) for dose ``d`` and weight ``wi`` in the
    TITE-CRM scratch: ``TERM_ROWS`` direct-mapped rows ``[d + 1 (0: empty), w, K terms]`` at
    ``work[r0]``, a term NaN until first needed. The same (dose, weight) recurs whenever
    follow-up times repeat (fixed accrual: every partially followed patient has one of a few
    weights), and each term is the value :func:`_crm_posterior_mean` would compute (the same
    ``math.log1p`` of the same product): one transcendental function per node and pending
    patient saved on a repeat, the same bits either way."""
    h = mix64(np.uint64(d) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(np.int64(wi * 1073741824.0)))
    o = r0 + np.int64(h % np.uint64(TERM_ROWS)) * (K + 2)
    if work[o] != d + 1 or work[o + 1] != wi:
        work[o] = d + 1
        work[o + 1] = wi
        for j in range(K):
            work[o + 2 + j] = np.nan
    return o + 2


@jit
def exp_rows(tab, D):
    """Fill rows ``2D + 2 .. 3D + 1`` of the TITE-CRM table with ``p_d(b_j) = exp(log p_d(b_j))``
    (rows ``0 .. D - 1``), by the same ``math.exp`` the posterior used to take per partially
    followed patient and node: the same values, computed once at lowering instead of at
    every decision (half the transcendental functions of the posterior's pending terms)."""
    K = tab.shape[1]
    for d in range(D):
        for j in range(K):
            tab[2 * D + 2 + d, j] = math.exp(tab[d, j])


@jit
def _crm_ptox(ipar, fpar, D, beta, out):
    t = math.exp(beta)
    for d in range(D):
        x = fpar[G_DOSE + D + d]
        if ipar[C_MODEL] == EMPIRIC:
            out[d] = math.exp(t * x)
        else:
            out[d] = 1.0 / (1.0 + math.exp(-fpar[G_A0] - t * x))


@jit(inline=True)
def _crm_data(ipar, pd, ptox, pfu, npat, window, cnt_y, cnt_c, work):
    """The TITE weights (returned, a view of ``work``) and the per-dose counts of observed DLTs
    ``cnt_y`` and of complete follow-ups without one ``cnt_c``."""
    K = ipar[C_K]
    nmax = pd.shape[0]
    w = work[2 * K:2 * K + nmax]
    support = work[2 * K + nmax:2 * K + 2 * nmax]
    _crm_weights(ipar, ptox, pfu, npat, window, w, support)
    cnt_y[:] = 0
    cnt_c[:] = 0
    for i in range(npat):
        if ptox[i] != 0:
            cnt_y[pd[i]] += 1
        elif w[i] >= 1.0:
            cnt_c[pd[i]] += 1
    return w


@jit
def _crm_fit(ipar, fpar, tab, pd, ptox, pfu, npat, window, cnt_y, cnt_c, work):
    """Weighted-likelihood posterior mean of beta from per-patient data."""
    w = _crm_data(ipar, pd, ptox, pfu, npat, window, cnt_y, cnt_c, work)
    return _crm_posterior_mean(ipar, tab, cnt_y, cnt_c, pd, w, ptox, npat, work)


@jit
def _crm_choice(ipar, fpar, tab, pd, w, ptox, npat, cnt_y, cnt_c, nmax, work):
    """The model's recommendation (closest to target, unrestricted) from the counts ``cnt_y``
    (observed DLTs), ``cnt_c`` (complete without a DLT) and the partially followed patients
    (``ptox == 0`` and weight ``w < 1``), looked up in the decision cache or computed and stored.

    The posterior mean depends on exactly these: the counts, and each partially followed
    patient's dose and weight, added in order of enrolment (:func:`_crm_posterior_mean`). They
    are the key (with more than ``KEY_PENDING`` such patients the decision is just computed),
    so a cached value is the computed one, bit for bit. With fixed accrual the weights take few
    values and most decisions are found; with Poisson accrual almost none are (the lookup costs
    a small fraction of a posterior). ``nmax``: the per-patient capacity that sets the scratch
    layout (``pd.shape[0]`` of the simulator's arrays)."""
    D = cnt_y.shape[0]
    K = ipar[C_K]
    k = 2 * K + 2 * nmax + D
    for d in range(D):
        work[k + d] = cnt_y[d] * 1024 + cnt_c[d]  # counts <= 1000
    npend = 0
    for i in range(npat):
        if ptox[i] == 0 and w[i] < 1.0:
            if npend < KEY_PENDING:
                work[k + D + 1 + 2 * npend] = pd[i]
                work[k + D + 2 + 2 * npend] = w[i]
            npend += 1
    work[k + D] = npend
    klen = D + 1 + 2 * npend  # longer than a slot holds when npend > KEY_PENDING: no lookup
    kmax = D + 1 + 2 * KEY_PENDING  # crm_key_len
    base = k + kmax + TERM_ROWS * (K + 2)  # the table follows the pending-term rows
    hit, val, o = _cache.lookup(work, base, _cache.HEAD + kmax, k, klen)
    if hit:
        return np.int64(val)
    beta = _crm_posterior_mean(ipar, tab, cnt_y, cnt_c, pd, w, ptox, npat, work)
    p = work[2 * K + 2 * nmax:2 * K + 2 * nmax + D]
    _crm_ptox(ipar, fpar, D, beta, p)
    nxt = _crm.closest(p, fpar[G_TARGET])
    _cache.store(work, o, k, klen, np.float64(nxt))
    return nxt


@jit
def _crm_decide(ipar, fpar, tab, pd, ptox, pfu, npat, window, cur, cnt_y, cnt_c, work):
    nmax = pd.shape[0]
    w = _crm_data(ipar, pd, ptox, pfu, npat, window, cnt_y, cnt_c, work)
    nxt = _crm_choice(ipar, fpar, tab, pd, w, ptox, npat, cnt_y, cnt_c, nmax, work)
    if ipar[C_RESTRICT] != 0 and nxt > cur + 1:  # dfcrm titesim: at most one level above the last patient
        nxt = cur + 1
    return nxt


# ---------------------------------------------------------------------------- shared
@jit(inline=True)
def _counts(window, pd, ptox, pfu, pcen, npat, n, y, m, mc, stft):
    """The per-dose summaries of the patients' data at a decision: ``n`` (treated), ``y``
    (observed DLTs), ``m`` (pending, censored included), ``mc`` (censored) and ``stft`` (the
    pending patients' standardized total follow-up, summed in order of enrolment)."""
    D = n.shape[0]
    for d in range(D):
        n[d] = 0
        y[d] = 0
        m[d] = 0
        mc[d] = 0
        stft[d] = 0.0
    for i in range(npat):
        d = pd[i]
        n[d] += 1
        if ptox[i] != 0:
            y[d] += 1
        elif pfu[i] < window:
            m[d] += 1
            stft[d] += pfu[i] / window
            mc[d] += pcen[i]


@jit(inline=True)
def _with_rules(rules, safety_tab, n, y, cur, nxt, reason, susp):
    """The composable stopping rules on a decision that neither stops nor suspends."""
    if not susp and reason == CONTINUE and (rules[0] != 0 or rules[1] != 0 or rules[3] != 0):
        nxt, c, reason = _rules.apply(rules, safety_tab, n, y, cur, nxt, 1, reason)
    return nxt, reason


@jit(inline=True)
def _crm_next(ipar, fpar, tab, rules, safety_tab, window, pd, ptox, pfu, pcen, npat, cur, n, y, m, mc, stft, iwork,
              work):
    """TITE-CRM's decision for the next patient (:func:`decide` without TITE-BOIN's branch, for
    the simulator, which runs TITE-BOIN in :func:`_boin_rows`)."""
    D = n.shape[0]
    _counts(window, pd, ptox, pfu, pcen, npat, n, y, m, mc, stft)
    nxt = _crm_decide(ipar, fpar, tab, pd, ptox, pfu, npat, window, cur, iwork[0:D], iwork[D:2 * D], work)
    return _with_rules(rules, safety_tab, n, y, cur, nxt, CONTINUE, False)


@jit(inline=True)
def decide(code, ipar, fpar, tab, rules, safety_tab, window, pd, ptox, pfu, pcen, npat, cur, n, y, m, mc, stft, iwork,
           work):
    """The decision for the next patient, given per-patient data at the moment of deciding
    (live use).

    ``pd``: 0-based dose; ``ptox``: 1 when a DLT has been observed; ``pfu``: follow-up time
    (the DLT time after an observed DLT; ``>= window`` means complete); ``pcen``: 1 for a
    patient censored by a drop-out before their outcome (``pfu`` is then their follow-up at the
    drop-out, for good). ``cur`` is the dose of the latest decision (TITE-CRM: of the latest
    patient). Fills the per-dose summaries (:func:`_counts`). Returns (next dose, stop reason,
    accrual suspended).
    """
    if code != TITE_BOIN:
        nxt, reason = _crm_next(ipar, fpar, tab, rules, safety_tab, window, pd, ptox, pfu, pcen, npat, cur, n, y, m,
                                mc, stft, iwork, work)
        return nxt, reason, False
    _counts(window, pd, ptox, pfu, pcen, npat, n, y, m, mc, stft)
    nxt, reason, susp = _boin_decide(ipar, fpar, tab, n, y, m, mc, stft, cur)
    nxt, reason = _with_rules(rules, safety_tab, n, y, cur, nxt, reason, susp)
    return nxt, reason, susp


@jit
def final_select(code, ipar, fpar, tab, n, y, iwork, work):
    """The selection from complete data (per-dose counts); -1 for none."""
    if code == TITE_BOIN:
        return _iv.select(ipar, fpar, tab, n, y, work)
    D = n.shape[0]
    cnt_y = iwork[0:D]
    cnt_c = iwork[D:2 * D]
    for d in range(D):
        cnt_y[d] = y[d]
        cnt_c[d] = n[d] - y[d]
    K = ipar[C_K]
    w = work[2 * K:2 * K]  # no partially followed patients
    pd = iwork[0:0]
    beta = _crm_posterior_mean(ipar, tab, cnt_y, cnt_c, pd, w, pd, 0, work)
    p = work[2 * K:2 * K + D]
    _crm_ptox(ipar, fpar, D, beta, p)
    return _crm.closest(p, fpar[G_TARGET])


@jit
def _crm_final(ipar, fpar, tab, n, y, iwork, work, nmax):
    """:func:`final_select` for the TITE-CRM in the simulator, through the decision cache: the
    complete data are the key with no partially followed patient (the same computation)."""
    D = n.shape[0]
    cnt_y = iwork[0:D]
    cnt_c = iwork[D:2 * D]
    for d in range(D):
        cnt_y[d] = y[d]
        cnt_c[d] = n[d] - y[d]
    none = iwork[0:0]
    return _crm_choice(ipar, fpar, tab, none, work[0:0], none, 0, cnt_y, cnt_c, nmax, work)


@jit
def estimates(code, ipar, fpar, tab, window, pd, ptox, pfu, npat, n, y, m, stft, iwork, work, out):
    """Per-dose DLT estimates the design uses (into ``out``) and beta (TITE-CRM; else NaN).

    Call after :func:`decide` (which fills ``n``, ``y``, ``m``, ``stft``).
    """
    D = n.shape[0]
    if code == TITE_BOIN:
        _boin_estimates(fpar, n, y, m, stft, out)
        return np.nan
    beta = _crm_fit(ipar, fpar, tab, pd, ptox, pfu, npat, window, iwork[0:D], iwork[D:2 * D], work)
    _crm_ptox(ipar, fpar, D, beta, out)
    return beta


@jit
def current_select(code, ipar, fpar, tab, window, pd, ptox, pfu, npat, n, y, m, iwork, work):
    """What the design would select if the trial ended now, on the data so far: TITE-BOIN
    selects from the completed patients; TITE-CRM's model uses the weighted data."""
    D = n.shape[0]
    if code == TITE_BOIN:
        nc = iwork[2 * D:3 * D]
        for d in range(D):
            nc[d] = n[d] - m[d]
        return _iv.select(ipar, fpar, tab, nc, y, work)
    return _crm_current(ipar, fpar, tab, window, pd, ptox, pfu, npat, D, iwork, work)


@jit(inline=True)
def _crm_current(ipar, fpar, tab, window, pd, ptox, pfu, npat, D, iwork, work):
    """TITE-CRM's selection on the weighted data so far (:func:`current_select`)."""
    K = ipar[C_K]
    beta = _crm_fit(ipar, fpar, tab, pd, ptox, pfu, npat, window, iwork[0:D], iwork[D:2 * D], work)
    p = work[2 * K + 2 * pd.shape[0]:2 * K + 2 * pd.shape[0] + D]
    _crm_ptox(ipar, fpar, D, beta, p)
    return _crm.closest(p, fpar[G_TARGET])


# ---------------------------------------------------------------------------- trial loop
@jit(inline=True)
def _next_event12(W, WE, pe, pdlt, pon, ptox, pfu, peff, peon, pres, pefu, total):
    """The first time after the data were last filled in at which a pending outcome of TITE-BOIN12
    (no drop-out) is seen: the next DLT, completed DLT window, response or completed efficacy
    window. Rounding is monotone, so ``pe + min(a, b) == min(pe + a, pe + b)``: these are exactly
    the times at which the comparisons that fill in the data flip."""
    nt = np.inf
    for i in range(total):
        if ptox[i] == 0 and pfu[i] < W:
            ev = pe[i] + (pon[i] if pdlt[i] != 0 else W)
            if ev < nt:
                nt = ev
        if pres[i] == 0 and pefu[i] < WE:
            ev = pe[i] + (peon[i] if peff[i] != 0 else WE)
            if ev < nt:
                nt = ev
    return nt


@jit
def run_trial(ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, key, t, max_n, n, y,
              ae, nd, ne, pd, pe, pdlt, pon, pdo, ptox, pfu, pcen, ns, ys, ms, mcs, stft, iwork, work, late,
              peff, peon, pres, pefu, nb, eb, sf):
    """Simulate TITE-CRM or TITE-BOIN12 trial ``t`` (TITE-BOIN runs in :func:`_boin_rows`): one
    decision per cohort (of ``ipar[1]`` patients) at the arrival of its first patient, from the
    data visible then.

    Arrivals follow the time model; the first patient arrives at time 0 and gets the start
    dose. When TITE-BOIN12 suspends accrual the arriving patient is turned away (the decision is
    retried at the next arrival) or, with ``waiting="queue"``, waits until the next outcome or
    completed window changes the data. Patient i (in order of enrolment) has latent tolerance
    ``draw(.., i, STREAM_TOLERANCE)`` and DLT onset ``onset(.., i)``, as in the cohort loop.

    Drop-out (``tm[7] > 0``; drop-out time ``dropout(.., i)`` after enrolment): a patient who
    drops out before their outcome is known is censored at the drop-out -- their follow-up stops
    growing (TITE-CRM weight: follow-up at the drop-out over the window, for good), a later DLT
    is never observed, and they are not replaced (they count toward ``max_n``). ``n``, ``y``
    and ``ae`` count evaluable patients and observed DLTs, ``nd`` drop-outs per dose; the final
    selection uses the evaluable patients (TITE-CRM: the weighted likelihood, drop-outs with
    their frozen weights).

    Efficacy (``ne`` of one entry per dose; length 0: off): an evaluable patient responds iff
    ``draw(.., i, STREAM_EFFICACY)`` is below ``p_eff_t`` (with a DLT) or ``p_eff_n`` (without),
    as in the cohort loop; the responses are counted in ``ne`` and never change a decision.

    Returns (selected, reason, duration, waiting time, turned away). Duration, as in dfcrm
    ``titesim``: the last enrolment plus the window (when the final selection, on complete
    data, can be made); a safety stop ends the trial at that decision.

    ``late`` (3, D): with the "late" onset model, each dose's :func:`~.timing.late_shape`
    constants (q, a, k) under this scenario, computed once by the caller.

    TITE-BOIN12 (no drop-out; the Python layer refuses it): each evaluable patient's response
    (``peff``, the efficacy draw above) happens at ``eff_onset(.., i)`` within the efficacy
    window ``tm[11]`` (``peon``), whatever their DLT; ``pres``/``pefu`` are the response seen
    and the efficacy follow-up at the decision; ``nb`` counts patients with both a DLT and a
    response, ``eb`` (4, D) and ``sf`` (3, D) are the decision's per-dose scratch. The design is
    told by which of ``eb`` (TITE-BOIN12's scratch) and ``iwork`` (TITE-CRM's) is None: each
    design's branches test ``... is not None``, which numba decides from the argument's type
    when it is None, so each design's compilation leaves out the other's code. Decisions
    come from :func:`decide12`, the selection is BOIN12's on the complete data, and the
    duration runs to the end of the last patient's longer window.
    """
    n[:] = 0
    y[:] = 0
    ae[:] = 0
    nd[:] = 0
    eff = ne.shape[0] > 0
    if eff:
        ne[:] = 0
    if eb is not None:
        nb[:] = 0
    W = tm[1]
    WE = tm[11]
    drop = tm[7] > 0.0
    dropped = 0
    queue = tm[6] != 0.0
    tk = trial_key(key, t)
    cur = ipar[0]
    cohort = ipar[1]
    total = 0
    j = 0
    arrival = gap(tm, key, t, 0)  # the trial opens at 0; the first patient arrives one gap later (titesim)
    now = 0.0
    waited = 0.0
    turned = 0
    since = 0
    reason = CONTINUE
    tnow = 0.0
    while total < max_n:
        tnow = arrival if arrival > now else now
        if total > 0 and since == 0:
            while True:
                if drop:
                    for i in range(total):
                        e = pe[i]
                        if e + pdo[i] <= tnow:  # dropped out before the outcome
                            ptox[i] = 0
                            pfu[i] = pdo[i]
                            pcen[i] = 1
                            continue
                        pcen[i] = 0
                        if pdlt[i] != 0 and e + pon[i] <= tnow:
                            ptox[i] = 1
                            pfu[i] = pon[i]
                        else:
                            ptox[i] = 0
                            pfu[i] = W if tnow >= e + W else tnow - e
                else:  # the hot loop without drop-out (pcen stays 0)
                    for i in range(total):
                        e = pe[i]
                        if pdlt[i] != 0 and e + pon[i] <= tnow:
                            ptox[i] = 1
                            pfu[i] = pon[i]
                        else:
                            ptox[i] = 0
                            pfu[i] = W if tnow >= e + W else tnow - e
                nxt = cur
                susp = False
                if eb is not None:  # TITE-BOIN12
                    for i in range(total):
                        e = pe[i]
                        if peff[i] != 0 and e + peon[i] <= tnow:
                            pres[i] = 1
                            pefu[i] = peon[i]
                        else:
                            pres[i] = 0
                            pefu[i] = WE if tnow >= e + WE else tnow - e
                    nxt, reason, susp = decide12(ipar, fpar, tab, rules, safety_tab, W, WE, pd, ptox, pfu, pres, pefu,
                                                 total, cur, ns, ys, eb[0], eb[1], eb[2], eb[3], sf[0], sf[1], sf[2])
                if iwork is not None:  # TITE-CRM, which never suspends accrual
                    nxt, reason = _crm_next(ipar, fpar, tab, rules, safety_tab, W, pd, ptox, pfu, pcen, total, cur, ns,
                                            ys, ms, mcs, stft, iwork, work)
                if reason != CONTINUE or not susp:
                    break
                if queue:  # wait for the next outcome or completed window
                    tnow = _next_event12(W, WE, pe, pdlt, pon, ptox, pfu, peff, peon, pres, pefu, total)
                else:  # this patient is turned away; decide again at the next arrival
                    if j > MAX_EVENTS:
                        return -1, TOO_LONG, tnow, waited, turned
                    turned += 1
                    j += 1
                    arrival += gap_tk(tm, tk, j)
                    tnow = arrival if arrival > now else now
            if reason != CONTINUE:
                break
            cur = nxt
        waited += tnow - arrival
        u = draw(tk, total, STREAM_TOLERANCE)
        dlt = u < p_tox[cur]
        if dlt:
            if tm[4] == 2.0:
                pon[total] = onset_late(tm, tk, total, late[0, cur], late[1, cur], late[2, cur])
            else:
                pon[total] = onset(tm, key, t, total, p_tox[cur])
        pdo[total] = np.inf
        if drop:
            g = dropout(tm, key, t, total)
            if g < (pon[total] if dlt else W):  # a drop-out after the outcome changes nothing
                pdo[total] = g
        if pdo[total] < np.inf:
            nd[cur] += 1
            dropped += 1
        else:
            if dlt:
                y[cur] += 1
            elif u < p_ae_cum[cur]:
                ae[cur] += 1
            n[cur] += 1
            if eff and draw(tk, total, STREAM_EFFICACY) < (p_eff_t[cur] if dlt else p_eff_n[cur]):
                ne[cur] += 1
                if eb is not None:
                    peff[total] = 1
                    marg = p_tox[cur] * p_eff_t[cur] + (1.0 - p_tox[cur]) * p_eff_n[cur]
                    peon[total] = eff_onset(tm, tk, total, marg)
                    if dlt:
                        nb[cur] += 1
            elif eb is not None:
                peff[total] = 0
        pd[total] = cur
        pe[total] = tnow
        pdlt[total] = 1 if dlt else 0
        pcen[total] = 0
        total += 1
        since += 1
        if since == cohort:
            since = 0
        now = tnow
        j += 1
        arrival += gap_tk(tm, tk, j)
    if reason == CONTINUE:
        reason = MAX_N
    if reason >= SAFETY:
        return -1, reason, tnow, waited, turned
    if eb is not None:  # on the complete data, after the last patient's longer window
        end = pe[total - 1] + max(W, WE)
        if reason == MAX_N:  # BOIN12 decides after the last cohort too: no admissible dose stops it
            for i in range(total):
                ptox[i] = pdlt[i]
                pfu[i] = pon[i] if pdlt[i] != 0 else W
                pres[i] = peff[i]
                pefu[i] = peon[i] if peff[i] != 0 else WE
            nxt, rs, susp = decide12(ipar, fpar, tab, rules, safety_tab, W, WE, pd, ptox, pfu, pres, pefu, total, cur,
                                     ns, ys, eb[0], eb[1], eb[2], eb[3], sf[0], sf[1], sf[2])
            if rs >= SAFETY:
                return -1, rs, end, waited, turned
        sel = _rules.restrict_selection(rules, n, _b12.select(ipar, fpar, tab, n, y, ne, nb, work))
        return sel, reason, end, waited, turned
    sel = -1
    if iwork is not None and dropped > 0:
        # TITE-CRM's final model on the complete data: drop-outs keep their frozen weights
        for i in range(total):
            pcen[i] = 0
            if pdo[i] < np.inf:
                ptox[i] = 0
                pfu[i] = pdo[i]
            elif pdlt[i] != 0:
                ptox[i] = 1
                pfu[i] = pon[i]
            else:
                ptox[i] = 0
                pfu[i] = W
        sel = _crm_current(ipar, fpar, tab, W, pd, ptox, pfu, total, n.shape[0], iwork, work)
    elif iwork is not None:
        sel = _crm_final(ipar, fpar, tab, n, y, iwork, work, pd.shape[0])
    sel = _rules.restrict_selection(rules, n, sel)
    return sel, reason, pe[total - 1] + W, waited, turned


# TITE-BOIN simulator: what settles a patient's outcome, and when (``_boin_rows``)
K_COMPLETE = 0  # the window completes without a DLT at enrolment + window
K_DLT = 1  # the DLT is seen at enrolment + onset
K_DROP = 2  # drops out (before the outcome) at enrolment + drop-out time: censored from then on
K_CENSORED = 3  # dropped out: pending for good, with follow-up frozen at the drop-out


#: arrival gaps computed at a time, ahead of use, by the TITE-BOIN simulator (:func:`_gaps_ahead`)
#: (Blocks of 8 would compute 3.9 fewer of them a trial on bench_peers' tite-boin setting, where a
#: trial needs 51 on average -- 36 enrolled, 15 turned away -- at 9.9 ns a gap and 2.7 us a trial;
#: in-process alternated runs against blocks of 16 gave 0.978, 0.982 and 1.012 of their time in
#: three series of 60-200 pairs, quartiles about +-5%: no measurable gain, not changed.)
GAP_BLOCK = 16
#: TITE-BOIN's DLT times (:func:`_boin_rows`): the onset time is an increasing function of its draw
#: v (:func:`~.timing.onset_v`), so the times at v = b / ONSET_BINS, b = 0 .. ONSET_BINS, computed
#: once per dose and scenario, bound a patient's time from the bin of v; the time itself (a pow and
#: a logarithm) is computed only when the clock falls between the bounds. ONSET_SLACK widens each
#: bound by far more than the computed functions' rounding (a few units in the last place), so the
#: bounds hold for the computed times, not only for the exact ones.
ONSET_BINS = 128
ONSET_SLACK = 1e-9


@jit(inline=True)
def _gaps_ahead(gb, gn, accrual, rate, tk):
    """Gaps ``gn + 1 .. gn + GAP_BLOCK`` of a trial into the ring ``gb`` (64 slots, gap j at
    ``j & 63``), by :func:`~.timing.gap_s`: the same values as one at a time. Computed in a block,
    the independent logarithms overlap; one at a time, each arrival waited for its own (and the
    branch on the arrival time for it): measured +8% trials per second on bench_peers' tite-boin
    setting (blocks of 8: +6%, 32: +6%; the unused gaps at the end of a trial cost the rest, and
    none is computed after the last patient: 58.4 -> 57.2 gaps computed a trial)."""
    for q in range(1, GAP_BLOCK + 1):
        gb[(gn + q) & 63] = gap_s(accrual, rate, tk, gn + q)
    return gn + GAP_BLOCK


@jit(inline=True)
def _lazy_onsets(tm):
    """Whether :func:`_boin_rows` bounds DLT times from :func:`_onset_bounds` and computes them only
    when needed: where accrual is turned away while suspended (in a queue, event times become the
    clock), with no drop-outs (their times are compared with the DLT time at enrolment), and for
    the onset models that need a pow (uniform onset is one multiplication)."""
    return tm[6] == 0.0 and not tm[7] > 0.0 and (tm[4] == 1.0 or tm[4] == 2.0)


@jit
def _onset_bounds(tm, p_tox, sc0, sc1):
    """``xt[s, 0, d, b]`` and ``xt[s, 1, d, b]``: lower and upper bounds on the DLT time at dose ``d``
    of scenario ``sc0 + s`` (``s`` up to ``sc1 - sc0``) for the onset draw ``v = b / ONSET_BINS``
    (:func:`~.timing.onset_v`, increasing in ``v``), so that a draw in bin ``b`` has its time in
    ``[xt[s, 0, d, b], xt[s, 1, d, b + 1]]``. Empty unless :func:`_lazy_onsets`."""
    D = p_tox.shape[1]
    if not _lazy_onsets(tm):
        return np.zeros((0, 2, D, ONSET_BINS + 1))
    xt = np.zeros((sc1 - sc0 + 1, 2, D, ONSET_BINS + 1))
    for s in range(sc1 - sc0 + 1):
        for d in range(D):
            q, a, inv_k = 0.0, 1.0, 1.0
            if tm[4] == 2.0:
                q, a, k = late_shape(tm, p_tox[sc0 + s, d])
                inv_k = 1.0 / k
            for b in range(ONSET_BINS + 1):
                x = onset_v(tm[4], tm[1], tm[5], b / ONSET_BINS, q, a, inv_k)
                xt[s, 0, d, b] = x * (1.0 - ONSET_SLACK)
                xt[s, 1, d, b] = x * (1.0 + ONSET_SLACK)
    return xt


@jit
def _boin_rows(ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys, per_scenario, trial0,
               max_n, r0, r1, sel, reason, n_pat, n_dlt, n_ae, n_drop, n_eff, duration, waited, turned_away, work, xt):
    """TITE-BOIN trials: rows ``r0 .. r1 - 1`` of :func:`run_batch_boin`, organised around events
    instead of rescans: the records of the general loop TITE-BOIN once ran in (:func:`run_trial`'s
    former TITE-BOIN branch) to the last bit (tests/test_tite_boin_loop.py).

    :func:`run_trial` fills in every unsettled patient's data and recounts them at every
    decision. Here each patient's outcome is settled by one event at a time fixed at enrolment
    (``pev``: enrolment + DLT onset, + window, or + drop-out, the sums the general loop
    compares with the clock); per-dose counts of patients, observed DLTs, pending and censored
    patients are kept up to date, and the pending patients (``pd``, ``pe``, ... in order of
    enrolment, the settled removed) are revisited only when the clock passes the earliest pending
    event (``nt``). Which doses the counts eliminate is kept as bits (``em``), updated where the
    counts change: at a DLT, and at each decision for the current dose, where everyone enrolled
    since the last decision went. With turned-away accrual (:func:`_lazy_onsets`), a DLT time is
    only bounded at enrolment, from its draw's bin in a table (:func:`_onset_bounds`), and computed
    when the clock first falls between the bounds (about 2 of 100 DLTs in bench_peers' setting):
    there event times are only ever compared with the clock, and where a lower bound stops the
    turned-away arrivals too early, the decision taken again then is the same suspension (only a
    DLT or an event at the current dose can lift it, and none has happened).
    At a decision only the current dose's standardized follow-up is summed, over its pending
    patients in order of enrolment, as :func:`_counts` sums it; the decision itself is
    :func:`_boin_core`, the one live use runs. Everything a trial touches is a scalar or an
    array of this function, and the per-event code calls only inlined helpers on scalars (or
    on an array of this function): numba counts the references of arrays passed to functions,
    and those atomic operations were a quarter of the general loop's time. Each random number
    is drawn and transformed by the expressions of :mod:`.timing`, so the same times result;
    arrival gaps are computed a block ahead (:func:`_gaps_ahead`), and the patients' tolerance draws
    at the start of each trial (``tu``: the hashes leave the enrolment's path to the DLT branch,
    0.970 of the time, 100 pairs, quartiles 0.938-1.008; the onset draws too: 0.981, not kept).

    Measured on bench_peers' tite-boin setting (one thread, trials per CPU second, interleaved
    in one process): the general loop 210k; this loop 355-375k; skipping to the first event
    that can lift a suspension, a few % more (within the noise); gaps a block ahead +8%. Later,
    the kernel alone, 10 interleaved rounds against the former loop (a copy of it in the same
    process): elimination bits +5%; the pending patients' fields in list order instead of
    indexed through the list (no dependent load per visit) +4%; DLT times bounded and computed
    when needed +12% (9.75 pow and log1p a trial -> 0.2): 440k -> 540k, records unchanged.
    Tried and not kept (no gain beyond the +-3% noise): a table of final selections keyed by
    the counts, branch-free settling and follow-up sums (-8%), the follow-up sum only when the
    decision reads it, an integer copy of the decision table, a select for the next event,
    gap blocks sized to the patients still to enrol (no gain), the enrolment without a branch on
    the DLT (-3%).
    """
    D = n_pat.shape[1]
    cap = max(max_n, 1)
    # The pending patients, in order of enrolment (the first npl entries; settled ones are removed):
    pd = np.zeros(cap, dtype=np.int64)  # dose
    pe = np.zeros(cap)  # enrolment time
    px = np.zeros(cap)  # time from enrolment to the settling event
    pev = np.zeros(cap)  # enrolment + px
    pk = np.zeros(cap, dtype=np.int64)  # K_* kind of the event
    pub = np.zeros(cap)  # pev's upper bound, pev its lower bound until the DLT time is computed (lazy)
    pv = np.zeros(cap)  # onset draw of a DLT patient whose time is not computed yet (lazy)
    nn = np.zeros(D, dtype=np.int64)  # patients per dose (drop-outs included)
    yy = np.zeros(D, dtype=np.int64)  # DLTs observed
    mm = np.zeros(D, dtype=np.int64)  # pending (censored included)
    mc = np.zeros(D, dtype=np.int64)  # censored
    lq = np.zeros(D)  # "late" onset constants per dose (timing.late_shape): q, a, 1 / k
    la = np.zeros(D)
    lk = np.zeros(D)
    tn = np.zeros(D, dtype=np.int64)  # the trial's counts, stored in the records at its end (records.store)
    ty = np.zeros(D, dtype=np.int64)
    tae = np.zeros(D, dtype=np.int64)
    tdr = np.zeros(D, dtype=np.int64)
    tef = np.zeros(D, dtype=np.int64)
    W = tm[1]
    accrual = tm[2]  # 0 fixed, 1 Poisson, 2 uniform gaps
    rate = tm[3]
    om = tm[4]
    wshape = tm[5]
    queue = tm[6] != 0.0
    hz = tm[7]
    drop = hz > 0.0
    start = ipar[0]
    cohort = ipar[1]
    T = ipar[_iv.I_TABLE_N]
    extrasafe = ipar[_iv.I_EXTRASAFE] != 0
    earlystop = ipar[_iv.I_EARLYSTOP]
    target = fpar[_iv.F_TARGET]
    lam_e = fpar[F_LAMBDA_E]
    lam_d = fpar[_iv.F_LAMBDA_D]
    susp_f = fpar[F_SUSPEND]
    prior_a = fpar[F_PRIOR_A]
    ess = fpar[F_ESTIMATE] != 0.0
    use_rules = rules[0] != 0 or rules[1] != 0 or rules[3] != 0
    eff = n_eff.shape[1] > 0
    gb = np.zeros(64)  # arrival gaps 1, 2, ... of the trial (_gaps_ahead)
    tu = np.zeros(cap)  # the trial's tolerance draws, patient i's at i (drawn ahead)
    one = np.int64(1)
    lazy = _lazy_onsets(tm)  # DLT times bounded from xt, computed only when the clock needs them
    sc0 = trial0 // per_scenario  # xt[sc - sc0]: scenario sc's bounds (_onset_bounds)
    last = -1
    for r in range(r0, r1):
        g = trial0 + r
        sc = g // per_scenario
        t = g - sc * per_scenario
        if om == 2.0 and sc != last:
            for d in range(D):
                q, a, k = late_shape(tm, p_tox[sc, d])
                lq[d] = q
                la[d] = a
                lk[d] = 1.0 / k
            last = sc
        key = keys[sc]
        tk = trial_key(key, t)
        for i in range(max_n):
            tu[i] = draw(tk, i, STREAM_TOLERANCE)
        for d in range(D):
            tn[d] = 0
            ty[d] = 0
            tae[d] = 0
            tdr[d] = 0
            tef[d] = 0
            nn[d] = 0
            yy[d] = 0
            mm[d] = 0
            mc[d] = 0
        cur = start
        total = 0
        j = 0
        arrival = gap(tm, key, t, 0)
        now = 0.0
        wt = 0.0
        turned = 0
        since = 0
        rs = CONTINUE
        tnow = 0.0
        npl = 0
        gn = 0  # gaps computed so far
        nt = np.inf  # earliest event of a pending, uncensored patient
        em = np.int64(0)  # bit d: dose d eliminated by its counts (nn, yy), kept up to date
        too_long = False
        while total < max_n:
            tnow = arrival if arrival > now else now
            if total > 0 and since == 0:
                nxt = cur
                while True:
                    if tnow >= nt:  # settle what happened by now; the list keeps its order
                        k = 0
                        nt = np.inf
                        for qi in range(npl):
                            kind = pk[qi]
                            if kind != K_CENSORED:
                                ev = pev[qi]
                                if ev <= tnow and pub[qi] > tnow:  # bounds undecided: the DLT's time
                                    d = pd[qi]
                                    ev = pe[qi] + onset_v(om, W, wshape, pv[qi], lq[d], la[d], lk[d])
                                    pev[qi] = ev
                                    pub[qi] = ev
                                if ev <= tnow:
                                    d = pd[qi]
                                    if kind == K_DLT:
                                        yy[d] += 1
                                        mm[d] -= 1
                                        if nn[d] >= 3 and (_entry_at(T, tab, nn[d], yy[d]) & _iv.ELIM):
                                            em |= one << d
                                        else:
                                            em &= ~(one << d)
                                        continue
                                    if kind == K_COMPLETE:
                                        mm[d] -= 1
                                        continue
                                    kind = K_CENSORED
                                    mc[d] += 1
                                elif ev < nt:
                                    nt = ev
                            if k < qi:
                                pd[k] = pd[qi]
                                pe[k] = pe[qi]
                                px[k] = px[qi]
                                pev[k] = pev[qi]
                                pub[k] = pub[qi]
                                pv[k] = pv[qi]
                            pk[k] = kind
                            k += 1
                        npl = k
                    # Patients enrolled since the last decision were all at cur; DLTs settled
                    # above updated their doses' bits: em now holds every dose's elimination.
                    nc = nn[cur]
                    ccur = _entry_at(T, tab, nc, yy[cur])
                    if nc >= 3 and (ccur & _iv.ELIM):
                        em |= one << cur
                    else:
                        em &= ~(one << cur)
                    lo = D
                    if em != 0:
                        lo = 0
                        while not (em >> lo) & 1:
                            lo += 1
                    mcur = mm[cur]
                    scur = 0.0
                    if mcur > 0:
                        for qi in range(npl):
                            if pd[qi] == cur:
                                if pk[qi] == K_CENSORED:
                                    scur += px[qi] / W
                                else:
                                    scur += (tnow - pe[qi]) / W
                    nxt, rs, susp = _boin_core(lo, ccur, nc, yy[cur], mcur, mc[cur], scur,
                                               cur, D, target, lam_e, lam_d, susp_f, prior_a, ess, extrasafe,
                                               earlystop)
                    if not susp and rs == CONTINUE and use_rules:
                        nxt, c, rs = _rules.apply(rules, safety_tab, nn, yy, cur, nxt, 1, rs)
                    if rs != CONTINUE or not susp:
                        break
                    # Until when the decision is certain to stay the same. The main suspension
                    # (more than susp_f of the patients at cur pending, not counting the censored)
                    # is reached through counts alone: those at cur, and the observed DLTs at every
                    # dose (elimination). Only a DLT seen anywhere or an event at cur can lift it;
                    # deciding again at the other events (as the general loop did) finds it standing.
                    # Any other suspension may lift as follow-up grows: decided again at the next
                    # event (queue) or arrival (turn away).
                    if mcur - mc[cur] > susp_f * nc:
                        until = np.inf
                        for qi in range(npl):
                            kind = pk[qi]
                            if kind != K_CENSORED and (kind == K_DLT or pd[qi] == cur) and pev[qi] < until:
                                until = pev[qi]
                    else:
                        until = nt if queue else -np.inf
                    if queue:  # wait for the next DLT, completed window or drop-out that may change it
                        tnow = until
                    else:  # turned away, and the arrivals until then
                        while True:
                            if j > MAX_EVENTS:
                                too_long = True
                                break
                            turned += 1
                            j += 1
                            if j > gn:
                                gn = _gaps_ahead(gb, gn, accrual, rate, tk)
                            arrival += gb[j & 63]
                            tnow = arrival if arrival > now else now
                            if not tnow < until:
                                break
                        if too_long:
                            break
                if too_long or rs != CONTINUE:
                    break
                cur = nxt
            wt += tnow - arrival
            u = tu[total]
            dlt = u < p_tox[sc, cur]
            kind = K_COMPLETE
            x = W
            ev = tnow + W
            evu = ev
            if dlt:
                kind = K_DLT
                v = draw(tk, total, STREAM_ONSET)
                if lazy:  # the time's bounds, from the onset draw's bin
                    b = np.int64(v * ONSET_BINS)
                    ev = tnow + xt[sc - sc0, 0, cur, b]
                    evu = tnow + xt[sc - sc0, 1, cur, b + 1]
                    pv[npl] = v
                else:
                    x = onset_v(om, W, wshape, v, lq[cur], la[cur], lk[cur])
                    ev = tnow + x
                    evu = ev
            if drop:
                gd = dropout_s(hz, tk, total)
                if gd < x:  # a drop-out after the outcome changes nothing
                    kind = K_DROP
                    x = gd
                    ev = tnow + x
                    evu = ev
            if kind == K_DROP:
                tdr[cur] += 1
            else:
                if dlt:
                    ty[cur] += 1
                elif u < p_ae_cum[sc, cur]:
                    tae[cur] += 1
                tn[cur] += 1
                if eff and draw(tk, total, STREAM_EFFICACY) < (p_eff_t[sc, cur] if dlt else p_eff_n[sc, cur]):
                    tef[cur] += 1
            pd[npl] = cur
            pe[npl] = tnow
            px[npl] = x
            pk[npl] = kind
            pev[npl] = ev
            pub[npl] = evu
            if ev < nt:
                nt = ev
            npl += 1
            nn[cur] += 1
            mm[cur] += 1
            total += 1
            since += 1
            if since == cohort:
                since = 0
            now = tnow
            if total < max_n:  # the next arrival: none after the last patient (its gap unused)
                j += 1
                if j > gn:
                    gn = _gaps_ahead(gb, gn, accrual, rate, tk)
                arrival += gb[j & 63]
        store(n_pat, r, tn)
        store(n_dlt, r, ty)
        store(n_ae, r, tae)
        store(n_drop, r, tdr)
        store(n_eff, r, tef)
        waited[r] = wt
        turned_away[r] = turned
        if too_long:
            sel[r] = -1
            reason[r] = TOO_LONG
            duration[r] = tnow
            continue
        if rs == CONTINUE:
            rs = MAX_N
        reason[r] = rs
        if rs >= SAFETY:
            sel[r] = -1
            duration[r] = tnow
            continue
        sel[r] = _rules.restrict_selection(rules, tn, _iv.select(ipar, fpar, tab, tn, ty, work))
        duration[r] = now + W


@jit(parallel=True)
def run_batch_boin(code, ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys,
                   per_scenario, trial0, max_n, n_aux, n_work, sel, reason, n_pat, n_dlt, n_ae, n_drop, n_eff,
                   duration, waited, turned_away, scratch):
    """:func:`run_batch` for TITE-BOIN (``code`` is TITE_BOIN), through :func:`_boin_rows`. A kernel
    of its own, so that a TITE-BOIN run does not compile the general loop, nor a TITE-CRM or
    TITE-BOIN12 run this one."""
    n_rows = sel.shape[0]
    n_chunks = (n_rows + CHUNK - 1) // CHUNK
    xt = _onset_bounds(tm, p_tox, trial0 // per_scenario, (trial0 + max(n_rows, 1) - 1) // per_scenario)
    for ch in prange(n_chunks):
        lo = ch * CHUNK
        _boin_rows(ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys, per_scenario,
                   trial0, max_n, lo, min(n_rows, lo + CHUNK), sel, reason, n_pat, n_dlt, n_ae, n_drop, n_eff,
                   duration, waited, turned_away, scratch[get_thread_id()], xt)


@jit
def _general_rows(ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys, per_scenario,
                  trial0, max_n, lo, hi, sel, reason, n_pat, n_dlt, n_ae, n_drop, n_eff, duration, waited,
                  turned_away, work, iwork, eb):
    """Rows ``lo .. hi - 1`` through :func:`run_trial`, with its per-trial arrays. TITE-CRM passes its
    integer scratch ``iwork`` and ``eb`` None, TITE-BOIN12 its (4, D) scratch ``eb`` and ``iwork``
    None, so that each design compiles only its own branches of :func:`run_trial`."""
    D = n_pat.shape[1]
    cap = max(max_n, 1)
    pd = np.zeros(cap, dtype=np.int64)
    pe = np.zeros(cap)
    pdlt = np.zeros(cap, dtype=np.int8)
    pon = np.zeros(cap)
    pdo = np.zeros(cap)
    ptox = np.zeros(cap, dtype=np.int8)
    pfu = np.zeros(cap)
    pcen = np.zeros(cap, dtype=np.int8)
    ns = np.zeros(D, dtype=np.int64)
    ys = np.zeros(D, dtype=np.int64)
    ms = np.zeros(D, dtype=np.int64)
    mcs = np.zeros(D, dtype=np.int64)
    stft = np.zeros(D)
    late = np.zeros((3, D))
    peff = np.zeros(cap, dtype=np.int8)
    peon = np.zeros(cap)
    pres = np.zeros(cap, dtype=np.int8)
    pefu = np.zeros(cap)
    nb = np.zeros(D, dtype=np.int64)
    sf = np.zeros((3, D))
    tn = np.zeros(D, dtype=np.int64)  # the trial's counts, stored in the records at its end (records.store)
    ty = np.zeros(D, dtype=np.int64)
    tae = np.zeros(D, dtype=np.int64)
    tdr = np.zeros(D, dtype=np.int64)
    tef = np.zeros(n_eff.shape[1], dtype=np.int64)
    last = -1
    for r in range(lo, hi):
        g = trial0 + r
        sc = g // per_scenario
        if tm[4] == 2.0 and sc != last:  # the late-onset constants of this scenario's doses
            for d in range(D):
                late[0, d], late[1, d], late[2, d] = late_shape(tm, p_tox[sc, d])
            last = sc
        s, rs, d, w, a = run_trial(ipar, fpar, tab, rules, safety_tab, tm, p_tox[sc], p_ae_cum[sc],
                                   p_eff_t[sc], p_eff_n[sc], keys[sc], g - sc * per_scenario, max_n, tn, ty, tae,
                                   tdr, tef, pd, pe, pdlt, pon, pdo, ptox, pfu, pcen, ns, ys, ms, mcs, stft, iwork,
                                   work, late, peff, peon, pres, pefu, nb, eb, sf)
        store(n_pat, r, tn)
        store(n_dlt, r, ty)
        store(n_ae, r, tae)
        store(n_drop, r, tdr)
        store(n_eff, r, tef)
        sel[r] = s
        reason[r] = rs
        duration[r] = d
        waited[r] = w
        turned_away[r] = a


@jit(parallel=True)
def run_batch(code, ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys, per_scenario,
              trial0, max_n, n_aux, n_work, sel, reason, n_pat, n_dlt, n_ae, n_drop, n_eff, duration, waited,
              turned_away, scratch):
    """Rows ``trial0 .. trial0 + len(sel) - 1`` of ``per_scenario`` trials under each scenario
    (the signature, outputs and per-thread ``scratch`` of ``trial.run_batch``; ``n_aux`` is unused)
    for TITE-CRM, through :func:`run_trial` (TITE-BOIN: :func:`run_batch_boin`; TITE-BOIN12:
    :func:`run_batch12`)."""
    n_rows = sel.shape[0]
    n_chunks = (n_rows + CHUNK - 1) // CHUNK
    for ch in prange(n_chunks):
        lo = ch * CHUNK
        _general_rows(ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys,
                      per_scenario, trial0, max_n, lo, min(n_rows, lo + CHUNK), sel, reason, n_pat, n_dlt, n_ae,
                      n_drop, n_eff, duration, waited, turned_away, scratch[get_thread_id()],
                      np.zeros(3 * n_pat.shape[1] + 2, dtype=np.int64), None)


@jit(parallel=True)
def run_batch12(code, ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys, per_scenario,
                trial0, max_n, n_aux, n_work, sel, reason, n_pat, n_dlt, n_ae, n_drop, n_eff, duration, waited,
                turned_away, scratch):
    """:func:`run_batch` for TITE-BOIN12."""
    n_rows = sel.shape[0]
    D = n_pat.shape[1]
    n_chunks = (n_rows + CHUNK - 1) // CHUNK
    for ch in prange(n_chunks):
        lo = ch * CHUNK
        _general_rows(ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys,
                      per_scenario, trial0, max_n, lo, min(n_rows, lo + CHUNK), sel, reason, n_pat, n_dlt, n_ae,
                      n_drop, n_eff, duration, waited, turned_away, scratch[get_thread_id()], None,
                      np.zeros((4, D), dtype=np.int64))


@jit
def live(code, ipar, fpar, tab, rules, safety_tab, window, pd, ptox, pfu, pcen, npat, cur, max_n, n_work, n_doses,
         est):
    """One live recommendation through :func:`decide` (``pcen``: 1 for a patient censored by a
    drop-out, ``pfu`` then their follow-up at the drop-out).

    Returns (next dose, reason, suspended, selected now, beta) and fills ``est``.
    """
    D = n_doses
    ns = np.zeros(D, dtype=np.int64)
    ys = np.zeros(D, dtype=np.int64)
    ms = np.zeros(D, dtype=np.int64)
    mcs = np.zeros(D, dtype=np.int64)
    stft = np.zeros(D)
    iwork = np.zeros(3 * D + 2, dtype=np.int64)
    work = np.zeros(max(n_work, 1))
    if npat == 0:
        nxt, reason, susp = ipar[0], CONTINUE, False
    else:
        nxt, reason, susp = decide(code, ipar, fpar, tab, rules, safety_tab, window, pd, ptox, pfu, pcen, npat, cur,
                                   ns, ys, ms, mcs, stft, iwork, work)
    if reason == CONTINUE and npat >= max_n:
        reason = MAX_N
    if npat == 0:
        for d in range(D):
            est[d] = np.nan
        beta = np.nan
        sel = -1
    else:
        beta = estimates(code, ipar, fpar, tab, window, pd, ptox, pfu, npat, ns, ys, ms, stft, iwork, work, est)
        sel = -1 if reason >= SAFETY else _rules.restrict_selection(rules, ns, current_select(
            code, ipar, fpar, tab, window, pd, ptox, pfu, npat, ns, ys, ms, iwork, work))
    return nxt, reason, susp, sel, beta
