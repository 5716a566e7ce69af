"""TITE-BOIN's event-driven simulator loop (``_kernels/tite._boin_rows``, which ``simulate`` runs)
against the general time-to-event loop ``_kernels/tite.run_trial``, which refills and recounts every
unsettled patient at each decision: the same records, trial by trial and to the last bit, over the
options that reach the loop (both estimates, turn away / queue, the three onset models, fixed /
Poisson / uniform accrual, either clock, drop-out, the extra-safe and early stops, stop_at_n /
stop_when_n_at_dose / safety stopping rules, AEs and efficacy counts)."""

from __future__ import annotations

import numpy as np
import pytest

import doseesc as de
from doseesc._kernels import tite as K
from doseesc._kernels.rng import make_key

P = [0.05, 0.15, 0.30, 0.45, 0.60]


def _reference(design, sc, n_trials, seed):
    """The records of ``simulate(design, sc, n_trials, seed)`` computed by ``run_trial``, one call per trial."""
    D = len(sc.p_tox)
    low = design.lower(D)
    tm = sc.time.pack()
    key = make_key(seed, 0)
    cap = max(low.max_n, 1)
    p_tox = np.asarray(sc.p_tox, dtype=np.float64)
    p_ae_cum = p_tox + sc.p_ae_array
    eff = sc.has_efficacy
    p_eff_t = np.asarray(sc.p_eff_given_tox, dtype=np.float64) if eff else p_tox
    p_eff_n = np.asarray(sc.p_eff_given_no_tox, dtype=np.float64) if eff else p_tox
    late = np.zeros((3, D))
    if tm[4] == 2.0:
        for d in range(D):
            late[:, d] = K.late_shape(tm, p_tox[d])
    out = {f: [] for f in ("sel", "reason", "dur", "wait", "turned", "n", "y", "ae", "nd", "ne")}
    work = np.zeros(max(low.n_work + low.n_cache, 1))
    for t in range(n_trials):
        i8, f8 = np.int64, np.float64
        n, y, ae, nd = (np.zeros(D, i8) for _ in range(4))
        ne = np.zeros(D if eff else 0, i8)
        s, rs, dur, w, a = K.run_trial(
            low.code, low.ipar, low.fpar, low.tab, low.rules, low.safety_tab, tm, p_tox, p_ae_cum, p_eff_t, p_eff_n,
            key, t, low.max_n, n, y, ae, nd, ne, np.zeros(cap, i8), np.zeros(cap, f8), np.zeros(cap, np.int8),
            np.zeros(cap, f8), np.zeros(cap, f8), np.zeros(cap, np.int8), np.zeros(cap, f8), np.zeros(cap, np.int8),
            *(np.zeros(D, i8) for _ in range(4)), np.zeros(D, f8), np.zeros(3 * D + 2, i8), work,
            np.zeros(D, i8), np.zeros(D, i8), late, np.zeros(cap, np.int8), np.zeros(cap, f8), np.zeros(cap, np.int8),
            np.zeros(cap, f8), np.zeros(D, i8), np.zeros((4, D), i8), np.zeros((3, D), f8))
        for f, x in zip(out, (s + 1, rs, dur, w, a, n, y, ae, nd, ne)):
            out[f].append(x)
    return {f: np.array(x) for f, x in out.items()}


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
def test_event_loop_equals_general_loop(name, p):
    design, tm = CASES[name]
    sc = de.Scenario(p, target=0.3, p_ae=[0.1] * len(p), time=tm)
    if name.startswith("imputation/rules"):
        sc = de.Scenario(p, target=0.3, p_eff=[0.2, 0.3, 0.4, 0.5, 0.5], time=tm)
    rec = de.simulate(design, sc, n_trials=200, seed=5).records
    ref = _reference(design, sc, 200, 5)
    np.testing.assert_array_equal(rec.selected, ref["sel"])
    np.testing.assert_array_equal(rec.stop_reason, ref["reason"])
    np.testing.assert_array_equal(rec.n_patients, ref["n"])
    np.testing.assert_array_equal(rec.n_dlt, ref["y"])
    np.testing.assert_array_equal(rec.n_ae, ref["ae"])
    np.testing.assert_array_equal(rec.n_dropout, ref["nd"])
    if sc.has_efficacy:
        np.testing.assert_array_equal(rec.n_eff, ref["ne"])
    # bit for bit: times are compared as floats, not within a tolerance
    np.testing.assert_array_equal(rec.duration, ref["dur"])
    np.testing.assert_array_equal(rec.waited, ref["wait"])
    np.testing.assert_array_equal(rec.turned_away, ref["turned"])
    assert len(set(ref["reason"].tolist())) >= 1
