"""What a newcomer waits for: the doseesc command's start-up, cold and warm (issue 11).

Run from the repository root after installing doseesc:  python benchmarks/bench_startup.py

Measures, each in a fresh process (wall-clock, median of --repeats runs unless stated):

* ``import doseesc`` (python -c, minus a bare interpreter's start);
* ``doseesc whatif`` on its defaults with a cold kernel cache (a fresh, empty NUMBA_CACHE_DIR:
  every kernel the command needs is compiled; one run, it is slow by design);
* ``doseesc whatif`` warm (the same cache, now full);
* ``doseesc simulate --design boin`` of 100,000 trials (6 doses, 30 patients, cohorts of 3), warm;
* ``doseesc next`` for one live recommendation, warm.

Prints a Markdown table for the README. Timings on a shared 2-core machine vary by 20-30%.

Python's byte-code cache is on, as on a newcomer's machine: ``pip install .`` (README line 1)
compiles every module of the package to ``.pyc`` at install time, even under
``PYTHONDONTWRITEBYTECODE=1``, and a Python without that variable writes the cache of an editable
install at its first import. So the commands run without ``PYTHONDONTWRITEBYTECODE``, after the
installed package is byte-compiled (``compileall``, as pip does). Where the variable is set, the
install is editable and nothing was byte-compiled (this project's own sandbox), every command
compiles doseesc's imported modules from source (about 0.1 s more each time): the warm BOIN run
is then also timed in that setting first (a kernel cache of its own), before anything is
byte-compiled. ``--no-bytecode`` measures everything in the environment as it is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TARGETS = {"import": 0.5, "whatif cold": 45.0, "whatif warm": 3.0, "boin 100k warm": 1.0}


def _doseesc() -> list[str]:
    exe = shutil.which("doseesc")
    return [exe] if exe else [sys.executable, "-m", "doseesc"]


def timed(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _package_dir() -> str:
    import importlib.util

    return os.path.dirname(importlib.util.find_spec("doseesc").origin)


def _has_bytecode() -> bool:
    """Whether doseesc's modules have byte-code for this interpreter."""
    import glob

    tag = sys.implementation.cache_tag
    return bool(glob.glob(os.path.join(_package_dir(), "**", "__pycache__", f"*.{tag}.pyc"), recursive=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-bytecode", action="store_true",
                    help="run in the environment as it is: no byte-compiling, PYTHONDONTWRITEBYTECODE as set")
    args = ap.parse_args()
    cache = tempfile.mkdtemp(prefix="doseesc-bench-cache-")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    boin = ["simulate", "--design", "boin", "--truth", "0.05,0.1,0.2,0.3,0.45,0.6", "--target", "0.3",
            "--cohort-size", "3", "--max-n", "30", "--n-trials", "100000", "--no-progress"]
    rows, later = [], []  # later: rows printed after the others
    if not args.no_bytecode:
        if os.environ.get("PYTHONDONTWRITEBYTECODE") and not _has_bytecode():
            cache2 = tempfile.mkdtemp(prefix="doseesc-bench-cache-")
            raw = dict(env, NUMBA_CACHE_DIR=cache2)
            try:
                timed(_doseesc() + boin, raw)  # compile the BOIN path once
                later.append(("doseesc simulate, BOIN, 100,000 trials, warm, with PYTHONDONTWRITEBYTECODE=1 and "
                             "nothing byte-compiled (each run compiles doseesc's modules from source)",
                             statistics.median(timed(_doseesc() + boin, raw) for _ in range(args.repeats)), None))
            finally:
                shutil.rmtree(cache2, ignore_errors=True)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        code = "import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=1)"
        subprocess.run([sys.executable, "-c", code, _package_dir()], env=env, check=True)
    try:
        bare = statistics.median(timed([sys.executable, "-c", "pass"], env) for _ in range(args.repeats))
        imp = statistics.median(timed([sys.executable, "-c", "import doseesc"], env) for _ in range(args.repeats))
        rows.append(("import doseesc (minus the interpreter's own start)", imp - bare, "import"))
        rows.append(("doseesc whatif, cold cache (compiles the kernels; 1 run)",
                     timed(_doseesc() + ["whatif"], env), "whatif cold"))
        rows.append(("doseesc whatif, warm", statistics.median(timed(_doseesc() + ["whatif"], env)
                                                              for _ in range(args.repeats)), "whatif warm"))
        timed(_doseesc() + boin, env)  # compile the BOIN path once
        rows.append(("doseesc simulate, BOIN, 100,000 trials, warm",
                     statistics.median(timed(_doseesc() + boin, env) for _ in range(args.repeats)), "boin 100k warm"))
        nxt = ["next", "--design", "boin", "--target", "0.3", "--cohort-size", "3", "--max-n", "30", "--n-doses", "5",
               "1NNN 2NTN"]
        timed(_doseesc() + nxt, env)
        rows.append(("doseesc next (one live recommendation), warm",
                     statistics.median(timed(_doseesc() + nxt, env) for _ in range(args.repeats)), None))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(f"| what (fresh process, wall clock; median of {args.repeats} unless stated) | seconds | target |")
    print("|---|---:|---:|")
    for what, sec, key in rows + later:
        target = f"< {TARGETS[key]:g}" if key else "-"
        print(f"| {what} | {sec:.2f} | {target} |")


if __name__ == "__main__":
    main()
