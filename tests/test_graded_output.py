"""Graded designs' tables (audit): they state which target the correct selection is judged against
(the scenario's DLT target, not the design's normalized-score target) and the true mean
normalized score per dose; a bad --score-target is named as such."""

from __future__ import annotations

import numpy as np

import doseesc as de

from .test_bad_input_cli import assert_refused, run

GRADES = [[0.1, 0.1, 0.05, 0], [0.1, 0.5, 0.12, 0.02], [0.1, 0.3, 0.2, 0.05], [0.1, 0.2, 0.3, 0.1]]


def test_gboin_table_says_which_target_judges_the_selection():
    sc = de.Scenario.from_grades(GRADES, target=0.25)
    d = de.gBOIN(target=0.15, cohort_size=3, max_n=30)
    text = de.simulate(d, sc, n_trials=200, seed=1).summary()
    assert sc.correct_doses.tolist() == [3]  # true P(DLT) 0.05, 0.14, 0.25, 0.40
    assert "judged on the DLT scale: true P(DLT) closest to the scenario's target 0.25 (dose 3)" in text
    # by hand, scores (0, 0, 0.5, 1, 1.5) / 1.5 on grades 0-4: dose 1 = 0.1 * 0.5 / 1.5 + 0.05 * 1 / 1.5
    s = np.array(d.scores) / max(d.scores)
    g = np.array(GRADES)
    ets = (1 - g.sum(axis=1)) * s[0] + g @ s[1:]
    assert abs(ets[0] - (0.1 * 0.5 + 0.05) / 1.5) < 1e-12
    assert "true mean normalized score per dose: " + ", ".join(f"{x:.3f}" for x in ets) in text
    plain = de.simulate(de.BOIN(target=0.25, cohort_size=3, max_n=12), sc, n_trials=50, seed=1).summary()
    assert "judged on the DLT scale" not in plain  # same target: nothing to say
    other = de.simulate(de.BOIN(target=0.3, cohort_size=3, max_n=12), sc, n_trials=50, seed=1).summary()
    assert "scenario's target 0.25 (dose 3); the design targets 0.3" in other


def test_bad_score_target_names_its_flag(capsys):
    base = ["simulate", "--design", "gboin", "--grades", "0.1,0.1,0.1;0.1,0.1,0.1", "--scores", "0,0,0.5,1",
            "--target", "0.25", "--n-trials", "20", "--cohort-size", "3", "--max-n", "12"]
    assert_refused(run(capsys, *base, "--score-target", "0.9"), "--score-target: must be from 0.05 to 0.6")
    q = ["next", "--design", "quasi-crm", "--skeleton", "0.1,0.2,0.3", "--target", "0.25", "--cohort-size", "3",
         "--max-n", "12", "--score-target", "0", "1:000"]
    assert_refused(run(capsys, *q), "--score-target: must be strictly between 0 and 1")
