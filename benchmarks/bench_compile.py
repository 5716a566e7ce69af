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

Also printed: the time spent inside LLVM (numba's ``llvm_lock``: IR parsing, optimisation and
machine-code generation), numba's compiler passes by self time, and the functions compiled for
more than one signature (each signature is a whole compile).

Measured on this project's 2-core machine, shared with other jobs (load average 1.6-5; wall
times swing with it, so compare CPU seconds of runs made side by side), NUMBA_NUM_THREADS=1,
numba 0.68.1, before issue 11's compile work (commit 076dc93):

* cold ``doseesc whatif``: 225.9, 226.1 and 242.5 CPU-s in three runs (wall 277-736 s); 227
  doseesc functions (345 compile events with numba's own). Entry points (wall s, the 277-s run):
  ``trial.run_batch`` 67, ``tite.run_batch`` 59, ``exact.enumerate_states`` 58,
  ``graded.run_batch`` 14. LLVM held its lock for 121 of the 208 s of compiling (58%); numba's
  passes by self time: native lowering 114 s (LLVM's work happens in it), parfor lowering 40 s
  (the ``parallel=True`` batch kernels), IR inlining 20 s, typing 18 s.
* cold ``doseesc simulate --design boin ... --n-trials 1000`` (the second command above):
  94.9 / 95.0 CPU-s; 159 doseesc functions: the integer-code dispatch compiles every family's
  decisions (EffTox, BLRM, ...) into the one trial loop, whatever the design.

Levers tried, one at a time (cold CPU-s beside a baseline run at the same time; warm speed from
``benchmarks/bench_warm.py``, one thread):

* no IR-level inlining (``@jit(inline=True)`` -> ``@jit`` in every kernel file but tite.py and
  timing.py): what-if 230.0 CPU-s (no gain; 249 functions, since each callee becomes its own
  library and every caller's module still links, re-optimises and re-generates it), and warm
  speed fell: 3+3 -37%, BOIN -44%, CRM -39%, BLRM -12%. Rejected.
* IR-inlining the wrappers ``expand`` / ``expand_into`` into ``enumerate_states``: 225.1 CPU-s, no
  gain. (``_run_chunk`` cannot be inlined into the ``prange`` body: numba refuses, "Calling a
  closure with *args is unsupported".) Rejected.
* one signature of ``trial.run_trial`` (length-0 efficacy arrays instead of ``None``, so the
  efficacy-free copy of the loop and its decision tree is no longer compiled): cold simulate
  BOIN 87.3 CPU-s against 95.0 for the baseline run beside it (-8%); warm speed unchanged within
  noise. Kept. Cold what-if, beside a baseline run at load 5: 237.1 against 242.5 CPU-s (-2%;
  226 functions).
* ``trial.run_batch`` without ``parallel=True`` (a plain loop; threads would then have to come
  from Python): cold simulate BOIN 81.6 against 94.9 CPU-s (-14%: numba's parfor lowering
  compiles the loop into a gufunc and links it again into the wrapper). Not done here: it moves
  threading out of numba (SPEC section 3 says prange).
* per-design TITE kernels: ``tite.run_batch_boin`` for TITE-BOIN (the event loop alone, the
  general loop's TITE-BOIN branch removed), ``run_batch`` / ``run_batch12`` for TITE-CRM /
  TITE-BOIN12, which pass None for the other design's scratch so that numba prunes its branches
  of ``run_trial``; and exact enumeration of phase I/II designs without EffTox's decisions. Cold
  simulate (CPU-s, before -> after): TITE-BOIN 41.7 -> 11.0, TITE-CRM 45.6-47.0 -> 23-26,
  TITE-BOIN12 48-50 -> 25; cold exact BOIN12 31.3 -> 10.8. Records unchanged, warm speed the same
  or higher (``bench_warm.py``). Kept. Cold what-if at load 0.5-1, run back to back: 214.8
  CPU-s (wall 181 s, 138 s compiling, 215 functions; entry points ``trial.run_batch`` 52,
  ``exact.enumerate_states`` 50, ``graded.run_batch`` 15, ``tite.run_batch12`` 14) against
  279.7 CPU-s (wall 245 s, 199 s compiling, 227 functions; ``tite.run_batch`` 57) for the code
  before these changes (commit 422578b). Then the graded loop split the same way (gBOIN / the
  quasi-CRM): cold gBOIN simulate 17.0 -> 6.7 CPU-s; cold what-if 205.9 CPU-s (wall 174 s, 133 s
  compiling, 205 functions; ``graded.run_batch`` 4).

Then (this round's last changes): the what-if keeps each design's decision cache between runs
(its time outside compilation 56 -> 25 s, one thread) and, on a cold cache, starts a helper
process (``doseesc/_ahead.py``) that compiles the simulation loops while the what-if compiles
exact enumeration. This script then counts only this process's compiling (the helper's is in
its own process); the wall time is the whole run's: 97.0 and 101.0 s with NUMBA_NUM_THREADS=1,
102.7 s with the default two threads (load 0.3-1.9), against 178.0 s (179.9 CPU-s, 121.5 s
compiling, 205 functions) for a run of the code before them, made the same day.

Then per-family compilation (``_kernels/dispatch.py``, ``_jit.for_code``): outside the what-if,
the design code reaches the kernels as a compile-time constant and each family compiles only its
own decisions. Cold ``doseesc simulate --design boin`` (the second command above): 11.9 s
compiling (13.5 CPU-s for the command; 27 doseesc functions), against about 87 CPU-s before. A
cold what-if with a per-family compile of the trial loop and of exact enumeration took 146-149 s
(six families, each compiling both); with the what-if keeping one shared compile for all its
families (``_jit.all_families``) it is 107 s (load 0.9), as before within the machine's noise.

Then the what-if compiles the helper's last unclaimed steps itself while it waits for the helper's
trial loop (``_ahead._steal``): 87.6, 92.6 and 91.8 s wall against 96.1 and 97.5 s for the code
before, run the same day (default two threads, load 0.5-1). The cold command from the shell (both
processes' CPU: 186-194 s in 96-100 s of wall) did not move: the run is CPU-bound on two cores.

Then (this round): where the LLVM time goes. Timing numba's ``CPUCodeLibrary.finalize`` and
counting each library's instructions before and after it links in the libraries of the functions
it calls showed the duplication: in one process (DOSEESC_NO_AHEAD=1), 685,000 instructions after
linking for 118,000 of their own, 73 of the 159 s of compiling spent finalising. The biggest
copies were the ``parallel=True`` wrappers (gufunc, its two wrappers and the kernel, each a full
copy of the 37,000-instruction every-family trial loop) and the exact-enumeration chain
(``enumerate_states`` -> ``expand`` -> ``expand_into``). The what-if now runs its trial loop and
TITE-BOIN12's as serial kernels from Python threads (``engine/backends.rows_in_threads``) and
inlines the chain; with the BLRM's and EffTox's evaluation inlined into their caches: 40.9 s
finalising, 120 s compiling in one process. The cold command from the shell, two processes:
96-100 s before, 85.0 s after the first two changes, 79.6 s once the helper compiles the trial
loop after the loops that need no toxicity family (it then loads the families' decisions from the
kernel cache), 71.3 s once the overloads' implementations are cached too (128 CPU-s).

Numba's code-generation settings can be compared by the environment, e.g.
``NUMBA_OPT=1 python benchmarks/bench_compile.py``: on this machine the cold compile of exact
enumeration took 55.6 CPU-s at the default NUMBA_OPT=3, 51.9 s at NUMBA_OPT=1 and 52.5 s
without LLVM's loop and SLP vectorizers: most of LLVM's time is not the optimisation level's.
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

    # where compile time goes inside numba: the time spent holding LLVM's lock (IR parsing,
    # optimisation and machine-code generation of each function's module, which links in the
    # modules of everything it calls) and the time per compiler pass (typing, lowering, ...)
    llvm = [0.0, 0]
    passes: dict[str, float] = {}

    class LLVMTimer(ev.Listener):
        def on_start(self, event):
            self.t0 = time.perf_counter()

        def on_end(self, event):
            llvm[0] += time.perf_counter() - self.t0
            llvm[1] += 1

    class PassTimer(ev.Listener):  # self time per pass: a pass's time minus its nested passes' time
        def __init__(self):
            self.stack = []

        def on_start(self, event):
            self.stack.append([time.perf_counter(), 0.0])

        def on_end(self, event):
            t0, inner = self.stack.pop()
            dt = time.perf_counter() - t0
            if self.stack:
                self.stack[-1][1] += dt
            name = event.data["name"].split(" [")[0]
            passes[name] = passes.get(name, 0.0) + dt - inner

    ev.register("numba:llvm_lock", LLVMTimer())
    ev.register("numba:run_pass", PassTimer())
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
    print(f"inside LLVM (llvm_lock held): {llvm[0]:.1f} s of wall in {llvm[1]} calls", file=out)
    print("compiler passes with the most self time (s; LLVM work is inside the lowering passes):",
          file=out)
    for name, dt in sorted(passes.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {dt:7.1f}  {name}", file=out)
    print("\nentry points (total s, self s):", file=out)
    for name, _, dt, own in sorted(top, key=lambda r: -r[2]):
        print(f"  {dt:7.1f} {own:7.1f}  {name}", file=out)
    print("\nmost self time (self s, total s, depth):", file=out)
    for name, depth, dt, own in sorted(selfs, key=lambda r: -r[3])[:20]:
        print(f"  {own:7.1f} {dt:7.1f}  d{depth}  {name}", file=out)
    # a function compiled for several signatures (int32 vs int64, C vs A layout, None vs array,
    # readonly vs writable) pays its whole compile once per signature
    per_name: dict[str, list[float]] = {}
    for name, _, _, own in selfs:
        per_name.setdefault(name, []).append(own)
    multi = sorted(((len(v), sum(v), k) for k, v in per_name.items() if len(v) > 1), reverse=True)
    print(f"\n{len(per_name)} distinct functions; compiled more than once (count, self s):", file=out)
    for k, t, name in multi[:20]:
        print(f"  {k:3d} {t:7.1f}  {name}", file=out)


if __name__ == "__main__":
    main(sys.argv[1:])
