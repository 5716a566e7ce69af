"""Efficacy priors from the seed trials' responses, and prior-predictive joint
toxicity-efficacy scenarios (including plateaus and umbrella shapes).

The trials report *different* efficacy endpoints -- SRI-4 at week 20 (D), complete or partial
renal response within 3 months (C), major or partial clinical response at month 12 (B) -- so
every prior here is built from one endpoint, and says which. Pooling endpoints is possible only
as an explicit choice with a stated discount (``pool_discount``), never by default.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from ..scenario import ASSOCIATIONS, ScenarioSet
from ._beta import BetaMixture, _beta_pair, _shape, _unit_closed
from ._data import TRIALS, load
from ._dose_response import _dose_array, check_draws
from ._scenarios import DOSE_UNIT, _draw_sorted, _label, _per_dose, sample_scenarios

SHAPES = ("increasing", "plateau", "umbrella")


@dataclass(frozen=True)
class EfficacyEndpoint:
    """One efficacy endpoint of one trial, with the records it was reported for.

    Attributes
    ----------
    key : str
        ``"<trial>:<short name>"``, e.g. ``"D:SRI4-W20"`` (pass it to :func:`efficacy_prior`).
    trial : str
    name, time : str
        The endpoint's definition and assessment time, as reported.
    responders, n : int
    basis : str
        ``"stated"`` or ``"derived"`` (how the count was obtained; see ``why``).
    why : str or None
    scope : str
        ``"dose"`` (the count belongs to one dose level) or ``"trial"`` (to the whole trial, over
        its doses; counted once).
    records : tuple of str
        The record ids (trial@dose) the count covers.
    doses : tuple of float
        Their doses, in 10^6 cells/kg.
    headline : bool
        The trial's response-type endpoint of evidence.md's pooled view.

    Examples
    --------
    >>> from doseesc import evidence
    >>> ep = next(e for e in evidence.endpoints("D"))
    >>> ep.key, ep.time, ep.responders, ep.n, ep.doses
    ('D:SRI4-W20', 'week 20', 5, 6, (1.0,))
    """

    key: str
    trial: str
    name: str
    time: str
    responders: int
    n: int
    basis: str
    why: str | None
    scope: str
    records: tuple
    doses: tuple
    headline: bool

    def describe(self) -> str:
        dose = (f"{self.doses[0]:g}" if len(self.doses) == 1 else
                "/".join(f"{d:g}" for d in self.doses) + " (trial-level count, doses not split)")
        return (f"{self.key}: {self.name}, {self.time}: {self.responders}/{self.n} ({self.basis}) at "
                f"{dose} x10^6 cells/kg, records {', '.join(self.records)}")


def endpoints(trial: Any = None) -> tuple:
    """The efficacy endpoints reported by the seed trials (one entry per endpoint, trial-level
    counts once), optionally of one trial or a list of trials.

    Examples
    --------
    >>> from doseesc import evidence
    >>> [(e.key, e.responders, e.n) for e in evidence.endpoints() if e.headline]
    [('B:response-M12', 4, 8), ('C:renal-CRPR-M3', 7, 9), ('D:SRI4-W20', 5, 6)]
    >>> evidence.endpoints("B")[1].records
    ('B@2', 'B@4')
    """
    if trial is not None:
        wanted = (trial,) if isinstance(trial, str) else tuple(trial)
        for t in wanted:
            v.choice("trial", t, TRIALS)
    else:
        wanted = TRIALS
    out: dict[str, EfficacyEndpoint] = {}
    recs: dict[str, list] = {}
    for r in load():
        if r.trial not in wanted:
            continue
        for e in r.efficacy:
            recs.setdefault(e.key, []).append(r)
            if e.key not in out:
                out[e.key] = EfficacyEndpoint(key=e.key, trial=r.trial, name=e.name, time=e.time,
                                              responders=e.responders, n=e.n, basis=e.basis, why=e.why,
                                              scope=e.scope, records=(), doses=(), headline=e.headline)
    res = []
    for k, ep in out.items():
        rs = recs[k] if ep.scope == "trial" else recs[k][:1]
        res.append(EfficacyEndpoint(**{**ep.__dict__, "records": tuple(r.id for r in rs),
                                       "doses": tuple(r.dose for r in rs)}))
    return tuple(res)


def _resolve(endpoint: Any) -> list:
    """Endpoint keys or trial letters (-> the trial's headline endpoint) to endpoints."""
    items = [endpoint] if isinstance(endpoint, str) else list(endpoint) if endpoint is not None else []
    if not items:
        raise ValueError("endpoint: give an endpoint key such as 'D:SRI4-W20' or a trial letter "
                         f"(its headline endpoint); keys: {', '.join(e.key for e in endpoints())}")
    every = {e.key: e for e in endpoints()}
    out = []
    for it in items:
        if not isinstance(it, str):
            raise ValueError(f"endpoint: expected a key or trial letter, got {it!r}")
        if it in every:
            ep = every[it]
        elif it in TRIALS:
            heads = [e for e in every.values() if e.trial == it and e.headline]
            if not heads:
                raise ValueError(f"endpoint: trial {it} reports no efficacy endpoint; trials with one: "
                                 f"{', '.join(sorted({e.trial for e in every.values()}))}")
            ep = heads[0]
        else:
            raise ValueError(f"endpoint: unknown {it!r}; allowed: {', '.join(every)} or a trial letter")
        if ep.key not in [e.key for e in out]:
            out.append(ep)
    return out


@dataclass(frozen=True)
class EfficacyPrior(BetaMixture):
    """A Beta (or robust mixture) prior on a response probability, from named endpoints.

    Built by :func:`efficacy_prior`; see there. ``endpoints`` lists the endpoint keys used,
    ``records_used`` their records, and ``describe()`` says which endpoint, trial and time.

    Examples
    --------
    >>> from doseesc import evidence
    >>> p = evidence.efficacy_prior("C")
    >>> round(p.mean(), 3), round(p.ess, 6), p.endpoints
    (0.727, 11.0, ('C:renal-CRPR-M3',))
    >>> p.describe()[:60]
    'Prior on the response probability: Beta(8, 3) (mean 0.727, s'
    """

    endpoints: tuple = ()
    descriptions: tuple = ()
    discount: float = 1.0
    pool_discount: float | None = None
    a0: float = 1.0
    b0: float = 1.0
    robust_weight: float = 0.0
    robust: tuple = (1.0, 1.0)
    events: float = 0.0
    patients: float = 0.0
    records_used: tuple = ()

    def describe(self) -> str:
        """One paragraph: the prior, its ESS, and the endpoint(s) and records behind it."""
        txt = (f"Prior on the response probability: {self.components_text()} (mean {self.mean():.3f}, "
               f"sd {self.sd():.3f}, moment-based ESS {self.ess:.1f}). Initial Beta({self.a0:g}, {self.b0:g})")
        if len(self.endpoints) == 1:
            txt += f" updated with endpoint {self.descriptions[0]}, at discount {self.discount:g}"
        else:
            txt += (f" updated with {len(self.endpoints)} DIFFERENT endpoints pooled by explicit choice, each at "
                    f"weight {self.discount:g} x pool_discount {self.pool_discount:g}: "
                    + "; ".join(self.descriptions))
            shared = _same_patients([_endpoints_by_key()[k] for k in self.endpoints])
            if shared:
                txt += f" ({shared}, so they count once per endpoint)"
        if self.robust_weight > 0:
            txt += (f"; then mixed with a vague Beta({self.robust[0]:g}, {self.robust[1]:g}) of weight "
                    f"{self.robust_weight:g}")
        return txt + "."


def _endpoints_by_key() -> dict:
    """Every endpoint of the evidence, by its key."""
    return {e.key: e for e in endpoints()}


def _same_patients(eps) -> str:
    """Which pooled endpoints were measured on the same trial's patients, as a phrase ('' if none):
    pooling them counts those patients once per endpoint."""
    by_trial: dict[str, list] = {}
    for e in eps:
        by_trial.setdefault(e.trial, []).append(e)
    parts = [f"{' and '.join(e.key for e in same)} were measured on the same {max(e.n for e in same)} patients of "
             f"trial {t}" for t, same in by_trial.items() if len(same) > 1]
    return "; ".join(parts)


def efficacy_prior(endpoint: Any, *, discount: float = 1.0, a0: float = 1.0, b0: float = 1.0,
                   robust_weight: float = 0.0, robust: Any = (1, 1),
                   pool_discount: float | None = None) -> EfficacyPrior:
    """Power prior on a response probability from one seed-trial efficacy endpoint.

    ``Beta(a0 + w r, b0 + w (n - r))`` for ``r`` responders of ``n`` patients of the endpoint and
    weight ``w = discount``; with ``robust_weight > 0`` mixed with a vague component, as
    :func:`beta_prior`.

    Parameters
    ----------
    endpoint : str or list of str
        An endpoint key (``"B:response-M12"``, ``"C:renal-CRPR-M3"``, ``"D:SRI4-W20"``, ...; see
        :func:`endpoints`) or a trial letter (``"B"``, ``"C"``, ``"D"``: that trial's headline
        response endpoint). Several *different* endpoints are pooled only with ``pool_discount``.
    discount : float
        Power-prior weight in [0, 1] of the endpoint's data.
    a0, b0 : float
        The initial Beta; > 0 and at most 1,000,000.
    robust_weight : float
        Weight in [0, 1) of the vague component ``Beta(*robust)``.
    robust : (float, float)
    pool_discount : float, optional
        Required to pool two or more different endpoints, in (0, 1]: each endpoint's data then
        enters with weight ``discount * pool_discount``. Pooling mixes definitions (SRI-4, renal
        response, clinical response) and time points; the prior's ``describe()`` says so.

    Returns
    -------
    EfficacyPrior

    Examples
    --------
    >>> from doseesc import evidence
    >>> p = evidence.efficacy_prior("D")
    >>> p.components_text(), p.endpoints, p.records_used
    ('Beta(6, 2)', ('D:SRI4-W20',), ('D@1',))
    >>> evidence.efficacy_prior("B:response-M12", discount=0.5).components_text()
    'Beta(3, 3)'
    >>> evidence.efficacy_prior(["C", "D"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: pool_discount: pooling different endpoints (C:renal-CRPR-M3, D:SRI4-W20) is an explicit choice...
    >>> evidence.efficacy_prior(["C", "D"], pool_discount=0.5).components_text()
    'Beta(7, 2.5)'
    """
    eps = _resolve(endpoint)
    w = _unit_closed("discount", discount)
    a0 = _shape("a0", a0)
    b0 = _shape("b0", b0)
    rw = v.number("robust_weight", robust_weight)
    if not 0 <= rw < 1:
        raise ValueError(f"robust_weight: must be in [0, 1), got {robust_weight!r}")
    rob = _beta_pair("robust", robust)
    if len(eps) > 1:
        if pool_discount is None:
            raise ValueError(f"pool_discount: pooling different endpoints ({', '.join(e.key for e in eps)}) is an "
                             "explicit choice; give pool_discount in (0, 1]")
        pd = v.number("pool_discount", pool_discount)
        if not 0 < pd <= 1:
            raise ValueError(f"pool_discount: must be in (0, 1], got {pool_discount!r}")
        w_each = w * pd
    else:
        if pool_discount is not None:
            raise ValueError("pool_discount: only for pooling two or more different endpoints")
        pd = None
        w_each = w
    shared = _same_patients(eps)
    if shared:
        warnings.warn(f"pool_discount: {shared}; each of those patients counts once per endpoint (weight "
                      f"{w_each:g} each time)", UserWarning, stacklevel=2)
    r = sum(e.responders for e in eps)
    n = sum(e.n for e in eps)
    a1, b1 = a0 + w_each * r, b0 + w_each * (n - r)
    if rw > 0:
        weights, a, b = [1 - rw, rw], [a1, rob[0]], [b1, rob[1]]
    else:
        weights, a, b = [1.0], [a1], [b1]
    return EfficacyPrior(weights=weights, a=a, b=b, endpoints=tuple(e.key for e in eps),
                         descriptions=tuple(e.describe() for e in eps), discount=w, pool_discount=pd, a0=a0, b0=b0,
                         robust_weight=rw, robust=rob, events=float(r), patients=float(n),
                         records_used=tuple(i for e in eps for i in e.records))


def _shape_curve(shape: str, vals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One efficacy curve of the given shape from K draws ``vals`` (sorted ascending)."""
    K = vals.size
    if K == 1 or shape == "increasing":
        return vals.copy()
    if shape == "plateau":
        # the plateau (the highest draw) starts at a random dose k (0-based) from the second to the
        # last but one, so it spans at least two doses; with two doses the curve is flat
        k = int(rng.integers(1, K - 1)) if K > 2 else 0
        out = vals.copy()
        out[k:] = vals[-1]
        return out
    # umbrella: the largest draw at an interior peak, the others rising to it and falling after
    k = int(rng.integers(1, K - 1)) if K > 2 else 0
    rest = vals[:-1]
    left = np.sort(rng.choice(rest, size=k, replace=False)) if k else np.zeros(0)
    right = rest.copy()
    for x in left:  # remove the left values (one occurrence each)
        right = np.delete(right, np.flatnonzero(right == x)[0])
    return np.concatenate([left, [vals[-1]], np.sort(right)[::-1]])


def sample_joint_scenarios(tox_prior: Any, eff_prior: Any, doses: Any, n: int, seed: int, target: float = 0.2, *,
                           shapes: Any = SHAPES, shape_weights: Any = None, association: str = "independent",
                           association_param: Any = None, utility: Any = None, ae_prior: Any = None,
                           name: str | None = None) -> ScenarioSet:
    """Draw ``n`` joint toxicity-efficacy curves (prior-predictive phase I/II scenarios).

    The toxicity curves are exactly those of :func:`sample_scenarios` with the same ``tox_prior``,
    ``doses``, ``seed`` (and ``ae_prior``), so adding efficacy changes no toxicity curve. Each
    efficacy curve draws one value per dose from ``eff_prior`` (independently, then sorted) and
    takes one of ``shapes`` (drawn with ``shape_weights``; default equal), since MSC efficacy need
    not increase with dose:

    * ``"increasing"``: the sorted draws, lowest dose first;
    * ``"plateau"``: the sorted draws up to a random dose k (from the second dose to the last but
      one), then the highest draw at every dose from k on (with two doses: flat);
    * ``"umbrella"``: the highest draw at a random interior dose, a random subset of the other
      draws rising to it and the rest falling after it (with two doses: decreasing).

    Parameters
    ----------
    tox_prior : DoseResponsePrior, BetaMixture or sequence of BetaMixture
        As ``prior`` of :func:`sample_scenarios`.
    eff_prior : BetaMixture (e.g. :func:`efficacy_prior`) or sequence of BetaMixture
        Prior of the response probability (one shared, or one per dose).
    doses : sequence of float
    n : int
        Number of scenarios, from 1 to 1,000,000.
    seed : int
        Seed of ``numpy.random.default_rng``; efficacy uses a third child stream (toxicity and
        AEs use the first two, as in :func:`sample_scenarios`).
    target : float
        Toxicity limit of the scenarios (OBD acceptability, over-toxic doses).
    shapes : sequence of str
        Any of ``"increasing"``, ``"plateau"``, ``"umbrella"``.
    shape_weights : sequence of float, optional
    association, association_param : str, float
        The efficacy-toxicity association of every scenario (see :class:`doseesc.Scenario`).
    utility : sequence of 4 float, optional
        The utility table defining each scenario's true OBD (BOIN12's by default).
    ae_prior : optional
        As for :func:`sample_scenarios`.
    name : str, optional

    Returns
    -------
    doseesc.scenario.ScenarioSet
        With ``p_eff`` and ``tags`` (each curve's shape); ``source`` names the priors, the
        endpoint(s) and the shapes drawn.

    Examples
    --------
    >>> from doseesc import evidence
    >>> tox = evidence.beta_prior("dlt", discount=0.5)
    >>> ss = evidence.sample_joint_scenarios(tox, evidence.efficacy_prior("B"), [1, 2, 4], n=50, seed=3,
    ...                                      target=0.3)
    >>> ss.p_eff.shape, sorted(set(ss.tags))
    ((50, 3), ['increasing', 'plateau', 'umbrella'])
    >>> bool((ss.p_tox == evidence.sample_scenarios(tox, [1, 2, 4], n=50, seed=3, target=0.3).p_tox).all())
    True
    """
    d = _dose_array("doses", doses)
    K = d.size
    n = check_draws(n)
    seed = v.seed(seed)
    shapes = [shapes] if isinstance(shapes, str) else list(shapes)
    if not shapes:
        raise ValueError(f"shapes: give at least one of {', '.join(SHAPES)}")
    for s in shapes:
        v.choice("shapes", s, SHAPES)
    if shape_weights is None:
        sw = np.full(len(shapes), 1.0 / len(shapes))
    else:
        sw = np.asarray(shape_weights, dtype=float)
        if sw.shape != (len(shapes),) or not np.all(np.isfinite(sw)) or np.any(sw < 0) or sw.sum() <= 0:
            raise ValueError(f"shape_weights: expected {len(shapes)} non-negative numbers (one per shape), "
                             f"got {shape_weights!r}")
        sw = sw / sw.sum()
    v.choice("association", association, ASSOCIATIONS)
    eff_priors = _per_dose("eff_prior", eff_prior, K)
    if eff_priors is None:
        raise ValueError("eff_prior: expected a Beta prior (e.g. evidence.efficacy_prior(...)) or a list of them, "
                         f"one per dose; got {type(eff_prior).__name__}")
    tox = sample_scenarios(tox_prior, d, n, seed, target, ae_prior)
    eff_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])
    draws = _draw_sorted(eff_priors, n, eff_rng)
    which = eff_rng.choice(len(shapes), size=n, p=sw)
    p_eff = np.empty((n, K))
    tags = []
    for i in range(n):
        p_eff[i] = _shape_curve(shapes[which[i]], draws[i], eff_rng)
        tags.append(shapes[which[i]])
    eps = getattr(eff_prior, "endpoints", None)
    counts = ", ".join(f"{s} {tags.count(s)}" for s in shapes)
    source = (f"{tox.source}; efficacy: {_label(eff_prior)}"
              + (f" (endpoint {', '.join(eps)})" if eps else "") + f", shapes: {counts}")
    return ScenarioSet(p_tox=tox.p_tox, target=tox.target, doses=d, dose_unit=DOSE_UNIT, p_ae=tox.p_ae,
                       source=source, name=name, p_eff=p_eff, association=association,
                       association_param=association_param, utility=utility, tags=tuple(tags))
