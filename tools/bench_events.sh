#!/bin/bash
# The `conntrack -E` benchmark: how many events of a creation burst each
# listener receives, ours against upstream, in the same run.
#
#   sudo tools/bench_events.sh [N]            (default N: 200000)
#
# In a private network namespace (deleted on exit):
#  1. burst rounds: ours `-E` (stdout to a file) and upstream's `-E` (to
#     another file) listen side by side while tools/ct_fill creates N entries
#     as fast as it can; the listener that starts first alternates
#     (A B B A ...).  When both files have stopped growing (bounded wait),
#     both get SIGINT.  Reported per listener: [NEW] lines received out of N,
#     the "We have hit ENOBUFS" warnings, ours' exact loss report
#     ("WARNING: K events lost (T in total)"), and CPU seconds used.  The
#     table is flushed (conntrack -F) between rounds.
#  2. sustained rates: the same, with ct_fill paced (-r) at each rate of
#     $RATES for $SWEEP_N entries, then one unpaced burst of $BIG_N entries:
#     where does ours start to lose events?  By default ours listens ALONE
#     here (SWEEP_UPSTREAM=1 adds upstream): on a 2-CPU machine upstream's
#     listener (a write and a /proc/net/netlink read per event) takes the
#     CPU the generator needs, and the requested rates are not reached.
# Prints a summary table at the end.  The host's conntrack table is never
# read or written; every command runs inside the namespace.
#
# Environment:
#   CONNTRACK   our binary (default ./conntrack; else $BINDIR/conntrack, built)
#   UPSTREAM    upstream binary (default /usr/sbin/conntrack)
#   BUILD, BINDIR  private build tree for the tools (default build, build)
#   ROUNDS      burst rounds (default 4: ours first, upstream, upstream, ours)
#   RATES       paced rates in entries/s (default "50000 100000 200000";
#               "" skips phase 2's paced runs)
#   SWEEP_N     entries per paced run (default 500000)
#   BIG_N       entries of the final unpaced burst (default 1000000; 0 skips)
#   SWEEP_UPSTREAM  1: upstream listens in phase 2 too (default 0)
#   FILL_JOBS   ct_fill senders (default 1)
#   FILL_BATCH  ct_fill batch bytes for paced runs (default 16384)
#   QUIET_S     a listener is done when its file has not grown for this long
#               (default 1.5 s); MAX_WAIT bounds the wait (default 120 s)
#   OUTDIR      where outputs go (default a fresh dir under /dev/shm, removed)
#   LOCK, LOCK_WAIT  runs are serialized on this flock file (default
#               /run/lock/ctbench.lock), waiting at most LOCK_WAIT s (1800)
#
# Needs root.  If the host's net.netfilter.nf_conntrack_max is below what
# the largest N needs (a namespace may not go above the host's value on
# this kernel), it is raised for the run and restored on exit.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

UPSTREAM=${UPSTREAM:-/usr/sbin/conntrack}
BUILD=${BUILD:-build}
BINDIR=${BINDIR:-$BUILD}
ROUNDS=${ROUNDS:-4}
RATES=${RATES-50000 100000 200000}
SWEEP_N=${SWEEP_N:-500000}
BIG_N=${BIG_N:-1000000}
FILL_JOBS=${FILL_JOBS:-1}
SWEEP_UPSTREAM=${SWEEP_UPSTREAM:-0}
FILL_BATCH=${FILL_BATCH:-16384}
QUIET_S=${QUIET_S:-1.5}
MAX_WAIT=${MAX_WAIT:-120}
N=${1:-200000}

die() { echo "bench_events: $*" >&2; exit 1; }

(( EUID == 0 )) || die "needs root (network namespaces): sudo $0"
[[ -x $UPSTREAM ]] || die "$UPSTREAM missing (apt-get install conntrack)"
for v in N ROUNDS SWEEP_N BIG_N FILL_JOBS FILL_BATCH MAX_WAIT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "bad $v: ${!v}"
done
for r in $RATES; do [[ $r =~ ^[1-9][0-9]*$ ]] || die "bad rate: $r"; done
(( N >= 1 && N <= 16000000 && BIG_N <= 16000000 && SWEEP_N <= 16000000 )) || die "N out of range"

make -s BUILD="$BUILD" BINDIR="$BINDIR" tools >&2 || die "cannot build the tools"
BINDIR=$(cd "$BINDIR" && pwd)
FILL=$BINDIR/ct_fill
if [[ -n ${CONNTRACK:-} ]]; then
  OURS=$CONNTRACK
elif [[ -x ./conntrack ]]; then
  OURS=./conntrack
else
  make -s BUILD="$BUILD" BINDIR="$BINDIR" "$BINDIR/conntrack" >&2 || die "cannot build conntrack"
  OURS=$BINDIR/conntrack
fi
[[ -x $OURS ]] || die "$OURS is not executable"
OURS=$(cd "$(dirname "$OURS")" && pwd)/$(basename "$OURS")

max_n=$N
(( SWEEP_N > max_n && ${#RATES} > 0 )) && max_n=$SWEEP_N
(( BIG_N > max_n )) && max_n=$BIG_N
need=$(( max_n + max_n / 10 + 1000 ))

# One benchmark at a time on this machine (shared with bench_list.sh).
lock=${LOCK:-/run/lock/ctbench.lock}
exec 9>"$lock"
if ! flock -n 9; then
  echo "bench_events: another run holds $lock; waiting (at most ${LOCK_WAIT:-1800} s)" >&2
  flock -w "${LOCK_WAIT:-1800}" 9 || die "gave up waiting for $lock"
fi

ns=ctevbench.$$.$RANDOM
host_max_orig=$(sysctl -n net.netfilter.nf_conntrack_max)
host_max_set=""
outdir=${OUTDIR:-}
made_outdir=""
PIDS=()

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  # Put the host limit back, unless someone changed it since.
  if [[ -n $host_max_set ]] &&
     [[ $(sysctl -n net.netfilter.nf_conntrack_max) == "$host_max_set" ]]; then
    sysctl -qw net.netfilter.nf_conntrack_max="$host_max_orig"
  fi
  [[ -n $made_outdir ]] && rm -rf "$made_outdir"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z $outdir ]]; then
  outdir=$(mktemp -d /dev/shm/ctevbench.XXXXXX)
  made_outdir=$outdir
fi
mkdir -p "$outdir"
if (( host_max_orig < need )); then
  echo "host: raising nf_conntrack_max $host_max_orig -> $need for the run (restored on exit)"
  sysctl -qw net.netfilter.nf_conntrack_max="$need" || die "cannot raise nf_conntrack_max"
  host_max_set=$need
fi
ip netns add "$ns" || die "cannot create namespace $ns"
nsx() { ip netns exec "$ns" "$@"; }
nsx ip link set lo up
if (( $(nsx sysctl -n net.netfilter.nf_conntrack_max) < need )); then
  nsx sysctl -qw net.netfilter.nf_conntrack_max="$need" ||
    die "cannot raise nf_conntrack_max in the namespace to $need"
fi

echo "ours: $OURS"
echo "upstream: $UPSTREAM ($("$UPSTREAM" --version 2>&1 | head -n 1))"
echo "kernel $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg);" \
     "namespace nf_conntrack_max=$(nsx sysctl -n net.netfilter.nf_conntrack_max);" \
     "net.core.rmem_default=$(sysctl -n net.core.rmem_default)"
echo "outputs in $outdir"

table_count() { nsx "$UPSTREAM" -C 2>/dev/null || echo -1; }
flush_table() {
  local i
  nsx "$UPSTREAM" -F >/dev/null 2>&1
  for (( i = 0; i < 100; i++ )); do
    (( $(table_count) == 0 )) && return 0
    sleep 0.1
  done
  die "table not empty after flush: $(table_count) entries"
}
# Event sockets (NETLINK_NETFILTER with a group) in the namespace.
subscribed() {
  nsx awk '$2 == 12 && $4 != "00000000" { n++ } END { print n + 0 }' /proc/net/netlink
}
cpu_s() {  # utime + stime of a live PID, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
    "/proc/$1/stat" 2>/dev/null || echo -
}
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }

# run_trial LABEL N RATE FIRST: one trial with both listeners (FIRST = ours
# or up starts first; "alone" = ours only) while ct_fill makes N entries
# (RATE 0 = unpaced).
# Appends one row per listener to $outdir/summary.
run_trial() {
  local label=$1 n=$2 rate=$3 first=$4 who order=() i
  local -A pid=() cpu=()
  case $first in
    ours) order=(ours up) ;;
    up) order=(up ours) ;;
    alone) order=(ours) ;;
  esac
  flush_table
  for who in "${order[@]}"; do
    local bin=$OURS; [[ $who == up ]] && bin=$UPSTREAM
    # Not through nsx: a backgrounded function would be a subshell, and $!
    # its PID.  `ip netns exec` execs conntrack itself, so $! is conntrack.
    ip netns exec "$ns" "$bin" -E >"$outdir/$who.out" 2>"$outdir/$who.err" </dev/null &
    pid[$who]=$!
    PIDS+=("$!")
  done
  for (( i = 0; i < 100; i++ )); do
    (( $(subscribed) >= ${#order[@]} )) && break
    sleep 0.05
  done
  (( $(subscribed) >= ${#order[@]} )) || die "listeners did not subscribe"

  local fill_args=(-n "$n" -j "$FILL_JOBS")
  (( rate > 0 )) && fill_args+=(-r "$rate" -b "$FILL_BATCH")
  local fill_out achieved
  fill_out=$(nsx "$FILL" "${fill_args[@]}" 2>&1)
  achieved=$(sed -nE 's/.*requests in .* s \(([0-9]+)\/s\).*/\1/p' <<<"$fill_out")
  [[ -n $achieved ]] || { echo "$fill_out" >&2; die "ct_fill failed"; }
  local made; made=$(table_count)
  (( made == n )) || echo "warning: table holds $made entries, expected $n" >&2

  # Wait until neither output has grown for QUIET_S seconds (bounded).
  local t0=$SECONDS last="" quiet_since=$SECONDS cur
  while (( SECONDS - t0 < MAX_WAIT )); do
    cur="$(fsize "$outdir/ours.out") $(fsize "$outdir/up.out")"
    if [[ $cur != "$last" ]]; then
      last=$cur; quiet_since=$(date +%s.%N)
    elif awk -v a="$quiet_since" -v b="$(date +%s.%N)" -v q="$QUIET_S" 'BEGIN { exit !(b - a >= q) }'; then
      break
    fi
    sleep 0.2
  done
  for who in "${order[@]}"; do cpu[$who]=$(cpu_s "${pid[$who]}"); done
  for who in "${order[@]}"; do kill -INT "${pid[$who]}" 2>/dev/null; done
  local rc
  for who in "${order[@]}"; do
    for (( i = 0; i < 50; i++ )); do kill -0 "${pid[$who]}" 2>/dev/null || break; sleep 0.1; done
    kill -0 "${pid[$who]}" 2>/dev/null && kill -KILL "${pid[$who]}"
    wait "${pid[$who]}"; rc=$?
    (( rc == 0 )) || echo "warning: $who -E exited with status $rc" >&2
  done
  PIDS=()

  local got enobufs lost shown
  for who in "${order[@]}"; do
    got=$(grep -c '^    \[NEW\] ' "$outdir/$who.out")
    enobufs=$(grep -c 'We have hit ENOBUFS' "$outdir/$who.err")
    lost=$(grep -o 'WARNING: [0-9]* events lost ([0-9]* in total)' "$outdir/$who.err" |
           tail -n 1 | sed -E 's/.*\(([0-9]+) in total\)/\1/')
    shown=$(sed -nE 's/.*: ([0-9]+) flow events have been shown\./\1/p' "$outdir/$who.err")
    printf '%-8s %8s %8s %8s %-9s %-5s %8s %6s %7s %9s %6s %s\n' \
      "$label" "$n" "${rate/#0/max}" "$achieved" "$who" \
      "$(if [[ $first == alone ]]; then echo alone; elif [[ $who == "$first" ]]; then echo 1st; else echo 2nd; fi)" \
      "$got" "$(awk -v a="$got" -v b="$n" 'BEGIN { printf "%.1f", 100 * a / b }')" \
      "$enobufs" "${lost:--}" "${cpu[$who]}" \
      "$([[ $who == ours && -n $lost ]] && { (( got + lost == n )) && echo "got+lost=N" || echo "got+lost=$((got + lost))!=N"; })" \
      | tee -a "$outdir/summary"
    [[ -n $shown && $shown != "$got" ]] && echo "warning: $who says $shown shown, counted $got" >&2
  done
  rm -f "$outdir/ours.out" "$outdir/up.out"
  : >"$outdir/up.out"
}

HDR=$(printf '%-8s %8s %8s %8s %-9s %-5s %8s %6s %7s %9s %6s' \
  phase N rate/s fill/s listener start NEW-recv '%' ENOBUFS ours-lost cpu-s)
: >"$outdir/summary"
echo
echo "$HDR"
for (( r = 0; r < ROUNDS; r++ )); do
  # A B B A: ours first in rounds 0, 3, 4, 7, ...
  if (( (r + 1) / 2 % 2 == 0 )); then first=ours; else first=up; fi
  run_trial "burst$r" "$N" 0 "$first"
done
k=0
for rate in $RATES; do
  if (( !SWEEP_UPSTREAM )); then first=alone
  elif (( k % 2 == 0 )); then first=ours; else first=up; fi
  run_trial "paced" "$SWEEP_N" "$rate" "$first"
  k=$((k + 1))
done
if (( BIG_N > 0 )); then
  if (( SWEEP_UPSTREAM )); then run_trial "big" "$BIG_N" 0 ours
  else run_trial "big" "$BIG_N" 0 alone; fi
fi

echo
echo "== summary (NEW-recv = [NEW] lines received of N created; ours-lost = ours'"
echo "   own exact count from the socket's drop counter; cpu-s = listener CPU time)"
echo "$HDR"
cat "$outdir/summary"
echo
awk '$1 ~ /^burst/ { s[$5] += $8; c[$5]++; e[$5] += $9 }
     END { for (w in s) printf "burst mean over %d rounds: %-4s receives %.1f%% of events, %.0f ENOBUFS warnings\n", c[w], w, s[w] / c[w], e[w] / c[w] }' \
  "$outdir/summary" | sort
awk '$5 == "ours" && $1 != "big" && $10 == "-" && $7 == $2 { if ($4 > best) best = $4 }
     END { if (best) printf "highest measured creation rate at which ours lost nothing: %d/s\n", best;
           else print "ours lost events at every measured rate" }' "$outdir/summary"
