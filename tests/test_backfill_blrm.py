"""Backfill for the BLRM (issue 16): the no-response special case (exactly the plain BLRM,
trial by trial), the plain-Python reference simulator of the backfill rules
(``tests/naive_backfill.py``, ``BLRMRef``) trial by trial, invariants, thread invariance and bad
input."""

import numba
import numpy as np
import pytest

import doseesc as de

from . import naive_backfill as nb

DOSES = [1, 2, 4, 8, 16]


def _time(onset="late"):
    return de.TimeModel(window=1, accrual="uniform", rate=3, onset=onset, clock_from="first_patient")


def _blrm(**kw):
    kw.setdefault("cohort_size", 3)
    kw.setdefault("max_n", 24)
    return de.BLRM(doses=DOSES, d_ref=4, **kw)


DESIGNS = {
    "ncrm": lambda: _blrm(),
    "ewoc-feasibility-stopping": lambda: _blrm(rule="ewoc", cohort_size=2, max_n=20, overdose_max_start=0.1,
                                               overdose_max_step=0.05, stopping="min_patients(26)"),
    "ncrm-skip-increment": lambda: _blrm(skip_untried=True, max_increment=1.0,
                                         stopping="patients_near_dose(9, percentage=0)"),
}


# ---------------------------------------------------------------- special case: no response, no backfill
@pytest.mark.parametrize("name", list(DESIGNS))
@pytest.mark.parametrize("truth", [[0.05, 0.1, 0.25, 0.4, 0.5], [0.3, 0.45, 0.6, 0.7, 0.8]])
def test_without_responses_it_is_the_plain_blrm_trial_by_trial(name, truth):
    """With no response anywhere no dose opens for backfill, so every trial is the plain BLRM's
    under the same time model (cohort loop, patients arriving during follow-up turned away):
    same selection, patients, DLTs, AEs, responses, stop reason and duration."""
    sc = de.Scenario(truth, target=0.25, p_eff=[0.0] * 5, p_ae=[0.1] * 5, time=_time())
    d = DESIGNS[name]()
    ref = de.simulate(d, sc, n_trials=300, seed=4).records
    got = de.simulate(d.with_backfill(cap=12), sc, n_trials=300, seed=4).records
    assert np.array_equal(got.n_backfill, np.zeros_like(got.n_backfill))
    assert len(set(ref.stop_reason.tolist())) >= 2 or truth[0] < 0.1  # not a trivial run
    for f in ("selected", "n_patients", "n_dlt", "n_ae", "n_eff", "stop_reason", "duration"):
        assert np.array_equal(getattr(got, f), getattr(ref, f)), f


# ---------------------------------------------------------------- plain-Python reference, trial by trial
@pytest.mark.parametrize("name, truth, eff, cap, end", [
    ("ncrm", [0.05, 0.12, 0.25, 0.4, 0.55], [0.3, 0.4, 0.5, 0.5, 0.5], 6, True),
    # lower doses turn ineligible with backfill data; the feasibility bound and min_patients count backfill
    ("ewoc-feasibility-stopping", [0.2, 0.3, 0.45, 0.6, 0.7], [0.5, 0.5, 0.5, 0.5, 0.5], 9, True),
    ("ncrm-skip-increment", [0.02, 0.05, 0.1, 0.15, 0.3], [0.2, 0.3, 0.4, 0.5, 0.6], 9, False),  # after escalation
])
def test_matches_the_plain_python_reference_trial_by_trial(name, truth, eff, cap, end):
    """Every trial equal to the plain-Python BLRM with backfill (tests/naive_backfill.py,
    BLRMRef; the rules written there, the per-dose posterior probabilities from the package's
    quadrature): selection, patients, DLTs and backfill patients per dose, duration, patients
    turned away; 200 trials per setting."""
    d = DESIGNS[name]()
    n_trials, seed = 200, 11
    sc = de.Scenario(truth, target=0.25, p_eff=eff, time=_time(onset="uniform"))
    rec = de.simulate(d.with_backfill(cap=cap, end_with_escalation=end), sc, n_trials=n_trials, seed=seed).records
    bad = []
    for t in range(n_trials):
        s, n, y, bf, dur, ta, _ = nb.trial("blrm", d, truth, eff, seed, t, 3.0, 1.0, cap, end_with_escalation=end)
        if not (s + 1 == rec.selected[t] and np.array_equal(n, rec.n_patients[t]) and np.array_equal(y, rec.n_dlt[t])
                and np.array_equal(bf, rec.n_backfill[t]) and dur == pytest.approx(rec.duration[t], abs=1e-9)
                and ta == rec.turned_away[t]):
            bad.append(t)
    assert not bad, bad[:5]
    assert rec.n_backfill.sum() > 0
    assert np.any(rec.selected == 0) or np.any(rec.stop_reason != rec.stop_reason[0])


# ---------------------------------------------------------------- invariants, threads, bad input
@pytest.mark.parametrize("name", list(DESIGNS))
def test_records_and_invariants(name):
    d = DESIGNS[name]()
    sc = de.Scenario([0.05, 0.12, 0.25, 0.4, 0.55], target=0.25, p_eff=[0.3, 0.4, 0.5, 0.5, 0.5], time=_time())
    rec = de.simulate(d.with_backfill(cap=6), sc, n_trials=200, seed=2).records
    esc = rec.n_patients - rec.n_backfill
    assert np.all(esc.sum(axis=1) <= d.max_n)  # max_n bounds the escalation patients only
    assert np.all(rec.n_backfill <= 7)  # at most cap + 1 per dose
    assert np.all(rec.n_dlt <= rec.n_patients) and rec.n_backfill.sum() > 0
    # a backfill patient is treated below the escalation doses' maximum
    top = np.array([np.flatnonzero(row)[-1] if row.any() else -1 for row in esc])
    for t in range(200):
        assert not np.any(rec.n_backfill[t, max(top[t], 0):])


@pytest.mark.parametrize("name", ["ncrm", "ewoc-feasibility-stopping"])
def test_same_records_for_any_thread_count(name):
    sc = de.Scenario([0.05, 0.12, 0.25, 0.4, 0.55], target=0.25, p_eff=[0.3, 0.4, 0.5, 0.5, 0.5], time=_time())
    d = DESIGNS[name]().with_backfill(cap=9)
    a = de.simulate(d, sc, n_trials=600, seed=8, threads=1).records
    b = de.simulate(d, sc, n_trials=600, seed=8, threads=min(2, numba.config.NUMBA_NUM_THREADS)).records
    for f in ("selected", "n_patients", "n_dlt", "n_backfill", "duration", "turned_away", "stop_reason"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f


def test_decision_cache_does_not_change_records():
    sc = de.Scenario([0.2, 0.3, 0.45, 0.6, 0.7], target=0.25, p_eff=[0.5] * 5, time=_time(onset="uniform"))
    on = de.simulate(_blrm().with_backfill(cap=9), sc, n_trials=200, seed=3).records
    off = de.simulate(_blrm(decision_cache=False).with_backfill(cap=9), sc, n_trials=200, seed=3).records
    for f in ("selected", "n_patients", "n_dlt", "n_backfill", "duration", "turned_away", "stop_reason"):
        assert np.array_equal(getattr(on, f), getattr(off, f)), f


def test_bad_input():
    for rule in ("ncrm_loss", "mtd_quantile"):
        with pytest.raises(ValueError, match="^rule: the BLRM with backfill supports rule 'ncrm' or 'ewoc', got "):
            _blrm(rule=rule).with_backfill()
    sc = de.Scenario([0.1] * 5, target=0.25, p_eff=[0.3] * 5, time=_time())
    with pytest.raises(ValueError, match="^cap: with the BLRM's max_n = 30 the cap must be at most 969, got 980$"):
        de.simulate(_blrm(max_n=30).with_backfill(cap=980), sc, n_trials=10)
    with pytest.raises(ValueError, match="^scenario: backfill opens a dose"):
        de.simulate(_blrm().with_backfill(), de.Scenario([0.1] * 5, target=0.25, time=_time()), n_trials=10)
    with pytest.raises(ValueError, match="^outcomes: live recommendations are not available"):
        _blrm().with_backfill().next_dose("1NNN")


def test_protocol_wording():
    sc = de.Scenario([0.05, 0.12, 0.25, 0.4, 0.55], target=0.25, p_eff=[0.3] * 5, time=_time())
    text = str(_blrm().with_backfill(cap=9)._protocol(sc))
    assert "eligible under the model's overdose control" in text and "at most 9 patients" in text


# ---------------------------------------------------------------- command line
CLI_BLRM = ["--design", "blrm", "--doses", "1,2,4,8", "--d-ref", "4", "--cohort-size", "3", "--max-n", "24"]
CLI_SC = ["--truth", "0.05,0.1,0.25,0.4", "--target", "0.25", "--eff", "0.3,0.4,0.5,0.5", "--window", "1", "--rate",
          "3", "--accrual", "uniform"]


def test_cli_simulate_with_backfill_equals_python(capsys):
    import json

    from doseesc.cli import main

    code = main(["simulate", *CLI_BLRM, "--backfill-cap", "12", *CLI_SC, "--n-trials", "200", "--seed", "5",
                 "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    d = json.loads(out)
    design = de.BLRM(doses=[1, 2, 4, 8], d_ref=4, cohort_size=3, max_n=24).with_backfill(cap=12)
    sc = de.Scenario([0.05, 0.1, 0.25, 0.4], target=0.25, p_eff=[0.3, 0.4, 0.5, 0.5],
                     time=de.TimeModel(window=1, rate=3, accrual="uniform"))
    oc = de.simulate(design, sc, n_trials=200, seed=5)
    assert sum(d["n_backfill"]) > 0 and d["n_backfill"] == pytest.approx(oc.n_backfill.tolist())
    assert d["selection"] == pytest.approx(oc.selection.tolist()) and d["design"]["backfill"]["cap"] == 12
    code = main(["simulate", *CLI_BLRM, "--rule", "ncrm_loss", "--backfill-cap", "12", *CLI_SC, "--n-trials", "10"])
    err = capsys.readouterr().err
    assert code != 0 and "rule: the BLRM with backfill supports rule 'ncrm' or 'ewoc'" in err
    assert len(err.strip().splitlines()) == 1
