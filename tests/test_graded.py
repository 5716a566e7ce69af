"""Graded toxicity: graded scenarios (the binary DLT as a special case) and gBOIN against the
authors' R package TITEgBOIN (decisions equal, operating characteristics within 4 SE)."""

import json
from pathlib import Path

import numpy as np
import pytest

import doseesc as de
from tests import naive

DATA = Path(__file__).parent / "data"
PAPER_TARGET = 0.47 / 1.5  # normalized target ETS of Mu, Xu & Yuan (2019)

GRADES = [[0.10, 0.06, 0.03, 0.01], [0.15, 0.10, 0.07, 0.03], [0.20, 0.14, 0.12, 0.06], [0.20, 0.18, 0.18, 0.10]]


# ---------------------------------------------------------------- graded scenarios, binary special case
def test_from_grades_derives_dlt_and_low_grade_probabilities():
    sc = de.Scenario.from_grades(GRADES, target=0.2, dlt_grade=3)
    g = np.array(GRADES)
    assert np.allclose(sc.p_tox, g[:, 2:].sum(axis=1)) and np.allclose(sc.p_ae, g[:, :2].sum(axis=1))
    assert np.allclose(sc.p_grade_at_least[:, 0], g.sum(axis=1)) and np.allclose(sc.p_grade_at_least[:, 3], g[:, 3])
    assert sc.to_dict()["dlt_grade"] == 3 and sc.n_grades == 4
    sc2 = de.Scenario.from_grades(GRADES, target=0.2, dlt_grade=4)
    assert np.allclose(sc2.p_tox, g[:, 3])


@pytest.mark.parametrize("design", [de.ThreePlusThree(), de.BOIN(target=0.2, cohort_size=3, max_n=24),
                                    de.CRM(skeleton=[0.05, 0.1, 0.2, 0.3], target=0.2, cohort_size=1, max_n=20)],
                         ids=["3+3", "boin", "crm"])
def test_binary_design_on_graded_scenario_is_bit_identical(design):
    """A graded scenario run through a binary design gives the records of the corresponding
    binary scenario (same DLT and low-grade AE probabilities): records hash equal."""
    graded = de.Scenario.from_grades(GRADES, target=0.2, dlt_grade=3)
    binary = de.Scenario(p_tox=graded.p_tox.tolist(), target=0.2, p_ae=graded.p_ae.tolist())
    a = de.simulate(design, graded, n_trials=3000, seed=12).records
    b = de.simulate(design, binary, n_trials=3000, seed=12).records
    assert naive.records_hash(a) == naive.records_hash(b)


def test_gboin_with_dlt_scores_makes_boins_decisions():
    """gBOIN scoring 0 below the DLT grade and 1 from it decides as BOIN on DLTs: every trial
    treats the same patients at the same doses (only the final selection's pseudo-count differs:
    TITEgBOIN's 0.005, R BOIN's 0.05)."""
    sc = de.Scenario.from_grades(GRADES, target=0.25, dlt_grade=3)
    g = de.simulate(de.gBOIN(target=0.25, cohort_size=3, max_n=30, scores=(0, 0, 0, 1, 1), n_earlystop=12), sc,
                    n_trials=4000, seed=3).records
    b = de.simulate(de.BOIN(target=0.25, cohort_size=3, max_n=30, n_earlystop=12), sc, n_trials=4000, seed=3).records
    assert np.array_equal(g.n_patients, b.n_patients) and np.array_equal(g.n_dlt, b.n_dlt)
    assert np.array_equal(g.stop_reason, b.stop_reason)
    assert np.array_equal(g.tox_score, g.n_dlt.astype(float))
    assert np.mean(g.selected == b.selected) > 0.97


# ---------------------------------------------------------------- decisions vs TITEgBOIN
DEC = json.loads((DATA / "peer_gboin_decisions.json").read_text())


def test_decisions_equal_titegboin():
    """300 random states: next_TITE_QuasiBOIN's next dose / stop and select_mtd_TITE_QuasiBOIN's
    selection, all equal (tests/data/peer_gboin_decisions.json, run here with TITEgBOIN 0.4.0)."""
    target = DEC["meta"]["target"]
    for i, c in enumerate(DEC["cases"]):
        d = de.gBOIN(target=target, cohort_size=3, max_n=30, extrasafe=c["extrasafe"],
                     n_earlystop=None if c["n_earlystop"] >= 100 else c["n_earlystop"])
        nxt, reason = d.decide(c["n"], c["y"], dose=c["d"])
        if c["earlystop"] == 1:
            assert (nxt, reason) == (None, "safety"), i
        elif c["stop"] == 1:
            assert (nxt, reason) == (None, "design_rule"), i
        else:
            assert (nxt, reason) == (c["next_d"], "running"), i
        sel = d.select(c["n"], c["y"])
        assert (99 if sel is None else sel) == c["selected"], i


# ---------------------------------------------------------------- operating characteristics vs TITEgBOIN
PEER = json.loads((DATA / "peer_gboin.json").read_text()) if (DATA / "peer_gboin.json").exists() else {"runs": {}}


def _setting(run):
    prob = np.array(run["prob"], dtype=float)
    if prob.ndim == 1:  # binary: one 'grade' (a DLT) scored 1
        return de.Scenario.from_grades(prob[:, None], target=run["target"], dlt_grade=1), (0.0, 1.0)
    # TITEgBOIN's categories 1-3 (scores 0.5, 1, 1.5) are grades 1-3 here; category 2 taken as the DLT
    return de.Scenario.from_grades(prob[:, 1:], target=run["target"], dlt_grade=2), (0.0, 0.5, 1.0, 1.5)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PEER["runs"]))
def test_oc_matches_titegboin(name):
    """get_oc_TITE_QuasiBOIN(TITE = FALSE), 20,000 trials (tests/data/peer_gboin.json); doseesc
    40,000. Selection and early stopping: binomial SE of both runs; mean patients and scores
    per dose: doseesc's SD times sqrt(1/20,000 + 1/40,000). All within 4 SE."""
    run = PEER["runs"][name]
    sc, scores = _setting(run)
    d = de.gBOIN(target=run["target"], cohort_size=run["cohortsize"], max_n=run["ncohort"] * run["cohortsize"],
                 scores=scores, start_dose=run["startdose"], extrasafe=run["extrasafe"],
                 n_earlystop=None if run["n.earlystop"] >= 100 else run["n.earlystop"])
    n = 40_000
    n_ref = run["ntrial"]
    oc = de.simulate(d, sc, n_trials=n, seed=19)
    p = np.asarray(run["selpercent"]) / 100
    se = np.sqrt(p * (1 - p) / n_ref + oc.se("selection") ** 2)
    assert np.all(np.abs(oc.selection - p) <= 4 * np.maximum(se, 1e-3)), (oc.selection, p)
    q = run["percentstop"] / 100
    assert abs(oc.no_selection - q) <= 4 * max(np.sqrt(q * (1 - q) / n_ref + oc.se("no_selection") ** 2), 1e-3)
    k = np.sqrt(1 + n / n_ref)
    for ours, theirs in ((oc.n_patients, run["npatients"]), (oc.tox_score, run["ntox"])):
        se_m = np.asarray(oc.se("n_patients" if ours is oc.n_patients else "tox_score")) * k
        assert np.all(np.abs(ours - np.asarray(theirs)) <= 4 * np.maximum(se_m, 1e-3)), (ours, theirs)
    assert abs(oc.sample_size - run["totaln"]) <= 4 * oc.se("sample_size") * k


# ---------------------------------------------------------------- reproducibility and bad input
def test_same_records_for_any_thread_count():
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    sc = de.Scenario.from_grades(GRADES, target=0.25)
    d = de.gBOIN(target=PAPER_TARGET, cohort_size=3, max_n=30)
    a = de.simulate(d, sc, n_trials=3000, seed=2, threads=1).records
    b = de.simulate(d, sc, n_trials=3000, seed=2, threads=2).records
    assert naive.records_hash(a) == naive.records_hash(b) and np.array_equal(a.tox_score, b.tox_score)


def test_bad_input():
    with pytest.raises(ValueError, match="^p_grade"):
        de.Scenario.from_grades([[0.6, 0.5]], target=0.2)
    with pytest.raises(ValueError, match="^p_grade"):
        de.Scenario.from_grades([0.1, 0.2], target=0.2)
    with pytest.raises(ValueError, match="^dlt_grade"):
        de.Scenario.from_grades(GRADES, target=0.2, dlt_grade=5)
    with pytest.raises(ValueError, match="^p_grade: the probabilities"):
        de.Scenario([0.1, 0.2, 0.3, 0.4], target=0.2, p_grade=GRADES)
    with pytest.raises(ValueError, match="^dlt_grade"):
        de.Scenario([0.1], target=0.2, dlt_grade=3)
    with pytest.raises(ValueError, match="^target"):
        de.gBOIN(target=0.7, cohort_size=3, max_n=30)
    with pytest.raises(ValueError, match="^scores"):
        de.gBOIN(target=0.3, cohort_size=3, max_n=30, scores=(0, -1))
    with pytest.raises(ValueError, match="^scenario: this design scores"):
        de.simulate(de.gBOIN(target=0.3, cohort_size=3, max_n=30), de.Scenario([0.1, 0.2], target=0.3), n_trials=5)
    with pytest.raises(ValueError, match="^scores: the design has scores for grades 0-4"):
        de.simulate(de.gBOIN(target=0.3, cohort_size=3, max_n=30),
                    de.Scenario.from_grades([[0.1, 0.1]], 0.3, dlt_grade=1), n_trials=5)
    with pytest.raises(ValueError, match="^outcomes"):
        de.gBOIN(target=0.3, cohort_size=3, max_n=30).next_dose("1NNN")
    with pytest.raises(ValueError, match="^score"):
        de.gBOIN(target=0.3, cohort_size=3, max_n=30).select([3, 3], [4.0, 0])
    with pytest.raises(ValueError, match="^design: exact"):
        de.exact(de.gBOIN(target=0.3, cohort_size=3, max_n=30), de.Scenario.from_grades(GRADES, 0.3))


# ---------------------------------------------------------------- evidence: per-grade AE priors
def test_grade_prior_counts_follow_the_seed_documents():
    """evidence.md: trial A, 3 grade-1 AEs in 7 patients (patients with an AE not stated: the
    upper bound, 3 patients); trial B, 2 grade-1 and 1 grade-2 infusion AEs in 2 of 8 patients
    (so one patient's worst grade is 2, the other's 1); no DLT (grade >= 3) in either; trial C's
    one event has no grade and trial D gives no count: skipped, never counted as zero."""
    from doseesc import evidence

    p = evidence.grade_prior()
    assert p.counts == (4 + 6, 3 + 1, 0 + 1, 0.0)
    assert p.records_used == ("A@2", "A@3", "B@2", "B@4")
    assert [i for i, _ in p.records_skipped] == ["C@2", "D@1"]
    assert p.alpha == (11.0, 5.0, 2.0, 1.0) and p.ess == 19.0
    assert "upper bound" in p.describe()
    half = evidence.grade_prior(discount=0.5, alpha0=(0.5, 0.5, 0.5, 0.5))
    assert half.alpha == (5.5, 2.5, 1.0, 0.5)
    assert evidence.grade_prior(trials="B").counts == (6.0, 1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="^alpha0"):
        evidence.grade_prior(alpha0=(1, 1, 1))


def test_prior_predictive_graded_scenarios():
    from doseesc import evidence

    p = evidence.grade_prior()
    ss = evidence.sample_graded_scenarios(p, [1, 2, 4], n=400, seed=3)
    again = evidence.sample_graded_scenarios(p, [1, 2, 4], n=400, seed=3)
    assert np.array_equal(ss.p_grade, again.p_grade)
    at_least = np.cumsum(ss.p_grade[:, :, ::-1], axis=2)[:, :, ::-1]
    assert np.all(np.diff(at_least, axis=1) >= -1e-12)  # each grade's reach increases with dose
    assert np.allclose(ss.p_tox, ss.p_grade[:, :, 2]) and np.allclose(ss.p_ae, ss.p_grade[:, :, :2].sum(axis=2))
    # the draws' category means are the prior's (draw-and-sort keeps the mean over doses)
    cats = np.concatenate([1 - at_least[:, :, :1], ss.p_grade], axis=2).reshape(-1, 4).mean(axis=0)
    assert np.allclose(cats, p.mean(), atol=0.02)
    assert "A@2" in ss.source
    # binary designs on the graded set are the binary set's records
    binary = de.ScenarioSet(p_tox=ss.p_tox, target=0.2, doses=[1, 2, 4], p_ae=ss.p_ae)
    d = de.BOIN(target=0.2, cohort_size=3, max_n=18)
    assert naive.records_hash(de.simulate(d, ss, n_trials=50, seed=1).records) == \
        naive.records_hash(de.simulate(d, binary, n_trials=50, seed=1).records)
    oc = de.simulate(de.gBOIN(target=PAPER_TARGET, cohort_size=3, max_n=18, scores=(0, 0.5, 1, 1.5)), ss,
                     n_trials=50, seed=1)
    assert oc.selection.sum() + oc.no_selection == pytest.approx(1.0)


@pytest.mark.parametrize("module", ["doseesc.designs.graded", "doseesc.designs.backfill", "doseesc.evidence._grades",
                                    "doseesc.scenario"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    res = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 0


# ---------------------------------------------------------------- QuasiCRM
QDEC = json.loads((DATA / "peer_quasicrm_dfcrm.json").read_text())


def test_quasicrm_matches_dfcrm_on_fractional_toxicities():
    """200 random states (tests/data/peer_quasicrm_dfcrm.json, run here): dfcrm 0.2-2.1's crm() with
    the normalized scores as toxicities is the quasi-likelihood CRM; its posterior mean of beta
    (dfcrm integrates with R's integrate, relative tolerance ~1e-4) and its recommended dose
    agree with QuasiCRM's."""
    target = QDEC["meta"]["target"]
    worst = 0.0
    for i, c in enumerate(QDEC["cases"]):
        d = de.QuasiCRM(skeleton=c["skeleton"], target=target, model=c["model"], max_n=30, scores=(0, 1, 2, 3))
        b = d.posterior_mean_beta(c["n"], c["y"])
        worst = max(worst, abs(b - c["estimate"]))
        assert b == pytest.approx(c["estimate"], abs=2e-4), i
        assert d.select(c["n"], c["y"]) == c["mtd"], i
    assert worst < 2e-4


QOC = json.loads((DATA / "peer_quasicrm_oc.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("k", range(len(QOC["settings"])))
def test_quasicrm_oc_match_dfcrm_trial_loop(k):
    """Operating characteristics against 2,000 R trials per setting (tests/data/peer_quasicrm_oc.json,
    benchmarks/r/quasicrm_oc.R, run here): every decision is dfcrm 0.2-2.1's ``crm()`` on the
    normalized scores with crmsim's restriction, in a trial loop written in R. Selection % per
    dose, mean patients and mean summed score per dose within 4 combined SEs (R's SE from its
    2,000 trials and ours from 40,000: binomial with the pooled proportion for selection, sd / sqrt(n)
    for means)."""
    s = QOC["settings"][k]
    sc = de.Scenario.from_grades(s["p_grade"], target=0.25)
    d = de.QuasiCRM(skeleton=s["skeleton"], target=s["target"], max_n=s["max_n"], cohort_size=s["cohort_size"],
                    start_dose=s["start_dose"], model=s["model"], scores=tuple(s["scores"]))
    oc = de.simulate(d, sc, n_trials=40_000, seed=11)
    m = s["n_trials"]
    sel_r = np.asarray(s["select"])
    pooled = (m * sel_r + oc.n_trials * oc.selection) / (m + oc.n_trials)  # SE under equality (0 / m is no SE)
    z_sel = (oc.selection - sel_r) / np.sqrt(pooled * (1 - pooled) * (1 / m + 1 / oc.n_trials) + 1e-12)
    z_n = (oc.n_patients - s["n_mean"]) / np.sqrt(np.square(s["n_sd"]) / m + oc.se("n_patients") ** 2 + 1e-12)
    z_s = (oc.tox_score - s["score_mean"]) / np.sqrt(np.square(s["score_sd"]) / m + oc.se("tox_score") ** 2 + 1e-12)
    worst = float(np.max(np.abs(np.concatenate([z_sel, z_n, z_s]))))
    assert worst < 4, (s["name"], z_sel, z_n, z_s)


def test_quasicrm_with_dlt_scores_is_the_crm():
    """QuasiCRM scoring 0 below the DLT grade and 1 from it is dfcrm's CRM on DLTs: records equal."""
    sc = de.Scenario.from_grades(GRADES, target=0.25, dlt_grade=3)
    q = de.QuasiCRM(skeleton=[0.05, 0.1, 0.2, 0.3], target=0.25, cohort_size=1, max_n=20, scores=(0, 0, 0, 1, 1))
    c = de.CRM(skeleton=[0.05, 0.1, 0.2, 0.3], target=0.25, cohort_size=1, max_n=20)
    a = de.simulate(q, sc, n_trials=2000, seed=3).records
    b = de.simulate(c, sc, n_trials=2000, seed=3).records
    for f in ("selected", "n_patients", "n_dlt", "n_ae", "stop_reason"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert np.array_equal(a.tox_score, a.n_dlt.astype(float))


def test_quasicrm_live_use_and_bad_input():
    d = de.QuasiCRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=PAPER_TARGET, cohort_size=3, max_n=24)
    # dfcrm's restriction: no escalation right after a cohort whose mean score is >= the target
    assert d.decide([3, 3, 0, 0], [0.0, 2.0, 0, 0], dose=2, cohort_size=3, cohort_score=2.0) <= 2
    assert d.decide([3, 0, 0, 0], [0.0, 0, 0, 0], dose=1, cohort_size=3, cohort_score=0.0) == 2
    with pytest.raises(ValueError, match="^x0"):
        de.QuasiCRM(skeleton=[0.1, 0.2], target=0.3, x0=[1, 2])
    with pytest.raises(ValueError, match="^scores"):
        de.QuasiCRM(skeleton=[0.1, 0.2], target=0.3, scores=(0, 0))
    with pytest.raises(ValueError, match="^score"):
        d.select([3, 3, 0, 0], [4.0, 0, 0, 0])
    with pytest.raises(ValueError, match="^outcomes"):
        d.next_dose("1NNN")


def test_composable_rules_are_refused_on_graded_designs():
    """The graded trial loop applies no composable rule: asking for one is an error, not a silent no-op."""
    for d in (de.gBOIN(target=0.3, max_n=18, cohort_size=3), de.QuasiCRM(skeleton=[0.1, 0.2, 0.3], target=0.3)):
        for make in (lambda x: x.stop_when_n_at_dose(9), lambda x: x.dont_skip_doses(),
                     lambda x: x.select_among_treated(1)):
            with pytest.raises(ValueError, match="^base: the composable rules .* not available for the graded design"):
                make(d)
