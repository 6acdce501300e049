// Value conversions the config grammar needs, with the libc semantics
// upstream relies on (inet_aton, inet_pton, getprotobyname), written out
// so a static musl build behaves like Debian's glibc one.
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "conntrackd/config/config_parser.h"

namespace ctd {

bool parse_inet4(std::string_view s, uint8_t out[4]) {
  uint8_t tmp[4];
  size_t at = 0;
  for (int part = 0; part < 4; part++) {
    if (part > 0) {
      if (at >= s.size() || s[at] != '.') return false;
      at++;
    }
    if (at >= s.size() || s[at] < '0' || s[at] > '9') return false;
    // A leading 0 means octal, as in glibc's inet_aton().
    const unsigned base = (s[at] == '0') ? 8 : 10;
    uint64_t v = 0;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      unsigned d = static_cast<unsigned>(s[at] - '0');
      if (d >= base) return false;
      v = v * base + d;
      if (v > 255) return false;
      at++;
    }
    tmp[part] = static_cast<uint8_t>(v);
  }
  if (at != s.size()) return false;
  std::memcpy(out, tmp, 4);
  return true;
}

bool parse_inet6(std::string_view s, uint8_t out[16]) {
  uint16_t groups[8];
  int n = 0, gap = -1;
  size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    if (n >= 8) return false;
    unsigned v = 0, digits = 0;
    while (i < s.size() && digits < 5) {
      char c = s[i];
      unsigned d;
      if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
      else break;
      v = v * 16 + d;
      digits++;
      i++;
    }
    if (digits == 0 || digits > 4) return false;
    groups[n++] = static_cast<uint16_t>(v);
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    i++;
    if (i < s.size() && s[i] == ':') {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i == s.size()) {
      return false;  // a single trailing ':'
    }
  }
  if (gap < 0 && n != 8) return false;
  if (gap >= 0 && n > 7) return false;
  uint8_t tmp[16] = {};
  int fill = gap < 0 ? 0 : 8 - n;
  for (int k = 0, slot = 0; k < n; k++, slot++) {
    if (k == gap) slot += fill;
    tmp[2 * slot] = static_cast<uint8_t>(groups[k] >> 8);
    tmp[2 * slot + 1] = static_cast<uint8_t>(groups[k]);
  }
  std::memcpy(out, tmp, 16);
  return true;
}

// /etc/protocols: "name number [aliases...] [# comment]".  Read in 4 KiB
// blocks with a bounded line buffer; over-long lines are skipped.
// Numbers up to IPPROTO_MAX - 1 (262, mptcp) are found: upstream's kernel
// filter takes them.  Larger ones would make upstream write past its
// bitmaps, so we treat them as unknown.
int protocol_by_name(std::string_view name) {
  constexpr int kMax = static_cast<int>(KernelFilterSets::kIpprotoMax);
  int fd = open("/etc/protocols", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char block[4096], line[512];
  size_t ll = 0;
  bool overflow = false;
  int found = -1;
  auto scan = [&](std::string_view l) {
    size_t hash = l.find('#');
    if (hash != std::string_view::npos) l = l.substr(0, hash);
    std::string_view words[64];
    size_t nw = 0, i = 0;
    while (i < l.size() && nw < 64) {
      while (i < l.size() && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r')) i++;
      size_t b = i;
      while (i < l.size() && l[i] != ' ' && l[i] != '\t' && l[i] != '\r') i++;
      if (i > b) words[nw++] = l.substr(b, i - b);
    }
    if (nw < 2) return;
    int num = 0;
    for (char c : words[1]) {
      if (c < '0' || c > '9' || num > kMax) return;
      num = num * 10 + (c - '0');
    }
    if (num >= kMax) return;
    for (size_t w = 0; w < nw; w++) {
      if (w == 1) continue;
      if (words[w] == name) {
        found = num;
        return;
      }
    }
  };
  ssize_t r;
  while (found < 0 && (r = read(fd, block, sizeof(block))) > 0) {
    for (ssize_t k = 0; k < r && found < 0; k++) {
      char c = block[k];
      if (c == '\n') {
        if (!overflow) scan(std::string_view(line, ll));
        ll = 0;
        overflow = false;
      } else if (ll < sizeof(line)) {
        line[ll++] = c;
      } else {
        overflow = true;
      }
    }
  }
  if (found < 0 && ll > 0 && !overflow) scan(std::string_view(line, ll));
  close(fd);
  return found;
}

int syslog_facility_by_name(std::string_view name) {
  if (name == "daemon") return kLogDaemon;
  if (name.size() == 6 && name.substr(0, 5) == "local" && name[5] >= '0' && name[5] <= '7')
    return (16 + (name[5] - '0')) << 3;  // LOG_LOCAL0 = 16 << 3
  return -1;
}

namespace {
// src/helpers/*.c in upstream: name, transport, the one policy each defines.
constexpr KnownHelper kHelpers[] = {
    // name, l4, policy, expect_max, expect_timeout, private data bytes
    {"amanda", 17, "amanda", 3, 180, 0}, {"dhcpv6", 17, "dhcpv6", 1, 300, 0},
    {"ftp", 6, "ftp", 1, 300, 24},       {"mdns", 17, "mdns", 8, 30, 0},
    {"rpc", 6, "rpc", 1, 300, 16},       {"rpc", 17, "rpc", 1, 300, 16},
    {"sane", 6, "sane", 1, 300, 4},      {"slp", 17, "slp", 8, 16, 0},
    {"ssdp", 17, "ssdp", 8, 300, 0},     {"ssdp", 6, "ssdp", 8, 300, 0},
    {"tftp", 17, "tftp", 1, 300, 0},     {"tns", 6, "tns", 1, 300, 1},
};
}  // namespace

const KnownHelper* known_helper(std::string_view name, uint8_t l4) {
  for (const KnownHelper& h : kHelpers)
    if (name == h.name && h.l4 == l4) return &h;
  return nullptr;
}

}  // namespace ctd
