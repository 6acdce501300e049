#!/usr/bin/env bash
# conntrack -G (get by tuple), -C (count), -S (stats), -F (flush), -V, -h and
# the no-argument usage, each compared with the oracle.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh

ctt_new_ns NS gcsf
ctt_new_ns NS_EMPTY gcsfe
ctt_populate "$NS"
ctt_expect_count "populated" "$NS" 36

# ---------------------------------------------------------------- -G
t1=(-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20)
get_cases=(
  "${t1[*]}"
  "${t1[*]} -o xml" "${t1[*]} -o extended" "${t1[*]} -o save" "${t1[*]} -o id"
  "${t1[*]} -o ktimestamp" "${t1[*]} -o xml,ktimestamp" "${t1[*]} -o extended,id,ktimestamp"
  "${t1[*]} -o labels" "${t1[*]} -o save,xml" "${t1[*]} -o userspace"
  "-p tcp -r 2.2.2.2 -q 1.1.1.1 --reply-port-src 20 --reply-port-dst 10"
  "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED"
  "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 21"
  "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 21 -o xml"
  "-p udp -s 1.1.1.3 -d 2.2.2.2 --sport 53 --dport 5353"
  "-p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353"
  "-p udp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 5"
  "-p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21"
  "-p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 -o save"
  "-p tcp -r 3.3.3.3 -q 9.9.9.9 --reply-port-src 80 --reply-port-dst 11"
  "-p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 77"
  "-p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 77 -o xml"
  "-p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0"
  "-p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8"
  "-p icmpv6 -s 2001:db8::1 -d 2001:db8::2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 78"
  "-p sctp -s 1.1.1.1 -d 2.2.2.2 --sport 100 --dport 200"
  "-p sctp -s 1.1.1.1 -d 2.2.2.2 --sport 100 --dport 200 -o xml"
  "-p dccp -s 1.1.1.1 -d 2.2.2.2 --sport 100 --dport 200"
  "-p gre -s 5.5.5.5 -d 6.6.6.6 --srckey 0x10 --dstkey 0x20"
  "-p gre -s 5.5.5.5 -d 6.6.6.6 --srckey 0x10 --dstkey 0x20 -o xml"
  "-p udplite -s 1.1.1.1 -d 2.2.2.2 --sport 5 --dport 6"
  "-p 200 -s 7.7.7.7 -d 8.8.8.8" "-p 200 -s 7.7.7.7 -d 8.8.8.8 -o xml"
  "-p 2 -s 0.0.0.0 -d 224.0.0.22"
  "-p tcp -s :: -d ::1 --sport 1 --dport 2"
  "-p tcp -s :: -d ::1 --sport 1 --dport 2 -o xml"
  "-p udp -s ::ffff:1.2.3.4 -d 2001:db8::1:0:0:1 --sport 1 --dport 2"
  "-p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 2"
  "-p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 2 --orig-zone 3"
  "--get -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20"
  "conntrack ${t1[*]}"
  "-p tcp -s 1.1.1.1 --sport 10 --dport 20" "-p tcp -d 2.2.2.2 --sport 10 --dport 20"
  "-s 1.1.1.1 -d 2.2.2.2" "-p tcp -s 1.1.1.1 -d 2.2.2.2"
  "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10" "-p tcp -r 2.2.2.2 --sport 10 --dport 20"
  "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -m 42"
  "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -w 0"
  "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -u ASSURED"
  "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 5"
  "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -i 1"
  "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -f ipv6"
  "-p tcp -s 1.1.1.1 -d ::1 --sport 10 --dport 20"
  "-p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-code 0 --icmp-id 77"
  "dying ${t1[*]}" "unconfirmed ${t1[*]}" "expect ${t1[*]}"
  "-p sctp -s 1.1.1.1 -d 2.2.2.2 --sport 100 --dport 200 --orig-vtag 123"
)
for c in "${get_cases[@]}"; do
  eval "set -- $c"
  ctt_cmp "G $c" -- -G "$@"
done
# -G prints the XML header but no footer, and the summary is unbuffered:
# with 2>&1 the summary comes first.
for c in "${t1[*]}" "${t1[*]} -o xml" "${t1[*]} -o save" \
         "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 21" \
         "-p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10" ; do
  eval "set -- $c"
  ctt_cmp "G 2>&1 $c" --merge -- -G "$@"
  ctt_cmp "G 2>&1|cat $c" --pipe -- -G "$@"
done

# ---------------------------------------------------------------- -C
for c in "" "conntrack" "expect" "exp" "--count" "c" "dying" "unconfirmed" \
         "-p tcp" "-s 1.1.1.1" "-f ipv6" "-o xml" "-z" "-C" "-L" "foo" "-- expect"; do
  eval "set -- $c"
  ctt_cmp "C $c" -- -C "$@"
  ctt_cmp "C 2>&1 $c" --merge -- -C "$@"
done
ctt_cmp "C empty" --ns "$NS_EMPTY" -- -C
ctt_cmp "C expect empty" --ns "$NS_EMPTY" -- -C expect
ctt_cmp "--count=x (optional arg)" -- --count=x
ctt_cmp "-Cexpect (attached optional arg)" -- -Cexpect
ctt_cmp "-Cconntrack (attached optional arg)" -- -Cconntrack

# ---------------------------------------------------------------- -S
# Per-CPU counters move between the two runs (and the oracle's own dump
# bumps them), so the values are normalised: only the layout and the set
# of name= keys are compared.
SNORM='s/=[0-9]+/=N/g'
for c in "" "conntrack" "expect" "e" "--stats" "-p tcp" "-o xml" "dying" \
         "unconfirmed" "foo" "-S" "-L" "-f ipv4"; do
  eval "set -- $c"
  ctt_cmp "S $c" --norm "$SNORM" -- -S "$@"
  ctt_cmp "S 2>&1 $c" --merge --norm "$SNORM" -- -S "$@"
done
ctt_cmp "S empty netns" --ns "$NS_EMPTY" --norm "$SNORM" -- -S
ctt_cmp "S expect empty netns" --ns "$NS_EMPTY" -- -S expect
ctt_cmp "--stats=x" --norm "$SNORM" -- --stats=x
ctt_cmp "-Sexpect" --norm "$SNORM" -- -Sexpect

# ---------------------------------------------------------------- -V, -h
# 1.4.8 fixes the usage typo "Source addres from reply direction"
# (spec §8.10); we follow 1.4.8, so the oracle's text gets the fix (not
# when the binary under test is the oracle itself).
typo=(--norm-oracle 's/Source addres from reply/Source address from reply/')
ctt_is_oracle && typo=()
for c in "-V" "--version" "-V -L" "-L -V" "-V -p tcp" "-V extra" "-V expect" \
         "-h" "--help" "-h -p tcp" "-h -p udp" "-h -p udplite" "-h -p sctp" \
         "-h -p dccp" "-h -p gre" "-h -p icmp" "-h -p icmpv6" "-h -p 200" \
         "-h -p igmp" "-h -p foo" "-h -s 1.1.1.1" "-h -L" "-L -h" "-h extra" \
         "-p tcp -h" "-h -p TCP" "-h -o xml" "" "extra-word" "-" "--" "-L -L" \
         "-L -D" "-C -S" "-h -h"; do
  eval "set -- $c"
  ctt_cmp "V/h: ${c:-(no args)}" --argv0 conntrack \
    "${typo[@]}" -- "$@"
done
ctt_cmp "h argv0=/usr/sbin/conntrack" --argv0 /usr/sbin/conntrack \
  "${typo[@]}" -- -h
ctt_cmp "no args argv0=./x" --argv0 ./x \
  "${typo[@]}" -- 
ctt_cmp "h 2>&1" --merge --argv0 conntrack \
  "${typo[@]}" -- -h -p sctp

# ---------------------------------------------------------------- -F
# Destructive: ours runs in one namespace, the oracle in a twin populated
# identically; stdout/stderr/exit of the flush are compared exactly, then
# the remaining tables (sorted: hash order differs between namespaces;
# timeouts/delta-time/ids/start stamps normalised: different namespaces).
flush_case() {
  local name=$1 mode=$2; shift 2
  local A B
  ctt_new_ns A flusha
  ctt_new_ns B flushb
  ctt_populate "$A"
  ctt_populate "$B"
  ctt_cmp "F $name" --once ${mode:+"$mode"} --ns "$A" --ns2 "$B" -- "$@"
  ctt_cmp "F $name: table after" --once --ns "$A" --ns2 "$B" --sort \
    --norm "$CTT_NORM_TIME" --norm "$CTT_NORM_ID" --norm "$CTT_NORM_STAMP" -- -L -o extended
  ctt_cmp "F $name: count after" --once --ns "$A" --ns2 "$B" -- -C
  ip netns del "$A"; ip netns del "$B"
}
flush_case "-F" "" -F
flush_case "--flush" "" --flush
flush_case "-F conntrack" "" -F conntrack
flush_case "-F -f ipv6" "" -F -f ipv6
flush_case "-F -f ipv4" "" -F -f ipv4
flush_case "-F expect" "" -F expect
flush_case "-F 2>&1" --merge -F
flush_case "-F dying" "" -F dying
flush_case "-F -p tcp" "" -F -p tcp
flush_case "-F -s 1.1.1.1" "" -F -s 1.1.1.1
flush_case "-F foo" "" -F foo
ctt_cmp "F empty table" --once --ns "$NS_EMPTY" -- -F
ctt_cmp "F empty table 2>&1" --once --merge --ns "$NS_EMPTY" -- -F
ctt_cmp "F expect empty table" --once --ns "$NS_EMPTY" -- -F expect

ctt_finish
