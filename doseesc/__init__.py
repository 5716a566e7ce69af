"""doseesc: fast, exact and reproducible simulation of dose-escalation trial designs.

>>> import doseesc as de
>>> sc = de.Scenario(p_tox=[0.02, 0.05, 0.25], target=0.2, doses=[1, 2, 4], dose_unit="1e6 cells/kg")
>>> oc = de.simulate(de.ThreePlusThree(), sc, n_trials=1000, seed=1)

The public names load on first use (``import doseesc`` itself takes milliseconds; the compiled
engine and NumPy/numba load when a design, scenario or run verb is first touched).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    **dict.fromkeys(["BOIN", "CRM", "MTPI", "MTPI2", "TITEBOIN", "TITECRM", "BoinBoundaries", "CRMPosterior", "Design",
                     "DeviationWarning", "I3plus3", "Keyboard", "Modified", "Recommendation", "ThreePlusThree",
                     "boin_boundaries", "crm_skeleton", "BLRM", "BLRMRecommendation", "Stopping", "EWOC",
                     "EWOCRecommendation", "BOIN12", "EffTox", "Backfill", "gBOIN", "QuasiCRM", "TITEBOIN12"],
                    ".designs"),
    **dict.fromkeys(["compare", "exact", "simulate"], ".engine"),
    **dict.fromkeys(["PathNode", "dose_paths"], ".paths"),
    **dict.fromkeys(["Comparison", "OperatingCharacteristics", "TrialRecords"], ".results"),
    **dict.fromkeys(["Scenario", "ScenarioSet", "NonMonotoneWarning"], ".scenario"),
    **dict.fromkeys(["Report", "run_report"], ".report"),
    "TimeModel": ".timemodel",
    "whatif": "._whatif",
    **dict.fromkeys(["Benchmark", "optimal_benchmark"], ".benchmark"),
    **dict.fromkeys(["Calibration", "calibrate", "crm_plateau_scenarios", "crm_least_informative_sd"], ".calibration"),
}

__all__ = [
    "Scenario", "ScenarioSet", "NonMonotoneWarning", "TimeModel", "Design",
    "DeviationWarning", "Modified", "Recommendation", "ThreePlusThree",
    "BOIN", "MTPI", "MTPI2", "Keyboard", "I3plus3", "TITEBOIN", "TITECRM", "boin_boundaries", "BoinBoundaries",
    "CRM", "CRMPosterior", "crm_skeleton", "BLRM", "BLRMRecommendation", "Stopping", "EWOC",
    "EWOCRecommendation", "BOIN12", "EffTox", "Backfill", "gBOIN", "QuasiCRM", "TITEBOIN12",
    "simulate", "exact", "compare", "whatif", "dose_paths", "PathNode", "OperatingCharacteristics", "TrialRecords",
    "Comparison", "Report", "run_report", "optimal_benchmark", "Benchmark", "calibrate", "Calibration",
    "crm_plateau_scenarios", "crm_least_informative_sd",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'doseesc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for static analysers and IDEs
    from ._whatif import whatif
    from .benchmark import Benchmark, optimal_benchmark
    from .calibration import Calibration, calibrate, crm_least_informative_sd, crm_plateau_scenarios
    from .designs import (
        BLRM,
        BOIN,
        BOIN12,
        CRM,
        EWOC,
        MTPI,
        MTPI2,
        TITEBOIN,
        TITEBOIN12,
        TITECRM,
        Backfill,
        BLRMRecommendation,
        BoinBoundaries,
        CRMPosterior,
        Design,
        DeviationWarning,
        EffTox,
        EWOCRecommendation,
        I3plus3,
        Keyboard,
        Modified,
        QuasiCRM,
        Recommendation,
        Stopping,
        ThreePlusThree,
        boin_boundaries,
        crm_skeleton,
        gBOIN,
    )
    from .engine import compare, exact, simulate
    from .paths import PathNode, dose_paths
    from .report import Report, run_report
    from .results import Comparison, OperatingCharacteristics, TrialRecords
    from .scenario import Scenario, ScenarioSet
    from .timemodel import TimeModel
