#!/usr/bin/env bash
# End-to-end checks of `meterlab conform`: the repo's vectors and scenarios pass (exit 0), --filter
# runs a subset, the --json and --junit reports parse and carry the counts, a failing scenario makes
# it exit 1 naming the scenario and its failing frames, and usage errors exit 2.
# Usage: conform_cli_test.sh MLAB_BINARY REPO_DIR [repo|subsets|external|all]
# (CTest runs the three parts as three tests, side by side.)
set -euo pipefail
ml=$1
repo=$2
part=${3:-all}
run() { [ "$part" = all ] || [ "$part" = "$1" ]; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=/dev/null
source "$(dirname "$0")/../tools/check_lib.sh"
status() {  # status CMD...: prints the exit status of CMD
  set +e
  "$@" >"$tmp/out" 2>"$tmp/err"
  echo $?
  set -e
}

nvec=$(find "$repo/vectors" -name '*.json' -not -path '*/upstream/*' | wc -l)
nsc_files=$(ls "$repo"/conformance/scenarios/*.json | wc -l)
npty=$(grep -l '"pty"' "$repo"/conformance/scenarios/*.json | wc -l)
nsc=$((nsc_files + npty))  # scenarios with a pty mode run twice: in-process and over a pty

if run repo; then
# 1. The whole repo passes, from the repo root, with both reports. The pty scenarios run at full
# speed here: ci/test's conformance gate runs them at their own (real-time) pace.
cd "$repo"
check "repo passes" test "$(status "$ml" conform --speed max --json "$tmp/r.json" --junit "$tmp/r.xml")" -eq 0
check "table: vector groups" grep -q '^hdlc-plain .* pass$' "$tmp/out"
check "table: scenarios" grep -q '^clean-kaifa-kfm001-3ph .* pass$' "$tmp/out"
check "table: pty mode" grep -q '^pty-kaifa-ma309-tinetz \[pty\] .* pass$' "$tmp/out"
check "pty scenarios exist" test "$npty" -ge 3
check "verdict" grep -q '^conform: pass$' "$tmp/out"
check "progress on stderr" grep -q "^conform: \[1/$nsc\]" "$tmp/err"
check "json: passed" test "$(py "import json; print(json.load(open('$tmp/r.json'))['passed'])")" = True
check "json: every vector" test "$(py "import json; print(json.load(open('$tmp/r.json'))['vectors']['total'])")" -eq "$nvec"
check "json: every scenario" test "$(py "import json; print(json.load(open('$tmp/r.json'))['scenarios']['total'])")" -eq "$nsc"
# Clean scenarios: every telegram sent decoded equal; fault scenarios: the fault touched telegrams.
check "json: counts" py "
import json, sys
d = json.load(open('$tmp/r.json'))
for s in d['scenarios']['results']:
    assert s['sent'] > 0 and s['wrong'] == 0 and s['phantom'] == 0 and s['missed'] == 0, s['name']
    assert s['equal'] + s['faulted']['rejected'] + s['accepted'] + s['undetectable'] == s['sent'], s['name']
    if s['name'].startswith(('clean-', 'dst-')):
        assert s['equal'] == s['sent'] == s['decoded'] and s['rejections'] == 0, s['name']
tag = [s for s in d['scenarios']['results'] if s['name'] == 'fault-tag-fail'][0]
assert tag['faulted']['telegrams'] > 0 and tag['rejected_by_code']['security_auth_failed'] == tag['faulted']['rejected']
assert tag['rejected_by_layer']['security'] > 0
"
check "soak: every meter, bytes accounted, memory flat, security faults counted" py "
import glob, json
d = json.load(open('$tmp/r.json'))
s = [s for s in d['scenarios']['results'] if s['name'] == 'soak-all-meters'][0]
m = s['details']['meters']
profiles = len(glob.glob('$repo/simulator/profiles/*.json'))
assert len(m) == profiles and all(x['passed'] for x in m), [x['profile'] for x in m if not x['passed']]
assert all(x['bytes_in_frames'] + x['bytes_discarded'] == x['bytes_in'] > 0 for x in m)
assert sum(x['security_auth_failed'] for x in m) > 0 and sum(x['security_wrong_key'] for x in m) > 0
rss = s['details']['rss_kib_per_hour']
assert len(rss) == 3 and (rss[-1] <= s['details']['rss_bound_kib'] or not s['details']['rss_checked']), rss
"
check "junit: parses with its counts" py "
import xml.etree.ElementTree as ET
root = ET.parse('$tmp/r.xml').getroot()
assert root.tag == 'testsuites' and root.get('failures') == '0'
suites = {s.get('name'): s for s in root.findall('testsuite')}
assert set(suites) == {'vectors', 'scenarios'}
assert int(suites['vectors'].get('tests')) == len(suites['vectors'].findall('testcase')) == $nvec
assert int(suites['scenarios'].get('tests')) == len(suites['scenarios'].findall('testcase')) == $nsc
assert not root.findall('.//failure')
"

fi

if run subsets; then
# 2. --filter: a subset of vectors and scenarios, also from another directory (the built-in default).
cd "$tmp"
check "filter passes" test "$(status "$ml" conform --filter lg-e450 --json "$tmp/f.json")" -eq 0
check "filter: subset" py "
import json
d = json.load(open('$tmp/f.json'))
names = [s['name'] for s in d['scenarios']['results']]
assert sorted(names) == ['clean-lg-e450-burgenland', 'dst-autumn-vienna', 'fault-tag-fail'] or \
       all('lg-e450' in s['file'] for s in d['scenarios']['results']), names
assert 0 < d['vectors']['total'] < $nvec
assert all('lg-e450' in v['file'] for v in d['vectors']['results'])
"
check "filter: nothing matches -> 2" test "$(status "$ml" conform --filter no-such-thing-xyz)" -eq 2

# 3. A scenario that cannot pass (its fault never touches a telegram) makes conform fail, named.
mkdir -p "$tmp/sc"
cat >"$tmp/sc/impossible.json" <<'JSON'
{"name": "impossible", "profile": "aidon-6525", "duration": "5m", "pass": {"min_faulted": 1}}
JSON
cat >"$tmp/sc/fine.json" <<'JSON'
{"name": "fine", "profile": "aidon-6525", "duration": "5m"}
JSON
cat >"$tmp/sc/unknown-profile.json" <<'JSON'
{"name": "nope", "profile": "no-such-meter", "duration": "5m"}
JSON
check "failing scenario -> 1" test "$(status "$ml" conform --scenarios "$tmp/sc" --filter i --junit "$tmp/x.xml" --json "$tmp/x.json")" -eq 1
check "failure named" grep -q '^impossible .* FAIL$' "$tmp/out"
check "failure says why" grep -q 'faults touched 0 telegrams, at least 1 required' "$tmp/out"
check "bad scenario named" grep -q '^unknown-profile  *ERROR .*no-such-meter' "$tmp/out"
check "fine still passes" grep -q '^fine .* pass$' "$tmp/out"
check "verdict FAIL" grep -q '^conform: FAIL$' "$tmp/out"
check "junit names the failures" py "
import xml.etree.ElementTree as ET
root = ET.parse('$tmp/x.xml').getroot()
cases = {c.get('name'): c for c in root.find(\"testsuite[@name='scenarios']\").findall('testcase')}
assert cases['impossible'].find('failure') is not None
assert 'faults touched 0' in cases['impossible'].find('failure').get('message')
assert cases['fine'].find('failure') is None
assert cases['unknown-profile'].find('failure') is not None
assert root.get('failures') == '2', root.get('failures')
"
check "json: failed count" test "$(py "import json; print(json.load(open('$tmp/x.json'))['scenarios']['failed'])")" -eq 2

# --keep of an in-process run: what the engine was fed and printed, and each telegram's grading.
check "keep in-process runs" test "$(status "$ml" conform --profile lg-e450-burgenland --duration 2m --keep "$tmp/keep")" -eq 0
kept=$tmp/keep/lg-e450-burgenland-in-process
for f in bytes.bin truth.jsonl decoded.jsonl graded.jsonl; do
  check "keep in-process: $f" test -s "$kept/$f"
done
check "keep in-process: no key anywhere" bash -c "! grep -rqiwE '[0-9a-f]{32}' --exclude=bytes.bin '$tmp/keep'"
check "keep in-process: bytes, lines and gradings agree" py "
import json
truth = [json.loads(l) for l in open('$kept/truth.jsonl')]
tel = [t for t in truth if t.get('type') == 'telegram']
decoded = [json.loads(l) for l in open('$kept/decoded.jsonl')]
graded = [json.loads(l) for l in open('$kept/graded.jsonl')]
assert len(tel) == 24 and len(decoded) == 24, (len(tel), len(decoded))
assert len(open('$kept/bytes.bin', 'rb').read()) == tel[-1]['offset'] + tel[-1]['length']
assert [d['frame']['offset'] for d in decoded] == [t['offset'] for t in tel]
assert [g['seq'] for g in graded] == [t['seq'] for t in tel] and all(g['outcome'] == 'equal' for g in graded)
"

# 4. Usage errors.
check "missing scenario dir -> 2" test "$(status "$ml" conform --scenarios "$tmp/none")" -eq 2
check "missing vector dir -> 2" test "$(status "$ml" conform --vectors "$tmp/none")" -eq 2
check "decoder without {tty} -> 2" test "$(status "$ml" conform --settle-ms 300 --decoder 'cat /dev/null' --filter pty-)" -eq 2
check "unknown adapter -> 2" test "$(status "$ml" conform --adapter no-such-adapter --filter pty-)" -eq 2
check "unknown adapter named" grep -q 'no-such-adapter: no such file, and not a built-in adapter' "$tmp/err"

fi

if run external; then
# 5. External decoders: programs reading the tty, through adapters. `meterlab decode` itself,
# through the built-in adapter: vectors written to a pty, and the scenarios made for a pty (keys
# in the environment: the TINETZ and Burgenland meters are encrypted).
cd "$repo"
check "external meterlab decode passes" test "$(status "$ml" conform --settle-ms 1000 --adapter meterlab-decode --filter kaifa- --json "$tmp/e.json")" -eq 0
check "external: vectors and pty scenarios ran" py "
import json
d = json.load(open('$tmp/e.json'))
assert d['vectors']['total'] >= 5 and d['vectors']['failed'] == 0, d['vectors']['total']
names = sorted(s['name'] for s in d['scenarios']['results'])
assert names == ['pty-kaifa-kfm001-3ph', 'pty-kaifa-ma309-tinetz'], names
assert all(s['mode'] == 'pty' and s['equal'] == s['sent'] > 10 for s in d['scenarios']['results'])
"
check "external: no key in the report" bash -c "! grep -qiE '[0-9a-f]{32}' '$tmp/out' '$tmp/err'"

# The same program reading its standard input (the adapter's stdin_command), fed through a pipe.
check "external over a pipe passes" test "$(status "$ml" conform --stdin --settle-ms 1000 --adapter meterlab-decode --filter kaifa-ma309 --json "$tmp/p.json")" -eq 0
check "pipe: vectors and pty scenarios ran" py "
import json
d = json.load(open('$tmp/p.json'))
assert d['vectors']['total'] >= 3 and d['vectors']['failed'] == 0, d['vectors']
names = sorted(s['name'] for s in d['scenarios']['results'])
assert names == ['pty-kaifa-ma309-tinetz'], names
assert all(s['equal'] == s['sent'] > 10 for s in d['scenarios']['results'])
"

# A program that reads no tags (the authentication key withheld) lets forged telegrams through:
# conform fails and names them as accepted.
check "tag-blind decoder fails" test "$(status "$ml" conform --settle-ms 300 --decoder 'env -u METERLAB_AUTH_KEY {meterlab} decode {tty} --errors' --adapter meterlab-decode --filter pty-lg-e450)" -eq 1
check "tag-blind: forged frames named" grep -q '^    accepted seq [0-9]* ' "$tmp/out"
# One that drops every tenth telegram misses them, by name.
check "dropping decoder fails" test "$(status "$ml" conform --settle-ms 300 --decoder '{meterlab} decode {tty} | awk "{ if (NR % 10) print; fflush() }"' --adapter meterlab-decode --filter pty-kaifa-kfm001)" -eq 1
check "dropping: missed frames named" grep -q '^    missed seq [0-9]* offset [0-9]* ' "$tmp/out"
# One that reads a scaler wrong (voltages x10) is wrong, with the values.
cat >"$tmp/scaler.py" <<'PY'
import json, sys
for line in sys.stdin:
    t = json.loads(line)
    for r in t.get("readings", []):
        if r["obis"].startswith("1-0:32.7.0"):
            r["value"] = r["value"] * 10
    print(json.dumps(t), flush=True)
PY
check "scaler-misreading decoder fails" test "$(status "$ml" conform --settle-ms 300 --decoder "{meterlab} decode {tty} | python3 -u $tmp/scaler.py" --adapter meterlab-decode --filter pty-kaifa-kfm001)" -eq 1
check "scaler: wrong frames named with the values" grep -q '^    wrong seq [0-9]* .*1-0:32.7.0.255: truth' "$tmp/out"
# One that prints garbage fails, quoting the line.
check "garbage decoder fails" test "$(status "$ml" conform --settle-ms 300 --decoder 'echo "KAIFA 1.8.0 garbage"; exec {meterlab} decode {tty}' --adapter meterlab-decode --filter pty-kaifa-kfm001)" -eq 1
check "garbage quoted" grep -q 'line 1: not a JSON object: "KAIFA 1.8.0 garbage"' "$tmp/out"

# A reader with its own flat output (power in kW under its own field name), mapped by an adapter
# file: field -> OBIS with a scale, partial (it prints only the power).
cat >"$tmp/flat.py" <<'PY'
import json, sys
for line in sys.stdin:
    t = json.loads(line)
    p = [r["value"] for r in t.get("readings", []) if r["obis"] == "1-0:1.7.0.255"]
    if p:
        print(json.dumps({"id": t["meter_id"], "p_kw": round(p[0] / 1000, 3)}), flush=True)
PY
cat >"$tmp/flat.json" <<'JSON'
{"name": "flat kW reader", "partial": true, "tolerance": {"absolute": 0.5},
 "telegram": {"when": "/p_kw",
              "fields": {"/p_kw": {"obis": "1-0:1.7.0.255", "unit": "W", "scale": 1000}},
              "telegram_fields": {"meter_id": "/id"}}}
JSON
check "flat-field adapter passes" test "$(status "$ml" conform --settle-ms 1000 --decoder "{meterlab} decode {tty} | python3 -u $tmp/flat.py" --adapter "$tmp/flat.json" --filter pty-kaifa-kfm001 --json "$tmp/flat-r.json")" -eq 0
check "flat: every telegram equal" py "
import json
s = json.load(open('$tmp/flat-r.json'))['scenarios']['results'][0]
assert s['sent'] > 40 and s['equal'] == s['sent'], s
"

# A P1 reader printing JSON lines: `meterlab decode` on the DSMR 5 meter (plain, a telegram a
# second at 115200 8N1) and on Smarty (encrypted P1, keys in the environment), graded from its
# output alone.
for sc in pty-dsmr5-nl pty-smarty-lu; do
  check "external P1 reader passes: $sc" test "$(status "$ml" conform --settle-ms 1000 --adapter meterlab-decode --filter "$sc" --json "$tmp/p1.json")" -eq 0
  check "external P1: every telegram of $sc equal over the tty" py "
import json
r = json.load(open('$tmp/p1.json'))['scenarios']['results']
assert [s['name'] for s in r] == ['$sc'], r
assert all(s['mode'] == 'pty' and s['equal'] == s['sent'] >= 5 for s in r), r
"
done

fi

echo "conform_cli_test ($part): $passes passed, $fails failed"
test "$fails" -eq 0
