#!/usr/bin/env bash
# tools/sync_decode on datagrams of both encodings, built here byte by
# byte from the wire diagrams (sync/wire.h for v1, sync/compact_wire.h for
# v2), not by our encoder: a v1 CT_NEW and an ALIVE; a v2 DATA packet
# holding NEW, UPD, DEL and a record of an unknown kind; OFFER and NEED; a
# v2 message and a v1 one in the same datagram; the same DATA packet
# inside a classic pcap file (-r).  Touches no conntrack state: no
# namespace is needed.
#
#   tests/integration/sync_decode.sh     (a second or so)
set -u
DECODE=${SYNC_DECODE:-$(cd "${BINDIR:-.}" && pwd)/sync_decode}
T=$(mktemp -d "${TMPDIR:-/tmp}/syncdec.XXXXXX")
trap 'rm -rf "$T"' EXIT
PASS=0 FAIL=0
pass() { echo "PASS $1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL $1"; [[ -n ${2:-} ]] && sed 's/^/    /' <<<"$2"; FAIL=$((FAIL + 1)); }
[[ -x $DECODE ]] || { echo "FAIL setup: no $DECODE (make tools)"; exit 1; }

# Hex datagrams (one a line) in $T/hex, the same DATA packet as a pcap.
python3 - "$T" <<'EOF' || { echo "FAIL setup: python"; exit 1; }
import struct, sys
out = sys.argv[1]

def tlv(aid, payload):
    n = 4 + len(payload)
    return struct.pack(">HH", n, aid) + payload + b"\0" * (-n % 4)

def v1(mtype, flags, seq, body):
    return struct.pack(">BBHI", 0x10 | mtype, flags, 8 + len(body), seq) + body

def v2(mtype, flags, seq, node, body):
    return struct.pack(">BBHII", 0x20 | mtype, flags, 12 + len(body), seq, node) + body

ip4 = bytes([10, 0, 0, 1, 10, 0, 0, 2])
ports = struct.pack(">HH", 1000, 80)
# v1 CT_NEW: IPV4 (0), L4PROTO (2), PORT (3), STATUS (5), TIMEOUT (6), MARK (7)
ct_new = v1(0, 0, 5, tlv(0, ip4) + tlv(2, b"\x06") + tlv(3, ports) +
            tlv(5, struct.pack(">I", 14)) + tlv(6, struct.pack(">I", 120)) +
            tlv(7, struct.pack(">I", 7)))
alive = v1(10, 16, 6, b"")

# v2 records: kind, fields, ref, serial, then the fields in bit order
# (ADDR4 8, L4PROTO 1, PORT 4, STATUS 4, TIMEOUT 4, MARK 4, TCP_STATE 1),
# and for the full kinds a 2-byte tail length and v1 TLVs.
def rec(kind, fields, ref, serial, body=b""):
    return struct.pack(">BBII", kind, fields, ref, serial) + body
full = (ip4 + b"\x06" + ports + struct.pack(">III", 14, 120, 7) + b"\x03")
tail = tlv(32, struct.pack(">H", 4))        # NTA_ZONE 4, in the tail
new = rec(1, 0x01 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40 | 0x80, 3, 9,
          full + struct.pack(">H", len(tail)) + tail)
upd = rec(2, 0x20 | 0x40, 3, 9, struct.pack(">II", 300, 8))
dele = rec(3, 0, 3, 9)
data = v2(0, 32, 7, 0x11223344, new + upd + dele)   # HELLO
bad = v2(0, 0, 8, 0x11223344, dele + rec(9, 0, 1, 1))
offer = struct.pack(">BBHIII", 0x21, 1, 16, 0, 0x11223344, 1)
need = v2(2, 0, 0, 0xaabbccdd, struct.pack(">II", 3, 9) + struct.pack(">II", 4, 1))
with open(out + "/hex", "w") as f:
    for d in (ct_new, data, bad, offer, need, data + alive):
        f.write(" ".join("%02x" % b for b in d) + "\n")

# pcap: Ethernet, IPv4, UDP to 3780, the DATA packet
udp = struct.pack(">HHHH", 3780, 3780, 8 + len(data), 0) + data
iph = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                  bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2]))
frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + iph + udp
with open(out + "/cap.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame)
EOF

timeout 10 "$DECODE" <"$T/hex" >"$T/out" 2>&1 || fail "sync_decode exited with an error" "$(cat "$T/out")"
out=$(cat "$T/out")

# expect NAME REGEX: one line of the output matches
expect() { if grep -qE -- "$2" <<<"$out"; then pass "$1"; else fail "$1: no line matching /$2/" "$out"; fi; }
expect "v1 CT_NEW decoded" '^seq=5 CT_NEW len=60 NTA_IPV4=10\.0\.0\.1->10\.0\.0\.2 NTA_L4PROTO=6 NTA_PORT=1000->80 NTA_STATUS=14 NTA_TIMEOUT=120 NTA_MARK=7$'
expect "v2 DATA header: seq, HELLO, node" '^v2 seq=7 DATA\|HELLO len=[0-9]+ node=11223344$'
expect "v2 NEW record: every field, the tail's zone, decodes as v1" '^  NEW id=3:9 NTA_IPV4=10\.0\.0\.1->10\.0\.0\.2 NTA_L4PROTO=6 NTA_PORT=1000->80 NTA_STATUS=14 NTA_TIMEOUT=120 NTA_MARK=7 NTA_TCP_STATE=3 NTA_ZONE=4$'
expect "v2 UPD record: only its fields" '^  UPD id=3:9 NTA_TIMEOUT=300 NTA_MARK=8$'
expect "v2 DEL record: the id alone" '^  DEL id=3:9$'
expect "v2 record of an unknown kind dropped" '^  DROP\(.*\)$'
expect "v2 OFFER: ask flag, node, caps" '^v2 seq=0 OFFER\|ASK len=16 node=11223344 caps=RECEIVE$'
expect "v2 NEED: the ids asked for" '^v2 seq=0 NEED len=28 node=aabbccdd ids 3:9 4:1$'
expect "v1 message after a v2 one in the same datagram" '^seq=6 CTL\|ALIVE len=8$'
n_del=$(grep -c '^  DEL id=3:9$' <<<"$out")
[[ $n_del == 3 ]] && pass "every DATA packet walked to its end ($n_del DEL records)" ||
  fail "DEL records: $n_del, want 3" "$out"
grep -q 'DROP(bad version)' <<<"$out" && fail "a v2 message shown as a wrong version" "$out" ||
  pass "no v2 message reported as a wrong version"

pc=$(timeout 10 "$DECODE" -r "$T/cap.pcap" 2>&1)
if grep -qE '^v2 seq=7 DATA\|HELLO' <<<"$pc" && grep -qE '^  UPD id=3:9 NTA_TIMEOUT=300 NTA_MARK=8$' <<<"$pc"; then
  pass "v2 DATA out of a pcap (-r)"
else
  fail "v2 DATA out of a pcap (-r)" "$pc"
fi

echo "# sync_decode.sh: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
