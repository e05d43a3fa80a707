#!/usr/bin/env bash
# `meterlab conform` grades readers as they are, through the adapters of
# conformance/adapters/README.md (taken out of that file, so its examples are what runs): each
# small reader passes when correct, and fails with the telegram named when it drops a telegram,
# scales a value wrong, mis-attributes values one telegram late, or accepts a forged frame. Bad
# adapters are refused before the run with their JSON path.
# Usage: readers_test.sh MLAB_BINARY REPO_DIR PART
#   (PART: text config log current stdin bench bad)
set -euo pipefail
ml=$1
repo=$2
part=$3
readers=$repo/conformance/test_readers
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=/dev/null
source "$repo/tools/check_lib.sh"
status() {  # status CMD...: prints the exit status of CMD, its output in $tmp/out and $tmp/err
  set +e
  "$@" >"$tmp/out" 2>"$tmp/err"
  echo $?
  set -e
}

# The adapters of the README: each ```json block after an <!-- adapter: NAME --> line.
py "
import re
text = open('$repo/conformance/adapters/README.md').read()
for name, body in re.findall(r'<!-- adapter: (\S+) -->\n\`\`\`json\n(.*?)\n\`\`\`', text, re.S):
    open('$tmp/' + name, 'w').write(body)
"

# Short ad-hoc scenarios: a clean 3-phase meter (15 telegrams, 3 s), and an authenticated one
# with forged tags (6 s).
clean=(--profile kaifa-kfm001-3ph --start 2026-01-05T06:59:40 --duration 30s --speed 10)
forged=(--profile lg-e450-burgenland --fault tag-fail:p=0.3 --duration 30s --speed 5)
extra=()  # more conform flags for every grading run (stdin: --stdin)
# The quiet time after the last byte before a run ends: conform's default. The chain pty ->
# meterlab decode -> python reader -> conform can lag several hundred ms under ASan with four
# tests at once on two cores; a shorter settle then cut the last telegram off a correct reader.
settle=(--settle-ms 1000)

# grade NAME ADAPTER COMMAND: the reader passes as it is, and fails naming the telegram with each bug.
grade() {
  local name=$1 adapter=$2 command=$3
  check "$name: passes" test "$(status "$ml" conform "${extra[@]}" "${settle[@]}" --decoder "$command" --adapter "$tmp/$adapter" "${clean[@]}")" -eq 0
  grep -q '^conform: pass$' "$tmp/out" || cat "$tmp/out" "$tmp/err"
  check "$name: passes with forged frames rejected" test "$(status "$ml" conform "${extra[@]}" "${settle[@]}" --decoder "$command" --adapter "$tmp/$adapter" "${forged[@]}")" -eq 0
  check "$name: drops -> fail" test "$(status "$ml" conform "${extra[@]}" "${settle[@]}" --decoder "$command --drop 4" --adapter "$tmp/$adapter" "${clean[@]}")" -eq 1
  check "$name: dropped telegram named" grep -qE '^    missed seq [0-9]+ offset [0-9]+ ' "$tmp/out"
  check "$name: scale -> fail" test "$(status "$ml" conform "${extra[@]}" "${settle[@]}" --decoder "$command --scale 1-0:1.7.0.255=10" --adapter "$tmp/$adapter" "${clean[@]}")" -eq 1
  check "$name: wrong value named" grep -qE '^    wrong seq [0-9]+ .*1-0:1.7.0.255: truth' "$tmp/out"
  check "$name: late -> fail" test "$(status "$ml" conform "${extra[@]}" "${settle[@]}" --decoder "$command --late" --adapter "$tmp/$adapter" "${clean[@]}")" -eq 1
  check "$name: late telegram named" grep -qE '^    (wrong|missed) seq [0-9]+ ' "$tmp/out"
  check "$name: forged accepted -> fail" test "$(status "$ml" conform "${extra[@]}" "${settle[@]}" --decoder "$command --ignore-tags" --adapter "$tmp/$adapter" "${forged[@]}")" -eq 1
  check "$name: forged telegram named" grep -qE '^    accepted seq [0-9]+ ' "$tmp/out"
}

case $part in
text)
  grade "text reader" text-reader.json "python3 -u $readers/text_reader.py --meterlab {meterlab} --tty {tty}"
  # Strings and clocks read from text: the EVN list (clock, meter number) passes whole.
  check "text: clock and strings" test "$(status "$ml" conform "${settle[@]}" --decoder "python3 -u $readers/text_reader.py --meterlab {meterlab} --tty {tty}" --adapter "$tmp/text-reader.json" --profile kaifa-ma309-evn --duration 20s --speed 10 --json "$tmp/evn.json")" -eq 0
  check "text: not partial, every reading equal" py "
import json
s = json.load(open('$tmp/evn.json'))['scenarios']['results'][0]
assert s['equal'] == s['sent'] >= 3 and 'never_printed' not in s.get('details', {}), s
"
  ;;
config)
  grade "config reader" config-reader.json "python3 -u $readers/config_reader.py --meterlab {meterlab}"
  check "config: partial names what it never printed" test "$(status "$ml" conform "${settle[@]}" --decoder "python3 -u $readers/config_reader.py --meterlab {meterlab}" --adapter "$tmp/config-reader.json" "${clean[@]}" --json "$tmp/c.json")" -eq 0
  check "config: never printed in the table" grep -q '^    partial: never printed .*1-0:31.7.0.255' "$tmp/out"
  check "config: never printed in the JSON" py "
import json
s = json.load(open('$tmp/c.json'))['scenarios']['results'][0]
np = s['details']['never_printed']
assert '1-0:31.7.0.255' in np and '1-0:1.7.0.255' not in np and '0-0:96.1.0.255' not in np, np
"
  check "config: the file is gone afterwards" test ! -e /tmp/meterlab-test-config-reader/meter.json
  check "config: no key in the report" bash -c "! grep -qiE '[0-9a-f]{32}' '$tmp/out' '$tmp/err'"
  # --keep: the evidence of the run, keys redacted (the Burgenland meter has two).
  check "keep runs" test "$(status "$ml" conform "${settle[@]}" --decoder "python3 -u $readers/config_reader.py --meterlab {meterlab}" --adapter "$tmp/config-reader.json" "${forged[@]}" --keep "$tmp/keep")" -eq 0
  run=$tmp/keep/lg-e450-burgenland-pty
  for f in bytes.bin truth.jsonl stdout.txt stderr.txt mapped.jsonl \
    files/absolute/tmp/meterlab-test-config-reader/meter.json; do
    check "keep: $f" test -s "$run/$f"
  done
  check "keep: the config file as written, keys redacted" grep -q '"key": "<redacted>", "auth_key": "<redacted>", "baud": 2400, "parity": "N"' "$run/files/absolute/tmp/meterlab-test-config-reader/meter.json"
  check "keep: no key anywhere" bash -c "! grep -rqiwE '[0-9a-f]{32}' --exclude=bytes.bin '$tmp/keep'"
  check "keep: mapped lines attributed" py "
import json
lines = [json.loads(l) for l in open('$run/mapped.jsonl')]
seqs = [l['truth_seq'] for l in lines if 'telegram' in l]
truth = [json.loads(l) for l in open('$run/truth.jsonl')]
assert seqs and all(s is not None for s in seqs) and seqs == sorted(seqs), seqs
assert len(open('$run/bytes.bin', 'rb').read()) == max(t['offset'] + t['length'] for t in truth if t.get('type') == 'telegram')
"
  ;;
log)
  grade "log reader" log-reader.json "python3 -u $readers/file_reader.py --meterlab {meterlab} --tty {tty} --log {run_dir}/reader.log"
  ;;
current)
  grade "rewritten-file reader" current-reader.json "python3 -u $readers/file_reader.py --meterlab {meterlab} --tty {tty} --current {run_dir}/current.txt"
  ;;
stdin)
  # A reader of its standard input (`cat /dev/ttyUSB0 | reader`), fed through a pipe.
  extra=(--stdin)
  grade "stdin reader" text-reader.json "python3 -u $readers/text_reader.py --meterlab {meterlab}"
  check "stdin: a command naming {tty} refused" test "$(status "$ml" conform --stdin --decoder "cat {tty}" --adapter "$tmp/text-reader.json" "${clean[@]}")" -eq 2
  check "stdin: refusal says why" grep -qF 'reads standard input: its command names no {tty}' "$tmp/err"
  ;;
bench)
  # The speed of a reader beside `meterlab decode`'s: a reader that sleeps 50 ms a telegram does
  # about 20 telegrams a second with a p50 latency near 50 ms; the engine is far faster.
  check "bench runs" test "$(status "$ml" conform --bench --decoder "python3 -u $readers/text_reader.py --meterlab {meterlab} --tty {tty} --sleep 0.05" --adapter "$tmp/text-reader.json" --profile kaifa-kfm001-3ph --duration 2m --json "$tmp/bench.json")" -eq 0
  cat "$tmp/out"
  check "bench: table" grep -qE '^text reader +pty +kaifa-kfm001-3ph +60 ' "$tmp/out"
  check "bench: figures" py "
import json
own, own_pipe, slow = json.load(open('$tmp/bench.json'))['bench']
assert own['name'] == own_pipe['name'] == 'meterlab decode' and slow['name'] == 'text reader'
assert (own['input'], own_pipe['input'], slow['input']) == ('pty', 'pipe', 'pty')
for r in own, own_pipe, slow:
    assert r['answered'] == r['telegrams'] == 60, r
assert 14 <= slow['telegrams_per_second'] <= 21, slow
assert 48 <= slow['latency_ms']['p50'] <= 70, slow
for r in own, own_pipe:
    assert r['telegrams_per_second'] > 100 and r['latency_ms']['p50'] < 20, r
assert slow['cpu_seconds_per_1000_telegrams'] > 0 and own['peak_rss_kib'] > 0 and slow['peak_rss_kib'] > 0
"
  # The same slow reader reading its standard input: measured over the pipe.
  check "bench over a pipe runs" test "$(status "$ml" conform --bench --stdin --decoder "python3 -u $readers/text_reader.py --meterlab {meterlab} --sleep 0.05" --adapter "$tmp/text-reader.json" --profile kaifa-kfm001-3ph --duration 2m --json "$tmp/pipe.json")" -eq 0
  cat "$tmp/out"
  check "bench over a pipe: figures" py "
import json
rows = json.load(open('$tmp/pipe.json'))['bench']
assert [(r['name'], r['input']) for r in rows] == [('meterlab decode', 'pty'), ('meterlab decode', 'pipe'), ('text reader', 'pipe')], rows
slow = rows[2]
assert slow['answered'] == 60 and 14 <= slow['telegrams_per_second'] <= 21, slow
assert 48 <= slow['latency_ms']['p50'] <= 70, slow
"
  ;;
bad)
  # Each mistake refused before the run (exit 2, nothing started) with its JSON path.
  bad() {  # bad NAME ADAPTER_JSON EXPECTED_MESSAGE
    printf '%s\n' "$2" >"$tmp/bad.json"
    check "$1: refused" test "$(status "$ml" conform --decoder 'touch $tmp/started; cat {tty}' --adapter "$tmp/bad.json" --profile aidon-6515 --duration 10s)" -eq 2
    check "$1: named" grep -qF "adapter $tmp/bad.json: $3" "$tmp/err"
    check "$1: not started" test ! -e "$tmp/started"
  }
  tel='"telegram": {"when": "/p", "fields": {"/p": {"obis": "1-0:1.7.0.255"}}}'
  bad "regex" '{"output": {"format": "text"}, "text": {"lines": [{"regex": "^(?<value>[0-9"}]}}' \
    'text.lines[0].regex: does not compile'
  bad "group" '{"output": {"format": "text"}, "text": {"lines": [{"regex": "^(?<power>[0-9]+)$", "obis": "1-0:1.7.0.255"}]}}' \
    'text.lines[0].regex: group (?<power>) names no field'
  bad "template" "{\"files\": [{\"path\": \"c.ini\", \"contents\": \"port={tty} speed={speed}\"}], $tel}" \
    'files[0].contents: unknown placeholder {speed}'
  bad "absolute path" "{\"files\": [{\"path\": \"/etc/reader.ini\", \"contents\": \"port={tty}\"}], $tel}" \
    'files[0].path: /etc/reader.ini is outside the run directory (set "absolute": true)'
  bad "path up" "{\"files\": [{\"path\": \"../x.ini\", \"contents\": \"x\"}], $tel}" \
    'files[0].path: ../x.ini is outside the run directory'
  bad "env template" "{\"env\": {\"K\": \"{keyy}\"}, $tel}" 'env.K: unknown placeholder {keyy}'
  bad "input" "{\"input\": \"serial\", $tel}" 'input must be "tty" or "stdin"'
  bad "stdin command naming the tty" "{\"stdin_command\": \"cat {tty}\", $tel}" \
    'stdin_command reads standard input: it names no {tty}'
  ;;
esac

echo "readers_test ($part): $passes passed, $fails failed"
test "$fails" -eq 0
