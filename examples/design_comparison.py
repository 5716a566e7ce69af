"""Which design for the next MSC trial? 3+3, BOIN, mTPI-2, Keyboard (and CRM) on the same patients.

Doses 1, 2, 4 x10^6 cells/kg (as in the UC-MSC trial), target DLT rate 0.2, at most 18 patients
in cohorts of 3. Every design sees the same simulated patients (common random numbers), so the
paired differences in correct selection carry small standard errors.

Run:  python examples/design_comparison.py [n_trials]     (writes design_comparison.png)
"""

import sys

import doseesc as de

n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
doses, unit, target = [1.0, 2.0, 4.0], "x10^6 cells/kg", 0.2
designs = [de.ThreePlusThree(), de.BOIN(target=target, cohort_size=3, max_n=18),
           de.MTPI2(target=target, cohort_size=3, max_n=18), de.Keyboard(target=target, cohort_size=3, max_n=18)]
if hasattr(de, "CRM"):
    sk = de.crm_skeleton(halfwidth=0.05, target=target, nu=2, n_doses=3)
    designs.insert(2, de.CRM(skeleton=sk, target=target, cohort_size=3, max_n=18))
scenarios = [
    de.Scenario([0.02, 0.04, 0.08], target=target, doses=doses, dose_unit=unit, name="all safe"),
    de.Scenario([0.05, 0.12, 0.30], target=target, doses=doses, dose_unit=unit, name="MTD at 2"),
    de.Scenario([0.12, 0.30, 0.45], target=target, doses=doses, dose_unit=unit, name="MTD at 1"),
]
cmp = de.compare(designs, scenarios, n_trials=n_trials, seed=2024)
print(cmp.summary())
print()
for j, sc in enumerate(scenarios):
    best = max(range(len(designs)), key=lambda i: float(cmp.oc[i][j].pcs))
    diff, se = cmp.difference("pcs", best, 0, j)
    print(f"{sc.label()}: best PCS {designs[best].label()} "
          f"({100 * diff:+.1f} points vs 3+3, paired SE {100 * se:.2f})")
from doseesc import plot  # noqa: E402

plot.save(cmp, "design_comparison.png")
print("wrote design_comparison.png")
