"""Throughput of the interval-design kernel (SPEC section 8).

Run: ``PYTHONPATH=. python benchmarks/bench_interval.py``. Warms up (JIT / cache load) first,
then times ``simulate`` with 1 and 2 threads and reports trials/s and the ratio to R BOIN
``get.oc`` (about 1,150 trials/s on this project's machines).
"""

from __future__ import annotations

import time

import numba

import doseesc as de

R_BOIN_TRIALS_PER_S = 1150.0


def _rate(design, sc, n_trials, threads, repeats=3):
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        de.simulate(design, sc, n_trials=n_trials, seed=1, threads=threads)
        best = max(best, n_trials / (time.perf_counter() - t0))
    return best


def bench_boin(n_trials: int = 1_000_000) -> dict:
    """BOIN, 6 doses, 30 patients, cohorts of 3, target 0.3: trials/s with 1 and 2 threads."""
    d = de.BOIN(target=0.3, cohort_size=3, max_n=30)
    sc = de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45, 0.6], target=0.3)
    de.simulate(d, sc, n_trials=2000, seed=1)  # warm-up: compile or load the cache
    out = {}
    for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
        r = _rate(d, sc, n_trials, threads)
        out[threads] = r
        print(f"BOIN  threads={threads}: {r:,.0f} trials/s  ({r / R_BOIN_TRIALS_PER_S:,.0f}x R get.oc)")
    return out


def bench_others(n_trials: int = 500_000) -> None:
    sc = de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45, 0.6], target=0.3)
    for cls in (de.MTPI, de.MTPI2, de.Keyboard, de.I3plus3):
        d = cls(target=0.3, cohort_size=3, max_n=30)
        de.simulate(d, sc, n_trials=2000, seed=1)
        r = _rate(d, sc, n_trials, 1)
        print(f"{cls.name:8s} threads=1: {r:,.0f} trials/s")


if __name__ == "__main__":
    bench_boin()
    bench_others()
