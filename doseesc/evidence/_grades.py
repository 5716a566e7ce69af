"""Per-grade adverse-event priors from the seed trials, and prior-predictive graded scenarios.

A patient's worst treatment-related adverse event falls in one of four categories: none,
grade 1, grade 2, grade >= 3 (a DLT in the seed trials' definition). :func:`grade_prior` is a
Dirichlet power prior on those four probabilities built from the trials that state their AE
grades; :func:`sample_graded_scenarios` draws graded scenarios (``ScenarioSet`` with
``p_grade``) from it for graded designs such as :class:`doseesc.gBOIN`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from ..scenario import ScenarioSet
from ._beta import _unit_closed
from ._data import _filter, records
from ._dose_response import _dose_array, check_draws

CATEGORIES = ("none", "grade 1", "grade 2", "grade >= 3")


@dataclass(frozen=True)
class GradePrior:
    """Dirichlet prior on P(worst AE grade = none, 1, 2, >= 3) per patient (see :func:`grade_prior`).

    Attributes
    ----------
    alpha : tuple of 4 float
        Dirichlet parameters, in the order of :data:`CATEGORIES`.
    counts : tuple of 4 float
        Patients per category pooled from the records used (before the discount).
    discount : float
    alpha0 : tuple of 4 float
        The initial Dirichlet.
    records_used, records_skipped, assumptions : tuple
        Record ids used; (id, reason) pairs skipped (missing counts are never read as 0); the
        assumptions made.
    """

    alpha: tuple
    counts: tuple
    discount: float
    alpha0: tuple
    records_used: tuple = ()
    records_skipped: tuple = ()
    assumptions: tuple = ()

    @property
    def ess(self) -> float:
        """Effective sample size: the sum of the Dirichlet parameters."""
        return float(sum(self.alpha))

    def mean(self) -> np.ndarray:
        a = np.asarray(self.alpha, dtype=float)
        return a / a.sum()

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws, shape (n, 4)."""
        return rng.dirichlet(np.asarray(self.alpha, dtype=float), size=n)

    def describe(self) -> str:
        m = self.mean()
        cells = ", ".join(f"{c} {a:g}" for c, a in zip(CATEGORIES, self.alpha))
        txt = (f"Dirichlet power prior on a patient's worst treatment-related AE grade: ({cells}); means "
               + ", ".join(f"{c} {x:.3f}" for c, x in zip(CATEGORIES, m))
               + f"; ESS {self.ess:g}. Initial Dirichlet{tuple(self.alpha0)} updated with "
               + ", ".join(f"{c} {x:g}" for c, x in zip(CATEGORIES, self.counts))
               + f" patients at discount {self.discount:g}. Records used: {', '.join(self.records_used) or 'none'}")
        if self.records_skipped:
            txt += "; skipped: " + "; ".join(f"{i} ({why})" for i, why in self.records_skipped)
        txt += "."
        if self.assumptions:
            txt += " Assumptions: " + " ".join(self.assumptions)
        return txt


def _trial_counts(recs: tuple) -> tuple:
    """(counts of the 4 categories, notes) for one trial's records, or (None, reason)."""
    first = recs[0]
    if first.ae_grade1 is None or first.ae_grade2 is None:
        return None, "AE grades not stated"
    if first.ae_scope == "trial":
        n = first.ae_n
    else:
        n = sum(r.n for r in recs if r.n is not None)
    if any(r.dlt is None for r in recs):
        return None, "DLT count not stated"
    dlt = sum(r.dlt for r in recs)
    e1, e2 = first.ae_grade1, first.ae_grade2
    notes = []
    if first.ae_patients is not None:
        k = first.ae_patients
        w2 = min(e2, k)
        w1 = k - w2 if e1 > 0 else 0
        if e2 > 1 and k > 1:
            notes.append(f"Trial {first.trial}: {e2} grade-2 events in {k} patients with an AE taken as {w2} "
                         f"patients with a grade-2 worst grade (each in a different patient).")
    else:
        w1, w2 = e1, e2
        notes.append(f"Trial {first.trial}: patients with an AE not stated; {e1} grade-1 and {e2} grade-2 events "
                     f"counted as that many patients (each event in a different patient: the upper bound).")
    none = n - w1 - w2 - dlt
    if none < 0:
        return None, "AE counts exceed the patients"
    return (float(none), float(w1), float(w2), float(dlt)), notes


def grade_prior(trials: Any = None, discount: float = 1.0, alpha0: Any = (1, 1, 1, 1)) -> GradePrior:
    """Dirichlet power prior on the worst AE grade per patient (none, 1, 2, >= 3) from the seed trials.

    ``Dirichlet(alpha0 + discount * counts)``, with the patients of each category pooled over the
    trials that state their AE grades: trial A (3 grade-1 events in 7 patients, patients with an
    event not stated: each event counted as a different patient, the upper bound) and trial B
    (2 grade-1 and 1 grade-2 events in 2 of 8 patients: one patient with a grade-2 worst grade,
    one with grade 1). Trials C (1 event, grade not stated) and D (AEs "minimal", no count) are
    skipped with their reason, never read as zero. Grade >= 3 counts are the trials' DLTs
    (treatment-related grade >= 3 events; 0 in A and B).

    Parameters
    ----------
    trials : str or list of str, optional
        Trials to use; all by default.
    discount : float
        Power-prior weight in [0, 1].
    alpha0 : 4 positive floats
        The initial Dirichlet.

    Returns
    -------
    GradePrior

    Examples
    --------
    >>> from doseesc import evidence
    >>> p = evidence.grade_prior()
    >>> p.counts, p.records_used
    ((10.0, 4.0, 1.0, 0.0), ('A@2', 'A@3', 'B@2', 'B@4'))
    >>> [round(float(x), 3) for x in p.mean()]
    [0.579, 0.263, 0.105, 0.053]
    """
    w = _unit_closed("discount", discount)
    a0 = v.numbers("alpha0", alpha0, max_len=4)
    if a0.shape != (4,) or not np.all(np.isfinite(a0)) or np.any(a0 <= 0):
        raise ValueError(f"alpha0: expected 4 positive numbers (none, grade 1, grade 2, grade >= 3), got {alpha0!r}")
    recs = _filter(trials, None)
    counts = np.zeros(4)
    used: list = []
    skipped: list = []
    notes: list = []
    for t in dict.fromkeys(r.trial for r in recs):
        tr = tuple(r for r in recs if r.trial == t)
        c, extra = _trial_counts(tr if tr[0].ae_scope != "trial" else records(t))
        if c is None:
            skipped += [(r.id, extra) for r in tr]
            continue
        counts += c
        used += [r.id for r in tr]
        notes += extra
    alpha = a0 + w * counts
    return GradePrior(alpha=tuple(float(x) for x in alpha), counts=tuple(float(x) for x in counts), discount=w,
                      alpha0=tuple(float(x) for x in a0), records_used=tuple(used), records_skipped=tuple(skipped),
                      assumptions=tuple(dict.fromkeys(notes)))


def sample_graded_scenarios(prior: GradePrior, doses: Any, n: int, seed: int, target: float = 0.2, *,
                            name: str | None = None) -> ScenarioSet:
    """Prior-predictive graded scenarios: ``n`` sets of per-dose worst-grade probabilities.

    For each scenario, one Dirichlet draw per dose; then, for each grade g, the probabilities
    P(worst grade >= g) are sorted across doses ("draw and sort", as :func:`sample_scenarios`
    does for one probability), so that every grade's probability of being reached increases
    with dose while P(>= 1) >= P(>= 2) >= P(>= 3) at each dose. Grade >= 3 is the DLT
    (``dlt_grade=3``), so binary designs see ``p_tox = P(grade >= 3)`` and ``p_ae`` the grade
    1-2 probability.

    Parameters
    ----------
    prior : GradePrior
    doses : sequence of float
        Dose values (labels; their number sets the number of doses).
    n : int
        Number of scenarios, from 1 to 1,000,000.
    seed : int
    target : float
        The scenarios' DLT target.

    Returns
    -------
    ScenarioSet
        With ``p_grade`` (n, doses, 3) and ``source`` naming the prior and its records.

    Examples
    --------
    >>> import doseesc as de
    >>> from doseesc import evidence
    >>> ss = evidence.sample_graded_scenarios(evidence.grade_prior(), [1, 2, 4], n=50, seed=1)
    >>> ss.p_grade.shape, bool((ss.p_tox <= ss.p_tox[:, -1:]).all())
    ((50, 3, 3), True)
    """
    if not isinstance(prior, GradePrior):
        raise ValueError(f"prior: expected an evidence.GradePrior (evidence.grade_prior()), got {v._short(prior)}")
    d = _dose_array("doses", doses)
    n = check_draws(n)
    rng = np.random.default_rng(v.seed(seed))
    draws = prior.sample(n * d.size, rng).reshape(n, d.size, 4)
    at_least = np.cumsum(draws[:, :, ::-1], axis=2)[:, :, ::-1][:, :, 1:]  # P(>= 1), P(>= 2), P(>= 3)
    at_least = np.sort(at_least, axis=1)
    p_grade = np.concatenate([at_least[:, :, :-1] - at_least[:, :, 1:], at_least[:, :, -1:]], axis=2)
    p_grade = np.clip(p_grade, 0.0, 1.0)
    p_tox = p_grade[:, :, 2]
    p_ae = p_grade[:, :, 0] + p_grade[:, :, 1]
    src = (f"sample_graded_scenarios from grade_prior Dirichlet{tuple(round(a, 4) for a in prior.alpha)} "
           f"(records {', '.join(prior.records_used) or 'none'}), draw-and-sort per grade, seed {seed}")
    return ScenarioSet(p_tox=p_tox, target=target, doses=d, p_ae=p_ae, source=src, name=name or "graded draw",
                       p_grade=p_grade, dlt_grade=3)
