"""doseesc: fast, exact and reproducible simulation of dose-escalation trial designs.

>>> import doseesc as de
>>> sc = de.Scenario(p_tox=[0.02, 0.05, 0.25], target=0.2, doses=[1, 2, 4], dose_unit="1e6 cells/kg")
>>> oc = de.simulate(de.ThreePlusThree(), sc, n_trials=1000, seed=1)
"""

__version__ = "0.1.0"

from .designs import (
                      BOIN,
                      BOIN12,
                      CRM,
                      MTPI,
                      MTPI2,
                      TITEBOIN,
                      TITECRM,
                      BoinBoundaries,
                      CRMPosterior,
                      Design,
                      I3plus3,
                      Keyboard,
                      Modified,
                      Recommendation,
                      ThreePlusThree,
                      boin_boundaries,
                      crm_skeleton,
)
from .engine import compare, exact, simulate
from .paths import PathNode, dose_paths
from .results import Comparison, OperatingCharacteristics, TrialRecords
from .scenario import Scenario, ScenarioSet
from .timemodel import TimeModel
from .whatif import whatif

__all__ = [
    "Scenario", "ScenarioSet", "TimeModel", "Design", "Modified", "Recommendation", "ThreePlusThree",
    "BOIN", "MTPI", "MTPI2", "Keyboard", "I3plus3", "TITEBOIN", "TITECRM", "boin_boundaries", "BoinBoundaries",
    "CRM", "CRMPosterior", "crm_skeleton", "BOIN12",
    "simulate", "exact", "compare", "whatif", "dose_paths", "PathNode", "OperatingCharacteristics", "TrialRecords",
    "Comparison",
]
