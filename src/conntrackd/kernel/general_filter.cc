// The General Filter block in user space, with upstream src/filter.c's
// semantics (see kernel_sync.h for where it applies).
#include <cstring>

#include "conntrackd/kernel/kernel_sync.h"
#include "ct_uapi.h"

namespace ctd {

using ct::F;

bool filter_sane(const ct::Flow& f) {
  if (!f.has(F::kOrigL3)) return false;
  const uint8_t l3 = f.orig().l3;
  if (l3 == uapi::kAfInet || l3 == uapi::kAfInet6)
    return f.has(F::kOrigSrc) && f.has(F::kReplSrc);
  return true;
}

namespace {

bool prefix_match(const uint8_t* a, const uint8_t* b, unsigned bits) {
  unsigned full = bits / 8;
  if (full > 16) full = 16;
  if (std::memcmp(a, b, full) != 0) return false;
  unsigned rest = bits % 8;
  if (rest == 0 || full >= 16) return true;
  uint8_t m = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & m) == (b[full] & m);
}

bool in_state_set(uint16_t map, uint8_t state) { return state < 16 && ((map >> state) & 1); }

}  // namespace

bool filter_check(const FilterConfig& fc, const ct::Flow& f) {
  const uint8_t l4 = f.orig().l4;
  if (fc.proto_logic != FilterLogic::kUnset) {
    bool hit = fc.has_proto(l4);
    if (hit != (fc.proto_logic == FilterLogic::kAccept)) return false;
  }
  if (fc.addr_logic != FilterLogic::kUnset) {
    const bool accept = fc.addr_logic == FilterLogic::kAccept;
    const uint8_t l3 = f.orig().l3;
    if (l3 == uapi::kAfInet || l3 == uapi::kAfInet6) {
      const unsigned full = l3 == uapi::kAfInet ? 32 : 128;
      const uint8_t* src = f.orig().src.b;
      const uint8_t* rsrc = f.repl().src.b;
      // Networks first: any hit decides (Accept passes, Ignore drops).
      bool net_hit = false;
      for (unsigned i = 0; i < fc.naddrs && i < kMaxFilterAddrs; i++) {
        const FilterAddr& a = fc.addrs[i];
        if (a.family != l3 || a.prefix >= full) continue;
        if (prefix_match(a.addr, src, a.prefix) || prefix_match(a.addr, rsrc, a.prefix)) {
          net_hit = true;
          break;
        }
      }
      if (net_hit) {
        if (!accept) return false;
      } else {
        bool host_hit = false;
        const unsigned alen = full / 8;
        for (unsigned i = 0; i < fc.naddrs && i < kMaxFilterAddrs; i++) {
          const FilterAddr& a = fc.addrs[i];
          if (a.family != l3 || a.prefix < full) continue;
          if (std::memcmp(a.addr, src, alen) == 0 || std::memcmp(a.addr, rsrc, alen) == 0) {
            host_hit = true;
            break;
          }
        }
        if (host_hit != accept) return false;
      }
    }
  }
  if (fc.state_logic != FilterLogic::kUnset) {
    // Neutral unless a TCP entry carries its state.
    if (l4 == uapi::kIpprotoTcp && f.has(F::kTcpState)) {
      bool hit = in_state_set(fc.tcp_states, f.tcp_state);
      if (hit != (fc.state_logic == FilterLogic::kAccept)) return false;
    }
  }
  return true;
}

}  // namespace ctd
