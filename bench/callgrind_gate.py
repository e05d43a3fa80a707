#!/usr/bin/env python3
"""Instruction-count regression gate for meterlab_bench (ci/bench-gate runs it).

Wall-clock figures swing on shared machines; instruction counts do not. For each gated benchmark
the program runs twice under `valgrind --tool=callgrind`, once with --mlab_iterations=LOW and once
with HIGH; the difference of the two totals divided by HIGH - LOW is the instruction count of one
iteration in steady state (start-up, input preparation and warm-up cancel out). The counts are
compared with the baseline file: more than --tolerance (10 %) over the baseline fails.

  callgrind_gate.py --bench build-bench/bench/meterlab_bench --baseline bench/callgrind_baseline.json
  callgrind_gate.py ... --update      # measure and rewrite the baseline file
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# The whole pipeline, each shape the issues name, and the JSON line.
GATED = [
    "Pipeline/KfmList3Plain/Hdlc_157B",
    "Pipeline/KfmList3Sc30/Hdlc_186B",
    "Pipeline/Ma309Sc21/Mbus_376B_2seg",
    "Pipeline/AidonList3Plain/Hdlc_377B",
    "Pipeline/KfmList3Plain/Hdlc_157B/ByteAtATime",
    "Pipeline/KfmList3Sc30/Hdlc_186B/ByteAtATime",
    "Pipeline/Ma309Sc21/Mbus_376B_2seg/ByteAtATime",
    "Pipeline/AidonList3Plain/Hdlc_377B/ByteAtATime",
    "Pipeline/KfmList3Plain/Hdlc_157B/NoShapeCache",
    "Pipeline/KfmList3Sc30/Hdlc_186B/NoShapeCache",
    "Pipeline/Ma309Sc21/Mbus_376B_2seg/NoShapeCache",
    "Pipeline/AidonList3Plain/Hdlc_377B/NoShapeCache",
    "Layer/JsonLine/KfmList3_18readings",
    # Issue 17: P1, DSMR 5 text and encrypted Smarty, whole and byte at a time.
    "Pipeline/P1Dsmr5/P1_890B",
    "Pipeline/P1Dsmr5/P1_890B/ByteAtATime",
    "Pipeline/P1SmartySc30/P1_711B",
    "Pipeline/P1SmartySc30/P1_711B/ByteAtATime",
    # The general P1 path (no shape memory): a meter's first telegram, or one whose lines moved.
    "Pipeline/P1Dsmr5/P1_890B/NoShapeCache",
    "Pipeline/P1SmartySc30/P1_711B/NoShapeCache",
]


def total_ir(bench, name, iterations, workdir):
    out = os.path.join(workdir, "callgrind.%d.out" % iterations)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
           bench, "--benchmark_filter=^%s/iterations:[0-9]+$" % re.escape(name),
           "--mlab_iterations=%d" % iterations]
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if run.returncode != 0 or "ERROR OCCURRED" in run.stdout:
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit("callgrind_gate: %s failed under valgrind" % name)
    if "/iterations:%d" % iterations not in run.stdout:
        raise SystemExit("callgrind_gate: no benchmark named %s ran" % name)
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise SystemExit("callgrind_gate: no total in " + out)


def measure(bench, name, low, high):
    with tempfile.TemporaryDirectory(prefix="mlab-callgrind-") as workdir:
        a = total_ir(bench, name, low, workdir)
        b = total_ir(bench, name, high, workdir)
    return round((b - a) / (high - low))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bench", required=True, help="the meterlab_bench executable")
    ap.add_argument("--baseline", required=True, help="JSON baseline file (bench/...)")
    ap.add_argument("--update", action="store_true", help="rewrite the baseline with the counts")
    ap.add_argument("--tolerance", type=float, default=0.10, help="allowed growth (0.10 = 10%%)")
    ap.add_argument("--low", type=int, default=200, help="iterations of the first run")
    ap.add_argument("--high", type=int, default=1200, help="iterations of the second run")
    ap.add_argument("--only", help="measure only benchmarks whose name contains this")
    args = ap.parse_args()

    names = [n for n in GATED if not args.only or args.only in n]
    counts = {n: measure(args.bench, n, args.low, args.high) for n in names}

    if args.update:
        doc = {
            "about": "Instructions per iteration (callgrind Ir, steady state) of meterlab_bench, "
                     "Release build. ci/bench-gate fails when one grows more than 10% over this. "
                     "Update: ci/bench-gate --update (see bench/README.md).",
            "instructions_per_iteration": counts,
        }
        with open(args.baseline, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        for n, c in counts.items():
            print("%-48s %9d Ir/iteration" % (n, c))
        print("callgrind_gate: baseline written to " + args.baseline)
        return 0

    with open(args.baseline) as f:
        baseline = json.load(f)["instructions_per_iteration"]
    failed = False
    print("%-48s %10s %10s %8s" % ("benchmark", "baseline", "now", "change"))
    for n, c in counts.items():
        base = baseline.get(n)
        if base is None:
            print("%-48s %10s %10d %8s  (not in the baseline)" % (n, "-", c, "-"))
            failed = True
            continue
        change = (c - base) / base
        verdict = "FAIL" if change > args.tolerance else "ok"
        failed |= verdict == "FAIL"
        print("%-48s %10d %10d %+7.1f%%  %s" % (n, base, c, 100 * change, verdict))
    if failed:
        print("callgrind_gate: instruction count over the baseline by more than %d%% (or missing); "
              "see bench/README.md" % round(100 * args.tolerance))
        return 1
    print("callgrind_gate: every count within %d%% of the baseline" % round(100 * args.tolerance))
    return 0


if __name__ == "__main__":
    sys.exit(main())
