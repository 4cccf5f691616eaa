// IP socket addresses: parsing from JavaScript strings and formatting back, for IPv4 and IPv6 (with an
// optional numeric scope id, "fe80::1%3").
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "platform.h"
#include "sys_error.h"

namespace iocpnet {

// Room for the two families used here and no more: sockaddr_storage would be 128 bytes, and every
// connection keeps two addresses (its own and its peer's) for as long as it lives.
union IpStorage {
  sockaddr sa;
  sockaddr_in in4;
  sockaddr_in6 in6;
};

struct SockAddr {
  IpStorage storage;
  socklen_t len = 0;

  SockAddr() { std::memset(&storage, 0, sizeof storage); }
  int family() const { return storage.sa.sa_family; }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  uint16_t port() const;

  // Fills the address from text; family 4 or 6 forces one (0 = whichever parses). False if not an IP literal.
  bool Parse(const std::string& address, uint16_t port, int family = 0);
  // The wildcard address of a family ("0.0.0.0" or "::") with the given port.
  static SockAddr Any(int af, uint16_t port = 0);
  static SockAddr From(const sockaddr* sa, socklen_t len);

  std::string Address() const;  // "127.0.0.1", "::1", "fe80::1%3"
  const char* FamilyName() const { return family() == AF_INET6 ? "IPv6" : "IPv4"; }
};

// The error of the socket call that just failed, as the OS reports it (WSAGetLastError or errno), mapped.
SysError LastSocketCallError();

// A socket's own address (getsockname) and its peer's (getpeername), the same on both platforms.
SysError SocketName(socket_t s, SockAddr* out);
SysError PeerName(socket_t s, SockAddr* out);

}  // namespace iocpnet
