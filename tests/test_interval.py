"""mTPI, mTPI-2, Keyboard and i3+3: published decision tables and OC, shared rules, exact vs MC, invariants."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import doseesc as de

DESIGNS = [de.MTPI, de.MTPI2, de.Keyboard, de.I3plus3]


# ---------------------------------------------------------------- published decision tables
@pytest.mark.parametrize("cls, table", [
    # Published item 7: target 0.30, epsilon1 = epsilon2 = 0.05, exclusion 0.95, middle dose.
    (de.MTPI2, {3: "E S D DU", 6: "E E S D DU DU DU", 9: "E E E S D DU DU DU DU DU"}),  # Guo et al. (2017) Fig. 3
    (de.MTPI, {3: "E S D DU", 6: "E E S S DU DU DU", 9: "E E S S S DU DU DU DU DU"}),  # Ji et al. (2010) Fig. 2
])
def test_published_decision_tables(cls, table):
    got = cls(target=0.3, cohort_size=3, max_n=9).decision_table()
    for n, row in table.items():
        assert got[n] == row.split(), n


def test_i3plus3_rule():
    # Liu, Wang & Ji (2020), J Biopharm Stat 30:294: above the EI but (y - 1) / n below it -> stay;
    # e.g. target 0.25, EI [0.20, 0.30]: 1/3 stays (0/3 is below the EI), 2/6 stays (1/6 is below),
    # 3/9 de-escalates (2/9 is inside), 2/3 de-escalates.
    # (No published i3+3 decision table could be found with the search tools available; the
    # rule is checked from its definition, and the kernel path by the outcome strings below.)
    t = de.I3plus3(target=0.25, cohort_size=3, max_n=9).decision_table()
    assert t[3] == ["E", "S", "D", "DU"]
    assert t[6][:4] == ["E", "E", "S", "D"]
    assert t[9][:4] == ["E", "E", "S", "D"]
    d = de.I3plus3(target=0.25, cohort_size=3, max_n=30, n_doses=3)
    assert d.next_dose("1NNN 2TNN").dose == 2
    assert d.next_dose("1NNN 2TTN").dose == 1


def test_keyboard_keys():
    # Keyboard (Yan, Mandrekar & Yuan 2017) drops keys that stick out of [0, 1]; with target 0.25 and
    # width 0.1 every key fits and the decisions equal mTPI-2's (Ji & Yang 2017 note the equivalence).
    # No published Keyboard decision table could be found with the search tools available.
    kb = de.Keyboard(target=0.25, cohort_size=3, max_n=18).decision_table()
    m2 = de.MTPI2(target=0.25, cohort_size=3, max_n=18).decision_table()
    assert kb == m2
    kb = de.Keyboard(target=0.3, cohort_size=3, max_n=9).decision_table()
    assert kb[3] == ["E", "S", "D", "DU"]


@pytest.mark.slow
def test_mtpi_published_oc():
    # Published item 8: Ji et al. (2010) Table 1 scenario 1 (third-party transcription).
    sc = de.Scenario([0.05, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], target=0.25)
    ex = de.exact(de.MTPI(target=0.25, cohort_size=3, max_n=30), sc)
    np.testing.assert_allclose(ex.selection[:4], [0.14, 0.78, 0.08, 0.0], atol=0.015)
    assert ex.no_selection < 0.005
    np.testing.assert_allclose(ex.n_patients[:5], [7.1, 18.3, 4.4, 0.2, 0.0], atol=0.35)


# ---------------------------------------------------------------- shared rules, live use
@pytest.mark.parametrize("cls", DESIGNS)
def test_shared_rules(cls):
    d = cls(target=0.3, cohort_size=3, max_n=30, n_doses=3)
    assert d.next_dose("").dose == 1
    assert d.next_dose("1NNN").dose == 2
    assert d.next_dose("1TTT").reason == "safety"  # dose 1 excluded: stop, no selection
    assert d.next_dose("1NNN 2TTT").dose == 1
    assert d.next_dose("1NNN 2TTT 1NNN").dose == 1  # never back to an excluded dose
    assert d.next_dose("1NNN 2NNN 3NNN").dose == 3  # top dose
    rec = d.next_dose("1NNN 2NTN")
    assert rec.p_tox is not None and np.isnan(rec.p_tox[2]) and rec.selected == 2
    es = cls(target=0.3, cohort_size=3, max_n=30, n_doses=3, n_earlystop=6)
    assert es.next_dose("1NNN 2NTN 2NNN").dose == 3  # 1/6: escalate, no stop
    assert es.next_dose("1NNN 2NTN 2NTN").reason == "design_rule"  # 2/6: stay -> stop
    assert d.select([3, 6, 3], [0, 1, 3]) == 2
    assert d.select([3, 0, 0], [3, 0, 0]) is None


@pytest.mark.parametrize("cls", DESIGNS)
def test_registry_and_bad_input(cls):
    from doseesc.designs import REGISTRY

    assert cls in REGISTRY.values()
    for kw, field in [(dict(epsilon1=0.0), "epsilon1"), (dict(epsilon1=0.4), "epsilon1"),
                      (dict(epsilon2=0.8), "epsilon2"),
                      (dict(target=1.0), "target"), (dict(cohort_size=0), "cohort_size"), (dict(max_n=1), "max_n"),
                      (dict(cutoff_eli=1.0), "cutoff_eli"), (dict(n_earlystop=0), "n_earlystop")]:
        args = dict(target=0.3, cohort_size=3, max_n=30)
        args.update(kw)
        with pytest.raises(ValueError, match=f"^{field}:"):
            cls(**args)


# ---------------------------------------------------------------- exact vs Monte Carlo
@pytest.mark.slow
@pytest.mark.parametrize("cls", DESIGNS)
def test_exact_agrees_with_monte_carlo(cls):
    d = cls(target=0.3, cohort_size=3, max_n=24, n_earlystop=12)
    sc = de.Scenario([0.1, 0.2, 0.35, 0.5, 0.65], target=0.3)
    ex = de.exact(d, sc)
    oc = de.simulate(d, sc, n_trials=50_000, seed=21)
    assert ex.selection.sum() + ex.no_selection == pytest.approx(1.0, abs=1e-12)
    for name in ("selection", "no_selection", "n_patients", "n_dlt", "sample_size"):
        z = np.abs(np.asarray(getattr(oc, name)) - getattr(ex, name)) / np.maximum(oc.se(name), 1e-9)
        assert np.all(z < 4), (name, z)


def test_compare_runs_all_designs():
    sc = de.Scenario([0.05, 0.15, 0.3, 0.45], target=0.3)
    designs = [de.BOIN(target=0.3, cohort_size=3, max_n=18)] + [c(target=0.3, cohort_size=3, max_n=18) for c in DESIGNS]
    cmp = de.compare(designs, [sc], n_trials=500, seed=2)
    diff, se = cmp.difference("pcs", 1, 0)
    assert np.isfinite(diff).all()


# ---------------------------------------------------------------- invariants
@pytest.mark.filterwarnings("ignore::doseesc.scenario.NonMonotoneWarning")  # any curve, rising or not
@given(p=st.lists(st.floats(0, 1), min_size=1, max_size=6), k=st.integers(0, 3), cs=st.integers(1, 3),
       cohorts=st.integers(1, 8), target=st.sampled_from([0.2, 0.25, 0.3]), seed=st.integers(0, 2**32))
def test_invariants(p, k, cs, cohorts, target, seed):
    d = DESIGNS[k](target=target, cohort_size=cs, max_n=cs * cohorts)
    sc = de.Scenario(p, target=target)
    oc = de.simulate(d, sc, n_trials=100, seed=seed)
    r = oc.records
    assert np.all(r.n_dlt <= r.n_patients)
    assert np.all(r.n_patients.sum(axis=1) <= cs * cohorts)
    assert oc.selection.sum() + oc.no_selection == pytest.approx(1.0)
    codes = d._codes(cs * cohorts)
    for t in range(len(r)):
        n, y = r.n_patients[t], r.n_dlt[t]
        ex = [j for j in range(len(p)) if n[j] >= 3 and int(codes[n[j], y[j]]) & 4]
        if ex:  # an excluded dose is never selected, nor any dose above it
            assert r.selected[t] == 0 or r.selected[t] - 1 < ex[0]


@pytest.mark.parametrize("x", [0.001, 0.05, 0.2, 0.25, 0.3, 0.5, 0.72, 0.999])
def test_posterior_cdf_equals_scipy_beta_cdf(x):
    # The interval designs' Beta(y + 1, n - y + 1) probabilities come from a binomial tail sum
    # (no scipy.stats at start-up); against scipy's incomplete beta for every 0 <= y <= n <= 300
    from scipy import stats

    from doseesc.designs.interval import _posterior_cdf

    n, y = np.meshgrid(np.arange(301), np.arange(301), indexing="ij")
    y = np.minimum(y, n)
    np.testing.assert_allclose(_posterior_cdf(x, n, y), stats.beta.cdf(x, y + 1.0, n - y + 1.0), rtol=0, atol=1e-14)
