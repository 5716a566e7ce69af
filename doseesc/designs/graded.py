"""Graded-toxicity designs: gBOIN (Mu, Xu & Yuan 2019, J R Stat Soc C 68:289), with the
semantics of R TITEgBOIN (the authors' package; its non-TITE mode).

Toxicity is scored by grade (the equivalent toxicity score, ETS, of Yuan, Chappell & Bailey
2007, divided by its maximum so that a patient contributes a number in [0, 1]); the summed
scores at a dose are a quasi-binomial count that BOIN's boundaries and elimination rule act on.
With scores 0 below the DLT grade and 1 from it the design is BOIN on DLTs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as v
from .._kernels import graded as _kg
from .._kernels.codes import GBOIN, QUASI_CRM
from .base import Design, Lowered
from .crm import CRM
from .interval import _boin_lambdas

#: TITEgBOIN's default scores: grades 0-1, 2, 3, 4 (its four toxicity categories)
PAPER_SCORES = (0.0, 0.5, 1.0, 1.5)


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
        non-negative with a positive maximum; divided by the maximum. The graded scenario
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
        s = v.numbers("scores", self.scores, max_len=11)
        if s.ndim != 1 or s.size < 2 or not np.all(np.isfinite(s)) or np.any(s < 0) or s.max() <= 0:
            raise ValueError(f"scores: expected 2 to 11 non-negative numbers (grades 0, 1, ...) with a positive "
                             f"maximum, got {self.scores!r}")
        object.__setattr__(self, "scores", tuple(float(x) for x in s))
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

    def next_dose(self, outcomes: str = "", n_doses: int | None = None):
        """Not available from outcome strings (they carry no grades): use :meth:`decide`."""
        raise ValueError("outcomes: outcome strings carry no AE grades; use gBOIN.decide(n_patients, scores, dose)")

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
        s = v.numbers("scores", self.scores, max_len=11)
        if s.ndim != 1 or s.size < 2 or not np.all(np.isfinite(s)) or np.any(s < 0) or s.max() <= 0:
            raise ValueError(f"scores: expected 2 to 11 non-negative numbers (grades 0, 1, ...) with a positive "
                             f"maximum, got {self.scores!r}")
        object.__setattr__(self, "scores", tuple(float(x) for x in s))

    @property
    def n_scores(self) -> int:
        return len(self.scores)

    def _auto_label(self) -> str:
        return f"quasi-CRM (target {self.target:g})"

    def _lower(self, n_doses: int) -> Lowered:
        low = CRM._lower(self, n_doses)
        s = np.asarray(self.scores)
        return low._replace(code=QUASI_CRM, fpar=np.concatenate([low.fpar, s / s.max()]))

    def next_dose(self, outcomes: str = "", n_doses: int | None = None):
        """Not available from outcome strings (they carry no grades): use :meth:`decide`."""
        raise ValueError("outcomes: outcome strings carry no AE grades; use QuasiCRM.decide(n_patients, scores, ...)")

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
