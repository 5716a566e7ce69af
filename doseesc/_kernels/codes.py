"""Integer codes shared by the kernels and the Python layer.

Kernels dispatch on a design code to module-level jitted functions (a jitted function
passed as an argument, or a closure, would defeat numba's on-disk cache).
"""

# Design families.
THREE_PLUS_THREE = 1
INTERVAL = 2  # BOIN, mTPI, mTPI-2, Keyboard, i3+3: table-driven interval designs
CRM = 3
BLRM = 14  # Bayesian logistic regression model (two parameters, deterministic posterior)
EWOC = 15  # escalation with overdose control in Babb, Rogatko & Zacks' parametrisation
# Time-to-event designs: decided at each arrival from partial follow-up, in their own loop
# (``_kernels/tite.py``), never in the cohort loop or exact enumeration.
TITE_BOIN = 21
TITE_CRM = 22
TITE_BOIN12 = 23  # TITE-BOIN12 (Zhou et al. 2022): late-onset toxicity and efficacy, in the TITE loop
TITE_CODES = (TITE_BOIN, TITE_CRM, TITE_BOIN12)
# Phase I/II designs whose decisions use efficacy as well as toxicity: codes 30-39, decided in
# the cohort loop through ``dispatch.decide_eff`` / ``select_eff`` with the per-dose efficacy
# counts (a model-based design such as EffTox takes the next free code here).
BOIN12 = 31
EFFTOX = 32  # EffTox (Thall & Cook 2004): six-parameter model, importance-sampled posterior
EFFICACY_CODES = range(30, 40)
# Backfill designs (BF-BOIN, 3+3, CRM and BLRM with backfill): an arrival-driven loop of their own
# (``_kernels/backfill.py``, which dispatches on these codes), never the cohort loop or exact enumeration.
BF_BOIN = 41
BF_3P3 = 42
BF_CRM = 43
BF_BLRM = 44
BACKFILL_CODES = (BF_BOIN, BF_3P3, BF_CRM, BF_BLRM)
# Graded-toxicity designs (gBOIN): decide on summed toxicity scores, in their own cohort loop
# (``_kernels/graded.py``), on scenarios with AE grades.
GBOIN = 51
QUASI_CRM = 52  # the CRM kernel on summed toxicity scores
GRADED_CODES = (GBOIN, QUASI_CRM)

# Why a trial stopped. 0 means it is still running.
CONTINUE = 0
MAX_N = 1  # reached the maximum sample size
RULE = 2  # the design's own completion rule (3+3 finished, n at dose reached, ...)
SAFETY = 3  # stopped for toxicity: no dose is selected
# Phase I/II designs only: stopped with no dose selected because no dose is acceptable, while at
# least one dose the design considered passes its toxicity criterion (so efficacy excluded it).
# Codes >= SAFETY select no dose.
FUTILITY = 4

STOP_REASONS = ("running", "max_n", "design_rule", "safety", "futility")

# Not a stop reason: a simulated trial exceeded MAX_EVENTS arrivals or enrolments (the time
# model's ranges make this unreachable; the bound keeps every kernel loop finite). The Python
# layer raises a ValueError when a record carries it.
TOO_LONG = -9
MAX_EVENTS = 1_000_000_000
