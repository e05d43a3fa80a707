#!/usr/bin/env bash
# Key hygiene (issue 7): runs meterlab decode (keys from --key, --keys and METERLAB_KEY, --errors,
# wrong keys, malformed keys), simulate with a key, conform and vectors, captures every stdout,
# stderr and file they write, and searches all of it for every key involved: in hex (lower and
# upper case, also with spaces between the bytes) and as raw bytes. Nothing may be found.
# The search itself is checked first on planted copies of a key, so the test can fail.
# Usage: key_hygiene_test.sh MLAB_BINARY REPO_DIR
set -euo pipefail
ml=$(realpath "$1")
repo=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
in=$tmp/in     # inputs given to the command (key files): not searched
out=$tmp/out   # everything the command writes: searched
mkdir -p "$in" "$out/work"
# shellcheck source=/dev/null
source "$(dirname "$0")/../tools/check_lib.sh"
# run NAME [ENV=VALUE ...] -- ARGS...: runs meterlab in $out/work, stdout/stderr kept apart.
run() {
  local name=$1
  shift
  local env=()
  while [ "$1" != "--" ]; do env+=("$1"); shift; done
  shift
  (cd "$out/work" && env "${env[@]}" "$ml" "$@" >"$out/$name.out" 2>"$out/$name.err") || true
}

# The keys: the simulator's (ek, ak), wrong ones, and every key the golden vectors publish.
ek=5a1e7c0ffee0d15ea5e5ca1ab1e0b0e5
ak=c0dec0dec0de4a11b0a710adf00d5eed
wrong_ek=0badbadbadbadbadbadbadbadbadbad1
wrong_ak=1badbadbadbadbadbadbadbadbadbad2
lg=$repo/vectors/hdlc-encrypted/lg-e450-burgenland-gh501-1.json
tinetz=$repo/vectors/mbus-encrypted/tinetz-kaifa-ma309-walkthrough.json
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }
lg_ek=$(field "$lg" "['keys'][0]['ek']")
lg_ak=$(field "$lg" "['keys'][0]['ak']")
tinetz_ek=$(field "$tinetz" "['keys'][0]['ek']")
python3 - "$repo/vectors" >"$in/vector_keys" <<'PY'
import glob, json, sys
keys = set()
for f in glob.glob(sys.argv[1] + "/**/*.json", recursive=True):
    try:
        v = json.load(open(f))
    except Exception:
        continue
    for k in v.get("keys", []) if isinstance(v, dict) else []:
        for name in ("ek", "ak"):
            if isinstance(k.get(name), str) and len(k[name]) == 32:
                keys.add(k[name].lower())
print("\n".join(sorted(keys)))
PY
check "vectors publish keys to look for" test "$(wc -l <"$in/vector_keys")" -ge 5

# search DIR KEY...: prints every file of DIR holding one of the keys in any form.
search() {
  python3 - "$@" <<'PY'
import os, sys
root, keys = sys.argv[1], [k.lower() for k in sys.argv[2:] if k]
forms = []
for k in keys:
    b = bytes.fromhex(k) if len(k) % 2 == 0 and all(c in "0123456789abcdef" for c in k) else None
    spaced = " ".join(k[i:i + 2] for i in range(0, len(k), 2))
    for text in {k, k.upper(), spaced, spaced.upper()}:
        forms.append((k, "hex " + text, text.encode()))
    if b:
        forms.append((k, "raw bytes", b))
for dirpath, _, files in os.walk(root):
    for name in files:
        path = os.path.join(dirpath, name)
        data = open(path, "rb").read()
        for key, form, pattern in forms:
            if pattern in data:
                print(f"{path}: key {key[:4]}... as {form}")
PY
}

# 0. The search finds a key planted in each form (otherwise passing proves nothing).
mkdir -p "$tmp/plant"
echo "x ${ek} y" >"$tmp/plant/lower"
echo "x ${ek^^} y" >"$tmp/plant/upper"
python3 -c "import sys; open(sys.argv[1],'wb').write(b'a' + bytes.fromhex(sys.argv[2]) + b'b')" "$tmp/plant/raw" "$ek"
check "search finds planted keys" test "$(search "$tmp/plant" "$ek" | wc -l)" -eq 3
check "search finds nothing in a clean file" test -z "$(echo clean >"$tmp/plant/lower"; rm "$tmp/plant/upper" "$tmp/plant/raw"; search "$tmp/plant" "$ek")"

# 1. simulate with keys: flags (file + truth log), and the environment (stdout).
run sim_flags -- simulate --profile lg-e450-burgenland --duration 1m --key "$ek" --auth-key "$ak" \
  --out sim_lg.bin --truth sim_lg.truth
check "simulate wrote frames" test -s "$out/work/sim_lg.bin"
run sim_env METERLAB_SIM_KEY="$ek" -- simulate --profile kaifa-ma309-tinetz --duration 30s -
cp "$out/sim_env.out" "$out/work/sim_tinetz.bin"
check "simulate to stdout wrote frames" test -s "$out/work/sim_tinetz.bin"
run sim_bad_key -- simulate --profile lg-e450-burgenland --duration 10s --key "${ek}0" --out bad.bin

# 2. decode: the right keys three ways, wrong keys, malformed keys.
printf '{"keys": [{"ek": "%s", "ak": "%s"}]}\n' "$ek" "$ak" >"$in/keys.json"
printf '{"keys": [{"ek": "%s", "ak": "%s"' "$ek" "$ak" >"$in/keys_truncated.json"
printf '{"keys": [{"ek": "%sz", "ak": "%s"}]}\n' "$ek" "$ak" >"$in/keys_bad_hex.json"
printf '{"keys": [{"system_title": "%s", "ek": "%s"}]}\n' "$ek" "$ek" >"$in/keys_bad_title.json"
run dec_flags -- decode --errors --key "$ek" --auth-key "$ak" sim_lg.bin
check "decode --key: authenticated telegrams" grep -q '"authenticated"' "$out/dec_flags.out"
run dec_env METERLAB_KEY="$ek" METERLAB_AUTH_KEY="$ak" -- decode --errors sim_lg.bin
check "decode METERLAB_KEY: authenticated telegrams" grep -q '"authenticated"' "$out/dec_env.out"
run dec_file -- decode --errors --keys "$in/keys.json" sim_lg.bin
check "decode --keys: authenticated telegrams" grep -q '"authenticated"' "$out/dec_file.out"
run dec_mbus_env METERLAB_KEY="$ek" -- decode --errors sim_tinetz.bin
check "decode M-Bus with METERLAB_KEY: decrypted" grep -q '"decrypted"' "$out/dec_mbus_env.out"
run dec_wrong -- decode --errors --key "$wrong_ek" --auth-key "$wrong_ak" sim_lg.bin
check "decode wrong key: rejected as wrong key" grep -q 'security_wrong_key' "$out/dec_wrong.out"
run dec_wrong_ak -- decode --errors --key "$ek" --auth-key "$wrong_ak" sim_lg.bin
check "decode wrong AK: tag fails" grep -q 'security_auth_failed' "$out/dec_wrong_ak.out"
run dec_wrong_env METERLAB_KEY="$wrong_ek" -- decode --errors sim_tinetz.bin
run dec_title -- decode --errors --key "$ek" --auth-key "$ak" --system-title 0011223344556677 sim_lg.bin
run bad_long -- decode --key "${ek}0" sim_lg.bin
run bad_short -- decode --key "${ek:0:31}" sim_lg.bin
run bad_char -- decode --key "${ek:0:30}zz" sim_lg.bin
run bad_ak -- decode --key "$ek" --auth-key "${ak}00" sim_lg.bin
run bad_title -- decode --key "$ek" --system-title "$ek" sim_lg.bin
run bad_env METERLAB_KEY="${ek}0" -- decode sim_lg.bin
run bad_env_ak METERLAB_KEY="$ek" METERLAB_AUTH_KEY="${ak:0:30}x" -- decode sim_lg.bin
run bad_file_truncated -- decode --keys "$in/keys_truncated.json" sim_lg.bin
run bad_file_hex -- decode --keys "$in/keys_bad_hex.json" sim_lg.bin
run bad_file_title -- decode --keys "$in/keys_bad_title.json" sim_lg.bin
check "a malformed key is a usage error" grep -qi 'key' "$out/bad_long.err"
# The golden vectors' own frames and keys, from hex on stdin.
field "$lg" "['input_hex']" >"$out/work/lg.hex"
field "$tinetz" "['input_hex']" >"$out/work/tinetz.hex"
run dec_lg -- decode --hex --errors --key "$lg_ek" --auth-key "$lg_ak" lg.hex
check "decode vector: authenticated" grep -q '"authenticated"' "$out/dec_lg.out"
run dec_lg_noak -- decode --hex --errors --key "$lg_ek" lg.hex
run dec_tinetz -- decode --hex --errors --transport mbus --key "$tinetz_ek" tinetz.hex
check "decode vector: decrypted" grep -q '"decrypted"' "$out/dec_tinetz.out"
run dec_tinetz_as_hdlc -- decode --hex --errors --transport hdlc --key "$tinetz_ek" tinetz.hex

# 3. conform and vectors: they load every vector's keys. The scenarios are every one whose meter
# encrypts (in process and over the pty, where the keys reach `meterlab decode` through the
# environment), at full speed: keys take the same paths at any speed, and the whole gate runs
# unfiltered, at its real pace, in ci/test. Every report conform can write is searched.
mkdir -p "$in/scenarios"
python3 - "$repo" "$in/scenarios" <<'PY'
import glob, json, os, shutil, sys
repo, dest = sys.argv[1], sys.argv[2]
def encrypts(profile):
    path = os.path.join(repo, "simulator", "profiles", profile + ".json")
    return os.path.exists(path) and "security" in json.load(open(path))
for f in glob.glob(os.path.join(repo, "conformance", "scenarios", "*.json")):
    if encrypts(json.load(open(f)).get("profile", "")):
        shutil.copy(f, dest)
PY
nscen=$(ls "$in/scenarios" | wc -l)
check "scenarios of encrypting meters, fault ones and pty ones among them" \
  bash -c "[ $nscen -ge 10 ] && ls '$in/scenarios' | grep -q '^fault-wrong-key' && ls '$in/scenarios' | grep -q '^pty-'"
run conform -- conform --vectors "$repo/vectors" --scenarios "$in/scenarios" --speed max \
  --json conform.json --junit conform.xml --html conform.html --keep kept
check "conform wrote its reports" test -s "$out/work/conform.json" -a -s "$out/work/conform.html"
check "conform kept the runs" test -n "$(find "$out/work/kept" -name bytes.bin | head -1)"
check "conform graded the encrypted scenarios" grep -q "^fault-wrong-key .* pass$" "$out/conform.out"
run vectors -- vectors --dir "$repo/vectors" -v
check "vectors checked the vectors" test -s "$out/vectors.out"

# 4. No key anywhere in what was written.
found=$(search "$out" "$ek" "$ak" "$wrong_ek" "$wrong_ak" "${ek:0:30}" "${ak:0:30}" $(cat "$in/vector_keys"))
check "no key in any output" test -z "$found"
if [ -n "$found" ]; then echo "$found" | head -50; fi

echo "key hygiene: $passes passed, $fails failed ($(find "$out" -type f | wc -l) files searched)"
[ "$fails" -eq 0 ]
