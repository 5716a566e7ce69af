"""Dose-transition pathways: every possible outcome of the next cohorts and the decisions.

As R ``escalation``'s ``get_dose_paths``: within a cohort only the number of DLTs matters, so
a cohort of 3 has four outcomes (NNN, NNT, NTT, TTT). For a phase I/II design (efficacy too)
a cohort's outcome is the number of patients with each of E, N, B, T, so a cohort of 3 has
20 outcomes (EEE, EEN, ..., TTT). Every node is obtained from ``design.next_dose``, so
pathways always agree with live recommendations.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass
from math import comb, factorial

import numpy as np

from . import _json
from . import _validate as v
from . import outcomes as _outcomes
from .designs.base import Design, DeviationWarning
from .scenario import Scenario

MAX_NODES = 20_000  # a pathway table no protocol prints; reached within seconds


@dataclass(frozen=True)
class PathNode:
    """One node of the pathway tree.

    ``outcomes`` is the full outcome string so far; ``dose`` the recommended next dose
    (None when the design stops); ``probability`` the probability of reaching this node
    from the root under the scenario (None without one).
    """

    outcomes: str
    depth: int
    dose: int | None
    stop: bool
    cohort_size: int
    selected: int | None
    probability: float | None = None

    def to_dict(self) -> dict:
        d = {"outcomes": self.outcomes, "depth": self.depth, "dose": self.dose, "stop": self.stop,
             "cohort_size": self.cohort_size, "selected": self.selected}
        if self.probability is not None:
            d["probability"] = self.probability
        return d


def dose_paths(design: Design, cohorts: int, outcomes: str = "", *, n_doses: int | None = None,
               scenario: Scenario | None = None) -> list[PathNode]:
    """Enumerate the next ``cohorts`` cohorts after ``outcomes`` (depth-first order).

    Parameters
    ----------
    design : Design
    cohorts : int
        How many future cohorts to enumerate (>= 1).
    outcomes : str
        Outcomes observed so far (the root), e.g. ``"1NNN 2NTN"``.
    n_doses : int, optional
        Number of dose levels (taken from ``scenario`` when given).
    scenario : Scenario, optional
        If given, each node carries the probability of reaching it.

    Examples
    --------
    >>> import doseesc as de
    >>> nodes = de.dose_paths(de.ThreePlusThree(), cohorts=1, n_doses=3)
    >>> [(n.outcomes, n.dose) for n in nodes]
    [('', 1), ('1NNN', 2), ('1NNT', 1), ('1NTT', None), ('1TTT', None)]
    """
    if not isinstance(design, Design):
        raise ValueError(f"design: expected a doseesc design, got {design!r}")
    from .designs import Backfill, QuasiCRM, gBOIN

    base = getattr(design, "base", None)
    if isinstance(design, (gBOIN, QuasiCRM, Backfill)) or isinstance(base, (gBOIN, QuasiCRM)):
        why = ("its decisions depend on when each patient's outcome becomes known" if isinstance(design, Backfill)
               else "its decisions depend on each patient's adverse-event grade, not on DLT/no-DLT outcomes")
        raise ValueError(f"design: dose-transition pathways are not available for {design.label()}: {why} "
                         "(pathways: the binary-toxicity and phase I/II designs)")
    cohorts = v.integer("cohorts", cohorts, low=1, high=30)
    if scenario is not None:
        if not isinstance(scenario, Scenario):
            raise ValueError(f"scenario: expected a doseesc.Scenario, got {scenario!r}")
        n_doses = scenario.n_doses
    root = _outcomes.format_cohorts(_outcomes.parse(outcomes))
    nodes: list[PathNode] = []
    eff = bool(getattr(design, "uses_efficacy", False))
    if eff and scenario is not None and not scenario.has_efficacy:
        raise ValueError("scenario: this design decides on efficacy too; give the scenario p_eff")

    def visit(out: str, depth: int, prob: float | None) -> None:
        if len(nodes) >= MAX_NODES:
            raise ValueError(f"cohorts: more than {MAX_NODES:,} pathway nodes; ask for fewer cohorts")
        rec = design.next_dose(out, n_doses=n_doses)
        nodes.append(PathNode(out, depth, rec.dose, rec.stop, rec.cohort_size, rec.selected, prob))
        if rec.stop or depth == cohorts:
            return
        c = rec.cohort_size
        if eff:
            for counts in _compositions(c):
                step = f"{rec.dose}" + "".join(ch * k for ch, k in zip("ENBT", counts))
                p = None
                if prob is not None:
                    q = scenario.p_joint[rec.dose - 1]  # (E no T, neither, both, T no E)
                    p = prob * factorial(c) / np.prod([factorial(k) for k in counts]) * float(
                        np.prod([q[j] ** k for j, k in enumerate(counts)]))
                visit(f"{out} {step}".strip(), depth + 1, p)
            return
        for k in range(c + 1):
            step = f"{rec.dose}" + "N" * (c - k) + "T" * k
            p = None
            if prob is not None:
                q = float(scenario.p_tox[rec.dose - 1])
                p = prob * comb(c, k) * q**k * (1 - q) ** (c - k)
            visit(f"{out} {step}".strip(), depth + 1, p)

    design.next_dose(root, n_doses=n_doses)  # the root's deviations from the design, warned once
    with warnings.catch_warnings():  # every child repeats them (children follow the design)
        warnings.simplefilter("ignore", DeviationWarning)
        visit(root, 0, 1.0 if scenario is not None else None)
    return nodes


def _compositions(c: int):
    """(k_E, k_N, k_B, k_T) with sum c, in a fixed order."""
    for k1 in range(c, -1, -1):
        for k2 in range(c - k1, -1, -1):
            for k3 in range(c - k1 - k2, -1, -1):
                yield k1, k2, k3, c - k1 - k2 - k3


def paths_text(nodes: list[PathNode], root: str = "") -> str:
    lines = []
    for node in nodes:
        last = node.outcomes[len(root):].split()[-1] if node.depth > 0 else (root or "(start)")
        what = f"stop, select {'none' if node.selected is None else f'dose {node.selected}'}" if node.stop \
            else f"dose {node.dose}"
        prob = "" if node.probability is None else f"   p = {node.probability:.4f}"
        lines.append(f"{'    ' * node.depth}{last} -> {what}{prob}")
    return "\n".join(lines)


def paths_json(nodes: list[PathNode], design=None, scenario=None, versions: dict | None = None) -> str:
    """The paths as JSON: ``{"design": ..., "scenario": ..., "versions": ..., "paths": [node, ...]}``
    (the design and scenario as their ``to_dict()``, None when not given)."""
    return _json.dumps({"design": None if design is None else design.to_dict(),
                        "scenario": None if scenario is None else scenario.to_dict(),
                        "versions": versions, "paths": [n.to_dict() for n in nodes]}, indent=2)


def paths_csv(nodes: list[PathNode]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["outcomes", "depth", "dose", "stop", "cohort_size", "selected", "probability"])
    for n in nodes:
        w.writerow([n.outcomes, n.depth, "" if n.dose is None else n.dose, n.stop, n.cohort_size,
                    "" if n.selected is None else n.selected, "" if n.probability is None else repr(n.probability)])
    return buf.getvalue()
