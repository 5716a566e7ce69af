"""The constructor docstrings as data: one source for the command line's option help."""

from __future__ import annotations

import functools
import inspect
import re

#: Fields whose meaning is the same in every design (used where a docstring lists them bare).
GENERIC = {
    "target": "target DLT probability, in (0, 1)",
    "cohort_size": "patients per cohort, an integer >= 1 (the last cohort is truncated to max_n)",
    "max_n": "maximum sample size, an integer from cohort_size to 1000",
    "start_dose": "1-based dose level of the first cohort",
    "n_doses": "number of dose levels, for live use without a scenario (default: from the scenario)",
    "name": "a label for this design in every table, figure and JSON output (default: generated from the design)",
}
_AS_FOR = re.compile(r"As for :class:`~?(?:doseesc\.)?([A-Za-z0-9_]+)`")


@functools.cache
def parameters(cls) -> dict[str, str]:
    """``{field: description}`` from the numpydoc ``Parameters`` section of ``cls``'s docstring
    (one paragraph each; "name1, name2 : type" entries give every name the same text; "As for
    :class:`X`" defers to X's docstring)."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    m = re.search(r"^Parameters\n-+\n(.*?)(?:\n\n[A-Z][A-Za-z ]+\n-+\n|\Z)", doc, flags=re.S | re.M)
    if not m:
        return {}
    out: dict[str, str] = {}
    names: list[str] = []
    kind = ""
    body: list[str] = []

    def flush() -> None:
        text = " ".join(" ".join(body).split())
        ref = _AS_FOR.search(text)
        for name in names:
            own = text
            if ref:
                other = _class(cls, ref.group(1))
                base = parameters(other).get(name, "") if other is not None else ""
                rest = text.replace(ref.group(0), "").strip(" .;")
                own = base + (f" ({rest})" if rest else "")
            out[name] = own or GENERIC.get(name, kind)
    for line in m.group(1).splitlines():
        if line and not line.startswith(" "):
            if names:
                flush()
            head, _, kind = line.partition(" : ")
            names = [n.strip() for n in head.split(",") if n.strip()]
            kind = kind.strip()
            body = []
        else:
            body.append(line.strip())
    if names:
        flush()
    return out


def _class(cls, name: str):
    module = inspect.getmodule(cls)
    return getattr(module, name, None)


def first_sentences(text: str, limit: int = 400) -> str:
    """``text`` cut after the sentence that crosses ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text.find(". ", limit)
    return text if cut < 0 else text[:cut + 1]
