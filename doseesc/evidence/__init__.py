"""Evidence from the seed trials and the priors built from it (SPEC section 6).

The four MSC lupus trials of ``shared/evidence.md`` ship as one data file
(``msc_lupus.json``), one :class:`Record` per trial and dose level, each citing its seed file
and flagging every count as stated, derived or missing. From the records:

- :func:`beta_prior`: power prior (optionally robust) on the DLT or low-grade-AE probability;
- :func:`map_prior`: meta-analytic-predictive prior by numerical integration, as a Beta mixture;
- :func:`blrm_map_prior`: MAP prior for the BLRM's (log alpha, log beta), a bivariate normal
  mixture (and :func:`blrm_map_prior_loo`, leaving out each trial in turn);
- :func:`dose_response_prior`: logistic dose-response prior, giving CRM skeletons;
- :func:`sample_scenarios`: prior-predictive true dose-toxicity curves as a ``ScenarioSet``;
- :func:`endpoints`, :func:`efficacy_prior`: the trials' efficacy endpoints (kept apart: SRI-4
  at week 20, renal CR+PR within 3 months, clinical response at month 12) and a Beta prior on a
  response probability from one of them (pooling is an explicit choice with a discount);
- :func:`sample_joint_scenarios`: prior-predictive joint toxicity-efficacy curves (increasing,
  plateau and umbrella efficacy shapes);
- :func:`grade_prior`: Dirichlet prior on a patient's worst AE grade (none, 1, 2, >= 3) from the
  trials that state their grades, and :func:`sample_graded_scenarios`: prior-predictive graded
  scenarios for graded designs (gBOIN).

Every prior reports ``ess``, ``records_used`` and ``describe()``.

Examples
--------
>>> from doseesc import evidence
>>> len(evidence.load()), evidence.beta_prior("dlt", discount=0.5).components_text()
(6, 'Beta(1, 16)')
"""

from ._beta import BetaMixture, BetaPrior, beta_prior
from ._data import COUNT_FIELDS, TRIALS, Endpoint, Record, load, records, table
from ._dose_response import DoseResponsePrior, dose_response_prior
from ._efficacy import SHAPES, EfficacyEndpoint, EfficacyPrior, efficacy_prior, endpoints, sample_joint_scenarios
from ._grades import CATEGORIES, GradePrior, grade_prior, sample_graded_scenarios
from ._map import MAPPrior, map_prior
from ._map_blrm import BLRMMapPrior, blrm_map_prior, blrm_map_prior_loo
from ._scenarios import sample_scenarios

__all__ = [
    "COUNT_FIELDS", "TRIALS", "Endpoint", "Record", "load", "records", "table",
    "BetaMixture", "BetaPrior", "beta_prior", "MAPPrior", "map_prior", "BLRMMapPrior", "blrm_map_prior",
    "blrm_map_prior_loo",
    "DoseResponsePrior", "dose_response_prior", "sample_scenarios",
    "CATEGORIES", "GradePrior", "grade_prior", "sample_graded_scenarios",
    "SHAPES", "EfficacyEndpoint", "EfficacyPrior", "efficacy_prior", "endpoints", "sample_joint_scenarios",
]
