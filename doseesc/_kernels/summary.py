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
