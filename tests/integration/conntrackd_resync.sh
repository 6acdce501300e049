#!/usr/bin/env bash
# conntrackd background resyncs: the dump after an event-socket overrun
# (NetlinkOverrunResync) and the periodic dump of PollSecs are read from the
# event loop a few datagrams at a time.  Checks that each one converges on
# the kernel table: entries missed by events are added, entries gone from
# the kernel are purged (and, in stats mode, logged), and the daemon
# answers its clients meanwhile.
#
#   tests/integration/conntrackd_resync.sh      (root; < 1 min)
#
# CONNTRACKD: our binary; CT_FILL: tools/ct_fill (default $BINDIR/ct_fill).
# Entries are created with ct_fill and the oracle /usr/sbin/conntrack, in a
# private namespace only.  Prints PASS/FAIL lines; exit status 1 if any
# failed.  The namespace and every daemon started here are removed/killed
# (by PID) on exit.
set -u
CONNTRACKD=${CONNTRACKD:-$(pwd)/conntrackd}
BINDIR=${BINDIR:-$(dirname "$CONNTRACKD")}
CT_FILL=${CT_FILL:-$BINDIR/ct_fill}
CT=${ORACLE:-/usr/sbin/conntrack}
NS=ctdr-$$-$RANDOM
T=$(mktemp -d /tmp/ctdr.XXXXXX)
PASS=0 FAIL=0 PIDS=()

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del "$NS" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS $1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; FAIL=$((FAIL + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
nsx() { timeout 60 ip netns exec "$NS" "$@"; }
ctd() { nsx "$CONNTRACKD" -C "$T/ctd.conf" "$@"; }
wait_for() {  # bounded: 200 x 0.05 s
  local i
  for ((i = 0; i < 200; i++)); do "$@" && return 0; sleep 0.05; done
  return 1
}
cached() { ctd -s 2>/dev/null | awk -F'\t' '/current active/ {gsub(/ /, "", $NF); print $NF}'; }
kernel_count() { nsx "$CT" -C 2>/dev/null; }
cache_is() { [[ $(cached) == "$1" ]]; }
cache_matches_kernel() { local k; k=$(kernel_count); [[ -n $k && $(cached) == "$k" ]]; }

[[ -x $CONNTRACKD ]] || { echo "FAIL setup: no $CONNTRACKD"; exit 1; }
[[ -x $CT_FILL ]] || { echo "FAIL setup: no $CT_FILL"; exit 1; }
ip netns add "$NS" || { echo "FAIL setup: ip netns add"; exit 1; }
nsx sysctl -qw net.netfilter.nf_conntrack_events=1

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
Stats { LogFile $T/stats.log }
CONF
  rm -f "$T/ctd.log" "$T/stats.log" "$T/ctd.lock" "$T/ctd.sock"
  ip netns exec "$NS" "$CONNTRACKD" -C "$T/ctd.conf" >"$T/out" 2>&1 &
  DPID=$!
  PIDS+=("$DPID")
  wait_for test -S "$T/ctd.sock"
}
stop_daemon() { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }

# --- PollSecs: no events; each poll dumps in the background and purges -----
nsx "$CT_FILL" -n 20000 -t 3600 -q
start_daemon "  PollSecs 1"
check "poll: initial dump fills the cache" wait_for cache_is 20000
# Entries created and deleted behind the daemon's back.
nsx "$CT_FILL" -n 10000 -s 20000 -t 3600 -q
check "poll: new entries appear after a poll" wait_for cache_is 30000
nsx "$CT" -D -p udp >/dev/null 2>&1
check "poll: deleted entries are purged" wait_for cache_matches_kernel
check "poll: purged flows logged as destroyed (stats mode)" \
  bash -c "[[ \$(grep -c \$'\\tudp ' '$T/stats.log') -eq 15000 ]]"
# The daemon keeps answering while polls run.
ok=1
for ((i = 0; i < 20; i++)); do
  ctd -s >/dev/null 2>&1 || { ok=0; break; }
  sleep 0.05
done
check "poll: clients served between polls' datagrams" test "$ok" -eq 1
check "poll: polls do not count as resyncs" \
  bash -c "ctd() { timeout 60 ip netns exec '$NS' '$CONNTRACKD' -C '$T/ctd.conf' \"\$@\"; }; ctd -s runtime | grep -qP '^\\tresync with kernel table:\\t +0$'"
stop_daemon
nsx "$CT" -F >/dev/null 2>&1

# --- Overrun: a tiny event buffer overflows during a burst; the resync -----
# --- NetlinkOverrunResync s later brings the cache back to the kernel's ----
start_daemon "  NetlinkBufferSize 8192
  NetlinkBufferSizeMaxGrowth 16384
  NetlinkOverrunResync 1"
check "overrun: daemon up with an empty table" wait_for cache_is 0
nsx "$CT_FILL" -n 30000 -t 3600 -q
overran() { ctd -s runtime 2>/dev/null | grep -qP '^\tnetlink overrun:\t+ +[1-9]'; }
check "overrun: the burst overflowed the event socket" wait_for overran
check "overrun: the background resync converges on the kernel table" wait_for cache_matches_kernel
check "overrun: counted as a resync" \
  bash -c "ctd() { timeout 60 ip netns exec '$NS' '$CONNTRACKD' -C '$T/ctd.conf' \"\$@\"; }; ctd -s runtime | grep -qP '^\\tresync with kernel table:\\t +[1-9]'"
check "overrun: daemon still running" kill -0 "$DPID"
stop_daemon

echo "conntrackd_resync: $PASS passed, $FAIL failed"
((FAIL == 0))
