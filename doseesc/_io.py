"""Output files written atomically, so an interrupted or killed run never leaves a file that
looks complete: each file is written to a temporary name in its folder and renamed into place
once whole. Temporary files of an interrupted run are removed on Ctrl-C (a SIGKILL leaves a
``*.partial-<pid>`` file, never one under the final name)."""

from __future__ import annotations

import contextlib
import os
import threading

_PENDING: set[str] = set()
_LOCK = threading.Lock()


def write(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = os.fspath(path)
    tmp = f"{path}.partial-{os.getpid()}"
    with _LOCK:
        _PENDING.add(tmp)
    try:
        with open(tmp, "wb" if isinstance(data, bytes) else "w", encoding=None if isinstance(data, bytes)
                  else "utf-8") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        with _LOCK:
            _PENDING.discard(tmp)
        with contextlib.suppress(OSError):
            os.remove(tmp)


def discard_partial() -> None:
    """Remove the temporary files of writes that did not finish (called on Ctrl-C)."""
    with _LOCK:
        pending = list(_PENDING)
        _PENDING.clear()
    for tmp in pending:
        with contextlib.suppress(OSError):
            os.remove(tmp)
