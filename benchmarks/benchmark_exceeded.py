"""How often does a design select the MTD more often than the complete-information benchmark?

Run from the repository root after installing doseesc::

    python benchmarks/benchmark_exceeded.py [--scenarios 12] [--trials 20000] [--seed 7]

The benchmark (``doseesc.optimal_benchmark``, O'Quigley, Paoletti & Maccario 2002) is an upper
reference, not a theorem. This script draws random increasing DLT curves on 5 doses (sorted
Beta(1.2, 2.5) draws, doses at least 0.02 apart, the dose nearest the target 0.3 at least 0.03
nearer than the next), runs BOIN, Keyboard, mTPI-2 and the empiric and logistic CRMs (cohorts of
3; CRM skeleton: indifference half-width 0.05, prior MTD at dose 3) on the same simulated patients
as the benchmark for 18, 24 and 36 patients, and prints every design-scenario pair whose PCS exceeds
the benchmark's by more than 2 paired SEs, with the benchmark's selection per dose, then counts
per sample size of scenarios where some design exceeds it by more than 4 SEs.
"""

from __future__ import annotations

import argparse

import numpy as np

import doseesc as de

TARGET = 0.3
D = 5


def scenarios(rng: np.random.Generator, k: int) -> list[list[float]]:
    out = []
    while len(out) < k:
        p = np.sort(rng.beta(1.2, 2.5, size=D))
        dist = np.sort(np.abs(p - TARGET))
        if dist[1] - dist[0] > 0.03 and np.all(np.diff(p) > 0.02):
            out.append(np.round(p, 3).tolist())
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=12, help="random scenarios per sample size (default 12)")
    ap.add_argument("--trials", type=int, default=20_000, help="trials per design and scenario (default 20,000)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the scenario draws (default 7)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    sk = de.crm_skeleton(halfwidth=0.05, target=TARGET, nu=3, n_doses=D)
    print(f"doseesc {de.__version__}; {args.scenarios} random scenarios per sample size, {args.trials:,} trials "
          f"each, scenario seed {args.seed}, simulation seed 11; target {TARGET}")
    counts = {}
    for n in (18, 24, 36):
        hit, pairs = 0, 0
        for p in scenarios(rng, args.scenarios):
            sc = de.Scenario(p, target=TARGET)
            designs = [de.BOIN(target=TARGET, cohort_size=3, max_n=n),
                       de.Keyboard(target=TARGET, cohort_size=3, max_n=n),
                       de.MTPI2(target=TARGET, cohort_size=3, max_n=n),
                       de.CRM(skeleton=sk, target=TARGET, cohort_size=3, max_n=n),
                       de.CRM(skeleton=sk, target=TARGET, cohort_size=3, max_n=n, model="logistic")]
            cmp = de.compare(designs, [sc], n_trials=args.trials, seed=11)
            b = cmp.benchmark_for(0, 0)
            over = False
            for i, d in enumerate(designs):
                dm, ds = b.difference(cmp.oc[i][0], "pcs")
                pairs += 1
                if dm > 2 * ds:
                    sel = " ".join(f"{100 * x:.1f}" for x in b.selection)
                    print(f"  N={n} p={p} {d.label():<24} benchmark PCS {100 * b.pcs:.1f} (selection % {sel}); "
                          f"design minus benchmark {100 * dm:+.2f} (SE {100 * ds:.2f}), z = {dm / ds:.1f}", flush=True)
                over |= dm > 4 * ds
            hit += over
        counts[n] = (hit, pairs)
        print(f"N={n}: some design above the benchmark by > 4 SE in {hit} of {args.scenarios} scenarios "
              f"({pairs} design-scenario pairs)", flush=True)


if __name__ == "__main__":
    main()
