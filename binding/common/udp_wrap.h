// The JavaScript side of UDP sockets. It only checks and unpacks arguments and hands them to the
// backend's UdpSocket (win/ or linux/), which owns the OS state; the option plumbing common to both
// backends is in udp_options.h.
#pragma once

#define NAPI_VERSION 8
#include <napi.h>

namespace iocpnet {

class Addon;
class UdpSocket;

// A UDP socket's JS side: `native.udp`, functions that take the socket's handle first (socket_handle.h).
class UdpSocketWrap {
 public:
  static void Init(Napi::Env env, Napi::Object exports, Addon* addon);
};

}  // namespace iocpnet
