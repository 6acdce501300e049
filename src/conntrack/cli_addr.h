// Address parsing for the conntrack command line, as upstream sees it
// through glibc: inet_aton() (so "1", "0x7f.1" and a trailing blank are
// accepted), then inet_pton(AF_INET6), both ours by glibc's rules; "/N"
// prefixes parsed with strtol.
#pragma once
#include <cstdint>

#include "ct/flow.h"

namespace conntrack {

// glibc inet_aton(); returns false if `s` is not an IPv4 address.
bool inet_aton_glibc(const char* s, uint8_t out[4]);
// glibc inet_pton(AF_INET6, s, out) > 0.
bool inet_pton6_glibc(const char* s, uint8_t out[16]);

constexpr int kNoNetmask = -1;
constexpr int kBadNetmask = -2;

// upstream parse_addr(): the first 45 characters of `s`, an optional
// "/N" split off into *mask (kNoNetmask / kBadNetmask / 0..128).
// Returns AF_INET, AF_INET6 or 0.
int parse_addr(const char* s, ct::Addr* addr, int* mask);

// A prefix length as a network-order mask of `words` 32-bit words.
void build_netmask(ct::Addr* out, int bits, int words);

}  // namespace conntrack
