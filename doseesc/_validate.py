"""Small validators shared by every public constructor.

Each raises ``ValueError`` with a one-line message that names the field and the
allowed values, which the CLI prints as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Largest maximum sample size a design accepts (patients per trial). Phase I/II trials enrol
#: tens of patients; the bound keeps every per-trial array and decision table small
#: (interval designs tabulate (n, y) pairs: O(max_n^2)).
MAX_PATIENTS = 1000
#: Largest number of dose levels a scenario or design accepts.
MAX_DOSES = 1000
#: Most simulated trials (all scenarios together) one Monte Carlo run accepts.
MAX_TRIALS = 1_000_000_000


def _is_real(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def numbers(name: str, values: Any, *, max_len: int | None = None) -> np.ndarray:
    """A 1-d float array from a sequence of real numbers: strings and booleans are refused
    (``"0.3"`` is not a number, ``true`` is not a probability), as are nested lists."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind not in "iuf":
            raise ValueError(f"{name}: expected a list of numbers, got an array of {values.dtype}")
        arr = values.astype(float)
    else:
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise ValueError(f"{name}: expected a list of numbers, got {_short(values)}")
        if isinstance(values, (set, frozenset, dict)):  # no order: the values per dose would be shuffled
            raise ValueError(f"{name}: expected an ordered list of numbers, got a {type(values).__name__}")
        if max_len is not None and len(values) > max_len:
            raise ValueError(f"{name}: at most {max_len} values allowed, got {len(values)}")
        bad = [x for x in values if not _is_real(x)]
        if bad:
            raise ValueError(f"{name}: expected a list of numbers, got {_short(bad[0])} in it")
        arr = np.asarray(list(values), dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a one-dimensional list of numbers, got shape {arr.shape}")
    if max_len is not None and arr.size > max_len:
        raise ValueError(f"{name}: at most {max_len} values allowed, got {arr.size}")
    return arr


def _short(x: Any, limit: int = 60) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[:limit] + "..."


def probabilities(name: str, values: Any, *, open_interval: bool = False, allow_empty: bool = False) -> np.ndarray:
    """A 1-d float array of probabilities in [0, 1] (or (0, 1) with ``open_interval``), one
    per dose (at most ``MAX_DOSES``)."""
    arr = numbers(name, values, max_len=MAX_DOSES)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a one-dimensional list of numbers, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name}: must not be empty (give one probability per dose)")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: values must be finite numbers in [0, 1], got {arr.tolist()}")
    if open_interval:
        if np.any(arr <= 0) or np.any(arr >= 1):
            raise ValueError(f"{name}: values must be strictly between 0 and 1, got {arr.tolist()}")
    elif np.any(arr < 0) or np.any(arr > 1):
        raise ValueError(f"{name}: values must be in [0, 1], got {arr.tolist()}")
    return arr


def open_unit(name: str, value: Any) -> float:
    """A float strictly between 0 and 1."""
    v = number(name, value)
    if not 0 < v < 1:
        raise ValueError(f"{name}: must be strictly between 0 and 1, got {value!r}")
    return v


def positive(name: str, value: Any, what: str = "") -> float:
    """A finite float > 0; ``what`` says what the value means, for the error message."""
    v = number(name, value)
    if v <= 0:
        raise ValueError(f"{name}: must be > 0{f' ({what})' if what else ''}, got {value!r}")
    return v


def in_range(name: str, value: Any, low: float, high: float, what: str) -> float:
    """A finite float in [low, high]; ``what`` says what the value means, for the error message."""
    x = number(name, value)
    if not low <= x <= high:
        raise ValueError(f"{name}: must be from {low:g} to {high:g} ({what}), got {value!r}")
    return x


#: CRM-family prior SD of beta: beyond these the model's integration range (+-10 prior SDs of
#: beta, i.e. exp(beta) up to e^200) stops being representable, or the prior is a point mass.
PRIOR_SD_RANGE = (0.01, 20.0)


def number(name: str, value: Any) -> float:
    """A finite float from a real number (strings and booleans are refused)."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise ValueError(f"{name}: expected a number, got {_short(value)}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return v


def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """An int in [low, high] (either bound optional); floats with an integral value are accepted."""
    if isinstance(value, bool):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    if not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {_short(value)}")
    v = int(value)
    if low is not None and high is not None and not low <= v <= high:
        raise ValueError(f"{name}: must be an integer from {low} to {high}, got {v}")
    if low is not None and v < low:
        raise ValueError(f"{name}: must be an integer >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name}: must be an integer <= {high}, got {v}")
    return v


def flag(name: str, value: Any, allow_none: bool = False) -> bool | None:
    """A true/false argument: ``True`` or ``False`` (numpy's too; ``None`` where allowed), never a
    string such as ``'no'`` (which Python reads as true)."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name}: must be True or False{' (or None)' if allow_none else ''}, got {_short(value)}")


def choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}: must be one of {', '.join(map(repr, allowed))}, got {_short(value)}")
    return value


def text(name: str, value: Any) -> str | None:
    """An optional label: None or a string."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected a string (a label), got {_short(value)}")
    return value


#: Seeds are 64-bit: every integer from 0 to 2**64 - 1 is a distinct random stream.
MAX_SEED = 2**64 - 1


def seed(value: Any) -> int:
    return integer("seed", value, low=0, high=MAX_SEED)


def trials(value: Any, name: str = "n_trials") -> int:
    """The number of simulated trials of a Monte Carlo run: an integer >= 1 (one trial has no
    standard errors: tables show them as n/a, JSON as null). The upper bound (``MAX_TRIALS``,
    over all scenarios) is the caller's."""
    return integer(name, value, low=1)


def label(name: str, value: Any) -> str | None:
    """An optional label that is shown (a design's ``name``): None (a generated label) or a
    non-empty string (an empty one would print as a blank row)."""
    value = text(name, value)
    if value is not None and not value.strip():
        raise ValueError(f"{name}: must be a non-empty string (a label for tables; leave it out for the generated "
                         f"one), got {value!r}")
    return value


def index(name: str, value: Any, n: int, what: str) -> int:
    """A 0-based index into ``n`` items (``what`` names them, for the error message)."""
    if isinstance(value, (float, np.floating)):
        raise ValueError(f"{name}: expected an integer index of the {what} (0 to {n - 1}), got {value!r}")
    try:
        return integer(name, value, low=0, high=n - 1)
    except ValueError:
        raise ValueError(f"{name}: expected an index of the {what}, an integer from 0 to {n - 1}, "
                         f"got {_short(value)}") from None
