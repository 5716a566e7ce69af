"""The graded-toxicity question of the what-if: what counting grade 1-2 adverse events changes.

The MSC trials' safety data are almost all grade 1-2 adverse events and no DLT. A DLT-only design
(BOIN) sees none of them; gBOIN (Mu, Xu & Yuan 2019; R TITEgBOIN's semantics) scores each
patient's worst grade and targets an equivalent toxicity score. On trial B's doses, every design
at the same maximum sample size and on the same simulated patients (the worst grade and the DLT
come from one latent tolerance, so the DLT-only design sees exactly the binary trial), under
fixed graded scenarios and prior-predictive ones drawn from the per-grade AE prior of the trials
that state grades (``doseesc.evidence.grade_prior``), by Monte Carlo with SEs.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ._whatif import UNIT, _mc, _mc_parts, _signed_parts, _widths
from .designs import BOIN, gBOIN
from .engine import compare
from .scenario import Scenario

#: Fixed graded scenarios on three doses: per dose P(worst grade 1), P(grade 2), P(grade >= 3 = DLT).
FIXED = [("low-grade AEs rising with dose, DLTs rare", [[0.15, 0.05, 0.02], [0.25, 0.10, 0.04], [0.35, 0.20, 0.08]]),
         ("grade-2 AEs frequent at the top dose, DLTs rare", [[0.15, 0.05, 0.02], [0.25, 0.15, 0.04],
                                                              [0.30, 0.40, 0.08]]),
         ("toxic top dose", [[0.15, 0.05, 0.05], [0.25, 0.10, 0.15], [0.30, 0.20, 0.35]])]

METRICS = [("pcs", "PCS", 100), ("over_selection", "sel>MTD", 100), ("no_selection", "none", 100),
           ("sample_size", "mean N", 1), ("total_dlt", "DLTs", 1), ("total_ae", "gr1-2 pts", 1)]
DIFFS = [("pcs", "PCS", 100), ("over_selection", "selection above the MTD", 100), ("total_dlt", "DLTs", 1),
         ("total_ae", "patients with a grade 1-2 AE", 1)]


@dataclass
class GradedWhatIf:
    """The graded part of the what-if (``WhatIfResult.graded``)."""

    doses: list
    settings: dict
    designs: list
    rows: list  # dicts: scenario, design, method, selection, selection_se, values, ses, p_grade
    differences: list
    conclusions: list
    prior: str

    def to_dict(self) -> dict:
        return {"doses": self.doses, "settings": self.settings, "designs": self.designs, "rows": self.rows,
                "paired_differences": self.differences, "conclusions": self.conclusions, "grade_prior": self.prior}

    def csv_rows(self):
        """Rows (trial, scenario, design, method, metric, dose level, dose value, value, se) for the
        what-if's CSV."""
        for r in self.rows:
            for j, (x, s) in enumerate(zip(r["selection"], r["selection_se"])):
                yield ["graded", r["scenario"], r["design"], r["method"], "selection", j + 1, f"{self.doses[j]:g}", x,
                       s]
            for k in r["values"]:
                yield ["graded", r["scenario"], r["design"], r["method"], k, "", "", r["values"][k], r["ses"][k]]

    def table(self) -> str:
        s = self.settings
        out = [f"== Graded toxicity: what counting grade 1-2 adverse events changes, on "
               f"{', '.join(f'{d:g}' for d in self.doses)} x10^6 cells/kg",
               textwrap.fill(f"Maximum sample size {s['max_n']}, cohorts of {s['cohort_size']}, start at dose 1; DLT "
                             f"= worst grade >= 3, DLT target {s['target']:g}; PCS and the MTD by the DLT rate "
                             "(closest to the target). Every design sees the same patients (one latent tolerance "
                             "gives both the worst grade and the DLT).", width=118, initial_indent="   ",
                             subsequent_indent="   "),
               "   Designs:"]
        for d in self.designs:
            out.append(textwrap.fill(f"- {d['label']}: {d['spec']}", width=118, initial_indent="   ",
                                     subsequent_indent="       "))
        wd = max([len(d["label"]) for d in self.designs] + [24]) + 1
        cells_of = [_row_cells(r) for r in self.rows]
        names = [f"{x:g}" for x in self.doses] + [h for _, h, _ in METRICS]
        key, cw = None, []
        for r, cells in zip(self.rows, cells_of):
            if r["scenario"] != key:
                key = r["scenario"]
                out.append("")
                truth = ""
                if r["p_grade"]:
                    truth = ": P(grade 1, 2, >=3) per dose " + "; ".join(
                        "(" + ", ".join(f"{p:.2f}" for p in g) + ")" for g in r["p_grade"])
                out.append(f"-- {r['scenario']}{truth}  [{r['method']}]")
                cw = _widths([c for x, c in zip(self.rows, cells_of) if x["scenario"] == key], 12)  # SE-driven
                out.append(f"   {'design':<{wd}}" + "".join(f"{h:>{w}}" for h, w in zip(names, cw)))
            out.append(f"   {r['design']:<{wd}}" + "".join(f"{c:>{w}}" for c, w in zip(cells, cw)))
        out.append("")
        out.append("   Conclusion (graded toxicity):")
        out.extend(textwrap.fill(c, width=118, initial_indent="   ", subsequent_indent="     ")
                   for c in self.conclusions)
        out.append(textwrap.fill(f"grade prior: {self.prior}", width=118, initial_indent="   ",
                                 subsequent_indent="      "))
        out.append("")
        return "\n".join(out)

    def add_to_report(self, r) -> None:
        r.heading("Graded toxicity: counting grade 1-2 adverse events")
        r.paragraph(self.table().split("   Designs:")[0].split("\n", 1)[1].replace("\n   ", " ").strip(),
                    lead="What was run")
        for d in self.designs:
            r.paragraph(d["spec"], lead=d["label"])
        header = ["design", *[f"{x:g}" for x in self.doses], *[h for _, h, _ in METRICS]]
        by: dict = {}
        for row in self.rows:
            by.setdefault(row["scenario"], []).append(row)
        for name, rows in by.items():
            body = [[row["design"], *_row_cells(row)] for row in rows]
            r.table(header, body, caption=f"Graded toxicity, scenario '{name}': {rows[0]['method']}",
                    notes="Selection % per dose (x10^6 cells/kg), PCS % (the DLT-rate MTD), % selecting a dose "
                          "above it, none %, mean N, mean DLTs, mean patients with a grade 1-2 AE; Monte Carlo SE "
                          "in brackets" + (", of the mean over the drawn curves (the SD of the per-curve values over "
                                           "the square root of their number)" if name.startswith("prior-predictive")
                                           else "") + ".")
        for k, line in enumerate(self.conclusions):  # one sentence per paragraph
            r.paragraph(line.strip(), lead="Conclusion (graded toxicity)" if k == 0 else None)
        r.paragraph(self.prior, lead="Grade prior")


def _row_cells(r: dict) -> list[str]:
    """Selection % per dose and ``METRICS`` of one (Monte Carlo) row, each with its SE, the decimals
    set by the SE."""
    return [*[_mc(100 * x, 100 * e) for x, e in zip(r["selection"], r["selection_se"])],
            *[_mc(sc * r["values"][k], sc * r["ses"][k]) for k, _, sc in METRICS]]


def _row(name, label, method, oc, p_grade=None, between=False) -> dict:
    """``between``: prior-predictive curves, SEs of the mean over them (``oc.se_between``)."""
    keys = [k for k, _, _ in METRICS]
    se = oc.se_between if between else oc.se
    return {"scenario": name, "design": label, "method": method,
            "selection": [float(x) for x in oc.selection], "selection_se": [float(x) for x in se("selection")],
            "values": {k: float(getattr(oc, k)) for k in keys}, "ses": {k: float(se(k)) for k in keys},
            "p_grade": [] if p_grade is None else [[float(x) for x in g] for g in p_grade]}


def graded(doses, *, target: float, max_n: int, cohort_size: int, n_scenarios: int, n_trials: int, seed: int,
           sources=None, trial: str | None = None, fixed_trials: int = 20_000, progress=False) -> GradedWhatIf:
    """Run the graded comparison (see the module docstring).

    ``sources``: the seed trials whose AE grades make the grade prior (all by default); the what-if
    passes the same trials as its toxicity prior, so that trial ``trial``'s own data are left out
    unless its ``evidence="all"`` asks for them."""
    from . import evidence as _ev

    prior = _ev.grade_prior(trials=None if sources is None else list(sources))
    m1, m2 = (float(x) for x in prior.mean()[1:3])
    t_half = round(target + 0.5 * m2, 3)
    t_both = round(target + 0.25 * m1 + 0.5 * m2, 3)
    arms = [
        dict(label="BOIN (DLTs only)", design=BOIN(target=target, cohort_size=cohort_size, max_n=max_n),
             spec=f"BOIN (R BOIN get.oc) on the DLT (grade >= 3) rate, target {target:g}; grade 1-2 events ignored"),
        dict(label="gBOIN (grade 2 = half a DLT)",
             design=gBOIN(target=t_half, cohort_size=cohort_size, max_n=max_n, scores=(0, 0, 0.5, 1)),
             spec=f"gBOIN (Mu, Xu & Yuan 2019; R TITEgBOIN), worst-grade scores (0, 0, 0.5, 1) for (none, 1, 2, "
                  f">= 3) as in the paper (grade 1 scores 0), target score {t_half:g} = DLT target {target:g} + 0.5 x "
                  f"the grade prior's mean grade-2 rate ({m2:.3f})"),
        dict(label="gBOIN (grade 1 = 0.25, grade 2 = 0.5)",
             design=gBOIN(target=t_both, cohort_size=cohort_size, max_n=max_n, scores=(0, 0.25, 0.5, 1)),
             spec=f"gBOIN with scores (0, 0.25, 0.5, 1), target score {t_both:g} = {target:g} + 0.25 x mean grade-1 "
                  f"rate ({m1:.3f}) + 0.5 x mean grade-2 rate ({m2:.3f})"),
    ]
    designs = [a["design"] for a in arms]
    labels = [a["label"] for a in arms]
    rows, diffs = [], []
    for name, pg in FIXED:
        sc = Scenario.from_grades(pg, target=target, doses=list(doses), dose_unit=UNIT, name=name)
        cmp = compare(designs, [sc], n_trials=fixed_trials, seed=seed, benchmark=False)
        for i, lab in enumerate(labels):
            rows.append(_row(name, lab, f"Monte Carlo, {fixed_trials:,} trials", cmp.oc[i][0], pg))
    ss = _ev.sample_graded_scenarios(prior, doses, n=n_scenarios, seed=seed, target=target)
    cmp = compare(designs, [ss], n_trials=n_trials, seed=seed, progress=progress, benchmark=False)
    pp = f"prior-predictive ({n_scenarios} graded curves from the grade prior)"
    method = f"Monte Carlo, {n_scenarios} x {n_trials} trials"
    for i, lab in enumerate(labels):
        rows.append(_row(pp, lab, method, cmp.oc[i][0], between=n_scenarios > 1))
    for i in range(1, len(designs)):
        d = {"scenario": pp, "design": labels[i], "versus": labels[0]}
        for k, *_ in DIFFS:
            mdiff, se = cmp.difference(k, i, 0, between=n_scenarios > 1)
            d[k], d[f"{k}_se"] = float(mdiff), float(se)
        sel = [cmp.difference("selection", i, 0, between=n_scenarios > 1)]
        d["selection"] = [float(x) for x in sel[0][0]]
        d["selection_se"] = [float(x) for x in sel[0][1]]
        diffs.append(d)
    conclusions = _conclusions(rows, diffs, labels, [n for n, _ in FIXED], doses)
    settings = dict(target=target, max_n=max_n, cohort_size=cohort_size, n_scenarios=n_scenarios, n_trials=n_trials,
                    fixed_trials=fixed_trials, seed=seed, score_targets=[t_half, t_both])
    text = prior.describe()
    if trial is not None:
        own = "own data left out" if sources is not None and trial not in sources else "own data in"
        text = f"from the AE grades of trials {', '.join(sources or _ev.TRIALS)} (trial {trial}'s {own}). " + text
    return GradedWhatIf(list(doses), settings, [{"label": a["label"], "spec": a["spec"]} for a in arms], rows, diffs,
                        conclusions, text)


def _conclusions(rows, diffs, labels, fixed_names, doses) -> list[str]:
    by = {(r["scenario"], r["design"]): r for r in rows}
    out = []
    for name in fixed_names:
        cells = []
        for lab in labels:
            r = by[(name, lab)]
            cells.append(f"{lab} selects " + ", ".join(
                "{}: {}% (SE {})".format(d, *_mc_parts(100 * x, 100 * e))
                for d, x, e in zip((f"{d:g}" for d in doses), r["selection"], r["selection_se"])))
        out.append(f"'{name}' ({by[(name, labels[0])]['method']}): " + "; ".join(cells) + ".")
    for d in diffs:
        sel = ", ".join("{}: {} (SE {})".format(f"{x:g}", *_signed_parts(100 * m, 100 * s))
                        for x, m, s in zip(doses, d["selection"], d["selection_se"]))
        pcs, pcs_se = _signed_parts(100 * d["pcs"], 100 * d["pcs_se"])
        dlt, dlt_se = _signed_parts(d["total_dlt"], d["total_dlt_se"])
        ae, ae_se = _signed_parts(d["total_ae"], d["total_ae_se"])
        out.append(f"'{d['scenario']}', {d['design']} minus {d['versus']}: selection per dose in points {sel}; PCS "
                   f"{pcs} (SE {pcs_se}); DLTs {dlt} (SE {dlt_se}); patients with a grade 1-2 AE {ae} (SE {ae_se}).")
    return out
