"""The README's Python example runs as written."""

import pathlib
import re

import pytest


def test_readme_python_example_runs(capsys):
    text = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    block = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    exec(compile(block, "README.md", "exec"), {})
    assert "selected %" in capsys.readouterr().out


@pytest.mark.slow
def test_readme_other_python_examples_run(capsys):
    """Every further Python block runs as written, except the one that needs a Dask cluster."""
    text = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S)[1:] if "dask" not in b]
    assert len(blocks) >= 3
    for block in blocks:
        exec(compile("import doseesc as de\n" + block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Calibration of CRM" in out and "NO candidate" not in out


def test_readme_first_lines_are_the_two_commands():
    text = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    first = re.findall(r"```bash\n(.*?)```", text, re.S)[0].splitlines()
    assert first[0] == "pip install . && doseesc whatif"
    assert "pytest" in first[1]


def test_readme_commands_run(tmp_path, capsys):
    """Every command of the README's command-line block runs as written (trial counts cut down;
    the Dask cluster line needs a cluster)."""
    import shlex

    from doseesc.cli import main

    text = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    block = next(b for b in re.findall(r"```bash\n(.*?)```", text, re.S) if "doseesc simulate" in b)
    (tmp_path / "design.toml").write_text('n_trials = 500\n[[designs]]\ndesign = "boin"\ntarget = 0.25\n'
                                          'cohort_size = 3\nmax_n = 12\n[[scenarios]]\np_tox = [0.05, 0.1, 0.25]\n'
                                          'target = 0.25\n')
    (tmp_path / "patients.csv").write_text("dose,dlt,follow_up\n1,0,28\n1,0,28\n1,0,28\n2,0,10\n")
    ran = 0
    for line in block.splitlines():
        line = line.split("  #")[0].strip()
        if not line.startswith("doseesc ") or "tcp://" in line:
            continue
        argv = shlex.split(line)[1:]
        argv = [a for a in argv if not (a.startswith("[") or a.endswith("]"))]  # [optional] flags shown as such
        argv = [str(tmp_path / a) if a in ("design.toml", "patients.csv") else a for a in argv]
        argv = ["2000" if a == "100000" else a for a in argv]
        if "--out" in argv:
            argv[argv.index("--out") + 1] = str(tmp_path / "results")
        for flag in ("--plot", "-o", "--report"):  # every output goes to the test's folder
            if flag in argv:
                argv[argv.index(flag) + 1] = str(tmp_path / pathlib.Path(argv[argv.index(flag) + 1]).name)
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 0, (line, err)
        ran += 1
    assert ran >= 10
