# Operating characteristics of the quasi-likelihood CRM (Yuan, Chappell & Bailey 2007) with
# dfcrm's crm() as the model: every decision is crm(prior, target, tox = normalized equivalent
# toxicity scores, level, model)$mtd, with crmsim's restriction (no escalation after a cohort
# whose mean score >= target; no skipping when escalating) and crm()$mtd on all data at the end.
# The trial loop is written here (dfcrm's crmsim draws binary outcomes only); the model fits,
# the decisions' core, are dfcrm's. Output: tests/data/peer_quasicrm_oc.json.
# Usage: R_LIBS=<lib with dfcrm and jsonlite> Rscript quasicrm_oc.R OUT.json [NSIM]
suppressMessages({library(dfcrm); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
nsim <- if (length(args) > 1) as.integer(args[2]) else 1000L

one_trial <- function(pgrade, norm, skeleton, target, N, cs, x0, model) {
  nd <- nrow(pgrade)
  level <- integer(0); tox <- numeric(0)
  cur <- x0
  while (length(level) < N) {
    g <- sample(0:ncol(pgrade), cs, replace = TRUE, prob = c(1 - sum(pgrade[cur, ]), pgrade[cur, ]))
    level <- c(level, rep(cur, cs)); tox <- c(tox, norm[g + 1])
    if (length(level) >= N) break
    mtd <- crm(prior = skeleton, target = target, tox = tox, level = level, model = model)$mtd
    if (mean(norm[g + 1]) >= target) mtd <- min(mtd, cur) else mtd <- min(mtd, cur + 1)
    cur <- mtd
  }
  sel <- crm(prior = skeleton, target = target, tox = tox, level = level, model = model)$mtd
  list(sel = sel, n = tabulate(level, nd), score = sapply(seq_len(nd), function(d) sum(tox[level == d])))
}

scores <- c(0, 0, 0.5, 1, 1.5)  # grades 0..4 (the TITEgBOIN / Yuan et al. 2007 default weights)
norm <- scores / max(scores)
settings <- list(
  list(name = "increasing, cohorts of 1, empiric",
       pgrade = rbind(c(0.20, 0.05, 0.02, 0.00), c(0.20, 0.10, 0.05, 0.02), c(0.20, 0.15, 0.12, 0.05),
                      c(0.20, 0.20, 0.20, 0.10), c(0.15, 0.25, 0.25, 0.15)),
       skeleton = c(0.05, 0.12, 0.22, 0.33, 0.45), target = 0.47 / 1.5, N = 24, cs = 1, x0 = 1, model = "empiric"),
  list(name = "steep, cohorts of 3, logistic",
       pgrade = rbind(c(0.30, 0.10, 0.05, 0.01), c(0.25, 0.20, 0.12, 0.05), c(0.20, 0.25, 0.20, 0.10),
                      c(0.15, 0.25, 0.30, 0.20)),
       skeleton = c(0.08, 0.18, 0.30, 0.45), target = 0.47 / 1.5, N = 24, cs = 3, x0 = 1, model = "logistic"),
  list(name = "flat low, cohorts of 1, empiric, start at 2",
       pgrade = rbind(c(0.10, 0.02, 0.01, 0.00), c(0.12, 0.03, 0.02, 0.00), c(0.15, 0.05, 0.03, 0.01),
                      c(0.20, 0.08, 0.05, 0.02), c(0.25, 0.15, 0.10, 0.05), c(0.25, 0.25, 0.20, 0.10)),
       skeleton = c(0.04, 0.09, 0.16, 0.25, 0.35, 0.47), target = 0.3, N = 20, cs = 1, x0 = 2, model = "empiric")
)
set.seed(2025)
res <- list()
for (s in settings) {
  t0 <- proc.time()[["elapsed"]]
  runs <- lapply(seq_len(nsim), function(i) one_trial(s$pgrade, norm, s$skeleton, s$target, s$N, s$cs, s$x0, s$model))
  el <- proc.time()[["elapsed"]] - t0
  sel <- sapply(runs, `[[`, "sel")
  nmat <- t(sapply(runs, `[[`, "n"))
  smat <- t(sapply(runs, `[[`, "score"))
  nd <- nrow(s$pgrade)
  res[[length(res) + 1]] <- list(name = s$name, p_grade = s$pgrade, skeleton = s$skeleton, target = s$target,
    max_n = s$N, cohort_size = s$cs, start_dose = s$x0, model = s$model, scores = scores, n_trials = nsim,
    select = tabulate(sel, nd) / nsim, n_mean = colMeans(nmat), n_sd = apply(nmat, 2, sd),
    score_mean = colMeans(smat), score_sd = apply(smat, 2, sd), seconds = el)
}
meta <- list(call = "quasicrm_oc.R: loop written here; every fit dfcrm::crm(prior, target, tox = scores / max(scores), level, model) (dfcrm defaults: scale = sqrt(1.34), intcpt = 3, method = 'bayes')",
  dfcrm = as.character(packageVersion("dfcrm")), R = R.version.string, seed = 2025)
write_json(list(meta = meta, settings = res), out, auto_unbox = TRUE, digits = 15, pretty = FALSE, matrix = "rowmajor")
