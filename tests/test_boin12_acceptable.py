"""``next``'s ``acceptable`` column of BOIN12 and TITE-BOIN12: the design's admissibility rule for
every dose (it once evaluated only d - 1, d, d + 1 and printed "no" for every other dose, so an
admissible dose, even the selected one, read "no")."""

import warnings

import numpy as np
import pytest
from scipy import stats

import doseesc as de

PHI_T, PHI_E, C_T, C_E = 0.2, 0.25, 0.95, 0.9  # BOIN12's admissibility rule (c_t, c_e the defaults)

CASES = [  # (outcomes, n_doses, the acceptable column, next dose, selected)
    ("1EEN 1EEN 2EEN 2EEN 3EEN 3EEN", 3, [True, True, True], None, 1),
    ("1ENN 2ENN 3EEN 4EEN", 4, [True, True, True, True], 4, 3),
    ("1ENN 2TTN", 4, [True, False, True, True], 1, 1),
]


def _admissible(n, y, e):
    """BOIN12's docstring rule, independently: P(p_T > phi_t | data) < c_t and P(p_E < phi_e | data) < c_e
    under Beta(1, 1) priors (an untried dose: the priors alone)."""
    return bool(stats.beta.sf(PHI_T, 1 + y, 1 + n - y) < C_T and stats.beta.cdf(PHI_E, 1 + e, 1 + n - e) < C_E)


def _recs(outcomes, n_doses):
    b12 = de.BOIN12(phi_t=PHI_T, phi_e=PHI_E, max_n=18)
    tite = de.TITEBOIN12(phi_t=PHI_T, phi_e=PHI_E, max_n=18)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deviation warnings of the reproductions (cohorts off the design)
        return b12.next_dose(outcomes, n_doses=n_doses), tite.next_dose(outcomes, n_doses=n_doses)


@pytest.mark.parametrize("outcomes, n_doses, want, nxt, sel", CASES)
def test_acceptable_is_the_admissibility_rule_for_every_dose(outcomes, n_doses, want, nxt, sel):
    for rec in _recs(outcomes, n_doses):
        # the recommendation itself is unchanged
        assert rec.dose == nxt and rec.selected == sel
        rule = [_admissible(int(n), int(y), int(e)) for n, y, e in zip(rec.n_patients, rec.n_dlt, rec.n_eff)]
        assert rule == want
        assert rec.acceptable.tolist() == want
        assert rec.to_dict()["acceptable"] == want  # the JSON key
        # the printed column, row by row
        rows = [x.split() for x in str(rec).splitlines() if x[:4].strip().isdigit()]
        assert [r[-1] for r in rows] == ["yes" if w else "no" for w in want]
        # the selected dose (and the next one here) is acceptable
        assert rec.acceptable[sel - 1]
        if nxt is not None:
            assert rec.acceptable[nxt - 1]
        # the footnote says what the column is and which doses the decision weighed
        note = next(x for x in rec.notes if x.startswith("acceptable:"))
        assert f"P(p_T > {PHI_T:g} | data) < {C_T:g}" in note and f"P(p_E < {PHI_E:g} | data) < {C_E:g}" in note
        assert "the next-dose decision weighs only d - 1, d, d + 1" in note
        assert f"note: {note}" in str(rec)


def test_identical_data_read_identically():
    """Doses 1-3 with the same 6 patients, 0 DLTs, 4 responses: the same verdict (dose 1, the
    selection, once read "no" while doses 2 and 3 read "yes")."""
    b12, tite = _recs(CASES[0][0], 3)
    for rec in (b12, tite):
        assert np.all(rec.n_patients == 6) and np.all(rec.n_dlt == 0) and np.all(rec.n_eff == 4)
        assert rec.acceptable.all()
        # by the printed probabilities: P(p_T > 0.2 | 0/6) = 0.21 < 0.95
        assert 1 - rec.prob_acc_tox[0] == pytest.approx(stats.beta.sf(PHI_T, 1, 7)) and 1 - rec.prob_acc_tox[0] < C_T


def test_untried_doses_all_judged_on_the_prior():
    """'1ENN 2TTN': untried doses 3 and 4 read alike (once 3 "yes", 4 "no"), on the priors alone,
    and the note names them and the doses the decision weighed (1-3 around dose 2)."""
    for rec in _recs("1ENN 2TTN", 4):
        assert rec.acceptable[2] == rec.acceptable[3] == _admissible(0, 0, 0)
        note = next(x for x in rec.notes if x.startswith("acceptable:"))
        assert "untried doses 3, 4: judged on the prior alone" in note
        assert "current dose d = 2 (doses 1-3)" in note


def test_before_any_patient_every_dose_on_the_prior():
    rec = de.BOIN12(phi_t=PHI_T, phi_e=PHI_E, max_n=18).next_dose("", n_doses=3)
    assert rec.dose == 1 and rec.acceptable.tolist() == [_admissible(0, 0, 0)] * 3
    assert any("the first cohort goes to the start dose 1" in x for x in rec.notes)
    # a prior that fails the efficacy rule (phi_e 0.95 >= c_e 0.9): untried doses read "no"
    rec = de.BOIN12(phi_t=PHI_T, phi_e=0.95, max_n=18).next_dose("", n_doses=3)
    assert not rec.acceptable.any()
