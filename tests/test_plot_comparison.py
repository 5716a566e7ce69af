"""The comparison figure of ``plot.save(Comparison, path)`` (and ``doseesc compare --plot``): one
row per scenario, every column on one x scale in every row, doses labelled by their values and
unit, a unit on every axis."""

import re

import numpy as np
import pytest

import doseesc as de
from doseesc import evidence, plot

pytest.importorskip("matplotlib")
plt = plot._plt()  # pyplot on the Agg backend

DOSES, UNIT, TARGET = [1.0, 2.0, 4.0], "mg/kg", 0.2
DESIGNS = [de.ThreePlusThree(), de.BOIN(target=TARGET, cohort_size=3, max_n=18)]


@pytest.fixture(scope="module")
def cmp():
    # overdosing from none (all safe) to most of the trial (toxic): the rows' own ranges differ a lot
    scenarios = [
        de.Scenario([0.02, 0.04, 0.08], target=TARGET, doses=DOSES, dose_unit=UNIT, name="all safe"),
        de.Scenario([0.05, 0.12, 0.30], target=TARGET, doses=DOSES, dose_unit=UNIT, name="MTD at 2"),
        de.Scenario([0.12, 0.30, 0.45], target=TARGET, name="MTD at 1, no dose values"),
    ]
    return de.compare(DESIGNS, scenarios, n_trials=300, seed=5)


def _grid(fig, n_rows):
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(axes) % n_rows == 0
    return np.array(axes, dtype=object).reshape(n_rows, len(axes) // n_rows)


def check_comparison_figure(fig, cmp):
    """Shared x (and y) limits per column, dose ticks by value with the unit, a unit on every axis."""
    axes = _grid(fig, len(cmp.scenarios))
    for col in range(axes.shape[1]):
        assert len({tuple(np.round(ax.get_xlim(), 9)) for ax in axes[:, col]}) == 1, f"column {col}: x limits differ"
        assert len({tuple(np.round(ax.get_ylim(), 9)) for ax in axes[:, col]}) == 1, f"column {col}: y limits differ"
    for j, sc in enumerate(cmp.scenarios):
        dose_axes = [ax for ax in axes[j] if ax.get_xlabel().startswith(("dose (", "dose level"))]
        assert dose_axes, f"row {j}: no axis labelled by dose"
        for ax in dose_axes:
            ticks = [t.get_text() for t in ax.get_xticklabels()]
            if sc.doses is not None:
                assert ticks[:sc.n_doses] == [f"{x:g}" for x in sc.doses], ticks
                if sc.dose_unit:
                    assert ax.get_xlabel().startswith(f"dose ({sc.dose_unit})")
            else:
                assert ticks[:sc.n_doses] == [str(i + 1) for i in range(sc.n_doses)], ticks
                assert "dose level" in ax.get_xlabel()
        for ax in axes[j]:
            # every quantitative axis says its unit: (%), (mean per trial), (1e6 cells/kg), ...
            assert re.search(r"\(.+\)|dose level", ax.get_xlabel()), ax.get_xlabel()
            if ax in dose_axes:
                assert "(%)" in ax.get_ylabel()


def test_comparison_figure_shares_each_columns_scale(cmp):
    # the rows really differ: without a shared scale the overdosing column would run 0-1 and 0-8
    over = [[float(cmp.oc[i][j].n_overdosed) for i in range(2)] for j in range(3)]
    assert max(over[0]) < 1.0 < max(over[2])
    fig = plot.comparison_figure(cmp)
    try:
        check_comparison_figure(fig, cmp)
        axes = _grid(fig, 3)
        assert axes.shape == (3, 4)
        top = axes[0, 3].get_xlim()[1]
        assert top >= max(max(o) for o in over)  # the largest bar (and its interval) fits every row
        for ax in axes[:, 1:2].ravel():
            assert ax.get_xlim() == (0.0, 100.0)
        # design names and colours: a bar per design in the per-dose panel, a legend for the figure
        assert [t.get_text() for t in fig.legends[0].get_texts()] == [f"{i + 1}. {d.label()}"
                                                                      for i, d in enumerate(DESIGNS)]
    finally:
        plt.close(fig)


def test_comparison_figure_of_prior_predictive_curves(tmp_path):
    """A ``ScenarioSet`` row (as in examples/uc_msc_bayesian.py): dose values from the set, no MTD
    shading (each curve has its own), written by ``plot.save``."""
    prior = evidence.dose_response_prior(DOSES)
    draws = evidence.sample_scenarios(prior, DOSES, n=20, seed=7, target=TARGET)
    cmp = de.compare(DESIGNS, [draws], n_trials=15, seed=7)
    fig = plot.comparison_figure(cmp)
    try:
        check_comparison_figure(fig, cmp)
        dose_ax = _grid(fig, 1)[0, 0]
        assert [t.get_text() for t in dose_ax.get_xticklabels()] == ["1", "2", "4"]
        assert "shaded" not in fig.get_suptitle()
    finally:
        plt.close(fig)
    plot.save(cmp, str(tmp_path / "set.png"))
    assert (tmp_path / "set.png").stat().st_size > 10_000


# ---------------------------------------------------------------- scenarios with efficacy (phase I/II)
EFF_SCENARIOS = [
    de.Scenario([0.05, 0.10, 0.30], target=0.3, p_eff=[0.20, 0.50, 0.55], doses=DOSES, dose_unit=UNIT,
                name="plateau"),
    de.Scenario([0.05, 0.20, 0.45], target=0.3, p_eff=[0.30, 0.35, 0.60], doses=DOSES, dose_unit=UNIT,
                name="toxic top"),
]
EFF_DESIGNS = [de.BOIN(target=0.3, cohort_size=3, max_n=18), de.BOIN12(phi_t=0.3, phi_e=0.3, max_n=18)]


def _hatched(ax):
    """The x centres of the hatched (true OBD) spans of an axis."""
    return sorted(round(p.get_x() + p.get_width() / 2, 6) for p in ax.patches if p.get_hatch())


def test_comparison_figure_with_efficacy_shows_the_obd():
    cmp = de.compare(EFF_DESIGNS, EFF_SCENARIOS, n_trials=300, seed=3)
    fig = plot.comparison_figure(cmp)
    try:
        check_comparison_figure(fig, cmp)
        axes = _grid(fig, 2)
        assert [ax.get_title() for ax in axes[0, 1:]] == ["correct OBD selection", "over-toxic dose selected",
                                                          "patients at the OBD"]
        for j, sc in enumerate(EFF_SCENARIOS):
            assert _hatched(axes[j, 0]) == [float(d - 1) for d in sc.obd_doses]
            assert "P(response) " + ", ".join(f"{p:.3g}" for p in sc.p_eff) in axes[j, 0].get_title(loc="left")
            for m, key, scale in ((1, "pcs_obd", 100), (2, "over_toxic_selection", 100), (3, "n_at_obd", 1)):
                widths = [b.get_width() for b in axes[j, m].patches]  # bars top to bottom: design 1 first
                assert widths == pytest.approx([scale * getattr(cmp.oc[i][j], key) for i in range(2)])
        assert "hatched: the true OBD" in fig.get_suptitle()
    finally:
        plt.close(fig)
    # the figure's numbers are the table's: BOIN12 finds the plateau's OBD (dose 2) far more often here
    diff, se = cmp.difference("pcs_obd", 1, 0, scenario=0)
    assert diff == pytest.approx(cmp.oc[1][0].pcs_obd - cmp.oc[0][0].pcs_obd) and diff > 4 * se


def test_comparison_figure_without_efficacy_keeps_the_mtd_columns(cmp):
    fig = plot.comparison_figure(cmp)
    try:
        axes = _grid(fig, 3)
        assert [ax.get_title() for ax in axes[0, 1:]] == ["correct selection", "no dose selected",
                                                          "patients above the MTD"]
        assert not any(_hatched(ax) for ax in axes.ravel())
    finally:
        plt.close(fig)


def test_single_design_figure_with_efficacy():
    sc = EFF_SCENARIOS[0]
    oc = de.exact(de.BOIN12(phi_t=0.3, phi_e=0.3, max_n=9), sc)
    fig = plot.oc_figure(oc)
    try:
        truth, sel, alloc = fig.axes[:3]
        lines = {ln.get_label(): ln.get_ydata() for ln in truth.get_lines()}
        np.testing.assert_allclose(lines["true P(response)"], sc.p_eff)
        np.testing.assert_allclose(lines["true P(DLT)"], sc.p_tox)
        assert _hatched(truth) == _hatched(sel) == [float(d - 1) for d in sc.obd_doses]
        assert f"correct OBD selection {100 * oc.pcs_obd:.1f}%" in sel.get_title()
        heights = {}
        for c in alloc.containers:
            heights[c.get_label()] = [b.get_height() for b in c]
        np.testing.assert_allclose(heights["responses"], oc.n_eff)
        np.testing.assert_allclose(heights["patients"], oc.n_patients)
    finally:
        plt.close(fig)
