"""Hostile input (issue 12): every bad input is a one-line error naming the field and what is
allowed (exit 2 on the command line, ValueError in Python); no traceback, no hang, no silently
accepted mistake, no half-written output. The command-line cases are the classes of the
hostile-input review (../shared/reference/hostile/cli_cases.tsv), re-created here with their
own files so that they run anywhere."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import doseesc as de
from doseesc.cli import main

from . import naive

T3 = ["--design", "3+3", "--truth", "0.05,0.1,0.2,0.3", "--target", "0.3"]
BOIN = ["--design", "boin", "--target", "0.3", "--cohort-size", "3", "--max-n", "30"]
TITE = ["--design", "tite-boin", "--truth", "0.05,0.1,0.2,0.3", "--target", "0.3", "--max-n", "24"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_error(code, out, err, *needles):
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert out == "" and len(lines) == 1 and lines[0].startswith("doseesc: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


# ---------------------------------------------------------------- accepted mistakes (class 6)
@pytest.mark.parametrize("argv, needles", [
    (["simulate", *T3[:3], "0.1_0,0.2", "--target", "0.3"], ["--truth", "0.1_0"]),
    (["simulate", *T3[:3], "٠.١,0.2", "--target", "0.3"], ["--truth"]),       # Arabic-Indic digits
    (["simulate", *T3[:3], "０.１,0.2", "--target", "0.3"], ["--truth"]),      # full-width digits
    (["simulate", *T3[:3], "0.1,,0.3", "--target", "0.3"], ["--truth", "item 2 is empty"]),
    (["simulate", *T3[:3], "nan,0.2", "--target", "0.3"], ["--truth"]),
    (["simulate", *T3, "--target", "inf"], ["--target"]),
    (["simulate", *T3, "--n-trials", "1e3"], ["--n-trials"]),
    (["simulate", *T3, "--seed", str(2**64)], ["seed", "18446744073709551615"]),
    (["simulate", *T3, "--seed", "-1"], ["seed"]),
    (["compare", "--designs", "3+3", "--truth", "0.1,0.2", "--target", "0.3", "--skeleton", "0.1,0.2"],
     ["--skeleton", "not an option of any compared design"]),
    (["compare", "--designs", "3+3,boin", "--design", "boin", "--truth", "0.1,0.2", "--target", "0.3",
      "--cohort-size", "3", "--max-n", "12"], ["--design", "--designs"]),
    (["compare", "--designs", "3+3,,boin", "--truth", "0.1,0.2", "--target", "0.3"], ["--designs", "expected names"]),
    (["paths", "--design", "3+3", "--truth", "0.1,0.2", "--target", "0.3", "--n-doses", "5"],
     ["--n-doses", "does not match --truth"]),
    (["boundaries", "--target", "0.3", "--cohort-size", "50", "--max-n", "10"], ["max_n", "cohort_size"]),
    (["simulate", "--design", "crm", "--truth", "0.1,0.2,0.3", "--target", "0.25", "--skeleton", "0.1,0.2,0.3",
      "--prior-sd", "1e308"], ["prior_sd", "0.01 to 20"]),
    (["simulate", "--design", "crm", "--truth", "0.1,0.2,0.3", "--target", "0.25", "--skeleton", "0.1,0.2,0.3",
      "--prior-sd", "1e-300"], ["prior_sd"]),
    (["simulate", *TITE, "--window", "0"], ["window"]),
    (["next", "--design", "3+3", "--n-doses", "1000000000", "1NNN"], ["--n-doses", "1000"]),
    (["next", "--design", "3+3", "--n-doses", "3", "999999999N"], ["outcomes", "dose level"]),
    (["next", "--design", "3+3", "1NNN"], ["--n-doses", "required"]),
    (["paths", "--design", "boin", "--target", "0.3", "--cohort-size", "3", "--max-n", "12"], ["--n-doses"]),
])
def test_cli_refuses_mistakes(capsys, argv, needles):
    assert_clean_error(*run(capsys, *argv), *needles)


def test_decreasing_truth_warns_but_runs(capsys):
    code, out, err = run(capsys, "simulate", *T3[:3], "0.3,0.1,0.2", "--target", "0.3", "--n-trials", "200")
    assert code == 0 and "doseesc: warning: --truth: the DLT probability falls from dose 1 to dose 2" in err


@pytest.mark.parametrize("make, field", [
    (lambda: de.Scenario(p_tox=[True, False], target=0.3), "p_tox"),
    (lambda: de.Scenario(p_tox=["0.1", "0.2"], target=0.3), "p_tox"),
    (lambda: de.Scenario(p_tox=[0.1, 0.2], target="0.3"), "target"),
    (lambda: de.Scenario(p_tox=[0.1, 0.2], target=0.3, name={"a": 1}), "name"),
    (lambda: de.Scenario(p_tox=[0.1, 0.2], target=0.3, name=5), "name"),
    (lambda: de.Scenario(p_tox=[0.1, 0.2], target=0.3, dose_unit=7), "dose_unit"),
    (lambda: de.Scenario(p_tox=[0.1, 0.2], target=0.3, doses=["a", "b"]), "doses"),
    (lambda: de.Scenario(p_tox=[0.1] * 1001, target=0.3), "p_tox"),
    (lambda: de.BOIN(target="0.3", cohort_size=3, max_n=30), "target"),
    (lambda: de.BOIN(target=0.3, cohort_size=3, max_n=10**12), "max_n"),
    (lambda: de.CRM(skeleton=[0.1, 0.3, 0.2], target=0.25), "skeleton"),
    (lambda: de.ThreePlusThree().select([10**30, 0], [0, 0]), "n_patients"),
    (lambda: de.ThreePlusThree().select([3, 3], [4, 0]), "n_dlt"),
    (lambda: de.ThreePlusThree().select("33", "00"), "n_patients"),
    (lambda: de.BOIN(target=0.3, cohort_size=3, max_n=30).next_dose("1NNN", n_doses=10**9), "n_doses"),
    (lambda: de.simulate(de.ThreePlusThree(), de.Scenario([0.1, 0.2], target=0.3), n_trials=10, seed=2**64),
     "seed"),
    (lambda: de.simulate(de.ThreePlusThree(), de.Scenario([0.1, 0.2], target=0.3), n_trials=10**13), "n_trials"),
    (lambda: de.ThreePlusThree().stop_for_safety(0.9, target=0.3, prior=(1,)), "safety_prior"),
])
def test_api_refuses_mistakes(make, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        make()


def _forbid_work(monkeypatch) -> None:
    """Make every simulation and exact enumeration fail (an internal error, exit status 1), so a
    test of an up-front refusal fails if the work was started first (not a wall-clock bound)."""
    from doseesc.engine import api

    def started(*args, **kwargs):
        raise RuntimeError("the work started before the request was refused")

    for name in ("_run_mc", "_run_summed", "_exact_records", "_exact_records_eff"):
        monkeypatch.setattr(api, name, started)


@pytest.fixture
def no_work(monkeypatch):
    _forbid_work(monkeypatch)


# ---------------------------------------------------------------- resources and hangs (1, 2)
@pytest.mark.parametrize("argv, needles", [
    (["simulate", *T3, "--n-trials", "10000000000"], ["n_trials", "at most 1,000,000,000"]),
    (["simulate", *T3, "--n-trials", "1000000000000"], ["n_trials"]),
    (["simulate", *T3, "--n-trials", "100000000000000000000"], ["n_trials"]),
    (["simulate", "--design", "boin", "--truth", "0.1,0.2", "--target", "0.3", "--cohort-size", "3",
      "--max-n", "1000000"], ["max_n", "1 to 1000"]),
    (["boundaries", "--target", "0.3", "--design", "mtpi", "--max-n", "100000"], ["max_n"]),
    (["boundaries", "--target", "0.3", "--max-n", "1000000"], ["max_n"]),
    (["paths", *BOIN, "--n-doses", "5", "--cohorts", "20"], ["cohorts"]),
    (["next", *BOIN, "--n-doses", "5", "1" + "N" * 20000], ["outcomes", "20000 patients"]),
    (["next", "--design", "3+3", "--n-doses", "3", " ".join(["1NNN"] * 24000)], ["outcomes", "72000 patients"]),
    (["simulate", *TITE, "--window", "28", "--rate", "1e-300"], ["rate"]),
    (["simulate", *TITE, "--window", "28", "--rate", "1e300"], ["rate"]),
    (["simulate", *TITE, "--window", "1e308"], ["window"]),
    (["whatif", "--n-scenarios", "1000000000", "--n-trials", "1"], ["n_scenarios"]),
    (["whatif", "--n-trials", "1000000000000"], ["n_trials"]),
    (["whatif", "--max-n", "1000000", "--n-scenarios", "5", "--n-trials", "20"], ["max_n"]),
])
def test_cli_refuses_requests_beyond_limits(capsys, argv, needles, no_work):
    assert_clean_error(*run(capsys, *argv), *needles)  # refused up front: no_work makes any simulation fail


@pytest.mark.slow
def test_exact_state_explosion_is_refused(capsys):
    truth = ",".join(f"{0.01 * i:.2f}" for i in range(1, 51))
    assert_clean_error(*run(capsys, "exact", "--design", "3+3", "--truth", truth, "--target", "0.3"),
                       "exact enumeration", "use doseesc simulate")


# ---------------------------------------------------------------- input files (class 5)
CSV_CASES = {
    "bom.csv": ("\ufeffdose,dlt,follow_up\n1,0,28\n", None),                     # Excel "CSV UTF-8": accepted
    "header_only.csv": ("dose,dlt,follow_up\n", None),                          # no patients yet: accepted
    "dup_header.csv": ("dose,dose,dlt,follow_up\n1,2,0,28\n", "names 'dose' twice"),
    "long_row.csv": ("dose,dlt,follow_up\n1,0,28,5,6\n", "line 2: 5 fields, but the header has 3"),
    "short_row.csv": ("dose,dlt,follow_up\n1,0\n", "line 2: 2 fields"),
    "hugedose.csv": ("dose,dlt,follow_up\n" + "9" * 40 + ",0,28\n", "line 2"),
    "garbage.bin": (b"\xf5\x00\x81garbage", "not UTF-8 text"),
    "utf16.csv": ("dose,dlt,follow_up\n1,0,28\n".encode("utf-16"), "not UTF-8 text"),
    "underscore.csv": ("dose,dlt,follow_up\n1,0,2_8\n", "line 2"),
}


@pytest.mark.parametrize("name", sorted(CSV_CASES))
def test_patient_data_files(capsys, tmp_path, name):
    text, problem = CSV_CASES[name]
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    code, out, err = run(capsys, "next", "--design", "tite-boin", "--target", "0.25", "--max-n", "24",
                         "--n-doses", "5", "--window", "28", "--data", path)
    if problem is None:
        assert code == 0 and "next: dose" in out, err
    else:
        assert_clean_error(code, out, err, "--data", problem)


def test_patient_data_beyond_max_n(capsys, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("dose,dlt,follow_up\n" + "1,0,28\n" * 200_000)
    assert_clean_error(*run(capsys, "next", "--design", "tite-boin", "--target", "0.25", "--max-n", "24",
                            "--n-doses", "5", "--window", "28", "--data", path), "200000 patients entered")


GOOD_RUN = """n_trials = 200
[[designs]]
design = "boin"
target = 0.25
cohort_size = 3
max_n = 12
[[scenarios]]
p_tox = [0.05, 0.1, 0.25]
target = 0.25
"""


@pytest.mark.parametrize("text, needles", [
    (GOOD_RUN.replace("p_tox = [0.05, 0.1, 0.25]", "p_tox = [true, false, true]"), ["p_tox"]),
    (GOOD_RUN.replace("target = 0.25\n\"\"\"", "").replace("p_tox = [0.05, 0.1, 0.25]\ntarget = 0.25",
                                                            'p_tox = [0.05, 0.1, 0.25]\ntarget = "0.25"'),
     ["scenarios[1].target", "expected a number"]),
    (GOOD_RUN + "name = {a = 1}\n", ["scenarios[1].name", "string"]),
    (GOOD_RUN + "name = 5\n", ["scenarios[1].name"]),
    (GOOD_RUN + "dose_unit = 7\n", ["scenarios[1].dose_unit"]),
    ("a = " + "[" * 3000 + "]" * 3000 + "\n", ["nested too deeply"]),
    ("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n", ["nested too deeply"]),
    (GOOD_RUN.replace("p_tox = [0.05, 0.1, 0.25]", "p_tox = [" + ", ".join(["0.1"] * 1001) + "]"), ["p_tox"]),
    (GOOD_RUN.replace("n_trials = 200", "n_trials = 9000000000000000000"), ["n_trials"]),
    (GOOD_RUN.replace("max_n = 12", "max_n = 1000000"), ["designs[1].max_n"]),
    ("\ufeff" + GOOD_RUN.replace("n_trials = 200", "n_trials = 0"), ["n_trials"]),  # a BOM is no reason to fail
])
def test_run_files(capsys, tmp_path, text, needles):
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    assert_clean_error(*run(capsys, "run", path), *needles)


def test_run_file_that_is_not_a_regular_file(capsys, tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # nobody will ever write to it: open() would block for ever
    assert_clean_error(*run(capsys, "run", fifo), "not a regular file")
    assert_clean_error(*run(capsys, "run", "/dev/zero"), "not a regular file")
    assert_clean_error(*run(capsys, "run", tmp_path), "a directory")
    big = tmp_path / "big.toml"
    with open(big, "wb") as fh:
        fh.truncate(17 * 2**20)
    assert_clean_error(*run(capsys, "run", big), "larger than the 16 MB allowed")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("# caf\xe9\n".encode("latin-1"))
    assert_clean_error(*run(capsys, "run", bad), "not UTF-8 text")


# ---------------------------------------------------------------- output paths (class 4)
def test_output_paths_are_checked_before_simulating(capsys, tmp_path, monkeypatch):
    slow = ["simulate", *T3, "--n-trials", "3000000"]  # seconds of work if it ran
    _forbid_work(monkeypatch)  # checked before simulating: a simulation would fail the command
    assert_clean_error(*run(capsys, *slow, "--plot", tmp_path / "nope" / "x.png"), "--plot", "does not exist")
    (tmp_path / "fig.png").mkdir()
    assert_clean_error(*run(capsys, *slow, "--plot", tmp_path / "fig.png"), "--plot", "is a folder")
    assert_clean_error(*run(capsys, *slow, "--plot", tmp_path / "x.gif"), "--plot", ".png")
    assert_clean_error(*run(capsys, "compare", "--designs", "3+3,boin", *T3[2:], "--cohort-size", "3", "--max-n",
                            "12", "--plot", "/proc/doseesc/x.png"), "--plot")
    run_file = tmp_path / "run.toml"
    run_file.write_text(GOOD_RUN)
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert_clean_error(*run(capsys, "run", run_file, "--out", afile), "--out", "not a folder")
    assert_clean_error(*run(capsys, "run", run_file, "--out", afile / "sub"), "--out")
    assert_clean_error(*run(capsys, "run", run_file, "--out", "/proc/doseesc_out"), "--out")
    monkeypatch.undo()  # from here on, runs that should run
    out_dir = tmp_path / "results"
    code, out, err = run(capsys, "run", run_file, "--out", out_dir)
    assert code == 0 and (out_dir / "results.json").exists()
    assert_clean_error(*run(capsys, "run", run_file, "--out", out_dir), "already holds results", "--force")
    code, out, err = run(capsys, "run", run_file, "--out", out_dir, "--force")
    assert code == 0
    assert not [p for p in os.listdir(out_dir) if ".partial-" in p]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output(capsys, tmp_path):  # pragma: no cover - CI runs as root
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    assert_clean_error(*run(capsys, "simulate", *T3, "--plot", ro / "x.png"), "--plot", "cannot write")


@pytest.mark.slow
def test_interrupted_run_leaves_no_complete_looking_file(tmp_path):
    run_file = tmp_path / "run.toml"
    # long enough to be interrupted (about 30 s here): 5 million TITE-BOIN trials of 36 patients
    run_file.write_text(GOOD_RUN.replace("n_trials = 200", "n_trials = 5000000").replace('"boin"', '"tite-boin"')
                        .replace("max_n = 12", "max_n = 36") + "[scenarios.time]\nwindow = 28\n")
    out_dir = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "doseesc", "run", str(run_file), "--out", str(out_dir),
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, NUMBA_NUM_THREADS="1"), preexec_fn=naive.default_sigint)
    time.sleep(8)
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err.strip().endswith("doseesc: interrupted")
    assert not out_dir.exists() or not any(out_dir.iterdir())


# ---------------------------------------------------------------- network backends (class 3)
def _silent_server():
    """A TCP server that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []

    def accept():
        while True:
            try:
                held.append(srv.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return srv


@pytest.mark.parametrize("backend, needles", [
    ("127.0.0.1:notaport", ["--backend", "expected"]),
    ("foo://127.0.0.1:1", ["--backend", "expected"]),
    ("tcp://[::1", ["--backend", "expected"]),
    ("0", ["--backend", ">= 1"]),
])
def test_backend_addresses(capsys, backend, needles):
    assert_clean_error(*run(capsys, "simulate", *T3, "--n-trials", "100", "--backend", backend), *needles)


def test_backend_that_never_answers_times_out(capsys):
    pytest.importorskip("dask.distributed")
    srv = _silent_server()
    try:
        port = srv.getsockname()[1]
        assert_clean_error(*run(capsys, "simulate", *T3, "--n-trials", "100", "--backend", f"tcp://127.0.0.1:{port}",
                                "--backend-timeout", "1"), "--backend", "no answer", "--backend-timeout")
    finally:
        srv.close()


@pytest.mark.slow
def test_dask_worker_killed_mid_run_gives_identical_results():
    distributed = pytest.importorskip("dask.distributed")
    from .naive import records_hash

    sc = de.Scenario([0.05, 0.1, 0.2, 0.3], target=0.25, time=de.TimeModel(window=28, rate=3 / 28))
    d = de.TITEBOIN(target=0.25, max_n=24)
    local = de.simulate(d, sc, n_trials=300_000, seed=7)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        client.run(lambda: de.simulate(d, sc, n_trials=10, seed=1))  # warm both workers
        pids = list(client.run(os.getpid).values())
        box = {}
        worker = threading.Thread(target=lambda: box.setdefault("oc", de.simulate(d, sc, n_trials=300_000, seed=7,
                                                                                    backend=client)))
        worker.start()
        time.sleep(1.0)
        os.kill(pids[0], signal.SIGKILL)  # the nanny restarts it; its tasks are recomputed elsewhere
        worker.join(300)
        assert not worker.is_alive()
    assert records_hash(box["oc"].records) == records_hash(local.records)


# ---------------------------------------------------------------- the Python API under hypothesis
DESIGNS = {
    "3+3": lambda kw: de.ThreePlusThree(**kw),
    "boin": lambda kw: de.BOIN(**{"target": 0.3, "cohort_size": 3, "max_n": 12, **kw}),
    "mtpi2": lambda kw: de.MTPI2(**{"target": 0.3, "cohort_size": 3, "max_n": 12, **kw}),
    "crm": lambda kw: de.CRM(**{"skeleton": [0.05, 0.15, 0.3], "target": 0.3, "max_n": 12, **kw}),
    "tite-crm": lambda kw: de.TITECRM(**{"skeleton": [0.05, 0.15, 0.3], "target": 0.3, "max_n": 12, **kw}),
}
junk = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                 st.text(max_size=5), st.lists(st.floats(0, 1), max_size=3), st.dictionaries(st.text(max_size=2),
                                                                                             st.integers(), max_size=1))
FIELDS = ["target", "cohort_size", "max_n", "start_dose", "skeleton", "prior_sd", "cutoff_eli", "model", "n_doses",
          "deescalate", "p_saf", "epsilon1"]


def _field_named(exc: Exception) -> bool:
    msg = str(exc)
    return ":" in msg.split("\n")[0][:60] and "\n" not in msg


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(DESIGNS)), key=st.sampled_from(FIELDS), value=junk)
def test_api_constructors_take_any_value(name, key, value):
    try:
        d = DESIGNS[name]({key: value})
        rec = d.next_dose("", n_doses=3)  # a design that was accepted works (or says why not here)
    except (ValueError, TypeError) as exc:
        assert _field_named(exc) or isinstance(exc, TypeError), exc
        return
    assert rec.dose is None or 1 <= rec.dose <= 3


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(DESIGNS)), outcomes=st.text(alphabet="0123456789NTntEB x\t-", max_size=40),
       n_doses=st.one_of(st.none(), st.integers(-2, 2000)))
def test_api_live_use_takes_any_string(name, outcomes, n_doses):
    d = DESIGNS[name]({})
    try:
        with _quiet():
            rec = d.next_dose(outcomes, n_doses=n_doses)
    except ValueError as exc:
        assert _field_named(exc), exc
        return
    assert rec.n_patients.sum() <= 12
    if rec.p_tox is not None:
        p = rec.p_tox[~np.isnan(rec.p_tox)]
        assert np.all((p >= 0) & (p <= 1))
    json.loads(json.dumps(rec.to_dict(), allow_nan=False))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(DESIGNS)), n=st.lists(st.one_of(st.integers(-5, 40), junk), min_size=0, max_size=5),
       y=st.lists(st.one_of(st.integers(-5, 40), junk), min_size=0, max_size=5))
def test_api_select_takes_any_counts(name, n, y):
    d = DESIGNS[name]({})
    try:
        sel = d.select(n, y)
    except ValueError as exc:
        assert _field_named(exc), exc
        return
    assert sel is None or 1 <= sel <= len(n)


@pytest.mark.filterwarnings("ignore::doseesc.scenario.NonMonotoneWarning")  # any curve, rising or not
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=st.lists(st.one_of(st.floats(-1, 2), junk), min_size=0, max_size=6), target=junk,
       n_trials=st.one_of(st.integers(-3, 300), junk), seed=st.one_of(st.integers(-3, 2**70), junk))
def test_api_simulate_takes_any_arguments(p, target, n_trials, seed):
    try:
        sc = de.Scenario(p, target=target)
        oc = de.simulate(de.ThreePlusThree(), sc, n_trials=n_trials, seed=seed)
    except ValueError as exc:
        assert _field_named(exc), exc
        return
    assert abs(float(oc.selection.sum() + oc.no_selection) - 1) < 1e-12
    assert np.all(oc.records.n_dlt <= oc.records.n_patients)


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


# ---------------------------------------------------------------- huge runs: summed, not kept (1)
def _same_summaries(a, b):
    for m in ("selection", "pcs", "no_selection", "over_selection", "n_patients", "n_dlt", "n_ae", "sample_size",
              "total_dlt", "total_ae", "n_overdosed", "overdose_fraction", "overdose_60", "early_stop",
              "stop_safety", "pcs_obd", "selected_utility", "total_eff", "n_eff", "n_at_obd"):
        if m in a.metrics:
            assert np.allclose(getattr(a, m), getattr(b, m), rtol=1e-12, atol=1e-12), m
            assert np.allclose(a.se(m), b.se(m), rtol=1e-7, atol=1e-13), m


def test_records_not_kept_give_the_same_summaries(monkeypatch):
    from doseesc.engine import api

    monkeypatch.setattr(api, "SUM_BLOCK", 700)  # several blocks, one cut inside a scenario's trials
    ss = de.ScenarioSet(p_tox=[[0.05, 0.1, 0.2, 0.35], [0.1, 0.25, 0.4, 0.5]], target=0.25,
                        p_eff=[[0.1, 0.3, 0.5, 0.5], [0.2, 0.4, 0.4, 0.3]], p_ae=[[0.1] * 4, [0.2] * 4])
    for d in (de.BOIN(target=0.25, cohort_size=3, max_n=24), de.BOIN12(phi_t=0.25, n_doses=4, max_n=24)):
        kept = de.simulate(d, ss, n_trials=2500, seed=9)
        summed = de.simulate(d, ss, n_trials=2500, seed=9, keep_records=False)
        assert len(kept.records) == 5000 and len(summed.records) == 0 and summed.n_trials == 5000
        assert "not kept" in summed.meta["records"]
        _same_summaries(kept, summed)
        assert kept.pcs_quantiles == summed.pcs_quantiles
        two = de.simulate(d, ss, n_trials=2500, seed=9, keep_records=False,
                          threads=min(2, numba.config.NUMBA_NUM_THREADS))
        _same_summaries(summed, two)


def test_records_that_do_not_fit_are_summed_or_refused(monkeypatch):
    from doseesc.engine import api

    monkeypatch.setattr(api, "memory_budget", lambda: 50_000)  # room for about 250 records of 4 doses
    sc = de.Scenario([0.05, 0.1, 0.2, 0.35], target=0.25)
    d = de.BOIN(target=0.25, cohort_size=3, max_n=24)
    oc = de.simulate(d, sc, n_trials=3000, seed=1)  # does not fit: summed
    assert len(oc.records) == 0 and oc.n_trials == 3000
    _same_summaries(oc, de.simulate(d, sc, n_trials=3000, seed=1, keep_records=False))
    with pytest.raises(ValueError, match="^n_trials: 3,000 simulated trials need .* GiB"):
        de.simulate(d, sc, n_trials=3000, seed=1, keep_records=True)
    timed = de.Scenario([0.05, 0.1, 0.2, 0.35], target=0.25, time=de.TimeModel(window=28, rate=0.1))
    with pytest.raises(ValueError, match="^keep_records: "):
        de.simulate(d, timed, n_trials=100, seed=1, keep_records=False)
    with pytest.raises(ValueError, match="^keep_records: "):
        de.simulate(d, sc, n_trials=100, seed=1, keep_records="no")
    with pytest.raises(ValueError, match="^n_trials: .*at most 1,000,000,000"):
        de.simulate(d, sc, n_trials=2 * 10**9, seed=1)
