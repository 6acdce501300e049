#!/usr/bin/env bash
# ExpectationSync over the sync protocol, ours and Debian's conntrackd in
# both directions (FT-FW over UDP, NOTRACK over TCP, ALARM over multicast): expectations made by
# the kernel's FTP helper in A (an IPv4 PASV and an IPv6 EPSV master) must
# show in B's external expectation cache (`-e expect`) exactly as Debian's
# daemon shows them (Debian -> Debian is the reference); one destroyed in
# A (its master deleted) must leave B's cache; and with ours as the
# receiver, `-c` puts the masters and their expectations into B's empty
# kernel table.
#
#   tests/integration/sync_expect.sh     (root; about 1 min)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
. tests/integration/lib_ftp.sh
. tests/integration/lib_sync.sh
trap 'sync_teardown; ctt_cleanup' EXIT
if ! ftp_available; then
  echo "PASS sync_expect: skipped, nf_conntrack_ftp is not available"
  exit 0
fi
sync_setup || { echo "FAIL sync_expect: setup"; exit 1; }
ip netns exec "$SYNC_NS_A" sysctl -qw net.netfilter.nf_conntrack_events=1
ftp_setup "$SYNC_NS_A" || { echo "FAIL sync_expect: FTP helper setup"; exit 1; }
export SYNC_OPTIONS="ExpectationSync on"

exp_lines() {  # SIDE BIN: -e expect without the time suffixes and the
  # masters' (ephemeral) source ports, sorted
  sync_client "$1" "$2" -e expect |
    sed -E 's/ \[active since [0-9-]+s\]//; s/ \[expires in [0-9-]+s\]/ [expires]/; s/(master-dst=[^ ]+ sport=)[0-9]+/\1M/' | sort
}
wait_exp() {  # SIDE BIN COUNT: bounded (15 s)
  local i
  for i in $(seq 1 75); do
    [[ $(exp_lines "$1" "$2" | wc -l) -eq $3 ]] && return 0
    sleep 0.2
  done
  return 1
}
kern_exp() {  # SIDE: the kernel's expectations, both families, without timeouts
  { sync_ct "$1" -L expect; sync_ct "$1" -L expect -f ipv6; } | sed -E 's/^[0-9]+ //' | sort
}

# run_pair MODE PROTO SENDER RECEIVER TAG: B's -e expect before and after
# the destroy go to $SYNC_T/{exp1,exp2}.TAG, B's kernel after -c to kern.TAG
run_pair() {
  local mode=$1 proto=$2 sbin=$3 rbin=$4 tag=$5 m
  sync_conf A "$mode" "$proto"
  sync_conf B "$mode" "$proto"
  sync_ct A -F; sync_ct B -F
  sync_start B "$rbin" && sync_start A "$sbin" || { fail "$tag: start"; return 1; }
  sleep 1.5  # TCP connects at most once a second; FT-FW says HELLO
  ftp_master "$SYNC_NS_A" 127.0.0.1 PASV && ftp_master "$SYNC_NS_A" ::1 EPSV ||
    { fail "$tag: FTP masters"; return 1; }
  wait_exp B "$rbin" 2
  exp_lines B "$rbin" >"$SYNC_T/exp1.$tag"
  kern_exp A >"$SYNC_T/akern.$tag"
  # the IPv4 master dies: its expectation goes with it
  for m in $(ftp_masters "$SYNC_NS_A"); do
    sync_ct A -D -p tcp -s 127.0.0.1 --sport "$m" --dport 2121 >/dev/null
  done
  wait_exp B "$rbin" 1
  exp_lines B "$rbin" >"$SYNC_T/exp2.$tag"
  sync_ct B -F
  sync_client B "$rbin" -c >/dev/null 2>&1
  sleep 0.5
  kern_exp B >"$SYNC_T/kern.$tag"
  sync_stop A
  sync_stop B
  # the FTP clients of this round stay connected to A's servers: flush
  # so the next round starts from an empty table
  sync_ct A -F
}

OURS=$SYNC_OURS UP=$SYNC_UP
for mp in FTFW/UDP NOTRACK/TCP ALARM/Multicast; do
  mode=${mp%/*} proto=${mp#*/}
  run_pair "$mode" "$proto" "$UP" "$UP" ref
  n=$(wc -l <"$SYNC_T/exp1.ref")
  [[ $n -eq 2 ]] || { fail "$mp: reference (Debian -> Debian) has $n of 2 expectations"; continue; }
  for dir in "ours->debian" "debian->ours" "ours->ours"; do
    case $dir in
      "ours->debian") s=$OURS r=$UP ;;
      "debian->ours") s=$UP r=$OURS ;;
      *) s=$OURS r=$OURS ;;
    esac
    run_pair "$mode" "$proto" "$s" "$r" cur
    for k in exp1 exp2; do
      if diff -u "$SYNC_T/$k.ref" "$SYNC_T/$k.cur" >"$SYNC_T/diff"; then
        pass "$mp $dir: external expectation cache ($k)"
      else
        fail "$mp $dir: external expectation cache ($k)" "$(cat "$SYNC_T/diff")"
      fi
    done
    [[ $r == "$OURS" ]] || continue
    # B's kernel holds the expectation that is left, as A had it
    want=$(grep -c 'dport=51300' "$SYNC_T/akern.cur")
    got=$(grep -c 'dport=51300' "$SYNC_T/kern.cur")
    if [[ $want -eq 1 && $got -eq 1 ]] && ! grep -q 'dport=51210' "$SYNC_T/kern.cur"; then
      pass "$mp $dir: -c commits the expectation"
    else
      fail "$mp $dir: -c commits the expectation" "A had: $(cat "$SYNC_T/akern.cur") / B has: $(cat "$SYNC_T/kern.cur")"
    fi
  done
done
# DisableExternalCache on our receiver: the expectations go straight into
# B's kernel (after their masters), and leave it with the master's death.
inject_run() {
  local sbin=$1 tag=$2 m
  sync_conf A FTFW UDP
  sync_conf B FTFW UDP "DisableExternalCache on"
  sync_ct A -F; sync_ct B -F
  sync_start B "$OURS" && sync_start A "$sbin" || { fail "inject $tag: start"; return; }
  sleep 1.5
  ftp_master "$SYNC_NS_A" 127.0.0.1 PASV && ftp_master "$SYNC_NS_A" ::1 EPSV ||
    { fail "inject $tag: FTP masters"; return; }
  local i
  for i in $(seq 1 50); do
    [[ $(kern_exp B | grep -c 'dport=5[13]' ) -eq 2 ]] && break
    sleep 0.2
  done
  if [[ $(kern_exp B | grep -c 'dport=51210') -eq 1 && $(kern_exp B | grep -c 'dport=51300') -eq 1 ]]; then
    pass "inject $tag: expectations created in the kernel"
  else
    fail "inject $tag: expectations created in the kernel" "$(kern_exp B)"
  fi
  for m in $(ftp_masters "$SYNC_NS_A"); do
    sync_ct A -D -p tcp -s 127.0.0.1 --sport "$m" --dport 2121 >/dev/null
  done
  for i in $(seq 1 50); do
    [[ $(kern_exp B | grep -c 'dport=51210') -eq 0 ]] && break
    sleep 0.2
  done
  if [[ $(kern_exp B | grep -c 'dport=51210') -eq 0 && $(kern_exp B | grep -c 'dport=51300') -eq 1 ]]; then
    pass "inject $tag: a destroyed expectation leaves the kernel"
  else
    fail "inject $tag: a destroyed expectation leaves the kernel" "$(kern_exp B)"
  fi
  sync_client B "$OURS" -s expect >"$SYNC_T/sexp"
  # created 2, none failed (the DEL finds nothing: the master's death
  # took the expectation out of B's kernel already, which is no failure)
  local counts
  counts=$(awk '/^external inject:/ {x = 1} x && /^connections (created|destroyed):/ {printf "%s/%s ", $3, $5}' "$SYNC_T/sexp")
  if [[ $counts == "2/0 0/0 " || $counts == "2/0 1/0 " ]]; then
    pass "inject $tag: -s expect counts the injections"
  else
    fail "inject $tag: -s expect counts the injections" "$(cat "$SYNC_T/sexp")"
  fi
  sync_stop A
  sync_stop B
  sync_ct A -F
}
inject_run "$UP" "debian->ours"
inject_run "$OURS" "ours->ours"

echo "# sync_expect.sh: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
