#!/usr/bin/env bash
# End to end: the simulator's pty -> `meterlab decode <pty> --mqtt 127.0.0.1:PORT` -> a mosquitto
# broker started here (127.0.0.1, a free port, a temp dir) -> `mosquitto_sub -v`. Every reading of
# the truth log must arrive on its topic with its value, in order, every telegram's state
# document must say what the telegram said, and every reading must have its discovery config.
# Then the same for a P1 meter with gas (reader/testing/p1_meter.py on a pty of its own).
# Usage: mqtt_e2e_test.sh path/to/meterlab [profile]
set -euo pipefail

ML=${1:?usage: mqtt_e2e_test.sh path/to/meterlab [profile]}
PROFILE=${2:-kaifa-kfm001-3ph}
fail() { echo "FAIL: $*" >&2; exit 1; }

BROKER=$(command -v mosquitto || true)
[ -n "$BROKER" ] || for p in /usr/sbin/mosquitto /usr/local/sbin/mosquitto; do
  [ -x "$p" ] && BROKER=$p && break
done
[ -n "$BROKER" ] || fail "mosquitto not found (ci/setup installs the mosquitto package)"
command -v mosquitto_sub >/dev/null || fail "mosquitto_sub not found (package mosquitto-clients)"
command -v python3 >/dev/null || fail "python3 not found"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/meterlab-mqtt-e2e-XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$TMP/mosquitto.conf" <<EOF
per_listener_settings false
persistence false
log_dest file $TMP/broker.log
log_type error
log_type warning
log_type notice
user $(id -un)
allow_anonymous true
listener $PORT 127.0.0.1
EOF
"$BROKER" -c "$TMP/mosquitto.conf" & PIDS+=($!)
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || fail "broker not listening on $PORT"

# The subscriber first, so that it sees every message live (not only the retained last ones).
mosquitto_sub -h 127.0.0.1 -p "$PORT" -i e2e-sub -v -t 'e2e/#' -t 'homeassistant/#' \
  > "$TMP/sub.txt" & SUB=$!; PIDS+=("$SUB")
for _ in $(seq 100); do grep -q "as e2e-sub" "$TMP/broker.log" 2>/dev/null && break; sleep 0.1; done
grep -q "as e2e-sub" "$TMP/broker.log" || fail "subscriber did not connect"

# 2 minutes of meter time at 10x: list 1 every 2 s, list 2 every 10 s.
"$ML" simulate --profile "$PROFILE" --pty --link "$TMP/han" --wait --speed 10 --duration 2m \
  --truth "$TMP/truth.jsonl" > "$TMP/sim.out" 2> "$TMP/sim.err" & SIM=$!; PIDS+=("$SIM")
for _ in $(seq 100); do [ -e "$TMP/han" ] && break; sleep 0.1; done
[ -e "$TMP/han" ] || fail "simulator made no pty: $(cat "$TMP/sim.err")"

"$ML" decode "$TMP/han" --meter "$PROFILE" --mqtt "127.0.0.1:$PORT" --mqtt-topic e2e \
  --mqtt-client-id e2e-decode > "$TMP/decode.out" 2> "$TMP/decode.err" & DEC=$!; PIDS+=("$DEC")

wait "$SIM" || fail "simulator failed: $(cat "$TMP/sim.err")"
sleep 1
kill -INT "$DEC"
wait "$DEC" || fail "decode exited $?: $(cat "$TMP/decode.err")"
sleep 1
kill "$SUB"; wait "$SUB" 2>/dev/null || true

python3 - "$TMP/truth.jsonl" "$TMP/sub.txt" <<'EOF'
import json, sys
truth = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
tele = [t for t in truth if t["type"] == "telegram" and t["expect"] == "decode"]
msgs = []
for line in open(sys.argv[2], encoding="utf-8"):
    topic, _, payload = line.rstrip("\n").partition(" ")
    msgs.append((topic, payload))
errors = []
def same(a, b):
    if isinstance(a, (int, float)) and not isinstance(a, bool):
        try:
            return abs(float(b) - a) <= 1e-9 * max(1.0, abs(a))
        except ValueError:
            return False
    return str(a) == b
states = [json.loads(p) for t, p in msgs if t.endswith("/state")]
meters = {s["meter"] for s in states}
if len(meters) != 1:
    errors.append("meters: %s" % sorted(meters))
meter = next(iter(meters)) if meters else "?"
if len(states) != len(tele):
    errors.append("state documents: %d, truth telegrams: %d" % (len(states), len(tele)))
key_of = {}
for t, s in zip(tele, states):
    by_obis = {v["obis"]: (k, v) for k, v in s["readings"].items()}
    for r in t["readings"]:
        if r["obis"] not in by_obis:
            errors.append("seq %d: %s missing from the state" % (t["seq"], r["obis"]))
            continue
        k, v = by_obis[r["obis"]]
        key_of[r["obis"]] = k
        ok = v["value"] is None if r["value"] is None else same(
            r["value"], v["value"] if isinstance(v["value"], str) else json.dumps(v["value"]))
        if not ok or r["unit"] != v["unit"]:
            errors.append("seq %d %s: truth %r, state %r" % (t["seq"], r["obis"], r, v))
# Per-reading topics: the payloads on each topic, in order, are the truth's values in order.
for obis, key in key_of.items():
    want = [r["value"] for t in tele for r in t["readings"] if r["obis"] == obis and r["value"] is not None]
    got = [p for t, p in msgs if t == "e2e/%s/%s" % (meter, key)]
    if len(got) != len(want) or not all(same(w, g) for w, g in zip(want, got)):
        errors.append("%s (%s): %d values, truth %d; first difference at %s" % (
            key, obis, len(got), len(want),
            next((i for i, (w, g) in enumerate(zip(want, got)) if not same(w, g)), min(len(got), len(want)))))
# Discovery: one config per reading, pointing at its topic, with the truth's unit.
configs = {t: json.loads(p) for t, p in msgs if t.startswith("homeassistant/sensor/") and p}
units = {r["obis"]: r["unit"] for t in tele for r in t["readings"]}
for obis, key in key_of.items():
    c = configs.get("homeassistant/sensor/meterlab_%s/%s/config" % (meter, key))
    if c is None:
        errors.append("no discovery config for %s" % key); continue
    if c["state_topic"] != "e2e/%s/%s" % (meter, key):
        errors.append("%s: state_topic %s" % (key, c["state_topic"]))
    if units[obis] and c.get("unit_of_measurement", units[obis]) != units[obis]:
        errors.append("%s: unit %s, truth %s" % (key, c.get("unit_of_measurement"), units[obis]))
    if c["availability_topic"] != "e2e/%s/status" % meter:
        errors.append("%s: availability_topic %s" % (key, c["availability_topic"]))
status = [p for t, p in msgs if t == "e2e/%s/status" % meter]
if status[:1] != ["online"] or status[-1:] != ["offline"]:
    errors.append("status messages: %s" % status)
n_readings = sum(len(t["readings"]) for t in tele)
print("telegrams %d, readings %d, topics %d, discovery configs %d, meter %s" % (
    len(tele), n_readings, len(key_of), len(configs), meter))
if errors:
    print("\n".join(errors[:30]), file=sys.stderr)
    sys.exit(1)
EOF
echo "PASS: every reading of the truth log arrived over MQTT, with its discovery config"

# A P1 meter with gas (DSMR 5, 115200 8N1) on a pty of its own, to the same broker: every state
# and reading, and the discovery configs of energy per tariff, power, gas and diagnostics.
TESTING=$(dirname "$0")/../testing
mosquitto_sub -h 127.0.0.1 -p "$PORT" -i e2e-sub-p1 -v -t 'p1/#' -t 'homeassistant/#' \
  > "$TMP/sub-p1.txt" & SUB=$!; PIDS+=("$SUB")
for _ in $(seq 100); do grep -q "as e2e-sub-p1" "$TMP/broker.log" 2>/dev/null && break; sleep 0.1; done
grep -q "as e2e-sub-p1" "$TMP/broker.log" || fail "P1 subscriber did not connect"
python3 "$TESTING/p1_meter.py" "$TMP/p1" "$TMP/p1-truth.jsonl" 30 60 2> "$TMP/p1.err" & P1=$!; PIDS+=("$P1")
for _ in $(seq 100); do [ -e "$TMP/p1" ] && break; sleep 0.1; done
[ -e "$TMP/p1" ] || fail "the P1 meter made no pty: $(cat "$TMP/p1.err")"
"$ML" decode "$TMP/p1" --meter dsmr --mqtt "127.0.0.1:$PORT" --mqtt-topic p1 \
  --mqtt-client-id e2e-decode-p1 > "$TMP/decode-p1.out" 2> "$TMP/decode-p1.err" & DEC=$!; PIDS+=("$DEC")
wait "$P1" || fail "the P1 meter failed: $(cat "$TMP/p1.err")"
kill -INT "$DEC"
wait "$DEC" || fail "decode of P1 exited $?: $(cat "$TMP/decode-p1.err")"
sleep 1
kill "$SUB"; wait "$SUB" 2>/dev/null || true
python3 "$TESTING/p1_check.py" mqtt "$TMP/p1-truth.jsonl" "$TMP/sub-p1.txt" p1 ||
  fail "P1 over MQTT differs from what the meter sent: $(tail -3 "$TMP/decode-p1.err")"
echo "PASS: a P1 meter with gas over MQTT, with Home Assistant's classes"
