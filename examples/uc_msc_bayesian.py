"""UC-MSC in severe SLE (trial B): a Bayesian CRM on 1, 2 and 4 x10^6 cells/kg.

The trial (Cytotherapy 2024) treated 5 patients at 2 and 3 at 4 x10^6 cells/kg with no DLT
(grade >= 3 treatment-related event within 10 days). Here:

1. the live recommendation a CRM would give on those data (next dose, plug-in DLT estimates,
   posterior mean of beta), with a skeleton whose prior MTD guess comes from the evidence of the
   *other* trials (A, C, D; leave-one-trial-out, as ``doseesc whatif`` does by default: a prior
   that included trial B's own records would be circular);
2. its operating characteristics (max 12 patients, cohorts of 3, target 0.2) under the
   evidence mean curve, a toxic top dose, and 200 prior-predictive curves, next to BOIN, with
   the trial's 10-day window and its slow accrual (8 patients in about 3.5 years).

Run:  python examples/uc_msc_bayesian.py [n_trials]     (writes uc_msc_bayesian.png)
"""

import sys

import doseesc as de
from doseesc import evidence, plot

n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
doses, target = [1.0, 2.0, 4.0], 0.2
others = [t for t in evidence.TRIALS if t != "B"]  # leave trial B's own data out of its prior
prior = evidence.dose_response_prior(doses, trials=others)
nu = prior.mtd_guess(target)
skeleton = de.crm_skeleton(halfwidth=0.05, target=target, nu=nu, n_doses=3)
crm = de.CRM(skeleton=skeleton, target=target, cohort_size=3, max_n=12)
print(f"Evidence prior from trials {', '.join(others)} (trial B's own data left out, leave-one-trial-out as in "
      f"`doseesc whatif`; records {', '.join(prior.records_used)}): prior MTD guess dose {nu}; skeleton "
      f"{[round(float(s), 3) for s in skeleton]}")

# 1. Live use on the trial's data: 5 patients at level 2 (2 x10^6/kg), then 3 at level 3 (4 x10^6/kg).
rec = crm.next_dose("2NNN 2NN 3NNN")
print("\nCRM after the observed outcomes '2NNN 2NN 3NNN':")
print(rec)

# 2. Operating characteristics, with the trial's window and accrual.
tm = de.TimeModel(window=10, accrual="poisson", rate=8 / (3.5 * 365))
unit = "x10^6 cells/kg"
scenarios = [
    de.Scenario(prior.mean_curve(), target=target, doses=doses, dose_unit=unit, time=tm, name="evidence mean curve"),
    de.Scenario([0.05, 0.15, 0.35], target=target, doses=doses, dose_unit=unit, time=tm, name="toxic top dose"),
]
designs = [crm, de.BOIN(target=target, cohort_size=3, max_n=12)]
for sc in scenarios:
    for d in designs:
        ex = de.exact(d, sc)
        print(f"\n{d.label()} under {sc.label()}: exact PCS {100 * ex.pcs:.1f}%, no selection "
              f"{100 * ex.no_selection:.1f}%, patients above the MTD {ex.n_overdosed:.2f}, mean N {ex.sample_size:.1f}")
draws = evidence.sample_scenarios(prior, doses, n=200, seed=7, target=target)
cmp = de.compare(designs, [draws], n_trials=max(1, n_trials // 200), seed=7)
print("\n" + cmp.summary())
oc = de.simulate(crm, scenarios[1], n_trials=n_trials, seed=3)
print(f"\nCRM, toxic top dose: mean trial duration {oc.duration:.0f} days (SE {oc.se('duration'):.0f})")
plot.save(cmp, "uc_msc_bayesian.png")  # CRM and BOIN on the prior-predictive curves
print("wrote uc_msc_bayesian.png")
