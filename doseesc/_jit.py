"""The one project-wide numba decorator.

Every compiled function in doseesc goes through :func:`jit` so the options are set in
one place: ``cache=True`` (no recompilation in a new process), ``nogil=True``,
``error_model="numpy"`` and *no* fastmath, so results are bit-reproducible across runs,
thread counts and machines with the same numba/LLVM.
"""

from __future__ import annotations

import numba

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)


def jit(func=None, *, parallel: bool = False):
    """Compile ``func`` with the project options (``parallel`` only for batch kernels)."""
    opts = dict(_OPTIONS, parallel=parallel)
    if func is None:
        return lambda f: numba.njit(**opts)(f)
    return numba.njit(**opts)(func)
