# Helpers for the sync tests: two firewall namespaces A and B joined by a
# veth pair (10.$NET.0.1 <-> 10.$NET.0.2), one conntrackd in each (ours or
# Debian's), flows created with the oracle conntrack in A.  Sourced; the
# caller sets SYNC_TAG (unique) and calls sync_setup / sync_teardown.
SYNC_OURS=${CONNTRACKD:-$(pwd)/conntrackd}
SYNC_UP=${UPSTREAM_CONNTRACKD:-/usr/sbin/conntrackd}
SYNC_CT=${ORACLE:-/usr/sbin/conntrack}
SYNC_NET=$((RANDOM % 200 + 20))
SYNC_T=$(mktemp -d /tmp/ctsync.XXXXXX)
SYNC_PIDS=()
SYNC_NS_A=sya-$$-$RANDOM
SYNC_NS_B=syb-$$-$RANDOM
PASS=0 FAIL=0

pass() { echo "PASS $1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; FAIL=$((FAIL + 1)); }

sync_setup() {
  ip netns add "$SYNC_NS_A" && ip netns add "$SYNC_NS_B" || return 1
  ip link add sva netns "$SYNC_NS_A" type veth peer name svb netns "$SYNC_NS_B" || return 1
  ip -n "$SYNC_NS_A" addr add "10.$SYNC_NET.0.1/24" dev sva
  ip -n "$SYNC_NS_B" addr add "10.$SYNC_NET.0.2/24" dev svb
  local ns
  for ns in "$SYNC_NS_A" "$SYNC_NS_B"; do
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$( [[ $ns == "$SYNC_NS_A" ]] && echo sva || echo svb)" up
    ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_events=1 2>/dev/null
  done
  # multicast needs a route for the group on the sync link
  ip -n "$SYNC_NS_A" route add 224.0.0.0/4 dev sva 2>/dev/null
  ip -n "$SYNC_NS_B" route add 224.0.0.0/4 dev svb 2>/dev/null
  return 0
}

sync_teardown() {
  local p
  for p in "${SYNC_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${SYNC_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del "$SYNC_NS_A" 2>/dev/null
  ip netns del "$SYNC_NS_B" 2>/dev/null
  rm -rf "$SYNC_T"
}

# sync_conf SIDE(A|B) MODE(FTFW|NOTRACK|ALARM) PROTO(UDP|TCP|Multicast) [extra mode lines]
# $SYNC_OPTIONS, when set, becomes the Sync block's Options { } body.
sync_conf() {
  local side=$1 mode=$2 proto=$3 extra=${4:-} me peer dev ch
  if [[ $side == A ]]; then me=1 peer=2 dev=sva; else me=2 peer=1 dev=svb; fi
  if [[ $proto == Multicast ]]; then
    ch="Multicast {
    IPv4_address 225.0.0.$SYNC_NET
    IPv4_interface 10.$SYNC_NET.0.$me
    Group 3780
    Interface $dev
  }"
  else
    ch="$proto {
    IPv4_address 10.$SYNC_NET.0.$me
    IPv4_Destination_Address 10.$SYNC_NET.0.$peer
    Port 3780
    Interface $dev
  }"
  fi
  cat >"$SYNC_T/$side.conf" <<EOC
Sync {
  Mode $mode {
$extra
  }
  $ch${SYNC_OPTIONS:+
  Options { $SYNC_OPTIONS \}}
}
General {
  HashSize 16384
  HashLimit 131072
  NetlinkBufferSize 8388608
  NetlinkBufferSizeMaxGrowth 16777216
  LockFile $SYNC_T/lock.$side
  LogFile $SYNC_T/log.$side
  UNIX { Path $SYNC_T/sock.$side }
  Systemd off
}
EOC
}

sync_ns() { [[ $1 == A ]] && echo "$SYNC_NS_A" || echo "$SYNC_NS_B"; }

# sync_start SIDE BIN
sync_start() {
  local side=$1 bin=$2 ns i
  ns=$(sync_ns "$side")
  rm -f "$SYNC_T/lock.$side"
  ip netns exec "$ns" "$bin" -C "$SYNC_T/$side.conf" >"$SYNC_T/out.$side" 2>&1 &
  eval "SYNC_PID_$side=$!"
  SYNC_PIDS+=("$!")
  for i in $(seq 1 100); do
    ip netns exec "$ns" "$bin" -C "$SYNC_T/$side.conf" -s >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}

sync_stop() {
  local side=$1 p
  p=$(eval echo "\${SYNC_PID_$side:-}")
  [[ -n $p ]] || return 0
  kill "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  # forget it, so the teardown never signals a PID that may be reused
  local q keep=()
  for q in "${SYNC_PIDS[@]}"; do [[ $q == "$p" ]] || keep+=("$q"); done
  SYNC_PIDS=("${keep[@]}")
  eval "SYNC_PID_$side="
}

# sync_client SIDE BIN ARGS...
sync_client() {
  local side=$1 bin=$2; shift 2
  timeout 30 ip netns exec "$(sync_ns "$side")" "$bin" -C "$SYNC_T/$side.conf" "$@"
}

sync_ct() { local side=$1; shift; timeout 30 ip netns exec "$(sync_ns "$side")" "$SYNC_CT" "$@" 2>/dev/null; }

# The external cache's lines without the time-dependent suffixes, sorted.
sync_ext() {
  sync_client "$1" "$2" -e | sed -E 's/ \[expires in [0-9-]+s\]//; s/ \[active since [0-9-]+s\]//' | sort
}

# sync_wait_ext SIDE BIN COUNT: bounded (20 s) wait until -e has COUNT lines
sync_wait_ext() {
  local i n
  for i in $(seq 1 100); do
    n=$(sync_client "$1" "$2" -e | wc -l)
    [[ $n -eq $3 ]] && return 0
    sleep 0.2
  done
  return 1
}
