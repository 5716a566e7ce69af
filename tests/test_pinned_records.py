"""Records pinned before the speed work of issue 15 (decision caches, fewer transcendentals).

Every case below was simulated at commit cd0bf52 (before any of that work) and its per-trial
records hashed with :func:`tests.naive.records_hash`; a speed change may not change a single
record. Together with the hashes in ``test_time.py`` and ``test_tite.py`` they cover every
kernel path the speed work touches: CRM (empiric / logistic, cohorts of 1 and 3, unrestricted,
model-based safety stop, likelihood with a two-stage start), TITE-CRM (linear / adaptive
weights, empiric / logistic, fixed / Poisson accrual, drop-out), TITE-BOIN (imputation / ESS
estimate, turn away / queue, late onset, drop-out), the interval designs and 3+3, and exact
enumeration (whose probabilities are pinned to 1e-15).
"""

from __future__ import annotations

import numpy as np
import pytest

import doseesc as de

from . import naive

P5 = [0.05, 0.12, 0.25, 0.40, 0.55]
SK5 = [0.05, 0.12, 0.25, 0.40, 0.55]
TM_FIX = dict(window=1.0, accrual="fixed", rate=2.0)
TM_POI = dict(window=3.0, accrual="poisson", rate=2.0)


def _sc(p=P5, target=0.25, tm=None):
    return de.Scenario(p, target=target, p_ae=[0.1] * len(p), time=None if tm is None else de.TimeModel(**tm))


CASES = {
    # cohort loop, no time model
    "crm/empiric/c1": (lambda: de.CRM(skeleton=SK5, target=0.25, max_n=24), lambda: _sc(), "9c2d75cf808df22d"),
    "crm/logistic/c1": (lambda: de.CRM(skeleton=SK5, target=0.25, max_n=24, model="logistic"), lambda: _sc(),
                        "d87041d6658d7886"),
    "crm/empiric/c3/norestrict": (lambda: de.CRM(skeleton=SK5, target=0.25, max_n=30, cohort_size=3,
                                                 restrict=False), lambda: _sc([0.1, 0.2, 0.3, 0.45, 0.6]),
                                  "f97fedfc5b0b0852"),
    "crm/logistic/safety": (lambda: de.CRM(skeleton=SK5, target=0.25, max_n=20, model="logistic",
                                           model_safety_threshold=0.9),
                            lambda: _sc([0.3, 0.4, 0.5, 0.6, 0.7]), "2a008b1abcefcecc"),
    "crm/likelihood/x0": (lambda: de.CRM(skeleton=SK5, target=0.25, max_n=18, method="likelihood",
                                         x0=[1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5], cohort_size=1),
                          lambda: _sc(), "a0c3ab3d44fbc9d0"),
    "boin/c3": (lambda: de.BOIN(target=0.3, cohort_size=3, max_n=30), lambda: _sc([0.05, 0.1, 0.2, 0.3, 0.45, 0.6],
                                                                                  0.3), "7106f130a8c47153"),
    "keyboard/c3": (lambda: de.Keyboard(target=0.3, cohort_size=3, max_n=30),
                    lambda: _sc([0.05, 0.1, 0.2, 0.3, 0.45, 0.6], 0.3), "4c8d61721f499652"),
    "3+3": (lambda: de.ThreePlusThree(), lambda: _sc([0.05, 0.1, 0.2, 0.3, 0.45, 0.6], 0.3), "2f91d65a52a98ff6"),
    # TITE-CRM
    "titecrm/empiric/linear/fixed": (lambda: de.TITECRM(skeleton=[0.203956, 0.3, 0.401819, 0.501346], target=0.3,
                                                        max_n=20), lambda: _sc([0.1, 0.2, 0.3, 0.45], 0.3, TM_FIX),
                                     "f205df95e976b939"),
    "titecrm/logistic/linear/poisson": (lambda: de.TITECRM(skeleton=SK5, target=0.25, max_n=24, model="logistic"),
                                        lambda: _sc(tm=TM_POI), "9474e869773a3a64"),
    "titecrm/empiric/adaptive/poisson": (lambda: de.TITECRM(skeleton=SK5, target=0.25, max_n=24, scheme="adaptive"),
                                         lambda: _sc(tm=TM_POI), "72c963c9b8c5b6d0"),
    "titecrm/norestrict/fixed3": (lambda: de.TITECRM(skeleton=SK5, target=0.25, max_n=18, restrict=False),
                                  lambda: _sc([0.2, 0.3, 0.4, 0.5, 0.6],
                                              tm=dict(window=1.0, accrual="fixed", rate=3.0)),
                                  "4817594489c9807f"),
    "titecrm/dropout": (lambda: de.TITECRM(skeleton=SK5, target=0.25, max_n=20),
                        lambda: _sc(tm=dict(TM_POI, dropout=0.1)), "59aad0083080cf5e"),
    # TITE-BOIN
    "titeboin/imputation/poisson": (lambda: de.TITEBOIN(target=0.3, max_n=30, cohort_size=3),
                                    lambda: _sc([0.05, 0.15, 0.30, 0.45, 0.60], 0.3, TM_POI), "9487e159a33c4c6a"),
    "titeboin/ess/late": (lambda: de.TITEBOIN(target=0.3, max_n=36, cohort_size=3, estimate="ess"),
                          lambda: _sc([0.13, 0.28, 0.41, 0.50, 0.60, 0.70], 0.3, dict(TM_POI, onset="late")),
                          "3673521ee4fb6e5c"),
    "titeboin/ess/fixed/queue": (lambda: de.TITEBOIN(target=0.25, max_n=24, cohort_size=1, estimate="ess"),
                                 lambda: _sc(tm=dict(window=1.0, accrual="fixed", rate=3.0, waiting="queue")),
                                 "c35e820394f7518f"),
    "titeboin/imputation/fixed/c1": (lambda: de.TITEBOIN(target=0.25, max_n=24, cohort_size=1),
                                     lambda: _sc(tm=TM_FIX), "7e09292fd691eb5f"),
    "titeboin/dropout": (lambda: de.TITEBOIN(target=0.25, max_n=24, cohort_size=3, extrasafe=True),
                         lambda: _sc([0.2, 0.3, 0.4, 0.5, 0.6], tm=dict(TM_POI, dropout=0.15)), "7e80bc712b43e727"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_records_unchanged(name):
    make, scen, expect = CASES[name]
    rec = de.simulate(make(), scen(), n_trials=300, seed=11).records
    assert naive.records_hash(rec) == expect


EXACT = {
    "3+3/6": (lambda: de.ThreePlusThree(), [0.05, 0.1, 0.2, 0.3, 0.45, 0.6]),
    "3+3/escalation-only": (lambda: de.ThreePlusThree(deescalate=False), [0.05, 0.15, 0.30, 0.45, 0.60]),
    "boin/18": (lambda: de.BOIN(target=0.25, cohort_size=3, max_n=18), P5),
    "crm/logistic/12": (lambda: de.CRM(skeleton=SK5, target=0.25, max_n=12, model="logistic"), P5),
}
# (selection, n_patients, no_selection) at cd0bf52
EXACT_VALUES = {
    "3+3/6": ([0.09712639847244303, 0.2772857839083625, 0.32793065121476417, 0.21814095680769066,
               0.046366895607877746, 0.005967262800963677],
              [3.6644112674059413, 4.314621998954484, 4.43099058004923, 3.236314471320883, 1.4467948420679884,
               0.2797154437951726], 0.027182051187897682),
    "3+3/escalation-only": ([0.18126233387066384, 0.40063463892851775, 0.29979893424387716, 0.08418340805531478,
                             0.00756282552662659],
                            [3.4061250000000007, 3.8697975497871098, 3.424593304598996, 1.6543272772100617,
                             0.3545074465606214], 0.026557859375000017),
    "boin/18": ([0.02794006297126517, 0.3264562216374056, 0.46975667634640045, 0.1646786315696433,
                 0.010952105684981778],
                [5.051261965387873, 6.46994632598671, 4.341794567705464, 1.9382121269313677, 0.19590484683567602],
                0.00021630179030364738),
    "crm/logistic/12": ([0.047527680533644055, 0.25135209785367907, 0.40673205565067694, 0.2462599935698203,
                         0.04812817239217967],
                        [2.359584220144901, 2.9518326008495674, 3.3223600258692803, 2.1721061282507814,
                         1.194117024885469], 0.0),
}


@pytest.mark.parametrize("name", list(EXACT))
def test_exact_unchanged(name):
    make, p = EXACT[name]
    ex = de.exact(make(), de.Scenario(p, target=0.25))
    sel, npat, none = EXACT_VALUES[name]
    np.testing.assert_allclose(ex.selection, sel, rtol=0, atol=1e-15)
    np.testing.assert_allclose(ex.n_patients, npat, rtol=0, atol=1e-13)
    assert abs(ex.no_selection - none) <= 1e-15


# The peer-benchmark settings of benchmarks/bench_peers.py ("tite-crm", "tite-boin"), exactly as timed
# there (no AE probabilities), 20,000 trials: hashed at 7407610, before the TITE speed work of
# issue 15 item 4 (loop order and pending-term rows in the TITE-CRM posterior, its cache layout).
BENCH = {
    "tite-crm": (lambda: de.TITECRM(skeleton=[0.203956, 0.3, 0.401819, 0.501346], target=0.3, max_n=20),
                 lambda: de.Scenario([0.10, 0.20, 0.30, 0.45], target=0.3,
                                     time=de.TimeModel(window=1, accrual="fixed", rate=2)), "60ef03cb4630fdcc"),
    "tite-boin": (lambda: de.TITEBOIN(target=0.3, max_n=36, cohort_size=3, estimate="ess"),
                  lambda: de.Scenario([0.13, 0.28, 0.41, 0.50, 0.60, 0.70], target=0.3,
                                      time=de.TimeModel(window=3, accrual="poisson", rate=2, onset="late")),
                  "15a6a86804cfa9ab"),
}


@pytest.mark.parametrize("name", list(BENCH))
def test_benchmark_records_unchanged(name):
    make, scen, expect = BENCH[name]
    rec = de.simulate(make(), scen(), n_trials=20_000, seed=3).records
    assert naive.records_hash(rec) == expect
