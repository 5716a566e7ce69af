"""Slow, plain-Python BOIN trial and select.mtd, written from R BOIN 2.7.2's documented
semantics (get.oc / select.mtd), for trial-by-trial cross-checks of the table-driven kernel.

Everything is recomputed from the posterior at each step (no tables), with a textbook
stack-based PAVA, so it shares no code path with the kernel.
"""

from __future__ import annotations

import math

from scipy.stats import beta


def p_above(target, n, y):
    return 1.0 - beta.cdf(target, y + 1, n - y + 1)


def lambdas(target, p_saf, p_tox):
    le = math.log((1 - p_saf) / (1 - target)) / math.log(target * (1 - p_saf) / (p_saf * (1 - target)))
    ld = math.log((1 - target) / (1 - p_tox)) / math.log(p_tox * (1 - target) / (target * (1 - p_tox)))
    return le, ld


def pava(x, w):
    blocks = []  # [value, weight, count]
    for xi, wi in zip(x, w):
        blocks.append([xi, wi, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, c2 = blocks.pop()
            v1, w1, c1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    out = []
    for v, _, c in blocks:
        out += [v] * c
    return out


def select_mtd(target, n, y, cutoff=0.95, extrasafe=False, offset=0.05, bound_mtd=False, p_tox=None):
    """1-based dose or 0 (R's 99)."""
    D = len(n)
    elim = [False] * D
    for i in range(D):
        if n[i] >= 3 and p_above(target, n[i], y[i]) > cutoff:
            for j in range(i, D):
                elim[j] = True
            break
    if extrasafe and n[0] >= 3 and p_above(target, n[0], y[0]) > cutoff - offset:
        elim = [True] * D
    if elim[0] or sum(n[i] for i in range(D) if not elim[i]) == 0:
        return 0
    adm = [i for i in range(D) if n[i] > 0 and not elim[i]]
    ph = [(y[i] + 0.05) / (n[i] + 0.1) for i in adm]
    var = [(y[i] + 0.05) * (n[i] - y[i] + 0.05) / ((n[i] + 0.1) ** 2 * (n[i] + 0.1 + 1)) for i in adm]
    ph = pava(ph, [1 / v for v in var])
    ph = [p + (j + 1) * 1e-10 for j, p in enumerate(ph)]
    if bound_mtd:
        ld = lambdas(target, 0.6 * target, p_tox if p_tox is not None else 1.4 * target)[1]
        keep = [j for j in range(len(ph)) if ph[j] < ld]
        if not keep:
            return 0
    else:
        keep = range(len(ph))
    best = min(keep, key=lambda j: (abs(ph[j] - target), j))
    return adm[best] + 1


def boin_trial(p, u, target, cohort_size, max_n, start=1, cutoff=0.95, extrasafe=False, offset=0.05,
               n_earlystop=None, titration=False, bound_mtd=False, stay_at_1_of_3=False):
    """One BOIN trial on patient tolerances ``u`` (DLT iff u < p[dose]). Returns (selected, n, y)."""
    D = len(p)
    le, ld = lambdas(target, 0.6 * target, 1.4 * target)
    n = [0] * D
    y = [0] * D
    elim = [False] * D
    pt = iter(u)
    total = 0

    def treat(d, k):
        nonlocal total
        k = min(k, max_n - total)
        for _ in range(k):
            n[d] += 1
            y[d] += next(pt) < p[d]
        total += k

    d = start - 1
    if titration and cohort_size > 1:
        d = 0
        while True:
            treat(d, 1)
            if y[d] > 0 or d == D - 1:
                break
            d += 1
        treat(d, cohort_size - 1)
    else:
        treat(d, cohort_size)
    while True:
        nd, yd = n[d], y[d]
        pa = p_above(target, nd, yd) if nd >= 3 else 0.0
        if nd >= 3 and pa > cutoff:
            for j in range(d, D):
                elim[j] = True
            if d == 0:
                return 0, n, y
        # R checks the extra-safe rule only where an elimination boundary exists at n
        has_elim_row = nd >= 3 and any(p_above(target, nd, k) > cutoff for k in range(1, nd + 1))
        if extrasafe and d == 0 and has_elim_row and pa > cutoff - offset:
            return 0, n, y
        esc = yd <= math.floor(le * nd)
        bd = math.ceil(ld * nd)
        if nd >= 3 and pa > cutoff:
            bd = min(bd, yd)
        if stay_at_1_of_3 and nd == 3 and yd == 1 and not pa > cutoff:
            bd = max(bd, 2)
        de = yd >= bd
        nxt = d
        if esc and d < D - 1 and not elim[d + 1]:
            nxt = d + 1
        elif not esc and de and d > 0:
            nxt = d - 1
        if n_earlystop is not None and nd >= n_earlystop and nxt == d:
            break
        if total >= max_n:
            break
        d = nxt
        treat(d, cohort_size)
    return select_mtd(target, n, y, cutoff, extrasafe, offset, bound_mtd), n, y
