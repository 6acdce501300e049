#include "netlink/dump_pipeline.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include "base/futex_sem.h"
#include "base/thread.h"

namespace nl {
namespace {

// Slots shared by all receivers.  A dump datagram is at most 32 KiB (the
// kernel sizes dump skbs from the reader's buffer, capped below 32 KiB).
// Enough slots that the receivers keep going through a scheduler time
// slice in which the walker does not run (two dumps and the walker share
// two cores): 64 slots are ~8 ms of dump output.  Free slots are reused
// newest first, so memory is touched only as deep as the ring ever fills.
constexpr unsigned kRing = 64;
constexpr size_t kBufSize = 32768;

struct Slot {
  alignas(8) uint8_t data[kBufSize];
  ssize_t len;   // bytes, or -errno
  uint8_t dump;  // which dump (index into the caller's arrays) it holds
};

// Free slots are a stack, full ones a FIFO: each receiver pushes its own
// datagrams in order, so every dump is walked in the order it arrived.
struct Ring {
  Slot slots[kRing];
  base::FutexSem free_slots;
  base::FutexSem full_slots;
  base::FutexLock mu;
  uint8_t free_stack[kRing];
  unsigned nfree = 0;
  uint8_t fifo[kRing];
  unsigned head = 0, count = 0;
  std::atomic<bool> abort{false};

  void reset() {
    for (unsigned i = 0; i < kRing; i++) free_stack[i] = static_cast<uint8_t>(i);
    nfree = kRing;
    head = count = 0;
    abort.store(false);
  }
  unsigned take_free() {
    mu.lock();
    unsigned i = free_stack[--nfree];
    mu.unlock();
    return i;
  }
  void give_free(unsigned i) {
    mu.lock();
    free_stack[nfree++] = static_cast<uint8_t>(i);
    mu.unlock();
    free_slots.post();
  }
  void push_full(unsigned i) {
    mu.lock();
    fifo[(head + count) % kRing] = static_cast<uint8_t>(i);
    count++;
    mu.unlock();
    full_slots.post();
  }
  unsigned pop_full() {
    full_slots.wait();
    mu.lock();
    unsigned i = fifo[head];
    head = (head + 1) % kRing;
    count--;
    mu.unlock();
    return i;
  }
};

Ring g_ring;

// True if this datagram ends the exchange: NLMSG_DONE, an error/ack, or
// an overrun.  Malformed datagrams end it too (the walker reports them),
// by exactly walk_datagram's rules.
bool ends_exchange(const uint8_t* p, size_t len, uint32_t seq, uint32_t portid) {
  while (len >= sizeof(uapi::NlMsgHdr)) {
    uapi::NlMsgHdr h;
    std::memcpy(&h, p, sizeof h);
    if (h.len < sizeof h || h.len > len) return true;
    if (h.seq == seq && h.pid == portid &&
        (h.type == uapi::kNlmsgDone || h.type == uapi::kNlmsgError || h.type == uapi::kNlmsgOverrun))
      return true;
    size_t step = uapi::nl_align(h.len);
    if (step >= len) return false;
    p += step;
    len -= step;
  }
  // A tail too short for a header is malformed too: walk_datagram fails
  // on it, and a receiver that went on waiting for more of a dump the
  // walker had given up would wait forever.
  return len != 0;
}

struct Receiver {
  Ring* ring;
  Socket* sock;
  uint32_t seq, portid;
  uint8_t index;
  bool started;
  base::Thread th;
};
Receiver g_recv[kMaxDumps];

// Runs on a base::Thread: plain system calls only (recvmsg, futex).
void receiver(void* arg) {
  Receiver* a = static_cast<Receiver*>(arg);
  Ring& r = *a->ring;
  for (;;) {
    r.free_slots.wait();
    // An abort wake-up is not a free slot: leave without taking one.
    if (r.abort.load(std::memory_order_acquire)) return;
    unsigned i = r.take_free();
    Slot& s = r.slots[i];
    s.dump = a->index;
    s.len = a->sock->recv(s.data, sizeof s.data);
    bool last = s.len <= 0 || ends_exchange(s.data, static_cast<size_t>(s.len), a->seq, a->portid);
    r.push_full(i);
    if (last) return;
  }
}

}  // namespace

int recv_dumps_pipelined(Socket* const* socks, RecvState* sts, unsigned n, MsgFn fn, void* ctx) {
  if (n == 0) return 0;
  if (n > kMaxDumps) return -EINVAL;
  Ring& r = g_ring;
  r.reset();
  r.free_slots.reset(kRing);
  r.full_slots.reset(0);
  unsigned running = 0;
  for (unsigned d = 0; d < n; d++) {
    Receiver& rc = g_recv[d];
    rc.ring = &r;
    rc.sock = socks[d];
    rc.seq = sts[d].seq;
    rc.portid = sts[d].portid;
    rc.index = static_cast<uint8_t>(d);
    rc.started = rc.th.start(receiver, &rc);
    if (rc.started) running++;
  }
  int result = 0;
  while (running > 0) {
    unsigned i = r.pop_full();
    Slot& slot = r.slots[i];
    int w = slot.len < 0 ? static_cast<int>(slot.len)
                         : walk_datagram({slot.data, static_cast<size_t>(slot.len)},
                                         sts[slot.dump], fn, ctx);
    r.give_free(i);
    if (w < 0) {
      result = w;
      break;
    }
    if (w == 0) running--;  // that dump is complete (or its callback stopped it)
  }
  // Receivers stop by themselves after their last datagram.  After an
  // error the others see the abort flag the next time they wait for a
  // slot; a recv one is in meanwhile returns with its dump's next
  // datagram, which the kernel keeps producing.
  r.abort.store(true, std::memory_order_release);
  for (unsigned d = 0; d < n; d++) r.free_slots.post();
  for (unsigned d = 0; d < n; d++)
    if (g_recv[d].started) g_recv[d].th.join();
  // A dump whose thread could not start is received here, after the others.
  for (unsigned d = 0; d < n && result == 0; d++) {
    if (g_recv[d].started) continue;
    static uint8_t buf[kBufSize];
    int w = recv_until_done(*socks[d], buf, sizeof buf, sts[d], fn, ctx);
    if (w < 0) result = w;
  }
  return result;
}

int recv_dump_pipelined(Socket& s, RecvState& st, MsgFn fn, void* ctx) {
  Socket* socks[1] = {&s};
  return recv_dumps_pipelined(socks, &st, 1, fn, ctx);
}

}  // namespace nl
