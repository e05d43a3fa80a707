#!/usr/bin/env bash
# `meterlab conform --html` opened in a real browser: headless Chromium (Debian package
# `chromium`, installed by ci/setup) loads the page from a file:// URL with no network, its DOM
# must hold the verdict and the SVG drawings, and its screenshot must show them drawn (the
# verdict's colour, the telegram marks, the truth line). The screenshots are kept in the build
# folder: conform-report-pass.png and conform-report-fail.png.
# Usage: html_test.sh MLAB_BINARY REPO_DIR OUT_DIR
set -euo pipefail
ml=$1
repo=$2
out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=/dev/null
source "$repo/tools/check_lib.sh"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "FAIL: chromium is not installed: run ci/setup (Debian package chromium) to test the HTML report"
  exit 1
fi
mkdir -p "$out"
chrome() {  # chrome ARGS... (headless, no network, root-safe)
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --disable-background-networking --user-data-dir="$tmp/profile" "$@" 2>/dev/null
}

# A passing page (vectors and two scenarios, one with forged frames rejected), and a failing one
# (a reader that drops telegrams and scales the power wrong).
cd "$repo"
"$ml" conform --filter lg-e450 --mode in-process --html "$out/conform-report-pass.html" >/dev/null 2>&1
"$ml" conform --settle-ms 300 --profile kaifa-kfm001-3ph --start 2026-01-05T06:59:40 \
  --duration 30s --speed 10 --adapter meterlab-decode \
  --decoder '{meterlab} decode {tty} | awk "{ if (NR % 4) print; fflush() }"' \
  --html "$out/conform-report-fail.html" >/dev/null 2>&1 || true

for verdict in pass fail; do
  page=$out/conform-report-$verdict.html
  check "$verdict: page written" test -s "$page"
  check "$verdict: nothing fetched from the network" bash -c "! grep -qE '(src|href)=\"(https?:)?//' '$page'"
  chrome --dump-dom "file://$page" >"$tmp/dom.html"
  check "$verdict: DOM has the verdict" py "
import re
dom = open('$tmp/dom.html').read()
m = re.search(r'<span id=\"verdict\" class=\"verdict (\w+)\">(\w+)</span>', dom)
assert m and m.group(1) == '$verdict' and m.group(2).lower() == '$verdict', m
assert dom.count('<svg') >= 2 and dom.count('<rect') >= 10 and '<polyline' in dom
"
  chrome --window-size=1000,1400 --screenshot="$out/conform-report-$verdict.png" "file://$page" >/dev/null
  check "$verdict: screenshot taken" test -s "$out/conform-report-$verdict.png"
  # The drawing is there: pixels of the verdict's colour, the equal marks and the truth line.
  check "$verdict: screenshot shows the verdict and the drawings" py "
import struct, zlib
data = open('$out/conform-report-$verdict.png', 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w = 8, b'', 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
        bpp = {2: 3, 6: 4}[ctype]
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
raw, stride, prev, counts = zlib.decompress(idat), w * bpp, bytearray(w * bpp), {}
want = {'pass': (0x2e, 0x7d, 0x32), 'fail': (0xc6, 0x28, 0x28), 'equal': (0x43, 0xa0, 0x47),
        'truth': (0x1e, 0x88, 0xe5)}
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pr = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else (b if abs(p - b) <= abs(p - c) else c)
        line[i] = (line[i] + (0, a, b, (a + b) // 2, pr)[f]) & 255
    for x in range(0, stride, bpp):
        px = tuple(line[x:x + 3])
        for k, v in want.items():
            if px == v:
                counts[k] = counts.get(k, 0) + 1
    prev = line
assert counts.get('$verdict', 0) > 200, counts
assert counts.get('equal', 0) > 500 and counts.get('truth', 0) > 50, counts
print('pixels', counts)
"
done
echo "html_test: $passes passed, $fails failed (screenshots in $out)"
test "$fails" -eq 0
