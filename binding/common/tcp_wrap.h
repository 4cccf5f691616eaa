// JavaScript classes for TCP sockets and listeners. They only check and unpack arguments and hand them to
// the backend's TcpSocket/TcpListener (win/ or linux/), which own the OS state.
#pragma once

#define NAPI_VERSION 8
#include <napi.h>

namespace iocpnet {

class Addon;
class TcpSocket;
class TcpListener;

class TcpSocketWrap : public Napi::ObjectWrap<TcpSocketWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports, Addon* addon);
  // Wraps a socket the backend accepted; takes over one reference.
  static napi_value FromAccepted(napi_env env, TcpSocket* sock);

  explicit TcpSocketWrap(const Napi::CallbackInfo& info);
  ~TcpSocketWrap() override;

 private:
  TcpSocket* Live(const Napi::Env& env);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value ReadChunk(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value CancelRead(const Napi::CallbackInfo& info);
  Napi::Value CancelWrite(const Napi::CallbackInfo& info);
  Napi::Value CancelConnect(const Napi::CallbackInfo& info);
  Napi::Value SetNoDelay(const Napi::CallbackInfo& info);
  Napi::Value SetKeepAlive(const Napi::CallbackInfo& info);
  Napi::Value SetBufferSize(const Napi::CallbackInfo& info);
  Napi::Value Addresses(const Napi::CallbackInfo& info);

  TcpSocket* sock_ = nullptr;
  bool closed_ = false;
  Napi::Reference<Napi::Promise> close_promise_;
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
  bool closed_ = false;
  Napi::Reference<Napi::Promise> close_promise_;
};

}  // namespace iocpnet
