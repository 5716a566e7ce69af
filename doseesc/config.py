"""TOML run files: designs, scenarios, seed and outputs in one file.

Keys equal the Python constructor arguments. Errors name the key and its line::

    run.toml line 9: designs[1].cohort_size: must be an integer >= 1, got 0

Example
-------
.. code-block:: toml

    n_trials = 20000
    [random]
    seed = 1
    [[designs]]
    design = "boin"          # "3+3", "crm", "mtpi2", ... as on the CLI
    target = 0.25
    cohort_size = 3
    max_n = 24
    [[scenarios]]
    p_tox = [0.05, 0.10, 0.20, 0.35]
    target = 0.25

A design table may add backfill cohorts (BOIN, 3+3, CRM, BLRM: ``design.with_backfill``) with
``backfill = {cap = 12, end_with_escalation = true}``; a scenario may be graded (gBOIN,
quasi-CRM) with ``p_grade = [[P(grade 1), P(grade 2), ...], ...]`` (one row per dose) instead of
``p_tox``, and ``dlt_grade`` (default 3).
"""

from __future__ import annotations

import dataclasses
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .designs import REGISTRY, Design
from .designs.base import option_kind
from .designs.modifiers import Modified
from .scenario import NonMonotoneWarning, Scenario, falls_note, quiet_falls
from .timemodel import TimeModel

TOP_KEYS = {"n_trials", "mode", "threads", "random", "designs", "scenarios", "output", "calibrate"}
MODES = ("simulate", "exact")
RANDOM_KEYS = {"seed"}
OUTPUT_KEYS = {"dir", "format", "plots", "scenario_plots"}
SCENARIO_KEYS = {"p_tox", "target", "doses", "dose_unit", "p_ae", "mtd_band", "name", "time", "p_eff", "p_both",
                 "association", "association_param", "utility", "obd", "eff_min", "p_grade", "dlt_grade"}
#: keys of a design's ``backfill = {...}`` table (``design.with_backfill``)
BACKFILL_KEYS = ("cap", "end_with_escalation", "wait_for_backfill")
TIME_KEYS = {f.name for f in dataclasses.fields(TimeModel)}
MODIFIER_KEYS = {f.name for f in dataclasses.fields(Modified) if f.name != "base"}


class RunFileError(ValueError):
    """A problem in a run file, located by key and line."""


@dataclass
class RunSpec:
    """A resolved run file."""

    designs: list
    scenarios: list
    n_trials: int = 10_000
    seed: int = 1
    mode: str = "simulate"
    threads: int | None = None
    out_dir: str | None = None
    format: str = "table"
    plots: bool = True
    scenario_plots: bool = False
    source: str = ""
    raw: dict = field(default_factory=dict)

    def resolved(self) -> dict:
        """The run as it will be executed: echoed into every output file."""
        import numba
        import numpy as np

        from . import __version__

        return {
            "source": self.source,
            "mode": self.mode,
            "n_trials": self.n_trials if self.mode == "simulate" else None,
            "seed": self.seed,
            "designs": [d.to_dict() for d in self.designs],
            "scenarios": [s.to_dict() for s in self.scenarios],
            "versions": {"doseesc": __version__, "numba": numba.__version__, "numpy": np.__version__},
        }


class _Lines:
    """Where each key of each table sits in the file (tomllib gives no positions), keys of inline
    tables included (``grid = { foo = [1, 2] }`` records ``(..., "grid", "foo")``), on the line
    where each key is written even when a value spans several lines."""

    HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
    KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]+\")\s*=")
    _BARE = re.compile(r"[A-Za-z0-9_\-]+")

    def __init__(self, text: str):
        self.pos: dict[tuple, int] = {}
        counts: dict[str, int] = {}
        table: tuple = ()
        self._stack: list[list] = []  # open inline tables ["{", path, key expected, value path] and arrays
        self._string: str | None = None  # the delimiter of an open multi-line string
        for no, line in enumerate(text.splitlines(), start=1):
            if self._stack or self._string:  # inside a value that began on an earlier line
                self._scan(line, 0, no)
                continue
            m = self.HEADER.match(line)
            if m:
                name = m.group(2).strip()
                parts = name.split(".")
                if m.group(1) == "[[":
                    counts[name] = counts.get(name, -1) + 1
                    table = (name, counts[name])
                elif len(parts) > 1 and parts[0] in counts:  # e.g. [scenarios.time]
                    table = (parts[0], counts[parts[0]], *parts[1:])
                else:
                    table = (name,)
                self.pos.setdefault(table, no)
                continue
            k = self.KEY.match(line)
            if k:
                path = (*table, k.group(1).strip('"'))
                self.pos.setdefault(path, no)
                self._stack = [["=", path]]  # the value of this key
                self._scan(line, k.end(), no)
                if self._stack and self._stack[0][0] == "=":
                    self._stack.pop(0)

    def _scan(self, line: str, i: int, no: int) -> None:
        """Follow a value from ``line[i:]``: strings, arrays and inline tables (whose keys are
        recorded), carrying an open array, inline table or multi-line string to the next line."""
        stack = self._stack
        n = len(line)
        while i < n:
            if self._string:
                end = line.find(self._string, i)
                while end > 0 and self._string[0] == '"' and _escaped(line, end):
                    end = line.find(self._string, end + 1)
                if end < 0:
                    if len(self._string) == 1:  # a one-line string cannot continue
                        self._string = None
                    return
                i = end + len(self._string)
                self._string = None
                continue
            c = line[i]
            top = stack[-1] if stack else None
            if c in " \t":
                i += 1
            elif c == "#":
                return
            elif top is not None and top[0] == "{" and top[2]:  # a key of an inline table
                keys = []
                while True:
                    while i < n and line[i] in " \t":
                        i += 1
                    if i < n and line[i] in "\"'":
                        end = line.find(line[i], i + 1)
                        if end < 0:
                            return
                        keys.append(line[i + 1:end])
                        i = end + 1
                    else:
                        m = self._BARE.match(line, i)
                        if not m:
                            break
                        keys.append(m.group(0))
                        i = m.end()
                    while i < n and line[i] in " \t":
                        i += 1
                    if i < n and line[i] == ".":
                        i += 1
                        continue
                    break
                if not keys:  # "}" of an empty table, or a trailing comma
                    top[2] = False
                    continue
                top[3] = (*top[1], *keys)
                self.pos.setdefault(top[3], no)
                top[2] = False
                if i < n and line[i] == "=":
                    i += 1
            elif c in "\"'":
                self._string = c * 3 if line.startswith(c * 3, i) else c
                i += len(self._string)
            elif c == "{":
                stack.append(["{", self._value_path(), True, None])
                i += 1
            elif c == "[":
                stack.append(["[", self._value_path(), 0])
                i += 1
            elif c in "}]":
                if stack and stack[-1][0] != "=":
                    stack.pop()
                i += 1
            elif c == ",":
                if top is not None and top[0] == "{":
                    top[2] = True
                elif top is not None and top[0] == "[":
                    top[2] += 1
                i += 1
            else:
                i += 1

    def _value_path(self) -> tuple:
        top = self._stack[-1] if self._stack else None
        if top is None:
            return ()
        if top[0] == "=":
            return top[1]
        if top[0] == "{":
            return top[3] or top[1]
        return (*top[1], top[2])

    def line(self, *path) -> int | None:
        while path:
            if path in self.pos:
                return self.pos[path]
            path = path[:-1]
        return None


def _escaped(line: str, i: int) -> bool:
    """Whether ``line[i]`` follows an odd number of backslashes."""
    k = i - 1
    while k >= 0 and line[k] == "\\":
        k -= 1
    return (i - 1 - k) % 2 == 1


def _label(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p + 1}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


class _Ctx:
    def __init__(self, source: str, lines: _Lines):
        self.source = source
        self.lines = lines

    def error(self, path: tuple, message: str) -> RunFileError:
        line = self.lines.line(*path)
        where = f"{self.source} line {line}" if line else self.source
        return RunFileError(f"{where}: {_label(path)}: {message}")

    def warn(self, path: tuple, message: str, category: type[Warning] = UserWarning) -> None:
        """A warning located like an error: ``run.toml line 9: scenarios[2].p_tox: ...``."""
        line = self.lines.line(*path)
        where = f"{self.source} line {line}" if line else self.source
        level, frame = 1, sys._getframe(1)
        while frame is not None and frame.f_code.co_filename == __file__:  # point at the caller of parse/load
            frame = frame.f_back
            level += 1
        warnings.warn(f"{where}: {_label(path)}: {message}", category, stacklevel=level)

    def from_value_error(self, table: tuple, exc: ValueError) -> RunFileError:
        msg = str(exc)
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*): (.*)$", msg)
        if m:  # a field, or a part of one ('prior.sds': the sds of a prior table, on the prior's line)
            return self.error((*table, *m.group(1).split(".")), m.group(2))
        return self.error(table, msg)


def _check_type(ctx: _Ctx, path: tuple, value: Any, kind: str) -> None:
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "table": isinstance(value, dict),
        "list": isinstance(value, list),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
    }[kind]
    if not ok:
        names = {"int": "an integer", "bool": "true or false", "str": "a string", "table": "a table",
                 "list": "an array", "number": "a number"}
        raise ctx.error(path, f"expected {names[kind]}, got {value!r}")


def _field_kind(annotation: Any) -> str:
    kind = option_kind(annotation)
    return "number" if kind == "float" else kind


def _design(ctx: _Ctx, i: int, spec: Any) -> Design:
    table = ("designs", i)
    _check_type(ctx, table, spec, "table")
    if "design" not in spec:
        raise ctx.error(table, f"missing key 'design' (one of {', '.join(REGISTRY)})")
    name = spec["design"]
    if name not in REGISTRY:
        raise ctx.error((*table, "design"), f"must be one of {', '.join(REGISTRY)}, got {name!r}")
    cls = REGISTRY[name]
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    kwargs, mods = {}, {}
    backfill = None
    for key, value in spec.items():
        if key == "design":
            continue
        if key == "backfill":
            _check_type(ctx, (*table, key), value, "table")
            for k in value:
                if k not in BACKFILL_KEYS:
                    raise ctx.error((*table, key, k), f"unknown key; allowed: {', '.join(BACKFILL_KEYS)}")
            backfill = dict(value)
            continue
        if key in fields:
            kind = _field_kind(fields[key].type)
            if kind != "any" and value is not None:
                _check_type(ctx, (*table, key), value, kind)
            kwargs[key] = value
        elif key in MODIFIER_KEYS:
            mods[key] = tuple(value) if isinstance(value, list) else value
        else:
            allowed = sorted(set(fields) | MODIFIER_KEYS | {"backfill"})
            raise ctx.error((*table, key), f"unknown key for design {name!r}; allowed: {', '.join(allowed)}")
    missing = [f.name for f in fields.values() if f.name not in kwargs and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:  # said here: the constructor's TypeError would name no key and no line
        raise ctx.error((*table, missing[0]), f"missing (required by design {name!r})")
    for key, needs in (("safety_target", "safety_threshold"), ("n_at_dose_of", "stop_n_at_dose")):
        if key in mods and needs not in mods:
            raise ctx.error((*table, key), f"only with {needs} (without it the design has no such rule)")
    try:
        label = kwargs.pop("name", None) if backfill is not None or mods else None
        d = cls(**kwargs)
        if mods:  # the table's name names the design it describes, rules included, as given
            d = Modified(base=d, name=None if backfill is not None else label, **mods)
    except ValueError as exc:
        raise ctx.from_value_error(table, exc) from None
    if backfill is None:
        return d
    try:
        return dataclasses.replace(d.with_backfill(**backfill), name=label)
    except ValueError as exc:
        raise ctx.from_value_error((*table, "backfill"), exc) from None


def _scenario(ctx: _Ctx, i: int, spec: Any) -> Scenario:
    table = ("scenarios", i)
    _check_type(ctx, table, spec, "table")
    for key in spec:
        if key not in SCENARIO_KEYS:
            raise ctx.error((*table, key), f"unknown key; allowed: {', '.join(sorted(SCENARIO_KEYS))}")
    for key in ("p_tox", "target"):
        if key not in spec and not (key == "p_tox" and "p_grade" in spec):
            raise ctx.error(table, f"missing key {key!r}" + (" (or p_grade, a graded scenario)" if key == "p_tox"
                                                             else ""))
    kwargs = dict(spec)
    if "time" in kwargs:
        t = kwargs["time"]
        _check_type(ctx, (*table, "time"), t, "table")
        for key in t:
            if key not in TIME_KEYS:
                raise ctx.error((*table, "time", key), f"unknown key; allowed: {', '.join(sorted(TIME_KEYS))}")
        if "window" not in t:  # said here: TimeModel's TypeError would name no key and no line
            raise ctx.error((*table, "time", "window"), "missing (the length of the DLT window)")
        try:
            kwargs["time"] = TimeModel(**t)
        except ValueError as exc:
            raise ctx.from_value_error((*table, "time"), exc) from None
    graded = "p_grade" in kwargs and "p_tox" not in kwargs
    try:
        with quiet_falls():  # warned below with the file, line and scenario
            if graded:  # graded: p_tox and p_ae follow from the grades
                if "p_ae" in kwargs:
                    raise ValueError("p_ae: follows from p_grade (the grades below dlt_grade); give one or the other")
                sc = Scenario.from_grades(kwargs.pop("p_grade"), **kwargs)
            else:
                sc = Scenario(**kwargs)
    except ValueError as exc:
        raise ctx.from_value_error(table, exc) from None
    note = falls_note(sc.p_tox)
    if note is not None:
        what = "the DLT probability" + (f" of scenario {sc.name!r}" if sc.name else "") + \
            (f" (grades >= {sc.dlt_grade})" if graded else "")
        ctx.warn((*table, "p_grade" if graded else "p_tox"), note.replace("the DLT probability", what, 1),
                 NonMonotoneWarning)
    return sc


def parse(text: str, source: str = "<run file>") -> RunSpec:
    """Parse and validate a run file's text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RunFileError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise RunFileError(f"{source}: not a usable run file: arrays or tables nested too deeply") from None
    ctx = _Ctx(source, _Lines(text))
    for key in raw:
        if key not in TOP_KEYS:
            raise ctx.error((key,), f"unknown key; allowed: {', '.join(sorted(TOP_KEYS))}")
    spec = RunSpec(designs=[], scenarios=[], source=source, raw=raw)
    if "n_trials" in raw:
        _check_type(ctx, ("n_trials",), raw["n_trials"], "int")
        if raw["n_trials"] < 1:
            raise ctx.error(("n_trials",), f"must be an integer >= 1, got {raw['n_trials']}")
        spec.n_trials = raw["n_trials"]
    if "mode" in raw:
        if raw["mode"] not in MODES:
            raise ctx.error(("mode",), f"must be one of {', '.join(MODES)}, got {raw['mode']!r}")
        spec.mode = raw["mode"]
    if "threads" in raw:
        _check_type(ctx, ("threads",), raw["threads"], "int")
        if raw["threads"] < 1:
            raise ctx.error(("threads",), f"must be an integer >= 1, got {raw['threads']}")
        spec.threads = raw["threads"]
    rnd = raw.get("random", {})
    _check_type(ctx, ("random",), rnd, "table")
    for key in rnd:
        if key not in RANDOM_KEYS:
            raise ctx.error(("random", key), f"unknown key; allowed: {', '.join(sorted(RANDOM_KEYS))}")
    if "seed" in rnd:
        _check_type(ctx, ("random", "seed"), rnd["seed"], "int")
        if rnd["seed"] < 0:
            raise ctx.error(("random", "seed"), f"must be an integer >= 0, got {rnd['seed']}")
        spec.seed = rnd["seed"]
    out = raw.get("output", {})
    _check_type(ctx, ("output",), out, "table")
    for key in out:
        if key not in OUTPUT_KEYS:
            raise ctx.error(("output", key), f"unknown key; allowed: {', '.join(sorted(OUTPUT_KEYS))}")
    if "dir" in out:
        _check_type(ctx, ("output", "dir"), out["dir"], "str")
        spec.out_dir = out["dir"]
    if "format" in out:
        if out["format"] not in ("table", "json", "csv"):
            raise ctx.error(("output", "format"), f"must be one of 'table', 'json', 'csv', got {out['format']!r}")
        spec.format = out["format"]
    if "plots" in out:
        _check_type(ctx, ("output", "plots"), out["plots"], "bool")
        spec.plots = out["plots"]
    if "scenario_plots" in out:
        _check_type(ctx, ("output", "scenario_plots"), out["scenario_plots"], "bool")
        spec.scenario_plots = out["scenario_plots"]
    for key in ("designs", "scenarios"):
        if key not in raw:
            raise ctx.error((key,), f"missing: add at least one [[{key}]] table")
        _check_type(ctx, (key,), raw[key], "list")
    cal = raw.get("calibrate")
    if isinstance(cal, dict) and "top" in cal:  # the rest of [calibrate] is read by doseesc.calibration
        _check_type(ctx, ("calibrate", "top"), cal["top"], "int")
        if cal["top"] < 1:
            raise ctx.error(("calibrate", "top"), f"must be an integer >= 1 (the number of candidates listed), "
                                                  f"got {cal['top']}")
    spec.designs = [_design(ctx, i, d) for i, d in enumerate(raw["designs"])]
    spec.scenarios = [_scenario(ctx, i, s) for i, s in enumerate(raw["scenarios"])]
    if spec.mode == "exact":
        for i, s in enumerate(raw["scenarios"]):
            if isinstance(s, dict) and "time" in s:  # exact results carry no durations
                raise ctx.error(("scenarios", i, "time"), "not used with mode = \"exact\" (exact results have no "
                                                           "durations; simulate with the time model instead)")
    _check_fits(ctx, spec)
    n = {s.n_doses for s in spec.scenarios}
    if len(n) > 1:
        raise ctx.error(("scenarios",), f"all scenarios must have the same number of doses, got {sorted(n)}")
    for i, d in enumerate(spec.designs):
        try:
            d.lower(spec.scenarios[0].n_doses)
        except ValueError as exc:
            raise ctx.from_value_error(("designs", i), exc) from None
    return spec


def _check_fits(ctx: _Ctx, spec: RunSpec) -> None:
    """Every design fits every scenario (what the engine checks when it runs, said here with the
    run file's keys and lines): efficacy for the phase I/II and backfill designs, a time model
    for backfill, toxicity grades for the graded designs."""
    from .designs import Backfill

    for i, d in enumerate(spec.designs):
        which = f"designs[{i + 1}] ({d.label()})"
        for j, sc in enumerate(spec.scenarios):
            if (getattr(d, "uses_efficacy", False) or isinstance(d, Backfill)) and not sc.has_efficacy:
                why = ("opens a dose for backfill once a response was seen there" if isinstance(d, Backfill) else
                       "decides on efficacy too")
                raise ctx.error(("scenarios", j, "p_eff"), f"missing: {which} {why}; give the true response "
                                                           "probability per dose, p_eff = [...]")
            if isinstance(d, Backfill) and sc.time is None:
                raise ctx.error(("scenarios", j, "time"), f"missing: {which} backfills patients who arrive while a "
                                                          "cohort is in follow-up; add a [scenarios.time] table")
            if hasattr(d, "n_scores") and sc.p_grade is None:
                raise ctx.error(("scenarios", j, "p_grade"), f"missing: {which} scores toxicity grades; give "
                                                             "p_grade = [[P(grade 1), P(grade 2), ...], ...] per dose")


def load(path: str) -> RunSpec:
    """Read and validate a run file (at most 16 MB of UTF-8 text; a regular file)."""
    from . import _io

    try:
        text = _io.read_text(path, "run file")
    except ValueError as exc:
        raise RunFileError(str(exc)) from None
    return parse(text, source=path)
