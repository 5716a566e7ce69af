"""The ``doseesc`` command: a thin layer over the library API.

Design options are generated from the design classes' constructor fields (``--cohort-size``
is ``cohort_size``), so the CLI, run files and Python share one vocabulary. Errors print one
line and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import functools
import io
import math
import os
import re
import sys
import textwrap
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import __version__, _io, _json
from .designs import REGISTRY
from .designs.base import option_kind
from .scenario import NonMonotoneWarning, Scenario, falls_note, quiet_falls

# Fields that come from the scenario flags, not from design flags.
_SCENARIO_FIELDS = {"target", "n_doses", "doses"}  # design fields given by the scenario's flags


class CLIError(Exception):
    """A usage error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        # no abbreviated options: "--utility" must not become "--utility-at" where only that exists
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # one line, no usage dump
        if message.endswith("expected one argument"):  # e.g. "--utility -1,40,60,0": argparse reads an option
            message += " (a value that starts with '-' is written --flag=VALUE, e.g. --utility=-1,40,60,0)"
        raise CLIError(message)


# ---------------------------------------------------------------------- numbers
# Only plain ASCII decimal numbers: Python's float() and int() also take "0.1_0", "nan", "inf",
# Arabic-Indic or full-width digits, which on a command line are typos, not numbers.
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")


def parse_number(text: str) -> float:
    """A finite float from ASCII decimal text; ValueError otherwise."""
    t = text.strip()
    if len(t) > 64 or not _DECIMAL.fullmatch(t):
        raise ValueError(text)
    x = float(t)
    if not math.isfinite(x):
        raise ValueError(text)
    return x


def parse_int(text: str) -> int:
    """An int from ASCII decimal digits (at most 30 of them); ValueError otherwise."""
    t = text.strip()
    if len(t) > 31 or not _INTEGER.fullmatch(t):
        raise ValueError(text)
    return int(t)


def _num(text: str) -> float:
    """argparse type: a decimal number."""
    try:
        return parse_number(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a decimal number such as 0.25, got {text[:40]!r}") from None


def _int(text: str) -> int:
    """argparse type: an integer."""
    try:
        return parse_int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer such as 12, got {text[:40]!r}") from None


def parse_numbers(flag: str, text: str) -> list[float]:
    """Comma-separated decimal numbers; an empty item is an error (``0.1,,0.3``)."""
    items = text.split(",")
    if len(items) > 1000:
        raise CLIError(f"{flag}: at most 1000 comma-separated numbers, got {len(items)}")
    out = []
    for i, item in enumerate(items):
        if not item.strip():
            raise CLIError(f"{flag}: item {i + 1} is empty; expected comma-separated numbers such as 0.05,0.1,0.2, "
                           f"got {text[:60]!r}")
        try:
            out.append(parse_number(item))
        except ValueError:
            raise CLIError(f"{flag}: expected comma-separated numbers such as 0.05,0.1,0.2, got {item[:40]!r} in "
                           f"{text[:60]!r}") from None
    return out


# ---------------------------------------------------------------------- design flags
def _kind(annotation: Any) -> str:
    kind = option_kind(annotation)
    return {"list": "floats", "any": "str"}.get(kind, kind)


def design_fields() -> dict[str, tuple[str, list[str]]]:
    """Every design option: name -> (kind, designs that accept it)."""
    out: dict[str, tuple[str, list[str]]] = {}
    for name, cls in REGISTRY.items():
        for f in dataclasses.fields(cls):
            if f.name in _SCENARIO_FIELDS or not f.init:
                continue
            kind, users = out.get(f.name, (_kind(f.type), []))
            users.append(name)
            out[f.name] = (kind, users)
    return out


def _defaults(cls) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
    return out


def _convert(name: str, kind: str, text: str) -> Any:
    flag = "--" + name.replace("_", "-")
    try:
        if kind == "bool":
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind == "int":
            return parse_int(text)
        if kind == "float":
            return parse_number(text)
        if kind == "floats":
            return parse_numbers(flag, text)
        if name == "prior":  # BLRM's mixture prior: a JSON table, as a run file's prior = {...}
            return _json_prior(flag, text)
        return text
    except ValueError:
        allowed = {"bool": "true or false", "int": "an integer", "float": "a number",
                   "floats": "comma-separated numbers"}.get(kind, "a string")
        raise CLIError(f"{flag}: expected {allowed}, got {text!r}") from None


def _json_prior(flag: str, text: str) -> dict:
    """``--prior`` text: a JSON table with the keys weights, means, sds and corrs (one entry per
    mixture component), the form of a run file's ``prior = {...}``."""
    import json

    example = '{"weights": [1], "means": [[-3, 0]], "sds": [[2, 1]], "corrs": [0]}'
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise CLIError(f"{flag}: expected a JSON table with weights, means, sds and corrs per mixture component, such "
                       f"as '{example}' (or a run file's prior = {{...}}), got {text[:60]!r}")
    return value


BACKFILL_FLAGS = {
    "cap": ("int", "cap"),
    "end": ("bool", "end_with_escalation"),
    "wait": ("bool", "wait_for_backfill"),
}


def add_backfill_flags(p: argparse.ArgumentParser) -> None:
    """``--backfill-cap`` etc.: ``design.with_backfill(...)`` (BOIN, 3+3, CRM, BLRM); help from its docstring."""
    from ._docs import first_sentences, parameters
    from .designs.backfill import Backfill

    docs = parameters(Backfill)
    g = p.add_argument_group("backfill cohorts (boin, 3+3, crm, blrm; any --backfill-* flag turns backfill on; needs a "
                             "scenario with --window, --rate and --eff)")
    for flag, (kind, field) in BACKFILL_FLAGS.items():
        default = {"cap": "12", "end": "true", "wait": "true"}[flag]
        text = first_sentences(docs.get(field, "")).replace("``", "").rstrip(".")
        allowed = "an integer >= 1" if kind == "int" else "true or false"
        g.add_argument(f"--backfill-{flag}", dest="b_" + field, metavar="N" if kind == "int" else "BOOL",
                       help=f"{text}. Value: {allowed}; default: {default}")


def _apply_backfill(design, args: argparse.Namespace):
    opts = {}
    for flag, (kind, field) in BACKFILL_FLAGS.items():
        text = getattr(args, "b_" + field, None)
        if text is not None:
            opts[field] = _convert(f"backfill_{flag}", kind, text)
    if not opts:
        return design
    flags = {field: f"--backfill-{flag}" for flag, (_, field) in BACKFILL_FLAGS.items()}
    try:
        bf = design.with_backfill(**opts)
    except ValueError as exc:
        msg = str(exc)
        field = msg.split(":", 1)[0]
        if field == "with_backfill":
            first = flags[next(iter(opts))]
            detail = msg.split(": ", 1)[1]
            if detail.startswith("available"):
                from .designs.modifiers import Modified

                if isinstance(design, Modified):  # a composable rule came with it: name that flag
                    given = [f"--{k.replace('_', '-')}" for k, (kind, _) in MODIFIER_FLAGS.items()
                             if getattr(args, "m_" + k, None) is not None]
                    detail = (f"backfill cannot be combined with the composable rules ({', '.join(given) or 'given'}): "
                              "the backfill design applies its own escalation rules")
                else:
                    detail = f"backfill is available for the designs boin, 3+3, crm and blrm, got {args.design!r}"
            raise CLIError(f"{first}: {detail}") from None
        if field in flags:
            raise CLIError(f"{flags[field]}:{msg.split(':', 1)[1]}") from None
        raise
    if design.name:  # the name given to the design names the backfilled design
        bf = dataclasses.replace(bf, base=dataclasses.replace(design, name=None), name=design.name)
    return bf


def add_design_flags(p: argparse.ArgumentParser, required: bool = True) -> None:
    add_modifier_flags(p)
    add_backfill_flags(p)
    p.add_argument_group("graded toxicity (gboin, quasi-crm)").add_argument(
        "--score-target", type=_num, metavar="X",
        help="the graded design's target on the normalized toxicity-score scale (ETS / max score, e.g. 0.47/1.5 = "
             "0.313); default: --target")
    names = ", ".join(REGISTRY)
    # compare (required False) takes its designs from --designs: --design is accepted there only to
    # say so (cmd_compare), and not listed in its help
    p.add_argument("--design", required=required, metavar="NAME",
                   help=f"design (required): one of {names}" if required else argparse.SUPPRESS)
    g = p.add_argument_group("design options (each applies to the designs listed in brackets; the text is the "
                             "design's docstring)")
    for name, (kind, users) in design_fields().items():
        g.add_argument("--" + name.replace("_", "-"), dest="d_" + name,
                       metavar={"bool": "BOOL", "int": "N", "float": "X", "floats": "X,X,..."}.get(kind, "TEXT"),
                       help=_option_help(name, kind, users))


def _show_default(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (tuple, list)):
        return ",".join(_show_default(x) for x in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


_ALLOWED = {"bool": "true or false", "int": "an integer", "float": "a number", "floats": "comma-separated numbers"}


def _option_help(name: str, kind: str, users: Sequence[str]) -> str:
    return _built_option_help(name, kind, tuple(users))


@functools.cache  # five commands take the design flags: each help text is built once
def _built_option_help(name: str, kind: str, users: tuple[str, ...]) -> str:
    """An option's meaning (from the design classes' docstrings), allowed values and default.

    Where the designs differ (in the value's form or the default), each is given with the designs
    it applies to. A text option lists the values its docstring's type allows (``{"a", "b"}``);
    a default the class leaves as None but its docstring's type states (``float, default 0.6 x
    target``) is shown as stated."""
    from ._docs import GENERIC, choices, entries, first_sentences, parameters, plain, stated_default

    # the meaning: one text, or one per group of designs where their docstrings say different
    # things (a text that extends another, e.g. "As for BOIN, applied to ...", counts as the same)
    meanings: dict[str, list[str]] = {}
    for u in users:
        t = first_sentences(plain(parameters(REGISTRY[u]).get(name, ""))).rstrip(".")
        if not t:
            continue
        same = next((k for k in meanings if t.startswith(k) or k.startswith(t)), None)
        if same is None:
            meanings[t] = [u]
        elif len(t) < len(same):  # the shorter text, in the first one's place
            meanings = {(t if k == same else k): (us + [u] if k == same else us) for k, us in meanings.items()}
        else:
            meanings[same].append(u)
    if not meanings:
        text = plain(GENERIC.get(name, ""))
    elif len(meanings) == 1 or name in GENERIC:
        text = next(iter(meanings))
    else:
        text = "; ".join(f"{t} ({', '.join(us)})" for t, us in meanings.items())
    types = {u: entries(REGISTRY[u]).get(name, ((), "", ""))[1] for u in users}
    fields = {u: {f.name: f.type for f in dataclasses.fields(REGISTRY[u])} for u in users}
    kinds = {u: _kind(fields[u][name]) if name in fields[u] else kind for u in users}

    def allowed(u: str) -> str:
        if kinds[u] in _ALLOWED:
            return _ALLOWED[kinds[u]]
        if name == "prior":
            return ('a JSON table, e.g. \'{"weights": [1], "means": [[-3, 0]], "sds": [[2, 1]], "corrs": [0]}\' '
                    "(log alpha, log beta per component)")
        options = choices(types[u])
        return "one of " + ", ".join(options) if options else "text"

    def default(u: str) -> str:
        d = _defaults(REGISTRY[u]).get(name, dataclasses.MISSING)
        if d is dataclasses.MISSING:
            return "required"
        if d is None and stated_default(types[u]):
            return stated_default(types[u])
        return _show_default(d)

    def by_design(values: dict[str, str]) -> str:
        groups: dict[str, list[str]] = {}
        for u, val in values.items():
            groups.setdefault(val, []).append(u)
        if len(groups) == 1:
            return next(iter(groups))
        return "; ".join(f"{val} ({', '.join(us)})" for val, us in groups.items())

    values = by_design({u: allowed(u) for u in users})
    dflt = by_design({u: default(u) for u in users})
    return f"[{', '.join(users)}] {text.rstrip('.')}. Value: {values}; default: {dflt}"


MODIFIER_FLAGS = {
    "stop_n_at_dose": ("int", "stop the trial once the recommended next dose has N patients (the design's "
                              "selection stands); an integer >= 1; default: off"),
    "safety_threshold": ("float", "stop with no dose selected when P(p_1 > target | data) exceeds X under a "
                                  "Beta(1, 1) prior, once dose 1 has 3 patients; X in (0, 1), e.g. 0.95; "
                                  "default: off"),
    "safety_target": ("float", "with --safety-threshold: the DLT rate it guards against, in (0, 1); default: the "
                               "design's target (--target)"),
    "n_at_dose_of": ("str", "with --stop-n-at-dose: which dose it counts: recommended (the next dose), current "
                            "(the dose just treated), any, or a dose level (1-based); default: recommended"),
    "dont_skip": ("flag", "never escalate more than one level above the highest dose tried; default: off"),
    "stop_at": ("int", "cap the total sample size at N (the last cohort is truncated); default: the design's max_n"),
    "select_min_n": ("int", "the final selection must be a dose with at least N patients (1: never an untried "
                            "dose; a dose with fewer moves down to the nearest one with enough); default: off, "
                            "as in the peer packages"),
}


def add_modifier_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("composable rules (any design; see Design.stop_for_safety etc.)")
    for name, (kind, text) in MODIFIER_FLAGS.items():
        flag = "--" + name.replace("_", "-")
        if kind == "flag":
            g.add_argument(flag, dest="m_" + name, action="store_const", const="true", help=text)
        else:
            g.add_argument(flag, dest="m_" + name, metavar={"int": "N", "float": "X", "str": "TEXT"}[kind], help=text)


def _apply_modifiers(design, args: argparse.Namespace, target: float | None):
    from .designs.modifiers import Modified

    mods = {}
    for key, text in vars(args).items():
        if key.startswith("m_") and text is not None:
            name = key[2:]
            kind = MODIFIER_FLAGS[name][0]
            mods[name] = _convert(name, "bool" if kind == "flag" else kind, text)
    if not mods:
        return design
    for name, needs in (("safety_target", "safety_threshold"), ("n_at_dose_of", "stop_n_at_dose")):
        if name in mods and needs not in mods:
            flag, other = "--" + name.replace("_", "-"), "--" + needs.replace("_", "-")
            raise CLIError(f"{flag}: only with {other} (without it the design has no such rule)")
    if "safety_threshold" in mods and mods.get("safety_target") is None and getattr(design, "target", None) is None:
        mods["safety_target"] = target
    if design.name:  # --name names the design these options describe, rules included, as given
        return Modified(base=dataclasses.replace(design, name=None), name=design.name, **mods)
    return Modified(base=design, **mods)


def build_design(args: argparse.Namespace, target: float | None):
    design = _apply_backfill(_apply_modifiers(_build_base_design(args, target), args, target), args)
    # commands that simulate with the time-model flags (exact has them, to refuse them: see cmd_exact)
    simulating = hasattr(args, "accrual") and getattr(args, "func", None) is not cmd_exact
    if getattr(design, "time_to_event", False) and simulating and args.window is None:
        raise CLIError(f"--window: design {args.design!r} decides from partial follow-up and needs the DLT window "
                       "(--rate, arrivals per time unit, defaults to one per window)")
    return design


#: design options that act only with another one given (the library cannot tell a given default from
#: none; the command line can): option -> (whether the partner is set, the flag to name)
_ONLY_WITH = {
    "offset": (lambda k: bool(k.get("extrasafe")), "--extrasafe (the offset of its stricter rule at the lowest dose)"),
    "intercept": (lambda k: k.get("model") == "logistic", "--model logistic (the logistic model's fixed intercept)"),
    "alpha_step": (lambda k: k.get("alpha_start") is not None, "--alpha-start (the step of the rising feasibility "
                                                                "bound)"),
    "overdose_max_step": (lambda k: k.get("overdose_max_start") is not None,
                          "--overdose-max-start (the step of the rising overdose bound)"),
}


def _build_base_design(args: argparse.Namespace, target: float | None):
    name = args.design
    if name not in REGISTRY:
        raise CLIError(f"--design: must be one of {', '.join(REGISTRY)}, got {name!r}")
    cls = REGISTRY[name]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, text in vars(args).items():
        if not key.startswith("d_") or text is None:
            continue
        fname = key[2:]
        if fname not in fields:
            raise CLIError(f"--{fname.replace('_', '-')}: not an option of design {name!r}")
        kwargs[fname] = _convert(fname, _kind(fields[fname].type), text)
    score_target = getattr(args, "score_target", None)
    if score_target is not None:
        if "scores" not in fields:
            raise CLIError(f"--score-target: only for the graded designs (gboin, quasi-crm), not {name!r}")
        kwargs["target"] = score_target
    if "target" in fields and target is not None:
        kwargs.setdefault("target", target)
    if "doses" in fields and getattr(args, "doses", None) is not None:  # model-based on dose values (BLRM)
        kwargs.setdefault("doses", _floats("--doses", args.doses))
    for opt, (needs, why) in _ONLY_WITH.items():  # an option whose default the design would use anyway is
        if opt in kwargs and opt in fields and not needs(kwargs):  # inert without its partner: refused
            raise CLIError(f"--{opt.replace('_', '-')}: only with {why}")
    missing = [f.name for f in fields.values() if f.init and f.name not in kwargs
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        flag = "--" + missing[0].replace("_", "-")
        raise CLIError(f"{flag}: required for design {name!r}")
    try:
        return cls(**kwargs)
    except ValueError as exc:  # the graded designs' target came from --score-target: name the flag given
        if score_target is not None and str(exc).startswith("target: "):
            raise CLIError("--score-target: " + str(exc).removeprefix("target: ")) from None
        raise


# ---------------------------------------------------------------------- scenario flags
def _floats(flag: str, text: str) -> list[float]:
    return parse_numbers(flag, text)


def add_scenario_flags(p: argparse.ArgumentParser, required: bool = True) -> None:
    g = p.add_argument_group("scenario")
    g.add_argument("--truth", metavar="P,P,...",
                   help="true DLT probability per dose, lowest first, each in [0, 1] (required unless --grades; "
                        "e.g. 0.05,0.1,0.2,0.3)")
    g.add_argument("--grades", metavar="P,P,..;P,P,..",
                   help="graded scenario (gboin, quasi-crm; any design runs on it): per dose, separated by ';', the "
                        "probabilities that a patient's worst adverse event has grade 1, 2, ..., e.g. "
                        "'0.2,0.1,0.04,0.01;0.3,0.15,0.1,0.05'; the DLT is grade >= --dlt-grade, so --truth and --ae "
                        "follow from it (default: none)")
    g.add_argument("--dlt-grade", type=_int, metavar="G",
                   help="with --grades: the lowest grade that is a DLT (default: 3)")
    g.add_argument("--target", type=_num, required=required, metavar="X",
                   help="target DLT probability, in (0, 1) (required)")
    g.add_argument("--doses", metavar="X,X,...",
                   help="dose values, increasing and positive, e.g. 1,2,4 (labels for tables and figures; "
                        "default: dose levels 1, 2, ...)")
    g.add_argument("--dose-unit", metavar="TEXT", help="unit of --doses, e.g. '1e6 cells/kg' (default: none)")
    g.add_argument("--ae", metavar="P,P,...",
                   help="true probability of a low-grade (non-DLT) adverse event per dose, with p + ae <= 1 "
                        "(recorded, never decides; default: none)")
    f = p.add_argument_group("efficacy (phase I/II scenarios; required by boin12, efftox and tite-boin12)")
    f.add_argument("--eff", metavar="P,P,...", help="true probability of an efficacy response per dose (default: none)")
    f.add_argument("--association", choices=("independent", "gaussian", "odds_ratio", "gumbel"),
                   help="association of efficacy and toxicity in a patient (default: independent)")
    f.add_argument("--association-param", metavar="X[,X,...]",
                   help="its parameter: gaussian correlation, odds ratio or gumbel psi (one, or one per dose; "
                        "required unless independent)")
    f.add_argument("--p-both", metavar="P,P,...",
                   help="true P(efficacy and DLT) per dose, instead of an association (default: none)")
    f.add_argument("--utility", metavar="U,U,U,U",
                   help="utility of (E no T, neither, both, T no E) defining the true OBD (default: 100,40,60,0)")
    f.add_argument("--obd", metavar="K[,K,...]",
                   help="the true OBD(s), 1-based, instead of from the utility (0: no dose acceptable; default: from "
                        "the utility)")
    f.add_argument("--eff-min", type=_num, metavar="X",
                   help="a dose is acceptable as OBD only if p_eff >= X (default: no minimum)")
    t = p.add_argument_group("time model (trial duration; required by tite-boin, tite-crm and tite-boin12)")
    t.add_argument("--window", type=_num, metavar="X",
                   help="DLT observation window length, 1e-6 to 1e9 in any time unit (turns the time model on; "
                        "default: no time model)")
    t.add_argument("--accrual", choices=("fixed", "poisson", "uniform"), default=None,
                   help="arrival process (default: fixed; uniform: gaps uniform on (0, 2 / rate))")
    t.add_argument("--rate", type=_num, metavar="X", help="mean arrivals per time unit (default: 1 per window)")
    t.add_argument("--onset", choices=("uniform", "weibull", "late"), default=None,
                   help="DLT onset time within the window (default: uniform; late: the TITE-BOIN papers' Weibull "
                        "with --late-share of the DLTs in the last --late-part of the window)")
    t.add_argument("--shape", type=_num, default=None, metavar="X", help="Weibull onset shape (default: 1)")
    t.add_argument("--late-share", type=_num, default=None, metavar="X",
                   help="with --onset late: share of the DLTs in the last part of the window (default: 0.5)")
    t.add_argument("--late-part", type=_num, default=None, metavar="X",
                   help="with --onset late: that last fraction of the window (default: 0.5)")
    t.add_argument("--waiting", choices=("turn_away", "queue"), default=None,
                   help="patients arriving while the trial waits for follow-up (default: turn_away)")
    t.add_argument("--dropout", type=_num, metavar="X",
                   help="drop-out hazard per time unit (default: 0); cohort designs replace a patient who drops "
                        "out before their outcome, time-to-event designs censor them")
    t.add_argument("--eff-window", type=_num, metavar="X",
                   help="efficacy assessment window, in the unit of --window (default: the DLT window): "
                        "tite-boin12 decides on partial efficacy follow-up; boin12 and efftox wait max(--window, "
                        "--eff-window) after each cohort; toxicity-only designs ignore it")
    t.add_argument("--eff-onset", choices=("uniform", "weibull", "late"), default=None,
                   help="response time within the efficacy window (default: uniform; as --onset)")
    t.add_argument("--eff-shape", type=_num, default=None, metavar="X",
                   help="Weibull shape of the response time (default: 1)")
    t.add_argument("--eff-late-share", type=_num, default=None, metavar="X",
                   help="with --eff-onset late: share of the responses in the last part of the window (default: 0.5)")
    t.add_argument("--eff-late-part", type=_num, default=None, metavar="X",
                   help="with --eff-onset late: that last fraction of the efficacy window (default: 0.5)")


#: every time-model flag but --window (which turns the time model on); None in the parser, so
#: that a flag given is seen (TimeModel's defaults apply to the others)
_TIME_FLAGS = ("accrual", "rate", "onset", "shape", "late_share", "late_part", "waiting", "dropout", "eff_window",
               "eff_onset", "eff_shape", "eff_late_share", "eff_late_part")


def _given_time_flags(args: argparse.Namespace) -> list[str]:
    return ["--" + k.replace("_", "-") for k in _TIME_FLAGS if getattr(args, k, None) is not None]


def _check_time_flags(args: argparse.Namespace) -> None:
    """A time-model flag that would change nothing is an error: any of them without --window,
    an onset's parameters without that onset (--late-share without --onset late, ...)."""
    given = _given_time_flags(args)
    if getattr(args, "window", None) is None:
        if given:
            raise CLIError(f"--window: required with {given[0]} (the DLT window turns the time model on)")
        return
    for prefix, what in (("", "--onset"), ("eff_", "--eff-onset")):
        onset = getattr(args, prefix + "onset", None) or "uniform"
        for key, needs in (("shape", "weibull"), ("late_share", "late"), ("late_part", "late")):
            if getattr(args, prefix + key, None) is not None and onset != needs:
                flag = "--" + (prefix + key).replace("_", "-")
                raise CLIError(f"{flag}: only with {what} {needs} (got {what} {onset})")


def build_scenario(args: argparse.Namespace) -> Scenario:
    from .timemodel import TimeModel

    grades = getattr(args, "grades", None)
    if grades is not None:
        if args.truth is not None or args.ae is not None:
            flag = "--truth" if args.truth is not None else "--ae"
            raise CLIError(f"{flag}: give either --grades (which fixes the DLT and AE probabilities) or {flag}")
        rows = [r for r in grades.split(";")]
        if len(rows) > 1000:
            raise CLIError(f"--grades: at most 1000 doses, got {len(rows)}")
        p_grade = [_floats(f"--grades (dose {i + 1})", r) for i, r in enumerate(rows)]
        truth = None
    elif args.truth is None:
        raise CLIError("--truth: required (the true DLT probability per dose, e.g. 0.05,0.1,0.2), unless --grades "
                       "gives a graded scenario")
    else:
        if getattr(args, "dlt_grade", None) is not None:
            raise CLIError("--dlt-grade: only with --grades (a graded scenario)")
        truth = _floats("--truth", args.truth)
    time = None
    _check_time_flags(args)
    if getattr(args, "window", None) is not None:
        given = {k: x for k in _TIME_FLAGS if (x := getattr(args, k, None)) is not None}
        given.setdefault("rate", 1.0 / args.window if args.window else 1.0)
        time = TimeModel(window=args.window, **given)
    if truth is None:  # graded: the DLT probabilities are the grades' at and above --dlt-grade
        lens = {len(r) for r in p_grade}
        if len(lens) > 1:
            raise CLIError(f"--grades: every dose needs the same number of grades, got {sorted(lens)}")
        dg = 3 if args.dlt_grade is None else args.dlt_grade
        if not 1 <= dg <= max(lens):
            raise CLIError(f"--dlt-grade: must be from 1 to {max(lens)} (the number of grades in --grades), got {dg}")
        truth = [sum(r[dg - 1:]) for r in p_grade]
    note = falls_note(truth)
    if note is not None:  # said here, naming the flag; the Scenario below is built quietly
        warnings.warn(f"{'--grades' if args.truth is None else '--truth'}: {note}", NonMonotoneWarning, stacklevel=2)
    eff = {}
    if getattr(args, "eff", None) is not None:
        eff["p_eff"] = _floats("--eff", args.eff)
        if args.association is not None:
            eff["association"] = args.association
        if args.association_param is not None:
            a = _floats("--association-param", args.association_param)
            eff["association_param"] = a[0] if len(a) == 1 else a
        if args.p_both is not None:
            eff["p_both"] = _floats("--p-both", args.p_both)
        if args.utility is not None:
            eff["utility"] = _floats("--utility", args.utility)
        if args.obd is not None:
            try:
                eff["obd"] = [parse_int(x) for x in args.obd.split(",")]
            except ValueError:
                raise CLIError(f"--obd: expected comma-separated dose levels such as 2 or 2,3, got {args.obd!r}") \
                    from None
        if args.eff_min is not None:
            eff["eff_min"] = args.eff_min
    else:
        for flag in ("association", "association_param", "p_both", "utility", "obd", "eff_min"):
            if getattr(args, flag, None) is not None:
                raise CLIError(f"--{flag.replace('_', '-')}: only with --eff (a scenario with efficacy)")
    common = dict(doses=None if args.doses is None else _floats("--doses", args.doses), dose_unit=args.dose_unit,
                  time=time, **eff)
    if args.target is None:
        raise CLIError(f"--target: required with {'--grades' if grades is not None else '--truth'}: the scenario's "
                       "target DLT rate, against which selections are judged (e.g. --target 0.25)")
    try:
        with quiet_falls():  # a falling curve was reported above, naming the flag
            if grades is not None:
                return Scenario.from_grades(p_grade, target=args.target, dlt_grade=3 if args.dlt_grade is None
                                            else args.dlt_grade, **common)
            return Scenario(p_tox=truth, target=args.target,
                            p_ae=None if args.ae is None else _floats("--ae", args.ae), **common)
    except ValueError as exc:  # the library names its fields; name the flags that set them
        field, sep, rest = str(exc).partition(": ")
        flag = _SCENARIO_FLAGS.get(field)
        if flag is None or not sep:
            raise
        if grades is not None and field == "p_tox":
            flag = "--grades"
        raise CLIError(f"{flag}: {rest}") from None


#: the flags that set each Scenario field (errors from the library name the field)
_SCENARIO_FLAGS = {"p_tox": "--truth", "p_eff": "--eff", "p_ae": "--ae", "p_both": "--p-both", "doses": "--doses",
                   "dose_unit": "--dose-unit", "target": "--target", "obd": "--obd", "utility": "--utility",
                   "association": "--association", "association_param": "--association-param",
                   "eff_min": "--eff-min", "p_grade": "--grades", "dlt_grade": "--dlt-grade"}


def add_output_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format (default: table)")
    p.add_argument("--plot", metavar="FILE.png",
                   help="also write a figure, .png, .pdf or .svg (needs matplotlib: pip install doseesc[plot]; "
                        "default: none)")


def add_run_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-trials", type=_int, default=10_000, metavar="N", help="simulated trials (default: 10000)")
    p.add_argument("--seed", type=_int, default=1, metavar="N", help="random seed (default: 1)")
    p.add_argument("--threads", type=_int, metavar="N", help="threads (default: NUMBA_NUM_THREADS, i.e. all cores)")
    add_backend_flag(p)
    p.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="always show a progress bar (default: only on a terminal)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="never show a progress bar (default: a bar on a terminal)")


def add_backend_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", metavar="WHERE",
                   help="where trials run: 'processes' (one worker process per core), a number of worker "
                        "processes, or a Dask scheduler address such as tcp://host:8786 (needs doseesc[dask]); "
                        "results are identical to the default (this process)")
    p.add_argument("--backend-timeout", type=_num, default=10.0, metavar="SECONDS",
                   help="with a Dask address: how long to wait for the scheduler to answer (default: 10)")


def _connect(address: str, timeout: float):
    """A Dask client for ``address``, or a one-line error within ``timeout`` seconds: the
    connection is made in a helper thread because a server that accepts and never answers the
    handshake (or that is not a Dask scheduler) would otherwise hang ``Client()`` for ever."""
    from dask.distributed import Client

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["client"] = Client(address, timeout=timeout)
        except BaseException as exc:  # reported below
            box["error"] = exc

    helper = threading.Thread(target=target, name="doseesc-connect", daemon=True)
    helper.start()
    helper.join(timeout + 2.0)
    if helper.is_alive():
        raise CLIError(f"--backend: no answer from a Dask scheduler at {address!r} within {timeout:g} s "
                       f"(--backend-timeout sets the wait)")
    if "error" in box:
        msg = str(box["error"]).splitlines()[0] if str(box["error"]) else type(box["error"]).__name__
        raise CLIError(f"--backend: cannot reach a Dask scheduler at {address!r} ({msg})")
    return box["client"]


@contextlib.contextmanager
def backend_from(text: str | None, timeout: float = 10.0):
    """The ``backend`` argument for ``--backend`` (a Dask client is closed afterwards)."""
    if not 0 < timeout <= 3600:  # checked whatever the backend: a bad value is never silently kept
        raise CLIError(f"--backend-timeout: must be more than 0 and at most 3600 seconds, got {timeout:g}")
    if text is None or text == "processes":
        yield text
        return
    if text.isdigit():
        if int(text) < 1:
            raise CLIError(f"--backend: the number of worker processes must be >= 1, got {text!r}")
        yield int(text)
        return
    address = text if "://" in text else f"tcp://{text}"
    m = re.fullmatch(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+):([0-9]{1,5})", address)
    if m is None or not 0 < int(m.group(3)) < 65536:
        raise CLIError(f"--backend: expected 'processes', a number of worker processes or a Dask scheduler address "
                       f"such as tcp://host:8786, got {text[:80]!r}")
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise CLIError("--backend: a Dask scheduler address needs dask.distributed (pip install 'doseesc[dask]')") \
            from None
    client = _connect(address, timeout)
    try:
        yield client
    finally:
        client.close()


# ---------------------------------------------------------------------- output
def csv_number(x) -> str:
    """A CSV cell for a number: ``repr`` of the float, empty for a missing value (None, NaN)."""
    if x is None:
        return ""
    x = float(x)
    return "" if math.isnan(x) else repr(x)


def oc_csv(oc) -> str:
    """Long format: one row per metric and dose (``dose`` the 1-based level, ``dose_value`` its value
    where the scenarios give dose values; both empty for a metric that is not per dose)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric", "dose", "dose_value", "value", "se"])
    values = {tuple(sc.doses) if sc.doses is not None else None for sc in oc.scenarios}
    doses = next(iter(values)) if len(values) == 1 else None  # one dose set across the scenarios, or none
    for name in oc.metrics:
        val = np.atleast_1d(getattr(oc, name))
        se = np.atleast_1d(oc.se(name))
        if val.size == 1 and np.ndim(getattr(oc, name)) == 0:
            w.writerow([name, "", "", csv_number(val[0]), csv_number(se[0])])
        else:
            for j, (x, s) in enumerate(zip(val, se)):
                value = f"{doses[j]:g}" if doses is not None and j < len(doses) else ""
                w.writerow([name, j + 1, value, csv_number(x), csv_number(s)])
    for name, frac in oc.stop_reasons.items():
        w.writerow([f"stop_{name}", "", "", repr(frac), csv_number(float(oc.se(f"stop_{name}")))])
    return buf.getvalue()


def emit_oc(oc, fmt: str) -> str:
    if fmt == "json":
        return _json.dumps(oc.to_dict(), indent=2)
    if fmt == "csv":
        return oc_csv(oc)
    return oc.summary()


def _check_plot(args) -> None:
    """Before any simulation: the --plot file can be written and matplotlib is there."""
    if getattr(args, "plot", None):
        from . import plot

        plot.check_path(args.plot, "--plot")
        plot._plt()


def _maybe_plot(args, what) -> None:
    if getattr(args, "plot", None):
        from . import plot

        plot.write(plot.figure(what), args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)


# ---------------------------------------------------------------------- commands
#: simulate's flags required without a run file (argparse is told they are optional: a run file replaces them)
_SIMULATE_REQUIRED = ("design", "target")
#: the flags that may go with ``doseesc simulate FILE``
_SIMULATE_FILE_FLAGS = ("--format", "--progress", "--no-progress", "--backend", "--backend-timeout")


def _simulate_run_file(args) -> str:
    """``doseesc simulate FILE``: the run file, as ``doseesc run FILE`` runs it."""
    given = sorted({tok.split("=")[0] for tok in getattr(args, "argv", ()) if tok.startswith("--")}
                   - set(_SIMULATE_FILE_FLAGS))
    if given:
        raise CLIError(f"file: a run file sets the designs, scenarios and run settings: {', '.join(given)} cannot "
                       f"be given with it (allowed: {', '.join(_SIMULATE_FILE_FLAGS)})")
    fmt = args.format if "--format" in getattr(args, "argv", ()) or any(
        t.startswith("--format=") for t in getattr(args, "argv", ())) else None
    run_args = argparse.Namespace(file=args.file, out=None, force=False, format=fmt, progress=args.progress,
                                  scenario_plots=False, backend=args.backend, backend_timeout=args.backend_timeout)
    try:
        return cmd_run(run_args)
    except ValueError as exc:  # run's advice names its own flags (--force, --out): say where they are
        if "--force" not in str(exc):
            raise
        what = str(exc).split(";")[0].removeprefix("--out: ")
        raise CLIError(f"[output] dir: {what}; use doseesc run {args.file} --force to replace them, or another "
                       "folder") from None


def cmd_simulate(args) -> str:
    from .engine import simulate

    if args.file is not None:
        return _simulate_run_file(args)
    missing = [f"--{name.replace('_', '-')}" for name in _SIMULATE_REQUIRED if getattr(args, name, None) is None]
    if missing:
        raise CLIError(f"the following arguments are required: {', '.join(missing)} (or give a run file: doseesc "
                       "simulate FILE)")
    _check_plot(args)
    sc = build_scenario(args)
    d = build_design(args, sc.target)
    _check_fits(d, sc)
    with backend_from(args.backend, args.backend_timeout) as backend:
        oc = simulate(d, sc, n_trials=args.n_trials, seed=args.seed, se_target=args.se_target, threads=args.threads,
                      progress=args.progress, backend=backend)
    _maybe_plot(args, oc)
    return emit_oc(oc, args.format)


def cmd_exact(args) -> str:
    from .engine import exact

    given = _given_time_flags(args) + (["--window"] if args.window is not None else [])
    if given:
        raise CLIError(f"{given[-1] if args.window is not None else given[0]}: not used by exact (exact enumeration "
                       "has no time model: it gives no trial duration; doseesc simulate does)")
    _check_plot(args)
    sc = build_scenario(args)
    d = build_design(args, sc.target)
    _check_fits(d, sc)
    oc = exact(d, sc)
    _maybe_plot(args, oc)
    return emit_oc(oc, args.format)


def cmd_compare(args) -> str:
    from .engine import compare

    _check_plot(args)
    if args.design is not None:
        raise CLIError("--design: compare takes its designs from --designs (e.g. --designs 3+3,boin,crm)")
    items = parse_design_list(args.designs)
    used = {f.name for n, _ in items for f in dataclasses.fields(REGISTRY[n])}
    for key, value in vars(args).items():
        if key.startswith("d_") and value is not None and key[2:] not in used:
            raise CLIError(f"--{key[2:].replace('_', '-')}: not an option of any compared design "
                           f"({', '.join(n for n, _ in items)})")
    sc = build_scenario(args)
    designs = []
    for name, own in items:
        ns = _only_fields_of(args, name)
        ns.__dict__.update({_BRACKET_BACKFILL.get(k, "d_" + k): text for k, text in own.items()})
        designs.append(build_design(ns, sc.target))
        _check_fits(designs[-1], sc)
        same = next((k for k, e in enumerate(designs[:-1]) if e == designs[-1]), None)
        if same is not None:  # the same design twice: identical trials, a difference of 0 by construction
            raise CLIError(f"--designs: designs {same + 1} and {len(designs)} are the same ({designs[-1].label()}); "
                           "compare designs that differ in an option")
    if args.d_max_n is not None:  # the common maximum binds a design without max_n (the 3+3) too, as a cap
        try:
            cap = int(args.d_max_n)
        except ValueError:
            raise CLIError(f"--max-n: expected an integer, got {args.d_max_n!r}") from None
        for k, (name, own) in enumerate(items):
            if "max_n" not in {f.name for f in dataclasses.fields(REGISTRY[name])} and \
                    getattr(args, "m_stop_at", None) is None and "stop_at" not in own:
                designs[k] = designs[k].stop_at_n(cap)
    with backend_from(args.backend, args.backend_timeout) as backend:
        cmp = compare(designs, [sc], n_trials=args.n_trials, seed=args.seed, threads=args.threads,
                      progress=args.progress, backend=backend)
    _maybe_plot(args, cmp)
    if args.format == "json":
        return _json.dumps(cmp.to_dict(), indent=2)
    if args.format == "csv":
        rows = cmp.to_dict()["results"]
        buf = io.StringIO()
        keys = ["design", "scenario", "pcs", "pcs_se", "no_selection", "no_selection_se", "sample_size",
                "sample_size_se", "over_selection", "over_selection_se", "n_overdosed", "n_overdosed_se",
                "pcs_diff_vs_first", "pcs_diff_vs_first_se", "over_selection_diff_vs_first",
                "over_selection_diff_vs_first_se"]
        if any("duration" in oc.metrics for row in cmp.oc for oc in row):  # a time model: as the text table
            keys += ["duration", "duration_se", "duration_diff_vs_first", "duration_diff_vs_first_se"]
        if cmp.benchmark is not None:  # the complete-information benchmark at each design's sample size
            keys += ["pcs_benchmark", "pcs_benchmark_se", "pcs_diff_vs_benchmark", "pcs_diff_vs_benchmark_se"]
        if sc.has_efficacy:
            keys += ["pcs_obd", "pcs_obd_se", "selected_utility", "selected_utility_se", "pcs_obd_diff_vs_first",
                     "pcs_obd_diff_vs_first_se", "selected_utility_diff_vs_first", "selected_utility_diff_vs_first_se",
                     "n_at_obd", "n_at_obd_se", "over_toxic_selection", "over_toxic_selection_se"]
        w = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k) if k in ("design", "scenario") else csv_number(r.get(k)) for k in keys})
        return buf.getvalue()
    return cmp.summary()


_BRACKET_BACKFILL = {f"backfill_{flag}": "b_" + field for flag, (_, field) in BACKFILL_FLAGS.items()}


def parse_design_list(text: str) -> list[tuple[str, dict[str, str]]]:
    """``--designs``: comma-separated design names, each optionally with its own options in
    brackets, ``key=value`` separated by ``;`` (values may hold commas), e.g.
    ``boin[p_saf=0.12;name=BOIN narrow],boin[p_saf=0.15],crm[skeleton=0.05,0.12,0.25]``."""
    items, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise CLIError(f"--designs: unbalanced ']' in {text[:80]!r}")
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    if depth != 0:
        raise CLIError(f"--designs: unbalanced '[' in {text[:80]!r}")
    items.append(cur)
    out = []
    for raw in items:
        m = re.fullmatch(r"\s*([A-Za-z0-9+\-]+)\s*(?:\[(.*)\])?\s*", raw, flags=re.S)
        if not raw.strip() or m is None:
            raise CLIError(f"--designs: expected names such as 3+3,boin,crm (options in brackets: "
                           f"boin[p_saf=0.12;name=BOIN narrow]), got {raw.strip()[:60]!r}")
        name = m.group(1)
        if name not in REGISTRY:
            raise CLIError(f"--designs: must be among {', '.join(REGISTRY)}, got {name!r}")
        fields = {f.name for f in dataclasses.fields(REGISTRY[name]) if f.init}
        own = {}
        for part in (m.group(2) or "").split(";"):
            if not part.strip():
                continue
            key, eq, value = part.partition("=")
            key = key.strip().replace("-", "_")
            if not eq:
                raise CLIError(f"--designs: {name}[...]: expected key=value, got {part.strip()!r}")
            if (key not in fields or key in _SCENARIO_FIELDS) and key not in _BRACKET_BACKFILL:
                raise CLIError(f"--designs: {name}[...]: {key!r} is not an option of design {name!r}")
            if key in own:
                raise CLIError(f"--designs: {name}[...]: {key!r} given twice")
            own[key] = value.strip()
        out.append((name, own))
    return out


def _only_fields_of(args, name: str) -> argparse.Namespace:
    """For compare: pass each design only the options it accepts."""
    fields = {f.name for f in dataclasses.fields(REGISTRY[name])} if name in REGISTRY else set()
    ns = argparse.Namespace(**{k: v for k, v in vars(args).items() if not k.startswith("d_") or k[2:] in fields})
    ns.design = name
    return ns


def _read_patients(path: str, efficacy: bool = False) -> list[dict]:
    """Live time-to-event data: a CSV with a header naming dose, dlt, follow_up (and optionally
    dropped; with ``efficacy``, TITE-BOIN12's, also eff and eff_follow_up), one row per patient in
    order of enrolment; ``-`` reads standard input. Every malformed file is a one-line error
    naming the file and line; a column the design does not read is an error too."""
    try:
        text = _io.read_text(path, "--data")
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise CLIError(f"--data: {path}: not a CSV file ({exc})") from None
    while table and not any(c.strip() for c in table[-1]):
        table.pop()  # trailing blank lines
    header = [c.strip() for c in table[0]] if table else []
    cols = ("dose", "dlt", "follow_up") + (("eff", "eff_follow_up") if efficacy else ())
    need = [c for c in cols if c not in header]
    if need:
        raise CLIError(f"--data: {path}: the header must name {', '.join(cols)} (optional: dropped); "
                       f"missing {', '.join(need)}")
    extra = [c for c in header if c not in cols + ("dropped",)]
    if extra:
        raise CLIError(f"--data: {path}: unknown column {extra[0][:30]!r}; the columns are {', '.join(cols)} and "
                       "optionally dropped")
    dup = sorted({c for c in header if header.count(c) > 1 and c})
    if dup:
        raise CLIError(f"--data: {path}: the header names {dup[0]!r} twice")
    flags = {"0": 0, "1": 1, "false": 0, "true": 1, "no": 0, "yes": 1, "n": 0, "y": 1, "": 0}
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if len(cells) != len(header):
            raise CLIError(f"--data: {path} line {line}: {len(cells)} fields, but the header has {len(header)}")
        r = {k: v.strip() for k, v in zip(header, cells)}
        try:
            row = {"dose": parse_int(r["dose"]), "follow_up": parse_number(r["follow_up"])}
        except ValueError:
            raise CLIError(f"--data: {path} line {line}: dose must be an integer and follow_up a number, "
                           f"got {r['dose'][:20]!r}, {r['follow_up'][:20]!r}") from None
        if "eff_follow_up" in r:  # TITE-BOIN12: the efficacy follow-up
            try:
                row["eff_follow_up"] = parse_number(r["eff_follow_up"])
            except ValueError:
                raise CLIError(f"--data: {path} line {line}: eff_follow_up must be a number, got "
                               f"{r['eff_follow_up'][:20]!r}") from None
        for k in ("dlt", "dropped", "eff"):
            if k in r:
                if r[k].lower() not in flags:
                    raise CLIError(f"--data: {path} line {line}: {k} must be 0/1, true/false or yes/no, "
                                   f"got {r[k][:20]!r}")
                row[k] = flags[r[k].lower()]
        rows.append(row)
    return rows


def _outcomes_arg(args) -> str:
    """The outcomes so far: the positional argument or --outcomes (not both)."""
    if args.outcomes and args.outcomes_flag:
        raise CLIError("--outcomes: give the outcomes once, either as the argument or with --outcomes")
    return args.outcomes or args.outcomes_flag or ""


def _require_n_doses(d, n_doses, what: str = "--n-doses") -> None:
    """Live use must know the trial's dose levels: guessing them from the data is a silent error.
    Then ``n_doses`` (from ``what``) must be the design's own number where it fixes one."""
    if n_doses is None and d.fixed_n_doses is None:
        raise CLIError("--n-doses: required: the number of dose levels in the trial (the design does not fix it)")
    _check_dose_count(d, n_doses, what)


#: the option that fixes a design's number of doses, where one does (first found on the design)
_DOSE_LIST_FIELDS = ("skeleton", "real_doses", "doses")


def _check_dose_count(d, n_doses, what: str) -> None:
    """A design that fixes its number of doses (a CRM's skeleton, EffTox's real doses, ...) against
    the ``n_doses`` that ``what`` (--truth, --n-doses) gives: name the option that fixes it."""
    fixed = d.fixed_n_doses
    if n_doses is None or fixed is None or fixed == n_doses:
        return
    inner = getattr(d, "base", d)
    field = next((f for f in _DOSE_LIST_FIELDS if getattr(inner, f, None) is not None), None)
    if field is None:
        raise CLIError(f"{what}: {n_doses} doses, but design {d.label()!r} has {fixed}")
    values = ",".join(f"{x:g}" for x in getattr(inner, field))
    default = next((f.default for f in dataclasses.fields(type(inner)) if f.name == field), None)
    given = (", its default" if isinstance(default, (tuple, list)) and tuple(default) == tuple(getattr(inner, field))
             else "")
    raise CLIError(f"--{field.replace('_', '-')}: design {d.label()!r} has {fixed} doses ({field} {values}{given}) "
                   f"but {what} gives {n_doses}; give --{field.replace('_', '-')} with {n_doses} values")


def _check_efficacy_given(d, sc) -> None:
    if getattr(d, "uses_efficacy", False) and not sc.has_efficacy:
        raise CLIError(f"--eff: design {d.label()!r} decides on efficacy too; give the true response probability "
                       "per dose (e.g. --eff 0.2,0.4,0.5)")


def _check_fits(d, sc) -> None:
    """Before simulating: the design and the scenario built from the flags agree (doses, efficacy)."""
    _check_dose_count(d, sc.n_doses, "--truth" if sc.p_grade is None else "--grades")
    _check_efficacy_given(d, sc)
    from .designs import Backfill

    if isinstance(d, Backfill):  # the engine's checks, in this command line's words
        if sc.time is None:
            raise CLIError("--window: backfill needs a time model (who arrives while a cohort is in follow-up): give "
                           "--window and --rate (e.g. --window 1 --accrual uniform --rate 3)")
        if not sc.has_efficacy:
            raise CLIError("--eff: backfill opens a dose once a response was seen there; give the true response "
                           "probability per dose (e.g. --eff 0.1,0.2,0.3)")
    if hasattr(d, "n_scores") and sc.p_grade is None:
        raise CLIError(f"--grades: design {d.label()!r} scores toxicity grades; give P(grade 1), P(grade 2), ... per "
                       "dose, doses separated by ';' (e.g. --grades '0.2,0.05,0.02;0.25,0.1,0.05'), instead of --truth")


def _check_n_doses(args) -> None:
    """--n-doses before anything that uses it (the outcomes' dose levels are checked against it)."""
    from . import _validate as v

    n = getattr(args, "n_doses", None)
    if n is not None and not 1 <= n <= v.MAX_DOSES:
        raise CLIError(f"--n-doses: must be an integer from 1 to {v.MAX_DOSES} (the number of dose levels), got {n}")


def _check_next_flags(args) -> None:
    """next and paths: --doses and --target only for the designs that use them (a value the
    recommendation ignores is an error, not a silent no-op)."""
    if args.design not in REGISTRY:
        return  # build_design says so
    fields = {f.name for f in dataclasses.fields(REGISTRY[args.design]) if f.init}
    if getattr(args, "doses", None) is not None and "doses" not in fields and getattr(args, "truth", None) is None:
        users = [n for n, c in REGISTRY.items() if "doses" in {f.name for f in dataclasses.fields(c)}]
        cmd = getattr(args, "command", None) or "next"
        raise CLIError(f"--doses: not used by {cmd} with design {args.design!r} (only {', '.join(users)} model dose "
                       "values)")
    if args.target is not None and "target" not in fields and getattr(args, "truth", None) is None:
        if args.m_safety_threshold is not None and args.m_safety_target is None:
            return  # the safety stop's target
        raise CLIError(f"--target: not used by design {args.design!r} (it has no target DLT probability)")


def cmd_next(args) -> str:
    _check_n_doses(args)
    _check_next_flags(args)
    d = build_design(args, args.target)
    args.outcomes = _outcomes_arg(args)
    n_doses = args.n_doses
    if args.truth is not None:
        n_doses = len(_floats("--truth", args.truth))
    if args.data is not None:
        if not getattr(d, "time_to_event", False):
            raise CLIError("--data: partial follow-up is for the time-to-event designs (tite-boin, tite-crm, "
                           "tite-boin12); "
                           f"give {args.design!r} outcomes such as \"1NNN 2NTN\"")
        if args.outcomes:
            raise CLIError("--data: give either the outcome string or --data, not both")
        if args.window is None:
            raise CLIError("--window: required with --data (length of the DLT window, in the unit of follow_up)")
        rows = _read_patients(args.data, efficacy=bool(getattr(d, "uses_efficacy", False)))
        _require_n_doses(d, n_doses)
        if getattr(d, "uses_efficacy", False):  # TITE-BOIN12: an efficacy window too
            rec = d.next_dose_tite(rows, window=args.window, n_doses=n_doses, current_dose=args.current_dose,
                                   eff_window=args.eff_window)
        else:
            if args.eff_window is not None:
                raise CLIError("--eff-window: only for tite-boin12 (its efficacy assessment window)")
            rec = d.next_dose_tite(rows, window=args.window, n_doses=n_doses, current_dose=args.current_dose)
        what = f"the data in {args.data!r}"
    else:
        if args.window is not None or args.current_dose is not None or args.eff_window is not None:
            flag = "--window" if args.window is not None else (
                "--current-dose" if args.current_dose is not None else "--eff-window")
            raise CLIError(f"{flag}: only with --data (live data with follow-up times)")
        from . import outcomes as _outcomes

        if not hasattr(d, "n_scores"):  # graded designs read grade digits ("1:012"), in their next_dose
            _outcomes.parse(args.outcomes, n_doses)  # a malformed string is the first thing to say
        _require_n_doses(d, n_doses)
        rec = d.next_dose(args.outcomes, n_doses=n_doses)
        what = repr(args.outcomes)
    if args.format == "json":  # the recommendation, then what produced it
        design = d.to_dict()
        if design.get("n_doses", 0) is None:  # the number of dose levels this recommendation used
            design["n_doses"] = len(rec.n_patients)
        data = args.outcomes if args.data is None else what  # the outcome string itself, not its repr
        return _json.dumps({**rec.to_dict(), "data": data, "design": design, "versions": _versions()}, indent=2)
    if args.format == "csv":
        return _next_csv(rec)
    return f"{d.label()} after {what}:\n{rec}"


def _versions() -> dict:
    from .engine.api import _versions as versions

    return versions()


def _next_csv(rec) -> str:
    """``next --format csv``: one row per dose with the per-dose data, then the decision in the same
    rows: ``next`` marks the dose of the next cohort (``next_cohort_size`` patients), ``selected_if_ended``
    the dose selected if the trial ended now, and ``decision`` / ``reason`` (the same in every row)
    say whether the trial continues, stops or waits (accrual suspended). The recommendation's notes
    go to stderr (its warnings already do), as the table and JSON outputs carry them."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    decision = "stop" if rec.stop else ("suspended" if rec.dose is None else "continue")
    if rec.n_eff is not None:  # phase I/II: every per-dose column the design reports
        cols = [k for k in ("n_patients", "n_dlt", "n_eff", "p_tox", "p_eff", "prob_acc_tox", "prob_acc_eff",
                            "utility", "acceptable") if getattr(rec, k) is not None]
        head = ["dose", *cols]

        def values(j: int) -> list:
            return [j + 1, *(_csv_float(getattr(rec, k)[j]) if k.startswith(("p_", "prob", "util"))
                             else (bool(getattr(rec, k)[j]) if k == "acceptable" else int(getattr(rec, k)[j]))
                             for k in cols)]
    else:
        head = ["dose", "n", "dlt", "p_tox"]

        def values(j: int) -> list:
            return [j + 1, int(rec.n_patients[j]), int(rec.n_dlt[j]),
                    "" if rec.p_tox is None else _csv_float(rec.p_tox[j])]
    w.writerow([*head, "next", "next_cohort_size", "selected_if_ended", "decision", "reason"])
    for j in range(len(rec.n_patients)):
        is_next = rec.dose is not None and not rec.stop and rec.dose == j + 1
        w.writerow([*values(j), is_next, rec.cohort_size if is_next else "", rec.selected == j + 1, decision,
                    rec.reason])
    for note in rec.notes:
        print(f"doseesc: note: {note}", file=sys.stderr)
    return buf.getvalue()


def _csv_float(x) -> str:
    return "" if x is None or np.isnan(float(x)) else repr(float(x))


def cmd_paths(args) -> str:
    from .paths import dose_paths, paths_csv, paths_json, paths_text

    _check_n_doses(args)
    _check_next_flags(args)
    args.outcomes = _outcomes_arg(args)
    sc = build_scenario(args) if args.truth is not None else None
    if sc is not None and args.n_doses is not None and args.n_doses != sc.n_doses:
        raise CLIError(f"--n-doses: {args.n_doses} does not match --truth, which has {sc.n_doses} doses")
    d = build_design(args, sc.target if sc is not None else args.target)
    if sc is not None:  # (not _check_fits: its backfill and graded checks would pre-empt the refusal below)
        _check_efficacy_given(d, sc)
    _require_n_doses(d, sc.n_doses if sc is not None else args.n_doses)
    try:
        nodes = dose_paths(d, args.cohorts, args.outcomes, n_doses=args.n_doses, scenario=sc)
    except ValueError as exc:
        if str(exc).startswith("design: "):  # in this command line's words
            raise CLIError("--" + str(exc)) from None
        raise
    if args.format == "json":
        return paths_json(nodes, design=d, scenario=sc, versions=_versions())
    if args.format == "csv":
        return paths_csv(nodes)
    root = nodes[0].outcomes
    return f"{d.label()}: the next {args.cohorts} cohort(s) after {root or 'the start'!r}\n" + paths_text(nodes, root)


def cmd_boundaries(args) -> str:
    """BOIN boundary table (get.boundary), or any interval design's decision table."""
    from .designs.interval import boin_boundaries

    if args.design in (None, "boin"):
        if args.offset is not None and not args.extrasafe:
            raise CLIError("--offset: only with --extrasafe (the offset of its stricter rule at the lowest dose)")
        b = boin_boundaries(target=args.target, max_n=args.max_n, cohort_size=args.cohort_size, p_saf=args.p_saf,
                            p_tox=args.p_tox, cutoff_eli=0.95 if args.cutoff_eli is None else args.cutoff_eli,
                            extrasafe=args.extrasafe, offset=0.05 if args.offset is None else args.offset)
        if args.format == "json":  # the table's columns (n a multiple of the cohort size), as CSV and the table
            d = b.to_dict()
            keep = [i for i, n in enumerate(d["n"]) if n % args.cohort_size == 0]
            for k in ("n", "escalate_if_le", "deescalate_if_ge", "eliminate_if_ge", "stop_if_ge"):
                if d.get(k) is not None:  # no boundary at that n: null, as the CSV's empty cell
                    d[k] = [None if d[k][i] < 0 else d[k][i] for i in keep]
            return _json.dumps({"design": "boin", **d, "versions": _versions()}, indent=2)
        if args.format == "csv":
            d = b.to_dict()
            keys = [k for k in ("n", "escalate_if_le", "deescalate_if_ge", "eliminate_if_ge", "stop_if_ge")
                    if d.get(k) is not None]
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(keys)
            for row in zip(*(d[k] for k in keys)):  # the table's rows: n a multiple of the cohort size
                if row[0] % args.cohort_size == 0:
                    w.writerow(["" if x < 0 else x for x in row])  # no boundary at that n: an empty cell
            return buf.getvalue()
        return str(b)
    if args.design not in REGISTRY or not hasattr(REGISTRY[args.design], "decision_table"):
        names = [k for k, c in REGISTRY.items() if hasattr(c, "decision_table")]
        raise CLIError(f"--design: boundaries are defined for {', '.join(names)}, got {args.design!r}")
    fields = {f.name for f in dataclasses.fields(REGISTRY[args.design]) if f.init}
    opts = {"p_saf": args.p_saf, "p_tox": args.p_tox, "cutoff_eli": args.cutoff_eli,
            "extrasafe": args.extrasafe or None, "offset": args.offset}
    for key, value in opts.items():
        if value is not None and key not in fields:
            raise CLIError(f"--{key.replace('_', '-')}: not an option of design {args.design!r} (only boin)")
    kwargs = {k: x for k, x in opts.items() if x is not None}
    d = REGISTRY[args.design](target=args.target, cohort_size=args.cohort_size, max_n=args.max_n, **kwargs)
    table = d.decision_table()
    if args.format == "json":  # the design, then its decision per number of patients n (one entry per DLT count)
        return _json.dumps({"design": d.to_dict(), "table": {str(k): v for k, v in table.items()},
                            "versions": _versions()}, indent=2)
    shown = {n: row for n, row in table.items() if n % args.cohort_size == 0 or args.cohort_size == 1}
    if args.format == "csv":  # one row per n, one column per number of DLTs y (empty where y > n)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["n", *[f"y_{y}" for y in range(d.max_n + 1)]])
        for n, row in shown.items():
            w.writerow([n, *row, *[""] * (d.max_n - n)])
        return buf.getvalue()
    rows = [f"{d.label()}: decision at a middle dose (E escalate, S stay, D de-escalate, DU de-escalate and eliminate)",
            "n    decision for y = 0, 1, 2, ... DLTs"]
    for n, row in shown.items():
        rows.append(f"{n:<4} " + " ".join(f"{x:<2}" for x in row))
    return "\n".join(rows)


def cmd_whatif(args) -> str:
    from ._whatif import TRIALS, whatif

    trials = ["A", "B"]
    if args.trial is not None:
        trials = [t.strip().upper() for t in args.trial.split(",")]
        if not all(trials):
            raise CLIError(f"--trial: empty item in {args.trial!r}; give trials as A, B or A,B")
        bad = [t for t in trials if t not in TRIALS]
        if bad:
            raise CLIError(f"--trial: must be one or more of {', '.join(TRIALS)} (comma-separated: the seed trials a "
                           f"what-if re-designs), got {bad[0]!r}")
        twice = [t for i, t in enumerate(trials) if t in trials[:i]]
        if twice:
            raise CLIError(f"--trial: {twice[0]} given twice in {args.trial!r}")
    # the phase I/II and graded parts run on trial B only: their options without it change nothing
    phase12_opts = {"--eff-endpoint": args.eff_endpoint, "--eff-discount": args.eff_discount,
                    "--phase12-max-n": args.phase12_max_n, "--no-efftox": args.efftox}
    given = [f for f, x in {**phase12_opts, "--no-phase12": args.phase12, "--no-graded": args.graded}.items()
             if x is not None]
    if given and "B" not in trials:
        raise CLIError(f"{given[0]}: only with trial B (the phase I/II and graded parts run on trial B's doses), "
                       f"got --trial {','.join(trials)}")
    if args.phase12 is False:
        used = [f for f, x in phase12_opts.items() if x is not None]
        if used:
            raise CLIError(f"{used[0]}: not used with --no-phase12 (it is an option of the phase I/II part)")
    if args.plot:
        from . import plot

        plot.check_path(args.plot, "--plot")
        plot._plt()
    if args.report:
        _check_report_file(args.report, "--report")
    from . import _ahead

    # the trial-B options given (the others keep whatif's defaults)
    opts = {k: x for k in ("phase12_max_n", "eff_endpoint", "eff_discount", "phase12", "graded", "efftox")
            if (x := getattr(args, k)) is not None}
    with _ahead.helping():  # on a cold kernel cache, a second process compiles the simulation loops
        res = whatif(trials, target=args.target, max_n=args.max_n, cohort_size=args.cohort_size,
                     discount=args.discount, evidence=args.evidence, blrm=args.blrm,
                     robust_weight=args.robust_weight, n_scenarios=args.n_scenarios,
                     n_trials=args.n_trials, seed=args.seed, progress=args.progress, **opts)
    if args.plot:
        from . import plot

        plot.write(res.figure(), args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.report:
        rep = res.report()
        _io.write(args.report, rep.to_markdown() if str(args.report).lower().endswith(_REPORT_SUFFIXES["md"])
                  else rep.to_html())
        print(f"wrote {args.report}", file=sys.stderr)
    if args.format == "json":
        return res.to_json()
    if args.format == "csv":
        return res.to_csv()
    return res.table()


def evidence_csv(recs) -> str:
    """The evidence records as one long CSV table: per record (trial and dose) one row for its
    DLTs and one per efficacy endpoint, with the counts, how the events and the patients were each
    obtained (stated, derived or missing) and whether it is per dose or for the whole trial."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["record", "trial", "registry", "cell_source", "dose", "dose_unit", "outcome", "key", "endpoint",
                "time", "events", "n", "events_basis", "n_basis", "scope", "headline"])
    for r in recs:
        window = f"{r.dlt_window_days} days" if r.dlt_window_days is not None else ""
        w.writerow([r.id, r.trial, r.registry or "", r.cell_source, f"{r.dose:g}", r.dose_unit, "dlt", "",
                    r.dlt_definition, window, "" if r.dlt is None else r.dlt, "" if r.n is None else r.n,
                    r.basis("dlt"), r.basis("n"), "dose", ""])
        for e in r.efficacy:  # an endpoint's count and denominator come from one statement
            w.writerow([r.id, r.trial, r.registry or "", r.cell_source, f"{r.dose:g}", r.dose_unit, "efficacy",
                        e.key, e.name, e.time, "" if e.responders is None else e.responders, e.n, e.basis, e.basis,
                        e.scope, "true" if e.headline else "false"])
    return buf.getvalue()


def _blrm_prior(args) -> str:
    """``doseesc evidence --blrm-prior DOSES``: the MAP prior from the MSC trials, described, with
    the table to pass as ``--prior`` (JSON) or as a run file's ``prior = {...}`` (TOML)."""
    import json

    from . import _whatif, evidence
    from .engine.api import _versions

    if args.trial is not None:
        raise CLIError("--trial: not used with --blrm-prior (use --exclude to leave trials out of the prior)")
    if args.format == "csv":
        raise CLIError("--format: the BLRM prior is printed as a table or as json, not csv")
    doses = parse_numbers("--blrm-prior", args.blrm_prior)
    d_ref = _whatif.BLRM_D_REF if args.d_ref is None else args.d_ref
    exclude = None
    if args.exclude is not None:
        exclude = [x.strip().upper() for x in args.exclude.split(",")]
        bad = [x for x in exclude if x not in evidence.TRIALS]
        if bad or not all(exclude):
            raise CLIError(f"--exclude: expected trial ids among {', '.join(evidence.TRIALS)} (comma-separated), "
                           f"got {args.exclude!r}")
        if set(exclude) >= set(evidence.TRIALS):
            raise CLIError("--exclude: leaves no trial to build the prior from")
    try:
        mp = evidence.blrm_map_prior(doses, d_ref, exclude=exclude)
        if args.robust_weight != 0:
            mp = mp.robustify(args.robust_weight)
    except ValueError as e:
        msg = str(e)
        for name, flag in (("doses", "--blrm-prior"), ("d_ref", "--d-ref"), ("weight", "--robust-weight")):
            if msg.startswith(f"{name}: "):
                msg = f"{flag}: " + msg[len(name) + 2:]
        raise CLIError(msg) from None
    table = {"weights": list(mp.weights), "means": [list(m) for m in mp.means], "sds": [list(x) for x in mp.sds],
             "corrs": list(mp.corrs)}
    if args.format == "json":
        return _json.dumps({"doses": list(mp.doses), "d_ref": mp.d_ref, "exclude": exclude or [],
                            "robust_weight": mp.robust_weight, "prior": table, "mean_p": list(mp.mean_p),
                            "ess": list(mp.ess), "ess_predictive": list(mp.ess_predictive),
                            "records_used": list(mp.records_used), "description": mp.describe(),
                            "versions": _versions()}, indent=2)
    toml = ("prior = {weights = " + json.dumps(table["weights"]) + ", means = " + json.dumps(table["means"])
            + ", sds = " + json.dumps(table["sds"]) + ", corrs = " + json.dumps(table["corrs"]) + "}")
    doses_txt = ",".join(f"{d:g}" for d in mp.doses)
    lines = [f"BLRM prior from the MSC trials (doseesc {_versions()['doseesc']}): logit p(d) = log(alpha) + "
             f"beta log(d / {mp.d_ref:g}), doses {doses_txt}; "
             + (f"trials {', '.join(exclude)} left out" if exclude else "every trial")
             + (f"; robust component at weight {mp.robust_weight:g}" if mp.robust_weight else ""),
             "",
             f"{'dose':>8}{'prior mean P(DLT)':>20}{'ESS (patients)':>17}"]
    lines += [f"{d:>8g}{m:>20.3f}{e:>17.1f}" for d, m, e in zip(mp.doses, mp.mean_p, mp.ess)]
    lines += ["", textwrap.fill(mp.describe(), width=100), "",
              "As blrm's --prior (with --doses " + doses_txt + f" --d-ref {mp.d_ref:g}):",
              "  --prior '" + json.dumps(table) + "'",
              "In a run file's [[designs]] table (with doses = [" + ", ".join(f"{d:g}" for d in mp.doses)
              + f"], d_ref = {mp.d_ref:g}):", "  " + toml]
    return "\n".join(lines)


def cmd_evidence(args) -> str:
    from . import evidence

    if args.blrm_prior is not None:
        return _blrm_prior(args)
    for flag, value, default in (("--d-ref", args.d_ref, None), ("--exclude", args.exclude, None),
                                 ("--robust-weight", args.robust_weight, 0.0)):
        if value != default:
            raise CLIError(f"{flag}: only used with --blrm-prior DOSES")
    if args.trial is not None:
        args.trial = args.trial.strip().upper()  # as whatif reads --trial

    if args.format == "csv":
        return evidence_csv(evidence.records(args.trial)).rstrip("\n")
    if args.format == "json":
        return _json.dumps([r.to_dict() if hasattr(r, "to_dict") else dataclasses.asdict(r)
                           for r in evidence.records(args.trial)], indent=2, default=str)
    eff = evidence.endpoints(args.trial)
    if not eff:
        return evidence.table(args.trial)
    lines = ["", "Efficacy endpoints (different definitions: not pooled unless you choose to; "
                 "* = the trial's headline response endpoint)"]
    lines += [("* " if e.headline else "  ") + e.describe() for e in eff]
    return evidence.table(args.trial) + "\n" + "\n".join(lines)


def run_results(spec, args):
    """The results of a run file, as ``doseesc run`` and ``doseesc report`` compute them:
    (``results[i][j]`` for design i under scenario j, the Comparison or None in exact mode)."""
    from .engine import compare, exact

    if spec.mode == "exact":
        return [[exact(d, sc) for sc in spec.scenarios] for d in spec.designs], None
    with backend_from(args.backend, args.backend_timeout) as backend:
        cmp = compare(spec.designs, spec.scenarios, n_trials=spec.n_trials, seed=spec.seed, threads=spec.threads,
                      progress=args.progress, backend=backend)
    return cmp.oc, cmp


def cmd_run(args) -> str:
    from . import config

    spec = config.load(args.file)
    if "calibrate" in spec.raw:
        raise CLIError(f"{args.file}: has a [calibrate] table: run it with 'doseesc calibrate {args.file}'")
    out_dir = args.out or spec.out_dir
    fmt = args.format or spec.format
    scenario_plots = spec.scenario_plots or args.scenario_plots
    if out_dir:  # before any work: a folder we can write, not silently overwriting earlier results
        names = RUN_OUTPUTS + (_scenario_plot_names(spec) if spec.plots and scenario_plots else [])
        _io.prepare_output_dir(out_dir, "--out", names, args.force)
    run = spec.resolved()
    try:
        results, cmp = run_results(spec, args)
    except ValueError as exc:  # a design and a scenario that do not fit together: say which file
        raise CLIError(f"{args.file}: {str(exc).splitlines()[0]}") from None
    ocs = [(i, j, results[i][j]) for i in range(len(spec.designs)) for j in range(len(spec.scenarios))]
    payload = {"run": run, "results": [{"design": spec.designs[i].label(), "scenario": spec.scenarios[j].label(),
                                        **{k: v for k, v in oc.to_dict().items() if k not in ("design", "scenario")}}
                                       for i, j, oc in ocs]}
    if cmp is not None and len(spec.designs) > 1:
        payload["paired_differences"] = [
            {k: v for k, v in r.items() if "diff_vs_first" in k or k in ("design", "scenario")}
            for r in cmp.to_dict()["results"] if any("diff_vs_first" in k for k in r)]
    text_parts = [oc.summary() for _, _, oc in ocs]
    if cmp is not None and len(spec.designs) > 1:
        text_parts.append(cmp.summary())
    table = "\n\n".join(text_parts)
    csv_text = _results_csv(run, ocs, spec)
    if out_dir:
        _io.write(os.path.join(out_dir, "results.json"), _json.dumps(payload, indent=2))
        _io.write(os.path.join(out_dir, "results.csv"), csv_text)
        _io.write(os.path.join(out_dir, "results.txt"), "# run: " + _json.dumps(run) + "\n\n" + table + "\n")
        written = ["results.json", "results.csv", "results.txt"]
        if spec.plots:
            written += _run_figures(out_dir, run, results, spec, scenario_plots)
        print(f"wrote {', '.join(os.path.join(out_dir, w) for w in written)}", file=sys.stderr)
    if fmt == "json":
        return _json.dumps(payload, indent=2)
    if fmt == "csv":
        return csv_text
    return table


def cmd_calibrate(args) -> str:
    from . import calibration

    if args.top is not None and args.top < 1:
        raise CLIError(f"--top: must be an integer >= 1 (the number of candidates listed), got {args.top}")
    _check_plot(args)  # before the calibration's work, as simulate, compare and whatif
    return calibration.cli(args)


RUN_FILE_HELP = """Run every design of a TOML run file on every scenario, on the same simulated patients.

Top-level keys: n_trials (default 10000), mode ("simulate" or "exact"), threads.
[random] seed (an integer from 0 to 2**64 - 1; default 1).
[output] dir (results folder), format ("table", "json", "csv"), plots (true/false).
[[designs]] one table per design: design = one of the --design names; every other key is an
  option of that design as on the command line, with underscores (cohort_size = 3), plus the
  composable rules (stop_n_at_dose, safety_threshold, safety_target, dont_skip, stop_at,
  select_min_n) and name = "a label".
[[scenarios]] p_tox = [...] and target (required); doses, dose_unit, p_ae, mtd_band, name;
  [scenarios.time] window, accrual, rate, onset, shape, waiting, dropout, late_share, late_part,
  eff_window, eff_onset, eff_shape, eff_late_share, eff_late_part.
Errors name the key and its line. Example:

  n_trials = 20000
  [random]
  seed = 1
  [[designs]]
  design = "boin"
  target = 0.25
  cohort_size = 3
  max_n = 24
  [[designs]]
  design = "crm"
  name = "CRM, MTD guess at dose 3"
  skeleton = [0.05, 0.12, 0.25, 0.40]
  target = 0.25
  cohort_size = 3
  max_n = 24
  [[scenarios]]
  p_tox = [0.05, 0.10, 0.25, 0.40]
  target = 0.25
"""

RUN_OUTPUTS = ["results.json", "results.csv", "results.txt", "comparison.png"]


def _scenario_plot_names(spec) -> list[str]:
    return [f"oc_design{i + 1}_scenario{j + 1}.png" for i in range(len(spec.designs))
            for j in range(len(spec.scenarios))]


def _results_csv(run: dict, ocs, spec) -> str:
    """Plain CSV: one header row, then one row per design, scenario, metric and dose (the resolved
    run is in results.json and results.txt; a CSV file has no place for it)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["design", "scenario", "metric", "dose", "dose_value", "value", "se"])
    for i, j, oc in ocs:
        body = oc_csv(oc).splitlines()[1:]
        for line in csv.reader(body):
            w.writerow([spec.designs[i].label(), spec.scenarios[j].label(), *line])
    return buf.getvalue()


def _run_figures(out_dir, run, results, spec, scenario_plots: bool) -> list[str]:
    """One comparison figure for the run (every design under every scenario, shared scales);
    one figure per design and scenario only when asked for (``scenario_plots``)."""
    try:
        from . import plot

        plot._plt()
    except ValueError as exc:
        print(f"doseesc: note: {exc}; no figures written", file=sys.stderr)
        return []
    meta = {"Description": _json.dumps(run)}
    plot.write(plot.run_figure(spec.designs, spec.scenarios, results), os.path.join(out_dir, "comparison.png"),
               metadata=meta)
    names = ["comparison.png"]
    if scenario_plots:
        for (i, j), name in zip([(i, j) for i in range(len(spec.designs)) for j in range(len(spec.scenarios))],
                                _scenario_plot_names(spec)):
            plot.write(plot.figure(results[i][j]), os.path.join(out_dir, name), metadata=meta)
            names.append(name)
    return names


_REPORT_SUFFIXES = {"html": (".html", ".htm"), "md": (".md", ".markdown")}


def _check_report_file(path: str, flag: str, fmt: str | None = None) -> None:
    """Before any work: a report's file name ends in its format's extension (.html/.htm, .md;
    ``fmt`` None: either) and can be written; a folder is met with a report's file name."""
    name = str(path)
    if os.path.isdir(name):
        raise CLIError(f"{flag}: {name} is a folder; give a file name such as {os.path.join(name, 'report.html')}")
    low = name.lower()
    if fmt is None:
        if not low.endswith(_REPORT_SUFFIXES["html"] + _REPORT_SUFFIXES["md"]):
            raise CLIError(f"{flag}: file name must end in .html or .md (the report's format), got {name!r}")
    elif not low.endswith(_REPORT_SUFFIXES[fmt]):
        want = " or ".join(_REPORT_SUFFIXES[fmt])
        raise CLIError(f"{flag}: file name must end in {want} for --format {fmt}, got {name!r}")
    _io.check_output_file(name, flag)


def cmd_report(args) -> str:
    """The protocol report of a run file (HTML or Markdown), from the results ``run`` computes."""
    from . import config
    from .report import run_report

    fmt = args.format
    if fmt is None:
        fmt = "md" if args.output and args.output.lower().endswith(_REPORT_SUFFIXES["md"]) else "html"
    if args.output:  # before any work: a file name that says its format, in a folder we can write
        _check_report_file(args.output, "--output", fmt if args.format is not None else None)
    spec = config.load(args.file)
    if not args.no_figure:
        try:
            from . import plot

            plot._plt()
        except ValueError as exc:
            print(f"doseesc: note: {exc}; the report will have no figure", file=sys.stderr)
    results, cmp = run_results(spec, args)
    rep = run_report(spec, cmp if cmp is not None else results, path_cohorts=args.path_cohorts,
                     figure=not args.no_figure)
    text = rep.to_html() if fmt == "html" else rep.to_markdown()
    if args.output:
        _io.write(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
        return ""
    return text


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="doseesc", description="Simulate dose-escalation trial designs: fast, exact where possible, "
                                            "reproducible.", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--version", action="version", version=f"doseesc {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    s = sub.add_parser("simulate", help="Monte Carlo operating characteristics of one design (flags or a TOML run "
                                        "file)")
    s.add_argument("file", nargs="?", default=None,
                   help="a TOML run file instead of the design, scenario and run flags: runs it as 'doseesc run "
                        "FILE' does (every design and scenario in it; --format, --progress and --backend apply) "
                        "(default: none, the flags)")
    add_design_flags(s)
    add_scenario_flags(s)
    for action in s._actions:  # required unless a run file is given (checked in cmd_simulate)
        if action.dest in _SIMULATE_REQUIRED:
            action.required = False
    add_run_flags(s)
    s.add_argument("--se-target", type=_num, metavar="X",
                   help="precision-targeted run: simulate until the SE of every headline metric (selection of each "
                        "dose, no selection, correct selection, selection above the MTD) is below X, e.g. 0.005; "
                        "--n-trials is then the most trials to run (default: 10000000); the result depends only on "
                        "the seed and X (default: off, run --n-trials)")
    add_output_flags(s)
    s.set_defaults(func=cmd_simulate, n_trials=None)

    e = sub.add_parser("exact", help="exact operating characteristics (enumerating every trial path)")
    add_design_flags(e)
    add_scenario_flags(e)
    add_output_flags(e)
    e.set_defaults(func=cmd_exact)

    c = sub.add_parser("compare", help="several designs on the same simulated patients (paired differences)")
    c.add_argument("--designs", required=True, metavar="A,B,...",
                   help=f"designs to compare (required): any of {', '.join(REGISTRY)}; the same design twice with "
                        "options of its own in brackets, e.g. 'boin[p_saf=0.12;name=BOIN narrow],boin' "
                        "or 'boin,boin[backfill_cap=12;name=BF-BOIN]' (options given as flags apply to every design "
                        "that has them)")
    add_design_flags(c, required=False)
    add_scenario_flags(c)
    add_run_flags(c)
    add_output_flags(c)
    c.set_defaults(func=cmd_compare)

    nx = sub.add_parser("next", help="live trial: recommended next dose given the outcomes so far")
    nx.add_argument("outcomes", nargs="?", default="",
                    help="cohorts so far, e.g. \"1NNN 2NTN\" (dose level, then N/T per patient; with efficacy "
                         "E = response, B = both, e.g. \"1NEN 2EBT\"); default: none")
    nx.add_argument("--outcomes", dest="outcomes_flag", metavar="TEXT", help="the same, as an option (default: none)")
    nx.add_argument("--data", metavar="FILE.csv",
                    help="time-to-event designs: a CSV, one row per patient, header naming dose, dlt, follow_up "
                         "(and optionally dropped); - reads standard input (default: the outcome string)")
    nx.add_argument("--window", type=_num, metavar="X",
                    help="with --data: the DLT window, in follow_up's unit (required)")
    nx.add_argument("--eff-window", type=_num, metavar="X",
                    help="with --data and tite-boin12: the efficacy window, in follow_up's unit (default: --window); "
                         "the CSV then also names eff and eff_follow_up")
    nx.add_argument("--current-dose", type=_int, metavar="K",
                    help="with --data: dose of the latest decision (default: the latest patient's)")
    add_design_flags(nx)
    nx.add_argument("--target", type=_num, metavar="X", help="target DLT probability (required by designs with one)")
    nx.add_argument("--n-doses", type=_int, metavar="N",
                    help="number of dose levels (required unless the design fixes it)")
    nx.add_argument("--doses", metavar="X,X,...",
                    help="dose values, for designs that model them (blrm, ewoc) (default: none)")
    nx.add_argument("--truth", metavar="P,P,...", help=argparse.SUPPRESS)
    nx.add_argument("--format", choices=("table", "json", "csv"), default="table",
                    help="output format (default: table)")
    nx.set_defaults(func=cmd_next)

    pa = sub.add_parser("paths", help="dose-transition pathways: every outcome of the next cohorts and the decisions")
    pa.add_argument("--cohorts", type=_int, default=2, metavar="K", help="number of future cohorts (default: 2)")
    pa.add_argument("outcomes", nargs="?", default="",
                    help="outcomes so far, e.g. \"1NNN 2NTN\" (the root of the pathways); default: none")
    pa.add_argument("--outcomes", dest="outcomes_flag", metavar="TEXT", help="the same, as an option (default: none)")
    add_design_flags(pa)
    add_scenario_flags(pa, required=False)
    pa.add_argument("--n-doses", type=_int, metavar="N",
                    help="number of dose levels (required unless --truth gives it)")
    pa.add_argument("--format", choices=("table", "json", "csv"), default="table",
                    help="output format (default: table)")
    pa.set_defaults(func=cmd_paths)

    r = sub.add_parser("run", help="run a TOML run file (several designs and scenarios, outputs)",
                       description=RUN_FILE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("file", help="the run file, e.g. design.toml")
    r.add_argument("--out", metavar="DIR", help="write results.json/csv/txt and figures to DIR (default: none)")
    r.add_argument("--force", action="store_true", help="with --out: replace results already in DIR (default: refuse)")
    r.add_argument("--format", choices=("table", "json", "csv"), default=None,
                   help="terminal output format (default: table)")
    r.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="always show progress (default: on a terminal)")
    r.add_argument("--no-progress", dest="progress", action="store_false",
                   help="never show progress (default: on a terminal)")
    r.add_argument("--scenario-plots", action="store_true",
                   help="with --out: also one figure per design and scenario (run file: [output] scenario_plots; "
                        "default: one comparison figure only)")
    add_backend_flag(r)
    r.set_defaults(func=cmd_run)

    rp = sub.add_parser("report", help="protocol report of a TOML run file: each design's specification, decision "
                                       "and pathway tables, operating characteristics, paired comparison, figure")
    rp.add_argument("file", help="the run file, e.g. design.toml")
    rp.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (default: standard output)")
    rp.add_argument("--format", choices=("html", "md"), default=None,
                    help="html (one self-contained file) or md (Markdown); default: from the --output name, else html")
    rp.add_argument("--path-cohorts", type=_int, metavar="K",
                    help="cohorts in the dose-transition pathway tables, 1 to 3 (default: 3 for cohorts of 1-2 "
                         "patients, else 2; phase I/II designs, with 20 outcomes for a cohort of 3: 2 for cohorts of "
                         "1, else 1)")
    rp.add_argument("--no-figure", action="store_true", help="leave out the comparison figure (default: included)")
    rp.add_argument("--progress", dest="progress", action="store_true", default=None,
                    help="always show progress (default: on a terminal)")
    rp.add_argument("--no-progress", dest="progress", action="store_false",
                    help="never show progress (default: on a terminal)")
    add_backend_flag(rp)
    rp.set_defaults(func=cmd_report)
    from .calibration import RUN_FILE_HELP as CALIBRATE_HELP

    ca = sub.add_parser("calibrate", help="choose a design's parameters by simulation (a run file with [calibrate])",
                        description=CALIBRATE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    ca.add_argument("file", help="the run file, e.g. calibrate.toml")
    ca.add_argument("--out", metavar="DIR",
                    help="write calibration.json/txt, calibrated.toml and calibration.png to DIR (default: none)")
    ca.add_argument("--force", action="store_true", help="with --out: replace results already in DIR (default: refuse)")
    ca.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    ca.add_argument("--top", type=_int, metavar="K", help="candidates listed (default: the file's top, else 5)")
    ca.add_argument("--plot", metavar="FILE.png", help="also write the figure of the objective (default: none)")
    add_backend_flag(ca)
    ca.set_defaults(func=cmd_calibrate)

    b = sub.add_parser("boundaries", help="BOIN escalation/de-escalation/elimination boundaries (or an interval "
                                          "design's decision table)")
    b.add_argument("--design", default="boin", metavar="NAME", help="boin (default), mtpi, mtpi2, keyboard or i3+3")
    b.add_argument("--target", type=_num, required=True, metavar="X", help="target DLT probability (required)")
    b.add_argument("--max-n", type=_int, default=30, metavar="N", help="tabulate n = 1 .. N patients (default: 30)")
    b.add_argument("--cohort-size", type=_int, default=1, metavar="N", help="cohort size (default: 1)")
    b.add_argument("--p-saf", type=_num, metavar="X", help="BOIN: highest DLT rate deemed subtherapeutic "
                                                           "(default 0.6 * target)")
    b.add_argument("--p-tox", type=_num, metavar="X", help="BOIN: lowest DLT rate deemed overly toxic "
                                                           "(default 1.4 * target)")
    b.add_argument("--cutoff-eli", type=_num, metavar="X", help="elimination cutoff (default: 0.95)")
    b.add_argument("--extrasafe", action="store_true",
                   help="BOIN: also the stricter rule at the lowest dose (default: off)")
    b.add_argument("--offset", type=_num, metavar="X", help="BOIN extrasafe offset (default: 0.05)")
    b.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format (default: table)")
    b.set_defaults(func=cmd_boundaries)

    w = sub.add_parser("whatif", help="the main job: the MSC lupus trials' designs vs the alternatives, on "
                                      "fixed and prior-predictive scenarios (no arguments needed)")
    w.add_argument("--trial", metavar="A,B", help="which seed trials: A (BM-MSC, 3+3 on 2/3), B (UC-MSC, Bayesian on "
                                                  "1/2/4) or both (default: A,B)")
    w.add_argument("--target", type=_num, default=0.2, metavar="X", help="target DLT probability (default: 0.2)")
    w.add_argument("--max-n", type=_int, metavar="N", help="maximum sample size (default: 12 for both trials)")
    w.add_argument("--cohort-size", type=_int, default=3, metavar="N",
                   help="cohort size of the alternatives (default: 3)")
    w.add_argument("--discount", type=_num, default=0.5, metavar="W",
                   help="weight, in [0, 1], of the evidence trials' DLT data in the prior: 1 pools the BM-, UC- and "
                        "AD-MSC trials at full weight, 0 ignores them (default: 0.5, each of their patients counts "
                        "as half a patient)")
    w.add_argument("--no-blrm", dest="blrm", action="store_false",
                   help="leave out the BLRM with the MAP prior from the evidence trials (default: included; its "
                        "prior's fit takes a few seconds once, then it is cached)")
    w.add_argument("--robust-weight", type=_num, default=0.2, metavar="W",
                   help="with the BLRM: also run it under the robust MAP prior, a weakly informative component "
                        "added at this weight in [0, 1) (Schmidli et al. 2014), so that data in conflict with the "
                        "evidence trials can move it; 0 leaves that row out (default: 0.2)")
    w.add_argument("--no-phase12", dest="phase12", action="store_false", default=None,
                   help="leave out the phase I/II question on trial B's doses 1/2/4 (which dose is the optimal "
                        "biological dose: BOIN12 beside the toxicity-only designs; default: included with trial B)")
    w.add_argument("--no-efftox", dest="efftox", action="store_false", default=None,
                   help="leave EffTox out of the phase I/II part (default: included; it simulates more slowly than "
                        "BOIN12, about 10-20 s on the default settings, and its results are kept on disk)")
    w.add_argument("--no-graded", dest="graded", action="store_false", default=None,
                   help="leave out what counting grade 1-2 adverse events changes (gBOIN beside BOIN on trial B's "
                        "doses, priors from the trials that state AE grades; default: included with trial B)")
    w.add_argument("--phase12-max-n", type=_int, metavar="N",
                   help="maximum sample size of every design in the phase I/II part (default: 18)")
    w.add_argument("--eff-endpoint", metavar="KEY",
                   help="the seed-trial efficacy endpoint behind the phase I/II prior-predictive curves and the "
                        "efficacy assessment time, one of B:status-M3, B:response-M12, C:renal-CR-M3, C:renal-PR-M3, "
                        "C:renal-CRPR-M3, D:SRI4-W20 (default: B:response-M12, trial B's month-12 clinical response)")
    w.add_argument("--eff-discount", type=_num, metavar="W",
                   help="weight, in [0, 1], of each of that endpoint's patients in the efficacy prior (default: 0.5)")
    w.add_argument("--evidence", choices=("others", "all"), default="others",
                   help="which trials inform each trial's prior: 'others' leaves the redesigned trial's own data "
                        "out, 'all' includes it (circular) (default: others)")
    w.add_argument("--n-scenarios", type=_int, default=200, metavar="N", help="prior-predictive curves (default: 200)")
    w.add_argument("--n-trials", type=_int, default=250, metavar="N", help="trials per curve (default: 250)")
    w.add_argument("--seed", type=_int, default=1, metavar="N", help="random seed (default: 1)")
    w.add_argument("--plot", metavar="FILE.png",
                   help="also write one figure of the comparison, .png, .pdf or .svg (needs matplotlib; default: none)")
    w.add_argument("--report", metavar="FILE.html",
                   help="also write the what-if as a self-contained report, .html or .md (default: none)")
    w.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format (default: table)")
    w.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="always show progress (default: on a terminal)")
    w.add_argument("--no-progress", dest="progress", action="store_false",
                   help="never show progress (default: on a terminal)")
    w.set_defaults(func=cmd_whatif)

    ev = sub.add_parser("evidence", help="the MSC lupus trials behind the built-in priors")
    ev.add_argument("--trial", metavar="ID", help="one trial only: A, B, C or D (default: all)")
    ev.add_argument("--format", choices=("table", "json", "csv"), default="table",
                    help="output format: table, json (every field), or csv (one row per trial, dose and outcome: "
                         "DLTs and each efficacy endpoint) (default: table)")
    g = ev.add_argument_group(
        "a BLRM prior from the trials (the what-if's MAP prior, for a design of your own: pass the printed table as "
        "blrm's --prior, or as a run file's prior = {...})")
    g.add_argument("--blrm-prior", metavar="X,X,...",
                   help="the new trial's doses (the MSC trials' unit, x10^6 cells/kg): print the meta-analytic-"
                        "predictive (MAP) prior for the BLRM's (log alpha, log beta) from the trials, with its prior "
                        "mean P(DLT) and effective sample size at each dose (default: not built)")
    g.add_argument("--d-ref", type=_num, default=None, metavar="X",
                   help="the BLRM's reference dose, in the same unit (default: 2, the dose most of the evidence was "
                        "given at, as in the what-if)")
    g.add_argument("--exclude", metavar="ID,ID", default=None,
                   help="trials to leave out of the prior, e.g. B (default: none, every trial)")
    g.add_argument("--robust-weight", type=_num, default=0.0, metavar="W",
                   help="add a weakly informative component at this weight in [0, 1) (a robust MAP prior, Schmidli "
                        "et al. 2014; the what-if's robust BLRM uses 0.2) (default: 0, none)")
    ev.set_defaults(func=cmd_evidence)
    return p


def _execute(args) -> tuple[str, list[str]]:
    """Run the command; returns its output and the warnings it raised (one line each)."""
    from ._jit import compile_notice

    with warnings.catch_warnings(record=True) as caught, compile_notice():
        warnings.simplefilter("always")
        out = args.func(args)
    notes = []
    for w in caught:
        line = str(w.message).splitlines()[0] if str(w.message) else w.category.__name__
        if line not in notes:
            notes.append(line)
    return out, notes


def _execute_interruptibly(args) -> tuple[str, list[str]]:
    """Run the command in a worker thread so that Ctrl-C reaches this (main) thread at once,
    even while a compiled kernel runs (numba kernels do not see signals): on Ctrl-C the
    process removes its unfinished output files and exits with status 130."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = _execute(args)
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="doseesc-command", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        _io.discard_partial()
        print("doseesc: interrupted", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(130)
    if "error" in box:
        raise box["error"]
    return box["result"]


def main(argv: Sequence[str] | None = None, *, interruptible: bool = False) -> int:
    """The ``doseesc`` command. Every error is one line on stderr with exit status 2 (bad
    input or a request beyond the stated limits) or 1 (an internal error); never a traceback
    (set ``DOSEESC_DEBUG=1`` to see one). Warnings print as ``doseesc: warning: ...``."""
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)  # the flags as given (simulate FILE checks them)
        out, notes = _execute_interruptibly(args) if interruptible else _execute(args)
    except (CLIError, ValueError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        if msg.endswith("; use simulate()"):  # the library's advice, in this command line's words
            msg = msg.removesuffix("simulate()") + "doseesc simulate (with --se-target for a stated precision)"
        print(f"doseesc: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _io.discard_partial()
        print("doseesc: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        _io.discard_partial()
        print("doseesc: error: not enough memory for this request (ask for fewer trials, scenarios, doses or "
              "patients)", file=sys.stderr)
        return 2
    except Exception as exc:
        _io.discard_partial()
        if os.environ.get("DOSEESC_DEBUG"):
            raise
        if isinstance(exc, SystemError) and isinstance(exc.__context__ or exc.__cause__, KeyboardInterrupt):
            print("doseesc: interrupted", file=sys.stderr)
            return 130
        msg = str(exc).splitlines()[0] if str(exc) else ""
        print(f"doseesc: internal error: {exc.__class__.__name__}: {msg} (please report it; DOSEESC_DEBUG=1 shows "
              "the traceback)", file=sys.stderr)
        return 1
    for note in notes:  # on stderr unless the table already prints it
        if not out or f"warning: {note}" not in out:
            print(f"doseesc: warning: {note}", file=sys.stderr)
    if out:
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 0


def console() -> None:  # pragma: no cover - the installed ``doseesc`` script
    code = main(interruptible=True)
    if not os.environ.get("DOSEESC_DEBUG"):
        _exit_now(code)
    sys.exit(code)


def _exit_now(code: int) -> None:
    """End the process without the interpreter's own teardown, which with numba's compiled code
    loaded takes 0.2-0.45 s on this project's 2-core machine (a warm ``doseesc whatif``: 2.72 s
    to its last exit handler, 3.19 s to the end of the process; ``python -c "import doseesc.cli"``:
    0.46 s, then 0.2 s more) -- freeing objects the process is about to drop anyway. What the
    teardown does that matters runs first, in the same order as Python's own exit: other
    non-daemon threads are joined, the ``atexit`` handlers run (thread and process pools, the
    finalizers of temporary folders, coverage and the like), stdout and stderr are flushed.
    Where a flush fails (a closed pipe), the ordinary exit takes over and reports it as before.
    ``DOSEESC_DEBUG=1`` keeps the ordinary exit."""
    import atexit

    me = threading.current_thread()
    for t in threading.enumerate():
        if t is not me and not t.daemon:
            t.join()
    atexit._run_exitfuncs()  # each handler's error is printed and the rest still run, as at exit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    console()
