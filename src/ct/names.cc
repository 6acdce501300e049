#include "ct/names.h"

#include "ct_uapi.h"

namespace ct {
namespace {

// Upstream indexes these by number; an empty slot means "no name".
constexpr std::string_view kTcpStates[] = {
    "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};
constexpr std::string_view kSctpStates[] = {
    "NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED",
    "SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT",
    "HEARTBEAT_ACKED",
};
constexpr std::string_view kDccpStates[] = {
    "NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN",
    "CLOSEREQ", "CLOSING", "TIMEWAIT", "IGNORE", "INVALID",
};
constexpr std::string_view kDccpRoles[] = {"client", "server"};
// conntrack-tools' save table stops before the heartbeat states.
constexpr unsigned kSaveSctpStates = 8;
constexpr std::string_view kNull = "(null)";

template <size_t N>
std::string_view pick(const std::string_view (&table)[N], unsigned i, std::string_view dflt) {
  return i < N ? table[i] : dflt;
}

template <size_t N>
int find(const std::string_view (&table)[N], std::string_view name, unsigned limit = N) {
  for (unsigned i = 0; i < N && i < limit; ++i)
    if (table[i] == name) return static_cast<int>(i);
  return -1;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

struct ProtoName {
  uint8_t num;
  std::string_view name;
};
constexpr ProtoName kL4Names[] = {
    {uapi::kIpprotoTcp, "tcp"},     {uapi::kIpprotoUdp, "udp"},
    {uapi::kIpprotoUdplite, "udplite"}, {uapi::kIpprotoIcmp, "icmp"},
    {uapi::kIpprotoIcmpv6, "icmpv6"}, {uapi::kIpprotoSctp, "sctp"},
    {uapi::kIpprotoGre, "gre"},     {uapi::kIpprotoDccp, "dccp"},
};

}  // namespace

constinit const StatusName kSaveStatusNames[4] = {
    {uapi::kIpsExpected, "EXPECTED"},
    {uapi::kIpsSeenReply, "SEEN_REPLY"},
    {uapi::kIpsAssured, "ASSURED"},
    {uapi::kIpsFixedTimeout, "FIXED_TIMEOUT"},
};

constinit const StatusName kStatusNames[16] = {
    {uapi::kIpsExpected, "EXPECTED"},       {uapi::kIpsSeenReply, "SEEN_REPLY"},
    {uapi::kIpsAssured, "ASSURED"},         {uapi::kIpsConfirmed, "CONFIRMED"},
    {uapi::kIpsSrcNat, "SRC_NAT"},          {uapi::kIpsDstNat, "DST_NAT"},
    {uapi::kIpsSeqAdjust, "SEQ_ADJUST"},    {uapi::kIpsSrcNatDone, "SRC_NAT_DONE"},
    {uapi::kIpsDstNatDone, "DST_NAT_DONE"}, {uapi::kIpsDying, "DYING"},
    {uapi::kIpsFixedTimeout, "FIXED_TIMEOUT"}, {uapi::kIpsTemplate, "TEMPLATE"},
    {uapi::kIpsUntracked, "UNTRACKED"},     {uapi::kIpsHelper, "HELPER"},
    {uapi::kIpsOffload, "OFFLOAD"},         {uapi::kIpsHwOffload, "HW_OFFLOAD"},
};

std::string_view l3_name(uint8_t family) {
  if (family == uapi::kAfInet) return "ipv4";
  if (family == uapi::kAfInet6) return "ipv6";
  return "unknown";
}

std::string_view l4_name(uint8_t proto) {
  for (const ProtoName& p : kL4Names)
    if (p.num == proto) return p.name;
  return "unknown";
}

int l4_proto_from_name(std::string_view name) {
  for (const ProtoName& p : kL4Names)
    if (equal_nocase(p.name, name)) return p.num;
  return -1;
}

bool l4_has_ports(uint8_t proto) {
  switch (proto) {
    case uapi::kIpprotoTcp: case uapi::kIpprotoUdp: case uapi::kIpprotoUdplite:
    case uapi::kIpprotoSctp: case uapi::kIpprotoDccp:
      return true;
    default:
      return false;
  }
}

std::string_view tcp_state_name(uint8_t s) { return pick(kTcpStates, s, kTcpStates[0]); }
std::string_view sctp_state_name(uint8_t s) { return pick(kSctpStates, s, kSctpStates[0]); }
std::string_view dccp_state_name(uint8_t s) { return pick(kDccpStates, s, kDccpStates[0]); }
std::string_view xml_state_name(uint8_t s) { return pick(kTcpStates, s, kTcpStates[0]); }

// Upstream reads these tables unchecked; past the end is undefined there,
// and "(null)" is what its in-table holes print.
std::string_view save_tcp_state_name(uint8_t s) { return pick(kTcpStates, s, kNull); }
std::string_view save_sctp_state_name(uint8_t s) {
  return s < kSaveSctpStates ? kSctpStates[s] : kNull;
}
std::string_view save_dccp_state_name(uint8_t s) { return pick(kDccpStates, s, kNull); }
std::string_view save_dccp_role_name(uint8_t r) { return pick(kDccpRoles, r, kNull); }

int tcp_state_from_name(std::string_view name) {
  if (name == "LISTEN") return uapi::kTcpSynSent2;
  return find(kTcpStates, name);
}
int sctp_state_from_name(std::string_view name) { return find(kSctpStates, name, kSaveSctpStates); }
int dccp_state_from_name(std::string_view name) { return find(kDccpStates, name); }

}  // namespace ct
