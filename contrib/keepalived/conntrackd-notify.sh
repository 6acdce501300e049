#!/bin/sh
# keepalived notify script for a conntrackd firewall pair (FT-FW or
# NOTRACK with an external cache).  What it does on each transition:
#
#   primary  1. -c   commit the external cache (the peer's flows) to the
#                    kernel table, synchronously: when it returns, the
#                    flows that were replicated are in the kernel;
#            2. only then: run READY_CMD, if given (takes the floating
#                    addresses, or tells the caller traffic may come);
#            3. -f   flush both caches (the external one is in the kernel
#                    now; the internal one is rebuilt next);
#            4. -R   resync the internal cache from the kernel table;
#            5. -B   bulk-send it, so the peer's external cache matches.
#   backup   1. -f external   drop what the peer sent before (it may hold
#                    flows that ended while this node was away);
#            2. -n   ask the new primary for its whole table;
#            3. -t   let this node's own kernel flows expire after
#                    PurgeTimeout (a later -c cancels it, so a quick
#                    fail-back keeps them).
#   fault    -t, as backup's last step.
#
# Under keepalived the floating addresses are already up when notify_master
# runs; the commit is then the first thing done and packets that arrive
# before it ends are dropped by the ct state rule (with
# nf_conntrack_tcp_loose=0 they create no entry), so TCP retransmits them
# once the commit is done.  A mover that owns the addresses itself passes
# READY_CMD to take them only after the commit.
#
#   conntrackd-notify.sh primary|backup|fault [CONFIG [CONNTRACKD [READY_CMD]]]
#   keepalived: notify_master "/path/conntrackd-notify.sh primary"
#               notify_backup "/path/conntrackd-notify.sh backup"
#               notify_fault  "/path/conntrackd-notify.sh fault"
#
# CONFIG defaults to /etc/conntrackd/conntrackd.conf, CONNTRACKD to the one
# in PATH.  Errors go to syslog (logger) and stderr; the script always goes
# on with the next step, as a failed step must not keep the node from
# serving.

state=${1:-}
conf=${2:-/etc/conntrackd/conntrackd.conf}
bin=${3:-conntrackd}
ready=${4:-}

step() {
  if ! "$bin" -C "$conf" "$@"; then
    msg="conntrackd-notify: $state: conntrackd $* failed"
    echo "$msg" >&2
    command -v logger >/dev/null 2>&1 && logger -t conntrackd-notify "$msg"
  fi
  return 0
}

case $state in
  primary|master|MASTER)
    step -c
    [ -n "$ready" ] && sh -c "$ready"
    step -f
    step -R
    step -B
    ;;
  backup|BACKUP)
    step -f external
    step -n
    step -t
    ;;
  fault|FAULT|stop|STOP)
    step -t
    ;;
  *)
    echo "usage: $0 primary|backup|fault [CONFIG [CONNTRACKD [READY_CMD]]]" >&2
    exit 2
    ;;
esac
exit 0
