"""The seed-trial records shipped as package data (``msc_lupus.json``) and their reader."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .. import _validate as v

DATA_FILE = "msc_lupus.json"
TRIALS = ("A", "B", "C", "D")
BASES = ("stated", "derived", "missing")
#: Count fields of a record; each has a value (``None`` when missing) and a basis.
COUNT_FIELDS = ("n", "dlt", "dlt_window_days", "ae_grade1", "ae_grade2", "ae_events", "ae_patients")


@dataclass(frozen=True)
class Endpoint:
    """One efficacy endpoint of one trial, as reported.

    Endpoints with different definitions keep different names; do not pool them.

    Examples
    --------
    >>> from doseesc import evidence
    >>> ep = evidence.records("D")[0].efficacy[0]
    >>> ep.name.split()[0], ep.time, ep.responders, ep.n, ep.key
    ('SRI-4', 'week 20', 5, 6, 'D:SRI4-W20')
    """

    name: str
    time: str
    responders: int | None
    n: int
    basis: str
    why: str | None
    scope: str
    key: str = ""
    headline: bool = False


@dataclass(frozen=True)
class Record:
    """One trial at one dose level, as read from the package data file.

    Counts are ``None`` when the source does not report them (never silently 0). How each count
    was obtained is in :attr:`provenance`; use :meth:`basis` and :meth:`why` to query it.

    Attributes
    ----------
    id : str
        ``"<trial>@<dose>"``, e.g. ``"A@2"``.
    trial : str
        ``"A"`` .. ``"D"`` (as in ``evidence.md``).
    label, citation : str
        Short label for tables and the full citation.
    sources : tuple of str
        Seed file names the record comes from.
    dose : float
        Dose in 10^6 cells/kg (:attr:`dose_unit`).
    n, dlt : int or None
        Patients at this dose and DLT-type events (grade >= 3, treatment related) among them.
    dlt_definition : str
        The trial's DLT definition (or how a DLT-type event was read where it has none).
    dlt_window_days : int or None
        The DLT assessment window.
    ae_scope : {"dose", "trial"}
        ``"trial"``: the AE counts are for the whole trial (``ae_n`` patients) and repeat in
        every record of the trial; count them once per trial.
    ae_n : int
        Patients the AE counts refer to.
    ae_grade1, ae_grade2, ae_events, ae_patients : int or None
        Low-grade (grade 1-2) treatment-related AE counts: events by grade, all events, and
        patients with at least one event.
    efficacy : tuple of Endpoint
    provenance : tuple of (field, basis, why)
        ``basis`` is ``"stated"``, ``"derived"`` or ``"missing"`` for every count field.

    Examples
    --------
    >>> from doseesc import evidence
    >>> r = evidence.records("A")[0]
    >>> r.id, r.dose, r.n, r.dlt, r.basis("n"), r.dlt_window_days
    ('A@2', 2.0, 4, 0, 'derived', 28)
    """

    id: str
    trial: str
    label: str
    citation: str
    sources: tuple
    indication: str
    product: str
    cell_source: str
    registry: str | None
    design: str
    design_detail: str
    planned_doses: tuple
    dose: float
    n: int | None
    dlt: int | None
    dlt_definition: str
    dlt_window_days: int | None
    ae_scope: str
    ae_n: int
    ae_grade1: int | None
    ae_grade2: int | None
    ae_events: int | None
    ae_patients: int | None
    efficacy: tuple
    notes: str
    provenance: tuple
    dose_unit: str = "1e6 cells/kg"

    def basis(self, field: str) -> str:
        """``"stated"``, ``"derived"`` or ``"missing"`` for a count field (see ``COUNT_FIELDS``)."""
        return self._prov(field)[1]

    def why(self, field: str) -> str | None:
        """The source wording or the derivation behind a count field."""
        return self._prov(field)[2]

    def derived_fields(self) -> tuple:
        """Names of the count fields whose value is derived rather than stated."""
        return tuple(f for f, b, _ in self.provenance if b == "derived")

    def _prov(self, field: str) -> tuple:
        for item in self.provenance:
            if item[0] == field:
                return item
        raise ValueError(f"field: must be one of {', '.join(map(repr, COUNT_FIELDS))}, got {field!r}")


def _count(raw: dict, rid: str, field: str) -> tuple:
    c = raw[field]
    value, basis = c["value"], c["basis"]
    if basis not in BASES:
        raise ValueError(f"{DATA_FILE} {rid}.{field}.basis: must be one of {BASES}, got {basis!r}")
    if (value is None) != (basis == "missing"):
        raise ValueError(f"{DATA_FILE} {rid}.{field}: value must be null exactly when basis is 'missing'")
    if value is not None and (not isinstance(value, int) or value < 0):
        raise ValueError(f"{DATA_FILE} {rid}.{field}: counts must be non-negative integers, got {value!r}")
    return value, (field, basis, c.get("why"))


def _record(raw: dict) -> Record:
    rid = raw["id"]
    counts, prov = {}, []
    for f in COUNT_FIELDS:
        counts[f], p = _count(raw, rid, f)
        prov.append(p)
    eff = tuple(Endpoint(name=e["name"], time=e["time"], responders=e["responders"], n=e["n"],
                         basis=e["basis"], why=e.get("why"), scope=e["scope"], key=e.get("key", ""),
                         headline=bool(e.get("headline", False))) for e in raw["efficacy"])
    rec = Record(
        id=rid, trial=raw["trial"], label=raw["label"], citation=raw["citation"],
        sources=tuple(raw["sources"]), indication=raw["indication"], product=raw["product"],
        cell_source=raw["cell_source"], registry=raw["registry"], design=raw["design"],
        design_detail=raw["design_detail"], planned_doses=tuple(float(d) for d in raw["planned_doses"]),
        dose=float(raw["dose"]), dlt_definition=raw["dlt_definition"], ae_scope=raw["ae_scope"],
        ae_n=int(raw["ae_n"]), efficacy=eff, notes=raw["notes"], provenance=tuple(prov), **counts,
    )
    if rec.dlt is not None and rec.n is not None and rec.dlt > rec.n:
        raise ValueError(f"{DATA_FILE} {rid}: dlt exceeds n")
    return rec


@cache
def load() -> tuple:
    """All records of the package data file, in file order (trial, then dose).

    Returns
    -------
    tuple of Record

    Examples
    --------
    >>> from doseesc import evidence
    >>> recs = evidence.load()
    >>> [r.id for r in recs]
    ['A@2', 'A@3', 'B@2', 'B@4', 'C@2', 'D@1']
    >>> sum(r.n for r in recs), sum(r.dlt for r in recs)
    (30, 0)
    """
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    return tuple(_record(r) for r in data["records"])


def _trial_list(trials: Any, name: str = "trials") -> tuple | None:
    if trials is None:
        return None
    if isinstance(trials, str):
        trials = (trials,)
    if not isinstance(trials, (list, tuple, set, frozenset)):
        raise ValueError(f"{name}: expected a trial key ({', '.join(map(repr, TRIALS))}), a list of them or None "
                         f"(all), got {v._short(trials)}")
    out = tuple(trials)
    if not out:
        raise ValueError(f"trials: must not be empty; allowed values {', '.join(map(repr, TRIALS))}")
    for t in out:
        v.choice("trial", t, TRIALS)
    return out


def records(trial: Any = None) -> tuple:
    """Records of one trial (``"A"`` .. ``"D"``), of several (a list), or of all (``None``).

    Raises
    ------
    ValueError
        If a trial name is unknown (one line naming the field and the allowed values).

    Examples
    --------
    >>> from doseesc import evidence
    >>> [(r.id, r.n) for r in evidence.records("B")]
    [('B@2', 5), ('B@4', 3)]
    >>> evidence.records("E")
    Traceback (most recent call last):
    ...
    ValueError: trial: must be one of 'A', 'B', 'C', 'D', got 'E'
    """
    return _select(trial, "trial")


def _select(trials: Any, name: str) -> tuple:
    """The records of ``trials`` (validated; errors name the argument ``name``)."""
    wanted = _trial_list(trials, name)
    return tuple(r for r in load() if wanted is None or r.trial in wanted)


def _fmt(x: Any) -> str:
    return "NA" if x is None else f"{x:g}" if isinstance(x, float) else str(x)


def _ae_text(r: Record) -> str:
    if r.ae_patients is not None:
        s = f"{r.ae_patients}/{r.ae_n} pts"
        if r.ae_events is not None and r.ae_events != r.ae_patients:
            s += f", {r.ae_events} ev"
    elif r.ae_events is not None:
        s = f"{r.ae_events} ev/{r.ae_n} pts"
    else:
        return "NA (not stated)"
    return s + (" (trial)" if r.ae_scope == "trial" else "")


def table(trial: Any = None) -> str:
    """A plain-text table of the records (what ``doseesc evidence`` prints).

    Columns: record id, trial label, seed source file(s), dose (10^6 cells/kg), patients,
    DLT-type events, low-grade AEs (patients and events; ``(trial)`` when the counts are for the
    whole trial, not this dose), DLT window in days, and which counts are derived rather than
    stated. ``NA`` marks a count the source does not give.

    Examples
    --------
    >>> from doseesc import evidence
    >>> print(evidence.table("D"))  # doctest: +NORMALIZE_WHITESPACE
    id   trial  source  dose (x10^6 cells/kg)  n  DLT  low-grade AE  window  derived
    D@1  UC-MSC SLE (Lupus Sci Med 2022)  003_ee751c0ebc9f0369.txt  1  6  0  NA (not stated)  NA  dlt
    """
    rows = [("id", "trial", "source", "dose (x10^6 cells/kg)", "n", "DLT", "low-grade AE", "window", "derived")]
    for r in records(trial):
        window = "NA" if r.dlt_window_days is None else f"{r.dlt_window_days} d"
        rows.append((r.id, r.label, ", ".join(r.sources), _fmt(r.dose), _fmt(r.n), _fmt(r.dlt),
                     _ae_text(r), window, ", ".join(r.derived_fields()) or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _filter(trials: Any, dose_range: Any) -> tuple:
    """Records of ``trials`` whose dose lies in ``dose_range`` (inclusive), validated."""
    recs = _select(trials, "trials")
    if dose_range is None:
        return recs
    try:
        lo, hi = (float(x) for x in dose_range)
    except (TypeError, ValueError):
        raise ValueError(f"dose_range: expected (low, high) in 1e6 cells/kg, got {dose_range!r}") from None
    if not (0 <= lo <= hi):
        raise ValueError(f"dose_range: expected 0 <= low <= high, got {dose_range!r}")
    return tuple(r for r in recs if lo - 1e-12 <= r.dose <= hi + 1e-12)


def trial_ids(recs: Iterable[Record]) -> tuple:
    seen: list = []
    for r in recs:
        if r.trial not in seen:
            seen.append(r.trial)
    return tuple(seen)
