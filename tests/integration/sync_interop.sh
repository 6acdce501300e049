#!/usr/bin/env bash
# Sync between our conntrackd and Debian's (1.4.7) in both directions, for
# FT-FW, NOTRACK and ALARM over UDP, TCP and multicast: flows created,
# updated and destroyed in A's table must show in B's external cache
# exactly as Debian's daemon shows them (Debian -> Debian is the
# reference), and after `-c` they are in B's kernel table.
#
#   tests/integration/sync_interop.sh     (root; about 2 min)
set -u
. "$(dirname "$0")/lib_sync.sh"
trap sync_teardown EXIT
trap 'exit 1' INT TERM
sync_setup || { echo "FAIL setup"; exit 1; }

# The flows: tcp (two states, marks), udp, icmp, one with a zone, one IPv6.
make_flows() {
  sync_ct A -I -p tcp -s 192.168.1.10 -d 192.168.1.20 --sport 40000 --dport 80 --state ESTABLISHED -t 300 -u ASSURED,SEEN_REPLY -m 7
  sync_ct A -I -p tcp -s 192.168.1.11 -d 192.168.1.20 --sport 40001 --dport 443 --state SYN_SENT -t 120
  sync_ct A -I -p udp -s 192.168.1.10 -d 8.8.8.8 --sport 5353 --dport 53 -t 30
  sync_ct A -I -p udp -s 192.168.1.12 -d 8.8.4.4 --sport 5354 --dport 53 -t 30 -m 5
  sync_ct A -I -p icmp -s 10.1.1.5 -d 203.0.113.9 --icmp-type 8 --icmp-code 0 --icmp-id 77 -t 30
  sync_ct A -I -p tcp -s 192.168.2.1 -d 192.168.2.2 --sport 1000 --dport 22 --state ESTABLISHED -t 300 -u ASSURED --zone 3
  sync_ct A -I -p tcp -s 2001:db8::1 -d 2001:db8::2 --sport 2000 --dport 80 --state ESTABLISHED -t 300 -u ASSURED
  sleep 0.5
  sync_ct A -U -p udp -s 192.168.1.10 -m 42
  sync_ct A -D -p udp -s 192.168.1.12
}

# run_pair MODE PROTO SENDER_BIN RECEIVER_BIN -> writes B's -e into $SYNC_T/ext.$tag
run_pair() {
  local mode=$1 proto=$2 sbin=$3 rbin=$4 tag=$5
  sync_conf A "$mode" "$proto"
  sync_conf B "$mode" "$proto"
  sync_ct A -F; sync_ct B -F
  sync_start B "$rbin" && sync_start A "$sbin" || { fail "$tag: start"; return 1; }
  sleep 1.5  # TCP connects at most once a second; FT-FW says HELLO
  make_flows
  sync_wait_ext B "$rbin" 6
  sync_ext B "$rbin" >"$SYNC_T/ext.$tag"
  # commit into B's (empty) kernel table
  sync_ct B -F
  sync_client B "$rbin" -c >/dev/null 2>&1
  sleep 0.5
  sync_ct B -L | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^(src|dst|sport|dport|type|code|id|mark|zone)=/ && !seen[$i]++) printf "%s ", $i; delete seen; print $1}' | sort >"$SYNC_T/kern.$tag"
  # The committed flows reach B's internal cache as well (upstream's
  # through their NEW events, ours through the resync after the commit).
  local i n=0
  for i in $(seq 1 25); do
    n=$(sync_client B "$rbin" -i | wc -l)
    [[ $n -ge 6 ]] && break
    sleep 0.2
  done
  echo "$n" >"$SYNC_T/int.$tag"
  # What B's commit sent back: upstream never announces its own commit's
  # flows, so A's external cache stays as it was (empty).
  sleep 0.5
  sync_ext A "$sbin" | wc -l >"$SYNC_T/back.$tag"
  sync_stop A
  sync_stop B
}

OURS=$SYNC_OURS UP=$SYNC_UP
for mode in FTFW NOTRACK ALARM; do
  for proto in UDP TCP Multicast; do
    run_pair "$mode" "$proto" "$UP" "$UP" ref
    n=$(wc -l <"$SYNC_T/ext.ref")
    [[ $n -eq 6 ]] || { fail "$mode/$proto: reference (Debian -> Debian) has $n of 6 flows"; continue; }
    for dir in "ours->debian" "debian->ours" "ours->ours"; do
      case $dir in
        "ours->debian") s=$OURS r=$UP ;;
        "debian->ours") s=$UP r=$OURS ;;
        *) s=$OURS r=$OURS ;;
      esac
      run_pair "$mode" "$proto" "$s" "$r" cur
      if diff -u "$SYNC_T/ext.ref" "$SYNC_T/ext.cur" >"$SYNC_T/diff"; then
        pass "$mode/$proto $dir: external cache"
      else
        fail "$mode/$proto $dir: external cache" "$(cat "$SYNC_T/diff")"
      fi
      if [[ $(cat "$SYNC_T/int.cur") == "$(cat "$SYNC_T/int.ref")" ]]; then
        pass "$mode/$proto $dir: internal cache after commit"
      else
        fail "$mode/$proto $dir: internal cache after commit" \
          "$(cat "$SYNC_T/int.cur") flows, Debian -> Debian: $(cat "$SYNC_T/int.ref")"
      fi
      if [[ $(cat "$SYNC_T/back.cur") == "$(cat "$SYNC_T/back.ref")" ]]; then
        pass "$mode/$proto $dir: the commit announces nothing back"
      else
        fail "$mode/$proto $dir: the commit announces nothing back" \
          "A's external cache holds $(cat "$SYNC_T/back.cur") flows, Debian -> Debian: $(cat "$SYNC_T/back.ref")"
      fi
      if diff -u "$SYNC_T/kern.ref" "$SYNC_T/kern.cur" >"$SYNC_T/diff"; then
        pass "$mode/$proto $dir: committed table"
      else
        fail "$mode/$proto $dir: committed table" "$(cat "$SYNC_T/diff")"
      fi
    done
  done
done
echo "# sync_interop.sh: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
