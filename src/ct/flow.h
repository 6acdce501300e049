// The conntrack flow model: one flat, fixed-size struct filled from a
// ctnetlink message (or from command-line options, as a filter or request
// template) with a presence bit per field.
//
// Presence bits follow libnetfilter_conntrack's attribute model on purpose:
// upstream's filter semantics ("every field set in the template must match")
// and its printers ("print X if present") are defined in terms of them.
// Strings and labels are views into the netlink message (or into the
// caller's option storage), so filling a Flow never allocates.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ct {

enum class F : uint8_t {
  // Tuples.  The ORIG_/REPL_/MASTER_ groups have the same layout so code can
  // address them by direction (see tuple_field()).
  kOrigL3, kOrigSrc, kOrigDst, kOrigL4, kOrigPortSrc, kOrigPortDst,
  kOrigIcmpType, kOrigIcmpCode, kOrigIcmpId, kOrigZone,
  kReplL3, kReplSrc, kReplDst, kReplL4, kReplPortSrc, kReplPortDst,
  kReplIcmpType, kReplIcmpCode, kReplIcmpId, kReplZone,
  kMasterL3, kMasterSrc, kMasterDst, kMasterL4, kMasterPortSrc, kMasterPortDst,
  kMasterIcmpType, kMasterIcmpCode, kMasterIcmpId, kMasterZone,
  // Scalars.
  kStatus, kTimeout, kMark, kSecmark, kUse, kId, kZone,
  // Protocol info.
  kTcpState, kTcpWscaleOrig, kTcpWscaleRepl, kTcpFlagsOrig, kTcpFlagsRepl,
  kTcpMaskOrig, kTcpMaskRepl,
  kSctpState, kSctpVtagOrig, kSctpVtagRepl,
  kDccpState, kDccpRole, kDccpHandshakeSeq,
  // Accounting and timestamps.
  kOrigPackets, kOrigBytes, kReplPackets, kReplBytes,
  kTsStart, kTsStop, kTsEvent,
  // Strings and blobs (views).
  kHelper, kSecctx, kLabels, kLabelsMask,
  // NAT sequence adjustment.
  kOrigSeqCorrPos, kOrigSeqOffBefore, kOrigSeqOffAfter,
  kReplSeqCorrPos, kReplSeqOffBefore, kReplSeqOffAfter,
  // Synproxy.
  kSynproxyIsn, kSynproxyIts, kSynproxyTsoff,
  // NAT requests (create templates only; the kernel never sends these).
  kSnatIp, kDnatIp, kSnatPort, kDnatPort,
  kCount
};
static_assert(static_cast<unsigned>(F::kCount) <= 128);

enum Dir : uint8_t { kDirOrig = 0, kDirRepl = 1, kDirMaster = 2 };

// The field of tuple `dir` that corresponds to the ORIG_ field `orig_field`.
constexpr F tuple_field(Dir dir, F orig_field) {
  return static_cast<F>(static_cast<unsigned>(orig_field) +
                        10u * static_cast<unsigned>(dir));
}

class FieldSet {
 public:
  constexpr void set(F f) { w_[idx(f) >> 6] |= bit(f); }
  constexpr void clear(F f) { w_[idx(f) >> 6] &= ~bit(f); }
  constexpr bool has(F f) const { return (w_[idx(f) >> 6] & bit(f)) != 0; }
  constexpr bool empty() const { return (w_[0] | w_[1]) == 0; }
  constexpr void reset() { w_[0] = w_[1] = 0; }

 private:
  static constexpr unsigned idx(F f) { return static_cast<unsigned>(f); }
  static constexpr uint64_t bit(F f) { return uint64_t{1} << (idx(f) & 63); }
  uint64_t w_[2] = {0, 0};
};

// An address in network byte order.  IPv4 uses the first 4 bytes only.
struct Addr {
  uint8_t b[16] = {};
  uint32_t v4() const { uint32_t x; std::memcpy(&x, b, 4); return x; }  // network order
  bool operator==(const Addr& o) const { return std::memcmp(b, o.b, 16) == 0; }
};

struct Tuple {
  Addr src, dst;
  uint8_t l3 = 0;       // AF_INET / AF_INET6
  uint8_t l4 = 0;       // IP protocol number
  uint16_t sport = 0;   // host order; GRE keys live here too
  uint16_t dport = 0;
  uint8_t icmp_type = 0, icmp_code = 0;
  uint16_t icmp_id = 0; // host order
  uint16_t zone = 0;
};

struct SeqAdj {
  uint32_t correction_pos = 0, offset_before = 0, offset_after = 0;
};

struct Flow {
  FieldSet set;
  uint8_t family = 0;           // nfgen_family of the message
  Tuple tuple[3];               // indexed by Dir
  uint32_t status = 0, timeout = 0, mark = 0, secmark = 0, use = 0, id = 0;
  uint16_t zone = 0;
  uint8_t tcp_state = 0, sctp_state = 0, dccp_state = 0, dccp_role = 0;
  uint8_t tcp_wscale[2] = {0, 0}, tcp_flags[2] = {0, 0}, tcp_mask[2] = {0, 0};
  uint32_t sctp_vtag[2] = {0, 0};
  uint64_t dccp_handshake_seq = 0;
  uint64_t packets[2] = {0, 0}, bytes[2] = {0, 0};
  uint64_t ts_start = 0, ts_stop = 0, ts_event = 0;  // nanoseconds
  SeqAdj seq_adj[2];
  uint32_t synproxy_isn = 0, synproxy_its = 0, synproxy_tsoff = 0;
  Addr snat_ip, dnat_ip;        // NAT requests (templates)
  uint16_t snat_port = 0, dnat_port = 0;
  std::string_view helper, secctx;
  // Connection labels: a bitmap of labels_len bytes (a multiple of 4).
  const uint8_t* labels = nullptr;
  uint16_t labels_len = 0;
  const uint8_t* labels_mask = nullptr;
  uint16_t labels_mask_len = 0;

  bool has(F f) const { return set.has(f); }
  const Tuple& orig() const { return tuple[kDirOrig]; }
  const Tuple& repl() const { return tuple[kDirRepl]; }
  bool label_bit(unsigned bit) const {
    return bit / 8 < labels_len && (labels[bit / 8] >> (bit % 8)) & 1;
  }
  // Reset presence only; stale values are never read without their bit.
  void clear() { set.reset(); family = 0; helper = {}; secctx = {}; labels = labels_mask = nullptr; labels_len = labels_mask_len = 0; }
};

}  // namespace ct
