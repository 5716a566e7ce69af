"""True dose-toxicity scenarios that designs are simulated under."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _validate as v


@dataclass(frozen=True, eq=False)
class Scenario:
    """The truth a trial is simulated under.

    Parameters
    ----------
    p_tox : sequence of float
        True probability of a dose-limiting toxicity (DLT) at each dose level, lowest first.
    target : float
        Target DLT probability, strictly between 0 and 1. The true MTD is the dose (or doses)
        whose ``p_tox`` is closest to it, unless ``mtd_band`` is given.
    doses : sequence of float, optional
        Dose values (e.g. ``[1, 2, 4]``), strictly increasing and positive. Labels only.
    dose_unit : str, optional
        Unit of ``doses`` (e.g. ``"1e6 cells/kg"``).
    p_ae : sequence of float, optional
        True probability of a low-grade (grade 1-2) adverse event that is not a DLT, per dose.
        ``p_tox + p_ae`` must not exceed 1. AEs are recorded but never drive decisions.
    mtd_band : (float, float), optional
        If given, every dose with ``low <= p_tox <= high`` counts as a correct selection. If no
        dose lies in the band, the correct decision is to select no dose (e.g. every dose is
        too toxic), and stopping without a selection counts as correct.
    name : str, optional
        A label used in tables.
    time : TimeModel, optional
        Accrual and DLT-window model (for trial duration and time-to-event designs).

    Examples
    --------
    >>> import doseesc as de
    >>> sc = de.Scenario(p_tox=[0.02, 0.05, 0.25], target=0.2, doses=[1, 2, 4], dose_unit="1e6 cells/kg")
    >>> sc.n_doses, sc.correct_doses.tolist()
    (3, [3])
    """

    p_tox: Any
    target: float
    doses: Sequence[float] | None = None
    dose_unit: str | None = None
    p_ae: Sequence[float] | None = None
    mtd_band: Sequence[float] | None = None
    name: str | None = None
    time: Any = None

    def __post_init__(self) -> None:
        p = v.probabilities("p_tox", self.p_tox)
        p.setflags(write=False)
        object.__setattr__(self, "p_tox", p)
        object.__setattr__(self, "target", v.open_unit("target", self.target))
        object.__setattr__(self, "name", v.text("name", self.name))
        object.__setattr__(self, "dose_unit", v.text("dose_unit", self.dose_unit))
        if self.doses is not None:
            d = v.numbers("doses", self.doses, max_len=v.MAX_DOSES)
            if d.shape != p.shape:
                raise ValueError(f"doses: expected {p.size} values (one per p_tox entry), got {d.size}")
            if np.any(~np.isfinite(d)) or np.any(d <= 0) or np.any(np.diff(d) <= 0):
                raise ValueError(f"doses: must be positive and strictly increasing, got {d.tolist()}")
            d.setflags(write=False)
            object.__setattr__(self, "doses", d)
        if self.p_ae is not None:
            a = v.probabilities("p_ae", self.p_ae)
            if a.shape != p.shape:
                raise ValueError(f"p_ae: expected {p.size} values (one per p_tox entry), got {a.size}")
            if np.any(a + p > 1 + 1e-12):
                raise ValueError("p_ae: p_tox + p_ae must not exceed 1 at any dose")
            a.setflags(write=False)
            object.__setattr__(self, "p_ae", a)
        if self.mtd_band is not None:
            band = v.numbers("mtd_band", self.mtd_band, max_len=2)
            if band.shape != (2,) or not (0 <= band[0] <= band[1] <= 1):
                raise ValueError(f"mtd_band: expected (low, high) with 0 <= low <= high <= 1, got {self.mtd_band!r}")
            object.__setattr__(self, "mtd_band", (float(band[0]), float(band[1])))
        if self.time is not None:
            from .timemodel import TimeModel

            if not isinstance(self.time, TimeModel):
                raise ValueError("time: expected a doseesc.TimeModel, e.g. TimeModel(window=28, rate=3 / 28)")

    @property
    def n_doses(self) -> int:
        return int(self.p_tox.size)

    @property
    def correct_doses(self) -> np.ndarray:
        """1-based dose levels that count as a correct MTD selection."""
        if self.mtd_band is not None:
            lo, hi = self.mtd_band
            ok = (self.p_tox >= lo - 1e-12) & (self.p_tox <= hi + 1e-12)
        else:
            dist = np.abs(self.p_tox - self.target)
            ok = dist <= dist.min() + 1e-12
        return np.flatnonzero(ok) + 1

    def dose_masks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boolean masks over doses: (correct, below the true MTD, above the true MTD).

        Above/below are relative to the correct doses; when none is correct (an empty
        ``mtd_band``), doses above / below the band.
        """
        D = self.n_doses
        correct = np.zeros(D, dtype=bool)
        c = self.correct_doses - 1
        correct[c] = True
        above = np.zeros(D, dtype=bool)
        below = np.zeros(D, dtype=bool)
        if c.size:
            above[c.max() + 1:] = True
            below[: c.min()] = True
        else:
            lo, hi = self.mtd_band
            above = self.p_tox > hi + 1e-12
            below = self.p_tox < lo - 1e-12
        return correct, below, above

    @property
    def p_ae_array(self) -> np.ndarray:
        return np.zeros_like(self.p_tox) if self.p_ae is None else self.p_ae

    def label(self) -> str:
        if self.name:
            return self.name
        return "p=(" + ", ".join(f"{x:g}" for x in self.p_tox) + ")"

    def dose_labels(self) -> list[str]:
        if self.doses is None:
            return [str(i + 1) for i in range(self.n_doses)]
        return [f"{x:g}" for x in self.doses]

    def to_dict(self) -> dict:
        out: dict = {"p_tox": self.p_tox.tolist(), "target": self.target}
        if self.doses is not None:
            out["doses"] = self.doses.tolist()
        if self.dose_unit is not None:
            out["dose_unit"] = self.dose_unit
        if self.p_ae is not None:
            out["p_ae"] = self.p_ae.tolist()
        if self.mtd_band is not None:
            out["mtd_band"] = list(self.mtd_band)
        if self.name is not None:
            out["name"] = self.name
        if self.time is not None:
            out["time"] = self.time.to_dict()
        return out


@dataclass(frozen=True, eq=False)
class ScenarioSet:
    """Many true dose-toxicity curves that share doses and target, e.g. drawn from a prior.

    ``simulate`` and ``compare`` accept a ScenarioSet and report operating characteristics
    averaged over its scenarios (each scenario weighted equally), plus the per-scenario
    distribution.

    Parameters
    ----------
    p_tox : array (n_scenarios, n_doses)
    target : float
    p_ae : array (n_scenarios, n_doses), optional
    source : str
        What the curves were drawn from (echoed in outputs).
    """

    p_tox: Any
    target: float
    doses: Sequence[float] | None = None
    dose_unit: str | None = None
    p_ae: Any = None
    source: str = ""
    name: str | None = None
    scenarios: tuple = field(init=False, repr=False)

    def __post_init__(self) -> None:
        p = np.asarray(self.p_tox, dtype=float)
        if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
            raise ValueError(f"p_tox: expected a 2-d array (n_scenarios, n_doses), got shape {p.shape}")
        ae = None if self.p_ae is None else np.asarray(self.p_ae, dtype=float)
        if ae is not None and ae.shape != p.shape:
            raise ValueError(f"p_ae: expected shape {p.shape}, got {ae.shape}")
        scs = tuple(
            Scenario(p_tox=p[i], target=self.target, doses=self.doses, dose_unit=self.dose_unit,
                     p_ae=None if ae is None else ae[i], name=f"{self.name or 'draw'} {i + 1}")
            for i in range(p.shape[0])
        )
        object.__setattr__(self, "p_tox", p)
        object.__setattr__(self, "p_ae", ae)
        object.__setattr__(self, "target", scs[0].target)
        object.__setattr__(self, "scenarios", scs)

    def __len__(self) -> int:
        return len(self.scenarios)

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.scenarios)

    @property
    def n_doses(self) -> int:
        return int(self.p_tox.shape[1])

    def label(self) -> str:
        return self.name or f"{len(self)} prior-predictive scenarios"
