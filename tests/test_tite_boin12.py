"""TITE-BOIN12: the BOIN12 limit (the app's decisions, BOIN12's records trial by trial), live use
replaying the simulator (a plain-Python simulator driven by ``next_dose_tite``), threads,
validation, the time model's efficacy fields, CLI and run files.

The paper's worked example (Zhou et al. 2022, Stat Med 41:1918; PMC9199061, Table 2, as transcribed
by a re-implementation) is replayed decision by decision below. Its simulation tables could not be
read here (only its title page and summary were reachable), so no test reproduces them; see the
class docstring."""

import functools
import json
import math
import pathlib

import numpy as np
import pytest

import doseesc as de
from doseesc._kernels import rng as _rng
from doseesc._kernels import timing as _timing
from tests import naive

DATA = pathlib.Path(__file__).parent / "data"
REF = [json.loads(line) for line in (DATA / "boin12_decisions_visible.jsonl").open()]
DECISIONS = [r for r in REF if r["kind"] == "next_dose_decision" and "c_t" in r["setting"]]


def _design(st, cls=de.TITEBOIN12, **kw):
    d = cls(phi_t=st["phi_t"], phi_e=st["phi_e"], u2=st["u2"], u3=st["u3"], n_star=st.get("n_star", 6),
            c_t=st.get("c_t", 0.95), c_e=st.get("c_e", 0.9), cohort_size=3, max_n=st.get("stop_at_n", 36), **kw)
    if "stop_when_n_at_dose" in st:
        d = d.stop_when_n_at_dose(12, dose="any")
    return d


# ------------------------------------------------------------------ the BOIN12 limit
# ../shared/reference/boin12_decisions_visible.jsonl (in tests/data): the published BOIN12 trial's 11
# decisions (Lin et al. 2020, JCO Precis Oncol 4:1393) and 56 of the MD Anderson BOIN12 app's. With
# complete data TITE-BOIN12 is BOIN12, so it must make these decisions too.
@pytest.mark.parametrize("row", DECISIONS, ids=[r["id"] for r in DECISIONS])
def test_complete_data_makes_the_published_and_app_decisions(row):
    st = row["setting"]
    rec = _design(st).next_dose(st["outcomes"], n_doses=st["num_doses"])
    want = row["values"]
    assert rec.stop == (not want["continue"])
    assert (rec.selected if rec.stop else rec.dose) == want["next_dose"]


PATHS = json.loads((DATA / "peer_boin12_paths.json").read_text())


@pytest.mark.parametrize("gi", range(len(PATHS["groups"])))
def test_complete_data_decides_escalations_random_paths(gi):
    """R escalation's get_boin12 decisions on its random paths (tests/data/peer_boin12_paths.json)."""
    g = PATHS["groups"][gi]
    s = g["setting"]
    d = de.TITEBOIN12(phi_t=s["phi_t"], phi_e=s["phi_e"], u2=s["u2"], u3=s["u3"], n_star=s["n_star"], c_t=s["c_t"],
                      c_e=s["c_e"], max_n=s["max_n"], start_dose=s["start_dose"]) \
        .stop_when_n_at_dose(s["stop_any"], dose="any")
    for dec in g["decisions"][::4]:
        rec = d.next_dose(dec["outcomes"], n_doses=s["num_doses"])
        assert rec.stop == (not dec["continue"]), dec
        assert (rec.selected if rec.stop else rec.dose) == dec["recommended_dose"], dec


SC5 = [0.05, 0.1, 0.2, 0.4, 0.5], [0.2, 0.4, 0.5, 0.5, 0.3]


@pytest.mark.parametrize("accrual", ["fixed", "poisson"])
@pytest.mark.parametrize("kw", [dict(max_n=30), dict(max_n=24, u2=50, u3=30, phi_t=0.3, phi_e=0.4, c_t=0.9, c_e=0.8)])
def test_waiting_for_complete_data_is_boin12_trial_by_trial(accrual, kw):
    """wait_complete=True: the decisions of BOIN12 in the cohort loop on the same patients. The
    cohort loop ends a DLT patient's follow-up at the DLT (it has no efficacy window), so its
    durations are never longer, and equal in trials without a DLT."""
    tm = de.TimeModel(window=28, rate=3 / 28, accrual=accrual)
    sc = de.Scenario(SC5[0], target=0.35, p_eff=SC5[1], association="gaussian", association_param=0.3, time=tm)
    a = de.simulate(de.BOIN12(**kw), sc, n_trials=300, seed=3).records
    b = de.simulate(de.TITEBOIN12(wait_complete=True, **kw), sc, n_trials=300, seed=3).records
    for f in ("selected", "n_patients", "n_dlt", "n_eff", "stop_reason"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert np.all(b.duration >= a.duration - 1e-9) and np.any(b.duration > a.duration)
    sc0 = de.Scenario([0.0] * 5, target=0.35, p_eff=SC5[1], time=tm)  # no DLT: the same waits
    a = de.simulate(de.BOIN12(**kw), sc0, n_trials=100, seed=3).records
    b = de.simulate(de.TITEBOIN12(wait_complete=True, **kw), sc0, n_trials=100, seed=3).records
    assert np.array_equal(a.n_eff, b.n_eff) and np.allclose(a.duration, b.duration, rtol=1e-12)
    assert np.array_equal(a.turned_away, b.turned_away)


def test_slow_accrual_tite_is_boin12_trial_by_trial():
    """Arrivals further apart than both windows: every outcome is known at every decision, so
    TITE-BOIN12 (no waiting option) decides as BOIN12, nobody is turned away."""
    tm = de.TimeModel(window=28, rate=1 / 100, eff_window=90, eff_onset="late")
    sc = de.Scenario(SC5[0], target=0.35, p_eff=SC5[1], time=tm)
    a = de.simulate(de.BOIN12(max_n=30), sc, n_trials=300, seed=4).records
    b = de.simulate(de.TITEBOIN12(max_n=30), sc, n_trials=300, seed=4).records
    for f in ("selected", "n_patients", "n_dlt", "n_eff", "stop_reason"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert b.turned_away.sum() == 0


# ------------------------------------------------------------------ live use replays the simulator
def _naive_trial(d, sc, tm, seed, t):
    """A plain-Python TITE-BOIN12 trial (turned-away arrivals, no drop-out) on the simulator's
    random numbers, deciding through the live ``next_dose_tite`` at the first arrival of each
    cohort. Returns (selected or 0, n, y, e, duration, turned away)."""
    key = _rng.make_key(seed)
    arr = tm.pack()
    W, WE = tm.window, tm.efficacy_window
    pt, pet, pen = np.asarray(sc.p_tox), np.asarray(sc.p_eff_given_tox), np.asarray(sc.p_eff_given_no_tox)
    D = pt.size

    def gap(j):
        if j == 0 and tm.clock_from == "opening" or j > 0:
            if tm.accrual == "fixed":
                return 1.0 / tm.rate
            return -math.log(_rng.uniform(key, t, j, _rng.STREAM_ARRIVAL)) / tm.rate
        return 0.0

    pats = []  # (dose, enrol, dlt, onset, resp, resp time)
    j, arrival, now, since, turned = 0, gap(0), 0.0, 0, 0
    cur, stopped = d.start_dose, None

    def rows(at):
        out = []
        for dose, e, dlt, on, resp, ron in pats:
            tox_seen = dlt and e + on <= at
            eff_seen = resp and e + ron <= at
            # the kernel's comparisons: complete once at >= enrolment + window
            out.append(dict(dose=dose, dlt=int(tox_seen), follow_up=on if tox_seen else (W if at >= e + W else at - e),
                            eff=int(eff_seen), eff_follow_up=ron if eff_seen else (WE if at >= e + WE else at - e)))
        return out

    while len(pats) < d.max_n:
        tnow = max(arrival, now)
        if pats and since == 0:
            while True:
                rec = d.next_dose_tite(rows(tnow), W, eff_window=WE, n_doses=D, current_dose=cur)
                if rec.reason != "suspended":
                    break
                turned += 1
                j += 1
                arrival += gap(j)
                tnow = max(arrival, now)
            if rec.stop:
                stopped = rec.reason
                break
            cur = rec.dose
        i = len(pats)
        dlt = _rng.uniform(key, t, i, _rng.STREAM_TOLERANCE) < pt[cur - 1]
        on = _timing.onset(arr, key, t, i, pt[cur - 1]) if dlt else 0.0
        resp = _rng.uniform(key, t, i, _rng.STREAM_EFFICACY) < (pet if dlt else pen)[cur - 1]
        marg = pt[cur - 1] * pet[cur - 1] + (1 - pt[cur - 1]) * pen[cur - 1]
        ron = _timing.eff_onset(arr, np.uint64(_rng.trial_key(key, t)), i, marg) if resp else 0.0
        pats.append((cur, tnow, bool(dlt), on, bool(resp), ron))
        since = (since + 1) % d.cohort_size
        now = tnow
        j += 1
        arrival += gap(j)
    n = np.bincount([p[0] - 1 for p in pats], minlength=D)
    y = np.bincount([p[0] - 1 for p in pats], weights=[p[2] for p in pats], minlength=D).astype(int)
    e = np.bincount([p[0] - 1 for p in pats], weights=[p[4] for p in pats], minlength=D).astype(int)
    b = np.bincount([p[0] - 1 for p in pats], weights=[p[2] and p[4] for p in pats], minlength=D).astype(int)
    if stopped in ("safety", "futility"):
        return 0, n, y, e, tnow, turned
    end = pats[-1][1] + max(W, WE)
    last = None if stopped else d.next_dose_tite(rows(end), W, eff_window=WE, n_doses=D, current_dose=cur)
    if last is not None and last.reason in ("safety", "futility"):
        return 0, n, y, e, end, turned  # BOIN12's decision after the last cohort, on the complete data
    sel = d.select(n, y, e, b) or 0
    return sel, n, y, e, pats[-1][1] + max(W, WE), turned


@pytest.mark.parametrize("tm, kw", [
    (de.TimeModel(window=28, rate=3 / 28, eff_window=84, onset="late", eff_onset="late", eff_late_share=0.7),
     dict(max_n=24)),
    (de.TimeModel(window=30, accrual="poisson", rate=2 / 30, eff_window=60, eff_onset="weibull", eff_shape=2.0),
     dict(max_n=21, accrual_suspend=0.34, eff_suspend=0.67, u2=50, u3=30, phi_t=0.3, phi_e=0.4, c_t=0.9, c_e=0.8)),
])
def test_live_next_dose_tite_replays_the_simulator(tm, kw):
    d = de.TITEBOIN12(**kw)
    sc = de.Scenario(SC5[0], target=d.phi_t, p_eff=SC5[1], association="odds_ratio", association_param=3.0, time=tm)
    n_tr = 40
    r = de.simulate(d, sc, n_trials=n_tr, seed=9).records
    pending_decisions = 0
    for t in range(n_tr):
        sel, n, y, e, dur, turned = _naive_trial(d, sc, tm, 9, t)
        assert r.selected[t] == sel, t
        assert r.n_patients[t].tolist() == n.tolist(), t
        assert r.n_dlt[t].tolist() == y.tolist(), t
        assert r.n_eff[t].tolist() == e.tolist(), t
        assert r.turned_away[t] == turned, t
        assert math.isclose(r.duration[t], dur, rel_tol=1e-12), t
        pending_decisions += turned
    assert pending_decisions > 0  # suspensions happened, so pending data were decided on
    assert len(set(r.selected.tolist())) > 2


def test_pending_data_change_decisions():
    """A state where pending outcomes matter: 6 completed patients at dose 2 without response
    and 3 with efficacy pending; with the pending patients' short follow-up (ESS_E = 6.33) the
    quasi-posterior keeps dose 2 admissible (P(p_E < 0.25) = 1 - 0.75^7.33 = 0.879 < 0.9), with
    all nine complete and no response it is not (1 - 0.75^9 = 0.925)."""
    d = de.TITEBOIN12(max_n=30)
    base = [dict(dose=1, dlt=0, follow_up=28, eff=1, eff_follow_up=30)] * 3
    done = [dict(dose=2, dlt=0, follow_up=28, eff=0, eff_follow_up=90)] * 6
    part = [dict(dose=2, dlt=0, follow_up=28, eff=0, eff_follow_up=10)] * 3
    full = [dict(dose=2, dlt=0, follow_up=28, eff=0, eff_follow_up=90)] * 3
    r1 = d.next_dose_tite(base + done + part, window=28, eff_window=90, n_doses=4)
    r2 = d.next_dose_tite(base + done + full, window=28, eff_window=90, n_doses=4)
    assert bool(r1.acceptable[1]) and not bool(r2.acceptable[1])
    # p_eff: the quasi-posterior mean (1 + e) / (2 + ESS_E), 1 / 8.33 with the pending; 1 / 11 complete
    assert math.isclose(r1.p_eff[1], 1 / (2 + 6 + 3 * 10 / 90)) and math.isclose(r2.p_eff[1], 1 / 11)
    assert r1.utility[1] > r2.utility[1]
    assert r1.dose == r2.dose == 3  # BOIN12 exploration: more than 8 patients at dose 2, dose 3 untried


def test_quasi_beta_formulas_against_scipy():
    """The documented ESS formulas, computed independently with scipy: dose 2 has 4 patients, one
    DLT (complete), one response seen, one patient 10 of 28 days into the DLT window and two 30
    and 60 of 90 days into the efficacy window."""
    from scipy import stats

    d = de.TITEBOIN12(max_n=30)
    rows = [dict(dose=1, dlt=0, follow_up=28, eff=0, eff_follow_up=90)] * 3 + [
        dict(dose=2, dlt=1, follow_up=12, eff=1, eff_follow_up=40),
        dict(dose=2, dlt=0, follow_up=28, eff=0, eff_follow_up=90),
        dict(dose=2, dlt=0, follow_up=28, eff=0, eff_follow_up=60),
        dict(dose=2, dlt=0, follow_up=10, eff=0, eff_follow_up=30)]
    rec = d.next_dose_tite(rows, window=28, eff_window=90, n_doses=3)
    ess_t, ess_e = 3 + 10 / 28, 2 + 60 / 90 + 30 / 90
    pt, pe = 1 / ess_t, 1 / ess_e  # the ESS estimates the imputation and the decision use
    # reported: the quasi-posteriors' means (with nothing pending, BOIN12's posterior means)
    assert rec.p_tox[1] == pytest.approx(2 / (2 + ess_t), rel=1e-12)
    assert rec.p_eff[1] == pytest.approx(2 / (2 + ess_e), rel=1e-12)

    def imputed(p, w):  # E[event | none yet, fraction w of the window followed]
        return p * (1 - w) / (1 - p * w)

    def u(t, r):
        return (100 * (1 - t) * r + 40 * (1 - t) * (1 - r) + 60 * t * r) / 100

    # patient 1: B; patient 2: N; patient 3: no DLT, response pending at 60/90; patient 4: both pending
    x = u(1, 1) + u(0, 0) + u(0, imputed(pe, 60 / 90)) + u(imputed(pt, 10 / 28), imputed(pe, 30 / 90))
    ub = 0.705  # BOIN12's benchmark for phi 0.35 / 0.25, u (100, 40, 60, 0)
    assert rec.utility[1] == pytest.approx(100 * stats.beta.sf(ub, 1 + x, 1 + 4 - x), rel=1e-9)
    tox_ok = stats.beta.sf(0.35, 2, 1 + ess_t - 1) < 0.95
    eff_ok = stats.beta.cdf(0.25, 2, 1 + ess_e - 1) < 0.9
    assert bool(rec.acceptable[1]) == (tox_ok and eff_ok)
    # the probabilities behind admissibility, reported as BOIN12's next_dose reports them
    assert rec.prob_acc_tox[1] == pytest.approx(stats.beta.cdf(0.35, 2, 1 + ess_t - 1), rel=1e-9)
    assert rec.prob_acc_eff[1] == pytest.approx(stats.beta.sf(0.25, 2, 1 + ess_e - 1), rel=1e-9)
    assert rec.prob_acc_tox[2] == pytest.approx(0.35) and rec.prob_acc_eff[2] == pytest.approx(0.75)  # untried
    # dose 1 has nothing pending: BOIN12's own score (the desirability of 3 patients with neither outcome)
    assert rec.utility[0] == pytest.approx(100 * stats.beta.sf(ub, 1 + 1.2, 1 + 3 - 1.2), rel=1e-9)
    # ... and BOIN12's probabilities (complete data: the same as BOIN12.next_dose)
    b12 = de.BOIN12(max_n=30).next_dose("1NNN", n_doses=3)
    assert rec.prob_acc_tox[0] == pytest.approx(b12.prob_acc_tox[0], rel=1e-9)
    assert rec.prob_acc_eff[0] == pytest.approx(b12.prob_acc_eff[0], rel=1e-9)
    assert "P(tox ok)" in str(rec)


# The TITE arm of Table 2 of Zhou et al. (2022, Stat Med 41:1918; PMC9199061), the paper's worked
# example of the approximated-likelihood version (phi_T 0.35, phi_E 0.25, utilities (100, 40, 60, 0),
# DLT window 45 days, efficacy window 60, cohorts of 3), as transcribed in dx-li/mdanderson-stats
# (tests/fixtures/tite-boin12-paper-calendar.csv): patient, dose, enrolment day, DLT, response, days
# from enrolment to the DLT and to the response (None: no event).
PAPER_TABLE2 = [
    (1, 1, 1, None, None), (2, 1, 11, None, None), (3, 1, 21, None, None),
    (4, 2, 72, None, 40), (5, 2, 82, 30, None), (6, 2, 92, None, None),
    (7, 3, 143, None, 40), (8, 3, 153, 25, None), (9, 3, 163, None, None),
    (10, 4, 214, None, None), (11, 4, 224, 40, None), (12, 4, 234, 35, None),
    (13, 3, 285, 25, 30), (14, 3, 295, None, 55), (15, 3, 305, None, None),
    (16, 3, 316, None, 50), (17, 3, 326, None, 50), (18, 3, 336, 30, None)]


def _paper_data(day, WT=45, WE=60):
    """What is known on ``day`` (an event on the day counts) of the patients enrolled by then."""
    out = []
    for _, dose, enrol, t_dlt, t_eff in PAPER_TABLE2:
        if enrol > day:
            continue
        f = day - enrol
        dlt = t_dlt is not None and t_dlt <= f
        eff = t_eff is not None and t_eff <= f
        out.append(dict(dose=dose, dlt=int(dlt), follow_up=t_dlt if dlt else min(f, WT), eff=int(eff),
                        eff_follow_up=t_eff if eff else min(f, WE)))
    return out


@pytest.mark.parametrize("day,dose", [(71, 2), (142, 3), (213, 4), (284, 3)])
def test_paper_example_decisions_and_their_days(day, dose):
    """The paper's example enrols each new cohort the day after a decision. Its first four decisions
    (doses 2, 3, 4, 3) are reproduced, on the days the example takes them: one day earlier, 2 of the
    current dose's 3 patients still have their efficacy outcome pending, which suspends accrual (the
    efficacy half of the suspension rule, eff_suspend = 0.5; their toxicity outcomes are all known by
    then)."""
    d = de.TITEBOIN12(phi_t=0.35, phi_e=0.25, cohort_size=3, max_n=18)
    rec = d.next_dose_tite(_paper_data(day), window=45, eff_window=60, n_doses=4)
    assert (rec.reason, rec.dose) == ("running", dose)
    before = d.next_dose_tite(_paper_data(day - 1), window=45, eff_window=60, n_doses=4)
    assert before.reason == "suspended" and before.dose is None
    tox_only = de.TITEBOIN12(phi_t=0.35, phi_e=0.25, cohort_size=3, max_n=18, eff_suspend=1)
    assert tox_only.next_dose_tite(_paper_data(day - 1), window=45, eff_window=60, n_doses=4).reason == "running"


def test_paper_example_day_315_where_the_rule_and_the_example_differ():
    """Day 315: dose 3 has 6 patients, 2 DLTs seen, 2 toxicity outcomes pending at 20 and 10 of 45
    days, so ESS_T = 4 + 30/45 and p_T = 3/7 = 0.4286 >= lambda_d = 0.419: the rule de-escalates to
    dose 2, while the paper's example stays at dose 3 (as the re-implementation cited above also
    finds; its documented tail probabilities of the utility, 0.1558 at dose 2 and 0.1172 at dose 3,
    are the scores here, so even without the de-escalation dose 2 would win the "d - 1 or d" branch)."""
    d = de.TITEBOIN12(phi_t=0.35, phi_e=0.25, cohort_size=3, max_n=18)
    rec = d.next_dose_tite(_paper_data(315), window=45, eff_window=60, n_doses=4)
    assert rec.p_tox[2] == pytest.approx((1 + 2) / (2 + 4 + 30 / 45), rel=1e-12)  # reported: the quasi-posterior mean
    assert rec.utility[1] == pytest.approx(15.58, abs=0.005) and rec.utility[2] == pytest.approx(11.72, abs=0.005)
    assert rec.dose == 2
    end = d.next_dose_tite(_paper_data(396), window=45, eff_window=60, n_doses=4)  # all 18 complete
    assert end.stop and end.reason == "max_n" and end.selected == 3


def test_suspension_rules():
    d = de.TITEBOIN12(max_n=30)
    rows = [dict(dose=1, dlt=0, follow_up=f, eff=0, eff_follow_up=f) for f in (28, 10, 5)]
    assert d.next_dose_tite(rows, window=28, eff_window=84, n_doses=3).reason == "suspended"  # 2 of 3 pending tox
    rows = [dict(dose=1, dlt=0, follow_up=28, eff=0, eff_follow_up=f) for f in (40, 10, 5)]
    assert d.next_dose_tite(rows, window=28, eff_window=84, n_doses=3).reason == "suspended"  # 2 of 3 pending eff
    d2 = de.TITEBOIN12(max_n=30, eff_suspend=1)
    assert d2.next_dose_tite(rows, window=28, eff_window=84, n_doses=3).reason == "running"  # efficacy: never
    d3 = de.TITEBOIN12(max_n=30, wait_complete=True)
    rows = [dict(dose=1, dlt=0, follow_up=28, eff=0, eff_follow_up=84)] * 2 + \
        [dict(dose=1, dlt=0, follow_up=28, eff=0, eff_follow_up=83)]
    assert d3.next_dose_tite(rows, window=28, eff_window=84, n_doses=3).reason == "suspended"


def test_queue_waiting_and_durations():
    tm = de.TimeModel(window=28, rate=6 / 28, eff_window=84, waiting="queue")
    sc = de.Scenario(SC5[0], target=0.35, p_eff=SC5[1], time=tm)
    r = de.simulate(de.TITEBOIN12(max_n=24), sc, n_trials=200, seed=2).records
    w = de.simulate(de.TITEBOIN12(max_n=24, wait_complete=True), sc, n_trials=200, seed=2).records
    assert r.turned_away.sum() == 0 and r.waited.sum() > 0
    assert r.duration.mean() < w.duration.mean()
    assert np.all(r.n_patients.sum(axis=1)[r.stop_reason == 1] == 24)


# ------------------------------------------------------------------ reproducibility, records
def test_reproducible_across_threads():
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    tm = de.TimeModel(window=28, accrual="poisson", rate=3 / 28, eff_window=84, eff_onset="late")
    sc = de.Scenario(SC5[0], target=0.35, p_eff=SC5[1], time=tm)
    d = de.TITEBOIN12(max_n=24)
    a = de.simulate(d, sc, n_trials=400, seed=5, threads=1).records
    b = de.simulate(d, sc, n_trials=400, seed=5, threads=2).records
    assert naive.records_hash(a) == naive.records_hash(b)
    for f in ("selected", "n_patients", "n_dlt", "n_eff", "duration", "turned_away"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert np.all(a.n_eff <= a.n_patients) and np.all(a.n_patients.sum(axis=1) <= 24)


def test_efficacy_fields_leave_other_designs_unchanged():
    """The efficacy window is read by TITE-BOIN12 and, for its waits alone, by the phase I/II
    designs that decide on complete data (BOIN12 waits for it after each cohort,
    tests/test_wait_complete.py): a toxicity-only design's records do not move, nor BOIN12's
    decisions."""
    base = de.TimeModel(window=28, rate=3 / 28)
    other = de.TimeModel(window=28, rate=3 / 28, eff_window=300, eff_onset="weibull", eff_shape=3.0)
    for d in (de.TITEBOIN(target=0.3, max_n=18, cohort_size=3), de.BOIN12(max_n=18)):
        a = de.simulate(d, de.Scenario(SC5[0], target=0.35, p_eff=SC5[1], time=base), n_trials=100, seed=1).records
        b = de.simulate(d, de.Scenario(SC5[0], target=0.35, p_eff=SC5[1], time=other), n_trials=100, seed=1).records
        if d.uses_efficacy:
            for f in ("selected", "n_patients", "n_dlt", "n_eff", "stop_reason"):
                assert np.array_equal(getattr(a, f), getattr(b, f)), f
            assert np.all(b.duration >= 300 * np.ceil(b.n_patients.sum(axis=1) / 3)) and np.all(b.duration > a.duration)
        else:
            assert naive.records_hash(a) == naive.records_hash(b)


def test_time_model_efficacy_fields():
    tm = de.TimeModel(window=28)
    assert tm.efficacy_window == 28 and "eff_window" not in tm.to_dict() and tm.pack()[11] == 28
    tm = de.TimeModel(window=28, eff_window=365, eff_onset="late", eff_late_share=0.7)
    assert tm.to_dict()["eff_window"] == 365 and tm.to_dict()["eff_onset"] == "late"
    assert tm.pack()[11:].tolist() == [365, 2, 1.0, 0.7, 0.5]


@pytest.mark.parametrize("kw, field", [
    (dict(eff_window=-1), "eff_window"), (dict(eff_window=1e12), "eff_window"), (dict(eff_onset="early"), "eff_onset"),
    (dict(eff_shape=100), "eff_shape"), (dict(eff_late_share=1.0), "eff_late_share"),
    (dict(eff_late_part=0), "eff_late_part")])
def test_time_model_bad_efficacy_input(kw, field):
    with pytest.raises(ValueError, match=f"^{field}") as e:
        de.TimeModel(window=28, **kw)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("kw, field", [
    (dict(accrual_suspend=1.5), "accrual_suspend"), (dict(eff_suspend=-0.1), "eff_suspend"),
    (dict(wait_complete="yes"), "wait_complete"), (dict(max_n=10 ** 6), "max_n"), (dict(phi_t=0.9), "phi_t"),
    (dict(u2=120), "u2"), (dict(c_e=1.0), "c_e")])
def test_bad_design_input(kw, field):
    with pytest.raises(ValueError, match=f"^{field}") as e:
        de.TITEBOIN12(**kw)
    assert "\n" not in str(e.value)


def test_bad_simulation_and_live_input():
    d = de.TITEBOIN12(max_n=12)
    with pytest.raises(ValueError, match="^time"):
        de.simulate(d, de.Scenario(SC5[0], target=0.35, p_eff=SC5[1]), n_trials=10)
    with pytest.raises(ValueError, match="^scenario"):
        de.simulate(d, de.Scenario(SC5[0], target=0.35, time=de.TimeModel(window=28)), n_trials=10)
    with pytest.raises(ValueError, match="^dropout"):
        de.simulate(d, de.Scenario(SC5[0], target=0.35, p_eff=SC5[1],
                                   time=de.TimeModel(window=28, dropout=0.01)), n_trials=10)
    with pytest.raises(ValueError, match="^data: missing column 'eff'"):
        d.next_dose_tite({"dose": [1], "dlt": [0], "follow_up": [3]}, window=28)
    with pytest.raises(ValueError, match="^data: patient 1 eff_follow_up"):
        d.next_dose_tite([dict(dose=1, dlt=0, follow_up=3, eff=1, eff_follow_up=100)], window=28, eff_window=84,
                         n_doses=3)
    with pytest.raises(ValueError, match="^eff_window"):
        d.next_dose_tite([], window=28, eff_window=0, n_doses=3)


def test_registry_cli_and_run_file(tmp_path, capsys):
    from doseesc.cli import main
    from doseesc.designs import REGISTRY

    assert REGISTRY["tite-boin12"] is de.TITEBOIN12 and "TITEBOIN12" in de.__all__
    args = ["simulate", "--design", "tite-boin12", "--truth", "0.05,0.1,0.2,0.4", "--target", "0.35",
            "--eff", "0.2,0.4,0.5,0.5", "--window", "28", "--rate", "0.1", "--eff-window", "84", "--eff-onset",
            "late", "--max-n", "12", "--n-trials", "50", "--seed", "1", "--format", "json", "--no-progress"]
    assert main(args) == 0
    got = json.loads(capsys.readouterr().out)
    assert "eff_window" in json.dumps(got)
    assert main(["next", "--design", "tite-boin12", "--n-doses", "5", "--format", "json", "1NNN 2ENT 3ETT 2EEN"]) == 0
    assert json.loads(capsys.readouterr().out)["dose"] == 2
    data = tmp_path / "pts.csv"
    data.write_text("dose,dlt,follow_up,eff,eff_follow_up\n1,0,28,1,40\n1,0,28,0,90\n1,0,28,0,90\n"
                    "2,0,28,0,50\n2,0,28,0,50\n2,0,20,0,20\n")
    assert main(["next", "--design", "tite-boin12", "--n-doses", "4", "--data", str(data), "--window", "28",
                 "--eff-window", "90", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    rows = [dict(dose=1, dlt=0, follow_up=28, eff=1, eff_follow_up=40)] + \
        [dict(dose=1, dlt=0, follow_up=28, eff=0, eff_follow_up=90)] * 2 + \
        [dict(dose=2, dlt=0, follow_up=28, eff=0, eff_follow_up=50)] * 2 + \
        [dict(dose=2, dlt=0, follow_up=20, eff=0, eff_follow_up=20)]
    assert got["dose"] == de.TITEBOIN12().next_dose_tite(rows, window=28, eff_window=90, n_doses=4).dose
    run = tmp_path / "run.toml"
    text = """
n_trials = 40
[random]
seed = 2
[[designs]]
design = "tite-boin12"
max_n = 12
eff_suspend = 0.5
[[scenarios]]
p_tox = [0.05, 0.1, 0.3]
target = 0.35
p_eff = [0.2, 0.4, 0.5]
[scenarios.time]
window = 28
rate = 0.1
eff_window = 90
eff_onset = "weibull"
eff_shape = 2.0
[output]
dir = "%s"
plots = false
""" % (tmp_path / "out")
    run.write_text(text)
    assert main(["run", str(run), "--format", "json"]) == 0
    out = (tmp_path / "out" / "results.json").read_text()
    assert '"eff_window": 90' in out and '"eff_suspend": 0.5' in out
    run.write_text(text.replace('eff_onset = "weibull"', 'eff_onset = "soon"'))
    assert main(["run", str(run), "--format", "json"]) == 2
    assert "eff_onset" in capsys.readouterr().err


# ------------------------------------------------------------------ live use on complete data is BOIN12's
def _complete_rows(outcomes, W=28.0, WE=56.0):
    """Patient rows with every outcome known (events at mid-window, windows complete otherwise)."""
    from doseesc import outcomes as _outcomes

    rows = []
    for c in _outcomes.parse(outcomes):
        for t, r in zip(c.tox, c.eff or (False,) * c.size):
            rows.append(dict(dose=c.dose, dlt=int(t), follow_up=W / 2 if t else W, eff=int(r),
                             eff_follow_up=WE / 3 if r else WE))
    return rows


def _assert_same_recommendation(tite, b12, same_warnings=True):
    """(``same_warnings`` False: patient rows, which do not say where their cohorts were given, carry
    no warnings about cohorts off the design.)"""
    for f in ("dose", "cohort_size", "stop", "reason", "selected") + (("warnings",) if same_warnings else ()):
        assert getattr(tite, f) == getattr(b12, f), f
    for f in ("n_patients", "n_dlt", "n_eff", "p_tox", "p_eff", "prob_acc_tox", "prob_acc_eff", "utility",
              "acceptable"):
        assert np.array_equal(getattr(tite, f), getattr(b12, f)), f
    # the printed lines: the same decision line and per-dose table (the notes may differ: live use
    # says where the cohorts are); the same headers, BOIN12's score included
    t_lines = [x.split() for x in str(tite).splitlines() if not x.startswith(("note:", "warning:"))]
    b_lines = [x.split() for x in str(b12).splitlines() if not x.startswith(("note:", "warning:"))]
    assert t_lines == b_lines


_PATH_CASES = [(g["setting"], dec["outcomes"]) for g in PATHS["groups"] for dec in g["decisions"][::48]]
_CASES = [({"phi_t": r["setting"]["phi_t"], "phi_e": r["setting"]["phi_e"], "u2": r["setting"]["u2"],
            "u3": r["setting"]["u3"], "n_star": r["setting"].get("n_star", 6), "c_t": r["setting"]["c_t"],
            "c_e": r["setting"]["c_e"], "max_n": r["setting"].get("stop_at_n", 36), "num_doses":
            r["setting"]["num_doses"], "stop_any": 12 if "stop_when_n_at_dose" in r["setting"] else None},
           r["setting"]["outcomes"]) for r in DECISIONS] + \
    [({**s, "stop_any": s["stop_any"]}, o) for s, o in _PATH_CASES] + \
    [({"phi_t": 0.35, "phi_e": 0.25, "u2": 40, "u3": 60, "max_n": m, "num_doses": 3, "stop_any": None}, o)
     for m, o in ((36, ""), (36, "1ENN"), (36, "1ENN 2EBT"), (36, "1TTT"), (36, "1TTB 1TTN"), (10, "1NNN 2NEN 3EEN"),
                  (10, "1NNN 2NEN 3EEN 3N"), (9, "1NNN 2NEN 3EEN"), (12, "1EEE 2EEE 3TTT 3TTN"))]


def _pair(s):
    keys = ("phi_t", "phi_e", "u2", "u3", "max_n", "n_star", "c_t", "c_e", "start_dose", "stop_any")
    return _pair_of(tuple((k, s[k]) for k in keys if k in s))


@functools.cache
def _pair_of(items):  # the designs once per setting: their tables are built at the first use
    s = dict(items)
    kw = {k: v for k, v in s.items() if k != "stop_any"}
    tite, b12 = de.TITEBOIN12(**kw), de.BOIN12(**kw)
    if s.get("stop_any"):
        tite, b12 = tite.stop_when_n_at_dose(s["stop_any"], dose="any"), b12.stop_when_n_at_dose(s["stop_any"],
                                                                                                  dose="any")
    return tite, b12


@pytest.mark.parametrize("s, outcomes", _CASES, ids=[f"{i}:{o or 'empty'}" for i, (_, o) in enumerate(_CASES)])
def test_live_on_complete_data_is_boin12s_recommendation(s, outcomes):
    """With every outcome known, ``next_dose_tite`` on the patients of whole cohorts gives BOIN12's
    ``next_dose`` on the same outcomes: dose, cohort size, stop, reason, selection, every per-dose
    estimate (posterior means, not observed rates; untried doses included) and the printed table.
    (The audit's case: '1ENN 2EBT' gave 'dose 1 (1 patient)' with observed rates and '-' untried.)"""
    tite, b12 = _pair(s)
    rows = _complete_rows(outcomes)
    if len(rows) % 3 and len(rows) < s["max_n"]:
        pytest.skip("a partial cohort: BOIN12's next_dose decides after it, TITE-BOIN12 completes it")
    D = s["num_doses"]
    _assert_same_recommendation(tite.next_dose_tite(rows, window=28, eff_window=56, n_doses=D),
                                b12.next_dose(outcomes, n_doses=D), same_warnings=False)
    _assert_same_recommendation(tite.next_dose(outcomes, n_doses=D), b12.next_dose(outcomes, n_doses=D))


@pytest.mark.parametrize("outcomes", ["1NNN 2NN", "1NNNN 2ENE", "1NNN 3ENE", "1TTT 1TTB 2NNN"])
def test_outcome_strings_off_the_design_warn_as_boin12(outcomes):
    """``next_dose`` on outcome strings: cohorts of another size or dose than recommended, and
    cohorts after a stop, give BOIN12's warnings and recommendation."""
    s = {"phi_t": 0.35, "phi_e": 0.25, "u2": 40, "u3": 60, "max_n": 36}
    tite, b12 = _pair(s)
    t, b = tite.next_dose(outcomes, n_doses=3), b12.next_dose(outcomes, n_doses=3)
    assert t.warnings
    _assert_same_recommendation(t, b)


def test_audit_case_from_the_command_line(tmp_path, capsys):
    """``next --data`` with every outcome complete prints BOIN12's table, with the score labelled."""
    from doseesc.cli import main

    data = tmp_path / "pts.csv"
    data.write_text("dose,dlt,follow_up,eff,eff_follow_up\n1,0,28,1,20\n1,0,28,0,28\n1,0,28,0,28\n"
                    "2,0,28,1,28\n2,1,5,1,5\n2,1,28,0,28\n")
    assert main(["next", "--design", "tite-boin12", "--n-doses", "3", "--data", str(data), "--window", "28",
                 "--eff-window", "28"]) == 0
    out = capsys.readouterr().out
    assert "next: dose 1 (3 patients)" in out
    assert "   1  3    0    1  0.200  0.400      0.821      0.738  26.91         yes" in out
    assert "   3  0    0    0  0.500  0.500      0.350      0.750  29.50         yes" in out
    head = next(x for x in out.splitlines() if x.startswith("dose"))
    assert head.split() == ["dose", "n", "DLT", "eff", "p_tox", "p_eff", "P(tox", "ok)", "P(eff", "ok)", "score",
                            "acceptable"]
    assert main(["next", "--design", "tite-boin12", "--n-doses", "3", "--data", str(data), "--window", "28",
                 "--eff-window", "28", "--format", "json"]) == 0
    js = json.loads(capsys.readouterr().out)  # the JSON names are unchanged: the score is still 'utility'
    assert js["cohort_size"] == 3 and js["p_tox"] == pytest.approx([0.2, 0.6, 0.5])
    assert len(js["utility"]) == 3 and "score" not in js and "column_heads" not in js


# ------------------------------------------------------------------ cohorts in live use
def _rows(doses, W=28, WE=56):
    return [dict(dose=d, dlt=0, follow_up=W, eff=0, eff_follow_up=WE) for d in doses]


def test_live_cohort_size_follows_the_simulators_cohorts():
    """The simulator decides at each cohort's first arrival and gives the cohort's other patients
    that dose with no new decision; live use says the same: a decision gives a whole cohort (fewer
    at max_n), a cohort under way gets its remaining patients at the current dose."""
    d = de.TITEBOIN12(cohort_size=3, max_n=10)
    first = d.next_dose_tite([], window=28, eff_window=56, n_doses=3)
    assert (first.dose, first.cohort_size) == (1, 3)
    for k, want in ((1, 2), (2, 1)):  # cohort 1 under way
        rec = d.next_dose_tite(_rows([1] * k), window=28, eff_window=56, n_doses=3)
        assert (rec.dose, rec.cohort_size, rec.stop, rec.reason) == (1, want, False, "running")
        assert any("cohort 1 (patients 1-3; cohorts of 3) is under way at dose 1" in x for x in rec.notes)
    rec = d.next_dose_tite(_rows([1] * 3), window=28, eff_window=56, n_doses=3)  # a decision
    assert rec.cohort_size == 3 and any("first arrival of cohort 2 (patients 4-6" in x for x in rec.notes)
    assert rec.dose == de.BOIN12(cohort_size=3, max_n=10).next_dose("1NNN", n_doses=3).dose
    rec = d.next_dose_tite(_rows([1] * 3 + [2] * 3 + [3] * 3), window=28, eff_window=56, n_doses=3)
    assert rec.cohort_size == 1 and any("the last cohort (patient 10" in x for x in rec.notes)  # max_n 10
    rec = d.next_dose_tite(_rows([1] * 3 + [2] * 3 + [3] * 3 + [rec.dose]), window=28, eff_window=56, n_doses=3)
    assert rec.stop and rec.reason == "max_n" and rec.cohort_size == 0
    # under way, the cohort's dose is kept even where a decision now would move or suspend
    rows = _rows([1] * 3) + [dict(dose=2, dlt=1, follow_up=3, eff=0, eff_follow_up=3),
                             dict(dose=2, dlt=0, follow_up=2, eff=0, eff_follow_up=2)]
    rec = d.next_dose_tite(rows, window=28, eff_window=56, n_doses=3)
    assert (rec.dose, rec.cohort_size, rec.reason) == (2, 1, "running")
    assert any("were it taken now, the design would suspend accrual" in x for x in rec.notes)
    assert "next: dose 2 (1 patient)" in str(rec)
    # outcome strings: each cohort given is a decision point (as BOIN12's next_dose), whatever its size
    assert d.next_dose("1NNN 2NN", n_doses=3).cohort_size == de.BOIN12(max_n=10).next_dose("1NNN 2NN", n_doses=3) \
        .cohort_size == 3


def test_cohort_size_under_a_modifier():
    d = de.TITEBOIN12(cohort_size=2, max_n=12).stop_when_n_at_dose(6, dose="any")
    rec = d.next_dose_tite(_rows([1] * 3), window=28, n_doses=3)
    assert (rec.dose, rec.cohort_size) == (1, 1)
    rec = d.next_dose_tite(_rows([1] * 4), window=28, n_doses=3)
    assert rec.cohort_size == 2 and not rec.stop


# ------------------------------------------------------------------ headers
def test_headers_say_what_the_columns_are():
    """BOIN12's family ranks by a desirability score, printed as 'score' (EffTox's utility stays
    'utility'); with outcomes pending, the estimates are from the quasi-beta posteriors, so their
    headers are starred and a note says where and how."""
    rows = _rows([1] * 3) + [dict(dose=2, dlt=0, follow_up=28, eff=1, eff_follow_up=20),
                             dict(dose=2, dlt=0, follow_up=28, eff=0, eff_follow_up=30),
                             dict(dose=2, dlt=0, follow_up=14, eff=0, eff_follow_up=14)]
    d = de.TITEBOIN12(max_n=30)
    rec = d.next_dose_tite(rows, window=28, eff_window=56, n_doses=3)
    head = next(x for x in str(rec).splitlines() if x.startswith("dose"))
    assert head.split() == ["dose", "n", "DLT", "eff", "p_tox*", "p_eff*", "P(tox", "ok)*", "P(eff", "ok)*", "score*",
                            "acceptable"]
    note = next(x for x in rec.notes if x.startswith("*:"))
    assert "dose 2: 1 toxicity and 2 efficacy outcomes pending, ESS_T 2.50, ESS_E 1.79" in note
    assert "dose 1" not in note.split("(", 1)[1].split(")")[0]
    # nothing pending: the headers without stars, as BOIN12's
    rec = d.next_dose_tite(_rows([1] * 3), window=28, eff_window=56, n_doses=3)
    assert "*" not in str(rec) and " score " in str(rec) and " utility " not in str(rec)
    eff = de.EffTox().next_dose("1NNN 2ENN")
    assert " utility " in str(eff) and " score " not in str(eff)
    assert "column_heads" not in rec.to_dict() and "utility" in rec.to_dict()


def test_boin12_prints_its_desirability_score_as_score():
    text = str(de.BOIN12().next_dose("1ENN 2EBT", n_doses=3))
    assert " score " in text and " utility " not in text


@pytest.mark.parametrize("c_t, c_e, rows, want", [
    # every dose fails the efficacy criterion (c_e 0.5: no response in >= 2 patients), all pass toxicity
    (0.95, 0.5, [(1, 0, 28, 90)] * 3 + [(3, 0, 28, 90)] * 3 + [(2, 0, 28, 90)] * 2 + [(2, 0, 10, 30)], "futility"),
    # c_t 0.15: doses 1 and 3 (2 DLTs in 3) and dose 2 (0 DLTs, ESS 2 + 20/28, one pending) fail toxicity
    (0.15, 0.9, [(1, 0, 28, 90), (1, 1, 10, 90), (1, 1, 10, 90), (3, 0, 28, 90), (3, 1, 10, 90), (3, 1, 10, 90),
                 (2, 0, 28, 90), (2, 0, 28, 90), (2, 0, 20, 30)], "safety"),
])
def test_no_admissible_dose_stop_is_for_safety_or_futility(c_t, c_e, rows, want):
    """A stop with no admissible dose among d - 1, d, d + 1 is for safety when none of them passes
    the toxicity criterion, P(p_T > phi_t) < c_t on the quasi-beta posterior (pending data counted
    by their follow-up), for futility otherwise; the criterion computed here with scipy."""
    import warnings

    from scipy import stats

    d = de.TITEBOIN12(max_n=30, c_t=c_t, c_e=c_e)
    data = [dict(dose=k, dlt=t, follow_up=fu, eff=0, eff_follow_up=efu) for k, t, fu, efu in rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cohorts given at doses the design would not have chosen
        rec = d.next_dose_tite(data, window=28, eff_window=90, n_doses=3, current_dose=2)
    assert rec.stop and rec.reason == want and rec.selected is None
    tox_ok = []
    for k in (1, 2, 3):
        at = [r for r in rows if r[0] == k]
        y = sum(r[1] for r in at)
        ess = sum(1.0 if r[1] or r[2] >= 28 else r[2] / 28 for r in at)
        tox_ok.append(stats.beta.sf(0.35, 1 + y, 1 + ess - y) < c_t)
        assert rec.prob_acc_tox[k - 1] == pytest.approx(stats.beta.cdf(0.35, 1 + y, 1 + ess - y), rel=1e-9)
    assert want == ("futility" if any(tox_ok) else "safety")
