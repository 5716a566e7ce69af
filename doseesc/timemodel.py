"""Time in trials: patient accrual, DLT observation window and DLT onset, efficacy assessment window and onset."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _validate as v

ACCRUALS = ("fixed", "poisson", "uniform")
#: Allowed DLT windows (any time unit) and arrivals per window (rate x window): wide enough for
#: any trial (the MSC trials had ~0.2 arrivals per 28-day window), narrow enough that every
#: arrival time, duration and its variance is a finite, well-resolved double and a simulated
#: trial has a bounded number of arrivals (at most ~1,000 turned away per wait).
WINDOW_RANGE = (1e-6, 1e9)
PER_WINDOW_RANGE = (1e-4, 1e3)
SHAPE_RANGE = (0.05, 20.0)
ONSETS = ("uniform", "weibull", "late")
WAITING = ("turn_away", "queue")
CLOCKS = ("opening", "first_patient")


@dataclass(frozen=True)
class TimeModel:
    """Accrual and DLT-window model.

    Parameters
    ----------
    window : float
        Length of the DLT observation window (any time unit; durations are reported in it),
        from 1e-6 to 1e9.
    accrual : {"fixed", "poisson", "uniform"}
        Patients arrive every ``1 / rate`` time units, as a Poisson process with ``rate``, or
        with independent gaps uniform on (0, 2 / rate) (the accrual of the BF-BOIN app and of
        R bfboin's ``accrual = "uniform"``).
        The trial opens at time 0 and the first patient arrives one inter-arrival gap later
        (as in dfcrm ``titesim``); durations run from the opening to the last decision.
    rate : float
        Mean arrivals per time unit (e.g. ``3 / 28``: three patients per 28-day window); the
        arrivals per window, ``rate * window``, must be from 1e-4 to 1,000.
    onset : {"uniform", "weibull", "late"}
        Time of a DLT within the window, given that it happens: uniform on (0, window);
        Weibull with shape ``shape`` and scale ``window``, truncated to the window
        (``shape`` < 1: early onsets, > 1: late onsets); or ``"late"``, the simulation model
        of the TITE-BOIN papers (Yuan et al. 2018; Lin & Yuan 2020) and of R's TITEgBOIN: the
        time to DLT is Weibull with parameters set per dose so that the DLT probability within
        the window is the dose's ``p_tox`` and a share ``late_share`` of the DLTs occur in the
        last ``late_part`` of the window.
    shape : float
        Weibull shape (only with ``onset="weibull"``), from 0.05 to 20.
    late_share, late_part : float
        Only with ``onset="late"``: that share of the DLTs (default 0.5) falls in that last
        fraction of the window (default 0.5). ``late_share == late_part`` is close to uniform
        onsets; a larger share is later onset. Both in (0, 1).
    waiting : {"turn_away", "queue"}
        Designs that decide after a cohort's full follow-up (3+3, BOIN, CRM, ...) wait until
        every patient of the cohort has had a DLT or completed the window. Patients arriving
        meanwhile are turned away (lost to the trial) or queue and are treated once the next
        decision is made (their waiting time is reported).
    dropout : float
        Drop-out hazard per time unit (default 0: nobody drops out). Each enrolled patient's
        time from enrolment to drop-out is exponential with this rate, P(drop-out before the
        window ends) = ``1 - exp(-dropout * window)``, which must be at most 99%. A patient who
        drops out before their outcome is known (before their DLT onset if they have a DLT,
        else before the window ends) is not evaluable. Cohort designs never see them and enrol a
        replacement at the same dose (the next patient in enrolment order), so the cohort's
        decision waits for the replacement's follow-up; time-to-event designs censor them at the
        drop-out (their follow-up stops growing and a later DLT is never observed) and do not
        replace them. Records count evaluable patients in ``n_patients`` and drop-outs in
        ``n_dropout``.

    clock_from : {"opening", "first_patient"}
        Where durations start. ``"opening"`` (default, as dfcrm ``titesim``): at the trial's
        opening, with the first patient arriving one inter-arrival gap later.
        ``"first_patient"``: at the first patient's arrival, at time 0 (as R bfboin, TITEgBOIN
        and the BF-BOIN paper count durations).
    eff_window : float, optional
        Length of the efficacy assessment window (same time unit as ``window``; from 1e-6 to
        1e9). Default: None, the DLT window. Time-to-event phase I/II designs
        (:class:`~doseesc.TITEBOIN12`) decide on partial efficacy follow-up over it; phase I/II
        designs that decide on complete data (:class:`~doseesc.BOIN12`, :class:`~doseesc.EffTox`
        and their modified versions) wait, after each cohort, for every patient's complete
        assessment: ``max(window, eff_window)`` after their enrolment (:func:`waits_complete`,
        :meth:`TimeModel.pack`). Toxicity-only designs ignore it (their records are unchanged).
    eff_onset : {"uniform", "weibull", "late"}
        Time of a response within the efficacy window, given that it happens: the three models
        of ``onset`` with ``eff_window`` for ``window``, ``eff_shape`` for ``shape`` and
        ``eff_late_share`` / ``eff_late_part`` for ``late_share`` / ``late_part``; ``"late"``
        sets the Weibull per dose from the dose's marginal response probability (as the
        TITE-BOIN12 paper's simulations set the time to efficacy).
    eff_shape : float
        Weibull shape of the response time (only with ``eff_onset="weibull"``), from 0.05 to 20.
    eff_late_share, eff_late_part : float
        Only with ``eff_onset="late"``: that share of the responses (default 0.5) falls in that
        last fraction of the efficacy window (default 0.5). Both in (0, 1).

    Examples
    --------
    >>> import doseesc as de
    >>> tm = de.TimeModel(window=28, accrual="fixed", rate=3 / 28)
    >>> tm.mean_gap
    9.333333333333334
    """

    window: float
    accrual: str = "fixed"
    rate: float = 1.0
    onset: str = "uniform"
    shape: float = 1.0
    waiting: str = "turn_away"
    dropout: float = 0.0
    late_share: float = 0.5
    late_part: float = 0.5
    clock_from: str = "opening"
    eff_window: float | None = None
    eff_onset: str = "uniform"
    eff_shape: float = 1.0
    eff_late_share: float = 0.5
    eff_late_part: float = 0.5

    def __post_init__(self) -> None:
        w = v.positive("window", self.window, "length of the DLT window")
        if not WINDOW_RANGE[0] <= w <= WINDOW_RANGE[1]:
            raise ValueError(f"window: must be from {WINDOW_RANGE[0]:g} to {WINDOW_RANGE[1]:g} (length of the DLT "
                             f"window, in any time unit), got {self.window!r}")
        object.__setattr__(self, "window", w)
        v.choice("accrual", self.accrual, ACCRUALS)
        rate = v.positive("rate", self.rate, "mean arrivals per time unit")
        lo, hi = PER_WINDOW_RANGE
        if not lo <= rate * w <= hi:
            raise ValueError(f"rate: must give from {lo:g} to {hi:g} arrivals per DLT window (rate x window), i.e. "
                             f"a rate from {lo / w:.6g} to {hi / w:.6g} per time unit for window = {w:g}, "
                             f"got {self.rate!r}")
        object.__setattr__(self, "rate", rate)
        v.choice("onset", self.onset, ONSETS)
        shape = v.positive("shape", self.shape)
        if not SHAPE_RANGE[0] <= shape <= SHAPE_RANGE[1]:
            raise ValueError(f"shape: must be from {SHAPE_RANGE[0]:g} to {SHAPE_RANGE[1]:g} (Weibull shape of the "
                             f"DLT onset), got {self.shape!r}")
        object.__setattr__(self, "shape", shape)
        v.choice("waiting", self.waiting, WAITING)
        d = v.number("dropout", self.dropout)
        # beyond 99% drop-outs per window a cohort could need hundreds of replacements per patient
        top = math.log(100.0) / w
        if not 0 <= d <= top:
            raise ValueError(f"dropout: must be >= 0 and <= log(100) / window = {top:.6g} (drop-out hazard per "
                             f"time unit; at most 99% drop-outs within the window), got {self.dropout!r}")
        object.__setattr__(self, "dropout", d)
        for f in ("late_share", "late_part"):
            object.__setattr__(self, f, v.open_unit(f, getattr(self, f)))
        v.choice("clock_from", self.clock_from, CLOCKS)
        if self.eff_window is not None:
            we = v.positive("eff_window", self.eff_window, "length of the efficacy assessment window")
            if not WINDOW_RANGE[0] <= we <= WINDOW_RANGE[1]:
                raise ValueError(f"eff_window: must be from {WINDOW_RANGE[0]:g} to {WINDOW_RANGE[1]:g} (length of "
                                 f"the efficacy window, in the unit of window), got {self.eff_window!r}")
            object.__setattr__(self, "eff_window", we)
        v.choice("eff_onset", self.eff_onset, ONSETS)
        es = v.positive("eff_shape", self.eff_shape)
        if not SHAPE_RANGE[0] <= es <= SHAPE_RANGE[1]:
            raise ValueError(f"eff_shape: must be from {SHAPE_RANGE[0]:g} to {SHAPE_RANGE[1]:g} (Weibull shape of "
                             f"the response time), got {self.eff_shape!r}")
        object.__setattr__(self, "eff_shape", es)
        for f in ("eff_late_share", "eff_late_part"):
            object.__setattr__(self, f, v.open_unit(f, getattr(self, f)))
        # settings of one onset model given with another: no effect, so refused (as the command line does)
        for model, onset, fields in (("weibull", "onset", ("shape",)), ("late", "onset", ("late_share", "late_part")),
                                     ("weibull", "eff_onset", ("eff_shape",)),
                                     ("late", "eff_onset", ("eff_late_share", "eff_late_part"))):
            if getattr(self, onset) != model:
                for f in fields:
                    default = 1.0 if f.endswith("shape") else 0.5
                    if getattr(self, f) != default:
                        raise ValueError(f"{f}: only with {onset}={model!r} (it has no effect with {onset}="
                                         f"{getattr(self, onset)!r}), got {getattr(self, f):g}")

    @property
    def mean_gap(self) -> float:
        return 1.0 / self.rate

    @property
    def efficacy_window(self) -> float:
        """The efficacy assessment window in force (``eff_window``, else the DLT window)."""
        return self.window if self.eff_window is None else self.eff_window

    @property
    def assessment_window(self) -> float:
        """How long a patient's complete assessment takes: ``max(window, efficacy_window)``."""
        return max(self.window, self.efficacy_window)

    def pack(self, complete: bool = False) -> np.ndarray:
        """[on, window, accrual, rate, onset, shape, waiting, dropout, late share, late part, clock,
        efficacy window, efficacy onset, efficacy shape, efficacy late share, efficacy late part]
        for the kernels.

        ``complete``: for a phase I/II design that decides on complete data in the cohort loop
        (:func:`waits_complete`), which waits after each cohort until every patient has had a DLT
        or completed the window ``tm[1]`` and knows a response with the DLT outcome. When the
        efficacy window is the longer, each patient's assessment is complete only at its end,
        DLT or not (a DLT, within the shorter DLT window, does not end the efficacy
        assessment): the window becomes the efficacy window and the DLT onset the Weibull of
        infinite shape, whose time is the window itself (``w * x ** (1 / inf) == w``). Only
        the waits change: the toxicity, efficacy and arrival draws, and so every decision,
        are the same. Otherwise (no ``eff_window``, or one no longer than the DLT window) the
        efficacy assessment is taken to be within the DLT window, as without ``complete``.
        """
        a = np.array([1.0, self.window, ACCRUALS.index(self.accrual), self.rate, ONSETS.index(self.onset),
                      self.shape, WAITING.index(self.waiting), self.dropout, self.late_share, self.late_part,
                      CLOCKS.index(self.clock_from), self.efficacy_window, ONSETS.index(self.eff_onset),
                      self.eff_shape, self.eff_late_share, self.eff_late_part], dtype=np.float64)
        if complete and self.efficacy_window > self.window:
            a[1] = self.efficacy_window
            a[4] = ONSETS.index("weibull")
            a[5] = math.inf
        return a

    def waited(self) -> dict:
        """What a design that waits for complete data (:func:`waits_complete`) waits after each
        cohort, for ``OperatingCharacteristics.meta["waited_window"]``: the ``length`` after the
        last patient's enrolment and the ``window`` field it comes from."""
        if self.efficacy_window > self.window:
            return {"length": self.efficacy_window, "window": "eff_window",
                    "note": "each patient's complete toxicity and efficacy assessment, max(window, eff_window)"}
        return {"length": self.window, "window": "window",
                "note": ("the DLT window; the efficacy assessment is taken to be within it"
                         + (" (no eff_window)" if self.eff_window is None else " (eff_window <= window)"))}

    def to_dict(self) -> dict:
        return {"window": self.window, "accrual": self.accrual, "rate": self.rate, "onset": self.onset,
                "shape": self.shape, "waiting": self.waiting, "dropout": self.dropout, "late_share": self.late_share,
                "late_part": self.late_part,
                **({"clock_from": self.clock_from} if self.clock_from != "opening" else {}),
                **{f: getattr(self, f) for f, d in _EFF_DEFAULTS.items() if getattr(self, f) != d}}


# efficacy fields: in ``to_dict`` only when set, so resolved runs without them read as before
_EFF_DEFAULTS = {"eff_window": None, "eff_onset": "uniform", "eff_shape": 1.0, "eff_late_share": 0.5,
                 "eff_late_part": 0.5}
NO_TIME = np.zeros(16, dtype=np.float64)


def pack(tm: TimeModel | None, complete: bool = False) -> np.ndarray:
    return NO_TIME if tm is None else tm.pack(complete)


def waits_complete(design) -> bool:
    """Whether ``design`` decides on complete efficacy and toxicity data after each cohort: a
    phase I/II design that is not time-to-event (BOIN12, EffTox and their :class:`Modified`
    versions; not TITE-BOIN12, which decides on pending data). Under a time model each of its
    cohorts waits for the patients' complete assessment (:meth:`TimeModel.pack`)."""
    return bool(getattr(design, "uses_efficacy", False)) and not getattr(design, "time_to_event", False)


def waiting_text(tm: TimeModel) -> tuple[str, str]:
    """What a design that waits for complete data (:func:`waits_complete`) waits after each cohort
    under ``tm``: a protocol sentence and a specification row's value."""
    left = "turned away" if tm.waiting == "turn_away" else "queue until the next decision"
    if tm.efficacy_window > tm.window:
        return (f"Each decision waits until every patient of the last cohort has completed the efficacy window "
                f"({tm.efficacy_window:g} after enrolment; the DLT window is {tm.window:g}), so the design decides "
                f"on complete toxicity and efficacy data; patients arriving meanwhile are {left}.",
                f"{tm.efficacy_window:g} after the last enrolment (the efficacy window)")
    why = "no efficacy window is given" if tm.eff_window is None else f"the efficacy window is {tm.eff_window:g}"
    return (f"Each decision waits until every patient of the last cohort has had a DLT or completed the DLT window "
            f"({tm.window:g}); {why}, so each response is taken to be assessed within the DLT window. Patients "
            f"arriving meanwhile are {left}.",
            f"{tm.window:g} after the last enrolment (the DLT window; efficacy assessed within it)")
