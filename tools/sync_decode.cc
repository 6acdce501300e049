// sync_decode: prints conntrackd sync packets, one line per message, with
// every attribute decoded or the reason it would be dropped.  Both
// encodings: v1 (upstream's) and the compact one (v2, sync/compact_wire.h),
// whose DATA packets print one indented line per record, the record's
// fields shown as the v1 attributes they stand for.
//
//   sync_decode < hexdump        one datagram per line, hex digits (spaces ok)
//   sync_decode -r file.pcap     UDP payloads to/from PORT (default 3780) of a
//                                classic pcap (Ethernet, Linux cooked or raw IP)
//   -p PORT                      the sync port for -r
#include <arpa/inet.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sync/codec.h"
#include "sync/compact_codec.h"

using namespace ctsync;

namespace {

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

void print_attr(bool exp, uint16_t id, const uint8_t* p, size_t n) {
  printf(" %s", exp ? exp_attr_name(id) : ct_attr_name(id));
  char a[64], b[64];
  if (n == 8 || n == 32) {
    const int af = n == 8 ? AF_INET : AF_INET6;
    const size_t h = n / 2;
    inet_ntop(af, p, a, sizeof a);
    inet_ntop(af, p + h, b, sizeof b);
    printf("=%s->%s", a, b);
  } else if (n == 4 && (id == kNtaPort || id == kNtaMasterPort)) {
    printf("=%u->%u", get16(p), get16(p + 2));
  } else if (!exp && (id == kNtaSnatIpv4 || id == kNtaDnatIpv4)) {
    inet_ntop(AF_INET, p, a, sizeof a);
    printf("=%s", a);
  } else if (!exp && (id == kNtaSnatIpv6 || id == kNtaDnatIpv6)) {
    inet_ntop(AF_INET6, p, a, sizeof a);
    printf("=%s", a);
  } else if ((!exp && id == kNtaHelperName) || (exp && (id == kNtaExpHelperName || id == kNtaExpFn))) {
    printf("=\"%.*s\"", static_cast<int>(strnlen(reinterpret_cast<const char*>(p), n)), p);
  } else if (n == 1) {
    printf("=%u", p[0]);
  } else if (n == 2) {
    printf("=%u", get16(p));
  } else if (n == 4) {
    printf("=%u", get32(p));
  } else {
    printf("=");
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
  }
}

// The attributes of v1 message `msg` as they are on the wire, in order.
void print_attrs(bool exp, std::span<const uint8_t> msg) {
  size_t off = kHdrLen;
  while (off + kAttrHdrLen <= msg.size()) {
    const uint16_t len = get16(&msg[off]);
    if (len < kAttrHdrLen || off + len > msg.size()) break;
    print_attr(exp, get16(&msg[off + 2]), &msg[off + kAttrHdrLen], len - kAttrHdrLen);
    off += (len + 3u) & ~3u;
  }
}

void print_flags(uint8_t flags) {
  for (unsigned bit = 1; bit < 256; bit <<= 1)
    if (flags & bit) printf("|%s", msg_flag_name(static_cast<uint8_t>(bit)));
}

// A record with a body is shown through the v1 message it stands for,
// which the daemon decodes with the v1 decoder: a full record that would
// not decode is marked DROP, as a v1 message is.
void print_record(const RecordView& r) {
  printf("  %s id=%u:%u", record_kind_name(r.kind), r.ref, r.serial);
  if (!record_has_body(r.kind)) {
    printf("\n");
    return;
  }
  static uint8_t v1[1 << 16];
  const size_t n = record_to_v1(r, v1);
  if (n == 0) {
    printf(" DROP(%s)\n", drop_reason_name(DropReason::kAttrOverrun));
    return;
  }
  print_attrs(false, std::span<const uint8_t>(v1, n));
  if (record_is_full(r.kind)) {
    MsgView m;
    size_t off = 0;
    ct::Flow f;
    DecodeScratch scratch;
    if (next_message(std::span<const uint8_t>(v1, n), &off, &m, false) == WalkResult::kOk) {
      const DropReason why = decode_ct(m, &f, &scratch);
      if (why != DropReason::kNone) printf(" DROP(%s)", drop_reason_name(why));
    }
  }
  printf("\n");
}

void print_v2(const MsgView& m) {
  printf("v2 seq=%u %s", m.seq, v2_type_name(m.type));
  if (m.type == kV2Offer) {
    if (m.flags & kOfferAsk) printf("|ASK");
  } else {
    print_flags(m.flags);
  }
  printf(" len=%u", m.len);
  if (m.type == kV2Data) {
    RecordReader rd(m);
    printf(" node=%08x\n", rd.node());
    RecordView r;
    DropReason why;
    unsigned k = 0;
    while (k < 4096 && rd.next(&r, &why)) {
      print_record(r);
      k++;
    }
    if (why != DropReason::kNone) printf("  DROP(%s)\n", drop_reason_name(why));
    return;
  }
  uint32_t node = 0, caps = 0;
  if (m.type == kV2Offer && decode_offer(m, &node, &caps)) {
    printf(" node=%08x caps=%s\n", node, caps & kCapReceive ? "RECEIVE" : "0");
    return;
  }
  if (m.type == kV2Need) {
    unsigned ids = 0;
    const bool ok = walk_need(m, &node, [&](uint32_t ref, uint32_t serial) {
      if (ids++ == 0) printf(" node=%08x ids", node);
      printf(" %u:%u", ref, serial);
    });
    if (ok && ids) {
      printf("\n");
      return;
    }
  }
  printf(" DROP(%s)\n", drop_reason_name(m.type > kV2TypeMax ? DropReason::kBadType : DropReason::kTruncated));
}

void print_message(const MsgView& m) {
  if (m.version == kVersion2) {
    print_v2(m);
    return;
  }
  printf("seq=%u %s", m.seq, msg_type_name(m.type));
  print_flags(m.flags);
  printf(" len=%u", m.len);
  if (is_ack(m) || is_nack(m) || is_resync(m)) printf(" from=%u to=%u", m.from, m.to);
  if (m.type <= kMsgDataMax) {
    const bool exp = m.type >= kMsgExpNew;
    ct::Flow f;
    ct::Expect e;
    DecodeScratch s;
    const DropReason r = exp ? decode_exp(m, &e, &s) : decode_ct(m, &f, &s);
    print_attrs(exp, m.bytes);
    if (r != DropReason::kNone) printf(" DROP(%s)", drop_reason_name(r));
  } else if (m.type != kMsgCtl) {
    printf(" DROP(%s)", drop_reason_name(DropReason::kBadType));
  }
  printf("\n");
}

void decode_datagram(const uint8_t* d, size_t n) {
  std::span<const uint8_t> data(d, n);
  size_t off = 0;
  MsgView m;
  for (int steps = 0; off < n && steps < 4096; steps++) {
    const WalkResult r = next_message(data, &off, &m, false, true);
    if (r == WalkResult::kOk) print_message(m);
    else printf("DROP(%s)\n", drop_reason_name(m.reason));
    if (r == WalkResult::kStop || r == WalkResult::kIncomplete) break;
  }
}

int hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int from_hex() {
  static char line[1 << 17];
  static uint8_t buf[1 << 16];
  while (fgets(line, sizeof line, stdin)) {
    size_t n = 0;
    int hi = -1;
    for (char* c = line; *c && n < sizeof buf; c++) {
      const int v = hex_value(static_cast<unsigned char>(*c));
      if (v < 0) continue;
      if (hi < 0) {
        hi = v;
      } else {
        buf[n++] = static_cast<uint8_t>(hi << 4 | v);
        hi = -1;
      }
    }
    if (n) decode_datagram(buf, n);
  }
  return 0;
}

// One UDP payload out of a captured frame, or nullptr.
const uint8_t* udp_payload(uint32_t linktype, const uint8_t* p, size_t n, uint16_t port, size_t* len) {
  size_t l2 = linktype == 1 ? 14 : linktype == 113 ? 16 : linktype == 101 ? 0 : SIZE_MAX;
  if (l2 == SIZE_MAX || n < l2 + 20) return nullptr;
  const uint8_t* ip = p + l2;
  size_t rest = n - l2, iph;
  uint8_t proto;
  if ((ip[0] >> 4) == 4) {
    iph = (ip[0] & 15u) * 4;
    proto = ip[9];
  } else if ((ip[0] >> 4) == 6) {
    iph = 40;
    proto = ip[6];
  } else {
    return nullptr;
  }
  if (proto != 17 || rest < iph + 8) return nullptr;
  const uint8_t* udp = ip + iph;
  if (get16(udp) != port && get16(udp + 2) != port) return nullptr;
  *len = rest - iph - 8;
  return udp + 8;
}

int from_pcap(const char* path, uint16_t port) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  uint8_t gh[24];
  if (fread(gh, 1, sizeof gh, f) != sizeof gh) {
    fprintf(stderr, "%s: not a pcap file\n", path);
    fclose(f);
    return 1;
  }
  uint32_t magic;
  memcpy(&magic, gh, 4);
  const bool swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
  if (!swap && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
    fprintf(stderr, "%s: not a classic pcap file\n", path);
    fclose(f);
    return 1;
  }
  auto u32 = [swap](const uint8_t* p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
  };
  const uint32_t linktype = u32(gh + 20);
  static uint8_t frame[1 << 18];
  uint8_t rh[16];
  while (fread(rh, 1, sizeof rh, f) == sizeof rh) {
    const uint32_t caplen = u32(rh + 8);
    if (caplen > sizeof frame || fread(frame, 1, caplen, f) != caplen) break;
    size_t len = 0;
    const uint8_t* pl = udp_payload(linktype, frame, caplen, port, &len);
    if (pl) decode_datagram(pl, len);
  }
  fclose(f);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* pcap = nullptr;
  unsigned port = 3780;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-r") && i + 1 < argc) pcap = argv[++i];
    else if (!strcmp(argv[i], "-p") && i + 1 < argc) port = static_cast<unsigned>(atoi(argv[++i]));
    else {
      fprintf(stderr, "usage: sync_decode [-r file.pcap] [-p port] (hex datagrams on stdin)\n");
      return 2;
    }
  }
  return pcap ? from_pcap(pcap, static_cast<uint16_t>(port)) : from_hex();
}
