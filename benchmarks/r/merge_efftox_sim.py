"""Merge the outputs of efftox_sim.R (one JSON per scenario) into tests/data/peer_efftox_trialr.json:
per scenario the R call, versions, number of trials, CPU time and the per-trial records
(selected dose, 0 = none; patients, DLTs and responses per dose).

    python benchmarks/r/merge_efftox_sim.py /tmp/efftox-r/s1.json /tmp/efftox-r/s2.json
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
out = {"source": "benchmarks/r/efftox_sim.R run on this machine: trialr 0.1.6's inst/stan/EffTox.stan compiled "
                 "with rstan (Debian r-cran-rstan), sampling() with trialr's defaults (4 chains x 2000 iterations), "
                 "trialr efftox_process's acceptability / utility / recommendation rule, escalation's "
                 "simulation protocol (stop when no dose is acceptable; at max_n select the recommended dose)",
       "call": "Rscript benchmarks/r/efftox_sim.R EffTox_model.rds OUT.json N_TRIALS SEED SCENARIO",
       "scenarios": {}}
for path in sys.argv[1:]:
    d = json.loads(pathlib.Path(path).read_text())
    out["scenarios"][d["scenario"]] = d
(ROOT / "tests" / "data" / "peer_efftox_trialr.json").write_text(json.dumps(out))
print({k: v["n_trials"] for k, v in out["scenarios"].items()})
