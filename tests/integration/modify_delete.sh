#!/usr/bin/env bash
# conntrack -D (and -F with a family): delete by tuple, protocol, ports,
# state, mark/mask, status, CIDR and --mask-src/--mask-dst, family, id,
# zone; -D that matches nothing; -D output formats; option errors; and a
# 5000-entry -D -p tcp at scale.  Twin namespaces (see lib_twin.sh): the
# oracle deletes in one, ours in the other, then stdout (sorted), stderr,
# exit status and the remaining tables are compared.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
. tests/integration/lib_twin.sh

twin_init mdel
T=100000

twin_setup <<EOF
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t $T -m 42
-I -p tcp -s 1.1.1.2 -d 2.2.2.2 --sport 11 --dport 20 --state SYN_SENT -t $T
-I -p tcp -s 1.1.2.3 -d 2.2.2.3 --sport 12 --dport 80 --state SYN_RECV -u SEEN_REPLY -t $T -m 0x10
-I -p tcp -s 1.1.2.4 -d 2.2.2.3 --sport 13 --dport 80 --state FIN_WAIT -u ASSURED -t $T -m 0x11
-I -p tcp -s 1.1.2.5 -d 2.2.2.3 --sport 14 --dport 80 --state CLOSE_WAIT -t $T -m 0xff000010
-I -p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 2 --state ESTABLISHED -t $T --orig-zone 3
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t $T -w 7
-I -p udp -s 1.1.1.3 -d 2.2.2.2 --sport 53 --dport 5353 -t $T -u SEEN_REPLY -m 7
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1000 --dport 2000 -t $T -u FIXED_TIMEOUT
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 77 -t $T
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 13 --icmp-code 0 --icmp-id 78 -t $T -m 42
-I -p gre -s 5.5.5.5 -d 6.6.6.6 --srckey 0x10 --dstkey 0x20 -t $T
-I -p sctp -s 1.1.1.1 -d 2.2.2.2 --sport 100 --dport 200 --state ESTABLISHED --orig-vtag 1 --reply-vtag 2 -t $T
-I -p 2 -s 0.0.0.0 -d 224.0.0.22 -t $T
-I -p 200 -s 7.7.7.7 -d 8.8.8.8 -t $T -m 42
-I -p tcp -s 2001:db8::1 -d 2001:db8::2 --sport 1000 --dport 80 --state ESTABLISHED -t $T -m 42
-I -p udp -s 2001:db8:1::5 -d 2001:db8:2::6 --sport 7 --dport 8 -t $T -u SEEN_REPLY,ASSURED
-I -p icmpv6 -s 2001:db8::1 -d 2001:db8::2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 78 -t $T
-I -p udp -s ::1 -d ::2 --sport 1 --dport 2 -t $T -w 7
-I -p 200 -s ff02::1 -d ::1 -t $T
EOF

twin_each "delete" <<'EOF'
# by tuple
-D -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20
-D -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 21
-D -s 1.1.1.1
-D -d 2.2.2.3
-D -r 2.2.2.2
-D -q 1.1.1.1
-D -s 1.1.1.1 -d 2.2.2.2
-D -s 1.1.1.1 -q 1.1.1.1 -p udp
-D -r 2.2.2.2 -q 1.1.1.1 -p tcp --reply-port-src 20
-D --orig-src 1.1.1.1 --orig-dst 2.2.2.2 -p udp
-D -s 2001:db8::1
-D -d ::2
-D -s 2001:db8::1 -p icmpv6
# by protocol / ports / state / ICMP / GRE
-D -p tcp
-D -p udp
-D -p icmp
-D -p icmpv6
-D -p sctp
-D -p gre
-D -p 2
-D -p igmp
-D -p 200
-D -p 17
-D -p tcp --dport 80
-D -p tcp --sport 10
-D -p tcp --reply-port-dst 11
-D -p tcp --state ESTABLISHED
-D -p tcp --state SYN_SENT
-D -p tcp --dport 80 --state FIN_WAIT
-D -p udp --sport 53
-D -p icmp --icmp-type 8
-D -p icmp --icmp-id 78
-D -p icmp --icmp-type 13 --icmp-code 0
-D -p gre --srckey 0x10
-D -p gre --srckey 0x11
-D -p sctp --state ESTABLISHED
-D -p sctp --sport 100
# by mark / mask
-D -m 42
-D -m 7
-D -m 0
-D -m 0x10/0xff
-D -m 0x10/0xf0
-D -m 0/0xffff0000
-D -m 0xff000000/0xff000000
-D -m 42 -p tcp
-D -m 42 -f ipv6
-D -m 1/0
# by status
-D -u ASSURED
-D -u SEEN_REPLY
-D -u FIXED_TIMEOUT
-D -u SEEN_REPLY,ASSURED
-D -u UNSET
-D -u ASSURED -p udp
# by CIDR / masks
-D -s 1.1.0.0/16
-D -s 1.1.2.0/24
-D -d 2.2.2.0/31
-D -s 0.0.0.0/0
-D -s 10.0.0.0/8 -d 10.0.0.0/24
-D -s 2001:db8::/32
-D -s 2001:db8:1::/48
-D -s ::/0
-D -s 1.1.0.0 --mask-src 255.255.0.0
-D -d 2.2.2.0 --mask-dst 255.255.255.0
-D -s 1.1.2.0 --mask-src 255.255.255.0 -p tcp --dport 80
-D -s 2001:db8:: --mask-src ffff:ffff::
-D --mask-src 255.255.0.0
-D --mask-dst 255.255.0.0
-D -s 1.1.0.0 --mask-src ffff::
-D -s 1.1.1.1/33
-D -r 1.1.1.0/24
# family
-D -f ipv4
-D -f ipv6
-D -f ipv6 -p tcp
-D -f ipv6 -s 1.1.1.1
-D -s 1.1.1.1 -f ipv6
-D -s 1.1.0.0/16 -f ipv6
-D -s 2001:db8::/32 -f ipv4
-D -f inet
-D -s 1.1.1.1 -d ::2
# zones
-D -w 7
-D -w 0
-D --orig-zone 3
-D --reply-zone 3
-D --orig-zone 0 -p tcp
-D -w 7 -f ipv6
# nothing matches: exit 1, "0 flow entries have been deleted."
-D -s 9.8.7.6
-D -p tcp --dport 9999
-D -m 12345
-D -p dccp
-D -p udplite
-D -u EXPECTED
-D -w 99
-D -i 123
# everything
-D
--delete
# output formats
-D -p tcp -o save
-D -p udp -o xml
-D -o extended
-D -p tcp -o id
-D -s 1.1.1.1 -o extended,id
-D -p icmp -o xml,id
-D -p udp -o save,xml
-D -p udp -o foo
-D -o labels -p 200
-D -o timestamp -p gre
-D -o ktimestamp -p gre
# option errors
-D -z
-D -e NEW
-D -p tcp --label-add foo
-D -t
-D -s
-D -p tcp --state FOO
-D -x
-D -b 10
-D --tuple-src 1.1.1.1
-D -p tcp --orig-vtag 5
-D -p sctp --orig-vtag 5
-D -p dccp --role client
-D -c 0
EOF

# -D by conntrack id: %ID% is the id of the matching entry in each twin.
TWIN_ID_MATCH='sport=12 dport=80'
twin "delete -i <id of one entry>" -- -D -i %ID%
twin "delete --id=<id> -p tcp" -- -D --id=%ID% -p tcp
twin "delete -i <id> plus a tuple that does not match" -- -D -i %ID% -s 9.9.9.9
TWIN_ID_MATCH='type=8 code=0 id=77'
twin "delete -i <id> -o id" -- -D -i %ID% -o id

# The order of stdout and stderr in one 2>&1 capture (stdout is buffered:
# the summary comes first); one entry, so the order is deterministic.
twin_setup <<EOF
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t $T -m 42
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t $T
EOF
for args in "-D -p tcp" "-D -p tcp -o xml" "-D -p udp -o save" "-D -m 9"; do
  twin_populate "$TW_O"; twin_populate "$TW_U"
  TWIN_CLEAN=0
  # shellcheck disable=SC2086
  ctt_cmp "delete 2>&1 order: $args" --merge --once --norm "$CTT_NORM_TIME" --norm "$CTT_NORM_ID" \
    --ns "$TW_O" --ns2 "$TW_U" -- $args
done

# -F: only -f is allowed; -F -f flushes one family (kernel-side filter).
twin_setup <<EOF
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t $T
-I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 1 --dport 2 -t $T
-I -p 200 -s 7.7.7.7 -d 8.8.8.8 -t $T
EOF
twin_each "flush" <<'EOF'
-F
-F conntrack
-F -f ipv4
-F -f ipv6
-F -p tcp
-F -s 1.1.1.1
-F -m 1
-F -o save
--flush
EOF

# ------------------------------------------------------------ scale: 5000
# 2500 TCP + 2500 UDP entries, created in one oracle batch; -D -p tcp must
# delete exactly the TCP ones, print exactly that many lines and the right
# summary.  Compared with the oracle, plus explicit counts.
N=2500
{
  for (( i = 0; i < N; i++ )); do
    printf -- '-I -p tcp -s 10.%d.%d.1 -d 10.99.0.1 --sport %d --dport 80 --state ESTABLISHED -t %d\n' \
      $((i / 250)) $((i % 250)) $((1000 + i)) $T
    printf -- '-I -p udp -s 10.%d.%d.2 -d 10.99.0.1 --sport %d --dport 53 -t %d\n' \
      $((i / 250)) $((i % 250)) $((1000 + i)) $T
  done
} >"$CTT_TMP/scale.in"
twin_setup <"$CTT_TMP/scale.in"
twin "scale: -D -p tcp of 2500 in 5000" -- -D -p tcp
d=$CTT_TMP/twin
ctt_check "scale: -D -p tcp printed $N lines" test "$(wc -l <"$d/u.out")" -eq $N
ctt_check "scale: -D -p tcp printed only tcp lines" test "$(grep -c '^tcp ' "$d/u.out")" -eq $N
ctt_check "scale: -D -p tcp summary" grep -qx "${TWIN_P}$N flow entries have been deleted." "$d/u.err"
n=$(ip netns exec "$TW_U" "$ORACLE" -L 2>/dev/null | grep -c '^udp ')
m=$(ip netns exec "$TW_U" "$ORACLE" -C 2>/dev/null)
ctt_check "scale: $N udp entries remain (udp=$n, count=$m)" test "$n" -eq $N -a "$m" -eq $N
twin "scale: -D -s 10.3.0.0/16 -o save" -- -D -s 10.3.0.0/16 -o save
ctt_check "scale: -D -s 10.3.0.0/16 printed 500 -D lines" \
  test "$(grep -c '^-D -t [0-9]* -u UNSET -s 10\.3\.' "$d/u.out")" -eq 500

ctt_finish
