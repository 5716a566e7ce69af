"""The compiled trial loop: Monte Carlo batches, one-trial replay, and exact expansion.

All three drive the same ``dispatch`` functions, so a design's decisions are identical in
simulation, in live use (``next_dose``) and in exact enumeration.
"""

from __future__ import annotations

import numpy as np
from numba import get_thread_id, prange

from .._jit import jit
from . import dispatch
from . import rules as _rules
from .codes import CONTINUE, MAX_EVENTS, MAX_N, SAFETY, TOO_LONG
from .records import store
from .rng import STREAM_EFFICACY, STREAM_TOLERANCE, draw, mix64, trial_key
from .timing import dropout, gap, onset

CHUNK = 256  # trials per parallel task; results do not depend on it


@jit(parallel=True)
def run_batch(code, ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys, per_scenario,
              trial0, max_n, n_aux, n_work, sel, reason, n_pat, n_dlt, n_ae, n_drop, n_eff, duration, waited,
              turned_away, scratch):
    """Rows ``trial0 .. trial0 + len(sel) - 1`` of a run of ``per_scenario`` trials under each
    scenario (row r: scenario ``r // per_scenario``, trial ``r % per_scenario``; ``p_tox``,
    ``p_ae_cum``, ``p_eff_t`` and ``p_eff_n`` are (n_scenarios, n_doses), ``keys`` one key per
    scenario). ``n_eff`` is (rows, n_doses) with efficacy, (rows, 0) without. Each row is
    written only by its own trial.

    ``scratch`` (float, one row of at least ``n_work`` per thread, zeroed by the caller and kept
    across calls for the same design): each thread's float scratch, ``work``, which may hold the
    design's decision cache (:mod:`.cache`, or the BLRM's own). A cached decision is the computed
    one, so the records do not depend on what the cache holds, on the thread count or on the
    order of trials.
    """
    n_rows = sel.shape[0]
    n_chunks = (n_rows + CHUNK - 1) // CHUNK
    for ch in prange(n_chunks):
        aux = np.zeros(max(n_aux, 1), dtype=np.int64)
        work = scratch[get_thread_id()]
        slot = np.zeros(max(max_n, 1), dtype=np.float64)
        nb = np.zeros(n_eff.shape[1], dtype=np.int64)
        _run_chunk(code, ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys,
                   per_scenario, trial0, max_n, sel, reason, n_pat, n_dlt, n_ae, n_drop, n_eff, duration, waited,
                   turned_away, nb, aux, work, slot, ch * CHUNK, min(n_rows, ch * CHUNK + CHUNK))


@jit
def _run_chunk(code, ipar, fpar, tab, rules, safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n, keys, per_scenario,
               trial0, max_n, sel, reason, n_pat, n_dlt, n_ae, n_drop, n_eff, duration, waited, turned_away, nb, aux,
               work, slot, lo, hi):
    """Rows lo .. hi - 1 of :func:`run_batch`: trial ``t`` of scenario ``sc`` per row, its counts
    in the records (int32, :mod:`.records`, from the int64 scratch ``n``, ``y``, ``ae``, ``nd``,
    ``ne`` the decisions read), its selection (-1: none), stop reason, and with a time model its
    duration, total waiting time and patients turned away (without one ``duration``, ``waited``
    and ``turned_away`` are empty, so that a million untimed trials write no 24 MB of zeros).

    One trial per loop iteration, written out here rather than called: a call per trial
    passed some twenty arrays, and numba's reference counting of them (atomic increments and
    decrements) took about a quarter of a BOIN trial's time (perf: NRT_incref/NRT_decref 24%
    of the samples). Written out, BOIN ran 1.39-1.45 -> 1.79-1.89 million trials per CPU
    second, 3+3 1.96-2.08 -> 3.13 million, the CRM 317-323k -> 345-357k, records identical.

    With a time model (``tm[0] == 1``) each cohort's decision waits until all its patients have
    had a DLT or completed the window; dose decisions are the same as without one.

    Drop-out (``tm[7] > 0``): an enrolled patient who drops out before their outcome is known
    (their DLT onset, or the end of the window) is not evaluable. The design never sees them:
    their slot in the cohort is refilled by the first patient enrolled after the drop-out (at
    the same dose; the next patient in enrolment order, so patient ``i`` of a trial has the same
    random numbers under every design), and the cohort's decision waits for the replacement.
    ``n``, ``y`` and ``ae`` count evaluable patients, ``nd`` drop-outs per dose; ``max_n``
    bounds evaluable patients. ``slot`` (float scratch, at least the largest cohort) holds the
    time each slot of the current cohort becomes free.

    Efficacy: for a scenario without it, ``ne`` and ``nb`` have length 0 and every efficacy
    step below is skipped (``p_eff_t`` and ``p_eff_n`` are then never read). One signature for
    both cases, so this loop and everything it calls is compiled once (numba compiled a second,
    efficacy-free copy before: a cold ``doseesc simulate --design boin`` took 95 CPU-s with it,
    87 without; ``benchmarks/bench_compile.py``).
    With efficacy, patient ``i`` also
    draws ``v = draw(.., i, STREAM_EFFICACY)`` and responds iff ``v < p_eff_t[d]`` if they had a
    DLT, ``v < p_eff_n[d]`` if not (the conditional probabilities of the scenario's joint
    model). The toxicity draws are untouched, so every patient's DLT outcome, and every
    toxicity-only design's trial, is the same with or without efficacy. ``ne`` counts responses
    and ``nb`` patients with both, per dose (evaluable patients only); phase I/II designs
    (``dispatch.uses_efficacy``) decide on them too. A response becomes known with the
    patient's DLT outcome (no efficacy assessment window in this loop); a patient who drops out
    is not evaluable for either outcome.
    """
    timed_rec = duration.shape[0] > 0
    D = n_pat.shape[1]
    n = np.zeros(D, dtype=np.int64)
    y = np.zeros(D, dtype=np.int64)
    ae = np.zeros(n_ae.shape[1], dtype=np.int64)
    nd = np.zeros(n_drop.shape[1], dtype=np.int64)
    ne = np.zeros(n_eff.shape[1], dtype=np.int64)
    has_eff = ne.shape[0] > 0  # length 0: a scenario without efficacy (one signature for both cases)
    eff_design = False
    if has_eff:
        eff_design = dispatch.uses_efficacy(code)
    timed = tm[0] != 0.0
    drop = False
    if timed:
        drop = tm[7] > 0.0
    ruled = rules[0] != 0 or rules[1] != 0 or rules[3] != 0  # else rules.apply changes nothing
    restrict = rules[5] > 0  # else rules.restrict_selection changes nothing
    for r in range(lo, hi):
        g = trial0 + r
        sc = g // per_scenario
        t = g - sc * per_scenario
        key = keys[sc]
        n[:] = 0
        y[:] = 0
        ae[:] = 0
        nd[:] = 0
        if has_eff:
            ne[:] = 0
            nb[:] = 0
        cur, c = dispatch.start(code, ipar, fpar, tab, aux)
        tk = trial_key(key, t)
        total = 0  # evaluable patients
        pid = 0  # patients enrolled (evaluable or not): the index of the next one's random numbers
        rs = CONTINUE
        now = 0.0  # time of the latest decision
        # Time of the next arrival: the trial opens at 0 and the first patient arrives one gap later
        # (dfcrm titesim's convention), so durations are measured from the opening.
        arrival = gap(tm, key, t, 0) if timed else 0.0
        j = 0  # index of that arrival
        wt = 0.0
        turned = 0
        too_long = False
        while True:
            if total >= max_n:
                rs = MAX_N
                break
            if c > max_n - total:
                c = max_n - total
            k = 0
            ke = 0
            kb = 0
            pt = p_tox[sc, cur]
            pa = p_ae_cum[sc, cur]
            cohort_end = now
            if drop:
                for q in range(c):
                    slot[q] = now
            filled = 0  # slots [0, filled) hold an evaluable patient
            while filled < c:
                if pid > MAX_EVENTS:
                    too_long = True
                    break
                u = draw(tk, pid, STREAM_TOLERANCE)
                dlt = u < pt
                if timed:
                    free = now
                    s = filled
                    if drop:  # the slot that frees first (a drop-out frees theirs at the drop-out)
                        for q in range(filled + 1, c):
                            if slot[q] < slot[s]:
                                s = q
                        free = slot[s]
                    if tm[6] == 0.0:  # arrivals while no slot is free are turned away
                        while arrival < free:
                            if j > MAX_EVENTS:
                                too_long = True
                                break
                            turned += 1
                            j += 1
                            arrival += gap(tm, key, t, j)
                        if too_long:
                            break
                        enrol = arrival
                    else:  # they queue
                        enrol = max(arrival, free)
                        wt += enrol - arrival
                    j += 1
                    arrival += gap(tm, key, t, j)
                    end = enrol + (onset(tm, key, t, pid, pt) if dlt else tm[1])
                    if drop:
                        gone = enrol + dropout(tm, key, t, pid)
                        if gone < end:  # dropped out before the outcome: not evaluable, the slot is refilled
                            nd[cur] += 1
                            slot[s] = gone
                            cohort_end = max(cohort_end, gone)
                            pid += 1
                            continue
                        slot[s] = slot[filled]  # keep the open slots at the back
                    cohort_end = max(cohort_end, end)
                if dlt:
                    k += 1
                elif u < pa:
                    ae[cur] += 1
                if has_eff:
                    if draw(tk, pid, STREAM_EFFICACY) < (p_eff_t[sc, cur] if dlt else p_eff_n[sc, cur]):
                        ke += 1
                        if dlt:
                            kb += 1
                filled += 1
                pid += 1
            if too_long:
                break
            n[cur] += c
            y[cur] += k
            total += c
            now = cohort_end
            decided = False
            if has_eff:
                ne[cur] += ke
                nb[cur] += kb
                if eff_design:
                    nxt, c, rs = dispatch.decide_eff(code, ipar, fpar, tab, n, y, ne, nb, aux, work, cur, c, k, ke,
                                                     kb)
                    decided = True
            if not decided:
                nxt, c, rs = dispatch.decide(code, ipar, fpar, tab, n, y, aux, work, cur, c, k)
            if ruled:
                nxt, c, rs = _rules.apply(rules, safety_tab, n, y, cur, nxt, c, rs)
            cur = nxt
            if rs != CONTINUE:
                break
        if too_long:
            sl = -1
            rs = TOO_LONG
        elif rs >= SAFETY:
            sl = -1
        else:
            if eff_design:
                sl = dispatch.select_eff(code, ipar, fpar, tab, n, y, ne, nb, aux, work)
            else:
                sl = dispatch.select(code, ipar, fpar, tab, n, y, aux, work)
            if restrict:
                sl = _rules.restrict_selection(rules, n, sl)
        store(n_pat, r, n)
        store(n_dlt, r, y)
        store(n_ae, r, ae)
        store(n_drop, r, nd)
        store(n_eff, r, ne)
        sel[r] = sl
        reason[r] = rs
        if timed_rec:
            duration[r] = now
            waited[r] = wt
            turned_away[r] = turned


@jit
def replay(code, ipar, fpar, tab, rules, safety_tab, max_n, c_dose, c_size, c_tox, c_eff, c_both, n, y, e, b, aux, work,
           rec_dose, rec_size):
    """Run a design over observed cohorts (doses 0-based).

    Returns (next dose, cohort size, reason, index of the cohort after which the design
    stopped, or -1, the selection if the trial ended now, or -1). ``rec_dose[i]``/``rec_size[i]``
    receive what the design recommended before cohort ``i`` (-1 for cohorts after a stop), so
    the caller can say where the data deviate from the design. Cohorts after a stop are still
    added to ``n`` and ``y`` (no data may vanish), but the design makes no further decisions.

    Phase I/II designs also take the cohorts' responses ``c_eff`` (``c_both`` with a DLT too),
    counted into ``e`` and ``b``; for the others these four are ``None`` (branches numba prunes,
    as in :func:`_run_chunk`).
    """
    n[:] = 0
    y[:] = 0
    if e is not None:
        e[:] = 0
        b[:] = 0
    cur, c = dispatch.start(code, ipar, fpar, tab, aux)
    reason = CONTINUE
    total = 0
    stopped = -1
    for i in range(c_dose.shape[0]):
        d = c_dose[i]
        n[d] += c_size[i]
        y[d] += c_tox[i]
        if e is not None:
            e[d] += c_eff[i]
            b[d] += c_both[i]
        if stopped >= 0:
            rec_dose[i] = -1
            rec_size[i] = -1
            continue
        rec_dose[i] = cur
        rec_size[i] = min(c, max_n - total)
        total += c_size[i]
        if e is not None:
            nxt, c, reason = dispatch.decide_eff(code, ipar, fpar, tab, n, y, e, b, aux, work, d, c_size[i],
                                                 c_tox[i], c_eff[i], c_both[i])
        else:
            nxt, c, reason = dispatch.decide(code, ipar, fpar, tab, n, y, aux, work, d, c_size[i], c_tox[i])
        cur, c, reason = _rules.apply(rules, safety_tab, n, y, d, nxt, c, reason)
        if reason == CONTINUE and total >= max_n:
            reason = MAX_N
        if reason != CONTINUE:
            stopped = i
    if reason == CONTINUE and c > max_n - total:
        c = max_n - total
    sel = -1
    if e is not None:
        if reason < SAFETY and n.sum() > 0:
            sel = _rules.restrict_selection(rules, n, dispatch.select_eff(code, ipar, fpar, tab, n, y, e, b, aux,
                                                                          work))
    else:
        sel = final_select(code, ipar, fpar, tab, rules, reason, n, y, aux, work)
    return cur, c, reason, stopped, sel


@jit
def final_select(code, ipar, fpar, tab, rules, reason, n, y, aux, work):
    if reason >= SAFETY:
        return -1
    return _rules.restrict_selection(rules, n, dispatch.select(code, ipar, fpar, tab, n, y, aux, work))


@jit
def estimates(code, ipar, fpar, tab, n, y, aux, work, out):
    return dispatch.estimates(code, ipar, fpar, tab, n, y, aux, work, out)


@jit
def binom_pmf(c, k, p):
    coef = 1.0
    for j in range(k):
        coef = coef * (c - j) / (j + 1)
    return coef * p**k * (1.0 - p) ** (c - k)


@jit
def initial_state(code, ipar, fpar, tab, n_doses, n_aux, max_n):
    """The one exact-enumeration state before the first cohort."""
    width = 2 + n_aux + 2 * n_doses
    row = np.zeros((1, width), dtype=np.int64)
    aux = np.zeros(max(n_aux, 1), dtype=np.int64)
    cur, c = dispatch.start(code, ipar, fpar, tab, aux)
    row[0, 0] = cur
    row[0, 1] = min(c, max_n)
    row[0, 2:2 + n_aux] = aux[:n_aux]
    return row


@jit
def expand(code, ipar, fpar, tab, rules, safety_tab, p_tox, max_n, n_aux, rows, probs, work):
    """Treat one more cohort from every state in ``rows``.

    A state row is ``[dose, cohort size, aux..., n_1..n_D, y_1..y_D]`` (the cohort about to be
    treated). Returns the continuing child states and the terminal ones; a terminal row is
    ``[selected, reason, n_1..n_D, y_1..y_D]``. Duplicates are merged by the caller. ``work``:
    the design's float scratch, with its decision cache (``_kernels/cache.py``) in the tail:
    the caller keeps it between cohorts and calls, as the simulators keep theirs between trials.
    """
    n_rows, width = rows.shape
    n_doses = (width - 2 - n_aux) // 2
    cmax = 0
    for r in range(n_rows):
        cmax = max(cmax, rows[r, 1])
    cap = n_rows * (cmax + 1)
    child = np.empty((cap, width), dtype=np.int64)
    child_p = np.empty(cap)
    term = np.empty((cap, 2 + 2 * n_doses), dtype=np.int64)
    term_p = np.empty(cap)
    n = np.empty(n_doses, dtype=np.int64)
    y = np.empty(n_doses, dtype=np.int64)
    aux = np.zeros(max(n_aux, 1), dtype=np.int64)
    nc, nt = expand_into(code, ipar, fpar, tab, rules, safety_tab, p_tox, max_n, n_aux, rows, probs, child, child_p,
                         term, term_p, n, y, aux, work)
    return child[:nc], child_p[:nc], term[:nt], term_p[:nt]


@jit(inline=True)
def expand_into(code, ipar, fpar, tab, rules, safety_tab, p_tox, max_n, n_aux, rows, probs, child, child_p, term,
                term_p, n, y, aux, work):
    """The loop of :func:`expand`, into arrays it allocated; returns the numbers of child and
    terminal states. IR-inlined into :func:`expand` (its only caller): compiled on its own, its
    library (every family's decisions, in the what-if) was optimised and machine-coded once more
    when linked into expand's."""
    n_rows, width = rows.shape
    n_doses = (width - 2 - n_aux) // 2
    nc = 0
    nt = 0
    ruled = rules[0] != 0 or rules[1] != 0 or rules[3] != 0  # else rules.apply changes nothing (a call
    # with four arrays per child state, reference-counted: 0.3 of exact 3+3's 1.15 ms)
    for r in range(n_rows):
        cur = rows[r, 0]
        c = rows[r, 1]
        for k in range(c + 1):
            pk = probs[r] * binom_pmf(c, k, p_tox[cur])
            if pk == 0.0:
                continue
            total = 0
            for d in range(n_doses):
                n[d] = rows[r, 2 + n_aux + d]
                y[d] = rows[r, 2 + n_aux + n_doses + d]
            for j in range(n_aux):
                aux[j] = rows[r, 2 + j]
            n[cur] += c
            y[cur] += k
            for d in range(n_doses):
                total += n[d]
            nxt, c2, reason = dispatch.decide(code, ipar, fpar, tab, n, y, aux, work, cur, c, k)
            if ruled:
                nxt, c2, reason = _rules.apply(rules, safety_tab, n, y, cur, nxt, c2, reason)
            if reason == CONTINUE and total >= max_n:
                reason = MAX_N
            if reason != CONTINUE:
                if reason >= SAFETY:
                    term[nt, 0] = -1
                else:
                    sl = dispatch.select(code, ipar, fpar, tab, n, y, aux, work)
                    term[nt, 0] = _rules.restrict_selection(rules, n, sl) if rules[5] > 0 else sl
                term[nt, 1] = reason
                for d in range(n_doses):
                    term[nt, 2 + d] = n[d]
                    term[nt, 2 + n_doses + d] = y[d]
                term_p[nt] = pk
                nt += 1
            else:
                child[nc, 0] = nxt
                child[nc, 1] = min(c2, max_n - total)
                for j in range(n_aux):
                    child[nc, 2 + j] = aux[j]
                for d in range(n_doses):
                    child[nc, 2 + n_aux + d] = n[d]
                    child[nc, 2 + n_aux + n_doses + d] = y[d]
                child_p[nc] = pk
                nc += 1
    return nc, nt


@jit
def initial_state_eff(code, ipar, fpar, tab, n_doses, n_aux, max_n):
    """``initial_state`` of a phase I/II design: the row also holds e_1..e_D and b_1..b_D."""
    width = 2 + n_aux + 4 * n_doses
    row = np.zeros((1, width), dtype=np.int64)
    aux = np.zeros(max(n_aux, 1), dtype=np.int64)
    cur, c = dispatch.start(code, ipar, fpar, tab, aux)
    row[0, 0] = cur
    row[0, 1] = min(c, max_n)
    row[0, 2:2 + n_aux] = aux[:n_aux]
    return row


@jit
def n_joint_outcomes(c):
    """Number of (E no T, neither, both, T no E) compositions of a cohort of ``c``."""
    return (c + 1) * (c + 2) * (c + 3) // 6


@jit
def expand_eff(code, ipar, fpar, tab, rules, safety_tab, q, max_n, n_aux, rows, probs, n_work, track_both):
    """``expand`` for phase I/II designs: every cohort outcome is a composition of the four
    joint outcomes, with multinomial probability from ``q`` (n_doses, 4: P(E no T), P(neither),
    P(both), P(T no E) per dose).

    A state row is ``[dose, cohort size, aux..., n_1..n_D, y_1..y_D, e_1..e_D, b_1..b_D]``; a
    terminal row ``[selected, reason, n_1..n_D, y_1..y_D, e_1..e_D]``, both of the integer type of
    ``rows`` (the caller's choice: ``engine.api.EXACT_EFF_STATE``). With ``track_both`` 0
    (the design's decisions do not depend on ``b``) the states store ``b = 0``, so states that
    differ only in ``b`` merge.
    """
    n_rows, width = rows.shape
    n_doses = (width - 2 - n_aux) // 4
    cmax = 0
    for r in range(n_rows):
        cmax = max(cmax, rows[r, 1])
    cap = n_rows * n_joint_outcomes(cmax)
    child = np.empty((cap, width), dtype=rows.dtype)  # the states' integer type (the caller's choice)
    child_p = np.empty(cap)
    term = np.empty((cap, 2 + 3 * n_doses), dtype=rows.dtype)
    term_p = np.empty(cap)
    n = np.empty(n_doses, dtype=np.int64)
    y = np.empty(n_doses, dtype=np.int64)
    e = np.empty(n_doses, dtype=np.int64)
    b = np.empty(n_doses, dtype=np.int64)
    aux = np.zeros(max(n_aux, 1), dtype=np.int64)
    work = np.zeros(max(n_work, 1))
    lf = np.zeros(max_n + 2)  # log factorials
    for i in range(2, max_n + 2):
        lf[i] = lf[i - 1] + np.log(i)
    # Each cohort outcome's multinomial probability, once per dose and cohort size instead of once
    # per state and outcome (the same expression, so the same value; 0 marks an outcome skipped).
    pout = np.zeros((n_doses, cmax + 1, n_joint_outcomes(cmax)))
    for d in range(n_doses):
        q1 = q[d, 0]
        q2 = q[d, 1]
        q3 = q[d, 2]
        q4 = q[d, 3]
        for c in range(cmax + 1):
            j = 0
            for k1 in range(c + 1):
                for k3 in range(c - k1 + 1):
                    for k4 in range(c - k1 - k3 + 1):
                        k2 = c - k1 - k3 - k4
                        if not ((k1 > 0 and q1 == 0.0) or (k2 > 0 and q2 == 0.0) or (k3 > 0 and q3 == 0.0)
                                or (k4 > 0 and q4 == 0.0)):
                            lp = lf[c] - lf[k1] - lf[k2] - lf[k3] - lf[k4]
                            if k1 > 0:
                                lp += k1 * np.log(q1)
                            if k2 > 0:
                                lp += k2 * np.log(q2)
                            if k3 > 0:
                                lp += k3 * np.log(q3)
                            if k4 > 0:
                                lp += k4 * np.log(q4)
                            pout[d, c, j] = np.exp(lp)
                        j += 1
    o = 2 + n_aux
    nc = 0
    nt = 0
    ruled = rules[0] != 0 or rules[1] != 0 or rules[3] != 0  # else rules.apply changes nothing
    for r in range(n_rows):
        cur = rows[r, 0]
        c = rows[r, 1]
        # The row's counts, read once: decisions and selections only read them, and each outcome
        # below sets the current dose's four counts afresh.
        total = c
        for d in range(n_doses):
            n[d] = rows[r, o + d]
            y[d] = rows[r, o + n_doses + d]
            e[d] = rows[r, o + 2 * n_doses + d]
            b[d] = rows[r, o + 3 * n_doses + d]
            total += n[d]
        n0 = n[cur]
        y0 = y[cur]
        e0 = e[cur]
        b0 = b[cur]
        pr = probs[r]
        j = -1
        for k1 in range(c + 1):
            for k3 in range(c - k1 + 1):
                for k4 in range(c - k1 - k3 + 1):
                    j += 1
                    po = pout[cur, c, j]
                    if po == 0.0:
                        continue
                    pk = pr * po
                    if pk == 0.0:
                        continue
                    k = k3 + k4
                    ke = k1 + k3
                    for jj in range(n_aux):
                        aux[jj] = rows[r, 2 + jj]
                    n[cur] = n0 + c
                    y[cur] = y0 + k
                    e[cur] = e0 + ke
                    if track_both != 0:
                        b[cur] = b0 + k3
                    nxt, c2, reason = dispatch.decide_eff(code, ipar, fpar, tab, n, y, e, b, aux, work, cur, c,
                                                          k, ke, k3)
                    if ruled:
                        nxt, c2, reason = _rules.apply(rules, safety_tab, n, y, cur, nxt, c2, reason)
                    if reason == CONTINUE and total >= max_n:
                        reason = MAX_N
                    if reason != CONTINUE:
                        if reason >= SAFETY:
                            term[nt, 0] = -1
                        else:
                            sl = dispatch.select_eff(code, ipar, fpar, tab, n, y, e, b, aux, work)
                            term[nt, 0] = _rules.restrict_selection(rules, n, sl) if rules[5] > 0 else sl
                        term[nt, 1] = reason
                        term[nt, 2:2 + n_doses] = n
                        term[nt, 2 + n_doses:2 + 2 * n_doses] = y
                        term[nt, 2 + 2 * n_doses:] = e
                        term_p[nt] = pk
                        nt += 1
                    else:
                        child[nc, 0] = nxt
                        child[nc, 1] = min(c2, max_n - total)
                        child[nc, 2:2 + n_aux] = aux[:n_aux]
                        child[nc, o:o + n_doses] = n
                        child[nc, o + n_doses:o + 2 * n_doses] = y
                        child[nc, o + 2 * n_doses:o + 3 * n_doses] = e
                        child[nc, o + 3 * n_doses:] = b
                        child_p[nc] = pk
                        nc += 1
    return child[:nc], child_p[:nc], term[:nt], term_p[:nt]


@jit
def _hash_table(out_h, m, size):
    """An open-addressing table of ``size`` slots (a power of two) holding groups ``0 .. m - 1`` by
    their hashes ``out_h``."""
    mask = np.uint64(size - 1)
    table = np.full(size, -1, dtype=np.int32)
    for q in range(m):
        s2 = out_h[q] & mask
        while table[s2] >= 0:
            s2 = (s2 + np.uint64(1)) & mask
        table[s2] = q
    return table


@jit
def _merge_rows(rows, probs, r, mult, table, out, out_p, out_h, m):
    """:func:`merge_hashed`'s pass from row ``r`` until the rows end or half of ``table``'s slots
    are taken: ``(next row, groups)``. Every array is an argument and rows are copied element by
    element, so no array is created, sliced or rebound in the loop and numba's reference counts
    stay at the function's entry and exit (the one-function form grew its table and copied rows
    by slices inside the loop: exact BOIN12, 5 doses and 24 patients, 4.0 s merging against
    3.3 s in this form, cProfile, the same rows merged in the same order)."""
    n, width = rows.shape
    size = table.shape[0]
    mask = np.uint64(size - 1)
    while r < n:
        acc = np.uint64(0)
        for j in range(width):
            acc += np.uint64(rows[r, j] + 1) * mult[j]
        h = mix64(acc)
        slot = h & mask
        while True:
            g = table[slot]
            if g < 0:
                table[slot] = m
                for j in range(width):
                    out[m, j] = rows[r, j]
                out_p[m] = probs[r]
                out_h[m] = h
                m += 1
                break
            if out_h[g] == h:
                same = True
                for c in range(width):
                    if out[g, c] != rows[r, c]:
                        same = False
                        break
                if same:
                    out_p[g] += probs[r]
                    break
            slot = (slot + np.uint64(1)) & mask
        r += 1
        if 2 * m > size:
            break
    return r, m


@jit
def merge_hashed(rows, probs):
    """Merge equal rows of ``rows`` (fewer than 2**31), adding their ``probs``: one pass over the
    rows with an open-addressing table on a 64-bit hash of each row, each row compared in full with
    the group it hashes to, so a collision never merges different rows. Returns the distinct rows
    in order of first appearance and their probabilities, each summed in order of appearance (so
    the result does not depend on the hash or the table's size).

    The merge of exact enumeration (toxicity-only since 2026-12-02; first written for the phase I/II
    path, whose states are millions of wide rows). Exact BOIN12, 5 doses and
    24 patients, 21.3 million rows merged into 10.2 million: 7.3 s to hash int64 rows (a chain of
    mix64 per column), sort the hashes and merge the sorted runs; with int16 rows and this table,
    4.7 s with that hash and 2.7 s with this one, whose products per column are independent."""
    n, width = rows.shape
    out = np.empty((n, width), dtype=rows.dtype)
    out_p = np.empty(n)
    out_h = np.empty(n, dtype=np.uint64)
    mult = np.empty(width, dtype=np.uint64)  # the hash: mix64(sum_j (row[j] + 1) * mult[j])
    for j in range(width):
        mult[j] = mix64(np.uint64(j + 1)) | np.uint64(1)
    size = 64  # slots, doubled whenever half are taken: groups are often far fewer than rows
    while size < n // 4:
        size *= 2
    table = _hash_table(out_h, 0, size)
    r = 0
    m = 0
    while True:
        r, m = _merge_rows(rows, probs, r, mult, table, out, out_p, out_h, m)
        if r >= n:
            break
        size *= 2  # half the slots are taken: every group re-inserted into a table twice the size
        table = _hash_table(out_h, m, size)
    return out[:m], out_p[:m]
