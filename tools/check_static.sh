#!/bin/bash
# Checks the static binaries in DIR (default build-musl): each one is
# static (no PT_INTERP program header, no dynamic section), within its size
# ceiling, and a subset of the integration tests passes against them.
#
#   tools/check_static.sh [DIR]
#
# Environment:
#   MAX_CONNTRACK, MAX_CONNTRACKD   size ceilings in bytes (stripped).  The
#       goal of issue 14 is 100 KB / 300 KB; both ceilings are where the
#       binaries stand today (122,200 and 256,344 bytes) plus a small margin,
#       a regression guard until the goal is reached.  conntrack's includes
#       the -O2 files of the listing path (Makefile MUSL_HOT_SRC, ~9 KB),
#       without which the static -L is slower than the dynamic one.
#   STATIC_TESTS   the integration scripts to run (default below); "" skips.
# Prints PASS/FAIL lines; exits non-zero if any check failed.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-musl}
MAX_CONNTRACK=${MAX_CONNTRACK:-123500}
MAX_CONNTRACKD=${MAX_CONNTRACKD:-262000}
STATIC_TESTS=${STATIC_TESTS-tests/integration/list_formats.sh tests/integration/cli_errors.sh tests/integration/conntrackd_basic.sh tests/integration/conntrackd_startup_errors.sh}
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

for p in conntrack conntrackd; do
  bin=$dir/$p
  [[ -x $bin ]] || { fail "static $p: $bin missing"; continue; }
  if readelf -lW "$bin" | grep -q 'INTERP'; then
    fail "static $p: has a PT_INTERP (dynamically linked)"
  elif readelf -dW "$bin" 2>/dev/null | grep -q 'NEEDED'; then
    fail "static $p: needs shared libraries"
  else
    echo "PASS static $p: no interpreter, no shared libraries"
  fi
  max_var=MAX_${p^^}
  size=$(stat -c %s "$bin")
  if (( size <= ${!max_var} )); then
    echo "PASS size $p: $size <= ${!max_var} bytes"
  else
    fail "size $p: $size > ${!max_var} bytes"
  fi
done

# The musl build compiles with -nostdinc over musl's sysroot, which has no
# linux/ or asm/ headers, so that it builds at all shows the kernel UAPI
# comes from uapi-compat/ only.  Shown here: that sysroot really lacks them,
# and no source asks for one.
musl_inc=${MUSL_INC:-/usr/include/x86_64-linux-musl}
probe=$(mktemp --suffix=.cc)
printf '#include <%s>\n' linux/netlink.h >"$probe"
if [[ ! -d $musl_inc ]]; then
  fail "uapi-compat: musl sysroot $musl_inc missing"
elif g++ -fsyntax-only -nostdinc -isystem "$musl_inc" "$probe" 2>/dev/null; then
  fail "uapi-compat: $musl_inc has kernel headers, the musl build proves nothing"
elif grep -rnE '#[[:space:]]*include[[:space:]]*<(linux|asm|asm-generic)/' src tools; then
  fail "uapi-compat: sources include kernel headers (above)"
else
  echo "PASS uapi-compat: built over a sysroot without kernel headers; no source includes one"
fi
rm -f "$probe"

# The integration scripts take the binaries from CONNTRACK/CONNTRACKD.
if [[ -n $STATIC_TESTS ]]; then
  # shellcheck disable=SC2086
  out=$(CONNTRACK=$(readlink -f "$dir/conntrack") CONNTRACKD=$(readlink -f "$dir/conntrackd") \
        tests/run_all.sh $STATIC_TESTS)
  echo "$out" | sed 's/^/  /'
  last=$(echo "$out" | tail -n 1)
  if [[ $last =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] && (( BASH_REMATCH[1] > 0 )); then
    echo "PASS integration subset against $dir: $last"
  else
    fail "integration subset against $dir: $last"
  fi
fi
(( fails == 0 ))
