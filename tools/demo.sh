#!/bin/bash
# Demo on a fresh Debian machine:  sudo tools/demo.sh
#
# Installs the build dependencies, builds ./conntrack, makes two private
# network namespaces joined by a veth pair, sends real TCP, UDP and ICMP
# traffic between them (plus a few entries made with `conntrack -I`), lists
# the namespace's conntrack table with our ./conntrack in every output
# format, and deletes the namespaces.  The host's own table is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."

if (( EUID != 0 )); then
  echo "demo: needs root for apt-get and network namespaces: sudo $0" >&2
  exit 1
fi

# --- 1. build dependencies ---------------------------------------------------
deps=(g++ make nftables iproute2 python3 conntrack)
missing=()
for p in "${deps[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "== apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# --- 2. build (as the invoking user under sudo, so build/ stays theirs) -------
echo "== make"
if [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
  sudo -u "$SUDO_USER" make -j"$(nproc)" >/dev/null
else
  make -j"$(nproc)" >/dev/null
fi
ct=${DEMO_CONNTRACK:-$PWD/conntrack}   # DEMO_CONNTRACK: try another binary

# --- 3. two namespaces and a veth pair ---------------------------------------
a=ctdemo$$a b=ctdemo$$b
pids=()
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT
modprobe nf_conntrack 2>/dev/null || true
ip netns add "$a"
ip netns add "$b"
ip link add veth0 netns "$a" type veth peer name veth0 netns "$b"
ip -n "$a" addr add 10.99.0.1/24 dev veth0
ip -n "$b" addr add 10.99.0.2/24 dev veth0
ip -n "$a" addr add fd00:99::1/64 dev veth0 nodad
ip -n "$b" addr add fd00:99::2/64 dev veth0 nodad
for n in "$a" "$b"; do ip -n "$n" link set lo up; ip -n "$n" link set veth0 up; done

# A `ct state` rule makes namespace A track its connections.
ip netns exec "$a" nft -f - <<'EOF'
table inet demo {
  chain out { type filter hook output priority 0; ct state new,established,related counter; }
  chain in  { type filter hook input  priority 0; ct state new,established,related counter; }
}
EOF
ip netns exec "$a" sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1

# --- 4. real traffic from A to B ---------------------------------------------
ip netns exec "$b" timeout 20 python3 - <<'EOF' &
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.0.2", 8080)); s.listen(8)
for _ in range(3):
    c, _ = s.accept(); c.sendall(c.recv(100)); c.close()
EOF
pids+=($!)
ip netns exec "$a" timeout 15 python3 - <<'EOF'
import socket, struct, time
for i in range(3):                      # TCP: three short connections
    for _ in range(50):
        try:
            c = socket.create_connection(("10.99.0.2", 8080), timeout=2); break
        except OSError:
            time.sleep(0.1)
    c.sendall(b"hello %d" % i); c.recv(100); c.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)      # UDP, no listener
for port in (53, 123, 5353):
    u.sendto(b"x", ("10.99.0.2", port))
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)    # UDP over IPv6
u6.sendto(b"x", ("fd00:99::2", 4789))
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)  # ping
hdr = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"demo"
r.sendto(hdr[:2] + struct.pack("!H", csum(hdr)) + hdr[4:], ("10.99.0.2", 0))
r.settimeout(1)
try: r.recv(100)
except OSError: pass
time.sleep(0.2)
EOF

# --- 5. a few entries created through ctnetlink ------------------------------
create() {  # ours if it can already create entries, else upstream's
  ip netns exec "$a" "$ct" -I "$@" 2>/dev/null ||
    { [[ -x /usr/sbin/conntrack ]] && ip netns exec "$a" /usr/sbin/conntrack -I "$@" 2>/dev/null; } ||
    echo "  (could not create: $*)"
}
echo "== conntrack -I (a TCP flow with mark 42, a UDP flow in zone 7)"
create -p tcp -s 192.0.2.1 -d 198.51.100.2 --sport 40000 --dport 443 \
  --state ESTABLISHED -t 120 -u ASSURED -m 42 >/dev/null
create -p udp -s 192.0.2.1 -d 198.51.100.53 --sport 5300 --dport 53 -t 60 -w 7 >/dev/null

# --- 6. list them in every output format ------------------------------------
status=0
for fmt in "" "-o extended" "-o xml" "-o save" "-o json" "-o id" "-o ktimestamp"; do
  echo
  echo "== conntrack -L $fmt"
  # shellcheck disable=SC2086  # $fmt is two words on purpose
  ip netns exec "$a" "$ct" -L $fmt 2>&1 || { echo "(exit status $?)"; status=1; }
done
echo
echo "== conntrack -C"
ip netns exec "$a" "$ct" -C || status=1
exit "$status"
