"""TITE-BOIN's simulator from two source trees in one process, alternated: does a change to its
loop make it faster? (issue 15)

Run from the repository root after installing doseesc::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_tite_boin_ab.py /path/to/checkout-before \
        [--pairs 60] [--trials 100000] [--design boin]

The other tree's ``doseesc`` package is copied to a temporary folder under another name and
imported beside this checkout's, so both run in the same process, under the same load, one right
after the other (the order alternates pair by pair). Each run is ``simulate`` on
``bench_peers.py``'s tite-boin case (6 doses, 36 patients, late onset, Poisson accrual, ESS
estimate; ``--design boin``: its BOIN case, which runs the cohort loop and the interval designs'
final selection), one thread, timed by ``time.thread_time``; a pair's ratio is this checkout's time over
the other's. Prints the median ratio with its quartiles and whether the two give the same records
(hash of every record field) for the same seed.

On this project's 2-core virtual machine (no hardware counters) a pair's ratio has quartiles about
+-5% even for two copies of the same code (60 pairs of 100,000 trials: median 0.998, quartiles
0.947-1.090), so a change of 2% needs a hundred pairs or more to be told apart from noise. The
probes behind the README's TITE-BOIN paragraph (2026-12-03) were run this way.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

import doseesc as de

FIELDS = ("selected", "stop_reason", "n_patients", "n_dlt", "duration", "waited", "turned_away")


def setting(pkg, design: str = "tite-boin"):
    """bench_peers.py's case of that key, from the package ``pkg``."""
    if design == "boin":
        return (pkg.BOIN(target=0.3, cohort_size=3, max_n=30),
                pkg.Scenario([0.05, 0.1, 0.2, 0.3, 0.45, 0.6], target=0.3))
    tm = pkg.TimeModel(window=3, accrual="poisson", rate=2, onset="late")
    return (pkg.TITEBOIN(target=0.3, max_n=36, cohort_size=3, estimate="ess"),
            pkg.Scenario([0.13, 0.28, 0.41, 0.50, 0.60, 0.70], target=0.3, time=tm))


def records_digest(oc) -> str:
    h = hashlib.sha256()
    for f in FIELDS:
        x = getattr(oc.records, f)
        if x is not None:
            h.update(np.ascontiguousarray(x).tobytes())
    return h.hexdigest()[:16]


def import_copy(src: str, name: str = "doseesc_other"):
    """The ``doseesc`` package of the tree ``src`` (a checkout or the package folder itself),
    copied to a temporary folder as ``name`` and imported."""
    pkg = os.path.join(src, "doseesc") if os.path.isdir(os.path.join(src, "doseesc")) else src
    if not os.path.isfile(os.path.join(pkg, "__init__.py")):
        raise SystemExit(f"other: no doseesc package in {src}")
    root = tempfile.mkdtemp(prefix="doseesc-ab-")
    shutil.copytree(pkg, os.path.join(root, name), ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, root)
    return importlib.import_module(name)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("other", help="the other source tree (a checkout, or its doseesc folder)")
    ap.add_argument("--pairs", type=int, default=60)
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--design", choices=("tite-boin", "boin"), default="tite-boin",
                    help="bench_peers.py's case to time (default tite-boin; boin: 6 doses, 30 patients, cohorts of 3)")
    a = ap.parse_args(argv)
    other = import_copy(a.other)
    ca, cb = setting(de, a.design), setting(other, a.design)
    same = records_digest(de.simulate(*ca, n_trials=20_000, seed=1, threads=1)) == records_digest(
        other.simulate(*cb, n_trials=20_000, seed=1, threads=1))
    ta, tb = [], []
    for k in range(a.pairs):
        runs = [(de, ca, ta), (other, cb, tb)]
        for pkg, c, acc in (runs if k % 2 == 0 else runs[::-1]):
            t = time.thread_time()
            pkg.simulate(*c, n_trials=a.trials, seed=7 + k, threads=1)
            acc.append(time.thread_time() - t)
    ratio = [x / y for x, y in zip(ta, tb)]
    q1, _, q3 = statistics.quantiles(ratio, n=4)
    print(f"{a.design}: {a.pairs} pairs of {a.trials:,} trials, one thread: "
          f"this checkout {statistics.median(ta):.4f} s, "
          f"the other {statistics.median(tb):.4f} s (medians); ratio this/other {statistics.median(ratio):.3f} "
          f"(quartiles {q1:.3f}-{q3:.3f}); records {'identical' if same else 'DIFFER'} (20,000 trials, seed 1)")


if __name__ == "__main__":
    main()
