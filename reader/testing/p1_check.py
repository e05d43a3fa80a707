#!/usr/bin/env python3
"""Checks what an output made of p1_meter.py's telegrams against its truth file (end-to-end tests).

  p1_check.py rows TRUTH ROWS.jsonl KIND   stored rows {"time", "meter", "obis", "value", "text",
                                           "unit", "time_source"} of influx or postgres
  p1_check.py mqtt TRUTH SUB.txt BASE      `mosquitto_sub -v` output, topics under BASE

Every reading is stored at its own time (the gas register and the power-failure log's entries at
their capture times, the rest at the telegram's 0-0:1.0.0 in UTC) with time_source "meter"; MQTT
gets every state document and reading (of a code repeated in a telegram, the first: the log's
newest entry), and Home Assistant discovery configs with the classes of a P1 meter with gas. Exits non-zero
with the differences on stderr.
"""
import collections
import datetime
import json
import sys


def same(want, got):
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        try:
            return abs(float(got) - want) <= 1e-9 * max(1.0, abs(want))
        except (TypeError, ValueError):
            return False
    return str(want) == got


def check_rows(truth, rows, kind):
    errors = []
    want = collections.Counter()
    values = {}
    for t in truth:
        for r in t["readings"]:
            want[(r["t_ms"], r["obis"])] += 1
            values[(r["t_ms"], r["obis"])] = r
    # InfluxDB keeps one point per series and time: the gas register captured once is one point
    # however many telegrams repeated it. PostgreSQL keeps a row per reading.
    if kind == "influx":
        want = collections.Counter(set(want))
    got = collections.Counter((r["time"], r["obis"]) for r in rows)
    if got != want:
        missing = list((want - got).items())[:5]
        extra = list((got - want).items())[:5]
        errors.append("rows differ: missing %s, unexpected %s" % (missing, extra))
    for r in rows:
        w = values.get((r["time"], r["obis"]))
        if w is None:
            continue
        stored = r["value"] if isinstance(w["value"], (int, float)) else r["text"]
        if not same(w["value"], stored):
            errors.append("%s at %d: stored %r, truth %r" % (r["obis"], r["time"], stored, w["value"]))
        if (r["unit"] or "") != w["unit"]:
            errors.append("%s: unit %r, truth %r" % (r["obis"], r["unit"], w["unit"]))
        if r["meter"] != truth[0]["meter_id"] or r["time_source"] != "meter":
            errors.append("%s: meter %r, time_source %r" % (r["obis"], r["meter"], r["time_source"]))
    gas_times = {r["time"] for r in rows if r["obis"] == "0-1:24.2.1.255"}
    tele_times = {t["t_ms"] for t in truth}
    if not gas_times or gas_times & tele_times:
        errors.append("gas stored at %s, not only at its capture times" % sorted(gas_times))
    print("%s: %d rows of %d P1 telegrams, gas at %d capture times" % (
        kind, len(rows), len(truth), len(gas_times)))
    return errors


HA = {  # obis -> (device_class, state_class, unit, diagnostic) of the discovery config
    "1-0:1.8.1.255": ("energy", "total_increasing", "Wh", False),
    "1-0:1.8.2.255": ("energy", "total_increasing", "Wh", False),
    "1-0:2.8.1.255": ("energy", "total_increasing", "Wh", False),
    "1-0:2.8.2.255": ("energy", "total_increasing", "Wh", False),
    "1-0:1.7.0.255": ("power", "measurement", "W", False),
    "1-0:2.7.0.255": ("power", "measurement", "W", False),
    "1-0:32.7.0.255": ("voltage", "measurement", "V", False),
    "1-0:31.7.0.255": ("current", "measurement", "A", False),
    "0-1:24.2.1.255": ("gas", "total_increasing", "m\u00b3", False),
    "0-0:96.7.21.255": (None, "total_increasing", None, True),
    "0-0:96.7.9.255": (None, "total_increasing", None, True),
    "0-0:96.7.19.255": ("duration", "measurement", "s", True),
    "0-0:96.13.0.255": (None, None, None, True),
    "0-0:96.1.1.255": (None, None, None, True),
}


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def current(readings):
    """The first reading of each OBIS code: MQTT's current value (later ones are a log's history)."""
    seen = {}
    for r in readings:
        seen.setdefault(r["obis"], r)
    return list(seen.values())


def check_mqtt(truth, msgs, base):
    errors = []
    meter = truth[0]["meter_id"]
    truth = [dict(t, readings=current(t["readings"])) for t in truth]
    states = [json.loads(p) for t, p in msgs if t == "%s/%s/state" % (base, meter)]
    if len(states) != len(truth):
        errors.append("state documents: %d, telegrams %d" % (len(states), len(truth)))
    key_of = {}
    for t, s in zip(truth, states):
        if s["time"] != iso(t["t_ms"]):
            errors.append("state time %s, truth %s" % (s["time"], iso(t["t_ms"])))
        by_obis = {v["obis"]: (k, v) for k, v in s["readings"].items()}
        for r in t["readings"]:
            k, v = by_obis.get(r["obis"], (None, None))
            if v is None or not same(r["value"], v["value"] if isinstance(v["value"], str)
                                     else json.dumps(v["value"])) or v["unit"] != r["unit"]:
                errors.append("%s: truth %r, state %r" % (r["obis"], r, v))
            key_of[r["obis"]] = k
    for obis, key in key_of.items():
        want = [r["value"] for t in truth for r in t["readings"] if r["obis"] == obis]
        got = [p for t, p in msgs if t == "%s/%s/%s" % (base, meter, key)]
        if len(got) != len(want) or not all(same(w, g) for w, g in zip(want, got)):
            errors.append("topic %s: %d payloads, truth %d" % (key, len(got), len(want)))
    prefix = "homeassistant/sensor/meterlab_%s/" % meter
    configs = {t: json.loads(p) for t, p in msgs if t.startswith(prefix) and p}
    names = {c["device"]["name"] for c in configs.values()}
    if len(names) != 1 or {c["device"].get("manufacturer") for c in configs.values()} != {"Iskraemeco"}:
        errors.append("device names %s (one name, by Iskraemeco)" % names)
    for obis, (dc, sc, unit, diag) in HA.items():
        c = configs.get(prefix + "%s/config" % key_of.get(obis))
        if c is None:
            errors.append("no discovery config for %s" % obis)
            continue
        got = (c.get("device_class"), c.get("state_class"), c.get("unit_of_measurement"),
               c.get("entity_category") == "diagnostic")
        if got != (dc, sc, unit, diag):
            errors.append("%s: discovery %s, want %s" % (obis, got, (dc, sc, unit, diag)))
    print("mqtt: %d P1 state documents, %d topics, %d discovery configs, device %s" % (
        len(states), len(key_of), len(configs), sorted(names)))
    return errors


def main():
    mode, truth_path, data_path, arg = sys.argv[1:5]
    truth = [json.loads(l) for l in open(truth_path) if l.strip()]
    if len(truth) < 10:
        print("FAIL: only %d P1 telegrams written" % len(truth), file=sys.stderr)
        return 1
    if mode == "rows":
        errors = check_rows(truth, [json.loads(l) for l in open(data_path) if l.strip()], arg)
    else:
        msgs = [l.rstrip("\n").partition(" ")[::2] for l in open(data_path, encoding="utf-8")]
        errors = check_mqtt(truth, msgs, arg)
    if errors:
        print("\n".join(errors[:30]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
