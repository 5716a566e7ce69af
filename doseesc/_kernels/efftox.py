"""EffTox kernels (Thall & Cook 2004; Thall, Herrick, Nguyen, Venier & Norris 2014).

Model, with coded doses x_d = log(dose_d) - mean(log dose) (``fpar[F_X + d]``)::

    logit pi_T(x) = alpha + beta x
    logit pi_E(x) = gamma + zeta x + eta x^2
    P(E = a, T = b | x) = pi_E^a (1 - pi_E)^(1 - a) pi_T^b (1 - pi_T)^(1 - b)
                          + (-1)^(a + b) pi_E (1 - pi_E) pi_T (1 - pi_T) (e^psi - 1) / (e^psi + 1)

with independent normal priors on the six parameters (trialr's ``EffTox.stan`` likelihood).

The posterior
-------------
The posterior depends on the data only through the per-dose counts of the four outcomes
(E no T, neither, both, T no E), i.e. on (n, y, e, b) per dose. It is computed by importance
sampling with a Laplace-based proposal:

1. the posterior mode by damped Newton iterations (gradient and Hessian of the log posterior
   by central differences), started at the prior mean;
2. a multivariate Student-t proposal (``I_NU`` degrees of freedom) centred at the mode with
   scale ``F_SCALE``^2 times the inverse negative Hessian;
3. ``I_M`` fixed proposal points: a scrambled Sobol sequence in 7 dimensions (six normal
   quantiles and the t radial factor), generated once in Python with a fixed seed and passed
   in ``tab`` (rows ``0 .. M - 1``: z_1..z_6, w, and the point's log inverse proposal density up
   to a constant, which depends on the point alone). The estimates are self-normalised weighted
   averages, so the result is a deterministic function of the counts (no Monte Carlo noise
   between calls: a decision never changes with a seed or a thread count). Each point's log
   likelihood is the log of the product of its cell probabilities (one log for all the doses
   while the product stays a normal double; the Newton steps and :func:`log_post` sum logs).

Its error against a brute-force reference (a long random-walk Metropolis run) is measured in
``benchmarks/efftox_posterior_error.py``, whose results the tests read.

Decisions (trialr's ``efftox_process``, the MD Anderson EffTox rules)
---------------------------------------------------------------------
Dose d is acceptable when P(pi_E(x_d) > efficacy_hurdle | data) > p_e, P(pi_T(x_d) <
toxicity_hurdle | data) > p_t and lowest tried - 1 <= d <= highest tried + 1 (no skipping of
untried doses). The next dose is the acceptable dose with the highest utility (the first
such dose in a tie); with no acceptable dose the trial stops with no dose selected. The
utility is u(pi_E, pi_T) = 1 - (((1 - pi_E) / (1 - eff0))^p + (pi_T / tox1)^p)^(1 / p),
evaluated at the posterior means of pi_E and pi_T (``I_UTIL`` = 0: the MD Anderson
software's and trialr's ``utility``) or averaged over the posterior (``I_UTIL`` = 1: trialr's
``post_utility``). The final selection is the same rule applied to the final data.

Decisions depend on the per-dose counts only, so they are cached by state in ``work``
(open addressing; full keys compared, so a hit is always the same state and the cache never
changes a result).
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from . import cache as _cache
from .codes import CONTINUE, FUTILITY, SAFETY

N_PAR = 6

I_START = 0
I_COHORT = 1
I_M = 2  # proposal points
I_NU = 3  # degrees of freedom of the t proposal (kernels use it only through the points in tab, drawn with it)
I_UTIL = 4  # 0: utility at the posterior means; 1: posterior mean of the utility
I_CACHE = 5  # cache capacity (entries, a power of two; 0 = off)
I_O_CACHE = 6  # offset of the cache in work
I_M1 = 7  # points of the first stage (0: no staging)
N_IPAR = 8

F_EFF_HURDLE = 0
F_TOX_HURDLE = 1
F_P_E = 2
F_P_T = 3
F_EFF0 = 4
F_TOX1 = 5
F_P = 6
F_SCALE = 7
F_MEAN = 8  # six prior means (alpha, beta, gamma, zeta, eta, psi)
F_SD = 14  # six prior sds
F_Z = 20  # staged precision: the first stage's decision stands when every margin exceeds F_Z SEs
F_X = 21  # coded doses
N_FPAR_BASE = 21

# summaries (rows of ``out``)
S_P_EFF = 0
S_P_TOX = 1
S_ACC_EFF = 2
S_ACC_TOX = 3
S_UTIL_PLUGIN = 4
S_UTIL_MEAN = 5
S_ESS = 6  # effective sample size of the weights (the same in every column)
S_SE = 7  # rows 7-10: importance-sampling SEs of rows 0-3 (when asked for)
S_W2F = 11  # rows 11-14: sum of w^2 f, rows 15-18: sum of w^2 f^2 (accumulators of the SEs)
N_SUM = 19
N_ACC = 4  # summaries with SEs: p_eff, p_tox, acc_eff, acc_tox

# work layout: [theta 6][mode 6][grad 6][hess 36][chol 36][step 6][trial 6][summaries N_SUM x D]
# [pi_E, pi_T of one draw: 2 D][sum w^2 f_i f_j over f = (pi_E, pi_T) per dose: (2 D)^2][8 spare][cache...]
O_THETA = 0
O_MODE = 6
O_GRAD = 12
O_HESS = 18
O_CHOL = 54
O_STEP = 90
O_TRY = 96
O_ACC = 102


def n_work_base(D: int) -> int:
    return O_ACC + (N_SUM + 2) * D + 4 * D * D + 8


def key_words(D: int) -> int:
    return D


def cache_entry(D: int) -> int:
    """int64 words per cache entry: tag, key words, value."""
    return 2 + key_words(D)


def n_work(D: int, capacity: int) -> int:
    return n_work_base(D) + 2 + key_words(D) + capacity * cache_entry(D)


@jit(inline=True)
def _log_sigmoid(v):
    if v >= 0:
        return -np.log1p(np.exp(-v))
    return v - np.log1p(np.exp(v))


@jit(inline=True)
def _add_cells(lp, c1, c2, c3, c4, lpe, lqe, lpt, lqt, pe, qe, pt, qt, k):
    """``lp`` plus the log likelihood of one dose's four outcome cells: ``c1`` responses without
    DLT, ``c2`` neither, ``c3`` both, ``c4`` DLTs without response, under the Gumbel-type
    association ``k = tanh(psi / 2)`` (added one cell at a time, in this order)."""
    if c1 > 0:
        lp += c1 * (lpe + lqt + np.log1p(-qe * pt * k))
    if c2 > 0:
        lp += c2 * (lqe + lqt + np.log1p(pe * pt * k))
    if c3 > 0:
        lp += c3 * (lpe + lpt + np.log1p(qe * qt * k))
    if c4 > 0:
        lp += c4 * (lqe + lpt + np.log1p(-pe * qt * k))
    return lp


@jit
def log_post(fpar, n, y, e, b, th):
    """Log posterior (up to a constant) at ``th`` = (alpha, beta, gamma, zeta, eta, psi)."""
    lp = 0.0
    for j in range(N_PAR):
        u = (th[j] - fpar[F_MEAN + j]) / fpar[F_SD + j]
        lp -= 0.5 * u * u
    k = np.tanh(0.5 * th[5])  # (e^psi - 1) / (e^psi + 1)
    D = n.shape[0]
    for d in range(D):
        if n[d] == 0:
            continue
        x = fpar[F_X + d]
        le = th[2] + th[3] * x + th[4] * x * x
        lt = th[0] + th[1] * x
        lpe = _log_sigmoid(le)
        lqe = _log_sigmoid(-le)
        lpt = _log_sigmoid(lt)
        lqt = _log_sigmoid(-lt)
        pe = np.exp(lpe)
        qe = np.exp(lqe)
        pt = np.exp(lpt)
        qt = np.exp(lqt)
        c3 = b[d]  # both
        c1 = e[d] - c3  # efficacy, no toxicity
        c4 = y[d] - c3  # toxicity, no efficacy
        c2 = n[d] - c1 - c3 - c4  # neither
        lp = _add_cells(lp, c1, c2, c3, c4, lpe, lqe, lpt, lqt, pe, qe, pt, qt, k)
    return lp


@jit(inline=True)
def _dose_loglik(le, lt, psi, c1, c2, c3, c4):
    """One dose's log likelihood as a function of its linear predictors and psi."""
    k = np.tanh(0.5 * psi)
    lpe = _log_sigmoid(le)
    lqe = lpe - le
    lpt = _log_sigmoid(lt)
    lqt = lpt - lt
    pe = np.exp(lpe)
    qe = np.exp(lqe)
    pt = np.exp(lpt)
    qt = np.exp(lqt)
    return _add_cells(0.0, c1, c2, c3, c4, lpe, lqe, lpt, lqt, pe, qe, pt, qt, k)


@jit
def _grad_hess(fpar, n, y, e, b, th, tmp, g, H):
    """Gradient and Hessian of :func:`log_post` at ``th``: the normal prior's exactly, each dose's
    likelihood by central differences in its own three arguments (pi_E's and pi_T's linear
    predictors and psi), mapped to the six parameters by the chain rule (``tmp`` scratch)."""
    h = 1e-3
    for i in range(N_PAR):
        s2 = fpar[F_SD + i] * fpar[F_SD + i]
        g[i] = -(th[i] - fpar[F_MEAN + i]) / s2
        for j in range(N_PAR):
            H[i * N_PAR + j] = 0.0
        H[i * N_PAR + i] = -1.0 / s2
    psi = th[5]
    # the 3 x 3 Hessian and the gradient of one dose, in (le, lt, psi)
    gd = np.empty(3)
    hh = np.empty(9)
    jac = np.zeros((3, N_PAR))
    jac[0, 2] = 1.0
    jac[1, 0] = 1.0
    jac[2, 5] = 1.0
    base = np.empty(3)
    for d in range(n.shape[0]):
        if n[d] == 0:
            continue
        x = fpar[F_X + d]
        c3 = b[d]
        c1 = e[d] - c3
        c4 = y[d] - c3
        c2 = n[d] - c1 - c3 - c4
        base[0] = th[2] + th[3] * x + th[4] * x * x
        base[1] = th[0] + th[1] * x
        base[2] = psi
        f0 = _dose_loglik(base[0], base[1], base[2], c1, c2, c3, c4)
        for i in range(3):
            base[i] += h
            fp = _dose_loglik(base[0], base[1], base[2], c1, c2, c3, c4)
            base[i] -= 2 * h
            fm = _dose_loglik(base[0], base[1], base[2], c1, c2, c3, c4)
            base[i] += h
            gd[i] = (fp - fm) / (2 * h)
            hh[i * 3 + i] = (fp - 2 * f0 + fm) / (h * h)
        for i in range(3):
            for j in range(i + 1, 3):
                base[i] += h
                base[j] += h
                fpp = _dose_loglik(base[0], base[1], base[2], c1, c2, c3, c4)
                base[j] -= 2 * h
                fpm = _dose_loglik(base[0], base[1], base[2], c1, c2, c3, c4)
                base[i] -= 2 * h
                fmm = _dose_loglik(base[0], base[1], base[2], c1, c2, c3, c4)
                base[j] += 2 * h
                fmp = _dose_loglik(base[0], base[1], base[2], c1, c2, c3, c4)
                base[i] += h
                base[j] -= h
                v = (fpp - fpm - fmp + fmm) / (4 * h * h)
                hh[i * 3 + j] = v
                hh[j * 3 + i] = v
        jac[0, 3] = x
        jac[0, 4] = x * x
        jac[1, 1] = x
        for p in range(N_PAR):
            gp = 0.0
            for i in range(3):
                gp += jac[i, p] * gd[i]
            g[p] += gp
            for q in range(N_PAR):
                hv = 0.0
                for i in range(3):
                    if jac[i, p] == 0.0:
                        continue
                    for j in range(3):
                        hv += jac[i, p] * hh[i * 3 + j] * jac[j, q]
                H[p * N_PAR + q] += hv
    return log_post(fpar, n, y, e, b, th)


@jit
def _cholesky(A, L, ridge):
    """Cholesky factor (lower, row-major 6 x 6) of A + ridge I; False if not positive definite."""
    for i in range(N_PAR):
        for j in range(i + 1):
            s = A[i * N_PAR + j]
            if i == j:
                s += ridge
            for k in range(j):
                s -= L[i * N_PAR + k] * L[j * N_PAR + k]
            if i == j:
                if s <= 0.0:
                    return False
                L[i * N_PAR + i] = np.sqrt(s)
            else:
                L[i * N_PAR + j] = s / L[j * N_PAR + j]
        for j in range(i + 1, N_PAR):
            L[i * N_PAR + j] = 0.0
    return True


@jit
def _chol_solve(L, g, out):
    """Solve (L L^T) out = g."""
    for i in range(N_PAR):
        s = g[i]
        for k in range(i):
            s -= L[i * N_PAR + k] * out[k]
        out[i] = s / L[i * N_PAR + i]
    for i in range(N_PAR - 1, -1, -1):
        s = out[i]
        for k in range(i + 1, N_PAR):
            s -= L[k * N_PAR + i] * out[k]
        out[i] = s / L[i * N_PAR + i]


@jit
def posterior_mode(fpar, n, y, e, b, work):
    """Damped Newton iterations from the prior mean; leaves the mode in ``work[O_MODE:]`` and
    the Cholesky factor of the negative Hessian there in ``work[O_CHOL:]``."""
    th = work[O_MODE:O_MODE + N_PAR]
    tmp = work[O_THETA:O_THETA + N_PAR]
    g = work[O_GRAD:O_GRAD + N_PAR]
    H = work[O_HESS:O_HESS + N_PAR * N_PAR]
    L = work[O_CHOL:O_CHOL + N_PAR * N_PAR]
    step = work[O_STEP:O_STEP + N_PAR]
    tr = work[O_TRY:O_TRY + N_PAR]
    for j in range(N_PAR):
        th[j] = fpar[F_MEAN + j]
    for _ in range(100):
        f0 = _grad_hess(fpar, n, y, e, b, th, tmp, g, H)
        for i in range(N_PAR * N_PAR):
            H[i] = -H[i]
        ridge = 0.0
        while not _cholesky(H, L, ridge):
            ridge = 1e-6 if ridge == 0.0 else 10 * ridge
        _chol_solve(L, g, step)
        t = 1.0
        improved = False
        for _ in range(40):
            for j in range(N_PAR):
                tr[j] = th[j] + t * step[j]
            if log_post(fpar, n, y, e, b, tr) >= f0:
                improved = True
                break
            t *= 0.5
        big = 0.0
        for j in range(N_PAR):
            big = max(big, abs(t * step[j]))
        if improved:
            for j in range(N_PAR):
                th[j] = tr[j]
        if not improved or big < 1e-7:
            break
    # the proposal's scale: the negative Hessian at the mode
    _grad_hess(fpar, n, y, e, b, th, tmp, g, H)
    for i in range(N_PAR * N_PAR):
        H[i] = -H[i]
    ridge = 0.0
    while not _cholesky(H, L, ridge):
        ridge = 1e-6 if ridge == 0.0 else 10 * ridge


@jit
def utility(fpar, pe, pt):
    """The trade-off utility 1 - (((1 - pi_E) / (1 - eff0))^p + (pi_T / tox1)^p)^(1 / p)."""
    p = fpar[F_P]
    a = (1.0 - pe) / (1.0 - fpar[F_EFF0])
    c = pt / fpar[F_TOX1]
    return 1.0 - (a ** p + c ** p) ** (1.0 / p)



@jit(inline=True)
def _log_pq(z):
    """``(log pi, log(1 - pi), pi)`` for ``pi = 1 / (1 + exp(-z))``, from one exp and one log1p."""
    ex = np.exp(-abs(z))
    l1 = np.log1p(ex)
    if z >= 0:
        return -l1, -z - l1, 1.0 / (1.0 + ex)
    return z - l1, -l1, ex / (1.0 + ex)


@jit(inline=True)
def _pq(z):
    """``(pi, 1 - pi)`` for ``pi = 1 / (1 + exp(-z))``, both without cancellation: one exp and one
    division."""
    ex = np.exp(-abs(z))
    r = 1.0 / (1.0 + ex)
    if z >= 0:
        return r, ex * r
    return ex * r, r


@jit(inline=True)
def _ipow(x, c):
    """``x ** c`` for an integer ``c >= 0``, by squaring."""
    r = 1.0
    while c > 0:
        if c & 1:
            r *= x
        x *= x
        c >>= 1
    return r


#: importance sampling multiplies doses' likelihoods while the product stays above this (the product
#: of two such numbers is still a normal double), and sums logarithms below it
_TINY = 1e-150


@jit
def posterior(ipar, fpar, tab, n, y, e, b, work, out, m, with_se):
    """Posterior summaries per dose into ``out`` (N_SUM x D, see ``S_*``) from the first ``m``
    proposal points, with importance-sampling SEs of rows 0-3 when ``with_se``. The posterior
    mode and scale must be in ``work`` (:func:`posterior_mode`)."""
    D = n.shape[0]
    mode = work[O_MODE:O_MODE + N_PAR]
    L = work[O_CHOL:O_CHOL + N_PAR * N_PAR]
    th = work[O_THETA:O_THETA + N_PAR]
    zz = work[O_STEP:O_STEP + N_PAR]
    v = work[O_TRY:O_TRY + N_PAR]
    o_pe = O_ACC + N_SUM * D
    scale = fpar[F_SCALE]
    mean_u = ipar[I_UTIL] != 0
    for r in range(N_SUM):
        for d in range(D):
            out[r, d] = 0.0
    wsum = 0.0
    w2sum = 0.0
    lmax = -np.inf
    he = fpar[F_EFF_HURDLE]
    ht = fpar[F_TOX_HURDLE]
    pes = work[o_pe:o_pe + D]
    pts = work[o_pe + D:o_pe + 2 * D]
    f2 = work[o_pe:o_pe + 2 * D]  # (pi_E, pi_T) per dose
    D2 = 2 * D
    Q = work[o_pe + D2:o_pe + D2 + D2 * D2].reshape((D2, D2))
    if with_se:
        for i in range(D2):
            for j in range(D2):
                Q[i, j] = 0.0
    # theta = mode + A zz with A = scale * L^-T (upper triangular; L L^T = -H, so Cov = scale^2
    # (-H)^-1), formed once here, column by column (L^T a_c = scale e_c), into the Hessian's
    # space in ``work`` (no longer needed once the mode is found); the prior's 1 / sd beside it
    A = work[O_HESS:O_HESS + N_PAR * N_PAR]
    isd = work[O_GRAD:O_GRAD + N_PAR]
    for c in range(N_PAR):
        for j in range(N_PAR - 1, -1, -1):
            s = scale if j == c else 0.0
            for k in range(j + 1, N_PAR):
                s -= L[k * N_PAR + j] * v[k]
            v[j] = s / L[j * N_PAR + j]
        for j in range(N_PAR):
            A[j * N_PAR + c] = v[j]
    for j in range(N_PAR):
        isd[j] = 1.0 / fpar[F_SD + j]
    for i in range(m):
        w = tab[i, N_PAR]
        for j in range(N_PAR):
            zz[j] = tab[i, j] * w
        for j in range(N_PAR):
            s = mode[j]
            for k in range(j, N_PAR):
                s += A[j * N_PAR + k] * zz[k]
            th[j] = s
        # log posterior and the per-dose probabilities in one pass (as :func:`log_post`)
        lp = 0.0
        for j in range(N_PAR):
            u = (th[j] - fpar[F_MEAN + j]) * isd[j]
            lp -= 0.5 * u * u
        ek = np.exp(-abs(th[5]))  # k = tanh(psi / 2) = (e^psi - 1) / (e^psi + 1), from one exp
        k = (1.0 - ek) / (1.0 + ek)
        if th[5] < 0:
            k = -k
        acc = 1.0  # a product of doses' likelihoods whose log is still to be added to lp
        for d in range(D):
            x = fpar[F_X + d]
            le = th[2] + th[3] * x + th[4] * x * x
            lt = th[0] + th[1] * x
            pe, qe = _pq(le)
            pt, qt = _pq(lt)
            pes[d] = pe
            pts[d] = pt
            if n[d] > 0:
                c3 = b[d]
                c1 = e[d] - c3
                c4 = y[d] - c3
                c2 = n[d] - c1 - c3 - c4
                # the dose's likelihood as one product of its four cell probabilities, multiplied
                # into acc, whose log is taken once (log_post's sum of log1p terms, six a dose, rounded
                # differently: about 1e-15); acc and each factor stay above _TINY, so no underflow
                pr = (_ipow(pe * qt * (1.0 - qe * pt * k), c1) * _ipow(qe * qt * (1.0 + pe * pt * k), c2)
                      * _ipow(pe * pt * (1.0 + qe * qt * k), c3) * _ipow(qe * pt * (1.0 - pe * qt * k), c4))
                if pr > _TINY:
                    acc *= pr
                    if acc < _TINY:
                        lp += np.log(acc)
                        acc = 1.0
                else:
                    lpe, lqe, _ = _log_pq(le)
                    lpt, lqt, _ = _log_pq(lt)
                    lp = _add_cells(lp, c1, c2, c3, c4, lpe, lqe, lpt, lqt, pe, qe, pt, qt, k)
        lw = lp + np.log(acc) + tab[i, N_PAR + 1]
        if lw > lmax:
            if wsum > 0.0:
                f = np.exp(lmax - lw)
                wsum *= f
                w2sum *= f * f
                for rr in range(S_UTIL_MEAN + 1):
                    for d in range(D):
                        out[rr, d] *= f
                if with_se:
                    for rr in range(S_W2F, S_W2F + 2 * N_ACC):
                        for d in range(D):
                            out[rr, d] *= f * f
                    for i2 in range(D2):
                        for j2 in range(i2, D2):
                            Q[i2, j2] *= f * f
            lmax = lw
        wt = np.exp(lw - lmax)
        wsum += wt
        w2sum += wt * wt
        for d in range(D):
            pe = pes[d]
            pt = pts[d]
            ie = 1.0 if pe > he else 0.0
            it = 1.0 if pt < ht else 0.0
            out[S_P_EFF, d] += wt * pe
            out[S_P_TOX, d] += wt * pt
            out[S_ACC_EFF, d] += wt * ie
            out[S_ACC_TOX, d] += wt * it
            if mean_u:
                out[S_UTIL_MEAN, d] += wt * utility(fpar, pe, pt)
            if with_se:
                w2 = wt * wt
                out[S_W2F, d] += w2 * pe
                out[S_W2F + 1, d] += w2 * pt
                out[S_W2F + 2, d] += w2 * ie
                out[S_W2F + 3, d] += w2 * it
                out[S_W2F + 4, d] += w2 * pe * pe
                out[S_W2F + 5, d] += w2 * pt * pt
                out[S_W2F + 6, d] += w2 * ie
                out[S_W2F + 7, d] += w2 * it
        if with_se:
            w2 = wt * wt
            for i2 in range(D2):
                a2 = w2 * f2[i2]
                for j2 in range(i2, D2):
                    Q[i2, j2] += a2 * f2[j2]
    for rr in range(S_UTIL_MEAN + 1):
        for d in range(D):
            out[rr, d] /= wsum
    for d in range(D):
        out[S_UTIL_PLUGIN, d] = utility(fpar, out[S_P_EFF, d], out[S_P_TOX, d])
        if not mean_u:
            out[S_UTIL_MEAN, d] = np.nan
        out[S_ESS, d] = wsum * wsum / w2sum
        if with_se:
            # self-normalised importance sampling: Var ~ sum w^2 (f - mu)^2 / (sum w)^2
            for q in range(N_ACC):
                mu = out[q, d]
                var = (out[S_W2F + N_ACC + q, d] - 2 * mu * out[S_W2F + q, d] + mu * mu * w2sum) / (wsum * wsum)
                out[S_SE + q, d] = np.sqrt(max(var, 0.0))
    if with_se:
        # Q becomes the importance-sampling covariance of the estimates of (pi_E, pi_T) per dose
        for i2 in range(D2):
            mi = out[S_P_EFF, i2] if i2 < D else out[S_P_TOX, i2 - D]
            ri = out[S_W2F, i2] if i2 < D else out[S_W2F + 1, i2 - D]
            for j2 in range(i2, D2):
                mj = out[S_P_EFF, j2] if j2 < D else out[S_P_TOX, j2 - D]
                rj = out[S_W2F, j2] if j2 < D else out[S_W2F + 1, j2 - D]
                c = (Q[i2, j2] - mi * rj - mj * ri + mi * mj * w2sum) / (wsum * wsum)
                Q[i2, j2] = c
                Q[j2, i2] = c


@jit
def _utility_grad(fpar, pe, pt):
    """(du/dpi_E, du/dpi_T) of the utility at (pe, pt)."""
    p = fpar[F_P]
    a = max((1.0 - pe) / (1.0 - fpar[F_EFF0]), 1e-12)
    c = max(pt / fpar[F_TOX1], 1e-12)
    r = (a ** p + c ** p) ** (1.0 / p)
    g = r ** (1.0 - p)
    return g * a ** (p - 1.0) / (1.0 - fpar[F_EFF0]), -g * c ** (p - 1.0) / fpar[F_TOX1]


@jit
def _diff_se(fpar, out, Q, D, i, j):
    """Delta-method SE of the plug-in utility difference u_i - u_j, from the importance-sampling
    covariance ``Q`` of the estimates of (pi_E, pi_T) per dose (the same draws serve every dose,
    so the errors are correlated and the difference is known better than either utility)."""
    gi_e, gi_t = _utility_grad(fpar, out[S_P_EFF, i], out[S_P_TOX, i])
    gj_e, gj_t = _utility_grad(fpar, out[S_P_EFF, j], out[S_P_TOX, j])
    idx = (i, D + i, j, D + j)
    cf = (gi_e, gi_t, -gj_e, -gj_t)
    var = 0.0
    for a in range(4):
        for b in range(4):
            var += cf[a] * cf[b] * Q[idx[a], idx[b]]
    return np.sqrt(max(var, 0.0))


@jit
def _choose(ipar, fpar, out, lo, hi, D):
    """The acceptable in-range dose with the highest utility; with none, -2 where an in-range dose
    passes the toxicity criterion (efficacy excluded it: futility), else -1 (safety)."""
    row = S_UTIL_PLUGIN if ipar[I_UTIL] == 0 else S_UTIL_MEAN
    best = -1
    best_u = -np.inf
    tox_ok = False
    for d in range(max(lo - 1, 0), min(hi + 1, D - 1) + 1):
        if out[S_ACC_TOX, d] > fpar[F_P_T]:
            tox_ok = True
            if out[S_ACC_EFF, d] > fpar[F_P_E] and out[row, d] > best_u:
                best_u = out[row, d]
                best = d
    if best < 0 and tox_ok:
        return -2
    return best


@jit
def _clear(ipar, fpar, out, work, lo, hi, D, best):
    """Whether the first stage's decision ``best`` is clear, i.e. no error of F_Z standard
    errors in the estimates could change it: the chosen dose is clearly acceptable (both
    probabilities more than F_Z SEs beyond their cut-offs) and every other in-range dose is
    either clearly below it in utility (by more than F_Z SEs of the difference, from the
    covariance of the estimates: :func:`_diff_se`) or
    clearly unacceptable (a probability more than F_Z SEs short of its cut-off). With no
    acceptable dose, every in-range dose must be clearly unacceptable, and clearly on one side of
    the toxicity cut-off (which decides between a safety and a futility stop)."""
    z = fpar[F_Z]
    pe_cut = fpar[F_P_E]
    pt_cut = fpar[F_P_T]
    ub = -np.inf
    o_q = O_ACC + N_SUM * D + 2 * D
    Q = work[o_q:o_q + 4 * D * D].reshape((2 * D, 2 * D))
    if best >= 0:
        if out[S_ACC_EFF, best] - pe_cut <= z * out[S_SE + 2, best]:
            return False
        if out[S_ACC_TOX, best] - pt_cut <= z * out[S_SE + 3, best]:
            return False
        ub = out[S_UTIL_PLUGIN, best]
    for d in range(max(lo - 1, 0), min(hi + 1, D - 1) + 1):
        if best < 0 and not abs(out[S_ACC_TOX, d] - pt_cut) > z * out[S_SE + 3, d]:
            return False  # which stop it is (safety or futility) rests on this dose's toxicity criterion
        if d == best:
            continue
        if best >= 0 and ub - out[S_UTIL_PLUGIN, d] > z * _diff_se(fpar, out, Q, D, best, d):
            continue  # clearly worse, acceptable or not
        if pe_cut - out[S_ACC_EFF, d] > z * out[S_SE + 2, d]:
            continue  # clearly unacceptable
        if pt_cut - out[S_ACC_TOX, d] > z * out[S_SE + 3, d]:
            continue
        return False
    return True


@jit(inline=True)
def evaluate(ipar, fpar, tab, n, y, e, b, work):
    """The recommended dose for the counts (0-based); when no dose is acceptable, -2 if an in-range
    dose passes the toxicity criterion (futility), else -1 (safety).

    Staged precision (``I_M1`` > 0, utility at the posterior means): the posterior is first
    computed from the first ``I_M1`` proposal points (a Sobol prefix) with importance-sampling
    SEs; when the decision is clear (:func:`_clear`) it stands, else the posterior is computed
    from all ``I_M`` points and decides."""
    D = n.shape[0]
    lo = -1
    hi = -1
    for d in range(D):
        if n[d] > 0:
            if lo < 0:
                lo = d
            hi = d
    if lo < 0:
        return ipar[I_START]
    out = work[O_ACC:O_ACC + N_SUM * D].reshape((N_SUM, D))
    posterior_mode(fpar, n, y, e, b, work)
    m1 = ipar[I_M1]
    if m1 > 0 and ipar[I_UTIL] == 0:  # (posterior compiles once for both with_se: _jit._PlainCalls)
        posterior(ipar, fpar, tab, n, y, e, b, work, out, m1, True)
        best = _choose(ipar, fpar, out, lo, hi, D)
        if _clear(ipar, fpar, out, work, lo, hi, D, best):
            return best
    posterior(ipar, fpar, tab, n, y, e, b, work, out, ipar[I_M], False)
    return _choose(ipar, fpar, out, lo, hi, D)


# ---------------------------------------------------------------------------------- the cache
@jit(inline=True)
def _key(n, y, e, b, key):
    """Pack (n, y, e, b) per dose into one int64 word each (each < 2^15)."""
    for d in range(n.shape[0]):
        key[d] = (np.int64(n[d]) << 45) | (np.int64(y[d]) << 30) | (np.int64(e[d]) << 15) | np.int64(b[d])


@jit(inline=True)
def cached_evaluate(ipar, fpar, tab, n, y, e, b, work):
    """:func:`evaluate` through the per-state table in ``work`` (:func:`.cache.find`)."""
    cap = ipar[I_CACHE]
    if cap == 0:
        return evaluate(ipar, fpar, tab, n, y, e, b, work)
    kw = n.shape[0]
    table = work[ipar[I_O_CACHE]:].view(np.int64)
    _key(n, y, e, b, table[2:2 + kw])
    tag = _cache.tag_of(table[2:2 + kw], kw)
    hit, v, ent = _cache.find(table, kw, cap, tag)
    if hit:
        return v
    best = evaluate(ipar, fpar, tab, n, y, e, b, work)  # (it does not touch the table region)
    _cache.put(table, kw, cap, ent, tag, best)
    return best


# ---------------------------------------------------------------------------------- design verbs
@jit
def start(ipar, aux):
    return ipar[I_START], ipar[I_COHORT]


@jit
def decide(ipar, fpar, tab, n, y, e, b, work):
    best = cached_evaluate(ipar, fpar, tab, n, y, e, b, work)
    if best < 0:
        return -1, 0, (FUTILITY if best == -2 else SAFETY)
    return best, ipar[I_COHORT], CONTINUE


@jit
def select(ipar, fpar, tab, n, y, e, b, work):
    """The dose the rule recommends on the final data (-1: none acceptable, or no patient)."""
    tot = 0
    for d in range(n.shape[0]):
        tot += n[d]
    if tot == 0:
        return -1
    return max(cached_evaluate(ipar, fpar, tab, n, y, e, b, work), -1)


@jit
def summaries(ipar, fpar, tab, n, y, e, b, work, out):
    """Posterior summaries from all the proposal points (``out``: N_SUM x D), for live use."""
    posterior_mode(fpar, n, y, e, b, work)
    posterior(ipar, fpar, tab, n, y, e, b, work, out, ipar[I_M], True)
