"""Calibration: the default design met again as a grid point is one candidate, not two (a phase
I/II user audit listed "default" and "c_e=0.9, n_star=6" separately with the same result)."""

import doseesc as de

SC = [de.Scenario([0.05, 0.1, 0.3], target=0.3, p_eff=[0.2, 0.5, 0.55]),
      de.Scenario([0.05, 0.3, 0.5], target=0.3, p_eff=[0.3, 0.5, 0.6])]


def test_default_as_a_grid_point_is_listed_once():
    d = de.BOIN12(phi_t=0.3, phi_e=0.3, max_n=12)
    cal = de.calibrate(d, SC, grid={"c_e": [0.8, d.c_e], "n_star": [3, d.n_star]}, n_trials=200, seed=1)
    assert len(cal.candidates) == 4  # the 2 x 2 grid, the default among them
    defaults = [c for c in cal.candidates if c.design == d]
    assert defaults == [cal.default] and cal.default.label() == f"c_e=0.9, n_star={d.n_star} (= default)"
    assert "4 candidates evaluated" in cal.summary()
    # a grid that misses the default keeps it as its own candidate
    cal = de.calibrate(d, SC, grid={"n_star": [3, 9]}, n_trials=200, seed=1)
    assert len(cal.candidates) == 3 and cal.default.label() == "default"
