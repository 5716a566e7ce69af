"""Backfill for the 3+3 and the CRM (issue 16): the no-response special case (exactly the plain
design, trial by trial), a plain-Python reference simulator of the backfill rules
(``tests/naive_backfill.py``) trial by trial, invariants, reproducibility and bad input."""

import warnings

import numba
import numpy as np
import pytest

import doseesc as de

from . import naive_backfill as nb

SK5 = [0.05, 0.12, 0.25, 0.4, 0.55]


def _time(onset="late"):
    return de.TimeModel(window=1, accrual="uniform", rate=3, onset=onset, clock_from="first_patient")


def _crm(**kw):
    kw.setdefault("skeleton", SK5)
    return de.CRM(target=0.25, cohort_size=kw.pop("cohort_size", 3), max_n=kw.pop("max_n", 24), **kw)


DESIGNS = {
    "3+3": lambda: de.ThreePlusThree(),
    "3+3-esc-only": lambda: de.ThreePlusThree(deescalate=False),
    "3+3-start2": lambda: de.ThreePlusThree(start_dose=2),
    "crm": lambda: _crm(),
    "crm-logistic-safety": lambda: _crm(cohort_size=1, max_n=20, model="logistic", model_safety_threshold=0.9),
    "crm-skip": lambda: _crm(skip_escalation=True),
}


# ---------------------------------------------------------------- special case: no response, no backfill
@pytest.mark.parametrize("name", list(DESIGNS))
@pytest.mark.parametrize("truth", [[0.05, 0.1, 0.25, 0.4, 0.5], [0.3, 0.45, 0.6, 0.7, 0.8],
                                   [0.02, 0.04, 0.06, 0.08, 0.12]])
def test_without_responses_it_is_the_plain_design_trial_by_trial(name, truth):
    """With no response anywhere no dose opens for backfill, so every trial is the plain
    design's under the same time model (cohort loop, patients arriving during follow-up
    turned away): same selection, patients, DLTs, AEs, responses, stop reason and duration."""
    sc = de.Scenario(truth, target=0.25, p_eff=[0.0] * 5, p_ae=[0.1] * 5, time=_time())
    d = DESIGNS[name]()
    ref = de.simulate(d, sc, n_trials=1500, seed=4).records
    got = de.simulate(d.with_backfill(cap=12), sc, n_trials=1500, seed=4).records
    assert np.array_equal(got.n_backfill, np.zeros_like(got.n_backfill))
    for f in ("selected", "n_patients", "n_dlt", "n_ae", "n_eff", "stop_reason", "duration"):
        assert np.array_equal(getattr(got, f), getattr(ref, f)), f


# ---------------------------------------------------------------- plain-Python reference, trial by trial
def _compare(kind, d, truth, eff, n_trials, cap, end=True, seed=11):
    tm = _time(onset="uniform")
    sc = de.Scenario(truth, target=0.25, p_eff=eff, time=tm)
    rec = de.simulate(d.with_backfill(cap=cap, end_with_escalation=end), sc, n_trials=n_trials, seed=seed).records
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's quad round-off notes on very peaked posteriors
        for t in range(n_trials):
            rows.append(nb.trial(kind, d, truth, eff, seed, t, 3.0, 1.0, cap, end_with_escalation=end))
    same = np.array([(s + 1 == rec.selected[t] and np.array_equal(n, rec.n_patients[t])
                      and np.array_equal(y, rec.n_dlt[t]) and np.array_equal(bf, rec.n_backfill[t])
                      and dur == pytest.approx(rec.duration[t], abs=1e-9) and ta == rec.turned_away[t])
                     for t, (s, n, y, bf, dur, ta, _) in enumerate(rows)])
    ref_sel = np.array([r[0] + 1 for r in rows])
    ref_n = np.array([r[1] for r in rows])
    ref_bf = np.array([r[3] for r in rows])
    fired = sum(r[6] for r in rows)
    return rec, same, ref_sel, ref_n, ref_bf, fired


@pytest.mark.parametrize("truth, eff, cap, end", [
    ([0.05, 0.12, 0.25, 0.4, 0.55], [0.3, 0.4, 0.5, 0.5, 0.5], 6, True),
    ([0.2, 0.3, 0.45, 0.6, 0.7], [0.5, 0.5, 0.5, 0.5, 0.5], 12, True),  # lower doses turn unsafe with backfill
    ([0.02, 0.05, 0.1, 0.15, 0.3], [0.2, 0.3, 0.4, 0.5, 0.6], 9, False),  # backfill after escalation
])
@pytest.mark.parametrize("name", ["3+3", "3+3-esc-only", "3+3-start2"])
def test_3p3_matches_the_plain_python_reference_trial_by_trial(name, truth, eff, cap, end):
    """Every trial equal to the plain-Python 3+3 with backfill (tests/naive_backfill.py):
    selection, patients, DLTs and backfill patients per dose, duration, patients turned away."""
    d = DESIGNS[name]()
    rec, same, *_, fired = _compare("3+3", d, truth, eff, 600, cap, end)
    assert same.all(), np.flatnonzero(~same)[:5]
    assert rec.n_backfill.sum() > 0
    if truth[0] == 0.2 and d.deescalate:
        assert fired > 10  # the backfill de-escalation rule is exercised


@pytest.mark.slow
@pytest.mark.parametrize("truth, eff, kw, end", [
    ([0.05, 0.12, 0.25, 0.4, 0.55], [0.3, 0.4, 0.5, 0.5, 0.5], {}, True),
    ([0.2, 0.3, 0.45, 0.6, 0.7], [0.5, 0.5, 0.5, 0.5, 0.5], {"model": "logistic", "cohort_size": 2}, True),
    ([0.02, 0.05, 0.1, 0.15, 0.3], [0.2, 0.3, 0.4, 0.5, 0.6], {"skip_escalation": True}, False),
])
def test_crm_matches_the_plain_python_reference(truth, eff, kw, end):
    """The CRM with backfill against the plain-Python reference (posterior means by scipy
    quadrature, tests/naive_backfill.py) on the same random numbers, 150 trials per setting
    (the reference takes ~0.1 s a trial). Trials can only differ where a posterior mean lies
    within the two quadratures' disagreement (~1e-7) of a decision boundary: at least 98% of
    the trials must be identical, and the selection and mean patients per dose within 4 SE
    (SE of the paired difference per trial, floored at the SE of a 1/150 change)."""
    d = _crm(**kw)
    n = 150
    rec, same, ref_sel, ref_n, ref_bf, _ = _compare("crm", d, truth, eff, n, 9, end)
    assert same.mean() >= 0.98
    assert rec.n_backfill.sum() > 0
    for dose in range(6):
        diff = (rec.selected == dose).astype(float) - (ref_sel == dose)
        se = max(diff.std(ddof=1) / np.sqrt(n), 1 / n)
        assert abs(diff.mean()) <= 4 * se
    for got, ref in ((rec.n_patients, ref_n), (rec.n_backfill, ref_bf)):
        diff = got - ref
        se = np.maximum(diff.std(axis=0, ddof=1) / np.sqrt(n), 1 / n)
        assert np.all(np.abs(diff.mean(axis=0)) <= 4 * se)


# ---------------------------------------------------------------- invariants, threads, bad input
@pytest.mark.parametrize("name", ["3+3", "crm"])
def test_records_and_invariants(name):
    sc = de.Scenario([0.02, 0.05, 0.08, 0.11, 0.25], target=0.25, p_eff=[0.3, 0.3, 0.4, 0.4, 0.5], time=_time())
    d = DESIGNS[name]()
    oc = de.simulate(d.with_backfill(cap=12), sc, n_trials=1000, seed=3)
    r = oc.records
    assert np.all(r.n_backfill <= r.n_patients) and np.all(r.n_dlt <= r.n_patients)
    esc = r.n_patients - r.n_backfill
    if name == "3+3":
        assert np.all(esc <= 6)  # the 3+3 never treats more than 6 escalation patients at a dose
    else:
        assert np.all(esc.sum(axis=1) <= 24)  # max_n bounds the escalation patients only
    assert np.all(r.n_backfill <= 13)  # a dose holds at most cap + 1 patients from backfill
    assert oc.backfill > 1 and oc.n_backfill[-1] == 0  # never at the top dose
    assert oc.selection.sum() + oc.no_selection == pytest.approx(1.0)
    more = de.simulate(d.with_backfill(cap=12, end_with_escalation=False), sc, n_trials=1000, seed=3)
    assert more.backfill > oc.backfill


def test_3p3_selection_is_below_every_dose_with_two_dlts():
    """3+3 with backfill: the final selection (on every patient, backfill included) is never at
    or above a dose with >= 2 DLTs, however many patients that dose holds."""
    sc = de.Scenario([0.2, 0.3, 0.45, 0.6, 0.7], target=0.25, p_eff=[0.5] * 5, time=_time())
    r = de.simulate(de.ThreePlusThree().with_backfill(cap=12), sc, n_trials=2000, seed=2).records
    for t in range(len(r)):
        s = r.selected[t]
        if s > 0:
            assert np.all(r.n_dlt[t, :s] < 2)


@pytest.mark.parametrize("name", ["3+3", "crm"])
def test_same_records_for_any_thread_count(name):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    sc = de.Scenario([0.04, 0.12, 0.25, 0.43, 0.63], target=0.25, p_eff=[0.1, 0.2, 0.3, 0.45, 0.58], time=_time())
    d = DESIGNS[name]().with_backfill(cap=12)
    a = de.simulate(d, sc, n_trials=1500, seed=8, threads=1).records
    b = de.simulate(d, sc, n_trials=1500, seed=8, threads=2).records
    for f in ("selected", "n_patients", "n_dlt", "n_eff", "n_backfill", "duration", "turned_away"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f


def test_bad_input():
    with pytest.raises(ValueError, match="^with_backfill: available for BOIN, 3\\+3, CRM and BLRM"):
        de.MTPI(target=0.25, cohort_size=3, max_n=30).with_backfill(cap=12)
    with pytest.raises(ValueError, match="^with_backfill: the CRM's two-stage"):
        de.CRM(skeleton=[0.1, 0.2, 0.3], target=0.25, max_n=6, x0=[1, 1, 2, 2, 3, 3]).with_backfill()
    with pytest.raises(ValueError, match="^cap"):
        de.ThreePlusThree().with_backfill(cap=0)
    sc = de.Scenario([0.1, 0.2, 0.3, 0.4, 0.5], target=0.25, p_eff=[0.3] * 5, time=_time())
    with pytest.raises(ValueError, match="^cap: with the CRM's max_n"):
        de.simulate(_crm(max_n=30).with_backfill(cap=980), sc, n_trials=10)
    with pytest.raises(ValueError, match="^outcomes: live"):
        de.ThreePlusThree().with_backfill().next_dose("1NNN")
    with pytest.raises(ValueError, match="^design: exact"):
        de.exact(de.ThreePlusThree().with_backfill(), sc)
    assert de.ThreePlusThree().with_backfill().select([3, 6], [0, 1]) == de.ThreePlusThree().select([3, 6], [0, 1])
    assert _crm().with_backfill().select([3, 6, 3, 0, 0], [0, 1, 2, 0, 0]) == _crm().select([3, 6, 3, 0, 0],
                                                                                        [0, 1, 2, 0, 0])


def test_protocol_wording():
    t = de.ThreePlusThree().with_backfill(cap=10).describe()
    assert "Backfill: " in t and "fewer than 2" in t and "at most 10 patients" in t
    c = _crm().with_backfill(cap=8).describe()
    assert "Backfill: " in c and "enter the model" in c
    assert de.ThreePlusThree().with_backfill().label() == "BF-3+3 (cap 12)"
