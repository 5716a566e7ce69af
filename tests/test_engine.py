"""Engine plumbing: the kernel cache is invalidated by a change in any package source."""

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

