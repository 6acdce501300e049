#!/bin/bash
# The "deletes at scale" benchmark: ours against upstream on the same
# table, in the same run, alternating (A B B A per command).
#
#   sudo tools/bench_modify.sh [N ...]        (default N: 100000 1000000)
#
# For each N, in a private network namespace (deleted on exit), filled by
# tools/ct_fill (half TCP, 3 in 8 TCP with dport 80, one entry in four IPv6):
#   L80    -L -p tcp --dport 80 > file       (family 0: all families)
#   L80v4  -L -f ipv4 -p tcp --dport 80 > file (kernel CTA_FILTER applies)
#   D      -D -p tcp > file                  (deletes ~half; refilled first)
#   U      -U -f ipv4 -p udp -m 1 > file     (1.4.7 needs a family for -U)
#   F      -F                                (refilled first)
# Each command runs ROUNDS times per binary in A B B A order; the table is
# re-made (flush + ct_fill, not timed) before every D and F run.  Then one
# -D each under /usr/bin/time for peak RSS.  Prints medians (wall, cpu)
# and ours/upstream ratios.  The host table is never read or written.
#
# Environment: CONNTRACK (ours; default: built into $BINDIR), UPSTREAM
# (/usr/sbin/conntrack), BUILD/BINDIR (private build tree, default
# /tmp/ctbench-build), ROUNDS (2: one A B B A cycle = 2 runs each),
# BENCH_KEYS (subset of "L80 L80v4 D U F"),
# CONNTRACK_NO_KERNEL_FILTER (passed to ours), LOCK (/run/lock/ctbench.lock).
# If the host's nf_conntrack_max is below what the largest N needs, it is
# raised for the run and restored on exit (same rule as bench_list.sh).
set -euo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.."
UPSTREAM=${UPSTREAM:-/usr/sbin/conntrack}
BUILD=${BUILD:-/tmp/ctbench-build}
BINDIR=${BINDIR:-$BUILD}
ROUNDS=${ROUNDS:-2}
die() { echo "bench_modify: $*" >&2; exit 1; }

if [[ ${1:-} == --inner ]]; then
  shift
  FILL=$BINDIR/ct_fill
  OUT=$OUTDIR
  if (( $(sysctl -n net.netfilter.nf_conntrack_max) < BENCH_NEED )); then
    sysctl -qw net.netfilter.nf_conntrack_max="$BENCH_NEED" || die "cannot raise nf_conntrack_max"
  fi
  jobs=$(nproc); (( jobs > 8 )) && jobs=8
  refill() { "$UPSTREAM" -F >/dev/null 2>&1 || true; "$FILL" -n "$1" -s 0 -t 3600 -j "$jobs" >/dev/null 2>&1; }
  # "wall cpu" seconds of one run of binary $1 (ours|up), command key $2.
  run_timed() {
    local bin=$1 key=$2 tf=$OUT/time.txt w u s b
    b=$UPSTREAM; [[ $bin == ours ]] && b=$BENCH_OURS
    local -a cmd
    case $key in
      L80) cmd=("$b" -L -p tcp --dport 80) ;;
      L80v4) cmd=("$b" -L -f ipv4 -p tcp --dport 80) ;;
      D) cmd=("$b" -D -p tcp) ;;
      U) cmd=("$b" -U -f ipv4 -p udp -m 1) ;;
      F) cmd=("$b" -F) ;;
    esac
    local TIMEFORMAT='%3R %3U %3S'
    { time "${cmd[@]}" >"$OUT/$bin.$key.out" 2>"$OUT/$bin.$key.err" || true; } 2>"$tf"
    read -r w u s <"$tf"
    awk -v w="$w" -v u="$u" -v s="$s" 'BEGIN { printf "%.3f %.3f\n", w, u + s }'
  }
  median() {
    printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END { if (NR == 0) { print "-"; exit }
      m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.3f\n", m }'
  }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2fx\n", a / b }'; }
  for n in "$@"; do
    echo "== N=$n"
    declare -A tw=() tc=()
    for key in ${BENCH_KEYS:-L80 L80v4 D U F}; do
      refill "$n"
      for (( r = 0; r < ROUNDS; r++ )); do
        if (( r % 2 == 0 )); then order=(ours up up ours); else order=(up ours ours up); fi
        for bin in "${order[@]}"; do
          [[ $key == D || $key == F || $key == U ]] && refill "$n"
          read -r w c < <(run_timed "$bin" "$key")
          tw[$bin.$key]+="$w "; tc[$bin.$key]+="$c "
        done
      done
      # Sanity: same line count and same stderr summary.
      lo=$(wc -l <"$OUT/ours.$key.out"); lu=$(wc -l <"$OUT/up.$key.out")
      so=$(tail -n 1 "$OUT/ours.$key.err"); su=$(tail -n 1 "$OUT/up.$key.err")
      chk=ok; [[ $lo == "$lu" && $so == "$su" ]] || chk="MISMATCH (ours $lo '$so', upstream $lu '$su')"
      # shellcheck disable=SC2086
      { ow=$(median ${tw[ours.$key]}); uw=$(median ${tw[up.$key]})
        oc=$(median ${tc[ours.$key]}); uc=$(median ${tc[up.$key]}); }
      printf '  %-6s wall ours %7s up %7s ratio %6s | cpu ours %7s up %7s ratio %6s | lines %s %s\n' \
        "$key" "$ow" "$uw" "$(ratio "$ow" "$uw")" "$oc" "$uc" "$(ratio "$oc" "$uc")" "$lo" "$chk"
    done
    refill "$n"
    rss_o=$(/usr/bin/time -f %M "$BENCH_OURS" -D -p tcp 2>&1 >/dev/null | tail -n 1)
    refill "$n"
    rss_u=$(/usr/bin/time -f %M "$UPSTREAM" -D -p tcp 2>&1 >/dev/null | tail -n 1)
    echo "  peak RSS of -D -p tcp (KB): ours $rss_o  upstream $rss_u"
    unset tw tc
  done
  exit 0
fi

(( EUID == 0 )) || die "needs root"
[[ -x $UPSTREAM ]] || die "$UPSTREAM missing (apt-get install conntrack)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time missing (apt-get install time)"
(( $# )) || set -- 100000 1000000
for n in "$@"; do [[ $n =~ ^[0-9]+$ ]] && (( n >= 1 && n <= 4000000 )) || die "bad N: $n"; done
mapfile -t sizes < <(printf '%s\n' "$@" | sort -n -u)
need=$(( sizes[-1] + sizes[-1] / 10 + 1000 ))
(( need < 1101000 )) && (( sizes[-1] >= 1000000 )) && need=1101000
make -s BUILD="$BUILD" BINDIR="$BINDIR" all tools >&2 || die "cannot build"
BINDIR=$(cd "$BINDIR" && pwd)
ours=${CONNTRACK:-$BINDIR/conntrack}
ours=$(cd "$(dirname "$ours")" && pwd)/$(basename "$ours")

lock=${LOCK:-/run/lock/ctbench.lock}
exec 9>"$lock"
flock -w "${LOCK_WAIT:-1800}" 9 || die "gave up waiting for $lock"
ns=ctbenchm.$$.$RANDOM
host_max_orig=$(sysctl -n net.netfilter.nf_conntrack_max)
host_max_set=""
outdir=$(mktemp -d /dev/shm/ctbenchm.XXXXXX)
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  if [[ -n $host_max_set ]] && [[ $(sysctl -n net.netfilter.nf_conntrack_max) == "$host_max_set" ]]; then
    sysctl -qw net.netfilter.nf_conntrack_max="$host_max_orig" || true
  fi
  rm -rf "$outdir"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if (( host_max_orig < need )); then
  echo "host: raising nf_conntrack_max $host_max_orig -> $need for the run (restored on exit)"
  sysctl -qw net.netfilter.nf_conntrack_max="$need"
  host_max_set=$need
fi
ip netns add "$ns"
echo "ours: $ours  upstream: $UPSTREAM; kernel $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
BENCH_KEYS=${BENCH_KEYS:-} BENCH_OURS=$ours BENCH_NEED=$need OUTDIR=$outdir BINDIR=$BINDIR UPSTREAM=$UPSTREAM ROUNDS=$ROUNDS \
  ip netns exec "$ns" "$SELF" --inner "${sizes[@]}"
