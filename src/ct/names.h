// Protocol, state and status names exactly as upstream prints and parses
// them.  The tables differ between upstream's printers on purpose (see the
// notes on each function): output must match the real tool byte for byte.
#pragma once
#include <cstdint>
#include <string_view>

namespace ct {

// "ipv4", "ipv6", otherwise "unknown".
std::string_view l3_name(uint8_t family);
// tcp udp udplite icmp icmpv6 sctp gre dccp, otherwise "unknown".
std::string_view l4_name(uint8_t proto);
// The L4 protocols conntrack(8) has an extension for (its -p names), found
// case-insensitively.  Returns the protocol number, or -1.
int l4_proto_from_name(std::string_view name);
// True for the protocols whose tuples carry ports (sport/dport).
bool l4_has_ports(uint8_t proto);

// State names for the default text line; values past the table print as
// "NONE", like upstream.
std::string_view tcp_state_name(uint8_t state);
std::string_view sctp_state_name(uint8_t state);
std::string_view dccp_state_name(uint8_t state);
// XML looks SCTP and DCCP states up in the TCP table (an upstream quirk:
// SCTP ESTABLISHED prints as FIN_WAIT), so this is the only XML state table.
std::string_view xml_state_name(uint8_t state);

// `-o save` tables (conntrack-tools' own): the SCTP one lacks the heartbeat
// states, and a missing name prints as glibc's "(null)".
std::string_view save_tcp_state_name(uint8_t state);
std::string_view save_sctp_state_name(uint8_t state);
std::string_view save_dccp_state_name(uint8_t state);
std::string_view save_dccp_role_name(uint8_t role);

// --state arguments: exact, upper-case names; "LISTEN" is TCP state 9.
// Return the state number, or -1.
int tcp_state_from_name(std::string_view name);
int sctp_state_from_name(std::string_view name);
int dccp_state_from_name(std::string_view name);

// Status bits written by `-o save -u` (in bit order) and their names.
struct StatusName {
  uint32_t bit;
  std::string_view name;
};
extern const StatusName kSaveStatusNames[4];
// Every IPS_* bit by name, in bit order (for JSON).
extern const StatusName kStatusNames[16];

}  // namespace ct
