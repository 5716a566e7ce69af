"""Results of slow deterministic computations kept on disk between runs.

The MAP priors of the what-if take seconds to fit (importance sampling over the hierarchical
model's hyperparameters) and are a pure function of their inputs and the package data. They are
kept, pickled, in the per-user cache directory (``_jit.cache_dir()``, beside the compiled
kernels), under a key that hashes the computation's name and arguments, the doseesc version,
every evidence data file and every source file of the package (so an edited installation
never reads a result its own code would not compute); any change gives a new key. A missing
or unreadable entry is simply recomputed; an unwritable cache directory only costs the time.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import os
import pickle
from collections.abc import Callable
from typing import Any


def _data_stamp() -> str:
    from importlib import resources

    h = hashlib.sha256()
    for entry in sorted(resources.files("doseesc.evidence").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            h.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return h.hexdigest()


@functools.cache
def _code_stamp(root: str | None = None) -> str:
    """A hash of every Python source file under ``root`` (the package; read once per process, a few ms)."""
    root = root or os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256()
    for rel in sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "**", "*.py"), recursive=True)):
        with open(os.path.join(root, rel), "rb") as fh:
            h.update(rel.encode() + b"\0" + fh.read())
    return h.hexdigest()


def cached(name: str, key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, or its value from an earlier run with the same ``name`` and ``key``
    (``repr(key)`` must determine the result)."""
    from . import __version__
    from ._jit import cache_dir

    stamp = f"{__version__}\0{name}\0{key!r}\0{_data_stamp()}\0{_code_stamp()}"
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:32]
    path = os.path.join(cache_dir(), "results", f"{name}-{digest}.pickle")
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        with open(path, "rb") as fh:
            value = pickle.load(fh)
        with contextlib.suppress(OSError):  # used now: _jit.prune_cache removes results unused for a month
            os.utime(path)
        return value
    value = compute()
    with contextlib.suppress(OSError, pickle.PicklingError):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        from . import _io

        _io.write(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value
