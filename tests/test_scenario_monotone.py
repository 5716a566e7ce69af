"""A true DLT curve that falls with dose is accepted, with one warning (it is sometimes intended):
in Python (``Scenario``, ``ScenarioSet``), in run files (located by file, line and scenario)
and on the command line (one ``doseesc: warning:`` line on stderr, exit status 0)."""

import warnings

import numpy as np
import pytest

import doseesc as de
from doseesc import config, evidence
from doseesc.cli import main
from doseesc.scenario import NonMonotoneWarning, ScenarioSet, falls_note


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def warning_lines(err):
    return [line for line in err.splitlines() if line.startswith("doseesc: warning:")]


RUN_FILE = """\
n_trials = 200
[random]
seed = 1
[[designs]]
design = "3+3"
[[scenarios]]
p_tox = [0.05, 0.1, 0.3]
target = 0.25
[[scenarios]]
name = "falls"
target = 0.25
p_tox = [0.3, 0.1, 0.2]
"""


# ---------------------------------------------------------------- Python
def test_decreasing_p_tox_warns_once_and_is_kept():
    with pytest.warns(NonMonotoneWarning) as caught:
        sc = de.Scenario([0.3, 0.1], target=0.25)
    assert len(caught) == 1
    msg = str(caught[0].message)
    assert "\n" not in msg
    assert msg.startswith("p_tox: the DLT probability falls from dose 1 to dose 2 (0.3 -> 0.1)")
    assert "sometimes intended" in msg
    assert caught[0].filename == __file__  # points at the caller, not at doseesc
    assert sc.p_tox.tolist() == [0.3, 0.1]  # accepted as given
    assert issubclass(NonMonotoneWarning, UserWarning)


def test_every_fall_is_named():
    with pytest.warns(NonMonotoneWarning, match=r"from dose 2 to dose 3 \(0\.3 -> 0\.2\) and from dose 4 to dose 5 "
                                                r"\(0\.4 -> 0\.1\);"):
        de.Scenario([0.1, 0.3, 0.2, 0.4, 0.1], target=0.25)
    note = falls_note([0.5, 0.4, 0.3, 0.2, 0.1], max_listed=2)
    assert "from dose 1 to dose 2 (0.5 -> 0.4), from dose 2 to dose 3 (0.4 -> 0.3) and 2 more places" in note
    assert falls_note([0.1, 0.1, 0.2]) is None


@pytest.mark.parametrize("make", [
    lambda: de.Scenario([0.05, 0.1, 0.1, 0.3], target=0.25),  # flat is not falling
    lambda: de.Scenario([0.2], target=0.25),
    lambda: de.Scenario([0.05, 0.1, 0.3], target=0.25, p_eff=[0.2, 0.6, 0.4]),  # umbrella efficacy is fine
    lambda: de.Scenario.from_grades([[0.2, 0.1, 0.05], [0.3, 0.15, 0.1], [0.3, 0.2, 0.15]], target=0.2),
    lambda: de.Scenario.from_joint([[0.2, 0.7, 0.02, 0.08], [0.4, 0.4, 0.1, 0.1]], target=0.3),
    lambda: evidence.sample_scenarios(evidence.dose_response_prior([1, 2, 4]), [1, 2, 4], n=50, seed=1),
    lambda: evidence.sample_graded_scenarios(evidence.grade_prior(), [1, 2, 4], n=50, seed=1),
    lambda: evidence.sample_joint_scenarios(evidence.dose_response_prior([1, 2, 4]),
                                            evidence.efficacy_prior("B:response-M12"), [1, 2, 4], n=30, seed=1),
])
def test_rising_curves_and_prior_draws_do_not_warn(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make()


def test_float_noise_is_not_a_fall():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        de.Scenario([0.15, 0.15 - 1e-15, 0.3], target=0.25)


def test_falling_graded_scenario_warns():
    with pytest.warns(NonMonotoneWarning, match="from dose 1 to dose 2"):
        de.Scenario.from_grades([[0.2, 0.1, 0.2], [0.3, 0.15, 0.1]], target=0.2)


def test_scenario_set_warns_once_for_all_its_scenarios():
    p = np.array([[0.1, 0.2], [0.3, 0.1], [0.4, 0.2], [0.1, 0.3]])
    with pytest.warns(NonMonotoneWarning) as caught:
        ss = ScenarioSet(p_tox=p, target=0.25)
    assert len(caught) == 1
    assert str(caught[0].message).startswith("p_tox: 2 of 4 scenarios fall with dose; the first, scenario 2: the "
                                             "DLT probability falls from dose 1 to dose 2 (0.3 -> 0.1)")
    assert len(ss) == 4


# ---------------------------------------------------------------- run files
def test_run_file_warns_with_line_and_scenario():
    with pytest.warns(NonMonotoneWarning) as caught:
        spec = config.parse(RUN_FILE, source="run.toml")
    assert len(caught) == 1
    assert str(caught[0].message).startswith("run.toml line 12: scenarios[2].p_tox: the DLT probability of scenario "
                                             "'falls' falls from dose 1 to dose 2 (0.3 -> 0.1); designs assume")
    assert spec.scenarios[1].p_tox.tolist() == [0.3, 0.1, 0.2]


def test_run_file_unnamed_and_graded_scenarios():
    text = RUN_FILE.replace('name = "falls"\n', "") + """\
[[scenarios]]
target = 0.25
p_grade = [[0.2, 0.1, 0.05], [0.3, 0.15, 0.01], [0.3, 0.2, 0.15]]
"""
    with pytest.warns(NonMonotoneWarning) as caught:
        config.parse(text, source="run.toml")
    msgs = [str(w.message) for w in caught]
    assert len(msgs) == 2
    assert msgs[0].startswith("run.toml line 11: scenarios[2].p_tox: the DLT probability falls from dose 1 to dose 2")
    assert msgs[1].startswith("run.toml line 14: scenarios[3].p_grade: the DLT probability (grades >= 3) falls from "
                              "dose 1 to dose 2 (0.05 -> 0.01)")


def test_rising_run_file_does_not_warn():
    text = RUN_FILE.replace("p_tox = [0.3, 0.1, 0.2]", "p_tox = [0.1, 0.2, 0.3]")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config.parse(text, source="run.toml")


def test_invalid_run_file_errors_without_warning():
    text = RUN_FILE.replace("target = 0.25\np_tox = [0.3, 0.1, 0.2]", "target = 1.5\np_tox = [0.3, 0.1, 0.2]")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(config.RunFileError, match="scenarios\\[2\\].target"):
            config.parse(text, source="run.toml")


# ---------------------------------------------------------------- command line
@pytest.mark.parametrize("command", ["run", "report"])
def test_cli_run_file_warns_once_on_stderr(capsys, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "run.toml"
    path.write_text(RUN_FILE)
    argv = [command, path] + (["-o", tmp_path / "r.html", "--no-figure"] if command == "report" else [])
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    lines = warning_lines(err)
    assert len(lines) == 1, err
    assert lines[0].startswith(f"doseesc: warning: {path} line 12: scenarios[2].p_tox: the DLT probability of "
                               "scenario 'falls' falls from dose 1 to dose 2 (0.3 -> 0.1)")
    assert "sometimes intended" in lines[0]
    assert "error" not in err


def test_cli_rising_run_file_is_silent(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "run.toml"
    path.write_text(RUN_FILE.replace("p_tox = [0.3, 0.1, 0.2]", "p_tox = [0.1, 0.2, 0.3]"))
    code, out, err = run(capsys, "run", path)
    assert code == 0 and warning_lines(err) == [], err


def test_cli_decreasing_truth_warns_once(capsys):
    code, out, err = run(capsys, "simulate", "--design", "3+3", "--truth", "0.3,0.1,0.2", "--target", "0.3",
                         "--n-trials", "200")
    lines = warning_lines(err)
    assert code == 0 and len(lines) == 1, err
    assert lines[0].startswith("doseesc: warning: --truth: the DLT probability falls from dose 1 to dose 2")
