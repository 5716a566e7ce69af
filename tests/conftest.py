import os

import pytest
from hypothesis import HealthCheck, settings

# A generous deadline: the first call of a kernel in a fresh process may load or compile it.
settings.register_profile("doseesc", deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "doseesc")


@pytest.fixture(scope="session", autouse=True)
def warm_kernels():
    """Load (or compile) the shared kernels once, so no single test pays for it."""
    import doseesc as de

    sc = de.Scenario([0.1, 0.2, 0.3], target=0.3)
    de.simulate(de.ThreePlusThree(), sc, n_trials=4, seed=0)
    de.exact(de.ThreePlusThree(), sc)
    de.ThreePlusThree().next_dose("1NNN", n_doses=3)
