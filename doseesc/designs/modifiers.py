"""Composable rules that wrap any design and override one decision each.

>>> import doseesc as de
>>> d = de.ThreePlusThree().dont_skip_doses().stop_for_safety(0.9, target=0.3)
>>> d.label()
'3+3 + no skipping + safety stop P(p1 > 0.3) > 0.9'

Order of application after each cohort (whatever order the methods were chained in):
(1) the base design decides; (2) ``dont_skip_doses`` caps an escalation at one level above
the highest dose tried; (3) ``stop_for_safety`` stops the trial with no dose selected when
P(p_dose > target | data) > threshold under a Beta prior, once ``min_n`` patients were
treated at that dose; (4) ``stop_when_n_at_dose`` stops (the design's selection stands) when
the recommended next dose (or the dose just treated, or any dose) has ``n`` patients; (5)
``stop_at_n`` caps the total sample size (the last cohort is truncated). At the end,
``select_among_treated`` moves a selected dose with too few patients down to the nearest dose with
enough.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import ClassVar

import numpy as np

from .. import _validate as v
from .base import Design, Lowered


@dataclass(frozen=True)
class Modified(Design):
    """A design with composable rules on top (use the ``Design`` methods to build one)."""

    base: Design = None  # type: ignore[assignment]
    stop_n_at_dose: int | None = None
    n_at_dose_of: str | int = "recommended"
    safety_threshold: float | None = None
    safety_target: float | None = None
    safety_prior: tuple = (1.0, 1.0)
    safety_min_n: int = 3
    safety_dose: int = 1
    dont_skip: bool = False
    stop_at: int | None = None
    select_min_n: int | None = None

    family: ClassVar[str] = "modified"

    def __post_init__(self) -> None:
        if not isinstance(self.base, Design) or isinstance(self.base, Modified):
            raise ValueError("base: expected a design without modifiers")
        if hasattr(self.base, "n_scores"):  # the graded trial loop applies no composable rules
            raise ValueError(f"base: the composable rules (stop_when_n_at_dose, stop_for_safety, dont_skip_doses, "
                             f"stop_at_n, select_among_treated) are not available for the graded design "
                             f"{self.base.family}; allowed bases: the binary-toxicity and phase I/II designs")
        if self.stop_n_at_dose is not None:
            object.__setattr__(self, "stop_n_at_dose", v.integer("stop_n_at_dose", self.stop_n_at_dose, low=1,
                                                                    high=v.MAX_PATIENTS))
        of = self.n_at_dose_of
        if isinstance(of, str) and of.strip().isdigit():  # from the command line or a run file
            of = int(of)
        if isinstance(of, (int, np.integer)) and not isinstance(of, bool):
            object.__setattr__(self, "n_at_dose_of", v.integer("n_at_dose_of", of, low=1, high=v.MAX_DOSES))
        elif of not in ("recommended", "current", "any"):
            raise ValueError(f"n_at_dose_of: must be one of 'recommended', 'current', 'any' or a dose level (an "
                             f"integer >= 1), got {of!r}")
        if self.safety_threshold is not None:
            object.__setattr__(self, "safety_threshold", v.open_unit("safety_threshold", self.safety_threshold))
            tgt = self.safety_target if self.safety_target is not None else getattr(self.base, "target", None)
            if tgt is None:
                raise ValueError("safety_target: required for a design without a target (a number in (0, 1))")
            object.__setattr__(self, "safety_target", v.open_unit("safety_target", tgt))
            prior = v.numbers("safety_prior", self.safety_prior)
            if prior.size != 2:
                raise ValueError(f"safety_prior: expected the two Beta parameters (a, b), got {self.safety_prior!r}")
            a, b = float(prior[0]), float(prior[1])
            if a <= 0 or b <= 0:
                raise ValueError(f"safety_prior: Beta parameters must be > 0, got {self.safety_prior!r}")
            object.__setattr__(self, "safety_prior", (a, b))
            object.__setattr__(self, "safety_min_n", v.integer("safety_min_n", self.safety_min_n, low=1))
            object.__setattr__(self, "safety_dose", v.integer("safety_dose", self.safety_dose, low=1))
        if not isinstance(self.dont_skip, bool):
            raise ValueError(f"dont_skip: must be true or false, got {self.dont_skip!r}")
        if self.stop_at is not None:
            object.__setattr__(self, "stop_at", v.integer("stop_at", self.stop_at, low=1, high=v.MAX_PATIENTS))
        if self.select_min_n is not None:
            object.__setattr__(self, "select_min_n", v.integer("select_min_n", self.select_min_n, low=1,
                                                               high=v.MAX_PATIENTS))
            self._check_select_min_n(self.max_n)

    def _check_select_min_n(self, max_n: int | None) -> None:
        """``select_min_n`` must be reachable: a dose with fewer patients is never selected, so with
        more than any dose can hold no trial would select a dose. ``max_n``: the trial's maximum
        sample size (None: not known before lowering)."""
        from .backfill import Backfill
        from .threep3 import ThreePlusThree

        k = self.select_min_n
        if isinstance(self.base, ThreePlusThree):
            most = self.base.a + self.base.b
            what = f"{most} (the {self.base.ab_text} treats at most {most} patients at a dose)"
        elif max_n is None:
            return
        elif isinstance(self.base, Backfill):
            most = max_n + self.base.cap + 1
            what = f"{most} (with backfill a dose holds at most max_n {max_n} + cap {self.base.cap} + 1 patients)"
        else:
            most = max_n
            capped = self.stop_at is not None and self.stop_at <= max_n and getattr(self.base, "max_n", None) != max_n
            what = f"stop_at_n ({max_n})" if capped else f"max_n ({max_n})"
        if k > most:
            raise ValueError(f"select_min_n: must be at most {what}, got {k} (no dose could ever be selected)")

    # the wrapped design's identity
    @property
    def start_dose(self) -> int:
        return getattr(self.base, "start_dose", 1)

    @property
    def target(self):
        return getattr(self.base, "target", None)

    @property
    def fixed_n_doses(self):
        return self.base.fixed_n_doses

    @property
    def reports_estimates(self):  # type: ignore[override]
        return self.base.reports_estimates

    @property
    def exact_ok(self):  # type: ignore[override]
        return self.base.exact_ok

    @property
    def time_to_event(self) -> bool:
        return getattr(self.base, "time_to_event", False)

    @property
    def uses_efficacy(self) -> bool:  # type: ignore[override]
        return self.base.uses_efficacy

    @property
    def max_n(self) -> int | None:
        """The maximum sample size: the base design's, capped by ``stop_at`` (None when neither
        sets one, e.g. a plain 3+3, whose maximum follows from the number of doses)."""
        own = getattr(self.base, "max_n", None)
        if self.stop_at is None:
            return own
        return self.stop_at if own is None else min(own, self.stop_at)

    # live use of a time-to-event base design runs its own decision kernel (with these rules)
    def next_dose(self, outcomes: str = "", n_doses: int | None = None):
        from .tite_boin12 import TITEBOIN12

        if isinstance(self.base, TITEBOIN12):
            return TITEBOIN12.next_dose(self, outcomes, n_doses)
        if self.time_to_event:
            from .tite import _TiteDesign

            return _TiteDesign.next_dose(self, outcomes, n_doses)
        rec = Design.next_dose(self, outcomes, n_doses)
        return self._said_which_stop(rec, outcomes, n_doses)

    next_dose.__doc__ = Design.next_dose.__doc__

    def _said_which_stop(self, rec, outcomes: str, n_doses: int | None):
        """A stop that an added rule made (the base design alone would go on, or stop for another
        reason) says so in the notes: both share the stop reasons ('design_rule', 'safety')."""
        import warnings as _warnings

        if not rec.stop or rec.reason == "max_n":
            return rec
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            alone = self.base.next_dose(outcomes, n_doses=len(rec.n_patients) if n_doses is None else n_doses)
        if alone.stop and alone.reason == rec.reason:
            return rec
        added = self._auto_label().removeprefix(self.base.label() + " + ")
        would = (f"stop ({alone.reason})" if alone.stop else
                 f"continue with {alone.cohort_size} at dose {alone.dose}")
        note = f"the stop ({rec.reason}) comes from the added rules ({added}): {self.base.label()} alone would {would}"
        return replace(rec, notes=(*rec.notes, note))

    def next_dose_tite(self, data, window: float, n_doses: int | None = None, current_dose: int | None = None,
                       eff_window: float | None = None):
        """:meth:`TITEBOIN.next_dose_tite` / :meth:`TITECRM.next_dose_tite` /
        :meth:`TITEBOIN12.next_dose_tite` with these rules on top."""
        from .tite_boin12 import TITEBOIN12

        if isinstance(self.base, TITEBOIN12):
            return TITEBOIN12.next_dose_tite(self, data, window, eff_window, n_doses, current_dose)
        if not self.time_to_event:
            raise ValueError(f"data: partial follow-up is for the time-to-event designs; {self.base.label()} decides "
                             "from complete cohorts (use next_dose)")
        from .tite import _TiteDesign

        return _TiteDesign.next_dose_tite(self, data, window, n_doses, current_dose)

    def _n_work_live(self, low, npat: int) -> int:
        return self.base._n_work_live(low, npat)

    def _auto_label(self) -> str:
        parts = [self.base.label()]  # the base design's own name, if it has one
        if self.dont_skip:
            parts.append("no skipping")
        if self.safety_threshold is not None:
            parts.append(f"safety stop P(p{self.safety_dose} > {self.safety_target:g}) > {self.safety_threshold:g}")
        if self.stop_n_at_dose is not None:
            of = self.n_at_dose_of
            where = ("any dose" if of == "any" else f"dose level {of}" if isinstance(of, int)
                     else f"the {of} dose")
            parts.append(f"stop at {self.stop_n_at_dose} on {where}")
        if self.stop_at is not None:
            parts.append(f"max {self.stop_at} patients")
        if self.select_min_n is not None:
            k = self.select_min_n
            parts.append(f"selects among doses with >= {k} patient{'s' if k > 1 else ''}")
        return " + ".join(parts)

    def _protocol(self, scenario):
        from . import _describe

        return _describe.modified(self, scenario)

    def to_dict(self) -> dict:
        out = self.base.to_dict()
        for f in fields(self):
            if f.name != "base" and not (f.name == "name" and self.name is None):
                val = getattr(self, f.name)
                out[f.name] = list(val) if isinstance(val, tuple) else val
        return out

    def _for_counts(self, n):
        base = self.base._for_counts(n)
        return self if base is self.base else replace(self, base=base)

    def _prepare_select_aux(self, low, aux, n, y) -> None:
        self.base._prepare_select_aux(low, aux, n, y)

    def _efficacy_estimates(self, low, n, y, e, b, cur):
        return self.base._efficacy_estimates(low, n, y, e, b, cur)

    def select(self, *args, **kw):
        if self.base.uses_efficacy:  # a phase I/II design selects on efficacy counts too
            return self.base.select(*args, **kw)
        if self.time_to_event:
            from .tite import _TiteDesign

            return _TiteDesign.select(self, *args, **kw)
        return Design.select(self, *args, **kw)

    select.__doc__ = Design.select.__doc__

    def _lower(self, n_doses: int) -> Lowered:
        low = self.base.lower(n_doses)
        rules = np.zeros(6, dtype=np.int64)
        rules[0] = int(self.dont_skip)
        rules[5] = 0 if self.select_min_n is None else self.select_min_n
        max_n = low.max_n if self.stop_at is None else min(low.max_n, self.stop_at)
        if self.select_min_n is not None:  # a design without max_n (the 3+3): known only now
            self._check_select_min_n(max_n)
        if self.stop_n_at_dose is not None:
            rules[1] = self.stop_n_at_dose
            of = self.n_at_dose_of
            if isinstance(of, int):
                if of > n_doses:
                    raise ValueError(f"n_at_dose_of: the dose level must be from 1 to {n_doses}, got {of}")
                rules[2] = 3 + of - 1  # (_kernels/rules.py: 3 + the 0-based dose)
            else:
                rules[2] = ("recommended", "current", "any").index(of)
        safety_tab = low.safety_tab
        if self.safety_threshold is not None:
            if self.safety_dose > n_doses:
                raise ValueError(f"safety_dose: must be from 1 to {n_doses}, got {self.safety_dose}")
            rules[3] = 1
            rules[4] = self.safety_dose - 1
            a, b = self.safety_prior
            size = max_n + 1
            safety_tab = np.zeros((size, size), dtype=np.int8)
            from scipy import special  # lazy: keeps `import doseesc` fast (and not scipy.stats: 1-2 s)

            for n in range(self.safety_min_n, size):
                y = np.arange(n + 1)
                sf = special.betaincc(a + y, b + n - y, self.safety_target)  # P(p > target | y of n)
                safety_tab[n, : n + 1] = sf > self.safety_threshold
        return low._replace(rules=rules, safety_tab=safety_tab, max_n=max_n)


def _modify(design: Design, **changes) -> Modified:
    if isinstance(design, Modified):
        return replace(design, **changes)
    return Modified(base=design, **changes)


def stop_when_n_at_dose(self: Design, n: int, dose: str | int = "recommended") -> Modified:
    """Stop once ``n`` patients have been treated at the recommended next dose
    (``dose="recommended"``), at the dose just treated (``dose="current"``), at any dose
    (``dose="any"``) or at a given dose level (``dose=2``, 1-based), as R escalation's
    ``stop_when_n_at_dose(n, dose = ...)`` with ``"recommended"``, ``"any"`` or an integer."""
    return _modify(self, stop_n_at_dose=n, n_at_dose_of=dose)


def stop_for_safety(self: Design, threshold: float = 0.95, *, target: float | None = None,
                    prior: tuple = (1.0, 1.0), min_n: int = 3, dose: int = 1) -> Modified:
    """Stop with no dose selected when P(p_dose > target | data) > threshold (Beta prior)."""
    return _modify(self, safety_threshold=threshold, safety_target=target, safety_prior=tuple(prior),
                   safety_min_n=min_n, safety_dose=dose)


def dont_skip_doses(self: Design) -> Modified:
    """Never escalate more than one level above the highest dose tried so far."""
    return _modify(self, dont_skip=True)


def select_among_treated(self: Design, min_n: int = 1) -> Modified:
    """The final selection must be a dose with at least ``min_n`` patients (1: never an untried
    dose; protocols often ask for 6): a selected dose with fewer moves down to the nearest dose
    below it with enough patients, or to no selection if there is none. Off by default, as in
    the peer packages (dfcrm's crmsim may select a dose nobody received; R BOIN's select.mtd
    and the 3+3 only select treated doses)."""
    return _modify(self, select_min_n=min_n)


def stop_at_n(self: Design, n: int) -> Modified:
    """Cap the total sample size at ``n`` (the last cohort is truncated)."""
    return _modify(self, stop_at=n)


Design.stop_when_n_at_dose = stop_when_n_at_dose  # type: ignore[attr-defined]
Design.stop_for_safety = stop_for_safety  # type: ignore[attr-defined]
Design.dont_skip_doses = dont_skip_doses  # type: ignore[attr-defined]
Design.stop_at_n = stop_at_n  # type: ignore[attr-defined]
Design.select_among_treated = select_among_treated  # type: ignore[attr-defined]
