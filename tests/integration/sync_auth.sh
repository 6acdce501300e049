#!/usr/bin/env bash
# Authenticated sync (Sync { AuthKeyFile }, src/conntrackd/sync/sync_auth.h)
# between two of our daemons on the lib_sync.sh veth pair, plus an
# attacker namespace M with a link of its own into B (it reaches B's sync
# address through B) and a tap on A's side of the sync link (AF_PACKET,
# tests/integration/sync_auth_tool.py) that records A's valid packets.
#
#   FT-FW over UDP: flows sync; then M replays every captured packet and
#   sends forged ones (no trailer, random tag, right id with another key,
#   unknown key id, truncated trailer): B's external cache does not change
#   and each drop counter of -s network --json moves by exactly the
#   number sent of its kind, the text -s network shows the same numbers;
#   after 40000 more flows (more than the 1024-packet window), a replay of
#   the first captured packets counts as too old.
#   NOTRACK over multicast: key rotation by SIGHUP without a restart
#   (accept both, switch the signing key, drop the old one), an unknown
#   key id and a same-id-other-bytes key (nothing synced, counted), a
#   bad key file on reload keeps the keys in use.
#   FT-FW over TCP: flows sync through the stream framing.
#   Debian's daemon (no authentication) -> ours with a key: nothing
#   applied, every packet counted as missing its trailer.
#   A key file others can read: start-up refused, exit 1.
# Ours with AuthKeyFile unset is covered by sync_interop.sh (upstream's
# bytes, every pairing with Debian's daemon).
set -u
. "$(dirname "$0")/lib_sync.sh"
TOOL=$(cd "$(dirname "$0")" && pwd)/sync_auth_tool.py
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
CT_FILL=${CT_FILL:-${BINDIR:-.}/ct_fill}
[[ -x $CT_FILL ]] || CT_FILL=$(pwd)/ct_fill
OURS=$SYNC_OURS UP=$SYNC_UP
SYNC_NS_M=sym-$$-$RANDOM
TAP_PID=
cleanup() {
  [[ -n ${KEEP_CAP:-} ]] && cp "$SYNC_T/captured" /tmp/auth_captured 2>/dev/null
  [[ -n $TAP_PID ]] && kill "$TAP_PID" 2>/dev/null
  ip netns del "$SYNC_NS_M" 2>/dev/null
  sync_teardown
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sync_setup || { echo "FAIL setup"; exit 1; }
[[ -x $CT_FILL ]] || { echo "FAIL setup: no ct_fill ($CT_FILL)"; exit 1; }
A_IP=10.$SYNC_NET.0.1 B_IP=10.$SYNC_NET.0.2 M_IP=10.$SYNC_NET.1.3

K1=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
K2=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7
K3=5f5e5d5c5b5a59585756555453525150
K4=0f0e0d0c0b0a09080706050403020100
KM=deadbeefdeadbeefdeadbeefdeadbeef  # the attacker's own key

# keyfile SIDE "ID HEX" ["ID HEX"]: the side's key file, mode 0600
keyfile() {
  local side=$1; shift
  printf '%s\n' "# test keys" "$@" >"$SYNC_T/key.$side"
  chmod 600 "$SYNC_T/key.$side"
}
# conf SIDE MODE PROTO: sync_conf plus the AuthKeyFile line
conf() {
  sync_conf "$1" "$2" "$3"
  sed -i "s|^Sync {|Sync {\n  AuthKeyFile $SYNC_T/key.$1|" "$SYNC_T/$1.conf"
}
auth_json() { sync_client "$1" "$OURS" -s network --json 2>/dev/null | jq -c '.authentication'; }
# auth SIDE FIELD: one counter of .authentication
auth() { sync_client "$1" "$OURS" -s network --json 2>/dev/null | jq -r ".authentication.$2"; }
hup() { kill -HUP "$(eval echo "\$SYNC_PID_$1")"; }
ct_count() { sync_client "$1" "$OURS" -e | wc -l; }
fill() {  # fill N START: N new flows in A's table
  timeout 60 ip netns exec "$SYNC_NS_A" "$CT_FILL" -n "$1" -s "$2" -t 3600 -q
}
# wait_auth SIDE FIELD VALUE: bounded (10 s) wait for a counter
wait_auth() {
  local i
  for i in $(seq 1 50); do
    [[ $(auth "$1" "$2") == "$3" ]] && return 0
    sleep 0.2
  done
  return 1
}

# ---------------------------------------------------------------------------
# Key file others can read: refused at start-up.
keyfile A "1 $K1"
conf A FTFW UDP
chmod 644 "$SYNC_T/key.A"
out=$(timeout 20 ip netns exec "$SYNC_NS_A" "$OURS" -C "$SYNC_T/A.conf" 2>&1); rc=$?
if [[ $rc -eq 1 && $out == *"is accessible by others (mode 0644)"* ]]; then
  pass "keyfile_world_readable_refused"
else
  fail "keyfile_world_readable_refused" "rc=$rc: $out"
fi
chmod 600 "$SYNC_T/key.A"

# ---------------------------------------------------------------------------
# FT-FW over UDP, with the attacker.
keyfile B "1 $K1"
conf B FTFW UDP
ip netns add "$SYNC_NS_M" || { echo "FAIL setup: netns M"; exit 1; }
ip link add svm netns "$SYNC_NS_M" type veth peer name svbm netns "$SYNC_NS_B"
ip -n "$SYNC_NS_M" addr add "$M_IP/24" dev svm
ip -n "$SYNC_NS_B" addr add "10.$SYNC_NET.1.2/24" dev svbm
ip -n "$SYNC_NS_M" link set lo up
ip -n "$SYNC_NS_M" link set svm up
ip -n "$SYNC_NS_B" link set svbm up
ip -n "$SYNC_NS_M" route add "10.$SYNC_NET.0.0/24" via "10.$SYNC_NET.1.2"
ip netns exec "$SYNC_NS_B" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.svbm.rp_filter=0

ip netns exec "$SYNC_NS_A" "$PY" "$TOOL" tap sva 3780 "$SYNC_T/captured" 120 &
TAP_PID=$!
sleep 0.5
sync_start B "$OURS" && sync_start A "$OURS" || { fail "ftfw_udp_start" "$(cat "$SYNC_T"/out.*)"; exit 1; }
fill 300 1
if sync_wait_ext B "$OURS" 300; then pass "ftfw_udp_synced"; else fail "ftfw_udp_synced" "$(ct_count B) of 300"; fi
sleep 1.5  # an ALIVE or two more on the tap
kill "$TAP_PID"; wait "$TAP_PID" 2>/dev/null; TAP_PID=
NCAP=$(wc -l <"$SYNC_T/captured")
[[ $NCAP -ge 5 ]] && pass "tap_captured ($NCAP packets)" || fail "tap_captured" "$NCAP"
# every captured packet carries a trailer (bytes -40: 0x1f, alg 1, len 40)
if [[ $NCAP -gt 0 && $(grep -vc '1f010028..000000[0-9a-f]\{64\}$' "$SYNC_T/captured") == 0 ]]; then
  pass "captured_packets_have_trailer"
else
  fail "captured_packets_have_trailer"
fi
before_ext=$(sync_ext B "$OURS")
j0=$(auth_json B)
tx0=$(auth A sent)
ip netns exec "$SYNC_NS_M" "$PY" "$TOOL" replay "$M_IP" "$B_IP" 3780 "$SYNC_T/captured" 0 "$NCAP"
for kind in plain:5 badtag:6 wrongkey:7 unknownkey:3 truncated:4; do
  ip netns exec "$SYNC_NS_M" "$PY" "$TOOL" forge "$M_IP" "$B_IP" 3780 "${kind%%:*}" "${kind##*:}" "$KM"
done
want_replayed=$(( $(jq .replayed <<<"$j0") + NCAP ))
wait_auth B replayed "$want_replayed" || true
j1=$(auth_json B)
d() { echo $(( $(jq ".$1" <<<"$j1") - $(jq ".$1" <<<"$j0") )); }
for pair in replayed:$NCAP missing:5 bad_tag:13 unknown_key:3 truncated:4 too_old:0 new_sessions:0; do
  k=${pair%%:*} v=${pair##*:}
  got=$(d "$k")
  [[ $got == "$v" ]] && pass "attack_counts_$k ($got)" || fail "attack_counts_$k" "got $got, want $v ($j1)"
done
# B accepted exactly what A sent meanwhile (its ALIVEs), nothing more
acc=$(d accepted) txd=$(( $(auth A sent) - tx0 ))
[[ $acc -le $txd ]] && pass "attack_nothing_else_accepted" || fail "attack_nothing_else_accepted" "accepted $acc, A sent $txd"
after_ext=$(sync_ext B "$OURS")
[[ "$before_ext" == "$after_ext" ]] && pass "attack_external_cache_unchanged" \
  || fail "attack_external_cache_unchanged" "$(diff <(echo "$before_ext") <(echo "$after_ext") | head -5)"
txt=$(sync_client B "$OURS" -s network)
if grep -qP "^\t\tReplayed counter:\t +$(jq .replayed <<<"$j1")$" <<<"$txt" &&
   grep -qP "^\t\tBad tag:\t\t +$(jq .bad_tag <<<"$j1")$" <<<"$txt" &&
   grep -q "^authentication statistics:" <<<"$txt"; then
  pass "attack_text_stats"
else
  fail "attack_text_stats" "$txt"
fi
# A window's worth later, the first captured packets are too old.
fill 40000 1000
# Its own bound (90 s): 40k flows take an ASan+UBSan pair (make check
# SANITIZE=1) well over lib_sync's 20 s.
end=$((SECONDS + 90))
until [[ $(ct_count B) -eq 40300 ]] || (( SECONDS >= end )); do sleep 1; done
if [[ $(ct_count B) -eq 40300 ]]; then pass "ftfw_udp_40k_synced"; else fail "ftfw_udp_40k_synced" "$(ct_count B)"; fi
old0=$(auth B too_old)
ip netns exec "$SYNC_NS_M" "$PY" "$TOOL" replay "$M_IP" "$B_IP" 3780 "$SYNC_T/captured" 0 3
if wait_auth B too_old $((old0 + 3)); then pass "replay_too_old"; else fail "replay_too_old" "$(auth_json B)"; fi
[[ $(ct_count B) == 40300 ]] && pass "too_old_cache_unchanged" || fail "too_old_cache_unchanged" "$(ct_count B)"
sync_stop A
sync_stop B
ip netns del "$SYNC_NS_M"

# ---------------------------------------------------------------------------
# A restarted sender: a new session, accepted (its counters start again).
# (Within the same daemons of the next block, NOTRACK over multicast.)
sync_ct A -F >/dev/null 2>&1
keyfile A "1 $K1"
keyfile B "1 $K1"
conf A NOTRACK Multicast
conf B NOTRACK Multicast
sync_start B "$OURS" && sync_start A "$OURS" || { fail "notrack_mcast_start" "$(cat "$SYNC_T"/out.*)"; exit 1; }
fill 100 1
sync_wait_ext B "$OURS" 100 && pass "notrack_mcast_synced" || fail "notrack_mcast_synced" "$(ct_count B)"
sync_stop A
sync_start A "$OURS" || fail "notrack_restart_A"
fill 10 5000
if sync_wait_ext B "$OURS" 110 && [[ $(auth B new_sessions) == 2 ]]; then
  pass "restarted_sender_new_session"
else
  fail "restarted_sender_new_session" "$(ct_count B) $(auth_json B)"
fi

# Rotation, no restart.  1: B accepts both, A still signs with 1.
keyfile B "1 $K1" "2 $K2"; hup B
keyfile A "1 $K1" "2 $K2"; hup A
wait_auth B keys 2 && wait_auth A keys 2 && pass "rotation_both_loaded" || fail "rotation_both_loaded"
fill 10 6000
sync_wait_ext B "$OURS" 120 && [[ $(auth A send_key_id) == 1 ]] && pass "rotation_step1" || fail "rotation_step1" "$(ct_count B)"
# 2: A signs with key 2.
keyfile A "2 $K2" "1 $K1"; hup A
wait_auth A send_key_id 2 || fail "rotation_switch_key"
fill 10 7000
sync_wait_ext B "$OURS" 130 && pass "rotation_step2_new_key" || fail "rotation_step2_new_key" "$(ct_count B)"
# 3: key 1 retired everywhere.
keyfile B "2 $K2"; hup B
keyfile A "2 $K2"; hup A
wait_auth B keys 1 && wait_auth A keys 1 || fail "rotation_old_key_dropped"
fill 10 8000
sync_wait_ext B "$OURS" 140 && pass "rotation_step3_old_key_gone" || fail "rotation_step3_old_key_gone" "$(ct_count B)"
[[ $(auth B bad_tag) == 0 && $(auth B unknown_key) == 0 ]] && pass "rotation_no_drops" \
  || fail "rotation_no_drops" "$(auth_json B)"
# A bad key file on reload: the keys in use stay.
printf 'not a key\n' >"$SYNC_T/key.B"; chmod 600 "$SYNC_T/key.B"; hup B
wait_auth B reload_failed 1 && fill 10 9000 && sync_wait_ext B "$OURS" 150 \
  && pass "reload_bad_file_keeps_keys" || fail "reload_bad_file_keeps_keys" "$(auth_json B)"
grep -q "keeping the keys in use" "$SYNC_T/log.B" && pass "reload_bad_file_logged" || fail "reload_bad_file_logged"
# A signs with a key id B does not have: nothing synced, unknown key id.
keyfile A "3 $K3"; hup A
wait_auth A send_key_id 3
u0=$(auth B unknown_key)
fill 20 10000
sleep 2
[[ $(ct_count B) == 150 && $(auth B unknown_key) -gt $u0 ]] && pass "unknown_key_nothing_synced" \
  || fail "unknown_key_nothing_synced" "$(ct_count B) $(auth_json B)"
# Same key id, other bytes: nothing synced, bad tags.
keyfile B "3 $K4"; hup B
wait_auth B send_key_id 3
b0=$(auth B bad_tag)
fill 20 11000
sleep 2
[[ $(ct_count B) == 150 && $(auth B bad_tag) -gt $b0 ]] && pass "mismatched_key_nothing_synced" \
  || fail "mismatched_key_nothing_synced" "$(ct_count B) $(auth_json B)"
sync_stop A
sync_stop B

# ---------------------------------------------------------------------------
# FT-FW over TCP.
sync_ct A -F >/dev/null 2>&1
keyfile A "4 $K4"
keyfile B "4 $K4"
conf A FTFW TCP
conf B FTFW TCP
sync_start B "$OURS" && sync_start A "$OURS" || { fail "ftfw_tcp_start" "$(cat "$SYNC_T"/out.*)"; exit 1; }
fill 2000 1
if sync_wait_ext B "$OURS" 2000; then pass "ftfw_tcp_synced"; else fail "ftfw_tcp_synced" "$(ct_count B)"; fi
j=$(auth_json B)
if [[ $(jq .accepted <<<"$j") -gt 10 && $(jq '.bad_tag + .missing + .truncated + .replayed + .too_old' <<<"$j") == 0 ]]; then
  pass "ftfw_tcp_all_authentic"
else
  fail "ftfw_tcp_all_authentic" "$j"
fi
sync_stop A
sync_stop B

# ---------------------------------------------------------------------------
# Debian's daemon (no authentication) -> ours with a key.
sync_ct A -F >/dev/null 2>&1
sync_conf A FTFW UDP
keyfile B "1 $K1"
conf B FTFW UDP
sync_start B "$OURS" && sync_start A "$UP" || { fail "debian_to_auth_start" "$(cat "$SYNC_T"/out.*)"; exit 1; }
fill 50 1
sleep 3
if [[ $(ct_count B) == 0 && $(auth B missing) -gt 0 && $(auth B accepted) == 0 ]]; then
  pass "debian_unauthenticated_dropped"
else
  fail "debian_unauthenticated_dropped" "$(ct_count B) $(auth_json B)"
fi
sync_stop A
sync_stop B

echo "sync_auth: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
