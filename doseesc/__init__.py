"""doseesc: fast, exact and reproducible simulation of dose-escalation trial designs.

>>> import doseesc as de
>>> sc = de.Scenario(p_tox=[0.02, 0.05, 0.25], target=0.2, doses=[1, 2, 4], dose_unit="1e6 cells/kg")
>>> oc = de.simulate(de.ThreePlusThree(), sc, n_trials=1000, seed=1)
"""

__version__ = "0.1.0"

from .designs import CRM, CRMPosterior, Design, Recommendation, ThreePlusThree, crm_skeleton
from .engine import compare, exact, simulate
from .results import Comparison, OperatingCharacteristics, TrialRecords
from .scenario import Scenario, ScenarioSet

__all__ = [
    "Scenario", "ScenarioSet", "Design", "Recommendation", "ThreePlusThree", "CRM", "CRMPosterior", "crm_skeleton",
    "simulate", "exact", "compare", "OperatingCharacteristics", "TrialRecords", "Comparison",
]
