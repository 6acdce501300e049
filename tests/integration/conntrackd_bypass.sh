#!/usr/bin/env bash
# conntrackd with NOTRACK's DisableInternalCache (upstream's "internal
# bypass") and DisableExternalCache ("external inject"), against Debian's
# 1.4.7 daemon.  The same scripted sequence runs once per daemon, each in a
# namespace of its own (so one daemon's flushes are not the other's
# events), and every output is compared:
#   - start-up log lines ("disabling internal cache", ...);
#   - -s, -s cache, -s expect: "internal bypass:" and "external inject:"
#     sections, whose counters count events (new, updated, destroyed);
#   - -i and -i -x: the kernel's table as plain listing lines (sorted;
#     timeouts and delta-time normalised), filtered by the General Filter;
#   - -e: empty; -R: "resync is unsupported in this mode";
#   - -f: flushes the kernel table (its events are not counted: our own
#     flush); -c: no commit report.
# The sync channel's own packets are not tracked (notrack rule), so both
# tables hold the same flows.
#
#   tests/integration/conntrackd_bypass.sh      (root; < 30 s)
set -u
CONNTRACKD=${CONNTRACKD:-$(pwd)/conntrackd}
UP=${ORACLE_CONNTRACKD:-/usr/sbin/conntrackd}
CT=${ORACLE:-/usr/sbin/conntrack}
T=$(mktemp -d /tmp/ctdbp.XXXXXX)
NSS=() PIDS=()
PASS=0 FAIL=0

cleanup() {
  local p n
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS $1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; FAIL=$((FAIL + 1)); }

[[ -x $CONNTRACKD ]] || { echo "FAIL setup: no $CONNTRACKD"; exit 1; }
[[ -x $UP ]] || { echo "FAIL setup: no oracle $UP"; exit 1; }

norm_log() { sed -E 's/^\[[^]]*\] \(pid=[0-9]+\) //'; }
# Listing lines: the timeout (third column) and delta-time vary.
norm_list() { sed -E 's/^([a-z0-9]+ +[0-9]+) [0-9]+ /\1 T /; s/delta-time=[0-9]+/delta-time=D/' | sort; }

# scenario WHO BIN: the whole sequence; outputs in $T/WHO.*
scenario() {
  local who=$1 bin=$2 ns=ctdbp-$$-$RANDOM dpid i
  ip netns add "$ns" || return 1
  NSS+=("$ns")
  local nsx=(timeout 30 ip netns exec "$ns")
  "${nsx[@]}" ip link set lo up
  "${nsx[@]}" sysctl -qw net.netfilter.nf_conntrack_events=1
  "${nsx[@]}" nft -f - <<'NFT'
table inet ctdbp {
  chain raw_out { type filter hook output priority -300; udp dport 3780 notrack; }
  chain raw_pre { type filter hook prerouting priority -300; udp dport 3780 notrack; }
}
NFT
  cat >"$T/$who.conf" <<CONF
Sync {
  Mode NOTRACK {
    DisableInternalCache on
    DisableExternalCache on
  }
  UDP {
    IPv4_address 127.0.0.1
    IPv4_Destination_Address 127.0.0.2
    Port 3780
    Interface lo
  }
}
General {
  HashSize 1024
  HashLimit 4096
  LogFile $T/$who.log
  LockFile $T/$who.lock
  UNIX { Path $T/$who.sock }
  Filter From Userspace {
    Address Ignore { IPv4_address 10.99.0.0/16 }
  }
}
CONF
  local ctd=("${nsx[@]}" "$bin" -C "$T/$who.conf")
  # A flow before the start: bypass has nothing to populate.
  "${nsx[@]}" "$CT" -I -p tcp -s 192.0.2.1 -d 198.51.100.1 --sport 1 --dport 80 \
    --state ESTABLISHED -t 300 -m 7 >/dev/null 2>&1
  ip netns exec "$ns" "$bin" -C "$T/$who.conf" >/dev/null 2>&1 &
  dpid=$!
  PIDS+=("$dpid")
  for ((i = 0; i < 100; i++)); do [[ -S $T/$who.sock ]] && break; sleep 0.05; done
  # Events: 3 new (one filtered out), 1 update, 1 destroy.
  "${nsx[@]}" "$CT" -I -p udp -s 192.0.2.2 -d 198.51.100.2 --sport 2 --dport 53 -t 300 >/dev/null 2>&1
  "${nsx[@]}" "$CT" -I -p udp -s 2001:db8::2 -d 2001:db8::3 --sport 2 --dport 53 -t 300 >/dev/null 2>&1
  "${nsx[@]}" "$CT" -I -p udp -s 10.99.1.1 -d 198.51.100.2 --sport 2 --dport 53 -t 300 >/dev/null 2>&1
  "${nsx[@]}" "$CT" -U -p udp -s 192.0.2.2 -m 9 >/dev/null 2>&1
  "${nsx[@]}" "$CT" -I -p icmp -s 192.0.2.3 -d 198.51.100.3 --icmp-type 8 --icmp-code 0 \
    --icmp-id 4 -t 300 >/dev/null 2>&1
  "${nsx[@]}" "$CT" -D -p icmp -s 192.0.2.3 >/dev/null 2>&1
  sleep 0.3
  "${ctd[@]}" -s >"$T/$who.s" 2>&1
  "${ctd[@]}" -s cache >"$T/$who.scache" 2>&1
  "${ctd[@]}" -s expect >"$T/$who.sexpect" 2>&1
  "${ctd[@]}" -i 2>&1 | norm_list >"$T/$who.i"
  "${ctd[@]}" -i -x 2>&1 | norm_list >"$T/$who.ix"
  "${ctd[@]}" -e >"$T/$who.e" 2>&1
  "${ctd[@]}" -R >/dev/null 2>&1
  "${ctd[@]}" -c >/dev/null 2>&1
  # -f flushes the kernel table; our own flush's events are not counted.
  "${ctd[@]}" -f >/dev/null 2>&1
  sleep 0.3
  "${nsx[@]}" "$CT" -C >"$T/$who.count" 2>&1
  "${ctd[@]}" -s >"$T/$who.s2" 2>&1
  "${ctd[@]}" -k >/dev/null 2>&1
  wait "$dpid" 2>/dev/null
  norm_log <"$T/$who.log" >"$T/$who.logn"
  ip netns del "$ns"
}

scenario up "$UP"
scenario ours "$CONNTRACKD"

cmp_file() {  # NAME SUFFIX
  if [[ ! -s $T/up.$2 && $2 != e && $2 != sexpect ]]; then
    fail "$1" "oracle output empty"
  elif diff -u "$T/up.$2" "$T/ours.$2" >"$T/diff"; then
    pass "$1"
  else
    fail "$1" "$(cat "$T/diff")"
  fi
}
# -s also shows the sync channel's traffic, which grows with time (the
# periodic ALIVE messages): slower runs (make check SANITIZE=1) send more
# of them.  Exact, or else identical but for the two "sent" counters of
# the channel, ours no fewer than the oracle's (reported as "(timing)").
mask_sent() { sed -E 's/^( +)[0-9]+ (Bytes|Pckts) sent/\1N \2 sent/' "$1"; }
sent_pkts() { sed -nE 's/^ +([0-9]+) Pckts sent.*/\1/p' "$1" | head -n1; }
cmp_stats() {  # NAME SUFFIX
  local up=$T/up.$2 ours=$T/ours.$2
  if [[ ! -s $up ]]; then
    fail "$1" "oracle output empty"
  elif diff -u "$up" "$ours" >"$T/diff"; then
    pass "$1"
  elif diff -u <(mask_sent "$up") <(mask_sent "$ours") >/dev/null &&
       (($(sent_pkts "$ours") >= $(sent_pkts "$up"))); then
    pass "$1 (timing)"
  else
    fail "$1" "$(cat "$T/diff")"
  fi
}
cmp_stats "-s: internal bypass / external inject sections" s
cmp_file "-s cache" scache
cmp_file "-s expect (no ExpectationSync: nothing)" sexpect
cmp_file "-i: the kernel table, filtered" i
cmp_file "-i -x: same plain lines" ix
cmp_file "-e: empty" e
cmp_file "-f flushed the kernel table" count
cmp_stats "-s after -f: own flush not counted" s2
cmp_file "log lines" logn

echo "conntrackd_bypass: $PASS passed, $FAIL failed"
((FAIL == 0))
