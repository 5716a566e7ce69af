"""The ``doseesc`` command holds Python's cyclic garbage collector back during start-up
(``doseesc/_entry.py``) and gives it back, frozen, once the first kernel is ready; the library
leaves the collector alone."""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_SIM = ("import doseesc as de; "
        "de.simulate(de.BOIN(target=0.3, cohort_size=3, max_n=12), "
        "de.Scenario(p_tox=[0.1, 0.3, 0.5], target=0.3), n_trials=50, seed=1)")


def _run(code: str, *argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("DOSEESC_DEBUG", None)
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, timeout=300)


def _state(r: subprocess.CompletedProcess) -> dict:
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.split() if "=" in line)


def test_kernel_load_resumes_and_freezes_what_start_up_allocated():
    r = _run(f"""
import gc
default = gc.get_threshold()
from doseesc import _entry
_entry.pause()
print("paused_threshold=%d" % gc.get_threshold()[0], "paused=%s" % _entry.paused())
{_SIM}
print("after_paused=%s" % _entry.paused(), "restored=%s" % (gc.get_threshold() == default),
      "frozen=%d" % gc.get_freeze_count())
""")
    s = _state(r)
    assert s["paused_threshold"] == str(500_000) and s["paused"] == "True"
    assert s["after_paused"] == "False" and s["restored"] == "True"
    assert int(s["frozen"]) > 10_000  # doseesc, NumPy and numba's registries


def test_library_use_leaves_the_collector_alone():
    r = _run(f"""
import gc
default = gc.get_threshold()
{_SIM}
print("same=%s" % (gc.get_threshold() == default), "frozen=%d" % gc.get_freeze_count())
""")
    s = _state(r)
    assert s["same"] == "True" and s["frozen"] == "0"


def test_a_compile_resumes_before_numba_compiles():
    # a cache miss (a function outside doseesc's dispatcher, so only the listener can resume):
    # the collector is given back when numba's compile event starts
    r = _run("""
import gc, numba
from doseesc import _entry
_entry.pause()
_entry.resume_on_compile()
@numba.njit(cache=False)
def f(x):
    return x + 1
f(1)
print("paused=%s" % _entry.paused(), "frozen_before_end=%s" % (gc.get_freeze_count() > 0))
""")
    s = _state(r)
    assert s["paused"] == "False" and s["frozen_before_end"] == "True"


def test_the_installed_script_is_the_entry_point():
    with open(os.path.join(ROOT, "pyproject.toml")) as fh:  # (tomllib is Python 3.11+)
        text = fh.read()
    section = re.search(r"^\[project\.scripts\]\n(.*?)(?:^\[|\Z)", text, re.S | re.M).group(1)
    assert [ln for ln in section.splitlines() if ln.strip()] == ['doseesc = "doseesc._entry:console"']


def test_the_entry_point_gives_the_output_and_status_of_main():
    argv = ["boundaries", "--design", "boin", "--target", "0.25", "--cohort-size", "3", "--max-n", "12",
            "--format", "csv"]
    entry = _run("import sys; sys.argv = ['doseesc'] + sys.argv[1:]; from doseesc._entry import console; console()",
                 *argv)
    plain = _run("import sys; from doseesc.cli import main; sys.exit(main(sys.argv[1:]))", *argv)
    assert entry.returncode == plain.returncode == 0
    assert (entry.stdout, entry.stderr) == (plain.stdout, plain.stderr) and len(entry.stdout.splitlines()) > 3
    bad = _run("import sys; sys.argv = ['doseesc'] + sys.argv[1:]; from doseesc._entry import console; console()",
               "boundaries", "--design", "boin", "--target", "1.5")
    assert bad.returncode == 2 and bad.stderr.startswith("doseesc: error: target") and "Traceback" not in bad.stderr


def test_the_compile_helper_holds_the_collector_back_until_it_compiles():
    # the cold what-if's helper process (python -m doseesc._ahead DIR STEP ...) pauses as the command
    # does; with its folder gone it ends before compiling anything, still paused
    r = _run("""
import gc, runpy, sys
sys.argv = ["_ahead", "/nonexistent-doseesc-folder", "cohort"]
try:
    runpy.run_module("doseesc._ahead", run_name="__main__")
except SystemExit as e:
    from doseesc import _entry
    print("status=%s" % e.code, "paused=%s" % _entry.paused(), "threshold=%d" % gc.get_threshold()[0])
""")
    s = _state(r)
    assert s == {"status": "0", "paused": "True", "threshold": "500000"}
