// The JavaScript class for UDP sockets. It only checks and unpacks arguments and hands them to the
// backend's UdpSocket (win/ or linux/), which owns the OS state; the option plumbing common to both
// backends is in udp_options.h.
#pragma once

#define NAPI_VERSION 8
#include <napi.h>

namespace iocpnet {

class Addon;
class UdpSocket;

class UdpSocketWrap : public Napi::ObjectWrap<UdpSocketWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports, Addon* addon);

  explicit UdpSocketWrap(const Napi::CallbackInfo& info);
  ~UdpSocketWrap() override;

 private:
  // The socket, or a thrown ERR_SOCKET_CLOSED system error (for the synchronous methods).
  UdpSocket* LiveOrThrow(const Napi::Env& env, const char* syscall);
  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value Disconnect(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Recv(const Napi::CallbackInfo& info);
  Napi::Value RecvChunk(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value CancelRecv(const Napi::CallbackInfo& info);
  Napi::Value CancelSend(const Napi::CallbackInfo& info);
  Napi::Value SetOption(const Napi::CallbackInfo& info);
  Napi::Value GetOption(const Napi::CallbackInfo& info);
  Napi::Value SetMulticastInterface(const Napi::CallbackInfo& info);
  Napi::Value Membership(const Napi::CallbackInfo& info);
  Napi::Value SourceMembership(const Napi::CallbackInfo& info);
  Napi::Value Addresses(const Napi::CallbackInfo& info);

  UdpSocket* sock_ = nullptr;
};

}  // namespace iocpnet
