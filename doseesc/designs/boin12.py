"""BOIN12: the Bayesian optimal interval phase I/II design (Lin, Zhou, Yan, Li & Yuan 2020)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as v
from .. import outcomes as _outcomes
from .._kernels import boin12 as _k
from .._kernels.codes import BOIN12 as _BOIN12_CODE
from .base import Design, Lowered, check_counts
from .interval import _boin_lambdas

U1 = 100.0  # utility of efficacy without toxicity (fixed, as escalation's get_boin12 default)
U4 = 0.0  # utility of toxicity without efficacy
SCORE_TABLE_MAX = 1 << 21  # entries of the (n, DLTs, responses) score table (16 MB)


def _beta():
    from scipy import stats  # lazy: keeps `import doseesc` fast

    return stats.beta


def utility_benchmark(phi_t: float, phi_e: float, u2: float, u3: float) -> float:
    """BOIN12's utility benchmark u_b (on the 0-100 scale): halfway between the highest utility
    deemed undesirable, u_bar = utility at (p_T, p_E) = (phi_t, phi_e) under independence, and
    100 (the arithmetic of escalation's ``boin12_next_dose``, in its order).

    Examples
    --------
    >>> from doseesc.designs.boin12 import utility_benchmark
    >>> utility_benchmark(0.35, 0.25, 40, 60)
    70.5
    """
    u_bar = 100 * phi_e * (1 - phi_t) + u2 * (1 - phi_t) * (1 - phi_e) + u3 * phi_t * phi_e + U4 * phi_t * (1 - phi_e)
    return u_bar + (100 - u_bar) / 2


@dataclass(frozen=True)
class BOIN12(Design):
    """BOIN12 (Lin et al. 2020, JCO Precis Oncol 4:1393), as the MD Anderson BOIN12 app and
    R escalation's ``get_boin12`` + ``select_boin12_obd``.

    Each patient's outcome is one of E (efficacy, no DLT), N (neither), B (both), T (DLT, no
    efficacy), with utilities u1 = 100, ``u2``, ``u3``, u4 = 0 (``E``, ``N``, ``B``, ``T``).
    After each cohort, with current dose d (the last cohort's), ``n`` patients and observed
    DLT rate ``p = y / n`` there, and BOIN's boundaries lambda_e < lambda_d for the target
    ``phi_t``:

    1. *exploration*: if n > 8, p < lambda_d, d is not the top dose and d + 1 is untried,
       escalate to d + 1;
    2. if p >= lambda_d, de-escalate to d - 1 (stay at dose 1);
    3. if lambda_e < p < lambda_d and n >= ``n_star``: at d >= 2, go to whichever of d - 1 and
       d has the higher desirability score if d is admissible (a tie goes to d - 1), else to
       d - 1; at d = 1, stay if dose 1 is admissible, else stop (no dose selected). This is
       escalation's code as R evaluates it (``currentdose-1 %in% admissible`` parses as
       ``currentdose - (1 %in% admissible)``; see :func:`doseesc._kernels.boin12.decide`);
    4. otherwise go to the admissible dose among d - 1, d, d + 1 with the highest desirability
       score (a tie goes to the higher dose); with none admissible, stop (no dose selected).

    A dose is *admissible* when P(p_T > phi_t | data) < ``c_t`` and P(p_E < phi_e | data) <
    ``c_e`` under Beta(1, 1) priors. The *desirability score* is 100 P(u > u_b | data): the
    utility's quasi-binomial posterior Beta(1 + x, 1 + n - x), x = (100 n_E,noT + u2 n_N +
    u3 n_B) / 100, above the benchmark u_b (:func:`utility_benchmark`); it ranks doses as
    the app's rank-based desirability score (RDS) does (:meth:`desirability_table`).

    When the trial ends with a dose recommended (at ``max_n``, or by a stopping modifier such as
    ``stop_when_n_at_dose(12, dose="any")``), the OBD is selected (``select_boin12_obd``):
    the MTD is the dose with the unweighted isotonic DLT rate (over the doses given) closest
    to ``phi_t`` (a tie goes to the higher dose), and the OBD the dose with the highest
    desirability score among doses 1 .. MTD (a tie goes to the lower dose).

    Parameters
    ----------
    phi_t : float
        Highest acceptable DLT probability (target), in (0, 1/1.4).
    phi_e : float
        Lowest acceptable efficacy probability, in (0, 1).
    u2, u3 : float
        Utilities, in [0, 100], of neither efficacy nor toxicity (``u2``) and of both
        (``u3``); efficacy without toxicity has 100, toxicity without efficacy 0.
    n_star : int
        With n >= n_star at the current dose and p between the boundaries, do not explore d + 1.
    c_t, c_e : float
        Admissibility cut-offs, in (0, 1): a dose is not admissible when P(p_T > phi_t | data)
        >= ``c_t`` (toxicity) or P(p_E < phi_e | data) >= ``c_e`` (efficacy).
    cohort_size : int
    max_n : int
        Maximum sample size (the last cohort is truncated).
    start_dose : int
        1-based first dose.
    n_doses : int, optional
        Number of dose levels, for live use without a scenario.

    Notes
    -----
    *Differences from the paper.* As the app and escalation: no persistent elimination of
    doses (admissibility is re-evaluated from the data at each decision, for d - 1, d, d + 1
    only); at dose 1 with p >= lambda_d the design stays at dose 1 rather than stopping.

    *Live use.* :meth:`next_dose`'s ``acceptable`` is this admissibility rule for every dose, on
    its own data (an untried dose on the priors alone, as the decision judges an untried
    d + 1); a note says which doses the decision weighs. (escalation's ``dose_admissible``
    reports only d - 1, d, d + 1 and False for every other dose.)

    *Exact results.* Decisions depend only on the per-dose counts of patients, DLTs,
    responses and (unless u2 + u3 = 100) patients with both, and on the current dose, so
    :func:`doseesc.exact` applies; cohorts branch into every composition of the four outcomes.

    Examples
    --------
    >>> import doseesc as de
    >>> d = de.BOIN12(phi_t=0.35, phi_e=0.25, u2=40, u3=60, n_star=6, cohort_size=3, max_n=30)
    >>> d.next_dose("1NNN 2ENT 3ETT 2EEN", n_doses=5).dose
    2
    >>> d = d.stop_when_n_at_dose(12, dose="any")
    >>> rec = d.next_dose("1NNN 2NNB 3NEE 3NTN 4ETE 4NBE 4BNN 5BEN 5NBT 4NEN", n_doses=5)
    >>> rec.stop, rec.selected
    (True, 4)
    >>> sc = de.Scenario(p_tox=[0.05, 0.1, 0.2, 0.3, 0.5], target=0.35, p_eff=[0.1, 0.3, 0.5, 0.5, 0.5])
    >>> oc = de.simulate(d, sc, n_trials=1000, seed=1)
    >>> round(float(oc.selection.sum() + oc.no_selection), 12)
    1.0
    """

    phi_t: float = 0.35
    phi_e: float = 0.25
    u2: float = 40.0
    u3: float = 60.0
    n_star: int = 6
    c_t: float = 0.95
    c_e: float = 0.9
    cohort_size: int = 3
    max_n: int = 36
    start_dose: int = 1
    n_doses: int | None = None

    family: ClassVar[str] = "BOIN12"
    uses_efficacy: ClassVar[bool] = True
    reports_estimates: ClassVar[bool] = True

    def __post_init__(self) -> None:
        phi_t = v.open_unit("phi_t", self.phi_t)
        if not phi_t < 1 / 1.4:
            raise ValueError(f"phi_t: must be in (0, {1 / 1.4:.4f}) (BOIN's boundaries use 1.4 phi_t < 1), "
                             f"got {self.phi_t!r}")
        object.__setattr__(self, "phi_t", phi_t)
        object.__setattr__(self, "phi_e", v.open_unit("phi_e", self.phi_e))
        for f in ("u2", "u3"):
            u = v.number(f, getattr(self, f))
            if not 0 <= u <= 100:
                raise ValueError(f"{f}: must be between u4 = 0 and u1 = 100, got {getattr(self, f)!r}")
            object.__setattr__(self, f, u)
        object.__setattr__(self, "c_t", v.open_unit("c_t", self.c_t))
        object.__setattr__(self, "c_e", v.open_unit("c_e", self.c_e))
        object.__setattr__(self, "n_star", v.integer("n_star", self.n_star, low=1, high=v.MAX_PATIENTS))
        object.__setattr__(self, "cohort_size", v.integer("cohort_size", self.cohort_size, low=1,
                                                          high=v.MAX_PATIENTS))
        object.__setattr__(self, "max_n", v.integer("max_n", self.max_n, low=self.cohort_size, high=v.MAX_PATIENTS))
        object.__setattr__(self, "start_dose", v.integer("start_dose", self.start_dose, low=1, high=v.MAX_DOSES))
        if self.n_doses is not None:
            object.__setattr__(self, "n_doses", v.integer("n_doses", self.n_doses, low=1, high=v.MAX_DOSES))
            if self.start_dose > self.n_doses:
                raise ValueError(f"start_dose: must be from 1 to {self.n_doses} (n_doses), got {self.start_dose}")

    def _auto_label(self) -> str:
        return f"BOIN12 (phi_t {self.phi_t:g}, phi_e {self.phi_e:g})"

    def _protocol(self, scenario):
        from . import _describe

        return add_waiting(_describe.boin12(self, scenario), scenario)

    @property
    def utility_benchmark(self) -> float:
        """u_b, on the 0-100 scale (see :func:`utility_benchmark`)."""
        return utility_benchmark(self.phi_t, self.phi_e, self.u2, self.u3)

    # ------------------------------------------------------------ lowering
    def _table(self, T: int, with_scores: bool) -> np.ndarray:
        """Admissibility bits (and, ``with_scores``, the score table) as the kernel reads them."""
        n, k = np.meshgrid(np.arange(T + 1), np.arange(T + 1), indexing="ij")
        ok = k <= n
        kk = np.minimum(k, n)
        beta = _beta()
        tox_bad = beta.sf(self.phi_t, 1 + kk, 1 + n - kk) >= self.c_t
        eff_bad = beta.cdf(self.phi_e, 1 + kk, 1 + n - kk) >= self.c_e
        bits = np.where(ok, np.where(tox_bad, _k.TOX_BAD, 0) | np.where(eff_bad, _k.EFF_BAD, 0), 0).astype(float)
        if not with_scores:
            return bits
        # score[n, y, e], with b = 0 (valid: the score does not depend on b here); R's arithmetic
        nn, yy, ee = np.meshgrid(np.arange(T + 1), np.arange(T + 1), np.arange(T + 1), indexing="ij")
        valid = (yy <= nn) & (ee <= nn)
        # where y + e > n only b > 0 is feasible; the (exact, integer) numerator does not depend on b
        x = (U1 * ee + self.u2 * (nn - ee - yy) + self.u3 * 0 + U4 * yy) / 100
        with np.errstate(all="ignore"):
            sc = 100 * beta.sf(self.utility_benchmark / 100, 1 + x, (1 + nn) - x)
        sc = np.where(valid, sc, np.nan).reshape(T + 1, (T + 1) * (T + 1))
        return np.ascontiguousarray(np.concatenate([bits, sc], axis=1))

    def _lower(self, n_doses: int) -> Lowered:
        n_doses = v.integer("n_doses", n_doses, low=1, high=v.MAX_DOSES)
        T = max(self.max_n, self.__dict__.get("_wide_n", 0))
        ipar = np.zeros(_k.N_IPAR, dtype=np.int64)
        ipar[_k.I_START] = self.start_dose - 1
        ipar[_k.I_COHORT] = self.cohort_size
        ipar[_k.I_NSTAR] = self.n_star
        ipar[_k.I_TABLE_N] = T
        lam_e, lam_d = _boin_lambdas(self.phi_t, 0.6 * self.phi_t, 1.4 * self.phi_t)
        fpar = np.zeros(_k.N_FPAR)
        fpar[_k.F_PHI_T] = self.phi_t
        fpar[_k.F_LAMBDA_E] = lam_e
        fpar[_k.F_LAMBDA_D] = lam_d
        fpar[_k.F_UB] = self.utility_benchmark / 100
        fpar[_k.F_U1:_k.F_U1 + 4] = (U1, self.u2, self.u3, U4)
        # The score depends on the patients with both outcomes only through (u2 + u3 - u1 - u4) b;
        # with integer utilities summing to 100 that term is exactly 0, so the exact engine may merge on b.
        merge_b = self.u2 + self.u3 == U1 + U4 and float(self.u2).is_integer() and float(self.u3).is_integer()
        # The scores as a table when they depend on (n, y, e) only and the table is small (T <= 127).
        ipar[_k.I_SCORE_TAB] = int(merge_b and (T + 1) ** 3 <= SCORE_TABLE_MAX)
        return Lowered(code=_BOIN12_CODE, ipar=ipar, fpar=fpar, tab=self._table(T, bool(ipar[_k.I_SCORE_TAB])),
                       n_aux=0, n_work=_k.n_work(n_doses), max_n=self.max_n, n_doses=n_doses,
                       efficacy=1 if merge_b else 2)

    def _widened(self, need: int):
        """A copy whose admissibility table also covers ``need`` patients at one dose (live use)."""
        if need <= self.max_n:
            return self
        wide = copy.copy(self)
        object.__setattr__(wide, "_wide_n", int(need))
        return wide

    # ------------------------------------------------------------ live use
    def next_dose(self, outcomes: str = "", n_doses: int | None = None):
        need = 0
        try:
            per: dict[int, int] = {}
            for c in _outcomes.parse(outcomes):
                per[c.dose] = per.get(c.dose, 0) + c.size
            need = max(per.values(), default=0)
        except ValueError:
            pass  # the base class reports the malformed string
        if need > v.MAX_PATIENTS:
            raise ValueError(f"outcomes: {need} patients at one dose; at most {v.MAX_PATIENTS} are supported")
        return Design.next_dose(self._widened(need), outcomes, n_doses)

    next_dose.__doc__ = Design.next_dose.__doc__

    def _efficacy_estimates(self, low: Lowered, n, y, e, b, cur: int | None) -> dict:
        beta = _beta()
        D = n.size
        # every dose by the decision's own rule (the kernel's admissible), on that dose's data alone:
        # an untried dose on the Beta(1, 1) priors, as the decision judges an untried d + 1
        acceptable = np.array([bool(_k.admissible(low.ipar, low.tab, n[d], y[d], e[d])) for d in range(D)],
                              dtype=bool)
        return {
            "p_tox": (1.0 + y) / (2.0 + n),
            "p_eff": (1.0 + e) / (2.0 + n),
            "prob_acc_tox": beta.cdf(self.phi_t, 1 + y, 1 + n - y),
            "prob_acc_eff": beta.sf(self.phi_e, 1 + e, 1 + n - e),
            "utility": np.array([_k.score(low.ipar, low.fpar, low.tab, n[d], y[d], e[d], b[d]) for d in range(D)]),
            "acceptable": acceptable,
            "column_heads": (("utility", "score"),),  # printed as BOIN12's desirability score; JSON keeps 'utility'
            "notes": (acceptable_note(self, n, cur), *above_toxic_note(self, n, y, cur)),
        }

    def select(self, n_patients: Sequence[int], n_dlt: Sequence[int], n_eff: Sequence[int] | None = None,
               n_both: Sequence[int] | None = None) -> int | None:
        """The OBD selection (escalation's ``select_boin12_obd``) from per-dose counts.

        Parameters
        ----------
        n_patients, n_dlt, n_eff : sequence of int
            Patients, DLTs and efficacy responses per dose.
        n_both : sequence of int, optional
            Patients with both a DLT and a response, per dose; needed unless u2 + u3 = 100
            (then the selection does not depend on it).

        Examples
        --------
        >>> import doseesc as de
        >>> de.BOIN12().select([3, 3, 6, 12, 6], [0, 1, 1, 3, 3], [0, 1, 2, 6, 3], [0, 1, 0, 2, 2])
        4
        """
        if n_eff is None:
            raise ValueError("n_eff: BOIN12 selects on efficacy too; give the responses per dose")
        n, y = check_counts(n_patients, n_dlt)
        e = np.asarray(n_eff)
        if e.shape != n.shape or not np.all(np.equal(np.mod(e, 1), 0)) or np.any(e < 0) or np.any(e > n):
            raise ValueError(f"n_eff: expected integers 0 <= n_eff <= n_patients, one per dose, got {n_eff!r}")
        e = e.astype(np.int64)
        if n_both is None:
            if not (self.u2 + self.u3 == U1 + U4):
                raise ValueError("n_both: needed when u2 + u3 != 100 (the utility then depends on it)")
            b = np.maximum(0, y + e - n)  # any feasible value gives the same selection
        else:
            b = np.asarray(n_both)
            if b.shape != n.shape or not np.all(np.equal(np.mod(b, 1), 0)) or np.any(b < np.maximum(0, y + e - n)) \
                    or np.any(b > np.minimum(y, e)):
                raise ValueError("n_both: expected integers max(0, n_dlt + n_eff - n_patients) <= n_both <= "
                                 f"min(n_dlt, n_eff), one per dose, got {n_both!r}")
            b = b.astype(np.int64)
        if n.size and n.max() > v.MAX_PATIENTS:
            raise ValueError(f"n_patients: at most {v.MAX_PATIENTS} patients at a dose are supported")
        low = self._widened(int(n.max()) if n.size else 0).lower(n.size)
        if n.sum() == 0:
            return None
        sel = _k.select(low.ipar, low.fpar, low.tab, n, y, e, b, np.zeros(max(low.n_work, 1)))
        return None if sel < 0 else int(sel) + 1

    def desirability_table(self, sample_sizes: Sequence[int] = (0, 3, 6, 9)) -> list[dict]:
        """The app's rank-based desirability score (RDS) table (Lin et al. 2020, Table 3).

        One row per (n, DLTs, responses) for n in ``sample_sizes``: ``admissible``, the score
        100 P(u > u_b) with the marginal pseudo-count x = (u3 responses + u2 (n - DLTs)) / 100
        (escalation's ``boin12_rds``; the design's own score when u2 + u3 = 100), and ``rds``,
        the score's rank among all admissible rows (ties averaged; None when not admissible).

        Examples
        --------
        >>> import doseesc as de
        >>> rows = de.BOIN12().desirability_table()
        >>> [r["rds"] for r in rows if (r["n"], r["tox"], r["eff"]) in ((0, 0, 0), (3, 0, 3), (9, 2, 3))]
        [60.0, 91.0, 32.5]
        """
        from scipy import stats

        beta = _beta()
        ub = self.utility_benchmark
        rows = []
        for n in sample_sizes:
            n = v.integer("sample_sizes", n, low=0, high=v.MAX_PATIENTS)
            for tox in range(n + 1):
                for eff in range(n + 1):
                    adm = beta.sf(self.phi_t, 1 + tox, 1 + n - tox) < self.c_t and \
                        beta.cdf(self.phi_e, 1 + eff, 1 + n - eff) < self.c_e
                    x = (self.u3 * eff + self.u2 * (n - tox)) / 100
                    rows.append({"n": n, "tox": tox, "eff": eff, "admissible": bool(adm),
                                 "score": float(100 * beta.sf(ub / 100, 1 + x, 1 + n - x))})
        adm = [r for r in rows if r["admissible"]]
        ranks = stats.rankdata([r["score"] for r in adm], method="average")
        for r, k in zip(adm, ranks):
            r["rds"] = float(k)
        for r in rows:
            r.setdefault("rds", None)
        return rows


def acceptable_note(design, n, cur: int | None, quasi: bool = False) -> str:
    """The footnote of ``next``'s ``acceptable`` column for BOIN12 and TITE-BOIN12: what it means
    for every dose (the admissibility rule, on each dose's own data; untried doses on the prior) and
    which doses the next-dose decision weighs (d - 1, d, d + 1; ``cur`` 0-based, None before any
    patient). ``quasi``: TITE-BOIN12's quasi-beta posteriors where outcomes are pending."""
    post = ("the quasi-beta posteriors where outcomes are pending, else Beta(1, 1) priors" if quasi
            else "Beta(1, 1) priors")
    text = (f"acceptable: admissible by BOIN12's rule, P(p_T > {design.phi_t:g} | data) < {design.c_t:g} and "
            f"P(p_E < {design.phi_e:g} | data) < {design.c_e:g} ({post}), for every dose on its own data (no "
            "dose is eliminated by another's)")
    untried = np.flatnonzero(np.asarray(n) == 0)
    if untried.size:
        text += (f"; untried dose{'s' if untried.size > 1 else ''} "
                 f"{', '.join(str(d + 1) for d in untried)}: judged on the prior alone")
    D = len(n)
    if cur is None:
        text += f"; the first cohort goes to the start dose {design.start_dose}"
    else:
        lo, hi = max(cur - 1, 0) + 1, min(cur + 1, D - 1) + 1
        doses = f"doses {lo}-{hi}" if hi > lo else f"dose {lo}"
        text += (f"; the next-dose decision weighs only d - 1, d, d + 1 around the current dose d = {cur + 1} "
                 f"({doses})")
    return text


def above_toxic_note(design, n, y, cur: int | None) -> tuple[str, ...]:
    """Where the last cohort was given above a dose that fails BOIN12's toxicity rule (a deviation:
    the design never goes there): say that doses above it can still be recommended, since the
    rule (the MD Anderson app's, as escalation's get_boin12) eliminates no dose by another's."""
    if cur is None:
        return ()
    beta = _beta()
    n, y = np.asarray(n), np.asarray(y)
    bad = [d for d in range(cur) if n[d] > 0 and beta.sf(design.phi_t, 1 + y[d], 1 + n[d] - y[d]) >= design.c_t]
    if not bad:
        return ()
    d = bad[0]
    p = float(beta.sf(design.phi_t, 1 + y[d], 1 + n[d] - y[d]))
    return (f"dose {d + 1} fails the toxicity rule (P(p_T > {design.phi_t:g} | data) = {p:.3f} >= {design.c_t:g}), "
            f"yet the last cohort was given above it, at dose {cur + 1}: the design's rules (the MD Anderson app's, "
            "as escalation's get_boin12) eliminate no dose by another's toxicity, so the doses above it stay open "
            "to the next-dose decision",)


def add_waiting(p, scenario):
    """Protocol ``p`` of a phase I/II design that decides on complete data (BOIN12, EffTox), with
    what it waits after each cohort under the scenario's time model (:func:`doseesc.timemodel.waiting_text`):
    a "Waiting for complete data" section (before the selection) and row."""
    tm = getattr(scenario, "time", None)
    if tm is None:
        return p
    from ..timemodel import waiting_text

    text, row = waiting_text(tm)
    at = next((i for i, (h, _) in enumerate(p.sections) if h.startswith("Selection")), len(p.sections))
    p.sections.insert(at, ("Waiting for complete data", text))
    p.set_row("Waited after each cohort", row)
    return p
