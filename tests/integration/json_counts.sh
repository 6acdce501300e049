#!/usr/bin/env bash
# -o json on -S and -C (ours only): valid JSON, the same numbers as the
# text output, and every other -o value still refused as upstream does.
set -u
CONNTRACK=${CONNTRACK:-$(pwd)/conntrack}
ORACLE=${ORACLE:-/usr/sbin/conntrack}
ns=ctt-json-$$-$RANDOM
ip netns add "$ns" || exit 1
trap 'ip netns del "$ns" 2>/dev/null' EXIT
fails=0
check() {  # name, then a command that must succeed
  local name=$1; shift
  if "$@"; then echo "PASS $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}
in_ns() { ip netns exec "$ns" "$@"; }
for i in 1 2 3; do
  in_ns "$ORACLE" -I -s 10.9.0.$i -d 10.9.1.1 -p udp --sport 1 --dport 2 -t 1000 2>/dev/null
done

check "C -o json is one object with the count" \
  bash -c "[ \"\$(ip netns exec $ns $CONNTRACK -C -o json)\" = '{\"count\":3}' ]"
check "C text still prints the bare number" \
  bash -c "[ \"\$(ip netns exec $ns $CONNTRACK -C)\" = 3 ]"
check "S -o json lines are valid JSON" \
  bash -c "ip netns exec $ns $CONNTRACK -S -o json | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'"
check "S -o json has one object per text line, with the same keys" \
  bash -c "
    t=\$(ip netns exec $ns $CONNTRACK -S | sed -E 's/cpu=([0-9]+) *\t/cpu=\1 /; s/ \$//' | tr ' ' '\n' | sed 's/=.*//' | sort | uniq -c)
    j=\$(ip netns exec $ns $CONNTRACK -S -o json | python3 -c '
import json,sys
for l in sys.stdin:
    for k in json.loads(l): print(k)' | sort | uniq -c)
    [ \"\$t\" = \"\$j\" ]"
for o in xml extended save json,xml; do
  check "S -o $o is refused like upstream's -S -o" \
    bash -c "[ \"\$(ip netns exec $ns $CONNTRACK -S -o $o 2>&1; echo rc=\$?)\" = \"\$(ip netns exec $ns $ORACLE -S -o xml 2>&1; echo rc=\$?)\" ]"
done
exit $((fails > 0))
