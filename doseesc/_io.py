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


#: Largest input file read (run files, live patient data): far above any real one, small
#: enough that a wrong path (a device, a log file) fails at once instead of filling memory.
MAX_INPUT_BYTES = 16 * 1024 * 1024


def read_text(path: str, what: str, limit: int = MAX_INPUT_BYTES) -> str:
    """The text of an input file (``-``: standard input), bounded and strictly decoded.

    Refuses, with a one-line ``ValueError`` naming ``what`` and the file: anything that is not
    a regular file (a directory, a FIFO that might never be written, ``/dev/zero``), files
    larger than ``limit`` bytes, and text that is not UTF-8. A UTF-8 byte-order mark (Excel's
    "CSV UTF-8") is dropped.
    """
    import stat
    import sys

    mb = f"{limit / 2**20:g} MB"
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        try:
            st = os.stat(path)
        except OSError as exc:
            raise ValueError(f"{what}: {path}: cannot read it ({exc.strerror})") from None
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise ValueError(f"{what}: {path}: {kind}; give a text file")
        if st.st_size > limit:
            raise ValueError(f"{what}: {path}: {st.st_size:,} bytes, larger than the {mb} allowed")
        try:
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise ValueError(f"{what}: {path}: cannot read it ({exc.strerror})") from None
    if len(data) > limit:
        raise ValueError(f"{what}: {path}: larger than the {mb} allowed")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what}: {path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start})") \
            from None


def check_output_file(path: str, flag: str) -> None:
    """Before any work: ``path`` can be written (its folder exists and is writable; it is not a
    folder itself). One-line ``ValueError`` naming ``flag`` otherwise."""
    full = os.path.abspath(path)
    folder = os.path.dirname(full)
    if os.path.isdir(full):
        raise ValueError(f"{flag}: {path} is a folder; give a file name such as {os.path.join(path, 'oc.png')}")
    if not os.path.isdir(folder):
        # name the first part of the path that is in the way: a missing folder, or a file where a
        # folder should be (``out.csv/x.png``)
        part = folder
        while not os.path.exists(part) and os.path.dirname(part) != part:
            part = os.path.dirname(part)
        if os.path.exists(part) and not os.path.isdir(part):
            raise ValueError(f"{flag}: {path}: {part} is a file, not a folder")
        raise ValueError(f"{flag}: {path}: the folder {folder} does not exist")
    _probe(folder, flag, path)


def prepare_output_dir(path: str, flag: str, names: list[str], force: bool) -> None:
    """Before any work: create the output folder ``path`` (with its parents) or check the
    existing one, that it is writable, and that it holds none of ``names`` unless ``force``."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{flag}: {path} exists and is not a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{flag}: cannot create the folder {path} ({exc.strerror})") from None
    present = [n for n in names if os.path.exists(os.path.join(path, n))]
    if present and not force:
        raise ValueError(f"{flag}: {path} already holds results ({', '.join(present[:3])}); add --force to "
                         "replace them, or choose another folder")
    _probe(path, flag, path)


def _probe(folder: str, flag: str, shown: str) -> None:
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ValueError(f"{flag}: cannot write to {shown} ({exc.strerror or exc})") from None
