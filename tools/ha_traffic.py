#!/usr/bin/env python3
"""Traffic for the fail-over test bed (tools/ha_demo.sh).  Stdlib only.

    ha_traffic.py server ADDR PORT
        TCP echo and UDP echo on ADDR:PORT, until SIGTERM.
    ha_traffic.py client SERVER PORT RESULT_JSON [options]
        --long N        long-lived TCP connections (default 8)
        --rate B        bytes per second each one sends (default 65536)
        --short S       short TCP flows started per second (default 10)
        --udp U         UDP echo requests per second (default 50)
        --duration D    seconds of traffic (default 60)
        --status FILE   one JSON line of counters, rewritten every second
        --events FILE   "EPOCH label" lines: the instants a fail-over was
                        started; read at the end to time each recovery
        --drain D       seconds given to the echoes to catch up (default 8)
    ha_traffic.py garp IFACE ADDR
        one gratuitous ARP request for ADDR out of IFACE (the small mover
        uses it when it moves a floating address, as keepalived does).

Every long connection sends a known byte pattern; the server echoes it and
the client checks each echoed byte, so "every byte arrived" means the
whole stream went there and back, in order, through the firewalls.
A connection counts as closed when the kernel reports an error or EOF
(reset, timeout), as stalled when nothing came back for the last
--stall seconds of the run.
"""
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time

PATTERN = bytes(range(251)) * 300  # any offset mod 251 plus 64 KB fits
CHUNK = 4096
TICK = 0.02
MAX_INFLIGHT = 256 * 1024  # bounds the echo backlog of one connection
USER_TIMEOUT_MS = 20000  # a stalled connection is given up by the kernel
TCP_USER_TIMEOUT = getattr(socket, "TCP_USER_TIMEOUT", 18)


def pattern_at(off, n):
    o = off % 251
    return PATTERN[o:o + n]


# ---- server ---------------------------------------------------------------

def run_server(addr, port):
    sel = selectors.DefaultSelector()
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((addr, port))
    lst.listen(512)
    lst.setblocking(False)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, port))
    udp.setblocking(False)
    sel.register(lst, selectors.EVENT_READ, "accept")
    sel.register(udp, selectors.EVENT_READ, "udp")
    pending = {}  # socket -> bytes not yet echoed
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    def close(s):
        sel.unregister(s)
        pending.pop(s, None)
        s.close()

    while not stop:
        for key, ev in sel.select(0.5):
            s = key.fileobj
            if key.data == "accept":
                try:
                    c, _ = lst.accept()
                except OSError:
                    continue
                c.setblocking(False)
                c.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, USER_TIMEOUT_MS)
                pending[c] = b""
                sel.register(c, selectors.EVENT_READ, "conn")
            elif key.data == "udp":
                for _ in range(64):
                    try:
                        d, peer = udp.recvfrom(2048)
                        udp.sendto(d, peer)
                    except OSError:
                        break
            else:
                if ev & selectors.EVENT_READ and len(pending[s]) < MAX_INFLIGHT:
                    try:
                        d = s.recv(65536)
                    except OSError:
                        close(s)
                        continue
                    if not d:
                        close(s)
                        continue
                    pending[s] += d
                if pending[s]:
                    try:
                        n = s.send(pending[s])
                        pending[s] = pending[s][n:]
                    except BlockingIOError:
                        pass
                    except OSError:
                        close(s)
                        continue
                want = selectors.EVENT_READ if len(pending[s]) < MAX_INFLIGHT else 0
                if pending[s]:
                    want |= selectors.EVENT_WRITE
                sel.modify(s, want or selectors.EVENT_WRITE, "conn")


# ---- client ---------------------------------------------------------------

class Long:
    """One long-lived connection: sends the pattern, checks the echo."""

    def __init__(self, idx, server):
        self.idx = idx
        self.sent = 0
        self.recv = 0
        self.corrupt = False
        self.closed = None  # reason, once the connection ended badly
        self.recv_times = []  # instants data came back (for recovery)
        self.last_recv = time.time()
        self.budget = 0.0
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, USER_TIMEOUT_MS)
        s.settimeout(5)
        for _ in range(50):  # the server may still be starting
            try:
                s.connect(server)
                break
            except ConnectionRefusedError:
                time.sleep(0.1)
        else:
            s.connect(server)
        s.setblocking(False)
        self.sock = s

    def on_read(self, now):
        try:
            d = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            self.closed = e.strerror or str(e)
            return
        if not d:
            self.closed = "closed by peer"
            return
        if d != pattern_at(self.recv, len(d)):
            self.corrupt = True
        self.recv += len(d)
        self.last_recv = now
        if len(self.recv_times) < 200000:
            self.recv_times.append(now)

    def pump(self, rate, dt):
        self.budget = min(self.budget + rate * dt, 4 * CHUNK)
        while self.budget >= CHUNK and self.sent - self.recv < MAX_INFLIGHT:
            try:
                n = self.sock.send(pattern_at(self.sent, CHUNK))
            except BlockingIOError:
                return
            except OSError as e:
                self.closed = e.strerror or str(e)
                return
            self.sent += n
            self.budget -= n


class Short:
    """One short flow: connect, send 512 bytes, read them back, close."""

    SIZE = 512

    def __init__(self, server, now):
        self.start = now
        self.got = b""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.connect_ex(server)
        self.connected = False


def run_client(server, port, result, opts):
    srv = (server, port)
    longs = []
    for i in range(opts["long"]):
        longs.append(Long(i, srv))
    sel = selectors.DefaultSelector()
    for c in longs:
        sel.register(c.sock, selectors.EVENT_READ, c)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.connect(srv)
    udp.setblocking(False)
    sel.register(udp, selectors.EVENT_READ, "udp")
    udp_sent, udp_recv, udp_seq = 0, 0, 0
    udp_times = []  # (sent, received) of each echo
    shorts = []
    short_ok = short_fail = short_late = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    t0 = time.time()
    end = t0 + opts["duration"]
    last = t0
    next_status = t0
    short_credit = udp_credit = 0.0

    def status(phase):
        if not opts["status"]:
            return
        now = time.time()
        alive = sum(1 for c in longs if not c.closed)
        moving = sum(1 for c in longs if not c.closed and now - c.last_recv < 2)
        line = {"phase": phase, "elapsed": round(now - t0, 1), "long": len(longs),
                "alive": alive, "moving": moving, "closed": len(longs) - alive,
                "bytes": sum(c.recv for c in longs), "short_ok": short_ok,
                "short_fail": short_fail, "udp_sent": udp_sent, "udp_recv": udp_recv}
        tmp = opts["status"] + ".tmp"
        with open(tmp, "w") as f:
            f.write(json.dumps(line) + "\n")
        os.replace(tmp, opts["status"])

    def service(now, deadline):
        nonlocal udp_recv, short_ok, short_fail, short_late
        for key, ev in sel.select(max(0.0, min(TICK, deadline - time.time()))):
            d = key.data
            if d == "udp":
                for _ in range(64):
                    try:
                        m = udp.recv(2048)
                    except OSError:
                        break
                    if len(m) >= 8:
                        udp_recv += 1
                        (sent_at,) = struct.unpack("!d", m[:8])
                        if len(udp_times) < 200000:
                            udp_times.append((sent_at, time.time()))
            elif isinstance(d, Long):
                d.on_read(time.time())
                if d.closed:
                    sel.unregister(d.sock)
            elif isinstance(d, Short):
                s = d.sock
                if not d.connected:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        short_fail += 1
                        sel.unregister(s); s.close(); shorts.remove(d)
                        continue
                    d.connected = True
                    s.send(pattern_at(0, Short.SIZE))
                    sel.modify(s, selectors.EVENT_READ, d)
                    continue
                try:
                    m = s.recv(4096)
                except OSError:
                    m = b""
                if m:
                    d.got += m
                if not m or len(d.got) >= Short.SIZE:
                    ok = d.got == pattern_at(0, Short.SIZE)
                    if ok:
                        short_ok += 1
                        if time.time() - d.start > 1.0:
                            short_late += 1
                    else:
                        short_fail += 1
                    sel.unregister(s); s.close(); shorts.remove(d)

    while not stop and time.time() < end:
        now = time.time()
        dt, last = now - last, now
        for c in longs:
            if not c.closed:
                c.pump(opts["rate"], dt)
        short_credit += opts["short"] * dt
        while short_credit >= 1 and len(shorts) < 64:
            short_credit -= 1
            sh = Short(srv, now)
            shorts.append(sh)
            sel.register(sh.sock, selectors.EVENT_WRITE, sh)
        short_credit = min(short_credit, 2)
        udp_credit += opts["udp"] * dt
        while udp_credit >= 1:
            udp_credit -= 1
            try:
                udp.send(struct.pack("!dQ", now, udp_seq) + b"u" * 48)
                udp_sent += 1
            except OSError:
                pass
            udp_seq += 1
        udp_credit = min(udp_credit, 2)
        for sh in list(shorts):  # a short flow gets 10 s, SYN retries included
            if now - sh.start > 10:
                short_fail += 1
                sel.unregister(sh.sock); sh.sock.close(); shorts.remove(sh)
        service(now, now + TICK)
        if now >= next_status:
            status("run")
            next_status = now + 1

    # drain: no new data; wait for every echo (bounded)
    stalled_before = [c.idx for c in longs
                      if not c.closed and time.time() - c.last_recv > opts["stall"]]
    drain_end = time.time() + opts["drain"]
    while not stop and time.time() < drain_end:
        if all(c.closed or c.recv >= c.sent for c in longs) and not shorts:
            break
        service(time.time(), time.time() + TICK)
        for sh in list(shorts):
            if time.time() - sh.start > 10:
                short_fail += 1
                sel.unregister(sh.sock); sh.sock.close(); shorts.remove(sh)
    status("done")
    for sh in shorts:
        short_fail += 1
        sh.sock.close()

    events = []
    if opts["events"] and os.path.exists(opts["events"]):
        with open(opts["events"]) as f:
            for ln in f:
                p = ln.split(None, 1)
                if p:
                    events.append((float(p[0]), p[1].strip() if len(p) > 1 else ""))

    def tcp_recovery(t):
        # every connection alive at the end must have had an echo back
        # after the failure; the worst one is the recovery time
        worst = 0.0
        for c in longs:
            if c.closed:
                continue
            after = [x for x in c.recv_times if x > t + 0.05]
            if not after:
                return None
            worst = max(worst, after[0] - t)
        return round(worst, 3)

    def udp_recovery(t):
        after = [r for s, r in udp_times if s > t + 0.05]
        return round(min(after) - t, 3) if after else None

    fails = [{"at": round(t - t0, 2), "label": lab, "tcp_recovery_s": tcp_recovery(t),
              "udp_recovery_s": udp_recovery(t)} for t, lab in events]
    closed = [c for c in longs if c.closed]
    stalled = [c for c in longs if not c.closed and (c.idx in stalled_before or c.recv < c.sent)]
    out = {
        "long": len(longs),
        "closed": len(closed),
        "closed_reasons": sorted({c.closed for c in closed}),
        "stalled": len(stalled),
        "alive": len(longs) - len(closed) - len(stalled),
        "corrupt": sum(1 for c in longs if c.corrupt),
        "bytes_sent": sum(c.sent for c in longs),
        "bytes_echoed": sum(c.recv for c in longs),
        "all_bytes_back": all(c.recv == c.sent and not c.corrupt for c in longs),
        "short_ok": short_ok, "short_fail": short_fail, "short_slow": short_late,
        "udp_sent": udp_sent, "udp_recv": udp_recv,
        "failovers": fails,
        "duration_s": round(time.time() - t0, 1),
    }
    with open(result, "w") as f:
        json.dump(out, f)
        f.write("\n")
    for c in longs:
        c.sock.close()


# ---- gratuitous ARP -------------------------------------------------------

def garp(iface, addr):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((iface, 0))
    mac = s.getsockname()[4]
    ip = socket.inet_aton(addr)
    bcast = b"\xff" * 6
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + b"\0" * 6 + ip
    s.send(bcast + mac + struct.pack("!H", 0x0806) + arp)
    s.close()


def main(argv):
    if len(argv) >= 4 and argv[1] == "server":
        run_server(argv[2], int(argv[3]))
        return 0
    if len(argv) >= 4 and argv[1] == "garp":
        garp(argv[2], argv[3])
        return 0
    if len(argv) >= 5 and argv[1] == "client":
        opts = {"long": 8, "rate": 65536, "short": 10, "udp": 50, "duration": 60,
                "status": None, "events": None, "drain": 8, "stall": 3}
        rest = argv[5:]
        while rest:
            k = rest.pop(0).lstrip("-")
            if k not in opts or not rest:
                print("ha_traffic: bad option --%s" % k, file=sys.stderr)
                return 2
            v = rest.pop(0)
            opts[k] = v if k in ("status", "events") else float(v)
        opts["long"] = int(opts["long"])
        run_client(argv[2], int(argv[3]), argv[4], opts)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
