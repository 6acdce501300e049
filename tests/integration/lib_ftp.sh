#!/usr/bin/env bash
# Real expectations for a namespace, from the kernel's FTP helper (source
# it after lib.sh; ctt_bg, ctt_wait_for and $CTT_TMP come from there):
#
#   ftp_available || skip          nf_conntrack_ftp loaded (or loadable)
#   ftp_setup NS                   nft assigns helper "ftp" to TCP port 2121
#                                  and FTP-like servers listen on 127.0.0.1
#                                  and ::1 (bounded by FTP_SECONDS)
#   ftp_master NS ADDR CMD         one client connection (a master with the
#                                  ftp helper), held open; CMD PASV / EPSV
#                                  makes the helper expect a data connection
#                                  (127.0.0.1:51210 / [::1]:51300), NOOP not
#   ftp_masters NS                 the source ports of the IPv4 masters
#
# Every server and client runs under `timeout` through ctt_bg, so lib.sh's
# cleanup stops it by PID.  The servers answer PASV and EPSV with fixed
# ports, so only one master at a time can hold each of those expectations.

FTP_SECONDS=${FTP_SECONDS:-500}

ftp_available() {
  [[ -d /sys/module/nf_conntrack_ftp ]] || modprobe nf_conntrack_ftp 2>/dev/null
  [[ -d /sys/module/nf_conntrack_ftp ]]
}

cat >"$CTT_TMP/ftpsrv.py" <<'EOF'
import socket, sys, time
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port)); s.listen(16); s.settimeout(1)
deadline = time.time() + float(sys.argv[3])
conns = []
while time.time() < deadline:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(2)
    try:
        c.sendall(b"220 ready\r\n")
        data = c.recv(200)
        if data.startswith(b"PASV"):
            c.sendall(b"227 Entering Passive Mode (127,0,0,1,200,10)\r\n")
        elif data.startswith(b"EPSV"):
            c.sendall(b"229 Entering Extended Passive Mode (|||51300|)\r\n")
        else:
            c.sendall(b"200 ok\r\n")
    except OSError:
        pass
    conns.append(c)  # keep the control connections (the masters) open
EOF
cat >"$CTT_TMP/ftpcli.py" <<'EOF'
import socket, sys, time
addr, port, cmd, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET)
s.settimeout(3)
s.connect((addr, port))
s.recv(100)
s.sendall(cmd.encode() + b"\r\n")
s.recv(200)
print("ready", flush=True)
time.sleep(hold)  # an open master keeps its expectations
EOF

_ftp_listening() {
  ip netns exec "$1" ss -Hltn 'sport = :2121' 2>/dev/null | grep -c LISTEN | grep -qx 2
}

ftp_setup() {
  local ns=$1 spid  # not "pid": ctt_bg's own local would shadow it
  ip netns exec "$ns" nft -f - <<'EOF' || return 1
table inet ctdftp {
  ct helper ftp-std { type "ftp" protocol tcp; }
  chain pre { type filter hook prerouting priority 0; tcp dport 2121 ct helper set "ftp-std"; }
  chain out { type filter hook output priority 0; tcp dport 2121 ct helper set "ftp-std"; }
}
EOF
  ctt_bg spid timeout "$FTP_SECONDS" ip netns exec "$ns" python3 "$CTT_TMP/ftpsrv.py" 127.0.0.1 2121 "$FTP_SECONDS"
  ctt_bg spid timeout "$FTP_SECONDS" ip netns exec "$ns" python3 "$CTT_TMP/ftpsrv.py" ::1 2121 "$FTP_SECONDS"
  ctt_wait_for 5 _ftp_listening "$ns"
}

# ftp_master NS ADDR CMD: returns once the reply to CMD has arrived (the
# helper has seen it), the connection staying open in the background.
ftp_master() {
  local ns=$1 addr=$2 cmd=$3 cpid out
  out=$CTT_TMP/ftpcli.$RANDOM.out
  ctt_bg cpid timeout "$FTP_SECONDS" ip netns exec "$ns" python3 "$CTT_TMP/ftpcli.py" \
    "$addr" 2121 "$cmd" "$FTP_SECONDS" >"$out" 2>&1
  ctt_wait_for 5 grep -q ready "$out"
}

ftp_masters() {
  ip netns exec "$1" "$ORACLE" -L -p tcp --dport 2121 -f ipv4 2>/dev/null |
    sed -nE 's/^tcp .* ESTABLISHED src=127\.0\.0\.1 dst=127\.0\.0\.1 sport=([0-9]+) dport=2121 .*/\1/p' | sort -n
}
