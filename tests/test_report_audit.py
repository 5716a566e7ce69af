"""The run report after a statistician's audit: labels that tell two designs apart, designs that
coincide said so, the overdosing and early-stopping table, dose levels mapped to doses, and how a
scenario's numbers are reproduced."""

from __future__ import annotations

import doseesc as de
from doseesc import config
from doseesc.report import level_note, overdose_table, report_labels, run_report

from .test_report import _close

RUN = """n_trials = 600
[random]
seed = 11
[[designs]]
design = "boin"
target = 0.3
cohort_size = 1
max_n = 12
extrasafe = true
[[designs]]
design = "boin"
target = 0.3
cohort_size = 3
max_n = 21
[[designs]]
design = "mtpi2"
target = 0.3
cohort_size = 3
max_n = 21
[[scenarios]]
p_tox = [0.05, 0.3, 0.5]
target = 0.3
doses = [2, 3, 4]
dose_unit = "x10^6 cells/kg"
[[scenarios]]
p_tox = [0.3, 0.45, 0.6]
target = 0.3
doses = [2, 3, 4]
dose_unit = "x10^6 cells/kg"
"""


def _run(mode="simulate"):
    spec = config.parse(RUN.replace("n_trials = 600", f'mode = "{mode}"\nn_trials = 600'), "run.toml")
    if mode == "exact":
        return spec, [[de.exact(d, s) for s in spec.scenarios] for d in spec.designs]
    return spec, de.compare(spec.designs, spec.scenarios, n_trials=spec.n_trials, seed=spec.seed)


def test_two_designs_with_one_label_are_told_apart():
    # audit: two different BOINs both appeared as "BOIN (target 0.3)" in every table
    spec, _ = _run()
    names = report_labels(spec.designs)
    assert names[0] == "BOIN (target 0.3) [cohort_size = 1, max_n = 12, extrasafe = True]"
    assert names[1] == "BOIN (target 0.3) [cohort_size = 3, max_n = 21]"
    assert names[2] == spec.designs[2].label()  # a unique label is left as it is
    assert len(set(names)) == 3


def test_simulated_report_says_which_designs_coincide_and_how_to_reproduce():
    spec, cmp = _run()
    md = run_report(spec, cmp, figure=False).to_markdown()
    # BOIN and mTPI-2 at target 0.3 in cohorts of 3 take the same decisions here: identical records
    assert "Design 2 and design 3 have the same operating characteristics in every scenario, trial by trial" in md
    assert "Design 1 and" not in md
    assert "depend on the seed and on the scenario's position in the run file" in md
    # the stated reason holds: equal records, trial by trial
    a, b = cmp.oc[1][0].records, cmp.oc[2][0].records
    assert (a.selected == b.selected).all() and (a.n_patients == b.n_patients).all()
    # dose levels of the pathway tables are mapped to the doses the other tables show
    assert "Dose levels 1, 2, 3 are the doses 2, 3, 4 x10^6 cells/kg, in that order." in md
    assert "BOIN (target 0.3) [cohort\\_size = 3, max\\_n = 21]" in md


def test_exact_report_coincidence_and_no_false_claim():
    spec, grid = _run("exact")
    md = run_report(spec, grid, figure=False).to_markdown()
    assert "Design 2 and design 3 have the same operating characteristics in every scenario, exactly" in md
    different = [[grid[0][0], grid[0][1]], [grid[1][0], grid[1][1]]]  # designs 1 and 2 differ
    from doseesc.report import _coinciding

    assert _coinciding(different) == [] and _coinciding(grid) == [[1, 2]]


def test_overdose_table_values_are_the_results():
    spec, cmp = _run()
    header, rows, notes = overdose_table(spec.designs, spec.scenarios, cmp.oc, report_labels(spec.designs))
    keys = ["n_overdosed", "overdose_fraction", "overdose_60", "overdose_80", "dlt_rate_above_target", "total_dlt",
            "early_stop"]
    scale = [1, 100, 100, 100, 100, 1, 100]
    assert len(rows) == 6 and len(header) == 2 + len(keys)
    for j in range(2):
        for i in range(3):
            row = rows[3 * j + i]
            oc = cmp.oc[i][j]
            assert row[0] == f"S{j + 1}" and row[1].startswith(f"{i + 1}. ")
            for c, (k, sc) in enumerate(zip(keys, scale)):
                _close(row[2 + c], sc * float(getattr(oc, k)), sc * float(oc.se(k)))
    # S2's lowest dose is the MTD: everyone above dose 1 is overdosed; extrasafe BOIN stops early at times
    assert float(cmp.oc[0][1].early_stop) > 0


def test_level_note():
    assert level_note(["1", "2", "3"]) == ""
    note = level_note(["2", "3"], "x10^6 cells/kg")
    assert note == " Dose levels 1, 2 are the doses 2, 3 x10^6 cells/kg, in that order."


def test_paired_table_has_the_duration_difference_under_a_time_model():
    # audit: TITE-BOIN12's main benefit (hundreds of days) was absent from the report's paired table
    from doseesc.report import difference_table

    tm = de.TimeModel(window=28, accrual="poisson", rate=0.2)
    sc = de.Scenario([0.05, 0.15, 0.3], target=0.25, time=tm)
    ds = [de.BOIN(target=0.25, cohort_size=3, max_n=18), de.TITEBOIN(target=0.25, cohort_size=3, max_n=18)]
    cmp = de.compare(ds, [sc], n_trials=300, seed=1)
    header, rows, notes = difference_table(ds, [sc], cmp.oc, cmp)
    assert header[-1] == "duration (time unit of the window)"
    dm, dse = cmp.difference("duration", 1, 0)
    _close(rows[0][-1].lstrip("+"), dm, dse)
    untimed = de.Scenario([0.05, 0.15, 0.3], target=0.25)
    c2 = de.compare(ds[:1] * 2, [untimed], n_trials=50, seed=1)
    assert "duration (time unit of the window)" not in difference_table(ds[:1] * 2, [untimed], c2.oc, c2)[0]
