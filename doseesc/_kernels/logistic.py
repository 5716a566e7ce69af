"""The logistic function ``1 / (1 + exp(-x))`` elementwise, with the C library's ``exp`` (as
``scipy.special.expit`` computes it: bit-identical on 5 x 10^7 normal draws of scales 0.01 to
700 and at +-inf, nan, +-0 and +-1e308, tests/test_special.py), so the evidence module need not
import ``scipy.special`` (0.2-0.25 s) for the logistic curves a warm what-if draws. NumPy's own
``exp`` differs from the C library's in the last bit for about 2% of arguments."""

from __future__ import annotations

import math

from .._jit import jit


@jit
def expit_into(x, out):
    """``out[i] = 1 / (1 + exp(-x[i]))`` over two flat float64 arrays."""
    for i in range(x.size):
        out[i] = 1.0 / (1.0 + math.exp(-x[i]))
