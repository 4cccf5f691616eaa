#include "sockaddr.h"

#include <cerrno>
#include <cstdlib>

namespace iocpnet {

uint16_t SockAddr::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

bool SockAddr::Parse(const std::string& address, uint16_t port, int family) {
  std::memset(&storage, 0, sizeof storage);
  if (family != 6) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    if (inet_pton(AF_INET, address.c_str(), &in->sin_addr) == 1) {
      in->sin_family = AF_INET;
      in->sin_port = htons(port);
      len = sizeof(sockaddr_in);
      return true;
    }
  }
  if (family != 4) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    std::string host = address;
    uint32_t scope = 0;
    size_t pct = host.find('%');
    if (pct != std::string::npos) {
      // Only numeric scope ids: interface names would need a lookup the caller can do in JS.
      const std::string id = host.substr(pct + 1);
      char* end = nullptr;
      unsigned long v = std::strtoul(id.c_str(), &end, 10);
      if (id.empty() || *end != '\0') return false;
      scope = static_cast<uint32_t>(v);
      host.resize(pct);
    }
    if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(port);
      in6->sin6_scope_id = scope;
      len = sizeof(sockaddr_in6);
      return true;
    }
  }
  return false;
}

SockAddr SockAddr::Any(int af, uint16_t port) {
  SockAddr a;
  a.Parse(af == AF_INET6 ? "::" : "0.0.0.0", port);
  return a;
}

SockAddr SockAddr::From(const sockaddr* sa, socklen_t len) {
  SockAddr a;
  if (sa != nullptr && len > 0 && static_cast<size_t>(len) <= sizeof a.storage) {
    std::memcpy(&a.storage, sa, static_cast<size_t>(len));
    a.len = len;
  }
  return a;
}

std::string SockAddr::Address() const {
  char buf[INET6_ADDRSTRLEN + 16] = {0};
  if (family() == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, const_cast<in_addr*>(&in->sin_addr), buf, sizeof buf);
    return buf;
  }
  if (family() == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, const_cast<in6_addr*>(&in6->sin6_addr), buf, sizeof buf);
    std::string s = buf;
    if (in6->sin6_scope_id != 0) s += "%" + std::to_string(in6->sin6_scope_id);
    return s;
  }
  return "";
}

SysError LastSocketCallError() {
#ifdef _WIN32
  return MapOsError(WSAGetLastError());
#else
  return MapOsError(errno);
#endif
}

SysError SocketName(socket_t s, SockAddr* out) {
  socklen_t len = sizeof out->storage;
  if (getsockname(s, out->get(), &len) != 0) return LastSocketCallError();
  out->len = len;
  return SysError::Ok();
}

SysError PeerName(socket_t s, SockAddr* out) {
  socklen_t len = sizeof out->storage;
  if (getpeername(s, out->get(), &len) != 0) return LastSocketCallError();
  out->len = len;
  return SysError::Ok();
}

}  // namespace iocpnet
