"""Figures for protocols (matplotlib, an optional extra: ``pip install doseesc[plot]``).

``save(obj, path)`` picks the figure for an ``OperatingCharacteristics`` (selection and
allocation per dose beside the true dose-toxicity curve, plus the trial-duration distribution
when a time model is on) or a ``Comparison`` (PCS, no-selection and overdosing per design with
95% intervals, one panel row per scenario).
"""

from __future__ import annotations

import numpy as np

from .results import Comparison, OperatingCharacteristics


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ValueError("plot: matplotlib is not installed; install it with: pip install 'doseesc[plot]'") from None
    return plt


def _xlabels(sc):
    labels = sc.dose_labels()
    unit = f"dose ({sc.dose_unit})" if sc.dose_unit else "dose level"
    return labels, unit


def oc_figure(oc: OperatingCharacteristics):
    """Selection probability per dose with the true DLT curve; patients and DLTs per dose."""
    plt = _plt()
    sc = oc.scenario
    single = len(oc.scenarios) == 1
    timed = "duration" in oc.metrics and not oc.exact
    ncol = 3 if timed else 2
    fig, axes = plt.subplots(1, ncol, figsize=(4.6 * ncol, 3.9), constrained_layout=True)
    labels, unit = _xlabels(sc) if single else ([str(i + 1) for i in range(len(oc.selection))], "dose level")
    x = np.arange(len(labels))
    z = 0 if oc.exact else 1.96
    ax = axes[0]
    sel = 100 * oc.selection
    ax.bar(x, sel, yerr=z * 100 * oc.se("selection") if z else None, color="#4C72B0", capsize=3,
           label="selected as MTD")
    for c in sc.correct_doses if single else []:
        ax.bar(c - 1, sel[c - 1], color="#2a9d8f", label="true MTD" if c == sc.correct_doses[0] else None)
    ax.set_xticks(x, labels)
    ax.set_xlabel(unit)
    ax.set_ylabel("% of trials selecting the dose")
    ax.set_ylim(0, 100)
    none_ok = single and sc.correct_doses.size == 0
    ax.set_title(f"Dose selection (none: {100 * oc.no_selection:.1f}%{', the correct decision' if none_ok else ''})")
    if single:
        ax2 = ax.twinx()
        ax2.plot(x, sc.p_tox, "o-", color="#C44E52", label="true P(DLT)")
        ax2.axhline(sc.target, color="#C44E52", ls=":", lw=1, label=f"target {sc.target:g}")
        ax2.set_ylim(0, max(1.0, float(sc.p_tox.max()) * 1.05) if sc.p_tox.max() > 0.6 else 0.6)
        ax2.set_ylabel("true P(DLT)", color="#C44E52")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8, frameon=False)
    ax = axes[1]
    w = 0.38
    ax.bar(x - w / 2, oc.n_patients, w, yerr=z * oc.se("n_patients") if z else None, color="#55A868", capsize=3,
           label="patients")
    ax.bar(x + w / 2, oc.n_dlt, w, yerr=z * oc.se("n_dlt") if z else None, color="#C44E52", capsize=3, label="DLTs")
    ax.set_xticks(x, labels)
    ax.set_xlabel(unit)
    ax.set_ylabel("mean per trial")
    ax.set_title(f"Allocation (mean N = {oc.sample_size:.1f})")
    ax.legend(fontsize=8, frameon=False)
    if timed:
        ax = axes[2]
        ax.hist(oc.records.duration, bins=40, color="#8172B2")
        ax.axvline(oc.duration, color="k", ls="--", lw=1, label=f"mean {oc.duration:.0f}")
        ax.set_xlabel(f"trial duration (window = {sc.time.window:g})")
        ax.set_ylabel("trials")
        ax.set_title("Trial duration")
        ax.legend(fontsize=8, frameon=False)
    how = "exact" if oc.exact else f"{oc.n_trials:,} trials; bars: 95% CI"
    fig.suptitle(f"{oc.design.label()} - {sc.label() if single else f'{len(oc.scenarios)} scenarios'} ({how})",
                 fontsize=10)
    return fig


def comparison_figure(cmp: Comparison):
    """Per scenario: PCS, no-selection and patients above the MTD for each design (95% CIs)."""
    plt = _plt()
    metrics = [("pcs", "correct selection %", 100), ("no_selection", "no dose selected %", 100),
               ("n_overdosed", "patients above the MTD", 1)]
    ns = len(cmp.scenarios)
    fig, axes = plt.subplots(ns, len(metrics), figsize=(4.3 * len(metrics), 0.55 * len(cmp.designs) + 1.6 * ns + 0.6),
                             squeeze=False, constrained_layout=True)
    names = [d.label() for d in cmp.designs]
    y = np.arange(len(names))[::-1]
    colors = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B2", "#937860", "#DA8BC3", "#8C8C8C"]
    for j, sc in enumerate(cmp.scenarios):
        for m, (key, title, scale) in enumerate(metrics):
            ax = axes[j, m]
            vals = np.array([scale * float(getattr(cmp.oc[i][j], key)) for i in range(len(names))])
            ses = np.array([scale * float(cmp.oc[i][j].se(key)) for i in range(len(names))])
            ax.barh(y, vals, xerr=1.96 * ses, color=[colors[i % len(colors)] for i in range(len(names))], capsize=3)
            ax.set_yticks(y, names if m == 0 else [""] * len(names), fontsize=8)
            if j == 0:
                ax.set_title(title, fontsize=10)
            if m == 0:
                ax.set_ylabel(sc.label()[:40], fontsize=8)
            hi = 100.0 if scale == 100 else max(1.0, float(np.max(vals + 1.96 * ses)) * 1.25)
            ax.set_xlim(0, hi)
            for yy, val, se in zip(y, vals, ses):
                ax.text(val + 1.96 * se + 0.015 * hi, yy, f"{val:.1f}", va="center", ha="left", fontsize=8)
            ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Designs on common random numbers ({cmp.oc[0][0].n_trials:,} trials each, seed {cmp.seed}); "
                 "bars: 95% CI", fontsize=10)
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
