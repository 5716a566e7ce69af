"""Scaling past one process: throughput with 1 and 2 local workers, and calibration on them.

Run from the repository root::

    python benchmarks/bench_backends.py [--trials 400000] [--dask]

For BOIN (6 doses, 30 patients) and the logistic CRM (5 doses, 24 patients): trials/s in this
process with 1 and 2 numba threads, and with 1 and 2 worker processes (a warm pool of spawned
processes with one numba thread each, passed as ``backend=``; its start-up is reported apart);
with ``--dask``, a ``dask.distributed`` LocalCluster of 2 single-threaded workers. Every
backend's records are checked to be bit-identical to the local run. Then one calibration
(``calibrate``, 3 x 3 grid of a CRM skeleton) locally and on the 2-worker pool, checked equal.
"""

# ruff: noqa: B023  (the lambdas are timed where they are made)
from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import multiprocessing
import os
import sys
import time

import numba
import numpy as np

import doseesc as de
from doseesc.engine import backends


def digest(rec) -> str:
    h = hashlib.sha256()
    for f in ("selected", "n_patients", "n_dlt", "stop_reason"):
        h.update(np.ascontiguousarray(getattr(rec, f)).tobytes())
    return h.hexdigest()[:16]


def cases():
    P6 = [0.05, 0.1, 0.2, 0.3, 0.45, 0.6]
    SK5 = [0.05, 0.12, 0.25, 0.40, 0.55]
    return [("BOIN, 6 doses, 30 pts", de.BOIN(target=0.3, cohort_size=3, max_n=30), de.Scenario(P6, target=0.3), 1.0),
            ("CRM logistic, 5 doses, 24 pts", de.CRM(skeleton=SK5, target=0.25, max_n=24, model="logistic"),
             de.Scenario([0.02, 0.06, 0.12, 0.25, 0.40], target=0.25), 0.25)]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def pool(k: int):
    return cf.ProcessPoolExecutor(max_workers=k, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=backends._one_thread)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=400_000)
    ap.add_argument("--dask", action="store_true", help="also a dask.distributed LocalCluster of 2 workers")
    a = ap.parse_args(argv)
    print(f"doseesc {de.__version__}, numba {numba.__version__}, {os.cpu_count()} cores, "
          f"NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}, Python {sys.version.split()[0]}\n")
    pools = {}
    for k in (1, 2):
        ex, secs = timed(lambda k=k: pool(k))
        # start-up: spawning and loading the cached kernels in every worker
        _, warm = timed(lambda ex=ex: [f.result() for f in [ex.submit(_warm) for _ in range(k)]])
        pools[k] = ex
        print(f"{k} worker process{'es' if k > 1 else ''}: start-up {secs + warm:.1f} s (spawn, import, kernel load)")
    client = None
    if a.dask:
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        client.run(_warm)
    print("\n| design | where | trials/s | records |")
    print("|---|---|---:|---|")
    for label, d, sc, scale in cases():
        n = max(10_000, int(a.trials * scale))
        de.simulate(d, sc, n_trials=20_000, seed=0, threads=1)
        ref, t1 = timed(lambda: de.simulate(d, sc, n_trials=n, seed=1, threads=1))
        rows = [("this process, 1 thread", t1, ref)]
        if numba.config.NUMBA_NUM_THREADS >= 2:
            oc, t = timed(lambda: de.simulate(d, sc, n_trials=n, seed=1, threads=2))
            rows.append(("this process, 2 threads", t, oc))
        for k, ex in pools.items():
            de.simulate(d, sc, n_trials=20_000, seed=0, backend=ex)  # warm the workers' kernels
            oc, t = timed(lambda ex=ex: de.simulate(d, sc, n_trials=n, seed=1, backend=ex))
            rows.append((f"{k} worker process{'es' if k > 1 else ''}", t, oc))
        if client is not None:
            de.simulate(d, sc, n_trials=20_000, seed=0, backend=client)
            oc, t = timed(lambda: de.simulate(d, sc, n_trials=n, seed=1, backend=client))
            rows.append(("Dask LocalCluster, 2 workers", t, oc))
        for where, t, oc in rows:
            same = "identical" if digest(oc.records) == digest(ref.records) else "DIFFERENT"
            print(f"| {label} | {where} | {n / t:,.0f} | {same} |")
    # calibration on the pool
    scs = de.crm_plateau_scenarios(0.25, 5)
    crm = de.CRM(skeleton=de.crm_skeleton(0.05, 0.25, 3, 5), target=0.25, max_n=24)
    grid = {"halfwidth": [0.04, 0.07, 0.10], "nu": [2, 3, 4]}
    local, tl = timed(lambda: de.calibrate(crm, scs, grid=grid, n_trials=20_000, seed=1, threads=1))
    remote, tr = timed(lambda: de.calibrate(crm, scs, grid=grid, n_trials=20_000, seed=1, backend=pools[2]))
    same = [c.objective for c in local.candidates] == [c.objective for c in remote.candidates]
    print(f"\ncalibrate (CRM skeleton, 3 x 3 grid + default, 5 scenarios x 20,000 trials): this process, 1 thread "
          f"{tl:.1f} s; 2 worker processes {tr:.1f} s; results {'identical' if same else 'DIFFERENT'}; "
          f"best {local.best_candidate.label()}")
    for ex in pools.values():
        ex.shutdown()
    if client is not None:
        client.close()


def _warm():
    de.simulate(de.BOIN(target=0.3, cohort_size=3, max_n=30), de.Scenario([0.1, 0.2, 0.3], target=0.3), 100, 0)
    return os.getpid()


if __name__ == "__main__":
    main()
