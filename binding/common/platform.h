// Platform headers and the few types the shared code needs from them.
#pragma once

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
namespace iocpnet {
using socket_t = SOCKET;
constexpr socket_t kInvalidSocket = INVALID_SOCKET;
}  // namespace iocpnet
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
namespace iocpnet {
using socket_t = int;
constexpr socket_t kInvalidSocket = -1;
}  // namespace iocpnet
#endif
