"""Bad input raises ValueError naming the field."""

import numpy as np
import pytest

import doseesc as de


@pytest.mark.parametrize("kwargs, field", [
    (dict(p_tox=[0.1, 1.1], target=0.3), "p_tox"),
    (dict(p_tox=[-0.1, 0.1], target=0.3), "p_tox"),
    (dict(p_tox=[], target=0.3), "p_tox"),
    (dict(p_tox="abc", target=0.3), "p_tox"),
    (dict(p_tox=[0.1, np.nan], target=0.3), "p_tox"),
    (dict(p_tox=[0.1, 0.2], target=0.0), "target"),
    (dict(p_tox=[0.1, 0.2], target=1.0), "target"),
    (dict(p_tox=[0.1, 0.2], target="x"), "target"),
    (dict(p_tox=[0.1, 0.2], target=0.3, doses=[2, 1]), "doses"),
    (dict(p_tox=[0.1, 0.2], target=0.3, doses=[1]), "doses"),
    (dict(p_tox=[0.1, 0.2], target=0.3, p_ae=[0.95, 0.1]), "p_ae"),
    (dict(p_tox=[0.1, 0.2], target=0.3, mtd_band=(0.4, 0.2)), "mtd_band"),
])
def test_scenario_validation(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        de.Scenario(**kwargs)


def test_design_and_run_validation():
    sc = de.Scenario([0.1, 0.2, 0.3], target=0.3)
    with pytest.raises(ValueError, match="^start_dose:"):
        de.ThreePlusThree(start_dose=0)
    with pytest.raises(ValueError, match="^start_dose:"):
        de.simulate(de.ThreePlusThree(start_dose=4), sc, 10)
    with pytest.raises(ValueError, match="^n_trials:"):
        de.simulate(de.ThreePlusThree(), sc, 0)
    with pytest.raises(ValueError, match="^n_trials:"):
        de.simulate(de.ThreePlusThree(), sc, 2.5)
    with pytest.raises(ValueError, match="^design:"):
        de.simulate("3+3", sc, 10)
    with pytest.raises(ValueError, match="^scenario:"):
        de.simulate(de.ThreePlusThree(), [0.1, 0.2], 10)
    with pytest.raises(ValueError, match="^deescalate:"):
        de.ThreePlusThree(deescalate="yes")
    with pytest.raises(ValueError, match="^outcomes:"):
        de.ThreePlusThree().next_dose("1NNN 2N?N")
    with pytest.raises(ValueError, match="^outcomes:"):
        de.ThreePlusThree().next_dose("0NNN")
    with pytest.raises(ValueError, match="^outcomes:"):
        de.ThreePlusThree().next_dose("4NNN", n_doses=3)
    with pytest.raises(ValueError, match="^n_dlt:"):
        de.ThreePlusThree().select([3, 3], [4, 0])
    with pytest.raises(ValueError, match="^name:"):
        de.simulate(de.ThreePlusThree(), sc, 10).se("nonsense")


def test_oc_se_and_dict():
    oc = de.simulate(de.ThreePlusThree(), de.Scenario([0.1, 0.2, 0.3], target=0.3), 1000, 3)
    assert oc.se("selection").shape == (3,)
    p = oc.selection
    np.testing.assert_allclose(oc.se("selection"), np.sqrt(p * (1 - p) / 999), rtol=1e-9)
    d = oc.to_dict()
    assert set(oc.metrics) <= set(d) and "stop_reasons" in d
    assert sum(oc.stop_reasons.values()) == pytest.approx(1.0)
