"""Calibration: choose a design's parameters by simulation, on common random numbers.

``calibrate(design, scenarios, grid=..., search=..., objective=..., constraints=...)`` builds
candidate designs from ``design`` (the default the candidates are measured against) by changing
options by name, simulates every candidate on the same patients (same seed: trial ``t`` of
scenario ``j`` is the same trial for every candidate, and for ``compare``), and ranks them by an
objective averaged over the scenarios, subject to constraints. Differences between candidates
are paired, so their standard errors are small, and every result is a function of the seed.

What can be calibrated (any mix, as a grid of values and/or a range searched adaptively):

* any numeric option of the design by name (``max_n``, ``cohort_size``, ``prior_sd``, ``p_saf``
  and ``p_tox`` -- BOIN's phi1 and phi2 --, ``cutoff_eli``, ``accrual_suspend``, ...; for a
  design with composable rules, their options too);
* for the CRM and TITE-CRM, the skeleton through ``halfwidth`` and ``nu`` (``crm_skeleton``:
  Lee & Cheung 2009's indifference-interval calibration; ``nu`` the prior guess of the MTD);
* the maximum sample size needed for a target PCS: ``objective="min:max_n"`` with the constraint
  ``"mean pcs >= 0.6"`` picks the smallest feasible ``max_n``.

Lee & Cheung (2011) also calibrate the prior SD of the CRM: the least-informative normal prior
is found by searching ``prior_sd`` (see :func:`crm_plateau_scenarios` for the scenario set).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _validate as v
from .designs import Design
from .designs.base import option_kind
from .designs.crm import crm_skeleton
from .designs.modifiers import Modified
from .scenario import Scenario, ScenarioSet

#: per-trial summaries an objective or a constraint may use (means over trials)
METRICS = ("pcs", "over_selection", "no_selection", "sample_size", "total_dlt", "n_at_mtd", "n_below_mtd",
           "n_overdosed", "overdose_fraction", "overdose_60", "overdose_80", "dlt_rate_above_target", "early_stop")
#: per-trial efficacy (OBD) summaries, for scenarios with efficacy (``p_eff``): correct OBD selection,
#: selecting an over-toxic dose, the true utility of the selected dose, patients at the OBD and at
#: over-toxic doses, responses (the names of ``OperatingCharacteristics``)
EFF_METRICS = ("pcs_obd", "over_toxic_selection", "selected_utility", "n_at_obd", "n_over_toxic", "total_eff")
#: the CRM skeleton, by indifference-interval half-width and prior MTD (``crm_skeleton``)
SKELETON_PARAMS = ("halfwidth", "nu")
_CONSTRAINT = re.compile(r"^\s*(mean\s+|min\s+|max\s+|every\s+)?([a-z_0-9]+)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


# ---------------------------------------------------------------------------- scenario sets
def crm_plateau_scenarios(target: float, n_doses: int, spacing: float = 0.1) -> list[Scenario]:
    """One scenario per dose in which that dose is the MTD: it has the target DLT probability,
    every lower dose ``target - spacing`` and every higher dose ``target + spacing`` (a plateau
    on either side, floored at 0.01 and capped at 0.99). A set of the kind Lee & Cheung (2009)
    calibrate CRM skeletons on: every dose is the MTD once, and each neighbour is just
    ``spacing`` away, so the skeleton's spacing (its indifference intervals) decides.

    Examples
    --------
    >>> import doseesc as de
    >>> [s.p_tox.tolist() for s in de.crm_plateau_scenarios(0.25, 3)]
    [[0.25, 0.35, 0.35], [0.15, 0.25, 0.35], [0.15, 0.15, 0.25]]
    """
    target = v.open_unit("target", target)
    n_doses = v.integer("n_doses", n_doses, low=1, high=v.MAX_DOSES)
    spacing = v.number("spacing", spacing)
    if not 0 < spacing < 1:
        raise ValueError(f"spacing: must be in (0, 1), got {spacing!r}")
    lo, hi = max(0.01, target - spacing), min(0.99, target + spacing)
    return [Scenario([lo] * k + [target] + [hi] * (n_doses - k - 1), target=target, name=f"MTD at dose {k + 1}")
            for k in range(n_doses)]


def crm_prior_mtd(design: Design, prior_sd: float | None = None) -> np.ndarray:
    """The prior distribution of the MTD a CRM implies: P(the model would recommend dose k) when
    beta ~ N(0, ``prior_sd``^2) (default: the design's), from the design's skeleton, model and
    target. dfcrm's recommendation at beta is dose >= k exactly when beta exceeds a boundary
    ``B_k`` (``CRM._boundaries``), so these are normal probabilities between boundaries.

    Examples
    --------
    >>> import doseesc as de
    >>> from doseesc.calibration import crm_prior_mtd
    >>> p = crm_prior_mtd(de.CRM(skeleton=de.crm_skeleton(0.05, 0.25, 3, 5), target=0.25))
    >>> [round(float(x), 2) for x in p]  # dfcrm's default prior SD piles the mass on the end doses
    [0.35, 0.1, 0.1, 0.1, 0.35]
    """
    from .designs.crm import CRM

    if "skeleton" not in _fields(design):
        raise ValueError(f"design: a CRM or TITE-CRM is needed, got {design.family}")
    sd = design.prior_sd if prior_sd is None else v.in_range("prior_sd", prior_sd, *v.PRIOR_SD_RANGE, "prior SD")
    crm = CRM(skeleton=tuple(design.skeleton), target=design.target, model=design.model,
              intercept=design.intercept, restrict=False)
    b = crm._boundaries() / sd
    cdf = np.array([0.0] + [0.5 * (1 + math.erf(x / math.sqrt(2))) if np.isfinite(x) else float(x > 0)
                            for x in b] + [1.0])
    return np.diff(cdf)


def crm_least_informative_sd(design: Design, low: float = 0.05, high: float = 5.0) -> tuple[float, np.ndarray]:
    """The prior SD of beta whose implied prior distribution of the MTD (:func:`crm_prior_mtd`)
    is closest to uniform over the doses -- the least-informative normal prior in the sense of
    Lee & Cheung (2011, Stat Med 30:2081) -- measured by the sum of squared differences from
    1/K (our reading of "closest"; the paper's exact criterion could not be checked here).
    Returns (prior SD, the prior MTD distribution at it). A dense log-spaced scan of
    [``low``, ``high``] then golden-section refinement.

    Examples
    --------
    >>> import doseesc as de
    >>> sd, p = de.crm_least_informative_sd(de.CRM(skeleton=de.crm_skeleton(0.05, 0.25, 3, 5), target=0.25))
    >>> 0.05 < sd < 5, bool(abs(p - 0.2).max() < 0.2)
    (True, True)
    """
    low = v.in_range("low", low, *v.PRIOR_SD_RANGE, "prior SD")
    high = v.in_range("high", high, *v.PRIOR_SD_RANGE, "prior SD")
    if not low < high:
        raise ValueError(f"high: must exceed low ({low:g}), got {high!r}")
    K = len(design.skeleton)

    def loss(log_sd: float) -> float:
        return float(np.sum((crm_prior_mtd(design, math.exp(log_sd)) - 1.0 / K) ** 2))

    xs = np.linspace(math.log(low), math.log(high), 241)
    vals = [loss(x) for x in xs]
    i = int(np.argmin(vals))
    a, b = xs[max(i - 1, 0)], xs[min(i + 1, xs.size - 1)]
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    for _ in range(60):
        if loss(c) <= loss(d):
            b, d = d, c
            c = b - g * (b - a)
        else:
            a, c = c, d
            d = a + g * (b - a)
    sd = math.exp(0.5 * (a + b))
    return sd, crm_prior_mtd(design, sd)


# ---------------------------------------------------------------------------- candidates
def _fields(design: Design) -> dict[str, Any]:
    return {f.name: f for f in dataclasses.fields(design) if f.init and f.name not in ("name", "base")}


def _coerce(design: Design, name: str, value: Any) -> Any:
    """``value`` as the option's type (integers stay integers)."""
    target = design.base if isinstance(design, Modified) and name not in _fields(design) else design
    f = _fields(target).get(name)
    if f is not None and option_kind(f.type) == "int":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{name}: an integer option, got {value!r}")
        return int(value)
    return float(value) if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) else value


def apply(design: Design, params: Mapping[str, Any]) -> Design:
    """``design`` with the options in ``params`` changed (by name; ``halfwidth``/``nu`` rebuild a
    CRM skeleton). Validation is the design's own: a bad value raises its ``ValueError``.

    Examples
    --------
    >>> import doseesc as de
    >>> from doseesc.calibration import apply
    >>> d = apply(de.CRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.25), {"halfwidth": 0.05, "nu": 2})
    >>> [round(x, 3) for x in d.skeleton]
    [0.157, 0.25, 0.355, 0.46]
    """
    params = dict(params)
    if not params:
        return design
    if isinstance(design, Modified):
        own = {k: params.pop(k) for k in list(params) if k in _fields(design)}
        base = apply(design.base, params)
        return dataclasses.replace(design, base=base, **own) if own or base is not design.base else design
    changes = {}
    if any(k in params for k in SKELETON_PARAMS):
        if "skeleton" not in _fields(design):
            raise ValueError(f"halfwidth: only designs with a skeleton (CRM, TITE-CRM) have it, not "
                             f"{design.family}")
        sk = np.asarray(design.skeleton)
        hw = params.pop("halfwidth", None)
        nu = params.pop("nu", None)
        if hw is None:
            raise ValueError("halfwidth: give it with nu (the skeleton is rebuilt from both)")
        if nu is None:
            nu = int(np.argmin(np.abs(sk - design.target))) + 1
        changes["skeleton"] = tuple(float(x) for x in crm_skeleton(hw, design.target, int(nu), sk.size,
                                                                    design.model, design.intercept))
    fields = _fields(design)
    for k, val in params.items():
        if k not in fields:
            allowed = sorted(set(fields) | (set(SKELETON_PARAMS) if "skeleton" in fields else set()))
            raise ValueError(f"{k}: not an option of {design.family}; options: {', '.join(allowed)}")
        changes[k] = _coerce(design, k, val)
    return dataclasses.replace(design, **changes)


# ---------------------------------------------------------------------------- objective / constraints
@dataclass(frozen=True)
class Constraint:
    """``metric op value`` in every scenario (default), or on the ``mean`` over scenarios."""

    metric: str
    op: str
    value: float
    scope: str = "every"

    def holds(self, by_scenario: np.ndarray) -> bool:
        x = by_scenario if self.scope == "every" else np.array([by_scenario.mean()])
        return bool(np.all({"<=": x <= self.value + 1e-12, ">=": x >= self.value - 1e-12, "<": x < self.value,
                            ">": x > self.value}[self.op]))

    def __str__(self) -> str:
        return f"{'' if self.scope == 'every' else 'mean '}{self.metric} {self.op} {self.value:g}" + (
            " in every scenario" if self.scope == "every" else "")


def _check_metric(field: str, name: str, efficacy: bool | None) -> None:
    """``name`` is a metric the scenarios give: the efficacy metrics need efficacy (``efficacy``
    False: the scenarios have none; None: not known yet, any metric is accepted)."""
    allowed = METRICS + (EFF_METRICS if efficacy is not False else ())
    if name in allowed:
        return
    if name in EFF_METRICS:
        raise ValueError(f"{field}: {name} needs scenarios with efficacy (p_eff), and these have none; choose one "
                         f"of {', '.join(allowed)}")
    raise ValueError(f"{field}: unknown metric {name!r}; choose one of {', '.join(allowed)}")


def parse_constraint(spec: Any, efficacy: bool | None = None) -> Constraint:
    """``"over_selection <= 0.25"`` (every scenario), ``"mean pcs >= 0.6"``, or a Constraint.
    ``efficacy``: whether the scenarios have efficacy (the OBD metrics need it; None: unknown)."""
    allowed = METRICS + (EFF_METRICS if efficacy is not False else ())
    if isinstance(spec, Constraint):
        _check_metric("constraints", spec.metric, efficacy)
        return spec
    m = _CONSTRAINT.match(spec) if isinstance(spec, str) else None
    if not m:
        raise ValueError(f"constraints: expected 'METRIC <= X' or 'mean METRIC >= X' (METRIC one of "
                         f"{', '.join(allowed)}), got {spec!r}")
    scope = (m.group(1) or "every").strip()
    scope = "every" if scope in ("every", "max", "min") else "mean"
    _check_metric("constraints", m.group(2), efficacy)
    return Constraint(metric=m.group(2), op=m.group(3), value=float(m.group(4)), scope=scope)


@dataclass(frozen=True)
class Objective:
    """A weighted sum of metric means (averaged over scenarios, each weighted equally), to
    maximise; or, with ``minimize``/``maximize`` set, the smallest / largest value of that
    parameter among the feasible candidates (ties broken by the weighted sum)."""

    weights: tuple[tuple[str, float], ...] = (("pcs", 1.0),)
    minimize: str | None = None
    maximize: str | None = None
    #: why this objective, when it is the default (stated in the summary)
    note: str = dataclasses.field(default="", compare=False)

    def __str__(self) -> str:
        utility = " + ".join(f"{w:g} x {m}" if w != 1 else m for m, w in self.weights)
        if self.minimize:
            return f"smallest {self.minimize} (then {utility})"
        if self.maximize:
            return f"largest {self.maximize} (then {utility})"
        return utility


def default_objective(design: Design | None = None) -> Objective:
    """Correct selection: of the OBD (``pcs_obd``) for a design that uses efficacy (phase I/II),
    of the MTD (``pcs``) otherwise."""
    if design is not None and getattr(design, "uses_efficacy", False):
        return Objective(weights=(("pcs_obd", 1.0),),
                         note="the default for a design that uses efficacy: correct OBD selection")
    return Objective(note="the default: correct MTD selection")


def parse_objective(spec: Any, efficacy: bool | None = None, design: Design | None = None) -> Objective:
    """``"pcs"``, ``{"pcs": 1, "over_selection": -0.5}``, ``"min:max_n"`` or ``"max:NAME"``; None:
    the default (:func:`default_objective` of ``design``). ``efficacy``: whether the scenarios have
    efficacy (the OBD metrics such as ``pcs_obd`` need it; None: unknown)."""
    if isinstance(spec, Objective):
        for m, _ in spec.weights:
            _check_metric("objective", m, efficacy)
        return spec
    if spec is None:
        return default_objective(design)
    if isinstance(spec, str):
        if spec.startswith(("min:", "max:")):
            if not spec[4:].strip():
                raise ValueError(f"objective: {spec!r} needs the option to minimise or maximise, e.g. 'min:max_n'")
            tie = default_objective(design).weights  # ties broken by the default objective
            return Objective(weights=tie, **{("minimize" if spec[:3] == "min" else "maximize"): spec[4:].strip()})
        spec = {spec: 1.0}
    if not isinstance(spec, Mapping) or not spec:
        raise ValueError(f"objective: expected a metric name, {{metric: weight, ...}} or 'min:OPTION', got {spec!r}")
    weights = []
    for m, w in spec.items():
        _check_metric("objective", m, efficacy)
        weights.append((m, v.number("objective", w)))
    return Objective(weights=tuple(weights))


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class Candidate:
    """One evaluated design: its ``params`` (empty for the default), the objective (weighted
    metric means over the scenarios) and its SE, the per-scenario metric means, and whether
    every constraint holds (``violations`` lists the others)."""

    params: dict
    design: Design
    objective: float
    objective_se: float
    by_scenario: dict
    feasible: bool
    violations: tuple
    _per_trial: np.ndarray  # objective contribution per trial, (scenarios, trials)
    #: the default design, met again as a grid or search point (then ``params`` are that point's)
    is_default: bool = False

    def label(self) -> str:
        if not self.params:
            return "default"
        return ", ".join(f"{k}={_show(v)}" for k, v in self.params.items()) + (" (= default)" if self.is_default
                                                                               else "")


def _show(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


class Calibration:
    """What :func:`calibrate` found. ``best`` is the winning design, ``ranking`` the candidates
    best first (feasible ones before the others), ``default`` the design as given.

    ``difference(a, b)`` is the paired difference of the objective between two candidates with
    its Monte Carlo SE; ``summary()`` the report; ``snippet()`` the winner as a run-file table;
    ``figure()`` the objective over the parameters; ``to_dict()`` everything as JSON.

    Examples
    --------
    >>> import doseesc as de
    >>> sc = de.Scenario([0.05, 0.12, 0.25, 0.40, 0.55], target=0.25)
    >>> cal = de.calibrate(de.BOIN(target=0.25, cohort_size=3, max_n=24), sc, grid={"p_tox": [0.30, 0.35, 0.40]},
    ...                    n_trials=500, seed=1)
    >>> diff, se = cal.difference(cal.best_candidate, cal.default)
    >>> print(cal.snippet().splitlines()[0])
    [[designs]]
    """

    def __init__(self, candidates: list[Candidate], default: Candidate, objective: Objective,
                 constraints: list[Constraint], scenarios: list, n_trials: int, seed: int, rounds: list,
                 meta: dict | None = None):
        self.candidates = candidates
        self.default = default
        self.objective = objective
        self.constraints = constraints
        self.scenarios = scenarios
        self.n_trials = n_trials
        self.seed = seed
        self.rounds = rounds
        self.meta = dict(meta or {})
        self.ranking = sorted(candidates, key=self._key)

    def _key(self, c: Candidate):
        return _rank_key(self.objective, c)

    @property
    def best(self) -> Design:
        return self.ranking[0].design

    @property
    def best_candidate(self) -> Candidate:
        return self.ranking[0]

    @property
    def runner_up(self) -> Candidate | None:
        return self.ranking[1] if len(self.ranking) > 1 else None

    @property
    def feasible(self) -> bool:
        """Whether any candidate meets every constraint."""
        return self.ranking[0].feasible

    def difference(self, a: Candidate, b: Candidate) -> tuple[float, float]:
        """Objective of ``a`` minus that of ``b`` and its SE, paired over the same trials."""
        d = a._per_trial - b._per_trial  # (S, n)
        S, n = d.shape
        if n < 2:
            return float(a.objective - b.objective), float("nan")
        se = math.sqrt(float(np.sum(d.var(axis=1, ddof=1) / n))) / S
        return float(d.mean(axis=1).mean()), se

    def summary(self, top: int = 5) -> str:
        """The report: the ``top`` candidates (an integer >= 1), the default, the differences."""
        top = v.integer("top", top, low=1)
        sc = self.scenarios
        lines = [f"Calibration of {self.default.design.label()} over {len(sc)} scenario{'s' * (len(sc) != 1)}, "
                 f"{self.n_trials:,} trials each, seed {self.seed} (the same patients for every candidate)"]
        versions = self.meta.get("versions")
        if versions:  # as under the other tables: doseesc X, numpy Y, numba Z
            lines.append(", ".join(f"{k} {x}" for k, x in versions.items()))
        note = getattr(self.objective, "note", "")
        lines.append(f"objective: {self.objective}" + (f" ({note})" if note else ""))
        if self.constraints:
            lines.append("constraints: " + "; ".join(str(c) for c in self.constraints))
        n = len(self.candidates)
        lines.append(f"{n} candidate{'s' * (n != 1)} evaluated"
                     + (f" in {len(self.rounds)} rounds" if len(self.rounds) > 1 else "")
                     + (" (the default design only: nothing was searched; give grid or search)"
                        if not any(c.params for c in self.candidates) else ""))
        if not self.feasible:
            lines.append("NO candidate meets every constraint: the ranking below is of infeasible candidates")
        lines.append("")
        best = self.ranking[0]
        w = max([12] + [len(c.label()) + 2 for c in self.ranking[:top]] + [len(self.default.label()) + 2])
        lines.append(f"{'rank':<6}{'candidate':<{w}}{'objective (SE)':>20}{'vs best (paired SE)':>24}{'  constraints'}")
        for r, c in enumerate(self.ranking[:top], start=1):
            diff = "" if c is best else _pm(*self.difference(c, best))
            ok = "ok" if c.feasible else "fails " + ", ".join(c.violations)
            lines.append(f"{r:<6}{c.label():<{w}}{_pm(c.objective, c.objective_se):>20}{diff:>24}  {ok}")
        if self.default not in self.ranking[:top]:
            r = self.ranking.index(self.default) + 1
            ok = "ok" if self.default.feasible else "fails " + ", ".join(self.default.violations)
            dflt = self.default
            lines.append(f"{r:<6}{dflt.label():<{w}}{_pm(dflt.objective, dflt.objective_se):>20}"
                         f"{_pm(*self.difference(dflt, best)):>24}  {ok}")
        lines.append("")
        if self.runner_up is not None:
            d, s = self.difference(best, self.runner_up)
            z = f" = {d / s:.1f} SE" if s else ""
            lines.append(f"best minus runner-up ({self.runner_up.label()}): {_pm(d, s)}{z}")
        if best is not self.default:
            d, s = self.difference(best, self.default)
            lines.append(f"best minus default: {_pm(d, s)}" + (f" = {d / s:.1f} SE" if s else ""))
        else:
            lines.append("the default design is the best candidate")
        lines.append("")
        lines.append("per scenario (best | default):")
        used = [m for m, _ in self.objective.weights] + [c.metric for c in self.constraints]
        eff = "pcs_obd" in best.by_scenario and (getattr(best.design, "uses_efficacy", False)
                                                 or any(m in EFF_METRICS for m in used))
        shown = ["pcs_obd", "over_toxic_selection"] if eff else ["pcs", "over_selection"]
        for m in used:
            if m not in shown and m != "sample_size" and m in best.by_scenario:
                shown.append(m)
        for j, s in enumerate(sc):
            parts = []
            for m in shown + ["sample_size"]:
                b, dflt = best.by_scenario[m][j], self.default.by_scenario[m][j]
                parts.append(f"{m} {b:.3f} | {dflt:.3f}" if m != "sample_size" else f"N {b:.1f} | {dflt:.1f}")
            lines.append(f"  {s.label()}: " + "; ".join(parts))
        lines.append("")
        lines.append("winning design as a run-file table:")
        lines.append(self.snippet())
        return "\n".join(lines)

    __str__ = summary

    def snippet(self) -> str:
        """The winning design as a ``[[designs]]`` table for a run file."""
        return toml_table("designs", self.best.to_dict(), array=True)

    def to_dict(self) -> dict:
        def cand(c: Candidate) -> dict:
            return {"params": {k: _jsonable(v) for k, v in c.params.items()}, "label": c.label(),
                    "objective": c.objective, "objective_se": c.objective_se, "feasible": c.feasible,
                    "violations": list(c.violations),
                    "by_scenario": {m: np.asarray(x).tolist() for m, x in c.by_scenario.items()},
                    "design": c.design.to_dict()}

        best = self.ranking[0]
        out = {"objective": str(self.objective), "objective_note": getattr(self.objective, "note", ""),
               "constraints": [str(c) for c in self.constraints],
               "n_trials": self.n_trials, "seed": self.seed, "scenarios": [s.to_dict() for s in self.scenarios],
               "feasible": self.feasible, "best": cand(best), "default": cand(self.default),
               "ranking": [cand(c) for c in self.ranking], "rounds": self.rounds, **self.meta}
        if self.runner_up is not None:
            d, s = self.difference(best, self.runner_up)
            out["best_minus_runner_up"] = {"difference": d, "se": s}
        d, s = self.difference(best, self.default)
        out["best_minus_default"] = {"difference": d, "se": s}
        out["snippet"] = self.snippet()
        return out

    def figure(self):
        """Objective (with 95% intervals) over the calibrated parameters: a line per value of a
        second parameter when there are two; best and default marked (matplotlib)."""
        from .plot import _plt

        plt = _plt()
        names = [k for k in self.ranking[0].params] or ["(default only)"]
        cands = [c for c in self.candidates if c.params]
        fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
        if not cands:
            ax.text(0.5, 0.5, "only the default design was evaluated", ha="center", va="center")
            return fig
        x_name = names[0]
        others = names[1:]
        groups: dict = {}
        for c in cands:
            key = tuple((k, c.params.get(k)) for k in others)
            groups.setdefault(key, []).append(c)
        for key, cs in sorted(groups.items(), key=lambda kv: str(kv[0])):
            cs = sorted(cs, key=lambda c: c.params.get(x_name, 0))
            x = np.array([float(c.params.get(x_name, np.nan)) for c in cs])
            y = np.array([c.objective for c in cs])
            e = 1.96 * np.array([c.objective_se for c in cs])
            lab = ", ".join(f"{k}={_show(v)}" for k, v in key) or None
            line = ax.errorbar(x, y, yerr=e, marker="o", ms=4, capsize=2, label=lab)
            bad = [i for i, c in enumerate(cs) if not c.feasible]
            if bad:
                ax.plot(x[bad], y[bad], "x", color=line[0].get_color(), ms=8)
        b = self.ranking[0]
        if x_name in b.params:
            ax.plot([float(b.params[x_name])], [b.objective], "*", ms=16, color="#d62728", label="best", zorder=5)
        ax.axhline(self.default.objective, color="grey", ls=":", label="default design")
        ax.set_xlabel(x_name)
        ax.set_ylabel(str(self.objective))
        ax.set_title(f"Calibration ({self.n_trials:,} trials x {len(self.scenarios)} scenarios; x: fails a constraint)",
                     fontsize=9)
        if len(groups) > 1 or self.constraints:
            ax.legend(fontsize=7)
        return fig

    def __repr__(self) -> str:
        n = len(self.candidates)
        return f"<Calibration best={self.ranking[0].label()!r} of {n} candidate{'s' * (n != 1)}>"


def _rank_key(objective: Objective, c: Candidate):
    """Feasible candidates first; then the objective (or the option to minimise / maximise)."""
    if objective.minimize:
        return (not c.feasible, c.params.get(objective.minimize, math.inf), -c.objective)
    if objective.maximize:
        return (not c.feasible, -c.params.get(objective.maximize, -math.inf), -c.objective)
    return (not c.feasible, -c.objective)


def _pm(m: float, s: float) -> str:
    return f"{m:+.4f} ({s:.4f})" if np.isfinite(s) else f"{m:+.4f} (n/a)"


def _jsonable(x):
    if isinstance(x, np.generic):
        return x.item()
    return x


def toml_value(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    if isinstance(x, str):
        return '"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(toml_value(y) for y in x) + "]"
    raise ValueError(f"cannot write {x!r} to TOML")


def toml_table(name: str, values: Mapping[str, Any], array: bool = False) -> str:
    """A TOML table (``[[name]]`` with ``array``) of the non-None values."""
    head = f"[[{name}]]" if array else f"[{name}]"
    return "\n".join([head] + [f"{k} = {toml_value(x)}" for k, x in values.items() if x is not None])


# ---------------------------------------------------------------------------- the search
def _scenarios(scenarios) -> tuple[list[Scenario], bool]:
    if isinstance(scenarios, Scenario):
        return [scenarios], False
    if isinstance(scenarios, ScenarioSet):
        return list(scenarios.scenarios), True
    if isinstance(scenarios, Iterable) and not isinstance(scenarios, (str, bytes, Mapping)):
        out = list(scenarios)
        if out and all(isinstance(s, Scenario) for s in out):
            return out, False
    raise ValueError(f"scenarios: expected a Scenario, a list of Scenarios or a ScenarioSet, got {scenarios!r}")


def _values(name: str, values: Any) -> list:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise ValueError(f"grid: {name} needs a list of values, got {v._short(values)}")
    out = list(values)
    if not out:
        raise ValueError(f"grid: {name} has no values")
    bad = next((x for x in out if not isinstance(x, (str, bool, int, float, np.number, np.bool_))), None)
    if bad is not None:
        how = (" (a CRM or TITE-CRM skeleton is calibrated through halfwidth and nu: crm_skeleton)"
               if name == "skeleton" else "")
        raise ValueError(f"grid.{name}: each value must be a number, got {v._short(bad)}; only numeric options "
                         f"can be calibrated{how}")
    return out


def _range(name: str, spec: Any) -> tuple[float, float]:
    if isinstance(spec, (str, bytes, Mapping)) or not isinstance(spec, Iterable):
        raise ValueError(f"search: {name} needs a range [low, high] of two numbers, got {v._short(spec)}")
    spec = list(spec)
    if len(spec) != 2 or not all(v._is_real(x) for x in spec):
        raise ValueError(f"search: {name} needs a range [low, high] of two numbers, got {v._short(spec)}")
    lo, hi = (float(x) for x in spec)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"search: {name} needs low < high, got {spec!r}")
    return lo, hi


def calibrate(design: Design, scenarios, *, grid: Mapping[str, Sequence] | None = None,
              search: Mapping[str, Sequence[float]] | None = None, objective: Any = None,
              constraints: Sequence[Any] = (), n_trials: int = 2000, seed: int = 1, points: int = 5,
              rounds: int = 3, threads: int | None = None, backend: Any = None,
              progress: bool = False) -> Calibration:
    """Choose a design's parameters by simulation on common random numbers.

    Parameters
    ----------
    design : Design
        The default design: candidates are this design with options changed; it is evaluated
        too and every candidate is compared with it.
    scenarios : Scenario, list of Scenario, or ScenarioSet
        The objective and the constraints average / hold over these (each weighted equally).
        :func:`crm_plateau_scenarios` gives a standard set for CRM skeletons.
    grid : dict, optional
        Option name -> values; every combination is a candidate (``halfwidth``/``nu`` rebuild a
        CRM skeleton; any other name is an option of the design or of its composable rules).
    search : dict, optional
        Option name -> ``[low, high]``, searched adaptively: ``points`` values evenly spread per
        option (all combinations, crossed with the grid), then ``rounds - 1`` times around the best
        candidate so far, one grid step either side, ``points`` values again. Integer options take
        integer values.
    objective : str, dict or "min:NAME", optional
        Default: correct selection averaged over the scenarios -- of the MTD (``"pcs"``), or for a
        design that uses efficacy (BOIN12, EffTox, TITE-BOIN12) of the OBD (``"pcs_obd"``). Any
        metric of :data:`METRICS` (and, with scenarios that have efficacy, of :data:`EFF_METRICS`:
        ``pcs_obd``, ``over_toxic_selection``, ``selected_utility``, ``n_at_obd``, ...), a weighted
        utility ``{"pcs": 1, "over_selection": -0.5, "sample_size": -0.005}`` (maximised), or
        ``"min:max_n"`` / ``"max:NAME"``: the smallest (largest) value of an option among the
        candidates meeting the constraints (e.g. the sample size needed for a target PCS, with the
        constraint ``"mean pcs >= 0.6"``).
    constraints : list of str
        ``"over_selection <= 0.25"`` (or ``"over_toxic_selection <= 0.2"``, ...) must hold in every
        scenario; ``"mean pcs >= 0.6"`` on the average over scenarios. Point estimates decide (the
        report shows each candidate's).
    n_trials, seed
        Simulated trials per scenario per candidate, and the seed: every candidate sees the same
        patients (trial ``t`` of scenario ``j`` is that of ``compare(..., seed=seed)``), so the
        result reproduces from the seed, for any thread count and backend.
    points, rounds
        The adaptive search's values per option per round, and number of rounds.
    threads, backend
        As for :func:`doseesc.simulate` (a pool of worker processes is opened once for all
        candidates).

    Returns
    -------
    Calibration

    Examples
    --------
    >>> import doseesc as de
    >>> scs = de.crm_plateau_scenarios(0.25, 4)
    >>> crm = de.CRM(skeleton=de.crm_skeleton(0.10, 0.25, 2, 4), target=0.25, max_n=20)
    >>> cal = de.calibrate(crm, scs, grid={"halfwidth": [0.04, 0.08], "nu": [2, 3]}, n_trials=500, seed=1)
    >>> len(cal.candidates), cal.best_candidate.label() in {c.label() for c in cal.candidates}
    (5, True)
    """
    from .engine import api
    from .engine import backends as _backends
    from .results import OperatingCharacteristics

    if not isinstance(design, Design):
        raise ValueError(f"design: expected a doseesc design (e.g. doseesc.BOIN(...)), got {design!r}")
    scs, is_set = _scenarios(scenarios)
    if len({s.n_doses for s in scs}) > 1:
        raise ValueError("scenarios: all scenarios must have the same number of doses")
    design.lower(scs[0].n_doses)
    has_eff = {bool(s.has_efficacy) for s in scs}
    if len(has_eff) > 1:
        raise ValueError("scenarios: all scenarios must either all have efficacy (p_eff) or none")
    efficacy = has_eff.pop()  # the OBD metrics need it (a phase I/II design without it fails in the engine)
    if grid is not None and not isinstance(grid, Mapping):
        raise ValueError(f"grid: expected a dict {{option: [values]}}, got {v._short(grid)}")
    if search is not None and not isinstance(search, Mapping):
        raise ValueError(f"search: expected a dict {{option: [low, high]}}, got {v._short(search)}")
    grid = dict(grid or {})
    search = dict(search or {})
    for table, opts in (("grid", grid), ("search", search)):
        bad = next((k for k in opts if not isinstance(k, str)), None)
        if bad is not None:
            raise ValueError(f"{table}: option names must be strings, got {v._short(bad)}")
    both = set(grid) & set(search)
    if both:
        raise ValueError(f"search: {sorted(both)[0]} is also in grid; give each option once")
    grid_vals = {k: _values(k, vals) for k, vals in grid.items()}
    ranges = {k: _range(k, r) for k, r in search.items()}
    obj = parse_objective(objective, efficacy, design)
    if isinstance(constraints, (str, bytes, Mapping)) or not isinstance(constraints, Iterable):
        raise ValueError(f"constraints: expected a list such as ['over_selection <= 0.25'], got {constraints!r}")
    cons = [parse_constraint(c, efficacy) for c in constraints]
    metrics = METRICS + (EFF_METRICS if efficacy else ())
    for name in (obj.minimize, obj.maximize):
        if name and name not in grid and name not in search:
            raise ValueError(f"objective: {name} is not calibrated; put it in grid or search")
    n_trials = v.integer("n_trials", n_trials, low=2)
    per = f" ({n_trials:,} x {len(scs):,} scenarios)" if len(scs) > 1 else ""
    api.check_trials(n_trials, len(scs), per + " per candidate", hint="fewer trials separate the candidates well "
                     "on common random numbers")
    api.check_memory(n_trials * len(scs), scs[0].n_doses, per=per + " per candidate")
    seed = v.seed(seed)
    points = v.integer("points", points, low=2, high=50)
    rounds = v.integer("rounds", rounds, low=1, high=20)
    # every name is an option of the design, and the first candidate a valid design (fails early)
    first = {**{k: x[0] for k, x in grid_vals.items()}, **{k: r[0] for k, r in ranges.items()}}
    apply(design, first)
    for k, (lo, hi) in ranges.items():  # both ends of each range, named as given (not a point searched later)
        for end, x in (("low", lo), ("high", hi)):
            try:
                apply(design, {**first, k: x}).lower(scs[0].n_doses)
            except ValueError as exc:
                raise ValueError(f"search.{k}: the {end} end of the range, {x:g}, is not a valid value: "
                                 f"{str(exc).split(': ', 1)[-1]}") from None
    int_opts = {k for k in ranges if k == "nu" or _is_int_option(design, k)}
    keys = [api.make_key(seed, 0, i) for i in range(len(scs))] if is_set else \
        [api.make_key(seed, j) for j in range(len(scs))]
    S = len(scs)
    evaluated: dict[tuple, Candidate] = {}
    order: list[Candidate] = []

    def evaluate(params: dict, executor) -> Candidate:
        key = tuple(sorted((k, float(x) if not isinstance(x, str) else x) for k, x in params.items()))
        if key in evaluated:
            return evaluated[key]
        d = apply(design, params)
        default = evaluated.get(())
        if default is not None and d == default.design:
            # the default met as a point of the grid or search: one candidate, named by the point
            c = dataclasses.replace(default, params=dict(params), design=d, is_default=True)
            order[order.index(default)] = c
            evaluated[()] = evaluated[key] = c
            return c
        low = d.lower(scs[0].n_doses)
        if executor is None:
            with api._threads(threads):
                rec = api._run_mc(low, scs, keys, n_trials)
        else:
            rec = api._run_mc(low, scs, keys, n_trials, None, executor, threads)
        per = OperatingCharacteristics(rec, scs, d, seed=seed)._per_trial()
        lost = [("objective", m) for m, _ in obj.weights if m not in per] + \
            [("constraints", c.metric) for c in cons if c.metric not in per]
        if lost:  # efficacy is not recorded for every design (e.g. graded ones)
            raise ValueError(f"{lost[0][0]}: {lost[0][1]} is not recorded for {d.family} on these scenarios; choose "
                             f"one of {', '.join(m for m in metrics if m in per)}")
        by = {m: np.asarray(per[m], dtype=float).reshape(S, n_trials).mean(axis=1) for m in metrics if m in per}
        contrib = np.zeros((S, n_trials))
        for m, w in obj.weights:
            contrib += w * np.asarray(per[m], dtype=float).reshape(S, n_trials)
        value = float(contrib.mean())
        se = math.sqrt(float(np.sum(contrib.var(axis=1, ddof=1) / n_trials))) / S
        bad = tuple(str(c) for c in cons if not c.holds(by[c.metric]))
        c = Candidate(params=dict(params), design=d, objective=value, objective_se=se, by_scenario=by,
                      feasible=not bad, violations=bad, _per_trial=contrib)
        evaluated[key] = c
        order.append(c)
        return c

    def spread(name: str, lo: float, hi: float) -> list:
        xs = np.linspace(lo, hi, points)
        if name in int_opts:
            return sorted({int(round(x)) for x in xs})
        return [float(x) for x in xs]

    history = []
    with _backends.opened(backend) as executor:
        evaluate({}, executor)  # the default first (evaluated[()]): every candidate is measured against it
        grid_combos = [dict(zip(grid_vals, combo)) for combo in itertools.product(*grid_vals.values())] or [{}]
        box = dict(ranges)
        for rnd in range(rounds if ranges else 1):
            axes = {k: spread(k, *box[k]) for k in ranges}
            combos = [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())] or [{}]
            batch = []
            for g in grid_combos:
                for s in combos:
                    params = {**g, **s}
                    if params:
                        batch.append(evaluate(params, executor))
            history.append({"round": rnd + 1, "box": {k: list(b) for k, b in box.items()},
                            "candidates": len(batch)})
            if not ranges or rnd == rounds - 1:
                break
            ranked = sorted(order, key=lambda c: _rank_key(obj, c))
            lead = next((c for c in ranked if all(k in c.params for k in ranges)), None)
            if lead is None:
                break
            for k in ranges:
                step = (box[k][1] - box[k][0]) / (points - 1)
                lo0, hi0 = ranges[k]
                centre = float(lead.params[k])
                box[k] = (max(lo0, centre - step), min(hi0, centre + step))
                if box[k][1] - box[k][0] <= 0 or (k in int_opts and box[k][1] - box[k][0] < 1):
                    box[k] = (centre - 1e-12, centre + 1e-12) if k not in int_opts else (centre, centre)
    meta = {"versions": api._versions(), "design": design.to_dict()}
    return Calibration(order, evaluated[()], obj, cons, scs, n_trials, seed, history, meta)


def _is_int_option(design: Design, name: str) -> bool:
    target = design.base if isinstance(design, Modified) and name not in _fields(design) else design
    f = _fields(target).get(name)
    return f is not None and option_kind(f.type) == "int"


# ---------------------------------------------------------------------------- run files
CALIBRATE_KEYS = {"grid", "search", "objective", "constraints", "n_trials", "points", "rounds", "top"}


def from_run_file(path: str):
    """``(design, scenarios, kwargs, spec)`` from a run file with one ``[[designs]]`` table (the
    default design), its ``[[scenarios]]`` and a ``[calibrate]`` table (keys: grid, search,
    objective, constraints, n_trials, points, rounds, top)."""
    from . import config

    spec = config.load(path)
    raw = spec.raw.get("calibrate")
    ctx = config._Ctx(spec.source, config._Lines(_read(path)))
    if raw is None:
        raise ctx.error(("calibrate",), "missing: add a [calibrate] table (grid = {...} and/or search = {...})")
    config._check_type(ctx, ("calibrate",), raw, "table")
    for key in raw:
        if key not in CALIBRATE_KEYS:
            raise ctx.error(("calibrate", key), f"unknown key; allowed: {', '.join(sorted(CALIBRATE_KEYS))}")
    if len(spec.designs) != 1:
        raise ctx.error(("designs",), f"calibrate takes exactly one [[designs]] table (the default design), got "
                                      f"{len(spec.designs)}")
    kwargs: dict[str, Any] = {"seed": spec.seed, "n_trials": spec.n_trials if "n_trials" in spec.raw else 2000}
    for key in ("grid", "search"):
        if key in raw:
            config._check_type(ctx, ("calibrate", key), raw[key], "table")
            kwargs[key] = raw[key]
    if not any(kwargs.get(key) for key in ("grid", "search")):
        where = ("calibrate", "grid") if "grid" in raw else ("calibrate", "search") if "search" in raw else \
            ("calibrate",)
        raise ctx.error(where, "nothing to calibrate: add grid = { option = [values, ...] } and/or search = "
                               "{ option = [low, high] }")
    if "objective" in raw:
        kwargs["objective"] = raw["objective"]
    if "constraints" in raw:
        config._check_type(ctx, ("calibrate", "constraints"), raw["constraints"], "list")
        kwargs["constraints"] = raw["constraints"]
    for key in ("n_trials", "points", "rounds", "top"):
        if key in raw:
            config._check_type(ctx, ("calibrate", key), raw[key], "int")
            kwargs[key] = raw[key]
    if spec.threads is not None:
        kwargs["threads"] = spec.threads
    return spec.designs[0], spec.scenarios, kwargs, spec, ctx


TOP_LEVEL = ("n_trials", "threads")


def _error_path(raw: Mapping, spec_raw: Mapping, exc: ValueError) -> tuple[tuple, str]:
    """Where in the run file a :func:`calibrate` error belongs, and its message: ``foo: ...`` for
    an option of grid or search points at that option's key (``calibrate.grid.foo``),
    ``grid: foo has no values`` at ``calibrate.grid.foo`` too, ``n_trials: ...`` at the key given."""
    msg = str(exc)
    tables = {t: raw[t] for t in ("grid", "search") if isinstance(raw.get(t), Mapping)}
    m = re.match(r"^(grid|search)\.([A-Za-z_][A-Za-z0-9_]*): (.*)$", msg, re.S)  # "grid.skeleton: ..."
    if m and m.group(1) in tables and m.group(2) in tables[m.group(1)]:
        return ("calibrate", m.group(1), m.group(2)), m.group(3)
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*): (.*)$", msg, re.S)
    if not m:
        return ("calibrate",), msg
    name, rest = m.groups()
    if name in tables:  # "grid: p_saf has no values"
        opt = rest.split(" ", 1)[0]
        if opt in tables[name] and " " in rest:
            return ("calibrate", name, opt), rest.split(" ", 1)[1]
        return ("calibrate", name), rest
    for t, opts in tables.items():
        if name in opts:
            return ("calibrate", t, name), rest
    if name in raw:
        return ("calibrate", name), rest
    if name in spec_raw and name in TOP_LEVEL:  # n_trials at the top of the file
        return (name,), rest
    if name in ("scenario", "scenarios"):  # e.g. a phase I/II design on scenarios without p_eff
        return ("scenarios", 0), rest
    return ("calibrate", name), rest


def _read(path: str) -> str:
    from . import _io

    return _io.read_text(path, "run file")



RUN_FILE_HELP = """Calibrate one design by simulation: a TOML run file with the default design, the scenarios and a
[calibrate] table. Every candidate sees the same simulated patients (the seed of [random]).

[[designs]]     exactly one: the default design (keys as for 'doseesc run')
[[scenarios]]   the objective and the constraints average / hold over these
[calibrate]
  grid        = { option = [values], ... }   every combination is a candidate; for the CRM and
                TITE-CRM, halfwidth and nu rebuild the skeleton (crm_skeleton); any other name is
                an option of the design (max_n, prior_sd, p_saf, p_tox, cutoff_eli, ...)
  search      = { option = [low, high], ... }  searched adaptively (points per round, rounds)
  objective   = "pcs" (the default; "pcs_obd" for a design that uses efficacy: BOIN12, EffTox,
                TITE-BOIN12), another metric, { pcs = 1.0, over_selection = -0.5 }, or
                "min:max_n" (the smallest value meeting the constraints)
  constraints = ["over_selection <= 0.25", "mean pcs >= 0.6"]  (without 'mean': in every scenario)
  n_trials    = 2000 trials per scenario per candidate; points = 5; rounds = 3; top = 5
""" + textwrap.fill("Metrics: " + ", ".join(METRICS) + "; with efficacy in the scenarios (p_eff), the OBD "
                  "metrics too: " + ", ".join(EFF_METRICS) + ".", 100) + """
Outputs (--out DIR): calibration.json, calibration.txt, calibrated.toml (the winner as a run file
with the scenarios, ready for 'doseesc run') and calibration.png. Example:

  [random]
  seed = 1
  [[designs]]
  design = "crm"
  skeleton = [0.06, 0.14, 0.25, 0.37, 0.49]
  target = 0.25
  max_n = 24
  [[scenarios]]
  p_tox = [0.25, 0.35, 0.35, 0.35, 0.35]
  target = 0.25
  [[scenarios]]
  p_tox = [0.15, 0.15, 0.25, 0.35, 0.35]
  target = 0.25
  [calibrate]
  grid = { halfwidth = [0.02, 0.04, 0.06, 0.08, 0.10], nu = [2, 3, 4] }
  constraints = ["over_selection <= 0.45"]
"""

OUTPUTS = ["calibration.json", "calibration.txt", "calibrated.toml", "calibration.png"]


def winner_run_file(cal: Calibration) -> str:
    """The winning design with the calibration's scenarios and seed, as a run file."""
    parts = [f"# calibrated by doseesc: {cal.ranking[0].label()} (objective {cal.objective})",
             f"n_trials = {cal.n_trials}", "[random]", f"seed = {cal.seed}", "", cal.snippet()]
    for s in cal.scenarios:
        d = s.to_dict()
        time = d.pop("time", None)
        parts += ["", toml_table("scenarios", d, array=True)]
        if time:
            parts.append(toml_table("scenarios.time", time))
    return "\n".join(parts) + "\n"


def cli(args) -> str:
    """``doseesc calibrate RUN.toml``: see :data:`RUN_FILE_HELP`."""
    import os
    import sys

    from . import _io, _json
    from . import cli as _cli

    design, scenarios, kwargs, spec, ctx = from_run_file(args.file)
    top = kwargs.pop("top", 5)
    if args.top is not None:
        top = args.top
    out_dir = args.out or spec.out_dir
    if out_dir:
        _io.prepare_output_dir(out_dir, "--out", OUTPUTS, args.force)
    try:
        with _cli.backend_from(args.backend, args.backend_timeout) as backend:
            cal = calibrate(design, scenarios, backend=backend, **kwargs)
    except ValueError as exc:
        raise ctx.error(*_error_path(spec.raw.get("calibrate", {}), spec.raw, exc)) from None
    text = cal.summary(top)
    if out_dir:
        _io.write(os.path.join(out_dir, "calibration.json"), _json.dumps(cal.to_dict(), indent=2))
        _io.write(os.path.join(out_dir, "calibration.txt"), text + "\n")
        _io.write(os.path.join(out_dir, "calibrated.toml"), winner_run_file(cal))
        written = ["calibration.json", "calibration.txt", "calibrated.toml"]
        try:
            from . import plot

            plot.write(cal.figure(), os.path.join(out_dir, "calibration.png"))
            written.append("calibration.png")
        except ValueError as exc:
            print(f"doseesc: note: {exc}; no figure written", file=sys.stderr)
        print(f"wrote {', '.join(os.path.join(out_dir, w) for w in written)}", file=sys.stderr)
    if getattr(args, "plot", None):
        from . import plot

        plot.write(cal.figure(), args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.format == "json":
        return _json.dumps(cal.to_dict(), indent=2)
    return text
