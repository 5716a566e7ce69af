"""The phase I/II question of the what-if: which dose gives the best benefit-risk on 1 / 2 / 4 x10^6
cells/kg, by which design, at what cost in patients and time.

Trial B (UC-MSC, NCT03562065) was a Bayesian phase I/II study; with no DLT in 30 patients across
the MSC trials, the next trial's question is the optimal biological dose (OBD). Here the
phase I/II designs (BOIN12, and any further ones given) are set beside the toxicity-only designs
(BOIN and the CRM as trial B used it), all at one maximum sample size and on the same simulated
patients (toxicity and response are drawn on their own random streams, so every design sees the
same patients), under

* fixed scenarios: two toxicity curves (the evidence mean curve, where every dose is safe, and a
  toxic top dose) crossed with three efficacy shapes (increasing, a plateau from the middle dose,
  an umbrella peaking at the middle dose), with exact operating characteristics;
* prior-predictive scenarios: joint curves drawn from the toxicity prior of the what-if and an
  efficacy prior from one named endpoint of the seed trials (Monte Carlo, with SEs);

and, for the cost in time, each design is simulated once more under each fixed scenario with
patients arriving at the MSC trials' pace and each cohort waiting for its assessment (the DLT
window for the toxicity-only designs, the efficacy assessment for the phase I/II ones).

Late-onset efficacy: under each fixed scenario, BOIN12 waiting for every patient's complete
toxicity (28-day window) and efficacy (the endpoint's assessment) data before each decision is
set beside TITE-BOIN12, which decides on pending data (effective sample sizes, pending outcomes
imputed), on the same simulated patients (``OBDWhatIf.late``).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np

from ._whatif import UNIT, _mc, _mc_parts, _signed_parts, _signed_se, _widths
from .designs import BOIN12, TITEBOIN12, EffTox
from .engine import compare, exact, simulate
from .scenario import Scenario
from .timemodel import TimeModel

#: Efficacy shapes of the fixed scenarios on three doses (response probabilities): set by hand
#: around trial B's month-12 clinical response (4 of 8 at 2 and 4 x10^6 cells/kg).
EFF_SHAPES = [("increasing efficacy", (0.15, 0.30, 0.50)),
              ("efficacy plateau from the middle dose", (0.20, 0.50, 0.50)),
              ("umbrella efficacy (peak at the middle dose)", (0.25, 0.50, 0.30))]

#: (key, header, scale) of the per-design columns
METRICS = [("pcs_obd", "OBD %", 100), ("selected_utility", "utility", 1), ("over_toxic_selection", "over-tox %", 100),
           ("no_selection", "none %", 100), ("sample_size", "mean N", 1), ("n_at_obd", "N at OBD", 1),
           ("total_eff", "responses", 1), ("total_dlt", "DLTs", 1)]
DIFFS = [("pcs_obd", "OBD selection", 100, "points"),
         ("selected_utility", "utility of the selected dose", 1, "utility"),
         ("over_toxic_selection", "selection of an over-toxic dose", 100, "points"),
         ("sample_size", "mean sample size", 1, "patients")]


@dataclass
class OBDRow:
    scenario: str
    design: str
    method: str
    values: dict
    ses: dict
    selection: list
    selection_se: list
    true_p: list = field(default_factory=list)
    true_e: list = field(default_factory=list)
    obd: list = field(default_factory=list)
    months: float | None = None
    months_se: float | None = None


@dataclass
class OBDWhatIf:
    """The phase I/II part of the what-if (``WhatIfResult.phase12``)."""

    doses: list
    settings: dict
    designs: list
    rows: list
    differences: list
    conclusions: list
    priors: dict
    late: list = field(default_factory=list)  # TITE-BOIN12 vs BOIN12 waiting for complete data (dicts)

    def to_dict(self) -> dict:
        return {"doses": self.doses, "settings": self.settings, "designs": self.designs, "priors": self.priors,
                "late_onset_efficacy": self.late,
                "rows": [{"scenario": r.scenario, "design": r.design, "method": r.method, "true_p_tox": r.true_p,
                          "true_p_eff": r.true_e, "true_obd": r.obd, "selection": r.selection,
                          "selection_se": r.selection_se, **r.values, **{f"{k}_se": s for k, s in r.ses.items()},
                          "duration_months": r.months, "duration_months_se": r.months_se} for r in self.rows],
                "paired_differences": self.differences, "conclusions": self.conclusions}

    def csv_rows(self):
        """Rows (trial, scenario, design, method, metric, dose level, dose value, value, se) for the
        what-if's CSV."""
        for r in self.rows:
            for j, (x, s) in enumerate(zip(r.selection, r.selection_se)):
                yield ["phase I/II", r.scenario, r.design, r.method, "selection", j + 1, f"{self.doses[j]:g}", x, s]
            for k in r.values:
                yield ["phase I/II", r.scenario, r.design, r.method, k, "", "", r.values[k], r.ses[k]]
            if r.months is not None:
                yield ["phase I/II", r.scenario, r.design, "Monte Carlo (time model)", "duration_months", "", "",
                       r.months, r.months_se]
        for r in self.late:
            for k in ("pcs_obd", "sample_size", "months", "turned_away"):
                yield ["phase I/II late onset", r["scenario"], r["design"], r["method"], k, "", "", r[k],
                       r[f"{k}_se"]]

    def table(self) -> str:
        s = self.settings
        out = [f"== Phase I/II: which dose on {', '.join(f'{d:g}' for d in self.doses)} x10^6 cells/kg gives the best "
               "benefit-risk (the OBD)?",
               textwrap.fill(
                   f"Maximum sample size {s['max_n']} for every design, cohorts of {s['cohort_size']}, start at dose "
                   f"{s['start_dose']}; toxicity limit {s['target']:g}; utility (E no T, neither, both, T no E) = "
                   f"({', '.join(f'{u:g}' for u in s['utility'])}): the true OBD (*) is the dose with the highest "
                   "true utility among doses "
                   f"with P(DLT) <= {s['target']:g}. Efficacy and toxicity independent given dose. Toxicity-only "
                   "designs ignore responses; their OBD columns score what they select.",
                   width=118, initial_indent="   ", subsequent_indent="   "),
               "   Designs:"]
        for d in self.designs:
            out.append(textwrap.fill(f"- {d['label']}: {d['spec']}", width=118, initial_indent="   ",
                                     subsequent_indent="       "))
        out.append(textwrap.fill(
            f"Time (months, Monte Carlo, {s['time_trials']:,} trials, SE in brackets): patients arrive at "
            f"{s['accrual_per_month']:.3g} per month (the MSC trials' pace: {s['accrual_basis']}); each cohort "
            f"waits {s['dlt_window_days']:g} days (trial B's DLT window) under the toxicity-only designs and "
            f"{s['eff_window_days']:g} days (the efficacy endpoint's assessment, {s['eff_time']}) under the phase I/II "
            "designs, which wait for complete efficacy data; arrivals while a "
            "cohort is in follow-up are turned away.", width=118, initial_indent="   ", subsequent_indent="   "))
        wd = max([len(d["label"]) for d in self.designs] + [24]) + 1
        cells_of = {id(r): _row_cells(r) for r in self.rows}
        names = [f"{x:g}" for x in self.doses] + [h for _, h, _ in METRICS] + ["months"]
        key, cw = None, []
        for r in self.rows:
            if r.scenario != key:
                key = r.scenario
                out.append("")
                truth = ""
                if r.true_p:
                    truth = (": P(DLT) " + ", ".join(f"{p:.3f}" for p in r.true_p) + "; P(response) "
                             + ", ".join(f"{p:.2f}" for p in r.true_e) + "; OBD "
                             + (", ".join(f"{self.doses[k - 1]:g}" for k in r.obd) if r.obd else "none"))
                methods = _methods_text([x for x in self.rows if x.scenario == r.scenario])
                out.append(f"-- {r.scenario}{truth}  [{methods}]")
                cw = _widths([cells_of[id(x)] for x in self.rows if x.scenario == key], 12)  # SE-driven cells vary
                out.append(f"   {'design':<{wd}}" + "".join(f"{h:>{w}}" for h, w in zip(names, cw)))
            out.append(f"   {r.design:<{wd}}" + "".join(f"{c:>{w}}" for c, w in zip(cells_of[id(r)], cw)))
        out.extend(_late_table(self.late, self.settings))
        out.append("")
        out.append("   Conclusion (phase I/II):")
        out.extend(textwrap.fill(c, width=118, initial_indent="   ", subsequent_indent="     ")
                   for c in self.conclusions)
        out.append("")
        for k, text in self.priors.items():
            out.append(textwrap.fill(f"{k}: {text}", width=118, initial_indent="   ", subsequent_indent="      "))
        out.append("")
        return "\n".join(out)

    def add_to_report(self, r) -> None:
        """Add this part to a :class:`~doseesc.report.Report`."""
        s = self.settings
        r.heading("Phase I/II: the optimal biological dose")
        r.paragraph(self.table().split("   Designs:")[0].split("\n", 1)[1].replace("\n   ", " ").strip(),
                    lead="What was run")
        for d in self.designs:
            r.paragraph(d["spec"], lead=d["label"])
        header = ["design", *[f"{x:g}" for x in self.doses], *[h for _, h, _ in METRICS], "months"]
        by: dict = {}
        for row in self.rows:
            by.setdefault(row.scenario, []).append(row)
        for name, rows in by.items():
            body = [[row.design, *["" if c == "-" else c for c in _row_cells(row)]] for row in rows]
            truth = ""
            if rows[0].true_p:
                truth = (" (P(DLT) " + ", ".join(f"{p:.3f}" for p in rows[0].true_p) + "; P(response) "
                         + ", ".join(f"{p:.2f}" for p in rows[0].true_e) + ")")
            r.table(header, body, caption=f"Phase I/II, scenario '{name}'{truth}: {_methods_text(rows)}",
                    notes=f"Selection % per dose (x10^6 cells/kg); OBD % = selecting the true OBD; utility of the "
                          f"selected dose (table {tuple(s['utility'])}); over-tox % = selecting a dose with P(DLT) > "
                          f"{s['target']:g}; months = mean duration under the time model (Monte Carlo, "
                          f"{s['time_trials']:,} trials per design, every row). A value with a bracket is Monte Carlo "
                          "with its SE in brackets; a value without one is exact.")
        if self.late:
            body = []
            for row in self.late:
                tag = "TITE-BOIN12 minus waiting (paired)" if row["design"] == "difference" else row["design"]
                body.append([row["scenario"], tag, *_late_cells(row)])
            r.table(["scenario", "design", "OBD %", "mean N", "months", "turned away"], body,
                    caption="Late-onset efficacy: BOIN12 waiting for complete data vs TITE-BOIN12 (Monte Carlo, SE in "
                            "brackets)",
                    notes=" ".join(_late_table(self.late, s)[1].split()))
        for k, line in enumerate(self.conclusions):  # one sentence per paragraph
            r.paragraph(line.strip(), lead="Conclusion (phase I/II)" if k == 0 else None)
        for k, text in self.priors.items():
            r.paragraph(text, lead=k)


def _late_table(late: list, s: dict) -> list[str]:
    """The late-onset efficacy block of :meth:`OBDWhatIf.table`."""
    if not late:
        return []
    out = ["", textwrap.fill(
        f"-- Late-onset efficacy: waiting for complete data vs TITE-BOIN12 (Monte Carlo, {s['late_trials']:,} trials "
        f"per scenario and design, the same patients for both; SE in brackets). Patients arrive at "
        f"{s['accrual_per_month']:.3g} per month (evenly spaced, as in the rows above; {s['accrual_basis']}); "
        f"DLTs within {s['dlt_window_days']:g} days (trial B's DLT window), responses within "
        f"{s['eff_window_days']:g} days ({s['eff_time']}), both at "
        "uniform times in their windows, independent of each other given dose; no drop-out; arrivals while the "
        "design suspends accrual are turned away. TITE-BOIN12 suspends while more than half the patients at "
        "the current dose have their toxicity outcome pending, or more than half their efficacy outcome (the "
        "paper's rule); the waiting design, while any patient has an outcome pending. A response is known when "
        "it happens, so a responder's wait ends early: the waiting design is "
        "shorter here than BOIN12's 'months' above, where every patient is followed for the whole window (its "
        "selections are the same, trial by trial).", width=118, initial_indent="   ", subsequent_indent="   ")]
    cells_of = [_late_cells(r) for r in late]
    w = [max([len(h) + 2] + [len(c[j]) + 2 for c in cells_of]) for j, h in
         enumerate(("OBD %", "mean N", "months", "turned away"))]
    head = f"   {'scenario / design':<55}" + "".join(f"{h:>{w[j]}}" for j, h in
                                                    enumerate(("OBD %", "mean N", "months", "turned away")))
    out.append(head)
    key = None
    for r, cells in zip(late, cells_of):
        if r["scenario"] != key:
            key = r["scenario"]
            out.append(f"   {key}")
        label = "TITE-BOIN12 minus waiting (paired)" if r["design"] == "difference" else r["design"]
        out.append(f"     {label:<53}" + "".join(f"{c:>{w[j]}}" for j, c in enumerate(cells)))
    return out


def _late_cells(r: dict) -> list[str]:
    """OBD %, mean N, months and arrivals turned away of one late-onset row, each with its SE (a
    paired difference signed), the decimals set by the SE."""
    f = _signed_se if r["design"] == "difference" else _mc
    return [f(100 * r["pcs_obd"], 100 * r["pcs_obd_se"]), f(r["sample_size"], r["sample_size_se"]),
            f(r["months"], r["months_se"]), f(r["turned_away"], r["turned_away_se"])]


def _late_onset(fixed, *, target, D, cohort_size, max_n, rate_day, dlt_window, eff_window, utility, n_trials, seed):
    """TITE-BOIN12 beside BOIN12 waiting for complete data, per fixed scenario: rows of OBD
    selection, mean sample size, duration (months) and arrivals turned away, each with its SE,
    and the paired difference (the same simulated patients under both designs)."""
    wait = TITEBOIN12(phi_t=target, n_doses=D, cohort_size=cohort_size, max_n=max_n, wait_complete=True)
    tite = TITEBOIN12(phi_t=target, n_doses=D, cohort_size=cohort_size, max_n=max_n)
    tm = TimeModel(window=dlt_window, accrual="fixed", rate=rate_day, eff_window=eff_window)
    month = 30.4375
    out = []
    for sc in fixed:
        tsc = Scenario(p_tox=list(sc.p_tox), p_eff=list(sc.p_eff), target=target, utility=utility, time=tm)
        obd = np.asarray(sc.obd_doses, dtype=np.int64)
        per = []
        for label, d in (("BOIN12, waits for complete efficacy data", wait), ("TITE-BOIN12", tite)):
            r = simulate(d, tsc, n_trials=n_trials, seed=seed).records
            x = {"pcs_obd": np.isin(r.selected, obd).astype(float), "sample_size": r.n_patients.sum(axis=1) * 1.0,
                 "months": r.duration / month, "turned_away": r.turned_away * 1.0}
            per.append(x)
            row = {"scenario": sc.name, "design": label, "method": f"Monte Carlo, {n_trials:,} trials"}
            for k, v in x.items():
                row[k], row[f"{k}_se"] = float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size))
            out.append(row)
        diff = {"scenario": sc.name, "design": "difference", "method": "paired, TITE-BOIN12 minus waiting"}
        for k in per[0]:
            dd = per[1][k] - per[0][k]
            diff[k], diff[f"{k}_se"] = float(dd.mean()), float(dd.std(ddof=1) / np.sqrt(dd.size))
        out.append(diff)
    return out


def assessment_days(time: str) -> float:
    """Days to an endpoint's assessment from its reported time ("month 12", "week 20", "first 3
    months"): months of 30.4375 days, weeks of 7."""
    import re

    m = re.search(r"(\d+(?:\.\d+)?)\s*(month|week|day)s?|(month|week|day)s?\s*(\d+(?:\.\d+)?)", time)
    if m is None:
        raise ValueError(f"eff_endpoint: cannot read an assessment time from {time!r}")
    num = float(m.group(1) or m.group(4))
    unit = m.group(2) or m.group(3)
    return round(num * {"month": 30.4375, "week": 7.0, "day": 1.0}[unit], 1)


def _spec12(d) -> str:
    return (f"BOIN12 (Lin et al. 2020; the MD Anderson app's rules, as escalation's get_boin12), cohorts of "
            f"{d.cohort_size}, max {d.max_n}, start at dose {d.start_dose}; toxicity limit phi_T = {d.phi_t:g}, "
            f"lowest acceptable response rate phi_E = {d.phi_e:g}; admissible if P(p_T > phi_T) < {d.c_t:g} and "
            f"P(p_E < phi_E) < {d.c_e:g}; BOIN boundaries for phi_T; rank-based desirability from the utility "
            f"(100, {d.u2:g}, {d.u3:g}, 0); no exploring above a dose with >= {d.n_star} patients between the "
            "boundaries; the OBD selected by isotonic toxicity and utility")


def _cell(m: float, se: float, exact_row: bool) -> str:
    """An exact value alone, one decimal; a Monte Carlo value with its SE, decimals set by the SE."""
    return f"{m:.1f}" if exact_row else _mc(m, se)


def _row_cells(r: OBDRow) -> list[str]:
    """The cells of one row: selection % per dose, ``METRICS``, months ("-" where not simulated); each
    row exact or Monte Carlo by its own method (EffTox's fixed-scenario rows are Monte Carlo beside
    exact ones), the months always Monte Carlo."""
    ex = r.method == "exact"
    return [*[_cell(100 * x, 100 * e, ex) for x, e in zip(r.selection, r.selection_se)],
            *[_cell(sc * r.values[k], sc * r.ses[k], ex) for k, _, sc in METRICS],
            "-" if r.months is None else _mc(r.months, r.months_se)]


def _methods_text(rows: list) -> str:
    """Which rows of a scenario's table are exact and which Monte Carlo (with the trial counts)."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(row.method, []).append(row.design)
    def se_text(method: str) -> str:
        if method == "exact":
            return ""
        if " x " in method:  # curves drawn from the prior x trials each
            return " (SE in brackets, of the mean over the drawn curves)"
        return " (SE in brackets)"

    if len(groups) == 1:
        method = next(iter(groups))
        return method + se_text(method)
    return "; ".join(f"{method}{se_text(method)}: {', '.join(labels)}" for method, labels in groups.items())


#: trials per fixed scenario for designs without exact enumeration (EffTox)
FIXED_TRIALS = 4000


def _exact_row(name: str, label: str, design, sc, seed: int) -> OBDRow:
    """The exact row of ``design`` under ``sc`` (Monte Carlo with ``FIXED_TRIALS`` trials for a
    design without exact enumeration), kept on disk between runs (exact BOIN12 takes about a
    second per scenario; the key holds the design, the scenario, the seed and the kernels' source
    stamp, so any change recomputes it)."""
    import json

    from . import _diskcache
    from ._jit import _package_stamp

    def compute():
        if getattr(design, "exact_ok", True) and not isinstance(design, EffTox):  # EffTox: too many posteriors
            return _row(name, label, "exact", exact(design, sc), sc)
        oc = simulate(design, sc, n_trials=FIXED_TRIALS, seed=seed)
        return _row(name, label, f"Monte Carlo, {FIXED_TRIALS:,} trials", oc, sc)

    key = (json.dumps(design.to_dict(), sort_keys=True), json.dumps(sc.to_dict(), sort_keys=True), seed,
           FIXED_TRIALS, _package_stamp())
    row = _diskcache.cached("whatif_phase12_fixed", key, compute)
    row.scenario, row.design = name, label
    return row


def efftox_for(doses, tox_prior, eff_prior, *, target: float, phi_e: float, cohort_size: int, max_n: int):
    """EffTox on these doses: hurdles at the toxicity limit and BOIN12's lowest acceptable response
    rate, a trade-off contour through (0.3, 0), (0.5, 0.25) and (1, 0.6), and normal priors elicited
    (Thall et al. 2014's effective-sample-size method, trialr's criterion) from the what-if's prior
    mean toxicity curve and the efficacy prior's mean at every dose, each worth one patient; the
    elicitation is kept on disk between runs. Returns (design, spec text)."""
    from . import _diskcache
    from .designs import EffTox
    from .designs.efftox import ess_priors

    pi_t = [round(float(x), 4) for x in tox_prior.mean_curve()]
    pi_e = [round(float(eff_prior.mean()), 4)] * len(doses)
    pri = _diskcache.cached("whatif_efftox_priors", (tuple(doses), tuple(pi_t), tuple(pi_e)),
                            lambda: ess_priors(list(doses), pi_t, 1.0, pi_e, 1.0, num_samples=4000))
    d = EffTox(real_doses=tuple(float(x) for x in doses), efficacy_hurdle=phi_e, toxicity_hurdle=target, p_e=0.1,
               p_t=0.1, eff0=0.3, tox1=0.6, eff_star=0.5, tox_star=0.25, cohort_size=cohort_size, max_n=max_n,
               **pri)
    spec = (f"EffTox (Thall & Cook 2004; trialr's rules), acceptable if P(p_E > {phi_e:g}) > 0.1 and P(p_T < "
            f"{target:g}) > 0.1, at most one dose above the highest tried; utility contour through (0.3, 0), (0.5, "
            f"0.25), (1, 0.6) (p = {d.p:.3f}), taken at the posterior means; priors elicited with effective sample "
            f"size 1 from prior mean P(DLT) {', '.join(f'{x:.3f}' for x in pi_t)} and P(response) "
            f"{pi_e[0]:.2f} at every dose: " + ", ".join(f"{k} {v:.3g}" for k, v in pri.items()) +
            f"; cohorts of {cohort_size}, max {max_n}, start at dose 1; its fixed-scenario rows are Monte Carlo "
            f"({FIXED_TRIALS:,} trials): exact enumeration would evaluate its posterior in too many states")
    return d, spec


def _row(name, label, method, oc, sc=None, between=False) -> OBDRow:
    """``between``: prior-predictive curves, SEs of the mean over them (``oc.se_between``)."""
    keys = [k for k, _, _ in METRICS]
    se = oc.se_between if between else oc.se
    return OBDRow(name, label, method, {k: float(getattr(oc, k)) for k in keys}, {k: float(se(k)) for k in keys},
                  [float(x) for x in oc.selection], [float(x) for x in se("selection")],
                  [] if sc is None else [float(x) for x in sc.p_tox],
                  [] if sc is None else [float(x) for x in sc.p_eff],
                  [] if sc is None else [int(k) for k in sc.obd_doses])


def phase12(doses, tox_prior, tox_designs: list[dict], *, target: float, max_n: int, cohort_size: int,
            eff_endpoint: str, eff_discount: float, n_scenarios: int, n_trials: int, seed: int,
            time_trials: int = 2000, extra_designs: list[dict] | None = None, efftox: bool = True,
            progress=False) -> OBDWhatIf:
    """Run the phase I/II comparison (see the module docstring).

    ``tox_designs``: the toxicity-only designs ({label, design, spec}) to set beside the phase
    I/II ones, already at ``max_n``; ``extra_designs``: further phase I/II designs.

    The result is a deterministic function of the arguments and the package, so it is kept on
    disk between runs (EffTox's simulations take tens of seconds): the key holds every argument,
    the designs' options, the prior and the kernels' source stamp.
    """
    import json

    from . import _diskcache
    from ._jit import _package_stamp

    key = (tuple(doses), repr(tox_prior), [json.dumps(a["design"].to_dict(), sort_keys=True) + a["label"]
                                           for a in tox_designs + (extra_designs or [])],
           target, max_n, cohort_size, eff_endpoint, eff_discount, n_scenarios, n_trials, seed, time_trials, efftox,
           _package_stamp())
    res = _diskcache.cached("whatif_phase12", key, lambda: _phase12(
        doses, tox_prior, tox_designs, target=target, max_n=max_n, cohort_size=cohort_size, eff_endpoint=eff_endpoint,
        eff_discount=eff_discount, n_scenarios=n_scenarios, n_trials=n_trials, seed=seed, time_trials=time_trials,
        extra_designs=extra_designs, efftox=efftox, progress=progress))
    # the key holds the numbers' inputs, not this module's wording: the sentences are written afresh
    res.conclusions = _all_conclusions(res.rows, res.differences, [d["label"] for d in res.designs], res.doses,
                                       res.late)
    return res


def _phase12(doses, tox_prior, tox_designs, *, target, max_n, cohort_size, eff_endpoint, eff_discount, n_scenarios,
             n_trials, seed, time_trials, extra_designs, efftox, progress) -> OBDWhatIf:
    from . import evidence as _ev

    D = len(doses)
    b12 = BOIN12(phi_t=target, n_doses=D, cohort_size=cohort_size, max_n=max_n)
    arms = [dict(label="BOIN12 (phase I/II)", design=b12, spec=_spec12(b12), phase12=True)]
    arms += [dict(a, phase12=True) for a in (extra_designs or [])]
    if efftox:
        ed, espec = efftox_for(doses, tox_prior, _ev.efficacy_prior(eff_endpoint, discount=eff_discount),
                               target=target, phi_e=b12.phi_e, cohort_size=cohort_size, max_n=max_n)
        arms.append(dict(label="EffTox (phase I/II)", design=ed, spec=espec, phase12=True))
    arms += [dict(a, phase12=False) for a in tox_designs]
    designs = [a["design"] for a in arms]
    labels = [a["label"] for a in arms]
    utility = (100.0, float(b12.u2), float(b12.u3), 0.0)
    accrual_month = 8 / 42.0  # trial B: 8 patients over about 3.5 years
    rate_day = accrual_month * 12 / 365.25
    ep = next(e for e in _ev.endpoints() if e.key == eff_endpoint)
    # trial B's DLT window (a grade >= 3 treatment-related event within 10 days), with its accrual above
    dlt_window = float(max(r.dlt_window_days for r in _ev.records("B") if r.dlt_window_days))
    eff_window = assessment_days(ep.time)
    rows, diffs = [], []
    mean_tox = [float(x) for x in tox_prior.mean_curve()]
    toxic_top = [0.05 * target / 0.2, 0.15 * target / 0.2, min(0.95, 0.35 * target / 0.2)]
    tox_curves = [("every dose safe (evidence mean curve)", mean_tox), ("toxic top dose", toxic_top)]
    fixed = []
    for tname, pt in tox_curves:
        for ename, pe in EFF_SHAPES:
            fixed.append(Scenario(p_tox=pt, p_eff=list(pe), target=target, doses=list(doses),
                                  dose_unit=UNIT, utility=utility, name=f"{tname}; {ename}"))
    for sc in fixed:
        name = sc.name
        for a in arms:
            row = _exact_row(name, a["label"], a["design"], sc, seed)
            # the engine makes the phase I/II designs, which decide on complete data, wait both windows
            tsc = Scenario(p_tox=list(sc.p_tox), p_eff=list(sc.p_eff), target=target, utility=utility,
                           time=TimeModel(window=dlt_window, rate=rate_day, eff_window=eff_window))
            toc = simulate(a["design"], tsc, n_trials=time_trials, seed=seed)
            row.months, row.months_se = float(toc.duration) / 30.4375, float(toc.se("duration")) / 30.4375
            rows.append(row)
    late_trials = max(200, time_trials // 2)
    late = _late_onset(fixed, target=target, D=D, cohort_size=cohort_size, max_n=max_n, rate_day=rate_day,
                       dlt_window=dlt_window, eff_window=eff_window, utility=utility, n_trials=late_trials, seed=seed)
    eff_prior = _ev.efficacy_prior(eff_endpoint, discount=eff_discount)
    sset = _ev.sample_joint_scenarios(tox_prior, eff_prior, doses, n=n_scenarios, seed=seed, target=target,
                                      utility=utility, name="phase I/II prior draw")
    cmp = compare(designs, [sset], n_trials=n_trials, seed=seed, progress=progress, benchmark=False)
    pp = f"prior-predictive ({n_scenarios} joint curves: increasing, plateau, umbrella)"
    method = f"Monte Carlo, {n_scenarios} x {n_trials} trials"
    for i, label in enumerate(labels):
        rows.append(_row(pp, label, method, cmp.oc[i][0], between=n_scenarios > 1))
    for i in range(1, len(designs)):
        d = {"scenario": pp, "method": method, "design": labels[i], "versus": labels[0]}
        for k, *_ in DIFFS:
            m, se = cmp.difference(k, i, 0, between=n_scenarios > 1)
            d[k], d[f"{k}_se"] = float(m), float(se)
        diffs.append(d)
    priors = {"phase I/II efficacy prior": (
        f"{eff_prior.describe()} -- endpoint {ep.key}: {ep.name}, assessed at {ep.time}, {ep.responders}/{ep.n} "
        f"responders (trial {ep.trial}, doses {', '.join(f'{x:g}' for x in ep.doses)}), each patient counting as "
        f"{eff_discount:g} of a patient; one response probability for every dose, then shaped (increasing, plateau, "
        "umbrella, equally likely). The next trial's endpoint is assumed to behave like this one; other endpoints "
        "(SRI-4 at week 20, renal CR+PR within 3 months) are different and are not pooled."
        + (f" Unlike the toxicity prior, this efficacy prior includes trial {ep.trial}'s own responses (no other seed "
           "trial measured this endpoint): this part asks the next trial's question on these doses, not a redesign "
           "of trial B judged on evidence it did not produce (--eff-endpoint chooses another endpoint)."
           if ep.trial == "B" else "")),
        "phase I/II toxicity prior": "the what-if's toxicity prior for these doses (above)"}
    settings = dict(target=target, max_n=max_n, cohort_size=cohort_size, start_dose=1, utility=list(utility),
                    eff_endpoint=eff_endpoint, eff_discount=eff_discount, n_scenarios=n_scenarios, n_trials=n_trials,
                    seed=seed, time_trials=time_trials, accrual_per_month=accrual_month,
                    accrual_basis="trial B treated 8 patients in about 3.5 years", dlt_window_days=dlt_window,
                    eff_window_days=eff_window, eff_time=ep.time, late_trials=late_trials)
    return OBDWhatIf(list(doses), settings, [{"label": a["label"], "spec": a["spec"]} for a in arms], rows, diffs,
                     _all_conclusions(rows, diffs, labels, doses, late), priors, late)


def _all_conclusions(rows, diffs, labels, doses, late) -> list[str]:
    """The part's sentences: :func:`_conclusions` on the fixed scenarios (in the order of the rows)
    and the prior-predictive differences, then the late-onset one."""
    fixed = list(dict.fromkeys(r.scenario for r in rows if r.true_p))  # the prior-predictive rows have no curve
    return _conclusions(rows, diffs, labels, fixed, doses) + ([_late_conclusion(late)] if late else [])


def _late_conclusion(late: list) -> str:
    """One sentence restating the late-onset rows: the range of the paired differences."""
    diffs = [r for r in late if r["design"] == "difference"]
    lo = min(diffs, key=lambda r: r["months"])
    hi = max(diffs, key=lambda r: r["months"])
    po_lo = min(diffs, key=lambda r: r["pcs_obd"])
    po_hi = max(diffs, key=lambda r: r["pcs_obd"])
    m_se = max(r["months_se"] for r in diffs)
    p_se = max(100 * r["pcs_obd_se"] for r in diffs)
    # the range's ends and the largest SE to the decimals that SE sets
    m_lo, m_se_text = _signed_parts(lo["months"], m_se)
    m_hi = _signed_parts(hi["months"], m_se)[0]
    p_lo, p_se_text = _signed_parts(100 * po_lo["pcs_obd"], p_se)
    p_hi = _signed_parts(100 * po_hi["pcs_obd"], p_se)[0]
    return (f"Late-onset efficacy: deciding on pending responses (TITE-BOIN12) instead of waiting for complete data "
            f"changes the trial duration by {m_lo} to {m_hi} months across the fixed scenarios (paired SE at most "
            f"{m_se_text}) and OBD selection by {p_lo} to {p_hi} points (paired SE at most {p_se_text}).")


def _conclusions(rows, diffs, labels, fixed_names, doses) -> list[str]:
    """Sentences that restate the numbers only."""
    by = {(r.scenario, r.design): r for r in rows}
    p12 = [lab for lab in labels if "phase I/II" in lab]
    out = [f"How they choose: {' and '.join(p12)} rank the acceptable doses by an estimated utility (BOIN12: its "
           "utility table; EffTox: its trade-off contour), so responses "
           "count and they may select a dose below the highest safe one; the toxicity-only designs aim at the dose "
           "whose DLT rate is closest to the target, whatever the responses, and select the OBD only where it "
           "is that dose. The rows below show how often each happens."]
    for name in fixed_names:
        first = by[(name, labels[0])]
        obd = ", ".join(f"{doses[k - 1]:g}" for k in first.obd) or "none"
        cells = []
        for lab in labels:
            r = by[(name, lab)]
            modal = int(np.argmax(r.selection))
            months, months_se = _mc_parts(r.months, r.months_se)
            if r.method == "exact":
                sel = (f"selects it in {100 * r.values['pcs_obd']:.0f}% (most often {doses[modal]:g}, "
                       f"{100 * r.selection[modal]:.0f}%")
            else:  # Monte Carlo (EffTox): every value with its SE
                p, p_se = _mc_parts(100 * r.values["pcs_obd"], 100 * r.ses["pcs_obd"])
                m, m_se = _mc_parts(100 * r.selection[modal], 100 * r.selection_se[modal])
                sel = f"selects it in {p}% (SE {p_se}; most often {doses[modal]:g}, {m}%, SE {m_se}"
            cells.append(f"{lab} {sel}; {months} months, SE {months_se})")
        out.append(f"'{name}' (OBD {obd}; {_methods_text([by[(name, lab)] for lab in labels])}; months by Monte "
                   "Carlo): " + "; ".join(cells) + ".")
    if diffs:
        pp = diffs[0]["scenario"]
        parts = []
        for d in sorted(diffs, key=lambda d: -d["pcs_obd"]):
            tag = " [within 2 SE]" if abs(d["pcs_obd"]) <= 2 * d["pcs_obd_se"] else ""
            po, po_se = _signed_parts(100 * d["pcs_obd"], 100 * d["pcs_obd_se"])
            ut, ut_se = _signed_parts(d["selected_utility"], d["selected_utility_se"])
            n, n_se = _signed_parts(d["sample_size"], d["sample_size_se"])
            parts.append(f"{d['design']}: OBD selection {po} points (SE {po_se}){tag}, utility {ut} (SE {ut_se}), "
                         f"mean N {n} (SE {n_se})")
        top = by[(pp, labels[0])]
        p, p_se = _mc_parts(100 * top.values["pcs_obd"], 100 * top.ses["pcs_obd"])
        out.append(f"'{pp}': {labels[0]} selects the OBD in {p}% (SE {p_se}); each other design minus it: "
                   + "; ".join(parts) + ".")
    return out
