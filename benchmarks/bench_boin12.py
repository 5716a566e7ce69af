"""BOIN12: doseesc against R escalation's BOIN12 simulation, side by side on this machine, and
the time of exact BOIN12 computations.

Run from the repository root:  python benchmarks/bench_boin12.py [--quick] [--r-trials N]
                                [--exact-only] [--states N_PATIENTS]

``--exact-only`` times only the exact computations (3 doses with 18 and 36 patients, 5 doses with
18 and 24; to compare two versions, run it alternately with ``PYTHONPATH=<other checkout>``).
``--states 36`` lifts the state limit of exact enumeration and prints, for 5 doses and at most
36 patients, how many distinct states are still running at each patient total and when, until
more than ``--stop-states`` (default 12 million) are to be expanded at one total.

The setting is escalation's test setting of the MD Anderson app (5 doses, phi_t 0.35, phi_e
0.25, u = (100, 40, 60, 0), n_star 6, cohorts of 3, at most 36 patients, stop at 12 on any dose,
select_boin12_obd) on scenario S1 of tests/data/peer_boin12_escalation.json. doseesc runs after
a warm-up, best of 3, per thread count; R runs in one Rscript process (library in $R_LIBS_EFF,
default /work/Rlib-eff), best of 3 after a warm-up of 20 trials. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

import doseesc as de

TOX = [0.05, 0.10, 0.20, 0.30, 0.50]
EFF = [0.10, 0.30, 0.50, 0.50, 0.50]

R_SCRIPT = r"""
.libPaths(c(Sys.getenv("R_LIBS_EFF", "/work/Rlib-eff"), .libPaths()))
suppressMessages(library(escalation))
n <- as.integer(commandArgs(trailingOnly = TRUE)[1])
d <- get_boin12(num_doses = 5, phi_t = 0.35, phi_e = 0.25, u2 = 40, u3 = 60, n_star = 6) %>%
  stop_at_n(n = 36) %>% stop_when_n_at_dose(n = 12, dose = "any") %>% select_boin12_obd()
tox <- c(0.05, 0.10, 0.20, 0.30, 0.50); eff <- c(0.10, 0.30, 0.50, 0.50, 0.50)
set.seed(1)
invisible(simulate_trials(d, num_sims = 20, true_prob_tox = tox, true_prob_eff = eff))  # warm-up
best <- Inf
for (i in 1:3) {
  t0 <- proc.time()[["elapsed"]]
  invisible(simulate_trials(d, num_sims = n, true_prob_tox = tox, true_prob_eff = eff))
  best <- min(best, proc.time()[["elapsed"]] - t0)
}
cat(n / best, as.character(packageVersion("escalation")), R.version.string, sep = "\n")
"""


def design(max_n=36):
    return de.BOIN12(phi_t=0.35, phi_e=0.25, u2=40, u3=60, n_star=6, cohort_size=3, max_n=max_n) \
        .stop_when_n_at_dose(12, dose="any")


def rate(d, sc, n_trials, threads):
    de.simulate(d, sc, n_trials=min(n_trials, 20_000), seed=0, threads=threads)
    best = np.inf
    for rep in range(3):
        t = time.perf_counter()
        de.simulate(d, sc, n_trials=n_trials, seed=rep + 1, threads=threads)
        best = min(best, time.perf_counter() - t)
    return n_trials / best


def r_rate(n_trials):
    if shutil.which("Rscript") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_SCRIPT)
        path = fh.name
    try:
        out = subprocess.run(["Rscript", path, str(n_trials)], capture_output=True, text=True, timeout=3600)
    finally:
        os.unlink(path)
    if out.returncode != 0:
        print(f"(R escalation not available: {out.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    r, version, rver = out.stdout.strip().splitlines()[-3:]
    return float(r), version, rver


def exact_time(d, sc):
    t = time.perf_counter()
    try:
        ex = de.exact(d, sc)
    except ValueError as e:
        return None, str(e)
    return time.perf_counter() - t, len(ex.records)


def exact_table(rows):
    print("| doses | max patients | stop at 12 on a dose | seconds | terminal states |")
    print("|---:|---:|---|---:|---:|")
    for D, mx, stop in rows:
        s = de.Scenario(TOX[:D], target=0.35, p_eff=EFF[:D])
        d = design(mx) if stop else de.BOIN12(max_n=mx)
        sec, info = exact_time(d, s)
        if sec is None:
            print(f"| {D} | {mx} | {'yes' if stop else 'no'} | - | {info} |")
        else:
            print(f"| {D} | {mx} | {'yes' if stop else 'no'} | {sec:.2f} | {info:,} |")


def state_growth(max_n, stop_states):
    """Distinct states still running per patient total (5 doses), the state limit lifted: each
    total's states are counted when their expansion starts (the kernel is called on slices of
    them), and the run stops at the first total with more than ``stop_states``."""
    from doseesc.engine import api

    api.MAX_EXACT_STATES = 10**12
    t0 = time.perf_counter()
    seen = set()

    def counting(kernel, code, *args, **kw):
        if kernel.__name__ == "expand_eff":  # args[8]: a slice of one patient total's states
            rows = args[8]
            level = rows if rows.base is None else rows.base
            pts = int(rows[0, 2:2 + len(TOX)].sum())
            if pts not in seen:
                seen.add(pts)
                print(f"| {pts} | {level.shape[0]:,} | {time.perf_counter() - t0:.1f} |", flush=True)
                if level.shape[0] > stop_states:
                    print(f"\n(stopped: more than {stop_states:,} states to expand)")
                    raise SystemExit(0)
        return real(kernel, code, *args, **kw)

    real = api.for_code
    api.for_code = counting
    print(f"Exact BOIN12, 5 doses, at most {max_n} patients, stop at 12 on a dose: states still running\n")
    print("| patients so far | distinct states | seconds since start |")
    print("|---:|---:|---:|")
    de.exact(design(max_n), de.Scenario(TOX, target=0.35, p_eff=EFF))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer trials")
    ap.add_argument("--r-trials", type=int, default=100, help="R trials per timed run (default 100)")
    ap.add_argument("--exact-only", action="store_true", help="only the exact computations")
    ap.add_argument("--states", type=int, default=None, metavar="N_PATIENTS",
                    help="count the states of exact enumeration per patient total (limit lifted)")
    ap.add_argument("--stop-states", type=int, default=12_000_000)
    args = ap.parse_args()
    import numba

    if args.states is not None:
        state_growth(args.states, args.stop_states)
        return
    if args.exact_only:
        de.exact(design(6), de.Scenario(TOX, target=0.35, p_eff=EFF))  # warm-up
        print(f"doseesc {de.__version__} from {os.path.dirname(de.__file__)}\n")
        exact_table([(3, 18, True), (3, 36, True), (5, 18, True), (5, 24, True)])
        return

    sc = de.Scenario(TOX, target=0.35, p_eff=EFF)
    n = 20_000 if args.quick else 500_000
    r1 = rate(design(), sc, n, 1)
    r2 = rate(design(), sc, n, 2) if numba.config.NUMBA_NUM_THREADS >= 2 else float("nan")
    peer = None if args.quick else r_rate(args.r_trials)
    print(f"doseesc {de.__version__}, numba {numba.__version__}, {os.cpu_count()} cores, Python "
          f"{sys.version.split()[0]}\n")
    print("| BOIN12, 5 doses, 36 pts, cohorts of 3 | trials/s, 1 thread | trials/s, 2 threads | R escalation "
          "trials/s (1 process) | ratio per core |")
    print("|---|---:|---:|---:|---:|")
    if peer:
        print(f"| S1 (plateau) | {r1:,.0f} | {r2:,.0f} | {peer[0]:,.2f} (escalation {peer[1]}, {peer[2]}) "
              f"| {r1 / peer[0]:,.0f}x |")
    else:
        print(f"| S1 (plateau) | {r1:,.0f} | {r2:,.0f} | - | - |")
    print("\nExact BOIN12 (one computation, this process, kernels warm):\n")
    de.exact(design(6), sc)  # warm-up
    rows = [(3, 18, True), (3, 36, True), (5, 12, True), (5, 18, True), (5, 24, True)]
    if not args.quick:
        rows.append((5, 36, True))
    exact_table(rows)


if __name__ == "__main__":
    main()
