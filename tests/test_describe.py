"""Design.describe() / spec_rows(): protocol wording generated from the design's fields.

Every description must carry the design's key numbers (checked against published values and R
BOIN's get.boundary where they exist) and must change when any constructor field changes (every
field of every design is covered: the test fails when a design gains a field the wording ignores).
"""

import dataclasses
import json
import pathlib
import re

import numpy as np
import pytest

import doseesc as de

DATA = pathlib.Path(__file__).parent / "data"
SC5 = de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45], target=0.25)
SKEL = [0.05, 0.12, 0.25, 0.40, 0.55]  # Cheung (2011) Table 3.2 / published.md item 1


def _tite_scenario():
    return de.Scenario([0.05, 0.1, 0.2, 0.3, 0.45], target=0.25, time=de.TimeModel(window=28, rate=3 / 28))


# ---------------------------------------------------------------------------- key numbers
def test_boin_published_boundaries():
    # published.md item 5 (BOIN, target 0.30): lambda_e = 0.2364, lambda_d = 0.3585. Target 0.25: 0.197 / 0.298
    # (Liu & Yuan's formulas with p_saf = 0.6 phi, p_tox = 1.4 phi; R BOIN get.boundary prints these).
    text = de.BOIN(target=0.3, cohort_size=3, max_n=30).describe()
    assert "lambda_e = 0.236" in text and "lambda_d = 0.358" in text
    lam_e, lam_d = de.BOIN(target=0.3, cohort_size=3, max_n=30).lambdas
    assert f"lambda_e = {lam_e:.6f} and lambda_d = {lam_d:.6f}" in text  # six decimals: 0.2364..., 0.3585...
    assert f"{lam_e:.6f}".startswith("0.2364") and f"{lam_d:.6f}".startswith("0.3585")
    d = de.BOIN(target=0.25, cohort_size=3, max_n=30)
    text = d.describe()
    assert "0.197" in text and "0.298" in text
    rows = dict(d.spec_rows())
    assert rows["Escalation boundary lambda_e"].startswith("0.197")
    assert rows["De-escalation boundary lambda_d"].startswith("0.298")
    assert rows["p_saf, p_tox"] == "0.15, 0.35"


def test_boin_elimination_counts_equal_r_get_boundary():
    # R BOIN 2.7.2 get.boundary, target 0.25, cohorts of 3 (tests/data/boin_peer_decisions.jsonl; also
    # published.md item 5: eliminate if >= 3 4 5 at n = 3, 6, 9).
    ref = next(json.loads(line) for line in (DATA / "boin_peer_decisions.jsonl").open()
               if '"boin_boundary"' in line and '"target": 0.25' in line and '"cohortsize": 3' in line)
    text = de.BOIN(target=0.25, cohort_size=3, max_n=30).describe()
    expect = ", ".join(f"{ref['eliminate_if_ge'][n - 1]} or more of {n}" for n in (3, 6, 9))
    assert f"In numbers of DLTs: {expect}." in text
    assert expect == "3 or more of 3, 4 or more of 6, 5 or more of 9"


def test_mtpi_family_intervals():
    # Equivalence interval [target - epsilon1, target + epsilon2]; mTPI-2 tiles of the same width truncated
    # at 0 and 1 (Guo et al. 2017); Keyboard keeps whole keys only (Yan et al. 2017).
    m2 = dict(de.MTPI2(target=0.3, cohort_size=3, max_n=30).spec_rows())
    assert m2["Equivalence interval"] == "[0.25, 0.35]"
    assert m2["Intervals and decisions"].startswith("[0, 0.05] escalate; [0.05, 0.15] escalate; [0.15, 0.25] "
                                                    "escalate; [0.25, 0.35] stay; [0.35, 0.45] de-escalate")
    assert m2["Intervals and decisions"].endswith("[0.95, 1] de-escalate")
    kb = dict(de.Keyboard(target=0.3, cohort_size=3, max_n=30).spec_rows())
    assert kb["Target key"] == "[0.25, 0.35]"
    assert kb["Intervals and decisions"].startswith("[0.05, 0.15] escalate")  # [0, 0.05] is not a whole key
    assert kb["Intervals and decisions"].endswith("[0.85, 0.95] de-escalate")
    assert kb["Keys"] == "9"
    mt = de.MTPI(target=0.3, cohort_size=3, max_n=30).describe()
    assert "[0, 0.25] escalate; [0.25, 0.35] stay; [0.35, 1] de-escalate" in mt and "unit probability mass" in mt
    i3 = de.I3plus3(target=0.25, cohort_size=3, max_n=30).describe()
    assert "below 0.2, escalate" in i3 and "(y - 1) / n is below 0.2" in i3


def test_crm_numbers():
    # published.md item 2: logistic a0 = 3 codified doses (-5.94, -4.99, -4.10, -3.41, -2.80).
    d = de.CRM(skeleton=SKEL, target=0.25, model="logistic", max_n=20, start_dose=3, restrict=False)
    rows = dict(d.spec_rows())
    x = [float(v) for v in re.findall(r"-?[0-9.]+", rows["Scaled doses x_d"])]
    np.testing.assert_allclose(np.round(x, 2), [-5.94, -4.99, -4.10, -3.41, -2.80])
    assert rows["Skeleton"] == "(0.05, 0.12, 0.25, 0.4, 0.55)"
    assert rows["Prior on beta"] == "N(0, 1.158^2) (variance 1.34)"  # dfcrm's default sqrt(1.34)
    assert rows["Start dose"] == "dose level 3" and rows["Restriction"] == "none"
    text = d.describe()
    assert "a0 = 3" in text and "closest to 0.25" in text and "dfcrm" in text
    e = de.CRM(skeleton=SKEL, target=0.25).describe()
    assert "p_d = s_d ^ exp(beta)" in e and "no skipping when escalating" in e and "coherence" in e


def test_tite_numbers():
    sc = _tite_scenario()
    tb = de.TITEBOIN(target=0.25, max_n=24, cohort_size=3)
    text = tb.describe(sc)
    assert "0.197" in text and "0.298" in text and "more than 50%" in text and "W = 28" in text
    assert "pi = (y + 0.125) / (n - m + 1)" in text  # Beta(target / 2, 1 - target / 2) prior
    ess = de.TITEBOIN(target=0.25, max_n=24, cohort_size=3, estimate="ess").describe(sc)
    assert "y / (n - m + STFT)" in ess and "TITEgBOIN" in ess
    tc = de.TITECRM(skeleton=SKEL, target=0.25, max_n=24).describe(sc)
    assert "min(u / W, 1)" in tc and "W = 28" in tc and "titesim" in tc
    assert "t_m <= u < t_(m+1)" in de.TITECRM(skeleton=SKEL, target=0.25, max_n=24, scheme="adaptive").describe()


def test_three_plus_three():
    rows = dict(de.ThreePlusThree().spec_rows(SC5))
    assert rows["Maximum sample size"] == "30 (6 x 5 doses)"
    assert "de-escalation" in de.ThreePlusThree().describe()
    esc = de.ThreePlusThree(deescalate=False).describe()
    assert "escalation only" in esc and "esc.only" in esc


def test_modified_rules_and_their_numbers():
    d = de.BOIN(target=0.25, cohort_size=3, max_n=30).dont_skip_doses().stop_for_safety(0.9).stop_when_n_at_dose(9) \
        .stop_at_n(21)
    text = d.describe(SC5)
    low = d.lower(5)
    counts = [(n, int(np.flatnonzero(low.safety_tab[n, :n + 1])[0])) for n in (3, 6, 9)]
    assert "In numbers of DLTs at that dose: " + ", ".join(f"{y} or more of {n}" for n, y in counts) in text
    assert "No skipping" in text and "9 or more patients" in text and "P(p_1 > 0.25 | data) > 0.9" in text
    # stop_at_n lowers the maximum sample size everywhere the text states it
    assert "at most 21 patients" in text and "(a) 21 patients have been treated" in text
    assert "30 patients have been treated" not in text
    assert dict(d.spec_rows(SC5))["Maximum sample size"] == "21 (stop_at_n 21; design's own: 30)"
    assert d.lower(5).max_n == 21
    # the order of the additional rules is stated once; the selection comes after them
    heads = [block.split(":")[0] for block in text.split("\n\n")[1:]]
    assert heads.index("Additional rules") == heads.index("Selection of the MTD") - 1


def test_scenario_adds_dose_values_and_checks_doses():
    sc = de.Scenario([0.05, 0.1, 0.2], target=0.2, doses=[1, 2, 4], dose_unit="1e6 cells/kg")
    text = de.ThreePlusThree().describe(sc)
    assert "3 dose levels (1, 2, 4 1e6 cells/kg)" in text and "dose level 1 (1 1e6 cells/kg)" in text
    with pytest.raises(ValueError, match="^scenario: the design has 5 dose levels but the scenario has 3"):
        de.CRM(skeleton=SKEL, target=0.25).describe(sc)
    with pytest.raises(ValueError, match="^scenario: expected a doseesc.Scenario"):
        de.ThreePlusThree().describe([0.1, 0.2])


def test_a_design_without_wording_states_its_fields():
    @dataclasses.dataclass(frozen=True)
    class Custom(de.Design):
        width: float = 0.5
        name = "custom"

    text = Custom().describe()
    assert "no protocol wording" in text and "width = 0.5" in text
    assert ("width", "0.5") in Custom().spec_rows()


# ---------------------------------------------------------------------------- every field matters
BOIN25 = dict(target=0.25, cohort_size=3, max_n=30)
EPS = dict(target=0.3, cohort_size=3, max_n=30)

CASES = [
    (de.ThreePlusThree, {}, {"start_dose": 2, "deescalate": False, "n_doses": 4}),
    (de.BOIN, BOIN25, {"target": 0.3, "cohort_size": 2, "max_n": 24, "start_dose": 2, "p_saf": 0.1, "p_tox": 0.4,
                       "cutoff_eli": 0.9, "extrasafe": True, "n_earlystop": 12, "titration": True, "bound_mtd": True,
                       "stay_at_1_of_3": True, "n_doses": 4}),
    (de.BOIN, {**BOIN25, "extrasafe": True}, {"offset": 0.1}),
    *[(cls, EPS, {"target": 0.25, "cohort_size": 2, "max_n": 24, "start_dose": 2, "epsilon1": 0.1, "epsilon2": 0.1,
                  "cutoff_eli": 0.9, "n_earlystop": 12, "n_doses": 4})
      for cls in (de.MTPI, de.MTPI2, de.Keyboard, de.I3plus3)],
    (de.CRM, dict(skeleton=SKEL, target=0.25), {
        "skeleton": [0.04, 0.1, 0.25, 0.4, 0.55], "target": 0.3, "cohort_size": 3, "max_n": 30, "model": "logistic",
        "prior_sd": 1.0, "start_dose": 2, "restrict": False, "skip_escalation": True, "model_safety_threshold": 0.9,
        "x0": [1] * 6 + [2] * 18}),
    (de.CRM, dict(skeleton=SKEL, target=0.25, model="logistic"), {"intercept": 4.0}),
    (de.CRM, dict(skeleton=SKEL, target=0.25, cohort_size=1, max_n=6, x0=[1, 2, 3, 4, 5, 5]), {"method": "likelihood"}),
    (de.TITEBOIN, dict(target=0.25, max_n=24, cohort_size=3), {
        "target": 0.3, "max_n": 30, "cohort_size": 1, "start_dose": 2, "p_saf": 0.1, "p_tox": 0.4, "cutoff_eli": 0.9,
        "extrasafe": True, "n_earlystop": 12, "accrual_suspend": 1.0, "n_doses": 4, "estimate": "ess"}),
    (de.TITEBOIN, dict(target=0.25, max_n=24, extrasafe=True), {"offset": 0.1}),
    (de.TITECRM, dict(skeleton=SKEL, target=0.25, max_n=24), {
        "skeleton": [0.04, 0.1, 0.25, 0.4, 0.55], "target": 0.3, "max_n": 30, "start_dose": 2, "model": "logistic",
        "prior_sd": 1.0, "restrict": False, "scheme": "adaptive", "n_doses": 5}),
    (de.TITECRM, dict(skeleton=SKEL, target=0.25, max_n=24, model="logistic"), {"intercept": 4.0}),
]


def _mod(**kw):
    return de.Modified(base=de.BOIN(**BOIN25), **kw)


MOD_BASE = dict(safety_threshold=0.9, stop_n_at_dose=9)
MOD_CHANGES = {"base": de.BOIN(target=0.3, cohort_size=3, max_n=30), "stop_n_at_dose": 12, "n_at_dose_of": "current",
               "safety_threshold": 0.8, "safety_target": 0.3, "safety_prior": (0.5, 1.5), "safety_min_n": 6,
               "safety_dose": 2, "dont_skip": True, "stop_at": 21, "select_min_n": 6}


@pytest.mark.parametrize("cls, base, changes", CASES, ids=lambda x: getattr(x, "__name__", ""))
def test_description_changes_with_every_field(cls, base, changes):
    d0 = cls(**base)
    t0, r0 = d0.describe(), d0.spec_rows()
    for field, value in changes.items():
        kw = {**base, field: value}
        if cls is de.CRM and field == "x0":
            kw["max_n"] = 24
        d1 = cls(**kw)
        if field == "n_doses" and d1.fixed_n_doses == d0.fixed_n_doses:
            continue  # TITE-CRM's n_doses must equal the skeleton's length: nothing to change
        assert d1.describe() != t0, field
        assert d1.spec_rows() != r0, field


def test_every_field_is_covered():
    covered: dict[type, set] = {}
    for cls, _base, changes in CASES:
        covered.setdefault(cls, set()).update(changes)
    for cls, fields in covered.items():
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        if cls is de.TITECRM:
            fields = fields | {"n_doses"}
        assert init <= fields | {"name"}, (cls.__name__, init - fields)
        d = cls(**next(b for c, b, _ in CASES if c is cls))
        named = dataclasses.replace(d, name="my design")
        assert named.describe().startswith("my design") and ("Name", "my design") in named.spec_rows()
    init = {f.name for f in dataclasses.fields(de.Modified) if f.init}
    assert init == set(MOD_CHANGES) | {"name"}


@pytest.mark.parametrize("field", sorted(MOD_CHANGES))
def test_modified_description_changes_with_every_field(field):
    d0 = _mod(**MOD_BASE)
    d1 = _mod(**{**MOD_BASE, field: MOD_CHANGES[field]}) if field != "base" else \
        de.Modified(base=MOD_CHANGES["base"], **MOD_BASE)
    assert d1.describe(SC5) != d0.describe(SC5)
    assert d1.spec_rows(SC5) != d0.spec_rows(SC5)


def test_crm_selection_of_an_untried_dose_is_stated_and_withdrawn_by_the_rule():
    crm = de.CRM(skeleton=[0.05, 0.1, 0.2, 0.3], target=0.3)
    assert "no patient has received" in crm.describe()
    assert dict(crm.spec_rows())["MTD selection"].endswith("(untried doses allowed)")
    held = crm.select_among_treated(3)
    text = held.describe()
    assert "no patient has received" not in text and "restricted as stated under Additional rules" in text
    rows = dict(held.spec_rows())
    assert "untried" not in rows["MTD selection"] and rows["Selection restricted to"] == "doses with >= 3 patients"
