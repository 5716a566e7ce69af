"""The complete-information (non-parametric optimal) benchmark, from the designs' own patients.

Patient ``i`` of trial ``t`` under scenario key ``k`` has the latent tolerance
``u = draw(trial_key(k, t), i, STREAM_TOLERANCE)`` that every design sees, and a DLT at dose
``d`` exactly when ``u < p_tox[d]``. With complete information each of the trial's first ``n``
patients is observed at every dose, so dose ``d``'s DLT rate is known to be
``#{i < n: u_i < p_tox[d]} / n`` (O'Quigley, Paoletti & Maccario 2002); the benchmark selects
the dose whose rate is closest to the target. Doses whose rates are equally close are a tie
(frequent: two doses whose DLT probabilities no patient's tolerance falls between have the same
rate); see :func:`select_one` for how monotonicity decides most of them and the trial's own
uniform ``draw(tk, 0, STREAM_BENCHMARK)`` the rest.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import jit
from .rng import STREAM_BENCHMARK, STREAM_TOLERANCE, draw, trial_key

TIE = 1e-9  # distances closer than this (in patients) are a tie: rounding in n * target must not decide


#: how ties are settled (``ties`` of :func:`select_one`)
MONOTONE, LOWEST, RANDOM = 0, 1, 2


@jit
def select_one(p_tox, target, tk, n, ties, cnt):
    """The benchmark's selection (0-based) in one trial with key ``tk``; ``cnt`` is scratch of
    one count per dose. Distances are compared in patients, ``|count - n target|``.

    Ties (``ties`` MONOTONE): doses tied with the same rate above the target are decided by
    monotonicity -- their true probabilities are ordered, so the lowest of them is the closest
    -- and those below the target likewise by the highest; what is left is at most one dose on
    each side at the same distance (or doses exactly at the target), about which the complete
    information says nothing: the trial's uniform picks one at random. LOWEST: the lowest tied
    dose (R's ``which.min``). RANDOM: the rule of Wages & Varhegyi's benchmark application
    (``npoptimal``): distances ``|count / n - target|`` computed in double precision, the doses
    at exactly the smallest one tied (so equal distances on either side of the target may be
    split by rounding, as there), and one of them chosen uniformly by the trial's uniform.
    """
    D = p_tox.shape[0]
    for d in range(D):
        cnt[d] = 0
    for i in range(n):
        u = draw(tk, i, STREAM_TOLERANCE)
        for d in range(D):
            if u < p_tox[d]:
                cnt[d] += 1
    if ties == RANDOM:
        best = np.inf
        k = 0  # doses at the smallest distance so far
        for d in range(D):
            dist = abs(cnt[d] / n - target)
            if dist < best:
                best = dist
                k = 1
            elif dist == best:
                k += 1
        j = 0 if k == 1 else min(k - 1, int(draw(tk, 0, STREAM_BENCHMARK) * k))
        for d in range(D):
            if abs(cnt[d] / n - target) == best:
                if j == 0:
                    return d
                j -= 1
        return D - 1  # not reached: one dose is at the smallest distance
    goal = n * target
    bd = abs(cnt[0] - goal)
    for d in range(1, D):
        bd = min(bd, abs(cnt[d] - goal))
    below = -1  # highest tied dose below the target
    above = -1  # lowest tied dose above the target
    first_at = -1  # doses exactly at the target: first and number
    n_at = 0
    for d in range(D):
        dd = cnt[d] - goal
        if abs(dd) > bd + TIE:
            continue
        if ties == LOWEST:
            return d
        if abs(dd) <= TIE:
            if n_at == 0:
                first_at = d
            n_at += 1
        elif dd < 0:
            below = d
        elif above < 0:
            above = d
    if n_at > 0:
        if n_at == 1:
            return first_at
        return first_at + min(n_at - 1, int(draw(tk, 0, STREAM_BENCHMARK) * n_at))
    if below < 0:
        return above
    if above < 0:
        return below
    return below if draw(tk, 0, STREAM_BENCHMARK) < 0.5 else above


@jit(parallel=True)
def run(p_tox, targets, keys, per_scenario, n, ties, sel):
    """``sel[r]`` (1-based) for rows ``r`` of ``per_scenario`` trials under each scenario (row r:
    scenario ``r // per_scenario``, trial ``r % per_scenario``, as in the designs' batches)."""
    rows = sel.shape[0]
    D = p_tox.shape[1]
    chunk = 1024
    for ch in prange((rows + chunk - 1) // chunk):
        cnt = np.zeros(D, dtype=np.int64)
        for r in range(ch * chunk, min(rows, (ch + 1) * chunk)):
            s = r // per_scenario
            sel[r] = select_one(p_tox[s], targets[s], trial_key(keys[s], r - s * per_scenario), n, ties, cnt) + 1
