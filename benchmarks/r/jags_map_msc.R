# Independent MCMC fit (JAGS) of the hierarchical BLRM behind doseesc.evidence.blrm_map_prior,
# on the MSC seed trials, for tests/data/peer_jags_map_msc.json.
# Usage: Rscript jags_map_msc.R OUT.json [exclude-trial]
suppressMessages({library(rjags); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
excl <- if (length(args) > 1) args[2] else ""
d <- data.frame(trial = c("A", "A", "B", "B", "C", "D"), dose = c(2, 3, 2, 4, 2, 1),
                n = c(4, 3, 5, 3, 9, 6), dlt = c(0, 0, 0, 0, 0, 0))
d <- d[d$trial != excl, ]
d_ref <- 4; new_doses <- c(1, 2, 4)
tr <- as.integer(factor(d$trial))
model <- "
model {
  for (i in 1:Ntr) {
    z1[i] ~ dnorm(0, 1)
    z2[i] ~ dnorm(0, 1)
    a[i] <- mu[1] + tau1 * z1[i]
    b[i] <- mu[2] + tau2 * (rho * z1[i] + sqrt(1 - rho * rho) * z2[i])
  }
  for (k in 1:Nobs) {
    logit(p[k]) <- a[tr[k]] + exp(b[tr[k]]) * x[k]
    y[k] ~ dbin(p[k], n[k])
  }
  mu[1] ~ dnorm(m1, 1 / (s1 * s1))
  mu[2] ~ dnorm(m2, 1 / (s2 * s2))
  tau1 ~ dnorm(0, 1 / (t1 * t1)) T(0,)
  tau2 ~ dnorm(0, 1 / (t2 * t2)) T(0,)
  rho ~ dunif(-1, 1)
  zn1 ~ dnorm(0, 1)
  zn2 ~ dnorm(0, 1)
  anew <- mu[1] + tau1 * zn1
  bnew <- mu[2] + tau2 * (rho * zn1 + sqrt(1 - rho * rho) * zn2)
}"
dat <- list(Ntr = max(tr), Nobs = nrow(d), tr = tr, x = log(d$dose / d_ref), n = d$n, y = d$dlt,
            m1 = log(0.2 / 0.8), s1 = 2, m2 = 0, s2 = 1, t1 = 0.5, t2 = 0.25)
inits <- lapply(1:4, function(i) list(.RNG.name = "base::Mersenne-Twister", .RNG.seed = 100 + i))
t0 <- proc.time()[["elapsed"]]
jm <- jags.model(textConnection(model), data = dat, inits = inits, n.chains = 4, quiet = TRUE)
update(jm, 20000, progress.bar = "none")
s <- coda.samples(jm, c("anew", "bnew", "mu", "tau1", "tau2", "rho"), n.iter = 500000, thin = 5, progress.bar = "none")
secs <- proc.time()[["elapsed"]] - t0
m <- as.matrix(s)
x <- log(new_doses / d_ref)
p <- plogis(m[, "anew"] + exp(m[, "bnew"]) %o% x)
# batch means over each chain (50 batches per chain), combined
bm <- function(v) {
  per <- nrow(m) / 4; k <- 50; b <- c()
  for (c in 0:3) { vv <- v[(c * per + 1):((c + 1) * per)]; mm <- length(vv) %/% k; b <- c(b, colMeans(matrix(vv[1:(k * mm)], mm))) }
  sd(b) / sqrt(length(b))
}
mp <- colMeans(p); vp <- apply(p, 2, var)
out <- list(meta = list(R = R.version.string, rjags = as.character(packageVersion("rjags")),
                        jags = as.character(jags.version()), exclude = excl,
                        sampling = "4 chains, burn-in 20000, 500000 iterations thinned by 5 (400000 draws)",
                        seconds = secs, d_ref = d_ref, doses = new_doses,
                        hyperprior = "mu ~ N((logit 0.2, 0), sd (2, 1)); tau_a ~ HN(0.5); tau_b ~ HN(0.25); rho ~ U(-1, 1)",
                        gelman = gelman.diag(s[, c("anew", "bnew", "mu[1]", "mu[2]", "tau1", "tau2")], multivariate = FALSE)$psrf[, 1]),
            data = d,
            mean_p = mp, sd_p = sqrt(vp), ess = mp * (1 - mp) / vp - 1,
            se_mean_p = apply(p, 2, bm), se_sd_p = apply((p - rep(mp, each = nrow(p)))^2, 2, bm) / (2 * sqrt(vp)),
            q_p = apply(p, 2, quantile, c(0.025, 0.5, 0.975)),
            mean_ab = colMeans(m[, c("anew", "bnew")]), cov_ab = cov(m[, c("anew", "bnew")]),
            se_mean_ab = c(bm(m[, "anew"]), bm(m[, "bnew"])),
            mu = colMeans(m[, c("mu[1]", "mu[2]")]), tau = colMeans(m[, c("tau1", "tau2")]),
            se_mu = c(bm(m[, "mu[1]"]), bm(m[, "mu[2]"])), se_tau = c(bm(m[, "tau1"]), bm(m[, "tau2"])))
writeLines(toJSON(out, auto_unbox = TRUE, digits = 10, pretty = TRUE), args[1])
