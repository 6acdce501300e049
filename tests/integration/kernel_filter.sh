#!/bin/bash
# Kernel-side dump filtering (CTA_FILTER) of -L and -D: for many filters,
# our output with the kernel filter must equal, byte for byte (timeouts
# normalized: they tick between runs), the oracle's and ours with the
# kernel filter disabled.  Modes of ours:
#   kern    default: CTA_FILTER when the filter can be expressed
#   user    CONNTRACK_NO_KERNEL_FILTER=1: userspace filtering only
#   reject  CONNTRACK_NO_KERNEL_FILTER=reject: the kernel refuses the
#           filter (unknown flag bit), so the fallback dump runs
# Runs in a private namespace (deleted on exit); bounded: a few dozen
# entries, ~40 filters.
set -u
cd "$(dirname "$0")/../.."
CONNTRACK=${CONNTRACK:-$(pwd)/conntrack}
ORACLE=${ORACLE:-${UPSTREAM_CONNTRACK:-/usr/sbin/conntrack}}
export CONNTRACK ORACLE
# Outer part: make the namespace, run the rest inside it, delete it.
if [[ ${1:-} != --inner ]]; then
  NS=ctkf$$
  trap 'ip netns del "$NS" 2>/dev/null' EXIT
  ip netns add "$NS" || { echo "FAIL kernel_filter: cannot create netns"; exit 1; }
  ip netns exec "$NS" "$(pwd)/tests/integration/kernel_filter.sh" --inner
  exit
fi
PASS=0 FAIL=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
inns() { "$@"; }

fill() {
  local i
  {
    for i in 1 2 3 4; do
      echo "-I -p tcp -s 10.0.0.$i -d 10.0.1.1 --sport $((1000 + i)) --dport 80 --state ESTABLISHED -t 500 -m $i"
      echo "-I -p tcp -s 10.0.0.$i -d 10.0.1.2 --sport $((2000 + i)) --dport 443 --state SYN_SENT -t 500"
      echo "-I -p udp -s 10.0.0.$i -d 10.0.1.1 --sport $((3000 + i)) --dport 53 -t 500"
      echo "-I -p tcp -s 10.0.0.$i -d 10.0.1.1 --sport 80 --dport $((4000 + i)) --state ESTABLISHED -t 500" \
           "-r 10.0.2.$i -q 10.0.0.$i --reply-port-src $((4000 + i)) --reply-port-dst 80"
    done
    echo "-I -p icmp -s 10.0.0.1 -d 10.0.1.1 --icmp-type 8 --icmp-code 0 --icmp-id 77 -t 500"
    echo "-I -p icmp -s 10.0.0.2 -d 10.0.1.1 --icmp-type 13 --icmp-code 0 --icmp-id 78 -t 500"
    echo "-I -p sctp -s 10.0.0.1 -d 10.0.1.1 --sport 5000 --dport 80 --state ESTABLISHED -t 500"
    echo "-I -p udplite -s 10.0.0.1 -d 10.0.1.1 --sport 6000 --dport 80 -t 500"
    echo "-I -p 200 -s 10.0.0.1 -d 10.0.1.1 -t 500"
    if [[ ${1:-} != v4 ]]; then
      echo "-I -p tcp -s 2001:db8::1 -d 2001:db8::2 --sport 1001 --dport 80 --state ESTABLISHED -t 500"
      echo "-I -p udp -s 2001:db8::1 -d 2001:db8::3 --sport 3001 --dport 53 -t 500"
      echo "-I -p icmpv6 -s 2001:db8::1 -d 2001:db8::2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 9 -t 500"
    fi
  } >"$TMP/fill"
  "$ORACLE" -F >/dev/null 2>&1
  "$ORACLE" -R "$TMP/fill" >/dev/null 2>&1
}

# Timeouts (third field of the default format) tick between runs.
norm() {
  sed -E -e 's/^([a-z0-9]+ +[0-9]+ )[0-9]+ /\1T /' \
         -e 's/^(ipv[46] +[0-9]+ [a-z0-9]+ +[0-9]+ )[0-9]+ /\1T /' \
         -e 's/<timeout>[0-9]+</<timeout>T</g'
}

check() {  # NAME FILE...: all files equal
  local name=$1 ref=$2 f ok=1
  shift 2
  for f in "$@"; do cmp -s "$ref" "$f" || ok=0; done
  if (( ok )); then
    echo "PASS kernel_filter: $name"; PASS=$((PASS + 1))
  else
    echo "FAIL kernel_filter: $name"; FAIL=$((FAIL + 1))
    for f in "$@"; do diff "$ref" "$f" | head -5; done
  fi
}

FILTERS=(
  "-p tcp" "-p udp" "-p tcp --dport 80" "-p tcp --sport 1001" "-p tcp --dport 443 --sport 2003"
  "-p udp --dport 53" "-p tcp --reply-port-src 4002" "-p tcp --reply-port-dst 80"
  "-s 10.0.0.1" "-d 10.0.1.2" "-s 10.0.0.2 -p tcp --dport 80" "-r 10.0.2.3" "-q 10.0.0.4"
  "-r 10.0.1.1 -p udp" "-s 10.0.0.0/24 -p tcp" "-d 10.0.1.0/255.255.255.0"
  "-p icmp" "-p icmp --icmp-type 8" "-p icmp --icmp-type 13" "-p icmp --icmp-id 78"
  "-p icmp --icmp-code 0" "-p icmp --icmp-type 3"
  "-p sctp --dport 80" "-p udplite --sport 6000" "-p 200" "-p 200 --sport 1"
  "-f ipv4 -p tcp" "-f ipv6 -p tcp" "-f ipv6 -p udp --dport 53" "-s 2001:db8::1"
  "-s 2001:db8::1 -p tcp --dport 80" "-p icmpv6" "-p icmpv6 --icmpv6-type 128"
  "-p tcp --state ESTABLISHED" "-p tcp --dport 80 -m 2" "-p tcp -m 1/1" "-p tcp -u SEEN_REPLY"
  "-w 0 -p tcp" "--orig-zone 0 -p udp" "-p tcp --dport 80 -o extended" "-p udp -o xml"
)

run_list() {  # TAG MODES ARGS...  (MODES: "user" or "user rej")
  local tag=$1 modes=$2 m files=()
  shift 2
  inns "$ORACLE" -L "$@" 2>&1 | norm >"$TMP/$tag.up"
  inns "$CONNTRACK" -L "$@" 2>&1 | norm >"$TMP/$tag.kern"
  for m in $modes; do
    case $m in
      user) CONNTRACK_NO_KERNEL_FILTER=1 inns "$CONNTRACK" -L "$@" ;;
      rej) CONNTRACK_NO_KERNEL_FILTER=reject inns "$CONNTRACK" -L "$@" ;;
    esac 2>&1 | norm >"$TMP/$tag.$m"
    files+=("$TMP/$tag.$m")
  done
  check "-L $* ($tag: kern $modes)" "$TMP/$tag.up" "$TMP/$tag.kern" "${files[@]}"
}

run_delete() {  # TAG FILLARG ARGS...
  local tag=$1 fa=$2 m
  shift 2
  for m in up kern user rej; do
    fill "$fa"
    case $m in
      up) inns "$ORACLE" -D "$@" ;;
      kern) inns "$CONNTRACK" -D "$@" ;;
      user) CONNTRACK_NO_KERNEL_FILTER=1 inns "$CONNTRACK" -D "$@" ;;
      rej) CONNTRACK_NO_KERNEL_FILTER=reject inns "$CONNTRACK" -D "$@" ;;
    esac 2>&1 | norm >"$TMP/d$tag.$m"
    inns "$ORACLE" -L 2>&1 | norm >>"$TMP/d$tag.$m"
  done
  check "-D $* then -L ($tag)" "$TMP/d$tag.up" "$TMP/d$tag.kern" "$TMP/d$tag.user" "$TMP/d$tag.rej"
}

# The machine may be loaded (each run can take most of a second): the
# full list runs once on a mixed IPv4/IPv6 table; the refused-filter
# fallback and the IPv4-only table (family-0 dumps narrowed to AF_INET)
# get a subset.
SUBSET=("-p tcp --dport 80" "-p udp" "-s 10.0.0.1" "-p icmp --icmp-type 8" "-p tcp --reply-port-src 4002"
        "-f ipv6 -p tcp" "-p sctp --dport 80" "-p tcp --dport 80 -m 2")
fill mixed
for f in "${FILTERS[@]}"; do
  # shellcheck disable=SC2086
  run_list mixed user $f
done
for f in "${SUBSET[@]}"; do
  # shellcheck disable=SC2086
  run_list mixed rej $f
done
fill v4
for f in "${SUBSET[@]}"; do
  # shellcheck disable=SC2086
  run_list v4 "user rej" $f
done

for f in "-p tcp --dport 80" "-s 10.0.0.1" "-p icmp --icmp-type 8" "-p udp --sport 3002"; do
  # shellcheck disable=SC2086
  run_delete mixed mixed $f
done
run_delete v4 v4 -p tcp

# -R: a refused filter is remembered; later commands still match.
fill
printf -- '-L -p tcp --dport 80\n-L -p udp\n' >"$TMP/batch"
inns "$ORACLE" -R "$TMP/batch" 2>&1 | norm >"$TMP/r.up"
CONNTRACK_NO_KERNEL_FILTER=reject inns "$CONNTRACK" -R "$TMP/batch" 2>&1 | norm >"$TMP/r.rej"
inns "$CONNTRACK" -R "$TMP/batch" 2>&1 | norm >"$TMP/r.kern"
check "-R batch" "$TMP/r.up" "$TMP/r.kern" "$TMP/r.rej"

echo "kernel_filter: $PASS passed, $FAIL failed"
(( FAIL == 0 ))
