"""Where blocks of simulated trials run: this process, local worker processes, or a Dask cluster.

A simulation is a range of rows, one per (scenario, trial); every random number of a row is a
pure function of (seed, scenario, trial, patient, stream), so any split of the rows into blocks,
run anywhere, gives bit-identical records. This module cuts the rows into blocks and runs them:

* ``backend=None``: in this process, numba threads over the trials of each block;
* ``backend="processes"`` or an integer k: k local worker processes (default: one per core),
  one numba thread each, started for the call (use an executor of your own to keep them warm).
  They are spawned, not forked (a fork of a process whose numba threads have run can hang),
  so a script must run its simulations under ``if __name__ == "__main__":``;
* any executor with ``submit`` -- a ``concurrent.futures`` executor or a
  ``dask.distributed.Client`` -- blocks become its tasks and are gathered in order.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import hashlib
import math
import multiprocessing
import os
import threading
from typing import Any, NamedTuple

import numba
import numpy as np

from .. import _ahead
from .._jit import for_code, in_all_families
from .._kernels import backfill as _bf
from .._kernels import graded as _graded
from .._kernels import tite as _tite
from .._kernels import trial as _trial
from .._kernels.codes import MAX_EVENTS, QUASI_CRM, TITE_BOIN, TITE_BOIN12, TOO_LONG
from .._kernels.records import COUNT

MIN_TASK_ROWS = 4096  # smallest block sent to another process (its overhead is ~1 ms)
MAX_TASK_ROWS = 1 << 16


class Job(NamedTuple):
    """Everything a worker needs to simulate rows ``lo:hi`` (picklable: arrays and numbers)."""

    code: int
    ipar: np.ndarray
    fpar: np.ndarray
    tab: np.ndarray
    rules: np.ndarray
    safety_tab: np.ndarray
    tm: np.ndarray
    p_tox: np.ndarray
    p_ae_cum: np.ndarray
    keys: np.ndarray
    per_scenario: int
    max_n: int
    n_aux: int
    n_work: int
    n_doses: int
    tite: bool
    # Efficacy: P(E | DLT) and P(E | no DLT) per scenario and dose (see ``trial._run_chunk``);
    # None when the scenarios have no efficacy (then nothing about efficacy is computed).
    p_eff_t: np.ndarray | None = None
    p_eff_n: np.ndarray | None = None
    # Backfill designs run their own arrival-driven loop (``_kernels/backfill.py``) and also
    # record the backfill patients per dose (``n_bf``).
    backfill: bool = False
    # Graded-toxicity designs (``_kernels/graded.py``): P(worst grade >= g) per scenario, dose
    # and grade; they record the summed toxicity score per dose (``score``).
    p_grade_at_least: np.ndarray | None = None
    # Whether the kernel records low-grade AEs (``n_ae``) and drop-outs (``n_drop``) per dose. The
    # cohort loop writes neither when no scenario has an AE probability and no patient can drop out
    # (``trial._run_chunk``: ``ae[cur] += 1`` needs ``u < p_ae_cum`` after ``u >= p_tox``, and
    # ``nd[cur] += 1`` a drop-out hazard); those arrays then have no columns and take no memory,
    # and the records get zeros (``engine.api._run_mc``). So does TITE-BOIN's loop
    # (``tite._boin_rows``); the other loops always write both.
    ae: bool = True
    drop: bool = True
    # Whether ``duration``, ``waited`` and ``turned_away`` are recorded: False only for the cohort
    # loop without a time model (``trial._run_chunk`` then writes none of them; the arrays are empty).
    timed: bool = True


FIELDS = ("sel", "reason", "n_pat", "n_dlt", "n_ae", "n_drop", "n_eff", "duration", "waited", "turned_away")


def _fields(job: Job) -> tuple[str, ...]:
    return FIELDS + ("n_bf",) * job.backfill + ("score",) * (job.p_grade_at_least is not None)


def _empty(job: Job, n_rows: int) -> dict[str, np.ndarray]:
    out = empty(n_rows, job.n_doses, job.p_eff_t is not None, job.backfill, job.ae, job.drop, job.timed)
    if job.p_grade_at_least is not None:
        out["score"] = np.empty((n_rows, job.n_doses))
    return out


def empty(n_rows: int, n_doses: int, efficacy: bool = False, backfill: bool = False, ae: bool = True,
          drop: bool = True, timed: bool = True) -> dict[str, np.ndarray]:
    i8 = np.int64
    c = COUNT  # per-dose counts: int32 (_kernels/records.py)
    D = n_doses
    T = n_rows if timed else 0
    out = {"sel": np.empty(n_rows, i8), "reason": np.empty(n_rows, i8), "n_pat": np.empty((n_rows, D), c),
           "n_dlt": np.empty((n_rows, D), c), "n_ae": np.empty((n_rows, D if ae else 0), c),
           "n_drop": np.empty((n_rows, D if drop else 0), c), "n_eff": np.empty((n_rows, D if efficacy else 0), c),
           "duration": np.empty(T), "waited": np.empty(T), "turned_away": np.empty(T, i8)}
    if backfill:
        out["n_bf"] = np.empty((n_rows, n_doses), c)
    return out


def scratch_for(job: Job, scratch: np.ndarray | None = None) -> np.ndarray:
    """Per-thread float scratch for ``job`` (one row per numba thread now in use), zeroed; or
    ``scratch`` itself when it is already large enough. Kept across the blocks of one run, it
    carries each thread's decision cache (``_kernels/cache.py``) from block to block."""
    return _scratch(job.n_work, scratch)


def _scratch(n_work: int, scratch: np.ndarray | None) -> np.ndarray:
    rows = numba.get_num_threads()
    if scratch is None or scratch.shape[0] < rows:
        scratch = np.zeros((rows, max(n_work, 1)))
    return scratch


# Scratch kept between runs of this process, by the design it serves. A model-based design's
# decision cache (CRM, TITE-CRM, BLRM, EffTox) holds decisions as a pure function of the data
# and the design, never of the scenario, so a later run of the same design (another scenario,
# a time model, the next block of a sweep) starts with the decisions already computed. Records
# are bit-identical either way (a cached value is what the computation returns); only the time
# changes. A run takes its design's scratch out of this store and puts it back when it ends,
# so two runs at once (threads of an executor) never share one.
_KEPT: collections.OrderedDict[bytes, np.ndarray] = collections.OrderedDict()
_KEPT_LOCK = threading.Lock()
KEPT_BYTES = 256 << 20  # the store's limit; the least recently used scratch goes first


def _design_key(job: Job) -> bytes:
    """What a decision of ``job``'s design can depend on: its code, parameters, tables, sizes,
    whether the rows carry efficacy, and for a TITE design the time model (the scenario's truth
    is left out; a design that waits for complete data decides on counts alone, whatever the
    clock)."""
    return design_key(job.code, job.n_work, job.n_aux, job.max_n, job.n_doses, job.tite, job.p_eff_t is not None,
                      (job.ipar, job.fpar, job.tab, job.rules, job.safety_tab) + ((job.tm,) if job.tite else ()))


def design_key(code: int, n_work: int, n_aux: int, max_n: int, n_doses: int, tite: bool, efficacy: bool,
               arrays: tuple) -> bytes:
    """The key of :data:`_KEPT` (see :func:`_design_key`); exact enumeration uses it too
    (``engine.api._exact_records``), so the simulators and the enumeration of one design share
    one decision cache."""
    h = hashlib.sha256(repr((code, n_work, n_aux, max_n, n_doses, tite, not efficacy)).encode())
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(repr((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.digest()


@contextlib.contextmanager
def kept_scratch(key: bytes, n_work: int):
    """The kept scratch of the design with ``key`` (taken out of the store while in use, put
    back after), or a new zeroed one shaped as :func:`scratch_for` makes them (one row per numba
    thread), so that a later simulation of the design can take it over."""
    scratch = _scratch(n_work, _take(key))  # the key holds n_work: a kept one has its width
    try:
        yield scratch
    finally:
        _checkin(key, scratch)


def _checkout(job: Job) -> tuple[bytes, np.ndarray | None]:
    key = _design_key(job)
    return key, _take(key)


def _take(key: bytes) -> np.ndarray | None:
    with _KEPT_LOCK:
        return _KEPT.pop(key, None)


def _checkin(key: bytes, scratch: np.ndarray | None) -> None:
    if scratch is None or scratch.nbytes > KEPT_BYTES:
        return
    with _KEPT_LOCK:
        _KEPT[key] = scratch
        _KEPT.move_to_end(key)
        while sum(a.nbytes for a in _KEPT.values()) > KEPT_BYTES:
            _KEPT.popitem(last=False)


def clear_kept() -> None:
    """Forget every kept scratch (and with it every cached decision) of this process."""
    with _KEPT_LOCK:
        _KEPT.clear()


def run_into(job: Job, lo: int, out: dict[str, np.ndarray], at: int, hi: int,
             scratch: np.ndarray | None = None) -> np.ndarray:
    """Simulate rows ``lo:hi`` into ``out[...][at:at + hi - lo]``; returns the scratch it used
    (pass it to the next call for the same job)."""
    if job.p_grade_at_least is not None:
        _ahead.wait("graded")
        s = slice(at, at + hi - lo)
        for f in ("n_drop", "turned_away"):
            out[f][s] = 0
        for f in ("duration", "waited"):
            out[f][s] = 0.0
        batch = _graded.run_batch_qcrm if job.code == QUASI_CRM else _graded.run_batch
        batch(job.code, job.ipar, job.fpar, job.tab, job.p_grade_at_least, job.p_tox, job.p_ae_cum, job.keys,
              job.per_scenario, lo, job.max_n, job.n_work, *(out[f][s] for f in (
                  "sel", "reason", "n_pat", "n_dlt", "n_ae", "score")), numba.get_num_threads())
        return scratch
    if job.backfill:
        s = slice(at, at + hi - lo)
        out["n_drop"][s] = 0
        out["waited"][s] = 0.0
        _bf.run_batch(job.code, job.ipar, job.fpar, job.tab, job.tm, job.p_tox, job.p_ae_cum, job.p_eff_t,
                      job.p_eff_n, job.keys, job.per_scenario, lo, job.max_n, job.n_work, *(out[f][s] for f in (
                      "sel", "reason", "n_pat", "n_dlt", "n_ae", "n_eff", "n_bf", "duration", "turned_away")),
                      numba.get_num_threads())
        if np.any(out["reason"][s] == TOO_LONG):
            raise ValueError(f"time: a simulated trial needed more than {MAX_EVENTS:,} arrivals or enrolments; "
                             "the time model makes trials too long to simulate")
        return scratch
    batch = _trial.run_batch
    if job.tite:
        batch = {TITE_BOIN: _tite.run_batch_boin, TITE_BOIN12: _tite.run_batch12}.get(job.code, _tite.run_batch)
    step = {_trial.run_batch: "cohort", _tite.run_batch12: "tite12"}.get(batch)
    if step is not None:  # the loops the what-if's helper compiles
        _ahead.wait(step)
    s = slice(at, at + hi - lo)
    pet = job.p_eff_t if job.p_eff_t is not None else job.p_tox
    pen = job.p_eff_n if job.p_eff_n is not None else job.p_tox
    scratch = scratch_for(job, scratch)
    design = (job.ipar, job.fpar, job.tab, job.rules, job.safety_tab, job.tm, job.p_tox, job.p_ae_cum, pet, pen,
              job.keys, job.per_scenario, lo, job.max_n)
    outs = tuple(out[f][s] for f in FIELDS)
    if in_all_families() and batch in (_trial.run_batch, _tite.run_batch12):  # the what-if (rows_in_threads)
        max_n = job.max_n
        if batch is _trial.run_batch:
            n_eff_cols = out["n_eff"].shape[1]

            def rows(lo_, hi_, work):
                _trial._run_chunk(job.code, *design, *outs, np.zeros(n_eff_cols, dtype=np.int64),
                                  np.zeros(max(job.n_aux, 1), dtype=np.int64), work, np.zeros(max(max_n, 1)),
                                  lo_, hi_)
        else:
            n_doses = out["n_pat"].shape[1]

            def rows(lo_, hi_, work):
                _tite._general_rows(*design, lo_, hi_, *outs, work, None, np.zeros((4, n_doses), dtype=np.int64))
        rows_in_threads(rows, hi - lo, scratch)
    else:
        args = (job.code, *design, job.n_aux, job.n_work, *outs, scratch)
        if batch is _trial.run_batch:  # compiled for this design's family only (_kernels/dispatch.py)
            for_code(batch, *args, shared=True)
        else:
            batch(*args)
    if np.any(out["reason"][s] == TOO_LONG):
        raise ValueError(f"time: a simulated trial needed more than {MAX_EVENTS:,} arrivals or enrolments; the time "
                         "model (rate, window, dropout) makes trials too long to simulate")
    return scratch


#: rows per call of a trial loop in :func:`rows_in_threads`: at least the ``prange`` kernels'
#: chunk, at most this, and about eight blocks per thread in between
THREAD_BLOCK = 4096


def rows_in_threads(rows, n_rows: int, scratch: np.ndarray) -> None:
    """Rows ``0 .. n_rows - 1`` of a trial loop by ``rows(lo, hi, work)``, a compiled serial
    loop over rows ``lo .. hi - 1`` that releases the GIL (``nogil``), called in blocks (of 256 to
    :data:`THREAD_BLOCK` rows) from ``numba.get_num_threads()`` Python threads (thread ``t`` takes
    blocks ``t, t + T, ...`` after the first and scratch row ``t``). The records are those of the ``prange``
    kernel: a row depends only on its own random numbers, and a decision cache in ``work``
    returns what the computation would.

    Used by the what-if (:func:`doseesc._jit.all_families`) for the trial loop and TITE-BOIN12's
    loop: numba's ``parallel=True`` compiles the ``prange`` body into a gufunc and re-optimises
    and re-generates the whole loop in four more libraries (gufunc, its wrappers, the kernel), a
    third of the what-if's trial-loop compile (``benchmarks/bench_compile.py``). The first block
    runs in this thread, so that any compiling happens here."""
    n_threads = max(1, min(numba.get_num_threads(), scratch.shape[0]))
    size = min(THREAD_BLOCK, max(_trial.CHUNK, -(-n_rows // (8 * n_threads) // _trial.CHUNK) * _trial.CHUNK))
    blocks = [(b, min(n_rows, b + size)) for b in range(0, n_rows, size)]
    if not blocks:
        return
    rows(*blocks[0], scratch[0])
    n_threads = min(n_threads, len(blocks) - 1)
    rest = blocks[1:]
    if n_threads == 1 or len(rest) < 2:
        for lo, hi in rest:
            rows(lo, hi, scratch[0])
        return

    def part(t: int) -> None:
        for lo, hi in rest[t::n_threads]:
            rows(lo, hi, scratch[t])

    with cf.ThreadPoolExecutor(n_threads) as ex:
        list(ex.map(part, range(n_threads)))


_LAUNCH = threading.Lock()


def _serialize() -> bool:
    """Whether parallel kernels must not be launched from two threads at once: numba's
    ``workqueue`` layer aborts on concurrent launches (``omp`` and ``tbb`` allow them); before
    the first launch the layer is unknown, so that launch is serialized too."""
    try:
        return numba.threading_layer() == "workqueue"
    except ValueError:
        return True


def run_rows(job: Job, lo: int, hi: int, threads: int | None = None) -> dict[str, np.ndarray]:
    """A worker's task: rows ``lo:hi`` as fresh arrays (``threads``: numba threads to use)."""
    out = _empty(job, hi - lo)
    old = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    key, scratch = _checkout(job)
    try:
        with _LAUNCH if _serialize() else contextlib.nullcontext():
            scratch = run_into(job, lo, out, 0, hi, scratch)
    finally:
        numba.set_num_threads(old)
    _checkin(key, scratch)
    return out


def _one_thread() -> None:
    numba.set_num_threads(1)


def check(backend: Any) -> Any:
    """Validate ``backend``; returns None, a positive int (worker processes) or an executor."""
    if backend is None:
        return None
    if backend == "processes":
        return os.cpu_count() or 1
    if isinstance(backend, (int, np.integer)) and not isinstance(backend, bool):
        if backend < 1:
            raise ValueError(f"backend: the number of worker processes must be >= 1, got {backend!r}")
        return int(backend)
    if callable(getattr(backend, "submit", None)):
        return backend
    raise ValueError("backend: expected None (this process), 'processes', a number of worker processes, or an "
                     f"executor with submit (concurrent.futures, dask.distributed.Client), got {backend!r}")


@contextlib.contextmanager
def opened(backend: Any):
    """The executor to use for ``backend`` (None: run here); pools made here are shut down after."""
    backend = check(backend)
    if backend is None or not isinstance(backend, int):
        yield backend
        return
    pool = cf.ProcessPoolExecutor(max_workers=backend, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_one_thread)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _n_workers(executor: Any) -> int:
    info = getattr(executor, "scheduler_info", None)
    if callable(info):  # dask.distributed.Client
        with contextlib.suppress(Exception):
            return max(1, sum(int(w.get("nthreads", 1)) for w in info().get("workers", {}).values()))
    return max(1, int(getattr(executor, "_max_workers", 0) or os.cpu_count() or 1))


def run(job: Job, total: int, executor: Any, block: int, bar=None, threads: int | None = None, start: int = 0
        ) -> dict[str, np.ndarray]:
    """Rows ``start .. total - 1`` of ``job`` (all ``total`` by default), here in blocks of
    ``block`` rows or as tasks of ``executor``."""
    out = _empty(job, total - start)
    if executor is None:
        key, scratch = _checkout(job)
        for lo in range(start, total, block):
            hi = min(total, lo + block)
            scratch = run_into(job, lo, out, lo - start, hi, scratch)
            if bar is not None:
                bar.update(hi - lo)
        _checkin(key, scratch)
        return out
    size = min(MAX_TASK_ROWS, max(MIN_TASK_ROWS, math.ceil((total - start) / (4 * _n_workers(executor)))))
    spans = [(lo, min(total, lo + size)) for lo in range(start, total, size)]
    futures = [executor.submit(run_rows, job, lo, hi, threads) for lo, hi in spans]
    try:
        for (lo, hi), fut in zip(spans, futures):
            part = fut.result()
            for f in _fields(job):
                out[f][lo - start:hi - start] = part[f]
            if bar is not None:
                bar.update(hi - lo)
    except cf.process.BrokenProcessPool:
        raise RuntimeError("backend: a worker process died (out of memory, killed, or it could not start: a script "
                           "that simulates with worker processes must do so under "
                           "`if __name__ == '__main__':`, since each worker re-imports the main module)") from None
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    return out
