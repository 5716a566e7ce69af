"""Precision-targeted runs: ``simulate(..., se_target=)`` and ``doseesc simulate --se-target``."""

from __future__ import annotations

import os
import subprocess
import sys

import numba
import numpy as np
import pytest

import doseesc as de
from doseesc.engine import api

from . import naive

SC = de.Scenario([0.05, 0.10, 0.20, 0.30, 0.45, 0.60], target=0.3)
BOIN = de.BOIN(target=0.3, cohort_size=3, max_n=30)


def _max_se(oc):
    return {m: float(np.max(oc.se(m))) for m in api.HEADLINE}


@pytest.mark.parametrize("design,scenario", [
    (BOIN, SC),
    (de.CRM(skeleton=[0.05, 0.12, 0.25, 0.40, 0.55], target=0.25, max_n=18, model="logistic"),
     de.Scenario([0.02, 0.06, 0.12, 0.25, 0.40], target=0.25)),
    (de.TITEBOIN(target=0.3, max_n=18, cohort_size=3),
     de.Scenario([0.05, 0.15, 0.30, 0.45], target=0.3, time=de.TimeModel(window=3, accrual="poisson", rate=2))),
])
def test_every_headline_se_ends_below_target(design, scenario):
    oc = de.simulate(design, scenario, se_target=0.01, seed=4)
    ses = _max_se(oc)
    assert all(se < 0.01 for se in ses.values()), ses
    info = oc.meta["se_target"]
    assert info["met"] and info["target"] == 0.01 and info["headline"] == list(api.HEADLINE)
    assert info["checkpoints"][-1]["n_trials"] == oc.n_trials
    # the step before stopping did not meet the target (no block was run for nothing)
    if len(info["checkpoints"]) > 1:
        assert max(info["checkpoints"][-2]["max_se"].values()) >= 0.01
    # the stopped run is exactly the fixed-size run of that many trials
    fixed = de.simulate(design, scenario, n_trials=oc.n_trials, seed=4)
    assert naive.records_hash(fixed.records) == naive.records_hash(oc.records)


def test_schedule_is_a_function_of_the_results():
    oc = de.simulate(BOIN, SC, se_target=0.006, seed=11)
    cps = [c["n_trials"] for c in oc.meta["se_target"]["checkpoints"]]
    assert cps[0] == api.SE_FIRST and all(n % api.SE_STEP == 0 for n in cps)
    # replaying the rule on the fixed-size runs at each checkpoint gives the same checkpoints
    prev = cps[0]
    for n in cps[1:]:
        worst = max(_max_se(de.simulate(BOIN, SC, n_trials=prev, seed=11)).values())
        want = prev * (worst / 0.006) ** 2 * 1.05
        assert n == max(prev + api.SE_STEP, api.SE_STEP * int(np.ceil(want / api.SE_STEP)))
        prev = n


def test_identical_for_one_and_two_threads():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    a = de.simulate(BOIN, SC, se_target=0.008, seed=2, threads=1)
    b = de.simulate(BOIN, SC, se_target=0.008, seed=2, threads=2)
    assert a.n_trials == b.n_trials
    assert naive.records_hash(a.records) == naive.records_hash(b.records)


def test_identical_across_processes_with_different_thread_counts():
    code = ("import doseesc as de; from tests import naive; "
            "oc = de.simulate(de.CRM(skeleton=[0.05, 0.12, 0.25, 0.40, 0.55], target=0.25, max_n=18), "
            "de.Scenario([0.02, 0.06, 0.12, 0.25, 0.40], target=0.25), se_target=0.01, seed=9); "
            "print(oc.n_trials, naive.records_hash(oc.records))")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = {}
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        out[threads] = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                      check=True, cwd=root).stdout.strip()
    assert out["1"] == out["2"] and out["1"].split()[0].isdigit()


def test_scenario_set_and_backend():
    ss = de.ScenarioSet(np.array([[0.05, 0.1, 0.2, 0.3, 0.45, 0.6], [0.1, 0.2, 0.3, 0.45, 0.6, 0.7]]), target=0.3)
    a = de.simulate(BOIN, ss, se_target=0.006, seed=5)
    assert all(se < 0.006 for se in _max_se(a).values())
    per = a.meta["se_target"]["checkpoints"][-1]["n_trials"]  # per scenario, as n_trials= counts
    assert a.n_trials == 2 * per  # over both scenarios
    assert f"{a.n_trials:,} simulated trials ({per:,} per scenario), seed 5" in a.summary()
    b = de.simulate(BOIN, ss, n_trials=per, seed=5)
    assert naive.records_hash(a.records) == naive.records_hash(b.records)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as ex:
        c = de.simulate(BOIN, ss, se_target=0.006, seed=5, backend=ex)
    assert naive.records_hash(a.records) == naive.records_hash(c.records)


def test_cap_reached_warns_and_says_so():
    with pytest.warns(UserWarning, match="se_target: 3,000 trials"):
        oc = de.simulate(BOIN, SC, n_trials=3000, se_target=0.002, seed=1)
    assert oc.n_trials == 3000 and not oc.meta["se_target"]["met"]


@pytest.mark.parametrize("bad", [0, -0.1, 0.5, 2, "x", float("nan")])
def test_bad_target(bad):
    with pytest.raises(ValueError, match="^se_target: ") as e:
        de.simulate(BOIN, SC, se_target=bad)
    assert "\n" not in str(e.value)


def test_cli_se_target(tmp_path):
    import contextlib
    import io
    import json

    from doseesc.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["simulate", "--design", "boin", "--target", "0.3", "--truth", "0.05,0.1,0.2,0.3,0.45,0.6",
                     "--cohort-size", "3", "--max-n", "30", "--se-target", "0.01", "--seed", "3", "--format", "json"])
    assert code in (0, None)
    out = json.loads(buf.getvalue())
    assert out["se_target"]["met"] and out["n_trials"] == de.simulate(BOIN, SC, se_target=0.01, seed=3).n_trials
    assert max(out["selection_se"]) < 0.01 and out["pcs_se"] < 0.01
