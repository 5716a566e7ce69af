"""Time model: hand-calculated durations; dose decisions unchanged by it."""

import json

import numpy as np
import pytest

import doseesc as de

from . import naive


def test_duration_hand_calculation_turn_away():
    # Window 10, a patient every 4 time units from the opening at 0, no DLT, 3+3 on two doses:
    # cohort 1 enrolled at 4, 8, 12 -> follow-up complete at 22; arrivals at 16 and 20 are turned
    # away; cohort 2 enrolled at 24, 28, 32 -> complete at 42: the top dose is acceptable, stop.
    tm = de.TimeModel(window=10, accrual="fixed", rate=0.25, waiting="turn_away")
    oc = de.simulate(de.ThreePlusThree(), de.Scenario([0.0, 0.0], target=0.3, time=tm), n_trials=5, seed=1)
    assert np.all(oc.records.duration == 42.0)
    assert np.all(oc.records.turned_away == 2)
    assert oc.se("duration") == 0


def test_duration_hand_calculation_queue():
    # Same, but arrivals wait: patients arriving at 16 and 20 start at 22 (waits 6 and 2), the
    # third arrives at 24 -> complete at 34. Mean wait per patient: 8 / 6.
    tm = de.TimeModel(window=10, accrual="fixed", rate=0.25, waiting="queue")
    oc = de.simulate(de.ThreePlusThree(), de.Scenario([0.0, 0.0], target=0.3, time=tm), n_trials=5, seed=1)
    assert np.all(oc.records.duration == 34.0)
    assert oc.waiting == pytest.approx(8 / 6)


def test_dlt_onset_shortens_follow_up():
    # Every patient has a DLT at dose 1: 3+3 stops after one cohort, when the last DLT occurs.
    # Enrolments at 4, 8, 12 with uniform onsets U_i in (0, 10): duration = max(4 + 10 U_1,
    # 8 + 10 U_2, 12 + 10 U_3), strictly inside (12, 22).
    tm = de.TimeModel(window=10, accrual="fixed", rate=0.25)
    oc = de.simulate(de.ThreePlusThree(), de.Scenario([1.0, 1.0], target=0.3, time=tm), n_trials=20000, seed=2)
    d = oc.records.duration
    assert np.all(d > 12) and np.all(d < 22)
    # E[duration] by numerical integration of P(max > x) over x in (12, 22)
    x = np.linspace(12, 22, 200001)
    cdf = np.clip((x - 4) / 10, 0, 1) * np.clip((x - 8) / 10, 0, 1) * np.clip((x - 12) / 10, 0, 1)
    expected = 12 + np.trapezoid(1 - cdf, x)
    assert abs(d.mean() - expected) < 4 * oc.se("duration")


@pytest.mark.parametrize("kw, field", [(dict(shape=2.0), "shape"),
                                       (dict(onset="weibull", late_share=0.7), "late_share"),
                                       (dict(eff_window=3, eff_shape=2.0), "eff_shape"),
                                       (dict(eff_window=3, eff_onset="weibull", eff_late_part=0.3), "eff_late_part")])
def test_onset_settings_only_with_their_model(kw, field):
    # CLI audit: the library and run files took a Weibull shape with the uniform onset, to no effect
    with pytest.raises(ValueError, match=f"^{field}: only with "):
        de.TimeModel(window=1, rate=1, **kw)
    de.TimeModel(window=1, rate=1, shape=1.0, late_share=0.5)  # the defaults (what to_dict writes) stay accepted


@pytest.mark.parametrize("accrual, waiting, onset",
                         [("fixed", "turn_away", "uniform"), ("poisson", "queue", "weibull"),
                          ("poisson", "turn_away", "late")])
def test_time_model_does_not_change_decisions(accrual, waiting, onset):
    p = [0.05, 0.15, 0.3, 0.5]
    d = de.ThreePlusThree().stop_for_safety(0.5, target=0.3)
    tm = de.TimeModel(window=28, accrual=accrual, rate=3 / 28, waiting=waiting, onset=onset,
                      shape=2.0 if onset == "weibull" else 1.0)
    a = de.simulate(d, de.Scenario(p, target=0.3), 3000, 9).records
    b = de.simulate(d, de.Scenario(p, target=0.3, time=tm), 3000, 9).records
    assert np.array_equal(a.n_patients, b.n_patients) and np.array_equal(a.n_dlt, b.n_dlt)
    assert np.array_equal(a.selected, b.selected) and a.duration is None and np.all(b.duration > 0)


def test_poisson_duration_reproducible_and_sane():
    tm = de.TimeModel(window=28, accrual="poisson", rate=3 / 28)
    sc = de.Scenario([0.05, 0.1, 0.2], target=0.3, time=tm)
    a = de.simulate(de.ThreePlusThree(), sc, 2000, 4)
    b = de.simulate(de.ThreePlusThree(), sc, 2000, 4, threads=1)
    assert np.array_equal(a.records.duration, b.records.duration)
    # at least (cohorts) windows long: each cohort adds >= 28 of follow-up
    cohorts = a.records.n_patients.sum(axis=1) // 3
    assert np.all(a.records.duration >= 28 * cohorts - 1e-9)
    assert "duration_quantiles" in a.to_dict()


@pytest.mark.parametrize("kwargs, field", [
    (dict(window=0), "window"), (dict(window=28, rate=-1), "rate"), (dict(window=28, accrual="gamma"), "accrual"),
    (dict(window=28, onset="lognormal"), "onset"), (dict(window=28, shape=0), "shape"),
    (dict(window=28, waiting="wait"), "waiting"), (dict(window=28, onset="late", late_share=1), "late_share"),
    (dict(window=28, late_part=0), "late_part"), (dict(window=28, late_part="half"), "late_part"),
])
def test_time_model_validation(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        de.TimeModel(**kwargs)
    with pytest.raises(ValueError, match="^time:"):
        de.Scenario([0.1], target=0.3, time=28)


# ---------------------------------------------------------------------------- drop-out
import heapq  # noqa: E402
import math  # noqa: E402

from doseesc._kernels import rng as _rng  # noqa: E402
from doseesc._kernels.timing import onset as _onset  # noqa: E402

P5 = [0.05, 0.12, 0.25, 0.4, 0.55]
TM_FIXED = dict(window=28, accrual="fixed", rate=3 / 28)
TM_QUEUE = dict(window=28, accrual="poisson", rate=3 / 28, onset="weibull", shape=2.0, waiting="queue")


# sha256 prefixes of these records computed by main at b51025a, before drop-out existed
COHORT_CASES = {
    "3+3/fixed": (lambda: de.ThreePlusThree(), TM_FIXED, "10596817b2ab4591"),
    "boin/poisson-queue": (lambda: de.BOIN(target=0.25, cohort_size=3, max_n=18), TM_QUEUE, "c5f865874db72dd1"),
    "crm/fixed": (lambda: de.CRM(skeleton=P5, target=0.25, cohort_size=1, max_n=12), TM_FIXED, "8e0639950f6828ce"),
}


@pytest.mark.parametrize("name", list(COHORT_CASES))
def test_no_dropout_is_bit_identical_to_before(name):
    make, tm, expect = COHORT_CASES[name]
    recs = [de.simulate(make(), de.Scenario(P5, target=0.25, p_ae=[0.1] * 5, time=de.TimeModel(**tm, **extra)),
                        n_trials=400, seed=7).records for extra in ({}, {"dropout": 0.0})]
    assert naive.records_hash(recs[0]) == naive.records_hash(recs[1]) == expect
    assert np.all(recs[1].n_dropout == 0) and recs[1].n_dropout.shape == recs[1].n_patients.shape
    assert "drop-outs" not in de.simulate(make(), de.Scenario(P5, target=0.25, time=de.TimeModel(**tm)), 50).summary()


def _naive_timing(tm, key, t, n_cohorts, c):
    """A plainly event-driven cohort trial with no DLTs: each of the cohort's ``c`` slots takes
    the next arrival once free; a drop-out before the window ends frees the slot again at the
    drop-out. Returns (duration, turned away, waited, drop-outs)."""
    W, gap, lam, queue = tm.window, 1.0 / tm.rate, tm.dropout, tm.waiting == "queue"
    arrival, now, pid, turned, waited, drops = gap, 0.0, 0, 0, 0.0, 0
    for _ in range(n_cohorts):
        free = [now] * c
        end = now
        done = 0
        while done < c:
            f = heapq.heappop(free)
            if queue:
                enrol = max(arrival, f)
                waited += enrol - arrival
            else:
                while arrival < f:
                    turned += 1
                    arrival += gap
                enrol = arrival
            arrival += gap
            dt = -math.log(_rng.uniform(key, t, pid, _rng.STREAM_DROPOUT)) / lam
            pid += 1
            if dt < W:
                drops += 1
                heapq.heappush(free, enrol + dt)
                end = max(end, enrol + dt)
            else:
                done += 1
                end = max(end, enrol + W)
        now = end
    return now, turned, waited, drops


@pytest.mark.parametrize("waiting", ["turn_away", "queue"])
def test_dropout_replacement_timing_against_naive_reference(waiting):
    # No DLTs, two doses: 3+3 treats 3 + 3 evaluable patients. A drop-out frees their slot at the
    # drop-out and the next arrival replaces them; the cohort's decision waits for the replacement.
    tm = de.TimeModel(window=10, accrual="fixed", rate=0.25, waiting=waiting, dropout=0.05)
    oc = de.simulate(de.ThreePlusThree(), de.Scenario([0.0, 0.0], target=0.3, time=tm), n_trials=300, seed=3)
    r = oc.records
    assert np.all(r.n_patients == 3)
    key = _rng.make_key(3)
    ref = np.array([_naive_timing(tm, key, t, 2, 3) for t in range(300)])
    np.testing.assert_allclose(r.duration, ref[:, 0], rtol=0, atol=1e-9)
    assert np.array_equal(r.turned_away, ref[:, 1].astype(int))
    np.testing.assert_allclose(r.waited, ref[:, 2], rtol=0, atol=1e-9)
    assert np.array_equal(r.n_dropout.sum(axis=1), ref[:, 3].astype(int))
    assert r.n_dropout.sum() > 100  # the check exercised many replacements


def test_dropout_replacement_by_hand():
    # Window 10, arrivals every 4 from 4, no DLTs, 3+3 on one dose (3 evaluable patients), turn
    # away. Find a trial in which only the second patient (enrolled at 8) drops out, at 8 + g:
    # the third patient still takes the arrival at 12 (their slot was free); the second patient's
    # slot is refilled by the first later arrival at or after 8 + g, the 4th patient, enrolled at
    # a = max(16, 4 * ceil((8 + g) / 4)); arrivals between 12 and a are turned away; the decision
    # (and the trial) ends at max(12 + 10, a + 10).
    lam = 0.03
    tm = de.TimeModel(window=10, accrual="fixed", rate=0.25, dropout=lam)
    key = _rng.make_key(5)
    gone = lambda t, i: -math.log(_rng.uniform(key, t, i, _rng.STREAM_DROPOUT)) / lam
    r = de.simulate(de.ThreePlusThree(), de.Scenario([0.0], target=0.3, time=tm), n_trials=1000, seed=5).records
    ts = [t for t in range(1000) if gone(t, 1) < 10 and min(gone(t, 0), gone(t, 2), gone(t, 3)) >= 10]
    assert len(ts) > 50 and min(gone(t, 1) for t in ts) < 4 < max(gone(t, 1) for t in ts)  # both cases of a
    for t in ts:
        a = max(16, 4 * math.ceil((8 + gone(t, 1)) / 4))
        assert r.n_dropout[t, 0] == 1 and r.n_patients[t, 0] == 3
        assert r.duration[t] == max(22, a + 10)
        assert r.turned_away[t] == (a - 12) // 4 - 1


def _evaluable_replay(design, p, tm, seed, t):
    """The design's own decisions (``next_dose``) on the evaluable patients: patients are
    taken in enrolment order and those who drop out before their outcome are skipped."""
    key = _rng.make_key(seed)
    tm_arr = tm.pack()
    D = len(p)
    drops = np.zeros(D, dtype=np.int64)
    cohorts = []
    pid = 0
    rec = design.next_dose("", n_doses=D)
    while not rec.stop:
        d = rec.dose - 1
        s = ""
        while len(s) < rec.cohort_size:
            dlt = _rng.uniform(key, t, pid, _rng.STREAM_TOLERANCE) < p[d]
            outcome = _onset(tm_arr, key, t, pid, p[d]) if dlt else tm.window
            if -math.log(_rng.uniform(key, t, pid, _rng.STREAM_DROPOUT)) / tm.dropout < outcome:
                drops[d] += 1
            else:
                s += "T" if dlt else "N"
            pid += 1
        cohorts.append(f"{d + 1}{s}")
        rec = design.next_dose(" ".join(cohorts), n_doses=D)
    return rec, drops


@pytest.mark.parametrize("make", [lambda: de.ThreePlusThree(),
                                  lambda: de.BOIN(target=0.25, cohort_size=3, max_n=15),
                                  lambda: de.CRM(skeleton=P5, target=0.25, cohort_size=2, max_n=10)],
                         ids=["3+3", "boin", "crm"])
def test_dropout_decisions_are_the_designs_on_the_evaluable_patients(make):
    tm = de.TimeModel(window=28, accrual="poisson", rate=3 / 28, onset="weibull", shape=0.7, dropout=0.02)
    design = make()
    n = 60
    r = de.simulate(design, de.Scenario(P5, target=0.25, time=tm), n_trials=n, seed=11).records
    for t in range(n):
        rec, drops = _evaluable_replay(design, P5, tm, 11, t)
        assert np.array_equal(rec.n_patients, r.n_patients[t]) and np.array_equal(rec.n_dlt, r.n_dlt[t]), t
        assert (rec.selected or 0) == r.selected[t], t
        assert np.array_equal(drops, r.n_dropout[t]), t
    assert r.n_dropout.sum() > 50


def test_dropouts_per_evaluable_patient_closed_form():
    # Every enrolled patient independently drops out before their outcome with probability q;
    # replacements continue until c are evaluable, so drop-outs per evaluable patient average
    # q / (1 - q). No DLTs: outcome at the window, q = 1 - exp(-lam W). Every patient a DLT
    # with uniform onset: q = 1 - (1 - exp(-lam W)) / (lam W).
    lam, W = 0.02, 28.0
    for p, q, n_eval in (([0.0, 0.0], 1 - math.exp(-lam * W), 6),
                         ([1.0, 1.0], 1 - (1 - math.exp(-lam * W)) / (lam * W), 3)):
        tm = de.TimeModel(window=W, rate=3 / 28, accrual="poisson", dropout=lam)
        oc = de.simulate(de.ThreePlusThree(), de.Scenario(p, target=0.3, time=tm), n_trials=4000, seed=2)
        assert np.all(oc.records.sample_size == n_eval)
        assert abs(oc.dropouts - n_eval * q / (1 - q)) < 4 * oc.se("dropouts")
        assert oc.enrolled == pytest.approx(n_eval + oc.dropouts)
        assert "drop-outs" in oc.summary() and "patients enrolled" in oc.summary()
        assert {"dropouts", "enrolled", "n_dropout"} <= set(oc.to_dict())


def test_dropout_reproducible_across_threads():
    tm = de.TimeModel(window=28, accrual="poisson", rate=3 / 28, waiting="queue", dropout=0.02)
    sc = de.Scenario(P5, target=0.25, time=tm)
    d = de.BOIN(target=0.25, cohort_size=3, max_n=18)
    a = de.simulate(d, sc, n_trials=700, seed=5, threads=1).records
    b = de.simulate(d, sc, n_trials=700, seed=5, threads=2).records
    for f in ("selected", "n_patients", "n_dlt", "n_dropout", "stop_reason", "duration", "waited", "turned_away"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert np.all(a.n_patients.sum(axis=1) <= 18) and a.n_dropout.sum() > 0


@pytest.mark.parametrize("value", [-0.1, math.log(100) / 28 * 1.001, "often", float("nan")])
def test_dropout_validation(value):
    with pytest.raises(ValueError, match="^dropout:") as e:
        de.TimeModel(window=28, dropout=value)
    assert "\n" not in str(e.value)


def test_dropout_cli_and_run_file(tmp_path, capsys):
    from doseesc import cli

    assert de.TimeModel(window=28, dropout=0.01).to_dict()["dropout"] == 0.01
    args = ["simulate", "--design", "3+3", "--truth", "0.05,0.1,0.3", "--target", "0.3", "--n-trials", "200",
            "--format", "json", "--no-progress"]
    assert cli.main(args + ["--window", "28", "--dropout", "0.01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dropouts"] > 0 and out["scenario"]["time"]["dropout"] == 0.01
    assert cli.main(args + ["--dropout", "0.01"]) == 2
    assert "--window" in capsys.readouterr().err
    assert cli.main(args + ["--window", "28", "--dropout", "-1"]) == 2
    assert capsys.readouterr().err.count("dropout:") == 1
    run = tmp_path / "run.toml"
    run.write_text('n_trials = 200\n[[designs]]\ndesign = "3+3"\n[[scenarios]]\np_tox = [0.05, 0.1, 0.3]\n'
                   'target = 0.3\n[scenarios.time]\nwindow = 28\ndropout = 0.01\n')
    from doseesc import config

    assert config.load(str(run)).scenarios[0].time.dropout == 0.01


# ---------------------------------------------------------------------------- "late" onset
@pytest.mark.parametrize("p", [0.05, 0.3, 0.7])
@pytest.mark.parametrize("share, part", [(0.5, 0.5), (0.7, 0.3), (0.3, 0.6)])
def test_late_onset_puts_the_share_in_the_last_part(p, share, part):
    # the definition (Yuan et al. 2018; TITEgBOIN's gen.tite): a share `share` of the DLTs in the
    # last `part` of the window, all within it; 20,000 onsets, binomial SE
    tm = de.TimeModel(window=3.0, onset="late", late_share=share, late_part=part).pack()
    key = _rng.make_key(5)
    x = np.array([_onset(tm, key, 0, i, p) for i in range(20_000)])
    assert np.all((x > 0) & (x <= 3.0))
    late = np.mean(x > (1 - part) * 3.0)
    assert abs(late - share) < 4 * math.sqrt(share * (1 - share) / x.size)


def test_late_onset_is_weibull_given_a_dlt():
    # p = 0.4, half the DLTs in the second half: shape k = log(log(0.6) / log(0.8)) / log 2,
    # P(onset <= x | DLT) = (1 - 0.6^((x / W)^k)) / 0.4; checked at quartiles of the window
    tm = de.TimeModel(window=1.0, onset="late").pack()
    key = _rng.make_key(6)
    x = np.array([_onset(tm, key, 0, i, 0.4) for i in range(20_000)])
    k = math.log(math.log(0.6) / math.log(0.8)) / math.log(2)
    for q in (0.25, 0.5, 0.75):
        cdf = (1 - 0.6 ** (q ** k)) / 0.4
        assert abs(np.mean(x <= q) - cdf) < 4 * math.sqrt(cdf * (1 - cdf) / x.size)


def test_late_onset_and_ess_from_the_cli(capsys):
    from doseesc import cli

    args = ["simulate", "--design", "tite-boin", "--truth", "0.05,0.1,0.3,0.5", "--target", "0.3", "--max-n", "12",
            "--cohort-size", "3", "--n-trials", "300", "--format", "json", "--no-progress", "--window", "3",
            "--rate", "2", "--accrual", "poisson", "--onset", "late"]
    assert cli.main(args + ["--late-share", "0.7", "--estimate", "ess"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["scenario"]["time"]["late_share"] == 0.7 and out["scenario"]["time"]["onset"] == "late"
    assert out["design"]["estimate"] == "ess"
    assert cli.main(args + ["--late-part", "1.5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("doseesc: late_part:") or "late_part:" in err.splitlines()[-1]
    assert "Traceback" not in err
    assert cli.main(args + ["--estimate", "mle"]) == 2
    assert "estimate" in capsys.readouterr().err


@pytest.mark.parametrize("accrual", [0.0, 1.0, 2.0])
def test_tite_loops_draw_the_documented_arrival_gaps(accrual):
    """The time-to-event loops draw each gap from the trial's key (gap_tk / gap_s); they must give the
    cohort loop's gaps (timing.gap), the TimeModel's documented distributions: fixed 1 / rate, exponential,
    uniform on (0, 2 / rate). (Until this test, later gaps of uniform accrual were exponential there.)"""
    from doseesc._kernels import timing as _t

    tm = np.zeros(16)
    tm[0], tm[1], tm[2], tm[3] = 1.0, 1.0, accrual, 3.0
    key = 12345
    gaps = []
    for t in range(3):
        tk = _rng.trial_key(key, t)
        for j in range(1, 200):
            g = _t.gap(tm, key, t, j)
            assert _t.gap_tk(tm, tk, j) == g == _t.gap_s(tm[2], tm[3], tk, j)
            gaps.append(g)
    gaps = np.array(gaps)
    if accrual == 2.0:
        assert gaps.max() < 2 / 3 and abs(gaps.mean() - 1 / 3) < 4 * (2 / 3) / np.sqrt(12 * gaps.size)


def test_mean_wait_counts_every_enrolled_patient():
    # audit: the total wait (drop-outs' waits included) was divided by the evaluable patients only
    tm = de.TimeModel(window=10, accrual="fixed", rate=0.25, waiting="queue", dropout=0.05)
    oc = de.simulate(de.ThreePlusThree(), de.Scenario([0.0, 0.0, 0.0], target=0.3, time=tm), n_trials=2000, seed=4)
    r = oc.records
    enrolled = r.n_patients.sum(axis=1) + r.n_dropout.sum(axis=1)
    assert r.n_dropout.sum() > 0
    assert oc.waiting == pytest.approx(np.mean(r.waited / enrolled))
    assert oc.waiting < np.mean(r.waited / r.n_patients.sum(axis=1))


def test_compare_states_the_time_model_and_durations_with_ses():
    # audit: compare's table named no time model, gave no durations and printed N without SEs
    tm = de.TimeModel(window=28, accrual="poisson", rate=0.2, dropout=0.01)
    sc = de.Scenario([0.05, 0.15, 0.3], target=0.25, time=tm)
    cmp = de.compare([de.BOIN(target=0.25, cohort_size=3, max_n=18), de.TITEBOIN(target=0.25, cohort_size=3, max_n=18)],
                     [sc], n_trials=500, seed=1)
    text = cmp.summary()
    assert "time model: window 28, accrual poisson, rate 0.2, onset uniform, waiting turn_away, dropout 0.01" in text
    row = [line for line in text.splitlines() if line.startswith("TITE-BOIN") and "(" in line and ":" not in line][0]
    fmt = de.results._fmt
    oc = cmp.oc[1][0]
    dm, ds = cmp.difference("duration", 1, 0)
    assert fmt(oc.duration, oc.se("duration"), False) in row
    assert fmt(dm, ds, False) in row
    assert fmt(oc.sample_size, oc.se("sample_size"), False) in row  # N with its SE


def test_quantile_se_matches_the_asymptotic_se_of_a_sample_quantile():
    """Normal data: the SE of the sample q-quantile is sqrt(q (1 - q) / n) / phi(z_q) (the
    asymptotic variance of a sample quantile, e.g. Serfling 1980, 2.3.3); averaged over 20
    samples of 10,000 the order-statistic SEs agree within 6% (their own spread is 5-15% per
    sample, so 3% for the mean of 20)."""
    from scipy import stats

    from doseesc.results import quantile_se

    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    n = 10_000
    want = np.array([np.sqrt(q * (1 - q) / n) / stats.norm.pdf(stats.norm.ppf(q)) for q in qs])
    rng = np.random.default_rng(11)
    got = np.mean([quantile_se(rng.standard_normal(n), qs) for _ in range(20)], axis=0)
    assert np.all(np.abs(got / want - 1) < 0.06), (got, want)
    assert np.all(np.isnan(quantile_se([1.0], qs)))


def test_quantiles_and_their_ses_from_one_partition_equal_the_separate_calls():
    """The summaries compute the duration quantiles and their SEs from one np.partition; the
    values must be those of np.quantile and of the SEs' definition on the fully sorted data
    (ties and NaN-free heavy tails included)."""
    from doseesc.results import _quantiles_se

    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    rng = np.random.default_rng(5)
    for x in (rng.exponential(size=10_001), np.round(rng.gamma(2.0, size=3_000), 1), np.array([2.0, 1.0]),
              np.full(7, 3.5)):
        q, se = _quantiles_se(x, qs)
        assert np.array_equal(q, np.quantile(x, qs))
        xs, n = np.sort(x), x.size
        for k, p in enumerate(qs):
            half = np.sqrt(n * p * (1 - p))
            lo = int(np.clip(round(n * p - half) - 1, 0, n - 1))
            hi = int(np.clip(round(n * p + half) - 1, 0, n - 1))
            assert se[k] == 0.5 * (xs[hi] - xs[lo])


def test_mean_se_of_all_zero_counts_takes_the_short_path_to_the_same_values():
    from doseesc.results import _wmean_se

    z = np.zeros((50, 3), dtype=np.int32)
    m, se = _wmean_se(z, None, False)
    assert m.shape == (3,) and np.all(m == 0) and np.all(se == 0)
    one = z.copy()
    one[7, 1] = 2
    m, se = _wmean_se(one, None, False)
    assert m[1] == 2 / 50 and se[1] == np.sqrt((4 - 2 * (2 / 50)) / 49 / 50) and m[0] == 0 and se[0] == 0


def test_duration_quantile_ses_agree_with_the_spread_over_seeds():
    """The SEs printed with the duration quantiles of one run, against the SD of those quantiles
    over 30 independent runs (seeds): ratios within [0.7, 1.4] (the SD of 30 values is itself
    uncertain by about 13%)."""
    tm = de.TimeModel(window=28, accrual="poisson", rate=3 / 28)
    sc = de.Scenario([0.05, 0.1, 0.2, 0.35], target=0.3, time=tm)
    qs, ses = [], []
    for seed in range(30):
        d = de.simulate(de.BOIN(target=0.3, cohort_size=3, max_n=18), sc, 2000, seed).to_dict()
        qs.append(list(d["duration_quantiles"].values()))
        ses.append(list(d["duration_quantiles_se"].values()))
        assert list(d["duration_quantiles_se"]) == ["5%", "25%", "50%", "75%", "95%"]
    ratio = np.mean(ses, axis=0) / np.std(qs, axis=0, ddof=1)
    assert np.all((ratio > 0.7) & (ratio < 1.4)), ratio
    oc = de.simulate(de.BOIN(target=0.3, cohort_size=3, max_n=18), sc, 2000, 1)
    line = [x for x in oc.summary().splitlines() if x.startswith("duration quantiles (SE): ")]
    assert len(line) == 1 and "50% " in line[0] and "(" in line[0]
