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
import io
import json
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import __version__
from .designs import REGISTRY
from .designs.base import option_kind
from .scenario import Scenario

# Fields that come from the scenario flags, not from design flags.
_SCENARIO_FIELDS = {"target", "n_doses"}


class CLIError(Exception):
    """A usage error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        raise CLIError(message)


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
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "floats":
            return [float(x) for x in text.split(",") if x.strip()]
        return text
    except ValueError:
        allowed = {"bool": "true or false", "int": "an integer", "float": "a number",
                   "floats": "comma-separated numbers"}.get(kind, "a string")
        raise CLIError(f"{flag}: expected {allowed}, got {text!r}") from None


def add_design_flags(p: argparse.ArgumentParser, required: bool = True) -> None:
    add_modifier_flags(p)
    names = ", ".join(REGISTRY)
    p.add_argument("--design", required=required, metavar="NAME", help=f"design: one of {names}")
    g = p.add_argument_group("design options (each applies to the designs listed)")
    for name, (kind, users) in design_fields().items():
        defaults = {u: _defaults(REGISTRY[u]).get(name, "required") for u in users}
        uniq = {str(x) for x in defaults.values()}
        dflt = next(iter(uniq)) if len(uniq) == 1 else "; ".join(f"{u}: {d}" for u, d in defaults.items())
        meta = {"bool": "BOOL", "int": "N", "float": "X", "floats": "X,X,..."}.get(kind, "TEXT")
        g.add_argument("--" + name.replace("_", "-"), dest="d_" + name, metavar=meta,
                       help=f"[{', '.join(users)}] default: {dflt}")


MODIFIER_FLAGS = {
    "stop_n_at_dose": ("int", "stop when the recommended next dose has N patients"),
    "safety_threshold": ("float", "stop (no selection) when P(p_1 > target | data) exceeds X, Beta(1,1) prior"),
    "safety_target": ("float", "target for the safety rule (default: the design's target or --target)"),
    "n_at_dose_of": ("str", "with --stop-n-at-dose: which dose it counts, recommended (default), current or any"),
    "dont_skip": ("bool", "never escalate more than one level above the highest dose tried"),
    "stop_at": ("int", "maximum total sample size"),
}


def add_modifier_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("composable rules (any design)")
    for name, (kind, text) in MODIFIER_FLAGS.items():
        meta = {"bool": "BOOL", "int": "N", "float": "X", "str": "TEXT"}[kind]
        g.add_argument("--" + name.replace("_", "-"), dest="m_" + name, metavar=meta, help=text + " (default: off)")


def _apply_modifiers(design, args: argparse.Namespace, target: float | None):
    from .designs.modifiers import Modified

    mods = {}
    for key, text in vars(args).items():
        if key.startswith("m_") and text is not None:
            name = key[2:]
            mods[name] = _convert(name, MODIFIER_FLAGS[name][0], text)
    if not mods:
        return design
    if "safety_threshold" in mods and mods.get("safety_target") is None and getattr(design, "target", None) is None:
        mods["safety_target"] = target
    return Modified(base=design, **mods)


def build_design(args: argparse.Namespace, target: float | None):
    design = _apply_modifiers(_build_base_design(args, target), args, target)
    simulating = hasattr(args, "accrual")  # commands with the time-model flags
    if getattr(design, "time_to_event", False) and simulating and args.window is None:
        raise CLIError(f"--window: design {args.design!r} decides from partial follow-up and needs the DLT window "
                       "(and --rate, arrivals per time unit)")
    return design


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
    if "target" in fields and target is not None:
        kwargs.setdefault("target", target)
    missing = [f.name for f in fields.values() if f.init and f.name not in kwargs
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        flag = "--" + missing[0].replace("_", "-")
        raise CLIError(f"{flag}: required for design {name!r}")
    return cls(**kwargs)


# ---------------------------------------------------------------------- scenario flags
def _floats(flag: str, text: str) -> list[float]:
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise CLIError(f"{flag}: expected comma-separated numbers such as 0.05,0.1,0.2, got {text!r}") from None
    return vals


def add_scenario_flags(p: argparse.ArgumentParser, required: bool = True) -> None:
    g = p.add_argument_group("scenario")
    g.add_argument("--truth", required=required, metavar="P,P,...",
                   help="true DLT probability per dose, lowest first (e.g. 0.05,0.1,0.2,0.3)")
    g.add_argument("--target", type=float, required=required, metavar="X", help="target DLT probability, in (0, 1)")
    g.add_argument("--doses", metavar="X,X,...", help="dose values (labels), e.g. 1,2,4")
    g.add_argument("--dose-unit", metavar="TEXT", help="unit of --doses, e.g. '1e6 cells/kg'")
    g.add_argument("--ae", metavar="P,P,...", help="true probability of a low-grade (non-DLT) adverse event per dose")
    f = p.add_argument_group("efficacy (phase I/II scenarios; required by boin12)")
    f.add_argument("--eff", metavar="P,P,...", help="true probability of an efficacy response per dose")
    f.add_argument("--association", choices=("independent", "gaussian", "odds_ratio", "gumbel"),
                   help="association of efficacy and toxicity in a patient (default: independent)")
    f.add_argument("--association-param", metavar="X[,X,...]",
                   help="its parameter: gaussian correlation, odds ratio or gumbel psi (one, or one per dose)")
    f.add_argument("--p-both", metavar="P,P,...", help="true P(efficacy and DLT) per dose, instead of an association")
    f.add_argument("--utility", metavar="U,U,U,U",
                   help="utility of (E no T, neither, both, T no E) defining the true OBD (default: 100,40,60,0)")
    f.add_argument("--obd", metavar="K[,K,...]", help="the true OBD(s), 1-based, instead of from the utility "
                                                      "(0: no dose acceptable)")
    f.add_argument("--eff-min", type=float, metavar="X", help="a dose is acceptable as OBD only if p_eff >= X")
    t = p.add_argument_group("time model (trial duration; required by tite-boin and tite-crm)")
    t.add_argument("--window", type=float, metavar="X", help="DLT observation window length (turns the time model on)")
    t.add_argument("--accrual", choices=("fixed", "poisson"), default="fixed", help="arrival process (default: fixed)")
    t.add_argument("--rate", type=float, metavar="X", help="mean arrivals per time unit (default: 1 per window)")
    t.add_argument("--onset", choices=("uniform", "weibull", "late"), default="uniform",
                   help="DLT onset time within the window (default: uniform; late: the TITE-BOIN papers' Weibull "
                        "with --late-share of the DLTs in the last --late-part of the window)")
    t.add_argument("--shape", type=float, default=1.0, metavar="X", help="Weibull onset shape (default: 1)")
    t.add_argument("--late-share", type=float, default=0.5, metavar="X",
                   help="with --onset late: share of the DLTs in the last part of the window (default: 0.5)")
    t.add_argument("--late-part", type=float, default=0.5, metavar="X",
                   help="with --onset late: that last fraction of the window (default: 0.5)")
    t.add_argument("--waiting", choices=("turn_away", "queue"), default="turn_away",
                   help="patients arriving while the trial waits for follow-up (default: turn_away)")
    t.add_argument("--dropout", type=float, metavar="X",
                   help="drop-out hazard per time unit (default: 0); cohort designs replace a patient who drops "
                        "out before their outcome, time-to-event designs censor them")


def build_scenario(args: argparse.Namespace) -> Scenario:
    from .timemodel import TimeModel

    truth = _floats("--truth", args.truth)
    time = None
    if getattr(args, "window", None) is not None:
        rate = args.rate if args.rate is not None else 1.0 / args.window
        time = TimeModel(window=args.window, accrual=args.accrual, rate=rate, onset=args.onset, shape=args.shape,
                         late_share=args.late_share, late_part=args.late_part, waiting=args.waiting,
                         dropout=0.0 if args.dropout is None else args.dropout)
    elif getattr(args, "rate", None) is not None:
        raise CLIError("--window: required with --rate (the DLT window turns the time model on)")
    elif getattr(args, "dropout", None) is not None:
        raise CLIError("--window: required with --dropout (the DLT window turns the time model on)")
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
                eff["obd"] = [int(x) for x in args.obd.split(",") if x.strip()]
            except ValueError:
                raise CLIError(f"--obd: expected comma-separated dose levels such as 2 or 2,3, got {args.obd!r}") \
                    from None
        if args.eff_min is not None:
            eff["eff_min"] = args.eff_min
    else:
        for flag in ("association", "association_param", "p_both", "utility", "obd", "eff_min"):
            if getattr(args, flag, None) is not None:
                raise CLIError(f"--{flag.replace('_', '-')}: only with --eff (a scenario with efficacy)")
    return Scenario(p_tox=truth, target=args.target,
                    doses=None if args.doses is None else _floats("--doses", args.doses),
                    dose_unit=args.dose_unit, p_ae=None if args.ae is None else _floats("--ae", args.ae), time=time,
                    **eff)


def add_output_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format (default: table)")
    p.add_argument("--plot", metavar="FILE.png",
                   help="also write a figure (needs matplotlib: pip install doseesc[plot])")


def add_run_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-trials", type=int, default=10_000, metavar="N", help="simulated trials (default: 10000)")
    p.add_argument("--seed", type=int, default=1, metavar="N", help="random seed (default: 1)")
    p.add_argument("--threads", type=int, metavar="N", help="threads (default: NUMBA_NUM_THREADS, i.e. all cores)")
    add_backend_flag(p)
    p.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="always show a progress bar (default: only on a terminal)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")


def add_backend_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", metavar="WHERE",
                   help="where trials run: 'processes' (one worker process per core), a number of worker "
                        "processes, or a Dask scheduler address such as tcp://host:8786 (needs doseesc[dask]); "
                        "results are identical to the default (this process)")


@contextlib.contextmanager
def backend_from(text: str | None):
    """The ``backend`` argument for ``--backend`` (a Dask client is closed afterwards)."""
    if text is None or text == "processes":
        yield text
        return
    if text.isdigit():
        if int(text) < 1:
            raise CLIError(f"--backend: the number of worker processes must be >= 1, got {text!r}")
        yield int(text)
        return
    if "://" not in text and ":" not in text:
        raise CLIError(f"--backend: expected 'processes', a number of worker processes or a Dask scheduler address "
                       f"(tcp://host:port), got {text!r}")
    try:
        from dask.distributed import Client
    except ImportError:
        raise CLIError("--backend: a Dask scheduler address needs dask.distributed (pip install 'doseesc[dask]')") \
            from None
    try:
        client = Client(text, timeout=10)
    except OSError as e:
        raise CLIError(f"--backend: cannot reach the Dask scheduler at {text!r} ({e})") from None
    try:
        yield client
    finally:
        client.close()


# ---------------------------------------------------------------------- output
def oc_csv(oc) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric", "dose", "value", "se"])
    for name in oc.metrics:
        val = np.atleast_1d(getattr(oc, name))
        se = np.atleast_1d(oc.se(name))
        if val.size == 1 and np.ndim(getattr(oc, name)) == 0:
            w.writerow([name, "", repr(float(val[0])), repr(float(se[0]))])
        else:
            for j, (x, s) in enumerate(zip(val, se)):
                w.writerow([name, j + 1, repr(float(x)), repr(float(s))])
    for name, frac in oc.stop_reasons.items():
        w.writerow([f"stop_{name}", "", repr(frac), ""])
    return buf.getvalue()


def emit_oc(oc, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(oc.to_dict(), indent=2)
    if fmt == "csv":
        return oc_csv(oc)
    return oc.summary()


def _maybe_plot(args, what) -> None:
    if getattr(args, "plot", None):
        from . import plot

        plot.save(what, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)


# ---------------------------------------------------------------------- commands
def cmd_simulate(args) -> str:
    from .engine import simulate

    sc = build_scenario(args)
    d = build_design(args, sc.target)
    with backend_from(args.backend) as backend:
        oc = simulate(d, sc, n_trials=args.n_trials, seed=args.seed, threads=args.threads, progress=args.progress,
                      backend=backend)
    _maybe_plot(args, oc)
    return emit_oc(oc, args.format)


def cmd_exact(args) -> str:
    from .engine import exact

    sc = build_scenario(args)
    d = build_design(args, sc.target)
    oc = exact(d, sc)
    _maybe_plot(args, oc)
    return emit_oc(oc, args.format)


def cmd_compare(args) -> str:
    from .engine import compare

    sc = build_scenario(args)
    names = [x.strip() for x in args.designs.split(",") if x.strip()]
    designs = []
    for name in names:
        args.design = name
        designs.append(build_design(_only_fields_of(args, name), sc.target))
    with backend_from(args.backend) as backend:
        cmp = compare(designs, [sc], n_trials=args.n_trials, seed=args.seed, threads=args.threads,
                      progress=args.progress, backend=backend)
    _maybe_plot(args, cmp)
    if args.format == "json":
        return json.dumps(cmp.to_dict(), indent=2)
    if args.format == "csv":
        rows = cmp.to_dict()["results"]
        buf = io.StringIO()
        keys = ["design", "scenario", "pcs", "pcs_se", "no_selection", "no_selection_se", "sample_size",
                "sample_size_se", "n_overdosed", "n_overdosed_se", "pcs_diff_vs_first", "pcs_diff_vs_first_se"]
        if sc.has_efficacy:
            keys += ["pcs_obd", "pcs_obd_se", "selected_utility", "selected_utility_se", "pcs_obd_diff_vs_first",
                     "pcs_obd_diff_vs_first_se", "selected_utility_diff_vs_first", "selected_utility_diff_vs_first_se"]
        w = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)
        return buf.getvalue()
    return cmp.summary()


def _only_fields_of(args, name: str) -> argparse.Namespace:
    """For compare: pass each design only the options it accepts."""
    fields = {f.name for f in dataclasses.fields(REGISTRY[name])} if name in REGISTRY else set()
    ns = argparse.Namespace(**{k: v for k, v in vars(args).items() if not k.startswith("d_") or k[2:] in fields})
    ns.design = name
    return ns


def _read_patients(path: str) -> list[dict]:
    """Live time-to-event data: a CSV with a header naming dose, dlt, follow_up (and optionally
    dropped), one row per patient in order of enrolment; ``-`` reads standard input."""
    try:
        text = sys.stdin.read() if path == "-" else pathlib.Path(path).read_text()
    except OSError as e:
        raise CLIError(f"--data: cannot read {path!r} ({e.strerror or e})") from None
    reader = csv.DictReader(io.StringIO(text))
    cols = [c.strip() for c in (reader.fieldnames or [])]
    need = [c for c in ("dose", "dlt", "follow_up") if c not in cols]
    if need:
        raise CLIError(f"--data: {path}: the header must name dose, dlt, follow_up (optional: dropped); "
                       f"missing {', '.join(need)}")
    flags = {"0": 0, "1": 1, "false": 0, "true": 1, "no": 0, "yes": 1, "n": 0, "y": 1, "": 0}
    rows = []
    for line, raw in enumerate(reader, start=2):
        r = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        try:
            row = {"dose": int(r["dose"]), "follow_up": float(r["follow_up"])}
        except ValueError:
            raise CLIError(f"--data: {path} line {line}: dose must be an integer and follow_up a number, "
                           f"got {r['dose']!r}, {r['follow_up']!r}") from None
        for k in ("dlt", "dropped"):
            if k in r:
                if r[k].lower() not in flags:
                    raise CLIError(f"--data: {path} line {line}: {k} must be 0/1, true/false or yes/no, got {r[k]!r}")
                row[k] = flags[r[k].lower()]
        rows.append(row)
    return rows


def cmd_next(args) -> str:
    d = build_design(args, args.target)
    n_doses = args.n_doses
    if args.truth is not None:
        n_doses = len(_floats("--truth", args.truth))
    if args.data is not None:
        if not getattr(d, "time_to_event", False):
            raise CLIError(f"--data: partial follow-up is for the time-to-event designs (tite-boin, tite-crm); "
                           f"give {args.design!r} outcomes such as \"1NNN 2NTN\"")
        if args.outcomes:
            raise CLIError("--data: give either the outcome string or --data, not both")
        if args.window is None:
            raise CLIError("--window: required with --data (length of the DLT window, in the unit of follow_up)")
        rec = d.next_dose_tite(_read_patients(args.data), window=args.window, n_doses=n_doses,
                               current_dose=args.current_dose)
        what = f"the data in {args.data!r}"
    else:
        if args.window is not None or args.current_dose is not None:
            flag = "--window" if args.window is not None else "--current-dose"
            raise CLIError(f"{flag}: only with --data (live data with follow-up times)")
        rec = d.next_dose(args.outcomes, n_doses=n_doses)
        what = repr(args.outcomes)
    if args.format == "json":
        return json.dumps(rec.to_dict(), indent=2)
    if args.format == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        if rec.n_eff is not None:  # phase I/II: every per-dose column the design reports
            cols = [k for k in ("n_patients", "n_dlt", "n_eff", "p_tox", "p_eff", "prob_acc_tox", "prob_acc_eff",
                                "utility", "acceptable") if getattr(rec, k) is not None]
            w.writerow(["dose", *cols])
            for j in range(len(rec.n_patients)):
                w.writerow([j + 1, *(repr(float(getattr(rec, k)[j])) if k.startswith(("p_", "prob", "util"))
                                     else (bool(getattr(rec, k)[j]) if k == "acceptable" else int(getattr(rec, k)[j]))
                                     for k in cols)])
            return buf.getvalue()
        w.writerow(["dose", "n", "dlt", "p_tox"])
        for j in range(len(rec.n_patients)):
            p = "" if rec.p_tox is None or np.isnan(rec.p_tox[j]) else repr(float(rec.p_tox[j]))
            w.writerow([j + 1, int(rec.n_patients[j]), int(rec.n_dlt[j]), p])
        return buf.getvalue()
    return f"{d.label()} after {what}:\n{rec}"


def cmd_paths(args) -> str:
    from .paths import dose_paths, paths_csv, paths_json, paths_text

    sc = build_scenario(args) if args.truth is not None else None
    d = build_design(args, sc.target if sc is not None else args.target)
    nodes = dose_paths(d, args.cohorts, args.outcomes, n_doses=args.n_doses, scenario=sc)
    if args.format == "json":
        return paths_json(nodes)
    if args.format == "csv":
        return paths_csv(nodes)
    root = nodes[0].outcomes
    return f"{d.label()}: the next {args.cohorts} cohort(s) after {root or 'the start'!r}\n" + paths_text(nodes, root)


def cmd_boundaries(args) -> str:
    """BOIN boundary table (get.boundary), or any interval design's decision table."""
    from .designs.interval import boin_boundaries

    if args.design in (None, "boin"):
        b = boin_boundaries(target=args.target, max_n=args.max_n, cohort_size=args.cohort_size, p_saf=args.p_saf,
                            p_tox=args.p_tox, cutoff_eli=args.cutoff_eli, extrasafe=args.extrasafe, offset=args.offset)
        if args.format == "json":
            return json.dumps(b.to_dict(), indent=2)
        if args.format == "csv":
            d = b.to_dict()
            keys = [k for k in ("n", "escalate_if_le", "deescalate_if_ge", "eliminate_if_ge", "stop_if_ge")
                    if d.get(k) is not None]
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(keys)
            for row in zip(*(d[k] for k in keys)):
                w.writerow(row)
            return buf.getvalue()
        return str(b)
    if args.design not in REGISTRY or not hasattr(REGISTRY[args.design], "decision_table"):
        names = [k for k, c in REGISTRY.items() if hasattr(c, "decision_table")]
        raise CLIError(f"--design: boundaries are defined for {', '.join(names)}, got {args.design!r}")
    d = REGISTRY[args.design](target=args.target, cohort_size=args.cohort_size, max_n=args.max_n)
    table = d.decision_table()
    if args.format == "json":
        return json.dumps({str(k): v for k, v in table.items()}, indent=2)
    rows = [f"{d.label()}: decision at a middle dose (E escalate, S stay, D de-escalate, DU de-escalate and eliminate)",
            "n    decision for y = 0, 1, 2, ... DLTs"]
    sep = "," if args.format == "csv" else " "
    for n, row in table.items():
        if n % args.cohort_size == 0 or args.cohort_size == 1:
            rows.append(f"{n:<4} " + sep.join(f"{x:<2}" if sep == " " else x for x in row))
    return "\n".join(rows)


def cmd_whatif(args) -> str:
    from .whatif import whatif

    trials = [t.strip().upper() for t in args.trial.split(",") if t.strip()] if args.trial else ["A", "B"]
    res = whatif(trials, target=args.target, max_n=args.max_n, cohort_size=args.cohort_size, discount=args.discount,
                 n_scenarios=args.n_scenarios, n_trials=args.n_trials, seed=args.seed, progress=args.progress)
    if args.format == "json":
        return res.to_json()
    if args.format == "csv":
        return res.to_csv()
    return res.table()


def cmd_evidence(args) -> str:
    from . import evidence

    if args.format == "json":
        return json.dumps([r.to_dict() if hasattr(r, "to_dict") else dataclasses.asdict(r)
                           for r in evidence.records(args.trial)], indent=2, default=str)
    eff = evidence.endpoints(args.trial)
    if not eff:
        return evidence.table(args.trial)
    lines = ["", "Efficacy endpoints (different definitions: not pooled unless you choose to; "
                 "* = the trial's headline response endpoint)"]
    lines += [("* " if e.headline else "  ") + e.describe() for e in eff]
    return evidence.table(args.trial) + "\n" + "\n".join(lines)


def cmd_run(args) -> str:
    import os

    from . import config
    from .engine import compare, exact

    spec = config.load(args.file)
    out_dir = args.out or spec.out_dir
    fmt = args.format or spec.format
    run = spec.resolved()
    cmp = None
    if spec.mode == "exact":
        results = [[exact(d, sc) for sc in spec.scenarios] for d in spec.designs]
    else:
        with backend_from(args.backend) as backend:
            cmp = compare(spec.designs, spec.scenarios, n_trials=spec.n_trials, seed=spec.seed, threads=spec.threads,
                          progress=args.progress, backend=backend)
        results = cmp.oc
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
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "results.json"), "w") as fh:
            json.dump(payload, fh, indent=2)
        with open(os.path.join(out_dir, "results.csv"), "w") as fh:
            fh.write(csv_text)
        with open(os.path.join(out_dir, "results.txt"), "w") as fh:
            fh.write("# run: " + json.dumps(run) + "\n\n" + table + "\n")
        written = ["results.json", "results.csv", "results.txt"]
        if spec.plots:
            written += _run_figures(out_dir, run, ocs, cmp, spec)
        print(f"wrote {', '.join(os.path.join(out_dir, w) for w in written)}", file=sys.stderr)
    if fmt == "json":
        return json.dumps(payload, indent=2)
    if fmt == "csv":
        return csv_text
    return table


def _results_csv(run: dict, ocs, spec) -> str:
    buf = io.StringIO()
    buf.write("# run: " + json.dumps(run) + "\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["design", "scenario", "metric", "dose", "value", "se"])
    for i, j, oc in ocs:
        body = oc_csv(oc).splitlines()[1:]
        for line in csv.reader(body):
            w.writerow([spec.designs[i].label(), spec.scenarios[j].label(), *line])
    return buf.getvalue()


def _run_figures(out_dir, run, ocs, cmp, spec) -> list[str]:
    import os

    try:
        from . import plot

        plot._plt()
    except ValueError as exc:
        print(f"doseesc: note: {exc}; no figures written", file=sys.stderr)
        return []
    names = []
    meta = {"Description": json.dumps(run)}
    for i, j, oc in ocs:
        name = f"oc_design{i + 1}_scenario{j + 1}.png"
        fig = plot.figure(oc)
        fig.savefig(os.path.join(out_dir, name), dpi=150, metadata=meta)
        plot._plt().close(fig)
        names.append(name)
    if cmp is not None and len(spec.designs) > 1:
        fig = plot.figure(cmp)
        fig.savefig(os.path.join(out_dir, "comparison.png"), dpi=150, metadata=meta)
        plot._plt().close(fig)
        names.append("comparison.png")
    return names


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="doseesc", description="Simulate dose-escalation trial designs: fast, exact where possible, "
                                            "reproducible.", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--version", action="version", version=f"doseesc {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    s = sub.add_parser("simulate", help="Monte Carlo operating characteristics of one design")
    add_design_flags(s)
    add_scenario_flags(s)
    add_run_flags(s)
    add_output_flags(s)
    s.set_defaults(func=cmd_simulate)

    e = sub.add_parser("exact", help="exact operating characteristics (enumerating every trial path)")
    add_design_flags(e)
    add_scenario_flags(e)
    add_output_flags(e)
    e.set_defaults(func=cmd_exact)

    c = sub.add_parser("compare", help="several designs on the same simulated patients (paired differences)")
    c.add_argument("--designs", required=True, metavar="A,B,...",
                   help=f"designs to compare: any of {', '.join(REGISTRY)}")
    add_design_flags(c, required=False)
    add_scenario_flags(c)
    add_run_flags(c)
    add_output_flags(c)
    c.set_defaults(func=cmd_compare)

    nx = sub.add_parser("next", help="live trial: recommended next dose given the outcomes so far")
    nx.add_argument("outcomes", nargs="?", default="",
                    help="cohorts so far, e.g. \"1NNN 2NTN\" (dose level, then N/T per patient; with efficacy "
                         "E = response, B = both, e.g. \"1NEN 2EBT\")")
    nx.add_argument("--data", metavar="FILE.csv",
                    help="time-to-event designs: one row per patient with a header naming dose, dlt, follow_up "
                         "(and optionally dropped); - reads standard input")
    nx.add_argument("--window", type=float, metavar="X", help="with --data: the DLT window, in follow_up's unit")
    nx.add_argument("--current-dose", type=int, metavar="K",
                    help="with --data: dose of the latest decision (default: the latest patient's)")
    add_design_flags(nx)
    nx.add_argument("--target", type=float, metavar="X", help="target DLT probability (designs that use one)")
    nx.add_argument("--n-doses", type=int, metavar="N", help="number of dose levels")
    nx.add_argument("--truth", metavar="P,P,...", help=argparse.SUPPRESS)
    nx.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    nx.set_defaults(func=cmd_next)

    pa = sub.add_parser("paths", help="dose-transition pathways: every outcome of the next cohorts and the decisions")
    pa.add_argument("--cohorts", type=int, default=2, metavar="K", help="number of future cohorts (default: 2)")
    pa.add_argument("--outcomes", default="", metavar="TEXT",
                    help="outcomes so far, e.g. \"1NNN 2NTN\" (default: none)")
    add_design_flags(pa)
    add_scenario_flags(pa, required=False)
    pa.add_argument("--n-doses", type=int, metavar="N", help="number of dose levels (or give --truth)")
    pa.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    pa.set_defaults(func=cmd_paths)

    r = sub.add_parser("run", help="run a TOML run file (several designs and scenarios, outputs)")
    r.add_argument("file", help="the run file, e.g. design.toml")
    r.add_argument("--out", metavar="DIR", help="write results.json/csv/txt and figures to DIR")
    r.add_argument("--format", choices=("table", "json", "csv"), default=None, help="terminal output format")
    r.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show progress")
    r.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress")
    add_backend_flag(r)
    r.set_defaults(func=cmd_run)

    b = sub.add_parser("boundaries", help="BOIN escalation/de-escalation/elimination boundaries (or an interval "
                                          "design's decision table)")
    b.add_argument("--design", default="boin", metavar="NAME", help="boin (default), mtpi, mtpi2, keyboard or i3+3")
    b.add_argument("--target", type=float, required=True, metavar="X", help="target DLT probability")
    b.add_argument("--max-n", type=int, default=30, metavar="N", help="tabulate n = 1 .. N patients (default: 30)")
    b.add_argument("--cohort-size", type=int, default=1, metavar="N", help="cohort size (default: 1)")
    b.add_argument("--p-saf", type=float, metavar="X", help="BOIN: highest DLT rate deemed subtherapeutic "
                                                           "(default 0.6 * target)")
    b.add_argument("--p-tox", type=float, metavar="X", help="BOIN: lowest DLT rate deemed overly toxic "
                                                           "(default 1.4 * target)")
    b.add_argument("--cutoff-eli", type=float, default=0.95, metavar="X", help="elimination cutoff (default: 0.95)")
    b.add_argument("--extrasafe", action="store_true", help="BOIN: also the stricter rule at the lowest dose")
    b.add_argument("--offset", type=float, default=0.05, metavar="X", help="BOIN extrasafe offset (default: 0.05)")
    b.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    b.set_defaults(func=cmd_boundaries)

    w = sub.add_parser("whatif", help="the main job: the MSC lupus trials' designs vs the alternatives, on "
                                      "fixed and prior-predictive scenarios (no arguments needed)")
    w.add_argument("--trial", metavar="A,B", help="which seed trials: A (BM-MSC, 3+3 on 2/3), B (UC-MSC, Bayesian on "
                                                  "1/2/4) or both (default: A,B)")
    w.add_argument("--target", type=float, default=0.2, metavar="X", help="target DLT probability (default: 0.2)")
    w.add_argument("--max-n", type=int, metavar="N", help="maximum sample size (default: 12 for both trials)")
    w.add_argument("--cohort-size", type=int, default=3, metavar="N",
                   help="cohort size of the alternatives (default: 3)")
    w.add_argument("--discount", type=float, default=1.0, metavar="W",
                   help="power-prior weight of the seed trials' DLT data, in [0, 1] (default: 1)")
    w.add_argument("--n-scenarios", type=int, default=200, metavar="N", help="prior-predictive curves (default: 200)")
    w.add_argument("--n-trials", type=int, default=250, metavar="N", help="trials per curve (default: 250)")
    w.add_argument("--seed", type=int, default=1, metavar="N", help="random seed (default: 1)")
    w.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    w.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show progress")
    w.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress")
    w.set_defaults(func=cmd_whatif)

    ev = sub.add_parser("evidence", help="the MSC lupus trials behind the built-in priors")
    ev.add_argument("--trial", metavar="ID", help="one trial only: A, B, C or D")
    ev.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    ev.set_defaults(func=cmd_evidence)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
        out = args.func(args)
    except (CLIError, ValueError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        print(f"doseesc: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("doseesc: interrupted", file=sys.stderr)
        return 130
    if out:
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
