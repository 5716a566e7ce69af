"""Compiling ahead in a second process, for a cold `doseesc whatif` (issue 11).

numba compiles in one thread per process (its compiler holds a global lock), and a cold
what-if spends most of its time compiling: exact enumeration first, then the simulation loops.
On a cold kernel cache the what-if therefore starts one helper process (``python -m
doseesc._ahead DIR STEP ...``) that compiles the simulation loops it will need later, each by
running a tiny simulation through the public API (so the compiled signatures are exactly the
ones the what-if calls), while this process compiles exact enumeration. The helper leaves its
machine code in the shared kernel cache, from which this process then loads it.

Who compiles what is settled by claims: before a step's kernel is first used here, or before
the helper starts the step, the one that gets there first creates ``DIR/STEP.claim`` (an
atomic exclusive create) and the other waits for ``DIR/STEP.done`` (this process), or skips
the step (the helper). A step the helper claimed is waited for, never compiled twice; while
waiting, this process claims and compiles the helper's last unclaimed steps itself (work the
helper would reach last) instead of idling. If the
helper fails or ends early, this process stops waiting and compiles what it needs itself:
results never depend on the helper, only the time does.

Both processes save into one kernel cache; numba's cache index is not safe for two writers at
once (two signatures of one function saved at the same moment can be mapped to one data file),
so ``_jit`` locks each index save and load across processes, and the helper starts only where
that lock exists (POSIX).

The helper starts only when the what-if compiles: at its first doseesc compile event (numba
fires one only on a cache miss), so a warm run, or one refused for bad input, never starts it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

from numba.core import event as _event

#: the steps, in the helper's order: what the what-if needs after exact enumeration. The loops
#: that need none of the toxicity families' decisions come first: by the time the helper reaches
#: the trial loop, this process has compiled those decisions for exact enumeration (and saved
#: them in the kernel cache), and the helper loads them instead of compiling them a second time
#: (cold what-if, run back to back: 85.0 s and 147 CPU-s with the trial loop first, 79.6 s and
#: 135 CPU-s so)
STEPS = ("tite12", "graded", "benchmark", "cohort", "exact_eff")

#: what each step compiles, for the notice
WHAT = {"cohort": "the trial loop", "tite12": "TITE-BOIN12's loop", "graded": "the graded loop",
        "benchmark": "the complete-information benchmark", "exact_eff": "exact enumeration with efficacy"}

_STATE: dict | None = None  # this process's helper: {"dir", "proc", "seen"}


def _claim(folder: str, step: str) -> bool:
    try:
        os.close(os.open(os.path.join(folder, step + ".claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def _done(folder: str, step: str) -> None:
    with open(os.path.join(folder, step + ".done"), "w"):
        pass


def start() -> bool:
    """Start the helper unless ``DOSEESC_NO_AHEAD`` is set, numba's cache index cannot be locked
    across processes here (not POSIX), or one already runs in this process; returns whether it
    started."""
    global _STATE
    from ._jit import index_locked

    if _STATE is not None or os.environ.get("DOSEESC_NO_AHEAD") or not index_locked():
        return False
    folder = tempfile.mkdtemp(prefix="doseesc-ahead-")
    env = dict(os.environ)  # the helper imports this very doseesc, however this process found it
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        proc = subprocess.Popen([sys.executable, "-m", "doseesc._ahead", folder, *STEPS], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return False
    _STATE = {"dir": folder, "proc": proc, "seen": set()}
    return True


def wait(step: str) -> None:
    """Before this process first uses ``step``'s kernel: claim it (compile it here), or wait
    until the helper, which claimed it, has compiled it. Free when no helper runs."""
    st = _STATE
    if st is None or step in st["seen"]:
        return
    st["seen"].add(step)
    folder, proc = st["dir"], st["proc"]
    if _claim(folder, step):
        return
    done = os.path.join(folder, step + ".done")
    said = False
    while not os.path.exists(done) and proc.poll() is None:
        if _steal(st, step):
            continue
        if not said:
            print(f"  waiting for the helper process compiling {WHAT.get(step, step)}", file=sys.stderr, flush=True)
            said = True
        time.sleep(0.05)


def _steal(st: dict, waiting_for: str) -> bool:
    """While waiting for the helper: compile here the last of its steps that nobody has claimed
    yet (the helper takes them in order, so the ends of its list are the ones it would reach
    last), instead of idling. Returns whether a step was compiled. When the helper still took the
    trial loop first, this process finished exact enumeration about 12 s before the helper
    finished the trial loop and waited; it then compiled exact enumeration with efficacy, the
    benchmark and the graded loop (benchmarks/bench_compile.py: 96.1 and 97.5 -> 87.6, 92.6 and
    91.8 s; the command from the shell stayed at 96-100 s, bound by the two processes' CPU time).
    In the present order (``STEPS``) the helper is usually done first."""
    folder = st["dir"]
    # never the step the helper takes next: it would be compiled here while the helper idles
    after = STEPS[STEPS.index(waiting_for) + 2:] if waiting_for in STEPS else STEPS
    for s in reversed(after):
        if s in st["seen"]:
            continue
        if _claim(folder, s):
            st["seen"].add(s)
            print(f"  compiling {WHAT.get(s, s)} here while the helper compiles {WHAT.get(waiting_for, waiting_for)}",
                  file=sys.stderr, flush=True)
            try:  # a failure here is the real call's to report, when it compiles the kernel itself
                with contextlib.suppress(Exception):
                    _run_step(s)
            finally:
                with contextlib.suppress(OSError):
                    _done(folder, s)
            return True
    return False


def finish() -> None:
    """After the what-if: stop the helper if it still runs, and remove its claims folder."""
    global _STATE
    st, _STATE = _STATE, None
    if st is not None:
        proc = st["proc"]
        if proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(Exception):
                proc.wait(timeout=10)
        shutil.rmtree(st["dir"], ignore_errors=True)


class _FirstCompile(_event.Listener):
    """Starts the helper at the first compile of a doseesc function (a cache miss)."""

    def __init__(self, stream):
        self.stream = stream
        self.fired = False

    def on_start(self, event) -> None:
        func = getattr(event.data.get("dispatcher"), "py_func", None)
        if self.fired or not getattr(func, "__module__", "").startswith("doseesc."):
            return
        self.fired = True
        if start():
            print("doseesc: a helper process compiles the simulation loops while this one compiles exact "
                  "enumeration (the counts below are this process's)", file=self.stream, flush=True)

    def on_end(self, event) -> None:
        pass


@contextlib.contextmanager
def helping(stream=None):
    """While active, the first compile of a doseesc kernel starts the helper (see the module
    docstring); on exit the helper is stopped."""
    listener = _FirstCompile(sys.stderr if stream is None else stream)
    _event.register("numba:compile", listener)
    try:
        yield
    finally:
        _event.unregister("numba:compile", listener)
        finish()


# ---------------------------------------------------------------------------------------------
# the helper process


def _run_step(step: str) -> None:
    """Compile ``step``'s kernel by a tiny run of exactly the kinds of arrays the what-if passes."""
    import doseesc as de

    from ._jit import all_families

    if step == "cohort":  # the what-if's shared (every-family) trial loop: _jit.all_families
        with all_families():
            de.simulate(de.BOIN(target=0.2, cohort_size=3, max_n=6), de.Scenario([0.1, 0.3], target=0.2),
                        n_trials=2, seed=1)
    elif step == "tite12":
        sc = de.Scenario([0.1, 0.3], p_eff=[0.3, 0.5], target=0.2, utility=(100, 40, 60, 0),
                         time=de.TimeModel(window=60.0, rate=0.1))
        with all_families():  # as in the what-if: TITE-BOIN12's serial loop (backends.rows_in_threads)
            de.simulate(de.TITEBOIN12(phi_t=0.2, n_doses=2, cohort_size=3, max_n=6), sc, n_trials=2, seed=1)
    elif step == "graded":
        sc = de.Scenario.from_grades([[0.2, 0.1, 0.04], [0.3, 0.15, 0.1]], target=0.2)
        de.simulate(de.gBOIN(target=0.2, cohort_size=3, max_n=6, scores=(0, 0, 0.5, 1)), sc, n_trials=2, seed=1)
    elif step == "benchmark":
        de.optimal_benchmark(de.Scenario([0.1, 0.3], target=0.2), 6, n_trials=2, seed=1)
    elif step == "exact_eff":
        sc = de.Scenario([0.1, 0.3], p_eff=[0.3, 0.5], target=0.2, utility=(100, 40, 60, 0))
        de.exact(de.BOIN12(phi_t=0.2, n_doses=2, cohort_size=3, max_n=6), sc)
    else:
        raise ValueError(f"step: expected one of {', '.join(STEPS)}, got {step!r}")


def main(argv: list[str]) -> int:
    folder, steps = argv[0], argv[1:]
    for step in steps:
        if not os.path.isdir(folder):  # the what-if has ended
            return 0
        if _claim(folder, step):
            try:
                _run_step(step)
            finally:
                with contextlib.suppress(OSError):
                    _done(folder, step)
    return 0


if __name__ == "__main__":
    from doseesc import _entry

    # as in the doseesc command: once numba's registries are set up (at the first compile), what the
    # imports and they allocated is frozen out of the compiles' collections (_entry.py): Python's
    # collections took 2.0 s of a 29-s cold compile of the CRM's loop, 1.0 s so
    _entry.pause()
    _entry.resume_on_compile()
    sys.exit(main(sys.argv[1:]))
