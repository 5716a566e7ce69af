"""``doseesc._special``: scipy.special on first use, and a logistic function equal to
``scipy.special.expit`` to the bit (so the evidence modules need not import SciPy's special
functions for the curves a warm what-if draws)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import special as sp

from doseesc import _special
from doseesc.evidence import _dose_response, _map

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("scale", [0.01, 1.0, 5.0, 30.0, 700.0])
def test_expit_is_scipys_to_the_bit(scale):
    x = np.random.default_rng(7).normal(0.0, scale, 200_000)
    with np.errstate(over="ignore"):
        want = sp.expit(x)
    got = _special.expit(x)
    assert got.dtype == np.float64 and np.array_equal(got, want)


def test_expit_special_values_shapes_and_scalars():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e308, -1e308, 745.2, -745.2, 36.8, -36.8])
    assert np.array_equal(_special.expit(x), sp.expit(x), equal_nan=True)
    m = np.arange(24.0).reshape(4, 6)[:, ::2] - 10  # 2-d, not contiguous
    assert _special.expit(m).shape == (4, 3) and np.array_equal(_special.expit(m), sp.expit(m))
    s = _special.expit(0.3)
    assert np.ndim(s) == 0 and float(s) == float(sp.expit(0.3))
    assert np.array_equal(_special.expit([1, 2]), sp.expit([1.0, 2.0]))  # integers as floats


def test_other_names_are_scipys():
    assert _special.betaln is sp.betaln and _special.logsumexp is sp.logsumexp
    with pytest.raises(AttributeError):
        _special.no_such_function  # noqa: B018


def test_module_constants_are_scipys_logit():
    assert _map.LOGIT_01 == float(sp.logit(0.1))
    assert _dose_response.DEFAULT_MEAN[0] == float(sp.logit(0.2))


def test_importing_the_evidence_does_not_import_scipy_special():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", "import sys, doseesc.evidence; print('scipy.special' in sys.modules)"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
