#!/usr/bin/env bash
# The kernel misbehaving under the daemon and the CLI, in a private
# namespace: each check compares what ours holds or prints with the
# kernel's table itself (`conntrack -L` of the oracle, timeouts and use
# counts stripped), entry for entry, not only by count.
#
#   1. ENOBUFS: a tiny event buffer overflows while 30k flows are created
#      and 10k deleted at once; the overrun resync must leave the internal
#      cache exactly the kernel's table (the deleted ones purged).
#   2. Signals during dumps: SIGHUP storms at the daemon while it serves
#      -R resyncs, -i dumps and -s requests of a 50k table; SIGSTOP/SIGCONT
#      storms at `conntrack -L` (ours and Debian's, each with its dump
#      thread stopped mid-recvmsg): nothing fails, nothing is lost.
#   3. The table changing during dumps: flows created and deleted while
#      ours and Debian's `conntrack -L` dump 50k.  This kernel walks the
#      hash without a generation check, so no dump is flagged
#      NLM_F_DUMP_INTR (reported, not required: ct_rawdump prints it when
#      a kernel does); both print every flow that stayed, and only flows
#      that existed.  The daemon, overrunning meanwhile, then converges on
#      the table exactly.
#
#   tests/integration/kernel_faults.sh     (root; about 1 min)
#
# CONNTRACKD, CONNTRACK: ours; ORACLE: Debian's conntrack; CT_FILL,
# CT_RAWDUMP: tools (default $BINDIR/...).  Flows only in the namespace
# made here; every process started here is stopped by its PID.
set -u
CONNTRACKD=${CONNTRACKD:-$(pwd)/conntrackd}
BINDIR=${BINDIR:-$(dirname "$CONNTRACKD")}
CONNTRACK=${CONNTRACK:-$BINDIR/conntrack}
CT_FILL=${CT_FILL:-$BINDIR/ct_fill}
CT_RAWDUMP=${CT_RAWDUMP:-$BINDIR/ct_rawdump}
CT=${ORACLE:-/usr/sbin/conntrack}
NS=ctkf-$$-$RANDOM
T=$(mktemp -d /tmp/ctkf.XXXXXX)
PASS=0 FAIL=0 PIDS=()

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del "$NS" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS $1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; FAIL=$((FAIL + 1)); }
nsx() { timeout 60 ip netns exec "$NS" "$@"; }
ctd() { nsx "$CONNTRACKD" -C "$T/ctd.conf" "$@"; }
forget() {  # drop a waited-for PID from the cleanup list
  local q keep=()
  for q in "${PIDS[@]}"; do [[ $q == "$1" ]] || keep+=("$q"); done
  PIDS=("${keep[@]}")
}
wait_for() {  # $1 seconds (bounded, 0.1 s steps), then a command
  local i n=$(($1 * 10))
  shift
  for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
  return 1
}

# The kernel's table and the daemon's internal cache as the same lines:
# `conntrack -L` without its timeout and use count, `-i` without its age.
kernel_state() { nsx "$CT" -L 2>/dev/null | sed -E 's/^([a-z0-9]+ +[0-9]+) [0-9]+ /\1 /; s/ use=[0-9]+//' | sort; }
cache_state() { ctd -i 2>/dev/null | sed -E 's/ \[active since [0-9]+s\]//' | sort; }
# The original tuple of each line of a listing: what identifies a flow.
keys() {
  awk '{ k = $1; n = 0
         for (i = 2; i <= NF && n < 4; i++) if ($i ~ /^(src|dst|sport|dport)=/) { k = k " " $i; n++ }
         print k }' | sort -u
}
same_as_kernel() {
  kernel_state >"$T/k"
  cache_state >"$T/c"
  [[ -s $T/k ]] && cmp -s "$T/k" "$T/c"
}
why_not_same() {
  echo "kernel $(wc -l <"$T/k"), cache $(wc -l <"$T/c"); first differences: $(diff "$T/k" "$T/c" | head -4 | tr '\n' '|')"
}
counter() { ctd -s runtime 2>/dev/null | awk -F'\t' -v k="$1" '$2 ~ k {gsub(/ /, "", $NF); print $NF}'; }

start_daemon() {  # $1: extra General lines
  cat >"$T/ctd.conf" <<CONF
General {
  HashSize 65536
  HashLimit 262144
  LogFile $T/ctd.log
  LockFile $T/ctd.lock
  UNIX { Path $T/ctd.sock }
  Systemd off
$1
}
Stats { LogFile off }
CONF
  rm -f "$T/ctd.log" "$T/ctd.lock" "$T/ctd.sock"
  ip netns exec "$NS" "$CONNTRACKD" -C "$T/ctd.conf" >"$T/out" 2>&1 &
  DPID=$!
  PIDS+=("$DPID")
  wait_for 10 ctd -s >/dev/null 2>&1
}
stop_daemon() { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; forget "$DPID"; }

for b in "$CONNTRACKD" "$CONNTRACK" "$CT_FILL" "$CT_RAWDUMP" "$CT"; do
  [[ -x $b ]] || { echo "FAIL setup: no $b"; exit 1; }
done
ip netns add "$NS" || { echo "FAIL setup: ip netns add"; exit 1; }
ip -n "$NS" link set lo up
nsx sysctl -qw net.netfilter.nf_conntrack_events=1

SMALL_BUFFER="  NetlinkBufferSize 8192
  NetlinkBufferSizeMaxGrowth 16384
  NetlinkOverrunResync 1"

# ---- 1. ENOBUFS during a burst of creates and deletes ----------------------
nsx "$CT_FILL" -n 20000 -t 3600 -q
start_daemon "$SMALL_BUFFER" || fail "enobufs: daemon up" "$(cat "$T/out")"
wait_for 20 bash -c "[[ \$(timeout 20 ip netns exec '$NS' '$CONNTRACKD' -C '$T/ctd.conf' -i | wc -l) -eq 20000 ]]" ||
  fail "enobufs: initial dump" "$(ctd -i | wc -l) cached"
overruns0=$(counter 'netlink overrun')
nsx "$CT_FILL" -n 30000 -s 20000 -t 3600 -q &
f1=$!
nsx "$CT_FILL" -n 10000 -s 0 -d -q &
f2=$!
wait "$f1" "$f2"
overran() { [[ $(counter 'netlink overrun') -gt ${overruns0:-0} ]]; }
if wait_for 10 overran; then
  pass "enobufs: the burst overflowed the 8 KiB event socket ($(counter 'netlink overrun') overruns)"
else
  fail "enobufs: overflow" "no overrun counted"
fi
if wait_for 30 same_as_kernel; then
  pass "enobufs: after the resync the internal cache is the kernel's table, entry for entry ($(wc -l <"$T/k") flows)"
else
  fail "enobufs: cache exact after resync" "$(why_not_same)"
fi
[[ $(wc -l <"$T/k") -eq 40000 ]] && pass "enobufs: 40000 = 20000 + 30000 created - 10000 deleted" ||
  fail "enobufs: kernel count" "$(wc -l <"$T/k")"
kill -0 "$DPID" 2>/dev/null && pass "enobufs: daemon still running" || fail "enobufs: daemon died" "$(tail -3 "$T/out")"
stop_daemon

# ---- 2. Signals during dumps and resyncs -----------------------------------
nsx "$CT_FILL" -n 10000 -s 50000 -t 3600 -q  # 50k in all
start_daemon "  NetlinkBufferSize 8388608
  NetlinkBufferSizeMaxGrowth 16777216" || fail "signals: daemon up"
wait_for 20 same_as_kernel || fail "signals: initial dump" "$(why_not_same)"
n_kernel=$(wc -l <"$T/k")
# SIGHUP (logs reopened) every 5 ms, bounded to 4000 signals or 40 s.
(end=$((SECONDS + 40))
 for ((i = 0; i < 4000 && SECONDS < end; i++)); do kill -HUP "$DPID" 2>/dev/null || break; sleep 0.005; done) &
hup=$!
PIDS+=("$hup")
ok=1 why=
for ((r = 0; r < 3; r++)); do
  ctd -R >/dev/null 2>&1 || { ok=0; why="-R failed"; }
  n=$(ctd -i 2>/dev/null | wc -l)
  [[ $n -eq $n_kernel ]] || { ok=0; why="-i gave $n of $n_kernel"; }
  for ((s = 0; s < 20; s++)); do ctd -s >/dev/null 2>&1 || { ok=0; why="-s failed"; }; done
done
kill "$hup" 2>/dev/null
wait "$hup" 2>/dev/null
forget "$hup"
if ((ok)) && kill -0 "$DPID" 2>/dev/null; then
  pass "signals: 3 resyncs (-R), 3 dumps (-i, $n_kernel each) and 60 -s under a SIGHUP storm, none failed"
else
  fail "signals: daemon under SIGHUP" "$why"
fi
if same_as_kernel; then pass "signals: cache still the kernel's table"; else fail "signals: cache exact" "$(why_not_same)"; fi
stop_daemon

# `conntrack -L` stopped and continued every 10 ms while it dumps: its
# dump thread sits in recvmsg; the kernel waits for it.  Ours and Debian's.
list_under_stops() {  # $1 binary, $2 output file
  ip netns exec "$NS" "$1" -L >"$2" 2>"$2.err" &
  local p=$! i
  PIDS+=("$p")
  for ((i = 0; i < 2000; i++)); do  # at most ~20 s
    kill -STOP "$p" 2>/dev/null || break
    sleep 0.005
    kill -CONT "$p" 2>/dev/null || break
    sleep 0.005
  done
  kill -CONT "$p" 2>/dev/null
  wait "$p"
  local rc=$?
  forget "$p"
  return $rc
}
kernel_state | keys >"$T/k.keys"
list_under_stops "$CONNTRACK" "$T/ours.L"
rc_o=$?
list_under_stops "$CT" "$T/up.L"
rc_u=$?
keys <"$T/ours.L" >"$T/ours.keys"
keys <"$T/up.L" >"$T/up.keys"
if [[ $rc_o -eq $rc_u ]] && cmp -s "$T/ours.keys" "$T/k.keys" && cmp -s "$T/up.keys" "$T/k.keys" &&
   [[ $(wc -l <"$T/ours.L") -eq $n_kernel ]]; then
  pass "signals: conntrack -L under SIGSTOP/SIGCONT: ours and Debian's exit $rc_o with all $n_kernel flows, once each"
else
  fail "signals: conntrack -L stopped and continued" \
    "ours exit $rc_o, $(wc -l <"$T/ours.L") lines; Debian exit $rc_u, $(wc -l <"$T/up.L"); kernel $n_kernel"
fi

# ---- 3. The table changing during dumps -------------------------------------
kernel_state | keys >"$T/stable.keys"  # 50k that stay
start_daemon "$SMALL_BUFFER" || fail "churn: daemon up"
wait_for 20 same_as_kernel || fail "churn: initial dump" "$(why_not_same)"
# The churned flows' keys: made once, noted, deleted.
nsx "$CT_FILL" -n 10000 -s 100000 -t 3600 -q
kernel_state | keys | comm -13 "$T/stable.keys" - >"$T/churn.keys"
nsx "$CT_FILL" -n 10000 -s 100000 -d -q
# Churn: those created and deleted again, 3 rounds (bounded).
(for r in 1 2 3; do
   timeout 60 ip netns exec "$NS" "$CT_FILL" -n 10000 -s 100000 -t 3600 -q
   timeout 60 ip netns exec "$NS" "$CT_FILL" -n 10000 -s 100000 -d -q
 done) &
churn=$!
PIDS+=("$churn")
sort -u "$T/stable.keys" "$T/churn.keys" >"$T/known.keys"
ok=1 why= intr=0 dumps=0
for ((r = 0; r < 4 && ok; r++)); do
  for bin in "$CONNTRACK" "$CT"; do
    nsx "$bin" -L >"$T/churn.L" 2>/dev/null || { ok=0; why="$bin -L failed"; }
    keys <"$T/churn.L" >"$T/churn.got"
    lost=$(comm -23 "$T/stable.keys" "$T/churn.got" | wc -l)
    alien=$(comm -13 "$T/known.keys" "$T/churn.got" | wc -l)
    ((lost == 0 && alien == 0)) || { ok=0; why="$bin: $lost stable flows missing, $alien unknown"; }
    dumps=$((dumps + 1))
  done
  nsx "$CT_RAWDUMP" 2>&1 | grep -q NLM_F_DUMP_INTR && intr=$((intr + 1))
  ctd -R >/dev/null 2>&1 || { ok=0; why="the daemon's -R failed during churn"; }
done
wait "$churn"
forget "$churn"
if ((ok)); then
  pass "churn: $dumps dumps (ours and Debian's alternating) and 4 daemon resyncs (-R) during churn: every flow that stayed, nothing unknown"
else
  fail "churn: dumps during churn" "$why"
fi
echo "# churn: the kernel flagged $intr of 4 raw dumps NLM_F_DUMP_INTR"
if wait_for 30 same_as_kernel; then
  pass "churn: the daemon's cache converges on the table exactly ($(wc -l <"$T/k") flows, $(counter 'netlink overrun') overruns, $(counter 'resync with kernel') resyncs)"
else
  fail "churn: daemon converges" "$(why_not_same)"
fi
stop_daemon

echo "kernel_faults: $PASS passed, $FAIL failed"
((FAIL == 0))
