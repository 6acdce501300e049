#!/usr/bin/env bash
# conntrack -I / -A (create, add): validation, pair rules, reply-only
# creates, IPv6, ICMP/ICMPv6, unknown and invalid protocols, EEXIST, status,
# timeouts, ports, SCTP/DCCP/GRE/UDPlite.  Each case runs the oracle and ours
# in twin namespaces populated identically and compares exit status,
# stderr, sorted stdout and the resulting table (see lib_twin.sh).
# -A on an existing entry follows 1.4.8 (spec §8.2) and is asserted
# explicitly; so is "-m with -u keeps the mark" (§8.3).
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
. tests/integration/lib_twin.sh

twin_init mcr
# save shows what extended does not: SCTP vtags, FIXED_TIMEOUT, SEEN_REPLY
TWIN_TABLE_FMTS=(extended save)
T=100000

# ---------------------------------------------------------------- empty table
twin_setup </dev/null
twin_each "create" <<'EOF'
# plain creates
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state SYN_SENT -t 100000 -u SEEN_REPLY,ASSURED
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state TIME_WAIT -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state LISTEN -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state NONE -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state CLOSE -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state SYN_SENT2 -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state established -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state BOGUS -t 100000
-I -p TCP -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000
-I -p 6 -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000
--create --protonum tcp --orig-src 1.1.1.1 --orig-dst 2.2.2.2 --orig-port-src 10 --orig-port-dst 20 --state ESTABLISHED --timeout 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -m 42
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -m 0xffffffff
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -m 7/0xf
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u ASSURED
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u SEEN_REPLY
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u FIXED_TIMEOUT
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u UNSET
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u EXPECTED
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u SRC_NAT
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u assured,seen
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u BOGUS
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u ASSURED,
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u OFFLOAD
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport abc --dport 70000 -t 100000
-I -p udp -s 1 -d 0x02020202 --sport 1 --dport 2 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 0
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t abc
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 5
-I -p udplite -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 100000
-I -p sctp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 --state ESTABLISHED --orig-vtag 10 --reply-vtag 20 -t 100000
-I -p sctp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 --state COOKIE_WAIT --orig-vtag 10 -t 100000
-I -p sctp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 --orig-vtag 10 --reply-vtag 20 -t 100000
-I -p dccp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 --state OPEN --role client -t 100000
-I -p dccp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 --state OPEN -t 100000
-I -p gre -s 1.1.1.1 -d 2.2.2.2 --srckey 0x10 --dstkey 0x20 -t 100000
-I -p gre -s 1.1.1.1 -d 2.2.2.2 --srckey 0x10 -t 100000
-I -p gre -s 1.1.1.1 -d 2.2.2.2 --srckey 0x12345 --dstkey 99 -t 100000
# IPv6
-I -p tcp -s 2001:db8::1 -d 2001:db8::2 --sport 1000 --dport 80 --state ESTABLISHED -t 100000
-I -p udp -s :: -d ::1 --sport 1 --dport 2 -t 100000 -m 5
-I -p udp -s ::ffff:1.2.3.4 -d fe80::1 --sport 1 --dport 2 -t 100000
-I -p udp -s 1.1.1.1 -d ::1 --sport 1 --dport 2 -t 100000
-I -p udp -s ::1 -d 1.1.1.1 --sport 1 --dport 2 -t 100000
-I -p udp -s 2001:db8::/64 -d ::1 --sport 1 --dport 2 -t 100000
-I -p udp -s 1.1.1.0/24 -d 2.2.2.2 --sport 1 --dport 2 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.0/24 -q 1.1.1.1 --sport 1 --dport 2 -t 100000
-I -p udp -s 1.1.1.300 -d 2.2.2.2 --sport 1 --dport 2 -t 100000
-I -p udp -s foo -d 2.2.2.2 --sport 1 --dport 2 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 100000 -f ipv4
EOF

twin_each "create-missing" <<'EOF'
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED
-I -s 1.1.1.1 -d 2.2.2.2 -t 100000
-I -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 100000
-I -s 1.1.1.1 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 100000
-I -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --state ESTABLISHED -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --state ESTABLISHED -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --dport 10 --state ESTABLISHED -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 -t 100000
-I -p udp -r 2.2.2.2 -t 100000 --sport 1 --dport 2
-I -p udp -q 2.2.2.2 -t 100000 --sport 1 --dport 2
-I -p udp -s 1.1.1.1 -q 2.2.2.2 -t 100000 --sport 1 --dport 2
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --reply-port-src 2 -t 100000
-I -p udp -r 2.2.2.2 -q 1.1.1.1 --reply-port-src 2 -t 100000
-I -p udp -r 2.2.2.2 -q 1.1.1.1 --sport 2 --dport 1 -t 100000
-I -p gre -r 2.2.2.2 -q 1.1.1.1 --reply-key-src 2 -t 100000
-I -t 100000
-I
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-code 0 -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 -z
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 -i 5
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 -o save
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 --mask-src 255.0.0.0
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 -f ipv6
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 -e NEW
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 -l foo
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 -j
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 --tuple-src 1.1.1.1
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 --orig-vtag 5
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 --mask-port-src 5
-I -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -p tcp --state ESTABLISHED -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000 -L
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t
EOF

# reply-tuple-only and both-tuple creates
twin_each "create-reply" <<'EOF'
-I -p tcp -r 2.2.2.2 -q 1.1.1.1 --reply-port-src 20 --reply-port-dst 10 --state ESTABLISHED -t 100000
-I -p udp -r 2.2.2.2 -q 1.1.1.1 --reply-port-src 20 --reply-port-dst 10 -t 100000
-I -p udp -r 2001:db8::2 -q 2001:db8::1 --reply-port-src 20 --reply-port-dst 10 -t 100000
-I -p gre -r 2.2.2.2 -q 1.1.1.1 --reply-key-src 0x20 --reply-key-dst 0x10 -t 100000
-I -p 200 -r 2.2.2.2 -q 1.1.1.1 -t 100000
-I -p icmp -r 2.2.2.2 -q 1.1.1.1 --icmp-type 0 --icmp-code 0 --icmp-id 5 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 -r 3.3.3.3 -q 1.1.1.1 --sport 10 --dport 20 --reply-port-src 80 --reply-port-dst 10 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 --sport 10 --dport 20 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 4.4.4.4 --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 99 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 -r 2001:db8::2 -q 2001:db8::1 --sport 10 --dport 20 -t 100000
EOF

# ICMP / ICMPv6: type/code/id, the derived reply type, the family known only
# after the type (reply type 255 -> the kernel refuses)
twin_each "create-icmp" <<'EOF'
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 77 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 13 --icmp-code 0 --icmp-id 1 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 15 --icmp-code 0 --icmp-id 1 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 17 --icmp-code 0 --icmp-id 1 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 3 --icmp-code 1 --icmp-id 1 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 0 --icmp-code 0 --icmp-id 1 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 5 --icmp-id 65535 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 264 --icmp-code 0 --icmp-id 70000 -t 100000
-I -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 9 -s 1.1.1.1 -d 2.2.2.2 -t 100000
-I -p icmp -s 2001:db8::1 -d 2001:db8::2 --icmp-type 8 --icmp-code 0 --icmp-id 1 -t 100000
-I -p icmpv6 -s 2001:db8::1 -d 2001:db8::2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 78 -t 100000
-I -p icmpv6 -s 2001:db8::1 -d 2001:db8::2 --icmpv6-type 130 --icmpv6-code 0 --icmpv6-id 78 -t 100000
-I -p icmpv6 -s 2001:db8::1 -d 2001:db8::2 --icmpv6-type 1 --icmpv6-code 0 --icmpv6-id 78 -t 100000
-I -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 7 -s ::1 -d ::2 -t 100000
-I -p icmpv6 -s 1.1.1.1 -d 2.2.2.2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 78 -t 100000
-I -p ipv6-icmp -s ::1 -d ::2 --icmpv6-type 128 --icmpv6-code 0 -t 100000
-I -p icmpv6 -s ::1 -d ::2 --icmp-type 128 --icmp-code 0 -t 100000
EOF

# unknown protocols (by number and by /etc/protocols name) and invalid -p
twin_each "create-proto" <<'EOF'
-I -p 2 -s 0.0.0.0 -d 224.0.0.22 -t 100000
-I -p igmp -s 0.0.0.0 -d 224.0.0.22 -t 100000
-I -p IGMP -s 0.0.0.0 -d 224.0.0.22 -t 100000
-I -p 200 -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p 0x2 -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p 255 -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p 0 -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p 200 -s ff02::1 -d ::1 -t 100000
-I -p 200 -s 7.7.7.7 -d 8.8.8.8 -t 100000 --sport 1
-I -p 256 -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p -10 -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p 2000 -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p 20foo -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p foo20 -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p foo -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p '' -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p 47 -s 7.7.7.7 -d 8.8.8.8 --srckey 1 --dstkey 2 -t 100000
-I -p 17 -s 7.7.7.7 -d 8.8.8.8 --sport 1 --dport 2 -t 100000
EOF

# -A on a fresh table behaves like -I with "added"
twin_each "add" <<'EOF'
-A -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000
-A -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 100000 -m 3
-A -p udp -r 2.2.2.2 -q 1.1.1.1 --reply-port-src 20 --reply-port-dst 10 -t 100000
-A -p tcp -s 2001:db8::1 -d 2001:db8::2 --sport 1 --dport 2 --state ESTABLISHED -t 100000
-A -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 1 -t 100000
-A -p icmpv6 -s ::1 -d ::2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 1 -t 100000
-A -p 200 -s 7.7.7.7 -d 8.8.8.8 -t 100000
--add -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 100000
-A -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 100000
-A -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED
-A -s 1.1.1.1 -d 2.2.2.2 -t 100000
-A -p udp -s 1.1.1.1 --sport 10 --dport 20 -t 100000
-A -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 10 -t 100000
-A -p 256 -s 7.7.7.7 -d 8.8.8.8 -t 100000
-A -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 -t 100000
-A -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 100000 -i 1
EOF

# 1.4.8 (spec §8.3): -u no longer overwrites the -m value on create.  The
# oracle (1.4.7) would store mark=4, so it gets the command without -u plus
# a status update afterwards (-U with -f: 1.4.7's -U needs the family).
twin "create -m 123 -u ASSURED keeps the mark (1.4.8)" \
  --opost "-U -f ipv4 -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -u ASSURED" -- \
  -I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t $T -m 123 \
  --ours -I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t $T -m 123 -u ASSURED
twin "create -u SEEN_REPLY -m 0x55 keeps the mark (1.4.8)" \
  --opost "-U -f ipv4 -p tcp -s 1.1.1.1 -u SEEN_REPLY" -- \
  -I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 --state ESTABLISHED -t $T -m 0x55 \
  --ours -I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 --state ESTABLISHED -t $T -u SEEN_REPLY -m 0x55

# An unknown SCTP state: the 1.4.7 oracle crashes (its state table is
# shorter than the kernel header's SCTP_CONNTRACK_MAX); upstream's intended
# behaviour is the parameter error, asserted here.
twin "create sctp --state FOO (oracle segfaults; intended error)" \
  --rc 2 --err "${TWIN_P}unknown SCTP state \`FOO'"$'\n'"$TWIN_TRY" -- \
  -I -p sctp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 --state FOO --orig-vtag 10 --reply-vtag 20 -t 100000

# ------------------------------------------------------ existing entries
twin_setup <<EOF
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t $T -m 5
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t $T -m 6
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 77 -t $T
-I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 1 --dport 2 -t $T
-I -p 200 -s 7.7.7.7 -d 8.8.8.8 -t $T
EOF
twin_each "eexist" <<'EOF'
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t 100000
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state SYN_SENT -t 50
-I -p tcp -r 2.2.2.2 -q 1.1.1.1 --reply-port-src 20 --reply-port-dst 10 --state ESTABLISHED -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000
-I -p udp -s 2.2.2.2 -d 1.1.1.1 --sport 5353 --dport 53 -t 100000
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 77 -t 100000
-I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 1 --dport 2 -t 100000
-I -p 200 -s 7.7.7.7 -d 8.8.8.8 -t 100000
-I -p 200 -s 8.8.8.8 -d 7.7.7.7 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5354 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 --sport 53 --dport 5353 --reply-port-src 5353 --reply-port-dst 54 -t 100000
EOF

# -A on an existing entry (spec §8.2): 1.4.8 sends no NLM_F_EXCL, so the
# kernel updates the entry in place and the tool counts it ("1 ... added",
# exit 0); 1.4.7 swallowed EEXIST ("0 ... added").  The oracle twin gets the
# same change through -U (with -f, which 1.4.7's -U needs).
A="${TWIN_P}1 flow entries have been added."
twin "add existing, new timeout (1.4.8)" --err "$A" --rc 0 --out "" -- \
  -U -f ipv4 -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 500 \
  --ours -A -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 500
twin "add existing, new mark (1.4.8)" --err "$A" --rc 0 --out "" -- \
  -U -f ipv4 -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -m 99 \
  --ours -A -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -m 99
twin "add existing, same values (1.4.8)" --err "$A" --rc 0 --out "" -- \
  -L -p udp -s 1.1.1.1 --sport 53 \
  --ours -A -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -m 6
twin "add existing, status ASSURED (1.4.8)" --err "$A" --rc 0 --out "" -- \
  -U -f ipv4 -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u ASSURED \
  --ours -A -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -u ASSURED
twin "add existing tcp, new state (1.4.8)" --err "$A" --rc 0 --out "" -- \
  -U -f ipv4 -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 700 --state TIME_WAIT \
  --ours -A -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 700 --state TIME_WAIT
twin "add existing ipv6 (1.4.8)" --err "$A" --rc 0 --out "" -- \
  -U -f ipv6 -p udp -s 2001:db8::1 -t 800 \
  --ours -A -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 1 --dport 2 -t 800
twin "add existing by reply tuple (1.4.8)" --err "$A" --rc 0 --out "" -- \
  -U -f ipv4 -p udp -s 1.1.1.1 --sport 53 -t 900 \
  --ours -A -p udp -r 2.2.2.2 -q 1.1.1.1 --reply-port-src 5353 --reply-port-dst 53 -t 900
# -A twice in a row (upstream 10add): both succeed
twin "add twice: second -A (1.4.8)" --err "$A" --rc 0 --out "" \
  --upre "-I -p udp -s 3.3.3.3 -d 4.4.4.4 --sport 1 --dport 2 -t $T" \
  --opre "-I -p udp -s 3.3.3.3 -d 4.4.4.4 --sport 1 --dport 2 -t $T" -- \
  -L -p udp -s 3.3.3.3 \
  --ours -A -p udp -s 3.3.3.3 -d 4.4.4.4 --sport 1 --dport 2 -t $T
# an -A that collides with an existing entry's REPLY tuple only: the kernel
# refuses with EEXIST (the tuples are in use).  1.4.8 reports it as an error
# (err2str maps EEXIST only for -I, so strerror); 1.4.7 sent EXCL and
# swallowed EEXIST ("0 flow entries have been added.", exit 0).
twin "add clashing reply tuple (1.4.8)" --rc 1 --err "${TWIN_P}Operation failed: File exists" -- \
  -A -p udp -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 --sport 53 --dport 5354 --reply-port-src 5353 --reply-port-dst 53 -t 100000

ctt_finish
