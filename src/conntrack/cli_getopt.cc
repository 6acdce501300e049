#include "conntrack/cli_getopt.h"

#include <cstdlib>
#include <cstring>

namespace conntrack {

bool LongOptSet::add(std::span<const LongOpt> opts, int offset) {
  if (n_ == kMaxParts) return false;
  parts_[n_++] = Part{opts, offset};
  return true;
}

Getopt::Getopt(int argc, char** argv, const char* optstring)
    : argc_(argc), argv_(argv), optstring_(optstring) {
  // glibc: a leading '+' or POSIXLY_CORRECT stops at the first non-option;
  // otherwise non-options are permuted to the end.
  permute_ = optstring_[0] != '+' && std::getenv("POSIXLY_CORRECT") == nullptr;
  if (optstring_[0] == '+' || optstring_[0] == '-') ++optstring_;
  colon_ = optstring_[0] == ':';
}

// Move the non-options skipped so far, [first_nonopt_, last_nonopt_), after
// the options seen since, [last_nonopt_, optind).  Same result as glibc's
// exchange(): both blocks keep their internal order.
void Getopt::exchange() {
  int bottom = first_nonopt_, middle = last_nonopt_, top = optind;
  while (top > middle && middle > bottom) {
    if (top - middle > middle - bottom) {
      int len = middle - bottom;
      for (int i = 0; i < len; i++) {
        char* t = argv_[bottom + i];
        argv_[bottom + i] = argv_[top - (middle - bottom) + i];
        argv_[top - (middle - bottom) + i] = t;
      }
      top -= len;
    } else {
      int len = top - middle;
      for (int i = 0; i < len; i++) {
        char* t = argv_[bottom + i];
        argv_[bottom + i] = argv_[middle + i];
        argv_[middle + i] = t;
      }
      bottom += len;
    }
  }
  first_nonopt_ += optind - last_nonopt_;
  last_nonopt_ = optind;
}

int Getopt::next(const LongOptSet& longopts) {
  optarg = nullptr;
  if (nextchar_ == nullptr || *nextchar_ == '\0') {
    if (last_nonopt_ > optind) last_nonopt_ = optind;
    if (first_nonopt_ > optind) first_nonopt_ = optind;
    if (permute_) {
      if (first_nonopt_ != last_nonopt_ && last_nonopt_ != optind)
        exchange();
      else if (last_nonopt_ != optind)
        first_nonopt_ = optind;
      while (optind < argc_ && is_nonoption(optind)) optind++;
      last_nonopt_ = optind;
    }
    // "--" ends the options; it is skipped and the rest are non-options.
    if (optind != argc_ && std::strcmp(argv_[optind], "--") == 0) {
      optind++;
      if (first_nonopt_ != last_nonopt_ && last_nonopt_ != optind)
        exchange();
      else if (first_nonopt_ == last_nonopt_)
        first_nonopt_ = optind;
      last_nonopt_ = argc_;
      optind = argc_;
    }
    if (optind == argc_) {
      if (first_nonopt_ != last_nonopt_) optind = first_nonopt_;
      return kGetoptEnd;
    }
    if (is_nonoption(optind)) return kGetoptEnd;  // only without permutation
    if (argv_[optind][1] == '-') {
      nextchar_ = argv_[optind] + 2;
      return next_long(longopts);
    }
    nextchar_ = argv_[optind] + 1;
  }
  return next_short();
}

int Getopt::next_short() {
  char c = *nextchar_++;
  const char* spec = std::strchr(optstring_, c);
  // optind moves on when the last character of a cluster is taken, so an
  // unknown option in the middle of "-xyz" leaves optind-1 on the
  // previous element (upstream then quotes that element).
  if (*nextchar_ == '\0') ++optind;
  if (spec == nullptr || c == ':' || c == ';') return kGetoptUnknown;
  if (spec[1] != ':') return static_cast<unsigned char>(c);
  if (spec[2] == ':') {  // optional: only when attached
    if (*nextchar_ != '\0') {
      optarg = nextchar_;
      optind++;
    }
    nextchar_ = nullptr;
    return static_cast<unsigned char>(c);
  }
  if (*nextchar_ != '\0') {
    optarg = nextchar_;
    optind++;
  } else if (optind == argc_) {
    nextchar_ = nullptr;
    return colon_ ? kGetoptMissingArg : kGetoptUnknown;
  } else {
    optarg = argv_[optind++];
  }
  nextchar_ = nullptr;
  return static_cast<unsigned char>(c);
}

int Getopt::next_long(const LongOptSet& longopts) {
  const char* name = nextchar_;
  const char* nameend = name;
  while (*nameend && *nameend != '=') nameend++;
  std::string_view key(name, static_cast<size_t>(nameend - name));

  const LongOpt* found = nullptr;
  int found_val = 0;
  // An exact match wins, the first one in table order.
  for (int p = 0; p < longopts.parts() && !found; p++)
    for (const LongOpt& o : longopts.table(p))
      if (o.name == key) {
        found = &o;
        found_val = o.val + longopts.offset(p);
        break;
      }
  if (!found) {
    // Otherwise a unique prefix; prefixes of entries that differ only in
    // name (aliases) are not ambiguous.
    bool ambiguous = false;
    for (int p = 0; p < longopts.parts(); p++)
      for (const LongOpt& o : longopts.table(p)) {
        if (o.name.substr(0, key.size()) != key) continue;
        int v = o.val + longopts.offset(p);
        if (!found) {
          found = &o;
          found_val = v;
        } else if (found->has_arg != o.has_arg || found_val != v) {
          ambiguous = true;
        }
      }
    if (ambiguous) {
      nextchar_ = nullptr;
      optind++;
      return kGetoptUnknown;
    }
  }
  nextchar_ = nullptr;
  optind++;
  if (!found) return kGetoptUnknown;
  if (*nameend) {
    if (found->has_arg == kNoArg) return kGetoptUnknown;
    optarg = nameend + 1;
  } else if (found->has_arg == kRequiredArg) {
    if (optind < argc_)
      optarg = argv_[optind++];
    else
      return colon_ ? kGetoptMissingArg : kGetoptUnknown;
  }
  return found_val;
}

}  // namespace conntrack
