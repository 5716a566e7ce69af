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


def test_decision_caches_kept_between_runs_never_change_records():
    """A design's scratch (its decision cache) is kept between runs of this process, so a run
    of the same design under another scenario starts with decisions already computed; the
    records must be those of a run that starts empty."""
    eff = dict(p_eff=[0.2, 0.4, 0.5, 0.5, 0.45], utility=(100, 40, 60, 0))
    cases = [
        (de.CRM(skeleton=P, target=0.25, cohort_size=1, max_n=12), {}),
        (de.TITECRM(skeleton=P, target=0.25, max_n=12), dict(time=TM)),
        (de.BLRM(doses=[1, 2, 4, 8, 16], d_ref=4, cohort_size=3, max_n=12), {}),
        (de.EffTox(real_doses=(1.0, 2.0, 4.0, 8.0, 16.0), efficacy_hurdle=0.25, toxicity_hurdle=0.25, p_e=0.1,
                   p_t=0.1, eff0=0.3, tox1=0.6, eff_star=0.5, tox_star=0.25, cohort_size=3, max_n=9), eff),
    ]
    other = [0.02, 0.05, 0.1, 0.25, 0.4]

    def records(design, p, extra, n):
        r = de.simulate(design, de.Scenario(p, target=0.25, **extra), n_trials=n, seed=11).records
        return [np.asarray(getattr(r, f)) for f in ("selected", "n_patients", "n_dlt", "n_eff", "duration")
                if getattr(r, f, None) is not None]

    for design, extra in cases:
        n = 40 if isinstance(design, de.EffTox) else 400
        backends.clear_kept()
        fresh = records(design, P, extra, n)
        assert backends._KEPT, design.label()  # the run's scratch was kept
        records(design, other, extra, n)  # fills the kept cache with another scenario's states
        again = records(design, P, extra, n)
        assert all(np.array_equal(a, b) for a, b in zip(fresh, again)), design.label()

    # a design that waits for complete data shares its cache between runs with and without a
    # time model (its decisions depend on counts alone); the timed run is unchanged by it
    crm = de.CRM(skeleton=P, target=0.25, cohort_size=3, max_n=18)
    backends.clear_kept()
    timed = records(crm, P, dict(time=TM), 300)
    backends.clear_kept()
    records(crm, P, {}, 300)
    assert len(backends._KEPT) == 1
    assert all(np.array_equal(a, b) for a, b in zip(timed, records(crm, P, dict(time=TM), 300)))
    assert len(backends._KEPT) == 1  # the same entry, taken out and put back


def test_exact_enumeration_shares_the_kept_decision_cache_without_changing_its_result():
    # exact enumeration takes its design's kept scratch (backends.kept_scratch) as the simulators
    # do: decisions computed for one scenario, or by a simulation, serve the next enumeration
    def exact(design, p):
        r = de.exact(design, de.Scenario(p, target=0.25)).records
        return [np.asarray(getattr(r, f)) for f in ("selected", "n_patients", "n_dlt", "stop_reason", "weight")]

    other = [0.02, 0.05, 0.1, 0.25, 0.4]
    for design in (de.BLRM(doses=[1, 2, 4, 8, 16], d_ref=4, cohort_size=3, max_n=9),
                   de.CRM(skeleton=P, target=0.25, cohort_size=3, max_n=12)):
        backends.clear_kept()
        fresh = exact(design, P)
        assert len(backends._KEPT) == 1, design.label()
        (scratch,) = backends._KEPT.values()
        assert np.any(scratch[0] != 0), design.label()  # decisions were cached in it
        exact(design, other)
        assert len(backends._KEPT) == 1  # the same entry, taken out and put back
        for again in (exact(design, P), exact(design, P)):
            assert all(np.array_equal(a, b) for a, b in zip(fresh, again)), design.label()
        # a simulation of the design takes over the enumeration's cache, and the other way round
        sim = de.simulate(design, de.Scenario(other, target=0.25), n_trials=300, seed=5).records.selected
        assert len(backends._KEPT) == 1
        backends.clear_kept()
        assert np.array_equal(sim, de.simulate(design, de.Scenario(other, target=0.25), n_trials=300,
                                               seed=5).records.selected)
        assert all(np.array_equal(a, b) for a, b in zip(fresh, exact(design, P))), design.label()


@pytest.mark.parametrize("case", ["untimed", "ae", "timed", "dropout", "tite", "tite_ae", "tite_dropout",
                                  "tite_crm"])
def test_records_the_cohort_loop_never_writes_take_no_memory(monkeypatch, case):
    # The cohort loop writes n_ae only for a scenario with AE probabilities, n_drop only with a
    # drop-out hazard, and duration / waited / turned_away only with a time model. Otherwise the
    # kernel gets those arrays with no room (a million untimed BOIN trials: 120 of 232 MB), and the
    # records must be those of a run that records everything: equal counts, and zeros where skipped.
    # The same for n_ae and n_drop in TITE-BOIN's loop; the general TITE loop (TITE-CRM) records all.
    seen = []
    real = backends.run

    def spy(job, *a, **k):
        seen.append(job)
        return real(job, *a, **k)

    monkeypatch.setattr(backends, "run", spy)
    p = [0.1, 0.2, 0.35, 0.5]
    dropout = de.TimeModel(window=1, rate=2, dropout=0.3)
    tm = {"timed": de.TimeModel(window=1, rate=2), "dropout": dropout, "tite_dropout": dropout}.get(
        case, de.TimeModel(window=1, rate=2) if case.startswith("tite") else None)
    sc = de.Scenario(p, target=0.3, p_ae=[0.2] * 4 if case.endswith("ae") else None, time=tm)
    d = de.BOIN(target=0.3, cohort_size=3, max_n=12)
    if case.startswith("tite"):
        d = (de.TITECRM(skeleton=[0.1, 0.2, 0.3, 0.45], target=0.3, max_n=12) if case == "tite_crm"
             else de.TITEBOIN(target=0.3, max_n=12, cohort_size=3))
    oc = de.simulate(d, sc, n_trials=700, seed=4)
    job = seen[0]
    want = {"untimed": (False, False, False), "ae": (True, False, False), "timed": (False, False, True),
            "dropout": (False, True, True), "tite": (False, False, True), "tite_ae": (True, False, True),
            "tite_dropout": (False, True, True), "tite_crm": (True, True, True)}[case]
    assert (job.ae, job.drop, job.timed) == want
    slim = real(job, 700, None, 256)
    full = real(job._replace(ae=True, drop=True, timed=True), 700, None, 256)
    assert slim["n_ae"].shape[1] == (4 if job.ae else 0) and slim["n_drop"].shape[1] == (4 if job.drop else 0)
    assert slim["duration"].shape == ((700,) if job.timed else (0,))
    for f in backends.FIELDS:
        if slim[f].size:
            assert np.array_equal(slim[f], full[f]), f
        else:
            assert not full[f].any(), f
    r = oc.records
    assert np.array_equal(r.selected, full["sel"] + 1) and np.array_equal(r.n_patients, full["n_pat"])
    assert r.n_ae.shape == (700, 4) and np.array_equal(r.n_ae, full["n_ae"])
    assert (r.n_ae.sum() > 0) == case.endswith("ae")
    if tm is None:
        assert r.n_dropout is None and r.duration is None
    else:
        assert r.n_dropout.shape == (700, 4) and np.array_equal(r.n_dropout, full["n_drop"])
        assert (r.n_dropout.sum() > 0) == case.endswith("dropout")
        assert np.array_equal(r.duration, full["duration"])
