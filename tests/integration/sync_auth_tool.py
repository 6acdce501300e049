#!/usr/bin/env python3
"""The attacker of tests/integration/sync_auth.sh (AuthKeyFile).

    sync_auth_tool.py tap IFACE PORT OUT SECS
        records the UDP payloads to PORT leaving IFACE (AF_PACKET), one hex
        line each, for SECS seconds or until SIGTERM: the captured packets
    sync_auth_tool.py replay SRC DST PORT FILE FIRST LAST
        sends lines [FIRST, LAST) of FILE again, unchanged
    sync_auth_tool.py forge SRC DST PORT KIND COUNT [KEYHEX]
        COUNT packets, each a valid CT_NEW of a flow never seen, with:
          plain       no trailer (what a peer without a key sends)
          badtag      a trailer with key id 1 and a random tag
          wrongkey    key id 1, tagged with KEYHEX (not the peers' key)
          unknownkey  key id 200, tagged with KEYHEX
          truncated   the first 30 bytes of a trailer only

Stdlib only.  The trailer layout is src/sync/auth_wire.h's.
"""
import hashlib
import hmac
import os
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sync_craft  # noqa: E402


def trailer(key_id, session, counter, body, key):
    head = struct.pack(">BBHB3xQQ", 0x1F, 1, 40, key_id, session, counter)
    if key is None:
        tag = os.urandom(16)
    else:
        tag = hmac.new(key, body + head, hashlib.sha256).digest()[:16]
    return head + tag


def tap(iface, port, out, secs):
    # ETH_P_ALL: only "all protocols" taps see outgoing packets
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(3))
    s.bind((iface, 0))
    s.settimeout(0.2)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    end = time.monotonic() + secs
    with open(out, "w") as f:
        while not stop[0] and time.monotonic() < end:
            try:
                pkt, addr = s.recvfrom(65535)
            except socket.timeout:
                continue
            if (addr[1] != 0x0800 or addr[2] != socket.PACKET_OUTGOING or len(pkt) < 28
                    or pkt[9] != 17):
                continue
            ihl = (pkt[0] & 15) * 4
            dport = struct.unpack(">H", pkt[ihl + 2:ihl + 4])[0]
            if dport == port:
                f.write(pkt[ihl + 8:].hex() + "\n")
                f.flush()


def sender(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    return s


def main():
    cmd = sys.argv[1]
    if cmd == "tap":
        tap(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]))
        return
    src, dst, port = sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = sender(src)
    if cmd == "replay":
        lines = open(sys.argv[5]).read().split()
        for h in lines[int(sys.argv[6]):int(sys.argv[7])]:
            s.sendto(bytes.fromhex(h), (dst, port))
            time.sleep(0.002)
        return
    kind, count = sys.argv[5], int(sys.argv[6])
    key = bytes.fromhex(sys.argv[7]) if len(sys.argv) > 7 else None
    session = int.from_bytes(os.urandom(8), "big")
    for i in range(count):
        body = sync_craft.msg(sync_craft.CT_NEW, 1000 + i,
                              sync_craft.udp_flow(src="192.168.66.%d" % (i + 1), sport=4000 + i))
        if kind == "plain":
            pkt = body
        elif kind == "badtag":
            pkt = body + trailer(1, session, i + 1, body, None)
        elif kind == "wrongkey":
            pkt = body + trailer(1, session, i + 1, body, key)
        elif kind == "unknownkey":
            pkt = body + trailer(200, session, i + 1, body, key)
        elif kind == "truncated":
            pkt = trailer(1, session, i + 1, b"", key)[:30]
        else:
            sys.exit("unknown kind " + kind)
        s.sendto(pkt, (dst, port))
        time.sleep(0.002)


if __name__ == "__main__":
    main()
