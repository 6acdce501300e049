// The expectation model: one flat struct filled from a CTNETLINK_EXP
// message (or from command-line options, for a request), with a presence
// bit per attribute, like libnetfilter_conntrack's nf_expect.
//
// The master, expected and mask tuples live in one ct::Flow, one tuple slot
// each (kExpMaster, kExpExpected, kExpMask), so the flow tuple parser,
// builder and printer helpers work on them unchanged; their per-field
// presence bits are that Flow's tuple bits.  The NAT tuple (sent only for
// NATed expectations) has a Flow of its own, in its original slot.
// Strings are views into the netlink message: filling an Expect never
// allocates.
#pragma once
#include <cstdint>
#include <string_view>

#include "ct/flow.h"

namespace ct {

// Tuple slots of Expect::tuples.
constexpr Dir kExpExpected = kDirOrig;
constexpr Dir kExpMask = kDirRepl;
constexpr Dir kExpMaster = kDirMaster;

// Expectation attributes (upstream ATTR_EXP_*).
enum class XA : uint8_t {
  kMaster, kExpected, kMask, kTimeout, kId, kHelper, kZone, kFlags, kClass,
  kNatDir, kNatTuple, kFn,
};

struct Expect {
  uint16_t attrs = 0;     // XA bits
  uint8_t family = 0;     // nfgen_family of the message
  Flow tuples;            // master/expected/mask, see kExp*
  Flow nat;               // NAT tuple in nat.tuple[kDirOrig]
  uint32_t timeout = 0;   // seconds
  uint32_t id = 0;
  uint32_t flags = 0;     // NF_CT_EXPECT_* (uapi kExpF*)
  uint32_t cls = 0;       // expectation class
  uint32_t nat_dir = 0;
  uint16_t zone = 0;
  std::string_view helper;  // helper name
  std::string_view fn;      // expectfn name (e.g. "nat-follow-master")

  bool has(XA a) const { return attrs & bit(a); }
  void set(XA a) { attrs = static_cast<uint16_t>(attrs | bit(a)); }
  const Tuple& tuple(Dir slot) const { return tuples.tuple[slot]; }
  // Reset presence only; stale values are never read without their bit.
  void clear() {
    attrs = 0;
    family = 0;
    tuples.clear();
    nat.clear();
    helper = {};
    fn = {};
  }

 private:
  static constexpr uint16_t bit(XA a) { return static_cast<uint16_t>(1u << static_cast<unsigned>(a)); }
};

// Copies tuple `from_dir` of `from` (values and presence bits) into tuple
// slot `to_dir` of `to`.  Used to place CLI templates into an Expect.
void copy_tuple(const Flow& from, Dir from_dir, Flow& to, Dir to_dir);

}  // namespace ct
