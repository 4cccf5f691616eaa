// How many operations of one socket may complete inside the call that started them (a read that finds
// data, a write the kernel takes whole) before one must wait for the engine.
//
// Such an operation settles its promise at once, and its continuation runs as a microtask; Node drains the
// microtask queue before it returns to the event loop. A connection whose reads always find data (a peer
// faster than the reader) or whose writes are always taken would so keep the loop from ever running
// timers or other I/O. After kPerWake of them in a row, the next operation takes the asynchronous path
// and completes from the engine's next dispatch, after the loop has turned; every wake-up of the socket
// by the engine refills the budget. libuv reads at most 32 times per wake-up for the same reason. TCP and
// UDP sockets on both backends keep one each, for reads (receives) and writes (sends) together.
#pragma once

#include <node_api.h>

#include <cstdint>

#include "sys_error.h"

namespace iocpnet {

class InlineBudget {
 public:
  static constexpr uint8_t kPerWake = 32;

  bool available() const { return left_ > 0; }
  void Spend() {
    if (left_ > 0) left_--;
  }
  void Refill() { left_ = kPerWake; }

  // An attempt to complete inside the call, made only while the budget lasts: `attempt(got)` works without
  // blocking and leaves *got at -1 when the operation must wait. An attempt that completed (a result in
  // *got, or an error returned) spends the budget. *got is -1 when no attempt was allowed.
  template <typename Attempt>
  SysError Try(Attempt attempt, int64_t* got) {
    *got = -1;
    if (!available()) return SysError::Ok();
    const SysError e = attempt(got);
    if (!e.ok() || *got >= 0) Spend();
    return e;
  }

  // Try() for a read operation: a result or an error settles `op` (Complete or Fail) and deletes it;
  // returns whether it did.
  template <typename ReadOp, typename Attempt>
  bool TryRead(napi_env env, ReadOp* op, Attempt attempt) {
    int64_t got;
    const SysError e = Try(attempt, &got);
    if (e.ok() && got < 0) return false;
    if (e.ok()) op->Complete(env, got);
    else op->Fail(env, e);
    delete op;
    return true;
  }

 private:
  uint8_t left_ = kPerWake;
};

}  // namespace iocpnet
