"""The outcome-string notation for observed cohorts (as in R ``escalation``).

``"1NNN 2NTN"`` is two cohorts: three patients at dose 1 without DLT, then three at dose 2
with one DLT. A cohort is a 1-based dose level followed by one letter per patient; cohorts
are separated by white space. The letters (case-insensitive) are escalation's phase I/II ones:

* ``N``: neither a DLT nor an efficacy response;
* ``T``: a DLT (toxicity) without efficacy;
* ``E``: efficacy without a DLT;
* ``B``: both a DLT and efficacy.

Toxicity-only designs read ``E`` as no DLT and ``B`` as a DLT and ignore efficacy, so an
``N``/``T`` string means the same to every design (for a phase I/II design: no efficacy).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

_COHORT = re.compile(r"^([0-9]+)([NTEBnteb]+)$")


@dataclass(frozen=True)
class Cohort:
    dose: int  # 1-based
    tox: tuple  # one bool per patient, True = DLT
    eff: tuple = ()  # one bool per patient, True = efficacy response (empty: none)

    @property
    def size(self) -> int:
        return len(self.tox)

    @property
    def n_dlt(self) -> int:
        return int(sum(self.tox))

    @property
    def n_eff(self) -> int:
        """Patients with an efficacy response (``E`` or ``B``)."""
        return int(sum(self.eff))

    @property
    def n_both(self) -> int:
        """Patients with both a DLT and an efficacy response (``B``)."""
        return int(sum(1 for t, e in zip(self.tox, self.eff) if t and e))

    def __str__(self) -> str:
        eff = self.eff or (False,) * len(self.tox)
        return f"{self.dose}" + "".join(_LETTER[(bool(t), bool(e))] for t, e in zip(self.tox, eff))


_LETTER = {(False, False): "N", (True, False): "T", (False, True): "E", (True, True): "B"}


def parse(outcomes: str, n_doses: int | None = None) -> list[Cohort]:
    """Parse an outcome string into cohorts; raise ``ValueError`` naming ``outcomes`` if malformed.

    >>> [str(c) for c in parse("1NNN 2NTN")]
    ['1NNN', '2NTN']
    >>> c = parse("2ENB")[0]
    >>> c.n_dlt, c.n_eff, c.n_both
    (1, 2, 1)
    """
    if not isinstance(outcomes, str):
        raise ValueError(f"outcomes: expected a string such as '1NNN 2NTN', got {outcomes!r}")
    cohorts = []
    for tok in outcomes.split():
        m = _COHORT.match(tok)
        if m is None:
            raise ValueError(
                f"outcomes: malformed cohort {tok!r}; expected a dose level followed by N/T (or, with "
                "efficacy, E/B) per patient, e.g. '1NNN 2NTN' or '1NEN 2EBT'"
            )
        dose = int(m.group(1))
        if dose < 1 or (n_doses is not None and dose > n_doses):
            allowed = "dose levels start at 1" if n_doses is None else f"allowed 1 to {n_doses}"
            raise ValueError(f"outcomes: dose level {dose} in {tok!r} is out of range ({allowed})")
        letters = m.group(2).upper()
        cohorts.append(Cohort(dose, tuple(ch in "TB" for ch in letters), tuple(ch in "EB" for ch in letters)))
    return cohorts


def format_cohorts(cohorts: Iterable[Cohort]) -> str:
    return " ".join(str(c) for c in cohorts)


def to_arrays(cohorts: list[Cohort]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(0-based dose, cohort size, DLTs) per cohort, as int64 arrays for the kernels."""
    dose = np.array([c.dose - 1 for c in cohorts], dtype=np.int64)
    size = np.array([c.size for c in cohorts], dtype=np.int64)
    tox = np.array([c.n_dlt for c in cohorts], dtype=np.int64)
    return dose, size, tox


def to_eff_arrays(cohorts: list[Cohort]) -> tuple[np.ndarray, np.ndarray]:
    """(efficacy responses, patients with both) per cohort, as int64 arrays for the kernels."""
    eff = np.array([c.n_eff for c in cohorts], dtype=np.int64)
    both = np.array([c.n_both for c in cohorts], dtype=np.int64)
    return eff, both
