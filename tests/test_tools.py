"""Pathways, run files, what-if, figures: the routine tools."""

import csv
import io
import json
import os
import re

import numpy as np
import pytest

import doseesc as de
from doseesc import config
from doseesc.cli import main


# ---------------------------------------------------------------- dose-transition pathways
def test_three_plus_three_paths_hand_enumeration():
    # 3+3 on 3 doses, two cohorts from the start, enumerated by hand from the rules:
    expected = {
        "": 1,
        "1NNN": 2, "1NNN 2NNN": 3, "1NNN 2NNT": 2, "1NNN 2NTT": 1, "1NNN 2TTT": 1,
        "1NNT": 1, "1NNT 1NNN": 2, "1NNT 1NNT": None, "1NNT 1NTT": None, "1NNT 1TTT": None,
        "1NTT": None, "1TTT": None,
    }
    nodes = de.dose_paths(de.ThreePlusThree(), cohorts=2, n_doses=3)
    assert {n.outcomes: n.dose for n in nodes} == expected
    assert [n.depth for n in nodes][:3] == [0, 1, 2]


def test_path_probabilities_sum_to_one_per_level():
    sc = de.Scenario([0.1, 0.25, 0.4], target=0.25)
    d = de.BOIN(target=0.25, cohort_size=3, max_n=18)
    nodes = de.dose_paths(d, cohorts=3, scenario=sc)
    for depth in (1, 2, 3):
        # leaves above this depth (stopped early) keep their probability mass
        mass = sum(n.probability for n in nodes if n.depth == depth or (n.depth < depth and n.stop))
        assert mass == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("design", [de.BOIN(target=0.3, cohort_size=3, max_n=12),
                                    de.MTPI2(target=0.3, cohort_size=3, max_n=12)])
def test_paths_agree_with_next_dose(design):
    for node in de.dose_paths(design, cohorts=3, outcomes="1NNN", n_doses=4):
        rec = design.next_dose(node.outcomes, n_doses=4)
        assert (rec.dose, rec.stop) == (node.dose, node.stop)


def test_paths_cli_json(capsys):
    assert main(["paths", "--design", "3+3", "--cohorts", "2", "--n-doses", "3", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    nodes = got["paths"]
    assert nodes[1] == {"outcomes": "1NNN", "depth": 1, "dose": 2, "stop": False, "cohort_size": 3, "selected": 1}
    assert got["design"]["design"] == "3+3" and got["versions"]["doseesc"] == de.__version__
    assert got["scenario"] is None
    assert main(["paths", "--design", "3+3", "--cohorts", "1", "--truth", "0.1,0.2", "--target", "0.3",
                 "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["paths"][1]["probability"] == pytest.approx(0.9**3) and got["scenario"]["p_tox"] == [0.1, 0.2]


# ---------------------------------------------------------------- run files
RUN = """n_trials = 2000
[random]
seed = 1
[[designs]]
design = "boin"
target = 0.25
cohort_size = 3
max_n = 24
[[designs]]
design = "3+3"
[[scenarios]]
p_tox = [0.05, 0.10, 0.20, 0.35]
target = 0.25
"""


def test_run_file_shape_from_the_issue(tmp_path, capsys):
    f = tmp_path / "design.toml"
    f.write_text(RUN)
    out = tmp_path / "out"
    assert main(["run", str(f), "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["run"]["seed"] == 1 and res["run"]["n_trials"] == 2000 and "versions" in res["run"]
    assert len(res["results"]) == 2 and res["paired_differences"]
    assert (out / "results.csv").read_text().startswith("design,scenario,metric,dose,dose_value,value,se\n")
    # one comparison figure for the run; no per-scenario figures unless asked for
    assert sorted(p.name for p in out.glob("*.png")) == ["comparison.png"]
    # same seed, same numbers as the library
    oc = de.compare([de.BOIN(target=0.25, cohort_size=3, max_n=24), de.ThreePlusThree()],
                    [de.Scenario([0.05, 0.10, 0.20, 0.35], target=0.25)], n_trials=2000, seed=1).oc[0][0]
    assert res["results"][0]["selection"] == oc.selection.tolist()


def test_run_scenario_plots_on_request(tmp_path, capsys):
    f = tmp_path / "design.toml"
    f.write_text(RUN.replace("n_trials = 2000", "n_trials = 200"))
    out = tmp_path / "out"
    assert main(["run", str(f), "--out", str(out), "--scenario-plots"]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == ["comparison.png", "oc_design1_scenario1.png",
                                                          "oc_design2_scenario1.png"]
    # an existing per-scenario figure is not overwritten without --force
    f.write_text(RUN.replace("n_trials = 2000", "n_trials = 200") + "[output]\nscenario_plots = true\n")
    (out / "results.json").unlink()
    (out / "results.csv").unlink()
    (out / "results.txt").unlink()
    (out / "comparison.png").unlink()
    assert main(["run", str(f), "--out", str(out)]) == 2
    assert "oc_design1_scenario1.png" in capsys.readouterr().err
    assert main(["run", str(f), "--out", str(out), "--force"]) == 0
    assert config.parse(RUN + "[output]\nscenario_plots = true\n").scenario_plots is True
    with pytest.raises(ValueError, match="output.scenario_plots: expected true or false"):
        config.parse(RUN + "[output]\nscenario_plots = 1\n")


@pytest.mark.parametrize("change, message", [
    (("max_n = 24", "max_n = 0"), "line 8: designs[1].max_n"),
    (("cohort_size = 3", "cohort_sise = 3"), "line 7: designs[1].cohort_sise: unknown key"),
    (("seed = 1", "seed = \"one\""), "line 3: random.seed: expected an integer"),
    (("p_tox = [0.05, 0.10, 0.20, 0.35]", "p_tox = [0.05, 1.10, 0.20, 0.35]"), "line 12: scenarios[1].p_tox"),
    (("n_trials = 2000", "n_trials = 2000\nthreds = 2"), "line 2: threds: unknown key"),
    (("design = \"3+3\"", "design = \"3+4\""), "line 10: designs[2].design: must be one of"),
])
def test_run_file_errors_name_key_and_line(change, message):
    with pytest.raises(ValueError) as e:
        config.parse(RUN.replace(*change), "design.toml")
    assert message in str(e.value) and "\n" not in str(e.value)


def test_run_file_error_exit_2(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text(RUN.replace("max_n = 24", "max_n = -3"))
    assert main(["run", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "line 8" in err[0]


# ---------------------------------------------------------------- what-if
def test_whatif_small_and_honest():
    res = de.whatif(["A", "B"], n_scenarios=4, n_trials=50, seed=3)
    d = json.loads(res.to_json())  # strict JSON
    rows = d["rows"]
    exact_rows = [r for r in rows if r["method"] == "exact"]
    assert exact_rows and all(r["pcs_se"] == 0 for r in exact_rows)
    mc = [r for r in rows if r["method"].startswith("Monte Carlo")]
    assert mc and all(r["pcs_se"] > 0 or r["pcs"] in (0.0, 1.0) for r in mc)
    assert rows[0]["design"] == "3+3 (as used)" and d["versions"]["doseesc"] == de.__version__
    # the exact rows agree with a direct exact computation
    r = next(r for r in rows if r["trial"] == "A" and r["scenario"] == "toxic top dose" and r["design"] == "BOIN")
    ex = de.exact(de.BOIN(target=0.2, cohort_size=3, max_n=12), de.Scenario(r["true_p_tox"], target=0.2))
    assert r["pcs"] == pytest.approx(float(ex.pcs), abs=1e-12)
    assert r["selection"] == pytest.approx(ex.selection.tolist(), abs=1e-12)
    # every design, the 3+3 included, stays within the common maximum (trial B's 3+3 reached 12.33)
    assert all(r["sample_size"] <= 12 + 1e-9 for r in rows)
    # trial B as used: its CRM starts at 2 x10^6/kg, as every patient was treated there or above
    b_used = d["designs"]["B"][0]
    assert b_used["label"] == "CRM (as used)" and b_used["design"]["start_dose"] == 2
    assert any("start at dose 2" in a for a in b_used["assumptions"])
    # leave-one-trial-out priors, with their weight in patients
    assert "trial A's own data left out" in res.priors["trial A"] and "A@2" not in res.priors["trial A"]
    assert "A@2" in res.priors["trial B"] and "moment-matched effective sample size" in res.priors["trial B"]
    # ... and what it is weighed against: the discounted patients behind it (audit: 18.7 at dose 1 from 22 at 0.5)
    assert "11 patients' worth of data (22 patients at discount 0.5)" in res.priors["trial B"]
    # designs said to coincide really give identical rows
    for trial, groups in d["coincide"].items():
        for g in groups:
            same = [[r for r in rows if r["trial"] == trial and r["design"] == lab] for lab in g["designs"]]
            for other in same[1:]:
                for x, y in zip(same[0], other):
                    assert {k: v for k, v in x.items() if k != "design"} == {k: v for k, v in y.items()
                                                                             if k != "design"}
    # paired differences are the differences of the rows, with their SEs
    for diff in d["paired_differences"]:
        a_ = next(r for r in mc if r["trial"] == diff["trial"] and r["design"] == diff["design"])
        b_ = next(r for r in mc if r["trial"] == diff["trial"] and r["design"] == diff["versus"])
        assert diff["pcs"] == pytest.approx(a_["pcs"] - b_["pcs"], abs=1e-12)
    # the complete-information benchmark is the upper reference: no design above it by more than 4 SE in trial B;
    # where one is (trial A: the BLRM, whose prior carries the evidence the true curves are drawn from), the
    # output names it and says why, instead of calling the benchmark a bound
    for trial in ("A", "B"):
        bench = [line for line in res.conclusions[trial] if line.startswith("Upper reference")]
        assert len(bench) == 1
        diffs_b = [float(x) for x in re.findall(r" ([+-]\d+\.\d+) \(SE", bench[0])]
        ses_b = [float(x) for x in re.findall(r"\(SE (\d+\.\d+)\)", bench[0])][1:]
        assert len(diffs_b) == len(ses_b) >= 3
        said = [line for line in res.conclusions[trial] if "the benchmark by more than 4 SE" in line]
        if trial == "B":
            assert all(dd <= 4 * ss + 0.1 for dd, ss in zip(diffs_b, ses_b)) and not said
        if any(dd > 4 * ss + 0.15 for dd, ss in zip(diffs_b, ses_b)):
            assert len(said) == 1 and "not a bound" in said[0]
    text = res.table()
    assert "Designs (dose levels 1 = 1, 2 = 2, 3 = 4 x10^6 cells/kg):" in text and "Conclusion for trial B" in text \
        and "assumed:" in text
    assert "low-gr" not in text.split("== Graded")[0]  # no AE column: it only restated the sample size
    assert all(len(line) < 400 for line in text.splitlines())


def test_whatif_phase12_answers_which_dose_by_which_design():
    res = de.whatif(["B"], n_scenarios=4, n_trials=40, seed=2, blrm=False)
    p = res.phase12
    d = json.loads(res.to_json())["phase_i_ii"]
    labels = [x["label"] for x in d["designs"]]
    assert labels[0].startswith("BOIN12") and "BOIN" in labels and any(lab.startswith("CRM") for lab in labels)
    fixed = [r for r in d["rows"] if not r["scenario"].startswith("prior-predictive")]
    assert len(fixed) == 6 * len(labels) and "EffTox (phase I/II)" in labels
    assert all((r["method"] == "exact") != r["design"].startswith("EffTox") for r in fixed)
    # the times use trial B's own DLT window (10 days, tests/test_evidence.py), beside its accrual
    assert p.settings["dlt_window_days"] == 10 and "10 days (trial B's DLT window)" in " ".join(p.table().split())
    # the exact rows are de.exact of the design on the stated scenario (OBD from the stated utility)
    r = next(r for r in fixed if r["design"] == labels[0] and "plateau" in r["scenario"] and "safe" in r["scenario"])
    sc = de.Scenario(r["true_p_tox"], p_eff=r["true_p_eff"], target=0.2)
    ex = de.exact(de.BOIN12(phi_t=0.2, n_doses=3, cohort_size=3, max_n=18), sc)
    assert r["true_obd"] == sc.obd_doses.tolist() == [2]  # plateau from the middle dose: the middle dose
    assert r["pcs_obd"] == pytest.approx(float(ex.pcs_obd), abs=1e-12)
    assert r["selected_utility"] == pytest.approx(float(ex.selected_utility), abs=1e-9)
    # a toxicity-only design scores what it selects: its OBD % is its selection of the OBD
    b = next(x for x in fixed if x["design"] == "BOIN" and x["scenario"] == r["scenario"])
    assert b["pcs_obd"] == pytest.approx(b["selection"][1], abs=1e-12)
    # waiting 12 months for each cohort's efficacy costs time: the phase I/II design takes longer
    assert r["duration_months"] > b["duration_months"] + 4 * (r["duration_months_se"] + b["duration_months_se"])
    # paired differences are the differences of the prior-predictive rows
    mc = {x["design"]: x for x in d["rows"] if x["method"].startswith("Monte Carlo")}
    for diff in d["paired_differences"]:
        assert diff["pcs_obd"] == pytest.approx(mc[diff["design"]]["pcs_obd"] - mc[diff["versus"]]["pcs_obd"],
                                                abs=1e-12)
    text = res.table()
    assert "Phase I/II" in text and "B:response-M12" in text and "month 12" in text
    # the efficacy prior's circularity for trial B is stated, not hidden
    assert "includes trial B's own responses" in " ".join(text.split())
    assert f"{100 * r['pcs_obd']:.0f}%" in "\n".join(p.conclusions)
    assert any(row[0] == "phase I/II" for row in csv.reader(io.StringIO(res.to_csv())))
    # late-onset efficacy: TITE-BOIN12 beside BOIN12 waiting for complete data, paired on the same patients
    late = d["late_onset_efficacy"]
    assert len(late) == 6 * 3 and "Late-onset efficacy" in text and "TITE-BOIN12 minus waiting" in text
    for i in range(0, len(late), 3):
        w, t, df = late[i:i + 3]
        assert w["design"].startswith("BOIN12, waits") and t["design"] == "TITE-BOIN12"
        assert df["months"] == pytest.approx(t["months"] - w["months"], rel=1e-9)
        assert df["months"] < -4 * df["months_se"]  # not waiting 12 months per decision is faster
        assert w["sample_size"] <= 18 and t["sample_size"] <= 18
    assert d["settings"]["eff_window_days"] == pytest.approx(365.2, abs=0.1)
    assert any(row[0] == "phase I/II late onset" for row in csv.reader(io.StringIO(res.to_csv())))
    assert de.whatif(["B"], n_scenarios=2, n_trials=5, blrm=False, phase12=False).phase12 is None
    assert de.whatif(["A"], n_scenarios=2, n_trials=5).phase12 is None


def test_whatif_graded_shows_what_counting_low_grade_events_changes():
    res = de.whatif(["B"], n_scenarios=4, n_trials=40, seed=2, blrm=False, phase12=False)
    g = json.loads(res.to_json())["graded"]
    labels = [d["label"] for d in g["designs"]]
    assert labels[0] == "BOIN (DLTs only)" and all(lab.startswith("gBOIN") for lab in labels[1:])
    # the DLT-only design sees exactly the binary trial: DLT = worst grade >= 3, AEs = grades 1-2
    r = next(r for r in g["rows"] if r["design"] == labels[0] and r["scenario"] == "toxic top dose")
    pg = np.array(r["p_grade"])
    sc = de.Scenario(pg[:, 2].tolist(), target=0.2, p_ae=(pg[:, 0] + pg[:, 1]).tolist())
    oc = de.simulate(de.BOIN(target=0.2, cohort_size=3, max_n=12), sc, n_trials=g["settings"]["fixed_trials"], seed=2)
    assert r["selection"] == oc.selection.tolist() and r["values"]["total_ae"] == float(oc.total_ae)
    # the graded designs move selection away from the dose with frequent grade-2 events (by far more than 4 SE)
    sc2 = "grade-2 AEs frequent at the top dose, DLTs rare"
    b = next(r for r in g["rows"] if r["design"] == labels[0] and r["scenario"] == sc2)
    gb = next(r for r in g["rows"] if r["design"] == labels[1] and r["scenario"] == sc2)
    assert b["selection"][2] - gb["selection"][2] > 4 * (b["selection_se"][2] + gb["selection_se"][2])
    assert "A@2" in g["grade_prior"] and "C@2 (AE grades not stated)" in g["grade_prior"]
    # leave-one-trial-out, as the toxicity prior: trial B's own AE grades are not in B's grade prior
    assert "trial B's own data left out" in g["grade_prior"] and "B@2" not in g["grade_prior"]
    g_all = json.loads(de.whatif(["B"], n_scenarios=2, n_trials=5, blrm=False, phase12=False,
                                 evidence="all").to_json())["graded"]["grade_prior"]
    assert "trial B's own data in" in g_all and "B@2" in g_all
    assert "Graded toxicity" in res.table() and any(row[0] == "graded" for row in csv.reader(io.StringIO(res.to_csv())))
    assert de.whatif(["B"], n_scenarios=2, n_trials=5, blrm=False, phase12=False, graded=False).graded is None


def test_whatif_evidence_choice():
    mine = de.whatif(["A"], n_scenarios=2, n_trials=10, evidence="all", discount=1.0)
    assert "A@2" in mine.priors["trial A"] and "its own data included" in mine.priors["trial A"]


@pytest.mark.parametrize("argv, field", [(["whatif", "--trial", "Z"], "trials"),
                                         (["whatif", "--discount", "1.5"], "discount"),
                                         (["whatif", "--target", "0"], "target"),
                                         (["whatif", "--max-n", "0"], "max_n"),
                                         (["whatif", "--eff-endpoint", "B:x"], "eff_endpoint"),
                                         (["whatif", "--eff-discount", "2"], "eff_discount"),
                                         (["whatif", "--phase12-max-n", "1"], "phase12_max_n")])
def test_whatif_bad_input(capsys, argv, field):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and field in err[0]


def test_evidence_cli(capsys):
    assert main(["evidence"]) == 0
    out = capsys.readouterr().out
    assert "A@2" in out and "D@1" in out
    assert main(["evidence", "--trial", "X"]) == 2


def test_evidence_csv_one_row_per_trial_dose_and_outcome(capsys):
    # SPEC section 7: every command's output as csv; the records' counts, as in the data file
    import csv
    import io

    from doseesc import evidence

    assert main(["evidence", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    recs = evidence.records()
    assert len(rows) == sum(1 + len(r.efficacy) for r in recs)
    tox = [r for r in rows if r["outcome"] == "dlt"]
    assert [(r["record"], int(r["events"]), int(r["n"])) for r in tox] == [(r.id, r.dlt, r.n) for r in recs]
    assert sum(int(r["n"]) for r in tox) == 30 and sum(int(r["events"]) for r in tox) == 0  # 0 DLTs in 30
    d = next(r for r in rows if r["key"] == "D:SRI4-W20")
    assert (d["events"], d["n"], d["time"], d["headline"]) == ("5", "6", "week 20", "true")
    a2 = next(r for r in tox if r["record"] == "A@2")  # 0 DLTs stated, the 4 patients derived (split of 7)
    assert (a2["events_basis"], a2["n_basis"]) == ("stated", "derived")
    assert main(["evidence", "--format", "csv", "--trial", "C"]) == 0
    assert {r["trial"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))} == {"C"}


# ---------------------------------------------------------------- figures
def test_figures_are_written(tmp_path):
    pytest.importorskip("matplotlib")
    from doseesc import plot

    tm = de.TimeModel(window=10, rate=0.2)
    sc = de.Scenario([0.05, 0.1, 0.3], target=0.2, doses=[1, 2, 4], dose_unit="1e6 cells/kg", time=tm)
    plot.save(de.simulate(de.ThreePlusThree(), sc, 500), str(tmp_path / "oc.png"))
    plot.save(de.exact(de.ThreePlusThree(), sc), str(tmp_path / "ex.png"))
    cmp = de.compare([de.ThreePlusThree(), de.BOIN(target=0.2, cohort_size=3, max_n=12)], [sc], n_trials=300)
    plot.save(cmp, str(tmp_path / "cmp.png"))
    for name in ("oc.png", "ex.png", "cmp.png"):
        assert os.path.getsize(tmp_path / name) > 10_000
    with pytest.raises(ValueError, match="^plot:"):
        plot.save(cmp, str(tmp_path / "cmp.txt"))


def test_compare_first_scenario_equals_simulate():
    sc = de.Scenario([0.1, 0.2, 0.35], target=0.25)
    d = de.BOIN(target=0.25, cohort_size=3, max_n=15)
    a = de.simulate(d, sc, 1000, 8)
    b = de.compare([d], [sc, sc], 1000, 8)
    assert np.array_equal(a.records.n_patients, b.oc[0][0].records.n_patients)
    assert not np.array_equal(b.oc[0][0].records.n_patients, b.oc[0][1].records.n_patients)


def test_empty_mtd_band_makes_stopping_the_correct_decision():
    # every dose above the acceptable band: selecting no dose is the correct decision
    sc = de.Scenario([0.35, 0.5], target=0.2, mtd_band=(0.0, 0.3))
    assert sc.correct_doses.size == 0
    ex = de.exact(de.ThreePlusThree(), sc)
    assert ex.pcs == pytest.approx(ex.no_selection) and ex.no_selection > 0.5
    assert ex.n_overdosed == pytest.approx(ex.sample_size)  # every patient was above the band
    oc = de.simulate(de.ThreePlusThree(), sc, 20000, 1)
    assert abs(oc.pcs - ex.pcs) < 4 * oc.se("pcs")


def test_whatif_figure_and_report(tmp_path, capsys):
    import base64
    import re

    png, html = tmp_path / "w.png", tmp_path / "w.html"
    code = main(["whatif", "--n-scenarios", "3", "--n-trials", "20", "--plot", str(png), "--report", str(html)])
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = html.read_text()
    for head in ("Trial A: BM-MSC", "Trial B: UC-MSC", "Summary figure", "Evidence priors", "Resolved run",
                 "Design 1: 3+3 (as used)", "Design 1: CRM (as used)", "Designs that coincide"):
        assert head in text, head
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 3 and all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert "<script" not in text and "http://" not in text and "https://" not in text
    md = tmp_path / "w.md"
    assert main(["whatif", "--n-scenarios", "2", "--n-trials", "10", "--report", str(md)]) == 0
    assert md.read_text().startswith("# What if the MSC lupus trials had used other designs?")
    capsys.readouterr()
    assert main(["whatif", "--report", str(tmp_path / "w.pdf")]) == 2
    assert "--report" in capsys.readouterr().err


def test_whatif_says_when_a_design_beats_the_benchmark():
    """Trial A's default what-if: the BLRM, whose MAP prior carries the evidence its true curves are drawn from,
    selects the right dose more often than the complete-information benchmark on the prior-predictive curves (by
    about 2 points). With the SE of the mean over the 200 drawn curves (0.6; the audit of 2026-12-02 found the
    per-trial SE of 0.1 too small for it, tests/test_audit_statistician.py) that is within 4 SE and not flagged;
    under the fixed 'all safe' curve the exact BLRM row beats the benchmark by far more, and the output says so."""
    res = de.whatif(["A"], seed=1, phase12=False, graded=False)
    bench = next(line for line in res.conclusions["A"] if line.startswith("Upper reference"))
    m = re.search(r"BLRM \(MAP prior from trials B, C, D\) ([+-]\d+\.\d+) \(SE (\d+\.\d+)\)", bench)
    cmp = res.objects["A"]["comparison"]
    b = cmp.benchmark[0][12]
    pp = [r.design for r in res.rows if r.trial == "A" and r.scenario.startswith("prior-predictive")]
    i = pp.index("BLRM (MAP prior from trials B, C, D)")  # the rows are in the designs' order
    dm, ds = b.difference(cmp.oc[i][0], "pcs", between=True)
    assert m and float(m.group(1)) == pytest.approx(100 * dm, abs=0.006) and float(m.group(2)) == pytest.approx(
        100 * ds, abs=0.006)
    assert 0 < dm <= 4 * ds and ds > 3 * b.difference(cmp.oc[i][0], "pcs")[1]
    assert not [line for line in res.conclusions["A"] if "the benchmark by more than 4 SE" in line]
    said = [line for line in res.conclusions["A"] if line.startswith("Above the benchmark by more than 4 of its SEs")]
    assert len(said) == 1 and "BLRM (MAP prior from trials B, C, D) under 'all safe (evidence mean curve)'" in said[0]
    assert "CRM" not in said[0] and "3+3" not in said[0]
