"""A newcomer's first run of one design: each command on an empty kernel cache (issue 11).

Run from the repository root after installing doseesc:  python benchmarks/bench_cold_commands.py

Each command runs in a fresh process with a fresh, empty NUMBA_CACHE_DIR (so everything it needs
is compiled, and nothing else is) and with DOSEESC_NO_AHEAD=1; prints wall and CPU seconds
(children's CPU time) per command as a Markdown table. To compare with another checkout of the
sources, run it with ``PYTHONPATH=/path/to/that/checkout`` (the script runs ``python -m
doseesc``, so the checkout on the path is the one measured).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "simulate BOIN (4 doses, 1,000 trials)": ["simulate", "--design", "boin", "--truth", "0.05,0.1,0.2,0.3",
                                              "--target", "0.3", "--cohort-size", "3", "--max-n", "30",
                                              "--n-trials", "1000", "--no-progress"],
    "simulate CRM (4 doses, 1,000 trials)": ["simulate", "--design", "crm", "--skeleton", "0.05,0.1,0.2,0.3",
                                             "--truth", "0.05,0.1,0.2,0.3", "--target", "0.3", "--cohort-size", "3",
                                             "--max-n", "24", "--n-trials", "1000", "--no-progress"],
    "exact 3+3 (4 doses)": ["exact", "--design", "3+3", "--truth", "0.05,0.1,0.2,0.3", "--target", "0.3"],
    "next CRM (live recommendation)": ["next", "--design", "crm", "--skeleton", "0.05,0.1,0.2,0.3", "--target", "0.3",
                                       "--n-doses", "4", "1NNN 2NNT"],
}


def run(args: list[str]) -> tuple[float, float, int]:
    env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="doseesc-cold-cmd-"), DOSEESC_NO_AHEAD="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "doseesc", *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def main() -> None:
    import doseesc

    print(f"doseesc from {os.path.dirname(doseesc.__file__)}; load average {os.getloadavg()[0]:.2f}")
    print("| command, empty kernel cache | wall s | CPU s | exit |")
    print("|---|---:|---:|---:|")
    for label, args in COMMANDS.items():
        wall, cpu, rc = run(args)
        print(f"| {label} | {wall:.1f} | {cpu:.1f} | {rc} |", flush=True)


if __name__ == "__main__":
    main()
