#!/usr/bin/env bash
# Entries made by REAL traffic (kernel-built tuples, counters, TCP states,
# helper-free ASSURED flows), listed by both binaries in the same namespace.
# Two namespaces joined by a veth pair (client "a", server "b") plus loopback
# traffic inside "a"; an nftables `ct state` rule makes them track.
# TCP: bash /dev/tcp against python3 http.server (closed -> TIME_WAIT, one
# kept open -> ESTABLISHED); UDP: python echo server; ICMP/ICMPv6 echo via
# python raw sockets.  Every loop is bounded; servers are stopped by PID.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh

ctt_new_ns NA rta
ctt_new_ns NB rtb
va=vca$$$RANDOM; va=${va:0:15}
vb=vcb$$$RANDOM; vb=${vb:0:15}
ip link add "$va" netns "$NA" type veth peer name "$vb" netns "$NB" || {
  echo "FAIL real_traffic: cannot create a veth pair"; exit 1; }
ip -n "$NA" addr add 10.77.0.1/24 dev "$va"
ip -n "$NB" addr add 10.77.0.2/24 dev "$vb"
ip -n "$NA" addr add fd77::1/64 dev "$va" nodad
ip -n "$NB" addr add fd77::2/64 dev "$vb" nodad
ip -n "$NA" link set "$va" up
ip -n "$NB" link set "$vb" up
for n in "$NA" "$NB"; do
  # TIME_WAIT entries must outlive a slow run (120 s by default: on a
  # loaded machine they expired between the oracle's listing and ours).
  ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=3600
  ip netns exec "$n" nft -f - <<'EOF'
table inet t {
  chain o { type filter hook output priority 0; ct state new counter; }
  chain i { type filter hook input priority 0; ct state new counter; }
}
EOF
done

# --- servers in b (and one on loopback in a), stopped by PID on exit
ctt_bg HTTP4 ip netns exec "$NB" python3 -m http.server 8080 --bind 10.77.0.2 >/dev/null 2>&1
ctt_bg HTTP6 ip netns exec "$NB" python3 -m http.server 8081 --bind fd77::2 >/dev/null 2>&1
ctt_bg HTTPLO ip netns exec "$NA" python3 -m http.server 8090 --bind 127.0.0.1 >/dev/null 2>&1
ctt_bg UDPECHO ip netns exec "$NB" timeout 120 python3 -c '
import socket, select
ss = []
for fam, addr in ((socket.AF_INET, "10.77.0.2"), (socket.AF_INET6, "fd77::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, 7777))
    ss.append(s)
while True:
    r, _, _ = select.select(ss, [], [], 60)
    if not r:
        break
    for s in r:
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)
' >/dev/null 2>&1
ctt_wait_for 15 ip netns exec "$NA" bash -c 'exec 3<>/dev/tcp/10.77.0.2/8080' 2>/dev/null ||
  echo "note: http server 10.77.0.2:8080 did not come up" >&2
ctt_wait_for 15 ip netns exec "$NA" bash -c 'exec 3<>/dev/tcp/fd77::2/8081' 2>/dev/null ||
  echo "note: http server [fd77::2]:8081 did not come up" >&2
ctt_wait_for 15 ip netns exec "$NA" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8090' 2>/dev/null ||
  echo "note: http server 127.0.0.1:8090 did not come up" >&2

http_get() { # NS HOST PORT
  timeout 5 ip netns exec "$1" bash -c \
    'exec 3<>"/dev/tcp/$0/$1" && printf "GET / HTTP/1.0\r\n\r\n" >&3 && cat <&3 >/dev/null' "$2" "$3"
}
# --- TCP: 12 complete HTTP requests over IPv4, 4 over IPv6, 4 on loopback
for i in $(seq 1 12); do http_get "$NA" 10.77.0.2 8080; done
for i in $(seq 1 4); do http_get "$NA" fd77::2 8081; done
for i in $(seq 1 4); do http_get "$NA" 127.0.0.1 8090; done
# --- TCP kept open (ESTABLISHED), and a SYN to a closed port (reset)
ctt_bg OPEN4 ip netns exec "$NA" bash -c 'exec 3<>/dev/tcp/10.77.0.2/8080 && exec sleep 120'
ctt_bg OPEN6 ip netns exec "$NA" bash -c 'exec 3<>/dev/tcp/fd77::2/8081 && exec sleep 120'
timeout 5 ip netns exec "$NA" bash -c 'exec 3<>/dev/tcp/10.77.0.2/9' 2>/dev/null
# --- UDP with fixed ports (so -G can name them), ICMP and ICMPv6 echo
timeout 20 ip netns exec "$NA" python3 - <<'EOF'
import socket, os, struct
def udp(fam, src, dst, sport, n):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(2)
    for i in range(n):
        s.sendto(b"u" * (20 + i), (dst, 7777))
        try:
            s.recvfrom(2048)
        except socket.timeout:
            pass
    s.close()
udp(socket.AF_INET, "10.77.0.1", "10.77.0.2", 5555, 3)
udp(socket.AF_INET, "10.77.0.1", "10.77.0.2", 5556, 1)
udp(socket.AF_INET6, "fd77::1", "fd77::2", 5555, 2)
# one-way UDP (no listener on 7778: ICMP port unreachable comes back)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.1", 5557)); s.sendto(b"x", ("10.77.0.2", 7778)); s.close()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 5558)); s.sendto(b"y" * 5, ("127.0.0.1", 7779)); s.close()

def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
def ping4(dst, ident, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(2)
    for seq in range(n):
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"p" * 16
        hdr = hdr[:2] + struct.pack("!H", csum(hdr)) + hdr[4:]
        s.sendto(hdr, (dst, 0))
        try: s.recvfrom(2048)
        except socket.timeout: pass
    s.close()
def ping6(dst, ident, n):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.settimeout(2)
    for seq in range(n):
        # the kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets
        s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + b"q" * 8, (dst, 0))
        try: s.recvfrom(2048)
        except socket.timeout: pass
    s.close()
ping4("10.77.0.2", 4242, 2)
ping4("127.0.0.1", 4243, 1)
ping6("fd77::2", 4244, 2)
EOF
# A few -I entries next to the real ones (NAT, zone, mark), made by the oracle.
ctt_batch "$NA" <<'EOF'
-I -p tcp -s 10.77.0.1 -d 10.77.0.9 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3:80
-I -p udp -s 10.77.0.1 -d 10.77.0.9 --sport 3 --dport 4 -t 100000 -w 9 -m 9
EOF

# Let the namespaces settle: nothing else is sent from here on, except
# what the kept-open connections do (nothing).
sleep 0.5

# Guard against silently failed traffic.
lst=$(ip netns exec "$NA" "$ORACLE" -L 2>/dev/null)
ctt_check "traffic made >=20 TIME_WAIT, 2 ESTABLISHED, udp and icmp flows" test \
  "$(grep -c TIME_WAIT <<<"$lst")" -ge 20 -a "$(grep -c '^tcp .*ESTABLISHED.*dport=808' <<<"$lst")" -ge 2 \
  -a "$(grep -c '^udp .*dport=7777' <<<"$lst")" -ge 3 \
  -a "$(grep -c '^icmp ' <<<"$lst")" -ge 2 -a "$(grep -c '^icmpv6 ' <<<"$lst")" -ge 1

for N in "$NA" "$NB"; do
  side=a; [[ $N == "$NB" ]] && side=b
  for c in "" "-o extended" "-o xml" "-o save" "-o id" "-o ktimestamp" \
           "-o extended,id,ktimestamp" "-o xml,ktimestamp" "-o labels" \
           "-p tcp" "-p tcp --state TIME_WAIT" "-p tcp --state ESTABLISHED" \
           "-p tcp --dport 8080" "-p tcp --dport 8081 -o xml" "-p udp" \
           "-p udp --sport 5555" "-p icmp" "-p icmpv6" "-p icmp -o xml" \
           "-f ipv6" "-f ipv4 -o save" "-s 10.77.0.1" "-d 10.77.0.0/24" \
           "-s fd77::/64" "-r 127.0.0.1" "-u ASSURED" "-u SEEN_REPLY" \
           "-u !SEEN_REPLY" "-u UNSET" "-m 9" "-w 9" "-w 0" "-g" "-n" "-j" \
           "-s 10.77.0.1 -p tcp --dport 8080 -u ASSURED" "dying" "unconfirmed"; do
    eval "set -- $c"
    ctt_cmp "$side: L $c" --ns "$N" -- -L "$@"
  done
  for c in "" "-o xml" "-o save" "-p tcp"; do
    eval "set -- $c"
    ctt_cmp "$side: L 2>&1 $c" --merge --ns "$N" -- -L "$@"
    ctt_cmp "$side: L 2>&1|cat $c" --pipe --ns "$N" -- -L "$@"
  done
  ctt_cmp "$side: C" --ns "$N" -- -C
done

# -G on the tuples we know (fixed ports / ICMP ids).
for c in "-p udp -s 10.77.0.1 -d 10.77.0.2 --sport 5555 --dport 7777" \
         "-p udp -s 10.77.0.1 -d 10.77.0.2 --sport 5555 --dport 7777 -o xml" \
         "-p udp -s 10.77.0.1 -d 10.77.0.2 --sport 5556 --dport 7777 -o extended,id" \
         "-p udp -s fd77::1 -d fd77::2 --sport 5555 --dport 7777" \
         "-p udp -s 10.77.0.1 -d 10.77.0.2 --sport 5557 --dport 7778" \
         "-p icmp -s 10.77.0.1 -d 10.77.0.2 --icmp-type 8 --icmp-code 0 --icmp-id 4242" \
         "-p icmpv6 -s fd77::1 -d fd77::2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 4244" \
         "-p icmp -s 127.0.0.1 -d 127.0.0.1 --icmp-type 8 --icmp-code 0 --icmp-id 4243 -o save"; do
  eval "set -- $c"
  ctt_cmp "a: G $c" --ns "$NA" -- -G "$@"
done

# Close the open connections: FIN exchange -> TIME_WAIT / CLOSE states.
ctt_stop "$OPEN4"
ctt_stop "$OPEN6"
sleep 0.3
ctt_cmp "a: L after close" --ns "$NA" -- -L -p tcp
ctt_cmp "b: L -o extended after close" --ns "$NB" -- -L -o extended -p tcp

ctt_finish
