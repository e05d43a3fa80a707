#!/usr/bin/env python3
"""ci/demo_check.py NAME TRUTH DECODED: one simulated meter of the demo, its decoded telegrams
(meterlab decode --errors JSON lines) against the simulator's truth log.

Telegrams are matched by content and time, not by stream offset: in order, each sent telegram
with the decoded one of the same meter clock (and the same readings when the list has no
clock). A reading that differs makes the telegram wrong; a sent telegram that nothing matches is
missed ("cut at start" when it is the first and the decoder's first report is a link-layer
rejection of the bytes at stream offset 0); a decoded telegram that matches nothing is a phantom. Prints one line (and
the first differences); exit 0 only when every sent telegram was decoded equal and there is no
phantom."""
import json
import math
import sys

LOOKAHEAD = 4  # decoded telegrams looked at for each sent one (a lost telegram shifts the rest)
LINK_LAYERS = ("hdlc", "mbus", "link")  # a cut first frame is reported by the framer


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def same_value(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def key(r):
    """A reading's OBIS code, or for one no layout names its position (issue 16)."""
    return r["obis"] if r.get("obis") is not None else "@" + r["position"]


def differences(sent, got):
    """What differs between the readings of a sent and a decoded telegram ([] when equal)."""
    want = {key(r): (r["value"], r.get("unit", "")) for r in sent["readings"]}
    have = {key(r): (r["value"], r.get("unit", "")) for r in got["readings"]}
    out = []
    for obis, (value, unit) in want.items():
        if obis not in have:
            out.append("%s missing" % obis)
        elif not same_value(value, have[obis][0]) or unit != have[obis][1]:
            out.append("%s: sent %r %s, decoded %r %s" % (obis, value, unit, *have[obis]))
    out += ["%s decoded but not sent" % o for o in have if o not in want]
    return out


def matches(sent, got):
    if sent.get("timestamp") is not None:
        return got.get("timestamp") == sent["timestamp"]
    return not differences(sent, got)


def grade(sent_all, decoded, errors):
    counts = {"equal": 0, "wrong": 0, "missed": 0, "phantom": 0, "cut_at_start": 0}
    notes = []
    used = set()
    j = 0
    for i, sent in enumerate(sent_all):
        hit = next((k for k in range(j, min(j + LOOKAHEAD, len(decoded)))
                    if k not in used and matches(sent, decoded[k])), None)
        if hit is None:
            cut = (i == 0 and errors and errors[0][1] in LINK_LAYERS and errors[0][0] == 0
                   and (not decoded or decoded[0]["frame"]["offset"] > 0))
            counts["cut_at_start" if cut else "missed"] += 1
            notes.append("telegram %d (%s): %s" % (i, sent.get("timestamp"),
                                                   "cut at start" if cut else "missed"))
            continue
        used.add(hit)
        j = hit + 1
        diff = differences(sent, decoded[hit])
        if diff:
            counts["wrong"] += 1
            notes.append("telegram %d (%s): %s" % (i, sent.get("timestamp"), "; ".join(diff[:3])))
        else:
            counts["equal"] += 1
    counts["phantom"] = len(decoded) - len(used)
    return counts, notes


def main():
    name, truth_path, decoded_path = sys.argv[1:4]
    sent = [t for t in load(truth_path) if t.get("type") == "telegram" and t.get("expect") != "reject"]
    lines = load(decoded_path)
    decoded = [d for d in lines if "readings" in d]
    errors = [(d["error"]["frame"]["offset"], d["error"]["layer"]) for d in lines if "error" in d]
    counts, notes = grade(sent, decoded, errors)
    ok = counts["equal"] == len(sent) and counts["phantom"] == 0 and len(sent) > 0
    print("  %-24s sent %3d, decoded %3d, equal %3d, wrong %d, missed %d, cut at start %d, "
          "phantom %d  %s" % (name, len(sent), len(decoded), counts["equal"], counts["wrong"],
                              counts["missed"], counts["cut_at_start"], counts["phantom"],
                              "ok" if ok else "FAIL"))
    for n in notes[:5]:
        print("      " + n)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
