"""A per-design cache of decisions, keyed by the data a decision depends on.

A model-based design spends nearly all its time on the posterior behind each decision, and a
decision is a pure function of a small key: per-dose patient and DLT counts for the CRM
(:mod:`.crm`), and those counts plus the weights of the partially followed patients, in order
of enrolment, for the TITE-CRM (:mod:`.tite`). Simulated trials revisit the same keys over and
over (every trial starts from the same few states), so the simulators keep the decisions they
have computed in a table and look them up before computing.

The table lives in the tail of the design's float scratch (``work``); its size is read off the
array, so a caller that gives no room (live use) simply computes every decision. A cached
value is what the computation returns for that key, so results are bit-identical with or
without the cache, whatever the table size, thread count or order of trials; the cache only
decides whether the computation runs. Collisions are resolved by comparing the full key:
direct-mapped slots, a new key overwrites the old one.

Layout of one slot (``width`` floats): ``[key length + 1 (0: empty), value, key words ...]``.
Key words are floats holding integers exactly (counts) or the weights themselves.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit
from .rng import mix64

HEAD = 2  # key length + 1, value
#: slots in a simulator's table, per thread: 65,536 x width x 8 bytes (4 MB for the CRM with 5 doses).
#: Measured (CRM logistic, 5 doses, 24 patients): 4,096 slots find 70% of the decisions, 65,536 find
#: 93% once 20,000 trials have run.

SLOTS = 65536
_SCALE = 1048576.0  # key words -> integers for the hash (counts are exact; weights are truncated)


def size(width: int, slots: int = SLOTS) -> int:
    """Floats of scratch for a table of ``slots`` slots of ``width`` floats."""
    return slots * width


@jit(inline=True)
def _slot(work, k, klen, slots):
    h = np.uint64(0x243F6A8885A308D3)
    for i in range(klen):
        h = mix64(h + np.uint64(np.int64(work[k + i] * _SCALE)) * np.uint64(0x9E3779B97F4A7C15))
    return np.int64(h % np.uint64(slots))


@jit(inline=True)
def lookup(work, base, width, k, klen):
    """``(hit, value, offset)``: whether the key ``work[k:k + klen]`` is in the table that
    starts at ``work[base]`` (slots of ``width`` floats, as many as fit), its value, and its
    slot's offset (-1 when there is no table or the key is too long for a slot)."""
    slots = (work.shape[0] - base) // width
    if slots < 1 or klen + HEAD > width:
        return False, 0.0, -1
    o = base + _slot(work, k, klen, slots) * width
    if work[o] != klen + 1:
        return False, 0.0, o
    for i in range(klen):
        if work[o + HEAD + i] != work[k + i]:
            return False, 0.0, o
    return True, work[o + 1], o


@jit(inline=True)
def store(work, o, k, klen, value):
    """Put the key ``work[k:k + klen]`` and ``value`` into the slot at offset ``o`` from
    :func:`lookup` (nothing when ``o`` is -1)."""
    if o < 0:
        return
    work[o] = klen + 1
    work[o + 1] = value
    for i in range(klen):
        work[o + HEAD + i] = work[k + i]


# ------------------------------------------------------------- tables keyed by exact integer words
# The BLRM (:mod:`.blrm`) and EffTox (:mod:`.efftox`) decisions depend on per-dose counts only, so
# their keys pack exactly into int64 words and their tables never need to evict: open addressing
# with linear probing, full keys compared (a hit is always the same state), no new entries once
# half full. Layout (an int64 view of the design's scratch): ``[count, hits, key scratch (kw),
# entries]``, an entry being ``[tag, key words (kw), value]``; ``cap`` entries, a power of two.
# The caller packs its key into ``table[2:2 + kw]`` and takes the tag from :func:`tag_of`.


@jit(inline=True)
def tag_of(key, kw):
    """Nonzero 63-bit hash of ``key[:kw]``."""
    h = np.uint64(0x243F6A8885A308D3)
    for i in range(kw):
        h = mix64(h + np.uint64(key[i]) * np.uint64(0x9E3779B97F4A7C15))
    return np.int64(h >> np.uint64(1)) | np.int64(1)


@jit(inline=True)
def find(table, kw, cap, tag):
    """``(hit, value, entry)``: whether the key in the scratch is in the table, its value, and
    the entry where it is or would go."""
    head = 2 + kw
    mask = cap - 1
    slot = tag & mask
    while True:
        ent = head + slot * (kw + 2)
        t = table[ent]
        if t == 0:
            return False, np.int64(0), ent
        if t == tag:
            same = True
            for i in range(kw):
                if table[ent + 1 + i] != table[2 + i]:
                    same = False
                    break
            if same:
                table[1] += 1  # hits
                return True, table[ent + 1 + kw], ent
        slot = (slot + 1) & mask


@jit(inline=True)
def put(table, kw, cap, ent, tag, value):
    """Store the scratch key with ``value`` at ``ent`` (from a missed :func:`find`), unless the
    table is half full."""
    if 2 * (table[0] + 1) <= cap:
        table[ent] = tag
        for i in range(kw):
            table[ent + 1 + i] = table[2 + i]
        table[ent + 1 + kw] = value
        table[0] += 1
