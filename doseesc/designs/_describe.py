"""Protocol wording for every design, generated from the design's fields.

Each design's ``_protocol(scenario)`` returns a :class:`Protocol`: titled sections of prose as a
protocol's statistical section would state the design (cohorts and sample size, the dose-finding
rule with its numbers, elimination and safety rules, stopping rules, the final selection, and the
peer implementation whose semantics doseesc reproduces) plus (parameter, value) rows for a compact
table. ``Design.describe()`` and ``Design.spec_rows()`` are the public faces.

Every number in the text is computed here from the design object (boundaries, intervals,
elimination counts from the design's own decision tables); nothing is typed in per instance.
The wording follows the decision code (the kernels' docstrings state the same rules); the tests
check that each description carries the design's key numbers and changes when a field changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Protocol:
    """A design as a protocol states it: ``sections`` of (heading, prose), ``rows`` of
    (parameter, value)."""

    title: str
    sections: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    #: the "Stopping rules" section in parts (:meth:`set_stops`): the design's own rules, the
    #: sentence that introduces them, a note after them, and the rules a :class:`Modified` adds
    stops: list[str] = field(default_factory=list)
    stops_intro: str = "The trial stops when "
    stops_note: str = ""
    added_stops: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n\n".join([self.title] + [f"{head}: {body}" for head, body in self.sections])

    def section(self, head: str) -> str | None:
        for h, body in self.sections:
            if h == head:
                return body
        return None

    def set_section(self, head: str, body: str) -> None:
        for i, (h, _) in enumerate(self.sections):
            if h == head:
                self.sections[i] = (head, body)
                return
        self.sections.append((head, body))

    def set_row(self, key: str, value: str) -> None:
        for i, (k, _) in enumerate(self.rows):
            if k == key:
                self.rows[i] = (key, value)
                return
        self.rows.append((key, value))

    def row(self, key: str) -> str | None:
        for k, value in self.rows:
            if k == key:
                return value
        return None

    def set_stops(self, stops: list[str], intro: str = "The trial stops when ", note: str = "") -> None:
        """The design's own stopping rules: ``stops`` listed after ``intro`` ((a), (b), ... when
        there are several), then ``note``; written into the "Stopping rules" section."""
        self.stops, self.stops_intro, self.stops_note = list(stops), intro, note
        self._write_stops()

    def add_stops(self, stops: list[str]) -> None:
        """Stopping rules added by composable rules (:class:`Modified`): listed after the design's
        own, lettered on from them."""
        self.added_stops = self.added_stops + list(stops)
        if self.stops:
            self._write_stops()

    def _write_stops(self) -> None:
        everything = self.stops + self.added_stops
        items = [f"({chr(97 + i)}) {s}" if len(everything) > 1 else s for i, s in enumerate(everything)]
        own, added = items[: len(self.stops)], items[len(self.stops):]
        text = self.stops_intro + "; ".join(own) + "." + (" " + self.stops_note if self.stops_note else "")
        if added:
            text += " Under the additional rules below, it also stops when " + "; ".join(added) + "."
        self.set_section("Stopping rules", text)


# ---------------------------------------------------------------------------- formatting
def num(x: float, digits: int = 4) -> str:
    """A number as a protocol prints it: up to ``digits`` significant digits, no trailing zeros."""
    x = float(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def seq(values, digits: int = 4) -> str:
    return "(" + ", ".join(num(x, digits) for x in values) + ")"


def pct(x: float) -> str:
    return f"{num(100 * x, 4)}%"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def dose_name(k: int, scenario=None) -> str:
    """``dose level k``, with its value and unit when the scenario gives them."""
    if scenario is not None and scenario.doses is not None and 1 <= k <= scenario.n_doses:
        value = scenario.dose_labels()[k - 1]
        unit = f" {scenario.dose_unit}" if scenario.dose_unit else ""
        return f"dose level {k} ({value}{unit})"
    return f"dose level {k}"


def n_doses_of(design, scenario) -> int | None:
    if scenario is not None:
        return scenario.n_doses
    return design.fixed_n_doses


def dose_levels_text(design, scenario) -> str:
    K = n_doses_of(design, scenario)
    if K is None:
        return ""
    if scenario is not None and scenario.doses is not None:
        unit = f" {scenario.dose_unit}" if scenario.dose_unit else ""
        return f"{plural(K, 'dose level')} ({', '.join(scenario.dose_labels())}{unit})"
    return plural(K, "dose level")


def _levels_row(design, scenario) -> list[tuple[str, str]]:
    text = dose_levels_text(design, scenario)
    return [("Dose levels", text)] if text else []


def sample_size_text(max_n: int, cohort: int) -> str:
    full, rest = divmod(max_n, cohort)
    if cohort == 1:
        return f"The trial enrols at most {max_n} patients, one at a time."
    if rest == 0:
        return f"The trial enrols at most {max_n} patients ({plural(full, 'cohort')} of {cohort})."
    return (f"The trial enrols at most {max_n} patients: {plural(full, 'cohort')} of {cohort}, then a last cohort "
            f"of {rest} (the last cohort is shortened so that the total is exactly {max_n}).")


def article(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def window_text(scenario) -> str:
    if scenario is not None and scenario.time is not None:
        return f"W = {num(scenario.time.window)}, the DLT window of the scenario's time model"
    return "W, the DLT observation window of the time model"


# ---------------------------------------------------------------------------- 3+3
def a_plus_b(d, scenario) -> Protocol:
    """An A+B design other than the 3+3 (Lin & Shih 2001), in a protocol's words."""
    K = n_doses_of(d, scenario)
    esc_only = not d.deescalate
    a, b, c, dd, e = d.a, d.b, d.c, d.d, d.e
    ab = a + b
    more = dd >= c  # an inconclusive first cohort (C to D DLTs) gets B more; with C = D + 1 none does
    few = "no DLT" if c == 1 else f"fewer than {c} DLTs"  # fewer than C
    top = ab if (more or not esc_only) else a  # the most a dose can hold (de-escalation fills to A + B)
    ok = f"{few} in {a}" + (f", or at most {e} in {ab}" if more or not esc_only else "")  # an acceptable result
    p = Protocol(d.label())
    p.sections.append(("Design", f"Rule-based A+B design (Lin & Shih 2001) with A = {a}, B = {b}, C = {c}, D = {dd}, "
                                 f"E = {e}" + (", escalation only (no de-escalation)." if esc_only
                                               else ", with de-escalation.")))
    levels = dose_levels_text(d, scenario)
    size = (f"At most {top} patients are treated at any dose level, so the trial enrols at most {top} x {K} = "
            f"{top * K} patients" if K else f"At most {top} patients are treated at any dose level")
    cohorts = f"Cohorts of {a} patients" + (f" (then {b} more where needed)" if more or not esc_only else "")
    p.sections.append(("Cohorts and sample size", (f"{levels}. " if levels else "")
                       + f"{cohorts}, starting at {dose_name(d.start_dose, scenario)}. {size}."))
    if more:
        rule = (f"After the first {a} patients at the current dose: with {few}, escalate to the next higher dose; "
                f"with more than {dd} DLT{'s' if dd != 1 else ''}, the dose exceeds the MTD; otherwise treat {b} more "
                f"patients at the same dose and escalate if at most {e} of the {ab} have a DLT (with more than {e} the "
                "dose exceeds the MTD).")
    else:
        rule = (f"After each cohort of {a} at the current dose: with {few}, escalate to the next higher dose; "
                f"otherwise the dose exceeds the MTD (C = D + 1: no cohort is inconclusive, so no {b} more are "
                "treated while escalating).")
    p.sections.append(("Dose-finding rule", rule + f" An acceptable result ({ok}) at the highest dose stops the "
                                                   "trial and selects it."))
    if esc_only:
        over = ("When a dose exceeds the MTD the trial stops; the dose below is selected if it was found acceptable, "
                "otherwise no dose is selected (a stop for safety). No dose is ever revisited.")
    else:
        over = (f"When a dose exceeds the MTD: if it is the lowest dose, the trial stops and no dose is selected; if "
                f"the dose below already has {ab} patients, the trial stops and selects it; otherwise the next cohort "
                f"is treated at the dose below, the trial never escalates again, and that dose is filled to {ab} "
                f"patients: with at most {e} DLTs in the {ab} the trial stops and selects it, otherwise the same "
                "step is taken one level lower.")
    p.sections.append(("Dose exceeding the MTD", over))
    stops = ["an acceptable result at the highest dose (it is selected)"]
    stops += (["a dose exceeding the MTD (the dose below is selected if acceptable)"] if esc_only else
              [f"a dose exceeding the MTD when the dose below already has {ab} patients (the dose below is selected)",
               f"at most {e} DLTs in {ab} patients at a dose filled during de-escalation (it is selected)",
               "the lowest dose exceeding the MTD (no dose selected)"])
    p.set_stops(stops, intro="The trial stops at ")
    p.sections.append(("Selection of the MTD", f"The MTD is the highest dose with an acceptable result ({ok}) below "
                                               "every dose that exceeded the MTD; if there is none, no dose is "
                                               "selected."))
    p.sections.append(("Reference implementation",
                       "Lin & Shih's (2001) A+B rules. Checked in doseesc's tests: exact enumeration equals Lin & "
                       "Shih's closed-form probabilities of each selection for the escalation-only version, and "
                       "equals a plain simulation of the rules (with de-escalation) within Monte Carlo error; with "
                       "A = B = 3 and C = D = E = 1 it is the 3+3 (bcrm threep3)."))
    p.rows = [("Design", f"{a}+{b} (A+B) " + ("(escalation only)" if esc_only else "with de-escalation")),
              ("A, B, C, D, E", f"{a}, {b}, {c}, {dd}, {e}"),
              ("Start dose", dose_name(d.start_dose, scenario)),
              ("Patients per dose, at most", str(top)),
              ("Maximum sample size", f"{top * K} ({top} x {K} doses)" if K else f"{top} per dose level"),
              ("Escalate", f"{few} in {a}" + (f", or at most {e} of {ab}" if more else "")),
              (f"Treat {b} more at the same dose", (f"{c} of {a}" if c == dd else f"{c} to {dd} of {a}") if more
               else "never while escalating" + ("" if esc_only else " (the dose below is filled to "
                                                                      f"{ab} on de-escalation)")),
              ("Dose exceeds the MTD", f"more than {dd} of {a}" + (f", or more than {e} of {ab}" if more or not esc_only
                                                                    else "")),
              ("De-escalation", "no: stop" if esc_only else f"yes: fill the dose below to {ab}"),
              ("MTD", "highest dose with an acceptable result below any dose exceeding the MTD")]
    return p


def three_plus_three(d, scenario) -> Protocol:
    if not d.is_three_plus_three:
        return a_plus_b(d, scenario)
    K = n_doses_of(d, scenario)
    esc_only = not d.deescalate
    p = Protocol(d.label())
    p.sections.append(("Design", "Rule-based 3+3 design" + (" with escalation only (no de-escalation)" if esc_only
                                                              else " with de-escalation") + "."))
    levels = dose_levels_text(d, scenario)
    size = (f"At most 6 patients are treated at any dose level, so the trial enrols at most 6 x {K} = {6 * K} "
            f"patients" if K else "At most 6 patients are treated at any dose level (at most 6 per dose level in "
            "total)")
    p.sections.append(("Cohorts and sample size", (f"{levels}. " if levels else "")
                       + f"Cohorts of 3 patients, starting at {dose_name(d.start_dose, scenario)}. {size}."))
    rule = ("After each cohort, at the current dose: with 0 DLTs in 3 patients, escalate to the next higher dose; "
            "with 1 DLT in 3, treat 3 more patients at the same dose and escalate if at most 1 of the 6 has a DLT. "
            "An acceptable result (0/3 or at most 1/6) at the highest dose stops the trial and selects it. "
            "With 2 or more DLTs (of 3 or of 6) the dose exceeds the MTD.")
    p.sections.append(("Dose-finding rule", rule))
    if esc_only:
        over = ("When a dose exceeds the MTD the trial stops; the dose below is selected if it was found acceptable "
                "(at least 3 patients, 0/3 or at most 1/6), otherwise no dose is selected. No dose is ever "
                "revisited.")
    else:
        over = ("When a dose exceeds the MTD: if it is the lowest dose, the trial stops and no dose is selected; if "
                "the dose below already has 6 patients, the trial stops and selects it; otherwise the next cohort "
                "is treated at the dose below (3 patients, or 3 more if it has 3), the trial never escalates again, "
                "and that dose is filled to 6 patients: with at most 1 DLT in the 6 the trial stops and selects it, "
                "with 2 or more the same step is taken one level lower.")
    p.sections.append(("Dose exceeding the MTD", over))
    if esc_only:
        stops = ["an acceptable result at the highest dose (it is selected)",
                 "a dose exceeding the MTD (the dose below is selected if acceptable)"]
    else:
        stops = ["an acceptable result at the highest dose (it is selected)",
                 "a dose exceeding the MTD when the dose below already has 6 patients (the dose below is selected)",
                 "at most 1 DLT in 6 patients at a dose filled during de-escalation (it is selected)",
                 "the lowest dose exceeding the MTD (no dose selected)"]
    p.set_stops(stops, intro="The trial stops at ")
    p.sections.append(("Selection of the MTD", "The MTD is the highest dose with at least 3 patients and a DLT rate "
                       "of at most 1/6 (0/3, 0/6 or 1/6) below every dose with 2 or more DLTs; if there is none, no "
                       "dose is selected."))
    if esc_only:
        ref = ("R package bcrm's threep3 with esc.only = TRUE (exact enumeration of every path): doseesc's exact "
               "selection probabilities equal its published values to 0.005 percentage points and the mean patients "
               "per dose to 0.0005")
    else:
        ref = ("R package bcrm's threep3 (exact enumeration of every path, start dose 1): doseesc's exact operating "
               "characteristics equal the project's reference values for these rules to 1e-12 and Wheeler's "
               "published exact A+B calculations to their two decimals")
    if d.start_dose != 1:
        ref += (f". bcrm's threep3 starts at dose level 1; with start dose {d.start_dose} the rules above are "
                "doseesc's (SPEC section 4)")
    p.sections.append(("Reference implementation", ref + "."))
    p.rows = [("Design", "3+3 " + ("(escalation only)" if esc_only else "with de-escalation")),
              ("Cohort size", "3"),
              ("Start dose", dose_name(d.start_dose, scenario)),
              ("Patients per dose, at most", "6"),
              ("Maximum sample size", f"{6 * K} (6 x {K} doses)" if K else "6 per dose level"),
              ("Escalate", "0/3, or at most 1/6"),
              ("Treat 3 more at the same dose", "1/3"),
              ("Dose exceeds the MTD", ">= 2 DLTs (of 3 or 6)"),
              ("De-escalation", "no: stop" if esc_only else "yes: fill the dose below to 6"),
              ("MTD", "highest dose with >= 3 patients and <= 1/6 DLTs below any dose with >= 2 DLTs"),
              ("Peer", "bcrm threep3" + (" (esc.only)" if esc_only else ""))]
    return p


# ---------------------------------------------------------------------------- interval designs
def _elim_counts(design, cohort: int, max_n: int, k: int = 3) -> list[tuple[int, int]]:
    """(n, smallest y that eliminates) at the first ``k`` cohort multiples with a boundary,
    from the design's own decision table."""
    table = design.decision_table(max_n)
    out = []
    for n in range(cohort, max_n + 1, cohort):
        row = table[n]
        ys = [y for y, c in enumerate(row) if c == "DU"]
        if ys:
            out.append((n, ys[0]))
        if len(out) == k:
            break
    return out


def _elim_text(design, max_n: int, cohort: int, word: str) -> str:
    counts = _elim_counts(design, cohort, max_n)
    t = num(design.target)
    text = (f"When a dose has at least 3 patients and P(p > {t} | data) > "
            f"{num(design.cutoff_eli)} under a Beta(1, 1) prior (posterior Beta(1 + y, 1 + n - y)), that dose and "
            f"every higher dose are {word}d: the next cohort is treated at the next lower dose and {word}d doses "
            f"are never used again. If the lowest dose is {word}d, the trial stops and no dose is selected.")
    if counts:
        text += " In numbers of DLTs: " + ", ".join(f"{y} or more of {n}" for n, y in counts) + "."
    return text


def _selection_text(design, bound_lambda_d: float | None = None, extrasafe: bool = False) -> str:
    t = num(design.target)
    text = ("At the end of the trial, among the doses given to at least one patient that are not eliminated "
            "(elimination re-evaluated on the final counts"
            + ("; every dose is eliminated when the lowest dose meets the extra-safe rule" if extrasafe else "")
            + "), the DLT probabilities are estimated by isotonic regression (pool-adjacent-violators, weights "
            "1 / posterior variance) of (y + 0.05) / (n + 0.1), and the dose whose estimate is closest to the "
            f"target {t} is selected; ties go to the higher dose when the estimates are below the target and to "
            "the lower dose when they are above it (R BOIN's select.mtd).")
    if bound_lambda_d is not None:
        text += (f" Only doses whose isotonic estimate is below lambda_d = {bound_lambda_d:.3f} qualify "
                 "(boundMTD).")
    return text + " If no dose qualifies, none is selected."


def _earlystop_text(design) -> str | None:
    if design.n_earlystop is None:
        return None
    return (f"the next cohort would be treated at the current dose and it already has {design.n_earlystop} or more "
            "patients (n.earlystop)")


def _bounds_sentence(word: str = "eliminated") -> str:
    return (f"An escalation is not carried out at the highest dose or into an {word} dose, nor a de-escalation at "
            "the lowest dose: the next cohort then stays at the current dose.")


def _boundary_rows(lam_e: float, lam_d: float, phi1: float | None = None, phi2: float | None = None) -> list:
    """BOIN's boundary rows of a spec table (with p_saf and p_tox when given)."""
    rows = [] if phi1 is None else [("p_saf, p_tox", f"{num(phi1)}, {num(phi2)}")]
    return rows + [("Escalation boundary lambda_e", f"{lam_e:.3f} ({lam_e:.6f})"),
                   ("De-escalation boundary lambda_d", f"{lam_d:.3f} ({lam_d:.6f})")]


def _boin_stop_rows(d, t: str, earlystop: bool = True) -> list:
    """The extra-safe and n.earlystop rows of a BOIN-family spec table, where they apply."""
    rows = []
    if d.extrasafe:
        rows.append(("Extra-safe stop at the lowest dose", f"P(p_1 > {t} | data) > {num(d.cutoff_eli - d.offset)}"))
    if earlystop and d.n_earlystop is not None:
        rows.append(("Early stop (n.earlystop)", f"{d.n_earlystop} patients at the current dose and a stay"))
    return rows


def _interval_common(d, scenario, title_design: str, rule: str, rows_rule: list[tuple[str, str]], word: str,
                     peer: str, selection: str, extra_stops: list[str] | None = None,
                     extra_sections: list[tuple[str, str]] | None = None) -> Protocol:
    p = Protocol(d.label())
    p.sections.append(("Design", title_design))
    levels = dose_levels_text(d, scenario)
    p.sections.append(("Cohorts and sample size", (f"{levels}. " if levels else "")
                       + f"Cohorts of {d.cohort_size}, starting at {dose_name(d.start_dose, scenario)}. "
                       + sample_size_text(d.max_n, d.cohort_size)))
    p.sections.append(("Dose-finding rule", rule))
    p.sections.append(("Elimination (safety)" if word == "eliminate" else "Exclusion (safety)",
                       _elim_text(d, d.max_n, d.cohort_size, word)))
    for head, body in extra_sections or []:
        p.sections.append((head, body))
    stops = [f"{d.max_n} patients have been treated", f"the lowest dose is {word}d (no dose selected)"]
    stops += extra_stops or []
    es = _earlystop_text(d)
    if es:
        stops.append(es)
    p.set_stops(stops)
    p.sections.append(("Selection of the MTD", selection))
    p.sections.append(("Reference implementation", peer))
    p.rows = [("Design", d.family), ("Target DLT probability", num(d.target))] + _levels_row(d, scenario) + [
              ("Cohort size", str(d.cohort_size)),
              ("Start dose", dose_name(d.start_dose, scenario)), ("Maximum sample size", str(d.max_n))]
    p.rows += rows_rule
    p.rows.append((f"{word.capitalize()} a dose", f"n >= 3 and P(p > {num(d.target)} | data) > {num(d.cutoff_eli)}"))
    if d.n_earlystop is not None:
        p.rows.append(("Early stop (n.earlystop)", f"{d.n_earlystop} patients at the current dose and a stay"))
    p.rows.append(("MTD selection", "isotonic estimate closest to the target (select.mtd)"))
    return p


def boin(d, scenario) -> Protocol:
    lam_e, lam_d = d.lambdas
    t = num(d.target)
    title = (f"Bayesian optimal interval (BOIN) design (Liu & Yuan 2015) with target DLT probability {t}.")
    rule = (f"After each cohort, with n patients treated at the current dose and y of them with a DLT, the "
            f"observed DLT rate y / n is compared with two boundaries: escalate to the next higher dose if "
            f"y / n <= lambda_e = {lam_e:.3f}; de-escalate to the next lower dose if y / n >= lambda_d = "
            f"{lam_d:.3f}; otherwise stay at the current dose. The boundaries follow from the target phi = {t}, "
            f"p_saf = {num(d.phi1)} (the highest DLT probability deemed sub-therapeutic) and p_tox = {num(d.phi2)} "
            "(the lowest deemed overly toxic): lambda_e = log((1 - p_saf) / (1 - phi)) / log(phi (1 - p_saf) / "
            "(p_saf (1 - phi))), lambda_d = log((1 - phi) / (1 - p_tox)) / log(p_tox (1 - phi) / (phi (1 - "
            f"p_tox))); to six decimals lambda_e = {lam_e:.6f} and lambda_d = {lam_d:.6f}. The boundary table "
            "gives the same decisions in numbers of DLTs for every n and is what the design applies. "
            + _bounds_sentence())
    if d.stay_at_1_of_3:
        tab = d.decision_table(max(d.max_n, 3))
        if tab[3][1] == "S":
            rule += (" Exception (stay_at_1_of_3): with 1 DLT among exactly 3 patients the next cohort stays at the "
                     "current dose (the boundary alone would de-escalate).")
    if d.titration and d.cohort_size > 1:
        rule += (f" Accelerated titration: the trial starts at dose level 1 (whatever the start dose) with one "
                 "patient per dose, escalating after each patient until the first DLT or the highest dose; that dose "
                 f"then receives {d.cohort_size - 1} more patients, after which the cohorts and rules above apply.")
    extra_stops = []
    if d.extrasafe:
        extra_stops.append(f"the current dose is the lowest, has at least 3 patients (at an n where an elimination "
                           f"boundary exists) and P(p_1 > {t} | data) > {num(d.cutoff_eli)} - {num(d.offset)} = "
                           f"{num(d.cutoff_eli - d.offset)} (extra-safe rule; no dose selected)")
    rows = _boundary_rows(lam_e, lam_d, d.phi1, d.phi2) + [("Elimination cutoff", num(d.cutoff_eli))]
    rows += _boin_stop_rows(d, t, earlystop=False)  # _interval_common adds n.earlystop
    if d.titration and d.cohort_size > 1:
        rows.append(("Accelerated titration", "yes"))
    if d.bound_mtd:
        rows.append(("boundMTD", f"selected estimate < lambda_d = {lam_d:.3f}"))
    if d.stay_at_1_of_3:
        rows.append(("1 DLT of 3", "stay"))
    peer = ("R package BOIN 2.7.2 (get.boundary, get.oc, select.mtd): doseesc's boundary tables and final "
            "selections equal its output and its operating characteristics agree within Monte Carlo error.")
    return _interval_common(d, scenario, title, rule, rows, "eliminate", peer,
                            _selection_text(d, lam_d if d.bound_mtd else None, d.extrasafe), extra_stops)


def _intervals_text(intervals, kinds) -> str:
    words = {"E": "escalate", "S": "stay", "D": "de-escalate"}
    parts = []
    for (lo, hi), k in zip(intervals, kinds):
        parts.append(f"[{num(lo)}, {num(hi)}] {words[k]}")
    return "; ".join(parts)


def mtpi_family(d, scenario) -> Protocol:
    from .interval import MTPI2, I3plus3, Keyboard, _tiles

    t = num(d.target)
    lo, hi = d.target - d.epsilon1, d.target + d.epsilon2
    ei = f"[{num(lo)}, {num(hi)}]"
    word = "exclude"
    if isinstance(d, I3plus3):
        title = (f"i3+3 design (Liu, Wang & Ji 2020) with target DLT probability {t} and equivalence interval {ei} "
                 f"(epsilon1 = {num(d.epsilon1)}, epsilon2 = {num(d.epsilon2)}).")
        rule = (f"After each cohort, with n patients treated at the current dose and y of them with a DLT: if "
                f"y / n is below {num(lo)}, escalate to the next higher dose; if it lies in {ei}, stay; if it is "
                f"above {num(hi)}, de-escalate to the next lower dose, unless (y - 1) / n is below {num(lo)}, in "
                "which case stay. " + _bounds_sentence("excluded"))
        rows = [("Equivalence interval", ei), ("Rule", "y/n below: escalate; inside: stay; above: de-escalate "
                                                       "unless (y-1)/n is below (stay)")]
        peer = ("R package FIND 0.1.0 (the i3+3 authors' group; get.decision.i3, run.sim.i3): decision tables equal, "
                "operating characteristics with cohorts of 3 agree within Monte Carlo error. With cohorts of 1 or 2 "
                "FIND's simulator excludes a dose after 1-2 patients, unlike its decision tables; doseesc excludes "
                "from 3 patients.")
    elif isinstance(d, MTPI2):  # also Keyboard
        keyboard = isinstance(d, Keyboard)
        below, above = _tiles(lo, hi, d.epsilon1 + d.epsilon2, not keyboard)
        intervals = below[::-1] + [(lo, hi)] + above
        kinds = ["E"] * len(below) + ["S"] + ["D"] * len(above)
        w = num(d.epsilon1 + d.epsilon2)
        if keyboard:
            title = (f"Keyboard design (Yan, Mandrekar & Yuan 2017) with target DLT probability {t}: target key {ei} "
                     f"and keys of width {w} (keys that would extend beyond [0, 1] are dropped).")
            score = "posterior probability"
            peer = ("CRAN package Keyboard 0.1.3 (get.boundary.kb, get.oc.kb): decision tables equal, operating "
                    "characteristics agree within Monte Carlo error.")
            rows = [("Target key", ei), ("Key width", w), ("Keys", str(len(intervals)))]
        else:
            title = (f"mTPI-2 design (Guo et al. 2017) with target DLT probability {t}: equivalence interval {ei} and "
                     f"intervals of width {w} below and above it (truncated at 0 and 1).")
            score = "unit probability mass (posterior probability divided by the interval's length)"
            peer = ("Guo et al. (2017) decision table; R package FIND 0.1.0 (get.decision.mtpi2, run.sim.mtpi2): "
                    "decision tables equal, operating characteristics agree within Monte Carlo error.")
            rows = [("Equivalence interval", ei), ("Interval width", w), ("Intervals", str(len(intervals)))]
        rule = (f"After each cohort, with n patients treated at the current dose and y of them with a DLT, the "
                f"{score} of each interval is computed under the posterior Beta(1 + y, 1 + n - y) (Beta(1, 1) "
                "prior), and the interval with the largest value decides: " + _intervals_text(intervals, kinds)
                + " (an exact tie goes to the stay interval, then to the lower interval). "
                + _bounds_sentence("excluded"))
        rows.append(("Intervals and decisions", _intervals_text(intervals, kinds)))
    else:
        title = (f"Modified toxicity probability interval (mTPI) design (Ji et al. 2010) with target DLT probability "
                 f"{t} and equivalence interval {ei}.")
        intervals = [(0.0, lo), (lo, hi), (hi, 1.0)]
        kinds = ["E", "S", "D"]
        rule = ("After each cohort, with n patients treated at the current dose and y of them with a DLT, the unit "
                "probability mass (posterior probability divided by the interval's length) of the under-dosing, "
                "equivalence and over-dosing intervals is computed under the posterior Beta(1 + y, 1 + n - y) "
                "(Beta(1, 1) prior), and the interval with the largest value decides: "
                + _intervals_text(intervals, kinds) + " (an exact tie goes to the stay interval, then to the lower "
                "interval). " + _bounds_sentence("excluded"))
        rows = [("Equivalence interval", ei), ("Intervals and decisions", _intervals_text(intervals, kinds))]
        peer = ("Ji et al. (2010): its published decision table (Fig. 2) exactly, and its Table 1 scenario 1 by exact "
                "enumeration (selection within 1.5 percentage points and patients per dose within 0.35 of a "
                "third party's transcription). No R package was run.")
    rows.append(("Exclusion cutoff", num(d.cutoff_eli)))
    return _interval_common(d, scenario, title, rule, rows, word, peer, _selection_text(d))


# ---------------------------------------------------------------------------- CRM
def _model_text(d, scenario) -> tuple[str, list[tuple[str, str]]]:
    sk = seq(d.skeleton, 6)
    if d.model == "empiric":
        text = (f"empiric (power) working model p_d = s_d ^ exp(beta) with skeleton s = {sk}")
        rows = [("Working model", "empiric: p_d = s_d ^ exp(beta)"), ("Skeleton", sk)]
    else:
        x = d.scaled_doses() if hasattr(d, "scaled_doses") else (
            np.log(np.asarray(d.skeleton) / (1 - np.asarray(d.skeleton))) - d.intercept)
        text = (f"logistic working model p_d = 1 / (1 + exp(-a0 - exp(beta) x_d)) with intercept a0 = "
                f"{num(d.intercept)}, skeleton s = {sk} and scaled doses x_d = logit(s_d) - a0 = {seq(x, 5)}")
        rows = [("Working model", "logistic: p_d = 1 / (1 + exp(-a0 - exp(beta) x_d))"), ("Skeleton", sk),
                ("Intercept a0", num(d.intercept)), ("Scaled doses x_d", seq(x, 5))]
    return text, rows


def _prior_text(d) -> str:
    sd = d.prior_sd
    var = sd * sd
    return f"N(0, {num(sd)}^2) (variance {num(var)})"


NO_OWN_SAFETY_RULE = ("The design has no safety stopping rule of its own (the composable stop_for_safety rule adds "
                      "one).")
UNTRIED = ("It may be a dose no patient has received; the select_min_n rule restricts the selection to doses with "
           "at least that many patients.")


def crm(d, scenario) -> Protocol:
    t = num(d.target)
    p = Protocol(d.label())
    model, mrows = _model_text(d, scenario)
    bayes = d.method == "bayes"
    p.sections.append(("Design", f"Continual reassessment method (CRM; O'Quigley, Pepe & Fisher 1990) with target "
                                 f"DLT probability {t} and {article(model)} (dose levels d = 1..{len(d.skeleton)})."))
    levels = dose_levels_text(d, scenario)
    start = (f"starting at {dose_name(d.start_dose, scenario)}" if d.x0 is None else
             "following the initial design below")
    p.sections.append(("Cohorts and sample size", (f"{levels}. " if levels else "") + f"Cohorts of {d.cohort_size}, "
                       f"{start}. " + sample_size_text(d.max_n, d.cohort_size)))
    if bayes:
        est = (f"The model parameter beta has a {_prior_text(d)} prior. After each cohort its posterior mean is "
               "computed by numerical integration (relative error below 1e-6) and each dose's DLT probability is "
               "estimated by plugging it into the working model.")
    else:
        est = ("The model parameter beta is estimated by maximum likelihood (on (-10, 10), as dfcrm) and each dose's "
               "DLT probability by plugging it into the working model.")
    assign = (f"The next cohort is treated at the dose whose estimated DLT probability is closest to {t}; if every "
              "estimate is at or below the target, at the highest dose; if every estimate is at or above it, at the "
              "lowest dose; an exact tie goes to the lower dose.")
    p.sections.append(("Estimation and dose assignment", est + " " + assign))
    if not d.restrict:
        restr = "None: the model's recommendation is always followed (dose skipping is allowed)."
    elif d.skip_escalation:
        restr = ("Coherence only: the next dose is never above the last cohort's dose when the last cohort's observed "
                 "DLT rate was at or above the target; otherwise the model's recommendation is followed, including "
                 "escalations that skip doses.")
    else:
        restr = ("As dfcrm crmsim's restrict = TRUE: the next dose is never more than one level above the last "
                 "cohort's dose (no skipping when escalating), and never above it when the last cohort's observed "
                 "DLT rate was at or above the target (coherence).")
    p.sections.append(("Restrictions", restr))
    if d.x0 is not None:
        x0 = list(d.x0)
        p.sections.append(("Initial design (two-stage)", f"Until the first DLT, patient i receives dose x0_i with x0 "
                           f"= {seq(x0)} (one dose per patient, constant within a cohort); after the first DLT the "
                           "model takes over. As in dfcrm, while every patient so far has had a DLT, decisions use a "
                           "nearly flat N(0, 500^2) prior (in effect the lowest dose)."))
    if d.model_safety_threshold is not None:
        safety = (f"After every cohort the trial stops and no dose is selected when P(p_1 > {t} | data) > "
                  f"{num(d.model_safety_threshold)} under the CRM posterior.")
    else:
        safety = NO_OWN_SAFETY_RULE
    p.sections.append(("Safety", safety))
    stops = [f"{d.max_n} patients have been treated"]
    if d.model_safety_threshold is not None:
        stops.append("the safety rule holds (no dose selected)")
    p.set_stops(stops)
    p.sections.append(("Selection of the MTD", "The MTD is the dose the model recommends after the last patient "
                       "(closest to the target as above, without the restrictions): dfcrm crmsim's MTD. " + UNTRIED))
    if bayes:
        ref = ("R package dfcrm 0.2-2.1: posterior means, plug-in estimates and recommendations equal its crm() "
               "values, calibrated skeletons its getprior(), and with restrict = TRUE the operating characteristics "
               "agree with crmsim within 4 Monte Carlo standard errors; the patient-by-patient trace of Cheung (2011, "
               "Table 3.2) is reproduced with the coherence-only restriction.")
    else:
        ref = ("dfcrm 0.2-2.1's likelihood method (crm / crmsim with an initial design x0); doseesc's estimates are "
               "checked against a direct maximum-likelihood computation, not against dfcrm's output.")
    if d.model_safety_threshold is not None:
        ref += " The safety stopping rule is doseesc's own (dfcrm has none)."
    p.sections.append(("Reference implementation", ref))
    p.rows = [("Design", "CRM"), ("Target DLT probability", t)] + _levels_row(d, scenario) + mrows
    p.rows += [("Prior on beta", _prior_text(d) if bayes else "none (maximum likelihood)"),
               ("Estimate", "posterior mean of beta, plug-in" if bayes else "maximum likelihood, plug-in"),
               ("Cohort size", str(d.cohort_size)),
               ("Start dose", dose_name(d.start_dose, scenario) if d.x0 is None else f"x0 = {seq(d.x0)}"),
               ("Maximum sample size", str(d.max_n)),
               ("Restriction", "none" if not d.restrict else ("coherence only" if d.skip_escalation
                                                              else "no skipping + coherence (dfcrm)")),
               ("Safety stop", "none" if d.model_safety_threshold is None
                else f"P(p_1 > {t} | data) > {num(d.model_safety_threshold)}"),
               ("MTD selection", "model's recommendation after the last patient (untried doses allowed)"),
               ("Peer", "dfcrm 0.2-2.1 (crm, crmsim, getprior)" if bayes else "dfcrm 0.2-2.1 likelihood method")]
    return p


def tite_crm(d, scenario) -> Protocol:
    t = num(d.target)
    p = Protocol(d.label())
    model, mrows = _model_text(d, scenario)
    p.sections.append(("Design", f"Time-to-event CRM (TITE-CRM; Cheung & Chappell 2000) with target DLT probability "
                                 f"{t} and {article(model)} (dose levels d = 1..{len(d.skeleton)})."))
    levels = dose_levels_text(d, scenario)
    p.sections.append(("Cohorts and sample size", (f"{levels}. " if levels else "")
                       + f"One patient per decision, starting at {dose_name(d.start_dose, scenario)}; patients are "
                       f"enrolled as they arrive, without waiting for earlier patients' follow-up. The trial enrols "
                       f"{d.max_n} patients."))
    W = window_text(scenario)
    if d.scheme == "linear":
        weights = (f"linear weights: a patient without a DLT who has been followed for time u weighs min(u / W, 1), "
                   f"with {W}")
    else:
        weights = (f"adaptive weights (Cheung & Chappell 2000; dfcrm scheme = 'adaptive'): with z DLT times observed "
                   f"so far, t_1 < ... < t_z, and t_0 = 0, t_(z+1) = W ({W}), a patient without a DLT followed for "
                   "time u, with t_m <= u < t_(m+1), weighs (m + (u - t_m) / (t_(m+1) - t_m)) / (z + 1), at most 1")
    p.sections.append(("Window weighting", f"At each arrival the weighted likelihood prod p_d^y (1 - w p_d)^(1 - y) "
                       f"uses {weights}; a patient with an observed DLT weighs 1."))
    p.sections.append(("Estimation and dose assignment", f"beta has a {_prior_text(d)} prior; its posterior mean under "
                       "the weighted likelihood is computed by numerical integration over (-10, 10), as dfcrm. Each "
                       f"arriving patient receives the dose whose estimated DLT probability is closest to {t} (all "
                       "estimates at or below the target: the highest dose; all at or above: the lowest dose)."))
    p.sections.append(("Restrictions", "As dfcrm titesim's restrict = TRUE: never more than one level above the "
                       "previous patient's dose (no coherence rule)." if d.restrict else
                       "None: the model's recommendation is always followed."))
    p.sections.append(("Safety", NO_OWN_SAFETY_RULE))
    p.set_stops([f"{d.max_n} patients have been enrolled (the trial ends when the last patient's window is "
                 "complete)"])
    p.sections.append(("Selection of the MTD", "After the last patient's window, the dose the CRM recommends from the "
                       "complete data (every weight 1; a patient who dropped out before the end of the window keeps "
                       "the weight of their follow-up at the drop-out)."))
    p.sections.append(("Reference implementation", "R package dfcrm 0.2-2.1 (titecrm, titesim): posterior means "
                       "equal its published values and operating characteristics agree with titesim within Monte "
                       "Carlo error."))
    p.rows = [("Design", "TITE-CRM"), ("Target DLT probability", t)] + _levels_row(d, scenario) + mrows
    p.rows += [("Prior on beta", _prior_text(d)),
               ("Weights", "linear: follow-up / W" if d.scheme == "linear" else "adaptive (Cheung & Chappell 2000)"),
               ("DLT window W", num(scenario.time.window) if scenario is not None and scenario.time is not None
                else "from the time model"),
               ("Cohort size", "1 (a decision at each arrival)"),
               ("Start dose", dose_name(d.start_dose, scenario)),
               ("Maximum sample size", str(d.max_n)),
               ("Restriction", "at most one level above the previous patient" if d.restrict else "none"),
               ("Safety stop", "none"),
               ("MTD selection", "CRM recommendation on complete data"),
               ("Peer", "dfcrm 0.2-2.1 titesim")]
    return p


def tite_boin(d, scenario) -> Protocol:
    b = d._boin()
    lam_e, lam_d = b.lambdas
    t = num(d.target)
    W = window_text(scenario)
    ess = d.estimate == "ess"
    title = (f"Time-to-event BOIN (TITE-BOIN; Yuan, Lin, Li, Nie & Warren 2018) with target DLT probability {t}"
             + (", with Lin & Yuan's (2020) effective-sample-size estimate" if ess else "") + ".")
    susp_pct = pct(d.accrual_suspend)
    rule = (f"One decision per cohort of {d.cohort_size}, at the arrival of the cohort's first patient, from the data "
            f"available then. BOIN's boundaries apply: lambda_e = {lam_e:.3f} and lambda_d = {lam_d:.3f} (to six "
            f"decimals {lam_e:.6f} and {lam_d:.6f}; p_saf = {num(b.phi1)}, p_tox = {num(b.phi2)}). At the current "
            "dose let n be the patients treated, y the DLTs observed so far, m the patients pending (no DLT yet, "
            f"window incomplete) and STFT the pending patients' standardized total follow-up, the sum of their "
            f"follow-up / W over the window ({W}). ")
    if not ess:
        rule += (f"If y / n >= lambda_d, de-escalate (pending outcomes can only add DLTs). Otherwise, if more than "
                 f"{susp_pct} of the n patients are pending, accrual is suspended; otherwise the estimate p = (y + "
                 f"pi / (1 - pi) (m - STFT)) / n, with pi = (y + {num(d.target / 2)}) / (n - m + 1) (the posterior "
                 f"mean from the completed patients under a Beta({num(d.target / 2)}, {num(1 - d.target / 2)}) prior), "
                 "decides: when y / n is below the target, escalate if p <= lambda_e, else stay; when y / n is above "
                 "it, de-escalate if p >= lambda_d, else stay; when y / n equals it, stay. With no patient pending "
                 "the decision is BOIN's. ")
    else:
        rule += (f"After elimination, accrual is suspended whenever more than {susp_pct} of the n patients are "
                 "pending; otherwise the estimate y / (n - m + STFT) (observed DLTs over the effective sample size) "
                 "decides: escalate if it is <= lambda_e, de-escalate if >= lambda_d (at the lowest dose: suspend "
                 "while patients are pending there), else stay (the order of R's TITEgBOIN). ")
    rule += _bounds_sentence()
    susp = (f"Accrual is suspended when more than {susp_pct} of the patients at the current dose are pending "
            "(accrual_suspend = " + num(d.accrual_suspend) + ("; 1 never suspends" if d.accrual_suspend >= 1 else "")
            + "): the arriving patient is not enrolled then (turned away, or waiting until the next DLT or completed "
            "window, per the scenario's time model) and the decision is taken again. Patients who dropped out stay "
            "pending for good and are never waited for.")
    elim = (f"At every decision, a dose with at least 3 patients and P(p > {t} | y, n) > "
            f"{num(d.cutoff_eli)} under a Beta(1, 1) prior, on the DLTs observed so far, is eliminated with every "
            "higher dose; a late DLT can eliminate a dose below the current one, and the next patient then receives "
            "the dose below the lowest eliminated dose. If the lowest dose is eliminated, the trial stops and no dose "
            "is selected.")
    counts = _elim_counts(b, d.cohort_size, d.max_n)
    if counts:
        elim += " In numbers of DLTs: " + ", ".join(f"{y} or more of {n}" for n, y in counts) + "."
    p = Protocol(d.label())
    p.sections.append(("Design", title))
    levels = dose_levels_text(d, scenario)
    p.sections.append(("Cohorts and sample size", (f"{levels}. " if levels else "") + f"Cohorts of {d.cohort_size}, "
                       f"starting at {dose_name(d.start_dose, scenario)}, enrolled as they arrive without waiting for "
                       "complete follow-up. " + sample_size_text(d.max_n, d.cohort_size)))
    p.sections.append(("Dose-finding rule", rule))
    p.sections.append(("Accrual suspension", susp))
    p.sections.append(("Elimination (safety)", elim))
    stops = [f"{d.max_n} patients have been enrolled (the trial ends when the last patient's window is complete)",
             "the lowest dose is eliminated (no dose selected)"]
    if d.extrasafe:
        stops.append(f"the current dose is the lowest, has at least 3 patients (at an n where an elimination boundary "
                     f"exists) and P(p_1 > {t} | data) > {num(d.cutoff_eli - d.offset)} (extra-safe rule; no dose "
                     "selected)")
    es = _earlystop_text(d)
    if es:
        stops.append(es)
    p.set_stops(stops)
    p.sections.append(("Selection of the MTD", "BOIN's final selection, on the complete data once the last patient's "
                       "window is complete. " + _selection_text(d, None, d.extrasafe)))
    peer = ("R package TITEgBOIN 0.3.0 (get_oc_TITE_QuasiBOIN with TITE = TRUE): operating characteristics agree "
            "within Monte Carlo error on 8 settings." if ess else
            "Yuan et al. (2018): its decision rules with their STFT cut-offs, reproduced exactly (the paper's "
            "supplementary Table S1, target 0.3, and a published table for target 0.2). With complete data at every "
            "decision the design is BOIN (R package BOIN 2.7.2).")
    p.sections.append(("Reference implementation", peer))
    p.rows = [("Design", "TITE-BOIN" + (" (ESS estimate)" if ess else "")), ("Target DLT probability", t)]
    p.rows += _levels_row(d, scenario) + [
              ("Cohort size", f"{d.cohort_size} (a decision at each cohort's first arrival)"),
              ("Start dose", dose_name(d.start_dose, scenario)), ("Maximum sample size", str(d.max_n)),
              *_boundary_rows(lam_e, lam_d, b.phi1, b.phi2),
              ("Pending outcomes", "imputed: pi / (1 - pi) (m - STFT)" if not ess else "ESS: y / (n - m + STFT)"),
              ("DLT window W", num(scenario.time.window) if scenario is not None and scenario.time is not None
               else "from the time model"),
              ("Accrual suspension", f"more than {susp_pct} of patients at the current dose pending"),
              ("Eliminate a dose", f"n >= 3 and P(p > {t} | data) > {num(d.cutoff_eli)}")]
    p.rows += _boin_stop_rows(d, t)
    p.rows += [("MTD selection", "isotonic estimate closest to the target (select.mtd), complete data"),
               ("Peer", "TITEgBOIN 0.3.0" if ess else "Yuan et al. (2018) decision tables")]
    return p


# ---------------------------------------------------------------------------- BOIN12 and TITE-BOIN12
def _adm_counts(b, k: int = 3) -> tuple[list[tuple[int, int]], list[tuple[int, int]], int | None]:
    """From BOIN12's own admissibility table: (n, fewest DLTs failing the toxicity rule) and (n,
    most responses failing the efficacy rule) at the first ``k`` cohort multiples where each rule
    can fail, and the smallest n at which the efficacy rule can fail at all (None: never)."""
    from .._kernels.boin12 import EFF_BAD, TOX_BAD

    tab = b._table(b.max_n, False).astype(np.int64)
    tox, eff = [], []
    for n in range(b.cohort_size, b.max_n + 1, b.cohort_size):
        bits = tab[n, : n + 1]
        ys = np.flatnonzero(bits & TOX_BAD)
        es = np.flatnonzero(bits & EFF_BAD)
        if ys.size and len(tox) < k:
            tox.append((n, int(ys[0])))
        if es.size and len(eff) < k:
            eff.append((n, int(es[-1])))
    first_eff = next((n for n in range(b.max_n + 1) if np.any(tab[n, : n + 1] & EFF_BAD)), None)
    return tox, eff, first_eff


def _untried_admissible(b) -> bool:
    """Whether a dose no patient has received passes both admissibility rules (Beta(1, 1) priors)."""
    return 1 - b.phi_t < b.c_t and b.phi_e < b.c_e


def _u_bar(b) -> float:
    """The utility at (p_T, p_E) = (phi_T, phi_E) with independent outcomes (u1 = 100, u4 = 0)."""
    t, e = b.phi_t, b.phi_e
    return 100 * e * (1 - t) + b.u2 * (1 - t) * (1 - e) + b.u3 * t * e


def _b12_selection_text(b) -> str:
    ub = b.utility_benchmark
    return (f"When the trial ends with a dose recommended (after {b.max_n} patients, or by a composable stopping "
            "rule), the MTD is estimated first: the observed DLT rates y / n of the doses given to at least one "
            "patient are made non-decreasing by unweighted isotonic regression (pool-adjacent-violators), and the MTD "
            f"is the dose whose estimate is closest to phi_T = {num(b.phi_t)} (a tie goes to the higher dose). The "
            "OBD is the dose with the highest desirability score on the final data among dose levels 1 to the MTD (a "
            "tie goes to the lower dose; admissibility is not checked again, and a dose in that range that no "
            f"patient received has the score {num(100 - ub)}). This is R escalation's select_boin12_obd. A trial that "
            "stopped because no dose was admissible selects no dose.")


def boin12(b, scenario) -> Protocol:
    """BOIN12 (Lin et al. 2020) as the MD Anderson app and R escalation's get_boin12."""
    from .._kernels.boin12 import N_EXPLORE

    t, e = num(b.phi_t), num(b.phi_e)
    u2, u3 = num(b.u2), num(b.u3)
    lam_e, lam_d = _b12_lambdas(b)
    ub, ubar = b.utility_benchmark, _u_bar(b)
    p = Protocol(b.label())
    p.sections.append(("Design", "BOIN12, the Bayesian optimal interval phase I/II design (Lin, Zhou, Yan, Li & Yuan "
                       "2020), which looks for the optimal biological dose (OBD) from toxicity and efficacy together: "
                       f"the highest acceptable DLT probability is phi_T = {t} and the lowest acceptable response "
                       f"probability phi_E = {e}. The rules are those of the MD Anderson BOIN12 app as R package "
                       "escalation implements them (get_boin12, select_boin12_obd). Each patient's outcome is one of "
                       "four: response without DLT (E), neither (N), both (B), DLT without response (T)."))
    levels = dose_levels_text(b, scenario)
    p.sections.append(("Cohorts and sample size", (f"{levels}. " if levels else "")
                       + f"Cohorts of {b.cohort_size}, starting at {dose_name(b.start_dose, scenario)}. "
                       + sample_size_text(b.max_n, b.cohort_size)
                       + " The current dose at a decision is the dose the last cohort received."))
    p.sections.append(("Utility and desirability", f"The outcomes have utilities u1 = 100 (E), u2 = {u2} (N), "
                       f"u3 = {u3} (B) and u4 = 0 (T). At a dose with n patients, of whom n_E, n_N, n_B and n_T had "
                       "each outcome, the standardized utility U (utility / 100) has the quasi-binomial posterior "
                       f"Beta(1 + x, 1 + n - x) with x = (100 n_E + {u2} n_N + {u3} n_B) / 100 (a Beta(1, 1) "
                       "prior). The desirability score of the dose is 100 P(U > u_b / 100 | data), with the "
                       f"benchmark u_b = {num(ub)}: halfway "
                       f"between 100 and u_bar = {num(ubar)}, the mean utility at (p_T, p_E) = (phi_T, phi_E) = ({t}, "
                       f"{e}) with independent outcomes (100 phi_E (1 - phi_T) + u2 (1 - phi_T) (1 - phi_E) + u3 phi_T "
                       "phi_E). A higher score is more desirable; the scores rank doses as the app's rank-based "
                       "desirability score (RDS) does. A dose no patient has received scores "
                       f"100 (1 - u_b / 100) = {num(100 - ub)}."))
    tox, eff, first_eff = _adm_counts(b)
    adm = (f"A dose is admissible when P(p_T > {t} | data) < {num(b.c_t)} and P(p_E < {e} | data) < {num(b.c_e)}, "
           "with the posteriors Beta(1 + y, 1 + n - y) for the DLT probability and Beta(1 + r, 1 + n - r) for the "
           "response probability (y DLTs and r responses among n patients; Beta(1, 1) priors). Admissibility is "
           "evaluated afresh at every decision, for the doses d - 1, d and d + 1 around the current dose d only; no "
           "dose is eliminated for good (as the app and escalation). A dose no patient has received is "
           + ("admissible" if _untried_admissible(b) else "not admissible") + " under these cut-offs.")
    if tox:
        adm += " A dose fails the toxicity rule with " + ", ".join(f"{y} or more DLTs of {n}" for n, y in tox) + "."
    if eff:
        adm += (" It fails the efficacy rule with " + ", ".join(f"{r} or fewer responses of {n}" if r else
                                                                  f"no response in {n}" for n, r in eff)
                + f" (the efficacy rule cannot fail with fewer than {first_eff} patients).")
    elif first_eff is None:
        adm += f" The efficacy rule cannot fail with up to {b.max_n} patients at a dose."
    p.sections.append(("Admissibility", adm))
    rule = (f"After each cohort, with n patients treated at the current dose d, y of them with a DLT, and p = y / n, "
            f"BOIN's boundaries for phi_T apply: lambda_e = {lam_e:.3f} and lambda_d = {lam_d:.3f} (to six decimals "
            f"{lam_e:.6f} and {lam_d:.6f}; p_saf = 0.6 phi_T = {num(0.6 * b.phi_t)}, p_tox = 1.4 phi_T = "
            f"{num(1.4 * b.phi_t)}, as escalation's get.boundary call). The first rule that applies decides: "
            f"(1) exploration: if d has more than {N_EXPLORE} patients, p < lambda_d, d is not the highest dose and no "
            "patient has received d + 1, escalate to d + 1; (2) if p >= lambda_d, de-escalate to d - 1 (at dose level "
            f"1, stay); (3) if lambda_e < p < lambda_d and n >= n_star = {b.n_star}, do not explore above d: at "
            "d >= 2, if d is admissible the next cohort receives whichever of d - 1 and d has the higher desirability "
            "score (a tie goes to d - 1; the admissibility of d - 1 is not checked), and if d is not admissible it "
            "receives d - 1; at dose level 1, stay if dose level 1 is admissible, else the trial stops and no dose is "
            "selected; (4) otherwise the next cohort receives the admissible dose among d - 1, d and d + 1 with the "
            "highest desirability score (a tie goes to the higher dose); if none of them is admissible, the trial "
            "stops and no dose is selected. Rule (3) is escalation's code as R evaluates it: its test "
            "'currentdose-1 %in% admissible' parses as currentdose - (1 %in% admissible).")
    p.sections.append(("Dose-finding rule", rule))
    stops = [f"{b.max_n} patients have been treated (the OBD is selected)",
             "no dose is admissible under rule (4), or dose level 1 is not admissible under rule (3) (no dose "
             "selected); this is checked after every cohort, the last one included"]
    p.set_stops(stops, note="The design has no stop at a number of patients per dose of its own: the rule under "
                "which escalation's tests reproduce the published example (stop once 12 patients have been treated "
                "at any dose) is the composable rule stop_when_n_at_dose(12, dose=\"any\"), as escalation's "
                "stop_when_n_at_dose.")
    p.sections.append(("Selection of the OBD", _b12_selection_text(b)))
    p.sections.append(("Reference implementation", "R package escalation 0.2.3 (get_boin12, select_boin12_obd) and "
                       "the MD Anderson BOIN12 app: doseesc makes the 11 decisions of the published example trial "
                       "(Lin et al. 2020) and the app's decisions recorded in escalation's tests (56 under phi_T = "
                       "0.35, phi_E = 0.25, u = (100, 40, 60, 0); 53 under phi_T = 0.15, phi_E = 0.4, u = (100, 50, "
                       "30, 0)), reproduces the rank-based desirability scores of the paper's Table 3 cells that "
                       "escalation's tests transcribe, decides as escalation at all 2,624 prefixes of 800 random "
                       "trial paths (two parameterisations, start doses 1 and 3; stops and OBD "
                       "selections included), and its operating characteristics agree with escalation's "
                       "simulate_trials (6 scenarios, 4,000 R trials each, 200,000 doseesc trials) within 4 combined "
                       "Monte Carlo standard errors. Exact enumeration (doseesc.exact) agrees with Monte Carlo within "
                       "4 standard errors."))
    p.rows = [("Design", "BOIN12 (phase I/II: optimal biological dose)"),
              ("Highest acceptable DLT probability phi_T", t), ("Lowest acceptable response probability phi_E", e)]
    p.rows += _levels_row(b, scenario) + [
        ("Cohort size", str(b.cohort_size)), ("Start dose", dose_name(b.start_dose, scenario)),
        ("Maximum sample size", str(b.max_n)),
        *_boundary_rows(lam_e, lam_d),
        ("Utilities u1, u2, u3, u4 (E, N, B, T)", f"100, {u2}, {u3}, 0"),
        ("Utility benchmark u_b", f"{num(ub)} (u_bar = {num(ubar)})"),
        ("Desirability score", "100 P(U > u_b / 100 | data), U = utility / 100 ~ Beta(1 + x, 1 + n - x)"),
        ("Admissible", f"P(p_T > {t} | data) < {num(b.c_t)} and P(p_E < {e} | data) < {num(b.c_e)}, "
                       "Beta(1, 1) priors"),
        ("Exploration", f"escalate to an untried d + 1 when d has more than {N_EXPLORE} patients and p < lambda_d"),
        ("n_star", f"{b.n_star}: between the boundaries with n >= {b.n_star}, only d - 1 or d"),
        ("Stop, no dose selected", "no admissible dose among d - 1, d, d + 1 (or dose 1 under rule 3): recorded as "
                                   "a stop for safety when none of them passes the toxicity criterion, for futility "
                                   "when one does"),
        ("OBD selection", "highest score among doses 1 to the isotonic MTD (select_boin12_obd)"),
        ("Peer", "R escalation 0.2.3 (get_boin12, select_boin12_obd); MD Anderson BOIN12 app decisions")]
    return p


def _b12_lambdas(b) -> tuple[float, float]:
    from .interval import _boin_lambdas

    return _boin_lambdas(b.phi_t, 0.6 * b.phi_t, 1.4 * b.phi_t)


def _eff_window_text(scenario) -> str:
    if scenario is not None and scenario.time is not None:
        tm = scenario.time
        own = "" if tm.eff_window is not None else " (the time model gives no efficacy window: the DLT window)"
        return f"W_E = {num(tm.efficacy_window)}, the efficacy window of the scenario's time model{own}"
    return "W_E, the efficacy window of the time model (its DLT window when it gives none)"


def _dlt_window_text(scenario) -> str:
    if scenario is not None and scenario.time is not None:
        return f"W_T = {num(scenario.time.window)}, the DLT window of the scenario's time model"
    return "W_T, the DLT window of the time model"


def tite_boin12(d, scenario) -> Protocol:
    """TITE-BOIN12: BOIN12's wording with the paper's pending-data rules (see the TITEBOIN12 docstring)."""
    b = d._boin12()
    p = boin12(b, scenario)
    p.title = d.label()
    t, e = num(d.phi_t), num(d.phi_e)
    u2, u3 = num(d.u2), num(d.u3)
    WT, WE = _dlt_window_text(scenario), _eff_window_text(scenario)
    design = (f"Time-to-event BOIN12 (TITE-BOIN12; Zhou, Lin, Lee, Li, Wang, Li & Yuan 2022): BOIN12 for late-onset "
              "toxicity and efficacy, by its approximated-likelihood method (the effective sample sizes of Lin & Yuan "
              "(2020) for each outcome, and pending outcomes imputed in the utility). The highest acceptable DLT "
              f"probability is phi_T = {t} and the lowest "
              f"acceptable response probability phi_E = {e}; each patient's toxicity is assessed over the DLT window "
              f"({WT}) and their response over the efficacy window ({WE}). Each patient's outcome is one of four: "
              "response without DLT (E), neither (N), both (B), DLT without response (T).")
    if d.wait_complete:
        design += (" With wait_complete, every decision waits until every enrolled patient's toxicity and efficacy "
                   "outcomes are known: the design is then BOIN12 run under the time model (the 'wait for complete "
                   "data' comparator).")
    p.set_section("Design", design)
    levels = dose_levels_text(d, scenario)
    when = ("one decision per patient, at their arrival, from the data available then" if d.cohort_size == 1 else
            "one decision per cohort, at the arrival of the cohort's first patient, from the data available then; "
            "the cohort's other patients receive the same dose")
    p.set_section("Cohorts and sample size", (f"{levels}. " if levels else "")
                  + f"Cohorts of {d.cohort_size}, starting at {dose_name(d.start_dose, scenario)}, enrolled as they "
                  f"arrive without waiting for complete follow-up: {when}. " + sample_size_text(d.max_n, d.cohort_size)
                  + " The current dose at a decision is the dose the last cohort received.")
    pending = ("At a decision, at each dose: n patients treated, y DLTs and r responses observed so far. A "
               "patient's toxicity outcome is pending while no DLT has been seen and their follow-up is shorter than "
               "W_T; it then has the weight w = follow-up / W_T (a known outcome has weight 1); the efficacy outcome "
               "likewise, with W_E. ESS_T and ESS_E are the sums of these weights at the dose. Wherever a dose has "
               "an outcome pending (the paper's approximated-likelihood method): its DLT and response rates are "
               "estimated by p_T = y / ESS_T and p_E = r / ESS_E (p_T is the p of the dose-finding rule, at the "
               "current dose); admissibility uses the quasi-beta posteriors Beta(1 + y, 1 + ESS_T - y) and Beta(1 + "
               "r, 1 + ESS_E - r); each pending outcome is imputed by its conditional expectation given no event so "
               "far, p (1 - w) / (1 - p w) with p = p_T or p_E, and the desirability score uses Beta(1 + x, 1 + n - x) "
               f"with the quasi-event count x = the sum over the dose's patients of [100 (1 - t) e + {u2} (1 - t) "
               f"(1 - e) + {u3} t e] / 100, t and e each a patient's toxicity and response (0 or 1, or imputed). A "
               "dose with nothing pending uses BOIN12's counts exactly, and when nothing is pending at d - 1, d and "
               "d + 1 the decision is BOIN12's. The rules count every treated patient in n, pending or not (the "
               "exploration rule, n_star and an untried d + 1).")
    p.sections.insert(p.sections.index(next(s for s in p.sections if s[0] == "Dose-finding rule")) + 1,
                      ("Pending outcomes", pending))
    susp_t, susp_e = d.accrual_suspend, d.eff_suspend
    waiting = ("turned away, or queued until the next DLT, response or completed window, as the scenario's time "
               "model says")
    if scenario is not None and scenario.time is not None:
        waiting = ("turned away (the scenario's time model)" if scenario.time.waiting == "turn_away" else
                   "queued until the next DLT, response or completed window (the scenario's time model)")
    if d.wait_complete:
        susp = (f"Accrual is suspended while any enrolled patient, at any dose, has an outcome pending "
                f"(wait_complete): the arriving patient is {waiting}, and the decision is taken again.")
    elif susp_t >= 1 and susp_e >= 1:
        susp = "Accrual is never suspended (accrual_suspend = eff_suspend = 1)."
    else:
        parts = []
        if susp_t < 1:
            parts.append(f"more than {pct(susp_t)} of the patients at the current dose have their toxicity outcome "
                         f"pending (accrual_suspend = {num(susp_t)})")
        if susp_e < 1:
            parts.append(f"more than {pct(susp_e)} have their efficacy outcome pending (eff_suspend = {num(susp_e)})")
        never = []
        if susp_t >= 1:
            never.append("pending toxicity outcomes never suspend (accrual_suspend = 1)")
        if susp_e >= 1:
            never.append("pending efficacy outcomes never suspend (eff_suspend = 1)")
        susp = ("Checked before any other rule: accrual is suspended when " + ", or ".join(parts)
                + ("; " + "; ".join(never) if never else "") + f". The arriving patient is then {waiting}, and the "
                "decision is taken again (TITE-BOIN's suspension rule applied to each outcome, 0.5 for both by "
                "default, as in the paper's example).")
    p.sections.insert(p.sections.index(next(s for s in p.sections if s[0] == "Pending outcomes")) + 1,
                      ("Accrual suspension", susp))
    sim = ("In simulation, a patient's response, if any, occurs within W_E at a time drawn from the time model's "
           "eff_onset distribution"
           + (f" ({scenario.time.eff_onset})" if scenario is not None and scenario.time is not None else "")
           + ", whatever their DLT, and is observed; drop-out is not modelled (runs with drop-out are refused).")
    p.sections.insert(p.sections.index(next(s for s in p.sections if s[0] == "Accrual suspension")) + 1,
                      ("Simulation assumptions", sim))
    stops = [f"{d.max_n} patients have been enrolled (the trial ends when the last patient's longer window, "
             "max(W_T, W_E), is complete)",
             "no dose is admissible at a decision under rule (4), or dose level 1 is not admissible under rule (3) "
             "(no dose selected; a stop for safety when none of the doses considered passes the toxicity criterion, "
             "for futility when one does)",
             "after (a), once the last patient's windows are complete, the decision on the complete data (as after "
             "any cohort) finds no admissible dose in the same way (no dose selected)"]
    p.set_stops(stops, note="The design has no stop at a number of patients per dose of its own (the composable "
                "rule stop_when_n_at_dose adds one).")
    p.set_section("Selection of the OBD", "BOIN12's OBD selection, on the complete data once the last patient's "
                  "toxicity and efficacy windows are complete. " + _b12_selection_text(b))
    p.set_section("Reference implementation", "No peer implementation of TITE-BOIN12 was run, and the paper's "
                  "simulation tables were not available here. Checked against the paper's worked example (its Table "
                  "2, the approximated-likelihood version): its first four decisions and the days it takes them "
                  "(set by the efficacy half of the suspension rule) are reproduced; at the fifth (day 315) these "
                  "rules de-escalate (p_T = 3/7 above lambda_d) where the example stays, as an independent "
                  "re-implementation of the paper also finds, with the same utility scores. Also checked: with every "
                  "outcome known at each decision (wait_complete, or arrivals further apart than both windows) the "
                  "records equal BOIN12's trial by trial, and with complete data the design makes the published "
                  "example's and the MD Anderson app's decisions and R escalation 0.2.3's decisions on its random "
                  "trial paths (BOIN12's checks); live next_dose_tite reproduces the simulator's decisions, checked "
                  "against a plain-Python simulator in the tests.")
    rows = dict(p.rows)
    rows["Design"] = "TITE-BOIN12" + (" (waits for complete data: BOIN12)" if d.wait_complete else "")
    rows["Cohort size"] = f"{d.cohort_size} (a decision at each cohort's first arrival)"
    rows["Stop, no dose selected"] += "; also on the complete data at the end"
    rows["OBD selection"] += ", on complete data"
    rows["Peer"] = "none run; with complete data BOIN12's checks (escalation 0.2.3, BOIN12 app)"
    p.rows = list(rows.items())
    at = [k for k, _ in p.rows].index("n_star") + 1
    p.rows[at:at] = [
        ("DLT window W_T", num(scenario.time.window) if scenario is not None and scenario.time is not None
         else "from the time model"),
        ("Efficacy window W_E", num(scenario.time.efficacy_window) if scenario is not None and scenario.time is not None
         else "from the time model (default: W_T)"),
        ("Pending outcomes", "weight follow-up / window per outcome; quasi-beta posteriors on ESS_T, ESS_E"),
        ("Accrual suspension", "while any outcome is pending (wait_complete)" if d.wait_complete else
         f"toxicity pending for more than {pct(susp_t)}, efficacy for more than {pct(susp_e)} of the current dose's "
         "patients" + (" (1 = never)" if max(susp_t, susp_e) >= 1 else ""))]
    return p


# ---------------------------------------------------------------------------- graded toxicity
def _scores_text(d) -> tuple[str, str, str]:
    """(raw scores by grade, normalized scores, the sentence stating them)."""
    s = np.asarray(d.scores, dtype=float)
    top = s.max()
    raw = seq(s)
    normed = seq(s / top, 4)
    grades = ", ".join(str(g) for g in range(s.size))
    text = (f"Each patient's worst adverse-event grade in the DLT window (0 = none, then grades 1 to {s.size - 1}; "
            f"the scenario must have {s.size - 1} grades) is scored {raw} for grades {grades}; divided by the "
            f"largest score, {num(top)}, these are the normalized scores {normed}: the equivalent toxicity score "
            "(ETS; Yuan, Chappell & Bailey 2007) on [0, 1], 1 for the worst grade scored.")
    return raw, normed, text


def _score_elim_threshold(target: float, cutoff: float, n: int) -> float | None:
    """The summed normalized score above which P(p > target | Beta(y + 1, n - y + 1)) > cutoff at
    ``n`` patients (0 when any score does; None when no score up to n does)."""
    from scipy import optimize, stats

    def f(y):
        return stats.beta.sf(target, y + 1.0, n - y + 1.0) - cutoff

    if f(float(n)) <= 0:
        return None
    if f(0.0) > 0:
        return 0.0
    return float(optimize.brentq(f, 0.0, float(n), xtol=1e-12))


def gboin(d, scenario) -> Protocol:
    """gBOIN (Mu, Xu & Yuan 2019) as R TITEgBOIN with TITE = FALSE."""
    t = num(d.target)
    lam_e, lam_d = d.lambdas
    phi1 = 0.6 * d.target if d.p_saf is None else d.p_saf
    phi2 = 1.4 * d.target if d.p_tox is None else d.p_tox
    raw, normed, stext = _scores_text(d)
    top = max(d.scores)
    p = Protocol(d.label())
    p.sections.append(("Design", "Generalized BOIN for graded toxicity (gBOIN; Mu, Xu & Yuan 2019), with the semantics "
                       "of the authors' R package TITEgBOIN without its time-to-event mode (TITE = FALSE): each "
                       "patient's worst adverse-event grade is scored, and BOIN's rules act on the mean normalized "
                       "score at a dose in place of its DLT rate. The target is the normalized equivalent toxicity "
                       f"score {t} (= {num(d.target * top)} / {num(top)} on the scale of the scores as given)."))
    levels = dose_levels_text(d, scenario)
    p.sections.append(("Cohorts and sample size", (f"{levels}. " if levels else "")
                       + f"Cohorts of {d.cohort_size}, starting at {dose_name(d.start_dose, scenario)}; each cohort's "
                       "follow-up is complete before the next decision. " + sample_size_text(d.max_n, d.cohort_size)))
    p.sections.append(("Toxicity scores", stext + " At a dose with n patients the summed normalized score y is "
                       "treated as a quasi-binomial count of toxicity out of n."))
    rule = (f"After each cohort, with n patients treated at the current dose and summed normalized score y, the mean "
            f"score y / n is compared with BOIN's boundaries for the target phi = {t}: escalate to the next higher "
            f"dose if y / n <= lambda_e = {lam_e:.3f}; de-escalate to the next lower dose if y / n >= lambda_d = "
            f"{lam_d:.3f}; otherwise stay. The boundaries are Liu & Yuan's (2015) formulas with p_saf = {num(phi1)} "
            f"and p_tox = {num(phi2)}; to six decimals lambda_e = {lam_e:.6f} and lambda_d = {lam_d:.6f}. An "
            "escalation is not carried out at the highest dose or into an eliminated dose, nor a de-escalation at "
            "dose level 1: the next cohort then stays at the current dose.")
    p.sections.append(("Dose-finding rule", rule))
    elim = (f"After each cohort, a dose with at least 3 patients and P(p > {t} | data) > {num(d.cutoff_eli)} under "
            "Beta(y + 1, n - y + 1) (y the fractional summed score) is eliminated with every higher dose, for good. "
            "If the current dose is eliminated, the next cohort receives the highest dose below the lowest eliminated "
            "one; if dose level 1 is eliminated, the trial stops and no dose is selected.")
    counts = []
    for n in range(max(3, d.cohort_size), d.max_n + 1):
        if n % d.cohort_size:
            continue
        y = _score_elim_threshold(d.target, d.cutoff_eli, n)
        if y is not None:
            counts.append((n, y))
        if len(counts) == 3:
            break
    if counts:
        elim += (" In summed normalized scores: elimination when the sum exceeds about "
                 + ", ".join(f"{y:.3f} with {n} patients" for n, y in counts) + ".")
    p.sections.append(("Elimination (safety)", elim))
    stops = [f"{d.max_n} patients have been treated", "dose level 1 is eliminated (no dose selected)"]
    if d.extrasafe:
        stops.append(f"the current dose is dose level 1, it has at least 3 patients and P(p_1 > {t} | data) > "
                     f"{num(d.cutoff_eli)} - {num(d.offset)} = {num(d.cutoff_eli - d.offset)} (extra-safe rule; no "
                     "dose selected)")
    es = _earlystop_text(d)
    if es:
        stops.append(es + "; the final selection applies")
    p.set_stops(stops)
    sel = ("At the end of the trial, among the doses given to at least one patient below the lowest eliminated dose "
           "(elimination re-evaluated on the final data"
           + ("; no dose when dose level 1 meets the extra-safe rule" if d.extrasafe else "")
           + "), the mean scores are estimated by isotonic regression (pool-adjacent-violators, weights 1 / posterior "
           "variance) of (y + 0.005) / (n + 0.01), and the dose whose estimate is closest to the target "
           f"{t} is selected; ties go to the higher dose when the estimates are below the target and to the lower "
           "dose when they are above it. This is TITEgBOIN's select_mtd_TITE_QuasiBOIN (its pseudo-count 0.005 where "
           "R BOIN's select.mtd uses 0.05). If no dose qualifies, none is selected.")
    p.sections.append(("Selection of the MTD", sel))
    p.sections.append(("Time-to-event mode", "TITEgBOIN's TITE = TRUE mode (decisions with pending patients) is not "
                       "part of this design: doseesc's gBOIN waits for complete follow-up before every decision, and "
                       "graded designs run without a time model. For binary DLTs, TITEgBOIN's time-to-event mode is "
                       "doseesc's TITEBOIN(estimate=\"ess\"), checked against TITEgBOIN 0.3.0."))
    p.sections.append(("Reference implementation", "R package TITEgBOIN 0.4.0 (the authors' package): "
                       "next_TITE_QuasiBOIN's next doses and stops and select_mtd_TITE_QuasiBOIN's selections equal "
                       "doseesc's on 300 random states (target 0.47 / 1.5, with and without extrasafe and "
                       "n.earlystop), and get_oc_TITE_QuasiBOIN(TITE = FALSE) operating characteristics (4 settings, "
                       "20,000 R trials each, one with binary toxicity) agree with 40,000 doseesc trials within 4 "
                       "standard errors (selection, early stopping, mean patients and summed scores per dose, mean "
                       "sample size). With scores 0 below the DLT grade and 1 from it, the design treats the same "
                       "patients at the same doses as BOIN on DLTs."))
    p.rows = [("Design", "gBOIN (graded toxicity; TITEgBOIN, TITE = FALSE)"),
              ("Target normalized ETS", f"{t} (= {num(d.target * top)} / {num(top)})"),
              ("Scores by worst grade 0, 1, ...", raw), ("Normalized scores", normed)]
    p.rows += _levels_row(d, scenario) + [
        ("Cohort size", str(d.cohort_size)), ("Start dose", dose_name(d.start_dose, scenario)),
        ("Maximum sample size", str(d.max_n)), *_boundary_rows(lam_e, lam_d, phi1, phi2),
        ("Eliminate a dose", f"n >= 3 and P(p > {t} | data) > {num(d.cutoff_eli)}, Beta(y + 1, n - y + 1)")]
    p.rows += _boin_stop_rows(d, t)
    p.rows += [("MTD selection", "isotonic estimate of (y + 0.005) / (n + 0.01) closest to the target"),
               ("Peer", "TITEgBOIN 0.4.0 (next_TITE_QuasiBOIN, select_mtd_TITE_QuasiBOIN, get_oc_TITE_QuasiBOIN)")]
    return p


def quasi_crm(d, scenario) -> Protocol:
    """The quasi-likelihood CRM (Yuan, Chappell & Bailey 2007): dfcrm's CRM on normalized scores."""
    t = num(d.target)
    raw, normed, stext = _scores_text(d)
    top = max(d.scores)
    model, mrows = _model_text(d, scenario)
    p = Protocol(d.label())
    p.sections.append(("Design", "Quasi-likelihood continual reassessment method for graded toxicity (quasi-CRM; "
                       "Yuan, Chappell & Bailey 2007): the CRM with each patient's normalized toxicity score in place "
                       f"of the DLT indicator, target normalized equivalent toxicity score {t} (= "
                       f"{num(d.target * top)} / {num(top)} on the scale of the scores as given) and "
                       f"{article(model)} for the expected normalized score p_d at dose level d = 1..{len(d.skeleton)} "
                       "(the skeleton is on that scale)."))
    levels = dose_levels_text(d, scenario)
    p.sections.append(("Cohorts and sample size", (f"{levels}. " if levels else "") + f"Cohorts of {d.cohort_size}, "
                       f"starting at {dose_name(d.start_dose, scenario)}; each cohort's follow-up is complete before "
                       "the next decision. " + sample_size_text(d.max_n, d.cohort_size)))
    p.sections.append(("Toxicity scores", stext))
    p.sections.append(("Likelihood", "Each patient treated at dose d with normalized score s contributes the "
                       "quasi-Bernoulli likelihood p_d^s (1 - p_d)^(1 - s); with summed score y among n patients at "
                       "dose d, the log-likelihood is the sum over doses of y log p_d + (n - y) log(1 - p_d). This is "
                       "dfcrm's crm() with the normalized scores as fractional toxicities."))
    p.sections.append(("Estimation and dose assignment", f"The model parameter beta has a {_prior_text(d)} prior. "
                       "After each cohort its posterior mean under the quasi-likelihood is computed by numerical "
                       "integration (relative error below 1e-6) and each dose's expected normalized score is "
                       "estimated by plugging it into the working model. The next cohort is treated at the dose whose "
                       f"estimate is closest to {t}; if every estimate is at or below the target, at the highest dose; "
                       "if every estimate is at or above it, at the lowest dose; an exact tie goes to the lower dose."))
    if not d.restrict:
        restr = "None: the model's recommendation is always followed (dose skipping is allowed)."
    elif d.skip_escalation:
        restr = ("Coherence only: the next dose is never above the last cohort's dose when the last cohort's mean "
                 "normalized score (its summed score / its size) was at or above the target; otherwise the model's "
                 "recommendation is followed, including escalations that skip doses.")
    else:
        restr = ("As dfcrm crmsim's restrict = TRUE, with scores in place of DLTs: the next dose is never more than "
                 "one level above the last cohort's dose (no skipping when escalating), and never above it when the "
                 "last cohort's mean normalized score (its summed score / its size) was at or above the target "
                 "(coherence).")
    p.sections.append(("Restrictions", restr))
    p.set_stops([f"{d.max_n} patients have been treated"], note="The design has no safety stopping rule (the "
                "quasi-CRM has no model_safety_threshold).")
    p.sections.append(("Selection of the MTD", "The dose the model recommends after the last patient (estimate "
                       "closest to the target on the normalized score scale, as above, without the restrictions): "
                       "dfcrm crm()'s mtd with the normalized scores as toxicities."))
    p.sections.append(("Reference implementation", "R package dfcrm 0.2-2.1's crm() with the normalized scores as "
                       "fractional toxicities: on 200 random states the posterior means of beta agree within 2e-4 "
                       "(dfcrm integrates with R's integrate, relative tolerance about 1e-4) and the recommended doses "
                       "are equal; operating characteristics agree with a trial loop written in R around dfcrm's crm() "
                       "with crmsim's restriction (3 settings, 2,000 R trials each, 40,000 doseesc trials) within 4 "
                       "combined standard errors. With scores 0 below the DLT grade and 1 from it, the records equal "
                       "doseesc's CRM on DLTs."))
    p.rows = [("Design", "quasi-CRM (graded toxicity)"),
              ("Target normalized ETS", f"{t} (= {num(d.target * top)} / {num(top)})"),
              ("Scores by worst grade 0, 1, ...", raw), ("Normalized scores", normed)]
    p.rows += _levels_row(d, scenario) + mrows + [
        ("Likelihood", "quasi-Bernoulli: prod p_d^s (1 - p_d)^(1 - s)"),
        ("Prior on beta", _prior_text(d)), ("Estimate", "posterior mean of beta, plug-in"),
        ("Cohort size", str(d.cohort_size)), ("Start dose", dose_name(d.start_dose, scenario)),
        ("Maximum sample size", str(d.max_n)),
        ("Restriction", "none" if not d.restrict else ("coherence only (mean score of the last cohort)"
                                                       if d.skip_escalation else
                                                       "no skipping + coherence on the last cohort's mean score "
                                                       "(dfcrm)")),
        ("Safety stop", "none"),
        ("MTD selection", "model's recommendation after the last patient"),
        ("Peer", "dfcrm 0.2-2.1 crm() with fractional toxicities")]
    return p


# ---------------------------------------------------------------------------- composable rules
def _capped_base(m):
    """The base design with ``max_n`` reduced to the ``stop_at_n`` cap (what the lowered design
    runs: same decisions, smaller maximum), or None when the base has no ``max_n`` field or the
    reduced design is not valid on its own (a CRM's per-patient initial design ``x0``)."""
    base = m.base
    if m.stop_at is None or not hasattr(base, "max_n") or m.stop_at >= base.max_n:
        return None
    import warnings
    from dataclasses import replace

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return replace(base, max_n=m.stop_at)
    except ValueError:
        return None


def modified(m, scenario) -> Protocol:
    capped = _capped_base(m)
    own = dict(m.base._protocol(scenario).rows).get("Maximum sample size")
    p = (capped or m.base)._protocol(scenario)
    p.title = m.label()
    rules = []
    K = n_doses_of(m, scenario)
    if m.dont_skip:
        rules.append("No skipping: an escalation never goes more than one level above the highest dose tried so far.")
        p.rows.append(("No skipping", "at most one level above the highest dose tried"))
    added = []  # the names of the added rules that stop the trial, for BLRM's "Stopping" row
    if m.safety_threshold is not None:
        a, b = m.safety_prior
        k = m.safety_dose
        t = num(m.safety_target)
        thr = num(m.safety_threshold)
        text = (f"Safety stop: at every decision, when {dose_name(k, scenario)} has at least {m.safety_min_n} patients "
                f"and P(p_{k} > {t} | data) > {thr} under a Beta({num(a)}, {num(b)}) prior "
                f"(posterior Beta({num(a)} + y, {num(b)} + n - y)), the trial stops and no dose is selected.")
        counts = _safety_counts(m, scenario)
        if counts:
            text += " In numbers of DLTs at that dose: " + ", ".join(f"{y} or more of {n}" for n, y in counts) + "."
        rules.append(text)
        # one "Safety stop" row: the design's own rule (a CRM's model_safety_threshold, EWOC's
        # safety_stop), if any, then this one
        rule = f"P(p_{k} > {t} | data) > {thr}, Beta({num(a)}, {num(b)}) prior, n >= {m.safety_min_n}"
        own_rule = p.row("Safety stop")
        p.set_row("Safety stop", rule if own_rule in (None, "none") else
                  f"{own_rule} (the design's own); {rule} (added rule)")
        # the Safety section, where the design has one, states the rule
        stated = (f"the trial stops early for safety, and no dose is selected, at any decision at which "
                  f"{dose_name(k, scenario)} has at least {m.safety_min_n} patients and P(p_{k} > {t} | data) > "
                  f"{thr} under a Beta({num(a)}, {num(b)}) prior (the safety stop of the additional rules below, "
                  "with the numbers of DLTs that trigger it).")
        safety = p.section("Safety")
        if safety == NO_OWN_SAFETY_RULE:  # the added rule is the design's only safety stop
            p.set_section("Safety", stated[0].upper() + stated[1:])
        elif safety is not None:  # the design's own rule, then this one
            p.set_section("Safety", f"{safety} In addition, {stated}")
        p.add_stops([f"the safety stop holds: P(p_{k} > {t} | data) > {thr} at {dose_name(k, scenario)}, with at "
                     f"least {m.safety_min_n} patients there (no dose selected)"])
        added.append("the safety stop")
    if m.stop_n_at_dose is not None:
        which = (dose_name(m.n_at_dose_of, scenario) if isinstance(m.n_at_dose_of, int) else
                 {"recommended": "the dose recommended for the next cohort", "current": "the dose just treated",
                  "any": "any dose"}[m.n_at_dose_of])
        rules.append(f"Stop at {m.stop_n_at_dose} patients at a dose: the trial stops when {which} already has "
                     f"{m.stop_n_at_dose} or more patients; the design's final selection applies.")
        p.add_stops([f"{which} already has {m.stop_n_at_dose} or more patients (the design's final selection "
                     "applies)"])
        added.append(f"the stop at {m.stop_n_at_dose} patients at a dose")
        p.rows.append(("Stop when n at dose", f"{m.stop_n_at_dose} patients at {which}"))
    if m.stop_at is not None:
        effective = min(m.stop_at, getattr(m.base, "max_n", m.stop_at))
        if K is not None:
            effective = m.lower(K).max_n
        text = (f"Maximum sample size {m.stop_at} (stop_at_n): the trial stops once {effective} patients have been "
                "treated, the last cohort shortened to reach exactly that number")
        if capped is not None:
            text += f" (the design's own maximum, {own}, is reduced to it: the text above already uses it)."
        elif effective < m.stop_at:
            text += f" (the design's own maximum, {own}, is smaller and applies)."
        else:
            text += f"; this overrides the design's own maximum ({own})."
            p.add_stops([f"{effective} patients have been treated (stop_at_n)"])
            added.append(f"the maximum of {effective} patients")
        rules.append(text)
        p.set_row("Maximum sample size", f"{effective} (stop_at_n {m.stop_at}; design's own: {own})")
    if m.select_min_n is not None:
        k = m.select_min_n
        what = "OBD" if getattr(m.base, "uses_efficacy", False) else "MTD"
        rules.append(f"Selection among treated doses: the {what} selected at the end must have been given to at least "
                     f"{k} patient{'s' if k > 1 else ''}; a selected dose with fewer moves down to the nearest dose "
                     f"below it that has {k} or more (no dose is selected if there is none).")
        p.rows.append(("Selection restricted to", f"doses with >= {k} patient{'s' if k > 1 else ''}"))
        # the base design's own wording may say untried doses can be selected: no longer so
        sel = p.section("Selection of the MTD")
        if sel is not None and UNTRIED in sel:
            p.set_section("Selection of the MTD", sel.replace(UNTRIED, "It is then restricted as stated under "
                                                                       "Additional rules."))
        p.rows = [(key, val.replace(" (untried doses allowed)", "")) for key, val in p.rows]
    listed = " and ".join(added) if len(added) < 3 else ", ".join(added[:-1]) + " and " + added[-1]
    if added and p.row("Stopping") == "none beyond the above":  # BLRM: no crmPack-style rule of its own
        p.set_row("Stopping", f"none beyond the above{' and ' if len(added) == 1 else ', '}{listed}")
    elif added and p.row("Stopping") is not None:  # BLRM's crmPack-style rule, then the added ones
        p.set_row("Stopping", f"{p.row('Stopping')}; added: {listed}")
    order = ("These rules are applied after the design's own decision, in this order: the design decides; no "
             "skipping caps an escalation; the safety stop; the stop at n patients at a dose; the maximum sample "
             "size; at the end, the restriction of the selection.")
    p.sections.insert(_before_selection(p), ("Additional rules", " ".join(rules) + (" " + order if len(rules) > 1
                                                                                  else "")))
    return p


def _before_selection(p: Protocol) -> int:
    for i, (h, _) in enumerate(p.sections):
        if h.startswith("Selection"):  # "Selection of the MTD", "... of the OBD", EffTox's "Selection"
            return i
    return len(p.sections)


def _safety_counts(m, scenario, k: int = 3) -> list[tuple[int, int]]:
    """(n, smallest y that stops) for the first ``k`` n >= min_n, from the lowered safety table."""
    K = n_doses_of(m, scenario) or max(m.safety_dose, getattr(m.base, "start_dose", 1))
    try:
        tab = m.lower(K).safety_tab
    except ValueError:
        return []
    cohort = getattr(m.base, "cohort_size", 3)
    out = []
    for n in range(1, tab.shape[0]):
        if n < m.safety_min_n or n % cohort:
            continue
        ys = np.flatnonzero(tab[n, : n + 1])
        if ys.size:
            out.append((n, int(ys[0])))
        if len(out) == k:
            break
    return out


def _prior_blrm(d) -> str:
    c = d.components()
    w, m, sd, r = c.weights, c.means, c.sds, c.corrs
    parts = []
    for k in range(len(w)):
        parts.append(f"{'' if len(w) == 1 else num(w[k], 3) + ' x '}BVN(means ({num(m[k][0], 3)}, {num(m[k][1], 3)}), "
                     f"sds ({num(sd[k][0], 3)}, {num(sd[k][1], 3)}), correlation {num(r[k], 3)})")
    what = "a mixture of bivariate normals" if len(w) > 1 else "a bivariate normal"
    source = " (a prior built from earlier trials)" if d.prior is not None else ""
    return f"{what}{source}: " + " + ".join(parts)


def blrm(d, scenario) -> Protocol:
    """Neuenschwander, Branson & Gsponer's (2008) BLRM with crmPack's rules."""
    p = Protocol(d.label())
    lo, hi = d.target_interval
    cut = d.overdose_cut if d.overdose_cut is not None else hi
    doses = ", ".join(num(x) for x in d.doses)
    unit = f" {scenario.dose_unit}" if scenario is not None and scenario.dose_unit else ""
    p.sections.append(("Design", "Bayesian logistic regression model with overdose control (BLRM; Neuenschwander, "
                       f"Branson & Gsponer 2008): logit p(d) = log(alpha) + beta log(d / {num(d.d_ref)}) for the "
                       f"doses {doses}{unit}, with (log alpha, log beta) following {_prior_blrm(d)}."))
    p.sections.append(("Cohorts and sample size", f"Cohorts of {d.cohort_size}, starting at "
                       f"{dose_name(d.start_dose, scenario)}. " + sample_size_text(d.max_n, d.cohort_size)))
    over = (f"P(p(d) > {num(cut)}) <= {num(d.overdose_max)}" if d.overdose_max_start is None else
            f"P(p(d) > {num(cut)}) <= a bound that starts at {num(d.overdose_max_start)} and rises by "
            f"{num(d.overdose_max_step)} per cohort up to {num(d.overdose_max)}")
    rule = {"ncrm": f"the eligible dose with the largest probability of the target interval [{num(lo)}, {num(hi)}] "
                    f"(if none has more than {num(d.min_target_prob)}, the highest eligible dose; crmPack "
                    "NextBestNCRM)",
            "ewoc": "the highest eligible dose (escalation with overdose control; crmPack NextBestEWOC)",
            "ncrm_loss": "the eligible dose with the smallest posterior expected loss over the toxicity intervals "
                         "(crmPack NextBestNCRMLoss)",
            "mtd_quantile": f"the dose closest to the {num(d.overdose_max)}-quantile of the posterior MTD distribution "
                            "(crmPack NextBestMTD), without the overdose check"}[d.rule]
    p.sections.append(("Dose assignment", "After each cohort the posterior of (log alpha, log beta) is computed "
                       "(deterministic quadrature, error below 1e-6 against brute-force integration) and, for every "
                       f"dose, the probabilities of underdosing (p < {num(lo)}), the target interval and overdosing "
                       f"(p > {num(cut)}). A dose is eligible when {over}. The next cohort receives {rule}."))
    inc = ["no escalation more than one level above the highest dose tried" if not d.skip_untried else
           "untried doses may be skipped"]
    if d.max_increment is not None:
        inc.append(f"no dose above the current one by more than {seq(np.atleast_1d(d.max_increment), 3)} x (relative "
                   "increments, crmPack IncrementsRelative" + (f", by dose interval from {seq(d.increment_intervals)}"
                                                                if d.increment_intervals is not None else "") + ")")
    p.sections.append(("Increments", "; ".join(inc).capitalize() + "."))
    stops = [f"{d.max_n} patients have been treated", "no dose is eligible (no dose selected: safety)"]
    if d.stopping is not None:
        stops.append(f"the rule {d.stopping} holds (crmPack-style stopping)")
    p.set_stops(stops)
    p.sections.append(("Selection of the MTD", "The dose the rule above recommends after the last cohort (crmPack's "
                       "recommendation)."))
    p.sections.append(("Reference implementation", "R package crmPack 2.0 (LogisticLogNormal with NextBestNCRM / "
                       "NextBestEWOC, IncrementsRelative, Stopping rules): posterior summaries agree with crmPack's "
                       "and bcrm's MCMC fits within their Monte Carlo error, and operating characteristics with "
                       "crmPack's simulate within 4 combined standard errors (tests)."))
    p.rows = [("Design", "BLRM"), ("Doses", doses + unit), ("Reference dose", num(d.d_ref)),
              ("Prior", _prior_blrm(d)), ("Target interval", f"[{num(lo)}, {num(hi)}]"),
              ("Overdose", f"p > {num(cut)}, eligible if P(overdose) <= {num(d.overdose_max)}"),
              ("Rule", d.rule), ("Cohort size", str(d.cohort_size)), ("Start dose", dose_name(d.start_dose, scenario)),
              ("Maximum sample size", str(d.max_n)), ("Stopping", "none beyond the above" if d.stopping is None
                                                      else str(d.stopping))]
    return p


def ewoc(d, scenario) -> Protocol:
    """Babb, Rogatko & Zacks' (1998) EWOC in their parametrisation (R ewoc)."""
    p = Protocol(d.label())
    doses = ", ".join(num(x) for x in d.doses)
    p.sections.append(("Design", "Escalation with overdose control (EWOC; Babb, Rogatko & Zacks 1998) in their "
                       f"parametrisation, target DLT probability {num(d.target)}, doses {doses}: on the standardised "
                       "dose x, logit p(x) = logit(rho0) + (logit(theta) - logit(rho0)) x / gamma with rho0 = theta v, "
                       f"v ~ Beta{tuple(d.rho_prior)}, and the MTD gamma ~ Beta{tuple(d.mtd_prior)}."))
    p.sections.append(("Cohorts and sample size", f"Cohorts of {d.cohort_size}, starting at "
                       f"{dose_name(d.start_dose, scenario)}. " + sample_size_text(d.max_n, d.cohort_size)))
    bound = (f"{num(d.alpha)}" if d.alpha_start is None else
             f"starting at {num(d.alpha_start)} and rising by {num(d.alpha_step)} per cohort to {num(d.alpha)}")
    p.sections.append(("Dose assignment", f"After each cohort the next dose is the {bound}-quantile of the MTD's "
                       f"posterior, rounded {'down' if d.rounding == 'down' else 'to the nearest dose'} to the dose "
                       "set" + (", at most one level above the current dose" if d.no_skip else "") + "."))
    stops = [f"{d.max_n} patients have been treated"]
    own_safety = None if d.safety_stop is None else f"P(p(first dose) > {num(d.target)} | data) > {num(d.safety_stop)}"
    if own_safety is not None:
        stops.append(f"the safety rule holds: {own_safety} (no dose selected)")
    p.set_stops(stops)
    p.sections.append(("Selection of the MTD", "The dose recommended after the last cohort."))
    p.sections.append(("Reference implementation", "R package ewoc 0.3.0 (ewoc_d1classical): the posterior is "
                       "computed by quadrature where ewoc samples it by JAGS; checked against long JAGS runs."))
    p.rows = [("Design", "EWOC"), ("Doses", doses), ("Target", num(d.target)), ("Feasibility bound", bound),
              ("Cohort size", str(d.cohort_size)), ("Maximum sample size", str(d.max_n)),
              ("Safety stop", own_safety or "none")]
    return p


def generic(d, scenario) -> Protocol:
    """A design without protocol wording of its own: its fields, stated as such."""
    p = Protocol(d.label())
    items = [(k, v) for k, v in d.to_dict().items() if k != "design"]
    p.sections.append(("Design", f"{d.label()}. doseesc has no protocol wording for this design yet; its parameters "
                                 "as constructed are: " + "; ".join(f"{k} = {v}" for k, v in items) + "."))
    p.rows = [("Design", d.label())] + [(k, str(v)) for k, v in items]
    return p
