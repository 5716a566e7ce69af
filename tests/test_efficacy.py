"""Efficacy as an outcome: scenarios and association models, the efficacy stream, toxicity
unchanged for every existing design, efficacy counts in records and exact results, OBD summaries."""

import json

import numpy as np
import pytest
from scipy import stats

import doseesc as de
from doseesc.designs import REGISTRY
from tests import naive

P_TOX = [0.05, 0.1, 0.2, 0.3, 0.45]
P_EFF = [0.1, 0.3, 0.5, 0.5, 0.4]


# ---------------------------------------------------------------- scenarios and association models
def test_joint_probabilities_of_each_model():
    t = np.array(P_TOX)
    e = np.array(P_EFF)
    ind = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF)
    assert np.allclose(ind.p_both_array, t * e)
    # Gaussian copula: P(Z1 < Phi^-1(p_tox), Z2 < Phi^-1(p_eff)) by scipy's bivariate normal CDF
    g = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF, association="gaussian", association_param=0.5)
    mvn = stats.multivariate_normal(mean=[0, 0], cov=[[1, 0.5], [0.5, 1]])
    ref = [mvn.cdf([stats.norm.ppf(a), stats.norm.ppf(b)]) for a, b in zip(t, e)]
    assert np.allclose(g.p_both_array, ref, atol=1e-6)
    # Plackett: the cross-product ratio of the four cells equals the odds ratio
    o = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF, association="odds_ratio", association_param=[3, 3, 0.5, 1, 2])
    j = o.p_joint  # (E no T, neither, both, T no E)
    assert np.allclose(j[:, 2] * j[:, 1] / (j[:, 0] * j[:, 3]), [3, 3, 0.5, 1, 2])
    # EffTox's Gumbel model, Thall & Cook (2004) eq. for pi(1, 1)
    psi = 1.3
    gu = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF, association="gumbel", association_param=psi)
    assert np.allclose(gu.p_both_array, e * t + e * (1 - e) * t * (1 - t) * (np.exp(psi) - 1) / (np.exp(psi) + 1))
    for sc in (ind, g, o, gu):
        j = sc.p_joint
        assert np.allclose(j.sum(axis=1), 1)
        assert np.allclose(j[:, 2] + j[:, 3], t) and np.allclose(j[:, 0] + j[:, 2], e)
        assert np.allclose(sc.p_eff_given_tox * t + sc.p_eff_given_no_tox * (1 - t), e)


def test_from_joint_and_explicit_p_both():
    j = [[0.2, 0.7, 0.02, 0.08], [0.4, 0.4, 0.1, 0.1], [0.3, 0.2, 0.3, 0.2]]
    sc = de.Scenario.from_joint(j, target=0.3)
    assert np.allclose(sc.p_joint, j)
    assert np.allclose(sc.p_eff_given_tox, [0.2, 0.5, 0.6])
    same = de.Scenario(sc.p_tox, target=0.3, p_eff=sc.p_eff, p_both=sc.p_both)
    assert np.allclose(same.p_joint, j)
    d = sc.to_dict()
    assert de.Scenario(**d).p_both.tolist() == sc.p_both.tolist()


@pytest.mark.parametrize("kw, field", [
    (dict(p_eff=[0.1, 0.2]), "p_eff"), (dict(p_eff=[0.1, 0.2, 1.2]), "p_eff"),
    (dict(p_eff=[0.1, 0.2, 0.3], p_both=[0.5, 0, 0]), "p_both"),
    (dict(p_eff=[0.1, 0.2, 0.3], p_both=[0.0, 0, 0], association="gumbel", association_param=1), "p_both"),
    (dict(p_eff=[0.1, 0.2, 0.3], association="gaussian"), "association_param"),
    (dict(p_eff=[0.1, 0.2, 0.3], association="gaussian", association_param=1.0), "association_param"),
    (dict(p_eff=[0.1, 0.2, 0.3], association="odds_ratio", association_param=[1, 2]), "association_param"),
    (dict(p_eff=[0.1, 0.2, 0.3], association="odds_ratio", association_param=-1), "association_param"),
    (dict(p_eff=[0.1, 0.2, 0.3], association_param=0.3), "association_param"),
    (dict(p_eff=[0.1, 0.2, 0.3], association="copula"), "association"),
    (dict(p_eff=[0.1, 0.2, 0.3], utility=[100, 40, 60]), "utility"),
    (dict(p_eff=[0.1, 0.2, 0.3], obd=4), "obd"), (dict(p_eff=[0.1, 0.2, 0.3], obd=[0, 2]), "obd"),
    (dict(p_eff=[0.1, 0.2, 0.3], obd=[]), "obd"),  # an empty list is refused, not read as "no acceptable dose"
    (dict(p_eff=[0.1, 0.2, 0.3], eff_min=2), "eff_min"),
    (dict(utility=[100, 40, 60, 0]), "utility"), (dict(association="gaussian"), "association"),
])
def test_scenario_validation(kw, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        de.Scenario([0.1, 0.2, 0.3], target=0.3, **kw)


def test_true_obd_and_its_definition():
    sc = de.Scenario(P_TOX, target=0.25, p_eff=P_EFF)
    u = sc.p_joint @ np.array([100, 40, 60, 0])
    assert np.allclose(sc.true_utility, u)
    ok = np.array(P_TOX) <= 0.25
    assert sc.obd_doses.tolist() == [int(np.argmax(np.where(ok, u, -np.inf))) + 1]
    assert sc.over_toxic.tolist() == [False, False, False, True, True]
    assert de.Scenario(P_TOX, target=0.25, p_eff=P_EFF, obd=[2, 3]).obd_doses.tolist() == [2, 3]
    assert de.Scenario(P_TOX, target=0.25, p_eff=P_EFF, obd=0).obd_doses.tolist() == []
    assert de.Scenario(P_TOX, target=0.25, p_eff=P_EFF, eff_min=0.45).obd_doses.tolist() == [3]
    assert de.Scenario(P_TOX, target=0.01, p_eff=P_EFF).obd_doses.tolist() == []
    # a plateau: equal utility at two acceptable doses, both correct
    flat = de.Scenario([0.05, 0.1, 0.1], target=0.3, p_eff=[0.2, 0.5, 0.5])
    assert flat.obd_doses.tolist() == [2, 3]


# ---------------------------------------------------------------- outcome strings
def test_outcome_letters():
    from doseesc import outcomes

    c = outcomes.parse("2ENBT 1nebt")
    assert [str(x) for x in c] == ["2ENBT", "1NEBT"]
    assert (c[0].n_dlt, c[0].n_eff, c[0].n_both) == (2, 2, 1)
    with pytest.raises(ValueError, match="^outcomes: malformed"):
        outcomes.parse("1NXN")
    # toxicity-only designs read E as no DLT and B as a DLT
    for d in (de.ThreePlusThree(), de.BOIN(target=0.3, cohort_size=3, max_n=12),
              de.CRM(skeleton=[0.1, 0.2, 0.3], target=0.3, cohort_size=3, max_n=12)):
        a = d.next_dose("1EEN 2BEN", n_doses=3)
        b = d.next_dose("1NNN 2TNN", n_doses=3)
        assert (a.dose, a.stop, a.selected) == (b.dose, b.stop, b.selected)


# ---------------------------------------------------------------- toxicity is untouched
def _all_designs():
    out = [
        ("3+3", de.ThreePlusThree()),
        ("3+3 no de-escalation", de.ThreePlusThree(deescalate=False)),
        ("boin", de.BOIN(target=0.3, cohort_size=3, max_n=24)),
        ("boin titration", de.BOIN(target=0.3, cohort_size=3, max_n=24, titration=True, extrasafe=True)),
        ("mtpi", de.MTPI(target=0.3, cohort_size=3, max_n=24)),
        ("mtpi2", de.MTPI2(target=0.3, cohort_size=3, max_n=24)),
        ("keyboard", de.Keyboard(target=0.3, cohort_size=3, max_n=24)),
        ("i3+3", de.I3plus3(target=0.3, cohort_size=3, max_n=24)),
        ("crm", de.CRM(skeleton=[0.05, 0.12, 0.25, 0.4, 0.55], target=0.3, cohort_size=1, max_n=15)),
        ("crm logistic", de.CRM(skeleton=[0.05, 0.12, 0.25, 0.4, 0.55], target=0.3, cohort_size=3, max_n=18,
                                model="logistic")),
        ("boin + rules", de.BOIN(target=0.3, cohort_size=3, max_n=24).dont_skip_doses()
         .stop_for_safety(0.9, target=0.3).stop_when_n_at_dose(9, dose="any")),
        ("blrm", de.BLRM(doses=[1, 2, 4, 6, 8], d_ref=4, cohort_size=3, max_n=15)),
        ("ewoc", de.EWOC(doses=[1, 2, 4, 6, 8], target=0.3, cohort_size=3, max_n=15)),
    ]
    names = {type(d).__name__ for _, d in out} | {"Modified"}
    # every registered design is covered (the time-to-event ones and the graded ones in the next tests)
    # (phase I/II designs decide on efficacy: BOIN12, EffTox, TITEBOIN12)
    assert {c.__name__ for c in REGISTRY.values()} - names - {"TITEBOIN", "TITECRM", "BOIN12", "EffTox", "gBOIN",
                                                              "QuasiCRM", "TITEBOIN12"} == set()
    return out


@pytest.mark.parametrize("design", [de.gBOIN(target=0.3, cohort_size=3, max_n=24),
                                    de.QuasiCRM(skeleton=[0.05, 0.12, 0.25, 0.4, 0.55], target=0.3, cohort_size=3,
                                                max_n=18)], ids=["gboin", "quasi-crm"])
def test_graded_designs_unchanged_too(design):
    grades = [[0.1, 0.05, 0.02, 0.01], [0.15, 0.1, 0.05, 0.02], [0.2, 0.15, 0.1, 0.05], [0.2, 0.2, 0.15, 0.1],
              [0.2, 0.2, 0.2, 0.15]]
    a = de.simulate(design, de.Scenario.from_grades(grades, target=0.3), n_trials=2000, seed=4)
    b = de.simulate(design, de.Scenario.from_grades(grades, target=0.3, p_eff=P_EFF), n_trials=2000, seed=4)
    assert naive.records_hash(a.records) == naive.records_hash(b.records)
    assert np.array_equal(a.records.tox_score, b.records.tox_score)


@pytest.mark.parametrize("name, design", _all_designs(), ids=[n for n, _ in _all_designs()])
def test_toxicity_records_identical_with_and_without_efficacy(name, design):
    plain = de.Scenario(P_TOX, target=0.3, p_ae=[0.1] * 5)
    for kw in (dict(p_eff=P_EFF), dict(p_eff=P_EFF, association="gaussian", association_param=0.7),
               dict(p_eff=P_EFF, association="odds_ratio", association_param=0.2)):
        eff = de.Scenario(P_TOX, target=0.3, p_ae=[0.1] * 5, **kw)
        a = de.simulate(design, plain, n_trials=3000, seed=4)
        b = de.simulate(design, eff, n_trials=3000, seed=4)
        assert naive.records_hash(a.records) == naive.records_hash(b.records)
        assert a.records.n_eff is None and b.records.n_eff is not None
        for m in ("selection", "pcs", "n_patients", "n_dlt", "n_ae", "sample_size"):
            assert np.array_equal(getattr(a, m), getattr(b, m))
        if design.exact_ok:
            ea, eb = de.exact(design, plain), de.exact(design, eff)
            assert naive.records_hash(ea.records) == naive.records_hash(eb.records)
            assert len(ea.records) == len(eb.records)


@pytest.mark.parametrize("design", [de.TITEBOIN(target=0.3, cohort_size=3, max_n=18),
                                    de.TITECRM(skeleton=[0.05, 0.12, 0.25, 0.4, 0.55], target=0.3, max_n=15)],
                         ids=["tite-boin", "tite-crm"])
def test_time_to_event_designs_unchanged_too(design):
    tm = de.TimeModel(window=28, rate=3 / 28, accrual="poisson", dropout=0.002)
    plain = de.Scenario(P_TOX, target=0.3, time=tm)
    eff = de.Scenario(P_TOX, target=0.3, time=tm, p_eff=P_EFF, association="gumbel", association_param=2.0)
    a = de.simulate(design, plain, n_trials=1500, seed=9)
    b = de.simulate(design, eff, n_trials=1500, seed=9)
    assert naive.records_hash(a.records) == naive.records_hash(b.records)
    assert np.array_equal(a.records.n_dropout, b.records.n_dropout)
    assert b.records.n_eff.shape == (1500, 5) and np.all(b.records.n_eff <= b.records.n_patients)


def test_cohort_design_with_time_model_and_dropout_unchanged():
    tm = de.TimeModel(window=28, rate=2 / 28, dropout=0.01)
    d = de.BOIN(target=0.3, cohort_size=3, max_n=24)
    a = de.simulate(d, de.Scenario(P_TOX, target=0.3, time=tm), n_trials=2000, seed=2)
    b = de.simulate(d, de.Scenario(P_TOX, target=0.3, time=tm, p_eff=P_EFF), n_trials=2000, seed=2)
    assert naive.records_hash(a.records) == naive.records_hash(b.records)
    assert np.array_equal(a.records.n_dropout, b.records.n_dropout)


# ---------------------------------------------------------------- the efficacy draws
def test_efficacy_counts_match_a_plain_python_3_plus_3():
    """Trial by trial: the 3+3 on the toxicity uniforms, then each treated patient's response
    from the efficacy uniforms (stream 4) and the scenario's conditional probabilities."""
    sc = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF, association="odds_ratio", association_param=5.0)
    oc = de.simulate(de.ThreePlusThree(), sc, n_trials=300, seed=21)
    r = oc.records
    for t in range(300):
        us = naive.tolerances(21, t, 40)
        vs = naive.efficacies(21, t, 40)
        sel, n, y, doses = _three_plus_three_doses(sc.p_tox, us)
        assert r.selected[t] == sel and r.n_patients[t].tolist() == n
        e = np.zeros(5, dtype=int)
        for i, d in enumerate(doses):
            tox, resp = naive.patient_outcome(sc, d - 1, us[i], vs[i])
            assert tox == (us[i] < sc.p_tox[d - 1])
            e[d - 1] += resp
        assert r.n_eff[t].tolist() == e.tolist(), t


def _three_plus_three_doses(p_tox, u):
    """The 3+3 of tests.naive, also returning the dose of each patient in order."""
    doses = []
    D = len(p_tox)
    n = [0] * D
    y = [0] * D
    it = iter(u)

    def treat(d, k=3):
        for _ in range(k):
            n[d - 1] += 1
            y[d - 1] += next(it) < p_tox[d - 1]
            doses.append(d)

    d = 1
    while True:
        treat(d)
        if y[d - 1] == 1:
            treat(d)
        if y[d - 1] >= 2:
            break
        if d == D:
            return d, n, y, doses
        d += 1
    while True:
        if d == 1:
            return 0, n, y, doses
        b = d - 1
        if n[b - 1] >= 6:
            return b, n, y, doses
        if n[b - 1] == 0:
            treat(b)
            if y[b - 1] >= 2:
                d = b
                continue
        treat(b)
        if y[b - 1] <= 1:
            return b, n, y, doses
        d = b


@pytest.mark.slow
def test_joint_frequencies_match_the_scenario():
    """With one dose and a fixed sample (max_n patients at dose 1 whatever happens), the
    responses among patients with and without a DLT follow P(E | T) and P(E | no T)."""
    sc = de.Scenario([0.3], target=0.5, p_eff=[0.6], association="gaussian", association_param=0.5)
    d = de.BOIN(target=0.5, cohort_size=10, max_n=10)
    oc = de.simulate(d, sc, n_trials=40_000, seed=8)
    r = oc.records
    n_e = r.n_eff[:, 0].sum()
    N = r.n_patients[:, 0].sum()
    p = sc.p_eff[0]
    assert abs(n_e / N - p) < 4 * np.sqrt(p * (1 - p) / N)  # SE of a proportion of 400,000 patients
    # E[responses | y DLTs] = y P(E|T) + (10 - y) P(E|no T): regress responses on DLTs
    y = r.n_dlt[:, 0].astype(float)
    e = r.n_eff[:, 0].astype(float)
    slope = np.polyfit(y, e, 1)[0]
    want = sc.p_eff_given_tox[0] - sc.p_eff_given_no_tox[0]
    se = np.std(e - np.polyval(np.polyfit(y, e, 1), y)) / (np.std(y) * np.sqrt(len(y)))
    assert abs(slope - want) < 4 * se


def test_efficacy_records_reproducible_and_chunk_invariant():
    from doseesc._kernels.rng import make_key
    from doseesc.engine import api

    sc = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF, association="gumbel", association_param=1.0)
    d = de.BOIN12(max_n=24)
    whole = de.simulate(d, sc, n_trials=3000, seed=6).records
    low = d.lower(5)
    old = api.BLOCK
    try:
        api.BLOCK = 257
        parts = api._run_mc(low, [sc], [make_key(6)], 3000)
    finally:
        api.BLOCK = old
    assert naive.records_hash(whole) == naive.records_hash(parts)
    assert np.array_equal(whole.n_eff, parts.n_eff)


def test_worker_processes_bit_identical():
    import concurrent.futures as cf

    sc = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF)
    d = de.BOIN12(max_n=24)
    here = de.simulate(d, sc, n_trials=9000, seed=1).records
    with cf.ThreadPoolExecutor(2) as ex:
        there = de.simulate(d, sc, n_trials=9000, seed=1, backend=ex).records
    assert np.array_equal(here.n_eff, there.n_eff) and np.array_equal(here.selected, there.selected)


# ---------------------------------------------------------------- exact results and summaries
def test_exact_expected_responses_of_a_toxicity_design():
    sc = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF, association="gaussian", association_param=-0.5)
    d = de.BOIN(target=0.3, cohort_size=3, max_n=18)
    ex = de.exact(d, sc)
    mc = de.simulate(d, sc, n_trials=100_000, seed=3)
    assert np.all(np.abs(ex.n_eff - mc.n_eff) <= 4 * mc.se("n_eff") + 1e-12)
    assert abs(ex.total_eff - mc.total_eff) <= 4 * mc.se("total_eff")
    assert abs(ex.pcs_obd - mc.pcs_obd) <= 4 * mc.se("pcs_obd")
    assert np.all(ex.se("n_eff") == 0)


def test_obd_summaries_by_hand_from_exact_3_plus_3():
    sc = de.Scenario(P_TOX, target=0.25, p_eff=P_EFF, utility=[100, 20, 50, -10])
    ex = de.exact(de.ThreePlusThree(), sc)
    obd = sc.obd_doses - 1
    assert ex.pcs_obd == pytest.approx(ex.selection[obd].sum(), abs=1e-12)
    assert ex.over_toxic_selection == pytest.approx(ex.selection[sc.over_toxic].sum(), abs=1e-12)
    assert ex.selected_utility == pytest.approx(ex.selection @ sc.true_utility + ex.no_selection * (-10), abs=1e-9)
    assert ex.n_at_obd == pytest.approx(ex.n_patients[obd].sum(), abs=1e-12)
    assert ex.n_over_toxic == pytest.approx(ex.n_patients[sc.over_toxic].sum(), abs=1e-12)
    # no acceptable dose: stopping without a selection is the correct decision
    none = de.Scenario([0.5, 0.6], target=0.3, p_eff=[0.5, 0.5])
    ex2 = de.exact(de.ThreePlusThree(), none)
    assert ex2.pcs_obd == pytest.approx(ex2.no_selection, abs=1e-12)


def test_monte_carlo_summaries_and_outputs():
    sc = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF, doses=[1, 2, 4, 6, 8], dose_unit="1e6 cells/kg")
    oc = de.simulate(de.BOIN12(max_n=24), sc, n_trials=4000, seed=2)
    r = oc.records
    sel = r.selected
    obd = sc.obd_doses
    assert oc.pcs_obd == pytest.approx(np.isin(sel, obd).mean())
    assert oc.se("pcs_obd") == pytest.approx(np.sqrt(oc.pcs_obd * (1 - oc.pcs_obd) / 3999))
    assert np.allclose(oc.n_eff, r.n_eff.mean(axis=0))
    assert oc.se("n_eff") == pytest.approx(r.n_eff.std(axis=0, ddof=1) / np.sqrt(4000))
    util = np.where(sel > 0, sc.true_utility[np.maximum(sel - 1, 0)], 0.0)
    assert oc.selected_utility == pytest.approx(util.mean())
    js = json.loads(oc.to_json())
    for k in ("pcs_obd", "pcs_obd_se", "n_eff", "n_eff_se", "selected_utility", "obd", "true_utility"):
        assert k in js
    text = oc.summary()
    assert "correct OBD selection" in text and "responses" in text and "\u2020" in text
    from doseesc.cli import oc_csv

    assert "selected_utility" in oc_csv(oc)


def test_paired_differences_on_efficacy_metrics():
    sc = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF)
    cmp = de.compare([de.BOIN(target=0.3, cohort_size=3, max_n=24), de.BOIN12(max_n=24)], [sc], n_trials=3000)
    d, se = cmp.difference("pcs_obd", 1, 0)
    a, b = cmp.oc[0][0], cmp.oc[1][0]
    assert d == pytest.approx(b.pcs_obd - a.pcs_obd)
    ra, rb = a.records, b.records
    obd = sc.obd_doses
    diff = np.isin(rb.selected, obd).astype(float) - np.isin(ra.selected, obd)
    assert se == pytest.approx(diff.std(ddof=1) / np.sqrt(diff.size))  # the SE of the paired differences
    row = cmp.to_dict()["results"][1]
    assert "selected_utility_diff_vs_first" in row and "pcs_obd_diff_vs_first_se" in row
    assert "OBD %" in cmp.summary()


def test_scenario_set_with_efficacy():
    ss = de.ScenarioSet(p_tox=[P_TOX, [0.01, 0.02, 0.05, 0.1, 0.2]], target=0.3,
                        p_eff=[P_EFF, [0.2, 0.4, 0.6, 0.6, 0.6]], association="odds_ratio", association_param=2.0)
    oc = de.simulate(de.BOIN12(max_n=18), ss, n_trials=500, seed=1)
    assert oc.pcs_obd_by_scenario.shape == (2,)
    assert oc.pcs_obd == pytest.approx(oc.pcs_obd_by_scenario.mean())
    assert "p_eff" in oc.to_dict()["scenario"]
    with pytest.raises(ValueError, match="^p_eff"):
        de.ScenarioSet(p_tox=[P_TOX], target=0.3, p_eff=[P_EFF[:3]])
    with pytest.raises(ValueError, match="^utility"):
        de.ScenarioSet(p_tox=[P_TOX], target=0.3, utility=[100, 40, 60, 0])


def test_cli_scenario_flags(capsys):
    from doseesc.cli import main

    assert main(["simulate", "--design", "3+3", "--truth", "0.05,0.1,0.2", "--target", "0.3", "--eff", "0.2,0.4,0.5",
                 "--association", "gaussian", "--association-param", "0.4", "--utility", "100,30,50,0",
                 "--n-trials", "500", "--format", "json", "--no-progress"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["scenario"]["association"] == "gaussian" and js["scenario"]["utility"] == [100, 30, 50, 0]
    assert "pcs_obd" in js
    assert main(["simulate", "--design", "3+3", "--truth", "0.05,0.1,0.2", "--target", "0.3", "--utility",
                 "100,30,50,0", "--no-progress"]) == 2
    assert "--utility: only with --eff" in capsys.readouterr().err
    assert main(["simulate", "--design", "3+3", "--truth", "0.05,0.1,0.2", "--target", "0.3", "--eff", "0.2,0.4",
                 "--no-progress"]) == 2
    assert "--eff: expected 3 values" in capsys.readouterr().err
    assert main(["exact", "--design", "3+3", "--truth", "0.05,0.1,0.2", "--target", "0.3", "--eff", "0.2,0.4,0.5",
                 "--obd", "2"]) == 0
    assert "correct OBD selection" in capsys.readouterr().out


@pytest.mark.parametrize("design", [de.BOIN12(max_n=30), de.BOIN(target=0.3, cohort_size=3, max_n=24),
                                    de.TITEBOIN(target=0.3, cohort_size=3, max_n=18)],
                         ids=["boin12", "boin", "tite-boin"])
def test_efficacy_records_identical_across_thread_counts(design):
    tm = de.TimeModel(window=28, rate=3 / 28) if getattr(design, "time_to_event", False) else None
    sc = de.Scenario(P_TOX, target=0.3, p_eff=P_EFF, association="gaussian", association_param=0.4, time=tm)
    a = de.simulate(design, sc, n_trials=1500, seed=5, threads=1).records
    b = de.simulate(design, sc, n_trials=1500, seed=5, threads=2).records
    assert naive.records_hash(a) == naive.records_hash(b)
    assert np.array_equal(a.n_eff, b.n_eff)


@pytest.mark.parametrize("u", [(100, 40, 160, 0), (0, 0, 0, 0), (100, 40, 60, 120), (50, 40, 60, 0), (0, 40, 60, 100)])
def test_utility_table_needs_efficacy_without_toxicity_best_and_toxicity_without_efficacy_worst(u):
    with pytest.raises(ValueError, match=r"^utility: \(E no T, neither, both, T no E\) needs E no T > T no E"):
        de.Scenario(P_TOX, target=0.25, p_eff=P_EFF, utility=u)


@pytest.mark.parametrize("u", [(100, 40, 60, 0), (1, 0.4, 0.6, 0), (100, 20, 50, -10), (100, 100, 0, 0)])
def test_utility_table_on_any_scale(u):
    assert de.Scenario(P_TOX, target=0.25, p_eff=P_EFF, utility=u).utility == tuple(float(x) for x in u)
