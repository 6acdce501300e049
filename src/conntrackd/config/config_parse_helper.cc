// Helper { Setup on|off ; Type <name> inet|inet6 tcp|udp { ... } }
//
// Upstream parses QueueNum, QueueLen and Policy onto a LIFO "symbol stack"
// and each Type block, when it closes, pops *everything* on the stack.  The
// grammar also allows these items (and nested Type blocks) directly in
// Helper { }.  We keep the same stack so odd files mean the same thing:
// e.g. with two QueueNum lines the first one wins (it is popped last).
#include <cstring>
#include <sys/socket.h>

#include "conntrackd/config/config_parser.h"

namespace ctd {

bool ConfigParser::parse_helper() {
  advance();
  if (!expect_char('{')) return false;
  while (!is_char('}')) {
    if (is_kw(Kw::kSetup)) {
      advance();
      if (!take_on_off(&cfg_->helper_setup)) return false;
      continue;
    }
    bool handled = false;
    if (!parse_helper_item(&handled)) return false;
    if (!handled) return syntax_error();
  }
  cfg_->helper = true;
  advance();
  return true;
}

// Type, QueueNum, QueueLen or Policy; *handled = false for anything else.
bool ConfigParser::parse_helper_item(bool* handled) {
  *handled = true;
  if (is_kw(Kw::kType)) return parse_helper_type();
  if (is_kw(Kw::kPolicy)) return parse_helper_policy();
  if (is_kw(Kw::kQueueNum) || is_kw(Kw::kQueueLen)) {
    const bool num = is_kw(Kw::kQueueNum);
    advance();
    uint32_t v;
    if (!take_number(INT32_MAX, &v)) return false;
    if (hdepth_ >= kMaxHelperItems) return fatal("too many items in Helper block");
    HelperItem& it = hstack_[hdepth_++];
    it = HelperItem{};
    it.kind = num ? HelperItem::kQueueNum : HelperItem::kQueueLen;
    it.value = v;
    return true;
  }
  *handled = false;
  return true;
}

bool ConfigParser::parse_helper_policy() {
  advance();
  if (cur_.tok != Tok::kString) return syntax_error();
  const std::string_view name = cur_.text;
  advance();
  if (!expect_char('{')) return false;
  while (!is_char('}')) {
    const bool max = is_kw(Kw::kExpectMax);
    if (!max && !is_kw(Kw::kExpectTimeout)) return syntax_error();
    advance();
    uint32_t v;
    if (!take_number(INT32_MAX, &v)) return false;
    // Upstream pops the pending leaf (or makes one), updates it and pushes
    // it back on top.
    HelperItem leaf{};
    leaf.kind = HelperItem::kPolicyLeaf;
    for (unsigned i = hdepth_; i-- > 0;) {
      if (hstack_[i].kind != HelperItem::kPolicyLeaf) continue;
      leaf = hstack_[i];
      std::memmove(&hstack_[i], &hstack_[i + 1], (hdepth_ - i - 1) * sizeof(HelperItem));
      hdepth_--;
      break;
    }
    if (max) leaf.policy.expect_max = v;
    else leaf.policy.expect_timeout = v;
    if (hdepth_ >= kMaxHelperItems) return fatal("too many items in Helper block");
    hstack_[hdepth_++] = leaf;
  }
  // Reduction of the Policy rule: take the leaf, name it, make it a root.
  unsigned i = hdepth_;
  while (i-- > 0 && hstack_[i].kind != HelperItem::kPolicyLeaf) {
  }
  if (i == static_cast<unsigned>(-1))
    return fatal("Helper policy configuration empty, fix your configuration file, please");
  if (name.size() > kHelperNameMax)
    return fatal("Helper Policy is longer than %u characters", kHelperNameMax);
  HelperItem root = hstack_[i];
  std::memmove(&hstack_[i], &hstack_[i + 1], (hdepth_ - i - 1) * sizeof(HelperItem));
  hdepth_--;
  std::memcpy(root.policy.name, name.data(), name.size());
  root.policy.name[name.size()] = '\0';
  root.kind = HelperItem::kPolicyRoot;
  hstack_[hdepth_++] = root;
  advance();
  return true;
}

bool ConfigParser::parse_helper_type() {
  advance();
  std::string_view words[3];
  for (std::string_view& w : words) {
    if (cur_.tok != Tok::kString) return syntax_error();
    w = cur_.text;
    advance();
  }
  if (!expect_char('{')) return false;
  while (!is_char('}')) {
    bool handled = false;
    if (!parse_helper_item(&handled)) return false;
    if (!handled) return syntax_error();
  }
  // The rule's action, in upstream's order of checks.
  uint8_t l3, l4;
  if (words[1] == "inet") l3 = AF_INET;
  else if (words[1] == "inet6") l3 = AF_INET6;
  else return fatal("unknown layer 3 protocol");
  if (words[2] == "tcp") l4 = 6;
  else if (words[2] == "udp") l4 = 17;
  else return fatal("unknown layer 4 protocol");
  const KnownHelper* known = known_helper(words[0], l4);
  if (!known)
    return fatal("Unknown `%.*s' helper", static_cast<int>(words[0].size()), words[0].data());
  if (cfg_->nhelpers >= kMaxHelperTypes)
    return fatal("too many helper Type blocks (maximum %u)", kMaxHelperTypes);
  HelperTypeConfig h{};
  std::memcpy(h.name, words[0].data(), words[0].size());  // known: < 16 bytes
  h.l3 = l3;
  h.l4 = l4;
  while (hdepth_ > 0) {
    const HelperItem& it = hstack_[--hdepth_];
    switch (it.kind) {
      case HelperItem::kQueueNum: h.queue_num = it.value; break;
      case HelperItem::kQueueLen: h.queue_len = it.value; break;
      case HelperItem::kPolicyRoot: {
        if (std::strcmp(it.policy.name, known->policy) != 0)
          return fatal("Unknown policy `%s' in helper configuration", it.policy.name);
        // Upstream overwrites the helper's policy slot wholesale: fields
        // not given become 0.
        h.policies[0] = it.policy;
        h.npolicies = 1;
        break;
      }
      case HelperItem::kPolicyLeaf:
        return fatal("Unexpected symbol parsing helper policy");
    }
  }
  cfg_->helpers[cfg_->nhelpers++] = h;
  advance();
  return true;
}

}  // namespace ctd
