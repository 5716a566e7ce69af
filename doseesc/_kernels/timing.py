"""Counter-based arrival, onset and drop-out times (shared by the cohort loop and time-to-event designs).

``tm`` = [on, window, accrual (0 fixed, 1 Poisson, 2 uniform gaps), rate, onset (0 uniform, 1 Weibull, 2 late),
shape, waiting (0 turn away, 1 queue), drop-out hazard (0: none), late share, late part, clock
(0: from the opening, 1: from the first patient, who then arrives at time 0), efficacy window, efficacy
onset (as onset), efficacy Weibull shape, efficacy late share, efficacy late part].
"""

from __future__ import annotations

import math

from .._jit import jit
from .rng import STREAM_ARRIVAL, STREAM_DROPOUT, STREAM_EFF_ONSET, STREAM_ONSET, draw, uniform


@jit(inline=True)
def gap(tm, key, t, j):
    """Time between arrival j-1 and arrival j of trial t (j = 0: from the opening to the first arrival)."""
    if j == 0 and tm[10] != 0.0:
        return 0.0
    if tm[2] == 0.0:
        return 1.0 / tm[3]
    if tm[2] == 2.0:  # gaps uniform on (0, 2 / rate): the BF-BOIN Shiny app's and R bfboin's accrual
        return 2.0 * uniform(key, t, j, STREAM_ARRIVAL) / tm[3]
    return -math.log(uniform(key, t, j, STREAM_ARRIVAL)) / tm[3]


@jit(inline=True)
def gap_tk(tm, tk, j):
    """:func:`gap` for j >= 1 from the trial's key ``tk = trial_key(key, t)`` (``uniform(key, t, ..)``
    is ``draw(tk, ..)``: the same time, one hash fewer per arrival)."""
    return gap_s(tm[2], tm[3], tk, j)


@jit(inline=True)
def gap_s(accrual, rate, tk, j):
    """:func:`gap_tk` from scalars, ``accrual = tm[2]`` and ``rate = tm[3]`` (a loop that passes no
    array to a call in its hot path; the same arithmetic as :func:`gap`)."""
    if accrual == 0.0:
        return 1.0 / rate
    if accrual == 2.0:  # uniform on (0, 2 / rate), as gap (the TITE loops drew exponential gaps here before)
        return 2.0 * draw(tk, j, STREAM_ARRIVAL) / rate
    return -math.log(draw(tk, j, STREAM_ARRIVAL)) / rate


@jit(inline=True)
def onset(tm, key, t, i, p):
    """DLT onset time of enrolled patient i, given a DLT, in (0, window); ``p`` is the DLT
    probability (within the window) at the patient's dose."""
    v = uniform(key, t, i, STREAM_ONSET)
    w = tm[1]
    if tm[4] == 0.0:
        return w * v
    if tm[4] == 1.0:
        # Weibull(shape k, scale w) truncated to (0, w): invert F(x) = (1 - exp(-(x/w)^k)) / (1 - exp(-1))
        return w * (-math.log(1.0 - v * (1.0 - math.exp(-1.0)))) ** (1.0 / tm[5])
    # "late": time to DLT Weibull, S(x) = exp(-lam x^k), with 1 - S(w) = p and a share tm[8] of
    # the DLTs in the last part tm[9] of the window: 1 - S((1 - tm[9]) w) = (1 - tm[8]) p. Given
    # a DLT, F(x) = v p inverts to x = w (log(1 - v p) / log(1 - p))^(1 / k).
    q, a, k = late_shape(tm, p)
    return w * (-math.log1p(-v * q) / a) ** (1.0 / k)


@jit(inline=True)
def late_shape(tm, p):
    """``(q, a, k)`` of the "late" onset model at DLT probability ``p`` (see :func:`onset`):
    constants of a dose, which a loop over many patients can compute once per dose."""
    q = min(p, 1.0 - 1e-12)
    a = -math.log1p(-q)
    k = math.log(a / -math.log1p(-(1.0 - tm[8]) * q)) / -math.log(1.0 - tm[9])
    return q, a, k


@jit(inline=True)
def onset_late(tm, tk, i, q, a, k):
    """:func:`onset` for the "late" model from the dose's :func:`late_shape` constants and the
    trial's key ``tk``: the same arithmetic, so the same time to the last bit."""
    v = draw(tk, i, STREAM_ONSET)
    return tm[1] * (-math.log1p(-v * q) / a) ** (1.0 / k)


@jit(inline=True)
def onset_v(model, w, shape, v, q, a, inv_k):
    """:func:`onset` (:func:`onset_late` for the "late" model) from scalars and the patient's onset
    draw ``v = draw(tk, i, STREAM_ONSET)``: ``model = tm[4]``, ``w = tm[1]``, ``shape = tm[5]``, the
    dose's :func:`late_shape` constants ``q``, ``a`` and ``inv_k = 1 / k`` (the same double as
    :func:`onset_late`'s ``1.0 / k``): the same arithmetic, so the same time to the last bit. The
    time increases with ``v`` (0 at ``v = 0``, the window at ``v = 1``), which the TITE-BOIN loop
    uses to bound it from a table before it needs the time itself."""
    if model == 2.0:
        return w * (-math.log1p(-v * q) / a) ** inv_k
    if model == 0.0:
        return w * v
    return w * (-math.log(1.0 - v * (1.0 - math.exp(-1.0)))) ** (1.0 / shape)


@jit(inline=True)
def dropout_s(rate, tk, i):
    """:func:`dropout` from the hazard ``rate = tm[7]`` and the trial's key ``tk``."""
    return -math.log(draw(tk, i, STREAM_DROPOUT)) / rate


@jit(inline=True)
def dropout(tm, key, t, i):
    """Time from enrolment to drop-out of enrolled patient i: exponential with rate ``tm[7]`` (> 0)."""
    return -math.log(uniform(key, t, i, STREAM_DROPOUT)) / tm[7]


@jit(inline=True)
def eff_onset(tm, tk, i, p):
    """Response time of enrolled patient i, given a response, in (0, efficacy window): the
    models of :func:`onset` with the efficacy fields ``tm[11..15]``; ``p`` is the dose's
    marginal response probability within the efficacy window (the "late" model's Weibull)."""
    v = draw(tk, i, STREAM_EFF_ONSET)
    w = tm[11]
    if tm[12] == 0.0:
        return w * v
    if tm[12] == 1.0:
        return w * (-math.log(1.0 - v * (1.0 - math.exp(-1.0)))) ** (1.0 / tm[13])
    q = min(max(p, 1e-12), 1.0 - 1e-12)
    a = -math.log1p(-q)
    k = math.log(a / -math.log1p(-(1.0 - tm[14]) * q)) / -math.log(1.0 - tm[15])
    return w * (-math.log1p(-v * q) / a) ** (1.0 / k)
