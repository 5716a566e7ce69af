"""EWOC in Babb, Rogatko & Zacks' parametrisation (R ewoc's ewoc_d1classical): the ewoc
README example, an independent JAGS fit of ewoc's model (benchmarks/r/jags_ewoc.R ->
tests/data/peer_jags_ewoc.json), brute-force quadrature, the rules, exact vs Monte Carlo."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, special

import doseesc as de
from doseesc._kernels import ewoc as K

DATA = Path(__file__).parent / "data"
REF = {r["id"]: r for r in json.loads((DATA / "blrm_reference.json").read_text())["rows"]}
JAGS = json.loads((DATA / "peer_jags_ewoc.json").read_text())


def _posterior(d, outcomes):
    low = d.lower(len(d.doses))
    n = np.zeros(len(d.doses), dtype=np.int64)
    y = np.zeros(len(d.doses), dtype=np.int64)
    for c in outcomes.split():
        lvl = int(c[0]) - 1
        n[lvl] += len(c) - 1
        y[lvl] += c.count("T")
    work = np.zeros(low.n_work)
    z = K._weights(low.ipar, low.tab, n, y, work)
    return low, work, z


def test_ewoc_readme_example():
    """ewoc's README: ewoc_d1classic(theta 0.33, alpha 0.25, uniform priors, doses 0..100 by 20,
    rounding 'nearest') after one patient at dose 30 without DLT (1,000 JAGS draws).
    Next dose 40: the 0.25-quantile of the MTD lies in [30, 50). Its printed 95 % HPD interval
    of the MTD, (12.87, 98.77), holds 95 % of 1,000 draws, so our posterior mass in it is 0.95
    within 4 SE, SE = sqrt(0.95 x 0.05 / 1000) = 0.0069 (the interval's ends are sample
    quantities; earlier README versions printed (15.94, 99.97) and (16.45, 99.98)). The printed
    median of P(DLT) at the next dose, 0.3: our P(p(40) <= 0.3) is 0.5 within 4 x
    sqrt(0.25 / 1000) = 0.063."""
    row = REF["EWOC-EWOCPKG-README"]
    doses = [0, 20, 30, 40, 60, 80, 100]  # the dose set plus 30, where the patient was treated
    d = de.EWOC(doses=doses, target=0.33, alpha=0.25, min_dose=0, max_dose=100, rounding="nearest",
                cohort_size=1, max_n=20)
    rec = d.next_dose("3N")
    q = rec.mtd_quantile
    assert 30 <= q < 50
    grid = [0, 20, 40, 60, 80, 100]
    assert grid[int(np.argmin([abs(q - g) for g in grid]))] == row["values"]["next_dose"]
    low, work, z = _posterior(d, "3N")
    cdf = lambda g: K.gamma_cdf(low.ipar, low.tab, 7, work, z, g / 100)
    for lo, hi in (row["values"]["MTD_95pct_HPD"], (15.94, 99.97), (16.45, 99.98)):
        assert abs(cdf(hi) - cdf(lo) - 0.95) < 4 * math.sqrt(0.95 * 0.05 / 1000), (lo, hi, cdf(hi) - cdf(lo))
    # P(p(40) <= 0.3): the node weights where p(40) <= 0.3 (dose index 3)
    G = low.ipar[K.I_NV] * low.ipar[K.I_NG]
    below = np.exp(low.tab[3, :G]) <= 0.3
    assert abs(work[:G][below].sum() / z - 0.5) < 4 * math.sqrt(0.25 / 1000)
    assert row["values"]["P_DLT_at_next_dose_median"] == 0.3


@pytest.mark.parametrize("key", ["readme", "s2", "s3"])
def test_ewoc_posterior_against_jags(key):
    """P(MTD <= x) at 7 points against 1,000,000 JAGS draws of ewoc's model: within 4
    batch-means standard errors."""
    s = {k: (np.atleast_1d(v).tolist() if k in ("dose", "dlt") else v) for k, v in JAGS[key].items()}
    probes = s["probes"]
    doses = sorted(set([s["min"] + p * (s["max"] - s["min"]) for p in probes] + list(s["dose"]) + [s["max"]]))
    d = de.EWOC(doses=doses, target=s["theta"], min_dose=s["min"], max_dose=s["max"], cohort_size=1, max_n=30)
    low = d.lower(len(doses))
    n = np.zeros(len(doses), dtype=np.int64)
    y = np.zeros(len(doses), dtype=np.int64)
    for dose, t in zip(s["dose"], s["dlt"]):
        k = doses.index(dose)
        n[k] += 1
        y[k] += t
    work = np.zeros(low.n_work)
    z = K._weights(low.ipar, low.tab, n, y, work)
    ours = np.array([K.gamma_cdf(low.ipar, low.tab, len(doses), work, z, p) for p in probes])
    zz = (ours - np.array(s["cdf"])) / np.array(s["se_cdf"])
    assert np.all(np.abs(zz) < 4), np.round(zz, 2)
    # P(p(x) > theta) reported per dose is the same CDF
    out = np.zeros(2 * len(doses))
    K.summaries(low.ipar, low.fpar, low.tab, n, y, np.zeros(low.n_work), -1, out)
    for p, v in zip(probes, ours):
        assert out[doses.index(s["min"] + p * (s["max"] - s["min"]))] == pytest.approx(v, abs=1e-12)


def test_ewoc_posterior_against_brute_force():
    """P(gamma <= g) and E[p(x)] against scipy's adaptive 2-D quadrature (tolerance 1e-11)."""
    theta = 0.3
    x = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    n = np.array([3, 3, 6, 3, 0])
    y = np.array([0, 0, 2, 2, 0])
    lt = special.logit(theta)

    def lik(vv, g):
        l0 = special.logit(theta * vv)
        eta = l0 + (lt - l0) * x / g
        return float(np.exp(np.sum(y * -np.logaddexp(0, -eta) + (n - y) * -np.logaddexp(0, eta))))

    opts = dict(epsabs=1e-13, epsrel=1e-11)
    Z = integrate.dblquad(lambda vv, g: lik(vv, g), 0, 1, 0, 1, **opts)[0]
    d = de.EWOC(doses=list(x * 4 + 1), target=theta, min_dose=1, max_dose=5, cohort_size=3, max_n=30)
    low = d.lower(5)
    work = np.zeros(low.n_work)
    z = K._weights(low.ipar, low.tab, n, y, work)
    for g in (0.2, 0.35, 0.5, 0.8):
        ref = integrate.dblquad(lambda vv, gg: lik(vv, gg), 0, g, 0, 1, **opts)[0] / Z
        assert abs(K.gamma_cdf(low.ipar, low.tab, 5, work, z, g) - ref) < 1e-6
    out = np.zeros(5)
    K.estimates(low.ipar, low.fpar, low.tab, n, y, np.zeros(low.n_work), out)
    for k in range(5):
        def f(vv, g, k=k):
            l0 = special.logit(theta * vv)
            return lik(vv, g) * special.expit(l0 + (lt - l0) * x[k] / g)
        ref = integrate.dblquad(f, 0, 1, 0, 1, **opts)[0] / Z
        assert abs(out[k] - ref) < 1e-6


def test_ewoc_rules():
    doses = [1, 2, 3, 4, 5, 6]
    d = de.EWOC(doses=doses, target=0.3, alpha=0.25, cohort_size=3, max_n=24)
    rec = d.next_dose("1NNN")
    # rounding down: the highest dose at or below the quantile, one level above the current at most
    below = [k + 1 for k, v in enumerate(doses) if v <= rec.mtd_quantile]
    assert rec.dose == min(max(below), 2)
    near = de.EWOC(doses=doses, target=0.3, alpha=0.25, rounding="nearest", no_skip=False).next_dose("1NNN")
    assert near.dose == int(np.argmin([abs(rec.mtd_quantile - v) for v in doses])) + 1
    # no skipping relative to the current dose
    free = de.EWOC(doses=doses, target=0.3, alpha=0.5, no_skip=False).next_dose("1NNN 2NNN")
    held = de.EWOC(doses=doses, target=0.3, alpha=0.5).next_dose("1NNN 2NNN")
    assert held.dose == min(free.dose, 3)
    # with min_dose at the first dose, p(first dose) = rho0 < target by construction: DLTs there
    # say nothing about the MTD (Babb's model takes the starting dose to be safe)
    assert de.EWOC(doses=doses, target=0.3).next_dose("1TTT").mtd_quantile == pytest.approx(1 + 0.25 * 5, abs=1e-6)
    # with the range starting below it: the quantile falls below the first dose, clamped to it
    low = de.EWOC(doses=doses, target=0.3, min_dose=0).next_dose("1TTT")
    assert low.mtd_quantile < 1 and low.dose == 1
    # safety stop
    s = de.EWOC(doses=doses, target=0.3, min_dose=0, safety_stop=0.5).next_dose("1TTT")
    assert s.stop and s.reason == "safety" and s.p_overdose[0] > 0.5
    assert not de.EWOC(doses=doses, target=0.3, min_dose=0, safety_stop=0.5).next_dose("1NNN").stop
    # increasing feasibility bound
    inc = de.EWOC(doses=doses, target=0.3, alpha=0.25, alpha_start=0.1, cohort_size=3)
    assert inc.next_dose("1NNN").alpha_used == pytest.approx(0.1)
    assert inc.next_dose("1NNN 2NNN 3NNN 3NNN").alpha_used == pytest.approx(0.25)


@pytest.mark.slow
def test_ewoc_exact_matches_monte_carlo():
    d = de.EWOC(doses=[1, 2, 3, 4, 5], target=0.3, alpha=0.25, cohort_size=3, max_n=15)
    sc = de.Scenario([0.05, 0.12, 0.25, 0.4, 0.55], target=0.3)
    ex = de.exact(d, sc)
    oc = de.simulate(d, sc, n_trials=10_000, seed=3)
    for what in ("selection", "n_patients"):
        z = (getattr(oc, what) - getattr(ex, what)) / np.maximum(oc.se(what), 1e-9)
        assert np.all(np.abs(z) < 4), (what, np.round(z, 2))


@pytest.mark.parametrize("kwargs, field", [
    (dict(doses=[2, 1]), "doses"),
    (dict(target=1.2), "target"),
    (dict(alpha=0), "alpha"),
    (dict(min_dose=3), "min_dose"),
    (dict(max_dose=2), "max_dose"),
    (dict(rho_prior=(0.5, 1)), "rho_prior"),
    (dict(mtd_prior=(1,)), "mtd_prior"),
    (dict(rounding="up"), "rounding"),
    (dict(alpha_start=0.5), "alpha_start"),
    (dict(max_n=0), "max_n"),
])
def test_ewoc_bad_input(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        de.EWOC(**{**dict(doses=[1, 2, 3, 4], target=0.3), **kwargs})


def test_ewoc_docstring_examples():
    import doctest
    import importlib

    res = doctest.testmod(importlib.import_module("doseesc.designs.ewoc"),
                          optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
