#!/usr/bin/env bash
# End to end: the simulator's pty (a Kaifa meter, real-time x10) -> `meterlab decode` on the pty
# as a serial port -> a real influxd (Debian's 1.6) or postgres server started here on
# 127.0.0.1 -> the stored values equal the simulator's truth log, telegram by telegram (every
# OBIS code, value and unit, and the meter id). The postgres run also writes the Solarview file,
# which must hold the last energy registers of the truth. Then a P1 meter with gas
# (p1_meter.py on a pty): every reading stored, the gas at its own capture time.
# Usage: db_e2e_test.sh MLAB_BINARY influx|postgres
set -euo pipefail
ml=$1
kind=$2
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "FAIL: $*"; for f in "$tmp"/*.log; do echo "== $f"; tail -20 "$f"; done; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS COMMAND...: polls until COMMAND succeeds
  local end=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}
port=$(free_port)
psql_() { PGCONNECT_TIMEOUT=5 psql -X -A -t -q -h 127.0.0.1 -p "$port" -U postgres "$@"; }

start_influxd() {
  command -v influxd >/dev/null || die "influxd not installed (ci/setup installs Debian's influxdb)"
  cat >"$tmp/influxd.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$(free_port)"
[meta]
  dir = "$tmp/meta"
[data]
  dir = "$tmp/data"
  wal-dir = "$tmp/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$port"
  log-enabled = false
CONF
  influxd -config "$tmp/influxd.conf" >"$tmp/influxd.log" 2>&1 &
  pids+=($!)
  wait_for 30 curl -sf "http://127.0.0.1:$port/ping" || die "influxd did not start"
  curl -sf -XPOST "http://127.0.0.1:$port/query" --data-urlencode "q=CREATE DATABASE meters" >/dev/null
  outputs=(--influx "http://127.0.0.1:$port" --influx-db meters --influx-tag site=e2e)
}

start_postgres() {
  local bin
  bin=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1)")
  [ -x "$bin/initdb" ] && [ -x "$bin/postgres" ] || die "initdb/postgres not installed (ci/setup installs postgresql)"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$tmp"
    as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  fi
  "${as[@]}" "$bin/initdb" -D "$tmp/pg" -A trust -U postgres --no-sync -E UTF8 >"$tmp/initdb.log" 2>&1 || die "initdb"
  "${as[@]}" "$bin/postgres" -D "$tmp/pg" -p "$port" -k "$tmp" -c listen_addresses=127.0.0.1 -c fsync=off \
    >"$tmp/postgres.log" 2>&1 &
  pids+=($!)
  wait_for 30 python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" || die "postgres did not start"
  wait_for 20 psql_ -d postgres -c "SELECT 1" || die "postgres not accepting"
  psql_ -d postgres -c "CREATE DATABASE meters" || die "createdb"
  outputs=(--postgres "host=127.0.0.1 port=$port dbname=meters user=postgres" --solarview "$tmp/solarview.txt")
}

case "$kind" in
  influx) start_influxd ;;
  postgres) start_postgres ;;
  *) die "kind must be influx or postgres" ;;
esac

# The meter: 2 minutes around the hour (lists 1, 2 and the hourly list 3 with the energy), x10.
"$ml" simulate --profile kaifa-kfm001-3ph --pty --link "$tmp/pty" --wait --speed 10 \
  --start 2026-01-05T00:59:00 --duration 2m --truth "$tmp/truth.jsonl" >"$tmp/sim.log" 2>&1 &
sim=$!
pids+=($sim)
wait_for 10 test -e "$tmp/pty" || die "no pty"
"$ml" decode "$tmp/pty" --meter kaifa-kfm001-3ph "${outputs[@]}" >"$tmp/decode.log" 2>&1 &
dec=$!
pids+=($dec)
wait "$sim" || die "simulator failed"
sleep 1
kill -TERM "$dec"
wait "$dec" || die "decode exited with $?"

# The rows stored in measurement / table $1 as JSON lines into $2: {"time": ms, "meter", "obis",
# "value" (number or null), "text", "unit", "time_source"}.
stored_rows() {
  if [ "$kind" = influx ]; then
    curl -sfG "http://127.0.0.1:$port/query" --data-urlencode db=meters --data-urlencode epoch=ms \
      --data-urlencode "q=SELECT * FROM \"$1\"" >"$tmp/stored-$1.json" || die "query"
    python3 - "$tmp/stored-$1.json" >"$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["results"][0]["series"][0]
for v in s["values"]:
    r = dict(zip(s["columns"], v))
    assert r["site"] == "e2e", r
    print(json.dumps({"time": r["time"], "meter": r["meter"], "obis": r["obis"], "value": r.get("value"),
                      "text": r.get("text"), "unit": r.get("unit") or "", "time_source": r.get("time_source")}))
PY
  else
    psql_ -d meters -c "SELECT json_build_object('time', (extract(epoch FROM time) * 1000)::bigint,
        'meter', meter_id, 'obis', obis, 'value', value, 'text', CASE WHEN value IS NULL THEN value_text END,
        'unit', coalesce(unit, ''), 'time_source', time_source) FROM \"$1\"" >"$2" || die "query"
  fi
}
case "$kind" in
  influx) stored_rows meterlab "$tmp/rows.jsonl" ;;
  postgres) stored_rows readings "$tmp/rows.jsonl" ;;
esac

python3 - "$tmp/truth.jsonl" "$tmp/rows.jsonl" "$kind" "$tmp/solarview.txt" <<'PY' || die "stored values differ from the truth"
import json, sys
truth = [json.loads(l) for l in open(sys.argv[1])]
telegrams = [t for t in truth if t["type"] == "telegram"]
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
# One telegram, one arrival time: group the rows by time, in order.
by_time = {}
for r in rows:
    by_time.setdefault(r["time"], []).append(r)
groups = [by_time[t] for t in sorted(by_time)]
assert len(telegrams) > 50, len(telegrams)
assert len(groups) == len(telegrams), f"{len(groups)} stored telegrams, truth has {len(telegrams)}"
meter, n = "meter", 0
for t, g in zip(telegrams, groups):
    meter = t["meter_id"] or meter
    got = {r["obis"]: r for r in g}
    assert len(got) == len(g) == len(t["readings"]), (t["seq"], len(g), len(t["readings"]))
    for want in t["readings"]:
        r = got[want["obis"]]
        assert r["meter"] == meter, (r, meter)
        assert r["unit"] == want["unit"], (r, want)
        v = want["value"]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            assert r["value"] is not None and abs(r["value"] - v) <= 1e-9 * max(1, abs(v)), (r, want)
        else:
            assert r["text"] == v, (r, want)
        n += 1
print(f"{sys.argv[3]}: {n} readings of {len(telegrams)} telegrams stored equal to the truth")
if sys.argv[3] == "postgres":
    last = {}
    for t in telegrams:
        for r in t["readings"]:
            if r["obis"] in ("1-0:1.8.0.255", "1-0:2.8.0.255"):
                last[r["obis"][4:9]] = r["value"] / (1000 if r["unit"] == "Wh" else 1)
    assert len(last) == 2, last
    want = "/?!\n/KAIFA\n" + "".join("%s(%010.3f*kWh)\n" % (k, last[k]) for k in ("1.8.0", "2.8.0")) + "!\n"
    got = open(sys.argv[4]).read()
    assert got == want, (got, want)
    print("solarview: file equals the last energy registers of the truth")
PY
echo "PASS: $kind end to end"

# A P1 meter with gas (DSMR 5) on a pty of its own, into its own measurement / table: every
# reading stored, the gas register at its own capture time, each row saying time_source=meter.
testing=$(dirname "$0")
python3 "$testing/p1_meter.py" "$tmp/p1" "$tmp/p1-truth.jsonl" 30 60 >"$tmp/p1meter.log" 2>&1 &
p1=$!
pids+=($p1)
wait_for 10 test -e "$tmp/p1" || die "no P1 pty"
case "$kind" in
  influx) p1out=(--influx "http://127.0.0.1:$port" --influx-db meters --influx-tag site=e2e
                 --influx-measurement p1) ;;
  postgres) p1out=(--postgres "host=127.0.0.1 port=$port dbname=meters user=postgres" --postgres-table p1) ;;
esac
"$ml" decode "$tmp/p1" --meter dsmr "${p1out[@]}" >"$tmp/decode-p1.log" 2>&1 &
dec=$!
pids+=($dec)
wait "$p1" || die "the P1 meter failed"
kill -TERM "$dec"
wait "$dec" || die "decode of P1 exited with $?"
stored_rows p1 "$tmp/p1-rows.jsonl"
python3 "$testing/p1_check.py" rows "$tmp/p1-truth.jsonl" "$tmp/p1-rows.jsonl" "$kind" ||
  die "stored P1 values differ from what the meter sent"
echo "PASS: $kind end to end with a P1 meter with gas"
