#!/usr/bin/env bash
# conntrackd with a minimal configuration, against Debian's conntrackd:
# an empty file, no UNIX block, a UNIX block without Path, `Path` without a
# value, and a file with only General (a socket but neither Sync nor Stats).
# Upstream starts in the first three cases (1.4.7 and 1.4.8 alike: its
# socket is then an autobound abstract one nobody can name), and with
# neither Sync nor Stats it follows no table and answers only -k,
# -s runtime and -s process.  Ours does the same, without any socket, and
# says so in one extra warning line (stderr and log).  Also: a number
# upstream wraps silently (Port 70000) is refused, naming file and line.
#
#   tests/integration/conntrackd_minimal_config.sh   (root; < 30 s)
#
# Every daemon runs in a private network namespace and a private mount
# namespace with a tmpfs on /run/lock (the empty file means the default
# lock file /var/lock/conntrackd.lock); each is stopped by its PID.
set -u
OURS=${CONNTRACKD:-$(pwd)/conntrackd}
ORACLE=${ORACLE_CONNTRACKD:-${UPSTREAM_CONNTRACKD:-/usr/sbin/conntrackd}}
T=$(mktemp -d /tmp/ctdmin.XXXXXX)
PASS=0 FAIL=0 PIDS=() NSS=()
WARN='[warning] no UNIX Path configured: running without a control socket (client commands cannot reach this daemon; stop it with SIGTERM)'

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
# Log lines without their time and pid.
norm() { sed -E 's/^\[[^]]*\] \(pid=[0-9]+\) //'; }

for b in "$OURS" "$ORACLE"; do
  [[ -x $b ]] || { echo "FAIL setup: $b not found"; exit 1; }
done

printf '' >"$T/empty.conf"
printf 'General {\n  LockFile %s/LOCK\n  LogFile %s/ctd.log\n  Systemd off\n}\nStats { }\n' \
  "$T" "$T" >"$T/nounix.conf"
printf 'General {\n  LockFile %s/LOCK\n  UNIX { }\n  Systemd off\n}\nStats { }\n' "$T" >"$T/unixnopath.conf"
printf 'General {\n  LockFile %s/LOCK\n  UNIX { Path }\n}\nStats { }\n' "$T" >"$T/pathnoval.conf"
printf 'General {\n  LockFile %s/LOCK\n  UNIX { Path %s/sock }\n  Systemd off\n}\n' "$T" "$T" >"$T/general.conf"

# start NAME BIN CONF: the daemon in a fresh netns; DPID, DNS set.
start() {
  local name=$1 bin=$2 conf=$3
  DNS=ctdmin-$$-$RANDOM
  ip netns add "$DNS" || { echo "FAIL setup: ip netns add"; exit 1; }
  NSS+=("$DNS")
  rm -f "$T/LOCK" "$T/sock" "$T/ctd.log"
  # No `timeout` wrapper: ip netns exec, unshare and sh all exec, so $! is
  # the daemon itself.
  ip netns exec "$DNS" unshare -m sh -c 'mount -t tmpfs none /run/lock && exec "$0" -C "$1"' \
    "$bin" "$conf" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
  DPID=$!
  PIDS+=("$DPID")
}
# stop NAME: SIGTERM by PID; the exit status goes to $T/NAME.rc.
stop() {
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$DPID" 2>/dev/null || break; kill "$DPID"; sleep 0.05; done
  wait "$DPID"; echo $? >"$T/$1.rc"
}
running() {
  local i
  for ((i = 0; i < 20; i++)); do grep -qs 'starting in console mode' "$T/$1.out" && break; sleep 0.05; done
  sleep 0.3
  kill -0 "$DPID" 2>/dev/null
}

# ---- the daemon starts; ours adds the warning and has no socket ---------------
for c in empty nounix unixnopath; do
  start "o-$c" "$ORACLE" "$T/$c.conf"
  if running "o-$c"; then up_o=1; else up_o=0; fi
  stop "o-$c"
  start "u-$c" "$OURS" "$T/$c.conf"
  if running "u-$c"; then up_u=1; else up_u=0; fi
  listening=$(ip netns exec "$DNS" ss -Hxlp 2>/dev/null | grep -c "pid=$DPID,")
  [[ -f $T/ctd.log ]] && cp "$T/ctd.log" "$T/u-$c.log"
  stop "u-$c"
  if [[ $up_o == 1 && $up_u == 1 ]]; then pass "$c: both start"; else fail "$c: start (oracle $up_o, ours $up_u)"; fi
  if diff <(norm <"$T/o-$c.out") <(norm <"$T/u-$c.out") >/dev/null &&
     diff <(norm <"$T/o-$c.err") <(norm <"$T/u-$c.err" | grep -vxF "$WARN") >/dev/null; then
    pass "$c: same start-up and shutdown lines (plus our warning)"
  else
    fail "$c: output differs"
    diff <(norm <"$T/o-$c.out"; echo ---; norm <"$T/o-$c.err") \
         <(norm <"$T/u-$c.out"; echo ---; norm <"$T/u-$c.err") | head -8
  fi
  if norm <"$T/u-$c.err" | grep -qxF "$WARN"; then pass "$c: ours warns on stderr"; else fail "$c: no warning"; fi
  [[ $listening == 0 ]] && pass "$c: ours listens on no UNIX socket" || fail "$c: ours listens ($listening)"
  if cmp -s "$T/o-$c.rc" "$T/u-$c.rc" && [[ $(cat "$T/u-$c.rc") == 0 ]]; then
    pass "$c: SIGTERM exits 0"
  else
    fail "$c: exit status (oracle $(cat "$T/o-$c.rc"), ours $(cat "$T/u-$c.rc"))"
  fi
done
if [[ -f $T/u-nounix.log ]] && norm <"$T/u-nounix.log" | grep -qxF "$WARN"; then
  pass "nounix: the warning is in the LogFile too"
else
  fail "nounix: warning not logged"
fi

# ---- the client cannot reach such a daemon: same message and status ----------
for c in empty nounix unixnopath; do
  ro=$(timeout 10 "$ORACLE" -C "$T/$c.conf" -s 2>&1 | norm; echo "rc=${PIPESTATUS[0]}")
  rn=$(timeout 10 "$OURS" -C "$T/$c.conf" -s 2>&1 | norm; echo "rc=${PIPESTATUS[0]}")
  [[ $ro == "$rn" ]] && pass "$c: client -s as upstream" || fail "$c: client [$ro] vs [$rn]"
done

# ---- `Path` without a value: the same syntax error ---------------------------
ro=$(timeout 10 "$ORACLE" -C "$T/pathnoval.conf" 2>&1 | norm; echo "rc=${PIPESTATUS[0]}")
rn=$(timeout 10 "$OURS" -C "$T/pathnoval.conf" 2>&1 | norm; echo "rc=${PIPESTATUS[0]}")
[[ $ro == "$rn" && $rn == *"syntax error"*"rc=1" ]] && pass "Path without value: same syntax error" ||
  fail "Path without value: [$ro] vs [$rn]"

# ---- a number upstream wraps (Port 70000 = 4464 there): ours refuses, loudly ---
printf 'General {\n  LockFile %s/LOCK\n  UNIX { Path %s/sock }\n}\nSync {\n  Mode FTFW { }\n  UDP { IPv4_address 127.0.0.1 IPv4_Destination_Address 127.0.0.2\n    Port 70000 Interface lo }\n}\n' \
  "$T" "$T" >"$T/port.conf"
ro=$(timeout 10 "$ORACLE" -C "$T/port.conf" -s 2>&1 | norm; echo "rc=${PIPESTATUS[0]}")
rn=$(timeout 10 "$OURS" -C "$T/port.conf" -s 2>&1 | norm; echo "rc=${PIPESTATUS[0]}")
[[ $ro == *"can't connect"*"rc=1" ]] && pass "Port 70000: upstream parses it" || fail "Port 70000 upstream: $ro"
want="[ERROR] parsing config file \`$T/port.conf' in line (8), symbol '70000': value out of range (maximum 65535): upstream wraps it silently, this version refuses it"
[[ $rn == "$want"$'\n'"rc=1" ]] && pass "Port 70000: ours refuses, naming file and line" || fail "Port 70000 ours: $rn"

# ---- only General: a socket, no conntrack side --------------------------------
for who in o u; do
  bin=$ORACLE; [[ $who == u ]] && bin=$OURS
  start "$who-general" "$bin" "$T/general.conf"
  for ((i = 0; i < 100; i++)); do [[ -S $T/sock ]] && break; sleep 0.05; done
  : >"$T/$who-req"
  for r in "-s runtime" "-s process" "-s" "-s cache" "-s network" "-i" "-e" "-F" "-R" "-f" "-c" "-B" "-n"; do
    # shellcheck disable=SC2086
    out=$(timeout 10 ip netns exec "$DNS" "$bin" -C "$T/general.conf" $r 2>&1 | sed -E 's/[0-9]+/N/g')
    printf '%s: %s rc=%s\n' "$r" "$out" "${PIPESTATUS[0]}" >>"$T/$who-req"
  done
  timeout 10 ip netns exec "$DNS" "$bin" -C "$T/general.conf" -k >/dev/null 2>&1
  for ((i = 0; i < 100; i++)); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$DPID" 2>/dev/null; then echo "-k: still running" >>"$T/$who-req"; fi
  stop "$who-general"
done
if cmp -s "$T/o-req" "$T/u-req" && grep -q 'daemon uptime' "$T/u-req"; then
  pass "only General: -s runtime answered, nothing else, -k stops (as upstream)"
else
  fail "only General: requests differ"; diff "$T/o-req" "$T/u-req" | head -10
fi
if diff <(norm <"$T/o-general.out") <(norm <"$T/u-general.out") >/dev/null &&
   diff <(norm <"$T/o-general.err") <(norm <"$T/u-general.err") >/dev/null; then
  pass "only General: same log lines (no mode warning, no netlink socket)"
else
  fail "only General: log lines differ"
  diff <(norm <"$T/o-general.out"; norm <"$T/o-general.err") \
       <(norm <"$T/u-general.out"; norm <"$T/u-general.err") | head -8
fi

echo "# conntrackd_minimal_config: $PASS passed, $FAIL failed"
[[ $FAIL == 0 ]]
