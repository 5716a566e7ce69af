"""EffTox: doseesc's simulation against trialr's EffTox Stan model run by R (rstan), side by side.

Run from the repository root:  python benchmarks/bench_efftox.py [--trials N] [--r-trials N]

The setting is Thall et al. (2014)'s example (doses 1, 2, 4, 6.6, 10; ESS priors; hurdles 0.5 /
0.3; p_e = p_t = 0.1; contour through (0.5, 0), (1, 0.65), (0.7, 0.25)) with cohorts of 3 and at
most 24 patients, on scenario s1 of benchmarks/r/efftox_sim.R (p_tox 0.05, 0.10, 0.20, 0.35,
0.50; p_eff 0.20, 0.40, 0.60, 0.65, 0.70; independent). doseesc: CPU seconds (process time) per
trial after a warm-up, best of 3, per thread count (wall-clock for 2 threads). R: CPU seconds per
trial of ``benchmarks/r/efftox_sim.R`` (rstan's sampling with trialr's defaults, 4 chains x 2000
iterations, one fit per cohort), either run here for ``--r-trials`` trials (needs the compiled
model, ``--r-model``; see that script) or read from the peer file it wrote
(``tests/data/peer_efftox_trialr.json``). Prints a Markdown table.

``--exact``: instead, the time of one exact enumeration (``de.exact``, kernels warm, best of
``--repeats``) of EffTox on 3 doses (real doses 1, 2, 4; cohorts of 3) with 9 and 12 patients, on the
scenario of tests/test_efftox.py's exact test (p_tox 0.05, 0.12, 0.25; p_eff 0.1, 0.3, 0.5): the
README's EffTox exact timings.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import tempfile
import time

import numpy as np

import doseesc as de

ROOT = pathlib.Path(__file__).resolve().parents[1]
SC = de.Scenario(p_tox=[0.05, 0.10, 0.20, 0.35, 0.50], target=0.3, p_eff=[0.20, 0.40, 0.60, 0.65, 0.70])


def cpu_per_trial(d, n_trials, threads):
    de.simulate(d, SC, n_trials=50, seed=0, threads=threads)  # warm-up (compilation)
    best_cpu, best_wall = np.inf, np.inf
    for rep in range(3):
        c, t = time.process_time(), time.perf_counter()
        de.simulate(d, SC, n_trials=n_trials, seed=rep + 1, threads=threads)
        best_cpu = min(best_cpu, time.process_time() - c)
        best_wall = min(best_wall, time.perf_counter() - t)
    return best_cpu / n_trials, best_wall / n_trials


def r_cpu_per_trial(n_trials, model):
    if n_trials > 0 and model and os.path.exists(model):
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp) / "r.json"
            subprocess.run(["Rscript", str(ROOT / "benchmarks" / "r" / "efftox_sim.R"), model, str(out),
                            str(n_trials), "1", "s1"], check=True, capture_output=True, timeout=7200)
            res = json.loads(out.read_text())
        return res["cpu_s"] / res["n_trials"], res["n_trials"], res["rstan"], "run here now"
    peer = ROOT / "tests" / "data" / "peer_efftox_trialr.json"
    if peer.exists():
        s1 = json.loads(peer.read_text())["scenarios"]["s1"]
        return s1["cpu_s"] / s1["n_trials"], s1["n_trials"], s1["rstan"], f"from {peer.name}"
    return None


def exact_times(repeats: int) -> None:
    sc = de.Scenario(p_tox=[0.05, 0.12, 0.25], target=0.25, p_eff=[0.1, 0.3, 0.5])
    print(f"| EffTox, 3 doses, cohorts of 3 | terminal states | exact, s (best of {repeats}) |")
    print("|---|---:|---:|")
    for max_n in (9, 12):
        d = de.EffTox(real_doses=[1, 2, 4], cohort_size=3, max_n=max_n)
        de.exact(d, sc)  # warm-up (compilation)
        best = np.inf
        for _ in range(repeats):
            t = time.perf_counter()
            ex = de.exact(d, sc)
            best = min(best, time.perf_counter() - t)
        print(f"| {max_n} patients | {len(ex.records):,} | {best:.2f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--r-trials", type=int, default=0)
    ap.add_argument("--r-model", default="/tmp/efftox-r/EffTox_model.rds")
    ap.add_argument("--exact", action="store_true", help="time exact enumeration instead (see above)")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    if a.exact:
        exact_times(a.repeats)
        return
    d = de.EffTox().replace(max_n=24)
    rows = []
    r = r_cpu_per_trial(a.r_trials, a.r_model)
    for threads in (1, 2):
        try:
            cpu, wall = cpu_per_trial(d, a.trials, threads)
        except ValueError as err:  # fewer threads configured
            print(f"(threads={threads}: {err})")
            continue
        rows.append((threads, cpu, wall))
    print("| implementation | threads | CPU s / trial | trials / CPU s | wall s / trial | ratio (CPU) |")
    print("|---|---|---|---|---|---|")
    for threads, cpu, wall in rows:
        ratio = f"{r[0] / cpu:,.0f}x" if r else "-"
        print(f"| doseesc {de.__version__} EffTox | {threads} | {cpu:.5f} | {1 / cpu:,.1f} | {wall:.5f} | {ratio} |")
    if r:
        print(f"| R rstan {r[2]} + trialr EffTox.stan ({r[1]} trials, {r[3]}) | 1 | {r[0]:.2f} | "
              f"{1 / r[0]:.3f} | - | 1x |")


if __name__ == "__main__":
    main()
