#!/bin/bash
# conntrackd FT-FW/UDP state-sync benchmark, ours against upstream's 1.4.7
# daemon (the same daemon on both sides), alternating (A B B A):
#
#   1. sync time: A's table is filled with N entries before the daemons
#      start (a creation burst overruns netlink on both implementations, so
#      this measures the sync path, not event loss); B starts, then A; once
#      A's internal cache holds N, `conntrackd -B` on A, timed until B's
#      external cache holds N (polling `-s` on B);
#   2. bytes and packets on the wire per flow (A's UDP "Bytes sent" /
#      "Pckts sent" across the bulk, divided by N), the CPU time each
#      daemon spent during the bulk (/proc/PID/schedstat: less disturbed
#      by other load on the machine than the wall time), and the sync
#      datagrams B's kernel dropped for a full receive buffer (UDP
#      RcvbufErrors in B's namespace; FT-FW then resends them);
#   3. peak RSS (VmHWM) of the sender (A) and the receiver (B) after the
#      bulk (and B's after the commit, which also holds the events of the
#      committed entries);
#   4. commit: B's kernel table flushed, `conntrackd -c` on B: the time the
#      daemon logs ("commit has taken S.UUUUUU seconds"), the client's wall
#      time, and `conntrack -C` in B afterwards (must be N);
#   5. loss: the same bulk with nftables in B dropping 20 % of the incoming
#      sync packets: time until B holds N, and how many are missing after a
#      bounded wait (LOSS_WAIT for ours, LOSS_WAIT_UP for upstream's);
#   6. events (EVENTS, last): A's and B's tables flushed, both daemons
#      started, then A filled with N entries while they run: the fill time
#      and the time from its start until B's external cache holds N (A's
#      netlink overruns shown: a burst may overrun either daemon, which
#      then resyncs).
#
#   sudo tools/bench_sync.sh [N]          (default N: 1000000; 20000 is quick)
#
# Two private namespaces joined by a veth pair (198.18.0.1 <-> 198.18.0.2,
# the benchmarking range), deleted on exit, as are the daemons (by PID).
# A's table is filled once with tools/ct_fill (timeout 3600 s) and kept for
# every round; B's is flushed between runs.  Both namespaces count against
# the host's global nf_conntrack_max, which is raised to 2N + 10 % for the
# run and restored on exit if nobody changed it meanwhile.  The host's own
# table is never touched.  Runs under flock $LOCK (/run/lock/ctbench.lock)
# so benchmarks do not overlap.
#
# Environment: CONNTRACKD (ours, default $BINDIR/conntrackd), UPSTREAM
# (/usr/sbin/conntrackd), ORACLE (/usr/sbin/conntrack), BINDIR (.),
# ROUNDS (2: A B B A), WAIT (300 s: every bounded wait), COMMIT_WAIT
# (WAIT: the -c client), LOSS ("ours up":
# the daemons given the loss run; "" for none), LOSS_WAIT (300 s),
# LOSS_WAIT_UP (60 s), EVENTS ("ours up"; "" for none), EVENTS_WAIT
# (120 s), POLL (0.1 s), SETTLE (2 s between A's full cache
# and -B, for the HELLO handshake), KEEP (a directory: per-run logs and
# `-s` / `-s queue` / `-s network` / `-s runtime` outputs are copied there),
# FTFW_EXTRA (diagnostics only: lines added to both sides' Mode FTFW block,
# e.g. "ResendQueueSize 2097152"; the default config has none).
# AUTH=1: the cost of authenticated sync instead: ours with an AuthKeyFile
# ("auth") against ours without ("ours"), alternating the same way; the
# ratio is auth / ours (LOSS defaults to "" then).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
BINDIR=${BINDIR:-.}
OURS=${CONNTRACKD:-$BINDIR/conntrackd}
UPSTREAM=${UPSTREAM:-/usr/sbin/conntrackd}
CT=${ORACLE:-/usr/sbin/conntrack}
ROUNDS=${ROUNDS:-2}
WAIT=${WAIT:-300}
COMMIT_WAIT=${COMMIT_WAIT:-$WAIT}
AUTH=${AUTH:-0}
if [[ $AUTH == 1 ]]; then
  X=auth Y=ours LOSS=${LOSS-}
else
  X=ours Y=up LOSS=${LOSS-ours up}
fi
LOSS_WAIT=${LOSS_WAIT:-300}
EVENTS=${EVENTS-ours up}
EVENTS_WAIT=${EVENTS_WAIT:-120}
LOSS_WAIT_UP=${LOSS_WAIT_UP:-60}
POLL=${POLL:-0.1}
SETTLE=${SETTLE:-2}
KEEP=${KEEP:-}
PORT=3780
die() { echo "bench_sync: $*" >&2; exit 1; }
[[ -x $OURS ]] || die "no $OURS (make -j2)"
[[ -x $UPSTREAM ]] || die "no $UPSTREAM (apt-get install conntrackd)"
[[ -x $CT ]] || die "no $CT (apt-get install conntrack)"
command -v nft >/dev/null || die "no nft (apt-get install nftables)"
[[ -x $BINDIR/ct_fill ]] || make -s BINDIR="$BINDIR" "$BINDIR/ct_fill" >/dev/null ||
  die "cannot build ct_fill"
OURS=$(cd "$(dirname "$OURS")" && pwd)/$(basename "$OURS")
FILL=$(cd "$BINDIR" && pwd)/ct_fill

lock=${LOCK:-/run/lock/ctbench.lock}
exec 9>"$lock"
flock -w "${LOCK_WAIT:-1800}" 9 || die "gave up waiting for $lock"

tag=$$.$RANDOM
nsA=ctsyA.$tag nsB=ctsyB.$tag
tmp=$(mktemp -d /tmp/ctsyncbench.XXXXXX)
need=$((2 * N + N / 10 + 1000))
host_max_orig=$(sysctl -n net.netfilter.nf_conntrack_max)
host_max_set=""
PID_A="" PID_B=""
[[ -n $KEEP ]] && mkdir -p "$KEEP"

# stop_pid PID: TERM, bounded wait (30 s), then KILL; then the same for
# the processes it had forked (a daemon's commit child), by PID.
gone() {  # gone PID...: bounded wait (30 s) for them to exit, then KILL
  local p i
  for p in "$@"; do
    for ((i = 0; i < 300; i++)); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$p" 2>/dev/null && { echo "bench_sync: PID $p ignored SIGTERM, killing" >&2; kill -9 "$p" 2>/dev/null; }
  done
  return 0
}
stop_pid() {
  local p=$1 kids k
  [[ -n $p ]] || return 0
  kids=$(pgrep -P "$p" 2>/dev/null || true)
  kill "$p" 2>/dev/null || true
  gone "$p"
  wait "$p" 2>/dev/null || true
  for k in $kids; do kill "$k" 2>/dev/null || true; done
  # shellcheck disable=SC2086
  gone $kids
}
# bgw CMD...: runs CMD in the background and waits for it, so that a
# signal interrupts the wait (bash defers traps until a foreground job
# ends); its status is CMD's.
CHILD=""
bgw() {
  local rc=0
  "$@" &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}
cleanup() {
  [[ -n $CHILD ]] && { kill "$CHILD" 2>/dev/null; gone "$CHILD"; }
  stop_pid "$PID_A"; PID_A=""
  stop_pid "$PID_B"; PID_B=""
  ip netns del "$nsA" 2>/dev/null || true
  ip netns del "$nsB" 2>/dev/null || true
  if [[ -n $host_max_set ]] &&
     [[ $(sysctl -n net.netfilter.nf_conntrack_max) == "$host_max_set" ]]; then
    sysctl -qw net.netfilter.nf_conntrack_max="$host_max_orig" || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a - b}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "-"; else printf "%.3f", a / b}'; }
ns_of() { [[ $1 == A ]] && echo "$nsA" || echo "$nsB"; }
nsx() { local s=$1; shift; ip netns exec "$(ns_of "$s")" "$@"; }
ct() { local s=$1; shift; timeout "$WAIT" ip netns exec "$(ns_of "$s")" "$CT" "$@" 2>/dev/null; }
ct_count() { ct "$1" -C || echo -1; }
# client SIDE BIN ARGS...: the daemon's own binary as its client
client() { local s=$1 b=$2; shift 2; timeout 60 ip netns exec "$(ns_of "$s")" "$b" -C "$tmp/$s.conf" "$@"; }
# parsers of the `-s` output (sync mode; same shape for both daemons)
stat_cache() {  # internal|external -> current active connections
  awk -v c="cache $1:" '$0 == c {e = 1} e && /current active connections/ {print $NF; f = 1; exit}
                        END {if (!f) print -1}'
}
stat_sent() {  # -> "bytes packets" sent on the sync channel
  awk '$2 == "Bytes" && $3 == "sent" {b = $1} $2 == "Pckts" && $3 == "sent" {p = $1}
       END {print (b == "" ? -1 : b), (p == "" ? -1 : p)}'
}
stat_lost() { awk '/Lost msgs/ {print $1, $4; f = 1} END {if (!f) print "- -"}'; }  # malformed lost
hwm() { awk '/^VmHWM/ {print $2; f = 1} END {if (!f) print -1}' "/proc/$1/status" 2>/dev/null || echo -1; }
alive() { kill -0 "$1" 2>/dev/null; }
# cpu_ns PID: on-CPU time of all its threads so far, in ns (-1 if gone)
cpu_ns() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{t += $1; f = 1} END {print f ? t : -1}'
}
rcvbuf_errors() {  # in B's namespace
  nsx B cat /proc/net/snmp | awk '$1 == "Udp:" && !h {for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1; next}
                                 $1 == "Udp:" && h {print $c; f = 1} END {if (!f) print -1}'
}

# --- namespaces -----------------------------------------------------------
if (( host_max_orig < need )); then
  echo "host: raising nf_conntrack_max $host_max_orig -> $need for the run (restored on exit)"
  sysctl -qw net.netfilter.nf_conntrack_max="$need"
  host_max_set=$need
fi
ip netns add "$nsA"
ip netns add "$nsB"
ip link add ctsa netns "$nsA" type veth peer name ctsb netns "$nsB"
ip -n "$nsA" addr add 198.18.0.1/24 dev ctsa
ip -n "$nsB" addr add 198.18.0.2/24 dev ctsb
for s in A B; do
  ip -n "$(ns_of $s)" link set lo up
  nsx $s sysctl -qw net.netfilter.nf_conntrack_events=1 2>/dev/null || true
  nsx $s sysctl -qw net.netfilter.nf_conntrack_max="$need" 2>/dev/null || true
done
ip -n "$nsA" link set ctsa up
ip -n "$nsB" link set ctsb up

hashsize=1
while (( hashsize < N )); do hashsize=$((hashsize * 2)); done
for s in A B; do
  if [[ $s == A ]]; then me=1 peer=2 dev=ctsa; else me=2 peer=1 dev=ctsb; fi
  cat >"$tmp/$s.conf" <<CONF
Sync {
  Mode FTFW {${FTFW_EXTRA:+
    $FTFW_EXTRA}
  }
  UDP {
    IPv4_address 198.18.0.$me
    IPv4_Destination_Address 198.18.0.$peer
    Port $PORT
    Interface $dev
    SndSocketBuffer 25165824
    RcvSocketBuffer 25165824
    Checksum on
  }
}
General {
  HashSize $hashsize
  HashLimit $((N * 2))
  NetlinkBufferSize 67108864
  NetlinkBufferSizeMaxGrowth 134217728
  LogFile $tmp/$s.log
  LockFile $tmp/$s.lock
  UNIX { Path $tmp/$s.sock }
  Systemd off
}
CONF
done

printf '1 %s\n' 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f >"$tmp/sync.key"
chmod 600 "$tmp/sync.key"
# set_auth on|off: the AuthKeyFile line in both sides' Sync block
set_auth() {
  local s
  for s in A B; do
    sed -i '/^  AuthKeyFile /d' "$tmp/$s.conf"
    [[ $1 == on ]] && sed -i "s|^Sync {|Sync {\n  AuthKeyFile $tmp/sync.key|" "$tmp/$s.conf"
  done
  return 0
}

echo "N=$N  ROUNDS=$ROUNDS  load: $(uptime | sed 's/.*load average/load average/')"
echo "ours: $OURS   upstream: $UPSTREAM ($("$UPSTREAM" -v 2>&1 | grep -o 'v[0-9][0-9.]*[0-9]' | head -1))"
t0=$(now)
bgw ip netns exec "$nsA" "$FILL" -n "$N" -t 3600 -q || die "ct_fill failed"
nA=$(ct_count A)
echo "A: filled $nA entries in $(sub "$(now)" "$t0") s"
(( nA == N )) || die "A holds $nA entries, not $N"

# start SIDE BIN: daemon in the background, PID_<SIDE>; waits for its socket
start() {
  local s=$1 b=$2 p i
  rm -f "$tmp/$s.lock" "$tmp/$s.sock" "$tmp/$s.log"
  ip netns exec "$(ns_of "$s")" "$b" -C "$tmp/$s.conf" >"$tmp/$s.out" 2>&1 &
  p=$!
  eval "PID_$s=$p"
  for ((i = 0; i < 600; i++)); do
    client "$s" "$b" -s >/dev/null 2>&1 && return 0
    alive "$p" || { echo "$s daemon died at start: $(tail -3 "$tmp/$s.out" "$tmp/$s.log" 2>/dev/null)" >&2; return 1; }
    sleep 0.05
  done
  echo "$s daemon not answering after 30 s" >&2
  return 1
}
stop_both() { stop_pid "$PID_A"; PID_A=""; stop_pid "$PID_B"; PID_B=""; }

# wait_cache SIDE BIN internal|external COUNT LIMIT_S -> prints "count elapsed|TIMEOUT|DIED"
wait_cache() {
  local s=$1 b=$2 c=$3 want=$4 lim=$5 ts n=-1 p
  p=$(eval echo "\$PID_$s")
  ts=$(now)
  while :; do
    n=$(client "$s" "$b" -s 2>/dev/null | stat_cache "$c") || n=-1
    (( n >= want )) && { echo "$n $(sub "$(now)" "$ts")"; return 0; }
    alive "$p" || { echo "$n DIED"; return 1; }
    awk -v a="$(now)" -v b="$ts" -v l="$lim" 'BEGIN {exit !(a - b > l)}' && { echo "$n TIMEOUT"; return 1; }
    sleep "$POLL"
  done
}

keep() {  # keep LABEL: copy logs and stats of both sides
  [[ -n $KEEP ]] || return 0
  local s p l=$1 b=$2
  for s in A B; do
    cp "$tmp/$s.log" "$KEEP/$l.$s.log" 2>/dev/null || true
    p=$(eval echo "\$PID_$s")
    [[ -n $p ]] && { grep -E '^Vm' "/proc/$p/status"; awk '{print "utime_ticks", $14, "stime_ticks", $15}' "/proc/$p/stat"; } >"$KEEP/$l.$s.proc" 2>/dev/null || true
    { for a in "" queue network runtime; do echo "== -s $a"; client "$s" "$b" -s $a 2>&1; done; } >"$KEEP/$l.$s.stats" 2>&1 || true
  done
}

# One bulk: daemons started fresh (B's table flushed first), A's cache
# loaded, -B, wait for B.  Sets BULK_* globals.  $3: wait limit.
bulk() {
  local who=$1 b=$2 lim=$3 r n t
  BULK_SYNC=FAIL BULK_BYTES=- BULK_PKTS=- BULK_LOAD=- BULK_EXT=-1 BULK_PRE=-1 BULK_LOST="- -"
  BULK_CPUA=- BULK_CPUB=- BULK_RCVERR=-
  bgw ct B -F >/dev/null || true
  start B "$b" || return 1
  local tl; tl=$(now)
  start A "$b" || return 1
  read -r n t < <(wait_cache A "$b" internal "$N" "$WAIT")
  [[ $t =~ ^[0-9.]+$ ]] || { echo "A's internal cache: $n of $N ($t)" >&2; BULK_SYNC="A-$t"; return 1; }
  BULK_LOAD=$(sub "$(now)" "$tl")
  # FT-FW's HELLO / HELLO_BACK handshake rides on the 1 s idle ALIVEs:
  # let it finish, so the bulk is measured in steady state (ours resends
  # whatever it sent before the handshake completed).
  sleep "$SETTLE"
  BULK_PRE=$(client B "$b" -s | stat_cache external) || true
  read -r b0 p0 < <(client A "$b" -s | stat_sent)
  local ca0 cb0 ca1 cb1 e0 e1
  e0=$(rcvbuf_errors); ca0=$(cpu_ns "$PID_A"); cb0=$(cpu_ns "$PID_B")
  local ts; ts=$(now)
  client A "$b" -B >/dev/null 2>&1 || echo "warning: -B on A failed" >&2
  read -r n t < <(wait_cache B "$b" external "$N" "$lim")
  ca1=$(cpu_ns "$PID_A"); cb1=$(cpu_ns "$PID_B"); e1=$(rcvbuf_errors)
  ((ca0 >= 0 && ca1 >= 0)) && BULK_CPUA=$(div $((ca1 - ca0)) 1000000000)
  ((cb0 >= 0 && cb1 >= 0)) && BULK_CPUB=$(div $((cb1 - cb0)) 1000000000)
  ((e0 >= 0 && e1 >= 0)) && BULK_RCVERR=$((e1 - e0))
  read -r b1 p1 < <(client A "$b" -s 2>/dev/null | stat_sent) || true
  BULK_EXT=$n
  BULK_LOST=$(client B "$b" -s 2>/dev/null | stat_lost) || true
  [[ $t =~ ^[0-9.]+$ ]] && BULK_SYNC=$(sub "$(now)" "$ts") || BULK_SYNC=$t
  if [[ $b0 != -1 && $b1 != -1 && -n ${b1:-} ]]; then
    BULK_BYTES=$(div $((b1 - b0)) "$N"); BULK_PKTS=$(div $((p1 - p0)) "$N")
    BULK_RAW="$((b1 - b0)) B $((p1 - p0)) pkts"
  else
    BULK_RAW="-"
  fi
  [[ $BULK_SYNC =~ ^[0-9.]+$ ]]
}

declare -A S RA RB CL CW BY PK UA UB
order=()
for ((r = 0; r < ROUNDS; r++)); do
  if ((r % 2 == 0)); then order+=("$X" "$Y"); else order+=("$Y" "$X"); fi
done
run=0
for who in "${order[@]}"; do
  run=$((run + 1))
  [[ $who == up ]] && bin=$UPSTREAM || bin=$OURS
  [[ $who == auth ]] && set_auth on || set_auth off
  ok=1
  bulk "$who" "$bin" "$WAIT" || ok=0
  rssA=$( [[ -n $PID_A ]] && hwm "$PID_A" || echo -1)
  rssB=$( [[ -n $PID_B ]] && hwm "$PID_B" || echo -1)
  printf 'run %d %-4s  sync %8s s  (B external %s/%d; before -B %s; A load %s s)  wire %s B/flow %s pkt/flow (%s)  lost/malformed at B %s  B rcvbuf drops %s  CPU in the bulk A %s s B %s s  peak RSS A %s kB B %s kB\n' \
    "$run" "$who" "$BULK_SYNC" "$BULK_EXT" "$N" "$BULK_PRE" "$BULK_LOAD" "$BULK_BYTES" "$BULK_PKTS" "$BULK_RAW" \
    "$(set -- $BULK_LOST; echo "$2/$1")" "$BULK_RCVERR" "$BULK_CPUA" "$BULK_CPUB" "$rssA" "$rssB"
  if ((ok)); then
    S[$who]="${S[$who]:-} $BULK_SYNC"; BY[$who]="${BY[$who]:-} $BULK_BYTES"; PK[$who]="${PK[$who]:-} $BULK_PKTS"
    RA[$who]="${RA[$who]:-} $rssA"; RB[$who]="${RB[$who]:-} $rssB"
    UA[$who]="${UA[$who]:-} $BULK_CPUA"; UB[$who]="${UB[$who]:-} $BULK_CPUB"
  fi
  keep "run$run-$who-sync" "$bin"
  # commit into B's flushed table
  if ((ok)) && alive "$PID_B"; then
    bgw ct B -F >/dev/null || true
    tc0=$(now)
    crc=0
    bgw timeout "$COMMIT_WAIT" ip netns exec "$nsB" "$bin" -C "$tmp/B.conf" -c >/dev/null 2>&1 || crc=$?
    tc1=$(now)
    cwall=$(sub "$tc1" "$tc0")
    clog=""
    for ((i = 0; i < 300; i++)); do
      clog=$(grep -o 'commit has taken [0-9.]* seconds' "$tmp/B.log" 2>/dev/null | tail -1 | awk '{print $4}') || true
      [[ -n $clog ]] && break
      alive "$PID_B" || break
      sleep 0.1
    done
    ((crc == 124)) && cwall="TIMEOUT($COMMIT_WAIT)"
    nB=$(ct_count B)
    rssB2=$(hwm "$PID_B")
    printf 'run %d %-4s  commit: logged %s s, client wall %s s (rc %d), B kernel table %s/%d%s  peak RSS B after commit %s kB\n' \
      "$run" "$who" "${clog:-NONE}" "$cwall" "$crc" "$nB" "$N" "$( ((nB == N)) || echo '  MISMATCH')" "$rssB2"
    [[ -n $clog ]] && CL[$who]="${CL[$who]:-} $clog"
    ((crc == 0)) && CW[$who]="${CW[$who]:-} $cwall"
    keep "run$run-$who-commit" "$bin"
  fi
  stop_both
done

# loss runs
declare -A LS LM
for who in $LOSS; do
  [[ $who == up ]] && bin=$UPSTREAM lim=$LOSS_WAIT_UP || bin=$OURS lim=$LOSS_WAIT
  [[ $who == auth ]] && set_auth on || set_auth off
  nsx B nft -f - <<NFT
table inet ctsyncbench {
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport $PORT numgen random mod 5 0 counter drop
  }
}
NFT
  bulk "$who" "$bin" "$lim" || true
  rssA=$( [[ -n $PID_A ]] && hwm "$PID_A" || echo -1)
  rssB=$( [[ -n $PID_B ]] && hwm "$PID_B" || echo -1)
  dropped=$(nsx B nft list table inet ctsyncbench | awk '/drop/ {for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1)}') || true
  miss=$((N - (BULK_EXT < 0 ? 0 : BULK_EXT)))
  printf 'loss %-4s  20%% of sync packets dropped at B (%s dropped): sync %s s (bound %s s)  B external %s/%d, missing %d  wire %s B/flow %s pkt/flow  lost/malformed at B %s  peak RSS A %s kB B %s kB\n' \
    "$who" "${dropped:-?}" "$BULK_SYNC" "$lim" "$BULK_EXT" "$N" "$miss" "$BULK_BYTES" "$BULK_PKTS" "$(set -- $BULK_LOST; echo "$2/$1")" "$rssA" "$rssB"
  LS[$who]=$BULK_SYNC LM[$who]=$miss
  keep "loss-$who" "$bin"
  stop_both
  nsx B nft delete table inet ctsyncbench
done

# events runs: the flows are made while both daemons run, so they reach
# B through A's event socket (an overrun, if any, through its resync):
# from the first create until B's external cache holds N.
declare -A EF EC EO
for who in $EVENTS; do
  [[ $who == ours ]] && bin=$OURS || bin=$UPSTREAM
  bgw ct A -F >/dev/null || true
  bgw ct B -F >/dev/null || true
  start B "$bin" && start A "$bin" || { stop_both; continue; }
  sleep "$SETTLE"
  ts=$(now)
  bgw ip netns exec "$nsA" "$FILL" -n "$N" -t 3600 -q || echo "warning: ct_fill failed" >&2
  tf=$(sub "$(now)" "$ts")
  read -r n t < <(wait_cache B "$bin" external "$N" "$EVENTS_WAIT")
  [[ $t =~ ^[0-9.]+$ ]] && tc=$(sub "$(now)" "$ts") || tc=$t
  ov=$(client A "$bin" -s runtime 2>/dev/null | awk '/netlink overrun/ {print $NF; exit}') || true
  rssA=$(hwm "$PID_A"); rssB=$(hwm "$PID_B")
  printf 'events %-4s  %d flows made with both daemons running: fill %s s, B external %s/%d after %s s (bound %s s)  A netlink overruns %s  peak RSS A %s kB B %s kB\n' \
    "$who" "$N" "$tf" "$n" "$N" "$tc" "$EVENTS_WAIT" "${ov:--}" "$rssA" "$rssB"
  EF[$who]=$tf EC[$who]=$tc EO[$who]=${ov:--}
  keep "events-$who" "$bin"
  stop_both
done

med() { tr ' ' '\n' | { grep -E '^[0-9.]+$' || true; } | sort -n | awk '{a[NR]=$1} END {if (!NR) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b}'; }
line() {  # line LABEL UNIT ARRAY
  local -n arr=$3
  local o u
  o=$(echo "${arr[$X]:-}" | med); u=$(echo "${arr[$Y]:-}" | med)
  local xl=$X yl=$Y
  [[ $yl == up ]] && yl=upstream
  printf 'N=%d  %-24s %s %10s %-3s %s %10s %-3s ratio %s\n' "$N" "$1" "$xl" "$o" "$2" "$yl" "$u" "$2" "$(ratio "$o" "$u")"
}
echo "--- summary (medians over $ROUNDS round(s) each; load: $(uptime | sed 's/.*load average/load average/'))"
line "sync time" s S
line "CPU in the bulk (A)" s UA
line "CPU in the bulk (B)" s UB
line "peak RSS sender (A)" kB RA
line "peak RSS receiver (B)" kB RB
line "commit (logged)" s CL
line "commit (client wall)" s CW
line "bytes/flow on the wire" B BY
line "packets/flow" pkt PK
for who in $LOSS; do
  echo "N=$N  20% loss, $who: sync ${LS[$who]} s, missing ${LM[$who]}"
done
if [[ -n $EVENTS ]]; then
  line "events: fill" s EF
  line "events: B holds all" s EC
fi
