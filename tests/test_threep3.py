"""3+3: decision tables, exact values from peers and papers, Monte Carlo vs exact, invariants."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import doseesc as de
from doseesc._jit import for_code
from doseesc._kernels import trial as ktrial
from doseesc._kernels.rng import make_key
from doseesc.scenario import NonMonotoneWarning

from . import naive

D33 = de.ThreePlusThree()


# ---------------------------------------------------------------- decision tables (outcome strings)
@pytest.mark.parametrize(
    "outcomes, n_doses, dose, stop, selected",
    [
        ("", 4, 1, False, None),
        ("1NNN", 4, 2, False, 1),
        ("1NNN 2NTN", 4, 2, False, 1),
        ("1NNN 2NTN 2NNN", 4, 3, False, 2),
        ("1NNN 2NTN 2NNT", 4, 1, False, 1),  # 2/6 at 2: back to 1 (3 patients) to fill it to 6
        ("1NNN 2NTN 2NNT 1NNN", 4, None, True, 1),  # 0/6 at 1: select it
        ("1NNN 2NTN 2NNT 1NTT", 4, None, True, None),  # 2/6 at the lowest dose: no MTD
        ("1NTT", 4, None, True, None),
        ("1TNN 1NNN 2TTN", 4, None, True, 1),  # 1 already has 6: select it
        ("1NNN 2NNN 3NNN 4NNN", 4, None, True, 4),  # top dose acceptable: select it
        ("1NNN 2NNN 3NNN 4NTN 4NNN", 4, None, True, 4),
        ("1NNN 2NNN 3NNN 4TTN", 4, 3, False, 3),
        ("1NNN 2NNN 3NNN 4TTN 3NNN", 4, None, True, 3),
        ("1NNN 2NNN 3NNN 4TTN 3TNN", 4, None, True, 3),  # 1/6 at 3
        ("1NNN 2NNN 3NNN 4TTN 3TNT", 4, 2, False, 2),  # 2/6 at 3: go to 2 (de-escalation mode)
        ("1NNN 2NNN 3NNN 4TTN 3TNT 2NNN", 4, None, True, 2),
    ],
)
def test_decision_table(outcomes, n_doses, dose, stop, selected):
    rec = D33.next_dose(outcomes, n_doses=n_doses)
    assert (rec.dose, rec.stop, rec.selected) == (dose, stop, selected)


def test_deescalation_mode_never_escalates_again():
    # At 2 after de-escalating from 3: 0/3 then 0/3 fills dose 2 to 6 patients and stops there.
    rec = D33.next_dose("1NNN 2NNN 3TTN 2NNN", n_doses=4)
    assert rec.dose is None and rec.selected == 2
    rec = de.ThreePlusThree(start_dose=2).next_dose("2TTN", n_doses=3)
    assert rec.dose == 1 and rec.cohort_size == 3
    rec = de.ThreePlusThree(start_dose=2).next_dose("2TTN 1NNN", n_doses=3)
    assert rec.dose == 1 and rec.cohort_size == 3  # fill to 6, never back up to 2


def test_escalation_only_variant():
    d = de.ThreePlusThree(deescalate=False)
    assert d.next_dose("1NNN 2NTN 2NNN 3TTN", n_doses=4).selected == 2
    assert d.next_dose("1NNN 2TTN", n_doses=4).selected == 1
    assert d.next_dose("1NTT", n_doses=4).selected is None


def test_select_from_counts():
    assert D33.select([3, 6, 3, 0], [0, 1, 2, 0]) == 2
    assert D33.select([6, 6, 0], [0, 2, 0]) == 1
    assert D33.select([6, 0], [2, 0]) is None
    assert D33.select([3, 3, 3], [0, 0, 0]) == 3


# ---------------------------------------------------------------- exact values no one here wrote
# ../shared/reference/exact_three_plus_three_visible.jsonl (exact 3+3, bcrm threep3 rules)
PEER_EXACT = [
    ([0.1, 0.2, 0.3, 0.45, 0.6], 1,
     [0.10041746315048568, 0.2848508117085736, 0.3368773936622637, 0.2240923704696337, 0.047631896825534856,
      0.00613006418350904],
     [4.432335337552037, 4.551878735395936, 3.3246089687908986, 1.4862669096481402, 0.2873467586019862],
     [0.4432335337552034, 0.9103757470791863, 0.9973826906372695, 0.6688201093416634, 0.17240805516119168]),
    ([0.02, 0.05, 0.25], 1,
     [0.004605119282643082, 0.028879974019407346, 0.3852623501485977, 0.5812525565493516],
     [3.2548832093997015, 4.415070011566487, 4.133351513239832],
     [0.06509766418799404, 0.22075350057832446, 1.0333378783099587]),
    ([0.05, 0.05, 0.5], 2,
     [0.0010391092473752976, 0.030666349248718455, 0.8009841735839841, 0.16731036791992185],
     [0.18954315725427245, 5.536166015624998, 4.015448830078125],
     [0.009477157862713623, 0.27680830078125007, 2.0077244150390623]),
]


@pytest.mark.parametrize("truth, start, sel, npd, dlt", PEER_EXACT)
def test_exact_matches_peer_reference(truth, start, sel, npd, dlt):
    ex = de.exact(de.ThreePlusThree(start_dose=start), de.Scenario(truth, target=0.3))
    np.testing.assert_allclose(np.r_[ex.no_selection, ex.selection], sel, atol=1e-12)
    np.testing.assert_allclose(ex.n_patients, npd, atol=1e-12)
    np.testing.assert_allclose(ex.n_dlt, dlt, atol=1e-12)
    assert np.all(ex.se("selection") == 0)


def test_exact_published_wheeler():
    # Published item 4: Wheeler's exact A+B calculations, p = (.1,.2,.3,.4,.5): to two decimals.
    ex = de.exact(D33, de.Scenario([0.1, 0.2, 0.3, 0.4, 0.5], target=0.3))
    np.testing.assert_allclose(np.r_[ex.no_selection, ex.selection], [0.10, 0.28, 0.33, 0.20, 0.06, 0.02], atol=0.005)


@pytest.mark.parametrize("truth, sel_pct, n_mean", [
    # Published item 11: bcrm threep3 esc.only, full path enumeration.
    ([0.05, 0.15, 0.30, 0.45, 0.60], [2.66, 18.13, 40.06, 29.98, 8.42, 0.76], [3.406, 3.870, 3.425, 1.654, 0.355]),
    ([0.25, 0.41, 0.45, 0.49, 0.53], [40.01, 42.39, 13.47, 3.37, 0.65, 0.11], [4.266, 2.570, 0.743, 0.171, 0.031]),
])
def test_exact_escalation_only_published(truth, sel_pct, n_mean):
    ex = de.exact(de.ThreePlusThree(deescalate=False), de.Scenario(truth, target=0.3))
    np.testing.assert_allclose(100 * np.r_[ex.no_selection, ex.selection], sel_pct, atol=0.005)
    np.testing.assert_allclose(ex.n_patients, n_mean, atol=0.0005)


def test_exact_probabilities_sum_to_one_and_counts_consistent():
    with pytest.warns(NonMonotoneWarning, match="falls from dose 1 to dose 2"):  # a zigzag truth, on purpose
        sc = de.Scenario([0.3, 0.1, 0.6, 0.2, 0.9, 0.05], target=0.25)
    ex = de.exact(D33, sc)
    assert ex.records.weight.sum() == pytest.approx(1.0, abs=1e-12)
    assert ex.selection.sum() + ex.no_selection == pytest.approx(1.0, abs=1e-12)
    assert np.all(ex.records.n_dlt <= ex.records.n_patients)
    assert np.all(ex.records.n_patients <= 6)


# ---------------------------------------------------------------- Monte Carlo vs exact
@pytest.mark.slow
@pytest.mark.parametrize("truth, start", [([0.05, 0.1, 0.2, 0.3, 0.45, 0.6], 1), ([0.2, 0.3, 0.5], 2),
                                          ([0.01, 0.02, 0.03], 1)])
def test_monte_carlo_agrees_with_exact(truth, start):
    d = de.ThreePlusThree(start_dose=start)
    sc = de.Scenario(truth, target=0.3, p_ae=[0.1] * len(truth))
    ex = de.exact(d, sc)
    oc = de.simulate(d, sc, n_trials=200_000, seed=11)
    for name in ("selection", "no_selection", "n_patients", "n_dlt", "n_ae", "sample_size", "pcs", "n_overdosed",
                 "overdose_60", "dlt_rate_above_target"):
        z = np.abs(np.asarray(getattr(oc, name)) - getattr(ex, name)) / np.maximum(oc.se(name), 1e-9)
        assert np.all(z < 4), (name, z)


# ---------------------------------------------------------------- kernel vs plain Python, trial by trial
@pytest.mark.parametrize("truth, start, deesc", [([0.1, 0.25, 0.4, 0.6], 1, True), ([0.3, 0.3, 0.3], 2, True),
                                                 ([0.1, 0.25, 0.4, 0.6], 1, False)])
def test_kernel_matches_naive_trial_by_trial(truth, start, deesc):
    d = de.ThreePlusThree(start_dose=start, deescalate=deesc)
    oc = de.simulate(d, de.Scenario(truth, target=0.3), n_trials=300, seed=5)
    r = oc.records
    for t in range(300):
        u = naive.tolerances(5, t, 6 * len(truth))
        sel, n, y = naive.three_plus_three(truth, u, start, deesc)
        assert r.selected[t] == sel
        assert r.n_patients[t].tolist() == n
        assert r.n_dlt[t].tolist() == y


# ---------------------------------------------------------------- invariants (hypothesis)
probs = st.lists(st.floats(0, 1), min_size=1, max_size=7)


@pytest.mark.filterwarnings("ignore::doseesc.scenario.NonMonotoneWarning")  # any curve, rising or not
@given(p=probs, start=st.integers(1, 7), deesc=st.booleans(), seed=st.integers(0, 2**32))
def test_invariants(p, start, deesc, seed):
    start = min(start, len(p))
    sc = de.Scenario(p, target=0.3)
    d = de.ThreePlusThree(start_dose=start, deescalate=deesc)
    oc = de.simulate(d, sc, n_trials=200, seed=seed)
    r = oc.records
    assert np.all(r.n_dlt <= r.n_patients)
    assert np.all(r.n_patients % 3 == 0) and np.all(r.n_patients <= 6)
    assert oc.selection.sum() + oc.no_selection == pytest.approx(1.0)
    # never select, nor treat above, a dose with >= 2 DLTs: doses above it get no more patients after it
    for t in range(len(r)):
        tox = np.flatnonzero(r.n_dlt[t] >= 2)
        if tox.size:
            assert r.selected[t] == 0 or r.selected[t] - 1 < tox.min()
    again = de.simulate(d, sc, n_trials=200, seed=seed)
    assert np.array_equal(again.records.n_patients, r.n_patients)
    assert np.array_equal(again.records.selected, r.selected)


@pytest.mark.filterwarnings("ignore::doseesc.scenario.NonMonotoneWarning")  # any curve, rising or not
@given(p=probs, seed=st.integers(0, 10**6))
def test_exact_is_a_probability_distribution(p, seed):
    ex = de.exact(D33, de.Scenario(p, target=0.3))
    assert ex.selection.sum() + ex.no_selection == pytest.approx(1.0, abs=1e-12)
    assert np.all(ex.n_dlt <= ex.n_patients + 1e-12)


# ---------------------------------------------------------------- reproducibility
def test_results_do_not_depend_on_chunking():
    d = D33.lower(5)
    sc = de.Scenario([0.1, 0.2, 0.3, 0.4, 0.5], target=0.3)
    from doseesc.engine import api

    whole = api._run_mc(d, [sc], [make_key(3)], 1000)
    # the same trials computed as two kernel calls with a trial offset
    n = 1000
    sel = np.empty(n, np.int64)
    rs = np.empty(n, np.int64)
    npat = np.empty((n, 5), np.int32)
    ndlt = np.empty((n, 5), np.int32)
    nae = np.empty((n, 5), np.int32)
    p = np.array(sc.p_tox)  # a writable copy: a read-only one would compile run_batch a second time
    dur = np.empty(n)
    wait = np.empty(n)
    away = np.empty(n, np.int64)
    ndrop = np.empty((n, 5), np.int32)
    for lo, hi in ((0, 337), (337, 1000)):
        for_code(ktrial.run_batch, d.code, d.ipar, d.fpar, d.tab, d.rules, d.safety_tab, np.zeros(8), p[None],
                 p[None], p[None], p[None], np.array([make_key(3)]), 1000, lo, d.max_n, d.n_aux, d.n_work,
                 sel[lo:hi], rs[lo:hi], npat[lo:hi], ndlt[lo:hi], nae[lo:hi], ndrop[lo:hi],
                 np.empty((hi - lo, 0), np.int32), dur[lo:hi], wait[lo:hi], away[lo:hi],
                 np.zeros((numba.get_num_threads(), max(d.n_work, 1))))
    assert np.array_equal(whole.n_patients, npat)
    assert np.array_equal(whole.selected, sel + 1)


def test_thread_count_does_not_change_results(tmp_path):
    import subprocess
    import sys

    code = ("import doseesc as de, hashlib, numpy as np;"
            "oc = de.simulate(de.ThreePlusThree(), de.Scenario([0.1,0.2,0.3,0.4,0.5,0.6], target=0.3), 20000, 7);"
            "r = oc.records; print(hashlib.sha256(r.n_patients.tobytes() + r.n_dlt.tobytes()"
            " + r.selected.tobytes()).hexdigest())")
    out = {}
    for threads in ("1", "2"):
        env = dict(__import__("os").environ, NUMBA_NUM_THREADS=threads)
        out[threads] = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                      check=True).stdout.strip()
    assert out["1"] == out["2"] and len(out["1"]) == 64
    # and in-process, through the threads= argument
    sc = de.Scenario([0.1, 0.2, 0.3, 0.4], target=0.3)
    a = de.simulate(D33, sc, 5000, 2, threads=1).records
    b = de.simulate(D33, sc, 5000, 2, threads=2).records
    assert np.array_equal(a.n_patients, b.n_patients) and np.array_equal(a.selected, b.selected)


def test_common_random_numbers_in_compare():
    sc = de.Scenario([0.1, 0.2, 0.35, 0.5], target=0.3)
    cmp = de.compare([D33, D33], [sc], n_trials=2000, seed=4)
    diff, se = cmp.difference("pcs", 1, 0)
    assert diff == 0 and se == 0  # the same design on the same patients: identical trials
    cmp = de.compare([D33, de.ThreePlusThree(deescalate=False)], [sc], n_trials=5000, seed=4)
    diff, se = cmp.difference("sample_size", 1, 0)
    unpaired = np.hypot(cmp.oc[0][0].se("sample_size"), cmp.oc[1][0].se("sample_size"))
    assert 0 < se < unpaired  # pairing reduces the standard error
    assert diff < 0  # escalation-only never treats more patients than with de-escalation


# ---------------------------------------------------------------- A+B (Lin & Shih 2001)
AB = [dict(a=4, b=4, c=1, d=2, e=2), dict(a=3, b=3, c=1, d=1, e=2), dict(a=2, b=4, c=2, d=1, e=2),
      dict(a=3, b=6, c=1, d=2, e=3), dict(a=5, b=5, c=2, d=3, e=3)]


@pytest.mark.parametrize("ab", AB)
@pytest.mark.parametrize("truth", [[0.05, 0.15, 0.3, 0.45, 0.6], [0.25, 0.41, 0.45, 0.49, 0.53]])
def test_a_plus_b_escalation_only_equals_the_closed_forms(ab, truth):
    # exact enumeration against Lin & Shih's closed-form selection probabilities and patients per dose
    ex = de.exact(de.ThreePlusThree(deescalate=False, **ab), de.Scenario(truth, target=0.3))
    sel, n = naive.a_plus_b_escalation_only(truth, ab["a"], ab["b"], ab["c"], ab["d"], ab["e"])
    np.testing.assert_allclose(np.r_[ex.no_selection, ex.selection], sel, atol=1e-12)
    np.testing.assert_allclose(ex.n_patients, n, atol=1e-12)


def test_a_plus_b_closed_forms_give_the_3_plus_3_published_values():
    # the closed forms with A = B = 3, C = D = E = 1 give bcrm's published escalation-only values
    sel, n = naive.a_plus_b_escalation_only([0.05, 0.15, 0.30, 0.45, 0.60], 3, 3, 1, 1, 1)
    np.testing.assert_allclose(100 * sel, [2.66, 18.13, 40.06, 29.98, 8.42, 0.76], atol=0.005)
    np.testing.assert_allclose(n, [3.406, 3.870, 3.425, 1.654, 0.355], atol=0.0005)


@pytest.mark.parametrize("ab", AB)
@pytest.mark.parametrize("deesc, start", [(True, 1), (True, 2), (False, 1)])
def test_a_plus_b_kernel_matches_the_rules_written_out_trial_by_trial(ab, deesc, start):
    truth = [0.1, 0.25, 0.4, 0.6]
    d = de.ThreePlusThree(start_dose=start, deescalate=deesc, **ab)
    r = de.simulate(d, de.Scenario(truth, target=0.3), n_trials=300, seed=5).records
    for t in range(300):
        u = naive.tolerances(5, t, (ab["a"] + ab["b"]) * len(truth))
        sel, n, y = naive.a_plus_b(truth, u, ab["a"], ab["b"], ab["c"], ab["d"], ab["e"], start, deesc)
        assert r.selected[t] == sel, t
        assert r.n_patients[t].tolist() == n, t
        assert r.n_dlt[t].tolist() == y, t


@pytest.mark.parametrize("ab", AB[:3])
def test_a_plus_b_exact_equals_monte_carlo(ab):
    sc = de.Scenario([0.1, 0.25, 0.4, 0.6], target=0.3)
    d = de.ThreePlusThree(**ab)
    ex, mc = de.exact(d, sc), de.simulate(d, sc, n_trials=20_000, seed=3)
    for name in ("selection", "no_selection", "n_patients", "n_dlt"):
        e, m, s = (np.atleast_1d(x) for x in (getattr(ex, name), getattr(mc, name), mc.se(name)))
        assert np.all(np.abs(e - m) <= 4 * s + 1e-12), (name, e, m, s)


def test_a_plus_b_defaults_are_the_3_plus_3():
    sc = de.Scenario([0.1, 0.2, 0.3, 0.4, 0.5], target=0.3)
    assert de.ThreePlusThree(a=3, b=3, c=1, d=1, e=1) == de.ThreePlusThree()
    assert de.ThreePlusThree().label() == "3+3" and de.ThreePlusThree(a=4, b=4, d=2, e=2).label() == \
        "4+4 (A+B: C 1, D 2, E 2)"
    ex = de.exact(de.ThreePlusThree(a=3, b=3, c=1, d=1, e=1), sc)
    np.testing.assert_allclose(np.r_[ex.no_selection, ex.selection], [0.10, 0.28, 0.33, 0.20, 0.06, 0.02], atol=0.005)


@pytest.mark.parametrize("kw, field", [(dict(a=0), "a"), (dict(a=13), "a"), (dict(d=3), "d"), (dict(c=3), "c"),
                                       (dict(c=0), "c"), (dict(e=0), "e"), (dict(e=6), "e"), (dict(b=0), "b")])
def test_a_plus_b_bad_parameters(kw, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        de.ThreePlusThree(**kw)


def test_a_plus_b_with_backfill_is_refused():
    with pytest.raises(ValueError, match="^with_backfill: the backfill 3\\+3 follows the 3\\+3's rules"):
        de.ThreePlusThree(a=4, b=4, d=2, e=2).with_backfill(cap=3)


@pytest.mark.parametrize("ab", [{}, dict(a=4, b=4, c=1, d=2, e=2)])
def test_escalation_only_stop_without_a_dose_is_a_safety_stop(ab):
    # helper audit: the escalation-only version recorded 'design_rule' when no dose below was acceptable,
    # so 'stopped for safety' read 0 beside 83% of trials selecting no dose
    sc = de.Scenario([0.5, 0.6, 0.7], target=0.3)
    d = de.ThreePlusThree(deescalate=False, **ab)
    for oc in (de.exact(d, sc), de.simulate(d, sc, n_trials=2000, seed=1)):
        assert oc.no_selection > 0.8
        assert oc.stop_reasons["safety"] == pytest.approx(oc.no_selection, abs=1e-12) == oc.early_stop
    assert d.next_dose("1" + "NTT" if not ab else "1NTTT", n_doses=3).reason == "safety"
    assert de.ThreePlusThree(deescalate=False).next_dose("1NNN 2NTT", n_doses=3).reason == "design_rule"


def test_a_plus_b_text_when_no_cohort_is_inconclusive():
    # C = D + 1: B is never used while escalating; escalation only, a dose holds at most A patients
    sc = de.Scenario([0.1, 0.2, 0.3, 0.4], target=0.3)
    d = de.ThreePlusThree(a=2, b=4, c=2, d=1, e=2, deescalate=False)
    rows = dict(d.spec_rows(sc))
    assert rows["Patients per dose, at most"] == "2" and rows["Maximum sample size"] == "8 (2 x 4 doses)"
    assert rows["Treat 4 more at the same dose"] == "never while escalating"
    assert "otherwise the dose exceeds the MTD (C = D + 1" in d.describe(sc)
    ex = de.exact(d, sc)
    assert ex.records.n_patients.max() == 2 and ex.records.n_patients.sum(axis=1).max() == 8
    assert dict(de.ThreePlusThree(e=2).spec_rows(sc))["Treat 3 more at the same dose"] == "1 of 3"
