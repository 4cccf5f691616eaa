// The JS handle of a TCP connection or UDP socket: an External holding the socket, with a finalizer whose
// reference is the socket's JS owner (SocketBase: strong while an operation is in flight) and which closes
// a socket that was never closed. lib/ passes the handle first to every function of `native.tcp` and
// `native.udp`.
//
// Why not a JS class wrapping the socket (napi_wrap, ObjectWrap): napi_unwrap is a private-property lookup
// on every call, which perf put at ~2.5% of an echo server's time, twice per round trip, and the wrapper
// cost every connection 96 bytes of heap (the object, the property array its private key needs, an External
// inside). A server holds connections by the thousand; this handle is one 32-byte External, unpacked with a
// type check, a load and a check of the socket's kind. The type check cannot tell our Externals from
// another addon's: the functions rely on only lib/ calling them (`native` is internal; the package's exports
// map does not expose it).
#pragma once

#define NAPI_VERSION 8
#include <napi.h>

#include "socket_base.h"

namespace iocpnet {

// The handle for `sock`, which then holds the reference the caller had. nullptr when no handle can be made
// (JS cannot run: a worker terminating); the reference is then still the caller's.
napi_value MakeSocketHandle(napi_env env, SocketBase* sock);

// The handle for a socket just created (`sock`, or nullptr with `err` saying why), for the open()
// functions: throws the system error ("socket") or, when no handle can be made, an Error after closing it.
Napi::Value HandleOfNew(Napi::Env env, SocketBase* sock, const SysError& err);

// Sets exports[name] to an object holding `functions` and open(family).
void ExportHandleFunctions(Napi::Env env, Napi::Object exports, const char* name,
                           const napi_property_descriptor* functions, size_t count, Napi::Function::Callback open);

// The socket behind a handle, or nullptr when `v` is no handle of a socket of kind S.
template <class S>
S* SocketFromHandle(napi_env env, napi_value v) {
  void* p = nullptr;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == nullptr) return nullptr;
  auto* base = static_cast<SocketBase*>(p);
  return base->kind() == S::kKind ? static_cast<S*>(base) : nullptr;
}

// The arguments after the handle; missing ones read as undefined, as in Napi::CallbackInfo.
class HandleArgs {
 public:
  static constexpr size_t kMax = 5;
  HandleArgs(napi_env env, const napi_value* v, size_t n);
  Napi::Value operator[](size_t i) const { return Napi::Value(env_, v_[i]); }

 private:
  napi_env env_;
  napi_value v_[kMax];
};

template <class S>
using HandleFunction = Napi::Value (*)(Napi::Env env, S* sock, const HandleArgs& args);

// A function's C entry point: finds the socket, and turns the C++ exceptions node-addon-api reports JS
// errors with back into JS exceptions.
template <class S, HandleFunction<S> fn>
napi_value HandleEntry(napi_env env, napi_callback_info cb) {
  try {
    size_t argc = HandleArgs::kMax + 1;
    napi_value argv[HandleArgs::kMax + 1];
    napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
    S* sock = argc >= 1 ? SocketFromHandle<S>(env, argv[0]) : nullptr;
    if (sock == nullptr) throw Napi::TypeError::New(env, "expected a socket handle of the right kind");
    return fn(Napi::Env(env), sock, HandleArgs(env, argv + 1, argc - 1));
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
}

inline napi_property_descriptor HandleFunctionNamed(const char* name, napi_callback entry) {
  return napi_property_descriptor{name, nullptr, entry, nullptr, nullptr, nullptr, napi_enumerable, nullptr};
}

}  // namespace iocpnet
