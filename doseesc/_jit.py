"""The one project-wide numba decorator.

Every compiled function in doseesc goes through :func:`jit` so the options are set in
one place: ``cache=True`` (no recompilation in a new process), ``nogil=True``,
``error_model="numpy"`` and *no* fastmath, so results are bit-reproducible across runs,
thread counts and machines with the same numba/LLVM.

Cache invalidation: numba stamps a cached function with its own source file only, so a
kernel that calls a function from another file keeps running stale machine code after that
file changes. doseesc's kernels call across files (the trial loop dispatches to per-design
modules), so here every cached doseesc function is stamped with a hash of all the sources
that hold compiled code (``_jit.py`` and ``_kernels/``; compiled code lives nowhere else, and
a test checks that): a change to any of them recompiles every kernel once, while editing the
Python layers (CLI, designs, results) recompiles nothing.
"""

from __future__ import annotations

import hashlib
import os

import numba

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)
_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
_STAMP = None


def kernel_sources() -> list[str]:
    """The files whose code numba compiles: this module and the ``_kernels`` package."""
    kdir = os.path.join(_PKG_DIR, "_kernels")
    return [os.path.abspath(__file__)] + sorted(os.path.join(kdir, n) for n in os.listdir(kdir) if n.endswith(".py"))


def _package_stamp() -> str:
    global _STAMP
    if _STAMP is None:
        h = hashlib.sha256(numba.__version__.encode())
        for path in kernel_sources():
            with open(path, "rb") as fh:
                h.update(os.path.basename(path).encode() + b"\0" + fh.read())
        _STAMP = h.hexdigest()
    return _STAMP


def _install_locators() -> None:
    """Put package-stamped twins of numba's file-based cache locators first in line."""
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover
        return
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    names = ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")
    bases = [getattr(caching, n, None) or getattr(caching, "_" + n, None) for n in names]
    if impl is None or any(b is None for b in bases) or getattr(impl, "_doseesc", False):
        return
    twins = []
    for base in bases:
        def get_source_stamp(self):
            return _package_stamp()

        @classmethod
        def from_function(cls, py_func, py_file, _base=base):
            if not os.path.abspath(py_file).startswith(_PKG_DIR + os.sep):
                return None
            return super(cls, cls).from_function(py_func, py_file)

        twins.append(type("Doseesc" + base.__name__.lstrip("_"), (base,),
                          {"get_source_stamp": get_source_stamp, "from_function": from_function}))
    impl._locator_classes = twins + list(impl._locator_classes)
    impl._doseesc = True


_install_locators()


def jit(func=None, *, parallel: bool = False, inline: bool = False):
    """Compile ``func`` with the project options (``parallel`` only for batch kernels).

    ``inline=True`` inlines a small hot function into its callers at numba-IR level (the
    per-cohort decision functions: a measured 30-40 ns per call otherwise).
    """
    opts = dict(_OPTIONS, parallel=parallel)
    if inline:
        opts["inline"] = "always"
    if func is None:
        return lambda f: numba.njit(**opts)(f)
    return numba.njit(**opts)(func)
