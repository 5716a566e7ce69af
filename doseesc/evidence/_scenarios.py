"""Prior-predictive true dose-toxicity curves (a ScenarioSet drawn from an evidence prior)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate as v
from ..scenario import ScenarioSet
from ._beta import BetaMixture
from ._data import load
from ._dose_response import DoseResponsePrior, _dose_array, check_draws

DOSE_UNIT = load()[0].dose_unit


def _seed(seed: Any) -> int:
    return v.seed(seed)


def _per_dose(name: str, prior: Any, k: int) -> list | None:
    """A list of k BetaMixtures if ``prior`` is one (shared) or a sequence of them; else None."""
    if isinstance(prior, BetaMixture):
        return [prior] * k
    if isinstance(prior, (list, tuple)) and prior and all(isinstance(p, BetaMixture) for p in prior):
        if len(prior) != k:
            raise ValueError(f"{name}: expected one Beta prior per dose ({k}), got {len(prior)}")
        return list(prior)
    return None


def _draw_sorted(priors: list, n: int, rng: np.random.Generator) -> np.ndarray:
    draws = np.column_stack([p.sample(n, rng) for p in priors])
    return np.sort(draws, axis=1)


def _label(prior: Any) -> str:
    if isinstance(prior, DoseResponsePrior):
        return (f"dose_response_prior(d_ref={prior.d_ref:g}, discount={prior.discount:g}) "
                f"from records {', '.join(prior.records_used) or 'none'}")
    if isinstance(prior, BetaMixture):
        used = getattr(prior, "records_used", None)
        src = f" from records {', '.join(used) or 'none'}" if used is not None else ""
        return f"{type(prior).__name__} {prior.components_text()}{src}, draw-and-sort"
    return f"per-dose Beta priors [{'; '.join(p.components_text() for p in prior)}], draw-and-sort"


def sample_scenarios(prior: Any, doses: Any, n: int, seed: int, target: float = 0.2,
                     ae_prior: Any = None, *, name: str | None = None) -> ScenarioSet:
    """Draw ``n`` true dose-toxicity curves from a prior (prior-predictive scenarios).

    Parameters
    ----------
    prior : DoseResponsePrior, BetaMixture (BetaPrior, MAPPrior) or sequence of BetaMixture
        - :class:`DoseResponsePrior`: draw ``(alpha, log_beta)`` and evaluate the logistic curve
          at ``doses``; curves are strictly increasing.
        - One Beta prior (not dose specific, e.g. the pooled :func:`beta_prior`): draw one value
          per dose, independently, and sort them ("draw and sort"). Each curve is then the ordered
          sample of ``len(doses)`` draws: the set of values follows the prior, while the value at
          a given dose is an order statistic (the lowest dose gets the smallest draw).
        - One Beta prior per dose: draw each dose's value from its own prior, then sort.
    doses : sequence of float
        Positive, strictly increasing doses (10^6 cells/kg).
    n : int
        Number of curves, from 1 to 1,000,000.
    seed : int
        Seed (>= 0) of ``numpy.random.default_rng``; same seed, same arrays. The DLT and AE draws
        come from two independent child streams, so adding ``ae_prior`` does not change ``p_tox``.
    target : float
        Target DLT probability of the scenarios.
    ae_prior : BetaMixture or sequence of BetaMixture, optional
        Prior for ``q``, the probability of a low-grade AE in a patient without a DLT; drawn and
        sorted per curve like a Beta ``prior``. The scenario's ``p_ae = q * (1 - p_tox)`` (a
        patient has a DLT, else an AE with probability ``q``), so ``p_tox + p_ae <= 1`` always;
        ``q`` is non-decreasing in dose, ``p_ae`` need not be where ``p_tox`` rises steeply.
    name : str, optional
        Label of the set.

    Returns
    -------
    doseesc.scenario.ScenarioSet
        ``p_tox`` (and ``p_ae``) of shape ``(n, len(doses))``, non-decreasing along each row;
        ``source`` says what they were drawn from.

    Examples
    --------
    >>> from doseesc import evidence
    >>> pr = evidence.dose_response_prior([1, 2, 4])
    >>> ss = evidence.sample_scenarios(pr, [1, 2, 4], n=100, seed=1)
    >>> ss.p_tox.shape, bool((ss.p_tox[:, 1:] >= ss.p_tox[:, :-1]).all())
    ((100, 3), True)
    >>> ss2 = evidence.sample_scenarios(evidence.beta_prior("dlt", discount=0.5), [1, 2, 4], n=5, seed=7,
    ...                                 ae_prior=evidence.beta_prior("ae"))
    >>> ss2.p_ae.shape
    (5, 3)
    """
    d = _dose_array("doses", doses)
    k = d.size
    n = check_draws(n)
    s = _seed(seed)
    target = v.open_unit("target", target)
    dlt_rng, ae_rng = (np.random.default_rng(c) for c in np.random.SeedSequence(s).spawn(2))

    if isinstance(prior, DoseResponsePrior):
        al, lb = prior.sample_parameters(n, dlt_rng)
        p_tox = prior.curve(al, lb, d)
        # Enforce monotonicity against floating-point ties at probabilities near 0 or 1.
        p_tox = np.maximum.accumulate(p_tox, axis=1)
    else:
        priors = _per_dose("prior", prior, k)
        if priors is None:
            raise ValueError("prior: expected a DoseResponsePrior, a Beta prior (BetaPrior, MAPPrior, "
                             f"BetaMixture) or a list of them, one per dose; got {type(prior).__name__}")
        p_tox = _draw_sorted(priors, n, dlt_rng)

    p_ae = None
    if ae_prior is not None:
        ae_priors = _per_dose("ae_prior", ae_prior, k)
        if ae_priors is None:
            raise ValueError("ae_prior: expected a Beta prior (BetaPrior, MAPPrior, BetaMixture) or a list "
                             f"of them, one per dose; got {type(ae_prior).__name__}")
        p_ae = _draw_sorted(ae_priors, n, ae_rng) * (1.0 - p_tox)

    source = f"{_label(prior)}; seed {s}"
    if ae_prior is not None:
        source += f"; AE: {_label(ae_prior)}"
    return ScenarioSet(p_tox=p_tox, target=target, doses=d, dose_unit=DOSE_UNIT, p_ae=p_ae,
                       source=source, name=name)
