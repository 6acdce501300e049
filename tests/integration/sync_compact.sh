#!/usr/bin/env bash
# The compact sync encoding (Options { CompactEncoding on }, protocol v2,
# src/sync/compact_wire.h) between two namespaces:
#   1. A v2 message before a v1 one in one datagram: Debian's 1.4.7 (and
#      ours with the option off) counts the v2 one as "Wrong protocol
#      version", skips it by its length and applies the v1 one.
#   2. ours <-> ours with the option on both sides, FT-FW (UDP, TCP),
#      NOTRACK and ALARM: B's external cache equals A's table exactly after
#      creates, real updates (nftables `ct mark set` on traffic over A's
#      loopback, three per flow), destroys and creates that reuse the freed
#      cache slots (id reuse); v2 records really carried it.
#   3. Unknown ids: once A has every full state acknowledged, B flushes
#      its external cache and 50 of A's flows are updated (UPD by id):
#      B applies none of them, asks (NEED) for exactly those 50 ids and
#      gets each one's full, latest state, and nothing else.
#   4. Mixed cluster: ours with the option on and Debian's daemon, each way:
#      it converges in v1, our side reports the encoding not in use, and
#      Debian's side saw at most our three OFFERs as wrong-version drops.
#   5. B restarted with the option off: A falls back to v1 and, after B's
#      resync request, B equals A.
#
#   tests/integration/sync_compact.sh     (root; about 1.5 min)
set -u
. "$(dirname "$0")/lib_sync.sh"
. "$(dirname "$0")/lib_sync_fault.sh"
trap sync_teardown EXIT
trap 'exit 1' INT TERM
[[ -x $FAULT_CT_FILL ]] || { echo "FAIL setup: no $FAULT_CT_FILL (make tools)"; exit 1; }
sync_setup || { echo "FAIL setup"; exit 1; }

nsa() { ip netns exec "$SYNC_NS_A" "$@"; }
ON="CompactEncoding on"

# Marks set by packet length on A's UDP traffic to 127.0.0.1:5000: a
# payload of k bytes sets ct mark k (each change is a kernel update event).
nsa nft -f - <<'EOF' || { echo "FAIL setup: nft mark rules"; exit 1; }
table ip ctmark {
  # the mark rules turn conntrack on in A: keep the sync link itself out
  chain rawpre {
    type filter hook prerouting priority -300; policy accept;
    th dport 3780 notrack
    th sport 3780 notrack
  }
  chain rawout {
    type filter hook output priority -300; policy accept;
    th dport 3780 notrack
    th sport 3780 notrack
  }
  chain out {
    type filter hook output priority 0; policy accept;
    udp dport 5000 meta length 29 ct mark set 1
    udp dport 5000 meta length 30 ct mark set 2
    udp dport 5000 meta length 31 ct mark set 3
    udp dport 5000 meta length 32 ct mark set 4
    udp dport 5000 meta length 33 ct mark set 5
  }
}
EOF

# traffic N LEN [FIRST]: one datagram of LEN bytes from each of the source
# ports FIRST.. FIRST+N-1 (one flow each) to 127.0.0.1:5000, in A.
traffic() {
  nsa timeout 30 python3 - "$1" "$2" "${3:-20000}" <<'EOF'
import socket, sys
n, ln, first = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", first + i))
    s.sendto(b"x" * ln, ("127.0.0.1", 5000))
    s.close()
EOF
}

# net_field SIDE BIN LABEL: a number of -s network
net_field() { sync_client "$1" "$2" -s network | sed -nE "s/.*$3:[[:space:]]+([0-9]+).*/\\1/p" | head -1; }
in_use() { sync_client "$1" "$SYNC_OURS" -s network | grep -qE "In use:[[:space:]]+yes"; }

# The workload: 60 flows by ct_fill, 50 by traffic each updated three times
# (marks 1 -> 2 -> 3 -> 4), 20 destroyed, 20 new ones in the freed slots.
workload() {
  fault_fill 60 0 || return 1
  local k
  for k in 1 2 3 4; do traffic 50 "$k" || return 1; sleep 0.3; done
  sync_ct A -D -p tcp >/dev/null
  fault_fill 20 500 || return 1
  return 0
}

start_pair() {  # start_pair MODE PROTO BIN_A BIN_B OPTS_A OPTS_B
  SYNC_OPTIONS=$5 sync_conf A "$1" "$2"
  SYNC_OPTIONS=$6 sync_conf B "$1" "$2"
  sync_ct A -F; sync_ct B -F
  fault_start B "$4" && fault_start A "$3" && sleep 1.5
}

# --- 1. v2 then v1 in one datagram -------------------------------------------
craft() {  # craft DST: [v2 DATA][v2 OFFER][v1 CT_NEW 198.51.100.7:4242 -> .8:53/udp]
  nsa timeout 10 python3 - "10.$SYNC_NET.0.2" <<'EOF'
import socket, struct, sys, time
def hdr(ver, t, flags, ln, seq): return struct.pack(">BBHI", ver << 4 | t, flags, ln, seq)
rec = bytes([3, 0]) + struct.pack(">II", 5, 6)          # a DEL record, id (5, 6)
data = hdr(2, 0, 0, 12 + len(rec), 1000) + struct.pack(">I", 0x1234) + rec
offer = hdr(2, 1, 1, 16, 0) + struct.pack(">II", 0x1234, 1)
a = struct.pack(">HH", 12, 0) + bytes([198, 51, 100, 7, 198, 51, 100, 8])
a += struct.pack(">HHB3x", 5, 2, 17) + struct.pack(">HHHH", 8, 3, 4242, 53)
a += struct.pack(">HHI", 8, 5, 8) + struct.pack(">HHI", 8, 6, 120)
v1 = hdr(1, 0, 0, 8 + len(a), 1001) + a
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1].rsplit(".", 1)[0] + ".1", 0))
s.sendto(data + offer + v1, (sys.argv[1], 3780))
EOF
}
for who in debian ours-off; do
  bin=$SYNC_UP; [[ $who == ours-off ]] && bin=$SYNC_OURS
  SYNC_OPTIONS= sync_conf B NOTRACK UDP
  fault_start B "$bin" || { fail "v2 dropped cleanly ($who): start"; continue; }
  sleep 0.5
  craft
  ok=0
  for i in $(seq 1 25); do
    sync_client B "$bin" -e 2>/dev/null | grep -q "src=198.51.100.7 dst=198.51.100.8 sport=4242" && { ok=1; break; }
    sleep 0.2
  done
  bv=$(net_field B "$bin" "Wrong protocol version")
  if [[ $ok == 1 && $bv == 2 ]]; then
    pass "v2 dropped cleanly ($who): 2 wrong-version drops, the v1 message after them applied"
  else
    fail "v2 dropped cleanly ($who)" "applied=$ok wrong_version=$bv"
  fi
  fault_stop B
done

# --- 2. ours <-> ours, both on ----------------------------------------------
for mp in FTFW:UDP FTFW:TCP NOTRACK:UDP ALARM:UDP; do
  mode=${mp%:*} proto=${mp#*:}
  tag="compact $mode/$proto ours<->ours"
  if ! start_pair "$mode" "$proto" "$SYNC_OURS" "$SYNC_OURS" "$ON" "$ON" || ! workload; then
    fail "$tag: start/workload"; fault_stop A; fault_stop B; continue
  fi
  if fault_converge B "$SYNC_OURS" A "$SYNC_OURS" 20; then
    recs=$(net_field B "$SYNC_OURS" "Records received")
    if in_use A && [[ ${recs:-0} -gt 0 ]]; then
      pass "$tag: B equals A ($(wc -l <"$SYNC_T/c.int") flows, $recs v2 records)"
    else
      fail "$tag: converged, but not in v2" "records=$recs"
    fi
  else
    fail "$tag: no exact convergence in 20 s" "$(head -20 "$SYNC_T/diff")"
  fi
  # --- 3. unknown ids (FT-FW/UDP only) ---
  # Once A's resend queue is empty every flow's full state is acknowledged,
  # so A sends the next change of each as an UPD by id alone.  B, its
  # external cache flushed, knows none of those ids: it must ask (NEED) for
  # every one, never guess, and end up with A's latest state of each.
  if [[ $mp == FTFW:UDP ]]; then
    for i in $(seq 1 50); do
      sync_client A "$SYNC_OURS" -s rsqueue 2>/dev/null | grep -q '(len=0)' && break
      sleep 0.1
    done
    unk0=$(net_field B "$SYNC_OURS" "Unknown ids")
    sync_client B "$SYNC_OURS" -f external >/dev/null 2>&1
    traffic 50 5
    ok=0
    for i in $(seq 1 50); do
      got=$(sync_client B "$SYNC_OURS" -e 2>/dev/null | grep "dport=5000" | grep -c "mark=5 ")
      [[ $got == 50 ]] && { ok=1; break; }
      sleep 0.2
    done
    unk=$(( $(net_field B "$SYNC_OURS" "Unknown ids") - unk0 ))
    asked=$(net_field A "$SYNC_OURS" "Ids asked by peer")
    extra=$(sync_client B "$SYNC_OURS" -e 2>/dev/null | grep -vc "dport=5000")
    if [[ $ok == 1 && $unk == 50 && ${asked:-0} -ge 50 && $extra == 0 ]]; then
      pass "$tag: external flushed, 50 UPDs of unknown ids: 50 asked for (NEED), all 50 back in full with mark 5, nothing else"
    else
      fail "$tag: unknown ids" "with mark 5: $got/50, unknown ids $unk (want 50), asked at A ${asked:-?}, other flows at B $extra (want 0)"
    fi
  fi
  fault_stop A; fault_stop B
done

# --- 4. mixed cluster with Debian's daemon ------------------------------------
for pair in ours:debian debian:ours; do
  ba=$SYNC_OURS bb=$SYNC_UP oa=$ON ob=
  if [[ $pair == debian:ours ]]; then ba=$SYNC_UP bb=$SYNC_OURS oa= ob=$ON; fi
  tag="compact on one side only ($pair)"
  if ! start_pair FTFW UDP "$ba" "$bb" "$oa" "$ob" || ! workload; then
    fail "$tag: start/workload"; fault_stop A; fault_stop B; continue
  fi
  if fault_converge B "$bb" A "$ba" 20; then
    ours=A deb=B; [[ $pair == debian:ours ]] && ours=B deb=A
    bin_deb=$SYNC_UP
    bv=$(net_field $deb "$bin_deb" "Wrong protocol version")
    if ! in_use $ours && [[ ${bv:-9} -le 3 ]]; then
      pass "$tag: converged in v1 ($(wc -l <"$SYNC_T/c.int") flows), Debian dropped $bv OFFERs as wrong version"
    else
      fail "$tag: converged but" "wrong_version=$bv in_use=$(in_use $ours && echo yes)"
    fi
  else
    fail "$tag: no exact convergence in 20 s" "$(head -20 "$SYNC_T/diff")"
  fi
  fault_stop A; fault_stop B
done

# --- 5. B restarted with the option off ---------------------------------------
tag="compact: B restarted with the option off"
if start_pair FTFW UDP "$SYNC_OURS" "$SYNC_OURS" "$ON" "$ON" && workload &&
  fault_converge B "$SYNC_OURS" A "$SYNC_OURS" 20 && in_use A; then
  fault_stop B
  SYNC_OPTIONS= sync_conf B FTFW UDP
  fault_start B "$SYNC_OURS"
  sleep 1
  sync_client B "$SYNC_OURS" -n >/dev/null 2>&1
  traffic 50 5
  fault_fill 10 800
  if fault_converge B "$SYNC_OURS" A "$SYNC_OURS" 20 && ! in_use A; then
    pass "$tag: A back to v1, B equals A ($(wc -l <"$SYNC_T/c.int") flows)"
  else
    fail "$tag" "in_use=$(in_use A && echo yes) $(head -20 "$SYNC_T/diff")"
  fi
else
  fail "$tag: first phase did not converge in v2"
fi
fault_stop A; fault_stop B

echo "# sync_compact.sh: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
