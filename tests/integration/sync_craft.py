#!/usr/bin/env python3
"""Crafted conntrackd sync (v1) datagrams for tests/integration/sync_badinput.sh.

    sync_craft.py SRC DST PORT SEQ CASE[,CASE...]   the cases' datagrams, in order
    sync_craft.py SRC DST PORT SEQ fuzz N SECS SEED [DUMPFILE]
                                                N random / mutated datagrams,
                                                none of them applicable (hex
                                                lines to DUMPFILE)
    sync_craft.py SRC DST PORT SEQ replay DUMPFILE FIRST LAST
                                                datagrams [FIRST, LAST) again
    sync_craft.py --list                       the case names

Stdlib only.  SEQ: the sequence number of the (first) message; FT-FW's
receiver drops a data message whose seq is before the last one it took,
so the caller keeps it increasing.
"""
import os
import random
import socket
import struct
import sys
import time

VERSION = 1
CT_NEW, CT_UPD, CT_DEL, CTL = 0, 1, 2, 10
F_UNUSED, F_RESYNC, F_NACK, F_ACK, F_ALIVE, F_HELLO, F_HELLO_BACK = 1, 2, 4, 8, 16, 32, 64
NTA_IPV4, NTA_L4PROTO, NTA_PORT, NTA_STATUS, NTA_TIMEOUT, NTA_MARK = 0, 2, 3, 5, 6, 7
NTA_MAX, NTA_EXP_MAX = 33, 21

# nta_len a receiver demands per id (wire.cc's table, spec §3.4); a
# negative value is the maximum of a variable-length attribute.
CT_RULES = [12, 36, 5, 8, 5, 8, 8, 8, 12, 36, 5, 8, 8, 8, 6, 6, 28, 5, 8, 8, 5, 5, 5, 5,
            6, 5, 5, -16, -(4 + 1024), 20, 20, 16, 6]
EXP_RULES = [12, 36, 5, 8, 12, 36, 5, 8, 12, 36, 5, 8, 8, 8, 8, 12, 8, 5, 8, -16, -32]


def hdr(mtype, flags, seq, length, ver=VERSION):
    return struct.pack(">BBHI", (ver << 4) | mtype, flags, length, seq)


def attr(aid, payload, nta_len=None):
    n = 4 + len(payload) if nta_len is None else nta_len
    b = struct.pack(">HH", n, aid) + payload
    return b + b"\0" * (-len(b) % 4)


def msg(mtype, seq, body, flags=0, ver=VERSION):
    return hdr(mtype, flags, seq, 8 + len(body), ver) + body


def ctl(flags, seq, frm=0, to=0):
    if flags & (F_ACK | F_NACK | F_RESYNC):
        return hdr(CTL, flags, seq, 16) + struct.pack(">II", frm, to)
    return hdr(CTL, flags, seq, 8)


def udp_flow(src="192.168.7.1", dst="192.168.7.2", sport=1000, dport=53, mark=5, timeout=300):
    """The attributes of a UDP flow in ct2msg's order."""
    return (attr(NTA_IPV4, socket.inet_aton(src) + socket.inet_aton(dst))
            + attr(NTA_STATUS, struct.pack(">I", 0x8))  # CONFIRMED
            + attr(NTA_L4PROTO, b"\x11")
            + attr(NTA_PORT, struct.pack(">HH", sport, dport))
            + attr(NTA_TIMEOUT, struct.pack(">I", timeout))
            + attr(NTA_MARK, struct.pack(">I", mark)))


FLOW1 = dict(src="192.168.7.1", dst="192.168.7.2", sport=1000, dport=53, mark=5)
FLOW2 = dict(src="192.168.7.3", dst="192.168.7.4", sport=2000, dport=53, mark=6)
BAD_TAIL = attr(40, b"\0\0\0\0")  # an unknown id after every good attribute


def cases(seq):
    """name -> list of datagrams."""
    good = udp_flow(src="192.168.9.1")
    c = {
        # fewer than 8 bytes
        "truncated_5bytes": [hdr(CT_NEW, 0, seq, 8)[:5]],
        # an ACK whose len (8) fits but whose range is missing
        "truncated_ack": [hdr(CTL, F_ACK, seq, 8)],
        "badsize_len0": [hdr(CT_NEW, 0, seq, 0) + good],
        "badsize_beyond": [hdr(CT_NEW, 0, seq, 8 + len(good) + 64) + good],
        "badsize_below_hdr": [hdr(CT_NEW, 0, seq, 4) + good],
        "badsize_ack_short": [hdr(CTL, F_ACK, seq, 8) + struct.pack(">II", 0, 0)],
        "badversion_2": [msg(CT_NEW, seq, good, ver=2)],
        "badversion_0": [msg(CT_NEW, seq, good, ver=0)],
        "badtype_7": [msg(7, seq, b"")],
        "badtype_12": [msg(12, seq, b"")],
        "badheader_unused_flag": [msg(CT_NEW, seq, good, flags=F_UNUSED)],
        "badheader_ctl_noflag": [msg(CTL, seq, b"")],
        "badheader_ack_reversed": [ctl(F_ACK, seq, 100, 50)],
        "unknown_attr_40": [msg(CT_NEW, seq, good + attr(40, b"\0\0\0\0"))],
        "unknown_attr_33": [msg(CT_UPD, seq, attr(NTA_MAX, b"\1") + good)],
        "attr_size_ipv4": [msg(CT_NEW, seq, attr(NTA_IPV4, b"\x0a\0\0\1\x0a\0\0") + good)],
        "attr_size_port": [msg(CT_NEW, seq, good + attr(NTA_PORT, b"\0\1"))],
        "attr_overrun_beyond": [msg(CT_NEW, seq, good + attr(NTA_MARK, b"\0\0\0\0", nta_len=64))],
        "attr_overrun_short": [msg(CT_NEW, seq, good + attr(NTA_MARK, b"\0\0\0\0", nta_len=2))],
        "missing_addr": [msg(CT_NEW, seq, attr(NTA_L4PROTO, b"\x11")
                             + attr(NTA_PORT, struct.pack(">HH", 7, 8)))],
        "missing_proto": [msg(CT_NEW, seq, attr(NTA_IPV4, socket.inet_aton("192.168.9.5")
                                                + socket.inet_aton("192.168.9.6")))],
        # cache integrity
        "valid_new1": [msg(CT_NEW, seq, udp_flow(**FLOW1))],
        "tailbad_new2": [msg(CT_NEW, seq, udp_flow(**FLOW2) + BAD_TAIL)],
        "tailbad_upd1": [msg(CT_UPD, seq, udp_flow(**dict(FLOW1, mark=99)) + BAD_TAIL)],
        "tailbad_del1": [msg(CT_DEL, seq, udp_flow(**FLOW1) + BAD_TAIL)],
        "tailoverrun_upd1": [msg(CT_UPD, seq, udp_flow(**dict(FLOW1, mark=98))
                                 + attr(NTA_MARK, b"\0\0\0\1", nta_len=200))],
        "alive": [ctl(F_ALIVE, seq)],
        # ALIVE at S; ALIVE at H = S+1+2^31, exactly half the space after
        # the expected S+1 (upstream: "after", taken: its last seq is H);
        # then a bad CT_NEW at H-100: upstream: before H, dropped unseen;
        # ours (which took H as "before" and stayed at S): after S, parsed
        "seq_half_range": [ctl(F_ALIVE, seq), ctl(F_ALIVE, (seq + 1 + 0x80000000) & 0xffffffff),
                           msg(CT_NEW, (seq + 1 + 0x80000000 - 100) & 0xffffffff,
                               good + attr(40, b"\0\0\0\0"))],
    }
    return c


# ---- the receiver's checks (spec §3.4, §3.6), to keep fuzzing off the cache --

def might_apply(d):
    """True if some message of datagram d could change an external cache:
    a data message with a good header whose attributes all pass."""
    off = 0
    while off < len(d):
        rem = len(d) - off
        if rem < 8:
            return False
        b0, flags, ln, _seq = struct.unpack_from(">BBHI", d, off)
        ver, mtype = b0 >> 4, b0 & 15
        if ln == 0 or ln > rem:
            return False
        ranged = mtype == CTL and flags & (F_ACK | F_NACK | F_RESYNC)
        if ranged and (rem < 16 or ln < 16):
            return False
        if not ranged and ln < 8:
            return False
        m = d[off:off + ln]
        off += ln
        if ver != VERSION:
            continue
        # everything a data message could be in any mode (ALARM ignores flags)
        if mtype > 5:
            continue
        rules = CT_RULES if mtype <= 2 else EXP_RULES
        p, left, ok, ids = 8, ln - 8, True, set()
        while left > 4:
            alen, aid = struct.unpack_from(">HH", m, p)
            if alen > left or alen < 4 or aid >= len(rules):
                ok = False
                break
            r = rules[aid]
            if (r < 0 and alen > -r) or (r >= 0 and alen != r):
                ok = False
                break
            ids.add(aid)
            step = (alen + 3) & ~3
            p += step
            left -= step
        if ok:
            return True  # conservative: even without address/protocol
    return False


def mutate(rng, base):
    d = bytearray(base)
    k = rng.randrange(7)
    if k == 0:  # bit flips
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(d))
            d[i] ^= 1 << rng.randrange(8)
    elif k == 1:  # truncation
        d = d[:rng.randrange(len(d))]
    elif k == 2:  # a random len field
        struct.pack_into(">H", d, 2, rng.choice([0, 1, 4, 7, 8, 15, 16, len(d) + 1, rng.randrange(65536)]))
    elif k == 3:  # a random attribute header
        if len(d) >= 12:
            i = 8 + 4 * rng.randrange((len(d) - 8) // 4)
            struct.pack_into(">HH", d, i, rng.randrange(80), rng.randrange(64))
    elif k == 4:  # random bytes
        d = bytearray(rng.randbytes(rng.randrange(64)))
    elif k == 5:  # version / type / flags byte
        d[rng.randrange(2)] = rng.randrange(256)
    else:  # splice two messages, then flip
        d = d + bytearray(rng.choice(BASES))
        d[rng.randrange(len(d))] ^= 0xff
    return bytes(d)


BASES = [
    msg(CT_NEW, 1, udp_flow(**FLOW2)),
    msg(CT_UPD, 2, udp_flow(**FLOW1)),
    msg(CT_DEL, 3, udp_flow(**FLOW1)),
    msg(CT_NEW, 4, udp_flow(src="10.9.9.9", mark=0)),
    ctl(F_ACK, 5, 1, 4),
    ctl(F_NACK, 6, 1, 4),
    ctl(F_ALIVE, 7),
]


def half_range(d, base):
    """A message whose seq is (about) 2^31 away from the stream's: where
    our serial arithmetic differs from upstream's (known bug, see
    sync_badinput.sh)."""
    off = 0
    while off + 8 <= len(d):
        _b0, _fl, ln, seq = struct.unpack_from(">BBHI", d, off)
        if abs(((seq - base) & 0xffffffff) - 0x80000000) < 4096:
            return True
        if ln == 0:
            break
        off += ln
    return False


def rx_queue(pid, port):
    """Bytes queued on the receiver's UDP socket of `port` (the receiving
    process's /proc/PID/net/udp shows its own namespace); -1 if unknown."""
    try:
        with open(f"/proc/{pid}/net/udp") as f:
            for line in f.readlines()[1:]:
                fld = line.split()
                if int(fld[1].split(":")[1], 16) == port:
                    return int(fld[4].split(":")[1], 16)
    except (OSError, ValueError, IndexError):
        pass
    return -1


def wait_rx(pid, port, deadline):
    """Flow control: let the receiver drain (bounded by the deadline)."""
    while time.monotonic() < deadline and rx_queue(pid, port) > 32768:
        time.sleep(0.002)


def fuzz(sock, dst, n, secs, seed, seq, dump=None):
    rng = random.Random(seed)
    avoid_half = os.environ.get("CRAFT_AVOID_HALF_RANGE") == "1"
    rx_pid = os.environ.get("CRAFT_RX_PID")  # pace to the receiver's socket
    out = open(dump, "w") if dump else None
    deadline = time.monotonic() + secs
    sent = skipped = 0
    while sent < n and time.monotonic() < deadline:
        # a fresh, increasing seq, so that FT-FW does not drop most of them
        # as delayed before their payload is looked at
        base = bytearray(rng.choice(BASES))
        struct.pack_into(">I", base, 4, (seq + sent) & 0xffffffff)
        d = mutate(rng, bytes(base))
        if len(d) == 0 or might_apply(d) or (avoid_half and half_range(d, seq + sent)):
            skipped += 1
            if skipped > 10 * n:
                break
            continue
        try:
            sock.sendto(d, dst)
        except OSError:
            time.sleep(0.001)
            continue
        if out:
            out.write(d.hex() + "\n")
        sent += 1
        if sent % 50 == 0:
            time.sleep(0.002)  # keep the receive buffer from overflowing
            if rx_pid and sent % 200 == 0:
                wait_rx(rx_pid, dst[1], deadline)
    print(f"sent {sent} skipped {skipped}")


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(cases(0)))
        return 0
    src, dst, port, seq, what = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    if what == "fuzz":
        fuzz(s, (dst, port), int(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8]), seq,
             sys.argv[9] if len(sys.argv) > 9 else None)
        return 0
    if what == "replay":  # replay FILE FIRST LAST: datagrams [FIRST, LAST) of a fuzz dump
        lines = open(sys.argv[6]).read().split()
        for i, h in enumerate(lines[int(sys.argv[7]):int(sys.argv[8])]):
            s.sendto(bytes.fromhex(h), (dst, port))
            if i % 50 == 49:
                time.sleep(0.002)
        return 0
    c = cases(seq)
    for name in what.split(","):  # several cases, in order, from one socket
        if name not in c:
            print(f"unknown case {name}", file=sys.stderr)
            return 2
        for d in c[name]:
            s.sendto(d, (dst, port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
