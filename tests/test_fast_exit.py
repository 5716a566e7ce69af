"""The command line ends its process without the interpreter's teardown (``cli._exit_now``):
everything an ordinary exit does that a user could see must still happen."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code: str, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for k in ("DOSEESC_DEBUG", "PYTHONUNBUFFERED"):  # stdout block-buffered, as on a user's machine
        env.pop(k, None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, **kw)


def test_exit_now_flushes_runs_atexit_joins_threads_and_keeps_the_status():
    code = """
import atexit, sys, threading, time
from doseesc import cli
atexit.register(lambda: print("atexit ran", flush=False))
def late():
    time.sleep(0.3)
    sys.stdout.write("thread done\\n")
threading.Thread(target=late).start()           # non-daemon: an ordinary exit waits for it
sys.stdout.write("x" * 200000 + "\\n")          # more than any pipe buffer, unflushed
sys.stderr.write("to stderr")
cli._exit_now(3)
print("never printed")
"""
    r = _run(code)
    assert r.returncode == 3
    lines = r.stdout.splitlines()
    assert lines[0] == "x" * 200000
    assert lines[1:] == ["thread done", "atexit ran"]
    assert r.stderr == "to stderr"


def test_exit_now_leaves_a_closed_pipe_to_the_ordinary_exit():
    # stdout closed before the end: the flush fails and the ordinary exit reports it as before
    code = """
import os, sys
from doseesc import cli
sys.stdout.write("unflushed")
os.close(1)
cli._exit_now(0)
print("back in the ordinary exit", file=sys.stderr)
"""
    r = _run(code)
    assert "back in the ordinary exit" in r.stderr


@pytest.mark.parametrize("argv, status", [
    (["boundaries", "--design", "boin", "--target", "0.25", "--cohort-size", "3", "--max-n", "30",
      "--format", "csv"], 0),
    (["boundaries", "--design", "boin", "--target", "1.5", "--cohort-size", "3", "--max-n", "30"], 2),
])
def test_console_keeps_the_status_and_the_output_of_main(argv, status):
    fast = _run(f"import sys; sys.argv = ['doseesc'] + {argv!r}; from doseesc.cli import console; console()")
    plain = _run(f"import sys; from doseesc.cli import main; sys.exit(main({argv!r}))")
    assert fast.returncode == plain.returncode == status
    assert (fast.stdout, fast.stderr) == (plain.stdout, plain.stderr)
    if status == 0:
        assert len(fast.stdout.splitlines()) > 3
    else:
        assert fast.stderr.startswith("doseesc: error: target") and fast.stdout == ""
