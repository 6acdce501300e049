// The compact sync encoding (protocol version 2) on a received datagram,
// as the daemon's receiver handles it: the message walk that accepts v2,
// OFFER and NEED decoding, and every DATA record applied to an external
// cache with its id index by CompactApply (the daemon's own code), the
// peer's node id change forgetting every id, v1 data messages into the
// same cache.  Unknown ids go into a NEED packet, which must list them
// again.  Checked after each record: a full record's flow, re-encoded
// into a record and decoded again, encodes to the same bytes; the id of an
// applied NEW/UPD_FULL names its flow and that of a DEL no flow; at the
// end every bound id is found again in the index.
#include <cstring>
#include <span>

#include "conntrackd/cache/flow_cache.h"
#include "conntrackd/sync/compact_apply.h"
#include "conntrackd/sync/external_cache.h"
#include "ct/flow.h"
#include "sync/codec.h"
#include "sync/compact_codec.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using namespace ctsync;

struct Receiver {
  ctd::FlowCache cache;
  ctd::ExternalCache ext{cache, nullptr};
  ctd::CompactApply rx;
  NeedPacket need;
  uint32_t need_ids = 0;
  uint32_t need_list[2 * 256];
  bool node_set = false;
  uint32_t node = 0;
  ct::Flow f, f2;
  DecodeScratch scratch;
  alignas(8) uint8_t v1a[4096], v1b[4096], rec[kV2PacketMax], need_buf[kV2PacketMax];
  alignas(8) uint8_t rebuilt[4096];

  Receiver() {
    cache.init(256, 512);
    cache.enable_cid_index();
    rx.open(&ext, &cache);
  }
  void reset() {
    // Nothing carries over from an earlier input (within one, the decoder's
    // reused flow does carry over, as in the daemon).
    rx = ctd::CompactApply();
    rx.open(&ext, &cache);
    cache.cid_clear();
    cache.clear();
    node_set = false;
    need.open(need_buf, 1);
    need_ids = 0;
  }
};

Receiver& receiver() {
  static Receiver* r = new Receiver;  // never freed; reset() for each input
  return *r;
}

bool decode_record(Receiver& s, const RecordView& r, ct::Flow* out) {
  const size_t n = record_to_v1(r, std::span<uint8_t>(s.rebuilt, sizeof s.rebuilt));
  MsgView v;
  size_t off = 0;
  if (n == 0 || next_message(std::span<const uint8_t>(s.rebuilt, n), &off, &v, false) != WalkResult::kOk)
    return false;
  *out = ct::Flow{};
  return decode_ct(v, out, &s.scratch) == DropReason::kNone;
}

// A decoded flow, sent on as a record and received again, says the same.
void check_reencode(Receiver& s, const RecordView& r) {
  if (!decode_record(s, r, &s.f)) __builtin_trap();  // CompactApply decoded it
  EncodeOpts o;
  const size_t a = encode_ct(std::span<uint8_t>(s.v1a, sizeof s.v1a), kMsgCtUpd, s.f, o);
  if (a == 0) return;  // too big for one message: the sender would not send it
  CompactPacket p;
  p.open(s.rec, 7, 1);
  if (!p.add(r.kind, r.ref, r.serial, std::span<const uint8_t>(s.v1a, a), 0)) return;  // over a packet
  const std::span<const uint8_t> pkt = p.close();
  MsgView m;
  size_t off = 0;
  if (next_message(pkt, &off, &m, false, true) != WalkResult::kOk) __builtin_trap();
  RecordReader rd(m);
  RecordView again;
  DropReason err;
  if (!rd.next(&again, &err) || again.kind != r.kind || again.ref != r.ref || again.serial != r.serial)
    __builtin_trap();
  if (!decode_record(s, again, &s.f2)) __builtin_trap();
  const size_t b = encode_ct(std::span<uint8_t>(s.v1b, sizeof s.v1b), kMsgCtUpd, s.f2, o);
  if (a != b || std::memcmp(s.v1a, s.v1b, a) != 0) __builtin_trap();
}

void check_ids(Receiver& s, const RecordView& r) {
  const uint32_t x = s.cache.cid_find(r.ref, r.serial);
  if (r.kind == kRecDel || r.kind == kRecDelFull) {
    if (x != ctd::kNilRef) __builtin_trap();  // a destroyed id names nothing
    return;
  }
  if (r.kind == kRecUpd) {
    // the flow the id named, updated, keeps it
    if (x == ctd::kNilRef) __builtin_trap();
    return;
  }
  if (!decode_record(s, r, &s.f)) __builtin_trap();
  const uint32_t want = s.cache.lookup(s.f);
  if (want != ctd::kNilRef && x != want) __builtin_trap();  // (not cached: the cache was full)
}

void apply_data(Receiver& s, const MsgView& m) {
  RecordReader rd(m);
  if (m.bytes.size() >= kV2HdrLen) {
    if (s.node_set && rd.node() != s.node) s.cache.cid_clear();  // the peer restarted
    s.node = rd.node();
    s.node_set = true;
  }
  RecordView r;
  DropReason err;
  for (unsigned n = 0; n < 4096 && rd.next(&r, &err); ++n) {
    DropReason why;
    switch (s.rx.apply(r, &why)) {
      case ctd::CompactApply::Result::kApplied:
        if (record_is_full(r.kind)) check_reencode(s, r);
        check_ids(s, r);
        break;
      case ctd::CompactApply::Result::kUnknownId:
        if (s.need_ids < 256 && s.need.add(r.ref, r.serial)) {
          s.need_list[2 * s.need_ids] = r.ref;
          s.need_list[2 * s.need_ids + 1] = r.serial;
          s.need_ids++;
        }
        break;
      case ctd::CompactApply::Result::kDropped:
        if (why == DropReason::kNone) __builtin_trap();
        break;
    }
  }
}

void apply_v1(Receiver& s, const MsgView& m) {
  if (m.type > kMsgCtDel) return;  // expectations: sync_v1's
  s.f = ct::Flow{};
  if (decode_ct(m, &s.f, &s.scratch) != DropReason::kNone) return;
  if (m.type == kMsgCtNew) s.ext.ct_new(s.f);
  else if (m.type == kMsgCtUpd) s.ext.ct_upd(s.f);
  else s.ext.ct_del(s.f);
}

// The NEED the receiver would send names the unknown ids in order.
void check_need(Receiver& s) {
  const std::span<const uint8_t> p = s.need.close();
  if (s.need_ids == 0) {
    if (!p.empty()) __builtin_trap();
    return;
  }
  MsgView m;
  size_t off = 0;
  if (next_message(p, &off, &m, false, true) != WalkResult::kOk || m.type != kV2Need) __builtin_trap();
  uint32_t node = 0, i = 0;
  const bool ok = walk_need(m, &node, [&](uint32_t ref, uint32_t serial) {
    if (i >= s.need_ids || s.need_list[2 * i] != ref || s.need_list[2 * i + 1] != serial) __builtin_trap();
    i++;
  });
  if (!ok || i != s.need_ids) __builtin_trap();
}

// Every bound id is in the index, under its own flow.
void check_index(Receiver& s) {
  s.cache.for_each([&](uint32_t ref) {
    const ctd::CompactId& c = s.cache.header(ref).cid;
    if ((c.state & ctd::kCidBound) && s.cache.cid_find(c.peer_ref, c.serial) != ref) __builtin_trap();
  });
}

}  // namespace

FUZZ_TARGET(sync_compact) {
  Receiver& s = receiver();
  s.reset();
  std::span<const uint8_t> in(data, size);
  size_t off = 0;
  for (unsigned n = 0; n < 65536; ++n) {
    MsgView m;
    const WalkResult r = next_message(in, &off, &m, false, true);
    if (r == WalkResult::kStop || r == WalkResult::kIncomplete) break;
    if (r == WalkResult::kSkip) continue;
    if (m.version != kVersion2) {
      if (is_data(m)) apply_v1(s, m);
      continue;
    }
    if (m.type == kV2Data) {
      apply_data(s, m);
    } else if (m.type == kV2Offer) {
      uint32_t node, caps;
      (void)decode_offer(m, &node, &caps);
    } else if (m.type == kV2Need) {
      uint32_t node;
      (void)walk_need(m, &node, [](uint32_t, uint32_t) {});
    }
  }
  check_need(s);
  check_index(s);
  return 0;
}
