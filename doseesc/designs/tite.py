"""Time-to-event designs: TITE-BOIN and TITE-CRM.

Both decide at each arrival (TITE-BOIN: at the first arrival of each cohort) from the data
available then, using the partial follow-up of patients whose DLT window is not complete.
They run in their own compiled loop (:mod:`doseesc._kernels.tite`), need a scenario with a
:class:`~doseesc.TimeModel` (``Scenario(..., time=TimeModel(...))``) and have no exact mode.

Live use: ``design.next_dose_tite(data, window)`` with one record per patient (dose level,
DLT observed, follow-up time), running the simulator's decision function on that data.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from .. import _validate as v
from .. import outcomes as _outcomes
from .._kernels import cache as _cache
from .._kernels import interval as _iv
from .._kernels import rules as _rules
from .._kernels import tite as _k
from .._kernels.codes import CONTINUE, STOP_REASONS, TITE_BOIN, TITE_CRM
from .base import (
    Design,
    DeviationWarning,
    Lowered,
    Recommendation,
    check_counts,
    check_total,
    deviations,
    warn_deviations,
)
from .crm import INTERCEPT_RANGE
from .interval import BOIN, _bool


# ---------------------------------------------------------------------------- live data
def cohort_under_way_note(npat: int, cs: int, max_n: int, cur: int, reason: int, stop: bool, susp: bool) -> str:
    """The note of a live recommendation made while a cohort is under way (``npat`` patients
    enrolled, cohorts of ``cs``, 0-based current dose ``cur``): its other patients join it at that
    dose with no new decision, as in the simulators of TITE-BOIN and TITE-BOIN12, which decide at
    each cohort's first arrival; and what a decision taken now would do (``reason``, ``stop``,
    ``susp`` from the live kernel)."""
    since = npat % cs
    first, last = npat - since + 1, min(npat - since + cs, max_n)
    would = ("stop (" + STOP_REASONS[reason] + ")") if stop else ("suspend accrual" if susp else "")
    many = last > npat + 1
    return (f"cohort {npat // cs + 1} (patients {first}-{last}; cohorts of {cs}) is under way at dose {cur + 1}: "
            f"patient{'s' if many else ''} {npat + 1}{f'-{last}' if many else ''} join{'' if many else 's'} it at "
            "that dose on arrival, with no new decision (the design decides at each cohort's first arrival); the "
            f"next decision is at the arrival of patient {last + 1}"
            + (f" (were it taken now, the design would {would})" if would else ""))


def _patient_rows(data: Any, need: tuple, optional: tuple = (), max_n: int = v.MAX_PATIENTS) -> list:
    """The patients of live data as a list of mappings, each with every ``need`` key: from a list
    of dicts or a dict of equal-length columns (``optional`` columns are kept when present)."""
    allowed = ", ".join((*need, *optional))
    if isinstance(data, Mapping):
        unknown = [k for k in data if k not in need and k not in optional]
        if unknown:  # a misspelt column would silently lose its data
            raise ValueError(f"data: unknown column {unknown[0]!r}; allowed: {allowed}")
        missing = [k for k in need if k not in data]
        if missing:
            raise ValueError(f"data: missing column {missing[0]!r} (need {', '.join(need)})")
        names = [k for k in (*need, *optional) if k in data]
        cols = {k: np.asarray(data[k]) for k in names}
        if any(c.ndim != 1 for c in cols.values()) or len({c.size for c in cols.values()}) != 1:
            raise ValueError(f"data: {', '.join(names)} must be 1-d and of equal length, got shapes "
                             f"{ {k: c.shape for k, c in cols.items()} }")
        rows = [{k: cols[k][i] for k in names} for i in range(cols["dose"].size)]
    else:
        try:
            rows = list(data)
        except TypeError:
            raise ValueError(f"data: expected a list of patient records or a dict of columns, got {data!r}") from None
    check_total(len(rows), max_n, "data")
    for i, r in enumerate(rows):
        if not isinstance(r, Mapping):
            raise ValueError(f"data: patient {i + 1} must be a mapping (a dict with keys {allowed}), got a "
                             f"{type(r).__name__} {v._short(r)}")
        unknown = [k for k in r if k not in need and k not in optional]
        if unknown:  # a misspelt key would silently lose its data
            raise ValueError(f"data: patient {i + 1} has unknown key {unknown[0]!r}; allowed: {allowed}")
        if any(k not in r for k in need):
            raise ValueError(f"data: patient {i + 1} must have {', '.join(need)}, got {v._short(r, 120)}")
    return rows


def _patient_table(data: Any, window: float, max_n: int = v.MAX_PATIENTS
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(dose 1-based, dlt 0/1, follow-up, dropped 0/1) arrays from a list of dicts or a dict of arrays."""
    # efficacy columns are accepted (and ignored) so that one phase I/II data set can be given to a
    # toxicity-only design too; any other key is refused as a likely misspelling
    rows = _patient_rows(data, ("dose", "dlt", "follow_up"), ("dropped", "eff", "eff_follow_up"), max_n)
    dose = np.empty(len(rows), dtype=np.int64)
    dlt = np.empty(len(rows), dtype=np.int8)
    fu = np.empty(len(rows))
    gone = np.zeros(len(rows), dtype=np.int8)
    for i, r in enumerate(rows):
        dose[i] = v.integer(f"data: patient {i + 1} dose", r["dose"], low=1, high=v.MAX_DOSES)
        dlt[i] = _flag(f"data: patient {i + 1} dlt", r["dlt"])
        f = v.number(f"data: patient {i + 1} follow_up", r["follow_up"])
        if f < 0:
            raise ValueError(f"data: patient {i + 1} follow_up must be >= 0, got {f!r}")
        if dlt[i] and f > window:
            raise ValueError(f"data: patient {i + 1} had a DLT, so follow_up (the DLT time) must be <= window "
                             f"({window:g}), got {f!r}")
        fu[i] = min(f, window)
        if r.get("dropped") is not None and _flag(f"data: patient {i + 1} dropped", r["dropped"]):
            if dlt[i]:
                raise ValueError(f"data: patient {i + 1} has both dlt and dropped; a DLT observed before the "
                                 f"drop-out is an outcome (set dropped to false)")
            gone[i] = fu[i] < window  # a drop-out after a complete window changes nothing
    return dose, dlt, fu, gone


def _flag(name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or value in (0, 1):
        return int(bool(value))
    raise ValueError(f"{name} must be 0/1 or true/false, got {value!r}")


@dataclass(frozen=True)
class _TiteDesign(Design):
    """Shared live use and selection of the time-to-event designs."""

    time_to_event: ClassVar[bool] = True
    exact_ok: ClassVar[bool] = False
    reports_estimates: ClassVar[bool] = True

    def _n_work_live(self, low: Lowered, npat: int) -> int:
        return low.n_work

    def next_dose_tite(self, data: Any, window: float, n_doses: int | None = None,
                       current_dose: int | None = None) -> Recommendation:
        """Recommend the dose for the patient arriving now, from partially followed data.

        Parameters
        ----------
        data : list of dict, or dict of arrays
            One record per enrolled patient, in order of enrolment, with ``dose`` (1-based
            level), ``dlt`` (1/True when a DLT has been observed) and ``follow_up`` (time since
            the patient started treatment; for a patient with a DLT, the time of the DLT).
            A follow-up of at least ``window`` is a complete observation. Optional
            ``dropped`` (1/True): the patient left before the window ended without a DLT;
            ``follow_up`` is then the time of the drop-out. As in the simulator, such a patient
            is censored there for good: TITE-CRM keeps their weight, TITE-BOIN imputes them but
            never suspends accrual to wait for them, and neither counts them as evaluable.
        window : float
            Length of the DLT observation window, in the unit of ``follow_up``.
        n_doses : int, optional
            Number of dose levels (TITE-CRM: the skeleton's). Default for TITE-BOIN: the
            design's ``n_doses``, else one level above the highest dose in ``data``.
        current_dose : int, optional
            The dose of the latest decision (default: the latest patient's dose).

        Returns
        -------
        Recommendation
            ``dose`` None with ``stop`` False and ``reason == "suspended"`` means: do not
            enrol now (TITE-BOIN's accrual suspension), wait for more follow-up. ``selected``
            is what the design would select from the data so far; ``p_tox`` the estimates it
            used (TITE-BOIN: observed DLTs plus imputed pending outcomes over n; TITE-CRM: the
            model at the posterior mean ``beta``).
        """
        window = v.positive("window", window, "length of the DLT window")
        dose, dlt, fu, gone = _patient_table(data, window, self.max_n)
        n_doses = self._resolve_n_doses(dose.tolist(), n_doses)
        if dose.size and dose.max() > n_doses:
            raise ValueError(f"data: dose level {int(dose.max())} is out of range (allowed 1 to {n_doses})")
        low = self.lower(n_doses)
        check_total(int(dose.size), low.max_n, "data")
        if current_dose is None:
            cur = int(dose[-1]) - 1 if dose.size else low.ipar[0]
        else:
            cur = v.integer("current_dose", current_dose, low=1, high=n_doses) - 1
        est = np.full(n_doses, np.nan)
        nw = self._n_work_live(low, dose.size)
        nxt, reason, susp, sel, beta = _k.live(low.code, low.ipar, low.fpar, low.tab, low.rules, low.safety_tab,
                                               window, dose - 1, dlt, fu, gone, dose.size, cur, low.max_n, nw,
                                               n_doses, est)
        stop = reason != CONTINUE
        n = np.bincount(dose - 1, weights=1 - gone, minlength=n_doses).astype(np.int64)  # evaluable
        y = np.bincount(dose - 1, weights=dlt, minlength=n_doses).astype(np.int64)
        notes = []
        # The simulator's cohorts (TITE-BOIN; TITE-CRM has one patient per arrival): the design decides
        # at each cohort's first arrival, and the cohort's other patients join it at that dose.
        cs = int(getattr(getattr(self, "base", self), "cohort_size", 1))
        npat, left = int(dose.size), int(low.max_n) - int(dose.size)
        since = npat % cs
        size = min(cs, left)
        if since and left > 0:  # a cohort under way: no decision before its last patient
            notes.append(cohort_under_way_note(npat, cs, int(low.max_n), cur, reason, stop, susp))
            nxt, reason, stop, susp = cur, CONTINUE, False, False
            size = min(cs - since, left)
        if susp:
            notes.append(self._suspension_note(low, dose, dlt, fu, gone, cur, window))
        if not stop and np.any(np.diff(est[~np.isnan(est)]) < 0):
            notes.append(self._estimate_note())
        return Recommendation(
            notes=tuple(notes),
            dose=None if (stop or susp) else int(nxt) + 1,
            cohort_size=0 if (stop or susp) else size,
            stop=bool(stop),
            reason="suspended" if susp else STOP_REASONS[reason],
            selected=None if sel < 0 else int(sel) + 1,
            n_patients=n,
            n_dlt=y,
            p_tox=est,
            beta=None if np.isnan(beta) else float(beta),
        )

    def _suspension_note(self, low, dose, dlt, fu, gone, cur, window) -> str:
        """Who is pending at the current dose and when accrual can resume at the latest."""
        at = dose == cur + 1
        pending = np.flatnonzero(at & (dlt == 0) & (fu < window) & (gone == 0))
        n_at = int(at.sum())
        allowed = int(np.floor(self.accrual_suspend * n_at + 1e-9))  # pending patients that do not suspend
        need = len(pending) - allowed
        left = np.sort(window - fu[pending])
        who = ", ".join(f"{i + 1} ({fu[i]:g} of {window:g})" for i in pending)
        if need <= 0:  # suspended for another reason (ESS rule at the lowest dose)
            return (f"accrual suspended at dose {cur + 1}: patients {who} are in follow-up; enrol again when "
                    f"their windows complete or a DLT is seen (at the latest in {left[-1]:g})")
        return (f"accrual suspended at dose {cur + 1}: {len(pending)} of {n_at} patients there are still in "
                f"follow-up (patient (follow-up so far): {who}); enrolment resumes when {need} more of them "
                f"complete their window or have a DLT: at the latest in {left[need - 1]:g} time units")

    def _estimate_note(self) -> str:
        return ""

    def next_dose(self, outcomes: str = "", n_doses: int | None = None) -> Recommendation:
        """Live recommendation from an outcome string, every patient's follow-up complete.

        ``"1NNN 2NTN"``: dose level then N / T per patient; each cohort is one decision point
        (the design is replayed cohort by cohort, as with complete data at every decision; the
        recommendation's ``cohort_size`` is the design's cohort size, capped by ``max_n``), so
        a stop before the last cohort is kept and the later cohorts are counted and reported in
        ``warnings`` (see ``Design.next_dose``), as are cohorts given at another dose than the
        design recommended. For partially followed patients use :meth:`next_dose_tite`.
        """
        cohorts = _outcomes.parse(outcomes)
        n_doses = self._resolve_n_doses([c.dose for c in cohorts], n_doses)  # once, from all the data
        check_total(sum(c.size for c in cohorts), self.max_n, "outcomes")
        rows: list[dict] = []
        before = []  # the recommendation before each cohort the design decided on
        stop_at, stop_rec = -1, None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeviationWarning)
            rec = self.next_dose_tite(rows, window=1.0, n_doses=n_doses)
            for i, c in enumerate(cohorts):
                before.append(rec)
                rows.extend({"dose": c.dose, "dlt": int(t), "follow_up": 1.0} for t in c.tox)
                rec = self.next_dose_tite(rows, window=1.0, n_doses=n_doses)
                if rec.stop:
                    stop_at, stop_rec = i, rec
                    break
            if stop_at >= 0 and stop_at < len(cohorts) - 1:
                for c in cohorts[stop_at + 1:]:
                    rows.extend({"dose": c.dose, "dlt": int(t), "follow_up": 1.0} for t in c.tox)
                rec = self.next_dose_tite(rows, window=1.0, n_doses=n_doses)
        rec_dose = np.array([-1 if r.dose is None else r.dose - 1 for r in before], dtype=np.int64)
        notes = deviations(cohorts, rec_dose, np.zeros(len(before), dtype=np.int64), stop_at,
                           "" if stop_rec is None else stop_rec.reason)
        if cohorts:
            family = getattr(self, "base", self).family  # a Modified design: its base's
            notes = (f"{family} decides from partial follow-up; an outcome string treats every patient's DLT "
                     "window as complete (for patients still in follow-up give their follow-up times: "
                     "next_dose_tite, or --data on the command line)", *notes)
        warn_deviations(notes)
        if stop_rec is not None and not rec.stop:  # the stop stands; counts and estimates use all data
            sel = None if stop_rec.reason == "safety" else self.select(rec.n_patients, rec.n_dlt)
            rec = replace(rec, dose=None, cohort_size=0, stop=True, reason=stop_rec.reason, selected=sel)
        if rec.dose is not None:  # one decision per cohort: the next cohort has the design's cohort size
            low = self.lower(rec.n_patients.size)
            left = low.max_n - sum(c.size for c in cohorts)
            rec = replace(rec, cohort_size=int(min(low.ipar[1], left)))
        return replace(rec, warnings=notes)

    def select(self, n_patients: Sequence[int], n_dlt: Sequence[int]) -> int | None:
        """The final selection from complete per-dose counts: a 1-based dose, or None."""
        n, y = check_counts(n_patients, n_dlt)
        low = self._for_counts(n).lower(n.size)
        iwork = np.zeros(3 * n.size + 2, dtype=np.int64)
        work = np.zeros(max(low.n_work, 1))
        sel = _rules.restrict_selection(low.rules, n, _k.final_select(low.code, low.ipar, low.fpar, low.tab, n, y,
                                                                     iwork, work))
        return None if sel < 0 else int(sel) + 1


# ---------------------------------------------------------------------------- TITE-BOIN
@dataclass(frozen=True)
class TITEBOIN(_TiteDesign):
    """Time-to-event BOIN (Yuan, Lin, Li, Nie & Warren 2018, Clin Cancer Res 24:4921).

    BOIN's boundaries lambda_e, lambda_d (:func:`boin_boundaries`), applied at each decision
    to an estimate that imputes the pending outcomes at the current dose. With n patients
    treated there, y observed DLTs and m patients pending (no DLT yet, window incomplete) with
    standardized total follow-up time STFT = sum(follow-up / window):

    * y / n >= lambda_d: de-escalate (pending outcomes can only add DLTs);
    * otherwise, if m > ``accrual_suspend`` * n: suspend accrual (the arriving patient is
      turned away, or queues until the next DLT or completed window, per the time model);
    * otherwise p = (y + pi / (1 - pi) (m - STFT)) / n, with pi = (y + target / 2) /
      (n - m + 1) the posterior mean from the completed patients under a Beta(target / 2,
      1 - target / 2) prior (each pending patient i imputed as pi (1 - t_i / W) / (1 - pi));
      if y / n < target escalate when p <= lambda_e, else stay; if y / n > target
      de-escalate when p >= lambda_d, else stay. This reproduces the published TITE-BOIN
      decision tables (their STFT cut-offs).

    Elimination (n >= 3 at a dose and P(p > target | y observed DLTs of n, Beta(1, 1)) >
    ``cutoff_eli``; it and every higher dose), the extra-safe stop, ``n_earlystop`` and the
    final selection (R ``select.mtd``, on complete data after the last patient's window) are
    BOIN's. With complete data at every decision the design is exactly BOIN with cohorts of
    ``cohort_size``.

    Parameters
    ----------
    target : float
        Target DLT probability (0.05 to 0.6, as BOIN).
    max_n : int
        Maximum sample size.
    cohort_size : int
        Patients enrolled at each decision's dose (one decision per cohort, at the arrival of
        its first patient).
    start_dose : int
        1-based starting dose.
    p_saf, p_tox, cutoff_eli, extrasafe, offset, n_earlystop
        As for :class:`BOIN`.
    accrual_suspend : float
        Suspend accrual when more than this fraction of the patients at the current dose are
        pending (the paper's 0.5); 1 never suspends.
    estimate : {"imputation", "ess"}
        ``"imputation"`` (default): the rule above, Yuan et al. (2018), whose decision tables
        it reproduces. ``"ess"``: Lin & Yuan's (2020) approximate-likelihood estimate
        y / (n - m + STFT) (observed DLTs over the effective sample size), in the order of R's
        TITEgBOIN package: after elimination, accrual is suspended whenever more than
        ``accrual_suspend`` of the patients at the current dose are pending; then escalate if
        the estimate <= lambda_e, de-escalate if >= lambda_d (at the lowest dose: suspend while
        patients are pending there), else stay.
    n_doses : int, optional
        Number of dose levels, for live use without a scenario.

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.TITEBOIN(target=0.2, max_n=30, cohort_size=3)
    >>> data = [dict(dose=1, dlt=0, follow_up=28)] * 3 + [dict(dose=2, dlt=0, follow_up=f) for f in (20, 12, 5)]
    >>> d.next_dose_tite(data, window=28, n_doses=4).reason      # 3 of 3 pending at dose 2
    'suspended'
    >>> sc = de.Scenario([0.05, 0.12, 0.2, 0.35], target=0.2, time=de.TimeModel(window=28, rate=3 / 28))
    >>> oc = de.simulate(d, sc, n_trials=1000, seed=1)
    """

    target: float
    max_n: int
    cohort_size: int = 1
    start_dose: int = 1
    p_saf: float | None = None
    p_tox: float | None = None
    cutoff_eli: float = 0.95
    extrasafe: bool = False
    offset: float = 0.05
    n_earlystop: int | None = None
    accrual_suspend: float = 0.5
    n_doses: int | None = None
    estimate: str = "imputation"

    family: ClassVar[str] = "TITE-BOIN"
    ESTIMATES: ClassVar[tuple[str, ...]] = ("imputation", "ess")

    def __post_init__(self) -> None:
        b = self._boin()  # validates the shared fields with BOIN's messages
        for f in ("target", "max_n", "cohort_size", "start_dose", "cutoff_eli", "offset", "n_earlystop", "n_doses"):
            object.__setattr__(self, f, getattr(b, f))
        object.__setattr__(self, "extrasafe", _bool("extrasafe", self.extrasafe))
        s = v.number("accrual_suspend", self.accrual_suspend)
        if not 0 <= s <= 1:
            raise ValueError(f"accrual_suspend: must be from 0 to 1 (fraction of patients pending; the paper "
                             f"uses 0.5), got {self.accrual_suspend!r}")
        object.__setattr__(self, "accrual_suspend", s)
        v.choice("estimate", self.estimate, self.ESTIMATES)

    def _boin(self) -> BOIN:
        return BOIN(target=self.target, cohort_size=self.cohort_size, max_n=self.max_n, start_dose=self.start_dose,
                    p_saf=self.p_saf, p_tox=self.p_tox, cutoff_eli=self.cutoff_eli, extrasafe=self.extrasafe,
                    offset=self.offset, n_earlystop=self.n_earlystop, n_doses=self.n_doses)

    def _auto_label(self) -> str:
        extra = ", ESS estimate" if self.estimate == "ess" else ""
        return f"TITE-BOIN (target {self.target:g}{extra})"

    def _protocol(self, scenario):
        from . import _describe

        return _describe.tite_boin(self, scenario)

    def boundaries(self):
        """The BOIN boundaries this design uses (:func:`boin_boundaries`)."""
        return self._boin().boundaries()

    def _estimate_note(self) -> str:
        return ("p_tox here is each dose's own estimate (observed DLTs plus the imputed outcomes of its pending "
                "patients, over the patients treated there), so it need not rise with dose; the decision uses only "
                "the current dose's, the final selection an isotonic fit of the complete data")

    def _for_counts(self, n: np.ndarray) -> TITEBOIN:
        need = int(n.max()) if n.size else 0
        return self if need <= self.max_n else replace(self, max_n=need)

    def _lower(self, n_doses: int) -> Lowered:
        b = self._boin()
        low = b.lower(n_doses)
        lam_e, _ = b.lambdas
        fpar = np.concatenate([low.fpar[:_iv.N_FPAR], [lam_e, self.accrual_suspend, self.target / 2.0,
                                                       float(self.ESTIMATES.index(self.estimate))]])
        return low._replace(code=TITE_BOIN, fpar=fpar, max_n=self.max_n)


# ---------------------------------------------------------------------------- TITE-CRM
GRID_HALF_WIDTH = 10.0  # dfcrm integrates the posterior mean's numerator over (-10, 10)
#: logistic intercepts above this get a proportionally finer grid (see ``TITECRM._grid``)
LOGISTIC_A0_FINE = 4.0
CACHE_MAX_DOSES = 40  # simulations keep a decision cache (_kernels/cache.py) up to this many doses


@dataclass(frozen=True)
class TITECRM(_TiteDesign):
    """Time-to-event CRM (Cheung & Chappell 2000), as R dfcrm's ``titecrm`` / ``titesim``.

    At each arrival, the weighted likelihood prod_i p(d_i)^y_i (1 - w_i p(d_i))^(1 - y_i)
    (a patient with an observed DLT has y_i = 1 and weight 1) and a N(0, ``prior_sd``^2)
    prior give the posterior mean of beta (numerical integration); the recommended dose is the
    one whose p_d(beta-hat) is closest to the target (all above: dose 1; all below: the top
    dose). Weights: ``"linear"`` follow-up / window; ``"adaptive"`` piecewise linear through
    the observed DLT times (Cheung & Chappell 2000; dfcrm's ``scheme="adaptive"``).
    ``restrict=True`` is dfcrm ``titesim``'s rule: never more than one level above the
    previous patient's dose. The final selection is the CRM's recommendation from complete
    data (every weight 1) after the last patient's window.

    Parameters
    ----------
    skeleton : sequence of float
        Prior guesses of the DLT probabilities, strictly increasing in (0, 1); one per dose.
    target : float
        Target DLT probability, in (0, 1).
    max_n : int
        Number of patients (one per arrival).
    start_dose : int
        1-based dose of the first patient.
    model : {"empiric", "logistic"}
        Empiric p_d = s_d^exp(beta); logistic p_d = 1 / (1 + exp(-a0 - exp(beta) x_d)) with
        x_d = logit(s_d) - a0.
    prior_sd : float
        Prior standard deviation of beta (> 0); dfcrm's default ``sqrt(1.34)``.
    intercept : float
        Logistic intercept a0, from -10 to 10. It must exceed logit(max(skeleton)).
    restrict : bool
        dfcrm ``titesim``'s restriction: never more than one level above the previous
        patient's dose. ``False``: always follow the model.
    scheme : {"linear", "adaptive"}
        Weight of a pending patient: ``"linear"``, follow-up / window; ``"adaptive"``,
        piecewise linear through the observed DLT times (Cheung & Chappell 2000).
    n_doses : int, optional
        Must equal ``len(skeleton)`` when given.

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.TITECRM(skeleton=[0.05, 0.10, 0.20, 0.35, 0.50, 0.70], target=0.2, max_n=24)
    >>> data = {"dose": [3, 3, 3, 4, 4, 3, 2, 2, 2, 3], "dlt": [0, 0, 1, 0, 1, 0, 0, 0, 0, 0],
    ...         "follow_up": [178, 181, 168, 181, 24, 181, 179, 102, 42, 3]}
    >>> rec = d.next_dose_tite(data, window=180)
    >>> round(rec.beta, 4), rec.selected
    (-0.1328, 3)
    """

    skeleton: Sequence[float]
    target: float
    max_n: int
    start_dose: int = 1
    model: str = "empiric"
    prior_sd: float = 1.34 ** 0.5
    intercept: float = 3.0
    restrict: bool = True
    scheme: str = "linear"
    n_doses: int | None = None

    family: ClassVar[str] = "TITE-CRM"

    def __post_init__(self) -> None:
        sk = v.probabilities("skeleton", self.skeleton, open_interval=True)
        if sk.size > 1 and np.any(np.diff(sk) <= 0):
            raise ValueError(f"skeleton: must be strictly increasing, got {sk.tolist()}")
        object.__setattr__(self, "skeleton", tuple(float(x) for x in sk))
        object.__setattr__(self, "target", v.open_unit("target", self.target))
        object.__setattr__(self, "max_n", v.integer("max_n", self.max_n, low=1, high=v.MAX_PATIENTS))
        object.__setattr__(self, "start_dose", v.integer("start_dose", self.start_dose, low=1, high=sk.size))
        v.choice("model", self.model, ("empiric", "logistic"))
        object.__setattr__(self, "prior_sd", v.in_range("prior_sd", self.prior_sd, *v.PRIOR_SD_RANGE,
                                                        "prior SD of beta; dfcrm's default is sqrt(1.34) = 1.16"))
        a0 = v.in_range("intercept", self.intercept, *INTERCEPT_RANGE, "the logistic working model's a0; dfcrm's "
                        "default is 3")
        object.__setattr__(self, "intercept", a0)
        if self.model == "logistic" and np.any(np.log(sk / (1 - sk)) - a0 >= 0):
            raise ValueError(f"intercept: too small for the skeleton (logit(skeleton) - intercept must be < 0 for "
                             f"every dose), got {self.intercept!r}")
        object.__setattr__(self, "restrict", _bool("restrict", self.restrict))
        v.choice("scheme", self.scheme, ("linear", "adaptive"))
        if self.n_doses is not None:
            nd = v.integer("n_doses", self.n_doses, low=1)
            if nd != sk.size:
                raise ValueError(f"n_doses: must equal the skeleton's length ({sk.size}), got {nd}")
            object.__setattr__(self, "n_doses", nd)

    @property
    def fixed_n_doses(self) -> int:
        return len(self.skeleton)

    def _auto_label(self) -> str:
        return f"TITE-CRM ({self.model}, target {self.target:g})"

    def _protocol(self, scenario):
        from . import _describe

        return _describe.tite_crm(self, scenario)

    def _grid(self) -> np.ndarray:
        # step: well below the posterior SD at this sample size (trapezoid sums of these smooth,
        # rapidly decaying integrands converge geometrically in SD / step)
        h = min(0.1, 0.45 / math.sqrt(self.max_n))
        if self.model == "logistic" and self.intercept > LOGISTIC_A0_FINE:
            # the logistic model's information about beta grows like intercept^2 (the scaled doses are
            # about -intercept), so the posterior narrows like 1 / intercept: refine the step with it
            h *= LOGISTIC_A0_FINE / self.intercept
        k = int(round(2 * GRID_HALF_WIDTH / h)) + 1
        return np.linspace(-GRID_HALF_WIDTH, GRID_HALF_WIDTH, k)

    def _lower(self, n_doses: int) -> Lowered:
        sk = np.asarray(self.skeleton)
        D = sk.size
        b = self._grid()
        K = b.size
        t = np.exp(b)[None, :]
        if self.model == "empiric":
            x = np.log(sk)
            lp = t * x[:, None]
            lq = np.log(-np.expm1(lp))
        else:
            x = np.log(sk / (1 - sk)) - self.intercept
            eta = self.intercept + t * x[:, None]
            lp = -np.logaddexp(0.0, -eta)
            lq = lp - eta
        tab = np.empty((3 * D + 2, K))
        tab[:D] = lp
        tab[D:2 * D] = lq
        tab[2 * D] = -0.5 * (b / self.prior_sd) ** 2
        tab[2 * D + 1] = b
        _k.exp_rows(tab, D)
        ipar = np.array([self.start_dose - 1, 1, int(self.restrict), 0 if self.model == "empiric" else 1,
                         0 if self.scheme == "linear" else 1, K], dtype=np.int64)
        fpar = np.concatenate([[self.target, self.intercept, self.prior_sd, b[1] - b[0]], sk, x]).astype(np.float64)
        return Lowered(code=TITE_CRM, ipar=ipar, fpar=fpar, tab=np.ascontiguousarray(tab), n_aux=0,
                       n_work=_k.n_work_crm(D, K, self.max_n), max_n=self.max_n, n_doses=D,
                       n_cache=_cache.size(_k.crm_cache_width(D), _k.CACHE_SLOTS) if D <= CACHE_MAX_DOSES else 0)

    def _n_work_live(self, low: Lowered, npat: int) -> int:
        return _k.n_work_crm(low.n_doses, int(low.ipar[_k.C_K]), max(npat, 1))

