"""Composable rules on top of any design: hand-checked decisions, exact vs Monte Carlo."""

import numpy as np
import pytest

import doseesc as de

SC = de.Scenario([0.15, 0.3, 0.45, 0.6], target=0.3)


def test_safety_stop_hand_calculation():
    # P(p1 > 0.3 | 2 DLTs in 3, Beta(1,1)) = P(Beta(3, 2) > 0.3) = 1 - (4 * .3^3 * .7 + .3^4) = 0.9163
    d = de.ThreePlusThree().stop_for_safety(0.9, target=0.3)
    assert d.next_dose("1NTT", n_doses=4).reason == "safety"
    d = de.ThreePlusThree().stop_for_safety(0.92, target=0.3)
    assert d.next_dose("1NTT", n_doses=4).reason == "safety"  # 3+3's own rule: 2/3 at the lowest dose
    assert d.next_dose("1TNN", n_doses=4).dose == 1
    # min_n: nothing happens before 6 patients
    d = de.ThreePlusThree().stop_for_safety(0.5, target=0.3, min_n=6)
    assert not d.next_dose("1TNN", n_doses=4).stop


def test_stop_when_n_at_dose_and_stop_at_n():
    d = de.ThreePlusThree().stop_when_n_at_dose(6, dose="current")
    rec = d.next_dose("1NNN 2TNN 2NNN", n_doses=4)
    assert rec.stop and rec.reason == "design_rule" and rec.selected == 2
    d = de.ThreePlusThree().stop_at_n(6)
    rec = d.next_dose("1NNN 2TNN", n_doses=4)
    assert rec.stop and rec.reason == "max_n"
    assert de.exact(d, SC).records.n_patients.sum(axis=1).max() == 6


def test_chaining_merges_and_labels():
    d = de.ThreePlusThree().dont_skip_doses().stop_at_n(9).stop_when_n_at_dose(6)
    assert isinstance(d, de.Modified) and not isinstance(d.base, de.Modified)
    assert d.dont_skip and d.stop_at == 9 and d.stop_n_at_dose == 6
    assert "max 9 patients" in d.label()
    assert d.to_dict()["design"] == "3+3"


def test_bad_modifier_input():
    with pytest.raises(ValueError, match="^safety_target:"):
        de.ThreePlusThree().stop_for_safety(0.9)
    with pytest.raises(ValueError, match="^safety_threshold:"):
        de.ThreePlusThree().stop_for_safety(1.5, target=0.3)
    with pytest.raises(ValueError, match="^stop_n_at_dose:"):
        de.ThreePlusThree().stop_when_n_at_dose(0)
    with pytest.raises(ValueError, match="^n_at_dose_of:"):
        de.ThreePlusThree().stop_when_n_at_dose(3, dose="next")
    with pytest.raises(ValueError, match="^safety_prior:"):
        de.ThreePlusThree().stop_for_safety(0.9, target=0.3, prior=(0, 1))


@pytest.mark.slow
def test_modified_exact_agrees_with_monte_carlo():
    d = de.ThreePlusThree().stop_for_safety(0.3, target=0.3).stop_at_n(12)  # stops at 1/3 on dose 1 too
    ex = de.exact(d, SC)
    oc = de.simulate(d, SC, n_trials=100_000, seed=3)
    for name in ("selection", "no_selection", "n_patients", "sample_size", "early_stop"):
        z = np.abs(np.asarray(getattr(oc, name)) - getattr(ex, name)) / np.maximum(oc.se(name), 1e-9)
        assert np.all(z < 4), (name, z)
    assert ex.early_stop > de.exact(de.ThreePlusThree().stop_at_n(12), SC).early_stop
