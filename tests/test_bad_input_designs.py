"""Bad input to the design constructors and helpers: one-line ValueErrors naming the field."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import doseesc as de


# ------------------------------------------------------------------ 1. extreme model parameters
@pytest.mark.parametrize("intercept", [1e300, -1e300, 10.5, -11])
def test_crm_intercept_bounded(intercept):
    with pytest.raises(ValueError, match=r"^intercept: must be from -10 to 10 .*dfcrm's default is 3"):
        de.CRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.3, model="logistic", intercept=intercept)


@pytest.mark.parametrize("intercept, out", [
    (10.0, "1N 2N 3T 3N 2T 2N 2T"),  # the largest allowed: the lattice posterior still matches quadrature
    (0.0, "1N 2N 3T 3N"),  # a valid model (any skeleton below 0.5); it used to divide by zero when lowered
])
def test_crm_logistic_intercept_extremes_work(intercept, out):
    d = de.CRM(skeleton=[0.05, 0.1, 0.2, 0.3], target=0.2, model="logistic", intercept=intercept, restrict=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = d.next_dose(out)
    assert rec.beta == pytest.approx(d.posterior(out).beta_mean, rel=1e-6)


def test_titecrm_intercept_bounded_and_accurate():
    with pytest.raises(ValueError, match=r"^intercept: must be from -10 to 10"):
        de.TITECRM(skeleton=[0.1, 0.2, 0.3], target=0.25, max_n=24, model="logistic", intercept=1e300)
    sk = [0.05, 0.1, 0.2, 0.3]
    out = "1N 2N 3T 3N 2T 2N 2T"
    data = [dict(dose=int(c[0]), dlt=int(ch == "T"), follow_up=28) for c in out.split() for ch in c[1:]]
    t = de.TITECRM(skeleton=sk, target=0.2, max_n=24, model="logistic", intercept=10, restrict=False)
    c = de.CRM(skeleton=sk, target=0.2, max_n=24, model="logistic", intercept=10, restrict=False)
    rec = t.next_dose_tite(data, window=28)
    np.testing.assert_allclose(rec.p_tox, c.posterior(out).p_plugin, atol=1e-6)  # was off by 0.006


@pytest.mark.parametrize("kw, msg", [
    (dict(prior_mean=(1e300, 0)), r"^prior_mean: the log alpha means must be finite numbers with \|value\| <= 20"),
    (dict(prior_mean=(0, 50)), r"^prior_mean: the log beta means must be finite numbers with \|value\| <= 10"),
    (dict(prior_mean=(0, 0, 0, 1e300), prior_sd=(1, 1, 1, 1)), r"^prior_mean: the log beta means"),
    (dict(prior_sd=(1e300, 1)), r"^prior_sd: the log alpha SDs must be from 0.001 to 20"),
    (dict(prior_sd=(2, 8)), r"^prior_sd: the log beta SDs must be from 0.001 to 5"),
    (dict(prior_sd=(2, 1e-300)), r"^prior_sd: the log beta SDs must be from 0.001 to 5"),
])
def test_blrm_prior_bounded(kw, msg):
    with pytest.raises(ValueError, match=msg):
        de.BLRM(doses=[1, 2, 4, 8], d_ref=4, **kw)


def test_blrm_mixture_prior_object_bounded():
    from doseesc.designs.blrm import PriorComponents

    bad = PriorComponents(weights=(1.0,), means=((1e300, 0.0),), sds=((1.0, 1.0),), corrs=(0.0,))
    with pytest.raises(ValueError, match=r"^prior: the log alpha means"):
        de.BLRM(doses=[1, 2, 4, 8], d_ref=4, prior=bad)


@pytest.mark.parametrize("field", ["rho_prior", "mtd_prior"])
def test_ewoc_beta_prior_bounded(field):
    with pytest.raises(ValueError, match=rf"^{field}: Beta parameters must be finite numbers from 1 to 1000"):
        de.EWOC(doses=[20, 40, 60, 80, 100], target=0.33, **{field: (1e300, 1)})


# ------------------------------------------------------------------ 2. select_min_n above max_n
def test_select_min_n_above_max_n():
    with pytest.raises(ValueError, match=r"^select_min_n: must be at most max_n \(12\), got 100"):
        de.BOIN(target=0.3, cohort_size=3, max_n=12).select_among_treated(100)
    de.BOIN(target=0.3, cohort_size=3, max_n=12).select_among_treated(12)  # reachable: fine


def test_select_min_n_above_stop_at_n_either_order():
    d = de.BOIN(target=0.3, cohort_size=3, max_n=30)
    for build in (lambda: d.stop_at_n(12).select_among_treated(13), lambda: d.select_among_treated(13).stop_at_n(12)):
        with pytest.raises(ValueError, match=r"^select_min_n: must be at most stop_at_n \(12\), got 13"):
            build()


def test_select_min_n_three_plus_three():
    with pytest.raises(ValueError, match=r"^select_min_n: must be at most 6 \(the 3\+3 treats at most 6"):
        de.ThreePlusThree().select_among_treated(7)
    de.ThreePlusThree().select_among_treated(6)


def test_select_min_n_backfill_counts_backfill_patients():
    d = de.BOIN(target=0.25, cohort_size=3, max_n=30).with_backfill(cap=12)
    d.select_among_treated(40)  # 30 escalation + up to 13 backfill at one dose
    with pytest.raises(ValueError, match=r"^select_min_n: must be at most 43 \(with backfill"):
        d.select_among_treated(44)


# ------------------------------------------------------------------ 3. crm_skeleton
def test_crm_skeleton_n_doses_bounded():
    with pytest.raises(ValueError, match=r"^n_doses: must be an integer from 1 to 1000, got 1000000"):
        de.crm_skeleton(0.05, 0.25, 1, 10**6)


def test_crm_skeleton_saturates_at_one():
    with pytest.raises(ValueError, match=r"^n_doses: with halfwidth 0.05, target 0.25 and the prior MTD at dose 1 "
                                         r"\(nu\), dose 127 onward would have .* in double precision; use at most "
                                         r"126 doses"):
        de.crm_skeleton(0.05, 0.25, 1, 1000)
    sk = de.crm_skeleton(0.05, 0.25, 1, 126)  # the largest that works is a valid CRM skeleton
    de.CRM(skeleton=sk, target=0.25)


def test_crm_skeleton_saturates_at_zero():
    with pytest.raises(ValueError, match=r"^nu: .*dose 978 and below would have P\(DLT\) = 0 in double precision; "
                                         r"use nu <= 22"):
        de.crm_skeleton(0.05, 0.25, 1000, 1000)
    de.CRM(skeleton=de.crm_skeleton(0.05, 0.25, 22, 100), target=0.25)


def test_crm_skeleton_intercept_bounded():
    with pytest.raises(ValueError, match=r"^intercept: must be from -10 to 10"):
        de.crm_skeleton(0.05, 0.25, 2, 4, model="logistic", intercept=1e300)


# ------------------------------------------------------------------ 4. graded scores
@pytest.mark.parametrize("make", [
    lambda s: de.gBOIN(target=0.3, cohort_size=3, max_n=30, scores=s),
    lambda s: de.QuasiCRM(skeleton=[0.1, 0.2, 0.3, 0.4], target=0.3, max_n=24, scores=s),
])
def test_graded_scores_non_decreasing(make):
    with pytest.raises(ValueError, match=r"^scores: must be non-decreasing in grade \(0 <= .*got \(0, 1, 0.5, 0.2\)$"):
        make((0, 1, 0.5, 0.2))
    make((0, 0, 0.5, 1, 1.5))  # the default shape


# ------------------------------------------------------------------ 5. live data rows
def test_tite_row_not_a_mapping():
    with pytest.raises(ValueError, match=r"^data: patient 1 must be a mapping \(a dict with keys dose, dlt, "
                                         r"follow_up, dropped, eff, eff_follow_up\), got a tuple \(1, 0, 28\)$"):
        de.TITEBOIN(target=0.3, max_n=30).next_dose_tite([(1, 0, 28)], window=28, n_doses=3)


@pytest.mark.parametrize("key", ["droped", "foo"])
def test_tite_row_unknown_key(key):
    rows = [dict(dose=1, dlt=0, follow_up=28), {"dose": 1, "dlt": 0, "follow_up": 5, key: 1}]
    with pytest.raises(ValueError, match=rf"^data: patient 2 has unknown key '{key}'; allowed: dose, dlt, follow_up, "
                                         r"dropped, eff, eff_follow_up$"):
        de.TITEBOIN(target=0.3, max_n=30).next_dose_tite(rows, window=28, n_doses=3)


def test_tite_column_unknown():
    cols = {"dose": [1, 1], "dlt": [0, 0], "follow_up": [28, 5], "droped": [0, 1]}
    with pytest.raises(ValueError, match=r"^data: unknown column 'droped'; allowed: dose, dlt, follow_up, dropped, "
                                         r"eff, eff_follow_up$"):
        de.TITEBOIN(target=0.3, max_n=30).next_dose_tite(cols, window=28, n_doses=3)


def test_tite_boin12_row_unknown_key():
    rows = [dict(dose=1, dlt=0, follow_up=28, eff=0, eff_follow_up=28, dropped=1)]
    with pytest.raises(ValueError, match=r"^data: patient 1 has unknown key 'dropped'; allowed: dose, dlt, follow_up, "
                                         r"eff, eff_follow_up$"):
        de.TITEBOIN12(phi_t=0.3, phi_e=0.3, max_n=30).next_dose_tite(rows, window=28, n_doses=3)


# ------------------------------------------------------------------ 6. empty name
@pytest.mark.parametrize("name", ["", "   "])
def test_empty_name(name):
    with pytest.raises(ValueError, match=r"^name: must be a non-empty string"):
        de.BOIN(target=0.3, cohort_size=3, max_n=24, name=name)
    with pytest.raises(ValueError, match=r"^name: must be a non-empty string"):
        de.BOIN(target=0.3, cohort_size=3, max_n=24).select_among_treated(3).__class__(
            base=de.BOIN(target=0.3, cohort_size=3, max_n=24), name=name)
