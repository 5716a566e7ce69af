"""Every example runs, prints its results and writes its figure (with a reduced trial count)."""

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))
#: Examples that judge one seed trial's design: their evidence prior leaves that trial's own data out
#: (leave-one-trial-out, as ``doseesc whatif`` does), else the prior would be circular.
OWN_TRIAL = {"bm_msc_3plus3": "A", "uc_msc_bayesian": "B"}


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    pytest.importorskip("matplotlib")
    proc = subprocess.run([sys.executable, str(script), "2000"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "wrote" in proc.stdout
    pngs = list(tmp_path.glob("*.png"))
    assert pngs and all(p.stat().st_size > 10_000 for p in pngs)
    trial = OWN_TRIAL.get(script.stem)
    if trial is not None:
        head = proc.stdout.split("\n\n")[0]  # the prior's description, before any results
        assert f"trial {trial}'s own data left out" in head, head
        assert "ecords" in head and f"{trial}@" not in head, head  # no record of the trial itself
