// -I/-A (create), -D (delete every match) and -U (update every match).
#include <cerrno>
#include <cstring>

#include "base/clock.h"
#include "base/static_slot.h"
#include "conntrack/commands.h"
#include "conntrack/modify_batch.h"
#include "conntrack/process_output.h"
#include "ct/dump_request.h"
#include "ct/filter.h"
#include "ct/flow_autocomplete.h"
#include "ct/flow_build.h"
#include "ct/flow_parse.h"
#include "ct/flow_print.h"
#include "ct_uapi.h"
#include "conntrack/kernel_filter.h"

namespace conntrack {

using namespace uapi;
using ct::F;

int cmd_create(Session& s, const Cli& cli, unsigned& counter) {
  static ct::Flow t;
  t = cli.filter.tmpl;
  bool orig = (cli.options & kOptOrig) != 0, repl = (cli.options & kOptRepl) != 0;
  if (orig && !repl)
    ct::flow_setup_reply(t);
  else if (!orig && repl)
    ct::flow_setup_original(t);
  if (cli.options & kOptMark) {
    t.mark = cli.mark_value;
    t.set.set(F::kMark);
  }
  if (cli.options & kOptAddLabel) {
    t.labels = cli.label_modify.bytes();
    t.labels_len = static_cast<uint16_t>(cli.label_modify.byte_len());
    t.set.set(F::kLabels);
  }
  uint16_t flags = kNlmFCreate | kNlmFAck | (cli.cmd == Cmd::kCreate ? kNlmFExcl : 0);
  nl::MsgBuilder& b = s.request();
  b.begin_nfmsg(kNfnlSubsysCtnetlink, kCtMsgNew, kNlmFRequest | flags, s.sock().next_seq(), cli.family);
  for (ct::Dir d : {ct::kDirOrig, ct::kDirRepl, ct::kDirMaster})
    if (ct::tuple_given(t, d)) ct::put_tuple(b, t, d);
  ct::put_flow_meta(b, t);
  b.end_msg();
  auto fn = [](const NlMsgHdr&, std::span<const uint8_t>) { return int{nl::kCbOk}; };
  int r = s.talk(fn);
  if (r >= 0) counter = 1;
  return r < 0 ? r : 0;
}

namespace {

// Walks a dump and hands every entry the filter accepts to `fn`.  The
// dump is received on a helper thread (a ring of 8 datagrams), so the
// kernel produces the next entries while this thread's deletes or updates
// are processed by the kernel on the other socket: memory stays at the
// ring plus one batch, whatever the table size.
// With a KernelDumpFilter whose tuple part the kernel refuses, the dump
// is repeated once without it.
template <class Fn>
int for_each_dumped(Session& s, const Cli& cli, ct::KernelDumpFilter* kf, uint8_t family, Fn& fn) {
  ct::build_ct_dump(s.request(), kCtMsgGet, family, s.sock().next_seq(), kf);
  static ct::Flow entry;
  int fatal = 0;
  unsigned seen = 0;
  auto cb = [&](const NlMsgHdr&, std::span<const uint8_t> p) {
    ++seen;
    if (!ct::flow_parse(p, entry)) return int{nl::kCbOk};
    int r = fn(entry);
    if (r < 0) {
      fatal = r;
      return int{nl::kCbStop};
    }
    return int{nl::kCbOk};
  };
  int r = s.talk_dump(cb);
  if (fatal < 0) return fatal;
  if (kf && kf->has_tuples && kernel_filter_rejected(r, seen)) {
    kf->has_tuples = false;
    ct::build_ct_dump(s.request(), kCtMsgGet, cli.family, s.sock().next_seq(), kf);
    r = s.talk_dump(cb);
    if (fatal < 0) return fatal;
  }
  return r;
}

// What -D and -U print for an entry: the default or XML line without
// labels or kernel timestamps, or the save line.
ct::PrintOpts modify_print_opts(const Cli& cli, char save_prefix, bool labels) {
  ct::PrintOpts po = cli.print;
  po.ktimestamp = false;
  if (!labels) po.labels = nullptr;
  po.save_prefix = save_prefix;
  return po;
}

}  // namespace

int cmd_delete(Session& s, const Cli& cli, unsigned& counter) {
  // Slots: a static ModifyBatch's destructor would be registered with atexit.
  static base::StaticSlot<ModifyBatch> batch_slot;
  ModifyBatch& batch = batch_slot.construct(ModifyBatch::Kind::kDelete, nullptr, nullptr);
  if (batch.open() < 0) exit_error(kOtherProblem, "Can't open handler");
  ct::KernelDumpFilter kf;
  kf.has_mark = cli.filter.kernel_mark;
  kf.mark = cli.filter.kernel_mark_value;
  kf.mark_mask = cli.filter.kernel_mark_mask;
  uint8_t family = cli.family;
  kernel_filter_plan(s, cli, kf, family);
  ct::PrintOpts po = modify_print_opts(cli, 'D', false);
  base::LineBuf<1024> line;
  auto fn = [&](const ct::Flow& e) {
    if (!ct::filter_match(cli.filter, e)) return 0;
    line.clear();
    ct::flow_print(line, e, po, ct::MsgKind::kList, base::wall_clock_ns());
    return batch.add_delete(e, line.view());
  };
  int r = for_each_dumped(s, cli, &kf, family, fn);
  int f = batch.flush();
  counter = batch.done();
  return r < 0 ? r : f;
}

namespace {

// -U's new object (upstream: orig tuple of the entry, the template's meta
// fields, then mark, status and labels derived from the entry).
struct UpdateBuilder {
  const Cli* cli_ = nullptr;
  ct::Flow tmp;
  uint32_t labels[ct::LabelSet::kBits / 32];
  uint32_t labels_mask[ct::LabelSet::kBits / 32];

  // Fields copied from the entry (libnetfilter_conntrack NFCT_CP_ORIG).
  static constexpr F kOrigFields[] = {F::kOrigSrc, F::kOrigDst, F::kOrigPortSrc, F::kOrigPortDst,
                                      F::kOrigIcmpType, F::kOrigIcmpCode, F::kOrigIcmpId,
                                      F::kOrigL3, F::kOrigL4};

  void build(const ct::Flow& e) {
    const Cli& cli = *cli_;
    const ct::Flow& t = cli.filter.tmpl;
    tmp = t;  // the template's meta fields (NFCT_CP_META) ...
    // ... minus its tuples, replaced by the entry's original tuple.
    for (unsigned i = 0; i < 30; ++i) {
      F f = static_cast<F>(i);
      if (f == F::kOrigZone || f == F::kReplZone) continue;  // meta in libnetfilter_conntrack
      tmp.set.clear(f);
    }
    tmp.tuple[ct::kDirOrig].l3 = e.orig().l3;
    tmp.tuple[ct::kDirOrig].l4 = e.orig().l4;
    tmp.tuple[ct::kDirOrig].src = e.orig().src;
    tmp.tuple[ct::kDirOrig].dst = e.orig().dst;
    tmp.tuple[ct::kDirOrig].sport = e.orig().sport;
    tmp.tuple[ct::kDirOrig].dport = e.orig().dport;
    tmp.tuple[ct::kDirOrig].icmp_type = e.orig().icmp_type;
    tmp.tuple[ct::kDirOrig].icmp_code = e.orig().icmp_code;
    tmp.tuple[ct::kDirOrig].icmp_id = e.orig().icmp_id;
    for (F f : kOrigFields)
      if (e.has(f)) tmp.set.set(f);
    tmp.family = e.family;
    if (cli.options & kOptMark) {
      tmp.mark = (e.mark & ~cli.mark_mask) ^ cli.mark_value;
      tmp.set.set(F::kMark);
    }
    if (cli.options & kOptStatus) {
      tmp.status = e.status | t.status;
      tmp.set.set(F::kStatus);
    }
    build_labels(e);
  }

  void build_labels(const ct::Flow& e) {
    const Cli& cli = *cli_;
    tmp.set.clear(F::kLabels);
    tmp.set.clear(F::kLabelsMask);
    if ((cli.options & (kOptAddLabel | kOptDelLabel)) == 0) return;
    const ct::LabelSet& mod = cli.label_modify;
    std::memset(labels, 0, sizeof labels);
    std::memset(labels_mask, 0, sizeof labels_mask);
    unsigned len = e.has(F::kLabels) ? e.labels_len : 0;
    if (len > sizeof labels) len = sizeof labels;
    if (len) std::memcpy(labels, e.labels, len);
    auto test = [](const uint32_t* w, unsigned bit) { return (w[bit / 32] >> (bit % 32)) & 1; };
    if (cli.options & kOptAddLabel) {
      if (len == 0) {
        set_labels(mod.bytes(), mod.byte_len(), nullptr, 0);
        return;
      }
      // Send a bitmap as long as the kernel's (shorter would clear the
      // rest), with the old bits zero in both labels and mask (kept).
      for (unsigned i = 0; i < len * 8; ++i) {
        if (mod.test(i)) {
          labels[i / 32] |= 1u << (i % 32);
          labels_mask[i / 32] |= 1u << (i % 32);
        } else if (test(labels, i)) {
          labels[i / 32] &= ~(1u << (i % 32));
        }
      }
      set_labels(reinterpret_cast<uint8_t*>(labels), len, reinterpret_cast<uint8_t*>(labels_mask), len);
      return;
    }
    if (len == 0) return;  // --label-del on an entry without labels
    if (!cli.label_modify_set) {
      // Bare --label-del: an empty bitmap clears everything.
      std::memset(labels, 0, 4);
      set_labels(reinterpret_cast<uint8_t*>(labels), 4, nullptr, 0);
      return;
    }
    for (unsigned i = 0; i < len * 8; ++i)
      if (mod.test(i)) labels[i / 32] &= ~(1u << (i % 32));
    set_labels(reinterpret_cast<uint8_t*>(labels), len, mod.bytes(), mod.byte_len());
  }

  void set_labels(const uint8_t* l, unsigned llen, const uint8_t* m, unsigned mlen) {
    tmp.labels = l;
    tmp.labels_len = static_cast<uint16_t>(llen);
    tmp.set.set(F::kLabels);
    if (m) {
      tmp.labels_mask = m;
      tmp.labels_mask_len = static_cast<uint16_t>(mlen);
      tmp.set.set(F::kLabelsMask);
    }
  }
};

struct UpdatePrintCtx {
  ct::PrintOpts po;
};

void print_updated(const ct::Flow& now, base::OutBuf& line, void* ctx) {
  const UpdatePrintCtx* c = static_cast<const UpdatePrintCtx*>(ctx);
  ct::flow_print(line, now, c->po, ct::MsgKind::kList, base::wall_clock_ns());
}

}  // namespace

int cmd_update(Session& s, const Cli& cli, unsigned& counter) {
  static UpdatePrintCtx pctx;
  pctx.po = modify_print_opts(cli, 'A', true);
  static base::StaticSlot<ModifyBatch> batch_slot;
  ModifyBatch& batch = batch_slot.construct(ModifyBatch::Kind::kUpdate, print_updated, &pctx);
  if (batch.open() < 0) exit_error(kOtherProblem, "Can't open handler");
  static UpdateBuilder ub;
  ub.cli_ = &cli;
  auto fn = [&](const ct::Flow& e) {
    if (!ct::filter_match_update(cli.filter, e)) return 0;
    ub.build(e);
    // Nothing to change: upstream sends nothing and does not count it.
    if (ct::flow_cmp(ub.tmp, e, ct::kCmpAll | ct::kCmpMask)) return 0;
    batch.set_skip_enospc((cli.options & (kOptAddLabel | kOptDelLabel)) && !e.has(F::kLabels));
    return batch.add_update(ub.tmp, e.orig().l3);
  };
  int r = for_each_dumped(s, cli, nullptr, cli.family, fn);
  int f = batch.flush();
  counter = batch.done();
  return r < 0 ? r : f;
}

}  // namespace conntrack
