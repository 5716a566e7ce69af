"""Where TITE-BOIN's simulator spends its time, by sampling (issue 15).

Run from the repository root after installing doseesc, on Linux with ``perf`` installed::

    python benchmarks/profile_tite_boin.py [--seconds 15] [--disasm FILE]

A child process runs ``bench_peers.py``'s tite-boin case (6 doses, 36 patients, late onset,
Poisson accrual, ESS estimate; 200,000 trials a call, one thread) in a loop; once it is warm,
``perf record -e cpu-clock`` samples it. This machine (a KVM guest) has no hardware counters,
but the kernel's software clock samples any process. numba's compiled code has no symbols for
perf, so the child writes the anonymous executable memory it maps (where numba's JIT puts the
code) to a file, and the samples falling in it are counted by address.

Prints the share of the samples by shared object and symbol (libm's logarithm, NumPy, the
kernel, ...) and, inside the compiled code, by 256-byte block, hottest first. With ``--disasm``
(needs the ``capstone`` package, not a doseesc dependency) it also writes the disassembly of the
compiled code with each instruction's sample count, which is how the README's split of the loop
(settling, enrolment, the decision's follow-up sum) was read: by the code of the hottest blocks,
not by any symbol.
"""

from __future__ import annotations

import argparse
import collections
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import ctypes, os, pickle, sys, time
import doseesc as de
tm = de.TimeModel(window=3, accrual="poisson", rate=2, onset="late")
d = de.TITEBOIN(target=0.3, max_n=36, cohort_size=3, estimate="ess")
sc = de.Scenario([0.13, 0.28, 0.41, 0.50, 0.60, 0.70], target=0.3, time=tm)
de.simulate(d, sc, n_trials=10_000, seed=0, threads=1)
regions = []
for line in open("/proc/self/maps"):
    f = line.split()
    if "x" in f[1] and len(f) == 5:  # executable and backed by no file: the JIT's code
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        regions.append((lo, ctypes.string_at(lo, hi - lo)))
pickle.dump(regions, open(sys.argv[1], "wb"))
open(sys.argv[2], "w").write("ready")
t0, i = time.time(), 0
while time.time() - t0 < float(sys.argv[3]):
    de.simulate(d, sc, n_trials=200_000, seed=i + 1, threads=1)
    i += 1
"""


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=15.0, help="sampling time (default 15)")
    ap.add_argument("--disasm", help="write the annotated disassembly of the compiled code here")
    args = ap.parse_args(argv)
    perf = shutil.which("perf")
    if perf is None:
        sys.exit("profile_tite_boin: needs perf (Debian: apt-get install linux-perf)")
    tmp = tempfile.mkdtemp(prefix="doseesc-prof-")
    regs_f, ready_f, data_f = (os.path.join(tmp, x) for x in ("regions.pkl", "ready", "perf.data"))
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    child = subprocess.Popen([sys.executable, "-c", CHILD, regs_f, ready_f, str(args.seconds + 30)], env=env)
    while not os.path.exists(ready_f):
        if child.poll() is not None:
            sys.exit("profile_tite_boin: the simulation process ended before it was ready")
        time.sleep(0.2)
    time.sleep(1.0)
    subprocess.run([perf, "record", "-q", "-e", "cpu-clock", "-F", "4999", "-p", str(child.pid), "-o", data_f,
                    "--", "sleep", str(args.seconds)], check=True, stdout=subprocess.DEVNULL)
    child.kill()
    child.wait()
    script = subprocess.run([perf, "script", "-i", data_f, "-F", "ip,sym,dso"], capture_output=True, text=True,
                            check=True).stdout
    regions = pickle.load(open(regs_f, "rb"))
    by_sym, by_ip = collections.Counter(), collections.Counter()
    total = 0
    for line in script.splitlines():
        f = line.split(None, 1)
        if not f:
            continue
        total += 1
        ip = int(f[0], 16)
        if any(lo <= ip < lo + len(code) for lo, code in regions):
            by_ip[ip] += 1
            by_sym["numba's compiled code"] += 1
        else:
            rest = f[1] if len(f) > 1 else "?"
            sym, _, dso = rest.rpartition(" (")
            by_sym[f"{sym.strip() or '?'} ({os.path.basename(dso.rstrip(')'))})"] += 1
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{total:,} samples (cpu-clock, 4999 Hz, {args.seconds:g} s)\n")
    print("| where | share of the samples |\n|---|---:|")
    for k, v in by_sym.most_common(15):
        print(f"| {k} | {100 * v / total:.1f}% |")
    blocks = collections.Counter()
    for ip, c in by_ip.items():
        blocks[ip // 256 * 256] += c
    base = min(lo for lo, _ in regions)
    print("\n| compiled code, 256-byte block (offset in the JIT's memory) | share |\n|---|---:|")
    for b, c in blocks.most_common(20):
        print(f"| +0x{b - base:x} | {100 * c / total:.1f}% |")
    if args.disasm:
        import capstone  # optional: only for the annotated listing

        md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        md.skipdata = True
        with open(args.disasm, "w") as fh:
            for lo, code in regions:
                fh.write(f"# region at +0x{lo - base:x}, {len(code):,} bytes\n")
                for ins in md.disasm(code, lo):
                    fh.write(f"{by_ip.get(ins.address, 0):6d} +{ins.address - base:6x} {ins.mnemonic} {ins.op_str}\n")
        print(f"\nannotated disassembly: {args.disasm}")


if __name__ == "__main__":
    main()
