"""Route the three design verbs to the family kernels by integer code.

Every family implements, as module-level jitted functions:

* ``start(...) -> (dose, cohort_size)``: first dose (0-based) and cohort size; initialises ``aux``.
* ``decide(...) -> (dose, cohort_size, reason)``: after a cohort of ``c`` patients with ``k``
  DLTs at dose ``cur`` has been added to the per-dose counts ``n`` and ``y``; ``reason`` is a
  stop code from :mod:`.codes` (``CONTINUE`` to go on; then ``dose`` is the next dose).
* ``select(...) -> dose``: the final selection from the counts (0-based, -1 for none).
* ``estimates(..., out) -> beta``: the per-dose DLT estimates the design uses (into ``out``)
  and a model parameter (NaN where there is none). Only used for live recommendations.

``ipar``/``fpar``/``tab`` are the design's packed integer, float and table parameters; ``aux``
is a small integer state vector carried between decisions (part of the exact-enumeration
state); ``work`` is float scratch space that carries nothing between calls.

Phase I/II designs (codes in ``EFFICACY_CODES``) decide through ``decide_eff`` and
``select_eff``, which also receive the per-dose efficacy responses ``e`` and patients with
both a DLT and a response ``b`` (and the cohort's ``ke`` responses, ``kb`` with both);
``uses_efficacy(code)`` tells the loops which pair to call. Toxicity-only designs never see
efficacy, so their decisions cannot depend on it. Exact enumeration calls ``decide_eff_exact``
and ``select_eff_exact``, which route only the phase I/II designs the exact engine accepts
(BOIN12): EffTox is simulated only, and leaving its posterior out of the enumeration kernel
saves about half of that kernel's compilation.

Each verb is compiled for one family only: ``code`` reaches the kernels as a compile-time
constant (numba's ``Literal[int]``; the Python layer calls the entry points through
:func:`doseesc._jit.for_code`), and each verb's overload below picks that family's function
while numba types the caller. A BOIN simulation therefore compiles BOIN's decisions and not
the CRM's, BLRM's or EffTox's; every kernel that passes ``code`` on is compiled once per family
it is used with (``benchmarks/bench_compile.py`` has the measurements). A ``code`` that is a
run-time value (``_jit.all_families``: the what-if, which runs six families) gets the chain of
branches over every family (``_generic_*``), compiled once for all of them; the same family
functions run either way, so the records are the same (tested).
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import overload

from .._jit import jit
from . import blrm, boin12, crm, efftox, ewoc, interval, threep3
from .codes import BLRM, BOIN12, CRM, EFFTOX, EWOC, INTERVAL, THREE_PLUS_THREE


def _family(code) -> int | None:
    """The design code of a ``Literal[int]`` type (typing time); None for a run-time code."""
    return code.literal_value if isinstance(code, types.IntegerLiteral) else None


def _verb(func, **options):
    """Register ``func``'s overload (``func`` returns the implementation for one design code).

    numba compiles each implementation an overload returns (the every-family chain, or one
    family's lambda) as a function of its own; ``cache=True`` keeps it in the kernel cache like
    every kernel, so the cold what-if's second process, and a later command of the same family,
    load it instead of compiling it again (cold what-if 71.3 s against 71.7-74.0 s; README)."""
    def stub(*args):  # pragma: no cover - only numba calls these, through the overload
        raise NotImplementedError(f"dispatch.{func.__name__} runs in compiled code only")

    stub.__name__ = stub.__qualname__ = func.__name__
    stub.__doc__ = func.__doc__
    overload(stub, prefer_literal=True, jit_options=dict(cache=True), **options)(func)
    return stub


def _verb_inline(func):
    """:func:`_verb`, inlined into its callers at numba-IR level (the per-cohort decision)."""
    return _verb(func, inline="always")


def _generic_start(code, ipar, fpar, tab, aux):
    if code == INTERVAL:
        return interval.start(ipar, aux)
    if code == THREE_PLUS_THREE:
        return threep3.start(ipar, aux)
    if code == CRM:
        return crm.start(ipar, aux)
    if code == BLRM:
        return blrm.start(ipar, aux)
    if code == EWOC:
        return ewoc.start(ipar, aux)
    if code == BOIN12:
        return boin12.start(ipar, aux)
    if code == EFFTOX:
        return efftox.start(ipar, aux)
    return -1, 0


@_verb
def start(code, ipar, fpar, tab, aux):
    """``(dose, cohort_size)`` of the first cohort."""
    f = _family(code)
    if f is None:  # a run-time code: every family, as one compiled chain
        return _generic_start
    if f == INTERVAL:
        return lambda code, ipar, fpar, tab, aux: interval.start(ipar, aux)
    if f == THREE_PLUS_THREE:
        return lambda code, ipar, fpar, tab, aux: threep3.start(ipar, aux)
    if f == CRM:
        return lambda code, ipar, fpar, tab, aux: crm.start(ipar, aux)
    if f == BLRM:
        return lambda code, ipar, fpar, tab, aux: blrm.start(ipar, aux)
    if f == EWOC:
        return lambda code, ipar, fpar, tab, aux: ewoc.start(ipar, aux)
    if f == BOIN12:
        return lambda code, ipar, fpar, tab, aux: boin12.start(ipar, aux)
    if f == EFFTOX:
        return lambda code, ipar, fpar, tab, aux: efftox.start(ipar, aux)
    return lambda code, ipar, fpar, tab, aux: (-1, 0)


def _generic_decide(code, ipar, fpar, tab, n, y, aux, work, cur, c, k):
    if code == INTERVAL:
        return interval.decide(ipar, tab, n, y, aux, cur, c, k)
    if code == THREE_PLUS_THREE:
        return threep3.decide(ipar, n, y, aux, cur)
    if code == CRM:
        return crm.decide(ipar, fpar, tab, n, y, aux, work, cur, c, k)
    if code == BLRM:
        return blrm.decide(ipar, fpar, tab, n, y, aux, work, cur, c, k)
    if code == EWOC:
        return ewoc.decide(ipar, fpar, tab, n, y, aux, work, cur, c, k)
    return -1, 0, -1


@_verb_inline
def decide(code, ipar, fpar, tab, n, y, aux, work, cur, c, k):
    """``(dose, cohort_size, reason)`` after a cohort (toxicity-only designs)."""
    f = _family(code)
    if f is None:  # a run-time code: every family, as one compiled chain
        return _generic_decide
    if f == INTERVAL:
        return lambda code, ipar, fpar, tab, n, y, aux, work, cur, c, k: interval.decide(ipar, tab, n, y, aux, cur, c,
                                                                                         k)
    if f == THREE_PLUS_THREE:
        return lambda code, ipar, fpar, tab, n, y, aux, work, cur, c, k: threep3.decide(ipar, n, y, aux, cur)
    if f == CRM:
        return lambda code, ipar, fpar, tab, n, y, aux, work, cur, c, k: crm.decide(ipar, fpar, tab, n, y, aux, work,
                                                                                    cur, c, k)
    if f == BLRM:
        return lambda code, ipar, fpar, tab, n, y, aux, work, cur, c, k: blrm.decide(ipar, fpar, tab, n, y, aux,
                                                                                     work, cur, c, k)
    if f == EWOC:
        return lambda code, ipar, fpar, tab, n, y, aux, work, cur, c, k: ewoc.decide(ipar, fpar, tab, n, y, aux,
                                                                                     work, cur, c, k)
    return lambda code, ipar, fpar, tab, n, y, aux, work, cur, c, k: (-1, 0, -1)


def _generic_select(code, ipar, fpar, tab, n, y, aux, work):
    if code == INTERVAL:
        return interval.select(ipar, fpar, tab, n, y, work)
    if code == THREE_PLUS_THREE:
        return threep3.select(ipar, n, y)
    if code == CRM:
        return crm.select(ipar, fpar, tab, n, y, work)
    if code == BLRM:
        return blrm.select(ipar, fpar, tab, n, y, aux, work)
    if code == EWOC:
        return ewoc.select(ipar, fpar, tab, n, y, aux, work)
    return -2


@_verb
def select(code, ipar, fpar, tab, n, y, aux, work):
    """The final selection (0-based; -1 none) of a toxicity-only design."""
    f = _family(code)
    if f is None:  # a run-time code: every family, as one compiled chain
        return _generic_select
    if f == INTERVAL:
        return lambda code, ipar, fpar, tab, n, y, aux, work: interval.select(ipar, fpar, tab, n, y, work)
    if f == THREE_PLUS_THREE:
        return lambda code, ipar, fpar, tab, n, y, aux, work: threep3.select(ipar, n, y)
    if f == CRM:
        return lambda code, ipar, fpar, tab, n, y, aux, work: crm.select(ipar, fpar, tab, n, y, work)
    if f == BLRM:
        return lambda code, ipar, fpar, tab, n, y, aux, work: blrm.select(ipar, fpar, tab, n, y, aux, work)
    if f == EWOC:
        return lambda code, ipar, fpar, tab, n, y, aux, work: ewoc.select(ipar, fpar, tab, n, y, aux, work)
    return lambda code, ipar, fpar, tab, n, y, aux, work: -2


@jit
def _observed(n, y, out):
    """Observed DLT rates for designs without a model."""
    for d in range(n.shape[0]):
        out[d] = y[d] / n[d] if n[d] > 0 else np.nan
    return np.nan


def _generic_estimates(code, ipar, fpar, tab, n, y, aux, work, out):
    if code == INTERVAL:
        return interval.estimates(fpar, n, y, work, out)
    if code == CRM:
        return crm.estimates(ipar, fpar, tab, n, y, work, out)
    if code == BLRM:
        return blrm.estimates(ipar, fpar, tab, n, y, work, out)
    if code == EWOC:
        return ewoc.estimates(ipar, fpar, tab, n, y, work, out)
    return _observed(n, y, out)


@_verb
def estimates(code, ipar, fpar, tab, n, y, aux, work, out):
    """The per-dose DLT estimates into ``out``; returns a model parameter (NaN if none)."""
    f = _family(code)
    if f is None:  # a run-time code: every family, as one compiled chain
        return _generic_estimates
    if f == INTERVAL:
        return lambda code, ipar, fpar, tab, n, y, aux, work, out: interval.estimates(fpar, n, y, work, out)
    if f == CRM:
        return lambda code, ipar, fpar, tab, n, y, aux, work, out: crm.estimates(ipar, fpar, tab, n, y, work, out)
    if f == BLRM:
        return lambda code, ipar, fpar, tab, n, y, aux, work, out: blrm.estimates(ipar, fpar, tab, n, y, work, out)
    if f == EWOC:
        return lambda code, ipar, fpar, tab, n, y, aux, work, out: ewoc.estimates(ipar, fpar, tab, n, y, work, out)
    return lambda code, ipar, fpar, tab, n, y, aux, work, out: _observed(n, y, out)


@jit(inline=True)
def uses_efficacy(code):
    """Whether the design decides on efficacy too (``decide_eff`` / ``select_eff``)."""
    return 30 <= code < 40


def _generic_decide_eff(code, ipar, fpar, tab, n, y, e, b, aux, work, cur, c, k, ke, kb):
    if code == BOIN12:
        return boin12.decide(ipar, fpar, tab, n, y, e, b, cur)
    if code == EFFTOX:
        return efftox.decide(ipar, fpar, tab, n, y, e, b, work)
    return -1, 0, -1


@_verb
def decide_eff(code, ipar, fpar, tab, n, y, e, b, aux, work, cur, c, k, ke, kb):
    """``decide`` for phase I/II designs: also the per-dose responses ``e``, patients with both
    ``b``, and the cohort's ``ke`` responses (``kb`` with both)."""
    f = _family(code)
    if f is None:  # a run-time code: every family, as one compiled chain
        return _generic_decide_eff
    if f == BOIN12:
        return lambda code, ipar, fpar, tab, n, y, e, b, aux, work, cur, c, k, ke, kb: boin12.decide(
            ipar, fpar, tab, n, y, e, b, cur)
    if f == EFFTOX:
        return lambda code, ipar, fpar, tab, n, y, e, b, aux, work, cur, c, k, ke, kb: efftox.decide(
            ipar, fpar, tab, n, y, e, b, work)
    return lambda code, ipar, fpar, tab, n, y, e, b, aux, work, cur, c, k, ke, kb: (-1, 0, -1)


def _generic_select_eff(code, ipar, fpar, tab, n, y, e, b, aux, work):
    if code == BOIN12:
        return boin12.select(ipar, fpar, tab, n, y, e, b, work)
    if code == EFFTOX:
        return efftox.select(ipar, fpar, tab, n, y, e, b, work)
    return -2


@_verb
def select_eff(code, ipar, fpar, tab, n, y, e, b, aux, work):
    """``select`` for phase I/II designs."""
    f = _family(code)
    if f is None:  # a run-time code: every family, as one compiled chain
        return _generic_select_eff
    if f == BOIN12:
        return lambda code, ipar, fpar, tab, n, y, e, b, aux, work: boin12.select(ipar, fpar, tab, n, y, e, b, work)
    if f == EFFTOX:
        return lambda code, ipar, fpar, tab, n, y, e, b, aux, work: efftox.select(ipar, fpar, tab, n, y, e, b, work)
    return lambda code, ipar, fpar, tab, n, y, e, b, aux, work: -2
