"""A cold `doseesc whatif` from two source trees, alternated: does a change shorten it? (issue 11)

Run from the repository root after installing doseesc:

    python benchmarks/bench_cold_ab.py /path/to/checkout-before [--pairs 5]

Each round runs ``python -m doseesc whatif`` on its defaults first with the sources of the
checkout given (``PYTHONPATH``: the code before a change, e.g. a ``git worktree add`` of the
previous commit), then with this checkout's, each in a fresh process with a fresh, empty
``NUMBA_CACHE_DIR`` (every kernel compiled, nothing kept from an earlier run, the helper
process on as for a newcomer). Prints wall-clock and CPU seconds (the command's and its helper's,
user + system) per run, the medians and the paired differences, and checks that both print the same
what-if. On a machine shared with other jobs single runs swing by 10-20%: alternating puts both
sides under the same load, and the paired differences say more than any one run.

Measured on 2026-12-01 (2-core machine, busy: the code before took 70.2-82.6 s), this checkout
with ``_jit._PlainCalls`` against the commit before it, six pairs (five by a shell loop doing
what this script does, one by this script): paired differences +7.0, -10.6, -4.6, -10.9, +1.4 and
+1.0 s (median -1.8 s): no change the day's noise would let one tell.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cold_run(tree: str) -> tuple[float, float, str]:
    """(wall s, CPU s of the command and its children, stdout) of one cold what-if with ``tree``'s sources."""
    cache = tempfile.mkdtemp(prefix="doseesc-cold-ab-")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=tree)
    env.pop("DOSEESC_NO_AHEAD", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "doseesc", "whatif"], env=env, capture_output=True, text=True)
    finally:
        wall = time.perf_counter() - t0
        shutil.rmtree(cache, ignore_errors=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"bench_cold_ab: the what-if failed with the sources in {tree}:\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", help="a checkout of the code before the change (its root folder)")
    ap.add_argument("--pairs", type=int, default=5, help="rounds of (before, this checkout); default 5")
    a = ap.parse_args(argv)
    before = os.path.abspath(a.before)
    if not os.path.isfile(os.path.join(before, "doseesc", "__init__.py")):
        raise SystemExit(f"bench_cold_ab: before: no doseesc package in {before}")
    print(f"before: {before}\nafter: {HERE}\nload average {os.getloadavg()[0]:.2f}")
    print("| round | before wall s | before CPU s | after wall s | after CPU s | after - before, wall s |")
    print("|---:|---:|---:|---:|---:|---:|")
    rows = []
    for k in range(1, a.pairs + 1):
        wb, cb, ob = cold_run(before)
        wa, ca, oa = cold_run(HERE)
        if oa != ob:
            print("note: the two what-ifs printed different output", file=sys.stderr)
        rows.append((wb, cb, wa, ca))
        print(f"| {k} | {wb:.1f} | {cb:.1f} | {wa:.1f} | {ca:.1f} | {wa - wb:+.1f} |", flush=True)
    med = [statistics.median(r[i] for r in rows) for i in range(4)]
    diff = statistics.median(r[2] - r[0] for r in rows)
    print(f"| median | {med[0]:.1f} | {med[1]:.1f} | {med[2]:.1f} | {med[3]:.1f} | {diff:+.1f} |")


if __name__ == "__main__":
    main()
