"""The what-if's on-disk results (``doseesc._diskcache``): reused only by the same code and data."""

from __future__ import annotations

from doseesc import _diskcache


def test_cached_result_is_reused_only_with_the_same_key_and_code(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert _diskcache.cached("t", (1, 2), compute) == 1
    assert _diskcache.cached("t", (1, 2), compute) == 1 and len(calls) == 1  # read back from disk
    assert _diskcache.cached("t", (1, 3), compute) == 2  # another key
    # an edited source file gives a new stamp: the result is computed again, never read stale
    monkeypatch.setattr(_diskcache, "_code_stamp", lambda: "edited")
    assert _diskcache.cached("t", (1, 2), compute) == 3
    assert len(list((tmp_path / "results").iterdir())) == 3


def test_code_stamp_changes_with_any_source_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    first = _diskcache._code_stamp.__wrapped__(str(tmp_path))
    (tmp_path / "notes.txt").write_text("not code")
    assert _diskcache._code_stamp.__wrapped__(str(tmp_path)) == first
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    assert _diskcache._code_stamp.__wrapped__(str(tmp_path)) != first
    assert len(_diskcache._code_stamp()) == 64  # the package's own
