// The connection label names from connlabel.conf, loaded the way
// libnetfilter_conntrack loads them (rules in spec/conntrack.md §2.3), into
// fixed storage: lookups never allocate, and the map never allocates either.
//
// Each line is `BIT NAME`.  BIT is read like strtoul(base 0) and must be
// below 1024; a line starting with '#' is skipped; NAME is trimmed of
// blanks and may only use [A-Za-z0-9 -].  The first line for a bit or a
// name wins.  Lines are read in fgets-sized pieces (1023 bytes), as upstream
// does, so an over-long line continues as a new "line".
#pragma once
#include <cstdint>
#include <string_view>

namespace ct {

class LabelMap {
 public:
  static constexpr unsigned kMaxBits = 1024;
  static constexpr const char* kDefaultPath = "/etc/xtables/connlabel.conf";

  // Returns false when upstream's nfct_labelmap_new() would return NULL:
  // the file cannot be opened (load_errno() is its errno), or it names no
  // label at all (load_errno() is 0, so upstream's perror prints "Success").
  bool load(const char* path = kDefaultPath);

  bool loaded() const { return name_count_ > 0; }
  int load_errno() const { return errno_; }
  // One past the highest named bit; bits at or above it have no name.
  unsigned name_count() const { return name_count_; }
  // The name of `bit`, or empty if it has none.
  std::string_view name(unsigned bit) const {
    if (bit >= name_count_ || bit >= kMaxBits || len_[bit] == 0) return {};
    return {pool_ + off_[bit], len_[bit]};
  }
  // The bit named `name`, or -1.
  int bit(std::string_view name) const;

 private:
  // Room for every name a sane file has; a name that does not fit is
  // dropped (and counted) rather than growing the map.
  static constexpr unsigned kPoolSize = 64 * 1024;

  void reset();
  void add_line(char* line);
  bool insert(std::string_view name, unsigned bit);

  char pool_[kPoolSize];
  uint32_t pool_used_ = 0;
  uint32_t off_[kMaxBits];
  uint16_t len_[kMaxBits];   // 0: no name
  unsigned name_count_ = 0;
  unsigned dropped_ = 0;
  int errno_ = 0;
};

}  // namespace ct
