#!/bin/bash
# Runs every test suite and prints one final line: "N passed, M failed".
#
#   tests/run_all.sh                  unit tests, then all integration tests
#   tests/run_all.sh --unit           unit tests only
#   tests/run_all.sh --integration    integration tests only
#   tests/run_all.sh tests/integration/foo.sh ...   just these scripts
#
# Integration tests are the executable tests/integration/*.sh files, except
# helpers named lib*.sh (sourced by the tests).
# Counting: each GoogleTest case counts once.  An integration script that
# prints lines starting with PASS or FAIL counts once per such line (plus one
# failure if it exits non-zero without printing a FAIL line); a script that
# prints neither counts once, by its exit status.
#
# Environment (`make check` sets the first five):
#   UNIT_TESTS   GoogleTest binary            (default build/unit_tests)
#   CONNTRACK    our conntrack binary         (default ./conntrack)
#   CONNTRACKD   our conntrackd binary        (default ./conntrackd)
#   CT_FILL      tools/ct_fill (load generator some scripts use)
#   BUILD, BINDIR  the make variables, passed on to the scripts
#   JOBS         integration scripts run in parallel (default 2)
#   TEST_TIMEOUT seconds before a script is killed (default 600)
#   VERBOSE=1    show the output of passing scripts too
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

# --- one integration script (run by xargs below) --------------------------
if [[ ${1:-} == --run-one ]]; then
  logdir=$2 script=$3
  name=$(basename "$script" .sh)
  start=$SECONDS
  timeout -k 10 "$TEST_TIMEOUT" "$script" </dev/null >"$logdir/$name.log" 2>&1
  rc=$?
  echo "$rc $((SECONDS - start))" >"$logdir/$name.rc"
  exit 0
fi

export UNIT_TESTS=${UNIT_TESTS:-$top/build/unit_tests}
export CONNTRACK=${CONNTRACK:-$top/conntrack}
export CONNTRACKD=${CONNTRACKD:-$top/conntrackd}
export UPSTREAM_CONNTRACK=${UPSTREAM_CONNTRACK:-/usr/sbin/conntrack}
export UPSTREAM_CONNTRACKD=${UPSTREAM_CONNTRACKD:-/usr/sbin/conntrackd}
export TOP=$top
export JOBS=${JOBS:-2} TEST_TIMEOUT=${TEST_TIMEOUT:-600}

run_unit=1 run_integ=1
scripts=()
for a in "$@"; do
  case $a in
    --unit) run_integ=0 ;;
    --integration) run_unit=0 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) run_unit=0; scripts+=("$a") ;;
  esac
done

passed=0 failed=0

# --- GoogleTest ------------------------------------------------------------
if (( run_unit )); then
  echo "== unit tests: $UNIT_TESTS"
  if [[ ! -x $UNIT_TESTS ]]; then
    echo "FAIL unit tests: $UNIT_TESTS not built (make check builds it)"
    failed=$((failed + 1))
  else
    out=$("$UNIT_TESTS" --gtest_brief=1 --gtest_color=no 2>&1 </dev/null)
    rc=$?
    printf '%s\n' "$out" | grep -Ev '^\[ *(RUN|OK) *\]' | tail -n 40
    # "[==========] 14 tests from 3 test suites ran.", "[  PASSED  ] 12 tests."
    # and "[  SKIPPED ] 1 test, listed below:"; the rest failed.
    num() { printf '%s\n' "$out" | sed -nE "s/$1/\\1/p" | tail -n1; }
    ran=$(num '^\[==========\] ([0-9]+) tests? from .* ran.*')
    p=$(num '^\[  PASSED  \] ([0-9]+) tests?\..*')
    sk=$(num '^\[  SKIPPED \] ([0-9]+) tests?[.,].*')
    p=${p:-0}
    f=$(( ${ran:-0} - p - ${sk:-0} ))
    if (( rc != 0 && f == 0 )); then
      echo "FAIL unit tests: exit status $rc (crash?)"
      f=1
    fi
    echo "-- unit tests: $p passed, $f failed"
    passed=$((passed + p)) failed=$((failed + f))
  fi
fi

# --- integration scripts ---------------------------------------------------
if (( run_integ )); then
  if (( ${#scripts[@]} == 0 )); then
    # Every executable tests/integration/*.sh except helpers named lib*.sh.
    for s in "$top"/tests/integration/*.sh; do
      [[ -x $s && $(basename "$s") != lib*.sh ]] && scripts+=("$s")
    done
  fi
  if (( ${#scripts[@]} > 0 )); then
    echo "== integration tests: ${#scripts[@]} scripts, $JOBS at a time"
    if (( EUID != 0 )); then
      # They make network namespaces and talk to the kernel's conntrack.
      echo "FAIL integration tests need root (sudo make check): ${#scripts[@]} scripts not run"
      failed=$((failed + ${#scripts[@]}))
    else
      logdir=$(mktemp -d "${TMPDIR:-/tmp}/ctt-logs.XXXXXX")
      trap 'rm -rf "$logdir"' EXIT
      printf '%s\0' "${scripts[@]}" |
        xargs -0 -n1 -P "$JOBS" "$top/tests/run_all.sh" --run-one "$logdir"
      for s in "${scripts[@]}"; do
        name=$(basename "$s" .sh)
        log=$logdir/$name.log
        read -r rc secs <"$logdir/$name.rc" 2>/dev/null || { rc=127 secs=0; }
        p=$(grep -c '^PASS' "$log" 2>/dev/null)
        f=$(grep -c '^FAIL' "$log" 2>/dev/null)
        p=${p:-0} f=${f:-0}
        note=
        if (( p + f == 0 )); then
          if (( rc == 0 )); then p=1; else f=1; fi
        elif (( rc != 0 && f == 0 )); then
          f=1 note=" (exit status $rc)"
        fi
        (( rc == 124 || rc == 137 )) && note=" (timed out after ${TEST_TIMEOUT}s)"
        if (( f > 0 )) || [[ ${VERBOSE:-0} == 1 ]]; then
          echo "---- $name output:"
          # The failing cases with their diffs first, then how it ended.
          grep -A 20 '^FAIL' "$log" | head -n 300
          echo "---- $name (last lines):"
          tail -n 15 "$log"
        fi
        printf -- '-- %-32s %3d passed, %d failed, %ss%s\n' "$name" "$p" "$f" "$secs" "$note"
        passed=$((passed + p)) failed=$((failed + f))
      done
    fi
  fi
fi

echo "$passed passed, $failed failed"
(( failed == 0 ))
