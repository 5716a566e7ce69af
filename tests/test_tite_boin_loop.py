"""TITE-BOIN's event-driven simulator loop (``_kernels/tite._boin_rows``, which ``simulate`` runs)
against the general time-to-event loop TITE-BOIN ran in before (``_kernels/tite.run_trial``, which
refilled and recounted every unsettled patient at each decision): the same records, trial by trial
and to the last bit, over the options that reach the loop (both estimates, turn away / queue, the
three onset models, fixed / Poisson / uniform accrual, either clock, drop-out, the extra-safe and
early stops, stop_at_n / stop_when_n_at_dose / safety stopping rules, AEs and efficacy counts).

The general loop's TITE-BOIN branch was removed once the event loop had been checked against it
trial by trial (doseesc commit 574d439, where both ran and this test compared them field by field).
``tests/data/tite_boin_former_loop.json`` holds the SHA-256 of the former loop's records for every
case below, computed then, by that commit's ``run_trial``, one call per trial."""

from __future__ import annotations

import hashlib
import json
import pathlib

import numpy as np
import pytest

import doseesc as de

P = [0.05, 0.15, 0.30, 0.45, 0.60]
FORMER = json.loads((pathlib.Path(__file__).parent / "data" / "tite_boin_former_loop.json").read_text())


def records_digest(rec, efficacy: bool) -> str:
    """SHA-256 over the record fields, each as int64 or float64 bytes with its shape, in a fixed order."""
    cols = [rec.selected, rec.stop_reason, rec.n_patients, rec.n_dlt, rec.n_ae, rec.n_dropout]
    cols = [np.asarray(c, dtype=np.int64) for c in cols]
    cols += [np.asarray(c, dtype=np.float64) for c in (rec.duration, rec.waited)]
    cols.append(np.asarray(rec.turned_away, dtype=np.int64))
    if efficacy:
        cols.append(np.asarray(rec.n_eff, dtype=np.int64))
    h = hashlib.sha256()
    for c in cols:
        c = np.ascontiguousarray(c)
        h.update(str(c.dtype).encode() + str(c.shape).encode() + c.tobytes())
    return h.hexdigest()


def _tm(**kw):
    base = dict(window=3.0, accrual="poisson", rate=2.0)
    base.update(kw)
    return de.TimeModel(**base)


CASES = {
    "imputation/turn-away": (de.TITEBOIN(target=0.3, max_n=30, cohort_size=3), _tm()),
    "ess/late/turn-away": (de.TITEBOIN(target=0.3, max_n=36, cohort_size=3, estimate="ess"), _tm(onset="late")),
    "ess/queue/weibull": (de.TITEBOIN(target=0.3, max_n=24, cohort_size=2, estimate="ess"),
                          _tm(waiting="queue", onset="weibull", shape=2.0)),
    "imputation/queue/fixed": (de.TITEBOIN(target=0.25, max_n=24, cohort_size=1), _tm(accrual="fixed", rate=3.0,
                                                                                     waiting="queue")),
    "imputation/dropout/extrasafe": (de.TITEBOIN(target=0.3, max_n=24, cohort_size=3, extrasafe=True),
                                     _tm(dropout=0.15, onset="late")),
    "ess/dropout/queue": (de.TITEBOIN(target=0.3, max_n=24, cohort_size=3, estimate="ess"),
                          _tm(dropout=0.2, waiting="queue", rate=1.0)),
    "ess/earlystop/uniform-accrual": (de.TITEBOIN(target=0.3, max_n=30, cohort_size=3, estimate="ess",
                                                  n_earlystop=9, start_dose=2),
                                      _tm(accrual="uniform", clock_from="first_patient")),
    "imputation/rules": (de.TITEBOIN(target=0.3, max_n=30, cohort_size=3).stop_when_n_at_dose(9)
                         .stop_for_safety(0.9).dont_skip_doses(), _tm(rate=4.0)),
    "ess/stop_at_n/suspend": (de.TITEBOIN(target=0.3, max_n=36, cohort_size=3, estimate="ess",
                                          accrual_suspend=0.3).stop_at_n(21), _tm(onset="late", rate=6.0)),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("p", [P, [0.3, 0.45, 0.55, 0.65, 0.75]], ids=["rising", "toxic"])
def test_event_loop_equals_former_general_loop(name, p):
    design, tm = CASES[name]
    sc = de.Scenario(p, target=0.3, p_ae=[0.1] * len(p), time=tm)
    if name.startswith("imputation/rules"):
        sc = de.Scenario(p, target=0.3, p_eff=[0.2, 0.3, 0.4, 0.5, 0.5], time=tm)
    rec = de.simulate(design, sc, n_trials=200, seed=5).records
    key = f"{name}|{'rising' if p == P else 'toxic'}"
    # bit for bit: times enter the digest as float64 bytes, not within a tolerance
    assert records_digest(rec, sc.has_efficacy) == FORMER[key]


# Turned-away accrual with the "late" or Weibull onset and no drop-outs: the loop bounds each DLT time
# from a table (tite.ONSET_BINS) and computes it only when the clock falls between the bounds. These
# digests were computed by the loop before it did (commit ebe5e37), which computed every DLT time at
# enrolment: the records must not change by a bit.
BEFORE_LAZY = json.loads((pathlib.Path(__file__).parent / "data" / "tite_boin_lazy_onsets.json").read_text())
LAZY_CASES = {
    "imputation/late/turn-away": (de.TITEBOIN(target=0.3, max_n=30, cohort_size=3), _tm(onset="late")),
    "ess/weibull/turn-away": (de.TITEBOIN(target=0.3, max_n=24, cohort_size=2, estimate="ess"),
                              _tm(onset="weibull", shape=2.0)),
    "imputation/weibull/rules/efficacy": (de.TITEBOIN(target=0.25, max_n=30, cohort_size=3).stop_when_n_at_dose(12)
                                          .stop_for_safety(0.9), _tm(onset="weibull", shape=0.7, rate=5.0)),
    "ess/late/fast/suspend": (de.TITEBOIN(target=0.3, max_n=36, cohort_size=3, estimate="ess", accrual_suspend=0.3),
                              _tm(onset="late", rate=8.0, window=2.0)),
}


@pytest.mark.parametrize("name", list(LAZY_CASES))
@pytest.mark.parametrize("p", [P, [0.3, 0.45, 0.55, 0.65, 0.75]], ids=["rising", "toxic"])
def test_lazy_onsets_leave_records_unchanged(name, p):
    design, tm = LAZY_CASES[name]
    eff = [0.2, 0.3, 0.4, 0.5, 0.5] if "efficacy" in name else None
    sc = de.Scenario(p, target=0.3, p_ae=[0.1] * len(p), time=tm, p_eff=eff)
    rec = de.simulate(design, sc, n_trials=400, seed=11).records
    assert records_digest(rec, sc.has_efficacy) == BEFORE_LAZY[f"{name}|{'rising' if p == P else 'toxic'}"]


def test_onset_bounds_hold_the_computed_times():
    """Every DLT time the loop may bound lies between its bin's bounds (ONSET_SLACK covers the
    rounding of the computed functions), over a dense grid of draws and both pow-based models."""
    from doseesc._kernels import tite as T
    from doseesc._kernels.timing import late_shape, onset_v

    for tm in (_tm(onset="late"), _tm(onset="weibull", shape=0.6), _tm(onset="weibull", shape=3.0)):
        arr = tm.pack()
        p_tox = np.array([[0.01, 0.2, 0.6, 0.999]])
        xt = T._onset_bounds(arr, p_tox, 0, 0)
        assert xt.shape == (1, 2, 4, T.ONSET_BINS + 1)
        draws = np.random.default_rng(3).random(20_000)
        for d in range(4):
            q, a, inv_k = 0.0, 1.0, 1.0
            if arr[4] == 2.0:
                q, a, k = late_shape(arr, p_tox[0, d])
                inv_k = 1.0 / k
            for u in draws:
                x = onset_v(arr[4], arr[1], arr[5], u, q, a, inv_k)
                b = int(u * T.ONSET_BINS)
                assert xt[0, 0, d, b] <= x <= xt[0, 1, d, b + 1]
