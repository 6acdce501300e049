#!/bin/bash
# The compact sync encoding against v1, ours -> ours, FT-FW over UDP between
# two private namespaces, both encodings in one run, alternating (v1 compact
# compact v1 with ROUNDS=2).  One run of the workload, with the daemons
# already up and (for compact) the encoding negotiated:
#
#   create   N flows in A (tools/ct_fill, paced at RATE per second, so each
#            is one kernel event rather than a netlink overrun);
#   update   each of them three times (ct_fill -m 1, 2, 3: a CT_NEW without
#            NLM_F_CREATE sets the mark, an update event; `conntrack -U`
#            is refused on this kernel);
#   destroy  each of them (ct_fill -d, CT_DELETE).
#
# Figures per run: bytes and packets on the sync link per flow (nftables
# counters in A: A->B, the data, and B->A, the acknowledgements), the time
# each phase takes to converge after its last kernel change (B's external
# cache holds N; all N carry mark 3; B's external cache is empty), and the
# CPU time (utime + stime from /proc/PID/stat) of A and of B per flow
# message (5 per flow: one create, three updates, one destroy).  The
# summary gives medians and compact/v1 ratios (issue 12's goal: bytes at
# most 1/2 of v1's, aim 1/4; convergence no slower).
#
#   sudo tools/bench_compact.sh [N]        (default N 1000000; 100000 is quicker)
#
# Environment: CONNTRACKD (ours, default ./conntrackd), BINDIR (.), ROUNDS
# (1: v1 compact; 2: v1 compact compact v1), RATE (flows per second for
# every phase, default 50000), WAIT (300 s: every bounded wait), POLL (0.2 s),
# KEEP (a directory for logs and -s outputs).  Namespaces, daemons (by PID)
# and a raised nf_conntrack_max are undone on exit.  Runs under flock
# $LOCK (/run/lock/ctbench.lock).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
BINDIR=${BINDIR:-.}
OURS=${CONNTRACKD:-$BINDIR/conntrackd}
ROUNDS=${ROUNDS:-1}
RATE=${RATE:-50000}
WAIT=${WAIT:-300}
POLL=${POLL:-0.2}
KEEP=${KEEP:-}
PORT=3780
die() { echo "bench_compact: $*" >&2; exit 1; }
[[ -x $OURS ]] || die "no $OURS (make -j2)"
command -v nft >/dev/null || die "no nft (apt-get install nftables)"
[[ -x $BINDIR/ct_fill ]] || make -s "$BINDIR/ct_fill" >/dev/null || die "cannot build ct_fill"
OURS=$(cd "$(dirname "$OURS")" && pwd)/$(basename "$OURS")
FILL=$(cd "$BINDIR" && pwd)/ct_fill
HZ=$(getconf CLK_TCK)

lock=${LOCK:-/run/lock/ctbench.lock}
exec 9>"$lock"
flock -w "${LOCK_WAIT:-1800}" 9 || die "gave up waiting for $lock"

tag=$$.$RANDOM
nsA=ctcpA.$tag nsB=ctcpB.$tag
tmp=$(mktemp -d /tmp/ctcompactbench.XXXXXX)
need=$((N + N / 10 + 1000))
host_max_orig=$(sysctl -n net.netfilter.nf_conntrack_max)
host_max_set=""
PID_A="" PID_B="" CHILD=""
[[ -n $KEEP ]] && mkdir -p "$KEEP"

gone() {  # gone PID: bounded wait (30 s) for it to exit, then KILL
  local i
  for ((i = 0; i < 300; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  echo "bench_compact: PID $1 ignored SIGTERM, killing" >&2
  kill -9 "$1" 2>/dev/null || true
}
stop_pid() {
  [[ -n $1 ]] || return 0
  kill "$1" 2>/dev/null || true
  gone "$1"
  wait "$1" 2>/dev/null || true
}
# bgw CMD...: in the background, waited for, so a signal interrupts it
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
  stop_pid "$PID_A"; stop_pid "$PID_B"
  ip netns del "$nsA" 2>/dev/null || true
  ip netns del "$nsB" 2>/dev/null || true
  if [[ -n $host_max_set ]] && [[ $(sysctl -n net.netfilter.nf_conntrack_max) == "$host_max_set" ]]; then
    sysctl -qw net.netfilter.nf_conntrack_max="$host_max_orig" || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a - b}'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {if (b == 0) print "-"; else printf f, a / b}'; }
ns_of() { [[ $1 == A ]] && echo "$nsA" || echo "$nsB"; }
nsx() { local s=$1; shift; ip netns exec "$(ns_of "$s")" "$@"; }
client() { local s=$1; shift; timeout 60 ip netns exec "$(ns_of "$s")" "$OURS" -C "$tmp/$s.conf" "$@"; }
ext_count() {
  client B -s 2>/dev/null | awk '$0 == "cache external:" {e = 1}
    e && /current active connections/ {print $NF; f = 1; exit} END {if (!f) print -1}'
}
ext_marked() { client B -e 2>/dev/null | grep -c "mark=$1 " || true; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# A's nftables counters: "bytes_out packets_out bytes_in packets_in"
link_counts() {
  nsx A nft list table inet ctcpbench | awk '/counter/ {for (i = 1; i < NF; i++) {
    if ($i == "packets") p[++n] = $(i + 1); if ($i == "bytes") b[n] = $(i + 1)}}
    END {print b[1], p[1], b[2], p[2]}'
}

# --- namespaces -----------------------------------------------------------
if (( host_max_orig < need )); then
  echo "host: raising nf_conntrack_max $host_max_orig -> $need for the run (restored on exit)"
  sysctl -qw net.netfilter.nf_conntrack_max="$need"
  host_max_set=$need
fi
ip netns add "$nsA"
ip netns add "$nsB"
ip link add ctca netns "$nsA" type veth peer name ctcb netns "$nsB"
ip -n "$nsA" addr add 198.18.1.1/24 dev ctca
ip -n "$nsB" addr add 198.18.1.2/24 dev ctcb
for s in A B; do
  ip -n "$(ns_of $s)" link set lo up
  nsx $s sysctl -qw net.netfilter.nf_conntrack_events=1 2>/dev/null || true
done
ip -n "$nsA" link set ctca up
ip -n "$nsB" link set ctcb up
# Counted in A: its sync datagrams out (data), and in (acknowledgements).
nsx A nft -f - <<NFT
table inet ctcpbench {
  chain out { type filter hook output priority 0; policy accept; udp dport $PORT counter; }
  chain in { type filter hook input priority 0; policy accept; udp dport $PORT counter; }
}
NFT

hashsize=1
while (( hashsize < N )); do hashsize=$((hashsize * 2)); done
# conf SIDE ENCODING
conf() {
  local s=$1 enc=$2 me peer dev
  if [[ $s == A ]]; then me=1 peer=2 dev=ctca; else me=2 peer=1 dev=ctcb; fi
  cat >"$tmp/$s.conf" <<CONF
Sync {
  Mode FTFW {
  }
  UDP {
    IPv4_address 198.18.1.$me
    IPv4_Destination_Address 198.18.1.$peer
    Port $PORT
    Interface $dev
    SndSocketBuffer 25165824
    RcvSocketBuffer 25165824
    Checksum on
  }$( [[ $enc == compact ]] && printf '\n  Options { CompactEncoding on }')
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
}

start() {  # start SIDE: daemon in the background, PID_<SIDE>; waits for its socket
  local s=$1 p i
  rm -f "$tmp/$s.lock" "$tmp/$s.sock" "$tmp/$s.log"
  ip netns exec "$(ns_of "$s")" "$OURS" -C "$tmp/$s.conf" >"$tmp/$s.out" 2>&1 &
  p=$!
  eval "PID_$s=$p"
  for ((i = 0; i < 600; i++)); do
    client "$s" -s >/dev/null 2>&1 && return 0
    kill -0 "$p" 2>/dev/null || { echo "$s died at start: $(tail -3 "$tmp/$s.out" "$tmp/$s.log" 2>/dev/null)" >&2; return 1; }
    sleep 0.05
  done
  echo "$s not answering after 30 s" >&2
  return 1
}

# until_true LIMIT CMD...: polls CMD; prints the seconds it took, or TIMEOUT
until_true() {
  local lim=$1 ts; shift
  ts=$(now)
  while ! "$@"; do
    awk -v a="$(now)" -v b="$ts" -v l="$lim" 'BEGIN {exit !(a - b > l)}' && { echo TIMEOUT; return 1; }
    kill -0 "$PID_A" 2>/dev/null && kill -0 "$PID_B" 2>/dev/null || { echo DIED; return 1; }
    sleep "$POLL"
  done
  sub "$(now)" "$ts"
}
have_n() { [[ $(ext_count) -ge $N ]]; }
have_none() { [[ $(ext_count) -eq 0 ]]; }
all_marked() { [[ $(ext_marked 3) -ge $N ]]; }
in_use() { client A -s network 2>/dev/null | grep -qE 'In use:[[:space:]]+yes'; }
fill() { bgw nsx A "$FILL" -n "$N" -r "$RATE" -j 1 -q "$@"; }

declare -A BO PO BI PI CC CU CD CA CB
run_one() {  # run_one ENCODING
  local enc=$1 c0 c1 a0 a1 b0 b1 t_up ts
  nsx A "$BINDIR/conntrack" -F >/dev/null 2>&1 || true
  conf A "$enc"; conf B "$enc"
  start B && start A || return 1
  if [[ $enc == compact ]]; then
    until_true 30 in_use >/dev/null || { echo "compact: not negotiated in 30 s" >&2; return 1; }
  fi
  sleep 2  # the FT-FW HELLO handshake rides on the 1 s idle messages
  read -r -a c0 < <(link_counts)
  a0=$(cpu_ticks "$PID_A"); b0=$(cpu_ticks "$PID_B")
  ts=$(now)
  fill -t 3600 || { echo "ct_fill create failed" >&2; return 1; }
  CC[$enc]="${CC[$enc]:-} $(until_true "$WAIT" have_n)" || return 1
  for k in 1 2 3; do fill -t 3600 -m "$k" || { echo "ct_fill -m $k failed" >&2; return 1; }; done
  t_up=$(until_true "$WAIT" all_marked) || { echo "updates: $t_up ($(ext_marked 3)/$N with mark 3)" >&2; return 1; }
  CU[$enc]="${CU[$enc]:-} $t_up"
  fill -d || { echo "ct_fill -d failed" >&2; return 1; }
  CD[$enc]="${CD[$enc]:-} $(until_true "$WAIT" have_none)" || return 1
  local total; total=$(sub "$(now)" "$ts")
  read -r -a c1 < <(link_counts)
  a1=$(cpu_ticks "$PID_A"); b1=$(cpu_ticks "$PID_B")
  local bo=$((c1[0] - c0[0])) po=$((c1[1] - c0[1])) bi=$((c1[2] - c0[2])) pi=$((c1[3] - c0[3]))
  local msgs=$((5 * N))
  BO[$enc]="${BO[$enc]:-} $(div "$bo" "$N")"; PO[$enc]="${PO[$enc]:-} $(div "$po" "$N" %.4f)"
  BI[$enc]="${BI[$enc]:-} $(div "$bi" "$N")"; PI[$enc]="${PI[$enc]:-} $(div "$pi" "$N" %.4f)"
  CA[$enc]="${CA[$enc]:-} $(div $(( (a1 - a0) * 1000000 )) $((HZ * msgs)) %.3f)"
  CB[$enc]="${CB[$enc]:-} $(div $(( (b1 - b0) * 1000000 )) $((HZ * msgs)) %.3f)"
  printf '%-7s A->B %d B %d pkts (%s B/flow, %s pkt/flow)  B->A %d B %d pkts  converge create %s s updates %s s destroy %s s (workload %s s)  CPU A %d B %d ticks (%s / %s us per message)\n' \
    "$enc" "$bo" "$po" "$(div "$bo" "$N")" "$(div "$po" "$N" %.4f)" "$bi" "$pi" \
    "${CC[$enc]##* }" "$t_up" "${CD[$enc]##* }" "$total" $((a1 - a0)) $((b1 - b0)) "${CA[$enc]##* }" "${CB[$enc]##* }"
  if [[ -n $KEEP ]]; then
    for s in A B; do
      cp "$tmp/$s.log" "$KEEP/$enc.$s.log" 2>/dev/null || true
      { for a in "" network queue; do echo "== -s $a"; client "$s" -s $a 2>&1; done; } >"$KEEP/$enc.$s.stats" || true
    done
  fi
  return 0
}

echo "N=$N  RATE=$RATE/s  ROUNDS=$ROUNDS  load: $(uptime | sed 's/.*load average/load average/')"
order=()
for ((r = 0; r < ROUNDS; r++)); do
  if ((r % 2 == 0)); then order+=(v1 compact); else order+=(compact v1); fi
done
for enc in "${order[@]}"; do
  run_one "$enc" || echo "$enc: run FAILED" >&2
  stop_pid "$PID_A"; PID_A=""
  stop_pid "$PID_B"; PID_B=""
done

med() { tr ' ' '\n' | { grep -E '^[0-9.]+$' || true; } | sort -n | awk '{a[NR]=$1} END {if (!NR) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.3f", a / b}'; }
line() {  # line LABEL UNIT ARRAY
  local -n arr=$3
  local v c
  v=$(echo "${arr[v1]:-}" | med); c=$(echo "${arr[compact]:-}" | med)
  printf 'N=%d  %-28s v1 %10s %-6s compact %10s %-6s compact/v1 %s\n' "$N" "$1" "$v" "$2" "$c" "$2" "$(ratio "$c" "$v")"
}
echo "--- summary (medians over $ROUNDS round(s); load: $(uptime | sed 's/.*load average/load average/'))"
line "bytes/flow A->B (data)" B BO
line "packets/flow A->B" pkt PO
line "bytes/flow B->A (acks)" B BI
line "packets/flow B->A" pkt PI
line "converge after create" s CC
line "converge after 3 updates" s CU
line "converge after destroy" s CD
line "CPU A (sender) per message" us CA
line "CPU B (receiver) per message" us CB
