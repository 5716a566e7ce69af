"""Per-trial count records.

Every trial loop counts patients, DLTs, low-grade AEs, drop-outs, responses and backfill
patients per dose in int64 scratch of its own (what the decision functions read, so they are
compiled for one array type whatever the records' type) and stores each trial's counts in the
records when the trial ends. The records hold them as int32: a million trials of six doses
then take 24 MB per count instead of 48, and first writes to fresh memory cost system time in a
long run, more so a few seconds after the previous run (benchmarks/bench_pause.py). Against R in
benchmarks/bench_peers.py's interleaved rounds, two A/B pairs: BOIN 939-941x with int64 counts,
1,040-1,057x with int32.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

#: the records' integer type for per-dose counts (a count never exceeds a trial's max_n < 2**31)
COUNT = np.int32


@jit(inline=True)
def store(dst, r, src):
    """Row ``r`` of the records ``dst`` := the trial's counts ``src`` (as many as ``dst`` has columns)."""
    for k in range(dst.shape[1]):
        dst[r, k] = src[k]
