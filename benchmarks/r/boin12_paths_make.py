"""Random BOIN12 trial paths (outcome strings) for benchmarks/r/boin12_paths.R to decide.

Each path follows doseesc's own decisions under a scenario until it stops; R then decides
every prefix independently, so any disagreement anywhere on a path shows up.
    python benchmarks/r/boin12_paths_make.py OUT.json
"""

import json
import sys

import numpy as np

import doseesc as de

SETTINGS = [
    dict(num_doses=5, phi_t=0.35, phi_e=0.25, u2=40, u3=60, n_star=6, c_t=0.95, c_e=0.9, max_n=36, stop_any=12),
    dict(num_doses=5, phi_t=0.15, phi_e=0.4, u2=50, u3=30, n_star=6, c_t=0.9, c_e=0.8, max_n=36, stop_any=12),
]
SCENARIOS = [([0.25, 0.40, 0.50, 0.60, 0.70], [0.30, 0.40, 0.50, 0.50, 0.50]),
             ([0.05, 0.10, 0.20, 0.30, 0.50], [0.10, 0.30, 0.50, 0.50, 0.50]),
             ([0.10, 0.25, 0.35, 0.50, 0.60], [0.05, 0.15, 0.30, 0.35, 0.40]),
             ([0.02, 0.05, 0.10, 0.15, 0.20], [0.60, 0.50, 0.40, 0.30, 0.20])]


def main(out):
    rng = np.random.default_rng(2024)
    groups = []
    for st in SETTINGS:
        for start in (1, 3):
            s = dict(st, start_dose=start)
            d = de.BOIN12(phi_t=s["phi_t"], phi_e=s["phi_e"], u2=s["u2"], u3=s["u3"], n_star=s["n_star"],
                          c_t=s["c_t"], c_e=s["c_e"], max_n=s["max_n"], start_dose=start) \
                .stop_when_n_at_dose(s["stop_any"], dose="any")
            paths = []
            for tox, eff in SCENARIOS:
                q = de.Scenario(tox, target=0.35, p_eff=eff).p_joint
                for _ in range(25):
                    path = ""
                    while True:
                        rec = d.next_dose(path, n_doses=5)
                        if path:
                            paths.append(path)
                        if rec.stop:
                            break
                        k = rng.choice(4, size=rec.cohort_size, p=q[rec.dose - 1])
                        path = (path + f" {rec.dose}" + "".join("ENBT"[i] for i in k)).strip()
            groups.append({"setting": s, "outcomes": paths})
    with open(out, "w") as fh:
        json.dump(groups, fh)


if __name__ == "__main__":
    main(sys.argv[1])
