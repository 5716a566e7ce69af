"""The BLRM's MAP prior from historical trials (doseesc.evidence.blrm_map_prior), checked
against an independent JAGS fit of the same hierarchical model run here
(benchmarks/r/jags_map_msc.R -> tests/data/peer_jags_map_msc*.json)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import doseesc as de
from doseesc import evidence
from doseesc.evidence._map_blrm import _point_covs, _point_p_moments

DATA = Path(__file__).parent / "data"
DOSES = [1, 2, 4]


def _our_se(m, x):
    """Self-normalised importance-sampling standard errors (delta method) of the predictive
    mean and sd of p at each dose: conservative for the quasi-random points used."""
    phi, w = m.grid
    pm, pc = _point_covs(phi)
    m1, m2 = _point_p_moments(pm, pc, x)
    mean = w @ m1
    second = w @ m2
    sd = np.sqrt(second - mean * mean)
    se_mean = np.sqrt(w * w @ (m1 - mean) ** 2)
    # sd = sqrt(E[p^2] - E[p]^2): delta method on the pair (E p, E p^2)
    g = (m2 - second) / (2 * sd) - mean * (m1 - mean) / sd
    return mean, sd, se_mean, np.sqrt(w * w @ g ** 2)


@pytest.fixture(scope="module")
def map_all():
    return evidence.blrm_map_prior(DOSES, 4)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["all", "A", "C"])
def test_map_prior_against_jags(which, map_all):
    """Predictive mean and sd of p at doses 1, 2, 4 (d_ref 4) and the hyperparameters' posterior
    means within 4 combined standard errors (JAGS: batch means over 4 chains x 100,000 draws;
    ours: importance-sampling delta method). Leave-one-out fits for trials A and C too."""
    name = "peer_jags_map_msc.json" if which == "all" else f"peer_jags_map_msc_loo_{which}.json"
    ref = json.loads((DATA / name).read_text())
    assert ref["meta"]["exclude"] == ("" if which == "all" else which)
    m = map_all if which == "all" else evidence.blrm_map_prior(DOSES, 4, exclude=which)
    x = np.log(np.array(DOSES) / 4)
    mean, sd, se_mean, se_sd = _our_se(m, x)
    assert np.allclose(mean, m.predictive_mean_p, atol=1e-12)
    z = (mean - np.array(ref["mean_p"])) / np.hypot(se_mean, ref["se_mean_p"])
    assert np.all(np.abs(z) < 4), np.round(z, 2)
    z = (sd - np.array(ref["sd_p"])) / np.hypot(se_sd, ref["se_sd_p"])
    assert np.all(np.abs(z) < 4), np.round(z, 2)
    # the exact predictive's ESS (a function of mean and sd) agrees to within a patient
    assert np.all(np.abs(np.array(m.ess_predictive) - np.array(ref["ess"])) < 1.0)
    phi, w = m.grid
    for k, (ours, jags, se) in enumerate(zip(m.mu_posterior_mean, ref["mu"], ref["se_mu"])):
        se_ours = math.sqrt(w * w @ (phi[:, k] - ours) ** 2)
        assert abs(ours - jags) < 4 * math.hypot(se, se_ours), ("mu", k, ours, jags)
    for k, (ours, jags, se) in enumerate(zip(m.tau_posterior_mean, ref["tau"], ref["se_tau"])):
        t = np.exp(phi[:, 2 + k])
        se_ours = math.sqrt(w * w @ (t - ours) ** 2)
        assert abs(ours - jags) < 4 * math.hypot(se, se_ours), ("tau", k, ours, jags)


def test_map_prior_reports_and_is_deterministic(map_all):
    m = map_all
    assert m.trial_data == (("A", 2.0, 4, 0), ("A", 3.0, 3, 0), ("B", 2.0, 5, 0), ("B", 4.0, 3, 0),
                            ("C", 2.0, 9, 0), ("D", 1.0, 6, 0))
    assert m.records_used == ("A@2", "A@3", "B@2", "B@4", "C@2", "D@1")
    assert any("derived" in a for a in m.assumptions)
    assert abs(sum(m.weights) - 1) < 1e-12 and len(m.weights) == 2
    assert all(e > 0 for e in m.ess) and len(m.ess) == 3
    again = evidence.blrm_map_prior(DOSES, 4)
    assert again.weights == m.weights and again.means == m.means and again.ess == m.ess
    assert "ESS" in m.describe() and "A 0/4 at 2" in m.describe()


def test_map_prior_in_a_design(map_all):
    d = de.BLRM(doses=DOSES, d_ref=4, prior=map_all, cohort_size=3, max_n=12)
    assert len(d.components()) == 2
    rec = d.next_dose("")
    # with no data the design's P(p <= c) is the prior's: its mean matches the mixture's
    assert np.allclose(rec.p_tox, map_all.mean_p, atol=1e-6)
    robust = evidence.blrm_map_prior(DOSES, 4, robust_weight=0.2)
    assert robust.weights[-1] == pytest.approx(0.2) and robust.sds[-1] == (2.0, 1.0)
    assert all(a < b for a, b in zip(robust.ess, map_all.ess))


def test_map_prior_loo_helper():
    loo = evidence.blrm_map_prior_loo(DOSES, 4, n_points=2048)
    assert sorted(loo) == ["A", "B", "C", "D"]
    for t, m in loo.items():
        assert t not in {row[0] for row in m.trial_data}


def test_map_prior_from_a_table(tmp_path):
    rows = [("X", 10, 6, 0), ("X", 20, 6, 1), ("Y", 20, 9, 2), ("Y", 40, 3, 2)]
    csv = tmp_path / "trials.csv"
    csv.write_text("trial,dose,n,dlt\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    toml = tmp_path / "trials.toml"
    toml.write_text("".join(f'[[trials]]\ntrial = "{t}"\ndose = {d}\nn = {n}\ndlt = {y}\n' for t, d, n, y in rows))
    a = evidence.blrm_map_prior([10, 20, 40], 20, data=rows, n_points=2048)
    b = evidence.blrm_map_prior([10, 20, 40], 20, data=csv, n_points=2048)
    c = evidence.blrm_map_prior([10, 20, 40], 20, data=toml, n_points=2048)
    assert a.means == b.means == c.means
    assert a.trial_data == (("X", 10.0, 6, 0), ("X", 20.0, 6, 1), ("Y", 20.0, 9, 2), ("Y", 40.0, 3, 2))
    # more DLTs than the MSC trials: a higher prior DLT rate at the reference dose
    assert a.mean_p[1] > 0.1


@pytest.mark.parametrize("kwargs, field", [
    (dict(doses=[0, 1]), "doses"),
    (dict(d_ref=-1), "d_ref"),
    (dict(mu_sd=(1, 0)), "mu_sd"),
    (dict(tau_scale=(0.5,)), "tau_scale"),
    (dict(n_components=5), "n_components"),
    (dict(robust_weight=1.0), "robust_weight"),
    (dict(n_points=3000), "n_points"),
    (dict(exclude="Z"), "exclude"),
    (dict(data=[("X", 1, 3, 4)]), "data"),
    (dict(data="/nonexistent.csv"), "data"),
])
def test_map_prior_bad_input(kwargs, field):
    base = dict(doses=DOSES, d_ref=4)
    with pytest.raises(ValueError, match=f"^{field}"):
        evidence.blrm_map_prior(**{**base, **kwargs})
