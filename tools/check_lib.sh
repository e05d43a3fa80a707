# Shared by the shell tests (sourced): `check NAME CONDITION...` counts a pass or prints
# "FAIL: NAME"; `py CODE` runs a python3 check; the script ends with `test "$fails" -eq 0`.
fails=0
passes=0
check() {  # check NAME CONDITION...
  local name=$1
  shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
py() { python3 -c "$@"; }
