# The complete-information benchmark by Wages & Varhegyi's Shiny application ("Application for
# evaluating Phase I methods using a non-parametric optimal benchmark", University of Virginia;
# its server's npoptimal function), for tests/test_benchmark.py's peer check of
# optimal_benchmark(..., ties="random").
# The application is not part of doseesc: pass the path of its app.R. This script parses that file
# and evaluates only the definition of npoptimal found in its server function (shiny is not needed),
# then calls it, as the application does, once per setting.
# Usage: Rscript npoptimal_benchmark.R APP.R B OUT.json   (tests/data/peer_npoptimal.json: B = 100000)
suppressMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
app <- args[1]; B <- as.integer(args[2]); out <- args[3]
exprs <- parse(app)
server <- NULL
for (e in exprs) if (is.call(e) && identical(e[[1]], as.name("<-")) && identical(e[[2]], as.name("server"))) server <- e[[3]]
body_exprs <- as.list(server[[3]])[-1]  # the statements of function(input, output) { ... }
env <- new.env()
for (e in body_exprs) if (is.call(e) && identical(e[[1]], as.name("<-")) && identical(e[[2]], as.name("npoptimal"))) eval(e, env)
stopifnot(is.function(env$npoptimal))
settings <- list(
  list(id = "APP-DEFAULT", r = c(0.05, 0.07, 0.20, 0.35, 0.55, 0.70), theta = 0.20, n = 20, rseed = 580),
  list(id = "S2", r = c(0.05, 0.10, 0.25, 0.40, 0.55), theta = 0.25, n = 24, rseed = 1),
  list(id = "S3", r = c(0.02, 0.06, 0.12, 0.25, 0.40), theta = 0.25, n = 24, rseed = 2),
  list(id = "S4", r = c(0.10, 0.20, 0.30, 0.45, 0.60), theta = 0.30, n = 20, rseed = 3),
  list(id = "S5", r = c(0.30, 0.40, 0.50), theta = 0.20, n = 9, rseed = 4),
  list(id = "S6", r = c(0.05, 0.12, 0.20, 0.28, 0.35, 0.45), theta = 0.25, n = 36, rseed = 5),
  list(id = "S7", r = c(0.01, 0.02, 0.03, 0.05), theta = 0.30, n = 12, rseed = 6))
res <- list()
for (s in settings) {
  t0 <- proc.time()[["elapsed"]]
  txt <- capture.output(env$npoptimal(s$r, s$theta, s$n, B, s$rseed))
  sel_line <- grep("^MTD selection percentage", txt, value = TRUE)
  acc_line <- grep("^Accuracy Index", txt, value = TRUE)
  num <- function(line) as.numeric(strsplit(line, "\t")[[1]][-1])
  res[[length(res) + 1]] <- list(id = s$id, r = s$r, theta = s$theta, n = s$n, B = B, rseed = s$rseed,
                                 selection_percent = num(sel_line)[!is.na(num(sel_line))],
                                 accuracy_index = num(acc_line)[!is.na(num(acc_line))],
                                 printed = txt, seconds = proc.time()[["elapsed"]] - t0)
}
meta <- list(R = R.version.string, app = basename(app), app_md5 = unname(tools::md5sum(app)),
             call = "npoptimal(r, theta, n, B, rseed), the function defined in the application's server",
             note = "selection percentages as the application prints them (one decimal)")
writeLines(toJSON(list(meta = meta, settings = res), auto_unbox = TRUE, digits = 10, pretty = TRUE), out)
