"""Tests of doseesc.evidence: the seed data, the priors built from it, and prior-predictive scenarios."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import json
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from doseesc import evidence as ev
from doseesc.evidence import _map
from doseesc.scenario import ScenarioSet

SEED_FILES = {"000_4856c25f1b7ebf3f.txt", "001_7ad02130e3716cb1.txt", "002_0047bde2abb62184.txt",
              "003_ee751c0ebc9f0369.txt", "004_90bc8f7828ce1263.txt"}
HYP = settings(deadline=None, max_examples=40)


@pytest.fixture(scope="module")
def map_dlt():
    return ev.map_prior("dlt")


@pytest.fixture(scope="module")
def dr_prior():
    return ev.dose_response_prior([1, 2, 4])


def by_id():
    return {r.id: r for r in ev.load()}


# ----------------------------------------------------------------------------------------------
# The data file
# ----------------------------------------------------------------------------------------------

def test_data_file_is_package_data_and_records_cite_seed_files():
    raw = json.loads(resources.files("doseesc.evidence").joinpath("msc_lupus.json").read_text())
    assert len(raw["records"]) == len(ev.load()) == 6
    for r in ev.load():
        assert r.sources and set(r.sources) <= SEED_FILES
        assert r.id == f"{r.trial}@{r.dose:g}"
        assert r.dose_unit == "1e6 cells/kg"


def test_pooled_dlt_is_zero_in_thirty_patients_from_dose_1_to_4():
    recs = ev.load()
    assert sum(r.n for r in recs) == 30
    assert sum(r.dlt for r in recs) == 0
    assert min(r.dose for r in recs) == 1.0 and max(r.dose for r in recs) == 4.0
    per_trial = {t: sum(r.n for r in ev.records(t)) for t in ev.TRIALS}
    assert per_trial == {"A": 7, "B": 8, "C": 9, "D": 6}


def test_trial_splits_and_their_basis():
    r = by_id()
    # Trial A: 4 at 2.0 and 3 at 3.0 are derived (the source gives only 7 in total), and say why.
    assert (r["A@2"].n, r["A@3"].n) == (4, 3)
    assert r["A@2"].basis("n") == r["A@3"].basis("n") == "derived"
    assert "3+3" in r["A@2"].why("n") and "technical" in r["A@2"].why("n")
    assert r["A@2"].basis("dlt") == "stated"
    # Trial B: 5 at 2 and 3 at 4 are stated; planned levels 1, 2, 4.
    assert (r["B@2"].n, r["B@4"].n) == (5, 3)
    assert r["B@2"].basis("n") == r["B@4"].basis("n") == "stated"
    assert r["B@2"].planned_doses == (1.0, 2.0, 4.0)
    assert (r["C@2"].dose, r["C@2"].n, r["D@1"].dose, r["D@1"].n) == (2.0, 9, 1.0, 6)
    assert r["A@2"].registry == "NCT03174587" and r["B@4"].registry == "NCT03562065"
    assert r["C@2"].registry is None and r["D@1"].registry is None


def test_dlt_definitions_and_windows():
    r = by_id()
    assert r["A@3"].dlt_window_days == 28 and r["B@2"].dlt_window_days == 10
    assert "grade >= 3" in r["B@2"].dlt_definition and "10 days" in r["B@2"].dlt_definition
    assert r["C@2"].dlt_window_days is None and r["C@2"].basis("dlt_window_days") == "missing"


def test_trial_d_adverse_events_are_missing_not_zero():
    d = by_id()["D@1"]
    for f in ("ae_grade1", "ae_grade2", "ae_events", "ae_patients"):
        assert getattr(d, f) is None
        assert d.basis(f) == "missing"
        assert "minimal" in d.why(f)
    assert "NA" in ev.table("D").splitlines()[1]


def test_adverse_event_counts_match_evidence_md():
    r = by_id()
    a, b, c = r["A@2"], r["B@4"], r["C@2"]
    fields = ("ae_events", "ae_grade1", "ae_grade2", "ae_patients", "ae_n", "ae_scope")
    assert tuple(getattr(a, f) for f in fields) == (3, 3, 0, None, 7, "trial")
    assert a.basis("ae_patients") == "missing" and a.basis("ae_grade2") == "derived"
    assert tuple(getattr(b, f) for f in fields) == (3, 2, 1, 2, 8, "trial")
    assert (c.ae_patients, c.ae_n, c.ae_grade1, c.ae_scope) == (1, 9, None, "dose")


def test_efficacy_endpoints_stay_labelled_separately():
    r = by_id()
    b12 = next(e for e in r["B@2"].efficacy if e.time == "month 12")
    assert (b12.responders, b12.n, b12.basis) == (4, 8, "derived")
    c = {e.name: e for e in r["C@2"].efficacy}
    assert c["complete or partial renal response"].responders == 7
    d = r["D@1"].efficacy[0]
    assert d.name.startswith("SRI-4") and (d.responders, d.n, d.time) == (5, 6, "week 20")
    names = [e.name for x in ("B@2", "C@2", "D@1") for e in r[x].efficacy]
    assert len(names) == len(set(names))
    assert r["A@2"].efficacy == ()


def test_every_count_is_null_exactly_when_missing():
    for r in ev.load():
        for f in ev.COUNT_FIELDS:
            assert (getattr(r, f) is None) == (r.basis(f) == "missing"), (r.id, f)
            assert r.basis(f) in ("stated", "derived", "missing")


def test_records_are_frozen_and_filter_by_trial():
    r = ev.records("A")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.n = 5
    assert [x.id for x in ev.records(["B", "D"])] == ["B@2", "B@4", "D@1"]
    assert len(ev.records()) == 6


@pytest.mark.parametrize("bad", ["E", ["A", "X"], "a"])
def test_unknown_trial_names_field_and_allowed_values(bad):
    with pytest.raises(ValueError) as e:
        ev.records(bad)
    msg = str(e.value)
    assert msg.startswith("trial: must be one of 'A', 'B', 'C', 'D', got ")
    assert "\n" not in msg


def test_table_lists_every_record_and_marks_derived():
    t = ev.table()
    lines = t.splitlines()
    assert lines[0].split()[:8] == ["id", "trial", "source", "dose", "(x10^6", "cells/kg)", "n", "DLT"]  # with its unit
    assert len(lines) == 7
    for r in ev.load():
        assert any(line.startswith(r.id) for line in lines)
    a2 = next(line for line in lines if line.startswith("A@2"))
    assert "28 d" in a2 and "n, ae_grade2" in a2 and "(trial)" in a2


def test_loader_rejects_bad_counts():
    from doseesc.evidence import _data
    raw = json.loads(resources.files("doseesc.evidence").joinpath("msc_lupus.json").read_text())["records"][0]
    bad = dict(raw, n={"value": -1, "basis": "stated", "why": None})
    with pytest.raises(ValueError, match="n: counts must be non-negative"):
        _data._record(bad)
    bad = dict(raw, dlt={"value": 0, "basis": "missing", "why": None})
    with pytest.raises(ValueError, match="null exactly when"):
        _data._record(bad)


# ----------------------------------------------------------------------------------------------
# Power prior
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("a0,b0", [(1, 1), (0.5, 0.5), (2, 8)])
@pytest.mark.parametrize("w", [0.0, 0.25, 0.5, 1.0])
def test_power_prior_hand_calculation_zero_in_thirty(a0, b0, w):
    p = ev.beta_prior("dlt", discount=w, a0=a0, b0=b0)
    assert p.weights == (1.0,)
    assert p.a == (a0,)
    assert p.b == (b0 + 30 * w,)
    assert p.ess == pytest.approx(a0 + b0 + 30 * w, rel=1e-12)
    assert (p.events, p.patients) == (0, 30)
    assert p.records_used == ("A@2", "A@3", "B@2", "B@4", "C@2", "D@1")


def test_power_prior_selection_by_trial_and_dose_range():
    assert ev.beta_prior("dlt", trials="D", discount=0.5).b == (1 + 6 * 0.5,)
    p = ev.beta_prior("dlt", dose_range=(2, 3))
    assert p.records_used == ("A@2", "A@3", "B@2", "C@2") and p.b == (1 + 21,)
    assert ev.beta_prior("dlt", trials=["A", "B"], dose_range=(3.5, 10)).records_used == ("B@4",)


def test_power_prior_mentions_derived_counts_in_assumptions():
    p = ev.beta_prior("dlt")
    text = " ".join(p.assumptions)
    assert "A@2" in text and "derived" in text
    assert "A@2" in p.describe() and "ESS" in p.describe()


def test_ae_power_prior_skips_missing_and_flags_upper_bound():
    p = ev.beta_prior("ae")
    # A: 3 events in 7 -> 3 patients (upper bound), B: 2/8, C: 1/9; D missing -> skipped.
    assert (p.events, p.patients) == (6, 24)
    assert (p.a, p.b) == ((7.0,), (19.0,))
    assert [i for i, _ in p.records_skipped] == ["D@1"]
    assert "minimal" in p.records_skipped[0][1]
    assert any("Trial A" in s and "upper bound" in s for s in p.assumptions)
    q = ev.beta_prior("ae", ae_unstated_patients="skip", discount=0.5)
    assert (q.events, q.patients) == (3, 17)
    assert (q.a, q.b) == ((1 + 1.5,), (1 + 7.0,))
    assert {i for i, _ in q.records_skipped} == {"A@2", "A@3", "D@1"}


def test_ae_counts_per_trial_are_not_split_by_dose_range():
    p = ev.beta_prior("ae", dose_range=(2, 2))
    # A and B give AE counts for the whole trial; with A@3 and B@4 out of range they cannot be used.
    assert p.records_used == ("C@2",)
    assert (p.a, p.b) == ((2.0,), (9.0,))
    assert {i for i, _ in p.records_skipped} == {"A@2", "B@2"}


def test_robust_mixture_weights_and_moments():
    p = ev.beta_prior("dlt", discount=0.5, robust_weight=0.2, robust=(1, 1))
    assert p.weights == pytest.approx((0.8, 0.2))
    assert (p.a, p.b) == ((1.0, 1.0), (16.0, 1.0))
    mean = 0.8 / 17 + 0.2 * 0.5
    assert p.mean() == pytest.approx(mean, rel=1e-12)
    second = 0.8 * (1 / 17) * (2 / 18) + 0.2 * 0.5 * (2 / 3)
    assert p.var() == pytest.approx(second - mean ** 2, rel=1e-12)
    assert p.ess == pytest.approx(mean * (1 - mean) / (second - mean ** 2) - 1, rel=1e-12)
    assert p.ess < ev.beta_prior("dlt", discount=0.5).ess


def test_mixture_posterior_weights_by_hand():
    m = ev.BetaMixture(weights=[0.8, 0.2], a=[1, 1], b=[16, 1]).posterior(0, 6)
    w1, w2 = 0.8 * 16 / 22, 0.2 / 7
    assert m.weights == pytest.approx((w1 / (w1 + w2), w2 / (w1 + w2)), rel=1e-12)
    assert (m.a, m.b) == ((1.0, 1.0), (22.0, 7.0))
    m2 = ev.BetaMixture([0.5, 0.5], [2, 3], [5, 4]).posterior(2, 3)
    e1, e2 = 0.5 * special.beta(4, 6) / special.beta(2, 5), 0.5 * special.beta(5, 5) / special.beta(3, 4)
    assert m2.weights[0] == pytest.approx(e1 / (e1 + e2), rel=1e-12)


def test_mixture_distribution_functions_agree():
    m = ev.BetaMixture([0.3, 0.7], [0.8, 3.0], [20.0, 9.0])
    q = np.array([0.05, 0.5, 0.95])
    assert m.cdf(m.quantile(q)) == pytest.approx(q, abs=1e-9)
    x = np.linspace(1e-6, 1 - 1e-6, 200001)
    assert np.trapezoid(m.pdf(x), x) == pytest.approx(1.0, abs=2e-3)
    draws = m.sample(200_000, np.random.default_rng(3))
    assert draws.mean() == pytest.approx(m.mean(), abs=4 * m.sd() / np.sqrt(draws.size))
    assert ev.BetaMixture([1], [2], [5]).ess == pytest.approx(7.0)


@pytest.mark.parametrize("kwargs,field", [
    (dict(discount=1.5), "discount"), (dict(discount=-0.1), "discount"), (dict(a0=0), "a0"),
    (dict(b0=-1), "b0"), (dict(robust_weight=1.0), "robust_weight"), (dict(robust=(0, 1)), "robust"),
    (dict(event="sae"), "event"), (dict(trials="Z"), "trial"), (dict(dose_range=(3, 1)), "dose_range"),
    (dict(ae_unstated_patients="lower"), "ae_unstated_patients"),
])
def test_beta_prior_bad_input_names_the_field(kwargs, field):
    with pytest.raises(ValueError) as e:
        ev.beta_prior(**kwargs)
    assert str(e.value).startswith(field + ":") and "\n" not in str(e.value)


@pytest.mark.parametrize("events,n,field", [(-1, 5, "events"), (2, -1, "n"), (6, 5, "events")])
def test_posterior_counts_must_be_non_negative(events, n, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        ev.BetaMixture([1], [1], [1]).posterior(events, n)


# ----------------------------------------------------------------------------------------------
# MAP prior
# ----------------------------------------------------------------------------------------------

def crude_map_mc(y, n, mu_mean=_map.LOGIT_01, mu_sd=2.0, tau_sd=0.5, size=1_000_000, seed=11):
    """Independent importance sampler from the hyperprior: E[p_new], its SE and the draws."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(mu_mean, mu_sd, size)
    tau = np.abs(rng.normal(0.0, tau_sd, size))
    logw = np.zeros(size)
    for yi, ni in zip(y, n):
        th = mu + tau * rng.standard_normal(size)
        logw += yi * -np.logaddexp(0, -th) + (ni - yi) * -np.logaddexp(0, th)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    p_new = special.expit(mu + tau * rng.standard_normal(size))
    est = float(w @ p_new)
    se = float(np.sqrt(np.sum(w * w * (p_new - est) ** 2)))
    return est, se, p_new, w


def test_map_prior_data_and_records(map_dlt):
    assert map_dlt.trial_data == (("A", 0, 7), ("B", 0, 8), ("C", 0, 9), ("D", 0, 6))
    assert len(map_dlt.records_used) == 6 and map_dlt.records_skipped == ()
    assert map_dlt.n_components == 3
    assert "half-normal" in map_dlt.describe() and "A 0/7" in map_dlt.describe()


def test_map_prior_quadrature_matches_crude_monte_carlo(map_dlt):
    est, se, p_new, w = crude_map_mc([0, 0, 0, 0], [7, 8, 9, 6])
    assert abs(map_dlt.predictive_mean - est) < 4 * se + 2e-4
    for q in (0.005, 0.02, 0.05, 0.1):
        mc = float(w @ (p_new <= q))
        assert map_dlt.predictive_cdf(q) == pytest.approx(mc, abs=0.01)


def test_map_quadrature_with_events_matches_crude_monte_carlo():
    y, n = np.array([3.0, 2, 1, 0]), np.array([7.0, 8, 9, 6])
    mu, tau, w = _map._posterior_grid(y, n, _map.LOGIT_01, 2.0, 1.0)
    mean, var = _map._expit_moments(mu, tau, w)
    est, se, p_new, wmc = crude_map_mc(y, n, tau_sd=1.0)
    assert abs(mean - est) < 4 * se + 5e-4
    mc_var = float(wmc @ (p_new - est) ** 2)
    assert var == pytest.approx(mc_var, rel=0.05)


@pytest.mark.slow
def test_map_quadrature_is_converged(monkeypatch, map_dlt):
    monkeypatch.setattr(_map, "_N_GH", 64)
    monkeypatch.setattr(_map, "_N_MU", 801)
    monkeypatch.setattr(_map, "_N_TAU", 240)
    y, n = np.zeros(4), np.array([7.0, 8, 9, 6])
    fine = _map._expit_moments(*_map._posterior_grid(y, n, _map.LOGIT_01, 2.0, 0.5))
    assert fine[0] == pytest.approx(map_dlt.predictive_mean, abs=1e-6)
    assert np.sqrt(fine[1]) == pytest.approx(map_dlt.predictive_sd, abs=1e-6)


def test_map_mixture_approximates_the_predictive(map_dlt):
    assert sum(map_dlt.weights) == pytest.approx(1.0)
    assert map_dlt.mean() == pytest.approx(map_dlt.predictive_mean, rel=0.02)
    assert map_dlt.sd() == pytest.approx(map_dlt.predictive_sd, rel=0.05)
    for q in (0.001, 0.01, 0.03, 0.1):
        assert float(map_dlt.cdf(q)) == pytest.approx(float(map_dlt.predictive_cdf(q)), abs=0.01)
    assert map_dlt.fit_kl < 0.01


def test_map_prior_ess_is_sane(map_dlt):
    # All 0/n: the prior is driven by the 30 patients, shrunk by heterogeneity (tau), plus
    # whatever the hyperprior on mu adds; it should be a few tens of patients, not hundreds.
    assert 10 < map_dlt.ess_predictive < 35
    assert map_dlt.ess == pytest.approx(map_dlt.ess_predictive, rel=0.1)
    assert 0.005 < map_dlt.predictive_mean < 0.06
    # More between-trial heterogeneity, less borrowing.
    wide = ev.map_prior("dlt", tau_prior_sd=1.0, n_components=2)
    assert wide.ess_predictive < map_dlt.ess_predictive
    # It should not claim more than the pooled power prior without discounting (Beta(1, 31): 32).
    assert map_dlt.ess_predictive < ev.beta_prior("dlt").ess


def test_map_prior_one_trial_has_smaller_ess(map_dlt):
    d = ev.map_prior("dlt", trials="D", n_components=2)
    assert d.trial_data == (("D", 0, 6),)
    assert d.ess_predictive < map_dlt.ess_predictive


def test_map_prior_ae_and_robust():
    m = ev.map_prior("ae", n_components=2, robust_weight=0.1)
    assert m.trial_data == (("A", 3, 7), ("B", 2, 8), ("C", 1, 9))
    assert [i for i, _ in m.records_skipped] == ["D@1"]
    assert m.n_components == 3 and m.weights[-1] == pytest.approx(0.1)
    assert (m.a[-1], m.b[-1]) == (1.0, 1.0)
    assert any("upper bound" in s for s in m.assumptions)


@pytest.mark.parametrize("kwargs,field", [
    (dict(tau_prior_sd=0), "tau_prior_sd"), (dict(mu_sd=-1), "mu_sd"), (dict(n_components=0), "n_components"),
    (dict(event="x"), "event"), (dict(robust_weight=-0.5), "robust_weight"),
])
def test_map_prior_bad_input(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        ev.map_prior(**kwargs)


# ----------------------------------------------------------------------------------------------
# Dose-response prior
# ----------------------------------------------------------------------------------------------

def test_skeleton_is_strictly_increasing_in_unit_interval(dr_prior):
    sk = dr_prior.skeleton(0.2)
    assert sk.shape == (3,)
    assert np.all(np.diff(sk) > 0) and np.all(sk > 0) and np.all(sk < 1)
    mean = dr_prior.mean_curve()
    assert np.all(np.diff(mean) > 0)
    assert np.all(dr_prior.skeleton(statistic="mean") == mean)
    assert np.all(sk < mean)  # right-skewed marginals near 0
    assert dr_prior.mtd_guess(0.2) == 3
    assert len(dr_prior.ess) == 3 and all(e > 0 for e in dr_prior.ess)


def test_dose_response_without_data_is_the_initial_prior():
    pr = ev.dose_response_prior([1, 2, 4], discount=0.0)
    # At d_ref (= 4) p = expit(alpha) with alpha ~ N(logit 0.2, 2^2): median exactly 0.2.
    assert pr.skeleton()[2] == pytest.approx(0.2, abs=2e-3)
    # At d = 2: logit p = alpha - exp(log_beta) log 2; check the mean by plain Monte Carlo.
    rng = np.random.default_rng(5)
    a = rng.normal(special.logit(0.2), 2.0, 400_000)
    b = rng.normal(0.0, 1.0, 400_000)
    mc = special.expit(a + np.exp(b) * np.log(2 / 4)).mean()
    assert pr.mean_curve([2])[0] == pytest.approx(mc, abs=3e-3)


def test_dose_response_grid_matches_importance_sampling(dr_prior):
    rng = np.random.default_rng(8)
    size = 400_000
    a = rng.normal(special.logit(0.2), 2.0, size)
    b = rng.normal(0.0, 1.0, size)
    logw = np.zeros(size)
    for r in ev.load():
        eta = a + np.exp(b) * np.log(r.dose / 4.0)
        logw += r.dlt * -np.logaddexp(0, -eta) + (r.n - r.dlt) * -np.logaddexp(0, eta)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    p = special.expit(a[:, None] + np.exp(b)[:, None] * np.log(np.array([1, 2, 4]) / 4.0))
    mc = w @ p
    se = np.sqrt((w[:, None] ** 2 * (p - mc) ** 2).sum(axis=0))
    assert np.all(np.abs(dr_prior.mean_curve() - mc) < 4 * se + 1e-3)


def test_dose_response_discount_moves_towards_initial_prior():
    sks = [ev.dose_response_prior([1, 2, 4], discount=w).skeleton() for w in (1.0, 0.5, 0.0)]
    assert np.all(sks[0] < sks[1]) and np.all(sks[1] < sks[2])


@pytest.mark.parametrize("kwargs,field", [
    (dict(doses=[2, 1, 4]), "doses"), (dict(doses=[0, 1]), "doses"), (dict(doses=[]), "doses"),
    (dict(doses=[1, 2], discount=2), "discount"), (dict(doses=[1, 2], corr=1), "corr"),
    (dict(doses=[1, 2], sd=(0, 1)), "sd"), (dict(doses=[1, 2], d_ref=-1), "d_ref"),
])
def test_dose_response_bad_input(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        ev.dose_response_prior(**kwargs)


def test_skeleton_bad_target(dr_prior):
    with pytest.raises(ValueError, match="^target:"):
        dr_prior.skeleton(1.2)


# ----------------------------------------------------------------------------------------------
# Prior-predictive scenarios
# ----------------------------------------------------------------------------------------------

def _monotone(a):
    return bool(np.all(np.diff(a, axis=1) >= 0))


@HYP
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), kind=st.sampled_from(["dr", "beta", "robust"]))
def test_scenarios_are_monotone_valid_and_reproducible(dr_prior, seed, n, kind):
    prior = {"dr": dr_prior, "beta": ev.beta_prior("dlt", discount=0.5),
             "robust": ev.beta_prior("dlt", robust_weight=0.3)}[kind]
    ae = ev.beta_prior("ae")
    ss = ev.sample_scenarios(prior, [1, 2, 4], n=n, seed=seed, ae_prior=ae)
    assert isinstance(ss, ScenarioSet) and len(ss) == n and ss.p_tox.shape == (n, 3)
    assert _monotone(ss.p_tox)
    assert np.all((ss.p_tox >= 0) & (ss.p_tox <= 1))
    assert np.all(ss.p_tox + ss.p_ae <= 1 + 1e-12)
    again = ev.sample_scenarios(prior, [1, 2, 4], n=n, seed=seed, ae_prior=ae)
    assert np.array_equal(ss.p_tox, again.p_tox) and np.array_equal(ss.p_ae, again.p_ae)
    no_ae = ev.sample_scenarios(prior, [1, 2, 4], n=n, seed=seed)
    assert np.array_equal(ss.p_tox, no_ae.p_tox) and no_ae.p_ae is None


def test_different_seeds_differ(dr_prior):
    a = ev.sample_scenarios(dr_prior, [1, 2, 4], n=50, seed=1).p_tox
    b = ev.sample_scenarios(dr_prior, [1, 2, 4], n=50, seed=2).p_tox
    assert not np.array_equal(a, b)


def test_scenarios_follow_the_dose_response_prior(dr_prior):
    ss = ev.sample_scenarios(dr_prior, [1, 2, 4], n=4000, seed=3, target=0.25)
    assert ss.target == 0.25 and list(ss.scenarios[0].doses) == [1, 2, 4]
    sd = np.sqrt(ss.p_tox.var(axis=0) / 4000)
    assert np.all(np.abs(ss.p_tox.mean(axis=0) - dr_prior.mean_curve()) < 4 * sd + 5e-4)
    assert np.all(np.diff(ss.p_tox, axis=1) > 0)
    assert "A@2" in ss.source and "seed 3" in ss.source


def test_draw_and_sort_keeps_the_prior_marginal_over_doses():
    prior = ev.beta_prior("dlt", discount=0.5)
    ss = ev.sample_scenarios(prior, [1, 2, 4], n=20_000, seed=4)
    vals = ss.p_tox.ravel()
    assert vals.mean() == pytest.approx(prior.mean(), abs=4 * prior.sd() / np.sqrt(vals.size))
    # The lowest dose gets the smallest of three draws: its CDF is 1 - (1 - F)^3.
    x = float(prior.quantile(0.5))
    assert np.mean(ss.p_tox[:, 0] <= x) == pytest.approx(1 - 0.5 ** 3, abs=0.015)
    assert "draw-and-sort" in ss.source


def test_per_dose_priors_and_length_check():
    pri = [ev.BetaMixture([1], [1], [30]), ev.BetaMixture([1], [2], [20]), ev.BetaMixture([1], [3], [10])]
    ss = ev.sample_scenarios(pri, [1, 2, 4], n=10, seed=0)
    assert _monotone(ss.p_tox)
    with pytest.raises(ValueError, match=r"^prior: expected one Beta prior per dose \(3\), got 2"):
        ev.sample_scenarios(pri[:2], [1, 2, 4], n=10, seed=0)


def test_map_prior_can_drive_scenarios(map_dlt):
    ss = ev.sample_scenarios(map_dlt, [1, 2, 4], n=200, seed=9)
    assert _monotone(ss.p_tox) and "MAPPrior" in ss.source


@pytest.mark.parametrize("kwargs,field", [
    (dict(doses=[-1, 2]), "doses"), (dict(doses=[2, 1]), "doses"), (dict(n=0), "n"), (dict(n=2.5), "n"),
    (dict(seed=-1), "seed"), (dict(seed="x"), "seed"), (dict(target=1.5), "target"),
    (dict(prior="beta"), "prior"), (dict(ae_prior=3), "ae_prior"),
])
def test_sample_scenarios_bad_input(dr_prior, kwargs, field):
    args = dict(prior=dr_prior, doses=[1, 2, 4], n=5, seed=1)
    args.update(kwargs)
    with pytest.raises(ValueError) as e:
        ev.sample_scenarios(**args)
    assert str(e.value).startswith(field + ":") and "\n" not in str(e.value)


# ----------------------------------------------------------------------------------------------
# Docstring examples
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["__init__", "_data", "_beta", "_map", "_dose_response", "_scenarios"])
def test_docstring_examples_run(module):
    name = "doseesc.evidence" if module == "__init__" else f"doseesc.evidence.{module}"
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0
    assert res.attempted > 0
