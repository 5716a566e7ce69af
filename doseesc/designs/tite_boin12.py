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
from .boin12 import BOIN12, acceptable_note
from .interval import _bool
from .tite import _flag, _patient_rows, cohort_under_way_note


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
    ...        [dict(dose=2, dlt=0, follow_up=28, eff=1, eff_follow_up=50)] * 2 + \\
    ...        [dict(dose=2, dlt=0, follow_up=20, eff=0, eff_follow_up=20)]
    >>> rec = d.next_dose_tite(data, window=28, eff_window=90, n_doses=4)
    >>> rec.dose, rec.cohort_size, rec.reason  # a decision at cohort 3's first arrival: its 3 patients
    (1, 3, 'running')
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
        """Recommend the dose for the patients arriving next, from partially followed data.

        Cohorts are as the simulator (:func:`doseesc._kernels.tite.run_trial`) has them: the
        patients in order of enrolment, ``cohort_size`` at a time (the last one truncated at
        ``max_n``); the design decides at the arrival of each cohort's first patient, from the
        data then, and the cohort's other patients receive that dose as they arrive, with no
        new decision and no suspension check. So with a multiple of ``cohort_size`` patients
        enrolled (or none) this is a decision: the dose for the next cohort, ``cohort_size`` =
        its size (fewer if ``max_n`` leaves fewer), or a suspension or a stop; otherwise the
        current cohort is under way: ``dose`` = the current dose and ``cohort_size`` = the
        patients still to join it. A note says which (and, under way, whether a decision taken
        now would stop or suspend).

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
            follow-up. Per dose, on the quasi-beta posteriors Beta(1 + y, 1 + ESS_T - y) and
            Beta(1 + e, 1 + ESS_E - e) (with nothing pending at a dose, ESS = n: BOIN12's
            Beta(1, 1) posteriors, so with complete data every field below is
            :meth:`BOIN12.next_dose`'s): ``p_tox`` / ``p_eff`` their means (1 + y) / (2 +
            ESS_T) and (1 + e) / (2 + ESS_E); ``prob_acc_tox`` / ``prob_acc_eff`` P(p_T <
            phi_T) and P(p_E > phi_E); ``utility``: the desirability score (printed as
            ``score``); ``acceptable``: BOIN12's admissibility rule on these posteriors, for
            every dose on its own data (an untried dose on the priors alone), as the decision
            applies it; a note says which doses the decision weighs (d - 1, d, d + 1 around the
            current dose d). With outcomes pending the printed estimate headers carry a ``*`` and a note
            names the doses and their effective sample sizes. ``selected``: BOIN12's OBD from
            the patients whose both outcomes are known.

        Examples
        --------
        >>> import doseesc as de
        >>> d = de.TITEBOIN12(max_n=30)
        >>> data = {"dose": [1, 1, 1], "dlt": [0, 0, 0], "follow_up": [28, 10, 5],
        ...         "eff": [0, 0, 0], "eff_follow_up": [28, 10, 5]}
        >>> d.next_dose_tite(data, window=28, eff_window=84, n_doses=3).reason
        'suspended'
        >>> rec = d.next_dose_tite({k: v[:2] for k, v in data.items()}, window=28, eff_window=84, n_doses=3)
        >>> rec.dose, rec.cohort_size  # cohort 1 is under way: its third patient gets dose 1 too
        (1, 1)
        """
        window = v.positive("window", window, "length of the DLT window")
        eff_window = window if eff_window is None else v.positive("eff_window", eff_window,
                                                                  "length of the efficacy window")
        table = _patient_table12(data, window, eff_window, self.max_n)
        n_doses = self._resolve_n_doses(table[0].tolist(), n_doses)  # (its warning points at the caller)
        return TITEBOIN12._live(self, table, window, eff_window, n_doses, current_dose, decide=None)

    def _live(self, table: tuple, window: float, eff_window: float, n_doses: int, current_dose: int | None,
              decide: bool | None) -> Recommendation:
        """:meth:`next_dose_tite` on the checked patient table (:func:`_patient_table12`);
        ``decide`` True: a decision now whatever the cohorts (the cohorts of an outcome string,
        :meth:`next_dose`), without the note on cohorts; None: as the simulator's cohorts say."""
        from scipy import stats

        dose, dlt, fu, eff, efu = table
        if dose.size and dose.max() > n_doses:
            raise ValueError(f"data: dose level {int(dose.max())} is out of range (allowed 1 to {n_doses})")
        low = self.lower(n_doses)
        npat = int(dose.size)
        if current_dose is None:
            cur = int(dose[-1]) - 1 if npat else int(low.ipar[0])
        else:
            cur = v.integer("current_dose", current_dose, low=1, high=n_doses) - 1
        out = np.zeros((6, n_doses))
        nxt, reason, susp, sel = _k.live12(low.ipar, low.fpar, low.tab, low.rules, low.safety_tab, window, eff_window,
                                           dose - 1, dlt, fu, eff, efu, npat, cur, low.max_n, n_doses,
                                           low.n_work, out)
        stop = reason != CONTINUE
        base = getattr(self, "base", self)  # a Modified design: its base's options
        cs = int(low.ipar[1])
        left = int(low.max_n) - npat
        since = npat % cs
        under_way = decide is None and since != 0 and left > 0
        notes = []
        if under_way:  # the simulator's cohort: no decision before its last patient has arrived
            notes.append(cohort_under_way_note(npat, cs, int(low.max_n), cur, reason, stop, susp))
            nxt, reason, stop, susp = cur, CONTINUE, False, False
            size = min(cs - since, left)
        else:
            size = min(cs, left)
            if susp:
                notes.append(f"accrual suspended at dose {cur + 1}: too many of its patients have outcomes pending "
                             f"(toxicity over {base.accrual_suspend:g}, efficacy over {base.eff_suspend:g} of them"
                             f"{'; or any patient, wait_complete' if base.wait_complete else ''}); enrol again "
                             "after more follow-up")
            elif not stop and decide is None:
                first, last = npat + 1, npat + size
                notes.append(f"a decision at the first arrival of cohort {npat // cs + 1} (patients "
                             f"{first}-{last}; cohorts of {cs}): enrol {'them' if size > 1 else 'it'} at dose "
                             f"{nxt + 1}; the design decides again at the arrival of patient {last + 1}"
                             if last < low.max_n else
                             f"a decision at the first arrival of the last cohort (patient"
                             f"{f's {first}-{last}' if size > 1 else f' {first}'}; cohorts of {cs}, max_n "
                             f"{int(low.max_n)}): enrol {'them' if size > 1 else 'it'} at dose {nxt + 1}")
        # Per-dose summaries on the quasi-beta posteriors (BOIN12's own with nothing pending)
        idx = dose - 1
        pend_t = (dlt == 0) & (fu < window)
        pend_e = (eff == 0) & (efu < eff_window)
        n = np.bincount(idx, minlength=n_doses).astype(np.int64)
        y = np.bincount(idx, weights=dlt, minlength=n_doses).astype(np.int64)
        e = np.bincount(idx, weights=eff, minlength=n_doses).astype(np.int64)
        ess_t = np.bincount(idx, weights=np.where(pend_t, fu / window, 1.0), minlength=n_doses)
        ess_e = np.bincount(idx, weights=np.where(pend_e, efu / eff_window, 1.0), minlength=n_doses)
        m_t = np.bincount(idx, weights=pend_t, minlength=n_doses).astype(np.int64)
        m_e = np.bincount(idx, weights=pend_e, minlength=n_doses).astype(np.int64)
        # every dose by the decision's own rule (the kernel's admissibility, out[3]) on that dose's data alone
        acceptable = out[3] != 0
        heads = [("utility", "score")]  # BOIN12's desirability score, not a utility
        pending = np.flatnonzero(m_t + m_e > 0)
        if pending.size:
            heads = [(k, h + "*") for k, h in (("p_tox", "p_tox"), ("p_eff", "p_eff"), ("prob_acc_tox", "P(tox ok)"),
                                                ("prob_acc_eff", "P(eff ok)"), ("utility", "score"))]
            where = "; ".join(f"dose {d + 1}: {m_t[d]} toxicity and {m_e[d]} efficacy outcome"
                              f"{'s' if m_e[d] != 1 else ''} pending, ESS_T {ess_t[d]:.2f}, ESS_E {ess_e[d]:.2f}"
                              for d in pending)
            notes.append(f"*: outcomes pending ({where}): at these doses p_tox, p_eff, P(tox ok) and P(eff ok) are "
                         "from the quasi-beta posteriors Beta(1 + y, 1 + ESS_T - y) and Beta(1 + e, 1 + ESS_E - e) "
                         "(each pending outcome counts as its follow-up over its window), and the score imputes "
                         "the pending outcomes; at the other doses they are BOIN12's (Beta(1, 1) priors, complete "
                         "data)")
        notes.append(acceptable_note(base, n, cur if npat else None, quasi=True))
        return Recommendation(
            notes=tuple(notes),
            dose=None if (stop or susp) else int(nxt) + 1,
            cohort_size=0 if (stop or susp) else int(size),
            stop=bool(stop),
            reason="suspended" if susp else STOP_REASONS[reason],
            selected=None if sel < 0 else int(sel) + 1,
            n_patients=n,
            n_dlt=y,
            n_eff=e,
            p_tox=(1.0 + y) / (2.0 + ess_t),
            p_eff=(1.0 + e) / (2.0 + ess_e),
            prob_acc_tox=stats.beta.cdf(base.phi_t, 1 + y, 1 + ess_t - y),
            prob_acc_eff=stats.beta.sf(base.phi_e, 1 + e, 1 + ess_e - e),
            utility=out[2].copy(),
            acceptable=acceptable,
            column_heads=tuple(heads),
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

        def decide():  # each cohort of the string is a decision point, as in BOIN12's next_dose
            return TITEBOIN12._live(self, _patient_table12(rows, 1.0, 1.0, low.max_n), 1.0, 1.0, n_doses, None,
                                    decide=True)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeviationWarning)
            rec = decide()
            for i, c in enumerate(cohorts):
                before.append(rec)
                add(c)
                rec = decide()
                if rec.stop:
                    stop_at, stop_rec = i, rec
                    break
            if 0 <= stop_at < len(cohorts) - 1:
                for c in cohorts[stop_at + 1:]:
                    add(c)
                rec = decide()
        rec_dose = np.array([-1 if r.dose is None else r.dose - 1 for r in before], dtype=np.int64)
        rec_size = np.array([r.cohort_size for r in before], dtype=np.int64)
        notes = deviations(cohorts, rec_dose, rec_size, stop_at,
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
