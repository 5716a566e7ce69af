"""Design.describe() / spec_rows(): protocol wording generated from the design's fields.

Every description must carry the design's key numbers (checked against published values and R
BOIN's get.boundary where they exist) and must change when any constructor field changes (every
field of every design is covered: the test fails when a design gains a field the wording ignores).
"""

import dataclasses
import json
import pathlib
import re

import numpy as np
import pytest

import doseesc as de

DATA = pathlib.Path(__file__).parent / "data"
SC5 = de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45], target=0.25)
SKEL = [0.05, 0.12, 0.25, 0.40, 0.55]  # Cheung (2011) Table 3.2 / published.md item 1


def _tite_scenario():
    return de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45], target=0.25, time=de.TimeModel(window=28, rate=3 / 28))


# ---------------------------------------------------------------------------- key numbers
def test_boin_published_boundaries():
    # published.md item 5 (BOIN, target 0.30): lambda_e = 0.2364, lambda_d = 0.3585. Target 0.25: 0.197 / 0.298
    # (Liu & Yuan's formulas with p_saf = 0.6 phi, p_tox = 1.4 phi; R BOIN get.boundary prints these).
    text = de.BOIN(target=0.3, cohort_size=3, max_n=30).describe()
    assert "lambda_e = 0.236" in text and "lambda_d = 0.358" in text
    lam_e, lam_d = de.BOIN(target=0.3, cohort_size=3, max_n=30).lambdas
    assert f"lambda_e = {lam_e:.6f} and lambda_d = {lam_d:.6f}" in text  # six decimals: 0.2364..., 0.3585...
    assert f"{lam_e:.6f}".startswith("0.2364") and f"{lam_d:.6f}".startswith("0.3585")
    d = de.BOIN(target=0.25, cohort_size=3, max_n=30)
    text = d.describe()
    assert "0.197" in text and "0.298" in text
    rows = dict(d.spec_rows())
    assert rows["Escalation boundary lambda_e"].startswith("0.197")
    assert rows["De-escalation boundary lambda_d"].startswith("0.298")
    assert rows["p_saf, p_tox"] == "0.15, 0.35"


def test_boin_elimination_counts_equal_r_get_boundary():
    # R BOIN 2.7.2 get.boundary, target 0.25, cohorts of 3 (tests/data/boin_peer_decisions.jsonl; also
    # published.md item 5: eliminate if >= 3 4 5 at n = 3, 6, 9).
    ref = next(json.loads(line) for line in (DATA / "boin_peer_decisions.jsonl").open()
               if '"boin_boundary"' in line and '"target": 0.25' in line and '"cohortsize": 3' in line)
    text = de.BOIN(target=0.25, cohort_size=3, max_n=30).describe()
    expect = ", ".join(f"{ref['eliminate_if_ge'][n - 1]} or more of {n}" for n in (3, 6, 9))
    assert f"In numbers of DLTs: {expect}." in text
    assert expect == "3 or more of 3, 4 or more of 6, 5 or more of 9"


def test_mtpi_family_intervals():
    # Equivalence interval [target - epsilon1, target + epsilon2]; mTPI-2 tiles of the same width truncated
    # at 0 and 1 (Guo et al. 2017); Keyboard keeps whole keys only (Yan et al. 2017).
    m2 = dict(de.MTPI2(target=0.3, cohort_size=3, max_n=30).spec_rows())
    assert m2["Equivalence interval"] == "[0.25, 0.35]"
    assert m2["Intervals and decisions"].startswith("[0, 0.05] escalate; [0.05, 0.15] escalate; [0.15, 0.25] "
                                                    "escalate; [0.25, 0.35] stay; [0.35, 0.45] de-escalate")
    assert m2["Intervals and decisions"].endswith("[0.95, 1] de-escalate")
    kb = dict(de.Keyboard(target=0.3, cohort_size=3, max_n=30).spec_rows())
    assert kb["Target key"] == "[0.25, 0.35]"
    assert kb["Intervals and decisions"].startswith("[0.05, 0.15] escalate")  # [0, 0.05] is not a whole key
    assert kb["Intervals and decisions"].endswith("[0.85, 0.95] de-escalate")
    assert kb["Keys"] == "9"
    mt = de.MTPI(target=0.3, cohort_size=3, max_n=30).describe()
    assert "[0, 0.25] escalate; [0.25, 0.35] stay; [0.35, 1] de-escalate" in mt and "unit probability mass" in mt
    i3 = de.I3plus3(target=0.25, cohort_size=3, max_n=30).describe()
    assert "below 0.2, escalate" in i3 and "(y - 1) / n is below 0.2" in i3


def test_crm_numbers():
    # published.md item 2: logistic a0 = 3 codified doses (-5.94, -4.99, -4.10, -3.41, -2.80).
    d = de.CRM(skeleton=SKEL, target=0.25, model="logistic", max_n=20, start_dose=3, restrict=False)
    rows = dict(d.spec_rows())
    x = [float(v) for v in re.findall(r"-?[0-9.]+", rows["Scaled doses x_d"])]
    np.testing.assert_allclose(np.round(x, 2), [-5.94, -4.99, -4.10, -3.41, -2.80])
    assert rows["Skeleton"] == "(0.05, 0.12, 0.25, 0.4, 0.55)"
    assert rows["Prior on beta"] == "N(0, 1.158^2) (variance 1.34)"  # dfcrm's default sqrt(1.34)
    assert rows["Start dose"] == "dose level 3" and rows["Restriction"] == "none"
    text = d.describe()
    assert "a0 = 3" in text and "closest to 0.25" in text and "dfcrm" in text
    e = de.CRM(skeleton=SKEL, target=0.25).describe()
    assert "p_d = s_d ^ exp(beta)" in e and "no skipping when escalating" in e and "coherence" in e


def test_tite_numbers():
    sc = _tite_scenario()
    tb = de.TITEBOIN(target=0.25, max_n=24, cohort_size=3)
    text = tb.describe(sc)
    assert "0.197" in text and "0.298" in text and "more than 50%" in text and "W = 28" in text
    assert "pi = (y + 0.125) / (n - m + 1)" in text  # Beta(target / 2, 1 - target / 2) prior
    ess = de.TITEBOIN(target=0.25, max_n=24, cohort_size=3, estimate="ess").describe(sc)
    assert "y / (n - m + STFT)" in ess and "TITEgBOIN" in ess
    tc = de.TITECRM(skeleton=SKEL, target=0.25, max_n=24).describe(sc)
    assert "min(u / W, 1)" in tc and "W = 28" in tc and "titesim" in tc
    assert "t_m <= u < t_(m+1)" in de.TITECRM(skeleton=SKEL, target=0.25, max_n=24, scheme="adaptive").describe()


def test_three_plus_three():
    rows = dict(de.ThreePlusThree().spec_rows(SC5))
    assert rows["Maximum sample size"] == "30 (6 x 5 doses)"
    assert "de-escalation" in de.ThreePlusThree().describe()
    esc = de.ThreePlusThree(deescalate=False).describe()
    assert "escalation only" in esc and "esc.only" in esc


def test_modified_rules_and_their_numbers():
    d = de.BOIN(target=0.25, cohort_size=3, max_n=30).dont_skip_doses().stop_for_safety(0.9).stop_when_n_at_dose(9) \
        .stop_at_n(21)
    text = d.describe(SC5)
    low = d.lower(5)
    counts = [(n, int(np.flatnonzero(low.safety_tab[n, :n + 1])[0])) for n in (3, 6, 9)]
    assert "In numbers of DLTs at that dose: " + ", ".join(f"{y} or more of {n}" for n, y in counts) in text
    assert "No skipping" in text and "9 or more patients" in text and "P(p_1 > 0.25 | data) > 0.9" in text
    # stop_at_n lowers the maximum sample size everywhere the text states it
    assert "at most 21 patients" in text and "(a) 21 patients have been treated" in text
    assert "30 patients have been treated" not in text
    assert dict(d.spec_rows(SC5))["Maximum sample size"] == "21 (stop_at_n 21; design's own: 30)"
    assert d.lower(5).max_n == 21
    # the order of the additional rules is stated once; the selection comes after them
    heads = [block.split(":")[0] for block in text.split("\n\n")[1:]]
    assert heads.index("Additional rules") == heads.index("Selection of the MTD") - 1


def test_scenario_adds_dose_values_and_checks_doses():
    sc = de.Scenario([0.05, 0.1, 0.2], target=0.2, doses=[1, 2, 4], dose_unit="1e6 cells/kg")
    text = de.ThreePlusThree().describe(sc)
    assert "3 dose levels (1, 2, 4 1e6 cells/kg)" in text and "dose level 1 (1 1e6 cells/kg)" in text
    with pytest.raises(ValueError, match="^scenario: the design has 5 dose levels but the scenario has 3"):
        de.CRM(skeleton=SKEL, target=0.25).describe(sc)
    with pytest.raises(ValueError, match="^scenario: expected a doseesc.Scenario"):
        de.ThreePlusThree().describe([0.1, 0.2])


def test_a_design_without_wording_states_its_fields():
    @dataclasses.dataclass(frozen=True)
    class Custom(de.Design):
        width: float = 0.5
        name = "custom"

    text = Custom().describe()
    assert "no protocol wording" in text and "width = 0.5" in text
    assert ("width", "0.5") in Custom().spec_rows()


# ---------------------------------------------------------------------------- phase I/II and graded designs
MSC3 = dict(doses=[1, 2, 4], dose_unit="x10^6 cells/kg")


def _liu_yuan(phi, p_saf, p_tox):
    """Liu & Yuan's (2015) boundaries, written out here (not doseesc's helper)."""
    lam_e = np.log((1 - p_saf) / (1 - phi)) / np.log(phi * (1 - p_saf) / (p_saf * (1 - phi)))
    lam_d = np.log((1 - phi) / (1 - p_tox)) / np.log(p_tox * (1 - phi) / (phi * (1 - p_tox)))
    return lam_e, lam_d


def test_boin12_key_numbers():
    from scipy import stats

    d = de.BOIN12(phi_t=0.35, phi_e=0.25, u2=40, u3=60, n_star=6, c_t=0.95, c_e=0.9, cohort_size=3, max_n=18)
    sc = de.Scenario([0.02, 0.05, 0.1], target=0.35, p_eff=[0.4, 0.6, 0.6], **MSC3)
    text = d.describe(sc)
    assert "no protocol wording" not in text
    lam_e, lam_d = _liu_yuan(0.35, 0.21, 0.49)
    b = de.boin_boundaries(target=0.35, max_n=18, cohort_size=3)
    assert (round(b.lambda_e, 6), round(b.lambda_d, 6)) == (round(lam_e, 6), round(lam_d, 6))
    assert f"lambda_e = {lam_e:.3f} and lambda_d = {lam_d:.3f}" in text and f"{lam_e:.6f} and {lam_d:.6f}" in text
    # utility benchmark: u_bar = the utility at (phi_T, phi_E) with independent outcomes; u_b halfway to 100
    u_bar = 100 * 0.25 * 0.65 + 40 * 0.65 * 0.75 + 60 * 0.35 * 0.25
    u_b = u_bar + (100 - u_bar) / 2
    assert (u_bar, u_b) == (41.0, 70.5)
    assert "u_b = 70.5" in text and "u_bar = 41" in text and "scores 100 (1 - u_b / 100) = 29.5" in text
    assert "u2 = 40 (N), u3 = 60 (B)" in text and "x = (100 n_E + 40 n_N + 60 n_B) / 100" in text
    # admissibility cut-offs and their counts, from scipy's Beta tails (not the design's table)
    assert "P(p_T > 0.35 | data) < 0.95 and P(p_E < 0.25 | data) < 0.9" in text
    tox = [(n, next(y for y in range(n + 1) if stats.beta.sf(0.35, 1 + y, 1 + n - y) >= 0.95)) for n in (3, 6, 9)]
    assert "fails the toxicity rule with " + ", ".join(f"{y} or more DLTs of {n}" for n, y in tox) + "." in text
    assert tox == [(3, 3), (6, 5), (9, 6)]
    eff = [(n, max(r for r in range(n + 1) if stats.beta.cdf(0.25, 1 + r, 1 + n - r) >= 0.9))
           for n in range(3, 19, 3) if stats.beta.cdf(0.25, 1, 1 + n) >= 0.9][:3]
    assert eff == [(9, 0), (12, 0), (15, 1)]
    assert "fails the efficacy rule with no response in 9, no response in 12, 1 or fewer responses of 15" in text
    first = min(n for n in range(1, 19) if stats.beta.cdf(0.25, 1, 1 + n) >= 0.9)
    assert f"cannot fail with fewer than {first} patients" in text and first == 8
    assert "n >= n_star = 6" in text and "more than 8 patients" in text
    assert "at most 18 patients" in text and "3 dose levels (1, 2, 4 x10^6 cells/kg)" in text
    assert "select_boin12_obd" in text and "escalation 0.2.3" in text and "2,624" in text
    heads = [block.split(":")[0] for block in text.split("\n\n")[1:]]
    assert heads == ["Design", "Cohorts and sample size", "Utility and desirability", "Admissibility",
                     "Dose-finding rule", "Stopping rules", "Selection of the OBD", "Reference implementation"]
    rows = dict(d.spec_rows(sc))
    assert rows["Utilities u1, u2, u3, u4 (E, N, B, T)"] == "100, 40, 60, 0"
    assert rows["Utility benchmark u_b"] == "70.5 (u_bar = 41)" and rows["Maximum sample size"] == "18"
    assert rows["Escalation boundary lambda_e"] == f"{lam_e:.3f} ({lam_e:.6f})"
    # published BOIN boundaries for target 0.30 (published.md item 5: 0.2364, 0.3585): BOIN12 uses BOIN's for phi_T
    t30 = de.BOIN12(phi_t=0.3).describe()
    m = re.search(r"to six decimals (0\.[0-9]{6}) and (0\.[0-9]{6})", t30)
    assert m.group(1).startswith("0.2364") and m.group(2).startswith("0.3585")
    # a second parameterisation (escalation's tests, parameterisation 2): u_b and the untried dose's score
    p2 = de.BOIN12(phi_t=0.15, phi_e=0.4, u2=50, u3=30, c_t=0.9, c_e=0.8)
    u_bar2 = 100 * 0.4 * 0.85 + 50 * 0.85 * 0.6 + 30 * 0.15 * 0.4
    assert f"u_b = {u_bar2 + (100 - u_bar2) / 2:g}" in p2.describe()


def test_boin12_untried_dose_admissibility_follows_the_cut_offs():
    # with phi_T = 0.04 an untried dose fails the toxicity rule: P(p_T > 0.04 | Beta(1, 1)) = 0.96 >= 0.95
    assert "A dose no patient has received is not admissible" in de.BOIN12(phi_t=0.04).describe()
    assert "A dose no patient has received is admissible" in de.BOIN12().describe()
    rec = de.BOIN12(phi_t=0.04).next_dose("", n_doses=3)
    assert rec.dose == 1  # the start dose is given whatever its admissibility, as escalation


def test_boin12_with_composable_rules():
    d = de.BOIN12(max_n=36).stop_when_n_at_dose(12, dose="any").stop_at_n(30)
    text = d.describe(de.Scenario([0.05, 0.1, 0.2], target=0.35, p_eff=[0.2, 0.4, 0.5]))
    assert "the trial stops when any dose already has 12 or more patients" in text
    heads = [block.split(":")[0] for block in text.split("\n\n")[1:]]
    assert heads.index("Additional rules") == heads.index("Selection of the OBD") - 1
    assert "at most 30 patients" in text and "36 patients" not in text.split("Additional rules")[0]
    assert "the OBD selected at the end" in de.Modified(base=de.BOIN12(), select_min_n=3).describe()
    assert "the MTD selected at the end" in de.Modified(base=de.BOIN(**BOIN25), select_min_n=3).describe()


def test_tite_boin12_key_numbers():
    tm = de.TimeModel(window=28, rate=3 / 28, eff_window=84)
    sc = de.Scenario([0.02, 0.05, 0.1], target=0.35, p_eff=[0.4, 0.6, 0.6], time=tm, **MSC3)
    d = de.TITEBOIN12(max_n=18)
    text = d.describe(sc)
    assert "no protocol wording" not in text
    lam_e, lam_d = _liu_yuan(0.35, 0.21, 0.49)
    assert f"lambda_e = {lam_e:.3f} and lambda_d = {lam_d:.3f}" in text
    assert "W_T = 28" in text and "W_E = 84" in text and "u_b = 70.5" in text
    assert "Beta(1 + y, 1 + ESS_T - y)" in text and "Beta(1 + r, 1 + ESS_E - r)" in text
    assert "[100 (1 - t) e + 40 (1 - t) (1 - e) + 60 t e] / 100" in text and "p (1 - w) / (1 - p w)" in text
    assert "more than 50% of the patients at the current dose have their toxicity outcome pending" in text
    assert "more than 50% have their efficacy outcome pending (eff_suspend = 0.5)" in text
    assert "pending efficacy outcomes never suspend (eff_suspend = 1)" in de.TITEBOIN12(eff_suspend=1).describe(sc)
    assert "turned away (the scenario's time model)" in text
    assert "doseesc's own" not in text and "No peer implementation of TITE-BOIN12 was run" in text
    assert "Table 2" in text and "day 315" in text
    heads = [block.split(":")[0] for block in text.split("\n\n")[1:]]
    assert heads == ["Design", "Cohorts and sample size", "Utility and desirability", "Admissibility",
                     "Dose-finding rule", "Pending outcomes", "Accrual suspension", "Simulation assumptions",
                     "Stopping rules", "Selection of the OBD", "Reference implementation"]
    rows = dict(d.spec_rows(sc))
    assert rows["DLT window W_T"] == "28" and rows["Efficacy window W_E"] == "84"
    # the efficacy window defaults to the DLT window; without a scenario the windows are named, not numbered
    no_we = d.describe(de.Scenario([0.02, 0.05, 0.1], target=0.35, p_eff=[0.4, 0.6, 0.6],
                                   time=de.TimeModel(window=28, rate=0.1)))
    assert "W_E = 28" in no_we and "gives no efficacy window" in no_we
    assert "W_T, the DLT window of the time model" in d.describe()
    susp = de.TITEBOIN12(max_n=18, accrual_suspend=0.4, eff_suspend=0.75).describe(sc)
    assert "more than 40% of the patients" in susp and "more than 75% have their efficacy outcome pending" in susp
    assert "never suspended" in de.TITEBOIN12(accrual_suspend=1, eff_suspend=1).describe()
    assert "at the arrival of the cohort's first patient" in text
    assert "one decision per patient, at their arrival" in de.TITEBOIN12(cohort_size=1).describe()
    wc = de.TITEBOIN12(wait_complete=True).describe(sc)
    assert "any dose, has an outcome pending (wait_complete)" in wc and "BOIN12 run under the time model" in wc


def test_tite_boin12_suspension_text_matches_the_decision():
    """The stated threshold is the one live use applies: 2 of 3 pending is more than 50%, 1 of 3 is not."""
    d = de.TITEBOIN12(max_n=18)
    assert "more than 50%" in d.describe()

    def rec(pending):
        rows = [dict(dose=1, dlt=0, follow_up=28 if i >= pending else 10, eff=0, eff_follow_up=84) for i in range(3)]
        return d.next_dose_tite(rows, window=28, eff_window=84, n_doses=3)

    assert rec(2).reason == "suspended" and rec(1).reason == "running"


def _gboin():
    return de.gBOIN(target=0.47 / 1.5, cohort_size=3, max_n=18, scores=(0, 0, 0.5, 1, 1.5))


def test_gboin_key_numbers():
    sc = de.Scenario.from_grades([[0.2, 0.05, 0.02, 0.0], [0.2, 0.1, 0.05, 0.02], [0.2, 0.15, 0.12, 0.05]],
                                 target=0.25, **MSC3)
    d = _gboin()
    text = d.describe(sc)
    assert "no protocol wording" not in text
    t = 0.47 / 1.5
    lam_e, lam_d = _liu_yuan(t, 0.6 * t, 1.4 * t)
    assert f"y / n <= lambda_e = {lam_e:.3f}" in text and f"y / n >= lambda_d = {lam_d:.3f}" in text
    assert f"{lam_e:.6f} and lambda_d = {lam_d:.6f}" in text
    assert "(0, 0, 0.5, 1, 1.5) for grades 0, 1, 2, 3, 4" in text and "(0, 0, 0.3333, 0.6667, 1)" in text
    assert "score 0.3133 (= 0.47 / 1.5" in text and "TITEgBOIN 0.4.0" in text and "300 random states" in text
    assert "(y + 0.005) / (n + 0.01)" in text and "TITE = FALSE" in text
    # the elimination thresholds stated in summed scores are the decision code's: just above one, dose 1 is
    # eliminated (the trial stops); just below, it is not
    m = re.search(r"the sum exceeds about ([0-9.]+) with 3 patients, ([0-9.]+) with 6 patients", text)
    y3, y6 = float(m.group(1)), float(m.group(2))
    assert d.decide([3, 0, 0], [y3 + 0.002, 0, 0], dose=1) == (None, "safety")
    assert d.decide([3, 0, 0], [y3 - 0.002, 0, 0], dose=1) == (1, "running")
    assert d.decide([6, 0, 0], [y6 + 0.002, 0, 0], dose=1) == (None, "safety")
    assert d.decide([6, 0, 0], [y6 - 0.002, 0, 0], dose=1)[1] == "running"
    rows = dict(d.spec_rows(sc))
    assert rows["Normalized scores"] == "(0, 0, 0.3333, 0.6667, 1)" and rows["p_saf, p_tox"] == "0.188, 0.4387"
    es = de.gBOIN(target=0.3, cohort_size=3, max_n=30, extrasafe=True, n_earlystop=12).describe()
    assert "0.95 - 0.05 = 0.9 (extra-safe rule" in es and "12 or more patients (n.earlystop)" in es


def test_quasi_crm_key_numbers():
    sc = de.Scenario.from_grades([[0.2, 0.05, 0.02, 0.0], [0.2, 0.1, 0.05, 0.02], [0.2, 0.15, 0.12, 0.05]],
                                 target=0.25, **MSC3)
    q = de.QuasiCRM(skeleton=[0.1, 0.2, 0.3], target=0.47 / 1.5, cohort_size=3, max_n=18, scores=(0, 0, 0.5, 1, 1.5))
    text = q.describe(sc)
    assert "no protocol wording" not in text
    assert "quasi-Bernoulli likelihood p_d^s (1 - p_d)^(1 - s)" in text and "Yuan, Chappell & Bailey 2007" in text
    assert "(0, 0, 0.3333, 0.6667, 1)" in text and "0.47 / 1.5" in text
    assert "skeleton s = (0.1, 0.2, 0.3)" in text and "N(0, 1.158^2) (variance 1.34)" in text
    assert "mean normalized score" in text and "dfcrm 0.2-2.1" in text and "200 random states" in text
    # not the CRM's wording (QuasiCRM subclasses CRM): no DLT probability, no DLT rate
    crm = de.CRM(skeleton=[0.1, 0.2, 0.3], target=0.47 / 1.5, cohort_size=3, max_n=18).describe(sc)
    assert "DLT probability" in crm and "DLT probability" not in text and "DLT rate" not in text
    log = de.QuasiCRM(skeleton=[0.1, 0.2, 0.3], target=0.3, model="logistic", intercept=3).describe()
    x = np.log(np.array([0.1, 0.2, 0.3]) / (1 - np.array([0.1, 0.2, 0.3]))) - 3
    assert "x_d = logit(s_d) - a0 = (" + ", ".join(f"{v:.5g}" for v in x) + ")" in log


# every registered design has wording of its own; the table must name each registry key
_IV = dict(target=0.25, cohort_size=3, max_n=30)
REGISTERED = {
    "3+3": ({}, "3+3"), "boin": (_IV, "BOIN"), "mtpi": (_IV, "mTPI"), "mtpi2": (_IV, "mTPI-2"),
    "keyboard": (_IV, "Keyboard"), "i3+3": (_IV, "i3+3"), "tite-boin": (dict(target=0.25, max_n=24), "TITE-BOIN"),
    "tite-crm": (dict(skeleton=SKEL, target=0.25, max_n=24), "TITE-CRM"),
    "crm": (dict(skeleton=SKEL, target=0.25), "CRM"), "blrm": (dict(doses=[1, 2, 4, 8], d_ref=4), "BLRM"),
    "ewoc": (dict(doses=[1, 2, 4, 8], target=0.3), "EWOC"),
    "boin12": ({}, "BOIN12"), "efftox": ({}, "EffTox"), "gboin": (dict(target=0.3, cohort_size=3, max_n=30), "gBOIN"),
    "quasi-crm": (dict(skeleton=[0.1, 0.2, 0.3], target=0.3), "quasi-CRM"), "tite-boin12": ({}, "TITE-BOIN12"),
}


@pytest.mark.parametrize("key", sorted(REGISTERED))
def test_no_registered_design_falls_back_to_generic(key, monkeypatch):
    from doseesc.designs import REGISTRY, _describe

    assert set(REGISTERED) == set(REGISTRY)  # a new design needs wording (and a row here)
    kw, word = REGISTERED[key]
    d = REGISTRY[key](**kw)

    def fail(*_a, **_k):
        raise AssertionError(f"{key} fell back to the generic wording")

    monkeypatch.setattr(_describe, "generic", fail)
    text = d.describe()
    assert "no protocol wording" not in text and word in text.split("\n\n")[1]
    assert dict(d.spec_rows())


# ---------------------------------------------------------------------------- every field matters
BOIN25 = dict(target=0.25, cohort_size=3, max_n=30)
EPS = dict(target=0.3, cohort_size=3, max_n=30)

CASES = [
    (de.ThreePlusThree, {}, {"start_dose": 2, "deescalate": False, "n_doses": 4}),
    (de.ThreePlusThree, dict(a=4, b=4, c=1, d=2, e=2), {"a": 5, "b": 5, "c": 2, "d": 1, "e": 3, "deescalate": False}),
    (de.BOIN, BOIN25, {"target": 0.3, "cohort_size": 2, "max_n": 24, "start_dose": 2, "p_saf": 0.1, "p_tox": 0.4,
                       "cutoff_eli": 0.9, "extrasafe": True, "n_earlystop": 12, "titration": True, "bound_mtd": True,
                       "stay_at_1_of_3": True, "n_doses": 4}),
    (de.BOIN, {**BOIN25, "extrasafe": True}, {"offset": 0.1}),
    *[(cls, EPS, {"target": 0.25, "cohort_size": 2, "max_n": 24, "start_dose": 2, "epsilon1": 0.1, "epsilon2": 0.1,
                  "cutoff_eli": 0.9, "n_earlystop": 12, "n_doses": 4})
      for cls in (de.MTPI, de.MTPI2, de.Keyboard, de.I3plus3)],
    (de.CRM, dict(skeleton=SKEL, target=0.25), {
        "skeleton": [0.04, 0.1, 0.25, 0.4, 0.55], "target": 0.3, "cohort_size": 3, "max_n": 30, "model": "logistic",
        "prior_sd": 1.0, "start_dose": 2, "restrict": False, "skip_escalation": True, "model_safety_threshold": 0.9,
        "x0": [1] * 6 + [2] * 18}),
    (de.CRM, dict(skeleton=SKEL, target=0.25, model="logistic"), {"intercept": 4.0}),
    (de.CRM, dict(skeleton=SKEL, target=0.25, cohort_size=1, max_n=6, x0=[1, 2, 3, 4, 5, 5]), {"method": "likelihood"}),
    (de.TITEBOIN, dict(target=0.25, max_n=24, cohort_size=3), {
        "target": 0.3, "max_n": 30, "cohort_size": 1, "start_dose": 2, "p_saf": 0.1, "p_tox": 0.4, "cutoff_eli": 0.9,
        "extrasafe": True, "n_earlystop": 12, "accrual_suspend": 1.0, "n_doses": 4, "estimate": "ess"}),
    (de.TITEBOIN, dict(target=0.25, max_n=24, extrasafe=True), {"offset": 0.1}),
    (de.TITECRM, dict(skeleton=SKEL, target=0.25, max_n=24), {
        "skeleton": [0.04, 0.1, 0.25, 0.4, 0.55], "target": 0.3, "max_n": 30, "start_dose": 2, "model": "logistic",
        "prior_sd": 1.0, "restrict": False, "scheme": "adaptive", "n_doses": 5}),
    (de.TITECRM, dict(skeleton=SKEL, target=0.25, max_n=24, model="logistic"), {"intercept": 4.0}),
    (de.BOIN12, {}, {"phi_t": 0.3, "phi_e": 0.4, "u2": 50, "u3": 30, "n_star": 9, "c_t": 0.9, "c_e": 0.8,
                     "cohort_size": 2, "max_n": 30, "start_dose": 2, "n_doses": 4}),
    (de.TITEBOIN12, {}, {"phi_t": 0.3, "phi_e": 0.4, "u2": 50, "u3": 30, "n_star": 9, "c_t": 0.9, "c_e": 0.8,
                         "cohort_size": 2, "max_n": 30, "start_dose": 2, "n_doses": 4, "accrual_suspend": 0.6,
                         "eff_suspend": 0.75, "wait_complete": True}),
    (de.gBOIN, dict(target=0.3, cohort_size=3, max_n=30), {
        "target": 0.25, "cohort_size": 2, "max_n": 24, "scores": (0, 0.25, 0.5, 1), "start_dose": 2, "p_saf": 0.1,
        "p_tox": 0.4, "cutoff_eli": 0.9, "extrasafe": True, "n_earlystop": 12, "n_doses": 4}),
    (de.gBOIN, dict(target=0.3, cohort_size=3, max_n=30, extrasafe=True), {"offset": 0.1}),
    (de.QuasiCRM, dict(skeleton=SKEL, target=0.25), {
        "skeleton": [0.04, 0.1, 0.25, 0.4, 0.55], "target": 0.3, "cohort_size": 3, "max_n": 30, "model": "logistic",
        "prior_sd": 1.0, "start_dose": 2, "restrict": False, "skip_escalation": True, "scores": (0, 0.25, 0.5, 1)}),
    (de.QuasiCRM, dict(skeleton=SKEL, target=0.25, model="logistic"), {"intercept": 4.0}),
]
# QuasiCRM fields that take one value only (refused otherwise): the two-stage x0, the model safety rule, and
# method (the likelihood method needs x0)
ONE_VALUE = {de.QuasiCRM: {"x0", "model_safety_threshold", "method"}}


def _mod(**kw):
    return de.Modified(base=de.BOIN(**BOIN25), **kw)


MOD_BASE = dict(safety_threshold=0.9, stop_n_at_dose=9)
MOD_CHANGES = {"base": de.BOIN(target=0.3, cohort_size=3, max_n=30), "stop_n_at_dose": 12, "n_at_dose_of": "current",
               "safety_threshold": 0.8, "safety_target": 0.3, "safety_prior": (0.5, 1.5), "safety_min_n": 6,
               "safety_dose": 2, "dont_skip": True, "stop_at": 21, "select_min_n": 6}


@pytest.mark.parametrize("cls, base, changes", CASES, ids=lambda x: getattr(x, "__name__", ""))
def test_description_changes_with_every_field(cls, base, changes):
    d0 = cls(**base)
    t0, r0 = d0.describe(), d0.spec_rows()
    for field, value in changes.items():
        kw = {**base, field: value}
        if cls is de.CRM and field == "x0":
            kw["max_n"] = 24
        d1 = cls(**kw)
        if field == "n_doses" and d1.fixed_n_doses == d0.fixed_n_doses:
            continue  # TITE-CRM's n_doses must equal the skeleton's length: nothing to change
        assert d1.describe() != t0, field
        assert d1.spec_rows() != r0, field


def test_every_field_is_covered():
    covered: dict[type, set] = {}
    for cls, _base, changes in CASES:
        covered.setdefault(cls, set()).update(changes)
    for cls, fields in covered.items():
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        if cls is de.TITECRM:
            fields = fields | {"n_doses"}
        fields = fields | ONE_VALUE.get(cls, set())
        assert init <= fields | {"name"}, (cls.__name__, init - fields)
        d = cls(**next(b for c, b, _ in CASES if c is cls))
        named = dataclasses.replace(d, name="my design")
        assert named.describe().startswith("my design") and ("Name", "my design") in named.spec_rows()
    init = {f.name for f in dataclasses.fields(de.Modified) if f.init}
    assert init == set(MOD_CHANGES) | {"name"}


@pytest.mark.parametrize("field", sorted(MOD_CHANGES))
def test_modified_description_changes_with_every_field(field):
    d0 = _mod(**MOD_BASE)
    d1 = _mod(**{**MOD_BASE, field: MOD_CHANGES[field]}) if field != "base" else \
        de.Modified(base=MOD_CHANGES["base"], **MOD_BASE)
    assert d1.describe(SC5) != d0.describe(SC5)
    assert d1.spec_rows(SC5) != d0.spec_rows(SC5)


def test_crm_selection_of_an_untried_dose_is_stated_and_withdrawn_by_the_rule():
    crm = de.CRM(skeleton=[0.05, 0.1, 0.2, 0.3], target=0.3)
    assert "no patient has received" in crm.describe()
    assert dict(crm.spec_rows())["MTD selection"].endswith("(untried doses allowed)")
    held = crm.select_among_treated(3)
    text = held.describe()
    assert "no patient has received" not in text and "restricted as stated under Additional rules" in text
    rows = dict(held.spec_rows())
    assert "untried" not in rows["MTD selection"] and rows["Selection restricted to"] == "doses with >= 3 patients"


def test_backfill_wording_says_whose_rules_they_are():
    bf = {"BOIN": de.BOIN(target=0.3, cohort_size=3, max_n=24), "3+3": de.ThreePlusThree(),
          "CRM": de.CRM(skeleton=[0.1, 0.2, 0.3], target=0.3, cohort_size=3, max_n=24)}
    for fam, d in bf.items():
        text = d.with_backfill(cap=12).describe()
        own = f"These backfill rules for the {fam} are doseesc's own" in text
        assert own == (fam != "BOIN")
    assert "R bfboin's rules" in bf["BOIN"].with_backfill(cap=12).describe()


# ---------------------------------------------------------------------------- added safety stops, stated once
def _stopping_paragraph(text):
    return next(par for par in text.split("\n\n") if par.startswith("Stopping rules: "))


@pytest.mark.parametrize("make, own", [
    (lambda: de.CRM(skeleton=[0.05, 0.12, 0.25, 0.4], target=0.25, cohort_size=3, max_n=24).stop_for_safety(0.95),
     None),
    (lambda: de.CRM(skeleton=[0.05, 0.12, 0.25, 0.4], target=0.25, cohort_size=3, max_n=24,
                    model_safety_threshold=0.9).stop_for_safety(0.95), "P(p_1 > 0.25 | data) > 0.9"),
    (lambda: de.BOIN(target=0.25, cohort_size=3, max_n=24).stop_for_safety(0.95), None),
    (lambda: de.EWOC(doses=[1, 2, 4, 8], target=0.25, max_n=24).stop_for_safety(0.95), None),
    (lambda: de.EWOC(doses=[1, 2, 4, 8], target=0.25, max_n=24, safety_stop=0.9).stop_for_safety(0.95),
     "P(p(first dose) > 0.25 | data) > 0.9"),
], ids=["crm", "crm-own", "boin", "ewoc", "ewoc-own"])
def test_describe_and_spec_rows_state_an_added_safety_stop_once(make, own):
    """describe() and spec_rows() themselves (not only the report): one "Safety stop" row with
    every safety stop that applies, the design's own labelled as such; no sentence saying there is
    no safety stopping rule; the stopping rules listing the added stop."""
    d = make()
    sc = de.Scenario([0.05, 0.10, 0.25, 0.40], target=0.25)
    added = "P(p_1 > 0.25 | data) > 0.95, Beta(1, 1) prior, n >= 3"
    for scenario in (None, sc):
        rows = [v for k, v in d.spec_rows(scenario) if k == "Safety stop"]
        assert rows == [added if own is None else f"{own} (the design's own); {added} (added rule)"]
        text = d.describe(scenario)
        assert "no safety stopping rule" not in text
        assert text.count("Stopping rules: ") == 1
        assert "it also stops when (" in _stopping_paragraph(text)
        assert "the safety stop holds: P(p_1 > 0.25 | data) > 0.95 at dose level 1" in _stopping_paragraph(text)
        if isinstance(d.base, de.CRM):  # its Safety section states the added rule (and its own first)
            safety = next(par for par in text.split("\n\n") if par.startswith("Safety: "))
            assert "stops early for safety" in safety and "Beta(1, 1) prior" in safety
            assert safety.startswith("Safety: After every cohort") == (own is not None)


def test_designs_without_added_rules_state_their_own_safety_stop():
    crm = de.CRM(skeleton=[0.05, 0.12, 0.25, 0.4], target=0.25, cohort_size=3, max_n=24)
    assert dict(crm.spec_rows())["Safety stop"] == "none"
    assert "no safety stopping rule of its own" in crm.describe()
    tite = de.TITECRM(skeleton=[0.05, 0.12, 0.25, 0.4], target=0.25, max_n=24)
    assert dict(tite.spec_rows())["Safety stop"] == "none"
    ewoc = de.EWOC(doses=[1, 2, 4, 8], target=0.25, max_n=24)
    assert dict(ewoc.spec_rows())["Safety stop"] == "none"
    ewoc = dataclasses.replace(ewoc, safety_stop=0.9)
    assert dict(ewoc.spec_rows())["Safety stop"] == "P(p(first dose) > 0.25 | data) > 0.9"
    assert "(b) the safety rule holds: P(p(first dose) > 0.25 | data) > 0.9 (no dose selected)." in ewoc.describe()


def test_added_stops_are_listed_with_the_designs_own():
    blrm = de.BLRM(doses=[1, 2, 4, 8], d_ref=4, max_n=12)
    assert dict(blrm.spec_rows())["Stopping"] == "none beyond the above"
    both = blrm.stop_for_safety(0.95, target=0.33).stop_when_n_at_dose(9)
    assert dict(both.spec_rows())["Stopping"] == ("none beyond the above, the safety stop and the stop at 9 "
                                                  "patients at a dose")
    stopping = _stopping_paragraph(both.describe())
    assert stopping.endswith("(b) no dose is eligible (no dose selected: safety). Under the additional rules below, "
                             "it also stops when (c) the safety stop holds: P(p_1 > 0.33 | data) > 0.95 at dose level "
                             "1, with at least 3 patients there (no dose selected); (d) the dose recommended for the "
                             "next cohort already has 9 or more patients (the design's final selection applies).")
    b12 = de.BOIN12(phi_t=0.3, phi_e=0.4, max_n=36).stop_when_n_at_dose(12, dose="any")
    assert "it also stops when (c) any dose already has 12 or more patients" in _stopping_paragraph(b12.describe())
    capped = de.ThreePlusThree().stop_at_n(12)  # the 3+3 has no maximum of its own: the cap is a stopping rule
    assert "it also stops when (e) 12 patients have been treated (stop_at_n)" in _stopping_paragraph(
        capped.describe(de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45], target=0.25)))
