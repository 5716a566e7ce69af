"""Plain-Python reference simulators of the 3+3, the CRM and the BLRM with backfill cohorts, written from
the rules in :class:`doseesc.designs.backfill.Backfill` (not from the kernel), for trial-by-trial
cross-checks of ``_kernels/backfill.py``.

Time model: the first patient arrives at time 0 (``clock_from="first_patient"``), gaps uniform
on (0, 2 / rate) (``accrual="uniform"``), DLT onset uniform in the window (``onset="uniform"``),
patients nobody can take are turned away. The random numbers are the package's counter-based
streams (``rng.uniform``), so each trial can be compared with the kernel's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from doseesc._kernels.rng import STREAM_ARRIVAL, STREAM_EFFICACY, STREAM_ONSET, STREAM_TOLERANCE, make_key, uniform

from . import naive


@dataclass
class Patient:
    dose: int
    enrolled: float
    known: float  # when the DLT outcome is known (onset if a DLT, else the end of the window)
    dlt: bool
    eff: bool
    backfill: bool


def _counts(patients, D, now=None):
    """Per-dose (patients, DLTs): all of them, or those whose outcome is known before ``now``."""
    n = np.zeros(D, dtype=int)
    y = np.zeros(D, dtype=int)
    for p in patients:
        if now is None or p.known < now:
            n[p.dose] += 1
            y[p.dose] += p.dlt
    return n, y


# ---------------------------------------------------------------- 3+3
class ThreeThree:
    """The 3+3 (bcrm threep3 with de-escalation) on counts that include backfill patients."""

    def __init__(self, design, D):
        self.deesc = design.deescalate
        self.D = D
        self.mode = "escalating"
        self.start = design.start_dose - 1
        self.fired = False  # whether backfill data ever made a lower dose too toxic


    def first(self):
        return self.start, 3

    def _too_toxic(self, n, b):
        """Dose ``b`` has >= 2 DLTs."""
        if not self.deesc:
            return None, 0, "rule"
        if b == 0:
            return None, 0, "safety"
        if n[b - 1] >= 6:
            return None, 0, "rule"
        self.mode = "de-escalating"
        return b - 1, (6 - n[b - 1] if n[b - 1] >= 3 else 3), "go"

    def decide(self, n, y, cur, c, k):
        for b in range(cur):  # a lower dose made too toxic by its backfill patients
            if y[b] >= 2:
                self.fired = True
                return self._too_toxic(n, b)
        if y[cur] >= 2:
            return self._too_toxic(n, cur)
        if n[cur] < 3:
            return cur, 3 - n[cur], "go"
        if n[cur] < 6 and (y[cur] == 1 or self.mode == "de-escalating"):
            return cur, 6 - n[cur], "go"
        if self.mode == "de-escalating" or cur == self.D - 1 or y[cur + 1] >= 2:
            return None, 0, "rule"
        return cur + 1, 3, "go"

    def highest_safe(self, n, y, cur):
        top = cur - 1
        for b in range(cur):
            if y[b] >= 2:
                return b - 1
        return top

    @staticmethod
    def select(n, y):
        best = -1
        for d in range(len(n)):
            if y[d] >= 2:
                break
            if n[d] >= 3 and y[d] / n[d] <= 1 / 6:
                best = d
        return best


# ---------------------------------------------------------------- CRM
class CRMRef:
    """The CRM (Bayes, one stage, dfcrm's restrictions) with every known outcome in the model;
    posterior means by scipy quadrature (:func:`naive.crm_posterior_mean`), memoised."""

    def __init__(self, design, D):
        self.d = design
        self.memo = {}
        self.fired = False

    def first(self):
        return self.d.start_dose - 1, self.d.cohort_size

    def rec(self, n, y):
        key = (tuple(n), tuple(y))
        if key not in self.memo:
            d = self.d
            b = naive.crm_posterior_mean(d.model, d.skeleton, d.intercept, d.prior_sd, n, y)
            self.memo[key] = naive.closest(naive.crm_p(d.model, d.skeleton, d.intercept, b), d.target)
        return self.memo[key]

    def decide(self, n, y, cur, c, k):
        nxt = self.rec(n, y)
        if self.d.restrict:
            if k / c >= self.d.target:
                nxt = min(nxt, cur)
            elif not self.d.skip_escalation:
                nxt = min(nxt, cur + 1)
        return nxt, self.d.cohort_size, "go"

    def highest_safe(self, n, y, cur):
        return min(cur - 1, self.rec(n, y))

    def select(self, n, y):
        return self.rec(n, y)


# ---------------------------------------------------------------- BLRM
class BLRMRef:
    """The BLRM (rules "ncrm" and "ewoc") with every known outcome in the model. The per-dose
    interval probabilities come from the package's posterior (``_kernels.blrm.summaries``, which
    tests/test_blrm.py checks against brute-force quadrature to 1e-6) on the grid the backfill
    design uses; everything else is written here from the rules in the BLRM and Backfill
    docstrings: the overdose bound (feasibility bound over ceil(n / cohort_size) cohorts),
    eligibility (P(overdose) <= bound, below every ineligible dose), NCRM's and EWOC's choice,
    the increments and no-skipping limits, the stopping rules min_patients and
    patients_near_dose on all patients, the safety test and the final selection."""

    def __init__(self, design, D, cap):
        from doseesc._kernels import blrm as K

        self.K = K
        self.d = design
        self.D = D
        T = min(design.max_n + D * (cap + 1), 1000)
        self.low = replace(design, max_n=T).lower(D)
        self.work = np.zeros(self.low.n_work)
        self.inc = design._increment_limits()
        self.memo = {}
        self.last = design.start_dose - 1
        self.fired = False

    def first(self):
        return self.d.start_dose - 1, self.d.cohort_size

    def probs(self, n, y):
        key = (tuple(n), tuple(y))
        if key not in self.memo:
            D = self.D
            out = np.zeros(8 * D)
            low = self.low
            self.K.summaries(low.ipar, low.fpar, low.tab, np.asarray(n, dtype=np.int64),
                             np.asarray(y, dtype=np.int64), self.work, -1, out)
            self.memo[key] = (out[2 * D:3 * D].copy(), out[:D] - out[D:2 * D])
        return self.memo[key]

    def bound(self, n):
        d = self.d
        if d.overdose_max_start is None:
            return d.overdose_max
        k = math.ceil(sum(n) / d.cohort_size)
        return min(d.overdose_max, d.overdose_max_start + d.overdose_max_step * max(k - 1, 0))

    def eligible_top(self, n, y, lim):
        """The highest dose up to ``lim`` below every ineligible dose (-1: dose 0 ineligible)."""
        p_over, _ = self.probs(n, y)
        a = self.bound(n)
        for b in range(lim + 1):
            if not p_over[b] <= a:
                return b - 1
        return lim

    def next_best(self, n, y, cur):
        lim = self.D - 1
        if cur >= 0:
            lim = min(lim, int(self.inc[cur]))
        if not self.d.skip_untried:
            tried = [b for b in range(self.D) if n[b] > 0]
            lim = min(lim, (tried[-1] if tried else -1) + 1)
        e = self.eligible_top(n, y, lim)
        if e < 0 or self.d.rule == "ewoc":
            return e
        _, p_t = self.probs(n, y)
        best = int(np.argmax(p_t[:e + 1]))  # the first maximum, as R's which.max
        return best if p_t[best] > self.d.min_target_prob else e

    def stop(self, n, nbd):
        from doseesc.designs.blrm import MinPatients, PatientsNearDose

        if self.d.stopping is None:
            return False
        doses = np.asarray(self.d.doses)
        for clause in self.d.stopping.dnf():
            ok = True
            for a in clause:
                if type(a) is MinPatients:
                    ok &= sum(n) >= a.n
                elif type(a) is PatientsNearDose:
                    x = doses[nbd]
                    near = (doses >= (100 - a.percentage) / 100 * x) & (doses <= (100 + a.percentage) / 100 * x)
                    ok &= int(np.sum(np.asarray(n)[near])) >= a.n
                else:
                    raise NotImplementedError(type(a).__name__)
            if ok:
                return True
        return False

    def decide(self, n, y, cur, c, k):
        self.last = cur
        nbd = self.next_best(n, y, cur)
        if nbd < 0:
            return None, 0, "safety"
        if self.stop(n, nbd):
            return nbd, 0, "rule"
        return nbd, self.d.cohort_size, "go"

    def highest_safe(self, n, y, cur):
        return self.eligible_top(n, y, cur - 1)

    def select(self, n, y):
        return self.next_best(n, y, self.last)


def trial(kind, design, p_tox, p_eff, seed, t, rate, window, cap, max_n=None, end_with_escalation=True):
    """One trial; returns (selected 0-based or -1, n, y, n_backfill, duration, turned away, whether
    a lower dose's backfill data triggered a 3+3 de-escalation).
    The final analysis waits for every backfill patient's outcome (``wait_for_backfill=True``)."""
    D = len(p_tox)
    key = make_key(seed, 0)
    rule = ThreeThree(design, D) if kind == "3+3" else CRMRef(design, D) if kind == "crm" else BLRMRef(design, D, cap)
    if max_n is None:
        max_n = 6 * D if kind == "3+3" else design.max_n
    patients: list[Patient] = []
    cohort: list[Patient] = []
    cur, c = rule.first()
    c = min(c, max_n)
    esc_total = 0
    escalating = True
    stopped = "go"
    turned = 0
    last_end = 0.0
    now = 0.0
    j = 0

    def open_dose(now):
        n, y = _counts(patients, D, now)
        b = rule.highest_safe(n, y, cur)
        enrolled, _ = _counts(patients, D)
        while b >= 0:
            seen = any(p.dose == b and p.eff and p.enrolled + window < now for p in patients)
            if seen and enrolled[b] <= cap:
                return b
            b -= 1
        return -1

    while True:
        dose, esc = -1, False
        if not escalating:
            dose = open_dose(now)
            if dose < 0:
                break
        elif len(cohort) < c:
            dose, esc = cur, True
        elif max(p.known for p in cohort) < now:  # the cohort is complete: decide
            k = sum(p.dlt for p in cohort)
            esc_total += len(cohort)
            last_end = max(p.known for p in cohort)
            n, y = _counts(patients, D, now)
            nxt, size, stopped = rule.decide(n, y, cur, len(cohort), k)
            if stopped == "go" and esc_total >= max_n:
                stopped = "max_n"
            if stopped != "go":
                if end_with_escalation or stopped == "safety":
                    break
                escalating = False
                dose = open_dose(now)
                if dose < 0:
                    break
            else:
                cur, c, cohort = nxt, min(size, max_n - esc_total), []
                dose, esc = cur, True
        elif cur > 0:
            dose = open_dose(now)
        if dose >= 0:
            i = len(patients)
            dlt = float(uniform(key, t, i, STREAM_TOLERANCE)) < p_tox[dose]
            eff = float(uniform(key, t, i, STREAM_EFFICACY)) < p_eff[dose]
            known = now + (window * float(uniform(key, t, i, STREAM_ONSET)) if dlt else window)
            p = Patient(dose, now, known, dlt, eff, not esc)
            patients.append(p)
            if esc:
                cohort.append(p)
        else:
            turned += 1
        j += 1
        now += 2.0 * float(uniform(key, t, j, STREAM_ARRIVAL)) / rate
    n, y = _counts(patients, D)
    nbf = np.zeros(D, dtype=int)
    duration = last_end
    for p in patients:
        if p.backfill:
            nbf[p.dose] += 1
            duration = max(duration, p.known)
    sel = -1 if stopped == "safety" else rule.select(n, y)
    return sel, n, y, nbf, duration, turned, rule.fired
