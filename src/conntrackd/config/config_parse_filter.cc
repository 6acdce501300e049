// General { Filter ... { } }: protocol, address and TCP state sets.
// Upstream fills its userspace filter and a kernel (BSF) filter as it
// parses; we record the sets and logic (the kernel filter's own copy in
// FilterConfig::kernel, see config.h) and leave both filters to the
// daemon.
#include <cstdio>
#include <cstring>
#include <sys/socket.h>

#include "conntrackd/config/config_parser.h"

namespace ctd {
namespace {

// The kernel's TCP_CONNTRACK_* numbers (nf_conntrack_tcp.h).
int tcp_state_of(Kw kw) {
  switch (kw) {
    case Kw::kSynSent: return 1;
    case Kw::kSynRecv: return 2;
    case Kw::kEstablished: return 3;
    case Kw::kFinWait: return 4;
    case Kw::kCloseWait: return 5;
    case Kw::kLastAck: return 6;
    case Kw::kTimeWait: return 7;
    case Kw::kClose: return 8;
    case Kw::kListen: return 9;  // TCP_CONNTRACK_LISTEN == SYN_SENT2
    default: return -1;
  }
}

// Accept | Ignore.
bool logic_of(const Token& t, FilterLogic* out) {
  if (t.tok != Tok::kKeyword) return false;
  if (t.kw == Kw::kAccept) *out = FilterLogic::kAccept;
  else if (t.kw == Kw::kIgnore) *out = FilterLogic::kIgnore;
  else return false;
  return true;
}

// nfct_filter_add_attr(NFCT_FILTER_SRC_IPV4/6 ...): upstream adds every
// valid address, repeated or not, until libnetfilter_conntrack's pool is
// full; the rest are dropped silently.
void kernel_add_addr(KernelFilterSets& k, const FilterAddr& a) {
  if (a.family == AF_INET) {
    if (k.nv4 < KernelFilterSets::kMaxV4) k.v4[k.nv4++] = a;
  } else if (k.nv6 < KernelFilterSets::kMaxV6) {
    k.v6[k.nv6++] = a;
  }
}

}  // namespace

bool ConfigParser::parse_filter() {
  advance();
  bool kernel = false;
  if (is_kw(Kw::kFrom)) {
    advance();
    if (is_kw(Kw::kUserspace)) kernel = false;
    else if (is_kw(Kw::kKernelspace)) kernel = true;
    else return syntax_error();
    advance();
  }
  if (!expect_char('{')) return false;
  while (!is_char('}')) {
    bool ok;
    if (is_kw(Kw::kProtocol)) ok = parse_filter_protocols();
    else if (is_kw(Kw::kAddress)) ok = parse_filter_addresses();
    else if (is_kw(Kw::kState)) ok = parse_filter_states();
    else ok = syntax_error();
    if (!ok) return false;
  }
  cfg_->filter.from_kernelspace = kernel;
  advance();
  return true;
}

void ConfigParser::filter_add_proto(std::string_view name) {
  int p = protocol_by_name(name);
  if (p < 0) {
    warn("getprotobyname() cannot find protocol `%.*s' in /etc/protocols",
         static_cast<int>(name.size()), name.data());
    return;
  }
  // An event's protocol is one byte: 256..262 (mptcp) can never match in
  // user space, but upstream's kernel filter still compares with them.
  if (p < 256) cfg_->filter.protos[p >> 5] |= 1u << (p & 31);
  cfg_->filter.used = true;
  KernelFilterSets& k = cfg_->filter.kernel;
  if (k.proto_adds < KernelFilterSets::kMaxProtoAdds) {
    k.protos[p >> 5] |= 1u << (p & 31);
    k.proto_adds++;
  }
}

bool ConfigParser::parse_filter_protocols() {
  advance();
  FilterLogic logic;
  if (!logic_of(cur_, &logic)) return syntax_error();
  advance();
  if (!expect_char('{')) return false;
  while (!is_char('}')) {
    if (cur_.tok == Tok::kString) filter_add_proto(cur_.text);
    else if (is_kw(Kw::kTcp)) filter_add_proto("tcp");
    else if (is_kw(Kw::kUdp)) filter_add_proto("udp");
    else return syntax_error();
    advance();
  }
  cfg_->filter.proto_logic = logic;
  if (logic == FilterLogic::kIgnore) cfg_->filter.kernel.proto_negative = true;
  cfg_->filter.used = true;
  advance();
  return true;
}

// One `IPv4_address a[/n]` or `IPv6_address a[/n]`.  Every problem here is
// a warning upstream, never fatal.
void ConfigParser::filter_add_addr(std::string_view text, bool v6) {
  FilterConfig& f = cfg_->filter;
  const unsigned maxlen = v6 ? 128 : 32;
  std::string_view ip = text;
  unsigned cidr = maxlen;
  bool slash = false;
  size_t at = text.find('/');
  if (at != std::string_view::npos) {
    slash = true;
    ip = text.substr(0, at);
    // atoi(): digits (the lexer guarantees them), saturating here.
    unsigned long v = 0;
    for (char c : text.substr(at + 1)) {
      if (c < '0' || c > '9') break;
      v = v * 10 + static_cast<unsigned>(c - '0');
      if (v > 100000) v = 100000;
    }
    cidr = static_cast<unsigned>(v);
    if (cidr > maxlen) {
      warn("%.*s/%u is not a valid network, ignoring", static_cast<int>(ip.size()), ip.data(), cidr);
      return;
    }
  }
  FilterAddr a{};
  a.family = v6 ? AF_INET6 : AF_INET;
  bool ok = v6 ? parse_inet6(ip, a.addr) : parse_inet4(ip, a.addr);
  if (!ok) {
    warn(v6 ? "%.*s is not a valid IPv6, ignoring" : "%.*s is not a valid IPv4, ignoring",
         static_cast<int>(ip.size()), ip.data());
    return;
  }
  const bool netmask = slash && cidr < maxlen;
  a.prefix = static_cast<uint8_t>(netmask ? cidr : maxlen);
  kernel_add_addr(f.kernel, a);
  for (unsigned i = 0; i < f.naddrs; i++) {
    const FilterAddr& o = f.addrs[i];
    if (o.family == a.family && o.prefix == a.prefix && std::memcmp(o.addr, a.addr, 16) == 0) {
      if (netmask)
        warn("netmask %.*s is repeated in the ignore pool", static_cast<int>(ip.size()), ip.data());
      else
        warn("IP %.*s is repeated in the ignore pool", static_cast<int>(ip.size()), ip.data());
      f.used = true;
      return;
    }
  }
  if (f.naddrs >= kMaxFilterAddrs) {
    // Upstream's pool has no real bound; ours does, and says so.
    warn("too many IP in the ignore pool!");
    return;
  }
  f.addrs[f.naddrs++] = a;
  f.used = true;
}

bool ConfigParser::parse_filter_addresses() {
  advance();
  FilterLogic logic;
  if (!logic_of(cur_, &logic)) return syntax_error();
  advance();
  if (!expect_char('{')) return false;
  while (!is_char('}')) {
    bool v6;
    if (is_kw(Kw::kIpv4Addr)) v6 = false;
    else if (is_kw(Kw::kIpv6Addr)) v6 = true;
    else return syntax_error();
    advance();
    if (cur_.tok != Tok::kIp) return syntax_error();
    filter_add_addr(cur_.text, v6);
    advance();
  }
  cfg_->filter.addr_logic = logic;
  if (logic == FilterLogic::kIgnore) cfg_->filter.kernel.addr_negative = true;
  cfg_->filter.used = true;
  advance();
  return true;
}

// State Accept|Ignore { STATE... for TCP ... }: each group of states must
// end with `for TCP` (the group may be empty).
bool ConfigParser::parse_filter_states() {
  advance();
  FilterLogic logic;
  if (!logic_of(cur_, &logic)) return syntax_error();
  advance();
  if (!expect_char('{')) return false;
  while (!is_char('}')) {
    int st;
    while (cur_.tok == Tok::kKeyword && (st = tcp_state_of(cur_.kw)) >= 0) {
      cfg_->filter.tcp_states |= static_cast<uint16_t>(1u << st);
      cfg_->filter.used = true;
      advance();
    }
    if (!is_kw(Kw::kFor)) return syntax_error();
    advance();
    if (!is_kw(Kw::kTcp)) return syntax_error();
    advance();
  }
  cfg_->filter.state_logic = logic;
  if (logic == FilterLogic::kIgnore) cfg_->filter.kernel.state_negative = true;
  cfg_->filter.used = true;
  advance();
  return true;
}

}  // namespace ctd
