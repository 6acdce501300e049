#!/usr/bin/env bash
# conntrackd, DisableInternalCache with ExpectationSync, against Debian's
# 1.4.7 daemon (each in a namespace of its own, the same sequence):
#   - -i expect writes nothing: upstream's bypass dump runs each
#     expectation's master through the conntrack filter, whose sanity check
#     needs a reply address a master tuple never has, and logs
#     "missing IPv4/IPv6 address ..." per expectation;
#   - -s expect counts expectation events through upstream's bypass master
#     check (kept only when the kernel no longer has the master): new
#     expectations are not counted, those destroyed by -f are;
#   - -f empties the kernel's expectation table too.
# Expectations come from the kernel's FTP helper (lib_ftp.sh).
#
#   tests/integration/conntrackd_bypass_expect.sh      (root; < 30 s)
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
. tests/integration/lib_ftp.sh

OURS=${CONNTRACKD:-$(pwd)/conntrackd}
ORACLED=${UPSTREAM_CONNTRACKD:-/usr/sbin/conntrackd}
for b in "$OURS" "$ORACLED"; do
  [[ -x $b ]] || { echo "FAIL conntrackd_bypass_expect: $b not found"; exit 1; }
done
if ! ftp_available; then
  ctt_skip conntrackd_bypass_expect "nf_conntrack_ftp is not available"
  ctt_finish
fi
T=$CTT_TMP

# scenario WHO BIN: outputs in $T/WHO.*
scenario() {
  local who=$1 bin=$2 ns dpid i
  ctt_new_ns ns "bpx$who"
  ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_events=1 >/dev/null
  # The oracle's own sync packets would be tracked (and counted as events).
  ip netns exec "$ns" nft -f - <<'NFT'
table inet ctdbpx {
  chain raw_out { type filter hook output priority -300; udp dport 3780 notrack; }
}
NFT
  ftp_setup "$ns" || { echo "FAIL $who: cannot set up the FTP helper"; return 1; }
  cat >"$T/$who.conf" <<CONF
Sync {
  Mode NOTRACK {
    DisableInternalCache on
  }
  UDP {
    IPv4_address 127.0.0.1
    IPv4_Destination_Address 127.0.0.2
    Port 3780
    Interface lo
  }
  Options { ExpectationSync on }
}
General {
  HashSize 1024
  HashLimit 4096
  LogFile $T/$who.log
  LockFile $T/$who.lock
  UNIX { Path $T/$who.sock }
}
CONF
  local ctd=(timeout 30 ip netns exec "$ns" "$bin" -C "$T/$who.conf")
  ip netns exec "$ns" "$bin" -C "$T/$who.conf" >/dev/null 2>&1 &
  dpid=$!
  CTT_PIDS+=("$dpid")
  for ((i = 0; i < 100; i++)); do [[ -S $T/$who.sock ]] && break; sleep 0.05; done
  ftp_master "$ns" 127.0.0.1 PASV
  ftp_master "$ns" ::1 EPSV
  ctt_wait_for 5 bash -c "[[ \$(ip netns exec $ns $ORACLE -L expect 2>/dev/null | wc -l) -ge 2 ]]"
  "${ctd[@]}" -i expect >"$T/$who.iexp" 2>&1
  "${ctd[@]}" -i expect -x >"$T/$who.iexpx" 2>&1
  "${ctd[@]}" -s expect | head -5 >"$T/$who.sexp1"
  "${ctd[@]}" -f >/dev/null 2>&1
  ctt_wait_for 5 bash -c "[[ \$(ip netns exec $ns $ORACLE -L expect 2>/dev/null | wc -l) -eq 0 ]]"
  ip netns exec "$ns" "$ORACLE" -L expect 2>/dev/null | wc -l >"$T/$who.left"
  sleep 0.3
  "${ctd[@]}" -s expect | head -5 >"$T/$who.sexp2"
  "${ctd[@]}" -k >/dev/null 2>&1
  wait "$dpid" 2>/dev/null
  # Error lines are per expectation, in the kernel's dump order.
  sed -E 's/^\[[^]]*\] \(pid=[0-9]+\) //' "$T/$who.log" | sort >"$T/$who.logn"
}

scenario up "$ORACLED"
scenario ours "$OURS"

for f in iexp iexpx sexp1 sexp2 left logn; do
  if diff -u "$T/up.$f" "$T/ours.$f" >"$T/diff"; then
    echo "PASS bypass expect: $f"; CTT_PASS=$((CTT_PASS + 1))
  else
    echo "FAIL bypass expect: $f"; cat "$T/diff"; CTT_FAIL=$((CTT_FAIL + 1))
  fi
done
ctt_check "bypass expect: one error per expectation and dump (2 x 2)" \
  test "$(grep -c 'missing IPv. address' "$T/ours.logn")" -eq 4
ctt_finish
