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
_AS_FOR = re.compile(r"As (?:for )?:class:`~?(?:doseesc\.)?([A-Za-z0-9_]+)`")


@functools.cache
def entries(cls) -> dict[str, tuple[tuple[str, ...], str, str]]:
    """``{field: (names, type, description)}`` from the numpydoc ``Parameters`` section of
    ``cls``'s docstring: one paragraph each; "name1, name2 : type" entries give every name the
    same text (``names`` lists them all); "As for :class:`X`" defers to X's docstring."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    m = re.search(r"^Parameters\n-+\n(.*?)(?:\n\n[A-Z][A-Za-z ]+\n-+\n|\Z)", doc, flags=re.S | re.M)
    if not m:
        return {}
    out: dict[str, tuple[tuple[str, ...], str, str]] = {}
    names: list[str] = []
    kind = ""
    body: list[str] = []

    def flush() -> None:
        text = " ".join(" ".join(body).split())
        ref = _AS_FOR.search(text)
        for name in names:
            own, group, own_kind = text, tuple(names), kind
            if ref:
                other = _class(cls, ref.group(1))
                base = entries(other).get(name) if other is not None else None
                rest = text.replace(ref.group(0), "").strip(" .;,")
                if rest.startswith("(") and rest.endswith(")"):
                    rest = rest[1:-1]
                if base is not None:
                    group, own_kind = base[0], base[1]
                own = (base[2] if base else "") + (f" ({rest})" if rest else "")
            out[name] = (group, own_kind, own)
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


@functools.cache
def parameters(cls) -> dict[str, str]:
    """``{field: description}`` (:func:`entries`); a field documented by its type alone gets the
    generic text of :data:`GENERIC`, or its type."""
    return {name: text or GENERIC.get(name, kind) for name, (_, kind, text) in entries(cls).items()}


_ROLE = re.compile(r":(?:func|class|meth|attr|mod|data|obj):`~?([^`]+)`")


def plain(text: str) -> str:
    """``text`` without reST markup: Sphinx roles become their target, literals lose their quotes."""
    return _ROLE.sub(r"\1", text).replace("``", "").replace("`", "")


def choices(kind: str) -> list[str]:
    """The allowed values of a numpydoc type ``{"a", "b"}``; empty for any other type."""
    m = re.match(r"\{(.*)\}", kind.strip())
    return [c.strip().strip("\"'") for c in m.group(1).split(",")] if m else []


def stated_default(kind: str) -> str:
    """The default a numpydoc type states (``float, default 0.6 x target``), or ''."""
    m = re.search(r"\bdefault[: ]\s*(.+)$", kind)
    return m.group(1).strip() if m else ""


def _class(cls, name: str):
    """The class ``name`` as ``cls``'s module sees it, else doseesc's public one."""
    found = getattr(inspect.getmodule(cls), name, None)
    if found is None:
        import doseesc

        found = getattr(doseesc, name, None)
    return found


def first_sentences(text: str, limit: int = 400) -> str:
    """``text`` cut after the sentence that crosses ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text.find(". ", limit)
    return text if cut < 0 else text[:cut + 1]
