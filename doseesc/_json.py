"""Strict JSON for every doseesc output.

Python's ``json`` writes ``NaN`` and ``Infinity``, which strict parsers (and JSON itself)
reject. Here every non-finite number becomes ``null`` -- a Monte Carlo SE from a single trial
is undefined, an estimate at an untreated dose does not exist -- and ``allow_nan=False``
guarantees that nothing non-finite slips through. NumPy arrays and scalars become lists and
plain numbers.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


def clean(obj: Any) -> Any:
    """``obj`` with NumPy values converted and every non-finite float replaced by None."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return clean(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    return obj


def dumps(obj: Any, **kw) -> str:
    """``json.dumps`` of :func:`clean` ``(obj)``, refusing anything non-finite."""
    kw.setdefault("default", str)
    return json.dumps(clean(obj), allow_nan=False, **kw)
