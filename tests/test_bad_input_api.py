"""Bad input to the Python API raises a one-line ValueError naming the field (fuzzing audit)."""

import numpy as np
import pytest

import doseesc as de
from doseesc import evidence

SC = de.Scenario([0.05, 0.12, 0.25, 0.40, 0.55], target=0.25)
CRM = de.CRM(skeleton=[0.1, 0.2, 0.3, 0.4, 0.5], target=0.25, max_n=12)


def boin(**kw):
    return de.BOIN(target=0.25, cohort_size=3, max_n=12, **kw)


def raises(match, fn, *args, **kw):
    with pytest.raises(ValueError, match=match) as e:
        fn(*args, **kw)
    assert "\n" not in str(e.value)
    return str(e.value)


# 1, 2: calibrate's arguments
def test_calibrate_list_valued_grid_option_names_it_and_the_skeleton_route():
    msg = raises(r"^grid\.skeleton: each value must be a number", de.calibrate, CRM, SC,
                 grid={"skeleton": [[0.1, 0.2, 0.3, 0.4, 0.5], [0.1, 0.2]]}, n_trials=50)
    assert "halfwidth and nu" in msg


@pytest.mark.parametrize("kw,match", [
    (dict(grid="halfwidth"), r"^grid: expected a dict \{option: \[values\]\}"),
    (dict(grid=[("halfwidth", [0.05])]), r"^grid: expected a dict"),
    (dict(search="halfwidth"), r"^search: expected a dict"),
    (dict(grid={1: [2]}), r"^grid: option names must be strings"),
    (dict(search={"max_n": ["9", "12"]}), r"^search: max_n needs a range \[low, high\] of two numbers"),
    (dict(search={"max_n": [9, 12, 15]}), r"^search: max_n needs a range"),
    (dict(grid={"max_n": {"a": 1}}), r"^grid: max_n needs a list of values"),
    (dict(grid={"max_n": [9]}, constraints={"pcs >= 0.5": 1}), r"^constraints: expected a list"),
    (dict(grid={"max_n": [9]}, objective="min:"), r"^objective: 'min:' needs the option"),
])
def test_calibrate_refuses_malformed_tables(kw, match):
    raises(match, de.calibrate, boin(), SC, n_trials=50, **kw)


def test_calibrate_summary_top_is_a_positive_integer():
    cal = de.calibrate(boin(), SC, grid={"max_n": [9, 12]}, n_trials=20, seed=1)
    raises(r"^top: must be an integer >= 1, got -1", cal.summary, -1)
    raises(r"^top: expected an integer", cal.summary, "2")
    assert cal.summary(1)


# 3: huge n_trials
def test_huge_n_trials_is_refused_by_name_not_memory_error():
    raises(r"^n_trials: .*at most 1,000,000,000", de.optimal_benchmark, SC, max_n=24, n_trials=10**12)
    raises(r"^n_trials: .*at most 1,000,000,000", de.calibrate, boin(), SC, grid={"max_n": [9]}, n_trials=10**12)
    raises(r"^n_trials: .*at most 1,000,000,000", de.compare, [boin()], SC, n_trials=10**12)


@pytest.mark.parametrize("kw,match", [
    (dict(max_n=0), "^max_n: "), (dict(max_n=24, seed=-1), "^seed: "), (dict(max_n=24, ties="coin"), "^ties: "),
    (dict(max_n="24"), "^max_n: "), (dict(max_n=24, n_trials=2.5), "^n_trials: "),
])
def test_optimal_benchmark_arguments(kw, match):
    raises(match, de.optimal_benchmark, SC, **kw)


def test_benchmark_memory_is_checked_up_front(monkeypatch):
    from doseesc.engine import api

    monkeypatch.setattr(api, "memory_budget", lambda: 10_000)
    raises(r"^n_trials: 1,000,000 benchmark trials need .* GiB", de.optimal_benchmark, SC, 24, n_trials=10**6)


# 4: sample sizes of the evidence samplers
def test_evidence_samplers_bound_n():
    pr = evidence.dose_response_prior([1, 2, 4])
    raises(r"^n: must be an integer from 1 to 1000000, got 1000000000", evidence.sample_scenarios, pr, [1, 2, 4],
           n=10**9, seed=1)
    tox = evidence.beta_prior("dlt", discount=0.5)
    raises(r"^n: must be an integer from 1 to 1000000", evidence.sample_joint_scenarios, tox,
           evidence.efficacy_prior("B"), [1, 2, 4], n=10**9, seed=1)
    raises(r"^n: must be an integer from 1 to 1000000", evidence.sample_graded_scenarios, evidence.grade_prior(),
           [1, 2, 4], n=10**9, seed=1)
    raises(r"^doses: at most 1000 doses", evidence.sample_scenarios, pr, list(range(1, 2000)), n=1, seed=1)


# 5: priors whose curves would be NaN
@pytest.mark.parametrize("kw,match", [
    (dict(sd=(1e300, 1e300)), r"^sd: .*at most 100 \(logit scale\)"),
    (dict(sd=(1.0, 50.0)), r"^sd: .*sd\(log_beta\) at most 10"),
    (dict(mean=(1e300, 0.0)), r"^mean: .*alpha from -100 to 100"),
    (dict(mean=(0.0, 800.0)), r"^mean: .*log_beta from -10 to 10"),
    (dict(d_ref=5e-324), r"^d_ref: every dose / d_ref must be a finite positive ratio"),
])
def test_dose_response_prior_bounds(kw, match):
    raises(match, evidence.dose_response_prior, [1, 2, 4], **kw)


def test_dose_response_prior_at_its_bounds_is_finite():
    pr = evidence.dose_response_prior([1, 2, 4], mean=(100, 10), sd=(100, 10))
    assert np.all(np.isfinite(pr.mean_curve())) and np.all(np.isfinite(pr.skeleton(0.2)))


def test_beta_shape_bounds():
    raises(r"^a0: must be > 0 and at most 1,000,000", evidence.beta_prior, "dlt", a0=1e300)
    raises(r"^b0: must be > 0 and at most 1,000,000", evidence.efficacy_prior, "B", b0=1e300)
    raises(r"^robust: expected \(a, b\) with 0 < a, b <= 1,000,000", evidence.beta_prior, "dlt", robust_weight=0.2,
           robust=(1e300, 1))


# 6: records
@pytest.mark.parametrize("bad", [5, 1.5, {"A": 1}.values()])
def test_records_names_the_argument_and_the_trial_keys(bad):
    msg = raises(r"^trial: expected a trial key \('A', 'B', 'C', 'D'\)", evidence.records, bad)
    assert "got" in msg
    raises(r"^trials: expected a trial key", evidence.beta_prior, "dlt", trials=5)


# 7: ragged scenario sets
def test_scenario_set_ragged_rows():
    raises(r"^p_tox: every scenario in the set needs the same number of doses \(got 2 and 1\)", de.ScenarioSet,
           [[0.1, 0.2], [0.1]], target=0.3)
    raises(r"^p_eff: every scenario in the set needs the same number of doses \(got 2 and 3\)", de.ScenarioSet,
           [[0.1, 0.2], [0.1, 0.3]], target=0.3, p_eff=[[0.2, 0.3], [0.2, 0.3, 0.4]])
    raises(r"^p_ae: ", de.ScenarioSet, [[0.1, 0.2], [0.1, 0.3]], target=0.3, p_ae=[[0.2, 0.3], [0.2]])
    raises(r"^p_tox: expected an array of numbers", de.ScenarioSet, [["a", "b"], ["c", "d"]], target=0.3)


# 8: compare's designs
def test_compare_accepts_one_design():
    one = de.compare(boin(), SC, n_trials=20, benchmark=False)
    assert len(one.designs) == 1 and one.oc[0][0].n_trials == 20


def test_compare_refuses_duplicate_names():
    raises(r"^designs: two designs are labelled 'A'; give each a distinct name=", de.compare,
           [boin(name="A"), boin(name="A")], SC, n_trials=20)
    # a name equal to another design's generated label is ambiguous too
    raises(r"^designs: two designs are labelled", de.compare, [boin(), boin(name=boin().label())], SC, n_trials=20)
    # the same unnamed design twice stays allowed (a check of the common random numbers)
    cmp = de.compare([boin(), boin()], SC, n_trials=20, benchmark=False)
    assert cmp.difference("pcs", 1, 0)[0] == 0


@pytest.mark.parametrize("bad", ["BOIN", 3, {"a": 1}])
def test_compare_refuses_non_designs(bad):
    raises(r"^designs?: ", de.compare, bad, SC, n_trials=20)


def test_compare_refuses_non_scenarios():
    raises(r"^scenarios: expected a Scenario", de.compare, [boin()], 3, n_trials=20)


# 9: one trial: allowed (a single simulated trial), with no standard errors rather than NaN in tables
def test_one_trial_has_no_standard_errors_and_no_nan_in_tables():
    raises(r"^n_trials: must be an integer >= 1, got 0", de.simulate, boin(), SC, n_trials=0)
    cmp = de.compare([boin(), boin(cutoff_eli=0.9)], SC, n_trials=1)
    text = cmp.summary()
    assert "nan" not in text.lower() and "(n/a)" in text
    oc = de.simulate(boin(), SC, n_trials=2)
    assert np.all(np.isfinite(oc.se("selection")))


# 10: Comparison indices and metrics
@pytest.fixture(scope="module")
def cmp():
    return de.compare([boin(), boin(cutoff_eli=0.9)], SC, n_trials=50, seed=1)


@pytest.mark.parametrize("args,match", [
    (("pcs", 5, 0), r"^i: expected an index of the designs, an integer from 0 to 1, got 5"),
    (("pcs", -1, 0), r"^i: expected an index of the designs, an integer from 0 to 1, got -1"),
    (("pcs", 1.0, 0), r"^i: expected an integer index of the designs \(0 to 1\), got 1.0"),
    (("pcs", "1", 0), r"^i: expected an index of the designs"),
    (("pcs", 1, 2), r"^j: expected an index of the designs"),
    (("pcs", 1, 0, 1), r"^scenario: expected an index of the scenarios, an integer from 0 to 0, got 1"),
    (("pcs", 1, 0, -1), r"^scenario: "),
    (("foo", 1, 0), r"^metric: unknown per-trial summary 'foo'; choose one of selection, no_selection, pcs"),
    ((None, 1, 0), r"^metric: unknown per-trial summary None"),
])
def test_comparison_difference_validates(cmp, args, match):
    raises(match, cmp.difference, *args)


def test_comparison_difference_still_works(cmp):
    d, se = cmp.difference("selection", 1, 0)
    assert d.shape == (5,) and np.all(np.isfinite(se))
    assert np.isfinite(cmp.difference("pcs", 1)[1])


def test_comparison_benchmark_for_validates(cmp):
    raises(r"^i: expected an index of the designs", cmp.benchmark_for, 2)
    raises(r"^scenario: expected an index of the scenarios", cmp.benchmark_for, 0, 3)
    assert cmp.benchmark_for(1) is not None


def test_exact_comparison_metric_is_validated():
    from doseesc.results import Comparison

    ex = [de.exact(de.ThreePlusThree(), SC)]
    c = Comparison(designs=[de.ThreePlusThree(), de.ThreePlusThree()], scenarios=[SC], oc=[ex, ex])
    raises(r"^metric: unknown per-trial summary 'foo'; choose one of .*pcs", c.difference, "foo", 1, 0)
    assert c.difference("pcs", 1, 0)[0] == 0


def test_label_helper_refuses_empty_names():
    from doseesc import _validate as v

    raises(r"^name: must be a non-empty string", v.label, "name", "")
    raises(r"^name: must be a non-empty string", v.label, "name", "  ")
    assert v.label("name", None) is None and v.label("name", "A") == "A"


@pytest.mark.parametrize("call, field", [
    (lambda: de.simulate(de.ThreePlusThree(), de.Scenario([0.1, 0.2], target=0.3), 10, progress="yes"), "progress"),
    (lambda: de.compare([de.ThreePlusThree()], [de.Scenario([0.1, 0.2], target=0.3)], 10, benchmark="no"),
     "benchmark"),
    (lambda: de.Scenario({0.4, 0.05, 0.25}, target=0.25), "p_tox: expected an ordered list"),
])
def test_flags_are_booleans_and_dose_lists_ordered(call, field):
    # CLI audit: 'no' was read as true (Python's truthiness); a set's order is arbitrary
    with pytest.raises(ValueError, match=f"^{field}"):
        call()
