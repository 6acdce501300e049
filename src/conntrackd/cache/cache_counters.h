// What a cache counts about itself, as upstream's cache stats (-s, -s
// cache).  Each cache owns one and its counting operations (add, refresh,
// remove, flush) update it, so no caller counts on a cache's behalf.
#pragma once
#include <cstdint>

namespace ctd {

struct CacheCounters {
  uint32_t active;          // current entries (== cache.size())
  uint32_t created, create_failed;
  uint32_t updated, update_failed;
  uint32_t destroyed, destroy_failed;
  uint32_t no_memory, no_space;  // reasons for create_failed
  uint32_t upd_not_found, del_not_found;
  uint32_t total_entries;   // the cache's limit (HashLimit), "active/total"
};

}  // namespace ctd
