"""Labels of the printed result tables: a phase I/II design's stop for safety or futility, how
the true OBD is defined, P(both) as given, and the efficacy scenario in the compare table."""
import json

import pytest

import doseesc as de

FUTILE = de.Scenario([0.0, 0.0, 0.0], target=0.2, p_eff=[0.05, 0.05, 0.05])
PH2 = dict(p_tox=[0.02, 0.05, 0.10], target=0.2, p_eff=[0.5, 0.8, 0.7])


def _boin12():
    return de.BOIN12(phi_t=0.2, phi_e=0.5, max_n=18)


TOXIC = de.Scenario([0.5, 0.6, 0.7], target=0.2, p_eff=[0.6, 0.7, 0.8])


def test_phase12_stop_split_into_safety_and_futility():
    # no DLTs and a response rate of 0.05: every stop is for futility (efficacy excluded the doses)
    oc = de.exact(_boin12(), FUTILE)
    assert oc.early_stop > 0.9
    assert list(oc.stop_reasons) == ["max_n", "design_rule", "safety", "futility"]
    assert oc.stop_reasons["futility"] == pytest.approx(oc.early_stop, abs=1e-12) and oc.stop_reasons["safety"] == 0.0
    assert json.loads(oc.to_json())["stop_reasons"]["futility"] == pytest.approx(oc.early_stop, abs=1e-12)
    text = oc.summary()
    assert "stopped for futility %" in text and "stopped for safety %" in text
    assert "for futility when one did (the efficacy criterion excluded it)" in text
    assert "futility" in de.results.METRICS["early_stop"]


def test_phase12_stop_label_simulated():
    oc = de.simulate(_boin12(), FUTILE, 500, seed=1)
    assert oc.stop_reasons["futility"] == pytest.approx(oc.early_stop, abs=1e-12) and oc.early_stop > 0.9
    assert oc.stop_reasons["safety"] == 0.0
    assert oc.se("stop_futility") > 0
    assert "stopped for futility %" in oc.summary()


def test_efftox_toxic_scenario_stops_for_safety():
    # EffTox on doses with P(DLT) 0.5-0.7: no dose passes the toxicity criterion, a safety stop
    oc = de.simulate(de.EffTox(real_doses=[1, 2, 4], max_n=18), TOXIC, 400, seed=1)
    assert oc.stop_reasons["safety"] > 0.3
    assert abs(oc.stop_reasons["safety"] + oc.stop_reasons["futility"] - oc.early_stop) < 1e-12


def test_toxicity_only_design_keeps_safety():
    sc = de.Scenario([0.3, 0.45, 0.6], target=0.25)
    oc = de.exact(de.ThreePlusThree(), sc)
    assert list(oc.stop_reasons) == ["max_n", "design_rule", "safety"]  # no futility key
    text = oc.summary()
    assert "stopped for safety %" in text and "futility" not in text
    row = next(line for line in text.splitlines() if line.startswith("stopped for safety %"))
    assert len(row) == 24 + 18
    # a toxicity-only design on a scenario with efficacy: still a safety stop
    oc = de.simulate(de.ThreePlusThree(), FUTILE, 200, seed=1)
    assert "safety" in oc.stop_reasons and "stopped for safety %" in oc.summary()


def test_obd_footnote_default_given_and_eff_min():
    text = de.exact(_boin12(), de.Scenario(**PH2)).summary()
    assert "\u2020 true OBD (highest true utility among doses with p_tox <= target)" in text
    assert "\n2 \u2020" in text
    text = de.exact(_boin12(), de.Scenario(**PH2, obd=3)).summary()
    assert "\u2020 true OBD (given by the scenario: obd=3)" in text
    assert "highest true utility" not in text
    assert "\n3 \u2020" in text and "\n2 \u2020" not in text
    text = de.exact(_boin12(), de.Scenario(**PH2, eff_min=0.75)).summary()
    assert "\u2020 true OBD (highest true utility among doses with p_tox <= target and p_eff >= 0.75)" in text
    text = de.exact(_boin12(), de.Scenario(**PH2, eff_min=0.85)).summary()
    assert "true OBD: none (no dose with p_tox <= target and p_eff >= 0.85)" in text
    assert " \u2020" not in text
    text = de.exact(_boin12(), de.Scenario(**PH2, obd=0)).summary()
    assert "true OBD: none (given by the scenario: obd=0, no dose acceptable)" in text


def test_p_both_as_given():
    sc = de.Scenario(**PH2, p_both=[0.01, 0.04, 0.07])
    text = de.exact(_boin12(), sc).summary()
    assert "efficacy: P(both) as given;" in text
    assert "independent" not in text
    text = de.exact(_boin12(), de.Scenario(**PH2)).summary()
    assert "efficacy: association independent;" in text


def test_compare_states_the_efficacy_scenario():
    scs = [de.Scenario(**PH2, association="gaussian", association_param=0.3), de.Scenario(**PH2, obd=3),
           de.Scenario(**PH2, eff_min=0.85), de.Scenario(**PH2, p_both=[0.01, 0.04, 0.07])]
    c = de.compare([_boin12(), de.ThreePlusThree()], scs, n_trials=200, seed=1)
    text = c.summary()
    blocks = text.split("\nScenario: ")[1:]
    assert len(blocks) == 4
    assert ("efficacy: association Gaussian copula, correlation 0.3; "
            "utility of (E no T, neither, both, T no E) = (100, 40, 60, 0)") \
        in blocks[0]
    assert "true utility per dose: 1: " in blocks[0]
    assert "true OBD: dose 2 (highest true utility among doses with p_tox <= target)" in blocks[0]
    assert "true OBD: dose 3 (given by the scenario: obd=3)" in blocks[1]
    assert "true OBD: none (no dose with p_tox <= target and p_eff >= 0.85)" in blocks[2]
    assert "efficacy: P(both) as given;" in blocks[3]
    # the same wording as simulate's table
    sim = de.simulate(_boin12(), scs[1], 200, seed=1).summary()
    assert "(given by the scenario: obd=3)" in sim


def test_compare_without_efficacy_unchanged():
    sc = de.Scenario([0.05, 0.1, 0.25, 0.4], target=0.25)
    text = de.compare([de.ThreePlusThree()], [sc], n_trials=100, seed=1).summary()
    lines = text.splitlines()
    i = lines.index(f"Scenario: {sc.label()}")
    assert lines[i + 1].startswith("design")
    assert "efficacy" not in text and "OBD" not in text


def test_tables_echo_the_options_without_defaults():
    """Two BOIN runs differing only in max_n and cohort size printed the same header (the
    options without a default were listed nowhere)."""
    sc = de.Scenario([0.02, 0.05, 0.30], target=0.2)
    a = de.exact(de.BOIN(target=0.2, cohort_size=2, max_n=12), sc).summary().splitlines()
    b = de.exact(de.BOIN(target=0.2, cohort_size=3, max_n=9), sc).summary().splitlines()
    assert "BOIN (target 0.2): cohort_size = 2, max_n = 12" in a
    assert "BOIN (target 0.2): cohort_size = 3, max_n = 9" in b
    crm = de.exact(de.CRM(skeleton=[0.05, 0.1, 0.2], target=0.2, max_n=6), sc).summary().splitlines()
    assert "CRM (empiric): skeleton = (0.05, 0.1, 0.2), target = 0.2" in crm
    cmp = de.compare([de.BOIN(target=0.2, cohort_size=3, max_n=9), _boin12()], [de.Scenario(**PH2)], n_trials=50)
    assert "BOIN (target 0.2): cohort_size = 3, max_n = 9" in cmp.summary().splitlines()


def test_stop_reasons_carry_their_standard_errors_in_json_and_csv():
    import csv
    import io

    from doseesc.cli import oc_csv

    oc = de.simulate(_boin12(), FUTILE, 500, seed=1)
    d = json.loads(oc.to_json())
    assert set(d["stop_reasons_se"]) == set(d["stop_reasons"]) == {"max_n", "design_rule", "safety", "futility"}
    p = d["stop_reasons"]["futility"]
    assert d["stop_reasons_se"]["futility"] == oc.se("stop_futility") > 0
    assert abs(oc.se("stop_futility") - (p * (1 - p) / 499) ** 0.5) < 1e-12
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(oc_csv(oc)))}
    assert float(rows["stop_futility"]["se"]) == oc.se("stop_futility")
    ex = de.exact(_boin12(), FUTILE)  # exact: every SE is 0
    assert set(json.loads(ex.to_json())["stop_reasons_se"].values()) == {0.0}
