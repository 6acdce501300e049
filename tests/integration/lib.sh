#!/usr/bin/env bash
# Shared helpers for the conntrack integration tests.  Source it:
#
#   . "$(dirname "$0")/lib.sh"
#   ctt_new_ns NS list          # NS=ctt-list-$$-$RANDOM, acct+timestamp on
#   ctt_ct "$NS" -I -p udp ...  # run the ORACLE in NS (to create flows)
#   ctt_cmp NAME -- -L -o xml   # run both binaries in $NS, diff, PASS/FAIL
#   ctt_finish                  # exit status: 1 if any case failed
#
# The binary under test is ${CONNTRACK:-$(pwd)/conntrack}; the oracle is
# ${ORACLE:-/usr/sbin/conntrack} (Debian 1.4.7).  Every namespace made here
# is deleted on exit (also on failure/signal); every background process
# started through ctt_bg is killed by its PID.  Nothing touches the host's
# conntrack table: every conntrack command runs under `ip netns exec`.

set -u

CONNTRACK=${CONNTRACK:-$(pwd)/conntrack}
ORACLE=${ORACLE:-${UPSTREAM_CONNTRACK:-/usr/sbin/conntrack}}
# Seconds one conntrack invocation may take before it is killed.
CTT_CMD_TIMEOUT=${CTT_CMD_TIMEOUT:-30}
# How often an idempotent comparison is repeated when the outputs differ
# (see ctt_cmp: timeouts count down, delta-time counts up, so two runs a
# few ms apart can straddle a second boundary).
CTT_RETRIES=${CTT_RETRIES:-3}

CTT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ctt.XXXXXX")
CTT_NAMESPACES=()
CTT_PIDS=()
CTT_PASS=0
CTT_FAIL=0
CTT_SKIP=0

ctt_cleanup() {
  local p n
  for p in "${CTT_PIDS[@]}"; do
    kill "$p" 2>/dev/null
  done
  for p in "${CTT_PIDS[@]}"; do
    wait "$p" 2>/dev/null
  done
  for n in "${CTT_NAMESPACES[@]}"; do
    ip netns del "$n" 2>/dev/null
  done
  rm -rf "$CTT_TMP"
}
trap ctt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if (( EUID != 0 )); then
  echo "FAIL $(basename "$0"): needs root (network namespaces)"
  exit 1
fi
if [[ ! -x $CONNTRACK ]]; then
  echo "FAIL $(basename "$0"): binary under test $CONNTRACK not found (build it, or set CONNTRACK=)"
  exit 1
fi
if [[ ! -x $ORACLE ]]; then
  echo "FAIL $(basename "$0"): oracle $ORACLE not found (apt-get install conntrack)"
  exit 1
fi

# The tolerant comparison used when exact retries keep failing (see ctt_cmp):
# the outputs must be identical except for the clock-driven numbers (the
# timeout column of a text line, delta-time=, <timeout>, <deltatime>,
# "-A -t N" of -o save).  With a second oracle run after ours ("sandwich"),
# each of our numbers must lie between the oracle's before and after values;
# without one (non-idempotent commands), within CTT_TIME_SLACK seconds.
CTT_TIME_SLACK=${CTT_TIME_SLACK:-2}
cat >"$CTT_TMP/fuzzy.py" <<'FUZZY_EOF'
import re, sys
pats = [
    re.compile(rb'^((?:(?:ipv4|ipv6|unknown) +[0-9]+ +)?[a-z0-9]+ +[0-9]+ )([0-9]+)( )', re.M),
    re.compile(rb'(delta-time=)([0-9]+)()'),
    re.compile(rb'(<timeout>)([0-9]+)(</timeout>)'),
    re.compile(rb'(<deltatime>)([0-9]+)(</deltatime>)'),
    re.compile(rb'^(-A -t )([0-9]+)( )', re.M),
]
summary = re.compile(rb'conntrack v1\.4\.7 \(conntrack-tools\): [^\n]*\n')
def split(path):
    data = open(path, 'rb').read()
    # In a 2>&1 capture the unbuffered summary line can land in the middle
    # of an entry (at a 4096-byte stdout flush), possibly inside a number
    # that moved: take the summary lines out, keep their offsets and text.
    msgs = [(m.start(), m.group(0)) for m in summary.finditer(data)]
    data = summary.sub(b'', data)
    nums = [msgs]
    def sub(m):
        nums.append(int(m.group(2)))
        return m.group(1) + b'\0TIME\0' + m.group(3)
    for p in pats:
        data = p.sub(sub, data)
    return data, nums
before, ours, after, slack = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
a, na = split(before)
b, nb = split(ours)
ma, mb = na.pop(0), nb.pop(0)
if a != b or len(na) != len(nb) or ma != mb:
    sys.exit(1)
if after != '-':
    c, nc = split(after)
    mc = nc.pop(0)
    if c != a or len(nc) != len(na) or mc != ma:
        sys.exit(1)
    ok = all(min(x, z) <= y <= max(x, z) for x, y, z in zip(na, nb, nc))
else:
    ok = all(abs(x - y) <= slack for x, y in zip(na, nb))
sys.exit(0 if ok else 1)
FUZZY_EOF

# ctt_new_ns VAR LABEL: make namespace ctt-LABEL-$$-$RANDOM, store its name in
# VAR, bring lo up, turn on accounting and timestamps inside it.
ctt_new_ns() {
  local var=$1 label=$2 name i
  for i in 1 2 3 4 5; do
    name="ctt-$label-$$-$RANDOM"
    if ip netns add "$name" 2>/dev/null; then
      CTT_NAMESPACES+=("$name")
      ip netns exec "$name" ip link set lo up
      ip netns exec "$name" sysctl -qw net.netfilter.nf_conntrack_acct=1 \
        net.netfilter.nf_conntrack_timestamp=1 >/dev/null
      printf -v "$var" '%s' "$name"
      return 0
    fi
  done
  echo "FAIL $label: cannot create a network namespace"
  exit 1
}

# ctt_ct NS ARGS...: run the oracle in NS (used to create the flows).  Its
# output goes to $CTT_TMP/setup.log; a failure is reported on stderr.
ctt_ct() {
  local ns=$1; shift
  if ! timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$ns" "$ORACLE" "$@" \
      >>"$CTT_TMP/setup.log" 2>&1; then
    echo "note: setup command failed: conntrack $*" >&2
    tail -n 1 "$CTT_TMP/setup.log" >&2
    return 1
  fi
}

# ctt_bg VAR CMD...: start CMD in the background, remember its PID in VAR
# and in the kill list.
ctt_bg() {
  local var=$1; shift
  "$@" &
  local pid=$!
  CTT_PIDS+=("$pid")
  printf -v "$var" '%s' "$pid"
}

# ctt_stop PID: stop one process we started.
ctt_stop() {
  kill "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}

# Normalisers (sed -E scripts) for the fields that move between two runs.
# They are used only where a retry cannot help (non-idempotent commands such
# as -F or -L -z, or two different namespaces), and each use says so.
#  - the timeout column of a text line (after "proto num", with or without
#    the "-o extended" L3 columns), <timeout>, "-t N" of -o save
#  - delta-time=N and <deltatime>
#  - id=N / <id> (two namespaces give different ids)
CTT_NORM_TIME='s/^((ipv4|ipv6|unknown) +[0-9]+ +)?([a-z0-9]+ +[0-9]+ )[0-9]+ /\1\3TIMEOUT /
s/delta-time=[0-9]+/delta-time=D/g
s/<timeout>[0-9]+<\/timeout>/<timeout>T<\/timeout>/g
s/<deltatime>[0-9]+<\/deltatime>/<deltatime>D<\/deltatime>/g
s/^-([AD]) -t [0-9]+ /-\1 -t T /'
CTT_NORM_ID='s/ id=[0-9]+/ id=ID/g
s/<id>[0-9]+<\/id>/<id>ID<\/id>/g'
# Start/stop timestamps differ between two namespaces populated one after
# the other (never between two runs on the same table).
CTT_NORM_STAMP='s/\[start=[^]]*\]/[start=S]/g
s/\[stop=[^]]*\]/[stop=S]/g
s/<start>[0-9]+<\/start>/<start>S<\/start>/g
s/<stop>[0-9]+<\/stop>/<stop>S<\/stop>/g'

# _ctt_run1 BIN NS MODE STDIN OUTPREFIX ARGS...: run one binary.
#  MODE sep   : stdout and stderr to separate files
#  MODE merge : 2>&1 into one regular file
#  MODE pipe  : 2>&1 into a pipe (| cat)
#  MODE tty   : on a pseudo-terminal via script(1) (stdout line-buffered)
_ctt_run1() {
  local bin=$1 ns=$2 mode=$3 in=$4 out=$5; shift 5
  local rc
  if [[ -n ${CTT_ARGV0:-} ]]; then
    # run BIN with argv[0] = $CTT_ARGV0 (the usage text prints argv[0])
    set -- -c 'exec -a "$CTT_ARGV0" "$0" "$@"' "$bin" "$@"
    bin=/bin/bash
  fi
  case $mode in
    sep)
      timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$ns" "$bin" "$@" \
        <"$in" >"$out.out" 2>"$out.err"
      rc=$? ;;
    merge)
      timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$ns" "$bin" "$@" \
        <"$in" >"$out.out" 2>&1
      rc=$?
      : >"$out.err" ;;
    tty)
      # stdout AND stderr on a pseudo-terminal (script(1)): stdio makes
      # stdout line-buffered there, so entries come before the summary.
      local cmdline
      cmdline=$(printf '%q ' timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$ns" "$bin" "$@")
      script -qec "$cmdline" /dev/null <"$in" >"$out.out" 2>&1
      rc=$?
      : >"$out.err" ;;
    pipe)
      { timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$ns" "$bin" "$@" \
          <"$in" 2>&1; echo $? >"$out.rc"; } | cat >"$out.out"
      rc=$(<"$out.rc")
      : >"$out.err" ;;
  esac
  echo "$rc" >"$out.rc"
}

# ctt_cmp NAME [options] -- ARGS...
# Runs `conntrack ARGS` with the oracle and then with ours in the same
# namespace and compares stdout, stderr and the exit status byte for byte.
# Options:
#   --ns NS        namespace (default $NS)
#   --ns2 NS       run OURS in this other namespace (for destructive
#                  commands: both namespaces populated identically)
#   --merge        capture with 2>&1 into one file (stdio ordering)
#   --pipe         capture with 2>&1 | cat
#   --tty          run on a pseudo-terminal (script -qec), output merged
#   --norm SED     apply this sed -E script to both outputs before diffing
#   --stdin FILE   stdin for both runs (default /dev/null)
#   --once         do not retry (non-idempotent commands)
#   --sort         sort stdout before diffing (two namespaces list their
#                  entries in different hash orders)
#   --ours-first   run ours first, then the oracle
#   --argv0 NAME   run both binaries with argv[0] = NAME (usage prints it)
#   --norm-oracle SED  sed -E script applied to the ORACLE's output only
#                  (for documented 1.4.8 text fixes, e.g. "addres")
# If the argument list contains a literal `--ours`, the words before it are
# the oracle's arguments and the words after it are ours (for the cases
# where we deliberately follow 1.4.8, e.g. `-Lo extended`).
# The comparison is retried up to $CTT_RETRIES times when the outputs
# differ, because the kernel's timeouts and delta-time move with the clock
# and two runs can straddle a second boundary (entries created at different
# moments tick at different moments; on a loaded machine one -L can take
# a second).  If every exact attempt differs, the last pair is compared
# tolerantly: byte-identical except the clock-driven numbers (timeout
# column, delta-time, <timeout>, <deltatime>, save's -t); the oracle is run
# once more after ours and each of our numbers must lie between the
# oracle's two values (with --once: within CTT_TIME_SLACK seconds).  The
# PASS line then says "(timing)".  Anything else is a FAIL.
ctt_cmp() {
  local name=$1; shift
  local ns=${NS:-} ns2='' mode=sep norm='' in=/dev/null tries=$CTT_RETRIES
  local ours_first=0 sort=0 argv0='' onorm=''
  while (( $# )); do
    case $1 in
      --ns) ns=$2; shift 2 ;;
      --ns2) ns2=$2; shift 2 ;;
      --merge) mode=merge; shift ;;
      --pipe) mode=pipe; shift ;;
      --tty) mode='tty'; shift ;;
      --norm) norm+=$2$'\n'; shift 2 ;;
      --stdin) in=$2; shift 2 ;;
      --once) tries=1; shift ;;
      --sort) sort=1; shift ;;
      --argv0) argv0=$2; shift 2 ;;
      --norm-oracle) onorm+=$2$'\n'; shift 2 ;;
      --ours-first) ours_first=1; shift ;;
      --) shift; break ;;
      *) echo "ctt_cmp: bad option $1" >&2; return 2 ;;
    esac
  done
  [[ -n $ns2 ]] || ns2=$ns
  local oargs=() uargs=() a seen=0
  for a in "$@"; do
    if (( !seen )) && [[ $a == --ours ]]; then seen=1; continue; fi
    if (( seen )); then uargs+=("$a"); else oargs+=("$a"); fi
  done
  (( seen )) || uargs=("${oargs[@]}")
  local d="$CTT_TMP/cmp" t ok=0 f
  mkdir -p "$d"
  for (( t = 1; t <= tries; t++ )); do
    export CTT_ARGV0=$argv0
    if (( ours_first )); then
      _ctt_run1 "$CONNTRACK" "$ns2" "$mode" "$in" "$d/ours" "${uargs[@]}"
      _ctt_run1 "$ORACLE" "$ns" "$mode" "$in" "$d/oracle" "${oargs[@]}"
    else
      _ctt_run1 "$ORACLE" "$ns" "$mode" "$in" "$d/oracle" "${oargs[@]}"
      _ctt_run1 "$CONNTRACK" "$ns2" "$mode" "$in" "$d/ours" "${uargs[@]}"
    fi
    CTT_ARGV0=
    if [[ -n $onorm ]]; then
      for f in oracle.out oracle.err; do
        sed -E "$onorm" "$d/$f" >"$d/$f.n" && mv "$d/$f.n" "$d/$f"
      done
    fi
    if [[ -n $norm ]]; then
      for f in oracle.out oracle.err ours.out ours.err; do
        sed -E "$norm" "$d/$f" >"$d/$f.n" && mv "$d/$f.n" "$d/$f"
      done
    fi
    if (( sort )); then
      for f in oracle.out ours.out; do
        LC_ALL=C sort "$d/$f" >"$d/$f.n" && mv "$d/$f.n" "$d/$f"
      done
    fi
    if cmp -s "$d/oracle.out" "$d/ours.out" &&
       cmp -s "$d/oracle.err" "$d/ours.err" &&
       cmp -s "$d/oracle.rc" "$d/ours.rc"; then
      ok=1
      break
    fi
  done
  if (( ok )); then
    echo "PASS $name"
    CTT_PASS=$((CTT_PASS + 1))
    return 0
  fi
  local after_out=- after_err=-
  if (( tries > 1 )); then
    export CTT_ARGV0=$argv0
    _ctt_run1 "$ORACLE" "$ns" "$mode" "$in" "$d/after" "${oargs[@]}"
    CTT_ARGV0=
    for f in after.out after.err; do
      [[ -n $onorm ]] && { sed -E "$onorm" "$d/$f" >"$d/$f.n" && mv "$d/$f.n" "$d/$f"; }
      [[ -n $norm ]] && { sed -E "$norm" "$d/$f" >"$d/$f.n" && mv "$d/$f.n" "$d/$f"; }
    done
    if (( sort )); then
      LC_ALL=C sort "$d/after.out" >"$d/after.out.n" && mv "$d/after.out.n" "$d/after.out"
    fi
    after_out=$d/after.out after_err=$d/after.err
  fi
  if python3 "$CTT_TMP/fuzzy.py" "$d/oracle.out" "$d/ours.out" "$after_out" "$CTT_TIME_SLACK" &&
     python3 "$CTT_TMP/fuzzy.py" "$d/oracle.err" "$d/ours.err" "$after_err" "$CTT_TIME_SLACK" &&
     cmp -s "$d/oracle.rc" "$d/ours.rc"; then
    echo "PASS $name (timing)"
    CTT_PASS=$((CTT_PASS + 1))
    return 0
  fi
  echo "FAIL $name"
  local how="mode $mode"
  [[ -n $norm ]] && how+=", normalised"
  (( sort )) && how+=", sorted"
  [[ $ns2 != "$ns" ]] && how+=", ours in a twin namespace"
  echo "  command: conntrack ${oargs[*]}   ($how)"
  (( seen )) && echo "  ours ran: conntrack ${uargs[*]}"
  _ctt_diff stdout "$d/oracle.out" "$d/ours.out"
  _ctt_diff stderr "$d/oracle.err" "$d/ours.err"
  _ctt_diff exit "$d/oracle.rc" "$d/ours.rc"
  CTT_FAIL=$((CTT_FAIL + 1))
  return 1
}

_ctt_diff() {
  local what=$1 a=$2 b=$3
  cmp -s "$a" "$b" && return 0
  echo "  --- $what differs (oracle vs ours):"
  diff -u --label "oracle $what" --label "ours $what" "$a" "$b" |
    head -n "${CTT_DIFF_LINES:-40}" | cut -c1-600 | sed 's/^/  /'
}

# ctt_expect NAME STDOUT STDERR RC [--ns NS] -- ARGS...: run only OUR binary
# and compare with a fixed expectation (each of STDOUT/STDERR is the text
# without its final newline; "" means empty).  Used only for the documented
# 1.4.8 behaviours the 1.4.7 oracle cannot show.
ctt_expect() {
  local name=$1 eout=$2 eerr=$3 erc=$4 ns=${NS:-}; shift 4
  while (( $# )); do
    case $1 in
      --ns) ns=$2; shift 2 ;;
      --) shift; break ;;
      *) echo "ctt_expect: bad option $1" >&2; return 2 ;;
    esac
  done
  local d="$CTT_TMP/exp"
  mkdir -p "$d"
  [[ -n $eout ]] && printf '%s\n' "$eout" >"$d/oracle.out" || : >"$d/oracle.out"
  [[ -n $eerr ]] && printf '%s\n' "$eerr" >"$d/oracle.err" || : >"$d/oracle.err"
  echo "$erc" >"$d/oracle.rc"
  _ctt_run1 "$CONNTRACK" "$ns" sep /dev/null "$d/ours" "$@"
  if cmp -s "$d/oracle.out" "$d/ours.out" && cmp -s "$d/oracle.err" "$d/ours.err" &&
     cmp -s "$d/oracle.rc" "$d/ours.rc"; then
    echo "PASS $name"; CTT_PASS=$((CTT_PASS + 1)); return 0
  fi
  echo "FAIL $name"
  echo "  command: conntrack $*   (expected 1.4.8 behaviour, written in the test)"
  _ctt_diff stdout "$d/oracle.out" "$d/ours.out"
  _ctt_diff stderr "$d/oracle.err" "$d/ours.err"
  _ctt_diff exit "$d/oracle.rc" "$d/ours.rc"
  CTT_FAIL=$((CTT_FAIL + 1))
  return 1
}

# ctt_check NAME CMD...: a PASS/FAIL line from a shell condition.
ctt_check() {
  local name=$1; shift
  if "$@"; then
    echo "PASS $name"; CTT_PASS=$((CTT_PASS + 1))
  else
    echo "FAIL $name"; echo "  condition failed: $*"; CTT_FAIL=$((CTT_FAIL + 1))
  fi
}

# ctt_is_oracle: true when the binary under test is the oracle itself (then
# the cases where we deliberately follow 1.4.8 are skipped).
ctt_is_oracle() {
  [[ $(readlink -f "$CONNTRACK") == "$(readlink -f "$ORACLE")" ]]
}

# ctt_skip NAME REASON: not counted by run_all.sh (no PASS/FAIL prefix).
ctt_skip() {
  echo "SKIP $1: $2"
  CTT_SKIP=$((CTT_SKIP + 1))
}

# ctt_wait_for TIMEOUT_S CMD...: poll CMD every 0.1 s until it succeeds.
ctt_wait_for() {
  local limit=$1 i; shift
  for (( i = 0; i < limit * 10; i++ )); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# ctt_populate NS: the standard set of flows, created with the oracle in ONE
# batch (-R), so all of them are created within a few ms: their timeouts and
# delta-times then tick at the same moment, which keeps exact comparisons
# stable (see ctt_cmp).  All get a large timeout so nothing expires during a
# test.  Deterministic, so two namespaces populated with it list identically
# (modulo ids, timestamps and hash order).
ctt_populate() {
  local ns=$1 T=100000
  ctt_batch "$ns" <<EOF
    # TCP in several states, status flags, marks, NAT
    -I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t $T -m 42
    -I -p tcp -s 1.1.1.2 -d 2.2.2.2 --sport 11 --dport 20 --state SYN_SENT -t $T
    -I -p tcp -s 1.1.2.3 -d 2.2.2.3 --sport 12 --dport 80 --state SYN_RECV -u SEEN_REPLY -t $T -m 0x10
    -I -p tcp -s 1.1.2.4 -d 2.2.2.3 --sport 13 --dport 80 --state FIN_WAIT -u ASSURED -t $T -m 0x11
    -I -p tcp -s 1.1.2.5 -d 2.2.2.3 --sport 14 --dport 80 --state CLOSE_WAIT -t $T -m 0xff000010
    -I -p tcp -s 1.1.2.6 -d 2.2.2.3 --sport 15 --dport 80 --state LAST_ACK -t $T
    -I -p tcp -s 1.1.2.7 -d 2.2.2.3 --sport 16 --dport 80 --state CLOSE -t $T
    -I -p tcp -s 1.1.2.8 -d 2.2.2.3 --sport 17 --dport 80 --state NONE -t $T
    -I -p tcp -s 9.9.9.9 -d 2.2.2.2 --sport 11 --dport 21 --state LISTEN -t $T --dst-nat 3.3.3.3:80
    -I -p tcp -s 9.9.9.8 -d 2.2.2.2 --sport 11 --dport 21 --state TIME_WAIT -t $T --src-nat 4.4.4.4:99 -u ASSURED,SEEN_REPLY
    -I -p tcp -s 9.9.9.7 -d 2.2.2.2 --sport 12 --dport 22 --state ESTABLISHED -t $T --src-nat 4.4.4.5
    -I -p tcp -s 9.9.9.6 -d 2.2.2.2 --sport 13 --dport 23 --state ESTABLISHED -t $T --dst-nat 3.3.3.4
    -I -p udp -s 9.9.9.5 -d 2.2.2.2 --sport 14 --dport 24 -t $T --src-nat 4.4.4.6:1024 --dst-nat 3.3.3.5:53
    -I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 30 --dport 40 --state ESTABLISHED -u FIXED_TIMEOUT -t $T
    # UDP, zones
    -I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t $T -w 7
    -I -p udp -s 1.1.1.3 -d 2.2.2.2 --sport 53 --dport 5353 -t $T -u SEEN_REPLY -m 7
    -I -p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 2 --state ESTABLISHED -t $T --orig-zone 3
    -I -p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 4 --state ESTABLISHED -t $T --reply-zone 4
    -I -p udp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 5 -t $T -w 0
    # ICMP / ICMPv6
    -I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 77 -t $T
    -I -p icmp -s 1.1.1.1 -d 2.2.2.2 --icmp-type 13 --icmp-code 0 --icmp-id 78 -t $T -u SEEN_REPLY
    -I -p icmpv6 -s 2001:db8::1 -d 2001:db8::2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 78 -t $T
    # SCTP (vtags), DCCP, GRE (keys), UDPlite, unknown protocols
    -I -p sctp -s 1.1.1.1 -d 2.2.2.2 --sport 100 --dport 200 --state ESTABLISHED --orig-vtag 123 --reply-vtag 456 -t $T
    -I -p sctp -s 1.1.1.4 -d 2.2.2.2 --sport 101 --dport 201 --state COOKIE_WAIT --orig-vtag 1 --reply-vtag 2 -t $T
    -I -p dccp -s 1.1.1.1 -d 2.2.2.2 --sport 100 --dport 200 --state OPEN --role client -t $T
    -I -p gre -s 5.5.5.5 -d 6.6.6.6 --srckey 0x10 --dstkey 0x20 -t $T
    -I -p gre -s 5.5.5.6 -d 6.6.6.6 --srckey 0xffff --dstkey 0 -t $T
    -I -p udplite -s 1.1.1.1 -d 2.2.2.2 --sport 5 --dport 6 -t $T
    -I -p 2 -s 0.0.0.0 -d 224.0.0.22 -t $T
    -I -p 200 -s 7.7.7.7 -d 8.8.8.8 -t $T
    # IPv6, incl. "::" compression and v4-mapped addresses
    -I -p tcp -s :: -d ::1 --sport 1 --dport 2 --state ESTABLISHED -t $T
    -I -p udp -s ::ffff:1.2.3.4 -d 2001:db8:0:0:1:0:0:1 --sport 1 --dport 2 -t $T
    -I -p tcp -s 2001:db8:1::10 -d fe80::1:2:3:4 --sport 1000 --dport 80 --state SYN_SENT -t $T -m 5
    -I -p udp -s 2001:db8:1:0:ffff::1 -d 2001:0:0:1::1 --sport 7 --dport 8 -t $T -u SEEN_REPLY,ASSURED
    -I -p tcp -s 2001:db8:2::1 -d 2001:db8:2::2 --sport 1 --dport 2 --state ESTABLISHED -t $T --dst-nat [2001:db8:3::3]:8080
    -I -p 200 -s ff02::1 -d ::ffff:0:0 -t $T
EOF
}

# ctt_expect_count NAME NS N: a PASS/FAIL line checking (with the oracle)
# that NS holds N entries -- guards against a silently failed setup.
ctt_expect_count() {
  local n
  n=$(ip netns exec "$2" "$ORACLE" -C 2>/dev/null)
  ctt_check "$1 (setup: $3 entries, found ${n:-none})" test "${n:-0}" -eq "$3"
}

# ctt_batch NS: feed stdin to `oracle -R FILE` in NS (one command a line;
# lines starting with # are ignored by conntrack itself).
ctt_batch() {
  local ns=$1
  cat >"$CTT_TMP/batch.in"
  if ! timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$ns" "$ORACLE" -R "$CTT_TMP/batch.in" \
      >>"$CTT_TMP/setup.log" 2>&1; then
    echo "note: setup batch failed in $ns:" >&2
    tail -n 2 "$CTT_TMP/setup.log" >&2
    return 1
  fi
}

# ctt_finish: print a summary, exit non-zero if anything failed.
ctt_finish() {
  echo "# $(basename "$0"): $CTT_PASS passed, $CTT_FAIL failed, $CTT_SKIP skipped"
  (( CTT_FAIL == 0 )) && exit 0
  exit 1
}
