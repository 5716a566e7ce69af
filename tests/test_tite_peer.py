"""TITE-BOIN, end to end, against R's TITEgBOIN (``get_oc_TITE_QuasiBOIN`` with ``TITE=TRUE``).

That package simulates TITE-BOIN with Lin & Yuan's (2020) estimate (``TITEBOIN(estimate="ess")``)
and the TITE-BOIN papers' time model: Poisson arrivals at ``accrual`` per time unit, a decision
at the arrival of each cohort's first patient (the arriving patient is turned away while accrual
is suspended), Weibull DLT times with half of the DLTs in the second half of the window
(``TimeModel(onset="late")``). It is the same design as doseesc's, so every summary must agree
within 4 combined Monte Carlo standard errors. The reference file records each call and the
package version; the numbers were produced by running that package in R, not by doseesc.

One convention differs: TITEgBOIN's clock starts with the first patient, doseesc's (as dfcrm's
titesim) one inter-arrival gap earlier, so doseesc's mean duration is TITEgBOIN's plus
1 / accrual (the expected first gap).
"""

import json
import pathlib

import numpy as np
import pytest

import doseesc as de

REF = pathlib.Path(__file__).parent / "data" / "peer_titeboin_titegboin.json"
N_TRIALS = 20_000


def _settings():
    return json.loads(REF.read_text())["settings"]


def _run(s):
    a = s["args"]
    tm = de.TimeModel(window=a["maxt"], accrual="poisson", rate=a["accrual"], onset="late",
                      late_share=a["alpha1"], late_part=a["alpha2"], waiting="turn_away")
    design = de.TITEBOIN(target=a["target"], max_n=a["ncohort"] * a["cohortsize"], cohort_size=a["cohortsize"],
                         start_dose=a["startdose"], cutoff_eli=a["cutoff.eli"], extrasafe=a["extrasafe"],
                         offset=a["offset"], n_earlystop=a["n.earlystop"], accrual_suspend=a["maxpen"],
                         estimate="ess")
    sc = de.Scenario(p_tox=a["prob"], target=a["target"], time=tm)
    return de.simulate(design, sc, n_trials=N_TRIALS, seed=2024)


@pytest.mark.slow
@pytest.mark.parametrize("s", _settings(), ids=lambda s: s["id"])
def test_titeboin_matches_titegboin(s):
    oc = _run(s)
    n_ref = s["ntrial"]
    # selection per dose and no selection: binomial SE of the reference + doseesc's SE
    p_ref = np.array(s["selection_pct"]) / 100
    se = np.sqrt(p_ref * (1 - p_ref) / n_ref + oc.se("selection") ** 2)
    assert np.all(np.abs(oc.selection - p_ref) <= 4 * se + 1e-12), (oc.selection, p_ref, se)
    stop_ref = s["percent_stop"] / 100
    se_stop = np.sqrt(stop_ref * (1 - stop_ref) / n_ref + oc.se("no_selection") ** 2)
    assert abs(oc.no_selection - stop_ref) <= 4 * se_stop + 1e-12
    # means (patients and DLTs per dose, totals): the reference's SE from doseesc's own
    # standard deviation (same distribution under agreement), scaled to its trial count
    scale = np.sqrt(1 + N_TRIALS / n_ref)
    for ours, ref in [("n_patients", "n_per_dose"), ("n_dlt", "dlt_per_dose"), ("sample_size", "total_n"),
                      ("total_dlt", "total_dlt")]:
        diff = np.abs(np.asarray(getattr(oc, ours)) - np.asarray(s[ref]))
        assert np.all(diff <= 4 * np.asarray(oc.se(ours)) * scale + 1e-12), (ours, getattr(oc, ours), s[ref])
    # duration, on TITEgBOIN's clock (see the module docstring); its SD is reported
    se_dur = np.sqrt(s["sd_duration"] ** 2 / n_ref + oc.se("duration") ** 2)
    assert abs(oc.duration - 1 / s["args"]["accrual"] - s["duration"]) <= 4 * se_dur
