// The Windows completion engine: one I/O completion port per JS environment, one poller thread dequeuing
// it with GetQueuedCompletionStatusEx in batches, and threadsafe functions that wake the JS thread once
// per batch (not once per completion), whose calls handle the batch in groups; two of them, taking turns,
// so that what completes during a dispatch waits for the loop's next turn (iocp_engine.cc says why).
// Operation handlers run on the JS thread only.
#pragma once

#include <mutex>
#include <thread>
#include <vector>

#include "../common/engine.h"
#include "../common/platform.h"
#include "iocp_op.h"

namespace iocpnet {

class IocpEngine : public Engine {
 public:
  static IocpEngine* Of(Engine* e) { return static_cast<IocpEngine*>(e); }

  IocpEngine() = default;
  ~IocpEngine() override;

  bool Start(napi_env env, SysError* err);
  void Shutdown(napi_env env) override;

  // Binds a socket to this engine's port; its overlapped operations then complete here.
  SysError Associate(SOCKET s);

 protected:
  void SetLoopAlive(napi_env env, bool alive) override;
  int64_t OsHandleCount() const override;

 private:
  void PollerMain();
  static void OnWake(napi_env env, napi_value js_cb, void* context, void* data);
  // Handles up to `limit` completions, in order, taking the poller's queue when the batch in hand is done.
  // True when completions of the batch in hand are left.
  bool DispatchReady(napi_env env, size_t limit);
  void DrainPort(napi_env env, DWORD timeout_ms);

  HANDLE port_ = nullptr;
  std::thread poller_;
  std::mutex mu_;
  std::vector<IocpOp*> ready_;     // completions dequeued by the poller, not yet handled (guarded by mu_)
  std::vector<IocpOp*> handling_;  // the batch being handled on the JS thread, from next_ on
  size_t next_ = 0;
  napi_threadsafe_function wake_[2] = {nullptr, nullptr};
  int next_wake_ = 0;  // which of wake_ the poller calls next (guarded by mu_)
  bool started_ = false;
};

}  // namespace iocpnet
