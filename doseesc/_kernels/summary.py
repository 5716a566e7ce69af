"""Per-trial derived quantities in one compiled pass (instead of many numpy passes)."""

from __future__ import annotations

import numpy as np

from .._jit import jit


@jit
def per_trial(selected, n_pat, n_dlt, n_ae, scen, correct, above, below, target, none_ok):
    """Integer totals (N, DLTs, AEs, at / below / above the MTD) and 0/1 flags per trial.

    ``selected`` is 1-based (0 = none); ``correct``/``above``/``below`` are (n_scenarios, D)
    boolean masks; ``target`` is per scenario; ``none_ok[s]``: no dose is acceptable in
    scenario s, so selecting none is the correct decision.
    """
    T, D = n_pat.shape
    ints = np.zeros((6, T), dtype=np.int64)  # N, DLT, AE, at MTD, below, above
    flags = np.zeros((6, T), dtype=np.bool_)  # no selection, correct, above MTD, >=60%, >=80%, rate > target
    for t in range(T):
        s = scen[t]
        N = 0
        y = 0
        a = 0
        at = 0
        lo = 0
        hi = 0
        for d in range(D):
            nd = n_pat[t, d]
            N += nd
            y += n_dlt[t, d]
            a += n_ae[t, d]
            if correct[s, d]:
                at += nd
            if below[s, d]:
                lo += nd
            if above[s, d]:
                hi += nd
        ints[0, t] = N
        ints[1, t] = y
        ints[2, t] = a
        ints[3, t] = at
        ints[4, t] = lo
        ints[5, t] = hi
        sel = selected[t] - 1
        flags[0, t] = sel < 0
        if sel < 0:
            flags[1, t] = none_ok[s]
        else:
            flags[1, t] = correct[s, sel]
            flags[2, t] = above[s, sel]
        if N > 0:
            flags[3, t] = hi >= 0.6 * N - 1e-9
            flags[4, t] = hi >= 0.8 * N - 1e-9
            flags[5, t] = y > target[s] * N + 1e-9
    return ints, flags


@jit
def moments(selected, n_pat, n_dlt, n_ae, stop_reason, scen, correct, above, below, target, none_ok, n_scen,
            n_reasons):
    """The sums behind every Monte Carlo summary, in one pass with no per-trial arrays.

    Returns ``(isum, isq, fsum, fsq, counts, pcs_by_scen, trials_by_scen)``: ``isum``/``isq``
    (int64) are the sums and sums of squares of the per-dose patients, DLTs and AEs (rows 0-2,
    D columns) and of the per-trial integers of :func:`per_trial` (row 3, 6 columns: N, DLTs,
    AEs, at / below / above the MTD); ``fsum``/``fsq`` of the overdose fraction; ``counts`` the
    number of trials with each :func:`per_trial` flag (0-5) and with each stop reason (6 on);
    the last two count correct selections and trials per scenario.
    """
    T, D = n_pat.shape
    W = max(D, 6)
    isum = np.zeros((4, W), dtype=np.int64)
    isq = np.zeros((4, W), dtype=np.int64)
    fsum = 0.0
    fsq = 0.0
    counts = np.zeros(6 + n_reasons, dtype=np.int64)
    pcs_s = np.zeros(n_scen, dtype=np.int64)
    tr_s = np.zeros(n_scen, dtype=np.int64)
    tot = np.zeros(6, dtype=np.int64)
    for t in range(T):
        s = scen[t]
        for k in range(6):
            tot[k] = 0
        for d in range(D):
            nd = n_pat[t, d]
            yd = n_dlt[t, d]
            ad = n_ae[t, d]
            isum[0, d] += nd
            isq[0, d] += nd * nd
            isum[1, d] += yd
            isq[1, d] += yd * yd
            isum[2, d] += ad
            isq[2, d] += ad * ad
            tot[0] += nd
            tot[1] += yd
            tot[2] += ad
            if correct[s, d]:
                tot[3] += nd
            if below[s, d]:
                tot[4] += nd
            if above[s, d]:
                tot[5] += nd
        for k in range(6):
            isum[3, k] += tot[k]
            isq[3, k] += tot[k] * tot[k]
        N = tot[0]
        hi = tot[5]
        sel = selected[t] - 1
        ok = False
        if sel < 0:
            counts[0] += 1
            ok = none_ok[s]
        else:
            ok = correct[s, sel]
            if above[s, sel]:
                counts[2] += 1
        if ok:
            counts[1] += 1
            pcs_s[s] += 1
        tr_s[s] += 1
        if N > 0:
            f = hi / N
            fsum += f
            fsq += f * f
            if hi >= 0.6 * N - 1e-9:
                counts[3] += 1
            if hi >= 0.8 * N - 1e-9:
                counts[4] += 1
            if tot[1] > target[s] * N + 1e-9:
                counts[5] += 1
        r = stop_reason[t]
        if 0 <= r < n_reasons:
            counts[6 + r] += 1
    return isum, isq, fsum, fsq, counts, pcs_s, tr_s
