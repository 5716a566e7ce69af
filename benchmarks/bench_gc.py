"""What Python's cyclic garbage collector costs the command line's start-up, and what holding it
back until the first kernel is ready (``doseesc/_entry.py``) saves.

Runs a warm command alternately through the ``doseesc`` entry point (``_entry.console``: the
collector held back, then frozen) and through ``cli.console`` directly (Python's defaults), each
in a fresh ``python -c`` with a ``gc.callbacks`` hook that adds up the collections' count and
seconds and reports them at exit. Run from the repository root after installing doseesc::

    python benchmarks/bench_gc.py [--rounds 8] [-- COMMAND ARGS...]   # default: both commands below

Prints, per command and variant: wall-clock seconds of each run (median), collections and the
seconds spent in them (median), objects collected.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

BOIN = ["simulate", "--design", "boin", "--truth", "0.05,0.1,0.2,0.3,0.45,0.6", "--target", "0.3",
        "--cohort-size", "3", "--max-n", "30", "--n-trials", "100000", "--no-progress"]
COMMANDS = {"whatif": ["whatif"], "boin 100k": BOIN}

_PROBE = """
import atexit, gc, json, sys, time
_s = {"n": 0, "s": 0.0, "collected": 0, "t": 0.0}
def _cb(phase, info):
    if phase == "start":
        _s["t"] = time.perf_counter()
    else:
        _s["n"] += 1; _s["s"] += time.perf_counter() - _s["t"]; _s["collected"] += info["collected"]
gc.callbacks.append(_cb)
atexit.register(lambda: print("GCSTATS " + json.dumps(_s), file=sys.stderr))
sys.argv = ["doseesc"] + ARGV
from MODULE import console
console()
"""

VARIANTS = {"held back (doseesc entry)": "doseesc._entry", "Python's defaults (cli.console)": "doseesc.cli"}


def run(module: str, argv: list[str]) -> tuple[float, dict]:
    code = _PROBE.replace("ARGV", repr(argv)).replace("MODULE", module)
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"{module} {argv}: exit {p.returncode}\n{p.stderr}")
    line = [ln for ln in p.stderr.splitlines() if ln.startswith("GCSTATS ")][-1]
    return wall, json.loads(line[len("GCSTATS "):])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("command", nargs="*", help="doseesc's arguments (default: whatif and a 100,000-trial BOIN)")
    args = ap.parse_args()
    commands = {" ".join(args.command): args.command} if args.command else COMMANDS
    for name, argv in commands.items():
        run("doseesc._entry", argv)  # warm the kernel cache
        res: dict[str, list] = {v: [] for v in VARIANTS}
        for _ in range(args.rounds):
            for label, module in VARIANTS.items():
                res[label].append(run(module, argv))
        print(f"{name} ({args.rounds} rounds, alternated):")
        for label, rows in res.items():
            walls = sorted(w for w, _ in rows)
            print(f"  {label:32s} wall {walls[0]:.2f}-{walls[-1]:.2f} s (median {statistics.median(walls):.2f}); "
                  f"{statistics.median(r['n'] for _, r in rows):.0f} collections, "
                  f"{statistics.median(r['s'] for _, r in rows):.3f} s in them (median); "
                  f"{statistics.median(r['collected'] for _, r in rows):.0f} objects collected")


if __name__ == "__main__":
    main()
