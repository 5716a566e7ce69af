"""doseesc against its R peers, timed side by side on this machine (issue 15, SPEC section 8).

Run from the repository root::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_peers.py [--rounds 3] [--only tite-crm,crm-logistic]
        [--rlib DIR]

For every design that has an R peer, each round times the R function (one ``Rscript`` process,
a warm-up call, then the timed call, both inside R so R's start-up is excluded) and then the same
design and scenario in doseesc (one thread, after a warm-up), interleaved so that both see the
same machine load. Prints trials/s per round, the medians and the ratio of the medians, plus the
ratio range over rounds -- by the wall clock and by CPU time (user + system time of the process:
on a shared machine the fairer "per core" measure, since neither side is charged for the time
other processes hold the core). R peers are found in ``--rlib`` (default ``$R_LIBS_USER`` or R's own
library path); a peer that is not installed is reported and skipped. Exact 3+3 is timed on its
own (no R peer installed here).

The peers (CRAN sources, built with ``R CMD INSTALL``): BOIN ``get.oc``, dfcrm ``crmsim`` and
``titesim``, TITEgBOIN ``get_oc_TITE_QuasiBOIN``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

import doseesc as de

P6 = [0.05, 0.1, 0.2, 0.3, 0.45, 0.6]
SK5 = [0.05, 0.12, 0.25, 0.40, 0.55]
P5 = [0.02, 0.06, 0.12, 0.25, 0.40]
TITE_SK = [0.203956, 0.3, 0.401819, 0.501346]


def _r_vec(x) -> str:
    return "c(" + ", ".join(repr(float(v)) for v in x) + ")"


def cases() -> list[dict]:
    """Each case: doseesc design, scenario, trials per doseesc round, R package, R call (``@N@`` =
    trials), trials per R round."""
    tm_tite = de.TimeModel(window=1, accrual="fixed", rate=2)
    tm_t1 = de.TimeModel(window=3, accrual="poisson", rate=2, onset="late")
    return [
        dict(key="boin", label="BOIN, 6 doses, 30 pts, cohorts of 3",
             design=de.BOIN(target=0.3, cohort_size=3, max_n=30), scenario=de.Scenario(P6, target=0.3),
             n=1_000_000, pkg="BOIN", r_n=4000,
             r=f"get.oc(target = 0.3, p.true = {_r_vec(P6)}, ncohort = 10, cohortsize = 3, ntrial = @N@)"),
        dict(key="crm-empiric", label="CRM empiric, 5 doses, 24 pts, cohorts of 1",
             design=de.CRM(skeleton=SK5, target=0.25, max_n=24), scenario=de.Scenario(P5, target=0.25),
             n=200_000, pkg="dfcrm", r_n=200,
             r=f"crmsim(PI = {_r_vec(P5)}, prior = {_r_vec(SK5)}, target = 0.25, n = 24, x0 = 1, nsim = @N@, "
               "count = FALSE)"),
        dict(key="crm-logistic", label="CRM logistic, 5 doses, 24 pts, cohorts of 1",
             design=de.CRM(skeleton=SK5, target=0.25, max_n=24, model="logistic"),
             scenario=de.Scenario(P5, target=0.25), n=200_000, pkg="dfcrm", r_n=200,
             r=f"crmsim(PI = {_r_vec(P5)}, prior = {_r_vec(SK5)}, target = 0.25, n = 24, x0 = 1, nsim = @N@, "
               "model = 'logistic', intcpt = 3, count = FALSE)"),
        dict(key="tite-crm", label="TITE-CRM, 4 doses, 20 pts, 2 arrivals/window (fixed)",
             design=de.TITECRM(skeleton=TITE_SK, target=0.3, max_n=20),
             scenario=de.Scenario([0.10, 0.20, 0.30, 0.45], target=0.3, time=tm_tite), n=200_000, pkg="dfcrm",
             r_n=200,
             r=f"titesim(PI = {_r_vec([0.10, 0.20, 0.30, 0.45])}, prior = {_r_vec(TITE_SK)}, target = 0.3, n = 20, "
               "x0 = 1, nsim = @N@, obswin = 1, rate = 2, accrual = 'fixed', surv = 'uniform', scheme = 'linear', "
               "count = FALSE)"),
        dict(key="tite-boin", label="TITE-BOIN (ESS), 6 doses, 36 pts, cohorts of 3, late onset (TITEgBOIN T1)",
             design=de.TITEBOIN(target=0.3, max_n=36, cohort_size=3, estimate="ess"),
             scenario=de.Scenario([0.13, 0.28, 0.41, 0.50, 0.60, 0.70], target=0.3, time=tm_t1), n=500_000,
             pkg="TITEgBOIN", r_n=1000,
             r="get_oc_TITE_QuasiBOIN(target = 0.3, prob = c(0.13, 0.28, 0.41, 0.5, 0.6, 0.7), score = NA, "
               "TITE = TRUE, ncohort = 12, cohortsize = 3, maxt = 3, accrual = 2, maxpen = 0.5, alpha1 = 0.5, "
               "alpha2 = 0.5, n.earlystop = 100, Neli = 3, startdose = 1, cutoff.eli = 0.95, extrasafe = FALSE, "
               "offset = 0.05, ntrial = @N@, seed = 1)"),
    ]


R_TEMPLATE = """
suppressMessages(library({pkg}, lib.loc = c({lib}, .libPaths())))
invisible(suppressWarnings(capture.output({warm})))
t0 <- proc.time()
invisible(suppressWarnings(capture.output({call})))
d <- proc.time() - t0
cat(sprintf("%.6f %.6f\\n", d[["elapsed"]], d[["user.self"]] + d[["sys.self"]]))
cat(as.character(packageVersion("{pkg}")), "\\n")
"""


def r_round(case: dict, rlib: str | None) -> tuple[float, float, str] | None:
    """One timed R call: (trials/s by the wall clock, trials/s of CPU time, package version), or
    None when R or the package is missing."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    lib = repr(rlib) if rlib else "character(0)"
    warm = case["r"].replace("@N@", str(max(1, case["r_n"] // 10)))
    call = case["r"].replace("@N@", str(case["r_n"]))
    code = R_TEMPLATE.format(pkg=case["pkg"], lib=lib, warm=warm, call=call)
    out = subprocess.run([rscript, "--vanilla", "-e", code], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    secs, version = out.stdout.split("\n")[:2]
    wall, cpu = (float(x) for x in secs.split())
    return case["r_n"] / wall, case["r_n"] / max(cpu, 1e-9), version.strip()


def py_round(case: dict, seed: int) -> tuple[float, float]:
    """(trials/s by the wall clock, trials/s of CPU time) of one doseesc run, one thread."""
    t, c = time.perf_counter(), time.process_time()
    de.simulate(case["design"], case["scenario"], n_trials=case["n"], seed=seed, threads=1)
    return case["n"] / (time.perf_counter() - t), case["n"] / (time.process_time() - c)


def exact_3p3_ms(repeats: int = 200) -> float:
    d = de.ThreePlusThree()
    sc = de.Scenario(P6, target=0.3)
    de.exact(d, sc)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        de.exact(d, sc)
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated case keys (default: all)")
    ap.add_argument("--rlib", default=os.environ.get("R_LIBS_USER"), help="R library holding the peers")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every trial count (smoke runs: 0.05)")
    a = ap.parse_args(argv)
    keys = [k for k in a.only.split(",") if k]
    import numba

    print(f"doseesc {de.__version__}, numba {numba.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, one thread each; {a.rounds} interleaved rounds\n")
    rows = []
    for case in cases():
        if keys and case["key"] not in keys:
            continue
        case["n"] = max(1000, int(case["n"] * a.scale))
        case["r_n"] = max(10, int(case["r_n"] * a.scale))
        de.simulate(case["design"], case["scenario"], n_trials=min(case["n"], 20_000), seed=0, threads=1)  # warm-up
        rs, ps, version = [], [], None
        for k in range(a.rounds):
            got = r_round(case, a.rlib)
            if got is not None:
                rs.append(got[:2])
                version = got[2]
            ps.append(py_round(case, k + 1))
            line = f"  {case['key']} round {k + 1}: doseesc {ps[-1][0]:,.0f}/s (CPU {ps[-1][1]:,.0f}/s)"
            if got is not None:
                line += (f", R {case['pkg']} {got[0]:,.1f}/s (CPU {got[1]:,.1f}/s), ratio {ps[-1][0] / got[0]:,.0f}x "
                         f"(CPU {ps[-1][1] / got[1]:,.0f}x)")
            print(line, flush=True)
        for i, how in enumerate(("wall", "CPU")):
            p_med = statistics.median(p[i] for p in ps)
            if rs:
                r_med = statistics.median(r[i] for r in rs)
                ratios = [p[i] / r[i] for p, r in zip(ps, rs)]
                rows.append((case["label"], how, p_med, f"{case['pkg']} {version}", f"{r_med:,.1f}",
                             f"{p_med / r_med:,.0f}x", f"{min(ratios):,.0f}-{max(ratios):,.0f}x"))
            else:
                rows.append((case["label"], how, p_med, f"{case['pkg']} (not installed)", "-", "-", "-"))
    print("\n| design | clock | doseesc trials/s | R peer | R trials/s | ratio of medians | per-round ratios |")
    print("|---|---|---:|---|---:|---:|---:|")
    for label, how, p, peer, r, ratio, span in rows:
        print(f"| {label} | {how} | {p:,.0f} | {peer} | {r} | {ratio} | {span} |")
    if not keys or "exact-3+3" in keys:
        print(f"\nexact 3+3, 6 doses (median of 200 calls, including the summaries): {exact_3p3_ms():.2f} ms")


if __name__ == "__main__":
    main()
