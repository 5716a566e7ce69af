"""What the command line's exit costs: a warm command run alternately with the fast exit
(``cli._exit_now``: no interpreter teardown) and with the ordinary one (``DOSEESC_DEBUG=1``).

Run from the repository root after installing doseesc, kernels warm::

    python benchmarks/bench_exit.py [--rounds 6] [-- COMMAND ARGS...]   # default: doseesc whatif

Prints the wall-clock seconds of each run and the medians, fast and ordinary. Measured on
2026-12-03 (2-core machine, load 0.2-0.8, 6 rounds of a warm ``doseesc whatif``): fast
2.55-3.08 s (median 2.77), ordinary 2.95-3.55 s (median 3.05); later that day at load 1.2, this
script: fast 2.85-3.14 s (median 3.05), ordinary 3.20-3.55 s (median 3.41).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("command", nargs="*", help="doseesc's arguments (default: whatif)")
    args = ap.parse_args()
    exe = shutil.which("doseesc")
    cmd = ([exe] if exe else [sys.executable, "-m", "doseesc"]) + (args.command or ["whatif"])
    fast_env = {k: v for k, v in os.environ.items() if k != "DOSEESC_DEBUG"}
    slow_env = dict(fast_env, DOSEESC_DEBUG="1")
    timed(cmd, fast_env)  # warm the kernel cache and the kept results
    fast, slow = [], []
    for _ in range(args.rounds):
        fast.append(timed(cmd, fast_env))
        slow.append(timed(cmd, slow_env))
    print(f"load average {os.getloadavg()[0]:.2f}; {' '.join(cmd[1:])}")
    print("fast exit:     " + " ".join(f"{x:.2f}" for x in sorted(fast)) + f"  median {statistics.median(fast):.2f} s")
    print("ordinary exit: " + " ".join(f"{x:.2f}" for x in sorted(slow)) + f"  median {statistics.median(slow):.2f} s")


if __name__ == "__main__":
    main()
