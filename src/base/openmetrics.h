// An OpenMetrics 1.0 text exposition writer over an OutBuf, shared by
// `conntrackd -s metrics` and `conntrack -S/-C -o openmetrics`.
//
// The format's rules are kept here so no caller can break them:
//  * a family is announced once ("# TYPE", then "# UNIT" and "# HELP") and
//    all its samples follow it before the next family starts; a second
//    family() with a name already used is refused (returns false) and its
//    samples are dropped, so families are never duplicated or interleaved;
//  * counter samples are named <family>_total, info samples <family>_info
//    (value 1), gauges <family>;
//  * a UNIT must be the family name's last "_word" (the spec demands it);
//  * names outside [a-zA-Z_:][a-zA-Z0-9_:]* and label names outside
//    [a-zA-Z_][a-zA-Z0-9_]* are refused; label values are escaped
//    (backslash, double quote, newline);
//  * finish() writes the final "# EOF".
// Nothing allocates: the names seen so far are kept as 64-bit hashes in a
// fixed table (kMaxFamilies).
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "base/out_buf.h"

namespace base {

enum class MetricType : uint8_t { kCounter, kGauge, kInfo };

struct MetricLabel {
  std::string_view name;
  std::string_view value;
};

class MetricsWriter {
 public:
  static constexpr unsigned kMaxFamilies = 256;
  static constexpr size_t kMaxName = 128;

  explicit MetricsWriter(OutBuf& out) : out_(out) {}

  // Starts a family.  `help` may be empty (no HELP line); `unit` may be
  // empty (no UNIT line).  False (nothing written, samples dropped until
  // the next family) for an invalid or repeated name or a unit that is not
  // the name's suffix.
  bool family(std::string_view name, MetricType type, std::string_view help,
              std::string_view unit = {});

  // One sample of the current family.  Counters take non-negative
  // integers; gauges also signed or fixed-point values.
  void sample(std::span<const MetricLabel> labels, uint64_t value);
  void sample(uint64_t value) { sample({}, value); }
  void sample_signed(std::span<const MetricLabel> labels, int64_t value);
  // `value / 10^decimals`, e.g. (1234567, 6) is "1.234567" (gauges only).
  void sample_fixed(std::span<const MetricLabel> labels, uint64_t value, unsigned decimals);
  // The info family's one sample: <name>_info{labels} 1.
  void info(std::span<const MetricLabel> labels) { sample(labels, 1); }

  void finish();  // "# EOF\n"; later calls write nothing

  static bool valid_name(std::string_view name);
  static bool valid_label_name(std::string_view name);
  // Writes `v` with OpenMetrics' label-value escapes.
  static void put_escaped(OutBuf& out, std::string_view v);

 private:
  bool begin_sample(std::span<const MetricLabel> labels);
  bool seen(uint64_t hash);

  OutBuf& out_;
  char name_[kMaxName] = {};
  size_t name_len_ = 0;
  MetricType type_ = MetricType::kGauge;
  bool active_ = false;
  bool finished_ = false;
  uint64_t seen_[kMaxFamilies] = {};
  unsigned nseen_ = 0;
};

}  // namespace base
