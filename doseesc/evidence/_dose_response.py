"""Two-parameter logistic dose-response prior updated with the seed records on a grid."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _special as special  # scipy.special on first use
from .. import _validate as v
from ._beta import _unit_closed, moment_ess
from ._data import _filter

_N_GRID = 301           # grid points per parameter, over mean +- 6 sd
STATISTICS = ("median", "mean")
DEFAULT_MEAN = (math.log(0.2 / (1 - 0.2)), 0.0)   # (alpha, log_beta); logit(0.2) as scipy computes it (tested)
DEFAULT_SD = (2.0, 1.0)


#: the most prior-predictive scenarios one ``sample_*`` call draws (``n``)
MAX_DRAWS = 1_000_000
#: bounds of the prior of (alpha, log_beta): |mean| and sd of alpha (logit scale) at most
#: ALPHA_LIMIT, of log_beta (log slope) at most LOG_BETA_LIMIT -- beyond them the grid over
#: mean +- 6 sd overflows (exp(log_beta)) and the curves become NaN; the bounds are far wider
#: than any informative or vague prior (alpha sd 100: any dose equally likely to be certain
#: toxicity or none; log_beta sd 10: slopes from e^-60 to e^60)
ALPHA_LIMIT = 100.0
LOG_BETA_LIMIT = 10.0


def check_draws(value: Any) -> int:
    """``n`` of a prior-predictive sampler: an integer from 1 to ``MAX_DRAWS``."""
    return v.integer("n", value, low=1, high=MAX_DRAWS)


def _dose_array(name: str, doses: Any) -> np.ndarray:
    try:
        d = np.atleast_1d(np.asarray(doses, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a list of positive numbers, got {v._short(doses)}") from None
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"{name}: expected a non-empty list of positive numbers, got {v._short(doses)}")
    if d.size > v.MAX_DOSES:
        raise ValueError(f"{name}: at most {v.MAX_DOSES} doses allowed, got {d.size}")
    if np.any(~np.isfinite(d)) or np.any(d <= 0) or np.any(np.diff(d) <= 0):
        raise ValueError(f"{name}: must be positive and strictly increasing, got {d.tolist()}")
    return d


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> np.ndarray:
    """Quantile ``q`` of each column of ``values`` (points x doses) under ``weights`` (points)."""
    out = np.empty(values.shape[1])
    for j in range(values.shape[1]):
        order = np.argsort(values[:, j], kind="stable")
        cw = np.cumsum(weights[order])
        cw = (cw - 0.5 * weights[order]) / cw[-1]
        out[j] = np.interp(q, cw, values[order, j])
    return out


@dataclass(frozen=True, eq=False)
class DoseResponsePrior:
    """Prior over dose-toxicity curves ``logit p(d) = alpha + exp(log_beta) * log(d / d_ref)``.

    Built by :func:`dose_response_prior`; see there. The distribution of ``(alpha, log_beta)``
    is held as normalised weights on a fixed grid (``grid``).

    Attributes
    ----------
    doses : tuple of float
        The planned doses (where :meth:`skeleton`, :meth:`mean_curve` and :attr:`ess` apply).
    ess : tuple of float
        Moment-based ESS of ``p(d)`` at each planned dose (``m(1-m)/var - 1``).
    records_used : tuple of str
    """

    doses: tuple
    d_ref: float
    prior_mean: tuple
    prior_sd: tuple
    prior_corr: float
    discount: float
    records_used: tuple
    records_skipped: tuple
    assumptions: tuple
    ess: tuple
    grid: Any = field(repr=False)

    def _doses(self, doses: Any) -> np.ndarray:
        return np.asarray(self.doses) if doses is None else _dose_array("doses", doses)

    def curve(self, alpha: Any, log_beta: Any, doses: Any = None) -> np.ndarray:
        """``p(d)`` for parameter arrays (shape ``(k,)``) at ``doses``: an array ``(k, n_doses)``."""
        x = np.log(self._doses(doses) / self.d_ref)
        alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
        log_beta = np.atleast_1d(np.asarray(log_beta, dtype=float))
        return special.expit(alpha[:, None] + np.exp(log_beta)[:, None] * x[None, :])

    def _grid_curves(self, doses: Any) -> tuple:
        al, lb, w = self.grid
        return self.curve(al, lb, doses), w

    def mean_curve(self, doses: Any = None) -> np.ndarray:
        """Mean of ``p(d)`` at each dose (the planned doses by default).

        Examples
        --------
        >>> from doseesc import evidence
        >>> pr = evidence.dose_response_prior([1, 2, 4])
        >>> bool(all(pr.mean_curve() < 0.2))
        True
        """
        p, w = self._grid_curves(doses)
        return w @ p

    def quantile_curve(self, q: float, doses: Any = None) -> np.ndarray:
        """Quantile ``q`` of ``p(d)`` at each dose (dose by dose, not a single curve)."""
        q = v.open_unit("q", q)
        p, w = self._grid_curves(doses)
        return _weighted_quantile(p, w, q)

    def skeleton(self, target: float | None = None, statistic: str = "median") -> np.ndarray:
        """A CRM skeleton: the median (or mean) of ``p(d)`` at each planned dose.

        Parameters
        ----------
        target : float, optional
            The CRM target in (0, 1). It is validated but does not change the values: the skeleton
            is the prior's own guess of the curve. Use :meth:`mtd_guess` to see which planned dose
            it puts nearest the target.
        statistic : {"median", "mean"}

        Returns
        -------
        numpy.ndarray
            Strictly increasing values in (0, 1), one per planned dose.

        Examples
        --------
        >>> from doseesc import evidence
        >>> sk = evidence.dose_response_prior([1, 2, 4]).skeleton(0.2)
        >>> bool(sk[0] < sk[1] < sk[2] < 0.2)
        True
        """
        if target is not None:
            v.open_unit("target", target)
        v.choice("statistic", statistic, STATISTICS)
        sk = self.mean_curve() if statistic == "mean" else self.quantile_curve(0.5)
        sk = np.clip(sk, 1e-12, 1 - 1e-12)
        for j in range(1, sk.size):  # guard against ties from rounding; never expected to bind
            sk[j] = max(sk[j], np.nextafter(sk[j - 1], 1.0))
        return sk

    def mtd_guess(self, target: float, statistic: str = "median") -> int:
        """1-based planned dose level whose skeleton value is nearest ``target``."""
        t = v.open_unit("target", target)
        return int(np.argmin(np.abs(self.skeleton(t, statistic) - t))) + 1

    def prob_above(self, threshold: float, doses: Any = None) -> np.ndarray:
        """Prior probability that ``p(d)`` exceeds ``threshold`` at each dose (overdose risk)."""
        t = v.open_unit("threshold", threshold)
        p, w = self._grid_curves(doses)
        return w @ (p > t)

    def sample_parameters(self, size: int, rng: np.random.Generator) -> tuple:
        """Draws of ``(alpha, log_beta)``: a grid cell by weight, then uniform within the cell."""
        al, lb, w = self.grid
        idx = rng.choice(w.size, size=size, p=w)
        ha = (self.prior_sd[0] * 12) / (_N_GRID - 1)
        hb = (self.prior_sd[1] * 12) / (_N_GRID - 1)
        jitter = rng.uniform(-0.5, 0.5, size=(size, 2))
        return al[idx] + ha * jitter[:, 0], lb[idx] + hb * jitter[:, 1]

    def describe(self) -> str:
        """One paragraph: model, prior, data, records and the implied per-dose summary."""
        sk = self.skeleton()
        txt = (f"Dose-response prior logit p(d) = alpha + exp(log_beta) * log(d/{self.d_ref:g}); "
               f"initial (alpha, log_beta) ~ bivariate normal, means ({self.prior_mean[0]:.3g}, "
               f"{self.prior_mean[1]:.3g}), sds ({self.prior_sd[0]:g}, {self.prior_sd[1]:g}), corr "
               f"{self.prior_corr:g}; updated on a {_N_GRID}x{_N_GRID} grid with the per-dose DLT data at "
               f"discount {self.discount:g}. Records used: {', '.join(self.records_used) or 'none'}")
        if self.records_skipped:
            txt += "; skipped: " + "; ".join(f"{i} ({why})" for i, why in self.records_skipped)
        txt += (". At doses " + ", ".join(f"{d:g}" for d in self.doses) + ": median p "
                + ", ".join(f"{x:.3f}" for x in sk) + "; mean p "
                + ", ".join(f"{x:.3f}" for x in self.mean_curve()) + "; moment-based ESS "
                + ", ".join(f"{x:.1f}" for x in self.ess) + ".")
        if self.assumptions:
            txt += " Assumptions: " + " ".join(self.assumptions)
        return txt


def dose_response_prior(doses: Any, *, d_ref: float | None = None, trials: Any = None,
                        dose_range: Any = None, discount: float = 1.0,
                        mean: Any = DEFAULT_MEAN, sd: Any = DEFAULT_SD,
                        corr: float = 0.0) -> DoseResponsePrior:
    """Prior over per-dose DLT curves, a logistic model in log dose updated with the records.

    ``logit p(d) = alpha + exp(log_beta) * log(d / d_ref)``, so every curve increases with dose.
    Before the evidence, ``(alpha, log_beta)`` is bivariate normal with means ``mean``, sds ``sd``
    and correlation ``corr``; the default ``alpha ~ N(logit(0.2), 2^2)`` says the reference dose is
    a priori near a 0.2 DLT rate with wide uncertainty, and ``log_beta ~ N(0, 1)`` centres the slope
    at 1 (doubling the dose doubles the odds). The per-dose DLT data ``y / n`` of the selected
    records enter as the likelihood ``prod p(d)^(w y) (1 - p(d))^(w (n - y))`` with ``w = discount``;
    the posterior is computed on a fixed 301 x 301 grid over mean +- 6 sd (deterministic).

    Parameters
    ----------
    doses : sequence of float
        Planned doses of the new trial (10^6 cells/kg), positive and strictly increasing.
    d_ref : float, optional
        Reference dose; the highest planned dose by default.
    trials, dose_range
        Record selection as in :func:`beta_prior`.
    discount : float
        Power-prior weight in [0, 1] on the records' likelihood.
    mean, sd : (float, float)
        Prior means and sds of ``(alpha, log_beta)``: ``|mean(alpha)|`` and ``sd(alpha)`` at most
        100 (logit scale), ``|mean(log_beta)|`` and ``sd(log_beta)`` at most 10 (log slope); sds > 0.
    corr : float
        Prior correlation of ``alpha`` and ``log_beta``, in (-1, 1).

    Returns
    -------
    DoseResponsePrior

    Examples
    --------
    >>> from doseesc import evidence
    >>> pr = evidence.dose_response_prior([1, 2, 4], discount=1.0)
    >>> len(pr.records_used), pr.skeleton(0.2).shape
    (6, (3,))
    """
    d = _dose_array("doses", doses)
    ref = float(d[-1]) if d_ref is None else v.number("d_ref", d_ref)
    if ref <= 0:
        raise ValueError(f"d_ref: must be > 0, got {d_ref!r}")
    with np.errstate(all="ignore"):
        finite = bool(np.all(np.isfinite(np.log(d / ref))))
    if not finite:
        what, got = ("d_ref", d_ref) if d_ref is not None else ("doses", d.tolist())
        raise ValueError(f"{what}: every dose / d_ref must be a finite positive ratio (d_ref near the planned doses, "
                         f"doses within a representable range), got {v._short(got)}")
    w = _unit_closed("discount", discount)
    try:
        m = tuple(float(x) for x in mean)
        s = tuple(float(x) for x in sd)
    except (TypeError, ValueError):
        raise ValueError(f"mean: expected (alpha, log_beta) numbers, got mean={mean!r}, sd={sd!r}") from None
    lim = (ALPHA_LIMIT, LOG_BETA_LIMIT)
    if len(m) != 2 or not all(np.isfinite(m)) or abs(m[0]) > lim[0] or abs(m[1]) > lim[1]:
        raise ValueError(f"mean: expected two finite numbers (alpha, log_beta), alpha from -{lim[0]:g} to "
                         f"{lim[0]:g} and log_beta from -{lim[1]:g} to {lim[1]:g}, got {v._short(mean)}")
    if len(s) != 2 or not all(np.isfinite(s)) or min(s) <= 0 or s[0] > lim[0] or s[1] > lim[1]:
        raise ValueError(f"sd: expected two positive numbers (alpha, log_beta), sd(alpha) at most {lim[0]:g} "
                         f"(logit scale) and sd(log_beta) at most {lim[1]:g} (log slope), got {v._short(sd)}")
    r = v.number("corr", corr)
    if not -1 < r < 1:
        raise ValueError(f"corr: must be strictly between -1 and 1, got {corr!r}")

    recs = _filter(trials, dose_range)
    used, skipped, notes, data = [], [], [], []
    for rec in recs:
        if rec.n is None or rec.dlt is None:
            skipped.append((rec.id, "DLT count or n not stated"))
            continue
        used.append(rec.id)
        data.append((rec.dose, rec.dlt, rec.n))
        if rec.basis("n") == "derived":
            notes.append(f"{rec.id}: per-dose n derived ({rec.why('n')})")
        if rec.dose > d[-1] or rec.dose < d[0]:
            notes.append(f"{rec.id}: dose {rec.dose:g} outside the planned doses; it informs the curve "
                         f"through the model")

    a = np.linspace(m[0] - 6 * s[0], m[0] + 6 * s[0], _N_GRID)
    b = np.linspace(m[1] - 6 * s[1], m[1] + 6 * s[1], _N_GRID)
    A, B = np.meshgrid(a, b, indexing="ij")
    za, zb = (A - m[0]) / s[0], (B - m[1]) / s[1]
    logw = -0.5 * (za * za - 2 * r * za * zb + zb * zb) / (1 - r * r)
    slope = np.exp(B)
    for dose, y, n in data:
        eta = A + slope * np.log(dose / ref)
        logw = logw + w * (y * -np.logaddexp(0, -eta) + (n - y) * -np.logaddexp(0, eta))
    wt = np.exp(logw - logw.max()).ravel()
    wt /= wt.sum()
    grid = (A.ravel(), B.ravel(), wt)
    for arr in grid:
        arr.setflags(write=False)

    p = special.expit(grid[0][:, None] + np.exp(grid[1])[:, None] * np.log(d / ref)[None, :])
    pm = wt @ p
    pv = wt @ (p * p) - pm * pm
    ess = tuple(moment_ess(float(mm), float(vv)) for mm, vv in zip(pm, pv))
    return DoseResponsePrior(doses=tuple(float(x) for x in d), d_ref=ref, prior_mean=m, prior_sd=s,
                             prior_corr=r, discount=w, records_used=tuple(used),
                             records_skipped=tuple(skipped), assumptions=tuple(dict.fromkeys(notes)),
                             ess=ess, grid=grid)
