"""Slow, obviously-correct reference implementations, for trial-by-trial cross-checks.

They take the same latent tolerances as the kernels (``doseesc._kernels.rng.uniform``), so
every simulated trial can be compared, not just averages.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from scipy import integrate, optimize

from doseesc._kernels.rng import make_key, uniform


def records_hash(rec) -> str:
    """A short sha256 of a run's per-trial records (to pin results across code changes)."""
    m = hashlib.sha256()
    for f in ("selected", "n_patients", "n_dlt", "n_ae", "stop_reason", "duration", "waited", "turned_away"):
        x = getattr(rec, f)
        m.update(f.encode())
        if x is not None:
            m.update(np.ascontiguousarray(x).tobytes())
    return m.hexdigest()[:16]


def tolerances(seed: int, trial: int, n: int, scenario: int = 0) -> list[float]:
    key = make_key(seed, scenario)
    return [float(uniform(key, trial, i, 0)) for i in range(n)]


def three_plus_three(p_tox, u, start=1, deescalate=True):
    """The 3+3 written out as a protocol would: returns (selected 1-based or 0, n, y)."""
    D = len(p_tox)
    n = [0] * D
    y = [0] * D
    it = iter(u)

    def treat(d, k=3):
        for _ in range(k):
            n[d - 1] += 1
            y[d - 1] += next(it) < p_tox[d - 1]

    d = start
    # escalation phase
    while True:
        treat(d)
        if y[d - 1] == 1:
            treat(d)
        if y[d - 1] >= 2:
            break  # d too toxic
        if d == D:
            return d, n, y
        d += 1
    if not deescalate:
        below = d - 1
        ok = below >= 1 and n[below - 1] >= 3 and 6 * y[below - 1] <= n[below - 1]
        return (below if ok else 0), n, y
    # de-escalation phase: d is too toxic
    while True:
        if d == 1:
            return 0, n, y
        b = d - 1
        if n[b - 1] >= 6:
            return b, n, y
        if n[b - 1] == 0:
            treat(b)
            if y[b - 1] >= 2:
                d = b
                continue
        treat(b)  # fill to 6
        if y[b - 1] <= 1:
            return b, n, y
        d = b


# ----------------------------------------------------------------------------- CRM
def crm_p(model, skeleton, intercept, b):
    """Working-model DLT probabilities at parameter ``b``."""
    s = np.asarray(skeleton, dtype=float)
    if model == "empiric":
        return s ** math.exp(b)
    x = np.log(s / (1 - s)) - intercept
    return 1.0 / (1.0 + np.exp(-intercept - math.exp(b) * x))


def crm_log_p_q(model, skeleton, intercept, b):
    """log p and log(1 - p), computed without underflow."""
    s = np.asarray(skeleton, dtype=float)
    if model == "empiric":
        lp = math.exp(b) * np.log(s)
        return lp, np.log(-np.expm1(lp))
    eta = intercept + math.exp(b) * (np.log(s / (1 - s)) - intercept)
    return -np.logaddexp(0, -eta), -np.logaddexp(0, eta)


def crm_loglik(model, skeleton, intercept, n, y, b):
    lp, lq = crm_log_p_q(model, skeleton, intercept, b)
    ll = 0.0
    for d in range(len(n)):
        if y[d]:
            ll += y[d] * lp[d]
        if n[d] - y[d]:
            ll += (n[d] - y[d]) * lq[d]
    return ll


def crm_posterior_mean(model, skeleton, intercept, prior_sd, n, y):
    """E[beta | data] with scipy.integrate.quad over the real line (split at the mode)."""
    def lpost(b):
        return crm_loglik(model, skeleton, intercept, n, y, b) - 0.5 * (b / prior_sd) ** 2

    mode = optimize.minimize_scalar(lambda b: -lpost(b), bounds=(-12 * prior_sd, 12 * prior_sd), method="bounded",
                                    options={"xatol": 1e-10}).x
    m = lpost(mode)

    def f(b, k):
        return b**k * math.exp(lpost(b) - m)

    # beyond 40 prior SDs the prior (and so the posterior, the likelihood being <= 1) is < e^-800
    lo, hi = -40 * prior_sd, 40 * prior_sd
    opts = dict(epsabs=0.0, epsrel=1e-12, limit=500)
    z = integrate.quad(f, lo, mode, args=(0,), **opts)[0] + integrate.quad(f, mode, hi, args=(0,), **opts)[0]
    z1 = integrate.quad(f, lo, mode, args=(1,), **opts)[0] + integrate.quad(f, mode, hi, args=(1,), **opts)[0]
    return z1 / z


def crm_prob_below(model, skeleton, intercept, prior_sd, n, y, bstar):
    """P(beta < bstar | data) by quad."""
    def lpost(b):
        return crm_loglik(model, skeleton, intercept, n, y, b) - 0.5 * (b / prior_sd) ** 2

    mode = optimize.minimize_scalar(lambda b: -lpost(b), bounds=(-12 * prior_sd, 12 * prior_sd), method="bounded").x
    m = lpost(mode)
    opts = dict(epsabs=0.0, epsrel=1e-12, limit=500)
    g = lambda b: math.exp(lpost(b) - m)
    pts = sorted([mode, bstar])
    parts = [integrate.quad(g, -40 * prior_sd, pts[0], **opts)[0], integrate.quad(g, pts[0], pts[1], **opts)[0],
             integrate.quad(g, pts[1], 40 * prior_sd, **opts)[0]]
    below = parts[0] + (parts[1] if bstar > mode else 0.0)
    return below / sum(parts)


def closest(p, target):
    """dfcrm's recommendation rule."""
    p = np.asarray(p)
    if np.all(p <= target):
        return len(p) - 1
    if np.all(p >= target):
        return 0
    return int(np.argmin(np.abs(p - target)))


def crm_trial(design, p_true, uniforms):
    """One CRM trial in plain Python (Bayes, one-stage), patient tolerances ``uniforms``.

    Returns (doses given per patient (0-based), DLT flags, final selection (0-based)).
    """
    D = len(design.skeleton)
    n = np.zeros(D, dtype=int)
    y = np.zeros(D, dtype=int)
    cur = design.start_dose - 1
    doses, tox = [], []
    total = 0
    while total < design.max_n:
        c = min(design.cohort_size, design.max_n - total)
        k = 0
        for i in range(c):
            t = uniforms[total + i] < p_true[cur]
            doses.append(cur)
            tox.append(int(t))
            k += t
        n[cur] += c
        y[cur] += k
        total += c
        if total >= design.max_n:
            break
        b = crm_posterior_mean(design.model, design.skeleton, design.intercept, design.prior_sd, n, y)
        nxt = closest(crm_p(design.model, design.skeleton, design.intercept, b), design.target)
        if design.restrict:
            if k / c >= design.target:
                nxt = min(nxt, cur)
            elif not design.skip_escalation:
                nxt = min(nxt, cur + 1)
        cur = nxt
    b = crm_posterior_mean(design.model, design.skeleton, design.intercept, design.prior_sd, n, y)
    sel = closest(crm_p(design.model, design.skeleton, design.intercept, b), design.target)
    return doses, tox, sel


# ----------------------------------------------------------------------------- complete-information benchmark
def benchmark_exact(p_tox, target, n, ties="monotone"):
    """Exact selection probabilities of the complete-information benchmark (monotone ``p_tox``).

    With tolerances u_1..u_n iid U(0, 1), the count at dose d is C_d = #{u_i < p_d}; given
    C_{d-1} = c, C_d - c is Binomial(n - c, (p_d - p_{d-1}) / (1 - p_{d-1})). A dynamic
    programme over doses carries (C_d, the doses tied for closest to n * target so far with the
    sign of their deviation, their distance). At the end, ``"lowest"`` gives the probability to
    the lowest tied dose; ``"monotone"`` keeps the highest tied dose below the target and the
    lowest above it (and the doses exactly at it) and splits the probability evenly among what
    is kept. Returns P(select dose d), d = 1..D.
    """
    from math import comb

    goal = n * target
    states = {(0, (), None): 1.0}  # (count, ((dose, sign), ...), distance) before dose 0
    prev = 0.0
    for d, p in enumerate(p_tox):
        q = 0.0 if prev >= 1 else (p - prev) / (1 - prev)
        new = {}
        for (c, tied, dist), pr in states.items():
            m = n - c
            for k in range(m + 1):
                pk = comb(m, k) * q**k * (1 - q) ** (m - k)
                if pk == 0.0:
                    continue
                cd = c + k
                dd = abs(cd - goal)
                sign = 0 if dd <= 1e-9 else (1 if cd > goal else -1)
                if not tied or dd < dist - 1e-9:
                    key = (cd, ((d, sign),), dd)
                elif dd <= dist + 1e-9:
                    key = (cd, tied + ((d, sign),), dist)
                else:
                    key = (cd, tied, dist)
                new[key] = new.get(key, 0.0) + pr * pk
        states = new
        prev = p
    out = [0.0] * len(p_tox)
    for (_, tied, _), pr in states.items():
        if ties == "lowest":
            out[tied[0][0]] += pr
            continue
        at = [d for d, s in tied if s == 0]
        if at:
            keep = at
        else:
            below = [d for d, s in tied if s < 0]
            above = [d for d, s in tied if s > 0]
            keep = ([below[-1]] if below else []) + ([above[0]] if above else [])
        for d in keep:
            out[d] += pr / len(keep)
    return out
