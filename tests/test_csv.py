"""Every command's ``--format csv`` is plain CSV: one header row, then rows of the same width; empty
cells for missing values (never -1 or nan), no title or comment lines. Parsed with the csv module and,
when it is installed, pandas."""

import csv
import io

import pytest

from doseesc.cli import main

TRUTH = ["--truth", "0.05,0.1,0.25,0.4", "--target", "0.25"]
RUN = """n_trials = 200
[[designs]]
design = "3+3"
[[designs]]
design = "boin"
target = 0.25
cohort_size = 3
max_n = 12
[[scenarios]]
p_tox = [0.05, 0.10, 0.25, 0.40]
target = 0.25
"""

COMMANDS = {
    "simulate": ["simulate", "--design", "boin", "--cohort-size", "3", "--max-n", "12", *TRUTH, "--n-trials", "300"],
    "simulate-one-trial": ["simulate", "--design", "3+3", *TRUTH, "--n-trials", "1"],  # SEs do not exist
    "exact": ["exact", "--design", "3+3", *TRUTH],
    "compare": ["compare", "--designs", "3+3,boin", "--cohort-size", "3", "--max-n", "12", *TRUTH, "--n-trials",
                "300"],
    "next": ["next", "--design", "boin", "--target", "0.25", "--cohort-size", "3", "--max-n", "12", "--n-doses", "4",
             "1NNN 2NTT"],
    "next-3+3": ["next", "--design", "3+3", "--n-doses", "3", "1NNN"],
    "paths": ["paths", "--design", "3+3", "--cohorts", "2", *TRUTH],
    "paths-no-truth": ["paths", "--design", "3+3", "--cohorts", "2", "--n-doses", "3"],
    "boundaries-boin": ["boundaries", "--target", "0.25", "--max-n", "12", "--cohort-size", "3"],
    "boundaries-boin-extrasafe": ["boundaries", "--target", "0.25", "--max-n", "12", "--extrasafe"],
    **{f"boundaries-{d}": ["boundaries", "--design", d, "--target", "0.25", "--max-n", "12", "--cohort-size", "3"]
       for d in ("mtpi", "mtpi2", "keyboard", "i3+3")},
    "whatif": ["whatif", "--trial", "A", "--n-scenarios", "3", "--n-trials", "20"],
    "run": ["run", "{RUN}"],
}


def _csv(capsys, argv):
    assert main([*argv, "--format", "csv"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_csv_is_plain(name, capsys, tmp_path):
    argv = COMMANDS[name]
    if "{RUN}" in argv:
        f = tmp_path / "run.toml"
        f.write_text(RUN)
        argv = [str(f) if a == "{RUN}" else a for a in argv]
    text = _csv(capsys, argv)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) >= 2, text
    header = rows[0]
    assert all(h and not h.startswith("#") for h in header), header
    assert len(set(header)) == len(header), header
    assert not any(line.startswith("#") for line in text.splitlines())
    for row in rows[1:]:
        assert len(row) == len(header), (row, header)
        assert "-1" not in row and "nan" not in [c.lower() for c in row] and "None" not in row, row
    try:
        import pandas as pd
    except ImportError:
        return
    df = pd.read_csv(io.StringIO(text))
    assert list(df.columns) == header and df.shape == (len(rows) - 1, len(header))


def test_boundaries_csv_values(capsys):
    # R BOIN get.boundary, target 0.25 (tests/data/boin_peer_decisions.jsonl): no elimination boundary at n = 1, 2
    rows = list(csv.reader(io.StringIO(_csv(capsys, ["boundaries", "--target", "0.25", "--max-n", "6"]))))
    assert rows[0] == ["n", "escalate_if_le", "deescalate_if_ge", "eliminate_if_ge"]
    assert rows[1] == ["1", "0", "1", ""] and rows[3] == ["3", "0", "1", "3"] and rows[6] == ["6", "1", "2", "4"]
    rows = list(csv.reader(io.StringIO(_csv(capsys, ["boundaries", "--design", "mtpi2", "--target", "0.3",
                                                     "--max-n", "6", "--cohort-size", "3"]))))
    # published.md item 7 (Guo et al. 2017, Fig. 3): n = 3: E S D DU; n = 6: E E S D DU DU DU
    assert rows[0] == ["n", "y_0", "y_1", "y_2", "y_3", "y_4", "y_5", "y_6"]
    assert rows[1] == ["3", "E", "S", "D", "DU", "", "", ""]
    assert rows[2] == ["6", "E", "E", "S", "D", "DU", "DU", "DU"]


def test_dose_column_is_the_level_and_dose_value_the_value_everywhere(capsys):
    """``dose`` held dose values in the what-if's CSV and levels in simulate's: now every CSV has
    the 1-based level in ``dose`` and the value in ``dose_value`` (empty without dose values)."""
    out = _csv(capsys, ["simulate", "--design", "boin", "--truth", "0.05,0.1,0.2,0.3", "--target", "0.3",
                        "--cohort-size", "3", "--max-n", "12", "--doses", "1,2,4,8", "--n-trials", "50"])
    sel = [r for r in csv.DictReader(io.StringIO(out)) if r["metric"] == "selection"]
    assert [(r["dose"], r["dose_value"]) for r in sel] == [("1", "1"), ("2", "2"), ("3", "4"), ("4", "8")]
    out = _csv(capsys, ["simulate", "--design", "boin", "--truth", "0.05,0.1", "--target", "0.3",
                        "--cohort-size", "3", "--max-n", "6", "--n-trials", "50"])
    sel = [r for r in csv.DictReader(io.StringIO(out)) if r["metric"] == "selection"]
    assert [(r["dose"], r["dose_value"]) for r in sel] == [("1", ""), ("2", "")]
    import doseesc as de

    res = de.whatif(["A"], n_scenarios=2, n_trials=5, blrm=False, phase12=False, graded=False)
    sel = [r for r in csv.DictReader(io.StringIO(res.to_csv())) if r["metric"] == "selection"]
    assert {(r["dose"], r["dose_value"]) for r in sel} == {("1", "2"), ("2", "3")}  # trial A: 2, 3 x10^6/kg
