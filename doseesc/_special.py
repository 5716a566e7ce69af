"""``scipy.special`` for the evidence modules, imported on first use rather than with them.

``from doseesc import _special as special`` then ``special.betainc(...)``: any name other than
:func:`expit` is ``scipy.special``'s own (PEP 562 module ``__getattr__``), whose import costs
0.2-0.25 s (SciPy 1.17 rewrites its functions' docstrings as it loads). A warm ``doseesc whatif``
needs only the logistic function from it, which :func:`expit` computes without SciPy and to the
same bits (``_kernels/logistic.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np


def expit(x: Any) -> Any:
    """``scipy.special.expit(x)`` for float64 input (bit-identical): an array of ``x``'s shape,
    or a NumPy scalar for a scalar ``x``."""
    from ._kernels.logistic import expit_into

    a = np.asarray(x, dtype=np.float64)
    flat = np.ascontiguousarray(a).reshape(-1)
    out = np.empty_like(flat)
    expit_into(flat, out)
    out = out.reshape(a.shape)
    return out[()] if out.ndim == 0 else out


def __getattr__(name: str) -> Any:
    from scipy import special

    return getattr(special, name)
