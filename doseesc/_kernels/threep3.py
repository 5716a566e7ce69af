"""3+3 decisions (SPEC section 4; bcrm ``threep3`` semantics for the default variant).

Integer parameters ``ipar``: [start dose (0-based), de-escalation allowed (0/1)].
Auxiliary state ``aux``: [mode] with 0 = escalation, 1 = de-escalation (never escalate again).
Decisions depend only on per-dose counts and the mode, so exact enumeration applies.
"""

from __future__ import annotations

from .._jit import jit
from .codes import CONTINUE, RULE, SAFETY


@jit
def start(ipar, aux):
    aux[0] = 0
    return ipar[0], 3


@jit
def _step_down(ipar, n, aux, cur):
    """``cur`` has >= 2 DLTs: find where to go next."""
    if ipar[1] == 0:  # escalation-only: stop; select() picks the dose below
        return -1, 0, RULE
    if cur == 0:
        return -1, 0, SAFETY
    if n[cur - 1] >= 6:
        return -1, 0, RULE
    aux[0] = 1
    return cur - 1, 6 - n[cur - 1] if n[cur - 1] >= 3 else 3, CONTINUE


@jit
def decide(ipar, n, y, aux, cur):
    n_doses = n.shape[0]
    nd = n[cur]
    yd = y[cur]
    if yd >= 2:
        return _step_down(ipar, n, aux, cur)
    for t in range(cur):  # only reachable in live use: a cohort given above a dose already found too toxic,
        if y[t] >= 2:  # where the rules act as at that dose (never a dose at or above it again)
            return _step_down(ipar, n, aux, t)
    if nd < 3:
        return cur, 3 - nd, CONTINUE
    if nd < 6 and (yd == 1 or aux[0] == 1):
        return cur, 6 - nd, CONTINUE
    # Acceptable: 0/3, or <= 1/6.
    if aux[0] == 1 or cur == n_doses - 1:
        return -1, 0, RULE
    if y[cur + 1] >= 2:  # only reachable in live use with out-of-protocol doses
        return -1, 0, RULE
    return cur + 1, 3, CONTINUE


@jit
def select(n, y):
    """Highest dose with at least 3 patients and a DLT rate <= 1/6 (0/3, 0/6 or 1/6) below any
    dose with >= 2 DLTs; -1 if none."""
    best = -1
    for d in range(n.shape[0]):
        if y[d] >= 2:
            break
        if n[d] >= 3 and 6 * y[d] <= n[d]:
            best = d
    return best
