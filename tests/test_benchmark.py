"""The complete-information benchmark (O'Quigley, Paoletti & Maccario 2002).

Checked against an exact computation (a dynamic programme over the multinomial counts of the
tolerances, ``naive.benchmark_exact``) and trial by trial against a plain-Python reading of the
designs' own latent tolerances; then as an upper bound of the designs' correct selection on
varied scenarios; and with ``ties="random"`` against the benchmark application of Wages &
Varhegyi (University of Virginia; its ``npoptimal``, run in R on seven settings, 400,000 trials
each: tests/data/peer_npoptimal.json, benchmarks/r/npoptimal_benchmark.R). (No published table of
the benchmark was reachable from here: the papers that report it -- e.g. Wages, Conaway &
O'Quigley 2013, Clin Trials 10:862 -- could not be read beyond their abstracts.)
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import doseesc as de

from . import naive

PEER_NPOPTIMAL = json.loads((pathlib.Path(__file__).parent / "data" / "peer_npoptimal.json").read_text())

SCENARIOS = [
    ([0.05, 0.10, 0.25, 0.40, 0.55], 0.25, 24),
    ([0.02, 0.06, 0.12, 0.25, 0.40], 0.25, 24),
    ([0.10, 0.20, 0.30, 0.45, 0.60], 0.30, 20),
    ([0.30, 0.40, 0.50], 0.20, 9),
    ([0.01, 0.02, 0.03, 0.05], 0.30, 12),
    ([0.05, 0.12, 0.20, 0.28, 0.35, 0.45], 0.25, 36),
]


@pytest.mark.slow
@pytest.mark.parametrize("ties", ["monotone", "lowest"])
@pytest.mark.parametrize("p,target,n", SCENARIOS)
def test_monte_carlo_matches_the_exact_selection_distribution(p, target, n, ties):
    # 40,000 trials: SE of a selection fraction <= 0.0025; every dose within 4 SE
    exact = np.array(naive.benchmark_exact(p, target, n, ties))
    assert abs(exact.sum() - 1) < 1e-12
    b = de.optimal_benchmark(de.Scenario(p, target=target), n, n_trials=40_000, seed=7, ties=ties)
    se = np.sqrt(exact * (1 - exact) / b.n_trials)
    assert np.all(np.abs(b.selection - exact) <= 4 * se + 1e-12), (b.selection, exact)


@pytest.mark.parametrize("ties", ["monotone", "lowest", "random"])
def test_each_trial_uses_the_designs_own_patients(ties):
    from doseesc._kernels.rng import STREAM_BENCHMARK, make_key, uniform

    p, target, n = [0.05, 0.10, 0.25, 0.40, 0.55], 0.25, 18
    b = de.optimal_benchmark(de.Scenario(p, target=target), n, n_trials=400, seed=5, ties=ties)
    n_ties = 0
    for t in range(400):
        u = naive.tolerances(5, t, n)
        dist = [abs(sum(x < q for x in u) - n * target) for q in p]
        counts = [sum(x < q for x in u) for q in p]
        tied = [d for d in range(len(p)) if dist[d] <= min(dist) + 1e-9]
        n_ties += len(tied) > 1
        coin = uniform(make_key(5), t, 0, STREAM_BENCHMARK)
        at = [d for d in tied if abs(counts[d] - n * target) <= 1e-9]
        below = [d for d in tied if counts[d] < n * target - 1e-9]
        above = [d for d in tied if counts[d] > n * target + 1e-9]
        if ties == "lowest":
            pick = tied[0]
        elif ties == "random":  # npoptimal's reading: rates in double precision, equal distances tied
            fd = [abs(c / n - target) for c in counts]
            even = [d for d in range(len(p)) if fd[d] == min(fd)]
            pick = even[0] if len(even) == 1 else even[min(len(even) - 1, int(coin * len(even)))]
        elif at:
            pick = at[min(len(at) - 1, int(coin * len(at)))]
        elif below and above:
            pick = below[-1] if coin < 0.5 else above[0]
        else:
            pick = below[-1] if below else above[0]
        assert b.selected[t] == pick + 1, t
    assert n_ties > 20


def test_tolerances_are_the_ones_a_design_sees():
    # 3+3 starts with patients 0-2 at dose 1; where no one else is treated there, its DLTs at
    # dose 1 are the benchmark's count among those three
    sc = de.Scenario([0.3, 0.5], target=0.3)
    oc = de.simulate(de.ThreePlusThree(), sc, n_trials=200, seed=2)
    checked = 0
    for t in np.flatnonzero(oc.records.n_patients[:, 0] == 3):
        u = naive.tolerances(2, int(t), 3)
        assert oc.records.n_dlt[t, 0] == sum(x < 0.3 for x in u)
        checked += 1
    assert checked > 50


def test_thread_count_and_scenario_sets():
    ss = de.ScenarioSet(np.array([[0.05, 0.1, 0.25, 0.4], [0.1, 0.25, 0.4, 0.5]]), target=0.25)
    a = de.optimal_benchmark(ss, 12, n_trials=3000, seed=4, threads=1)
    b = de.optimal_benchmark(ss, 12, n_trials=3000, seed=4)
    assert np.array_equal(a.selected, b.selected) and a.n_trials == 6000
    one = de.optimal_benchmark(ss.scenarios[1], 12, n_trials=3000, seed=4)
    assert not np.array_equal(one.selected, a.selected[3000:])  # set members have their own patients
    exact = [np.array(naive.benchmark_exact(s.p_tox, 0.25, 12)) for s in ss]  # ties by monotonicity and a coin
    pcs = np.mean([e[list(s.correct_doses - 1)].sum() for e, s in zip(exact, ss)])
    assert abs(a.pcs - pcs) < 4 * a.se("pcs")


def _designs(target, n, D):
    sk = de.crm_skeleton(0.05, target, nu=(D + 1) // 2, n_doses=D)
    return [de.ThreePlusThree(), de.BOIN(target=target, cohort_size=3, max_n=n),
            de.Keyboard(target=target, cohort_size=3, max_n=n), de.MTPI2(target=target, cohort_size=3, max_n=n),
            de.I3plus3(target=target, cohort_size=3, max_n=n),
            de.CRM(skeleton=sk, target=target, cohort_size=1, max_n=n),
            de.CRM(skeleton=sk, target=target, cohort_size=3, max_n=n, model="logistic")]


# Scenarios of the references (../shared/reference: Zhao et al. 2024 S1-S3, Ji et al. 2010, the
# peer files' BOIN and CRM rows, Cheung 2011 Table 3.2) and a few more shapes: MTD at the top,
# every dose too toxic, closely spaced doses, three doses.
LITERATURE = [
    ((0.05, 0.10, 0.25, 0.40, 0.55), 0.25), ((0.02, 0.06, 0.12, 0.25, 0.40), 0.25),
    ((0.25, 0.41, 0.45, 0.49, 0.53), 0.25), ((0.12, 0.25, 0.42, 0.49, 0.55), 0.25),
    ((0.04, 0.12, 0.25, 0.43, 0.63), 0.25), ((0.05, 0.10, 0.20, 0.30, 0.45, 0.60), 0.30),
    ((0.10, 0.20, 0.30, 0.45, 0.60), 0.30), ((0.02, 0.04, 0.10, 0.25, 0.50), 0.25),
    ((0.05, 0.25, 0.50, 0.60, 0.70, 0.80, 0.90, 0.95), 0.25), ((0.01, 0.05, 0.10, 0.15, 0.30), 0.30),
    ((0.40, 0.50, 0.60, 0.70), 0.25), ((0.10, 0.15, 0.20, 0.25, 0.30), 0.30), ((0.02, 0.05, 0.25), 0.20),
    ((0.15, 0.30, 0.45), 0.30),
]


@pytest.mark.slow
@pytest.mark.parametrize("n", [24, 30])
def test_benchmark_bounds_every_design_within_monte_carlo_error(n):
    # 4,000 trials per scenario; paired differences on the same patients: design PCS minus
    # benchmark PCS <= 4 paired SEs (measured with 10,000 trials and n = 24: the closest any
    # design came was CRM (logistic) 1.2 points below it, z = -3.1, with the MTD at the top dose).
    # Not a theorem: with 18 patients that CRM beats it by 4.9 points (SE 0.65) in that scenario,
    # and conservative designs beat its coin where the two doses nearest the target are at
    # similar distances on either side of it (see doseesc/benchmark.py).
    for p, target in LITERATURE:
        sc = de.Scenario(p, target=target)
        cmp = de.compare(_designs(target, n, len(p)), [sc], n_trials=4000, seed=13)
        for i, d in enumerate(cmp.designs):
            b = cmp.benchmark_for(i, 0)
            diff, se = b.difference(cmp.oc[i][0])
            assert diff <= 4 * se, (d.label(), sc.label(), diff, se)


def test_compare_reports_the_benchmark():
    sc = de.Scenario([0.05, 0.10, 0.25, 0.40, 0.55], target=0.25)
    designs = [de.BOIN(target=0.25, cohort_size=3, max_n=24), de.BOIN(target=0.25, cohort_size=3, max_n=24,
                                                                        name="BOIN again")]
    cmp = de.compare(designs, [sc], n_trials=1000, seed=3)
    assert list(cmp.benchmark[0]) == [24]
    b = cmp.benchmark[0][24]
    assert np.array_equal(b.selected, de.optimal_benchmark(sc, 24, 1000, 3).selected)
    d = cmp.to_dict()
    assert d["benchmark"][0]["max_n"] == 24 and d["benchmark"][0]["pcs"] == pytest.approx(b.pcs)
    row = d["results"][0]
    diff, se = b.difference(cmp.oc[0][0])
    assert row["pcs_benchmark"] == pytest.approx(b.pcs) and row["pcs_diff_vs_benchmark"] == pytest.approx(diff)
    assert row["pcs_diff_vs_benchmark_se"] == pytest.approx(se) and se > 0
    assert "complete information, 24 pts" in cmp.summary()
    assert de.compare(designs, [sc], n_trials=100, benchmark=False).benchmark is None


def test_difference_needs_the_same_patients():
    sc = de.Scenario([0.05, 0.10, 0.25, 0.40, 0.55], target=0.25)
    b = de.optimal_benchmark(sc, 24, n_trials=500, seed=1)
    with pytest.raises(ValueError, match="^oc: "):
        b.difference(de.simulate(de.BOIN(target=0.25, cohort_size=3, max_n=24), sc, n_trials=500, seed=2))
    with pytest.raises(ValueError, match="^metric: "):
        b.difference(de.simulate(de.BOIN(target=0.25, cohort_size=3, max_n=24), sc, n_trials=500, seed=1), "x")


@pytest.mark.parametrize("kw,field", [(dict(max_n=0), "max_n"), (dict(max_n=10**6), "max_n"),
                                      (dict(n_trials=0), "n_trials"), (dict(seed=-1), "seed"),
                                      (dict(ties="coin"), "ties")])
def test_bad_input(kw, field):
    args = dict(scenario=de.Scenario([0.1, 0.3], target=0.25), max_n=12)
    args.update(kw)
    with pytest.raises(ValueError, match=f"^{field}: ") as e:
        de.optimal_benchmark(**args)
    assert "\n" not in str(e.value)
    if field == "ties":  # the allowed values are named
        assert all(t in str(e.value) for t in ("monotone", "lowest", "random"))
    with pytest.raises(ValueError, match="^scenario: "):
        de.optimal_benchmark([0.1, 0.2], 12)


@pytest.mark.parametrize("setting", PEER_NPOPTIMAL["settings"], ids=lambda s: s["id"])
def test_random_ties_match_wages_and_varhegyis_benchmark_application(setting):
    """Selection per dose of ``ties="random"`` against the application's ``npoptimal`` (400,000 R
    trials, percentages printed to one decimal): within 4 combined SEs plus the printing's 0.05
    points, at every dose. The default rule settles ties differently and is far off in S5 and S7,
    where the application's uniform choice among tied doses decides much of the selection."""
    n_trials = 200_000
    sc = de.Scenario(setting["r"], target=setting["theta"])
    b = de.optimal_benchmark(sc, setting["n"], n_trials=n_trials, seed=11, ties="random")
    peer = np.array(setting["selection_percent"]) / 100
    se = np.sqrt(b.selection * (1 - b.selection) / n_trials + peer * (1 - peer) / setting["B"])
    assert np.all(np.abs(b.selection - peer) <= 4 * se + 0.0005), (b.selection, peer)
    if setting["id"] in ("S5", "S7"):
        mono = de.optimal_benchmark(sc, setting["n"], n_trials=n_trials, seed=11).selection
        assert np.max(np.abs(mono - peer) / np.maximum(se, 1e-9)) > 20
