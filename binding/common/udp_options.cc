#include "udp_options.h"

namespace iocpnet {

namespace {

#ifdef _WIN32
using optlen_t = int;
#else
using optlen_t = socklen_t;
#endif

SysError Set(socket_t s, int level, int name, const void* value, size_t len) {
  if (setsockopt(s, level, name, static_cast<const char*>(value), static_cast<optlen_t>(len)) != 0) {
    return LastSocketCallError();
  }
  return SysError::Ok();
}

// Level and name of an option for a socket of family af; false if the option has no such pair.
bool LevelAndName(int af, UdpOption opt, int* level, int* name) {
  const bool v6 = af == AF_INET6;
  switch (opt) {
    case UdpOption::kBroadcast: *level = SOL_SOCKET; *name = SO_BROADCAST; return true;
    case UdpOption::kRecvBufferSize: *level = SOL_SOCKET; *name = SO_RCVBUF; return true;
    case UdpOption::kSendBufferSize: *level = SOL_SOCKET; *name = SO_SNDBUF; return true;
    case UdpOption::kTtl:
      *level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
      *name = v6 ? IPV6_UNICAST_HOPS : IP_TTL;
      return true;
    case UdpOption::kMulticastTtl:
      *level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
      *name = v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL;
      return true;
    case UdpOption::kMulticastLoop:
      *level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
      *name = v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP;
      return true;
  }
  return false;
}

const sockaddr_in& In4(const SockAddr& a) { return *reinterpret_cast<const sockaddr_in*>(&a.storage); }
const sockaddr_in6& In6(const SockAddr& a) { return *reinterpret_cast<const sockaddr_in6*>(&a.storage); }

}  // namespace

SysError SetUdpOption(socket_t s, int af, UdpOption opt, int value) {
  int level = 0, name = 0;
  if (!LevelAndName(af, opt, &level, &name)) return SysError::Of("EINVAL");
  return Set(s, level, name, &value, sizeof value);
}

SysError GetUdpOption(socket_t s, int af, UdpOption opt, int* value) {
  int level = 0, name = 0;
  if (!LevelAndName(af, opt, &level, &name)) return SysError::Of("EINVAL");
  *value = 0;
  optlen_t len = sizeof *value;
  if (getsockopt(s, level, name, reinterpret_cast<char*>(value), &len) != 0) return LastSocketCallError();
  return SysError::Ok();
}

SysError SetMulticastInterface(socket_t s, int af, const SockAddr& iface) {
  if (af == AF_INET6) {
    if (iface.family() != AF_INET6) return SysError::Of("EINVAL");
    const unsigned int index = In6(iface).sin6_scope_id;
    return Set(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index);
  }
  if (iface.family() != AF_INET) return SysError::Of("EINVAL");
  const in_addr addr = In4(iface).sin_addr;
  return Set(s, IPPROTO_IP, IP_MULTICAST_IF, &addr, sizeof addr);
}

SysError SetMembership(socket_t s, bool join, const SockAddr& group, const SockAddr* iface) {
  if (group.family() == AF_INET) {
    ip_mreq mreq{};
    mreq.imr_multiaddr = In4(group).sin_addr;
    mreq.imr_interface.s_addr = htonl(INADDR_ANY);
    if (iface != nullptr) {
      if (iface->family() != AF_INET) return SysError::Of("EINVAL");
      mreq.imr_interface = In4(*iface).sin_addr;
    }
    return Set(s, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mreq, sizeof mreq);
  }
  ipv6_mreq mreq{};
  mreq.ipv6mr_multiaddr = In6(group).sin6_addr;
  if (iface != nullptr) {
    if (iface->family() != AF_INET6) return SysError::Of("EINVAL");
    mreq.ipv6mr_interface = In6(*iface).sin6_scope_id;
  }
  return Set(s, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &mreq, sizeof mreq);
}

SysError SetSourceMembership(socket_t s, bool join, const SockAddr& source, const SockAddr& group,
                             const SockAddr* iface) {
  if (source.family() != group.family()) return SysError::Of("EINVAL");
  if (group.family() == AF_INET) {
    ip_mreq_source mreq{};
    mreq.imr_multiaddr = In4(group).sin_addr;
    mreq.imr_sourceaddr = In4(source).sin_addr;
    mreq.imr_interface.s_addr = htonl(INADDR_ANY);
    if (iface != nullptr) {
      if (iface->family() != AF_INET) return SysError::Of("EINVAL");
      mreq.imr_interface = In4(*iface).sin_addr;
    }
    return Set(s, IPPROTO_IP, join ? IP_ADD_SOURCE_MEMBERSHIP : IP_DROP_SOURCE_MEMBERSHIP, &mreq, sizeof mreq);
  }
  // IPv6 has no ip_mreq_source; the protocol-independent request carries whole socket addresses.
  group_source_req req{};
  if (iface != nullptr) {
    if (iface->family() != AF_INET6) return SysError::Of("EINVAL");
    req.gsr_interface = In6(*iface).sin6_scope_id;
  }
  std::memcpy(&req.gsr_group, &group.storage, sizeof(sockaddr_in6));
  std::memcpy(&req.gsr_source, &source.storage, sizeof(sockaddr_in6));
  return Set(s, IPPROTO_IPV6, join ? MCAST_JOIN_SOURCE_GROUP : MCAST_LEAVE_SOURCE_GROUP, &req, sizeof req);
}

SysError BindUdp(socket_t s, int af, const SockAddr& addr, const UdpBindOptions& opts, const char** syscall) {
  *syscall = "setsockopt";
  const int on = 1;
  if (af == AF_INET6) {
    // Windows and Wine default to IPv6-only; Linux follows a sysctl. Set it either way so the behaviour
    // is the same everywhere (dual-stack unless asked, as dgram).
    const int v6only = opts.ipv6_only ? 1 : 0;
    SysError e = Set(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    if (!e.ok() && opts.ipv6_only) return e;
  }
  if (opts.reuse_addr) {
    SysError e = Set(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (!e.ok()) return e;
  }
#ifdef _WIN32
  if (opts.exclusive) {
    SysError e = Set(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, &on, sizeof on);
    if (!e.ok()) return e;
  }
#endif
  *syscall = "bind";
  if (::bind(s, addr.get(), addr.len) != 0) return LastSocketCallError();
  return SysError::Ok();
}

}  // namespace iocpnet
