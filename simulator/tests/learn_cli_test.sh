#!/usr/bin/env bash
# End-to-end checks of `meterlab simulate --learn` (issue 18): a capture (binary and hex) of an
# encrypted M-Bus meter is learned, saved without its key (with it only on --save-keys), loaded
# with --profile FILE and simulated for an hour, every telegram of which `meterlab decode` reads
# as its truth says; --learn in place of --profile; bad captures exit 2 with what and where.
# Usage: learn_cli_test.sh MLAB_BINARY
set -euo pipefail
ml=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=/dev/null
source "$(dirname "$0")/../../tools/check_lib.sh"
not() { ! "$@"; }
key=36c66639e48a8ca4d6bc8b282a793bbb  # the kaifa-ma309-evn profile's own (published test) key

# 1. A capture of a meter's port: a minute of the EVN profile, binary and as hex lines.
"$ml" simulate --profile kaifa-ma309-evn --duration 1m --out "$tmp/cap.bin" 2>/dev/null
py "
b = open('$tmp/cap.bin', 'rb').read().hex()
open('$tmp/cap.hex', 'w').write('\\n'.join(b[i:i + 64] for i in range(0, len(b), 64)) + '\\n')"
"$ml" simulate --learn "$tmp/cap.bin" --key "$key" --save-profile "$tmp/p.json" 2>"$tmp/learn.err"
"$ml" simulate --learn "$tmp/cap.hex" --key "$key" --save-profile "$tmp/q.json" 2>/dev/null
check "learned: says what it learned" grep -q 'learned learned-cap from 12 telegrams, 1 list' "$tmp/learn.err"
check "hex capture learns as the binary one" cmp -s "$tmp/p.json" "$tmp/q.json"
check "saved profile: no key" not grep -qi "$key" "$tmp/p.json"
check "key never printed" not grep -qi "$key" "$tmp/learn.err"
printf '{"keys": [{"system_title": "4b464d6750000009", "ek": "%s"}]}\n' "$key" >"$tmp/keys.json"
chmod 600 "$tmp/keys.json"
"$ml" simulate --learn "$tmp/cap.bin" --keys "$tmp/keys.json" --save-profile "$tmp/f.json" 2>/dev/null
check "--keys FILE learns as --key" cmp -s "$tmp/p.json" "$tmp/f.json"
"$ml" simulate --learn "$tmp/cap.bin" --key "$key" --save-profile "$tmp/k.json" --save-keys 2>/dev/null
check "--save-keys: the key is saved" grep -qi "$key" "$tmp/k.json"

# 2. The saved profile simulated for an hour: decoded, every telegram as its truth says.
"$ml" simulate --profile "$tmp/p.json" --key "$key" --duration 1h --out "$tmp/sim.bin" \
  --truth "$tmp/sim.truth" 2>/dev/null
"$ml" decode --key "$key" "$tmp/sim.bin" >"$tmp/sim.dec" 2>/dev/null
py "
import json
truth = [json.loads(l) for l in open('$tmp/sim.truth') if '\"telegram\"' in l]
dec = [json.loads(l) for l in open('$tmp/sim.dec') if 'readings' in l]
assert len(truth) == 720 and len(dec) == len(truth), (len(truth), len(dec))
for t, d in zip(truth, dec):
    got = {r['obis']: r['value'] for r in d['readings']}
    for r in t['readings']:
        assert abs(got[r['obis']] - r['value']) < 1e-6 if isinstance(r['value'], (int, float)) \
            else got[r['obis']] == r['value'], (r, got)
    assert d['invocation_counter'] == t['invocation_counter']
" && ok=1 || ok=0
check "hour of the learned profile decodes as its truth" test "$ok" = 1
check "a profile without a key wants --key" not "$ml" simulate --profile "$tmp/p.json" --duration 1m --out "$tmp/x.bin" 2>"$tmp/nokey.err"
check "  and says so" grep -q 'holds no key: give it with --key' "$tmp/nokey.err"

# 3. --learn in place of --profile: the same bytes as the saved profile's.
"$ml" simulate --learn "$tmp/cap.bin" --key "$key" --duration 1h --out "$tmp/direct.bin" 2>/dev/null
check "--learn direct: same bytes as --profile FILE" cmp -s "$tmp/direct.bin" "$tmp/sim.bin"

# 4. Bad captures: exit 2, what and where.
printf 'no meter here' >"$tmp/garbage"
check "garbage: exit 2" not "$ml" simulate --learn "$tmp/garbage" --save-profile "$tmp/g.json" 2>"$tmp/g.err"
check "  no telegram found" grep -q 'cannot learn .*garbage: no telegram found in 13 bytes' "$tmp/g.err"
check "no key: exit 2" not "$ml" simulate --learn "$tmp/cap.bin" --save-profile "$tmp/n.json" 2>"$tmp/n.err"
check "  encrypted, no key" grep -q 'stream byte 0 is encrypted and no key was given' "$tmp/n.err"

# 5. P1: a capture of the port as `cat` gives it (text telegrams) learned, simulated, decoded;
# an encrypted one with --transport p1 and its keys; --cadence for a telegram seen once.
"$ml" simulate --profile dsmr4-nl --duration 30s --out "$tmp/p1.bin" 2>/dev/null
"$ml" simulate --learn "$tmp/p1.bin" --save-profile "$tmp/p1.json" 2>"$tmp/p1.err"
check "P1: learned from 3 telegrams" grep -q 'learned learned-p1 from 3 telegrams, 1 list' "$tmp/p1.err"
check "P1: its header and cadence" py "
import json
p = json.load(open('$tmp/p1.json'))
assert p['p1']['header'] == 'KFM5KAIFA-METER' and p['step'] == '10000ms', p['step']"
"$ml" simulate --profile "$tmp/p1.json" --duration 10m --out "$tmp/p1sim.bin" --truth "$tmp/p1.truth" 2>/dev/null
"$ml" decode --transport p1 "$tmp/p1sim.bin" >"$tmp/p1.dec" 2>/dev/null
check "P1: 10 minutes decode to 60 telegrams" test "$(grep -c readings "$tmp/p1.dec")" = 60
py "
import json
v = json.load(open('$(dirname "$0")/../../vectors/p1/smarty-lu-sagemcom-encrypted-openhab.json'))
open('$tmp/smarty.hex', 'w').write(v['input_hex'] + '\\n')
k = v['keys'][0]
open('$tmp/smarty.keys', 'w').write(k['ek'] + ' ' + k['ak'] + '\\n')"
read -r sek sak <"$tmp/smarty.keys"
"$ml" simulate --learn "$tmp/smarty.hex" --transport p1 --key "$sek" --auth-key "$sak" \
  --save-profile "$tmp/smarty.json" 2>"$tmp/smarty.err"
check "P1 encrypted: learned" grep -q 'from 1 telegrams' "$tmp/smarty.err"
check "  its system title, no key saved" py "
import json
p = json.load(open('$tmp/smarty.json'))
assert p['security']['system_title'] == '534147677001bd54' and 'ek' not in p['security']"
check "  no key: exit 2" not "$ml" simulate --learn "$tmp/smarty.hex" --transport p1 \
  --save-profile "$tmp/n.json" 2>"$tmp/sn.err"
check "  and says so" grep -q 'is encrypted and no key was given' "$tmp/sn.err"
"$ml" simulate --profile dsmr4-nl --duration 10s --out "$tmp/one.bin" 2>/dev/null
"$ml" simulate --learn "$tmp/one.bin" --cadence 7s --save-profile "$tmp/one.json" 2>/dev/null
check "--cadence: a telegram seen once" grep -q '"every": "7000ms"' "$tmp/one.json"

# 6. A reader's log of bare APDUs (no link layer): the family's link, else --transport's default,
# said on stderr and in the profile; refused without either.
py "
import json
for name, out in (('salzburgnetz-doc-sample-single-frame-plaintext', 'bare'),
                  ('aidon-no-list3-llc-pdu-amshan', 'aidon')):
    v = json.load(open('$(dirname "$0")/../../vectors/apdu/' + name + '.json'))
    open('$tmp/' + out + '.hex', 'w').write(v['input_hex'] + '\\n')"
check "bare APDU, no family, no --transport: exit 2" not "$ml" simulate --learn "$tmp/bare.hex" \
  --save-profile "$tmp/b.json" 2>"$tmp/b.err"
check "  says to pass --transport" grep -q 'pass --transport hdlc or --transport mbus' "$tmp/b.err"
"$ml" simulate --learn "$tmp/bare.hex" --transport mbus --save-profile "$tmp/b.json" 2>"$tmp/b.err"
check "  --transport mbus: said on stderr" grep -q 'their link comes from the mbus default' "$tmp/b.err"
check "  and in the profile" grep -q '"link_from": "mbus default"' "$tmp/b.json"
"$ml" simulate --learn "$tmp/aidon.hex" --duration 3h --out "$tmp/aidon.bin" 2>"$tmp/a.err"
check "bare APDU of a family: its link" grep -q 'from the built-in family aidon-6525' "$tmp/a.err"
"$ml" decode "$tmp/aidon.bin" >"$tmp/aidon.dec" 2>/dev/null
check "  3 hours decode to 3 telegrams" test "$(grep -c readings "$tmp/aidon.dec")" = 3

echo "learn_cli_test: $passes passed, $fails failed"
test "$fails" -eq 0
