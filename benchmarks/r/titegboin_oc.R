# gBOIN (non-TITE) operating characteristics from TITEgBOIN (Mu, Xu, Yuan; the authors' package).
# Usage: R_LIBS=<lib with TITEgBOIN 0.4.0> Rscript titegboin_oc.R NTRIAL OUT.json (tests/data/peer_gboin.json: 20000)
suppressMessages({library(TITEgBOIN); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
ntrial <- as.integer(args[1]); out <- args[2]
m <- function(...) matrix(c(...), nrow = 4)  # columns = doses; rows = categories 0..3
sets <- list(
  list(id = "G1-mid", prob = m(0.80,0.12,0.06,0.02, 0.65,0.18,0.12,0.05, 0.50,0.22,0.18,0.10, 0.35,0.25,0.25,0.15, 0.20,0.25,0.30,0.25),
       ncohort = 10, startdose = 1, n.earlystop = 100, extrasafe = FALSE),
  list(id = "G2-low", prob = m(0.90,0.07,0.02,0.01, 0.85,0.10,0.04,0.01, 0.75,0.15,0.07,0.03, 0.60,0.20,0.13,0.07, 0.45,0.25,0.20,0.10),
       ncohort = 10, startdose = 1, n.earlystop = 12, extrasafe = FALSE),
  list(id = "G3-high-extrasafe", prob = m(0.55,0.20,0.15,0.10, 0.40,0.25,0.20,0.15, 0.30,0.25,0.25,0.20, 0.20,0.25,0.30,0.25, 0.10,0.25,0.35,0.30),
       ncohort = 8, startdose = 2, n.earlystop = 100, extrasafe = TRUE),
  list(id = "G4-binary", prob = c(0.05, 0.12, 0.25, 0.40, 0.55), ncohort = 10, startdose = 1, n.earlystop = 100, extrasafe = FALSE)
)
res <- list()
for (st in sets) {
  t0 <- proc.time()[["elapsed"]]
  target <- if (is.matrix(st$prob)) 0.47 / 1.5 else 0.25
  r <- get_oc_TITE_QuasiBOIN(target = target, prob = st$prob, score = c(0, 0.5, 1, 1.5), TITE = FALSE,
    ncohort = st$ncohort, cohortsize = 3, n.earlystop = st$n.earlystop, startdose = st$startdose,
    extrasafe = st$extrasafe, ntrial = ntrial, seed = 2019)
  el <- proc.time()[["elapsed"]] - t0
  res[[st$id]] <- list(prob = if (is.matrix(st$prob)) lapply(seq_len(ncol(st$prob)), function(j) st$prob[, j]) else st$prob,
    target = target, ncohort = st$ncohort, cohortsize = 3, startdose = st$startdose, n.earlystop = st$n.earlystop,
    extrasafe = st$extrasafe, ntrial = ntrial, seed = 2019, seconds = el, selpercent = r$selpercent,
    npatients = r$npatients, ntox = r$ntox, totaln = r$totaln, percentstop = r$percentstop)
  cat(st$id, el, "\n")
}
meta <- list(call = paste0("get_oc_TITE_QuasiBOIN(target, prob, score = c(0, 0.5, 1, 1.5), TITE = FALSE, ncohort, ",
  "cohortsize = 3, n.earlystop, startdose, extrasafe, ntrial, seed = 2019); other arguments at their defaults ",
  "(p.saf = 0.6 target, p.tox = 1.4 target, cutoff.eli = 0.95, offset = 0.05, Neli = 3)"),
  TITEgBOIN = as.character(packageVersion("TITEgBOIN")), R = R.version.string,
  note = "prob columns are doses, entries P(category 0..3); ntox = mean summed normalized score (score / 1.5) per dose")
write_json(list(meta = meta, runs = res), out, auto_unbox = TRUE, digits = 10, pretty = TRUE)
