"""Counter-based random numbers.

Every uniform is a pure function of ``(key, trial, patient, stream)`` where ``key`` already
mixes the user's seed and the scenario index. The mixer is the SplitMix64 finaliser
(Steele, Lea & Flood 2014), applied to each counter in turn, so results do not depend on
thread count, chunking or the order in which trials are run.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53

# Streams: independent random numbers per patient for different purposes.
STREAM_TOLERANCE = 0  # latent toxicity tolerance u: DLT at dose d iff u < p_tox[d]
STREAM_ARRIVAL = 1  # inter-arrival time
STREAM_ONSET = 2  # DLT onset time within the window
STREAM_DROPOUT = 3  # drop-out time
STREAM_EFFICACY = 4  # latent efficacy: response at dose d iff v < P(E | T) or P(E | no T) there
STREAM_EFF_ONSET = 5  # time of the response within the efficacy window (TITE-BOIN12)
STREAM_BENCHMARK = 7  # the complete-information benchmark's tie-break (patient index 0 of each trial)
# Stream 6 is free.


@jit
def mix64(z):
    """SplitMix64 finaliser: a bijective avalanche mix of a uint64."""
    z = np.uint64(z)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


_N_STREAMS = np.uint64(8)


@jit
def trial_key(key, trial):
    """The per-trial key: hoisted out of the per-patient loop."""
    return mix64(np.uint64(key) + _GOLDEN * np.uint64(trial + 1))


@jit
def draw(tkey, patient, stream):
    """U(0, 1) (never exactly 0 or 1) for one (patient, stream) under a trial key."""
    h = mix64(tkey + _GOLDEN * (np.uint64(patient) * _N_STREAMS + np.uint64(stream + 1)))
    return (np.float64(h >> _S11) + 0.5) * _TO_UNIT


@jit
def uniform(key, trial, patient, stream):
    """U(0, 1) for one (trial, patient, stream) under ``key``: ``draw(trial_key(key, trial), ...)``."""
    return draw(trial_key(key, trial), patient, stream)


_MASK = 0xFFFFFFFFFFFFFFFF


def _mix64_py(z: int) -> int:
    """Pure-Python twin of :func:`mix64` (no JIT load just to make a key)."""
    z &= _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def make_key(seed: int, scenario: int = 0, member: int | None = None) -> np.uint64:
    """The per-(seed, scenario) key, computed once in Python.

    ``member`` indexes a scenario within a scenario set (prior-predictive draws), so set
    members never share random numbers with each other or with another scenario.
    """
    k = _mix64_py(_mix64_py(int(seed)) + 0x9E3779B97F4A7C15 * (scenario + 1))
    if member is not None:
        k = _mix64_py(k + 0xD1B54A32D192ED03 * (member + 1))
    return np.uint64(k)
