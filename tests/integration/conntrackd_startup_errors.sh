#!/usr/bin/env bash
# conntrackd start-up with a Sync block that cannot work, ours against
# Debian's: the same log lines (time and pid removed) and the same exit
# status.  The order matters too: upstream opens the sync channels before
# its netlink handles, so a broken channel fails before any netlink notice
# is logged.  Cases: a Sync block without a channel, a UDP channel without
# Interface, an Interface that does not exist (the parser's warning comes
# first), a unicast address as multicast group, an IPv4_interface that is
# not local (upstream reports EBADF there: its sending socket is closed
# twice), and TCP with an unknown Interface.  Last, a LogFile that is a
# symlink loop: the error names the reason in glibc's words ("Too many
# levels of symbolic links"), also from the static musl binary, whose libc
# says "Symbolic link loop" (tools/check_static.sh runs this script).
#
#   tests/integration/conntrackd_startup_errors.sh   (root; ~10 s)
set -u
OURS=${CONNTRACKD:-$(pwd)/conntrackd}
ORACLE=${ORACLE_CONNTRACKD:-${UPSTREAM_CONNTRACKD:-/usr/sbin/conntrackd}}
T=$(mktemp -d /tmp/ctdstart.XXXXXX)
NS=ctdstart$$
PASS=0 FAIL=0

cleanup() {
  ip netns del "$NS" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS $1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; FAIL=$((FAIL + 1)); }
norm() { sed -E 's/^\[[^]]*\] \(pid=[0-9]+\) //'; }

for b in "$OURS" "$ORACLE"; do
  [[ -x $b ]] || { echo "FAIL setup: $b not found"; exit 1; }
done
ip netns add "$NS" || { echo "FAIL setup: netns"; exit 1; }
ip -n "$NS" link set lo up
ip -n "$NS" link add vsa type veth peer name vsb
ip -n "$NS" addr add 198.18.78.1/24 dev vsa
ip -n "$NS" link set vsa up
ip -n "$NS" link set vsb up

# $1 name, $2 the Sync block's channels (after "Mode FTFW { }")
case_cfg() {
  cat >"$T/$1.conf" <<EOF
General {
  LogFile off
  LockFile $T/lock
  UNIX { Path $T/sock }
  Syslog off
}
Sync {
  Mode FTFW { }
$2
}
EOF
}

UDP='IPv4_address 198.18.78.1
    IPv4_Destination_Address 198.18.78.2
    Port 3780'
case_cfg no_channel ""
case_cfg udp_no_iface "  UDP { $UDP }"
case_cfg udp_bad_iface "  UDP { $UDP
    Interface nosuch0 }"
case_cfg mcast_unicast_group "  Multicast { IPv4_address 198.18.78.9
    Group 3780
    IPv4_interface 198.18.78.1
    Interface vsa }"
case_cfg mcast_v6_bad_iface "  Multicast { IPv6_address ff02::99
    Group 3780
    Interface nosuch1 }"
case_cfg tcp_bad_iface "  TCP { $UDP
    Interface nosuch2 }"
case_cfg mcast_foreign_iface "  Multicast { IPv4_address 225.0.0.50
    Group 3780
    IPv4_interface 192.0.2.77
    Interface vsa }"

for c in no_channel udp_no_iface udp_bad_iface mcast_unicast_group mcast_v6_bad_iface \
  tcp_bad_iface mcast_foreign_iface; do
  rm -f "$T/lock" "$T/sock"
  timeout 10 ip netns exec "$NS" "$ORACLE" -C "$T/$c.conf" >"$T/up.raw" 2>&1
  urc=$?
  rm -f "$T/lock" "$T/sock"
  timeout 10 ip netns exec "$NS" "$OURS" -C "$T/$c.conf" >"$T/ours.raw" 2>&1
  orc=$?
  rm -f "$T/lock" "$T/sock"
  norm <"$T/up.raw" >"$T/up"
  norm <"$T/ours.raw" >"$T/ours"
  if ((urc == 124 || orc == 124)); then
    fail "$c: both refuse to start" "exit ours $orc, upstream $urc (124: it ran)"
    continue
  fi
  if ((urc == orc)) && cmp -s "$T/up" "$T/ours"; then
    pass "$c: exit $orc and the log lines are upstream's ($(grep -c . "$T/ours") lines)"
  else
    fail "$c: exit $orc (upstream $urc) and upstream's log lines" "$(diff "$T/ours" "$T/up" | head -10)"
  fi
  grep -q 'cannot start, please review your configuration' "$T/ours" ||
    fail "$c: ours says it cannot start" "$(tail -2 "$T/ours")"
done

ln -s loop_b "$T/loop_a"
ln -s loop_a "$T/loop_b"
cat >"$T/logloop.conf" <<EOF
General {
  LogFile $T/loop_a
  LockFile $T/lock
  UNIX { Path $T/sock }
  Syslog off
}
Stats { }
EOF
rm -f "$T/lock" "$T/sock"
timeout 10 "$ORACLE" -C "$T/logloop.conf" >"$T/up" 2>&1
urc=$?
rm -f "$T/lock" "$T/sock"
timeout 10 "$OURS" -C "$T/logloop.conf" >"$T/ours" 2>&1
orc=$?
if ((urc == orc)) && cmp -s "$T/up" "$T/ours" && grep -q 'Too many levels of symbolic links' "$T/ours"; then
  pass "LogFile a symlink loop: exit $orc and upstream's error text"
else
  fail "LogFile a symlink loop: exit $orc (upstream $urc)" "$(diff "$T/ours" "$T/up" | head -4)"
fi

echo "conntrackd_startup_errors: $PASS passed, $FAIL failed"
((FAIL == 0))
