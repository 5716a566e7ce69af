"""The outcome-string notation for observed cohorts (as in R ``escalation``).

``"1NNN 2NTN"`` is two cohorts: three patients at dose 1 without DLT, then three at dose 2
with one DLT. A cohort is a 1-based dose level followed by one letter per patient:
``N`` (no DLT) or ``T`` (DLT); cohorts are separated by white space.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

_COHORT = re.compile(r"^([0-9]+)([NTnt]+)$")


@dataclass(frozen=True)
class Cohort:
    dose: int  # 1-based
    tox: tuple  # one bool per patient, True = DLT

    @property
    def size(self) -> int:
        return len(self.tox)

    @property
    def n_dlt(self) -> int:
        return int(sum(self.tox))

    def __str__(self) -> str:
        return f"{self.dose}" + "".join("T" if t else "N" for t in self.tox)


def parse(outcomes: str, n_doses: int | None = None) -> list[Cohort]:
    """Parse an outcome string into cohorts; raise ``ValueError`` naming ``outcomes`` if malformed.

    >>> [str(c) for c in parse("1NNN 2NTN")]
    ['1NNN', '2NTN']
    """
    if not isinstance(outcomes, str):
        raise ValueError(f"outcomes: expected a string such as '1NNN 2NTN', got {outcomes!r}")
    cohorts = []
    for tok in outcomes.split():
        m = _COHORT.match(tok)
        if m is None:
            raise ValueError(
                f"outcomes: malformed cohort {tok!r}; expected a dose level followed by N/T per patient, "
                "e.g. '1NNN 2NTN'"
            )
        dose = int(m.group(1))
        if dose < 1 or (n_doses is not None and dose > n_doses):
            hi = "" if n_doses is None else f" to {n_doses}"
            raise ValueError(f"outcomes: dose level {dose} in {tok!r} is out of range (allowed 1{hi})")
        cohorts.append(Cohort(dose, tuple(ch in "Tt" for ch in m.group(2))))
    return cohorts


def format_cohorts(cohorts: Iterable[Cohort]) -> str:
    return " ".join(str(c) for c in cohorts)


def to_arrays(cohorts: list[Cohort]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(0-based dose, cohort size, DLTs) per cohort, as int64 arrays for the kernels."""
    dose = np.array([c.dose - 1 for c in cohorts], dtype=np.int64)
    size = np.array([c.size for c in cohorts], dtype=np.int64)
    tox = np.array([c.n_dlt for c in cohorts], dtype=np.int64)
    return dose, size, tox
