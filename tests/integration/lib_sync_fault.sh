# Helpers for the sync fault tests (loss, restart, link failover).  Sourced
# after lib_sync.sh, whose namespaces, veth pair and config layout they
# reuse.  Every wait here is bounded in count and time; processes are
# stopped by the PID recorded when they were started.
FAULT_CT_FILL=${CT_FILL:-${BINDIR:-$(dirname "$SYNC_OURS")}/ct_fill}

# Normalises -i or -e or `conntrack -L` lines for comparison: drops the time
# suffixes, the kernel's timeout and use= columns and the reply tuple (every
# key=value whose key was already seen on the line), squeezes blanks, sorts.
# What is left is the original tuple, the state, the flags and mark/zone.
fault_norm() {
  sed -E 's/ \[expires in [0-9-]+s\]//; s/ \[active since [0-9-]+s\]//' |
    awk '{
      out = ""; delete seen
      for (i = 1; i <= NF; i++) {
        f = $i
        if (i == 3 && f ~ /^[0-9]+$/) continue      # kernel timeout column
        if (f ~ /^use=/) continue
        if (f ~ /^[a-z-]+=/) { k = f; sub(/=.*/, "", k); if (k in seen) continue; seen[k] = 1 }
        out = out (out == "" ? "" : " ") f
      }
      print out
    }' | sort
}

# The flow keys only (proto, original addresses and ports), sorted.
fault_keys() {
  awk '{
    delete seen; out = $1
    for (i = 2; i <= NF; i++) {
      f = $i
      if (f ~ /^(src|dst|sport|dport|type|code|id|zone)=/) {
        k = f; sub(/=.*/, "", k); if (k in seen) continue; seen[k] = 1; out = out " " f
      }
    }
    print out
  }' | sort
}

fault_int() { sync_client "$1" "$2" -i 2>/dev/null | fault_norm; }
fault_ext() { sync_client "$1" "$2" -e 2>/dev/null | fault_norm; }
fault_kern() { sync_ct "$1" -L | fault_norm; }

# fault_converge EXT_SIDE EXT_BIN INT_SIDE INT_BIN SECONDS
# Waits (bounded) until EXT_SIDE's external cache equals INT_SIDE's internal
# cache and INT_SIDE's internal cache has the kernel table's flows.  On
# failure $SYNC_T/diff holds the last difference.  Prints nothing.
fault_converge() {
  local es=$1 eb=$2 is=$3 ib=$4 secs=$5 end
  end=$((SECONDS + secs))
  while :; do
    fault_ext "$es" "$eb" >"$SYNC_T/c.ext"
    fault_int "$is" "$ib" >"$SYNC_T/c.int"
    fault_kern "$is" | fault_keys >"$SYNC_T/c.kern"
    if [[ -s $SYNC_T/c.int ]] && cmp -s "$SYNC_T/c.ext" "$SYNC_T/c.int" &&
      fault_keys <"$SYNC_T/c.int" | cmp -s - "$SYNC_T/c.kern"; then
      return 0
    fi
    if ((SECONDS >= end)); then
      {
        echo "external($es) vs internal($is):"
        diff "$SYNC_T/c.int" "$SYNC_T/c.ext" | head -n 20
        echo "internal($is) keys vs kernel($is) keys:"
        fault_keys <"$SYNC_T/c.int" | diff - "$SYNC_T/c.kern" | head -n 10
      } >"$SYNC_T/diff"
      return 1
    fi
    sleep 0.5
  done
}

# fault_wait_count SIDE BIN N SECONDS: until -e has N lines (bounded)
fault_wait_count() {
  local end=$((SECONDS + $4)) n
  while :; do
    n=$(sync_client "$1" "$2" -e 2>/dev/null | wc -l)
    [[ $n -eq $3 ]] && return 0
    ((SECONDS >= end)) && return 1
    sleep 0.3
  done
}

# fault_wait_stable SIDE BIN SECONDS: until -e stops changing for 3 s (bounded)
fault_wait_stable() {
  local end=$((SECONDS + $3)) prev= cur same=0
  while ((SECONDS < end)); do
    cur=$(fault_ext "$1" "$2" | md5sum)
    if [[ $cur == "$prev" ]]; then
      same=$((same + 1))
      ((same >= 6)) && return 0
    else
      same=0 prev=$cur
    fi
    sleep 0.5
  done
  return 1
}

# Removes PID $1 from SYNC_PIDS (so teardown never signals a reused PID).
fault_forget_pid() {
  local p keep=()
  for p in "${SYNC_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  SYNC_PIDS=("${keep[@]}")
}

# fault_kill9 SIDE: SIGKILL the daemon of SIDE (by its PID), reap it.
fault_kill9() {
  local p
  p=$(eval echo "\${SYNC_PID_$1:-}")
  [[ -n $p ]] || return 0
  kill -9 "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  fault_forget_pid "$p"
  eval "SYNC_PID_$1="
}

# fault_stop SIDE: SIGTERM by PID, reap, forget.
fault_stop() {
  local p
  p=$(eval echo "\${SYNC_PID_$1:-}")
  [[ -n $p ]] || return 0
  kill "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  fault_forget_pid "$p"
  eval "SYNC_PID_$1="
}

# fault_start SIDE BIN: sync_start, keeping the earlier console output.
fault_start() {
  [[ -f $SYNC_T/out.$1 ]] && cat "$SYNC_T/out.$1" >>"$SYNC_T/outs.$1"
  sync_start "$1" "$2"
}

# Kernel flows in A: N flows from ct_fill starting at index START.
fault_fill() { timeout 30 ip netns exec "$SYNC_NS_A" "$FAULT_CT_FILL" -n "$1" -s "${2:-0}" -t 3600 -q; }

# Second veth pair sva2/svb2 (10.$SYNC_NET.1.1 <-> .1.2) for a second link.
fault_second_link() {
  ip link add sva2 netns "$SYNC_NS_A" type veth peer name svb2 netns "$SYNC_NS_B" || return 1
  ip -n "$SYNC_NS_A" addr add "10.$SYNC_NET.1.1/24" dev sva2 || return 1
  ip -n "$SYNC_NS_B" addr add "10.$SYNC_NET.1.2/24" dev svb2 || return 1
  ip -n "$SYNC_NS_A" link set sva2 up && ip -n "$SYNC_NS_B" link set svb2 up
}

# fault_conf2 SIDE: FT-FW over two UDP links, the first one `Default`.
fault_conf2() {
  local side=$1 me peer sfx
  if [[ $side == A ]]; then me=1 peer=2 sfx=a; else me=2 peer=1 sfx=b; fi
  cat >"$SYNC_T/$side.conf" <<EOC
Sync {
  Mode FTFW {
  }
  UDP Default {
    IPv4_address 10.$SYNC_NET.0.$me
    IPv4_Destination_Address 10.$SYNC_NET.0.$peer
    Port 3780
    Interface sv$sfx
  }
  UDP {
    IPv4_address 10.$SYNC_NET.1.$me
    IPv4_Destination_Address 10.$SYNC_NET.1.$peer
    Port 3781
    Interface sv${sfx}2
  }
}
General {
  HashSize 16384
  HashLimit 131072
  NetlinkBufferSize 8388608
  NetlinkBufferSizeMaxGrowth 16777216
  LockFile $SYNC_T/lock.$side
  LogFile $SYNC_T/log.$side
  UNIX { Path $SYNC_T/sock.$side }
  Systemd off
}
EOC
}
