"""Backfill cohorts (BF-BOIN; Zhao, Yuan, Korn & Freidlin 2024): the arrival-driven trial loop.

Unlike the cohort loop of :mod:`.trial`, who is treated depends on *when* patients arrive, so
this loop is driven by arrivals (the time model's gaps), as R bfboin's ``sim.one.trial`` is.
Each arrival, in order:

1. if the current escalation cohort has a free slot, the patient joins it at the current dose;
2. else, if every patient of the cohort has had a DLT or completed the window, the design
   decides (below) and the patient is the first of the next cohort;
3. else, if a dose below the current one is open for backfill, the patient is backfilled at the
   highest open dose;
4. else the patient is turned away.

A dose ``b`` below the current dose is open for backfill when (R bfboin's four conditions): a
response was seen there (the first response is known ``window`` after the responder's
enrolment); it has at most ``cap`` patients enrolled (escalation + backfill, pending included;
bfboin's ``<=``, so a dose may end with ``cap + 1``); and it is safe: the DLT count of the
patients whose outcome is known is below the
BOIN de-escalation boundary, either at ``b`` alone or pooled with the next dose up (the
current cohort's known outcomes included), and every open dose below it is safe too.

The decision after an escalation cohort uses, at every dose up to the current one, the
escalation patients plus the backfill patients whose outcome is known at the decision time (the
arrival that triggers it). Each dose gets BOIN's classification (escalate / eliminate /
de-escalate / stay). Without a conflict (every lower dose would escalate, or stay) the current
dose's classification is carried out as in BOIN. With a conflict, the data from the highest
conflicting lower dose ``b*`` up to the current dose are pooled: escalate if the pooled rate
is at or below lambda_e; de-escalate to the highest dose ``k`` in ``b*..d`` whose cumulative
pooled data from ``b*`` are below the de-escalation boundary (``b* - 1`` if none, stopping
for safety below dose 1 if dose 1's data meet the elimination boundary) if it is at or above
lambda_d; else stay. Elimination of the current dose and ``n_earlystop`` (on every patient
known at the dose) act as in BOIN.

The escalation ends when the design stops or ``max_n`` escalation patients have been treated
(backfill patients come on top). With ``end_with_escalation`` no one is backfilled after that;
otherwise arrivals are still backfilled (same rules, below the last escalation dose) until the
first one who finds no open dose. The final analysis (selection and records) then either waits
for every backfill patient's outcome (``wait``; the duration runs to the last outcome), or
counts only the backfill patients whose outcome is known when the last escalation cohort
completes (R bfboin 0.1.1). Selection is R BOIN ``select.mtd``'s on the final counts.

``ipar`` is the interval kernel's (:mod:`.interval`) plus ``cap``, ``end_with_escalation``,
``stay_at_1_of_3`` and ``wait``; ``tab`` is BOIN's action table without the stay-at-1-of-3 change (it
applies at the current dose only, as in bfboin), large enough for pooled counts.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import jit
from . import blrm as _blrm
from . import crm as _crm
from . import interval as _iv
from . import threep3 as _t3
from .codes import BF_3P3, BF_BLRM, BF_BOIN, BF_CRM, CONTINUE, MAX_EVENTS, MAX_N, RULE, SAFETY, TOO_LONG
from .records import store
from .rng import STREAM_EFFICACY, STREAM_TOLERANCE, draw, trial_key
from .timing import gap, onset

# The backfill options are the last N_BF entries of ``ipar``, after the escalation design's own
# parameters (for BF-BOIN at the indices below; for the other designs at the same offsets from the end).
N_BF = 4
B_CAP = 0
B_END_WITH_ESC = 1
B_STAY13 = 2
B_WAIT = 3
I_CAP = _iv.N_IPAR + B_CAP
I_END_WITH_ESC = _iv.N_IPAR + B_END_WITH_ESC
I_STAY13 = _iv.N_IPAR + B_STAY13
I_WAIT = _iv.N_IPAR + B_WAIT
N_IPAR = _iv.N_IPAR + N_BF

# per-dose classification (bfboin's "escalate", "eliminate", "deescalate", "stay")
C_ESC = 0
C_ELIM = 1
C_DEESC = 2
C_STAY = 3

# per-patient flags
F_DLT = 1
F_EFF = 2
F_AE = 4

CHUNK = 256


@jit(inline=True)
def _code(ipar, tab, n, y):
    """BOIN's table entry at (max(1, n), y): no patients classify as 'escalate', as in bfboin."""
    if n < 1:
        n = 1
    return _iv._entry(ipar, tab, n, y)


@jit
def _classify(ipar, tab, n, y):
    c = _code(ipar, tab, n, y)
    a = c & _iv.ACTION_MASK
    if a == _iv.ESCALATE:
        return C_ESC
    if c & _iv.ELIM:
        return C_ELIM
    if a == _iv.DEESCALATE:
        return C_DEESC
    return C_STAY


@jit
def _stay(ipar, ntot, cur):
    es = ipar[_iv.I_EARLYSTOP]
    if es > 0 and ntot[cur] >= es:
        return cur, RULE
    return cur, CONTINUE


@jit
def _up(ipar, ntot, cur, elim_lo, n_doses):
    if cur < n_doses - 1 and elim_lo > cur + 1:
        return cur + 1, CONTINUE
    return _stay(ipar, ntot, cur)


@jit
def _pooled(ipar, tab, ntot, ytot, bstar, cur, elim_lo, n_doses):
    """The conflict rule: pool doses ``bstar..cur``."""
    yp = 0
    np_ = 0
    for k in range(bstar, cur + 1):
        yp += ytot[k]
        np_ += ntot[k]
    a = _code(ipar, tab, np_, yp) & _iv.ACTION_MASK
    if a == _iv.ESCALATE:
        return _up(ipar, ntot, cur, elim_lo, n_doses)
    if a == _iv.DEESCALATE:
        last = -1
        cy = 0
        cn = 0
        for k in range(bstar, cur + 1):
            cy += ytot[k]
            cn += ntot[k]
            if (_code(ipar, tab, cn, cy) & _iv.ACTION_MASK) != _iv.DEESCALATE:
                last = k
        if last < 0:
            nxt = bstar - 1
            if nxt < 0:
                if ntot[0] >= 3 and (_code(ipar, tab, ntot[0], ytot[0]) & _iv.ELIM):
                    return -1, SAFETY
                nxt = 0
            return nxt, CONTINUE
        if last == cur:
            return _stay(ipar, ntot, cur)
        return last, CONTINUE
    return _stay(ipar, ntot, cur)


@jit
def decide(ipar, tab, ntot, ytot, dec, cur, elim_lo):
    """BF-BOIN's decision after an escalation cohort at ``cur`` (0-based) given the counts
    ``ntot``/``ytot`` known at every dose. Returns (next dose, reason, lowest eliminated dose)."""
    n_doses = ntot.shape[0]
    for b in range(cur + 1):
        dec[b] = _classify(ipar, tab, ntot[b], ytot[b])
    if ipar[I_STAY13] != 0 and ntot[cur] == 3 and ytot[cur] == 1:
        dec[cur] = C_STAY
    dc = dec[cur]
    if cur == 0:
        if dc == C_ESC:
            nxt, r = _up(ipar, ntot, cur, elim_lo, n_doses)
            return nxt, r, elim_lo
        if dc == C_ELIM:
            return -1, SAFETY, 0
        nxt, r = _stay(ipar, ntot, cur)  # stay, or de-escalate at the lowest dose
        return nxt, r, elim_lo
    all_esc = True
    all_ok = True  # every lower dose would escalate or stay
    for b in range(cur):
        if dec[b] != C_ESC:
            all_esc = False
            if dec[b] != C_STAY:
                all_ok = False
    if dc == C_ESC and all_esc:
        nxt, r = _up(ipar, ntot, cur, elim_lo, n_doses)
        return nxt, r, elim_lo
    if all_ok and dc == C_STAY:
        nxt, r = _stay(ipar, ntot, cur)
        return nxt, r, elim_lo
    if all_ok and dc == C_DEESC:
        return cur - 1, CONTINUE, elim_lo
    if all_ok and dc == C_ELIM:
        return cur - 1, CONTINUE, min(elim_lo, cur)
    bstar = -1
    if dc == C_ESC:
        for b in range(cur):
            if dec[b] != C_ESC:
                bstar = b
    else:
        if dc == C_ELIM:
            elim_lo = min(elim_lo, cur)
        for b in range(cur):
            if dec[b] == C_DEESC or dec[b] == C_ELIM:
                bstar = b
    nxt, r = _pooled(ipar, tab, ntot, ytot, bstar, cur, elim_lo, n_doses)
    return nxt, r, elim_lo


@jit
def _known(bf_cal, bf_flag, bf_cnt, b, clock):
    """Backfill patients at dose ``b`` whose outcome is known before ``clock``: (n, DLTs)."""
    nk = 0
    yk = 0
    for i in range(bf_cnt[b]):
        if bf_cal[b, i] < clock:
            nk += 1
            if bf_flag[b, i] & F_DLT:
                yk += 1
    return nk, yk


@jit
def _open_dose(ipar, tab, n_esc, y_esc, bf_cnt, bf_cal, bf_flag, first_resp, cal, cflag, filled, cur, clock):
    """The highest dose below ``cur`` open for backfill at time ``clock`` (-1: none)."""
    cap = ipar[I_CAP]
    nd_ = 0  # the current cohort's outcomes known by now
    yd_ = 0
    for s in range(filled):
        if cal[s] < clock:
            nd_ += 1
            if cflag[s] & F_DLT:
                yd_ += 1
    safe = True
    best = -1
    nk_next, yk_next = _known(bf_cal, bf_flag, bf_cnt, 0, clock)
    for b in range(cur):
        nk, yk = nk_next, yk_next
        if b + 1 < cur:
            nk_next, yk_next = _known(bf_cal, bf_flag, bf_cnt, b + 1, clock)
        else:
            nk_next, yk_next = nd_, yd_
        if safe:  # safe alone, or pooled with the next dose up; an unsafe dose closes every dose above it
            nt = n_esc[b] + nk
            yt = y_esc[b] + yk
            ok = (_code(ipar, tab, nt, yt) & _iv.ACTION_MASK) != _iv.DEESCALATE
            if not ok:
                ok = (_code(ipar, tab, nt + nk_next + n_esc[b + 1], yt + yk_next + y_esc[b + 1])
                      & _iv.ACTION_MASK) != _iv.DEESCALATE
            safe = ok
        if safe and first_resp[b] < clock and bf_cnt[b] + n_esc[b] <= cap:
            best = b
    return best


# ---------------------------------------------------------------- other escalation designs
@jit(inline=True)
def _bpar(ipar, i):
    """Backfill option ``i`` (``B_*``): the last ``N_BF`` entries of ``ipar``."""
    return ipar[ipar.shape[0] - N_BF + i]


@jit
def _start(code, ipar, aux):
    """First dose (0-based) and cohort size of the escalation design."""
    if code == BF_3P3:
        return _t3.start(ipar, aux)
    if code == BF_CRM:
        return _crm.start(ipar, aux)
    if code == BF_BLRM:
        aux[1] = ipar[_blrm.I_START]
        return _blrm.start(ipar, aux)
    return ipar[_iv.I_START], ipar[_iv.I_COHORT]


@jit
def max_cohort(code, ipar):
    """The largest escalation cohort (sizes the per-cohort arrays)."""
    if code == BF_3P3:
        return 3
    if code == BF_CRM:
        return ipar[_crm.I_COHORT]
    if code == BF_BLRM:
        return ipar[_blrm.I_COHORT]
    return ipar[_iv.I_COHORT]


@jit
def _decide_any(code, ipar, fpar, tab, ntot, ytot, dec, aux, work, cur, elim_lo, c, k):
    """The escalation decision after a cohort of ``c`` with ``k`` DLTs at ``cur``, on the counts
    known now at every dose (escalation and backfill). Returns (next dose, next cohort size,
    reason, lowest eliminated dose)."""
    if code == BF_3P3:
        # a lower dose made unsafe by backfill data (>= 2 DLTs among the patients known there)
        # is treated as 3+3 treats a dose with >= 2 DLTs: de-escalate from it (the lowest such
        # dose, which closes every dose above it)
        for b in range(cur):
            if ytot[b] >= 2:
                nxt, sz, r = _t3._step_down(ipar, ntot, aux, b)
                return nxt, sz, r, elim_lo
        nxt, sz, r = _t3.decide(ipar, ntot, ytot, aux, cur)
        return nxt, sz, r, elim_lo
    if code == BF_CRM:
        # backfill data enter the model; the escalation-phase shortcut in crm.decide (the
        # recommendation can only rise after a cohort without DLT) does not hold once backfill
        # patients' DLTs arrive between decisions, so it is switched off
        aux[0] = -1
        nxt, sz, r = _crm.decide(ipar, fpar, tab, ntot, ytot, aux, work, cur, c, k)
        return nxt, sz, r, elim_lo
    if code == BF_BLRM:
        # every known outcome enters the posterior (and the overdose bound's and stopping rules'
        # patient counts); the increments and the no-skipping rule act from the escalation dose,
        # which is kept in aux[1] for the final selection
        aux[1] = cur
        nxt, sz, r = _blrm.decide(ipar, fpar, tab, ntot, ytot, aux, work, cur, c, k)
        return nxt, sz, r, elim_lo
    nxt, r, elim_lo = decide(ipar, tab, ntot, ytot, dec, cur, elim_lo)
    return nxt, ipar[_iv.I_COHORT], r, elim_lo


@jit
def _open_any(code, ipar, fpar, tab, n_esc, y_esc, bf_cnt, bf_cal, bf_flag, first_resp, cal, cflag, filled, cur,
              clock, kn, ky, work):
    """The highest dose below ``cur`` open for backfill at time ``clock`` (-1: none).

    BF-BOIN: :func:`_open_dose`. Otherwise a dose must have had a response, hold at most ``cap``
    patients and be safe on the outcomes known now (escalation and backfill patients, the
    current cohort's included): 3+3, no dose at or below it has >= 2 DLTs; CRM, it is at or
    below the model's recommendation on those data (no dose if the model's safety rule stops);
    BLRM, it and every dose below it are eligible under the overdose control on those data (no
    dose if dose 1 is not, when the BLRM stops for safety)."""
    if code == BF_BOIN:
        return _open_dose(ipar, tab, n_esc, y_esc, bf_cnt, bf_cal, bf_flag, first_resp, cal, cflag, filled, cur,
                          clock)
    cap = _bpar(ipar, B_CAP)
    top = -1  # the highest dose with a response and room: no safety test is needed if there is none
    for b in range(cur - 1, -1, -1):
        if first_resp[b] < clock and bf_cnt[b] + n_esc[b] <= cap:
            top = b
            break
    if top < 0:
        return -1
    n_doses = kn.shape[0]
    for d in range(n_doses):
        nk, yk = _known(bf_cal, bf_flag, bf_cnt, d, clock)
        kn[d] = n_esc[d] + nk
        ky[d] = y_esc[d] + yk
    for s in range(filled):
        if cal[s] < clock:
            kn[cur] += 1
            if cflag[s] & F_DLT:
                ky[cur] += 1
    if code == BF_3P3:
        for b in range(top + 1):
            if ky[b] >= 2:
                top = b - 1
                break
    elif code == BF_CRM:
        rec = _crm._recommendation(ipar, fpar, tab, kn, ky, work, False, ipar[_crm.I_SAFETY] == 1)
        if rec < 0:
            return -1
        top = min(top, rec)
    elif code == BF_BLRM:
        e = _blrm.cached_highest_eligible(ipar, fpar, tab, kn, ky, work, top)
        if e < 0:
            return -1
        top = e
    for b in range(top, -1, -1):
        if first_resp[b] < clock and bf_cnt[b] + n_esc[b] <= cap:
            return b
    return -1


@jit
def _select_any(code, ipar, fpar, tab, n, y, aux, work):
    """The escalation design's final selection on all patients in the final analysis."""
    if code == BF_3P3:
        return _t3.select(ipar, n, y)
    if code == BF_CRM:
        return _crm.select(ipar, fpar, tab, n, y, work)
    if code == BF_BLRM:
        # the next best dose on the final analysis's data, with the increments from the last
        # escalation dose (without backfill data: the last decision's, crmPack's recommendation)
        nbd, _r = _blrm.cached_evaluate(ipar, fpar, tab, n, y, work, aux[1])
        return nbd
    return _iv.select(ipar, fpar, tab, n, y, work)


@jit
def run_trial(code, ipar, fpar, tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, key, t, max_n, n, y, ae, ne, nbf, n_esc,
              y_esc, bf_cnt, ntot, ytot, dec, first_resp, bf_cal, bf_flag, cal, cflag, aux, work):
    """One trial of a backfilled design (see the module docstring); fills ``n``, ``y``, ``ae``,
    ``ne`` (final analysis) and ``nbf`` (backfill patients in it). Returns (selected, reason,
    duration, turned away)."""
    n_doses = n.shape[0]
    window = tm[1]
    for d in range(n_doses):
        n[d] = 0
        y[d] = 0
        ae[d] = 0
        ne[d] = 0
        nbf[d] = 0
        n_esc[d] = 0
        y_esc[d] = 0
        bf_cnt[d] = 0
        first_resp[d] = np.inf
    tk = trial_key(key, t)
    cur, cs = _start(code, ipar, aux)
    elim_lo = n_doses
    c = min(cs, max_n)
    filled = 0
    esc_total = 0
    pid = 0
    j = 0
    clock = gap(tm, key, t, 0)
    turned_away = 0
    reason = CONTINUE
    last_end = 0.0
    end_esc = _bpar(ipar, B_END_WITH_ESC) != 0
    escalating = True
    while True:
        if pid > MAX_EVENTS or j > MAX_EVENTS:
            return -1, TOO_LONG, clock, turned_away
        dose = -1  # where this arrival is treated (-1: not treated)
        slot = -1  # its slot in the escalation cohort, or -1 for a backfill patient
        if not escalating:  # backfill after escalation ended, until an arrival finds no open dose
            dose = _open_any(code, ipar, fpar, tab, n_esc, y_esc, bf_cnt, bf_cal, bf_flag, first_resp, cal,
                             cflag, c, cur, clock, ntot, ytot, work)
            if dose < 0:
                break
        elif filled < c:
            dose = cur
            slot = filled
        else:
            cmax = 0.0
            for s in range(c):
                cmax = max(cmax, cal[s])
            if cmax < clock:
                k = 0
                for s in range(c):
                    if cflag[s] & F_DLT:
                        k += 1
                n_esc[cur] += c
                y_esc[cur] += k
                esc_total += c
                last_end = cmax
                top = cur + 1 if code == BF_BOIN else n_doses  # BF-BOIN's decision looks at doses <= cur only
                for b in range(top):
                    nk, yk = _known(bf_cal, bf_flag, bf_cnt, b, clock)
                    ntot[b] = n_esc[b] + nk
                    ytot[b] = y_esc[b] + yk
                nxt, sz, reason, elim_lo = _decide_any(code, ipar, fpar, tab, ntot, ytot, dec, aux, work, cur, elim_lo,
                                                       c, k)
                if reason == CONTINUE and esc_total >= max_n:
                    reason = MAX_N
                if reason != CONTINUE:
                    if end_esc or reason == SAFETY:
                        break
                    escalating = False  # this arrival and later ones may still be backfilled
                    dose = _open_any(code, ipar, fpar, tab, n_esc, y_esc, bf_cnt, bf_cal, bf_flag, first_resp, cal,
                             cflag, c, cur, clock, ntot, ytot, work)
                    if dose < 0:
                        break
                else:
                    cur = nxt
                    c = min(sz, max_n - esc_total)
                    filled = 0
                    dose = cur
                    slot = 0
            elif cur > 0:
                dose = _open_any(code, ipar, fpar, tab, n_esc, y_esc, bf_cnt, bf_cal, bf_flag, first_resp, cal,
                             cflag, filled, cur, clock, ntot, ytot, work)
        if dose >= 0:
            u = draw(tk, pid, STREAM_TOLERANCE)
            dlt = u < p_tox[dose]
            f = 0
            if dlt:
                f = F_DLT
            elif u < p_ae_cum[dose]:
                f = F_AE
            if draw(tk, pid, STREAM_EFFICACY) < (p_eff_t[dose] if dlt else p_eff_n[dose]):
                f |= F_EFF
                first_resp[dose] = min(first_resp[dose], clock + window)
            end = clock + (onset(tm, key, t, pid, p_tox[dose]) if dlt else window)
            if slot >= 0:
                cal[slot] = end
                cflag[slot] = f
                filled += 1
                n[dose] += 1  # escalation patients are always in the final analysis
                if f & F_DLT:
                    y[dose] += 1
                if f & F_AE:
                    ae[dose] += 1
                if f & F_EFF:
                    ne[dose] += 1
            else:
                i = bf_cnt[dose]
                bf_cal[dose, i] = end
                bf_flag[dose, i] = f
                bf_cnt[dose] = i + 1
            pid += 1
        else:
            turned_away += 1
        j += 1
        clock += gap(tm, key, t, j)
    # escalation patients were counted at enrolment; now the backfill patients: all of them when
    # the analysis waits for their follow-up, else those whose outcome is known at the end of escalation
    duration = last_end
    wait = _bpar(ipar, B_WAIT) != 0 or not end_esc
    for b in range(n_doses):
        for i in range(bf_cnt[b]):
            if not wait and not bf_cal[b, i] < last_end:
                continue
            f = bf_flag[b, i]
            n[b] += 1
            nbf[b] += 1
            if f & F_DLT:
                y[b] += 1
            if f & F_AE:
                ae[b] += 1
            if f & F_EFF:
                ne[b] += 1
            if wait:
                duration = max(duration, bf_cal[b, i])
    if reason == SAFETY:
        return -1, reason, duration, turned_away
    return _select_any(code, ipar, fpar, tab, n, y, aux, work), reason, duration, turned_away


@jit(parallel=True)
def run_batch(code, ipar, fpar, tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys, per_scenario, trial0, max_n, n_work,
              sel, reason, n_pat, n_dlt, n_ae, n_eff, n_bf, duration, turned_away, n_lanes=1):
    """Rows ``trial0 ..`` of a backfilled design's run (layout as :func:`.trial.run_batch`;
    ``n_bf``: backfill patients per dose in the final analysis; ``n_work``: the escalation
    design's float scratch). Results do not depend on ``n_lanes``."""
    n_rows = sel.shape[0]
    n_doses = n_pat.shape[1]
    n_chunks = (n_rows + CHUNK - 1) // CHUNK
    n_lanes = max(1, min(n_lanes, n_chunks))
    cap = _bpar(ipar, B_CAP)
    cs = max_cohort(code, ipar)
    for lane in prange(n_lanes):
        ints = np.zeros((6, n_doses), dtype=np.int64)
        first_resp = np.zeros(n_doses)
        bf_cal = np.zeros((n_doses, cap + 1))
        bf_flag = np.zeros((n_doses, cap + 1), dtype=np.int64)
        cal = np.zeros(max(cs, 1))
        cflag = np.zeros(max(cs, 1), dtype=np.int64)
        aux = np.zeros(4, dtype=np.int64)
        work = np.zeros(max(4 * n_doses, n_work))  # interval.select's scratch (interval.n_work), or the design's
        cnt = np.zeros((5, n_doses), dtype=np.int64)  # the trial's counts, stored at its end (records.store)
        for ch in range(lane, n_chunks, n_lanes):
            for r in range(ch * CHUNK, min(n_rows, ch * CHUNK + CHUNK)):
                g = trial0 + r
                sc = g // per_scenario
                s, rs, d, a = run_trial(code, ipar, fpar, tab, tm, p_tox[sc], p_ae_cum[sc], p_eff_t[sc], p_eff_n[sc],
                                        keys[sc], g - sc * per_scenario, max_n, cnt[0], cnt[1], cnt[2], cnt[3],
                                        cnt[4], ints[0], ints[1], ints[2], ints[3], ints[4], ints[5], first_resp,
                                        bf_cal, bf_flag, cal, cflag, aux, work)
                store(n_pat, r, cnt[0])
                store(n_dlt, r, cnt[1])
                store(n_ae, r, cnt[2])
                store(n_eff, r, cnt[3])
                store(n_bf, r, cnt[4])
                sel[r] = s
                reason[r] = rs
                duration[r] = d
                turned_away[r] = a
