#!/usr/bin/env bash
# conntrack -E (spec §3.5): ours and the oracle listen side by side, with the
# same options, in one private namespace, while a KNOWN set of events is
# generated there with the oracle (-I, -U, -D, -F) plus real loopback UDP
# traffic (an nftables `ct state` rule makes the namespace track it).
# Every listener pair is then stopped with SIGINT (one pair with SIGTERM) by
# PID and its stdout, stderr and exit status are compared.
#
# All listener pairs run at once over the same single burst of events, so
# the whole script takes a few seconds.  Races avoided:
#  - generation starts only when every listener's event socket has joined
#    its multicast groups (counted in the namespace's /proc/net/netlink);
#  - the listeners are stopped only when every pair has printed the same
#    number of lines and nothing has moved for a while (bounded poll).
#
# Normalised before comparing, and why:
#  - ` progname=NAME` of the ` [USERSPACE] portid=N` suffix: upstream looks
#    the sender up in /proc after the fact, racily (the sender has often
#    exited); a separate check asks that ours resolves it at least once.
#  - `-o xml`: 1.4.7 appends ` [USERSPACE] portid=N` after `</flow>`, which
#    breaks the document; we follow 1.4.8, which leaves it out.  So OUR
#    output must equal the ORACLE's with that suffix stripped.
#  - `-o timestamp`: the `[sec.usec]` prefix is the time of printing in
#    1.4.7 and the kernel's event time (CTA_TIMESTAMP_EVENT, with
#    nf_conntrack_timestamp=1) in 1.4.8 and ours; compared after replacing
#    it, and checked separately for shape and closeness.
# `-o json` exists only in ours: every line must be valid JSON and agree,
# event by event, with the oracle's default output.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh

ctt_new_ns NS ev
D=$CTT_TMP/ev
mkdir -p "$D"

# Real traffic: conntrack hooks for this namespace (inet = v4 and v6).
if ! ip netns exec "$NS" nft -f - <<'EOF'
table inet t {
  chain o { type filter hook output priority 0; ct state new counter; }
}
EOF
then
  echo "FAIL events: cannot load the nftables ct rule"; exit 1
fi

# --- listener pairs: tag -> options (identical for both binaries) ----------
declare -A OPTS=(
  [default]=""
  [sigterm]=""
  [e_new]="-e NEW"
  [e_updates]="-e UPDATES"
  [e_destroy]="-e DESTROY"
  [e_new_destroy]="-e NEW,DESTROY"
  [e_all]="-e ALL"
  [p_udp]="-p udp"
  [p_tcp_dport]="-p tcp --dport 80"
  [p_icmp]="-p icmp"
  [s_addr]="-s 20.0.0.1"
  [d_addr]="-d 20.0.0.4"
  [s_cidr]="-s 20.0.0.0/30"
  [f_ipv6]="-f ipv6"
  [f_ipv4]="-f ipv4"
  [m_mark]="-m 7"
  [m_mask]="-m 1/1"
  [zone]="-w 7"
  [e_upd_udp]="-e UPDATES -p udp"
  [nomatch]="-s 203.0.113.1"
  [xml]="-o xml"
  [xml_nomatch]="-o xml -s 203.0.113.1"
  [extended]="-o extended"
  [id]="-o id"
  [ext_id]="-o extended,id"
  [save]="-o save"
  [save_destroy]="-o save -e DESTROY"
  [timestamp]="-o timestamp"
  [ktimestamp]="-o ktimestamp"
  [bufsize]="-b 1000000"
)
# Stable order for reporting.
TAGS=(default sigterm e_new e_updates e_destroy e_new_destroy e_all p_udp
      p_tcp_dport p_icmp s_addr d_addr s_cidr f_ipv6 f_ipv4 m_mark m_mask zone
      e_upd_udp nomatch xml xml_nomatch extended id ext_id save save_destroy
      timestamp ktimestamp bufsize)

declare -A PID=()
# start_listener NAME BIN OPTIONS: `BIN -E OPTIONS` in $NS, output to $D/NAME.
# `ip netns exec` execs the command itself, so $! is conntrack's own PID.
start_listener() {
  local name=$1 bin=$2 opts=$3
  # shellcheck disable=SC2086  # OPTS values are word lists on purpose
  ip netns exec "$NS" "$bin" -E $opts >"$D/$name.out" 2>"$D/$name.err" </dev/null &
  PID[$name]=$!
  CTT_PIDS+=("$!")
}
nlisteners=0
for t in "${TAGS[@]}"; do
  start_listener "$t.oracle" "$ORACLE" "${OPTS[$t]}"
  start_listener "$t.ours" "$CONNTRACK" "${OPTS[$t]}"
  nlisteners=$((nlisteners + 2))
done
if ! ctt_is_oracle; then
  start_listener json.ours "$CONNTRACK" "-o json"
  nlisteners=$((nlisteners + 1))
fi

# Sockets of protocol 12 (NETLINK_NETFILTER) that joined a group, in $NS.
subscribed() {
  ip netns exec "$NS" awk '$2 == 12 && $4 != "00000000" { n++ } END { print n + 0 }' \
    /proc/net/netlink
}
all_subscribed() { (( $(subscribed) >= nlisteners )); }
if ! ctt_wait_for 10 all_subscribed; then
  echo "FAIL events: only $(subscribed) of $nlisteners listeners subscribed after 10 s"
  for t in "${!PID[@]}"; do
    kill -0 "${PID[$t]}" 2>/dev/null || { echo "  $t exited early:"; sed 's/^/    /' "$D/$t.err"; }
  done
  exit 1
fi

# --- the known events ---------------------------------------------------------
# NEW: 8 created here + 2 from real traffic = 10
# UPDATE: 2 (-U -s 20.0.0.1) + 1 (-U -f ipv6 -p tcp) + 2 (real replies) = 5
# DESTROY: 2 (-D -s 20.0.0.1) + 1 (-D -s 2001:db8::1 -p udp) + 7 (-F) = 10
EXP_NEW=10 EXP_UPDATE=5 EXP_DESTROY=10
T_START=$(date +%s)
gen() { ctt_ct "$NS" "$@" || GEN_FAILED=1; }
GEN_FAILED=0
gen -I -p udp -s 20.0.0.1 -d 20.0.0.2 --sport 100 --dport 200 -t 50 -m 5
gen -I -p tcp -s 20.0.0.3 -d 20.0.0.4 --sport 1000 --dport 80 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t 100
gen -I -p tcp -s 20.0.0.3 -d 20.0.0.5 --sport 1001 --dport 22 --state SYN_SENT -t 100 -m 9
gen -I -p icmp -s 20.0.0.1 -d 20.0.0.9 --icmp-type 8 --icmp-code 0 --icmp-id 77 -t 30
gen -I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 53 --dport 5353 -t 60 -m 7
gen -I -p tcp -s 2001:db8::1 -d 2001:db8::3 --sport 1234 --dport 80 --state ESTABLISHED -t 100
gen -I -p gre -s 5.5.5.5 -d 6.6.6.6 --srckey 0x10 --dstkey 0x20 -t 60
gen -I -p udp -s 20.0.0.7 -d 20.0.0.8 --sport 7 --dport 8 -t 60 -w 7
# Kernel-made entries (no [USERSPACE] suffix): NEW, then UPDATE on the reply.
if ! timeout 10 ip netns exec "$NS" python3 - <<'EOF'
import socket
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    a = socket.socket(fam, socket.SOCK_DGRAM); a.bind((host, 5001)); a.settimeout(2)
    b = socket.socket(fam, socket.SOCK_DGRAM); b.bind((host, 5002)); b.settimeout(2)
    a.sendto(b"ping", (host, 5002))
    data, peer = b.recvfrom(100)
    b.sendto(b"pong", peer)
    a.recvfrom(100)
    a.close(); b.close()
EOF
then
  echo "note: loopback UDP traffic failed" >&2; GEN_FAILED=1
fi
gen -U -s 20.0.0.1 -m 7
gen -U -f ipv6 -p tcp -m 3
gen -D -s 20.0.0.1
gen -D -s 2001:db8::1 -p udp
gen -F

# --- settle, then stop everyone by PID -----------------------------------------
pairs_equal() {
  local t
  for t in "${TAGS[@]}"; do
    (( $(wc -l <"$D/$t.oracle.out") == $(wc -l <"$D/$t.ours.out") )) || return 1
  done
}
sizes() { cat "$D"/*.out | wc -c; }
prev=-1 stable=0
for (( i = 0; i < 50; i++ )); do  # at most ~5 s
  cur=$(sizes)
  if [[ $cur == "$prev" ]] && pairs_equal; then
    stable=$((stable + 1))
    (( stable >= 3 )) && break
  else
    stable=0
  fi
  prev=$cur
  sleep 0.1
done
T_END=$(date +%s)

declare -A RC=()
for t in "${!PID[@]}"; do
  if [[ $t == sigterm.* ]]; then kill -TERM "${PID[$t]}" 2>/dev/null
  else kill -INT "${PID[$t]}" 2>/dev/null; fi
done
for t in "${!PID[@]}"; do
  p=${PID[$t]}
  for (( i = 0; i < 50; i++ )); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then
    kill -KILL "$p" 2>/dev/null
    echo "note: $t did not stop within 5 s of the signal" >&2
  fi
  wait "$p"
  RC[$t]=$?
  echo "${RC[$t]}" >"$D/$t.rc"
done
CTT_PIDS=()  # all reaped

ctt_check "setup: every generating command succeeded" test "$GEN_FAILED" -eq 0

# --- the known set, as seen by the oracle's default listener --------------
count() { grep -c "$1" "$2"; }
n_new=$(count '^    \[NEW\] ' "$D/default.oracle.out")
n_upd=$(count '^ \[UPDATE\] ' "$D/default.oracle.out")
n_des=$(count '^\[DESTROY\] ' "$D/default.oracle.out")
ctt_check "known events: oracle saw NEW=$n_new/$EXP_NEW UPDATE=$n_upd/$EXP_UPDATE DESTROY=$n_des/$EXP_DESTROY" \
  test "$n_new:$n_upd:$n_des" == "$EXP_NEW:$EXP_UPDATE:$EXP_DESTROY"
ctt_check "known events: kernel-made entries (no [USERSPACE]) were seen" \
  test "$(grep -c ' src=127.0.0.1 .* sport=5001 \| src=::1 .* sport=5001 ' "$D/default.oracle.out")" -ge 4

# --- pairwise comparison ---------------------------------------------------------
NORM_PROG='s/ progname=[^ ]+//'
NORM_XML_1_4_7='s#</flow> \[USERSPACE\] portid=[0-9]+( progname=[^ ]+)?$#</flow>#'
NORM_TS='s/^\[[0-9]+\.[0-9]+\]\t/[TS]\t/'
for t in "${TAGS[@]}"; do
  o=$D/$t.oracle u=$D/$t.ours c=$D/cmp.$t
  sed -E "$NORM_PROG" "$o.out" >"$c.oracle.out"
  sed -E "$NORM_PROG" "$u.out" >"$c.ours.out"
  note=""
  case $t in
    xml|xml_nomatch)
      ctt_is_oracle || sed -i -E "$NORM_XML_1_4_7" "$c.oracle.out"
      note=" (1.4.8: no [USERSPACE] suffix after </flow>; oracle's stripped)" ;;
    timestamp)
      sed -i -E "$NORM_TS" "$c.oracle.out" "$c.ours.out"
      note=" ([sec.usec] prefix normalised)" ;;
  esac
  name="-E ${OPTS[$t]:-(default)}"
  [[ $t == sigterm ]] && name="-E stopped by SIGTERM"
  if cmp -s "$c.oracle.out" "$c.ours.out" && cmp -s "$o.err" "$u.err" &&
     cmp -s "$o.rc" "$u.rc"; then
    echo "PASS $name ($(wc -l <"$o.out") lines)$note"
    CTT_PASS=$((CTT_PASS + 1))
  else
    echo "FAIL $name$note"
    _ctt_diff stdout "$c.oracle.out" "$c.ours.out"
    _ctt_diff stderr "$o.err" "$u.err"
    _ctt_diff exit "$o.rc" "$u.rc"
    CTT_FAIL=$((CTT_FAIL + 1))
  fi
done

# -u is not allowed with -E (the option matrix): same error, same exit status.
NS=$NS ctt_cmp "-E -u ASSURED (illegal option)" --once -- -E -u ASSURED

# --- extra checks ------------------------------------------------------------------
ctt_check "exit status 0 on SIGINT (ours)" test "$(cat "$D/default.ours.rc")" -eq 0
ctt_check "exit status 0 on SIGTERM (ours)" test "$(cat "$D/sigterm.ours.rc")" -eq 0
ctt_check "summary line (ours, default)" \
  test "$(cat "$D/default.ours.err")" == "conntrack v1.4.7 (conntrack-tools): $((EXP_NEW + EXP_UPDATE + EXP_DESTROY)) flow events have been shown."

# progname: racy in upstream too, but ours must resolve it at least sometimes,
# and when it does, the name must be right (every sender here is conntrack).
nprog=$(cat "$D"/*.ours.out | grep -c ' progname=')
nbad=$(cat "$D"/*.ours.out | grep -o ' progname=[^ <]*' | grep -vc '^ progname=conntrack$')
ctt_check "progname resolved by ours at least once ($nprog lines), always 'conntrack' ($nbad others)" \
  test "$nprog" -gt 0 -a "$nbad" -eq 0

# -b: the NOTICE shows what the kernel reports (twice the request).
ctt_check "-b 1000000: NOTICE line (ours)" \
  grep -qx 'NOTICE: Netlink socket buffer size has been set to 2000000 bytes.' "$D/bufsize.ours.err"

if ctt_is_oracle; then
  ctt_skip "1.4.8/ours-only checks" "the binary under test is the oracle (XML suffix, -o json)"
  ctt_finish
fi

# XML: ours is a well-formed document without the [USERSPACE] suffix.
ctt_check "-o xml: ours is well-formed XML with $((EXP_NEW + EXP_UPDATE + EXP_DESTROY)) flows" \
  python3 -c '
import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
sys.exit(0 if len(d.getElementsByTagName("flow")) == int(sys.argv[2]) else 1)' \
  "$D/xml.ours.out" "$((EXP_NEW + EXP_UPDATE + EXP_DESTROY))"
ctt_check "-o xml: no match means no XML at all (ours)" test ! -s "$D/xml_nomatch.ours.out"

# Timestamps: shape, within the test's wall-clock window, close to the oracle's.
ctt_check "-o timestamp: every line of ours starts with [%08d.%06d]<TAB>" \
  test "$(grep -cvP '^\[[0-9]{8,}\.[0-9]{6}\]\t' "$D/timestamp.ours.out")" -eq 0 -a -s "$D/timestamp.ours.out"
ctt_check "-o timestamp: ours' times lie in the test window and within 1 s of the oracle's" \
  python3 -c '
import re, sys
ours, orc, t0, t1 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
r = re.compile(r"^\[(\d+)\.(\d+)\]\t")
def ts(p):
    return [int(m.group(1)) + int(m.group(2)) / 1e6 for m in map(r.match, open(p)) if m]
a, b = ts(ours), ts(orc)
ok = len(a) == len(b) > 0 and all(t0 - 1 <= x <= t1 + 1 for x in a) \
     and all(abs(x - y) <= 1 for x, y in zip(a, b)) and a == sorted(a)
sys.exit(0 if ok else 1)' "$D/timestamp.ours.out" "$D/timestamp.oracle.out" "$T_START" "$T_END"

# JSON (ours only): valid, complete, and the same events as the default text.
ctt_check "-o json: every line valid JSON, one per event, fields agree with the default output" \
  python3 - "$D/json.ours.out" "$D/default.oracle.out" "$D/json.ours.err" <<'EOF'
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
text = open(sys.argv[2]).read().splitlines()
err = open(sys.argv[3]).read()
bad = []
objs = []
for i, l in enumerate(lines):
    try:
        objs.append(json.loads(l))
    except ValueError as e:
        bad.append("line %d not JSON: %s" % (i + 1, e))
if len(objs) != len(text):
    bad.append("%d JSON events, %d text events" % (len(objs), len(text)))
kinds = {"    [NEW]": "new", " [UPDATE]": "update", "[DESTROY]": "destroy"}
for i, (o, t) in enumerate(zip(objs, text)):
    want = {"type": kinds.get(t[:9])}
    m = re.match(r"^.{9} (\S+) +(\d+) (\d+) ", t)
    if m:
        want["proto"], want["protonum"], want["timeout"] = m.group(1), int(m.group(2)), int(m.group(3))
    src = re.findall(r" src=(\S+)", t)
    dst = re.findall(r" dst=(\S+)", t)
    mark = re.search(r" mark=(\d+)", t)
    got = {k: o.get(k) for k in want}
    if got != want:
        bad.append("event %d: %s != %s" % (i + 1, got, want))
    if o.get("orig", {}).get("src") != src[0] or o.get("orig", {}).get("dst") != dst[0] \
       or o.get("reply", {}).get("src") != src[1] or o.get("reply", {}).get("dst") != dst[1]:
        bad.append("event %d: addresses differ: %s vs %s/%s" % (i + 1, o, src, dst))
    if mark and o.get("mark") != int(mark.group(1)):
        bad.append("event %d: mark %s != %s" % (i + 1, o.get("mark"), mark.group(1)))
    for p in ("sport", "dport"):
        v = re.search(r" %s=(\d+)" % p, t)
        if v and o.get("orig", {}).get(p) != int(v.group(1)):
            bad.append("event %d: %s differs" % (i + 1, p))
if objs and objs[0].get("type") != "new":
    bad.append("first event is not new")
if any(o.get("type") == "lost" for o in objs):
    bad.append("a lost-events record")
if err.strip() != "conntrack v1.4.7 (conntrack-tools): %d flow events have been shown." % len(text):
    bad.append("stderr: %r" % err)
for b in bad[:10]:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF

ctt_finish
