// The kernel crypto user API (<linux/if_alg.h>): what an HMAC over AF_ALG
// needs.  musl's sysroot has no linux/ headers, hence our own copy.
#pragma once
#include <cstdint>

namespace uapi {

constexpr int kAfAlg = 38;         // AF_ALG
constexpr int kSolAlg = 279;       // SOL_ALG
constexpr int kAlgSetKey = 1;      // ALG_SET_KEY

struct SockaddrAlg {               // struct sockaddr_alg
  uint16_t family;
  uint8_t type[14];
  uint32_t feat;
  uint32_t mask;
  uint8_t name[64];
};
static_assert(sizeof(SockaddrAlg) == 88);

}  // namespace uapi
