// The JavaScript side of TCP sockets and listeners. They only check and unpack arguments and hand them to
// the backend's TcpSocket/TcpListener (win/ or linux/), which own the OS state.
#pragma once

#define NAPI_VERSION 8
#include <napi.h>

namespace iocpnet {

class Addon;
class TcpSocket;
class TcpListener;

// A connection's JS side: `native.tcp`, functions that take the socket's handle (an External) first.
class TcpSocketWrap {
 public:
  static void Init(Napi::Env env, Napi::Object exports, Addon* addon);
  // The handle for a socket the backend accepted, taking over one reference. nullptr when no handle can be
  // made (JS cannot run: a worker terminating); the reference is then still the caller's.
  static napi_value FromAccepted(napi_env env, TcpSocket* sock);
};

class TcpListenerWrap : public Napi::ObjectWrap<TcpListenerWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports, Addon* addon);
  explicit TcpListenerWrap(const Napi::CallbackInfo& info);
  ~TcpListenerWrap() override;

 private:
  Napi::Value Listen(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Address(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  TcpListener* listener_ = nullptr;
};

}  // namespace iocpnet
