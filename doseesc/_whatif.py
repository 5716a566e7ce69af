"""The what-if comparison behind ``doseesc whatif``: the MSC lupus trials, redesigned.

For each seed trial's dose levels, the design that trial used is set side by side with the
alternatives (BOIN, a CRM whose prior MTD guess comes from the evidence, mTPI-2, Keyboard)
at the same maximum sample size, under fixed scenarios (exact operating characteristics)
and under prior-predictive scenarios drawn from the evidence (Monte Carlo, with SEs; every
design sees the same simulated patients).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _json
from . import _validate as v
from .designs import BOIN, MTPI2, Keyboard, ThreePlusThree
from .engine import compare, exact
from .scenario import Scenario

#: The seed trials the what-if redesigns (figures from ../shared/evidence.md via doseesc.evidence).
TRIALS = {
    "A": dict(label="BM-MSC in refractory lupus nephritis (trial A, Lupus 2022)", doses=(2.0, 3.0), used="3+3",
              window=28, enrolled=7, max_n=12,
              max_n_note="12: the most a 3+3 can enrol on two dose levels (7 were enrolled)"),
    "B": dict(label="UC-MSC in severe SLE (trial B, Cytotherapy 2024)", doses=(1.0, 2.0, 4.0), used="crm", window=10,
              enrolled=8, max_n=12,
              max_n_note="12: four cohorts of 3 (8 were enrolled; the planned maximum is not stated in the sources)"),
}
UNIT = "1e6 cells/kg"


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


@dataclass
class WhatIfRow:
    trial: str
    scenario: str
    design: str
    method: str
    values: dict
    ses: dict
    true_p: list = field(default_factory=list)
    pcs_quantiles: dict | None = None


METRICS = [("pcs", "PCS %", 100), ("no_selection", "no sel. %", 100), ("n_overdosed", "pts > MTD", 1),
           ("sample_size", "mean N", 1), ("total_dlt", "DLTs", 1), ("total_ae", "low-gr AEs", 1)]


@dataclass
class WhatIfResult:
    rows: list
    settings: dict
    priors: dict

    def to_dict(self) -> dict:
        return {"settings": self.settings, "priors": self.priors,
                "rows": [{"trial": r.trial, "scenario": r.scenario, "design": r.design, "method": r.method,
                          "true_p_tox": r.true_p,
                          **{k: float(r.values[k]) for k, _, _ in METRICS},
                          **{f"{k}_se": float(r.ses[k]) for k, _, _ in METRICS},
                          **({"pcs_quantiles": r.pcs_quantiles} if r.pcs_quantiles else {})} for r in self.rows]}

    def to_json(self) -> str:
        return _json.dumps(self.to_dict(), indent=2)

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["trial", "scenario", "design", "method"] + [x for k, _, _ in METRICS for x in (k, f"{k}_se")])
        for r in self.rows:
            w.writerow([r.trial, r.scenario, r.design, r.method]
                       + ["" if float(x) != float(x) else repr(float(x))  # NaN (one trial): empty
                          for k, _, _ in METRICS for x in (r.values[k], r.ses[k])])
        return buf.getvalue()

    def table(self) -> str:
        s = self.settings
        out = [f"What if the MSC lupus trials had used other designs? target DLT rate {s['target']:g}, "
               f"cohorts of {s['cohort_size']} (3+3: 3), seed {s['seed']}",
               "Fixed scenarios: exact operating characteristics. Prior-predictive: "
               f"{s['n_scenarios']} true curves drawn from the evidence-based dose-response prior x "
               f"{s['n_trials']} trials each, same patients for every design; (SE) = Monte Carlo standard error.",
               "PCS: the dose closest to the target is selected (where every dose is too toxic: no dose is). "
               "pts > MTD: patients treated above it.", ""]
        key = None
        for r in self.rows:
            if (r.trial, r.scenario) != key:
                key = (r.trial, r.scenario)
                t = TRIALS[r.trial]
                if r.scenario == self.rows[[x.trial for x in self.rows].index(r.trial)].scenario:
                    out.append(f"== Trial {r.trial}: {t['label']}; doses {', '.join(f'{d:g}' for d in t['doses'])} "
                               f"x10^6 cells/kg; max n {s['max_n'][r.trial]}")
                truth = ("true P(DLT) " + ", ".join(f"{p:.3f}" for p in r.true_p)) if r.true_p else ""
                out.append(f"-- {r.scenario}{': ' + truth if truth else ''}")
                out.append(f"   {'design':<34}" + "".join(f"{h:>16}" for _, h, _ in METRICS))
            cells = []
            for k, _, scale in METRICS:
                m, se = scale * float(r.values[k]), scale * float(r.ses[k])
                cells.append(f"{m:.2f}" if r.method == "exact" else f"{m:.2f} ({se:.2f})")
            out.append(f"   {r.design[:34]:<34}" + "".join(f"{c:>16}" for c in cells))
            if r.pcs_quantiles:
                q = r.pcs_quantiles
                out.append(f"   {'':<34}PCS across scenarios: 5% {100 * q['5%']:.0f}, median {100 * q['50%']:.0f}, "
                           f"95% {100 * q['95%']:.0f}")
        out.append("")
        out.append("Priors used: " + " | ".join(f"{k}: {v}" for k, v in self.priors.items()))
        return "\n".join(out)

    __str__ = table


def _designs(trial: str, target: float, max_n: int, cohort_size: int, n_doses: int, prior) -> list:
    """The design the trial used and the alternatives. CRMs get the safety stop BOIN, mTPI-2 and
    Keyboard have built in: stop with no dose when P(p_1 > target | data) > 0.95 (Beta(1, 1)
    prior, at least 3 patients at dose 1)."""
    from . import designs as _d

    used = TRIALS[trial]["used"]
    out = []
    crm = getattr(_d, "CRM", None)
    crm_skeleton = getattr(_d, "crm_skeleton", None)
    if used == "3+3":
        out.append(("3+3 (as used)", ThreePlusThree()))
    elif crm is not None:
        # The UC-MSC trial's own skeleton is not in the sources: a conventional one (prior MTD guess
        # at the middle dose, indifference half-width 0.05).
        sk = crm_skeleton(halfwidth=0.05, target=target, nu=(n_doses + 1) // 2, n_doses=n_doses)
        out.append(("CRM (as used; MTD guess mid)", crm(skeleton=sk, target=target, cohort_size=cohort_size,
                                                        max_n=max_n).stop_for_safety(0.95)))
    out.append(("BOIN", BOIN(target=target, cohort_size=cohort_size, max_n=max_n)))
    if crm is not None:
        nu = prior.mtd_guess(target)
        sk = crm_skeleton(halfwidth=0.05, target=target, nu=nu, n_doses=n_doses)
        out.append((f"CRM (evidence MTD guess: dose {nu})", crm(skeleton=sk, target=target, cohort_size=cohort_size,
                                                                 max_n=max_n).stop_for_safety(0.95)))
    out.append(("mTPI-2", MTPI2(target=target, cohort_size=cohort_size, max_n=max_n)))
    out.append(("Keyboard", Keyboard(target=target, cohort_size=cohort_size, max_n=max_n)))
    if used != "3+3":
        out.append(("3+3", ThreePlusThree()))
    return out


#: Prior-predictive curves per trial: each is a scenario of its own.
MAX_SCENARIOS = 100_000


def whatif(trials: Sequence[str] = ("A", "B"), *, target: float = 0.2, max_n: int | None = None,
           cohort_size: int = 3, discount: float = 1.0, n_scenarios: int = 200, n_trials: int = 250,
           seed: int = 1, progress: bool | None = False) -> WhatIfResult:
    """Redesign the MSC lupus trials: the design each used vs the alternatives.

    Parameters
    ----------
    trials : sequence of {"A", "B"}
        A: BM-MSC, 3+3 on 2.0 / 3.0 x10^6 cells/kg. B: UC-MSC, Bayesian (CRM) on 1 / 2 / 4.
    target : float
        Target DLT probability (non-oncology: 0.1-0.2 is usual).
    max_n : int, optional
        Maximum sample size for every design but the 3+3 (default: see ``TRIALS``).
    cohort_size : int
        Cohort size of BOIN, CRM, mTPI-2 and Keyboard.
    discount : float
        Power-prior discount of the seed trials' DLT data, in [0, 1] (0: ignore them).
    n_scenarios, n_trials : int
        Prior-predictive true curves, and simulated trials under each.
    seed : int

    Examples
    --------
    >>> import doseesc as de
    >>> res = de.whatif(trials=["A"], n_scenarios=5, n_trials=20)
    >>> res.rows[0].design
    '3+3 (as used)'
    """
    from . import evidence as _ev  # lazy: the priors need scipy, which `import doseesc` does not

    trials = list(trials)
    if not trials:
        raise ValueError("trials: give at least one of 'A', 'B'")
    for t in trials:
        v.choice("trials", t, tuple(TRIALS))
    target = v.open_unit("target", target)
    cohort_size = v.integer("cohort_size", cohort_size, low=1)
    discount = v.number("discount", discount)
    if not 0 <= discount <= 1:
        raise ValueError(f"discount: must be in [0, 1], got {discount}")
    n_scenarios = v.integer("n_scenarios", n_scenarios, low=1, high=MAX_SCENARIOS)
    n_trials = v.integer("n_trials", n_trials, low=1)
    seed = v.seed(seed)
    if max_n is not None:
        max_n = v.integer("max_n", max_n, low=cohort_size, high=v.MAX_PATIENTS)
    from .engine.api import check_memory

    for trial in trials:  # before any work: every design's records of the prior-predictive run fit
        check_memory(n_scenarios * n_trials * 6, len(TRIALS[trial]["doses"]),
                     per=f" ({n_scenarios:,} curves x {n_trials:,} trials x 6 designs)")
    ae_prior = _ev.beta_prior("ae")
    q_ae = float(ae_prior.mean())
    rows, priors, maxes = [], {}, {}
    for trial in trials:
        t = TRIALS[trial]
        doses = list(t["doses"])
        D = len(doses)
        mn = max_n if max_n is not None else t["max_n"]
        maxes[trial] = mn
        prior = _ev.dose_response_prior(doses, discount=discount)
        priors[trial] = prior.describe().split(". Assumptions")[0]
        designs = _designs(trial, target, mn, cohort_size, D, prior)
        mean = list(np.asarray(prior.mean_curve(), dtype=float))
        fixed = [("all safe (evidence mean curve)", mean, None)] + _fixed_curves(D, target)
        for name, ps, band in fixed:
            p = np.asarray(ps)
            sc = Scenario(p_tox=p, target=target, doses=doses, dose_unit=UNIT, p_ae=q_ae * (1 - p), name=name,
                          mtd_band=band)
            for label, d in designs:
                oc = exact(d, sc)
                rows.append(WhatIfRow(trial, name, label, "exact", {k: getattr(oc, k) for k, _, _ in METRICS},
                                      {k: oc.se(k) for k, _, _ in METRICS}, [float(x) for x in p]))
        sset = _ev.sample_scenarios(prior, doses, n=n_scenarios, seed=seed, target=target, ae_prior=ae_prior,
                                    name=f"trial {trial} prior draw")
        cmp = compare([d for _, d in designs], [sset], n_trials=n_trials, seed=seed, progress=progress)
        pp_name = f"prior-predictive ({n_scenarios} curves)"
        for i, (label, _) in enumerate(designs):
            oc = cmp.oc[i][0]
            rows.append(WhatIfRow(trial, pp_name, label, f"MC {n_scenarios}x{n_trials}",
                                  {k: getattr(oc, k) for k, _, _ in METRICS}, {k: oc.se(k) for k, _, _ in METRICS},
                                  [], oc.pcs_quantiles if n_scenarios > 1 else None))
    priors["low-grade AE"] = ae_prior.describe().split(". Assumptions")[0]
    settings = dict(trials=trials, target=target, cohort_size=cohort_size, discount=discount, max_n=maxes,
                    max_n_notes={k: TRIALS[k]["max_n_note"] for k in trials if max_n is None},
                    n_scenarios=n_scenarios, n_trials=n_trials, seed=seed)
    return WhatIfResult(rows, settings, priors)
