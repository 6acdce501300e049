// Network interface facts a channel needs: index, MTU and UP/RUNNING flags
// (ioctls on a throwaway datagram socket).
#pragma once

namespace ctd {

int iface_index(const char* name);     // 0 if unknown
int iface_mtu(const char* name);       // -1 if unknown
unsigned iface_flags(const char* name);  // IFF_* bits, 0 if unknown

}  // namespace ctd
