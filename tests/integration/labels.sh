#!/usr/bin/env bash
# Connection labels: -o labels, the labels= / <labels> output, -l filters.
# The label map is /etc/xtables/connlabel.conf (a fixed path in upstream).
# We never write to the host's /etc: the script re-executes itself in a
# private mount namespace (unshare -m) where an overlayfs over /etc adds
# xtables/connlabel.conf; `ip netns exec` inherits that view.
self=$(readlink -f "$0")
cd "$(dirname "$self")/../.." || exit 1

if [[ -z ${CTT_LABELS_INNER:-} ]]; then
  if (( EUID != 0 )); then echo "FAIL labels: needs root"; exit 1; fi
  T=$(mktemp -d "${TMPDIR:-/tmp}/ctt-labels.XXXXXX")
  mkdir -p "$T/up/xtables" "$T/work"
  # Odd lines on purpose: comment, leading blanks, a duplicate bit and a
  # duplicate name (ignored), a name with a blank, a bit >= 1024 (ignored).
  cat >"$T/up/xtables/connlabel.conf" <<'EOF'
# bit name
0 eth0-in
1	eth0-out
  2 ppp-in
2 dup-bit
3 eth0-in
5 lbl five
70 high
0x7e hexbit
1024 toolarge
EOF
  CTT_LABELS_INNER=1 unshare -m --propagation private bash -c '
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/up,workdir=$1/work" /etc || {
      echo "SKIP labels: cannot mount an overlay on /etc in a private mount namespace"; exit 0; }
    exec "$0"' "$self" "$T"
  rc=$?
  rm -rf "$T"
  exit $rc
fi

. tests/integration/lib.sh
[[ -r /etc/xtables/connlabel.conf ]] || { echo "FAIL labels: overlay missing"; exit 1; }

ctt_new_ns NS lbl
# Labels need the kernel's label extension: a rule that sets a label turns
# it on (kernels >= 6.6).  The rule also labels real traffic with bit 127,
# which has no name in the map.
ip netns exec "$NS" nft -f - <<'EOF'
table inet t {
  chain c { type filter hook output priority 0; meta l4proto udp ct label set 127; }
}
EOF
# (Not one -R batch: the 1.4.7 oracle segfaults on --label-add in -R.)
ctt_ct "$NS" -I -p tcp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --label-add eth0-in,ppp-in
ctt_ct "$NS" -I -p tcp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 3 --state ESTABLISHED -t 100000 --label-add high
ctt_ct "$NS" -I -p tcp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 4 --state ESTABLISHED -t 100000
ctt_ct "$NS" -I -p udp -s 11.0.0.1 -d 11.0.0.3 --sport 1 --dport 5 -t 100000 --label-add "eth0-in,eth0-out,ppp-in,lbl five,high,hexbit"
ctt_ct "$NS" -I -p udp -s 11.0.0.1 -d 11.0.0.3 --sport 1 --dport 6 -t 100000 --label-add hexbit
# Real UDP on loopback: labelled with the unnamed bit 127 by the rule.
timeout 10 ip netns exec "$NS" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 6001)); s.sendto(b"z", ("127.0.0.1", 6002)); s.close()'

# Guard against a silently failed setup: the oracle must show all 6 flows
# and the label names.
out=$(ip netns exec "$NS" "$ORACLE" -L -o labels 2>/dev/null)
ctt_check "labels: setup made 6 flows with labels" \
  test "$(grep -c . <<<"$out")" -eq 6 -a "$(grep -c 'labels=' <<<"$out")" -ge 3

for c in "" "-o labels" "-o xml" "-o xml,labels" "-o save" "-o extended,id" \
         "-o ktimestamp,labels" "-p udp" "-p tcp -o labels" \
         "-l eth0-in" "-l ppp-in" "-l eth0-in,ppp-in" "-l eth0-in -l ppp-in" \
         "-l high" "-l hexbit" "-l 'lbl five'" "-l eth0-out -o xml" \
         "-l nosuch" "-l eth0-in,nosuch" "-l dup-bit" "-l toolarge" "-l ''" \
         "--label high" "-l eth0-in -p tcp --dport 2" "-l eth0-in -z" \
         "-l eth0-in -s 11.0.0.0/24" "-l eth0-in -m 0"; do
  eval "set -- $c"
  ctt_cmp "labels: L $c" -- -L "$@"
done
for c in "" "-o xml" "-l high"; do
  eval "set -- $c"
  ctt_cmp "labels: L 2>&1 $c" --merge -- -L "$@"
done
for c in "" "-o labels" "-o xml" "-o save"; do
  eval "set -- $c"
  ctt_cmp "labels: G $c" -- -G -p tcp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 2 "$@"
done

ctt_finish
