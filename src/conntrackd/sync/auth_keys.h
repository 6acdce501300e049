// The AuthKeyFile (Sync { AuthKeyFile PATH }): at most two keys, one per
// line as `KEYID HEX` (KEYID 1-255, HEX 32 to 128 hex digits: a 16- to
// 64-byte HMAC key); blank lines and lines starting with '#' are skipped.
// The first key signs what this node sends; every listed key is accepted,
// which is how a key is rotated without a restart (conntrackd.conf(5)).
// The file must be a regular file that others can neither read nor
// write and the group cannot write.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ctd {

struct AuthKey {
  uint8_t id = 0;
  uint8_t len = 0;
  uint8_t bytes[64] = {};
};

struct AuthKeySet {
  static constexpr unsigned kMax = 2;
  AuthKey keys[kMax];
  unsigned n = 0;  // keys[0] signs
};

// The text of a key file.  true, or false with a message in err.
bool auth_keys_parse(std::string_view text, AuthKeySet* out, char* err, size_t errlen);
// Reads and checks the file, then parses it.
bool auth_keys_load(const char* path, AuthKeySet* out, char* err, size_t errlen);

}  // namespace ctd
