"""Phase I/II designs that decide on complete data (BOIN12, EffTox and their modified versions)
wait, under a time model, for each cohort's complete assessment: max(window, eff_window) after the
cohort's last enrolment. Before, they waited the DLT window alone and decided on 90-day responses
after 28 days (BOIN12: mean duration 397 days where waiting for complete data takes ~850)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import doseesc as de
from doseesc import timemodel
from doseesc.engine import api

P_TOX = [0.05, 0.1, 0.2, 0.4, 0.5]
P_EFF = [0.2, 0.4, 0.5, 0.5, 0.3]
FIELDS = ("selected", "n_patients", "n_dlt", "n_ae", "stop_reason", "duration", "waited", "turned_away",
          "n_dropout", "n_eff", "n_backfill", "tox_score")
DECISIONS = ("selected", "n_patients", "n_dlt", "n_eff", "stop_reason")


def _hash(rec, fields=FIELDS) -> str:
    m = hashlib.sha256()
    for f in fields:
        x = getattr(rec, f)
        m.update(f.encode())
        if x is not None:
            x = np.asarray(x)
            m.update(np.ascontiguousarray(x.astype(np.int64) if x.dtype.kind in "iu" else x).tobytes())
    return m.hexdigest()[:16]


def _sc(tm, p_eff=P_EFF, target=0.3, **kw):
    return de.Scenario(P_TOX, target=target, p_eff=p_eff, time=tm, **kw)


def _cohorts(rec, size=3):
    return np.ceil(rec.n_patients.sum(axis=1) / size)


def test_boin12_waits_for_the_efficacy_window():
    """The audit's case: window 28, 0.1 arrivals a day, eff_window 90, phi_t 0.3, max_n 24."""
    kw = dict(phi_t=0.3, max_n=24)
    tm = de.TimeModel(window=28, rate=0.1, eff_window=90)
    oc = de.simulate(de.BOIN12(**kw), _sc(tm), n_trials=1000, seed=7)
    a = oc.records
    w = de.simulate(de.TITEBOIN12(wait_complete=True, **kw), _sc(tm), n_trials=1000, seed=7).records
    plain = de.simulate(de.BOIN12(**kw), _sc(de.TimeModel(window=28, rate=0.1)), n_trials=1000, seed=7).records
    for f in DECISIONS:  # the same decisions on the same patients, whatever the waits
        assert np.array_equal(getattr(a, f), getattr(w, f)), f
        assert np.array_equal(getattr(a, f), getattr(plain, f)), f
    # each cohort's decision waits 90 days after its last enrolment, and the next cohort comes after it
    assert np.all(a.duration >= 90 * _cohorts(a))
    # TITE-BOIN12's waiting mode also ends a responder's efficacy wait at the response (uniform
    # over the 90 days here), so it is never longer, and a few percent shorter on average
    assert np.all(w.duration <= a.duration + 1e-9)
    assert 1.0 <= a.duration.mean() / w.duration.mean() < 1.08
    assert plain.duration.mean() < 0.5 * a.duration.mean()  # 28-day waits: the defect
    assert oc.meta["waited_window"]["length"] == 90.0 and oc.meta["waited_window"]["window"] == "eff_window"
    assert "waited_window" in oc.to_dict()


def test_boin12_duration_is_waiting_tite_boin12s_where_the_semantics_coincide():
    """No responses: TITE-BOIN12 waiting for complete data waits each patient's whole efficacy
    window too, and the durations are the same trial by trial; responses late in the window:
    the same mean duration to within 1%."""
    kw = dict(phi_t=0.3, max_n=24)
    tm = de.TimeModel(window=28, rate=0.1, eff_window=90)
    a = de.simulate(de.BOIN12(**kw), _sc(tm, p_eff=[0.0] * 5), n_trials=500, seed=3).records
    w = de.simulate(de.TITEBOIN12(wait_complete=True, **kw), _sc(tm, p_eff=[0.0] * 5), n_trials=500, seed=3).records
    assert np.array_equal(a.duration, w.duration)
    late = de.TimeModel(window=28, rate=0.1, eff_window=90, eff_onset="weibull", eff_shape=20)
    a = de.simulate(de.BOIN12(**kw), _sc(late), n_trials=1000, seed=3).records
    w = de.simulate(de.TITEBOIN12(wait_complete=True, **kw), _sc(late), n_trials=1000, seed=3).records
    assert np.all(w.duration <= a.duration + 1e-9)
    assert a.duration.mean() / w.duration.mean() < 1.01


def test_efftox_waits_for_the_efficacy_window():
    d = de.EffTox(real_doses=[1, 2, 4], max_n=18)

    def sc(**eff):
        return de.Scenario([0.1, 0.2, 0.35], target=0.3, p_eff=[0.2, 0.4, 0.5],
                           time=de.TimeModel(window=28, rate=0.1, **eff))

    oc = de.simulate(d, sc(eff_window=365), n_trials=200, seed=5)
    a = oc.records
    b = de.simulate(d, sc(), n_trials=200, seed=5).records
    for f in DECISIONS:
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert np.all(a.duration >= 365 * _cohorts(a))  # was 28-day waits: 4 times shorter on average
    assert np.all(b.duration < a.duration) and b.duration.mean() < 0.25 * a.duration.mean()
    assert oc.meta["waited_window"]["length"] == 365.0
    assert "365 after" in dict(d.spec_rows(sc(eff_window=365)))["Waited after each cohort"]


def test_modified_boin12_waits_and_the_design_rule_matches_the_lowering():
    tm = de.TimeModel(window=28, rate=0.1, eff_window=90)
    m = de.BOIN12(phi_t=0.3, max_n=24).stop_at_n(18)
    oc = de.simulate(m, _sc(tm), n_trials=300, seed=2)
    assert np.all(oc.records.duration >= 90 * _cohorts(oc.records))
    assert oc.meta["waited_window"]["length"] == 90.0
    assert "Waiting for complete data" in m.describe(_sc(tm))
    designs = [de.BOIN12(), m, de.EffTox(real_doses=[1, 2, 4, 5, 6]), de.TITEBOIN12(), de.TITEBOIN12().stop_at_n(12),
               de.BOIN(target=0.3, cohort_size=3, max_n=24), de.BOIN(target=0.3, cohort_size=3, max_n=24).with_backfill(
                   cap=6), de.TITEBOIN(target=0.3, max_n=24),
               de.ThreePlusThree(), de.CRM(skeleton=[0.1, 0.2, 0.3, 0.4, 0.5], target=0.3)]
    for d in designs:
        assert timemodel.waits_complete(d) == api._waits_complete(d.lower(5)), d.label()
    assert [timemodel.waits_complete(d) for d in designs[:4]] == [True, True, True, False]


def test_se_target_meta_says_what_was_waited():
    tm = de.TimeModel(window=28, rate=0.1)  # no efficacy window: the DLT window, efficacy assessed within it
    oc = de.simulate(de.BOIN12(phi_t=0.3, max_n=12), _sc(tm), se_target=0.1, seed=1)
    assert oc.meta["waited_window"]["length"] == 28.0 and oc.meta["waited_window"]["window"] == "window"
    assert "se_target" in oc.meta
    assert "waited_window" not in de.simulate(de.BOIN12(phi_t=0.3, max_n=12), _sc(None), n_trials=10).meta
    assert "waited_window" not in de.simulate(de.BOIN(target=0.3, cohort_size=3, max_n=24), _sc(tm), n_trials=10).meta


def test_pack_is_unchanged_but_for_designs_that_wait_for_a_longer_efficacy_window():
    tm = de.TimeModel(window=28, rate=0.1, eff_window=90, onset="late")
    old = np.array([1.0, 28, 0, 0.1, 2, 1.0, 0, 0.0, 0.5, 0.5, 0, 90, 0, 1.0, 0.5, 0.5])
    assert np.array_equal(tm.pack(), old) and np.array_equal(timemodel.pack(tm), old)
    new = tm.pack(complete=True)
    assert new[1] == 90 and new[4] == 1 and new[5] == np.inf
    assert np.array_equal(np.delete(new, [1, 4, 5]), np.delete(old, [1, 4, 5]))
    for short in (de.TimeModel(window=28, rate=0.1), de.TimeModel(window=28, rate=0.1, eff_window=20)):
        assert np.array_equal(short.pack(complete=True), short.pack())
    assert timemodel.pack(None, complete=True) is timemodel.NO_TIME


TOX_ONLY = {
    "boin": lambda: de.BOIN(target=0.3, cohort_size=3, max_n=24),
    "3+3": lambda: de.ThreePlusThree(),
    "crm": lambda: de.CRM(skeleton=[0.05, 0.1, 0.2, 0.3, 0.45], target=0.3, max_n=18),
    "boin/stop_at_n": lambda: de.BOIN(target=0.3, cohort_size=3, max_n=24).stop_at_n(15),
    "tite-boin": lambda: de.TITEBOIN(target=0.3, max_n=24),
    "tite-crm": lambda: de.TITECRM(skeleton=[0.05, 0.1, 0.2, 0.3, 0.45], target=0.3, max_n=18),
    "bf-boin": lambda: de.BOIN(target=0.3, cohort_size=3, max_n=24).with_backfill(cap=9),
}


@pytest.mark.parametrize("name", sorted(TOX_ONLY))
def test_toxicity_only_records_ignore_the_efficacy_window(name):
    """A design that ignores efficacy gives the same records, bit for bit, with or without an
    (even much longer) efficacy window, under any onset and waiting."""
    d = TOX_ONLY[name]()
    base = dict(window=28, rate=0.15, onset="weibull", shape=2.0)
    if name != "bf-boin":
        base["dropout"] = 0.002
    sc = {we: _sc(de.TimeModel(**base, **({} if we is None else dict(eff_window=we))), p_ae=[0.1] * 5)
          for we in (None, 90, 20)}
    h = {we: _hash(de.simulate(d, s, n_trials=300, seed=11).records) for we, s in sc.items()}
    assert h[None] == h[90] == h[20], h
    assert "waited_window" not in de.simulate(d, sc[90], n_trials=10).meta


def _as_before(monkeypatch):
    """The lowering before the fix: every design got the time model as it is."""
    monkeypatch.setattr(api, "_waits_complete", lambda low: False)


UNCHANGED = {  # (design, time model or None): records equal to the lowering before the fix
    "boin12/untimed": (lambda: de.BOIN12(phi_t=0.3, max_n=24), None),
    "efftox/untimed": (lambda: de.EffTox(real_doses=[1, 2, 4, 5, 6], max_n=12), None),
    "boin12/no eff_window": (lambda: de.BOIN12(phi_t=0.3, max_n=24), dict(window=28, rate=0.1)),
    "boin12/shorter eff_window": (lambda: de.BOIN12(phi_t=0.3, max_n=24), dict(window=28, rate=0.1, eff_window=20)),
    "tite-boin12": (lambda: de.TITEBOIN12(phi_t=0.3, max_n=24), dict(window=28, rate=0.1, eff_window=90)),
    "tite-boin12/wait": (lambda: de.TITEBOIN12(phi_t=0.3, max_n=24, wait_complete=True),
                         dict(window=28, rate=0.1, eff_window=90, waiting="queue")),
    "boin": (lambda: de.BOIN(target=0.3, cohort_size=3, max_n=24),
             dict(window=28, rate=0.1, eff_window=90, dropout=0.001)),
}


@pytest.mark.parametrize("name", sorted(UNCHANGED))
def test_other_records_are_as_before_the_fix(name, monkeypatch):
    make, tm = UNCHANGED[name]
    sc = _sc(None if tm is None else de.TimeModel(**tm))
    new = _hash(de.simulate(make(), sc, n_trials=300, seed=13).records)
    _as_before(monkeypatch)
    assert _hash(de.simulate(make(), sc, n_trials=300, seed=13).records) == new


def test_only_the_waits_change(monkeypatch):
    """BOIN12 with the longer efficacy window: the decisions and counts are those of the old
    (DLT-window) waits; the duration, turned away and waiting time are not."""
    tm = de.TimeModel(window=28, rate=0.1, eff_window=90, waiting="queue")
    new = de.simulate(de.BOIN12(phi_t=0.3, max_n=24), _sc(tm), n_trials=300, seed=13).records
    _as_before(monkeypatch)
    old = de.simulate(de.BOIN12(phi_t=0.3, max_n=24), _sc(tm), n_trials=300, seed=13).records
    keep = ("selected", "n_patients", "n_dlt", "n_ae", "stop_reason", "n_dropout", "n_eff")
    assert _hash(new, keep) == _hash(old, keep)
    assert np.all(new.duration > old.duration) and new.waited.sum() > old.waited.sum()
