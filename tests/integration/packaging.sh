#!/usr/bin/env bash
# Packaging: what contrib/ ships and what `make install` installs.
#
#  * every contrib/conf sample starts our daemon (and Debian's 1.4.7, where
#    it has every keyword the sample uses) in a private namespace with a
#    veth "eth2" holding the sample's sync address; `conntrackd -s`
#    answers; no warning or error is logged; SIGTERM ends it with status 0
#    and removes the lock file.  The samples' LockFile, LogFile and UNIX
#    Path are rewritten to temporary files with sed.
#  * the OpenRC script and its conf.d file parse (`sh -n`; openrc-run
#    itself is not available here);
#  * the systemd unit passes `systemd-analyze verify` (skipped if absent);
#  * `make install DESTDIR=... PREFIX=/usr` installs exactly the expected
#    files with the expected modes, and `make uninstall` removes them all;
#  * the man pages are lint clean (mandoc -Tlint -Wwarning, groff -ww);
#  * the bash completions load, complete a few lines as expected, and every
#    option and sub-argument they offer is accepted by our programs.
#
#   tests/integration/packaging.sh      (root; about 20 s)
#
# CONNTRACK, CONNTRACKD: our binaries; UPSTREAM_CONNTRACKD: Debian's
# (default /usr/sbin/conntrackd).  Prints PASS/FAIL lines and "# note"
# lines for what is skipped; exit status 1 if any case failed.  The
# namespace and every daemon started here are removed/killed (by PID) on
# exit.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
CONNTRACK=${CONNTRACK:-$TOP/conntrack}
CONNTRACKD=${CONNTRACKD:-$TOP/conntrackd}
UPSTREAM_CONNTRACKD=${UPSTREAM_CONNTRACKD:-/usr/sbin/conntrackd}
NS=ctpk-$$-$RANDOM
T=$(mktemp -d /tmp/ctpk.XXXXXX)
PASS=0 FAIL=0 PIDS=() NS_MADE=0

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  ((NS_MADE)) && ip netns del "$NS" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS $1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; FAIL=$((FAIL + 1)); }
note() { echo "# note: $*"; }
nsx() { timeout 20 ip netns exec "$NS" "$@"; }

[[ -x $CONNTRACK && -x $CONNTRACKD ]] || { echo "FAIL setup: no $CONNTRACK or $CONNTRACKD"; exit 1; }
(( EUID == 0 )) || { echo "FAIL setup: needs root (network namespaces)"; exit 1; }

# ---- sample configurations ------------------------------------------------
# Keywords of ours that Debian's 1.4.7 does not know (none at present); a
# sample using one is only run with our daemon.
UPSTREAM_LACKS=()

ip netns add "$NS" || { echo "FAIL setup: ip netns add"; exit 1; }
NS_MADE=1
nsx ip link set lo up
# The samples' dedicated sync link: eth2 with fw1's address 192.168.100.1.
nsx ip link add eth2 type veth peer name eth2p &&
  nsx ip addr add 192.168.100.1/24 dev eth2 &&
  nsx ip link set eth2 up && nsx ip link set eth2p up ||
  { echo "FAIL setup: sync interface"; exit 1; }

# run_sample LABEL DAEMON CONF: one start, query and stop.
run_sample() {
  local label=$1 d=$2 conf=$3 dir i rc pid why=
  dir=$(mktemp -d "$T/run.XXXXXX")
  sed -e "s|/var/lock/conntrackd.lock|$dir/lock|" \
      -e "s|/var/log/conntrackd.log|$dir/log|" \
      -e "s|/var/run/conntrackd.ctl|$dir/ctl|" "$conf" >"$dir/conf"
  if grep -q -e /var/lock -e /var/log -e /var/run "$dir/conf"; then
    fail "$label" "a path in the sample was not substituted"
    return
  fi
  # Not under systemd here, whatever started the test.  `ip netns exec`
  # and env exec the daemon: $! is the daemon's PID.
  ip netns exec "$NS" env -u NOTIFY_SOCKET "$d" -C "$dir/conf" >"$dir/out" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for ((i = 0; i < 100; i++)); do
    [[ -S $dir/ctl ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ ! -S $dir/ctl ]]; then
    why="no control socket: $(tail -n 2 "$dir/out" | tr '\n' ' ')"
  else
    nsx "$d" -C "$dir/conf" -s >"$dir/stats" 2>&1
    rc=$?
    if ((rc != 0)) || ! grep -qE '^(cache internal|internal bypass):' "$dir/stats"; then
      why="-s: status $rc, $(head -n 1 "$dir/stats")"
    elif grep -qE '\[(warning|ERROR)\]' "$dir/out"; then
      why="logged: $(grep -E '\[(warning|ERROR)\]' "$dir/out" | head -n 1)"
    fi
  fi
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  if [[ -z $why ]]; then
    if ((rc != 0)); then
      why="exit status $rc after SIGTERM"
    elif [[ -e $dir/lock ]]; then
      why="lock file left behind"
    fi
  fi
  if [[ -z $why ]]; then pass "$label"; else fail "$label" "$why"; fi
}

samples=("$TOP"/contrib/conf/*.conf)
if ((${#samples[@]} != 9)) || [[ ! -e ${samples[0]} ]]; then
  fail "9 sample configurations" "found ${#samples[@]}"
fi
for conf in "${samples[@]}"; do
  [[ -e $conf ]] || continue
  name=$(basename "$conf")
  run_sample "sample $name: our daemon" "$CONNTRACKD" "$conf"
  if [[ ! -x $UPSTREAM_CONNTRACKD ]]; then
    note "sample $name: $UPSTREAM_CONNTRACKD not installed, upstream run skipped"
    continue
  fi
  lacks=
  for kw in "${UPSTREAM_LACKS[@]}"; do
    grep -qE "^[^#]*\\<$kw\\>" "$conf" && lacks+=" $kw"
  done
  if [[ -n $lacks ]]; then
    note "sample $name: not run with Debian's daemon, which lacks:$lacks"
  else
    run_sample "sample $name: Debian's daemon" "$UPSTREAM_CONNTRACKD" "$conf"
  fi
done

# ---- OpenRC -----------------------------------------------------------------
initd=$TOP/contrib/openrc/conntrackd.initd confd=$TOP/contrib/openrc/conntrackd.confd
if sh -n "$initd" 2>"$T/sh.err" && sh -n "$confd" 2>>"$T/sh.err"; then
  pass "openrc: sh -n conntrackd.initd, conntrackd.confd"
else
  fail "openrc: sh -n" "$(head -n 2 "$T/sh.err")"
fi
if [[ $(head -n 1 "$initd") == '#!/sbin/openrc-run' ]] &&
   grep -q '^command="/usr/sbin/conntrackd"' "$initd" && grep -q '^depend()' "$initd" &&
   ! grep -qE '^command_args=.*(^| )-d( |"|$)' "$initd"; then
  pass "openrc: openrc-run script, /usr/sbin/conntrackd in the foreground"
else
  fail "openrc: shebang, command, depend() or a stray -d"
fi
note "openrc-run is not available: the script's OpenRC behaviour is not exercised"

# ---- systemd ----------------------------------------------------------------
unit=$TOP/contrib/systemd/conntrackd.service
if grep -qx 'Type=notify' "$unit" &&
   grep -qx 'ExecStart=/usr/sbin/conntrackd -C /etc/conntrackd/conntrackd.conf' "$unit"; then
  pass "systemd: Type=notify, foreground ExecStart"
else
  fail "systemd: Type=notify and ExecStart=/usr/sbin/conntrackd -C ... (no -d)"
fi
if command -v systemd-analyze >/dev/null; then
  # verify wants the programs to exist: point the copy at ours.
  mkdir -p "$T/unit"
  sed "s|/usr/sbin/conntrackd|$CONNTRACKD|" "$unit" >"$T/unit/conntrackd.service"
  if SYSTEMD_LOG_LEVEL=warning timeout 30 systemd-analyze verify "$T/unit/conntrackd.service" \
      >"$T/verify.out" 2>&1 && ! grep -q . "$T/verify.out"; then
    pass "systemd: systemd-analyze verify"
  else
    fail "systemd: systemd-analyze verify" "$(head -n 3 "$T/verify.out" | tr '\n' ' ')"
  fi
else
  note "systemd-analyze not installed: unit not verified"
fi

# ---- make install / uninstall ----------------------------------------------
# A make of our own, not the one running `make check` (its jobserver).
inst=$T/destdir
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s -C "$TOP" \
    install DESTDIR="$inst" PREFIX=/usr >"$T/install.out" 2>&1; then
  (cd "$inst" && find . -type f -printf '%m %P\n' -o -type l -printf 'link %P\n' | sort) \
    >"$T/installed"
  sort >"$T/expected" <<'EOF'
755 usr/sbin/conntrack
755 usr/sbin/conntrackd
644 usr/share/man/man8/conntrack.8
644 usr/share/man/man8/conntrackd.8
644 usr/share/man/man5/conntrackd.conf.5
644 usr/share/bash-completion/completions/conntrack
644 usr/share/bash-completion/completions/conntrackd
EOF
  if diff -u "$T/expected" "$T/installed" >"$T/install.diff"; then
    pass "make install DESTDIR PREFIX=/usr: exactly the expected files and modes"
  else
    fail "make install: file list" "$(tr '\n' ' ' <"$T/install.diff" | head -c 400)"
  fi
  if cmp -s "$inst/usr/share/bash-completion/completions/conntrack" \
       "$TOP/contrib/bash-completion/conntrack" &&
     cmp -s "$inst/usr/share/man/man5/conntrackd.conf.5" "$TOP/man/conntrackd.conf.5"; then
    pass "make install: files copied unchanged"
  else
    fail "make install: installed files differ from the sources"
  fi
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s -C "$TOP" \
    uninstall DESTDIR="$inst" PREFIX=/usr >>"$T/install.out" 2>&1
  left=$(cd "$inst" && find . ! -type d | head -n 3)
  if [[ -z $left ]]; then pass "make uninstall removes every file"; else fail "make uninstall" "left $left"; fi
else
  fail "make install DESTDIR PREFIX=/usr" "$(tail -n 2 "$T/install.out")"
fi

# ---- man pages ----------------------------------------------------------------
mans=("$TOP"/man/conntrack.8 "$TOP"/man/conntrackd.8 "$TOP"/man/conntrackd.conf.5)
linted=0
if command -v mandoc >/dev/null; then
  linted=1
  out=$(mandoc -Tlint -Wwarning "${mans[@]}" 2>&1)
  if [[ -z $out ]]; then pass "man pages: mandoc -Tlint -Wwarning clean"; else fail "mandoc -Tlint" "$(head -n 3 <<<"$out")"; fi
fi
if command -v groff >/dev/null; then
  linted=1
  out=$(for m in "${mans[@]}"; do groff -ww -z -man "$m" 2>&1; done)
  if [[ -z $out ]]; then pass "man pages: groff -ww clean"; else fail "groff -ww" "$(head -n 3 <<<"$out")"; fi
fi
((linted)) || note "neither mandoc nor groff installed: man pages not linted"

# ---- bash completion ----------------------------------------------------------
# comp FUNC WORD...: COMPREPLY for the command line WORD... (the last word is
# the one being completed), one word per line, sorted.
cat >"$T/comp.bash" <<'EOF'
. "$TOP/contrib/bash-completion/conntrack" || exit 1
. "$TOP/contrib/bash-completion/conntrackd" || exit 1
comp() {
  local f=$1; shift
  COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
  "$f" 2>/dev/null
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
EOF
export TOP
runb() { bash --norc --noprofile -c ". '$T/comp.bash' && $1" 2>&1; }

got=$(runb 'complete -p conntrack; complete -p conntrackd')
if [[ $got == $'complete -F _conntrack conntrack\ncomplete -F _conntrackd conntrackd' ]]; then
  pass "completion: both scripts load and register (complete -p)"
else
  fail "completion: complete -p" "$got"
fi

# expect_comp LABEL EXPECTED FUNC WORD...
expect_comp() {
  local label=$1 want=$2 f=$3 line got
  shift 3
  line=$(printf "'%s' " "$@")
  got=$(runb "comp $f $line")
  if [[ $got == "$want" ]]; then pass "completion: $label"; else fail "completion: $label" "got '$got', want '$want'"; fi
}
# The words are printed sorted, each followed by a space.
expect_comp "conntrack -L <table>" "conntrack dying expect unconfirmed " _conntrack conntrack -L ''
expect_comp "conntrack -U <table>" "conntrack " _conntrack conntrack -U ''
expect_comp "conntrack -o x" "xml " _conntrack conntrack -L -o x
expect_comp "conntrack -o list" "xml,extended " _conntrack conntrack -L -o xml,e
expect_comp "conntrack --output=k" "ktimestamp " _conntrack conntrack -L --output = k
expect_comp "conntrack -p s" "sctp " _conntrack conntrack -L -p s
expect_comp "conntrack tcp --state ES" "ESTABLISHED " _conntrack conntrack -L -p tcp --state ES
expect_comp "conntrack udp has no --state" "--status " _conntrack conntrack -L -p udp --st
expect_comp "conntrack -f" "ipv4 ipv6 " _conntrack conntrack -L -f ''
expect_comp "conntrack -e" "DESTROY " _conntrack conntrack -E -e D
expect_comp "conntrack --load-f" "--load-file " _conntrack conntrack --load-f
expect_comp "conntrackd -s r" "rsqueue runtime " _conntrackd conntrackd -s r
expect_comp "conntrackd -i" "ct expect " _conntrackd conntrackd -i ''
expect_comp "conntrackd -f" "external internal " _conntrackd conntrackd -f ''
expect_comp "conntrackd -i -" "-C -x " _conntrackd conntrackd -i -
expect_comp "conntrackd -s cache -" "--json -C " _conntrackd conntrackd -s cache -
expect_comp "conntrackd -s me" "metrics " _conntrackd conntrackd -s me
expect_comp "conntrackd -s metrics -" "-C " _conntrackd conntrackd -s metrics -
expect_comp "conntrack -S -o" "json openmetrics " _conntrack conntrack -S -o ''
expect_comp "conntrack -C -o o" "openmetrics " _conntrack conntrack -C -o o
expect_comp "conntrack -L -o o: not offered" " " _conntrack conntrack -L -o o  # (empty)

# Everything offered is accepted.  conntrack: each option, after the -p
# that allows it, draws no "unknown option" (a missing argument is fine);
# each value passes the parser (exit status 2 is a command-line error; the
# kernel may still refuse a filter, as it does "-u UNSET").
bad=
for proto in none tcp udp udplite sctp dccp icmp icmpv6 gre; do
  if [[ $proto == none ]]; then
    opts=$(runb "comp _conntrack conntrack -L --")
    pre=(-L)
  else
    opts=$(runb "comp _conntrack conntrack -L -p $proto --")
    pre=(-L -p "$proto")
  fi
  for o in $opts; do
    nsx "$CONNTRACK" "${pre[@]}" "$o" >/dev/null 2>"$T/opt.err"
    grep -q 'unknown option' "$T/opt.err" && bad+=" ${pre[*]} $o"
  done
done
for w in $(runb "comp _conntrack conntrack -L -o ''"); do
  nsx "$CONNTRACK" -L -o "$w" >/dev/null 2>&1; (($? == 2)) && bad+=" -o $w"
done
for w in $(runb "comp _conntrack conntrack -S -o ''"); do
  nsx "$CONNTRACK" -S -o "$w" >/dev/null 2>&1; (($? == 2)) && bad+=" -S -o $w"
done
for w in $(runb "comp _conntrack conntrack -L -p ''"); do
  nsx "$CONNTRACK" -L -p "$w" >/dev/null 2>&1; (($? == 2)) && bad+=" -p $w"
done
for proto in tcp sctp dccp; do
  for w in $(runb "comp _conntrack conntrack -L -p $proto --state ''"); do
    nsx "$CONNTRACK" -L -p "$proto" --state "$w" >/dev/null 2>&1; (($? == 2)) && bad+=" $proto --state $w"
  done
done
for w in $(runb "comp _conntrack conntrack -L -u ''"); do
  nsx "$CONNTRACK" -L -u "$w" >/dev/null 2>&1; (($? == 2)) && bad+=" -u $w"
done
if [[ -z $bad ]]; then pass "completion: conntrack accepts every option and value offered"; else fail "completion: conntrack refuses" "$bad"; fi

# conntrackd: argv is parsed before the configuration is read, so with a
# missing file an accepted word fails later, at the file, not as unknown.
bad=
for o in $(runb "comp _conntrackd conntrackd ''"); do
  [[ $o == -[vhC] ]] && continue
  "$CONNTRACKD" -C "$T/none.conf" "$o" >/dev/null 2>"$T/opt.err"
  grep -qE 'Unknown option|unknown parameter' "$T/opt.err" && bad+=" $o"
done
for o in -c -i -e -f -F -R -s; do
  for w in $(runb "comp _conntrackd conntrackd $o ''"); do
    "$CONNTRACKD" -C "$T/none.conf" "$o" "$w" >/dev/null 2>"$T/opt.err"
    grep -qE 'Unknown option|unknown parameter' "$T/opt.err" && bad+=" $o $w"
  done
done
"$CONNTRACKD" -C "$T/none.conf" -s cache --json >/dev/null 2>"$T/opt.err"
grep -qE 'Unknown option|Invalid parameters' "$T/opt.err" && bad+=" -s --json"
"$CONNTRACKD" -C "$T/none.conf" -i -x >/dev/null 2>"$T/opt.err"
grep -qE 'Unknown option|Invalid parameters' "$T/opt.err" && bad+=" -i -x"
if [[ -z $bad ]]; then pass "completion: conntrackd accepts every option and sub-argument offered"; else fail "completion: conntrackd refuses" "$bad"; fi

echo "# $PASS passed, $FAIL failed"
((FAIL == 0))
