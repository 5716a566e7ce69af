"""What the TITE-CRM decision cache's size buys (issue 15 item 4), one thread, interleaved rounds.

Run from the repository root::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_tite_levers.py [--rounds 3] [--trials 100000]
        [--slots 0,16384,65536,131072,262144]

The setting is ``bench_peers.py``'s "tite-crm" case (4 doses, 20 patients, window 1, fixed accrual of
2 per window: dfcrm ``titesim``'s). Each round runs every table size in turn on a fresh design (so
each run starts with an empty table, as a user's run does) and prints trials per CPU second. The
records must be the same whatever the size (the cache only decides whether a posterior is computed):
the script checks their hash and stops if they differ.

Measured here while other jobs shared the 2 cores (load average 4-5), 100,000 trials per run, with
keys of up to 3 pending patients (13-float slots): 0 slots (every decision computed) 30k trials/s;
65,536 slots 86k; 131,072 slots 91k; 262,144 slots 92k.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import doseesc as de
from doseesc._kernels import cache as _cache
from doseesc._kernels import tite as _tite

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from naive import records_hash

SK = [0.203956, 0.3, 0.401819, 0.501346]
P = [0.10, 0.20, 0.30, 0.45]


def design_with_slots(slots: int) -> de.TITECRM:
    """A fresh TITE-CRM of the benchmark setting whose simulator table has ``slots`` slots."""
    d = de.TITECRM(skeleton=SK, target=0.3, max_n=20)
    low = d.lower(len(SK))
    width = _tite.crm_cache_width(len(SK))
    d.__dict__["_lowered"][len(SK)] = low._replace(n_cache=_cache.size(width, slots))
    return d


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--slots", default="0,16384,65536,131072,262144")
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.slots.split(",")]
    sc = de.Scenario(P, target=0.3, time=de.TimeModel(window=1, accrual="fixed", rate=2))
    de.simulate(design_with_slots(sizes[-1]), sc, n_trials=2000, seed=0, threads=1)  # warm-up (compile)
    rates: dict[int, list[float]] = {s: [] for s in sizes}
    for r in range(a.rounds):
        hashes = set()
        for s in sizes:
            d = design_with_slots(s)
            t = time.process_time()
            oc = de.simulate(d, sc, n_trials=a.trials, seed=r + 1, threads=1)
            rates[s].append(a.trials / (time.process_time() - t))
            hashes.add(records_hash(oc.records))
        if len(hashes) != 1:
            raise SystemExit("records differ between table sizes: the cache changed a result")
        print(f"round {r + 1}: " + ", ".join(f"{s:,} slots {rates[s][-1]:,.0f}/s" for s in sizes), flush=True)
    print("\n| decision-cache slots | TITE-CRM trials per CPU second (median) |\n|---:|---:|")
    for s in sizes:
        print(f"| {s:,} | {statistics.median(rates[s]):,.0f} |")


if __name__ == "__main__":
    main()
