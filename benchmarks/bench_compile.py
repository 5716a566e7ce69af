"""Where a cold start's time goes: numba's compilation of each kernel a command needs (issue 11).

Run from the repository root after installing doseesc:

    python benchmarks/bench_compile.py                 # a cold `doseesc whatif`
    python benchmarks/bench_compile.py simulate --design boin --truth 0.05,0.1,0.2,0.3 --target 0.3 \
        --cohort-size 3 --max-n 30 --n-trials 1000

Runs the command in this process with a fresh, empty kernel cache (a temporary
NUMBA_CACHE_DIR) and records numba's compile events: for every compiled function, its wall
time including the functions it compiled on the way (total) and without them (self). Prints
the entry points (functions compiled at top level) and the functions with the most self time,
then the command's wall and CPU time and how much of it was compilation.

Numba's code-generation settings can be compared by the environment, e.g.
``NUMBA_OPT=1 python benchmarks/bench_compile.py``: on this project's 2-core machine the cold
compile of exact enumeration took 55.6 CPU-s at the default NUMBA_OPT=3, 51.9 s at NUMBA_OPT=1
and 52.5 s without LLVM's loop and SLP vectorizers, i.e. LLVM's optimisation is a small part;
numba's typing and lowering of the ~200 functions is most of it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main(argv: list[str]) -> None:
    tmp = tempfile.mkdtemp(prefix="doseesc-cold-")
    os.environ["NUMBA_CACHE_DIR"] = tmp  # before numba is imported: everything compiles
    from numba.core import event as ev

    stack: list[tuple[str, float]] = []
    records: list[tuple[str, int, float]] = []

    class Listener(ev.Listener):
        def on_start(self, event):
            f = event.data["dispatcher"].py_func
            stack.append((f"{f.__module__}.{f.__qualname__}", time.perf_counter()))

        def on_end(self, event):
            name, t0 = stack.pop()
            records.append((name, len(stack), time.perf_counter() - t0))

    ev.register("numba:compile", Listener())
    from doseesc.cli import main as cli

    t0, c0 = time.perf_counter(), time.process_time()
    try:
        cli(argv or ["whatif"])
    except SystemExit:
        pass
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0

    # self time: a record's total minus its direct children's (children end before their parent)
    selfs = []
    child_time: dict[int, float] = {}
    for name, depth, dt in records:
        selfs.append((name, depth, dt, dt - child_time.pop(depth + 1, 0.0)))
        child_time[depth] = child_time.get(depth, 0.0) + dt
    top = [r for r in selfs if r[1] == 0]
    compiled = sum(r[2] for r in top)
    out = sys.stderr
    print(f"\ncommand: doseesc {' '.join(argv or ['whatif'])} (cold cache {tmp})", file=out)
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s; compiling {compiled:.1f} s of wall ({len(records)} functions)",
          file=out)
    print("\nentry points (total s, self s):", file=out)
    for name, _, dt, own in sorted(top, key=lambda r: -r[2]):
        print(f"  {dt:7.1f} {own:7.1f}  {name}", file=out)
    print("\nmost self time (self s, total s, depth):", file=out)
    for name, depth, dt, own in sorted(selfs, key=lambda r: -r[3])[:20]:
        print(f"  {own:7.1f} {dt:7.1f}  d{depth}  {name}", file=out)


if __name__ == "__main__":
    main(sys.argv[1:])
