// The compact sync encoding (protocol version 2): ours, negotiated per
// peer, never sent to a peer that did not offer it.  Beside v1 (wire.h),
// whose header it keeps byte for byte so that a v1 receiver walks over it:
// upstream 1.4.x (and we, with CompactEncoding off) skip a message whose
// version nibble is not 1 by its `len`, count it as "Wrong protocol
// version", and go on with the next message of the datagram.
//
//    0       1       2       3       4       5       6       7
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   |2 |typ | flags |     len       |             seq               |
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   |            node id            |  DATA: records / OFFER: caps /
//   +-------+-------+-------+-------+  NEED: ids ...
//
// node id: random, chosen at start-up; a new one means the peer
// restarted and forgot every id it gave or learned.
//
// DATA (type 0): many records under one header.  seq comes from the
// sender's one sequence counter (shared with its v1 messages), so FT-FW
// acknowledges, NACKs and resends a DATA packet as one message; flags are
// v1's HELLO / HELLO_BACK.  OFFER (1) and NEED (2) stand outside the
// sequence space (seq 0): both are idempotent and repeated as needed.
//
// A record (byte aligned, big-endian, no padding):
//
//    0       1       2       3       4       5       6       7       8       9
//   +-------+-------+-------+-------+-------+-------+-------+-------+-------+-------+
//   | kind  |fields |              ref              |            serial             |
//   +-------+-------+-------+-------+-------+-------+-------+-------+-------+-------+
//   then, for kinds with a body, the fields `fields` names, in bit order:
//     ADDR4 8 (src, dst) | ADDR6 32 | L4PROTO 1 | PORT 4 (sport, dport) |
//     STATUS 4 | TIMEOUT 4 | MARK 4 | TCP_STATE 1
//   and for the full kinds a tail: its length (2) and v1 attributes (TLVs
//   exactly as wire.h, so helper, labels, NAT, master, ... mean what they
//   mean in v1).  Each field is one v1 attribute without its 4-byte TLV
//   header and padding: a receiver rebuilds the v1 message and decodes it
//   with the v1 decoder, so both encodings carry the same information.
//
// (ref, serial) is the flow's id: ref is the sender's cache slot, serial a
// per-sender counter taken when the flow entered its cache, so a slot
// reused after a destroy never carries an old id.  The receiver keeps the
// id beside the flow in its external cache; an UPD or DEL naming an id it
// does not know is never applied to anything: it asks with a NEED, and the
// sender answers with the full state (or a keyed DEL).
//
// OFFER: caps (4 bytes, kCapReceive: "I decode compact records"); flag
// kOfferAsk asks for an OFFER in answer.  NEED: (ref, serial) pairs of
// the ids the sender of the NEED was given and does not know.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ctsync {

inline constexpr uint8_t kVersion2 = 2;
inline constexpr size_t kV2HdrLen = 12;        // v1 header + node id
inline constexpr size_t kRecordHdrLen = 10;
inline constexpr size_t kOfferLen = 16;
inline constexpr size_t kNeedIdLen = 8;
// A DATA packet stops growing here: with a 1500-byte MTU it still shares
// a datagram (MTU - 28) with a control message.
inline constexpr size_t kV2PacketMax = 1400;

enum V2Type : uint8_t { kV2Data = 0, kV2Offer = 1, kV2Need = 2, kV2TypeMax = kV2Need };

enum V2OfferFlag : uint8_t { kOfferAsk = 0x01 };
enum V2Cap : uint32_t { kCapReceive = 1 };

enum RecordKind : uint8_t {
  kRecNew = 1,      // full state, v1 CT_NEW semantics
  kRecUpd = 2,      // only the fields that changed, applied to the flow the id names
  kRecDel = 3,      // the id alone
  kRecDelFull = 4,  // full state: a destroy the receiver may not know by id
  kRecUpdFull = 5,  // full state, v1 CT_UPD semantics
  kRecKindMax = kRecUpdFull,
};

enum RecordField : uint8_t {
  kFieldAddr4 = 0x01, kFieldAddr6 = 0x02, kFieldL4Proto = 0x04, kFieldPort = 0x08,
  kFieldStatus = 0x10, kFieldTimeout = 0x20, kFieldMark = 0x40, kFieldTcpState = 0x80,
};
// What an UPD may carry (the rest changes rarely: it goes as a full record).
inline constexpr uint8_t kUpdFields = kFieldStatus | kFieldTimeout | kFieldMark | kFieldTcpState;

inline constexpr bool record_has_body(uint8_t kind) { return kind != kRecDel; }
inline constexpr bool record_is_full(uint8_t kind) {
  return kind == kRecNew || kind == kRecDelFull || kind == kRecUpdFull;
}

const char* v2_type_name(uint8_t type);     // "DATA", "OFFER", "NEED", "type?"
const char* record_kind_name(uint8_t kind);  // "NEW", "UPD", "DEL", "DEL_FULL", "UPD_FULL"

}  // namespace ctsync
