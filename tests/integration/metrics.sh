#!/usr/bin/env bash
# OpenMetrics expositions, checked by a strict parser
# (tests/integration/openmetrics_check.py):
#  - `conntrackd -s metrics` of two of our daemons syncing FT-FW over UDP
#    (namespaces A and B, lib_sync.sh): flows created in A reach B's
#    external cache, crafted malformed datagrams (sync_craft.py) reach B,
#    B commits its external cache.  Per-link byte/packet/message counters,
#    a drop counter per reason and the commit counters are non-zero, and
#    every counter -s network / -s link / -s cache --json also shows lies
#    between a JSON snapshot taken before and one taken after the metrics
#    (the daemons keep talking: ALIVE messages every second);
#  - a Stats-mode daemon: the one cache is cache="stats";
#  - `conntrack -S -o openmetrics` and `-C -o openmetrics` in a namespace,
#    against the text form of -S / -C; -S exp too;
#  - compatibility: upstream's client rejects `-s metrics` (so the word is
#    free), upstream's daemon answers our request with nothing, `-s m` is
#    still multicast, `-s metrics --json` is refused; `-o openmetrics` with
#    other -o words or commands fails the way upstream fails for them.
#
#   tests/integration/metrics.sh     (root; about 15 s)
set -u
. "$(dirname "$0")/lib_sync.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK=$HERE/openmetrics_check.py
CRAFT=$HERE/sync_craft.py
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
CT=${CONNTRACK:-$(pwd)/conntrack}
UPCT=${UPSTREAM_CONNTRACK:-/usr/sbin/conntrack}
OURS=$SYNC_OURS
NS_S=ctm-$$-$RANDOM
cleanup() {
  ip netns del "$NS_S" 2>/dev/null
  sync_teardown
}
trap cleanup EXIT
trap 'exit 1' INT TERM

check() {  # check NAME CONDITION...: PASS/FAIL by the command's status
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

# parse PREFIX FILE OUT: the checker's JSON into OUT, its complaint shown
parse() {
  if "$PY" "$CHECK" "$1" "$2" >"$3" 2>"$3.err"; then
    pass "strict parse: $(basename "$2")"
  else
    fail "strict parse: $(basename "$2")" "$(cat "$3.err")"
    echo '{"families": {}, "samples": {}}' >"$3"
  fi
}

# py SCRIPT ARGS...: a python check that prints "ok" or why not
pycheck() {
  local name=$1 script=$2 out; shift 2
  out=$("$PY" -c "$script" "$@" 2>&1)
  if [[ $out == ok ]]; then pass "$name"; else fail "$name" "$out"; fi
}

# The checker itself: a good exposition passes, each broken rule fails.
good=$'# TYPE x_a counter\n# HELP x_a h \\"q\\"\nx_a_total{l="q\\"\\\\\\n"} 1\n# TYPE x_b_seconds gauge\n# UNIT x_b_seconds seconds\nx_b_seconds 0.5\n# TYPE x_c info\nx_c_info{v="1"} 1\n# EOF\n'
bad_cases=(
  $'# TYPE x_a counter\nx_a_total 1\n'                                   # no # EOF
  $'# TYPE x_a counter\nx_a_total 1\n# EOF\n\n'                         # blank line at the end
  $'x_a_total 1\n# TYPE x_a counter\n# EOF\n'                            # sample before TYPE
  $'# TYPE x_a counter\nx_a 1\n# EOF\n'                                  # counter without _total
  $'# TYPE x_a counter\nx_a_total -1\n# EOF\n'                           # negative counter
  $'# TYPE x_a counter\nx_a_total 1.5\n# EOF\n'                          # non-integer counter
  $'# TYPE x_a counter\n# TYPE x_a counter\n# EOF\n'                     # family twice
  $'# TYPE x_a gauge\nx_a 1\n# TYPE x_b gauge\nx_b 1\nx_a{k="v"} 2\n# EOF\n'  # interleaved
  $'# TYPE x_a gauge\nx_a{k="\\t"} 1\n# EOF\n'                         # bad escape
  $'# TYPE x_a gauge\nx_a{k="v",k="w"} 1\n# EOF\n'                       # repeated label
  $'# TYPE x_a gauge\nx_a 1\nx_a 2\n# EOF\n'                            # repeated label set
  $'# TYPE x_a_bytes gauge\n# UNIT x_a_bytes seconds\n# EOF\n'          # unit not the suffix
  $'# TYPE y_a gauge\n# EOF\n'                                          # wrong prefix
  $'# TYPE x_a_total counter\n# EOF\n'                                  # reserved suffix
  $'# TYPE x_a gauge\n# HELP x_b h\n# EOF\n'                            # HELP of another family
  $'# TYPE 1x gauge\n# EOF\n'                                           # bad name
  $'# TYPE x_a info\nx_a_info 2\n# EOF\n'                                # info value not 1
)
if printf '%s' "$good" | "$PY" "$CHECK" x_ >/dev/null; then pass "checker: a good exposition passes"
else fail "checker: a good exposition passes"; fi
nbad=0
for c in "${bad_cases[@]}"; do
  printf '%s' "$c" | "$PY" "$CHECK" x_ >/dev/null 2>&1 || nbad=$((nbad + 1))
done
check "checker: each of ${#bad_cases[@]} broken expositions is refused ($nbad)" test "$nbad" = "${#bad_cases[@]}"

sync_setup || { echo "FAIL setup"; exit 1; }
A_IP=10.$SYNC_NET.0.1 B_IP=10.$SYNC_NET.0.2
sync_conf A FTFW UDP
sync_conf B FTFW UDP
sync_start A "$OURS" || fail "start A"
sync_start B "$OURS" || fail "start B"

for i in 1 2 3; do
  sync_ct A -I -p udp -s 192.168.7.$i -d 192.168.8.1 --sport $((1000 + i)) --dport 53 -t 300
done
sync_ct A -I -p tcp -s 192.168.7.9 -d 192.168.8.1 --sport 40000 --dport 80 --state ESTABLISHED -t 300
check "flows reach B's external cache" sync_wait_ext B "$OURS" 4

# Malformed datagrams from A's address to B's sync port: one truncated,
# one of a wrong version, one with an unknown attribute.
# A seq well after A's (which started at A's start time): FT-FW drops a
# data message "before" the last one without looking at its attributes.
timeout 20 ip netns exec "$SYNC_NS_A" "$PY" "$CRAFT" "$A_IP" "$B_IP" 3780 $(( $(date +%s) + 1000000 )) \
  truncated_5bytes,badversion_2,unknown_attr_40 || fail "craft"
# bounded wait until B counted all three
for i in $(seq 1 50); do
  n=$(sync_client B "$OURS" -s network --json | jq '.network.recv_malformed')
  [[ ${n:-0} -ge 3 ]] && break
  sleep 0.1
done

sync_client B "$OURS" -c >/dev/null 2>&1
check "B's commit created the flows" test "$(sync_ct B -L 2>/dev/null | wc -l)" -ge 4

T=$SYNC_T
snap() {  # snap SIDE TAG: JSON before, metrics, JSON after
  local s
  for s in network link cache; do sync_client "$1" "$OURS" -s $s --json >"$T/$2.$s.0.json"; done
  sync_client "$1" "$OURS" -s metrics >"$T/$2.metrics"
  echo "$?" >"$T/$2.rc"
  for s in network link cache; do sync_client "$1" "$OURS" -s $s --json >"$T/$2.$s.1.json"; done
  sync_client "$1" "$OURS" -s network >"$T/$2.network.txt"
}
snap B b
snap A a
check "-s metrics exits 0" test "$(cat "$T/b.rc")" = 0
parse conntrackd_ "$T/b.metrics" "$T/b.parsed"
parse conntrackd_ "$T/a.metrics" "$T/a.parsed"

# Every counter both forms show, with the JSON key it comes from: the
# metric must lie between the two JSON snapshots.
AGREE='
import json, sys
d, tag = sys.argv[1], sys.argv[2]
m = json.load(open(f"{d}/{tag}.parsed"))["samples"]
def js(sec, i): return json.load(open(f"{d}/{tag}.{sec}.{i}.json"))
bad = []
def cmp(key, sec, path):
    if key not in m:
        bad.append("missing " + key); return
    lo, hi = js(sec, 0), js(sec, 1)
    for p in path: lo, hi = lo[p], hi[p]
    if not (lo <= m[key] <= hi): bad.append(f"{key}={m[key]} not in [{lo},{hi}]")
net = [("conntrackd_sync_receive_malformed_total{}", "recv_malformed"),
       ("conntrackd_sync_send_malformed_total{}", "send_malformed"),
       ("conntrackd_sync_sequence_lost_total{}", "seq_lost"),
       ("conntrackd_sync_sequence_before_total{}", "seq_before")]
for k, j in net: cmp(k, "network", ["network", j])
for kind in ["bad_version", "bad_header", "bad_payload", "bad_type", "truncated", "bad_size"]:
    cmp("conntrackd_sync_receive_errors_total{kind=%s}" % kind, "network", ["network", "recv_" + kind])
reasons = js("network", 0)["network"]["recv_drops_by_reason"]
for r in reasons:
    cmp("conntrackd_sync_receive_drops_total{reason=%s}" % r, "network",
        ["network", "recv_drops_by_reason", r])
extra = set(k for k in m if k.startswith("conntrackd_sync_receive_drops_total{")) - \
        set("conntrackd_sync_receive_drops_total{reason=%s}" % r for r in reasons)
if extra: bad.append("drop reasons --json lacks: %s" % sorted(extra))
chans = js("link", 0)["channels"]
for i, c in enumerate(chans):
    lab = "iface=%s,link=%d" % (c["device"], i)
    for metric, key in [("sent_bytes", "bytes_sent"), ("received_bytes", "bytes_recv"),
                        ("sent_packets", "packets_sent"), ("received_packets", "packets_recv"),
                        ("sent_messages", "messages_sent"), ("received_messages", "messages_recv"),
                        ("send_errors", "errors_sent"), ("receive_errors", "errors_recv")]:
        cmp("conntrackd_link_%s_total{%s}" % (metric, lab), "link", ["channels", i, key])
for cache in ["internal", "external"]:
    lab = "cache=%s,table=conntrack" % cache
    for metric, key in [("inserts", "created"), ("insert_failures", "create_failed"),
                        ("insert_no_memory", "no_memory"), ("insert_no_space", "no_space"),
                        ("updates", "updated"), ("update_failures", "update_failed"),
                        ("update_not_found", "update_not_found"), ("deletes", "destroyed"),
                        ("delete_failures", "destroy_failed"),
                        ("delete_not_found", "destroy_not_found")]:
        cmp("conntrackd_cache_%s_total{%s}" % (metric, lab), "cache", [cache, key])
    cmp("conntrackd_cache_entries{%s}" % lab, "cache", [cache, "entries"])
print("; ".join(bad) if bad else "ok")
'
pycheck "B: metrics agree with -s network/link/cache --json" "$AGREE" "$T" b
pycheck "A: metrics agree with -s network/link/cache --json" "$AGREE" "$T" a

# The text -s network (upstream's layout): its recv: counters, taken after
# the metrics, are the metrics' (no malformed datagram came since).
TEXTNET='
import json, re, sys
m = json.load(open(sys.argv[1]))["samples"]
text = open(sys.argv[2]).read()
recv = text.split("\trecv:\n", 1)[1].split("\tsend:\n", 1)[0]
v = {k.strip(): int(n) for k, n in re.findall(r"\t\t([^:\t]+):\t+ *(\d+)", recv)}
want = {"Malformed messages": "conntrackd_sync_receive_malformed_total{}",
        "Wrong protocol version": "conntrackd_sync_receive_errors_total{kind=bad_version}",
        "Malformed header": "conntrackd_sync_receive_errors_total{kind=bad_header}",
        "Malformed payload": "conntrackd_sync_receive_errors_total{kind=bad_payload}",
        "Bad message type": "conntrackd_sync_receive_errors_total{kind=bad_type}",
        "Truncated message": "conntrackd_sync_receive_errors_total{kind=truncated}",
        "Bad message size": "conntrackd_sync_receive_errors_total{kind=bad_size}"}
bad = ["%s: text %s, metrics %s" % (k, v.get(k), m.get(mk)) for k, mk in want.items()
       if v.get(k) is None or v.get(k) != m.get(mk)]
print("; ".join(bad) if bad else "ok")
'
pycheck "B: metrics agree with the text -s network (upstream's counters)" "$TEXTNET" \
  "$T/b.parsed" "$T/b.network.txt"

NONZERO='
import json, sys
m = json.load(open(sys.argv[1]))["samples"]
bad = [k for k in sys.argv[2:] if m.get(k, 0) <= 0]
print("zero or missing: %s" % bad if bad else "ok")
'
pycheck "B: per-link, drop and commit counters are non-zero" "$NONZERO" "$T/b.parsed" \
  "conntrackd_link_received_bytes_total{iface=svb,link=0}" \
  "conntrackd_link_received_packets_total{iface=svb,link=0}" \
  "conntrackd_link_received_messages_total{iface=svb,link=0}" \
  "conntrackd_link_sent_packets_total{iface=svb,link=0}" \
  "conntrackd_sync_receive_malformed_total{}" \
  "conntrackd_sync_receive_errors_total{kind=truncated}" \
  "conntrackd_sync_receive_errors_total{kind=bad_version}" \
  "conntrackd_sync_receive_drops_total{reason=truncated}" \
  "conntrackd_sync_receive_drops_total{reason=bad_version}" \
  "conntrackd_sync_receive_drops_total{reason=unknown_attribute}" \
  "conntrackd_commit_runs_total{}" \
  "conntrackd_commit_committed_total{table=conntrack}" \
  "conntrackd_cache_entries{cache=external,table=conntrack}" \
  "conntrackd_start_time_seconds{}" \
  "conntrackd_link_info{iface=svb,link=0,proto=udp,role=ACTIVE,status=RUNNING}" \
  "conntrackd_daemon_info{expectation_sync=0,mode=ftfw}"
pycheck "A: per-link send counters are non-zero, internal cache holds the flows" "$NONZERO" \
  "$T/a.parsed" \
  "conntrackd_link_sent_bytes_total{iface=sva,link=0}" \
  "conntrackd_link_sent_messages_total{iface=sva,link=0}" \
  "conntrackd_cache_entries{cache=internal,table=conntrack}" \
  "conntrackd_cache_inserts_total{cache=internal,table=conntrack}"

FAMILIES='
import json, sys
p = json.load(open(sys.argv[1]))
f, u = p["families"], p["units"]
want = {"conntrackd_cache_entries": "gauge", "conntrackd_cache_inserts": "counter",
        "conntrackd_link": "info", "conntrackd_link_sent_bytes": "counter",
        "conntrackd_sync_receive_drops": "counter", "conntrackd_commit_last_duration_seconds": "gauge",
        "conntrackd_netlink_overruns": "counter", "conntrackd_resend_queue_length": "gauge",
        "conntrackd_queue_elements": "gauge", "conntrackd_uptime_seconds": "gauge",
        "conntrackd_child_processes": "gauge"}
bad = ["%s: %s" % (k, f.get(k)) for k, t in want.items() if f.get(k) != t]
if u.get("conntrackd_link_sent_bytes") != "bytes": bad.append("no bytes unit")
if u.get("conntrackd_uptime_seconds") != "seconds": bad.append("no seconds unit")
print("; ".join(bad) if bad else "ok")
'
pycheck "B: the documented families, types and units" "$FAMILIES" "$T/b.parsed"

# The commit's duration is a gauge with a fraction; the counters of the
# commit agree with what B's kernel table got.
if grep -Eq '^conntrackd_commit_last_duration_seconds [0-9]+\.[0-9]{6}$' "$T/b.metrics"; then
  pass "commit duration is a fixed-point gauge"
else
  fail "commit duration is a fixed-point gauge" "$(grep commit_last "$T/b.metrics")"
fi

# ---- compatibility of the client word ----------------------------------------
out=$(sync_client B "$SYNC_UP" -s metrics 2>&1); rc=$?
if [[ $rc -ne 0 && $out == *"unknown parameter \`metrics'"* ]]; then
  pass "upstream's client rejects -s metrics (the word is ours)"
else
  fail "upstream's client rejects -s metrics" "rc=$rc $out"
fi
out=$(sync_client B "$OURS" -s metrics --json 2>&1); rc=$?
if [[ $rc -ne 0 && $out == *"Invalid parameters"* ]]; then pass "-s metrics --json refused"
else fail "-s metrics --json refused" "rc=$rc"; fi
out=$(sync_client B "$OURS" -s m 2>&1)
if [[ $out == *"use \`link' instead of \`multicast'"* && $out == *"traffic device=svb"* ]]; then
  pass "-s m is still multicast (link)"
else
  fail "-s m is still multicast (link)" "$out"
fi
sync_stop B
sync_start B "$SYNC_UP" || fail "start Debian's B"
out=$(sync_client B "$OURS" -s metrics 2>&1); rc=$?
if [[ $rc -eq 0 && -z $out ]]; then pass "upstream's daemon answers -s metrics with nothing"
else fail "upstream's daemon answers -s metrics with nothing" "rc=$rc $out"; fi
sync_stop B

# ---- a Stats-mode daemon -------------------------------------------------------
cat >"$T/stats.conf" <<EOF
Stats { LogFile $T/stats.log }
General {
  HashSize 8192
  HashLimit 65535
  LogFile $T/statsd.log
  LockFile $T/statsd.lock
  UNIX { Path $T/statsd.sock }
  Syslog off
  Systemd off
}
EOF
ip netns add "$NS_S"
ip -n "$NS_S" link set lo up
ip netns exec "$NS_S" "$OURS" -C "$T/stats.conf" >"$T/statsd.out" 2>&1 &
SPID=$!
SYNC_PIDS+=("$SPID")
for i in $(seq 1 100); do
  ip netns exec "$NS_S" "$OURS" -C "$T/stats.conf" -s >/dev/null 2>&1 && break
  sleep 0.05
done
timeout 10 ip netns exec "$NS_S" "$OURS" -C "$T/stats.conf" -s metrics >"$T/s.metrics"
parse conntrackd_ "$T/s.metrics" "$T/s.parsed"
STATSMODE='
import json, sys
p = json.load(open(sys.argv[1]))
s, f = p["samples"], p["families"]
bad = []
if "conntrackd_cache_entries{cache=stats,table=conntrack}" not in s: bad.append("no stats cache")
if "conntrackd_daemon_info{expectation_sync=0,mode=stats}" not in s: bad.append("mode")
for k in f:
    if k.startswith(("conntrackd_link", "conntrackd_sync_", "conntrackd_commit_")): bad.append(k)
print("; ".join(bad) if bad else "ok")
'
pycheck "stats mode: one cache \"stats\", no sync families" "$STATSMODE" "$T/s.parsed"

# ---- conntrack -S / -C ---------------------------------------------------------
ip netns exec "$NS_S" "$UPCT" -I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 100 >/dev/null 2>&1
ip netns exec "$NS_S" "$CT" -S >"$T/S.0.txt"
ip netns exec "$NS_S" "$CT" -S -o openmetrics >"$T/S.metrics"; rc=$?
ip netns exec "$NS_S" "$CT" -S >"$T/S.1.txt"
check "conntrack -S -o openmetrics exits 0" test "$rc" = 0
parse conntrack_ "$T/S.metrics" "$T/S.parsed"
SAGREE='
import json, re, sys
m = json.load(open(sys.argv[1]))["samples"]
def load(p):
    out = {}
    for line in open(p):
        f = line.split()
        cpu = f[0].split("=")[1]
        for kv in f[1:]:
            k, v = kv.split("=")
            out["conntrack_stats_%s_total{cpu=%s}" % (k, cpu)] = int(v)
    return out
lo, hi = load(sys.argv[2]), load(sys.argv[3])
bad = [k for k in lo if k not in m or not lo[k] <= m[k] <= hi[k]]
bad += [k for k in m if k not in lo]
print("differ: %s" % bad[:5] if bad or not lo else "ok")
'
pycheck "conntrack -S: openmetrics agrees with the text form, a sample per cpu and field" \
  "$SAGREE" "$T/S.parsed" "$T/S.0.txt" "$T/S.1.txt"
ip netns exec "$NS_S" "$CT" -S expect >"$T/SE.0.txt"
ip netns exec "$NS_S" "$CT" -S expect -o openmetrics >"$T/SE.metrics"
ip netns exec "$NS_S" "$CT" -S expect >"$T/SE.1.txt"
parse conntrack_ "$T/SE.metrics" "$T/SE.parsed"
pycheck "conntrack -S expect: openmetrics agrees with the text form" \
  "$SAGREE" "$T/SE.parsed" "$T/SE.0.txt" "$T/SE.1.txt"
n=$(ip netns exec "$NS_S" "$CT" -C)
ip netns exec "$NS_S" "$CT" -C -o openmetrics >"$T/C.metrics"
parse conntrack_ "$T/C.metrics" "$T/C.parsed"
if grep -qx "conntrack_entries $n" "$T/C.metrics" && [[ $n -ge 1 ]]; then
  pass "conntrack -C -o openmetrics: the gauge is -C's count ($n)"
else
  fail "conntrack -C -o openmetrics" "$(cat "$T/C.metrics")"
fi

# Errors: whatever upstream rejects fails the same way; openmetrics with a
# command that prints flows is refused with exit 2.
cmp_err() {  # cmp_err ARGS...: ours and upstream's stderr and status equal
  local o u orc urc
  o=$(ip netns exec "$NS_S" "$CT" "$@" 2>&1 >/dev/null); orc=$?
  u=$(ip netns exec "$NS_S" "$UPCT" "$@" 2>&1 >/dev/null); urc=$?
  if [[ $orc == "$urc" && $o == "$u" ]]; then pass "as upstream: conntrack $*"
  else fail "as upstream: conntrack $*" "ours rc=$orc '$o', upstream rc=$urc '$u'"; fi
}
cmp_err -S -o xml
cmp_err -C -o extended
cmp_err -S -o bogus
out=$(ip netns exec "$NS_S" "$CT" -S -o openmetrics,xml 2>&1); rc=$?
if [[ $rc == 2 && $out == *"Illegal option \`--output' with this command"* ]]; then
  pass "-S -o openmetrics,xml fails as upstream's -S -o xml"
else
  fail "-S -o openmetrics,xml" "rc=$rc $out"
fi
out=$(ip netns exec "$NS_S" "$CT" -L -o openmetrics 2>&1); rc=$?
if [[ $rc == 2 && $out == *"\`-o openmetrics' is only for -S and -C"* ]]; then
  pass "-L -o openmetrics refused"
else
  fail "-L -o openmetrics refused" "rc=$rc $out"
fi

echo "metrics: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
