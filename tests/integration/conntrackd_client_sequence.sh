#!/usr/bin/env bash
# The client commands of a keepalived notify script, one after another, on
# ours and on Debian's conntrackd, in FT-FW, NOTRACK and ALARM: after each
# of -c -f -F -R -B -n -t the cache counters (-s cache) must be upstream's,
# byte for byte, and in ALARM (no control messages) so must the sync
# link's byte and packet counts.  Two things this caught:
#   * after our commit we re-dump the table (the commit leaves the NEW
#     event group, kernel_sync.h): that catch-up must neither announce
#     flows the cache already had nor re-add flows a later -f flushed;
#   * ALARM must not send the flows of the start-up dump at the first tick
#     (upstream gives each a random first refresh within RefreshTime);
#   * FT-FW's resend queue keeps a control message's flags as sent (the
#     HELLO bit of a -n request before any HELLO_BACK), as -s rsqueue shows.
# The sync peer does not exist (a veth with nobody behind it): only what a
# daemon sends is looked at.
#
#   tests/integration/conntrackd_client_sequence.sh   (root; ~40 s)
set -u
OURS=${CONNTRACKD:-$(pwd)/conntrackd}
ORACLE=${ORACLE_CONNTRACKD:-${UPSTREAM_CONNTRACKD:-/usr/sbin/conntrackd}}
CT=${ORACLE_CONNTRACK:-/usr/sbin/conntrack}
T=$(mktemp -d /tmp/ctdseq.XXXXXX)
NS=ctdseq$$
PASS=0 FAIL=0

cleanup() {
  local f p
  for f in "$T"/*.pid; do
    [[ -e $f ]] || continue
    p=$(cat "$f")
    [[ -n $p ]] && kill -9 "$p" 2>/dev/null
  done
  ip netns del "$NS" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS $1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; FAIL=$((FAIL + 1)); }
nsx() { timeout 20 ip netns exec "$NS" "$@"; }

for b in "$OURS" "$ORACLE" "$CT"; do
  [[ -x $b ]] || { echo "FAIL setup: $b not found"; exit 1; }
done
ip netns add "$NS" || { echo "FAIL setup: netns"; exit 1; }
ip -n "$NS" link set lo up
ip -n "$NS" link add vsa type veth peer name vsb
ip -n "$NS" addr add 198.18.77.1/24 dev vsa
ip -n "$NS" link set vsa up
ip -n "$NS" link set vsb up

# $1 mode, $2 extra mode lines
write_conf() {
  cat >"$T/$1.conf" <<EOF
Sync {
  Mode $1 {
$2
  }
  UDP Default {
    IPv4_address 198.18.77.1
    IPv4_Destination_Address 198.18.77.2
    Port 3780
    Interface vsa
    Checksum on
  }
}
General {
  LogFile $T/log
  LockFile $T/lock
  UNIX { Path $T/sock }
  Syslog off
}
EOF
}
write_conf FTFW ""
write_conf NOTRACK ""
# A first refresh this far away never comes during the test.
write_conf ALARM "    RefreshTime 1000000
    CacheTimeout 2000000"

add_flows() {
  nsx "$CT" -F >/dev/null 2>&1
  nsx "$CT" -I -p tcp -s 10.1.1.1 -d 10.2.2.2 --sport 1000 --dport 80 \
    --state ESTABLISHED -t 300 >/dev/null 2>&1
  nsx "$CT" -I -p udp -s 10.1.1.3 -d 10.2.2.4 --sport 53 --dport 53 -t 300 >/dev/null 2>&1
}

wait_sock() {
  local i
  for ((i = 0; i < 100; i++)); do [[ -S $T/sock ]] && return 0; sleep 0.05; done
  return 1
}

# $1 binary, $2 mode, $3 output file: the sequence, a snapshot after each.
run_sequence() {
  local bin=$1 mode=$2 out=$3 conf=$T/$2.conf a i pid
  add_flows
  rm -f "$T/lock" "$T/sock" "$T/log"
  nsx "$bin" -C "$conf" -d >/dev/null 2>&1
  wait_sock || { echo "no control socket" >"$out"; return; }
  for ((i = 0; i < 100; i++)); do
    pid=$(sed -n 's/.*(pid=\([0-9]*\)) \[notice\] -- starting in daemon mode --.*/\1/p' "$T/log" | tail -1)
    [[ -n $pid ]] && break
    sleep 0.05
  done
  echo "$pid" >"$T/daemon.pid"
  sleep 1.5  # ALARM's first tick has passed
  : >"$out"
  for a in "" "-c" "-f" "-F" "-R" "-B" "-n" "-t"; do
    # shellcheck disable=SC2086
    [[ -n $a ]] && nsx "$bin" -C "$conf" $a >/dev/null 2>&1
    sleep 0.4  # the commit child's exit and the catch-up dump
    {
      echo "### after '${a:-start}'"
      nsx "$bin" -C "$conf" -s cache
      # The resend queue as shown (sequence numbers move with the clock):
      # what each command queued and its flags (HELLO until a HELLO_BACK).
      if [[ $mode == FTFW ]]; then
        nsx "$bin" -C "$conf" -s rsqueue | sed -E 's/seq:[0-9]+/seq:N/'
      fi
      if [[ $mode == ALARM ]]; then
        nsx "$bin" -C "$conf" -s network | grep -E 'Bytes sent|Pckts sent'
      fi
    } >>"$out" 2>&1
  done
  nsx "$bin" -C "$conf" -k >/dev/null 2>&1
  for ((i = 0; i < 100; i++)); do
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  rm -f "$T/daemon.pid"
}

for mode in FTFW NOTRACK ALARM; do
  run_sequence "$OURS" "$mode" "$T/ours.$mode"
  run_sequence "$ORACLE" "$mode" "$T/up.$mode"
  if [[ $(grep -c '^### ' "$T/up.$mode") -ne 8 ]]; then
    fail "$mode: oracle sequence ran" "$(head -5 "$T/up.$mode")"
    continue
  fi
  if cmp -s "$T/ours.$mode" "$T/up.$mode"; then
    pass "$mode: -s cache (FT-FW: and -s rsqueue) after start -c -f -F -R -B -n -t equals upstream's"
  else
    fail "$mode: -s cache after each command equals upstream's" \
      "$(diff "$T/ours.$mode" "$T/up.$mode" | head -20)"
  fi
done
# The figures the comparison rests on, not only their equality.
if grep -A1 "after 'start'" "$T/ours.FTFW" | grep -q 'cache:internal'; then
  if awk "/after 'start'/{s=1} s && /creation OK/{print; exit}" "$T/ours.FTFW" | grep -q ' 2/'; then
    pass "FTFW: both flows dumped into the internal cache at start"
  else
    fail "FTFW: both flows dumped into the internal cache at start" "$(head -8 "$T/ours.FTFW")"
  fi
else
  fail "FTFW: internal cache shown" "$(head -5 "$T/ours.FTFW")"
fi
if awk "/after '-c'/{s=1} s && /Pckts sent/{print; exit}" "$T/ours.ALARM" | grep -qE '^ +0 Pckts sent'; then
  pass "ALARM: nothing sent at start nor after -c"
else
  fail "ALARM: nothing sent at start nor after -c" "$(grep -A2 "after '-c'" "$T/ours.ALARM")"
fi

# TCP to a peer that never answers: what could not be sent waits in the
# error queue, and (upstream's queue_object_new counts them) its messages
# are allocated queue nodes as the control messages are.
sed 's/UDP Default {/TCP Default {/' "$T/FTFW.conf" >"$T/TCP.conf"
rm -f "$T/lock" "$T/sock" "$T/log"
nsx "$OURS" -C "$T/TCP.conf" -d >/dev/null 2>&1
if wait_sock; then
  sleep 2.5
  sed -n 's/.*(pid=\([0-9]*\)) \[notice\] -- starting in daemon mode --.*/\1/p' "$T/log" | tail -1 >"$T/daemon.pid"
  q=$(nsx "$OURS" -C "$T/TCP.conf" -s queue)
  nodes=$(awk '/allocated queue nodes/{print $4}' <<<"$q")
  errq=$(awk '/^queue errorq/{e=1} e && /current elements/{print $3; exit}' <<<"$q")
  if [[ -n $errq && $errq -gt 0 && $nodes == "$errq" ]]; then
    pass "TCP: the error queue's $errq messages are the allocated queue nodes"
  else
    fail "TCP: the error queue's messages are the allocated queue nodes" "$q"
  fi
  nsx "$OURS" -C "$T/TCP.conf" -k >/dev/null 2>&1
else
  fail "TCP: daemon started"
fi

echo "conntrackd_client_sequence: $PASS passed, $FAIL failed"
((FAIL == 0))
