// Fixed-size records in slabs, addressed by a 32-bit index.
//
// A daemon cache must never allocate per entry (spec: no per-message heap
// allocation), yet must not reserve HashLimit records up front either
// (most tables are small).  So records are carved from slabs of
// kSlabPoolRecords, a slab being malloc'ed whole the first time the free
// list runs dry; the slab-pointer table (one pointer per possible slab) is
// the only thing sized from the limit at init().  Free records are chained
// through their first 4 bytes, so a record type must not need those bytes
// while it is free (the caches keep their hash link there).
//
// Used by the flow cache (flow_cache.h: one pool per record size) and the
// expectation cache (expect_cache.h).
#pragma once
#include <cstddef>
#include <cstdint>

namespace ctd {

inline constexpr unsigned kSlabPoolShift = 12;  // 4096 records per slab
inline constexpr uint32_t kSlabPoolRecords = 1u << kSlabPoolShift;
inline constexpr uint32_t kSlabPoolNil = 0xffffffffu;

class SlabPool {
 public:
  SlabPool() = default;
  ~SlabPool() { destroy(); }
  SlabPool(const SlabPool&) = delete;
  SlabPool& operator=(const SlabPool&) = delete;

  // `rec` bytes per record (>= 4), at most `max_records` live at once.
  // False if out of memory.
  bool init(size_t rec, uint32_t max_records);
  void destroy();

  // A free record's index, or kSlabPoolNil (limit reached, or no memory
  // for a new slab).  A record never used before is zero but for its
  // first 4 bytes; a reused one holds what its last user left.
  uint32_t alloc();
  void release(uint32_t i);
  uint8_t* at(uint32_t i) const {
    return slabs_[i >> kSlabPoolShift] + (i & (kSlabPoolRecords - 1)) * rec_size_;
  }

  // Index i lies in a slab allocated so far (at() may be called on it).
  bool holds(uint32_t i) const { return (i >> kSlabPoolShift) < nslabs_; }
  // Indexes [0, slots()) lie in allocated slabs, live or free.
  uint32_t slots() const { return nslabs_ << kSlabPoolShift; }
  size_t rec_size() const { return rec_size_; }
  uint32_t live() const { return live_; }
  // Bytes obtained from the allocator: slabs plus the slab table.
  size_t reserved() const;

 private:
  size_t rec_size_ = 0;
  uint8_t** slabs_ = nullptr;
  uint32_t nslabs_ = 0, max_slabs_ = 0;
  uint32_t free_head_ = kSlabPoolNil;
  uint32_t live_ = 0;
};

}  // namespace ctd
