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
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from . import blrm, boin12, crm, efftox, ewoc, interval, threep3
from .codes import BLRM, BOIN12, CRM, EFFTOX, EWOC, INTERVAL, THREE_PLUS_THREE


@jit
def start(code, ipar, fpar, tab, aux):
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


@jit(inline=True)
def decide(code, ipar, fpar, tab, n, y, aux, work, cur, c, k):
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


@jit
def select(code, ipar, fpar, tab, n, y, aux, work):
    if code == INTERVAL:
        return interval.select(ipar, fpar, tab, n, y, work)
    if code == THREE_PLUS_THREE:
        return threep3.select(n, y)
    if code == CRM:
        return crm.select(ipar, fpar, tab, n, y, work)
    if code == BLRM:
        return blrm.select(ipar, fpar, tab, n, y, aux, work)
    if code == EWOC:
        return ewoc.select(ipar, fpar, tab, n, y, aux, work)
    return -2


@jit
def estimates(code, ipar, fpar, tab, n, y, aux, work, out):
    if code == INTERVAL:
        return interval.estimates(fpar, n, y, work, out)
    if code == CRM:
        return crm.estimates(ipar, fpar, tab, n, y, work, out)
    if code == BLRM:
        return blrm.estimates(ipar, fpar, tab, n, y, work, out)
    if code == EWOC:
        return ewoc.estimates(ipar, fpar, tab, n, y, work, out)
    for d in range(n.shape[0]):
        out[d] = y[d] / n[d] if n[d] > 0 else np.nan
    return np.nan


@jit(inline=True)
def uses_efficacy(code):
    """Whether the design decides on efficacy too (``decide_eff`` / ``select_eff``)."""
    return 30 <= code < 40


@jit
def decide_eff(code, ipar, fpar, tab, n, y, e, b, aux, work, cur, c, k, ke, kb):
    """``decide`` for phase I/II designs: also the per-dose responses ``e``, patients with both
    ``b``, and the cohort's ``ke`` responses (``kb`` with both)."""
    if code == BOIN12:
        return boin12.decide(ipar, fpar, tab, n, y, e, b, cur)
    if code == EFFTOX:
        return efftox.decide(ipar, fpar, tab, n, y, e, b, work)
    return -1, 0, -1


@jit
def select_eff(code, ipar, fpar, tab, n, y, e, b, aux, work):
    """``select`` for phase I/II designs."""
    if code == BOIN12:
        return boin12.select(ipar, fpar, tab, n, y, e, b, work)
    if code == EFFTOX:
        return efftox.select(ipar, fpar, tab, n, y, e, b, work)
    return -2


@jit
def decide_eff_exact(code, ipar, fpar, tab, n, y, e, b, aux, work, cur, c, k, ke, kb):
    """``decide_eff`` for exact enumeration: the phase I/II designs with ``exact_ok`` (BOIN12)."""
    if code == BOIN12:
        return boin12.decide(ipar, fpar, tab, n, y, e, b, cur)
    return -1, 0, -1


@jit
def select_eff_exact(code, ipar, fpar, tab, n, y, e, b, aux, work):
    """``select_eff`` for exact enumeration (BOIN12)."""
    if code == BOIN12:
        return boin12.select(ipar, fpar, tab, n, y, e, b, work)
    return -2
