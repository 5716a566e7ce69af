"""TITE-BOIN12: BOIN12 with late-onset toxicity and efficacy (Zhou, Lin, Lee, Li, Wang, Li & Yuan 2022)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from .. import _validate as v
from .. import outcomes as _outcomes
from .._kernels import tite as _k
from .._kernels.codes import CONTINUE, STOP_REASONS, TITE_BOIN12
from .base import Design, DeviationWarning, Lowered, Recommendation, check_total, deviations, warn_deviations
from .boin12 import BOIN12
from .interval import _bool
from .tite import _flag, _patient_rows


def _patient_table12(data: Any, window: float, eff_window: float, max_n: int):
    """(dose 1-based, dlt, follow_up, eff, eff_follow_up) arrays from a list of dicts or a dict of columns."""
    rows = _patient_rows(data, ("dose", "dlt", "follow_up", "eff", "eff_follow_up"), max_n=max_n)
    m = len(rows)
    dose = np.empty(m, dtype=np.int64)
    dlt = np.empty(m, dtype=np.int8)
    fu = np.empty(m)
    eff = np.empty(m, dtype=np.int8)
    efu = np.empty(m)
    for i, r in enumerate(rows):
        dose[i] = v.integer(f"data: patient {i + 1} dose", r["dose"], low=1, high=v.MAX_DOSES)
        dlt[i] = _flag(f"data: patient {i + 1} dlt", r["dlt"])
        eff[i] = _flag(f"data: patient {i + 1} eff", r["eff"])
        for name, arr, w, flag in (("follow_up", fu, window, dlt[i]), ("eff_follow_up", efu, eff_window, eff[i])):
            f = v.number(f"data: patient {i + 1} {name}", r[name])
            if f < 0:
                raise ValueError(f"data: patient {i + 1} {name} must be >= 0, got {f!r}")
            if flag and f > w:
                raise ValueError(f"data: patient {i + 1} {name} is the time of the observed event, so it must be "
                                 f"<= its window ({w:g}), got {f!r}")
            arr[i] = min(f, w)
    return dose, dlt, fu, eff, efu


@dataclass(frozen=True)
class TITEBOIN12(Design):
    """TITE-BOIN12 (Zhou, Lin, Lee, Li, Wang, Li & Yuan 2022, Stat Med 41:1918): BOIN12 with
    late-onset toxicity and efficacy, by the approximated-likelihood (effective sample size) method.

    Each enrolled patient has a toxicity outcome assessed over the DLT window ``W_T`` and an
    efficacy outcome over the efficacy window ``W_E`` (``TimeModel(window=, eff_window=)``).
    At a decision, a patient whose DLT (response) has not been seen and whose window is not
    complete has that outcome *pending*, with weight ``w = t / W`` (their follow-up as a
    fraction of the window); a known outcome has weight 1. At each dose: ``ESS_T`` = the sum
    of the toxicity weights and ``ESS_E`` of the efficacy weights.

    The approximated-likelihood method of the paper (section 2.2.3, as described by the
    sources below):

    * the DLT and response rates are estimated by p_T = y / ESS_T and p_E = e / ESS_E, and
      admissibility uses the quasi-beta posteriors Beta(1 + y, 1 + ESS_T - y) and
      Beta(1 + e, 1 + ESS_E - e);
    * a pending outcome is imputed by its conditional expectation given no event so far,
      ``p (1 - w) / (1 - p w)`` (event times uniform over the window), the two outcomes of a
      patient separately; the quasi-event count is x = sum over the dose's patients of
      u(t, r) / 100 (t, r each 0/1 when known, imputed when pending; u the utility, bilinear
      in t and r), and the desirability score 100 P(u > u_b) under Beta(1 + x, 1 + n - x),
      n the patients treated at the dose;
    * the decisions are BOIN12's (:class:`BOIN12`: exploration of the untried next dose,
      de-escalation at p >= lambda_d, the "d - 1 or d" branch, the rank-based desirability
      among the admissible doses d - 1, d, d + 1, the stop when none is admissible), with the
      current dose's DLT rate estimated by p_T and admissibility and scores as above; a dose
      with no pending outcome uses BOIN12's own tables and arithmetic (bit for bit), so with
      complete data the decision *is* BOIN12's;
    * accrual is suspended (the arriving patient is turned away or queues, as the time model
      says) when more than ``accrual_suspend`` (default 0.5) of the patients at the current
      dose have their toxicity outcome pending, or more than ``eff_suspend`` (default 0.5)
      their efficacy outcome; suspension is checked before any other rule;
    * the final OBD selection is BOIN12's (:meth:`BOIN12.select`) on the complete data, after
      the last patient's longer window.

    Assumptions of doseesc's simulator where the sources are silent:

    * *Response times.* A patient's response, if any, occurs at a time from
      ``TimeModel.eff_onset`` within the efficacy window whatever their DLT, and is observed.
    * *Drop-out* is not modelled: simulations with ``TimeModel(dropout > 0)`` are refused.

    ``wait_complete=True`` waits before every decision until every enrolled patient's
    toxicity and efficacy outcomes are known: BOIN12 run under the time model (the "wait for
    complete efficacy data" comparator; its records equal :class:`BOIN12`'s on the same seed).

    Parameters
    ----------
    phi_t, phi_e, u2, u3, n_star, c_t, c_e, cohort_size, max_n, start_dose, n_doses
        As :class:`BOIN12` (same names, ranges and defaults).
    accrual_suspend : float
        Suspend accrual when more than this fraction of the patients at the current dose have
        their toxicity outcome pending (0 to 1; default 0.5; 1 never suspends).
    eff_suspend : float
        The same for pending efficacy outcomes (0 to 1; default 0.5).
    wait_complete : bool
        Wait for every patient's complete data before each decision (BOIN12 under the time
        model).

    Notes
    -----
    *Sources.* The paper (author manuscript PMC9199061) was reachable here only through its
    title page and summary. Its pending-data formulas above are as two independent public
    descriptions give them (the imputation ``p (1 - w) / (1 - p w)`` at the ESS estimates and
    the quasi-binomial utility): the time-to-event code of PKBOIN-12 (Sun & Tu), and a
    re-implementation whose documentation cites the paper's section 2.2.3 and transcribes its
    Table 2 example (dx-li/mdanderson-stats). The checks are: the Table 2 example's
    decisions and suspensions (tests/test_tite_boin12.py: the first four decisions and the
    efficacy suspensions that set their days are reproduced; at day 315 the rule above
    de-escalates to dose 2 where the published example stays at dose 3, as the
    re-implementation also finds); with complete follow-up at every decision the records equal
    BOIN12's trial by trial; live ``next_dose_tite`` replayed at every simulated decision
    reproduces the simulator's records (a plain-Python simulator in the tests).

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.TITEBOIN12(phi_t=0.35, phi_e=0.25, cohort_size=3, max_n=30)
    >>> data = [dict(dose=1, dlt=0, follow_up=28, eff=1, eff_follow_up=40)] * 3 + \\
    ...        [dict(dose=2, dlt=0, follow_up=28, eff=0, eff_follow_up=50)] * 2 + \\
    ...        [dict(dose=2, dlt=0, follow_up=20, eff=0, eff_follow_up=20)]
    >>> rec = d.next_dose_tite(data, window=28, eff_window=90, n_doses=4)
    >>> rec.dose, rec.reason
    (3, 'running')
    >>> tm = de.TimeModel(window=28, rate=3 / 28, eff_window=84)
    >>> sc = de.Scenario([0.05, 0.1, 0.2, 0.4], target=0.35, p_eff=[0.2, 0.4, 0.5, 0.5], time=tm)
    >>> oc = de.simulate(d, sc, n_trials=200, seed=1)
    >>> round(float(oc.selection.sum() + oc.no_selection), 12)
    1.0
    """

    phi_t: float = 0.35
    phi_e: float = 0.25
    u2: float = 40.0
    u3: float = 60.0
    n_star: int = 6
    c_t: float = 0.95
    c_e: float = 0.9
    cohort_size: int = 3
    max_n: int = 36
    start_dose: int = 1
    n_doses: int | None = None
    accrual_suspend: float = 0.5
    eff_suspend: float = 0.5
    wait_complete: bool = False

    family: ClassVar[str] = "TITE-BOIN12"
    uses_efficacy: ClassVar[bool] = True
    reports_estimates: ClassVar[bool] = True
    time_to_event: ClassVar[bool] = True
    exact_ok: ClassVar[bool] = False

    def __post_init__(self) -> None:
        b = self._boin12()  # validates the shared fields with BOIN12's messages
        for f in ("phi_t", "phi_e", "u2", "u3", "n_star", "c_t", "c_e", "cohort_size", "max_n", "start_dose",
                  "n_doses"):
            object.__setattr__(self, f, getattr(b, f))
        for f in ("accrual_suspend", "eff_suspend"):
            s = v.number(f, getattr(self, f))
            if not 0 <= s <= 1:
                raise ValueError(f"{f}: must be from 0 to 1 (fraction of the patients at the current dose with the "
                                 f"outcome pending; 1 never suspends), got {getattr(self, f)!r}")
            object.__setattr__(self, f, s)
        object.__setattr__(self, "wait_complete", _bool("wait_complete", self.wait_complete))

    def _boin12(self) -> BOIN12:
        return BOIN12(phi_t=self.phi_t, phi_e=self.phi_e, u2=self.u2, u3=self.u3, n_star=self.n_star, c_t=self.c_t,
                      c_e=self.c_e, cohort_size=self.cohort_size, max_n=self.max_n, start_dose=self.start_dose,
                      n_doses=self.n_doses)

    def _auto_label(self) -> str:
        if self.wait_complete:
            return f"BOIN12, complete data (phi_t {self.phi_t:g}, phi_e {self.phi_e:g})"
        return f"TITE-BOIN12 (phi_t {self.phi_t:g}, phi_e {self.phi_e:g})"

    def _protocol(self, scenario):
        from . import _describe

        return _describe.tite_boin12(self, scenario)

    def _lower(self, n_doses: int) -> Lowered:
        low = self._boin12().lower(n_doses)
        ipar = np.concatenate([low.ipar, [int(self.wait_complete)]]).astype(np.int64)
        fpar = np.concatenate([low.fpar, [self.accrual_suspend, self.eff_suspend, self.phi_e, self.c_t, self.c_e]])
        assert ipar.size == _k.N_IPAR_B12 and fpar.size == _k.N_FPAR_B12
        return low._replace(code=TITE_BOIN12, ipar=ipar, fpar=fpar)

    # ------------------------------------------------------------ live use
    def next_dose_tite(self, data: Any, window: float, eff_window: float | None = None, n_doses: int | None = None,
                       current_dose: int | None = None) -> Recommendation:
        """Recommend the dose for the patient arriving now, from partially followed data.

        Parameters
        ----------
        data : list of dict, or dict of arrays
            One record per enrolled patient, in order of enrolment: ``dose`` (1-based),
            ``dlt`` (1/True when a DLT has been observed), ``follow_up`` (time since the start
            of treatment; for a DLT, its time), ``eff`` (1/True when a response has been
            observed) and ``eff_follow_up`` (the same for efficacy; for a response, its time).
            A follow-up of at least the window is a complete observation.
        window, eff_window : float
            The DLT and efficacy assessment windows (``eff_window`` default: ``window``).
        n_doses : int, optional
            Number of dose levels (default: the design's ``n_doses``, else one above the
            highest dose in ``data``).
        current_dose : int, optional
            The dose of the latest decision (default: the latest patient's dose).

        Returns
        -------
        Recommendation
            ``dose`` None with ``reason == "suspended"``: do not enrol now, wait for more
            follow-up. ``p_tox`` / ``p_eff``: y / ESS_T and e / ESS_E per dose; ``utility``:
            the desirability score; ``acceptable``: admissibility on the quasi-beta posteriors;
            ``prob_acc_tox`` / ``prob_acc_eff``: P(p_T < phi_T) and P(p_E > phi_E) on them,
            Beta(1 + y, 1 + ESS_T - y) and Beta(1 + e, 1 + ESS_E - e);
            ``selected``: BOIN12's OBD from the patients whose both outcomes are known.

        Examples
        --------
        >>> import doseesc as de
        >>> d = de.TITEBOIN12(max_n=30)
        >>> data = {"dose": [1, 1, 1], "dlt": [0, 0, 0], "follow_up": [28, 10, 5],
        ...         "eff": [0, 0, 0], "eff_follow_up": [28, 10, 5]}
        >>> d.next_dose_tite(data, window=28, eff_window=84, n_doses=3).reason
        'suspended'
        """
        window = v.positive("window", window, "length of the DLT window")
        eff_window = window if eff_window is None else v.positive("eff_window", eff_window,
                                                                  "length of the efficacy window")
        dose, dlt, fu, eff, efu = _patient_table12(data, window, eff_window, self.max_n)
        n_doses = self._resolve_n_doses(dose.tolist(), n_doses)
        if dose.size and dose.max() > n_doses:
            raise ValueError(f"data: dose level {int(dose.max())} is out of range (allowed 1 to {n_doses})")
        low = self.lower(n_doses)
        if current_dose is None:
            cur = int(dose[-1]) - 1 if dose.size else int(low.ipar[0])
        else:
            cur = v.integer("current_dose", current_dose, low=1, high=n_doses) - 1
        out = np.zeros((6, n_doses))
        nxt, reason, susp, sel = _k.live12(low.ipar, low.fpar, low.tab, low.rules, low.safety_tab, window, eff_window,
                                           dose - 1, dlt, fu, eff, efu, dose.size, cur, low.max_n, n_doses,
                                           low.n_work, out)
        stop = reason != CONTINUE
        notes = []
        if susp:
            base = getattr(self, "base", self)  # a Modified design: its base's options
            notes.append(f"accrual suspended at dose {cur + 1}: too many of its patients have outcomes pending "
                         f"(toxicity over {base.accrual_suspend:g}, efficacy over {base.eff_suspend:g} of them"
                         f"{'; or any patient, wait_complete' if base.wait_complete else ''}); enrol again after "
                         "more follow-up")
        return Recommendation(
            notes=tuple(notes),
            dose=None if (stop or susp) else int(nxt) + 1,
            cohort_size=0 if (stop or susp) else 1,
            stop=bool(stop),
            reason="suspended" if susp else STOP_REASONS[reason],
            selected=None if sel < 0 else int(sel) + 1,
            n_patients=np.bincount(dose - 1, minlength=n_doses).astype(np.int64),
            n_dlt=np.bincount(dose - 1, weights=dlt, minlength=n_doses).astype(np.int64),
            n_eff=np.bincount(dose - 1, weights=eff, minlength=n_doses).astype(np.int64),
            p_tox=out[0].copy(),
            p_eff=out[1].copy(),
            utility=out[2].copy(),
            acceptable=out[3] != 0,
            prob_acc_tox=out[4].copy(),
            prob_acc_eff=out[5].copy(),
        )

    def next_dose(self, outcomes: str = "", n_doses: int | None = None) -> Recommendation:
        """Live recommendation from an E/T/B/N outcome string, every patient's follow-up complete.

        Each cohort is one decision point (replayed through :meth:`next_dose_tite` with
        complete follow-up); with complete data the decisions are BOIN12's.

        Examples
        --------
        >>> import doseesc as de
        >>> de.TITEBOIN12().next_dose("1NNN 2ENT 3ETT 2EEN", n_doses=5).dose
        2
        """
        cohorts = _outcomes.parse(outcomes)
        n_doses = self._resolve_n_doses([c.dose for c in cohorts], n_doses)
        low = self.lower(n_doses)
        check_total(sum(c.size for c in cohorts), low.max_n, "outcomes")
        rows: list[dict] = []
        before = []
        stop_at, stop_rec = -1, None

        def add(c):
            eff = c.eff or (False,) * len(c.tox)
            rows.extend({"dose": c.dose, "dlt": int(t), "follow_up": 1.0, "eff": int(e), "eff_follow_up": 1.0}
                        for t, e in zip(c.tox, eff))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeviationWarning)
            rec = self.next_dose_tite(rows, window=1.0, n_doses=n_doses)
            for i, c in enumerate(cohorts):
                before.append(rec)
                add(c)
                rec = self.next_dose_tite(rows, window=1.0, n_doses=n_doses)
                if rec.stop:
                    stop_at, stop_rec = i, rec
                    break
            if 0 <= stop_at < len(cohorts) - 1:
                for c in cohorts[stop_at + 1:]:
                    add(c)
                rec = self.next_dose_tite(rows, window=1.0, n_doses=n_doses)
        rec_dose = np.array([-1 if r.dose is None else r.dose - 1 for r in before], dtype=np.int64)
        notes = deviations(cohorts, rec_dose, np.zeros(len(before), dtype=np.int64), stop_at,
                           "" if stop_rec is None else stop_rec.reason)
        warn_deviations(notes)
        if stop_rec is not None and not rec.stop:
            rec = replace(rec, dose=None, cohort_size=0, stop=True, reason=stop_rec.reason)
        if rec.dose is not None:
            left = low.max_n - sum(c.size for c in cohorts)
            rec = replace(rec, cohort_size=int(min(low.ipar[1], left)))
        return replace(rec, warnings=notes)

    def select(self, n_patients: Sequence[int], n_dlt: Sequence[int], n_eff: Sequence[int] | None = None,
               n_both: Sequence[int] | None = None) -> int | None:
        """The final OBD selection from complete per-dose counts: BOIN12's (:meth:`BOIN12.select`).

        Examples
        --------
        >>> import doseesc as de
        >>> de.TITEBOIN12().select([3, 3, 6, 12, 6], [0, 1, 1, 3, 3], [0, 1, 2, 6, 3], [0, 1, 0, 2, 2])
        4
        """
        return self._boin12().select(n_patients, n_dlt, n_eff, n_both)
