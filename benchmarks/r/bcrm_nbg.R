# bcrm (rjags) on the Neuenschwander et al. (2008) example, as in bcrm's manual and the reference
# rows BLRM-NBG-BCRM-RJAGS-1/2: several runs with the default chain lengths, and long runs.
# Usage: Rscript bcrm_nbg.R OUT.json
suppressMessages({library(bcrm); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
dose <- c(1, 2.5, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250)
df <- data.frame(patient = 1:18, dose = rep(c(1:4, 7), c(3, 4, 5, 4, 2)), tox = rep(0:1, c(16, 2)))
mu <- c(2.15, 0.52); Sigma <- rbind(c(0.84^2, 0.134), c(0.134, 0.80^2))
fit <- function(burn, prod, seed) {
  set.seed(seed)
  f <- bcrm(stop = list(nmax = 18), data = df, sdose = log(dose / 250), dose = dose, ff = "logit2",
            prior.alpha = list(4, mu, Sigma), target.tox = 0.30, constrain = FALSE, pointest = "mean",
            method = "rjags", burnin.itr = burn, production.itr = prod, plot = FALSE)
  list(seed = seed, burnin = burn, production = prod, mean = f$ndose[[1]]$mean, ndose = f$ndose[[1]]$ndose)
}
t0 <- proc.time()[["elapsed"]]
default_runs <- lapply(1:20, function(s) fit(2000, 2000, s))
long_runs <- lapply(101:104, function(s) fit(5000, 200000, s))
out <- list(meta = list(bcrm = as.character(packageVersion("bcrm")), rjags = as.character(packageVersion("rjags")),
                        jags = as.character(rjags::jags.version()), R = R.version.string,
                        call = "bcrm(stop=list(nmax=18), data=df, sdose=log(dose/250), dose=dose, ff='logit2', prior.alpha=list(4, c(2.15,0.52), rbind(c(0.84^2,0.134),c(0.134,0.80^2))), target.tox=0.30, constrain=FALSE, pointest='mean', method='rjags', burnin.itr=B, production.itr=P)",
                        seconds = proc.time()[["elapsed"]] - t0),
            default_runs = default_runs, long_runs = long_runs)
writeLines(toJSON(out, auto_unbox = TRUE, digits = 10, pretty = TRUE), args[1])
