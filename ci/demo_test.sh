#!/usr/bin/env bash
# The demo as a test (CTest, short and fast): ci/demo_test.sh METERLAB ok|wrong-key
#   ok         the live demo (4 meters, 40 s of meter time at 8x) passes: every telegram equal
#   wrong-key  the MA309's decoder gets a wrong key: the demo must fail and name that meter
set -uo pipefail
ml=$1
case ${2:-ok} in
  ok)
    DEMO_SPEED=8 DEMO_DURATION=40s bash "$(dirname "$0")/demo-run" "$ml"
    ;;
  wrong-key)
    out=$(DEMO_BREAK_KEY=kaifa-ma309-tinetz DEMO_SPEED=8 DEMO_DURATION=20s \
      bash "$(dirname "$0")/demo-run" "$ml" 2>&1)
    rc=$?
    echo "$out" | tail -n 12
    if [ "$rc" -eq 0 ]; then
      echo "demo_test: the demo passed with a wrong key" >&2
      exit 1
    fi
    if ! echo "$out" | grep -q "kaifa-ma309-tinetz .*FAIL"; then
      echo "demo_test: the demo failed but did not name kaifa-ma309-tinetz" >&2
      exit 1
    fi
    if echo "$out" | grep -E "^  (kaifa-kfm001|lg-e450|iskra)" | grep -q FAIL; then
      echo "demo_test: a meter with the right key failed too" >&2
      exit 1
    fi
    echo "demo_test: the demo fails with a wrong key, naming the meter"
    ;;
  *)
    echo "usage: demo_test.sh METERLAB ok|wrong-key" >&2
    exit 2
    ;;
esac
