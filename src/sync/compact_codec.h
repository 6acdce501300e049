// The compact encoding's codec (compact_wire.h): DATA packets of records
// built from v1 messages, and rebuilt into v1 messages for the v1 decoder,
// so the two encodings can never disagree on what a flow is.  OFFER and
// NEED messages.  Nothing allocates; every read and write is bounded by
// the span it was given.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "sync/codec.h"
#include "sync/compact_wire.h"

namespace ctsync {

// One DATA packet being filled in a caller's buffer.
class CompactPacket {
 public:
  // Starts a packet (header, node id) in buf; seq is stamped at once.
  void open(std::span<uint8_t> buf, uint32_t node, uint32_t seq);
  bool is_open() const { return open_; }
  uint32_t seq() const { return seq_; }
  size_t records() const { return records_; }
  // Appends one record made from `v1` (an encode_ct message of the flow;
  // empty for kRecDel).  UPD keeps only the fields in `upd_fields`; the
  // full kinds keep every attribute.  False when it does not fit (the
  // packet is unchanged) or v1 is not a well-formed message.
  bool add(uint8_t kind, uint32_t ref, uint32_t serial, std::span<const uint8_t> v1, uint8_t upd_fields);
  void or_flags(uint8_t flags);
  // Writes len and ends the packet: its bytes (empty if it holds no record).
  std::span<const uint8_t> close();

 private:
  std::span<uint8_t> buf_;
  size_t len_ = 0, records_ = 0;
  uint32_t seq_ = 0;
  bool open_ = false;
};

// One record of a received DATA packet.  body: the fields (and, for the
// full kinds, the tail length and tail).
struct RecordView {
  uint8_t kind = 0, fields = 0;
  uint32_t ref = 0, serial = 0;
  std::span<const uint8_t> body;
};

// Walks the records of a DATA packet (m.version 2, type kV2Data).
class RecordReader {
 public:
  explicit RecordReader(const MsgView& m);
  uint32_t node() const { return node_; }
  // kOk with *r filled; kNone at the end (returns false); or the drop
  // reason of a malformed record, which ends the walk.
  bool next(RecordView* r, DropReason* err);

 private:
  std::span<const uint8_t> p_;
  size_t off_ = 0;
  uint32_t node_ = 0;
  bool bad_ = false;
};

// The v1 CT message (type kMsgCtNew, seq 0) a record with a body stands
// for; its length, or 0 when the record is malformed or does not fit.
size_t record_to_v1(const RecordView& r, std::span<uint8_t> out);

// OFFER: 16 bytes, or 0 if out is too small.
size_t encode_offer(std::span<uint8_t> out, uint32_t node, uint32_t caps, uint8_t flags);
bool decode_offer(const MsgView& m, uint32_t* node, uint32_t* caps);

// NEED: a header, then ids appended until full.
class NeedPacket {
 public:
  void open(std::span<uint8_t> buf, uint32_t node);
  bool add(uint32_t ref, uint32_t serial);  // false when full
  bool empty() const { return ids_ == 0; }
  std::span<const uint8_t> close();        // empty if it holds no id

 private:
  std::span<uint8_t> buf_;
  size_t len_ = 0, ids_ = 0;
};
// Visits the ids of a NEED: fn(ref, serial).  False if malformed.
template <class Fn>
bool walk_need(const MsgView& m, uint32_t* node, Fn&& fn);

// Big-endian helpers shared by the compact codec's files.
inline uint32_t v2_get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline void v2_put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

template <class Fn>
bool walk_need(const MsgView& m, uint32_t* node, Fn&& fn) {
  if (m.bytes.size() < kV2HdrLen || (m.bytes.size() - kV2HdrLen) % kNeedIdLen) return false;
  *node = v2_get32(m.bytes.data() + 8);
  for (size_t o = kV2HdrLen; o + kNeedIdLen <= m.bytes.size(); o += kNeedIdLen)
    fn(v2_get32(m.bytes.data() + o), v2_get32(m.bytes.data() + o + 4));
  return true;
}

}  // namespace ctsync
