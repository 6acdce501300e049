#include "conntrackd/sync/iface.h"

#include <cstring>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ctd {

namespace {

bool query(const char* name, unsigned long req, ifreq* ifr) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  std::memset(ifr, 0, sizeof *ifr);
  std::strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
  const bool ok = ioctl(s, req, ifr) == 0;
  close(s);
  return ok;
}

}  // namespace

int iface_index(const char* name) {
  ifreq ifr;
  return query(name, SIOCGIFINDEX, &ifr) ? ifr.ifr_ifindex : 0;
}

int iface_mtu(const char* name) {
  ifreq ifr;
  return query(name, SIOCGIFMTU, &ifr) ? ifr.ifr_mtu : -1;
}

unsigned iface_flags(const char* name) {
  ifreq ifr;
  return query(name, SIOCGIFFLAGS, &ifr) ? static_cast<unsigned short>(ifr.ifr_flags) : 0u;
}

}  // namespace ctd
