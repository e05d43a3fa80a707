#!/usr/bin/env bash
# End-to-end checks of the meterlab command: binary and hex input, stdin, keys from flags, a key
# file and the environment, --errors, exit statuses, and that no key appears in any output.
# Usage: cli_test.sh MLAB_BINARY REPO_DIR
set -euo pipefail
ml=$1
repo=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=/dev/null
source "$(dirname "$0")/../tools/check_lib.sh"
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }
jq_line() {  # jq_line FILE LINE EXPR: evaluate a python expression on the JSON of line LINE
  python3 -c "import json,sys; d=json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])]); print($3)" "$1" "$2"
}

aidon=$repo/vectors/hdlc-plain/aidon-6525-list2.json
tinetz=$repo/vectors/mbus-encrypted/tinetz-kaifa-ma309-walkthrough.json
lg=$repo/vectors/hdlc-encrypted/lg-e450-burgenland-gh501-1.json
fcs=$repo/vectors/negative/hdlc-fcs-bitflip.json
nokey=$repo/vectors/mbus-encrypted/vkw-kaifa-ma309-smartmeterreadout.json

# 1. A binary capture file.
python3 -c "import json,sys; sys.stdout.buffer.write(bytes.fromhex(json.load(open(sys.argv[1]))['input_hex']))" "$aidon" >"$tmp/aidon.bin"
"$ml" decode "$tmp/aidon.bin" >"$tmp/out" 2>"$tmp/err"
check "binary: one telegram" test "$(wc -l <"$tmp/out")" -eq 1
check "binary: meter id" test "$(jq_line "$tmp/out" 0 'd["meter_id"]')" = "7359992899161110"
check "binary: list id" test "$(jq_line "$tmp/out" 0 'd["list_id"]')" = "AIDON_V0001"
check "binary: frame" test "$(jq_line "$tmp/out" 0 'd["frame"]["transport"]')" = "hdlc"
check "binary: summary on stderr" grep -q '"telegrams":1' "$tmp/err"

# 2. Hex from stdin with the key on the command line: decrypted, and the key is nowhere.
key=$(field "$tinetz" "['keys'][0]['ek']")
field "$tinetz" "['input_hex']" | "$ml" decode --hex --key "$key" - >"$tmp/out" 2>"$tmp/err"
check "hex stdin: decrypted" test "$(jq_line "$tmp/out" 0 'd["security"]')" = "decrypted"
check "hex stdin: 2 segments" test "$(jq_line "$tmp/out" 0 'd["frame"]["segments"]')" = "2"
upper=$(echo "$key" | tr a-f A-F)
check "key not in stdout/stderr" bash -c "! grep -qi -e '$key' -e '$upper' '$tmp/out' '$tmp/err'"

# 3. Key and authentication key from the environment: authenticated.
ek=$(field "$lg" "['keys'][0]['ek']")
ak=$(field "$lg" "['keys'][0]['ak']")
field "$lg" "['input_hex']" | METERLAB_KEY=$ek METERLAB_AUTH_KEY=$ak "$ml" decode --hex - >"$tmp/out" 2>"$tmp/err"
check "env keys: authenticated" test "$(jq_line "$tmp/out" 0 'd["security"]')" = "authenticated"
check "env keys: not printed" bash -c "! grep -qi -e '$ek' -e '$ak' '$tmp/out' '$tmp/err'"
# Only the EK: decrypted, tag not verified.
field "$lg" "['input_hex']" | "$ml" decode --hex --key "$ek" - >"$tmp/out" 2>/dev/null
check "EK only: decrypted_unverified" test "$(jq_line "$tmp/out" 0 'd["security"]')" = "decrypted_unverified"

# 4. A key file readable by others gets a warning; its keys still work.
python3 -c "import json,sys; print(json.dumps({'keys': json.load(open(sys.argv[1]))['keys']}))" "$lg" >"$tmp/keys.json"
chmod 644 "$tmp/keys.json"
field "$lg" "['input_hex']" | "$ml" decode --hex --keys "$tmp/keys.json" - >"$tmp/out" 2>"$tmp/err"
check "key file: warning" grep -q "readable by other users" "$tmp/err"
check "key file: authenticated" test "$(jq_line "$tmp/out" 0 'd["security"]')" = "authenticated"
check "key file: key not printed" bash -c "! grep -qi -e '$ek' -e '$ak' '$tmp/out' '$tmp/err'"

# 5. --errors: a broken frame is a JSON error line; the good frame after it still decodes.
field "$fcs" "['input_hex']" | "$ml" decode --hex --errors - >"$tmp/out" 2>/dev/null
check "errors: first line is the FCS error" test "$(jq_line "$tmp/out" 0 'd["error"]["code"]')" = "hdlc_fcs_mismatch"
check "errors: layer" test "$(jq_line "$tmp/out" 0 'd["error"]["layer"]')" = "hdlc"
check "errors: the next frame decodes" test "$(jq_line "$tmp/out" 1 'd["meter_id"] is None and len(d["readings"])')" = "1"

# 6. Exit statuses: everything rejected -> 1; a bad key -> 2 without echoing it.
set +e
field "$nokey" "['input_hex']" | "$ml" decode --hex --errors - >"$tmp/out" 2>/dev/null
status=$?
check "no key: exit 1" test "$status" -eq 1
check "no key: security_no_key" test "$(jq_line "$tmp/out" 0 'd["error"]["code"]')" = "security_no_key"
check "no key: names the system title" test "$(jq_line "$tmp/out" 0 'd["error"]["system_title"]')" = "4b464d1020003774"
echo 00 | "$ml" decode --hex --key 0123456789abcdefXYZ - >/dev/null 2>"$tmp/err"
status=$?
check "bad key: exit 2" test "$status" -eq 2
check "bad key: not echoed" bash -c "! grep -q 0123456789abcdef '$tmp/err'"
echo "7e zz" | "$ml" decode --hex - >/dev/null 2>"$tmp/err"
status=$?
check "bad hex: exit 2" test "$status" -eq 2
check "bad hex: says where" grep -q "character 3" "$tmp/err"
set -e

# 7. The vectors command grades every golden vector.
"$ml" vectors --dir "$repo/vectors" >"$tmp/out"
check "vectors: all pass" grep -qE "^[0-9]+ passed, 0 failed$" "$tmp/out"

echo "$passes passed, $fails failed"
test "$fails" -eq 0
