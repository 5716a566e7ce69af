"""Escalation with overdose control (Babb, Rogatko & Zacks 1998), as R ewoc's ``ewoc_d1classical``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as v
from .. import outcomes as _outcomes
from .._kernels import ewoc as _k
from .._kernels.codes import EWOC as _EWOC_CODE
from .base import Design, Lowered, Recommendation

ROUNDING = ("down", "nearest")
#: composite Gauss-Legendre grid. In v = rho0 / target the panels are graded geometrically
#: towards both ends: near 0 the likelihood of a DLT below the MTD behaves like a power of v,
#: near 1 (rho0 -> target, where the model flattens) it varies on a scale of gamma / x; uniform
#: panels would converge only algebraically. In gamma, equal panels (the quantile search uses
#: them). Measured against nested adaptive quadrature: about 1e-8.
_G = np.geomspace(1e-8, 0.5, 10)
V_EDGES = tuple(np.concatenate([[0.0], _G, 1.0 - _G[::-1][1:], [1.0]]))
V_NODES = 8
G_PANELS, G_NODES = 32, 8


def _gl(edges, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(nodes)
    e = np.asarray(edges, dtype=float)
    lo, h = e[:-1, None], np.diff(e)[:, None]
    return (lo + h * (x[None, :] + 1) / 2).ravel(), (h * w[None, :] / 2).ravel()


#: largest Beta prior parameter: Beta(1000, 1000) has SD 0.011, still several Gauss-Legendre panels
#: of the (v, gamma) rule wide; far larger ones put the whole prior between two nodes
BETA_MAX = 1000.0


def _beta(name: str, value) -> tuple:
    try:
        a, b = (float(x) for x in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected two Beta parameters (a, b), got {value!r}") from None
    if not (1 <= a <= BETA_MAX and 1 <= b <= BETA_MAX):
        raise ValueError(f"{name}: Beta parameters must be finite numbers from 1 to {BETA_MAX:g} (bounded densities "
                         f"the quadrature resolves), got {value!r}")
    return a, b


@dataclass(frozen=True)
class EWOC(Design):
    """Babb, Rogatko & Zacks' (1998) escalation with overdose control, in their parametrisation.

    On the standardised dose ``x = (dose - min_dose) / (max_dose - min_dose)``,
    ``logit p(x) = logit(rho0) + (logit(target) - logit(rho0)) x / gamma``: ``rho0 = target v`` is
    the DLT probability at ``min_dose`` and ``gamma`` the (standardised) MTD, with
    ``v ~ Beta(rho_prior)`` and ``gamma ~ Beta(mtd_prior)`` (Babb: both uniform). After each
    cohort the next dose is the ``alpha``-quantile of the MTD's posterior (in dose units),
    clamped to the first and last dose, rounded down to the dose set (``rounding="nearest"``:
    to the closest dose), and, with ``no_skip``, at most one level above the current dose: the
    rules of R ewoc 0.3.0's ``ewoc_d1classical`` (type ``"discrete"``). ``alpha`` may start
    lower and rise by ``alpha_step`` per cohort (Tighiouart, Rogatko & Babb 2005: 0.1 to 0.25).
    With ``safety_stop`` the trial stops (no dose selected) when P(p(first dose) >
    target) exceeds it (ewoc's stopping rule, 0.95 there). The selected dose is the dose
    recommended after the last cohort. Babb's model takes ``min_dose`` to be safe
    (``rho0 < target``): with ``min_dose`` at the first dose, DLTs there say nothing about the
    MTD and the safety rule cannot trigger; put ``min_dose`` below the first dose to let them.

    Parameters
    ----------
    doses : sequence of float
        The dose set (increasing).
    target : float
        theta: the target DLT probability that defines the MTD, in (0, 1).
    alpha : float
        Feasibility bound: the posterior probability of exceeding the MTD that is accepted.
    min_dose, max_dose : float, optional
        Dose range of the standardisation: ``min_dose`` the lowest dose, taken to be safe
        (default: the first dose), ``max_dose`` the highest (default: the last dose).
    rho_prior, mtd_prior : (float, float)
        Beta parameters (each >= 1) of the prior of ``v = rho0 / target`` (``rho_prior``; rho0
        is the DLT probability at ``min_dose``) and of the standardised MTD ``gamma``
        (``mtd_prior``).
    rounding : {"down", "nearest"}
        How the MTD quantile becomes a dose: rounded down to the dose set (ewoc's rule) or to
        the closest dose.
    no_skip : bool
        Never more than one level above the current dose (ewoc's ``no_skip_dose``).
    alpha_start, alpha_step : float
        Increasing feasibility bound: ``alpha_start`` for the first cohort, rising by
        ``alpha_step`` per cohort up to ``alpha``. Off (``alpha`` throughout) when
        ``alpha_start`` is None.
    safety_stop : float, optional
        Stop the trial with no dose selected when P(p(first dose) > target | data) exceeds
        this (ewoc's stopping rule, 0.95 there); in (0, 1). Off when None.
    cohort_size, max_n, start_dose : int
        ``cohort_size``: patients per cohort; ``max_n``: maximum sample size (the last cohort is
        truncated); ``start_dose``: 1-based first dose.

    Notes
    -----
    *Posterior.* A composite Gauss-Legendre rule on (v, gamma) in (0, 1)^2 (20 panels in v
    graded geometrically towards both ends by 32 equal panels in gamma, 8 nodes each, about
    1e-8 from brute-force quadrature); the MTD quantile by bisection on the marginal CDF of gamma (see
    :mod:`doseesc._kernels.ewoc`). Checked against brute-force quadrature and against JAGS
    runs of ewoc's own model in the tests.

    *Differences from R ewoc 0.3.0.* ewoc samples the posterior by JAGS (1,000 draws by
    default) and takes the sample quantile; here the quantile is computed. ewoc's JAGS model
    replaces p = 1 (numerically) by 0.99; that changes nothing here. ewoc adds 1 to
    ``max_dose`` when rounding down (in ``limits_d1nocov``); not reproduced: ``max_dose`` is
    what is given. ewoc's stopping rule as coded (``mean(p1[i] > theta) > 0.95``) looks at one
    draw; ``safety_stop`` is the rule it intends (all draws).

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.EWOC(doses=[20, 40, 60, 80, 100], target=0.33, alpha=0.25, min_dose=0, max_dose=100,
    ...             rounding="nearest", max_n=20, cohort_size=1)
    >>> rec = d.next_dose("1N")
    >>> rec.dose, round(rec.mtd_quantile, 1)
    (2, 33.7)
    """

    doses: Sequence[float]
    target: float
    alpha: float = 0.25
    min_dose: float | None = None
    max_dose: float | None = None
    rho_prior: Sequence[float] = (1.0, 1.0)
    mtd_prior: Sequence[float] = (1.0, 1.0)
    rounding: str = "down"
    no_skip: bool = True
    alpha_start: float | None = None
    alpha_step: float = 0.05
    safety_stop: float | None = None
    cohort_size: int = 1
    max_n: int = 24
    start_dose: int = 1

    family: ClassVar[str] = "ewoc"
    reports_estimates: ClassVar[bool] = True

    def __post_init__(self) -> None:
        set_ = lambda k, x: object.__setattr__(self, k, x)
        try:
            doses = tuple(float(x) for x in self.doses)
        except (TypeError, ValueError):
            raise ValueError(f"doses: expected increasing numbers, got {self.doses!r}") from None
        if not doses or any(not math.isfinite(x) for x in doses) or any(b <= a for a, b in zip(doses, doses[1:])):
            raise ValueError(f"doses: expected strictly increasing finite numbers, got {self.doses!r}")
        if len(doses) > v.MAX_DOSES:
            raise ValueError(f"doses: at most {v.MAX_DOSES} dose levels, got {len(doses)}")
        set_("doses", doses)
        set_("target", v.open_unit("target", self.target))
        set_("alpha", v.open_unit("alpha", self.alpha))
        lo = doses[0] if self.min_dose is None else v.number("min_dose", self.min_dose)
        hi = doses[-1] if self.max_dose is None else v.number("max_dose", self.max_dose)
        if not lo <= doses[0]:
            raise ValueError(f"min_dose: must be at most the first dose {doses[0]:g}, got {lo!r}")
        if not hi >= doses[-1] or hi <= lo:
            raise ValueError(f"max_dose: must be at least the last dose {doses[-1]:g} and above min_dose, got {hi!r}")
        set_("min_dose", lo)
        set_("max_dose", hi)
        set_("rho_prior", _beta("rho_prior", self.rho_prior))
        set_("mtd_prior", _beta("mtd_prior", self.mtd_prior))
        set_("rounding", v.choice("rounding", self.rounding, ROUNDING))
        if not isinstance(self.no_skip, (bool, np.bool_)):
            raise ValueError(f"no_skip: must be true or false, got {self.no_skip!r}")
        set_("no_skip", bool(self.no_skip))
        if self.alpha_start is not None:
            st = v.open_unit("alpha_start", self.alpha_start)
            if st > self.alpha:
                raise ValueError(f"alpha_start: must be at most alpha = {self.alpha:g}, got {st!r}")
            set_("alpha_start", st)
            step = v.number("alpha_step", self.alpha_step)
            if step < 0:
                raise ValueError(f"alpha_step: must be >= 0, got {step!r}")
            set_("alpha_step", step)
        if self.safety_stop is not None:
            set_("safety_stop", v.open_unit("safety_stop", self.safety_stop))
        set_("cohort_size", v.integer("cohort_size", self.cohort_size, low=1, high=v.MAX_PATIENTS))
        set_("max_n", v.integer("max_n", self.max_n, low=self.cohort_size, high=v.MAX_PATIENTS))
        set_("start_dose", v.integer("start_dose", self.start_dose, low=1, high=len(doses)))

    @property
    def fixed_n_doses(self) -> int:
        return len(self.doses)

    def _protocol(self, scenario):
        from . import _describe

        return _describe.ewoc(self, scenario)

    def _auto_label(self) -> str:
        return f"EWOC (alpha {self.alpha:g})"

    def _lower(self, n_doses: int) -> Lowered:
        from scipy import stats

        D = len(self.doses)
        vn, vw = _gl(V_EDGES, V_NODES)
        gn, gw = _gl(np.linspace(0.0, 1.0, G_PANELS + 1), G_NODES)
        Nv, Ng = vn.size, gn.size
        x = (np.asarray(self.doses) - self.min_dose) / (self.max_dose - self.min_dose)
        lp = np.empty((D, Nv * Ng))
        lq = np.empty((D, Nv * Ng))
        _k.tables_fill(x, vn, gn, self.target, lp, lq)
        prior = (stats.beta.logpdf(vn, *self.rho_prior) + np.log(vw))[None, :] + \
            (stats.beta.logpdf(gn, *self.mtd_prior) + np.log(gw))[:, None]  # [gamma, v]
        tab = np.zeros((2 * D + 3, Nv * Ng))
        tab[:D] = lp
        tab[D:2 * D] = lq
        tab[2 * D] = prior.ravel()
        tab[2 * D + 1, :Ng] = gn
        tab[2 * D + 2, :Ng] = gw
        ipar = np.zeros(8, dtype=np.int64)
        ipar[_k.I_START] = self.start_dose - 1
        ipar[_k.I_COHORT] = self.cohort_size
        ipar[_k.I_NV] = Nv
        ipar[_k.I_NG] = Ng
        ipar[_k.I_PANEL] = G_NODES
        ipar[_k.I_ROUND] = _k.DOWN if self.rounding == "down" else _k.NEAREST
        ipar[_k.I_NOSKIP] = int(self.no_skip)
        ipar[_k.I_SAFETY] = int(self.safety_stop is not None)
        fpar = np.zeros(_k.F_X + 2 * D)
        fpar[_k.F_ALPHA] = self.alpha
        fpar[_k.F_ALPHA_START] = np.nan if self.alpha_start is None else self.alpha_start
        fpar[_k.F_ALPHA_STEP] = self.alpha_step
        fpar[_k.F_MIN] = self.min_dose
        fpar[_k.F_MAX] = self.max_dose
        fpar[_k.F_SAFETY] = np.nan if self.safety_stop is None else self.safety_stop
        fpar[_k.F_X:_k.F_X + D] = x
        fpar[_k.F_X + D:] = self.doses
        return Lowered(code=_EWOC_CODE, ipar=ipar, fpar=fpar, tab=tab, n_aux=1, n_work=_k.n_work(Nv, Ng, D),
                       max_n=self.max_n, n_doses=D)

    def _prepare_select_aux(self, low: Lowered, aux: np.ndarray, n: np.ndarray, y: np.ndarray) -> None:
        aux[0] = -2

    def next_dose(self, outcomes: str = "", n_doses: int | None = None) -> EWOCRecommendation:
        """Recommend the next dose (see ``Design.next_dose``), with the MTD quantile behind it
        and per dose the posterior mean of p and P(p > target).

        Examples
        --------
        >>> import doseesc as de
        >>> d = de.EWOC(doses=[1, 2, 3, 4, 5], target=0.3, alpha=0.25)
        >>> rec = d.next_dose("1N 2N 3T")
        >>> rec.dose, [round(float(p), 3) for p in rec.p_overdose[:3]]
        (1, [0.0, 0.277, 0.609])
        """
        rec = super().next_dose(outcomes, n_doses)
        cohorts = _outcomes.parse(outcomes)
        cur = cohorts[-1].dose - 1 if cohorts else -1
        low = self.lower(len(self.doses))
        D = len(self.doses)
        out = np.zeros(2 * D)
        nxt, q, alpha = _k.summaries(low.ipar, low.fpar, low.tab, rec.n_patients, rec.n_dlt, np.zeros(low.n_work),
                                     cur, out)
        return EWOCRecommendation(
            dose=rec.dose, cohort_size=rec.cohort_size, stop=rec.stop, reason=rec.reason, selected=rec.selected,
            n_patients=rec.n_patients, n_dlt=rec.n_dlt, p_tox=out[D:].copy(), beta=None,
            p_overdose=out[:D].copy(), mtd_quantile=float(q), alpha_used=float(alpha), doses=self.doses,
            warnings=rec.warnings, notes=rec.notes)


@dataclass(frozen=True)
class EWOCRecommendation(Recommendation):
    """An EWOC recommendation.

    Attributes
    ----------
    p_tox : ndarray
        Posterior mean of p per dose.
    p_overdose : ndarray
        P(p > target) per dose, i.e. P(MTD < dose).
    mtd_quantile : float
        The ``alpha``-quantile of the MTD's posterior, in dose units (before rounding).
    alpha_used : float
        The feasibility bound applied.

    Examples
    --------
    >>> import doseesc as de
    >>> rec = de.EWOC(doses=[1, 2, 3], target=0.3).next_dose("1NNN")
    >>> rec.dose, round(rec.mtd_quantile, 2)
    (1, 1.5)
    """

    p_overdose: np.ndarray | None = None
    mtd_quantile: float = float("nan")
    alpha_used: float = float("nan")
    doses: tuple = ()

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["p_overdose"] = [float(x) for x in self.p_overdose]
        out["mtd_quantile"] = self.mtd_quantile
        out["alpha_used"] = self.alpha_used
        out["doses"] = list(self.doses)
        return out

    def __str__(self) -> str:
        head = super().__str__().splitlines()
        head.insert(1, f"{self.alpha_used:g}-quantile of the MTD's posterior: {self.mtd_quantile:.4g}")
        head.append("P(p > target) per dose: " + ", ".join(f"{x:.3f}" for x in self.p_overdose))
        return "\n".join(head)


__all__ = ["EWOC", "EWOCRecommendation"]
