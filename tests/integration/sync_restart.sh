#!/usr/bin/env bash
# FT-FW over UDP across daemon crashes (SIGKILL, by PID) and restarts.
#   1. A (primary) and B (backup) sync 100 flows.
#   2. B is killed; A's table changes (flows created, updated, destroyed);
#      B is restarted and asks for a resync (`-n`): B's external cache
#      must equal A's internal cache (= A's kernel table) exactly.
#   3. A is killed; A's table changes behind its back (flows destroyed and
#      created); A is restarted (its internal cache refills from the kernel
#      dump) and sends a bulk (`-B`).  The flows A has must all reach B; the
#      flows destroyed while A was down stay in B's external cache as stale
#      entries, because a bulk only adds and updates (FT-FW external entries
#      have no timer).  B's final external cache must be exactly what
#      Debian's pair ends with in the same scenario (Debian -> Debian is the
#      reference, run first).
#   4. B flushes its external cache (-f external) and asks again (-n): B
#      equals A exactly.
# Pairs: Debian<->Debian (reference), ours<->ours, ours->Debian, Debian->ours.
#
#   tests/integration/sync_restart.sh     (root; about 1 min)
set -u
. "$(dirname "$0")/lib_sync.sh"
. "$(dirname "$0")/lib_sync_fault.sh"
trap sync_teardown EXIT
trap 'exit 1' INT TERM
[[ -x $FAULT_CT_FILL ]] || { echo "FAIL setup: no $FAULT_CT_FILL (make tools)"; exit 1; }
sync_setup || { echo "FAIL setup"; exit 1; }

# run_restart TAG SENDER(A) RECEIVER(B): writes $SYNC_T/final.TAG (B's -e at
# the end) and $SYNC_T/stale.TAG (entries of B that A no longer has).
run_restart() {
  local tag=$1 sb=$2 rb=$3 ok=1
  sync_conf A FTFW UDP
  sync_conf B FTFW UDP
  sync_ct A -F; sync_ct B -F
  if ! fault_start B "$rb" || ! fault_start A "$sb"; then
    fail "$tag: start"; fault_stop A; fault_stop B; return 1
  fi
  sleep 1.5
  fault_fill 100 0
  if fault_converge B "$rb" A "$sb" 20; then
    pass "$tag: initial sync (100 flows)"
  else
    fail "$tag: initial sync" "$(cat "$SYNC_T/diff")"; ok=0
  fi

  # 2. the backup crashes and misses changes; restart + resync request
  fault_kill9 B
  fault_fill 50 100
  sync_ct A -U -p udp --dport 53 -m 9 >/dev/null
  sync_ct A -D -p tcp --dport 22 >/dev/null
  sleep 0.5
  if ! fault_start B "$rb"; then
    fail "$tag: restart B"; fault_stop A; fault_stop B; return 1
  fi
  sleep 1.5
  sync_client B "$rb" -n >/dev/null 2>&1
  if fault_converge B "$rb" A "$sb" 20; then
    pass "$tag: backup killed, restarted, -n: B equals A ($(wc -l <"$SYNC_T/c.int") flows)"
  else
    fail "$tag: backup killed, restarted, -n" "$(cat "$SYNC_T/diff")"; ok=0
  fi

  # 3. the primary crashes; its table changes meanwhile; restart + bulk
  fault_kill9 A
  sync_ct A -D -p udp --dport 443 >/dev/null
  sync_ct A -D -f ipv6 -p tcp >/dev/null
  fault_fill 20 150
  sync_ct A -U -p udp --dport 4500 -m 12 >/dev/null
  if ! fault_start A "$sb"; then
    fail "$tag: restart A"; fault_stop A; fault_stop B; return 1
  fi
  sleep 1.5
  sync_client A "$sb" -B >/dev/null 2>&1
  fault_wait_stable B "$rb" 20
  fault_ext B "$rb" >"$SYNC_T/final.$tag"
  fault_int A "$sb" >"$SYNC_T/int.$tag"
  fault_kern A | fault_keys >"$SYNC_T/kern.$tag"
  comm -13 "$SYNC_T/int.$tag" "$SYNC_T/final.$tag" >"$SYNC_T/stale.$tag"
  comm -23 "$SYNC_T/int.$tag" "$SYNC_T/final.$tag" >"$SYNC_T/missing.$tag"
  if fault_keys <"$SYNC_T/int.$tag" | cmp -s - "$SYNC_T/kern.$tag"; then
    pass "$tag: primary restarted: its internal cache has its kernel table ($(wc -l <"$SYNC_T/int.$tag") flows)"
  else
    fail "$tag: primary restarted: internal cache vs kernel" \
      "$(fault_keys <"$SYNC_T/int.$tag" | diff - "$SYNC_T/kern.$tag" | head -n 20)"
  fi
  if [[ ! -s $SYNC_T/missing.$tag ]]; then
    pass "$tag: primary killed, restarted, -B: every flow of A is in B"
  else
    fail "$tag: primary killed, restarted, -B: B misses $(wc -l <"$SYNC_T/missing.$tag") flows" \
      "$(head -n 10 "$SYNC_T/missing.$tag")"
  fi
  echo "# $tag: after the primary's restart B keeps $(wc -l <"$SYNC_T/stale.$tag") stale entries (destroyed while A was down)"
  # 4. the way out of stale entries: B flushes its external cache, asks again
  sync_client B "$rb" -f external >/dev/null 2>&1
  sync_client B "$rb" -n >/dev/null 2>&1
  if fault_converge B "$rb" A "$sb" 20; then
    pass "$tag: -f external then -n on B: B equals A exactly ($(wc -l <"$SYNC_T/c.int") flows)"
  else
    fail "$tag: -f external then -n on B" "$(cat "$SYNC_T/diff")"
  fi
  fault_stop A; fault_stop B
  return 0
}

run_restart "debian<->debian" "$SYNC_UP" "$SYNC_UP"
ref=$SYNC_T/final.debian\<-\>debian
for pair in "ours<->ours" "ours->debian" "debian->ours"; do
  case $pair in
    "ours<->ours") s=$SYNC_OURS r=$SYNC_OURS ;;
    "ours->debian") s=$SYNC_OURS r=$SYNC_UP ;;
    *) s=$SYNC_UP r=$SYNC_OURS ;;
  esac
  run_restart "$pair" "$s" "$r" || continue
  if cmp -s "$ref" "$SYNC_T/final.$pair"; then
    pass "$pair: B's final external cache (with stale entries) equals Debian's pair's"
  else
    fail "$pair: B's final external cache differs from Debian's pair's (< debian, > $pair)" \
      "$(diff "$ref" "$SYNC_T/final.$pair" | head -n 20)"
  fi
done

echo "# sync_restart.sh: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
