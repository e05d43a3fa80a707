#!/usr/bin/env bash
# End-to-end checks of `meterlab simulate`: --list, identical bytes for the same seed (and the
# printed sha256 is theirs), the truth log against `meterlab decode`, faults from flags and from a
# scenario file, usage errors, keys never printed, and a pty relayed to TCP by socat.
# Usage: simulate_cli_test.sh MLAB_BINARY
set -euo pipefail
ml=$1
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=/dev/null
source "$(dirname "$0")/../../tools/check_lib.sh"
not() { ! "$@"; }

# 1. --list names every profile.
"$ml" simulate --list >"$tmp/list"
check "list: kaifa" grep -q '^kaifa-kfm001-3ph ' "$tmp/list"
check "list: aidon" grep -q '^aidon-6525 ' "$tmp/list"

# 2. Same seed -> same bytes, and the sha256 printed is that of the bytes.
"$ml" simulate --profile aidon-6525 --seed 9 --duration 20m --out "$tmp/a.bin" --truth "$tmp/a.truth" 2>"$tmp/a.err"
"$ml" simulate --profile aidon-6525 --seed 9 --duration 20m - >"$tmp/b.bin" 2>"$tmp/b.err"
"$ml" simulate --profile aidon-6525 --seed 10 --duration 20m --out "$tmp/c.bin" 2>/dev/null
check "same seed, same bytes" cmp -s "$tmp/a.bin" "$tmp/b.bin"
check "other seed, other bytes" not cmp -s "$tmp/a.bin" "$tmp/c.bin"
sum=$(sha256sum "$tmp/a.bin" | cut -d' ' -f1)
check "sha256 printed on exit" grep -q "sha256 $sum" "$tmp/a.err"
check "sha256 in the truth summary" test "$(tail -1 "$tmp/a.truth" | py 'import json,sys; print(json.load(sys.stdin)["sha256"])')" = "$sum"

# 3. The truth log says what `meterlab decode` reads: same count, same readings.
"$ml" decode "$tmp/a.bin" >"$tmp/a.json" 2>/dev/null
check "decode equals truth" py '
import json,sys
truth=[json.loads(l) for l in open(sys.argv[1]) if "\"telegram\"" in l]
dec=[json.loads(l) for l in open(sys.argv[2])]
assert len(truth)==len(dec)==480, (len(truth), len(dec))
for t,d in zip(truth,dec):
    assert t["offset"]==d["frame"]["offset"]
    a={r["obis"]:r["value"] for r in t["readings"]}; b={r["obis"]:r["value"] for r in d["readings"]}
    assert a.keys()==b.keys(), (a,b)
    for k in a: assert a[k]==b[k] or abs(a[k]-b[k])<1e-9, (k,a[k],b[k])
' "$tmp/a.truth" "$tmp/a.json"

# 4. Faults from flags: every faulted telegram is marked, and the decoder rejects what is corrupt.
"$ml" simulate --profile kaifa-kfm001-3ph --duration 1h --fault truncate:p=0.05 --fault noise:p=0.05 \
  --out "$tmp/f.bin" --truth "$tmp/f.truth" 2>/dev/null
"$ml" decode --errors "$tmp/f.bin" >"$tmp/f.json" 2>/dev/null || true
check "faults: truncations recorded and rejected, the rest decoded" py '
import json,sys
truth=[json.loads(l) for l in open(sys.argv[1])]
tel=[t for t in truth if t["type"]=="telegram"]
bad=[t for t in tel if t["expect"]=="reject"]
noise=[t for t in truth if t["type"]=="noise"]
assert 40 < len(bad) < 150 and len(noise) > 40, (len(bad), len(noise))
assert all(f["kind"]=="truncate" for t in bad for f in t["faults"])
out=[json.loads(l) for l in open(sys.argv[2])]
dec={d["frame"]["offset"] for d in out if "frame" in d and "readings" in d}
good={t["offset"] for t in tel if t["expect"]=="decode"}
assert good <= dec, len(good - dec)
assert not (dec & {t["offset"] for t in bad})
' "$tmp/f.truth" "$tmp/f.json"

# 5. A scenario file; flags override it.
cat >"$tmp/s.json" <<'JSON'
{"name": "restart", "profile": "kamstrup-omnipower", "seed": 4, "duration": "30m",
 "faults": [{"kind": "restart", "at": "10m", "for": "2m"}, "clock-jump:at=20m,by=-1h"]}
JSON
"$ml" simulate --scenario "$tmp/s.json" --out "$tmp/s.bin" --truth "$tmp/s.truth" 2>/dev/null
check "scenario: restart event" grep -q '"kind":"restart"' "$tmp/s.truth"
check "scenario: 12 telegrams fewer during 2 min down (180 list 1 + 1 list 2 - 12)" test "$(grep -c '"type":"telegram"' "$tmp/s.truth")" -eq 169
check "scenario: clock jump recorded" grep -q '"kind":"clock_jump"' "$tmp/s.truth"
"$ml" simulate --scenario "$tmp/s.json" --seed 5 --out "$tmp/s5.bin" 2>/dev/null
check "scenario: --seed overrides" not cmp -s "$tmp/s.bin" "$tmp/s5.bin"

# 6. Usage errors: exit 2 and a reason.
st=0; "$ml" simulate --profile nope - >/dev/null 2>"$tmp/err" || st=$?
check "unknown profile: exit 2" test "$st" -eq 2
check "unknown profile: says so" grep -q 'no profile "nope"' "$tmp/err"
st=0; "$ml" simulate --profile aidon-6525 >/dev/null 2>"$tmp/err" || st=$?
check "no output chosen: exit 2" test "$st" -eq 2
st=0; "$ml" simulate --profile aidon-6525 --fault ber:rate=x - >/dev/null 2>"$tmp/err" || st=$?
check "bad fault: exit 2 with the reason" grep -q 'is not a number' "$tmp/err"
st=0; "$ml" simulate --profile aidon-6525 --key 00112233445566778899aabbccddeeff - >/dev/null 2>"$tmp/err" || st=$?
check "key on a plain profile: exit 2" test "$st" -eq 2
check "key on a plain profile: key not printed" not grep -q 00112233445566778899aabbccddeeff "$tmp/err"

# 7. A pty relayed to TCP by socat, read by a client: the bytes equal the file run's.
if command -v socat >/dev/null; then
  "$ml" simulate --profile kaifa-kfm001-3ph --duration 40s --speed 20 --pty --wait \
    >"$tmp/pty.path" 2>"$tmp/pty.err" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$tmp/pty.path" ] && break; sleep 0.05; done
  port=$(py 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  socat -u OPEN:"$(head -1 "$tmp/pty.path")",rawer TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr &
  pids+=($!)
  for _ in $(seq 100); do socat -u TCP:127.0.0.1:"$port" CREATE:"$tmp/tcp.bin" 2>/dev/null && break; sleep 0.05; done
  "$ml" simulate --profile kaifa-kfm001-3ph --duration 40s --out "$tmp/ref.bin" 2>/dev/null
  check "pty -> socat -> tcp: same bytes as the file run" cmp -s "$tmp/ref.bin" "$tmp/tcp.bin"
else
  echo "SKIP: socat not installed (ci/setup installs it)"
fi

echo "simulate_cli_test: $passes passed, $fails failed"
test "$fails" -eq 0
