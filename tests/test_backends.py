"""Backends: blocks of trials run in worker processes, any executor, or a Dask cluster give
bit-identical records (random numbers are a function of seed, scenario, trial, patient)."""

import concurrent.futures as cf

import numpy as np
import pytest

import doseesc as de
from doseesc.engine import backends

from . import naive

TM = de.TimeModel(window=28, accrual="poisson", rate=3 / 28)
P = [0.05, 0.12, 0.25, 0.4, 0.55]
SETS = de.ScenarioSet([P, [0.1, 0.2, 0.3, 0.45, 0.6], [0.02, 0.05, 0.1, 0.25, 0.4]], target=0.25)


def _same(a, b):
    return naive.records_hash(a.records) == naive.records_hash(b.records)


def test_any_executor_gives_the_same_records(monkeypatch):
    # small tasks so that one run is cut into many blocks, gathered in order
    monkeypatch.setattr(backends, "MIN_TASK_ROWS", 1000)
    cases = [(de.BOIN(target=0.25, cohort_size=3, max_n=24), SETS),
             (de.CRM(skeleton=P, target=0.25, cohort_size=1, max_n=12), de.Scenario(P, target=0.25)),
             (de.ThreePlusThree(), de.Scenario(P, target=0.25, time=TM)),
             (de.TITEBOIN(target=0.25, max_n=18, cohort_size=3), de.Scenario(P, target=0.25, time=TM))]
    with cf.ThreadPoolExecutor(max_workers=3) as ex:
        for design, sc in cases:
            here = de.simulate(design, sc, n_trials=5000, seed=7)
            there = de.simulate(design, sc, n_trials=5000, seed=7, backend=ex, threads=1)
            assert _same(here, there), design.label()
            assert np.array_equal(here.selection, there.selection)


def test_worker_processes_give_the_same_records():
    # one pool of 2 spawned processes for the whole comparison
    designs = [de.BOIN(target=0.25, cohort_size=3, max_n=24), de.TITEBOIN(target=0.25, max_n=24, cohort_size=3)]
    sc = de.Scenario(P, target=0.25, time=TM)
    a = de.compare(designs, [sc], n_trials=20_000, seed=3)
    b = de.compare(designs, [sc], n_trials=20_000, seed=3, backend=2)
    for i in range(2):
        assert _same(a.oc[i][0], b.oc[i][0])


def test_dask_cluster_gives_the_same_records():
    distributed = pytest.importorskip("dask.distributed")
    d = de.CRM(skeleton=P, target=0.25, cohort_size=1, max_n=12)
    here = de.simulate(d, SETS, n_trials=3000, seed=5)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        there = de.simulate(d, SETS, n_trials=3000, seed=5, backend=client)
    assert _same(here, there)


@pytest.mark.parametrize("backend", ["threads", 0, -2, 1.5, True, object()])
def test_bad_backend_names_the_field(backend):
    with pytest.raises(ValueError, match="^backend:") as e:
        de.simulate(de.ThreePlusThree(), de.Scenario(P, target=0.25), n_trials=10, backend=backend)
    assert "\n" not in str(e.value)


def test_cli_backend(capsys):
    from doseesc import cli

    args = ["simulate", "--design", "3+3", "--truth", "0.05,0.1,0.3", "--target", "0.3", "--n-trials", "2000",
            "--format", "csv", "--no-progress"]
    assert cli.main(args) == 0
    here = capsys.readouterr().out
    assert cli.main(args + ["--backend", "1"]) == 0
    assert capsys.readouterr().out == here
    assert cli.main(args + ["--backend", "many"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--backend:" in err
