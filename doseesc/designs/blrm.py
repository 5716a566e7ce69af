"""Bayesian logistic regression model with overdose control (Neuenschwander, Branson & Gsponer
2008), with the next-best rules and stopping rules of R crmPack 2.0, and a deterministic posterior."""

from __future__ import annotations

import ast
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .. import _validate as v
from .. import outcomes as _outcomes
from .._kernels import blrm as _k
from .._kernels.codes import BLRM as _BLRM_CODE
from .base import Design, Lowered, Recommendation

RULES = ("ncrm", "ewoc", "ncrm_loss", "mtd_quantile")
_RULE_CODE = {"ncrm": _k.NCRM, "ewoc": _k.EWOC, "ncrm_loss": _k.NCRM_LOSS, "mtd_quantile": _k.MTD_QUANTILE}
#: prior box: every component's mean +- this many sds, in each parameter
PRIOR_RANGE = 9.0
#: grid steps per proven lower bound of the conditional posterior sd of log(alpha)
STEPS_PER_SD = 4.0
GRID_MIN = 64
GRID_MAX = 400
#: decision-cache entries (a power of two; the cache stops growing when half full)
CACHE_CAPACITY = 1 << 15
DEFAULT_PRIOR_MEAN = (math.log(0.2 / 0.8), 0.0)  # p(d_ref) about 0.2, slope 1
DEFAULT_PRIOR_SD = (2.0, 1.0)


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


# ---------------------------------------------------------------------------------- stopping rules
@dataclass(frozen=True)
class Stopping:
    """A stopping rule; combine with ``&`` (all must hold) and ``|`` (any), as in crmPack.

    Build one with :func:`min_patients`, :func:`min_cohorts`, :func:`patients_near_dose`,
    :func:`cohorts_near_dose` and :func:`target_prob`, or parse the same expression from a string
    with :meth:`parse` (run files and the command line)::

        >>> from doseesc.designs.blrm import Stopping
        >>> rule = Stopping.parse("patients_near_dose(9, percentage=0) & target_prob(0.5) | min_patients(30)")
        >>> str(rule)
        'patients_near_dose(9, percentage=0) & target_prob(0.5) | min_patients(30)'
    """

    def __and__(self, other: Stopping) -> Stopping:
        _check_rule(other)
        return StoppingAll(tuple(_parts(self, StoppingAll) + _parts(other, StoppingAll)))

    def __or__(self, other: Stopping) -> Stopping:
        _check_rule(other)
        return StoppingAny(tuple(_parts(self, StoppingAny) + _parts(other, StoppingAny)))

    def dnf(self) -> list[list[Stopping]]:
        """The rule as an OR of ANDs of single rules (what the kernel evaluates)."""
        raise NotImplementedError  # pragma: no cover

    def __str__(self) -> str:  # pragma: no cover - overridden
        return repr(self)

    @staticmethod
    def parse(text: str) -> Stopping:
        """Parse ``"name(args) & name(args) | ..."`` (``&`` binds tighter than ``|``; parentheses
        allowed). Names: ``min_patients(n)``, ``min_cohorts(n)``, ``patients_near_dose(n,
        percentage=50)``, ``cohorts_near_dose(n, percentage=50)``, ``target_prob(prob,
        target=(lo, hi))``."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"stopping: expected a rule such as 'min_patients(30)', got {text!r}")
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, RecursionError, MemoryError):
            raise ValueError(f"stopping: cannot parse {text!r}; write e.g. "
                             "'patients_near_dose(9, percentage=0) & target_prob(0.5) | min_patients(30)'") from None
        n_rules = sum(isinstance(node, ast.Call) for node in ast.walk(tree))
        if n_rules > MAX_STOPPING_RULES:
            raise ValueError(f"stopping: at most {MAX_STOPPING_RULES} single rules (min_patients(...), ...) may be "
                             f"combined, got {n_rules}")
        try:
            return _from_ast(tree, text)
        except RecursionError:  # (not reached within MAX_STOPPING_RULES; a guard all the same)
            raise ValueError(f"stopping: the rule is nested too deeply, got {text[:60]!r}...") from None


#: the most single rules one stopping rule may combine (crmPack's examples combine 2-4)
MAX_STOPPING_RULES = 50
#: the most alternatives (ANDs of single rules, OR-ed) the rule may expand to
MAX_STOPPING_TERMS = 1024


def _check_rule(x: Any) -> None:
    if not isinstance(x, Stopping):
        raise ValueError(f"stopping: can only combine stopping rules, got {x!r}")


def _parts(rule: Stopping, kind: type) -> list:
    return list(rule.rules) if isinstance(rule, kind) else [rule]


@dataclass(frozen=True)
class StoppingAll(Stopping):
    """All of the rules hold (crmPack ``StoppingAll``, ``&``).

    >>> from doseesc.designs.blrm import min_patients, target_prob
    >>> rule = min_patients(12) & target_prob(0.5)
    >>> type(rule).__name__, len(rule.rules)
    ('StoppingAll', 2)
    """

    rules: tuple = ()

    def dnf(self) -> list[list[Stopping]]:
        out: list[list[Stopping]] = [[]]
        for r in self.rules:
            alt = r.dnf()
            if len(out) * len(alt) > MAX_STOPPING_TERMS:
                raise ValueError(f"stopping: the rule expands to more than {MAX_STOPPING_TERMS} alternatives (an "
                                 "AND of ORs multiplies them); simplify it")
            out = [a + b for a in out for b in alt]
        return out

    def __str__(self) -> str:
        return " & ".join(f"({r})" if isinstance(r, StoppingAny) else str(r) for r in self.rules)


@dataclass(frozen=True)
class StoppingAny(Stopping):
    """Any of the rules holds (crmPack ``StoppingAny``, ``|``).

    >>> from doseesc.designs.blrm import min_cohorts, min_patients
    >>> rule = min_patients(30) | min_cohorts(8)
    >>> type(rule).__name__, rule.dnf()
    ('StoppingAny', [[MinPatients(n=30)], [MinCohorts(n=8)]])
    """

    rules: tuple = ()

    def dnf(self) -> list[list[Stopping]]:
        return [c for r in self.rules for c in r.dnf()]

    def __str__(self) -> str:
        return " | ".join(str(r) for r in self.rules)


@dataclass(frozen=True)
class _Atom(Stopping):
    def dnf(self) -> list[list[Stopping]]:
        return [[self]]


@dataclass(frozen=True)
class MinPatients(_Atom):
    """At least ``n`` patients treated (crmPack ``StoppingMinPatients``).

    >>> from doseesc.designs.blrm import MinPatients
    >>> str(MinPatients(24))
    'min_patients(24)'
    """

    n: int = 20

    def __str__(self) -> str:
        return f"min_patients({self.n})"


@dataclass(frozen=True)
class MinCohorts(_Atom):
    """At least ``n`` cohorts treated (crmPack ``StoppingMinCohorts``).

    >>> from doseesc.designs.blrm import MinCohorts
    >>> str(MinCohorts(3))
    'min_cohorts(3)'
    """

    n: int = 3

    def __str__(self) -> str:
        return f"min_cohorts({self.n})"


@dataclass(frozen=True)
class PatientsNearDose(_Atom):
    """At least ``n`` patients treated at doses within +-``percentage`` % of the next best dose
    (crmPack ``StoppingPatientsNearDose``; ``percentage=0``: at that dose).

    >>> from doseesc.designs.blrm import PatientsNearDose
    >>> str(PatientsNearDose(9, 0))
    'patients_near_dose(9, percentage=0)'
    """

    n: int = 10
    percentage: float = 50.0

    def __str__(self) -> str:
        return f"patients_near_dose({self.n}, percentage={self.percentage:g})"


@dataclass(frozen=True)
class CohortsNearDose(_Atom):
    """At least ``n`` cohorts treated at doses within +-``percentage`` % of the next best dose
    (crmPack ``StoppingCohortsNearDose``).

    >>> from doseesc.designs.blrm import CohortsNearDose
    >>> str(CohortsNearDose(2, 50))
    'cohorts_near_dose(2, percentage=50)'
    """

    n: int = 2
    percentage: float = 50.0

    def __str__(self) -> str:
        return f"cohorts_near_dose({self.n}, percentage={self.percentage:g})"


@dataclass(frozen=True)
class TargetProb(_Atom):
    """P(target) at the next best dose >= ``prob`` (crmPack ``StoppingTargetProb``; ``target``:
    the interval, the design's target interval when None).

    >>> from doseesc.designs.blrm import TargetProb
    >>> str(TargetProb(0.5, (0.2, 0.35)))
    'target_prob(0.5, target=(0.2, 0.35))'
    """

    prob: float = 0.4
    target: tuple | None = None

    def __str__(self) -> str:
        t = "" if self.target is None else f", target=({self.target[0]:g}, {self.target[1]:g})"
        return f"target_prob({self.prob:g}{t})"


def min_patients(n: int) -> MinPatients:
    """Stop once ``n`` patients were treated.

    >>> from doseesc.designs.blrm import min_patients, target_prob
    >>> str(min_patients(30) | target_prob(0.5))
    'min_patients(30) | target_prob(0.5)'
    """
    return MinPatients(v.integer("min_patients", n, low=1, high=v.MAX_PATIENTS))


def min_cohorts(n: int) -> MinCohorts:
    """Stop once ``n`` cohorts were treated.

    >>> from doseesc.designs.blrm import min_cohorts
    >>> str(min_cohorts(3))
    'min_cohorts(3)'
    """
    return MinCohorts(v.integer("min_cohorts", n, low=1, high=v.MAX_PATIENTS))


def patients_near_dose(n: int, percentage: float = 50.0) -> PatientsNearDose:
    """Stop when ``n`` patients were treated within +-``percentage`` % of the next best dose.

    >>> from doseesc.designs.blrm import patients_near_dose
    >>> str(patients_near_dose(9, percentage=0))
    'patients_near_dose(9, percentage=0)'
    """
    pct = v.number("percentage", percentage)
    if not 0 <= pct <= 100:
        raise ValueError(f"percentage: must be from 0 to 100, got {percentage!r}")
    return PatientsNearDose(v.integer("patients_near_dose", n, low=1, high=v.MAX_PATIENTS), pct)


def cohorts_near_dose(n: int, percentage: float = 50.0) -> CohortsNearDose:
    """Stop when ``n`` cohorts were treated within +-``percentage`` % of the next best dose.

    >>> from doseesc.designs.blrm import cohorts_near_dose
    >>> str(cohorts_near_dose(2))
    'cohorts_near_dose(2, percentage=50)'
    """
    pct = v.number("percentage", percentage)
    if not 0 <= pct:
        raise ValueError(f"percentage: must be >= 0, got {percentage!r}")
    return CohortsNearDose(v.integer("cohorts_near_dose", n, low=1, high=v.MAX_PATIENTS), pct)


def target_prob(prob: float, target: Sequence[float] | None = None) -> TargetProb:
    """Stop when P(target) at the next best dose is at least ``prob``.

    >>> from doseesc.designs.blrm import target_prob
    >>> str(target_prob(0.5, target=(0.2, 0.35)))
    'target_prob(0.5, target=(0.2, 0.35))'
    """
    p = v.number("target_prob", prob)
    if not 0 < p <= 1:
        raise ValueError(f"target_prob: must be in (0, 1], got {prob!r}")
    t = None
    if target is not None:
        t = _interval("target_prob target", target)
    return TargetProb(p, t)


_ATOMS = {"min_patients": min_patients, "min_cohorts": min_cohorts, "patients_near_dose": patients_near_dose,
          "cohorts_near_dose": cohorts_near_dose, "target_prob": target_prob}


def _literal(node: ast.AST, text: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError(f"stopping: arguments must be numbers in {text!r}") from None


def _from_ast(node: ast.AST, text: str) -> Stopping:
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
        left, right = _from_ast(node.left, text), _from_ast(node.right, text)
        return left & right if isinstance(node.op, ast.BitAnd) else left | right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _ATOMS:
        args = [_literal(a, text) for a in node.args]
        kwargs = {k.arg: _literal(k.value, text) for k in node.keywords}
        try:
            return _ATOMS[node.func.id](*args, **kwargs)
        except TypeError:
            raise ValueError(f"stopping: wrong arguments for {node.func.id} in {text!r}") from None
        except ValueError as exc:  # the rule's own check ("n: must be ..."), said as part of the stopping rule
            raise ValueError(f"stopping: in {node.func.id}(...), {exc}") from None
    raise ValueError(f"stopping: unknown rule in {text!r}; use {', '.join(_ATOMS)} joined by & and |")


def _stopping(value: Any) -> Stopping | None:
    if value is None or isinstance(value, Stopping):
        return value
    if isinstance(value, str):
        return Stopping.parse(value)
    raise ValueError(f"stopping: expected a rule such as 'min_patients(30)' or a Stopping object, got {value!r}")


# ---------------------------------------------------------------------------------- validation helpers
def _interval(name: str, value: Any) -> tuple:
    try:
        lo, hi = (float(x) for x in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected two probabilities (lower, upper), got {value!r}") from None
    if not (0 < lo < hi < 1):
        raise ValueError(f"{name}: expected 0 < lower < upper < 1, got {value!r}")
    return lo, hi


def _floats(name: str, value: Any, size: int | None = None) -> tuple:
    if isinstance(value, str):  # the command line: "1,0.5"
        value = [x for x in value.split(",") if x.strip()]
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers, got {value!r}") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite numbers, got {value!r}")
    if size is not None and arr.size != size:
        raise ValueError(f"{name}: expected {size} numbers, got {arr.size}")
    return tuple(float(x) for x in arr)


def _pairs(name: str, value: Any) -> np.ndarray:
    """A mixture prior's means or sds: one pair (log alpha, log beta) of finite numbers per
    component, as a (K, 2) array."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.size == 0 or not np.all(np.isfinite(arr)) or not (
            (arr.ndim == 2 and arr.shape[1] == 2) or (arr.ndim == 1 and arr.size == 2)):
        raise ValueError(f"{name}: expected one pair (log alpha, log beta) of finite numbers per mixture component, "
                         f"e.g. [[-3, 0], [-1, 0.5]], got {value!r}")
    return arr.reshape(-1, 2)


#: largest |prior mean| of log alpha (logit P(DLT) at d_ref: 20 is P = 2e-9) and of log beta (the
#: slope exp(10) = 22026 per unit of log dose); beyond these the prior says P(DLT) is 0 or 1
PRIOR_MEAN_MAX = (20.0, 10.0)
#: prior SD ranges of log alpha and log beta: the grid spans each mean +- 9 SDs, and exp(log beta)
#: over that box must stay representable (log beta SD 5: slopes from e^-45 to e^45 around the mean)
PRIOR_SD_RANGES = ((1e-3, 20.0), (1e-3, 5.0))


def _check_prior_scale(mean_field: str, sd_field: str, means: np.ndarray, sds: np.ndarray) -> None:
    """Bound the prior means and SDs of (log alpha, log beta) (per mixture component)."""
    for j, par in enumerate(("log alpha", "log beta")):
        m = means[:, j]
        if np.any(np.abs(m) > PRIOR_MEAN_MAX[j]):
            raise ValueError(f"{mean_field}: the {par} means must be finite numbers with |value| <= "
                             f"{PRIOR_MEAN_MAX[j]:g}, got {m.tolist()}")
        lo, hi = PRIOR_SD_RANGES[j]
        sd = sds[:, j]
        if np.any(sd < lo) or np.any(sd > hi):
            raise ValueError(f"{sd_field}: the {par} SDs must be from {lo:g} to {hi:g}, got {sd.tolist()}")


@dataclass(frozen=True)
class PriorComponents:
    """A mixture of bivariate normal priors on (log alpha, log beta), as the design uses it.

    >>> import doseesc as de
    >>> d = de.BLRM(doses=[1, 2, 4], d_ref=4, prior_mean=(-1, 0, -1, 0), prior_sd=(0.5, 0.3, 2, 1),
    ...             prior_weights=(3, 1))
    >>> d.components().weights
    (0.75, 0.25)
    """

    weights: tuple
    means: tuple  # ((m_a, m_b), ...)
    sds: tuple
    corrs: tuple

    def __len__(self) -> int:
        return len(self.weights)


def _prior_from_fields(d: BLRM) -> PriorComponents:
    if d.prior is not None:
        p = d.prior
        if isinstance(p, dict):  # a run file's table
            unknown = set(p) - {"weights", "means", "sds", "corrs"}
            if unknown or len(p) != 4:
                raise ValueError(f"prior: expected the keys weights, means, sds and corrs, got {sorted(p)}")
            p = PriorComponents(weights=p["weights"], means=p["means"], sds=p["sds"], corrs=p["corrs"])
        comps = getattr(p, "components", None)
        comps = comps() if callable(comps) else p
        try:
            w = _floats("prior.weights", comps.weights)
            means = _pairs("prior.means", comps.means)
            sds = _pairs("prior.sds", comps.sds)
            corrs = _floats("prior.corrs", comps.corrs)
        except AttributeError:
            raise ValueError("prior: expected a mixture of bivariate normals with weights, means, sds and corrs "
                             f"(e.g. doseesc.evidence.blrm_map_prior(...)), got {p!r}") from None
    else:
        means = np.asarray(_floats("prior_mean", d.prior_mean), dtype=float)
        sds = np.asarray(_floats("prior_sd", d.prior_sd), dtype=float)
        if means.size % 2 or sds.size != means.size:
            raise ValueError(f"prior_mean, prior_sd: expected 2 numbers each (log alpha, log beta), or 2 per "
                             f"mixture component, got {means.size} and {sds.size}")
        K = means.size // 2
        means = means.reshape(K, 2)
        sds = sds.reshape(K, 2)
        corrs = _floats("prior_corr", d.prior_corr)
        if len(corrs) == 1:
            corrs = corrs * K
        w = (1.0,) * K if d.prior_weights is None else _floats("prior_weights", d.prior_weights)
    K = means.shape[0]
    given = d.prior is not None  # a mixture object or table: name its parts, not the prior_* fields left unset
    f_w, f_sd, f_corr = ("prior.weights", "prior.sds", "prior.corrs") if given else \
        ("prior_weights", "prior_sd", "prior_corr")
    if len(w) != K or len(corrs) != K or sds.shape != (K, 2):
        raise ValueError(f"{'prior' if given else 'prior_weights'}: expected one weight, correlation and pair of "
                         f"means and sds per component ({K} components), got {len(w)} weights and {len(corrs)} "
                         "correlations")
    if any(x <= 0 for x in w):
        raise ValueError(f"{f_w}: must be > 0, got {list(w)}")
    if np.any(sds <= 0):
        raise ValueError(f"{f_sd}: must be > 0, got {sds.ravel().tolist()}")
    _check_prior_scale("prior" if given else "prior_mean", "prior" if given else "prior_sd", means, sds)
    if any(not -1 < r < 1 for r in corrs):
        raise ValueError(f"{f_corr}: must be strictly between -1 and 1, got {list(corrs)}")
    tot = sum(w)
    return PriorComponents(weights=tuple(x / tot for x in w), means=tuple(map(tuple, means.tolist())),
                           sds=tuple(map(tuple, sds.tolist())), corrs=tuple(corrs))


# ---------------------------------------------------------------------------------- the design
@dataclass(frozen=True)
class BLRM(Design):
    """Two-parameter Bayesian logistic regression model with overdose control.

    ``logit p(d) = log(alpha) + beta * log(d / d_ref)``; ``(log alpha, log beta)`` has a
    bivariate normal prior (``prior_mean``, ``prior_sd``, ``prior_corr``), or a mixture of
    them (``prior_weights`` with 2 means and sds per component, or ``prior=`` a mixture object
    such as the MAP prior of :func:`doseesc.evidence.blrm_map_prior`). crmPack's
    ``LogisticLogNormal(mean, cov, ref_dose)`` is the same model with ``alpha0 = log(alpha)``.

    After each cohort the posterior gives, for every dose, P(underdose) = P(p < lower),
    P(target) = P(lower <= p <= upper) and P(overdose) = P(p > overdose_cut). A dose is
    *eligible* when P(overdose) <= ``overdose_max`` and the increments allow it. The next
    dose (crmPack's next best dose) is, by ``rule``:

    * ``"ncrm"`` (crmPack ``NextBestNCRM``): the eligible dose with the largest P(target); if
      no eligible dose has P(target) > ``min_target_prob``, the highest eligible dose;
    * ``"ewoc"`` (crmPack ``NextBestEWOC``): the highest eligible dose. With the overdose cut
      at the target DLT rate theta this is Babb, Rogatko & Zacks' (1998) escalation with
      overdose control: the ``overdose_max``-quantile of the posterior MTD distribution,
      rounded down to the dose grid (MTD < d exactly when p(d) > theta). Their increasing
      feasibility bound: ``overdose_max_start`` (e.g. 0.1) rising by ``overdose_max_step`` per
      cohort up to ``overdose_max``;
    * ``"ncrm_loss"`` (crmPack ``NextBestNCRMLoss``): the eligible dose with the smallest
      posterior loss ``losses . (P(under), P(target), P(over))`` (or 4 intervals with
      ``unacceptable_cut``); here eligible means P(overdose) *strictly* below ``overdose_max``;
    * ``"mtd_quantile"`` (crmPack ``NextBestMTD(target, derive = quantile(., q))``): the dose
      the increments allow that is *closest* to the ``overdose_max``-quantile of the posterior
      MTD distribution (MTD: the dose with p = ``overdose_cut``), with no overdose check (so no
      safety stop). Rounding down instead is ``"ewoc"``.

    When no dose is eligible the trial stops for safety with no dose selected (crmPack's
    ``StoppingMissingDose``). The trial also stops at ``max_n`` patients or when ``stopping``
    holds; the selected dose is then the next best dose (crmPack's recommendation).

    Parameters
    ----------
    doses : sequence of float
        Dose values, positive and strictly increasing (the dose levels are 1-based indices).
    d_ref : float
        Reference dose ``d*`` (> 0).
    prior_mean, prior_sd : sequence of float
        ``prior_mean``: means, ``prior_sd``: standard deviations of ``(log alpha, log beta)``;
        ``2 K`` numbers for a mixture of K (``m_a1, m_b1, m_a2, m_b2, ...``). Default: the weakly
        informative ``N(logit(0.2), 2^2)`` and ``N(0, 1)``. Means: |log alpha| <= 20, |log beta|
        <= 10; SDs: log alpha 0.001 to 20, log beta 0.001 to 5.
    prior_corr : float or sequence of float
        Correlation of log alpha and log beta (one per component).
    prior_weights : sequence of float, optional
        Mixture weights (normalised).
    target_interval : (float, float)
        Target toxicity interval (lower, upper); crmPack treats it as closed.
    overdose_max : float
        Largest P(overdose) of an eligible dose (EWOC's feasibility bound), in (0, 1].
    rule : {"ncrm", "ewoc", "ncrm_loss", "mtd_quantile"}
        Next-dose rule (crmPack's next best dose): the eligible dose with the largest
        P(target) (``ncrm``), the highest eligible dose (``ewoc``), the eligible dose of smallest
        posterior loss (``ncrm_loss``), or the dose closest to a quantile of the MTD's posterior
        (``mtd_quantile``).
    cohort_size, max_n, start_dose : int
        ``cohort_size``: constant cohort size; ``max_n``: maximum sample size (the last cohort
        is truncated); ``start_dose``: 1-based first dose.
    max_increment : float or sequence of float, optional
        Largest relative increase over the current dose (crmPack ``IncrementsRelative``): 1.0
        allows doubling. With ``increment_intervals`` (the lower ends of dose intervals,
        starting at 0), one increment per interval of the current dose.
    increment_intervals : sequence of float, optional
        Lower ends of the dose intervals (starting at 0) that give ``max_increment`` one
        increment each (crmPack ``IncrementsRelative(intervals=...)``); the current dose's
        interval sets the largest increase. Default: one interval, one increment.
    skip_untried : bool
        False (default): never escalate more than one level above the highest dose tried
        (crmPack ``IncrementsDoseLevels(levels=1, basis_level="max")``).
    stopping : str or Stopping, optional
        Additional stopping rules, crmPack style, e.g. ``"patients_near_dose(9, percentage=0)
        & target_prob(0.5)"`` (see :class:`Stopping`).
    overdose_cut : float, optional
        An overdose is ``p > overdose_cut`` (default: the target interval's upper end).
    min_target_prob : float
        NCRM's threshold (crmPack: 0.05).
    losses : sequence of float, optional
        ``ncrm_loss``: 3 losses (underdose, target, overdose) or 4 (with ``unacceptable_cut``:
        underdose, target, excessive, unacceptable). Default (1, 0, 1, 2) / (1, 0, 2).
    unacceptable_cut : float, optional
        ``ncrm_loss`` with 4 intervals: excessive is (overdose_cut, unacceptable_cut], unacceptable
        above it.
    overdose_max_start, overdose_max_step : float
        Increasing feasibility bound (see ``"ewoc"``), any rule: ``overdose_max_start`` for
        the first cohort, rising by ``overdose_max_step`` per cohort up to ``overdose_max``.
        Off (``overdose_max`` throughout) when ``overdose_max_start`` is None.
    prior : object, optional
        A mixture prior with ``weights``, ``means``, ``sds`` and ``corrs`` (overrides the
        ``prior_*`` fields), e.g. a MAP prior.
    decision_cache : bool
        Cache decisions by state (per-dose counts and current dose) during simulation;
        results are identical either way.

    Notes
    -----
    *Posterior.* Deterministic: trapezoid quadrature on a sub-lattice of a fixed grid over the
    prior's box (+-9 sds) whose strides adapt to the posterior, with the interval
    probabilities from a regularised-sinc rule for each column's partial integral; a local
    grid takes over when the posterior is narrower than the grid (see
    :mod:`doseesc._kernels.blrm`). Against brute-force quadrature the interval probabilities
    and posterior means agree to about 1e-7 (tests). The grid step in log alpha comes from a
    proven bound on the posterior's width at ``max_n`` patients.

    *Exact results.* Decisions depend only on the per-dose counts and the current dose, so
    :func:`doseesc.exact` applies, and simulations cache decisions by state.

    *Differences from crmPack.* crmPack's posterior is a Monte Carlo sample (JAGS); here it is
    integrated, so probabilities near a threshold may fall on the other side of it than
    crmPack's sample puts them. crmPack has no separate maximum sample size (use
    ``StoppingMinPatients``) and does not truncate a last cohort; here ``max_n`` truncates it.
    No placebo arm, no cohort sizes that vary during the trial.

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.BLRM(doses=[1, 2.5, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250], d_ref=250,
    ...             prior_mean=(2.15, 0.52), prior_sd=(0.84, 0.8), prior_corr=0.134 / (0.84 * 0.8),
    ...             target_interval=(0.16, 0.33), rule="ncrm", cohort_size=3, max_n=30, skip_untried=True)
    >>> rec = d.next_dose("1NNN 2NNNN 3NNNNN 4NNNN 7TT")
    >>> rec.dose, [round(float(p), 2) for p in rec.p_tox[:7]]
    (5, [0.01, 0.03, 0.06, 0.13, 0.19, 0.25, 0.31])
    """

    doses: Sequence[float]
    d_ref: float
    prior_mean: Sequence[float] = DEFAULT_PRIOR_MEAN
    prior_sd: Sequence[float] = DEFAULT_PRIOR_SD
    prior_corr: Any = 0.0  # a number, or one per mixture component
    prior_weights: Sequence[float] | None = None
    target_interval: Sequence[float] = (0.16, 0.33)
    overdose_max: float = 0.25
    rule: str = "ncrm"
    cohort_size: int = 3
    max_n: int = 30
    start_dose: int = 1
    max_increment: Any = None  # a number, or one per increment interval
    increment_intervals: Sequence[float] | None = None
    skip_untried: bool = False
    stopping: Any = None
    overdose_cut: float | None = None
    min_target_prob: float = 0.05
    losses: Sequence[float] | None = None
    unacceptable_cut: float | None = None
    overdose_max_start: float | None = None
    overdose_max_step: float = 0.05
    prior: Any = None
    decision_cache: bool = True

    family: ClassVar[str] = "blrm"
    reports_estimates: ClassVar[bool] = True
    _components: PriorComponents = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        set_ = lambda k, x: object.__setattr__(self, k, x)
        doses = _floats("doses", self.doses)
        if any(x <= 0 for x in doses) or any(b <= a for a, b in zip(doses, doses[1:])):
            raise ValueError(f"doses: must be positive and strictly increasing, got {list(doses)}")
        if len(doses) > v.MAX_DOSES:
            raise ValueError(f"doses: at most {v.MAX_DOSES} dose levels, got {len(doses)}")
        set_("doses", doses)
        D = len(doses)
        set_("d_ref", v.positive("d_ref", self.d_ref, "the reference dose"))
        set_("rule", v.choice("rule", self.rule, RULES))
        set_("target_interval", _interval("target_interval", self.target_interval))
        oc = self.target_interval[1] if self.overdose_cut is None else v.open_unit("overdose_cut", self.overdose_cut)
        if oc < self.target_interval[0]:
            raise ValueError(f"overdose_cut: must be >= the target interval's lower end "
                             f"{self.target_interval[0]:g}, got {oc!r}")
        set_("overdose_cut", oc)
        om = v.number("overdose_max", self.overdose_max)
        if not 0 < om <= 1:
            raise ValueError(f"overdose_max: must be in (0, 1], got {self.overdose_max!r}")
        set_("overdose_max", om)
        set_("cohort_size", v.integer("cohort_size", self.cohort_size, low=1, high=v.MAX_PATIENTS))
        set_("max_n", v.integer("max_n", self.max_n, low=self.cohort_size, high=v.MAX_PATIENTS))
        set_("start_dose", v.integer("start_dose", self.start_dose, low=1, high=D))
        for f in ("skip_untried", "decision_cache"):
            if not isinstance(getattr(self, f), (bool, np.bool_)):
                raise ValueError(f"{f}: must be true or false, got {getattr(self, f)!r}")
            set_(f, bool(getattr(self, f)))
        mt = v.number("min_target_prob", self.min_target_prob)
        if not 0 <= mt < 1:
            raise ValueError(f"min_target_prob: must be in [0, 1), got {self.min_target_prob!r}")
        set_("min_target_prob", mt)
        if self.unacceptable_cut is not None:
            uc = v.open_unit("unacceptable_cut", self.unacceptable_cut)
            if self.rule != "ncrm_loss":
                raise ValueError("unacceptable_cut: only used by rule='ncrm_loss'")
            if uc <= oc:
                raise ValueError(f"unacceptable_cut: must exceed overdose_cut {oc:g}, got {uc!r}")
            set_("unacceptable_cut", uc)
        n_loss = 4 if self.unacceptable_cut is not None else 3
        if self.losses is not None:
            ls = _floats("losses", self.losses)
            if len(ls) != n_loss:
                what = "underdose, target, excessive, unacceptable" if n_loss == 4 else "underdose, target, overdose"
                raise ValueError(f"losses: expected {n_loss} numbers ({what}), got {len(ls)}")
            if self.rule != "ncrm_loss":
                raise ValueError("losses: only used by rule='ncrm_loss'")
            set_("losses", ls)
        if self.overdose_max_start is not None:
            st = v.number("overdose_max_start", self.overdose_max_start)
            if not 0 < st <= om:
                raise ValueError(f"overdose_max_start: must be in (0, overdose_max = {om:g}], got {st!r}")
            set_("overdose_max_start", st)
            stp = v.number("overdose_max_step", self.overdose_max_step)
            if stp < 0:
                raise ValueError(f"overdose_max_step: must be >= 0, got {stp!r}")
            set_("overdose_max_step", stp)
        if self.max_increment is not None:
            inc = _floats("max_increment", self.max_increment)
            if any(x < 0 for x in inc):
                raise ValueError(f"max_increment: must be >= 0 (relative increases), got {list(inc)}")
            ivs = (0.0,) if self.increment_intervals is None else _floats("increment_intervals",
                                                                            self.increment_intervals)
            if len(ivs) != len(inc):
                raise ValueError(f"increment_intervals: expected one lower dose bound per increment ({len(inc)}), "
                                 f"got {len(ivs)}")
            if ivs[0] > doses[0] or any(b <= a for a, b in zip(ivs, ivs[1:])):
                raise ValueError(f"increment_intervals: must be increasing and start at or below the lowest dose "
                                 f"{doses[0]:g}, got {list(ivs)}")
            set_("max_increment", inc if len(inc) > 1 else inc[0])
            set_("increment_intervals", None if self.increment_intervals is None else ivs)
        elif self.increment_intervals is not None:
            raise ValueError("increment_intervals: only used with max_increment")
        set_("stopping", _stopping(self.stopping))
        comps = _prior_from_fields(self)
        object.__setattr__(self, "_components", comps)
        if self.prior is not None:
            set_("prior", comps)  # immutable, and what the design uses

    # ------------------------------------------------------------------ helpers
    @property
    def fixed_n_doses(self) -> int:
        return len(self.doses)

    def _protocol(self, scenario):
        from . import _describe

        return _describe.blrm(self, scenario)

    def _auto_label(self) -> str:
        return f"BLRM ({self.rule})"

    def to_dict(self) -> dict:
        out = super().to_dict()
        out.pop("_components", None)
        out["stopping"] = None if self.stopping is None else str(self.stopping)
        if self.prior is not None:
            c = self._components
            out["prior"] = {"weights": list(c.weights), "means": [list(m) for m in c.means],
                            "sds": [list(s) for s in c.sds], "corrs": list(c.corrs)}
        return out

    def components(self) -> PriorComponents:
        """The prior as a normalised mixture of bivariate normals on (log alpha, log beta)."""
        return self._components

    def _increment_limits(self) -> np.ndarray:
        """Highest dose index allowed after a cohort at each dose index (crmPack's maxDose:
        ``(1 + increment) * current dose``, compared in double precision as R does)."""
        D = len(self.doses)
        if self.max_increment is None:
            return np.full(D, D - 1, dtype=np.int64)
        inc = np.atleast_1d(np.asarray(self.max_increment, dtype=float))
        ivs = np.asarray(self.increment_intervals if self.increment_intervals is not None else (0.0,))
        out = np.empty(D, dtype=np.int64)
        for d, x in enumerate(self.doses):
            k = int(np.searchsorted(ivs, x, side="right")) - 1  # R findInterval
            limit = (1.0 + inc[k]) * x
            out[d] = max(i for i, z in enumerate(self.doses) if z <= limit)
        return out

    def _grid(self) -> tuple:
        c = self._components
        m = np.asarray(c.means)
        s = np.asarray(c.sds)
        a_lo, a_hi = float(np.min(m[:, 0] - PRIOR_RANGE * s[:, 0])), float(np.max(m[:, 0] + PRIOR_RANGE * s[:, 0]))
        b_lo, b_hi = float(np.min(m[:, 1] - PRIOR_RANGE * s[:, 1])), float(np.max(m[:, 1] + PRIOR_RANGE * s[:, 1]))
        prec_aa = max(1.0 / (sa * sa * (1.0 - r * r)) for (sa, _), r in zip(c.sds, c.corrs))
        sig_a = 1.0 / math.sqrt(self.max_n / 4.0 + prec_aa)
        ha = sig_a / STEPS_PER_SD
        Na = int(min(max(math.ceil((a_hi - a_lo) / ha) + 1, GRID_MIN), GRID_MAX))
        Nb = int(min(max(Na, GRID_MIN), GRID_MAX))
        return a_lo, (a_hi - a_lo) / (Na - 1), Na, b_lo, (b_hi - b_lo) / (Nb - 1), Nb, sig_a

    def _prior_pack(self) -> np.ndarray:
        out = []
        c = self._components
        for w, (ma, mb), (sa, sb), r in zip(c.weights, c.means, c.sds, c.corrs):
            det = (1.0 - r * r)
            p_aa = 1.0 / (sa * sa * det)
            p_bb = 1.0 / (sb * sb * det)
            p_ab = -r / (sa * sb * det)
            lognorm = math.log(w) - math.log(2.0 * math.pi * sa * sb * math.sqrt(det))
            out += [lognorm, ma, mb, p_aa, p_ab, p_bb, 0.0]
        return np.array(out)

    def _stop_pack(self) -> tuple[list, list]:
        ints: list[int] = []
        floats: list[float] = []
        if self.stopping is None:
            return [0], floats
        clauses = self.stopping.dnf()
        ints.append(len(clauses))
        codes = {MinPatients: _k.ST_MIN_PATIENTS, MinCohorts: _k.ST_MIN_COHORTS,
                 PatientsNearDose: _k.ST_PATIENTS_NEAR, CohortsNearDose: _k.ST_COHORTS_NEAR,
                 TargetProb: _k.ST_TARGET_PROB}
        for cl in clauses:
            ints.append(len(cl))
            for a in cl:
                ints += [codes[type(a)], getattr(a, "n", 0), len(floats)]
                if isinstance(a, (PatientsNearDose, CohortsNearDose)):
                    floats.append(a.percentage)
                elif isinstance(a, TargetProb):
                    lo, hi = a.target if a.target is not None else self.target_interval
                    floats += [a.prob, _logit(lo), _logit(hi)]
                else:
                    floats.append(0.0)
        return ints, floats

    def _lower(self, n_doses: int) -> Lowered:
        D = len(self.doses)
        a0, ha, Na, b0, hb, Nb, sig_a = self._grid()
        a = a0 + ha * np.arange(Na)
        b = b0 + hb * np.arange(Nb)
        beta = np.exp(b)
        x = np.log(np.asarray(self.doses) / self.d_ref)
        sinc = _k.sinc_tables()
        G = max(Na * Nb, sinc.shape[1])
        tab = np.zeros((D + 5, G))
        A = np.broadcast_to(a[None, :], (Nb, Na))  # index [j, i] -> node j * Na + i
        B = np.broadcast_to(beta[:, None], (Nb, Na))
        for d in range(D):
            tab[d, :Na * Nb] = (-np.logaddexp(0.0, -(A + B * x[d]))).ravel()
        # log prior density of the mixture
        lp = []
        bb = np.broadcast_to(b[:, None], (Nb, Na))
        c = self._components
        for w, (ma, mb), (sa, sb), r in zip(c.weights, c.means, c.sds, c.corrs):
            za, zb = (A - ma) / sa, (bb - mb) / sb
            q = (za * za - 2 * r * za * zb + zb * zb) / (1 - r * r)
            lp.append(math.log(w) - math.log(2 * math.pi * sa * sb * math.sqrt(1 - r * r)) - 0.5 * q)
        tab[D, :Na * Nb] = np.logaddexp.reduce(np.array(lp), axis=0).ravel()
        tab[D + 1, :Na] = a
        tab[D + 2, :Nb] = beta
        tab[D + 3:D + 5, :sinc.shape[1]] = sinc

        stop_i, stop_f = self._stop_pack()
        limits = self._increment_limits()
        cap = CACHE_CAPACITY if self.decision_cache else 0
        mc, o_f, o_cum, o_prob, o_cache, nbuf, n_work = _k.work_layout(Na, Nb, D, cap)
        ipar = np.zeros(_k.I_LIMIT + D + len(stop_i), dtype=np.int64)
        ipar[_k.I_START] = self.start_dose - 1
        ipar[_k.I_COHORT] = self.cohort_size
        ipar[_k.I_RULE] = _RULE_CODE[self.rule]
        ipar[_k.I_NA] = Na
        ipar[_k.I_NB] = Nb
        ipar[_k.I_NCOMP] = len(c)
        ipar[_k.I_SKIP] = int(self.skip_untried)
        ipar[_k.I_MAXN] = self.max_n
        ipar[_k.I_CACHE] = cap
        ipar[_k.I_O_CACHE] = o_cache
        ipar[_k.I_O_F] = o_f
        ipar[_k.I_O_CUM] = o_cum
        ipar[_k.I_MAXCOL] = mc
        ipar[_k.I_O_PROB] = o_prob
        ipar[_k.I_NBUF] = nbuf
        ipar[_k.I_NCUT] = 3 if self.unacceptable_cut is not None else 2
        ipar[_k.I_LIMIT:_k.I_LIMIT + D] = limits
        ipar[_k.I_STOP] = _k.I_LIMIT + D
        ipar[_k.I_LIMIT + D:] = stop_i
        prior = self._prior_pack()
        fx = _k.N_FPAR_FIXED
        fd = fx + D
        fp = fd + D
        fs = fp + prior.size
        fpar = np.zeros(fs + max(len(stop_f), 1))
        ipar[_k.I_F_X] = fx
        ipar[_k.I_F_DOSE] = fd
        ipar[_k.I_F_PRIOR] = fp
        ipar[_k.I_F_STOP] = fs
        fpar[_k.F_A0] = a0
        fpar[_k.F_HA] = ha
        fpar[_k.F_B0] = b0
        fpar[_k.F_HB] = hb
        fpar[_k.F_T_LO] = _logit(self.target_interval[0])
        fpar[_k.F_T_HI] = _logit(self.target_interval[1])
        fpar[_k.F_T_OVER] = _logit(self.overdose_cut)
        fpar[_k.F_T_UNACC] = _logit(self.unacceptable_cut) if self.unacceptable_cut is not None else np.nan
        fpar[_k.F_OVER_MAX] = self.overdose_max
        fpar[_k.F_OVER_START] = np.nan if self.overdose_max_start is None else self.overdose_max_start
        fpar[_k.F_OVER_STEP] = self.overdose_max_step
        fpar[_k.F_MIN_TARGET] = self.min_target_prob
        losses = self.losses if self.losses is not None else ((1.0, 0.0, 1.0, 2.0) if self.unacceptable_cut
                                                              is not None else (1.0, 0.0, 2.0))
        fpar[_k.F_LOSS:_k.F_LOSS + len(losses)] = losses
        fpar[_k.F_SIGMA_A] = sig_a
        fpar[_k.F_DREF] = self.d_ref
        fpar[fx:fx + D] = x
        fpar[fd:fd + D] = self.doses
        fpar[fp:fs] = prior
        fpar[fs:fs + len(stop_f)] = stop_f
        return Lowered(code=_BLRM_CODE, ipar=ipar, fpar=fpar, tab=tab, n_aux=1, n_work=n_work, max_n=self.max_n,
                       n_doses=D)

    def _prepare_select_aux(self, low: Lowered, aux: np.ndarray, n: np.ndarray, y: np.ndarray) -> None:
        aux[0] = -2  # no current dose: select without the increments

    # ------------------------------------------------------------------ live use
    def next_dose(self, outcomes: str = "", n_doses: int | None = None) -> BLRMRecommendation:
        """Recommend the next dose given the outcomes so far (see ``Design.next_dose``), with
        the per-dose posterior summaries behind it.

        Examples
        --------
        >>> import doseesc as de
        >>> d = de.BLRM(doses=[1, 3, 9, 20, 30, 45, 60, 80, 100], d_ref=56, prior_mean=(-0.85, 1),
        ...             prior_sd=(1, 1), prior_corr=-0.5, target_interval=(0.2, 0.35), cohort_size=1,
        ...             max_increment=(1.0, 0.5), increment_intervals=(0, 30), skip_untried=True)
        >>> rec = d.next_dose("1N 2N 3N 4T")
        >>> rec.dose, round(float(rec.p_target[2]), 2), rec.dose_limit
        (3, 0.18, 5)
        """
        rec = super().next_dose(outcomes, n_doses)
        cohorts = _outcomes.parse(outcomes)
        cur = cohorts[-1].dose - 1 if cohorts else -1
        low = self.lower(len(self.doses))
        D = len(self.doses)
        work = np.zeros(low.n_work)
        out = np.zeros(8 * D)
        nbd, lim, alpha, _ = _k.summaries(low.ipar, low.fpar, low.tab, rec.n_patients, rec.n_dlt, work, cur, out)
        up_lo, up_hi, up_over, up_unacc = (out[i * D:(i + 1) * D] for i in range(4))
        elig = out[4 * D:5 * D] > 0.5
        q = self._quantiles(low, rec.n_patients, rec.n_dlt, (0.025, 0.5, 0.975))
        loss = out[5 * D:6 * D].copy() if self.rule == "ncrm_loss" else None
        four = self.unacceptable_cut is not None
        p_target = up_lo - up_hi
        mtd_q = None
        if self.rule == "mtd_quantile":
            xq = _k.mtd_quantile(low.ipar, low.fpar, low.tab, rec.n_patients, rec.n_dlt, work, float(alpha))
            mtd_q = float(self.d_ref * math.exp(xq)) if math.isfinite(xq) else float(xq)
        expl = self._explain(rec, int(nbd), int(lim), float(alpha), elig, p_target, up_over, loss, cur, mtd_q)
        return BLRMRecommendation(
            dose=rec.dose, cohort_size=rec.cohort_size, stop=rec.stop, reason=rec.reason, selected=rec.selected,
            n_patients=rec.n_patients, n_dlt=rec.n_dlt, p_tox=out[6 * D:7 * D].copy(), beta=None,
            p_sd=out[7 * D:8 * D].copy(),
            p_underdose=1.0 - up_lo, p_target=p_target, p_overdose=up_over.copy(),
            p_excessive=(up_over - up_unacc) if four else None, p_unacceptable=up_unacc.copy() if four else None,
            p_lower=q[0], p_median=q[1], p_upper=q[2], eligible=elig, dose_limit=int(lim) + 1,
            overdose_bound=float(alpha), loss=loss, explanation=expl, doses=tuple(self.doses), mtd_quantile=mtd_q,
            warnings=rec.warnings, notes=rec.notes)

    def cdf(self, outcomes: str, dose: int, p: Any) -> np.ndarray:
        """Posterior probability that the DLT probability of ``dose`` (1-based) is at most ``p``.

        Parameters
        ----------
        outcomes : str
            Cohorts so far, e.g. ``"1NNN 2NTN"``.
        dose : int
            1-based dose level.
        p : float or sequence of float
            DLT probabilities in (0, 1).

        Returns
        -------
        ndarray
            ``P(p_dose <= p | data)`` for each value.

        Examples
        --------
        >>> import doseesc as de
        >>> d = de.BLRM(doses=[1, 2, 4, 8], d_ref=4, prior_mean=(-1.0, 0.0), prior_sd=(1.0, 0.5))
        >>> [round(float(x), 3) for x in d.cdf("1NNN 2NTN", 3, [0.2, 0.33])]
        [0.258, 0.577]
        """
        D = len(self.doses)
        dose = v.integer("dose", dose, low=1, high=D)
        vals = v.probabilities("p", np.atleast_1d(np.asarray(p, dtype=float)), open_interval=True)
        cohorts = _outcomes.parse(outcomes, D)
        n = np.zeros(D, dtype=np.int64)
        y = np.zeros(D, dtype=np.int64)
        for c in cohorts:
            n[c.dose - 1] += c.size
            y[c.dose - 1] += c.n_dlt
        low = self.lower(D)
        out = np.empty(vals.size)
        _k.cdf_p(low.ipar, low.fpar, low.tab, n, y, np.zeros(low.n_work), dose - 1, np.log(vals) - np.log1p(-vals),
                 out)
        return out

    def _quantiles(self, low: Lowered, n: np.ndarray, y: np.ndarray, probs: tuple) -> list[np.ndarray]:
        """Posterior quantiles of p_d for each dose, by repeated multisection of the CDF on the
        logit scale (64 cut points per pass, 5 passes: width 40 / 64^5 < 1e-7)."""
        D = len(self.doses)
        out = [np.empty(D) for _ in probs]
        work = np.zeros(low.n_work)
        for d in range(D):
            for qi, pq in enumerate(probs):
                lo, hi = -40.0, 40.0
                for _ in range(5):
                    cuts = np.linspace(lo, hi, 64)
                    cdf = np.empty(64)
                    _k.cdf_p(low.ipar, low.fpar, low.tab, n, y, work, d, cuts, cdf)
                    j = int(np.searchsorted(cdf, pq))
                    lo, hi = cuts[max(j - 1, 0)], cuts[min(j, 63)]
                t = 0.5 * (lo + hi)
                out[qi][d] = 1.0 / (1.0 + math.exp(-t))
        return out

    def _explain(self, rec, nbd, lim, alpha, elig, p_target, p_over, loss, cur, mtd_q) -> str:
        D = len(self.doses)
        cmp = "<" if self.rule == "ncrm_loss" else "<="
        n_el = int(np.sum(elig[:lim + 1]))
        parts = []
        limits = []
        if cur >= 0 and self.max_increment is not None:
            limits.append(f"increments from dose {cur + 1} ({self.doses[cur]:g})")
        if not self.skip_untried:
            limits.append("no skipping of untried doses")
        lim_txt = f"doses 1-{lim + 1} allowed ({', '.join(limits)})" if lim < D - 1 else "all doses allowed"
        if self.rule == "mtd_quantile":
            parts.append(f"{lim_txt}; the {alpha:g}-quantile of the posterior MTD (p = {self.overdose_cut:g}) is "
                         f"{mtd_q:.4g}; dose {nbd + 1} ({self.doses[nbd]:g}) is the allowed dose closest to it")
        elif nbd < 0:
            parts.append(f"no dose has P(overdose) {cmp} {alpha:g} (dose 1: {p_over[0]:.3f}): stop for safety")
        else:
            parts.append(f"{lim_txt}; eligible (P(overdose) {cmp} {alpha:g}): doses 1-{n_el}")
            if self.rule == "ncrm":
                best = float(np.max(p_target[:n_el]))
                if best > self.min_target_prob:
                    parts.append(f"dose {nbd + 1} has the largest P(target) = {p_target[nbd]:.3f} among them")
                else:
                    parts.append(f"no eligible dose has P(target) > {self.min_target_prob:g}: the highest eligible")
            elif self.rule == "ewoc":
                parts.append(f"dose {nbd + 1} is the highest eligible dose")
            else:
                parts.append(f"dose {nbd + 1} has the smallest posterior loss = {loss[nbd]:.3f} among them")
        if rec.stop and rec.reason == "design_rule":
            parts.append(f"stopping rule met: {self.stopping}")
        elif rec.stop and rec.reason == "max_n":
            parts.append(f"maximum sample size {self.max_n} reached")
        return "; ".join(parts)


@dataclass(frozen=True)
class BLRMRecommendation(Recommendation):
    """A BLRM recommendation with its per-dose posterior summaries.

    Attributes
    ----------
    p_underdose, p_target, p_overdose : ndarray
        Per dose: P(p < lower), P(lower <= p <= upper), P(p > overdose cut).
    p_excessive, p_unacceptable : ndarray or None
        With 4 intervals (``unacceptable_cut``): the split of P(overdose).
    p_tox : ndarray
        Posterior mean of p per dose.
    p_sd : ndarray
        Posterior standard deviation of p per dose.
    p_lower, p_median, p_upper : ndarray
        2.5%, 50% and 97.5% posterior quantiles of p per dose.
    eligible : ndarray of bool
        Doses the rule may choose (P(overdose) bound and increments).
    dose_limit : int
        Highest dose (1-based) the increments and the no-skipping rule allow next.
    overdose_bound : float
        The P(overdose) bound applied.
    loss : ndarray or None
        ``ncrm_loss``: posterior loss per dose.
    explanation : str
        Why this dose.
    mtd_quantile : float or None
        ``rule="mtd_quantile"``: the quantile of the posterior MTD distribution.

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.BLRM(doses=[1, 2, 4, 8], d_ref=4, prior_mean=(-1.0, 0.0), prior_sd=(1.5, 0.8))
    >>> rec = d.next_dose("1NNN")
    >>> rec.dose, bool(rec.eligible[0])
    (2, True)
    """

    p_underdose: np.ndarray | None = None
    p_sd: np.ndarray | None = None
    p_target: np.ndarray | None = None
    p_overdose: np.ndarray | None = None
    p_excessive: np.ndarray | None = None
    p_unacceptable: np.ndarray | None = None
    p_lower: np.ndarray | None = None
    p_median: np.ndarray | None = None
    p_upper: np.ndarray | None = None
    eligible: np.ndarray | None = None
    dose_limit: int = 0
    overdose_bound: float = float("nan")
    loss: np.ndarray | None = None
    explanation: str = ""
    doses: tuple = ()
    mtd_quantile: float | None = None

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("dose", "cohort_size", "stop", "reason", "selected", "dose_limit",
                                             "overdose_bound", "explanation", "mtd_quantile")}
        for k in ("n_patients", "n_dlt"):
            out[k] = [int(x) for x in getattr(self, k)]
        for k in ("p_tox", "p_sd", "p_underdose", "p_target", "p_overdose", "p_excessive", "p_unacceptable", "p_lower",
                  "p_median", "p_upper", "loss"):
            x = getattr(self, k)
            out[k] = None if x is None else [float(z) for z in x]
        out["eligible"] = [bool(z) for z in self.eligible]
        out["doses"] = list(self.doses)
        out["warnings"] = list(self.warnings)  # as every other design's recommendation
        out["notes"] = list(self.notes)
        return out

    def __str__(self) -> str:
        lines = []
        if self.stop:
            sel = "none" if self.selected is None else f"dose {self.selected}"
            lines.append(f"STOP ({self.reason}); selected: {sel}")
        else:
            lines.append(f"next: dose {self.dose} ({self.cohort_size} patient{'s' if self.cohort_size != 1 else ''})")
        lines.append(self.explanation)
        hdr = "level     dose   n DLT  P(under) P(target)   P(over)   mean  [2.5%, 50%, 97.5%]  elig"
        if self.loss is not None:
            hdr += "   loss"
        lines.append(hdr)
        for i in range(len(self.p_tox)):
            row = (f"{i + 1:>5} {self.doses[i]:>8g} {self.n_patients[i]:>3} {self.n_dlt[i]:>3}  "
                   f"{self.p_underdose[i]:8.3f} {self.p_target[i]:9.3f} {self.p_overdose[i]:9.3f} "
                   f"{self.p_tox[i]:6.3f}  [{self.p_lower[i]:.3f}, {self.p_median[i]:.3f}, {self.p_upper[i]:.3f}]"
                   f"  {'yes' if self.eligible[i] else ' no'}")
            if self.loss is not None:
                row += f" {self.loss[i]:6.3f}"
            lines.append(row)
        lines.extend(f"note: {w}" for w in self.notes if w)
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


__all__ = ["BLRM", "BLRMRecommendation", "Stopping", "StoppingAll", "StoppingAny", "MinPatients", "MinCohorts",
           "PatientsNearDose", "CohortsNearDose", "TargetProb", "min_patients", "min_cohorts", "patients_near_dose",
           "cohorts_near_dose", "target_prob", "PriorComponents"]
