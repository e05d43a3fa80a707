#!/usr/bin/env python3
"""Prints the figures of a meterlab_bench JSON file (ci/bench writes one) and their ratios.

  report.py RESULTS.json [--markdown] [--check]

Per benchmark: the median CPU time of the repetitions (ns per iteration), frames/s, MB/s. Then the
issue's targets, each as a ratio to a reference point measured in the same run (so that it holds
on a busy machine) and as an absolute figure. Exit status 0: wall-clock figures on a shared
machine are information, the regression gate is ci/bench-gate (instruction counts). With --check
(ci/bench-gate runs every benchmark a few iterations and passes it), 1 when a benchmark reported
an error or one that a target or floor row names is missing.
"""
import json
import sys

# (label, benchmark, reference benchmark or None, target on the ratio, target in ns or None)
TARGETS = [
    ("KFM_001 list 3 plain, full decode", "Pipeline/KfmList3Plain/Hdlc_157B",
     "Ref/Crc16X25ByteTable/KfmList3_157B", None, 200),
    ("KFM_001 list 3 SC 0x30 vs Botan's GCM call alone", "Pipeline/KfmList3Sc30/Hdlc_186B",
     "Ref/BotanGcmDecrypt/KfmList3Sc30_142B", 2.0, 550),
    ("MA309 two-segment SC 0x21 (376 B)", "Pipeline/Ma309Sc21/Mbus_376B_2seg",
     "Ref/BotanCtrDecrypt/Ma309Sc21_336B", None, 650),
    ("Byte at a time vs whole buffer, KFM plain", "Pipeline/KfmList3Plain/Hdlc_157B/ByteAtATime",
     "Pipeline/KfmList3Plain/Hdlc_157B", 1.5, None),
    ("Byte at a time vs whole buffer, KFM SC 0x30", "Pipeline/KfmList3Sc30/Hdlc_186B/ByteAtATime",
     "Pipeline/KfmList3Sc30/Hdlc_186B", 1.5, None),
    ("Byte at a time vs whole buffer, MA309", "Pipeline/Ma309Sc21/Mbus_376B_2seg/ByteAtATime",
     "Pipeline/Ma309Sc21/Mbus_376B_2seg", 1.5, None),
    ("Byte at a time vs whole buffer, Aidon list 3", "Pipeline/AidonList3Plain/Hdlc_377B/ByteAtATime",
     "Pipeline/AidonList3Plain/Hdlc_377B", 1.5, None),
    ("JSON line of a telegram", "Layer/JsonLine/KfmList3_18readings", None, None, 2000),
    # Not targets: the layout walk, what the first telegram of each list costs (shape cache off).
    ("Walk (no shape cache) vs cache, KFM plain", "Pipeline/KfmList3Plain/Hdlc_157B/NoShapeCache",
     "Pipeline/KfmList3Plain/Hdlc_157B", None, None),
    ("Walk (no shape cache) vs cache, MA309", "Pipeline/Ma309Sc21/Mbus_376B_2seg/NoShapeCache",
     "Pipeline/Ma309Sc21/Mbus_376B_2seg", None, None),
    ("Walk (no shape cache) vs cache, Aidon list 3", "Pipeline/AidonList3Plain/Hdlc_377B/NoShapeCache",
     "Pipeline/AidonList3Plain/Hdlc_377B", None, None),
    ("GCM with tag in the engine vs Botan's call alone", "Layer/GcmDecryptWithTag/KfmList3Sc30_142B",
     "Ref/BotanGcmDecrypt/KfmList3Sc30_142B", None, None),
    ("CRC-16/X.25 (engine) vs byte table", "Layer/Crc16X25/KfmList3_157B",
     "Ref/Crc16X25ByteTable/KfmList3_157B", None, None),
    # Issue 17: P1. The CRC target is 2.5 GB/s: 884 bytes in 353 ns.
    ("P1 DSMR 5 (890 B, with gas), full decode", "Pipeline/P1Dsmr5/P1_890B", None, None, 1000),
    ("P1 Smarty SC 0x30 vs Botan's GCM call alone", "Pipeline/P1SmartySc30/P1_711B",
     "Ref/BotanGcmDecrypt/SmartySc30_681B", 2.0, None),
    ("CRC-16/ARC of the DSMR 5 telegram (>= 2.5 GB/s)", "Layer/Crc16Arc/Dsmr5_884B", None, None,
     353),
]

# Targets timed in turns within one benchmark (its counters: decode_ns, botan_ns, ratio), so
# that the two sides see the same moments of a shared host. (label, benchmark, target ratio)
PAIRED = [
    ("P1 Smarty SC 0x30 vs Botan's GCM call alone, in turns",
     "Pipeline/P1SmartySc30/P1_711B/OverBotanGcm", 2.0),
]

# Byte at a time against what it cannot go below (bench_references.cpp): whole buffer plus the
# bare byte loop (state in registers), and whole buffer plus the same loop with its state in an
# object (what a decoder whose state lives between push() calls must do).
# (label, whole buffer, byte at a time, bare loop, loop on an object)
FLOORS = [
    ("KFM plain", "Pipeline/KfmList3Plain/Hdlc_157B", "Pipeline/KfmList3Plain/Hdlc_157B/ByteAtATime",
     "Ref/ByteLoop/KfmList3_157B", "Ref/ByteLoopObject/KfmList3_157B"),
    ("KFM SC 0x30", "Pipeline/KfmList3Sc30/Hdlc_186B", "Pipeline/KfmList3Sc30/Hdlc_186B/ByteAtATime",
     "Ref/ByteLoop/KfmList3Sc30_186B", "Ref/ByteLoopObject/KfmList3Sc30_186B"),
    ("MA309", "Pipeline/Ma309Sc21/Mbus_376B_2seg", "Pipeline/Ma309Sc21/Mbus_376B_2seg/ByteAtATime",
     "Ref/ByteLoop/Ma309Sc21_376B", "Ref/ByteLoopObject/Ma309Sc21_376B"),
    ("Aidon list 3", "Pipeline/AidonList3Plain/Hdlc_377B",
     "Pipeline/AidonList3Plain/Hdlc_377B/ByteAtATime", "Ref/ByteLoop/AidonList3_377B",
     "Ref/ByteLoopObject/AidonList3_377B"),
    # Issue 17's target: at most 1.5 ns a byte on top.
    ("P1 DSMR 5", "Pipeline/P1Dsmr5/P1_890B", "Pipeline/P1Dsmr5/P1_890B/ByteAtATime",
     "Ref/ByteLoop/P1Dsmr5_890B", "Ref/ByteLoopObject/P1Dsmr5_890B"),
]


def medians(doc):
    """name -> {ns, frames_s, bytes_s} from the median aggregates (or the single runs)."""
    out = {}
    for b in doc["benchmarks"]:
        name = b.get("run_name", b["name"]).split("/iterations:")[0]
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        if name in out and b.get("run_type") != "aggregate":
            continue
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        out[name] = {"ns": b["cpu_time"] * scale, "frames_s": b.get("frames/s"),
                     "bytes_s": b.get("bytes/s"), "error": b.get("error_message"),
                     "paired": (b.get("decode_ns"), b.get("botan_ns"), b.get("ratio"))}
    return out


def fmt_rate(v, unit):
    if v is None:
        return "-"
    for div, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return "%.2f %s%s" % (v / div, prefix, unit)
    return "%.0f %s" % (v, unit)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    md = "--markdown" in sys.argv
    m = medians(doc)
    if "--check" in sys.argv and check(m):
        return 1  # before the tables, whose ratios an errored run (time 0) would break
    ctx = doc.get("context", {})
    print("machine: %s CPUs at %s MHz, load %s" % (ctx.get("num_cpus"), ctx.get("mhz_per_cpu"),
                                                  ctx.get("load_avg")))
    print()
    if md:
        print("| benchmark | ns / iteration | frames/s | bytes/s |")
        print("|---|---:|---:|---:|")
    for name, r in m.items():
        if r["error"]:
            print("%-50s ERROR %s" % (name, r["error"]))
            continue
        cells = (name, "%.1f" % r["ns"], fmt_rate(r["frames_s"], "/s"), fmt_rate(r["bytes_s"], "B/s"))
        print(("| %s | %s | %s | %s |" if md else "%-50s %10s %14s %14s") % cells)
    print()
    if md:
        print("| target | figure | ratio to reference | met |")
        print("|---|---:|---:|---|")
    for label, name, ref, ratio_target, ns_target in TARGETS:
        if name not in m or (ref and ref not in m):
            continue
        ns = m[name]["ns"]
        ratio = ns / m[ref]["ns"] if ref else None
        met = []
        if ns_target is not None:
            met.append(ns <= ns_target)
        if ratio_target is not None:
            met.append(ratio <= ratio_target)
        goal = " / ".join(g for g in ("<= %d ns" % ns_target if ns_target else "",
                                      "<= %.1fx" % ratio_target if ratio_target else "") if g)
        verdict = ("yes" if all(met) else "NO") if met else "-"
        ratio_text = "%.2fx %s" % (ratio, ref) if ratio is not None else "-"
        if md:
            print("| %s (%s) | %.0f ns | %s | %s |" % (label, goal or "reference", ns, ratio_text,
                                                     verdict))
        else:
            print("%-52s %8.0f ns  %-48s %-22s %s" % (label, ns, ratio_text, goal, verdict))
    print_paired(m, md)
    print_floors(m, md)
    return 0


def check(m):
    """1, with the reasons on stderr, when the run is not whole: an error, or a row's benchmark
    missing."""
    named = {n for row in TARGETS for n in row[1:3] if n} | {n for row in FLOORS for n in row[1:]}
    named |= {row[1] for row in PAIRED}
    problems = ["%s: %s" % (n, r["error"]) for n, r in m.items() if r["error"]]
    problems += ["%s: not in the results" % n for n in sorted(named - set(m))]
    for p in problems:
        sys.stderr.write("report.py --check: %s\n" % p)
    return 1 if problems else 0


def print_paired(m, md):
    """The targets timed in turns: each side's ns a telegram and their ratio."""
    for label, name, target in PAIRED:
        if name not in m or m[name]["error"] or None in m[name]["paired"]:
            continue
        decode, botan, ratio = m[name]["paired"]
        verdict = "yes" if ratio <= target else "NO"
        if md:
            print("| %s (<= %.1fx) | %.0f ns | %.2fx (%.0f ns) | %s |" % (label, target, decode,
                                                                      ratio, botan, verdict))
        else:
            print("%-52s %8.0f ns  %.2fx over %.0f ns%s <= %.1fx %s" % (
                label, decode, ratio, botan, " " * 29, target, verdict))


def print_floors(m, md):
    """Byte at a time: its ratio to whole buffer, and the ratios the two byte loops alone give."""
    rows = [f for f in FLOORS if all(n in m for n in f[1:])]
    if not rows:
        return
    print()
    head = ("byte at a time", "ratio", "floor: bare loop", "floor: loop on an object",
            "ns a byte on top (bare / object)")
    if md:
        print("| %s |" % " | ".join(head))
        print("|---|---:|---:|---:|---:|")
    else:
        print("%-16s %8s %18s %26s %34s" % head)
    for label, whole, bytewise, bare, obj in rows:
        w = m[whole]["ns"]
        n = m[bare]["bytes_s"] / m[bare]["frames_s"]  # the telegram's bytes (one frame a loop)
        on_top = (m[bytewise]["ns"] - w) / n
        cells = (label, "%.2fx" % (m[bytewise]["ns"] / w), "%.2fx" % ((w + m[bare]["ns"]) / w),
                 "%.2fx" % ((w + m[obj]["ns"]) / w),
                 "%.2f (%.2f / %.2f)" % (on_top, m[bare]["ns"] / n, m[obj]["ns"] / n))
        print(("| %s | %s | %s | %s | %s |" if md else "%-16s %8s %18s %26s %34s") % cells)


if __name__ == "__main__":
    sys.exit(main())
