#include "crypto/sha256.h"

#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace crypto {

namespace {

constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

inline uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

#if defined(__x86_64__)
// The SHA extensions (Intel SHA-NI, AMD since Zen): four rounds per pair
// of sha256rnds2, the schedule by sha256msg1/msg2.  One hash is a chain of
// dependent sha256rnds2 (about three cycles each), so a second hash
// interleaved with it (blocks_shani_x2) costs almost nothing more.
#define SHANI_INLINE __attribute__((target("sha,sse4.1"), always_inline)) inline

// One hash: its state as the instructions want it (ABEF, CDGH), the state
// at the start of the block, and the block's four schedule vectors.
struct ShaNiLane {
  __m128i s0, s1, save0, save1, m[4];
};

SHANI_INLINE void lane_load(ShaNiLane& l, const uint32_t h[8]) {
  const __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)), 0xB1);
  const __m128i hi = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + 4)), 0x1B);
  l.s0 = _mm_alignr_epi8(tmp, hi, 8);
  l.s1 = _mm_blend_epi16(hi, tmp, 0xF0);
}

SHANI_INLINE void lane_store(const ShaNiLane& l, uint32_t h[8]) {
  const __m128i tmp = _mm_shuffle_epi32(l.s0, 0x1B);
  const __m128i s1 = _mm_shuffle_epi32(l.s1, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_blend_epi16(tmp, s1, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h + 4), _mm_alignr_epi8(s1, tmp, 8));
}

// Rounds 4g to 4g + 3 of the block at p, and the schedule words the
// following groups need.  Called with g unrolled to a constant, so m[]
// stays in registers (as an indexed array the rounds took twice as long).
SHANI_INLINE void lane_group(ShaNiLane& l, unsigned g, const uint8_t* p) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i* m = l.m;
  if (g == 0) {
    l.save0 = l.s0;
    l.save1 = l.s1;
  }
  if (g < 4) m[g] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * g)), bswap);
  __m128i msg = _mm_add_epi32(m[g % 4], _mm_loadu_si128(reinterpret_cast<const __m128i*>(kRound + 4 * g)));
  l.s1 = _mm_sha256rnds2_epu32(l.s1, l.s0, msg);
  if (g >= 3 && g < 15) {
    __m128i& next = m[(g + 1) % 4];
    next = _mm_add_epi32(next, _mm_alignr_epi8(m[g % 4], m[(g + 3) % 4], 4));
    next = _mm_sha256msg2_epu32(next, m[g % 4]);
  }
  msg = _mm_shuffle_epi32(msg, 0x0E);
  l.s0 = _mm_sha256rnds2_epu32(l.s0, l.s1, msg);
  if (g >= 1 && g < 13) m[(g + 3) % 4] = _mm_sha256msg1_epu32(m[(g + 3) % 4], m[g % 4]);
  if (g == 15) {
    l.s0 = _mm_add_epi32(l.s0, l.save0);
    l.s1 = _mm_add_epi32(l.s1, l.save1);
  }
}

__attribute__((target("sha,sse4.1"))) void blocks_shani(uint32_t h[8], const uint8_t* p, size_t n) {
  ShaNiLane a;
  lane_load(a, h);
  for (; n; n--, p += kSha256Block) {
#pragma GCC unroll 16
    for (unsigned g = 0; g < 16; g++) lane_group(a, g, p);
  }
  lane_store(a, h);
}

__attribute__((target("sha,sse4.1"))) void blocks_shani_x2(uint32_t ha[8], const uint8_t* pa, uint32_t hb[8],
                                                            const uint8_t* pb, size_t n) {
  ShaNiLane a, b;
  lane_load(a, ha);
  lane_load(b, hb);
  for (; n; n--, pa += kSha256Block, pb += kSha256Block) {
#pragma GCC unroll 16
    for (unsigned g = 0; g < 16; g++) {
      lane_group(a, g, pa);
      lane_group(b, g, pb);
    }
  }
  lane_store(a, ha);
  lane_store(b, hb);
}

// CPUID directly: clang's __builtin_cpu_supports knows no "sha".
bool cpu_has_sha_ni() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1)) return false;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return (b & (1u << 29)) != 0;  // CPUID.(EAX=7,ECX=0):EBX.SHA
}

bool g_accel = cpu_has_sha_ni();
#else
bool g_accel = false;
#endif

}  // namespace

bool sha256_accelerated() { return g_accel; }

bool sha256_set_accelerated(bool on) {
#if defined(__x86_64__)
  g_accel = on && cpu_has_sha_ni();
#else
  (void)on;
#endif
  return g_accel;
}

void Sha256::reset() {
  static constexpr uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::memcpy(h_, kInit, sizeof h_);
  used_ = 0;
  total_ = 0;
}

void Sha256::blocks(const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  if (g_accel) {
    blocks_shani(h_, p, n);
    return;
  }
#endif
  for (; n; n--, p += kSha256Block) block(p);
}

void Sha256::block(const uint8_t* p) {
  uint32_t w[64];
  for (unsigned i = 0; i < 16; i++) w[i] = load_be32(p + 4 * i);
  for (unsigned i = 16; i < 64; i++) {
    const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
  for (unsigned i = 0; i < 64; i++) {
    const uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[i] + w[i];
    const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
  h_[4] += e;
  h_[5] += f;
  h_[6] += g;
  h_[7] += h;
}

void Sha256::update(std::span<const uint8_t> data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  total_ += n;
  if (used_) {
    const size_t take = n < kSha256Block - used_ ? n : kSha256Block - used_;
    std::memcpy(buf_ + used_, p, take);
    used_ += take;
    p += take;
    n -= take;
    if (used_ < kSha256Block) return;
    blocks(buf_, 1);
    used_ = 0;
  }
  const size_t whole = n / kSha256Block;
  if (whole) blocks(p, whole);
  p += whole * kSha256Block;
  n -= whole * kSha256Block;
  if (n) std::memcpy(buf_, p, n);
  used_ = n;
}

size_t Sha256::pad(uint8_t out[2 * kSha256Block]) const {
  const uint64_t bits = total_ * 8;
  std::memcpy(out, buf_, used_);
  out[used_] = 0x80;
  const size_t n = used_ + 1 > kSha256Block - 8 ? 2 : 1;
  std::memset(out + used_ + 1, 0, n * kSha256Block - 8 - (used_ + 1));
  uint8_t* len = out + n * kSha256Block - 8;
  for (unsigned i = 0; i < 8; i++) len[7 - i] = static_cast<uint8_t>(bits >> (8 * i));
  return n;
}

void Sha256::put_digest(uint8_t out[kSha256Len]) const {
  for (unsigned i = 0; i < 8; i++)
    for (unsigned k = 0; k < 4; k++) out[4 * i + k] = static_cast<uint8_t>(h_[i] >> (24 - 8 * k));
}

void Sha256::final(uint8_t out[kSha256Len]) {
  uint8_t last[2 * kSha256Block];
  blocks(last, pad(last));
  put_digest(out);
}

void Sha256::blocks_pair(Sha256& a, const uint8_t* pa, size_t na, Sha256& b, const uint8_t* pb, size_t nb) {
  size_t both = 0;
#if defined(__x86_64__)
  if (g_accel) {
    both = na < nb ? na : nb;
    if (both) blocks_shani_x2(a.h_, pa, b.h_, pb, both);
  }
#endif
  if (na > both) a.blocks(pa + both * kSha256Block, na - both);
  if (nb > both) b.blocks(pb + both * kSha256Block, nb - both);
}

void Sha256::update_pair(Sha256& a, std::span<const uint8_t> da, Sha256& b, std::span<const uint8_t> db) {
  if (a.used_ || b.used_) {  // not at a block boundary (HMAC's never is)
    a.update(da);
    b.update(db);
    return;
  }
  const size_t na = da.size() / kSha256Block, nb = db.size() / kSha256Block;
  blocks_pair(a, da.data(), na, b, db.data(), nb);
  a.total_ += na * kSha256Block;
  b.total_ += nb * kSha256Block;
  a.update(da.subspan(na * kSha256Block));  // the tails: buffered only
  b.update(db.subspan(nb * kSha256Block));
}

void Sha256::final_pair(Sha256& a, uint8_t out_a[kSha256Len], Sha256& b, uint8_t out_b[kSha256Len]) {
  uint8_t la[2 * kSha256Block], lb[2 * kSha256Block];
  const size_t na = a.pad(la), nb = b.pad(lb);
  blocks_pair(a, la, na, b, lb, nb);
  a.put_digest(out_a);
  b.put_digest(out_b);
}

void SoftHmacSha256::set_key(std::span<const uint8_t> key) {
  uint8_t k[kSha256Block] = {};
  if (key.size() > kSha256Block) {
    Sha256 s;
    s.update(key);
    s.final(k);
  } else if (!key.empty()) {
    std::memcpy(k, key.data(), key.size());
  }
  uint8_t pad[kSha256Block];
  for (size_t i = 0; i < kSha256Block; i++) pad[i] = k[i] ^ 0x36;
  inner_.reset();
  inner_.update(pad);
  for (size_t i = 0; i < kSha256Block; i++) pad[i] = k[i] ^ 0x5c;
  outer_.reset();
  outer_.update(pad);
}

void SoftHmacSha256::mac(std::span<const uint8_t> data, uint8_t out[kSha256Len]) const {
  Sha256 in = inner_;
  in.update(data);
  uint8_t ih[kSha256Len];
  in.final(ih);
  Sha256 o = outer_;
  o.update(ih);
  o.final(out);
}

void SoftHmacSha256::mac_pair(std::span<const uint8_t> da, uint8_t out_a[kSha256Len], std::span<const uint8_t> db,
                               uint8_t out_b[kSha256Len]) const {
  Sha256 ia = inner_, ib = inner_;
  Sha256::update_pair(ia, da, ib, db);
  uint8_t ha[kSha256Len], hb[kSha256Len];
  Sha256::final_pair(ia, ha, ib, hb);
  Sha256 oa = outer_, ob = outer_;
  Sha256::update_pair(oa, ha, ob, hb);
  Sha256::final_pair(oa, out_a, ob, out_b);
}

}  // namespace crypto
