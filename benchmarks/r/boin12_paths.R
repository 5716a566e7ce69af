# R escalation's BOIN12 decision (recommended dose and continue) for each outcome string of a
# JSON list -- random trial paths -- written for tests/data/peer_boin12_paths.json.
#   Rscript benchmarks/r/boin12_paths.R IN.json OUT.json
# IN: [{"setting": {...get_boin12 arguments, max_n, stop_any...}, "outcomes": ["1NNN", ...]}, ...]
args <- commandArgs(trailingOnly = TRUE)
.libPaths(c(Sys.getenv("R_LIBS_EFF", "/work/Rlib-eff"), .libPaths()))
suppressMessages({library(escalation); library(jsonlite)})
groups <- fromJSON(args[1], simplifyVector = FALSE)
out <- list()
for (g in groups) {
  s <- g$setting
  m <- get_boin12(num_doses = s$num_doses, phi_t = s$phi_t, phi_e = s$phi_e, u2 = s$u2, u3 = s$u3,
                  n_star = s$n_star, c_t = s$c_t, c_e = s$c_e, start_dose = s$start_dose) %>%
    stop_at_n(n = s$max_n) %>% stop_when_n_at_dose(n = s$stop_any, dose = "any") %>% select_boin12_obd()
  dec <- lapply(g$outcomes, function(o) {
    f <- m %>% fit(o)
    list(outcomes = o, recommended_dose = recommended_dose(f), continue = continue(f))
  })
  out[[length(out) + 1]] <- list(setting = s, decisions = dec)
}
doc <- list(source = paste("R escalation", as.character(packageVersion("escalation")),
                           "get_boin12 %>% stop_at_n %>% stop_when_n_at_dose(any) %>% select_boin12_obd,",
                           "fit() on each outcome string; recommended_dose NA = no dose"),
            script = "benchmarks/r/boin12_paths.R", r_version = R.version.string, groups = out)
write_json(doc, args[2], auto_unbox = TRUE, digits = NA, pretty = FALSE, na = "null")
