"""``doseesc evidence --blrm-prior DOSES``: the what-if's MAP prior for a BLRM of one's own, printed
as the table blrm's ``--prior`` and a run file's ``prior = {...}`` take; those round trips give the
same design, and bad flags get one-line errors with exit code 2."""

from __future__ import annotations

import json

import pytest

import doseesc as de
from doseesc import _whatif as wi
from doseesc import config
from doseesc.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_prior_is_the_what_ifs_and_drives_blrm_next_as_in_the_what_if(capsys):
    code, out, err = run(capsys, "evidence", "--blrm-prior", "1,2,4", "--exclude", "B", "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    mp = wi._map_prior([1, 2, 4], ["A", "C", "D"])  # trial B's what-if BLRM prior
    assert d["prior"]["weights"] == list(mp.weights) and d["prior"]["means"] == [list(m) for m in mp.means]
    assert d["prior"]["sds"] == [list(s) for s in mp.sds] and d["prior"]["corrs"] == list(mp.corrs)
    assert d["d_ref"] == 2.0 and d["exclude"] == ["B"] and d["robust_weight"] == 0.0
    assert d["ess"] == list(mp.ess) and d["records_used"] == ["A@2", "A@3", "C@2", "D@1"]
    assert d["versions"]["doseesc"] == de.__version__
    # the printed table as --prior: after 2 DLTs in 3 at dose 1 this BLRM goes to dose 2, as the what-if says
    code, out, err = run(capsys, "next", "--design", "blrm", "--doses", "1,2,4", "--d-ref", "2", "--cohort-size", "3",
                         "--max-n", "12", "--target-interval", "0.16,0.33", "--overdose-max", "0.25",
                         "--prior", json.dumps(d["prior"]), "--format", "json", "1TTN")
    assert code == 0, err
    rec = json.loads(out)
    assert rec["dose"] == 2 and rec["warnings"] == []
    # ... and says so: an escalation right after 2 DLTs in a cohort of 3
    assert ("escalates to dose 2 right after a cohort with 2 DLTs in 3 patients at dose 1 (the design's own rule)"
            in rec["notes"])


def test_the_escalation_note_only_where_a_cohort_had_at_least_2_dlts_and_half_of_it():
    from doseesc.designs.base import escalation_after_dlts
    from doseesc.outcomes import parse

    assert escalation_after_dlts(parse("1TTN"), 2) and escalation_after_dlts(parse("1NNN 2TTNNN"), 3) == ()
    assert escalation_after_dlts(parse("1TTNNN"), 2) == ()  # 2 of 5: under half
    assert escalation_after_dlts(parse("1TN"), 2) == ()  # 1 DLT
    assert escalation_after_dlts(parse("1TTN"), 1) == () and escalation_after_dlts(parse("1TTN"), None) == ()
    assert escalation_after_dlts(parse("1TTNN 2TT"), 3) and escalation_after_dlts(parse("1NNN 2TTNN"), 3)
    boin = de.BOIN(target=0.2, cohort_size=3, max_n=12).next_dose("1NNN 2TTN", n_doses=3)
    assert boin.dose == 1 and not any("escalates" in n for n in boin.notes)


def test_robust_table_and_its_run_file_line_give_the_same_design(capsys, tmp_path):
    code, out, err = run(capsys, "evidence", "--blrm-prior", "1,2,4", "--exclude", "b", "--robust-weight", "0.2")
    assert code == 0, err
    mp = wi._map_prior([1, 2, 4], ["A", "C", "D"]).robustify(0.2)
    assert "trials B left out; robust component at weight 0.2" in out
    assert "       1               0.054              1.9" in out  # dose, prior mean P(DLT), ESS
    toml_line = next(x.strip() for x in out.splitlines() if x.strip().startswith("prior = {"))
    flag_line = next(x.strip() for x in out.splitlines() if x.strip().startswith("--prior '"))
    f = tmp_path / "run.toml"
    f.write_text(f"""n_trials = 10
[[designs]]
design = "blrm"
doses = [1, 2, 4]
d_ref = 2
cohort_size = 3
max_n = 12
{toml_line}
[[scenarios]]
p_tox = [0.05, 0.1, 0.3]
target = 0.2
""")
    d_file = config.load(str(f)).designs[0]
    table = json.loads(flag_line[len("--prior '"):-1])
    d_flag = de.BLRM(doses=[1, 2, 4], d_ref=2, cohort_size=3, max_n=12, prior=table)
    d_py = de.BLRM(doses=[1, 2, 4], d_ref=2, cohort_size=3, max_n=12, prior=mp)
    for d in (d_file, d_flag):
        a, b = d.components(), d_py.components()
        assert (a.weights, a.means, a.sds, a.corrs) == (b.weights, b.means, b.sds, b.corrs)


@pytest.mark.parametrize("argv, msg", [
    (["--blrm-prior", "1,2,4", "--robust-weight", "1"],
     "--robust-weight: the robust component's weight must be in (0, 1)"),
    (["--blrm-prior", "1,2,4", "--exclude", "Z"], "--exclude: expected trial ids among A, B, C, D"),
    (["--blrm-prior", "1,2,4", "--exclude", "A,B,C,D"], "--exclude: leaves no trial to build the prior from"),
    (["--blrm-prior", "1,-2,4"], "--blrm-prior: "),
    (["--blrm-prior", "1,2,4", "--d-ref", "0"], "--d-ref: "),
    (["--blrm-prior", "1,2,4", "--format", "csv"], "--format: the BLRM prior is printed as a table or as json"),
    (["--blrm-prior", "1,2,4", "--trial", "A"], "--trial: not used with --blrm-prior"),
    (["--d-ref", "2"], "--d-ref: only used with --blrm-prior DOSES"),
    (["--robust-weight", "0.2"], "--robust-weight: only used with --blrm-prior DOSES"),
])
def test_bad_blrm_prior_flags_are_refused_in_one_line(capsys, argv, msg):
    code, out, err = run(capsys, "evidence", *argv)
    assert code == 2 and out == ""
    assert err.startswith(f"doseesc: error: {msg}") and err.count("\n") == 1, err
