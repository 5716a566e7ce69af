"""Efficacy evidence: the seed trials' endpoints kept apart, priors from one endpoint (pooling only
with a stated discount), and prior-predictive joint toxicity-efficacy scenarios."""

import doctest
import importlib
import warnings

import numpy as np
import pytest

import doseesc as de
from doseesc import evidence as ev


def test_endpoints_as_in_the_evidence_file():
    eps = {e.key: e for e in ev.endpoints()}
    assert len(eps) == 6  # B: 2, C: 3, D: 1; trial-level B counts appear once, not per dose
    # evidence.md, pooled view: 4/8 at month 12 (B), 7/9 renal CR+PR in 3 months (C), 5/6 SRI-4 (D)
    heads = {e.trial: (e.responders, e.n, e.time) for e in eps.values() if e.headline}
    assert heads == {"B": (4, 8, "month 12"), "C": (7, 9, "first 3 months"), "D": (5, 6, "week 20")}
    assert eps["B:response-M12"].records == ("B@2", "B@4") and eps["B:response-M12"].scope == "trial"
    assert eps["D:SRI4-W20"].doses == (1.0,)
    assert eps["C:renal-CR-M3"].responders + eps["C:renal-PR-M3"].responders == eps["C:renal-CRPR-M3"].responders
    assert [e.key for e in ev.endpoints("C")] == ["C:renal-CR-M3", "C:renal-PR-M3", "C:renal-CRPR-M3"]
    assert ev.endpoints("A") == ()
    with pytest.raises(ValueError, match="^trial: "):
        ev.endpoints("E")


def test_prior_from_one_endpoint_by_hand():
    p = ev.efficacy_prior("D:SRI4-W20", discount=0.5, a0=0.5, b0=0.5)
    assert p.components_text() == "Beta(3, 1)"  # 0.5 + 0.5 * 5, 0.5 + 0.5 * 1
    assert p.ess == pytest.approx(4.0)
    assert p.records_used == ("D@1",) and p.endpoints == ("D:SRI4-W20",)
    text = p.describe()
    assert "SRI-4" in text and "week 20" in text and "D@1" in text and "DIFFERENT" not in text
    b = ev.efficacy_prior("B")
    assert b.endpoints == ("B:response-M12",) and b.components_text() == "Beta(5, 5)"
    assert ev.efficacy_prior("B:status-M3").components_text() == "Beta(8, 2)"
    r = ev.efficacy_prior("C", robust_weight=0.25, robust=(1, 1))
    assert r.weights == (0.75, 0.25) and r.a == (8.0, 1.0) and r.b == (3.0, 1.0)


def test_pooling_is_explicit_and_discounted():
    with pytest.raises(ValueError, match="^pool_discount: pooling different endpoints"):
        ev.efficacy_prior(["B", "C", "D"])
    p = ev.efficacy_prior(["B", "C", "D"], pool_discount=0.25)
    # 16 responders of 23 at weight 0.25
    assert p.a[0] == pytest.approx(1 + 0.25 * 16) and p.b[0] == pytest.approx(1 + 0.25 * 7)
    assert "3 DIFFERENT endpoints pooled by explicit choice" in p.describe()
    assert set(p.records_used) == {"B@2", "B@4", "C@2", "D@1"}
    # the same endpoint twice is not pooling
    assert ev.efficacy_prior(["D", "D:SRI4-W20"]).components_text() == "Beta(6, 2)"


@pytest.mark.parametrize("kw, field", [
    (dict(endpoint="A"), "endpoint"), (dict(endpoint="X:nope"), "endpoint"), (dict(endpoint=[]), "endpoint"),
    (dict(endpoint="D", discount=1.5), "discount"), (dict(endpoint="D", pool_discount=0.5), "pool_discount"),
    (dict(endpoint=["C", "D"], pool_discount=0), "pool_discount"), (dict(endpoint="D", a0=0), "a0"),
    (dict(endpoint="D", robust_weight=1), "robust_weight"), (dict(endpoint="D", robust=(1, -1)), "robust"),
])
def test_prior_validation(kw, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        ev.efficacy_prior(**kw)


TOX = ev.beta_prior("dlt", discount=0.5)


def test_joint_scenarios_keep_the_toxicity_curves():
    for prior in (TOX, ev.dose_response_prior([1, 2, 4])):
        a = ev.sample_scenarios(prior, [1, 2, 4], n=200, seed=5, target=0.3, ae_prior=ev.beta_prior("ae"))
        b = ev.sample_joint_scenarios(prior, ev.efficacy_prior("D"), [1, 2, 4], n=200, seed=5, target=0.3,
                                      ae_prior=ev.beta_prior("ae"))
        assert np.array_equal(a.p_tox, b.p_tox) and np.array_equal(a.p_ae, b.p_ae)
    c = ev.sample_joint_scenarios(TOX, ev.efficacy_prior("D"), [1, 2, 4], n=200, seed=5, target=0.3)
    assert np.array_equal(c.p_eff, ev.sample_joint_scenarios(TOX, ev.efficacy_prior("D"), [1, 2, 4], n=200, seed=5,
                                                              target=0.3).p_eff)
    assert "endpoint D:SRI4-W20" in c.source and "umbrella" in c.source


def test_shapes():
    ss = ev.sample_joint_scenarios(TOX, ev.efficacy_prior("B"), [1, 2, 4, 6, 8], n=600, seed=1, target=0.3)
    for e, tag in zip(ss.p_eff, ss.tags):
        k = int(np.argmax(e))
        if tag == "increasing":
            assert np.all(np.diff(e) >= 0)
        elif tag == "plateau":
            assert np.all(np.diff(e) >= 0) and e[-1] == e[-2] and 1 <= np.flatnonzero(e == e.max())[0] <= 3
        else:
            assert 1 <= k <= 3 and np.all(np.diff(e[:k + 1]) >= 0) and np.all(np.diff(e[k:]) <= 0)
    counts = {s: ss.tags.count(s) for s in ev.SHAPES}
    for c in counts.values():  # equal weights: a third each, within 4 binomial SEs
        assert abs(c / 600 - 1 / 3) < 4 * np.sqrt(2 / 9 / 600), counts
    only = ev.sample_joint_scenarios(TOX, ev.efficacy_prior("B"), [1, 2], n=20, seed=1, shapes="plateau")
    assert np.all(only.p_eff[:, 0] == only.p_eff[:, 1])  # two doses: a flat plateau
    w = ev.sample_joint_scenarios(TOX, ev.efficacy_prior("B"), [1, 2, 4], n=50, seed=1,
                                  shapes=("increasing", "umbrella"), shape_weights=(1, 0))
    assert set(w.tags) == {"increasing"}


@pytest.mark.slow
def test_efficacy_values_follow_the_prior():
    """The multiset of a curve's values is a draw of K values from the prior (only their order
    changes with the shape): the mean over all values estimates the prior mean."""
    pr = ev.efficacy_prior("C")  # Beta(8, 3)
    ss = ev.sample_joint_scenarios(TOX, pr, [1, 2, 4], n=20_000, seed=2)
    sorted_rows = np.sort(ss.p_eff, axis=1)
    # umbrella and increasing curves keep all K draws; a plateau replaces some by the maximum
    keep = np.array([t != "plateau" for t in ss.tags])
    vals = sorted_rows[keep].ravel()
    se = pr.sd() / np.sqrt(vals.size)
    assert abs(vals.mean() - pr.mean()) < 4 * se


def test_joint_scenarios_run_with_boin12_and_report_obd():
    ss = ev.sample_joint_scenarios(TOX, ev.efficacy_prior("B"), [1, 2, 4], n=30, seed=4, target=0.3,
                                   association="gaussian", association_param=0.3, utility=(100, 30, 50, 0))
    assert ss.scenarios[0].association == "gaussian" and ss.scenarios[0].utility == (100.0, 30.0, 50.0, 0.0)
    oc = de.simulate(de.BOIN12(phi_t=0.3, max_n=18), ss, n_trials=200, seed=1)
    assert oc.pcs_obd_by_scenario.shape == (30,)
    assert "(umbrella)" in ss.scenarios[[i for i, t in enumerate(ss.tags) if t == "umbrella"][0]].label()


@pytest.mark.parametrize("kw, field", [
    (dict(eff_prior="B"), "eff_prior"), (dict(shapes=("zigzag",)), "shapes"), (dict(shapes=()), "shapes"),
    (dict(shape_weights=(1, 2)), "shape_weights"), (dict(association="copula"), "association"),
    (dict(n=0), "n"), (dict(doses=[2, 1, 4]), "doses"), (dict(eff_prior=[ev.efficacy_prior("B")] * 2), "eff_prior"),
])
def test_joint_scenario_validation(kw, field):
    args = dict(tox_prior=TOX, eff_prior=ev.efficacy_prior("B"), doses=[1, 2, 4], n=5, seed=1)
    args.update(kw)
    with pytest.raises(ValueError, match=f"^{field}: "):
        ev.sample_joint_scenarios(**args)


@pytest.mark.parametrize("module", ["doseesc.evidence._efficacy", "doseesc.scenario", "doseesc.designs.boin12",
                                    "doseesc.outcomes"])
def test_docstring_examples_run(module):
    res = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 0


def test_pooling_endpoints_of_the_same_patients_says_so():
    """Two endpoints of one trial are the same patients: pooling them counts each patient once per
    endpoint (Beta(12, 6), ESS 18, from trial B's 8 patients), so it warns and describe() says so."""
    with pytest.warns(UserWarning, match="B:status-M3 and B:response-M12 were measured on the same 8 patients"):
        p = ev.efficacy_prior(["B:status-M3", "B:response-M12"], pool_discount=1)
    assert p.components_text() == "Beta(12, 6)" and "so they count once per endpoint" in p.describe()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # different trials' patients: no warning
        q = ev.efficacy_prior(["C", "D"], pool_discount=0.5)
    assert "same" not in q.describe()
