// What every native socket shares, whatever the backend: a reference count (held by its JS wrapper and by
// each operation the OS holds), membership in its engine's socket list for teardown, the count of
// operations in flight, and the close() promise that settles once that count reaches zero — only then has
// the OS let go of every buffer.
#pragma once

#include <node_api.h>

#include <cstdint>

#include "op.h"

namespace iocpnet {

class Engine;

class SocketBase {
 public:
  explicit SocketBase(Engine* engine);
  virtual ~SocketBase();
  SocketBase(const SocketBase&) = delete;
  SocketBase& operator=(const SocketBase&) = delete;

  void Retain() { refs_++; }
  void Release() {
    if (--refs_ == 0) delete this;
  }

  // Environment teardown: close the OS socket so that its operations complete promptly. No JS runs.
  virtual void CloseForTeardown() = 0;
  // The JS wrapper was collected without close(): release the OS socket.
  virtual void CloseOnCollect() = 0;

  // The JS wrapper object. It is held strongly while any operation is in flight, so a socket that is
  // working is never collected (and closed) under an awaiting caller; weakly otherwise.
  void SetJsOwner(napi_env env, napi_value wrapper);
  void DropJsOwner(napi_env env);

  Engine* engine() const { return engine_; }
  bool closing() const { return closing_; }
  int64_t in_flight() const { return in_flight_; }

 protected:
  // An operation was handed to / returned by the OS. OpReturned settles a pending close() at zero.
  void OpHandedToOs(napi_env env, bool keep_alive = true);
  void OpReturned(napi_env env, bool keep_alive = true);
  // Starts close(): returns its promise, settled once no operation is in flight.
  napi_value BeginClose(napi_env env);

  Engine* engine_;
  bool closing_ = false;

 private:
  friend class Engine;
  void MaybeFinishClose(napi_env env);

  int64_t refs_ = 1;
  int64_t in_flight_ = 0;
  Op* close_op_ = nullptr;
  napi_ref js_owner_ = nullptr;
  SocketBase* next_ = nullptr;
  SocketBase* prev_ = nullptr;
};

}  // namespace iocpnet
