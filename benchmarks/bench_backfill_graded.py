"""BF-BOIN, gBOIN and QuasiCRM: doseesc against the R peers, side by side on this machine, and
plain BOIN with and without a time model (toxicity-only runs must not slow down); the 3+3, the
CRM and the BLRM with backfill beside the plain designs under the same time model.

Run from the repository root:  python benchmarks/bench_backfill_graded.py [--quick] [--r-trials N]

Settings: BF-BOIN on Zhao et al. (2024) scenario 2 (5 doses, target 0.25, cohorts of 3, 30
escalation patients, n_earlystop 9, cap 12, 3 patients a month, 1-month window, uniform
accrual) against R bfboin 0.1.1's get.oc.bf; gBOIN on setting G1 of tests/data/peer_gboin.json
(5 doses, 4 toxicity categories, cohorts of 3, 30 patients) against R TITEgBOIN 0.4.0's
get_oc_TITE_QuasiBOIN(TITE = FALSE); QuasiCRM on the same graded scenario (cohorts of 3, 30
patients; no R simulator exists, dfcrm's crm() per decision would be the closest); BF-3+3 and
BF-CRM (skeleton = the true S2 curve, cohorts of 3, 30 escalation patients) on S2 (no R peer
implements these rules: crmPack 2.1's backfill simulates its own Bayesian logistic designs, not
these); BF-BLRM (rule ncrm, doses 1, 2, 4, 8, 16 with reference dose 4, the default prior,
cohorts of 3, 30 escalation patients) on S2, with a tenth of the trials per timing (a BLRM
decision is a posterior integral; the decision cache is on). doseesc runs
after a warm-up, best of 3, per thread count; R in one Rscript process per peer, best of 3
after a warm-up (libraries: $R_LIBS, default /work/Rlib-bf:/work/Rlib-cal). Prints a
Markdown table (trials per second).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np

import doseesc as de

S2_TOX = [0.12, 0.25, 0.42, 0.49, 0.55]
S2_EFF = [0.2, 0.3, 0.4, 0.5, 0.6]
G1 = [[0.12, 0.06, 0.02], [0.18, 0.12, 0.05], [0.22, 0.18, 0.10], [0.25, 0.25, 0.15], [0.25, 0.30, 0.25]]

R_BFBOIN = r"""
suppressMessages(library(bfboin))
n <- as.integer(commandArgs(trailingOnly = TRUE)[1])
run <- function(k) get.oc.bf(ntrial = k, seed = 1, target = 0.25, p.true = c(0.12, 0.25, 0.42, 0.49, 0.55),
  ncohort = 10, cohortsize = 3, n.earlystop = 9, p.saf = 0.15, p.tox = 0.35, n.cap = 12, n.per.month = 3,
  dlt.window = 1, p.response.true = c(0.2, 0.3, 0.4, 0.5, 0.6), accrual = "uniform")
invisible(run(20))
best <- Inf
for (i in 1:3) { t0 <- proc.time()[["elapsed"]]; invisible(run(n)); best <- min(best, proc.time()[["elapsed"]] - t0) }
cat(n / best, as.character(packageVersion("bfboin")), R.version.string, sep = "\n")
"""

R_GBOIN = r"""
suppressMessages(library(TITEgBOIN))
n <- as.integer(commandArgs(trailingOnly = TRUE)[1])
prob <- matrix(c(0.80,0.12,0.06,0.02, 0.65,0.18,0.12,0.05, 0.50,0.22,0.18,0.10, 0.35,0.25,0.25,0.15,
                 0.20,0.25,0.30,0.25), nrow = 4)
run <- function(k) get_oc_TITE_QuasiBOIN(target = 0.47 / 1.5, prob = prob, score = c(0, 0.5, 1, 1.5),
  TITE = FALSE, ncohort = 10, cohortsize = 3, ntrial = k, seed = 1)
invisible(run(20))
best <- Inf
for (i in 1:3) { t0 <- proc.time()[["elapsed"]]; invisible(run(n)); best <- min(best, proc.time()[["elapsed"]] - t0) }
cat(n / best, as.character(packageVersion("TITEgBOIN")), R.version.string, sep = "\n")
"""


def rate(d, sc, n_trials, threads):
    de.simulate(d, sc, n_trials=min(n_trials, 20_000), seed=0, threads=threads)  # warm-up (compile or load)
    best = np.inf
    for rep in range(3):
        t = time.perf_counter()
        de.simulate(d, sc, n_trials=n_trials, seed=rep + 1, threads=threads)
        best = min(best, time.perf_counter() - t)
    return n_trials / best


def r_rate(script, n):
    if shutil.which("Rscript") is None:
        return None, "Rscript not found"
    env = dict(os.environ)
    env.setdefault("R_LIBS", "/work/Rlib-bf:/work/Rlib-cal")
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(["Rscript", f.name, str(n)], capture_output=True, text=True, env=env, timeout=3600)
    finally:
        os.unlink(f.name)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"
    lines = out.stdout.strip().splitlines()
    return float(lines[0]), f"{lines[1]}, {lines[2]}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer trials")
    ap.add_argument("--r-trials", type=int, default=500, help="trials per R timing (default 500)")
    args = ap.parse_args(argv)
    n = 20_000 if args.quick else 100_000
    threads = sorted({1, numba.config.NUMBA_NUM_THREADS})
    tm = de.TimeModel(window=1, accrual="uniform", rate=3, onset="late")
    bf_sc = de.Scenario(S2_TOX, target=0.25, p_eff=S2_EFF, time=tm)
    boin = de.BOIN(target=0.25, cohort_size=3, max_n=30, n_earlystop=9, p_saf=0.15, p_tox=0.35)
    g_sc = de.Scenario.from_grades(G1, target=0.25, dlt_grade=2)
    crm = de.CRM(skeleton=[0.12, 0.25, 0.42, 0.49, 0.55], target=0.25, cohort_size=3, max_n=30)
    blrm = de.BLRM(doses=[1, 2, 4, 8, 16], d_ref=4, rule="ncrm", cohort_size=3, max_n=30)
    rows = [
        ("BF-BOIN (Zhao S2, cap 12)", boin.with_backfill(cap=12), bf_sc, R_BFBOIN),
        ("BOIN, same time model (no backfill)", boin, de.Scenario(S2_TOX, target=0.25, time=tm), None),
        ("BOIN, no time model", boin, de.Scenario(S2_TOX, target=0.25), None),
        ("BF-3+3 (Zhao S2, cap 12)", de.ThreePlusThree().with_backfill(cap=12), bf_sc, None),
        ("3+3, same time model (no backfill)", de.ThreePlusThree(), de.Scenario(S2_TOX, target=0.25, time=tm), None),
        ("BF-CRM (Zhao S2, cap 12)", crm.with_backfill(cap=12), bf_sc, None),
        ("CRM, same time model (no backfill)", crm, de.Scenario(S2_TOX, target=0.25, time=tm), None),
        ("BF-BLRM (Zhao S2, cap 12)", blrm.with_backfill(cap=12), bf_sc, None),
        ("BLRM, same time model (no backfill)", blrm, de.Scenario(S2_TOX, target=0.25, time=tm), None),
        ("gBOIN (G1)", de.gBOIN(target=0.47 / 1.5, cohort_size=3, max_n=30, scores=(0, 0.5, 1, 1.5)), g_sc, R_GBOIN),
        ("QuasiCRM (G1)", de.QuasiCRM(skeleton=[0.1, 0.2, 0.3, 0.4, 0.5], target=0.47 / 1.5, cohort_size=3,
                                      max_n=30, scores=(0, 0.5, 1, 1.5)), g_sc, None),
    ]
    print(f"doseesc {de.__version__}, numba {numba.__version__}, Python {sys.version.split()[0]}; "
          f"{n:,} trials per doseesc timing, {args.r_trials} per R timing\n")
    head = "| design | " + " | ".join(f"doseesc {t} thread{'s' if t > 1 else ''}" for t in threads) + \
        " | R peer | R trials/s | ratio (1 thread) |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for label, d, sc, script in rows:
        rates = [rate(d, sc, n // 10 if "BLRM" in label else n, t) for t in threads]
        r, what = (None, "none") if script is None else r_rate(script, args.r_trials)
        ratio = f"{rates[0] / r:,.0f}x" if r else "-"
        print(f"| {label} | " + " | ".join(f"{x:,.0f}" for x in rates) +
              f" | {what} | {'-' if r is None else f'{r:,.1f}'} | {ratio} |")


if __name__ == "__main__":
    main()
