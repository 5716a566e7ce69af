"""How ``doseesc whatif`` presents its numbers (text output and ``--report``): every Monte Carlo
value with its SE to the digits the SE sets, exact values alone, doses labelled by value with
their unit, conclusions as whole sentences, and the benchmark saying which scenarios it leaves
out and why."""

import json
import re

import numpy as np
import pytest

import doseesc as de
from doseesc import _whatif as wi
from doseesc import _whatif_graded as wg
from doseesc import _whatif_obd as wo
from doseesc.cli import main
from doseesc.results import _fmt


@pytest.fixture(scope="module")
def res_a():
    return de.whatif(["A"], n_scenarios=3, n_trials=40, seed=1, phase12=False, graded=False)


@pytest.fixture(scope="module")
def res_b():
    # the arguments of tests/test_tools.py's phase I/II test: EffTox's fixed-scenario rows come from the disk cache
    return de.whatif(["B"], n_scenarios=4, n_trials=40, seed=2, blrm=False)


def _decimals(se: float) -> int:
    """The decimals doseesc's rule gives a Monte Carlo value with this SE (results._fmt)."""
    return len(_fmt(0.0, se, False).split(" (")[1].rstrip(")").split(".")[1])


def _check_mc(text: str, m: float, se: float, signed: bool = False) -> None:
    """``text`` is 'value (SE)' with the SE's decimals: the SE shown is nonzero when it is, the value
    keeps its sign, and both are the numbers rounded to those decimals."""
    mm = re.fullmatch(r"([+-]?\d+\.\d+) \((\d+\.\d+)\)", text)
    assert mm, text
    dec = _decimals(se)
    assert len(mm.group(1).split(".")[1]) == dec and len(mm.group(2).split(".")[1]) == dec, text
    assert float(mm.group(2)) == pytest.approx(se, abs=0.51 * 10 ** -dec), text
    # no "(0.0)" for an SE that is not zero (the rule's four decimals at most: below 0.00005 it is 0.0000)
    assert (float(mm.group(2)) > 0) == (se >= 0.5e-4), text
    assert float(mm.group(1)) == pytest.approx(m, abs=0.51 * 10 ** -dec), text
    if signed:
        assert mm.group(1)[0] in "+-"
    if float(mm.group(1)) != 0:
        assert np.sign(float(mm.group(1))) == np.sign(m), text  # the sign is kept


# ---------------------------------------------------------------------------- F2: SE-driven digits
@pytest.mark.parametrize("m, se, want", [(-0.0022, 0.0019, "-0.0022 (0.0019)"), (-0.182, 0.026, "-0.182 (0.026)"),
                                         (0.046, 0.032, "+0.046 (0.032)"), (0.0106, 0.0019, "+0.0106 (0.0019)"),
                                         (5.44, 0.11, "+5.44 (0.11)"), (-0.00001, 0.02, "+0.000 (0.020)")])
def test_a_small_difference_keeps_its_sign_and_its_se(m, se, want):
    """The audit's examples: "+0.00 (0.00)" for -0.0022 (SE 0.0019) lost the sign and showed an SE of 0."""
    assert wi._signed_se(m, se) == want


def test_a_monte_carlo_cell_shows_a_nonzero_se_and_an_exact_cell_stays_as_it_was():
    assert wi._cell(11.9033, 0.0040, False) == "11.9033 (0.0040)"  # was "11.90 (0.00)"
    assert wi._cell(158.906, 0.047, False) == "158.906 (0.047)"  # was "158.9 (0.0)"
    assert wi._cell(0.0, 0.0, False) == "0.00 (0.00)"  # an SE that is zero stays zero
    assert wi._cell(1.0, float("nan"), False) == "1.00 (n/a)"  # one trial: no SE
    assert wi._cell(94.3, 0.0, True) == "94.3" and wi._cell(0.47, 0.0, True) == "0.47"  # exact: unchanged
    assert wo._cell(59.7, 0.0, True) == "59.7"


def test_every_monte_carlo_value_of_the_tables_carries_its_se(res_a, res_b):
    for res in (res_a, res_b):
        for r in res.rows:
            if r.method == "exact":
                continue
            for x, e in zip(r.selection, r.selection_se):
                _check_mc(wi._cell(100 * x, 100 * e, False), 100 * x, 100 * e)
            for k, _, sc in wi.METRICS:
                _check_mc(wi._cell(sc * r.values[k], sc * r.ses[k], False), sc * r.values[k], sc * r.ses[k])
    for r in res_b.phase12.rows:
        cells = wo._row_cells(r)
        vals = [100 * x for x in r.selection] + [sc * r.values[k] for k, _, sc in wo.METRICS]
        ses = [100 * x for x in r.selection_se] + [sc * r.ses[k] for k, _, sc in wo.METRICS]
        for c, m, s in zip(cells[:-1], vals, ses):
            if r.method == "exact":
                assert "(" not in c
            else:
                _check_mc(c, m, s)
        if r.months is not None:
            _check_mc(cells[-1], r.months, r.months_se)
    for r in res_b.graded.rows:
        vals = [100 * x for x in r["selection"]] + [sc * r["values"][k] for k, _, sc in wg.METRICS]
        ses = [100 * x for x in r["selection_se"]] + [sc * r["ses"][k] for k, _, sc in wg.METRICS]
        for c, m, s in zip(wg._row_cells(r), vals, ses):
            _check_mc(c, m, s)
    for row in res_b.phase12.late:
        for c, k, sc in zip(wo._late_cells(row), ("pcs_obd", "sample_size", "months", "turned_away"), (100, 1, 1, 1)):
            _check_mc(c, sc * row[k], sc * row[f"{k}_se"], signed=row["design"] == "difference")


def test_the_conclusions_give_each_paired_difference_with_its_sign_and_se(res_a):
    lines = res_a.conclusions["A"]
    for d in [d for d in res_a.differences if d["trial"] == "A"]:
        line = next((x for x in lines if x.strip().startswith(d["design"] + ":")), None)
        if line is None:  # a design that coincides with one shown
            continue
        for k, text, sc, _ in wi.DIFFS:
            m = re.search(re.escape(text) + r" ([+-]\d+\.\d+)(?: points)? \(SE (\d+\.\d+)\)", line)
            assert m, (text, line)
            _check_mc(f"{m.group(1)} ({m.group(2)})", sc * d[k], sc * d[f"{k}_se"], signed=True)
    top = next(x for x in lines if x.startswith("Highest PCS there"))
    assert re.search(r"\(\d+\.\d+%, SE \d+\.\d+\); least selection above the MTD: .+ \(\d+\.\d+%, SE \d+\.\d+; "
                     r"\d+\.\d+ patients above it per trial, SE \d+\.\d+\)\.$", top), top


def test_the_text_output_and_the_report_print_the_se_driven_cells(res_a):
    text = res_a.table()
    block = text.split("-- prior-predictive")[1].split("Conclusion for trial A")[0]
    md = res_a.report().to_markdown()
    for r in (r for r in res_a.rows if r.method != "exact"):
        cells = [wi._cell(100 * x, 100 * e, False) for x, e in zip(r.selection, r.selection_se)]
        cells += [wi._cell(sc * r.values[k], sc * r.ses[k], False) for k, _, sc in wi.METRICS]
        line = next((x for x in block.splitlines() if x.strip().startswith(r.design)), None)
        if line is None:  # coincides with a design shown
            continue
        assert line.split()[-2 * len(cells):] == " ".join(cells).split()
        assert f"| {r.design} | " + " | ".join(cells) + " | " in md


# ---------------------------------------------------------------------------- F1: EffTox's rows in the report
def test_phase12_report_gives_efftox_its_ses_and_says_which_rows_are_monte_carlo(res_b):
    md = res_b.report().to_markdown()
    fixed = [b for b in md.split("*Table ")[1:] if b.startswith(tuple(f"{i}: Phase I/II, scenario" for i in range(99)))
             and "prior-predictive" not in b.split("\n")[0]]
    assert len(fixed) == 6
    for block in fixed:
        caption = block.split("\n")[0]
        assert "exact: BOIN12 (phase I/II), BOIN, CRM (evidence MTD guess: " in caption
        assert "Monte Carlo, 4,000 trials (SE in brackets): EffTox (phase I/II)" in caption
        rows = {line.split(" | ")[0].lstrip("| "): line.strip("| ").split(" | ")[1:] for line in block.split("\n")
                if line.startswith("| ") and not line.startswith("| design")}
        assert all("(" in c for c in rows["EffTox (phase I/II)"])  # every cell, not only months
        for lab, cells in rows.items():
            if lab != "EffTox (phase I/II)":
                assert all("(" not in c for c in cells[:-1]) and "(" in cells[-1]  # exact; months simulated
        assert "Monte Carlo, 2,000 trials per design" in block.split("\n\n")[2]
    efftox = next(r for r in res_b.phase12.rows if r.design == "EffTox (phase I/II)")
    assert efftox.method == "Monte Carlo, 4,000 trials"
    text = res_b.phase12.table()
    line = next(x for x in text.splitlines() if x.strip().startswith("EffTox (phase I/II)") and "(" in x)
    assert line.count("(") == 1 + len(efftox.selection) + len(wo.METRICS) + 1  # its label, then every cell and months


# ---------------------------------------------------------------------------- F4, F5: doses by value, with the unit
def test_the_evidence_crm_is_labelled_by_dose_value_and_its_skeleton_agrees(res_a, res_b):
    for res, trial in ((res_a, "A"), (res_b, "B")):
        doses = wi.TRIALS[trial]["doses"]
        d = next(d for d in res.designs[trial] if d["label"].startswith("CRM (evidence MTD guess: "))
        m = re.fullmatch(r"CRM \(evidence MTD guess: (\S+) x10\^6 cells/kg\)", d["label"])
        assert m and float(m.group(1)) in doses, d["label"]
        # the skeleton puts the target at that dose (trial A: level 2, 3 x10^6 cells/kg, not "dose 2")
        sk = d["design"]["base"]["skeleton"] if "base" in d["design"] else d["design"]["skeleton"]
        assert doses[int(np.argmin(np.abs(np.asarray(sk) - 0.2)))] == float(m.group(1))
        # the label is the same key everywhere
        assert any(r.design == d["label"] for r in res.rows)
        assert any(x["design"] == d["label"] for x in res.differences)
        assert d["label"] in res.table() and f"Design 3: {d['label']}" in res.report().to_markdown()
    assert wi._designs("A", 0.2, 12, 3, _Prior(2), None)[2]["label"] == "CRM (evidence MTD guess: 3 x10^6 cells/kg)"
    assert "dose 2)" not in res_a.table()
    phase12_crm = [d["label"] for d in res_b.phase12.designs if d["label"].startswith("CRM")]
    assert phase12_crm and all("x10^6 cells/kg" in lab for lab in phase12_crm)


class _Prior:
    """A stand-in evidence prior whose MTD guess is level ``nu``."""

    def __init__(self, nu):
        self.nu = nu

    def mtd_guess(self, target):
        return self.nu


def test_the_report_writes_doses_in_x10_6_cells_per_kg(res_a, res_b):
    for res in (res_a, res_b):
        md = res.report().to_markdown()
        assert "1e6 cells" not in md and "x10^6 cells/kg" in md
    md = res_a.report().to_markdown()
    assert "2 dose levels (2, 3 x10^6 cells/kg)" in md and "dose level 1 (2 x10^6 cells/kg)" in md
    assert all(sc.dose_unit == "x10^6 cells/kg" for sc in res_a.objects["A"]["scenarios"])


# ---------------------------------------------------------------------------- F6: whole sentences
def test_every_conclusion_line_is_a_sentence_of_its_own(res_a, res_b):
    for lines in (res_a.conclusions["A"], res_b.conclusions["B"], res_b.phase12.conclusions,
                  res_b.graded.conclusions):
        assert lines
        for line in lines:
            assert line.rstrip().endswith("."), line
            assert not line.rstrip().endswith(":."), line
    md = res_b.report().to_markdown()
    for lead in ("Conclusion (phase I/II)", "Conclusion (graded toxicity)"):
        para = next(p for p in md.split("\n\n") if p.startswith(f"**{lead}.**"))
        assert "   " not in para  # no run-on of indented lines


# ---------------------------------------------------------------------------- F11: what the benchmark leaves out
def test_the_benchmark_sentence_says_which_fixed_scenarios_it_leaves_out_and_why(res_a, res_b):
    lines = res_a.conclusions["A"]
    bench = next(x for x in lines if x.startswith("Benchmark PCS under the fixed scenarios"))
    assert "'all safe (evidence mean curve)'" in bench and "'toxic top dose'" in bench
    sc = res_a.objects["A"]["scenarios"][0]
    fb = de.optimal_benchmark(sc, 12, n_trials=wi.BENCH_TRIALS, seed=1)
    m = re.search(r"'all safe \(evidence mean curve\)' (\d+\.\d+)% \(SE (\d+\.\d+)\)", bench)
    assert m and m.group(1) + " (" + m.group(2) + ")" == wi._mc(100 * fb.pcs, 100 * fb.se("pcs"))
    out = next(x for x in lines if x.startswith("No benchmark for"))
    assert "'both doses toxic (correct: no dose)'" in out and "select no dose" in out and "always selects" in out
    none = de.optimal_benchmark(res_a.objects["A"]["scenarios"][2], 12, n_trials=200, seed=1)
    assert none.pcs == 0  # as the sentence says: 0 by construction
    # trial B's fixed scenarios all have a correct dose: every one is benchmarked, none left out
    b_bench = next(x for x in res_b.conclusions["B"] if x.startswith("Benchmark PCS under the fixed scenarios"))
    assert all(f"'{s.name}'" in b_bench for s in res_b.objects["B"]["scenarios"])
    assert not any(x.startswith("No benchmark for") for x in res_b.conclusions["B"])


# ---------------------------------------------------------------------------- the CLI still takes its options
def test_the_cli_whatif_runs_with_the_new_labels(tmp_path, capsys):
    out = tmp_path / "wA.md"
    assert main(["whatif", "--trial", "A", "--n-scenarios", "2", "--n-trials", "10", "--no-blrm", "--format", "json",
                 "--report", str(out)]) == 0
    d = json.loads(capsys.readouterr().out)
    labels = [x["label"] for x in d["designs"]["A"]]
    assert "CRM (evidence MTD guess: 3 x10^6 cells/kg)" in labels
    assert {r["design"] for r in d["rows"]} <= set(labels)
    assert "### Design 3: CRM (evidence MTD guess: 3 x10^6 cells/kg)" in out.read_text()
