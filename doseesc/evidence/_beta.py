"""Beta mixtures and the power prior built from the seed records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _special as special  # scipy.special on first use (not scipy.stats: its import alone costs 1-2 s)
from .. import _validate as v
from ._data import _filter, records

EVENTS = ("dlt", "ae")
AE_UNSTATED = ("upper", "skip")


def _positive(name: str, value: Any) -> float:
    x = v.number(name, value)
    if x <= 0:
        raise ValueError(f"{name}: must be > 0, got {value!r}")
    return x


#: the largest Beta shape parameter a prior is built from (a prior worth a million patients)
MAX_SHAPE = 1e6


def _shape(name: str, value: Any) -> float:
    """A Beta shape parameter: > 0 and at most ``MAX_SHAPE`` (beyond it the prior is a point mass
    to double precision and its variance and ESS are not representable)."""
    x = v.number(name, value)
    if not 0 < x <= MAX_SHAPE:
        raise ValueError(f"{name}: must be > 0 and at most {MAX_SHAPE:,.0f} (a Beta shape parameter), got {value!r}")
    return x


def _unit_closed(name: str, value: Any) -> float:
    x = v.number(name, value)
    if not 0 <= x <= 1:
        raise ValueError(f"{name}: must be in [0, 1], got {value!r}")
    return x


def _beta_pair(name: str, value: Any) -> tuple:
    try:
        a, b = (float(x) for x in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected (a, b) with a > 0 and b > 0, got {value!r}") from None
    if not (np.isfinite(a) and np.isfinite(b) and 0 < a <= MAX_SHAPE and 0 < b <= MAX_SHAPE):
        raise ValueError(f"{name}: expected (a, b) with 0 < a, b <= {MAX_SHAPE:,.0f}, got {value!r}")
    return a, b


def moment_ess(mean: float, var: float) -> float:
    """ESS of the Beta with this mean and variance: ``mean*(1-mean)/var - 1`` (= a + b for a Beta);
    infinite when the variance is zero to double precision (a prior certain of the value)."""
    if not var > 0:
        return float("inf")
    return float(mean * (1.0 - mean) / var - 1.0)


@dataclass(frozen=True)
class BetaMixture:
    """A finite mixture of Beta distributions for a probability ``p``.

    Parameters
    ----------
    weights, a, b : sequence of float
        Component weights (normalised to sum to 1) and Beta shape parameters (> 0).

    Notes
    -----
    :attr:`ess` is the *moment-based* effective sample size: the ``a + b`` of the single Beta
    with the mixture's mean and variance, ``m(1-m)/var - 1``. For one component it is exactly
    ``a + b``. For a robust mixture it is small, as it should be, because the vague component
    inflates the variance.

    Examples
    --------
    >>> from doseesc.evidence import BetaMixture
    >>> m = BetaMixture(weights=[1.0], a=[1.0], b=[16.0])
    >>> round(m.mean(), 4), m.ess
    (0.0588, 17.0)
    >>> # weights after 0/6: 0.8 * B(1,22)/B(1,16) = 0.8 * 16/22 against 0.2 * B(1,7)/B(1,1) = 0.2/7
    >>> post = BetaMixture(weights=[0.8, 0.2], a=[1, 1], b=[16, 1]).posterior(0, 6)
    >>> [round(w, 3) for w in post.weights], post.components_text()
    ([0.953, 0.047], '0.953*Beta(1, 22) + 0.0468*Beta(1, 7)')
    """

    weights: Any
    a: Any
    b: Any

    def __post_init__(self) -> None:
        w = np.atleast_1d(np.asarray(self.weights, dtype=float))
        a = np.atleast_1d(np.asarray(self.a, dtype=float))
        b = np.atleast_1d(np.asarray(self.b, dtype=float))
        if not (w.ndim == a.ndim == b.ndim == 1 and w.size == a.size == b.size and w.size >= 1):
            raise ValueError("weights: weights, a and b must be equal-length non-empty lists")
        if np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights: must be non-negative with a positive sum, got {w.tolist()}")
        for name, x in (("a", a), ("b", b)):
            if np.any(~np.isfinite(x)) or np.any(x <= 0):
                raise ValueError(f"{name}: Beta shape parameters must be > 0, got {x.tolist()}")
        object.__setattr__(self, "weights", tuple(float(x) for x in w / w.sum()))
        object.__setattr__(self, "a", tuple(float(x) for x in a))
        object.__setattr__(self, "b", tuple(float(x) for x in b))

    @property
    def n_components(self) -> int:
        return len(self.weights)

    def _arrays(self) -> tuple:
        return np.array(self.weights), np.array(self.a), np.array(self.b)

    def mean(self) -> float:
        w, a, b = self._arrays()
        return float(np.sum(w * a / (a + b)))

    def var(self) -> float:
        w, a, b = self._arrays()
        m = a / (a + b)
        second = m * (a + 1) / (a + b + 1)
        return float(np.sum(w * second) - self.mean() ** 2)

    def sd(self) -> float:
        return float(np.sqrt(self.var()))

    @property
    def ess(self) -> float:
        """Moment-based effective sample size (see the class notes)."""
        return moment_ess(self.mean(), self.var())

    def logpdf(self, x: Any) -> np.ndarray:
        w, a, b = self._arrays()
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore"):
            lw = np.log(w)
        xx = x[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):  # the Beta log density, as scipy.stats.beta.logpdf
            comp = special.xlogy(a - 1, xx) + special.xlog1py(b - 1, -xx) - special.betaln(a, b) + lw
            comp = np.where((xx < 0) | (xx > 1), -np.inf, comp)
        return special.logsumexp(comp, axis=-1)

    def pdf(self, x: Any) -> np.ndarray:
        return np.exp(self.logpdf(x))

    def cdf(self, x: Any) -> np.ndarray:
        w, a, b = self._arrays()
        x = np.asarray(x, dtype=float)
        return np.sum(w * special.betainc(a, b, np.clip(x[..., None], 0.0, 1.0)), axis=-1)

    def quantile(self, q: Any) -> np.ndarray:
        """Inverse CDF (bisection on the mixture CDF; exact to ~1e-12)."""
        q = np.asarray(q, dtype=float)
        lo, hi = np.zeros_like(q), np.ones_like(q)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < q
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def sample(self, size: Any, rng: np.random.Generator) -> np.ndarray:
        """Draws from the mixture with the given generator (component first, then the Beta)."""
        w, a, b = self._arrays()
        k = rng.choice(w.size, size=size, p=w) if w.size > 1 else np.zeros(size, dtype=int)
        return rng.beta(a[k], b[k])

    def posterior(self, events: int, n: int) -> BetaMixture:
        """Conjugate update with ``events`` in ``n`` patients (weights by beta-binomial evidence)."""
        y = v.integer("events", events, low=0)
        m = v.integer("n", n, low=0)
        if y > m:
            raise ValueError(f"events: must not exceed n ({m}), got {y}")
        w, a, b = self._arrays()
        with np.errstate(divide="ignore"):
            lw = np.log(w) + special.betaln(a + y, b + m - y) - special.betaln(a, b)
        lw -= special.logsumexp(lw)
        return BetaMixture(weights=np.exp(lw), a=a + y, b=b + m - y)

    def components_text(self) -> str:
        parts = [f"Beta({a:.4g}, {b:.4g})" for a, b in zip(self.a, self.b)]
        if self.n_components == 1:
            return parts[0]
        return " + ".join(f"{w:.3g}*{p}" for w, p in zip(self.weights, parts))


@dataclass(frozen=True)
class BetaPrior(BetaMixture):
    """A power prior (optionally robustified) on a DLT or low-grade-AE probability.

    Built by :func:`beta_prior`; see there. Besides the mixture it records what went in:
    the pooled counts, the records used and skipped (with reasons) and any assumptions.
    """

    event: str = "dlt"
    discount: float = 1.0
    a0: float = 1.0
    b0: float = 1.0
    robust_weight: float = 0.0
    robust: tuple = (1.0, 1.0)
    events: float = 0.0
    patients: float = 0.0
    records_used: tuple = ()
    records_skipped: tuple = ()
    assumptions: tuple = ()
    dose_range: tuple | None = None
    trials: tuple | None = None

    def describe(self) -> str:
        """One paragraph: the prior, its ESS, the data and records behind it."""
        what = "DLT" if self.event == "dlt" else "low-grade (grade 1-2) AE"
        txt = (f"Power prior on the {what} probability: {self.components_text()} "
               f"(mean {self.mean():.3f}, sd {self.sd():.3f}, moment-based ESS {self.ess:.1f}). "
               f"Initial Beta({self.a0:g}, {self.b0:g}) updated with {self.events:g} events in "
               f"{self.patients:g} patients at discount {self.discount:g}")
        if self.robust_weight > 0:
            txt += (f", then mixed with a vague Beta({self.robust[0]:g}, {self.robust[1]:g}) of weight "
                    f"{self.robust_weight:g}")
        txt += f". Records used: {', '.join(self.records_used) or 'none'}"
        if self.records_skipped:
            txt += "; skipped: " + "; ".join(f"{i} ({why})" for i, why in self.records_skipped)
        txt += "."
        if self.assumptions:
            txt += " Assumptions: " + " ".join(self.assumptions)
        return txt


def _ae_counts(recs: tuple, trial_recs: tuple, ae_unstated: str) -> tuple:
    """(events, n, ids, skipped, assumptions) for the AE data of one trial's selected records."""
    first = recs[0]
    ids = tuple(r.id for r in recs)
    if first.ae_scope == "trial":
        units = [(ids, first)]
        if len(recs) < len(trial_recs):
            reason = ("AE counts are for the whole trial, not split by dose, and dose_range excludes "
                      "some of its doses")
            return 0, 0, (), tuple((i, reason) for i in ids), ()
    else:
        units = [((r.id,), r) for r in recs]
    y = n = 0
    used, skipped, notes = [], [], []
    for uid, r in units:
        if r.ae_patients is not None:
            y += r.ae_patients
            n += r.ae_n
            used += uid
        elif r.ae_events is not None and ae_unstated == "upper":
            k = min(r.ae_events, r.ae_n)
            y += k
            n += r.ae_n
            used += uid
            notes.append(f"Trial {r.trial}: patients with an AE not stated; {r.ae_events} events in "
                         f"{r.ae_n} patients counted as {k} patients with an event (each event in a "
                         f"different patient: the upper bound, so the prior leans towards more AEs).")
        else:
            reason = r.why("ae_patients") or "patients with an AE not stated"
            if r.ae_events is not None:
                reason = "patients with an AE not stated and ae_unstated_patients='skip'"
            skipped += [(i, reason) for i in uid]
    return y, n, tuple(used), tuple(skipped), tuple(notes)


def beta_prior(event: str = "dlt", trials: Any = None, dose_range: Any = None, discount: float = 1.0,
               a0: float = 1.0, b0: float = 1.0, robust_weight: float = 0.0, robust: Any = (1, 1),
               *, ae_unstated_patients: str = "upper") -> BetaPrior:
    """Power prior on the DLT (or low-grade AE) probability from the seed records.

    ``Beta(a0 + w*y, b0 + w*(n - y))`` where ``y`` events in ``n`` patients are pooled over the
    selected records and ``w`` is ``discount``. With ``robust_weight > 0`` the result is the
    mixture ``(1 - robust_weight) * that + robust_weight * Beta(*robust)`` (a robust prior: if the
    new trial's data conflict with the evidence, the vague component takes over).

    Parameters
    ----------
    event : {"dlt", "ae"}
        DLT-type events (grade >= 3, treatment related) or low-grade (grade 1-2) AEs.
    trials : str or list of str, optional
        Trials to use (``"A"`` .. ``"D"``); all by default.
    dose_range : (float, float), optional
        Use only records with ``low <= dose <= high`` (10^6 cells/kg).
    discount : float
        Power-prior weight ``w`` in [0, 1] applied to every record's likelihood.
    a0, b0 : float
        The initial Beta (before the evidence); > 0 and at most 1,000,000.
    robust_weight : float
        Weight in [0, 1) of the vague component.
    robust : (float, float)
        The vague component's Beta parameters.
    ae_unstated_patients : {"upper", "skip"}
        For AEs where only the number of events is stated (trial A: 3 grade-1 events in 7
        patients), ``"upper"`` counts each event as a different patient (an upper bound on the
        AE rate; stated in :attr:`BetaPrior.assumptions`), ``"skip"`` leaves the trial out.

    Returns
    -------
    BetaPrior
        With ``records_used`` (record ids), ``records_skipped`` ((id, reason) pairs; records whose
        counts are missing are skipped, never read as 0), ``ess`` and ``describe()``.

    Notes
    -----
    AE counts that the source gives per trial (``Record.ae_scope == "trial"``, trials A and B)
    are counted once per trial, and only when ``dose_range`` keeps all of that trial's doses.

    Examples
    --------
    >>> from doseesc import evidence
    >>> p = evidence.beta_prior("dlt", discount=0.5)
    >>> p.components_text(), p.ess, p.records_used
    ('Beta(1, 16)', 17.0, ('A@2', 'A@3', 'B@2', 'B@4', 'C@2', 'D@1'))
    >>> ae = evidence.beta_prior("ae")
    >>> ae.components_text(), [i for i, _ in ae.records_skipped]
    ('Beta(7, 19)', ['D@1'])
    >>> evidence.beta_prior("dlt", robust_weight=0.2).components_text()
    '0.8*Beta(1, 31) + 0.2*Beta(1, 1)'
    """
    v.choice("event", event, EVENTS)
    v.choice("ae_unstated_patients", ae_unstated_patients, AE_UNSTATED)
    w = _unit_closed("discount", discount)
    a0 = _shape("a0", a0)
    b0 = _shape("b0", b0)
    rw = v.number("robust_weight", robust_weight)
    if not 0 <= rw < 1:
        raise ValueError(f"robust_weight: must be in [0, 1), got {robust_weight!r}")
    rob = _beta_pair("robust", robust)
    recs = _filter(trials, dose_range)

    y = n = 0
    used: list = []
    skipped: list = []
    notes: list = []
    if event == "dlt":
        for r in recs:
            if r.n is None or r.dlt is None:
                skipped.append((r.id, "DLT count or n not stated"))
                continue
            y += r.dlt
            n += r.n
            used.append(r.id)
            for f in ("n", "dlt"):
                if r.basis(f) == "derived":
                    notes.append(f"{r.id}: {f} derived ({r.why(f)})")
    else:
        for t in dict.fromkeys(r.trial for r in recs):
            tr = tuple(r for r in recs if r.trial == t)
            ty, tn, tu, ts, tnotes = _ae_counts(tr, records(t), ae_unstated_patients)
            y += ty
            n += tn
            used += tu
            skipped += ts
            notes += tnotes
    a1, b1 = a0 + w * y, b0 + w * (n - y)
    if rw > 0:
        weights, a, b = [1 - rw, rw], [a1, rob[0]], [b1, rob[1]]
    else:
        weights, a, b = [1.0], [a1], [b1]
    trial_tuple = None if trials is None else ((trials,) if isinstance(trials, str) else tuple(trials))
    return BetaPrior(weights=weights, a=a, b=b, event=event, discount=w, a0=a0, b0=b0, robust_weight=rw,
                     robust=rob, events=float(y), patients=float(n), records_used=tuple(used),
                     records_skipped=tuple(skipped), assumptions=tuple(dict.fromkeys(notes)),
                     dose_range=None if dose_range is None else tuple(float(x) for x in dose_range),
                     trials=trial_tuple)
