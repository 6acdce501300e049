#!/bin/bash
# The `conntrack -L` benchmark: ours against upstream, on the same table,
# in the same run, alternating.
#
#   sudo tools/bench_list.sh [N ...]          (default N: 100000 1000000)
#
# Makes a private network namespace (deleted on exit), fills its conntrack
# table with tools/ct_fill up to each N in turn (ascending), and times, in
# rounds whose order alternates (A B B A ...):
#   floor     tools/ct_rawdump: one raw netlink dump, counted, not parsed
#   -L        ours and upstream, stdout to a file
#   extended  ours and upstream `-L -o extended`
#   xml       ours and upstream `-L -o xml`
# then one run each of ours and upstream `-L` under /usr/bin/time for peak
# RSS, and checks that both -L outputs (and each format's) have the same
# number of lines.  Prints medians and ratios.  The host's own conntrack
# table is never read or written.
#
# Environment:
#   CONNTRACK   our binary (default ./conntrack; built into $BINDIR if missing;
#               if it cannot be built, only upstream and the floor are timed)
#   UPSTREAM    upstream binary (default /usr/sbin/conntrack)
#   BUILD, BINDIR  private build tree for the tools (default build, build)
#   ROUNDS_SMALL, ROUNDS_LARGE  rounds below / from 500000 entries (8, 4)
#   OUTDIR      where outputs go (default a fresh dir under /dev/shm)
#   TIMEOUT     entry timeout given to ct_fill (default 3600 s)
#   LOCK, LOCK_WAIT  runs are serialized on this flock file (default
#               /run/lock/ctbench.lock), waiting at most LOCK_WAIT s (1800)
#
# Needs root.  If the host's net.netfilter.nf_conntrack_max is below what
# the largest N needs (a namespace may not go above the host's value on
# this kernel), it is raised for the run and restored on exit.
set -euo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.."

UPSTREAM=${UPSTREAM:-/usr/sbin/conntrack}
BUILD=${BUILD:-build}
BINDIR=${BINDIR:-$BUILD}
ROUNDS_SMALL=${ROUNDS_SMALL:-8}
ROUNDS_LARGE=${ROUNDS_LARGE:-4}
TIMEOUT=${TIMEOUT:-3600}

die() { echo "bench_list: $*" >&2; exit 1; }

# ----------------------------------------------------------------------------
# Inner part: runs inside the namespace (re-executed by the outer part).
if [[ ${1:-} == --inner ]]; then
  shift
  FILL=$BINDIR/ct_fill
  RAW=$BINDIR/ct_rawdump
  OURS=${BENCH_OURS:-}
  NEED=$BENCH_NEED
  : "${OUTDIR:?}"
  if (( $(sysctl -n net.netfilter.nf_conntrack_max) < NEED )); then
    sysctl -qw net.netfilter.nf_conntrack_max="$NEED" ||
      die "cannot raise nf_conntrack_max in the namespace to $NEED"
  fi
  echo "namespace: nf_conntrack_max=$(sysctl -n net.netfilter.nf_conntrack_max)" \
       "nf_conntrack_buckets=$(sysctl -n net.netfilter.nf_conntrack_buckets)"

  count_entries() { "$RAW" | sed -n 's/^entries=\([0-9]*\).*/\1/p'; }

  # Runs command key $1 once; prints "wall cpu" in seconds (cpu = user +
  # sys of the command, which includes the kernel's dump work and is less
  # disturbed than wall time by other load on the machine).
  run_timed() {
    local key=$1 out=$OUTDIR/$1.out tf=$OUTDIR/time.txt w u s
    local -a cmd
    case $key in
      floor)    cmd=("$RAW") ;;
      ours_L)   cmd=("$OURS" -L) ;;
      up_L)     cmd=("$UPSTREAM" -L) ;;
      ours_ext) cmd=("$OURS" -L -o extended) ;;
      up_ext)   cmd=("$UPSTREAM" -L -o extended) ;;
      ours_xml) cmd=("$OURS" -L -o xml) ;;
      up_xml)   cmd=("$UPSTREAM" -L -o xml) ;;
      *) die "unknown key $key" ;;
    esac
    rm -f "$out"
    local TIMEFORMAT='%3R %3U %3S'
    { time "${cmd[@]}" >"$out" 2>/dev/null; } 2>"$tf"
    read -r w u s <"$tf"
    awk -v w="$w" -v u="$u" -v s="$s" 'BEGIN { printf "%.3f %.3f\n", w, u + s }'
  }

  # Median of values in seconds.
  median() {
    printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {
      if (NR == 0) { print "-"; exit }
      m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
      printf "%.3f\n", m }'
  }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx\n", a / b }'; }

  # One table of medians: $1 = wall or cpu.
  print_table() {
    local -n tt=times_$1
    local f u o fl name
    # tt[k] holds space-separated seconds: split on purpose.
    # shellcheck disable=SC2086
    fl=$(median ${tt[floor]})
    echo "$1 seconds, median of $rounds rounds (floor = raw dump, $fl s):"
    printf '  %-9s %9s %9s %10s %10s %10s\n' format ours upstream ours/floor up/floor ours/up
    for f in L ext xml; do
      # shellcheck disable=SC2086
      u=$(median ${tt[up_$f]})
      o=-
      # shellcheck disable=SC2086
      [[ -n $OURS ]] && o=$(median ${tt[ours_$f]})
      name=$f; [[ $f == L ]] && name=-L
      printf '  %-9s %9s %9s %10s %10s %10s\n' "$name" "$o" "$u" \
        "$(ratio "$o" "$fl")" "$(ratio "$u" "$fl")" "$(ratio "$o" "$u")"
    done
  }

  keys=(floor)
  if [[ -n $OURS ]]; then
    keys+=(ours_L up_L ours_ext up_ext ours_xml up_xml)
  else
    keys+=(up_L up_ext up_xml)
  fi

  cur=$(count_entries)
  for n in "$@"; do
    (( n >= cur )) || die "N must ascend (table has $cur, asked $n)"
    if (( n > cur )); then
      echo "== filling $(( n - cur )) entries (to $n)"
      jobs=$(nproc); (( jobs > 8 )) && jobs=8
      "$FILL" -n $(( n - cur )) -s "$cur" -t "$TIMEOUT" -j "$jobs"
    fi
    cur=$(count_entries)
    (( cur == n )) || die "table has $cur entries, expected $n"

    rounds=$ROUNDS_SMALL
    (( n >= 500000 )) && rounds=$ROUNDS_LARGE
    echo "== N=$n: $rounds rounds, order alternating: ${keys[*]}"
    declare -A times_wall=() times_cpu=()
    for (( r = 0; r < rounds; r++ )); do
      if (( r % 2 == 0 )); then order=("${keys[@]}")
      else order=(); for (( i = ${#keys[@]} - 1; i >= 0; i-- )); do order+=("${keys[i]}"); done
      fi
      line="round $r (wall/cpu s):"
      for k in "${order[@]}"; do
        read -r w c < <(run_timed "$k")
        times_wall[$k]+="$w "
        times_cpu[$k]+="$c "
        line+=" $k=$w/$c"
      done
      echo "$line"
    done

    # Sanity: the same number of lines from both, per format.
    check=""
    if [[ -n $OURS ]]; then
      for f in L ext xml; do
        a=$(wc -l <"$OUTDIR/ours_$f.out"); b=$(wc -l <"$OUTDIR/up_$f.out")
        if (( a == b )); then check+=" $f:$a=ok"; else check+=" $f:ours=$a,upstream=$b=MISMATCH"; fi
      done
    else
      check=" upstream -L: $(wc -l <"$OUTDIR/up_L.out") lines"
    fi

    # Peak RSS, one run each, outside the timed rounds.
    rss_up=$(/usr/bin/time -f %M "$UPSTREAM" -L 2>&1 >/dev/null | tail -n 1)
    rss_ours=-
    [[ -n $OURS ]] && rss_ours=$(/usr/bin/time -f %M "$OURS" -L 2>&1 >/dev/null | tail -n 1)

    echo
    echo "N=$n"
    print_table wall
    print_table cpu
    echo "peak RSS of -L (KB): ours $rss_ours  upstream $rss_up"
    echo "line counts:$check"
    echo
    unset times_wall times_cpu
  done
  exit 0
fi

# ----------------------------------------------------------------------------
# Outer part: build, host limit, namespace, cleanup.
(( EUID == 0 )) || die "needs root (network namespaces): sudo $0"
[[ -x $UPSTREAM ]] || die "$UPSTREAM missing (apt-get install conntrack)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time missing (apt-get install time)"

if (( $# == 0 )); then set -- 100000 1000000; fi
for n in "$@"; do
  if ! [[ $n =~ ^[0-9]+$ ]] || (( n < 1 || n > 16000000 )); then die "bad N: $n"; fi
done
mapfile -t sizes < <(printf '%s\n' "$@" | sort -n -u)
max=${sizes[-1]}
need=$(( max + max / 10 + 1000 ))

make -s BUILD="$BUILD" BINDIR="$BINDIR" tools >&2 || die "cannot build the tools"
BINDIR=$(cd "$BINDIR" && pwd)

ours=""
if [[ -n ${CONNTRACK:-} ]]; then
  [[ -x $CONNTRACK ]] || die "CONNTRACK=$CONNTRACK is not executable"
  ours=$CONNTRACK
elif [[ -x ./conntrack ]]; then
  ours=./conntrack
elif make -s BUILD="$BUILD" BINDIR="$BINDIR" "$BINDIR/conntrack" >&2 2>/dev/null; then
  ours=$BINDIR/conntrack
else
  echo "bench_list: our conntrack does not build yet: timing upstream and the floor only" >&2
fi
[[ -n $ours ]] && ours=$(cd "$(dirname "$ours")" && pwd)/$(basename "$ours")

# One benchmark at a time on this machine: concurrent runs would spoil each
# other's timings and race on the host's nf_conntrack_max.
lock=${LOCK:-/run/lock/ctbench.lock}
exec 9>"$lock"
if ! flock -n 9; then
  echo "bench_list: another run holds $lock; waiting (at most ${LOCK_WAIT:-1800} s)" >&2
  flock -w "${LOCK_WAIT:-1800}" 9 || die "gave up waiting for $lock"
fi

ns=ctbench.$$.$RANDOM
outdir=${OUTDIR:-}
host_max_orig=$(sysctl -n net.netfilter.nf_conntrack_max)
host_max_set=""
made_outdir=""

cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  # Put the host limit back, unless someone changed it since.
  if [[ -n $host_max_set ]] &&
     [[ $(sysctl -n net.netfilter.nf_conntrack_max) == "$host_max_set" ]]; then
    sysctl -qw net.netfilter.nf_conntrack_max="$host_max_orig" || true
  fi
  [[ -n $made_outdir ]] && rm -rf "$made_outdir"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z $outdir ]]; then
  outdir=$(mktemp -d /dev/shm/ctbench.XXXXXX)
  made_outdir=$outdir
fi
if (( host_max_orig < need )); then
  echo "host: raising nf_conntrack_max $host_max_orig -> $need for the run (restored on exit)"
  sysctl -qw net.netfilter.nf_conntrack_max="$need"
  host_max_set=$need
fi
ip netns add "$ns"

echo "ours: ${ours:-(none)}  upstream: $UPSTREAM ($("$UPSTREAM" --version 2>&1 | head -n 1))"
echo "kernel $(uname -r), $(nproc) cpus; outputs in $outdir"
BENCH_OURS=$ours BENCH_NEED=$need OUTDIR=$outdir BINDIR=$BINDIR UPSTREAM=$UPSTREAM \
ROUNDS_SMALL=$ROUNDS_SMALL ROUNDS_LARGE=$ROUNDS_LARGE TIMEOUT=$TIMEOUT \
  ip netns exec "$ns" "$SELF" --inner "${sizes[@]}"
