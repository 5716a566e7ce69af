"""Composable rules applied after any design's own decision (SPEC section 4, last paragraph).

``rules`` (int64): [dont_skip, stop_n_at_dose (0 = off), which dose it looks at
(0 = the recommended next dose, 1 = the dose just treated, 2 = any dose, 3 + d = dose d, 0-based),
safety (0/1), safety
dose (0-based), select_min_n (0 = off)].
``safety_tab[n, y]`` is 1 where the safety rule stops the trial with ``y`` DLTs among ``n``
patients at the safety dose (precomputed in Python from the Beta posterior).

Order: (1) the design decides; (2) don't-skip caps an escalation at one level above the
highest dose tried; (3) the safety rule may stop the trial (no dose selected); (4) the
n-at-dose rule may stop it (the design's selection stands); (5) the engine stops at max_n.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from .codes import CONTINUE, RULE, SAFETY

NO_RULES = np.zeros(6, dtype=np.int64)
NO_SAFETY = np.zeros((1, 1), dtype=np.int8)


@jit
def apply(rules, safety_tab, n, y, cur, nxt, c, reason):
    if reason != CONTINUE:
        return nxt, c, reason
    if rules[0] == 1:
        highest = -1
        for d in range(n.shape[0]):
            if n[d] > 0:
                highest = d
        if nxt > highest + 1:
            nxt = highest + 1
    if rules[3] == 1:
        sd = rules[4]
        if n[sd] < safety_tab.shape[0] and safety_tab[n[sd], y[sd]] == 1:
            return -1, 0, SAFETY
    if rules[1] > 0:
        if rules[2] == 2:
            for d in range(n.shape[0]):
                if n[d] >= rules[1]:
                    return -1, 0, RULE
        else:
            look = nxt if rules[2] == 0 else (cur if rules[2] == 1 else rules[2] - 3)  # 3 + d: dose d (0-based)
            if n[look] >= rules[1]:
                return -1, 0, RULE
    return nxt, c, reason


@jit
def restrict_selection(rules, n, sel):
    """The final selection among doses with at least ``rules[5]`` patients: a selected dose with
    fewer moves down to the nearest dose below it that has enough (none if there is none)."""
    k = rules[5]
    if k <= 0 or sel < 0 or n[sel] >= k:
        return sel
    for d in range(sel - 1, -1, -1):
        if n[d] >= k:
            return d
    return -1
