"""Warm speed of the hot trial loops, one thread: the check that a compile-time lever costs no speed.

Run from the repository root (kernels compiled or cached first)::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_warm.py [--rounds 3] [--scale 1.0]

Rows: ``bench.py``'s BOIN, CRM, 3+3, BOIN12, TITE-CRM and both TITE-BOIN rows, plus
``bench_blrm.py``'s BLRM design (first scenario). Each row: a warm-up run, then the best of
``--rounds`` runs in trials per second of this process's CPU time (a per-core rate that other
load on the shared machine distorts less than wall time) and the records hash of the first run
(``tests/naive.py``), so two builds can be compared for speed and for bit-identical records.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import doseesc as de

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import bench  # noqa: E402
import bench_blrm  # noqa: E402
from naive import records_hash  # noqa: E402

ROWS = {"3+3": 2_000_000, "BOIN,": 1_000_000, "CRM,": 200_000, "BOIN12": 200_000, "TITE-CRM": 200_000,
        "TITE-BOIN,": 200_000, "TITE-BOIN (ESS)": 100_000}


def cases(scale: float):
    out = []
    for label, design, sc, _ in bench.cases():
        for prefix, n in ROWS.items():
            if label.startswith(prefix):
                out.append((label, design, sc, max(1000, int(n * scale))))
    out.append(("BLRM (NCRM), 7 doses, 24 pts", bench_blrm.design(),
                de.Scenario(bench_blrm.SCENARIOS[0], target=0.25), max(1000, int(20_000 * scale))))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every row's trial count")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    print("| design | trials | trials per CPU-s, 1 thread (best of rounds) | records hash |")
    print("|---|---:|---:|---|")
    for label, design, sc, n in cases(args.scale):
        de.simulate(design, sc, n_trials=min(n, 20_000), seed=0, threads=1)  # warm-up (compile / load)
        best = float("inf")
        h = None
        for _ in range(args.rounds):
            c0 = time.process_time()
            oc = de.simulate(design, sc, n_trials=n, seed=1, threads=1)
            best = min(best, time.process_time() - c0)
            if h is None:
                h = records_hash(oc.records)
        print(f"| {label} | {n:,} | {n / best:,.0f} | {h} |", flush=True)


if __name__ == "__main__":
    main()
