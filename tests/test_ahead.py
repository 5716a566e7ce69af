"""The cold what-if's helper process (``doseesc._ahead``): claims settle who compiles a step,
a step the helper claimed is waited for, a dead helper never leaves the what-if waiting, the
helper starts at the what-if's first compile only, and numba's cache index is locked."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from doseesc import _ahead


@pytest.fixture
def ran(monkeypatch):
    """The steps this process compiles while it waits (recorded instead of compiled)."""
    steps: list[str] = []
    monkeypatch.setattr(_ahead, "_run_step", steps.append)
    return steps


@pytest.fixture
def sleeps(monkeypatch):
    """The polls ``_ahead.wait`` makes while it waits (counted; each still sleeps): whether a call
    waited is told by these, not by the wall clock."""
    calls: list[float] = []
    real = time.sleep

    def sleep(seconds: float) -> None:
        calls.append(seconds)
        real(seconds)

    monkeypatch.setattr(_ahead.time, "sleep", sleep)
    return calls


@pytest.fixture
def helper(tmp_path, monkeypatch, ran):
    """A stand-in helper: a sleeping process and a claims folder, installed as this process's."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(_ahead, "_STATE", {"dir": str(tmp_path), "proc": proc, "seen": set()})
    yield tmp_path, proc
    proc.kill()
    proc.wait()


def test_an_unclaimed_step_is_claimed_and_compiled_here(helper, sleeps):
    folder, _ = helper
    _ahead.wait("cohort")
    assert sleeps == []  # claimed at once (its caller compiles it), never waited for
    assert (folder / "cohort.claim").exists()
    assert not _ahead._claim(str(folder), "cohort")  # the helper would now skip it


def test_a_step_the_helper_claimed_is_waited_for_until_done(helper, sleeps):
    folder, _ = helper
    assert _ahead._claim(str(folder), "tite12")  # the helper's claim
    path = str(folder / "tite12.done")
    done = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(1); open({path!r}, 'w')"])
    _ahead.wait("tite12")
    assert (folder / "tite12.done").exists() and sleeps  # returned only once the helper had finished it
    done.wait()


def test_while_waiting_this_process_compiles_the_helpers_last_steps(helper, ran, sleeps):
    folder, _ = helper
    assert _ahead.STEPS[:2] == ("tite12", "graded")
    assert _ahead._claim(str(folder), "tite12")  # the helper's claim: its first step
    path = str(folder / "tite12.done")
    done = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(1.5); open({path!r}, 'w')"])
    _ahead.wait("tite12")
    done.wait()
    # from the end of the helper's list, never the step it takes next (the graded loop)
    assert ran == ["exact_eff", "cohort", "benchmark"]
    assert all((folder / f"{s}.done").exists() for s in ran)
    assert not (folder / "graded.claim").exists()
    polls = len(sleeps)
    _ahead.wait("benchmark")  # compiled here already: neither waited for nor compiled again
    assert len(sleeps) == polls and ran == ["exact_eff", "cohort", "benchmark"]
    assert _ahead.main([str(folder), *_ahead.STEPS]) == 0  # the helper then skips them
    assert ran == ["exact_eff", "cohort", "benchmark", "graded"]


def test_a_dead_helper_is_not_waited_for(helper):
    folder, proc = helper
    assert _ahead._claim(str(folder), "graded")  # claimed, never done: the helper died
    proc.kill()
    proc.wait()
    _ahead.wait("graded")  # returns: this process compiles it itself


def test_the_helper_compiles_claimed_steps_and_skips_the_others(tmp_path):
    assert _ahead._claim(str(tmp_path), "graded")  # the what-if's own claim
    assert _ahead.main([str(tmp_path), "benchmark", "graded"]) == 0
    assert (tmp_path / "benchmark.done").exists() and not (tmp_path / "graded.done").exists()
    with pytest.raises(ValueError, match="step: expected one of"):
        _ahead._run_step("nonsense")


def test_the_helper_starts_at_the_first_doseesc_compile_and_stops_after(monkeypatch):
    import io

    import numba

    started = []
    monkeypatch.setattr(_ahead, "start", lambda: started.append(1) or True)

    def other(x):
        return x - 1

    def add_two(x):
        return x + 2

    def add_three(x):
        return x + 3

    add_two.__module__ = add_three.__module__ = "doseesc.fake"
    stream = io.StringIO()
    with _ahead.helping(stream):
        numba.njit(other)(1)  # somebody else's code (and a warm doseesc run compiles nothing)
        assert started == [] and stream.getvalue() == ""
        numba.njit(add_two)(1)
        numba.njit(add_three)(1)
    assert started == [1] and stream.getvalue().startswith("doseesc: a helper process compiles")


def test_start_and_finish(monkeypatch):
    monkeypatch.setattr(_ahead, "_STATE", None)
    monkeypatch.setenv("DOSEESC_NO_AHEAD", "1")
    assert not _ahead.start()
    monkeypatch.delenv("DOSEESC_NO_AHEAD")
    assert _ahead.start()
    assert not _ahead.start()  # one helper per process
    folder, proc = _ahead._STATE["dir"], _ahead._STATE["proc"]
    _ahead.finish()  # stopped, its folder removed
    assert _ahead._STATE is None and not os.path.exists(folder) and proc.poll() is not None


def test_numba_cache_index_is_locked_across_writers(tmp_path):
    """Two processes saving two signatures of one function must not both pick one data file;
    each save and load holds an exclusive lock on the cache folder's lock file."""
    import fcntl
    import threading

    from numba.core.caching import IndexDataCacheFile

    from doseesc._jit import index_locked

    assert index_locked()
    fd = os.open(tmp_path / ".index-lock", os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as another process saving right now
    f = IndexDataCacheFile(str(tmp_path), "f-1.py311", "stamp")
    saved = threading.Event()
    t = threading.Thread(target=lambda: (f.save(("sig", "A"), b"A"), saved.set()))
    t.start()
    assert not saved.wait(0.5)  # blocked by the lock
    os.close(fd)
    assert saved.wait(10)
    t.join()

    # concurrent saves of different signatures keep each signature's own data
    for i in range(200):  # unlocked, numba 0.68 failed 7 times in 200
        d = tmp_path / f"r{i}"
        d.mkdir()
        a, b = IndexDataCacheFile(str(d), "g-1.py311", "stamp"), IndexDataCacheFile(str(d), "g-1.py311", "stamp")
        ts = [threading.Thread(target=a.save, args=(("sig", "A"), b"A")),
              threading.Thread(target=b.save, args=(("sig", "B"), b"B"))]
        for x in ts:
            x.start()
        for x in ts:
            x.join()
        assert a.load(("sig", "A")) == b"A" and a.load(("sig", "B")) == b"B"


def test_runs_of_loops_the_helper_does_not_compile_claim_nothing(helper):
    import doseesc as de

    folder, _ = helper
    tm = de.TimeModel(window=28, rate=3 / 28)
    de.simulate(de.TITEBOIN(target=0.25, max_n=6, cohort_size=3), de.Scenario([0.1, 0.3], target=0.25, time=tm),
                n_trials=2, seed=1)
    assert list(folder.iterdir()) == []
    de.simulate(de.BOIN(target=0.25, max_n=6, cohort_size=3), de.Scenario([0.1, 0.3], target=0.25), n_trials=2, seed=1)
    assert sorted(p.name for p in folder.iterdir()) == ["cohort.claim"]
