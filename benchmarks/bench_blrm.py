"""BLRM throughput against R crmPack 2.0.1 ``simulate`` (JAGS), the same design on one machine.

Plain script, from the repository root::

    PYTHONPATH=. python benchmarks/bench_blrm.py [--trials N] [--r-trials N] [--no-r]

The design is crmPack's NCRM (LogisticLogNormal prior, NextBestNCRM, IncrementsMin of a 100 %
relative increment and no skipping, cohorts of 3, stop at 24 patients or 9 at the next dose
with P(target) >= 0.5, or when no dose is eligible), 7 doses; the operating characteristics of
the two agree within their Monte Carlo error (tests/test_blrm.py::test_crmpack_simulate).

Reported: warm-up (compile or cache load); doseesc trials/s with the decision cache on and
off, 1 and 2 threads, best of ``--repeat`` after the warm-up, for a run of ``--trials``
trials (the cache's hit rate grows with the run: a short run is also timed); the exact
enumeration's time; crmPack trials/s timed here in a subprocess (``--r-trials`` trials with
its default McmcOptions, one process) right after, and the ratio per core.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numba

import doseesc as de

DOSES = [5, 10, 20, 40, 60, 80, 120]
SCENARIOS = [[0.02, 0.05, 0.10, 0.20, 0.30, 0.45, 0.60],
             [0.01, 0.02, 0.04, 0.06, 0.10, 0.15, 0.25],
             [0.15, 0.30, 0.45, 0.60, 0.70, 0.80, 0.90]]
HERE = os.path.dirname(os.path.abspath(__file__))


def design(cache: bool = True) -> de.BLRM:
    return de.BLRM(doses=DOSES, d_ref=40, prior_mean=(-0.85, 1.0), prior_sd=(1.0, 1.0), prior_corr=-0.5,
                   target_interval=(0.2, 0.35), overdose_max=0.25, rule="ncrm", cohort_size=3, max_n=24,
                   max_increment=1.0, skip_untried=False,
                   stopping="patients_near_dose(9, percentage=0) & target_prob(0.5)", decision_cache=cache)


def rate(d, sc, n, threads, repeat):
    """Trials per second of wall time (best of ``repeat``) and, with one thread, per second of
    this process's CPU time (a per-core rate that other load on the machine does not distort)."""
    best = float("inf")
    best_cpu = float("inf")
    for r in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        de.simulate(d, sc, n_trials=n, seed=100 + r, threads=threads)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return n / best, n / best_cpu


def crmpack_rate(n_trials: int) -> tuple[float, float, str] | None:
    """crmPack's trials/s (wall, CPU) for scenario 1 with its default MCMC options, in Rscript."""
    if shutil.which("Rscript") is None:
        return None
    out = os.path.join(tempfile.mkdtemp(), "crm.json")
    cmd = ["Rscript", os.path.join(HERE, "r", "crmpack_sim.R"), out, str(n_trials), "1"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        print("crmPack run failed:", res.stderr.strip().splitlines()[-1:] or res.returncode)
        return None
    r = json.load(open(out))
    res = r["results"]["scenario1"]
    return n_trials / res["seconds"], n_trials / res["cpu_seconds"], r["meta"]["mcmc"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--r-trials", type=int, default=20)
    ap.add_argument("--no-r", action="store_true")
    a = ap.parse_args()
    scs = [de.Scenario(p, target=0.275) for p in SCENARIOS]
    t0 = time.perf_counter()
    for c in (True, False):
        de.simulate(design(c), scs[0], n_trials=300, seed=0)
    print(f"warm-up (compile or cache load): {time.perf_counter() - t0:.1f} s")
    threads = [t for t in (1, 2) if t <= numba.config.NUMBA_NUM_THREADS]
    rows = []
    for i, sc in enumerate(scs):
        for th in threads:
            short = rate(design(), sc, 2_000, th, a.repeat)
            long = rate(design(), sc, a.trials, th, a.repeat)
            nocache = rate(design(False), sc, 1_000, th, 1)
            rows.append((i + 1, th, nocache, short, long))
            cpu = f"   (per CPU second: {nocache[1]:,.0f} / {short[1]:,.0f} / {long[1]:,.0f})" if th == 1 else ""
            print(f"scenario {i + 1} threads={th}: no cache {nocache[0]:8,.0f}/s   cache, 2,000 trials "
                  f"{short[0]:9,.0f}/s   cache, {a.trials:,} trials {long[0]:11,.0f}/s{cpu}", flush=True)
    t0 = time.perf_counter()
    de.exact(design(), scs[0])
    print(f"exact operating characteristics, scenario 1: {time.perf_counter() - t0:.1f} s")
    if a.no_r:
        return
    r = crmpack_rate(a.r_trials)
    if r is None:
        print("R crmPack not available: no side-by-side ratio")
        return
    crm, crm_cpu, mcmc = r
    print(f"crmPack 2.0.1 simulate, scenario 1, {a.r_trials} trials, {mcmc}: {crm:.3f} trials/s of wall time, "
          f"{crm_cpu:.3f} per CPU second (one process)")
    one = [row for row in rows if row[0] == 1 and row[1] == 1][0]
    print(f"ratio per core (CPU time), scenario 1: no cache {one[2][1] / crm_cpu:,.0f}x; cache, 2,000 trials "
          f"{one[3][1] / crm_cpu:,.0f}x; cache, {a.trials:,} trials {one[4][1] / crm_cpu:,.0f}x")


if __name__ == "__main__":
    sys.exit(main())
