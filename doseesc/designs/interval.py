"""Interval designs: BOIN, mTPI, mTPI-2, Keyboard and i3+3.

All five share one kernel (:mod:`doseesc._kernels.interval`). What differs between them is
only the escalate / stay / de-escalate decision at each (patients, DLTs) pair at the current
dose, which is computed here once, in Python, at lowering time, and handed to the kernel as
a table. The common parts are:

* **elimination** (BOIN) / **exclusion** (mTPI family): once a dose has n >= 3 patients and
  P(p > target | y, n, Beta(1, 1) prior) > ``cutoff_eli``, it and every higher dose are
  eliminated; the design de-escalates and never returns. If the lowest dose is eliminated
  the trial stops with no dose selected (stop reason ``"safety"``);
* never escalating to an eliminated dose, above the top dose or below dose 1 (an escalate
  or de-escalate decision that cannot be carried out means stay);
* optional early stop when the current dose has ``n_earlystop`` patients and the decision
  is to stay there (exactly R BOIN ``get.oc``'s rule);
* the final selection of R BOIN ``select.mtd``: among the doses with patients that are not
  eliminated (recomputed from the final counts), the isotonic regression (PAVA, weights
  1 / posterior variance) of (y + 0.05) / (n + 0.1), and the dose whose estimate is closest
  to the target, ties going to the higher dose below the target and to the lower dose above
  it. The same procedure is used by the i3+3 and mTPI-2 authors' software (R ``FIND``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from .. import _validate as v
from .._kernels import interval as _k
from .._kernels.codes import INTERVAL
from .base import Design, Lowered

SELECT_PSEUDO = 0.05  # Beta(0.05, 0.05) pseudo-counts of select.mtd's estimate


# ---------------------------------------------------------------------------- shared helpers
def _posterior_cdf(x: float, n: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(p <= x) for p ~ Beta(y + 1, n - y + 1): the posterior of a DLT rate after y DLTs in n
    patients under a uniform prior (R's ``pbeta(x, y + 1, n - y + 1)``), for integer arrays
    ``0 <= y <= n``.

    For integer a, b, I_x(a, b) = P(Binomial(a + b - 1, x) >= a), so this is a binomial tail
    sum: exact to rounding (~1e-15), O(max(n)^2) for a whole (n, y) table, and no scipy import
    (``scipy.stats`` alone costs 1-2 s of start-up).
    """
    n = np.asarray(n, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    if x <= 0.0 or x >= 1.0:
        return np.full(np.broadcast(n, y).shape, 0.0 if x <= 0.0 else 1.0)
    top = int(n.max(initial=0)) + 1
    odds = x / (1.0 - x)
    tails = np.zeros((top, top + 1))  # tails[n, k] = P(Binomial(n + 1, x) >= k)
    for m in range(1, top + 1):
        # the pmf up to a constant, by its ratio recurrence outward from the mode (relative
        # error ~1e-15; log-gamma differences of numbers ~m log m would lose 1e-12), normalised
        j = np.arange(m)
        up = (m - j) / (j + 1.0) * odds  # pmf[j + 1] / pmf[j]
        mode = min(int((m + 1) * x), m)
        pmf = np.ones(m + 1)
        pmf[mode + 1:] = np.cumprod(up[mode:])
        pmf[:mode] = np.cumprod(1.0 / up[:mode][::-1])[::-1]
        pmf /= pmf.sum()
        tails[m - 1, :m + 1] = np.cumsum(pmf[::-1])[::-1]
    return tails[n, y + 1]


def _prob_above(target: float, n: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(p > target | y DLTs in n, Beta(1, 1) prior), as R's 1 - pbeta(target, y + 1, n - y + 1)."""
    return 1.0 - _posterior_cdf(target, n, y)


def _grid(T: int) -> tuple[np.ndarray, np.ndarray]:
    n, y = np.meshgrid(np.arange(T + 1), np.arange(T + 1), indexing="ij")
    return n, y


def _bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: must be true or false, got {value!r}")
    return bool(value)


def _check_common(d, *, target_hi: float = 1.0) -> None:
    object.__setattr__(d, "cohort_size", v.integer("cohort_size", d.cohort_size, low=1))
    object.__setattr__(d, "max_n", v.integer("max_n", d.max_n, low=1, high=v.MAX_PATIENTS))
    if d.max_n < d.cohort_size:
        raise ValueError(f"max_n: must be at least cohort_size ({d.cohort_size}), got {d.max_n}")
    object.__setattr__(d, "start_dose", v.integer("start_dose", d.start_dose, low=1))
    c = v.number("cutoff_eli", d.cutoff_eli)
    if not 0 < c < 1:
        raise ValueError(f"cutoff_eli: must be strictly between 0 and 1 (0.95 recommended), got {d.cutoff_eli!r}")
    object.__setattr__(d, "cutoff_eli", c)
    if d.n_earlystop is not None:
        object.__setattr__(d, "n_earlystop", v.integer("n_earlystop", d.n_earlystop, low=1))
    if d.n_doses is not None:
        object.__setattr__(d, "n_doses", v.integer("n_doses", d.n_doses, low=1))
        if d.start_dose > d.n_doses:
            raise ValueError(f"start_dose: must be from 1 to {d.n_doses} (n_doses), got {d.start_dose}")


def _check_epsilons(d) -> None:
    e1 = v.number("epsilon1", d.epsilon1)
    e2 = v.number("epsilon2", d.epsilon2)
    if not 0 < e1 < d.target:
        raise ValueError(f"epsilon1: must be > 0 and below the target ({d.target}), got {d.epsilon1!r}")
    if not 0 < e2 < 1 - d.target:
        raise ValueError(f"epsilon2: must be > 0 and below 1 - target ({1 - d.target:g}), got {d.epsilon2!r}")
    object.__setattr__(d, "epsilon1", e1)
    object.__setattr__(d, "epsilon2", e2)


_LETTERS = {_k.ESCALATE: "E", _k.STAY: "S", _k.DEESCALATE: "D"}


@dataclass(frozen=True)
class _IntervalDesign(Design):
    """Shared lowering, live use and decision tables of the table-driven interval designs."""

    reports_estimates: ClassVar[bool] = True

    # ------------------------------------------------------------ to override
    def _actions(self, T: int) -> np.ndarray:
        """(T + 1, T + 1) int array of ESCALATE / STAY / DEESCALATE at (n, y), before elimination."""
        raise NotImplementedError  # pragma: no cover

    def _codes(self, T: int) -> np.ndarray:
        """The full kernel table: actions plus the elimination bits."""
        n, y = _grid(T)
        act = self._actions(T).astype(np.int64)
        with np.errstate(all="ignore"):
            p = _prob_above(self.target, n, np.minimum(y, n))
        elim = (n >= 3) & (y <= n) & (p > self.cutoff_eli)
        act = np.where(elim, _k.DEESCALATE, act)
        return act | np.where(elim, _k.ELIM, 0) | np.where(n >= 3, _k.ELIM_ROW, 0)

    # ------------------------------------------------------------ lowering
    def _flags(self) -> dict:
        return {}

    def _lower(self, n_doses: int) -> Lowered:
        T = self.max_n
        f = self._flags()
        ipar = np.zeros(_k.N_IPAR, dtype=np.int64)
        ipar[_k.I_START] = self.start_dose - 1
        ipar[_k.I_COHORT] = self.cohort_size
        ipar[_k.I_TABLE_N] = T
        ipar[_k.I_EARLYSTOP] = 0 if self.n_earlystop is None else self.n_earlystop
        ipar[_k.I_TITRATION] = int(f.get("titration", False) and self.cohort_size > 1)
        ipar[_k.I_EXTRASAFE] = int(f.get("extrasafe", False))
        ipar[_k.I_BOUND_MTD] = int(f.get("bound_mtd", False))
        ipar[_k.I_N_DOSES] = n_doses
        fpar = np.zeros(_k.N_FPAR)
        fpar[_k.F_TARGET] = self.target
        fpar[_k.F_LAMBDA_D] = f.get("lambda_d", np.inf)
        fpar[_k.F_PSEUDO] = SELECT_PSEUDO
        tab = np.ascontiguousarray(self._codes(T), dtype=np.float64)
        return Lowered(code=INTERVAL, ipar=ipar, fpar=fpar, tab=tab, n_aux=_k.N_AUX,
                       n_work=_k.n_work(n_doses), max_n=self.max_n, n_doses=n_doses)

    # ------------------------------------------------------------ public
    def decision_table(self, max_n: int | None = None) -> dict[int, list[str]]:
        """Decisions at a middle dose for n = 1 .. ``max_n`` patients and y = 0 .. n DLTs.

        ``"E"`` escalate, ``"S"`` stay, ``"D"`` de-escalate, ``"DU"`` de-escalate and
        eliminate this dose and all higher ones.

        Examples
        --------
        >>> import doseesc as de
        >>> de.MTPI2(target=0.3, cohort_size=3, max_n=9).decision_table()[3]
        ['E', 'S', 'D', 'DU']
        """
        T = self.max_n if max_n is None else v.integer("max_n", max_n, low=1, high=v.MAX_PATIENTS)
        codes = self._codes(T)
        out = {}
        for n in range(1, T + 1):
            row = []
            for y in range(n + 1):
                c = int(codes[n, y])
                row.append("DU" if c & _k.ELIM else _LETTERS[c & _k.ACTION_MASK])
            out[n] = row
        return out

    def select(self, n_patients: Sequence[int], n_dlt: Sequence[int]) -> int | None:
        """The final selection (R BOIN ``select.mtd``) from per-dose counts: a 1-based dose or None.

        Examples
        --------
        >>> import doseesc as de
        >>> de.BOIN(target=0.3, cohort_size=3, max_n=30).select([3, 6, 18, 3, 0], [0, 1, 5, 3, 0])
        3
        """
        return Design.select(self, n_patients, n_dlt)

    def _live_notes(self, low, cohorts) -> tuple[str, ...]:
        """Where cohorts were given at a dose the design had eliminated: which doses are eliminated
        and since when (the design never recommends them again: its next dose is the highest dose
        left). Elimination is checked, as in the design, at each decision at the cohort's dose."""
        n = np.zeros(low.n_doses, dtype=np.int64)
        y = np.zeros(low.n_doses, dtype=np.int64)
        T = low.tab.shape[0] - 1
        elim, since, at_elim = low.n_doses, None, []
        for i, c in enumerate(cohorts):
            d = c.dose - 1
            if d >= elim:
                at_elim.append(i + 1)
            n[d] += c.size
            y[d] += sum(c.tox)
            if n[d] <= T and d < elim and int(low.tab[n[d], min(y[d], n[d])]) & _k.ELIM:
                elim, since = d, (i + 1, int(n[d]), int(y[d]))
        if not at_elim:
            return ()
        top = low.n_doses
        doses = f"doses {elim + 1}-{top}" if elim + 1 < top else f"dose {top}"
        which = ", ".join(str(k) for k in at_elim)
        return (f"{doses} eliminated after cohort {since[0]} ({since[2]} of {since[1]} DLTs at dose {elim + 1}: "
                f"P(p > {self.target:g} | data) > {self.cutoff_eli:g}); cohort{'s' if len(at_elim) > 1 else ''} "
                f"{which} {'were' if len(at_elim) > 1 else 'was'} given there anyway; the design never "
                "recommends an eliminated dose again (its selection if the trial ended now re-evaluates elimination "
                "on the final counts, as R BOIN's select.mtd does)",)

    def _for_counts(self, n: np.ndarray):
        need = int(n.max()) if n.size else 0
        return self if need <= self.max_n else replace(self, max_n=need)


# ---------------------------------------------------------------------------- BOIN
def _boin_lambdas(target: float, p_saf: float, p_tox: float) -> tuple[float, float]:
    lam_e = math.log((1 - p_saf) / (1 - target)) / math.log(target * (1 - p_saf) / (p_saf * (1 - target)))
    lam_d = math.log((1 - target) / (1 - p_tox)) / math.log(p_tox * (1 - target) / (target * (1 - p_tox)))
    return lam_e, lam_d


def _boin_rows(target, p_saf, p_tox, cutoff_eli, T):
    """R ``get.boundary``'s full table for n = 1..T: (b_e, b_d, elim with -1 for none)."""
    lam_e, lam_d = _boin_lambdas(target, p_saf, p_tox)
    ns = np.arange(1, T + 1)
    b_e = np.floor(lam_e * ns).astype(np.int64)
    b_d = np.ceil(lam_d * ns).astype(np.int64)
    elim = np.full(T, -1, dtype=np.int64)
    for i, n in enumerate(ns):
        if n < 3:
            continue
        ys = np.arange(1, n + 1)
        hit = np.flatnonzero(_prob_above(target, np.full(n, n), ys) > cutoff_eli)
        if hit.size:
            elim[i] = ys[hit[0]]
    b_d = np.where((elim >= 0) & (b_d > elim), elim, b_d)
    return lam_e, lam_d, b_e, b_d, elim


@dataclass(frozen=True)
class BoinBoundaries:
    """BOIN decision boundaries (R ``get.boundary``), for n = 1 .. max_n patients at a dose.

    Attributes
    ----------
    n : int array
        Number of patients treated at the current dose.
    escalate_if_le, deescalate_if_ge : int arrays
        Escalate if the number of DLTs is <= ``escalate_if_le[i]``; de-escalate if it is
        >= ``deescalate_if_ge[i]``; otherwise stay.
    eliminate_if_ge : int array
        Eliminate the dose (and higher doses) if DLTs >= this; -1 where no number of DLTs
        eliminates (n < 3).
    lambda_e, lambda_d : float
        Escalation and de-escalation boundaries on the DLT rate.
    """

    target: float
    cohort_size: int
    n: np.ndarray
    escalate_if_le: np.ndarray
    deescalate_if_ge: np.ndarray
    eliminate_if_ge: np.ndarray
    lambda_e: float
    lambda_d: float
    stop_if_ge: np.ndarray | None = None

    def to_dict(self) -> dict:
        d = {"target": self.target, "cohort_size": self.cohort_size, "lambda_e": self.lambda_e,
             "lambda_d": self.lambda_d}
        for k in ("n", "escalate_if_le", "deescalate_if_ge", "eliminate_if_ge", "stop_if_ge"):
            a = getattr(self, k)
            d[k] = None if a is None else [int(x) for x in a]
        return d

    def __str__(self) -> str:
        cols = np.flatnonzero(self.n % self.cohort_size == 0) if self.cohort_size > 1 else np.arange(self.n.size)
        rows = [("Number of patients treated", self.n), ("Escalate if # of DLT <=", self.escalate_if_le),
                ("Deescalate if # of DLT >=", self.deescalate_if_ge),
                ("Eliminate if # of DLT >=", self.eliminate_if_ge)]
        if self.stop_if_ge is not None:
            rows.append(("Stop (lowest dose) if # of DLT >=", self.stop_if_ge))
        w = max(len(r[0]) for r in rows)
        out = [f"BOIN boundaries, target {self.target:g}: "
               f"lambda_e = {self.lambda_e:.4f}, lambda_d = {self.lambda_d:.4f}"]
        for label, arr in rows:
            out.append(label.ljust(w) + "".join(f"{'NA' if x < 0 else x:>4}" for x in np.asarray(arr)[cols]))
        return "\n".join(out)


def boin_boundaries(target: float, max_n: int, cohort_size: int = 1, p_saf: float | None = None,
                    p_tox: float | None = None, cutoff_eli: float = 0.95, extrasafe: bool = False,
                    offset: float = 0.05) -> BoinBoundaries:
    """BOIN escalation, de-escalation and elimination boundaries (R BOIN ``get.boundary``).

    Parameters
    ----------
    target : float
        Target DLT probability.
    max_n : int
        Largest number of patients at one dose to tabulate (R: ``ncohort * cohortsize``).
    cohort_size : int
        Only changes which columns ``str()`` shows (multiples of the cohort size).
    p_saf, p_tox : float, optional
        ``p_saf``: the highest DLT probability deemed too low (default 0.6 x target);
        ``p_tox``: the lowest deemed too high (default 1.4 x target).
    cutoff_eli : float
        Elimination cutoff on P(p > target | data).
    extrasafe, offset : bool, float
        With ``extrasafe``, also tabulate the stricter stopping boundary for the lowest dose
        (cutoff ``cutoff_eli - offset``) as ``stop_if_ge``.

    Returns
    -------
    BoinBoundaries

    Examples
    --------
    >>> import doseesc as de
    >>> b = de.boin_boundaries(target=0.25, max_n=18, cohort_size=3)
    >>> b.escalate_if_le[[2, 5, 8]].tolist(), b.eliminate_if_ge[[2, 5, 8]].tolist()
    ([0, 1, 1], [3, 4, 5])
    >>> round(de.boin_boundaries(0.3, 30).lambda_e, 4)
    0.2365
    """
    max_n = v.integer("max_n", max_n, low=1, high=v.MAX_PATIENTS)
    d = BOIN(target=target, cohort_size=cohort_size, max_n=max_n, p_saf=p_saf, p_tox=p_tox, cutoff_eli=cutoff_eli,
             extrasafe=extrasafe, offset=offset)
    lam_e, lam_d, b_e, b_d, elim = _boin_rows(d.target, d.phi1, d.phi2, d.cutoff_eli, max_n)
    stop = None
    if d.extrasafe:
        ns = np.arange(1, max_n + 1)
        stop = np.full(max_n, -1, dtype=np.int64)
        for i, n in enumerate(ns):
            if n >= 3:
                ys = np.arange(1, n + 1)
                hit = np.flatnonzero(_prob_above(d.target, np.full(n, n), ys) > d.cutoff_eli - d.offset)
                if hit.size:
                    stop[i] = ys[hit[0]]
    for a in (b_e, b_d, elim):
        a.setflags(write=False)
    return BoinBoundaries(target=d.target, cohort_size=d.cohort_size, n=np.arange(1, max_n + 1), escalate_if_le=b_e,
                          deescalate_if_ge=b_d, eliminate_if_ge=elim, lambda_e=lam_e, lambda_d=lam_d, stop_if_ge=stop)


@dataclass(frozen=True)
class BOIN(_IntervalDesign):
    """Bayesian optimal interval design (Liu & Yuan 2015), as in R BOIN 2.7.2 ``get.oc``.

    At the current dose with n patients and y DLTs: escalate if y / n <= lambda_e, de-escalate
    if y / n >= lambda_d, else stay, with lambda_e and lambda_d from ``p_saf`` and ``p_tox``
    (SPEC section 4; tabulated by :func:`boin_boundaries`). A dose with n >= 3 and
    P(p > target | data) > ``cutoff_eli`` is eliminated with all higher doses; if dose 1 is
    eliminated the trial stops with no selection. The final selection is R ``select.mtd``'s.

    Parameters
    ----------
    target : float
        Target DLT probability, 0.05 to 0.6 as in R (lower targets are allowed with a warning).
    cohort_size : int
        Patients per cohort (the last cohort is truncated to ``max_n``).
    max_n : int
        Maximum sample size (R: ``ncohort * cohortsize``).
    start_dose : int
        1-based starting dose.
    p_saf : float, default 0.6 x target
        Highest DLT probability deemed sub-therapeutic (it sets the escalation boundary).
        R requires target - p_saf >= 0.1 target.
    p_tox : float, default 1.4 x target
        Lowest DLT probability deemed overly toxic (it sets the de-escalation boundary).
        R requires p_tox - target >= 0.1 target.
    cutoff_eli : float
        Elimination cutoff: a dose with at least 3 patients, and every dose above it, is
        eliminated when P(p > target | data) > ``cutoff_eli`` under a Beta(1, 1) prior.
    extrasafe : bool
        Also stop when the lowest dose has n >= 3 and P(p_1 > target | data) > cutoff_eli - offset.
    offset : float
        See ``extrasafe``; 0 <= offset < 0.5.
    n_earlystop : int, optional
        Stop when the current dose has this many patients and the decision is to stay
        (R's ``n.earlystop``; None = never, R's default 100).
    titration : bool
        R's accelerated titration: one patient per dose from dose 1 (whatever ``start_dose``)
        upwards until the first DLT or the top dose, then ``cohort_size - 1`` more at that
        dose, then regular cohorts. Ignored when ``cohort_size == 1``.
    bound_mtd : bool
        The selected dose's isotonic estimate must be below lambda_d (R ``boundMTD``).
    stay_at_1_of_3 : bool
        With 1 DLT among exactly 3 patients stay instead of de-escalating (the convention of
        Zhao et al. 2024; changes decisions only where lambda_d < 1/3, e.g. target 0.25).
    n_doses : int, optional
        Number of dose levels, for live use without a scenario.

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.BOIN(target=0.3, cohort_size=3, max_n=30)
    >>> d.next_dose("1NNN 2NNN 3NTT", n_doses=5).dose
    2
    >>> oc = de.simulate(d, de.Scenario([0.05, 0.15, 0.3, 0.45, 0.6], target=0.3), n_trials=1000, seed=1)
    >>> ex = de.exact(de.BOIN(target=0.3, cohort_size=3, max_n=12), de.Scenario([0.1, 0.3, 0.5], target=0.3))
    """

    target: float
    cohort_size: int
    max_n: int
    start_dose: int = 1
    p_saf: float | None = None
    p_tox: float | None = None
    cutoff_eli: float = 0.95
    extrasafe: bool = False
    offset: float = 0.05
    n_earlystop: int | None = None
    titration: bool = False
    bound_mtd: bool = False
    stay_at_1_of_3: bool = False
    n_doses: int | None = None

    family: ClassVar[str] = "BOIN"

    def __post_init__(self) -> None:
        t = v.number("target", self.target)
        if not 0 < t <= 0.6:
            raise ValueError(f"target: must be in (0, 0.6] (R BOIN allows 0.05 to 0.6), got {self.target!r}")
        if t < 0.05:
            warnings.warn(f"target {t:g} is below 0.05, the lowest target R BOIN accepts", stacklevel=3)
        object.__setattr__(self, "target", t)
        _check_common(self)
        for name in ("p_saf", "p_tox"):
            val = getattr(self, name)
            if val is not None:
                object.__setattr__(self, name, v.number(name, val))
        if not 0 < self.phi1 <= 0.9 * t * (1 + 1e-12):
            raise ValueError(f"p_saf: must be > 0 and at most 0.9 * target = {0.9 * t:g} (R BOIN's limit), "
                             f"got {self.phi1:g}")
        if not 1.1 * t * (1 - 1e-12) <= self.phi2 < 1:
            raise ValueError(f"p_tox: must be at least 1.1 * target = {1.1 * t:g} and below 1 (R BOIN's limit), "
                             f"got {self.phi2:g}")
        off = v.number("offset", self.offset)
        if not 0 <= off < 0.5:
            raise ValueError(f"offset: must be >= 0 and below 0.5, got {self.offset!r}")
        object.__setattr__(self, "offset", off)
        for name in ("extrasafe", "titration", "bound_mtd", "stay_at_1_of_3"):
            object.__setattr__(self, name, _bool(name, getattr(self, name)))
        if self.n_earlystop is not None and self.n_earlystop <= 6:
            warnings.warn("n_earlystop <= 6 is too low for good operating characteristics; R BOIN recommends 9 to 18",
                          stacklevel=3)

    @property
    def phi1(self) -> float:
        """``p_saf`` with its default (0.6 * target) resolved."""
        return 0.6 * self.target if self.p_saf is None else self.p_saf

    @property
    def phi2(self) -> float:
        """``p_tox`` with its default (1.4 * target) resolved."""
        return 1.4 * self.target if self.p_tox is None else self.p_tox

    @property
    def resolved_defaults(self) -> dict[str, str]:
        """The options left at None, as in force: ``p_saf`` and ``p_tox`` (for a table's design lines)."""
        return {"p_saf": f"{self.phi1:g} (0.6 x target)", "p_tox": f"{self.phi2:g} (1.4 x target)"}

    @property
    def lambdas(self) -> tuple[float, float]:
        """(lambda_e, lambda_d)."""
        return _boin_lambdas(self.target, self.phi1, self.phi2)

    def boundaries(self) -> BoinBoundaries:
        """This design's :func:`boin_boundaries` table (n = 1 .. max_n)."""
        return boin_boundaries(self.target, self.max_n, self.cohort_size, self.p_saf, self.p_tox, self.cutoff_eli,
                               self.extrasafe, self.offset)

    def _auto_label(self) -> str:
        return f"BOIN (target {self.target:g})"

    def _protocol(self, scenario):
        from . import _describe

        return _describe.boin(self, scenario)

    def _flags(self) -> dict:
        return {"titration": self.titration, "extrasafe": self.extrasafe, "bound_mtd": self.bound_mtd,
                "lambda_d": self.lambdas[1]}

    def _codes(self, T: int) -> np.ndarray:
        _, _, b_e, b_d, elim = _boin_rows(self.target, self.phi1, self.phi2, self.cutoff_eli, T)
        n, y = _grid(T)
        codes = np.full((T + 1, T + 1), _k.STAY, dtype=np.int64)
        ni, yi = n[1:], y[1:]
        be = b_e[:, None]
        bd = b_d[:, None]
        el = elim[:, None]
        act = np.where(yi <= be, _k.ESCALATE, np.where(yi >= bd, _k.DEESCALATE, _k.STAY))
        if self.stay_at_1_of_3 and T >= 3 and act[2, 1] == _k.DEESCALATE and not (elim[2] >= 0 and 1 >= elim[2]):
            act[2, 1] = _k.STAY
        is_elim = (el >= 0) & (yi >= el)
        act = np.where(is_elim, _k.DEESCALATE, act)  # b_d <= elim already makes this so
        with np.errstate(all="ignore"):
            p = _prob_above(self.target, ni, np.minimum(yi, ni))
        xsafe = (ni >= 3) & (p > self.cutoff_eli - self.offset)
        codes[1:] = (act | np.where(is_elim, _k.ELIM, 0) | np.where(el >= 0, _k.ELIM_ROW, 0)
                     | np.where(xsafe, _k.XSAFE, 0))
        return codes


# ---------------------------------------------------------------------------- mTPI family
def _interval_probs(target_lo_hi: list[tuple[float, float]], n, y) -> np.ndarray:
    """Posterior probability of each interval, shape (len(intervals),) + n.shape."""
    return np.stack([_posterior_cdf(hi, n, y) - _posterior_cdf(lo, n, y) for lo, hi in target_lo_hi])


def _argmax_action(score: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Action of the interval with the largest score; exact ties go to the stay interval,
    then to the lower interval (a tie never occurs in the published tables)."""
    order = np.argsort((kind != _k.STAY).astype(np.int64), kind="stable")  # stay interval first, others in order
    s = score[order]
    best = np.argmax(s, axis=0)
    return kind[order][best]


@dataclass(frozen=True)
class _EpsilonDesign(_IntervalDesign):
    def _auto_label(self) -> str:
        return f"{self.family} (target {self.target:g})"

    def _protocol(self, scenario):
        from . import _describe

        return _describe.mtpi_family(self, scenario)

    def _common_checks(self) -> None:
        object.__setattr__(self, "target", v.open_unit("target", self.target))
        _check_common(self)
        _check_epsilons(self)

    def _posterior_argmax(self, T: int, intervals, kind) -> np.ndarray:
        n, y = _grid(T)
        y = np.minimum(y, n)
        with np.errstate(all="ignore"):
            pr = _interval_probs(intervals, n, y)
        width = np.array([hi - lo for lo, hi in intervals])[:, None, None]
        score = pr / width if self._unit_mass else pr
        return _argmax_action(score, np.asarray(kind))

    _unit_mass: ClassVar[bool] = True


@dataclass(frozen=True)
class MTPI(_EpsilonDesign):
    """Modified toxicity probability interval design (Ji et al. 2010).

    The unit interval is split into under-dosing [0, target - epsilon1), the equivalence
    interval [target - epsilon1, target + epsilon2] and over-dosing (target + epsilon2, 1].
    After each cohort the interval with the largest unit probability mass (posterior
    probability / width, Beta(1, 1) prior) gives escalate / stay / de-escalate. Exclusion
    (n >= 3, P(p > target | data) > ``cutoff_eli``), early stop and the final selection are
    the shared interval-design rules (module docstring).

    Parameters
    ----------
    target : float
    cohort_size : int
    max_n : int
    start_dose : int
    epsilon1, epsilon2 : float
        Half widths of the equivalence interval (target - epsilon1, target + epsilon2)
        (paper default 0.05 each).
    cutoff_eli : float
        Elimination cutoff: a dose with at least 3 patients, and every dose above it, is
        eliminated when P(p > target | data) > ``cutoff_eli`` under a Beta(1, 1) prior (the
        papers' exclusion threshold xi).
    n_earlystop : int, optional
        Stop when the current dose has this many patients and the decision is to stay.
    n_doses : int, optional

    Examples
    --------
    >>> import doseesc as de
    >>> de.MTPI(target=0.3, cohort_size=3, max_n=9).decision_table()[6]
    ['E', 'E', 'S', 'S', 'DU', 'DU', 'DU']
    """

    target: float
    cohort_size: int
    max_n: int
    start_dose: int = 1
    epsilon1: float = 0.05
    epsilon2: float = 0.05
    cutoff_eli: float = 0.95
    n_earlystop: int | None = None
    n_doses: int | None = None

    family: ClassVar[str] = "mTPI"

    def __post_init__(self) -> None:
        self._common_checks()

    def _actions(self, T: int) -> np.ndarray:
        lo, hi = self.target - self.epsilon1, self.target + self.epsilon2
        return self._posterior_argmax(T, [(0.0, lo), (lo, hi), (hi, 1.0)], [_k.ESCALATE, _k.STAY, _k.DEESCALATE])


def _tiles(lo: float, hi: float, w: float, truncate: bool) -> tuple[list, list]:
    """Intervals of width ``w`` below ``lo`` and above ``hi`` in [0, 1]: truncated at the ends
    (mTPI-2) or only whole ones (Keyboard)."""
    eps = 1e-9
    below, above = [], []
    k = 1
    while lo - (k - 1) * w > eps:
        a = lo - k * w
        if a < -eps and not truncate:
            break
        below.append((max(a, 0.0), lo - (k - 1) * w))
        k += 1
    k = 1
    while hi + (k - 1) * w < 1 - eps:
        b = hi + k * w
        if b > 1 + eps and not truncate:
            break
        above.append((hi + (k - 1) * w, min(b, 1.0)))
        k += 1
    return below, above


@dataclass(frozen=True)
class MTPI2(_EpsilonDesign):
    """mTPI-2 (Guo et al. 2017): mTPI with the under- and over-dosing regions cut into
    intervals as wide as the equivalence interval (truncated at 0 and 1).

    The interval with the largest unit probability mass decides: one below the equivalence
    interval escalates, the equivalence interval stays, one above de-escalates. Exclusion,
    early stop and final selection are the shared interval-design rules.

    Parameters
    ----------
    target, cohort_size, max_n, start_dose, epsilon1, epsilon2, cutoff_eli, n_earlystop, n_doses
        As for :class:`MTPI` (paper defaults epsilon1 = epsilon2 = 0.05, cutoff 0.95).

    Examples
    --------
    >>> import doseesc as de
    >>> de.MTPI2(target=0.3, cohort_size=3, max_n=9).decision_table()[6]
    ['E', 'E', 'S', 'D', 'DU', 'DU', 'DU']
    """

    target: float
    cohort_size: int
    max_n: int
    start_dose: int = 1
    epsilon1: float = 0.05
    epsilon2: float = 0.05
    cutoff_eli: float = 0.95
    n_earlystop: int | None = None
    n_doses: int | None = None

    family: ClassVar[str] = "mTPI-2"
    _truncate: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self._common_checks()

    def _actions(self, T: int) -> np.ndarray:
        lo, hi = self.target - self.epsilon1, self.target + self.epsilon2
        below, above = _tiles(lo, hi, self.epsilon1 + self.epsilon2, self._truncate)
        intervals = below[::-1] + [(lo, hi)] + above
        kind = [_k.ESCALATE] * len(below) + [_k.STAY] + [_k.DEESCALATE] * len(above)
        return self._posterior_argmax(T, intervals, kind)


@dataclass(frozen=True)
class Keyboard(MTPI2):
    """Keyboard design (Yan, Mandrekar & Yuan 2017).

    Keys of equal width tile [0, 1] around the target key [target - epsilon1,
    target + epsilon2] (keys that would stick out of [0, 1] are dropped). The strongest key
    (largest posterior probability, Beta(1, 1) prior) decides: left of the target key
    escalate, the target key stay, right of it de-escalate. Elimination (n >= 3,
    P(p > target | data) > 0.95), early stop and the final selection (BOIN's isotonic rule)
    are the shared interval-design rules.

    Parameters
    ----------
    target, cohort_size, max_n, start_dose, epsilon1, epsilon2, cutoff_eli, n_earlystop, n_doses
        As for :class:`MTPI`; the key width is epsilon1 + epsilon2 (paper default 0.1).

    Examples
    --------
    >>> import doseesc as de
    >>> de.Keyboard(target=0.3, cohort_size=3, max_n=9).decision_table()[3]
    ['E', 'S', 'D', 'DU']
    """

    family: ClassVar[str] = "Keyboard"
    _truncate: ClassVar[bool] = False
    _unit_mass: ClassVar[bool] = False


@dataclass(frozen=True)
class I3plus3(_EpsilonDesign):
    """i3+3 design (Liu, Wang & Ji 2020): rule-based on the observed DLT rate y / n.

    Below the equivalence interval [target - epsilon1, target + epsilon2] escalate; inside
    it stay; above it de-escalate, unless (y - 1) / n is below the interval, in which case
    stay. Exclusion (n >= 3, P(p > target | data, Beta(1, 1)) > 0.95), early stop and the
    final selection are the shared interval-design rules (the authors' R package ``FIND``
    selects exactly as R BOIN ``select.mtd`` does). Decision tables and, with cohorts of 3,
    operating characteristics agree with FIND (tests). With cohorts of 1 or 2 they do not:
    FIND's simulator excludes a dose from 1-2 patients (at target 0.2 it stops at dose 1 after
    a single DLT), unlike its own decision tables, final selection and mTPI-2, which start at
    3 patients as doseesc does.

    Parameters
    ----------
    target, cohort_size, max_n, start_dose, epsilon1, epsilon2, cutoff_eli, n_earlystop, n_doses
        As for :class:`MTPI` (paper defaults epsilon1 = epsilon2 = 0.05).

    Examples
    --------
    >>> import doseesc as de
    >>> de.I3plus3(target=0.3, cohort_size=3, max_n=9).decision_table()[3]
    ['E', 'S', 'D', 'DU']
    """

    target: float
    cohort_size: int
    max_n: int
    start_dose: int = 1
    epsilon1: float = 0.05
    epsilon2: float = 0.05
    cutoff_eli: float = 0.95
    n_earlystop: int | None = None
    n_doses: int | None = None

    family: ClassVar[str] = "i3+3"

    def __post_init__(self) -> None:
        self._common_checks()

    def _actions(self, T: int) -> np.ndarray:
        n, y = _grid(T)
        tol = 1e-9  # y / n exactly on an interval bound counts as inside it
        lo, hi = self.target - self.epsilon1, self.target + self.epsilon2
        with np.errstate(all="ignore"):
            rate = np.where(n > 0, y / np.maximum(n, 1), 0.0)
            prev = np.where(n > 0, (y - 1) / np.maximum(n, 1), 0.0)
        act = np.full(n.shape, _k.STAY, dtype=np.int64)
        act[rate < lo - tol] = _k.ESCALATE
        above = rate > hi + tol
        act[above & (prev < lo - tol)] = _k.STAY
        act[above & ~(prev < lo - tol)] = _k.DEESCALATE
        act[n == 0] = _k.STAY
        return act
