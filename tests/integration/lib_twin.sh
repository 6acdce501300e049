#!/usr/bin/env bash
# "Twin namespace" helpers for the tests of the commands that CHANGE the
# table (-I -A -U -D -F).  Source it after lib.sh:
#
#   . tests/integration/lib.sh
#   . tests/integration/lib_twin.sh
#   twin_init mod                 # two namespaces $TW_O (oracle), $TW_U (ours)
#   twin_setup <<'EOF'            # the flows every following case starts from
#   -I -p tcp -s 1.1.1.1 ...      # (oracle syntax, one command a line)
#   EOF
#   twin NAME -- -D -p tcp        # run oracle in TW_O, ours in TW_U, compare
#   ctt_finish
#
# Each `twin` case: empties both namespaces, populates both with the current
# setup (with the ORACLE, in one -R batch so every flow starts at the same
# moment), runs the oracle in TW_O and ours in TW_U, then compares
#   * the exit status,
#   * stderr, byte for byte,
#   * stdout, sorted (the entry order follows the per-namespace hash seed)
#     and normalised (timeouts/delta-time compared within TWIN_SLACK
#     seconds, the conntrack id and timestamps ignored),
#   * the resulting tables: oracle `-L -o F` for each F in TWIN_TABLE_FMTS
#     (default: extended -- mark, zone, family; add "save" where
#     FIXED_TIMEOUT matters) in each namespace, normalised and sorted the
#     same way.
# Every table dump walks the whole (host-sized) hash table, ~40 ms, so:
# both namespaces are populated, run and listed in parallel; a case where
# both binaries exit 2 (a command-line error: nothing was sent) skips the
# table dumps, and the next case then reuses the untouched tables.
#
# Options of `twin NAME [opts] -- ARGS...`:
#   --ours          in ARGS: words before it go to the oracle, words after to
#                   ours (for 1.4.8 differences, the oracle gets an
#                   equivalent command that produces the 1.4.8 effect)
#   --opre "ARGS"   run this oracle command in TW_O first (word-split; may
#                   repeat), output discarded (again: 1.4.8 equivalents)
#   --upre "ARGS"   the same, but in TW_U (still with the oracle)
#   --opost "ARGS"  oracle command run in TW_O AFTER the oracle's command
#   --rc N          expected exit status of ours (overrides the oracle's)
#   --err TEXT      expected stderr of ours (overrides the oracle's);
#                   "" = empty.  The text gets a final newline.
#   --out TEXT      expected stdout of ours (normalised + sorted like ours)
#   --no-table      do not compare the tables
#   --no-stdout     do not compare stdout (the caller checks it itself)
#   --print-back    -U: 1.4.7 prints back only SOME of the updated entries
#                   (sometimes stale), may add "Operation failed: No such
#                   file or directory" lines, and now and then aborts with
#                   "Protocol error" / "No buffer space available" (its
#                   print-back GET with NLM_F_ACK; fixed in 1.4.8, spec
#                   §8.5).  So: those stderr lines of the oracle are
#                   dropped, an aborted oracle run is retried (3 times),
#                   and stdout is checked by twin_pb.py (ours = N lines, N
#                   from ours' summary; each line an entry of ours'
#                   resulting table).
#   --table-fmt "F" table snapshot -o formats (default: "extended" "save")
#   --stdin FILE    stdin of both runs
# In ARGS, %ID% is replaced (per namespace) by the conntrack id of the first
# entry whose `-L -o id` line matches the ERE in $TWIN_ID_MATCH.
# A case where the oracle itself is the binary under test (CONNTRACK=oracle)
# still works; the 1.4.8 overrides then fail, as they should.

# Seconds two clock-driven numbers may differ: the twins are populated in
# parallel, but on a loaded machine one can lag by seconds.  Timeouts set by
# the tests differ from the setup's by far more than this.
TWIN_SLACK=${TWIN_SLACK:-12}
# The system interpreter: a pyenv shim in PATH costs ~0.3 s per start.
if [[ -z ${TWIN_PY:-} ]]; then
  TWIN_PY=python3
  [[ -x /usr/bin/python3 ]] && TWIN_PY=/usr/bin/python3
fi
TWIN_SETUP_FILE=$CTT_TMP/twin-setup
: >"$TWIN_SETUP_FILE"
TWIN_TABLE_FMTS=("extended")
TWIN_CLEAN=0

cat >"$CTT_TMP/twin_norm.py" <<'PY_EOF'
import re
TIME = [
    re.compile(r'^((?:\s*\[[A-Z]+\] )?(?:(?:ipv4|ipv6|unknown) +[0-9]+ +)?[a-z0-9]+ +[0-9]+ )([0-9]+)( )'),
    re.compile(r'(delta-time=)([0-9]+)()'),
    re.compile(r'(<timeout>)([0-9]+)(</timeout>)'),
    re.compile(r'(<deltatime>)([0-9]+)(</deltatime>)'),
    re.compile(r'^(-[AD] -t )([0-9]+)( )'),
]
IGNORE = [
    (re.compile(r'(use=[0-9]+ id=)[0-9]+'), r'\1ID'),
    (re.compile(r'<id>[0-9]+</id>'), '<id>ID</id>'),
    (re.compile(r'\[start=[^]]*\]'), '[start=S]'),
    (re.compile(r'\[stop=[^]]*\]'), '[stop=S]'),
    (re.compile(r'<start>[0-9]+</start>'), '<start>S</start>'),
    (re.compile(r'<stop>[0-9]+</stop>'), '<stop>S</stop>'),
    (re.compile(r'portid=[0-9]+'), 'portid=P'),
]
def norm(line):
    nums = []
    for p in TIME:
        def sub(m):
            nums.append(int(m.group(2)))
            return m.group(1) + '<T>' + m.group(3)
        line = p.sub(sub, line)
    for p, r in IGNORE:
        line = p.sub(r, line)
    return line, nums
PY_EOF
cat >"$CTT_TMP/twin_cmp.py" <<'PY_EOF'
# twin_cmp.py SLACK SORT NAME EXPECTED ACTUAL [NAME EXPECTED ACTUAL]...
# Compares each pair after normalising clock-driven numbers (compared within
# SLACK) and ids/timestamps (ignored).  SORT=1 sorts lines first.  Prints a
# diff of the normalised text for each pair that differs; exit 1 if any.
import re, sys, difflib
slack = int(sys.argv[1]); do_sort = sys.argv[2] == '1'
exec(open(sys.argv[0].rsplit('/', 1)[0] + '/twin_norm.py').read())
def load(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = [norm(l.rstrip('\n')) for l in f]
    if do_sort:
        lines.sort()
    return lines
bad = 0
args = sys.argv[3:]
for i in range(0, len(args), 3):
    what, ea, eb = args[i:i+3]
    a, b = load(ea), load(eb)
    ok = len(a) == len(b) and all(
        x[0] == y[0] and len(x[1]) == len(y[1]) and
        all(abs(p - q) <= slack for p, q in zip(x[1], y[1]))
        for x, y in zip(a, b))
    if ok:
        continue
    bad = 1
    print('  --- %s differs (expected vs ours; times shown as <T>):' % what)
    def same(x, y):
        return x[0] == y[0] and all(abs(p - q) <= slack for p, q in zip(x[1], y[1]))
    if len(a) == len(b):
        ta = [x[0] if same(x, y) else '%s %s' % x for x, y in zip(a, b)]
        tb = [y[0] if same(x, y) else '%s %s' % y for x, y in zip(a, b)]
    else:
        ta = [x[0] for x in a]
        tb = [y[0] for y in b]
    d = list(difflib.unified_diff(ta, tb, 'expected', 'ours', lineterm='', n=1))
    for l in d[:40]:
        print('  ' + l[:600])
    if len(d) > 40:
        print('  ... (%d more diff lines)' % (len(d) - 40))
sys.exit(bad)
PY_EOF

cat >"$CTT_TMP/twin_pb.py" <<'PY_EOF'
# twin_pb.py SLACK ORACLE_OUT OURS_OUT OURS_ERR OURS_TABLE
# The -U print-back check (see `twin --print-back`): ours printed exactly N
# lines, N from ours' "N flow entries have been updated." line (which is
# compared with the oracle's); every text/save line of ours shows an entry
# that is in ours' table afterwards (use= ignored: the print-back holds a
# reference).  The 1.4.7 oracle's own lines are not used: it prints only
# some entries, sometimes in their state BEFORE the update.
import re, sys
slack = int(sys.argv[1])
exec(open(sys.argv[0].rsplit('/', 1)[0] + '/twin_norm.py').read())
def lines(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return [l.rstrip('\n') for l in f]
def key(l):
    t, nums = norm(l)
    t = re.sub(r' use=[0-9]+', ' use=U', t)
    return re.sub(r' id=ID$', '', t)
ours = [key(l) for l in lines(sys.argv[3])]
bad = []
m = [re.match(r'.*: ([0-9]+) flow entries have been updated\.$', l) for l in lines(sys.argv[4])]
m = [x for x in m if x]
if m and int(m[-1].group(1)) != len(ours):
    bad.append('ours printed %d lines but says %s were updated' % (len(ours), m[-1].group(1)))
table = set()
for l in lines(sys.argv[5]):
    table.add(key(re.sub(r'^(ipv4|ipv6|unknown) +[0-9]+ +', '', l)))
    table.add(key(l))
for l in ours:
    if l.startswith('<') or l in table:
        continue
    bad.append('ours printed an entry that is not in its table: ' + l)
for b in bad[:20]:
    print('  ' + b[:600])
sys.exit(1 if bad else 0)
PY_EOF

# twin_init LABEL: create the two namespaces (deleted on exit by lib.sh).
twin_init() {
  ctt_new_ns TW_O "$1-o"
  ctt_new_ns TW_U "$1-u"
}

# twin_setup: read the flows (one oracle command a line; blank lines and
# lines starting with # ignored) for the following cases from stdin.
twin_setup() {
  grep -Ev '^[[:space:]]*(#|$)' >"$TWIN_SETUP_FILE"
  TWIN_CLEAN=0
}

# twin_nsexec NS: run the rest of the arguments in NS with the oracle,
# bounded in time.
_twin_oracle() {
  local ns=$1; shift
  timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$ns" "$ORACLE" "$@"
}

# twin_populate NS: flush NS and create the setup flows in it.  Lines with
# --label-add are run one by one (the 1.4.7 oracle crashes on them in -R).
twin_populate() {
  local ns=$1 line
  if grep -q -- '--label' "$TWIN_SETUP_FILE"; then
    _twin_oracle "$ns" -F >/dev/null 2>&1
    while read -r line; do
      # shellcheck disable=SC2086
      _twin_oracle "$ns" $line >>"$CTT_TMP/setup.log" 2>&1 ||
        { echo "note: setup failed in $ns: $line" >&2; tail -n1 "$CTT_TMP/setup.log" >&2; }
    done <"$TWIN_SETUP_FILE"
  else
    # one process: flush, then create (each step walks the kernel's hash
    # table, which is host-sized: ~40 ms)
    { echo "-F"; cat "$TWIN_SETUP_FILE"; } >"$CTT_TMP/populate.$ns"
    _twin_oracle "$ns" -R "$CTT_TMP/populate.$ns" >>"$CTT_TMP/setup.log" 2>&1 ||
      { echo "note: setup batch failed in $ns" >&2; tail -n2 "$CTT_TMP/setup.log" >&2; }
  fi
}

# twin_snapshot NS OUT: the table of NS as the oracle lists it.
twin_snapshot() {
  local ns=$1 out=$2 f
  : >"$out"
  for f in "${TWIN_TABLE_FMTS[@]}"; do
    # stderr separately: stdout is block-buffered, a 2>&1 capture would
    # cut lines in two
    _twin_oracle "$ns" -L -o "$f" >>"$out" 2>"$out.err"
    cat "$out.err" >>"$out"
  done
}

# _twin_subst_id NS ARGS...: print ARGS (NUL separated) with %ID% replaced.
_twin_args() {
  local ns=$1; shift
  local id='' a
  for a in "$@"; do
    if [[ $a == *%ID%* ]]; then
      if [[ -z $id ]]; then
        id=$(_twin_oracle "$ns" -L -o id 2>/dev/null | grep -E -m1 -- "${TWIN_ID_MATCH:-.}" |
             sed -E 's/.*use=[0-9]+ id=([0-9]+).*/\1/')
      fi
      a=${a//%ID%/$id}
    fi
    printf '%s\0' "$a"
  done
}

twin() {
  local name=$1; shift
  local erc='' eerr='' eout='' has_err=0 has_out=0 table=1 in=/dev/null nostdout=0 printback=0
  local opre=() upre=() opost=() fmts=()
  while (( $# )); do
    case $1 in
      --rc) erc=$2; shift 2 ;;
      --err) eerr=$2; has_err=1; shift 2 ;;
      --out) eout=$2; has_out=1; shift 2 ;;
      --opre) opre+=("$2"); shift 2 ;;
      --upre) upre+=("$2"); shift 2 ;;
      --opost) opost+=("$2"); shift 2 ;;
      --no-table) table=0; shift ;;
      --no-stdout) nostdout=1; shift ;;
      --print-back) printback=1; shift ;;
      --table-fmt) fmts+=("$2"); shift 2 ;;
      --stdin) in=$2; shift 2 ;;
      --) shift; break ;;
      *) echo "twin: bad option $1" >&2; return 2 ;;
    esac
  done
  local oargs=() uargs=() a seen=0
  for a in "$@"; do
    if (( !seen )) && [[ $a == --ours ]]; then seen=1; continue; fi
    if (( seen )); then uargs+=("$a"); else oargs+=("$a"); fi
  done
  (( seen )) || uargs=("${oargs[@]}")
  local d=$CTT_TMP/twin p report=
  rm -rf "$d"; mkdir -p "$d"
  local attempt oargs0=("${oargs[@]}") uargs0=("${uargs[@]}")
  for (( attempt = 1; attempt <= 3; attempt++ )); do
    if (( !TWIN_CLEAN )) || (( ${#opre[@]} + ${#upre[@]} )); then
      twin_populate "$TW_O" & twin_populate "$TW_U" & wait
    fi
    TWIN_CLEAN=0
    for p in "${opre[@]}"; do
      # shellcheck disable=SC2086
      _twin_oracle "$TW_O" $p >/dev/null 2>&1
    done
    for p in "${upre[@]}"; do
      # shellcheck disable=SC2086
      _twin_oracle "$TW_U" $p >/dev/null 2>&1
    done
    mapfile -d '' -t oargs < <(_twin_args "$TW_O" "${oargs0[@]}")
    mapfile -d '' -t uargs < <(_twin_args "$TW_U" "${uargs0[@]}")
    {
      timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$TW_O" "$ORACLE" "${oargs[@]}" \
        <"$in" >"$d/o.out" 2>"$d/o.err"
      echo $? >"$d/o.rc"
      for p in "${opost[@]}"; do
        # shellcheck disable=SC2086
        _twin_oracle "$TW_O" $p >/dev/null 2>&1
      done
    } &
    timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$TW_U" "$CONNTRACK" "${uargs[@]}" \
      <"$in" >"$d/u.out" 2>"$d/u.err"
    echo $? >"$d/u.rc"
    wait
    (( printback )) || break
    grep -Eq '^(conntrack v[^:]*: )?Operation failed: (Protocol error|No buffer space available)' "$d/o.err" || break
    TWIN_CLEAN=0
  done
  local nextra=$(( ${#opre[@]} + ${#upre[@]} + ${#opost[@]} ))
  if [[ $(<"$d/o.rc") == 2 && $(<"$d/u.rc") == 2 ]] && (( nextra == 0 )); then
    TWIN_CLEAN=1 table=0
  fi
  # read-only commands (both sides): no table comparison, and the next case
  # can reuse the tables
  case ${oargs[0]:-}/${uargs[0]:-} in
    -L/-L|--dump/--dump|-G/-G|--get/--get)
      if (( nextra == 0 )); then TWIN_CLEAN=1 table=0; fi ;;
  esac
  if (( printback )) && [[ " ${uargs[*]} " == *" -o save"* ]]; then
    local f have=0
    (( ${#fmts[@]} )) || fmts=("${TWIN_TABLE_FMTS[@]}")
    for f in "${fmts[@]}"; do [[ $f == save ]] && have=1; done
    (( have )) || fmts+=(save)
  fi
  [[ -n $erc ]] && echo "$erc" >"$d/o.rc"
  if (( has_err )); then
    if [[ -n $eerr ]]; then printf '%s\n' "$eerr" >"$d/o.err"; else : >"$d/o.err"; fi
  fi
  if (( has_out )); then
    if [[ -n $eout ]]; then printf '%s\n' "$eout" >"$d/o.out"; else : >"$d/o.out"; fi
  fi
  local cmpargs=()
  (( table )) || printback=0
  (( nostdout || printback )) || cmpargs+=(stdout "$d/o.out" "$d/u.out")
  if (( printback )) && (( !has_err )); then
    grep -v '^Operation failed: ' "$d/o.err" >"$d/o.err.n"; mv "$d/o.err.n" "$d/o.err"
  fi
  if (( table )); then
    (( ${#fmts[@]} )) || fmts=("${TWIN_TABLE_FMTS[@]}")
    local save=("${TWIN_TABLE_FMTS[@]}")
    TWIN_TABLE_FMTS=("${fmts[@]}")
    twin_snapshot "$TW_O" "$d/o.tab" & twin_snapshot "$TW_U" "$d/u.tab" & wait
    TWIN_TABLE_FMTS=("${save[@]}")
    cmpargs+=(table "$d/o.tab" "$d/u.tab")
  fi
  local fail=0
  local i same=1
  for (( i = 0; i < ${#cmpargs[@]}; i += 3 )); do
    cmp -s "${cmpargs[i+1]}" "${cmpargs[i+2]}" || same=0
  done
  if (( !same && ${#cmpargs[@]} )); then
    report=$("$TWIN_PY" "$CTT_TMP/twin_cmp.py" "$TWIN_SLACK" 1 "${cmpargs[@]}") || fail=1
  fi
  if (( printback )); then
    local pb
    pb=$("$TWIN_PY" "$CTT_TMP/twin_pb.py" "$TWIN_SLACK" "$d/o.out" "$d/u.out" "$d/u.err" "$d/u.tab") ||
      { fail=1; report+=$'\n'"  --- stdout (-U print-back check):"$'\n'"$pb"; }
  fi
  if ! cmp -s "$d/o.err" "$d/u.err"; then
    fail=1
    report+=$'\n'$(_ctt_diff stderr "$d/o.err" "$d/u.err")
  fi
  if ! cmp -s "$d/o.rc" "$d/u.rc"; then
    fail=1
    report+=$'\n'$(_ctt_diff exit "$d/o.rc" "$d/u.rc")
  fi
  if (( fail )); then
    echo "FAIL $name"
    echo "  command: conntrack ${uargs[*]}"
    (( seen )) && echo "  oracle ran: conntrack ${oargs[*]}"
    (( ${#opre[@]} )) && echo "  oracle pre-commands: ${opre[*]}"
    [[ -n $erc || $has_err == 1 || $has_out == 1 ]] && echo "  (expected values partly written in the test: 1.4.8 behaviour)"
    printf '%s\n' "$report" | sed '/^$/d'
    CTT_FAIL=$((CTT_FAIL + 1))
    return 1
  fi
  echo "PASS $name"
  CTT_PASS=$((CTT_PASS + 1))
}

# For --err: the prefix of every message, and the PARAMETER_PROBLEM tail.
# shellcheck disable=SC2034
TWIN_P="conntrack v1.4.7 (conntrack-tools): "
TWIN_TRY="Try \`conntrack -h' or 'conntrack --help' for more information."

# twin_each PREFIX [TWIN-OPTIONS...]: one twin case per stdin line (shell
# words, so quotes work: -p ''), named "PREFIX ARGS".  Blank lines and
# # comments skipped.
twin_each() {
  local prefix=$1 line
  shift
  local -a opts=("$@")
  local -a lines=()
  mapfile -t lines
  for line in "${lines[@]}"; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    line=${line#"${line%%[![:space:]]*}"}
    eval "set -- $line"
    twin "$prefix $line" "${opts[@]}" -- "$@"
  done
}
