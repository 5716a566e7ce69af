# TITEgBOIN next_TITE_QuasiBOIN (no pending patients) and select_mtd_TITE_QuasiBOIN on random states.
# Usage: R_LIBS=<lib with TITEgBOIN 0.4.0> Rscript titegboin_decisions.R OUT.json (tests/data/peer_gboin_decisions.json)
suppressMessages({library(TITEgBOIN); library(jsonlite)})
set.seed(7)
target <- 0.47 / 1.5
cases <- list()
for (k in 1:300) {
  nd <- sample(3:5, 1)
  n <- sample(c(0, 3, 6, 9, 12), nd, replace = TRUE)
  d <- sample(which(n > 0 | seq_len(nd) == 1), 1)
  if (n[d] == 0) n[d] <- 3
  y <- round(sapply(n, function(m) sum(sample(c(0, 1/3, 2/3, 1), m, replace = TRUE, prob = c(0.6, 0.2, 0.12, 0.08)))), 10)
  es <- sample(c(100, 9, 12), 1); xs <- sample(c(FALSE, TRUE), 1, prob = c(0.8, 0.2))
  o <- next_TITE_QuasiBOIN(target = target, n = n, npend = rep(0, nd), y = y, ft = rep(0, nd), d = d, maxt = 1,
    elimination = rep(0, nd), n.earlystop = es, extrasafe = xs, print_d = FALSE)
  s <- select_mtd_TITE_QuasiBOIN(target = target, ntox = y, npts = n, extrasafe = xs)
  cases[[k]] <- list(n = n, y = y, d = d, n_earlystop = es, extrasafe = xs, next_d = o$d, earlystop = o$earlystop,
    stop = o$stop, elimi = o$elimi, selected = s)
}
meta <- list(call = "next_TITE_QuasiBOIN(target = 0.47/1.5, n, npend = 0, y, ft = 0, d, maxt = 1, elimination = 0, n.earlystop, extrasafe); select_mtd_TITE_QuasiBOIN(target, ntox = y, npts = n, extrasafe)",
  TITEgBOIN = as.character(packageVersion("TITEgBOIN")), R = R.version.string, seed = 7, target = target,
  note = "y: summed normalized scores (multiples of 1/3, rounded to 1e-10); selected 99 = none; next_d is R's d (0 when earlystop)")
write_json(list(meta = meta, cases = cases), commandArgs(trailingOnly = TRUE)[1], auto_unbox = TRUE, digits = 12, pretty = FALSE)
