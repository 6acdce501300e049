#include "netlink/dump_pipeline.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <pthread.h>
#include <semaphore.h>

namespace nl {
namespace {

constexpr unsigned kRing = 8;
constexpr size_t kBufSize = 65536;

struct Slot {
  alignas(8) uint8_t data[kBufSize];
  ssize_t len;  // bytes, or -errno
};

struct Ring {
  Socket* sock;
  Slot slots[kRing];
  sem_t free_slots;
  sem_t full_slots;
  std::atomic<bool> abort{false};
};

Ring g_ring;

// True if this datagram ends the exchange: NLMSG_DONE, an error/ack, or
// an overrun.  Malformed datagrams end it too (the walker reports them).
bool ends_exchange(const uint8_t* p, size_t len, uint32_t seq, uint32_t portid) {
  while (len >= sizeof(uapi::NlMsgHdr)) {
    uapi::NlMsgHdr h;
    std::memcpy(&h, p, sizeof h);
    if (h.len < sizeof h || h.len > len) return true;
    if (h.seq == seq && h.pid == portid &&
        (h.type == uapi::kNlmsgDone || h.type == uapi::kNlmsgError || h.type == uapi::kNlmsgOverrun))
      return true;
    size_t step = uapi::nl_align(h.len);
    if (step >= len) break;
    p += step;
    len -= step;
  }
  return false;
}

struct ReceiverArgs {
  Ring* ring;
  uint32_t seq, portid;
};
ReceiverArgs g_args;

void* receiver(void* arg) {
  ReceiverArgs* a = static_cast<ReceiverArgs*>(arg);
  Ring& r = *a->ring;
  for (unsigned i = 0;; i = (i + 1) % kRing) {
    while (sem_wait(&r.free_slots) != 0) {}
    if (r.abort.load(std::memory_order_acquire)) return nullptr;
    Slot& s = r.slots[i];
    s.len = r.sock->recv(s.data, sizeof s.data);
    bool last = s.len <= 0 || ends_exchange(s.data, static_cast<size_t>(s.len), a->seq, a->portid);
    sem_post(&r.full_slots);
    if (last) return nullptr;
  }
}

}  // namespace

int recv_dump_pipelined(Socket& s, RecvState& st, MsgFn fn, void* ctx) {
  Ring& r = g_ring;
  r.sock = &s;
  r.abort.store(false);
  sem_init(&r.free_slots, 0, kRing);
  sem_init(&r.full_slots, 0, 0);
  g_args = ReceiverArgs{&r, st.seq, st.portid};
  pthread_t th;
  if (pthread_create(&th, nullptr, receiver, &g_args) != 0) {
    sem_destroy(&r.free_slots);
    sem_destroy(&r.full_slots);
    static uint8_t buf[kBufSize];
    return recv_until_done(s, buf, sizeof buf, st, fn, ctx);
  }
  int result = 0;
  for (unsigned i = 0;; i = (i + 1) % kRing) {
    while (sem_wait(&r.full_slots) != 0) {}
    Slot& slot = r.slots[i];
    int w = slot.len < 0 ? static_cast<int>(slot.len)
                         : walk_datagram({slot.data, static_cast<size_t>(slot.len)}, st, fn, ctx);
    sem_post(&r.free_slots);
    if (w <= 0) {
      result = w;
      break;
    }
  }
  // The receiver stops by itself after the last datagram.  If we stopped
  // early (a callback said stop, or an error), it sees the abort flag the
  // next time it waits for a slot; a recv it is in meanwhile returns with
  // the dump's next datagram, which the kernel keeps producing.
  r.abort.store(true, std::memory_order_release);
  sem_post(&r.free_slots);
  pthread_join(th, nullptr);
  sem_destroy(&r.free_slots);
  sem_destroy(&r.full_slots);
  return result;
}

}  // namespace nl
