# ewoc 0.3.0's JAGS model for ewoc_d1classical (copied model text semantics: Babb's parametrisation,
# uniform priors), long chains, on a few data sets, for tests/data/peer_jags_ewoc.json.
# Usage: Rscript jags_ewoc.R OUT.json
suppressMessages({library(rjags); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
model <- "model {
  for (i in 1:nobs) {
    dlt[i] ~ dbin(p[i], 1)
    logit(p[i]) <- beta1 + beta2 * x[i]
  }
  beta1 <- logit(rho)
  beta2 <- (logit(theta) - logit(rho)) / gamma
  rho <- theta * v1
  v1 ~ dbeta(a1, b1)
  gamma ~ dbeta(a2, b2)
}"
sets <- list(
  readme = list(dose = c(30), dlt = c(0), theta = 0.33, min = 0, max = 100),
  s2 = list(dose = c(10, 20, 30, 30, 40, 40), dlt = c(0, 0, 0, 1, 0, 1), theta = 0.33, min = 0, max = 100),
  s3 = list(dose = c(1, 1, 1, 2, 2, 2, 3, 3, 3), dlt = c(0, 0, 0, 0, 0, 1, 1, 0, 1), theta = 0.25, min = 1, max = 5))
out <- list(meta = list(R = R.version.string, rjags = as.character(packageVersion("rjags")),
                        jags = as.character(jags.version()),
                        sampling = "4 chains, burn-in 10000, 250000 iterations each (1,000,000 draws)"))
for (nm in names(sets)) {
  s <- sets[[nm]]
  x <- (s$dose - s$min) / (s$max - s$min)
  dat <- list(dlt = s$dlt, x = x, nobs = length(x), theta = s$theta, a1 = 1, b1 = 1, a2 = 1, b2 = 1)
  inits <- lapply(1:4, function(i) list(.RNG.name = "base::Mersenne-Twister", .RNG.seed = 200 + i))
  jm <- jags.model(textConnection(model), data = dat, inits = inits, n.chains = 4, quiet = TRUE)
  update(jm, 10000, progress.bar = "none")
  smp <- coda.samples(jm, c("gamma", "rho"), n.iter = 250000, progress.bar = "none")
  m <- as.matrix(smp)
  g <- m[, "gamma"]
  # batch means SE of an indicator-based quantity over 4 chains x 50 batches
  bm <- function(v) { per <- length(v) / 4; b <- c(); for (c in 0:3) { vv <- v[(c * per + 1):((c + 1) * per)];
    mm <- length(vv) %/% 50; b <- c(b, colMeans(matrix(vv[1:(50 * mm)], mm))) }; sd(b) / sqrt(length(b)) }
  probes <- c(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)
  out[[nm]] <- c(s, list(probes = probes, cdf = sapply(probes, function(p) mean(g <= p)),
                         se_cdf = sapply(probes, function(p) bm(as.numeric(g <= p))),
                         quantiles = quantile(g, c(0.1, 0.25, 0.5, 0.75)),
                         mean_rho = mean(m[, "rho"]), se_mean_rho = bm(m[, "rho"]),
                         gelman = gelman.diag(smp)$psrf[, 1]))
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = 10, pretty = TRUE), args[1])
