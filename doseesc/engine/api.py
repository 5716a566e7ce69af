"""Public run verbs. Python validates and packs; the kernels do the work."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numba
import numpy as np

from .. import _ahead
from .. import _validate as v
from .. import timemodel as _time
from .._jit import for_code
from .._kernels import exact as _exact
from .._kernels import trial as _trial
from .._kernels.codes import BACKFILL_CODES, EFFICACY_CODES, EFFTOX, GRADED_CODES, TITE_BOIN, TITE_BOIN12, TITE_CODES
from .._kernels.rng import make_key
from ..designs.base import Design, Lowered
from ..results import Comparison, OperatingCharacteristics, TrialRecords
from ..scenario import Scenario, ScenarioSet
from . import backends as _backends

BLOCK = 1 << 16  # trials per kernel call (progress updates, Ctrl-C; results do not depend on it)
MAX_EXACT_STATES = 5_000_000
#: EffTox's exact enumeration evaluates its posterior (thousands of Sobol points) at every state a
#: cohort can lead to: at most this many, counted before each cohort is expanded (3 doses and 12
#: patients in cohorts of 3: 115,800, about 25 s; 15 patients would take about 1.5 million)
MAX_EXACT_EFFTOX = 200_000


def memory_budget() -> int:
    """Bytes a run may hold at once: half of this machine's physical memory."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 * 2**30


def record_bytes(n_doses: int) -> int:
    """Bytes of one simulated trial's record (selection, stop reason, per-dose patients, DLTs,
    AEs, drop-outs and responses, duration, waiting, turned away)."""
    return 40 + 40 * n_doses


def check_memory(rows: int, n_doses: int, field: str = "n_trials", per: str = "") -> None:
    """Refuse, before any work, a run whose per-trial records would not fit in memory."""
    need = rows * record_bytes(n_doses)
    budget = memory_budget()
    if need > budget:
        fit = budget // record_bytes(n_doses)
        raise ValueError(f"{field}: {rows:,} simulated trials{per} need {need / 2**30:,.1f} GiB for their records, "
                         f"more than the {budget / 2**30:,.1f} GiB this run may use (half this machine's memory); "
                         f"at most {fit:,} trials of {n_doses} doses fit")


def _check_design(design) -> Design:
    if not isinstance(design, Design):
        raise ValueError(f"design: expected a doseesc design (e.g. doseesc.ThreePlusThree()), got {design!r}")
    return design


def _scenario_list(scenario) -> list[Scenario]:
    if isinstance(scenario, Scenario):
        return [scenario]
    if isinstance(scenario, ScenarioSet):
        return list(scenario.scenarios)
    import reprlib

    if isinstance(scenario, (list, tuple)):
        got = f"a {type(scenario).__name__} of {len(scenario)} items (for several scenarios, compare() takes a list)"
    else:
        got = f"{type(scenario).__name__} {reprlib.repr(scenario)}"
    raise ValueError(f"scenario: expected a doseesc.Scenario or ScenarioSet, got {got}")


@contextlib.contextmanager
def _threads(n: int | None):
    if n is None:
        yield
        return
    n = v.integer("threads", n, low=1, high=numba.config.NUMBA_NUM_THREADS)
    old = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(old)


def _progress(total: int, enabled: bool | None, desc: str):
    """A tqdm bar when asked for (or, when ``enabled`` is None, on a terminal and tqdm is installed)."""
    if enabled is False or (enabled is None and not sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    # delay: only runs longer than a second show a bar
    return tqdm(total=total, desc=desc, unit="trial", unit_scale=True, leave=False, mininterval=0.5,
                delay=0 if enabled else 1.0)


def _waits_complete(low: Lowered) -> bool:
    """Whether the cohort loop runs ``low`` as a phase I/II design that decides on complete data
    (the kernel's ``dispatch.uses_efficacy`` outside the TITE, backfill and graded loops): what
    :func:`doseesc.timemodel.waits_complete` says of its design. Under a time model its cohorts
    wait for complete assessment (:meth:`doseesc.TimeModel.pack`)."""
    return low.code in EFFICACY_CODES and low.code not in TITE_CODES + BACKFILL_CODES + GRADED_CODES


def _time_meta(low: Lowered, scs: list[Scenario]) -> dict:
    """``meta["waited_window"]`` of a run whose design waits for complete data under a time model."""
    tm = scs[0].time
    return {"waited_window": tm.waited()} if tm is not None and _waits_complete(low) else {}


def _run_mc(low: Lowered, scs: list[Scenario], keys: list, n_trials: int, bar=None, executor=None,
            threads: int | None = None, start: int = 0) -> TrialRecords:
    """Trials ``start .. n_trials - 1`` under each scenario (one kernel launch per block, not per
    scenario), here or on ``executor`` (:mod:`.backends`). Trial t of scenario s is the same
    whatever ``start`` and ``n_trials`` (its random numbers depend on the seed, s and t only)."""
    S = len(scs)
    total = n_trials * S
    times = {(None if sc.time is None else sc.time) for sc in scs}
    if len(times) > 1:
        raise ValueError("scenario: all scenarios of a set must share one time model")
    tite = low.code in TITE_CODES
    if tite and scs[0].time is None:
        raise ValueError("time: time-to-event designs need a scenario with a time model, "
                         "e.g. Scenario(..., time=TimeModel(window=28, rate=3 / 28))")
    if low.code == TITE_BOIN12 and scs[0].time.dropout > 0:
        raise ValueError("dropout: must be 0 for TITE-BOIN12 (drop-out is not modelled for it), "
                         f"got {scs[0].time.dropout!r}")
    eff = _check_efficacy(low, scs)
    backfill = low.code in BACKFILL_CODES
    if backfill:
        _check_backfill(scs)
    graded = low.code in GRADED_CODES
    cohort_loop = not (tite or backfill or graded)  # trial.run_batch: it may skip n_ae and n_drop (Job)
    lean = cohort_loop or low.code == TITE_BOIN  # so may TITE-BOIN's own loop (tite.run_batch_boin)
    job = _backends.Job(
        code=low.code, ipar=low.ipar, fpar=low.fpar, tab=low.tab, rules=low.rules, safety_tab=low.safety_tab,
        tm=_time.pack(scs[0].time, _waits_complete(low)),
        p_tox=np.ascontiguousarray([sc.p_tox for sc in scs], dtype=np.float64),
        p_ae_cum=np.ascontiguousarray([sc.p_tox + sc.p_ae_array for sc in scs], dtype=np.float64),
        keys=np.array(keys, dtype=np.uint64), per_scenario=n_trials, max_n=low.max_n, n_aux=low.n_aux,
        n_work=low.n_work + low.n_cache, n_doses=low.n_doses, tite=tite,
        p_eff_t=np.ascontiguousarray([sc.p_eff_given_tox for sc in scs], dtype=np.float64) if eff else None,
        p_eff_n=np.ascontiguousarray([sc.p_eff_given_no_tox for sc in scs], dtype=np.float64) if eff else None,
        backfill=backfill,
        p_grade_at_least=np.ascontiguousarray([sc.p_grade_at_least for sc in scs]) if graded else None,
        ae=not lean or any(np.any(sc.p_ae_array != 0) for sc in scs),
        drop=not lean or (scs[0].time is not None and scs[0].time.dropout > 0),
        timed=not cohort_loop or scs[0].time is not None)
    if start == 0:
        o = _backends.run(job, total, executor, BLOCK, bar, threads)
    else:  # rows s * n_trials + start .. (s + 1) * n_trials - 1 of each scenario s
        parts = [_backends.run(job, (s + 1) * n_trials, executor, BLOCK, bar, threads, start=s * n_trials + start)
                 for s in range(S)]
        o = {f: np.concatenate([part[f] for part in parts]) for f in parts[0]}
    timed = scs[0].time is not None
    rows, D = o["n_pat"].shape
    for f in ("n_ae", "n_drop"):  # not recorded (Job.ae, Job.drop): zeros, untouched until read
        if o[f].shape[1] != D:
            o[f] = np.zeros((rows, D), dtype=o["n_pat"].dtype)
    o["sel"] += 1  # 1-based; in place, as the records of a million trials are hundreds of MB
    scen = np.zeros(rows, dtype=np.int64) if S == 1 else np.repeat(np.arange(S, dtype=np.int64), n_trials - start)
    return TrialRecords(selected=o["sel"], n_patients=o["n_pat"], n_dlt=o["n_dlt"], n_ae=o["n_ae"],
                        stop_reason=o["reason"], scenario=scen,
                        duration=o["duration"] if timed else None,
                        waited=o["waited"] if timed else None, turned_away=o["turned_away"] if timed else None,
                        n_dropout=o["n_drop"] if timed else None, n_eff=o["n_eff"] if eff and not graded else None,
                        n_backfill=o["n_bf"] if backfill else None, tox_score=o["score"] if graded else None)


def _check_graded(design: Design, scs: list[Scenario]) -> None:
    """A graded design needs toxicity grades, as many as it has scores for, and no time model yet."""
    need = design.n_scores - 1
    for sc in scs:
        if sc.p_grade is None:
            raise ValueError("scenario: this design scores toxicity grades; give a graded scenario, e.g. "
                             "Scenario.from_grades([[P(grade 1), P(grade 2), ...] per dose], target=...)")
        if sc.n_grades != need:
            raise ValueError(f"scores: the design has scores for grades 0-{need} but the scenario has grades "
                             f"1-{sc.n_grades}")
    if scs[0].time is not None:
        raise ValueError("time: graded designs run without a time model for now (time-to-event gBOIN may come later)")


def _check_backfill(scs: list[Scenario]) -> None:
    """Backfill needs arrivals in time, patients turned away when nobody can take them, and responses."""
    sc = scs[0]
    if sc.time is None:
        raise ValueError("time: backfill needs a scenario with a time model (who arrives while a cohort is in "
                         "follow-up), e.g. Scenario(..., time=TimeModel(window=1, accrual='uniform', rate=3))")
    if sc.time.waiting != "turn_away" or sc.time.dropout != 0:
        raise ValueError("time: backfill designs need waiting='turn_away' and dropout=0 (patients nobody can take "
                         "are turned away; drop-outs are not modelled with backfill yet)")
    if not sc.has_efficacy:
        raise ValueError("scenario: backfill opens a dose once a response was seen there; give the scenario "
                         "p_eff (e.g. Scenario(p_tox=[...], target=0.25, p_eff=[...]))")


def _check_efficacy(low: Lowered, scs: list[Scenario]) -> bool:
    """Whether the scenarios carry efficacy (all or none); a phase I/II design needs it."""
    has = {sc.has_efficacy for sc in scs}
    if len(has) > 1:
        raise ValueError("scenario: all scenarios of a set must either all have efficacy (p_eff) or none")
    eff = has.pop()
    if low.efficacy and not eff:
        raise ValueError("scenario: this design decides on efficacy too; give the scenario p_eff "
                         "(e.g. Scenario(p_tox=[...], target=0.35, p_eff=[...]))")
    return eff


def _concat(recs: list[TrialRecords]) -> TrialRecords:
    if len(recs) == 1:
        return recs[0]
    return TrialRecords(
        selected=np.concatenate([r.selected for r in recs]),
        n_patients=np.concatenate([r.n_patients for r in recs]),
        n_dlt=np.concatenate([r.n_dlt for r in recs]),
        n_ae=np.concatenate([r.n_ae for r in recs]),
        stop_reason=np.concatenate([r.stop_reason for r in recs]),
        scenario=np.concatenate([np.full(len(r), i, dtype=np.int64) for i, r in enumerate(recs)]),
        weight=None if recs[0].weight is None else np.concatenate([r.weight / len(recs) for r in recs]),
        **{k: (None if getattr(recs[0], k) is None else np.concatenate([getattr(r, k) for r in recs]))
           for k in ("duration", "waited", "turned_away", "n_dropout", "n_eff", "n_backfill", "tox_score")},
    )


#: the most simulated trials (all scenarios together) one ``simulate`` call runs
MAX_TRIALS = v.MAX_TRIALS


def check_trials(n_trials: Any, n_scenarios: int = 1, per: str = "",
                 hint: str = "run several seeds, or use se_target= to stop at a precision") -> int:
    """``n_trials`` of a Monte Carlo run (``simulate``, ``compare``, ``calibrate``,
    ``optimal_benchmark``): an integer >= 1 (one trial has no standard errors) whose total over
    ``n_scenarios`` scenarios is at most ``MAX_TRIALS``."""
    n_trials = v.trials(n_trials)
    if n_trials * n_scenarios > MAX_TRIALS:
        raise ValueError(f"n_trials: {n_trials * n_scenarios:,} simulated trials{per} in one run; at most "
                         f"{MAX_TRIALS:,} ({hint})")
    return n_trials
#: trials per block of a run whose records are not kept (``keep_records=False``)
SUM_BLOCK = 1 << 18


def _run_summed(low: Lowered, scs: list[Scenario], keys: list, n_trials: int, bar=None, executor=None,
                threads: int | None = None) -> tuple[TrialRecords, dict]:
    """``_run_mc`` in blocks of trials whose records are summed as they come and dropped (see
    ``simulate(..., keep_records=False)``): records with no rows, and the summed sums. The
    blocks are a function of ``n_trials`` alone and the sums of counts are exact integers, so
    the result does not depend on threads or backend."""
    S = len(scs)
    per_block = max(1, SUM_BLOCK // S)
    acc = OperatingCharacteristics.__new__(OperatingCharacteristics)
    acc.scenarios = list(scs)
    total = None
    rec = None
    done = 0
    while done < n_trials:
        nxt = min(n_trials, done + per_block)
        if executor is None:
            rec = _run_mc(low, scs, keys, nxt, bar, start=done)
        else:
            rec = _run_mc(low, scs, keys, nxt, bar, executor, threads, start=done)
        acc.records = rec
        total = OperatingCharacteristics._add_sums(total, acc._sums(rec))
        done = nxt
    none = TrialRecords(**{f: (None if getattr(rec, f) is None else getattr(rec, f)[:0])
                           for f in ("selected", "n_patients", "n_dlt", "n_ae", "stop_reason", "scenario", "n_eff")})
    return none, total


def _versions() -> dict:
    from .. import __version__

    return {"doseesc": __version__, "numpy": np.__version__, "numba": numba.__version__}


def simulate(design: Design, scenario: Scenario | ScenarioSet, n_trials: int | None = None, seed: int = 1, *,
             se_target: float | None = None, threads: int | None = None, progress: bool | None = False,
             backend: Any = None, keep_records: bool | None = None,
             _scenario_index: int = 0) -> OperatingCharacteristics:
    """Simulate ``n_trials`` trials of ``design`` under ``scenario``.

    Parameters
    ----------
    design : Design
    scenario : Scenario or ScenarioSet
        With a ScenarioSet, ``n_trials`` trials are run under each of its scenarios and the
        summaries average over them (each scenario weighted equally).
    n_trials : int, optional
        Number of simulated trials (per scenario), >= 1 (with one, no standard errors: n/a);
        default 10,000; at most ``MAX_TRIALS`` (1,000,000,000) over all scenarios. With
        ``se_target``: the most trials to run (default 10,000,000).
    seed : int
        Random numbers are a pure function of (seed, scenario index, trial, patient), so the
        same seed gives bit-identical results for any thread count.
    se_target : float, optional
        Precision-targeted run: simulate blocks of trials until the Monte Carlo SE of every
        headline metric (:data:`HEADLINE`: the selection fraction of every dose, no selection,
        correct selection, selection above the MTD) is below ``se_target``, then report the
        trials used (``oc.n_trials``, over all scenarios of a ScenarioSet; ``oc.meta["se_target"]``
        has the checkpoints, whose ``n_trials`` count per scenario, as ``n_trials=`` does). The block
        schedule is a function of the results so far alone (first 2,048 trials, then the count
        the largest SE predicts, times 1.05, rounded up to a multiple of 1,024), so the result
        depends only on the seed, the target, the design and the scenario -- not on threads,
        backend or timing -- and equals ``simulate(..., n_trials=N)`` with ``N`` the last
        checkpoint's ``n_trials`` (``oc.n_trials`` for one Scenario). In (0, 0.5).
    threads : int, optional
        Number of threads (default: numba's, i.e. ``NUMBA_NUM_THREADS``); with a ``backend``,
        the numba threads each of its tasks uses (default: the worker's setting; one in the
        worker processes doseesc starts itself).
    progress : bool or None
        Show a progress bar (None: only on a terminal).
    keep_records : bool or None
        Whether ``oc.records`` holds one row per simulated trial. None (default): when they fit
        in half this machine's memory; otherwise the trials run in blocks of 262,144 whose sums
        (of every summary and of its square) are added up as they come and whose records are
        dropped, so a run of up to ``MAX_TRIALS`` trials needs the memory of one block. The
        summaries and SEs are the same either way (to rounding); ``oc.records`` then has no rows
        and ``oc.meta["records"]`` says so. True: keep every trial's row (refused up front when
        they would not fit); False: never keep them. A run with a time model (durations and
        their quantiles) keeps its records.
    backend : None, "processes", int, or an executor
        Where the trials run: this process (None); ``"processes"`` / k: that many local worker
        processes (one per core), started for this call; or any executor with ``submit`` -- a
        ``concurrent.futures`` executor or a ``dask.distributed.Client`` for a cluster
        (``pip install "doseesc[dask]"``). Blocks of trials become its tasks; the results are
        bit-identical to running here.

    Returns
    -------
    OperatingCharacteristics

    Examples
    --------
    >>> import doseesc as de
    >>> oc = de.simulate(de.ThreePlusThree(), de.Scenario([0.05, 0.1, 0.2, 0.3], target=0.3), n_trials=1000, seed=1)
    >>> round(float(oc.selection.sum() + oc.no_selection), 12)
    1.0
    >>> oc = de.simulate(de.ThreePlusThree(), de.Scenario([0.05, 0.1, 0.2, 0.3], target=0.3), se_target=0.01, seed=1)
    >>> bool(oc.se("pcs") < 0.01), oc.n_trials == oc.meta["se_target"]["checkpoints"][-1]["n_trials"]
    (True, True)
    """
    design = _check_design(design)
    scs = _scenario_list(scenario)
    if se_target is not None:
        return _simulate_to_target(design, scenario, n_trials, seed, se_target, threads=threads, progress=progress,
                                   backend=backend, _scenario_index=_scenario_index)
    n_trials = v.trials(10_000 if n_trials is None else n_trials)
    per = f" ({n_trials:,} x {len(scs):,} scenarios)" if len(scs) > 1 else ""
    check_trials(n_trials, len(scs), per)
    seed = v.seed(seed)
    low = design.lower(scs[0].n_doses)
    if low.code in GRADED_CODES:
        _check_graded(design, scs)
    t0 = time.perf_counter()
    if isinstance(scenario, ScenarioSet):
        keys = [make_key(seed, _scenario_index, i) for i in range(len(scs))]
    else:
        keys = [make_key(seed, _scenario_index)]
    _backends.check(backend)
    if threads is not None:
        threads = v.integer("threads", threads, low=1, high=numba.config.NUMBA_NUM_THREADS)
    if keep_records is not None and not isinstance(keep_records, (bool, np.bool_)):
        raise ValueError(f"keep_records: expected True, False or None, got {keep_records!r}")
    v.flag("progress", progress, allow_none=True)
    fits = n_trials * len(scs) * record_bytes(scs[0].n_doses) <= memory_budget()
    stream = keep_records is False or (keep_records is None and not fits)
    if stream and (scs[0].time is not None or low.code in GRADED_CODES):
        if keep_records is False:
            raise ValueError("keep_records: a run with a time model or graded toxicity keeps its records (for the "
                             "durations' quantiles and the scores); use keep_records=None or True")
        stream = False
    if not stream:
        check_memory(n_trials * len(scs), scs[0].n_doses, per=per)
    bar = _progress(n_trials * len(scs), progress, design.label())
    try:
        with _backends.opened(backend) as executor:
            run = _run_summed if stream else _run_mc
            if executor is None:
                with _threads(threads):
                    out = run(low, scs, keys, n_trials, bar)
            else:
                out = run(low, scs, keys, n_trials, bar, executor, threads)
    finally:
        if bar is not None:
            bar.close()
    meta = {"seconds": time.perf_counter() - t0, "versions": _versions(), **_time_meta(low, scs)}
    if stream:
        meta["records"] = (f"not kept: {n_trials * len(scs):,} trials summed in blocks of {SUM_BLOCK:,} (records "
                           "need keep_records=True and the memory)")
        return OperatingCharacteristics(out[0], scs, design, exact=False, seed=seed, meta=meta, _sums=out[1])
    return OperatingCharacteristics(out, scs, design, exact=False, seed=seed, meta=meta)


#: the metrics a precision-targeted run (``simulate(..., se_target=)``) brings below the target:
#: the proportions a design comparison leads with (selection of every dose, no selection,
#: correct selection, selection above the MTD)
HEADLINE = ("selection", "no_selection", "pcs", "over_selection")
SE_FIRST = 2048  # trials of the first block of a precision-targeted run (per scenario)
SE_STEP = 1024  # later totals are multiples of this
SE_MAX_TRIALS = 10_000_000  # default cap on the trials of a precision-targeted run


def _headline_se(oc: OperatingCharacteristics) -> dict[str, float]:
    """The largest Monte Carlo SE of each headline metric (over doses for the per-dose one)."""
    return {m: float(np.max(oc.se(m))) for m in HEADLINE}


def _stitch(blocks: list[TrialRecords], S: int) -> TrialRecords:
    """Blocks of consecutive trials (each scenario-major) as one run's records, scenario-major."""
    if len(blocks) == 1:
        return blocks[0]

    def cat(field):
        parts = [getattr(b, field) for b in blocks]
        if parts[0] is None:
            return None
        return np.concatenate([p.reshape(S, -1, *p.shape[1:]) for p in parts], axis=1).reshape(-1, *parts[0].shape[1:])

    return TrialRecords(**{f: cat(f) for f in ("selected", "n_patients", "n_dlt", "n_ae", "stop_reason", "scenario",
                                                "duration", "waited", "turned_away", "n_dropout", "n_eff",
                                                "n_backfill", "tox_score")})


def _simulate_to_target(design: Design, scenario, cap, seed, se_target, *, threads, progress, backend,
                        _scenario_index) -> OperatingCharacteristics:
    """``simulate(..., se_target=)``: blocks of trials on a schedule that depends on the results
    alone (see :func:`simulate`)."""
    scs = _scenario_list(scenario)
    target = v.number("se_target", se_target)
    if not 0 < target < 0.5:
        raise ValueError(f"se_target: the largest standard error to accept must be in (0, 0.5), got {se_target!r}")
    cap = check_trials(SE_MAX_TRIALS if cap is None else cap, len(scs))
    seed = v.seed(seed)
    low = design.lower(scs[0].n_doses)
    keys = ([make_key(seed, _scenario_index, i) for i in range(len(scs))] if isinstance(scenario, ScenarioSet)
            else [make_key(seed, _scenario_index)])
    _backends.check(backend)
    if threads is not None:
        threads = v.integer("threads", threads, low=1, high=numba.config.NUMBA_NUM_THREADS)
    t0 = time.perf_counter()
    S = len(scs)
    blocks: list[TrialRecords] = []
    checkpoints = []
    done = 0
    nxt = min(cap, SE_FIRST)
    with _backends.opened(backend) as executor:
        while True:
            check_memory(nxt * S, scs[0].n_doses, per=" (se_target)")
            bar = _progress((nxt - done) * S, progress, design.label())
            try:
                if executor is None:
                    with _threads(threads):
                        blocks.append(_run_mc(low, scs, keys, nxt, bar, start=done))
                else:
                    blocks.append(_run_mc(low, scs, keys, nxt, bar, executor, threads, start=done))
            finally:
                if bar is not None:
                    bar.close()
            done = nxt
            oc = OperatingCharacteristics(_stitch(blocks, S), scs, design, exact=False, seed=seed)
            ses = _headline_se(oc)
            checkpoints.append({"n_trials": done, "max_se": ses})
            worst = max(ses.values())
            if worst < target or done >= cap:
                break
            want = done * (worst / target) ** 2 * 1.05
            nxt = min(cap, max(done + SE_STEP, SE_STEP * math.ceil(want / SE_STEP)))
    met = worst < target
    if not met:
        which = max(ses, key=ses.get)
        warnings.warn(f"se_target: {done:,} trials (the n_trials cap) leave the SE of {which} at {ses[which]:.4g}, "
                      f"above the target {target:g}", stacklevel=3)
    rec = _stitch(blocks, S)
    meta = {"seconds": time.perf_counter() - t0, "versions": _versions(), **_time_meta(low, scs),
            "se_target": {"target": target, "met": met, "headline": list(HEADLINE), "checkpoints": checkpoints}}
    return OperatingCharacteristics(rec, scs, design, exact=False, seed=seed, meta=meta)


def _exact_records(low: Lowered, sc: Scenario) -> TrialRecords:
    """Terminal states and their probabilities, in one compiled call (``_kernels/exact.py``)."""
    eff = _check_efficacy(low, [sc])
    if low.efficacy:
        return _exact_records_eff(low, sc)
    p_tox = np.ascontiguousarray(sc.p_tox, dtype=np.float64)
    # the design's scratch as the simulators keep it (backends._KEPT): a model-based design's
    # decision cache is filled by one enumeration and serves the next (another scenario: the
    # states met are largely the same) and a later simulation of the design, and the other way
    # round; a cached decision is what the computation returns, so only the time changes
    # (trial B's what-if BLRMs, three fixed scenarios: 37-87 ms a round before; now the first
    # scenario of a fresh process 35-39 ms, the other two 2-7 ms, a repeated round 2.4-4.4 ms)
    n_work = low.n_work + low.n_cache
    key = _backends.design_key(low.code, n_work, low.n_aux, low.max_n, low.n_doses, False, eff,
                               (low.ipar, low.fpar, low.tab, low.rules, low.safety_tab))
    with _backends.kept_scratch(key, n_work) as scratch:
        status, term, term_p, n_states, cohort, need = for_code(
            _exact.enumerate_states, low.code, low.ipar, low.fpar, low.tab, low.rules, low.safety_tab, p_tox,
            low.max_n, low.n_aux, scratch[0], MAX_EXACT_STATES, memory_budget() // 2, shared=True)
    if status == _exact.TOO_MUCH_MEMORY:
        raise ValueError(f"design: exact enumeration needs about {need / 2**30:,.1f} GiB at cohort {cohort} "
                         f"({n_states:,} trial states), more than this run may use; use simulate()")
    if status == _exact.TOO_MANY_STATES:
        raise ValueError(f"design: exact enumeration exceeds {MAX_EXACT_STATES:,} states; use simulate()")
    return _terminal_records(low, sc, term, term_p)


def _terminal_records(low: Lowered, sc: Scenario, term: np.ndarray, term_p: np.ndarray) -> TrialRecords:
    D = low.n_doses
    n_pat = term[:, 2:2 + D]
    n_dlt = term[:, 2 + D:]
    # Expected low-grade AEs: each non-DLT patient has one with probability p_ae / (1 - p_tox).
    q = np.divide(sc.p_ae_array, 1.0 - sc.p_tox, out=np.zeros(D), where=sc.p_tox < 1)
    # Expected responses: a design that ignores efficacy never decides on it, so given the
    # terminal counts each patient responds with P(E | DLT) or P(E | no DLT), independently.
    n_eff = None
    if sc.has_efficacy:
        n_eff = n_dlt * sc.p_eff_given_tox + (n_pat - n_dlt) * sc.p_eff_given_no_tox
    return TrialRecords(selected=term[:, 0] + 1, n_patients=n_pat, n_dlt=n_dlt,
                        n_ae=(n_pat - n_dlt) * q, stop_reason=term[:, 1],
                        scenario=np.zeros(term.shape[0], dtype=np.int64), weight=term_p, n_eff=n_eff)


EXACT_CHUNK = 1 << 15  # states expanded per kernel call (bounds the memory of the child states)


#: the integer type of the phase I/II path's states (counts, a dose, a cohort size: all at most
#: max_n): millions of rows expanded, concatenated, hashed and merged move a quarter of the bytes of
#: int64 (exact BOIN12, 5 doses, 24 patients, both with the hash-table merge: 14.9 s with int64 states,
#: 12.8 s with int16; with the merge's cheaper hash too, 9.81 s in benchmarks/bench_boin12.py)
EXACT_EFF_STATE = np.int16


def _merge_eff(rows: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal state rows merged, their probabilities added (:func:`~doseesc._kernels.trial.merge_hashed`,
    the merge of the toxicity-only enumeration too)."""
    if rows.shape[0] < 2:
        return rows, probs
    return _trial.merge_hashed(rows, probs)


def _exact_records_eff(low: Lowered, sc: Scenario) -> TrialRecords:
    """Exact enumeration for a phase I/II design: states carry per-dose responses (and, when
    the design's decisions depend on them, patients with both); each cohort's outcome is a
    composition of the four joint outcomes, with its multinomial probability. States are
    expanded in chunks and merged as they come, so memory stays bounded by the distinct states."""
    q = np.ascontiguousarray(sc.p_joint, dtype=np.float64)
    _ahead.wait("exact_eff")
    rows = for_code(_trial.initial_state_eff, low.code, low.ipar, low.fpar, low.tab, low.n_doses, low.n_aux, low.max_n)
    if low.n_aux == 0 and low.max_n <= np.iinfo(EXACT_EFF_STATE).max:
        rows = rows.astype(EXACT_EFF_STATE)
    probs = np.ones(1)
    track = 1 if low.efficacy >= 2 else 0
    terms, term_ps = [], []
    n_terms = 0
    n_states = 0
    too_many = f"design: exact enumeration exceeds {MAX_EXACT_STATES:,} states; use simulate()"
    posteriors = 0  # EffTox: the posterior evaluations the enumeration needs so far
    if low.code == EFFTOX:  # refused up front where the states plainly outgrow the budget: cohort L has
        c = max(int(rows[0, 1]), 1)  # about J (0.75 J)^L states to decide, J the joint outcomes of a cohort
        joint = _trial.n_joint_outcomes.py_func(c)  # (3 doses, cohorts of 3: 20, 371, 5,398 merged states)
        guess = sum(joint * (0.75 * joint) ** k for k in range(-(-low.max_n // c)))
        if guess > MAX_EXACT_EFFTOX:
            raise ValueError(f"design: exact enumeration of EffTox would evaluate its posterior in about {guess:,.0f} "
                             f"states, more than {MAX_EXACT_EFFTOX:,} (fewer patients; 3 doses and 12 patients in "
                             "cohorts of 3 need 115,800); use simulate()")
    while rows.shape[0]:
        if low.code == EFFTOX:
            c = int(rows[:, 1].max())
            posteriors += rows.shape[0] * _trial.n_joint_outcomes.py_func(c)  # every joint outcome of a cohort
            if posteriors > MAX_EXACT_EFFTOX:
                raise ValueError(f"design: exact enumeration of EffTox would evaluate its posterior in more "
                                 f"than {MAX_EXACT_EFFTOX:,} states (fewer patients; 3 doses and 12 patients in "
                                 "cohorts of 3 need 115,800); use simulate()")
        kids, kid_ps = [], []
        n_kids = 0
        for lo in range(0, rows.shape[0], EXACT_CHUNK):
            c, cp, t, tp = for_code(_trial.expand_eff, low.code, low.ipar, low.fpar, low.tab, low.rules,
                                    low.safety_tab, q, low.max_n, low.n_aux, rows[lo:lo + EXACT_CHUNK],
                                    probs[lo:lo + EXACT_CHUNK], low.n_work, track)
            c, cp = _merge_eff(c, cp)
            kids.append(c)
            kid_ps.append(cp)
            n_kids += c.shape[0]
            terms.append(t)
            term_ps.append(tp)
            n_terms += t.shape[0]
            if n_terms > MAX_EXACT_STATES:  # merge the terminal states found so far
                t, tp = _merge_eff(np.concatenate(terms), np.concatenate(term_ps))
                terms, term_ps, n_terms = [t], [tp], t.shape[0]
            if n_states + n_kids > MAX_EXACT_STATES or n_terms > MAX_EXACT_STATES:
                raise ValueError(too_many)
        rows, probs = _merge_eff(np.concatenate(kids), np.concatenate(kid_ps))
        n_states += rows.shape[0]
        if n_states > MAX_EXACT_STATES:
            raise ValueError(too_many)
    term, term_p = _merge_eff(np.concatenate(terms), np.concatenate(term_ps))
    term = term.astype(np.int64)  # the records' integer type
    D = low.n_doses
    n_pat = term[:, 2:2 + D]
    n_dlt = term[:, 2 + D:2 + 2 * D]
    qae = np.divide(sc.p_ae_array, 1.0 - sc.p_tox, out=np.zeros(D), where=sc.p_tox < 1)
    return TrialRecords(selected=term[:, 0] + 1, n_patients=n_pat, n_dlt=n_dlt, n_ae=(n_pat - n_dlt) * qae,
                        stop_reason=term[:, 1], scenario=np.zeros(term.shape[0], dtype=np.int64), weight=term_p,
                        n_eff=term[:, 2 + 2 * D:])


def exact(design: Design, scenario: Scenario | ScenarioSet) -> OperatingCharacteristics:
    """Exact operating characteristics by enumerating every reachable trial state.

    Applies to every design whose decisions depend only on per-dose patient and DLT counts
    (plus a small integer state such as 3+3's de-escalation mode). States reached by
    different paths are merged after every cohort (dynamic programming), so the cost grows
    with the number of distinct states, not of paths. ``se()`` is zero for every summary.
    Expected low-grade AEs are exact expectations (AEs never change decisions).

    Examples
    --------
    >>> import doseesc as de
    >>> ex = de.exact(de.ThreePlusThree(), de.Scenario([0.1, 0.2, 0.3, 0.4, 0.5], target=0.3))
    >>> [round(float(x), 2) for x in ex.selection]
    [0.28, 0.33, 0.2, 0.06, 0.02]
    """
    design = _check_design(design)
    if not design.exact_ok:
        raise ValueError(f"design: exact operating characteristics are not available for {design.label()}; "
                         "use simulate()")
    scs = _scenario_list(scenario)
    low = design.lower(scs[0].n_doses)
    t0 = time.perf_counter()
    recs = [_exact_records(low, sc) for sc in scs]
    meta = {"seconds": time.perf_counter() - t0, "versions": _versions()}
    return OperatingCharacteristics(_concat(recs), scs, design, exact=True, meta=meta)


def _design_list(designs) -> list[Design]:
    """``compare``'s designs: one design or a list of them, labelled distinctly where named."""
    if isinstance(designs, Design):
        designs = [designs]
    elif isinstance(designs, (str, bytes, dict)) or not isinstance(designs, Iterable):
        raise ValueError(f"designs: expected a design or a list of designs, got {v._short(designs)}")
    designs = [_check_design(d) for d in designs]
    if not designs:
        raise ValueError("designs: give at least one design")
    seen: dict[str, Design] = {}
    for d in designs:
        lab = d.label()
        other = seen.get(lab)
        # two unnamed identical designs are allowed (the same design twice: a check of the common
        # random numbers); a name given explicitly must tell its design apart
        if other is not None and (d.name or other.name):
            raise ValueError(f"designs: two designs are labelled {lab!r}; give each a distinct name=")
        seen[lab] = d
    return designs


def compare(designs: Design | Sequence[Design], scenarios: Scenario | ScenarioSet | Iterable, n_trials: int = 10_000,
            seed: int = 1, *, threads: int | None = None, progress: bool | None = False,
            backend: Any = None, benchmark: bool = True) -> Comparison:
    """Simulate several designs on the same patients (common random numbers).

    ``designs`` is a list of designs (or one design); designs given a ``name`` must be named
    distinctly (the name labels their rows). ``n_trials`` (per design and scenario) as for
    :func:`simulate`.

    Patient i of trial t in scenario s has the same latent tolerance under every design, so
    paired differences (``Comparison.difference``) have much smaller Monte Carlo error than
    the difference of two independent runs. ``threads`` and ``backend`` as for :func:`simulate`.

    With ``benchmark=True`` (default) the complete-information benchmark
    (:func:`doseesc.optimal_benchmark`) runs on the same patients, once per scenario and per
    maximum sample size among the designs: ``Comparison.benchmark[j][max_n]``, its PCS in
    ``summary()`` and ``to_dict()`` (the upper reference for every design's correct selection,
    with each design's paired shortfall from it).

    Examples
    --------
    >>> import doseesc as de
    >>> sc = de.Scenario([0.05, 0.1, 0.2, 0.3], target=0.3)
    >>> cmp = de.compare([de.ThreePlusThree(), de.ThreePlusThree(deescalate=False)], [sc], n_trials=2000)
    >>> diff, se = cmp.difference("pcs", 1, 0)
    """
    designs = _design_list(designs)
    if isinstance(scenarios, (Scenario, ScenarioSet)):
        scenarios = [scenarios]
    if isinstance(scenarios, (str, bytes, dict)) or not isinstance(scenarios, Iterable):
        raise ValueError(f"scenarios: expected a Scenario, a ScenarioSet or a list of them, got {v._short(scenarios)}")
    scenarios = list(scenarios)
    if not scenarios:
        raise ValueError("scenarios: give at least one scenario")
    S = sum(len(_scenario_list(sc)) for sc in scenarios)
    v.flag("benchmark", benchmark)
    v.flag("progress", progress, allow_none=True)
    n_trials = check_trials(n_trials, S, f" per design ({S:,} scenarios)" if S > 1 else " per design")
    rows = S * n_trials * len(designs)
    check_memory(rows, _scenario_list(scenarios[0])[0].n_doses,
                 per=f" ({len(designs)} designs x {len(scenarios)} scenarios, all kept for the paired comparison)")
    with _backends.opened(backend) as executor:  # one pool of workers for every run
        ocs = [[simulate(d, sc, n_trials, seed, threads=threads, progress=progress, backend=executor,
                         _scenario_index=j) for j, sc in enumerate(scenarios)] for d in designs]
    bench = None
    if benchmark:
        from ..benchmark import optimal_benchmark

        sizes = sorted({d.lower(_scenario_list(scenarios[0])[0].n_doses).max_n for d in designs})
        bench = [{n: optimal_benchmark(sc, n, n_trials, seed, threads=threads, _scenario_index=j) for n in sizes}
                 for j, sc in enumerate(scenarios)]
    return Comparison(designs=designs, scenarios=scenarios, oc=ocs, seed=seed, meta={"versions": _versions()},
                      benchmark=bench)
