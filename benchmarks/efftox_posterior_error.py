"""EffTox posterior: doseesc's importance sampler against a brute-force reference.

The reference is a long random-walk Metropolis run on the same log posterior
(``doseesc._kernels.efftox.log_post``, the likelihood of trialr's ``EffTox.stan``): 8 chains
of ``--iters`` iterations after 20% burn-in, Gaussian steps with the Laplace covariance scaled by
2.38^2 / 6; its Monte Carlo SE by batch means (50 batches per chain). States: the worked cases of
``tests/data/efftox_visible.jsonl`` and the final and intermediate counts of trials simulated by
doseesc under three scenarios. For each state and each summary (P(eff), P(tox), P(eff > hurdle),
P(tox < hurdle), utility at the posterior means) it reports doseesc's error at several
``posterior_points`` and writes the reference (``--out``) that ``tests/test_efftox.py`` reads.

    NUMBA_NUM_THREADS=1 python benchmarks/efftox_posterior_error.py --iters 2000000 \
        --out tests/data/efftox_posterior_reference.json
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import numba
import numpy as np

import doseesc as de
from doseesc import outcomes as _outcomes
from doseesc._kernels import efftox as k

ROOT = pathlib.Path(__file__).resolve().parents[1]


@numba.njit(cache=False)
def _mcmc(fpar, n, y, e, b, start, chol, iters, burn, seed, he, ht, n_batch, out):
    """One chain; ``out[bt, s, d]``: batch means of the summaries s (p_eff, p_tox, acc_eff, acc_tox)."""
    np.random.seed(seed)
    D = n.shape[0]
    th = start.copy()
    prop = np.empty(6)
    z = np.empty(6)
    lp = k.log_post(fpar, n, y, e, b, th)
    acc = 0
    per = (iters - burn) // n_batch
    for it in range(iters):
        for j in range(6):
            z[j] = np.random.standard_normal()
        for j in range(6):
            s = 0.0
            for m in range(j + 1):
                s += chol[j, m] * z[m]
            prop[j] = th[j] + s
        lq = k.log_post(fpar, n, y, e, b, prop)
        if np.log(np.random.random()) < lq - lp:
            th[:] = prop
            lp = lq
            acc += 1
        if it >= burn:
            bt = (it - burn) // per
            if bt >= n_batch:
                continue
            for d in range(D):
                x = fpar[k.F_X + d]
                pe = 1.0 / (1.0 + np.exp(-(th[2] + th[3] * x + th[4] * x * x)))
                pt = 1.0 / (1.0 + np.exp(-(th[0] + th[1] * x)))
                out[bt, 0, d] += pe / per
                out[bt, 1, d] += pt / per
                if pe > he:
                    out[bt, 2, d] += 1.0 / per
                if pt < ht:
                    out[bt, 3, d] += 1.0 / per
    return acc / iters


def reference(design, n, y, e, b, iters, seed):
    low = design.lower(design.n_doses)
    D = design.n_doses
    work = np.zeros(k.n_work_base(D))
    k.posterior_mode(low.fpar, n, y, e, b, work)
    mode = work[k.O_MODE:k.O_MODE + 6].copy()
    L = work[k.O_CHOL:k.O_CHOL + 36].reshape(6, 6)
    cov = np.linalg.inv(L @ L.T)
    chol = np.linalg.cholesky(cov * 2.38 ** 2 / 6)
    chains, n_batch = 8, 50
    batches = []
    rates = []
    for c in range(chains):
        out = np.zeros((n_batch, 4, D))
        rates.append(_mcmc(low.fpar, n, y, e, b, mode, chol, iters, iters // 5, seed * 1000 + c,
                           design.efficacy_hurdle, design.toxicity_hurdle, n_batch, out))
        batches.append(out)
    allb = np.concatenate(batches)  # (chains * n_batch, 4, D)
    mean = allb.mean(axis=0)
    se = allb.std(axis=0, ddof=1) / np.sqrt(allb.shape[0])
    util = k.utility(low.fpar, 0.5, 0.1)  # compile
    util = np.array([k.utility(low.fpar, mean[0, d], mean[1, d]) for d in range(D)])
    return mean, se, util, float(np.mean(rates))


def states(design):
    ref = [json.loads(line) for line in (ROOT / "tests" / "data" / "efftox_visible.jsonl").open()]
    out = []
    for r in ref:
        if "outcomes" in r["setting"]:
            cs = _outcomes.parse(r["setting"]["outcomes"])
            n, y, e, b = (np.zeros(5, dtype=np.int64) for _ in range(4))
            dose, size, tox = _outcomes.to_arrays(cs)
            eff, both = _outcomes.to_eff_arrays(cs)
            for i in range(len(cs)):
                n[dose[i]] += size[i]
                y[dose[i]] += tox[i]
                e[dose[i]] += eff[i]
                b[dose[i]] += both[i]
            out.append((r["id"], n, y, e, b))
    scs = [de.Scenario(p_tox=[0.05, 0.10, 0.20, 0.35, 0.50], target=0.3, p_eff=[0.2, 0.4, 0.6, 0.65, 0.7]),
           de.Scenario(p_tox=[0.02, 0.05, 0.08, 0.12, 0.30], target=0.3, p_eff=[0.1, 0.2, 0.5, 0.55, 0.4]),
           de.Scenario(p_tox=[0.10, 0.25, 0.45, 0.6, 0.7], target=0.3, p_eff=[0.3, 0.5, 0.6, 0.6, 0.6],
                       association="gumbel", association_param=0.5)]
    for i, sc in enumerate(scs):
        recs = de.simulate(design, sc, n_trials=6, seed=7 + i).records
        for t in range(6):
            n = np.asarray(recs.n_patients[t], dtype=np.int64)
            y = np.asarray(recs.n_dlt[t], dtype=np.int64)
            e = np.asarray(recs.n_eff[t], dtype=np.int64)
            # patients with both are not kept in records: take the least feasible count
            b = np.maximum(0, y + e - n)
            out.append((f"sim-s{i + 1}-t{t + 1}", n, y, e, b))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=2_000_000)
    ap.add_argument("--out", default=None)
    ap.add_argument("--max-states", type=int, default=100)
    a = ap.parse_args()
    design = de.EffTox()
    rows = []
    worst = {m: 0.0 for m in (1 << 11, 1 << 13, 1 << 15)}
    worst_z = {m: 0.0 for m in worst}
    for sid, n, y, e, b in states(design)[:a.max_states]:
        t0 = time.perf_counter()
        mean, se, util, rate = reference(design, n, y, e, b, a.iters, len(rows) + 1)
        took = time.perf_counter() - t0
        row = dict(id=sid, n=n.tolist(), y=y.tolist(), e=e.tolist(), b=b.tolist(), iters_per_chain=a.iters,
                   chains=8, accept=rate, p_eff=mean[0].tolist(), p_tox=mean[1].tolist(),
                   prob_acc_eff=mean[2].tolist(), prob_acc_tox=mean[3].tolist(), utility=util.tolist(),
                   se_p_eff=se[0].tolist(), se_p_tox=se[1].tolist(), se_prob_acc_eff=se[2].tolist(),
                   se_prob_acc_tox=se[3].tolist())
        errs = []
        for m in worst:
            post = design.replace(posterior_points=m).posterior(n, y, e, b)
            err = max(np.max(np.abs(post["p_eff"] - mean[0])), np.max(np.abs(post["p_tox"] - mean[1])),
                      np.max(np.abs(post["prob_acc_eff"] - mean[2])), np.max(np.abs(post["prob_acc_tox"] - mean[3])),
                      np.max(np.abs(post["utility"] - util)))
            z = max(np.max(np.abs(post["p_eff"] - mean[0]) / se[0]), np.max(np.abs(post["p_tox"] - mean[1]) / se[1]),
                    np.max(np.abs(post["prob_acc_eff"] - mean[2]) / np.maximum(se[2], 1e-12)),
                    np.max(np.abs(post["prob_acc_tox"] - mean[3]) / np.maximum(se[3], 1e-12)))
            worst[m] = max(worst[m], err)
            worst_z[m] = max(worst_z[m], z)
            errs.append(f"M={m}: max|err| {err:.4f} (max z {z:.1f}, min ESS {post['ess'][0]:.0f})")
            row[f"max_abs_err_M{m}"] = float(err)
        rows.append(row)
        print(f"{sid:>28} n={n.tolist()} ref SE max {se.max():.4f} accept {rate:.2f} ({took:.0f} s); "
              + "; ".join(errs), flush=True)
    print("worst max|err| over states:", {m: round(v, 4) for m, v in worst.items()})
    print("worst z over states:", {m: round(v, 1) for m, v in worst_z.items()})
    if a.out:
        pathlib.Path(a.out).write_text(json.dumps(dict(
            method="random-walk Metropolis on doseesc._kernels.efftox.log_post (trialr EffTox.stan likelihood), "
                   "8 chains, 20% burn-in, Laplace covariance x 2.38^2/6; SE by batch means (50 per chain)",
            design="doseesc.EffTox() defaults (Thall et al. 2014 example)", states=rows,
            worst_abs_err={str(m): v for m, v in worst.items()}), indent=1))


if __name__ == "__main__":
    main()
