"""TITE-BOIN12: trials per second of doseesc's simulator, one thread (or as given), after a warm-up.

Run from the repository root:  python benchmarks/bench_tite_boin12.py [--trials N] [--threads 1 2]

There is no R peer to time beside it: TITE-BOIN12 is distributed as the trialdesign.org web
application, with no R package on CRAN to run here. BOIN12 under the same time model,
waiting for complete data (``wait_complete=True``, the same kernel), is timed beside it.

Settings: 5 doses, phi_t 0.35, phi_e 0.25, u = (100, 40, 60, 0), cohorts of 3, 36 patients;
scenario S1 of bench_boin12.py; DLT window 28 days, efficacy window 84 days (both uniform
times), Poisson accrual of 3 patients per 28 days (fast accrual: many decisions on pending
data) and of 8 patients per 3.5 years (the MSC trials' pace). Best of 3 runs. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import doseesc as de

TOX = [0.05, 0.10, 0.20, 0.30, 0.50]
EFF = [0.10, 0.30, 0.50, 0.50, 0.50]
ACCRUALS = [("3 per 28 days", 3 / 28), ("8 per 3.5 years (MSC)", 8 / (3.5 * 365.25))]


def rate(d, sc, n_trials, threads):
    de.simulate(d, sc, n_trials=min(n_trials, 2000), seed=0, threads=threads)  # warm-up (compiles on first use)
    best = np.inf
    for rep in range(3):
        t = time.perf_counter()
        de.simulate(d, sc, n_trials=n_trials, seed=rep + 1, threads=threads)
        best = min(best, time.perf_counter() - t)
    return n_trials / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20_000)
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    a = ap.parse_args()
    designs = [("TITE-BOIN12", de.TITEBOIN12(cohort_size=3, max_n=36)),
               ("BOIN12, waits for complete data", de.TITEBOIN12(cohort_size=3, max_n=36, wait_complete=True))]
    print("| design | accrual | threads | trials/s |")
    print("|---|---|---:|---:|")
    for aname, r in ACCRUALS:
        tm = de.TimeModel(window=28, accrual="poisson", rate=r, eff_window=84)
        sc = de.Scenario(TOX, target=0.35, p_eff=EFF, time=tm)
        for dname, d in designs:
            for th in a.threads:
                print(f"| {dname} | {aname} | {th} | {rate(d, sc, a.trials, th):,.0f} |", flush=True)
    print("\nNo R peer: TITE-BOIN12 has no R package to run here (the design's software is the "
          "trialdesign.org web application).")


if __name__ == "__main__":
    main()
