// UDP socket options, shared by both backends: the option codes the JS layer passes (lib/udp.ts keeps the
// same numbers), the bind flags, and the setsockopt plumbing, which is the same call on Winsock and Linux
// once the level/name pair is chosen by address family.
#pragma once

#include "platform.h"
#include "sockaddr.h"
#include "sys_error.h"

namespace iocpnet {

// Must match UdpOption in lib/udp.ts.
enum class UdpOption : int {
  kBroadcast = 0,         // SO_BROADCAST
  kTtl = 1,               // IP_TTL / IPV6_UNICAST_HOPS
  kMulticastTtl = 2,      // IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS
  kMulticastLoop = 3,     // IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP
  kRecvBufferSize = 4,    // SO_RCVBUF
  kSendBufferSize = 5,    // SO_SNDBUF
};

struct UdpBindOptions {
  bool reuse_addr = false;  // SO_REUSEADDR (several sockets on one port, for multicast receivers)
  bool ipv6_only = false;   // IPv6 sockets are dual-stack unless asked otherwise, as dgram's
  bool exclusive = false;   // Windows SO_EXCLUSIVEADDRUSE; no-op elsewhere
};

// Options of a socket of family `af` (AF_INET or AF_INET6). Both use the IPv6 level on IPv6 sockets.
SysError SetUdpOption(socket_t s, int af, UdpOption opt, int value);
SysError GetUdpOption(socket_t s, int af, UdpOption opt, int* value);

// Outgoing multicast interface: an IPv4 address of the interface, or for IPv6 sockets "::%<index>"
// (the scope id is the interface index; 0 lets the system choose).
SysError SetMulticastInterface(socket_t s, int af, const SockAddr& iface);

// Joins or leaves `group` (any-source); the level follows the group's family, as libuv does, so a
// dual-stack IPv6 socket can join an IPv4 group. `iface` may be null (the system chooses).
SysError SetMembership(socket_t s, bool join, const SockAddr& group, const SockAddr* iface);

// Source-specific membership (RFC 4607): only datagrams from `source` to `group`.
SysError SetSourceMembership(socket_t s, bool join, const SockAddr& source, const SockAddr& group,
                             const SockAddr* iface);

// Applies the bind flags and binds. On failure *syscall names the step that failed.
SysError BindUdp(socket_t s, int af, const SockAddr& addr, const UdpBindOptions& opts, const char** syscall);

}  // namespace iocpnet
