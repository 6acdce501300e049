#include "base/openmetrics.h"

namespace base {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The suffixes the text format gives sample names: a family named with one
// would read as another family's sample.
constexpr std::string_view kReservedSuffixes[] = {"_total", "_created", "_info", "_count",
                                                  "_sum",   "_bucket",  "_gcount", "_gsum"};

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

const char* type_word(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kInfo: return "info";
    default: return "gauge";
  }
}

}  // namespace

bool MetricsWriter::valid_name(std::string_view name) {
  if (name.empty() || name.size() >= kMaxName) return false;
  for (size_t i = 0; i < name.size(); i++) {
    const char c = name[i];
    if (is_alpha(c) || c == '_' || c == ':' || (i > 0 && is_digit(c))) continue;
    return false;
  }
  return true;
}

bool MetricsWriter::valid_label_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); i++) {
    const char c = name[i];
    if (is_alpha(c) || c == '_' || (i > 0 && is_digit(c))) continue;
    return false;
  }
  return true;
}

void MetricsWriter::put_escaped(OutBuf& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out.put("\\\\");
    else if (c == '"') out.put("\\\"");
    else if (c == '\n') out.put("\\n");
    else out.put(c);
  }
}

bool MetricsWriter::seen(uint64_t hash) {
  for (unsigned i = 0; i < nseen_; i++)
    if (seen_[i] == hash) return true;
  return false;
}

bool MetricsWriter::family(std::string_view name, MetricType type, std::string_view help,
                           std::string_view unit) {
  active_ = false;
  if (finished_ || !valid_name(name)) return false;
  for (std::string_view s : kReservedSuffixes)
    if (ends_with(name, s)) return false;
  if (!unit.empty()) {
    // "_" + unit must end the name, and the unit be a name's tail itself.
    if (name.size() <= unit.size() + 1 || !ends_with(name, unit) ||
        name[name.size() - unit.size() - 1] != '_' || !valid_label_name(unit))
      return false;
  }
  const uint64_t h = fnv1a(name);
  if (seen(h) || nseen_ >= kMaxFamilies) return false;
  seen_[nseen_++] = h;
  name.copy(name_, name.size());
  name_len_ = name.size();
  type_ = type;
  active_ = true;
  out_.put("# TYPE ");
  out_.put(name);
  out_.put(' ');
  out_.put(type_word(type));
  out_.put('\n');
  if (!unit.empty()) {
    out_.put("# UNIT ");
    out_.put(name);
    out_.put(' ');
    out_.put(unit);
    out_.put('\n');
  }
  if (!help.empty()) {
    out_.put("# HELP ");
    out_.put(name);
    out_.put(' ');
    put_escaped(out_, help);
    out_.put('\n');
  }
  return true;
}

bool MetricsWriter::begin_sample(std::span<const MetricLabel> labels) {
  if (!active_ || finished_) return false;
  for (const MetricLabel& l : labels)
    if (!valid_label_name(l.name)) return false;
  out_.put(std::string_view(name_, name_len_));
  if (type_ == MetricType::kCounter) out_.put("_total");
  else if (type_ == MetricType::kInfo) out_.put("_info");
  if (!labels.empty()) {
    out_.put('{');
    for (size_t i = 0; i < labels.size(); i++) {
      if (i) out_.put(',');
      out_.put(labels[i].name);
      out_.put("=\"");
      put_escaped(out_, labels[i].value);
      out_.put('"');
    }
    out_.put('}');
  }
  out_.put(' ');
  return true;
}

void MetricsWriter::sample(std::span<const MetricLabel> labels, uint64_t value) {
  if (!begin_sample(labels)) return;
  out_.put_u64(value);
  out_.put('\n');
}

void MetricsWriter::sample_signed(std::span<const MetricLabel> labels, int64_t value) {
  if (type_ == MetricType::kCounter && value < 0) return;
  if (!begin_sample(labels)) return;
  out_.put_i64(value);
  out_.put('\n');
}

void MetricsWriter::sample_fixed(std::span<const MetricLabel> labels, uint64_t value,
                                 unsigned decimals) {
  if (type_ != MetricType::kGauge || decimals > 18) return;
  if (!begin_sample(labels)) return;
  uint64_t scale = 1;
  for (unsigned i = 0; i < decimals; i++) scale *= 10;
  out_.put_u64(value / scale);
  if (decimals) {
    out_.put('.');
    out_.put_u64_width(value % scale, decimals, '0');
  }
  out_.put('\n');
}

void MetricsWriter::finish() {
  if (finished_) return;
  finished_ = true;
  active_ = false;
  out_.put("# EOF\n");
}

}  // namespace base
