"""The continual reassessment method (O'Quigley, Pepe & Fisher 1990), as in R dfcrm 0.2-2.1."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as v
from .. import outcomes as _outcomes
from .._kernels import cache as _cache
from .._kernels import crm as _k
from .._kernels.codes import CRM as _CRM_CODE
from .base import Design, Lowered

MODELS = ("empiric", "logistic")
METHODS = ("bayes", "likelihood")
#: grid steps per smallest plausible posterior SD (see ``_grid``); the trapezoid rule's
#: relative error for a Gaussian-like integrand is about 2 exp(-2 pi^2 RHO^2), < 1e-15.
RHO = 1.5
#: bounds of the Bayes integration range, in prior SDs; the likelihood is <= 1, so the prior
#: mass left out (about 1.5e-23) bounds the relative error from truncation
RANGE_SD = 10.0
#: grid step when the safety rule is on, per model: its tail probability is an end-corrected
#: trapezoid sum (error O(step^5)); these keep it to about 1e-5 (the logistic posterior has
#: poles closer to the real axis, so larger derivatives)
SAFETY_STEP = {"empiric": 0.08, "logistic": 0.04}
#: dfcrm's optimisation interval for the maximum likelihood estimate
MLE_RANGE = 10.0
#: logistic intercept a0: the scaled doses are about -a0, so the posterior of beta narrows like 1 / a0
#: and the model degenerates as a0 grows (at 1e300 every p is 0 or 1); a skeleton needs a0 >
#: logit(max skeleton), and expit(10) = 0.99995 leaves room for any skeleton in practice
INTERCEPT_RANGE = (-10.0, 10.0)
#: simulations keep a decision cache (``_kernels/cache.py``) for designs with up to this many doses
CACHE_MAX_DOSES = 40


def _logit(p):
    return np.log(p) - np.log1p(-p)


def _expit(x):
    from .. import _special  # scipy.special's expit to the bit, without importing SciPy

    return _special.expit(np.asarray(x, dtype=float))


def _log_p_q(model: str, a0: float, xd: np.ndarray, b: np.ndarray):
    """log p and log(1 - p) at doses ``xd`` (scaled) and parameter values ``b`` (outer product)."""
    t = np.exp(b)[None, :]
    xd = np.asarray(xd, dtype=float)[:, None]
    if model == "empiric":
        lp = t * xd
        with np.errstate(divide="ignore"):
            lq = np.log(-np.expm1(lp))
        return lp, lq
    eta = a0 + t * xd
    lp = -np.logaddexp(0.0, -eta)
    return lp, lp - eta


def _bisect(f, lo: float, hi: float) -> float:
    """The root of a decreasing ``f`` with ``f(lo) > 0 > f(hi)``, to the last bit (bisection:
    scipy.optimize's import alone costs a second of start-up)."""
    while True:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            return mid
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid


def _max_information(model: str, a0: float) -> float:
    """Largest Fisher information about beta one patient can carry (over the possible p)."""
    if model == "empiric":
        p = _expit(np.linspace(-40.0, 30.0, 40001))
        lp = np.log(p)
        return float(np.max(p * lp * lp / (1.0 - p)))
    eta = np.linspace(a0 - 60.0, a0, 60001)  # logistic: p < expit(a0)
    p = _expit(eta)
    return float(np.max(p * (1.0 - p) * (eta - a0) ** 2))


@dataclass(frozen=True)
class CRM(Design):
    """Continual reassessment method with a one-parameter working model (R dfcrm ``crmsim``).

    Working models for the DLT probability at dose ``d`` with skeleton value ``s_d``:

    * ``"empiric"``: ``p_d = s_d ** exp(beta)``;
    * ``"logistic"``: ``p_d = 1 / (1 + exp(-a0 - exp(beta) * x_d))`` with ``x_d = logit(s_d) - a0``
      and ``a0 = intercept``.

    With ``method="bayes"`` beta has a ``N(0, prior_sd**2)`` prior and is estimated by its
    posterior mean (numerical integration, relative error below 1e-6); with
    ``method="likelihood"`` by maximum likelihood, which needs a two-stage design ``x0``. The
    next cohort goes to the dose whose plug-in estimate ``p_d(E[beta | data])`` is closest to
    ``target`` (every estimate at or below target: the top dose; every one at or above: dose
    1; an exact tie: the lower dose). The final selection is the recommendation after the
    last patient, without restriction (crmsim's ``MTD``).

    Parameters
    ----------
    skeleton : sequence of float
        Prior guesses of the DLT probabilities, strictly increasing in (0, 1); one per dose.
        See :func:`crm_skeleton` for calibrated skeletons.
    target : float
        Target DLT probability, in (0, 1).
    cohort_size : int
        Patients per cohort (>= 1). The last cohort is truncated to ``max_n``.
    max_n : int
        Maximum number of patients (>= cohort_size).
    model : {"empiric", "logistic"}
        Working model: empiric p_d = s_d^exp(beta), or logistic p_d = 1 / (1 + exp(-a0 -
        exp(beta) x_d)) with x_d = logit(s_d) - a0 (dfcrm's two models).
    prior_sd : float
        Prior standard deviation of beta (> 0); dfcrm's default ``sqrt(1.34)``.
    intercept : float
        Logistic intercept ``a0``, from -10 to 10. It must exceed ``logit(max(skeleton))``, so that every
        scaled dose ``x_d`` is negative: then every ``p_d`` decreases in beta and stays below
        ``expit(a0)``, which is what makes "closest to target" and the restrictions coherent
        (dfcrm refuses the same set-ups). Ignored by the empiric model.
    start_dose : int
        1-based first dose (one-stage designs).
    restrict : bool
        dfcrm ``crmsim``'s restriction (default): never escalate more than one level above the
        last cohort's dose (no skipping in escalation), and never escalate right after a cohort
        whose observed DLT rate is >= target. ``False``: always follow the model.
    method : {"bayes", "likelihood"}
        How beta is estimated: ``"bayes"``, its posterior mean under the ``N(0, prior_sd^2)``
        prior; ``"likelihood"``, its maximum-likelihood estimate (needs a two-stage ``x0``).
    x0 : sequence of int, optional
        Two-stage design (dfcrm's ``x0`` vector): the 1-based dose for each of the ``max_n``
        patients, followed until the first DLT, after which the model takes over (constant
        within each cohort). While every patient so far has had a DLT, decisions use dfcrm's
        nearly flat N(0, 500^2) prior, i.e. dose 1.
    skip_escalation : bool
        Only with ``restrict=True``: keep the coherence rule (no escalation right after a
        cohort with DLT rate >= target) but allow skipping doses when escalating, as in the
        trace of Cheung (2011), Table 3.2. Default False (dfcrm).
    model_safety_threshold : float, optional
        Model-based safety stopping (Bayes only): after any cohort, stop the trial with no dose
        selected (reason ``"safety"``) when ``P(p_1 > target | data) > model_safety_threshold``
        under this CRM's posterior. Off by default. (The composable ``safety_threshold``
        modifier, available for every design, uses a Beta posterior at dose 1 instead.)

    Notes
    -----
    *Numerics.* The posterior mean is a trapezoid sum over a grid of beta values fixed at
    construction (per-dose log p and log(1 - p) precomputed), with the exponentials taken on
    a sub-lattice adapted to the posterior's width and checked against the rule on every
    other node; against ``scipy.integrate.quad`` it agrees to about 1e-8 (relative), including
    extreme data such as 20 DLTs in 20 patients. dfcrm's own ``integrate`` call has a relative
    tolerance of 1.2e-4, so betas agree with dfcrm to about 1e-4 and decisions agree except
    when dfcrm's estimate sits within its own error of the midpoint between two doses.

    *Exact results.* Decisions depend only on the per-dose counts, the last cohort and one
    integer (a lower bound on the model's recommendation, which lets a DLT-free cohort in the
    escalation phase skip the posterior: the recommendation can only rise). So
    :func:`doseesc.exact` applies; with dfcrm's restriction the reachable states stay few
    (5 doses, 24 patients one at a time: about 0.2 s).

    *Differences from dfcrm.* None in the decisions; ``x0`` must be constant within each
    cohort (dfcrm allows any per-patient initial design); the last cohort is truncated to
    ``max_n`` (dfcrm requires a multiple of the cohort size).

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.CRM(skeleton=[0.05, 0.12, 0.25, 0.40, 0.55], target=0.25, model="logistic",
    ...            max_n=20, start_dose=3, restrict=False)
    >>> rec = d.next_dose("3N 5N 5T 3N 4N")
    >>> rec.dose, round(rec.beta, 2)
    (4, 0.28)
    >>> [round(float(p), 2) for p in rec.p_tox]
    [0.01, 0.03, 0.08, 0.18, 0.33]
    >>> d.select([1, 0, 0, 0, 0], [1, 0, 0, 0, 0])
    1
    """

    skeleton: Sequence[float]
    target: float
    cohort_size: int = 1
    max_n: int = 24
    model: str = "empiric"
    prior_sd: float = math.sqrt(1.34)
    intercept: float = 3.0
    start_dose: int = 1
    restrict: bool = True
    method: str = "bayes"
    x0: Sequence[int] | None = None
    skip_escalation: bool = False
    model_safety_threshold: float | None = None

    family: ClassVar[str] = "crm"
    reports_estimates: ClassVar[bool] = True

    def __post_init__(self) -> None:
        sk = v.probabilities("skeleton", self.skeleton, open_interval=True)
        if sk.size > 1 and np.any(np.diff(sk) <= 0):
            raise ValueError(f"skeleton: must be strictly increasing, got {sk.tolist()}")
        D = sk.size
        object.__setattr__(self, "skeleton", tuple(float(x) for x in sk))
        object.__setattr__(self, "target", v.open_unit("target", self.target))
        object.__setattr__(self, "cohort_size", v.integer("cohort_size", self.cohort_size, low=1))
        object.__setattr__(self, "max_n", v.integer("max_n", self.max_n, low=self.cohort_size,
                                                        high=v.MAX_PATIENTS))
        object.__setattr__(self, "model", v.choice("model", self.model, MODELS))
        object.__setattr__(self, "method", v.choice("method", self.method, METHODS))
        sd = v.in_range("prior_sd", self.prior_sd, *v.PRIOR_SD_RANGE, "prior SD of beta; dfcrm's default is "
                        "sqrt(1.34) = 1.16")
        object.__setattr__(self, "prior_sd", sd)
        a0 = v.in_range("intercept", self.intercept, *INTERCEPT_RANGE, "the logistic working model's a0; dfcrm's "
                        "default is 3")
        if self.model == "logistic" and not a0 > float(_logit(sk[-1])):
            raise ValueError(
                f"intercept: must exceed logit(max skeleton) = {float(_logit(sk[-1])):.4g} so that every scaled "
                f"dose logit(s) - intercept is negative (p must decrease in beta at every dose), "
                f"got {self.intercept!r}")
        object.__setattr__(self, "intercept", a0)
        object.__setattr__(self, "start_dose", v.integer("start_dose", self.start_dose, low=1, high=D))
        for f in ("restrict", "skip_escalation"):
            if not isinstance(getattr(self, f), (bool, np.bool_)):
                raise ValueError(f"{f}: must be true or false, got {getattr(self, f)!r}")
            object.__setattr__(self, f, bool(getattr(self, f)))
        if self.x0 is not None:
            try:
                x0 = [v.integer("x0", x, low=1, high=D) for x in self.x0]
            except TypeError:
                raise ValueError(f"x0: expected a list of dose levels (1 to {D}), one per patient, got {self.x0!r}") \
                    from None
            if len(x0) != self.max_n:
                raise ValueError(f"x0: must give one dose level per patient (max_n = {self.max_n}), got {len(x0)}")
            c = self.cohort_size
            for i in range(0, len(x0), c):
                if len(set(x0[i:i + c])) != 1:
                    raise ValueError(f"x0: must be constant within each cohort of {c} patients, got {x0[i:i + c]} "
                                     f"for patients {i + 1} to {min(i + c, len(x0))}")
            object.__setattr__(self, "x0", tuple(x0))
        elif self.method == "likelihood":
            raise ValueError("x0: the likelihood method needs a two-stage initial design x0 (as dfcrm crmsim)")
        if self.model_safety_threshold is not None:
            thr = v.open_unit("model_safety_threshold", self.model_safety_threshold)
            if self.method != "bayes":
                raise ValueError("model_safety_threshold: safety stopping needs method='bayes'")
            object.__setattr__(self, "model_safety_threshold", thr)

    # ------------------------------------------------------------------ helpers
    @property
    def fixed_n_doses(self) -> int:
        return len(self.skeleton)

    def _auto_label(self) -> str:
        return f"CRM ({self.model}{'' if self.method == 'bayes' else ', likelihood'})"

    def _protocol(self, scenario):
        from . import _describe

        return _describe.crm(self, scenario)

    def scaled_doses(self) -> np.ndarray:
        """The doses the model uses: ``log(skeleton)`` (empiric) or ``logit(skeleton) - intercept``
        (logistic). dfcrm prints the skeleton itself for empiric; ``exp`` of this is that."""
        s = np.asarray(self.skeleton)
        return np.log(s) if self.model == "empiric" else _logit(s) - self.intercept

    def _bstar(self) -> float:
        """``p_1(b) > target`` iff ``b < b*`` (-inf when p_1 can never exceed target)."""
        s1 = self.skeleton[0]
        if self.model == "empiric":
            return math.log(math.log(self.target) / math.log(s1))
        num = float(_logit(self.target)) - self.intercept
        if num >= 0:
            return -math.inf
        return math.log(num / float(self.scaled_doses()[0]))

    def _boundaries(self) -> np.ndarray:
        """``B_d`` (d = 1..D-1): the model recommends a dose >= d + 1 (1-based) exactly when the
        beta estimate exceeds ``B_d``, the root of ``p_{d}(b) + p_{d+1}(b) = 2 target`` (the sum
        decreases in b). -inf / +inf when there is no root."""
        xd = self.scaled_doses()
        a0, t = self.intercept, self.target

        def p(d, b):
            u = math.exp(b)
            if self.model == "empiric":
                return math.exp(u * xd[d])
            return float(_expit(a0 + u * xd[d]))

        out = np.empty(len(xd) - 1)
        lo, hi = -60.0, 60.0
        for d in range(len(xd) - 1):
            f = lambda b, d=d: p(d, b) + p(d + 1, b) - 2 * t
            if f(lo) <= 0:
                out[d] = -np.inf
            elif f(hi) >= 0:
                out[d] = np.inf
            else:
                out[d] = _bisect(f, lo, hi)
        return out

    def _grid(self) -> tuple[np.ndarray, float, int]:
        """Nodes, step and the node index of b* (safety cut point)."""
        if self.method == "bayes":
            lo, hi = -RANGE_SD * self.prior_sd, RANGE_SD * self.prior_sd
            prec = 1.0 / self.prior_sd**2
        else:
            lo, hi = -MLE_RANGE, MLE_RANGE
            prec = 0.0
        info = _max_information(self.model, self.intercept) * self.max_n + prec
        h = min((1.0 / math.sqrt(info)) / RHO, (hi - lo) / 64)
        if self.model_safety_threshold is not None:
            h = min(h, SAFETY_STEP[self.model])
        anchor = lo
        jstar = -1
        if self.model_safety_threshold is not None:
            bs = self._bstar()
            if math.isfinite(bs):
                jstar = int(math.ceil((bs - lo) / h))
                anchor = bs - h * jstar
        K = int(math.floor((hi - anchor) / h)) + 1
        nodes = anchor + h * np.arange(K)
        return nodes, h, jstar

    def _max_step(self) -> float:
        """The kernel's largest sub-lattice step (``_kernels.crm.max_step``, whose logistic bound
        assumes a0 > 0); for a0 <= 0, 0: no sub-lattice (stride 1), as any negative value gives."""
        if self.model == "logistic" and self.intercept <= 0:
            return 0.0
        return _k.max_step(_k.EMPIRIC if self.model == "empiric" else _k.LOGISTIC, self.intercept)

    def _lower(self, n_doses: int) -> Lowered:
        D = len(self.skeleton)
        nodes, h, jstar = self._grid()
        K = nodes.size
        xd = self.scaled_doses()
        lp, lq = _log_p_q(self.model, self.intercept, xd, nodes)
        tab = np.empty((2 * D + 2, K))
        tab[:D] = lp
        tab[D:2 * D] = lq
        tab[2 * D] = -0.5 * (nodes / self.prior_sd) ** 2 if self.method == "bayes" else 0.0
        tab[2 * D + 1] = nodes
        x0 = [] if self.x0 is None else [x - 1 for x in self.x0]
        if not self.restrict:
            r = 0
        else:
            r = 2 if self.skip_escalation else 1
        ipar = np.zeros(_k.I_X0 + len(x0) + 1, dtype=np.int64)
        ipar[_k.I_START] = self.start_dose - 1
        ipar[_k.I_COHORT] = self.cohort_size
        ipar[_k.I_RESTRICT] = r
        ipar[_k.I_METHOD] = _k.BAYES if self.method == "bayes" else _k.LIKELIHOOD
        ipar[_k.I_MODEL] = _k.EMPIRIC if self.model == "empiric" else _k.LOGISTIC
        ipar[_k.I_K] = K
        ipar[_k.I_MAX_N] = self.max_n
        ipar[_k.I_HAS_X0] = int(self.x0 is not None)
        ipar[_k.I_SAFETY] = int(self.model_safety_threshold is not None)
        ipar[_k.I_JSTAR] = jstar
        ipar[_k.I_X0:_k.I_X0 + len(x0)] = x0
        fpar = np.zeros(_k.F_DOSE + 3 * D - 1)
        fpar[_k.F_TARGET] = self.target
        fpar[_k.F_H] = h
        fpar[_k.F_A0] = self.intercept
        fpar[_k.F_SAFETY] = np.nan if self.model_safety_threshold is None else self.model_safety_threshold
        fpar[_k.F_BSTAR] = self._bstar() if self.model_safety_threshold is not None else -np.inf
        fpar[_k.F_PRIOR_SD] = self.prior_sd
        fpar[_k.F_LO] = nodes[0]
        fpar[_k.F_HI] = nodes[-1]
        fpar[_k.F_HMAX] = self._max_step()
        fpar[_k.F_DOSE:_k.F_DOSE + D] = self.skeleton
        fpar[_k.F_DOSE + D:_k.F_DOSE + 2 * D] = xd
        fpar[_k.F_DOSE + 2 * D:_k.F_DOSE + 3 * D - 1] = self._boundaries()
        return Lowered(code=_CRM_CODE, ipar=ipar, fpar=fpar, tab=np.ascontiguousarray(tab), n_aux=1,
                       n_work=_k.n_work(K, D), max_n=self.max_n, n_doses=D,
                       n_cache=_cache.size(_k.cache_width(D)) if D <= CACHE_MAX_DOSES else 0)

    # ------------------------------------------------------------------ posterior summaries
    def posterior(self, outcomes: str = "", level: float = 0.9) -> CRMPosterior:
        """Posterior of beta and of every dose's DLT probability given the outcomes.

        Unlike ``next_dose().p_tox`` (plug-in estimates ``p_d(E[beta])``, what the design
        uses), this integrates over the posterior: ``p_mean`` is ``E[p_d | data]`` and
        ``p_lower``/``p_upper`` are equal-tailed credible limits at ``level``. (dfcrm's
        printed limits are ``p_d(E[beta] -+ z sd[beta])``, a normal approximation.)

        Parameters
        ----------
        outcomes : str
            Cohorts in order, e.g. ``"1NNN 2NTN"`` (see ``next_dose``).
        level : float
            Credible level, in (0, 1).

        Returns
        -------
        CRMPosterior

        Examples
        --------
        >>> import doseesc as de
        >>> d = de.CRM(skeleton=[0.05, 0.10, 0.20, 0.35, 0.50, 0.70], target=0.2, restrict=False)
        >>> post = d.posterior("3N 4N 4T 3N 3N 4T 3T 2N 2N 2N")
        >>> round(post.beta_mean, 4), round(post.beta_var, 4)
        (-0.2122, 0.1576)
        >>> bool(post.p_lower[1] < post.p_mean[1] < post.p_upper[1])
        True
        """
        if self.method != "bayes":
            raise ValueError("method: posterior summaries need method='bayes'")
        level = v.open_unit("level", level)
        cohorts = _outcomes.parse(outcomes, len(self.skeleton))
        D = len(self.skeleton)
        n = np.zeros(D, dtype=np.int64)
        y = np.zeros(D, dtype=np.int64)
        for c in cohorts:
            n[c.dose - 1] += c.size
            y[c.dose - 1] += c.n_dlt
        xd = self.scaled_doses()

        def logpost(b):
            lp, lq = _log_p_q(self.model, self.intercept, xd, b)
            ll = -0.5 * (b / self.prior_sd) ** 2
            return ll + (y[:, None] * lp + np.where((n - y)[:, None] > 0, (n - y)[:, None] * lq, 0.0)).sum(axis=0)

        # Two passes: locate the posterior on a coarse grid, then integrate finely around it.
        b = np.linspace(-RANGE_SD * self.prior_sd, RANGE_SD * self.prior_sd, 20001)
        lw = logpost(b)
        w = np.exp(lw - lw.max())
        m = np.sum(w * b) / np.sum(w)
        s = math.sqrt(max(np.sum(w * (b - m) ** 2) / np.sum(w), 1e-12))
        b = np.linspace(max(b[0], m - 15 * s), min(b[-1], m + 15 * s), 20001)
        lw = logpost(b)
        w = np.exp(lw - lw.max())
        w /= np.sum(w)  # trapezoid weights on a uniform grid (ends are negligible)
        mean = float(np.sum(w * b))
        var = float(np.sum(w * (b - mean) ** 2))
        p = np.exp(_log_p_q(self.model, self.intercept, xd, b)[0])  # (D, nodes)
        p_mean = p @ w
        cdf = np.cumsum(w) - 0.5 * w
        lo_b = float(np.interp(0.5 + level / 2, cdf, b))  # p decreases in beta
        hi_b = float(np.interp(0.5 - level / 2, cdf, b))
        p_lo = np.exp(_log_p_q(self.model, self.intercept, xd, np.array([lo_b]))[0][:, 0])
        p_hi = np.exp(_log_p_q(self.model, self.intercept, xd, np.array([hi_b]))[0][:, 0])
        # P(p_d > target) = P(beta < b*_d), read off the (trapezoid) CDF at each dose's cut point
        if self.model == "empiric":
            bstar = np.log(math.log(self.target) / xd)
        else:
            num = float(_logit(self.target)) - self.intercept
            bstar = np.log(num / xd) if num < 0 else np.full(D, -np.inf)
        above = np.interp(bstar, b, cdf, left=0.0, right=1.0)
        plug = np.exp(_log_p_q(self.model, self.intercept, xd, np.array([mean]))[0][:, 0])
        return CRMPosterior(beta_mean=mean, beta_var=var, p_plugin=plug, p_mean=p_mean, p_lower=p_lo,
                            p_upper=p_hi, prob_above_target=above, level=level, n_patients=n, n_dlt=y)


@dataclass(frozen=True)
class CRMPosterior:
    """Posterior summaries from :meth:`CRM.posterior`.

    Examples
    --------
    >>> import doseesc as de
    >>> post = de.CRM(skeleton=[0.05, 0.12, 0.25, 0.40, 0.55], target=0.25).posterior("1N 2N 3T", level=0.8)
    >>> [round(float(x), 2) for x in post.prob_above_target]
    [0.29, 0.48, 0.74, 0.91, 0.98]

    Attributes
    ----------
    beta_mean, beta_var : float
        Posterior mean and variance of beta (dfcrm's ``estimate`` and ``post.var``).
    p_plugin : ndarray
        Plug-in estimates ``p_d(beta_mean)`` (dfcrm's ``ptox``).
    p_mean : ndarray
        Posterior means ``E[p_d | data]``.
    p_lower, p_upper : ndarray
        Equal-tailed posterior credible limits of ``p_d`` at ``level``.
    prob_above_target : ndarray
        ``P(p_d > target | data)`` per dose (the overdose probability).
    """

    beta_mean: float
    beta_var: float
    p_plugin: np.ndarray
    p_mean: np.ndarray
    p_lower: np.ndarray
    p_upper: np.ndarray
    prob_above_target: np.ndarray
    level: float
    n_patients: np.ndarray
    n_dlt: np.ndarray

    def __str__(self) -> str:
        pct = f"{100 * self.level:g}%"
        lines = [f"dose   n  DLT  plug-in  post.mean  {pct} interval      P(p > target)"]
        for d in range(self.p_mean.size):
            lines.append(f"{d + 1:>4} {self.n_patients[d]:>3} {self.n_dlt[d]:>4}  {self.p_plugin[d]:7.3f}  "
                         f"{self.p_mean[d]:9.3f}  ({self.p_lower[d]:.3f}, {self.p_upper[d]:.3f})  "
                         f"{self.prob_above_target[d]:13.3f}")
        lines.append(f"beta: posterior mean {self.beta_mean:.4f}, variance {self.beta_var:.4f}")
        return "\n".join(lines)


def crm_skeleton(halfwidth: float, target: float, nu: int, n_doses: int, model: str = "empiric",
                 intercept: float = 3.0) -> np.ndarray:
    """CRM skeleton by indifference-interval calibration (Lee & Cheung 2009; dfcrm ``getprior``).

    Dose ``nu`` gets the target itself; neighbouring skeleton values are spaced so that the
    model's indifference intervals are ``target -+ halfwidth``: at the beta where dose ``k``
    has DLT probability ``target + halfwidth``, dose ``k - 1`` has ``target - halfwidth``.

    Parameters
    ----------
    halfwidth : float
        Half-width of the indifference interval, > 0 with ``target -+ halfwidth`` in (0, 1).
    target : float
        Target DLT probability, in (0, 1).
    nu : int
        1-based prior guess of the MTD (the dose whose skeleton value is ``target``).
    n_doses : int
        Number of dose levels.
    model : {"empiric", "logistic"}
    intercept : float
        Logistic intercept (must exceed ``logit(target + halfwidth)``).

    Returns
    -------
    ndarray
        The skeleton, strictly increasing.

    Examples
    --------
    >>> import doseesc as de
    >>> [round(float(x), 6) for x in de.crm_skeleton(0.05, 0.2, nu=2, n_doses=4)]
    [0.110528, 0.2, 0.308487, 0.423416]
    """
    target = v.open_unit("target", target)
    hw = v.number("halfwidth", halfwidth)
    if not (hw > 0 and 0 < target - hw and target + hw < 1):
        raise ValueError(f"halfwidth: must be > 0 with target -+ halfwidth inside (0, 1), got {halfwidth!r}")
    n_doses = v.integer("n_doses", n_doses, low=1, high=v.MAX_DOSES)
    nu = v.integer("nu", nu, low=1, high=n_doses)
    model = v.choice("model", model, MODELS)
    a0 = v.in_range("intercept", intercept, *INTERCEPT_RANGE, "the logistic working model's a0; dfcrm's default is 3")
    lo, hi = target - hw, target + hw
    x = np.empty(n_doses)  # scaled doses: log s (empiric) or logit(s) - a0 (logistic)
    if model == "empiric":
        flo, fhi, x[nu - 1] = math.log(lo), math.log(hi), math.log(target)
    else:
        if not a0 > float(_logit(hi)):
            raise ValueError(f"intercept: must exceed logit(target + halfwidth) = {float(_logit(hi)):.4g}, "
                             f"got {intercept!r}")
        flo, fhi, x[nu - 1] = float(_logit(lo)) - a0, float(_logit(hi)) - a0, float(_logit(target)) - a0
    # In both models the scaled response is exp(beta) * x_k; dose k reaches the upper limit at
    # exp(beta) = fhi / x_k, where dose k - 1 must sit at the lower limit: x_{k-1} = flo * x_k / fhi.
    for k in range(nu - 1, 0, -1):
        x[k - 1] = flo * x[k] / fhi
    for k in range(nu - 1, n_doses - 1):
        x[k + 1] = fhi * x[k] / flo
    sk = np.exp(x) if model == "empiric" else _expit(a0 + x)
    _check_skeleton_range(sk, hw, target, nu)
    return sk


def _check_skeleton_range(sk: np.ndarray, hw: float, target: float, nu: int) -> None:
    """Refuse a calibrated skeleton that reached 0 or 1, or stopped increasing, in double precision:
    the spacing is geometric in the scaled dose, so far from ``nu`` the values saturate."""
    what = f"with halfwidth {hw:g}, target {target:g} and the prior MTD at dose {nu} (nu)"
    up = next((k for k in range(nu, sk.size) if not (sk[k] > sk[k - 1] and sk[k] < 1)), None)
    if up is not None:
        fault = "P(DLT) = 1" if sk[k := up] >= 1 else "the same P(DLT) as the dose below"
        raise ValueError(f"n_doses: {what}, dose {k + 1} onward would have {fault} in double precision; use at most "
                         f"{k} doses (or a smaller halfwidth, or a higher nu)")
    down = next((k for k in range(nu - 2, -1, -1) if not (0 < sk[k] < sk[k + 1])), None)
    if down is not None:
        fault = "P(DLT) = 0" if sk[k := down] <= 0 else "the same P(DLT) as the dose above"
        raise ValueError(f"nu: {what}, dose {k + 1} and below would have {fault} in double precision; use nu <= "
                         f"{nu - k - 1} (or a smaller halfwidth)")
