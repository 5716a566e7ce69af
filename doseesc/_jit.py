"""The one project-wide numba decorator.

Every compiled function in doseesc goes through :func:`jit` so the options are set in
one place: ``cache=True`` (no recompilation in a new process), ``nogil=True``,
``error_model="numpy"`` and *no* fastmath, so results are bit-reproducible across runs,
thread counts and machines with the same numba/LLVM.

Cache location: :func:`cache_dir` (``NUMBA_CACHE_DIR`` or a per-user cache directory), never
inside the installed package.

Cache invalidation: numba stamps a cached function with its own source file only, so a
kernel that calls a function from another file keeps running stale machine code after that
file changes. doseesc's kernels call across files (the trial loop dispatches to per-design
modules), so here every cached doseesc function is stamped with a hash of all the sources
that hold compiled code (``_jit.py`` and ``_kernels/``; compiled code lives nowhere else, and
a test checks that): a change to any of them recompiles every kernel once, while editing the
Python layers (CLI, designs, results) recompiles nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import os
import sys
import tempfile
import time

import numba
import numba.core.registry
import numpy as np
from numba.core import event as _event
from numba.core import types as _types

from . import _entry

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


def cache_dir() -> str:
    """Where doseesc's compiled kernels are cached: ``NUMBA_CACHE_DIR`` when set, else the
    per-user cache directory (``$XDG_CACHE_HOME/doseesc``, ``~/.cache/doseesc``;
    ``~/Library/Caches/doseesc`` on macOS, ``%LOCALAPPDATA%\\doseesc`` on Windows). Never the
    package's own folder: files there belong to pip, and a cache left behind by an uninstall
    shadows a later editable install."""
    explicit = os.environ.get("NUMBA_CACHE_DIR")
    if explicit:
        return os.path.abspath(explicit)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData", "Local")
    elif sys.platform == "darwin":
        base = os.path.join(os.path.expanduser("~"), "Library", "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "doseesc")


def kernel_cache_path(root: str | None = None) -> str:
    """The folder of this version's compiled kernels (one per version of the compiled sources)."""
    return os.path.join(root or cache_dir(), "kernels-" + _package_stamp()[:20])


#: kernel folders and kept results unused for this long are removed (see :func:`prune_cache`)
STALE_DAYS = 30
_MARKED = [False]


def mark_used(root: str | None = None) -> None:
    """Stamp this version's kernel folder as used now (its ``last-used`` file), once per process,
    so that :func:`prune_cache` in another installation never removes a folder still in use."""
    if _MARKED[0]:
        return
    _MARKED[0] = True
    path = kernel_cache_path(root)
    with contextlib.suppress(OSError):
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "last-used"), "a"):
            pass
        os.utime(os.path.join(path, "last-used"))


def prune_cache(root: str | None = None, days: float = STALE_DAYS, now: float | None = None) -> list[str]:
    """Remove what earlier versions of doseesc left in the cache directory: kernel folders of
    other versions of the compiled sources (each version compiles into a folder of its own, tens
    of MB) and kept results (``results/*.pickle``, keyed by the package's sources) not used for
    ``days`` days. A kernel folder's last use is its ``last-used`` stamp (:func:`mark_used`), or
    its newest file for folders made before the stamp existed. Returns the paths removed; errors
    (a folder another process removes at the same time, no permission) are skipped.

    Called when this version first compiles (a new folder is being filled: the moment an
    upgrade leaves the old one behind), never on a warm start."""
    import shutil

    root = root or cache_dir()
    now = time.time() if now is None else now
    limit = now - days * 86400.0
    current = os.path.basename(kernel_cache_path(root))
    removed = []
    try:
        names = os.listdir(root)
    except OSError:
        return removed
    for name in names:
        path = os.path.join(root, name)
        if name == current or not (name.startswith("kernels-") or name.startswith("_kernels_")):
            continue
        if _last_use(path) < limit:
            shutil.rmtree(path, ignore_errors=True)
            if not os.path.exists(path):
                removed.append(path)
    results = os.path.join(root, "results")
    with contextlib.suppress(OSError):
        for name in os.listdir(results):
            path = os.path.join(results, name)
            with contextlib.suppress(OSError):
                if name.endswith(".pickle") and os.stat(path).st_mtime < limit:
                    os.remove(path)
                    removed.append(path)
    return removed


def _last_use(folder: str) -> float:
    """When a kernel folder was last used: its ``last-used`` stamp, else its newest entry."""
    try:
        return os.stat(os.path.join(folder, "last-used")).st_mtime
    except OSError:
        pass
    newest = 0.0
    with contextlib.suppress(OSError):
        newest = os.stat(folder).st_mtime
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):
                newest = max(newest, entry.stat().st_mtime)
    return newest


def _fallback_dir() -> str:
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return os.path.join(tempfile.gettempdir(), f"doseesc-cache-{uid}")


def _install_locator() -> None:
    """Put doseesc's own cache locator first in numba's list: for doseesc's files it always
    answers (the user cache directory, else a per-user temporary one), so numba's in-tree
    locator never writes ``__pycache__`` into the installed package; every cached function is
    stamped with :func:`_package_stamp`."""
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover
        return
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    base = getattr(caching, "_UserProvidedCacheLocator", None) or getattr(caching, "UserProvidedCacheLocator", None)
    if impl is None or base is None or getattr(impl, "_doseesc", False):
        return

    class DoseescCacheLocator(base):
        def __init__(self, py_func, py_file, root=None):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            # one folder per version of the compiled sources, wherever they are installed: a
            # `pip install .` and an editable install of the same sources share compiled code
            self._cache_path = kernel_cache_path(root)

        def get_source_stamp(self):
            return _package_stamp()

        @classmethod
        def from_function(cls, py_func, py_file):
            if not os.path.abspath(py_file).startswith(_PKG_DIR + os.sep):
                return None
            for root in (cache_dir(), _fallback_dir()):
                self = cls(py_func, py_file, root)
                try:
                    self.ensure_cache_path()
                    mark_used(root)
                    return self
                except OSError:
                    continue
            return self  # nothing writable: numba warns when saving fails, and compiles each run

    impl._locator_classes = [DoseescCacheLocator] + list(impl._locator_classes)
    impl._doseesc = True


_install_locator()


class _PruneOnCompile(_event.Listener):
    """At this process's first compile of a doseesc kernel (a cache miss: typically the first run
    after an install or upgrade), remove what :func:`prune_cache` finds stale."""

    done = False

    def on_start(self, event) -> None:
        if _PruneOnCompile.done:
            return
        func = getattr(event.data.get("dispatcher"), "py_func", None)
        if getattr(func, "__module__", "").startswith("doseesc."):
            _PruneOnCompile.done = True
            with contextlib.suppress(Exception):  # a cache is never worth an error
                prune_cache()

    def on_end(self, event) -> None:
        pass


_event.register("numba:compile", _PruneOnCompile())


def _install_index_lock() -> None:
    """Make numba's cache index safe for several processes at once. numba saves a compiled
    signature by reading the function's index, choosing a data-file name not yet in it, writing
    the index and then the data; two processes saving two signatures of one function at the
    same moment can both choose the same name, and the index then maps one signature to the
    other's machine code. doseesc compiles in two processes (``_ahead``: the cold what-if's
    helper; worker processes), so here each save and load holds an exclusive lock on a file in
    the cache folder (POSIX ``flock``; elsewhere numba is left as it is, and the helper does not
    start)."""
    try:
        import fcntl

        from numba.core import caching
    except ImportError:  # pragma: no cover
        return
    cls = getattr(caching, "IndexDataCacheFile", None)
    if cls is None or getattr(cls, "_doseesc_locked", False):
        return

    def locked(method):
        def wrapper(self, *args, **kwargs):
            try:
                fd = os.open(os.path.join(self._cache_path, ".index-lock"), os.O_CREAT | os.O_RDWR, 0o644)
            except OSError:  # no writable cache folder: nothing is saved anyway
                return method(self, *args, **kwargs)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                return method(self, *args, **kwargs)
            finally:
                os.close(fd)  # releases the lock

        return wrapper

    cls.save = locked(cls.save)
    cls.load = locked(cls.load)
    cls._doseesc_locked = True


_install_index_lock()


def index_locked() -> bool:
    """Whether numba's cache index is locked across processes here (see ``_install_index_lock``)."""
    from numba.core import caching

    return bool(getattr(getattr(caching, "IndexDataCacheFile", None), "_doseesc_locked", False))


class _PlainCalls(numba.core.registry.CPUDispatcher):
    """doseesc's dispatcher: a call from compiled code is compiled for the arguments' plain types
    (``int64``, ``bool``), not for the constants the caller passes (numba's ``Literal[int](2)``,
    ``Literal[bool](True)``), so a function called with different constants is compiled once
    instead of once per constant (``rng.draw`` was compiled 13 times in a cold what-if, once per
    random stream and patient index it was called with). The arithmetic is the same either way.
    A parameter named ``code`` keeps its literal: the design code selects each family's
    decisions at compile time (:func:`for_code`, ``_kernels/dispatch.py``)."""

    _literal_at: tuple = ()

    def get_call_template(self, args, kws):
        keep = self._literal_at
        args = tuple(a if i in keep else _types.unliteral(a) for i, a in enumerate(args))
        kws = {k: (v if k == "code" else _types.unliteral(v)) for k, v in kws.items()}
        return super().get_call_template(args, kws)

    def compile(self, sig):
        try:
            return super().compile(sig)
        finally:  # the first kernel is loaded (numba's registries with it): the command line's
            _entry.resume()  # start-up is over (a no-op unless ``_entry.pause`` ran)


def _plain_calls(disp):
    """``disp`` (a dispatcher just made by numba) as a :class:`_PlainCalls`."""
    disp.__class__ = _PlainCalls
    params = list(inspect.signature(disp.py_func).parameters)
    disp._literal_at = tuple(i for i, name in enumerate(params) if name == "code")
    return disp


def jit(func=None, *, parallel: bool = False, inline: bool = False, nrt: bool = True):
    """Compile ``func`` with the project options (``parallel`` only for batch kernels), as a
    :class:`_PlainCalls` dispatcher (calls from compiled code compiled once, not once per constant).

    ``inline=True`` inlines a small hot function into its callers at numba-IR level (the
    per-cohort decision functions: a measured 30-40 ns per call otherwise).

    ``nrt=False`` (not used by doseesc's kernels: with numba's cache, a kernel compiled so and
    the ordinary kernels sharing its callees corrupted memory in a fresh process) compiles
    without numba's reference counting of arrays, for a per-trial loop
    that allocates nothing (every array it touches belongs to its caller, which outlives the
    call). Where a hot function with many array arguments is inlined, numba increfs and
    decrefs each argument around the inlined body (atomic operations LLVM cannot prune across
    loops and branches): measured at 15-20% of TITE-BOIN's time before this option.
    """
    opts = dict(_OPTIONS, parallel=parallel)
    if inline:
        opts["inline"] = "always"
    if not nrt:
        opts["_nrt"] = False
    if func is None:
        return lambda f: _plain_calls(numba.njit(**opts)(f))
    return _plain_calls(numba.njit(**opts)(func))


_ALL_FAMILIES = [0]  # > 0 inside all_families()


@contextlib.contextmanager
def all_families():
    """Within this block, the trial loop and exact enumeration (the kernels called with
    ``for_code(..., shared=True)``) are compiled once for every design family together, as
    one chain of branches on a run-time code, instead of once per family. The what-if runs six
    families: compiled per family, its cold run took 146-149 s instead of about 100 s
    (``benchmarks/bench_compile.py``). The records are the same either way (tested)."""
    _ALL_FAMILIES[0] += 1
    try:
        yield
    finally:
        _ALL_FAMILIES[0] -= 1


def in_all_families() -> bool:
    """Whether this is inside :func:`all_families` (the what-if)."""
    return _ALL_FAMILIES[0] > 0


def for_code(kernel, code: int, *args, shared: bool = False):
    """Call ``kernel(code, *args)`` compiled for this one design code: ``code`` is typed as a
    compile-time constant (numba's ``Literal[int]``), so the kernel and every kernel it passes
    ``code`` to compile only that family's decisions (``_kernels/dispatch.py``): a cold
    ``doseesc simulate --design boin`` compiles in 13 CPU-s instead of 87. Loaded from the
    kernel cache like any signature; compiled on a miss (numba's compile event fires then).
    ``shared``: inside :func:`all_families`, call the every-family compile instead."""
    code = int(code)
    if shared and _ALL_FAMILIES[0]:
        return kernel(code, *args)
    key = (kernel, code) + tuple(map(_kind, args))
    entry = _ENTRY.get(key)
    if entry is None:  # numba's typing of every argument: about 80 us a call, so done once per kind
        from numba import types

        sig = (types.literal(code),) + tuple(kernel.typeof_pyval(a) for a in args)
        entry = _ENTRY[key] = kernel.compile(sig)
    return entry(code, *args)


_ENTRY: dict = {}  # (kernel, code, argument kinds) -> compiled entry point, for :func:`for_code`


def _kind(a):
    """What numba's type of ``a`` depends on, at least (dtype, dimensions, layout, writability,
    alignment of an array; the class of anything else), cheaper to read than numba's typing."""
    if isinstance(a, np.ndarray):
        f = a.flags
        return a.dtype.str, a.ndim, f.c_contiguous, f.f_contiguous, f.writeable, f.aligned
    return type(a)


def _plural(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


class _CompileNotice(_event.Listener):
    """Tells the user, on ``stream``, that doseesc kernels are being compiled (a cold cache
    takes seconds for one design, a minute or two for the what-if: 67-69 s on a 2-core machine)
    and how far it got; silent when everything loads from the cache. numba fires its
    ``numba:compile`` event only on a cache miss."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.t0 = None
        self.stack: list[bool] = []
        self.count = 0

    def _ours(self, event) -> bool:
        func = getattr(event.data.get("dispatcher"), "py_func", None)
        return getattr(func, "__module__", "").startswith("doseesc.")

    def _say(self, text: str, end: str = "\n") -> None:
        print(text, end=end, file=self.stream, flush=True)

    def on_start(self, event) -> None:
        ours = self._ours(event)
        self.stack.append(ours)
        if ours and self.t0 is None:
            self.t0 = time.perf_counter()
            self._say(f"doseesc: compiling the doseesc kernels once (seconds for one design, a minute or two "
                      f"for the what-if; later runs load them from {cache_dir()})")

    def on_end(self, event) -> None:
        if not (self.stack and self.stack.pop()):
            return
        self.count += 1
        took = time.perf_counter() - self.t0
        if self.tty:
            self._say(f"\r  {_plural(self.count, 'function')} compiled, {took:.0f} s", end="")
        elif not any(self.stack):  # a top-level kernel is done
            name = event.data["dispatcher"].py_func.__name__
            self._say(f"  compiled {name} ({_plural(self.count, 'function')}, {took:.0f} s)")

    def finish(self) -> None:
        if self.t0 is not None:
            took = time.perf_counter() - self.t0
            self._say(("\n" if self.tty else "") + f"doseesc: compiled {_plural(self.count, 'function')} in "
                      f"{took:.0f} s")


@contextlib.contextmanager
def compile_notice(stream=None):
    """While active, report doseesc kernel compilation on ``stream`` (default: stderr)."""
    notice = _CompileNotice(sys.stderr if stream is None else stream)
    _event.register("numba:compile", notice)
    try:
        yield notice
    finally:
        _event.unregister("numba:compile", notice)
        notice.finish()
