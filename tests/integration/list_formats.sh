#!/usr/bin/env bash
# conntrack -L output formats, compared byte for byte with the oracle on the
# same table: default, extended, xml, save, id, ktimestamp, labels (without a
# label map), userspace, timestamp, combinations, NAT listing filters, the
# 2>&1 ordering of the summary line vs the entries (small, >4096 bytes, XML),
# the dying/unconfirmed tables and the table-word parsing.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh

ctt_new_ns NS fmt           # the standard ~37 flows (> 4096 bytes of text)
ctt_new_ns NS_SMALL fmts    # two flows (output far below 4096 bytes)
ctt_new_ns NS_EMPTY fmte    # nothing at all
ctt_new_ns NS_BIG fmtb      # 300 flows (> 64 KiB of XML)
ctt_populate "$NS"
ctt_batch "$NS_SMALL" <<EOF
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1000 --dport 53 -t 100000
-I -p tcp -s 10.0.0.1 -d 10.0.0.2 --sport 1001 --dport 80 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t 100000 -m 3
EOF
for i in $(seq 1 300); do
  echo "-I -p udp -s 10.1.$((i / 250)).$((i % 250 + 1)) -d 10.2.0.1 --sport $((2000 + i)) --dport 53 -t 100000"
done >"$CTT_TMP/big.batch"
ip netns exec "$NS_BIG" "$ORACLE" -R "$CTT_TMP/big.batch" >/dev/null 2>&1 ||
  echo "note: batch load of the big table failed" >&2
ctt_expect_count "populated" "$NS" 36
ctt_expect_count "populated small" "$NS_SMALL" 2
ctt_expect_count "populated big" "$NS_BIG" 300

# Every listing format, on the full table; separate stdout/stderr.
formats=(
  ""
  "-o extended"
  "-o xml"
  "-o save"
  "-o id"
  "-o ktimestamp"
  "-o labels"
  "-o userspace"
  "-o timestamp"
  "-o extended,id,ktimestamp"
  "-o xml,ktimestamp"
  "-o xml,id"
  "-o xml,extended"
  "-o xml,labels"
  "-o xml,timestamp"
  "-o id,ktimestamp"
  "-o extended,labels"
  "-o ktimestamp,extended"
  "-o extended -o id"
  "-o XML"
  "-o Ext"
  "-o x,e"
  "-o id,id"
  "-o s"
  "-o save,xml"
  "-o xml,save"
  "-o save,id"
  "-o save,save"
  "-o sa"
  "-o foo"
  "-o xml,foo"
  "-o"
  "-o ,"
  "-o xml,"
  "--output extended"
  "--output=xml"
  "-oextended"
  "-n"
  "-g"
  "-j"
  "-n -g"
  "-n 4.4.4.4"
  "-n 4.4.4.4:99"
  "-n :99"
  "-n 4.4.4.5"
  "-g 3.3.3.3"
  "-g 3.3.3.3:80"
  "-g 3.3.3.4"
  "-g :80"
  "-j 3.3.3.3"
  "-j 4.4.4.4"
  "-j 9.9.9.9"
  "-j -n"
  "-g -j"
  "--src-nat"
  "--dst-nat"
  "--any-nat"
  "--src-nat=4.4.4.6"
  "--dst-nat=3.3.3.5:53"
  "-g [2001:db8:3::3]:8080"
  "-g 2001:db8:3::3"
  "-g [2001:db8:3::3]"
  "-g [2001:db8:3::3"
  "-g 3.3.3.3:"
  "-g 3.3.3.3:abc"
  "-g 3.3.3.3:70000"
  "-g 3.3.3.3/24"
  "-g 1.2.3.400"
  "-o save -n"
  "-o save -g"
  "-o xml -j"
  "-o extended -j"
)
for f in "${formats[@]}"; do
  # shellcheck disable=SC2086   # word splitting of the option string is wanted
  ctt_cmp "L ${f:-(default)}" -- -L $f
done

# The same formats with 2>&1 into one file: upstream's stdout is
# block-buffered (4096) and stderr unbuffered, so on this >4096-byte table
# the first 4 KiB of entries come before the summary line; in XML the footer
# fflush decides.
for f in "" "-o extended" "-o xml" "-o save" "-o id" "-o ktimestamp" \
         "-o xml,ktimestamp" "-o labels" "-o save,xml" "-o foo" "-j"; do
  # shellcheck disable=SC2086
  ctt_cmp "L 2>&1 ${f:-(default)}" --merge -- -L $f
  # shellcheck disable=SC2086
  ctt_cmp "L 2>&1|cat ${f:-(default)}" --pipe -- -L $f
done

# A small table: the summary line comes BEFORE the entries with 2>&1.
for f in "" "-o extended" "-o xml" "-o save" "-o id,ktimestamp" "-o labels" \
         "-o xml,ktimestamp" "-p udp" "-p icmp" "-p icmp -o xml"; do
  # shellcheck disable=SC2086
  ctt_cmp "small L ${f:-(default)}" -- -L $f
  # shellcheck disable=SC2086
  ctt_cmp "small L 2>&1 ${f:-(default)}" --ns "$NS_SMALL" --merge -- -L $f
  # shellcheck disable=SC2086
  ctt_cmp "small L 2>&1|cat ${f:-(default)}" --ns "$NS_SMALL" --pipe -- -L $f
done

# On a terminal stdout is line-buffered: each entry appears before the
# summary line, and -G's XML header/entry before its summary.
if command -v script >/dev/null; then
  for f in "" "-o xml" "-o save" "-o extended,id" "-p tcp" "-p 99" "-o xml -p 99" "-f ipv6 -s 1.2.3.4"; do
    # shellcheck disable=SC2086
    ctt_cmp "tty small L ${f:-(default)}" --ns "$NS_SMALL" --tty -- -L $f
  done
  for f in "" "-o xml"; do
    # shellcheck disable=SC2086
    ctt_cmp "tty big L ${f:-(default)}" --ns "$NS_BIG" --tty -- -L $f
  done
  for f in "" "-o xml" "-o save"; do
    # shellcheck disable=SC2086
    ctt_cmp "tty G ${f:-(default)}" --ns "$NS_SMALL" --tty -- -G -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1000 --dport 53 $f
  done
  ctt_cmp "tty C" --ns "$NS_SMALL" --tty -- -C
  ctt_cmp "tty S" --ns "$NS_SMALL" --tty --norm 's/=[0-9]+/=N/g' -- -S
  ctt_cmp "tty L dying" --ns "$NS_SMALL" --tty -- -L dying
else
  ctt_skip "tty cases" "script(1) not installed"
fi

# An empty table: no XML header/footer at all, "0 flow entries".
for f in "" "-o xml" "-o save" "-o extended" "-o labels"; do
  # shellcheck disable=SC2086
  ctt_cmp "empty L ${f:-(default)}" --ns "$NS_EMPTY" -- -L $f
  # shellcheck disable=SC2086
  ctt_cmp "empty L 2>&1 ${f:-(default)}" --ns "$NS_EMPTY" --merge -- -L $f
done

# 300 entries: several 4096-byte flushes, then the summary, then the rest.
for f in "" "-o xml" "-o save" "-o extended,id" "-p udp --dport 53" "-s 10.1.1.0/24"; do
  # shellcheck disable=SC2086
  ctt_cmp "big L ${f:-(default)}" --ns "$NS_BIG" -- -L $f
  # shellcheck disable=SC2086
  ctt_cmp "big L 2>&1 ${f:-(default)}" --ns "$NS_BIG" --merge -- -L $f
  # shellcheck disable=SC2086
  ctt_cmp "big L 2>&1|cat ${f:-(default)}" --ns "$NS_BIG" --pipe -- -L $f
done

# ktimestamp prints ctime() in LOCAL time: the TZ of the caller matters.
for tz in UTC America/New_York Asia/Kolkata Europe/Berlin "<+0530>-5:30" ""; do
  for f in "-o ktimestamp" "-o extended,ktimestamp,id" "-o xml,ktimestamp"; do
    # shellcheck disable=SC2086
    TZ=$tz ctt_cmp "TZ=$tz L $f" --ns "$NS_SMALL" -- -L $f
  done
done

# 1.4.8 difference (spec §8.1): `-Lo extended` is -L -o extended there;
# 1.4.7 silently drops the attached "o extended".  We follow 1.4.8, so our
# `-Lo extended` must equal the oracle's `-L -o extended`.  (Skipped when
# the binary under test IS the 1.4.7 oracle.)
if ctt_is_oracle; then
  ctt_skip "Lo extended" "binary under test is the 1.4.7 oracle"
else
ctt_cmp "Lo extended (1.4.8: = -L -o extended)" -- -L -o extended --ours -Lo extended
ctt_cmp "Lo xml (1.4.8: = -L -o xml)" --ns "$NS_SMALL" -- -L -o xml --ours -Lo xml
ctt_cmp "Lo xml 2>&1 (1.4.8: = -L -o xml)" --ns "$NS_SMALL" --merge -- -L -o xml --ours -Lo xml
ctt_cmp "Lo extended 2>&1 (1.4.8)" --ns "$NS_SMALL" --merge -- -L -o extended --ours -Lo extended
ctt_cmp "Lo id,extended (1.4.8)" -- -L -o id,extended --ours -Lo id,extended
fi

# Long option spellings and table words.
for args in "--dump" "--dump conntrack" "-L conntrack" "-L c" "-L conn" \
            "-L dying" "-L d" "-L dy" "-L unconfirmed" "-L u" "-L unconf" \
            "-L dying -o xml" "-L unconfirmed -o extended" "-L dying -o save" \
            "-L dying -p tcp" "-L unconfirmed -s 1.1.1.1" \
            "--dump dying" "--dump unconfirmed" \
            "-L foo" "-L dyingX" "-L conntrackX" "-L ''" \
            "-L -- dying" "-L expect" "-L e" "-L expect -o xml" \
            "-L expect -o extended" "-L expect -f ipv6" \
            "-L dying -z" "-L unconfirmed -f ipv6" ; do
  eval "set -- $args"
  ctt_cmp "table: $args" -- "$@"
  ctt_cmp "table 2>&1: $args" --merge -- "$@"
done
# -L dying/unconfirmed on an empty namespace too.
ctt_cmp "empty L dying" --ns "$NS_EMPTY" -- -L dying
ctt_cmp "empty L unconfirmed -o xml" --ns "$NS_EMPTY" -- -L unconfirmed -o xml

ctt_finish
