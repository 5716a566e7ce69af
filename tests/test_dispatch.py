"""Per-family compilation of the design verbs (``_kernels/dispatch.py``, ``_jit.for_code``).

The Python layer calls the trial loop, exact enumeration and live replay with the design code
as a compile-time constant, so each family compiles only its own decisions; inside
``_jit.all_families`` (the what-if) the loop and exact enumeration are instead compiled once for
every family, as a chain of branches on a run-time code. Both must give the same records.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import doseesc as de
from doseesc._jit import all_families

SC = de.Scenario([0.05, 0.15, 0.3, 0.45], target=0.25)
SC_EFF = de.Scenario([0.05, 0.15, 0.3, 0.45], p_eff=[0.2, 0.4, 0.5, 0.5], target=0.25, utility=(100, 40, 60, 0))
DOSES = [1.0, 2.0, 3.0, 4.0]
SMALL = dict(cohort_size=3, max_n=12)
FAMILIES = [
    ("3+3", de.ThreePlusThree(n_doses=4), SC),
    ("BOIN", de.BOIN(target=0.25, **SMALL), SC),
    ("Keyboard", de.Keyboard(target=0.25, **SMALL), SC),
    ("CRM", de.CRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.25, **SMALL), SC),
    ("CRM + safety stop", de.CRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.25, **SMALL).stop_for_safety(0.9), SC),
    ("BLRM", de.BLRM(doses=DOSES, d_ref=3.0, **SMALL), SC),
    ("EWOC", de.EWOC(doses=DOSES, target=0.25, **SMALL), SC),
    ("BOIN12", de.BOIN12(phi_t=0.25, n_doses=4, **SMALL), SC_EFF),
    ("EffTox", de.EffTox(real_doses=tuple(DOSES), **SMALL), SC_EFF),
]


@pytest.mark.parametrize("label,design,sc", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_per_family_and_shared_compiles_give_the_same_records(label, design, sc):
    n = 40 if label == "EffTox" else 200
    own = de.simulate(design, sc, n_trials=n, seed=11).records
    with all_families():
        shared = de.simulate(design, sc, n_trials=n, seed=11).records
    for field in ("selected", "n_patients", "n_dlt", "stop_reason"):
        assert np.array_equal(getattr(own, field), getattr(shared, field)), field
    if sc.p_eff is not None:
        assert np.array_equal(own.n_eff, shared.n_eff)
    # BOIN12's exact enumeration is per-family in both modes; EffTox's (12 patients: about 25 s) is
    # checked against Monte Carlo in test_efftox
    if design.exact_ok and label not in ("BOIN12", "EffTox"):
        a = de.exact(design, sc)
        with all_families():
            b = de.exact(design, sc)
        assert np.array_equal(a.selection, b.selection)
        assert np.array_equal(a.records.weight, b.records.weight)


@pytest.mark.slow
def test_a_boin_run_compiles_no_other_familys_decisions(tmp_path):
    """From an empty kernel cache, a BOIN simulation compiles BOIN's decisions only: the CRM's,
    BLRM's, EWOC's, BOIN12's and EffTox's decision functions are never compiled (before this
    change the one trial loop held every family's: 87 CPU-s for a cold BOIN run, 13 now)."""
    code = (
        "import doseesc as de\n"
        "from doseesc._kernels import blrm, boin12, crm, efftox, ewoc, interval\n"
        "de.simulate(de.BOIN(target=0.25, cohort_size=3, max_n=12), de.Scenario([0.1, 0.3], target=0.25),"
        " n_trials=10, seed=1)\n"
        "print(len(interval.select.signatures), [len(m.start.signatures) + len(m.select.signatures)"
        " for m in (crm, blrm, ewoc, boin12, efftox)])\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), DOSEESC_NO_AHEAD="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "1"
    assert out.strip().endswith("[0, 0, 0, 0, 0]")


def test_for_code_keeps_one_entry_per_kind_of_arguments():
    """``for_code`` looks the compiled entry point up by the arguments' kinds (dtype, dimensions,
    layout, writability); a read-only array and a writable one are different numba types, so
    each gets its own entry, and both compute the same estimates."""
    from doseesc import _jit
    from doseesc._kernels import trial

    d = de.CRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.25, cohort_size=3, max_n=12)
    low = d.lower(4)
    n = np.array([3, 3, 0, 0])
    y = np.array([0, 1, 0, 0])
    aux = np.zeros(max(low.n_aux, 1), dtype=np.int64)
    work = np.zeros(max(low.n_work, 1))
    n_ro = n.copy()
    n_ro.flags.writeable = False
    outs = []
    for counts in (n, n_ro, n):
        out = np.full(4, np.nan)
        _jit.for_code(trial.estimates, low.code, low.ipar, low.fpar, low.tab, counts, y, aux, work, out)
        outs.append(out)
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[0], outs[2])
    assert np.all(np.isfinite(outs[0]))
    # key: (kernel, code, then one kind per argument: ipar, fpar, tab, n, ...); n's kind ends in
    # (..., writeable, aligned)
    n_kinds = {k[5] for k in _jit._ENTRY if k[0] is trial.estimates and k[1] == low.code}
    assert {kind[4] for kind in n_kinds} == {True, False}  # the read-only n has an entry of its own


TITE12 = de.Scenario([0.05, 0.15, 0.3], p_eff=[0.2, 0.4, 0.5], target=0.25, utility=(100, 40, 60, 0),
                     time=de.TimeModel(window=30.0, rate=0.2, eff_window=90.0))


@pytest.mark.parametrize("label,design,sc,n", [
    ("BOIN", de.BOIN(target=0.25, cohort_size=3, max_n=24), SC, 3 * 4096 + 17),
    ("CRM", de.CRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.25, cohort_size=3, max_n=24), SC, 2 * 4096 + 5),
    ("BOIN12", de.BOIN12(phi_t=0.25, n_doses=4, cohort_size=3, max_n=24), SC_EFF, 2 * 4096 + 3),
    ("TITE-BOIN12", de.TITEBOIN12(phi_t=0.25, n_doses=3, cohort_size=3, max_n=18), TITE12, 2 * 4096 + 9),
], ids=["BOIN", "CRM", "BOIN12", "TITE-BOIN12"])
@pytest.mark.parametrize("threads", [1, 2])
def test_the_whatifs_threaded_serial_loop_gives_the_prange_kernels_records(label, design, sc, n, threads):
    """Inside ``all_families`` the trial loop and TITE-BOIN12's loop run as serial kernels called
    from Python threads in blocks (``backends.rows_in_threads``: no ``parallel=True`` compile);
    outside, as the ``prange`` kernels. Several blocks, one and two threads: the same records,
    bit for bit."""
    own = de.simulate(design, sc, n_trials=n, seed=5, threads=threads).records
    with all_families():
        shared = de.simulate(design, sc, n_trials=n, seed=5, threads=threads).records
    for field in ("selected", "n_patients", "n_dlt", "n_eff", "stop_reason", "duration", "waited", "turned_away"):
        a, b = getattr(own, field, None), getattr(shared, field, None)
        assert (a is None) == (b is None), field
        if a is not None:
            assert np.array_equal(a, b), field


def _add(x, k):
    return x + k


def _with_code(code, x):
    return x + code


def _make_plain_calls():
    """Three compiled functions: ``add`` through doseesc's dispatcher, ``add_numba`` through
    numba's own, and ``with_code`` (a ``code`` parameter) through doseesc's; uncached."""
    import numba

    from doseesc._jit import _plain_calls

    add = _plain_calls(numba.njit(_add))
    add_numba = numba.njit(_add)
    with_code = _plain_calls(numba.njit(_with_code))

    @numba.njit
    def caller(x):
        return add(x, 1) + add(x, 2) + add_numba(x, 1) + add_numba(x, 2) + with_code(7, x)

    return caller, add, add_numba, with_code


def test_calls_from_compiled_code_compile_once_whatever_constants_they_pass():
    """numba compiles a function once per constant a caller passes it (``Literal[int](1)``,
    ``Literal[int](2)``); doseesc's dispatcher (``_jit._PlainCalls``) compiles it once, for the
    plain types, and keeps only the design ``code`` literal (each family's decisions are picked
    at compile time by it)."""
    from numba.core import types

    caller, add, add_numba, with_code = _make_plain_calls()
    assert caller(1.0) == 2.0 + 3.0 + 2.0 + 3.0 + 8.0
    assert add.signatures == [(types.float64, types.int64)]
    assert len(add_numba.signatures) == 2  # numba's: one per constant
    (sig,) = with_code.signatures
    assert isinstance(sig[0], types.IntegerLiteral) and sig[0].literal_value == 7
