"""Graded-toxicity designs: gBOIN (Mu, Xu & Yuan 2019, J R Stat Soc C 68:289), with the
semantics of R TITEgBOIN (the authors' package; its non-TITE mode).

Toxicity is scored by grade (the equivalent toxicity score, ETS, of Yuan, Chappell & Bailey
2007, divided by its maximum so that a patient contributes a number in [0, 1]); the summed
scores at a dose are a quasi-binomial count that BOIN's boundaries and elimination rule act on.
With scores 0 below the DLT grade and 1 from it the design is BOIN on DLTs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as v
from .._kernels import graded as _kg
from .._kernels.codes import CONTINUE, GBOIN, MAX_N, QUASI_CRM, STOP_REASONS
from .base import Design, Lowered, Recommendation, deviations, warn_deviations
from .crm import CRM
from .interval import _boin_lambdas

#: TITEgBOIN's default scores: grades 0-1, 2, 3, 4 (its four toxicity categories)
PAPER_SCORES = (0.0, 0.5, 1.0, 1.5)

_GRADED_COHORT = re.compile(r"^([0-9]+):([0-9]+)$")
#: the grade from which an adverse event is counted as a DLT in live recommendations' ``n_dlt``
#: (``Scenario.from_grades``' default ``dlt_grade``)
LIVE_DLT_GRADE = 3


@dataclass(frozen=True)
class GradedCohort:
    """A cohort of a graded outcome string: the 1-based dose and each patient's worst AE grade.

    Examples
    --------
    >>> from doseesc.designs.graded import GradedCohort
    >>> c = GradedCohort(2, (0, 1, 3))
    >>> str(c), c.size
    ('2:013', 3)
    """

    dose: int
    grades: tuple

    @property
    def size(self) -> int:
        return len(self.grades)

    def __str__(self) -> str:
        return f"{self.dose}:" + "".join(str(g) for g in self.grades)


def parse_graded(outcomes: str, n_grades: int, n_doses: int | None = None) -> list[GradedCohort]:
    """Parse a graded outcome string: cohorts separated by white space, each a 1-based dose, a
    colon and one digit per patient, the worst adverse-event grade seen in the DLT window (0 =
    none, 1 .. ``n_grades``), e.g. ``"1:000 2:012 2:310"``.

    Examples
    --------
    >>> from doseesc.designs.graded import parse_graded
    >>> [str(c) for c in parse_graded("1:000 2:012", n_grades=4)]
    ['1:000', '2:012']
    """
    if not isinstance(outcomes, str):
        raise ValueError(f"outcomes: expected a string such as '1:000 2:012', got {type(outcomes).__name__}")
    out = []
    for tok in outcomes.split():
        m = _GRADED_COHORT.match(tok)
        if m is None:
            raise ValueError(f"outcomes: graded cohorts are a dose, a colon and one grade digit per patient "
                             f"(0 = no AE, 1 to {n_grades}), e.g. '1:000 2:012'; got {tok[:40]!r}")
        dose = int(m.group(1))
        grades = tuple(int(ch) for ch in m.group(2))
        if dose < 1 or (n_doses is not None and dose > n_doses):
            raise ValueError(f"outcomes: dose levels must be from 1 to {n_doses if n_doses else 'n_doses'}, got "
                             f"{dose} in {tok!r}")
        if max(grades) > n_grades:
            raise ValueError(f"outcomes: grades must be from 0 to {n_grades} (the design scores grades "
                             f"0-{n_grades}), got {max(grades)} in {tok!r}")
        out.append(GradedCohort(dose, grades))
    return out


def _scores(value) -> tuple:
    """The toxicity score of each worst AE grade 0, 1, ..., G: 2 to 11 non-negative numbers with a
    positive maximum, non-decreasing in grade (a worse AE never scores less)."""
    s = v.numbers("scores", value, max_len=11)
    if s.ndim != 1 or s.size < 2 or not np.all(np.isfinite(s)) or np.any(s < 0) or s.max() <= 0:
        raise ValueError(f"scores: expected 2 to 11 non-negative numbers (grades 0, 1, ...) with a positive "
                         f"maximum, got {value!r}")
    if np.any(np.diff(s) < 0):
        shown = "(" + ", ".join(f"{x:g}" for x in s) + ")"
        raise ValueError(f"scores: must be non-decreasing in grade (0 <= score of grade 0 <= score of grade 1 <= "
                         f"...; a worse adverse event never scores less), got {shown}")
    return tuple(float(x) for x in s)


def _live(design, outcomes: str, n_doses: int | None):
    """Shared part of the graded designs' ``next_dose``: parse, resolve the number of doses and
    tally patients, summed normalized scores and DLTs (grade >= LIVE_DLT_GRADE) per dose."""
    G = design.n_scores - 1
    parse_graded(outcomes, G)  # a malformed string is the first thing to say
    D = design.fixed_n_doses if design.fixed_n_doses is not None else n_doses
    if D is None:
        raise ValueError("n_doses: required: the number of dose levels in the trial (the design does not fix it)")
    D = v.integer("n_doses", D, low=1, high=v.MAX_DOSES)
    cohorts = parse_graded(outcomes, G, D)
    s = np.asarray(design.scores, dtype=float)
    s = s / s.max()
    return cohorts, D, s


@dataclass(frozen=True)
class gBOIN(Design):
    """Generalized BOIN for graded toxicity (Mu, Xu & Yuan 2019), as R TITEgBOIN (non-TITE).

    Parameters
    ----------
    target : float
        Target *normalized* equivalent toxicity score (ETS / max score), e.g. 0.47 / 1.5 in
        the paper's setting; 0.05 to 0.6 as in TITEgBOIN.
    cohort_size, max_n, start_dose : int
        As for :class:`doseesc.BOIN` (``max_n`` = ``ncohort * cohortsize``).
    scores : sequence of float
        Score of each worst AE grade 0, 1, ..., G (G = the scenario's number of grades),
        non-negative, non-decreasing in grade, with a positive maximum; divided by the maximum. The graded scenario
        (``Scenario.from_grades``) must have G grades. TITEgBOIN's four categories with scores
        ``(0, 0.5, 1, 1.5)`` are ``scores=(0, 0, 0.5, 1, 1.5)`` on grades 0-4 (grade 1 scores 0).
    p_saf, p_tox, cutoff_eli, extrasafe, offset, n_earlystop
        As for :class:`doseesc.BOIN`, applied to the normalized scores (elimination and the
        extra-safe rule use Beta(y + 1, n - y + 1) with the fractional score sum ``y``).
    n_doses : int, optional
        Number of dose levels.

    Notes
    -----
    Simulation needs a graded scenario (``Scenario.from_grades``); records gain
    ``tox_score`` (summed normalized scores per dose), and ``n_dlt`` / ``n_ae`` count the
    patients at or above / below the scenario's DLT grade. The final selection uses
    TITEgBOIN's pseudo-count 0.005 (R BOIN's select.mtd uses 0.05). Live use from outcome
    strings is not available (they carry no grades).

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.gBOIN(target=0.47 / 1.5, cohort_size=3, max_n=30, scores=(0, 0, 0.5, 1, 1.5))
    >>> sc = de.Scenario.from_grades([[0.12, 0.08, 0.06, 0.02], [0.15, 0.12, 0.12, 0.05],
    ...                               [0.2, 0.15, 0.18, 0.1]], target=0.3)
    >>> oc = de.simulate(d, sc, n_trials=1000, seed=1)
    >>> oc.tox_score.shape
    (3,)
    """

    target: float
    cohort_size: int
    max_n: int
    scores: Sequence[float] = (0.0, 0.0, 0.5, 1.0, 1.5)
    start_dose: int = 1
    p_saf: float | None = None
    p_tox: float | None = None
    cutoff_eli: float = 0.95
    extrasafe: bool = False
    offset: float = 0.05
    n_earlystop: int | None = None
    n_doses: int | None = None

    family: ClassVar[str] = "gBOIN"
    exact_ok: ClassVar[bool] = False

    def __post_init__(self) -> None:
        t = v.number("target", self.target)
        if not 0.05 <= t <= 0.6:
            raise ValueError(f"target: must be from 0.05 to 0.6 (TITEgBOIN's range; a normalized ETS), got "
                             f"{self.target!r}")
        object.__setattr__(self, "target", t)
        object.__setattr__(self, "cohort_size", v.integer("cohort_size", self.cohort_size, low=1))
        object.__setattr__(self, "max_n", v.integer("max_n", self.max_n, low=self.cohort_size, high=v.MAX_PATIENTS))
        object.__setattr__(self, "start_dose", v.integer("start_dose", self.start_dose, low=1))
        object.__setattr__(self, "scores", _scores(self.scores))
        phi1 = 0.6 * t if self.p_saf is None else v.number("p_saf", self.p_saf)
        phi2 = 1.4 * t if self.p_tox is None else v.number("p_tox", self.p_tox)
        if not 0 < phi1 <= 0.9 * t * (1 + 1e-12):
            raise ValueError(f"p_saf: must be > 0 and at most 0.9 * target = {0.9 * t:g}, got {phi1:g}")
        if not 1.1 * t * (1 - 1e-12) <= phi2 < 1:
            raise ValueError(f"p_tox: must be at least 1.1 * target = {1.1 * t:g} and below 1, got {phi2:g}")
        c = v.number("cutoff_eli", self.cutoff_eli)
        if not 0 < c < 1:
            raise ValueError(f"cutoff_eli: must be strictly between 0 and 1, got {self.cutoff_eli!r}")
        off = v.number("offset", self.offset)
        if not 0 <= off < 0.5:
            raise ValueError(f"offset: must be >= 0 and below 0.5, got {self.offset!r}")
        if not isinstance(self.extrasafe, (bool, np.bool_)):
            raise ValueError(f"extrasafe: must be true or false, got {self.extrasafe!r}")
        if self.n_earlystop is not None:
            object.__setattr__(self, "n_earlystop", v.integer("n_earlystop", self.n_earlystop, low=6))
        if self.n_doses is not None:
            object.__setattr__(self, "n_doses", v.integer("n_doses", self.n_doses, low=1, high=v.MAX_DOSES))

    @property
    def lambdas(self) -> tuple[float, float]:
        """(lambda_e, lambda_d) on the normalized score scale."""
        t = self.target
        return _boin_lambdas(t, 0.6 * t if self.p_saf is None else self.p_saf,
                             1.4 * t if self.p_tox is None else self.p_tox)

    def _auto_label(self) -> str:
        return f"gBOIN (target {self.target:g})"

    def _protocol(self, scenario):
        from . import _describe

        return _describe.gboin(self, scenario)

    def _lower(self, n_doses: int) -> Lowered:
        ipar = np.zeros(_kg.N_IPAR, dtype=np.int64)
        ipar[_kg.I_START] = self.start_dose - 1
        ipar[_kg.I_COHORT] = self.cohort_size
        ipar[_kg.I_EARLYSTOP] = 0 if self.n_earlystop is None else self.n_earlystop
        ipar[_kg.I_EXTRASAFE] = int(self.extrasafe)
        s = np.asarray(self.scores)
        fpar = np.zeros(_kg.N_FPAR + s.size)
        fpar[_kg.N_FPAR:] = s / s.max()
        fpar[_kg.F_TARGET] = self.target
        fpar[_kg.F_LAMBDA_E], fpar[_kg.F_LAMBDA_D] = self.lambdas
        fpar[_kg.F_CUTOFF] = self.cutoff_eli
        fpar[_kg.F_OFFSET] = self.offset
        fpar[_kg.F_PSEUDO] = 0.005
        return Lowered(code=GBOIN, ipar=ipar, fpar=fpar, tab=np.zeros((1, 1)), n_aux=0, n_work=4 * n_doses,
                       max_n=self.max_n, n_doses=n_doses)

    @property
    def n_scores(self) -> int:
        return len(self.scores)

    def next_dose(self, outcomes: str = "", n_doses: int | None = None) -> Recommendation:
        """The next dose given graded outcomes (:func:`parse_graded`: ``"1:000 2:012"``, one
        worst-AE grade digit per patient, 0 to the number of scored grades).

        The cohorts are replayed through TITEgBOIN's decisions (eliminations persist); the
        recommendation is the decision after the last cohort, or a stop (``n_earlystop``,
        ``max_n``, safety). ``p_tox`` holds the mean normalized score per dose (what the
        boundaries act on); ``n_dlt`` counts patients with grade >= 3. Cohorts that depart from
        the design's recommendations are noted in ``warnings`` (and warned about).

        Examples
        --------
        >>> import doseesc as de
        >>> d = de.gBOIN(target=0.47 / 1.5, cohort_size=3, max_n=30)
        >>> d.next_dose("1:000", n_doses=4).dose
        2
        >>> d.next_dose("1:000 2:034", n_doses=4).dose
        1
        """
        cohorts, D, s = _live(self, outcomes, n_doses)
        low = self.lower(D)
        n = np.zeros(D)
        y = np.zeros(D)
        ndlt = np.zeros(D, dtype=np.int64)
        rec_dose = np.full(len(cohorts) + 1, -1, dtype=np.int64)
        rec_size = np.zeros(len(cohorts) + 1, dtype=np.int64)
        rec_dose[0] = self.start_dose - 1
        rec_size[0] = min(self.cohort_size, self.max_n)
        elim = D
        stopped, reason = -1, CONTINUE
        total = 0
        for i, c in enumerate(cohorts):
            d = c.dose - 1
            n[d] += c.size
            y[d] += float(sum(s[g] for g in c.grades))
            ndlt[d] += sum(g >= LIVE_DLT_GRADE for g in c.grades)
            total += c.size
            nxt, r, elim = _kg.decide(low.ipar, low.fpar, n, y, d, elim, True)
            if r == CONTINUE and total >= self.max_n:
                r = MAX_N
            if stopped < 0 and r != CONTINUE:
                stopped, reason = i, r
            rec_dose[i + 1] = nxt if r == CONTINUE else -1
            rec_size[i + 1] = min(self.cohort_size, self.max_n - total) if r == CONTINUE else 0
        notes = deviations(cohorts, rec_dose, rec_size, stopped, STOP_REASONS[reason])
        warn_deviations(notes)
        last_r = reason if stopped >= 0 else CONTINUE
        dose = None if last_r != CONTINUE or not cohorts else int(rec_dose[len(cohorts)]) + 1
        if not cohorts:
            dose = self.start_dose
        sel = self.select(n.astype(np.int64), y) if cohorts else None
        with np.errstate(invalid="ignore", divide="ignore"):
            est = np.where(n > 0, y / np.maximum(n, 1), np.nan)
        return Recommendation(
            dose=dose, cohort_size=0 if dose is None else int(rec_size[len(cohorts)]), stop=dose is None,
            reason=STOP_REASONS[last_r], selected=None if last_r == 3 else sel, n_patients=n.astype(np.int64),
            n_dlt=ndlt, p_tox=est, warnings=notes,
            notes=("p_tox: the mean normalized toxicity score per dose (gBOIN's boundaries act on it); n_dlt: "
                   f"patients with grade >= {LIVE_DLT_GRADE}",))

    def decide(self, n_patients: Sequence[int], score: Sequence[float], dose: int,
               eliminated: int | None = None) -> tuple[int | None, str]:
        """Live use: the next dose after a cohort at ``dose`` (1-based) given the patients and
        summed normalized scores per dose (TITEgBOIN's ``next_TITE_QuasiBOIN`` without pending
        patients). ``eliminated``: the lowest dose eliminated earlier (1-based), if any.

        Returns (next dose or None, reason), reason one of ``"running"``, ``"design_rule"``,
        ``"safety"``.

        Examples
        --------
        >>> import doseesc as de
        >>> de.gBOIN(target=0.47 / 1.5, cohort_size=3, max_n=30).decide([3, 0, 0], [0.0, 0, 0], dose=1)
        (2, 'running')
        >>> de.gBOIN(target=0.47 / 1.5, cohort_size=3, max_n=30).decide([3, 3, 0], [0.33, 2.0, 0], dose=2)
        (1, 'running')
        """
        n = np.asarray([v.integer("n_patients", x, low=0, high=v.MAX_PATIENTS) for x in n_patients], dtype=float)
        y = np.asarray(v.numbers("score", score, max_len=v.MAX_DOSES), dtype=float)
        if y.shape != n.shape or np.any(y < 0) or np.any(y > n):
            raise ValueError("score: expected one summed normalized score per dose, 0 <= score <= n_patients")
        d = v.integer("dose", dose, low=1, high=n.size) - 1
        if n[d] == 0:
            raise ValueError(f"dose: dose {dose} has no patients; give the dose of the cohort just treated")
        lo = n.size if eliminated is None else v.integer("eliminated", eliminated, low=1, high=n.size) - 1
        low = self.lower(n.size)
        nxt, reason, _ = _kg.decide(low.ipar, low.fpar, n, y, d, lo, True)
        from .._kernels.codes import STOP_REASONS

        return (None if reason != 0 else int(nxt) + 1), STOP_REASONS[reason]

    def select(self, n_patients: Sequence[int], score: Sequence[float]) -> int | None:
        """TITEgBOIN's ``select_mtd_TITE_QuasiBOIN`` from patients and summed normalized scores per
        dose: a 1-based dose or None.

        Examples
        --------
        >>> import doseesc as de
        >>> de.gBOIN(target=0.47 / 1.5, cohort_size=3, max_n=30).select([6, 9, 3], [0.67, 2.67, 2.0])
        2
        """
        n = np.asarray([v.integer("n_patients", x, low=0, high=v.MAX_PATIENTS) for x in n_patients], dtype=float)
        y = np.asarray(v.numbers("score", score, max_len=v.MAX_DOSES), dtype=float)
        if y.shape != n.shape or np.any(y < 0) or np.any(y > n):
            raise ValueError("score: expected one summed normalized score per dose, 0 <= score <= n_patients")
        low = self.lower(n.size)
        sel = _kg.select(low.ipar, low.fpar, n, y, np.zeros(4 * n.size))
        return None if sel < 0 else int(sel) + 1


@dataclass(frozen=True)
class QuasiCRM(CRM):
    """Quasi-likelihood CRM for graded toxicity (Yuan, Chappell & Bailey 2007, Biometrics 63:173).

    The CRM (:class:`doseesc.CRM`, dfcrm's semantics: working model, prior, posterior mean,
    dose closest to the target, dfcrm's restriction) with each patient's normalized
    equivalent toxicity score (``scores[grade] / max(scores)``, in [0, 1]) in place of the DLT
    indicator, so the likelihood is the quasi-Bernoulli ``prod p^y (1 - p)^(1 - y)``. The
    ``target`` and the ``skeleton`` are on the normalized score scale. With scores 0 below the
    DLT grade and 1 from it, the design is the CRM on DLTs.

    Parameters
    ----------
    skeleton, target, cohort_size, max_n, model, prior_sd, intercept, start_dose, restrict, method
        As for :class:`doseesc.CRM` (no two-stage ``x0`` and no ``model_safety_threshold`` here).
    scores : sequence of float
        Score of each worst AE grade 0, 1, ..., G, as for :class:`gBOIN`.

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.QuasiCRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.47 / 1.5, max_n=24, scores=(0, 0, 0.5, 1, 1.5))
    >>> sc = de.Scenario.from_grades([[0.2, 0.05, 0.02, 0.0], [0.2, 0.1, 0.05, 0.02], [0.2, 0.15, 0.12, 0.05],
    ...                               [0.2, 0.2, 0.2, 0.1]], target=0.25)
    >>> oc = de.simulate(d, sc, n_trials=500, seed=1)
    >>> round(d.posterior_mean_beta([3, 3, 0, 0], [0.33, 1.0, 0, 0]), 4)
    -0.2377
    """

    scores: Sequence[float] = (0.0, 0.0, 0.5, 1.0, 1.5)

    family: ClassVar[str] = "quasi-CRM"
    exact_ok: ClassVar[bool] = False

    def __post_init__(self) -> None:
        CRM.__post_init__(self)
        if self.x0 is not None or self.model_safety_threshold is not None:
            raise ValueError("x0: QuasiCRM has no two-stage start or model safety rule (use CRM for those)")
        object.__setattr__(self, "scores", _scores(self.scores))

    @property
    def n_scores(self) -> int:
        return len(self.scores)

    def _auto_label(self) -> str:
        return f"quasi-CRM (target {self.target:g})"

    def _protocol(self, scenario):
        from . import _describe

        return _describe.quasi_crm(self, scenario)

    def _lower(self, n_doses: int) -> Lowered:
        low = CRM._lower(self, n_doses)
        s = np.asarray(self.scores)
        return low._replace(code=QUASI_CRM, fpar=np.concatenate([low.fpar, s / s.max()]))

    def next_dose(self, outcomes: str = "", n_doses: int | None = None) -> Recommendation:
        """The next dose given graded outcomes (:func:`parse_graded`: ``"1:000 2:012"``, one
        worst-AE grade digit per patient).

        The cohorts are replayed through the CRM's decisions on summed normalized scores (with
        dfcrm's restriction); the recommendation is the decision after the last cohort, or a
        stop at ``max_n``. ``p_tox`` holds the model's plug-in normalized scores per dose and
        ``beta`` the posterior mean; ``n_dlt`` counts patients with grade >= 3. Cohorts that
        depart from the design's recommendations are noted in ``warnings``.

        Examples
        --------
        >>> import doseesc as de
        >>> d = de.QuasiCRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.47 / 1.5, cohort_size=3, max_n=24)
        >>> d.next_dose("1:000").dose
        2
        >>> d.next_dose("1:000 2:444").dose
        1
        """
        from .._kernels import crm as _kc

        cohorts, D, s = _live(self, outcomes, n_doses)
        low = self.lower(D)
        n = np.zeros(D, dtype=np.int64)
        y = np.zeros(D)
        ndlt = np.zeros(D, dtype=np.int64)
        work = np.zeros(low.n_work)
        aux = np.full(max(low.n_aux, 1), -1, dtype=np.int64)
        cur, cs = _kc.start(low.ipar, aux)
        rec_dose = np.full(len(cohorts) + 1, -1, dtype=np.int64)
        rec_size = np.zeros(len(cohorts) + 1, dtype=np.int64)
        rec_dose[0], rec_size[0] = cur, min(cs, self.max_n)
        stopped, reason = -1, CONTINUE
        total = 0
        for i, c in enumerate(cohorts):
            d = c.dose - 1
            k = float(sum(s[g] for g in c.grades))
            n[d] += c.size
            y[d] += k
            ndlt[d] += sum(g >= LIVE_DLT_GRADE for g in c.grades)
            total += c.size
            r = MAX_N
            nxt = -1
            if total < self.max_n:
                aux[0] = -1  # live data need not follow the design: no escalation-phase shortcut
                nxt, _, r = _kc.decide(low.ipar, low.fpar, low.tab, n, y, aux, work, d, c.size, k)
            if stopped < 0 and r != CONTINUE:
                stopped, reason = i, r
            rec_dose[i + 1] = nxt if r == CONTINUE else -1
            rec_size[i + 1] = min(self.cohort_size, self.max_n - total) if r == CONTINUE else 0
        notes = deviations(cohorts, rec_dose, rec_size, stopped, STOP_REASONS[reason])
        warn_deviations(notes)
        last_r = reason if stopped >= 0 else CONTINUE
        dose = None if last_r != CONTINUE else int(rec_dose[len(cohorts)]) + 1
        est = np.zeros(D)
        b, _ = _kc.estimate(low.ipar, low.fpar, low.tab, n, y, work, est, False)
        sel = self.select(n, y) if cohorts else None
        return Recommendation(
            dose=dose, cohort_size=0 if dose is None else int(rec_size[len(cohorts)]), stop=dose is None,
            reason=STOP_REASONS[last_r], selected=sel, n_patients=n, n_dlt=ndlt, p_tox=est, beta=float(b),
            warnings=notes,
            notes=("p_tox: the model's normalized toxicity score per dose (the quasi-CRM's scale); n_dlt: patients "
                   f"with grade >= {LIVE_DLT_GRADE}",))

    def posterior(self, *args, **kwargs):
        raise ValueError("outcomes: outcome strings carry no AE grades; use QuasiCRM.posterior_mean_beta")

    def _counts(self, n_patients, score):
        n = np.asarray([v.integer("n_patients", x, low=0, high=v.MAX_PATIENTS) for x in n_patients], dtype=np.int64)
        y = np.asarray(v.numbers("score", score, max_len=v.MAX_DOSES), dtype=float)
        if y.shape != n.shape or n.size != len(self.skeleton) or np.any(y < 0) or np.any(y > n):
            raise ValueError(f"score: expected one summed normalized score per dose ({len(self.skeleton)} doses), "
                             "0 <= score <= n_patients")
        return n, y

    def posterior_mean_beta(self, n_patients: Sequence[int], score: Sequence[float]) -> float:
        """Posterior mean of the model parameter given patients and summed normalized scores per
        dose (dfcrm ``crm``'s ``estimate`` with fractional toxicities)."""
        from .._kernels import crm as _kc

        n, y = self._counts(n_patients, score)
        low = self.lower(n.size)
        work = np.zeros(low.n_work)
        b, _ = _kc.estimate_beta(low.ipar, low.fpar, low.tab, n, y, work, True)
        return float(b)

    def decide(self, n_patients: Sequence[int], score: Sequence[float], dose: int, cohort_size: int,
               cohort_score: float) -> int:
        """Live use: the next dose (1-based) after a cohort of ``cohort_size`` at ``dose`` whose summed
        normalized score was ``cohort_score``, given all patients and summed scores per dose."""
        from .._kernels import crm as _kc

        n, y = self._counts(n_patients, score)
        d = v.integer("dose", dose, low=1, high=n.size) - 1
        c = v.integer("cohort_size", cohort_size, low=1, high=v.MAX_PATIENTS)
        k = v.number("cohort_score", cohort_score)
        low = self.lower(n.size)
        aux = np.full(1, -1, dtype=np.int64)
        nxt, _, _ = _kc.decide(low.ipar, low.fpar, low.tab, n, y, aux, np.zeros(low.n_work), d, c, float(k))
        return int(nxt) + 1

    def select(self, n_patients: Sequence[int], score: Sequence[float]) -> int | None:
        """The dose recommended after the last patient (dfcrm ``crm``'s ``mtd``), 1-based."""
        from .._kernels import crm as _kc

        n, y = self._counts(n_patients, score)
        low = self.lower(n.size)
        return int(_kc.select(low.ipar, low.fpar, low.tab, n, y, np.zeros(low.n_work))) + 1
