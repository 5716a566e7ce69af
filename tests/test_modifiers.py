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


def test_rules_on_a_time_to_event_design_in_live_use():
    # Live use of a modified TITE design runs the TITE decision code with the rules on top (it used to fall
    # into the cohort-loop replay and recommend "dose 0"). Hand check: P(p1 > 0.2 | 2 DLTs in 3, Beta(1, 1))
    # = 1 - P(Binomial(4, 0.2) >= 3) = 1 - 0.0272 = 0.9728 > 0.9, so 1T 1T 1N stops; with 2 patients
    # (min_n = 3) it does not.
    import warnings

    tc = de.TITECRM(skeleton=[0.05, 0.1, 0.2, 0.35], target=0.2, max_n=18)
    m = tc.stop_for_safety(0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", de.DeviationWarning)
        for outcomes in ("", "1N", "1N 2N", "1T 1T"):
            a, b = tc.next_dose(outcomes), m.next_dose(outcomes)
            assert (b.dose, b.cohort_size, b.stop) == (a.dose, a.cohort_size, a.stop) and b.dose >= 1, outcomes
        rec = m.next_dose("1T 1T 1N")
        assert rec.stop and rec.reason == "safety" and rec.selected is None
        assert not tc.next_dose("1T 1T 1N").stop
    data = [dict(dose=1, dlt=1, follow_up=5), dict(dose=1, dlt=1, follow_up=9), dict(dose=1, dlt=0, follow_up=28)]
    assert m.next_dose_tite(data, window=28).reason == "safety"
    assert tc.next_dose_tite(data, window=28).dose == 1
    assert m.select([3, 3, 0, 0], [0, 1, 0, 0]) == tc.select([3, 3, 0, 0], [0, 1, 0, 0])
    with pytest.raises(ValueError, match="^data: partial follow-up is for the time-to-event designs"):
        de.ThreePlusThree().stop_at_n(9).next_dose_tite(data, window=28)
    # stop_at_n caps the live total as in simulation
    with pytest.raises(ValueError, match=r"^outcomes: 4 patients entered, .* \(max_n = 3\)"):
        tc.stop_at_n(3).next_dose("1N 2N 3N 3N")


def test_time_to_event_outcome_strings_recommend_whole_cohorts():
    # An outcome string is replayed one decision per cohort, so the next cohort has the design's size
    # (TITE-BOIN cohorts of 3; the last one capped by max_n); TITE-CRM decides for each patient.
    tb = de.TITEBOIN(target=0.2, max_n=18, cohort_size=3)
    assert (tb.next_dose("", n_doses=4).dose, tb.next_dose("", n_doses=4).cohort_size) == (1, 3)
    assert (tb.next_dose("1NNN", n_doses=4).dose, tb.next_dose("1NNN", n_doses=4).cohort_size) == (2, 3)
    assert tb.next_dose("1NNN " * 5 + "2NN", n_doses=4).cohort_size == 1
    paths = de.dose_paths(tb, 1, n_doses=4)
    assert [n.outcomes for n in paths] == ["", "1NNN", "1NNT", "1NTT", "1TTT"]


def test_stop_when_n_at_a_given_dose_level():
    # R escalation's stop_when_n_at_dose(n, dose = 2): stop once dose level 2 has n patients,
    # whatever the recommendation; the design's selection stands
    import warnings

    d = de.CRM(skeleton=[0.05, 0.1, 0.25, 0.4, 0.6], target=0.25, max_n=100).stop_when_n_at_dose(12, dose=2)
    assert not d.next_dose("1NNN 2NTN 2TNN 2NNN").stop
    rec = d.next_dose("1NNN 2NTN 2TNN 2NNN 2NTT")
    assert rec.stop and rec.reason == "design_rule" and rec.selected == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cohorts given where the design would not have
        assert not d.next_dose("1NNN 2NTN 2TNN 3NNN 3NNT 3NNN 3NNN").stop  # 12 at dose 3, not dose 2
    assert "stop at 12 on dose level 2" in d.label()
    assert de.CRM(skeleton=[0.05, 0.1, 0.25], target=0.25, max_n=30).stop_when_n_at_dose(6, dose="2").n_at_dose_of == 2
    # exact = Monte Carlo within 4 SE, and every trial that stops by the rule has 9 at dose level 2
    b = de.BOIN(target=0.3, cohort_size=3, max_n=30).stop_when_n_at_dose(9, dose=2)
    sc = de.Scenario([0.1, 0.2, 0.35, 0.5], target=0.3)
    ex, mc = de.exact(b, sc), de.simulate(b, sc, 20_000, seed=2)
    assert np.all(np.abs(ex.selection - mc.selection) <= 4 * mc.se("selection"))
    assert abs(ex.sample_size - mc.sample_size) <= 4 * mc.se("sample_size")
    r = mc.records
    ruled = r.stop_reason == 2
    assert ruled.mean() > 0.5 and np.all(r.n_patients[ruled, 1] >= 9)
    assert np.all(r.n_patients[~ruled, 1] < 9 + 3)


@pytest.mark.parametrize("dose, msg", [(0, "from 1 to 1000, got 0"), (5, "from 1 to 4, got 5"),
                                       ("two", "or a dose level (an integer >= 1), got 'two'"), (True, "got True")])
def test_stop_when_n_at_dose_bad_dose(dose, msg):
    with pytest.raises(ValueError, match=r"^n_at_dose_of: .*" + msg.replace("(", r"\(").replace(")", r"\)")):
        de.BOIN(target=0.3, cohort_size=3, max_n=30).stop_when_n_at_dose(9, dose=dose).lower(4)
