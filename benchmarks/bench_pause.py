"""User and system time of a million BOIN trials, back to back and after a pause (issue 15, SPEC section 8).

Run from the repository root::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_pause.py [--pauses 0,0,3,0,3,0,3] [--trials 1000000]

``bench_peers.py`` times doseesc in rounds interleaved with R, so each doseesc run starts a few
seconds after the previous one. This script separates what such a pause costs: for each entry of
``--pauses`` it sleeps that many seconds, then runs the BOIN setting of ``bench_peers.py`` (6 doses,
30 patients, cohorts of 3, one thread) and prints the wall clock, the user and system CPU time of
the process, and the minor page faults. The records of the run are dropped before the next one,
as in ``bench_peers.py``.

Measured here (load about 1) before the per-trial records were cut: user 0.57-0.68 s in every run,
system 0.03-0.05 s back to back and 0.23-0.45 s after a 3-s pause, with the same 5,300 page faults
for 232 MB of records. After (no AE, drop-out or time arrays in an untimed run without AE
probabilities, int32 counts: 64 MB; and each trial written out in the loop), at load 0.2: user
0.53-0.55 s, system 0.01 s back to back and 0.06-0.10 s after a 3-s pause, 3,500 page faults.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import doseesc as de


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pauses", default="0,0,3,0,3,0,3", help="seconds to sleep before each run")
    ap.add_argument("--trials", type=int, default=1_000_000)
    a = ap.parse_args(argv)
    d = de.BOIN(target=0.3, cohort_size=3, max_n=30)
    sc = de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45, 0.6], target=0.3)
    de.simulate(d, sc, n_trials=20_000, seed=0, threads=1)  # warm-up (compile or load)
    print("| pause before (s) | wall (s) | user CPU (s) | system CPU (s) | minor page faults |")
    print("|---:|---:|---:|---:|---:|")
    for pause in (float(x) for x in a.pauses.split(",")):
        time.sleep(pause)
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        c0, t0 = os.times(), time.perf_counter()
        oc = de.simulate(d, sc, n_trials=a.trials, seed=1, threads=1)
        wall, c1 = time.perf_counter() - t0, os.times()
        f1 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        del oc
        print(f"| {pause:g} | {wall:.3f} | {c1.user - c0.user:.2f} | {c1.system - c0.system:.2f} | {f1 - f0:,} |",
              flush=True)


if __name__ == "__main__":
    main()
