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
#   * the resulting tables: oracle `-L -o extended` and `-L -o save`
#     (save shows FIXED_TIMEOUT/SEEN_REPLY, extended shows mark/zone/family)
#     in each namespace, normalised and sorted the same way.
#
# Options of `twin NAME [opts] -- ARGS...`:
#   --ours          in ARGS: words before it go to the oracle, words after to
#                   ours (for 1.4.8 differences, the oracle gets an
#                   equivalent command that produces the 1.4.8 effect)
#   --opre "ARGS"   run this oracle command in TW_O first (word-split; may
#                   repeat), output discarded (again: 1.4.8 equivalents)
#   --upre "ARGS"   the same, but in TW_U (still with the oracle)
#   --rc N          expected exit status of ours (overrides the oracle's)
#   --err TEXT      expected stderr of ours (overrides the oracle's);
#                   "" = empty.  The text gets a final newline.
#   --out TEXT      expected stdout of ours (normalised + sorted like ours)
#   --no-table      do not compare the tables
#   --table-fmt "F" table snapshot -o formats (default: "extended" "save")
#   --stdin FILE    stdin of both runs
# In ARGS, %ID% is replaced (per namespace) by the conntrack id of the first
# entry whose `-L -o id` line matches the ERE in $TWIN_ID_MATCH.
# A case where the oracle itself is the binary under test (CONNTRACK=oracle)
# still works; the 1.4.8 overrides then fail, as they should.

TWIN_SLACK=${TWIN_SLACK:-3}
TWIN_SETUP_FILE=$CTT_TMP/twin-setup
: >"$TWIN_SETUP_FILE"
TWIN_TABLE_FMTS=("extended" "save")

cat >"$CTT_TMP/twin_cmp.py" <<'PY_EOF'
# twin_cmp.py SLACK SORT NAME EXPECTED ACTUAL [NAME EXPECTED ACTUAL]...
# Compares each pair after normalising clock-driven numbers (compared within
# SLACK) and ids/timestamps (ignored).  SORT=1 sorts lines first.  Prints a
# diff of the normalised text for each pair that differs; exit 1 if any.
import re, sys, difflib
slack = int(sys.argv[1]); do_sort = sys.argv[2] == '1'
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
    ta = [x[0] if x[0] != y[0] else x[0] + ' ' + str(x[1]) for x, y in zip(a, b)] + [x[0] for x in a[len(b):]]
    tb = [y[0] if x[0] != y[0] else y[0] + ' ' + str(y[1]) for x, y in zip(a, b)] + [y[0] for y in b[len(a):]]
    d = list(difflib.unified_diff(ta, tb, 'expected', 'ours', lineterm='', n=1))
    for l in d[:40]:
        print('  ' + l[:600])
    if len(d) > 40:
        print('  ... (%d more diff lines)' % (len(d) - 40))
sys.exit(bad)
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
  _twin_oracle "$ns" -F >/dev/null 2>&1
  [[ -s $TWIN_SETUP_FILE ]] || return 0
  if grep -q -- '--label' "$TWIN_SETUP_FILE"; then
    while read -r line; do
      # shellcheck disable=SC2086
      _twin_oracle "$ns" $line >>"$CTT_TMP/setup.log" 2>&1 ||
        { echo "note: setup failed in $ns: $line" >&2; tail -n1 "$CTT_TMP/setup.log" >&2; }
    done <"$TWIN_SETUP_FILE"
  else
    _twin_oracle "$ns" -R "$TWIN_SETUP_FILE" >>"$CTT_TMP/setup.log" 2>&1 ||
      { echo "note: setup batch failed in $ns" >&2; tail -n2 "$CTT_TMP/setup.log" >&2; }
  fi
}

# twin_snapshot NS OUT: the table of NS as the oracle lists it.
twin_snapshot() {
  local ns=$1 out=$2 f
  : >"$out"
  for f in "${TWIN_TABLE_FMTS[@]}"; do
    _twin_oracle "$ns" -L -o "$f" >>"$out" 2>&1
  done
}

# _twin_subst_id NS ARGS...: print ARGS (NUL separated) with %ID% replaced.
_twin_args() {
  local ns=$1; shift
  local id= a
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
  local erc= eerr= eout= has_err=0 has_out=0 table=1 in=/dev/null
  local opre=() upre=() fmts=()
  while (( $# )); do
    case $1 in
      --rc) erc=$2; shift 2 ;;
      --err) eerr=$2; has_err=1; shift 2 ;;
      --out) eout=$2; has_out=1; shift 2 ;;
      --opre) opre+=("$2"); shift 2 ;;
      --upre) upre+=("$2"); shift 2 ;;
      --no-table) table=0; shift ;;
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
  local d=$CTT_TMP/twin p
  rm -rf "$d"; mkdir -p "$d"
  twin_populate "$TW_O"
  twin_populate "$TW_U"
  for p in "${opre[@]}"; do
    # shellcheck disable=SC2086
    _twin_oracle "$TW_O" $p >/dev/null 2>&1
  done
  for p in "${upre[@]}"; do
    # shellcheck disable=SC2086
    _twin_oracle "$TW_U" $p >/dev/null 2>&1
  done
  mapfile -d '' -t oargs < <(_twin_args "$TW_O" "${oargs[@]}")
  mapfile -d '' -t uargs < <(_twin_args "$TW_U" "${uargs[@]}")
  timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$TW_O" "$ORACLE" "${oargs[@]}" \
    <"$in" >"$d/o.out" 2>"$d/o.err"
  echo $? >"$d/o.rc"
  timeout -k 5 "$CTT_CMD_TIMEOUT" ip netns exec "$TW_U" "$CONNTRACK" "${uargs[@]}" \
    <"$in" >"$d/u.out" 2>"$d/u.err"
  echo $? >"$d/u.rc"
  [[ -n $erc ]] && echo "$erc" >"$d/o.rc"
  if (( has_err )); then
    if [[ -n $eerr ]]; then printf '%s\n' "$eerr" >"$d/o.err"; else : >"$d/o.err"; fi
  fi
  if (( has_out )); then
    if [[ -n $eout ]]; then printf '%s\n' "$eout" >"$d/o.out"; else : >"$d/o.out"; fi
  fi
  local cmpargs=(stdout "$d/o.out" "$d/u.out")
  if (( table )); then
    (( ${#fmts[@]} )) || fmts=("${TWIN_TABLE_FMTS[@]}")
    local save=("${TWIN_TABLE_FMTS[@]}")
    TWIN_TABLE_FMTS=("${fmts[@]}")
    twin_snapshot "$TW_O" "$d/o.tab"
    twin_snapshot "$TW_U" "$d/u.tab"
    TWIN_TABLE_FMTS=("${save[@]}")
    cmpargs+=(table "$d/o.tab" "$d/u.tab")
  fi
  local fail=0 report
  report=$(python3 "$CTT_TMP/twin_cmp.py" "$TWIN_SLACK" 1 "${cmpargs[@]}") || fail=1
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

# twin_err TEXT...: the stderr lines of a run, each prefixed with the
# program's "conntrack v1.4.7 (conntrack-tools): " (for --err).
TWIN_P="conntrack v1.4.7 (conntrack-tools): "
TWIN_TRY="Try \`conntrack -h' or 'conntrack --help' for more information."
