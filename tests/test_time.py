"""Time model: hand-calculated durations; dose decisions unchanged by it."""

import numpy as np
import pytest

import doseesc as de


def test_duration_hand_calculation_turn_away():
    # Window 10, a patient every 4 time units from the opening at 0, no DLT, 3+3 on two doses:
    # cohort 1 enrolled at 4, 8, 12 -> follow-up complete at 22; arrivals at 16 and 20 are turned
    # away; cohort 2 enrolled at 24, 28, 32 -> complete at 42: the top dose is acceptable, stop.
    tm = de.TimeModel(window=10, accrual="fixed", rate=0.25, waiting="turn_away")
    oc = de.simulate(de.ThreePlusThree(), de.Scenario([0.0, 0.0], target=0.3, time=tm), n_trials=5, seed=1)
    assert np.all(oc.records.duration == 42.0)
    assert np.all(oc.records.turned_away == 2)
    assert oc.se("duration") == 0


def test_duration_hand_calculation_queue():
    # Same, but arrivals wait: patients arriving at 16 and 20 start at 22 (waits 6 and 2), the
    # third arrives at 24 -> complete at 34. Mean wait per patient: 8 / 6.
    tm = de.TimeModel(window=10, accrual="fixed", rate=0.25, waiting="queue")
    oc = de.simulate(de.ThreePlusThree(), de.Scenario([0.0, 0.0], target=0.3, time=tm), n_trials=5, seed=1)
    assert np.all(oc.records.duration == 34.0)
    assert oc.waiting == pytest.approx(8 / 6)


def test_dlt_onset_shortens_follow_up():
    # Every patient has a DLT at dose 1: 3+3 stops after one cohort, when the last DLT occurs.
    # Enrolments at 4, 8, 12 with uniform onsets U_i in (0, 10): duration = max(4 + 10 U_1,
    # 8 + 10 U_2, 12 + 10 U_3), strictly inside (12, 22).
    tm = de.TimeModel(window=10, accrual="fixed", rate=0.25)
    oc = de.simulate(de.ThreePlusThree(), de.Scenario([1.0, 1.0], target=0.3, time=tm), n_trials=20000, seed=2)
    d = oc.records.duration
    assert np.all(d > 12) and np.all(d < 22)
    # E[duration] by numerical integration of P(max > x) over x in (12, 22)
    x = np.linspace(12, 22, 200001)
    cdf = np.clip((x - 4) / 10, 0, 1) * np.clip((x - 8) / 10, 0, 1) * np.clip((x - 12) / 10, 0, 1)
    expected = 12 + np.trapezoid(1 - cdf, x)
    assert abs(d.mean() - expected) < 4 * oc.se("duration")


@pytest.mark.parametrize("accrual, waiting, onset", [("fixed", "turn_away", "uniform"), ("poisson", "queue", "weibull")])
def test_time_model_does_not_change_decisions(accrual, waiting, onset):
    p = [0.05, 0.15, 0.3, 0.5]
    d = de.ThreePlusThree().stop_for_safety(0.5, target=0.3)
    tm = de.TimeModel(window=28, accrual=accrual, rate=3 / 28, waiting=waiting, onset=onset, shape=2.0)
    a = de.simulate(d, de.Scenario(p, target=0.3), 3000, 9).records
    b = de.simulate(d, de.Scenario(p, target=0.3, time=tm), 3000, 9).records
    assert np.array_equal(a.n_patients, b.n_patients) and np.array_equal(a.n_dlt, b.n_dlt)
    assert np.array_equal(a.selected, b.selected) and a.duration is None and np.all(b.duration > 0)


def test_poisson_duration_reproducible_and_sane():
    tm = de.TimeModel(window=28, accrual="poisson", rate=3 / 28)
    sc = de.Scenario([0.05, 0.1, 0.2], target=0.3, time=tm)
    a = de.simulate(de.ThreePlusThree(), sc, 2000, 4)
    b = de.simulate(de.ThreePlusThree(), sc, 2000, 4, threads=1)
    assert np.array_equal(a.records.duration, b.records.duration)
    # at least (cohorts) windows long: each cohort adds >= 28 of follow-up
    cohorts = a.records.n_patients.sum(axis=1) // 3
    assert np.all(a.records.duration >= 28 * cohorts - 1e-9)
    assert "duration_quantiles" in a.to_dict()


@pytest.mark.parametrize("kwargs, field", [
    (dict(window=0), "window"), (dict(window=28, rate=-1), "rate"), (dict(window=28, accrual="uniform"), "accrual"),
    (dict(window=28, onset="lognormal"), "onset"), (dict(window=28, shape=0), "shape"),
    (dict(window=28, waiting="wait"), "waiting"),
])
def test_time_model_validation(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        de.TimeModel(**kwargs)
    with pytest.raises(ValueError, match="^time:"):
        de.Scenario([0.1], target=0.3, time=28)
