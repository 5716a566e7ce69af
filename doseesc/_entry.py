"""The ``doseesc`` command's entry point: Python's cyclic garbage collector is held back while
doseesc, NumPy and numba load, and resumes once the first compiled kernel is ready.

Start-up allocates about 125,000 objects that live as long as the process (modules, numba's
typing and lowering registries, which numba sets up on the first kernel it loads) and almost no
cyclic garbage: a warm ``doseesc whatif`` collected about 1,500 objects in 296 collections, which
took 0.16 s of its 3.0 s; a 100,000-trial BOIN run, 0.15 s of about 1.0 s
(``benchmarks/bench_gc.py`` measures it). So the command line starts with the youngest
generation's threshold raised to :data:`START_THRESHOLD` (a bound, not a switch: a long command
that never loads a kernel is still collected, at most that many container objects late), and
:func:`resume` -- called when the first kernel has loaded from the cache, or when numba starts
compiling one (compiling makes cyclic garbage) -- moves everything allocated so far to the
permanent generation (:func:`gc.freeze`: later collections no longer scan it) and restores
Python's thresholds. Start-up objects that become garbage later stay allocated until the process
ends (the command line ends its process without teardown anyway: ``cli._exit_now``).

Only the ``doseesc`` command (``python -m doseesc`` too) and the cold what-if's compile helper
(``_ahead``) do this; importing doseesc as a library leaves the collector alone (:func:`resume`
does nothing unless :func:`pause` ran). Freezing at the first compile also halves the
collections' time while numba compiles: a cold ``simulate --design crm`` 2.04 -> 0.99 s of its
26-29 s, the helper's TITE-BOIN12 and graded loops 2.29 -> 1.46 s of 26 s.
"""

from __future__ import annotations

import gc

START_THRESHOLD = 500_000
_SAVED: list[tuple[int, ...]] = []  # Python's thresholds while paused


def pause() -> None:
    """Raise the youngest generation's threshold to :data:`START_THRESHOLD` until :func:`resume`."""
    if not _SAVED:
        old = gc.get_threshold()
        _SAVED.append(old)
        gc.set_threshold(START_THRESHOLD, *old[1:])


def resume() -> None:
    """Freeze what start-up allocated (:func:`gc.freeze`) and restore the thresholds; nothing if
    not paused. Called by doseesc's dispatcher after a kernel is ready, and on numba's compile
    event."""
    if _SAVED:
        gc.freeze()
        gc.set_threshold(*_SAVED.pop())


def paused() -> bool:
    return bool(_SAVED)


def resume_on_compile() -> None:
    """Register a numba ``numba:compile`` listener that calls :func:`resume` when numba starts
    compiling (a cache miss), before the compile's garbage piles up. Imports numba."""
    from numba.core import event

    class ResumeOnCompile(event.Listener):
        def on_start(self, ev) -> None:
            resume()

        def on_end(self, ev) -> None:
            pass

    event.register("numba:compile", ResumeOnCompile())


def console() -> None:  # pragma: no cover - the installed ``doseesc`` script (tested in a subprocess)
    pause()
    from . import cli

    resume_on_compile()
    cli.console()
