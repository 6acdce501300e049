#include "conntrackd/sync/sync_engine.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <sys/eventfd.h>
#include <unistd.h>

#include "conntrackd/daemon.h"
#include "conntrackd/sync/sync_auth.h"

namespace ctd {

using namespace ctsync;

SyncEngine::SyncEngine(Daemon& d) : d_(d) {}

SyncEngine::~SyncEngine() { close(); }

const Config& SyncEngine::cfg() const { return d_.config(); }
FlowCache& SyncEngine::internal() { return d_.internal(); }

void SyncEngine::on_erase(void* ctx, uint32_t ref) {
  static_cast<SyncEngine*>(ctx)->dequeue(ref, false);
}

void SyncEngine::on_exp_erase(void* ctx, uint32_t ref) {
  static_cast<SyncEngine*>(ctx)->dequeue(exp_qref(ref), false);
}

void SyncEngine::dequeue(uint32_t ref, bool release) {
  switch (nodes_->where(ref)) {
    case SyncQ::kTx: txq_->remove(ref); break;
    case SyncQ::kRs: rsq_->remove(ref); break;
    case SyncQ::kNone: break;
  }
  if (is_ctl_ref(ref)) {
    nodes_->ctl_free(ref);
    return;
  }
  if (release) release_if_dead(ref);
}

void SyncEngine::release_if_dead(uint32_t ref) {
  if (nodes_->obj_state(ref) != ObjState::kDead) return;
  if (is_exp_ref(ref)) nodes_->exps()->erase(exp_cache_ref(ref));
  else d_.internal().erase(ref);
}

int SyncEngine::open(EventLoop& loop, ExternalHandler* ext) {
  loop_ = &loop;
  ext_ = ext;
  stream_ = d_.config().channel_proto == ChannelProto::kTcp;
  ExpectCache* exps = d_.expect_enabled() ? &d_.exp_internal() : nullptr;
  nodes_ = new SyncNodes(d_.internal(), exps);
  txq_ = new SyncQueue(*nodes_, SyncQ::kTx, 0x7fffffffu);  // upstream: INT_MAX
  rsq_ = new SyncQueue(*nodes_, SyncQ::kRs, d_.config().resend_queue_size);
  mode_ = sync_mode_create(*this);
  d_.internal().set_erase_hook(&SyncEngine::on_erase, this);
  if (exps) exps->set_erase_hook(&SyncEngine::on_exp_erase, this);
  ChannelReceiver* rx = this;
  if (d_.config().auth_key_file[0]) {
    auth_ = new SyncAuth(d_, *this, stream_);
    if (auth_->open() < 0) return -1;
    channels_.set_sealer(auth_);
    rx = auth_;
  }
  if (channels_.open(d_, loop, *rx) < 0) return -1;
  compact_.open(ext, d_.config().external_cache_disable ? nullptr : &d_.external());
  kick_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (kick_fd_ < 0 || idle_timer_.open() < 0 || tick_timer_.open() < 0) {
    d_.log(kLogErr, "can't create file descriptor pool");
    return -1;
  }
  loop.watch<&SyncEngine::on_kick>(kick_fd_, this);
  loop.watch<&SyncEngine::on_idle_timer>(idle_timer_.fd(), this);
  loop.watch<&SyncEngine::on_tick_timer>(tick_timer_.fd(), this);
  if (mode_->has_idle_timer()) idle_timer_.arm(1000);
  tick_timer_.arm(1000, 1000);
  return 0;
}

void SyncEngine::close() {
  if (loop_) {
    if (kick_fd_ >= 0) loop_->unwatch(kick_fd_);
    if (idle_timer_.fd() >= 0) loop_->unwatch(idle_timer_.fd());
    if (tick_timer_.fd() >= 0) loop_->unwatch(tick_timer_.fd());
    loop_ = nullptr;
  }
  channels_.close();
  delete auth_;
  auth_ = nullptr;
  if (kick_fd_ >= 0) ::close(kick_fd_);
  kick_fd_ = -1;
  if (mode_) {
    d_.internal().set_erase_hook(nullptr, nullptr);
    if (nodes_ && nodes_->exps()) nodes_->exps()->set_erase_hook(nullptr, nullptr);
  }
  delete mode_;
  delete txq_;
  delete rsq_;
  rsq_ = nullptr;
  delete nodes_;
  mode_ = nullptr;
  txq_ = nullptr;
  nodes_ = nullptr;
}

// ---- transmit ---------------------------------------------------------------

void SyncEngine::kick() {
  if (kicked_ || kick_fd_ < 0) return;
  uint64_t one = 1;
  if (write(kick_fd_, &one, sizeof one) == static_cast<ssize_t>(sizeof one)) kicked_ = true;
}

void SyncEngine::on_kick(uint32_t) {
  uint64_t n;
  if (read(kick_fd_, &n, sizeof n) < 0 && errno != EAGAIN) return;
  kicked_ = false;
  const bool more = mode_->tx_pass(kTxBudget);
  compact_.close_packet();
  channels_.flush();
  // upstream re-arms the alive alarm after every transmit pass.
  if (mode_->has_idle_timer()) idle_timer_.arm(1000);
  if (more) kick();
}

void SyncEngine::on_idle_timer(uint32_t) {
  idle_timer_.ack();
  mode_->idle();
  idle_timer_.arm(1000);
}

void SyncEngine::on_tick_timer(uint32_t) {
  tick_timer_.ack();
  mode_->tick(Daemon::now());
  compact_.tick(Daemon::now());
}

uint32_t SyncEngine::next_seq() {
  // upstream: one counter per daemon, starting at time(NULL) with the
  // first message.
  if (!seq_started_) {
    seq_ = static_cast<uint32_t>(time(nullptr));
    seq_started_ = true;
  }
  return seq_++;
}

EncodeOpts SyncEngine::encode_opts() const {
  EncodeOpts o;
  o.send_timeout = cfg().commit_timeout == 0;
  o.tcp_window_tracking = cfg().tcp_window_tracking;
  return o;
}

uint32_t SyncEngine::send_encoded(size_t len, uint8_t flags) {
  compact_.close_packet();  // its sequence number comes first
  if (len == 0) {
    net_.send_malformed++;
    return 0;
  }
  const std::span<uint8_t> m(msg_, len);
  const uint32_t seq = next_seq();
  msg_or_flags(m, flags);
  msg_set_seq(m, seq);
  channels_.send(m);
  return seq;
}

uint32_t SyncEngine::send_flow_msg(const ct::Flow& f, uint8_t type, uint8_t flags) {
  return send_encoded(encode_ct(std::span<uint8_t>(msg_, sizeof msg_), type, f, encode_opts()), flags);
}

uint32_t SyncEngine::send_flow(uint32_t ref, uint8_t flags) {
  if (compact_.sending()) return compact_.add_flow(ref, flags);
  compact_.sent_v1(ref);
  FlowCache& c = d_.internal();
  c.to_flow(ref, &flow_);
  uint8_t type = kMsgCtUpd;
  switch (c.header(ref).obj) {
    case ObjState::kNew: type = kMsgCtNew; break;
    case ObjState::kDead: type = kMsgCtDel; break;
    default: break;
  }
  return send_flow_msg(flow_, type, flags);
}

uint32_t SyncEngine::send_exp(uint32_t cref, uint8_t flags) {
  ExpectCache& c = *nodes_->exps();
  c.to_expect(cref, &exp_);
  uint8_t type = kMsgExpUpd;
  switch (c.header(cref).obj) {
    case ObjState::kNew: type = kMsgExpNew; break;
    case ObjState::kDead: type = kMsgExpDel; break;
    default: break;
  }
  return send_encoded(encode_exp(std::span<uint8_t>(msg_, sizeof msg_), type, exp_, encode_opts()), flags);
}

uint32_t SyncEngine::send_object(uint32_t ref, uint8_t flags) {
  return is_exp_ref(ref) ? send_exp(exp_cache_ref(ref), flags) : send_flow(ref, flags);
}

uint32_t SyncEngine::send_ctl(uint8_t flags, uint32_t from, uint32_t to) {
  std::span<uint8_t> out(msg_, sizeof msg_);
  const size_t len = encode_ctl(out, flags, from, to);
  if (len == 0) return 0;
  compact_.close_packet();
  const uint32_t seq = next_seq();
  msg_set_seq(out.first(len), seq);
  channels_.send(out.first(len));
  return seq;
}

void SyncEngine::send_event(const ct::Flow& f, uint8_t type) {
  // Into the channel buffer only, as upstream's internal bypass: it goes
  // out with the next transmit pass (at the latest the 1 s ALIVE).
  send_flow_msg(f, type, 0);
}

void SyncEngine::bulk_from_kernel() {
  d_.bulk_from_kernel();
  channels_.flush();
}

void SyncEngine::local_changed(uint32_t ref) {
  mode_->local_changed(ref);
  kick();
}

void SyncEngine::bulk() {
  mode_->bulk();
  kick();
}

void SyncEngine::request_resync() {
  mode_->request_resync();
  kick();
}

// ---- receive ----------------------------------------------------------------

SeqTrack SyncEngine::track_seq(uint32_t seq, uint32_t* exp) {
  *exp = last_seq_recv_ + 1;
  if (!seq_set_) return SeqTrack::kUnset;
  if (seq == *exp) return SeqTrack::kInSync;
  // upstream tests "after" first, as exp - seq < 0: a seq exactly 2^31
  // ahead counts as after (seq - exp > 0 would call it before).
  if (static_cast<int32_t>(*exp - seq) < 0) {
    // upstream's arithmetic, kept: the gap plus two
    net_.lost += static_cast<uint64_t>(seq - last_seq_recv_ + 1);
    return SeqTrack::kAfter;
  }
  net_.before++;
  return SeqTrack::kBefore;
}

void SyncEngine::update_seq(uint32_t seq) {
  seq_set_ = true;
  last_seq_recv_ = seq;
}

size_t SyncEngine::on_channel_data(unsigned channel, std::span<const uint8_t> data) {
  size_t off = 0;
  MsgView m;
  if (ext_) rx_.prepare(data, stream_, compact_.accepts_v2(), *ext_);
  while (off < data.size()) {
    const size_t at = off;
    const WalkResult r = next_message(data, &off, &m, stream_, compact_.accepts_v2());
    if (r == WalkResult::kIncomplete) {
      off = at;  // a stream channel keeps the tail for the next read
      break;
    }
    if (r == WalkResult::kStop) {
      count_drop(m.reason);
      off = data.size();
      break;
    }
    if (r == WalkResult::kSkip) {
      count_drop(m.reason);
      continue;
    }
    handle_message(channel, m);
  }
  rx_.clear();
  compact_.flush_need();
  return off;
}

void SyncEngine::count_drop(DropReason r) {
  const unsigned i = static_cast<unsigned>(r);
  if (i < NetworkCounters::kReasons) net_.by_reason[i]++;
  net_.malformed++;
  switch (upstream_counter(r)) {
    case UpstreamCounter::kTruncated: net_.truncated++; break;
    case UpstreamCounter::kBadSize: net_.bad_size++; break;
    case UpstreamCounter::kBadVersion: net_.bad_version++; break;
    case UpstreamCounter::kBadType: net_.bad_type++; break;
    case UpstreamCounter::kBadHeader: net_.bad_header++; break;
    case UpstreamCounter::kBadPayload: net_.bad_payload++; break;
    case UpstreamCounter::kNone: net_.malformed--; break;
  }
}

void SyncEngine::handle_message(unsigned channel, const MsgView& m) {
  if (m.version == kVersion2 && m.type != kV2Data) {
    // OFFER and NEED stand outside the sequence space and the modes.
    if (m.type > kV2TypeMax) {
      count_drop(DropReason::kBadType);
      return;
    }
    channels_.mark_receiving(channel);
    compact_.on_control(m);
    return;
  }
  switch (mode_->recv(m)) {
    case RecvResult::kData:
      channels_.mark_receiving(channel);
      break;
    case RecvResult::kCtl:
      channels_.mark_receiving(channel);
      return;
    case RecvResult::kBad:
      count_drop(DropReason::kBadHeader);
      return;
    case RecvResult::kDrop:
      return;
  }
  if (m.type > kMsgExpDel) {
    count_drop(DropReason::kBadType);
    return;
  }
  apply(m);
  kick();  // the mode may have queued an ACK or NACK
}

void SyncEngine::apply(const MsgView& m) {
  if (!ext_) return;
  if (m.version == kVersion2) {
    compact_.apply(m);
    return;
  }
  if (m.type <= kMsgCtDel) {
    const RxBatch::Slot* s = rx_.take(m);
    const DropReason r = s ? s->result : decode_ct(m, &flow_, &scratch_);
    if (r != DropReason::kNone) {
      count_drop(r);
      return;
    }
    const ct::Flow& f = s ? s->flow : flow_;
    if (m.type == kMsgCtNew) ext_->ct_new(f);
    else if (m.type == kMsgCtUpd) ext_->ct_upd(f);
    else ext_->ct_del(f);
    return;
  }
  const DropReason r = decode_exp(m, &exp_, &scratch_);
  if (r != DropReason::kNone) {
    count_drop(r);
    return;
  }
  if (m.type == kMsgExpNew) ext_->exp_new(exp_);
  else if (m.type == kMsgExpUpd) ext_->exp_upd(exp_);
  else ext_->exp_del(exp_);
}

void SyncEngine::reload_auth() {
  if (auth_) auth_->reload();
}

void SyncEngine::fill_stats(SyncStats* s) const {
  s->net = net_;
  compact_.fill(&s->net.compact);
  if (auth_) s->auth = auth_->counters();
  channels_.fill_stats(s);
  mode_->fill_stats(s);
  // upstream's queue stats: its allocated nodes are the control messages
  // and the TCP error queue's held messages (queue_object_new counts both).
  uint32_t errq_len = 0, errq_drops = 0;
  channels_.error_queue_stats(&errq_len, &errq_drops);
  s->queue_nodes = nodes_->ctl_used() + errq_len;
  for (unsigned i = 0; i < s->nqueues && i < kMaxStatsQueues; i++) {
    QueueInfo& q = s->queues[i];
    const SyncQueue* src = nullptr;
    if (std::strcmp(q.name, "txqueue") == 0) src = txq_;
    else if (std::strcmp(q.name, "rsqueue") == 0) src = rsq_;
    else if (std::strcmp(q.name, "errorq") == 0) channels_.error_queue_stats(&q.current, &q.no_space);
    if (!src) continue;
    q.current = src->size();
    q.no_space = src->no_space();
  }
}

}  // namespace ctd
