"""What a statistician meets first (issue 11): design names, the final-selection rule, live-use
prompts and the command line's arguments."""

import json
import re
import warnings

import numpy as np
import pytest

import doseesc as de
from doseesc.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


SKEL = [0.05, 0.1, 0.2, 0.3, 0.5]


def test_designs_take_a_name_everywhere(capsys, tmp_path):
    d = de.BOIN(target=0.3, cohort_size=3, max_n=12, name="BOIN narrow")
    assert d.label() == "BOIN narrow" and d.to_dict()["name"] == "BOIN narrow" and d.to_dict()["design"] == "boin"
    assert de.BOIN(target=0.3, cohort_size=3, max_n=12).label() == "BOIN (target 0.3)"
    assert d.stop_for_safety(0.9).label().startswith("BOIN narrow + safety stop")
    with pytest.raises(ValueError, match="^name: expected a string"):
        de.CRM(skeleton=SKEL, target=0.3, name=3)
    # two designs of one family with their own options and names, on the command line ...
    code, out, err = run(capsys, "compare", "--designs", "boin[p_saf=0.12;name=BOIN a],boin[name=BOIN b],3+3",
                         "--truth", "0.05,0.1,0.2,0.3", "--target", "0.25", "--cohort-size", "3", "--max-n", "24",
                         "--n-trials", "500", "--format", "json")
    res = json.loads(out)["results"]
    assert [r["design"] for r in res] == ["BOIN a", "BOIN b", "3+3 + max 24 patients"]  # --max-n caps the 3+3
    assert json.loads(out)["designs"][0]["p_saf"] == 0.12 and json.loads(out)["designs"][1]["p_saf"] is None
    # ... and in a run file
    f = tmp_path / "run.toml"
    f.write_text('n_trials = 200\n[[designs]]\ndesign = "boin"\nname = "my BOIN"\ntarget = 0.25\ncohort_size = 3\n'
                 'max_n = 12\n[[scenarios]]\np_tox = [0.05, 0.1, 0.25]\ntarget = 0.25\n')
    code, out, err = run(capsys, "run", f, "--format", "json")
    assert code == 0 and json.loads(out)["results"][0]["design"] == "my BOIN"
    # a run file's (or --name's) name labels the design with its rules as given, no suffixes
    f.write_text('n_trials = 200\n[[designs]]\ndesign = "crm"\nname = "CRM safe"\nskeleton = [0.05, 0.12, 0.25]\n'
                 'target = 0.25\ncohort_size = 3\nmax_n = 12\nsafety_threshold = 0.95\nselect_min_n = 6\n'
                 '[[scenarios]]\np_tox = [0.05, 0.1, 0.25]\ntarget = 0.25\n')
    code, out, err = run(capsys, "run", f, "--format", "json")
    assert code == 0 and json.loads(out)["results"][0]["design"] == "CRM safe"
    code, out, err = run(capsys, "simulate", "--design", "boin", "--target", "0.25", "--cohort-size", "3", "--max-n",
                         "12", "--truth", "0.05,0.1,0.25", "--safety-threshold", "0.95", "--name", "BOIN safe",
                         "--n-trials", "100", "--format", "json")
    assert code == 0 and json.loads(out)["design"]["name"] == "BOIN safe"
    assert json.loads(out)["design"]["safety_threshold"] == 0.95  # the rule is in the design's options


@pytest.mark.parametrize("argv, msg", [
    (["boin[p_saf]"], "expected key=value"),
    (["boin[colour=red]"], "'colour' is not an option of design 'boin'"),
    (["boin[target=0.3"], "unbalanced"),
    (["nope"], "must be among"),
])
def test_design_list_errors(capsys, argv, msg):
    code, out, err = run(capsys, "compare", "--designs", *argv, "--truth", "0.1,0.2", "--target", "0.3")
    assert code == 2 and msg in err and len(err.splitlines()) == 1


def test_final_selection_among_treated_doses():
    crm = de.CRM(skeleton=SKEL, target=0.3, cohort_size=3, max_n=24)
    rec = crm.next_dose("1NNN")  # the model puts the MTD above every tried dose
    assert rec.selected > 1 and rec.n_patients[rec.selected - 1] == 0
    # ... and says so, naming the option that forbids it (printed, and in the JSON)
    assert any(f"dose {rec.selected}, the selection if the trial ended now, has had no patients" in x
               and "select_min_n" in x for x in rec.notes)
    assert "has had no patients" in str(rec) and rec.to_dict()["notes"] == list(rec.notes)
    held = crm.select_among_treated(1)
    assert held.next_dose("1NNN").selected == 1 and held.select([3, 0, 0, 0, 0], [0, 0, 0, 0, 0]) == 1
    assert not any("has had no patients" in x for x in held.next_dose("1NNN").notes)
    assert crm.select_among_treated(6).next_dose("1NNN 2NNN").selected is None  # no dose has 6 patients
    # in simulation: an untried dose is sometimes selected without the rule, never with it
    sc = de.Scenario([0.02, 0.04, 0.06, 0.08, 0.5], target=0.3)
    free = de.simulate(crm, sc, n_trials=4000, seed=3).records
    sel = free.selected
    untried = [free.n_patients[i, s - 1] == 0 for i, s in enumerate(sel) if s > 0]
    assert np.mean(untried) > 0.005
    for k in (1, 6):
        rec = de.simulate(crm.select_among_treated(k), sc, n_trials=4000, seed=3).records
        chosen = rec.selected > 0
        assert np.all(rec.n_patients[chosen, rec.selected[chosen] - 1] >= k)
        np.testing.assert_array_equal(rec.n_patients, free.n_patients)  # allocation unchanged
        ex = de.exact(crm.select_among_treated(k), sc)
        assert np.all(ex.records.n_patients[ex.records.selected > 0, ex.records.selected[ex.records.selected > 0] - 1]
                      >= k)
    with pytest.raises(ValueError, match="^select_min_n: "):
        crm.select_among_treated(0)


def test_cli_rule_flags(capsys):
    code, out, err = run(capsys, "next", "--design", "crm", "--skeleton", ",".join(map(str, SKEL)), "--target", "0.3",
                         "--cohort-size", "3", "--select-min-n", "1", "1NNN")
    assert code == 0 and "if the trial ended now: dose 1" in out
    code, out, err = run(capsys, "next", "--design", "boin", "--target", "0.3", "--cohort-size", "3", "--max-n", "12",
                         "--n-doses", "4", "--dont-skip", "1NNN")  # a flag: the outcomes are not its argument
    assert code == 0 and "no skipping" in out and "next: dose 2" in out
    code, out, err = run(capsys, "next", "--design", "3+3", "--n-doses", "3", "--outcomes", "1NNN")
    assert code == 0 and "next: dose 2" in out
    code, out, err = run(capsys, "paths", "--design", "3+3", "--n-doses", "3", "--cohorts", "1", "1NNN")
    assert code == 0 and out.splitlines()[1].startswith("1NNN -> dose 2")


def test_n_doses_is_required_in_live_use(capsys):
    code, out, err = run(capsys, "next", "--design", "boin", "--target", "0.3", "--cohort-size", "3", "--max-n", "12",
                         "1NNN")
    assert code == 2 and "--n-doses: required" in err
    with pytest.warns(UserWarning, match="n_doses: not given; assuming 2 dose levels"):
        de.ThreePlusThree().next_dose("1NNN")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        de.ThreePlusThree(n_doses=3).next_dose("1NNN")
        de.CRM(skeleton=SKEL, target=0.3).next_dose("1N")  # the skeleton fixes it
    # live use with follow-up times resolves it the same way (one rule, Design._resolve_n_doses)
    data = [dict(dose=1, dlt=0, follow_up=28, eff=0, eff_follow_up=28)] * 3
    for d in (de.TITEBOIN(target=0.2, max_n=30), de.TITEBOIN12(max_n=30)):
        with pytest.warns(UserWarning, match="n_doses: not given; assuming 2 dose levels") as rec:
            d.next_dose_tite(data, window=28)
        assert rec[0].filename == __file__  # the warning points at the caller's line


def test_suspension_says_who_is_pending_and_until_when():
    d = de.TITEBOIN(target=0.2, max_n=30, cohort_size=3)
    data = [dict(dose=1, dlt=0, follow_up=28)] * 3 + [dict(dose=2, dlt=0, follow_up=f) for f in (20, 12, 5)]
    rec = d.next_dose_tite(data, window=28, n_doses=4)
    assert rec.reason == "suspended" and rec.dose is None
    note = rec.notes[0]
    # 3 of 3 pending; at most floor(0.5 * 3) = 1 may be: 2 more must finish, the 2nd soonest in 28 - 12 = 16
    assert "3 of 3 patients" in note and "4 (20 of 28), 5 (12 of 28), 6 (5 of 28)" in note
    assert "2 more of them" in note and "at the latest in 16 time units" in note
    assert "note: accrual suspended" in str(rec)


def test_tite_outcome_strings_say_they_assume_complete_follow_up():
    with pytest.warns(de.DeviationWarning, match="treats every patient's DLT window as complete"):
        de.TITEBOIN(target=0.2, max_n=30, n_doses=3).next_dose("1NNN")


def test_every_option_help_says_meaning_values_and_default(capsys):
    from doseesc import cli

    parser = cli.make_parser()
    sub = next(a for a in parser._actions if isinstance(a, __import__("argparse")._SubParsersAction))
    for command, p in sub.choices.items():
        for action in p._actions:
            if not action.option_strings or "--help" in action.option_strings or action.help == "==SUPPRESS==":
                continue
            text = (action.help or "").lower()
            assert len(text) > 20 and ("default" in text or "required" in text), (command, action.option_strings, text)
    from doseesc._docs import entries

    for name, (kind, users) in cli.design_fields().items():
        text = cli._option_help(name, cli._kind(kind) if kind in ("list", "any") else kind, users)
        meaning = text.split("] ", 1)[1].split(". Value:")[0]
        assert len(meaning) > 10 and "``" not in text and "; default: " in text, (name, text)
        # a meaning, not a type ("float, optional") or a pointer to text the help does not show
        assert not re.match(r"(float|int|bool|str|sequence|\(float)\b", meaning), (name, meaning)
        assert "see above" not in meaning and "details above" not in meaning, (name, meaning)
        assert not re.search(r":[a-z]+:", text), (name, text)  # no reST roles
        if "Value: text" in text:  # a text option lists its values where its docstring's type does
            assert all("{" not in entries(cli.REGISTRY[u]).get(name, ((), "", ""))[1] for u in users), (name, text)
        for u in users:  # an entry shared by several fields says which is which
            names, _, own = entries(cli.REGISTRY[u]).get(name, ((name,), "", ""))
            if len(names) > 1 and own and not own.startswith("As for"):
                assert name in own, (u, name, own)
    assert "default: none" not in cli._option_help("safety_target", "float", ["boin"])  # no conflicting defaults
    scheme = cli._option_help("scheme", "str", ["tite-crm"])
    assert "Value: one of linear, adaptive; default: linear" in scheme, scheme
    p_saf = cli._option_help("p_saf", "float", ["boin", "tite-boin", "gboin"])
    assert "default: 0.6 x target" in p_saf and "default: none" not in p_saf, p_saf
    prior_sd = cli._option_help("prior_sd", "float", ["crm", "blrm"])
    assert "a number (crm); comma-separated numbers (blrm)" in prior_sd, prior_sd
    assert "solve_p" in cli._option_help("eff0", "float", ["efftox"])
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "[[designs]]" in out and "[[scenarios]]" in out and "Errors name the key and its line" in out


def test_metrics_are_documented_where_users_look():
    from doseesc.results import METRICS

    doc = de.OperatingCharacteristics.__doc__
    for name in METRICS:
        assert f"``{name}``" in doc


def test_every_recommendation_prints_its_notes_and_warnings():
    """Phase I/II and BLRM recommendations print notes and warnings as the others do."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b12 = de.BOIN12(max_n=30).next_dose("1NNN 3NNN", n_doses=4)  # dose 2 skipped: a deviation
        # cohorts after a stop: counted, and said so (BLRM and EWOC kept this from their own records)
        blrm = de.BLRM(doses=[1, 2, 4, 8], d_ref=4, max_n=24).next_dose("1NNN 2TTT 3NNN")
        ewoc = de.EWOC(doses=[1, 2, 3, 4, 5], target=0.3, cohort_size=3, safety_stop=0.9).next_dose("1TTT 1TTT 2NNN")
    for rec in (b12, blrm, ewoc):
        assert rec.warnings and all(f"warning: {w}" in str(rec) for w in rec.warnings)
    data = {"dose": [1, 1, 1], "dlt": [0, 0, 0], "follow_up": [28, 10, 5], "eff": [0, 0, 0],
            "eff_follow_up": [28, 10, 5]}
    rec = de.TITEBOIN12(max_n=30).next_dose_tite(data, window=28, eff_window=84, n_doses=3)
    assert rec.reason == "suspended" and rec.notes and all(f"note: {x}" in str(rec) for x in rec.notes)


def test_next_csv_carries_the_decision_and_says_the_warnings_and_notes(capsys):
    """``next --format csv`` once held only the per-dose counts: the decision itself, the
    deviation warning and the notes were lost. Now each row says whether its dose gets the next
    cohort (and how many), whether it is the selection if the trial ended now, and the decision;
    warnings and notes go to stderr."""
    import csv as _csv

    code, out, err = run(capsys, "next", "--design", "boin", "--target", "0.25", "--cohort-size", "3", "--max-n",
                         "24", "--n-doses", "5", "1NNN 3NNN", "--format", "csv")
    assert code == 0
    rows = list(_csv.DictReader(out.splitlines()))
    assert [r["next"] for r in rows] == ["False", "False", "False", "True", "False"]
    assert rows[3]["next_cohort_size"] == "3" and all(r["next_cohort_size"] == "" for r in rows[:3])
    assert [r["selected_if_ended"] for r in rows].index("True") == 2
    assert {r["decision"] for r in rows} == {"continue"}
    assert "warning: cohort 2 ('3NNN') was given at dose 3; the design recommended dose 2" in err
    # a stop: no dose gets a cohort
    code, out, err = run(capsys, "next", "--design", "boin", "--target", "0.25", "--cohort-size", "3", "--max-n",
                         "24", "--n-doses", "3", "1TTT", "--format", "csv")
    rows = list(_csv.DictReader(out.splitlines()))
    assert code == 0 and {r["decision"] for r in rows} == {"stop"} and all(r["next"] == "False" for r in rows)
    # CRM's untried selection: its note reaches stderr
    code, out, err = run(capsys, "next", "--design", "crm", "--skeleton", "0.05,0.1,0.2,0.3,0.4", "--target",
                         "0.25", "--max-n", "24", "1NNN", "--format", "csv")
    assert code == 0 and "note: dose 5, the selection if the trial ended now, has had no patients" in err


@pytest.mark.parametrize("value, says", [("A,,B", "empty item in 'A,,B'"), ("", "empty item in ''"),
                                         ("C", "got 'C'")])
def test_whatif_trial_list_refuses_empty_items_and_unknown_trials(capsys, value, says):
    code, out, err = run(capsys, "whatif", "--trial", value)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("doseesc: error: --trial:") and says in err


def test_tables_say_what_was_run_and_where_a_design_beats_the_benchmark(capsys):
    """Every table names the run's versions, and a named design's rules (its name alone hides them);
    a design that selects better than the complete-information benchmark gets the caveat the
    what-if prints. In this scenario doses 2 and 3 are 0.08 and 0.10 from the target: BOIN leads
    the benchmark by about 6 points (SE 0.8 at 5,000 trials)."""
    code, out, err = run(capsys, "simulate", "--design", "crm", "--skeleton", "0.05,0.12,0.25,0.4", "--target",
                         "0.25", "--max-n", "12", "--cohort-size", "3", "--truth", "0.05,0.1,0.25,0.4",
                         "--safety-threshold", "0.95", "--name", "CRM safe", "--n-trials", "200")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("CRM safe under")
    assert lines[1] == "CRM safe: CRM (empiric) + safety stop P(p1 > 0.25) > 0.95"
    assert lines[2] == "CRM safe: skeleton = (0.05, 0.12, 0.25, 0.4), target = 0.25"  # the options without defaults
    assert lines[3] == "CRM safe, options changed from the defaults: cohort_size = 3, max_n = 12"
    assert lines[4].startswith("CRM safe, options at their defaults: model = empiric, prior_sd = 1.15758")
    assert lines[5].startswith(f"doseesc {de.__version__}, numpy ") and "numba" in lines[5]
    sc = de.Scenario([0.05, 0.12, 0.30], target=0.2, name="MTD at 2")
    boin = de.BOIN(target=0.2, cohort_size=3, max_n=18)
    text = de.compare([boin], [sc], n_trials=5000, seed=2024).summary()
    assert "5,000 trials per design and scenario, seed 2024" in text.splitlines()[0]
    assert "note: BOIN (target 0.2) exceeds the benchmark by more than 4 SE here" in text
    # why, in the benchmark's own numbers: its per-dose SE against the two nearest doses' distances,
    # and how often it selected another dose (from the benchmark itself)
    b = de.optimal_benchmark(sc, 18, n_trials=5000, seed=2024)
    assert ("from 18 patients alone (SE 0.08 at the true MTD, dose 2), against distances from the target of 0.08 "
            "(dose 2) and 0.10 (dose 3): it selected another dose in "
            f"{100 * (1 - b.pcs):.0f}% of trials (dose 3 {100 * b.selection[2]:.0f}%, dose 1") in text
    # no note where the design does not exceed it
    safe = de.Scenario([0.02, 0.04, 0.08], target=0.2)
    assert "exceeds the benchmark" not in de.compare([boin], [safe], n_trials=2000, seed=2024).summary()


def test_json_of_next_paths_and_boundaries_echoes_what_was_run(capsys):
    """``next``, ``paths`` and ``boundaries`` JSON carry the design and the versions (every output
    echoes the resolved run), and BOIN's boundary CSV and JSON hold the table's rows: n a multiple
    of the cohort size."""
    import csv as _csv

    code, out, _ = run(capsys, "next", "--design", "boin", "--target", "0.3", "--cohort-size", "3", "--max-n", "12",
                       "--n-doses", "4", "1NNN", "--format", "json")
    got = json.loads(out)
    assert code == 0 and got["dose"] == 2 and got["design"]["design"] == "boin" and got["design"]["max_n"] == 12
    assert got["versions"]["doseesc"] == de.__version__ and got["data"] == "1NNN"  # the outcome string, not its repr
    code, out, _ = run(capsys, "boundaries", "--target", "0.3", "--max-n", "12", "--cohort-size", "3", "--format",
                       "json")
    got = json.loads(out)
    assert got["n"] == [3, 6, 9, 12] and got["escalate_if_le"] == [0, 1, 2, 2] and "versions" in got
    code, out, _ = run(capsys, "boundaries", "--target", "0.3", "--max-n", "3", "--format", "json")
    assert json.loads(out)["eliminate_if_ge"] == [None, None, 3]  # R's NA: no elimination below 3 patients
    code, out, _ = run(capsys, "boundaries", "--target", "0.3", "--max-n", "12", "--cohort-size", "3", "--format",
                       "csv")
    assert [r["n"] for r in _csv.DictReader(out.splitlines())] == ["3", "6", "9", "12"]
    code, out, _ = run(capsys, "boundaries", "--design", "mtpi2", "--target", "0.3", "--max-n", "6", "--cohort-size",
                       "3", "--format", "json")
    got = json.loads(out)
    assert got["design"]["design"] == "mtpi2" and got["table"]["3"][:4] == ["E", "S", "D", "DU"]


def test_precision_targeted_table_states_its_target_and_whether_it_was_met(capsys):
    base = ["simulate", "--design", "boin", "--truth", "0.05,0.1,0.2,0.3", "--target", "0.3", "--max-n", "12",
            "--cohort-size", "3"]
    code, out, err = run(capsys, *base, "--se-target", "0.01")
    assert code == 0 and "precision target: SE of selection, no_selection, pcs, over_selection below 0.01, met" \
        in out.splitlines()[0]
    code, out, err = run(capsys, *base, "--se-target", "0.001", "--n-trials", "2000")
    assert code == 0 and "below 0.001, NOT met: the n_trials cap stopped it" in out.splitlines()[0]


def test_cli_errors_name_what_the_user_typed(capsys, monkeypatch):
    """No abbreviated options (``--utility`` on ``next`` was read as ``--utility-at``); a value that
    starts with '-' gets the --flag=VALUE hint; the library's 'use simulate()' is said in CLI words."""
    code, out, err = run(capsys, "next", "--design", "boin12", "--n-doses", "3", "--utility", "100,40,60,0", "1NNN")
    assert code == 2 and "--utility-at" not in err and "--utility" in err
    code, out, err = run(capsys, "simulate", "--design", "boin", "--truth", "0.1,0.2", "--target", "0.3", "--max-n",
                         "6", "--cohort-size", "3", "--utility", "-1,40,60,0")
    assert code == 2 and "--flag=VALUE" in err and len(err.splitlines()) == 1
    code, out, err = run(capsys, "simulate", "--design", "boin", "--truth", "0.1,0.2", "--target", "0.3", "--max-n",
                         "6", "--cohort-size", "3", "--n-tri", "10")
    assert code == 2 and "unrecognized arguments: --n-tri" in err
    from doseesc.engine import api

    monkeypatch.setattr(api, "MAX_EXACT_STATES", 1000)  # the refusal, without enumerating millions first
    code, out, err = run(capsys, "exact", "--design", "boin12", "--truth", "0.05,0.1,0.2,0.3,0.4", "--eff",
                         "0.2,0.3,0.4,0.5,0.5", "--target", "0.35", "--max-n", "12")
    assert code == 2 and err.rstrip().endswith("use doseesc simulate (with --se-target for a stated precision)")


def test_tite_boin_live_recommendation_follows_its_cohorts():
    """TITE-BOIN decides at each cohort's first arrival (its simulator); live use said '1 patient'
    whatever the cohort size. Now a decision gives a whole cohort, within a cohort the rest of it
    at its dose, with a note; TITE-CRM (one patient per arrival) is unchanged."""
    d = de.TITEBOIN(target=0.25, max_n=24, cohort_size=3, n_doses=4)
    done = [dict(dose=1, dlt=0, follow_up=28)] * 3
    rec = d.next_dose_tite(done, window=28)
    assert (rec.dose, rec.cohort_size) == (2, 3)
    rec = d.next_dose_tite(done + [dict(dose=2, dlt=0, follow_up=5)], window=28)
    assert (rec.dose, rec.cohort_size, rec.reason) == (2, 2, "running")
    assert "cohort 2 (patients 4-6; cohorts of 3) is under way at dose 2" in rec.notes[0]
    assert "would suspend accrual" in rec.notes[0]  # 1 of 1 pending at dose 2 if it decided now
    crm = de.TITECRM(skeleton=[0.05, 0.1, 0.2, 0.3], target=0.25, max_n=20)
    assert crm.next_dose_tite(done + [dict(dose=2, dlt=0, follow_up=5)], window=28).cohort_size == 1


def test_toxicity_only_design_says_it_ignores_responses_in_outcomes():
    rec = de.BOIN(target=0.25, cohort_size=3, max_n=24, n_doses=4).next_dose("1NNE 2EBT")
    assert rec.n_dlt.tolist()[:2] == [0, 2] and any("decides on DLTs only" in x for x in rec.notes)
    assert not de.BOIN(target=0.25, cohort_size=3, max_n=24, n_doses=4).next_dose("1NNN 2NTT").notes


def test_simulate_table_states_changed_options_efficacy_model_and_time_model(capsys):
    code, out, err = run(capsys, "simulate", "--design", "boin12", "--truth", "0.05,0.1,0.2", "--eff", "0.2,0.3,0.4",
                         "--target", "0.3", "--max-n", "12", "--u2", "30", "--association", "gaussian",
                         "--association-param", "0.3", "--window", "28", "--rate", "0.1", "--eff-window", "90",
                         "--n-trials", "100")
    head = out.split("\n\n")[0]
    assert code == 0 and "options changed from the defaults: u2 = 30, max_n = 12" in head
    assert ("efficacy: association Gaussian copula, correlation 0.3; "
            "utility of (E no T, neither, both, T no E) = (100, 40, 60, 0)") in head
    assert ("time model: window 28, accrual fixed, rate 0.1, onset uniform, waiting turn_away, dropout 0, "
            "eff_window 90") in head
    assert "each cohort waited 90 time units" in head
