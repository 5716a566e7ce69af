# dfcrm's crm() on fractional toxicities (normalized equivalent toxicity scores): the
# quasi-likelihood CRM of Yuan, Chappell & Bailey (2007) is dfcrm's Bayesian CRM with the
# score in place of the 0/1 DLT. Random states for tests/data/peer_quasicrm_dfcrm.json.
# Usage: R_LIBS=<lib with dfcrm 0.2-2.1 and jsonlite> Rscript dfcrm_quasi.R OUT.json
suppressMessages({library(dfcrm); library(jsonlite)})
out <- commandArgs(trailingOnly = TRUE)[1]
set.seed(2007)
target <- 0.47 / 1.5
cases <- list()
for (k in 1:200) {
  nd <- sample(4:5, 1)
  skel <- sort(round(runif(nd, 0.03, 0.6), 3))
  while (any(diff(skel) <= 0)) skel <- sort(round(runif(nd, 0.03, 0.6), 3))
  npat <- sample(3:24, 1)
  level <- sort(sample(1:nd, npat, replace = TRUE, prob = rev(seq_len(nd))))
  tox <- sample(c(0, 1/3, 2/3, 1), npat, replace = TRUE, prob = c(0.55, 0.2, 0.15, 0.1))
  model <- sample(c("empiric", "logistic"), 1)
  fit <- crm(prior = skel, target = target, tox = tox, level = level, model = model)
  n <- tabulate(level, nd); y <- sapply(seq_len(nd), function(d) sum(tox[level == d]))
  cases[[k]] <- list(skeleton = skel, model = model, n = n, y = y, level = level, tox = tox,
                     estimate = fit$estimate, mtd = fit$mtd, ptox = fit$ptox)
}
meta <- list(call = "crm(prior = skeleton, target = 0.47/1.5, tox = fractional scores, level, model) (dfcrm defaults: scale = sqrt(1.34), intcpt = 3, method = 'bayes')",
  dfcrm = as.character(packageVersion("dfcrm")), R = R.version.string, seed = 2007, target = target)
write_json(list(meta = meta, cases = cases), out, auto_unbox = TRUE, digits = 15, pretty = FALSE)
