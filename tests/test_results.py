"""OperatingCharacteristics: how the summaries are computed."""

import numpy as np
import pytest

import doseesc as de


@pytest.mark.parametrize("case", ["boin", "3+3-ae", "crm-set", "tite-dropout", "band"])
def test_one_pass_summaries_equal_the_per_trial_formulas(case):
    # Monte Carlo summaries come from one compiled pass of sums; they must equal the mean and
    # SE of the per-trial values (results._wmean_se), the definition used for exact runs.
    from doseesc.results import STOP_REASONS, _wmean_se

    P = [0.05, 0.12, 0.25, 0.4, 0.55]
    d, sc = {
        "boin": (de.BOIN(target=0.25, cohort_size=3, max_n=24), de.Scenario(P, target=0.25)),
        "3+3-ae": (de.ThreePlusThree(), de.Scenario(P, target=0.25, p_ae=[0.1] * 5)),
        "crm-set": (de.CRM(skeleton=P, target=0.25, max_n=12).stop_for_safety(0.9),
                    de.ScenarioSet([P, [0.3, 0.4, 0.5, 0.6, 0.7]], target=0.25)),
        "tite-dropout": (de.TITEBOIN(target=0.25, max_n=18, cohort_size=3),
                         de.Scenario(P, target=0.25, time=de.TimeModel(window=28, rate=0.1, dropout=0.01))),
        "band": (de.BOIN(target=0.25, cohort_size=3, max_n=24),
                 de.Scenario([0.5, 0.6, 0.7, 0.8, 0.9], target=0.25, mtd_band=(0.2, 0.3))),
    }[case]
    oc = de.simulate(d, sc, 5000, seed=2)
    per = oc._per_trial()
    per.update({f"stop_{name}": oc.records.stop_reason == i for i, name in enumerate(STOP_REASONS) if i > 0})
    for name, x in per.items():
        m, se = _wmean_se(x, None, False)
        np.testing.assert_allclose(oc._values[name], m, rtol=1e-12, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(oc.se(name) if name in oc.metrics else oc._se[name], se, rtol=1e-9, atol=1e-15,
                                   err_msg=name)
    if case == "crm-set":
        pcs = [per["pcs"][oc.records.scenario == s].mean() for s in range(2)]
        np.testing.assert_allclose(oc.pcs_by_scenario, pcs, rtol=1e-12)
