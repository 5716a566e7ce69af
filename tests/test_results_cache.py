"""OperatingCharacteristics keeps its per-trial summaries between calls (small runs only): the
values are those of a fresh computation, a caller's dict does not reach the kept one, and records
swapped in (as ``_sums`` does) are never answered from the kept summaries."""

import numpy as np

import doseesc as de
from doseesc import results


def _sset():
    return de.ScenarioSet([[0.05, 0.1, 0.2, 0.35], [0.1, 0.25, 0.4, 0.5]], target=0.2)


def test_kept_per_trial_summaries_equal_a_fresh_computation():
    oc = de.simulate(de.BOIN(target=0.2, cohort_size=3, max_n=18), _sset(), n_trials=500, seed=2)
    first = oc._per_trial()
    first["pcs"] = None  # a caller's dict: not the kept one
    again = oc._per_trial()
    fresh = oc._per_trial_compute(False)
    assert again.keys() == fresh.keys()
    for k in fresh:
        assert np.array_equal(np.asarray(again[k]), np.asarray(fresh[k])), k
    assert "selection" in oc._per_trial(onehot=True) and "selection" not in oc._per_trial()
    se = oc.se_between("pcs")
    assert se == results.between_scenarios_se(fresh["pcs"], oc.records.scenario, 2)


def test_other_records_are_not_answered_from_the_kept_summaries():
    oc = de.simulate(de.BOIN(target=0.2, cohort_size=3, max_n=18), _sset(), n_trials=300, seed=3)
    other = de.simulate(de.BOIN(target=0.2, cohort_size=3, max_n=18), _sset(), n_trials=300, seed=4)
    a = oc._per_trial()
    saved = oc.records
    oc.records = other.records
    try:
        b = oc._per_trial()
    finally:
        oc.records = saved
    assert np.array_equal(b["pcs"], other._per_trial_compute(False)["pcs"])
    assert not np.array_equal(a["sample_size"], b["sample_size"])
