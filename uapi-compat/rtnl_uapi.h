// The few rtnetlink constants the sync link monitor needs
// (<linux/rtnetlink.h>, which musl's sysroot lacks).
#pragma once
#include <cstdint>

namespace uapi {

constexpr int kNetlinkRoute = 0;        // NETLINK_ROUTE
constexpr uint32_t kRtmgrpLink = 1;     // RTMGRP_LINK
constexpr uint16_t kRtmNewLink = 16;    // RTM_NEWLINK
constexpr uint16_t kRtmDelLink = 17;    // RTM_DELLINK

struct IfInfoMsg {                      // struct ifinfomsg
  uint8_t family;
  uint8_t pad;
  uint16_t type;
  int32_t index;
  uint32_t flags;
  uint32_t change;
};
static_assert(sizeof(IfInfoMsg) == 16);

}  // namespace uapi
