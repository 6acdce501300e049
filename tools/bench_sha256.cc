// bench_sha256: what one authenticated sync packet costs to tag, by
// backend, so the AUTH=1 figures of tools/bench_sync.sh can be explained.
// For each of SHA-256 (portable, SHA extensions) and HMAC-SHA256 (built in
// portable, built in with SHA extensions, the kernel's through AF_ALG) it
// tags the same packet-sized buffer repeatedly and prints one line:
//   <what> bytes=B iterations=I ns/packet=T MB/s=M
// A backend this machine lacks (no SHA-NI, no AF_ALG hash) is reported as
// "unavailable" instead.  Times are this thread's CPU time, not wall
// time, so other load on the machine (it is shared) distorts them less;
// the kernel backend's CPU time includes its two syscalls per packet.
//   bench_sha256 [-b BYTES (1456: a 1500-MTU UDP packet's covered bytes)]
//                [-t SECONDS per line (0.5)]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <unistd.h>

#include "crypto/hmac.h"
#include "crypto/sha256.h"

namespace {

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

uint8_t g_data[65536];
uint8_t g_sink;  // keeps the compiler from dropping the work

void report(const char* what, size_t bytes, uint64_t iters, double secs) {
  const double ns = secs * 1e9 / static_cast<double>(iters);
  const double mbs = static_cast<double>(bytes) * static_cast<double>(iters) / secs / 1e6;
  std::printf("%-26s bytes=%zu iterations=%llu ns/packet=%.0f MB/s=%.0f\n", what, bytes,
              static_cast<unsigned long long>(iters), ns, mbs);
}

// Runs `op` in batches of 256 until `budget` seconds have passed.
template <typename Op>
void timed(const char* what, size_t bytes, double budget, Op op) {
  uint64_t iters = 0;
  const double t0 = now_s();
  double t = t0;
  while (t - t0 < budget) {
    for (unsigned i = 0; i < 256; i++) op();
    iters += 256;
    t = now_s();
  }
  report(what, bytes, iters, t - t0);
}

void sha256_line(const char* what, size_t bytes, double budget) {
  timed(what, bytes, budget, [&] {
    crypto::Sha256 s;
    s.update({g_data, bytes});
    uint8_t out[crypto::kSha256Len];
    s.final(out);
    g_sink ^= out[0];
  });
}

void hmac_line(const char* what, crypto::HmacBackend backend, size_t bytes, double budget) {
  static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  crypto::HmacSha256 h;
  if (h.set_key(key, backend) < 0) {
    std::printf("%-26s unavailable\n", what);
    return;
  }
  timed(what, bytes, budget, [&] {
    uint8_t tag[16];
    if (h.mac({g_data, bytes}, tag, sizeof tag) == 0) g_sink ^= tag[0];
  });
}

// Two packets per call (HmacSha256::mac_pair); ns per packet.
void hmac_pair_line(const char* what, size_t bytes, double budget) {
  crypto::HmacSha256 h;
  static const uint8_t key[32] = {7};
  if (h.set_key(key, crypto::HmacBackend::kSoft) < 0) return;
  uint64_t iters = 0;
  const double t0 = now_s();
  double t = t0;
  while (t - t0 < budget) {
    for (unsigned i = 0; i < 128; i++) {
      uint8_t ta[16], tb[16];
      if (h.mac_pair({g_data, bytes}, ta, {g_data + 64, bytes}, tb, sizeof ta) == 0) g_sink ^= ta[0] ^ tb[0];
    }
    iters += 256;
    t = now_s();
  }
  report(what, bytes, iters, t - t0);
}

}  // namespace

int main(int argc, char** argv) {
  size_t bytes = 1456;
  double budget = 0.5;
  int opt;
  while ((opt = getopt(argc, argv, "b:t:")) != -1) {
    if (opt == 'b') {
      bytes = strtoul(optarg, nullptr, 10);
    } else if (opt == 't') {
      budget = strtod(optarg, nullptr);
    } else {
      std::fprintf(stderr, "usage: bench_sha256 [-b BYTES] [-t SECONDS]\n");
      return 2;
    }
  }
  if (bytes == 0 || bytes > sizeof g_data || !(budget > 0)) {
    std::fprintf(stderr, "bench_sha256: -b 1..%zu, -t > 0\n", sizeof g_data);
    return 2;
  }
  for (size_t i = 0; i < bytes; i++) g_data[i] = static_cast<uint8_t>(i * 31 + 7);
  const bool has_ni = crypto::sha256_set_accelerated(true);
  std::printf("SHA extensions (CPUID): %s\n", has_ni ? "yes" : "no");

  crypto::sha256_set_accelerated(false);
  sha256_line("sha256 portable", bytes, budget);
  hmac_line("hmac built-in portable", crypto::HmacBackend::kSoft, bytes, budget);
  if (crypto::sha256_set_accelerated(true)) {
    sha256_line("sha256 sha-ni", bytes, budget);
    hmac_line("hmac built-in sha-ni", crypto::HmacBackend::kSoft, bytes, budget);
    hmac_pair_line("hmac sha-ni, 2 at once", bytes, budget);
  } else {
    std::printf("%-26s unavailable\n%-26s unavailable\n", "sha256 sha-ni", "hmac built-in sha-ni");
  }
  hmac_line("hmac kernel (AF_ALG)", crypto::HmacBackend::kKernel, bytes, budget);
  return g_sink == 0x5a ? 0 : 0;  // g_sink read so its updates stay
}
