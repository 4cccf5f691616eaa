// The addon instance: one per JavaScript environment (Node-API instance data), so the module is
// context-aware and each worker_thread gets its own engine.
#pragma once

#define NAPI_VERSION 8
#include <napi.h>

#include <string>

#include "datagram_factory.h"
#include "engine.h"
#include "sys_error.h"

namespace iocpnet {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);
  ~Addon();

  static Addon* Of(napi_env env) { return Napi::Env(env).GetInstanceData<Addon>(); }

  Engine* engine() const { return engine_; }

  // Builds a Node-shaped system error through the JS factory the TS layer registered (so that errno,
  // message and class match Node's own), or a plain Error with `code` before that.
  napi_value MakeError(napi_env env, const SysError& err, const char* syscall, const std::string& address,
                       int port);
  // Throws the error MakeError builds.
  void ThrowError(napi_env env, const SysError& err, const char* syscall, const std::string& address = "",
                  int port = -1);

  DatagramFactory& datagram_factory() { return datagram_factory_; }

  // A new Buffer holding a copy of n bytes, for a chunk read's result: made by the function the TS layer
  // registered (Buffer.allocUnsafe), or by napi_create_buffer_copy when none is. Returns nullptr on
  // failure, with the allocator's exception pending if it threw.
  napi_value NewChunk(napi_env env, const char* data, size_t n);

 private:
  Napi::Value SetErrorFactory(const Napi::CallbackInfo& info);
  Napi::Value SetDatagramFactory(const Napi::CallbackInfo& info);
  Napi::Value SetChunkAllocator(const Napi::CallbackInfo& info);
  Napi::Value GetStats(const Napi::CallbackInfo& info);
  static void OnEnvCleanup(void* arg);

  napi_env env_;
  Engine* engine_ = nullptr;
  Napi::FunctionReference error_factory_;
  DatagramFactory datagram_factory_;
  Napi::FunctionReference chunk_allocator_;
};

}  // namespace iocpnet
