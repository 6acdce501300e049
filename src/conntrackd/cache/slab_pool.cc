// See slab_pool.h.
#include "conntrackd/cache/slab_pool.h"

#include <cstdlib>
#include <cstring>

namespace ctd {

bool SlabPool::init(size_t rec, uint32_t max_records) {
  destroy();
  if (rec < 4) return false;
  rec_size_ = rec;
  max_slabs_ = (max_records + kSlabPoolRecords - 1) / kSlabPoolRecords;
  if (max_slabs_ == 0) max_slabs_ = 1;
  slabs_ = static_cast<uint8_t**>(calloc(max_slabs_, sizeof(uint8_t*)));
  if (!slabs_) max_slabs_ = 0;
  return slabs_ != nullptr;
}

void SlabPool::destroy() {
  for (uint32_t i = 0; i < nslabs_; i++) free(slabs_[i]);
  free(slabs_);
  slabs_ = nullptr;
  nslabs_ = max_slabs_ = live_ = 0;
  free_head_ = kSlabPoolNil;
}

uint32_t SlabPool::alloc() {
  if (free_head_ == kSlabPoolNil) {
    if (nslabs_ >= max_slabs_) return kSlabPoolNil;
    // Zeroed, so that a walk in memory order can tell free records by
    // their contents (calloc of fresh pages costs no memset).
    uint8_t* s = static_cast<uint8_t*>(calloc(kSlabPoolRecords, rec_size_));
    if (!s) return kSlabPoolNil;
    slabs_[nslabs_] = s;
    // Thread the whole slab onto the free list, lowest index first.
    const uint32_t base = nslabs_ << kSlabPoolShift;
    for (uint32_t i = 0; i < kSlabPoolRecords; i++) {
      uint32_t next = i + 1 < kSlabPoolRecords ? base + i + 1 : kSlabPoolNil;
      std::memcpy(s + i * rec_size_, &next, 4);
    }
    free_head_ = base;
    nslabs_++;
  }
  const uint32_t i = free_head_;
  std::memcpy(&free_head_, at(i), 4);
  live_++;
  return i;
}

void SlabPool::release(uint32_t i) {
  std::memcpy(at(i), &free_head_, 4);
  free_head_ = i;
  live_--;
}

size_t SlabPool::reserved() const {
  return size_t{nslabs_} * kSlabPoolRecords * rec_size_ + size_t{max_slabs_} * sizeof(uint8_t*);
}

}  // namespace ctd
