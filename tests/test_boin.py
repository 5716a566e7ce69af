"""BOIN (R BOIN 2.7.2 semantics): boundaries, decisions, select.mtd, OC vs R, exact vs MC, invariants."""

import json
import pathlib
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import doseesc as de

from . import naive_interval as naive
from .naive import tolerances

DATA = pathlib.Path(__file__).parent / "data"
PEER_DECISIONS = [json.loads(line) for line in (DATA / "boin_peer_decisions.jsonl").open()]
PEER_OC = [json.loads(line) for line in (DATA / "boin_peer_oc.jsonl").open()]


# ---------------------------------------------------------------- boundaries (R get.boundary)
@pytest.mark.parametrize("ref", [r for r in PEER_DECISIONS if r["kind"] == "boin_boundary"],
                         ids=lambda r: f"target{r['target']}-cs{r['cohortsize']}")
def test_boundaries_match_r_get_boundary(ref):
    b = de.boin_boundaries(target=ref["target"], max_n=30, cohort_size=ref["cohortsize"])
    assert b.n.tolist() == ref["n"]
    assert b.escalate_if_le.tolist() == ref["escalate_if_le"]
    assert b.deescalate_if_ge.tolist() == ref["deescalate_if_ge"]
    assert b.eliminate_if_ge.tolist() == [-1 if x is None else x for x in ref["eliminate_if_ge"]]


def test_boundaries_published():
    # Published item 5 (BOIN papers): target 0.25 at n = 3, 6, ..., 18; lambdas for target 0.30.
    b = de.boin_boundaries(target=0.25, max_n=18, cohort_size=3)
    at = np.arange(3, 19, 3) - 1
    assert b.escalate_if_le[at].tolist() == [0, 1, 1, 2, 2, 3]
    assert b.deescalate_if_ge[at].tolist() == [1, 2, 3, 4, 5, 6]
    assert b.eliminate_if_ge[at].tolist() == [3, 4, 5, 6, 7, 8]
    b = de.boin_boundaries(target=0.3, max_n=30)
    assert b.lambda_e == pytest.approx(0.2364, abs=1e-4)  # 0.23649..., printed 0.2364 in the papers
    assert b.lambda_d == pytest.approx(0.3585, abs=1e-4)
    text = str(de.boin_boundaries(target=0.3, max_n=12, cohort_size=3))
    assert "Eliminate if # of DLT >=" in text and "lambda_e = 0.2365" in text
    assert de.boin_boundaries(0.3, 9, extrasafe=True).stop_if_ge is not None


# ---------------------------------------------------------------- decisions as outcome strings
HAN = "1NNN 2NNN 3NTT 2NTN 3NNN 3NNN 4TTT 3NTN 3NNT 3TNN".split()
HAN_NEXT = [2, 3, 2, 3, 3, 4, 3, 3, 3, 3]


def test_han_2019_worked_trial():
    # Published item 9: Han et al. (2019), 5 doses, target 0.3, cohorts of 3.
    d = de.BOIN(target=0.3, cohort_size=3, max_n=60, n_doses=5)
    for i, nxt in enumerate(HAN_NEXT):
        rec = d.next_dose(" ".join(HAN[: i + 1]))
        assert rec.dose == nxt, (i, rec)
    rec = d.next_dose(" ".join(HAN))
    assert rec.n_patients.tolist() == [3, 6, 18, 3, 0] and rec.n_dlt.tolist() == [0, 1, 5, 3, 0]
    assert rec.selected == 3
    assert d.next_dose(" ".join(HAN[:7] + ["3NNN"])).dose == 3  # never back up to eliminated dose 4
    # with max_n = 30 the trial ends after the 10th cohort and selects dose 3
    rec = de.BOIN(target=0.3, cohort_size=3, max_n=30).next_dose(" ".join(HAN), n_doses=5)
    assert rec.stop and rec.reason == "max_n" and rec.selected == 3
    assert np.isnan(rec.p_tox[4]) and rec.p_tox[2] == pytest.approx(0.279, abs=1e-3)


@pytest.mark.parametrize("outcomes, kw, dose, reason", [
    ("", {}, 1, "running"),
    ("1NNN", {}, 2, "running"),
    ("1NTN", {}, 1, "running"),            # 1/3 with target 0.3: stay (lambda_d * 3 = 1.08)
    ("1TTN", {}, 1, "running"),            # de-escalate at dose 1: stay
    ("1TTT", {}, None, "safety"),          # dose 1 eliminated
    ("1NNN 2TTT", {}, 1, "running"),       # dose 2 eliminated: back to 1 ...
    ("1NNN 2TTT 1NNN", {}, 1, "running"),  # ... and never up again
    ("1NNN 2NNN 3NNN", {}, 3, "running"),  # top dose: stay
    ("1NNN 1NNN 1NNN", {"n_earlystop": 9}, 2, "running"),  # escalation is not "stay"
    ("1NNN 2NTN 2NNN 2NTN", {"n_earlystop": 9}, 3, "running"),  # 2/9: escalate, no stop
    ("1NNN 2NTN 2NTN", {"n_earlystop": 9}, 2, "running"),
    ("1NNN 2NTN 2NTN 2NTN", {"n_earlystop": 9}, None, "design_rule"),  # 3/9 at 2: stay -> stop
    ("1NTN 1NNN", {"extrasafe": True}, 2, "running"),
    ("1TTN", {"extrasafe": True}, None, "safety"),  # P(p1 > .3 | 2/3) = 0.916 > 0.95 - 0.05
])
def test_decisions(outcomes, kw, dose, reason):
    d = de.BOIN(target=0.3, cohort_size=3, max_n=30, n_doses=3, **kw)
    rec = d.next_dose(outcomes)
    assert (rec.dose, rec.reason) == (dose, reason)


def test_stay_at_1_of_3():
    # Target 0.25: lambda_d * 3 = 0.89, so plain BOIN de-escalates after 1/3; Zhao et al. (2024) stay.
    plain = de.BOIN(target=0.25, cohort_size=3, max_n=30, n_doses=4)
    zhao = de.BOIN(target=0.25, cohort_size=3, max_n=30, n_doses=4, stay_at_1_of_3=True)
    assert plain.next_dose("1NNN 2TNN").dose == 1
    assert zhao.next_dose("1NNN 2TNN").dose == 2
    assert zhao.next_dose("1NNN 2TNN 2TNN").dose == 1  # 2/6: de-escalate as usual
    assert zhao.next_dose("1NNN 2TTN").dose == 1


def test_titration():
    d = de.BOIN(target=0.3, cohort_size=3, max_n=30, titration=True, n_doses=4)
    assert (d.next_dose("").dose, d.next_dose("").cohort_size) == (1, 1)
    assert d.next_dose("1N").dose == 2
    rec = d.next_dose("1N 2N 3T")
    assert (rec.dose, rec.cohort_size) == (3, 2)  # rest of a regular cohort at the DLT dose
    assert d.next_dose("1N 2N 3T 3NN").dose == 3  # 1/3: stay
    rec = d.next_dose("1N 2N 3N 4N")
    assert (rec.dose, rec.cohort_size) == (4, 2)
    # cohort size 1: titration is off, as in R
    assert de.BOIN(target=0.3, cohort_size=1, max_n=20, titration=True, start_dose=2).next_dose("", n_doses=3).dose == 2


# ---------------------------------------------------------------- select.mtd
@pytest.mark.parametrize("ref", [r for r in PEER_DECISIONS if r["kind"] == "boin_select"],
                         ids=lambda r: f"{r['target']}-{r['n']}-{r['y']}")
def test_select_matches_r_select_mtd(ref):
    s = de.BOIN(target=ref["target"], cohort_size=3, max_n=30).select(ref["n"], ref["y"])
    assert (0 if s is None else s) == ref["mtd"]
    assert naive.select_mtd(ref["target"], ref["n"], ref["y"]) == ref["mtd"]


def test_select_beyond_max_n_and_options():
    d = de.BOIN(target=0.3, cohort_size=3, max_n=6)
    assert d.select([3, 40, 0], [0, 12, 0]) == 2  # more patients at a dose than max_n
    # R select.mtd example: n = (3, 3, 15, 9, 0), y = (0, 0, 4, 4, 0) -> dose 3
    assert de.BOIN(target=0.3, cohort_size=3, max_n=30).select([3, 3, 15, 9, 0], [0, 0, 4, 4, 0]) == 3
    # bound_mtd: the selected estimate must be below lambda_d (0.3585)
    assert de.BOIN(target=0.3, cohort_size=3, max_n=30).select([3, 3], [1, 2]) == 1
    assert de.BOIN(target=0.3, cohort_size=3, max_n=30, bound_mtd=True).select([6], [3]) is None
    assert de.BOIN(target=0.3, cohort_size=3, max_n=30).select([6], [3]) == 1
    # extrasafe: 2/3 at dose 1 is over the stricter cutoff
    assert de.BOIN(target=0.3, cohort_size=3, max_n=30, extrasafe=True).select([3, 3], [2, 0]) is None
    assert de.BOIN(target=0.3, cohort_size=3, max_n=30).select([3, 3], [2, 0]) == 2


# ---------------------------------------------------------------- kernel vs plain Python, trial by trial
@pytest.mark.parametrize("truth, kw", [
    ([0.05, 0.15, 0.3, 0.45, 0.6], dict(target=0.3, cohort_size=3, max_n=30)),
    ([0.3, 0.45, 0.6, 0.7], dict(target=0.3, cohort_size=3, max_n=30, n_earlystop=9, extrasafe=True)),
    ([0.1, 0.2, 0.3, 0.5], dict(target=0.3, cohort_size=1, max_n=20, start_dose=2)),
    ([0.02, 0.05, 0.1, 0.25, 0.4], dict(target=0.3, cohort_size=3, max_n=24, titration=True)),
    ([0.25, 0.41, 0.45], dict(target=0.25, cohort_size=3, max_n=30, n_earlystop=9, stay_at_1_of_3=True,
                              bound_mtd=True)),
    ([0.5, 0.6, 0.7], dict(target=0.2, cohort_size=2, max_n=13)),
])
def test_kernel_matches_naive_trial_by_trial(truth, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = de.BOIN(**kw)
    oc = de.simulate(d, de.Scenario(truth, target=kw["target"]), n_trials=150, seed=3)
    r = oc.records
    args = {k: v for k, v in kw.items() if k not in ("target", "cohort_size", "max_n", "start_dose")}
    for t in range(150):
        u = tolerances(3, t, kw["max_n"] + len(truth))
        sel, n, y = naive.boin_trial(truth, u, kw["target"], kw["cohort_size"], kw["max_n"],
                                     kw.get("start_dose", 1), **args)
        assert (r.selected[t], r.n_patients[t].tolist(), r.n_dlt[t].tolist()) == (sel, n, y), t


# ---------------------------------------------------------------- operating characteristics vs R get.oc
@pytest.mark.slow
@pytest.mark.parametrize("ref", PEER_OC, ids=lambda r: r["id"])
def test_oc_matches_r_get_oc(ref):
    # R used 20,000 trials: SE of a selection % near 50% is 0.35 points; we use 100,000 (SE 0.16).
    st_ = ref["settings"]
    d = de.BOIN(target=st_["target"], cohort_size=st_["cohortsize"], max_n=st_["ncohort"] * st_["cohortsize"],
                start_dose=st_["startdose"], n_earlystop=None if st_["n_earlystop"] >= 100 else st_["n_earlystop"],
                extrasafe=st_["extrasafe"])
    n_trials = 100_000
    oc = de.simulate(d, de.Scenario(ref["truth"], target=st_["target"]), n_trials=n_trials, seed=7)
    p_ref = np.asarray(ref["selection"]) / 100
    se = np.sqrt(p_ref * (1 - p_ref) / ref["ntrial"] + np.asarray(oc.se("selection")) ** 2)
    assert np.all(np.abs(oc.selection - p_ref) <= 4 * np.maximum(se, 1e-4))
    se_n = np.asarray(oc.se("n_patients")) * np.sqrt(1 + n_trials / ref["ntrial"])
    assert np.all(np.abs(oc.n_patients - ref["n_per_dose"]) <= 4 * np.maximum(se_n, 1e-3))
    assert abs(100 * oc.no_selection - ref["percent_stop"]) <= 4 * 100 * np.sqrt(
        max(ref["percent_stop"] / 100 * (1 - ref["percent_stop"] / 100), 1e-6) / ref["ntrial"]) + 0.1


@pytest.mark.slow
@pytest.mark.parametrize("truth, pcs, oversel, below, at, above, size", [
    # Published item 6: Zhao et al. (2024) Clin Cancer Res, Table 4, BOIN rows (stay at 1/3).
    ([0.25, 0.41, 0.45, 0.49, 0.53], 77.0, 16.7, None, 8.7, 6.2, 15.1),
    ([0.12, 0.25, 0.42, 0.49, 0.55], 55.6, 14.5, 7.2, 8.4, 5.1, 20.7),
    ([0.04, 0.12, 0.25, 0.43, 0.63], 56.7, 12.3, 11.4, 8.0, 4.6, 23.9),
])
def test_zhao_2024_table4(truth, pcs, oversel, below, at, above, size):
    d = de.BOIN(target=0.25, cohort_size=3, max_n=30, n_earlystop=9, p_saf=0.15, p_tox=0.35, stay_at_1_of_3=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
    oc = de.exact(d, de.Scenario(truth, target=0.25))
    tol = 1.5  # the paper's trial count is not stated (likely 1,000-5,000)
    assert 100 * oc.pcs == pytest.approx(pcs, abs=tol)
    assert 100 * oc.over_selection == pytest.approx(oversel, abs=tol)
    if below is not None:
        assert oc.n_below_mtd == pytest.approx(below, abs=0.5)
    assert oc.n_at_mtd == pytest.approx(at, abs=0.5)
    assert oc.n_overdosed == pytest.approx(above, abs=0.5)
    assert oc.sample_size == pytest.approx(size, abs=0.5)


# ---------------------------------------------------------------- exact vs Monte Carlo
@pytest.mark.slow
@pytest.mark.parametrize("truth, kw", [
    ([0.05, 0.15, 0.3, 0.45, 0.6], dict(target=0.3, cohort_size=3, max_n=18)),
    ([0.3, 0.45, 0.6], dict(target=0.3, cohort_size=3, max_n=24, n_earlystop=9, extrasafe=True)),
    ([0.1, 0.25, 0.4, 0.6], dict(target=0.25, cohort_size=3, max_n=21, titration=True, bound_mtd=True)),
    ([0.1, 0.2, 0.35], dict(target=0.25, cohort_size=1, max_n=12, start_dose=2)),
])
def test_exact_agrees_with_monte_carlo(truth, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = de.BOIN(**kw)
    sc = de.Scenario(truth, target=kw["target"])
    ex = de.exact(d, sc)
    oc = de.simulate(d, sc, n_trials=50_000, seed=13)
    assert ex.selection.sum() + ex.no_selection == pytest.approx(1.0, abs=1e-12)
    for name in ("selection", "no_selection", "n_patients", "n_dlt", "sample_size", "early_stop"):
        z = np.abs(np.asarray(getattr(oc, name)) - getattr(ex, name)) / np.maximum(oc.se(name), 1e-9)
        assert np.all(z < 4), (name, z)


def test_exact_small_is_distribution():
    ex = de.exact(de.BOIN(target=0.3, cohort_size=3, max_n=12), de.Scenario([0.1, 0.3, 0.5], target=0.3))
    assert ex.records.weight.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(ex.records.n_patients.sum(axis=1) <= 12)


# ---------------------------------------------------------------- invariants
@pytest.mark.filterwarnings("ignore::doseesc.scenario.NonMonotoneWarning")  # any curve, rising or not
@given(p=st.lists(st.floats(0, 1), min_size=1, max_size=6), cs=st.integers(1, 4), cohorts=st.integers(1, 8),
       target=st.sampled_from([0.2, 0.25, 0.3, 0.33]), es=st.sampled_from([None, 6, 9]), xs=st.booleans(),
       titr=st.booleans(), seed=st.integers(0, 2**32))
def test_invariants(p, cs, cohorts, target, es, xs, titr, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = de.BOIN(target=target, cohort_size=cs, max_n=cs * cohorts, n_earlystop=es, extrasafe=xs, titration=titr)
    sc = de.Scenario(p, target=target)
    oc = de.simulate(d, sc, n_trials=100, seed=seed)
    r = oc.records
    assert np.all(r.n_dlt <= r.n_patients)
    assert np.all(r.n_patients.sum(axis=1) <= cs * cohorts)
    assert oc.selection.sum() + oc.no_selection == pytest.approx(1.0)
    # never treat a dose after it (or a lower dose) met the elimination rule: such doses stop growing,
    # so every eliminated dose's counts still meet the rule at the end and nothing above it grew past it.
    b = de.boin_boundaries(target, max(cs * cohorts, 3))
    for t in range(len(r)):
        n, y = r.n_patients[t], r.n_dlt[t]
        el = [j for j in range(len(p)) if n[j] >= 3 and b.eliminate_if_ge[n[j] - 1] >= 0
              and y[j] >= b.eliminate_if_ge[n[j] - 1]]
        if el:
            assert r.selected[t] == 0 or r.selected[t] - 1 < el[0]
    again = de.simulate(d, sc, n_trials=100, seed=seed, threads=1)
    assert np.array_equal(again.records.n_patients, r.n_patients)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw, field", [
    (dict(target=0.7), "target"),
    (dict(target=0), "target"),
    (dict(cohort_size=0), "cohort_size"),
    (dict(max_n=2), "max_n"),
    (dict(start_dose=0), "start_dose"),
    (dict(p_saf=0.29), "p_saf"),
    (dict(p_tox=0.31), "p_tox"),
    (dict(p_tox=1.0), "p_tox"),
    (dict(cutoff_eli=1.2), "cutoff_eli"),
    (dict(offset=0.5), "offset"),
    (dict(extrasafe="yes"), "extrasafe"),
    (dict(n_earlystop=0), "n_earlystop"),
])
def test_bad_input(kw, field):
    args = dict(target=0.3, cohort_size=3, max_n=30)
    args.update(kw)
    with pytest.raises(ValueError, match=f"^{field}:"):
        de.BOIN(**args)


def test_warnings_like_r():
    with pytest.warns(UserWarning, match="below 0.05"):
        de.BOIN(target=0.04, cohort_size=3, max_n=30)
    with pytest.warns(UserWarning, match="n_earlystop"):
        de.BOIN(target=0.3, cohort_size=3, max_n=30, n_earlystop=6)


def test_registry_and_fields():
    from dataclasses import fields

    from doseesc.designs import REGISTRY

    assert REGISTRY["boin"] is de.BOIN
    names = [f.name for f in fields(de.BOIN) if not f.kw_only]  # (name= is keyword-only)
    assert names[:3] == ["target", "cohort_size", "max_n"] and "stay_at_1_of_3" in names
    assert de.BOIN(target=0.3, cohort_size=3, max_n=30).to_dict()["p_saf"] is None
