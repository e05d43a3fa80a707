#!/usr/bin/env bash
# End-to-end checks of `meterlab decode` reading a meter: the simulator on a real pty (decoded
# as a serial port), relayed to TCP by socat, unplugged and plugged back (the decoder reopens and
# the counters show the gap), stopped by SIGTERM mid-run (nothing decoded is lost), a key file
# readable by others (warned about, never printed), and the config file with flags over it.
# Usage: decode_e2e_test.sh MLAB_BINARY REPO_DIR SCENARIO   (pty | tcp | unplug | sigterm | keys | config)
set -euo pipefail
ml=$1
repo=$2
scenario=$3
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=/dev/null
source "$(dirname "$0")/../../tools/check_lib.sh"
wait_for() {  # wait_for TEST-ARGS...: up to 10 s
  for _ in $(seq 200); do test "$@" && return 0; sleep 0.05; done
  echo "timed out waiting for: test $*" >&2
  return 1
}
free_port() { py 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
summary() {  # summary STDERR-FILE EXPR: a python expression on the summary object `s`
  py "import json,sys
s=[json.loads(l) for l in open(sys.argv[1]) if l.startswith('{\"summary\"')][-1]['summary']
print($2)" "$1"
}

# Every decoded line equals the truth telegram at the same stream offset (readings by value,
# meter id, security); with "all", every truth telegram was decoded.
equal_to_truth() {  # equal_to_truth TRUTH DECODED all|prefix
  py '
import json, sys
truth = [json.loads(l) for l in open(sys.argv[1])]
truth = [t for t in truth if t["type"] == "telegram"]
dec = [json.loads(l) for l in open(sys.argv[2])]
by_offset = {t["offset"]: t for t in truth}
assert dec, "nothing decoded"
if sys.argv[3] == "all":
    assert len(dec) == len(truth), (len(dec), len(truth))
for d in dec:
    t = by_offset[d["frame"]["offset"]]
    assert d["meter_id"] == t["meter_id"] and d["security"] == t["security"], (d, t)
    key = lambda r: r["obis"] or "@" + r["position"]  # position: a reading no layout names
    a = {key(r): (r["value"], r["unit"]) for r in t["readings"]}
    b = {key(r): (r["value"], r.get("unit")) for r in d["readings"]}
    assert a.keys() == b.keys(), (a, b)
    for k in a:
        va, vb = a[k][0], b[k][0]
        assert va == vb or (isinstance(va, float) and abs(va - vb) < 1e-9), (k, va, vb)
' "$@"
}

start_meter() {  # start_meter LINK TRUTH DURATION SPEED [extra simulate args]
  local link=$1 truth=$2 duration=$3 speed=$4
  shift 4
  "$ml" simulate --profile kaifa-kfm001-3ph --pty --link "$link" --wait --speed "$speed" \
    --duration "$duration" --truth "$truth" "$@" >"$truth.out" 2>"$truth.err" &
  meter_pid=$!
  pids+=("$meter_pid")
  wait_for -e "$link"
}

case "$scenario" in
pty)
  # (a) The simulator's pty read as a serial port with the family's line settings.
  start_meter "$tmp/L" "$tmp/T" 60s 20
  timeout 25 "$ml" decode "$tmp/L" --meter kaifa-no --no-reopen >"$tmp/out" 2>"$tmp/err"
  wait "$meter_pid"
  check "pty: every telegram of the truth decoded and equal" equal_to_truth "$tmp/T" "$tmp/out" all
  check "pty: 30 telegrams" test "$(wc -l <"$tmp/out")" -eq 30
  check "pty: input kind serial" test "$(summary "$tmp/err" 's["input"]["kind"]')" = serial
  check "pty: no rejection" test "$(summary "$tmp/err" 's["rejections"]')" -eq 0
  check "pty: bytes counted" test "$(summary "$tmp/err" 's["input"]["bytes"]')" -eq \
    "$(py 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][-1]["bytes"])' "$tmp/T")"
  check "pty: ends at the hang-up" test "$(summary "$tmp/err" 's["input"]["connections"][0]["end"]')" = "hung up"
  ;;
tcp)
  # (b) socat relays the pty to TCP on 127.0.0.1; decode reads tcp://127.0.0.1:PORT.
  command -v socat >/dev/null || { echo "FAIL: socat not installed (ci/setup installs it)"; exit 1; }
  start_meter "$tmp/L" "$tmp/T" 60s 20
  port=$(free_port)
  socat -u OPEN:"$tmp/L",rawer TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr 2>"$tmp/socat.err" &
  pids+=($!)
  # Listening once the port shows in /proc/net/tcp (state 0A); no probe connection (socat
  # without fork serves exactly one client).
  hexport=$(printf ':%04X ' "$port")
  for _ in $(seq 200); do grep -q "$hexport.* 0A " /proc/net/tcp && break; sleep 0.05; done
  timeout 25 "$ml" decode "tcp://127.0.0.1:$port" --transport hdlc --no-reopen >"$tmp/out" 2>"$tmp/err"
  wait "$meter_pid"
  check "tcp: every telegram decoded and equal" equal_to_truth "$tmp/T" "$tmp/out" all
  check "tcp: input kind tcp" test "$(summary "$tmp/err" 's["input"]["kind"]')" = tcp
  check "tcp: closed by the peer at the end" \
    test "$(summary "$tmp/err" 's["input"]["connections"][0]["end"]')" = "closed by the peer"
  # Nothing listening: the first connect fails, exit 2, the reason named.
  set +e
  "$ml" decode "tcp://127.0.0.1:$(free_port)" >/dev/null 2>"$tmp/err2"
  st=$?
  set -e
  check "tcp: refused -> exit 2" test "$st" -eq 2
  check "tcp: refused named" grep -q "Connection refused" "$tmp/err2"
  ;;
unplug)
  # (c) The meter goes away (pty closed) and comes back on the same link: the decoder reopens.
  start_meter "$tmp/L" "$tmp/T1" 30s 20
  "$ml" decode "$tmp/L" --meter kaifa-no --config <(echo '{"input": {"backoff_initial_ms": 50,
      "backoff_max_ms": 200}}') >"$tmp/out" 2>"$tmp/err" &
  dec=$!
  pids+=("$dec")
  wait "$meter_pid"
  sleep 1  # unplugged for a while
  start_meter "$tmp/L" "$tmp/T2" 30s 20 --seed 7
  wait "$meter_pid"
  sleep 0.5
  kill -TERM "$dec"
  set +e
  wait "$dec"
  st=$?
  set -e
  n1=$(grep -c '"type": *"telegram"' "$tmp/T1")
  n2=$(grep -c '"type": *"telegram"' "$tmp/T2")
  head -n "$n1" "$tmp/out" >"$tmp/out1"
  tail -n +"$((n1 + 1))" "$tmp/out" >"$tmp/out2"
  check "unplug: exit 0 after SIGTERM" test "$st" -eq 0
  check "unplug: both meters decoded" test "$(wc -l <"$tmp/out")" -eq $((n1 + n2))
  check "unplug: before the gap equal to truth 1" equal_to_truth "$tmp/T1" "$tmp/out1" all
  check "unplug: after the gap equal to truth 2" equal_to_truth "$tmp/T2" "$tmp/out2" all
  check "unplug: one reopen" test "$(summary "$tmp/err" 's["input"]["reopens"]')" -ge 1
  check "unplug: one disconnect" test "$(summary "$tmp/err" 's["input"]["disconnects"]')" -ge 1
  check "unplug: the gap is counted (>= 900 ms)" test "$(summary "$tmp/err" 's["input"]["disconnected_ms"]')" -ge 900
  check "unplug: bytes before and after" py "
import json,sys
s=[json.loads(l) for l in open('$tmp/err') if l.startswith('{\"summary\"')][-1]['summary']
t1=[json.loads(l) for l in open('$tmp/T1')][-1]['bytes']; t2=[json.loads(l) for l in open('$tmp/T2')][-1]['bytes']
c=[x for x in s['input']['connections'] if x['bytes'] > 0]
assert [x['bytes'] for x in c] == [t1, t2], (c, t1, t2)
assert c[0]['end'] == 'hung up' and c[1]['gap_before_ms'] >= 900, c
"
  check "unplug: ended by the signal" test "$(summary "$tmp/err" 's["input"]["stopped"]')" = True
  ;;
sigterm)
  # (d) SIGTERM mid-run: exit 0, the counters printed, every telegram decoded so far written
  # (to a file, which is flushed at close), each equal to the truth.
  start_meter "$tmp/L" "$tmp/T" 120s 10
  "$ml" decode "$tmp/L" --meter kaifa-no --json "$tmp/out" 2>"$tmp/err" &
  dec=$!
  pids+=("$dec")
  sleep 3
  kill -TERM "$dec"
  set +e
  wait "$dec"
  st=$?
  set -e
  check "sigterm: exit 0" test "$st" -eq 0
  check "sigterm: counters printed" grep -q '^{"summary":' "$tmp/err"
  n=$(wc -l <"$tmp/out")
  check "sigterm: some telegrams decoded" test "$n" -ge 5
  check "sigterm: every decoded telegram written" test "$(summary "$tmp/err" 's["telegrams"]')" -eq "$n"
  check "sigterm: json sink delivered them all" test "$(summary "$tmp/err" 's["outputs"]["json"]["delivered"]')" -eq "$n"
  check "sigterm: what was written equals the truth" equal_to_truth "$tmp/T" "$tmp/out" prefix
  check "sigterm: stopped" test "$(summary "$tmp/err" 's["input"]["connections"][-1]["end"]')" = stopped
  check "sigterm: stopped flag" test "$(summary "$tmp/err" 's["input"]["stopped"]')" = True
  ;;
keys)
  # (e) An encrypted meter; the key from a key file readable by others: a warning naming the
  # file and its mode; the key in no output. Then the key from a config file and from the env.
  key=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["security"]["ek"])' \
    "$repo/simulator/profiles/kaifa-ma309-tinetz.json")
  title=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["security"]["system_title"])' \
    "$repo/simulator/profiles/kaifa-ma309-tinetz.json")
  upper=$(echo "$key" | tr a-f A-F)
  "$ml" simulate --profile kaifa-ma309-tinetz --duration 2m --out "$tmp/m.bin" --truth "$tmp/T" 2>/dev/null
  echo "{\"keys\": [{\"system_title\": \"$title\", \"ek\": \"$key\"}]}" >"$tmp/keys.json"
  chmod 644 "$tmp/keys.json"
  "$ml" decode "$tmp/m.bin" --keys "$tmp/keys.json" --meter tinetz >"$tmp/out" 2>"$tmp/err"
  check "keys: warning names the file and mode" grep -q "key file $tmp/keys.json (mode 0644) is readable by other users" "$tmp/err"
  check "keys: decrypted and equal" equal_to_truth "$tmp/T" "$tmp/out" all
  check "keys: key not in any output" bash -c "! grep -qi -e '$key' '$tmp/out' '$tmp/err'"
  chmod 600 "$tmp/keys.json"
  "$ml" decode "$tmp/m.bin" --keys "$tmp/keys.json" >"$tmp/out" 2>"$tmp/err"
  check "keys: no warning at 0600" bash -c "! grep -q 'warning:' '$tmp/err'"
  echo "{\"input\": {\"device\": \"$tmp/m.bin\"}, \"keys\": {\"key\": \"$key\"}}" >"$tmp/c.json"
  chmod 640 "$tmp/c.json"
  "$ml" decode --config "$tmp/c.json" --table >"$tmp/table" 2>"$tmp/err"
  check "keys: config file with keys readable by the group: warned" grep -q "config file with keys $tmp/c.json (mode 0640) is readable" "$tmp/err"
  check "keys: from the config file, table output" grep -q "meter " "$tmp/table"
  check "keys: table has the energy register" grep -q "1-0:1.8.0.255" "$tmp/table"
  check "keys: config key not printed" bash -c "! grep -qi -e '$key' -e '$upper' '$tmp/table' '$tmp/err'"
  # On a terminal the table is redrawn in place (cursor home, clear) with bold headings.
  METERLAB_KEY=$key py '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "decode", sys.argv[2], "--table"])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
open(sys.argv[3], "wb").write(out)
' "$ml" "$tmp/m.bin" "$tmp/tty-table"
  check "keys: table redrawn in place on a terminal" grep -q $'\e\[H\e\[J' "$tmp/tty-table"
  check "keys: table on a terminal has the meter" grep -q "4b464d1010000023\|meter " "$tmp/tty-table"
  METERLAB_KEY=$key "$ml" decode "$tmp/m.bin" --json "$tmp/env.jsonl" 2>"$tmp/err"
  check "keys: from the environment" equal_to_truth "$tmp/T" "$tmp/env.jsonl" all
  set +e
  "$ml" decode "$tmp/m.bin" --key "${key:0:30}zz" >/dev/null 2>"$tmp/err"
  st=$?
  check "keys: bad key -> exit 2" test "$st" -eq 2
  check "keys: bad key not echoed" bash -c "! grep -qi -e '${key:0:30}' '$tmp/err'"
  echo '{"keys": [{"ek": 12}]}' >"$tmp/bad-keys.json"
  "$ml" decode "$tmp/m.bin" --keys "$tmp/bad-keys.json" >/dev/null 2>"$tmp/err"
  st=$?
  check "keys: a key of the wrong type -> exit 2" test "$st" -eq 2
  check "keys: names the entry" grep -q 'entry 0: "ek" is not 16 bytes of hex' "$tmp/err"
  "$ml" decode /dev/null >/dev/null 2>"$tmp/err"
  st=$?
  check "a character device that is not a tty ends at its end" test "$st" -eq 0
  set -e
  ;;
config)
  # A config file says what the flags say; flags win; unknown keys and bad values name their path.
  "$ml" simulate --profile aidon-6525 --duration 1m --out "$tmp/a.bin" --truth "$tmp/T" 2>/dev/null
  cat >"$tmp/c.json" <<JSON
{"input": {"device": "/nonexistent", "transport": "hdlc"}, "meter": "aidon-no",
 "outputs": {"json": {"file": "$tmp/from-config.jsonl"}}}
JSON
  "$ml" decode --config "$tmp/c.json" "$tmp/a.bin" 2>"$tmp/err"
  check "config: flag input over the file's, output from the file" equal_to_truth "$tmp/T" "$tmp/from-config.jsonl" all
  "$ml" decode --config "$tmp/c.json" "$tmp/a.bin" --json "$tmp/flag.jsonl" 2>/dev/null
  check "config: --json over the file's" cmp -s "$tmp/from-config.jsonl" "$tmp/flag.jsonl"
  set +e
  echo '{"input": {"baudrate": 2400}}' >"$tmp/bad.json"
  "$ml" decode --config "$tmp/bad.json" "$tmp/a.bin" >/dev/null 2>"$tmp/err"
  st=$?
  check "config: unknown key -> exit 2" test "$st" -eq 2
  check "config: unknown key named by path" grep -q "input.baudrate: expected one of device, .*, got an unknown key" "$tmp/err"
  "$ml" decode "$tmp/a.bin" --parity mark >/dev/null 2>"$tmp/err"
  check "config: bad flag value named by path" grep -q 'input.parity: expected one of none, even, odd, got "mark"' "$tmp/err"
  "$ml" decode "$tmp/a.bin" --meter nosuch >/dev/null 2>"$tmp/err"
  check "config: unknown meter" grep -q 'meter: expected a simulator profile name, .*, got "nosuch"' "$tmp/err"
  "$ml" decode "$tmp/a.bin" --table --json - >/dev/null 2>"$tmp/err"
  check "config: table and json on stdout refused" grep -q "both write to stdout" "$tmp/err"
  "$ml" decode --meter kaifa-kfm001-3ph "$tmp/a.bin" >"$tmp/out" 2>/dev/null
  st=$?
  set -e
  check "config: a simulator profile name is a meter" test "$st" -eq 0
  ;;
*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac

echo "decode_e2e_test $scenario: $passes passed, $fails failed"
test "$fails" -eq 0
