# crmPack 2.0.1 simulate() of a BLRM/NCRM design, for tests/data/peer_crmpack_sim.json and the benchmark.
# Usage: Rscript crmpack_sim.R OUT.json N_TRIALS SCENARIOS(comma list, 1-3) [burnin step samples]
suppressMessages({library(crmPack); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
out_file <- args[1]; nsim <- as.integer(args[2]); which_sc <- as.integer(strsplit(args[3], ",")[[1]])
mc <- if (length(args) >= 6) as.numeric(args[4:6]) else c(10000, 2, 10000)  # crmPack's defaults
grid <- c(5, 10, 20, 40, 60, 80, 120)
scenarios <- list(c(0.02, 0.05, 0.10, 0.20, 0.30, 0.45, 0.60),
                  c(0.01, 0.02, 0.04, 0.06, 0.10, 0.15, 0.25),
                  c(0.15, 0.30, 0.45, 0.60, 0.70, 0.80, 0.90))
model <- LogisticLogNormal(mean = c(-0.85, 1), cov = matrix(c(1, -0.5, -0.5, 1), nrow = 2), ref_dose = 40)
design <- Design(
  model = model,
  nextBest = NextBestNCRM(target = c(0.2, 0.35), overdose = c(0.35, 1), max_overdose_prob = 0.25),
  stopping = StoppingMinPatients(nPatients = 24) |
    (StoppingPatientsNearDose(nPatients = 9, percentage = 0) & StoppingTargetProb(target = c(0.2, 0.35), prob = 0.5)) |
    StoppingMissingDose(),
  increments = IncrementsMin(list(IncrementsRelative(intervals = 0, increments = 1),
                                  IncrementsDoseLevels(levels = 1, basis_level = "max"))),
  cohort_size = CohortSizeConst(size = 3),
  data = Data(doseGrid = grid),
  startingDose = 5)
opts <- McmcOptions(burnin = mc[1], step = mc[2], samples = mc[3])
res <- list()
for (s in which_sc) {
  p <- scenarios[[s]]
  truth <- function(dose) p[match(dose, grid)]
  t0 <- proc.time()
  sim <- simulate(design, nsim = nsim, seed = 1000 + s, truth = truth, mcmcOptions = opts, parallel = FALSE)
  t1 <- proc.time()
  secs <- t1[["elapsed"]] - t0[["elapsed"]]
  cpu <- (t1[["user.self"]] + t1[["sys.self"]]) - (t0[["user.self"]] + t0[["sys.self"]])
  sel <- sim@doses
  n_pat <- t(sapply(sim@data, function(d) tabulate(match(d@x, grid), nbins = length(grid))))
  n_dlt <- t(sapply(sim@data, function(d) tabulate(match(d@x[d@y == 1], grid), nbins = length(grid))))
  res[[paste0("scenario", s)]] <- list(
    p_tox = p, n_trials = nsim, seconds = secs, cpu_seconds = cpu,
    selected_level = ifelse(is.na(sel), 0L, match(sel, grid)),
    n_patients = n_pat, n_dlt = n_dlt)
}
out <- list(meta = list(crmPack = as.character(packageVersion("crmPack")), rjags = as.character(packageVersion("rjags")),
                        jags = as.character(rjags::jags.version()), R = R.version.string,
                        mcmc = sprintf("McmcOptions(burnin = %g, step = %g, samples = %g)", mc[1], mc[2], mc[3]),
                        design = paste(deparse(quote(Design(
  model = LogisticLogNormal(mean = c(-0.85, 1), cov = matrix(c(1, -0.5, -0.5, 1), nrow = 2), ref_dose = 40),
  nextBest = NextBestNCRM(target = c(0.2, 0.35), overdose = c(0.35, 1), max_overdose_prob = 0.25),
  stopping = StoppingMinPatients(24) | (StoppingPatientsNearDose(9, percentage = 0) & StoppingTargetProb(c(0.2, 0.35), 0.5)) | StoppingMissingDose(),
  increments = IncrementsMin(list(IncrementsRelative(intervals = 0, increments = 1), IncrementsDoseLevels(levels = 1, basis_level = "max"))),
  cohort_size = CohortSizeConst(3), data = Data(doseGrid = c(5, 10, 20, 40, 60, 80, 120)), startingDose = 5))), collapse = " "),
                        simulate = "simulate(design, nsim, seed = 1000 + scenario, truth, mcmcOptions, parallel = FALSE)"),
            results = res)
writeLines(toJSON(out, auto_unbox = TRUE, digits = 10, pretty = FALSE), out_file)
