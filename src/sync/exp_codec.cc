// ct::Expect <-> an expectation sync message (upstream's exp2msg and
// msg2exp): the master, expected and mask tuples each with their own L4
// protocol, ports only when the master's protocol has them, then timeout,
// flags (always), class, the NAT tuple and direction, helper and function.
#include <cstring>

#include "ct_uapi.h"
#include "sync/attr_walk.h"
#include "sync/attr_writer.h"
#include "sync/codec.h"

namespace ctsync {

using ct::F;
using ct::XA;


namespace {

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

bool has_ports(uint8_t l4) {
  return l4 == uapi::kIpprotoTcp || l4 == uapi::kIpprotoUdp || l4 == uapi::kIpprotoSctp ||
         l4 == uapi::kIpprotoDccp;
}

// One tuple as address, L4 proto and (if the master's protocol has them)
// ports: `base` is the tuple's *_IPV4 id; IPV6, L4PROTO and PORT follow.
void put_tuple(AttrWriter& w, const ct::Flow& holder, ct::Dir d, uint16_t base, bool ports) {
  const ct::Tuple& t = holder.tuple[d];
  const bool v6 = t.l3 == uapi::kAfInet6;
  const unsigned n = v6 ? 16 : 4;
  if (holder.has(ct::tuple_field(d, F::kOrigSrc))) {
    if (uint8_t* p = w.put(static_cast<uint16_t>(base + (v6 ? 1 : 0)), 2 * n)) {
      std::memcpy(p, t.src.b, n);
      std::memcpy(p + n, t.dst.b, n);
    }
  }
  w.u8(static_cast<uint16_t>(base + 2), t.l4);
  if (ports) {
    if (uint8_t* p = w.put(static_cast<uint16_t>(base + 3), 4)) {
      p[0] = static_cast<uint8_t>(t.sport >> 8);
      p[1] = static_cast<uint8_t>(t.sport);
      p[2] = static_cast<uint8_t>(t.dport >> 8);
      p[3] = static_cast<uint8_t>(t.dport);
    }
  }
}

void set_tuple_addrs(ct::Flow* holder, ct::Dir d, uint8_t l3, const uint8_t* p) {
  const unsigned n = l3 == uapi::kAfInet6 ? 16 : 4;
  ct::Tuple& t = holder->tuple[d];
  t.l3 = l3;
  std::memset(t.src.b, 0, 16);
  std::memset(t.dst.b, 0, 16);
  std::memcpy(t.src.b, p, n);
  std::memcpy(t.dst.b, p + n, n);
  holder->set.set(ct::tuple_field(d, F::kOrigL3));
  holder->set.set(ct::tuple_field(d, F::kOrigSrc));
  holder->set.set(ct::tuple_field(d, F::kOrigDst));
}

void set_tuple_ports(ct::Flow* holder, ct::Dir d, const uint8_t* p) {
  holder->tuple[d].sport = get16(p);
  holder->tuple[d].dport = get16(p + 2);
  holder->set.set(ct::tuple_field(d, F::kOrigPortSrc));
  holder->set.set(ct::tuple_field(d, F::kOrigPortDst));
}

}  // namespace

size_t encode_exp(std::span<uint8_t> out, uint8_t type, const ct::Expect& e, const EncodeOpts& o) {
  AttrWriter w(out, type);
  const bool ports = has_ports(e.tuple(ct::kExpMaster).l4);
  put_tuple(w, e.tuples, ct::kExpMaster, kNtaExpMasterIpv4, ports);
  put_tuple(w, e.tuples, ct::kExpExpected, kNtaExpExpectIpv4, ports);
  put_tuple(w, e.tuples, ct::kExpMask, kNtaExpMaskIpv4, ports);
  if (o.send_timeout && e.has(XA::kTimeout)) w.u32(kNtaExpTimeout, e.timeout);
  w.u32(kNtaExpFlags, e.has(XA::kFlags) ? e.flags : 0);
  if (e.has(XA::kClass)) w.u32(kNtaExpClass, e.cls);
  if (e.has(XA::kNatTuple)) {
    const ct::Tuple& t = e.nat.orig();
    if (e.nat.has(F::kOrigSrc) && t.l3 != uapi::kAfInet6) {
      if (uint8_t* p = w.put(kNtaExpNatIpv4, 8)) {
        std::memcpy(p, t.src.b, 4);
        std::memcpy(p + 4, t.dst.b, 4);
      }
    }
    w.u8(kNtaExpNatL4Proto, t.l4);
    if (ports) {
      if (uint8_t* p = w.put(kNtaExpNatPort, 4)) {
        p[0] = static_cast<uint8_t>(t.sport >> 8);
        p[1] = static_cast<uint8_t>(t.sport);
        p[2] = static_cast<uint8_t>(t.dport >> 8);
        p[3] = static_cast<uint8_t>(t.dport);
      }
    }
    w.u32(kNtaExpNatDir, e.nat_dir);
  }
  if (e.has(XA::kHelper) && !e.helper.empty()) {
    if (uint8_t* p = w.put(kNtaExpHelperName, e.helper.size() + 1)) std::memcpy(p, e.helper.data(), e.helper.size());
  }
  if (e.has(XA::kFn) && !e.fn.empty()) {
    if (uint8_t* p = w.put(kNtaExpFn, e.fn.size() + 1)) std::memcpy(p, e.fn.data(), e.fn.size());
  }
  return w.finish();
}

DropReason decode_exp(const MsgView& m, ct::Expect* out, DecodeScratch*) {
  out->clear();
  ct::Expect& e = *out;
  auto str = [](const uint8_t* p, size_t n) {
    size_t k = 0;
    while (k < n && p[k]) k++;
    return std::string_view(reinterpret_cast<const char*>(p), k);
  };
  const DropReason r = walk_attrs(m, kExpAttrRules, kNtaExpMax, [&](uint16_t id, const uint8_t* p, size_t n) {
    switch (id) {
      case kNtaExpMasterIpv4: set_tuple_addrs(&e.tuples, ct::kExpMaster, uapi::kAfInet, p); e.set(XA::kMaster); break;
      case kNtaExpMasterIpv6: set_tuple_addrs(&e.tuples, ct::kExpMaster, uapi::kAfInet6, p); e.set(XA::kMaster); break;
      case kNtaExpExpectIpv4: set_tuple_addrs(&e.tuples, ct::kExpExpected, uapi::kAfInet, p); e.set(XA::kExpected); break;
      case kNtaExpExpectIpv6: set_tuple_addrs(&e.tuples, ct::kExpExpected, uapi::kAfInet6, p); e.set(XA::kExpected); break;
      case kNtaExpMaskIpv4: set_tuple_addrs(&e.tuples, ct::kExpMask, uapi::kAfInet, p); e.set(XA::kMask); break;
      case kNtaExpMaskIpv6: set_tuple_addrs(&e.tuples, ct::kExpMask, uapi::kAfInet6, p); e.set(XA::kMask); break;
      case kNtaExpMasterL4Proto: e.tuples.tuple[ct::kExpMaster].l4 = p[0]; e.tuples.set.set(F::kMasterL4); break;
      case kNtaExpExpectL4Proto: e.tuples.tuple[ct::kExpExpected].l4 = p[0]; e.tuples.set.set(F::kOrigL4); break;
      case kNtaExpMaskL4Proto: e.tuples.tuple[ct::kExpMask].l4 = p[0]; e.tuples.set.set(F::kReplL4); break;
      case kNtaExpMasterPort: set_tuple_ports(&e.tuples, ct::kExpMaster, p); break;
      case kNtaExpExpectPort: set_tuple_ports(&e.tuples, ct::kExpExpected, p); break;
      case kNtaExpMaskPort: set_tuple_ports(&e.tuples, ct::kExpMask, p); break;
      case kNtaExpTimeout: e.timeout = get32(p); e.set(XA::kTimeout); break;
      case kNtaExpFlags: e.flags = get32(p); e.set(XA::kFlags); break;
      case kNtaExpClass: e.cls = get32(p); e.set(XA::kClass); break;
      case kNtaExpNatIpv4: set_tuple_addrs(&e.nat, ct::kDirOrig, uapi::kAfInet, p); e.set(XA::kNatTuple); break;
      case kNtaExpNatPort: set_tuple_ports(&e.nat, ct::kDirOrig, p); break;
      case kNtaExpNatL4Proto: e.nat.tuple[ct::kDirOrig].l4 = p[0]; e.nat.set.set(F::kOrigL4); break;
      case kNtaExpNatDir: e.nat_dir = get32(p); e.set(XA::kNatDir); break;
      case kNtaExpHelperName: e.helper = str(p, n); if (!e.helper.empty()) e.set(XA::kHelper); break;
      case kNtaExpFn: e.fn = str(p, n); if (!e.fn.empty()) e.set(XA::kFn); break;
      default: break;
    }
  });
  if (r != DropReason::kNone) return r;
  if (!e.has(XA::kMaster) || !e.has(XA::kExpected)) return DropReason::kMissingAttr;
  e.family = e.tuple(ct::kExpMaster).l3;
  return DropReason::kNone;
}

}  // namespace ctsync
