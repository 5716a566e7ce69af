"""Graded toxicity: gBOIN (Mu, Xu & Yuan 2019), with R TITEgBOIN's semantics (non-TITE).

Each patient's worst adverse-event grade ``g`` comes from the same latent tolerance ``u`` as
their DLT (``g`` is the highest grade with ``u < P(grade >= g)`` at their dose; a DLT iff
``u < p_tox``), and scores ``scores[g]`` (the equivalent toxicity score divided by its maximum,
so in [0, 1]). After each cohort, with ``n`` patients and a summed score ``y`` (a
quasi-binomial count) per dose, TITEgBOIN's ``next_TITE_QuasiBOIN``:

* every dose from the lowest with ``n >= 3`` and ``P(p > target | Beta(y + 1, n - y + 1)) >
  cutoff_eli`` upwards is eliminated (for good); with ``extrasafe``, dose 1 with ``n >= 3`` and
  that probability above ``cutoff_eli - offset`` stops the trial;
* if the current dose is eliminated, move to the highest dose below the lowest eliminated one
  (none: stop for safety);
* else ``phat = y / n`` at the current dose: escalate if ``phat <= lambda_e`` (stay at the top
  dose or below an eliminated one), de-escalate if ``phat >= lambda_d`` (stay at dose 1), else
  stay; stop (the design's rule) when staying with ``n >= n_earlystop`` there.

Selection is ``select_mtd_TITE_QuasiBOIN``: among treated, non-eliminated doses, isotonic
regression (weights 1 / variance) of ``(y + 0.005) / (n + 0.01)``, the estimate closest to the
target (``+ j * 1e-10`` breaks ties).

``ipar``: start dose, cohort size, n_earlystop (0: off), extrasafe; ``fpar``: target,
lambda_e, lambda_d, cutoff_eli, offset, pseudo-count.

The quasi-likelihood CRM (Yuan, Chappell & Bailey 2007; ``QUASI_CRM``) runs in the same loop
(its own batch kernel, :func:`run_batch_qcrm`):
the CRM kernel (:mod:`.crm`, dfcrm's semantics) with the summed scores in place of the DLT
counts (its likelihood ``y log p + (n - y) log(1 - p)`` is then the quasi-Bernoulli one) and
the last cohort's summed score in place of its DLTs (dfcrm's no-escalation-after-a-bad-cohort
rule compares score / cohort size with the target).

Every design packs its normalized scores (grades 0..G) at the end of ``fpar``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import jit
from . import crm as _crm
from . import interval as _iv
from .betafn import beta_sf
from .codes import CONTINUE, MAX_N, RULE, SAFETY
from .records import store
from .rng import STREAM_TOLERANCE, draw, trial_key

I_START = 0
I_COHORT = 1
I_EARLYSTOP = 2
I_EXTRASAFE = 3
N_IPAR = 4

F_TARGET = 0
F_LAMBDA_E = 1
F_LAMBDA_D = 2
F_CUTOFF = 3
F_OFFSET = 4
F_PSEUDO = 5
N_FPAR = 6

NELI = 3  # TITEgBOIN's Neli: elimination needs at least 3 patients at a dose
CHUNK = 256


@jit
def _p_over(target, n, y):
    """P(p > target | Beta(y + 1, n - y + 1)), R's 1 - pbeta(target, y + 1, n - y + 1)."""
    return beta_sf(target, y + 1.0, n - y + 1.0)


@jit
def lowest_eliminated(fpar, n, y):
    """The lowest dose meeting the elimination rule (n_doses if none)."""
    n_doses = n.shape[0]
    for d in range(n_doses):
        if n[d] >= NELI and _p_over(fpar[F_TARGET], n[d], y[d]) > fpar[F_CUTOFF]:
            return d
    return n_doses


@jit
def decide(ipar, fpar, n, y, cur, elim_lo, all_doses):
    """TITEgBOIN's next dose after a complete cohort. Returns (next, reason, lowest eliminated).

    TITEgBOIN re-checks the elimination rule at every dose; in a trial only the current dose's
    data changed since the last decision (and eliminations persist), so the loop passes
    ``all_doses=False`` and only the current dose is checked: the same result, fewer Beta
    tail probabilities. Live use (any state) passes True."""
    n_doses = n.shape[0]
    if all_doses:
        elim_lo = min(elim_lo, lowest_eliminated(fpar, n, y))
    elif cur < elim_lo and n[cur] >= NELI and _p_over(fpar[F_TARGET], n[cur], y[cur]) > fpar[F_CUTOFF]:
        elim_lo = cur
    if ipar[I_EXTRASAFE] != 0 and cur == 0 and n[0] >= NELI and \
            _p_over(fpar[F_TARGET], n[0], y[0]) > fpar[F_CUTOFF] - fpar[F_OFFSET]:
        return -1, SAFETY, 0
    if elim_lo <= cur:
        if elim_lo == 0:
            return -1, SAFETY, 0
        return elim_lo - 1, CONTINUE, elim_lo
    phat = y[cur] / n[cur]
    nxt = cur
    if phat <= fpar[F_LAMBDA_E]:
        if cur < n_doses - 1 and elim_lo > cur + 1:
            nxt = cur + 1
    elif phat >= fpar[F_LAMBDA_D]:
        if cur > 0:
            nxt = cur - 1
    es = ipar[I_EARLYSTOP]
    if nxt == cur and es > 0 and n[cur] >= es:
        return cur, RULE, elim_lo
    return nxt, CONTINUE, elim_lo


@jit
def select(ipar, fpar, n, y, work):
    """``select_mtd_TITE_QuasiBOIN``: a 0-based dose or -1."""
    n_doses = n.shape[0]
    lo = lowest_eliminated(fpar, n, y)
    if ipar[I_EXTRASAFE] != 0 and n[0] >= NELI and \
            _p_over(fpar[F_TARGET], n[0], y[0]) > fpar[F_CUTOFF] - fpar[F_OFFSET]:
        lo = 0
    if lo == 0:
        return -1
    m = _iv._isotonic(fpar[F_PSEUDO], n, y, lo, work)
    if m == 0:
        return -1
    x = work[0:n_doses]
    idx = work[3 * n_doses:4 * n_doses]
    best = -1
    best_dist = np.inf
    target = fpar[F_TARGET]
    for j in range(m):
        dist = abs(x[j] + (j + 1) * 1e-10 - target)
        if dist < best_dist:
            best_dist = dist
            best = j
    return np.int64(idx[best])


@jit
def worst_grade(u, at_least, d):
    """The worst grade of a patient with tolerance ``u`` at dose ``d`` (0: none)."""
    for g in range(at_least.shape[1], 0, -1):
        if u < at_least[d, g - 1]:
            return g
    return 0


@jit
def run_trial(ipar, fpar, tab, at_least, p_tox, p_ae_cum, key, t, max_n, n, y, ae, ysc, nf, aux, work):
    """One graded trial: fills ``n``, ``y`` (DLTs), ``ae``, ``ysc`` (summed scores). gBOIN passes
    ``nf`` (float scratch: the patients per dose as floats) and ``aux`` None; the quasi-CRM passes
    its integer state ``aux`` and ``nf`` None. Each design's branches test its own argument
    (``... is not None``), which numba decides from the type when it is None, so each design
    compiles only its own code. Returns (selected, reason)."""
    n_doses = n.shape[0]
    n_scores = at_least.shape[1] + 1
    scores = fpar[fpar.shape[0] - n_scores:]
    for d in range(n_doses):
        n[d] = 0
        y[d] = 0
        ae[d] = 0
        ysc[d] = 0.0
    if nf is not None:
        for d in range(n_doses):
            nf[d] = 0.0
    tk = trial_key(key, t)
    cur = ipar[I_START]
    cs = ipar[I_COHORT]
    if aux is not None:
        cur, cs = _crm.start(ipar, aux)
    elim_lo = n_doses
    total = 0
    pid = 0
    reason = CONTINUE
    while True:
        if total >= max_n:
            reason = MAX_N
            break
        c = min(cs, max_n - total)
        kc = 0.0  # the cohort's summed score
        for _ in range(c):
            u = draw(tk, pid, STREAM_TOLERANCE)
            sc = scores[worst_grade(u, at_least, cur)]
            ysc[cur] += sc
            kc += sc
            if u < p_tox[cur]:
                y[cur] += 1
            elif u < p_ae_cum[cur]:
                ae[cur] += 1
            pid += 1
        n[cur] += c
        total += c
        if nf is not None:  # gBOIN
            nf[cur] += c
            cur, reason, elim_lo = decide(ipar, fpar, nf, ysc, cur, elim_lo, False)
        if aux is not None:  # quasi-CRM
            cur, cs, reason = _crm.decide(ipar, fpar, tab, n, ysc, aux, work, cur, c, kc)
        if reason != CONTINUE:
            break
    if reason == SAFETY:
        return -1, reason
    if nf is not None:
        return select(ipar, fpar, nf, ysc, work), reason
    if aux is not None:
        return _crm.select(ipar, fpar, tab, n, ysc, work), reason
    return -1, reason


@jit
def _rows(ipar, fpar, tab, at_least, p_tox, p_ae_cum, keys, per_scenario, trial0, max_n, lo, hi, sel, reason, n_pat,
          n_dlt, n_ae, score, nf, aux, work):
    """Rows ``lo .. hi - 1`` through :func:`run_trial` (``nf`` / ``aux`` as there)."""
    D = n_pat.shape[1]
    cnt = np.zeros((3, D), dtype=np.int64)  # the trial's counts, stored at its end (records.store)
    for r in range(lo, hi):
        g = trial0 + r
        sc = g // per_scenario
        s, rs = run_trial(ipar, fpar, tab, at_least[sc], p_tox[sc], p_ae_cum[sc], keys[sc], g - sc * per_scenario,
                          max_n, cnt[0], cnt[1], cnt[2], score[r], nf, aux, work)
        store(n_pat, r, cnt[0])
        store(n_dlt, r, cnt[1])
        store(n_ae, r, cnt[2])
        sel[r] = s
        reason[r] = rs


@jit(parallel=True)
def run_batch(code, ipar, fpar, tab, at_least, p_tox, p_ae_cum, keys, per_scenario, trial0, max_n, n_work, sel,
              reason, n_pat, n_dlt, n_ae, score, n_lanes=1):
    """Rows ``trial0 ..`` of a gBOIN run (``at_least``: (n_scenarios, n_doses, G); ``score``:
    summed normalized scores per dose). Results do not depend on ``n_lanes``. The quasi-CRM:
    :func:`run_batch_qcrm` (``code`` is unused: the kernel is the design's)."""
    n_rows = sel.shape[0]
    n_doses = n_pat.shape[1]
    n_chunks = (n_rows + CHUNK - 1) // CHUNK
    n_lanes = max(1, min(n_lanes, n_chunks))
    for lane in prange(n_lanes):
        nf = np.zeros(n_doses)
        work = np.zeros(max(n_work, 4 * n_doses))
        for ch in range(lane, n_chunks, n_lanes):
            _rows(ipar, fpar, tab, at_least, p_tox, p_ae_cum, keys, per_scenario, trial0, max_n, ch * CHUNK,
                  min(n_rows, ch * CHUNK + CHUNK), sel, reason, n_pat, n_dlt, n_ae, score, nf, None, work)


@jit(parallel=True)
def run_batch_qcrm(code, ipar, fpar, tab, at_least, p_tox, p_ae_cum, keys, per_scenario, trial0, max_n, n_work, sel,
                   reason, n_pat, n_dlt, n_ae, score, n_lanes=1):
    """:func:`run_batch` for the quasi-CRM."""
    n_rows = sel.shape[0]
    n_doses = n_pat.shape[1]
    n_chunks = (n_rows + CHUNK - 1) // CHUNK
    n_lanes = max(1, min(n_lanes, n_chunks))
    for lane in prange(n_lanes):
        aux = np.zeros(1, dtype=np.int64)
        work = np.zeros(max(n_work, 4 * n_doses))
        for ch in range(lane, n_chunks, n_lanes):
            _rows(ipar, fpar, tab, at_least, p_tox, p_ae_cum, keys, per_scenario, trial0, max_n, ch * CHUNK,
                  min(n_rows, ch * CHUNK + CHUNK), sel, reason, n_pat, n_dlt, n_ae, score, None, aux, work)
