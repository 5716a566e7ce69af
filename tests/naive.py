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
        if x is not None:  # counts as int64 whatever the records' integer type: the hash pins values
            x = np.asarray(x)
            m.update(np.ascontiguousarray(x.astype(np.int64) if x.dtype.kind in "iu" else x).tobytes())
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


def a_plus_b(p_tox, u, A, B, C, D, E, start=1, deescalate=True):
    """Lin & Shih's (2001) A+B written out as a protocol would, independently of the 3+3 above:
    returns (selected 1-based or 0, n, y). ``u``: one tolerance per patient in order of enrolment."""
    K = len(p_tox)
    n = [0] * K
    y = [0] * K
    it = iter(u)

    def treat(d, k):
        for _ in range(k):
            n[d - 1] += 1
            y[d - 1] += next(it) < p_tox[d - 1]

    def acceptable(d):  # fewer than C of A, or at most E of A + B
        return (n[d - 1] == A and y[d - 1] < C) or (n[d - 1] == A + B and y[d - 1] <= E)

    d = start
    while True:  # escalation
        treat(d, A)
        if y[d - 1] > D:
            break  # exceeds the MTD
        if y[d - 1] >= C:
            treat(d, B)
            if y[d - 1] > E:
                break
        if d == K:
            return d, n, y
        d += 1
    if not deescalate:
        return (d - 1 if d > 1 and acceptable(d - 1) else 0), n, y
    while True:  # de-escalation: d exceeds the MTD
        if d == 1:
            return 0, n, y
        b = d - 1
        if n[b - 1] == A + B:
            return b, n, y
        if n[b - 1] == 0:
            treat(b, A)
            if y[b - 1] > D:
                d = b
                continue
        treat(b, A + B - n[b - 1])
        if y[b - 1] <= E:
            return b, n, y
        d = b


def a_plus_b_escalation_only(p_tox, A, B, C, D, E):
    """Lin & Shih's closed forms for the A+B without de-escalation: P(select dose 0..K) (0: none)
    and the expected patients per dose. At dose j, P(escalate) = P(X < C) + sum_{k=C}^{D}
    P(X = k) P(Z <= E - k), X ~ Bin(A, p_j), Z ~ Bin(B, p_j); B more are treated when
    C <= X <= D."""
    from scipy import stats

    esc, more = [], []
    for p in p_tox:
        x, z = stats.binom(A, p), stats.binom(B, p)
        esc.append(x.cdf(C - 1) + sum(x.pmf(k) * z.cdf(E - k) for k in range(C, D + 1)))
        more.append(sum(x.pmf(k) for k in range(C, D + 1)))
    K = len(p_tox)
    reach = [float(np.prod(esc[:j])) for j in range(K + 1)]  # P(the trial treats dose j + 1)
    sel = [1 - esc[0]] + [reach[j + 1] * (1 - esc[j + 1]) for j in range(K - 1)] + [reach[K]]
    n = [reach[j] * (A + B * more[j]) for j in range(K)]
    return np.array(sel), np.array(n)


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


def blrm_posterior(doses, d_ref, prior, n, y, cuts, box_sd=12.0):
    """Brute-force BLRM posterior summaries by nested adaptive quadrature (scipy ``quad_vec``),
    for checking the kernel's grid integration.

    Model ``logit p_d = a + exp(b) log(dose_d / d_ref)``; ``prior`` is a list of components
    ``(weight, (m_a, m_b), (s_a, s_b), corr)``. Returns ``(mean_p, upper)`` where ``mean_p[d]``
    is E[p_d | data] and ``upper[d, c]`` is P(p_d > cuts[c] | data).

    The inner integral over ``a`` (for fixed ``b``) is split at every threshold
    ``logit(cut) - exp(b) x_d`` and at the conditional mode, so each piece is smooth; the outer
    integral over ``b`` is split at the posterior mode. Integration limits: the prior box
    widened to ``box_sd`` sds (the likelihood is at most 1).
    """
    from scipy import special

    doses = np.asarray(doses, dtype=float)
    x = np.log(doses / d_ref)
    n = np.asarray(n, dtype=float)
    y = np.asarray(y, dtype=float)
    t = special.logit(np.asarray(cuts, dtype=float))
    D, C = x.size, t.size
    comps = []
    for w, (ma, mb), (sa, sb), r in prior:
        det = 1 - r * r
        comps.append((math.log(w) - math.log(2 * math.pi * sa * sb * math.sqrt(det)), ma, mb, sa, sb, r, det))
    a_lo = min(c[1] - box_sd * c[3] for c in comps)
    a_hi = max(c[1] + box_sd * c[3] for c in comps)
    b_lo = min(c[2] - box_sd * c[4] for c in comps)
    b_hi = max(c[2] + box_sd * c[4] for c in comps)

    def logpost(a, b):
        a = np.asarray(a, dtype=float)
        lp = []
        for ln, ma, mb, sa, sb, r, det in comps:
            za, zb = (a - ma) / sa, (b - mb) / sb
            lp.append(ln - 0.5 * (za * za - 2 * r * za * zb + zb * zb) / det)
        s = np.logaddexp.reduce(np.array(lp), axis=0)
        beta = math.exp(b)
        for d in range(D):
            if n[d] > 0:
                eta = a + beta * x[d]
                s = s + y[d] * -np.logaddexp(0, -eta) + (n[d] - y[d]) * -np.logaddexp(0, eta)
        return s

    # the posterior mode, to scale the integrand and to split the integrals there
    res = optimize.minimize(lambda v: -logpost(v[0], v[1]), x0=np.array([comps[0][1], comps[0][2]]),
                            method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
    a_mode, b_mode = res.x
    top = -res.fun

    def inner(b):
        beta = math.exp(b)
        thr = (t[None, :] - beta * x[:, None]).ravel()  # thresholds in a, dose-major
        cond = optimize.minimize_scalar(lambda a: -logpost(a, b), bracket=(a_mode - 1, a_mode + 1))
        pts = np.unique(np.clip(np.concatenate([thr, [cond.x]]), a_lo, a_hi))
        pts = pts[(pts > a_lo) & (pts < a_hi)]

        def g(a):
            w = math.exp(float(logpost(a, b)) - top)
            p = special.expit(a + beta * x)
            return np.concatenate([[w], w * p, w * (a > thr)])

        val, _ = integrate.quad_vec(g, a_lo, a_hi, points=list(pts), epsabs=1e-15, epsrel=1e-12, limit=2000)
        return val

    outer, _ = integrate.quad_vec(inner, b_lo, b_hi, points=[b_mode], epsabs=1e-15, epsrel=1e-11, limit=2000)
    z = outer[0]
    return outer[1:1 + D] / z, (outer[1 + D:] / z).reshape(D, C)


# ----------------------------------------------------------------------------- efficacy
def efficacies(seed: int, trial: int, n: int, scenario: int = 0) -> list[float]:
    """The efficacy uniforms (stream 4) of patients 0..n-1."""
    key = make_key(seed, scenario)
    return [float(uniform(key, trial, i, 4)) for i in range(n)]


def patient_outcome(sc, d, u, v):
    """(DLT, response) of a patient with uniforms (u, v) at 0-based dose d, by the definition:
    DLT iff u < p_tox; response iff v < P(E | DLT) or P(E | no DLT), from the joint cells."""
    t = u < sc.p_tox[d]
    j = sc.p_joint[d]  # (E no T, neither, both, T no E)
    if t:
        pe = j[2] / (j[2] + j[3]) if j[2] + j[3] > 0 else sc.p_eff[d]
    else:
        pe = j[0] / (j[0] + j[1]) if j[0] + j[1] > 0 else sc.p_eff[d]
    if sc.association == "independent" and sc.p_both is None:
        pe = sc.p_eff[d]
    return bool(t), bool(v < pe)


def boin12_trial(design, sc, us, vs, stop_any=None, reasons=None):
    """One BOIN12 trial written out from escalation's R code (boin12_next_dose,
    boin12_admissible, boin12_pbenchmark, select_boin12_obd) with scipy's Beta functions.

    ``us``/``vs``: toxicity and efficacy uniforms per patient; ``stop_any``: escalation's
    ``stop_when_n_at_dose(stop_any, dose = "any")``. Returns (selected 1-based or 0, n, y, e).
    A stop with no admissible dose appends its kind to ``reasons`` (when given): "safety" when no
    dose the decision considered passes the toxicity criterion, else "futility" (doseesc's split;
    escalation records neither).
    """
    from scipy import stats

    from doseesc.designs.interval import _boin_lambdas

    D = sc.n_doses
    phi_t, phi_e, u2, u3 = design.phi_t, design.phi_e, design.u2, design.u3
    lam_e, lam_d = _boin_lambdas(phi_t, 0.6 * phi_t, 1.4 * phi_t)
    u_bar = 100 * phi_e * (1 - phi_t) + u2 * (1 - phi_t) * (1 - phi_e) + u3 * phi_t * phi_e + 0 * phi_t * (1 - phi_e)
    u_b = u_bar + (100 - u_bar) / 2
    pts = []  # (dose 1-based, tox, eff)

    def counts(d):
        rows = [p for p in pts if p[0] == d]
        return (len(rows), sum(p[1] for p in rows), sum(p[2] for p in rows),
                sum(1 for p in rows if p[1] and p[2]))

    def admissible(cands):
        out = []
        for d in cands:
            n, t, e, _ = counts(d)
            if stats.beta.sf(phi_t, 1 + t, 1 + n - t) >= design.c_t:
                continue
            if stats.beta.cdf(phi_e, 1 + e, 1 + n - e) >= design.c_e:
                continue
            out.append(d)
        return out

    def stop_kind(cands):
        tox_ok = [d for d in cands
                  if stats.beta.sf(phi_t, 1 + counts(d)[1], 1 + counts(d)[0] - counts(d)[1]) < design.c_t]
        if reasons is not None:
            reasons.append("futility" if tox_ok else "safety")

    def pbench(d):
        n, t, e, b = counts(d)
        y1, y3, y4 = e - b, b, t - b
        y2 = n - y1 - y3 - y4
        x = (100 * y1 + u2 * y2 + u3 * y3 + 0 * y4) / 100
        return 100 * stats.beta.sf(u_b / 100, 1 + x, 1 + n - x)

    cur = design.start_dose
    i = 0
    while True:
        c = min(design.cohort_size, design.max_n - len(pts))
        for _ in range(c):
            t, e = patient_outcome(sc, cur - 1, us[i], vs[i])
            pts.append((cur, int(t), int(e)))
            i += 1
        n, t, _, _ = counts(cur)
        p_t = t / n
        cands = list(dict.fromkeys([max(1, cur - 1), cur, min(D, cur + 1)]))
        adm = admissible(cands)
        if n > 8 and p_t < lam_d and cur != D and counts(cur + 1)[0] == 0:
            nxt = cur + 1
        elif p_t >= lam_d:
            nxt = max(cur - 1, 1)
        elif lam_e < p_t < lam_d and n >= design.n_star:
            # R: `if(currentdose-1 %in% admissible & currentdose %in% admissible)` and
            # `ifelse(currentdose-1 %in% admissible, currentdose-1, ifelse(...))`, where %in% binds
            # tighter than `-`: the tests are `currentdose - (1 %in% admissible)` (as a number)
            t1 = (cur - (1 in adm)) != 0
            if t1 and cur in adm:
                s = [pbench(cur - 1), pbench(cur)]
                nxt = [cur - 1, cur][int(np.argmax(s))]
            elif t1:
                nxt = cur - 1
            else:
                nxt = cur if cur in adm else 1
            if nxt == 0:  # escalation's next dose 0: stop, no dose
                stop_kind([1])
                return 0, *(np.array([counts(d)[k] for d in range(1, D + 1)]) for k in range(3))
        elif not adm:
            stop_kind(cands)
            return 0, *(np.array([counts(d)[k] for d in range(1, D + 1)]) for k in range(3))
        else:
            s = [pbench(d) for d in adm]
            nxt = adm[max(j for j in range(len(s)) if s[j] == max(s))]
        stop = len(pts) >= design.max_n
        if stop_any is not None and any(counts(d)[0] >= stop_any for d in range(1, D + 1)):
            stop = True
        if stop:
            break
        cur = nxt
    # select_boin12_obd
    given = [d for d in range(1, D + 1) if counts(d)[0] > 0]
    x = [counts(d)[1] / counts(d)[0] for d in given]
    lvl = list(range(len(x)))
    while True:
        viol = [j for j in range(len(x) - 1) if x[j + 1] < x[j]]
        if not viol:
            break
        j = viol[0]
        l1, l2 = lvl[j], lvl[j + 1]
        idx = [k for k in range(len(x)) if lvl[k] in (l1, l2)]
        m = math.fsum(x[k] for k in idx) / len(idx)
        for k in idx:
            x[k] = m
            lvl[k] = l1
    dist = [abs(v - phi_t) for v in x]
    mtd = given[max(j for j in range(len(dist)) if dist[j] == min(dist))]
    scores = [pbench(d) for d in range(1, mtd + 1)]
    sel = int(np.argmax(scores)) + 1
    return sel, *(np.array([counts(d)[k] for d in range(1, D + 1)]) for k in range(3))
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


def default_sigint() -> None:
    """``preexec_fn`` for a child that must see Ctrl-C as a shell would deliver it: SIGINT
    unblocked and at its default action. A child inherits its parent's signal mask and ignored
    signals; in full test-suite runs (not in smaller selections, and not traced further) children
    of the test process ran on through SIGINT to exit 0."""
    import signal

    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)
