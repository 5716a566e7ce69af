# Run bfboin (Magirr & Zhang) on the Zhao et al. 2024 scenarios and two extra settings;
# per-scenario means and standard deviations for doseesc's tests.
# Usage: R_LIBS=<lib with bfboin 0.1.1 (github:openpharma/bfboin@03a1b83), BOIN, purrr, jsonlite> Rscript bfboin_oc.R NTRIAL OUT.json
#   (tests/data/peer_bfboin.json: NTRIAL = 10000)
suppressMessages({library(bfboin); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
ntrial <- as.integer(args[1]); out <- args[2]
dlt <- matrix(c(0.25,0.41,0.45,0.49,0.53, 0.12,0.25,0.42,0.49,0.55, 0.04,0.12,0.25,0.43,0.63,
  0.02,0.06,0.1,0.25,0.4, 0.02,0.05,0.08,0.11,0.25, 0.12,0.25,0.42,0.49,0.55, 0.04,0.12,0.25,0.43,0.63,
  0.02,0.06,0.1,0.25,0.4, 0.02,0.05,0.08,0.11,0.25, 0.04,0.12,0.25,0.43,0.63, 0.02,0.06,0.1,0.25,0.4,
  0.02,0.05,0.08,0.11,0.25), ncol = 5, byrow = TRUE)
resp <- matrix(c(0.3,0.4,0.45,0.5,0.55, 0.2,0.3,0.4,0.5,0.6, 0.1,0.2,0.3,0.45,0.58, 0.05,0.1,0.15,0.3,0.45,
  0.05,0.1,0.15,0.2,0.3, 0.3,0.35,0.36,0.36,0.36, 0.15,0.3,0.35,0.36,0.36, 0.10,0.2,0.3,0.35,0.35,
  0.10,0.15,0.2,0.3,0.35, 0.3,0.32,0.35,0.36,0.36, 0.1,0.3,0.32,0.35,0.36, 0.1,0.15,0.3,0.32,0.35),
  ncol = 5, byrow = TRUE)
settings <- list()
for (s in 1:12) settings[[length(settings) + 1]] <- list(id = paste0("ZHAO2024-S", s), p.true = dlt[s, ],
  p.response.true = resp[s, ], n.cap = 12, n.per.month = 3, ncohort = 10, n.earlystop = 9, accrual = "uniform")
settings[[13]] <- list(id = "EXTRA-cap6-slow", p.true = dlt[4, ], p.response.true = resp[4, ], n.cap = 6,
  n.per.month = 1, ncohort = 8, n.earlystop = 12, accrual = "uniform")
settings[[14]] <- list(id = "EXTRA-poisson-fast", p.true = dlt[3, ], p.response.true = resp[3, ], n.cap = 9,
  n.per.month = 6, ncohort = 10, n.earlystop = 100, accrual = "poisson")
res <- list()
for (st in settings) {
  set.seed(2024)
  t0 <- proc.time()[["elapsed"]]
  r <- purrr::map_df(1:ntrial, bfboin:::sim.one.trial, target = 0.25, p.true = st$p.true, ncohort = st$ncohort,
    cohortsize = 3, n.earlystop = st$n.earlystop, startdose = 1, titration = FALSE, p.saf = 0.15, p.tox = 0.35,
    cutoff.eli = 0.95, extrasafe = FALSE, offset = 0.05, boundMTD = FALSE, n.cap = st$n.cap, end.backfill = TRUE,
    n.per.month = st$n.per.month, dlt.window = 1, p.response.true = st$p.response.true, three.plus.three = FALSE,
    accrual = st$accrual, backfill.assign = "highest")
  el <- proc.time()[["elapsed"]] - t0
  nd <- 5
  n <- matrix(r$n, ncol = nd, byrow = TRUE); y <- matrix(r$y, ncol = nd, byrow = TRUE)
  first <- r[r$d == 1, ]
  sel <- first$dselect; dur <- first$max.t
  below <- st$p.true < 0.25; at <- st$p.true == 0.25; over <- st$p.true > 0.25
  cls <- cbind(rowSums(n[, below, drop = FALSE]), rowSums(n[, at, drop = FALSE]), rowSums(n[, over, drop = FALSE]))
  res[[st$id]] <- list(setting = st, ntrial = ntrial, seed = 2024, seconds = el,
    selection = sapply(1:nd, function(i) mean(sel == i)), no_selection = mean(sel == 99),
    n_mean = colMeans(n), n_sd = apply(n, 2, sd), y_mean = colMeans(y),
    total_mean = mean(rowSums(n)), total_sd = sd(rowSums(n)),
    class_mean = colMeans(cls), class_sd = apply(cls, 2, sd),
    duration_mean = mean(dur), duration_sd = sd(dur))
  cat(st$id, el, "\n")
}
meta <- list(call = "purrr::map_df(1:ntrial, bfboin:::sim.one.trial, ...) after set.seed(2024), as get.oc.bf does",
  bfboin = as.character(packageVersion("bfboin")), BOIN = as.character(packageVersion("BOIN")),
  R = R.version.string, bfboin_source = "github:openpharma/bfboin@03a1b83 (fetched snapshot)",
  fixed = list(target = 0.25, cohortsize = 3, startdose = 1, p.saf = 0.15, p.tox = 0.35, cutoff.eli = 0.95,
    extrasafe = FALSE, dlt.window = 1, three.plus.three = FALSE, backfill.assign = "highest"))
write_json(list(meta = meta, runs = res), out, auto_unbox = TRUE, digits = 10, pretty = TRUE)
