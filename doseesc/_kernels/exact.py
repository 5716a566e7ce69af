"""Exact enumeration in one compiled call: every cohort's expansion and merge of equal states.

The same steps as the Python loop it replaces (``engine/api.py``, kept as the fallback): from
the initial state, treat one more cohort from every state (:func:`.trial.expand`), merge equal
states by a 64-bit hash of their rows (a stable sort by hash, then equal rows summed in their
order of appearance, as ``np.bincount`` does), and collect the terminal states, merged the same
way at the end. Same order of operations, so the same probabilities to the last bit; a call
costs one crossing into compiled code instead of two per cohort.

Returns a status with the results: 0 done; 1 a hash collision (two different rows with equal
hashes: the caller redoes the work in Python, which merges by full rows); 2 the state budget
``max_states`` was exceeded; 3 a cohort's expansion would need more than ``budget`` bytes.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from .trial import expand, initial_state, row_hashes

# trial.expand, IR-inlined here: called as its own compiled function, its library (the whole
# decision code of every family, in the what-if) was linked into this one and optimised and
# machine-coded again (numba links a callee's module into each caller's); inlined, that happens
# once. Measured with benchmarks/bench_compile.py (see there); same records (tests).
_expand = jit(expand.py_func, inline=True)

DONE = 0
COLLISION = 1
TOO_MANY_STATES = 2
TOO_MUCH_MEMORY = 3


@jit
def merge(rows, probs):
    """Merge equal rows of ``rows`` (adding their ``probs``), ordered by row hash; returns
    (rows, probs, collided)."""
    n = rows.shape[0]
    if n < 2:
        return rows, probs, False
    h = row_hashes(rows)
    order = np.argsort(h)  # numba's quicksort: ties in any order ...
    _stabilize(h, order)  # ... put back in order of appearance (numba's mergesort is 2.5x slower)
    out = np.empty((n, rows.shape[1]), dtype=np.int64)
    outp = np.zeros(n)
    g = _merge_into(rows, probs, h, order, out, outp)
    if g < 0:
        return rows, probs, True
    return out[:g], outp[:g], False


@jit
def _stabilize(h, order):
    """Sort each run of equal ``h[order]`` by index (insertion sort; runs are the few copies of
    one state), making ``order`` the stable sort by hash, as ``np.argsort(kind="stable")``."""
    n = order.shape[0]
    k = 0
    while k < n:
        e = k + 1
        while e < n and h[order[e]] == h[order[k]]:
            e += 1
        for i in range(k + 1, e):
            v = order[i]
            j = i - 1
            while j >= k and order[j] > v:
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = v
        k = e


@jit
def _merge_into(rows, probs, h, order, out, outp):
    """The groups of equal hashes, in hash order, into ``out``/``outp``; returns their number,
    or -1 when two different rows share a hash."""
    width = rows.shape[1]
    g = -1
    prev = np.uint64(0)
    for k in range(rows.shape[0]):
        i = order[k]
        if k == 0 or h[i] != prev:
            g += 1
            for j in range(width):
                out[g, j] = rows[i, j]
            prev = h[i]
        else:
            for j in range(width):
                if rows[i, j] != out[g, j]:
                    return -1
        outp[g] += probs[i]
    return g + 1


@jit
def enumerate_states(code, ipar, fpar, tab, rules, safety_tab, p_tox, max_n, n_aux, n_work, max_states, budget):
    """All terminal states and their probabilities: ``(status, term, term_p, n_states, cohort,
    bytes)`` (the last three say where a budget ran out; with ``TOO_MUCH_MEMORY``, ``n_states``
    is the number of states about to be expanded)."""
    n_doses = p_tox.shape[0]
    rows = initial_state(code, ipar, fpar, tab, n_doses, n_aux, max_n)
    probs = np.ones(1)
    tw = 2 + 2 * n_doses
    term = np.empty((64, tw), dtype=np.int64)
    term_p = np.empty(64)
    nt = 0
    n_states = 0
    cohort = 0
    while rows.shape[0] > 0:
        cohort += 1
        cmax = 0
        for r in range(rows.shape[0]):
            cmax = max(cmax, rows[r, 1])
        need = rows.shape[0] * (cmax + 1) * 8 * (2 * rows.shape[1] + 2)
        if need > budget:
            return TOO_MUCH_MEMORY, term[:0], term_p[:0], rows.shape[0], cohort, need
        child, child_p, t, tp = _expand(code, ipar, fpar, tab, rules, safety_tab, p_tox, max_n, n_aux, rows, probs,
                                        n_work)
        rows, probs, bad = merge(child, child_p)
        if bad:
            return COLLISION, term[:0], term_p[:0], n_states, cohort, 0
        n_states += rows.shape[0]
        if n_states > max_states:
            return TOO_MANY_STATES, term[:0], term_p[:0], n_states, cohort, 0
        if nt + t.shape[0] > term.shape[0]:
            cap = max(2 * term.shape[0], nt + t.shape[0])
            grown = np.empty((cap, tw), dtype=np.int64)
            grown_p = np.empty(cap)
            grown[:nt] = term[:nt]
            grown_p[:nt] = term_p[:nt]
            term = grown
            term_p = grown_p
        term[nt:nt + t.shape[0]] = t
        term_p[nt:nt + t.shape[0]] = tp
        nt += t.shape[0]
    term, term_p, bad = merge(term[:nt], term_p[:nt])
    if bad:
        return COLLISION, term[:0], term_p[:0], n_states, cohort, 0
    return DONE, term, term_p, n_states, cohort, 0
