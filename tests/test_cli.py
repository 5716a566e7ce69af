"""The command line: outputs, JSON keys, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import pytest

import doseesc as de
from doseesc.cli import main

from .test_tools import RUN

BASE = ["--design", "3+3", "--truth", "0.05,0.1,0.2,0.3", "--target", "0.3"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_simulate_table(capsys):
    code, out, err = run(capsys, "simulate", *BASE, "--n-trials", "2000", "--seed", "1")
    assert code == 0 and "selected %" in out and "correct selection" in out


def test_simulate_json_keys_equal_python_names(capsys):
    code, out, _ = run(capsys, "simulate", *BASE, "--n-trials", "1000", "--format", "json")
    d = json.loads(out)
    for key in ("selection", "no_selection", "n_patients", "n_dlt", "sample_size"):
        assert key in d and f"{key}_se" in d
    assert len(d["selection"]) == 4 and d["n_trials"] == 1000 and d["seed"] == 1
    assert "versions" in d and d["design"]["design"] == "3+3"


def test_simulate_same_seed_same_output(capsys):
    a = run(capsys, "simulate", *BASE, "--n-trials", "3000", "--seed", "9", "--format", "csv")[1]
    b = run(capsys, "simulate", *BASE, "--n-trials", "3000", "--seed", "9", "--format", "csv")[1]
    assert a == b and a.startswith("metric,dose,dose_value,value,se")


def test_exact_json(capsys):
    code, out, _ = run(capsys, "exact", "--design", "3+3", "--truth", "0.1,0.2,0.3,0.45,0.6", "--target", "0.3",
                       "--format", "json")
    d = json.loads(out)
    assert d["exact"] is True
    assert d["no_selection"] == pytest.approx(0.10041746315048568, abs=1e-12)  # peer reference value
    assert d["selection_se"] == [0.0] * 5


def test_next(capsys):
    code, out, _ = run(capsys, "next", "--design", "3+3", "--n-doses", "3", "1NNN 2NTN")
    assert code == 0 and "next: dose 2" in out
    code, out, _ = run(capsys, "next", "--design", "3+3", "--n-doses", "3", "1NNN 2NTT", "--format", "json")
    d = json.loads(out)
    assert d["dose"] == 1 and d["stop"] is False


def test_compare(capsys):
    code, out, _ = run(capsys, "compare", "--designs", "3+3", "--truth", "0.1,0.2,0.3", "--target", "0.3",
                       "--n-trials", "500")
    assert code == 0 and "Paired comparison" in out


@pytest.mark.parametrize("argv, field", [
    (["simulate", "--design", "3+3", "--truth", "0.05,1.2", "--target", "0.3"], "--truth: values must be in [0, 1]"),
    (["simulate", "--design", "boin12", "--truth", "0.1,0.2", "--target", "0.3", "--eff", "0.2"], "--eff: expected 2"),
    (["simulate", "--design", "boin", "--truth", "0.1,0.2", "--target", "0.3", "--ae", "0.1,0.9"], "--ae: "),
    (["paths", "--design", "3+3", "--cohorts", "1", "--truth", "0.1,0.2"], "--target: required with --truth"),
    (["paths", "--design", "gboin", "--target", "0.25", "--cohort-size", "3", "--max-n", "12", "--n-doses", "3",
      "--cohorts", "1"],
     "--design: dose-transition pathways are not available for gBOIN"),
    (["paths", "--design", "boin12", "--cohorts", "1", "--truth", "0.1,0.2", "--target", "0.3"], "--eff: design"),
    (["whatif", "--trial", "A", "--cohort-size", "1000"], "cohort_size: must be at most the maximum sample size (12"),
    (["simulate", "--design", "boin", "--truth", "0.05,0.1,0.25,0.4", "--target", "0.25", "--cohort-size", "3",
      "--max-n", "24", "--backfill-cap", "5", "--window", "1", "--rate", "2", "--eff", "0.1,0.2,0.3,0.4", "--stop-at",
      "20"], "--backfill-cap: backfill cannot be combined with the composable rules (--stop-at)"),
    (["simulate", "--design", "3+3", "--truth", "0.1,0.2", "--target", "0.3", "--backend", "1", "--backend-timeout",
      "-5"], "--backend-timeout: must be more than 0"),
    (["simulate", "--design", "3+3", "--truth", "", "--target", "0.3"], "--truth"),
    (["simulate", "--design", "3+3", "--truth", "0.1,abc", "--target", "0.3"], "--truth"),
    (["simulate", "--design", "3+3", "--truth", "0.1,0.2", "--target", "1.5"], "target"),
    (["simulate", "--design", "3+3", "--truth", "0.1,0.2", "--target", "0.3", "--start-dose", "3"], "start_dose"),
    (["simulate", "--design", "3+3", "--truth", "0.1,0.2", "--target", "0.3", "--n-trials", "0"], "n_trials"),
    (["simulate", "--design", "nope", "--truth", "0.1,0.2", "--target", "0.3"], "--design"),
    (["simulate", "--design", "3+3", "--truth", "0.1,0.2", "--target", "0.3", "--deescalate", "maybe"], "--deescalate"),
    (["next", "--design", "3+3", "1NNN 2NXN"], "outcomes"),
    (["simulate", "--truth", "0.1"], "required"),
])
def test_bad_input_one_line_exit_2(capsys, argv, field):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in err


def test_console_script_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "doseesc", "simulate", "--design", "3+3", "--truth", "0.1,-0.2",
                           "--target", "0.3"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and "doseesc" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    assert "--start-dose" in capsys.readouterr().out


def test_next_with_live_follow_up_data(capsys, tmp_path):
    # the CSV route gives exactly next_dose_tite's recommendation
    f = tmp_path / "patients.csv"
    f.write_text("dose,dlt,follow_up,dropped\n1,0,28,\n1,0,28,\n1,0,28,\n2,0,20,no\n2,0,12,\n2,0,5,yes\n")
    rows = [dict(dose=1, dlt=0, follow_up=28)] * 3 + [dict(dose=2, dlt=0, follow_up=20),
                                                        dict(dose=2, dlt=0, follow_up=12),
                                                        dict(dose=2, dlt=0, follow_up=5, dropped=True)]
    base = ["next", "--target", "0.25", "--max-n", "24", "--n-doses", "4", "--window", "28", "--format", "json"]
    for design, extra, obj in [
        ("tite-boin", [], de.TITEBOIN(target=0.25, max_n=24)),
        ("tite-crm", ["--skeleton", "0.05,0.12,0.25,0.4"], de.TITECRM(skeleton=[0.05, 0.12, 0.25, 0.4], target=0.25,
                                                                       max_n=24)),
    ]:
        code, out, err = run(capsys, *base, "--design", design, *extra, "--data", str(f))
        assert code == 0, err
        expect = obj.next_dose_tite(rows, window=28, n_doses=4).to_dict()
        got = json.loads(out)
        assert got["design"]["design"] == obj.to_dict()["design"] and "versions" in got  # what was run, then ...
        assert {k: v for k, v in got.items() if k not in ("data", "design", "versions")} == json.loads(
            json.dumps(expect))  # ... the recommendation itself
    # 2 of 3 pending at dose 2 (the drop-out does not count): suspended
    f.write_text("dose,dlt,follow_up\n1,0,28\n1,0,28\n1,0,28\n2,0,20\n2,0,12\n2,0,5\n")
    code, out, _ = run(capsys, "next", "--design", "tite-boin", "--target", "0.25", "--max-n", "24", "--n-doses", "4",
                       "--window", "28", "--data", str(f))
    assert code == 0 and "suspended" in out and "next: none now" in out


@pytest.mark.parametrize("argv, msg", [
    (["--design", "tite-boin", "--data", "P"], "--window:"),
    (["--design", "tite-boin", "--data", "P", "--window", "28", "1NNN"], "--data:"),
    (["--design", "boin", "--cohort-size", "3", "--data", "P", "--window", "28"], "--data:"),
    (["--design", "tite-boin", "--window", "28", "1NNN"], "--window:"),
    (["--design", "tite-boin", "--data", "missing.csv", "--window", "28"], "--data:"),
    (["--design", "tite-boin", "--data", "BAD", "--window", "28"], "--data:"),
    (["--design", "tite-boin", "--data", "DLT", "--window", "28", "--n-doses", "4"], "data: patient 1 had a DLT"),
    (["--design", "tite-boin", "--data", "P", "--window", "28", "--n-doses", "3", "--current-dose", "7"],
     "current_dose:"),
    (["--design", "tite-boin", "--data", "P", "--window", "-1", "--n-doses", "4"], "window:"),
    (["--design", "tite-boin", "--data", "EXTRA", "--window", "28", "--n-doses", "4"], "unknown column 'site'"),
])
def test_next_data_errors_are_one_line(capsys, tmp_path, argv, msg):
    good = tmp_path / "p.csv"
    good.write_text("dose,dlt,follow_up\n1,0,28\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("dose,dlt,follow_up\n1,maybe,28\n")
    dlt = tmp_path / "dlt.csv"
    dlt.write_text("dose,dlt,follow_up\n1,1,40\n")
    extra = tmp_path / "extra.csv"
    extra.write_text("dose,dlt,follow_up,site\n1,0,28,A\n")
    sub = {"P": str(good), "BAD": str(bad), "DLT": str(dlt), "EXTRA": str(extra),
           "missing.csv": str(tmp_path / "missing.csv")}
    argv = [sub.get(a, a) for a in argv]
    code, out, err = run(capsys, "next", "--target", "0.25", "--max-n", "24", *argv)
    assert code == 2 and err.count("\n") == 1 and msg in err and "Traceback" not in err


def test_tite_boin12_data_must_carry_responses(capsys, tmp_path):
    # TITE-BOIN12 reads responses too: a file without them (CLI audit: a Python dict was printed)
    f = tmp_path / "p.csv"
    f.write_text("dose,dlt,follow_up\n1,0,28\n")
    code, out, err = run(capsys, "next", "--design", "tite-boin12", "--max-n", "24", "--n-doses", "4", "--window",
                         "28", "--data", str(f))
    assert code == 2 and err.count("\n") == 1
    assert "the header must name dose, dlt, follow_up, eff, eff_follow_up (optional: dropped); missing eff, " \
           "eff_follow_up" in err


RUN_FILE = RUN.replace("n_trials = 2000", "n_trials = 300")  # a BOIN and a 3+3 on one scenario


def test_simulate_takes_a_run_file_as_run_does(capsys, tmp_path):
    # SPEC section 7: doseesc simulate (flags or a TOML run file)
    f = tmp_path / "run.toml"
    f.write_text(RUN_FILE)
    assert main(["simulate", str(f), "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert main(["run", str(f), "--format", "json"]) == 0
    want = json.loads(capsys.readouterr().out)
    for r in got["results"] + want["results"]:
        r.pop("seconds")  # wall-clock time, the one field that differs between two runs
    assert got == want and len(got["results"]) == 2
    assert main(["simulate", str(f)]) == 0
    assert "BOIN" in capsys.readouterr().out
    # a run file sets the designs, scenarios and run: design or run flags beside it are refused
    assert main(["simulate", str(f), "--n-trials", "100"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "file: a run file sets" in err and "--n-trials" in err
    # an [output] dir already holding results: the advice names doseesc run's --force, which simulate lacks
    out = tmp_path / "out"
    f.write_text(RUN_FILE + f'[output]\ndir = "{out}"\n')
    assert main(["simulate", str(f)]) == 0
    capsys.readouterr()
    assert main(["simulate", str(f)]) == 2
    assert f"[output] dir: {out} already holds results" in capsys.readouterr().err
    # without a run file, --design and --target stay required
    assert main(["simulate", "--truth", "0.1,0.2"]) == 2
    assert "required: --design, --target (or give a run file" in capsys.readouterr().err
