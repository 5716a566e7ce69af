"""The 3+3 design."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .. import _validate as v
from .._kernels.codes import THREE_PLUS_THREE
from .base import NO_TABLE, Design, Lowered, pack_float, pack_int


@dataclass(frozen=True)
class ThreePlusThree(Design):
    """The traditional 3+3 design (SPEC section 4; bcrm ``threep3`` with start dose 1), and the
    A+B designs it belongs to (Lin & Shih 2001, Biostatistics 2:203).

    Cohorts of 3. With 0/3 DLTs escalate; with 1/3 treat 3 more at the same dose and escalate
    if <= 1/6. At the top dose an acceptable result stops the trial and selects it. With >= 2
    DLTs (of 3 or 6) the dose is too toxic:

    * ``deescalate=True`` (default): if it is the lowest dose, stop with no selection; if the
      dose below already has 6 patients, stop and select it; otherwise move down, never to
      escalate again, fill that dose to 6 patients and select it if <= 1/6 DLTs, else repeat
      one level lower.
    * ``deescalate=False`` (escalation only): stop and select the dose below (none if it
      was never tried).

    *A+B.* In Lin & Shih's notation the 3+3 is A = B = 3, C = D = E = 1: treat ``a`` patients; with
    fewer than ``c`` DLTs escalate, with more than ``d`` the dose exceeds the MTD, otherwise treat
    ``b`` more; of the ``a + b``, with at most ``e`` DLTs escalate, with more the dose exceeds the
    MTD. De-escalation fills the dose below to ``a + b`` and selects it with at most ``e`` DLTs;
    the MTD is the highest dose with an acceptable result (fewer than ``c`` of ``a``, or at most
    ``e`` of ``a + b``) below every dose that exceeded it. (The R package TrialSize's
    ``AB.withDescalation`` / ``AB.withoutDescalation`` take the same A, B, C, D, E.)

    Parameters
    ----------
    start_dose : int
        1-based starting dose level.
    deescalate : bool
        True: after >= 2 DLTs at a dose, de-escalate and fill the dose below to 6 patients,
        selecting it with <= 1 DLT in 6 (bcrm threep3); False: escalation only (stop and select
        the dose below).
    n_doses : int, optional
        Number of dose levels, for live use without a scenario (see ``next_dose``).
    a, b : int
        A+B cohort sizes: ``a`` patients first, ``b`` more when the first ``a`` are inconclusive
        (3 and 3; from 1 to 12 each).
    c, d, e : int
        A+B DLT cut-offs: escalate with fewer than ``c`` DLTs in ``a``; the dose exceeds the MTD
        with more than ``d`` in ``a`` or more than ``e`` in ``a + b`` (1, 1 and 1; 1 <= c <= d + 1,
        d < a, d <= e < a + b).

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.ThreePlusThree()
    >>> d.next_dose("1NNN 2NTN", n_doses=3).dose
    2
    >>> d.next_dose("1NNN 2NTN 2NNT", n_doses=3).dose
    1
    >>> ex = de.exact(d, de.Scenario(p_tox=[0.1, 0.2, 0.3, 0.4, 0.5], target=0.3))
    >>> round(float(ex.no_selection), 2)
    0.1
    """

    start_dose: int = 1
    deescalate: bool = True
    n_doses: int | None = None
    a: int = 3
    b: int = 3
    c: int = 1
    d: int = 1
    e: int = 1

    family: ClassVar[str] = "3+3"

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_dose", v.integer("start_dose", self.start_dose, low=1))
        if not isinstance(self.deescalate, bool):
            raise ValueError(f"deescalate: must be true or false, got {self.deescalate!r}")
        if self.n_doses is not None:
            object.__setattr__(self, "n_doses", v.integer("n_doses", self.n_doses, low=1))
            if self.start_dose > self.n_doses:
                raise ValueError(f"start_dose: must be from 1 to {self.n_doses} (n_doses), got {self.start_dose}")
        for f in ("a", "b"):
            object.__setattr__(self, f, v.integer(f, getattr(self, f), low=1, high=12))
        a, b = self.a, self.b
        object.__setattr__(self, "d", v.integer("d", self.d, low=0, high=a - 1))
        object.__setattr__(self, "c", v.integer("c", self.c, low=1, high=self.d + 1))
        object.__setattr__(self, "e", v.integer("e", self.e, low=self.d, high=a + b - 1))

    @property
    def is_three_plus_three(self) -> bool:
        """The A+B parameters are the 3+3's (A = B = 3, C = D = E = 1)."""
        return (self.a, self.b, self.c, self.d, self.e) == (3, 3, 1, 1, 1)

    @property
    def ab_text(self) -> str:
        """'3+3', or the A+B design as '4+4 (A+B: C 1, D 2, E 2)'."""
        if self.is_three_plus_three:
            return "3+3"
        return f"{self.a}+{self.b} (A+B: C {self.c}, D {self.d}, E {self.e})"

    def _auto_label(self) -> str:
        return self.ab_text + ("" if self.deescalate else " (escalation only)")

    def _protocol(self, scenario):
        from . import _describe

        return _describe.three_plus_three(self, scenario)

    def _lower(self, n_doses: int) -> Lowered:
        return Lowered(
            code=THREE_PLUS_THREE,
            ipar=pack_int(self.start_dose - 1, int(self.deescalate), self.a, self.b, self.c, self.d, self.e,
                          int(self.is_three_plus_three)),
            fpar=pack_float(),
            tab=NO_TABLE,
            n_aux=1,
            n_work=1,
            max_n=(self.a + self.b) * n_doses,  # never binds: no dose ever receives more than a + b patients
            n_doses=n_doses,
        )
