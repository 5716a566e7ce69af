"""CRM throughput (SPEC section 8): 5 doses, 24 patients, cohorts of 1, Bayes, dfcrm defaults.

Plain script: ``PYTHONPATH=. python benchmarks/bench_crm.py [--trials N]``. Warms up (compiles
or loads the numba cache) first, then times ``simulate`` with 1 and 2 threads and reports
trials/s and the ratio to R dfcrm ``crmsim``'s ~63 trials/s on this project's machines.
"""

import argparse
import time

import numba

import doseesc as de

CRMSIM_TRIALS_PER_S = 63.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    sc = de.Scenario(p_tox=[0.05, 0.12, 0.25, 0.40, 0.55], target=0.25)
    designs = {
        "empiric": de.CRM(skeleton=de.crm_skeleton(0.05, 0.25, 3, 5), target=0.25, max_n=24),
        "logistic": de.CRM(skeleton=de.crm_skeleton(0.05, 0.25, 3, 5, model="logistic"), target=0.25,
                           max_n=24, model="logistic"),
    }
    t0 = time.perf_counter()
    for d in designs.values():
        de.simulate(d, sc, n_trials=1000, seed=0)
    print(f"warm-up (compile or cache load): {time.perf_counter() - t0:.2f} s")
    threads = [t for t in (1, 2) if t <= numba.config.NUMBA_NUM_THREADS]
    for name, d in designs.items():
        for th in threads:
            best = float("inf")
            for r in range(a.repeat):
                t0 = time.perf_counter()
                de.simulate(d, sc, n_trials=a.trials, seed=r + 1, threads=th)
                best = min(best, time.perf_counter() - t0)
            rate = a.trials / best
            ratio = rate / CRMSIM_TRIALS_PER_S
            print(f"CRM {name:8s} threads={th}: {rate:12,.0f} trials/s  ({ratio:8,.0f}x crmsim's 63/s)")


if __name__ == "__main__":
    main()
