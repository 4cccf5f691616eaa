// The completion engine: one per JavaScript environment (main thread and each worker_thread). The shared
// part here does the bookkeeping every backend needs — which sockets are alive, how many operations the OS
// holds, whether the event loop must stay alive — and the backends (win/iocp_engine, linux/...) supply the
// OS machinery: a completion port and poller thread on Windows.
#pragma once

#include <node_api.h>

#include <cstdint>
#include <memory>

#include "sys_error.h"

namespace iocpnet {

class SocketBase;

struct EngineStats {
  int64_t sockets = 0;        // native socket objects alive
  int64_t ops_in_flight = 0;  // operations the OS has not yet reported complete
  int64_t os_handles = -1;    // process handle count where the OS reports one
};

class Engine {
 public:
  // Backend factory. On failure returns nullptr and sets *err.
  static Engine* Create(napi_env env, SysError* err);

  virtual ~Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Environment teardown: close every socket, wait until the OS has completed every operation, free them
  // without running JavaScript.
  virtual void Shutdown(napi_env env) = 0;

  bool tearing_down() const { return tearing_down_; }

  // An operation entered or left the OS. Operations that keep the process alive hold the loop open
  // while any is in flight, like an active libuv handle.
  void OpEntered(napi_env env, bool keep_alive);
  void OpLeft(napi_env env, bool keep_alive);

  void Register(SocketBase* s);
  void Unregister(SocketBase* s);

  // The engine outlives the addon instance and every socket: each holds a reference.
  void Retain() { refs_++; }
  void Release() {
    if (--refs_ == 0) delete this;
  }

  EngineStats Stats() const;

  // Where a chunk read (one without caller buffers) receives before its bytes are copied into a fresh
  // Buffer. One per engine: reads complete on the JS thread one at a time, and the copy is taken at once.
  static constexpr size_t kReadScratchSize = 64 * 1024;
  char* read_scratch() {
    if (!read_scratch_) read_scratch_.reset(new char[kReadScratchSize]);
    return read_scratch_.get();
  }

 protected:
  Engine() = default;
  // Backend: hold the event loop open (true) or let it exit (false).
  virtual void SetLoopAlive(napi_env env, bool alive) = 0;
  virtual int64_t OsHandleCount() const { return -1; }
  // Teardown helper: CloseForTeardown() on every live socket.
  void CloseAllSockets();

  bool tearing_down_ = false;
  SocketBase* sockets_ = nullptr;  // intrusive list of live sockets

 private:
  int64_t refs_ = 1;
  int64_t keep_alive_ops_ = 0;
  int64_t ops_in_flight_ = 0;
  int64_t socket_count_ = 0;
  std::unique_ptr<char[]> read_scratch_;
};

}  // namespace iocpnet
