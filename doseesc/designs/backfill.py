"""Backfill cohorts: BF-BOIN (Zhao, Yuan, Korn & Freidlin 2024, Clin Cancer Res 30:673), and the
same arrival-driven backfill for the 3+3, the CRM and the BLRM.

``design.with_backfill(cap=, end_with_escalation=)`` treats patients who arrive while the
escalation cohort is in follow-up at a lower dose that has been cleared and where a response
was seen, instead of turning them away. For BOIN the rules are R bfboin's (Magirr & Zhang, the
open implementation of the paper); for the 3+3, the CRM and the BLRM the design-free rules are the same
and the BOIN-specific ones (the safety test, the conflict rule) are replaced by each design's
own: see :class:`Backfill` and :mod:`doseesc._kernels.backfill`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from .. import _validate as v
from .._kernels import backfill as _kb
from .._kernels import crm as _kc
from .._kernels import interval as _ki
from .._kernels.codes import BF_3P3, BF_BLRM, BF_BOIN, BF_CRM
from .base import Design, Lowered
from .blrm import BLRM
from .crm import CRM
from .interval import BOIN
from .threep3 import ThreePlusThree


@dataclass(frozen=True)
class Backfill(Design):
    """A cohort design with backfill cohorts (build it with ``design.with_backfill(...)``).

    Parameters
    ----------
    base : BOIN, ThreePlusThree, CRM or BLRM
        The escalation design (BOIN without titration or extrasafe; the 3+3; the CRM without a
        two-stage ``x0``; the BLRM with rule ``"ncrm"`` or ``"ewoc"``). Its ``max_n`` bounds the
        *escalation* patients; backfill patients come on top of it, and they count in every
        decision, BOIN's ``n_earlystop`` and the BLRM's stopping rules included.
    cap : int
        A dose is open for backfill while at most ``cap`` patients (escalation and backfill,
        pending included) have been enrolled at it: R bfboin's ``n.cap``, whose check is
        ``<=``, so a dose can end with ``cap + 1`` patients. With this reading ``cap=12``
        reproduces Zhao et al.'s Table 4 (their ``n.cap = 12``); ``cap=11`` closes at 12.
    end_with_escalation : bool
        True (the paper's rule): nobody is backfilled once escalation has ended. False:
        arrivals are still backfilled after it (same rules, below the last escalation dose)
        until the first one who finds no open dose.
    wait_for_backfill : bool
        True: the final analysis waits for the outcome of every backfill patient still in
        follow-up when escalation ends (they count in the selection and the records; the
        duration runs to the last outcome). This reproduces the paper's sample sizes and
        durations. False: they are left out and the duration ends with the last escalation
        cohort, as R bfboin 0.1.1 counts (only with ``end_with_escalation``).

    Notes
    -----
    The design-free rules are BF-BOIN's for every base design: a dose below the current
    escalation dose opens once a response was seen there, while it holds at most ``cap``
    patients; backfill patients' outcomes count in the escalation decisions from the moment
    they are known; arrivals nobody can take are turned away; backfill ends with escalation (or
    as configured). What "safe" means and how backfill data enter the decisions is the base
    design's own:

    * BOIN: R bfboin's rules (a dose is safe when its observed DLT rate, alone or pooled with
      the next dose up, is below the de-escalation boundary; conflicting lower doses are pooled
      with the current one).
    * 3+3 (this package's rules, from the 3+3's own; no published 3+3 backfill rule was checked):
      backfill patients count in the dose's DLT tally (every patient treated at the dose
      level). A dose with >= 2 DLTs among
      its known patients (escalation and backfill) is too toxic: it and every dose above it close
      for backfill, and at the next decision the trial de-escalates from the lowest such dose
      below the current one exactly as the 3+3 de-escalates from a dose with >= 2 DLTs (fill the
      dose below to 6 patients, never escalate again; stop if it already holds 6). The final
      selection is the 3+3's on all patients: the highest dose with >= 3 patients and a DLT
      rate <= 1/6 below every dose with >= 2 DLTs.
    * CRM: backfill data simply enter the model (every patient's known outcome is in the
      likelihood at every decision and in the final selection, as any patient's would). This
      rule and the safety test are this package's; no published CRM backfill rule was
      available here to check them against. The safety test: a dose is open while it is at or below
      the model's recommendation on the outcomes known when the patient arrives (and below the
      current dose); if the model's safety rule would stop, no dose is open. The escalation decision
      keeps the CRM's restrictions (no skipping, no escalation after a cohort at or above the
      target rate), which act on the escalation cohort.
    * BLRM (rules ``"ncrm"`` and ``"ewoc"``; this package's rules, by analogy with the CRM's; no
      published BLRM backfill rule was checked): every known outcome (escalation and backfill)
      enters the posterior at every decision and in the final selection. The safety test: a
      dose is open while it and every dose below it are eligible under the BLRM's overdose
      control on the outcomes known when the patient arrives (P(overdose) <= ``overdose_max``,
      or the increasing feasibility bound); when dose 1 is not eligible (the BLRM would stop for
      safety) no dose is open. The escalation decision keeps the BLRM's own rules: the increments
      and the no-skipping rule act from the current escalation dose, no eligible dose stops the
      trial for safety, ``max_n`` counts escalation patients only. The pieces that count
      patients count every patient in the model's data, backfill included: the stopping rules
      (``min_patients``, ``patients_near_dose``, ``min_cohorts`` and ``cohorts_near_dose`` with
      cohorts of ``cohort_size``) and the feasibility bound's cohort count (``ceil(n / cohort_size)``).
      The decision cache is keyed by the per-dose counts of all patients, and the grid's step in
      log alpha is set for the most patients a trial can hold (``max_n`` plus ``cap + 1`` per
      dose), so ``max_n + cap + 1`` may be at most 1000. The selection is the next best dose on the
      final analysis's data, with the increments from the last escalation dose (without backfill
      patients this is the last decision's, crmPack's recommendation); if no dose is eligible
      there, none is selected.

    Simulation needs a scenario with a time model (``waiting="turn_away"``, no drop-out) and
    efficacy (``p_eff``: a dose opens for backfill once a response was seen there). Records
    gain ``n_backfill`` (backfill patients per dose); ``turned_away`` counts those nobody
    could take. Live use (``next_dose``) and exact enumeration are not available: the
    decisions depend on the times at which outcomes become known.

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.BOIN(target=0.25, cohort_size=3, max_n=30, n_earlystop=9).with_backfill(cap=12)
    >>> sc = de.Scenario([0.12, 0.25, 0.42, 0.49, 0.55], target=0.25, p_eff=[0.2, 0.3, 0.4, 0.5, 0.6],
    ...                  time=de.TimeModel(window=1, accrual="uniform", rate=3, onset="late"))
    >>> oc = de.simulate(d, sc, n_trials=500, seed=1)
    >>> bool(oc.backfill > 0)
    True
    """

    base: Design = None  # type: ignore[assignment]
    cap: int = 12
    end_with_escalation: bool = True
    wait_for_backfill: bool = True

    family: ClassVar[str] = "BF"
    exact_ok: ClassVar[bool] = False
    reports_estimates: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if type(self.base) not in (BOIN, ThreePlusThree, CRM, BLRM):
            raise ValueError(f"with_backfill: available for BOIN, 3+3, CRM and BLRM designs (without modifiers), got "
                             f"{v._short(self.base)}")
        if type(self.base) is BLRM and self.base.rule not in ("ncrm", "ewoc"):
            raise ValueError(f"rule: the BLRM with backfill supports rule 'ncrm' or 'ewoc', got {self.base.rule!r}")
        if type(self.base) is ThreePlusThree and not self.base.is_three_plus_three:
            raise ValueError(f"with_backfill: the backfill 3+3 follows the 3+3's rules (A = B = 3, C = D = E = 1); "
                             f"not available for the A+B design {self.base.ab_text}")
        if type(self.base) is BOIN and (self.base.titration or self.base.extrasafe):
            raise ValueError("with_backfill: BOIN's titration and extrasafe options are not available with backfill")
        if type(self.base) is CRM and self.base.x0 is not None:
            raise ValueError("with_backfill: the CRM's two-stage initial design (x0) is not available with backfill")
        object.__setattr__(self, "cap", v.integer("cap", self.cap, low=1, high=v.MAX_PATIENTS))
        for name in ("end_with_escalation", "wait_for_backfill"):
            val = getattr(self, name)
            if not isinstance(val, (bool, np.bool_)):
                raise ValueError(f"{name}: must be true or false, got {val!r}")
            object.__setattr__(self, name, bool(val))
        if not self.end_with_escalation and not self.wait_for_backfill:
            raise ValueError("wait_for_backfill: must be true when end_with_escalation is false (backfill after "
                             "escalation is only useful if the analysis waits for it)")

    @property
    def start_dose(self) -> int:
        return self.base.start_dose

    @property
    def max_n(self) -> int | None:
        """The escalation design's maximum sample size (None for the 3+3, which has none)."""
        return getattr(self.base, "max_n", None)

    @property
    def target(self) -> float | None:
        return getattr(self.base, "target", None)

    @property
    def fixed_n_doses(self) -> int | None:
        return self.base.fixed_n_doses

    def _auto_label(self) -> str:
        return f"BF-{self.base.label()} (cap {self.cap})"

    def to_dict(self) -> dict:
        out = self.base.to_dict()
        if self.name:
            out["name"] = self.name
        out["backfill"] = {"cap": self.cap, "end_with_escalation": self.end_with_escalation,
                           "wait_for_backfill": self.wait_for_backfill}
        return out

    def _lower(self, n_doses: int) -> Lowered:
        if type(self.base) is ThreePlusThree:
            return self._lower_3p3(n_doses)
        if type(self.base) is CRM:
            return self._lower_crm(n_doses)
        if type(self.base) is BLRM:
            return self._lower_blrm(n_doses)
        T = self.base.max_n + n_doses * (self.cap + 1)  # bounds every pooled count
        table = replace(self.base, stay_at_1_of_3=False, max_n=T, name=None).lower(n_doses)
        ipar = np.zeros(_kb.N_IPAR, dtype=np.int64)
        ipar[:_ki.N_IPAR] = table.ipar
        ipar[_kb.I_CAP] = self.cap
        ipar[_kb.I_END_WITH_ESC] = int(self.end_with_escalation)
        ipar[_kb.I_STAY13] = int(self.base.stay_at_1_of_3)
        ipar[_kb.I_WAIT] = int(self.wait_for_backfill)
        return Lowered(code=BF_BOIN, ipar=ipar, fpar=table.fpar, tab=table.tab, n_aux=table.n_aux,
                       n_work=table.n_work, max_n=self.base.max_n, n_doses=n_doses, efficacy=0)

    def _options(self) -> np.ndarray:
        """The backfill options, appended to the escalation design's ``ipar`` (``_kb.B_*``)."""
        out = np.zeros(_kb.N_BF, dtype=np.int64)
        out[_kb.B_CAP] = self.cap
        out[_kb.B_END_WITH_ESC] = int(self.end_with_escalation)
        out[_kb.B_WAIT] = int(self.wait_for_backfill)
        return out

    def _lower_3p3(self, n_doses: int) -> Lowered:
        low = self.base.lower(n_doses)
        return low._replace(code=BF_3P3, ipar=np.concatenate([low.ipar, self._options()]), n_aux=1, n_work=1,
                       efficacy=0)

    def _lower_crm(self, n_doses: int) -> Lowered:
        # the model sees every patient: its grid is built for the most a trial can hold
        # (escalation plus cap + 1 per dose), and its own max_n never stops the kernel
        T = self.base.max_n + n_doses * (self.cap + 1)
        if self.base.max_n + self.cap + 1 > v.MAX_PATIENTS:
            raise ValueError(f"cap: with the CRM's max_n = {self.base.max_n} the cap must be at most "
                             f"{v.MAX_PATIENTS - self.base.max_n - 1}, got {self.cap}")
        low = replace(self.base, max_n=min(T, v.MAX_PATIENTS), name=None).lower(n_doses)
        ipar = low.ipar.copy()
        ipar[_kc.I_MAX_N] = v.MAX_PATIENTS * (n_doses + 1)
        return low._replace(code=BF_CRM, ipar=np.concatenate([ipar, self._options()]), max_n=self.base.max_n,
                       efficacy=0)

    def _lower_blrm(self, n_doses: int) -> Lowered:
        # the grid's step in log alpha comes from the bound on the posterior's width at the most
        # patients a trial can hold (escalation plus cap + 1 per dose); the escalation's max_n is
        # the kernel's (the BLRM kernel itself never stops on it)
        if self.base.max_n + self.cap + 1 > v.MAX_PATIENTS:
            raise ValueError(f"cap: with the BLRM's max_n = {self.base.max_n} the cap must be at most "
                             f"{v.MAX_PATIENTS - self.base.max_n - 1}, got {self.cap}")
        T = min(self.base.max_n + n_doses * (self.cap + 1), v.MAX_PATIENTS)
        low = replace(self.base, max_n=T, name=None).lower(n_doses)
        opts = self._options()
        return low._replace(code=BF_BLRM, ipar=np.concatenate([low.ipar, opts]), max_n=self.base.max_n,
                            efficacy=0, n_aux=max(low.n_aux, 2))

    def _protocol(self, scenario):
        p = self.base._protocol(scenario)
        p.title = self.label()
        after = ("No patient is backfilled once dose escalation has ended" if self.end_with_escalation else
                 "After dose escalation has ended, arriving patients are still backfilled by the same rules until "
                 "the first one who finds no open dose")
        wait = ("the final analysis waits for the DLT assessment of every backfill patient" if self.wait_for_backfill
                else "backfill patients whose DLT assessment is incomplete when the last escalation cohort completes "
                     "are not in the final analysis")
        if type(self.base) is BOIN:
            safe = ("and whose observed DLT rate, alone or pooled with the next higher dose, is below the "
                    "de-escalation boundary (an unsafe dose closes every dose above it). Patients who cannot be "
                    "backfilled are turned away. Backfill patients count in every decision: when the data of a lower "
                    "dose conflict with the current dose's decision, the doses from the highest conflicting one up are "
                    "pooled (Zhao et al. 2024, BF-BOIN; R bfboin's rules)")
        elif type(self.base) is ThreePlusThree:
            safe = ("and where fewer than 2 of the patients whose DLT assessment is complete (escalation and backfill) "
                    "had a DLT (a dose with 2 or more closes every dose above it). Patients who cannot be backfilled "
                    "are turned away. Backfill patients count in the dose's DLT tally: when a dose below the current "
                    "one reaches 2 or more DLTs, the next decision de-escalates from it as the 3+3 does from a dose "
                    "with 2 or more DLTs, and the final selection uses every patient")
        elif type(self.base) is BLRM:
            safe = ("and that, with every dose below it, is eligible under the model's overdose control (posterior "
                    "probability of overdosing at most the bound) on every outcome known when the patient arrives; no "
                    "dose is open when the lowest dose is not eligible. Patients who cannot be backfilled are turned "
                    "away. Backfill patients' outcomes enter the model at every decision, its stopping rules and "
                    "overdose bound count them, and the final selection uses every patient in the final analysis")
        else:
            safe = ("and that is at or below the dose the model recommends on every outcome known when the patient "
                    "arrives. Patients who cannot be backfilled are turned away. Backfill patients' outcomes enter the "
                    "model at every decision and in the final selection")
        p.set_section("Backfill", (
            "Patients who arrive while the escalation cohort is in DLT follow-up are treated at the highest dose "
            "below the current one that is open for backfill: a dose that has been cleared (escalation has passed "
            "it), where at least one response has been observed, that has at most "
            f"{self.cap} patients enrolled (escalation and backfill) when the patient arrives, {safe}. "
            f"{after}; {wait}." + ("" if type(self.base) is BOIN else (
                f" These backfill rules for the {self.base.family.upper()} are doseesc's own: no published backfill "
                "rule or peer implementation for it was available to check against. They are checked against a "
                "plain-Python simulator of the same rules, trial by trial, and give the plain design's trials when no "
                "response occurs."))))
        p.set_row("Backfill", f"cap {self.cap}, end with escalation: {self.end_with_escalation}, "
                              f"wait for backfill follow-up: {self.wait_for_backfill}")
        return p

    def next_dose(self, outcomes: str = "", n_doses: int | None = None):
        """Not available: backfill decisions depend on when each outcome became known."""
        raise ValueError("outcomes: live recommendations are not available for backfill designs (their decisions "
                         "depend on when each outcome became known); use the base design's next_dose for the "
                         "escalation cohort")

    def select(self, n_patients: Any, n_dlt: Any) -> int | None:
        """The final selection: the base design's (R BOIN ``select.mtd``) on all patients."""
        return self.base.select(n_patients, n_dlt)


def with_backfill(self: Design, cap: int = 12, end_with_escalation: bool = True,
                  wait_for_backfill: bool = True) -> Backfill:
    """Add backfill cohorts (BF-BOIN, Zhao et al. 2024; the 3+3, the CRM and the BLRM with the same
    arrival-driven rules and their own safety rules): see :class:`~doseesc.designs.backfill.Backfill`.

    Examples
    --------
    >>> import doseesc as de
    >>> de.BOIN(target=0.25, cohort_size=3, max_n=30).with_backfill(cap=12).label()
    'BF-BOIN (target 0.25) (cap 12)'
    >>> de.ThreePlusThree().with_backfill(cap=9).label()
    'BF-3+3 (cap 9)'
    >>> de.CRM(skeleton=[0.05, 0.12, 0.25, 0.4], target=0.25, cohort_size=3, max_n=24).with_backfill().cap
    12
    >>> de.BLRM(doses=[1, 2, 4, 8], d_ref=4, max_n=24).with_backfill(cap=9).label()
    'BF-BLRM (ncrm) (cap 9)'
    """
    return Backfill(base=self, cap=cap, end_with_escalation=end_with_escalation, wait_for_backfill=wait_for_backfill)


Design.with_backfill = with_backfill  # type: ignore[attr-defined]
