"""Merge crmpack_sim.R outputs (one per scenario) into tests/data/peer_crmpack_sim.json."""
import json
import sys

out = None
for path in sys.argv[2:]:
    d = json.load(open(path))
    if out is None:
        out = {"meta": d["meta"], "results": {}}
    out["results"].update(d["results"])
json.dump(out, open(sys.argv[1], "w"))
print({k: (v["n_trials"], round(v["seconds"], 1)) for k, v in out["results"].items()})
