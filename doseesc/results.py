"""Per-trial records and the operating characteristics computed from them.

Monte Carlo and exact results share one code path: exact enumeration produces terminal
states with probabilities, which are summarised exactly as simulated trials are, with the
probabilities as weights (and standard errors of zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _json
from . import _validate as v
from ._kernels.codes import STOP_REASONS


@dataclass(frozen=True, eq=False)
class TrialRecords:
    """One row per simulated trial (or per terminal state, for exact results).

    Attributes
    ----------
    selected : int array (T,)
        Selected dose, 1-based; 0 means no dose was selected.
    n_patients, n_dlt, n_ae : int arrays (T, D)
        Patients, DLTs and low-grade (non-DLT) adverse events per dose. Simulated counts are
        int32 (a million trials of six doses: 24 MB per count; NumPy's sums of them are int64),
        exact results' are int64 (``n_ae``: expected counts, float).
    stop_reason : int array (T,)
        Index into ``STOP_REASONS``.
    scenario : int array (T,)
        Index of the scenario the trial was run under (0 for a single scenario).
    weight : float array (T,) or None
        Exact results only: the probability of each terminal state.
    duration : float array (T,) or None
        Trial duration, when a time model is on: to the last decision from the trial's opening
        (one inter-arrival gap before the first patient), or from the first patient's arrival
        with ``TimeModel(clock_from="first_patient")``.
    waited : float array (T,) or None
        Total time patients (every enrolled patient, drop-outs included) spent queueing for a
        slot (time model with ``waiting="queue"``).
    turned_away : int array (T,) or None
        Patients who arrived while the trial waited for follow-up and were turned away.
    n_dropout : int array (T, D) or None
        Time model only: enrolled patients per dose who dropped out before their outcome was
        known (zero unless ``TimeModel.dropout > 0``). They are not evaluable and are *not* in
        ``n_patients``, ``n_dlt`` or ``n_ae`` (which count evaluable patients); patients
        enrolled = ``n_patients + n_dropout``. Cohort designs replace them; time-to-event
        designs censor them (see :class:`doseesc.TimeModel`).
    n_eff : int array (T, D) or None
        Scenarios with efficacy only: evaluable patients per dose with an efficacy response
        (exact results of designs that ignore efficacy: the expected number, a float).
    n_backfill : int array (T, D) or None
        Backfill designs only: the backfill patients per dose among ``n_patients`` (those in
        the final analysis; see :meth:`doseesc.BOIN.with_backfill`).
    tox_score : float array (T, D) or None
        Graded designs only: the summed (normalized) toxicity scores per dose.
    """

    selected: np.ndarray
    n_patients: np.ndarray
    n_dlt: np.ndarray
    n_ae: np.ndarray
    stop_reason: np.ndarray
    scenario: np.ndarray
    weight: np.ndarray | None = None
    duration: np.ndarray | None = None
    waited: np.ndarray | None = None
    turned_away: np.ndarray | None = None
    n_dropout: np.ndarray | None = None
    n_eff: np.ndarray | None = None
    n_backfill: np.ndarray | None = None
    tox_score: np.ndarray | None = None

    STOP_REASONS = STOP_REASONS

    def __len__(self) -> int:
        return int(self.selected.shape[0])

    @property
    def sample_size(self) -> np.ndarray:
        """Evaluable patients per trial (drop-outs excluded)."""
        return self.n_patients.sum(axis=1)

    @property
    def enrolled(self) -> np.ndarray:
        """Patients enrolled per trial: evaluable plus drop-outs."""
        return self.sample_size if self.n_dropout is None else self.sample_size + self.n_dropout.sum(axis=1)

    def to_pandas(self):  # pragma: no cover - optional dependency
        import pandas as pd

        d = {"selected": self.selected, "stop_reason": [STOP_REASONS[r] for r in self.stop_reason],
             "scenario": self.scenario, "sample_size": self.sample_size}
        for j in range(self.n_patients.shape[1]):
            d[f"n_{j + 1}"] = self.n_patients[:, j]
            d[f"dlt_{j + 1}"] = self.n_dlt[:, j]
            if self.n_eff is not None:
                d[f"eff_{j + 1}"] = self.n_eff[:, j]
        if self.weight is not None:
            d["probability"] = self.weight
        if self.duration is not None:
            d["duration"] = self.duration
        if self.n_dropout is not None:
            d["dropouts"] = self.n_dropout.sum(axis=1)
        return pd.DataFrame(d)


def _wmean_se(x: np.ndarray, w: np.ndarray | None, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mean over axis 0 and its Monte Carlo SE.

    ``w`` (summing to 1) weights exact terminal states, whose SE is 0. Monte Carlo trials are
    equally weighted; 0/1 and integer summaries use exact integer moments (fast and free of
    rounding), floats the two-pass formula.
    """
    x = np.asarray(x)
    if exact:
        m = w @ x.astype(float)
        return m, np.zeros_like(m)
    n = x.shape[0]
    if x.dtype == bool:
        m = np.count_nonzero(x, axis=0) / n
        var = m * (1 - m) * (n / (n - 1) if n > 1 else np.nan)
    elif np.issubdtype(x.dtype, np.integer):
        if not x.any():  # e.g. drop-outs where the scenario has none: the same zeros, without the sums
            m = np.zeros(x.shape[1:])
            var = np.zeros_like(m) if n > 1 else np.full_like(m, np.nan)
            return m, np.sqrt(var / n)
        s1 = np.einsum("i...->...", x, dtype=np.int64)  # numpy's sum(axis=0, dtype=int64) takes twice as long
        s2 = np.einsum("i...,i...->...", x, x, dtype=np.int64)
        m = s1 / n
        var = (s2 - s1 * m) / (n - 1) if n > 1 else np.full_like(m, np.nan)
        var = np.maximum(var, 0.0)
    else:
        m = x.mean(axis=0)
        var = x.var(axis=0, ddof=1) if n > 1 else np.full_like(m, np.nan)
    return m, np.sqrt(var / n)


#: the largest run (trials) whose per-trial summaries an OperatingCharacteristics keeps between
#: calls: about 100 bytes a trial, so at most about 26 MB for each
PER_TRIAL_KEEP = 1 << 18


def quantile_se(x: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Distribution-free standard errors of the sample quantiles ``qs`` of ``x``: half the distance
    between the order statistics at ranks ``n q -/+ sqrt(n q (1 - q))`` (the binomial count of
    values below the quantile, one SD either side), so no density estimate is needed. For a
    quantile inside the data this approaches the asymptotic ``sqrt(q (1 - q) / n) / f(x_q)``;
    NaN with fewer than 2 values."""
    return _quantiles_se(x, qs)[1]


def _quantiles_se(x: np.ndarray, qs: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """``np.quantile(x, qs)`` and :func:`quantile_se` from one partial ordering of ``x``: the order
    statistics both read are put in place by one ``np.partition`` (a third of a full sort's time on
    500,000 values), and numpy's quantile of the partitioned copy reads the same order statistics
    as of ``x`` itself, so both results are those of the separate calls."""
    x = np.asarray(x, dtype=float).ravel()
    n = x.size
    out = np.full(len(qs), np.nan)
    if n < 2:
        return np.quantile(x, qs) if n else np.full(len(qs), np.nan), out
    ranks = []
    for q in qs:
        half = np.sqrt(n * q * (1 - q))
        lo = int(np.clip(round(n * q - half) - 1, 0, n - 1))  # 1-based ranks, less 1 for the index
        hi = int(np.clip(round(n * q + half) - 1, 0, n - 1))
        ranks.append((lo, hi))
    kth = sorted({i for pair in ranks for i in pair})
    xp = np.partition(x, kth)
    for k, (lo, hi) in enumerate(ranks):
        out[k] = 0.5 * (xp[hi] - xp[lo])
    return np.quantile(xp, qs), out


def _row_sums(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=1)`` of a (trials, doses) count array as int64, in about a third of its time."""
    return np.einsum("ij->i", x, dtype=np.int64)


def between_scenarios_se(x: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """SE of the mean of the per-trial values ``x`` over ``n_groups`` scenarios drawn at random
    (``groups``: each trial's scenario, every scenario with the same number of trials): the SD of
    the per-scenario means over sqrt(n_groups). A prior-predictive mean has two sources of error,
    the trials simulated under each drawn curve and the curves drawn; the per-trial SE counts the
    first only (it is conditional on the curves drawn), this one both."""
    x = np.asarray(x, dtype=float)
    flat = x.reshape(x.shape[0], -1)
    cnt = np.bincount(groups, minlength=n_groups).astype(float)
    if n_groups < 2 or np.any(cnt == 0):
        return np.full(x.shape[1:], np.nan)
    means = np.stack([np.bincount(groups, weights=flat[:, k], minlength=n_groups) for k in range(flat.shape[1])],
                     axis=1) / cnt[:, None]
    se = means.std(axis=0, ddof=1) / np.sqrt(n_groups)
    return se.reshape(x.shape[1:])


# name -> short description, in display order (vector fields are per dose)
METRICS = {
    "selection": "fraction of trials selecting each dose",
    "no_selection": "fraction of trials selecting no dose",
    "pcs": "probability of correct selection (true MTD, or a dose in the MTD band; no dose if none is)",
    "over_selection": "fraction of trials selecting a dose above the true MTD",
    "n_patients": "mean evaluable patients treated per dose (drop-outs excluded)",
    "n_dlt": "mean DLTs per dose",
    "n_ae": "mean low-grade (non-DLT) adverse events per dose",
    "sample_size": "mean total evaluable patients (drop-outs excluded)",
    "total_dlt": "mean total DLTs",
    "total_ae": "mean total low-grade adverse events",
    "n_at_mtd": "mean patients treated at the true MTD",
    "n_below_mtd": "mean patients treated below the true MTD",
    "n_overdosed": "mean patients treated above the true MTD",
    "overdose_fraction": "mean fraction of patients treated above the true MTD",
    "overdose_60": ("fraction of trials with >= 60% of their patients above the true MTD (R BOIN's get.oc counts "
                    "more than 60% of the maximum sample size instead: from ``records``, "
                    "``(records.n_patients[:, over].sum(1) > 0.6 * max_n).mean()``)"),
    "overdose_80": "fraction of trials with >= 80% of patients above the true MTD",
    "dlt_rate_above_target": "fraction of trials whose observed DLT rate exceeds the target",
    "early_stop": ("fraction of trials stopped early with no dose selected: for safety, or (phase I/II designs) "
                   "for futility; ``stop_reasons`` splits them"),
    "duration": "mean trial duration (time model only)",
    "waiting": "mean time an enrolled patient (drop-outs included) waited for a slot (time model, waiting='queue')",
    "turned_away": "mean patients turned away while the trial waited for follow-up (time model)",
    "n_dropout": "mean drop-outs per dose (time model; not evaluable, not in n_patients)",
    "dropouts": "mean drop-outs per trial (time model)",
    "enrolled": "mean patients enrolled per trial: evaluable plus drop-outs (time model)",
    "n_backfill": "mean backfill patients per dose in the final analysis (backfill designs; within n_patients)",
    "backfill": "mean backfill patients per trial in the final analysis (backfill designs)",
    "tox_score": "mean summed normalized toxicity score per dose (graded designs)",
    "total_tox_score": "mean total normalized toxicity score per trial (graded designs)",
    # scenarios with efficacy (phase I/II); the true OBD and over-toxic doses as in Scenario
    "n_eff": "mean efficacy responses per dose (scenarios with efficacy)",
    "total_eff": "mean total efficacy responses",
    "pcs_obd": "probability of selecting the true OBD (no dose, if no dose is acceptable)",
    "over_toxic_selection": "fraction of trials selecting an over-toxic dose (true p_tox > target)",
    "selected_utility": "mean true utility of the selected dose (no selection scores the utility table's minimum)",
    "n_at_obd": "mean patients treated at the true OBD",
    "n_over_toxic": "mean patients treated at over-toxic doses (true p_tox > target)",
}
#: per-trial efficacy summaries compared between designs in ``Comparison.to_dict``
EFFICACY_DIFFS = ("pcs_obd", "selected_utility", "n_at_obd", "over_toxic_selection", "total_eff")


class OperatingCharacteristics:
    """Operating characteristics of one design under one scenario (or a scenario set).

    Every summary is an attribute and ``se(name)`` gives its Monte Carlo standard error (zero
    for exact results; None in JSON for a single simulated trial). ``stop_reasons`` maps each
    reason to its fraction, ``records`` holds the per-trial data for anything else, and
    ``to_dict()`` / ``summary()`` give JSON-ready values and a table.

    Summaries (attribute: meaning; per dose where it says so):

    {metrics}
    """

    def __init__(self, records: TrialRecords, scenarios: Sequence, design: Any, *, exact: bool = False,
                 seed: int | None = None, meta: dict | None = None, _sums: dict | None = None):
        self.records = records
        self.scenarios = list(scenarios)
        self.scenario = self.scenarios[0]
        self.design = design
        self.exact = exact
        self.seed = seed
        self.meta = dict(meta or {})
        self.n_trials = (len(records) if _sums is None else int(_sums["n"])) if not exact else None
        self._values: dict[str, Any] = {}
        self._se: dict[str, Any] = {}
        if _sums is not None:  # a run whose records were not kept (``records`` has no rows)
            self._compute_mc(_sums)
        else:
            self._compute()

    # ------------------------------------------------------------------ computation
    def _masks(self):
        """Per scenario: the correct / above / below dose masks, the target, and whether
        selecting no dose is correct (no dose acceptable). Computed once (paired differences
        ask for them again for every metric)."""
        cached = self.__dict__.get("_mask_cache")
        if cached is not None:
            return cached
        self.__dict__["_mask_cache"] = self._compute_masks()
        return self.__dict__["_mask_cache"]

    def _compute_masks(self):
        n_doses = self.records.n_patients.shape[1]
        scs = self.scenarios
        correct = np.zeros((len(scs), n_doses), dtype=bool)
        above = np.zeros((len(scs), n_doses), dtype=bool)
        below = np.zeros((len(scs), n_doses), dtype=bool)
        for i, s in enumerate(scs):
            correct[i], below[i], above[i] = s.dose_masks()
        return correct, above, below, np.array([s.target for s in scs]), ~correct.any(axis=1)

    def _timed(self, N: np.ndarray) -> dict[str, np.ndarray]:
        """Per-trial time-model summaries (``N``: evaluable patients per trial)."""
        r = self.records
        out = {}
        nd = None if r.n_dropout is None else _row_sums(r.n_dropout)
        if r.duration is not None:
            out["duration"] = r.duration
            enrolled = N if nd is None else N + nd  # drop-outs queued too
            out["waiting"] = r.waited / np.where(enrolled > 0, enrolled, 1)
            out["turned_away"] = r.turned_away
        if nd is not None:
            out["n_dropout"] = r.n_dropout
            out["dropouts"] = nd
            out["enrolled"] = N + nd
        if r.n_backfill is not None:
            out["n_backfill"] = r.n_backfill
            out["backfill"] = r.n_backfill.sum(axis=1)
        if r.tox_score is not None:
            out["tox_score"] = r.tox_score
            out["total_tox_score"] = r.tox_score.sum(axis=1)
        return out

    def _per_trial(self, onehot: bool = False) -> dict[str, np.ndarray]:
        """Per-trial summaries; kept for the next call (``se_between`` and paired differences ask
        for them once per summary) where the run is small enough (``PER_TRIAL_KEEP`` trials)."""
        kept = self.__dict__.get("_per_trial_kept")
        if kept is not None and kept[0] is self.records and kept[1] == onehot:
            return dict(kept[2])
        out = self._per_trial_compute(onehot)
        if len(self.records) <= PER_TRIAL_KEEP:  # the records themselves kept: no id reused by others
            self._per_trial_kept = (self.records, onehot, out)
            return dict(out)
        return out

    def _per_trial_compute(self, onehot: bool) -> dict[str, np.ndarray]:
        r = self.records
        n_doses = r.n_patients.shape[1]
        correct, above, below, target, none_ok = self._masks()
        from ._kernels.summary import per_trial

        n_ae = r.n_ae if np.issubdtype(r.n_ae.dtype, np.integer) else np.zeros_like(r.n_patients)
        ints, flags = per_trial(r.selected, r.n_patients, r.n_dlt, n_ae, r.scenario, correct, above, below, target,
                                none_ok)
        N = ints[0]
        frac_over = ints[5] / np.where(N > 0, N, 1)
        out = {
            "no_selection": flags[0],
            "pcs": flags[1],
            "over_selection": flags[2],
            "n_patients": r.n_patients,
            "n_dlt": r.n_dlt,
            "n_ae": r.n_ae,
            "sample_size": N,
            "total_dlt": ints[1],
            "total_ae": ints[2] if n_ae is r.n_ae else r.n_ae.sum(axis=1),
            "n_at_mtd": ints[3],
            "n_below_mtd": ints[4],
            "n_overdosed": ints[5],
            "overdose_fraction": frac_over,
            "overdose_60": flags[3],
            "overdose_80": flags[4],
            "dlt_rate_above_target": flags[5],
            "early_stop": r.stop_reason >= STOP_REASONS.index("safety"),  # safety or futility
        }
        if onehot:
            sel0 = r.selected - 1
            has = sel0 >= 0
            sel_oh = np.zeros((len(r), n_doses), dtype=bool)
            sel_oh[np.flatnonzero(has), sel0[has]] = True
            out["selection"] = sel_oh
        out.update(self._timed(N))
        out.update(self._per_trial_eff())
        return out

    def _eff_masks(self):
        """Per scenario: OBD mask, over-toxic mask, true utility per dose, the utility of no
        selection, and whether no dose is acceptable (so selecting none is correct)."""
        D = self.records.n_patients.shape[1]
        S = len(self.scenarios)
        obd = np.zeros((S, D), dtype=bool)
        tox = np.zeros((S, D), dtype=bool)
        util = np.zeros((S, D))
        none_util = np.zeros(S)
        for i, sc in enumerate(self.scenarios):
            obd[i, sc.obd_doses - 1] = True
            tox[i] = sc.over_toxic
            util[i] = sc.true_utility
            none_util[i] = min(sc.utility_table)
        return obd, tox, util, none_util, ~obd.any(axis=1)

    def _per_trial_eff(self) -> dict[str, np.ndarray]:
        """Per-trial efficacy summaries (empty without efficacy). Within :meth:`_compute` they are
        computed once (its per-trial summaries, their names and the efficacy means all ask for
        them: exact BOIN12 with 2.7 million terminal states spent 1.4 s on three computations)."""
        r = self.records
        if r.n_eff is None:
            return {}
        once = self.__dict__.get("_eff_once")
        if once is not None and once[0] is r:
            return dict(once[1])
        obd, tox, util, none_util, none_ok = self._eff_masks()
        s = r.scenario
        sel0 = r.selected - 1
        has = sel0 >= 0
        idx = np.where(has, sel0, 0)
        return {
            "n_eff": r.n_eff,
            "total_eff": r.n_eff.sum(axis=1),
            "pcs_obd": np.where(has, obd[s, idx], none_ok[s]),
            "over_toxic_selection": has & tox[s, idx],
            "selected_utility": np.where(has, util[s, idx], none_util[s]),
            "n_at_obd": (r.n_patients * obd[s]).sum(axis=1),
            "n_over_toxic": (r.n_patients * tox[s]).sum(axis=1),
        }

    def _compute_eff(self, w: np.ndarray | None) -> None:
        """The efficacy summaries (means and SEs; exact when ``w`` weights terminal states)."""
        per = self._per_trial_eff()
        for name, x in per.items():
            self._values[name], self._se[name] = _wmean_se(x, w, self.exact)
        if per and len(self.scenarios) > 1:
            k = len(self.scenarios)
            r = self.records
            ww = np.full(len(r), 1.0) if w is None else w
            pcs = np.bincount(r.scenario, weights=ww * per["pcs_obd"], minlength=k) / np.bincount(
                r.scenario, weights=ww, minlength=k)
            self._values["pcs_obd_by_scenario"] = pcs
            qs = np.quantile(pcs, [0.05, 0.25, 0.5, 0.75, 0.95]).tolist()
            self._values["pcs_obd_quantiles"] = dict(zip(("5%", "25%", "50%", "75%", "95%"), qs))

    def _sums(self, r: TrialRecords) -> dict:
        """The additive sums behind the Monte Carlo summaries of the trials in ``r`` (integer
        outcomes, no time model): summing them over blocks of trials and :meth:`_compute_mc` on
        the total give the summaries of all the trials without keeping their records."""
        from ._kernels.summary import moments

        D = r.n_patients.shape[1]
        correct, above, below, target, none_ok = self._masks()
        m = moments(r.selected, r.n_patients, r.n_dlt, r.n_ae, r.stop_reason, r.scenario, correct, above, below,
                    target, none_ok, len(self.scenarios), len(STOP_REASONS))
        out = {"n": len(r), "sel": np.bincount(r.selected, minlength=D + 1)[1:], "moments": list(m), "eff": {}}
        if r.n_eff is not None:
            saved = self.records
            self.records = r
            try:
                per = self._per_trial_eff()
            finally:
                self.records = saved
            for name, x in per.items():
                xf = np.asarray(x, dtype=float)
                out["eff"][name] = [xf.sum(axis=0), (xf * xf).sum(axis=0)]
            k = len(self.scenarios)
            out["eff_pcs"] = [np.bincount(r.scenario, weights=per["pcs_obd"].astype(float), minlength=k),
                              np.bincount(r.scenario, minlength=k).astype(float)]
        return out

    @staticmethod
    def _add_sums(a: dict | None, b: dict) -> dict:
        if a is None:
            return b
        out = {"n": a["n"] + b["n"], "sel": a["sel"] + b["sel"],
               "moments": [x + y for x, y in zip(a["moments"], b["moments"])],
               "eff": {k: [a["eff"][k][0] + b["eff"][k][0], a["eff"][k][1] + b["eff"][k][1]] for k in a["eff"]}}
        if "eff_pcs" in a:
            out["eff_pcs"] = [a["eff_pcs"][0] + b["eff_pcs"][0], a["eff_pcs"][1] + b["eff_pcs"][1]]
        return out

    def _compute_mc(self, sums: dict | None = None) -> None:
        """Monte Carlo summaries from one compiled pass of sums (no per-trial arrays); the same
        formulas as :func:`_wmean_se` for counts and 0/1 flags. ``sums``: the summed
        :meth:`_sums` of a run whose records were not kept."""
        r = self.records
        if sums is None:
            sums = self._sums(r)
            streamed = False
        else:
            streamed = True
        n = sums["n"]
        D = r.n_patients.shape[1]
        isum, isq, fsum, fsq, counts, pcs_s, tr_s = sums["moments"]

        def mean_se(s1, s2):  # from the sum and the sum of squares
            m = np.float64(s1) / n
            var = (s2 - s1 * m) / (n - 1) if n > 1 else np.full(np.shape(m), np.nan)
            return m, np.sqrt(np.maximum(var, 0.0) / n)

        def flag(cnt):  # a 0/1 summary: binomial SE with the n - 1 denominator
            m = cnt / n
            return m, np.sqrt(m * (1 - m) / (n - 1)) if n > 1 else np.nan

        sel = sums["sel"] / n
        self._values["selection"] = sel
        self._se["selection"] = np.sqrt(sel * (1 - sel) / (n - 1)) if n > 1 else np.full(D, np.nan)
        out = {"no_selection": flag(counts[0]), "pcs": flag(counts[1]), "over_selection": flag(counts[2])}
        for row, name in enumerate(("n_patients", "n_dlt", "n_ae")):
            out[name] = mean_se(isum[row, :D].astype(float), isq[row, :D].astype(float))
        for col, name in enumerate(("sample_size", "total_dlt", "total_ae", "n_at_mtd", "n_below_mtd",
                                    "n_overdosed")):
            out[name] = mean_se(float(isum[3, col]), float(isq[3, col]))
        out["overdose_fraction"] = mean_se(fsum, fsq)
        for j, name in enumerate(("overdose_60", "overdose_80", "dlt_rate_above_target"), start=3):
            out[name] = flag(counts[j])
        out["early_stop"] = flag(counts[6 + STOP_REASONS.index("safety")] + counts[6 + STOP_REASONS.index("futility")])
        for name, (m, se) in out.items():
            self._values[name] = m
            self._se[name] = se
        for i, name in enumerate(STOP_REASONS[1:], start=1):
            self._values[f"stop_{name}"], self._se[f"stop_{name}"] = flag(counts[6 + i])
        if r.duration is not None or r.n_dropout is not None or r.tox_score is not None:
            for name, x in self._timed(_row_sums(r.n_patients)).items():
                self._values[name], self._se[name] = _wmean_se(x, None, False)
        if not streamed:
            self._compute_eff(None)
        else:
            for name, (s1, s2) in sums["eff"].items():
                self._values[name], self._se[name] = mean_se(s1, s2)
            if "eff_pcs" in sums and len(self.scenarios) > 1:
                pcs = sums["eff_pcs"][0] / np.maximum(sums["eff_pcs"][1], 1)
                self._values["pcs_obd_by_scenario"] = pcs
                qs = np.quantile(pcs, [0.05, 0.25, 0.5, 0.75, 0.95]).tolist()
                self._values["pcs_obd_quantiles"] = dict(zip(("5%", "25%", "50%", "75%", "95%"), qs))
        self._finish(pcs_s / np.maximum(tr_s, 1))

    def _finish(self, pcs_by_scenario: np.ndarray) -> None:
        r = self.records
        if r.duration is not None and not self.exact:
            probs = [0.05, 0.25, 0.5, 0.75, 0.95]
            names = ("5%", "25%", "50%", "75%", "95%")
            qs, qse = _quantiles_se(r.duration, probs)
            self._values["duration_quantiles"] = dict(zip(names, qs.tolist()))
            self._values["duration_quantiles_se"] = dict(zip(names, qse.tolist()))
        if len(self.scenarios) > 1:
            self._values["pcs_by_scenario"] = pcs_by_scenario
            qs = np.quantile(pcs_by_scenario, [0.05, 0.25, 0.5, 0.75, 0.95]).tolist()
            self._values["pcs_quantiles"] = dict(zip(("5%", "25%", "50%", "75%", "95%"), qs))

    def _compute(self) -> None:
        r = self.records
        if not self.exact and r.weight is None and len(r) > 0 and np.issubdtype(r.n_ae.dtype, np.integer):
            self._compute_mc()
            return
        w = None if r.weight is None else r.weight / r.weight.sum()
        if r.n_eff is not None:
            self._eff_once = (r, self._per_trial_eff())
        try:
            self._compute_weighted(r, w)
        finally:
            self.__dict__.pop("_eff_once", None)

    def _compute_weighted(self, r: TrialRecords, w: np.ndarray | None) -> None:
        """:meth:`_compute` from the records themselves (``w``: the normalised weights of exact
        enumeration's terminal states, else None)."""
        per = self._per_trial()
        eff_names = set(self._per_trial_eff()) if r.n_eff is not None else set()
        n_doses = r.n_patients.shape[1]
        # selection: from counts of the selected dose, not a one-hot matrix
        if self.exact:
            sel = np.bincount(r.selected, weights=w, minlength=n_doses + 1)[1:]
            self._values["selection"], self._se["selection"] = sel, np.zeros(n_doses)
        else:
            n = len(r)
            sel = np.bincount(r.selected, minlength=n_doses + 1)[1:] / n
            self._values["selection"] = sel
            self._se["selection"] = np.sqrt(sel * (1 - sel) / (n - 1)) if n > 1 else np.full(n_doses, np.nan)
        items = [(name, np.asarray(x)) for name, x in per.items() if name not in eff_names]
        if self.exact:  # every weighted mean in one product, the summaries as rows (exact 3+3: 50 -> 38 us)
            k = [1 if x.ndim == 1 else x.shape[1] for _, x in items]
            rows = np.empty((sum(k), len(r)))
            j = 0
            for (_, x), kx in zip(items, k):
                rows[j:j + kx] = x if x.ndim == 1 else x.T
                j += kx
            means = rows @ w
            j = 0
            for (name, x), kx in zip(items, k):
                m = means[j] if x.ndim == 1 else means[j:j + kx].copy()
                j += kx
                self._values[name] = m
                self._se[name] = np.zeros(np.shape(m))
        for name, x in items if not self.exact else ():
            m, s = _wmean_se(x, w, self.exact)
            self._values[name] = m
            self._se[name] = s
        self._compute_eff(w)
        # the share of each stop reason, from counts (as the selection above); 0/1 SEs as _wmean_se's
        k = len(STOP_REASONS)
        if self.exact:
            shares, ses = np.bincount(r.stop_reason, weights=w, minlength=k), np.zeros(k)
        else:
            n = len(r)
            shares = np.bincount(r.stop_reason, minlength=k) / n
            ses = np.sqrt(shares * (1 - shares) / (n - 1)) if n > 1 else np.full(k, np.nan)
        for i, name in enumerate(STOP_REASONS[1:], start=1):
            self._values[f"stop_{name}"] = float(shares[i])
            self._se[f"stop_{name}"] = float(ses[i])
        pcs = None
        if len(self.scenarios) > 1:
            k = len(self.scenarios)
            ww = np.full(len(r), 1.0) if w is None else w
            pcs = np.bincount(r.scenario, weights=ww * per["pcs"], minlength=k) / np.bincount(r.scenario, weights=ww,
                                                                                               minlength=k)
        self._finish(pcs)

    # ------------------------------------------------------------------ access
    def __getattr__(self, name: str):
        values = self.__dict__.get("_values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._values))

    @property
    def stop_reasons(self) -> dict[str, float]:
        """Fraction of trials per stop reason: ``"max_n"``, ``"design_rule"``, ``"safety"`` and, for a
        phase I/II design (``uses_efficacy``), ``"futility"``. A phase I/II design stops with no dose
        selected when no dose it considers is admissible: for safety when none of them passes its
        toxicity criterion, for futility when one does (its efficacy criterion excluded it). Each
        fraction's SE is ``se("stop_<reason>")``."""
        eff = _uses_efficacy(self.design)
        return {name: float(self._values[f"stop_{name}"]) for name in STOP_REASONS[1:] if eff or name != "futility"}

    @property
    def metrics(self) -> list[str]:
        return [k for k in METRICS if k in self._values]

    def se(self, name: str):
        """Monte Carlo standard error of the summary ``name`` (same shape; 0 when exact)."""
        if name not in self._se:
            raise ValueError(f"name: unknown summary {name!r}; choose one of {', '.join(self.metrics)}")
        return self._se[name]

    def se_between(self, name: str):
        """SE of the summary ``name`` as a mean over scenarios drawn at random (prior-predictive
        curves, ``evidence.sample_scenarios``): the SD of its per-scenario values over the square
        root of their number (:func:`between_scenarios_se`). ``se(name)`` is conditional on the
        scenarios drawn; this SE also carries the variation between them, and is the one to quote
        for the prior-predictive mean. Monte Carlo runs over two or more scenarios whose records
        were kept."""
        if name not in self._se:
            raise ValueError(f"name: unknown summary {name!r}; choose one of {', '.join(self.metrics)}")
        r = self.records
        if self.exact or len(self.scenarios) < 2 or len(r) == 0:
            raise ValueError("name: a between-scenario SE needs a Monte Carlo run over two or more scenarios with its "
                             "records kept")
        per = self._per_trial(onehot=name == "selection")
        if name not in per:
            raise ValueError(f"name: {name!r} is not a per-trial summary; a between-scenario SE exists for "
                             f"{', '.join(k for k in per if k in METRICS)}")
        return between_scenarios_se(per[name], r.scenario, len(self.scenarios))

    def to_dict(self) -> dict:
        """JSON-ready dict: every summary and ``<name>_se``, plus the resolved run."""
        out: dict[str, Any] = {
            "design": self.design.to_dict() if hasattr(self.design, "to_dict") else str(self.design),
            "scenario": self.scenario.to_dict() if len(self.scenarios) == 1 else {
                "n_scenarios": len(self.scenarios), "target": self.scenario.target,
                "p_tox": [s.p_tox.tolist() for s in self.scenarios],
                **({"p_eff": [s.p_eff.tolist() for s in self.scenarios]} if self.scenario.has_efficacy else {})},
            "exact": self.exact,
            "n_trials": self.n_trials,
            "seed": self.seed,
        }
        for name in self.metrics:
            out[name] = _jsonable(self._values[name])
            out[f"{name}_se"] = _jsonable(self._se[name])
        out["stop_reasons"] = self.stop_reasons
        out["stop_reasons_se"] = {k: _jsonable(self._se[f"stop_{k}"]) for k in self.stop_reasons}
        if self.records.n_eff is not None:
            out["obd"] = [self.scenarios[i].obd_doses.tolist() for i in range(len(self.scenarios))] \
                if len(self.scenarios) > 1 else self.scenario.obd_doses.tolist()
            if len(self.scenarios) == 1:
                out["true_utility"] = self.scenario.true_utility.tolist()
        for extra in ("pcs_quantiles", "duration_quantiles", "duration_quantiles_se", "pcs_obd_quantiles"):
            if extra in self._values:
                out[extra] = self._values[extra]
        out.update(self.meta)
        return out

    def to_json(self, **kw) -> str:
        return _json.dumps(self.to_dict(), **kw)

    def summary(self) -> str:
        """A printable table: per-dose selection, patients and DLTs, then overall summaries."""
        sc = self.scenario
        single = len(self.scenarios) == 1
        label = self.design.label() if hasattr(self.design, "label") else str(self.design)
        plural = "s" if self.n_trials != 1 else ""
        how = "exact" if self.exact else f"{self.n_trials:,} simulated trial{plural}, seed {self.seed}"
        if not self.exact and not single and self.n_trials:  # n_trials= (and se_target's count) is per scenario
            how = how.replace(", seed", f" ({self.n_trials // len(self.scenarios):,} per scenario), seed", 1)
        st = self.meta.get("se_target")
        if st and not self.exact:  # a precision-targeted run: its target and whether it was met
            how += (f"; precision target: SE of {', '.join(st['headline'])} below {st['target']:g}, "
                    + ("met" if st["met"] else "NOT met: the n_trials cap stopped it"))
        head = f"{label} under {sc.label() if single else f'{len(self.scenarios)} scenarios'} ({how})"
        pm = "" if self.exact else " (SE)"
        unit = f" [{sc.dose_unit}]" if single and sc.dose_unit else ""
        lines = [head, *_run_lines([self.design], self.meta, sc if single else None)]
        if single:
            lines += _target_lines(self.design, sc)
        ww = self.meta.get("waited_window")
        if ww:  # a phase I/II design that decides on complete data: what each cohort waited
            lines.append(f"each cohort waited {ww['length']:g} time units after its last enrolment: {ww['note']}")
        lines.append("")
        eff = self.records.n_eff is not None
        wd = max(12, len("dose" + unit) + 1)
        lines.append(f"{'dose' + unit:<{wd}}" + ("  true p" if single else "")
                     + ("  true e  utility" if single and eff else "") + f"  {'selected %' + pm:>18}"
                     f"  {'patients' + pm:>18}  {'DLTs' + pm:>18}" + (f"  {'responses' + pm:>18}" if eff else ""))
        labels = sc.dose_labels()
        obd = set(sc.obd_doses.tolist()) if single and eff else set()
        for j in range(len(self.selection)):
            row = f"{labels[j] + (' ' + OBD_MARK if j + 1 in obd else '') if single else str(j + 1):<{wd}}"
            if single:
                row += f"  {sc.p_tox[j]:6.3f}"
                if eff:
                    row += f"  {sc.p_eff[j]:6.3f}  {sc.true_utility[j]:7.2f}"
            row += f"  {_fmt(100 * self.selection[j], 100 * self.se('selection')[j], self.exact):>18}"
            row += f"  {_fmt(self.n_patients[j], self.se('n_patients')[j], self.exact):>18}"
            row += f"  {_fmt(self.n_dlt[j], self.se('n_dlt')[j], self.exact):>18}"
            if eff:
                row += f"  {_fmt(self.n_eff[j], self.se('n_eff')[j], self.exact):>18}"
            lines.append(row)
        lines.append(f"{'none':<{wd}}" + ("        " if single else "") + (" " * 17 if single and eff else "")
                     + f"  {_fmt(100 * self.no_selection, 100 * self.se('no_selection'), self.exact):>18}")
        lines.append("")
        rows = [
            ("correct selection %", 100, "pcs"),
            ("selection above MTD %", 100, "over_selection"),
            ("mean sample size", 1, "sample_size"),
            ("mean DLTs", 1, "total_dlt"),
            ("patients above MTD", 1, "n_overdosed"),
            ("P(>= 60% above MTD) %", 100, "overdose_60"),
        ]
        if _uses_efficacy(self.design):
            rows += [("stopped for safety %", 100, "stop_safety"), ("stopped for futility %", 100, "stop_futility")]
        else:
            rows.append(("stopped for safety %", 100, "early_stop"))
        if self._values.get("total_ae", 0) > 0 or np.any(self.records.n_ae):
            rows.insert(4, ("mean low-grade AEs", 1, "total_ae"))
        if eff:
            rows = [("correct OBD selection %", 100, "pcs_obd"),
                    ("over-toxic selection %", 100, "over_toxic_selection"),
                    ("utility of selected dose", 1, "selected_utility"), ("patients at the OBD", 1, "n_at_obd"),
                    ("patients at over-toxic", 1, "n_over_toxic"), ("mean responses", 1, "total_eff")] + rows
        if "duration" in self._values:
            rows.append(("mean duration", 1, "duration"))
            rows.append(("mean wait per patient", 1, "waiting"))
            rows.append(("patients turned away", 1, "turned_away"))
        if "backfill" in self._values:
            rows.append(("backfill patients", 1, "backfill"))
        if "total_tox_score" in self._values:
            rows.append(("mean toxicity score", 1, "total_tox_score"))
        if any(s.time is not None and s.time.dropout > 0 for s in self.scenarios):
            rows.append(("drop-outs", 1, "dropouts"))
            rows.append(("patients enrolled", 1, "enrolled"))
        wl = max(24, *(len(text) for text, _, _ in rows))  # 24, as always, unless a label is longer
        for text, scale, key in rows:
            lines.append(f"{text:<{wl}}{_fmt(scale * self._values[key], scale * self._se[key], self.exact):>18}")
        if "duration_quantiles" in self._values:
            q, qse = self._values["duration_quantiles"], self._values["duration_quantiles_se"]
            lines.append("duration quantiles (SE): " + ", ".join(f"{k} {_fmt(x, qse[k], False)}" for k, x in q.items()))
        if "pcs_quantiles" in self._values:
            q = self._values["pcs_quantiles"]
            lines.append("PCS across scenarios: " + ", ".join(f"{k} {100 * x:.1f}" for k, x in q.items()))
        if "pcs_obd_quantiles" in self._values:
            q = self._values["pcs_obd_quantiles"]
            lines.append("OBD selection across scenarios: " + ", ".join(f"{k} {100 * x:.1f}" for k, x in q.items()))
        if single and eff:
            lines.append(_obd_note(sc))
            lines += _mtd_above_target(sc)
        if _uses_efficacy(self.design):
            lines.append(_EARLY_STOP_NOTE)
        if not self.exact and self.n_trials is not None and self.n_trials < 2:
            lines.append("SE n/a: a standard error needs at least 2 simulated trials (null in JSON)")
        return "\n".join(lines)

    __str__ = summary

    def __repr__(self) -> str:
        return f"<OperatingCharacteristics {self.design!r} exact={self.exact}>"


OperatingCharacteristics.__doc__ = OperatingCharacteristics.__doc__.format(
    metrics="\n    ".join(f"- ``{k}``: {text}" for k, text in METRICS.items()))


def _diff(m: float, s: float, scale: float = 100.0) -> str:
    """A paired difference and its SE, signed, the decimals set by the SE as in :func:`_fmt` (two
    where the SE is zero); n/a for the SE of one trial."""
    if not np.isfinite(s):
        return f"{scale * m:+.2f} (n/a)"
    text = _fmt(scale * m, scale * s, False)
    if float(text.split(" ")[0]) == 0:
        text = text.lstrip("-")
    return text if text.startswith("-") else "+" + text


def _fmt(m: float, s: float, exact: bool) -> str:
    """Value (SE), with the SE to two significant digits and the value to the same decimals."""
    m = float(m)
    if exact:
        return f"{m:.4f}" if abs(m) < 10 else f"{m:.3f}"
    s = float(s)
    if not np.isfinite(s):  # one simulated trial: no standard error
        return f"{m:.2f} (n/a)"
    dec = 2 if s <= 0 else int(min(4, max(1, 1 - np.floor(np.log10(s)))))
    return f"{m:.{dec}f} ({s:.{dec}f})"


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return x


def _changed_options(d, required: bool = False, defaults: bool = False) -> str:
    """A design's options that differ from their defaults (``u2 = 30``), beyond what its label
    states; '' when none. For a design with composable rules, its base design's options.
    ``required``: instead, the options without a default (BOIN's ``max_n``, ``cohort_size``),
    beyond what the label states. ``defaults``: instead, the options left at their defaults
    (a table states the whole specification, not only what was changed)."""
    import dataclasses

    base = getattr(d, "base", d)
    if not dataclasses.is_dataclass(base):
        return ""
    label = d.label()
    out = []
    for f in dataclasses.fields(base):
        if not f.init or f.name in ("name", "n_doses", "prior", "decision_cache") \
                or (f.default is dataclasses.MISSING) != required:
            continue
        val = getattr(base, f.name)
        if isinstance(val, np.ndarray) or isinstance(f.default, np.ndarray):
            continue
        try:
            same = not required and (val == f.default or (isinstance(val, (tuple, list))
                                                          and list(val) == list(f.default or [])))
        except (TypeError, ValueError):
            same = False
        if defaults:
            same = not same
        if isinstance(val, (tuple, list)):
            text = "(" + ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in val) + ")"
        elif val is None and f.name in getattr(base, "resolved_defaults", {}):  # e.g. BOIN's p_saf: 0.6 x target
            text = base.resolved_defaults[f.name]
        else:
            text = f"{val:g}" if isinstance(val, float) else str(val)
        if not same and f"{f.name} {text}" not in label:
            out.append(f"{f.name} = {text}")
    return ", ".join(out)


_EARLY_STOP_NOTE = ("stopped early, no dose selected, when no dose the design considered was admissible: for safety "
                    "when none of them passed the toxicity criterion, for futility when one did (the efficacy "
                    "criterion excluded it)")


def _uses_efficacy(design) -> bool:
    """Whether a design decides on efficacy too (BOIN12, EffTox, TITE-BOIN12): its stop with no
    dose selected means no admissible dose, not a safety stop."""
    return bool(getattr(design, "uses_efficacy", False))


def association_text(sc) -> str:
    """A scenario's toxicity-efficacy association in words, one wording for every table and
    report: 'independent', the model with its parameter, or 'P(both) as given'."""
    if getattr(sc, "p_both", None) is not None:
        return "P(both) as given"
    a = getattr(sc, "association", "independent")
    if a == "independent":
        return "independent"
    param = sc.association_param
    param = f"{param:g}" if isinstance(param, float) else "(" + ", ".join(f"{x:g}" for x in param) + ")"
    return {"gaussian": f"Gaussian copula, correlation {param}", "odds_ratio": f"odds ratio {param}",
            "gumbel": f"Gumbel, psi {param}"}[a]


def _target_lines(design, sc) -> list[str]:
    """Where the design's target is not the scenario's (a graded design targets a normalized
    toxicity score; any design may be run against a scenario with another target): what the
    correct selection and the MTD are judged against, and for a graded design the true mean
    normalized score per dose, the scale it targets."""
    base = getattr(design, "base", design)
    tgt = getattr(base, "target", None)
    scores = getattr(base, "scores", None)
    mtd = ", ".join(dose_name(sc, k) for k in sc.correct_doses) or "no dose"
    if tgt is None and hasattr(base, "a"):  # the 3+3 / A+B: no target of its own, the scenario's judges it
        return [f"the MTD and correct selection are judged against the scenario's target {sc.target:g} ({mtd}); "
                "the design itself has no target"]
    if tgt is None or (scores is None and abs(float(tgt) - sc.target) < 1e-12):
        return []
    out = [f"the MTD and correct selection are judged on the DLT scale: true P(DLT) closest to the scenario's target "
           f"{sc.target:g} ({mtd})" + ("" if scores is not None else f"; the design targets {float(tgt):g}")]
    g = getattr(sc, "p_grade", None)
    if scores is not None and g is not None and np.shape(g)[1] == len(scores) - 1:
        g = np.asarray(g, dtype=float)
        s = np.asarray(scores, dtype=float) / max(scores)
        ets = (1 - g.sum(axis=1)) * s[0] + g @ s[1:]
        out.append(f"the design targets a normalized toxicity score of {float(tgt):g}; true mean normalized score per "
                   "dose: " + ", ".join(f"{x:.3f}" for x in ets))
    return out


def _efficacy_line(sc) -> str:
    """A scenario's efficacy model: the association (:func:`association_text`) and the utility
    table."""
    u = ", ".join(f"{x:g}" for x in sc.utility_table)
    assoc = association_text(sc)
    assoc = assoc if assoc.startswith("P(both)") else "association " + assoc
    return f"efficacy: {assoc}; utility of (E no T, neither, both, T no E) = ({u})"


def _obd_rule(sc) -> tuple[str, str]:
    """How the scenario defines its true OBD, and why it has none: (rule, when none)."""
    if sc.obd is not None:
        given = "given by the scenario: obd=" + (",".join(str(k) for k in sc.obd) or "0")
        return given, f"{given}, no dose acceptable"
    acc = "p_tox <= target" + (f" and p_eff >= {sc.eff_min:g}" if sc.eff_min is not None else "")
    return f"highest true utility among doses with {acc}", f"no dose with {acc}"


def _obd_note(sc, marked: bool = True) -> str:
    """The true OBD line of a scenario with efficacy, with how it is defined there: a footnote to
    the doses marked ``*`` (``marked``), or naming the doses; 'true OBD: none (...)' without one."""
    rule, none = _obd_rule(sc)
    obd = sc.obd_doses.tolist()
    if not obd:
        return f"true OBD: none ({none})"
    if marked:
        return f"{OBD_MARK} true OBD ({rule})"
    return f"true OBD: {', '.join(dose_name(sc, k) for k in obd)} ({rule})"


#: the mark of the true OBD in every table (the report's asterisk marks the true MTD)
OBD_MARK = "\u2020"


def dose_name(sc, k: int) -> str:
    """Dose level ``k`` (1-based) as the tables label it: 'dose 2' where the doses are the levels,
    '4 mg/kg (dose level 3)' where the scenario gives dose values."""
    if getattr(sc, "doses", None) is None:
        return f"dose {k}"
    unit = f" {sc.dose_unit}" if sc.dose_unit else ""
    return f"{sc.dose_labels()[k - 1]}{unit} (dose level {k})"


def _efficacy_lines(sc) -> list[str]:
    """A scenario's efficacy model, true utility per dose and true OBD (the compare table's; the
    simulate table shows the utilities per dose in its rows and the same OBD note)."""
    labels = sc.dose_labels()
    return [_efficacy_line(sc),
            "true utility per dose: " + ", ".join(f"{labels[k]}: {u:.2f}" for k, u in enumerate(sc.true_utility)),
            _obd_note(sc, marked=False), *_mtd_above_target(sc)]


def mtd_above_target_text(sc) -> str:
    """Where a scenario's true MTD (the dose closest to the target) has a true P(DLT) above the
    target, selecting it is both a correct selection and an over-toxic one: say so ('' otherwise)."""
    over = [k for k in sc.correct_doses.tolist() if sc.p_tox[k - 1] > sc.target + 1e-12]
    if not over or not getattr(sc, "has_efficacy", False):
        return ""
    which = ", ".join(f"{dose_name(sc, k)}, P(DLT) {sc.p_tox[k - 1]:g}," for k in over)
    return (f"the true MTD, {which} is above the target {sc.target:g}: selecting it counts as a correct "
            "selection (the dose closest to the target) and as an over-toxic one (P(DLT) above the target)")


def _mtd_above_target(sc) -> list[str]:
    text = mtd_above_target_text(sc)
    return [f"note: {text}"] if text else []


def _run_lines(designs, meta: dict, scenario=None) -> list[str]:
    """What was run, under a table's title: the full specification of each design a user named
    (its name alone hides its rules), each design's options changed from their defaults, the
    scenario's efficacy model and time model where it has them, and the versions."""
    out = []
    for d in designs:
        if getattr(d, "name", None) and hasattr(d, "_auto_label") and d._auto_label() != d.label():
            out.append(f"{d.label()}: {d._auto_label()}")
        required = _changed_options(d, required=True) if hasattr(d, "label") else ""
        if required:  # options without a default (max_n, cohort_size, a skeleton): two runs differ in them
            out.append(f"{d.label()}: {required}")
        changed = _changed_options(d) if hasattr(d, "label") else ""
        if changed:
            out.append(f"{d.label()}, options changed from the defaults: {changed}")
        kept = _changed_options(d, defaults=True) if hasattr(d, "label") else ""
        if kept:
            out.append(f"{d.label()}, options at their defaults: {kept}")
    if scenario is not None and getattr(scenario, "has_efficacy", False):
        out.append(_efficacy_line(scenario))
    line = _time_line(scenario)
    if line:
        out.append(line)
    v = meta.get("versions")
    if v:
        out.append(", ".join(f"{k} {x}" for k, x in v.items()))
    return out


def _time_line(scenario) -> str:
    """'time model: window 28, accrual fixed, rate 0.1, onset uniform, waiting turn_away, dropout 0':
    every setting of the scenario's time model that applies (the onset's shape or late split only
    for the onset that uses it); '' without one."""
    tm = getattr(scenario, "time", None) if scenario is not None else None
    if tm is None:
        return ""
    d = tm.to_dict()
    skip = ({"shape"} if d.get("onset") != "weibull" else set()) | \
        ({"late_share", "late_part"} if d.get("onset") != "late" else set())
    shown = [f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in d.items() if v is not None
             and k not in skip]
    return "time model: " + ", ".join(shown)


def _exceeds(diff: float, se: float) -> bool:
    """A design's PCS above the benchmark's by more than 4 paired SEs."""
    return bool(np.isfinite(se) and diff > 4 * se and diff > 0)


def _benchmark_caveat(labels: list[str], b, sc) -> str:
    """Why a design can select better than the complete-information benchmark ``b`` (the what-if
    says the same of its prior-predictive blocks), from the benchmark's own numbers: the SE of its
    per-dose estimate at the true MTD against the distances from the target, and how often it
    selected another dose."""
    who = ", ".join(labels)
    n = b.max_n
    text = (f"note: {who} exceed{'s' if len(labels) == 1 else ''} the benchmark by more than 4 SE here: it is a "
            f"reference, not a bound in every scenario. It estimates each dose's DLT rate from {n} patients alone")
    p = getattr(sc, "p_tox", None)
    if p is not None and np.ndim(p) == 1 and len(p) > 1:
        p = np.asarray(p, dtype=float)
        correct = sc.dose_masks()[0]
        if correct.any():
            k = int(np.flatnonzero(correct)[0])
            order = np.argsort(np.abs(p - sc.target), kind="stable")
            near = [int(d) for d in order[:2]]
            dist = " and ".join(f"{abs(p[d] - sc.target):.2f} (dose {d + 1})" for d in near)
            sel = np.asarray(b.selection, dtype=float)
            other = [d for d in np.argsort(-sel, kind="stable") if not correct[d] and sel[d] >= 0.005]
            text += (f" (SE {np.sqrt(p[k] * (1 - p[k]) / n):.2f} at the true MTD, dose {k + 1}), against distances "
                     f"from the target of {dist}: it selected another dose in {100 * (1 - float(b.pcs)):.0f}% of "
                     "trials" + (" (" + ", ".join(f"dose {d + 1} {100 * sel[d]:.0f}%" for d in other[:2]) + ")"
                                 if other else "")
                     + "; a design whose model, prior or rules suit the scenario can do better")
    return text + "."


@dataclass(frozen=True, eq=False)
class Comparison:
    """Designs simulated on the same patients (common random numbers).

    ``oc[i][j]`` is design i under scenario j. ``difference(metric, i, j, scenario)`` gives the
    paired difference (design i minus design j) of a per-trial summary and its standard error,
    which is far smaller than the unpaired one because both designs saw the same patients.
    """

    designs: list
    scenarios: list
    oc: list
    seed: int | None = None
    meta: dict = field(default_factory=dict)
    #: per scenario, ``{max_n: Benchmark}``: the complete-information benchmark on the same
    #: patients (``doseesc.optimal_benchmark``) for each maximum sample size among the designs;
    #: None when ``compare(..., benchmark=False)``
    benchmark: list | None = None

    def benchmark_for(self, i: int, scenario: int = 0):
        """The benchmark with design ``i``'s maximum sample size under scenario ``scenario``
        (None without benchmarks)."""
        i, scenario = self._index(i, "i"), self._scenario(scenario)
        if self.benchmark is None:
            return None
        n = self.designs[i].lower(self.oc[i][scenario].scenario.n_doses).max_n
        return self.benchmark[scenario].get(n)

    def _index(self, i, name: str) -> int:
        return v.index(name, i, len(self.designs), "designs")

    def _scenario(self, scenario) -> int:
        return v.index("scenario", scenario, len(self.scenarios), "scenarios")

    def difference(self, metric: str, i: int, j: int = 0, scenario: int = 0,
                   between: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Paired difference (design ``i`` minus design ``j``, 0-based indices into ``designs``)
        of the per-trial summary ``metric`` under scenario ``scenario`` (0-based), and its SE.
        ``between``: where that scenario is a set of curves drawn at random, the SE of the
        difference as a mean over them (:meth:`OperatingCharacteristics.se_between`)."""
        i, j, scenario = self._index(i, "i"), self._index(j, "j"), self._scenario(scenario)
        a = self.oc[i][scenario]
        b = self.oc[j][scenario]

        def check(have) -> None:
            if not isinstance(metric, str) or metric not in have:
                known = [m for m in METRICS if m in have] + sorted(m for m in have if m not in METRICS)
                raise ValueError(f"metric: unknown per-trial summary {v._short(metric)}; choose one of "
                                 f"{', '.join(known)}")

        if a.exact or b.exact:
            check({m: None for m in a._values if m in b._values and m in METRICS})
            return np.asarray(a._values[metric]) - np.asarray(b._values[metric]), np.zeros_like(a._values[metric])
        onehot = metric == "selection"
        per_a = a._per_trial(onehot)
        check({**per_a, "selection": None})
        xa = per_a[metric]
        xb = b._per_trial(onehot)[metric]
        d = np.asarray(xa, dtype=float) - np.asarray(xb, dtype=float)
        if between:
            return d.mean(axis=0), between_scenarios_se(d, a.records.scenario, len(a.scenarios))
        return _wmean_se(d, None, False)

    def to_dict(self) -> dict:
        out = {"seed": self.seed, "designs": [d.to_dict() for d in self.designs],
               "scenarios": [s.to_dict() if hasattr(s, "to_dict") else s.label() for s in self.scenarios],
               "results": [], **self.meta}
        for j, sc in enumerate(self.scenarios):
            for i, d in enumerate(self.designs):
                row = {"design": d.label(), "scenario": sc.label(), **{k: v for k, v in self.oc[i][j].to_dict().items()
                                                                      if k not in ("design", "scenario")}}
                if i > 0:
                    extra = EFFICACY_DIFFS if self.oc[i][j].records.n_eff is not None else ()
                    timed = "duration" in self.oc[i][j].metrics and "duration" in self.oc[0][j].metrics
                    for m in ("pcs", "sample_size", "n_overdosed", "no_selection", "total_dlt", "over_selection",
                              *(("duration",) if timed else ()), *extra):
                        dm, ds = self.difference(m, i, 0, j)
                        row[f"{m}_diff_vs_first"] = float(dm)
                        row[f"{m}_diff_vs_first_se"] = float(ds)
                b = self.benchmark_for(i, j)
                if b is not None:
                    dm, ds = b.difference(self.oc[i][j], "pcs")
                    row.update(pcs_benchmark=float(b.pcs), pcs_benchmark_se=float(b.se("pcs")),
                               pcs_diff_vs_benchmark=dm, pcs_diff_vs_benchmark_se=ds)
                out["results"].append(row)
        if self.benchmark is not None:
            out["benchmark"] = [{"scenario": sc.label(), **b.to_dict()} for sc, by_n in zip(self.scenarios,
                                                                                          self.benchmark)
                                for b in by_n.values()]
        return out

    def summary(self) -> str:
        n = {oc.n_trials for row in self.oc for oc in row if not oc.exact}
        many = f"{n.pop():,} trials per design and scenario, " if len(n) == 1 else ""
        lines = [f"Paired comparison on common random numbers ({many}seed {self.seed}); "
                 f"differences vs {self.designs[0].label()}", *_run_lines(self.designs, self.meta),
                 "Columns: PCS % (correct selection) and its paired difference; no selection %; mean N; sel. > MTD % "
                 "(trials selecting a dose above the true MTD); pts > MTD (mean patients treated above it)"
                 + ("; duration (mean trial duration, in the time model's units) and its paired difference"
                    if any("duration" in oc.metrics for row in self.oc for oc in row) else "") + "; SE in brackets."]
        wd = max([28] + [len(d.label()) + 2 for d in self.designs])
        for j, sc in enumerate(self.scenarios):
            lines.append("")
            lines.append(f"Scenario: {sc.label()}")
            first = self.oc[0][j]
            if len(first.scenarios) == 1:
                if getattr(first.scenario, "has_efficacy", False):
                    lines += _efficacy_lines(first.scenario)
                if _time_line(first.scenario):
                    lines.append(_time_line(first.scenario))
            timed = [("duration" in self.oc[i][j].metrics) for i in range(len(self.designs))]
            lines.append(f"{'design':<{wd}}{'PCS %':>18}{'diff (SE)':>18}{'no sel. %':>18}{'N':>18}"
                         f"{'sel. > MTD %':>18}{'pts > MTD':>18}"
                         + (f"{'duration':>18}{'diff (SE)':>18}" if any(timed) else ""))
            for i, d in enumerate(self.designs):
                oc = self.oc[i][j]
                diff = ""
                if i > 0:
                    dm, ds = self.difference("pcs", i, 0, j)
                    diff = _diff(dm, ds)
                row = (f"{d.label():<{wd}}{_fmt(100 * oc.pcs, 100 * oc.se('pcs'), oc.exact):>18}{diff:>18}"
                       f"{_fmt(100 * oc.no_selection, 100 * oc.se('no_selection'), oc.exact):>18}"
                       f"{_fmt(oc.sample_size, oc.se('sample_size'), oc.exact):>18}"
                       f"{_fmt(100 * oc.over_selection, 100 * oc.se('over_selection'), oc.exact):>18}"
                       f"{_fmt(oc.n_overdosed, oc.se('n_overdosed'), oc.exact):>18}")
                if any(timed):
                    dur = _fmt(oc.duration, oc.se("duration"), oc.exact) if timed[i] else "n/a"
                    dd = ""
                    if i > 0 and timed[i] and timed[0]:
                        dm, ds = self.difference("duration", i, 0, j)
                        dd = _diff(dm, ds, 1.0)
                    row += f"{dur:>18}{dd:>18}"
                lines.append(row)
            for n, b in ({} if self.benchmark is None else self.benchmark[j]).items():
                short = []
                for i, d in enumerate(self.designs):
                    if self.benchmark_for(i, j) is b:
                        dm, ds = b.difference(self.oc[i][j], "pcs")
                        short.append(f"{d.label()} {_diff(dm, ds)}")
                lines.append(f"{'complete information, ' + str(n) + ' pts':<{wd}}"
                             f"{_fmt(100 * b.pcs, 100 * b.se('pcs'), False):>18}"
                             f"{'':>18}{'0 (always selects)':>18}{n:>18}"
                             f"{_fmt(100 * b.over_selection, 100 * b.se('over_selection'), False):>18}{'-':>18}")
                lines.append(f"  (upper reference: the dose closest to the target if every patient's outcome were "
                             f"known at every dose; paired PCS difference from it: {'; '.join(short)})")
                above = [d.label() for i, d in enumerate(self.designs) if self.benchmark_for(i, j) is b
                         and _exceeds(*b.difference(self.oc[i][j], "pcs"))]
                if above:
                    lines.append("  " + _benchmark_caveat(above, b, sc))
            if self.oc[0][j].records.n_eff is not None:
                lines.append(f"{'':<{wd}}{'OBD %':>18}{'diff (SE)':>18}{'utility':>18}{'diff (SE)':>18}"
                             f"{'at OBD':>18}{'over-tox %':>18}")
                for i, d in enumerate(self.designs):
                    oc = self.oc[i][j]
                    d1 = d2 = ""
                    if i > 0:
                        dm, ds = self.difference("pcs_obd", i, 0, j)
                        d1 = _diff(dm, ds)
                        dm, ds = self.difference("selected_utility", i, 0, j)
                        d2 = _diff(dm, ds, 1.0)
                    lines.append(
                        f"{d.label():<{wd}}{_fmt(100 * oc.pcs_obd, 100 * oc.se('pcs_obd'), oc.exact):>18}{d1:>18}"
                        f"{_fmt(oc.selected_utility, oc.se('selected_utility'), oc.exact):>18}{d2:>18}"
                        f"{_fmt(oc.n_at_obd, oc.se('n_at_obd'), oc.exact):>18}"
                        f"{_fmt(100 * oc.over_toxic_selection, 100 * oc.se('over_toxic_selection'), oc.exact):>18}")
        return "\n".join(lines)

    __str__ = summary
