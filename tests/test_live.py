"""Live use a data-monitoring committee could act on: estimates always probabilities, no entered
patient ever dropped, data beyond the design refused, deviations from the design reported, and
the command line's strict JSON, one-line errors and Ctrl-C (issue 17)."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import doseesc as de
from doseesc import _json
from doseesc.cli import main

from . import naive
from .naive_interval import lambdas, p_above


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def strict_json(text: str):
    """Python's json with NaN / Infinity refused, as strict parsers do."""
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


# ---------------------------------------------------------------- TITE-BOIN estimates
def naive_tite_boin(target, n, y, m, stft, suspend=0.5, cutoff=0.95):
    """Yuan et al. (2018)'s published rule at the current dose, written from the paper (no cap
    on the estimate): "E", "S", "D" or "Susp". Elimination: n >= 3 and P(p > target) > cutoff."""
    lam_e, lam_d = lambdas(target, 0.6 * target, 1.4 * target)
    if n >= 3 and p_above(target, n, y) > cutoff:
        return "D"
    if y / n >= lam_d:
        return "D"
    if m == 0:
        return "E" if y / n <= lam_e else "S"
    if m > suspend * n:
        return "Susp"
    if y / n == target:
        return "S"
    pi = (y + target / 2) / (n - m + 1)
    est = (y + pi / (1 - pi) * (m - stft)) / n
    if y / n < target:
        return "E" if est <= lam_e else "S"
    return "D" if est >= lam_d else "S"


def _rows_at(dose, n, y, m, fu_pending, window=28.0):
    """3 complete patients below ``dose``, then n at ``dose``: y DLTs, m pending with the given
    follow-ups, the rest complete."""
    rows = [dict(dose=dose - 1, dlt=0, follow_up=window)] * 3 if dose > 1 else []
    rows += [dict(dose=dose, dlt=1, follow_up=5.0)] * y + [dict(dose=dose, dlt=0, follow_up=window)] * (n - y - m)
    rows += [dict(dose=dose, dlt=0, follow_up=f) for f in fu_pending]
    return rows


def _decision(rec, dose):
    if rec.reason == "suspended":
        return "Susp"
    return {dose - 1: "D", dose: "S", dose + 1: "E"}[rec.dose]


def test_issue_case_estimate_above_one_is_capped():
    # doseesc next --design tite-boin --target 0.25 --max-n 24 --n-doses 3 --window 28 with rows
    # 1,0,2 / 1,0,2 / 1,1,1 printed p_tox 1.129 (= (1 + 0.5625 / 0.4375 * (2 - 4 / 28)) / 3)
    d = de.TITEBOIN(target=0.25, max_n=24)
    rows = [dict(dose=1, dlt=0, follow_up=2)] * 2 + [dict(dose=1, dlt=1, follow_up=1)]
    rec = d.next_dose_tite(rows, window=28, n_doses=3)
    pi = 1.125 / 2
    assert (1 + pi / (1 - pi) * (2 - 4 / 28)) / 3 > 1.12  # the published formula's value
    assert rec.p_tox[0] == 1.0 and np.all(np.isnan(rec.p_tox[1:]))
    # 1 / 3 >= lambda_d = 0.298 de-escalates on the observed DLT alone (pending outcomes can only
    # add DLTs), which at the lowest dose means: stay
    assert rec.reason == "running" and rec.dose == 1


def test_more_patients_than_max_n_is_refused():
    # ../shared/reference/hostile/data/p1000.csv: 1,000 patients for a design of max_n 24
    rows = [dict(dose=1 + i % 3, dlt=int(i % 7 == 0), follow_up=float(i % 40)) for i in range(1000)]
    rows = [r if not r["dlt"] else {**r, "follow_up": min(r["follow_up"], 27.0)} for r in rows]
    with pytest.raises(ValueError, match=r"^data: 1000 patients entered, more than .*max_n = 24"):
        de.TITEBOIN(target=0.25, max_n=24).next_dose_tite(rows, window=28, n_doses=5)
    with pytest.raises(ValueError, match=r"^data: 25 patients"):
        de.TITECRM(skeleton=[0.1, 0.2, 0.3], target=0.25, max_n=24).next_dose_tite(rows[:25], window=28)


def test_reachable_states_above_one_keep_the_published_decisions():
    # With the default suspension (more than half pending: wait) the uncapped estimate still
    # exceeds 1 in states a simulated trial can reach, from target 0.3 up: e.g. 28 treated,
    # 10 DLTs, 14 just enrolled. At every such state (n <= 30) the capped estimate is 1 and the
    # decision is the published rule's.
    for target in (0.3, 0.4):
        d = de.TITEBOIN(target=target, max_n=40)
        lam_e, lam_d = lambdas(target, 0.6 * target, 1.4 * target)
        found = 0
        for n in range(3, 31):
            for y in range(n):
                for m in range(1, n // 2 + 1):
                    if y + m > n or y / n >= lam_d:
                        continue
                    pi = (y + target / 2) / (n - m + 1)
                    if (y + pi / (1 - pi) * m) / n <= 1.0:
                        continue
                    found += 1
                    rec = d.next_dose_tite(_rows_at(2, n, y, m, [0.0] * m), window=28, n_doses=3, current_dose=2)
                    assert rec.p_tox[1] == 1.0
                    assert _decision(rec, 2) == naive_tite_boin(target, n, y, m, 0.0)
        assert found > 0


@given(target=st.sampled_from([0.15, 0.2, 0.25, 0.3, 0.35]), n=st.integers(1, 30), data=st.data(),
       suspend=st.sampled_from([0.5, 1.0]))
def test_tite_boin_random_states_match_the_published_rule(target, n, data, suspend):
    y = data.draw(st.integers(0, n))
    m = data.draw(st.integers(0, n - y))
    fu = data.draw(st.lists(st.floats(0.0, 27.9), min_size=m, max_size=m))
    d = de.TITEBOIN(target=target, max_n=40, accrual_suspend=suspend)
    rec = d.next_dose_tite(_rows_at(2, n, y, m, fu), window=28, n_doses=3, current_dose=2)
    est = rec.p_tox[~np.isnan(rec.p_tox)]
    assert np.all((est >= 0) & (est <= 1)) and not np.isnan(rec.p_tox[1])
    want = naive_tite_boin(target, n, y, m, sum(f / 28 for f in fu), suspend=suspend)
    if want == "D" and rec.stop:  # elimination of the middle dose cannot stop the trial
        pytest.fail("unexpected stop")
    assert _decision(rec, 2) == want


# ---------------------------------------------------------------- no entered patient vanishes
def test_cohorts_after_a_stop_are_counted_and_reported():
    # issue 17: "1TT 1NNNN" printed STOP with 2 patients at dose 1; BOIN "1TTT 1NNN 1NNN" n = 3
    with pytest.warns(de.DeviationWarning, match="stopped after cohort 1"):
        rec = de.ThreePlusThree().next_dose("1TT 1NNNN", n_doses=3)
    assert rec.stop and rec.reason == "safety" and rec.selected is None
    assert rec.n_patients.tolist() == [6, 0, 0] and rec.n_dlt.tolist() == [2, 0, 0]
    assert any("cohort 2 ('1NNNN') came after the stop" in w for w in rec.warnings)
    with pytest.warns(de.DeviationWarning):
        rec = de.BOIN(target=0.3, cohort_size=3, max_n=30).next_dose("1TTT 1NNN 1NNN", n_doses=3)
    assert rec.stop and rec.n_patients.tolist() == [9, 0, 0] and rec.n_dlt.tolist() == [3, 0, 0]
    assert any("cohorts 2-3 ('1NNN 1NNN')" in w for w in rec.warnings)
    assert rec.p_tox[0] == pytest.approx(3.05 / 9.1)  # the estimate uses all 9 patients


def test_deviations_from_the_design_are_warned():
    d = de.ThreePlusThree()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert d.next_dose("1NNN 2NTN 2NNN", n_doses=3).warnings == ()  # as the design said
    with pytest.warns(de.DeviationWarning) as caught:
        rec = d.next_dose("1NNN 3NNN 3NNNNNNN", n_doses=4)
    notes = [str(w.message) for w in caught]
    assert notes == list(rec.warnings)
    assert "cohort 2 ('3NNN') was given at dose 3; the design recommended dose 2" in notes
    assert any("cohort 3 ('3NNNNNNN') has 7 patients; the design recommended a cohort of 3" in w for w in notes)


def test_paths_warn_once_for_the_root():
    with pytest.warns(de.DeviationWarning) as caught:
        nodes = de.dose_paths(de.ThreePlusThree(), cohorts=2, outcomes="1NNN 3NNN", n_doses=4)
    assert len(caught) == 1 and len(nodes) > 1


LIVE_DESIGNS = [
    de.ThreePlusThree(n_doses=4),
    de.BOIN(target=0.25, cohort_size=3, max_n=24, n_doses=4),
    de.MTPI2(target=0.25, cohort_size=3, max_n=24, n_doses=4),
    de.Keyboard(target=0.25, cohort_size=2, max_n=24, n_doses=4),
    de.I3plus3(target=0.25, cohort_size=3, max_n=24, n_doses=4),
    de.MTPI(target=0.25, cohort_size=3, max_n=24, n_doses=4),
    de.CRM(skeleton=[0.05, 0.12, 0.25, 0.4], target=0.25, cohort_size=2, max_n=24),
    de.CRM(skeleton=[0.05, 0.12, 0.25, 0.4], target=0.25, model="logistic", max_n=24),
    de.TITEBOIN(target=0.25, max_n=24, cohort_size=3, n_doses=4),
    de.TITECRM(skeleton=[0.05, 0.12, 0.25, 0.4], target=0.25, max_n=24),
    de.BOIN(target=0.25, cohort_size=3, max_n=24, n_doses=4).stop_for_safety(0.9).dont_skip_doses(),
]


@given(design=st.sampled_from(LIVE_DESIGNS),
       cohorts=st.lists(st.tuples(st.integers(1, 4), st.lists(st.booleans(), min_size=1, max_size=7)),
                        max_size=10))
def test_live_counts_equal_the_data_and_estimates_are_probabilities(design, cohorts):
    text = " ".join(f"{d}" + "".join("T" if t else "N" for t in tox) for d, tox in cohorts)
    n = np.zeros(4, dtype=int)
    y = np.zeros(4, dtype=int)
    for d, tox in cohorts:
        n[d - 1] += len(tox)
        y[d - 1] += sum(tox)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", de.DeviationWarning)
        if n.sum() > 24:
            with pytest.raises(ValueError, match="^outcomes: .* more than the design's maximum sample size"):
                design.next_dose(text, n_doses=4)
            return
        rec = design.next_dose(text, n_doses=4)
    assert rec.n_patients.tolist() == n.tolist() and rec.n_dlt.tolist() == y.tolist()
    if rec.p_tox is not None:
        p = np.asarray(rec.p_tox)
        assert not np.any(np.isnan(p[n > 0]))
        assert np.all((p[~np.isnan(p)] >= 0) & (p[~np.isnan(p)] <= 1))
    assert rec.stop == (rec.dose is None) or rec.reason == "suspended"
    strict_json(_json.dumps(rec.to_dict()))


def test_cli_next_shows_every_patient_and_warns(capsys):
    code, out, err = run(capsys, "next", "--design", "3+3", "--n-doses", "3", "1TT 1NNNN")
    assert code == 0 and "   1   6    2" in out and "warning: the design stopped after cohort 1" in out
    code, out, err = run(capsys, "next", "--design", "boin", "--target", "0.3", "--cohort-size", "3", "--max-n", "30",
                         "--n-doses", "3", "1TTT 1NNN 1NNN", "--format", "json")
    d = strict_json(out)
    assert code == 0 and d["n_patients"] == [9, 0, 0] and d["stop"] is True
    assert any("came after the stop" in w for w in d["warnings"])
    assert "doseesc: warning: the design stopped after cohort 1" in err


def test_cli_refuses_data_beyond_max_n(capsys):
    code, out, err = run(capsys, "next", "--design", "boin", "--target", "0.3", "--cohort-size", "3",
                         "--max-n", "30", "--n-doses", "5", "1" + "N" * 60)
    assert code == 2 and out == "" and "outcomes: 60 patients entered" in err and len(err.splitlines()) == 1


# ---------------------------------------------------------------- time models and loops
@pytest.mark.parametrize("kw, field", [
    (dict(window=28, rate=1e-300), "rate"), (dict(window=28, rate=1e300), "rate"), (dict(window=1e308), "window"),
    (dict(window=0), "window"), (dict(window=28, shape=1e-300), "shape"),
])
def test_time_model_ranges(kw, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        de.TimeModel(**kw)


@pytest.mark.parametrize("extra", [["--rate", "1e-300"], ["--rate", "1e300"], ["--window", "1e308"],
                                   ["--window", "0"]])
def test_cli_time_model_ranges_one_line(capsys, extra):
    argv = ["simulate", "--design", "tite-boin", "--truth", "0.05,0.1,0.2,0.3", "--target", "0.3", "--max-n", "24",
            "--n-trials", "300"] + (["--window", "28"] if extra[0] == "--rate" else []) + extra
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and err.startswith("doseesc: error: ")


def test_max_n_bounded_instead_of_system_error(capsys):
    with pytest.raises(ValueError, match=r"^max_n: must be an integer from 1 to 1000"):
        de.CRM(skeleton=[0.1, 0.2, 0.3], target=0.25, max_n=10**12)
    code, out, err = run(capsys, "simulate", "--design", "crm", "--truth", "0.1,0.2,0.3", "--target", "0.25",
                         "--skeleton", "0.1,0.2,0.3", "--max-n", str(10**12))
    assert code == 2 and "max_n" in err and "SystemError" not in err


@pytest.mark.slow
def test_kernel_loops_are_bounded():
    # A time model outside the validated ranges (built by hand): 1e300 arrivals per time unit,
    # so the clock needs ~1e301 arrivals to reach the end of a DLT window. The cohort loop gives
    # up after MAX_EVENTS arrivals with a clear error instead of looping for ever.
    from doseesc.engine import backends
    from doseesc.engine.api import _time

    tm = _time.pack(de.TimeModel(window=28, rate=3 / 28)).copy()
    tm[3] = 1e300
    low = de.ThreePlusThree().lower(3)
    job = backends.Job(code=low.code, ipar=low.ipar, fpar=low.fpar, tab=low.tab, rules=low.rules,
                       safety_tab=low.safety_tab, tm=tm, p_tox=np.array([[0.1, 0.2, 0.3]]),
                       p_ae_cum=np.array([[0.1, 0.2, 0.3]]), keys=np.array([1], dtype=np.uint64), per_scenario=1,
                       max_n=low.max_n, n_aux=low.n_aux, n_work=low.n_work, n_doses=3, tite=False)
    with pytest.raises(ValueError, match="^time: a simulated trial needed more than 1,000,000,000 arrivals"):
        backends.run(job, 1, None, 1)


# ---------------------------------------------------------------- strict JSON
BASE = ["--design", "3+3", "--truth", "0.05,0.1,0.2,0.3", "--target", "0.3"]


@pytest.mark.parametrize("argv", [
    ["simulate", *BASE, "--n-trials", "1", "--format", "json"],
    ["simulate", "--design", "tite-crm", "--truth", "0.05,0.1,0.2,0.3", "--target", "0.3", "--max-n", "12",
     "--skeleton", "0.05,0.1,0.2,0.3", "--window", "28", "--rate", "0.001", "--n-trials", "1", "--format", "json"],
    ["exact", *BASE, "--format", "json"],
    ["compare", "--designs", "3+3,boin", "--truth", "0.05,0.1,0.2", "--target", "0.3", "--max-n", "12",
     "--cohort-size", "3", "--n-trials", "1", "--format", "json"],
    ["next", "--design", "boin", "--target", "0.3", "--cohort-size", "3", "--max-n", "12", "--n-doses", "4", "1NNN",
     "--format", "json"],
    ["paths", "--design", "3+3", "--n-doses", "3", "--cohorts", "1", "--format", "json"],
    ["boundaries", "--target", "0.3", "--format", "json"],
    ["evidence", "--format", "json"],
])
def test_json_outputs_are_strict(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    strict_json(out)


def test_single_trial_table_says_why_no_se(capsys):
    code, out, err = run(capsys, "simulate", *BASE, "--n-trials", "1")
    assert code == 0 and "(n/a)" in out and "nan" not in out and "needs at least 2 simulated trials" in out
    d = strict_json(run(capsys, "simulate", *BASE, "--n-trials", "1", "--format", "json")[1])
    assert d["pcs_se"] is None and d["selection_se"] == [None] * 4


# ---------------------------------------------------------------- Ctrl-C
def _interrupt(argv, after=8.0):
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "doseesc", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, preexec_fn=naive.default_sigint)
    time.sleep(after)
    assert proc.poll() is None, "the command finished before it could be interrupted"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, time.monotonic() - sent, out, err


@pytest.mark.slow
def test_ctrl_c_stops_a_running_kernel(tmp_path):
    # 20 million TITE-BOIN trials: minutes of compiled work in blocks of 65,536 trials
    code, waited, out, err = _interrupt(["simulate", "--design", "tite-boin", "--truth", "0.05,0.1,0.2,0.3",
                                         "--target", "0.3", "--max-n", "24", "--window", "28",
                                         "--n-trials", "20000000", "--no-progress"])
    assert code == 130 and err.strip() == "doseesc: interrupted" and out == ""
    assert waited < 5.0
