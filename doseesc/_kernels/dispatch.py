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
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from . import blrm, crm, ewoc, interval, threep3
from .codes import BLRM, CRM, EWOC, INTERVAL, THREE_PLUS_THREE


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
