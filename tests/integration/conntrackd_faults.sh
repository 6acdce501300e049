#!/usr/bin/env bash
# Faults around a running sync pair (ours on both sides, FT-FW over UDP):
#   - the log file is on a full device (LogFile /dev/full): the daemons
#     start as Debian's does, keep syncing and answering, stop cleanly;
#   - the config file is changed under a running daemon (garbage, then
#     removed): the daemon keeps its configuration and keeps syncing; a
#     client reading the broken file fails with Debian's exit status; the
#     restored file reaches the daemon again;
#   - signals during a commit: B commits 20k flows learned from A into its
#     kernel table while a SIGHUP storm hits it and clients ask -s: the
#     commit succeeds and B's table then holds exactly A's flows.
#
#   tests/integration/conntrackd_faults.sh     (root; about 30 s)
set -u
. "$(dirname "$0")/lib_sync.sh"
trap sync_teardown EXIT
trap 'exit 1' INT TERM
sync_setup || { echo "FAIL setup"; exit 1; }

OURS=$SYNC_OURS UP=$SYNC_UP
CT_FILL=${CT_FILL:-${BINDIR:-.}/ct_fill}
[[ -x $CT_FILL ]] || CT_FILL=$(pwd)/ct_fill

# flows N FIRST: N UDP flows from 192.168.9.FIRST.. in A's table
flows() {
  local i
  for ((i = $2; i < $2 + $1; i++)); do
    sync_ct A -I -p udp -s "192.168.9.$i" -d 10.9.9.9 --sport 5000 --dport 53 -t 120
  done
}

# ---- LogFile on a full device ---------------------------------------------
sync_conf A FTFW UDP
sync_conf B FTFW UDP
sed -i "s|LogFile .*|LogFile /dev/full|" "$SYNC_T/A.conf" "$SYNC_T/B.conf"
# Debian's daemon starts with it: so must ours.
cp "$SYNC_T/B.conf" "$SYNC_T/up.conf"
sed -i "s|$SYNC_T/sock.B|$SYNC_T/sock.up|; s|$SYNC_T/lock.B|$SYNC_T/lock.up|" "$SYNC_T/up.conf"
ip netns exec "$SYNC_NS_B" timeout 2 "$UP" -C "$SYNC_T/up.conf" >/dev/null 2>&1
up_rc=$?
ip netns exec "$SYNC_NS_B" timeout 2 "$OURS" -C "$SYNC_T/up.conf" >/dev/null 2>&1
ours_rc=$?
if [[ $ours_rc -eq $up_rc ]]; then
  pass "LogFile /dev/full: start-up as Debian's (timeout status $up_rc: it ran)"
else
  fail "LogFile /dev/full: start-up" "ours $ours_rc, Debian $up_rc"
fi
rm -f "$SYNC_T/lock.up" "$SYNC_T/sock.up"

if sync_start B "$OURS" && sync_start A "$OURS"; then
  pass "LogFile /dev/full: both daemons up"
else
  fail "LogFile /dev/full: both daemons up" "$(cat "$SYNC_T/out.A" "$SYNC_T/out.B")"
fi
sleep 1
flows 5 1
if sync_wait_ext B "$OURS" 5; then
  pass "LogFile /dev/full: 5 flows synced while every log write fails"
else
  fail "LogFile /dev/full: flows synced" "B external: $(sync_client B "$OURS" -e | wc -l)"
fi
# a burst of log lines (flush requests log) must not wedge the daemon
for i in $(seq 1 20); do sync_client A "$OURS" -s runtime >/dev/null 2>&1; done
if sync_client A "$OURS" -s >/dev/null 2>&1 && kill -0 "$SYNC_PID_A" 2>/dev/null; then
  pass "LogFile /dev/full: still answering after 20 requests"
else
  fail "LogFile /dev/full: still answering"
fi
p=$SYNC_PID_A
kill "$p"; wait "$p"; rc=$?
if [[ $rc -eq 0 ]]; then pass "LogFile /dev/full: SIGTERM, exit 0"; else fail "LogFile /dev/full: SIGTERM" "exit $rc"; fi
SYNC_PID_A=
sync_stop B

# ---- the config file changed under a running daemon ------------------------
sync_ct A -F; sync_ct B -F
sync_conf A FTFW UDP
sync_conf B FTFW UDP
sync_start B "$OURS" && sync_start A "$OURS" || fail "config change: start"
sleep 1
cp "$SYNC_T/A.conf" "$SYNC_T/A.good"
flows 3 10
sync_wait_ext B "$OURS" 3 || fail "config change: first 3 flows" "$(sync_client B "$OURS" -e | wc -l)"
printf 'Sync {\n  Mode FTFW {\n bogus here\n' >"$SYNC_T/A.conf"
flows 3 20
if sync_wait_ext B "$OURS" 6 && kill -0 "$SYNC_PID_A" 2>/dev/null; then
  pass "config change: garbage written over A's file, A keeps syncing (6 flows at B)"
else
  fail "config change: A keeps syncing" "B external: $(sync_client B "$OURS" -e | wc -l)"
fi
ip netns exec "$SYNC_NS_A" timeout 10 "$UP" -C "$SYNC_T/A.conf" -s >"$SYNC_T/up.out" 2>&1
up_rc=$?
ip netns exec "$SYNC_NS_A" timeout 10 "$OURS" -C "$SYNC_T/A.conf" -s >"$SYNC_T/ours.out" 2>&1
ours_rc=$?
if [[ $ours_rc -eq $up_rc && -s $SYNC_T/ours.out ]]; then
  pass "config change: a client reading the broken file fails as Debian's (exit $up_rc, with a message)"
else
  fail "config change: client on the broken file" "ours $ours_rc ($(head -c 200 "$SYNC_T/ours.out")), Debian $up_rc"
fi
rm -f "$SYNC_T/A.conf"
flows 2 30
if sync_wait_ext B "$OURS" 8 && kill -0 "$SYNC_PID_A" 2>/dev/null; then
  pass "config change: file removed, A keeps syncing (8 flows at B)"
else
  fail "config change: file removed" "B external: $(sync_client B "$OURS" -e | wc -l)"
fi
cp "$SYNC_T/A.good" "$SYNC_T/A.conf"
n=$(sync_client A "$OURS" -i | wc -l)
if [[ $n -eq 8 ]]; then
  pass "config change: the restored file reaches the daemon, its cache intact (8 flows)"
else
  fail "config change: restored file" "A internal: $n"
fi

# ---- signals during a commit ------------------------------------------------
sync_stop A; sync_stop B
sync_ct A -F; sync_ct B -F
sync_conf A FTFW UDP
sync_conf B FTFW UDP
sync_start B "$OURS" && sync_start A "$OURS" || fail "commit signals: start"
sleep 1
timeout 60 ip netns exec "$SYNC_NS_A" "$CT_FILL" -n 20000 -t 3600 -q
# bounded: 60 s
for ((i = 0; i < 300; i++)); do
  [[ $(sync_client B "$OURS" -e | wc -l) -eq 20000 ]] && break
  sleep 0.2
done
n=$(sync_client B "$OURS" -e | wc -l)
[[ $n -eq 20000 ]] || fail "commit signals: B's external cache" "$n of 20000"
(end=$((SECONDS + 60))
 for ((i = 0; i < 6000 && SECONDS < end; i++)); do kill -HUP "$SYNC_PID_B" 2>/dev/null || break; sleep 0.005; done) &
hup=$!
(for ((i = 0; i < 200; i++)); do sync_client B "$OURS" -s >/dev/null 2>&1; done) &
stats=$!
sync_client B "$OURS" -c >"$SYNC_T/commit.out" 2>&1
rc=$?
kill "$hup" 2>/dev/null
wait "$hup" "$stats" 2>/dev/null
origin() {  # the original tuples of a listing
  awk '{ k = $1; n = 0
         for (i = 2; i <= NF && n < 4; i++) if ($i ~ /^(src|dst|sport|dport)=/) { k = k " " $i; n++ }
         print k }' | sort -u
}
sync_ct A -L | origin >"$SYNC_T/a.keys"
sync_ct B -L | origin >"$SYNC_T/b.keys"
if [[ $rc -eq 0 ]] && [[ $(wc -l <"$SYNC_T/b.keys") -eq 20000 ]] && cmp -s "$SYNC_T/a.keys" "$SYNC_T/b.keys" &&
   kill -0 "$SYNC_PID_B" 2>/dev/null; then
  pass "commit signals: -c of 20000 under a SIGHUP storm and -s requests: exit 0, B's table is A's, flow for flow"
else
  fail "commit signals: -c under SIGHUP" "exit $rc ($(head -c 200 "$SYNC_T/commit.out")), B's table $(wc -l <"$SYNC_T/b.keys") flows, $(comm -3 "$SYNC_T/a.keys" "$SYNC_T/b.keys" | wc -l) differ"
fi

echo "# conntrackd_faults.sh: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
