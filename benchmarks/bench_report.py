"""Time to build a protocol report, apart from the simulation it reports.

Run from the repository root:  python benchmarks/bench_report.py

Reports (best of 3 after a warm-up, one thread): ``describe()`` per design, the pieces of
``run_report`` (decision tables, pathway tables, the figure) and the whole report with HTML and
Markdown output, for a run of four designs (3+3, BOIN, CRM, mTPI-2 with a rule) under three
scenarios of five doses; plus the simulation itself (10,000 trials per design and scenario) for
scale. A report's cost is a few next_dose calls per pathway node and one matplotlib figure.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import doseesc as de
from doseesc import config, plot
from doseesc.report import decision_table, pathway_table

RUN = """n_trials = 10000
[random]
seed = 1
[[designs]]
design = "3+3"
[[designs]]
design = "boin"
target = 0.25
cohort_size = 3
max_n = 30
[[designs]]
design = "crm"
skeleton = [0.05, 0.12, 0.25, 0.40, 0.55]
target = 0.25
cohort_size = 1
max_n = 24
[[designs]]
design = "mtpi2"
target = 0.25
cohort_size = 3
max_n = 30
stop_n_at_dose = 12
[[scenarios]]
p_tox = [0.05, 0.10, 0.25, 0.40, 0.55]
target = 0.25
[[scenarios]]
p_tox = [0.02, 0.05, 0.10, 0.25, 0.40]
target = 0.25
[[scenarios]]
p_tox = [0.30, 0.45, 0.55, 0.65, 0.75]
target = 0.25
"""


def best(fn, repeat: int = 3) -> float:
    fn()  # warm-up (kernels loaded, caches filled)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    spec = config.parse(RUN, "bench.toml")
    t_sim = best(lambda: de.compare(spec.designs, spec.scenarios, n_trials=spec.n_trials, seed=1), repeat=1)
    cmp = de.compare(spec.designs, spec.scenarios, n_trials=spec.n_trials, seed=1)
    sc = spec.scenarios[0]
    rows = [("simulation: 4 designs x 3 scenarios x 10,000 trials (for scale)", t_sim)]
    for d in spec.designs:
        rows.append((f"describe(): {d.label()}", best(lambda d=d: d.describe(sc))))
    for d in spec.designs:
        rows.append((f"decision table: {d.label()}", best(lambda d=d: decision_table(d, 5))))
        rows.append((f"pathway table: {d.label()}", best(lambda d=d: pathway_table(d, 5))))

    def fig():
        import matplotlib.pyplot as plt

        plt.close(plot.run_figure(spec.designs, spec.scenarios, cmp.oc))

    rows.append(("run figure (matplotlib)", best(fig)))
    rows.append(("run_report without figure", best(lambda: de.run_report(spec, cmp, figure=False))))
    rows.append(("run_report + to_html (with figure)", best(lambda: de.run_report(spec, cmp).to_html())))
    rows.append(("run_report + to_markdown (with figure)", best(lambda: de.run_report(spec, cmp).to_markdown())))
    size = len(de.run_report(spec, cmp).to_html())
    print("| step | milliseconds |\n|---|---:|")
    for name, t in rows:
        print(f"| {name} | {1000 * t:,.2f} |")
    print(f"\nHTML size: {size / 1024:.0f} KiB (figure embedded)")


if __name__ == "__main__":
    main()
