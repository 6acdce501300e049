// RxBatch: a datagram's flow messages decoded ahead, each handed back to
// the message it came from, the rest (control, expectations, refused
// messages, beyond the slots) left to be decoded as before; every decoded
// flow's bucket and chain head prefetched.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "conntrackd/sync/rx_batch.h"
#include "conntrackd/sync/sync_engine.h"
#include "ct_uapi.h"
#include "sync/codec.h"
#include "sync/wire.h"

using ct::F;
using namespace ctsync;

namespace {

ct::Flow udp_flow(uint16_t sport) {
  ct::Flow f;
  f.family = AF_INET;
  ct::Tuple& o = f.tuple[ct::kDirOrig];
  o.l3 = AF_INET;
  o.l4 = 17;
  inet_pton(AF_INET, "10.0.0.1", o.src.b);
  inet_pton(AF_INET, "10.0.0.2", o.dst.b);
  o.sport = sport;
  o.dport = 53;
  for (F x : {F::kOrigL3, F::kOrigL4, F::kOrigSrc, F::kOrigDst, F::kOrigPortSrc, F::kOrigPortDst})
    f.set.set(x);
  f.timeout = 30;
  f.set.set(F::kTimeout);
  return f;
}

struct CountingHandler : ctd::ExternalHandler {
  void ct_new(const ct::Flow&) override {}
  void ct_upd(const ct::Flow&) override {}
  void ct_del(const ct::Flow&) override {}
  void prefetch_bucket(const ct::Flow& f) const override { buckets.push_back(f.orig().sport); }
  void prefetch_chain(const ct::Flow& f) const override { chains.push_back(f.orig().sport); }
  mutable std::vector<uint16_t> buckets, chains;
};

void append(std::vector<uint8_t>& d, const uint8_t* m, size_t n) { d.insert(d.end(), m, m + n); }

}  // namespace

TEST(RxBatch, DecodesFlowsAheadAndHandsEachToItsMessage) {
  std::vector<uint8_t> d;
  uint8_t m[ctd::kMaxMessage];
  const uint8_t types[] = {kMsgCtNew, kMsgCtUpd, kMsgCtDel};
  for (unsigned i = 0; i < 3; i++) {
    const size_t n = encode_ct(m, types[i], udp_flow(static_cast<uint16_t>(1000 + i)), EncodeOpts{});
    ASSERT_GT(n, 0u);
    append(d, m, n);
    if (i == 0) {  // a control message between the flows is not decoded
      const size_t c = encode_ctl(m, kFlagAck, 1, 2);
      ASSERT_GT(c, 0u);
      append(d, m, c);
    }
  }
  CountingHandler h;
  auto rx = std::make_unique<ctd::RxBatch>();
  rx->prepare(d, false, false, h);
  EXPECT_EQ(h.buckets, (std::vector<uint16_t>{1000, 1001, 1002}));
  EXPECT_EQ(h.chains, h.buckets);  // all buckets first, then the chains

  // Walked as the receive loop does; the second flow message is "dropped
  // by the mode" (never taken), the others are taken in order.
  size_t off = 0;
  MsgView v;
  unsigned k = 0, taken = 0;
  while (off < d.size()) {
    ASSERT_EQ(next_message(d, &off, &v, false), WalkResult::kOk);
    if (!is_data(v)) {
      EXPECT_EQ(rx->take(v), nullptr);
      continue;
    }
    const unsigned idx = k++;
    if (idx == 1) continue;
    const ctd::RxBatch::Slot* s = rx->take(v);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->result, DropReason::kNone);
    ct::Flow ref;
    DecodeScratch scratch;
    ASSERT_EQ(decode_ct(v, &ref, &scratch), DropReason::kNone);
    EXPECT_EQ(s->flow.orig().sport, ref.orig().sport);
    EXPECT_EQ(s->flow.orig().sport, 1000 + idx);
    EXPECT_EQ(s->flow.timeout, ref.timeout);
    EXPECT_EQ(rx->take(v), nullptr);  // once only
    taken++;
  }
  EXPECT_EQ(taken, 2u);
  rx->clear();
  off = 0;
  ASSERT_EQ(next_message(d, &off, &v, false), WalkResult::kOk);
  EXPECT_EQ(rx->take(v), nullptr);  // a reused buffer never matches a stale slot
}

TEST(RxBatch, MoreFlowsThanSlotsLeavesTheRestToTheReceiver) {
  std::vector<uint8_t> d;
  uint8_t m[ctd::kMaxMessage];
  const unsigned total = ctd::RxBatch::kSlots + 5;
  for (unsigned i = 0; i < total; i++) {
    const size_t n = encode_ct(m, kMsgCtNew, udp_flow(static_cast<uint16_t>(i)), EncodeOpts{});
    append(d, m, n);
  }
  CountingHandler h;
  auto rx = std::make_unique<ctd::RxBatch>();
  rx->prepare(d, false, false, h);
  EXPECT_EQ(h.buckets.size(), ctd::RxBatch::kSlots);
  size_t off = 0;
  MsgView v;
  unsigned with = 0, without = 0;
  while (off < d.size()) {
    ASSERT_EQ(next_message(d, &off, &v, false), WalkResult::kOk);
    (rx->take(v) ? with : without)++;
  }
  EXPECT_EQ(with, ctd::RxBatch::kSlots);
  EXPECT_EQ(without, 5u);
}
