"""Waiting for every DLT window, or deciding on partial follow-up: trial duration in MSC trials.

The MSC lupus trials observed DLTs over 10 to 28 days and enrolled slowly (trial B: 8 patients in
about 3.5 years). At that pace a design that waits for each cohort's full window loses little
time; with a multicentre accrual of one patient a week it loses much more. This example, on
1, 2 and 4 x10^6 cells/kg, target 0.2, 12 patients, a 28-day window:

1. BOIN with cohorts of 3 (waits for the cohort's window; arrivals meanwhile queue), TITE-BOIN
   with cohorts of 3 and TITE-CRM one patient at a time (both decide at each arrival from partial
   follow-up) under the evidence mean curve and a toxic top dose, at both accrual rates: correct
   selection, patients above the MTD, trial duration (mean and 95th percentile) and waiting time;
2. a live TITE-BOIN recommendation from follow-up data, with a patient who dropped out.

Run:  python examples/tite_msc_accrual.py [n_trials]     (writes tite_msc_accrual.png: the
three designs compared at one patient a week)
"""

import sys

import doseesc as de
from doseesc import evidence, plot

n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
doses, target, window = [1.0, 2.0, 4.0], 0.2, 28.0
prior = evidence.dose_response_prior(doses)
nu = prior.mtd_guess(target)
skeleton = de.crm_skeleton(halfwidth=0.05, target=target, nu=nu, n_doses=3)
designs = [
    de.BOIN(target=target, cohort_size=3, max_n=12),
    de.TITEBOIN(target=target, cohort_size=3, max_n=12),
    de.TITECRM(skeleton=skeleton, target=target, max_n=12),
]
curves = {"evidence mean curve": prior.mean_curve(), "toxic top dose": [0.05, 0.15, 0.35]}
paces = {"MSC pace (8 patients / 3.5 years)": 8 / (3.5 * 365), "one patient a week": 1 / 7}

print(f"target {target}, 12 patients, {window:g}-day DLT window, doses {doses} x10^6 cells/kg; "
      f"{n_trials} trials per row, (SE) = Monte Carlo standard error")
for pace, rate in paces.items():
    tm = de.TimeModel(window=window, accrual="poisson", rate=rate, waiting="queue")
    for name, p in curves.items():
        sc = de.Scenario(p, target=target, doses=doses, dose_unit="x10^6 cells/kg", time=tm, name=name)
        print(f"\n== {pace}; {name}: true P(DLT) {[round(float(x), 3) for x in sc.p_tox]}")
        print(f"   {'design':<34}{'PCS % (SE)':>14}{'pts > MTD':>11}{'days (SE)':>16}{'95th pct':>10}"
              f"{'wait/pt':>9}")
        cmp = de.compare(designs, [sc], n_trials=n_trials, seed=11)
        for d, row in zip(designs, cmp.oc):
            oc = row[0]
            print(f"   {d.label():<34}{100 * oc.pcs:>8.1f} ({100 * oc.se('pcs'):.1f}){oc.n_overdosed:>11.2f}"
                  f"{oc.duration:>9.0f} ({oc.se('duration'):.0f}){oc.duration_quantiles['95%']:>10.0f}"
                  f"{oc.waiting:>9.1f}")

# Live use: three patients complete at dose 1, three at dose 2 of whom one had a DLT on day 9,
# one is on day 20 and one left the trial on day 6 without a DLT.
data = [dict(dose=1, dlt=0, follow_up=28)] * 3 + [
    dict(dose=2, dlt=0, follow_up=28), dict(dose=2, dlt=1, follow_up=9), dict(dose=2, dlt=0, follow_up=20),
    dict(dose=2, dlt=0, follow_up=6, dropped=True),
]
rec = designs[1].next_dose_tite(data, window=window, n_doses=3)
print("\nTITE-BOIN on the live data (dose, DLT, days followed; one drop-out):")
print(rec)

# The figure: the three designs under both curves at one patient a week, as compared above
tm = de.TimeModel(window=window, accrual="poisson", rate=1 / 7, waiting="queue")
scs = [de.Scenario(p, target=target, doses=doses, dose_unit="x10^6 cells/kg", time=tm, name=name)
       for name, p in curves.items()]
plot.save(de.compare(designs, scs, n_trials=n_trials, seed=11), "tite_msc_accrual.png")
print("wrote tite_msc_accrual.png")
