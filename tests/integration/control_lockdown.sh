#!/usr/bin/env bash
# The control socket's lockdown (man conntrackd.conf(5), UNIX Group):
# the daemon refuses to start over a regular file or a symlink at its
# UNIX Path (both left untouched), replaces a dead daemon's socket, makes
# the socket 0600 (0660 with Group), and serves root but not another user
# (SO_PEERCRED), logging the refusal.
#
#   tests/integration/control_lockdown.sh      (root; < 30 s)
set -u
CONNTRACKD=${CONNTRACKD:-$(pwd)/conntrackd}
NS=ctlk-$$-$RANDOM
T=$(mktemp -d /tmp/ctlk.XXXXXX)
chmod 755 "$T"
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
wait_for() {
  local i
  for ((i = 0; i < 100; i++)); do "$@" && return 0; sleep 0.05; done
  return 1
}
[[ -x $CONNTRACKD ]] || { echo "FAIL setup: no $CONNTRACKD"; exit 1; }
ip netns add "$NS" || { echo "FAIL setup: ip netns add"; exit 1; }

conf() {  # $1 = extra UNIX keywords
  cat >"$T/ctd.conf" <<CONF
General {
  HashSize 1024
  HashLimit 4096
  LogFile $T/ctd.log
  LockFile $T/ctd.lock
  UNIX { Path $T/ctd.sock $1 }
  Systemd off
}
Stats { LogFile off }
CONF
}
start() {
  rm -f "$T/ctd.lock"
  nsx "$CONNTRACKD" -C "$T/ctd.conf" >/dev/null 2>&1 &
  PID=$!
  PIDS+=("$PID")
}
stop() { nsx "$CONNTRACKD" -C "$T/ctd.conf" -k >/dev/null 2>&1; wait "$PID" 2>/dev/null; }
sock_up() { [[ -S $T/ctd.sock ]] && nsx "$CONNTRACKD" -C "$T/ctd.conf" -s runtime >/dev/null 2>&1; }

conf ""
# A regular file at the path: refused, file intact.
echo keep >"$T/ctd.sock"
start
wait "$PID"; rc=$?
check file_refused test "$rc" -ne 0 -a -f "$T/ctd.sock" -a "$(cat "$T/ctd.sock")" = keep
check file_logged grep -q "exists and is not a socket" "$T/ctd.log"
rm -f "$T/ctd.sock"
# A symlink to a file: refused, neither the link nor its target changed.
echo target >"$T/target"
ln -s "$T/target" "$T/ctd.sock"
start
wait "$PID"; rc=$?
check symlink_refused test "$rc" -ne 0 -a -L "$T/ctd.sock" -a "$(cat "$T/target")" = target
rm -f "$T/ctd.sock"
# A dead daemon's socket (bound, nobody listening) is replaced.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/ctd.sock"
start
check stale_replaced wait_for sock_up
check mode_0600 test "$(stat -c %a "$T/ctd.sock")" = 600
# Another user (even if the mode were opened up) is refused by SO_PEERCRED.
chmod 666 "$T/ctd.sock"
out=$(nsx setpriv --reuid=65534 --regid=65534 --clear-groups "$CONNTRACKD" -C "$T/ctd.conf" -s runtime 2>&1)
check other_user_refused test -z "$(grep 'daemon uptime' <<<"$out")"
check refusal_logged wait_for grep -q "unauthorised user refused" "$T/ctd.log"
check root_served sock_up
# A second daemon (lock file removed) must not take over a live socket.
cp "$T/ctd.conf" "$T/ctd2.conf"
sed -i "s|$T/ctd.lock|$T/ctd2.lock|" "$T/ctd2.conf"
nsx "$CONNTRACKD" -C "$T/ctd2.conf" >/dev/null 2>&1 & p2=$!
PIDS+=("$p2")
wait "$p2"; rc=$?
check live_socket_kept test "$rc" -ne 0
check live_still_served sock_up
stop
# With Group: 0660 and that group; a member is served.
conf "Group 4244"
start
check group_up wait_for sock_up
check group_mode test "$(stat -c %a:%g "$T/ctd.sock")" = 660:4244
out=$(nsx setpriv --reuid=65534 --regid=4244 --clear-groups "$CONNTRACKD" -C "$T/ctd.conf" -s runtime 2>&1)
check group_member_served grep -q 'daemon uptime' <<<"$out"
stop

echo "control_lockdown: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
