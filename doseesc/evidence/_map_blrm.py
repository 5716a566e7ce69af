"""Meta-analytic-predictive (MAP) prior for the BLRM's (log alpha, log beta), from historical trials."""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import _special as special  # scipy.special on first use
from .. import _validate as v
from ._beta import moment_ess
from ._data import TRIALS, _filter

#: Gauss-Hermite nodes per axis for each trial's random effect (2-D product rule)
N_GH = 16
#: default hyperprior mean of (log alpha, log beta): p(d_ref) about 0.2, slope 1
DEFAULT_MU_MEAN = (math.log(0.2 / 0.8), 0.0)
#: EM iterations for the mixture fit (at most) and its relative tolerance on the mean log likelihood
EM_ITER = 300
EM_TOL = 1e-8


@dataclass(frozen=True, eq=False)
class BLRMMapPrior:
    """A MAP prior for a new trial's ``(log alpha, log beta)``: a mixture of bivariate normals.

    Built by :func:`blrm_map_prior`; pass it to :class:`doseesc.BLRM` as ``prior=``.

    Attributes
    ----------
    weights, means, sds, corrs : tuple
        The mixture: weight, ``(m_a, m_b)``, ``(s_a, s_b)`` and correlation per component (the
        robust component last when ``robust_weight > 0``).
    doses, d_ref : tuple, float
        The new trial's doses and the reference dose of ``logit p = a + exp(b) log(d / d_ref)``.
    ess : tuple of float
        Effective sample size in patients at each dose: the moment-matched Beta's ``a + b`` for
        ``p(d)`` under the mixture (``m (1 - m) / var - 1``).
    ess_predictive : tuple of float
        The same for the exact predictive (which the mixture was fitted to).
    mean_p : tuple of float
        Prior mean of ``p(d)`` at each dose under the mixture.
    trial_data : tuple
        ``(trial, dose, n, dlt)`` rows used.
    records_used, records_skipped, assumptions : tuple
        Provenance, as for the other evidence priors.
    mu_posterior_mean, tau_posterior_mean : tuple
        Posterior means of the hyperparameters ``mu`` and ``tau``.
    is_ess : float
        Effective sample size of the importance weights.
    fit_loglik : float
        Expected log density of the fitted mixture (before robustification) under the exact
        predictive: larger is closer (a fit diagnostic, to compare numbers of components).
    predictive_mean_p : tuple of float
        Prior mean of ``p(d)`` under the exact predictive (the mixture approximates it).
    grid : tuple
        The weighted hyperparameter points ``(phi, w)``, phi = (mu_a, mu_b, log tau_a, log tau_b,
        atanh rho).

    Examples
    --------
    >>> from doseesc import evidence
    >>> m = evidence.blrm_map_prior(doses=[1, 2, 4], d_ref=4, n_points=2048)
    >>> [round(x) for x in m.ess_predictive]
    [27, 22, 8]
    """

    weights: tuple
    means: tuple
    sds: tuple
    corrs: tuple
    doses: tuple
    d_ref: float
    ess: tuple
    ess_predictive: tuple
    mean_p: tuple
    trial_data: tuple
    records_used: tuple
    records_skipped: tuple
    assumptions: tuple
    mu_mean: tuple
    mu_sd: tuple
    tau_scale: tuple
    mu_posterior_mean: tuple
    tau_posterior_mean: tuple
    predictive_mean: tuple
    predictive_cov: tuple
    robust_weight: float
    n_points: int
    is_ess: float
    fit_loglik: float
    predictive_mean_p: tuple = ()
    grid: Any = field(default=None, repr=False)

    def robustify(self, weight: float, mean: Any = None, sd: Any = (2.0, 1.0)) -> BLRMMapPrior:
        """This prior with a weakly informative component added at ``weight`` (a robust MAP
        prior, Schmidli et al. 2014, as RBesT's ``robustify``): the fitted components keep their
        shapes and share ``1 - weight``. Under prior-data conflict the posterior moves towards
        the new trial's own data instead of being held by the historical trials.

        Parameters
        ----------
        weight : float
            Weight of the added component, in (0, 1).
        mean, sd : (float, float)
            Its means and sds on (log alpha, log beta) (default: the hyperprior mean ``mu_mean``
            and sds (2, 1), the weakly informative prior of Neuenschwander et al. 2008).

        Returns
        -------
        BLRMMapPrior
            ``robust_weight`` set; ``mean_p`` and ``ess`` are those of the new mixture (a vague
            component gives the mixture a large variance, so its moment-matched ESS is small).

        Examples
        --------
        >>> from doseesc import evidence
        >>> m = evidence.blrm_map_prior(doses=[1, 2, 4], d_ref=4, n_points=2048)
        >>> r = m.robustify(0.2)
        >>> round(r.weights[-1], 3), r.sds[-1], r.ess[0] < m.ess[0]
        (0.2, (2.0, 1.0), True)
        """
        rw = v.number("weight", weight)
        if not 0 < rw < 1:
            raise ValueError(f"weight: the robust component's weight must be in (0, 1), got {weight!r}")
        if self.robust_weight > 0:
            raise ValueError(f"weight: this prior already has a robust component (weight {self.robust_weight:g})")
        rmean = self.mu_mean if mean is None else _pair("mean", mean)
        rsd = _pair("sd", sd, positive=True)
        weights = [x * (1 - rw) for x in self.weights] + [rw]
        means = [*self.means, tuple(rmean)]
        sds = [*self.sds, tuple(rsd)]
        corrs = [*self.corrs, 0.0]
        m1, var = mixture_p_moments(weights, means, sds, corrs, np.log(np.asarray(self.doses) / self.d_ref))
        return replace(self, weights=tuple(float(x) for x in weights), means=tuple(means), sds=tuple(sds),
                       corrs=tuple(corrs), robust_weight=rw, mean_p=tuple(float(a) for a in m1),
                       ess=tuple(moment_ess(float(a), float(b)) for a, b in zip(m1, var)))

    def describe(self) -> str:
        """One paragraph: model, hyperpriors, data, the mixture and its ESS per dose."""
        data = ", ".join(f"{t} {y}/{n} at {d:g}" for t, d, n, y in self.trial_data) or "none"
        comps = "; ".join(f"{w:.3f} x N(({m[0]:.3f}, {m[1]:.3f}), sd ({s[0]:.3f}, {s[1]:.3f}), corr {r:.3f})"
                          for w, m, s, r in zip(self.weights, self.means, self.sds, self.corrs))
        txt = (f"MAP prior for (log alpha, log beta) of logit p(d) = log alpha + beta log(d/{self.d_ref:g}): "
               "trial i has "
               f"(log alpha_i, log beta_i) ~ BVN(mu, Sigma(tau, rho)), mu ~ N(({self.mu_mean[0]:.3g}, "
               f"{self.mu_mean[1]:.3g}), sd ({self.mu_sd[0]:g}, {self.mu_sd[1]:g})), tau_a ~ half-normal("
               f"{self.tau_scale[0]:g}), tau_b ~ half-normal({self.tau_scale[1]:g}), rho ~ uniform(-1, 1); "
               f"predictive by quasi-Monte Carlo importance sampling ({self.n_points} points, weight ESS "
               f"{self.is_ess:.0f}) with 2-D Gauss-Hermite for each trial, fitted by a {len(self.weights)}-component "
               f"mixture: {comps}. Data (DLTs/patients at dose): {data}. Posterior means mu "
               f"({self.mu_posterior_mean[0]:.2f}, "
               f"{self.mu_posterior_mean[1]:.2f}), tau ({self.tau_posterior_mean[0]:.2f}, "
               f"{self.tau_posterior_mean[1]:.2f}). At doses " + ", ".join(f"{d:g}" for d in self.doses)
               + ": prior mean p " + ", ".join(f"{x:.3f}" for x in self.mean_p) + "; moment-matched ESS " +
               ", ".join(f"{x:.1f}" for x in self.ess) + " patients (exact predictive: " +
               ", ".join(f"{x:.1f}" for x in self.ess_predictive) + ")")
        if self.robust_weight > 0:
            txt += f"; robust component weight {self.robust_weight:g}"
        txt += f". Records used: {', '.join(self.records_used) or 'none'}"
        if self.records_skipped:
            txt += "; skipped: " + "; ".join(f"{i} ({why})" for i, why in self.records_skipped)
        txt += "."
        if self.assumptions:
            txt += " Assumptions: " + " ".join(self.assumptions)
        return txt


# ---------------------------------------------------------------------------------- data
def _pair(name: str, value: Any, positive: bool = False) -> tuple:
    try:
        a, b = (float(x) for x in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected two numbers (log alpha, log beta), got {value!r}") from None
    if not (math.isfinite(a) and math.isfinite(b)) or (positive and min(a, b) <= 0):
        raise ValueError(f"{name}: expected two {'positive ' if positive else ''}finite numbers, got {value!r}")
    return a, b


def _read_table(data: Any) -> list:
    """Rows (trial, dose, n, dlt) from a list of rows / dicts, or a CSV or TOML file."""
    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.is_file():
            raise ValueError(f"data: no such file {str(path)!r}")
        if path.suffix.lower() == ".toml":
            import tomllib

            try:
                raw = tomllib.loads(path.read_text())
            except Exception as exc:
                raise ValueError(f"data: {path} is not valid TOML ({exc})") from None
            rows = raw.get("trials")
            if not isinstance(rows, list):
                raise ValueError("data: a TOML table of trials needs [[trials]] entries with trial, dose, n, dlt")
        else:
            with open(path, newline="") as fh:
                rows = list(csv.DictReader(fh))
    else:
        rows = list(data)
    out = []
    for i, r in enumerate(rows):
        if isinstance(r, dict):
            missing = {"trial", "dose", "n", "dlt"} - set(r)
            if missing:
                raise ValueError(f"data: row {i + 1} lacks {', '.join(sorted(missing))} (need trial, dose, n, dlt)")
            t, d, n, y = r["trial"], r["dose"], r["n"], r["dlt"]
        else:
            try:
                t, d, n, y = r
            except (TypeError, ValueError):
                raise ValueError(f"data: row {i + 1} must be (trial, dose, n, dlt), got {r!r}") from None
        try:
            d = float(d)
            n = v.integer("n", int(float(n)) if float(n).is_integer() else n, low=0, high=v.MAX_PATIENTS)
            y = v.integer("dlt", int(float(y)) if float(y).is_integer() else y, low=0, high=n)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"data: row {i + 1}: {exc}") from None
        if not (math.isfinite(d) and d > 0):
            raise ValueError(f"data: row {i + 1}: dose must be > 0, got {d!r}")
        out.append((str(t), d, n, y))
    return out


def _msc_rows(trials: Any, dose_range: Any, exclude: tuple) -> tuple:
    recs = _filter(trials, dose_range)
    rows, used, skipped, notes = [], [], [], []
    for r in recs:
        if r.trial in exclude:
            continue
        if r.n is None or r.dlt is None:
            skipped.append((r.id, "DLT count or n not stated"))
            continue
        rows.append((r.trial, float(r.dose), int(r.n), int(r.dlt)))
        used.append(r.id)
        if r.basis("n") == "derived":
            notes.append(f"{r.id}: per-dose n derived ({r.why('n')})")
    return rows, tuple(used), tuple(skipped), tuple(dict.fromkeys(notes))


# ---------------------------------------------------------------------------------- the hierarchical model
def _gh2() -> tuple:
    x, w = special.roots_hermitenorm(N_GH)
    w = w / w.sum()
    u, vv = np.meshgrid(x, x, indexing="ij")
    return u.ravel(), vv.ravel(), np.log(np.outer(w, w).ravel())


def _unpack(phi: np.ndarray) -> tuple:
    """phi = (mu_a, mu_b, log tau_a, log tau_b, atanh rho) -> (mu_a, mu_b, tau_a, tau_b, rho)."""
    return (phi[:, 0], phi[:, 1], np.exp(np.clip(phi[:, 2], -30.0, 5.0)), np.exp(np.clip(phi[:, 3], -30.0, 5.0)),
            np.tanh(np.clip(phi[:, 4], -15.0, 15.0)))


def _log_hyperprior(phi: np.ndarray, mu_mean, mu_sd, tau_scale) -> np.ndarray:
    """Hyperprior density in phi coordinates (with the Jacobians of the log and atanh maps)."""
    from scipy import stats  # here, not at import: scipy.stats alone costs 0.4-2 s of start-up

    ma, mb, ta, tb, r = _unpack(phi)
    out = stats.norm.logpdf(ma, mu_mean[0], mu_sd[0]) + stats.norm.logpdf(mb, mu_mean[1], mu_sd[1])
    out += stats.halfnorm.logpdf(ta, scale=tau_scale[0]) + phi[:, 2]
    out += stats.halfnorm.logpdf(tb, scale=tau_scale[1]) + phi[:, 3]
    out += math.log(0.5) + np.log1p(-r * r)
    return out


def _log_lik(phi: np.ndarray, trials: list) -> np.ndarray:
    """Sum over trials of the log marginal likelihood of each trial's counts given the
    hyperparameters: the trial's (log alpha, log beta) integrated out by 2-D Gauss-Hermite
    (compiled: :func:`doseesc._kernels.hier.log_marginal`)."""
    from .._kernels.hier import log_marginal

    u, w2, lw = _gh2()
    ma, mb, ta, tb, r = _unpack(phi)
    start = np.cumsum([0] + [len(t[0]) for t in trials]).astype(np.int64)
    x = np.concatenate([t[0] for t in trials]) if trials else np.zeros(0)
    n = np.concatenate([t[1] for t in trials]).astype(np.float64) if trials else np.zeros(0)
    y = np.concatenate([t[2] for t in trials]).astype(np.float64) if trials else np.zeros(0)
    out = np.empty(phi.shape[0])
    log_marginal(np.ascontiguousarray(ma), np.ascontiguousarray(mb), ta, tb, r, u, w2, lw, start,
                 np.ascontiguousarray(x, dtype=np.float64), n, y, out)
    return out


def _prior_points(n: int, seed: int, mu_mean, mu_sd, tau_scale) -> np.ndarray:
    """Quasi-random draws from the hyperprior, in phi coordinates."""
    from scipy import stats  # here, not at import: scipy.stats alone costs 0.4-2 s of start-up

    q = stats.qmc.Sobol(d=5, scramble=True, seed=seed).random(n)
    q = np.clip(q, 1e-12, 1 - 1e-12)
    phi = np.empty((n, 5))
    phi[:, 0] = mu_mean[0] + mu_sd[0] * special.ndtri(q[:, 0])
    phi[:, 1] = mu_mean[1] + mu_sd[1] * special.ndtri(q[:, 1])
    phi[:, 2] = np.log(tau_scale[0] * special.ndtri(0.5 + 0.5 * q[:, 2]))
    phi[:, 3] = np.log(tau_scale[1] * special.ndtri(0.5 + 0.5 * q[:, 3]))
    phi[:, 4] = np.arctanh(np.clip(2 * q[:, 4] - 1, -1 + 1e-12, 1 - 1e-12))
    return phi


def _t_points(n: int, seed: int, mean: np.ndarray, cov: np.ndarray, df: float) -> np.ndarray:
    from scipy import stats  # here, not at import: scipy.stats alone costs 0.4-2 s of start-up

    q = stats.qmc.Sobol(d=6, scramble=True, seed=seed).random(n)
    q = np.clip(q, 1e-12, 1 - 1e-12)
    z = special.ndtri(q[:, :5])
    g = stats.chi2.ppf(q[:, 5], df) / df
    return mean[None, :] + (z @ np.linalg.cholesky(cov).T) / np.sqrt(g)[:, None]


def _posterior_sample(trials: list, n_points: int, seed: int, mu_mean, mu_sd, tau_scale) -> tuple:
    """Hyperparameter points and normalised importance weights: a first stage of n/4 points
    from the hyperprior; then n points from a multivariate-t (5 df) proposal with the first
    stage's weighted moments (covariance inflated 1.5^2) and n/4 more from the hyperprior
    (defensive mixture, weights by the balance heuristic). Points where the hyperprior or the
    likelihood is not finite (the proposal's far tails) get weight 0."""
    from scipy import stats  # here, not at import: scipy.stats alone costs 0.4-2 s of start-up

    n1 = n_points // 4
    phi1 = _prior_points(n1, seed, mu_mean, mu_sd, tau_scale)
    lw1 = _log_lik(phi1, trials)
    lw1 = np.where(np.isfinite(lw1), lw1, -np.inf)
    w1 = np.exp(lw1 - lw1.max())
    w1 /= w1.sum()
    mean = w1 @ phi1
    d = phi1 - mean
    cov = (d * w1[:, None]).T @ d * 1.5 ** 2 + 1e-6 * np.eye(5)
    phi = np.vstack([_t_points(n_points, seed + 1, mean, cov, 5.0), _prior_points(n1, seed + 2, mu_mean, mu_sd,
                                                                                  tau_scale)])
    share = n1 / (n_points + n1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = _log_hyperprior(phi, mu_mean, mu_sd, tau_scale)
        lq_t = stats.multivariate_t.logpdf(phi, loc=mean, shape=cov, df=5.0)
        lq = np.logaddexp(math.log(1 - share) + lq_t, math.log(share) + lp)
        lw = lp + _log_lik(phi, trials) - lq
    lw = np.where(np.isfinite(lw), lw, -np.inf)
    w = np.exp(lw - lw.max())
    w /= w.sum()
    return phi, w


def _point_covs(phi: np.ndarray) -> tuple:
    """Each hyperparameter point's predictive normal: means (S, 2) and covariances (S, 2, 2)."""
    ma, mb, ta, tb, r = _unpack(phi)
    m = np.column_stack([ma, mb])
    c = np.empty((phi.shape[0], 2, 2))
    c[:, 0, 0] = ta * ta
    c[:, 1, 1] = tb * tb
    c[:, 0, 1] = c[:, 1, 0] = r * ta * tb
    return m, c


def _bvn_logpdf(x: np.ndarray, m: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Bivariate normal log density (explicit 2 x 2 algebra)."""
    d0 = x[:, 0] - m[0]
    d1 = x[:, 1] - m[1]
    det = c[0, 0] * c[1, 1] - c[0, 1] * c[1, 0]
    q = (c[1, 1] * d0 * d0 - 2 * c[0, 1] * d0 * d1 + c[0, 0] * d1 * d1) / det
    return -0.5 * q - math.log(2 * math.pi) - 0.5 * math.log(det)


def _expected_loglik(pm: np.ndarray, pc: np.ndarray, m: np.ndarray, c: np.ndarray) -> np.ndarray:
    """E[log N(theta; m, c)] for theta ~ N(pm_s, pc_s), each s: log N(pm_s; m, c) - tr(c^-1 pc_s) / 2."""
    det = c[0, 0] * c[1, 1] - c[0, 1] * c[1, 0]
    tr = (c[1, 1] * pc[:, 0, 0] - 2 * c[0, 1] * pc[:, 0, 1] + c[0, 0] * pc[:, 1, 1]) / det
    return _bvn_logpdf(pm, m, c) - 0.5 * tr


def _fit_mixture(pm: np.ndarray, pc: np.ndarray, w: np.ndarray, k: int) -> tuple:
    """A k-component bivariate normal mixture fitted to the predictive ``sum_s w_s N(pm_s, pc_s)``
    by EM on expected sufficient statistics (Gaussian mixture reduction: the EM of RBesT's
    mixfit with each sample replaced by the normal it is drawn from, so no sampling noise).
    Deterministic start: the points split into k equal-weight slices along the first principal
    axis. Returns weights, means, covariances and the mean expected log likelihood."""
    mean = w @ pm
    d = pm - mean
    cov = (d * w[:, None]).T @ d + np.einsum("s,sij->ij", w, pc)
    evals, evecs = np.linalg.eigh(cov)
    proj = d @ evecs[:, -1]
    order = np.argsort(proj, kind="stable")
    cw = np.cumsum(w[order])
    lab = np.empty(pm.shape[0], dtype=int)
    lab[order] = np.minimum((cw * k).astype(int), k - 1)
    resp = np.zeros((pm.shape[0], k))
    resp[np.arange(pm.shape[0]), lab] = w
    pis = np.empty(k)
    ms = np.empty((k, 2))
    cs = np.empty((k, 2, 2))
    prev = -np.inf
    ll = -np.inf
    for _ in range(EM_ITER + 1):
        nk = resp.sum(axis=0)
        pis = nk / nk.sum()
        for j in range(k):
            ms[j] = resp[:, j] @ pm / nk[j]
            dj = pm - ms[j]
            cs[j] = ((dj * resp[:, j:j + 1]).T @ dj + np.einsum("s,sij->ij", resp[:, j], pc)) / nk[j]
        lp = np.column_stack([math.log(pis[j]) + _expected_loglik(pm, pc, ms[j], cs[j]) for j in range(k)])
        top = lp.max(axis=1)
        e = np.exp(lp - top[:, None])
        tot = e.sum(axis=1)
        ll = float(w @ (top + np.log(tot)))
        if ll - prev < EM_TOL * abs(ll):
            break
        prev = ll
        resp = e * (w / tot)[:, None]
    order = np.argsort(ms[:, 0])
    return pis[order], ms[order], cs[order], ll


def _point_p_moments(pm: np.ndarray, pc: np.ndarray, x: np.ndarray) -> tuple:
    """Per hyperparameter point, mean and second moment of p(d) = expit(a + exp(b) x_d) under its
    normal N(pm_s, pc_s): arrays (S, D), by 2-D Gauss-Hermite (16 x 16)."""
    u, w2, lw = _gh2()
    gw = np.exp(lw)
    ta = np.sqrt(pc[:, 0, 0])
    tb = np.sqrt(pc[:, 1, 1])
    r = pc[:, 0, 1] / np.maximum(ta * tb, 1e-300)
    a = pm[:, 0:1] + ta[:, None] * u[None, :]
    b = pm[:, 1:2] + tb[:, None] * (r[:, None] * u[None, :] + np.sqrt(np.maximum(1 - r * r, 0))[:, None] * w2[None, :])
    beta = np.exp(np.clip(b, -700, 700))
    m1 = np.empty((pm.shape[0], x.size))
    m2 = np.empty((pm.shape[0], x.size))
    for j, xj in enumerate(x):
        p = special.expit(a + beta * xj)
        m1[:, j] = p @ gw
        m2[:, j] = (p * p) @ gw
    return m1, m2


def _predictive_p_moments(pm: np.ndarray, pc: np.ndarray, w: np.ndarray, x: np.ndarray) -> tuple:
    """Mean and variance of p(d) under the predictive sum_s w_s N(pm_s, pc_s) (points with
    weight > 1e-12 of the total)."""
    keep = w > 1e-12
    m1, m2 = _point_p_moments(pm[keep], pc[keep], x)
    a = w[keep] @ m1
    return a, w[keep] @ m2 - a * a


def mixture_p_moments(weights, means, sds, corrs, x: np.ndarray) -> tuple:
    """Mean and variance of ``p = expit(a + exp(b) x)`` at each ``x`` under a mixture of
    bivariate normals on (a, b) (2-D Gauss-Hermite, 40 x 40 nodes per component)."""
    xs, ws = special.roots_hermitenorm(40)
    ws = ws / ws.sum()
    u, vv = np.meshgrid(xs, xs, indexing="ij")
    ww = np.outer(ws, ws).ravel()
    u, vv = u.ravel(), vv.ravel()
    m1 = np.zeros(x.size)
    m2 = np.zeros(x.size)
    for w, (ma, mb), (sa, sb), r in zip(weights, means, sds, corrs):
        a = ma + sa * u
        b = mb + sb * (r * u + math.sqrt(1 - r * r) * vv)
        p = special.expit(a[:, None] + np.exp(b)[:, None] * x[None, :])
        m1 += w * (ww @ p)
        m2 += w * (ww @ (p * p))
    return m1, m2 - m1 * m1


def blrm_map_prior(doses: Sequence[float], d_ref: float, *, trials: Any = None, dose_range: Any = None,
                   data: Any = None, exclude: Any = None, mu_mean: Any = DEFAULT_MU_MEAN,
                   mu_sd: Any = (2.0, 1.0), tau_scale: Any = (0.5, 0.25), n_components: int = 2,
                   robust_weight: float = 0.0, robust_mean: Any = None, robust_sd: Any = (2.0, 1.0),
                   n_points: int = 1 << 13, seed: int = 20261129) -> BLRMMapPrior:
    """Meta-analytic-predictive prior for a new trial's BLRM parameters, from historical trials.

    Model (the exchangeable "EX" part of OncoBayes2's BLRM; half-normal priors on the
    heterogeneity sds as in RBesT): trial ``i`` has DLTs ``y_ik ~ Binomial(n_ik, p_i(d_k))``,
    ``logit p_i(d) = a_i + exp(b_i) log(d / d_ref)``, ``(a_i, b_i) ~ BVN(mu, Sigma)`` with sds
    ``(tau_a, tau_b)`` and correlation ``rho``; ``mu ~ N(mu_mean, diag(mu_sd^2))``,
    ``tau_a ~ HalfNormal(tau_scale[0])``, ``tau_b ~ HalfNormal(tau_scale[1])``, ``rho ~ U(-1, 1)``.
    The MAP prior is the predictive distribution of a new trial's ``(a, b)``.

    Computation (deterministic: fixed quasi-random points): importance sampling over the five
    hyperparameters (a first stage from the hyperprior, then a multivariate-t proposal fitted
    to it, mixed with the hyperprior), each trial's random effect integrated by 2-D
    Gauss-Hermite (16 x 16 nodes); the predictive is then the weighted mixture of the points'
    normals, to which ``n_components`` bivariate normals are fitted by EM on expected
    sufficient statistics (as RBesT's ``mixfit``, without sampling). Checked against an
    independent JAGS fit in the tests.

    Parameters
    ----------
    doses : sequence of float
        The new trial's doses (where ESS and prior means are reported).
    d_ref : float
        Reference dose of the model (the same scale as the historical doses).
    trials, dose_range
        Which MSC seed-trial records to use (as for the other evidence priors); ignored with ``data``.
    data : list, or path to a CSV or TOML file, optional
        Historical trials given directly: rows ``(trial, dose, n, dlt)`` (a CSV with those
        columns, or TOML ``[[trials]]`` tables with those keys).
    exclude : str or sequence of str, optional
        Trials to leave out (see :func:`blrm_map_prior_loo`).
    mu_mean, mu_sd : (float, float)
        Normal hyperprior of ``mu`` = (log alpha, log beta) of the population.
    tau_scale : (float, float)
        Scales of the half-normal priors on ``tau_a`` and ``tau_b`` (0.5 and 0.25: moderate
        heterogeneity, Neuenschwander et al. 2014).
    n_components : int
        Mixture components (1 to 4). On the MSC data more than two barely change the fit, and
        every mixture of bivariate normals understates the exact predictive's ESS at the lowest
        doses (its tails are those of a scale mixture of normals): ``ess`` is the mixture's
        (what a design uses), ``ess_predictive`` the exact predictive's.
    robust_weight : float
        Weight of a weakly informative component added after the fit, in [0, 1) (see
        :meth:`BLRMMapPrior.robustify`).
    robust_mean, robust_sd : (float, float)
        That component's means (default ``mu_mean``) and sds.
    n_points : int
        Importance-sampling points, a power of 2 from 1024 (the proposal's; plus n/4 from the
        hyperprior, and a first stage of n/4).
    seed : int
        Seed of the quasi-random point sets (results are a function of it).

    Returns
    -------
    BLRMMapPrior

    Examples
    --------
    >>> from doseesc import evidence
    >>> m = evidence.blrm_map_prior(doses=[1, 2, 4], d_ref=4, n_points=4096)
    >>> len(m.trial_data), len(m.weights)
    (6, 2)
    >>> [round(x, 3) for x in m.mean_p]
    [0.01, 0.019, 0.056]
    """
    doses_a = np.atleast_1d(np.asarray(doses, dtype=float))
    if doses_a.ndim != 1 or doses_a.size == 0 or np.any(~np.isfinite(doses_a)) or np.any(doses_a <= 0):
        raise ValueError(f"doses: expected positive numbers, got {doses!r}")
    d_ref = v.positive("d_ref", d_ref, "the reference dose")
    mu_mean = _pair("mu_mean", mu_mean)
    mu_sd = _pair("mu_sd", mu_sd, positive=True)
    tau_scale = _pair("tau_scale", tau_scale, positive=True)
    k = v.integer("n_components", n_components, low=1, high=4)
    rw = v.number("robust_weight", robust_weight)
    if not 0 <= rw < 1:
        raise ValueError(f"robust_weight: must be in [0, 1), got {robust_weight!r}")
    rmean = mu_mean if robust_mean is None else _pair("robust_mean", robust_mean)
    rsd = _pair("robust_sd", robust_sd, positive=True)
    n_points = v.integer("n_points", n_points, low=1024, high=1 << 20)
    if n_points & (n_points - 1):
        raise ValueError(f"n_points: must be a power of 2 (quasi-random point sets), got {n_points}")
    seed = v.integer("seed", seed, low=0)
    excl = () if exclude is None else ((exclude,) if isinstance(exclude, str) else tuple(exclude))
    if data is not None:
        rows = [r for r in _read_table(data) if r[0] not in excl]
        used, skipped, notes = tuple(dict.fromkeys(f"{r[0]}@{r[1]:g}" for r in rows)), (), ()
    else:
        bad = [t for t in excl if t not in TRIALS]
        if bad:
            raise ValueError(f"exclude: unknown trial {bad[0]!r}; the seed trials are {', '.join(TRIALS)}")
        rows, used, skipped, notes = _msc_rows(trials, dose_range, excl)
    grouped: dict = {}
    for t, dose, n, y in rows:
        if n > 0:
            grouped.setdefault(t, []).append((math.log(dose / d_ref), n, y))
    hist = [(np.array([g[0] for g in gs]), np.array([g[1] for g in gs]), np.array([g[2] for g in gs]))
            for gs in grouped.values()]

    if not hist:  # the hyperprior's predictive alone: disclosed in describe(), and said here too
        warnings.warn("blrm_map_prior: no record of any trial is left (see trials=, exclude=, dose_range=): the prior "
                      "is the hyperprior's predictive, informed by no trial", UserWarning, stacklevel=2)
    phi, w = _posterior_sample(hist, n_points, seed, mu_mean, mu_sd, tau_scale)
    is_ess = float(1.0 / np.sum(w * w))
    ma, mb, ta, tb, _ = _unpack(phi)
    pm, pc = _point_covs(phi)
    pis, ms, cs, ll = _fit_mixture(pm, pc, w, k)
    sds = np.sqrt(np.stack([cs[:, 0, 0], cs[:, 1, 1]], axis=1))
    corrs = cs[:, 0, 1] / (sds[:, 0] * sds[:, 1])
    weights = list(pis)
    means = [tuple(map(float, m)) for m in ms]
    sdl = [tuple(map(float, s)) for s in sds]
    cl = [float(r) for r in corrs]
    x = np.log(doses_a / d_ref)
    m1, var = mixture_p_moments(weights, means, sdl, cl, x)
    pmean, pvar = _predictive_p_moments(pm, pc, w, x)
    mean_pred = w @ pm
    dd = pm - mean_pred
    cov_pred = (dd * w[:, None]).T @ dd + np.einsum("s,sij->ij", w, pc)
    out = BLRMMapPrior(
        weights=tuple(float(x) for x in weights), means=tuple(means), sds=tuple(sdl), corrs=tuple(cl),
        doses=tuple(float(d) for d in doses_a), d_ref=d_ref,
        ess=tuple(moment_ess(float(a), float(b)) for a, b in zip(m1, var)),
        ess_predictive=tuple(moment_ess(float(a), float(b)) for a, b in zip(pmean, pvar)),
        mean_p=tuple(float(a) for a in m1), trial_data=tuple(rows), records_used=used, records_skipped=skipped,
        assumptions=notes, mu_mean=mu_mean, mu_sd=mu_sd, tau_scale=tau_scale,
        mu_posterior_mean=(float(w @ ma), float(w @ mb)), tau_posterior_mean=(float(w @ ta), float(w @ tb)),
        predictive_mean=tuple(map(float, mean_pred)), predictive_cov=tuple(map(tuple, cov_pred.tolist())),
        robust_weight=0.0, n_points=n_points, is_ess=is_ess, fit_loglik=ll, predictive_mean_p=tuple(map(float, pmean)),
        grid=(phi, w))
    return out.robustify(rw, rmean, rsd) if rw > 0 else out


def blrm_map_prior_loo(doses: Sequence[float], d_ref: float, **kwargs: Any) -> dict:
    """Leave-one-trial-out MAP priors for the MSC seed trials: for each trial, the MAP prior
    from the other trials (the prior that trial's what-if uses).

    Parameters
    ----------
    doses, d_ref
        As for :func:`blrm_map_prior`.
    **kwargs
        Passed to :func:`blrm_map_prior` (not ``exclude`` or ``data``).

    Returns
    -------
    dict
        Trial id -> :class:`BLRMMapPrior`.

    Examples
    --------
    >>> from doseesc import evidence
    >>> loo = evidence.blrm_map_prior_loo(doses=[1, 2, 4], d_ref=4, n_points=2048)
    >>> sorted(loo), sorted({t for t, *_ in loo["A"].trial_data})
    (['A', 'B', 'C', 'D'], ['B', 'C', 'D'])
    """
    for key in ("exclude", "data"):
        if key in kwargs:
            raise ValueError(f"{key}: not an option of the leave-one-out helper (it leaves out each seed trial)")
    return {t: blrm_map_prior(doses, d_ref, exclude=t, **kwargs) for t in TRIALS}
