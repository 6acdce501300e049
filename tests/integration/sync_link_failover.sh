#!/usr/bin/env bash
# FT-FW over two dedicated UDP links (two veth pairs between A and B, the
# first one `Default`).  Flows sync over the first link; then A's end of the
# first link goes down (`ip link set sva down`): A's link watcher must make
# the second link the dedicated one (log line "device `sva2' becomes
# dedicated link"), the flows created afterwards must reach B's external
# cache over it, and the already synced ones must stay.  Then the first link
# comes back (no fail-back: the second stays ACTIVE) and the second one goes
# down: the daemon moves back to the first link, and new flows arrive again.
# `-s link` on A and on B at each step must have Debian's line layout, with
# the same status and role per device (counters masked).  Pairs:
# Debian<->Debian (the reference, run first), ours<->ours, ours->Debian,
# Debian->ours.
#
#   tests/integration/sync_link_failover.sh     (root; about 1 min)
set -u
. "$(dirname "$0")/lib_sync.sh"
. "$(dirname "$0")/lib_sync_fault.sh"
trap sync_teardown EXIT
trap 'exit 1' INT TERM
[[ -x $FAULT_CT_FILL ]] || { echo "FAIL setup: no $FAULT_CT_FILL (make tools)"; exit 1; }
sync_setup || { echo "FAIL setup"; exit 1; }
fault_second_link || { echo "FAIL setup: second veth pair"; exit 1; }

# -s link with the counters masked (the device names keep their digits).
links() { sync_client "$1" "$2" -s link 2>/dev/null | sed -E 's/[[:space:]]+[0-9]+ (Bytes|Pckts|Error) / N \1 /g'; }
# "Pckts recv" of DEV in SIDE's -s link
pkts_recv() {
  sync_client "$1" "$2" -s link 2>/dev/null |
    awk -v d="device=$3 " 'index($0, d) { f = 1; next } f && /Pckts/ { print $(NF - 2); exit }'
}
# wait (bounded, 10 s) until SIDE's log says DEV became the dedicated link
wait_log() {
  local i
  for i in $(seq 1 50); do
    grep -q "device \`$2' becomes dedicated link" "$SYNC_T/log.$1" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# run_failover TAG SENDER(A) RECEIVER(B): -s link snapshots in $SYNC_T/links.TAG.*
run_failover() {
  local tag=$1 sb=$2 rb=$3 before after
  fault_conf2 A; fault_conf2 B
  sync_ct A -F; sync_ct B -F
  rm -f "$SYNC_T/log.A" "$SYNC_T/log.B"
  ip -n "$SYNC_NS_A" link set sva up; ip -n "$SYNC_NS_A" link set sva2 up
  if ! fault_start B "$rb" || ! fault_start A "$sb"; then
    fail "$tag: start"; fault_stop A; fault_stop B; return 1
  fi
  sleep 1.5
  fault_fill 40 0
  if fault_converge B "$rb" A "$sb" 20; then
    pass "$tag: 40 flows over the Default link"
  else
    fail "$tag: 40 flows over the Default link" "$(cat "$SYNC_T/diff")"
  fi
  links A "$sb" >"$SYNC_T/links.$tag.A1"; links B "$rb" >"$SYNC_T/links.$tag.B1"

  # the first link fails on A's side
  ip -n "$SYNC_NS_A" link set sva down
  if wait_log A sva2; then pass "$tag: A logs that sva2 becomes the dedicated link"
  else fail "$tag: A does not switch to sva2" "$(tail -n 5 "$SYNC_T/log.A")"; fi
  before=$(pkts_recv B "$rb" svb2)
  fault_fill 40 40
  sync_ct A -D -p tcp --dport 22 >/dev/null
  sync_ct A -U -p udp --dport 53 -m 5 >/dev/null
  if fault_converge B "$rb" A "$sb" 20; then
    after=$(pkts_recv B "$rb" svb2)
    if [[ -n $before && -n $after && $after -gt $before ]]; then
      pass "$tag: first link down: new flows reach B over the second link ($(wc -l <"$SYNC_T/c.int") flows, svb2 received $((after - before)) datagrams)"
    else
      fail "$tag: first link down: B converged but svb2 received nothing ($before -> $after)"
    fi
  else
    fail "$tag: first link down: B does not converge" "$(cat "$SYNC_T/diff")"
  fi
  sleep 1.2  # let the alive/ACK exchange settle the roles on B
  links A "$sb" >"$SYNC_T/links.$tag.A2"; links B "$rb" >"$SYNC_T/links.$tag.B2"

  # the first link returns (no fail-back), then the second one fails
  ip -n "$SYNC_NS_A" link set sva up
  sleep 1.5
  links A "$sb" >"$SYNC_T/links.$tag.A3"
  ip -n "$SYNC_NS_A" link set sva2 down
  if wait_log A sva && grep -c "becomes dedicated link" "$SYNC_T/log.A" | grep -qx 2; then
    pass "$tag: second link down: A logs that sva becomes the dedicated link again"
  else
    fail "$tag: second link down: A does not switch back to sva" "$(tail -n 5 "$SYNC_T/log.A")"
  fi
  fault_fill 20 80
  if fault_converge B "$rb" A "$sb" 20; then
    pass "$tag: second link down: new flows reach B over the first link ($(wc -l <"$SYNC_T/c.int") flows)"
  else
    fail "$tag: second link down: B does not converge" "$(cat "$SYNC_T/diff")"
  fi
  sleep 1.2
  links A "$sb" >"$SYNC_T/links.$tag.A4"; links B "$rb" >"$SYNC_T/links.$tag.B4"
  fault_stop A; fault_stop B
  return 0
}

ref="debian<->debian"
run_failover "$ref" "$SYNC_UP" "$SYNC_UP"
for pair in "ours<->ours" "ours->debian" "debian->ours"; do
  case $pair in
    "ours<->ours") s=$SYNC_OURS r=$SYNC_OURS ;;
    "ours->debian") s=$SYNC_OURS r=$SYNC_UP ;;
    *) s=$SYNC_UP r=$SYNC_OURS ;;
  esac
  run_failover "$pair" "$s" "$r" || continue
  # the -s link layout of our side(s), against Debian's at the same step
  for snap in A1 B1 A2 B2 A3 A4 B4; do
    side=${snap:0:1}
    [[ $side == A && $s != "$SYNC_OURS" ]] && continue
    [[ $side == B && $r != "$SYNC_OURS" ]] && continue
    if cmp -s "$SYNC_T/links.$ref.$snap" "$SYNC_T/links.$pair.$snap"; then
      pass "$pair: -s link on $side at step $snap matches Debian's (counters masked)"
    else
      fail "$pair: -s link on $side at step $snap differs from Debian's (< debian, > ours)" \
        "$(diff "$SYNC_T/links.$ref.$snap" "$SYNC_T/links.$pair.$snap")"
    fi
  done
done

echo "# sync_link_failover.sh: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
