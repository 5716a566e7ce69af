"""Protocol reports: a small document builder and the report of a TOML run file.

:class:`Report` collects headings, paragraphs, tables, figures and preformatted text and writes
them as one self-contained HTML file (inline CSS, images as data URIs, no network, no JavaScript,
printable) or as Markdown. :func:`run_report` builds the protocol report of a run file from the
results ``doseesc run`` computes: each design's specification (``Design.describe()`` and its
parameter table), decision table and dose-transition pathways, one operating-characteristics
table across all scenarios, the paired comparison with the first design, one comparison figure
and the resolved run. Every number in it is read from the design and result objects.

(The module is ``doseesc.report``; the package exports :class:`Report` and :func:`run_report`,
never a function named ``report``, which would shadow this module.)
"""

from __future__ import annotations

import base64
import html
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import _json
from . import _validate as v
from .results import OBD_MARK as _OBD_MARK  # the dagger of the true OBD (* marks the true MTD)
from .results import association_text, mtd_above_target_text

__all__ = ["Report", "run_report", "whatif_report"]


# ---------------------------------------------------------------------------- blocks
@dataclass(frozen=True)
class _Heading:
    text: str
    level: int
    anchor: str


@dataclass(frozen=True)
class _Paragraph:
    text: str
    lead: str | None


@dataclass(frozen=True)
class _Table:
    header: tuple
    rows: tuple
    caption: str | None
    notes: str | None
    groups: tuple | None
    number: int


@dataclass(frozen=True)
class _Figure:
    png: bytes
    caption: str
    number: int


@dataclass(frozen=True)
class _Pre:
    text: str


_CSS = """
:root { color-scheme: light; }
body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1a1a1a;
       line-height: 1.45; margin: 0; background: #fff; }
main { max-width: 100rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; }
p, nav.toc, pre, .caption, p.notes { max-width: 64rem; }
figure { max-width: 90rem; }
h1 { font-size: 1.7rem; border-bottom: 2px solid #2b4c7e; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid #c8d0dc; padding-bottom: .2rem; }
h3 { font-size: 1.12rem; margin-top: 1.6rem; }
h4, h5, h6 { font-size: 1rem; margin-top: 1.2rem; }
p { margin: .5rem 0; }
nav.toc { background: #f5f7fa; border: 1px solid #dde3ea; padding: .6rem 1.2rem; margin: 1rem 0; }
nav.toc ol { margin: .2rem 0; padding-left: 1.4rem; }
.table-wrap { overflow-x: auto; margin: 1rem 0 1.4rem; }
table { border-collapse: collapse; font-size: .82rem; font-variant-numeric: tabular-nums; }
.caption { font-weight: 600; font-size: .9rem; padding: .3rem 0; }
th, td { border: 1px solid #c9d1db; padding: .22rem .45rem; vertical-align: top; }
th { background: #e9eef5; text-align: center; font-weight: 600; }
tbody tr:nth-child(even) td { background: #f7f9fb; }
td.num { text-align: right; white-space: pre-line; }
td.txt { text-align: left; }
table.wide { font-size: .74rem; }
table.wide td.txt { min-width: 9rem; }
p.notes { font-size: .78rem; color: #444; margin: .3rem 0 0; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #dde3ea; }
figcaption { font-size: .85rem; color: #333; margin-top: .3rem; }
pre { background: #f5f7fa; border: 1px solid #dde3ea; padding: .7rem; font-size: .75rem; overflow-x: auto;
      white-space: pre-wrap; word-break: break-word; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  .table-wrap { overflow: visible; }
  table, table.wide { font-size: 7pt; }
  th, td { padding: 1px 3px; }
  tr, figure, pre { page-break-inside: avoid; break-inside: avoid; }
  h2, h3, .caption { page-break-after: avoid; break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

_NUMERIC = re.compile(r"^[-+]?[0-9][0-9,.]*(e[-+]?[0-9]+)?%?(\s\([0-9.,e+-]+%?\))?[*]?\u2020?$|^NA$|^n/a$")


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected text, got {v._short(value)}")
    return value


class Report:
    """A small document: headings, paragraphs, tables, figures and preformatted text, written as
    one self-contained HTML file or as Markdown.

    Every method that adds content returns the report, so calls chain. Tables and figures are
    numbered in order ("Table 1", "Figure 1"); headings of level 2 make the table of contents.

    Parameters
    ----------
    title : str
        The document's title (its only level-1 heading).

    Examples
    --------
    >>> import doseesc as de
    >>> r = de.Report("Design comparison")
    >>> _ = r.heading("Operating characteristics").paragraph("Exact, so no standard errors.")
    >>> _ = r.table(["dose", "selected %"], [["1", "12.5"], ["2", "80.1"]], caption="Selection")
    >>> html = r.to_html()
    >>> html.startswith("<!DOCTYPE html>") and "Table 1" in html and "<script" not in html
    True
    >>> print(r.to_markdown().splitlines()[0])
    # Design comparison
    """

    def __init__(self, title: str):
        self.title = _text("title", title)
        self._blocks: list = []
        self._anchors: set[str] = set()
        self._tables = 0
        self._figures = 0

    # ------------------------------------------------------------------ content
    def heading(self, text: str, level: int = 2) -> Report:
        """A section heading; ``level`` 2 (sections, in the table of contents) to 6."""
        text = _text("text", text)
        level = v.integer("level", level, low=2, high=6)
        base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
        anchor, i = base, 1
        while anchor in self._anchors:
            i += 1
            anchor = f"{base}-{i}"
        self._anchors.add(anchor)
        self._blocks.append(_Heading(text, level, anchor))
        return self

    def paragraph(self, text: str, lead: str | None = None) -> Report:
        """A paragraph of plain text; ``lead`` is set in bold before it (e.g. ``"Stopping rules"``)."""
        self._blocks.append(_Paragraph(_text("text", text), None if lead is None else _text("lead", lead)))
        return self

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str | None = None,
              notes: str | None = None, groups: Sequence[tuple[str, int]] | None = None) -> Report:
        """A table: one header row (optionally under a row of column ``groups``: (label, span)
        pairs covering every column), then ``rows``, each with one cell per header column.

        Cells are shown as ``str(cell)`` (``None`` as an empty cell); numeric-looking cells are
        right-aligned. ``caption`` is numbered ("Table k: ..."); ``notes`` go under the table.
        """
        header = tuple(str(h) for h in header)
        if not header:
            raise ValueError("header: a table needs at least one column")
        out = []
        for i, row in enumerate(rows):
            row = tuple("" if c is None else str(c) for c in row)
            if len(row) != len(header):
                raise ValueError(f"rows: row {i + 1} has {len(row)} cells, the header has {len(header)}")
            out.append(row)
        if groups is not None:
            groups = tuple((str(label), v.integer("groups", span, low=1)) for label, span in groups)
            if sum(s for _, s in groups) != len(header):
                raise ValueError(f"groups: spans must add up to the {len(header)} columns, got "
                                 f"{sum(s for _, s in groups)}")
        self._tables += 1
        self._blocks.append(_Table(header, tuple(out), None if caption is None else _text("caption", caption),
                                   None if notes is None else _text("notes", notes), groups, self._tables))
        return self

    def figure(self, figure: Any, caption: str) -> Report:
        """A matplotlib figure, embedded as a PNG (the figure is closed afterwards)."""
        caption = _text("caption", caption)
        if not hasattr(figure, "savefig"):
            raise ValueError(f"figure: expected a matplotlib figure, got {v._short(figure)}")
        buf = io.BytesIO()
        figure.savefig(buf, format="png", dpi=130, metadata={"Software": None})
        try:
            import matplotlib.pyplot as plt

            plt.close(figure)
        except ImportError:  # pragma: no cover - a figure without pyplot
            pass
        self._figures += 1
        self._blocks.append(_Figure(buf.getvalue(), caption, self._figures))
        return self

    def preformatted(self, text: str) -> Report:
        """Text shown as is, in a fixed-width font (e.g. a resolved run as JSON)."""
        self._blocks.append(_Pre(_text("text", text)))
        return self

    # ------------------------------------------------------------------ output
    def to_html(self) -> str:
        """The report as one self-contained HTML5 file: inline CSS, images as data URIs, no
        scripts, no external resources; prints on A4 landscape."""
        e = html.escape
        parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 f"<title>{e(self.title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>", "<main>",
                 f"<h1>{e(self.title)}</h1>"]
        toc = [b for b in self._blocks if isinstance(b, _Heading) and b.level == 2]
        if len(toc) > 1:
            parts.append('<nav class="toc"><strong>Contents</strong><ol>'
                         + "".join(f'<li><a href="#{b.anchor}">{e(b.text)}</a></li>' for b in toc) + "</ol></nav>")
        for b in self._blocks:
            if isinstance(b, _Heading):
                parts.append(f'<h{b.level} id="{b.anchor}">{e(b.text)}</h{b.level}>')
            elif isinstance(b, _Paragraph):
                lead = f"<strong>{e(b.lead)}.</strong> " if b.lead else ""
                parts.append(f"<p>{lead}{e(b.text)}</p>")
            elif isinstance(b, _Table):
                parts.append(self._html_table(b))
            elif isinstance(b, _Figure):
                data = base64.b64encode(b.png).decode("ascii")
                w, h = _png_size(b.png)
                parts.append(f'<figure id="figure-{b.number}"><img src="data:image/png;base64,{data}" '
                             f'width="{w}" height="{h}" alt="{e(b.caption)}">'
                             f"<figcaption>Figure {b.number}: {e(b.caption)}</figcaption></figure>")
            else:
                parts.append(f"<pre>{e(b.text)}</pre>")
        parts += ["</main>", "</body>", "</html>"]
        return "\n".join(parts) + "\n"

    @staticmethod
    def _html_table(t: _Table) -> str:
        e = html.escape
        numeric = _numeric_columns(t)
        out = [f'<div class="table-wrap" id="table-{t.number}">']
        if t.caption:
            out.append(f'<div class="caption">Table {t.number}: {e(t.caption)}</div>')
        out.append(f'<table class="{"wide" if len(t.header) > 12 else "plain"}"><thead>')
        if t.groups:
            out.append("<tr>" + "".join(f'<th colspan="{s}">{e(label)}</th>' if s > 1 else f"<th>{e(label)}</th>"
                                        for label, s in t.groups) + "</tr>")
        out.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in t.header) + "</tr></thead><tbody>")
        for row in t.rows:
            out.append("<tr>" + "".join(f'<td class="{"num" if numeric[j] else "txt"}">{e(c)}</td>'
                                        for j, c in enumerate(row)) + "</tr>")
        out.append("</tbody></table>")
        if t.notes:
            out.append(f'<p class="notes">{e(t.notes)}</p>')
        out.append("</div>")
        return "".join(out)

    def to_markdown(self) -> str:
        """The report as Markdown (GitHub-flavoured tables; figures as data-URI images)."""
        parts = [f"# {self.title}"]
        for b in self._blocks:
            if isinstance(b, _Heading):
                parts.append("#" * b.level + " " + b.text)
            elif isinstance(b, _Paragraph):
                parts.append((f"**{b.lead}.** " if b.lead else "") + b.text)
            elif isinstance(b, _Table):
                parts.append(_md_table(b))
            elif isinstance(b, _Figure):
                data = base64.b64encode(b.png).decode("ascii")
                parts.append(f"![Figure {b.number}: {_md_escape(b.caption)}](data:image/png;base64,{data})\n\n"
                             f"*Figure {b.number}: {_md_escape(b.caption)}*")
            else:
                fence = "```"
                while fence in b.text:
                    fence += "`"
                parts.append(f"{fence}text\n{b.text}\n{fence}")
        return "\n\n".join(parts) + "\n"


def _numeric_columns(t: _Table) -> list[bool]:
    """Columns whose every non-empty cell is a number (right-aligned)."""
    return [any(r[j] for r in t.rows) and all(_NUMERIC.match(r[j]) or not r[j] for r in t.rows)
            for j in range(len(t.header))]


def _md_escape(text: str) -> str:
    text = " ".join(text.split())  # no line breaks inside a Markdown cell or caption
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def _md_table(t: _Table) -> str:
    header = list(t.header)
    if t.groups:
        k = 0
        for label, span in t.groups:
            if label:
                for j in range(k, k + span):
                    header[j] = f"{label}: {header[j]}" if header[j] else label
            k += span
    lines = []
    if t.caption:
        lines.append(f"*Table {t.number}: {_md_escape(t.caption)}*")
        lines.append("")
    lines.append("| " + " | ".join(_md_escape(h) for h in header) + " |")
    lines.append("|" + "|".join("---:" if num else "---" for num in _numeric_columns(t)) + "|")
    for row in t.rows:
        lines.append("| " + " | ".join(_md_escape(c) for c in row) + " |")
    if t.notes:
        lines.append("")
        lines.append(_md_escape(t.notes))
    return "\n".join(lines)


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


# ---------------------------------------------------------------------------- the run report
def _fmt(value: float, se: float, exact: bool, scale: float = 1.0, digits: int = 2) -> str:
    """A value with its Monte Carlo SE in brackets (decimals set by the SE), or alone when exact."""
    from .results import _fmt as fmt_se

    if exact:
        return f"{scale * float(value):.{digits}f}"
    return fmt_se(scale * float(value), scale * float(se), False).replace(" (", "\n(")


def _dose_header(sc) -> tuple[list[str], str]:
    labels = sc.dose_labels()
    unit = f" ({sc.dose_unit})" if sc.dose_unit else ""
    return labels, unit


def _decision_cell(rec, cur: int | None) -> str:
    if rec.stop:
        return f"stop, select dose {rec.selected}" if rec.selected is not None else "stop, no dose selected"
    if rec.dose is None:
        return "suspend accrual"
    if cur is None or rec.dose == cur:
        where = "stay" if cur is not None else "start"
    else:
        where = "escalate" if rec.dose > cur else "de-escalate"
    return f"{where}: {plural_patients(rec.cohort_size)} at dose {rec.dose}"


def plural_patients(n: int) -> str:
    return f"{n} patient{'s' if n != 1 else ''}"


def _three_plus_three_table(design, n_doses: int) -> tuple[list[str], list[list[str]], str]:
    """The 3+3 rules as a table: each situation as an outcome string at a middle dose (or the
    lowest / highest), with the decision the design's own code takes there."""
    start = design.start_dose
    design = replace(design, start_dose=1, n_doses=None)  # the rules do not depend on the start dose
    D = n_doses  # the trial's own dose levels: a table drawn for more would name doses it does not have
    m, top = (2 if D >= 3 else 1), D  # a middle dose where there is one, else the lowest
    if not design.is_three_plus_three:
        cases = _a_plus_b_cases(design, m, top, D)
    else:
        cases = _three_plus_three_cases(design, m, top, D)
    rows = []
    for situation, outcomes in cases:
        outcomes = outcomes.strip()
        cur = int(re.findall(r"([0-9]+)[NT]+$", outcomes)[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rec = design.next_dose(outcomes, n_doses=D)
        rows.append([situation, outcomes, _decision_cell(rec, cur)])
    where = ("the lowest dose (level 1)" if m == 1 and D > 1 else "the only dose level" if D == 1
             else f"dose level {m}")
    note = (f"Decisions taken by the design's own code on these outcome strings with {D} dose level"
            f"{'s' if D != 1 else ''} (cohorts in order: dose level, then N (no DLT) or T (DLT) per patient); the "
            f"situations are at {where} unless stated.")
    if start != 1:
        note += f" (Shown from dose level 1; the design starts at dose level {start}, with the same rules.)"
    return ["situation at the current dose", "example outcomes", "decision"], rows, note


def _three_plus_three_cases(design, m: int, top: int, D: int) -> list[tuple[str, str]]:
    esc = list(range(1, m))  # doses below the middle one, each 0/3
    pre = " ".join(f"{k}NNN" for k in esc)
    cases = [
        ("0 of 3 DLTs", f"{pre} {m}NNN"),
        ("1 of 3", f"{pre} {m}NNT"),
        ("1 of 3, then 0 of 3 (1 of 6)", f"{pre} {m}NNT {m}NNN"),
        ("1 of 3, then 1 or more of 3 (2 or more of 6)", f"{pre} {m}NNT {m}NNT"),
        ("2 or more of 3", f"{pre} {m}NTT"),
        *([("2 or more of 3 at the lowest dose", "1NTT")] if m > 1 else []),
        *([("0 of 3 at the highest dose", " ".join(f"{k}NNN" for k in range(1, top + 1)))] if top > m else []),
    ]
    if design.deescalate and m + 1 <= D:
        down = " ".join(f"{k}NNN" for k in range(1, m + 1)) + f" {m + 1}NTT"
        cases += [("dose above had 2 or more DLTs; this dose refilled to 6 with at most 1 of 6", f"{down} {m}NNN"),
                  ("dose above had 2 or more DLTs; this dose refilled to 6 with 2 or more of 6", f"{down} {m}NTT")]
    return cases


def _a_plus_b_cases(design, m: int, top: int, D: int) -> list[tuple[str, str]]:
    """The situations of an A+B design (Lin & Shih's A, B, C, D, E) as outcome strings."""
    a, b, c, dd, e = design.a, design.b, design.c, design.d, design.e
    ab = a + b

    def coh(dose: int, k: int, size: int) -> str:  # a cohort of ``size`` with ``k`` DLTs
        return f"{dose}" + "N" * (size - k) + "T" * k

    ok = coh(0, c - 1, a)[1:]  # an acceptable first cohort (c - 1 DLTs)
    pre = " ".join(f"{k}{ok}" for k in range(1, m))
    cases = [(f"{c - 1} of {a} DLTs", f"{pre} {coh(m, c - 1, a)}")]
    if dd >= c:  # an inconclusive first cohort: b more
        more_ok = max(0, min(b, e - c))  # DLTs among the b that keep the total at e or less
        cases += [(f"{c} of {a}", f"{pre} {coh(m, c, a)}"),
                  (f"{c} of {a}, then {more_ok} of {b} ({c + more_ok} of {ab})",
                   f"{pre} {coh(m, c, a)} {coh(m, more_ok, b)}")]
        if e - c + 1 <= b:
            cases.append((f"{c} of {a}, then {e - c + 1} of {b} ({e + 1} of {ab})",
                          f"{pre} {coh(m, c, a)} {coh(m, e - c + 1, b)}"))
    cases.append((f"{dd + 1} of {a}", f"{pre} {coh(m, dd + 1, a)}"))
    if m > 1:
        cases.append((f"{dd + 1} of {a} at the lowest dose", coh(1, dd + 1, a)))
    if top > m:
        cases.append((f"{c - 1} of {a} at the highest dose", " ".join(coh(k, c - 1, a) for k in range(1, top + 1))))
    if design.deescalate and m + 1 <= D:
        down = " ".join(coh(k, c - 1, a) for k in range(1, m + 1)) + " " + coh(m + 1, dd + 1, a)
        cases += [(f"dose above exceeded the MTD; this dose refilled to {ab} with at most {e} of {ab}",
                   f"{down} {coh(m, min(b, max(0, e - c + 1)), b)}"),
                  (f"dose above exceeded the MTD; this dose refilled to {ab} with more than {e} of {ab}",
                   f"{down} {coh(m, min(b, e - c + 2), b)}")]
    return [(sit, out.strip()) for sit, out in cases]


def _boin_like(design):
    """The BOIN whose (n, y) table a BOIN or TITE-BOIN design applies."""
    from .designs import BOIN, TITEBOIN

    if isinstance(design, BOIN):
        return design
    if isinstance(design, TITEBOIN):
        return design._boin()
    return None


def decision_table(design, n_doses: int, max_columns: int = 20) -> tuple[list[str], list[list[str]], str, str] | None:
    """(header, rows, caption, notes) of the design's decision table, or None (model-based designs).

    BOIN and TITE-BOIN: the boundary table in numbers of DLTs (R get.boundary's form), read off
    the design's own decision table. mTPI, mTPI-2, Keyboard, i3+3: the decision at each (n, y).
    3+3: its rules on example outcome strings. Composable rules do not change these tables; they
    act on top (see the design's description).
    """
    from .designs import ThreePlusThree
    from .designs.interval import _IntervalDesign
    from .designs.modifiers import Modified

    base = design.base if isinstance(design, Modified) else design
    extra = " The additional rules of the design's description act on top of this table." \
        if isinstance(design, Modified) else ""
    if isinstance(base, ThreePlusThree):
        header, rows, note = _three_plus_three_table(base, n_doses)
        return header, rows, f"{base.label()}: decision rules", note + extra
    boin = _boin_like(base)
    cap = getattr(design, "max_n", None)  # a stop_at_n rule may lower the design's own maximum
    if boin is not None:
        tab = boin.decision_table()
        top = min(boin.max_n, cap or boin.max_n)
        ns = [n for n in range(1, top + 1) if n % boin.cohort_size == 0][:max_columns]
        ns = ns or [top]  # a cap below one cohort: the one (truncated) cohort
        esc, de_, el = [], [], []
        for n in ns:
            row = tab[n]
            e = [y for y, c in enumerate(row) if c == "E"]
            d = [y for y, c in enumerate(row) if c in ("D", "DU")]
            u = [y for y, c in enumerate(row) if c == "DU"]
            esc.append(str(max(e)) if e else "NA")
            de_.append(str(min(d)) if d else "NA")
            el.append(str(min(u)) if u else "NA")
        rows = [["Escalate if # of DLTs <=", *esc], ["De-escalate if # of DLTs >=", *de_],
                ["Eliminate if # of DLTs >=", *el]]
        if boin.extrasafe:
            b = boin.boundaries()
            rows.append(["Stop (lowest dose) if # of DLTs >=",
                         *[("NA" if b.stop_if_ge[n - 1] < 0 else str(b.stop_if_ge[n - 1])) for n in ns]])
        lam_e, lam_d = boin.lambdas
        caption = (f"{base.label()}: boundaries in numbers of DLTs at the current dose (lambda_e = {lam_e:.3f}, "
                   f"lambda_d = {lam_d:.3f})")
        note = ("Otherwise stay. NA: no number of DLTs triggers the action at that n. Read off the design's decision "
                "table (what the simulation applies).")
        if len(ns) < top // boin.cohort_size:
            note += f" Shown for the first {len(ns)} multiples of the cohort size."
        if base is not boin:
            note += (" TITE-BOIN applies this table when no patient at the current dose is pending; with pending "
                     "patients see the accrual-suspension and estimation rules of its description.")
        return ["Patients treated at the current dose", *map(str, ns)], rows, caption, note + extra
    if isinstance(base, _IntervalDesign):
        tab = base.decision_table()
        top = min(base.max_n, cap or base.max_n)
        ns = [n for n in range(1, top + 1) if n % base.cohort_size == 0][:max_columns]
        ns = ns or [top]
        rows = []
        for y in range(ns[-1] + 1):
            cells = [tab[n][y] if y <= n else "" for n in ns]
            rows.append([str(y), *cells])
            if y > 0 and all(c in ("DU", "") for c in cells) and all(
                    all(tab[n][yy] == "DU" for yy in range(y, n + 1)) for n in ns if n >= y):
                break
        caption = f"{base.label()}: decision at the current dose after n patients with y DLTs"
        note = ("E escalate, S stay, D de-escalate, DU de-escalate and exclude this dose and all higher doses; blank: "
                "y > n.")
        if len(rows) < ns[-1] + 1:
            note += f" For {len(rows)} or more DLTs every decision shown is DU."
        if len(ns) < top // base.cohort_size:
            note += f" Shown for the first {len(ns)} multiples of the cohort size."
        return ["y \\ n", *map(str, ns)], rows, caption, note + extra
    return None


def pathway_table(design, n_doses: int, cohorts: int | None = None) -> tuple[list[str], list[list[str]], int, int]:
    """The dose-transition pathways of the first cohorts, one row per path and one column per
    cohort (:func:`doseesc.dose_paths`). Returns (header, rows, cohorts, number of paths)."""
    from .paths import dose_paths

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if cohorts is None:  # about 10-400 rows: a phase I/II cohort of 3 has 20 outcomes, a DLT-only one 4
            first = dose_paths(design, 1, n_doses=n_doses)[0]
            if getattr(design, "uses_efficacy", False):
                cohorts = 2 if first.cohort_size <= 1 else 1
            else:
                cohorts = 3 if first.cohort_size <= 2 else 2
        nodes = dose_paths(design, cohorts, n_doses=n_doses)
    by_outcomes = {n.outcomes: n for n in nodes}
    leaves = [n for n in nodes if n.depth == cohorts or (n.stop and n.depth > 0)]
    root = nodes[0]
    rows = []
    for leaf in leaves:
        steps = leaf.outcomes.split()
        row = [f"dose {root.dose} ({plural_patients(root.cohort_size)})" if not root.stop else "stop"]
        for j in range(cohorts):
            if j < len(steps):
                node = by_outcomes[" ".join(steps[: j + 1])]
                m = re.match(r"([0-9]+)([NTEB]+)$", steps[j])  # E/B: phase I/II outcomes
                if node.stop:
                    nxt = f"stop, {'select ' + str(node.selected) if node.selected is not None else 'none'}"
                elif node.dose is None:
                    nxt = "suspend"
                else:
                    nxt = str(node.dose)
                row.append(f"{m.group(1)} {m.group(2)} → {nxt}")
            else:
                row.append("")
        rows.append(row)
    header = ["start", *[f"cohort {j + 1}" for j in range(cohorts)]]
    return header, rows, cohorts, len(leaves)


def _results_grid(spec, results) -> tuple[list[list[Any]], Any]:
    from .results import Comparison

    if isinstance(results, Comparison):
        return results.oc, results
    grid = [list(r) for r in results]
    if len(grid) != len(spec.designs) or any(len(r) != len(spec.scenarios) for r in grid):
        raise ValueError(f"results: expected one row per design ({len(spec.designs)}) with one result per "
                         f"scenario ({len(spec.scenarios)})")
    return grid, None


def _has_eff(oc) -> bool:
    """Whether a result carries the phase I/II (efficacy) measures: its scenario has ``p_eff``."""
    return oc.records.n_eff is not None


def _utility_digits(sc) -> int:
    """Decimals of true utilities: 2 on BOIN12's 0-100 scale, 4 on a utility table within -10..10."""
    return 2 if max(abs(float(u)) for u in sc.utility_table) >= 10 else 4


def _utility_text(sc) -> str:
    from .scenario import JOINT_ORDER

    text = ", ".join(f"{k} {u:g}" for k, u in zip(JOINT_ORDER, sc.utility_table))
    return text + (" (BOIN12's default)" if sc.utility is None else "")


def scenario_table(scenarios) -> tuple[list[str], list[list[str]], list[tuple[str, int]], str, str]:
    """The scenarios table: (header, rows, groups, caption, notes). Per dose the true P(DLT) and
    the true MTD; with efficacy (a scenario with ``p_eff``) also per dose the true P(response),
    P(both) where a scenario gives it or an association model sets it, the true utility (the
    true OBD marked), the true OBD, the association and the utility table."""
    D = scenarios[0].n_doses
    labels, unit = _dose_header(scenarios[0])
    same = all(sc.dose_labels() == labels for sc in scenarios)
    timed = any(sc.time is not None for sc in scenarios)
    effs = [sc for sc in scenarios if sc.has_efficacy]
    dl = labels if same else [str(k + 1) for k in range(D)]
    at = f"at dose{unit if same else ' level'}"
    if not effs:
        header = ["scenario", "name", "target", *dl, "true MTD"]
        if timed:
            header.append("time model")
        rows = []
        for j, sc in enumerate(scenarios):
            mtd = ", ".join(sc.dose_labels()[k - 1] for k in sc.correct_doses) or "none (no dose acceptable)"
            row = [f"S{j + 1}", sc.label(), f"{sc.target:g}", *[f"{p:g}" for p in sc.p_tox], mtd]
            if timed:
                row.append("none" if sc.time is None else _time_text(sc.time))
            rows.append(row)
        groups = [("", 3), (f"true P(DLT) {at}", D), ("", 1 + timed)]
        return (header, rows, groups, "Scenarios: true DLT probability per dose",
                "True MTD: the dose(s) counted as a correct selection (closest to the target, or inside the scenario's "
                "MTD band).")
    both = any(sc.p_both is not None or sc.association != "independent" for sc in effs)
    header = ["scenario", "name", "target", *dl, "true MTD", *dl, *(dl if both else []), *dl, "true OBD",
              "association", "utility table (E no T, neither, both, T no E)"]
    if timed:
        header.append("time model")
    groups = [("", 3), (f"true P(DLT) {at}", D), ("", 1), (f"true P(response) {at}", D),
              *([(f"true P(response and DLT) {at}", D)] if both else []), (f"true utility {at}", D),
              ("", 3 + timed)]
    rows = []
    for j, sc in enumerate(scenarios):
        mtd = ", ".join(sc.dose_labels()[k - 1] for k in sc.correct_doses) or "none (no dose acceptable)"
        row = [f"S{j + 1}", sc.label(), f"{sc.target:g}", *[f"{p:g}" for p in sc.p_tox], mtd]
        if sc.has_efficacy:
            obd = set(sc.obd_doses.tolist())
            dec = _utility_digits(sc)
            row += [f"{p:g}" for p in sc.p_eff]
            if both:
                row += [f"{p:g}" if sc.p_both is not None else f"{p:.3f}" for p in sc.p_both_array]
            row += [f"{u:.{dec}f}" + (_OBD_MARK if k + 1 in obd else "") for k, u in enumerate(sc.true_utility)]
            row += [", ".join(sc.dose_labels()[k - 1] for k in sorted(obd)) or "none (no dose acceptable)",
                    association_text(sc), _utility_text(sc)]
        else:
            row += [""] * (D * (2 + both)) + ["n/a (no efficacy)", "", ""]
        if timed:
            row.append("none" if sc.time is None else _time_text(sc.time, sc.has_efficacy))
        rows.append(row)
    notes = ("True MTD: the dose(s) counted as a correct selection (closest to the target, or inside the scenario's "
             "MTD band). True utility: the utility table weighted by the true probabilities of the four outcomes "
             f"(response without DLT, neither, both, DLT without response); {_OBD_MARK} marks the true OBD.")
    given = [f"S{j + 1}" for j, sc in enumerate(scenarios) if sc.has_efficacy and sc.obd is not None]
    mins = [f"S{j + 1} also P(response) >= {sc.eff_min:g}" for j, sc in enumerate(scenarios)
            if sc.has_efficacy and sc.obd is None and sc.eff_min is not None]
    notes += (" True OBD: the dose(s) with the highest true utility among the acceptable doses (true P(DLT) <= "
              "target" + ("; " + "; ".join(mins) if mins else "") + ")"
              + (f"; in {', '.join(given)} the OBD the scenario states" if given else "") + ".")
    if both:
        notes += (" P(response and DLT): the true probability that a patient has both, from the association model or "
                  "as the scenario gives it.")
    for j, sc in enumerate(scenarios):
        text = mtd_above_target_text(sc)
        if text:
            notes += f" S{j + 1}: {text[0].upper()}{text[1:]}."
    if len(effs) < len(scenarios):
        notes += " Scenarios without efficacy (no p_eff) leave the efficacy columns empty."
    return header, rows, groups, "Scenarios: true DLT and response probabilities and true utility per dose", notes


def report_labels(designs) -> list[str]:
    """Each design's label in a report's tables: ``design.label()``, and where two designs share a
    label, each with the options that tell them apart (those changed from the defaults, and those
    without a default), e.g. 'BOIN (target 0.3) [cohort_size = 1, max_n = 12, extrasafe = True]'."""
    from .results import _changed_options

    labels = [d.label() for d in designs]
    out = []
    for d, lab in zip(designs, labels):
        if labels.count(lab) > 1:
            opts = ", ".join(x for x in (_changed_options(d, required=True), _changed_options(d)) if x)
            lab = f"{lab} [{opts or 'as the other'}]"
        out.append(lab)
    return out


def _coinciding(grid) -> list[list[int]]:
    """Groups (two or more) of designs whose results are the same in every scenario: equal per-trial
    records (selection, patients and DLTs per dose, stop reason) in Monte Carlo, equal selection,
    patients and DLTs per dose when exact (to 1e-12)."""

    def same(a, b) -> bool:
        if a.exact != b.exact:
            return False
        if a.exact:
            return all(np.allclose(getattr(a, k), getattr(b, k), rtol=0, atol=1e-12)
                       for k in ("selection", "n_patients", "n_dlt", "no_selection"))
        ra, rb = a.records, b.records
        return len(ra) > 0 and len(ra) == len(rb) and all(
            np.array_equal(np.asarray(getattr(ra, k)), np.asarray(getattr(rb, k)))
            for k in ("selected", "n_patients", "n_dlt", "stop_reason"))

    groups, seen = [], set()
    for i in range(len(grid)):
        if i in seen:
            continue
        g = [i] + [k for k in range(i + 1, len(grid)) if k not in seen
                   and all(same(grid[i][j], grid[k][j]) for j in range(len(grid[i])))]
        if len(g) > 1:
            groups.append(g)
            seen.update(g)
    return groups


def overdose_table(designs, scenarios, grid, names=None) -> tuple[list[str], list[list[str]], str]:
    """Overdosing and early stopping per design and scenario (SPEC section 5): mean patients above
    the true MTD and their share of the trial's patients, the chance that 60% / 80% or more of a
    trial's patients are above the MTD, the chance that the observed DLT rate exceeds the target,
    DLTs per trial and early stops without a selected dose, each with its SE (none when exact)."""
    from .results import _uses_efficacy

    names = names or [d.label() for d in designs]
    mixed = len({oc.exact for row in grid for oc in row}) > 1
    cols = [("n_overdosed", 1, "patients above MTD"), ("overdose_fraction", 100, "% of patients above MTD"),
            ("overdose_60", 100, ">= 60% of patients above MTD, % of trials"),
            ("overdose_80", 100, ">= 80% of patients above MTD, % of trials"),
            ("dlt_rate_above_target", 100, "observed DLT rate > target, % of trials"),
            ("total_dlt", 1, "DLTs per trial"), ("early_stop", 100, "stopped early, no dose selected %")]
    if any(_uses_efficacy(d) for d in designs):
        cols += [("stop_safety", 100, "stopped for safety, % of trials"),
                 ("stop_futility", 100, "stopped for futility, % of trials")]
    header = ["scenario", "design", *(["method"] if mixed else []), *[c[2] for c in cols]]
    rows = []
    for j in range(len(scenarios)):
        for i in range(len(designs)):
            oc = grid[i][j]
            method = "exact" if oc.exact else f"MC, {oc.n_trials:,} trials"
            rows.append([f"S{j + 1}", f"{i + 1}. {names[i]}", *([method] if mixed else []),
                         *[_fmt(getattr(oc, k), oc.se(k), oc.exact, sc) for k, sc, _ in cols]])
    notes = ("Per trial, then averaged over trials: patients treated above the true MTD (the doses above those "
             "marked * in the operating-characteristics table) and their share of the trial's patients; the share of "
             "trials in which 60% / 80% or more of the patients were treated above the MTD; the share of trials whose "
             "observed DLT rate (DLTs / patients) exceeds the target; DLTs; and trials stopped before selecting a "
             "dose: for safety in a toxicity-only design")
    if any(_uses_efficacy(d) for d in designs):
        notes += ("; a phase I/II design stops so when no dose it considers is admissible: for safety when none of "
                  "them passes its toxicity criterion, for futility when one does (its efficacy criterion excluded "
                  "it)")
    return header, rows, notes + ". Monte Carlo values carry their SE in brackets."


def oc_table(designs, scenarios, grid, names=None) -> tuple[list[str], list[list[str]], list[tuple[str, int]], str]:
    """One operating-characteristics table across all scenarios: (header, rows, groups, notes).

    With efficacy (a scenario with ``p_eff``), the phase I/II measures too: the true OBD marked in
    the selection per dose, correct-OBD selection, selection of an over-toxic dose, the true
    utility of the selected dose, mean responses per dose and patients at the OBD and at
    over-toxic doses, each with its SE (none when exact)."""
    D = scenarios[0].n_doses
    names = names or [d.label() for d in designs]
    timed = any(sc.time is not None for sc in scenarios)
    labels, unit = _dose_header(scenarios[0])
    same_doses = all(sc.dose_labels() == labels for sc in scenarios)
    dl = labels if same_doses else [str(k + 1) for k in range(D)]
    methods = {grid[i][j].exact for i in range(len(designs)) for j in range(len(scenarios))}
    mixed = len(methods) > 1
    eff = any(_has_eff(grid[i][j]) for i in range(len(designs)) for j in range(len(scenarios)))
    header = ["scenario", "design", *(["method"] if mixed else []), *dl, "none", "correct %", "above MTD %",
              *(["correct OBD %", "over-toxic %", "utility of selected dose"] if eff else []), *dl, *dl,
              *(dl if eff else []), "mean N", *(["at the OBD", "at over-toxic doses"] if eff else [])]
    groups = [("", 2 + mixed), (f"% of trials selecting the dose{unit if same_doses else ''}", D + 1),
              ("selection", 2), *([("OBD selection", 3)] if eff else []), ("mean patients per dose", D),
              ("mean DLTs per dose", D), *([("mean responses per dose", D)] if eff else []), ("", 1),
              *([("mean patients", 2)] if eff else [])]
    if timed:
        header.append("mean duration")
        groups.append(("", 1))
    rows = []
    for j, sc in enumerate(scenarios):
        correct = set((sc.correct_doses - 1).tolist())
        obd = set((sc.obd_doses - 1).tolist()) if sc.has_efficacy else None
        for i in range(len(designs)):
            oc = grid[i][j]
            ex = oc.exact
            method = "exact" if ex else f"MC, {oc.n_trials:,} trials"
            sel = [_fmt(oc.selection[k], oc.se("selection")[k], ex, 100) + ("*" if k in correct else "")
                   + (_OBD_MARK if obd is not None and k in obd else "") for k in range(D)]
            none = (_fmt(oc.no_selection, oc.se("no_selection"), ex, 100) + ("*" if not correct else "")
                    + (_OBD_MARK if obd is not None and not obd else ""))
            obd_cells, resp, at = [], [], []
            if eff and _has_eff(oc):
                obd_cells = [_fmt(oc.pcs_obd, oc.se("pcs_obd"), ex, 100),
                             _fmt(oc.over_toxic_selection, oc.se("over_toxic_selection"), ex, 100),
                             _fmt(oc.selected_utility, oc.se("selected_utility"), ex,
                                  digits=_utility_digits(oc.scenario))]
                resp = [_fmt(oc.n_eff[k], oc.se("n_eff")[k], ex) for k in range(D)]
                at = [_fmt(oc.n_at_obd, oc.se("n_at_obd"), ex), _fmt(oc.n_over_toxic, oc.se("n_over_toxic"), ex)]
            elif eff:
                obd_cells, resp, at = ["n/a"] * 3, ["n/a"] * D, ["n/a"] * 2
            row = [f"S{j + 1}", f"{i + 1}. {names[i]}", *([method] if mixed else []), *sel, none,
                   _fmt(oc.pcs, oc.se("pcs"), ex, 100), _fmt(oc.over_selection, oc.se("over_selection"), ex, 100),
                   *obd_cells,
                   *[_fmt(oc.n_patients[k], oc.se("n_patients")[k], ex) for k in range(D)],
                   *[_fmt(oc.n_dlt[k], oc.se("n_dlt")[k], ex) for k in range(D)], *resp,
                   _fmt(oc.sample_size, oc.se("sample_size"), ex), *at]
            if timed:
                row.append(_fmt(oc.duration, oc.se("duration"), ex) if "duration" in oc.metrics else "n/a")
            rows.append(row)
    notes = ("Monte Carlo (MC) values carry their standard error in brackets; exact values (every trial path "
             "enumerated) have none. * marks the true MTD (the dose(s) counted as a correct selection; 'none' when no "
             "dose is acceptable). Correct %: probability of correct selection; above MTD %: trials selecting a dose "
             "above the true MTD; mean N: patients per trial.")
    if eff:
        notes += (f" {_OBD_MARK} marks the true OBD (the dose(s) with the highest true utility among the acceptable "
                  "doses, see the scenarios table; 'none' when no dose is acceptable). Correct OBD %: trials selecting "
                  "the true OBD (no dose, when no dose is acceptable); over-toxic %: trials selecting a dose whose "
                  "true P(DLT) exceeds the target; utility of selected dose: mean true utility of the selected dose "
                  "(a trial selecting no dose scores the utility table's minimum); mean responses per dose: "
                  "efficacy responses; mean patients at the OBD and at over-toxic doses: per trial.")
        if any(not sc.has_efficacy for sc in scenarios):
            notes += " n/a: a scenario without efficacy (no p_eff)."
    if timed:
        tm = [sc.time for sc in scenarios if sc.time is not None][0]
        notes += (f" Mean duration in the time unit of the DLT window (W = {tm.window:g}), from the trial's opening "
                  "to its last decision; n/a for exact results.")
    if not same_doses:
        notes += " Dose columns are dose levels (the scenarios label their doses differently)."
    return header, rows, groups, notes


_DIFF_METRICS = [("pcs", "correct selection (% points)", 100), ("no_selection", "no selection (% points)", 100),
                 ("over_selection", "selection above MTD (% points)", 100), ("sample_size", "mean N", 1),
                 ("n_overdosed", "patients above MTD", 1), ("total_dlt", "DLTs per trial", 1)]
#: the phase I/II differences (``results.EFFICACY_DIFFS``), added when a scenario has efficacy
_EFF_DIFF_METRICS = [("pcs_obd", "correct OBD selection (% points)", 100),
                     ("over_toxic_selection", "over-toxic selection (% points)", 100),
                     ("selected_utility", "utility of selected dose", 1), ("n_at_obd", "patients at the OBD", 1),
                     ("total_eff", "responses per trial", 1)]


def difference_table(designs, scenarios, grid, cmp, names=None) -> tuple[list[str], list[list[str]], str]:
    """Each design minus the first, per scenario: paired (common random numbers) with SEs, or exact;
    with efficacy also the phase I/II measures (:data:`_EFF_DIFF_METRICS`)."""
    names = names or [d.label() for d in designs]
    eff = any(_has_eff(grid[i][j]) for i in range(len(designs)) for j in range(len(scenarios)))
    timed = [[("duration" in grid[i][j].metrics) for j in range(len(scenarios))] for i in range(len(designs))]
    metrics = (_DIFF_METRICS + (_EFF_DIFF_METRICS if eff else [])
               + ([("duration", "duration (time unit of the window)", 1)] if any(map(any, timed)) else []))
    eff_keys = {m[0] for m in _EFF_DIFF_METRICS}
    header = ["scenario", "design", *[m[1] for m in metrics]]
    rows = []
    exact_any = False
    for j in range(len(scenarios)):
        for i in range(1, len(designs)):
            cells = []
            a, b = grid[i][j], grid[0][j]
            for key, _, scale in metrics:
                if (key in eff_keys and not (_has_eff(a) and _has_eff(b))) or (
                        key == "duration" and not (timed[i][j] and timed[0][j])):
                    cells.append("n/a")
                elif a.exact or b.exact or cmp is None:
                    exact_any = True
                    dec = _utility_digits(scenarios[j]) if key == "selected_utility" else 2
                    cells.append(f"{scale * (float(getattr(a, key)) - float(getattr(b, key))):+.{dec}f}")
                else:
                    dm, ds = cmp.difference(key, i, 0, j)
                    cells.append(_signed(scale * float(dm), scale * float(ds)))
            rows.append([f"S{j + 1}", f"{i + 1}. {names[i]}", *cells])
    notes = f"Difference = design minus design 1 ({names[0]}) in the same scenario."
    if exact_any:
        notes += " Exact results: exact differences, no Monte Carlo error."
    else:
        notes += (" Every design was simulated on the same patients (common random numbers), so the standard error "
                  "in brackets is that of the paired differences, trial by trial (Comparison.difference).")
    if eff:
        notes += (" Phase I/II measures as in the operating-characteristics table: correct OBD selection and "
                  "over-toxic selection in percentage points, the true utility of the selected dose on the scale "
                  "of the scenario's utility table, patients at the OBD and efficacy responses per trial.")
        if any(not sc.has_efficacy for sc in scenarios):
            notes += " n/a: a scenario without efficacy (no p_eff)."
    return header, rows, notes


def _signed(m: float, s: float) -> str:
    from .results import _fmt as fmt_se

    text = fmt_se(m, s, False)
    return text if text.startswith("-") else "+" + text


# ---------------------------------------------------------------------------- a design's section
def design_protocol(design, scenario):
    """The design's protocol wording, as ``design.describe()`` and ``design.spec_rows()`` state it
    (``design._protocol(scenario)``): the report adds nothing to it. Composable rules (a
    :class:`~doseesc.designs.Modified`) are worded with the design, so its safety stops are stated
    once: one "Safety stop" row, the Safety section and the stopping rules stating the added ones."""
    return design._protocol(scenario)


def level_note(labels: Sequence[str] | None, unit: str = "") -> str:
    """' Dose levels 1, 2 are 2, 3 x10^6 cells/kg.': how the dose levels of decision and pathway
    tables map to the doses the other tables label them by; '' when the doses are the levels."""
    if not labels or list(labels) == [str(k + 1) for k in range(len(labels))]:
        return ""
    levels = ", ".join(str(k + 1) for k in range(len(labels)))
    return f" Dose levels {levels} are the doses {', '.join(labels)}{(' ' + unit) if unit else ''}, in that order."


def _design_section(r: Report, d, proto, n_doses: int, path_cohorts: int | None, who: str, spec_caption: str,
                    decision_prefix: str = "", same_paths_as: str | None = None, levels: str = "") -> None:
    """A design's part of a report: its protocol wording (``proto``, from :func:`design_protocol`),
    its specification table, its decision table where it has one and its dose-transition
    pathways for the first cohorts where its decisions are those of N/T outcome strings.
    ``who`` names the design in the pathway caption ("design 2"); ``same_paths_as`` names the
    design whose pathway table this one's equals (designs that take the same decisions);
    ``levels`` (:func:`level_note`) maps the dose levels these tables name to the doses."""
    from .designs import Backfill, QuasiCRM, gBOIN

    D = n_doses
    for head, body in proto.sections:
        r.paragraph(body, lead=head)
    r.table(["parameter", "value"], proto.rows, caption=spec_caption)
    backfilled = isinstance(d, Backfill)
    no_paths = backfilled or isinstance(d, (gBOIN, QuasiCRM))  # decisions not from N/T outcome strings
    dt = decision_table(d.base if backfilled else d, D)
    if dt is None:
        from .designs import CRM, TITECRM
        from .designs.modifiers import Modified

        base = d.base if isinstance(d, (Modified, Backfill)) else d
        after = "" if no_paths else " The pathway table below shows them for the first cohorts."
        if isinstance(base, (CRM, TITECRM)):
            text = ("A model-based design has no fixed decision table: its decisions depend on every dose's data "
                    f"through the model.{after}")
        else:
            text = f"This report does not tabulate decisions for this design.{after}"
        r.paragraph(text, lead="Decision table")
    else:
        header, rows, caption, notes = dt
        if backfilled:
            notes += (" With backfill, the counts are those of every patient treated at the dose whose outcome is "
                      "known at the decision (escalation and backfill), and the backfill rules above act on top.")
        r.table(header, rows, caption=decision_prefix + caption,
                notes=notes + (levels if re.search(r"dose [0-9]", " ".join(map(str, rows))) else ""))
    if no_paths:
        why = ("its decisions depend on when each patient's outcome becomes known (backfill)" if backfilled else
               "its decisions depend on each patient's adverse-event grade, not on DLT/no-DLT outcomes")
        r.paragraph(f"Not tabulated for this design: {why}.", lead="Dose-transition pathways")
        return
    if same_paths_as is not None:
        r.paragraph(f"The same as those of {same_paths_as}: the two designs take the same decisions.",
                    lead="Dose-transition pathways")
        return
    header, rows, k, n_paths = pathway_table(d, D, path_cohorts)
    eff = getattr(d, "uses_efficacy", False)
    letters = ("E response without DLT, N neither, B both, T DLT without response" if eff else
               "N no DLT, T DLT; only the number of DLTs matters")
    note = (f"Each cell: the cohort's dose level and outcomes ({letters}), then the next dose level or the stop "
            "and the selected dose level. Paths that stop early leave the later cells empty." + levels)
    if getattr(d, "time_to_event", False):
        note += (" This design decides from partial follow-up; the pathways assume each cohort's "
                 f"{'DLT and efficacy windows are' if eff else 'DLT window is'} complete before the next decision.")
    r.table(header, rows, caption=f"Dose-transition pathways of {who} for the first {k} cohort"
            f"{'s' if k != 1 else ''} ({n_paths} paths, {D} dose levels)", notes=note)


def run_report(spec, results, *, title: str | None = None, path_cohorts: int | None = None,
               figure: bool = True) -> Report:
    """The protocol report of a run file.

    Parameters
    ----------
    spec : doseesc.config.RunSpec
        The run (``doseesc.config.load(path)``).
    results : Comparison or list of lists of OperatingCharacteristics
        What ``doseesc run`` computes for it: ``doseesc.compare(spec.designs, spec.scenarios, ...)``
        in simulate mode, or ``[[doseesc.exact(d, s) for s in spec.scenarios] for d in spec.designs]``
        in exact mode.
    title : str, optional
        Default: "Dose-escalation design report" and the run file's name.
    path_cohorts : int, optional
        Cohorts in the pathway tables (1 to 3; default 3 for cohorts of 1-2 patients, else 2; for a
        phase I/II design, whose cohort of 3 has 20 outcomes, 2 for cohorts of 1, else 1).
    figure : bool
        Include the comparison figure (needs matplotlib; without it the report says so).

    Returns
    -------
    Report

    Examples
    --------
    >>> import doseesc as de
    >>> from doseesc import config
    >>> spec = config.parse('''
    ... mode = "exact"
    ... [[designs]]
    ... design = "3+3"
    ... [[scenarios]]
    ... p_tox = [0.05, 0.15, 0.3]
    ... target = 0.3
    ... ''', source="run.toml")
    >>> results = [[de.exact(d, s) for s in spec.scenarios] for d in spec.designs]
    >>> html = de.run_report(spec, results, figure=False).to_html()
    >>> "Operating characteristics" in html and "exact" in html
    True
    """
    from . import __version__

    grid, cmp = _results_grid(spec, results)
    designs, scenarios = list(spec.designs), list(spec.scenarios)
    names = report_labels(designs)
    if path_cohorts is not None:
        path_cohorts = v.integer("path_cohorts", path_cohorts, low=1, high=3)
    D = scenarios[0].n_doses
    first = grid[0][0]
    exact = all(oc.exact for row in grid for oc in row)
    source = spec.source or "run file"
    r = Report(title or f"Dose-escalation design report: {source}")
    if exact:
        how = "exactly, by enumerating every trial path (no Monte Carlo error)"
    else:
        how = (f"from {first.n_trials:,} simulated trials per design and scenario (seed {first.seed}); every design "
               "saw the same simulated patients (common random numbers), and every Monte Carlo value carries its "
               "standard error. A scenario's simulated patients depend on the seed and on the scenario's position in "
               "the run file (S1 first): run this file to reproduce them, since a scenario run on its own, as the "
               "first, gets other patients (and numbers within Monte Carlo error)")
    r.paragraph(f"{len(designs)} design{'s' if len(designs) != 1 else ''} under {len(scenarios)} scenario"
                f"{'s' if len(scenarios) != 1 else ''} of {D} dose levels; operating characteristics computed {how}. "
                f"Generated by doseesc {__version__} from {source}; the resolved run is at the end.")

    # scenarios
    r.heading("Scenarios")
    header, rows, groups, caption, notes = scenario_table(scenarios)
    r.table(header, rows, caption=caption, groups=groups, notes=notes)

    # designs
    r.heading("Designs")
    labels, unit = _dose_header(scenarios[0])
    same_doses = all(sc.dose_labels() == labels for sc in scenarios)
    levels = level_note(labels, unit.strip(" ()")) if same_doses else ""
    for i, d in enumerate(designs):
        proto = design_protocol(d, scenarios[0])
        r.heading(f"Design {i + 1}: {proto.title}", 3)
        _design_section(r, d, proto, D, path_cohorts, f"design {i + 1}",
                        spec_caption=f"Specification of design {i + 1} ({names[i]})", levels=levels)
    for group in _coinciding(grid):
        which = " and ".join(f"design {i + 1}" for i in group)
        r.paragraph(f"{which[0].upper()}{which[1:]} have the same operating characteristics in every scenario, "
                    + ("exactly: their decisions coincide on every path these scenarios reach, or differ only where "
                       "no summary shows it" if exact else
                       "trial by trial: on the same simulated patients they selected the same dose and treated the "
                       "same patients at the same doses in every trial")
                    + ". Their rows below are identical for that reason.", lead="Designs that coincide")

    # operating characteristics
    r.heading("Operating characteristics")
    header, rows, groups, notes = oc_table(designs, scenarios, grid, names)
    how = "exact" if exact else (f"Monte Carlo, {first.n_trials:,} simulated trials each, seed {first.seed}"
                                 if all(not oc.exact for row in grid for oc in row) else "exact and Monte Carlo")
    r.table(header, rows, caption=f"Operating characteristics of every design under every scenario ({how})",
            groups=groups, notes=notes)
    header, rows, notes = overdose_table(designs, scenarios, grid, names)
    r.table(header, rows, caption=f"Overdosing, toxicity and early stopping ({how})", notes=notes)

    if len(designs) > 1:
        r.heading(f"Paired comparison with design 1 ({names[0]})")
        header, rows, notes = difference_table(designs, scenarios, grid, cmp, names)
        r.table(header, rows, caption=f"Differences from design 1 ({names[0]})", notes=notes)

    bench = getattr(cmp, "benchmark", None) if cmp is not None else None
    if bench:
        r.heading("Upper reference: the complete-information benchmark")
        from .results import _benchmark_caveat, _exceeds

        rows, caveats = [], []
        for j in range(len(scenarios)):
            for n, b in bench[j].items():
                cells, above = [], []
                for i in range(len(designs)):
                    if cmp.benchmark_for(i, j) is b:
                        dm, ds = b.difference(cmp.oc[i][j], "pcs")
                        cells.append(f"{100 * dm:+.1f} ({100 * ds:.1f})")
                        if _exceeds(dm, ds):
                            above.append(f"design {i + 1}")
                    else:
                        cells.append("")
                rows.append([f"S{j + 1}", str(n), f"{100 * b.pcs:.1f} ({100 * b.se('pcs'):.1f})", *cells])
                if above:
                    caveats.append(f"S{j + 1}: " + _benchmark_caveat(above, b, scenarios[j]).removeprefix("note: "))
        r.table(["scenario", "patients", "benchmark PCS %", *[f"design {i + 1} minus it" for i in range(len(designs))]],
                rows, caption="The complete-information benchmark (O'Quigley, Paoletti & Maccario 2002) on the same "
                              "simulated patients: the dose closest to the target if every patient's outcome were "
                              "known at every dose; each design's PCS minus the benchmark's, in percentage points",
                notes="Monte Carlo SE in brackets (paired differences). The benchmark is an upper reference, not "
                      "a bound in every scenario (see help(doseesc.optimal_benchmark))." + "".join(" " + c
                                                                                               for c in caveats)
                      + (" It selects the MTD, not the OBD: it is no reference for correct OBD selection."
                         if any(sc.has_efficacy for sc in scenarios) else ""))

    r.heading("Figure")
    if figure:
        try:
            from . import plot

            fig = plot.run_figure(designs, scenarios, grid)
        except ValueError as exc:  # matplotlib missing
            r.paragraph(f"No figure: {exc}.")
        else:
            eff = any(getattr(sc, "has_efficacy", False) for sc in scenarios)
            r.figure(fig, "Per scenario (rows): the true DLT curve and target"
                          + (" (with efficacy: the true response curve, the true utility per dose in the row's title, "
                             "and the true OBD hatched in every panel; the true MTD is shaded)" if eff else "")
                          + ", the percentage of trials selecting each dose and the mean patients per dose, for every "
                            "design; the same scales in every row"
                          + ("." if exact else "; error bars are 95% Monte Carlo confidence intervals."))
    else:
        r.paragraph("Figure not requested.")

    r.heading("Resolved run")
    r.paragraph("The run exactly as executed (designs with every parameter, scenarios, seed, software versions):")
    r.preformatted(_compact_json(spec.resolved()))
    return r


# ---------------------------------------------------------------------------- the what-if report
def whatif_report(res, *, path_cohorts: int | None = None) -> Report:
    """The report of ``doseesc.whatif(...)`` (``doseesc whatif --report FILE``), built like the
    run report: settings and versions; per trial its facts, every design as a protocol states it
    (:func:`design_protocol`: wording, specification table) with what was assumed, its decision
    table where it has one and its dose-transition pathways for the first cohorts, the coinciding
    designs, one operating-characteristics table per scenario (selection per dose, per-trial
    summaries, mean patients and DLTs per dose), the paired differences, the conclusion and the
    figure; then the phase I/II and graded parts, the summary figure, the evidence priors and the
    resolved run.

    Parameters
    ----------
    res : doseesc._whatif.WhatIfResult
    path_cohorts : int, optional
        Cohorts in the pathway tables (1 to 3; default 3 for cohorts of 1-2 patients, else 2; for a
        phase I/II design, whose cohort of 3 has 20 outcomes, 2 for cohorts of 1, else 1).

    Returns
    -------
    Report

    Notes
    -----
    Per-dose patients and DLTs come from the exact results of the fixed scenarios
    (``res.objects[trial]["results"]``) and, for the prior-predictive scenario, from the
    Comparison of that run when ``res.objects[trial]["comparison"]`` holds it; without it that
    table says the per-dose values were not kept.
    """
    from . import _whatif as wi
    from . import plot

    if path_cohorts is not None:
        path_cohorts = v.integer("path_cohorts", path_cohorts, low=1, high=3)
    s = res.settings
    ver = res.meta.get("versions", {})
    r = Report("What if the MSC lupus trials had used other designs?")
    r.paragraph(f"Target DLT rate {s['target']:g}; alternatives in cohorts of {s['cohort_size']}; every design "
                "at the same maximum sample size and on the same simulated patients. Fixed scenarios: exact "
                f"operating characteristics. Prior-predictive: {s['n_scenarios']} true curves drawn from the "
                f"evidence prior x {s['n_trials']} trials each, with Monte Carlo SEs in brackets: those of the "
                f"mean over the drawn curves (the SD of the per-curve values over sqrt({s['n_scenarios']})), which "
                "count the curves drawn as well as the trials simulated. "
                f"Seed {s['seed']}; doseesc {ver.get('doseesc', '')}, numpy {ver.get('numpy', '')}, numba "
                f"{ver.get('numba', '')}.",
                lead="What was run")
    for trial in s["trials"]:
        t = wi.TRIALS[trial]
        doses = t["doses"]
        D = len(doses)
        r.heading(f"Trial {trial}: {t['label']}")
        r.paragraph(f"Doses {', '.join(f'{d:g}' for d in doses)} x10^6 cells/kg; {t['treated']}; maximum "
                    f"sample size {s['max_n'][trial]}" + (f" ({s['max_n_notes'][trial]})"
                                                          if trial in s["max_n_notes"] else "") + ".")
        objs = res.objects.get(trial, {})
        scs = objs.get("scenarios") or [None]
        labels = [d["label"] for d in res.designs[trial]]
        groups = res.coincide.get(trial, [])
        hidden = {x: g["designs"][0] for g in groups for x in g["designs"][1:]}
        for k, d in enumerate(res.designs[trial]):
            r.heading(f"Design {k + 1}: {d['label']}", level=3)
            design = objs.get("all_designs", [None] * (k + 1))[k]
            if design is None:
                r.paragraph(d["spec"])
            else:
                same = hidden.get(d["label"])  # identical decisions: its pathways are those of the design shown
                _design_section(r, design, design_protocol(design, scs[0]), D, path_cohorts,
                                f"trial {trial}, design {k + 1}",
                                spec_caption=f"Trial {trial}, design {k + 1} ({d['label']}): specification",
                                decision_prefix=f"Trial {trial}, design {k + 1}: ",
                                same_paths_as=None if same is None else f"design {labels.index(same) + 1} ({same})",
                                levels=level_note([f"{x:g}" for x in doses], "x10^6 cells/kg"))
            for a in d["assumptions"]:
                r.paragraph(a, lead="Assumed")
        for g in groups:
            r.paragraph(f"{' = '.join(g['designs'])}: {g['why']}; shown once, as {g['designs'][0]}.",
                        lead="Designs that coincide")
        shown = [lab for lab in labels if lab not in hidden]
        fc = res.first_cohort.get(trial, [])
        if fc:
            n_max = max(e["cohort_size"] for e in fc)
            r.table(["design", "start dose", *[f"{k} DLT{'s' if k != 1 else ''}" for k in range(n_max + 1)]],
                    [[e["design"], f"{doses[e['start_dose'] - 1]:g}",
                      *[("stop" if a["stop"] else f"{doses[a['next_dose'] - 1]:g}") for a in e["after"]],
                      *[None] * (n_max - e["cohort_size"])] for e in fc],
                    caption=f"Trial {trial}: each design's next dose after its first cohort at its start dose, "
                            "by the number of DLTs in it (x10^6 cells/kg; the design's own rule)",
                    notes=wi._first_cohort_flag(fc, doses))
        _whatif_oc_tables(r, res, trial, shown, labels, objs)
        diffs = [d for d in res.differences if d["trial"] == trial and d["design"] in shown]
        if diffs:
            r.table(["design", *[text for _, text, _, _ in wi.DIFFS]],
                    [[d["design"], *[wi._signed_se(sc * d[k], sc * d[k + "_se"]) for k, _, sc, _ in wi.DIFFS]]
                     for d in diffs],
                    caption=f"Trial {trial}: paired differences, each design minus {diffs[0]['versus']}, over "
                            "the prior-predictive curves (same simulated patients; SE of the mean over the curves "
                            "in brackets)",
                    notes="PCS and selection above the MTD in percentage points; patients and sample size per "
                          "trial.")
        for k, line in enumerate(res.conclusions[trial]):  # one sentence per paragraph
            r.paragraph(line.strip(), lead=f"Conclusion for trial {trial}" if k == 0 else None)
        if objs.get("scenarios"):
            r.figure(plot.run_figure(objs["designs"], objs["scenarios"], objs["results"]),
                     caption=f"Trial {trial}: the designs shown under the fixed scenarios (exact): the true curve "
                             "and target, % of trials selecting each dose, mean patients per dose")
    if res.phase12 is not None:
        res.phase12.add_to_report(r)
    if res.graded is not None:
        res.graded.add_to_report(r)
    r.heading("Summary figure")
    r.figure(res.figure(), caption="PCS and selection of a dose above the MTD for every design and scenario "
                                   "(exact for the fixed curves; 95% intervals for the prior-predictive curves)")
    r.heading("Evidence priors")
    for key, text in res.priors.items():
        r.paragraph(text, lead=key)
    r.heading("Resolved run")
    r.preformatted(_json.dumps({"settings": s, "versions": ver}, indent=2))
    return r


def _whatif_oc_tables(r: Report, res, trial: str, shown: list[str], labels: list[str], objs: dict) -> None:
    """One operating-characteristics table per scenario of a what-if trial: selection % per dose,
    the per-trial summaries and the mean patients and DLTs per dose of every design shown."""
    from . import _whatif as wi

    doses = wi.TRIALS[trial]["doses"]
    D = len(doses)
    fixed = {sc.name: j for j, sc in enumerate(objs.get("scenarios") or [])}
    cmp = objs.get("comparison")

    def per_dose(row):
        """The row's OperatingCharacteristics (for patients and DLTs per dose), or None."""
        if row.scenario in fixed and row.design in shown and objs.get("results"):
            return objs["results"][shown.index(row.design)][fixed[row.scenario]]
        if cmp is not None and row.design in labels:
            return cmp.oc[labels.index(row.design)][0]
        return None

    dl = [f"{x:g}" for x in doses]
    by_sc: dict[str, list] = {}
    for row in res.rows:
        if row.trial == trial and row.design in shown:
            by_sc.setdefault(row.scenario, []).append(row)
    for name, rows in by_sc.items():
        ex = rows[0].method == "exact"
        ocs = [per_dose(row) for row in rows]
        dosewise = all(oc is not None for oc in ocs)
        header = ["design", *dl, *[h for _, h, _ in wi.METRICS], *((dl + dl) if dosewise else [])]
        groups = [("", 1), ("selection % per dose", D), ("per trial", len(wi.METRICS))]
        if dosewise:
            groups += [("mean patients per dose", D), ("mean DLTs per dose", D)]
        body = []
        for row, oc in zip(rows, ocs):
            cells = [row.design, *[wi._cell(100 * x, 100 * e, ex) for x, e in zip(row.selection, row.selection_se)],
                     *[wi._cell(sc * row.values[k], sc * row.ses[k], ex) for k, _, sc in wi.METRICS]]
            if dosewise:
                for key in ("n_patients", "n_dlt"):
                    se = oc.se(key)
                    cells += [wi._cell(float(getattr(oc, key)[j]), float(se[j]), ex) for j in range(D)]
            body.append(cells)
        truth = (" (true P(DLT) " + ", ".join(f"{p:.3f}" for p in rows[0].true_p) + ")") if rows[0].true_p else ""
        notes = ("Selection % per dose (x10^6 cells/kg) and none, PCS %, % selecting a dose above the MTD, mean N, "
                 "mean patients above the MTD, mean DLTs")
        notes += (", then the mean patients and the mean DLTs at each dose (x10^6 cells/kg) per trial." if dosewise
                  else ". Per-dose patients and DLTs: not kept for this scenario by this what-if run.")
        r.table(header, body, caption=f"Trial {trial}, scenario '{name}'{truth}: {rows[0].method}", notes=notes,
                groups=groups)


def _compact_json(obj) -> str:
    """Indented JSON with every list of numbers, strings or nulls on one line."""
    text = _json.dumps(obj, indent=2)
    return re.sub(r"\[\s*\n\s*((?:[-0-9.eE+]+|null|true|false|\"[^\"\n]*\")(?:,\s*\n\s*(?:[-0-9.eE+]+|null|true|false|"
                  r"\"[^\"\n]*\"))*)\s*\n\s*\]", lambda m: "[" + re.sub(r",\s*\n\s*", ", ", m.group(1)) + "]", text)


def _time_text(tm, efficacy: bool = False) -> str:
    """The time model in words; with ``efficacy`` (a scenario with p_eff) also its efficacy window
    (the DLT window unless ``eff_window`` sets it) and the onset of responses."""
    text = f"window {tm.window:g}, {tm.accrual} accrual at {tm.rate:.4g} per time unit, {tm.onset} onset"
    if tm.dropout:
        text += f", drop-out hazard {tm.dropout:g}"
    if efficacy:
        text += (f"; efficacy window {tm.efficacy_window:g}" + (" (the DLT window)" if tm.eff_window is None else "")
                 + f", {tm.eff_onset} response onset")
        if tm.eff_onset == "weibull":
            text += f" (shape {tm.eff_shape:g})"
        elif tm.eff_onset == "late":
            text += f" ({tm.eff_late_share:g} of responses in the last {tm.eff_late_part:g} of the window)"
    return text
