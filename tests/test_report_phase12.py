"""The protocol report of phase I/II runs (scenarios with efficacy): the scenarios table gives the
true P(response), P(response and DLT), the true utility, the true OBD, the association, the
utility table and the efficacy window; the operating-characteristics and paired-difference
tables give the OBD measures with their SEs. Read from the Markdown, as a reader would; the
numbers must equal the OperatingCharacteristics / Comparison values to the shown precision.
A run without efficacy renders its tables as before."""

import re

import numpy as np
import pytest

import doseesc as de
from doseesc import config
from doseesc.cli import main
from doseesc.report import _EFF_DIFF_METRICS, _time_text
from doseesc.results import EFFICACY_DIFFS

DAGGER = "\u2020"

EFF_RUN = """n_trials = 120
[random]
seed = 7
[[designs]]
design = "boin12"
phi_t = 0.3
phi_e = 0.25
cohort_size = 3
max_n = 18
[[designs]]
design = "efftox"
real_doses = [1, 2, 4, 6.6, 10]
cohort_size = 3
max_n = 18
[[designs]]
design = "boin"
target = 0.3
cohort_size = 3
max_n = 18
[[scenarios]]
name = "OBD at dose 3"
p_tox = [0.05, 0.1, 0.2, 0.35, 0.5]
target = 0.3
p_eff = [0.2, 0.4, 0.6, 0.62, 0.65]
association = "gaussian"
association_param = 0.3
utility = [100, 35, 55, 0]
time = { window = 28, rate = 0.1, eff_window = 56 }
[[scenarios]]
name = "plateau, no time model"
p_tox = [0.02, 0.05, 0.1, 0.15, 0.3]
target = 0.3
p_eff = [0.3, 0.5, 0.5, 0.5, 0.5]
p_both = [0.01, 0.03, 0.05, 0.08, 0.15]
eff_min = 0.25
"""

# BOIN and 3+3 exactly, under a scenario with efficacy (utility on a 0-1 scale, OBD stated) and one without
MIXED_RUN = """[[designs]]
design = "boin"
target = 0.3
cohort_size = 3
max_n = 9
[[designs]]
design = "3+3"
[[scenarios]]
p_tox = [0.05, 0.1, 0.3]
target = 0.3
p_eff = [0.2, 0.5, 0.5]
utility = [1, 0.4, 0.6, 0]
obd = 2
time = { window = 28, rate = 0.1 }
[[scenarios]]
p_tox = [0.1, 0.2, 0.45]
target = 0.3
"""

TOX_RUN = """[[designs]]
design = "3+3"
[[designs]]
design = "boin"
target = 0.25
cohort_size = 3
max_n = 9
[[scenarios]]
p_tox = [0.05, 0.10, 0.25]
target = 0.25
doses = [1, 2, 4]
dose_unit = "mg/kg"
time = { window = 28, rate = 0.1 }
[[scenarios]]
p_tox = [0.30, 0.45, 0.55]
target = 0.25
doses = [1, 2, 4]
dose_unit = "mg/kg"
"""


# ---------------------------------------------------------------------------- reading the Markdown
def _unescape(cell):
    return re.sub(r"\\(.)", r"\1", cell.strip())


def md_table(md, caption_start):
    """(caption, header cells, body rows, notes) of the one Markdown table whose caption starts so."""
    lines = md.splitlines()
    hits = [k for k, line in enumerate(lines)
            if line.startswith("*Table ") and _unescape(line.strip("*")).split(": ", 1)[1].startswith(caption_start)]
    assert len(hits) == 1, caption_start
    k = hits[0] + 2
    split = lambda line: [_unescape(c) for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
    header = split(lines[k])
    rows = []
    k += 2
    while k < len(lines) and lines[k].startswith("|"):
        rows.append(split(lines[k]))
        assert len(rows[-1]) == len(header)
        k += 1
    notes = _unescape(lines[k + 1]) if k + 1 < len(lines) and lines[k + 1] and not lines[k + 1].startswith(
        ("#", "*Table")) else ""
    return _unescape(lines[hits[0]].strip("*")), header, rows, notes


def col(header, name):
    hits = [j for j, h in enumerate(header) if h == name]
    assert len(hits) == 1, (name, header)
    return hits[0]


def cols(header, group, labels):
    return [col(header, f"{group}: {lab}") for lab in labels]


def close(cell, value, se=None, exact=False):
    """The cell shows ``value`` (and its SE in brackets) to the decimals it prints; exact cells
    have no SE; returns the marks after the number (* true MTD, dagger true OBD)."""
    m = re.fullmatch(r"([-+]?[0-9.]+)(?: \(([0-9.]+)\))?([*\u2020]*)", cell)
    assert m, cell
    dec = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
    assert abs(float(m.group(1)) - value) <= 0.5 * 10 ** -dec + 1e-9, (cell, value)
    if exact:
        assert m.group(2) is None, cell
    else:
        assert m.group(2) is not None and abs(float(m.group(2)) - se) <= 0.5 * 10 ** -dec + 1e-9, (cell, se)
    return m.group(3)


@pytest.fixture(scope="module")
def eff_run():
    spec = config.parse(EFF_RUN, "eff.toml")
    cmp = de.compare(spec.designs, spec.scenarios, n_trials=spec.n_trials, seed=spec.seed)
    rep = de.run_report(spec, cmp, figure=False)
    return spec, cmp, rep.to_markdown(), rep.to_html()


# ---------------------------------------------------------------------------- the scenarios table
def test_scenarios_table_gives_response_utility_obd_and_efficacy_window(eff_run):
    spec, _, md, _ = eff_run
    caption, header, rows, notes = md_table(md, "Scenarios:")
    assert caption == "Table 1: Scenarios: true DLT and response probabilities and true utility per dose"
    D = 5
    dl = [str(k + 1) for k in range(D)]
    for j, sc in enumerate(spec.scenarios):
        row = rows[j]
        assert row[0] == f"S{j + 1}" and row[1] == sc.label()
        assert [float(row[c]) for c in cols(header, "true P(DLT) at dose", dl)] == sc.p_tox.tolist()
        assert [float(row[c]) for c in cols(header, "true P(response) at dose", dl)] == sc.p_eff.tolist()
        both = [float(row[c]) for c in cols(header, "true P(response and DLT) at dose", dl)]
        assert np.allclose(both, sc.p_both_array, atol=5e-4)
        obd = set(sc.obd_doses.tolist())
        for k, c in enumerate(cols(header, "true utility at dose", dl)):
            assert close(row[c], sc.true_utility[k], exact=True) == (DAGGER if k + 1 in obd else "")
        assert row[col(header, "true OBD")] == ", ".join(map(str, sorted(obd)))
        assert row[col(header, "true MTD")] == ", ".join(map(str, sc.correct_doses.tolist()))
    assert [r[col(header, "association")] for r in rows] == ["Gaussian copula, correlation 0.3", "P(both) as given"]
    assert [r[col(header, "utility table (E no T, neither, both, T no E)")] for r in rows] == [
        "E no T 100, neither 35, both 55, T no E 0", "E no T 100, neither 40, both 60, T no E 0 (BOIN12's default)"]
    tm = [r[col(header, "time model")] for r in rows]
    assert tm[0].startswith("window 28, ") and "efficacy window 56, uniform response onset" in tm[0]
    assert tm[1] == "none"
    assert spec.scenarios[0].obd_doses.tolist() == [3] and spec.scenarios[1].obd_doses.tolist() == [2]
    assert f"{DAGGER} marks the true OBD" in notes and "S2 also P(response) >= 0.25" in notes


def test_time_text_states_the_efficacy_window_only_with_efficacy():
    tm = de.TimeModel(window=28, rate=0.1, eff_window=90)
    assert _time_text(tm) == "window 28, fixed accrual at 0.1 per time unit, uniform onset"  # toxicity only: as before
    assert _time_text(tm, True) == ("window 28, fixed accrual at 0.1 per time unit, uniform onset; efficacy window 90, "
                                    "uniform response onset")
    assert _time_text(de.TimeModel(window=28, rate=0.1), True).endswith("; efficacy window 28 (the DLT window), "
                                                                         "uniform response onset")
    assert _time_text(de.TimeModel(window=28, rate=0.1, eff_window=60, eff_onset="weibull", eff_shape=2),
                      True).endswith("efficacy window 60, weibull response onset (shape 2)")


# ---------------------------------------------------------------------------- operating characteristics
def test_oc_table_obd_measures_equal_the_results(eff_run):
    spec, cmp, md, _ = eff_run
    _, header, rows, notes = md_table(md, "Operating characteristics of every design")
    dl = [str(k + 1) for k in range(5)]
    sel = cols(header, "% of trials selecting the dose", dl)
    resp = cols(header, "mean responses per dose", dl)
    assert len(rows) == len(spec.designs) * len(spec.scenarios)
    for row in rows:
        j, i = int(row[0][1:]) - 1, int(row[1].split(".")[0]) - 1
        oc, sc = cmp.oc[i][j], spec.scenarios[j]
        for k, c in enumerate(sel):  # the true OBD marked with a dagger, the true MTD with an asterisk
            marks = close(row[c], 100 * oc.selection[k], 100 * oc.se("selection")[k])
            assert (DAGGER in marks) == (k + 1 in sc.obd_doses) and ("*" in marks) == (k + 1 in sc.correct_doses)
        for name, key, scale in [("OBD selection: correct OBD %", "pcs_obd", 100),
                                 ("OBD selection: over-toxic %", "over_toxic_selection", 100),
                                 ("OBD selection: utility of selected dose", "selected_utility", 1),
                                 ("mean patients: at the OBD", "n_at_obd", 1),
                                 ("mean patients: at over-toxic doses", "n_over_toxic", 1)]:
            close(row[col(header, name)], scale * getattr(oc, key), scale * oc.se(key))
        for k, c in enumerate(resp):
            close(row[c], oc.n_eff[k], oc.se("n_eff")[k])
        assert oc.pcs_obd == pytest.approx(oc.selection[sc.obd_doses - 1].sum())
    assert "Correct OBD %" in notes and "true utility of the selected dose" in notes
    section = md.split("## Operating characteristics")[1].split("\n## ")[0]
    assert len(re.findall(r"obd|respons|utility", section, re.I)) > 10


def test_paired_differences_add_the_obd_measures(eff_run):
    spec, cmp, md, _ = eff_run
    _, header, rows, notes = md_table(md, "Differences from design 1")
    assert {k for k, _, _ in _EFF_DIFF_METRICS} == set(EFFICACY_DIFFS)
    assert len(rows) == (len(spec.designs) - 1) * len(spec.scenarios)
    for row in rows:
        j, i = int(row[0][1:]) - 1, int(row[1].split(".")[0]) - 1
        for key, name, scale in _EFF_DIFF_METRICS:
            dm, ds = cmp.difference(key, i, 0, j)
            close(row[col(header, name)], scale * float(dm), scale * float(ds))
    assert "correct OBD selection" in notes and "utility" in notes
    _, _, _, notes = md_table(md, "The complete-information benchmark")
    assert notes.endswith("It selects the MTD, not the OBD: it is no reference for correct OBD selection.")


def test_html_carries_the_same_obd_columns(eff_run):
    *_, md, text = eff_run
    assert "<th colspan=\"3\">OBD selection</th>" in text and "<th>correct OBD %</th>" in text
    assert f"62.00{DAGGER}" not in text  # utilities are those of the utility table given (100, 35, 55, 0)
    assert f'<td class="num">65.49{DAGGER}</td>' in text  # the OBD's utility, right-aligned with its mark


# ---------------------------------------------------------------------------- exact, and a scenario without efficacy
def test_exact_mixed_run_obd_measures_exact_and_na_without_efficacy():
    spec = config.parse(MIXED_RUN, "mixed.toml")
    grid = [[de.exact(d, s) for s in spec.scenarios] for d in spec.designs]
    md = de.run_report(spec, grid, figure=False).to_markdown()
    _, header, rows, notes = md_table(md, "Scenarios:")
    dl = ["1", "2", "3"]
    assert [close(rows[0][c], u, exact=True) for c, u in zip(cols(header, "true utility at dose", dl),
                                                               spec.scenarios[0].true_utility)] == ["", DAGGER, ""]
    assert rows[0][cols(header, "true utility at dose", dl)[1]] == f"0.6600{DAGGER}"  # 0-1 utility: 4 decimals
    assert rows[1][col(header, "true OBD")] == "n/a (no efficacy)"
    assert all(rows[1][c] == "" for c in cols(header, "true P(response) at dose", dl))
    assert "in S1 the OBD the scenario states" in notes
    assert rows[0][col(header, "time model")].endswith("efficacy window 28 (the DLT window), uniform response onset")
    assert not any(h.startswith("true P(response and DLT)") for h in header)  # independent: not repeated
    _, header, rows, _ = md_table(md, "Operating characteristics of every design")
    for row in rows:
        j, i = int(row[0][1:]) - 1, int(row[1].split(".")[0]) - 1
        oc = grid[i][j]
        cell = row[col(header, "OBD selection: correct OBD %")]
        if j == 1:
            assert cell == "n/a" and row[col(header, "mean patients: at the OBD")] == "n/a"
            continue
        close(cell, 100 * oc.pcs_obd, exact=True)
        close(row[col(header, "OBD selection: utility of selected dose")], oc.selected_utility, exact=True)
        close(row[col(header, "mean patients: at the OBD")], oc.n_at_obd, exact=True)
    _, header, rows, _ = md_table(md, "Differences from design 1")
    a, b = grid[1][0], grid[0][0]
    close(rows[0][col(header, "utility of selected dose")], a.selected_utility - b.selected_utility, exact=True)
    assert len(rows[0][col(header, "utility of selected dose")].split(".")[1]) == 4
    close(rows[0][col(header, "correct OBD selection (% points)")], 100 * (a.pcs_obd - b.pcs_obd), exact=True)
    assert rows[1][col(header, "correct OBD selection (% points)")] == "n/a"


# ---------------------------------------------------------------------------- without efficacy: as before
def test_run_without_efficacy_renders_its_tables_as_before():
    """The scenario, OC and difference tables of a toxicity-only run: the headers, captions and notes
    the report gave before phase I/II measures were added (no OBD, response or utility anywhere)."""
    spec = config.parse(TOX_RUN, "tox.toml")
    grid = [[de.exact(d, s) for s in spec.scenarios] for d in spec.designs]
    md = de.run_report(spec, grid, figure=False).to_markdown()
    caption, header, rows, notes = md_table(md, "Scenarios:")
    assert caption == "Table 1: Scenarios: true DLT probability per dose"
    assert header == ["scenario", "name", "target", *[f"true P(DLT) at dose (mg/kg): {x}" for x in (1, 2, 4)],
                      "true MTD", "time model"]
    assert rows[0][-1] == "window 28, fixed accrual at 0.1 per time unit, uniform onset"
    assert notes == ("True MTD: the dose(s) counted as a correct selection (closest to the target, or inside the "
                     "scenario's MTD band).")
    _, header, _, notes = md_table(md, "Operating characteristics of every design")
    dl = ["1", "2", "4"]
    assert header == ["scenario", "design", *[f"% of trials selecting the dose (mg/kg): {x}" for x in (*dl, "none")],
                      "selection: correct %", "selection: above MTD %", *[f"mean patients per dose: {x}" for x in dl],
                      *[f"mean DLTs per dose: {x}" for x in dl], "mean N", "mean duration"]
    assert notes.startswith("Monte Carlo (MC) values carry their standard error in brackets; exact values (every "
                            "trial path enumerated) have none. * marks the true MTD") and DAGGER not in notes
    _, header, _, _ = md_table(md, "Differences from design 1")
    assert header == ["scenario", "design", "correct selection (% points)", "no selection (% points)",
                      "selection above MTD (% points)", "mean N", "patients above MTD", "DLTs per trial"]
    body = md.split("## Scenarios")[1].split("## Designs")[0] + md.split("## Operating characteristics")[1]
    assert not re.search(r"OBD|respons|utility|efficacy|" + DAGGER, body.split("## Resolved run")[0])


# ---------------------------------------------------------------------------- the command line
def test_cli_report_of_a_phase12_run_has_the_obd_measures(tmp_path, capsys):
    f = tmp_path / "run12.toml"
    f.write_text("""n_trials = 60
[random]
seed = 1
[[designs]]
design = "boin12"
phi_t = 0.3
phi_e = 0.25
max_n = 12
[[designs]]
design = "tite-boin12"
phi_t = 0.3
phi_e = 0.25
max_n = 12
[[scenarios]]
p_tox = [0.05, 0.1, 0.2, 0.35]
p_eff = [0.2, 0.4, 0.5, 0.5]
target = 0.3
time = { window = 28, rate = 0.1, eff_window = 90 }
""")
    out = tmp_path / "r.md"
    assert main(["report", str(f), "-o", str(out), "--format", "md", "--no-figure", "--no-progress"]) == 0
    capsys.readouterr()
    md = out.read_text()
    _, header, rows, _ = md_table(md, "Scenarios:")
    assert rows[0][col(header, "true OBD")] == "3" and "efficacy window 90" in rows[0][col(header, "time model")]
    assert [rows[0][c] for c in cols(header, "true utility at dose", ["1", "2", "3", "4"])] == [
        "50.00", "60.00", f"62.00{DAGGER}", "56.00"]
    section = md.split("## Operating characteristics")[1].split("## Upper reference")[0]
    assert len(re.findall(r"obd|respons|utility", section, re.I)) > 10
    _, header, rows, _ = md_table(md, "Differences from design 1")
    assert re.fullmatch(r"[-+][0-9.]+ \([0-9.]+\)", rows[0][col(header, "correct OBD selection (% points)")])
    assert "no reference for correct OBD selection" in md


def test_phase12_pathway_tables_default_to_the_first_cohort():
    """A phase I/II cohort of 3 has 20 outcomes: two cohorts made a 400-row table per design; the
    default is now the first cohort (20 rows), and --path-cohorts still asks for more."""
    from doseesc.report import pathway_table

    d = de.BOIN12(max_n=12)
    header, rows, k, n_paths = pathway_table(d, 3)
    assert k == 1 and len(rows) == 20 and header == ["start", "cohort 1"]
    assert pathway_table(d, 3, 2)[2] == 2 and len(pathway_table(d, 3, 2)[1]) > 100
    assert pathway_table(de.BOIN(target=0.3, cohort_size=3, max_n=12), 3)[2] == 2  # DLT-only designs as before
