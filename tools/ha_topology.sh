# The fail-over test bed's network, sourced by tools/ha_demo.sh.
#
#   client 10.N.1.100 (bridge br0) ==lan== fw1 10.N.1.1 / fw2 10.N.1.2
#   server 10.N.2.100 (bridge br0) ==wan== fw1 10.N.2.1 / fw2 10.N.2.2
#   fw1 10.N.3.1 ==sync== fw2 10.N.3.2   (a veth pair of its own)
#   floating gateways 10.N.1.254 and 10.N.2.254 on the primary
#
# Both firewalls forward statefully: only "ct state established,related"
# and new flows from the lan side pass, nf_conntrack_tcp_loose=0, so a
# firewall without the connection's state drops its packets.
HA_NET=${HA_NET:-$((RANDOM % 200 + 20))}
HA_TAG=${HA_TAG:-ha$$}
HA_NS_C=$HA_TAG-client HA_NS_S=$HA_TAG-server HA_NS_1=$HA_TAG-fw1 HA_NS_2=$HA_TAG-fw2
HA_VIP_LAN=10.$HA_NET.1.254 HA_VIP_WAN=10.$HA_NET.2.254
HA_SERVER=10.$HA_NET.2.100

ha_fw_ns() { [[ $1 == 1 ]] && echo "$HA_NS_1" || echo "$HA_NS_2"; }

ha_topology_up() {
  local ns f
  for ns in "$HA_NS_C" "$HA_NS_S" "$HA_NS_1" "$HA_NS_2"; do
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
  done
  for ns in "$HA_NS_C" "$HA_NS_S"; do
    ip -n "$ns" link add br0 type bridge mcast_snooping 0 forward_delay 0
    ip -n "$ns" link set br0 up
  done
  for f in 1 2; do
    ns=$(ha_fw_ns "$f")
    ip link add lan netns "$ns" type veth peer name fw$f netns "$HA_NS_C" || return 1
    ip link add wan netns "$ns" type veth peer name fw$f netns "$HA_NS_S" || return 1
    ip -n "$HA_NS_C" link set fw$f master br0 up
    ip -n "$HA_NS_S" link set fw$f master br0 up
    ip -n "$ns" addr add "10.$HA_NET.1.$f/24" dev lan
    ip -n "$ns" addr add "10.$HA_NET.2.$f/24" dev wan
    ip -n "$ns" link set lan up
    ip -n "$ns" link set wan up
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
      net.netfilter.nf_conntrack_tcp_loose=0 net.netfilter.nf_conntrack_events=1 \
      net.netfilter.nf_conntrack_acct=1 >/dev/null || return 1
    ip netns exec "$ns" nft -f - <<EOF || return 1
table inet ha {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan" ct state new accept
    counter name dropped drop
  }
  counter dropped { }
  chain input {
    type filter hook input priority 0; policy accept;
  }
}
EOF
  done
  ip link add sync netns "$HA_NS_1" type veth peer name sync netns "$HA_NS_2" || return 1
  ip -n "$HA_NS_1" addr add "10.$HA_NET.3.1/24" dev sync
  ip -n "$HA_NS_2" addr add "10.$HA_NET.3.2/24" dev sync
  ip -n "$HA_NS_1" link set sync up
  ip -n "$HA_NS_2" link set sync up
  ip -n "$HA_NS_C" addr add "10.$HA_NET.1.100/24" dev br0
  ip -n "$HA_NS_C" route add default via "$HA_VIP_LAN"
  ip -n "$HA_NS_S" addr add "$HA_SERVER/24" dev br0
  ip -n "$HA_NS_S" route add default via "$HA_VIP_WAN"
}

ha_topology_down() {
  local ns
  for ns in "$HA_NS_C" "$HA_NS_S" "$HA_NS_1" "$HA_NS_2"; do
    ip netns del "$ns" 2>/dev/null
  done
}

# ha_sync_loss PERCENT: both firewalls drop that share of the sync packets
# they receive.
ha_sync_loss() {
  local f
  for f in 1 2; do
    ip netns exec "$(ha_fw_ns $f)" nft add rule inet ha input iifname sync \
      meta l4proto udp numgen random mod 100 '<' "$1" drop
  done
}

# Packets the stateful rule dropped on firewall F.
ha_dropped() {
  ip netns exec "$(ha_fw_ns "$1")" nft list counter inet ha dropped 2>/dev/null |
    awk '/packets/ { print $2; exit }'
}

# ha_conntrackd_conf F DIR: firewall F's conntrackd.conf (FT-FW over UDP on
# the sync link) in DIR/fwF.conf.  Every TCP state is replicated (no State
# Accept filter): a short flow caught in its handshake by a fail-over
# would otherwise be unknown to the new primary and die.
ha_conntrackd_conf() {
  local f=$1 dir=$2 peer=$((3 - $1))
  cat >"$dir/fw$f.conf" <<EOF
Sync {
  Mode FTFW {
    ResendQueueSize 131072
    StartupResync on
  }
  UDP {
    IPv4_address 10.$HA_NET.3.$f
    IPv4_Destination_Address 10.$HA_NET.3.$peer
    Port 3780
    Interface sync
    Checksum on
  }
  PurgeTimeout 15
}
General {
  HashSize 16384
  HashLimit 131072
  NetlinkBufferSize 4194304
  NetlinkBufferSizeMaxGrowth 16777216
  LockFile $dir/fw$f.lock
  LogFile $dir/fw$f.log
  Syslog off
  Systemd off
  UNIX { Path $dir/fw$f.ctl }
  Filter From Userspace {
    Protocol Accept { TCP UDP }
    Address Ignore {
      IPv4_address 127.0.0.1
      IPv4_address 10.$HA_NET.3.0/24
      IPv4_address 10.$HA_NET.1.1
      IPv4_address 10.$HA_NET.1.2
      IPv4_address 10.$HA_NET.2.1
      IPv4_address 10.$HA_NET.2.2
      IPv4_address $HA_VIP_LAN
      IPv4_address $HA_VIP_WAN
    }
  }
}
EOF
}

# ha_keepalived_conf F DIR NOTIFY CONNTRACKD: firewall F's keepalived.conf.
# Both start as BACKUP with nopreempt, so each failure moves the addresses
# once and nothing moves them back.  VRRP runs on the lan side; the wan
# link is tracked, so either link going down is a fault.
ha_keepalived_conf() {
  local f=$1 dir=$2 notify=$3 bin=$4 hooks
  if [[ -n $bin ]]; then
    hooks="  notify_master \"$notify primary $dir/fw$f.conf $bin\"
  notify_backup \"$notify backup $dir/fw$f.conf $bin\"
  notify_fault \"$notify fault $dir/fw$f.conf $bin\""
  else
    hooks=""
  fi
  cat >"$dir/keepalived$f.conf" <<EOF
global_defs {
  router_id fw$f
  script_user root
  vrrp_garp_master_delay 1
  vrrp_garp_master_repeat 2
}
vrrp_instance gw {
  state BACKUP
  nopreempt
  interface lan
  virtual_router_id $((HA_NET % 250 + 1))
  version 3
  priority $((150 - f * 10))
  advert_int 0.2
  track_interface { wan }
  virtual_ipaddress {
    $HA_VIP_LAN/24 dev lan
    $HA_VIP_WAN/24 dev wan
  }
$hooks
}
EOF
}
