"""Counter-based arrival, onset and drop-out times (shared by the cohort loop and time-to-event designs).

``tm`` = [on, window, accrual (0 fixed, 1 Poisson), rate, onset (0 uniform, 1 Weibull), shape,
waiting (0 turn away, 1 queue), drop-out hazard (0: none)].
"""

from __future__ import annotations

import math

from .._jit import jit
from .rng import STREAM_ARRIVAL, STREAM_DROPOUT, STREAM_ONSET, uniform


@jit
def gap(tm, key, t, j):
    """Time between arrival j-1 and arrival j of trial t."""
    if tm[2] == 0.0:
        return 1.0 / tm[3]
    return -math.log(uniform(key, t, j, STREAM_ARRIVAL)) / tm[3]


@jit
def onset(tm, key, t, i):
    """DLT onset time of enrolled patient i, given a DLT, in (0, window)."""
    v = uniform(key, t, i, STREAM_ONSET)
    w = tm[1]
    if tm[4] == 0.0:
        return w * v
    # Weibull(shape k, scale w) truncated to (0, w): invert F(x) = (1 - exp(-(x/w)^k)) / (1 - exp(-1))
    return w * (-math.log(1.0 - v * (1.0 - math.exp(-1.0)))) ** (1.0 / tm[5])


@jit
def dropout(tm, key, t, i):
    """Time from enrolment to drop-out of enrolled patient i: exponential with rate ``tm[7]`` (> 0)."""
    return -math.log(uniform(key, t, i, STREAM_DROPOUT)) / tm[7]
