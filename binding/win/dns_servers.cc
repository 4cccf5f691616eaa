#include "dns_servers.h"

#include "../common/platform.h"  // winsock2.h first: iphlpapi.h declares IP_ADAPTER_ADDRESSES only after it
#include "../common/sockaddr.h"

#include <iphlpapi.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace iocpnet {

namespace {

struct Candidate {
  std::string address;
  ULONG metric;
};

// What c-ares skips: the unspecified and broadcast IPv4 addresses, ::, and the IPv6 site-local
// fec0:0:0:ffff::1..3 that old Windows versions list on every adapter whether or not anything answers there.
bool Skipped(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    const ULONG a = in->sin_addr.s_addr;
    return a == htonl(INADDR_ANY) || a == htonl(INADDR_NONE);
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    static const unsigned char kAny[16] = {};
    if (std::memcmp(&in6->sin6_addr, kAny, 16) == 0) return true;
    static const unsigned char kSiteLocal[15] = {0xfe, 0xc0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0};
    const unsigned char* b = reinterpret_cast<const unsigned char*>(&in6->sin6_addr);
    return std::memcmp(b, kSiteLocal, 15) == 0 && b[15] >= 1 && b[15] <= 3;
  }
  return true;
}

}  // namespace

std::vector<std::string> SystemDnsServers(SysError* err) {
  *err = SysError::Ok();
  const ULONG flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_FRIENDLY_NAME;
  ULONG size = 16 * 1024;
  std::unique_ptr<unsigned char[]> buf;
  ULONG rc = ERROR_BUFFER_OVERFLOW;
  // The list can grow between the two calls (an adapter comes up): a few tries, as c-ares and libuv.
  for (int tries = 0; tries < 4 && rc == ERROR_BUFFER_OVERFLOW; tries++) {
    buf.reset(new unsigned char[size]);
    rc = GetAdaptersAddresses(AF_UNSPEC, flags, nullptr, reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buf.get()), &size);
  }
  if (rc == ERROR_NO_DATA) return {};
  if (rc != NO_ERROR) {
    *err = MapOsError(static_cast<int64_t>(rc));
    if (err->ok()) *err = SysError::Of("UNKNOWN", static_cast<int64_t>(rc));
    return {};
  }

  std::vector<Candidate> found;
  for (auto* ad = reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buf.get()); ad != nullptr; ad = ad->Next) {
    if (ad->OperStatus != IfOperStatusUp) continue;
    for (auto* dns = ad->FirstDnsServerAddress; dns != nullptr; dns = dns->Next) {
      const sockaddr* sa = dns->Address.lpSockaddr;
      if (sa == nullptr || Skipped(sa)) continue;
      SockAddr addr;
      if (sa->sa_family == AF_INET) {
        addr = SockAddr::From(sa, sizeof(sockaddr_in));
      } else {
        addr = SockAddr::From(sa, sizeof(sockaddr_in6));
        auto* in6 = reinterpret_cast<sockaddr_in6*>(addr.get());
        // A link-local server is reachable only through its adapter: name it ("fe80::1%12"), as c-ares does.
        if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) {
          if (in6->sin6_scope_id == 0) in6->sin6_scope_id = ad->Ipv6IfIndex;
        } else {
          in6->sin6_scope_id = 0;
        }
      }
      const ULONG metric = sa->sa_family == AF_INET ? ad->Ipv4Metric : ad->Ipv6Metric;
      found.push_back({addr.Address(), metric});
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const Candidate& a, const Candidate& b) { return a.metric < b.metric; });
  std::vector<std::string> out;
  for (const Candidate& c : found) {
    if (std::find(out.begin(), out.end(), c.address) == out.end()) out.push_back(c.address);
  }
  return out;
}

}  // namespace iocpnet
