#!/usr/bin/env bash
# End-to-end checks of `meterlab conform`: the repo's vectors and scenarios pass (exit 0), --filter
# runs a subset, the --json and --junit reports parse and carry the counts, a failing scenario makes
# it exit 1 naming the scenario and its failing frames, and usage errors exit 2.
# Usage: conform_cli_test.sh MLAB_BINARY REPO_DIR
set -euo pipefail
ml=$1
repo=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0
check() {  # check NAME CONDITION...
  local name=$1
  shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
py() { python3 -c "$@"; }
status() {  # status CMD...: prints the exit status of CMD
  set +e
  "$@" >"$tmp/out" 2>"$tmp/err"
  echo $?
  set -e
}

nvec=$(find "$repo/vectors" -name '*.json' -not -path '*/upstream/*' | wc -l)
nsc=$(ls "$repo"/conformance/scenarios/*.json | wc -l)

# 1. The whole repo passes, from the repo root, with both reports.
cd "$repo"
check "repo passes" test "$(status "$ml" conform --json "$tmp/r.json" --junit "$tmp/r.xml")" -eq 0
check "table: vector groups" grep -q '^hdlc-plain .* pass$' "$tmp/out"
check "table: scenarios" grep -q '^clean-kaifa-kfm001-3ph .* pass$' "$tmp/out"
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

# 4. Usage errors.
check "missing scenario dir -> 2" test "$(status "$ml" conform --scenarios "$tmp/none")" -eq 2
check "missing vector dir -> 2" test "$(status "$ml" conform --vectors "$tmp/none")" -eq 2

echo "conform_cli_test: $passes passed, $fails failed"
test "$fails" -eq 0
