#!/usr/bin/env bash
# Zones (-w, --orig-zone, --reply-zone: create, list, delete, update;
# `-L --zone 0`), marks on create/list/delete, the 1.4.8 value validation
# of -m/-w/--orig-zone/--reply-zone/-c/-i, and labels (--label-add,
# --label-del on -I/-U, -l on -L/-D/-U, ENOSPC without a label rule).
# Twin namespaces (see lib_twin.sh).
#
# Labels need /etc/xtables/connlabel.conf.  The host's /etc is never
# written: the script re-executes itself in a private mount namespace
# (unshare -m) where an overlay over /etc adds xtables/connlabel.conf;
# `ip netns exec` inherits that view.
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/../.." || exit 1

if [[ -z ${CTM_LABELS_INNER:-} ]]; then
  if (( EUID != 0 )); then echo "FAIL modify_zones_marks: needs root"; exit 1; fi
  TMPL=$(mktemp -d "${TMPDIR:-/tmp}/ctm-labels.XXXXXX")
  mkdir -p "$TMPL/up/xtables" "$TMPL/work"
  printf '0 eth0-in\n1 eth0-out\n2 ppp-in\n5 lbl five\n70 high\n' >"$TMPL/up/xtables/connlabel.conf"
  CTM_LABELS_INNER=1 unshare -m --propagation private bash -c '
    if ! mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/up,workdir=$1/work" /etc; then
      echo "note: cannot overlay /etc: label cases skipped" >&2
      export CTM_NO_LABELS=1
    fi
    exec "$0"' "$self" "$TMPL"
  rc=$?
  rm -rf "$TMPL"
  exit $rc
fi

. tests/integration/lib.sh
. tests/integration/lib_twin.sh

twin_init mzm
T=100000

# twin_148_err NAME MESSAGE -- ARGS: a 1.4.8 value-validation error (spec
# §8.7): "unexpected value 'X' with -c option", exit 1 (OTHER_PROBLEM: no
# "Try" line), nothing changed.  1.4.7 accepts the value, so the oracle
# twin runs a no-op (-C) and only the table is compared with it.
twin_148_err() {
  local name=$1 msg=$2; shift 3
  twin "$name (1.4.8)" --rc 1 --err "${TWIN_P}$msg" --out "" -- -C --ours "$@"
}

# ------------------------------------------------------------------ zones
twin_setup </dev/null
twin_each "zone-create" <<'EOF'
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 100000 -w 7
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 100000 --zone 0
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 100000 -w 65535
-I -p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --orig-zone 3
-I -p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --reply-zone 4
-I -p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 2 --state ESTABLISHED -t 100000 --orig-zone 3 --reply-zone 4
-I -p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 2 --state ESTABLISHED -t 100000 -w 9 --orig-zone 3
-I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 1 --dport 2 -t 100000 -w 7
-A -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 100000 -w 7
EOF

twin_setup <<EOF
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t $T -w 7
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t $T -w 8
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t $T
-I -p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 2 --state ESTABLISHED -t $T --orig-zone 3
-I -p tcp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 4 --state ESTABLISHED -t $T --reply-zone 4
-I -p udp -s 1.2.3.4 -d 5.6.7.8 --sport 1 --dport 5 -t $T -w 0
-I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 1 --dport 2 -t $T -w 7
EOF
twin_each "zone" <<'EOF'
# same tuple in another zone: a separate entry; same zone: EEXIST
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -w 9
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000 -w 7
-I -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353 -t 100000
-L -w 7
-L --zone 0
-L -w 0 -p udp
-L -w 8 -s 1.1.1.1
-L --orig-zone 3
-L --orig-zone 0
-L --reply-zone 4
-L --reply-zone 0 -p tcp
-L -w 7 -f ipv6
-L -w 7 -o save
-L --orig-zone 3 -o xml
-D -w 7
-D -w 8
-D --zone 0
-D -w 0 -p tcp
-D --orig-zone 3
-D --reply-zone 4
-D --orig-zone 3 --reply-zone 0
-D -w 99
-D -w 7 -o save
-G -p udp -s 1.1.1.1 -d 2.2.2.2 --sport 53 --dport 5353
EOF
# -U cannot name a zone (-w is illegal with -U) and does not carry the
# entry's zone into its update, so the kernel finds no such entry in zone 0
# (ENOENT).  1.4.8 skips ENOENT silently and does not count the entry;
# 1.4.7 printed "Operation failed: No such file or directory".
twin "zone -U -s 1.2.3.4 -p udp --dport 5 -m 3 (zone 0 entry)" --print-back -- \
  -U -f ipv4 -s 1.2.3.4 -p udp --dport 5 -m 3 --ours -U -s 1.2.3.4 -p udp --dport 5 -m 3
# Here the same tuple exists in zones 7, 8 and 0: each of the three
# zone-less updates lands on the zone-0 entry and succeeds, so 1.4.8
# (like us) counts all three.
twin "zone -U -p udp --sport 53 -m 3 (same tuple in three zones: 1.4.8)" --print-back \
  --err "${TWIN_P}3 flow entries have been updated." -- \
  -U -f ipv4 -p udp --sport 53 -m 3 --ours -U -p udp --sport 53 -m 3
twin "zone -U -f ipv6 -m 3 (only a zoned entry: 1.4.8)" --rc 1 --out "" \
  --err "${TWIN_P}0 flow entries have been updated." -- -U -f ipv6 -m 3

# 1.4.8 validation of the zone values (1.4.7: unchecked strtoul)
twin_148_err "zone -I -w abc" "unexpected value 'abc' with -w option" -- \
  -I -p udp -s 1.1.1.9 -d 2.2.2.2 --sport 1 --dport 2 -t $T -w abc
twin_148_err "zone -I -w 65536" "unexpected value '65536' with -w option" -- \
  -I -p udp -s 1.1.1.9 -d 2.2.2.2 --sport 1 --dport 2 -t $T -w 65536
twin_148_err "zone -I --orig-zone x1" "unexpected value 'x1' with -( option" -- \
  -I -p udp -s 1.1.1.9 -d 2.2.2.2 --sport 1 --dport 2 -t $T --orig-zone x1
twin_148_err "zone -I --reply-zone -1" "unexpected value '-1' with -) option" -- \
  -I -p udp -s 1.1.1.9 -d 2.2.2.2 --sport 1 --dport 2 -t $T --reply-zone -1
twin_148_err "zone -L -w 7x" "unexpected value '7x' with -w option" -- -L -w 7x
twin_148_err "zone -D -w ''" "unexpected value '' with -w option" -- -D -w ''
twin "zone -D -w 0x7 (hex is valid)" -- -D -w 0x7

# ------------------------------------------------------------------ marks
twin_setup <<EOF
-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 10 --dport 20 --state ESTABLISHED -t $T -m 42
-I -p tcp -s 1.1.2.3 -d 2.2.2.3 --sport 12 --dport 80 --state SYN_RECV -t $T -m 0x10
-I -p tcp -s 1.1.2.4 -d 2.2.2.3 --sport 13 --dport 80 --state FIN_WAIT -t $T -m 0x11
-I -p tcp -s 1.1.2.5 -d 2.2.2.3 --sport 14 --dport 80 --state CLOSE_WAIT -t $T -m 0xff000010
-I -p udp -s 1.1.1.3 -d 2.2.2.2 --sport 53 --dport 5353 -t $T -m 7
-I -p udp -s 1.1.1.4 -d 2.2.2.2 --sport 53 --dport 5353 -t $T
-I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 1 --dport 2 -t $T -m 42
EOF
twin_each "mark" <<'EOF'
-I -p udp -s 1.1.1.9 -d 2.2.2.2 --sport 1 --dport 2 -t 100000 -m 0x7fffffff
-I -p udp -s 1.1.1.9 -d 2.2.2.2 --sport 1 --dport 2 -t 100000 -m 5/0
-L -m 42
-L -m 0
-L -m 0x10/0xf0
-L -m 0x10/0xff
-L -m 0/0xffff0000
-L -m 0xff000000/0xff000000
-L -m 42 -f ipv6
-L -m 4294967295
-D -m 42
-D -m 0x10/0xf0
-D -m 0/0xffff0000
-D -m 0
-D -m 7 -p udp
-D -m 99
EOF
# 05mark-style sequence: zap the high bits of every mark, then an -U that
# changes nothing must fail (1.4.8; the oracle gets -f, see modify_update.sh)
twin "mark -U -m 0/0xffff0000 then -U -m 0/0xffff0000 again: nothing to change" --print-back \
  --upre "-U -f ipv4 -m 0/0xffff0000" --opre "-U -f ipv4 -m 0/0xffff0000" -- \
  -U -f ipv4 -m 0/0xffff0000 --ours -U -f ipv4 -m 0/0xffff0000
twin "mark -U -m 42/0xffff" --print-back -- -U -f ipv4 -m 42/0xffff --ours -U -m 42/0xffff -f ipv4

# 1.4.8 validation of -m/-c/-i (1.4.7: unchecked)
twin_148_err "mark -I -m abc" "unexpected value 'abc' with -m option" -- \
  -I -p udp -s 1.1.1.9 -d 2.2.2.2 --sport 1 --dport 2 -t $T -m abc
twin_148_err "mark -L -m 1/x" "unexpected value '1/x' with -m option" -- -L -m 1/x
twin_148_err "mark -D -m 0x100000000" "unexpected value '0x100000000' with -m option" -- -D -m 0x100000000
twin_148_err "mark -D -m -1" "unexpected value '-1' with -m option" -- -D -m -1
twin_148_err "mark -U -m 5x" "unexpected value '5x' with -m option" -- -U -m 5x
twin_148_err "mark -L -m ''" "unexpected value '' with -m option" -- -L -m ''
twin_148_err "secmark -L -c abc" "unexpected value 'abc' with -c option" -- -L -c abc
twin_148_err "id -D -i abc" "unexpected value 'abc' with -i option" -- -D -i abc
twin_148_err "id -D --id=4294967296" "unexpected value '4294967296' with -i option" -- -D --id=4294967296

# ----------------------------------------------------------------- labels
if [[ -n ${CTM_NO_LABELS:-} || ! -r /etc/xtables/connlabel.conf ]]; then
  ctt_skip "labels" "no /etc/xtables/connlabel.conf overlay"
  ctt_finish
fi

# Without a rule using ct label, the kernel has no label extension on the
# entries: a label create/update fails with ENOSPC.
twin_setup <<EOF
-I -p tcp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 2 --state ESTABLISHED -t $T
EOF
twin_each "nolabel" <<'EOF'
-I -p tcp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 3 --state ESTABLISHED -t 100000 --label-add eth0-in
-I -p tcp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 3 --state ESTABLISHED -t 100000 --label-add nosuch
EOF
# 1.4.8 skips ENOSPC for entries that have no labels: nothing updated, exit
# 1; 1.4.7 printed the error and counted the entry.
twin "nolabel -U --label-add eth0-in (1.4.8)" --rc 1 --out "" \
  --err "${TWIN_P}0 flow entries have been updated." -- \
  -U -f ipv4 --label-add eth0-in --ours -U --label-add eth0-in

# With a label rule in both namespaces (traffic never reaches it: it only
# turns the label extension on).
for ns in "$TW_O" "$TW_U"; do
  ip netns exec "$ns" nft -f - <<'EOF' || echo "note: nft label rule failed in $ns" >&2
table inet ctm {
  chain c { type filter hook output priority 0; ct label set 127; }
}
EOF
done
TWIN_TABLE_FMTS=("extended,labels")
twin_setup <<EOF
-I -p tcp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 2 --state ESTABLISHED -t $T --label-add eth0-in,ppp-in
-I -p tcp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 3 --state ESTABLISHED -t $T --label-add high
-I -p udp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 4 -t $T --label-add eth0-in
-I -p udp -s 11.0.0.1 -d 11.0.0.2 --sport 1 --dport 5 -t $T
EOF
twin_each "label" <<'EOF'
-I -p udp -s 11.0.0.9 -d 11.0.0.2 --sport 1 --dport 2 -t 100000 --label-add eth0-out
-I -p udp -s 11.0.0.9 -d 11.0.0.2 --sport 1 --dport 2 -t 100000 --label-add "lbl five,high"
-I -p udp -s 11.0.0.9 -d 11.0.0.2 --sport 1 --dport 2 -t 100000 --label-add nosuch
-I -p udp -s 11.0.0.9 -d 11.0.0.2 --sport 1 --dport 2 -t 100000 --label-del eth0-in
-L -l eth0-in
-L -l eth0-in,ppp-in
-L -l eth0-in -l high
-D -l eth0-in
-D -l high -o save
-D -l nosuch
-D -l ppp-in -p udp
-U -f ipv4 --label-add eth0-out --label-del eth0-in
EOF
# -U with labels (oracle: plus -f, see modify_update.sh)
for a in "--label-add eth0-out" "--label-add eth0-out -p udp" "--label-del eth0-in" \
         "--label-del" "--label-del ppp-in -l ppp-in" "-l eth0-in --label-add high" \
         "--label-add eth0-in -p udp --dport 4" "--label-add eth0-in,ppp-in -s 11.0.0.1 -p tcp --dport 2"; do
  # shellcheck disable=SC2086
  twin "label -U $a" --print-back -- -U -f ipv4 $a --ours -U $a
done
# the entry without labels gets them too (it has the extension now)
twin "label -U --label-add ppp-in -p udp --dport 5" --print-back -- \
  -U -f ipv4 --label-add ppp-in -p udp --dport 5 --ours -U --label-add ppp-in -p udp --dport 5

ctt_finish
