"""What every design shares: lowering to kernel arrays, live recommendations, final selection."""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .. import _validate as v
from .. import outcomes as _outcomes
from .._jit import for_code
from .._kernels import trial as _trial
from .._kernels.codes import CONTINUE, STOP_REASONS
from .._kernels.rules import NO_RULES, NO_SAFETY


class Lowered(NamedTuple):
    """A design as flat arrays for the kernels (the private lowering step)."""

    code: int
    ipar: np.ndarray  # int64
    fpar: np.ndarray  # float64
    tab: np.ndarray  # float64, 2-d
    n_aux: int  # integer state carried between decisions
    n_work: int  # float scratch
    max_n: int  # maximum sample size
    n_doses: int
    rules: np.ndarray = NO_RULES  # composable rules (see _kernels/rules.py)
    safety_tab: np.ndarray = NO_SAFETY
    # Phase I/II designs: 0 = decisions ignore efficacy; 1 = they use the per-dose responses;
    # 2 = also the per-dose patients with both a DLT and a response (exact enumeration keeps
    # those counts in its states only then)
    efficacy: int = 0
    n_cache: int = 0  # float scratch after n_work for a decision cache (_kernels/cache.py); simulators only


def escalation_after_dlts(cohorts, dose: int | None) -> tuple[str, ...]:
    """A note where the recommendation escalates right after a cohort in which at least 2
    patients, and half or more of it, had a DLT: the design's rule may allow it (a model's prior
    can outweigh one cohort), and a committee deciding on the next dose should see it said."""
    if dose is None or not cohorts:
        return ()
    last = cohorts[-1]
    if dose > last.dose and last.n_dlt >= 2 and 2 * last.n_dlt >= last.size:
        return (f"escalates to dose {dose} right after a cohort with {last.n_dlt} DLTs in {last.size} patients at "
                f"dose {last.dose} (the design's own rule)",)
    return ()


def option_kind(annotation: Any) -> str:
    """The kind of a constructor field, from its annotation, for the CLI and run files:
    ``"bool"``, ``"list"`` (of numbers), ``"int"``, ``"float"``, ``"str"`` or ``"any"``."""
    a = str(annotation)
    if "Any" in a:
        return "any"
    if "bool" in a:
        return "bool"
    if "Sequence" in a or "list" in a or "tuple" in a:
        return "list"
    if "int" in a and "float" not in a:
        return "int"
    if "float" in a:
        return "float"
    return "str"


def _count_list(name: str, values: Any, what: str) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.ndim == 1:
        vals = values.tolist()
    elif isinstance(values, (list, tuple)):
        vals = list(values)
    else:
        raise ValueError(f"{name}: expected a list of {what}, one per dose, got {v._short(values)}")
    if not 1 <= len(vals) <= v.MAX_DOSES:
        raise ValueError(f"{name}: expected 1 to {v.MAX_DOSES} values (one per dose), got {len(vals)}")
    try:
        return np.array([v.integer(name, x, low=0, high=v.MAX_PATIENTS) for x in vals], dtype=np.int64)
    except ValueError:
        raise ValueError(f"{name}: expected {what} from 0 to {v.MAX_PATIENTS}, one per dose, got {values!r}") \
            from None


def check_counts(n_patients: Any, n_dlt: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-dose patient and DLT counts as int64 arrays; ValueError naming the field otherwise."""
    n = _count_list("n_patients", n_patients, "patient counts")
    y = _count_list("n_dlt", n_dlt, "DLT counts")
    if y.shape != n.shape or np.any(y > n):
        raise ValueError(f"n_dlt: expected integers 0 <= n_dlt <= n_patients, one per dose, got {n_dlt!r}")
    return n, y


def check_total(total: int, max_n: int, field: str) -> None:
    """Live data may not hold more patients than the design's maximum sample size."""
    if total > max_n:
        raise ValueError(f"{field}: {total} patients entered, more than the design's maximum sample size "
                         f"(max_n = {max_n}); the design says nothing about patients beyond it")


def _check_describe_scenario(design: Design, scenario: Any):
    if scenario is None:
        return None
    from ..scenario import Scenario

    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario: expected a doseesc.Scenario or None, got {v._short(scenario)}")
    fixed = design.fixed_n_doses
    if fixed is not None and fixed != scenario.n_doses:
        raise ValueError(f"scenario: the design has {fixed} dose levels but the scenario has {scenario.n_doses}")
    return scenario


class DeviationWarning(UserWarning):
    """Live data that do not follow the design: a cohort at another dose or of another size
    than the design recommended, or cohorts after the design had stopped."""


def deviations(cohorts, rec_dose: np.ndarray, rec_size: np.ndarray, stopped: int, reason: str) -> tuple[str, ...]:
    """One sentence per place where the observed cohorts depart from the design's recommendations
    (``rec_dose``/``rec_size``: the recommendation before each cohort, 0-based; ``stopped``:
    the cohort after which the design stopped, or -1)."""
    notes = []
    last = len(cohorts) if stopped < 0 else stopped + 1
    for i in range(last):
        c = cohorts[i]
        if rec_dose[i] >= 0 and c.dose != rec_dose[i] + 1:
            notes.append(f"cohort {i + 1} ('{c}') was given at dose {c.dose}; the design recommended dose "
                         f"{rec_dose[i] + 1}")
        if rec_size[i] > 0 and c.size != rec_size[i]:
            notes.append(f"cohort {i + 1} ('{c}') has {c.size} patient{'s' if c.size != 1 else ''}; the design "
                         f"recommended a cohort of {rec_size[i]} (its decision is taken after these {c.size})")
    if 0 <= stopped < len(cohorts) - 1:
        after = cohorts[stopped + 1:]
        which = f"cohort {stopped + 2}" if len(after) == 1 else f"cohorts {stopped + 2}-{len(cohorts)}"
        notes.append(f"the design stopped after cohort {stopped + 1} ('{cohorts[stopped]}', reason: {reason}); "
                     f"{which} ('{' '.join(str(c) for c in after)}') came after the stop: their patients are "
                     f"counted (n, DLTs, estimates, selection) but the design made no further decision")
    return tuple(notes)


def warn_deviations(notes: Sequence[str]) -> None:
    for note in notes:
        _warnings.warn(note, DeviationWarning, stacklevel=3)


def pack_int(*values) -> np.ndarray:
    return np.array(values if values else [0], dtype=np.int64)


def pack_float(*values) -> np.ndarray:
    return np.array(values if values else [0.0], dtype=np.float64)


NO_TABLE = np.zeros((1, 1), dtype=np.float64)


@dataclass(frozen=True)
class Recommendation:
    """What a design recommends given the outcomes so far (see ``Design.next_dose``).

    Attributes
    ----------
    dose : int or None
        Recommended dose level for the next cohort (1-based); None when the design stops.
    cohort_size : int
        Number of patients to treat next (0 when stopping).
    stop : bool
        True when the design stops the trial.
    reason : str
        ``"running"``, ``"max_n"``, ``"design_rule"`` or ``"safety"``.
    selected : int or None
        The dose the design would select if the trial ended now (1-based) or None.
    p_tox : ndarray or None
        Per-dose DLT estimates the design uses (model-based and interval designs).
    beta : float or None
        CRM only: posterior mean of the model parameter.
    n_patients, n_dlt : ndarray
        Per-dose counts parsed from the outcomes (every patient entered).
    n_eff : ndarray or None
        Phase I/II designs: per-dose efficacy responses parsed from the outcomes.
    p_eff : ndarray or None
        Phase I/II designs: per-dose efficacy estimates.
    prob_acc_tox, prob_acc_eff : ndarray or None
        Phase I/II designs: per-dose posterior probabilities that the DLT probability is
        acceptable (below the design's toxicity limit) and that the efficacy probability is
        (above its efficacy limit).
    utility : ndarray or None
        Phase I/II designs: the per-dose utility (or desirability score) the design ranks by.
    acceptable : ndarray of bool or None
        Phase I/II designs: which doses the design deems acceptable (admissible) now.
    warnings : tuple of str
        Where the data do not follow the design (see ``Design.next_dose``); empty if they do.
    notes : tuple of str
        What the recommendation needs said with it (e.g. who is pending while accrual is
        suspended, how to read estimates).
    column_heads : tuple of (str, str)
        Phase I/II designs: printed headers replacing the default ones, as (attribute, header)
        pairs, e.g. ``(("utility", "score"),)`` for a desirability score (BOIN12's family).
        Printing only: not in :meth:`to_dict` (whose names are the attributes').
    """

    dose: int | None
    cohort_size: int
    stop: bool
    reason: str
    selected: int | None
    n_patients: np.ndarray
    n_dlt: np.ndarray
    p_tox: np.ndarray | None = None
    beta: float | None = None
    n_eff: np.ndarray | None = None
    p_eff: np.ndarray | None = None
    prob_acc_tox: np.ndarray | None = None
    prob_acc_eff: np.ndarray | None = None
    utility: np.ndarray | None = None
    acceptable: np.ndarray | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    column_heads: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    #: the default headers of the phase I/II table's columns (``column_heads`` replaces them)
    EFFICACY_HEADS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("n_patients", "n"), ("n_dlt", "DLT"), ("n_eff", "eff"), ("p_tox", "p_tox"), ("p_eff", "p_eff"),
        ("prob_acc_tox", "P(tox ok)"), ("prob_acc_eff", "P(eff ok)"), ("utility", "utility"),
        ("acceptable", "acceptable"))

    def __post_init__(self) -> None:
        # A selection nobody has received is legitimate for some designs (dfcrm's CRM selects the
        # model's dose), but a committee must see it and know the option that forbids it.
        k = self.selected
        if k is not None and 1 <= k <= len(self.n_patients) and self.n_patients[k - 1] == 0:
            note = (f"dose {k}, the selection if the trial ended now, has had no patients: this design's final "
                    "selection may pick an untried dose; select_min_n (--select-min-n) restricts it to doses with "
                    "at least that many patients")
            if note not in self.notes:
                object.__setattr__(self, "notes", (*self.notes, note))

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("column_heads")  # printing only
        d["warnings"] = list(self.warnings)
        d["notes"] = list(self.notes)
        for k in ("n_patients", "n_dlt", "n_eff"):
            if d[k] is not None:
                d[k] = [int(x) for x in d[k]]
        for k in ("p_tox", "p_eff", "prob_acc_tox", "prob_acc_eff", "utility"):
            if d[k] is not None:
                d[k] = [None if np.isnan(x) else float(x) for x in np.asarray(d[k], dtype=float)]
        if d["acceptable"] is not None:
            d["acceptable"] = [bool(x) for x in d["acceptable"]]
        return d

    def __str__(self) -> str:
        lines = []
        if self.stop:
            sel = "none" if self.selected is None else f"dose {self.selected}"
            lines.append(f"STOP ({self.reason}); selected: {sel}")
        elif self.dose is None:  # TITE-BOIN's accrual suspension
            lines.append(f"next: none now ({self.reason}: wait for more follow-up before enrolling)")
            lines.append(f"if the trial ended now: {'none' if self.selected is None else f'dose {self.selected}'}")
        else:
            lines.append(f"next: dose {self.dose} ({self.cohort_size} patient{'s' if self.cohort_size != 1 else ''})")
            lines.append(f"if the trial ended now: {'none' if self.selected is None else f'dose {self.selected}'}")
        if self.n_eff is not None:
            lines.extend(self._efficacy_rows())
        else:
            lines.append("dose   n  DLT" + ("  p_tox" if self.p_tox is not None else ""))
            for i, (n, y) in enumerate(zip(self.n_patients, self.n_dlt)):
                row = f"{i + 1:>4} {n:>3} {y:>4}"
                if self.p_tox is not None:
                    p = self.p_tox[i]
                    row += "      -" if np.isnan(p) else f"  {p:.3f}"
                lines.append(row)
        if self.beta is not None:
            lines.append(f"posterior mean of beta: {self.beta:.4f}")
        lines.extend(f"note: {w}" for w in self.notes if w)
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def _efficacy_rows(self) -> list[str]:
        heads = dict(self.EFFICACY_HEADS)
        heads.update(dict(self.column_heads))
        fmts = {"n_patients": "{:d}", "n_dlt": "{:d}", "n_eff": "{:d}", "utility": "{:.2f}", "acceptable": "{}"}
        table = []
        for name, _ in self.EFFICACY_HEADS:
            arr = getattr(self, name)
            if arr is None:
                continue
            fmt = fmts.get(name, "{:.3f}")
            head = heads[name]
            cells = []
            for x in arr:
                if name == "acceptable":
                    cells.append("yes" if x else "no")
                elif isinstance(x, (float, np.floating)) and np.isnan(x):
                    cells.append("-")
                else:
                    cells.append(fmt.format(int(x) if fmt == "{:d}" else x))
            width = max(len(head), *(len(c) for c in cells))
            table.append([head.rjust(width)] + [c.rjust(width) for c in cells])
        out = ["dose  " + "  ".join(col[0] for col in table)]
        for i in range(len(self.n_patients)):
            out.append(f"{i + 1:>4}  " + "  ".join(col[i + 1] for col in table))
        return out


@dataclass(frozen=True)
class Design:
    """Base class: a frozen, self-validating description of a dose-escalation design.

    Subclasses implement ``_lower(n_doses)``; everything else (simulation, exact operating
    characteristics, live recommendations, final selection) runs the same kernels.
    """

    #: the design family, as tables print it ("BOIN", "3+3", ...)
    family: ClassVar[str] = "design"
    #: a label of the user's for this design, used in every table, figure and JSON output
    #: (default: generated from the family and its main options)
    name: str | None = field(default=None, kw_only=True)
    #: whether the design reports model/interval estimates in ``next_dose``
    reports_estimates: ClassVar[bool] = False
    #: whether ``doseesc.exact`` applies (decisions depend only on per-dose counts and ``aux``)
    exact_ok: ClassVar[bool] = True
    #: whether the design decides on efficacy as well as toxicity (phase I/II): it then needs a
    #: scenario with ``p_eff`` and outcome strings with E/T/B/N letters
    uses_efficacy: ClassVar[bool] = False

    # ------------------------------------------------------------------ to override
    def _lower(self, n_doses: int) -> Lowered:  # pragma: no cover - abstract
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs):
        """Every design validates ``name`` (whatever its own ``__post_init__`` checks)."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__post_init__")
        if own is not None and not getattr(own, "_checks_name", False):
            def __post_init__(self, _own=own):
                object.__setattr__(self, "name", v.label("name", self.name))
                _own(self)

            __post_init__._checks_name = True
            cls.__post_init__ = __post_init__

    def label(self) -> str:
        """The design's name in tables: ``name`` if given, else generated from its options."""
        return self.name if self.name else self._auto_label()

    def _auto_label(self) -> str:
        return self.family

    @property
    def fixed_n_doses(self) -> int | None:
        """Number of doses implied by the design itself (e.g. a CRM skeleton), else None."""
        return getattr(self, "n_doses", None)

    # ------------------------------------------------------------------ shared
    def lower(self, n_doses: int) -> Lowered:
        """Validate the design against ``n_doses`` and pack it for the kernels.

        The packed arrays are computed once per number of doses and kept on the (immutable)
        design: live use and dose pathways call this for every decision."""
        n_doses = v.integer("n_doses", n_doses, low=1, high=v.MAX_DOSES)
        cache = self.__dict__.setdefault("_lowered", {})
        if n_doses not in cache:
            fixed = self.fixed_n_doses
            if fixed is not None and fixed != n_doses:
                raise ValueError(f"n_doses: the design has {fixed} dose levels but the scenario has {n_doses}")
            start = getattr(self, "start_dose", 1)
            if not 1 <= start <= n_doses:
                raise ValueError(f"start_dose: must be from 1 to {n_doses} (the number of doses), got {start}")
            cache[n_doses] = self._lower(n_doses)  # (not made read-only: numba would compile a second signature)
        return cache[n_doses]

    def to_dict(self) -> dict:
        """The design as a run-file table: ``design`` (the registry key) and every option."""
        from . import REGISTRY

        key = next((k for k, c in REGISTRY.items() if c is type(self)), self.family)
        out: dict[str, Any] = {"design": key}
        for f in fields(self):
            val = getattr(self, f.name)
            if isinstance(val, np.ndarray):
                val = val.tolist()
            elif isinstance(val, tuple):
                val = list(val)
            out[f.name] = val
        return out

    def _resolve_n_doses(self, tried, n_doses: int | None) -> int:
        """``n_doses`` checked, else the design's own, else (with a warning) one level above the
        highest of the 1-based dose levels ``tried`` (or the start dose)."""
        if n_doses is not None:
            return v.integer("n_doses", n_doses, low=1, high=v.MAX_DOSES)
        if self.fixed_n_doses is not None:
            return self.fixed_n_doses
        # Unknown: assume one level above the highest dose seen (or the start dose) exists.
        highest = int(max([*tried, getattr(self, "start_dose", 1)]))
        guess = min(highest + 1, v.MAX_DOSES)
        _warnings.warn(f"n_doses: not given; assuming {guess} dose levels (one above the highest dose so far). "
                       "In a live trial give the number of dose levels (n_doses=, or n_doses on the design)",
                       stacklevel=3)
        return guess

    def next_dose(self, outcomes: str = "", n_doses: int | None = None) -> Recommendation:
        """Recommend the next dose given the outcomes so far (live use).

        Parameters
        ----------
        outcomes : str
            Cohorts in order, each a 1-based dose level followed by ``N`` (no DLT) or ``T``
            (DLT) per patient, e.g. ``"1NNN 2NTN"``; with efficacy (phase I/II designs) ``E``
            (response, no DLT) and ``B`` (both) too, e.g. ``"1NEN 2EBT"`` (toxicity-only designs
            read ``E`` as ``N`` and ``B`` as ``T``). Empty string: before the first cohort.
        n_doses : int, optional
            Number of dose levels. Designs that do not fix it themselves (3+3, interval
            designs) assume, when it is not given, that one level above the highest dose in
            ``outcomes`` exists.

        Returns
        -------
        Recommendation
            Its ``warnings`` list every place where the data do not follow the design (a
            cohort at another dose or of another size than the design recommended, cohorts
            after the design had stopped); each is also issued as a :class:`DeviationWarning`.
            Every patient entered is counted: cohorts after a stop enter the counts, the
            estimates and the selection, but the design makes no decision after its stop.

        Raises
        ------
        ValueError
            Malformed outcomes, a dose level out of range, or more patients than the
            design's maximum sample size ``max_n``.
        """
        cohorts = _outcomes.parse(outcomes)
        n_doses = self._resolve_n_doses([c.dose for c in cohorts], n_doses)
        for c in cohorts:
            if c.dose > n_doses:
                raise ValueError(f"outcomes: dose level {c.dose} is out of range (allowed 1 to {n_doses})")
        low = self.lower(n_doses)
        check_total(sum(c.size for c in cohorts), low.max_n, "outcomes")
        if low.efficacy:
            return self._next_dose_eff(low, cohorts, n_doses)
        dose, size, tox = _outcomes.to_arrays(cohorts)
        n = np.zeros(n_doses, dtype=np.int64)
        y = np.zeros(n_doses, dtype=np.int64)
        aux = np.zeros(max(low.n_aux, 1), dtype=np.int64)
        work = np.zeros(max(low.n_work, 1))
        rec_dose = np.empty(len(cohorts), dtype=np.int64)
        rec_size = np.empty(len(cohorts), dtype=np.int64)
        nxt, c, reason, stopped, sel = for_code(_trial.replay, low.code, low.ipar, low.fpar, low.tab, low.rules,
                                                low.safety_tab, low.max_n, dose, size, tox, None, None, n, y, None,
                                                None, aux, work, rec_dose, rec_size)
        est = np.full(n_doses, np.nan)
        beta = for_code(_trial.estimates, low.code, low.ipar, low.fpar, low.tab, n, y, aux, work, est)
        stop = reason != CONTINUE
        notes = deviations(cohorts, rec_dose, rec_size, stopped, STOP_REASONS[reason])
        warn_deviations(notes)
        said = self._live_notes(low, cohorts) + escalation_after_dlts(cohorts, None if stop else int(nxt) + 1)
        if any(any(c.eff) for c in cohorts):  # E and B letters: this design decides on DLTs alone
            said += (f"{self.label()} decides on DLTs only: the responses in the outcomes (E, B) are not used "
                     "(E counts as no DLT, B as a DLT)",)
        return Recommendation(
            dose=None if stop else int(nxt) + 1,
            cohort_size=0 if stop else int(c),
            stop=bool(stop),
            reason=STOP_REASONS[reason],
            selected=None if sel < 0 else int(sel) + 1,
            n_patients=n,
            n_dlt=y,
            p_tox=est if self.reports_estimates else None,
            beta=None if np.isnan(beta) else float(beta),
            warnings=notes,
            notes=said,
        )

    def _live_notes(self, low: Lowered, cohorts) -> tuple[str, ...]:
        """Hook: notes on how the design read the data in live use (e.g. a cohort given at a dose
        the design had eliminated)."""
        return ()

    def _next_dose_eff(self, low: Lowered, cohorts, n_doses: int) -> Recommendation:
        """``next_dose`` of a phase I/II design: the same kernels, with the cohorts' responses."""
        dose, size, tox = _outcomes.to_arrays(cohorts)
        eff, both = _outcomes.to_eff_arrays(cohorts)
        n, y, e, b = (np.zeros(n_doses, dtype=np.int64) for _ in range(4))
        aux = np.zeros(max(low.n_aux, 1), dtype=np.int64)
        work = np.zeros(max(low.n_work, 1))
        rec_dose = np.empty(len(cohorts), dtype=np.int64)
        rec_size = np.empty(len(cohorts), dtype=np.int64)
        nxt, c, reason, stopped, sel = for_code(_trial.replay, low.code, low.ipar, low.fpar, low.tab, low.rules,
                                                low.safety_tab, low.max_n, dose, size, tox, eff, both, n, y, e, b,
                                                aux, work, rec_dose, rec_size)
        stop = reason != CONTINUE
        notes = deviations(cohorts, rec_dose, rec_size, stopped, STOP_REASONS[reason])
        warn_deviations(notes)
        extra = self._efficacy_estimates(low, n, y, e, b, int(dose[-1]) if dose.size else None)
        return Recommendation(dose=None if stop else int(nxt) + 1, cohort_size=0 if stop else int(c),
                              stop=bool(stop), reason=STOP_REASONS[reason], selected=None if sel < 0 else int(sel) + 1,
                              n_patients=n, n_dlt=y, n_eff=e, warnings=notes, **extra)

    def _efficacy_estimates(self, low: Lowered, n, y, e, b, cur: int | None) -> dict:
        """Hook for phase I/II designs: the per-dose estimates reported by ``next_dose``."""
        return {}

    def select(self, n_patients: Sequence[int], n_dlt: Sequence[int]) -> int | None:
        """The design's final selection from per-dose counts: a 1-based dose, or None."""
        n, y = check_counts(n_patients, n_dlt)
        low = self._for_counts(n).lower(n.size)
        aux = np.zeros(max(low.n_aux, 1), dtype=np.int64)
        work = np.zeros(max(low.n_work, 1))
        self._prepare_select_aux(low, aux, n, y)
        sel = for_code(_trial.final_select, low.code, low.ipar, low.fpar, low.tab, low.rules, CONTINUE, n, y, aux, work)
        return None if sel < 0 else int(sel) + 1

    def _for_counts(self, n: np.ndarray) -> Design:
        """This design, able to evaluate per-dose counts ``n`` (``select`` on a finished trial
        may hold more patients at a dose than ``max_n``, e.g. R BOIN's ``select.mtd`` on any
        data); designs whose tables stop at ``max_n`` return a copy with larger tables."""
        return self

    def _prepare_select_aux(self, low: Lowered, aux: np.ndarray, n: np.ndarray, y: np.ndarray) -> None:
        """Hook: set ``aux`` state that ``select`` depends on (e.g. eliminated doses) from counts."""

    # ------------------------------------------------------------------ protocol wording
    def describe(self, scenario: Any = None) -> str:
        """The design as a protocol's statistical section states it, generated from its fields.

        Cohorts and sample size, the dose-finding rule with its numbers (boundaries, intervals,
        working model, skeleton, prior, restrictions, window weighting, suspension), elimination
        and safety rules with their thresholds, the stopping rules, the final MTD selection and
        the peer implementation whose semantics doseesc reproduces; composable rules
        (:class:`Modified`) are added in the order they apply.

        Parameters
        ----------
        scenario : Scenario, optional
            Adds the number of doses, dose values and unit, and the DLT window of its time model.

        Returns
        -------
        str
            A title line, then one paragraph per topic (``"Heading: text"``), separated by blank lines.

        Examples
        --------
        >>> import doseesc as de
        >>> text = de.BOIN(target=0.25, cohort_size=3, max_n=30).describe()
        >>> "lambda_e = 0.197" in text and "lambda_d = 0.298" in text
        True
        """
        return self._protocol(_check_describe_scenario(self, scenario)).text()

    def spec_rows(self, scenario: Any = None) -> list[tuple[str, str]]:
        """The design's specification as (parameter, value) rows, for a compact table.

        Examples
        --------
        >>> import doseesc as de
        >>> dict(de.ThreePlusThree().spec_rows(de.Scenario([0.1, 0.2, 0.3], target=0.3)))["Maximum sample size"]
        '18 (6 x 3 doses)'
        """
        rows = list(self._protocol(_check_describe_scenario(self, scenario)).rows)
        return ([("Name", self.name)] if self.name else []) + rows

    def _protocol(self, scenario):
        """Hook: the :class:`~doseesc.designs._describe.Protocol` of this design (designs
        without wording of their own state their fields)."""
        from . import _describe

        return _describe.generic(self, scenario)
