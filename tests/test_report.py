"""Protocol reports: the Report builder, run_report's sections and numbers, `doseesc report`, the run
figure, and a real headless browser rendering the HTML (skipped only when no Chromium is installed)."""

import base64
import contextlib
import html
import json
import pathlib
import re
import shutil
import subprocess
import warnings
from html.parser import HTMLParser

import numpy as np
import pytest

import doseesc as de
from doseesc import config, plot
from doseesc.cli import main
from doseesc.report import decision_table, design_protocol, pathway_table, whatif_report

DATA = pathlib.Path(__file__).parent / "data"

RUN = """n_trials = 400
[random]
seed = 3
[[designs]]
design = "3+3"
[[designs]]
design = "boin"
target = 0.25
cohort_size = 3
max_n = 30
[[designs]]
design = "mtpi2"
target = 0.3
cohort_size = 3
max_n = 24
stop_n_at_dose = 12
[[designs]]
design = "crm"
skeleton = [0.05, 0.12, 0.25, 0.40]
target = 0.25
cohort_size = 1
max_n = 12
[[scenarios]]
p_tox = [0.05, 0.10, 0.25, 0.40]
target = 0.25
doses = [1, 2, 4, 8]
dose_unit = "mg/kg"
name = "MTD at 4 mg/kg"
[[scenarios]]
p_tox = [0.30, 0.45, 0.55, 0.65]
target = 0.25
doses = [1, 2, 4, 8]
dose_unit = "mg/kg"
"""

SECTIONS = ["Scenarios", "Designs", "Operating characteristics", "Paired comparison with design 1 (3+3)",
            "Upper reference: the complete-information benchmark", "Figure", "Resolved run"]


# ---------------------------------------------------------------------------- a tiny HTML reader
class Doc(HTMLParser):
    """Headings, tables (caption, header rows, body rows as cell texts), images and <pre> texts."""

    def __init__(self, text):
        super().__init__()
        self.headings, self.tables, self.images, self.pres, self.scripts = [], [], [], [], 0
        self._stack, self._cell, self._row, self._caption, self._pre = [], None, None, None, None
        self._heading = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading = [tag, a.get("id"), ""]
        elif tag == "div" and a.get("class") == "caption":
            self._caption = ""
        elif tag == "table":
            self.tables.append({"caption": None, "head": [], "body": [], "class": a.get("class")})
            if self._pending_caption is not None:
                self.tables[-1]["caption"] = self._pending_caption
                self._pending_caption = None
        elif tag == "thead":
            self._stack.append("head")
        elif tag == "tbody":
            self._stack.append("body")
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""
            self._span = int(a.get("colspan", 1))
        elif tag == "img":
            self.images.append(a)
        elif tag == "pre":
            self._pre = ""
        elif tag == "script":
            self.scripts += 1

    _pending_caption = None

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3", "h4") and self._heading:
            self.headings.append(tuple(self._heading))
            self._heading = None
        elif tag == "div" and self._caption is not None:
            self._pending_caption, self._caption = self._caption, None
        elif tag in ("thead", "tbody"):
            self._stack.pop()
        elif tag in ("td", "th"):
            self._row.extend([self._cell] * (self._span if tag == "th" else 1))
            self._cell = None
        elif tag == "tr":
            self.tables[-1][self._stack[-1]].append(self._row)
        elif tag == "pre":
            self.pres.append(self._pre)
            self._pre = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[2] += data
        if self._caption is not None:
            self._caption += data
        if self._cell is not None:
            self._cell += data
        if self._pre is not None:
            self._pre += data

    def table(self, caption_start):
        hits = [t for t in self.tables if t["caption"] and t["caption"].split(": ", 1)[1].startswith(caption_start)]
        assert len(hits) == 1, (caption_start, [t["caption"] for t in self.tables])
        return hits[0]


def _value(cell):
    """(value, se or None) from a cell such as '36.2\\n(1.1)*' or '+17.0 (1.4)' or '0.25'."""
    m = re.fullmatch(r"([-+]?[0-9.]+)(?:\s\(([0-9.]+)\))?\*?", cell.strip())
    assert m, cell
    return float(m.group(1)), (None if m.group(2) is None else float(m.group(2)))


def _close(cell, value, se=None):
    """The printed number equals ``value`` to the decimals printed (and the SE likewise)."""
    v, s = _value(cell)
    dec = len(cell.split()[0].rstrip("*").split(".")[1]) if "." in cell.split()[0] else 0
    assert abs(v - value) <= 0.5 * 10 ** -dec + 1e-9, (cell, value)
    if se is not None:
        assert s is not None and abs(s - se) <= 0.5 * 10 ** -dec + 1e-9, (cell, se)


@pytest.fixture(scope="module")
def mc_run():
    spec = config.parse(RUN, "run.toml")
    cmp = de.compare(spec.designs, spec.scenarios, n_trials=spec.n_trials, seed=spec.seed)
    rep = de.run_report(spec, cmp)
    return spec, cmp, rep, Doc(rep.to_html())


# ---------------------------------------------------------------------------- the builder
def test_builder_html_is_self_contained_and_escaped():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    r = de.Report("A <report> & more")
    r.heading("Part one").paragraph("x < y & z", lead="Rule").table(["a", "b"], [[1, None], ["<i>", 2.5]],
                                                                     caption="T", notes="n")
    r.heading("Part one", 3).figure(fig, "F").preformatted("{\n  \"k\": 1\n}")
    text = r.to_html()
    doc = Doc(text)
    assert text.startswith("<!DOCTYPE html>") and doc.scripts == 0
    assert not re.search(r"(src|href)=\"(?!data:|#)", text), "only data URIs and in-page links"
    assert "https://" not in text and "http://" not in text and "@import" not in text
    assert "&lt;report&gt; &amp; more" in text and "x &lt; y &amp; z" in text and "&lt;i&gt;" in text
    assert [h[1] for h in doc.headings if h[0] != "h1"] == ["part-one", "part-one-2"]  # unique anchors
    t = doc.tables[0]
    assert t["caption"] == "Table 1: T" and t["head"] == [["a", "b"]] and t["body"] == [["1", ""], ["<i>", "2.5"]]
    img = doc.images[0]
    assert img["src"].startswith("data:image/png;base64,")
    png = base64.b64decode(img["src"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int(img["width"]) == int.from_bytes(png[16:20], "big") > 0
    assert doc.pres == ['{\n  "k": 1\n}']
    md = r.to_markdown()
    assert md.startswith("# A <report> & more\n") and "| a | b |\n|---|---:|\n| 1 |  |" in md
    assert "![Figure 1: F](data:image/png;base64," in md and "```text\n{" in md and "**Rule.** x < y & z" in md


def test_builder_groups_and_markdown_headers():
    r = de.Report("t").table(["x", "1", "2"], [["a", "0.1", "0.2"]], groups=[("", 1), ("dose", 2)])
    doc = Doc(r.to_html())
    assert doc.tables[0]["head"] == [["", "dose", "dose"], ["x", "1", "2"]]
    assert "| x | dose: 1 | dose: 2 |" in r.to_markdown()


@pytest.mark.parametrize("call, message", [
    (lambda r: r.table(["a", "b"], [[1, 2], [3]]), "^rows: row 2 has 1 cells, the header has 2$"),
    (lambda r: r.table(["a", "b"], [], groups=[("g", 3)]), "^groups: spans must add up to the 2 columns"),
    (lambda r: r.table([], []), "^header:"),
    (lambda r: r.heading("x", 1), "^level: "),
    (lambda r: r.heading(3), "^text: expected text"),
    (lambda r: r.figure("not a figure", "c"), "^figure: expected a matplotlib figure"),
])
def test_builder_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call(de.Report("t"))


def test_docstring_examples_run():
    import doctest
    import importlib

    for name in ("doseesc.report", "doseesc.plot", "doseesc.designs.base"):
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        res = doctest.testmod(importlib.import_module(name), optionflags=flags)
        assert res.failed == 0 and res.attempted > 0, name


def test_report_is_not_shadowed_by_a_function():
    import doseesc
    import doseesc.report as module

    assert doseesc.Report is module.Report and doseesc.run_report is module.run_report
    assert "report" not in doseesc.__all__ and not callable(getattr(doseesc, "report", None))


# ---------------------------------------------------------------------------- run_report: structure and numbers
def test_sections_and_tables_present(mc_run):
    spec, cmp, rep, doc = mc_run
    h2 = [h[2] for h in doc.headings if h[0] == "h2"]
    assert h2 == SECTIONS
    h3 = [h[2] for h in doc.headings if h[0] == "h3"]
    assert h3 == [f"Design {i + 1}: {d.label()}" for i, d in enumerate(spec.designs)]
    # per design: the specification, a decision table (none for the CRM) and the pathways
    for i, d in enumerate(spec.designs):
        spec_t = doc.table(f"Specification of design {i + 1} ")
        assert [tuple(r) for r in spec_t["body"]] == d.spec_rows(spec.scenarios[0])
    assert sum(t["caption"].split(": ", 1)[1].startswith("Dose-transition pathways") for t in doc.tables) == 4
    assert len(doc.images) == 1 and doc.scripts == 0
    resolved = json.loads(doc.pres[0])
    assert resolved == json.loads(json.dumps(spec.resolved()))
    assert resolved["versions"]["doseesc"] == de.__version__ and resolved["seed"] == 3


def test_oc_table_numbers_equal_the_results(mc_run):
    spec, cmp, rep, doc = mc_run
    t = doc.table("Operating characteristics of every design")
    D = 4
    assert "Monte Carlo, 400 simulated trials each, seed 3" in t["caption"]
    assert len(t["head"][-1]) == 2 + (D + 1) + 2 + D + D + 1  # no time model: no duration column
    assert len(t["body"]) == len(spec.scenarios) * len(spec.designs)
    for row in t["body"]:
        j = int(row[0][1:]) - 1
        i = int(row[1].split(".")[0]) - 1
        assert row[1] == f"{i + 1}. {spec.designs[i].label()}"
        oc = cmp.oc[i][j]
        cells = row[2:]
        for k in range(D):
            _close(cells[k], 100 * oc.selection[k], 100 * oc.se("selection")[k])
            _close(cells[D + 3 + k], oc.n_patients[k], oc.se("n_patients")[k])
            _close(cells[2 * D + 3 + k], oc.n_dlt[k], oc.se("n_dlt")[k])
        _close(cells[D], 100 * oc.no_selection, 100 * oc.se("no_selection"))
        _close(cells[D + 1], 100 * oc.pcs, 100 * oc.se("pcs"))
        _close(cells[D + 2], 100 * oc.over_selection, 100 * oc.se("over_selection"))
        _close(cells[-1], oc.sample_size, oc.se("sample_size"))
        # the true MTD is marked: dose 4 mg/kg (index 2) in S1, dose 1 in S2
        marked = [k for k in range(D) if cells[k].endswith("*")]
        assert marked == [spec.scenarios[j].correct_doses[0] - 1]


def test_paired_differences_equal_comparison_difference(mc_run):
    spec, cmp, rep, doc = mc_run
    t = doc.table("Differences from design 1 (3+3)")
    assert len(t["body"]) == len(spec.scenarios) * (len(spec.designs) - 1)
    keys = [("pcs", 100), ("no_selection", 100), ("over_selection", 100), ("sample_size", 1), ("n_overdosed", 1),
            ("total_dlt", 1)]
    for row in t["body"]:
        j = int(row[0][1:]) - 1
        i = int(row[1].split(".")[0]) - 1
        assert row[1] == f"{i + 1}. {spec.designs[i].label()}"
        for cell, (key, scale) in zip(row[2:], keys):
            dm, ds = cmp.difference(key, i, 0, j)
            _close(cell, scale * float(dm), scale * float(ds))
    assert "common random numbers" in html.unescape(rep.to_html())


def test_benchmark_table_equals_the_comparison(mc_run):
    spec, cmp, rep, doc = mc_run
    t = doc.table("The complete-information benchmark")
    assert len(t["body"]) == sum(len(b) for b in cmp.benchmark)
    for row in t["body"]:
        j = int(row[0][1:]) - 1
        b = cmp.benchmark[j][int(row[1])]
        _close(row[2], 100 * b.pcs, 100 * b.se("pcs"))
        for i, cell in enumerate(row[3:]):
            if cell:
                dm, ds = b.difference(cmp.oc[i][j], "pcs")
                _close(cell, 100 * dm, 100 * ds)


def test_boin_boundary_table_equals_r_get_boundary(mc_run):
    # R BOIN 2.7.2 get.boundary, target 0.25, cohorts of 3, n = 1..30 (tests/data/boin_peer_decisions.jsonl).
    spec, cmp, rep, doc = mc_run
    ref = next(json.loads(line) for line in (DATA / "boin_peer_decisions.jsonl").open()
               if '"boin_boundary"' in line and '"target": 0.25' in line and '"cohortsize": 3' in line)
    t = doc.table("BOIN (target 0.25): boundaries")
    ns = [int(x) for x in t["head"][0][1:]]
    assert ns == list(range(3, 31, 3))
    want = {"Escalate if # of DLTs <=": "escalate_if_le", "De-escalate if # of DLTs >=": "deescalate_if_ge",
            "Eliminate if # of DLTs >=": "eliminate_if_ge"}
    for row in t["body"]:
        ref_row = ref[want[row[0]]]
        assert row[1:] == ["NA" if ref_row[n - 1] is None else str(ref_row[n - 1]) for n in ns], row[0]


def test_interval_decision_table_equals_published():
    # published.md item 7: mTPI-2 (Guo et al. 2017, Fig. 3) and mTPI (Ji et al. 2010, Fig. 2), target 0.3,
    # epsilon 0.05, middle dose, n = 3, 6, 9.
    pub = {de.MTPI2: {3: "E S D DU", 6: "E E S D DU DU DU", 9: "E E E S D DU DU DU DU DU"},
           de.MTPI: {3: "E S D DU", 6: "E E S S DU DU DU", 9: "E E S S S DU DU DU DU DU"}}
    for cls, table in pub.items():
        header, rows, caption, notes = decision_table(cls(target=0.3, cohort_size=3, max_n=9), 5)
        assert header == ["y \\ n", "3", "6", "9"]
        for col, n in enumerate((3, 6, 9), start=1):
            got = [r[col] for r in rows if r[col]]
            expect = table[n].split()
            assert got == expect[:len(got)] and all(x == "DU" for x in expect[len(got):]), (cls, n)


def test_three_plus_three_table_follows_the_rules():
    header, rows, caption, notes = decision_table(de.ThreePlusThree(), 4)
    got = {r[0]: r[2] for r in rows}
    assert got["0 of 3 DLTs"] == "escalate: 3 patients at dose 3"
    assert got["1 of 3"] == "stay: 3 patients at dose 2"
    assert got["1 of 3, then 0 of 3 (1 of 6)"] == "escalate: 3 patients at dose 3"
    assert got["2 or more of 3"] == "de-escalate: 3 patients at dose 1"
    assert got["2 or more of 3 at the lowest dose"] == "stop, no dose selected"
    assert got["0 of 3 at the highest dose"] == "stop, select dose 4"
    esc = {r[0]: r[2] for r in decision_table(de.ThreePlusThree(deescalate=False), 4)[1]}
    assert esc["2 or more of 3"] == "stop, select dose 1"
    assert decision_table(de.CRM(skeleton=[0.1, 0.2, 0.3], target=0.25), 3) is None


@pytest.mark.parametrize("n_doses", [1, 2, 3])
def test_three_plus_three_table_names_only_the_trials_doses(n_doses):
    # audit: a 2-dose trial's table was drawn for 3 levels ("escalate: 3 patients at dose 3", "select dose 3")
    header, rows, caption, notes = decision_table(de.ThreePlusThree(), n_doses)
    named = [int(x) for r in rows for x in re.findall(r"[0-9]+", r[1] + " " + r[2].replace("3 patients", ""))]
    assert max(named) == n_doses and f"with {n_doses} dose level" in notes
    got = {r[0]: r[2] for r in rows}
    if n_doses == 2:
        assert got["0 of 3 DLTs"] == "escalate: 3 patients at dose 2"
        assert got["0 of 3 at the highest dose"] == "stop, select dose 2" and "lowest dose (level 1)" in notes
    if n_doses == 1:
        assert got["0 of 3 DLTs"] == "stop, select dose 1" and "0 of 3 at the highest dose" not in got


def test_decision_tables_follow_start_dose_and_caps():
    header, rows, caption, notes = decision_table(de.ThreePlusThree(start_dose=3, n_doses=4), 4)
    assert rows == decision_table(de.ThreePlusThree(), 4)[1] and "starts at dose level 3" in notes
    header, rows, caption, notes = decision_table(de.MTPI2(target=0.25, cohort_size=3, max_n=30).stop_at_n(12), 5)
    assert header == ["y \\ n", "3", "6", "9", "12"] and "act on top of this table" in notes
    header, rows, caption, notes = decision_table(de.BOIN(target=0.25, cohort_size=3, max_n=30).stop_at_n(2), 5)
    assert header == ["Patients treated at the current dose", "2"]


def test_pathway_table_one_row_per_path():
    d = de.ThreePlusThree()
    header, rows, k, n_paths = pathway_table(d, 3)
    nodes = de.dose_paths(d, 2, n_doses=3)
    leaves = [n for n in nodes if n.depth == 2 or (n.stop and n.depth > 0)]
    assert k == 2 and header == ["start", "cohort 1", "cohort 2"] and len(rows) == n_paths == len(leaves) == 10
    assert ["dose 1 (3 patients)", "1 NNN → 2", "2 NNN → 3"] in rows
    assert ["dose 1 (3 patients)", "1 NTT → stop, none", ""] in rows
    crm = de.CRM(skeleton=[0.1, 0.2, 0.3], target=0.25, max_n=12)
    header, rows, k, n_paths = pathway_table(crm, 3)
    assert k == 3 and len(header) == 4 and n_paths == 8  # cohorts of 1: 2 x 2 x 2 paths, none stops early


PHASE12_RUN = """n_trials = 40
[random]
seed = 3
[[designs]]
design = "boin12"
max_n = 12
[[designs]]
design = "tite-boin12"
max_n = 12
[[scenarios]]
p_tox = [0.02, 0.05, 0.1]
target = 0.35
p_eff = [0.4, 0.6, 0.6]
doses = [1, 2, 4]
dose_unit = "x10^6 cells/kg"
[scenarios.time]
window = 28
rate = 0.1
eff_window = 84
"""

GRADED_RUN = """n_trials = 40
[random]
seed = 3
[[designs]]
design = "gboin"
target = 0.313
cohort_size = 3
max_n = 12
[[designs]]
design = "quasi-crm"
skeleton = [0.1, 0.2, 0.3]
target = 0.313
cohort_size = 3
max_n = 12
[[scenarios]]
p_grade = [[0.12, 0.08, 0.06, 0.02], [0.15, 0.12, 0.12, 0.05], [0.2, 0.15, 0.18, 0.1]]
target = 0.3
"""


@pytest.mark.parametrize("run, heads", [
    (PHASE12_RUN, [("Utility and desirability", "Selection of the OBD"),
                   ("Pending outcomes", "Accrual suspension", "Selection of the OBD")]),
    (GRADED_RUN, [("Toxicity scores", "Elimination (safety)", "Time-to-event mode"),
                  ("Toxicity scores", "Likelihood", "Restrictions")])], ids=["phase I/II", "graded"])
def test_phase12_and_graded_designs_have_their_own_wording(run, heads):
    """BOIN12, TITE-BOIN12, gBOIN and the quasi-CRM render with their own protocol sections and
    specification tables (they fell back to a list of fields), and the phase I/II pathway cells
    carry the E/N/B/T letters."""
    spec = config.parse(run, "run.toml")
    cmp = de.compare(spec.designs, spec.scenarios, n_trials=spec.n_trials, seed=spec.seed)
    rep = de.run_report(spec, cmp, figure=False)
    html_text = rep.to_html()
    assert "no protocol wording" not in html_text
    md = rep.to_markdown()
    doc = Doc(html_text)
    for i, d in enumerate(spec.designs):
        assert [tuple(r) for r in doc.table(f"Specification of design {i + 1} ")["body"]] == \
            d.spec_rows(spec.scenarios[0])
        block = md.split(f"### Design {i + 1}: ")[1].split("### Design")[0]
        for head in heads[i]:
            assert f"**{head}.**" in block, (d.label(), head)
    if spec.designs[0].uses_efficacy:
        paths = doc.table("Dose-transition pathways of design 1")
        cells = {c for row in paths["body"] for c in row[1:] if c}
        assert any("E" in c.split(" → ")[0] for c in cells) and any("B" in c.split(" → ")[0] for c in cells)
        assert "E response without DLT, N neither, B both, T DLT without response" in md


def test_exact_run_says_exact():
    spec = config.parse(RUN.replace("n_trials = 400", 'mode = "exact"'), "exact.toml")
    grid = [[de.exact(d, s) for s in spec.scenarios] for d in spec.designs]
    rep = de.run_report(spec, grid, figure=False)
    doc = Doc(rep.to_html())
    t = doc.table("Operating characteristics of every design")
    assert t["caption"].endswith("(exact)")
    for row in t["body"]:
        j = int(row[0][1:]) - 1
        i = int(row[1].split(".")[0]) - 1
        assert row[1] == f"{i + 1}. {spec.designs[i].label()}"
        assert all("(" not in c for c in row[2:]), row  # no standard errors
        _close(row[2], 100 * grid[i][j].selection[0])
        _close(row[-1], grid[i][j].sample_size)
    diff = doc.table("Differences from design 1")
    assert "exact differences" in html.unescape(rep.to_html())
    _close(diff["body"][0][2], 100 * (grid[1][0].pcs - grid[0][0].pcs))
    assert "exactly, by enumerating every trial path" in rep.to_markdown()


def test_time_model_adds_duration():
    text = RUN.replace('name = "MTD at 4 mg/kg"', 'name = "MTD at 4 mg/kg"\ntime = { window = 28, rate = 0.1 }')
    text = text.replace('dose_unit = "mg/kg"\n\n', 'dose_unit = "mg/kg"\ntime = { window = 28, rate = 0.1 }\n\n')
    spec = config.parse(text.replace("n_trials = 400", "n_trials = 200"), "t.toml")
    cmp = de.compare(spec.designs[:2], spec.scenarios, n_trials=200, seed=1)
    spec.designs = spec.designs[:2]
    doc = Doc(de.run_report(spec, cmp, figure=False).to_html())
    t = doc.table("Operating characteristics of every design")
    assert t["head"][-1][-1] == "mean duration"
    _close(t["body"][0][-1], cmp.oc[0][0].duration, cmp.oc[0][0].se("duration"))


def test_no_directional_prose(mc_run):
    text = html.unescape(re.sub(r"<[^>]+>", " ", mc_run[2].to_html())).lower()
    for word in ("better", "worse", "superior", "inferior", "outperform", "safer", "more accurate"):
        assert word not in text, word


def test_run_report_checks_its_results():
    spec = config.parse(RUN, "run.toml")
    with pytest.raises(ValueError, match="^results: expected one row per design"):
        de.run_report(spec, [[]])
    with pytest.raises(ValueError, match="^path_cohorts: "):
        de.run_report(spec, [[de.exact(d, s) for s in spec.scenarios] for d in spec.designs], path_cohorts=5)


# ---------------------------------------------------------------------------- the run figure
def test_run_figure_shared_scales_units_no_twin_axes(mc_run):
    spec, cmp, rep, doc = mc_run
    fig = plot.run_figure(spec.designs, spec.scenarios, cmp.oc)
    axes = np.array(fig.axes).reshape(len(spec.scenarios), 3)  # a twin axis would add axes
    for col in range(3):
        assert len({ax.get_ylim() for ax in axes[:, col]}) == 1, col
    for ax in axes.ravel():
        assert "mg/kg" in ax.get_xlabel() and ax.get_ylabel()
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels[:4] == ["1", "2", "4", "8"]
        assert "(" in ax.get_ylabel()  # the unit: (probability), (%), (mean per trial)
    import matplotlib.pyplot as plt

    plt.close(fig)


# ---------------------------------------------------------------------------- command line
def test_cli_report_html_and_md(tmp_path, capsys):
    f = tmp_path / "run.toml"
    f.write_text(RUN.replace("n_trials = 400", "n_trials = 200"))
    out = tmp_path / "report.html"
    assert main(["report", str(f), "-o", str(out), "--no-progress"]) == 0
    assert capsys.readouterr().out == ""
    doc = Doc(out.read_text())
    assert [h[2] for h in doc.headings if h[0] == "h2"] == SECTIONS and len(doc.images) == 1
    assert not list(tmp_path.glob("*.partial-*"))
    assert main(["report", str(f), "--format", "md", "--no-figure", "--path-cohorts", "1"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Dose-escalation design report: ") and "## Operating characteristics" in md
    assert "first 1 cohort (" in md and "Figure not requested." in md
    assert main(["report", str(f), "-o", str(tmp_path / "r.md"), "--no-figure"]) == 0
    assert (tmp_path / "r.md").read_text().startswith("# Dose-escalation design report")


@pytest.mark.parametrize("argv, message", [
    (["-o", "/nonexistent-folder/r.html"], "--output: /nonexistent-folder/r.html: the folder"),
    (["-o", "."], "--output: . is a folder"),
    (["--format", "pdf"], "argument --format: invalid choice"),
    (["--path-cohorts", "4"], "path_cohorts: must be an integer from 1 to 3"),
])
def test_cli_report_errors_one_line(tmp_path, capsys, argv, message):
    f = tmp_path / "run.toml"
    f.write_text(RUN.replace("n_trials = 400", "n_trials = 50"))
    assert main(["report", str(f), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err


def test_cli_report_checks_output_before_reading_the_run(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is not a run file")
    assert main(["report", str(bad), "-o", str(tmp_path / "missing" / "r.html")]) == 2
    assert "--output:" in capsys.readouterr().err


# ---------------------------------------------------------------------------- a real browser
def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _browser(tmp_path, *args):
    exe = _chromium()
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
           "--hide-scrollbars", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(_chromium() is None, reason="no Chromium installed (apt-get install chromium)")
def test_headless_browser_renders_every_section_and_image(mc_run, tmp_path):
    spec, cmp, rep, doc = mc_run
    page = tmp_path / "report.html"
    page.write_text(rep.to_html())
    # 1. the DOM as the browser builds it: every section, every table, the figure
    dom = _browser(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    seen = Doc(dom.stdout)
    assert [h[2] for h in seen.headings if h[0] == "h2"] == SECTIONS
    assert len(seen.tables) == len(doc.tables) and len(seen.images) == 1
    # 2. the images decode in the browser: a copy of the page with a tiny inline check reports each
    #    image's natural size into the DOM (the report itself has no script)
    probe = tmp_path / "probe.html"
    probe.write_text(rep.to_html().replace(
        "</body>", "<script>window.addEventListener('load', function () {var s = [];"
                   "document.querySelectorAll('img').forEach(function (i) {s.push(i.naturalWidth + 'x' + "
                   "i.naturalHeight + ':' + i.complete);});document.body.setAttribute('data-images', s.join(' '));"
                   "});</script></body>"))
    out = _browser(tmp_path, "--dump-dom", "--virtual-time-budget=5000", probe.as_uri())
    m = re.search(r'data-images="([^"]*)"', out.stdout)
    assert m, out.stdout[:500]
    png = base64.b64decode(doc.images[0]["src"].split(",", 1)[1])
    w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert m.group(1) == f"{w}x{h}:true" and w > 0 and h > 0
    # 3. a screenshot: the page paints (not blank)
    shot = tmp_path / "report.png"
    res = _browser(tmp_path, "--window-size=1700,4000", f"--screenshot={shot}", page.as_uri())
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert img.shape == (4000, 1700) and img.std() > 10  # text, tables and lines, not an empty page


# ---------------------------------------------------------------------------- safety stops, stated once
SAFETY_RUN = """n_trials = 60
[random]
seed = 7
[[designs]]
design = "crm"
name = "CRM safe"
skeleton = [0.05, 0.12, 0.25, 0.40]
target = 0.25
cohort_size = 3
max_n = 12
safety_threshold = 0.95
select_min_n = 6
[[designs]]
design = "crm"
skeleton = [0.05, 0.12, 0.25, 0.40]
target = 0.25
cohort_size = 3
max_n = 12
model_safety_threshold = 0.9
safety_threshold = 0.95
[[designs]]
design = "boin"
target = 0.25
cohort_size = 3
max_n = 12
safety_threshold = 0.9
stop_n_at_dose = 9
[[designs]]
design = "3+3"
safety_threshold = 0.95
safety_target = 0.25
[[scenarios]]
p_tox = [0.05, 0.10, 0.25, 0.40]
target = 0.25
doses = [1, 2, 4, 8]
dose_unit = "mg/kg"
"""


def _md_design_blocks(md):
    """{design heading: its Markdown up to the next design or section} of a report."""
    out = {}
    for part in re.split(r"\n### ", md)[1:]:
        head, body = part.split("\n", 1)
        out[head] = body.split("\n## ")[0]
    return out


def _md_rows(block, key):
    return [line for line in block.splitlines() if line.startswith(f"| {key} |")]


def _paragraph(block, lead):
    hits = [line for line in block.splitlines() if line.startswith(f"**{lead}.** ")]
    return hits[0] if hits else None


def test_run_report_states_each_safety_stop_once_and_consistently():
    """The audit's CRM with a safety stop (and a CRM with its own rule too, a BOIN and a 3+3 with one):
    one "Safety stop" row stating the rule(s), no "no safety stopping rule" sentence, a Safety paragraph
    (where the design has one) saying the trial stops early for safety, and stopping rules that list it."""
    spec = config.parse(SAFETY_RUN, "safety.toml")
    cmp = de.compare(spec.designs, spec.scenarios, n_trials=spec.n_trials, seed=spec.seed)
    md = de.run_report(spec, cmp, figure=False).to_markdown()
    assert "no safety stopping rule" not in md
    blocks = _md_design_blocks(md)
    assert len(blocks) == 4
    for head, block in blocks.items():
        rows = _md_rows(block, "Safety stop")
        assert len(rows) == 1 and "| none |" not in rows[0], (head, rows)
        assert "P(p\\_1 > 0.25 \\| data) > 0.9" in rows[0], (head, rows)
        stopping = _paragraph(block, "Stopping rules")
        assert "the safety stop holds: P(p_1 > 0.25 | data) > 0.9" in stopping, (head, stopping)
        safety = _paragraph(block, "Safety")
        if safety is not None:  # the CRMs
            assert "stops early for safety" in safety and "Beta(1, 1) prior" in safety, (head, safety)
    crm, own = list(blocks.values())[:2]
    assert "> 0.95, Beta(1, 1) prior, n >= 3 |" in _md_rows(crm, "Safety stop")[0]
    row = _md_rows(own, "Safety stop")[0]  # the CRM's own rule and the added one, in one row
    assert "> 0.9 (the design's own); P(p\\_1 > 0.25 \\| data) > 0.95, Beta(1, 1) prior, n >= 3 (added rule)" in row
    assert "(b) the safety rule holds (no dose selected). Under the additional rules below, it also stops when (c) " \
           "the safety stop holds" in _paragraph(own, "Stopping rules")
    boin = list(blocks.values())[2]
    assert "(c) the safety stop holds: P(p_1 > 0.25 | data) > 0.9 at dose level 1 (1 mg/kg), with at least 3 " \
           "patients there (no dose selected); (d) the dose recommended for the next cohort already has 9 or more " \
           "patients" in _paragraph(boin, "Stopping rules")


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


SC4 = de.Scenario([0.05, 0.10, 0.25, 0.40], target=0.25)
SKEL = [0.05, 0.12, 0.25, 0.40]


@pytest.mark.parametrize("make", [
    lambda: de.CRM(skeleton=SKEL, target=0.25, cohort_size=3, max_n=12).stop_for_safety(0.95),
    lambda: de.TITECRM(skeleton=SKEL, target=0.25, max_n=12).stop_for_safety(0.95),
    lambda: de.BOIN(target=0.25, cohort_size=3, max_n=12).stop_for_safety(0.95),
    lambda: de.MTPI2(target=0.25, cohort_size=3, max_n=12).stop_for_safety(0.95),
    lambda: de.ThreePlusThree().stop_for_safety(0.95, target=0.25),
    lambda: de.EWOC(doses=[1, 2, 4, 8], target=0.25, max_n=12).stop_for_safety(0.95),
    lambda: de.EWOC(doses=[1, 2, 4, 8], target=0.25, max_n=12, safety_stop=0.9).stop_for_safety(0.95),
    lambda: de.BLRM(doses=[1, 2, 4, 8], d_ref=4, max_n=12).stop_for_safety(0.95, target=0.33),
    lambda: de.BOIN12(phi_t=0.3, phi_e=0.4, max_n=12).stop_for_safety(0.95, target=0.3),
    lambda: de.EffTox(real_doses=[1, 2, 4, 8]).stop_for_safety(0.95, target=0.3),
], ids=["crm", "tite-crm", "boin", "mtpi2", "3+3", "ewoc", "ewoc-own", "blrm", "boin12", "efftox"])
def test_every_family_states_an_added_safety_stop_once(make):
    with _quiet():
        d = make()
        p = design_protocol(d, SC4)
    rows = [v for k, v in p.rows if k == "Safety stop"]
    assert len(rows) == 1 and "> 0.95, Beta(1, 1) prior, n >= 3" in rows[0], rows
    assert not any("no safety stopping rule" in body for _, body in p.sections)
    if p.section("Stopping rules") is not None:
        assert "the safety stop holds: P(p_1 > " in p.section("Stopping rules")
    if p.section("Safety") is not None:
        assert "stops early for safety" in p.section("Safety")
    assert "Safety stop: at every decision" in p.section("Additional rules")
    if isinstance(d.base, de.EWOC) and d.base.safety_stop is not None:  # its own rule gets into the row too
        assert rows[0].startswith("P(p(first dose) > 0.25 | data) > 0.9 (the design's own); ")
    if isinstance(d.base, de.BLRM):
        assert dict(p.rows)["Stopping"] == "none beyond the above and the safety stop"


def test_design_protocol_leaves_designs_without_added_rules_as_worded():
    for d in (de.CRM(skeleton=SKEL, target=0.25, cohort_size=3, max_n=12),
              de.CRM(skeleton=SKEL, target=0.25, cohort_size=3, max_n=12, model_safety_threshold=0.9),
              de.BOIN(target=0.25, cohort_size=3, max_n=12, extrasafe=True), de.ThreePlusThree()):
        assert design_protocol(d, SC4) == d._protocol(SC4)
    ewoc = de.EWOC(doses=[1, 2, 4, 8], target=0.25, max_n=12, safety_stop=0.9)  # its stop gets its row
    assert dict(design_protocol(ewoc, SC4).rows)["Safety stop"] == "P(p(first dose) > 0.25 | data) > 0.9"
    assert dict(ewoc.spec_rows(SC4))["Safety stop"] == "P(p(first dose) > 0.25 | data) > 0.9"  # as the report states it


# ---------------------------------------------------------------------------- the what-if report
@pytest.fixture(scope="module")
def whatif_a():
    res = de.whatif(["A"], n_scenarios=2, n_trials=10, seed=3, phase12=False, graded=False)
    rep = whatif_report(res)
    return res, rep, Doc(rep.to_html()), rep.to_markdown()


def test_whatif_report_has_pathways_and_per_dose_patients_and_dlts(whatif_a):
    """As the run report: a dose-transition pathway table for every design shown (the coinciding
    ones refer to it), and the per-dose mean patients and DLTs in the OC tables, equal to the exact
    results."""
    res, rep, doc, md = whatif_a
    objs = res.objects["A"]
    labels = [d["label"] for d in res.designs["A"]]
    hidden = {x for g in res.coincide["A"] for x in g["designs"][1:]}
    assert hidden  # BOIN = mTPI-2 = Keyboard at 12 patients
    for k, (label, d) in enumerate(zip(labels, objs["all_designs"])):
        if label in hidden:
            assert "the two designs take the same decisions" in _md_design_blocks(md)[f"Design {k + 1}: {label}"]
            continue
        t = doc.table(f"Dose-transition pathways of trial A, design {k + 1} ")
        header, rows, _, _ = pathway_table(d, 2)
        assert t["head"][-1] == header and t["body"] == rows
    assert md.count("Dose-transition pathways of trial A") == len(labels) - len(hidden)
    shown = [lab for lab in labels if lab not in hidden]
    for j, sc in enumerate(objs["scenarios"]):
        t = doc.table(f"Trial A, scenario '{sc.name}'")
        assert t["head"][0][-4:] == ["mean patients per dose"] * 2 + ["mean DLTs per dose"] * 2
        for row in t["body"]:
            oc = objs["results"][shown.index(row[0])][j]
            for c in range(2):
                _close(row[-4 + c], oc.n_patients[c])
                _close(row[-2 + c], oc.n_dlt[c])
    # the CRM with its safety stop: one row, no contradiction
    crm = _md_design_blocks(md)["Design 3: CRM (evidence MTD guess: 3 x10^6 cells/kg)"]  # level 2 = 3 x10^6
    assert len(_md_rows(crm, "Safety stop")) == 1 and "no safety stopping rule" not in md
    assert "stops early for safety" in _paragraph(crm, "Safety")


def test_whatif_report_prior_predictive_per_dose_from_the_comparison(whatif_a):
    """The what-if keeps its prior-predictive Comparison in ``objects[trial]["comparison"]``: that
    table's per-dose columns are read from it (checked here against a stand-in comparison);
    without it, the table says they were not kept."""
    import copy

    res, _, doc, _ = whatif_a
    pp = [t for t in doc.tables if t["caption"] and "prior-predictive" in t["caption"] and "scenario" in t["caption"]]
    assert len(pp) == 1 and "mean patients per dose" in pp[0]["head"][0]
    res2 = copy.copy(res)
    res2.objects = {"A": dict(res.objects["A"])}
    objs = res2.objects["A"]
    del objs["comparison"]
    bare = Doc(whatif_report(res2).to_html()).table("Trial A, scenario 'prior-predictive")
    assert "mean patients per dose" not in bare["head"][0]
    with _quiet():
        cmp = de.compare(objs["all_designs"], [objs["scenarios"][1]], n_trials=30, seed=1)
    objs["comparison"] = cmp
    t = Doc(whatif_report(res2).to_html()).table("Trial A, scenario 'prior-predictive")
    labels = [d["label"] for d in res.designs["A"]]
    for row in t["body"]:
        oc = cmp.oc[labels.index(row[0])][0]
        for c in range(2):
            _close(row[-4 + c], oc.n_patients[c], oc.se("n_patients")[c])
            _close(row[-2 + c], oc.n_dlt[c], oc.se("n_dlt")[c])


def test_report_says_where_a_design_exceeds_the_benchmark(tmp_path, capsys):
    """The benchmark table names a design that selects better than the benchmark by more than 4 SE,
    with why (here doses 2 and 3 are 0.08 and 0.10 from the target; BOIN leads by about 6 points,
    SE 0.7 at 3,000 trials), and says nothing of the kind where no design does."""
    run_file = tmp_path / "bm.toml"
    run_file.write_text('n_trials = 3000\n[random]\nseed = 2024\n[[designs]]\ndesign = "boin"\ntarget = 0.2\n'
                        'cohort_size = 3\nmax_n = 18\n[[scenarios]]\np_tox = [0.05, 0.12, 0.30]\ntarget = 0.2\n'
                        '[[scenarios]]\np_tox = [0.02, 0.04, 0.08]\ntarget = 0.2\n')
    out = tmp_path / "bm.md"
    assert main(["report", str(run_file), "--format", "md", "--no-figure", "-o", str(out)]) == 0
    text = " ".join(out.read_text().split())
    assert "S1: design 1 exceeds the benchmark by more than 4 SE here" in text and (
        "against distances from the target of 0.08 (dose 2) and 0.10 (dose 3)") in text
    assert "S2: design 1 exceeds" not in text
