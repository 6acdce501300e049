#!/bin/bash
# conntrackd start-up and -i benchmark: time until the internal cache holds
# the whole kernel table (the initial dump; both daemons log "initialization
# completed" right after it), peak RSS (VmHWM), and the time of `conntrackd
# -i` writing the whole cache to a file, ours against upstream's 1.4.7
# daemon on the same table, alternating (A B B A).
#
#   sudo tools/bench_conntrackd.sh [N]        (default N: 1000000)
#
# Makes a private namespace (deleted on exit), fills it with tools/ct_fill,
# runs each daemon in console mode (stats mode, HashLimit above N) with a
# config in a private temp dir, waits for the log line, reads
# /proc/PID/status, asks the daemon for `-s` to check the entry count,
# then stops it with SIGTERM by PID.  The host's nf_conntrack_max is raised
# for the run if needed and restored on exit (as tools/bench_list.sh).
#
# Environment: CONNTRACKD (ours, default $BINDIR/conntrackd), UPSTREAM
# (/usr/sbin/conntrackd), BUILD/BINDIR (build), ROUNDS (2: A B B A).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
BUILD=${BUILD:-build}
BINDIR=${BINDIR:-$BUILD}
OURS=${CONNTRACKD:-$BINDIR/conntrackd}
UPSTREAM=${UPSTREAM:-/usr/sbin/conntrackd}
ROUNDS=${ROUNDS:-2}
die() { echo "bench_conntrackd: $*" >&2; exit 1; }
[[ -x $OURS ]] || die "no $OURS (make BUILD=$BUILD BINDIR=$BINDIR)"
[[ -x $BINDIR/ct_fill ]] || make -s BUILD="$BUILD" BINDIR="$BINDIR" "$BINDIR/ct_fill" >/dev/null ||
  die "cannot build ct_fill"
OURS=$(cd "$(dirname "$OURS")" && pwd)/$(basename "$OURS")

lock=${LOCK:-/run/lock/ctbench.lock}
exec 9>"$lock"
flock -w "${LOCK_WAIT:-1800}" 9 || die "gave up waiting for $lock"

ns=ctdbench.$$.$RANDOM
tmp=$(mktemp -d /tmp/ctdbench.XXXXXX)
need=$((N + N / 10 + 1000))
host_max_orig=$(sysctl -n net.netfilter.nf_conntrack_max)
host_max_set=""
DPID=""
cleanup() {
  [[ -n $DPID ]] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  ip netns del "$ns" 2>/dev/null || true
  if [[ -n $host_max_set ]] &&
     [[ $(sysctl -n net.netfilter.nf_conntrack_max) == "$host_max_set" ]]; then
    sysctl -qw net.netfilter.nf_conntrack_max="$host_max_orig" || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if (( host_max_orig < need )); then
  echo "host: raising nf_conntrack_max $host_max_orig -> $need for the run (restored on exit)"
  sysctl -qw net.netfilter.nf_conntrack_max="$need"
  host_max_set=$need
fi
ip netns add "$ns"
nsx() { ip netns exec "$ns" "$@"; }
nsx sysctl -qw net.netfilter.nf_conntrack_max="$need" 2>/dev/null || true
echo "filling $N entries..."
nsx "$BINDIR/ct_fill" -n "$N" -t 3600 -q || die "ct_fill failed"

hashsize=1
while (( hashsize < N )); do hashsize=$((hashsize * 2)); done
for who in ours up; do
  cat >"$tmp/$who.conf" <<CONF
General {
  HashSize $hashsize
  HashLimit $((N * 2))
  LogFile $tmp/$who.log
  LockFile $tmp/$who.lock
  UNIX { Path $tmp/$who.sock }
  Systemd off
}
Stats { }
CONF
done

# One run: prints "seconds peak_rss_kb entries".
run_one() {
  local who=$1 bin t0 t1 i rss n ti0 ti1 lines
  [[ $who == ours ]] && bin=$OURS || bin=$UPSTREAM
  rm -f "$tmp/$who.log" "$tmp/$who.lock" "$tmp/$who.sock"
  t0=$(date +%s.%N)
  ip netns exec "$ns" "$bin" -C "$tmp/$who.conf" >/dev/null 2>&1 &
  DPID=$!
  for ((i = 0; i < 6000; i++)); do
    grep -qs 'initialization completed' "$tmp/$who.log" && break
    kill -0 "$DPID" 2>/dev/null || die "$who daemon died"
    sleep 0.01
  done
  t1=$(date +%s.%N)
  rss=$(awk '/^VmHWM/ {print $2}' "/proc/$DPID/status")
  n=$(nsx "$bin" -C "$tmp/$who.conf" -s | awk -F'\t' '/current active/ {gsub(/ /, "", $NF); print $NF}')
  # -i: the client (same binary as the daemon) writes the whole cache to a file.
  ti0=$(date +%s.%N)
  nsx "$bin" -C "$tmp/$who.conf" -i >"$tmp/$who.dump"
  ti1=$(date +%s.%N)
  lines=$(wc -l <"$tmp/$who.dump")
  rm -f "$tmp/$who.dump"
  kill "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=""
  echo "$(echo "$t1 - $t0" | bc) $rss $n $(echo "$ti1 - $ti0" | bc) $lines"
}

declare -A T R I
order=()
for ((r = 0; r < ROUNDS; r++)); do
  if ((r % 2 == 0)); then order+=(ours up); else order+=(up ours); fi
done
for who in "${order[@]}"; do
  read -r s rss n ti lines < <(run_one "$who")
  printf '%-4s  %6.2f s  peak RSS %8d kB  entries %s  -i %6.2f s (%s lines)\n' \
    "$who" "$s" "$rss" "$n" "$ti" "$lines"
  T[$who]="${T[$who]:-} $s"
  I[$who]="${I[$who]:-} $ti"
  R[$who]=$rss
done
med() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
to=$(echo "${T[ours]}" | med); tu=$(echo "${T[up]}" | med)
echo "N=$N  time to full cache: ours $to s, upstream $tu s, ratio $(echo "scale=2; $to / $tu" | bc)"
io=$(echo "${I[ours]}" | med); iu=$(echo "${I[up]}" | med)
echo "N=$N  -i dump to a file: ours $io s, upstream $iu s, ratio $(echo "scale=2; $io / $iu" | bc)"
echo "N=$N  peak RSS: ours ${R[ours]} kB, upstream ${R[up]} kB, ratio $(echo "scale=2; ${R[ours]} / ${R[up]}" | bc)"
