#!/usr/bin/env bash
# conntrack -R FILE / --load-file FILE / -R - (spec §6).  Each case writes a
# batch file, runs it with the oracle and with ours in twin namespaces
# populated identically, and compares exit status, stderr, stdout and the
# resulting table (lib_twin.sh).  Covered: the line splitter (blanks,
# comments, quotes, escapes, the 253-argument and 1023-character limits,
# 10239-byte fgets chunks), parse errors anywhere aborting before anything
# runs, the refused commands and their texts, runtime errors stopping the
# batch with the earlier lines applied, -U/-D output, no summary lines, and
# upstream's state shared between lines (one -o mask for the batch; the
# LAST line's mark is what -U sets).  Then the `-L -o save | -R -` round
# trip for udp/tcp/icmp/icmpv6/IPv6/zones, with the oracle and on our own.
# 1.4.8 differences (spec §8): -A of an existing entry succeeds (both
# pass here); a CRLF line ending `-F\r` is refused by 1.4.8's getopt
# (asserted); several -U print-backs in one batch (1.4.7 loses them, §8.5)
# are not compared against the oracle.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
. tests/integration/lib_twin.sh

twin_init ldf
TWIN_TABLE_FMTS=(extended save)
LF_N=0

# lf NAME [twin options] : the batch file is stdin; runs `-R FILE`.
lf() {
  local name=$1; shift
  LF_N=$((LF_N + 1))
  local f=$CTT_TMP/batch-$LF_N
  cat >"$f"
  twin "$name" "$@" -- -R "$f"
}
# lf_raw NAME FILE [twin options]: an already written batch file.
lf_raw() {
  local name=$1 f=$2; shift 2
  twin "$name" "$@" -- -R "$f"
}

twin_setup <<'EOF'
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 100000
-I -p udp -s 1.1.1.2 -d 2.2.2.2 --sport 10 --dport 20 -t 100000 -m 3
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 30 --dport 80 --state ESTABLISHED -t 100000 -u SEEN_REPLY,ASSURED
-I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 77 -t 100000
-I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 10 --dport 20 -t 100000
-I -p udp -s 5.5.5.5 -d 6.6.6.6 --sport 1 --dport 2 -t 100000 -w 7
EOF

# ------------------------------------------------------------ file handling
twin "missing file" -- -R "$CTT_TMP/does-not-exist"
twin "missing file (long option)" -- --load-file "$CTT_TMP/does-not-exist"
twin "-R without a file" -- -R
twin "--load-file without a file" -- --load-file
twin "-R not first" -- -F -R /dev/null
lf "empty file" </dev/null
printf '# only\n\n   \n\t\t\n  # comments\n' >"$CTT_TMP/comments"
lf_raw "blank and comment lines" "$CTT_TMP/comments"
printf -- '-D -s 1.1.1.1 -p udp\n' >"$CTT_TMP/stdin1"
twin "-R - reads stdin" --stdin "$CTT_TMP/stdin1" -- -R -
twin "--load-file - reads stdin" --stdin "$CTT_TMP/stdin1" -- --load-file -
twin "extra words after the file are ignored" -- -R "$CTT_TMP/stdin1" -L -x

# ------------------------------------------------------------ line splitting
lf "quotes group words" <<'EOF'
-D -s "1.1.1.1" -p "udp"
EOF
lf "quoted blank inside a word" <<'EOF'
-F "a b"
EOF
lf "quote in the middle of a word" <<'EOF'
-F a"b c"d
EOF
lf "escapes inside quotes" <<'EOF'
-F "a\"b\\c"
EOF
lf "backslash outside quotes is literal" <<'EOF'
-F a\b
EOF
lf "unclosed quote keeps the newline" <<'EOF'
-F "abc
EOF
lf "empty quoted argument" <<'EOF'
-F ""
EOF
printf -- '   \t-D\t-s 1.1.1.1   -p udp\t\n' >"$CTT_TMP/tabs"
lf_raw "tabs and leading blanks" "$CTT_TMP/tabs"
printf -- '   ' >"$CTT_TMP/blank-eof"
lf_raw "blank last line without newline" "$CTT_TMP/blank-eof"
printf -- '-D -s 1.1.1.1 -p udp' >"$CTT_TMP/noeol"
lf_raw "last line without newline" "$CTT_TMP/noeol"
printf -- '-F a\0b\n' >"$CTT_TMP/nul"
lf_raw "NUL byte ends the line" "$CTT_TMP/nul"
python3 -c "print('-F ' + ' '.join(['x'] * 252))" >"$CTT_TMP/args253"
lf_raw "253 arguments are accepted" "$CTT_TMP/args253"
python3 -c "print('-F ' + ' '.join(['x'] * 253))" >"$CTT_TMP/args254"
lf_raw "254 arguments: too many" "$CTT_TMP/args254"
python3 -c "print('-D -s 9.9.9.9\n-F ' + ' '.join(['x'] * 300))" >"$CTT_TMP/args300"
lf_raw "too many arguments on line 2" "$CTT_TMP/args300"
python3 -c "print('-F x' + 'a' * 1022)" >"$CTT_TMP/len1023"
lf_raw "1023-character argument" "$CTT_TMP/len1023"
python3 -c "print('-F x' + 'a' * 1023)" >"$CTT_TMP/len1024"
lf_raw "1024-character argument: too long" "$CTT_TMP/len1024"
python3 -c "import sys; sys.stdout.write('-D' + ' ' * 10236 + '#x -L\n')" >"$CTT_TMP/chunk1"
lf_raw "a 10240-byte line is read in two chunks" "$CTT_TMP/chunk1"
python3 -c "import sys; sys.stdout.write('-D' + ' ' * 10237 + '-L\n')" >"$CTT_TMP/chunk2"
lf_raw "second chunk is its own line" "$CTT_TMP/chunk2"
# 1.4.7 declares -F with an optional attached argument and takes "-F\r";
# 1.4.8 (followed here, spec §8.1) does not.
printf -- '-F\r\n' >"$CTT_TMP/crlf"
twin "CRLF after a command letter (1.4.8)" --rc 2 --no-table \
  --err "${TWIN_P}unknown option \`-F"$'\r'"'"$'\n'"$TWIN_TRY" --out "" -- -R "$CTT_TMP/crlf"

# ------------------------------------------------------------ refused commands
while read -r cmd; do
  [[ -z $cmd ]] && continue
  printf -- '-D -s 9.9.9.9\n%s\n-F\n' "$cmd" >"$CTT_TMP/refused"
  lf_raw "refused: $cmd" "$CTT_TMP/refused"
done <<'EOF'
-L
-L dying
-G -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20
-E
-V
-h
-C
-S
-L expect
-D expect -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2
-G expect -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2
-F expect
-E expect
-C expect
-S expect
-s 1.1.1.1
-I expect -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --tuple-src 1.1.1.1 --tuple-dst 2.2.2.2 --mask-src 255.255.255.255 --mask-dst 255.255.255.255 --tuple-port-src 1 --tuple-port-dst 2 -t 10
EOF
lf "first refused command is named" <<'EOF'
-S
-L
EOF
lf "a parse error after a refused command wins" <<'EOF'
-L
-D -s 9.9.9.9
-D -p nonsense
EOF
lf "parse error on the last line: nothing runs" <<'EOF'
-F
-D -p udp
-I -p udp -s 7.7.7.7 -d 8.8.8.8 --sport 1 --dport 2
EOF
lf "unknown option on line 2" <<'EOF'
-D -s 1.1.1.1
-D --bogus
EOF

# ------------------------------------------------------------ running
lf "creates of every kind" <<'EOF'
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 -t 100000
-I -p tcp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 --state SYN_SENT -t 100000 -m 9
-I -p icmp -s 10.0.0.1 -d 10.0.0.2 --icmp-type 8 --icmp-code 0 --icmp-id 5 -t 100000
-I -p icmpv6 -s 2001:db8::10 -d 2001:db8::20 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 6 -t 100000
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 -t 100000 --orig-zone 3 --reply-zone 4
-I -p udp -r 10.0.0.3 -q 10.0.0.4 --reply-port-src 5 --reply-port-dst 6 -t 100000 -u ASSURED
-A -p udp -s 10.0.0.9 -d 10.0.0.8 --sport 1 --dport 2 -t 100000
EOF
lf "EEXIST stops the batch, earlier lines stay" <<'EOF'
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 -t 100000
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 100000
-I -p udp -s 10.0.0.5 -d 10.0.0.6 --sport 1 --dport 2 -t 100000
EOF
lf "create twice in one batch" <<'EOF'
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 -t 100000
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 -t 100000
EOF
lf "-A of an existing entry succeeds" <<'EOF'
-A -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 100000
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 -t 100000
EOF
lf "delete, no summary line" <<'EOF'
-D -p udp -s 1.1.1.1
-D -p tcp
EOF
lf "delete with zero matches is not an error" <<'EOF'
-D -s 9.9.9.9
-D -p sctp
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 -t 100000
EOF
lf "update with zero matches is not an error" <<'EOF'
-U -s 9.9.9.9 -m 1
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 -t 100000
EOF
# -f: 1.4.7 sends -U with the command line's family (spec §8.4), and
# fails without one; 1.4.8 uses each entry's.
lf "update prints the entry" <<'EOF'
-D -s 2001:db8::1
-U -p tcp -m 44 -f ipv4
EOF
lf "update then delete" <<'EOF'
-U -s 1.1.1.2 -m 5/0xf
-D -m 5
EOF
lf "flush prints its message, then creates" <<'EOF'
-F
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 -t 100000
-F -f ipv6
EOF
lf "delete and recreate" <<'EOF'
-D -p udp -s 1.1.1.1 -d 2.2.2.2
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 -t 100000 -m 8
EOF
lf "zones" <<'EOF'
-D -w 7
-I -p udp -s 5.5.5.5 -d 6.6.6.6 --sport 1 --dport 2 -t 100000 -w 8
-D -w 0 -p icmp
EOF
lf "runtime parameter error (--mask-src without --src) after a create" <<'EOF'
-I -p udp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 -t 100000
-D --mask-src 255.255.0.0
-I -p udp -s 10.0.0.5 -d 10.0.0.6 --sport 1 --dport 2 -t 100000
EOF
lf "a line without -p after a tcp line" <<'EOF'
-I -p tcp -s 10.0.0.1 -d 10.0.0.2 --sport 1 --dport 2 --state ESTABLISHED -t 100000
-D -s 1.1.1.2
-F -f ipv6
EOF
lf "warnings are printed once" <<'EOF'
-D -s 9.9.9.9 -a x
-D -s 1.1.1.2 -u SRC_NAT
EOF

# upstream's state shared between lines
lf "-o of a later line applies to every line (save)" <<'EOF'
-D -p udp -s 1.1.1.1
-D -p tcp -o save
EOF
lf "-o of a later line applies to every line (xml)" <<'EOF'
-D -p udp -s 1.1.1.2
-D -p icmp -o xml
-D -s 9.9.9.9
EOF
lf "-o extended,id from the first line" <<'EOF'
-D -p udp -s 1.1.1.1 -o extended
-D -p tcp
EOF
lf "save combined with another -o across lines" <<'EOF'
-D -p udp -o save
-D -p tcp -o extended
EOF
lf "-U sets the mark of the LAST line" <<'EOF'
-U -s 1.1.1.1 -p udp -m 5
-D -s 9.9.9.9 -m 7
EOF
lf "-U -m with a last line without -m changes nothing" <<'EOF'
-U -s 1.1.1.1 -p udp -m 5
-D -s 9.9.9.9
EOF

# ------------------------------------------------------------ round trip
# `-L -o save | -R -`: list the setup table as save lines (with the oracle),
# flush, and load them back: both binaries must rebuild the same table.
twin_populate "$TW_O"
_twin_oracle "$TW_O" -L -o save >"$CTT_TMP/saved" 2>/dev/null
ctt_check "saved table has 6 lines" test "$(wc -l <"$CTT_TMP/saved")" -eq 6
twin "round trip: oracle's -o save into -R -" --opre "-F" --upre "-F" \
  --stdin "$CTT_TMP/saved" -- -R -
# (without -t: a timeout filter would depend on the clock)
sed -E 's/^-A -t [0-9]+ /-D /' "$CTT_TMP/saved" >"$CTT_TMP/saved-del"
twin "-o save lines as -D" --stdin "$CTT_TMP/saved-del" -- -R -

# Our own round trip: list with ours, flush with ours, load with ours; the
# table must come back the same (save and extended views, times within a
# few seconds; -o save never writes the mark, so marks are not compared).
twin_populate "$TW_U"
ours() { timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$TW_U" "$CONNTRACK" "$@"; }
ours -L -o save >"$CTT_TMP/ours-saved" 2>/dev/null
twin_snapshot "$TW_U" "$CTT_TMP/before.tab"
ours -F >/dev/null 2>&1
ours -R - <"$CTT_TMP/ours-saved" >"$CTT_TMP/rt.out" 2>"$CTT_TMP/rt.err"
rc=$?
twin_snapshot "$TW_U" "$CTT_TMP/after.tab"
ctt_check "our round trip: -R - exit 0, silent" \
  test "$rc" -eq 0 -a ! -s "$CTT_TMP/rt.out" -a ! -s "$CTT_TMP/rt.err"
sed -Ei 's/ mark=[0-9]+ / mark=M /' "$CTT_TMP/before.tab" "$CTT_TMP/after.tab"
if python3 "$CTT_TMP/twin_cmp.py" "$TWIN_SLACK" 1 table "$CTT_TMP/before.tab" "$CTT_TMP/after.tab"; then
  echo "PASS our round trip recreates identical entries"; CTT_PASS=$((CTT_PASS + 1))
else
  echo "FAIL our round trip recreates identical entries"; CTT_FAIL=$((CTT_FAIL + 1))
fi

ctt_finish
