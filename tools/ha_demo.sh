#!/bin/bash
# The fail-over test bed: sudo make demo   (or sudo tools/ha_demo.sh [options])
#
# Four namespaces (client, fw1, fw2, server; see tools/ha_topology.sh), two
# stateful firewalls replicating their state with conntrackd (FT-FW over a
# dedicated sync link), long-lived TCP connections, short TCP flows and UDP
# from the client to the server through the primary.  Every --interval
# seconds the primary fails (its lan link, its wan link or both go down at
# random, for --down seconds); the backup commits the external cache and
# takes the floating addresses.  Then the same run again without conntrackd
# (the control): the connections must die there, or the bed proves nothing.
#
#   --duration S    seconds of traffic per run (default 60)
#   --interval S    seconds between failures (default 8; flap: 3)
#   --down S        how long a failed link stays down (default 3; flap: 1)
#   --mode M        basic (default), flap (short intervals and outages),
#                   loss (20 % of sync packets dropped), mixed (fw2 runs
#                   --daemon2, default Debian's /usr/sbin/conntrackd)
#   --daemon BIN    conntrackd of both firewalls (default ./conntrackd)
#   --daemon2 BIN   fw2's conntrackd (default: --daemon; mixed: Debian's)
#   --vrrp V        keepalived (Debian's, VRRP between the firewalls) or
#                   mover (this script moves the addresses); default
#                   keepalived when installed
#   --no-control    skip the control run;  --control-only: only it
#   --repeat N      N runs with sync (default 1)
#   --long N        long-lived connections (default 8)
#   --json FILE     the runs' results, one JSON object per line
# Root only.  Everything made is removed at the end, also on Ctrl-C; the
# host's conntrack table is never touched.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if (( EUID != 0 )); then
  echo "ha_demo: needs root (network namespaces): sudo $0" >&2
  exit 1
fi
duration=60 interval= down= mode=basic daemon=$top/conntrackd daemon2= vrrp=
control=1 sync_runs=1 repeat=1 long=8 json=
while (( $# )); do
  case $1 in
    --duration) duration=$2; shift ;;
    --interval) interval=$2; shift ;;
    --down) down=$2; shift ;;
    --mode) mode=$2; shift ;;
    --daemon) daemon=$2; shift ;;
    --daemon2) daemon2=$2; shift ;;
    --vrrp) vrrp=$2; shift ;;
    --no-control) control=0 ;;
    --control-only) sync_runs=0 ;;
    --repeat) repeat=$2; shift ;;
    --long) long=$2; shift ;;
    --json) json=$2; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "ha_demo: unknown option $1 (--help)" >&2; exit 2 ;;
  esac
  shift
done
case $mode in
  basic|loss|mixed) : "${interval:=8}" "${down:=3}" ;;
  flap) : "${interval:=3}" "${down:=1}" ;;
  *) echo "ha_demo: --mode basic|flap|loss|mixed" >&2; exit 2 ;;
esac
[[ $mode == mixed ]] && : "${daemon2:=/usr/sbin/conntrackd}"
: "${daemon2:=$daemon}"
if [[ -z $vrrp ]]; then
  command -v keepalived >/dev/null && vrrp=keepalived || vrrp=mover
fi
[[ $vrrp == keepalived ]] && ! command -v keepalived >/dev/null &&
  { echo "ha_demo: keepalived not installed (apt-get install keepalived)" >&2; exit 1; }
for b in "$daemon" "$daemon2"; do
  [[ -x $b ]] || { echo "ha_demo: no conntrackd at $b (make)" >&2; exit 1; }
done
py=$(command -v python3) || { echo "ha_demo: needs python3" >&2; exit 1; }
traffic=$top/tools/ha_traffic.py
notify=$top/contrib/keepalived/conntrackd-notify.sh

. "$top/tools/ha_topology.sh"
tmp=$(mktemp -d /tmp/ha_demo.XXXXXX)
pids=()
# shellcheck disable=SC2317  # run by the traps
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  pids=()
  ha_topology_down
}
trap 'cleanup; rm -rf "$tmp"' EXIT
trap 'echo; echo "ha_demo: interrupted, cleaning up" >&2; exit 130' INT TERM

bg() { "$@" & pids+=("$!"); }
fw_bin() { [[ $1 == 1 ]] && echo "$daemon" || echo "$daemon2"; }
ctd() { timeout 30 ip netns exec "$(ha_fw_ns "$1")" "$(fw_bin "$1")" -C "$dir/fw$1.conf" "${@:2}"; }
primary() {
  local f
  for f in 1 2; do
    ip -n "$(ha_fw_ns $f)" -4 addr show dev lan 2>/dev/null | grep -q "$HA_VIP_LAN/" && { echo $f; return; }
  done
  echo 0
}
now() { echo "$EPOCHREALTIME"; }

# The mover (without keepalived): what keepalived would do on each node.
drop_vips() {
  local ns; ns=$(ha_fw_ns "$1")
  ip -n "$ns" addr del "$HA_VIP_LAN/24" dev lan 2>/dev/null
  ip -n "$ns" addr del "$HA_VIP_WAN/24" dev wan 2>/dev/null
}
# ready_cmd F: a script that takes F's addresses, for the hook to run
# right after the commit.
ready_cmd() {
  local f=$1 ns; ns=$(ha_fw_ns "$f")
  cat >"$dir/take_vips$f.sh" <<EOT
ip -n $ns addr add $HA_VIP_LAN/24 dev lan 2>/dev/null
ip -n $ns addr add $HA_VIP_WAN/24 dev wan 2>/dev/null
ip netns exec $ns $py $traffic garp lan $HA_VIP_LAN
ip netns exec $ns $py $traffic garp wan $HA_VIP_WAN
EOT
  echo "sh $dir/take_vips$f.sh"
}
hook() {  # F STATE [READY]
  local f=$1 st=$2
  if (( sync )); then
    ip netns exec "$(ha_fw_ns "$f")" "$notify" "$st" "$dir/fw$f.conf" "$(fw_bin "$f")" "${3:-}" \
      >>"$dir/hooks.log" 2>&1
  elif [[ -n ${3:-} ]]; then
    sh -c "$3"
  fi
}

# run_bed SYNC(0|1) LABEL: one run; its result in $dir/result.json
run_bed() {
  sync=$1
  local label=$2 f p t_end next fails=0 cur other links out
  dir=$tmp/$label; mkdir -p "$dir"
  HA_TAG=ha$$-$RANDOM; HA_NET=$((RANDOM % 200 + 20))
  HA_NS_C=$HA_TAG-client HA_NS_S=$HA_TAG-server HA_NS_1=$HA_TAG-fw1 HA_NS_2=$HA_TAG-fw2
  HA_VIP_LAN=10.$HA_NET.1.254 HA_VIP_WAN=10.$HA_NET.2.254 HA_SERVER=10.$HA_NET.2.100
  ha_topology_up || { echo "ha_demo: topology failed" >&2; return 1; }
  [[ $mode == loss ]] && (( sync )) && ha_sync_loss 20
  for f in 1 2; do
    ha_conntrackd_conf $f "$dir"
    if (( sync )); then
      bg ip netns exec "$(ha_fw_ns $f)" "$(fw_bin $f)" -C "$dir/fw$f.conf" >"$dir/fw$f.out" 2>&1
    fi
  done
  if (( sync )); then
    for f in 1 2; do
      for p in $(seq 1 100); do ctd $f -s >/dev/null 2>&1 && break; sleep 0.05; done
    done
  fi
  if [[ $vrrp == keepalived ]]; then
    for f in 1 2; do
      ha_keepalived_conf $f "$dir" "$notify" "$( (( sync )) && fw_bin $f)"
      bg ip netns exec "$(ha_fw_ns $f)" keepalived -n -l -P -f "$dir/keepalived$f.conf" \
        -p "$dir/ka$f.pid" -r "$dir/ka$f.vrrp.pid" >"$dir/keepalived$f.log" 2>&1
    done
  else
    hook 1 primary "$(ready_cmd 1)"
    hook 2 backup
  fi
  for p in $(seq 1 100); do [[ $(primary) != 0 ]] && break; sleep 0.1; done
  [[ $(primary) != 0 ]] || { echo "ha_demo: no firewall took the addresses" >&2; return 1; }
  bg ip netns exec "$HA_NS_S" "$py" "$traffic" server "$HA_SERVER" 5001
  sleep 0.3
  : >"$dir/events"
  ip netns exec "$HA_NS_C" "$py" "$traffic" client "$HA_SERVER" 5001 "$dir/result.json" \
    --long "$long" --duration "$duration" --status "$dir/status" --events "$dir/events" &
  local client=$!; pids+=("$client")
  t_end=$((SECONDS + ${duration%.*}))
  next=$(awk -v s="$SECONDS" -v i="$interval" 'BEGIN { printf "%.3f", s + (i < 3 ? i : 3) }')
  local restore_at=-1 failed=0
  while kill -0 "$client" 2>/dev/null; do
    if (( SECONDS < t_end - 4 && (sync || fails == 0) )) && awk -v s="$SECONDS" -v n="$next" 'BEGIN { exit !(s >= n) }'; then
      cur=$(primary); other=$((3 - cur))
      if (( cur )); then
        case $((RANDOM % 3)) in 0) links=lan ;; 1) links=wan ;; *) links="lan wan" ;; esac
        for l in $links; do ip -n "$(ha_fw_ns $cur)" link set "$l" down; done
        echo "$(now) fw$cur ${links// /+} down" >>"$dir/events"
        if [[ $vrrp == mover ]]; then
          drop_vips "$cur"; hook "$cur" fault
          hook "$other" primary "$(ready_cmd "$other")"
        fi
        fails=$((fails + 1)); failed=$cur
        # printf, not print: awk prints numbers with %.6g, which turns an
        # epoch time into 1.79664e+09 and moves the restore up to an hour.
        restore_at=$(awk -v s="$EPOCHREALTIME" -v d="$down" 'BEGIN { printf "%.6f", s + d }')
      fi
      next=$(awk -v s="$SECONDS" -v i="$interval" 'BEGIN { printf "%.3f", s + i }')
    fi
    if (( failed )) && awk -v s="$EPOCHREALTIME" -v r="$restore_at" 'BEGIN { exit !(s >= r) }'; then
      ip -n "$(ha_fw_ns $failed)" link set lan up; ip -n "$(ha_fw_ns $failed)" link set wan up
      [[ $vrrp == mover ]] && hook "$failed" backup
      failed=0
    fi
    if [[ -t 1 && -s $dir/status ]]; then
      "$py" - "$dir/status" "$label" "$(primary)" "$fails" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("\r  %-8s %5.1fs  primary fw%s  fail-overs %s  TCP alive %d/%d moving %d  %6.1f MB echoed  short ok %d fail %d  "
      % (sys.argv[2], s["elapsed"], sys.argv[3], sys.argv[4], s["alive"], s["long"], s["moving"],
         s["bytes"] / 1e6, s["short_ok"], s["short_fail"]), end="", flush=True)
PY
    fi
    sleep 0.2
  done
  [[ -t 1 ]] && echo
  wait "$client" 2>/dev/null
  # the run's figures beside the client's
  out=$dir/extra.json
  {
    echo "{\"label\": \"$label\", \"sync\": $sync, \"mode\": \"$mode\", \"vrrp\": \"$vrrp\","
    echo " \"daemon1\": \"$daemon\", \"daemon2\": \"$daemon2\", \"failures\": $fails,"
    echo " \"dropped_fw1\": $(ha_dropped 1), \"dropped_fw2\": $(ha_dropped 2),"
    echo " \"commits\": ["
    cat "$dir"/fw?.log 2>/dev/null | awk '/Committed [0-9]+ new entries/ { for (i = 1; i <= NF; i++) if ($i == "Committed") n = $(i + 1) }
      /commit has taken/ { for (i = 1; i <= NF; i++) if ($i == "taken") printf "%s[%s, %s]", sep, n, $(i + 1); sep = ", " }'
    echo "]}"
  } >"$out"
  cleanup
  [[ -s $dir/result.json ]] || { echo "ha_demo: the client wrote no result" >&2; return 1; }
  "$py" - "$dir/result.json" "$out" >"$dir/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r.update(json.load(open(sys.argv[2])))
print(json.dumps(r))
PY
  [[ -n $json ]] && cat "$dir/run.json" >>"$json"
  "$py" - "$dir/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = r["failovers"]
rec = [x["tcp_recovery_s"] for x in f if x["tcp_recovery_s"] is not None]
udp = [x["udp_recovery_s"] for x in f if x["udp_recovery_s"] is not None]
lost = r["closed"] + r["stalled"]
print("== %s: %s" % (r["label"], "conntrackd FT-FW on both firewalls (%s / %s)" % (r["daemon1"], r["daemon2"])
                         if r["sync"] else "control run, no conntrackd"))
print("  fail-overs           %d (%s)" % (len(f), ", ".join("%.1fs %s" % (x["at"], x["label"]) for x in f)))
print("  TCP connections      %d long-lived: %d alive at the end, %d closed%s, %d stalled"
      % (r["long"], r["alive"], r["closed"], " (%s)" % ", ".join(r["closed_reasons"]) if r["closed_reasons"] else "", r["stalled"]))
print("  bytes                %.1f MB sent, %.1f MB echoed back; every byte back and intact: %s"
      % (r["bytes_sent"] / 1e6, r["bytes_echoed"] / 1e6, "yes" if r["all_bytes_back"] else "NO"))
print("  short TCP flows      %d completed, %d failed (%d took over 1 s)" % (r["short_ok"], r["short_fail"], r["short_slow"]))
print("  UDP echoes           %d of %d" % (r["udp_recv"], r["udp_sent"]))
if rec and lost == 0:
    print("  failure -> TCP flowing   median %.2fs, worst %.2fs (every live connection echoing again)" % (sorted(rec)[len(rec) // 2], max(rec)))
if udp:
    print("  failure -> UDP flowing   median %.2fs, worst %.2fs" % (sorted(udp)[len(udp) // 2], max(udp)))
if r["commits"]:
    print("  commits              %s" % ", ".join("%d flows in %.3fs" % (n, t) for n, t in r["commits"]))
print("  stateful drops       fw1 %d, fw2 %d packets" % (r["dropped_fw1"], r["dropped_fw2"]))
print("  => %s" % ("%d of %d TCP connections lost" % (lost, r["long"])))
PY
}

echo "ha_demo: mode $mode, $vrrp, ${duration}s per run, a failure every ${interval}s for ${down}s"
rc=0
if (( sync_runs )); then
  for i in $(seq 1 "$repeat"); do
    run_bed 1 "sync$i" || rc=1
  done
fi
if (( control )); then
  # one failure and no fail-back: the old primary still holds the state
  (( duration > 12 )) && duration=12
  run_bed 0 control || rc=1
fi
exit $rc
