"""3+3 and A+B decisions (SPEC section 4; bcrm ``threep3`` semantics for the default 3+3).

The A+B design of Lin & Shih (2001, Biostatistics 2:203), in their notation: treat ``A``
patients at a dose; with fewer than ``C`` DLTs escalate, with more than ``D`` the dose exceeds
the MTD, otherwise treat ``B`` more there; of the ``A + B``, with at most ``E`` DLTs escalate,
with more the dose exceeds the MTD. The 3+3 is A = B = 3, C = D = E = 1.

Integer parameters ``ipar``: [start dose (0-based), de-escalation allowed (0/1), A, B, C, D, E,
whether A..E are the 3+3's].
Auxiliary state ``aux``: [mode] with 0 = escalation, 1 = de-escalation (never escalate again).
Decisions depend only on per-dose counts and the mode, so exact enumeration applies.
"""

from __future__ import annotations

from .._jit import jit
from .codes import CONTINUE, RULE, SAFETY

I_A = 2
I_B = 3
I_C = 4
I_D = 5
I_E = 6
I_STD = 7  # 1: the 3+3's parameters (3, 3, 1, 1, 1), decided by the code below with them as constants
N_IPAR = 8


@jit
def start(ipar, aux):
    aux[0] = 0
    return ipar[0], ipar[I_A]


@jit(inline=True)
def exceeded(ipar, nd, yd):
    """The dose exceeds the MTD: more than D DLTs among the first A patients, or more than E once
    the B more have come (whole cohorts or, in live use, part of one)."""
    if nd <= ipar[I_A]:
        return yd > ipar[I_D]
    return yd > ipar[I_E]


@jit
def _step_down(ipar, n, aux, cur):
    """``cur`` exceeds the MTD: find where to go next."""
    ab = ipar[I_A] + ipar[I_B]
    if ipar[1] == 0:  # escalation-only: stop; select() picks the dose below, if it was found acceptable
        for d in range(cur):
            if n[d] > 0:
                return -1, 0, RULE
        return -1, 0, SAFETY  # no dose below was given (the lowest dose, or the start dose): none can be selected
    if cur == 0:
        return -1, 0, SAFETY
    if n[cur - 1] >= ab:
        return -1, 0, RULE
    aux[0] = 1
    return cur - 1, ab - n[cur - 1] if n[cur - 1] >= ipar[I_A] else ipar[I_A], CONTINUE


@jit(inline=True)
def _decide33(ipar, n, y, aux, cur):
    """:func:`decide` with the 3+3's constants (the same decisions: a dose exceeds the MTD with 2
    or more DLTs in 3 or 6); exact 3+3 enumeration spends most of its time here, and the general
    code's parameter reads cost it a fifth of its speed."""
    n_doses = n.shape[0]
    nd = n[cur]
    yd = y[cur]
    if yd >= 2:
        return _step_down(ipar, n, aux, cur)  # (rare: the general step, with its parameter reads)
    for t in range(cur):  # only reachable in live use: a cohort given above a dose already found too toxic,
        if y[t] >= 2:  # where the rules act as at that dose (never a dose at or above it again)
            return _step_down(ipar, n, aux, t)
    if nd < 3:
        return cur, 3 - nd, CONTINUE
    if nd < 6 and (yd == 1 or aux[0] == 1):
        return cur, 6 - nd, CONTINUE
    if aux[0] == 1 or cur == n_doses - 1:
        return -1, 0, RULE
    if y[cur + 1] >= 2:  # only reachable in live use with out-of-protocol doses
        return -1, 0, RULE
    return cur + 1, 3, CONTINUE


@jit
def decide(ipar, n, y, aux, cur):
    if ipar[I_STD] != 0:
        return _decide33(ipar, n, y, aux, cur)
    n_doses = n.shape[0]
    a = ipar[I_A]
    ab = a + ipar[I_B]
    nd = n[cur]
    yd = y[cur]
    if exceeded(ipar, nd, yd):
        return _step_down(ipar, n, aux, cur)
    for t in range(cur):  # only reachable in live use: a cohort given above a dose already found too toxic,
        if exceeded(ipar, n[t], y[t]):  # where the rules act as at that dose (never a dose at or above it again)
            return _step_down(ipar, n, aux, t)
    if nd < a:
        return cur, a - nd, CONTINUE
    if nd < ab and (yd >= ipar[I_C] or aux[0] == 1):
        return cur, ab - nd, CONTINUE
    # Acceptable: fewer than C of A, or at most E of A + B.
    if aux[0] == 1 or cur == n_doses - 1:
        return -1, 0, RULE
    if exceeded(ipar, n[cur + 1], y[cur + 1]):  # only reachable in live use with out-of-protocol doses
        return -1, 0, RULE
    return cur + 1, a, CONTINUE


@jit
def select(ipar, n, y):
    """Highest dose with an acceptable result (fewer than C DLTs in A patients, or at most E in
    A + B; for the 3+3: 0/3, 0/6 or 1/6) below any dose that exceeds the MTD; -1 if none."""
    best = -1
    if ipar[I_STD] != 0:  # the 3+3: 0/3, 0/6 or 1/6 below any dose with 2 or more DLTs
        for d in range(n.shape[0]):
            if y[d] >= 2:
                break
            if n[d] >= 3 and 6 * y[d] <= n[d]:
                best = d
        return best
    a = ipar[I_A]
    ab = a + ipar[I_B]
    for d in range(n.shape[0]):
        if exceeded(ipar, n[d], y[d]):
            break
        if (a <= n[d] < ab and y[d] < ipar[I_C]) or (n[d] >= ab and y[d] <= ipar[I_E]):
            best = d
    return best
