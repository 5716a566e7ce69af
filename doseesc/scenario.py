"""True dose-toxicity (and dose-efficacy) scenarios that designs are simulated under.

Efficacy (phase I/II) is optional. A scenario with ``p_eff`` gives each patient a binary
efficacy response besides the DLT outcome; the four joint outcomes per dose are

=========  =================================  ==========================
outcome    probability                        default utility (BOIN12)
=========  =================================  ==========================
E, no T    ``p_eff - p_both``                 100
neither    ``1 - p_tox - p_eff + p_both``     40
both       ``p_both``                         60
T, no E    ``p_tox - p_both``                 0
=========  =================================  ==========================

where ``p_both = P(E and T)`` comes from an association model (see :data:`ASSOCIATIONS`) or is
given directly. How patients are simulated: patient i's toxicity uses the latent uniform u_i
exactly as without efficacy (DLT iff ``u_i < p_tox[d]``), and a second, independent uniform
v_i (its own random stream) gives efficacy iff ``v_i < P(E | T)`` for a patient with a DLT,
``v_i < P(E | no T)`` otherwise. So adding efficacy to a scenario never changes any
patient's toxicity outcome, and designs compared on it still see the same patients.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from . import _validate as v

#: Association models between a patient's efficacy and toxicity, and how each gives
#: ``p_both = P(E and T)`` at a dose from the marginals ``p_tox``, ``p_eff`` and the
#: parameter ``association_param`` (a number, or one per dose):
#:
#: * ``"independent"`` (default; no parameter): ``p_both = p_eff * p_tox``;
#: * ``"gaussian"`` (correlation ``rho`` in (-1, 1)): Gaussian copula, ``p_both =
#:   Phi2(Phi^-1(p_tox), Phi^-1(p_eff); rho)`` -- the latent-normal model of R escalation's
#:   ``CorrelatedPatientSample``;
#: * ``"odds_ratio"`` (odds ratio ``psi > 0``; 1 = independent): the Plackett (global odds
#:   ratio) model, ``p_both`` the root in the Frechet bounds of
#:   ``p_both (1 - p_tox - p_eff + p_both) = psi (p_tox - p_both)(p_eff - p_both)``;
#: * ``"gumbel"`` (``psi``, any real number; 0 = independent): the Gumbel model of EffTox
#:   (Thall & Cook 2004), ``p_both = p_eff p_tox + p_eff (1 - p_eff) p_tox (1 - p_tox)
#:   (e^psi - 1) / (e^psi + 1)``.
#:
#: Or give ``p_both`` itself (any value in the Frechet bounds), or the four joint
#: probabilities with :meth:`Scenario.from_joint`.
ASSOCIATIONS = ("independent", "gaussian", "odds_ratio", "gumbel")
#: The default utility of the four outcomes (E no T, neither, both, T no E): BOIN12's.
DEFAULT_UTILITY = (100.0, 40.0, 60.0, 0.0)
JOINT_ORDER = ("E no T", "neither", "both", "T no E")


class NonMonotoneWarning(UserWarning):
    """A true DLT curve (``p_tox``) that falls from one dose to the next. Designs assume toxicity
    rises with dose, but a falling curve is sometimes intended (e.g. to test robustness), so this
    is a warning, not an error. Silence it with
    ``warnings.simplefilter("ignore", doseesc.scenario.NonMonotoneWarning)``."""


#: Set (by :func:`quiet_falls`) while scenarios are built by code that reports a falling curve
#: itself (a run file names its line, a ScenarioSet gives one summary) or builds one on purpose.
_QUIET_FALLS: contextvars.ContextVar[bool] = contextvars.ContextVar("doseesc_quiet_falls", default=False)
#: Decreases smaller than this are floating-point noise (e.g. p_tox summed from grades), not a falling curve.
_FALL_TOL = 1e-12


@contextlib.contextmanager
def quiet_falls() -> Iterator[None]:
    """Build scenarios inside this block without the :class:`NonMonotoneWarning` of a falling
    ``p_tox`` (for callers that report it themselves, see :func:`falls_note`)."""
    token = _QUIET_FALLS.set(True)
    try:
        yield
    finally:
        _QUIET_FALLS.reset(token)


def falls_note(p_tox: Any, max_listed: int = 3) -> str | None:
    """Where a DLT curve falls with dose, as one sentence (without a field name), or None if it
    never falls; e.g. ``falls_note([0.3, 0.1])`` says it falls from dose 1 to dose 2 (0.3 -> 0.1)."""
    p = np.asarray(p_tox, dtype=float)
    drops = np.flatnonzero(p[1:] < p[:-1] - _FALL_TOL)
    if drops.size == 0:
        return None
    parts = [f"from dose {d + 1} to dose {d + 2} ({p[d]:g} -> {p[d + 1]:g})" for d in drops[:max_listed]]
    more = drops.size - len(parts)
    if more:
        parts.append(f"{more} more place{'s' if more > 1 else ''}")
    where = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (f"the DLT probability falls {where}; designs assume toxicity rises with dose (a falling curve is "
            "sometimes intended, e.g. to test robustness)")


def _outside_stacklevel() -> int:
    """The ``stacklevel`` of the first caller outside this module (and the dataclass ``__init__``)."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and (frame.f_code.co_filename == __file__
                                 or (frame.f_code.co_filename == "<string>" and frame.f_code.co_name == "__init__")):
        frame = frame.f_back
        level += 1
    return level


def _bvn_cdf(h: float, k: float, rho: float) -> float:
    """P(Z1 < h, Z2 < k) for standard normals with correlation rho (Plackett's identity:
    Phi(h) Phi(k) plus the integral of the bivariate density over the correlation 0..rho)."""
    from scipy import integrate, stats

    base = stats.norm.cdf(h) * stats.norm.cdf(k)
    if rho == 0.0:
        return float(base)

    def dens(r):
        q = 1.0 - r * r
        return np.exp(-(h * h - 2.0 * r * h * k + k * k) / (2.0 * q)) / (2.0 * np.pi * np.sqrt(q))

    val = integrate.quad(dens, 0.0, rho, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
    return float(base + val)


def joint_p_both(p_tox: np.ndarray, p_eff: np.ndarray, model: str, param: np.ndarray) -> np.ndarray:
    """``P(E and T)`` per dose under an association model (see :data:`ASSOCIATIONS`)."""
    out = np.empty_like(p_tox)
    for d, (t, e, a) in enumerate(zip(p_tox, p_eff, param)):
        if model == "independent" or t in (0.0, 1.0) or e in (0.0, 1.0):
            out[d] = t * e
        elif model == "gaussian":
            from scipy import stats

            out[d] = _bvn_cdf(float(stats.norm.ppf(t)), float(stats.norm.ppf(e)), float(a))
        elif model == "odds_ratio":
            if a == 1.0:
                out[d] = t * e
            else:
                s = 1.0 + (t + e) * (a - 1.0)
                out[d] = (s - np.sqrt(s * s - 4.0 * a * (a - 1.0) * t * e)) / (2.0 * (a - 1.0))
        else:  # gumbel
            out[d] = t * e + t * (1.0 - t) * e * (1.0 - e) * np.tanh(a / 2.0)
    lo = np.maximum(0.0, p_tox + p_eff - 1.0)
    hi = np.minimum(p_tox, p_eff)
    return np.clip(out, lo, hi)


def _association_param(model: str, param: Any, n: int) -> np.ndarray:
    if model == "independent":
        if param is not None:
            raise ValueError("association_param: not used with association='independent'; choose an association "
                             f"model ({', '.join(ASSOCIATIONS[1:])}) or leave it out")
        return np.zeros(n)
    if param is None:
        allowed = {"gaussian": "a correlation in (-1, 1)", "odds_ratio": "an odds ratio > 0",
                   "gumbel": "a real number psi"}[model]
        raise ValueError(f"association_param: required with association={model!r} ({allowed})")
    try:
        a = np.asarray(param, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"association_param: expected a number or one number per dose, got {param!r}") from None
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,) or not np.all(np.isfinite(a)):
        raise ValueError(f"association_param: expected a finite number or {n} of them (one per dose), got {param!r}")
    if model == "gaussian" and np.any(np.abs(a) >= 1):
        raise ValueError(f"association_param: the gaussian correlation must be in (-1, 1), got {a.tolist()}")
    if model == "odds_ratio" and np.any(a <= 0):
        raise ValueError(f"association_param: the odds ratio must be > 0, got {a.tolist()}")
    return a


def _utility(value: Any) -> tuple:
    try:
        u = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"utility: expected 4 numbers (E no T, neither, both, T no E), got {value!r}") from None
    if u.shape != (4,) or not np.all(np.isfinite(u)):
        raise ValueError(f"utility: expected 4 finite numbers (E no T, neither, both, T no E), got {value!r}")
    # on any scale, efficacy without toxicity is the best outcome and toxicity without efficacy the
    # worst (a table such as (100, 40, 160, 0), or a constant one, makes every comparison meaningless)
    if not (u[0] > u[3] and u[3] <= min(u[1], u[2]) and max(u[1], u[2]) <= u[0]):
        raise ValueError("utility: (E no T, neither, both, T no E) needs E no T > T no E, with neither and both "
                         f"between them (e.g. BOIN12's 100, 40, 60, 0), got {', '.join(f'{x:g}' for x in u)}")
    return tuple(float(x) for x in u)


@dataclass(frozen=True, eq=False)
class Scenario:
    """The truth a trial is simulated under.

    Parameters
    ----------
    p_tox : sequence of float
        True probability of a dose-limiting toxicity (DLT) at each dose level, lowest first. A
        curve that falls anywhere is accepted with a :class:`NonMonotoneWarning` naming the doses
        (designs assume toxicity rises with dose; a falling curve is sometimes intended).
    target : float
        Target DLT probability, strictly between 0 and 1. The true MTD is the dose (or doses)
        whose ``p_tox`` is closest to it, unless ``mtd_band`` is given.
    doses : sequence of float, optional
        Dose values (e.g. ``[1, 2, 4]``), strictly increasing and positive. Labels only.
    dose_unit : str, optional
        Unit of ``doses`` (e.g. ``"1e6 cells/kg"``).
    p_ae : sequence of float, optional
        True probability of a low-grade (grade 1-2) adverse event that is not a DLT, per dose.
        ``p_tox + p_ae`` must not exceed 1. AEs are recorded but never drive decisions.
    mtd_band : (float, float), optional
        If given, every dose with ``low <= p_tox <= high`` counts as a correct selection. If no
        dose lies in the band, the correct decision is to select no dose (e.g. every dose is
        too toxic), and stopping without a selection counts as correct.
    name : str, optional
        A label used in tables.
    time : TimeModel, optional
        Accrual and DLT-window model (for trial duration and time-to-event designs).
    p_eff : sequence of float, optional
        True probability of an efficacy response at each dose (a phase I/II scenario). Need
        not increase with dose (plateaus and umbrella shapes are allowed).
    p_both : sequence of float, optional
        True ``P(efficacy and DLT)`` per dose, within the Frechet bounds
        ``max(0, p_tox + p_eff - 1) <= p_both <= min(p_tox, p_eff)``; an alternative to an
        association model.
    association : str
        How efficacy and toxicity are associated in a patient: ``"independent"`` (default),
        ``"gaussian"``, ``"odds_ratio"`` or ``"gumbel"`` (see :data:`ASSOCIATIONS`).
    association_param : float or sequence of float, optional
        The association model's parameter (one value, or one per dose).
    utility : sequence of 4 float, optional
        Utility of the outcomes (E no T, neither, both, T no E); BOIN12's (100, 40, 60, 0)
        by default, on any scale with E no T the best outcome and T no E the worst. Defines the
        true optimal biological dose (OBD).
    obd : int or sequence of int, optional
        The true OBD(s), 1-based, given explicitly instead of from the utility; 0 means no dose
        is acceptable (an empty list is an error: it is too easily a placeholder).
    eff_min : float, optional
        With the utility: a dose is acceptable as OBD only if ``p_eff >= eff_min`` (and always
        only if ``p_tox <= target``).

    Notes
    -----
    *The true OBD.* Unless ``obd`` is given, the OBD is the dose (or doses, on a tie within
    1e-9) with the highest true utility ``sum_k utility[k] * P(outcome k)`` among the acceptable
    doses, those with ``p_tox <= target`` (and ``p_eff >= eff_min`` if given). With no
    acceptable dose, selecting no dose is the correct decision. Over-toxic doses are those with
    ``p_tox > target``.

    Examples
    --------
    >>> import doseesc as de
    >>> sc = de.Scenario(p_tox=[0.02, 0.05, 0.25], target=0.2, doses=[1, 2, 4], dose_unit="1e6 cells/kg")
    >>> sc.n_doses, sc.correct_doses.tolist()
    (3, [3])
    >>> ph2 = de.Scenario(p_tox=[0.05, 0.1, 0.3], target=0.35, p_eff=[0.2, 0.5, 0.5])
    >>> [round(float(u), 1) for u in ph2.true_utility], ph2.obd_doses.tolist()
    ([50.0, 66.0, 58.0], [2])
    """

    p_tox: Any
    target: float
    doses: Sequence[float] | None = None
    dose_unit: str | None = None
    p_ae: Sequence[float] | None = None
    mtd_band: Sequence[float] | None = None
    name: str | None = None
    time: Any = None
    p_eff: Sequence[float] | None = None
    p_both: Sequence[float] | None = None
    association: str = "independent"
    association_param: Any = None
    utility: Sequence[float] | None = None
    obd: Any = None
    eff_min: float | None = None
    p_grade: Any = None
    dlt_grade: int | None = None

    def __post_init__(self) -> None:
        p = v.probabilities("p_tox", self.p_tox)
        p.setflags(write=False)
        object.__setattr__(self, "p_tox", p)
        object.__setattr__(self, "target", v.open_unit("target", self.target))
        object.__setattr__(self, "name", v.text("name", self.name))
        object.__setattr__(self, "dose_unit", v.text("dose_unit", self.dose_unit))
        if self.doses is not None:
            d = v.numbers("doses", self.doses, max_len=v.MAX_DOSES)
            if d.shape != p.shape:
                raise ValueError(f"doses: expected {p.size} values (one per dose, as p_tox has), got {d.size}")
            if np.any(~np.isfinite(d)) or np.any(d <= 0) or np.any(np.diff(d) <= 0):
                raise ValueError(f"doses: must be positive and strictly increasing, got {d.tolist()}")
            d.setflags(write=False)
            object.__setattr__(self, "doses", d)
        if self.p_ae is not None:
            a = v.probabilities("p_ae", self.p_ae)
            if a.shape != p.shape:
                raise ValueError(f"p_ae: expected {p.size} values (one per dose, as p_tox has), got {a.size}")
            if np.any(a + p > 1 + 1e-12):
                raise ValueError("p_ae: p_tox + p_ae must not exceed 1 at any dose")
            a.setflags(write=False)
            object.__setattr__(self, "p_ae", a)
        if self.mtd_band is not None:
            band = v.numbers("mtd_band", self.mtd_band, max_len=2)
            if band.shape != (2,) or not (0 <= band[0] <= band[1] <= 1):
                raise ValueError(f"mtd_band: expected (low, high) with 0 <= low <= high <= 1, got {self.mtd_band!r}")
            object.__setattr__(self, "mtd_band", (float(band[0]), float(band[1])))
        if self.time is not None:
            from .timemodel import TimeModel

            if not isinstance(self.time, TimeModel):
                raise ValueError("time: expected a doseesc.TimeModel, e.g. TimeModel(window=28, rate=3 / 28)")
        self._init_efficacy(p)
        self._init_grades(p)
        if not _QUIET_FALLS.get():
            note = falls_note(p)
            if note is not None:
                warnings.warn(f"p_tox: {note}", NonMonotoneWarning, stacklevel=_outside_stacklevel())

    # ------------------------------------------------------------------ graded toxicity
    MAX_GRADES: ClassVar[int] = 10

    @classmethod
    def from_grades(cls, p_grade: Any, target: float, dlt_grade: int = 3, **kw: Any) -> Scenario:
        """A graded-toxicity scenario: ``p_grade[d][g - 1]`` is the probability that a patient's
        worst adverse event at dose ``d`` has grade ``g`` (g = 1 .. G; grade 0 = none, the
        rest). The DLT is grade >= ``dlt_grade``, so ``p_tox`` is the sum of those columns and
        ``p_ae`` (low-grade AEs) the sum of the others.

        Every design sees the same patients: patient ``i``'s latent tolerance ``u`` gives a
        DLT iff ``u < p_tox`` (as in any scenario) and worst grade ``g`` iff
        ``P(grade > g) <= u < P(grade >= g)``, so a binary design run on this scenario has
        exactly the records it has on ``Scenario(p_tox, target, p_ae=...)``; graded designs
        (:class:`doseesc.gBOIN`) also score the grades.

        Examples
        --------
        >>> import doseesc as de
        >>> sc = de.Scenario.from_grades([[0.2, 0.1, 0.04, 0.01], [0.3, 0.15, 0.1, 0.05]], target=0.25)
        >>> [round(float(x), 2) for x in sc.p_tox], [round(float(x), 2) for x in sc.p_ae]
        ([0.05, 0.15], [0.3, 0.45])
        """
        g = _grade_matrix(p_grade)
        dlt = v.integer("dlt_grade", dlt_grade, low=1, high=g.shape[1])
        return cls(p_tox=g[:, dlt - 1:].sum(axis=1), target=target, p_ae=g[:, :dlt - 1].sum(axis=1), p_grade=g,
                   dlt_grade=dlt, **kw)

    def _init_grades(self, p: np.ndarray) -> None:
        if self.p_grade is None:
            if self.dlt_grade is not None:
                raise ValueError("dlt_grade: only applies to a graded scenario (give p_grade)")
            return
        g = _grade_matrix(self.p_grade)
        if g.shape[0] != p.size:
            raise ValueError(f"p_grade: expected {p.size} rows (one per dose), got {g.shape[0]}")
        dlt = v.integer("dlt_grade", 3 if self.dlt_grade is None else self.dlt_grade, low=1, high=g.shape[1])
        if not np.allclose(g[:, dlt - 1:].sum(axis=1), p, rtol=0, atol=1e-9):
            raise ValueError(f"p_grade: the probabilities of grade >= dlt_grade ({dlt}) must equal p_tox at every "
                             "dose (Scenario.from_grades computes p_tox from p_grade)")
        g.setflags(write=False)
        object.__setattr__(self, "p_grade", g)
        object.__setattr__(self, "dlt_grade", dlt)

    @property
    def n_grades(self) -> int:
        """Number of AE grades above 0 (0 for a scenario without grades)."""
        return 0 if self.p_grade is None else int(self.p_grade.shape[1])

    @property
    def p_grade_at_least(self) -> np.ndarray:
        """(n_doses, G): P(worst grade >= g) for g = 1 .. G (a graded scenario)."""
        if self.p_grade is None:
            raise ValueError("p_grade: this scenario has no toxicity grades (use Scenario.from_grades)")
        return np.ascontiguousarray(np.cumsum(self.p_grade[:, ::-1], axis=1)[:, ::-1])

    def _init_efficacy(self, p: np.ndarray) -> None:
        v.choice("association", self.association, ASSOCIATIONS)
        if self.p_eff is None:
            for f in ("p_both", "association_param", "utility", "obd", "eff_min"):
                if getattr(self, f) is not None:
                    raise ValueError(f"{f}: only applies to a scenario with efficacy (give p_eff)")
            if self.association != "independent":
                raise ValueError("association: only applies to a scenario with efficacy (give p_eff)")
            return
        e = v.probabilities("p_eff", self.p_eff)
        if e.shape != p.shape:
            raise ValueError(f"p_eff: expected {p.size} values (one per dose, as p_tox has), got {e.size}")
        e.setflags(write=False)
        object.__setattr__(self, "p_eff", e)
        if self.p_both is not None:
            if self.association != "independent" or self.association_param is not None:
                raise ValueError("p_both: give either p_both or an association model, not both")
            b = v.probabilities("p_both", self.p_both)
            if b.shape != p.shape:
                raise ValueError(f"p_both: expected {p.size} values (one per dose, as p_tox has), got {b.size}")
            lo = np.maximum(0.0, p + e - 1.0)
            hi = np.minimum(p, e)
            if np.any(b < lo - 1e-12) or np.any(b > hi + 1e-12):
                raise ValueError("p_both: P(E and T) must lie in max(0, p_tox + p_eff - 1) .. min(p_tox, p_eff) "
                                 f"at every dose, got {b.tolist()}")
            b = np.clip(b, lo, hi)
            b.setflags(write=False)
            object.__setattr__(self, "p_both", b)
        else:
            param = _association_param(self.association, self.association_param, p.size)
            if self.association_param is not None:
                object.__setattr__(self, "association_param",
                                   float(param[0]) if np.ndim(self.association_param) == 0 else tuple(param.tolist()))
        if self.utility is not None:
            object.__setattr__(self, "utility", _utility(self.utility))
        if self.eff_min is not None:
            em = v.number("eff_min", self.eff_min)
            if not 0 <= em <= 1:
                raise ValueError(f"eff_min: must be in [0, 1], got {self.eff_min!r}")
            object.__setattr__(self, "eff_min", em)
        if self.obd is not None:
            raw = self.obd
            vals = [raw] if np.ndim(raw) == 0 else list(raw)
            if not vals:
                raise ValueError("obd: expected one or more dose levels (1-based), or 0 for no acceptable dose; "
                                 "got an empty list")
            doses = []
            for x in vals:
                k = v.integer("obd", x, low=0, high=p.size)
                if k > 0:
                    doses.append(k)
            if 0 in [int(x) for x in vals if not isinstance(x, bool)] and len(vals) > 1:
                raise ValueError(f"obd: 0 (no acceptable dose) cannot be combined with doses, got {raw!r}")
            twice = sorted({k for k in doses if doses.count(k) > 1})
            if twice:
                raise ValueError(f"obd: dose {twice[0]} given twice, got {raw!r}")
            object.__setattr__(self, "obd", tuple(sorted(set(doses))))

    @property
    def n_doses(self) -> int:
        return int(self.p_tox.size)

    @property
    def correct_doses(self) -> np.ndarray:
        """1-based dose levels that count as a correct MTD selection."""
        if self.mtd_band is not None:
            lo, hi = self.mtd_band
            ok = (self.p_tox >= lo - 1e-12) & (self.p_tox <= hi + 1e-12)
        else:
            dist = np.abs(self.p_tox - self.target)
            ok = dist <= dist.min() + 1e-12
        return np.flatnonzero(ok) + 1

    def dose_masks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boolean masks over doses: (correct, below the true MTD, above the true MTD).

        Above/below are relative to the correct doses; when none is correct (an empty
        ``mtd_band``), doses above / below the band. Computed once (the scenario is immutable;
        operating characteristics and the benchmark ask for them once per metric), read-only.
        """
        kept = self.__dict__.get("_dose_masks")
        if kept is not None:
            return kept
        D = self.n_doses
        correct = np.zeros(D, dtype=bool)
        c = self.correct_doses - 1
        correct[c] = True
        above = np.zeros(D, dtype=bool)
        below = np.zeros(D, dtype=bool)
        if c.size:
            above[c.max() + 1:] = True
            below[: c.min()] = True
        else:
            lo, hi = self.mtd_band
            above = self.p_tox > hi + 1e-12
            below = self.p_tox < lo - 1e-12
        for m in (correct, below, above):
            m.setflags(write=False)
        object.__setattr__(self, "_dose_masks", (correct, below, above))
        return correct, below, above

    @property
    def p_ae_array(self) -> np.ndarray:
        return np.zeros_like(self.p_tox) if self.p_ae is None else self.p_ae

    # ------------------------------------------------------------------ efficacy
    @property
    def has_efficacy(self) -> bool:
        return self.p_eff is not None

    def _need_eff(self) -> None:
        if self.p_eff is None:
            raise ValueError("p_eff: this scenario has no efficacy; give p_eff (one probability per dose)")

    @property
    def p_both_array(self) -> np.ndarray:
        """``P(E and T)`` per dose (from ``p_both`` or the association model)."""
        self._need_eff()
        if self.p_both is not None:
            return np.asarray(self.p_both)
        if self.association == "independent":
            return self.p_tox * self.p_eff
        param = _association_param(self.association, self.association_param, self.n_doses)
        return joint_p_both(self.p_tox, self.p_eff, self.association, param)

    @property
    def p_joint(self) -> np.ndarray:
        """The four joint probabilities per dose, shape (n_doses, 4), in the utility order
        (E no T, neither, both, T no E); rows sum to 1."""
        b = self.p_both_array
        t, e = self.p_tox, self.p_eff
        return np.column_stack([e - b, 1.0 - t - e + b, b, t - b]).clip(0.0, 1.0)

    @property
    def p_eff_given_tox(self) -> np.ndarray:
        """``P(E | T)`` per dose (``p_eff`` where no DLT can occur, and under independence)."""
        if self.association == "independent" and self.p_both is None:
            return np.array(self.p_eff)
        b = self.p_both_array
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(self.p_tox > 0, b / np.where(self.p_tox > 0, self.p_tox, 1.0), self.p_eff)
        return np.clip(q, 0.0, 1.0)

    @property
    def p_eff_given_no_tox(self) -> np.ndarray:
        """``P(E | no T)`` per dose (``p_eff`` where every patient has a DLT, and under independence)."""
        if self.association == "independent" and self.p_both is None:
            return np.array(self.p_eff)
        b = self.p_both_array
        rest = 1.0 - self.p_tox
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(rest > 0, (self.p_eff - b) / np.where(rest > 0, rest, 1.0), self.p_eff)
        return np.clip(q, 0.0, 1.0)

    @property
    def utility_table(self) -> tuple:
        """The utility of (E no T, neither, both, T no E): ``utility`` or BOIN12's default."""
        return DEFAULT_UTILITY if self.utility is None else tuple(self.utility)

    @property
    def true_utility(self) -> np.ndarray:
        """True mean utility of each dose: the joint probabilities weighted by the utility table."""
        return self.p_joint @ np.asarray(self.utility_table)

    @property
    def over_toxic(self) -> np.ndarray:
        """Boolean mask of the doses with ``p_tox > target``."""
        return self.p_tox > self.target + 1e-12

    @property
    def obd_doses(self) -> np.ndarray:
        """1-based true OBD(s) (see the class notes); empty when no dose is acceptable."""
        self._need_eff()
        if self.obd is not None:
            return np.asarray(self.obd, dtype=np.int64)
        ok = ~self.over_toxic
        if self.eff_min is not None:
            ok &= self.p_eff >= self.eff_min - 1e-12
        if not ok.any():
            return np.zeros(0, dtype=np.int64)
        u = np.where(ok, self.true_utility, -np.inf)
        return np.flatnonzero(ok & (u >= u.max() - 1e-9)) + 1

    @classmethod
    def from_joint(cls, p_joint: Any, target: float, **kw) -> Scenario:
        """A scenario from the four joint probabilities per dose.

        Parameters
        ----------
        p_joint : array (n_doses, 4)
            Per dose, the probabilities of (E no T, neither, both, T no E); each row sums to 1.
        target : float
        **kw
            Any other :class:`Scenario` argument (``doses``, ``utility``, ``name``, ...).

        Examples
        --------
        >>> import doseesc as de
        >>> sc = de.Scenario.from_joint([[0.2, 0.7, 0.02, 0.08], [0.4, 0.4, 0.1, 0.1]], target=0.3)
        >>> sc.p_tox.tolist(), sc.p_eff.tolist(), sc.p_both.tolist()
        ([0.1, 0.2], [0.22, 0.5], [0.02, 0.1])
        """
        try:
            j = np.asarray(p_joint, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"p_joint: expected n_doses rows of 4 probabilities, got {p_joint!r}") from None
        if j.ndim != 2 or j.shape[1] != 4 or j.shape[0] < 1:
            raise ValueError(f"p_joint: expected shape (n_doses, 4) (E no T, neither, both, T no E), got {j.shape}")
        if not np.all(np.isfinite(j)) or np.any(j < 0) or np.any(j > 1):
            raise ValueError("p_joint: probabilities must be in [0, 1]")
        if np.any(np.abs(j.sum(axis=1) - 1.0) > 1e-9):
            raise ValueError(f"p_joint: each row must sum to 1, got sums {j.sum(axis=1).tolist()}")
        for k in ("p_tox", "p_eff", "p_both", "association", "association_param"):
            if k in kw:
                raise ValueError(f"{k}: given by p_joint; do not pass it too")
        p_tox = np.round(j[:, 2] + j[:, 3], 15)
        p_eff = np.round(j[:, 0] + j[:, 2], 15)
        return cls(p_tox=np.minimum(p_tox, 1.0), target=target, p_eff=np.minimum(p_eff, 1.0), p_both=j[:, 2], **kw)

    def label(self) -> str:
        if self.name:
            return self.name
        text = "p=(" + ", ".join(f"{x:g}" for x in self.p_tox) + ")"
        if self.p_eff is not None:
            text += ", e=(" + ", ".join(f"{x:g}" for x in self.p_eff) + ")"
        return text

    def dose_labels(self) -> list[str]:
        if self.doses is None:
            return [str(i + 1) for i in range(self.n_doses)]
        return [f"{x:g}" for x in self.doses]

    def to_dict(self) -> dict:
        out: dict = {"p_tox": self.p_tox.tolist(), "target": self.target}
        if self.doses is not None:
            out["doses"] = self.doses.tolist()
        if self.dose_unit is not None:
            out["dose_unit"] = self.dose_unit
        if self.p_ae is not None:
            out["p_ae"] = self.p_ae.tolist()
        if self.mtd_band is not None:
            out["mtd_band"] = list(self.mtd_band)
        if self.name is not None:
            out["name"] = self.name
        if self.time is not None:
            out["time"] = self.time.to_dict()
        if self.p_eff is not None:
            out["p_eff"] = self.p_eff.tolist()
            if self.p_both is not None:
                out["p_both"] = self.p_both.tolist()
            if self.association != "independent":
                out["association"] = self.association
                a = self.association_param
                out["association_param"] = list(a) if isinstance(a, tuple) else a
            for k in ("utility", "eff_min"):
                if getattr(self, k) is not None:
                    val = getattr(self, k)
                    out[k] = list(val) if isinstance(val, tuple) else val
            if self.obd is not None:
                out["obd"] = list(self.obd) or [0]  # 0: no acceptable dose
        if self.p_grade is not None:
            out["p_grade"] = self.p_grade.tolist()
            out["dlt_grade"] = self.dlt_grade
        return out


def _grade_matrix(p_grade: Any) -> np.ndarray:
    """(n_doses, G) probabilities of each worst grade 1..G per dose, each row summing to <= 1."""
    try:
        g = np.array(p_grade, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"p_grade: expected one list of grade probabilities (grades 1, 2, ...) per dose, got "
                         f"{v._short(p_grade)}") from None
    if g.ndim != 2 or not 1 <= g.shape[0] <= v.MAX_DOSES or not 1 <= g.shape[1] <= Scenario.MAX_GRADES:
        raise ValueError(f"p_grade: expected one list of 1 to {Scenario.MAX_GRADES} grade probabilities (grades 1, "
                         f"2, ...) per dose, got shape {g.shape}")
    if not np.all(np.isfinite(g)) or np.any(g < 0) or np.any(g.sum(axis=1) > 1 + 1e-12):
        raise ValueError("p_grade: probabilities must be >= 0 with at most 1 per dose (grade 0 takes the rest)")
    return g


def _set_array(name: str, values: Any) -> np.ndarray:
    """A scenario set's array (one row per scenario) as floats, with a one-line error naming
    ``name`` when its rows differ in length or it holds something other than numbers."""
    try:
        raw = np.asarray(values)
    except (ValueError, TypeError):
        raw = None
    if raw is None or raw.dtype == object:
        rows = list(values) if isinstance(values, (list, tuple, np.ndarray)) else []
        lens = [len(r) if isinstance(r, (list, tuple, np.ndarray)) else None for r in rows]
        if len(set(lens)) > 1 and None not in lens:
            a = lens[0]
            b = next(x for x in lens if x != a)
            raise ValueError(f"{name}: every scenario in the set needs the same number of doses (got {a} and {b})")
        raise ValueError(f"{name}: expected an array of numbers (n_scenarios, n_doses), got {v._short(values)}")
    if raw.dtype.kind not in "iuf":
        raise ValueError(f"{name}: expected an array of numbers (n_scenarios, n_doses), got an array of {raw.dtype}")
    return raw.astype(float)


@dataclass(frozen=True, eq=False)
class ScenarioSet:
    """Many true dose-toxicity curves that share doses and target, e.g. drawn from a prior.

    ``simulate`` and ``compare`` accept a ScenarioSet and report operating characteristics
    averaged over its scenarios (each scenario weighted equally), plus the per-scenario
    distribution.

    Parameters
    ----------
    p_tox : array (n_scenarios, n_doses)
    target : float
    p_ae : array (n_scenarios, n_doses), optional
    source : str
        What the curves were drawn from (echoed in outputs).
    p_eff : array (n_scenarios, n_doses), optional
        True efficacy probabilities (phase I/II scenarios; see :class:`Scenario`).
    association, association_param, utility, eff_min
        As for :class:`Scenario`, shared by every scenario of the set.
    tags : sequence of str, optional
        A label per scenario (e.g. the shape of its efficacy curve), added to its name.
    p_grade : array (n_scenarios, n_doses, n_grades), optional
        Graded scenarios (see :meth:`Scenario.from_grades`); ``p_tox`` and ``p_ae`` must then
        be the sums of the grades at or above / below ``dlt_grade``.
    dlt_grade : int, optional
        The DLT grade of graded scenarios (default 3).
    """

    p_tox: Any
    target: float
    doses: Sequence[float] | None = None
    dose_unit: str | None = None
    p_ae: Any = None
    source: str = ""
    name: str | None = None
    p_eff: Any = None
    association: str = "independent"
    association_param: Any = None
    utility: Sequence[float] | None = None
    eff_min: float | None = None
    tags: Sequence[str] | None = None
    p_grade: Any = None
    dlt_grade: int | None = None
    scenarios: tuple = field(init=False, repr=False)

    def __post_init__(self) -> None:
        p = _set_array("p_tox", self.p_tox)
        if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
            raise ValueError(f"p_tox: expected a 2-d array (n_scenarios, n_doses), got shape {p.shape}")
        ae = None if self.p_ae is None else _set_array("p_ae", self.p_ae)
        if ae is not None and ae.shape != p.shape:
            raise ValueError(f"p_ae: expected shape {p.shape}, got {ae.shape}")
        eff = None if self.p_eff is None else _set_array("p_eff", self.p_eff)
        if eff is not None and eff.shape != p.shape:
            raise ValueError(f"p_eff: expected shape {p.shape}, got {eff.shape}")
        if eff is None:
            for f in ("association_param", "utility", "eff_min"):
                if getattr(self, f) is not None:
                    raise ValueError(f"{f}: only applies to scenarios with efficacy (give p_eff)")
            if self.association != "independent":
                raise ValueError("association: only applies to scenarios with efficacy (give p_eff)")
        extra = {} if eff is None else {"association": self.association, "association_param": self.association_param,
                                        "utility": self.utility, "eff_min": self.eff_min}
        if self.p_grade is not None:
            g = _set_array("p_grade", self.p_grade)
            if g.ndim != 3 or g.shape[:2] != p.shape:
                raise ValueError(f"p_grade: expected shape ({p.shape[0]}, {p.shape[1]}, n_grades), got {g.shape}")
            extra["p_grade"] = None
            extra["dlt_grade"] = self.dlt_grade
        elif self.dlt_grade is not None:
            raise ValueError("dlt_grade: only applies to graded scenarios (give p_grade)")
        if self.tags is not None:
            tags = tuple(str(t) for t in self.tags)
            if len(tags) != p.shape[0]:
                raise ValueError(f"tags: expected {p.shape[0]} labels (one per scenario), got {len(tags)}")
            object.__setattr__(self, "tags", tags)
        with quiet_falls():  # one summary warning below, not one per scenario
            scs = tuple(
                Scenario(p_tox=p[i], target=self.target, doses=self.doses, dose_unit=self.dose_unit,
                         p_ae=None if ae is None else ae[i],
                         name=f"{self.name or 'draw'} {i + 1}" + (f" ({self.tags[i]})" if self.tags is not None
                                                                 else ""),
                         p_eff=None if eff is None else eff[i],
                         **(extra if self.p_grade is None else {**extra, "p_grade": np.asarray(self.p_grade)[i]}))
                for i in range(p.shape[0])
            )
        falling = np.flatnonzero((np.diff(p, axis=1) < -_FALL_TOL).any(axis=1))
        if falling.size and not _QUIET_FALLS.get():
            first = falls_note(p[falling[0]], max_listed=1)
            warnings.warn(f"p_tox: {falling.size} of {p.shape[0]} scenarios fall with dose; the first, scenario "
                          f"{falling[0] + 1}: {first}", NonMonotoneWarning, stacklevel=_outside_stacklevel())
        object.__setattr__(self, "p_tox", p)
        object.__setattr__(self, "p_ae", ae)
        object.__setattr__(self, "p_eff", eff)
        object.__setattr__(self, "target", scs[0].target)
        object.__setattr__(self, "scenarios", scs)

    def __len__(self) -> int:
        return len(self.scenarios)

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.scenarios)

    @property
    def n_doses(self) -> int:
        return int(self.p_tox.shape[1])

    @property
    def has_efficacy(self) -> bool:
        return self.p_eff is not None

    def label(self) -> str:
        return self.name or f"{len(self)} prior-predictive scenarios"
