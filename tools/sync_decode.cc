// sync_decode: prints conntrackd sync packets (protocol v1), one line per
// message, with every attribute decoded or the reason it would be dropped.
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

void print_message(const MsgView& m) {
  printf("seq=%u %s", m.seq, msg_type_name(m.type));
  for (unsigned bit = 1; bit < 256; bit <<= 1)
    if (m.flags & bit) printf("|%s", msg_flag_name(static_cast<uint8_t>(bit)));
  printf(" len=%u", m.len);
  if (is_ack(m) || is_nack(m) || is_resync(m)) printf(" from=%u to=%u", m.from, m.to);
  if (m.type <= kMsgDataMax) {
    const bool exp = m.type >= kMsgExpNew;
    ct::Flow f;
    ct::Expect e;
    DecodeScratch s;
    const DropReason r = exp ? decode_exp(m, &e, &s) : decode_ct(m, &f, &s);
    // Attributes as they are on the wire, in their order.
    size_t off = kHdrLen;
    while (off + kAttrHdrLen <= m.len) {
      const uint16_t len = get16(&m.bytes[off]);
      if (len < kAttrHdrLen || off + len > m.len) break;
      print_attr(exp, get16(&m.bytes[off + 2]), &m.bytes[off + kAttrHdrLen], len - kAttrHdrLen);
      off += (len + 3u) & ~3u;
    }
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
    const WalkResult r = next_message(data, &off, &m, false);
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
