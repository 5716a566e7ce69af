# BOIN12 operating characteristics from R escalation (get_boin12 %>% stop_at_n %>%
# stop_when_n_at_dose(12, "any") %>% select_boin12_obd), the peer doseesc's BOIN12 is checked
# against (tests/data/peer_boin12_escalation.json). Run from the repository root:
#   Rscript benchmarks/r/boin12_peer_oc.R OUT.json [n_sims]
# R library: escalation 0.2.3 from its CRAN sources (trialr and DiagrammeR imports removed:
# they are only used by other selectors), with BOIN, dfcrm and binom from theirs.
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "peer_boin12_escalation.json"
n_sims <- if (length(args) >= 2) as.integer(args[2]) else 4000L
lib <- Sys.getenv("R_LIBS_EFF", "/work/Rlib-eff")
.libPaths(c(lib, .libPaths()))
suppressMessages({library(escalation); library(jsonlite)})

design <- function(s) {
  d <- get_boin12(num_doses = length(s$tox), phi_t = s$phi_t, phi_e = s$phi_e, u2 = s$u2, u3 = s$u3,
                  n_star = s$n_star, c_t = s$c_t, c_e = s$c_e, start_dose = s$start_dose) %>%
    stop_at_n(n = s$max_n)
  if (!is.null(s$stop_any)) d <- d %>% stop_when_n_at_dose(n = s$stop_any, dose = "any")
  d %>% select_boin12_obd()
}

run <- function(s, n_sims, seed) {
  set.seed(seed)
  d <- design(s)
  t0 <- proc.time()[["elapsed"]]
  if (is.null(s$rho)) {
    sims <- simulate_trials(d, num_sims = n_sims, true_prob_tox = s$tox, true_prob_eff = s$eff)
  } else {
    # A fresh correlated patient sample per trial (passing one sample through simulate_trials'
    # ... would give every trial the same patients).
    fits <- lapply(seq_len(n_sims), function(i)
      escalation:::phase1_2_sim(d, true_prob_tox = s$tox, true_prob_eff = s$eff,
                                patient_sample = CorrelatedPatientSample$new(rho = s$rho)))
    sims <- escalation:::simulations(fits = fits, true_prob_tox = s$tox, true_prob_eff = s$eff)
  }
  secs <- proc.time()[["elapsed"]] - t0
  list(id = s$id, setting = s, n_sims = n_sims, seed = seed, seconds = secs,
       prob_recommend = unname(prob_recommend(sims)),  # NoDose first
       n_at_dose = unname(colMeans(n_at_dose(sims))),
       n_at_dose_sd = unname(apply(n_at_dose(sims), 2, sd)),
       tox_at_dose = unname(colMeans(tox_at_dose(sims))),
       tox_at_dose_sd = unname(apply(tox_at_dose(sims), 2, sd)),
       eff_at_dose = unname(colMeans(eff_at_dose(sims))),
       eff_at_dose_sd = unname(apply(eff_at_dose(sims), 2, sd)))
}

base <- list(phi_t = 0.35, phi_e = 0.25, u2 = 40, u3 = 60, n_star = 6, c_t = 0.95, c_e = 0.9, start_dose = 1,
             max_n = 36, stop_any = 12)
scen <- list(
  c(list(id = "S1-plateau", tox = c(0.05, 0.10, 0.20, 0.30, 0.50), eff = c(0.10, 0.30, 0.50, 0.50, 0.50)), base),
  c(list(id = "S2-umbrella", tox = c(0.02, 0.05, 0.10, 0.15, 0.25), eff = c(0.20, 0.40, 0.60, 0.40, 0.30)), base),
  c(list(id = "S3-toxic", tox = c(0.25, 0.40, 0.50, 0.60, 0.70), eff = c(0.30, 0.40, 0.50, 0.50, 0.50)), base),
  c(list(id = "S4-correlated", tox = c(0.05, 0.10, 0.20, 0.30, 0.50), eff = c(0.10, 0.30, 0.50, 0.50, 0.50),
         rho = 0.5), base),
  c(list(id = "S5-param2", tox = c(0.02, 0.05, 0.10, 0.20, 0.30), eff = c(0.10, 0.30, 0.50, 0.60, 0.60)),
    modifyList(base, list(phi_t = 0.15, phi_e = 0.4, u2 = 50, u3 = 30, c_t = 0.9, c_e = 0.8))),
  c(list(id = "S6-msc-3-doses", tox = c(0.02, 0.05, 0.10), eff = c(0.40, 0.60, 0.60)),
    modifyList(base, list(max_n = 18, stop_any = NULL)))
)
res <- list()
for (i in seq_along(scen)) {
  r <- run(scen[[i]], n_sims, 1000 + i)
  cat(sprintf("%s: %d trials in %.1f s (%.2f trials/s)\n", r$id, n_sims, r$seconds, n_sims / r$seconds))
  res[[i]] <- r
}
pk <- function(p) as.character(packageVersion(p))
doc <- list(
  source = paste("R escalation", pk("escalation"), "simulate_trials (BOIN12 via get_boin12, stop_at_n,",
                 "stop_when_n_at_dose(12, 'any') where stop_any is set, select_boin12_obd); independent",
                 "efficacy and toxicity (PatientSample) unless rho is set (CorrelatedPatientSample, Gaussian copula)"),
  script = "benchmarks/r/boin12_peer_oc.R", r_version = R.version.string,
  packages = list(escalation = pk("escalation"), BOIN = pk("BOIN"), dplyr = pk("dplyr")),
  cohort_size = 3, results = res)
write_json(doc, out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null")
