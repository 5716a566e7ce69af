# Long-run crmPack fits of the BLRM reference data sets (for tests/data/peer_crmpack_blrm.json).
# Usage: Rscript crmpack_fits.R OUT.json   (R_LIBS must hold crmPack 2.0.1 and rjags)
suppressMessages({library(crmPack); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
set.seed(20261129)
opts <- McmcOptions(burnin = 5000, step = 1, samples = 200000)
fit_probs <- function(model, grid, x, y, target, overdose) {
  data <- Data(x = x, y = y, doseGrid = grid, ID = seq_along(x), cohort = seq_along(x))
  s <- mcmc(data, model, opts)
  p <- sapply(grid, function(d) prob(dose = d, model = model, samples = s))
  a0 <- s@data$alpha0; a1 <- s@data$alpha1
  # batch-means MC standard errors (50 batches) of the interval probabilities and means
  bm <- function(v) { k <- 50; m <- length(v) %/% k; b <- colMeans(matrix(v[1:(k * m)], m)); sd(b) / sqrt(k) }
  tgt <- (p >= target[1]) & (p <= target[2]); ovd <- p > overdose[1]
  list(x = x, y = y, grid = grid,
       p_target = colMeans(tgt), p_overdose = colMeans(ovd), mean = colMeans(p),
       se_target = apply(tgt, 2, bm), se_overdose = apply(ovd, 2, bm), se_mean = apply(p, 2, bm))
}
ta_model <- LogisticLogNormal(mean = c(-0.85, 1), cov = matrix(c(1, -0.5, -0.5, 1), nrow = 2), ref_dose = 56)
ta_grid <- c(1, 3, 9, 20, 30, 45, 60, 80, 100)
out <- list(
  meta = list(crmPack = as.character(packageVersion("crmPack")), rjags = as.character(packageVersion("rjags")),
              jags = as.character(rjags::jags.version()), R = R.version.string,
              mcmc = "McmcOptions(burnin = 5000, step = 1, samples = 200000), set.seed(20261129)",
              model_ta = "LogisticLogNormal(mean = c(-0.85, 1), cov = matrix(c(1, -0.5, -0.5, 1), 2), ref_dose = 56)",
              model_nbg = "LogisticLogNormal(mean = c(2.15, 0.52), cov = matrix(c(0.84^2, 0.134, 0.134, 0.8^2), 2), ref_dose = 250)",
              intervals = "target [lo, hi] closed, overdose (hi, 1] as crmPack's NextBestNCRM",
              se = "batch means, 50 batches"),
  ta1 = fit_probs(ta_model, ta_grid, c(1, 3, 9, 20), c(0, 0, 0, 1), c(0.2, 0.35), c(0.35, 1)),
  ta2 = fit_probs(ta_model, ta_grid, c(1, 3, 9, 20, 20, 20, 20), c(0, 0, 0, 1, 0, 0, 0), c(0.2, 0.35), c(0.35, 1)),
  ta3 = fit_probs(ta_model, ta_grid, c(1, 3, 9, 20, 20, 20, 20, 30, 30, 30), c(0, 0, 0, 1, 0, 0, 0, 0, 0, 0),
                  c(0.2, 0.35), c(0.35, 1)))
nbg_model <- LogisticLogNormal(mean = c(2.15, 0.52), cov = matrix(c(0.84^2, 0.134, 0.134, 0.8^2), nrow = 2),
                               ref_dose = 250)
nbg_grid <- c(1, 2.5, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250)
out$nbg <- fit_probs(nbg_model, nbg_grid, rep(c(1, 2.5, 5, 10, 25), c(3, 4, 5, 4, 2)), rep(0:1, c(16, 2)),
                     c(0.16, 0.33), c(0.33, 1))
writeLines(toJSON(out, auto_unbox = TRUE, digits = 10, pretty = TRUE), args[1])
