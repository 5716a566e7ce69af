# Timing of bcrm 0.5.4's simulation of its manual's two-parameter logistic design with
# toxicity intervals and a loss (TwoPLogistic.tox.intervals.bcrm, rjags), for the benchmark.
# Usage: Rscript bcrm_sim_timing.R N_SIMS
suppressMessages(library(bcrm))
args <- commandArgs(trailingOnly = TRUE)
nsims <- as.integer(args[1])
dose <- c(1, 2.5, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250)
p.tox0 <- c(0.010, 0.015, 0.020, 0.025, 0.030, 0.040, 0.050, 0.100, 0.170, 0.300, 0.400, 0.500, 0.650, 0.800, 0.900)
mu <- c(2.15, 0.52); Sigma <- rbind(c(0.84^2, 0.134), c(0.134, 0.80^2))
t0 <- proc.time()
set.seed(1)
sim <- bcrm(stop = list(nmax = 36), sdose = log(dose / 250), dose = dose, ff = "logit2",
            prior.alpha = list(4, mu, Sigma), target.tox = 0.30, constrain = TRUE, start = 1,
            tox.cutpoints = c(0.2, 0.35, 0.6), loss = c(1, 0, 1, 2), method = "rjags",
            simulate = TRUE, nsims = nsims, truep = p.tox0, cohort = 3, quietly = TRUE, plot = FALSE)
t1 <- proc.time()
cat(sprintf("bcrm %s, %d trials: %.2f s elapsed, %.2f s CPU\n", as.character(packageVersion("bcrm")), nsims,
            t1[["elapsed"]] - t0[["elapsed"]], (t1[["user.self"]] + t1[["sys.self"]]) - (t0[["user.self"]] + t0[["sys.self"]])))
