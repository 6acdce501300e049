#!/usr/bin/env bash
# conntrackd, the daemon process: start in console mode inside a private
# namespace, fill the internal cache from the initial dump and from events,
# `-i` / `-s`, stats-mode flow logging, the lock-file refusal, config-error
# exit codes, SIGHUP, and clean exits on SIGTERM and on `-k` (socket and
# lock file gone, "---- shutdown received ----" logged).
#
#   tests/integration/conntrackd_basic.sh      (root; < 1 min)
#
# CONNTRACKD: our binary (default ./conntrackd).  Flows are created with the
# oracle /usr/sbin/conntrack in the namespace only.  Prints PASS/FAIL lines;
# exit status 1 if any failed.  The namespace and every daemon started here
# are removed/killed (by PID) on exit.
set -u
CONNTRACKD=${CONNTRACKD:-$(pwd)/conntrackd}
CT=${ORACLE:-/usr/sbin/conntrack}
NS=ctdb-$$-$RANDOM
T=$(mktemp -d /tmp/ctdb.XXXXXX)
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
nsx() { timeout 30 ip netns exec "$NS" "$@"; }
ctd() { nsx "$CONNTRACKD" -C "$T/ctd.conf" "$@"; }

# Waits (bounded) until a command succeeds.
wait_for() {
  local i
  for ((i = 0; i < 100; i++)); do "$@" && return 0; sleep 0.05; done
  return 1
}
alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }

[[ -x $CONNTRACKD ]] || { echo "FAIL setup: no $CONNTRACKD"; exit 1; }
ip netns add "$NS" || { echo "FAIL setup: ip netns add"; exit 1; }

cat >"$T/ctd.conf" <<CONF
General {
  HashSize 1024
  HashLimit 4096
  LogFile $T/ctd.log
  LockFile $T/ctd.lock
  UNIX { Path $T/ctd.sock }
  Systemd off
  Filter From Userspace {
    Address Ignore { IPv4_address 10.66.0.0/16 }
  }
}
Stats { LogFile $T/stats.log }
CONF

start_daemon() {
  # No `timeout` wrapper: $! must be the daemon itself (ip netns exec execs).
  ip netns exec "$NS" "$CONNTRACKD" -C "$T/ctd.conf" >"$T/out" 2>&1 &
  DPID=$!
  PIDS+=("$DPID")
  wait_for test -S "$T/ctd.sock"
}

# Three flows before the start (initial dump: the IPv4 and IPv6 halves are
# dumped in parallel), one filtered out.
nsx "$CT" -I -p udp -s 192.0.2.1 -d 198.51.100.1 --sport 1000 --dport 53 -t 300 2>/dev/null
nsx "$CT" -I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 1000 --dport 53 -t 300 2>/dev/null
nsx "$CT" -I -p udp -s 10.66.1.1 -d 198.51.100.1 --sport 1000 --dport 53 -t 300 2>/dev/null

start_daemon; rc=$?
check "daemon starts (socket appears)" test "$rc" -eq 0
check "lock file created" test -e "$T/ctd.lock"
check "console mode logged" wait_for grep -q -- '\[notice\] -- starting in console mode --' "$T/out"
check "log line format" wait_for grep -qE '^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} [0-9]{4}\] \(pid=[0-9]+\) \[notice\] initialization completed$' "$T/ctd.log"

# Events: a flow created while running.
nsx "$CT" -I -p tcp -s 192.0.2.2 -d 198.51.100.2 --sport 40000 --dport 80 --state ESTABLISHED -u ASSURED -t 300 2>/dev/null
has_flows() { [[ $(ctd -i 2>/dev/null | grep -c 'active since') == 3 ]]; }
check "-i shows dumped + event flows (filtered one absent)" wait_for has_flows
ctd -i >"$T/i.txt" 2>&1
check "-i line format" grep -q '^tcp      6 ESTABLISHED src=192.0.2.2 dst=198.51.100.2 sport=40000 dport=80 \[UNREPLIED\] src=198.51.100.2 dst=192.0.2.2 sport=80 dport=40000 \[ASSURED\] mark=0 \[active since [0-9]*s\]$' "$T/i.txt"
check "filtered address not cached" bash -c "! grep -q 10.66.1.1 '$T/i.txt'"
check "-i shows the dumped IPv6 flow" grep -q '^udp      17 src=2001:db8::1 dst=2001:db8::2 sport=1000 dport=53 \[UNREPLIED\] src=2001:db8::2 dst=2001:db8::1 sport=53 dport=1000 mark=0 \[active since [0-9]*s\]$' "$T/i.txt"
ctd -s >"$T/s.txt" 2>&1
check "-s shows 3 active" grep -qP '^current active connections:\t +3$' "$T/s.txt"

# Stats mode: a destroyed flow is logged.
nsx "$CT" -D -p tcp -s 192.0.2.2 >/dev/null 2>&1
logged() { grep -qP '^[A-Z][a-z]{2} .* [0-9]{4}\ttcp      6 ESTABLISHED src=192.0.2.2 dst=198.51.100.2 sport=40000 dport=80 \[UNREPLIED\] src=198.51.100.2 dst=192.0.2.2 sport=80 dport=40000 \[ASSURED\]' "$T/stats.log"; }
check "stats log line for destroyed flow" wait_for logged

# A second daemon refuses: lock file.
ctd >"$T/out2" 2>&1; rc=$?
check "second daemon exits 1" test "$rc" -eq 1
check "second daemon: upstream's lock message" grep -q "\[ERROR\] lockfile \`$T/ctd.lock' exists, perhaps conntrackd already running?" "$T/out2"
check "first daemon still running" alive "$DPID"

# SIGHUP reopens the log (rotation).
mv "$T/ctd.log" "$T/ctd.log.1"
kill -HUP "$DPID"
ctd -R >/dev/null 2>&1
check "SIGHUP reopened LogFile" wait_for grep -qs 'resync with master conntrack table' "$T/ctd.log"

# SIGTERM: clean exit.
kill -TERM "$DPID"
wait_for dead "$DPID"; wait "$DPID"; rc=$?
check "SIGTERM: exit 0" test "$rc" -eq 0
check "SIGTERM: shutdown logged" grep -q -- '---- shutdown received ----' "$T/ctd.log"
check "SIGTERM: lock file removed" test ! -e "$T/ctd.lock"
check "SIGTERM: socket removed" test ! -e "$T/ctd.sock"

# -k: clean exit.
start_daemon
ctd -k >/dev/null 2>&1; krc=$?
wait_for dead "$DPID"; wait "$DPID"; rc=$?
check "-k: client exit 0" test "$krc" -eq 0
check "-k: daemon exit 0" test "$rc" -eq 0
check "-k: lock file removed" test ! -e "$T/ctd.lock"

# A stale lock file refuses the start, as upstream.
touch "$T/ctd.lock"
ctd >"$T/out3" 2>&1; rc=$?
check "stale lock: exit 1" test "$rc" -eq 1
rm -f "$T/ctd.lock"

# Client with no daemon.
ctd -s >"$T/out4" 2>&1; rc=$?
check "client without daemon: exit 1" test "$rc" -eq 1
check "client without daemon: message" grep -q "can't connect: is conntrackd running? appropriate permissions?" "$T/out4"

# Config errors: upstream's message, exit 1, nothing started.
printf 'General {\n Bogus 1\n}\n' >"$T/bad.conf"
nsx "$CONNTRACKD" -C "$T/bad.conf" >"$T/out5" 2>&1; rc=$?
check "config syntax error: exit 1" test "$rc" -eq 1
check "config syntax error: message" grep -q "\[ERROR\] parsing config file in line (2), symbol 'Bogus': syntax error" "$T/out5"
nsx "$CONNTRACKD" -C "$T/none.conf" >"$T/out6" 2>&1; rc=$?
check "missing config: exit 1" test "$rc" -eq 1
check "missing config: message" grep -q "\[ERROR\] can't open config file \`$T/none.conf'" "$T/out6"

# -d: daemon mode (fork, parent exits 0), then -k.
ctd -d >"$T/out7" 2>&1; rc=$?
check "-d: parent exits 0" test "$rc" -eq 0
check "-d: socket appears" wait_for test -S "$T/ctd.sock"
check "-d: daemon mode logged" wait_for grep -q -- '-- starting in daemon mode --' "$T/ctd.log"
check "-d: nothing on the terminal after fork" bash -c "! grep -q 'daemon mode' '$T/out7'"
ctd -k >/dev/null 2>&1
check "-d: -k removes lock" wait_for test ! -e "$T/ctd.lock"

# -d again, stopped by signals: the daemonized child must get its own
# SIGHUP (log reopened at the path, as logrotate expects) and SIGTERM (a
# signalfd added to epoll before the fork would only ever wake for the
# parent's signals, so init scripts could not stop the daemon).
nstart() { grep -c -- '-- starting in daemon mode --' "$T/ctd.log"; }
before=$(nstart)
started_again() { (($(nstart) > before)); }
ctd -d >/dev/null 2>&1
check "-d (signals): socket appears" wait_for test -S "$T/ctd.sock"
check "-d (signals): daemon mode logged" wait_for started_again
dpid=$(grep -- '-- starting in daemon mode --' "$T/ctd.log" | tail -1 | sed -n 's/.*(pid=\([0-9]*\)).*/\1/p')
check "-d (signals): daemon pid logged" test -n "$dpid"
if [[ -n $dpid ]]; then
  mv "$T/ctd.log" "$T/ctd.log.1"
  kill -HUP "$dpid"
  check "-d: SIGHUP reopens the log at its path" wait_for test -e "$T/ctd.log"
  kill -TERM "$dpid"
  check "-d: SIGTERM stops the daemon" wait_for dead "$dpid"
  check "-d: SIGTERM: shutdown logged" grep -q -- '---- shutdown received ----' "$T/ctd.log"
  check "-d: SIGTERM removes lock" wait_for test ! -e "$T/ctd.lock"
  alive "$dpid" && kill -9 "$dpid"
fi

echo "conntrackd_basic: $PASS passed, $FAIL failed"
((FAIL == 0))
