# crmPack's next-best decision at one state, repeated with independent MCMC runs (default McmcOptions),
# to measure how often its Monte Carlo estimate of P(overdose) crosses the 0.25 bound.
# Usage: Rscript crmpack_state_noise.R OUT.json N_REPEATS
suppressMessages({library(crmPack); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
grid <- c(5, 10, 20, 40, 60, 80, 120)
model <- LogisticLogNormal(mean = c(-0.85, 1), cov = matrix(c(1, -0.5, -0.5, 1), nrow = 2), ref_dose = 40)
nb <- NextBestNCRM(target = c(0.2, 0.35), overdose = c(0.35, 1), max_overdose_prob = 0.25)
inc <- IncrementsMin(list(IncrementsRelative(intervals = 0, increments = 1), IncrementsDoseLevels(levels = 1, basis_level = "max")))
data <- Data(x = rep(c(5, 10, 20), each = 3), y = rep(0, 9), doseGrid = grid, ID = 1:9, cohort = rep(1:3, each = 3))
lim <- maxDose(inc, data)
res <- t(sapply(seq_len(as.integer(args[2])), function(i) {
  set.seed(5000 + i)
  s <- mcmc(data, model, McmcOptions())
  r <- nextBest(nb, doselimit = lim, samples = s, model = model, data = data)
  c(r$value, r$probs[4, "overdose"], r$probs[4, "target"], r$probs[3, "target"])
}))
out <- list(meta = list(crmPack = as.character(packageVersion("crmPack")), state = "3 patients without DLT at 5, 10 and 20",
                        mcmc = "McmcOptions() defaults, set.seed(5000 + i)", doselimit = lim),
            next_dose = res[, 1], p_over_40 = res[, 2], p_target_40 = res[, 3], p_target_20 = res[, 4])
writeLines(toJSON(out, auto_unbox = TRUE, digits = 10), args[1])
