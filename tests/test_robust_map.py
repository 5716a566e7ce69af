"""The robust MAP prior (Schmidli et al. 2014; RBesT's ``robustify``): ``BLRMMapPrior.robustify``
and the what-if's BLRM under it, beside the BLRM under the MAP prior alone.

The robust mixture is checked against draws from it made here with numpy (its prior mean of
P(DLT) per dose), and against ``blrm_map_prior(robust_weight=...)``, which builds it in one call.
The what-if's robust-vs-MAP differences are checked against the rows and the comparison they
come from."""

from __future__ import annotations

import json

import numpy as np
import pytest

import doseesc as de
from doseesc import _whatif as wi
from doseesc import evidence
from doseesc.cli import main

DOSES = [1, 2, 4]


@pytest.fixture(scope="module")
def map_b():
    return evidence.blrm_map_prior(DOSES, 2.0, exclude=["B"], n_points=2048)


def _draw_mean_p(prior, n=400_000, seed=7):
    """Prior mean of p(d) by sampling the mixture on (log alpha, log beta) directly."""
    rng = np.random.default_rng(seed)
    comp = rng.choice(len(prior.weights), size=n, p=np.asarray(prior.weights) / sum(prior.weights))
    z = rng.standard_normal((n, 2))
    m, s, r = np.asarray(prior.means)[comp], np.asarray(prior.sds)[comp], np.asarray(prior.corrs)[comp]
    a = m[:, 0] + s[:, 0] * z[:, 0]
    b = m[:, 1] + s[:, 1] * (r * z[:, 0] + np.sqrt(1 - r * r) * z[:, 1])
    x = np.log(np.asarray(DOSES) / prior.d_ref)
    p = 1 / (1 + np.exp(-(a[:, None] + np.exp(b)[:, None] * x[None, :])))
    return p.mean(axis=0), p.std(axis=0) / np.sqrt(n)


def test_robustify_adds_one_component_and_keeps_the_others_shapes(map_b):
    r = map_b.robustify(0.2)
    assert r.robust_weight == 0.2 and len(r.weights) == len(map_b.weights) + 1
    assert r.weights[-1] == pytest.approx(0.2) and sum(r.weights) == pytest.approx(1.0)
    assert r.weights[:-1] == pytest.approx([0.8 * w for w in map_b.weights])
    assert r.means[:-1] == map_b.means and r.sds[:-1] == map_b.sds and r.corrs[:-1] == map_b.corrs
    assert r.means[-1] == pytest.approx(map_b.mu_mean) and r.sds[-1] == (2.0, 1.0) and r.corrs[-1] == 0.0
    # a vague component pulls the prior mean towards its own (P(DLT) 0.2 at d_ref) and widens it
    assert all(a > b for a, b in zip(r.mean_p, map_b.mean_p))
    assert all(a < b for a, b in zip(r.ess, map_b.ess))
    assert "robust component weight 0.2" in r.describe()
    own = map_b.robustify(0.1, mean=(-2.0, 0.5), sd=(1.5, 0.7))
    assert own.means[-1] == (-2.0, 0.5) and own.sds[-1] == (1.5, 0.7)


def test_robustify_equals_the_one_call_build():
    one = evidence.blrm_map_prior(DOSES, 2.0, exclude=["B"], n_points=2048, robust_weight=0.25)
    two = evidence.blrm_map_prior(DOSES, 2.0, exclude=["B"], n_points=2048).robustify(0.25)
    for f in ("weights", "means", "sds", "corrs", "mean_p", "ess", "robust_weight"):
        assert getattr(one, f) == getattr(two, f), f


def test_robust_prior_mean_p_matches_draws_from_the_mixture(map_b):
    r = map_b.robustify(0.2)
    mean, se = _draw_mean_p(r)
    assert np.all(np.abs(np.asarray(r.mean_p) - mean) < 4 * se), (r.mean_p, mean, se)


@pytest.mark.parametrize("kw, field", [(dict(weight=0), "weight"), (dict(weight=1), "weight"),
                                       (dict(weight=-0.1), "weight"), (dict(weight="a"), "weight"),
                                       (dict(weight=0.2, sd=(0, 1)), "sd"), (dict(weight=0.2, mean=(1,)), "mean")])
def test_robustify_bad_input_names_the_field(map_b, kw, field):
    with pytest.raises(ValueError, match=rf"^{field}: ") as e:
        map_b.robustify(**kw)
    assert "\n" not in str(e.value)


def test_robustify_twice_is_refused(map_b):
    with pytest.raises(ValueError, match=r"^weight: this prior already has a robust component \(weight 0.2\)"):
        map_b.robustify(0.2).robustify(0.1)


@pytest.fixture(scope="module")
def res_b():
    return de.whatif(["B"], n_scenarios=12, n_trials=150, seed=3, phase12=False, graded=False)


def test_whatif_runs_the_blrm_under_both_priors_and_says_which(res_b):
    labels = [d["label"] for d in res_b.designs["B"]]
    rob = "BLRM (robust MAP from trials A, C, D; 20% vague)"
    assert "BLRM (MAP prior from trials A, C, D)" in labels and rob in labels
    spec = next(d["spec"] for d in res_b.designs["B"] if d["label"] == rob)
    assert "3-component mixture" in spec and "weakly informative N((-1.39, 0), sd (2, 1)) at 0.2" in spec
    assert "total weight 0.8" in spec
    assert "robust_weight=0.2" not in spec
    txt = res_b.priors["trial B robust BLRM"]
    assert "added at weight 0.2" in txt and "Schmidli et al. 2014" in txt
    assert res_b.settings["robust_weight"] == 0.2
    table = res_b.table()
    assert "trial B robust BLRM:" in table and f"{rob} minus BLRM (MAP prior from trials A, C, D)" in table


def test_whatif_robust_vs_map_numbers_are_those_of_the_rows(res_b):
    rows = {(r.scenario, r.design): r for r in res_b.rows}
    rob, mp = "BLRM (robust MAP from trials A, C, D; 20% vague)", "BLRM (MAP prior from trials A, C, D)"
    recs = [r for r in res_b.robust_vs_map if r["trial"] == "B"]
    exact = [r for r in recs if r["method"] == "exact"]
    assert [r["scenario"] for r in exact] == ["all safe (evidence mean curve)", "toxic top dose", "toxic middle dose"]
    for r in exact:
        a, b = rows[(r["scenario"], rob)], rows[(r["scenario"], mp)]
        assert r["pcs"] == pytest.approx(a.values["pcs"] - b.values["pcs"], abs=1e-12)
        assert r["over_selection"] == pytest.approx(a.values["over_selection"] - b.values["over_selection"], abs=1e-12)
    pp = next(r for r in recs if r["method"] != "exact")
    cmp = res_b.objects["B"]["comparison"]
    labels = [d["label"] for d in res_b.designs["B"]]
    ses = []
    for k in ("pcs", "over_selection", "n_overdosed"):
        m, se = cmp.difference(k, labels.index(rob), labels.index(mp), between=True)
        assert pp[k] == pytest.approx(float(m), abs=1e-12) and pp[f"{k}_se"] == pytest.approx(float(se), abs=1e-12)
        ses.append(se)
    assert max(ses) > 0
    # exact, so fixed: under trial B's 'toxic middle dose' (the MAP prior's mass far below the truth)
    # the robust prior selects a dose above the MTD less often
    mid = next(r for r in exact if r["scenario"] == "toxic middle dose")
    assert mid["over_selection"] < -0.2
    assert json.loads(res_b.to_json())["robust_vs_map"][0]["versus"] == mp


def test_whatif_robust_weight_zero_leaves_the_row_out_and_bad_values_are_refused(capsys):
    res = de.whatif(["A"], n_scenarios=2, n_trials=10, robust_weight=0, phase12=False, graded=False)
    assert not any("robust" in d["label"] for d in res.designs["A"]) and res.robust_vs_map == []
    assert "trial A robust BLRM" not in res.priors
    for bad in (1, -0.1, 1.5):
        with pytest.raises(ValueError, match=r"^robust_weight: must be in \[0, 1\)"):
            wi.whatif(["A"], robust_weight=bad)
    assert main(["whatif", "--trial", "A", "--robust-weight", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("doseesc: error: robust_weight: must be in [0, 1)") and "\n" not in err, err


def test_the_readme_quotes_the_exact_robust_vs_map_numbers(res_b):
    """The README's exact figures for trial B's 'toxic middle dose' are those the what-if computes
    (fixed scenarios are exact, so the small run of the fixture gives the default run's values)."""
    from pathlib import Path

    text = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    rows = {(r.scenario, r.design): r for r in res_b.rows if r.scenario == "toxic middle dose"}
    plain = rows[("toxic middle dose", "BLRM (MAP prior from trials A, C, D)")].values["over_selection"]
    robust = rows[("toxic middle dose", "BLRM (robust MAP from trials A, C, D; 20% vague)")].values["over_selection"]
    want = (f"selects a dose above the MTD in {100 * plain:.1f}% of trials (exact) and the robust prior in "
            f"{100 * robust:.1f}% ({100 * (robust - plain):+.1f} points)")
    assert want in text, want
    safe = [r for r in res_b.robust_vs_map if r["scenario"] == "all safe (evidence mean curve)"][0]
    assert f"under the evidence mean curve {abs(100 * safe['pcs']):.1f} points lower (exact)" in text


def test_first_cohort_decisions_follow_each_design_and_flag_escalation_after_2_of_3(res_b):
    """Textbook decisions after a first cohort of 3 at dose 1 (target 0.2): the 3+3 escalates
    after 0/3, stays after 1/3 and stops after 2/3; BOIN (R BOIN, target 0.2) escalates after
    0/3 (0 <= 0.157), de-escalates (stays at the lowest dose) after 1/3 (0.333 >= 0.238) and
    eliminates dose 1 after 2/3 (P(p > 0.2 | Beta(3, 2)) = 0.973 > 0.95: no dose left, stop)."""
    fc = {e["design"]: e for e in res_b.first_cohort["B"]}
    want = {"3+3": [2, 1, None, None], "BOIN": [2, 1, None, None]}
    for lab, nxt in want.items():
        e = fc[lab]
        assert e["start_dose"] == 1 and e["cohort_size"] == 3
        assert [a["next_dose"] for a in e["after"]] == nxt, (lab, e)
        assert [a["stop"] for a in e["after"]] == [x is None for x in nxt]
    assert fc["CRM (as used)"]["start_dose"] == 2  # trial B as treated
    assert "mTPI-2" not in fc  # shown once, as BOIN
    plain = fc["BLRM (MAP prior from trials A, C, D)"]["after"]
    robust = fc["BLRM (robust MAP from trials A, C, D; 20% vague)"]["after"]
    assert plain[2]["next_dose"] == 2 and not plain[2]["stop"]  # escalates after 2/3 at dose 1
    assert robust[2]["stop"]
    text = " ".join(res_b.table().split())
    assert ("Escalates after a first cohort with at least 2 DLTs (half or more of it): BLRM (MAP prior from "
            "trials A, C, D) (2/3 at 1 -> 2).") in text
    assert "BLRM (MAP prior from trials A, C, D) start 1, cohort of 3: 0 -> 2, 1 -> 2, 2 -> 2, 3 -> stop" in text
    assert json.loads(res_b.to_json())["first_cohort"]["B"][0]["design"] == "CRM (as used)"


def test_the_report_carries_the_first_cohort_table_and_its_flag(res_b):
    md = res_b.report().to_markdown()
    assert "Trial B: each design's next dose after its first cohort at its start dose" in md
    assert "| BLRM (MAP prior from trials A, C, D) | 1 | 2 | 2 | 2 | stop |" in md
    assert "| BOIN | 1 | 2 | 1 | stop | stop |" in md
    assert "BLRM (MAP prior from trials A, C, D) (2/3 at 1 -> 2)." in md


@pytest.mark.parametrize("cohort_size", [3, 2])
def test_first_cohort_from_exact_enumeration_equals_each_designs_next_dose(cohort_size):
    """The what-if reads the first-cohort decisions off an exact enumeration cut to two cohorts
    (kernels it has compiled anyway); each design's live recommendation gives the same."""
    doses = list(wi.TRIALS["B"]["doses"])
    src = ["A", "C", "D"]
    prior = evidence.dose_response_prior(doses, trials=src, discount=0.5)
    mp = wi._map_prior(doses, src)
    for a in wi._designs("B", 0.2, 12, cohort_size, prior, mp, src, mp.robustify(0.2)):
        e = wi._first_cohort(a["label"], a["design"], len(doses), cohort_size)
        c, st = e["cohort_size"], e["start_dose"]
        for k, got in enumerate(e["after"]):
            rec = a["design"].next_dose(f"{st}" + "T" * k + "N" * (c - k), n_doses=len(doses))
            assert got["stop"] == bool(rec.stop), (a["label"], k)
            assert got["next_dose"] == (None if rec.stop else rec.dose), (a["label"], k)
            assert got["selected"] == (rec.selected if rec.stop else None), (a["label"], k)
