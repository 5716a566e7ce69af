"""The what-if comparison behind ``doseesc whatif``: the MSC lupus trials, redesigned.

For each seed trial's dose levels, the design that trial used ("as used": as far as the
evidence says, every assumption printed) is set side by side with the alternatives (BOIN, a
CRM whose prior MTD guess comes from the evidence, mTPI-2, Keyboard, and a 3+3 where the trial
did not use one), all at the same maximum sample size, under fixed scenarios (exact operating
characteristics) and under prior-predictive scenarios drawn from the *other* trials' evidence
(Monte Carlo with SEs; every design sees the same simulated patients, so differences between
designs are paired). The output says what each design is, what the evidence contributed (with
its weight in patients), which designs coincide, and ranks the designs by paired differences.
"""

from __future__ import annotations

import csv
import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _json
from . import _validate as v
from ._jit import all_families
from .designs import BLRM, BOIN, CRM, MTPI2, Keyboard, ThreePlusThree, crm_skeleton
from .engine import compare, exact
from .scenario import Scenario

#: the unit of every dose value the what-if prints (its tables, the design sections of its report)
UNIT = "x10^6 cells/kg"

#: The seed trials the what-if redesigns (figures from ../shared/evidence.md via doseesc.evidence).
TRIALS = {
    "A": dict(label="BM-MSC in refractory lupus nephritis (Lupus 2022, NCT03174587)", doses=(2.0, 3.0),
              used="3+3", start_dose=1, start_basis="stated: start 2.0, escalate to 3.0 if no DLT", max_n=12,
              treated="7 treated (split derived: 4 at 2.0 incl. one partial dose, 3 at 3.0), no DLT",
              max_n_note="the most a 3+3 can enrol on two dose levels; 7 were treated"),
    "B": dict(label="UC-MSC in severe SLE (Cytotherapy 2024, NCT03562065)", doses=(1.0, 2.0, 4.0), used="crm",
              start_dose=2, start_basis="stated: every patient received >= 2 x10^6/kg (5 at 2, 3 at 4); dose 1 "
                                        "was planned (registry) but never given", max_n=12,
              treated="8 treated (5 at 2, 3 at 4), no DLT",
              max_n_note="assumed: 8 were treated; the planned maximum is not in the sources"),
}

#: Prior-predictive curves per trial: each is a scenario of its own.
MAX_SCENARIOS = 100_000
EVIDENCE = ("others", "all")


def _fixed_curves(n_doses: int, target: float) -> list[tuple[str, list[float], tuple | None]]:
    """Hand-set 'what if the truth were ...' curves, scaled to the target (given for target 0.2),
    with the band of acceptable DLT rates where the closest-to-target rule would be wrong."""
    s = target / 0.2
    if n_doses == 2:
        # both doses far above the target: the right decision is to stop without a dose
        raw = [("toxic top dose", [0.15, 0.35], None),
               ("both doses toxic (correct: no dose)", [0.35, 0.50], (0.0, 1.5 * target))]
    else:
        raw = [("toxic top dose", [0.05, 0.15, 0.35], None), ("toxic middle dose", [0.15, 0.35, 0.50], None)]
    return [(name, [min(0.95, s * p) for p in ps], band) for name, ps, band in raw]


# ---------------------------------------------------------------------------- results
#: (key, column header, scale) of the per-design summaries in the tables
METRICS = [("pcs", "PCS", 100), ("over_selection", "sel>MTD", 100), ("no_selection", "none", 100),
           ("sample_size", "mean N", 1), ("n_overdosed", "pts>MTD", 1), ("total_dlt", "DLTs", 1)]
#: paired differences reported against the design as used
DIFFS = [("pcs", "PCS", 100, "points"), ("over_selection", "selection above the MTD", 100, "points"),
         ("n_overdosed", "patients above the MTD", 1, "patients"), ("sample_size", "mean sample size", 1, "patients")]


@dataclass
class WhatIfRow:
    """One design under one scenario of one trial: values and SEs of ``METRICS`` and the
    per-dose selection fractions (SE 0 when ``method == "exact"``)."""

    trial: str
    scenario: str
    design: str
    method: str
    values: dict
    ses: dict
    selection: list
    selection_se: list
    true_p: list = field(default_factory=list)
    pcs_quantiles: dict | None = None


@dataclass
class WhatIfResult:
    """Everything ``doseesc whatif`` prints: ``rows`` (per trial, scenario and design),
    ``designs`` (per trial: label, specification, assumptions), ``differences`` (paired, vs the
    design as used), ``coincide`` (designs with identical decisions), ``priors``, ``settings``."""

    rows: list
    settings: dict
    priors: dict
    designs: dict
    differences: list
    coincide: dict
    conclusions: dict
    meta: dict = field(default_factory=dict)
    #: per trial, for figures and the report: the designs shown, the fixed scenarios and their
    #: exact results (``results[i][j]``: design i under scenario j)
    objects: dict = field(default_factory=dict, repr=False)
    #: the phase I/II part (trial B's doses), a ``doseesc._whatif_obd.OBDWhatIf``, or None
    phase12: Any = None
    #: the graded-toxicity part (trial B's doses), a ``doseesc._whatif_graded.GradedWhatIf``, or None
    graded: Any = None
    #: the complete-information benchmark per trial and scenario: its PCS and SE (of the mean over the
    #: drawn curves in the prior-predictive block) and each design minus it, [difference, SE]
    benchmarks: list = field(default_factory=list)
    #: the BLRM under the robust MAP prior minus the BLRM under the MAP prior alone, per trial and
    #: scenario: paired (prior-predictive, with SEs) or exact differences
    robust_vs_map: list = field(default_factory=list)
    #: per trial, each design shown: its decision after every number of DLTs in its first cohort
    #: at its start dose (:func:`_first_cohort`)
    first_cohort: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ machine-readable
    def to_dict(self) -> dict:
        rows = []
        for r in self.rows:
            rows.append({"trial": r.trial, "scenario": r.scenario, "design": r.design, "method": r.method,
                         "true_p_tox": r.true_p, "selection": r.selection, "selection_se": r.selection_se,
                         **{k: float(r.values[k]) for k in r.values},
                         **{f"{k}_se": float(r.ses[k]) for k in r.ses},
                         **({"pcs_quantiles": r.pcs_quantiles} if r.pcs_quantiles else {})})
        return {"settings": self.settings, "versions": self.meta.get("versions"), "priors": self.priors,
                "designs": self.designs, "coincide": self.coincide, "rows": rows,
                "paired_differences": self.differences, "benchmarks": self.benchmarks,
                "robust_vs_map": self.robust_vs_map, "first_cohort": self.first_cohort,
                "conclusions": self.conclusions,
                "phase_i_ii": None if self.phase12 is None else self.phase12.to_dict(),
                "graded": None if self.graded is None else self.graded.to_dict()}

    def to_json(self) -> str:
        return _json.dumps(self.to_dict(), indent=2)

    def to_csv(self) -> str:
        """Long format: one row per trial, scenario, design, metric and dose (``dose`` the 1-based
        level, ``dose_value`` its value in x10^6 cells/kg, as in every doseesc CSV; both empty for a
        metric that is not per dose)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["trial", "scenario", "design", "method", "metric", "dose", "dose_value", "value", "se"])
        for r in self.rows:
            doses = TRIALS[r.trial]["doses"]
            for j, (x, s) in enumerate(zip(r.selection, r.selection_se)):
                w.writerow([r.trial, r.scenario, r.design, r.method, "selection", j + 1, f"{doses[j]:g}", _num(x),
                            _num(s)])
            for k in r.values:
                w.writerow([r.trial, r.scenario, r.design, r.method, k, "", "", _num(r.values[k]), _num(r.ses[k])])
        for b in self.benchmarks:
            w.writerow([b["trial"], b["scenario"], "complete-information benchmark", b["method"], "pcs", "", "",
                        _num(b["pcs"]), _num(b["pcs_se"])])
            for lab, (m, se) in b["design_minus_benchmark"].items():
                w.writerow([b["trial"], b["scenario"], lab, b["method"], "pcs_minus_benchmark", "", "", _num(m),
                            _num(se)])
        for part in (self.phase12, self.graded):
            if part is not None:
                for row in part.csv_rows():
                    w.writerow([*row[:7], _num(row[7]), _num(row[8])])
        return buf.getvalue()

    # ------------------------------------------------------------------ the table
    def table(self) -> str:
        s = self.settings
        ver = self.meta.get("versions", {})
        out = [f"What if the MSC lupus trials had used other designs?  doseesc {ver.get('doseesc', '')}, "
               f"numba {ver.get('numba', '')}, seed {s['seed']}",
               f"Target DLT rate {s['target']:g}; alternatives in cohorts of {s['cohort_size']}; every design at "
               "the same maximum sample size and on the same simulated patients.",
               "Fixed scenarios: exact operating characteristics (no Monte Carlo error). Prior-predictive: "
               f"{s['n_scenarios']} true curves drawn from the evidence prior x {s['n_trials']} trials each; "
               "(x) = Monte Carlo SE, there of the mean over the drawn curves (the SD of the per-curve values over "
               f"sqrt({s['n_scenarios']}): it counts the curves drawn as well as the trials, as do the paired SEs).",
               f"'PCS across the curves': quantiles of the per-curve PCS, each from {s['n_trials']} trials (a binomial "
               f"SD of at most {50 / math.sqrt(s['n_trials']):.1f} points, which adds to their spread).",
               "Columns: selection % per dose and none; PCS = % selecting the true MTD (the dose closest to the "
               f"target; in a scenario marked 'correct: no dose', every dose has P(DLT) above 1.5 x target = "
               f"{1.5 * s['target']:g}, the most a dose may have to count as acceptable there, and the correct "
               "decision is to select none); sel>MTD = % selecting a dose above it; "
               "mean N; pts>MTD = mean patients treated above it; DLTs = mean DLTs.", ""]
        for trial in s["trials"]:
            out.extend(self._trial_block(trial))
        if self.phase12 is not None:
            out.append(self.phase12.table())
        if self.graded is not None:
            out.append(self.graded.table())
        out.append("Evidence priors (the true curves of the prior-predictive scenarios, and the BLRM's prior):")
        for key, text in self.priors.items():  # one prior per paragraph, wrapped
            out.append(textwrap.fill(f"{key}: {text}", width=118, initial_indent="  ", subsequent_indent="      "))
        return "\n".join(out)

    def _trial_block(self, trial: str) -> list[str]:
        t = TRIALS[trial]
        s = self.settings
        doses = t["doses"]
        out = [f"== Trial {trial}: {t['label']}",
               f"   doses {', '.join(f'{d:g}' for d in doses)} x10^6 cells/kg; {t['treated']}; "
               f"maximum sample size {s['max_n'][trial]}"
               + (f" ({s['max_n_notes'][trial]})" if trial in s["max_n_notes"] else ""),
               "   Designs (dose levels " + ", ".join(f"{k + 1} = {d:g}" for k, d in enumerate(doses))
               + " x10^6 cells/kg):"]
        for d in self.designs[trial]:
            out.append(textwrap.fill(f"- {d['label']}: {d['spec']}", width=118, initial_indent="   ",
                                     subsequent_indent="       "))
            for a in d["assumptions"]:
                out.append(textwrap.fill(f"assumed: {a}", width=118, initial_indent="       ",
                                         subsequent_indent="         "))
        for group in self.coincide.get(trial, []):
            out.append(f"   Note: {' = '.join(group['designs'])}: {group['why']}; shown once, as "
                       f"{group['designs'][0]}.")
        shown = {d["label"] for d in self.designs[trial]} - {x for g in self.coincide.get(trial, [])
                                                             for x in g["designs"][1:]}
        out.extend(_first_cohort_lines(self.first_cohort.get(trial, []), doses))
        wd = max([len(lab) for lab in shown] + [24]) + 1
        mine = [r for r in self.rows if r.trial == trial and r.design in shown]
        cells_of = {}
        for r in mine:
            exact_row = r.method == "exact"
            cells = [_cell(100 * x, 100 * e, exact_row) for x, e in zip(r.selection, r.selection_se)]
            cells += [_cell(sc * float(r.values[k]), sc * float(r.ses[k]), exact_row) for k, _, sc in METRICS]
            cells_of[id(r)] = cells
        names = [f"{x:g}" for x in doses] + [h for _, h, _ in METRICS]
        key, cw = None, []
        for r in mine:
            if r.scenario != key:
                key = r.scenario
                truth = ("true P(DLT) " + ", ".join(f"{p:.3f}" for p in r.true_p)) if r.true_p else ""
                out.append("")
                out.append(f"-- {r.scenario}{': ' + truth if truth else ''}  [{r.method}]")
                cw = _widths([cells_of[id(x)] for x in mine if x.scenario == key], 13)  # SE-driven cells vary
                out.append(f"   {'design':<{wd}}" + "".join(f"{h:>{w}}" for h, w in zip(names, cw)))
            out.append(f"   {r.design:<{wd}}" + "".join(f"{c:>{w}}" for c, w in zip(cells_of[id(r)], cw)))
            if r.pcs_quantiles:
                q = r.pcs_quantiles
                out.append(f"   {'':<{wd}}PCS across the curves: 5% {100 * q['5%']:.0f}, median "
                           f"{100 * q['50%']:.0f}, 95% {100 * q['95%']:.0f}")
        out.append("")
        out.append(f"   Conclusion for trial {trial} (paired differences on the same simulated patients, vs "
                   f"{self.designs[trial][0]['label']}):")
        for line in self.conclusions[trial]:
            pad = " " * (3 + len(line) - len(line.lstrip()))
            out.append(textwrap.fill(line.strip(), width=118, initial_indent=pad, subsequent_indent=pad + "  "))
        out.append("")
        return out

    __str__ = table

    # ------------------------------------------------------------------ figure and report
    def figure(self):
        """One figure: per trial, the PCS and the selection above the MTD of every design shown,
        under every scenario (exact, or Monte Carlo with 95% intervals); shared scales."""
        from . import plot

        return plot.whatif_figure(self)

    def report(self):
        """The what-if as a :class:`~doseesc.report.Report` (``.to_html()``, ``.to_markdown()``),
        built as the run report is (:func:`doseesc.report.whatif_report`): settings and versions,
        then per trial its facts, every design as a protocol states it with what was assumed, its
        decision table and dose-transition pathways, the coinciding designs, one table of operating
        characteristics per scenario (with patients and DLTs per dose), the paired differences, the
        conclusion and figures; finally the evidence priors."""
        from .report import whatif_report

        return whatif_report(self)


def _num(x: float) -> str:
    """A CSV cell: the number, or empty where there is none (an SE from a single trial)."""
    x = float(x)
    return repr(x) if x == x and abs(x) != float("inf") else ""


def _cell(m: float, se: float, exact_row: bool) -> str:
    """A table cell: an exact value alone; a Monte Carlo value with its SE in brackets, the
    decimals set by the SE (:func:`_mc`)."""
    if exact_row:
        return f"{m:.1f}" if abs(m) >= 1 or m == 0 else f"{m:.2f}"
    return _mc(m, se)


def _widths(rows: list[list[str]], minimum: int) -> list[int]:
    """Right-aligned column widths of a text table's cells: each column its widest cell plus two
    spaces, and at least ``minimum``."""
    return [max([minimum] + [len(cells[j]) + 2 for cells in rows]) for j in range(len(rows[0]))] if rows else []


def _mc_parts(m: float, se: float) -> tuple[str, str]:
    """A Monte Carlo value and its SE as two strings with the same decimals, set by the SE as
    everywhere in doseesc (``results._fmt``: the SE to two significant digits, one to four
    decimals); the SE is "n/a" where there is none (one simulated trial)."""
    from .results import _fmt

    value, se_text = _fmt(float(m), float(se), False)[:-1].split(" (")
    return value, se_text


def _mc(m: float, se: float) -> str:
    """``value (SE)``, decimals set by the SE (:func:`_mc_parts`)."""
    value, se_text = _mc_parts(m, se)
    return f"{value} ({se_text})"


def _signed_parts(m: float, se: float) -> tuple[str, str]:
    """A paired difference with its sign (``+`` for a value that rounds to zero) and its SE, decimals
    set by the SE (:func:`_mc_parts`)."""
    value, se_text = _mc_parts(m, se)
    if float(value) == 0:
        value = value.lstrip("-")
    return (value if value.startswith("-") else "+" + value), se_text


def _signed_se(m: float, se: float) -> str:
    """``+value (SE)``: a paired difference, decimals set by the SE (:func:`_signed_parts`)."""
    value, se_text = _signed_parts(m, se)
    return f"{value} ({se_text})"


def _dose_text(x: float) -> str:
    """A dose value with its unit, as every what-if table labels doses: ``3 x10^6 cells/kg``."""
    return f"{x:g} {UNIT}"


# ---------------------------------------------------------------------------- designs
def _spec(d, prior_note: str = "the MAP prior below") -> str:
    """One line: what a design is, with its numbers (see ``Design.describe`` for protocol text);
    ``prior_note`` says where a BLRM's given prior is described."""
    from .designs.modifiers import Modified

    base = d.base if isinstance(d, Modified) else d
    extra = []
    if isinstance(d, Modified):
        if d.safety_threshold is not None:
            extra.append(f"stop with no dose if P(p{d.safety_dose} > {d.safety_target:g} | data) > "
                         f"{d.safety_threshold:g} (Beta(1, 1), >= {d.safety_min_n} patients)")
        if d.stop_at is not None:
            extra.append(f"at most {d.stop_at} patients (last cohort truncated)")
    start = f"start at dose {base.start_dose}"
    if isinstance(base, ThreePlusThree):
        txt = f"3+3, cohorts of 3, {start}, escalation with de-escalation to confirm 6 patients (bcrm threep3)"
    elif isinstance(base, BOIN):
        le, ld = base.lambdas
        txt = (f"BOIN (R BOIN get.oc), cohorts of {base.cohort_size}, max {base.max_n}, {start}; escalate if the "
               f"dose's DLT rate <= {le:.3f}, de-escalate if >= {ld:.3f}; eliminate a dose (and higher) if "
               f"P(p > {base.target:g}) > {base.cutoff_eli:g}; select by isotonic estimate closest to the target")
    elif isinstance(base, (MTPI2, Keyboard)):
        kind = "keys" if isinstance(base, Keyboard) else "intervals"
        txt = (f"{base.family}, cohorts of {base.cohort_size}, max {base.max_n}, {start}; target {kind} "
               f"[{base.target - base.epsilon1:g}, {base.target + base.epsilon2:g}]; eliminate if "
               f"P(p > {base.target:g}) > {base.cutoff_eli:g}; BOIN's selection rule")
    elif isinstance(base, CRM):
        sk = ", ".join(f"{x:.3f}" for x in base.skeleton)
        txt = (f"CRM (dfcrm), {base.model} model, skeleton {sk}, prior beta ~ N(0, {base.prior_sd:.3g}^2), cohorts "
               f"of {base.cohort_size}, max {base.max_n}, {start}"
               + (", no skipping and no escalation after a cohort with DLT rate >= target" if base.restrict else ""))
    elif isinstance(base, BLRM):
        lo, hi = base.target_interval
        cut = base.overdose_cut if base.overdose_cut is not None else hi
        k = len(base.components())
        txt = (f"BLRM (crmPack NextBest{base.rule.upper()}), logit p(d) = log(alpha) + beta log(d / {base.d_ref:g}), "
               f"prior {'a ' + str(k) + '-component mixture' if k > 1 else 'bivariate normal'} on (log alpha, log beta)"
               f"{' (' + prior_note + ')' if base.prior is not None else ''}; target interval [{lo:g}, {hi:g}], "
               f"eligible if P(p > {cut:g}) <= {base.overdose_max:g}; cohorts of {base.cohort_size}, max "
               f"{base.max_n}, {start}, no skipping of untried doses; stop for safety when no dose is eligible")
    else:  # pragma: no cover - every design used here is above
        txt = d.label()
    return "; ".join([txt, *extra])


#: Reference dose of the what-if's BLRM (x10^6 cells/kg): the dose most of the evidence was given at.
BLRM_D_REF = 2.0


def _map_key(doses, sources) -> tuple:
    """The disk-cache key of the MAP prior for ``doses`` from the evidence trials ``sources``, and
    the trials it leaves out."""
    from . import evidence as _ev

    exclude = [x for x in _ev.TRIALS if x not in sources]
    return (tuple(doses), BLRM_D_REF, tuple(exclude)), exclude


def _map_prior(doses, sources):
    """The BLRM's MAP prior from the evidence trials ``sources`` (kept on disk between runs: the
    fit is deterministic and takes seconds)."""
    from . import _diskcache
    from . import evidence as _ev

    key, exclude = _map_key(doses, sources)
    return _diskcache.cached("blrm_map_prior", key,
                             lambda: _ev.blrm_map_prior(doses, BLRM_D_REF, exclude=exclude or None))


def _robust_prior(doses, sources, weight, map_prior):
    """``map_prior`` (the MAP prior of :func:`_map_prior` for ``doses`` and ``sources``) robustified
    with ``weight``, kept on disk like it (its moments take SciPy's Gauss-Hermite nodes, and a warm
    what-if then needs no ``scipy.special``)."""
    from . import _diskcache

    key, _ = _map_key(doses, sources)
    return _diskcache.cached("blrm_robust_prior", key + (float(weight),), lambda: map_prior.robustify(weight))


def _designs(trial: str, target: float, max_n: int, cohort_size: int, prior, map_prior=None,
             sources=(), robust_prior=None) -> list[dict]:
    """The design the trial used (first) and the alternatives, each with its specification and
    what had to be assumed. The CRMs carry the safety stop BOIN, mTPI-2 and Keyboard have built
    in; the 3+3 stops at the common maximum sample size."""
    t = TRIALS[trial]
    n_doses = len(t["doses"])
    out = []
    if t["used"] == "3+3":
        out.append(dict(label="3+3 (as used)", design=ThreePlusThree(start_dose=t["start_dose"]).stop_at_n(max_n),
                        assumptions=[]))
    else:
        nu = (n_doses + 1) // 2
        sk = crm_skeleton(halfwidth=0.05, target=target, nu=nu, n_doses=n_doses)
        out.append(dict(label="CRM (as used)", design=CRM(skeleton=sk, target=target, cohort_size=cohort_size,
                                                         max_n=max_n, start_dose=t["start_dose"]).stop_for_safety(0.95),
                        assumptions=[
                            "the trial's own model, skeleton, prior and cohort size are not in the sources: an "
                            f"empiric CRM with a conventional skeleton (prior MTD guess at the middle dose, "
                            f"indifference half-width 0.05) and cohorts of {cohort_size}",
                            f"start at dose {t['start_dose']} ({t['start_basis']})"]))
    out.append(dict(label="BOIN", design=BOIN(target=target, cohort_size=cohort_size, max_n=max_n), assumptions=[]))
    nu = prior.mtd_guess(target)
    sk = crm_skeleton(halfwidth=0.05, target=target, nu=nu, n_doses=n_doses)
    out.append(dict(label=f"CRM (evidence MTD guess: {_dose_text(t['doses'][nu - 1])})",
                    design=CRM(skeleton=sk, target=target, cohort_size=cohort_size, max_n=max_n).stop_for_safety(0.95),
                    assumptions=[]))
    # Neuenschwander et al.'s intervals scaled to the target: [0.8 t, 1.65 t], i.e. OncoBayes2's
    # [0.16, 0.33] at the what-if's default target 0.2; overdose control at 0.25
    for mp, label in ((map_prior, f"BLRM (MAP prior from trials {', '.join(sources)})"),
                      (robust_prior, f"BLRM (robust MAP from trials {', '.join(sources)}; "
                                     f"{100 * getattr(robust_prior, 'robust_weight', 0):g}% vague)")):
        if mp is not None:
            out.append(dict(label=label,
                            design=BLRM(doses=list(t["doses"]), d_ref=BLRM_D_REF, prior=mp,
                                        target_interval=(round(0.8 * target, 6), round(1.65 * target, 6)),
                                        overdose_max=0.25, rule="ncrm", cohort_size=cohort_size, max_n=max_n),
                            assumptions=[], prior_note=None if mp is not robust_prior else (
                                "the robust MAP prior below: the MAP prior's components at total weight "
                                f"{1 - mp.robust_weight:g} and a weakly informative N(({mp.means[-1][0]:.3g}, "
                                f"{mp.means[-1][1]:.3g}), sd ({mp.sds[-1][0]:g}, {mp.sds[-1][1]:g})) at "
                                f"{mp.robust_weight:g}")))
    out.append(dict(label="mTPI-2", design=MTPI2(target=target, cohort_size=cohort_size, max_n=max_n), assumptions=[]))
    out.append(dict(label="Keyboard", design=Keyboard(target=target, cohort_size=cohort_size, max_n=max_n),
                    assumptions=[]))
    if t["used"] != "3+3":
        out.append(dict(label="3+3", design=ThreePlusThree().stop_at_n(max_n), assumptions=[]))
    for d in out:
        d["spec"] = _spec(d["design"], d.pop("prior_note", None) or "the MAP prior below")
    return out


def _coincide(designs: list[dict], max_n: int) -> list[dict]:
    """Groups of interval designs that make the same decision at every (patients, DLTs) pair up
    to ``max_n`` and share cohort size, start dose and the selection rule: identical trials."""
    from .designs.interval import _IntervalDesign

    groups: list[list] = []
    for d in designs:
        x = d["design"]
        if not isinstance(x, _IntervalDesign):
            continue
        table = x.decision_table(max_n)  # the rows a trial in cohorts of cohort_size can reach
        c = x.cohort_size  # a dose holds whole cohorts, plus the truncated last one
        reach = [table[n] for n in table if n % c in (0, max_n % c)]
        key = (x.cohort_size, x.start_dose, x.max_n, x.cutoff_eli, x.n_earlystop, str(reach))
        for g in groups:
            if g[0] == key:
                g[1].append(d["label"])
                break
        else:
            groups.append([key, [d["label"]]])
    return [{"designs": g[1], "why": f"the same decision (escalate / stay / de-escalate / eliminate) at every number "
                                    f"of patients a trial in cohorts of {g[0][0]} reaches up to {max_n}, and the "
                                    "same selection rule, hence identical trials"}
            for g in groups if len(g[1]) > 1]


# ---------------------------------------------------------------------------- conclusions
def _conclusions(trial: str, rows: list, diffs: list, as_used: str, labels: list[str], fixed_names: list[str]
                 ) -> list[str]:
    """Sentences that only restate the numbers: the prior-predictive ranking by paired PCS
    difference (with SEs; a difference within 2 SE is called indistinguishable here), and the
    exact results under the fixed toxic scenarios. Each line is a sentence of its own, ending
    with a full stop (the report sets them one after the other); Monte Carlo values carry their
    SEs, with the decimals set by the SE."""
    mine = [d for d in diffs if d["trial"] == trial and d["method"] != "exact"]
    lines = []
    if mine:
        lines.append(f"Scenario '{mine[0]['scenario']}': each alternative minus {as_used}, best PCS first "
                     f"({mine[0]['method']}; paired SEs).")
        for d in sorted(mine, key=lambda d: -d["pcs"]):
            parts = []
            for k, text, sc, unit in DIFFS:
                val, se = _signed_parts(sc * d[k], sc * d[f"{k}_se"])
                parts.append(f"{text} {val}{' points' if unit == 'points' else ''} (SE {se})")
            tag = "" if abs(d["pcs"]) > 2 * d["pcs_se"] else "; PCS difference within 2 SE"
            lines.append(f"  {d['design']}: " + "; ".join(parts) + tag + ".")
    by = {(r.scenario, r.design): r for r in rows if r.trial == trial}
    if mine:
        pp = [by[(mine[0]["scenario"], lab)] for lab in labels if (mine[0]["scenario"], lab) in by]
        top = max(pp, key=lambda r: r.values["pcs"])
        safe = min(pp, key=lambda r: (r.values["over_selection"], r.values["n_overdosed"]))
        pcs, pcs_se = _mc_parts(100 * top.values["pcs"], 100 * top.ses["pcs"])
        over, over_se = _mc_parts(100 * safe.values["over_selection"], 100 * safe.ses["over_selection"])
        n_over, n_over_se = _mc_parts(safe.values["n_overdosed"], safe.ses["n_overdosed"])
        lines.append(f"Highest PCS there: {top.design} ({pcs}%, SE {pcs_se}); least selection above the MTD: "
                     f"{safe.design} ({over}%, SE {over_se}; {n_over} patients above it per trial, SE {n_over_se}).")
    for name in fixed_names:
        cells = []
        for lab in labels:
            r = by.get((name, lab))
            if r is not None:
                cells.append(f"{lab} {100 * r.values['pcs']:.1f}% / {100 * r.values['over_selection']:.1f}%")
        lines.append(f"'{name}' (exact; PCS / selection above the MTD): " + ", ".join(cells) + ".")
    return lines


def _first_cohort(label: str, design, n_doses: int, cohort_size: int) -> dict:
    """What ``design`` does after its first cohort at its start dose, for every number of DLTs in
    it: the next dose (1-based), or a stop with the dose it would select (None for none).

    Read off the exact enumeration of the design cut to two cohorts, with P(DLT) 0.5 at every
    dose so that every first-cohort outcome occurs (the kernels the what-if has compiled for its
    exact rows; a design's live ``next_dose`` gives the same decisions, tested, but compiles its
    own kernels: about a minute on a cold cache). After ``k`` DLTs the design stopped if a
    terminal state holds only the first cohort with ``k`` DLTs, moved to dose ``d`` if one holds
    that cohort and the second at ``d``, and otherwise stayed at the start dose."""
    from .designs.modifiers import Modified
    from .engine.api import _exact_records

    base = design.base if isinstance(design, Modified) else design
    c = 3 if isinstance(base, ThreePlusThree) else cohort_size
    start = base.start_dose
    low = design.lower(n_doses)
    recs = _exact_records(low._replace(max_n=2 * c), Scenario(p_tox=[0.5] * n_doses, target=0.2))
    s = start - 1
    n, y = recs.n_patients, recs.n_dlt
    total = n.sum(axis=1)
    after = []
    for k in range(c + 1):
        first = (n[:, s] == c) & (y[:, s] == k)
        stop = np.flatnonzero(first & (total == c))
        moved = np.flatnonzero(first & (total == 2 * c))
        if stop.size:
            sel = int(recs.selected[stop[0]])
            after.append({"dlts": k, "next_dose": None, "stop": True, "selected": sel if sel > 0 else None})
        else:
            nxt = start
            if moved.size:
                used = np.flatnonzero(n[moved[0]] > 0)
                nxt = int(used[used != s][0]) + 1
            after.append({"dlts": k, "next_dose": nxt, "stop": False, "selected": None})
    return {"design": label, "start_dose": start, "cohort_size": c, "after": after}


def _first_cohort_lines(entries: list, doses) -> list[str]:
    """The first-cohort decisions as text, doses by value; then which designs escalate after a
    first cohort with at least 2 DLTs (a DLT rate of at least 2/3 for cohorts of 3)."""
    if not entries:
        return []

    def dose(level: int) -> str:
        return f"{doses[level - 1]:g}"

    def what(a: dict) -> str:
        if not a["stop"]:
            return dose(a["next_dose"])
        return "stop" + ("" if a["selected"] is None else f" (select {dose(a['selected'])})")

    out = ["   First cohort: each design's next dose (x10^6 cells/kg) after 0, 1, ... DLTs in its first cohort "
           "at its start dose (the design's own rule):"]
    wd = max(len(e["design"]) for e in entries) + 1
    for e in entries:
        out.append(f"   {e['design']:<{wd}} start {dose(e['start_dose'])}, cohort of {e['cohort_size']}: "
                   + ", ".join(f"{a['dlts']} -> {what(a)}" for a in e["after"]))
    flag = _first_cohort_flag(entries, doses)
    if flag:
        out.append(textwrap.fill(flag, width=118, initial_indent="   ", subsequent_indent="     "))
    return out


def _first_cohort_flag(entries: list, doses) -> str | None:
    """The designs that escalate after a first cohort with at least 2 DLTs making up half or more
    of it, as a sentence (None if none does)."""
    up = [f"{e['design']} ({a['dlts']}/{e['cohort_size']} at {doses[e['start_dose'] - 1]:g} -> "
          f"{doses[a['next_dose'] - 1]:g})"
          for e in entries for a in e["after"]
          if a["dlts"] >= 2 and 2 * a["dlts"] >= e["cohort_size"] and not a["stop"]
          and a["next_dose"] > e["start_dose"]]
    if not up:
        return None
    return "Escalates after a first cohort with at least 2 DLTs (half or more of it): " + "; ".join(up) + "."


def _robust_lines(trial: str, cmp, labels: list[str], rows: list, fixed_names: list[str], pp_name: str,
                  method: str, between: bool, record: list) -> list[str]:
    """The BLRM under the robust MAP prior minus the BLRM under the MAP prior alone: paired over
    the prior-predictive curves (with SEs), exact under the fixed scenarios. ``record`` gets the
    numbers (``WhatIfResult.robust_vs_map``)."""
    i_map = next(i for i, lab in enumerate(labels) if lab.startswith("BLRM (MAP prior"))
    i_rob = next(i for i, lab in enumerate(labels) if lab.startswith("BLRM (robust MAP"))
    rec = {"trial": trial, "scenario": pp_name, "method": method, "design": labels[i_rob], "versus": labels[i_map]}
    parts = []
    for k, text, sc, unit in DIFFS[:3]:
        m, se = cmp.difference(k, i_rob, i_map, between=between)
        rec[k], rec[f"{k}_se"] = float(m), float(se)
        val, se_txt = _signed_parts(sc * m, sc * se)
        parts.append(f"{text} {val}{' points' if unit == 'points' else ''} (SE {se_txt})")
    record.append(rec)
    by = {(r.scenario, r.design): r for r in rows if r.trial == trial}
    cells = []
    for name in fixed_names:
        a, b = by.get((name, labels[i_rob])), by.get((name, labels[i_map]))
        if a is None or b is None:
            continue
        dp = 100 * (a.values["pcs"] - b.values["pcs"])
        do = 100 * (a.values["over_selection"] - b.values["over_selection"])
        record.append({"trial": trial, "scenario": name, "method": "exact", "design": labels[i_rob],
                       "versus": labels[i_map], "pcs": dp / 100, "over_selection": do / 100,
                       "n_overdosed": float(a.values["n_overdosed"] - b.values["n_overdosed"])})
        cells.append(f"'{name}' {dp:+.1f} / {do:+.1f}")
    lines = [f"{labels[i_rob]} minus {labels[i_map]} (the same design under the robust prior; same simulated "
             f"patients): '{pp_name}' " + "; ".join(parts) + "."]
    if cells:
        lines.append("The same under the fixed scenarios (exact; PCS / selection above the MTD, in points): "
                     + ", ".join(cells) + ".")
    return lines


#: trials of the complete-information benchmark under each fixed scenario
BENCH_TRIALS = 20_000


def _benchmark_lines(cmp, max_n: int, labels: list[str], shown: list[int], scenarios: list, fixed: list,
                     seed: int, fixed_rows: list | None = None, record: list | None = None,
                     trial: str = "", pp_name: str = "") -> list[str]:
    """The complete-information benchmark (O'Quigley, Paoletti & Maccario 2002) as the upper
    reference: its PCS on the prior-predictive curves (the designs' own patients, so each
    design's shortfall is a paired difference with its SE) and, by Monte Carlo, under every fixed
    scenario with a correct dose; one sentence names the fixed scenarios left out (where the
    correct answer is no dose, which the benchmark never gives) and why. ``record``: a list that
    receives the same figures as dicts (``WhatIfResult.benchmarks``, for JSON and CSV)."""
    from .benchmark import optimal_benchmark

    record = [] if record is None else record

    lines = []
    b = (cmp.benchmark[0] or {}).get(max_n) if cmp.benchmark else None
    if b is not None:
        parts, above, minus = [], [], {}
        for lab, i in zip(labels, shown):
            dm, ds = b.difference(cmp.oc[i][0], "pcs", between=True)
            minus[lab] = [float(dm), float(ds)]
            val, se = _signed_parts(100 * dm, 100 * ds)
            parts.append(f"{lab} {val} (SE {se})")
            if dm > 4 * ds:
                above.append(lab)
        b_se = b.se_between("pcs")
        pcs, pcs_se = _mc_parts(100 * b.pcs, 100 * b_se)
        record.append({"trial": trial, "scenario": pp_name, "method": "Monte Carlo, the designs' patients",
                       "max_n": max_n, "pcs": float(b.pcs), "pcs_se": float(b_se),
                       "design_minus_benchmark": minus})
        lines.append(f"Upper reference, the complete-information benchmark on the same simulated patients (the dose "
                     f"closest to the target if every patient's outcome were known at every dose; O'Quigley, "
                     f"Paoletti & Maccario 2002): PCS {pcs}% (SE {pcs_se}); each design "
                     f"minus it, in points: " + ", ".join(parts) + ".")
        if above:
            lines.append(f"{', '.join(above)} {'exceeds' if len(above) == 1 else 'exceed'} the benchmark by more than "
                         "4 SE here. The benchmark uses no prior: it estimates each dose's rate from the trial's "
                         f"{max_n} patients alone, while these true curves are drawn from the evidence that also "
                         "shapes the designs' priors, so a design whose prior carries that evidence can select better. "
                         "The benchmark is an upper reference for designs without such information, not a bound.")
    cells, left_out, beyond = [], [], []
    for sc, (name, _, band) in zip(scenarios, fixed):
        if band is not None:  # the correct answer is no dose, which the benchmark never gives
            left_out.append(name)
            continue
        fb = optimal_benchmark(sc, max_n, n_trials=BENCH_TRIALS, seed=seed)
        pcs, pcs_se = _mc_parts(100 * fb.pcs, 100 * fb.se("pcs"))
        cells.append(f"'{name}' {pcs}% (SE {pcs_se})")
        record.append({"trial": trial, "scenario": name, "method": f"Monte Carlo, {BENCH_TRIALS:,} trials",
                       "max_n": max_n, "pcs": float(fb.pcs), "pcs_se": float(fb.se("pcs")),
                       "design_minus_benchmark": {r.design: [float(r.values["pcs"] - fb.pcs), float(fb.se("pcs"))]
                                                  for r in fixed_rows or () if r.scenario == name
                                                  and r.method == "exact"}})
        for r in fixed_rows or ():  # exact rows: the difference's SE is the benchmark's own
            if r.scenario == name and r.method == "exact" and r.values["pcs"] - fb.pcs > 4 * fb.se("pcs"):
                beyond.append(f"{r.design} under '{name}' ({100 * r.values['pcs']:.1f}% against {pcs}%)")
    if cells:
        lines.append(f"Benchmark PCS under the fixed scenarios (Monte Carlo, {BENCH_TRIALS:,} trials): "
                     + ", ".join(cells) + ".")
    if beyond:
        lines.append("Above the benchmark by more than 4 of its SEs: " + "; ".join(beyond) + ". The benchmark "
                     f"estimates each dose's DLT rate from the trial's {max_n} patients alone; a design whose prior or "
                     "model suits the curve can select better, so it is a reference for such designs, not a bound.")
    if left_out:
        quoted = ", ".join(f"'{x}'" for x in left_out)
        lines.append(f"No benchmark for {quoted}: there the correct decision is to select no dose, and the benchmark "
                     "always selects a dose (the one whose complete-information estimate is closest to the target), "
                     "so its PCS would be 0 by construction.")
    return lines


# ---------------------------------------------------------------------------- the what-if
@all_families()  # six design families: one shared compile of the trial loop and of exact enumeration
def whatif(trials: Sequence[str] = ("A", "B"), *, target: float = 0.2, max_n: int | None = None,
           cohort_size: int = 3, discount: float = 0.5, evidence: str = "others", blrm: bool = True,
           robust_weight: float = 0.2,
           n_scenarios: int = 200, n_trials: int = 250, seed: int = 1, progress: bool | None = False,
           phase12: bool = True, phase12_max_n: int = 18, eff_endpoint: str = "B:response-M12",
           eff_discount: float = 0.5, graded: bool = True, efftox: bool = True) -> WhatIfResult:
    """Redesign the MSC lupus trials: the design each used vs the alternatives.

    Parameters
    ----------
    trials : sequence of {"A", "B"}
        A: BM-MSC, 3+3 on 2.0 / 3.0 x10^6 cells/kg. B: UC-MSC, Bayesian (CRM) on 1 / 2 / 4,
        started at 2 as treated.
    target : float
        Target DLT probability (non-oncology: 0.1-0.2 is usual).
    max_n : int, optional
        Maximum sample size of every design, the 3+3 included (default: 12, see ``TRIALS``).
    cohort_size : int
        Cohort size of BOIN, the CRMs, mTPI-2 and Keyboard.
    discount : float
        Power-prior weight, in [0, 1], of the evidence trials' DLT data: 1 pools the BM-, UC- and
        AD-MSC trials at full weight, 0.5 (default) counts each of their patients as half a
        patient (different products, different DLT definitions), 0 ignores them.
    evidence : {"others", "all"}
        "others" (default): each trial's prior leaves that trial's own data out (its what-if is
        judged on the evidence it did not produce); "all": every trial's data (circular for the
        trial being redesigned).
    blrm : bool
        Include a BLRM whose prior is the MAP prior from the evidence trials (the hierarchical
        model's own heterogeneity discounts them; ``discount`` does not apply). Its fit takes a few
        seconds the first time and is then kept in the per-user cache directory.
    robust_weight : float
        With ``blrm``: also run the BLRM under the robust version of that MAP prior, a weakly
        informative component (the MAP model's hyperprior mean, sds (2, 1)) added at this weight
        (Schmidli et al. 2014; :meth:`doseesc.evidence.BLRMMapPrior.robustify`), which lets a
        trial whose data conflict with the evidence trials move away from them. In [0, 1); 0
        leaves that row out (default 0.2).
    n_scenarios, n_trials : int
        Prior-predictive true curves, and simulated trials under each.
    seed : int
    phase12 : bool
        With trial B: also ask the phase I/II question on its doses (1 / 2 / 4 x10^6 cells/kg):
        which dose gives the best benefit-risk (the OBD), by BOIN12 beside the toxicity-only BOIN
        and CRM, under fixed joint scenarios (exact) and prior-predictive ones, with the cost in
        patients and months (``WhatIfResult.phase12``; see ``doseesc._whatif_obd``).
    phase12_max_n : int
        Maximum sample size of every design in the phase I/II part (default 18: six cohorts of 3).
    eff_endpoint : str
        The seed-trial efficacy endpoint behind the phase I/II prior-predictive curves (default
        trial B's clinical response at month 12, 4/8); see ``doseesc.evidence.endpoints()``.
    eff_discount : float
        Weight of each of that endpoint's patients in the efficacy prior, in [0, 1].
    efftox : bool
        Include EffTox in the phase I/II part (its priors elicited from the evidence; simulation
        only, so its fixed-scenario rows are Monte Carlo).
    graded : bool
        With trial B: also show what counting grade 1-2 adverse events changes -- gBOIN beside
        the DLT-only BOIN on its doses, under fixed graded scenarios and prior-predictive ones
        from the per-grade AE prior of the same trials as the toxicity prior (``evidence``: by default
        trial B's own AE grades are left out) (``WhatIfResult.graded``; see ``doseesc._whatif_graded``).

    Returns
    -------
    WhatIfResult

    Examples
    --------
    >>> import doseesc as de
    >>> res = de.whatif(trials=["A"], n_scenarios=5, n_trials=20)
    >>> res.rows[0].design
    '3+3 (as used)'
    """
    from . import evidence as _ev  # lazy: the priors need scipy, which `import doseesc` does not
    from .engine.api import _versions, check_memory

    trials = list(trials) if not isinstance(trials, str) else [trials]
    if not trials:
        raise ValueError("trials: give at least one of 'A', 'B'")
    for i, t in enumerate(trials):
        v.choice("trials", t, tuple(TRIALS))
        if t in trials[:i]:
            raise ValueError(f"trials: {t!r} given twice")
    target = v.open_unit("target", target)
    cohort_size = v.integer("cohort_size", cohort_size, low=1, high=v.MAX_PATIENTS)
    discount = v.number("discount", discount)
    if not 0 <= discount <= 1:
        raise ValueError(f"discount: must be in [0, 1], got {discount}")
    v.choice("evidence", evidence, EVIDENCE)
    n_scenarios = v.integer("n_scenarios", n_scenarios, low=1, high=MAX_SCENARIOS)
    n_trials = v.integer("n_trials", n_trials, low=1)
    seed = v.seed(seed)
    if max_n is not None:
        max_n = v.integer("max_n", max_n, low=1, high=v.MAX_PATIENTS)
    for t in trials:  # the cohort size against the maximum sample size it must fit in
        m = max_n if max_n is not None else TRIALS[t]["max_n"]
        if cohort_size > m:
            raise ValueError(f"cohort_size: must be at most the maximum sample size ({m} for trial {t}"
                             f"{'' if max_n is not None else ', max_n'}), got {cohort_size}")
    if not isinstance(phase12, (bool, np.bool_)):
        raise ValueError(f"phase12: expected True or False, got {phase12!r}")
    if not isinstance(efftox, (bool, np.bool_)):
        raise ValueError(f"efftox: expected True or False, got {efftox!r}")
    if not isinstance(graded, (bool, np.bool_)):
        raise ValueError(f"graded: expected True or False, got {graded!r}")
    phase12_max_n = v.integer("phase12_max_n", phase12_max_n, low=1, high=v.MAX_PATIENTS)
    if phase12 and "B" in trials and cohort_size > phase12_max_n:
        raise ValueError(f"cohort_size: must be at most the phase I/II maximum sample size (phase12_max_n = "
                         f"{phase12_max_n}), got {cohort_size}")
    robust_weight = v.number("robust_weight", robust_weight)
    if not 0 <= robust_weight < 1:
        raise ValueError(f"robust_weight: must be in [0, 1) (0 leaves the robust-prior BLRM out), got {robust_weight}")
    eff_discount = v.number("eff_discount", eff_discount)
    if not 0 <= eff_discount <= 1:
        raise ValueError(f"eff_discount: must be in [0, 1], got {eff_discount}")
    if phase12 and "B" in trials:
        keys = [e.key for e in _ev.endpoints()]
        v.choice("eff_endpoint", eff_endpoint, tuple(keys))
    n_arms = 6 + int(blrm) + int(blrm and robust_weight > 0)  # 3+3, BOIN, mTPI-2, Keyboard and two CRMs, the BLRMs
    for trial in trials:  # before any work: every design's records of the prior-predictive run fit
        check_memory(n_scenarios * n_trials * n_arms, len(TRIALS[trial]["doses"]),
                     per=f" ({n_scenarios:,} curves x {n_trials:,} trials x {n_arms} designs)")
    rows, priors, maxes, all_designs, diffs, coincide, conclusions, objects = [], {}, {}, {}, [], {}, {}, {}
    robust_vs_map: list = []
    first_cohort: dict = {}
    benchmarks: list = []
    p12 = gr = None
    for trial in trials:
        t = TRIALS[trial]
        doses = list(t["doses"])
        mn = max_n if max_n is not None else t["max_n"]
        maxes[trial] = mn
        sources = [x for x in _ev.TRIALS if evidence == "all" or x != trial]
        prior = _ev.dose_response_prior(doses, trials=sources, discount=discount)
        priors[f"trial {trial}"] = _prior_text(prior, trial, sources, discount)
        mp = _map_prior(doses, sources) if blrm else None
        if mp is not None:
            own = "own data left out" if trial not in sources else "own data in"
            priors[f"trial {trial} BLRM"] = (f"MAP prior from trials {', '.join(sources)} (hierarchical model across "
                                             f"trials; {own}): " + mp.describe())
        rp = _robust_prior(doses, sources, robust_weight, mp) if mp is not None and robust_weight > 0 else None
        if rp is not None:
            priors[f"trial {trial} robust BLRM"] = _robust_text(rp)
        arms = _designs(trial, target, mn, cohort_size, prior, mp, sources, rp)
        all_designs[trial] = [{"label": a["label"], "spec": a["spec"], "assumptions": a["assumptions"],
                               "design": a["design"].to_dict()} for a in arms]
        coincide[trial] = _coincide(arms, mn)
        designs = [a["design"] for a in arms]
        labels = [a["label"] for a in arms]
        mean = list(np.asarray(prior.mean_curve(), dtype=float))
        fixed = [("all safe (evidence mean curve)", mean, None)] + _fixed_curves(len(doses), target)
        hidden = {x for g in coincide[trial] for x in g["designs"][1:]}
        first_cohort[trial] = [_first_cohort(lab, d, len(doses), cohort_size)
                               for lab, d in zip(labels, designs) if lab not in hidden]
        shown = [i for i, lab in enumerate(labels) if lab not in hidden]
        objects[trial] = {"all_designs": designs, "designs": [designs[i] for i in shown], "scenarios": [],
                          "results": [[] for _ in shown]}
        for name, ps, band in fixed:
            p = np.asarray(ps)
            sc = Scenario(p_tox=p, target=target, doses=doses, dose_unit=UNIT, name=name, mtd_band=band)
            objects[trial]["scenarios"].append(sc)
            for i, (label, d) in enumerate(zip(labels, designs)):
                oc = exact(d, sc)
                rows.append(_row(trial, name, label, "exact", oc, [float(x) for x in p]))
                if i in shown:
                    objects[trial]["results"][shown.index(i)].append(oc)
        sset = _ev.sample_scenarios(prior, doses, n=n_scenarios, seed=seed, target=target,
                                    name=f"trial {trial} prior draw")
        cmp = compare(designs, [sset], n_trials=n_trials, seed=seed, progress=progress)
        objects[trial]["comparison"] = cmp
        pp_name = f"prior-predictive ({n_scenarios} curves from the evidence prior)"
        method = f"Monte Carlo, {n_scenarios} x {n_trials} trials"
        for i, label in enumerate(labels):
            rows.append(_row(trial, pp_name, label, method, cmp.oc[i][0], [],
                             cmp.oc[i][0].pcs_quantiles if n_scenarios > 1 else None, between=n_scenarios > 1))
        for i in range(1, len(designs)):
            d = {"trial": trial, "scenario": pp_name, "method": method, "design": labels[i], "versus": labels[0]}
            for k, *_ in DIFFS:
                m, se = cmp.difference(k, i, 0, between=n_scenarios > 1)
                d[k], d[f"{k}_se"] = float(m), float(se)
            diffs.append(d)
        conclusions[trial] = _conclusions(trial, rows, [d for d in diffs if d["design"] not in hidden], labels[0],
                                          [lab for lab in labels if lab not in hidden], [f[0] for f in fixed[1:]])
        conclusions[trial] += _benchmark_lines(cmp, mn, [labels[i] for i in range(len(labels)) if i in shown],
                                               shown, objects[trial]["scenarios"], fixed, seed,
                                               [r for r in rows if r.trial == trial and r.design not in hidden],
                                               benchmarks, trial, pp_name)
        if rp is not None:
            conclusions[trial] += _robust_lines(trial, cmp, labels, rows, [f[0] for f in fixed], pp_name, method,
                                                n_scenarios > 1, robust_vs_map)
        if phase12 and trial == "B":
            from ._whatif_obd import phase12 as _phase12

            tox = [dict(a, spec=_spec(a["design"])) for a in
                   _designs(trial, target, phase12_max_n, cohort_size, prior, None, sources)
                   if a["label"] == "BOIN" or a["label"].startswith("CRM (evidence")]
            p12 = _phase12(doses, prior, tox, target=target, max_n=phase12_max_n, cohort_size=cohort_size,
                           eff_endpoint=eff_endpoint, eff_discount=eff_discount, n_scenarios=n_scenarios,
                           n_trials=n_trials, seed=seed, efftox=efftox, progress=progress)
        if graded and trial == "B":
            from ._whatif_graded import graded as _graded

            gr = _graded(doses, target=target, max_n=mn, cohort_size=cohort_size, n_scenarios=n_scenarios,
                         n_trials=n_trials, seed=seed, sources=sources, trial=trial, progress=progress)
    settings = dict(trials=trials, target=target, cohort_size=cohort_size, discount=discount, evidence=evidence,
                    robust_weight=robust_weight if blrm else None,
                    max_n=maxes, max_n_notes={k: TRIALS[k]["max_n_note"] for k in trials if max_n is None},
                    n_scenarios=n_scenarios, n_trials=n_trials, seed=seed)
    return WhatIfResult(rows, settings, priors, all_designs, diffs, coincide, conclusions, benchmarks=benchmarks,
                        robust_vs_map=robust_vs_map, first_cohort=first_cohort,
                        meta={"versions": _versions()}, objects=objects, phase12=p12, graded=gr)


def _robust_text(rp) -> str:
    """The robust MAP prior: what was added to the MAP prior, and what it does to the prior per dose."""
    m, sd = rp.means[-1], rp.sds[-1]
    doses = ", ".join(f"{d:g}" for d in rp.doses)
    return (f"the MAP prior above with a weakly informative component N(({m[0]:.3g}, {m[1]:.3g}), sd ({sd[0]:g}, "
            f"{sd[1]:g})) on (log alpha, log beta) (the MAP model's hyperprior mean: P(DLT) "
            f"{1 / (1 + math.exp(-m[0])):.2f} at {rp.d_ref:g}) added at weight {rp.robust_weight:g}, the MAP prior's "
            f"components keeping {1 - rp.robust_weight:g} (Schmidli et al. 2014; RBesT's robustify): when the new "
            f"trial's DLTs conflict with the evidence trials, its posterior can follow its own data. At doses {doses}: "
            "prior mean p " + ", ".join(f"{x:.3f}" for x in rp.mean_p) + "; moment-matched ESS "
            + ", ".join(f"{x:.1f}" for x in rp.ess) + " patients (a mixture's moments, and so this ESS, are "
            "dominated by its vague component's variance)")


def _row(trial, scenario, label, method, oc, true_p, quantiles=None, between=False) -> WhatIfRow:
    """``between``: the scenarios are curves drawn from a prior, and the SEs are those of the
    prior-predictive mean (``oc.se_between``), not conditional on the curves drawn."""
    keys = [k for k, _, _ in METRICS]
    se = oc.se_between if between else oc.se
    return WhatIfRow(trial, scenario, label, method, {k: float(getattr(oc, k)) for k in keys},
                     {k: float(se(k)) for k in keys}, [float(x) for x in oc.selection],
                     [float(x) for x in se("selection")], true_p, quantiles)


def _prior_text(prior, trial: str, sources: list[str], discount: float) -> str:
    from . import evidence as _ev

    own = "its own data included" if trial in sources else f"trial {trial}'s own data left out"
    ess = ", ".join(f"{d:g}: {e:.1f}" for d, e in zip(prior.doses, prior.ess))
    n = sum(r.n for r in _ev.records() if r.id in prior.records_used and r.n is not None)
    med = ", ".join(f"{x:.3f}" for x in prior.skeleton())
    return (f"from trials {', '.join(sources)} ({own}), records {', '.join(prior.records_used)}, at discount "
            f"{discount:g} (each of their patients counts as {discount:g} of a patient; --discount 1 pools them at "
            f"full weight); logistic in log dose, initial (alpha, log slope) ~ N(({prior.prior_mean[0]:.2f}, "
            f"{prior.prior_mean[1]:.2f}), sd ({prior.prior_sd[0]:g}, {prior.prior_sd[1]:g})); median P(DLT) "
            f"{med}; weight per dose as a moment-matched effective sample size (a + b of the Beta with the prior's "
            f"mean and variance), in patients: {ess}. With DLTs this rare it also counts what the logistic "
            f"dose-response model adds (near p = 0 a patient tells little about logit p, so a prior of given "
            f"precision on that scale is worth many patients), so it can exceed the {discount * n:g} patients' worth "
            f"of data ({n} patients at discount {discount:g})")
