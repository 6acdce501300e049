#include "conntrackd/sync/auth_keys.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/c_strto.h"
#include "base/fmt.h"
#include "base/line_reader.h"

namespace ctd {

namespace {

bool parse_line(std::string_view line, unsigned lineno, AuthKey* k, char* err, size_t errlen) {
  std::string_view id, hex, extra;
  if (!base::next_word(line, id) || !base::next_word(line, hex) || base::next_word(line, extra)) {
    base::format(err, errlen, "line %u: expected `KEYID HEXKEY'", lineno);
    return false;
  }
  unsigned v = 0;
  for (char c : id) {
    if (c < '0' || c > '9' || v > 255) {
      v = 256;
      break;
    }
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v < 1 || v > 255) {
    base::format(err, errlen, "line %u: key id must be a number from 1 to 255", lineno);
    return false;
  }
  if (hex.size() % 2 || hex.size() < 32 || hex.size() > 2 * sizeof k->bytes) {
    base::format(err, errlen, "line %u: key must be 32 to 128 hex digits (16 to 64 bytes)", lineno);
    return false;
  }
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = base::hex_digit_value(hex[i]), lo = base::hex_digit_value(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      base::format(err, errlen, "line %u: key is not hexadecimal", lineno);
      return false;
    }
    k->bytes[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
  }
  k->id = static_cast<uint8_t>(v);
  k->len = static_cast<uint8_t>(hex.size() / 2);
  return true;
}

}  // namespace

bool auth_keys_parse(std::string_view text, AuthKeySet* out, char* err, size_t errlen) {
  AuthKeySet s;
  unsigned lineno = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    lineno++;
    std::string_view probe = line, first;
    if (!base::next_word(probe, first) || first[0] == '#') continue;
    if (s.n == AuthKeySet::kMax) {
      base::format(err, errlen, "line %u: more than %u keys", lineno, AuthKeySet::kMax);
      return false;
    }
    AuthKey& k = s.keys[s.n];
    if (!parse_line(line, lineno, &k, err, errlen)) return false;
    for (unsigned i = 0; i < s.n; i++)
      if (s.keys[i].id == k.id) {
        base::format(err, errlen, "line %u: key id %u listed twice", lineno, k.id);
        return false;
      }
    s.n++;
  }
  if (s.n == 0) {
    base::format(err, errlen, "no key in it");
    return false;
  }
  *out = s;
  return true;
}

bool auth_keys_load(const char* path, AuthKeySet* out, char* err, size_t errlen) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    base::format(err, errlen, "can't open AuthKeyFile `%s': %s", path, strerror(errno));
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    base::format(err, errlen, "AuthKeyFile `%s' is not a regular file", path);
    return false;
  }
  if (st.st_mode & (S_IWGRP | S_IRWXO)) {
    close(fd);
    base::format(err, errlen, "AuthKeyFile `%s' is accessible by others (mode %04o), refusing it: chmod 600 it",
                 path, static_cast<unsigned>(st.st_mode & 07777));
    return false;
  }
  char buf[2048];
  size_t n = 0;
  for (;;) {
    const ssize_t r = read(fd, buf + n, sizeof buf - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += static_cast<size_t>(r);
    if (n == sizeof buf) break;
  }
  close(fd);
  if (n == sizeof buf) {
    base::format(err, errlen, "AuthKeyFile `%s' is too long", path);
    return false;
  }
  char why[160];
  const bool ok = auth_keys_parse({buf, n}, out, why, sizeof why);
  explicit_bzero(buf, sizeof buf);
  if (!ok) base::format(err, errlen, "AuthKeyFile `%s': %s", path, why);
  return ok;
}

}  // namespace ctd
