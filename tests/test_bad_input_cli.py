"""Bad input on the command line and in run files (a fuzzing audit): every case is one line on
stderr naming the option or key, exit status 2, no traceback, and no work done first; options
that would change nothing are refused rather than silently ignored."""

import json

import pytest

import doseesc as de
from doseesc.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(result, *needles):
    code, out, err = result
    assert code == 2, err
    assert out == "" and err.count("\n") == 1 and err.startswith("doseesc: error: ") and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err


BOIN = ["--design", "boin", "--target", "0.3", "--cohort-size", "3", "--max-n", "12"]
SIM = [*BOIN, "--truth", "0.1,0.2,0.3", "--n-trials", "50", "--no-progress"]
RUN = ('n_trials = 50\n[[designs]]\ndesign = "boin"\ntarget = 0.25\ncohort_size = 3\nmax_n = 12\n'
       '[[scenarios]]\np_tox = [0.05, 0.1, 0.25]\ntarget = 0.25\n')
CALIBRATE = RUN + '[calibrate]\nn_trials = 50\ngrid = { p_saf = [0.1, 0.15] }\n'


# ---------------------------------------------------------------- 1: run-file tables without required keys
@pytest.mark.parametrize("time", ["rate = 1", "dropout = 0.01", ""])
def test_run_file_time_table_without_window(tmp_path, capsys, time):
    f = tmp_path / "run.toml"
    f.write_text(RUN + "[scenarios.time]\n" + time + "\n")
    assert_refused(run(capsys, "run", f), f"{f} line 10: scenarios[1].time.window: missing (the length of the DLT "
                                          "window)")


def test_run_file_exact_mode_refuses_a_time_model(tmp_path, capsys):
    # exact results have no durations: the time table had been read and echoed as if used (CLI audit)
    f = tmp_path / "run.toml"
    f.write_text('mode = "exact"\n' + RUN + "[scenarios.time]\nwindow = 1\n")
    assert_refused(run(capsys, "run", f), f"{f} line 11: scenarios[1].time: not used with mode = \"exact\"")


def test_run_file_onset_settings_need_their_model(tmp_path, capsys):
    f = tmp_path / "run.toml"
    f.write_text(RUN + "[scenarios.time]\nwindow = 1\nshape = 2\n")
    assert_refused(run(capsys, "run", f), "scenarios[1].time", "shape: only with onset='weibull'")


def test_run_file_inline_time_table_without_window(tmp_path, capsys):
    f = tmp_path / "run.toml"
    f.write_text(RUN + "time = { rate = 1 }\n")
    assert_refused(run(capsys, "run", f), "line 10: scenarios[1].time.window: missing")


def test_run_file_design_without_required_option(tmp_path, capsys):
    f = tmp_path / "run.toml"
    f.write_text(RUN.replace('design = "boin"', 'design = "crm"'))
    assert_refused(run(capsys, "run", f), f"{f} line 2: designs[1].skeleton: missing (required by design 'crm')")


@pytest.mark.parametrize("key, needs", [("safety_target = 0.3", "safety_threshold"),
                                         ('n_at_dose_of = "any"', "stop_n_at_dose")])
def test_run_file_rule_option_without_its_rule(tmp_path, capsys, key, needs):
    f = tmp_path / "run.toml"
    f.write_text(RUN.replace("max_n = 12\n", f"max_n = 12\n{key}\n"))
    assert_refused(run(capsys, "run", f), f"line 7: designs[1].{key.split()[0]}: only with {needs}")


# ---------------------------------------------------------------- 2, 3: calibrate's --plot and --top up front
@pytest.mark.parametrize("plot, needle", [
    ("missing-folder/x.png", "the folder"),
    ("afile/x.png", "afile is a file, not a folder"),
    ("x.txt", "file name must end in .png, .pdf or .svg"),
])
def test_calibrate_checks_plot_before_any_work(tmp_path, capsys, monkeypatch, plot, needle):
    from doseesc import calibration

    def no_work(*a, **k):
        raise AssertionError("calibrated before checking --plot")

    monkeypatch.setattr(calibration, "calibrate", no_work)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("a file, not a folder")
    (tmp_path / "cal.toml").write_text(CALIBRATE)
    assert_refused(run(capsys, "calibrate", "cal.toml", "--plot", plot), "--plot: ", needle)


@pytest.mark.parametrize("top", ["-1", "0"])
def test_calibrate_top_at_least_one(tmp_path, capsys, monkeypatch, top):
    from doseesc import calibration

    monkeypatch.setattr(calibration, "calibrate", lambda *a, **k: pytest.fail("calibrated with a bad --top"))
    f = tmp_path / "cal.toml"
    f.write_text(CALIBRATE)
    assert_refused(run(capsys, "calibrate", f, f"--top={top}"), "--top: must be an integer >= 1", f"got {top}")


def test_calibrate_top_in_the_run_file(tmp_path, capsys):
    f = tmp_path / "cal.toml"
    f.write_text(CALIBRATE + "top = 0\n")
    assert_refused(run(capsys, "calibrate", f), "line 13: calibrate.top: must be an integer >= 1", "got 0")


# ---------------------------------------------------------------- 4: --n-doses first
@pytest.mark.parametrize("command", ["next", "paths"])
@pytest.mark.parametrize("n", ["-2", "0", "1001"])
def test_n_doses_checked_first(capsys, command, n):
    assert_refused(run(capsys, command, *BOIN, f"--n-doses={n}", "1NNN"),
                   "--n-doses: must be an integer from 1 to 1000", f"got {n}")


# ---------------------------------------------------------------- 5: options given but ignored
@pytest.mark.parametrize("argv, needles", [
    (["next", *BOIN, "--n-doses", "3", "--doses", "1,2,4", "1NNN"], ["--doses: not used by next", "'boin'",
                                                                    "blrm", "ewoc"]),
    (["paths", *BOIN, "--n-doses", "3", "--doses", "1,2,4", "1NNN"], ["--doses: not used by paths"]),
    (["next", "--design", "3+3", "--target", "1.5", "--n-doses", "3", "1NNN"],
     ["--target: not used by design '3+3'"]),
    (["next", "--design", "3+3", "--target", "0.3", "--n-doses", "3", "1NNN"],
     ["--target: not used by design '3+3'"]),
    (["simulate", *SIM, "--safety-target", "0.3"], ["--safety-target: only with --safety-threshold"]),
    (["simulate", *SIM, "--n-at-dose-of", "any"], ["--n-at-dose-of: only with --stop-n-at-dose"]),
    (["simulate", *SIM, "--window", "28", "--late-share", "0.3"], ["--late-share: only with --onset late"]),
    (["simulate", *SIM, "--window", "28", "--onset", "weibull", "--late-part", "0.3"],
     ["--late-part: only with --onset late", "got --onset weibull"]),
    (["simulate", *SIM, "--window", "28", "--shape", "2"], ["--shape: only with --onset weibull"]),
    (["simulate", *SIM, "--window", "28", "--eff-late-share", "0.3"],
     ["--eff-late-share: only with --eff-onset late"]),
    (["simulate", *SIM, "--eff-window", "3"], ["--window: required with --eff-window"]),
    (["simulate", *SIM, "--onset", "late"], ["--window: required with --onset"]),
    (["compare", "--designs", "boin,3+3", *SIM[2:], "--accrual", "poisson"], ["--window: required with --accrual"]),
    (["boundaries", "--design", "mtpi2", "--target", "0.3", "--p-saf", "0.1"],
     ["--p-saf: not an option of design 'mtpi2' (only boin)"]),
    (["boundaries", "--design", "keyboard", "--target", "0.3", "--extrasafe"], ["--extrasafe: not an option"]),
    (["boundaries", "--target", "0.3", "--offset", "0.1"], ["--offset: only with --extrasafe"]),
    # the same in simulate, and other options inert without their partner (CLI audit)
    (["simulate", *SIM, "--offset", "0.1"], ["--offset: only with --extrasafe"]),
    (["simulate", "--design", "crm", "--skeleton", "0.1,0.2,0.3", "--truth", "0.05,0.1,0.25", "--target", "0.25",
      "--intercept", "3"], ["--intercept: only with --model logistic"]),
    (["simulate", "--design", "ewoc", "--truth", "0.05,0.1,0.25", "--target", "0.25", "--doses", "1,2,4",
      "--alpha-step", "0.05"], ["--alpha-step: only with --alpha-start"]),
    (["simulate", "--design", "blrm", "--truth", "0.05,0.1,0.25", "--target", "0.25", "--doses", "1,2,4",
      "--d-ref", "2", "--overdose-max-step", "0.05"], ["--overdose-max-step: only with --overdose-max-start"]),
    (["whatif", "--trial", "A", "--eff-endpoint", "C:renal-CR-M3"], ["--eff-endpoint: only with trial B"]),
    (["whatif", "--trial", "A", "--no-graded"], ["--no-graded: only with trial B"]),
    (["whatif", "--no-phase12", "--phase12-max-n", "12"], ["--phase12-max-n: not used with --no-phase12"]),
    (["exact", *BOIN, "--truth", "0.1,0.2,0.3", "--window", "28"], ["--window: not used by exact"]),
    (["exact", *BOIN, "--truth", "0.1,0.2,0.3", "--rate", "2"], ["--rate: not used by exact"]),
])
def test_ignored_options_are_refused(capsys, argv, needles):
    assert_refused(run(capsys, *argv), *needles)


def test_options_still_taken_where_they_act(capsys):
    # dose values where the design models them; --target as the 3+3's safety-stop target
    code, out, err = run(capsys, "next", "--design", "ewoc", "--target", "0.3", "--cohort-size", "3", "--max-n",
                         "30", "--n-doses", "3", "--doses", "1,2,4", "--format", "json", "1NNN")
    assert code == 0, err
    assert json.loads(out)["design"]["doses"] == [1, 2, 4]
    code, out, err = run(capsys, "next", "--design", "3+3", "--target", "0.3", "--safety-threshold", "0.9",
                         "--n-doses", "3", "--format", "json", "1NNN")
    assert code == 0, err
    assert json.loads(out)["design"]["safety_target"] == 0.3
    # an onset's parameters with that onset
    code, out, err = run(capsys, "simulate", *SIM, "--window", "28", "--onset", "late", "--late-share", "0.7",
                         "--format", "json")
    assert code == 0, err
    assert json.loads(out)["scenario"]["time"]["late_share"] == 0.7
    # an interval design's elimination cutoff reaches its decision table
    code, out, err = run(capsys, "boundaries", "--design", "mtpi2", "--target", "0.3", "--max-n", "9",
                         "--cutoff-eli", "0.5", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["design"]["cutoff_eli"] == 0.5
    # exact still points a time-to-event design at simulate
    code, out, err = run(capsys, "exact", "--design", "tite-boin", "--target", "0.3", "--max-n", "12",
                         "--truth", "0.1,0.2,0.3")
    assert code == 2 and "use doseesc simulate" in err


# ---------------------------------------------------------------- 6: report file names
@pytest.mark.parametrize("argv, needles", [
    (["-o", "r.txt"], ["--output: file name must end in .html or .md", "'r.txt'"]),
    (["--format", "md", "-o", "r.html"], ["--output: file name must end in .md", "--format md", "'r.html'"]),
    (["--format", "html", "-o", "r.md"], ["--output: file name must end in .html", "--format html"]),
    (["-o", "adir"], ["--output: adir is a folder", "adir/report.html"]),
])
def test_report_file_name_matches_its_format(tmp_path, capsys, monkeypatch, argv, needles):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    (tmp_path / "run.toml").write_text(RUN)
    assert_refused(run(capsys, "report", "run.toml", *argv), *needles)
    assert not (tmp_path / "r.txt").exists() and not (tmp_path / "r.html").exists()


def test_whatif_report_folder_suggests_a_report_name(tmp_path, capsys):
    folder = tmp_path / "out.html"
    folder.mkdir()
    assert_refused(run(capsys, "whatif", "--report", folder), "--report:", "is a folder", "report.html")


# ---------------------------------------------------------------- 7: duplicates
def test_whatif_trial_given_twice(capsys):
    assert_refused(run(capsys, "whatif", "--trial", "A,a"), "--trial: A given twice")
    with pytest.raises(ValueError, match="^trials: 'A' given twice"):
        de.whatif(["A", "A"], n_scenarios=2, n_trials=5)


# ---------------------------------------------------------------- 8: --n-trials 1
@pytest.mark.parametrize("command", ["simulate", "compare"])
def test_one_trial_prints_no_nan(capsys, command):
    """One simulated trial is allowed (a single trial's course); its standard errors are n/a, never nan."""
    argv = ["simulate", *SIM] if command == "simulate" else ["compare", "--designs", "boin,3+3", *SIM[2:]]
    argv[argv.index("--n-trials") + 1] = "1"
    code, out, err = run(capsys, *argv)
    assert code == 0 and "nan" not in out.lower() and "n/a" in out


# ---------------------------------------------------------------- 9-11: a phase I/II user audit
def test_compare_help_does_not_offer_design(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = capsys.readouterr().out
    assert "--designs" in out and "--design NAME" not in out and "design (required)" not in out
    assert_refused(run(capsys, "compare", "--design", "boin", "--designs", "boin,3+3", "--truth", "0.1,0.2,0.3",
                       "--target", "0.3", "--cohort-size", "3", "--max-n", "12"), "--design: compare takes")


@pytest.mark.parametrize("argv, needles", [
    (["simulate", "--design", "boin12", "--truth", "0.02,0.05,0.1", "--target", "0.2", "--max-n", "18"],
     ["--eff: design 'BOIN12", "decides on efficacy too", "--eff 0.2,0.4,0.5"]),
    (["next", "--design", "efftox", "--n-doses", "3", "1NNN"],
     ["--real-doses: design 'EffTox", "has 5 doses (real_doses 1,2,4,6.6,10, its default)", "--n-doses gives 3"]),
    (["simulate", "--design", "efftox", "--truth", "0.02,0.05,0.1", "--eff", "0.3,0.4,0.5", "--target", "0.2",
      "--max-n", "18"], ["--real-doses: design 'EffTox", "but --truth gives 3"]),
    (["paths", "--design", "crm", "--skeleton", "0.1,0.2", "--target", "0.3", "--n-doses", "3", "--cohorts", "1"],
     ["--skeleton: design 'CRM (empiric)' has 2 doses (skeleton 0.1,0.2) but --n-doses gives 3"]),
    (["compare", "--designs", "boin,crm[skeleton=0.1,0.2]", "--truth", "0.1,0.2,0.3", "--target", "0.3",
      "--cohort-size", "3", "--max-n", "12"], ["--skeleton: design 'CRM (empiric)' has 2 doses", "--truth gives 3"]),
    # CLI audit: these gave the library's advice, Scenario(..., time=TimeModel(...)) and the like
    (["simulate", "--design", "boin", "--truth", "0.05,0.1,0.25", "--target", "0.25", "--cohort-size", "3",
      "--max-n", "12", "--backfill-cap", "5"], ["--window: backfill needs a time model", "--window and --rate"]),
    (["simulate", "--design", "boin", "--truth", "0.05,0.1,0.25", "--target", "0.25", "--cohort-size", "3",
      "--max-n", "12", "--backfill-cap", "5", "--window", "1", "--rate", "2"], ["--eff: backfill opens a dose"]),
    (["simulate", "--design", "gboin", "--truth", "0.05,0.1,0.25", "--target", "0.25", "--cohort-size", "3",
      "--max-n", "12"], ["--grades: design 'gBOIN", "instead of --truth"]),
])
def test_mismatches_name_the_flag_not_the_python_api(capsys, argv, needles):
    assert_refused(run(capsys, *argv), *needles)


def test_compare_csv_carries_what_the_table_prints(capsys):
    import csv
    import io

    argv = ["compare", "--designs", "boin,boin12", "--truth", "0.05,0.1,0.3", "--eff", "0.2,0.5,0.55", "--target",
            "0.3", "--cohort-size", "3", "--max-n", "9", "--n-trials", "200", "--no-progress"]
    code, out, err = run(capsys, *argv, "--format", "json")
    assert code == 0, err
    res = json.loads(out)["results"]
    code, out, err = run(capsys, *argv, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    for key in ("n_at_obd", "over_toxic_selection", "pcs_benchmark", "pcs_diff_vs_benchmark"):
        assert [float(r[key]) for r in rows] == pytest.approx([r[key] for r in res]), key


@pytest.mark.parametrize("design, scenario, needles", [
    ('design = "boin"\ntarget = 0.25\ncohort_size = 3\nmax_n = 12\nbackfill = { cap = 5 }\n',
     "time = { window = 1, rate = 2 }\n", ["line 8: scenarios[1].p_eff: missing: designs[1] (BF-BOIN",
                                           "opens a dose for backfill"]),
    ('design = "boin"\ntarget = 0.25\ncohort_size = 3\nmax_n = 12\nbackfill = { cap = 5 }\n',
     "p_eff = [0.1, 0.2, 0.3]\n", ["scenarios[1].time: missing: designs[1]", "add a [scenarios.time] table"]),
    ('design = "boin12"\ncohort_size = 3\nmax_n = 12\n', "", ["scenarios[1].p_eff: missing", "decides on efficacy"]),
    ('design = "gboin"\ntarget = 0.25\ncohort_size = 3\nmax_n = 12\n', "",
     ["scenarios[1].p_grade: missing: designs[1] (gBOIN", "scores toxicity grades"]),
])
def test_run_file_design_and_scenario_must_fit(tmp_path, capsys, design, scenario, needles):
    # said at load time with the run file's keys and lines (before: the engine's words at run time, no line)
    f = tmp_path / "run.toml"
    f.write_text("n_trials = 20\n[[designs]]\n" + design + "[[scenarios]]\np_tox = [0.05, 0.1, 0.25]\ntarget = 0.25\n"
                 + scenario)
    assert_refused(run(capsys, "run", f), *needles)


@pytest.mark.parametrize("argv, needles", [
    (["compare", "--designs", "boin,boin", *BOIN[2:], "--truth", "0.1,0.2,0.3"],
     ["--designs: designs 1 and 2 are the same (BOIN (target 0.3))"]),
    (["compare", "--designs", "boin[p_saf=0.1;p_saf=0.12],3+3", *BOIN[2:], "--truth", "0.1,0.2,0.3"],
     ["--designs: boin[...]: 'p_saf' given twice"]),
    (["simulate", *SIM, "--eff", "0.1,0.2,0.3", "--obd", "2,1,1"], ["--obd: dose 1 given twice"]),
])
def test_duplicates_are_refused(capsys, argv, needles):
    # CLI audit: the same design twice printed identical rows and a difference of 0 by construction;
    # a repeated bracket option kept the last value silently
    assert_refused(run(capsys, *argv), *needles)


def test_stopping_rule_errors_point_at_the_stopping_key(tmp_path, capsys):
    f = tmp_path / "run.toml"
    f.write_text('n_trials = 20\n[[designs]]\ndesign = "blrm"\ndoses = [1, 2, 4, 8]\nd_ref = 4\nmax_n = 12\n'
                 'stopping = "min_patients(-3)"\n[[scenarios]]\np_tox = [0.05, 0.1, 0.25, 0.4]\ntarget = 0.25\n')
    assert_refused(run(capsys, "run", f), f"{f} line 7: designs[1].stopping: in min_patients(...), min_patients: "
                                          "must be an integer from 1 to 1000, got -3")


def test_evidence_trial_in_either_case(capsys):
    assert main(["evidence", "--trial", "c"]) == 0 and "C@2" in capsys.readouterr().out
