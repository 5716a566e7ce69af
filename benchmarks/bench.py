"""Throughput and latency of doseesc's engine (SPEC section 8).

Run from the repository root:  python benchmarks/bench.py [--quick | --exact-only]

Reports, per design: trials/second with 1 and 2 threads (after a warm-up, best of 3), the
ratio to the R peer's measured speed on this project's machines, and the time of one exact
computation; plus the cold-compile time (fresh NUMBA_CACHE_DIR, in a subprocess) and the
warm first-call time (new process, cache present). Prints a Markdown table for the README.
``--exact-only``: only the exact computations, each timed over about a second of repeated calls
(median and best; kernels warm), for comparing two versions of the code run one after the other
(``PYTHONPATH=<other checkout> python benchmarks/bench.py --exact-only``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import doseesc as de

# Peers' speed on this project's machines (../shared/reference: each record's ntrial / seconds).
R_SPEED = {"BOIN": 1150.0, "CRM": 63.0, "TITE-CRM": 1000 / 12.445}  # titesim: peer_tite_visible.jsonl
# R TITEgBOIN 0.3.0 get_oc_TITE_QuasiBOIN (R 4.2.2, this machine, one process): 3,000 trials of the
# reference setting T1 (tests/data/peer_titeboin_titegboin.json) in 6.98 s
R_SPEED["TITEgBOIN"] = 3000 / 6.98
# The same peers timed side by side on this machine (R 4.2.2, one process, the stored CRAN sources
# of BOIN 2.7.1 and dfcrm, byte-compiled; best of 3 after a warm-up; two sessions varied by up to
# 25%): get.oc 5,000 trials of the BOIN row below, crmsim 300 trials of the CRM row, titesim 200
# trials of the TITE-CRM row.
R_HERE = {"BOIN": 1287.7, "CRM": 102.0, "TITE-CRM": 134.0, "TITEgBOIN": 3000 / 6.98}
# R escalation 0.2.3's BOIN12 simulate_trials (get_boin12 %>% stop_at_n(36) %>%
# stop_when_n_at_dose(12, "any") %>% select_boin12_obd) on the BOIN12 row's scenario, timed on
# this machine by benchmarks/bench_boin12.py (R 4.2.2, one process, best of 3 runs of 100 trials
# after a warm-up): 14.58 trials/s. No other reference speed exists, so both ratios use it.
R_SPEED["BOIN12"] = R_HERE["BOIN12"] = 14.58


def cases():
    """(label, design, scenario, peer) for every design family available in this build."""
    out = [("3+3, 6 doses", de.ThreePlusThree(), de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45, 0.6], target=0.3), None)]
    if hasattr(de, "BOIN"):
        out.append(("BOIN, 6 doses, 30 pts, cohorts of 3", de.BOIN(target=0.3, cohort_size=3, max_n=30),
                    de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45, 0.6], target=0.3), "BOIN"))
    if hasattr(de, "CRM"):
        sk = [0.05, 0.12, 0.25, 0.40, 0.55]
        out.append(("CRM, 5 doses, 24 pts, cohorts of 1", de.CRM(skeleton=sk, target=0.25, cohort_size=1, max_n=24),
                    de.Scenario([0.02, 0.06, 0.12, 0.25, 0.40], target=0.25), "CRM"))
    for name, cls in (("mTPI-2", "MTPI2"), ("Keyboard", "Keyboard"), ("i3+3", "I3plus3")):
        if hasattr(de, cls):
            out.append((f"{name}, 6 doses, 30 pts, cohorts of 3", getattr(de, cls)(target=0.3, cohort_size=3, max_n=30),
                        de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45, 0.6], target=0.3), None))
    if hasattr(de, "BOIN12"):
        out.append(("BOIN12, 5 doses, 36 pts, cohorts of 3, 12 at a dose",
                    de.BOIN12(phi_t=0.35, phi_e=0.25, u2=40, u3=60, cohort_size=3, max_n=36)
                    .stop_when_n_at_dose(12, dose="any"),
                    de.Scenario([0.05, 0.10, 0.20, 0.30, 0.50], target=0.35, p_eff=[0.10, 0.30, 0.50, 0.50, 0.50]),
                    "BOIN12"))
    if hasattr(de, "TITECRM"):
        # the visible titesim row: 4 doses, 20 patients, two arrivals per DLT window
        tm = de.TimeModel(window=1, accrual="fixed", rate=2)
        out.append(("TITE-CRM, 4 doses, 20 pts, 2 arrivals/window",
                    de.TITECRM(skeleton=[0.203956, 0.3, 0.401819, 0.501346], target=0.3, max_n=20),
                    de.Scenario([0.10, 0.20, 0.30, 0.45], target=0.3, time=tm), "TITE-CRM"))
    if hasattr(de, "TITEBOIN"):
        tm = de.TimeModel(window=3, accrual="poisson", rate=2)
        out.append(("TITE-BOIN, 5 doses, 30 pts, cohorts of 3, 6 arrivals/window",
                    de.TITEBOIN(target=0.3, max_n=30, cohort_size=3),
                    de.Scenario([0.05, 0.15, 0.30, 0.45, 0.60], target=0.3, time=tm), None))
        # TITEgBOIN's setting T1: Lin & Yuan's estimate, the papers' late-onset DLT times
        tm = de.TimeModel(window=3, accrual="poisson", rate=2, onset="late")
        out.append(("TITE-BOIN (ESS), 6 doses, 36 pts, cohorts of 3, late onset",
                    de.TITEBOIN(target=0.3, max_n=36, cohort_size=3, estimate="ess"),
                    de.Scenario([0.13, 0.28, 0.41, 0.50, 0.60, 0.70], target=0.3, time=tm), "TITEgBOIN"))
    return out


def rate(design, sc, n_trials, threads):
    de.simulate(design, sc, n_trials=min(n_trials, 20_000), seed=0, threads=threads)  # warm-up
    best = np.inf
    for rep in range(3):
        t = time.perf_counter()
        de.simulate(design, sc, n_trials=n_trials, seed=rep + 1, threads=threads)
        best = min(best, time.perf_counter() - t)
    return n_trials / best


def exact_time(design, sc):
    try:
        de.exact(design, sc)
    except ValueError:
        return None
    best = np.inf
    for _ in range(3):
        t = time.perf_counter()
        de.exact(design, sc)
        best = min(best, time.perf_counter() - t)
    return best


SNIPPET = ("import time; t = time.perf_counter(); import doseesc as de; "
           "de.simulate(de.ThreePlusThree(), de.Scenario([0.05,0.1,0.2,0.3,0.45,0.6], target=0.3), 1000, 1); "
           "de.exact(de.ThreePlusThree(), de.Scenario([0.05,0.1,0.2,0.3,0.45,0.6], target=0.3)); "
           "print(time.perf_counter() - t)")


def first_call(cache_dir=None):
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", SNIPPET], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def exact_only() -> None:
    print(f"doseesc {de.__version__} from {os.path.dirname(de.__file__)}\n")
    print("| design | one exact computation, median | best | calls |")
    print("|---|---:|---:|---:|")
    for label, design, sc, _ in cases():
        first = exact_time(design, sc)
        if first is None:
            print(f"| {label} | - | - | 0 |")
            continue
        times = []
        for _ in range(max(3, min(1000, int(1.0 / first)))):
            t = time.perf_counter()
            de.exact(design, sc)
            times.append(time.perf_counter() - t)
        med, best = float(np.median(times)), min(times)
        fmt = (lambda x: f"{1e3 * x:.2f} ms") if med < 10 else (lambda x: f"{x:.1f} s")
        print(f"| {label} | {fmt(med)} | {fmt(best)} | {len(times)} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer trials (for a smoke run)")
    ap.add_argument("--exact-only", action="store_true", help="only the exact computations (see above)")
    args = ap.parse_args()
    if args.exact_only:
        exact_only()
        return
    import numba

    rows = []
    for label, design, sc, peer in cases():
        n = 20_000 if args.quick else (200_000 if peer in ("CRM", "TITE-CRM", "TITEgBOIN") else
                                       500_000 if peer == "BOIN12" else 2_000_000)
        r1 = rate(design, sc, n, 1)
        r2 = rate(design, sc, n, 2) if numba.config.NUMBA_NUM_THREADS >= 2 else float("nan")
        ex = exact_time(design, sc)
        ratio = f"{r1 / R_SPEED[peer]:,.0f}x" if peer else "-"
        here = f"{r1 / R_HERE[peer]:,.0f}x" if peer else "-"
        rows.append((label, r1, r2, ratio, here, ex))
    print(f"doseesc {de.__version__}, numba {numba.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("| design | trials/s, 1 thread | trials/s, 2 threads | vs R peer (SPEC reference rate) "
          "| vs R peer (rate stored from an earlier run here) | one exact computation |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, r1, r2, ratio, here, ex in rows:
        ext = "-" if ex is None else (f"{1e3 * ex:.1f} ms" if ex < 10 else f"{ex:.1f} s")
        print(f"| {label} | {r1:,.0f} | {r2:,.0f} | {ratio} | {here} | {ext} |")
    print("\nThe R rates above are constants in this script, not timed in this run; ratios against R timed side "
          "by side, in interleaved rounds: benchmarks/bench_peers.py (e.g. TITEgBOIN 0.4.0 ran 590-602 trials/s "
          "there, against the 430/s stored here for 0.3.0).")
    with tempfile.TemporaryDirectory() as tmp:
        cold = first_call(tmp)
    warm = first_call()
    print(f"\nimport + first simulate + first exact in a new process: cold (fresh NUMBA_CACHE_DIR, compiles) "
          f"{cold:.1f} s; warm (cache present) {warm:.2f} s")


if __name__ == "__main__":
    main()
