#!/usr/bin/env bash
# conntrack -U: marks (value, value/mask), status (ASSURED, SEEN_REPLY,
# FIXED_TIMEOUT), timeouts, the filters -U applies (tuple, protocol, ports,
# CIDR, masks, id), the print-back formats, "nothing to change" (exit 1),
# option errors, and a 5000-entry -U -m 1 -p udp at scale.
#
# 1.4.8 difference (spec §8.4): 1.4.7 sends each update with the family of
# the command line (AF_UNSPEC without -f/-s), which the kernel refuses
# ("Operation failed: Operation not supported"); 1.4.8 uses each entry's
# own family.  So on a single-family table the oracle gets the same command
# plus `-f <that family>`, which 1.4.7 executes exactly as 1.4.8 executes
# the plain command; ours always gets the plain command.  Mixed-family
# tables are checked with two oracle runs (one per family).
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
. tests/integration/lib_twin.sh

twin_init mupd
T=100000
# extended shows mark, state, ASSURED/UNREPLIED; the cases about
# FIXED_TIMEOUT add the save format, which shows it
TWIN_TABLE_FMTS=(extended)

# twin_each_fam PREFIX FAMILY: like twin_each, with `-f FAMILY` added after
# the oracle's command letter (see above).
twin_each_fam() {
  local prefix=$1 fam=$2 line
  local -a lines=()
  mapfile -t lines
  for line in "${lines[@]}"; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    line=${line#"${line%%[![:space:]]*}"}
    eval "set -- $line"
    twin "$prefix $line" --print-back -- "$1" -f "$fam" "${@:2}" --ours "$@"
  done
}

# No zoned entry here (-U cannot reach it: see modify_zones_marks.sh) and no
# FIXED_TIMEOUT one (-t on it fails with EPERM: see below), because 1.4.8
# stops at the first failing entry, so the result would depend on the
# per-namespace dump order.
twin_setup <<EOF
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t $T -m 42
-I -p tcp -s 1.1.1.2 -d 2.2.2.2 --sport 11 --dport 20 --state SYN_SENT -t $T
-I -p tcp -s 1.1.2.3 -d 2.2.2.3 --sport 12 --dport 80 --state SYN_RECV -u SEEN_REPLY -t $T -m 0x10
-I -p tcp -s 1.1.2.4 -d 2.2.2.3 --sport 13 --dport 80 --state FIN_WAIT -u ASSURED -t $T -m 0x11
-I -p tcp -s 1.1.2.5 -d 2.2.2.3 --sport 14 --dport 80 --state CLOSE_WAIT -t $T -m 0xff000010
-I -p udp -s 1.1.1.3 -d 2.2.2.2 --sport 53 --dport 5353 -t $T -u SEEN_REPLY -m 7
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1000 --dport 2000 -t $T -m 0xffffffff
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 77 -t $T
-I -p gre -s 5.5.5.5 -d 6.6.6.6 --srckey 0x10 --dstkey 0x20 -t $T -m 42
-I -p sctp -s 1.1.1.1 -d 2.2.2.2 --sport 100 --dport 200 --state ESTABLISHED --orig-vtag 1 --reply-vtag 2 -t $T
-I -p 200 -s 7.7.7.7 -d 8.8.8.8 -t $T -m 42
EOF

twin_each_fam "update" ipv4 <<'EOF'
# marks: value, value/mask (new = (old & ~mask) ^ value)
-U -m 5
-U -m 0
-U -m 42
-U -m 0xffffffff
-U -m 0/0xffff0000
-U -m 42/0xffff
-U -m 0x100/0x100
-U -m 0x1/0x0
-U -m 0xff000000/0xff000000
-U -m 5 -p udp
-U -m 5 -p tcp --dport 80
-U -m 5 -p tcp --state ESTABLISHED
-U -m 5 -p icmp
-U -m 5 -p gre
-U -m 5 -p 200
-U -m 5 -p sctp
# status (bits can only be set)
-U -u ASSURED
-U -u SEEN_REPLY
-U -u ASSURED,SEEN_REPLY -p udp
-U -u UNSET
-U -u SRC_NAT -m 9
-U -u ASSURED -m 3
-U -u BOGUS
# timeouts
-U -t 500
-U -t 500 -p udp
-U -t 777 -p tcp --sport 10
# filters
-U -s 1.1.1.1 -m 9
-U -d 2.2.2.3 -m 9
-U -r 2.2.2.2 -m 9
-U -q 1.1.1.1 -m 9
-U -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20 -m 9
-U -s 1.1.1.1 -d 2.2.2.2 -p udp -m 9
-U -s 1.1.0.0/16 -m 9
-U -s 1.1.2.0/24 -m 9
-U -d 2.2.2.0 --mask-dst 255.255.255.0 -m 9
-U -s 10.0.0.0 --mask-src 255.0.0.0 -t 600
-U --mask-src 255.0.0.0 -m 9
-U -s 1.1.1.1/40 -m 9
-U -p tcp --reply-port-src 80 -m 9
-U -p icmp --icmp-type 8 -m 9
-U -p icmp --icmp-type 0 -m 9
# print-back formats (-U prints -A in save mode)
-U -m 3 -o save
-U -m 3 -o xml
-U -m 3 -o extended
-U -m 3 -o id -p tcp
-U -m 3 -o extended,id -p udp
-U -m 3 -o save,xml
# nothing matches / nothing changes: exit 1, "0 flow entries have been updated."
-U -s 9.9.9.9 -m 1
-U -p udplite -m 1
-U -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -m 42
-U -p gre -m 42
-U -p tcp
-U
-U -u ASSURED -p tcp --sport 10
# option errors
-U -z -m 1
-U -w 5 -m 1
-U --orig-zone 5 -m 1
-U -e NEW
-U -m
-U -p tcp --state FOO -m 1
-U -b 5 -m 1
-U --tuple-src 1.1.1.1 -m 1
-U -p tcp --orig-vtag 5 -m 1
EOF

# -U by id (%ID% = the id of the matching entry in each twin)
TWIN_ID_MATCH='sport=12 dport=80'
twin "update -i <id> -m 9" --print-back -- -U -f ipv4 -i %ID% -m 9 --ours -U -i %ID% -m 9
twin "update --id=<id> -t 600 -o save" --print-back -- -U -f ipv4 --id=%ID% -t 600 -o save --ours -U --id=%ID% -t 600 -o save
twin "update -i 1 -m 9 (no such id)" -- -U -f ipv4 -i 1 -m 9 --ours -U -i 1 -m 9

# the same command without -f: what 1.4.8 does (and 1.4.7 cannot)
twin "update -m 5 without -f (1.4.8)" --print-back --rc 0 --err "${TWIN_P}11 flow entries have been updated." -- \
  -U -f ipv4 -m 5 --ours -U -m 5
twin "update -p udp -u ASSURED without -f (1.4.8)" --print-back -- \
  -U -f ipv4 -p udp -u ASSURED --ours -U -p udp -u ASSURED

twin "update -u FIXED_TIMEOUT" --print-back --table-fmt extended --table-fmt save -- \
  -U -f ipv4 -u FIXED_TIMEOUT --ours -U -u FIXED_TIMEOUT
twin "update -s 10.0.0.0/8 -u FIXED_TIMEOUT" --print-back --table-fmt extended --table-fmt save -- \
  -U -f ipv4 -s 10.0.0.0/8 -u FIXED_TIMEOUT --ours -U -s 10.0.0.0/8 -u FIXED_TIMEOUT

# 1.4.7 overwrote the -m value with the -u value when -u came after -m
# (spec §8.3, observed mark=4 for ASSURED): 1.4.8 sets both.  The oracle twin
# sets the status first, then runs the command without -u.
twin "update -t 500 -m 1 -u ASSURED -p tcp (1.4.8)" --print-back \
  --opre "-U -f ipv4 -p tcp -u ASSURED" -- \
  -U -f ipv4 -t 500 -m 1 -p tcp --ours -U -t 500 -m 1 -u ASSURED -p tcp
twin "update -m 3 -u ASSURED -p icmp (1.4.8)" --print-back \
  --opre "-U -f ipv4 -p icmp -u ASSURED" -- \
  -U -f ipv4 -m 3 -p icmp --ours -U -m 3 -u ASSURED -p icmp

# FIXED_TIMEOUT: the kernel refuses a new timeout (EPERM).  1.4.8 stops with
# "Operation failed: <EPERM text>" (exit 1); 1.4.7 printed the error and went
# on counting.  Other changes to such an entry work.
twin_setup <<EOF
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1000 --dport 2000 -t $T -u FIXED_TIMEOUT -m 5
EOF
twin "update -t 500 on a FIXED_TIMEOUT entry (1.4.8)" --rc 1 --out "" \
  --err "${TWIN_P}Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this" -- \
  -U -f ipv4 -t 500 --ours -U -t 500
TWIN_TABLE_FMTS=(extended save)
twin_each_fam "update fixed" ipv4 <<'EOF'
-U -m 6
-U -u ASSURED
-U -u FIXED_TIMEOUT
-U -m 6 -o save
EOF
TWIN_TABLE_FMTS=(extended)

# --------------------------------------------------------------- IPv6 only
twin_setup <<EOF
-I -p tcp -s 2001:db8::1 -d 2001:db8::2 --sport 1000 --dport 80 --state ESTABLISHED -t $T -m 42
-I -p udp -s 2001:db8:1::5 -d 2001:db8:2::6 --sport 7 --dport 8 -t $T -u SEEN_REPLY,ASSURED
-I -p icmpv6 -s 2001:db8::1 -d 2001:db8::2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 78 -t $T
-I -p udp -s ::1 -d ::2 --sport 1 --dport 2 -t $T
EOF
twin_each_fam "update6" ipv6 <<'EOF'
-U -m 5
-U -m 0/0xffff0000
-U -u ASSURED
-U -t 500 -p udp
-U -s 2001:db8::1 -m 9
-U -s 2001:db8::/32 -m 9
-U -s 2001:db8:: --mask-src ffff:ffff:: -m 9
-U -d ::2 -p udp --dport 2 -m 9
-U -p icmpv6 --icmpv6-type 128 -m 9
-U -m 3 -o save
-U -m 3 -o xml
-U -s 2001:db8::99 -m 1
EOF
twin "update6 -s 1.1.1.1 on an ipv6 table" --print-back -- -U -s 1.1.1.1 -m 1

# ------------------------------------------------------------ mixed family
twin_setup <<EOF
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t $T -m 42
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t $T
-I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 7 --dport 8 -t $T -m 42
-I -p 200 -s ff02::1 -d ::1 -t $T
EOF
# 1.4.8: one run updates both families; the oracle twin needs one run per
# family (its stdout is not comparable then: checked by count below).
twin "update mixed families: -m 5 (1.4.8)" --no-stdout \
  --opre "-U -f ipv6 -m 5" --rc 0 --err "${TWIN_P}4 flow entries have been updated." -- \
  -U -f ipv4 -m 5 --ours -U -m 5
ctt_check "update mixed families: -m 5 printed 4 entries" \
  test "$(wc -l <"$CTT_TMP/twin/u.out")" -eq 4
twin "update mixed families: -p udp -t 500 (1.4.8)" --no-stdout \
  --opre "-U -f ipv6 -p udp -t 500" --rc 0 --err "${TWIN_P}2 flow entries have been updated." -- \
  -U -f ipv4 -p udp -t 500 --ours -U -p udp -t 500
ctt_check "update mixed families: -p udp printed 2 udp entries" \
  test "$(grep -c '^udp ' "$CTT_TMP/twin/u.out")" -eq 2
twin "update mixed families: -m 42 only changes mark-0 entries (1.4.8)" --no-stdout \
  --opre "-U -f ipv6 -m 42" --rc 0 --err "${TWIN_P}2 flow entries have been updated." -- \
  -U -f ipv4 -m 42 --ours -U -m 42
# the family filters are the same in 1.4.7 and 1.4.8
twin_each "update mixed" --print-back <<'EOF'
-U -f ipv6 -m 5
-U -f ipv4 -m 5 -o save
-U -f ipv6 -s 1.1.1.1 -m 5
-U -s 2001:db8::1 -m 7
-U -s 1.1.1.1 -p udp -t 900
EOF

# ------------------------------------------------------------ scale: 5000
# 2500 TCP + 2500 UDP; -U -m 1 -p udp updates exactly the UDP ones.
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
# 1.4.8 only: 1.4.7 fails here with "Operation failed: No buffer space
# available" (its print-back requests set NLM_F_ACK, spec §8.5), so ours is
# checked on its own.
twin_populate "$TW_U"
d=$CTT_TMP/twin
timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$TW_U" "$CONNTRACK" -U -m 1 -p udp \
  >"$d/u.out" 2>"$d/u.err"
rc=$?
ctt_check "scale: -U -m 1 -p udp on 5000: exit 0 (got $rc)" test $rc -eq 0
ctt_check "scale: -U printed $N lines" test "$(wc -l <"$d/u.out")" -eq $N
ctt_check "scale: -U printed only udp lines with mark=1" \
  test "$(grep -c '^udp .* mark=1 ' "$d/u.out")" -eq $N
ctt_check "scale: -U summary is the only stderr line" \
  test "$(cat "$d/u.err")" = "${TWIN_P}$N flow entries have been updated."
n1=$(ip netns exec "$TW_U" "$ORACLE" -L -m 1 2>/dev/null | grep -c '^udp ')
n0=$(ip netns exec "$TW_U" "$ORACLE" -L -m 0 2>/dev/null | grep -c '^tcp ')
ctt_check "scale: table has $N udp with mark 1 ($n1) and $N tcp with mark 0 ($n0)" \
  test "$n1" -eq $N -a "$n0" -eq $N

ctt_finish
