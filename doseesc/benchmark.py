"""The complete-information benchmark: the upper reference for every design's correct selection.

O'Quigley, Paoletti & Maccario (2002, Biometrika 89:393) ask what a trial of ``n`` patients
could select if every patient's tolerance were observed at every dose. With the latent
tolerances of doseesc's simulations (patient ``i`` of trial ``t`` has ``u_i ~ U(0, 1)`` and a
DLT at dose ``d`` iff ``u_i < p_d``), that complete information is the DLT rate at every dose
among the trial's ``n`` patients, ``#{i: u_i < p_d} / n``; the benchmark selects the dose whose
rate is closest to the target. Equally close doses are frequent (two doses whose DLT
probabilities no patient's tolerance falls between have the same rate: 10-15% of trials in
typical scenarios), and the benchmark's one assumption settles most of them: tied doses whose
common rate is above the target are ordered, so the lowest of them is the closest (below the
target: the highest); one dose below and one above the target at the same distance, about which
the complete information says nothing, are split by a coin, a uniform of the trial's own
(``ties="lowest"``: always the lowest tied dose, as R's ``which.min`` would, which falls below
designs in scenarios where two doses above the target have close probabilities; ``ties="random"``:
a uniform choice among the doses at exactly the smallest distance in double precision, as Wages &
Varhegyi's benchmark application computes it, against which it is tested).

It uses no model and no sequential allocation, only the assumption that a patient who has a DLT
at a dose has one at every higher dose, so a design that learns from the same patients should
not select the correct dose more often, except by Monte Carlo error. It is not a theorem: its
per-dose rates from ``n`` patients have an SE of about 0.08-0.11 near a target of 0.2-0.3 with 18-24
patients, more than the distance between the doses nearest the target in many scenarios, and a
design whose bias (e.g. towards lower doses), prior or dose-toxicity model suits the scenario can
select better. Measured (``benchmarks/benchmark_exceeded.py``: 12 random increasing curves on 5
doses per sample size, target 0.3, BOIN, Keyboard, mTPI-2 and the empiric and logistic CRM, 20,000
trials each): some design exceeded it by more than 4 paired SEs in 2 of 12 scenarios with 18
patients (by up to 3.6 points, SE 0.4), 1 of 12 with 24 (the empiric CRM by 6.0 points, SE 0.4,
under (0.075, 0.218, 0.333, 0.387, 0.636), where the benchmark selected dose 2 in 36% of trials and
dose 4 in 27%) and none of 12 with 36. With the MTD at the top of (0.01, 0.05, 0.10, 0.15, 0.30),
target 0.3, and 18 patients, a logistic CRM with cohorts of 3 selected it 4.9 points (SE 0.65) more
often; with 24 patients 1.2 points less often. ``compare``, the what-if and the report say so
wherever a design exceeds it by more than 4 SE (``compare`` and the report with the benchmark's
own SE and selections). Its trials are the designs' trials (same seed, same patients), so a
design's shortfall from it is a paired difference with a small standard error (:meth:`Benchmark.difference`).

``compare`` reports it beside every design (``Comparison.benchmark``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _validate as v
from ._kernels import benchmark as _k
from ._kernels.rng import make_key
from .scenario import Scenario, ScenarioSet

#: the benchmark's summaries (all per trial 0/1 or per dose)
METRICS = ("selection", "pcs", "over_selection")


@dataclass(frozen=True, eq=False)
class Benchmark:
    """Complete-information benchmark over ``n_trials`` simulated trials per scenario.

    Attributes
    ----------
    selected : int array (T,)
        The dose (1-based) the benchmark selects in each trial, in the designs' row order.
    scenario : int array (T,)
        Index of the scenario (member of a scenario set) of each trial.
    scenarios : list of Scenario
    max_n : int
        Patients per trial whose complete information is used.
    seed : int
    selection, pcs, over_selection
        Fraction of trials selecting each dose, selecting a correct dose, selecting a dose above
        the true MTD (means over the scenarios of a set, each weighted equally); ``se(name)``
        gives their Monte Carlo standard errors.

    Examples
    --------
    >>> import doseesc as de
    >>> sc = de.Scenario([0.05, 0.10, 0.25, 0.40, 0.55], target=0.25)
    >>> b = de.optimal_benchmark(sc, max_n=24, n_trials=2000, seed=1)
    >>> round(float(b.selection.sum()), 12), bool(0.6 < b.pcs < 0.85)
    (1.0, True)
    """

    selected: np.ndarray
    scenario: np.ndarray
    scenarios: list
    max_n: int
    seed: int
    ties: str = "monotone"
    _values: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        flags = self.flags()
        n = self.selected.shape[0]
        D = self.scenarios[0].n_doses
        sel = np.bincount(self.selected, minlength=D + 1)[1:] / n
        vals = {"selection": (sel, np.sqrt(sel * (1 - sel) / (n - 1)) if n > 1 else np.full(D, np.nan))}
        for name in ("pcs", "over_selection"):
            m = flags[name].mean()
            vals[name] = (m, np.sqrt(m * (1 - m) / (n - 1)) if n > 1 else np.nan)
        self._values.update(vals)

    @property
    def n_trials(self) -> int:
        return int(self.selected.shape[0])

    def flags(self) -> dict[str, np.ndarray]:
        """Per trial: ``pcs`` (a correct dose selected) and ``over_selection`` (a dose above the
        true MTD), as booleans, with the scenario's own definition of correct
        (:meth:`Scenario.dose_masks`)."""
        masks = [s.dose_masks() for s in self.scenarios]
        correct = np.array([m[0] for m in masks])
        above = np.array([m[2] for m in masks])
        s = self.scenario
        d = self.selected - 1
        return {"pcs": correct[s, d], "over_selection": above[s, d]}

    def __getattr__(self, name: str):
        values = self.__dict__.get("_values")
        if values is not None and name in values:
            return values[name][0]
        raise AttributeError(name)

    def se(self, name: str):
        """Monte Carlo standard error of ``selection``, ``pcs`` or ``over_selection``."""
        if name not in METRICS:
            raise ValueError(f"name: unknown benchmark summary {name!r}; choose one of {', '.join(METRICS)}")
        return self._values[name][1]

    def difference(self, oc, metric: str = "pcs", between: bool = False) -> tuple[float, float]:
        """Paired difference ``oc`` minus the benchmark of ``pcs`` or ``over_selection``, with its
        Monte Carlo SE: ``oc`` must be a simulation of the same scenario(s), seed and number of
        trials (the same patients), e.g. ``compare``'s ``oc[i][j]``. ``between``: the SE as a mean
        over scenarios drawn at random (see :meth:`se_between`)."""
        if metric not in ("pcs", "over_selection"):
            raise ValueError(f"metric: expected 'pcs' or 'over_selection', got {metric!r}")
        if oc.exact or oc.seed != self.seed or len(oc.records) != self.n_trials:
            raise ValueError("oc: a paired difference needs a simulation of the same scenario, seed and number of "
                             f"trials as the benchmark (seed {self.seed}, {self.n_trials:,} trials)")
        x = np.asarray(oc._per_trial()[metric], dtype=float) - self.flags()[metric].astype(float)
        n = x.size
        if between:
            from .results import between_scenarios_se

            return float(x.mean()), float(between_scenarios_se(x, self.scenario, len(self.scenarios)))
        return float(x.mean()), float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")

    def se_between(self, name: str) -> float:
        """SE of ``pcs`` or ``over_selection`` as a mean over scenarios drawn at random: the SD of
        the per-scenario values over the square root of their number (``se`` is conditional on the
        scenarios drawn; :func:`doseesc.results.between_scenarios_se`)."""
        if name not in ("pcs", "over_selection"):
            raise ValueError(f"name: expected 'pcs' or 'over_selection', got {name!r}")
        from .results import between_scenarios_se

        return float(between_scenarios_se(self.flags()[name], self.scenario, len(self.scenarios)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"benchmark": "complete information (O'Quigley, Paoletti & Maccario 2002)",
                               "max_n": self.max_n, "ties": self.ties, "n_trials": self.n_trials, "seed": self.seed}
        for name in METRICS:
            m, s = self._values[name]
            out[name] = np.asarray(m).tolist()
            out[f"{name}_se"] = np.asarray(s).tolist()
        return out

    def summary(self) -> str:
        sel = " ".join(f"{100 * x:.1f}" for x in self.selection)
        return (f"complete-information benchmark ({self.max_n} patients, {self.n_trials:,} trials, seed {self.seed}): "
                f"correct selection {100 * self.pcs:.2f}% (SE {100 * self.se('pcs'):.2f}); selection % by dose: {sel}")

    __str__ = summary


#: bytes the benchmark holds per trial (selection, scenario index, the per-trial flags and their
#: temporaries)
BYTES_PER_TRIAL = 40
TIES = ("monotone", "lowest", "random")  # _k.MONOTONE, _k.LOWEST, _k.RANDOM


def optimal_benchmark(scenario: Scenario | ScenarioSet, max_n: int, n_trials: int = 10_000, seed: int = 1, *,
                      ties: str = "monotone", threads: int | None = None, _scenario_index: int = 0) -> Benchmark:
    """The complete-information benchmark (O'Quigley, Paoletti & Maccario 2002) on the same
    simulated patients as ``simulate(design, scenario, n_trials, seed)``.

    Parameters
    ----------
    scenario : Scenario or ScenarioSet
    max_n : int
        Patients per trial (a design's maximum sample size): the benchmark knows each one's
        outcome at every dose.
    n_trials, seed
        As for :func:`doseesc.simulate` (``n_trials`` from 1 to 1,000,000,000 over all scenarios);
        trial ``t`` here has the patients of trial ``t`` there.
    ties : {"monotone", "lowest", "random"}
        How doses equally close to the target are decided: by monotonicity, then a coin
        (default; see above), always the lowest, or ``"random"``: uniformly among the doses at
        exactly the smallest distance in double precision, the rule of Wages & Varhegyi's
        benchmark application (its ``npoptimal``; tested against it).
    threads : int, optional
        Numba threads (results do not depend on it).

    Returns
    -------
    Benchmark

    Examples
    --------
    >>> import doseesc as de
    >>> sc = de.Scenario([0.05, 0.10, 0.25, 0.40, 0.55], target=0.25)
    >>> d = de.BOIN(target=0.25, cohort_size=3, max_n=24)
    >>> b = de.optimal_benchmark(sc, max_n=24, n_trials=2000, seed=3)
    >>> diff, se = b.difference(de.simulate(d, sc, n_trials=2000, seed=3))
    >>> bool(diff < 4 * se)  # the design does not beat the benchmark
    True
    """
    if isinstance(scenario, ScenarioSet):
        scs = list(scenario.scenarios)
        keys = [make_key(v.seed(seed), _scenario_index, i) for i in range(len(scs))]
    elif isinstance(scenario, Scenario):
        scs = [scenario]
        keys = [make_key(v.seed(seed), _scenario_index)]
    else:
        raise ValueError(f"scenario: expected a doseesc.Scenario or ScenarioSet, got {scenario!r}")
    max_n = v.integer("max_n", max_n, low=1, high=v.MAX_PATIENTS)
    ties = v.choice("ties", ties, TIES)
    from .engine.api import check_trials, memory_budget

    per = f" ({len(scs):,} scenarios)" if len(scs) > 1 else ""
    n_trials = check_trials(n_trials, len(scs), per, hint="run several seeds")
    rows = n_trials * len(scs)
    need, budget = rows * BYTES_PER_TRIAL, memory_budget()
    if need > budget:
        raise ValueError(f"n_trials: {rows:,} benchmark trials{per} need {need / 2**30:,.1f} GiB, more than the "
                         f"{budget / 2**30:,.1f} GiB this run may use (half this machine's memory); at most "
                         f"{budget // BYTES_PER_TRIAL:,} trials fit")
    seed = v.seed(seed)
    p = np.ascontiguousarray([s.p_tox for s in scs], dtype=np.float64)
    targets = np.array([s.target for s in scs], dtype=np.float64)
    sel = np.empty(n_trials * len(scs), dtype=np.int64)
    from . import _ahead
    from .engine.api import _threads

    _ahead.wait("benchmark")
    with _threads(threads):
        _k.run(p, targets, np.array(keys, dtype=np.uint64), n_trials, max_n, TIES.index(ties), sel)
    return Benchmark(selected=sel, scenario=np.repeat(np.arange(len(scs), dtype=np.int64), n_trials), scenarios=scs,
                     max_n=max_n, seed=seed, ties=ties)
