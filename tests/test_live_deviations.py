"""Live use after protocol deviations (a DMC audit): a design never recommends a dose its own rules
have ruled out, whatever dose the data were given at."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import doseesc as de


@pytest.mark.parametrize("cls", [de.BOIN, de.MTPI2, de.Keyboard, de.I3plus3])
def test_interval_designs_never_recommend_an_eliminated_dose(cls):
    d = cls(target=0.3, cohort_size=3, max_n=30)
    # 3 of 3 at dose 3: P(p > 0.3 | Beta(4, 1)) = 1 - 0.3^4 = 0.9919 > 0.95, so doses 3-5 are eliminated
    assert 1 - stats.beta.cdf(0.3, 4, 1) > 0.95
    assert d.next_dose("1NNN 2NNN 3TTT", n_doses=5).dose == 2
    with pytest.warns(de.DeviationWarning):
        r = d.next_dose("1NNN 2NNN 3TTT 4NNN", n_doses=5)
    assert r.dose == 2 and not r.stop  # was dose 4 (the cohort's dose, eliminated)
    with pytest.warns(de.DeviationWarning):
        r = d.next_dose("1NNN 2NNN 3TTT 4NNN 4NNN", n_doses=5)
    assert r.dose == 2
    assert [w for w in r.warnings if "cohort 5" in w]  # following the old advice to stay at 4 is a deviation too
    assert any("doses 3-5 eliminated after cohort 3" in n and "cohorts 4, 5" in n for n in r.notes)
    with pytest.warns(de.DeviationWarning):  # back at the eliminated dose itself
        assert d.next_dose("1NNN 2NNN 3TTT 2NNN 3NNN 3NNN", n_doses=5).dose == 2
    r = d.next_dose("1NNN 2NNN 3NTN", n_doses=5)  # nothing eliminated: no note
    assert not r.notes


def test_interval_design_stops_when_the_cohort_at_dose_1_eliminates_it():
    r = de.BOIN(target=0.3, cohort_size=3, max_n=30).next_dose("1TTT", n_doses=3)
    assert r.stop and r.reason == "safety" and r.selected is None


def test_three_plus_three_after_a_cohort_above_a_too_toxic_dose():
    d = de.ThreePlusThree()
    assert d.next_dose("1NNN 2TTN", n_doses=5).dose == 1  # 2/3 at dose 2: fill dose 1 to 6
    with pytest.warns(de.DeviationWarning):
        r = d.next_dose("1NNN 2TTN 3NNN", n_doses=5)
    assert (r.dose, r.cohort_size) == (1, 3)  # was: 3 more at dose 3
    with pytest.warns(de.DeviationWarning):
        r = d.next_dose("1NNN 2TTN 3NNN 3NNN", n_doses=5)
    assert (r.dose, r.cohort_size, r.stop) == (1, 3, False)  # was: stop, select dose 1 with 3 patients
    with pytest.warns(de.DeviationWarning):
        r = d.next_dose("1NNN 2TTN 3NNN 1NNN", n_doses=5)
    assert r.stop and r.selected == 1 and list(r.n_patients[:1]) == [6]
    with pytest.warns(de.DeviationWarning):
        r = d.next_dose("1NNN 2TTN 3NNN 1NTT", n_doses=5)
    assert r.stop and r.selected is None


def test_simulation_is_unchanged_by_the_live_only_rules():
    # the new branches are reachable only from data a design never generates: exact = Monte Carlo
    # (within 4 SE) and the exact 3+3 equals the pinned reference of tests/test_exact.py's kind
    sc = de.Scenario([0.05, 0.15, 0.3, 0.5], target=0.3)
    for d in (de.ThreePlusThree(), de.BOIN(target=0.3, cohort_size=3, max_n=18)):
        ex = de.exact(d, sc)
        mc = de.simulate(d, sc, n_trials=4000, seed=3)
        se = np.sqrt(np.maximum(ex.selection * (1 - ex.selection), 1e-4) / 4000)
        assert np.all(np.abs(mc.selection - ex.selection) <= 4 * se + 1e-12)


def test_a_stop_made_by_an_added_rule_says_so():
    # audit: a stop from stop_when_n_at_dose read 'design_rule', as the design's own stops do
    d = de.BOIN(target=0.3, cohort_size=3, max_n=30).stop_when_n_at_dose(6)
    r = d.next_dose("1NNN 2NNN 3NTN 3NNN", n_doses=3)
    assert r.stop and r.reason == "design_rule"
    assert any(n.startswith("the stop (design_rule) comes from the added rules (stop at 6 on the recommended dose): "
                            "BOIN (target 0.3) alone would continue with 3 at dose 3") for n in r.notes)
    crm = de.CRM(skeleton=[0.1, 0.2, 0.3], target=0.25, cohort_size=3, max_n=30).stop_for_safety(0.5)
    r = crm.next_dose("1TTN", n_doses=3)
    assert r.stop and r.reason == "safety" and any("comes from the added rules (safety stop" in n for n in r.notes)
    own = de.ThreePlusThree().stop_at_n(30).next_dose("1NNN 2NTT 1NNN", n_doses=3)  # the 3+3's own stop
    assert own.stop and not any("added rules" in n for n in own.notes)


def test_boin12_says_when_doses_above_a_toxic_dose_stay_open():
    d = de.BOIN12(phi_t=0.3, phi_e=0.25, cohort_size=3, max_n=30)
    with pytest.warns(de.DeviationWarning):
        r = d.next_dose("1NNN 2NNN 3TTT 4NNN", n_doses=5)
    # escalation's get_boin12 (the app's rules) judges d - 1, d, d + 1 on their own data: dose 5 is open
    assert r.dose == 5 and not r.acceptable[2]
    p = 1 - stats.beta.cdf(0.3, 4, 1)
    assert any(n.startswith(f"dose 3 fails the toxicity rule (P(p_T > 0.3 | data) = {p:.3f} >= 0.95)") for n in r.notes)
    plain = d.next_dose("1NNN 2NNN 3TTT", n_doses=5)
    assert not any("fails the toxicity rule" in n for n in plain.notes)
