# EffTox operating characteristics with trialr's Stan model (inst/stan/EffTox.stan of trialr 0.1.6,
# compiled with rstan) and trialr's decision rule (efftox_process: acceptability by
# P(eff > hurdle) > p_e, P(tox < hurdle) > p_t, doses within one level of those tried; the
# recommended dose maximises the utility at the posterior means; NA = stop, no dose selected),
# as escalation's get_trialr_efftox simulates it (the start dose before any data; the final
# recommendation at max_n). Usage:
#   Rscript efftox_sim.R MODEL.rds OUT.json N_TRIALS SEED SCENARIO
# SCENARIO: a name defined below. rstan defaults as trialr's stan_efftox: 4 chains x 2000 iterations.
# MODEL.rds: trialr's Stan model compiled once (about 1.5 min), from trialr's source
# (inst/stan/EffTox.stan of trialr 0.1.6):
#   Rscript -e 'm <- rstan::stan_model("EffTox.stan", model_name = "EffTox"); saveRDS(m, "EffTox_model.rds")'
# Here: Debian's r-cran-rstan 2.21.7 (R 4.2.2); Debian's r-cran-bh keeps Boost in /usr/include, so
# rstan needs a BH library whose include/boost points there (a copy of the BH package folder with
# that symlink, first in R_LIBS). The merged results: tests/data/peer_efftox_trialr.json
# (benchmarks/r/merge_efftox_sim.py); seeds 101 (s1) and 202 (s2).
suppressMessages(library(rstan))
args <- commandArgs(trailingOnly = TRUE)
model <- readRDS(args[1]); out <- args[2]; n_trials <- as.integer(args[3]); seed <- as.integer(args[4])
scen <- args[5]
scenarios <- list(
  s1 = list(p_tox = c(0.05, 0.10, 0.20, 0.35, 0.50), p_eff = c(0.20, 0.40, 0.60, 0.65, 0.70)),
  s2 = list(p_tox = c(0.02, 0.05, 0.08, 0.12, 0.30), p_eff = c(0.10, 0.20, 0.50, 0.55, 0.40))
)
sc <- scenarios[[scen]]
real_doses <- c(1, 2, 4, 6.6, 10); eff_h <- 0.5; tox_h <- 0.3; p_e <- 0.1; p_t <- 0.1
eff0 <- 0.5; tox1 <- 0.65; eff_star <- 0.7; tox_star <- 0.25
pri <- list(alpha_mean = -7.9593, alpha_sd = 3.5487, beta_mean = 1.5482, beta_sd = 3.5018,
            gamma_mean = 0.7367, gamma_sd = 2.5423, zeta_mean = 3.4181, zeta_sd = 2.4406,
            eta_mean = 0, eta_sd = 0.2, psi_mean = 0, psi_sd = 1)
cohort <- 3; max_n <- 24
# trialr's efftox_solve_p
p <- uniroot(function(p) ((1 - eff_star) / (1 - eff0))^p + (tox_star / tox1)^p - 1, c(0, 100))$root
utility <- function(pe, pt) 1 - (((1 - pe) / (1 - eff0))^p + (pt / tox1)^p)^(1 / p)

decide <- function(doses, tox, eff) {
  dat <- c(pri, list(num_doses = 5, real_doses = real_doses, p = p, eff0 = eff0, tox1 = tox1,
                     efficacy_hurdle = eff_h, toxicity_hurdle = tox_h, num_patients = length(doses),
                     eff = eff, tox = tox, doses = doses))
  fit <- suppressWarnings(sampling(model, data = dat, refresh = 0, seed = sample.int(.Machine$integer.max, 1),
                                   pars = c("prob_eff", "prob_tox")))
  pe <- rstan::extract(fit, "prob_eff")[[1]]; pt <- rstan::extract(fit, "prob_tox")[[1]]
  prob_eff <- colMeans(pe); prob_tox <- colMeans(pt)
  acc_eff <- colMeans(pe > eff_h); acc_tox <- colMeans(pt < tox_h)
  u <- utility(prob_eff, prob_tox)
  in_range <- (1:5 >= min(doses) - 1) & (1:5 <= max(doses) + 1)
  acceptable <- (acc_eff > p_e) & (acc_tox > p_t) & in_range
  if (sum(acceptable) > 0) which.max(ifelse(acceptable, u, NA)) else NA
}

set.seed(seed)
res <- list()
t0 <- proc.time()
for (t in 1:n_trials) {
  doses <- integer(0); tox <- integer(0); eff <- integer(0); cur <- 1; sel <- NA
  while (TRUE) {
    tt <- rbinom(cohort, 1, sc$p_tox[cur]); ee <- rbinom(cohort, 1, sc$p_eff[cur])
    doses <- c(doses, rep(cur, cohort)); tox <- c(tox, tt); eff <- c(eff, ee)
    nxt <- decide(doses, tox, eff)
    if (is.na(nxt)) { sel <- NA; break }
    if (length(doses) >= max_n) { sel <- nxt; break }
    cur <- nxt
  }
  res[[t]] <- list(selected = if (is.na(sel)) 0 else sel,
                   n = tabulate(doses, 5), tox = sapply(1:5, function(d) sum(tox[doses == d])),
                   eff = sapply(1:5, function(d) sum(eff[doses == d])))
  el <- (proc.time() - t0)[["elapsed"]]; cpu <- sum((proc.time() - t0)[c("user.self", "user.child")])
  if (t %% 5 == 0 || t == n_trials) {
    jsonlite::write_json(list(scenario = scen, p_tox = sc$p_tox, p_eff = sc$p_eff, real_doses = real_doses,
                              max_n = max_n, cohort_size = cohort, seed = seed, n_trials = t,
                              elapsed_s = el, cpu_s = cpu,
                              rstan = as.character(packageVersion("rstan")),
                              stan_model = "trialr 0.1.6 inst/stan/EffTox.stan", chains = 4, iter = 2000,
                              trials = res), out, auto_unbox = TRUE, digits = NA)
  }
}
