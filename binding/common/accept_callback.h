// The JS function a listener hands its accepted connections to, the same for both backends:
// onAccept(error, connection), one of them null. The listener holds it from listen() until close (or
// teardown), and nothing is delivered once the environment is going away.
#pragma once

#include <node_api.h>

#include "sys_error.h"

namespace iocpnet {

class Engine;

class AcceptCallback {
 public:
  AcceptCallback() = default;
  AcceptCallback(const AcceptCallback&) = delete;
  AcceptCallback& operator=(const AcceptCallback&) = delete;

  void Set(napi_env env, napi_value fn);
  void Drop(napi_env env);

  // Calls it with (null, conn). An exception it throws goes to process 'uncaughtException', as an
  // exception in a libuv callback would: the listener goes on accepting.
  void Deliver(napi_env env, Engine* engine, napi_value conn) { Call(env, engine, nullptr, conn); }
  // Calls it with ("accept" error, null).
  void DeliverError(napi_env env, Engine* engine, const SysError& e);

 private:
  void Call(napi_env env, Engine* engine, napi_value error, napi_value conn);

  napi_ref fn_ = nullptr;
};

}  // namespace iocpnet
