#!/usr/bin/env bash
# A reader that frames by a 1 s read timeout (timeout_reader.py) on a real-time pty run of the
# Kaifa KFM_001 profile (a list every 2 s): it must get every telegram the truth log has, the last
# one included, with its length, and then see the port close and exit cleanly (the port lingers
# after the last frame; before, it vanished with the last telegram still in flight).
#   timeout_reader_test.sh METERLAB_BINARY [DURATION [SIMULATE OPTIONS...]]
set -euo pipefail
ml=$1
duration=${2:-60s}
shift $(( $# > 1 ? 2 : 1 ))
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

"$ml" simulate --profile kaifa-kfm001-3ph --pty --wait --duration "$duration" \
  --start 2026-01-05T11:59:00 "$@" --truth "$tmp/truth" >"$tmp/pty" 2>"$tmp/sim.log" &
sim=$!
for _ in $(seq 200); do [ -s "$tmp/pty" ] && break; sleep 0.05; done
reader_rc=0
python3 "$here/timeout_reader.py" --timeout 1 "$(head -1 "$tmp/pty")" >"$tmp/got" || reader_rc=$?
sim_rc=0
wait "$sim" || sim_rc=$?
[ "$sim_rc" -eq 0 ] || { echo "timeout reader: the simulator failed ($sim_rc)"; cat "$tmp/sim.log"; exit 1; }

python3 - "$tmp/truth" "$tmp/got" "$reader_rc" <<'PY'
import json, sys
truth, got, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
sent = [json.loads(l)["length"] for l in open(truth) if '"type":"telegram"' in l]
lines = [json.loads(l) for l in open(got)]
bursts = [l["n"] for l in lines if "n" in l]
closed = any(l.get("closed") for l in lines)
print("timeout reader: sent %d telegrams, read %d, port closed %s, exit %d"
      % (len(sent), len(bursts), closed, rc))
ok = bursts == sent and closed and rc == 0 and len(sent) > 0
if not ok:
    print("  sent lengths: %s\n  read lengths: %s" % (sent, bursts))
sys.exit(0 if ok else 1)
PY
