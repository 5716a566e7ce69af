"""Backfill (``--backfill-*``, a run file's ``backfill`` table) and the graded designs (gboin,
quasi-crm; ``--grades``, ``p_grade``, graded outcome strings for ``next``) on the command line
and in run files: the same numbers as the Python API, help text, one-line errors."""

import json

import numpy as np
import pytest

import doseesc as de
from doseesc import config
from doseesc.cli import main

TIME = ["--window", "1", "--rate", "3", "--accrual", "uniform"]
SC = ["--truth", "0.05,0.1,0.25,0.4", "--target", "0.25", "--eff", "0.3,0.4,0.5,0.5", *TIME]
GRADES = "0.12,0.08,0.06,0.02;0.15,0.12,0.12,0.05;0.2,0.15,0.18,0.1"
P_GRADE = [[0.12, 0.08, 0.06, 0.02], [0.15, 0.12, 0.12, 0.05], [0.2, 0.15, 0.18, 0.1]]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _scenario():
    return de.Scenario([0.05, 0.1, 0.25, 0.4], target=0.25, p_eff=[0.3, 0.4, 0.5, 0.5],
                       time=de.TimeModel(window=1, rate=3, accrual="uniform"))


@pytest.mark.parametrize("argv, design", [
    (["--design", "3+3", "--backfill-cap", "6"], de.ThreePlusThree().with_backfill(cap=6)),
    (["--design", "crm", "--skeleton", "0.05,0.12,0.25,0.4", "--cohort-size", "3", "--max-n", "24",
      "--backfill-cap", "9", "--backfill-end", "false"],
     de.CRM(skeleton=[0.05, 0.12, 0.25, 0.4], target=0.25, cohort_size=3, max_n=24).with_backfill(
         cap=9, end_with_escalation=False)),
    (["--design", "boin", "--cohort-size", "3", "--max-n", "24", "--backfill-wait", "false"],
     de.BOIN(target=0.25, cohort_size=3, max_n=24).with_backfill(wait_for_backfill=False)),
])
def test_simulate_with_backfill_equals_python(capsys, argv, design):
    code, out, _ = run(capsys, "simulate", *argv, *SC, "--n-trials", "400", "--seed", "5", "--format", "json")
    assert code == 0
    d = json.loads(out)
    oc = de.simulate(design, _scenario(), n_trials=400, seed=5)
    assert d["n_backfill"] == pytest.approx(oc.n_backfill.tolist())
    assert d["selection"] == pytest.approx(oc.selection.tolist()) and d["design"]["backfill"]["cap"] == design.cap
    code, out, _ = run(capsys, "simulate", *argv, *SC, "--n-trials", "400", "--seed", "5", "--format", "csv")
    assert code == 0 and "\nn_backfill,1," in out and "\nbackfill,," in out


def test_compare_with_backfill_in_brackets(capsys):
    code, out, _ = run(capsys, "compare", "--designs", "3+3,3+3[backfill_cap=9;name=BF 3+3]", *SC,
                       "--n-trials", "300", "--format", "json")
    assert code == 0
    res = json.loads(out)["results"]
    assert [r["design"] for r in res][:2] == ["3+3", "BF 3+3"]
    cmp = de.compare([de.ThreePlusThree(), de.ThreePlusThree().with_backfill(cap=9)], [_scenario()], n_trials=300,
                     seed=1)
    assert res[1]["sample_size"] == pytest.approx(cmp.to_dict()["results"][1]["sample_size"])


def test_graded_simulate_and_score_target(capsys):
    code, out, _ = run(capsys, "simulate", "--design", "gboin", "--score-target", "0.313", "--cohort-size", "3",
                       "--max-n", "30", "--grades", GRADES, "--target", "0.3", "--n-trials", "500", "--format", "json")
    assert code == 0
    d = json.loads(out)
    oc = de.simulate(de.gBOIN(target=0.313, cohort_size=3, max_n=30), de.Scenario.from_grades(P_GRADE, target=0.3),
                     n_trials=500, seed=1)
    assert d["selection"] == pytest.approx(oc.selection.tolist()) and d["tox_score"] == pytest.approx(
        oc.tox_score.tolist())
    code, out, _ = run(capsys, "simulate", "--design", "quasi-crm", "--skeleton", "0.1,0.2,0.3", "--cohort-size", "3",
                       "--max-n", "24", "--grades", GRADES, "--dlt-grade", "4", "--target", "0.3", "--n-trials", "300",
                       "--format", "csv")
    assert code == 0 and "\ntox_score,1," in out
    # a binary design on the graded scenario: the records of the binary scenario (Scenario.from_grades)
    code, a, _ = run(capsys, "simulate", "--design", "boin", "--cohort-size", "3", "--max-n", "30", "--grades", GRADES,
                     "--target", "0.3", "--n-trials", "500", "--format", "csv")
    code, b, _ = run(capsys, "simulate", "--design", "boin", "--cohort-size", "3", "--max-n", "30",
                     "--truth", "0.08,0.17,0.28", "--ae", "0.2,0.27,0.35", "--target", "0.3", "--n-trials", "500",
                     "--format", "csv")
    assert a.splitlines()[1:12] == b.splitlines()[1:12]


def test_graded_next_equals_python(capsys):
    d = de.gBOIN(target=0.313, cohort_size=3, max_n=30)
    for outcomes in ("1:000", "1:000 2:034", "1:000 2:001 3:444", ""):
        code, out, _ = run(capsys, "next", "--design", "gboin", "--target", "0.313", "--cohort-size", "3", "--max-n",
                           "30", "--n-doses", "4", outcomes, "--format", "json")
        assert code == 0
        rec = d.next_dose(outcomes, n_doses=4)
        got = json.loads(out)
        assert got["dose"] == rec.dose and got["selected"] == rec.selected and got["n_patients"] == list(
            rec.n_patients)
    q = de.QuasiCRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.313, cohort_size=3, max_n=24)
    code, out, _ = run(capsys, "next", "--design", "quasi-crm", "--target", "0.313", "--skeleton", "0.1,0.2,0.3,0.4",
                       "--cohort-size", "3", "--max-n", "24", "1:000 2:444", "--format", "json")
    assert code == 0 and json.loads(out)["dose"] == q.next_dose("1:000 2:444").dose == 1


def test_graded_next_dose_replays_decide():
    """next_dose after each cohort equals the documented decide() on the same counts (the
    design's own decision rule, checked against TITEgBOIN in test_graded)."""
    d = de.gBOIN(target=0.313, cohort_size=3, max_n=30)
    s = np.array(d.scores) / max(d.scores)
    rng = np.random.default_rng(3)
    for _ in range(40):
        outcomes, dose = [], 1
        n = np.zeros(4, dtype=int)
        y = np.zeros(4)
        for _ in range(5):
            g = rng.choice(5, size=3, p=[0.5, 0.2, 0.15, 0.1, 0.05])
            outcomes.append(f"{dose}:" + "".join(map(str, g)))
            n[dose - 1] += 3
            y[dose - 1] += s[g].sum()
            rec = d.next_dose(" ".join(outcomes), n_doses=4)
            nxt, reason = d.decide(n, y, dose=dose)
            if rec.stop or nxt is None:
                break
            assert rec.dose == nxt and reason == "running"
            dose = nxt
    q = de.QuasiCRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.313, cohort_size=3, max_n=24)
    n = np.array([3, 3, 0, 0])
    y = np.array([0.0, s[[2, 3, 4]].sum(), 0, 0])
    assert q.next_dose("1:000 2:234").dose == q.decide(n, y, dose=2, cohort_size=3, cohort_score=y[1])


RUN = """
n_trials = 300
[random]
seed = 3
[[designs]]
design = "3+3"
name = "BF 3+3"
backfill = {cap = 9, end_with_escalation = false}
[[designs]]
design = "gboin"
target = 0.313
cohort_size = 3
max_n = 30
[[scenarios]]
p_grade = [[0.12, 0.08, 0.06, 0.02], [0.15, 0.12, 0.12, 0.05], [0.2, 0.15, 0.18, 0.1]]
target = 0.3
p_eff = [0.3, 0.4, 0.5]
time = {window = 1, rate = 3, accrual = "uniform"}
"""


def test_run_file_backfill_and_grades(tmp_path, capsys):
    spec = config.parse(RUN)
    bf, g = spec.designs
    assert bf.label() == "BF 3+3" and bf.cap == 9 and not bf.end_with_escalation
    assert spec.scenarios[0].p_grade.shape == (3, 4)
    resolved = spec.resolved()
    assert resolved["designs"][0]["backfill"] == {"cap": 9, "end_with_escalation": False, "wait_for_backfill": True}
    assert config.parse(RUN.replace('name = "BF 3+3"\n', "")).designs[0].label() == "BF-3+3 (cap 9)"
    # gBOIN runs without a time model only: the run has one scenario set, so check the backfilled design alone
    path = tmp_path / "run.toml"
    path.write_text(RUN.split("[[designs]]\ndesign = \"gboin\"")[0] + "[[scenarios]]" + RUN.split("[[scenarios]]")[1])
    code, out, _ = run(capsys, "run", str(path), "--format", "json")
    assert code == 0
    got = json.loads(out)["results"][0]
    sc = de.Scenario.from_grades(P_GRADE, target=0.3, p_eff=[0.3, 0.4, 0.5],
                                 time=de.TimeModel(window=1, rate=3, accrual="uniform"))
    oc = de.simulate(de.ThreePlusThree().with_backfill(cap=9, end_with_escalation=False), sc, n_trials=300, seed=3)
    assert got["n_backfill"] == pytest.approx(oc.n_backfill.tolist())
    code, out, _ = run(capsys, "report", str(path), "--format", "md", "--no-figure")
    assert code == 0 and "Not tabulated for this design" in out and "**Backfill.**" in out


def test_help_text_from_docstrings(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for flag in ("--backfill-cap", "--backfill-end", "--backfill-wait", "--grades", "--dlt-grade", "--score-target",
                 "--scores"):
        assert flag in out
    assert "A dose is open for backfill while at most cap patients" in out  # Backfill's docstring
    assert "gboin" in out and "quasi-crm" in out


@pytest.mark.parametrize("argv, field", [
    (["simulate", "--design", "3+3", *SC, "--backfill-cap", "0"], "--backfill-cap"),
    (["simulate", "--design", "3+3", *SC, "--backfill-end", "maybe"], "--backfill-end"),
    (["simulate", "--design", "mtpi", "--cohort-size", "3", "--max-n", "12", *SC, "--backfill-cap", "4"],
     "--backfill-cap"),
    (["simulate", "--design", "boin", "--cohort-size", "3", "--max-n", "12", *SC, "--backfill-cap", "4",
      "--titration", "true"], "--backfill-cap"),
    (["simulate", "--design", "3+3", "--truth", "0.1,0.2", "--target", "0.25", "--backfill-cap", "4"], "time"),
    (["simulate", "--design", "3+3", "--truth", "0.1,0.2", "--target", "0.25", *TIME, "--backfill-cap", "4"],
     "--eff: backfill opens a dose"),
    (["simulate", "--design", "3+3", "--grades", "0.1,0.1;0.2", "--target", "0.25"], "--grades"),
    (["simulate", "--design", "3+3", "--grades", "0.1,x;0.2,0.1", "--target", "0.25"], "--grades"),
    (["simulate", "--design", "3+3", "--grades", "0.1,0.1;0.2,0.1", "--dlt-grade", "3", "--target", "0.25"],
     "--dlt-grade"),
    (["simulate", "--design", "3+3", "--truth", "0.1,0.2", "--dlt-grade", "2", "--target", "0.25"], "--dlt-grade"),
    (["simulate", "--design", "3+3", "--grades", "0.1,0.1;0.2,0.1", "--truth", "0.1,0.2", "--target", "0.25"],
     "--truth"),
    (["simulate", "--design", "3+3", "--target", "0.25"], "--truth"),
    (["simulate", "--design", "boin", "--cohort-size", "3", "--max-n", "12", "--score-target", "0.3",
      "--truth", "0.1,0.2", "--target", "0.25"], "--score-target"),
    (["simulate", "--design", "gboin", "--cohort-size", "3", "--max-n", "12", "--truth", "0.1,0.2", "--target",
      "0.25"], "--grades: design 'gBOIN"),
    (["next", "--design", "gboin", "--target", "0.3", "--cohort-size", "3", "--max-n", "12", "--n-doses", "3",
      "1NNN"], "outcomes"),
    (["next", "--design", "gboin", "--target", "0.3", "--cohort-size", "3", "--max-n", "12", "--n-doses", "3",
      "1:007"], "outcomes"),
    (["next", "--design", "gboin", "--target", "0.3", "--cohort-size", "3", "--max-n", "12", "--n-doses", "3",
      "4:000"], "outcomes"),
    (["next", "--design", "gboin", "--target", "0.3", "--cohort-size", "3", "--max-n", "12", "1:000"], "--n-doses"),
    (["next", "--design", "3+3", "--n-doses", "3", "--backfill-cap", "4", "1NNN"], "outcomes"),
    (["compare", "--designs", "3+3,3+3[backfill_size=4]", *SC], "--designs"),
])
def test_bad_input_one_line_exit_2(capsys, argv, field):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in err, err


@pytest.mark.parametrize("text, where", [
    (RUN.replace("cap = 9", "cap = 0"), "designs[1].backfill.cap"),
    (RUN.replace("cap = 9", "size = 9"), "designs[1].backfill.size"),
    (RUN.replace("backfill = {cap = 9, end_with_escalation = false}", "backfill = 9"), "designs[1].backfill"),
    (RUN.replace('design = "3+3"', 'design = "mtpi"\ntarget = 0.3\ncohort_size = 3\nmax_n = 12'),
     "designs[1].backfill.with_backfill"),
    (RUN.replace("p_grade = [[0.12, 0.08, 0.06, 0.02], [0.15, 0.12, 0.12, 0.05], [0.2, 0.15, 0.18, 0.1]]",
                 "p_grade = [[0.12, 0.08], [0.15]]"), "scenarios[1].p_grade"),
    (RUN.replace("target = 0.3\np_eff", "target = 0.3\np_ae = [0.1, 0.1, 0.1]\np_eff"), "scenarios[1].p_ae"),
    (RUN.replace("p_grade = [[0.12, 0.08, 0.06, 0.02], [0.15, 0.12, 0.12, 0.05], [0.2, 0.15, 0.18, 0.1]]", ""),
     "scenarios[1]"),
])
def test_run_file_errors_name_the_key(text, where):
    with pytest.raises(config.RunFileError) as e:
        config.parse(text, source="run.toml")
    msg = str(e.value)
    assert "\n" not in msg and where in msg, msg
