"""BM-MSC in lupus nephritis (trial A): how good was its 3+3 on 2.0 and 3.0 x10^6 cells/kg?

The trial (Lupus 2022) escalated from 2.0 to 3.0 x10^6 cells/kg with no DLT in 7 patients.
Here: the exact operating characteristics of that 3+3 under the evidence-based dose-response
prior's mean curve and under a what-if toxic top dose, a Monte Carlo check with SEs, and the
trial duration under its 28-day DLT window with the accrual it had.

The prior is built from the *other* trials (B, C, D): leave-one-trial-out, as ``doseesc whatif``
does by default. A prior that included trial A's own records would judge the design on a curve
fitted to the very outcomes it produced (circular).

Run:  python examples/bm_msc_3plus3.py [n_trials]     (writes bm_msc_3plus3.png)
"""

import sys

import doseesc as de
from doseesc import evidence, plot

n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
doses = [2.0, 3.0]
others = [t for t in evidence.TRIALS if t != "A"]  # leave trial A's own data out of its prior
prior = evidence.dose_response_prior(doses, trials=others)
print(f"Evidence prior from trials {', '.join(others)} (trial A's own data left out, leave-one-trial-out as in "
      "`doseesc whatif`):")
print(prior.describe().split(". Assumptions")[0], "\n")

# 8 patients in about 3.5 years in the MSC trials: ~0.0063 arrivals a day (Poisson).
tm = de.TimeModel(window=28, accrual="poisson", rate=8 / (3.5 * 365))
scenarios = [
    de.Scenario(prior.mean_curve(), target=0.2, doses=doses, dose_unit="x10^6 cells/kg", time=tm,
                name="evidence mean curve"),
    de.Scenario([0.15, 0.35], target=0.2, doses=doses, dose_unit="x10^6 cells/kg", time=tm, name="toxic 3.0"),
]
design = de.ThreePlusThree()
for sc in scenarios:
    ex = de.exact(design, sc)
    mc = de.simulate(design, sc, n_trials=n_trials, seed=1)
    print(ex.summary(), "\n")
    z = abs(float(mc.pcs) - float(ex.pcs)) / float(mc.se("pcs"))
    print(f"Monte Carlo check: PCS {100 * mc.pcs:.2f}% (SE {100 * mc.se('pcs'):.2f}) vs exact {100 * ex.pcs:.2f}% "
          f"(|z| = {z:.1f}); mean duration {mc.duration:.0f} days (SE {mc.se('duration'):.0f}), "
          f"median {mc.duration_quantiles['50%']:.0f}\n")
plot.save(de.simulate(design, scenarios[1], n_trials=n_trials, seed=1), "bm_msc_3plus3.png")
print("wrote bm_msc_3plus3.png")
