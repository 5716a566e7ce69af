"""A BLRM mixture prior given as a table: errors name its parts (prior.sds, not the prior_sd field
the user never set) on the prior's line of a run file, and the command line takes one as JSON."""

from __future__ import annotations

import pytest

import doseesc as de

from .test_bad_input_cli import assert_refused, run

GOOD = {"weights": [0.5, 0.5], "means": [[-4, 0], [-2, 0]], "sds": [[1, 1], [2, 1]], "corrs": [0, 0]}


@pytest.mark.parametrize("key,value,message", [
    ("sds", [[1, -1], [2, 1]], "prior.sds: must be > 0, got [1.0, -1.0, 2.0, 1.0]"),
    ("corrs", [0, 1.5], "prior.corrs: must be strictly between -1 and 1, got [0.0, 1.5]"),
    ("weights", [0.5, -0.5], "prior.weights: must be > 0, got [0.5, -0.5]"),
    # malformed pairs: named, not numpy's reshape or conversion message (CLI audit)
    ("means", [[-4, 0, 1], [-2, 0, 1]], "prior.means: expected one pair (log alpha, log beta) of finite numbers"),
    ("sds", [[1], [2]], "prior.sds: expected one pair (log alpha, log beta) of finite numbers"),
])
def test_mixture_parts_are_named(tmp_path, capsys, key, value, message):
    prior = dict(GOOD, **{key: value})
    with pytest.raises(ValueError, match=r"^" + message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")
                       .replace("(", r"\(").replace(")", r"\)")):
        de.BLRM(doses=[1, 2, 4], d_ref=2, prior=prior)
    table = ", ".join(f"{k} = {v}" for k, v in prior.items())
    f = tmp_path / "run.toml"
    f.write_text(f'n_trials = 20\n[[designs]]\ndesign = "blrm"\ndoses = [1, 2, 4]\nd_ref = 2\nmax_n = 12\n'
                 f"prior = {{{table}}}\n[[scenarios]]\np_tox = [0.05, 0.1, 0.2]\ntarget = 0.2\n")
    assert_refused(run(capsys, "run", f), f"{f} line 7: designs[1].{message}")


@pytest.mark.parametrize("means", [[[float("nan"), 0]], [[-3, "a"]], None])
def test_mixture_means_must_be_finite_pairs(means):
    # a NaN mean passed the constructor and failed only in simulate, with numpy's words
    with pytest.raises(ValueError, match=r"^prior\.means: expected one pair"):
        de.BLRM(doses=[1, 2, 4], d_ref=2, prior=dict(GOOD, weights=[1], means=means, sds=[[1, 1]], corrs=[0]))


def test_the_prior_fields_keep_their_names():
    with pytest.raises(ValueError, match=r"^prior_sd: must be > 0"):
        de.BLRM(doses=[1, 2, 4], d_ref=2, prior_sd=[-1, 1])


def test_cli_prior_as_json(capsys):
    base = ["next", "--design", "blrm", "--doses", "1,2,4", "--d-ref", "2", "--n-doses", "3", "--outcomes", "1NNN"]
    code, out, err = run(capsys, *base, "--prior",
                         '{"weights": [1], "means": [[-3, 0]], "sds": [[2, 1]], "corrs": [0]}')
    assert code == 0, err
    ref = de.BLRM(doses=[1, 2, 4], d_ref=2, prior_mean=[-3, 0], prior_sd=[2, 1]).next_dose("1NNN", n_doses=3)
    assert f"next: dose {ref.dose} " in out
    assert_refused(run(capsys, *base, "--prior", "x"), "--prior: expected a JSON table with weights, means, sds")
    bad = '{"weights": [1], "means": [[-3, 0]], "sds": [[-2, 1]], "corrs": [0]}'
    assert_refused(run(capsys, *base, "--prior", bad), "prior.sds: must be > 0")


def test_a_map_prior_from_no_trial_warns():
    from doseesc import evidence as ev

    with pytest.warns(UserWarning, match="blrm_map_prior: no record of any trial is left"):
        p = ev.blrm_map_prior([1, 2, 4], 2, exclude=["A", "B", "C", "D"], n_points=1024)
    assert p.records_used == ()
    with pytest.warns(UserWarning, match="map_prior: no record of any trial is left"):
        ev.map_prior("dlt", trials=["A"], dose_range=(100, 200))
