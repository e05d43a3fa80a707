#!/usr/bin/env python3
"""Counts the telegrams and readings `meterlab decode` gives over every vector in vectors/.

Usage: tools/count_vector_readings.py METERLAB_BINARY [VECTOR_DIR]
Each vector's input_hex is decoded with its transport and its first key (if any); prints one
line per vector (telegrams, readings, generic telegrams, positional readings) and the totals.
"""
import json
import pathlib
import subprocess
import sys


def decode(binary, vector):
    args = [binary, "decode", "--hex", "--json", "-"]
    transport = vector.get("transport")
    if transport in ("hdlc", "mbus", "apdu"):
        args += ["--transport", transport]
    keys = vector.get("keys") or []
    if keys:
        if keys[0].get("ek"):
            args += ["--key", keys[0]["ek"]]
        if keys[0].get("ak"):
            args += ["--auth-key", keys[0]["ak"]]
    run = subprocess.run(args + ["-"], input=vector["input_hex"], capture_output=True, text=True,
                         timeout=30)
    telegrams = [json.loads(l) for l in run.stdout.splitlines() if l.startswith("{")]
    return [t for t in telegrams if "readings" in t]


def main():
    binary = sys.argv[1]
    root = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "vectors")
    totals = [0, 0, 0, 0]
    for path in sorted(root.rglob("*.json")):
        try:
            vector = json.loads(path.read_text())
        except ValueError:
            continue
        if not isinstance(vector, dict) or "input_hex" not in vector:
            continue
        got = decode(binary, vector)
        row = [len(got), sum(len(t["readings"]) for t in got),
               sum(t.get("layout") == "generic" for t in got),
               sum(r.get("obis") is None for t in got for r in t["readings"])]
        totals = [a + b for a, b in zip(totals, row)]
        print(f"{path.relative_to(root)}: telegrams {row[0]} readings {row[1]} "
              f"generic {row[2]} positional {row[3]}")
    print(f"TOTAL vectors telegrams {totals[0]} readings {totals[1]} generic {totals[2]} "
          f"positional {totals[3]}")


if __name__ == "__main__":
    main()
