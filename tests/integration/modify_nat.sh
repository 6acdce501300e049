#!/usr/bin/env bash
# NAT: -I with --src-nat/--dst-nat (IP, IP:port, [v6]:port, bare v6, both,
# bad ports and addresses), and the NAT filters -n/-g/-j on -L, -D and -U,
# over IPv4 and IPv6.  Twin namespaces (see lib_twin.sh).
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
. tests/integration/lib_twin.sh

twin_init mnat
T=100000

# ------------------------------------------------------------- create, v4
twin_setup </dev/null
twin_each "nat-create" <<'EOF'
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3:80
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --src-nat 4.4.4.4:99
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --src-nat 4.4.4.4
-I -p udp -s 9.9.9.5 -d 2.2.2.2 --sport 14 --dport 24 -t 100000 --src-nat 4.4.4.6:1024 --dst-nat 3.3.3.5:53
-I -p udp -s 9.9.9.5 -d 2.2.2.2 --sport 14 --dport 24 -t 100000 -n 4.4.4.6 -g 3.3.3.5
-I -p udp -s 9.9.9.5 -d 2.2.2.2 --sport 14 --dport 24 -t 100000 --src-nat=4.4.4.6:5
-I -p icmp -s 9.9.9.5 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 1 -t 100000 --src-nat 4.4.4.6
-I -p icmp -s 9.9.9.5 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 1 -t 100000 --src-nat 4.4.4.6:7
-I -p 200 -s 9.9.9.5 -d 2.2.2.2 -t 100000 --dst-nat 3.3.3.3
-I -p 200 -s 9.9.9.5 -d 2.2.2.2 -t 100000 --dst-nat 3.3.3.3:80
-I -p gre -s 9.9.9.5 -d 2.2.2.2 --srckey 1 --dstkey 2 -t 100000 --dst-nat 3.3.3.3:80
-I -p sctp -s 9.9.9.5 -d 2.2.2.2 --sport 1 --dport 2 --state ESTABLISHED --orig-vtag 1 --reply-vtag 2 -t 100000 --dst-nat 3.3.3.3:80
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3:
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3:abc
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3:70000
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3:-1
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3:65535
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3:0
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.0/24
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat foo
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat :80
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --src-nat
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --dst-nat 2001:db8::3
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 --any-nat 3.3.3.3
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 -j
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 -g 3.3.3.3 -j
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t 100000 -a 1.1.1.1
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state LISTEN -t 100000 --dst-nat 3.3.3.3:80
-I -p tcp -r 2.2.2.2 -q 9.9.9.9 --reply-port-src 21 --reply-port-dst 11 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3:80
EOF

# ------------------------------------------------------------- create, v6
twin_each "nat6-create" <<'EOF'
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat [2001:db8:3::3]:8080
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat 2001:db8:3::3
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat [2001:db8:3::3]
-I -p udp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 -t 100000 --src-nat [2001:db8:4::4]:99
-I -p udp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 -t 100000 --src-nat [2001:db8:4::4]:99 --dst-nat [2001:db8:3::3]:53
-I -p udp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 -t 100000 --src-nat 2001:db8:4::4
-I -p icmpv6 -s 2001:db8:2::1 -d 2001:db8:2::2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 5 -t 100000 --src-nat 2001:db8:4::4
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat [2001:db8:3::3
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat []:80
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat [2001:db8:3::3]:
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat [2001:db8:3::3]:99999
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat [2001:db8:3::3]:8x
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat [2001:db8:3::3]80
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat [foo]:80
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat 2001:db8:3::/64
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --dst-nat 3.3.3.3:80
EOF

# ------------------------------------------------------------ NAT filters
twin_setup <<EOF
-I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state ESTABLISHED -t $T --dst-nat 3.3.3.3:80
-I -p tcp -s 9.9.9.8 -d 2.2.2.2 --sport 11 --dport 21 --state TIME_WAIT -t $T --src-nat 4.4.4.4:99 -u ASSURED,SEEN_REPLY
-I -p tcp -s 9.9.9.7 -d 2.2.2.2 --sport 12 --dport 22 --state ESTABLISHED -t $T --src-nat 4.4.4.5
-I -p tcp -s 9.9.9.6 -d 2.2.2.2 --sport 13 --dport 23 --state ESTABLISHED -t $T --dst-nat 3.3.3.4 -m 7
-I -p udp -s 9.9.9.5 -d 2.2.2.2 --sport 14 --dport 24 -t $T --src-nat 4.4.4.6:1024 --dst-nat 3.3.3.5:53
-I -p udp -s 9.9.9.4 -d 2.2.2.2 --sport 15 --dport 25 -t $T
-I -p udp -s 9.9.9.3 -d 2.2.2.2 -r 2.2.2.2 -q 9.9.9.3 --sport 16 --dport 26 --reply-port-src 26 --reply-port-dst 99 -t $T
-I -p icmp -s 9.9.9.2 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 1 -t $T --src-nat 4.4.4.4
-I -p 200 -s 9.9.9.1 -d 2.2.2.2 -t $T --dst-nat 3.3.3.3
-I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t $T --dst-nat [2001:db8:3::3]:8080
-I -p udp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 -t $T --src-nat [2001:db8:4::4]:99
-I -p udp -s 2001:db8:2::5 -d 2001:db8:2::2 --sport 1 --dport 2 -t $T
EOF
twin_each "nat-filter" <<'EOF'
-L -n
-L -g
-L -j
-L -n -g
-L --src-nat
-L --dst-nat
-L --any-nat
-L -n 4.4.4.4
-L -n 4.4.4.4:99
-L -n 4.4.4.4:98
-L -n 4.4.4.5
-L -g 3.3.3.3
-L -g 3.3.3.3:80
-L -g 3.3.3.4 -m 7
-L -j 3.3.3.3
-L -j 4.4.4.6
-L -j 4.4.4.6:1024
-L -n 4.4.4.6:1024 -g 3.3.3.5:53
-L -n -p udp
-L -n -p icmp
-L -g -p 200
-L -n 2001:db8:4::4
-L -n [2001:db8:4::4]:99
-L -g [2001:db8:3::3]:8080
-L -g 2001:db8:3::3
-L -j -f ipv6
-L -n -f ipv4
-L -n 9.9.9.9
-L -j -n
-L -j -g 3.3.3.3
-L -n 4.4.4.4:
-L -n 4.4.4.4:abc
-L -n 4.4.4.0/24
-L -o save -n
-L -o xml -g
-D -n
-D -g
-D -j
-D -n 4.4.4.4
-D -n 4.4.4.4:99
-D -g 3.3.3.3:80
-D -g 3.3.3.4 -p tcp
-D -j -p udp
-D -n -g
-D -g [2001:db8:3::3]:8080
-D -n 2001:db8:4::4 -f ipv6
-D -n 5.5.5.5
-D -n -o save
-D -j -n
EOF
# -U with NAT filters (1.4.8 family handling: see modify_update.sh; the
# oracle gets -f ipv4, ours the plain command, so the NAT filters decide
# within the IPv4 entries -- here only IPv4 entries have those addresses)
twin "nat-filter -U -n 4.4.4.4 -m 5" --print-back -- -U -f ipv4 -n 4.4.4.4 -m 5 --ours -U -n 4.4.4.4 -m 5
twin "nat-filter -U -g 3.3.3.3 -m 5" --print-back -- -U -f ipv4 -g 3.3.3.3 -m 5 --ours -U -g 3.3.3.3 -m 5
twin "nat-filter -U -j -m 5 -f ipv4" --print-back -- -U -f ipv4 -j -m 5
twin "nat-filter -U -n -p udp -t 500 -f ipv4" --print-back -- -U -f ipv4 -n -p udp -t 500
twin "nat-filter -U -g -f ipv6 -m 5" --print-back -- -U -f ipv6 -g -m 5

ctt_finish
