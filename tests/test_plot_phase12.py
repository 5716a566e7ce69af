"""The run figure (``plot.run_figure``; ``doseesc run --out`` writes it as comparison.png, ``doseesc report``
embeds it) for scenarios with efficacy: the true response curve beside the DLT curve on the same
probability axis, the true utility per dose and the true OBD in the row title, the OBD hatched where the
MTD is shaded; a run without efficacy draws what it drew before."""

import numpy as np
import pytest

import doseesc as de
from doseesc import plot
from doseesc.cli import main

pytest.importorskip("matplotlib")
plt = plot._plt()  # pyplot on the Agg backend

TEAL = (0x2A / 255, 0x9D / 255, 0x8F / 255)
DESIGNS = [de.BOIN12(phi_t=0.3, phi_e=0.25, max_n=24), de.BOIN(target=0.3, cohort_size=3, max_n=24)]
SCENARIOS = [
    # OBD (40 mg: utility 62) below the MTD (80 mg)
    de.Scenario([0.05, 0.1, 0.2, 0.35], target=0.3, p_eff=[0.2, 0.4, 0.5, 0.5], doses=[10, 20, 40, 80],
                dose_unit="mg", name="OBD below the MTD"),
    # OBD (20 mg: utility 74) well below the MTD; the response curve runs above 0.55
    de.Scenario([0.02, 0.05, 0.1, 0.3], target=0.3, p_eff=[0.3, 0.6, 0.62, 0.65], doses=[10, 20, 40, 80],
                dose_unit="mg"),
]


@pytest.fixture(scope="module")
def fig12():
    cmp = de.compare(DESIGNS, SCENARIOS, n_trials=200, seed=4)
    fig = plot.run_figure(DESIGNS, SCENARIOS, cmp.oc)
    yield fig
    plt.close(fig)


def _lines(ax, label):
    return [ln for ln in ax.get_lines() if ln.get_label() == label]


def _span_centres(ax, keep):
    """Dose positions (centres) of the axvspan patches of ``ax`` that ``keep`` accepts."""
    out = []
    for p in ax.patches:
        if keep(p):
            x = p.get_patch_transform().transform(p.get_path().vertices)[:, 0]
            out.append(round(float(x.min() + x.max()) / 2, 9))
    return sorted(set(out))


def _hatched(p):
    return bool(p.get_hatch())


def _shaded(p):
    return not p.get_hatch() and np.allclose(p.get_facecolor()[:3], TEAL)


def test_scenarios_have_distinct_obd_and_mtd():
    assert [sc.obd_doses.tolist() for sc in SCENARIOS] == [[3], [2]]
    assert [sc.correct_doses.tolist() for sc in SCENARIOS] == [[4], [4]]


def test_response_curve_beside_the_dlt_curve(fig12):
    axes = np.array(fig12.axes).reshape(len(SCENARIOS), 3)  # no twin axis: 3 panels per row
    for j, sc in enumerate(SCENARIOS):
        ax = axes[j, 0]
        (dlt,) = _lines(ax, "true P(DLT)")
        (resp,) = _lines(ax, "true P(response)")
        assert np.allclose(resp.get_ydata(), sc.p_eff) and np.allclose(resp.get_xdata(), np.arange(sc.n_doses))
        assert np.allclose(dlt.get_ydata(), sc.p_tox)
        # clearly distinguished: another colour and marker
        assert resp.get_color() != dlt.get_color() and resp.get_marker() != dlt.get_marker()
        assert "true P(response)" in [t.get_text() for t in ax.get_legend().get_texts()]
        assert "response" in ax.get_ylabel() and "(probability)" in ax.get_ylabel()
        # the shared probability axis holds every response probability (0.65 > 0.55: a 0-1 axis)
        assert ax.get_ylim() == (0.0, 1.0)
        # the true utility per dose and the OBD in the row title
        title = ax.get_title(loc="left")
        assert ", ".join(f"{u:.3g}" for u in sc.true_utility) in title
        assert f"OBD dose {sc.dose_labels()[sc.obd_doses[0] - 1]} mg" in title


def test_obd_marked_at_the_right_dose(fig12):
    axes = np.array(fig12.axes).reshape(len(SCENARIOS), 3)
    for j, sc in enumerate(SCENARIOS):
        obd = (sc.obd_doses - 1).tolist()
        mtd = (sc.correct_doses - 1).tolist()
        for ax in axes[j]:
            assert _span_centres(ax, _hatched) == obd, (j, ax.get_xlabel())
            assert _span_centres(ax, _shaded) == mtd, (j, ax.get_xlabel())
        # the selection panel says what it counts; the truth panel's legend names the hatching
        assert "OBD" in axes[j, 1].get_xlabel()
        assert "true OBD" in [t.get_text() for t in axes[j, 0].get_legend().get_texts()]
    assert "hatched: the true OBD" in fig12.get_suptitle() and "shaded: the true MTD" in fig12.get_suptitle()
    names = [t.get_text() for t in fig12.legends[0].get_texts()]
    assert names == [f"{i + 1}. {d.label()}" for i, d in enumerate(DESIGNS)] + ["true MTD (shaded)",
                                                                                 "true OBD (hatched)"]


def test_no_acceptable_dose_no_obd_mark_and_mixed_rows():
    # every dose too toxic: no OBD to hatch; a toxicity-only row in the same run keeps its labels
    scs = [de.Scenario([0.4, 0.5, 0.6], target=0.3, p_eff=[0.1, 0.2, 0.3], eff_min=0.15),
           de.Scenario([0.05, 0.1, 0.3], target=0.3)]
    designs = [de.ThreePlusThree(), de.BOIN(target=0.3, cohort_size=3, max_n=12)]
    fig = plot.run_figure(designs, scs, [[de.exact(d, s) for s in scs] for d in designs])
    try:
        axes = np.array(fig.axes).reshape(2, 3)
        assert scs[0].obd_doses.size == 0
        assert all(_span_centres(ax, _hatched) == [] for ax in axes.ravel())
        assert "no OBD" in axes[0, 0].get_title(loc="left")
        (floor,) = _lines(axes[0, 0], "min. response 0.15")
        assert np.allclose(floor.get_ydata(), 0.15)
        assert not _lines(axes[1, 0], "true P(response)")
        assert axes[1, 0].get_ylabel() == "true P(DLT) (probability)"
        assert axes[1, 1].get_xlabel() == "dose level selected as MTD"
        assert axes[1, 0].get_title(loc="left") == "S2: p=(0.05, 0.1, 0.3)"
    finally:
        plt.close(fig)


def test_toxicity_only_figure_unchanged():
    """What the figure drew before efficacy was shown (the artists, labels and limits)."""
    scs = [de.Scenario([0.05, 0.1, 0.25, 0.4], target=0.25, doses=[1, 2, 4, 8], dose_unit="mg/kg", name="MTD at 4"),
           de.Scenario([0.3, 0.45, 0.55, 0.65], target=0.25)]
    designs = [de.ThreePlusThree(), de.BOIN(target=0.25, cohort_size=3, max_n=24)]
    fig = plot.run_figure(designs, scs, [[de.exact(d, s) for s in scs] for d in designs])
    try:
        axes = np.array(fig.axes).reshape(2, 3)
        assert fig.get_suptitle() == "2 designs under 2 scenarios (exact); shaded: the true MTD"
        assert [t.get_text() for t in fig.legends[0].get_texts()] == ["1. 3+3", "2. BOIN (target 0.25)"]
        for j, sc in enumerate(scs):
            ax = axes[j, 0]
            # the DLT curve and the target; no response curve
            assert [ln.get_label() for ln in ax.get_lines()] == ["true P(DLT)", "target 0.25"]
            assert [t.get_text() for t in ax.get_legend().get_texts()] == ["true MTD", "true P(DLT)", "target 0.25"]
            assert ax.get_ylabel() == "true P(DLT) (probability)"
            assert ax.get_title(loc="left") == f"S{j + 1}: {sc.label()}"
            assert ax.get_ylim() == (0.0, 1.0) and ax.get_xlim() == (-0.6, 3.6)
            assert axes[j, 1].get_xlabel().endswith(" selected as MTD")
            assert axes[j, 1].get_ylim() == (0.0, 100.0) and axes[j, 1].get_xlim() == (-0.6, 4.6)
            assert axes[j, 2].get_ylabel() == "patients treated (mean per trial)"
            for a in axes[j]:
                assert _span_centres(a, _hatched) == []
                assert _span_centres(a, _shaded) == (sc.correct_doses - 1).tolist()
            assert len(axes[j, 1].patches) == len(sc.correct_doses) + 2 * (sc.n_doses + 1)
            assert len(axes[j, 2].patches) == len(sc.correct_doses) + 2 * sc.n_doses
        assert axes[0, 1].get_xlabel() == "dose (mg/kg) selected as MTD"
    finally:
        plt.close(fig)


RUN12 = """n_trials = 200
[random]
seed = 1
[[designs]]
design = "boin12"
phi_t = 0.3
phi_e = 0.25
max_n = 24
[[designs]]
design = "boin"
target = 0.3
cohort_size = 3
max_n = 24
[[scenarios]]
p_tox = [0.05, 0.1, 0.2, 0.35]
p_eff = [0.2, 0.4, 0.5, 0.5]
target = 0.3
doses = [10, 20, 40, 80]
dose_unit = "mg"
"""


def test_cli_run_writes_the_phase12_figure(tmp_path, monkeypatch):
    drawn = []
    run_figure = plot.run_figure

    def spy(*args):
        fig = run_figure(*args)
        drawn.append(fig)
        return fig

    monkeypatch.setattr(plot, "run_figure", spy)
    f = tmp_path / "run12.toml"
    f.write_text(RUN12)
    assert main(["run", str(f), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    assert (tmp_path / "out" / "comparison.png").stat().st_size > 10_000
    (fig,) = drawn
    (resp,) = _lines(fig.axes[0], "true P(response)")
    assert np.allclose(resp.get_ydata(), [0.2, 0.4, 0.5, 0.5])
    assert _span_centres(fig.axes[1], _hatched) == [2.0]  # the OBD: 40 mg
