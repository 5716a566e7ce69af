"""EffTox: the efficacy-toxicity trade-off design (Thall & Cook 2004; Thall et al. 2014)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np

from .. import _validate as v
from .._kernels import efftox as _k
from .._kernels.codes import EFFTOX as _EFFTOX_CODE
from .base import Design, Lowered, check_counts
from .boin12 import add_waiting

#: prior (mean, sd) of Thall et al. (2014)'s example, elicited by effective sample size
THALL2014_PRIORS = dict(alpha_mean=-7.9593, alpha_sd=3.5487, beta_mean=1.5482, beta_sd=3.5018,
                        gamma_mean=0.7367, gamma_sd=2.5423, zeta_mean=3.4181, zeta_sd=2.4406,
                        eta_mean=0.0, eta_sd=0.2, psi_mean=0.0, psi_sd=1.0)

UTILITY_AT = ("posterior_means", "draws")
SOBOL_SEED = 20040601  # fixed: the proposal points, hence every posterior summary, never change
PROPOSAL_DF = 5  # degrees of freedom of the t proposal
PROPOSAL_SCALE = 1.2  # its scale relative to the Laplace approximation's
CACHE_CAPACITY = 1 << 16
STAGE_FRACTION = 8  # the first stage of a decision uses 1/8 of the proposal points ...
STAGE_Z = 4.0  # ... and stands when every margin that matters exceeds 4 of its importance-sampling SEs


def solve_p(eff0: float, tox1: float, eff_star: float, tox_star: float) -> float:
    """The exponent p of the L^p trade-off contour through (eff0, 0), (1, tox1) and
    (eff_star, tox_star): the root of ((1 - eff_star) / (1 - eff0))^p + (tox_star / tox1)^p = 1.

    Parameters
    ----------
    eff0 : float
        Efficacy probability that is just acceptable with no toxicity.
    tox1 : float
        Toxicity probability that is just acceptable with certain efficacy.
    eff_star, tox_star : float
        A third equally desirable point, with eff_star > eff0 and tox_star < tox1.

    Examples
    --------
    >>> from doseesc.designs.efftox import solve_p
    >>> round(solve_p(0.5, 0.65, 0.7, 0.25), 3)
    0.977
    """
    eff0 = v.open_unit("eff0", eff0)
    tox1 = v.open_unit("tox1", tox1)
    eff_star = v.open_unit("eff_star", eff_star)
    tox_star = v.open_unit("tox_star", tox_star)
    if not eff_star > eff0:
        raise ValueError(f"eff_star: must exceed eff0 = {eff0:g} (the contour's point (eff_star, tox_star) "
                         f"must be better in efficacy), got {eff_star:g}")
    if not tox_star < tox1:
        raise ValueError(f"tox_star: must be below tox1 = {tox1:g}, got {tox_star:g}")
    a = np.log((1 - eff_star) / (1 - eff0))
    c = np.log(tox_star / tox1)
    lo, hi = 1e-9, 1.0
    while np.exp(hi * a) + np.exp(hi * c) > 1:  # f is decreasing from 1 (p -> 0) to -1 (p -> inf)
        hi *= 2
        if hi > 1e6:
            raise ValueError("eff_star: the contour exponent is too large (the three points are nearly collinear "
                             "at the corner); move (eff_star, tox_star)")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if np.exp(mid * a) + np.exp(mid * c) > 1:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def ess_priors(real_doses: Sequence[float], pi_t: Sequence[float], ess_t: float, pi_e: Sequence[float],
               ess_e: float, num_samples: int = 10_000, seed: int = 123) -> dict:
    """Normal priors for EffTox from elicited mean probabilities and a target effective sample
    size (Thall, Herrick, Nguyen, Venier & Norris 2014), by the criterion of trialr's
    ``get_efftox_priors``.

    With eta ~ N(0, 0.2) and psi ~ N(0, 1) fixed, the means and sds of alpha, beta, gamma, zeta
    minimise, over ``num_samples`` prior draws (fixed by ``seed``), the squared distance between
    the prior mean probabilities of toxicity and efficacy at each dose and the elicited ``pi_t``,
    ``pi_e``, plus 0.1 times the squared distances between the prior effective sample sizes and
    ``ess_t``, ``ess_e`` (a dose's ESS: a + b of the beta law with the same mean and sd, averaged
    over doses), plus 0.2 times (sd_alpha - sd_beta)^2 + (sd_gamma - sd_zeta)^2; by Nelder-Mead
    from means 0 and sds 1. Thall et al.'s own algorithm differs in detail; on their example the
    result is within Bhattacharyya distance 0.001 of their published priors (trialr's test allows 0.05).

    Parameters
    ----------
    real_doses : sequence of float
    pi_t, pi_e : sequence of float
        Elicited prior mean probabilities of toxicity and efficacy, one per dose.
    ess_t, ess_e : float
        Target effective sample sizes (patients).
    num_samples, seed : int
        Prior draws of the criterion, and their seed.

    Returns
    -------
    dict
        ``alpha_mean``, ``alpha_sd``, ..., ``psi_sd``: keyword arguments of :class:`EffTox`.

    Examples
    --------
    >>> import doseesc as de
    >>> from doseesc.designs.efftox import ess_priors
    >>> pri = ess_priors([1, 2, 4, 6.6, 10], [0.02, 0.04, 0.06, 0.08, 0.1], 0.9,
    ...                  [0.2, 0.4, 0.6, 0.8, 0.9], 0.9, num_samples=2000)  # doctest: +SKIP
    >>> d = de.EffTox(**pri)  # doctest: +SKIP
    """
    from scipy import optimize, special

    doses = v.numbers("real_doses", real_doses, max_len=v.MAX_DOSES)
    if doses.size == 0 or np.any(doses <= 0) or not np.all(np.isfinite(doses)):
        raise ValueError(f"real_doses: expected positive doses, got {v._short(real_doses)}")
    pt = v.probabilities("pi_t", pi_t, open_interval=True)
    pe = v.probabilities("pi_e", pi_e, open_interval=True)
    for name, arr in (("pi_t", pt), ("pi_e", pe)):
        if arr.size != doses.size:
            raise ValueError(f"{name}: expected {doses.size} probabilities (one per dose), got {arr.size}")
    ess_t = v.positive("ess_t", ess_t)
    ess_e = v.positive("ess_e", ess_e)
    num_samples = v.integer("num_samples", num_samples, low=100, high=10_000_000)
    x = np.log(doses) - np.mean(np.log(doses))
    z = np.random.default_rng(v.seed(seed)).standard_normal((num_samples, 5))
    # what the criterion recomputed at every call, computed once: the draws' columns (contiguous) and
    # eta's fixed term; the same values, so the same criterion to the last bit (and 25% faster)
    z0, z1, z2, z3 = (np.ascontiguousarray(z[:, j:j + 1]) for j in range(4))
    quad = (0.2 * z[:, 4:5]) * x ** 2
    n = num_samples

    def ess(lin):
        p = special.expit(lin, out=lin)
        m = np.add.reduce(p, axis=0) / n  # p.mean(axis=0), as numpy computes it
        dev = p - m  # p.std(axis=0, ddof=1), as numpy computes it, from the same mean
        s = np.sqrt(np.add.reduce(np.multiply(dev, dev, out=dev), axis=0) / (n - 1))
        a = (1 - m) * (m / s) ** 2 - m
        return m, np.mean(a + a * (1 - m) / m)

    def crit(q):
        am, asd, bm, bsd, gm, gsd, zm, zsd = q
        mt, et = ess((am + abs(asd) * z0) + (bm + abs(bsd) * z1) * x)
        me, ee = ess((gm + abs(gsd) * z2) + (zm + abs(zsd) * z3) * x + quad)
        return (np.sum((mt - pt) ** 2) + np.sum((me - pe) ** 2) + 0.1 * ((et - ess_t) ** 2 + (ee - ess_e) ** 2)
                + 0.2 * ((asd - bsd) ** 2 + (gsd - zsd) ** 2))

    r = optimize.minimize(crit, np.array([0, 1, 0, 1, 0, 1, 0, 1.0]), method="Nelder-Mead",
                          options=dict(maxiter=20_000, maxfev=20_000, xatol=1e-6, fatol=1e-10, adaptive=True))
    q = r.x
    return dict(alpha_mean=float(q[0]), alpha_sd=float(abs(q[1])), beta_mean=float(q[2]), beta_sd=float(abs(q[3])),
                gamma_mean=float(q[4]), gamma_sd=float(abs(q[5])), zeta_mean=float(q[6]), zeta_sd=float(abs(q[7])),
                eta_mean=0.0, eta_sd=0.2, psi_mean=0.0, psi_sd=1.0)


@lru_cache(maxsize=8)
def _proposal_points(m: int, nu: int) -> np.ndarray:
    """M x 8 fixed proposal points: six N(0, 1) quantiles and the t radial factor w = sqrt(nu /
    chi2_nu), from a scrambled Sobol sequence with a fixed seed, and the log of the point's inverse
    proposal density up to a constant, (nu + 6) / 2 log(1 + r^2 / nu) with r^2 the squared length of
    the point's t draw (the same for every posterior, so computed once here)."""
    from scipy import special, stats
    from scipy.stats import qmc

    u = qmc.Sobol(d=_k.N_PAR + 1, scramble=True, seed=SOBOL_SEED).random_base2(int(np.log2(m)))
    out = np.empty((m, _k.N_PAR + 2))
    out[:, :_k.N_PAR] = special.ndtri(u[:, :_k.N_PAR])
    out[:, _k.N_PAR] = np.sqrt(nu / stats.chi2.ppf(u[:, _k.N_PAR], nu))
    r2 = np.sum((out[:, :_k.N_PAR] * out[:, _k.N_PAR:_k.N_PAR + 1]) ** 2, axis=1)
    out[:, _k.N_PAR + 1] = 0.5 * (nu + _k.N_PAR) * np.log1p(r2 / nu)
    return np.ascontiguousarray(out)


@dataclass(frozen=True)
class EffTox(Design):
    """EffTox (Thall & Cook 2004; Thall, Herrick, Nguyen, Venier & Norris 2014), with the
    parameter names of trialr's ``efftox_parameters`` / escalation's ``get_trialr_efftox``.

    Model: logit pi_T = alpha + beta x and logit pi_E = gamma + zeta x + eta x^2 at the coded
    dose x = log(dose) - mean(log doses), with association psi between a patient's efficacy
    and toxicity (the Gumbel-type joint law of Thall & Cook), and independent normal priors.

    After each cohort, dose d is *acceptable* when P(pi_E(d) > ``efficacy_hurdle`` | data) >
    ``p_e`` and P(pi_T(d) < ``toxicity_hurdle`` | data) > ``p_t``, and it is no more than one
    level beyond the doses tried (no skipping of untried doses; trialr's rule, which also
    bounds de-escalation to one level below the lowest dose tried). The next cohort goes to the
    acceptable dose with the highest *utility* u(pi_E, pi_T) = 1 - (((1 - pi_E) / (1 - eff0))^p
    + (pi_T / tox1)^p)^(1/p), where p puts (eff0, 0), (1, tox1) and (eff_star, tox_star) on one
    contour (:func:`solve_p`). With no acceptable dose the trial stops and no dose is selected.
    At ``max_n`` the dose the rule recommends on the final data is selected.

    Parameters
    ----------
    real_doses : sequence of float
        The doses (positive, increasing); their number fixes the number of dose levels.
    efficacy_hurdle, toxicity_hurdle : float
        Lowest acceptable efficacy probability (``efficacy_hurdle``) and highest acceptable
        toxicity probability (``toxicity_hurdle``).
    p_e, p_t : float
        Acceptability cut-offs: a dose is acceptable when P(pi_E > efficacy_hurdle | data) >
        ``p_e`` and P(pi_T < toxicity_hurdle | data) > ``p_t``.
    eff0, tox1, eff_star, tox_star : float
        The trade-off contour's three points: (``eff0``, 0), (1, ``tox1``) and (``eff_star``,
        ``tox_star``) as (efficacy, toxicity) probabilities (see :func:`solve_p`).
    alpha_mean, alpha_sd : float
        Mean (``alpha_mean``) and standard deviation (``alpha_sd``) of the normal prior of the
        toxicity intercept alpha (defaults of all priors: Thall et al. 2014's ESS-elicited
        priors, see :func:`doseesc.designs.efftox.ess_priors`).
    beta_mean, beta_sd : float
        Mean (``beta_mean``) and standard deviation (``beta_sd``) of the normal prior of the
        toxicity slope beta.
    gamma_mean, gamma_sd : float
        Mean (``gamma_mean``) and standard deviation (``gamma_sd``) of the normal prior of the
        efficacy intercept gamma.
    zeta_mean, zeta_sd : float
        Mean (``zeta_mean``) and standard deviation (``zeta_sd``) of the normal prior of the
        efficacy slope zeta.
    eta_mean, eta_sd : float
        Mean (``eta_mean``) and standard deviation (``eta_sd``) of the normal prior of the
        efficacy curvature eta (the x^2 coefficient).
    psi_mean, psi_sd : float
        Mean (``psi_mean``) and standard deviation (``psi_sd``) of the normal prior of the
        association psi between efficacy and toxicity.
    cohort_size : int
        Patients per cohort.
    max_n : int
        Maximum sample size (the last cohort is truncated).
    start_dose : int
        1-based first dose.
    utility_at : {"posterior_means", "draws"}
        ``"posterior_means"`` (default): the utility of the posterior means of pi_E and pi_T,
        as the MD Anderson EffTox software (and trialr's ``utility``, on which trialr
        decides); ``"draws"``: the posterior mean of the utility (trialr's ``post_utility``).
    posterior_points : int
        Importance-sampling points of the posterior (a power of two, 2^10 to 2^20).

    Notes
    -----
    *The posterior* is computed by importance sampling from a Student-t (5 df) proposal
    centred at the posterior mode with 1.2 times the Laplace approximation's scale, on
    ``posterior_points`` fixed scrambled-Sobol points: a deterministic function of the per-dose
    counts (so decisions never depend on a seed), cached by state during simulation. Its error
    against a long random-walk Metropolis reference is measured in
    ``benchmarks/efftox_posterior_error.py`` (at most 0.0055 in any reported probability or
    utility over 23 states with 8192 points). A decision is first taken from the first 1/8 of the
    points; it stands only when no error of 4 importance-sampling standard errors in the
    acceptability probabilities or in the utility differences (from the estimates' covariance)
    could change it, else all the points decide. ``next_dose`` reports summaries from all points.

    *Peers.* trialr's ``stan_efftox`` (rstan MCMC) and escalation's ``get_trialr_efftox``: the
    same model, acceptability, no-skipping and recommendation rules; their Monte Carlo noise
    makes their decisions at near-tied states vary from run to run, doseesc's do not.

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.EffTox()  # Thall et al. (2014)'s example
    >>> rec = d.next_dose("1NNN 2ENN")
    >>> rec.dose
    3
    >>> [round(float(x), 2) for x in rec.p_eff]
    [0.05, 0.27, 0.73, 0.87, 0.91]
    >>> sc = de.Scenario(p_tox=[0.05, 0.1, 0.15, 0.2, 0.4], target=0.3, p_eff=[0.2, 0.4, 0.6, 0.6, 0.6])
    >>> oc = de.simulate(d.replace(max_n=12), sc, n_trials=20, seed=1)
    >>> oc.n_trials
    20
    """

    real_doses: Sequence[float] = (1.0, 2.0, 4.0, 6.6, 10.0)
    efficacy_hurdle: float = 0.5
    toxicity_hurdle: float = 0.3
    p_e: float = 0.1
    p_t: float = 0.1
    eff0: float = 0.5
    tox1: float = 0.65
    eff_star: float = 0.7
    tox_star: float = 0.25
    alpha_mean: float = THALL2014_PRIORS["alpha_mean"]
    alpha_sd: float = THALL2014_PRIORS["alpha_sd"]
    beta_mean: float = THALL2014_PRIORS["beta_mean"]
    beta_sd: float = THALL2014_PRIORS["beta_sd"]
    gamma_mean: float = THALL2014_PRIORS["gamma_mean"]
    gamma_sd: float = THALL2014_PRIORS["gamma_sd"]
    zeta_mean: float = THALL2014_PRIORS["zeta_mean"]
    zeta_sd: float = THALL2014_PRIORS["zeta_sd"]
    eta_mean: float = THALL2014_PRIORS["eta_mean"]
    eta_sd: float = THALL2014_PRIORS["eta_sd"]
    psi_mean: float = THALL2014_PRIORS["psi_mean"]
    psi_sd: float = THALL2014_PRIORS["psi_sd"]
    cohort_size: int = 3
    max_n: int = 39
    start_dose: int = 1
    utility_at: str = "posterior_means"
    posterior_points: int = 1 << 13

    family: ClassVar[str] = "EffTox"
    uses_efficacy: ClassVar[bool] = True
    reports_estimates: ClassVar[bool] = True
    exact_ok: ClassVar[bool] = True  # small trials only: see engine.api.MAX_EXACT_EFFTOX

    def __post_init__(self) -> None:
        doses = v.numbers("real_doses", self.real_doses, max_len=v.MAX_DOSES)
        if doses.size == 0 or not np.all(np.isfinite(doses)) or np.any(doses <= 0) or np.any(np.diff(doses) <= 0):
            raise ValueError("real_doses: expected positive, strictly increasing doses, got "
                             f"{v._short(self.real_doses)}")
        object.__setattr__(self, "real_doses", tuple(float(x) for x in doses))
        for f in ("efficacy_hurdle", "toxicity_hurdle", "p_e", "p_t"):
            object.__setattr__(self, f, v.open_unit(f, getattr(self, f)))
        object.__setattr__(self, "_p", solve_p(self.eff0, self.tox1, self.eff_star, self.tox_star))
        for f in ("eff0", "tox1", "eff_star", "tox_star"):
            object.__setattr__(self, f, float(getattr(self, f)))
        for par in ("alpha", "beta", "gamma", "zeta", "eta", "psi"):
            m = v.number(f"{par}_mean", getattr(self, f"{par}_mean"))
            if not np.isfinite(m) or abs(m) > 1e3:
                raise ValueError(f"{par}_mean: must be a finite number with |value| <= 1000, got {m!r}")
            s = v.number(f"{par}_sd", getattr(self, f"{par}_sd"))
            if not (np.isfinite(s) and 0 < s <= 1e3):
                raise ValueError(f"{par}_sd: must be a positive number up to 1000, got {getattr(self, f'{par}_sd')!r}")
            object.__setattr__(self, f"{par}_mean", m)
            object.__setattr__(self, f"{par}_sd", s)
        object.__setattr__(self, "cohort_size", v.integer("cohort_size", self.cohort_size, low=1,
                                                          high=v.MAX_PATIENTS))
        object.__setattr__(self, "max_n", v.integer("max_n", self.max_n, low=self.cohort_size,
                                                    high=min(v.MAX_PATIENTS, 32767)))
        object.__setattr__(self, "start_dose", v.integer("start_dose", self.start_dose, low=1, high=len(doses)))
        object.__setattr__(self, "utility_at", v.choice("utility_at", self.utility_at, UTILITY_AT))
        m = v.integer("posterior_points", self.posterior_points)
        if not (1 << 10 <= m <= 1 << 20) or m & (m - 1):  # one message for every value out of the set
            raise ValueError(f"posterior_points: must be a power of two from 1024 to 1048576 (2^10 to 2^20), got {m}")
        object.__setattr__(self, "posterior_points", m)

    @property
    def n_doses(self) -> int:
        return len(self.real_doses)

    @property
    def p(self) -> float:
        """The trade-off contour's exponent (:func:`solve_p`)."""
        return self._p

    def replace(self, **changes) -> EffTox:
        """A copy with some fields changed.

        Examples
        --------
        >>> import doseesc as de
        >>> de.EffTox().replace(max_n=12).max_n
        12
        """
        from dataclasses import fields as _fields

        kw = {f.name: getattr(self, f.name) for f in _fields(self)}
        kw.update(changes)
        return type(self)(**kw)

    def _auto_label(self) -> str:
        return f"EffTox (hurdles {self.efficacy_hurdle:g}/{self.toxicity_hurdle:g})"

    @property
    def coded_doses(self) -> np.ndarray:
        """x = log(dose) - mean(log doses), as Thall & Cook and trialr code the doses."""
        lx = np.log(np.asarray(self.real_doses))
        return lx - lx.mean()

    # ------------------------------------------------------------ protocol wording
    def _protocol(self, scenario):
        from ._describe import Protocol, dose_name

        unit = f" {scenario.dose_unit}" if scenario is not None and getattr(scenario, "dose_unit", None) else ""
        doses = ", ".join(f"{x:g}" for x in self.real_doses) + unit
        start = dose_name(self.start_dose, scenario)
        pri = "; ".join(f"{par} ~ N({getattr(self, par + '_mean'):g}, {getattr(self, par + '_sd'):g}^2)"
                        for par in ("alpha", "beta", "gamma", "zeta", "eta", "psi"))
        util = ("evaluated at the posterior means of pi_E and pi_T (as the MD Anderson EffTox software)"
                if self.utility_at == "posterior_means" else "averaged over the posterior (trialr's post_utility)")
        pr = Protocol(title=self.label())
        pr.sections = [
            ("Design", f"EffTox (Thall & Cook 2004; Thall et al. 2014) with {self.n_doses} doses ({doses}), cohorts "
                       f"of {self.cohort_size}, at most {self.max_n} patients, starting at {start}."),
            ("Model", "logit pi_T(x) = alpha + beta x, logit pi_E(x) = gamma + zeta x + eta x^2 at the coded dose "
                      "x = log(dose) - mean(log dose), with the Gumbel-type association psi between a patient's "
                      f"efficacy and toxicity; independent normal priors: {pri}."),
            ("Acceptability", f"a dose is acceptable when P(pi_E > {self.efficacy_hurdle:g} | data) > {self.p_e:g} "
                              f"and P(pi_T < {self.toxicity_hurdle:g} | data) > {self.p_t:g}, and it is at most one "
                              "level above the highest (and below the lowest) dose tried: untried doses are never "
                              "skipped."),
            ("Dose finding", "each cohort goes to the acceptable dose with the highest utility u(pi_E, pi_T) = 1 - "
                             f"(((1 - pi_E) / {1 - self.eff0:g})^p + (pi_T / {self.tox1:g})^p)^(1/p), p = "
                             f"{self.p:.4f}, the contour through (pi_E, pi_T) = ({self.eff0:g}, 0), (1, "
                             f"{self.tox1:g}) and ({self.eff_star:g}, {self.tox_star:g}); the utility is {util}. "
                             "With no acceptable dose the trial stops and no dose is selected: a stop for safety "
                             "when no dose in that range passes the toxicity criterion, for futility when one does."),
            ("Safety", "the toxicity slope beta is not constrained to be positive (as in trialr's model), so DLTs "
                       "at the lowest dose can make the model place less toxicity at higher doses, and the design can "
                       "escalate after DLTs in every patient at dose level 1 (EffTox() with its default settings "
                       "recommends dose level 2 after 1TTT). It has no safety stop besides acceptability; "
                       "stop_for_safety(...) adds one."),
            ("Selection", f"after {self.max_n} patients, the dose the same rule recommends on the final data; it can "
                          "be a dose no patient received (at most one level above the highest tried); "
                          "select_among_treated(k) restricts it to doses with at least k patients."),
            ("Computation", f"the posterior by importance sampling ({self.posterior_points} fixed Sobol points, a "
                            "Student-t proposal at the posterior mode), a deterministic function of the data; "
                            "its error against a long MCMC reference is below 0.006 on the states checked "
                            "(benchmarks/efftox_posterior_error.py). Peer: trialr's EffTox.stan and "
                            "efftox_process decision rule, whose operating characteristics doseesc matches "
                            "within 4 combined standard errors on the scenarios checked."),
        ]
        pr.rows = [("Doses", doses), ("Start dose", start), ("Cohort size", str(self.cohort_size)),
                   ("Maximum sample size", str(self.max_n)),
                   ("Efficacy hurdle, p_e", f"{self.efficacy_hurdle:g}, {self.p_e:g}"),
                   ("Toxicity hurdle, p_t", f"{self.toxicity_hurdle:g}, {self.p_t:g}"),
                   ("Contour points", f"({self.eff0:g}, 0), (1, {self.tox1:g}), ({self.eff_star:g}, "
                                      f"{self.tox_star:g}); p = {self.p:.4f}"),
                   ("Priors", pri),
                   ("Utility", "at the posterior means of pi_E and pi_T" if self.utility_at == "posterior_means"
                    else "averaged over the posterior"),
                   ("Stopping", f"no acceptable dose (no dose selected; safety or futility), or {self.max_n} "
                                "patients treated"),
                   ("Selection", "the dose the decision rule recommends on the final data (possibly untried)")]
        return add_waiting(pr, scenario)

    # ------------------------------------------------------------ lowering
    def _lower(self, n_doses: int) -> Lowered:
        D = self.n_doses
        ipar = np.zeros(_k.N_IPAR, dtype=np.int64)
        ipar[_k.I_START] = self.start_dose - 1
        ipar[_k.I_COHORT] = self.cohort_size
        ipar[_k.I_M] = self.posterior_points
        ipar[_k.I_NU] = PROPOSAL_DF
        ipar[_k.I_UTIL] = UTILITY_AT.index(self.utility_at)
        ipar[_k.I_CACHE] = CACHE_CAPACITY
        ipar[_k.I_O_CACHE] = _k.n_work_base(D)
        fpar = np.zeros(_k.N_FPAR_BASE + D)
        fpar[_k.F_EFF_HURDLE] = self.efficacy_hurdle
        fpar[_k.F_TOX_HURDLE] = self.toxicity_hurdle
        fpar[_k.F_P_E] = self.p_e
        fpar[_k.F_P_T] = self.p_t
        fpar[_k.F_EFF0] = self.eff0
        fpar[_k.F_TOX1] = self.tox1
        fpar[_k.F_P] = self.p
        fpar[_k.F_SCALE] = PROPOSAL_SCALE
        fpar[_k.F_Z] = STAGE_Z
        ipar[_k.I_M1] = self.posterior_points // STAGE_FRACTION
        for j, par in enumerate(("alpha", "beta", "gamma", "zeta", "eta", "psi")):
            fpar[_k.F_MEAN + j] = getattr(self, f"{par}_mean")
            fpar[_k.F_SD + j] = getattr(self, f"{par}_sd")
        fpar[_k.F_X:_k.F_X + D] = self.coded_doses
        return Lowered(code=_EFFTOX_CODE, ipar=ipar, fpar=fpar, tab=_proposal_points(self.posterior_points,
                                                                                    PROPOSAL_DF),
                       n_aux=0, n_work=_k.n_work(D, CACHE_CAPACITY), max_n=self.max_n, n_doses=D, efficacy=2)

    # ------------------------------------------------------------ live use
    def posterior(self, n_patients: Sequence[int], n_dlt: Sequence[int], n_eff: Sequence[int],
                  n_both: Sequence[int]) -> dict:
        """Posterior summaries per dose from per-dose counts.

        Returns
        -------
        dict
            ``p_eff``, ``p_tox`` (posterior means), ``prob_acc_eff`` (P(pi_E > efficacy_hurdle)),
            ``prob_acc_tox`` (P(pi_T < toxicity_hurdle)), ``utility`` (at the posterior means),
            ``utility_draws`` (posterior mean of the utility), ``ess`` (the importance sample's
            effective size), each an array over doses.

        Examples
        --------
        >>> import doseesc as de
        >>> post = de.EffTox().posterior([3, 3, 0, 0, 0], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 0])
        >>> round(float(post["p_eff"][2]), 2)
        0.73
        """
        n, y, e, b = self._check_counts(n_patients, n_dlt, n_eff, n_both)
        return self._summaries(n, y, e, b)

    def _check_counts(self, n_patients, n_dlt, n_eff, n_both):
        n, y = check_counts(n_patients, n_dlt)
        if n.size != self.n_doses:
            raise ValueError(f"n_patients: expected {self.n_doses} counts (one per dose of real_doses), got {n.size}")
        e = np.asarray(n_eff)
        if e.shape != n.shape or not np.all(np.equal(np.mod(e, 1), 0)) or np.any(e < 0) or np.any(e > n):
            raise ValueError(f"n_eff: expected integers 0 <= n_eff <= n_patients, one per dose, got {n_eff!r}")
        e = e.astype(np.int64)
        b = np.asarray(n_both)
        if b.shape != n.shape or not np.all(np.equal(np.mod(b, 1), 0)) or np.any(b < np.maximum(0, y + e - n)) \
                or np.any(b > np.minimum(y, e)):
            raise ValueError("n_both: expected integers max(0, n_dlt + n_eff - n_patients) <= n_both <= "
                             f"min(n_dlt, n_eff), one per dose, got {n_both!r}")
        return n, y, e, b.astype(np.int64)

    def _summaries(self, n, y, e, b) -> dict:
        low = self.lower(self.n_doses)
        D = self.n_doses
        work = np.zeros(_k.n_work_base(D))
        out = np.zeros((_k.N_SUM, D))
        ipar = low.ipar.copy()
        ipar[_k.I_UTIL] = 1  # both utilities
        _k.summaries(ipar, low.fpar, low.tab, n, y, e, b, work, out)
        return {"p_eff": out[_k.S_P_EFF].copy(), "p_tox": out[_k.S_P_TOX].copy(),
                "prob_acc_eff": out[_k.S_ACC_EFF].copy(), "prob_acc_tox": out[_k.S_ACC_TOX].copy(),
                "utility": out[_k.S_UTIL_PLUGIN].copy(), "utility_draws": out[_k.S_UTIL_MEAN].copy(),
                "ess": out[_k.S_ESS].copy()}

    def _efficacy_estimates(self, low: Lowered, n, y, e, b, cur: int | None) -> dict:
        s = self._summaries(n, y, e, b)
        D = n.size
        acceptable = np.zeros(D, dtype=bool)
        tried = np.flatnonzero(n > 0)
        if tried.size == 0:
            acceptable[self.start_dose - 1] = True
        else:
            in_range = (np.arange(D) >= tried[0] - 1) & (np.arange(D) <= tried[-1] + 1)
            acceptable = (s["prob_acc_eff"] > self.p_e) & (s["prob_acc_tox"] > self.p_t) & in_range
        return {"p_tox": s["p_tox"], "p_eff": s["p_eff"], "prob_acc_tox": s["prob_acc_tox"],
                "prob_acc_eff": s["prob_acc_eff"],
                "utility": s["utility"] if self.utility_at == "posterior_means" else s["utility_draws"],
                "acceptable": acceptable}

    def select(self, n_patients: Sequence[int], n_dlt: Sequence[int], n_eff: Sequence[int] | None = None,
               n_both: Sequence[int] | None = None) -> int | None:
        """The dose EffTox recommends on final per-dose counts (1-based), or None when no dose
        is acceptable (or no patient was treated).

        Examples
        --------
        >>> import doseesc as de
        >>> de.EffTox().select([3, 3, 3, 0, 0], [0, 0, 1, 0, 0], [0, 1, 2, 0, 0], [0, 0, 1, 0, 0])
        3
        """
        if n_eff is None or n_both is None:
            raise ValueError("n_eff: EffTox selects on efficacy too; give the responses (n_eff) and the patients "
                             "with both (n_both) per dose")
        n, y, e, b = self._check_counts(n_patients, n_dlt, n_eff, n_both)
        low = self.lower(self.n_doses)
        work = np.zeros(_k.n_work_base(self.n_doses))
        ipar = low.ipar.copy()
        ipar[_k.I_CACHE] = 0
        sel = _k.select(ipar, low.fpar, low.tab, n, y, e, b, work)
        return None if sel < 0 else int(sel) + 1
