"""Figures for protocols (matplotlib, an optional extra: ``pip install doseesc[plot]``).

``save(obj, path)`` picks the figure for an ``OperatingCharacteristics`` (the true dose-toxicity
curve, selection and allocation per dose, plus the trial-duration distribution when a time model
is on) or a ``Comparison`` (selection per dose, PCS, no-selection and overdosing per design with
95% intervals, one panel row per scenario, each column on one scale in every row).
``run_figure`` draws every design under every scenario of a run on shared scales (``doseesc run
--out`` and ``doseesc report``).
"""

from __future__ import annotations

import numpy as np

from .results import Comparison, OperatingCharacteristics
from .scenario import Scenario, ScenarioSet

COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B2", "#937860", "#DA8BC3", "#8C8C8C", "#CCB974",
          "#64B5CD"]


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ValueError("plot: matplotlib is not installed; install it with: pip install 'doseesc[plot]'") from None
    return plt


def _xlabels(sc):
    """Tick labels (dose values, else levels 1, 2, ...) and axis label (with the unit) of a scenario's
    doses; a ``ScenarioSet``'s curves share their doses, so its first scenario's are used."""
    sc = sc.scenarios[0] if isinstance(sc, ScenarioSet) else sc
    labels = sc.dose_labels()
    unit = f"dose ({sc.dose_unit})" if sc.dose_unit else "dose level"
    return labels, unit


def _shade_mtd(ax, sc, label: bool = False) -> None:
    """Shade the true MTD's doses of a fixed scenario (a set of curves has no single MTD)."""
    if not isinstance(sc, Scenario):
        return
    correct = sc.correct_doses - 1
    for c in correct:
        ax.axvspan(c - 0.45, c + 0.45, color="#2a9d8f", alpha=0.15, lw=0,
                   label="true MTD" if label and c == correct[0] else None)


OBD_COLOR = "#7B3294"  # the true OBD's hatching
EFF_COLOR = "#1B7837"  # the true response curve


def _mark_obd(ax, sc, label: bool = False) -> None:
    """Hatch the true OBD's doses of a scenario with efficacy (over the MTD's shading, so a dose that is
    both stays readable as both)."""
    if not (isinstance(sc, Scenario) and sc.has_efficacy):
        return
    obd = sc.obd_doses - 1
    for c in obd:
        ax.axvspan(c - 0.45, c + 0.45, facecolor="none", edgecolor=OBD_COLOR, hatch="///", lw=0, alpha=0.6,
                   label="true OBD" if label and c == obd[0] else None)


def _num(x: float) -> str:
    return f"{x:.3g}"


def _selection_panel(ax, sc, ocs, names, z: float, n_doses: int, none: bool = True) -> None:
    """The percentage of trials selecting each dose (and none), one bar per design, doses labelled
    by their values and unit; x from -0.6 to the last position + 0.6 of ``n_doses`` doses (so rows
    with the same ``n_doses`` share their scale), y 0-100%."""
    labels, unit = _xlabels(sc)
    k = len(ocs)
    width = 0.8 / k
    offsets = (np.arange(k) - (k - 1) / 2) * width
    xs = np.arange(len(labels) + (1 if none else 0))
    _shade_mtd(ax, sc)
    for i, oc in enumerate(ocs):
        vals = 100 * np.r_[oc.selection, [oc.no_selection] if none else []]
        err = z * 100 * np.r_[oc.se("selection"), [oc.se("no_selection")] if none else []] if z else None
        ax.bar(xs + offsets[i], vals, width, yerr=err, color=COLORS[i % len(COLORS)], capsize=2,
               error_kw={"lw": 0.8}, label=names[i])
    ax.set_xticks(xs, [*labels, "none"] if none else labels)
    ax.set_xlim(-0.6, n_doses + (0.6 if none else -0.4))
    ax.set_ylim(0, 100)
    ax.set_xlabel(unit + " selected as MTD")
    ax.set_ylabel("trials selecting it (%)")
    ax.grid(axis="y", alpha=0.3)


def oc_figure(oc: OperatingCharacteristics):
    """The true DLT curve with the target (its own probability axis), the selection percentage per
    dose and the patients and DLTs per dose (plus the trial-duration distribution with a time model).
    A scenario with efficacy adds its true response curve, hatches the true OBD's doses and states
    the correct OBD selection."""
    plt = _plt()
    sc = oc.scenario
    single = len(oc.scenarios) == 1
    timed = "duration" in oc.metrics and not oc.exact
    panels = (["truth"] if single else []) + ["selection", "allocation"] + (["duration"] if timed else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.9), constrained_layout=True)
    axes = dict(zip(panels, np.atleast_1d(axes)))
    labels, unit = _xlabels(sc) if single else ([str(i + 1) for i in range(len(oc.selection))], "dose level")
    x = np.arange(len(labels))
    z = 0 if oc.exact else 1.96
    correct = sc.correct_doses - 1 if single else np.array([], dtype=int)
    eff = single and sc.has_efficacy  # a phase I/II scenario: the response curve and the true OBD too
    if single:
        ax = axes["truth"]
        for c in correct:
            ax.axvspan(c - 0.45, c + 0.45, color="#2a9d8f", alpha=0.15, lw=0,
                       label="true MTD" if c == correct[0] else None)
        _mark_obd(ax, sc, label=True)
        ax.plot(x, sc.p_tox, "o-", color="#333333", label="true P(DLT)")
        top = max(float(sc.p_tox.max()), sc.target)
        if eff:
            ax.plot(x, sc.p_eff, "s-", color=EFF_COLOR, label="true P(response)")
            top = max(top, float(sc.p_eff.max()), sc.eff_min or 0.0)
            if sc.eff_min is not None:
                ax.axhline(sc.eff_min, color=EFF_COLOR, ls=":", lw=1.2, label=f"min. response {sc.eff_min:g}")
        ax.axhline(sc.target, color="#C44E52", ls="--", lw=1.2, label=f"target {sc.target:g}")
        ax.set_xticks(x, labels)
        ax.set_xlim(-0.6, len(x) - 0.4)
        ax.set_ylim(0, 0.6 if top <= 0.55 else 1.0)
        ax.set_xlabel(unit)
        ax.set_ylabel("true P(DLT), P(response) (probability)" if eff else "true P(DLT) (probability)")
        ax.set_title("True dose-response curves" if eff else "True dose-toxicity curve")
        ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax = axes["selection"]
    sel = 100 * oc.selection
    for c in correct:
        ax.axvspan(c - 0.45, c + 0.45, color="#2a9d8f", alpha=0.15, lw=0)
    if eff:
        _mark_obd(ax, sc)
    ax.bar(x, sel, yerr=z * 100 * oc.se("selection") if z else None, color="#4C72B0", capsize=3)
    ax.set_xticks(x, labels)
    ax.set_xlabel(unit)
    ax.set_ylabel("trials selecting the dose (%)")
    ax.set_ylim(0, 100)
    none_ok = single and (sc.obd_doses if eff else sc.correct_doses).size == 0
    title = f"Dose selection (none: {100 * oc.no_selection:.1f}%{', correct here' if none_ok else ''})"
    if eff:
        title += f"\ncorrect OBD selection {100 * oc.pcs_obd:.1f}%"
    ax.set_title(title)
    ax = axes["allocation"]
    bars = [("n_patients", "patients", "#55A868"), ("n_dlt", "DLTs", "#C44E52")]
    if oc.records.n_eff is not None:  # patients in grey then: the responses take the green
        bars = [("n_patients", "patients", "#9A9A9A"), bars[1], ("n_eff", "responses", EFF_COLOR)]
    w = 0.76 / len(bars)
    for b, (key, name, color) in enumerate(bars):
        ax.bar(x + (b - (len(bars) - 1) / 2) * w, getattr(oc, key), w, yerr=z * oc.se(key) if z else None,
               color=color, capsize=3, label=name)
    ax.set_xticks(x, labels)
    ax.set_xlabel(unit)
    ax.set_ylabel(f"{', '.join(n for _, n, _ in bars[:-1])} or {bars[-1][1]} (mean per trial)")
    ax.set_title(f"Allocation (mean N = {oc.sample_size:.1f})")
    ax.legend(fontsize=8, frameon=False)
    if timed:
        ax = axes["duration"]
        ax.hist(oc.records.duration, bins=40, color="#8172B2")
        ax.axvline(oc.duration, color="k", ls="--", lw=1, label=f"mean {oc.duration:.0f}")
        ax.set_xlabel(f"trial duration (time units of the window, W = {sc.time.window:g})")
        ax.set_ylabel("simulated trials")
        ax.set_title("Trial duration")
        ax.legend(fontsize=8, frameon=False)
    how = "exact" if oc.exact else f"{oc.n_trials:,} trials; bars: 95% CI"
    fig.suptitle(f"{oc.design.label()} - {sc.label() if single else f'{len(oc.scenarios)} scenarios'} ({how})"
                 + ("; shaded: the true MTD" if correct.size else "")
                 + ("; hatched: the true OBD" if eff and sc.obd_doses.size else ""), fontsize=10)
    return fig


def comparison_figure(cmp: Comparison):
    """One figure for a ``Comparison``: one row per scenario, one column per quantity, each column on
    one scale in every row so that rows compare by eye. Columns: the percentage of trials selecting
    each dose (doses labelled by their values and unit; the true MTD shaded for a fixed curve), then
    per design the correct selection (%), no dose selected (%) and the mean number of patients
    treated above the true MTD (patients per trial); bars: 95% CIs (none for exact results).

    When every scenario has efficacy (``p_eff``: the phase I/II question), the per-design columns
    are the optimal biological dose's instead: the correct OBD selection (%), the selection of an
    over-toxic dose (true P(DLT) > target, %) and the mean number of patients treated at the true
    OBD, for every design (a toxicity-only design's selections are scored against the OBD too), and
    the true OBD's doses are hatched in the per-dose panel."""
    plt = _plt()
    # scenarios with efficacy (the phase I/II question): the OBD's columns, for every design (a
    # toxicity-only design's selections are scored against the OBD too, as in the comparison's table)
    eff = all(getattr(sc, "has_efficacy", False) for sc in cmp.scenarios)
    metrics = ([("pcs_obd", "correct OBD selection", "trials selecting the true OBD (%)", 100),
                ("over_toxic_selection", "over-toxic dose selected",
                 "trials selecting a dose with true P(DLT) > target (%)", 100),
                ("n_at_obd", "patients at the OBD", "patients treated at the true OBD (mean per trial)", 1)]
               if eff else
               [("pcs", "correct selection", "trials selecting the true MTD (%)", 100),
                ("no_selection", "no dose selected", "trials selecting no dose (%)", 100),
                ("n_overdosed", "patients above the MTD", "patients treated above the MTD (mean per trial)", 1)])
    ns = len(cmp.scenarios)
    k = len(cmp.designs)
    names = [d.label() for d in cmp.designs]
    exact = all(oc.exact for row in cmp.oc for oc in row)
    z = 0.0 if exact else 1.96
    fig, axes = plt.subplots(ns, 1 + len(metrics), figsize=(17.0, (0.28 * k + 2.6) * ns + 1.2), squeeze=False,
                             constrained_layout=True, gridspec_kw={"width_ratios": [1.5] + [1.0] * len(metrics)})
    vals = {key: np.array([[scale * float(getattr(cmp.oc[i][j], key)) for i in range(k)] for j in range(ns)])
            for key, _, _, scale in metrics}
    ses = {key: np.array([[z * scale * float(cmp.oc[i][j].se(key)) for i in range(k)] for j in range(ns)])
           for key, _, _, scale in metrics}
    # one x scale per column, the same in every row
    his = {key: 100.0 if scale == 100 else max(1.0, float(np.max(vals[key] + ses[key])) * 1.25)
           for key, _, _, scale in metrics}
    n_doses = max(len(_xlabels(sc)[0]) for sc in cmp.scenarios)
    y = np.arange(k)[::-1]
    for j, sc in enumerate(cmp.scenarios):
        ax = axes[j, 0]
        _selection_panel(ax, sc, [cmp.oc[i][j] for i in range(k)], [f"{i + 1}. {n}" for i, n in enumerate(names)],
                         z, n_doses, none=False)
        title = f"S{j + 1}: {sc.label()}"[:70]
        if eff:
            _mark_obd(ax, sc, label=j == 0)
            ax.set_xlabel(_xlabels(sc)[1] + " selected (as MTD or OBD)")
            if isinstance(sc, Scenario):  # the truth behind the hatching
                title += (f"\ntrue P(DLT) {', '.join(_num(p) for p in sc.p_tox)}; "
                          f"P(response) {', '.join(_num(p) for p in sc.p_eff)}")
        ax.set_title(title, fontsize=9, loc="left")
        for m, (key, title, xlabel, _) in enumerate(metrics, start=1):
            ax = axes[j, m]
            hi = his[key]
            v, e = vals[key][j], ses[key][j]
            ax.barh(y, v, xerr=e if z else None, color=[COLORS[i % len(COLORS)] for i in range(k)], capsize=3)
            ax.set_yticks(y, [f"{i + 1}. {n}"[:28] for i, n in enumerate(names)] if m == 1 else
                          [f"{i + 1}" for i in range(k)], fontsize=8)
            ax.set_ylabel("design" if m == 1 else "")
            ax.set_xlim(0, hi)
            ax.set_xlabel(xlabel, fontsize=9)
            if j == 0:
                ax.set_title(title, fontsize=10)
            fmt = ".1f" if hi >= 10 else ".2f"
            for yy, val, se in zip(y, v, e):
                inside = val + se > 0.85 * hi  # a value near the top of the scale goes inside its bar
                ax.text(val - se - 0.015 * hi if inside else val + se + 0.015 * hi, yy, f"{val:{fmt}}", va="center",
                        ha="right" if inside else "left", fontsize=8, color="white" if inside else "black")
            ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    how = "exact" if exact else f"{cmp.oc[0][0].n_trials:,} trials each, seed {cmp.seed}; bars: 95% CI"
    shaded = "; shaded: the true MTD" if any(isinstance(sc, Scenario) for sc in cmp.scenarios) else ""
    if eff and any(isinstance(sc, Scenario) for sc in cmp.scenarios):
        shaded += "; hatched: the true OBD (optimal biological dose)"
    fig.suptitle(f"{k} design{'s' if k != 1 else ''} on common random numbers under {ns} scenario"
                 f"{'s' if ns != 1 else ''} ({how}){shaded}", fontsize=10)
    fig.legend(handles, labels, loc="outside lower center", ncol=min(k, 4), fontsize=8, frameon=False)
    return fig


def run_figure(designs, scenarios, results):
    """One figure for a run of several designs under several scenarios.

    One row per scenario, three panels with the same scales in every row: the true DLT
    probability per dose with the target (a probability axis of its own, never a second y-axis
    over the other panels), the percentage of trials selecting each dose (and none) and the mean
    number of patients treated per dose, one bar per design (95% confidence intervals for Monte
    Carlo results). The true MTD's doses are shaded. Dose values and their unit label every
    x axis.

    A scenario with efficacy (``p_eff``; phase I/II designs aim at the optimal biological dose)
    also shows its true response probability per dose on the same probability axis as the DLT
    curve (a green line with square markers; the minimum response ``eff_min`` dotted if given),
    its true utility per dose and OBD in the row title, and the true OBD's doses hatched in every
    panel of its row. A run without efficacy draws exactly what it drew before.

    Parameters
    ----------
    designs : list of Design
    scenarios : list of Scenario
        All with the same number of doses.
    results : list of lists of OperatingCharacteristics
        ``results[i][j]``: design i under scenario j (``Comparison.oc``, or exact results).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import doseesc as de
    >>> from doseesc import plot
    >>> sc = [de.Scenario([0.05, 0.1, 0.3], target=0.3, doses=[1, 2, 4], dose_unit="mg/kg")]
    >>> d = [de.ThreePlusThree(), de.BOIN(target=0.3, cohort_size=3, max_n=18)]
    >>> fig = plot.run_figure(d, sc, [[de.exact(x, s) for s in sc] for x in d])
    >>> len(fig.axes)
    3
    """
    plt = _plt()
    S = len(scenarios)
    D = scenarios[0].n_doses
    k = len(designs)
    fig, axes = plt.subplots(S, 3, figsize=(13.5, 2.7 * S + 1.3), squeeze=False, constrained_layout=True,
                             sharey="col")
    width = 0.8 / k
    offsets = (np.arange(k) - (k - 1) / 2) * width
    exact = all(results[i][j].exact for i in range(k) for j in range(S))
    z = 0.0 if exact else 1.96
    eff = [sc.has_efficacy for sc in scenarios]
    # the response curves (and a minimum response) share the probability axis with the DLT curves
    pmax = max([float(sc.p_tox.max()) for sc in scenarios]
               + [max(float(sc.p_eff.max()), sc.eff_min or 0.0) for sc in scenarios if sc.has_efficacy])
    ptop = 0.6 if pmax <= 0.55 and max(sc.target for sc in scenarios) <= 0.55 else 1.0
    nmax = max(float(np.max(results[i][j].n_patients + z * results[i][j].se("n_patients")))
               for i in range(k) for j in range(S))
    for j, sc in enumerate(scenarios):
        labels, unit = _xlabels(sc)
        x = np.arange(D)
        correct = sc.correct_doses - 1
        ax = axes[j, 0]
        for c in correct:
            ax.axvspan(c - 0.45, c + 0.45, color="#2a9d8f", alpha=0.15, lw=0,
                       label="true MTD" if c == correct[0] else None)
        _mark_obd(ax, sc, label=True)
        ax.plot(x, sc.p_tox, "o-", color="#333333", label="true P(DLT)")
        if eff[j]:
            ax.plot(x, sc.p_eff, "s-", color=EFF_COLOR, label="true P(response)")
            if sc.eff_min is not None:
                ax.axhline(sc.eff_min, color=EFF_COLOR, ls=":", lw=1.2, label=f"min. response {sc.eff_min:g}")
        ax.axhline(sc.target, color="#C44E52", ls="--", lw=1.2, label=f"target {sc.target:g}")
        ax.set_xticks(x, labels)
        ax.set_xlim(-0.6, D - 0.4)
        ax.set_ylim(0, ptop)
        ax.set_xlabel(unit)
        title = f"S{j + 1}: {sc.label()}"[:60]
        if eff[j]:
            ax.set_ylabel("true P(DLT), P(response) (probability)")
            obd = sc.obd_doses - 1
            where = ", ".join(labels[c] for c in obd) + (f" {sc.dose_unit}" if sc.dose_unit else "")
            title += (f"\ntrue utility {', '.join(_num(u) for u in sc.true_utility)}; "
                      + (f"OBD {'dose' if sc.doses is not None else 'level'} {where}" if obd.size else "no OBD"))
        else:
            ax.set_ylabel("true P(DLT) (probability)")
        ax.set_title(title, fontsize=9, loc="left")
        ax.legend(fontsize=7, frameon=False, loc="best" if eff[j] else "upper left")
        _selection_panel(axes[j, 1], sc, [results[i][j] for i in range(k)],
                         [f"{i + 1}. {designs[i].label()}" for i in range(k)], z, D)
        if eff[j]:
            _mark_obd(axes[j, 1], sc)
            axes[j, 1].set_xlabel(unit + " selected (as MTD or OBD)")
        ax = axes[j, 2]
        for c in correct:
            ax.axvspan(c - 0.45, c + 0.45, color="#2a9d8f", alpha=0.15, lw=0)
        _mark_obd(ax, sc)
        for i in range(k):
            oc = results[i][j]
            err = z * oc.se("n_patients") if z else None
            ax.bar(x + offsets[i], oc.n_patients, width, yerr=err, color=COLORS[i % len(COLORS)], capsize=2,
                   error_kw={"lw": 0.8})
        ax.set_xticks(x, labels)
        ax.set_xlim(-0.6, D - 0.4)
        ax.set_ylim(0, max(1.0, nmax * 1.1))
        ax.set_xlabel(unit)
        ax.set_ylabel("patients treated (mean per trial)")
        ax.grid(axis="y", alpha=0.3)
    handles, names = axes[0, 1].get_legend_handles_labels()
    how = "exact" if exact else f"{results[0][0].n_trials:,} simulated trials each; error bars: 95% CI"
    marks = "shaded: the true MTD"
    if any(eff):
        from matplotlib.patches import Patch

        marks += "; hatched: the true OBD (optimal biological dose: the phase I/II designs' aim)"
        handles = [*handles, Patch(color="#2a9d8f", alpha=0.15, lw=0),
                   Patch(facecolor="none", edgecolor=OBD_COLOR, hatch="///", lw=0, alpha=0.6)]
        names = [*names, "true MTD (shaded)", "true OBD (hatched)"]
    fig.suptitle(f"{k} design{'s' if k != 1 else ''} under {S} scenario{'s' if S != 1 else ''} ({how}); {marks}",
                 fontsize=10)
    fig.legend(handles, names, loc="outside lower center", ncol=min(k, 4) if not any(eff) else min(k + 2, 4),
               fontsize=8, frameon=False)
    return fig


def whatif_figure(res):
    """The what-if in one figure: one row per trial, PCS (left) and selection above the MTD
    (right) of every design shown, grouped by scenario; exact scenarios without error bars,
    prior-predictive ones with 95% intervals. Shared percentage scales."""
    plt = _plt()
    trials = res.settings["trials"]
    fig, axes = plt.subplots(len(trials), 2, figsize=(13.5, 3.4 * len(trials) + 1.0), squeeze=False,
                             constrained_layout=True, sharey=True)
    for row, trial in enumerate(trials):
        hidden = {x for g in res.coincide.get(trial, []) for x in g["designs"][1:]}
        labels = [d["label"] for d in res.designs[trial] if d["label"] not in hidden]
        scen = list(dict.fromkeys(r.scenario for r in res.rows if r.trial == trial))
        by = {(r.scenario, r.design): r for r in res.rows if r.trial == trial}
        width = 0.8 / len(labels)
        same = {g["designs"][0]: g["designs"][1:] for g in res.coincide.get(trial, [])}
        for col, (key, title) in enumerate([("pcs", "correct selection (PCS)"),
                                            ("over_selection", "selection of a dose above the MTD")]):
            ax = axes[row, col]
            for i, lab in enumerate(labels):
                x = np.arange(len(scen)) + (i - (len(labels) - 1) / 2) * width
                vals = np.array([100 * by[(s, lab)].values[key] for s in scen])
                mc = np.array([by[(s, lab)].method != "exact" for s in scen])
                name = lab + (f" (= {', '.join(same[lab])})" if lab in same else "")
                ax.bar(x, vals, width, color=COLORS[i % len(COLORS)], label=name if col == 1 else None)
                if mc.any():  # 95% intervals where the numbers are Monte Carlo estimates
                    errs = np.array([196 * by[(s, lab)].ses[key] for s in scen])
                    ax.errorbar(x[mc], vals[mc], yerr=errs[mc], fmt="none", ecolor="black", capsize=2, lw=0.8)
            ax.set_xticks(np.arange(len(scen)), [s.replace(" (", "\n(") for s in scen], fontsize=7)
            ax.set_ylim(0, 100)
            ax.set_ylabel("% of simulated trials")
            ax.set_title(f"Trial {trial}: {title}", fontsize=9, loc="left")
            ax.grid(axis="y", alpha=0.3)
        axes[row, 1].legend(fontsize=7, frameon=False, loc="upper left")
    fig.suptitle(f"What-if, target DLT rate {res.settings['target']:g}: exact for the fixed curves; 95% intervals "
                 "for the prior-predictive curves", fontsize=10)
    return fig


def figure(obj):
    if isinstance(obj, OperatingCharacteristics):
        return oc_figure(obj)
    if isinstance(obj, Comparison):
        return comparison_figure(obj)
    raise ValueError(f"plot: nothing to plot for {type(obj).__name__}")


FORMATS = (".png", ".pdf", ".svg")


def check_path(path: str, field: str = "plot") -> None:
    """The figure can be written to ``path``: a .png, .pdf or .svg name in a writable folder."""
    from . import _io

    if not str(path).lower().endswith(FORMATS):
        raise ValueError(f"{field}: file name must end in .png, .pdf or .svg, got {path!r}")
    _io.check_output_file(path, field)


def write(fig, path: str, metadata: dict | None = None) -> None:
    """Save ``fig`` to ``path`` atomically (no half-written image if interrupted) and close it."""
    import io

    from . import _io

    buf = io.BytesIO()
    fig.savefig(buf, dpi=150, format=str(path).rsplit(".", 1)[-1].lower(), metadata=metadata)
    _plt().close(fig)
    _io.write(path, buf.getvalue())


def save(obj, path: str) -> None:
    """Write the figure for ``obj`` to ``path`` (PNG, PDF or SVG by extension)."""
    check_path(path)
    write(figure(obj), path)
