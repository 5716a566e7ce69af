"""Engine plumbing: the kernel cache is invalidated by a change in any package source."""

import re
import time

import doseesc  # noqa: F401  (installs the cache locators)
from doseesc import _jit
from doseesc._kernels import trial


def test_kernel_cache_is_stamped_with_the_whole_package():
    cache = trial.run_batch._cache  # numba's FunctionCache for the batch kernel
    locator = cache._impl.locator
    assert type(locator).__name__.startswith("Doseesc")
    assert locator.get_source_stamp() == _jit._package_stamp()
    # the stamp covers the per-design kernels the trial loop calls into
    assert len(_jit._package_stamp()) == 64


def test_compiled_code_lives_only_in_the_stamped_files():
    import pathlib

    pkg = pathlib.Path(_jit.__file__).parent
    stamped = {pathlib.Path(p).resolve() for p in _jit.kernel_sources()}
    for path in pkg.rglob("*.py"):
        text = path.read_text()
        if "@jit" in text or "njit(" in text:
            assert path.resolve() in stamped, f"{path} holds compiled code but is not in the cache stamp"



def test_compiled_kernels_are_cached_outside_the_package(tmp_path):
    # issue 11: a cache written into site-packages/doseesc/_kernels/__pycache__ outlived an
    # uninstall and shadowed the editable install. Compile one small kernel in a fresh process
    # with no NUMBA_CACHE_DIR: its files go to the per-user cache directory, none into the package.
    import os
    import pathlib
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    pkg = pathlib.Path(_jit.__file__).parent
    before = set(pkg.rglob("*.nb[ic]"))
    # what an older version left behind: its kernel folder, unused for 40 days, and one used lately
    old, recent = tmp_path / "doseesc" / "kernels-0ld", tmp_path / "doseesc" / "kernels-recent"
    for folder, age in ((old, 40), (recent, 5)):
        folder.mkdir(parents=True)
        (folder / "last-used").touch()
        t = time.time() - age * 86400
        os.utime(folder / "last-used", (t, t))
    code = "from doseesc._kernels import rng; rng.mix64(1); from doseesc import _jit; print(_jit.cache_dir())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(tmp_path / "doseesc")
    (current,) = [p for p in (tmp_path / "doseesc").glob("kernels-*") if list(p.glob("*mix64*.nbi"))]
    assert (current / "last-used").exists()  # stamped as used by this version
    assert not old.exists() and recent.exists()  # the first compile removed the stale folder only
    assert set(pkg.rglob("*.nb[ic]")) == before


def test_prune_cache_removes_only_what_was_not_used_for_a_month(tmp_path, monkeypatch):
    import os

    now = 1_000_000_000.0

    def make(rel, age_days):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        t = now - age_days * 86400
        os.utime(path, (t, t))
        return path

    make("kernels-a/last-used", 40)  # another version's folder, last used 40 days ago
    make("kernels-a/fn.nbi", 1)  # its files' times do not count once it has a stamp
    make("kernels-b/last-used", 29)  # used within the month
    make("kernels-c/fn.nbi", 45)  # made before stamps existed: its newest file counts
    os.utime(tmp_path / "kernels-c", (now - 45 * 86400,) * 2)
    make("kernels-d/fn.nbi", 2)
    make("_kernels_0123/fn.nbi", 60)  # the old folder naming
    os.utime(tmp_path / "_kernels_0123", (now - 60 * 86400,) * 2)
    make("other/file", 90)  # not doseesc's: never touched
    make("results/x-1.pickle", 31)
    make("results/x-2.pickle", 3)
    current = _jit.kernel_cache_path(str(tmp_path))
    make(os.path.relpath(os.path.join(current, "fn.nbi"), tmp_path), 400)  # this version's: always kept
    removed = _jit.prune_cache(str(tmp_path), now=now)
    names = sorted(os.path.relpath(p, tmp_path) for p in removed)
    assert names == ["_kernels_0123", "kernels-a", "kernels-c", os.path.join("results", "x-1.pickle")]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["kernels-b", "kernels-d", "other", "results", os.path.basename(current)])
    assert _jit.prune_cache(str(tmp_path / "missing"), now=now) == []
    monkeypatch.setattr(_jit, "_MARKED", [False])
    _jit.mark_used(str(tmp_path))
    assert os.path.exists(os.path.join(current, "last-used"))


def test_compile_notice_reports_only_doseesc_compilation():
    import io

    import numba

    def add_one(x):
        return x + 1

    def other(x):
        return x - 1

    add_one.__module__ = "doseesc.fake"
    stream = io.StringIO()
    with _jit.compile_notice(stream):
        numba.njit(other)(1)
    assert stream.getvalue() == ""  # somebody else's code: nothing to say
    with _jit.compile_notice(stream):
        numba.njit(add_one)(1)
    text = stream.getvalue()
    assert text.startswith("doseesc: compiling the doseesc kernels once (seconds for one design")
    # the seconds are the machine's (0 on a quiet one, 1 or more under load): not what is tested
    assert re.search(r"^  compiled add_one \(1 function, [0-9]+ s\)$", text, re.M)
    assert re.search(r"compiled 1 function in [0-9]+ s$", text.rstrip())


def test_public_names_are_the_functions_not_their_modules():
    # lazily loaded names must not be shadowed by a submodule of the same name once it is imported
    import doseesc as de
    import doseesc.cli
    from doseesc import _whatif  # noqa: F401

    for name in de.__all__:
        assert not isinstance(getattr(de, name), type(de)), name


def _signatures(dispatcher) -> set[str]:
    """Signatures compiled in this process or held in the kernel cache (a kernel loaded from the
    cache does not load the functions compiled into it)."""
    index = dispatcher._cache._cache_file._load_index()
    return {str(tuple(s)) for s in dispatcher.signatures} | {str(tuple(k[0])) for k in index}


def test_trial_loop_is_compiled_once_with_and_without_efficacy():
    """The trial loop takes length-0 efficacy arrays for a scenario without efficacy, so a design
    compiles one ``_run_chunk`` for both cases, not two (a second signature compiled the whole
    decision tree again: issue 11's cold start)."""
    import doseesc as de

    d = de.BOIN(target=0.3, cohort_size=3, max_n=9)
    de.simulate(d, de.Scenario([0.1, 0.3], target=0.3), n_trials=20, seed=1)
    before = _signatures(trial._run_chunk)
    assert len(before) >= 1
    oc = de.simulate(d, de.Scenario([0.1, 0.3], target=0.3, p_eff=[0.2, 0.4]), n_trials=20, seed=1)
    assert oc.records.n_eff is not None
    assert _signatures(trial._run_chunk) == before


def test_start_up_imports_no_scipy_stats():
    """``import scipy.stats`` costs 0.4-2 s here; nothing on the paths of the command line, the
    what-if and the evidence module imports it before it is needed (the MAP prior's fit, which
    the what-if reads from the disk cache once fitted). It was imported by the evidence module
    until this test: a warm what-if took 3.0 s with it, 2.35 s without."""
    import subprocess
    import sys

    code = ("import sys, doseesc.cli, doseesc._whatif, doseesc._whatif_obd, doseesc._whatif_graded, doseesc.evidence;"
            " print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
