"""Slow, obviously-correct reference implementations, for trial-by-trial cross-checks.

They take the same latent tolerances as the kernels (``doseesc._kernels.rng.uniform``), so
every simulated trial can be compared, not just averages.
"""

from __future__ import annotations

from doseesc._kernels.rng import make_key, uniform


def tolerances(seed: int, trial: int, n: int, scenario: int = 0) -> list[float]:
    key = make_key(seed, scenario)
    return [float(uniform(key, trial, i, 0)) for i in range(n)]


def three_plus_three(p_tox, u, start=1, deescalate=True):
    """The 3+3 written out as a protocol would: returns (selected 1-based or 0, n, y)."""
    D = len(p_tox)
    n = [0] * D
    y = [0] * D
    it = iter(u)

    def treat(d, k=3):
        for _ in range(k):
            n[d - 1] += 1
            y[d - 1] += next(it) < p_tox[d - 1]

    d = start
    # escalation phase
    while True:
        treat(d)
        if y[d - 1] == 1:
            treat(d)
        if y[d - 1] >= 2:
            break  # d too toxic
        if d == D:
            return d, n, y
        d += 1
    if not deescalate:
        below = d - 1
        ok = below >= 1 and n[below - 1] >= 3 and 6 * y[below - 1] <= n[below - 1]
        return (below if ok else 0), n, y
    # de-escalation phase: d is too toxic
    while True:
        if d == 1:
            return 0, n, y
        b = d - 1
        if n[b - 1] >= 6:
            return b, n, y
        if n[b - 1] == 0:
            treat(b)
            if y[b - 1] >= 2:
                d = b
                continue
        treat(b)  # fill to 6
        if y[b - 1] <= 1:
            return b, n, y
        d = b
