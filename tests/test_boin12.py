"""BOIN12: the published and app decisions, the desirability table, a plain-Python twin trial by
trial, exact enumeration vs Monte Carlo, validation, CLI and run files."""

import json
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import doseesc as de
from tests import naive

DATA = pathlib.Path(__file__).parent / "data"


def _design(st, **kw):
    d = de.BOIN12(phi_t=st["phi_t"], phi_e=st["phi_e"], u2=st["u2"], u3=st["u3"], n_star=st.get("n_star", 6),
                  c_t=st.get("c_t", 0.95), c_e=st.get("c_e", 0.9), cohort_size=3,
                  max_n=st.get("stop_at_n", 36), **kw)
    if "stop_when_n_at_dose" in st:
        d = d.stop_when_n_at_dose(12, dose="any")
    return d


REF = [json.loads(line) for line in (DATA / "boin12_decisions_visible.jsonl").open()]
DECISIONS = [r for r in REF if r["kind"] == "next_dose_decision" and "c_t" in r["setting"]]


# ../shared/reference/boin12_decisions_visible.jsonl (copied to tests/data): the 11 decisions of the
# published trial (Lin et al. 2020, p.1396 and Data Supplement Fig. S2) and 56 of the MD Anderson
# app (parameterisation 1), as recorded in escalation's tests. A stop is checked as stop + the dose
# escalation recommends at the stop (our ``selected``, the OBD selection).
@pytest.mark.parametrize("row", DECISIONS, ids=[r["id"] for r in DECISIONS])
def test_published_and_app_decisions(row):
    st = row["setting"]
    rec = _design(st).next_dose(st["outcomes"], n_doses=st["num_doses"])
    want = row["values"]
    assert rec.stop == (not want["continue"])
    assert (rec.selected if rec.stop else rec.dose) == want["next_dose"]


APP2 = json.loads((DATA / "boin12_app_param2.json").read_text())


# The app's decisions under a second parameterisation (phi_t 0.15, phi_e 0.4, u = (100, 50, 30, 0),
# c_t 0.9, c_e 0.8): the 53 asserted in escalation 0.2.3's tests/testthat/test_boin12.R.
@pytest.mark.parametrize("case", APP2["cases"], ids=[c["outcomes"] for c in APP2["cases"]])
def test_app_decisions_parameterisation_2(case):
    rec = _design(APP2["setting"]).next_dose(case["outcomes"], n_doses=5)
    assert not rec.stop
    assert rec.dose == case["next_dose"]


def test_the_app_tie_that_escalation_leaves_open():
    """escalation's tests note one app decision its tie rule does not reproduce (2NNE under
    parameterisation 2: doses 1 and 3 tie, the app chose 1); doseesc, like escalation, takes the
    higher dose on a tie, as the app does in every other tied case above (e.g. 2NNN -> 3)."""
    d = _design(APP2["setting"])
    rec = d.next_dose("2NNE", n_doses=5)
    assert rec.utility[0] == rec.utility[2] > rec.utility[1]
    assert rec.dose == 3


def test_vignette_admissibility_and_obd():
    """escalation's vignette (A310-EfficacyToxicity): the admissible doses after '1NNN 2EBT' and
    select_boin12_obd after '1NNN 2NTN 2NNN 3BEN' with stop_at_n(12)."""
    rows = {r["id"]: r for r in REF}
    row = rows["BOIN12-ESC-VIGNETTE-2EBT"]
    st = row["setting"]
    d = de.BOIN12(phi_t=st["phi_t"], phi_e=st["phi_e"], u2=st["u2"], u3=st["u3"], n_star=st["n_star"], max_n=36)
    rec = d.next_dose(st["outcomes"], n_doses=st["num_doses"])
    assert rec.dose == row["values"]["recommended_dose"]
    # escalation's dose_admissible evaluates only d - 1, d, d + 1 around the current dose (2) and
    # reports the rest as False; doseesc's column applies the rule to every dose (untried doses 4
    # and 5 on the Beta(1, 1) prior: admissible), so the peer's numbers are compared where it looks
    assert rec.acceptable.tolist()[:3] == row["values"]["escalation_dose_admissible"][:3]
    assert rec.acceptable.tolist()[3:] == [True, True]
    row = rows["BOIN12-ESC-VIGNETTE-OBD"]
    st = row["setting"]
    d = de.BOIN12(phi_t=st["phi_t"], phi_e=st["phi_e"], u2=st["u2"], u3=st["u3"], n_star=st["n_star"],
                  max_n=st["stop_at_n"])
    rec = d.next_dose(st["outcomes"], n_doses=st["num_doses"])
    assert rec.stop and rec.reason == "max_n"
    assert rec.selected == row["values"]["recommended_dose"]


def test_desirability_table_reproduces_table_3():
    """Lin et al. (2020) Table 3 cells and escalation's boin12_rds() printed head."""
    rows = {(r["n"], r["tox"], r["eff"]): r for r in de.BOIN12().desirability_table((0, 3, 6, 9))}
    assert len(rows) == 166  # the vignette's total_rows
    for ref_id in ("BOIN12-RDS-TABLE3-TEST", "BOIN12-RDS-VIGNETTE-HEAD"):
        ref = next(r for r in REF if r["id"] == ref_id)
        for cell in ref["values"]["rows"]:
            got = rows[(cell["n"], cell["tox"], cell["eff"])]
            if cell["RDS"] is None:
                assert not got["admissible"] and got["rds"] is None
            else:
                assert got["rds"] == cell["RDS"]


def test_published_trial_step_by_step_output():
    d = de.BOIN12(phi_t=0.35, phi_e=0.25, u2=40, u3=60, n_star=6, max_n=30).stop_when_n_at_dose(12, dose="any")
    rec = d.next_dose("1NNN 2NNB 3NEE 3NTN 4ETE 4NBE 4BNN 5BEN 5NBT 4NEN", n_doses=5)
    assert rec.n_patients.tolist() == [3, 3, 6, 12, 6]
    assert rec.n_dlt.tolist() == [0, 1, 1, 3, 3]
    assert rec.n_eff.tolist() == [0, 1, 2, 6, 3]
    assert rec.reason == "design_rule" and rec.selected == 4
    text = str(rec)
    assert "STOP" in text and " score " in text  # the printed column: the desirability score
    js = rec.to_dict()
    assert js["n_eff"] == [0, 1, 2, 6, 3] and len(js["utility"]) == 5
    # the base design alone keeps going at dose 4 (no n-at-dose rule)
    assert de.BOIN12(max_n=36).next_dose("1NNN 2NNB 3NEE 3NTN 4ETE 4NBE 4BNN 5BEN 5NBT 4NEN", n_doses=5).dose == 4


def test_select_from_counts():
    d = de.BOIN12()
    assert d.select([3, 3, 6, 12, 6], [0, 1, 1, 3, 3], [0, 1, 2, 6, 3]) == 4
    assert d.select([3, 3, 6, 12, 6], [0, 1, 1, 3, 3], [0, 1, 2, 6, 3], [0, 1, 0, 2, 2]) == 4
    assert d.select([0, 0, 0], [0, 0, 0], [0, 0, 0]) is None
    with pytest.raises(ValueError, match="n_eff"):
        d.select([3, 3], [0, 1])
    with pytest.raises(ValueError, match="n_eff"):
        d.select([3, 3], [0, 1], [4, 0])
    with pytest.raises(ValueError, match="n_both"):
        de.BOIN12(u2=50, u3=30).select([3, 3], [0, 1], [1, 1])
    with pytest.raises(ValueError, match="n_both"):
        d.select([3, 3], [0, 1], [1, 1], [1, 0])


@pytest.mark.parametrize("kw, field", [
    (dict(phi_t=0.8), "phi_t"), (dict(phi_t=0), "phi_t"), (dict(phi_e=1), "phi_e"), (dict(u2=120), "u2"),
    (dict(u3=-1), "u3"), (dict(c_t=1.0), "c_t"), (dict(c_e=0), "c_e"), (dict(n_star=0), "n_star"),
    (dict(max_n=2), "max_n"), (dict(max_n=5000), "max_n"), (dict(cohort_size=0), "cohort_size"),
    (dict(start_dose=0), "start_dose"), (dict(n_doses=3, start_dose=4), "start_dose"),
])
def test_validation(kw, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        de.BOIN12(**kw)


def test_huge_live_input_is_a_clean_error():
    with pytest.raises(ValueError, match="^outcomes: 1500 patients .*1000"):
        de.BOIN12().next_dose("1" + "N" * 1500, n_doses=3)
    with pytest.raises(ValueError, match="^n_patients: "):
        de.BOIN12().select([5000, 0], [0, 0], [0, 0])
    with pytest.raises(ValueError, match="^outcomes: 60 patients entered, more than .*max_n = 30"):
        de.BOIN12(max_n=30).next_dose("1" + "N" * 60, n_doses=3)  # live data beyond the design: refused


def test_needs_a_scenario_with_efficacy():
    with pytest.raises(ValueError, match="^scenario: .*p_eff"):
        de.simulate(de.BOIN12(), de.Scenario([0.1, 0.2, 0.3], target=0.3), n_trials=10)
    with pytest.raises(ValueError, match="^scenario: .*p_eff"):
        de.exact(de.BOIN12(max_n=6), de.Scenario([0.1, 0.2, 0.3], target=0.3))


# R escalation 0.2.3 deciding every prefix of 200 random trial paths per setting and start dose
# (benchmarks/r/boin12_paths_make.py, benchmarks/r/boin12_paths.R; 2,624 decisions in all,
# including the trials' stops and their OBD selections). This is where the "d - 1 or d" branch,
# the exploration rule and the stopping rules are exercised beyond a single cohort.
PATHS = json.loads((DATA / "peer_boin12_paths.json").read_text())


@pytest.mark.parametrize("gi", range(len(PATHS["groups"])))
def test_random_paths_decided_as_escalation_does(gi):
    g = PATHS["groups"][gi]
    s = g["setting"]
    d = de.BOIN12(phi_t=s["phi_t"], phi_e=s["phi_e"], u2=s["u2"], u3=s["u3"], n_star=s["n_star"], c_t=s["c_t"],
                  c_e=s["c_e"], max_n=s["max_n"], start_dose=s["start_dose"]) \
        .stop_when_n_at_dose(s["stop_any"], dose="any")
    assert len(g["decisions"]) > 400
    stops = 0
    for dec in g["decisions"]:
        rec = d.next_dose(dec["outcomes"], n_doses=s["num_doses"])
        assert rec.stop == (not dec["continue"]), dec
        assert (rec.selected if rec.stop else rec.dose) == dec["recommended_dose"], dec
        stops += rec.stop
    assert stops >= 100  # every path ends in a stop (a selection or none)


# ---------------------------------------------------------------- the kernel vs a plain-Python twin
SCENARIOS = [
    de.Scenario([0.05, 0.1, 0.2, 0.3, 0.5], target=0.35, p_eff=[0.1, 0.3, 0.5, 0.5, 0.5]),
    de.Scenario([0.02, 0.05, 0.08], target=0.35, p_eff=[0.2, 0.6, 0.4], association="gaussian",
                association_param=0.6),
    de.Scenario([0.3, 0.45, 0.6, 0.7], target=0.3, p_eff=[0.3, 0.4, 0.5, 0.6], association="odds_ratio",
                association_param=4.0),
]


@pytest.mark.parametrize("si", range(len(SCENARIOS)))
@pytest.mark.parametrize("kw, stop_any", [
    (dict(max_n=36), 12), (dict(max_n=24, u2=50, u3=30, phi_t=0.3, phi_e=0.4, c_t=0.9, c_e=0.8), None),
    (dict(max_n=30, start_dose=2, n_star=9), None),
    # lax admissibility cut-offs: stops for safety as well as for futility (scenario 3: 6 and 32 of 60)
    (dict(max_n=24, c_t=0.6, c_e=0.6, start_dose=2), None)])
def test_kernel_matches_plain_python_trial_by_trial(si, kw, stop_any):
    sc = SCENARIOS[si]
    base = de.BOIN12(**kw)
    if base.start_dose > sc.n_doses:
        pytest.skip("start dose above the scenario's doses")
    d = base.stop_when_n_at_dose(stop_any, dose="any") if stop_any else base
    seed = 11 + si
    oc = de.simulate(d, sc, n_trials=60, seed=seed)
    r = oc.records
    for t in range(60):
        us = naive.tolerances(seed, t, base.max_n)
        vs = naive.efficacies(seed, t, base.max_n)
        reasons = []
        sel, n, y, e = naive.boin12_trial(base, sc, us, vs, stop_any, reasons)
        assert r.selected[t] == sel, t
        # a stop with no admissible dose: for safety or futility, as the plain code classifies it
        assert de.results.STOP_REASONS[r.stop_reason[t]] == (reasons[0] if reasons else
                                                             de.results.STOP_REASONS[r.stop_reason[t]]), t
        assert bool(reasons) == (r.stop_reason[t] >= 3), t
        assert r.n_patients[t].tolist() == n.tolist()
        assert r.n_dlt[t].tolist() == y.tolist()
        assert r.n_eff[t].tolist() == e.tolist()


# ---------------------------------------------------------------- exact vs Monte Carlo
@pytest.mark.slow
@pytest.mark.parametrize("d, sc", [
    (de.BOIN12(max_n=18).stop_when_n_at_dose(12, dose="any"),
     de.Scenario([0.05, 0.1, 0.2, 0.3, 0.5], target=0.35, p_eff=[0.1, 0.3, 0.5, 0.5, 0.5])),
    # u2 + u3 != 100: the states keep the patients with both outcomes
    (de.BOIN12(phi_t=0.3, phi_e=0.4, u2=50, u3=30, c_t=0.9, c_e=0.8, max_n=15),
     de.Scenario([0.1, 0.25, 0.45], target=0.3, p_eff=[0.3, 0.5, 0.6], association="gumbel", association_param=1.5)),
    (de.BOIN12(max_n=24, start_dose=2),
     de.Scenario([0.05, 0.15, 0.4], target=0.35, p_eff=[0.4, 0.6, 0.3], association="gaussian",
                 association_param=-0.4, doses=[1, 2, 4])),
])
def test_exact_equals_monte_carlo_within_4_se(d, sc):
    ex = de.exact(d, sc)
    mc = de.simulate(d, sc, n_trials=200_000, seed=5)
    assert abs(ex.selection.sum() + ex.no_selection - 1) < 1e-12
    for name in ("selection", "no_selection", "n_patients", "n_dlt", "n_eff", "pcs_obd", "selected_utility",
                 "n_at_obd", "sample_size", "stop_safety", "stop_futility"):
        e = np.atleast_1d(getattr(ex, name))
        m = np.atleast_1d(getattr(mc, name))
        se = np.atleast_1d(mc.se(name))
        ok = np.abs(e - m) <= 4 * se + 1e-12
        assert ok.all(), (name, e, m, se)


def test_exact_small_case_by_hand():
    """One dose, one cohort of 1 then stop (max_n = 1): the selection is the only dose unless
    the patient's outcome makes it inadmissible -- it cannot with one patient -- so 1 always;
    the exact expected responses are p_eff."""
    sc = de.Scenario([0.2], target=0.35, p_eff=[0.4], association="odds_ratio", association_param=2.0)
    ex = de.exact(de.BOIN12(cohort_size=1, max_n=1), sc)
    assert ex.selection.tolist() == [1.0]
    assert ex.n_eff[0] == pytest.approx(0.4, abs=1e-14)
    assert ex.n_dlt[0] == pytest.approx(0.2, abs=1e-14)


@pytest.mark.parametrize("dtype", [np.int16, np.int64])
def test_merging_states_sums_equal_rows_in_order_of_first_appearance(dtype):
    # the phase I/II path's merge (a hash table): the distinct rows in order of first appearance,
    # each probability summed in order of appearance, as a plain-Python merge does it
    from doseesc._kernels import trial

    rng = np.random.default_rng(3)
    rows = rng.integers(0, 3, size=(20_000, 9)).astype(dtype)  # many equal rows, many near-equal
    probs = rng.random(20_000)
    groups: dict = {}
    for r, p in zip(map(tuple, rows.tolist()), probs.tolist()):
        groups[r] = groups.get(r, 0.0) + p
    out, out_p = trial.merge_hashed(rows, probs)
    assert out.dtype == dtype and [tuple(r) for r in out.tolist()] == list(groups)
    assert out_p.tolist() == list(groups.values())  # bit for bit
    one, one_p = trial.merge_hashed(rows[:1], probs[:1])
    assert one.tolist() == rows[:1].tolist() and one_p.tolist() == probs[:1].tolist()
    none, none_p = trial.merge_hashed(rows[:0], probs[:0])
    assert none.shape == (0, 9) and none_p.shape == (0,)


def test_exact_states_as_int16_or_int64_give_the_same_records(monkeypatch):
    from doseesc.engine import api

    d = de.BOIN12(max_n=18)
    sc = de.Scenario([0.05, 0.1, 0.2, 0.3, 0.5], target=0.35, p_eff=[0.1, 0.3, 0.5, 0.5, 0.5])
    low = d.lower(5)
    small = api._exact_records_eff(low, sc)
    monkeypatch.setattr(api, "EXACT_EFF_STATE", np.int64)  # the states' type: int64 instead
    wide = api._exact_records_eff(low, sc)
    for f in ("selected", "n_patients", "n_dlt", "n_eff", "weight", "stop_reason"):
        a, b = getattr(small, f), getattr(wide, f)
        assert a.dtype == b.dtype and np.array_equal(a, b), f


def test_exact_enumeration_limit_is_a_clean_error(monkeypatch):
    from doseesc.engine import api

    monkeypatch.setattr(api, "MAX_EXACT_STATES", 1000)
    sc = de.Scenario([0.05, 0.1, 0.2, 0.3, 0.5], target=0.35, p_eff=[0.1, 0.3, 0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="^design: exact enumeration exceeds"):
        de.exact(de.BOIN12(max_n=36), sc)


def test_same_seed_same_records_and_cli_run(tmp_path):
    from doseesc.cli import main

    sc = SCENARIOS[0]
    d = de.BOIN12(max_n=30)
    a = de.simulate(d, sc, n_trials=500, seed=3).records
    b = de.simulate(d, sc, n_trials=500, seed=3).records
    assert naive.records_hash(a) == naive.records_hash(b)
    assert np.array_equal(a.n_eff, b.n_eff)
    run = tmp_path / "run.toml"
    run.write_text("""
n_trials = 400
[random]
seed = 2
[[designs]]
design = "boin12"
phi_t = 0.35
phi_e = 0.25
max_n = 30
stop_n_at_dose = 12
n_at_dose_of = "any"
[[designs]]
design = "boin"
target = 0.35
cohort_size = 3
max_n = 30
[[scenarios]]
p_tox = [0.05, 0.1, 0.2, 0.3, 0.5]
target = 0.35
p_eff = [0.1, 0.3, 0.5, 0.5, 0.5]
association = "gaussian"
association_param = 0.3
[output]
dir = "%s"
plots = false
""" % (tmp_path / "out"))
    assert main(["run", str(run), "--format", "json"]) == 0
    out = json.loads((tmp_path / "out" / "results.json").read_text())
    assert out["results"][0]["pcs_obd"] > 0 and "pcs_obd_se" in out["results"][0]
    assert "pcs_obd_diff_vs_first" in out["paired_differences"][0]
    assert "pcs_obd" in (tmp_path / "out" / "results.csv").read_text()


def test_cli(capsys):
    from doseesc.cli import main

    assert main(["next", "--design", "boin12", "--n-doses", "5", "--max-n", "30", "--stop-n-at-dose", "12",
                 "--n-at-dose-of", "any", "1NNN 2NNB 3NEE 3NTN 4ETE 4NBE 4BNN 5BEN 5NBT 4NEN"]) == 0
    assert "selected: dose 4" in capsys.readouterr().out
    assert main(["next", "--design", "boin12", "--n-doses", "5", "--format", "json", "1NNN 2ENT 3ETT 2EEN"]) == 0
    assert json.loads(capsys.readouterr().out)["dose"] == 2
    assert main(["exact", "--design", "boin12", "--max-n", "9", "--truth", "0.1,0.2,0.3", "--target", "0.35",
                 "--eff", "0.2,0.4,0.6", "--format", "csv"]) == 0
    assert "pcs_obd" in capsys.readouterr().out
    assert main(["simulate", "--design", "boin12", "--truth", "0.1,0.2,0.3", "--target", "0.35",
                 "--n-trials", "200", "--no-progress"]) == 2
    assert "--eff: design 'BOIN12" in capsys.readouterr().err
    assert main(["next", "--design", "boin12", "--n-doses", "5", "--n-at-dose-of", "all", "--stop-n-at-dose", "9",
                 "1NNN"]) == 2
    assert "n_at_dose_of" in capsys.readouterr().err


def test_dose_paths_cover_every_outcome_with_probabilities():
    sc = de.Scenario([0.05, 0.1, 0.2], target=0.35, p_eff=[0.3, 0.5, 0.5], association="gumbel",
                     association_param=-1.0)
    nodes = de.dose_paths(de.BOIN12(max_n=12), cohorts=2, scenario=sc)
    assert len([n for n in nodes if n.depth == 1]) == 20
    assert sum(n.probability for n in nodes if n.depth == 2) == pytest.approx(1.0, abs=1e-12)
    for n in nodes[1:4]:
        assert n.dose == de.BOIN12(max_n=12).next_dose(n.outcomes, n_doses=3).dose


# ---------------------------------------------------------------- against R escalation's simulation
PEER = DATA / "peer_boin12_escalation.json"


def _peer_rows():
    if not PEER.exists():
        return []
    return json.loads(PEER.read_text())["results"]


@pytest.mark.slow
@pytest.mark.parametrize("row", _peer_rows(), ids=[r["id"] for r in _peer_rows()])
def test_operating_characteristics_match_escalation(row):
    """escalation 0.2.3's simulate_trials (benchmarks/r/boin12_peer_oc.R; R's n_sims trials,
    the SEs from its per-trial SDs and binomial SEs) vs 200,000 doseesc trials: every selection
    probability and mean patients / DLTs / responses per dose within 4 combined SEs."""
    s = row["setting"]
    kw = {} if s.get("rho") is None else dict(association="gaussian", association_param=s["rho"])
    sc = de.Scenario(s["tox"], target=s["phi_t"], p_eff=s["eff"], **kw)
    d = de.BOIN12(phi_t=s["phi_t"], phi_e=s["phi_e"], u2=s["u2"], u3=s["u3"], n_star=s["n_star"], c_t=s["c_t"],
                  c_e=s["c_e"], start_dose=s["start_dose"], cohort_size=3, max_n=s["max_n"])
    if s.get("stop_any") is not None:
        d = d.stop_when_n_at_dose(s["stop_any"], dose="any")
    oc = de.simulate(d, sc, n_trials=200_000, seed=17)
    m = row["n_sims"]
    ours = np.concatenate([[oc.no_selection], oc.selection])
    ours_se = np.concatenate([[oc.se("no_selection")], oc.se("selection")])
    theirs = np.asarray(row["prob_recommend"])
    theirs_se = np.sqrt(theirs * (1 - theirs) / m)
    z = np.abs(ours - theirs) / np.maximum(np.hypot(ours_se, theirs_se), 1e-12)
    assert np.all(z <= 4), ("selection", ours, theirs, z)
    for mine, key in (("n_patients", "n_at_dose"), ("n_dlt", "tox_at_dose"), ("n_eff", "eff_at_dose")):
        a = getattr(oc, mine)
        b = np.asarray(row[key])
        se = np.hypot(oc.se(mine), np.asarray(row[key + "_sd"]) / np.sqrt(m))
        z = np.abs(a - b) / np.maximum(se, 1e-12)
        assert np.all(z <= 4), (mine, a, b, z)


# ---------------------------------------------------------------- invariants
@pytest.mark.filterwarnings("ignore::doseesc.scenario.NonMonotoneWarning")  # any curve, rising or not
@given(p=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=5),
       model=st.sampled_from(["independent", "gaussian", "odds_ratio", "gumbel"]), cs=st.integers(1, 4),
       max_n=st.integers(4, 30), n_star=st.integers(1, 9), start=st.integers(1, 5), seed=st.integers(0, 2**31))
@settings(max_examples=40)
def test_invariants(p, model, cs, max_n, n_star, start, seed):
    tox = [a for a, _ in p]
    eff = [b for _, b in p]
    param = {"independent": None, "gaussian": 0.5, "odds_ratio": 3.0, "gumbel": -1.0}[model]
    sc = de.Scenario(tox, target=0.35, p_eff=eff, association=model, association_param=param)
    d = de.BOIN12(cohort_size=cs, max_n=max(max_n, cs), n_star=n_star, start_dose=min(start, len(p)))
    r = de.simulate(d, sc, n_trials=200, seed=seed).records
    assert np.all(r.n_eff <= r.n_patients) and np.all(r.n_dlt <= r.n_patients)
    assert np.all(r.n_patients.sum(axis=1) <= d.max_n)
    assert np.all((r.selected >= 0) & (r.selected <= len(p)))
    assert np.all((r.selected == 0) == (r.stop_reason >= 3))  # no selection exactly when stopped (safety, futility)
    # never more than one level above the highest dose tried so far: every treated dose has a
    # treated neighbour below it, or is the start dose
    treated = r.n_patients > 0
    s0 = d.start_dose - 1
    for row in treated:
        for j in np.flatnonzero(row):
            assert j <= s0 or row[j - 1]


def test_name_labels_the_design():
    """``name`` is the Design field (it was shadowed by a class attribute: BOIN12(name=...) was a
    TypeError and every spec table carried a 'Name: boin12' row)."""
    d = de.BOIN12(name="my BOIN12")
    assert d.label() == "my BOIN12" and ("Name", "my BOIN12") in d.spec_rows()
    assert de.BOIN12().label() == "BOIN12 (phi_t 0.35, phi_e 0.25)"
    assert not any(k == "Name" for k, _ in de.BOIN12().spec_rows())
    assert de.BOIN12(name="x").to_dict()["design"] == "boin12"
    with pytest.raises(ValueError, match="^name"):
        de.BOIN12(name=3)
